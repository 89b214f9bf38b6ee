/*
 * annotation: the handlers of the *Annotation methods: what makes an
 * annotation valid (its spans, its body's labels and references), its
 * revisions and tombstones.  Spans are resolved by span.c, labels checked
 * by label.c; reads and writes go through store.h only.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "feed.h"
#include "label.h"
#include "method.h"
#include "page.h"
#include "span.h"
#include "store.h"

#define ANN_SPANS_MAX    16
#define ANN_EVIDENCE_MAX 16
#define ANN_SHORT_MAX    1024  /* claim, corrected value, canonical name */
#define ANN_LONG_MAX     16384 /* comments, notes, suggestions */
#define ANN_URL_MAX      2048

/* An article a body refers to, with its text, for resolving spans in it. */
static enum status
ann_article(struct call *c, const char *id, const char *field,
    Gloss__V1__Article **a)
{
	enum status s;

	if (id[0] == '\0')
		return call_field_error(c, STATUS_INVALID_ARGUMENT, field,
		    "%s is required", field);
	s = store_article_get(c->txn, id, &c->allocator, a);
	if (s == STATUS_NOT_FOUND)
		return call_field_error(c, s, field, "article '%s' not found",
		    call_clip(c, id, 140));
	if (s != STATUS_OK)
		return call_error(c, s, "cannot read article '%s'",
		    call_clip(c, id, 140));
	if ((*a)->state == GLOSS__V1__STATE__STATE_DELETED)
		return call_field_error(c, STATUS_FAILED_PRECONDITION, field,
		    "article '%s' is deleted (by %s); annotations cannot point "
		    "into it",
		    id, (*a)->deleted_by);
	return STATUS_OK;
}

static enum status
ann_length(struct call *c, const char *s, size_t max, const char *field)
{
	if (strlen(s) > max)
		return call_field_error(c, STATUS_INVALID_ARGUMENT, field,
		    "%s is %zu bytes; the limit is %zu", field, strlen(s), max);
	return STATUS_OK;
}

/* ------------------------------------------------------------ spans */

static int
ann_span_cmp(const void *x, const void *y)
{
	const Gloss__V1__Span *a = *(Gloss__V1__Span *const *)x;
	const Gloss__V1__Span *b = *(Gloss__V1__Span *const *)y;

	if (a->start != b->start)
		return a->start < b->start ? -1 : 1;
	return a->end < b->end ? -1 : a->end > b->end;
}

/*
 * Resolves the annotation's selectors (or, when it has none, the byte
 * ranges of the spans it came with, as an export carries them) against
 * the article's text into a->spans, sorted, and drops the selectors.
 */
static enum status
ann_resolve_spans(struct call *c, Gloss__V1__Annotation *a,
    const Gloss__V1__Article *art)
{
	size_t n = a->n_select > 0 ? a->n_select : a->n_spans;
	size_t len = strlen(art->text);
	Gloss__V1__Span **spans = call_alloc(c, (n + 1) * sizeof(*spans));
	Gloss__V1__SpanSelector sel = GLOSS__V1__SPAN_SELECTOR__INIT;
	Gloss__V1__Range range = GLOSS__V1__RANGE__INIT;
	enum status s;

	if (n == 0 || n > ANN_SPANS_MAX)
		return call_field_error(c, STATUS_INVALID_ARGUMENT,
		    "annotation.select",
		    "an annotation has 1 to %d spans (several for a "
		    "discontinuous mention); this one has %zu",
		    ANN_SPANS_MAX, n);
	if (spans == NULL)
		return call_error(c, STATUS_RESOURCE_EXHAUSTED,
		    "out of memory");
	sel.selector_case = GLOSS__V1__SPAN_SELECTOR__SELECTOR_RANGE;
	sel.range = &range;
	for (size_t i = 0; i < n; i++) {
		const Gloss__V1__SpanSelector *si = &sel;
		if (a->n_select > 0)
			si = a->select[i];
		else if (a->spans[i] != NULL) {
			range.start = a->spans[i]->start;
			range.end = a->spans[i]->end;
		}
		s = span_resolve(c, art->text, len, art->id, si,
		    a->n_select > 0 ? "annotation.select" : "annotation.spans",
		    &spans[i]);
		if (s != STATUS_OK)
			return s;
	}
	qsort(spans, n, sizeof(*spans), ann_span_cmp);
	for (size_t i = 1; i < n; i++)
		if (spans[i]->start < spans[i - 1]->end)
			return call_field_error(c, STATUS_INVALID_ARGUMENT,
			    "annotation.select",
			    "the spans of one annotation must not overlap: "
			    "'%s' (chars %u-%u) and '%s' (chars %u-%u)",
			    call_clip(c, spans[i - 1]->exact, 80),
			    spans[i - 1]->char_start, spans[i - 1]->char_end,
			    call_clip(c, spans[i]->exact, 80),
			    spans[i]->char_start, spans[i]->char_end);
	a->spans = spans;
	a->n_spans = n;
	a->select = NULL;
	a->n_select = 0;
	return STATUS_OK;
}

