/*
 * export_brat: brat's standoff format, a folder with ID.txt (the text, byte
 * for byte) and ID.ann per article, and annotation.conf and tools.conf.
 * Each annotation is a T line (type, code-point offsets, `;` between the
 * parts of a discontinuous span, parts also cut at line breaks, as a T line
 * holds one line of text), with N (Wikidata), A (verdict, severity) and #
 * AnnotatorNotes lines.  Ids come from the annotation's id (T42, N42, A42,
 * #42), so that a file reads the same whatever else was exported with it.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "export.h"

#define BRAT_CORRECTION "Fact_correction"
#define BRAT_NOTE       "Note"

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
brat_head(struct export_ctx *x)
{
	struct export_out *o = x->out;
	const char *txt = call_printf(x->call, "%s.txt", x->article->id);
	const char *ann = call_printf(x->call, "%s.ann", x->article->id);

	if (txt == NULL || ann == NULL) {
		o->oom = o->full = true;
		return;
	}
	o->path = txt;
	export_write(o, x->article->text, x->text_len);
	/* The .ann exists even when the article has no annotations. */
	o->path = ann;
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
		size_t b = sp->start;
		while (b < sp->end) {
			size_t e = b;
			while (
			    e < sp->end && text[e] != '\n' && text[e] != '\r')
				e++;
			if (e > b && text_part)
				export_write(o, first ? "" : " ",
				    first ? 0 : 1);
			if (e > b && text_part)
				export_write(o, text + b, e - b);
			else if (e > b) {
				size_t cb =
				    sp->char_start +
				    export_chars(text + sp->start,
				        sp->end - sp->start, b - sp->start);
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

/* Appends "; label: value" (one line) to a note being built. */
static char *
brat_add(struct call *c, char *note, const char *label, const char *value)
{
	char *v;

	if (note == NULL || value[0] == '\0')
		return note;
	if ((v = export_one_line(c, value, strlen(value))) == NULL)
		return NULL;
	return call_printf(c, "%s%s%s%s%s", note, note[0] ? "; " : "", label,
	    label[0] ? ": " : "", v);
}

static char *
brat_span_ref(struct call *c, const char *id, const Gloss__V1__Span *sp)
{
	if (sp == NULL)
		return call_printf(c, "%s", id);
	return call_printf(c, "%s chars %" PRIu32 "-%" PRIu32 " '%s'", id,
	    sp->char_start, sp->char_end, sp->exact);
}

static char *
brat_correction_note(struct call *c, const Gloss__V1__FactCorrection *f)
{
	char *note = (char *)"";

	note = brat_add(c, note, "corrected", f->corrected);
	note = brat_add(c, note, "claim", f->claim);
	note = brat_add(c, note, "comment", f->comment);
	for (size_t i = 0; i < f->n_evidence && note != NULL; i++) {
		const Gloss__V1__Evidence *ev = f->evidence[i];
		char *ref = ev->article_id[0] != '\0'
		                ? brat_span_ref(c, ev->article_id, ev->span)
		                : call_printf(c, "%s%s%s%s", ev->url,
		                      ev->quote[0] ? " '" : "", ev->quote,
		                      ev->quote[0] ? "'" : "");
		note = ref != NULL ? brat_add(c, note, "evidence", ref) : NULL;
	}
	return note;
}

static char *
brat_translation_note(struct call *c, const Gloss__V1__TranslationNote *t)
{
	char *note = (char *)"", *src;

	src = brat_span_ref(c, t->source_article_id, t->source_span);
	note = src != NULL ? brat_add(c, note, "source", src) : NULL;
	note = brat_add(c, note, "suggestion", t->suggestion);
	return brat_add(c, note, "comment", t->comment);
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
	char *line = export_one_line(x->call, name, strlen(name));

	if (line == NULL) {
		x->out->oom = x->out->full = true;
		return;
	}
	export_printf(x->out,
	    "N%" PRIu64 "\tReference T%" PRIu64 " Wikidata:%s\t%s\n", a->id,
	    a->id, a->entity->kb_id, line);
}

/* Whether a has text besides line breaks (a T line cannot be empty). */
static bool
brat_has_text(const struct export_ctx *x, const Gloss__V1__Annotation *a)
{
	for (size_t i = 0; i < a->n_spans; i++)
		for (size_t b = a->spans[i]->start; b < a->spans[i]->end; b++)
			if (x->article->text[b] != '\n' &&
			    x->article->text[b] != '\r')
				return true;
	return false;
}

static void
brat_annotation(struct export_ctx *x, const Gloss__V1__Annotation *a)
{
	struct export_out *o = x->out;
	struct call *c = x->call;
	char *note = (char *)"";

	o->path = call_printf(c, "%s.ann", x->article->id);
	if (o->path == NULL) {
		o->oom = o->full = true;
		return;
	}
	if (!brat_has_text(x, a)) {
		export_loss(o, a->article_id, a->id, "empty",
		    "the span holds only line breaks, which a T line cannot "
		    "show");
		return;
	}
	brat_t_line(x, a, brat_ann_type(x, a));
	switch (a->body_case) {
	case GLOSS__V1__ANNOTATION__BODY_ENTITY:
		if (a->entity->kb_id[0] == 'Q')
			brat_n_line(x, a);
		else
			note = brat_add(c, note, "kb", a->entity->kb_id);
		if (a->entity->kb_id[0] != 'Q')
			note = brat_add(c, note, "canonical",
			    a->entity->canonical_name);
		break;
	case GLOSS__V1__ANNOTATION__BODY_FACT_CORRECTION:
		export_printf(o, "A%" PRIu64 "\tVerdict T%" PRIu64 " %s\n",
		    a->id, a->id, a->fact_correction->verdict);
		note = brat_correction_note(c, a->fact_correction);
		break;
	case GLOSS__V1__ANNOTATION__BODY_TRANSLATION_NOTE:
		export_printf(o, "A%" PRIu64 "\tSeverity T%" PRIu64 " %s\n",
		    a->id, a->id, a->translation_note->severity);
		note = brat_translation_note(c, a->translation_note);
		break;
	default:
		note = brat_add(c, note, "", a->note->text);
	}
	if (note == NULL) {
		o->oom = o->full = true;
		return;
	}
	if (note[0] != '\0')
		export_printf(o,
		    "#%" PRIu64 "\tAnnotatorNotes T%" PRIu64 "\t%s\n", a->id,
		    a->id, note);
}

const struct export_format export_brat = {
	.name = "brat",
	.prologue = brat_prologue,
	.head = brat_head,
	.annotation = brat_annotation,
};
