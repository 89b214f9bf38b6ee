/*
 * annotation_list: ListAnnotations (filters answered through the store's
 * indexes, then judged on each revision found) and GetAnnotationHistory,
 * paged.  What one annotation's handlers do is annotation.c's.
 */
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

/* Opens pg for a page of the list `query`: its size and where it starts
 * (page tokens carry the last id of the page, as text), its room. */
static enum status
ann_page_start(struct call *c, int32_t requested, const char *token,
    const char *query, struct ann_page *pg, uint64_t *after)
{
	const char *last;
	size_t n;
	enum status s;

	*after = 0;
	if ((s = page_size(c, requested, &pg->max)) != STATUS_OK ||
	    (s = page_token_read(c, token, query, &last, &n)) != STATUS_OK)
		return s;
	if (last != NULL && last[0] != '\0')
		*after = strtoull(last, NULL, 10);
	pg->items = call_alloc(c, pg->max * sizeof(*pg->items));
	pg->budget = c->env->max_reply_bytes - 4096;
	if (pg->items == NULL)
		return call_fail(c, REASON(OUT_OF_MEMORY), NULL,
		    "out of memory");
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
	    (s = ann_page_start(c, q->page_size, q->page_token, query, &pg,
	         &after)) != STATUS_OK)
		return s;
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
	if ((s = annotation_find(c, q->id, &a)) != STATUS_OK ||
	    (s = ann_page_start(c, q->page_size, q->page_token, query, &pg,
	         &after)) != STATUS_OK)
		return s;
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