/* ------------------------------------------------------------ bodies */

/* A Wikidata QID (Q and digits, no leading zero) or NIL, or nothing. */
static bool
ann_kb_valid(const char *id)
{
	size_t n = strlen(id);

	if (n == 0 || strcmp(id, "NIL") == 0)
		return true;
	if (n < 2 || n > 20 || id[0] != 'Q' || id[1] == '0')
		return false;
	for (size_t i = 1; i < n; i++)
		if (!isdigit((unsigned char)id[i]))
			return false;
	return true;
}

static enum status
ann_check_entity(struct call *c, Gloss__V1__Entity *e)
{
	enum status s;

	if ((s = label_check(c, "entity", e->label, "entity.label")) !=
	    STATUS_OK)
		return s;
	if (!ann_kb_valid(e->kb_id))
		return call_field_error(c, STATUS_INVALID_ARGUMENT,
		    "entity.kb_id",
		    "kb_id '%s' is not a Wikidata QID (Q followed by "
		    "digits, e.g. Q305177) or NIL",
		    call_clip(c, e->kb_id, 40));
	return ann_length(c, e->canonical_name, ANN_SHORT_MAX,
	    "entity.canonical_name");
}

static bool
ann_url_valid(const char *url)
{
	return (strncmp(url, "http://", 7) == 0 && url[7] != '\0') ||
	       (strncmp(url, "https://", 8) == 0 && url[8] != '\0');
}

static enum status
ann_check_evidence(struct call *c, Gloss__V1__Evidence *ev)
{
	Gloss__V1__Article *src;
	enum status s;

	if ((s = ann_length(c, ev->quote, ANN_LONG_MAX, "evidence.quote")) !=
	    STATUS_OK)
		return s;
	if (ev->article_id[0] == '\0') {
		if (!ann_url_valid(ev->url) || strlen(ev->url) > ANN_URL_MAX)
			return call_field_error(c, STATUS_INVALID_ARGUMENT,
			    "evidence",
			    "evidence is a span of a stored article "
			    "(article_id and select) or an http(s) URL; got "
			    "'%s'",
			    call_clip(c, ev->url, 100));
		return STATUS_OK;
	}
	if (ev->url[0] != '\0')
		return call_field_error(c, STATUS_INVALID_ARGUMENT, "evidence",
		    "evidence names an article or a URL, not both");
	if ((s = ann_article(c, ev->article_id, "evidence.article_id", &src)) !=
	    STATUS_OK)
		return s;
	if (ev->select == NULL && ev->span != NULL) {
		Gloss__V1__Range *r = call_alloc(c, sizeof(*r));
		Gloss__V1__SpanSelector *sel = call_alloc(c, sizeof(*sel));
		if (r == NULL || sel == NULL)
			return call_error(c, STATUS_RESOURCE_EXHAUSTED,
			    "out of memory");
		gloss__v1__range__init(r);
		gloss__v1__span_selector__init(sel);
		r->start = ev->span->start;
		r->end = ev->span->end;
		sel->selector_case = GLOSS__V1__SPAN_SELECTOR__SELECTOR_RANGE;
		sel->range = r;
		ev->select = sel;
	}
	s = span_resolve(c, src->text, strlen(src->text), src->id, ev->select,
	    "evidence.select", &ev->span);
	ev->select = NULL;
	return s;
}

