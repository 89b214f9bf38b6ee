/*
 * crash_check: the crash test's verdict.  Reads every writer's journal,
 * settles the writes whose writer never saw a final reply (by sending them
 * again with their request_id), then checks the restarted store against
 * what was acknowledged: every record reads back as acknowledged, the
 * change feed is gap-free and holds each acknowledged write exactly once,
 * and a resent write gets its first reply back and changes nothing.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crash_check.h"

#define CK_TIMEOUT_MS 10000
#define CK_SHOWN      20 /* failures printed in full; the rest are counted */

void
ck_fail(struct ck *k, const char *fmt, ...)
{
	va_list ap;

	if (k->f->failures++ >= CK_SHOWN)
		return;
	fprintf(stderr, "crash check: FAIL: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void
ck_on_record(void *arg, enum crash_kind kind, const uint8_t *buf, size_t n)
{
	struct ck *k = arg;
	struct ck_write *w;

	if (kind == CRASH_REOPENED) {
		k->f->reopened++;
		return;
	}
	if (kind == CRASH_SENT) {
		k->w = realloc(k->w, (k->n + 1) * sizeof(*k->w));
		w = &k->w[k->n++];
		memset(w, 0, sizeof(*w));
		w->req = malloc(n ? n : 1);
		memcpy(w->req, buf, n);
		w->req_n = n;
		return;
	}
	if (k->n == 0 || k->w[k->n - 1].rep != NULL) {
		ck_fail(k, "journal: an acknowledgement of nothing sent");
		return;
	}
	w = &k->w[k->n - 1]; /* a writer acknowledges its last send */
	w->rep = malloc(n ? n : 1);
	memcpy(w->rep, buf, n);
	w->rep_n = n;
}

Gloss__V1__Reply *
ck_call(struct ck *k, Gloss__V1__Request *q, uint8_t **buf, size_t *n)
{
	Gloss__V1__Reply *r = NULL;
	int code;

	for (int i = 0; i < 12; i++) {
		code = rpc_call(k->rpc, q, CK_TIMEOUT_MS, &r);
		if (r != NULL && code != GLOSS__V1__CODE__UNAVAILABLE &&
		    code != GLOSS__V1__CODE__DEADLINE_EXCEEDED)
			break;
		rpc_reply_free(r);
		r = NULL;
	}
	if (r == NULL) {
		ck_fail(k, "no reply: %s", rpc_error(k->rpc));
		return NULL;
	}
	if (buf != NULL)
		*buf = crash_pack(&r->base, n);
	return r;
}

Gloss__V1__Reply *
ck_read(struct ck *k, Gloss__V1__Request *q, const char *what)
{
	Gloss__V1__Reply *r;

	q->request_id = (char *)"";
	if ((r = ck_call(k, q, NULL, NULL)) == NULL)
		return NULL;
	if (r->status != NULL && r->status->code != 0) {
		ck_fail(k, "%s: %s", what, r->status->message);
		rpc_reply_free(r);
		return NULL;
	}
	return r;
}

/* Unpacks every write, and settles those a writer left unanswered. */
static void
ck_settle(struct ck *k)
{
	for (size_t i = 0; i < k->n; i++) {
		struct ck_write *w = &k->w[i];
		w->q = gloss__v1__request__unpack(NULL, w->req_n, w->req);
		if (w->q == NULL) {
			ck_fail(k, "journal: a sent request does not unpack");
			continue;
		}
		if (w->rep == NULL) {
			k->f->unresolved++;
			w->r = ck_call(k, w->q, &w->rep, &w->rep_n);
		} else {
			w->r = gloss__v1__reply__unpack(NULL, w->rep_n, w->rep);
		}
		if (w->r == NULL || w->r->status == NULL)
			continue;
		k->f->acked++;
		if (w->r->status->code != 0) {
			k->f->refused++;
			ck_fail(k, "request %s was refused: %s",
			    w->q->request_id, w->r->status->message);
		}
	}
	k->f->sent = k->n;
}

/* The record an OK write's reply carries, if it is an article's or an
 * annotation's. */
static bool
ck_record_of(const Gloss__V1__Reply *r, struct ck_rec *rec)
{
	const Gloss__V1__Article *a = NULL;
	const Gloss__V1__Annotation *an = NULL;

	switch (r->body_case) {
	case GLOSS__V1__REPLY__BODY_CREATE_ARTICLE:
		a = r->create_article->article;
		break;
	case GLOSS__V1__REPLY__BODY_DELETE_ARTICLE:
		a = r->delete_article->article;
		break;
	case GLOSS__V1__REPLY__BODY_CREATE_ANNOTATION:
		an = r->create_annotation->annotation;
		break;
	case GLOSS__V1__REPLY__BODY_UPDATE_ANNOTATION:
		an = r->update_annotation->annotation;
		break;
	case GLOSS__V1__REPLY__BODY_DELETE_ANNOTATION:
		an = r->delete_annotation->annotation;
		break;
	default:
		return false;
	}
	rec->article_id = a != NULL ? a->id : an->article_id;
	rec->annotation_id = a != NULL ? 0 : an->id;
	rec->rec = a != NULL ? &a->base : &an->base;
	return true;
}

static int
ck_rec_cmp(const void *x, const void *y)
{
	const struct ck_rec *a = x, *b = y;
	int c;

	if (a->annotation_id != b->annotation_id)
		return a->annotation_id < b->annotation_id ? -1 : 1;
	if ((c = strcmp(a->article_id, b->article_id)) != 0)
		return c;
	return a->write < b->write ? -1 : a->write > b->write;
}

/* Every acknowledged state of every record, grouped by record, each
 * record's states in the order they were acknowledged. */
static void
ck_collect(struct ck *k)
{
	struct ck_rec rec;

	k->recs = calloc(k->n + 1, sizeof(*k->recs));
	for (size_t i = 0; i < k->n; i++) {
		if (k->w[i].r == NULL || k->w[i].r->status == NULL ||
		    k->w[i].r->status->code != 0 ||
		    !ck_record_of(k->w[i].r, &rec))
			continue;
		rec.write = i;
		k->recs[k->n_recs++] = rec;
	}
	qsort(k->recs, k->n_recs, sizeof(*k->recs), ck_rec_cmp);
}

/* One acknowledged state, compared with what glossd returns for it. */
static void
ck_expect(struct ck *k, const struct ck_rec *want, const ProtobufCMessage *got,
    const char *what)
{
	if (got != NULL && crash_same(want->rec, got)) {
		k->f->checked++;
		return;
	}
	k->f->lost++;
	ck_fail(k,
	    "%s: article %s annotation %llu: the state acknowledged to "
	    "request %s %s",
	    what, want->article_id, (unsigned long long)want->annotation_id,
	    k->w[want->write].q->request_id,
	    got == NULL ? "is missing" : "reads back different");
}

/* An annotation's history must be exactly its acknowledged states. */
static void
ck_annotation(struct ck *k, const struct ck_rec *recs, size_t n)
{
	Gloss__V1__Request q = GLOSS__V1__REQUEST__INIT;
	Gloss__V1__GetAnnotationHistoryRequest h =
	    GLOSS__V1__GET_ANNOTATION_HISTORY_REQUEST__INIT;
	Gloss__V1__Reply *r;
	size_t have;

	h.id = recs[0].annotation_id;
	h.page_size = 1000;
	q.body_case = GLOSS__V1__REQUEST__BODY_GET_ANNOTATION_HISTORY;
	q.get_annotation_history = &h;
	if ((r = ck_read(k, &q, "GetAnnotationHistory")) == NULL) {
		k->f->lost += n;
		return;
	}
	have = r->get_annotation_history->n_revisions;
	for (size_t i = 0; i < n; i++)
		ck_expect(k, &recs[i],
		    i < have ? &r->get_annotation_history->revisions[i]->base
		             : NULL,
		    "history");
	if (have > n)
		ck_fail(k,
		    "annotation %llu has %zu revisions; %zu were "
		    "acknowledged",
		    (unsigned long long)h.id, have, n);
	rpc_reply_free(r);
}

/* GetArticle(id), as of change `seq` (0: now). */
static Gloss__V1__Reply *
ck_get_article(struct ck *k, const char *id, uint64_t seq, bool omit_text)
{
	Gloss__V1__Request q = GLOSS__V1__REQUEST__INIT;
	Gloss__V1__GetArticleRequest g = GLOSS__V1__GET_ARTICLE_REQUEST__INIT;

	g.id = crash_str(id);
	g.as_of_seq = seq;
	g.omit_text = omit_text;
	q.body_case = GLOSS__V1__REQUEST__BODY_GET_ARTICLE;
	q.get_article = &g;
	return ck_read(k, &q, "GetArticle");
}

/* An article reads back as last acknowledged, with the text it was sent
 * with; a deleted one also as it was created. */
static void
ck_article(struct ck *k, const struct ck_rec *recs, size_t n)
{
	const Gloss__V1__Article *first =
	    (const Gloss__V1__Article *)recs[0].rec;
	const char *sent = k->w[recs[0].write].q->create_article->article->text;
	Gloss__V1__Reply *r;

	r = ck_get_article(k, first->id, 0, true);
	ck_expect(k, &recs[n - 1], r ? &r->get_article->article->base : NULL,
	    "GetArticle");
	rpc_reply_free(r);
	if (n > 1) {
		r = ck_get_article(k, first->id, first->create_seq, true);
		ck_expect(k, &recs[0],
		    r ? &r->get_article->article->base : NULL, "as_of_seq");
		rpc_reply_free(r);
	}
	r = ck_get_article(k, first->id, 0, false);
	if (r == NULL || strcmp(r->get_article->article->text, sent) != 0)
		ck_fail(k, "article %s: the text differs from the text sent",
		    first->id);
	rpc_reply_free(r);
}

static bool
ck_same_record(const struct ck_rec *a, const struct ck_rec *b)
{
	return a->annotation_id == b->annotation_id &&
	       strcmp(a->article_id, b->article_id) == 0;
}

static void
ck_records(struct ck *k)
{
	size_t i = 0, j;

	while (i < k->n_recs) {
		for (j = i + 1;
		     j < k->n_recs && ck_same_record(&k->recs[i], &k->recs[j]);
		     j++)
			;
		if (k->recs[i].annotation_id != 0)
			ck_annotation(k, &k->recs[i], j - i);
		else
			ck_article(k, &k->recs[i], j - i);
		i = j;
	}
}

static int
ck_label_cmp(const void *x, const void *y)
{
	const Gloss__V1__Label *const *a = x, *const *b = y;

	return strcmp((*a)->name, (*b)->name);
}

/* The labels of set "entity", every page of them, as they are now, in
 * name order. */
static const Gloss__V1__Label **
ck_read_labels(struct ck *k, size_t *n)
{
	Gloss__V1__Request q = GLOSS__V1__REQUEST__INIT;
	Gloss__V1__ListLabelsRequest ll = GLOSS__V1__LIST_LABELS_REQUEST__INIT;
	const Gloss__V1__Label **labels = NULL;
	Gloss__V1__Reply *r;

	*n = 0;
	ll.set = crash_str("entity");
	ll.page_size = 1000;
	q.body_case = GLOSS__V1__REQUEST__BODY_LIST_LABELS;
	q.list_labels = &ll;
	while ((r = ck_read(k, &q, "ListLabels")) != NULL) {
		k->keep = realloc(k->keep, (k->n_keep + 1) * sizeof(*k->keep));
		k->keep[k->n_keep++] = r;
		for (size_t i = 0; i < r->list_labels->n_sets; i++) {
			const Gloss__V1__LabelSet *set =
			    r->list_labels->sets[i];
			labels = realloc(labels,
			    (*n + set->n_labels + 1) * sizeof(*labels));
			for (size_t j = 0; j < set->n_labels; j++)
				labels[(*n)++] = set->labels[j];
		}
		if (r->list_labels->next_page_token[0] == '\0')
			break;
		ll.page_token = r->list_labels->next_page_token;
	}
	if (*n > 0)
		qsort(labels, *n, sizeof(*labels), ck_label_cmp);
	return labels;
}

/* Every acknowledged AddLabel's label is in its set, as sent. */
static void
ck_labels(struct ck *k)
{
	size_t n;
	const Gloss__V1__Label **labels = ck_read_labels(k, &n), **hit;
	const Gloss__V1__Label *want;
	bool found;

	for (size_t i = 0; i < k->n; i++) {
		if (k->w[i].r == NULL || k->w[i].r->status->code != 0 ||
		    k->w[i].q->body_case != GLOSS__V1__REQUEST__BODY_ADD_LABEL)
			continue;
		want = k->w[i].q->add_label->label;
		hit = n > 0 ? bsearch(&want, labels, n, sizeof(*labels),
		                  ck_label_cmp)
		            : NULL;
		found = hit != NULL &&
		        strcmp((*hit)->description, want->description) == 0;
		if (found)
			k->f->checked++;
		else
			ck_fail(k, "label %s is missing", want->name);
		k->f->lost += !found;
	}
	free(labels);
}

static void
ck_free(struct ck *k)
{
	for (size_t i = 0; i < k->n; i++) {
		free(k->w[i].req);
		free(k->w[i].rep);
		if (k->w[i].q != NULL)
			gloss__v1__request__free_unpacked(k->w[i].q, NULL);
		rpc_reply_free(k->w[i].r);
	}
	for (size_t i = 0; i < k->n_keep; i++)
		rpc_reply_free(k->keep[i]);
	free(k->w);
	free(k->recs);
	free(k->keep);
	free(k->ch);
}

void
crash_check(const char *url, const char *const *paths, size_t n,
    size_t max_resend, struct crash_figures *f)
{
	struct ck k = { .f = f };
	char why[512];

	memset(f, 0, sizeof(*f));
	if (rpc_open(url, &k.rpc, why, sizeof(why)) != 0) {
		ck_fail(&k, "%s", why);
		return;
	}
	for (size_t i = 0; i < n; i++)
		if (!crash_journal_read(paths[i], ck_on_record, &k))
			ck_fail(&k, "cannot read journal %s", paths[i]);
	ck_settle(&k);
	ck_collect(&k);
	ck_records(&k);
	ck_labels(&k);
	cf_feed(&k);
	cf_resend(&k, max_resend);
	rpc_close(k.rpc);
	ck_free(&k);
}
