/*
 * annotation_check: what makes an annotation valid: its spans, its body's
 * labels and references, the size of its record.  Spans are resolved by
 * span.c, labels checked by label.c; articles are read through store.h.
 * Never writes.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "annotation.h"
#include "label.h"
#include "span.h"
#include "store.h"
#include "valid.h"

enum status
annotation_article(struct call *c, const char *id, const char *field,
    struct annotation_refs *refs, Gloss__V1__Article **a)
{
	uint64_t as_of = refs != NULL ? refs->as_of : 0;
	enum status s;

	*a = NULL;
	if (id[0] == '\0')
		return call_fail(c, REASON(FIELD_REQUIRED), field,
		    "%s is required", field);
	if (!valid_id(id))
		return call_fail(c, REASON(FIELD_INVALID), field,
		    "%s %s is not an article id", field, valid_show(c, id));
	s = store_article_get(c->txn, id, &c->allocator, a);
	if (s == STATUS_NOT_FOUND && refs != NULL && refs->may_defer) {
		refs->deferred = true;
		return STATUS_OK;
	}
	if (s == STATUS_NOT_FOUND)
		return call_article_not_found(c, field, id);
	if (s != STATUS_OK)
		return call_error(c, s, "cannot read article '%s'", id);
	/* Deleted then (for an import: by the revision's change) means
	 * nothing could point into it. */
	if ((*a)->state == GLOSS__V1__STATE__STATE_DELETED &&
	    (as_of == 0 || (*a)->delete_seq <= as_of)) {
		call_fail(c, REASON(ARTICLE_DELETED), field,
		    "article '%s' is deleted (by %s); annotations cannot point "
		    "into it",
		    id, (*a)->deleted_by);
		return call_current_article(c, *a);
	}
	return STATUS_OK;
}

static enum status
ann_length(struct call *c, const char *s, size_t max, const char *field)
{
	if (strlen(s) > max)
		return call_fail(c, REASON(FIELD_OVER_LIMIT), field,
		    "%s is %zu bytes; the limit is %zu", field, strlen(s), max);
	return STATUS_OK;
}

/* ------------------------------------------------------------ spans */

static int
ann_span_cmp(const void *x, const void *y)
{
	const Gloss__V1__Span *a = *(Gloss__V1__Span *const *)x;
	const Gloss__V1__Span *b = *(Gloss__V1__Span *const *)y;

	if (a->byte_start != b->byte_start)
		return a->byte_start < b->byte_start ? -1 : 1;
	return a->byte_end < b->byte_end ? -1 : a->byte_end > b->byte_end;
}

/* Whether span x is exactly y (an imported span and the one glossd makes
 * of its byte range). */
static bool
ann_span_same(const Gloss__V1__Span *x, const Gloss__V1__Span *y)
{
	return x->byte_start == y->byte_start && x->byte_end == y->byte_end &&
	       x->char_start == y->char_start && x->char_end == y->char_end &&
	       x->utf16_start == y->utf16_start &&
	       x->utf16_end == y->utf16_end &&
	       strcmp(x->exact, y->exact) == 0 &&
	       strcmp(x->prefix, y->prefix) == 0 &&
	       strcmp(x->suffix, y->suffix) == 0;
}

static enum status
ann_span_mismatch(struct call *c, const char *field)
{
	return call_fail(c, REASON(SPAN_MISMATCH), field,
	    "a span does not match the article's text (its offsets, exact, "
	    "prefix or suffix differ from what the text has there)");
}

/* The i-th selector of a: its own, or a range made from span i. */
static const Gloss__V1__SpanSelector *
ann_selector(const Gloss__V1__Annotation *a, size_t i,
    Gloss__V1__SpanSelector *sel, Gloss__V1__Range *range)
{
	if (a->n_select > 0)
		return a->select[i];
	gloss__v1__span_selector__init(sel);
	gloss__v1__range__init(range);
	sel->selector_case = GLOSS__V1__SPAN_SELECTOR__SELECTOR_RANGE;
	sel->range = range;
	range->unit = GLOSS__V1__UNIT__UNIT_BYTES;
	if (a->spans[i] != NULL) {
		range->start = a->spans[i]->byte_start;
		range->end = a->spans[i]->byte_end;
	}
	return sel;
}