static enum status
ann_check_correction(struct call *c, Gloss__V1__FactCorrection *f,
    const Gloss__V1__Annotation *a)
{
	enum status s;

	if ((s = label_check(c, "verdict", f->verdict,
	         "fact_correction.verdict")) != STATUS_OK)
		return s;
	if ((s = ann_length(c, f->claim, ANN_SHORT_MAX,
	         "fact_correction.claim")) != STATUS_OK ||
	    (s = ann_length(c, f->corrected, ANN_SHORT_MAX,
	         "fact_correction.corrected")) != STATUS_OK ||
	    (s = ann_length(c, f->comment, ANN_LONG_MAX,
	         "fact_correction.comment")) != STATUS_OK)
		return s;
	if (f->n_evidence > ANN_EVIDENCE_MAX)
		return call_field_error(c, STATUS_INVALID_ARGUMENT,
		    "fact_correction.evidence",
		    "at most %d pieces of evidence; this has %zu",
		    ANN_EVIDENCE_MAX, f->n_evidence);
	for (size_t i = 0; i < f->n_evidence; i++)
		if ((s = ann_check_evidence(c, f->evidence[i])) != STATUS_OK)
			return s;
	if (f->claim[0] == '\0') /* what the span says is the claim */
		f->claim = a->spans[0]->exact;
	return STATUS_OK;
}

/* The source of a translation note: named, or the article translated. */
static enum status
ann_note_source(struct call *c, Gloss__V1__TranslationNote *t,
    const Gloss__V1__Article *target, Gloss__V1__Article **src)
{
	enum status s;

	if (t->source_article_id[0] == '\0')
		t->source_article_id = target->translation_of;
	if (t->source_article_id[0] == '\0')
		return call_field_error(c, STATUS_INVALID_ARGUMENT,
		    "translation_note.source_article_id",
		    "article '%s' is not a translation (it has no "
		    "translation_of); name the source article",
		    target->id);
	if (strcmp(t->source_article_id, target->id) == 0)
		return call_field_error(c, STATUS_INVALID_ARGUMENT,
		    "translation_note.source_article_id",
		    "a translation note's source must be another article");
	if ((s = ann_article(c, t->source_article_id,
	         "translation_note.source_article_id", src)) != STATUS_OK)
		return s;
	if (strcmp((*src)->group, target->group) != 0)
		return call_field_error(c, STATUS_INVALID_ARGUMENT,
		    "translation_note.source_article_id",
		    "article '%s' (group '%s') is not in the translation group "
		    "of '%s' (group '%s')",
		    (*src)->id, (*src)->group, target->id, target->group);
	return STATUS_OK;
}

static enum status
ann_check_translation(struct call *c, Gloss__V1__TranslationNote *t,
    const Gloss__V1__Article *target)
{
	Gloss__V1__Article *src;
	enum status s;

	if ((s = label_check(c, "mqm_category", t->category,
	         "translation_note.category")) != STATUS_OK ||
	    (s = label_check(c, "mqm_severity", t->severity,
	         "translation_note.severity")) != STATUS_OK)
		return s;
	if ((s = ann_length(c, t->suggestion, ANN_LONG_MAX,
	         "translation_note.suggestion")) != STATUS_OK ||
	    (s = ann_length(c, t->comment, ANN_LONG_MAX,
	         "translation_note.comment")) != STATUS_OK)
		return s;
	if ((s = ann_note_source(c, t, target, &src)) != STATUS_OK)
		return s;
	if (t->source_select == NULL && t->source_span != NULL) {
		/* Given as a span (an import): check it as a byte range. */
		Gloss__V1__Annotation one = GLOSS__V1__ANNOTATION__INIT;
		one.spans = &t->source_span;
		one.n_spans = 1;
		if ((s = ann_resolve_spans(c, &one, src)) != STATUS_OK)
			return s;
		t->source_span = one.spans[0];
		return STATUS_OK;
	}
	if (t->source_select == NULL)
		return STATUS_OK; /* an omission or addition has none */
	s = span_resolve(c, src->text, strlen(src->text), src->id,
	    t->source_select, "translation_note.source_select",
	    &t->source_span);
	t->source_select = NULL;
	return s;
}

/* Checks a's body against the label sets and the articles it names, and
 * sets a->kind from it. */
