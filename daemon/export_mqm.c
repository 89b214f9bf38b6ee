/*
 * export_mqm: the WMT MQM TSV layout (google/wmt-mqm-human-evaluation):
 * system, doc, doc_id, seg_id, rater, source, target, category, severity,
 * comment; one row per translation note.  Segments are UAX #29 sentences
 * (ICU).  target is the sentence(s) of the annotated translation that the
 * span touches, the span marked <v>...</v>; source is the sentence(s) of the
 * source article that the note's source span touches (marked instead of the
 * target for omissions and source errors, as WMT does).  TABs and line
 * breaks inside fields become spaces.  An article costs 4 bytes a sentence
 * (where each starts, for the segment numbers) while it is written.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "export.h"

/* The sentence boundaries of the article in hand: sb[0] = 0, ...,
 * sb[ns - 1] = its length. */
struct mqm_state {
	uint32_t *sb;
	size_t ns, max;
};

static const struct {
	const char *ours, *wmt;
} mqm_categories[] = {
	{ "accuracy/untranslated", "Accuracy/Untranslated text" },
	{ "fluency/character-encoding", "Fluency/Character encoding" },
	{ "locale-convention", "Locale convention" },
	{ "non-translation", "Non-translation!" },
	{ "source-error", "Source error" },
	{ "no-error", "No-error" },
};

/* Capitalises each part, '-' as a space: "style/awkward" -> "Style/Awkward". */
const char *
export_mqm_category(struct call *c, const char *category)
{
	char *w;

	for (size_t i = 0; i < sizeof(mqm_categories) / sizeof(*mqm_categories);
	     i++)
		if (strcmp(category, mqm_categories[i].ours) == 0)
			return mqm_categories[i].wmt;
	if ((w = call_strndup(c, category, strlen(category))) == NULL)
		return "";
	for (size_t i = 0; w[i] != '\0'; i++) {
		if (w[i] == '-')
			w[i] = ' ';
		if (i == 0 || w[i - 1] == '/')
			w[i] = (char)toupper((unsigned char)w[i]);
	}
	return w;
}

const char *
export_mqm_severity(struct call *c, const char *severity)
{
	char *w = call_strndup(c, severity, strlen(severity));

	if (w == NULL)
		return "";
	w[0] = (char)toupper((unsigned char)w[0]);
	return w;
}

static void
mqm_prologue(struct export_ctx *x, Gloss__V1__LabelSet **sets, size_t n)
{
	(void)sets;
	(void)n;
	export_puts(x->out, "system\tdoc\tdoc_id\tseg_id\trater\tsource\ttarget"
	                    "\tcategory\tseverity\tcomment\n");
}

static bool
mqm_push(struct mqm_state *st, size_t at)
{
	uint32_t *grown;

	if (st->ns == st->max) {
		st->max = st->max ? 2 * st->max : 256;
		if ((grown = realloc(st->sb, st->max * sizeof(*grown))) == NULL)
			return false;
		st->sb = grown;
	}
	st->sb[st->ns++] = (uint32_t)at;
	return true;
}

static void
mqm_open(struct export_ctx *x)
{
	struct mqm_state *st = call_alloc(x->call, sizeof(*st));

	if (st == NULL) {
		x->out->oom = x->out->full = true;
		return;
	}
	memset(st, 0, sizeof(*st));
	x->state = st;
}

/* The article's sentences, found when first needed: a page that writes no
 * note of the article and does not complete it never walks its text. */
static bool
mqm_sentences(struct export_ctx *x, struct mqm_state *st)
{
	struct export_breaks b;
	size_t at;
	bool ok;

	if (st->ns > 0)
		return true;
	ok = export_breaks_open(&b, x->article->text, x->text_len,
	         x->article->language, false) &&
	     mqm_push(st, 0);
	while (ok && (at = export_breaks_next(&b)) != EXPORT_BREAKS_END)
		ok = mqm_push(st, at);
	export_breaks_close(&b);
	if (!ok) {
		st->ns = 0;
		x->out->oom = x->out->full = true;
	}
	return ok;
}

/* The segments of a complete article count in the seg_id of the next. */
static void
mqm_close(struct export_ctx *x)
{
	struct mqm_state *st = x->state;

	if (st == NULL)
		return;
	if (x->complete && mqm_sentences(x, st))
		x->counter += st->ns - 1;
	free(st->sb);
}

