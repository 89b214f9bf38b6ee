/*
 * export_jsonl: gloss's native format, lossless.  One ExportRecord a line in
 * proto3 JSON: a header, the four label sets, then each article (with its
 * text) followed by every revision of each of its annotations, and, when
 * nothing is filtered out, the change feed.  ImportRecords reads it back.
 */
#include <string.h>

#include "export.h"

/*
 * Labels per labelSet line.  A set is written as several lines of at most
 * this many labels (the same name on each), so that no line of the file is
 * longer than a request can carry when it is imported: 100 labels of a
 * 64-byte name and a 512-byte description, escaped, stay under 400 KiB.
 */
#define JSONL_LABELS_PER_LINE 100

static void
jsonl_record(struct export_ctx *x, Gloss__V1__ExportRecord *rec)
{
	struct json_sink sink = export_sink(x->out);

	json_print(&sink, &rec->base, 0);
	export_puts(x->out, "\n");
}

/* One labelSet line per JSONL_LABELS_PER_LINE labels of set (one line for
 * an empty set, so that every set is named). */
static void
jsonl_label_set(struct export_ctx *x, const Gloss__V1__LabelSet *set)
{
	Gloss__V1__ExportRecord rec = GLOSS__V1__EXPORT_RECORD__INIT;
	Gloss__V1__LabelSet part = *set;
	size_t at = 0;

	rec.record_case = GLOSS__V1__EXPORT_RECORD__RECORD_LABEL_SET;
	rec.label_set = &part;
	do {
		part.labels = set->labels + at;
		part.n_labels = set->n_labels - at < JSONL_LABELS_PER_LINE
		                    ? set->n_labels - at
		                    : JSONL_LABELS_PER_LINE;
		jsonl_record(x, &rec);
		at += part.n_labels;
	} while (at < set->n_labels);
}

static void
jsonl_prologue(struct export_ctx *x, Gloss__V1__LabelSet **sets, size_t n_sets)
{
	const Gloss__V1__ExportRequest *q = x->q;
	Gloss__V1__ExportRecord rec = GLOSS__V1__EXPORT_RECORD__INIT;
	Gloss__V1__ExportHeader h = GLOSS__V1__EXPORT_HEADER__INIT;

	h.format = call_str("gloss.v1.jsonl");
	h.version = EXPORT_JSONL_VERSION;
	h.as_of_seq = x->as_of;
	h.article_id = q->article_id;
	h.group = q->group;
	h.language = q->language;
	h.kind = q->kind;
	h.label = q->label;
	h.complete = q->article_id[0] == '\0' && q->group[0] == '\0' &&
	             q->language[0] == '\0' && q->label[0] == '\0' &&
	             q->kind == GLOSS__V1__KIND__KIND_UNSPECIFIED;
	rec.record_case = GLOSS__V1__EXPORT_RECORD__RECORD_HEADER;
	rec.header = &h;
	jsonl_record(x, &rec);
	for (size_t i = 0; i < n_sets; i++)
		jsonl_label_set(x, sets[i]);
}

static void
jsonl_head(struct export_ctx *x)
{
	Gloss__V1__ExportRecord rec = GLOSS__V1__EXPORT_RECORD__INIT;
	Gloss__V1__Article a = *x->article;

	rec.record_case = GLOSS__V1__EXPORT_RECORD__RECORD_ARTICLE;
	rec.article = &a;
	jsonl_record(x, &rec);
}

static void
jsonl_revision(struct export_ctx *x, const Gloss__V1__Annotation *a)
{
	Gloss__V1__ExportRecord rec = GLOSS__V1__EXPORT_RECORD__INIT;
	Gloss__V1__Annotation copy = *a;

	rec.record_case = GLOSS__V1__EXPORT_RECORD__RECORD_ANNOTATION;
	rec.annotation = &copy;
	jsonl_record(x, &rec);
}

static void
jsonl_change(struct export_ctx *x, const Gloss__V1__Change *ch)
{
	Gloss__V1__ExportRecord rec = GLOSS__V1__EXPORT_RECORD__INIT;
	Gloss__V1__Change copy = *ch;

	rec.record_case = GLOSS__V1__EXPORT_RECORD__RECORD_CHANGE;
	rec.change = &copy;
	jsonl_record(x, &rec);
}

const struct export_format export_jsonl = {
	.name = "jsonl",
	.flags = EXPORT_REVISIONS | EXPORT_CHANGES,
	.prologue = jsonl_prologue,
	.head = jsonl_head,
	.revision = jsonl_revision,
	.change = jsonl_change,
};