static enum status
ann_spans_disjoint(struct call *c, Gloss__V1__Span **spans, size_t n)
{
	for (size_t i = 1; i < n; i++)
		if (spans[i]->byte_start < spans[i - 1]->byte_end)
			return call_fail(c, REASON(SPANS_OVERLAP),
			    "annotation.select",
			    "the spans of one annotation must not overlap: "
			    "'%s' (chars %u-%u) and '%s' (chars %u-%u)",
			    call_clip(c, spans[i - 1]->exact, 80),
			    spans[i - 1]->char_start, spans[i - 1]->char_end,
			    call_clip(c, spans[i]->exact, 80),
			    spans[i]->char_start, spans[i]->char_end);
	return STATUS_OK;
}

enum status
annotation_check_spans(struct call *c, Gloss__V1__Annotation *a,
    const Gloss__V1__Article *art, struct annotation_refs *refs)
{
	size_t n = a->n_select > 0 ? a->n_select : a->n_spans;
	size_t len = strlen(art->text);
	Gloss__V1__Span **spans = call_alloc(c, (n + 1) * sizeof(*spans));
	Gloss__V1__SpanSelector sel;
	Gloss__V1__Range range;
	enum status s;

	if (n == 0 || n > ANNOTATION_SPANS_MAX)
		return call_fail(c,
		    n == 0 ? REASON(FIELD_REQUIRED) : REASON(FIELD_OVER_LIMIT),
		    "annotation.select",
		    "an annotation has 1 to %d spans (several for a "
		    "discontinuous mention); this one has %zu",
		    ANNOTATION_SPANS_MAX, n);
	if (spans == NULL)
		return call_fail(c, REASON(OUT_OF_MEMORY), NULL,
		    "out of memory");
	for (size_t i = 0; i < n; i++) {
		s = span_resolve(c, art->text, len, art->id,
		    ann_selector(a, i, &sel, &range),
		    a->n_select > 0 ? "annotation.select" : "annotation.spans",
		    &spans[i]);
		if (s != STATUS_OK)
			return s;
		if (refs != NULL && a->n_select == 0 &&
		    (a->spans[i] == NULL ||
		        !ann_span_same(spans[i], a->spans[i])))
			return ann_span_mismatch(c, "annotation.spans");
	}
	qsort(spans, n, sizeof(*spans), ann_span_cmp);
	if ((s = ann_spans_disjoint(c, spans, n)) != STATUS_OK)
		return s;
	for (size_t i = 0; refs != NULL && a->n_select == 0 && i < n; i++)
		if (spans[i]->byte_start != a->spans[i]->byte_start)
			return ann_span_mismatch(c, "annotation.spans");
	a->spans = spans;
	a->n_spans = n;
	a->select = NULL;
	a->n_select = 0;
	return STATUS_OK;
}

/*
 * Resolves a span of another article: `sel` if given, else the byte range
 * of *span (as stored), into *span.  For an import the span given must be
 * the one glossd makes.
 */
static enum status
ann_other_span(struct call *c, const Gloss__V1__Article *src,
    const Gloss__V1__SpanSelector *sel, Gloss__V1__Span **span,
    const char *field, const struct annotation_refs *refs)
{
	Gloss__V1__Annotation one = GLOSS__V1__ANNOTATION__INIT;
	Gloss__V1__SpanSelector range_sel;
	Gloss__V1__Range range;
	Gloss__V1__Span *given = *span;
	enum status s;

	if (sel == NULL) {
		one.spans = span;
		one.n_spans = 1;
		sel = ann_selector(&one, 0, &range_sel, &range);
	}
	s = span_resolve(c, src->text, strlen(src->text), src->id, sel, field,
	    span);
	if (s == STATUS_OK && refs != NULL && given != NULL &&
	    !ann_span_same(*span, given))
		return ann_span_mismatch(c, field);
	return s;
}

/* ------------------------------------------------------------ bodies */

static enum status
ann_check_entity(struct call *c, Gloss__V1__Entity *e)
{
	enum status s;

	if ((s = label_check(c, "entity", e->label, "entity.label")) !=
	    STATUS_OK)
		return s;
	if (!valid_kb_id(e->kb_id))
		return call_fail(c, REASON(FIELD_INVALID), "entity.kb_id",
		    "kb_id %s is not a Wikidata QID (Q followed by digits, "
		    "e.g. Q305177) or NIL",
		    valid_show(c, e->kb_id));
	return ann_length(c, e->canonical_name, ANNOTATION_SHORT_MAX,
	    "entity.canonical_name");
}