static enum status
ann_check_body(struct call *c, Gloss__V1__Annotation *a,
    const Gloss__V1__Article *art)
{
	switch (a->body_case) {
	case GLOSS__V1__ANNOTATION__BODY_ENTITY:
		a->kind = GLOSS__V1__KIND__KIND_ENTITY;
		return ann_check_entity(c, a->entity);
	case GLOSS__V1__ANNOTATION__BODY_FACT_CORRECTION:
		a->kind = GLOSS__V1__KIND__KIND_FACT_CORRECTION;
		return ann_check_correction(c, a->fact_correction, a);
	case GLOSS__V1__ANNOTATION__BODY_TRANSLATION_NOTE:
		a->kind = GLOSS__V1__KIND__KIND_TRANSLATION_NOTE;
		return ann_check_translation(c, a->translation_note, art);
	case GLOSS__V1__ANNOTATION__BODY_NOTE:
		a->kind = GLOSS__V1__KIND__KIND_NOTE;
		if (a->note->text[0] == '\0')
			return call_field_error(c, STATUS_INVALID_ARGUMENT,
			    "note.text", "a note needs text");
		return ann_length(c, a->note->text, ANN_LONG_MAX, "note.text");
	default:
		return call_field_error(c, STATUS_INVALID_ARGUMENT,
		    "annotation",
		    "an annotation needs a body: entity, fact_correction, "
		    "translation_note or note");
	}
}

/* ------------------------------------------------------------ writes */

/* Records the change that made revision a->revision and stamps a. */
static enum status
ann_record_change(struct call *c, Gloss__V1__Annotation *a,
    Gloss__V1__Operation op)
{
	struct feed_entry e = { GLOSS__V1__SUBJECT__SUBJECT_ANNOTATION, op,
		a->article_id, a->id, a->revision };
	enum status s;

	a->updated_by = c->req->author;
	a->update_time_ms = c->now_ms;
	if ((s = feed_record(c, &e, &a->update_seq, &a->etag)) != STATUS_OK)
		return s;
	if (op == GLOSS__V1__OPERATION__OPERATION_CREATED) {
		a->create_seq = a->update_seq;
		a->created_by = a->updated_by;
		a->create_time_ms = a->update_time_ms;
	}
	return STATUS_OK;
}

static enum status
ann_store(struct call *c, const Gloss__V1__Annotation *old,
    const Gloss__V1__Annotation *a)
{
	enum status s = store_annotation_put(c->txn, old, a);

	if (s != STATUS_OK)
		return call_error(c, s, "cannot store annotation %" PRIu64,
		    a->id);
	return STATUS_OK;
}

/*
 * Answers in Reply arm `arm`, whose message holds just `annotation`: the
 * four single-annotation replies, filled through their descriptors rather
 * than four copies of the same lines.
 */
static enum status
ann_reply(struct call *c, Gloss__V1__Reply__BodyCase arm,
    Gloss__V1__Annotation *a)
{
	const ProtobufCFieldDescriptor *f =
	    protobuf_c_message_descriptor_get_field(
	        &gloss__v1__reply__descriptor, (unsigned)arm);
	const ProtobufCMessageDescriptor *d = f->descriptor;
	const ProtobufCFieldDescriptor *fa =
	    protobuf_c_message_descriptor_get_field_by_name(d, "annotation");
	ProtobufCMessage *r = call_alloc(c, d->sizeof_message);

	if (r == NULL)
		return call_error(c, STATUS_RESOURCE_EXHAUSTED,
		    "out of memory");
	protobuf_c_message_init(d, r);
	*(Gloss__V1__Annotation **)((char *)r + fa->offset) = a;
	*(ProtobufCMessage **)((char *)&c->reply + f->offset) = r;
	c->reply.body_case = arm;
	return STATUS_OK;
}

enum status
annotation_create(struct call *c)
{
	Gloss__V1__Annotation *a = c->req->create_annotation->annotation;
	Gloss__V1__Article *art;
	uint64_t id;
	enum status s;

	if (a == NULL)
		return call_field_error(c, STATUS_INVALID_ARGUMENT,
		    "annotation", "CreateAnnotation needs an annotation");
	if ((s = ann_article(c, a->article_id, "annotation.article_id",
	         &art)) != STATUS_OK ||
	    (s = ann_resolve_spans(c, a, art)) != STATUS_OK ||
	    (s = ann_check_body(c, a, art)) != STATUS_OK)
		return s;
	if ((s = store_annotation_next_id(c->txn, &id)) != STATUS_OK)
		return call_error(c, s, "cannot allocate an annotation id");
	a->id = id;
	a->group = art->group;
	a->state = GLOSS__V1__STATE__STATE_ACTIVE;
	a->revision = 1;
	if ((s = ann_record_change(c, a,
	         GLOSS__V1__OPERATION__OPERATION_CREATED)) != STATUS_OK ||
	    (s = ann_store(c, NULL, a)) != STATUS_OK)
		return s;
	return ann_reply(c, GLOSS__V1__REPLY__BODY_CREATE_ANNOTATION, a);
}