/* The sentence that holds byte `at` (0-based), of boundaries sb[0..ns). */
static size_t
mqm_sentence(const uint32_t *sb, size_t ns, size_t at)
{
	size_t lo = 0, hi = ns - 1;

	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;
		if (sb[mid] <= at)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

/* text[from..to) on one line: TABs and line breaks as spaces. */
static void
mqm_field(struct export_ctx *x, const char *text, size_t from, size_t to)
{
	export_write_line(x->out, text + from, to - from);
}

/* The segment text[from..to) around spans sp[0..n), marked if `mark`. */
static void
mqm_segment(struct export_ctx *x, const char *text, size_t from, size_t to,
    Gloss__V1__Span *const *sp, size_t n, bool mark)
{
	size_t at = from;

	/* Trailing white space of the sentence is no part of it. */
	while (
	    to > sp[n - 1]->byte_end && strchr(" \t\r\n", text[to - 1]) != NULL)
		to--;
	for (size_t i = 0; i < n && mark; i++) {
		mqm_field(x, text, at, sp[i]->byte_start);
		export_puts(x->out, "<v>");
		mqm_field(x, text, sp[i]->byte_start, sp[i]->byte_end);
		export_puts(x->out, "</v>");
		at = sp[i]->byte_end;
	}
	mqm_field(x, text, at, to);
}

/* The target column: the sentence(s) of the article that the spans touch. */
static void
mqm_target(struct export_ctx *x, const struct mqm_state *st,
    const Gloss__V1__Annotation *a, bool mark)
{
	size_t first = mqm_sentence(st->sb, st->ns, a->spans[0]->byte_start);
	size_t last = mqm_sentence(st->sb, st->ns,
	    a->spans[a->n_spans - 1]->byte_end - 1);

	mqm_segment(x, x->article->text, st->sb[first],
	    last + 1 < st->ns ? st->sb[last + 1] : x->text_len, a->spans,
	    a->n_spans, mark);
}

static void
mqm_comment(struct export_ctx *x, const Gloss__V1__TranslationNote *t)
{
	if (t->comment[0] != '\0')
		mqm_field(x, t->comment, 0, strlen(t->comment));
	if (t->suggestion[0] != '\0') {
		export_puts(x->out, t->comment[0] != '\0' ? "; " : "");
		export_puts(x->out, "suggestion: ");
		mqm_field(x, t->suggestion, 0, strlen(t->suggestion));
	}
}

/* The source column: the source sentence(s) of the note's source span,
 * found by the sentence iterator around it (not walked from the start). */
static void
mqm_source(struct export_ctx *x, const Gloss__V1__Annotation *a, bool mark)
{
	const Gloss__V1__TranslationNote *t = a->translation_note;
	const Gloss__V1__Article *src = x->source;
	const Gloss__V1__Span *sp = t->source_span;
	struct export_breaks b;
	size_t from, to, n;

	if (sp == NULL || src == NULL)
		return;
	n = strlen(src->text);
	if (sp->byte_end > n || sp->byte_start >= sp->byte_end)
		return;
	if (!export_breaks_open(&b, src->text, n, src->language, false)) {
		export_breaks_close(&b);
		x->out->oom = x->out->full = true;
		return;
	}
	export_breaks_around(&b, sp->byte_start, sp->byte_end, &from, &to);
	export_breaks_close(&b);
	mqm_segment(x, src->text, from, to,
	    (Gloss__V1__Span *const *)&t->source_span, 1, mark);
}

static const char *
mqm_system(const Gloss__V1__Article *a)
{
	for (size_t i = 0; i < a->n_metadata; i++)
		if (strcmp(a->metadata[i]->key, "system") == 0 &&
		    a->metadata[i]->value[0] != '\0')
			return a->metadata[i]->value;
	return a->id;
}

static void
mqm_annotation(struct export_ctx *x, const Gloss__V1__Annotation *a)
{
	struct mqm_state *st = x->state;
	const Gloss__V1__TranslationNote *t;
	size_t seg;
	bool on_source;

	if (a->body_case != GLOSS__V1__ANNOTATION__BODY_TRANSLATION_NOTE) {
		export_loss(x->out, a->article_id, a->id, "kind",
		    "mqm carries translation notes only; this is %s",
		    export_kind_name(a->kind));
		return;
	}
	if (st == NULL || !mqm_sentences(x, st))
		return;
	t = a->translation_note;
	on_source = t->source_span != NULL && x->source != NULL &&
	            (strcmp(t->category, "accuracy/omission") == 0 ||
	                strcmp(t->category, "source-error") == 0);
	if (a->n_spans > 1)
		export_loss(x->out, a->article_id, a->id, "discontinuous",
		    "a discontinuous span of %zu parts is marked as %zu <v> "
		    "ranges in one row",
		    a->n_spans, a->n_spans);
	seg = mqm_sentence(st->sb, st->ns, a->spans[0]->byte_start);
	x->written++;
	mqm_field(x, mqm_system(x->article), 0, strlen(mqm_system(x->article)));
	export_printf(x->out, "\t%s\t%zu\t%" PRIu64 "\t", t->source_article_id,
	    seg + 1, x->counter + seg + 1);
	mqm_field(x, a->created_by, 0, strlen(a->created_by));
	export_puts(x->out, "\t");
	mqm_source(x, a, on_source);
	export_puts(x->out, "\t");
	mqm_target(x, st, a, !on_source);
	export_printf(x->out, "\t%s\t%s\t",
	    export_mqm_category(x->call, t->category),
	    export_mqm_severity(x->call, t->severity));
	mqm_comment(x, t);
	export_puts(x->out, "\n");
}

const struct export_format export_mqm = {
	.name = "mqm",
	.flags = EXPORT_SOURCES,
	.prologue = mqm_prologue,
	.open = mqm_open,
	.annotation = mqm_annotation,
	.close = mqm_close,
};
