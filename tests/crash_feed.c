/*
 * crash_feed: the checker's look at the change feed (no gap, each
 * acknowledged write's change exactly once, nothing else) and at
 * idempotency (a resent write gets its first reply and changes nothing).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crash_check.h"

/* Reads the change feed from the start, checking it has no gap. */
static void
cf_read_feed(struct ck *k)
{
	Gloss__V1__Request q = GLOSS__V1__REQUEST__INIT;
	Gloss__V1__ListChangesRequest lc =
	    GLOSS__V1__LIST_CHANGES_REQUEST__INIT;
	Gloss__V1__Reply *r;
	uint64_t next = 1;

	lc.limit = 1000;
	q.body_case = GLOSS__V1__REQUEST__BODY_LIST_CHANGES;
	q.list_changes = &lc;
	while ((r = ck_read(k, &q, "ListChanges")) != NULL) {
		size_t m = r->list_changes->n_changes;
		k->keep = realloc(k->keep, (k->n_keep + 1) * sizeof(*k->keep));
		k->keep[k->n_keep++] = r;
		k->ch = realloc(k->ch, (k->n_ch + m + 1) * sizeof(*k->ch));
		for (size_t i = 0; i < m; i++, next++) {
			Gloss__V1__Change *c = r->list_changes->changes[i];
			if (c->seq != next)
				ck_fail(k, "the feed goes from %llu to %llu",
				    (unsigned long long)next - 1,
				    (unsigned long long)c->seq);
			next = c->seq;
			k->ch[k->n_ch++] = (struct ck_change){ c, false };
		}
		if (m == 0)
			break;
		lc.since_seq = next - 1;
	}
	k->f->changes = k->n_ch;
}

static int
cf_change_cmp(const void *x, const void *y)
{
	const struct ck_change *a = x, *b = y;

	return strcmp(a->c->request_id, b->c->request_id);
}

/* The change feed entry that rec's write must have made. */
static Gloss__V1__Change
cf_change_of(const struct ck *k, const struct ck_rec *rec)
{
	Gloss__V1__Change c = GLOSS__V1__CHANGE__INIT;
	const Gloss__V1__Article *a = (const Gloss__V1__Article *)rec->rec;
	const Gloss__V1__Annotation *an =
	    (const Gloss__V1__Annotation *)rec->rec;

	switch (k->w[rec->write].r->body_case) {
	case GLOSS__V1__REPLY__BODY_CREATE_ANNOTATION:
	case GLOSS__V1__REPLY__BODY_CREATE_ARTICLE:
		c.operation = GLOSS__V1__OPERATION__OPERATION_CREATED;
		break;
	case GLOSS__V1__REPLY__BODY_UPDATE_ANNOTATION:
		c.operation = GLOSS__V1__OPERATION__OPERATION_UPDATED;
		break;
	default:
		c.operation = GLOSS__V1__OPERATION__OPERATION_DELETED;
	}
	c.article_id = crash_str(rec->article_id);
	c.annotation_id = rec->annotation_id;
	if (rec->annotation_id != 0) {
		c.subject = GLOSS__V1__SUBJECT__SUBJECT_ANNOTATION;
		c.revision = an->revision;
		c.seq = an->update_seq;
	} else {
		c.subject = GLOSS__V1__SUBJECT__SUBJECT_ARTICLE;
		c.revision = a->revision;
		c.seq = c.operation == GLOSS__V1__OPERATION__OPERATION_CREATED
		            ? a->create_seq
		            : a->delete_seq;
	}
	return c;
}

static bool
cf_change_fits(const Gloss__V1__Change *want, const Gloss__V1__Change *got)
{
	return want->seq == got->seq && want->subject == got->subject &&
	       want->operation == got->operation &&
	       want->annotation_id == got->annotation_id &&
	       want->revision == got->revision &&
	       strcmp(want->article_id, got->article_id) == 0;
}

