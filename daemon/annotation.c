/*
 * annotation: the handlers of the *Annotation methods that read or write
 * one annotation: revisions and tombstones (lists and history are
 * annotation_list.c's).  What makes an annotation valid is
 * annotation_check.c's; reads and writes go through store.h only.
 */
#include <inttypes.h>
#include <string.h>

#include "annotation.h"
#include "auth.h"
#include "feed.h"
#include "method.h"
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

enum status
annotation_find(struct call *c, uint64_t id, Gloss__V1__Annotation **a)
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

	if ((s = annotation_find(c, q->id, &now)) != STATUS_OK)
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

	if ((s = annotation_find(c, id, a)) != STATUS_OK)
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
	        STATUS_OK ||
	    (s = auth_may_change(c, old->id, old->created_by)) != STATUS_OK)
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
	        STATUS_OK ||
	    (s = auth_may_change(c, old->id, old->created_by)) != STATUS_OK)
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

/* Revision `rev` of `now` (0: the one before it), which a restore may make
 * current: not the current one, not a deletion. */
static enum status
ann_find_revision(struct call *c, const Gloss__V1__Annotation *now,
    uint64_t rev, Gloss__V1__Annotation **a)
{
	enum status s;

	if (rev == 0 && now->revision < 2)
		return call_fail(c, REASON(REVISION_NOT_RESTORABLE), "revision",
		    "annotation %" PRIu64 " has only revision 1: there is "
		    "no earlier one to go back to",
		    now->id);
	if (rev == 0)
		rev = now->revision - 1;
	if (rev > now->revision)
		return call_fail(c, REASON(REVISION_NOT_FOUND), "revision",
		    "annotation %" PRIu64 " has no revision %" PRIu64
		    " (its revisions are 1 to %" PRIu64 ")",
		    now->id, rev, now->revision);
	if (rev == now->revision)
		return call_fail(c, REASON(REVISION_NOT_RESTORABLE), "revision",
		    "revision %" PRIu64 " is annotation %" PRIu64 "'s current "
		    "one; name an earlier revision",
		    rev, now->id);
	s = store_revision_get(c->txn, now->id, rev, &c->allocator, a);
	if (s != STATUS_OK)
		return call_error(c, s,
		    "cannot read revision %" PRIu64 " of annotation %" PRIu64,
		    rev, now->id);
	if ((*a)->state == GLOSS__V1__STATE__STATE_DELETED)
		return call_fail(c, REASON(REVISION_NOT_RESTORABLE), "revision",
		    "revision %" PRIu64 " of annotation %" PRIu64 " is its "
		    "deletion; name a revision before it",
		    rev, now->id);
	return STATUS_OK;
}

/* The current revision `now` (live or deleted) at the etag given, which
 * the caller may change. */
static enum status
ann_find_for_restore(struct call *c, uint64_t id, const char *etag,
    Gloss__V1__Annotation **now)
{
	enum status s;

	if ((s = annotation_find(c, id, now)) != STATUS_OK)
		return s;
	if (etag[0] == '\0')
		return call_fail(c, REASON(FIELD_REQUIRED), "etag",
		    "a restore needs the etag of the current revision; read "
		    "annotation %" PRIu64 " first",
		    id);
	if (strcmp(etag, (*now)->etag) != 0) {
		call_fail(c, REASON(STALE_ETAG), "etag",
		    "annotation %" PRIu64 " changed since you read it: it is "
		    "now revision %" PRIu64 " by %s (etag %s, yours %s); "
		    "read it again",
		    id, (*now)->revision, (*now)->updated_by, (*now)->etag,
		    call_clip(c, etag, 40));
		return call_current_annotation(c, *now);
	}
	return auth_may_change(c, id, (*now)->created_by);
}

/*
 * Makes an earlier revision's spans and body current again, as revision
 * now+1 and live (an undelete if now is a tombstone).  They are checked
 * again as an update's are: a label or an article may have gone since.
 */
enum status
annotation_restore(struct call *c)
{
	const Gloss__V1__RestoreAnnotationRevisionRequest *q =
	    c->req->restore_annotation_revision;
	Gloss__V1__Annotation *now, *was, *a;
	Gloss__V1__Article *art;
	enum status s;

	if ((s = ann_find_for_restore(c, q->id, q->etag, &now)) != STATUS_OK ||
	    (s = ann_find_revision(c, now, q->revision, &was)) != STATUS_OK)
		return s;
	if ((a = ann_copy(c, now)) == NULL)
		return call_fail(c, REASON(OUT_OF_MEMORY), NULL,
		    "out of memory");
	a->n_select = was->n_select;
	a->select = was->select;
	a->n_spans = was->n_spans;
	a->spans = was->spans;
	a->body_case = was->body_case;
	a->entity = was->entity; /* the union's one pointer */
	a->state = GLOSS__V1__STATE__STATE_ACTIVE;
	if ((s = annotation_article(c, a->article_id, "id", NULL, &art)) !=
	        STATUS_OK ||
	    (s = annotation_check_spans(c, a, art, NULL)) != STATUS_OK ||
	    (s = annotation_check_body(c, a, art, NULL)) != STATUS_OK)
		return s;
	a->revision = now->revision + 1;
	if ((s = ann_record_change(c, a,
	         GLOSS__V1__OPERATION__OPERATION_UPDATED)) != STATUS_OK ||
	    (s = ann_store(c, now, a)) != STATUS_OK)
		return s;
	return ann_reply(c, GLOSS__V1__REPLY__BODY_RESTORE_ANNOTATION_REVISION,
	    a);
}
