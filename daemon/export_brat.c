/*
 * export_brat: brat's standoff format, a folder with ID.txt (the text, byte
 * for byte) and ID.ann per article, and annotation.conf and tools.conf.
 * Each annotation is a T line (type, code-point offsets, `;` between the
 * parts of a discontinuous span, parts also cut at line breaks, as a T line
 * holds one line of text), with N (Wikidata), A (verdict, severity) and #
 * AnnotatorNotes lines.  Ids come from the annotation's id (T42, N42, A42,
 * #42), so that a file reads the same whatever else was exported with it.
 * File names come from the article id by a rule that keeps every name
 * inside the folder whatever the id (brat_stem).  Lines are written as they
 * are made: an annotation costs no memory beyond its record.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "export.h"
#include "hash.h"

#define BRAT_CORRECTION "Fact_correction"
#define BRAT_NOTE       "Note"
#define BRAT_STEM_MAX   200 /* bytes of a file name before .txt, .ann */

/* The file names of the article in hand. */
struct brat_state {
	char *txt, *ann;
};

/* Whether byte i of id is kept as it is in a file name: A-Z a-z 0-9 _ -,
 * and '.' unless first or beside another '.' (no ".", "..", ".hidden"). */
static bool
brat_stem_keeps(const char *id, size_t i)
{
	char ch = id[i];

	if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	    (ch >= '0' && ch <= '9') || ch == '_' || ch == '-')
		return true;
	return ch == '.' && i > 0 && id[i - 1] != '.' && id[i + 1] != '.';
}

/* Bytes of id's stem before any cut: kept bytes 1, others 3 (%XX). */
static size_t
brat_stem_len(const char *id, size_t n)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		k += brat_stem_keeps(id, i) ? 1 : 3;
	return k;
}

/*
 * The file name stem of article `id`, in the scratch: the id itself when it
 * is a plain name (every id PutArticle accepts, unless it holds ".."), else
 * each other byte as %XX.  A stem that would pass BRAT_STEM_MAX (or be
 * empty) is cut and ends in '~' and 32 hex digits of the id's SHA-256.  So
 * no stem holds '/', "..", a control byte, or starts with '.', and two ids
 * never share one (short of a SHA-256 collision).
 */
static char *
brat_stem(struct call *c, const char *id)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(id), k = 0;
	bool cut = n == 0 || brat_stem_len(id, n) > BRAT_STEM_MAX;
	size_t room = cut ? BRAT_STEM_MAX - 33 : BRAT_STEM_MAX;
	char *stem = call_alloc(c, BRAT_STEM_MAX + 1),
	     digest[2 * HASH_SIZE + 1];

	if (stem == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)id[i];
		bool keep = brat_stem_keeps(id, i);
		if (k + (keep ? 1 : 3) > room)
			break;
		if (keep) {
			stem[k++] = (char)ch;
			continue;
		}
		stem[k++] = '%';
		stem[k++] = hex[ch >> 4];
		stem[k++] = hex[ch & 15];
	}
	if (cut) {
		hash_sha256_hex(id, n, digest);
		stem[k++] = '~';
		memcpy(stem + k, digest, 32);
		k += 32;
	}
	stem[k] = '\0';
	return stem;
}

/* A brat type name: A-Z a-z 0-9 _ - only, '/' (as in the MQM categories)
 * and anything else as '_' ("accuracy/mistranslation" ->
 * "accuracy_mistranslation"). */