/* The first change of request `rid` in the sorted feed, and how many. */
static size_t
cf_changes_of(struct ck *k, const char *rid, size_t *count)
{
	size_t lo = 0, hi = k->n_ch;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(k->ch[mid].c->request_id, rid) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (*count = 0; lo + *count < k->n_ch &&
	                 strcmp(k->ch[lo + *count].c->request_id, rid) == 0;
	     (*count)++)
		;
	return lo;
}

/* Each acknowledged write's change is in the feed, once, as it should
 * be; and the feed holds no change that no acknowledged write made. */
void
cf_feed(struct ck *k)
{
	size_t at, count;

	cf_read_feed(k);
	qsort(k->ch, k->n_ch, sizeof(*k->ch), cf_change_cmp);
	for (size_t i = 0; i < k->n_recs; i++) {
		const char *rid = k->w[k->recs[i].write].q->request_id;
		Gloss__V1__Change want = cf_change_of(k, &k->recs[i]);
		at = cf_changes_of(k, rid, &count);
		if (count != 1) {
			ck_fail(k, "request %s has %zu changes in the feed",
			    rid, count);
			continue;
		}
		k->ch[at].matched = true;
		if (!cf_change_fits(&want, k->ch[at].c))
			ck_fail(k,
			    "request %s: its change %llu is not the "
			    "write acknowledged",
			    rid, (unsigned long long)k->ch[at].c->seq);
	}
	for (size_t i = 0; i < k->n_ch; i++)
		if (!k->ch[i].matched)
			ck_fail(k,
			    "change %llu (request '%s') was made by no "
			    "acknowledged write",
			    (unsigned long long)k->ch[i].c->seq,
			    k->ch[i].c->request_id);
}

/* The newest sequence number of the feed (GetServerInfo's: ListChanges
 * refuses a since_seq past it). */
static uint64_t
cf_last_seq(struct ck *k)
{
	Gloss__V1__Request q = GLOSS__V1__REQUEST__INIT;
	Gloss__V1__GetServerInfoRequest gi =
	    GLOSS__V1__GET_SERVER_INFO_REQUEST__INIT;
	Gloss__V1__Reply *r;
	uint64_t last;

	q.body_case = GLOSS__V1__REQUEST__BODY_GET_SERVER_INFO;
	q.get_server_info = &gi;
	if ((r = ck_read(k, &q, "GetServerInfo")) == NULL)
		return 0;
	last = r->get_server_info->last_seq;
	rpc_reply_free(r);
	return last;
}

/* Sends write i again: the reply must be the first one, byte for byte. */
static void
cf_resend_one(struct ck *k, size_t i)
{
	struct ck_write *w = &k->w[i];
	Gloss__V1__Request *q =
	    gloss__v1__request__unpack(NULL, w->req_n, w->req);
	Gloss__V1__Reply *r;
	uint8_t *buf = NULL;
	size_t n = 0;

	if (q == NULL)
		return;
	if ((r = ck_call(k, q, &buf, &n)) != NULL) {
		k->f->resent++;
		if (n != w->rep_n || memcmp(buf, w->rep, n) != 0) {
			k->f->resend_mismatch++;
			ck_fail(k,
			    "request %s sent again: the reply differs "
			    "from the first (%s)",
			    q->request_id,
			    r->status ? r->status->message : "no status");
		}
	}
	rpc_reply_free(r);
	free(buf);
	gloss__v1__request__free_unpacked(q, NULL);
}

/* Resends acknowledged writes (every one, or max of them spread over the
 * run), then checks that the feed did not move: nothing applied twice. */
void
cf_resend(struct ck *k, size_t max)
{
	uint64_t before = cf_last_seq(k), after;
	size_t step = k->n > max && max > 0 ? (k->n + max - 1) / max : 1;

	for (size_t i = 0; max > 0 && i < k->n; i += step)
		if (k->w[i].r != NULL && k->w[i].r->status != NULL &&
		    k->w[i].r->status->code == 0)
			cf_resend_one(k, i);
	if ((after = cf_last_seq(k)) != before)
		ck_fail(k,
		    "resending acknowledged writes moved the feed "
		    "from %llu to %llu",
		    (unsigned long long)before, (unsigned long long)after);
}