/* Reads annotation `id` for a handler, reporting NOT_FOUND in words. */
static enum status
ann_find(struct call *c, uint64_t id, Gloss__V1__Annotation **a)
{
	enum status s;

	if (id == 0)
		return call_field_error(c, STATUS_INVALID_ARGUMENT, "id",
		    "no annotation id given");
	s = store_annotation_get(c->txn, id, &c->allocator, a);
	if (s == STATUS_NOT_FOUND)
		return call_field_error(c, s, "id",
		    "annotation %" PRIu64 " not found", id);
	if (s != STATUS_OK)
		return call_error(c, s, "cannot read annotation %" PRIu64, id);
	return STATUS_OK;
}

enum status
annotation_get(struct call *c)
{
	const Gloss__V1__GetAnnotationRequest *q = c->req->get_annotation;
	Gloss__V1__Annotation *now, *a;
	enum status s;

	if ((s = ann_find(c, q->id, &now)) != STATUS_OK)
		return s;
	a = now;
	if (q->as_of_seq > 0) {
		if ((s = feed_check_seq(c, q->as_of_seq)) != STATUS_OK)
			return s;
		s = feed_annotation_as_of(c, q->id, q->as_of_seq, &a);
		if (s == STATUS_NOT_FOUND)
			return call_field_error(c, s, "as_of_seq",
			    "annotation %" PRIu64 " did not exist yet after "
			    "change %" PRIu64
			    " (it was created by change %" PRIu64 ")",
			    q->id, q->as_of_seq, now->create_seq);
		if (s != STATUS_OK)
			return call_error(c, s, "cannot read the history");
	}
	return ann_reply(c, GLOSS__V1__REPLY__BODY_GET_ANNOTATION, a);
}

/* Finds the annotation a write changes, live and at the etag given. */
static enum status
ann_find_for_write(struct call *c, uint64_t id, const char *etag,
    bool etag_required, Gloss__V1__Annotation **a)
{
	enum status s;

	if ((s = ann_find(c, id, a)) != STATUS_OK)
		return s;
	if ((*a)->state == GLOSS__V1__STATE__STATE_DELETED)
		return call_error(c, STATUS_FAILED_PRECONDITION,
		    "annotation %" PRIu64 " is deleted (by %s)", id,
		    (*a)->updated_by);
	if (etag[0] == '\0' && etag_required)
		return call_field_error(c, STATUS_INVALID_ARGUMENT, "etag",
		    "an update needs the etag of the revision it changes; "
		    "read annotation %" PRIu64 " first",
		    id);
	if (etag[0] != '\0' && strcmp(etag, (*a)->etag) != 0)
		return call_field_error(c, STATUS_ABORTED, "etag",
		    "annotation %" PRIu64 " changed since you read it: it is "
		    "now revision %" PRIu64 " by %s (etag %s, yours %s); "
		    "read it again and redo your change",
		    id, (*a)->revision, (*a)->updated_by, (*a)->etag,
		    call_clip(c, etag, 40));
	return STATUS_OK;
}

/* A shallow copy, so that the old revision's index terms stay readable. */
static Gloss__V1__Annotation *
ann_copy(struct call *c, const Gloss__V1__Annotation *a)
{
	Gloss__V1__Annotation *b = call_alloc(c, sizeof(*b));

	if (b != NULL)
		*b = *a;
	return b;
}

/* Applies what an update gives (spans, body) to the copy `a`. */
static enum status
ann_apply_update(struct call *c, Gloss__V1__Annotation *a,
    Gloss__V1__Annotation *u)
{
	Gloss__V1__Article *art;
	enum status s;

	if (u->article_id[0] != '\0' && strcmp(u->article_id, a->article_id))
		return call_field_error(c, STATUS_INVALID_ARGUMENT,
		    "annotation.article_id",
		    "annotation %" PRIu64 " is on article '%s'; an annotation "
		    "cannot move to another article",
		    a->id, a->article_id);
	if (u->n_select == 0 && u->n_spans == 0 &&
	    u->body_case == GLOSS__V1__ANNOTATION__BODY__NOT_SET)
		return call_field_error(c, STATUS_INVALID_ARGUMENT,
		    "annotation",
		    "the update changes nothing: give spans (select) or a "
		    "body");
	if ((s = ann_article(c, a->article_id, "annotation.article_id",
	         &art)) != STATUS_OK)
		return s;
	if (u->n_select > 0 || u->n_spans > 0) {
		a->select = u->select;
		a->n_select = u->n_select;
		a->spans = u->spans;
		a->n_spans = u->n_spans;
		if ((s = ann_resolve_spans(c, a, art)) != STATUS_OK)
			return s;
	}
	if (u->body_case != GLOSS__V1__ANNOTATION__BODY__NOT_SET) {
		a->body_case = u->body_case;
		a->entity = u->entity; /* the union's one pointer */
	}
	return ann_check_body(c, a, art);
}