static enum status
ann_check_evidence(struct call *c, Gloss__V1__Evidence *ev,
    struct annotation_refs *refs)
{
	Gloss__V1__Article *src;
	enum status s;

	if ((s = ann_length(c, ev->quote, ANNOTATION_LONG_MAX,
	         "evidence.quote")) != STATUS_OK)
		return s;
	if (ev->article_id[0] == '\0') {
		if (!valid_url(ev->url))
			return call_fail(c, REASON(FIELD_INVALID), "evidence",
			    "evidence is a span of a stored article "
			    "(article_id and select) or an http(s) URL of at "
			    "most %d bytes; got %s",
			    VALID_URL_MAX, valid_show(c, ev->url));
		return STATUS_OK;
	}
	if (ev->url[0] != '\0')
		return call_fail(c, REASON(FIELDS_CONFLICT), "evidence",
		    "evidence names an article or a URL, not both");
	if ((s = annotation_article(c, ev->article_id, "evidence.article_id",
	         refs, &src)) != STATUS_OK ||
	    src == NULL)
		return s; /* deferred: checked when the import ends */
	if (ev->select == NULL && ev->span == NULL)
		return call_fail(c, REASON(FIELD_REQUIRED), "evidence.select",
		    "evidence in an article needs a span of it (select)");
	s = ann_other_span(c, src, ev->select, &ev->span, "evidence.select",
	    refs);
	ev->select = NULL;
	return s;
}

static enum status
ann_check_correction(struct call *c, Gloss__V1__FactCorrection *f,
    const Gloss__V1__Annotation *a, struct annotation_refs *refs)
{
	enum status s;

	if ((s = label_check(c, "verdict", f->verdict,
	         "fact_correction.verdict")) != STATUS_OK)
		return s;
	if ((s = ann_length(c, f->claim, ANNOTATION_SHORT_MAX,
	         "fact_correction.claim")) != STATUS_OK ||
	    (s = ann_length(c, f->corrected, ANNOTATION_SHORT_MAX,
	         "fact_correction.corrected")) != STATUS_OK ||
	    (s = ann_length(c, f->comment, ANNOTATION_LONG_MAX,
	         "fact_correction.comment")) != STATUS_OK)
		return s;
	if (f->n_evidence > ANNOTATION_EVIDENCE_MAX)
		return call_fail(c, REASON(FIELD_OVER_LIMIT),
		    "fact_correction.evidence",
		    "at most %d pieces of evidence; this has %zu",
		    ANNOTATION_EVIDENCE_MAX, f->n_evidence);
	for (size_t i = 0; i < f->n_evidence; i++)
		if ((s = ann_check_evidence(c, f->evidence[i], refs)) !=
		    STATUS_OK)
			return s;
	if (f->claim[0] == '\0') /* what the span says is the claim */
		f->claim = a->spans[0]->exact;
	return STATUS_OK;
}

/* The source of a translation note: named, or the article translated;
 * *src is NULL if it is deferred. */
static enum status
ann_note_source(struct call *c, Gloss__V1__TranslationNote *t,
    const Gloss__V1__Article *target, struct annotation_refs *refs,
    Gloss__V1__Article **src)
{
	const char *field = "translation_note.source_article_id";
	enum status s;

	if (t->source_article_id[0] == '\0')
		t->source_article_id = target->translation_of;
	if (t->source_article_id[0] == '\0')
		return call_fail(c, REASON(FIELD_REQUIRED), field,
		    "article '%s' is not a translation (it has no "
		    "translation_of); name the source article",
		    target->id);
	if (strcmp(t->source_article_id, target->id) == 0)
		return call_fail(c, REASON(FIELD_INVALID), field,
		    "a translation note's source must be another article");
	if ((s = annotation_article(c, t->source_article_id, field, refs,
	         src)) != STATUS_OK ||
	    *src == NULL)
		return s;
	if (strcmp((*src)->group, target->group) != 0)
		return call_fail(c, REASON(FIELD_INVALID), field,
		    "article '%s' (group '%s') is not in the translation group "
		    "of '%s' (group '%s')",
		    (*src)->id, (*src)->group, target->id, target->group);
	return STATUS_OK;
}