static char *
brat_type(struct call *c, const char *label)
{
	char *t = call_strndup(c, label, strlen(label));

	for (char *p = t; p != NULL && *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		        (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'))
			*p = '_';
	return t != NULL ? t : (char *)"";
}

/* Whether brat_type(label) can be read back: only '/' was replaced, and
 * the label had no '_' that a reader would take for one. */
static bool
brat_type_exact(const char *label)
{
	for (const char *p = label; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		        (*p >= '0' && *p <= '9') || *p == '-' ||
		        (*p == '/' && strchr(label, '_') == NULL) ||
		        (*p == '_' && strchr(label, '/') == NULL)))
			return false;
	return true;
}

static void
brat_conf(struct export_ctx *x, Gloss__V1__LabelSet **sets, size_t n_sets)
{
	struct export_out *o = x->out;
	const Gloss__V1__LabelSet *verdicts = NULL, *severities = NULL;

	export_puts(o, "# brat configuration of a gloss export\n"
	               "[entities]\n");
	for (size_t i = 0; i < n_sets; i++) {
		if (strcmp(sets[i]->name, "verdict") == 0)
			verdicts = sets[i];
		if (strcmp(sets[i]->name, "mqm_severity") == 0)
			severities = sets[i];
		if (strcmp(sets[i]->name, "entity") != 0 &&
		    strcmp(sets[i]->name, "mqm_category") != 0)
			continue;
		for (size_t j = 0; j < sets[i]->n_labels; j++)
			export_printf(o, "%s\n",
			    brat_type(x->call, sets[i]->labels[j]->name));
	}
	export_puts(o,
	    BRAT_CORRECTION "\n" BRAT_NOTE "\n\n[relations]\n"
	                    "<OVERLAP> Arg1:<ENTITY>, Arg2:<ENTITY>, "
	                    "<OVL-TYPE>:<ANY>\n\n[events]\n\n[attributes]\n");
	export_puts(o, "Verdict Arg:" BRAT_CORRECTION ", Value:");
	for (size_t j = 0; verdicts != NULL && j < verdicts->n_labels; j++)
		export_printf(o, "%s%s", j > 0 ? "|" : "",
		    verdicts->labels[j]->name);
	export_puts(o, "\nSeverity Arg:<ENTITY>, Value:");
	for (size_t j = 0; severities != NULL && j < severities->n_labels; j++)
		export_printf(o, "%s%s", j > 0 ? "|" : "",
		    severities->labels[j]->name);
	export_puts(o, "\n");
}

static void
brat_prologue(struct export_ctx *x, Gloss__V1__LabelSet **sets, size_t n)
{
	struct export_out *o = x->out;

	o->path = "annotation.conf";
	brat_conf(x, sets, n);
	o->path = "tools.conf";
	export_puts(o, "[normalization]\n"
	               "Wikidata\t<URL>:http://www.wikidata.org/, "
	               "<URLBASE>:http://www.wikidata.org/entity/%s\n");
}

static void
brat_open(struct export_ctx *x)
{
	struct brat_state *st = call_alloc(x->call, sizeof(*st));
	const char *stem = brat_stem(x->call, x->article->id);

	if (st == NULL || stem == NULL ||
	    (st->txt = call_printf(x->call, "%s.txt", stem)) == NULL ||
	    (st->ann = call_printf(x->call, "%s.ann", stem)) == NULL) {
		x->out->oom = x->out->full = true;
		return;
	}
	x->state = st;
}

static void
brat_head(struct export_ctx *x)
{
	struct export_out *o = x->out;
	const struct brat_state *st = x->state;

	if (st == NULL)
		return;
	o->path = st->txt;
	export_write(o, x->article->text, x->text_len);
	/* The .ann exists even when the article has no annotations. */
	o->path = st->ann;
	export_touch(o);
}

/* The T line's offsets (text false) or text (true): each span, cut at
 * line breaks, since a T line holds one line of text. */
static void
brat_fragments(struct export_ctx *x, const Gloss__V1__Annotation *a,
    bool text_part)
{
	const char *text = x->article->text;
	struct export_out *o = x->out;
	bool first = true;

	for (size_t i = 0; i < a->n_spans; i++) {
		const Gloss__V1__Span *sp = a->spans[i];
		size_t b = sp->byte_start;
		while (b < sp->byte_end) {
			size_t e = b;
			while (e < sp->byte_end && text[e] != '\n' &&
			       text[e] != '\r')
				e++;
			if (e > b && text_part)
				export_write(o, first ? "" : " ",
				    first ? 0 : 1);
			if (e > b && text_part)
				export_write(o, text + b, e - b);
			else if (e > b) {
				size_t cb = sp->char_start +
				            export_chars(text + sp->byte_start,
				                sp->byte_end - sp->byte_start,
				                b - sp->byte_start);
				export_printf(o, "%s%zu %zu", first ? " " : ";",
				    cb,
				    cb + export_chars(text + b, e - b, e - b));
			}
			first = first && e == b;
			b = e + 1;
		}
	}
}

static void
brat_t_line(struct export_ctx *x, const Gloss__V1__Annotation *a,
    const char *type)
{
	export_printf(x->out, "T%" PRIu64 "\t%s", a->id, type);
	brat_fragments(x, a, false);
	export_puts(x->out, "\t");
	brat_fragments(x, a, true);
	export_puts(x->out, "\n");
}

/* An AnnotatorNotes line being written: "#ID\tAnnotatorNotes TID\t" and
 * "label: value" parts joined by "; ", begun by its first non-empty part. */
struct brat_note {
	struct export_out *out;
	uint64_t id;
	bool begun;
};

/* Starts a part of the note: the line if need be, "; ", "label: ". */
static void
brat_note_part(struct brat_note *n, const char *label)
{
	if (!n->begun)
		export_printf(n->out,
		    "#%" PRIu64 "\tAnnotatorNotes T%" PRIu64 "\t", n->id,
		    n->id);
	else
		export_puts(n->out, "; ");
	n->begun = true;
	if (label[0] != '\0')
		export_printf(n->out, "%s: ", label);
}

/* A part "label: value", on one line; nothing if value is empty. */
static void
brat_note_add(struct brat_note *n, const char *label, const char *value)
{
	if (value[0] == '\0')
		return;
	brat_note_part(n, label);
	export_write_line(n->out, value, strlen(value));
}

static void
brat_note_end(struct brat_note *n)
{
	if (n->begun)
		export_puts(n->out, "\n");
}

/* A part naming span sp of stored article `id`: "ID chars A-B 'exact'". */
static void
brat_note_span(struct brat_note *n, const char *label, const char *id,
    const Gloss__V1__Span *sp)
{
	if (id[0] == '\0')
		return;
	brat_note_add(n, label, id);
	if (sp == NULL)
		return;
	export_printf(n->out, " chars %" PRIu32 "-%" PRIu32 " '",
	    sp->char_start, sp->char_end);
	export_write_line(n->out, sp->exact, strlen(sp->exact));
	export_puts(n->out, "'");
}

static void
brat_correction_note(struct brat_note *n, const Gloss__V1__FactCorrection *f)
{
	brat_note_add(n, "corrected", f->corrected);
	brat_note_add(n, "claim", f->claim);
	brat_note_add(n, "comment", f->comment);
	for (size_t i = 0; i < f->n_evidence; i++) {
		const Gloss__V1__Evidence *ev = f->evidence[i];
		if (ev->article_id[0] != '\0') {
			brat_note_span(n, "evidence", ev->article_id, ev->span);
			continue;
		}
		if (ev->url[0] == '\0' && ev->quote[0] == '\0')
			continue;
		brat_note_part(n, "evidence");
		export_write_line(n->out, ev->url, strlen(ev->url));
		if (ev->quote[0] == '\0')
			continue;
		export_puts(n->out, " '");
		export_write_line(n->out, ev->quote, strlen(ev->quote));
		export_puts(n->out, "'");
	}
}

static void
brat_translation_note(struct brat_note *n, const Gloss__V1__TranslationNote *t)
{
	brat_note_span(n, "source", t->source_article_id, t->source_span);
	brat_note_add(n, "suggestion", t->suggestion);
	brat_note_add(n, "comment", t->comment);
}

/* The type of a's T line; for an entity also its N line's need. */
static const char *
brat_ann_type(struct export_ctx *x, const Gloss__V1__Annotation *a)
{
	const char *label = export_label(a), *type;

	switch (a->body_case) {
	case GLOSS__V1__ANNOTATION__BODY_FACT_CORRECTION:
		return BRAT_CORRECTION;
	case GLOSS__V1__ANNOTATION__BODY_NOTE:
		return BRAT_NOTE;
	default:
		type = brat_type(x->call, label);
		if (!brat_type_exact(label))
			export_loss(x->out, a->article_id, a->id, "renamed",
			    "brat type names are A-Z a-z 0-9 _: '%s' is "
			    "written '%s'",
			    label, type);
		return type;
	}
}

/* The entity's Wikidata id; the readable string is the canonical name,
 * else the text. */
static void
brat_n_line(struct export_ctx *x, const Gloss__V1__Annotation *a)
{
	const char *name = a->entity->canonical_name[0]
	                       ? a->entity->canonical_name
	                       : a->spans[0]->exact;

	export_printf(x->out,
	    "N%" PRIu64 "\tReference T%" PRIu64 " Wikidata:", a->id, a->id);
	export_write_line(x->out, a->entity->kb_id, strlen(a->entity->kb_id));
	export_puts(x->out, "\t");
	export_write_line(x->out, name, strlen(name));
	export_puts(x->out, "\n");
}

/* Whether a has text besides line breaks (a T line cannot be empty). */
static bool
brat_has_text(const struct export_ctx *x, const Gloss__V1__Annotation *a)
{
	for (size_t i = 0; i < a->n_spans; i++)
		for (size_t b = a->spans[i]->byte_start;
		     b < a->spans[i]->byte_end; b++)
			if (x->article->text[b] != '\n' &&
			    x->article->text[b] != '\r')
				return true;
	return false;
}

/* The lines after the T line: N, A, and the AnnotatorNotes. */
static void
brat_more(struct export_ctx *x, const Gloss__V1__Annotation *a)
{
	struct brat_note n = { x->out, a->id, false };

	switch (a->body_case) {
	case GLOSS__V1__ANNOTATION__BODY_ENTITY:
		if (a->entity->kb_id[0] == 'Q') {
			brat_n_line(x, a);
			break;
		}
		brat_note_add(&n, "kb", a->entity->kb_id);
		brat_note_add(&n, "canonical", a->entity->canonical_name);
		break;
	case GLOSS__V1__ANNOTATION__BODY_FACT_CORRECTION:
		export_printf(x->out, "A%" PRIu64 "\tVerdict T%" PRIu64 " %s\n",
		    a->id, a->id, a->fact_correction->verdict);
		brat_correction_note(&n, a->fact_correction);
		break;
	case GLOSS__V1__ANNOTATION__BODY_TRANSLATION_NOTE:
		export_printf(x->out,
		    "A%" PRIu64 "\tSeverity T%" PRIu64 " %s\n", a->id, a->id,
		    a->translation_note->severity);
		brat_translation_note(&n, a->translation_note);
		break;
	default:
		brat_note_add(&n, "", a->note != NULL ? a->note->text : "");
	}
	brat_note_end(&n);
}

static void
brat_annotation(struct export_ctx *x, const Gloss__V1__Annotation *a)
{
	const struct brat_state *st = x->state;

	if (st == NULL)
		return;
	x->out->path = st->ann;
	if (!brat_has_text(x, a)) {
		export_loss(x->out, a->article_id, a->id, "empty",
		    "the span holds only line breaks, which a T line cannot "
		    "show");
		return;
	}
	brat_t_line(x, a, brat_ann_type(x, a));
	brat_more(x, a);
	x->written++;
}

const struct export_format export_brat = {
	.name = "brat",
	.prologue = brat_prologue,
	.open = brat_open,
	.head = brat_head,
	.annotation = brat_annotation,
};