enum status
annotation_update(struct call *c)
{
	Gloss__V1__Annotation *u = c->req->update_annotation->annotation;
	Gloss__V1__Annotation *old, *a;
	enum status s;

	if (u == NULL)
		return call_field_error(c, STATUS_INVALID_ARGUMENT,
		    "annotation", "UpdateAnnotation needs an annotation");
	if ((s = ann_find_for_write(c, u->id, u->etag, true, &old)) !=
	    STATUS_OK)
		return s;
	if ((a = ann_copy(c, old)) == NULL)
		return call_error(c, STATUS_RESOURCE_EXHAUSTED,
		    "out of memory");
	if ((s = ann_apply_update(c, a, u)) != STATUS_OK)
		return s;
	a->revision++;
	if ((s = ann_record_change(c, a,
	         GLOSS__V1__OPERATION__OPERATION_UPDATED)) != STATUS_OK ||
	    (s = ann_store(c, old, a)) != STATUS_OK)
		return s;
	return ann_reply(c, GLOSS__V1__REPLY__BODY_UPDATE_ANNOTATION, a);
}

enum status
annotation_delete(struct call *c)
{
	const Gloss__V1__DeleteAnnotationRequest *q = c->req->delete_annotation;
	Gloss__V1__Annotation *old, *a;
	enum status s;

	if ((s = ann_find_for_write(c, q->id, q->etag, false, &old)) !=
	    STATUS_OK)
		return s;
	if ((a = ann_copy(c, old)) == NULL)
		return call_error(c, STATUS_RESOURCE_EXHAUSTED,
		    "out of memory");
	a->state = GLOSS__V1__STATE__STATE_DELETED;
	a->revision++;
	if ((s = ann_record_change(c, a,
	         GLOSS__V1__OPERATION__OPERATION_DELETED)) != STATUS_OK ||
	    (s = ann_store(c, old, a)) != STATUS_OK)
		return s;
	return ann_reply(c, GLOSS__V1__REPLY__BODY_DELETE_ANNOTATION, a);
}

/* ------------------------------------------------------------ lists */

/* A page of annotations being collected by a scan. */
struct ann_page {
	struct call *call;
	const Gloss__V1__ListAnnotationsRequest *q;
	Gloss__V1__Annotation **items;
	size_t n, max;
	size_t bytes, budget; /* packed size so far, and the reply's limit */
	bool more;
	enum status failed;
	struct call_mark mark; /* where the record being looked at begins */
};

static bool
ann_page_full(struct ann_page *pg, const Gloss__V1__Annotation *a)
{
	size_t size = protobuf_c_message_get_packed_size(&a->base) + 8;

	if (pg->n == pg->max || (pg->n > 0 && pg->bytes + size > pg->budget)) {
		pg->more = true;
		return true;
	}
	pg->bytes += size;
	return false;
}

static bool
ann_state_matches(const Gloss__V1__ListAnnotationsRequest *q,
    const Gloss__V1__Annotation *a)
{
	if (q->state != GLOSS__V1__STATE__STATE_UNSPECIFIED)
		return a->state == q->state;
	return a->state != GLOSS__V1__STATE__STATE_DELETED || q->show_deleted;
}

static bool
ann_term_matches(const char *want, const Gloss__V1__Annotation *a,
    enum store_index ix)
{
	return want[0] == '\0' ||
	       strcmp(want, store_annotation_term(a, ix)) == 0;
}

