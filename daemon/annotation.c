/*
 * annotation: the handlers of the *Annotation methods: revisions,
 * tombstones, lists and history.  What makes an annotation valid is
 * annotation_check.c's; reads and writes go through store.h only.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "annotation.h"
#include "feed.h"
#include "label.h"
#include "method.h"
#include "page.h"
#include "store.h"
#include "valid.h"

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

/* Stores revision a.  A live one must leave room in its record for the
 * tombstone that may follow it; a tombstone may use that room. */
static enum status
ann_store(struct call *c, const Gloss__V1__Annotation *old,
    const Gloss__V1__Annotation *a)
{
	enum status s;

	if (a->state != GLOSS__V1__STATE__STATE_DELETED &&
	    (s = annotation_check_record(c, a, STORE_RECORD_NEW_MAX)) !=
	        STATUS_OK)
		return s;
	if ((s = store_annotation_put(c->txn, old, a)) != STATUS_OK)
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
		return call_fail(c, REASON(OUT_OF_MEMORY), NULL,
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
		return call_fail(c, REASON(FIELD_REQUIRED), "annotation",
		    "CreateAnnotation needs an annotation");
	if ((s = annotation_article(c, a->article_id, "annotation.article_id",
	         NULL, &art)) != STATUS_OK ||
	    (s = annotation_check_spans(c, a, art, NULL)) != STATUS_OK ||
	    (s = annotation_check_body(c, a, art, NULL)) != STATUS_OK)
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
		return call_fail(c, REASON(FIELD_REQUIRED), "id",
		    "no annotation id given");
	s = store_annotation_get(c->txn, id, &c->allocator, a);
	if (s == STATUS_NOT_FOUND) {
		call_fail(c, REASON(ANNOTATION_NOT_FOUND), "id",
		    "annotation %" PRIu64 " not found", id);
		call_meta(c, "annotation_id", "%" PRIu64, id);
		return s;
	}
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
			return call_fail(c, REASON(NOT_IN_SNAPSHOT),
			    "as_of_seq",
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
	if ((*a)->state == GLOSS__V1__STATE__STATE_DELETED) {
		call_fail(c, REASON(ANNOTATION_DELETED), NULL,
		    "annotation %" PRIu64 " is deleted (by %s)", id,
		    (*a)->updated_by);
		return call_current_annotation(c, *a);
	}
	if (etag[0] == '\0' && etag_required)
		return call_fail(c, REASON(FIELD_REQUIRED), "etag",
		    "an update needs the etag of the revision it changes; "
		    "read annotation %" PRIu64 " first",
		    id);
	if (etag[0] != '\0' && strcmp(etag, (*a)->etag) != 0) {
		call_fail(c, REASON(STALE_ETAG), "etag",
		    "annotation %" PRIu64 " changed since you read it: it is "
		    "now revision %" PRIu64 " by %s (etag %s, yours %s); "
		    "read it again and redo your change",
		    id, (*a)->revision, (*a)->updated_by, (*a)->etag,
		    call_clip(c, etag, 40));
		return call_current_annotation(c, *a);
	}
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

/* Without a mask: the spans if given, and the body whole if given. */
static enum status
ann_replace(struct call *c, Gloss__V1__Annotation *a, Gloss__V1__Annotation *u,
    bool *spans)
{
	if (u->article_id[0] != '\0' && strcmp(u->article_id, a->article_id))
		return call_fail(c, REASON(FIELD_IMMUTABLE),
		    "annotation.article_id",
		    "annotation %" PRIu64 " is on article '%s'; an annotation "
		    "cannot move to another article",
		    a->id, a->article_id);
	if (u->n_select == 0 && u->n_spans == 0 &&
	    u->body_case == GLOSS__V1__ANNOTATION__BODY__NOT_SET)
		return call_fail(c, REASON(UPDATE_EMPTY), "annotation",
		    "the update changes nothing: give spans (select) or a "
		    "body, or name the fields to change in update_mask");
	*spans = u->n_select > 0 || u->n_spans > 0;
	if (*spans) {
		a->select = u->select;
		a->n_select = u->n_select;
		a->spans = u->spans;
		a->n_spans = u->n_spans;
	}
	if (u->body_case != GLOSS__V1__ANNOTATION__BODY__NOT_SET) {
		a->body_case = u->body_case;
		a->entity = u->entity; /* the union's one pointer */
	}
	return STATUS_OK;
}

/* Applies what an update gives (spans, body; all of it, or what its
 * mask names) to the copy `a`, and checks the result. */
static enum status
ann_apply_update(struct call *c, Gloss__V1__Annotation *a,
    const Gloss__V1__UpdateAnnotationRequest *q)
{
	Gloss__V1__Article *art;
	bool spans;
	enum status s;

	s = q->update_mask != NULL && q->update_mask->n_paths > 0
	        ? annotation_mask_apply(c, a, q->annotation, q->update_mask,
	              &spans)
	        : ann_replace(c, a, q->annotation, &spans);
	if (s != STATUS_OK ||
	    (s = annotation_article(c, a->article_id, "annotation.article_id",
	         NULL, &art)) != STATUS_OK)
		return s;
	if (spans && (s = annotation_check_spans(c, a, art, NULL)) != STATUS_OK)
		return s;
	return annotation_check_body(c, a, art, NULL);
}

enum status
annotation_update(struct call *c)
{
	const Gloss__V1__UpdateAnnotationRequest *q = c->req->update_annotation;
	Gloss__V1__Annotation *u = q->annotation;
	Gloss__V1__Annotation *old, *a;
	enum status s;

	if (u == NULL)
		return call_fail(c, REASON(FIELD_REQUIRED), "annotation",
		    "UpdateAnnotation needs an annotation");
	/* A mask that cannot be applied is refused before anything is read. */
	if (q->update_mask != NULL &&
	    (s = annotation_mask_check(c, q->update_mask)) != STATUS_OK)
		return s;
	if ((s = ann_find_for_write(c, u->id, u->etag, true, &old)) !=
	    STATUS_OK)
		return s;
	if ((a = ann_copy(c, old)) == NULL)
		return call_fail(c, REASON(OUT_OF_MEMORY), NULL,
		    "out of memory");
	if ((s = ann_apply_update(c, a, q)) != STATUS_OK)
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
		return call_fail(c, REASON(OUT_OF_MEMORY), NULL,
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
	/* Severity has no index: it is judged on what the others find. */
	if (q->severity[0] != '\0' &&
	    (a->body_case != GLOSS__V1__ANNOTATION__BODY_TRANSLATION_NOTE ||
	        strcmp(a->translation_note->severity, q->severity) != 0))
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
	/* Severity only when given, so that older tokens stay good. */
	return call_printf(c,
	    "annotations\n%s\n%d\n%s\n%d\n%s\n%s\n%s\n%d\n%" PRId64 "\n%" PRIu64
	    "%s%s",
	    q->article_id, (int)q->kind, q->label, q->show_deleted, q->group,
	    q->kb_id, q->author, (int)q->state, q->updated_after_ms,
	    q->as_of_seq, q->severity[0] != '\0' ? "\nseverity " : "",
	    q->severity);
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
	s = store_article_head(c->txn, id, &c->allocator, &a);
	call_release(c, m);
	if (s == STATUS_NOT_FOUND)
		return call_article_not_found(c, "article_id", id);
	if (s != STATUS_OK)
		return call_error(c, s, "cannot read article '%s'", id);
	return STATUS_OK;
}

/* Filters that could match nothing stored are malformed requests, not
 * empty answers: each must be what it filters by could be, an article
 * must exist, a sequence number must have been reached. */
static enum status
ann_list_check(struct call *c, const Gloss__V1__ListAnnotationsRequest *q)
{
	enum status s;

	if ((s = valid_filter(c, q->article_id, valid_id, "article_id",
	         "an article id")) != STATUS_OK ||
	    (s = valid_filter(c, q->group, valid_id, "group",
	         "a group (the id of its original article)")) != STATUS_OK ||
	    (s = valid_filter(c, q->label, valid_label_name, "label",
	         "a label name (1-64 of A-Z a-z 0-9 _ - / .)")) != STATUS_OK ||
	    (s = valid_filter(c, q->severity, valid_label_name, "severity",
	         "an MQM severity (minor, major, ...)")) != STATUS_OK ||
	    (s = valid_filter(c, q->kb_id, valid_kb_id, "kb_id",
	         "a Wikidata QID (e.g. Q305177) or NIL")) != STATUS_OK)
		return s;
	if ((s = valid_filter(c, q->author, valid_author, "author",
	         "an author (1-64 bytes without control characters)")) !=
	        STATUS_OK ||
	    (s = label_filter(c, q->label, "label")) != STATUS_OK ||
	    (q->severity[0] != '\0' &&
	        (s = label_check(c, "mqm_severity", q->severity, "severity")) !=
	            STATUS_OK) ||
	    (s = ann_list_article_known(c, q->article_id)) != STATUS_OK)
		return s;
	return q->as_of_seq > 0 ? feed_check_seq(c, q->as_of_seq) : STATUS_OK;
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
		return call_fail(c, REASON(OUT_OF_MEMORY), NULL,
		    "out of memory");
	if ((s = ann_list_check(c, q)) != STATUS_OK ||
	    (s = ann_page_start(c, q->page_size, q->page_token, query, &pg.max,
	         &after)) != STATUS_OK)
		return s;
	pg.items = call_alloc(c, pg.max * sizeof(*pg.items));
	pg.budget = c->env->max_reply_bytes - 4096;
	if (pg.items == NULL)
		return call_fail(c, REASON(OUT_OF_MEMORY), NULL,
		    "out of memory");
	pg.mark = call_mark(c);
	s = nterms > 0 ? store_annotation_join(c->txn, terms, nterms, after,
	                     &c->allocator, ann_page_add, &pg)
	               : store_annotation_scan(c->txn, STORE_INDEX_ALL, "",
	                     after, &c->allocator, ann_page_add, &pg);
	if ((s = s != STATUS_OK ? s : pg.failed) != STATUS_OK)
		return call_error(c, s, "cannot list annotations");
	gloss__v1__list_annotations_response__init(r);
	r->annotations = pg.items;
	r->n_annotations = pg.n;
	r->next_page_token = ann_page_token(c, query, pg.more && pg.n > 0,
	    pg.n > 0 ? pg.items[pg.n - 1]->id : 0);
	if (r->next_page_token == NULL)
		return call_fail(c, REASON(OUT_OF_MEMORY), NULL,
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
		return call_fail(c, REASON(OUT_OF_MEMORY), NULL,
		    "out of memory");
	if ((s = ann_find(c, q->id, &a)) != STATUS_OK ||
	    (s = ann_page_start(c, q->page_size, q->page_token, query, &pg.max,
	         &after)) != STATUS_OK)
		return s;
	pg.items = call_alloc(c, pg.max * sizeof(*pg.items));
	pg.budget = c->env->max_reply_bytes - 4096;
	if (pg.items == NULL)
		return call_fail(c, REASON(OUT_OF_MEMORY), NULL,
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
		return call_fail(c, REASON(OUT_OF_MEMORY), NULL,
		    "out of memory");
	c->reply.body_case = GLOSS__V1__REPLY__BODY_GET_ANNOTATION_HISTORY;
	c->reply.get_annotation_history = r;
	return STATUS_OK;
}