static enum status
ann_check_translation(struct call *c, Gloss__V1__TranslationNote *t,
    const Gloss__V1__Article *target, struct annotation_refs *refs)
{
	Gloss__V1__Article *src;
	enum status s;

	if ((s = label_check(c, "mqm_category", t->category,
	         "translation_note.category")) != STATUS_OK ||
	    (s = label_check(c, "mqm_severity", t->severity,
	         "translation_note.severity")) != STATUS_OK)
		return s;
	if ((s = ann_length(c, t->suggestion, ANNOTATION_LONG_MAX,
	         "translation_note.suggestion")) != STATUS_OK ||
	    (s = ann_length(c, t->comment, ANNOTATION_LONG_MAX,
	         "translation_note.comment")) != STATUS_OK)
		return s;
	if ((s = ann_note_source(c, t, target, refs, &src)) != STATUS_OK ||
	    src == NULL)
		return s;
	if (t->source_select == NULL && t->source_span == NULL)
		return STATUS_OK; /* an omission or addition has none */
	s = ann_other_span(c, src, t->source_select, &t->source_span,
	    "translation_note.source_select", refs);
	t->source_select = NULL;
	return s;
}

enum status
annotation_check_body(struct call *c, Gloss__V1__Annotation *a,
    const Gloss__V1__Article *art, struct annotation_refs *refs)
{
	switch (a->body_case) {
	case GLOSS__V1__ANNOTATION__BODY_ENTITY:
		a->kind = GLOSS__V1__KIND__KIND_ENTITY;
		return ann_check_entity(c, a->entity);
	case GLOSS__V1__ANNOTATION__BODY_FACT_CORRECTION:
		a->kind = GLOSS__V1__KIND__KIND_FACT_CORRECTION;
		return ann_check_correction(c, a->fact_correction, a, refs);
	case GLOSS__V1__ANNOTATION__BODY_TRANSLATION_NOTE:
		a->kind = GLOSS__V1__KIND__KIND_TRANSLATION_NOTE;
		return ann_check_translation(c, a->translation_note, art, refs);
	case GLOSS__V1__ANNOTATION__BODY_NOTE:
		a->kind = GLOSS__V1__KIND__KIND_NOTE;
		if (a->note->text[0] == '\0')
			return call_fail(c, REASON(FIELD_REQUIRED), "note.text",
			    "a note needs text");
		return ann_length(c, a->note->text, ANNOTATION_LONG_MAX,
		    "note.text");
	default:
		return call_fail(c, REASON(FIELD_REQUIRED), "annotation",
		    "an annotation needs a body: entity, fact_correction, "
		    "translation_note or note");
	}
}

/* ------------------------------------------------------------ size */

static size_t
ann_span_text(const Gloss__V1__Span *sp)
{
	if (sp == NULL)
		return 0;
	return strlen(sp->exact) + strlen(sp->prefix) + strlen(sp->suffix);
}

/* Bytes of text the spans of a, its source span and its evidence quote. */
static void
ann_quoted(const Gloss__V1__Annotation *a, size_t *spans, size_t *source,
    size_t *evidence)
{
	*spans = *source = *evidence = 0;
	for (size_t i = 0; i < a->n_spans; i++)
		*spans += ann_span_text(a->spans[i]);
	if (a->body_case == GLOSS__V1__ANNOTATION__BODY_TRANSLATION_NOTE)
		*source = ann_span_text(a->translation_note->source_span);
	if (a->body_case != GLOSS__V1__ANNOTATION__BODY_FACT_CORRECTION)
		return;
	for (size_t i = 0; i < a->fact_correction->n_evidence; i++)
		*evidence +=
		    ann_span_text(a->fact_correction->evidence[i]->span);
}

enum status
annotation_check_record(struct call *c, const Gloss__V1__Annotation *a,
    size_t limit)
{
	size_t n = protobuf_c_message_get_packed_size(&a->base);
	size_t spans, source, evidence;

	if (n <= limit)
		return STATUS_OK;
	ann_quoted(a, &spans, &source, &evidence);
	return call_fail(c, REASON(RECORD_TOO_LARGE), "annotation",
	    "the annotation would be a record of %zu bytes: its spans quote "
	    "%zu bytes of text, its source span %zu, its evidence %zu; glossd "
	    "keeps records of at most %zu bytes, so that one reply can hold "
	    "it: annotate shorter spans (or split the annotation); nothing "
	    "was written",
	    n, spans, source, evidence, limit);
}