static bool
ann_matches(const Gloss__V1__ListAnnotationsRequest *q,
    const Gloss__V1__Annotation *a)
{
	if (!ann_state_matches(q, a) ||
	    a->update_time_ms <= q->updated_after_ms)
		return false;
	if (q->kind != GLOSS__V1__KIND__KIND_UNSPECIFIED && q->kind != a->kind)
		return false;
	return ann_term_matches(q->article_id, a, STORE_INDEX_ARTICLE) &&
	       ann_term_matches(q->group, a, STORE_INDEX_GROUP) &&
	       ann_term_matches(q->label, a, STORE_INDEX_LABEL) &&
	       ann_term_matches(q->kb_id, a, STORE_INDEX_KB) &&
	       ann_term_matches(q->author, a, STORE_INDEX_AUTHOR);
}

static bool
ann_page_add(void *arg, Gloss__V1__Annotation *a)
{
	struct ann_page *pg = arg;
	enum status s;

	if (pg->q->as_of_seq > 0) {
		/* The index found it by what never changes (article, group,
		 * author); the rest is judged on the revision of then. */
		s = feed_annotation_as_of(pg->call, a->id, pg->q->as_of_seq,
		    &a);
		if (s != STATUS_OK && s != STATUS_NOT_FOUND) {
			pg->failed = s;
			return false;
		}
		if (s == STATUS_NOT_FOUND)
			a = NULL;
	}
	if (a == NULL || !ann_matches(pg->q, a)) {
		call_release(pg->call, pg->mark); /* not kept */
		return true;
	}
	if (ann_page_full(pg, a))
		return false;
	pg->items[pg->n++] = a;
	pg->mark = call_mark(pg->call);
	return true;
}

/* The index terms a query can be answered through: every filter, or as of
 * a past sequence only those that no update changes. */
static size_t
ann_terms(const Gloss__V1__ListAnnotationsRequest *q, struct store_term *t)
{
	bool past = q->as_of_seq > 0;
	size_t n = 0;

	if (q->kb_id[0] != '\0' && !past)
		t[n++] = (struct store_term){ STORE_INDEX_KB, q->kb_id };
	if (q->label[0] != '\0' && !past)
		t[n++] = (struct store_term){ STORE_INDEX_LABEL, q->label };
	if (q->article_id[0] != '\0')
		t[n++] =
		    (struct store_term){ STORE_INDEX_ARTICLE, q->article_id };
	if (q->group[0] != '\0')
		t[n++] = (struct store_term){ STORE_INDEX_GROUP, q->group };
	if (q->author[0] != '\0')
		t[n++] = (struct store_term){ STORE_INDEX_AUTHOR, q->author };
	return n;
}

/* Page tokens carry the last id of the page, as text. */
static enum status
ann_page_start(struct call *c, int32_t requested, const char *token,
    const char *query, size_t *max, uint64_t *after)
{
	const char *last;
	size_t n;
	enum status s;

	*after = 0;
	if ((s = page_size(c, requested, max)) != STATUS_OK ||
	    (s = page_token_read(c, token, query, &last, &n)) != STATUS_OK)
		return s;
	if (last != NULL && last[0] != '\0')
		*after = strtoull(last, NULL, 10);
	return STATUS_OK;
}

static char *
ann_page_token(struct call *c, const char *query, bool more, uint64_t last)
{
	char buf[24];
	int n;

	if (!more)
		return (char *)"";
	n = snprintf(buf, sizeof(buf), "%" PRIu64, last);
	return page_token_make(c, query, buf, (size_t)n);
}

static char *
ann_list_query(struct call *c, const Gloss__V1__ListAnnotationsRequest *q)
{
	return call_printf(c,
	    "annotations\n%s\n%d\n%s\n%d\n%s\n%s\n%s\n%d\n%" PRId64
	    "\n%" PRIu64,
	    q->article_id, (int)q->kind, q->label, q->show_deleted, q->group,
	    q->kb_id, q->author, (int)q->state, q->updated_after_ms,
	    q->as_of_seq);
}

/* A list by an article id that names none is a mistake (a mistyped id),
 * not an empty answer. */
static enum status
ann_list_article_known(struct call *c, const char *id)
{
	struct call_mark m = call_mark(c);
	Gloss__V1__Article *a;
	enum status s;

	if (id[0] == '\0')
		return STATUS_OK;
	s = store_article_get(c->txn, id, &c->allocator, &a);
	call_release(c, m);
	if (s == STATUS_NOT_FOUND)
		return call_field_error(c, s, "article_id",
		    "article '%s' not found", call_clip(c, id, 140));
	if (s != STATUS_OK)
		return call_error(c, s, "cannot read article '%s'",
		    call_clip(c, id, 140));
	return STATUS_OK;
}

enum status
annotation_list(struct call *c)
{
	const Gloss__V1__ListAnnotationsRequest *q = c->req->list_annotations;
	Gloss__V1__ListAnnotationsResponse *r = call_alloc(c, sizeof(*r));
	struct ann_page pg = { .call = c, .q = q };
	struct store_term terms[5];
	size_t nterms = ann_terms(q, terms);
	char *query = ann_list_query(c, q);
	uint64_t after;
	enum status s;

	if (r == NULL || query == NULL)
		return call_error(c, STATUS_RESOURCE_EXHAUSTED,
		    "out of memory");
	if ((s = ann_list_article_known(c, q->article_id)) != STATUS_OK ||
	    (q->as_of_seq > 0 &&
	        (s = feed_check_seq(c, q->as_of_seq)) != STATUS_OK) ||
	    (s = ann_page_start(c, q->page_size, q->page_token, query, &pg.max,
	         &after)) != STATUS_OK)
		return s;
	pg.items = call_alloc(c, pg.max * sizeof(*pg.items));
	pg.budget = c->env->max_reply_bytes - 4096;
	if (pg.items == NULL)
		return call_error(c, STATUS_RESOURCE_EXHAUSTED,
		    "out of memory");
	pg.mark = call_mark(c);
	if (nterms > 0)
		s = store_annotation_join(c->txn, terms, nterms, after,
		    &c->allocator, ann_page_add, &pg);
	else
		s = store_annotation_scan(c->txn, STORE_INDEX_ALL, "", after,
		    &c->allocator, ann_page_add, &pg);
	if (s == STATUS_OK)
		s = pg.failed;
	if (s != STATUS_OK)
		return call_error(c, s, "cannot list annotations");
	gloss__v1__list_annotations_response__init(r);
	r->annotations = pg.items;
	r->n_annotations = pg.n;
	r->next_page_token = ann_page_token(c, query, pg.more && pg.n > 0,
	    pg.n > 0 ? pg.items[pg.n - 1]->id : 0);
	if (r->next_page_token == NULL)
		return call_error(c, STATUS_RESOURCE_EXHAUSTED,
		    "out of memory");
	c->reply.body_case = GLOSS__V1__REPLY__BODY_LIST_ANNOTATIONS;
	c->reply.list_annotations = r;
	return STATUS_OK;
}

static bool
ann_history_add(void *arg, Gloss__V1__Annotation *a)
{
	struct ann_page *pg = arg;

	if (ann_page_full(pg, a))
		return false;
	pg->items[pg->n++] = a;
	return true;
}

enum status
annotation_history(struct call *c)
{
	const Gloss__V1__GetAnnotationHistoryRequest *q =
	    c->req->get_annotation_history;
	Gloss__V1__GetAnnotationHistoryResponse *r = call_alloc(c, sizeof(*r));
	struct ann_page pg = { .call = c };
	char *query = call_printf(c, "history\n%" PRIu64, q->id);
	Gloss__V1__Annotation *a;
	uint64_t after;
	enum status s;

	if (r == NULL || query == NULL)
		return call_error(c, STATUS_RESOURCE_EXHAUSTED,
		    "out of memory");
	if ((s = ann_find(c, q->id, &a)) != STATUS_OK ||
	    (s = ann_page_start(c, q->page_size, q->page_token, query, &pg.max,
	         &after)) != STATUS_OK)
		return s;
	pg.items = call_alloc(c, pg.max * sizeof(*pg.items));
	pg.budget = c->env->max_reply_bytes - 4096;
	if (pg.items == NULL)
		return call_error(c, STATUS_RESOURCE_EXHAUSTED,
		    "out of memory");
	s = store_revision_scan(c->txn, q->id, after, &c->allocator,
	    ann_history_add, &pg);
	if (s != STATUS_OK)
		return call_error(c, s, "cannot read the history");
	gloss__v1__get_annotation_history_response__init(r);
	r->revisions = pg.items;
	r->n_revisions = pg.n;
	r->next_page_token = ann_page_token(c, query, pg.more && pg.n > 0,
	    pg.n > 0 ? pg.items[pg.n - 1]->revision : 0);
	if (r->next_page_token == NULL)
		return call_error(c, STATUS_RESOURCE_EXHAUSTED,
		    "out of memory");
	c->reply.body_case = GLOSS__V1__REPLY__BODY_GET_ANNOTATION_HISTORY;
	c->reply.get_annotation_history = r;
	return STATUS_OK;
}
