/*
 * Integration tests of annotations through the client library: a real
 * glossd on a temporary folder.  Span arithmetic on the seeds is checked
 * independently (in Python) by annotate_test.py; here: the life of an
 * annotation (etags under concurrent edits, tombstones, history, replay,
 * restart), paging, and the refusals that the CLI cannot provoke.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

enum {
	OK = 0,
	INVALID_ARGUMENT = 3,
	NOT_FOUND = 5,
	FAILED_PRECONDITION = 9,
	ABORTED = 10,
};

#define S(x) ((char *)(uintptr_t)(x))

static const char *const PT = "O preço foi US $ 16 bilhões. Café ☕ e café.";
static const char *const EN =
    "The price was $ 18 billion. Coffee ☕ and coffee. 👍🏽 ok";

static void
article(struct rpc_client *c, const char *id, const char *lang,
    const char *text, const char *translation_of)
{
	Gloss__V1__Request q = GLOSS__V1__REQUEST__INIT;
	Gloss__V1__CreateArticleRequest ca =
	    GLOSS__V1__CREATE_ARTICLE_REQUEST__INIT;
	Gloss__V1__Article a = GLOSS__V1__ARTICLE__INIT;
	Gloss__V1__Reply *r;

	a.id = S(id);
	a.language = S(lang);
	a.text = S(text);
	a.translation_of = S(translation_of ? translation_of : "");
	ca.article = &a;
	q.body_case = GLOSS__V1__REQUEST__BODY_CREATE_ARTICLE;
	q.create_article = &ca;
	assert_int_equal(rpc_call(c, &q, 10000, &r), OK);
	rpc_reply_free(r);
}

/* Creates annotation a (its body set) on the nth occurrence of quote in
 * article art; returns the status code and the reply (to free) in *out. */
static int
create_on_quote(struct rpc_client *c, Gloss__V1__Annotation *a, const char *art,
    const char *quote, unsigned nth, const char *author, const char *request_id,
    Gloss__V1__Reply **out)
{
	Gloss__V1__Request q = GLOSS__V1__REQUEST__INIT;
	Gloss__V1__CreateAnnotationRequest ca =
	    GLOSS__V1__CREATE_ANNOTATION_REQUEST__INIT;
	Gloss__V1__SpanSelector sel = GLOSS__V1__SPAN_SELECTOR__INIT, *sels[1];
	Gloss__V1__Quote qu = GLOSS__V1__QUOTE__INIT;

	qu.exact = S(quote);
	qu.nth = nth;
	sel.selector_case = GLOSS__V1__SPAN_SELECTOR__SELECTOR_QUOTE;
	sel.quote = &qu;
	sels[0] = &sel;
	a->article_id = S(art);
	a->n_select = 1;
	a->select = sels;
	ca.annotation = a;
	q.request_id = S(request_id ? request_id : "");
	q.author = S(author);
	q.body_case = GLOSS__V1__REQUEST__BODY_CREATE_ANNOTATION;
	q.create_annotation = &ca;
	return rpc_call(c, &q, 10000, out);
}

/* An entity on the nth occurrence of quote; returns the status code and
 * the reply (to free) in *out. */
static int
tag(struct rpc_client *c, const char *art, const char *quote, unsigned nth,
    const char *label, const char *request_id, Gloss__V1__Reply **out)
{
	Gloss__V1__Annotation a = GLOSS__V1__ANNOTATION__INIT;
	Gloss__V1__Entity e = GLOSS__V1__ENTITY__INIT;

	e.label = S(label);
	a.body_case = GLOSS__V1__ANNOTATION__BODY_ENTITY;
	a.entity = &e;
	return create_on_quote(c, &a, art, quote, nth, "tagger", request_id,
	    out);
}

static uint64_t
tag_ok(struct rpc_client *c, const char *art, const char *quote, unsigned nth,
    const char *label)
{
	Gloss__V1__Reply *r;
	uint64_t id;

	assert_int_equal(tag(c, art, quote, nth, label, NULL, &r), OK);
	id = r->create_annotation->annotation->id;
	rpc_reply_free(r);
	return id;
}

static int
get_ann(struct rpc_client *c, uint64_t id, Gloss__V1__Reply **out)
{
	Gloss__V1__Request q = GLOSS__V1__REQUEST__INIT;
	Gloss__V1__GetAnnotationRequest g =
	    GLOSS__V1__GET_ANNOTATION_REQUEST__INIT;

	g.id = id;
	q.body_case = GLOSS__V1__REQUEST__BODY_GET_ANNOTATION;
	q.get_annotation = &g;
	return rpc_call(c, &q, 10000, out);
}

/* Relabels annotation id from the revision with `etag`. */
static int
relabel(struct rpc_client *c, uint64_t id, const char *etag, const char *label,
    const char *author)
{
	Gloss__V1__Request q = GLOSS__V1__REQUEST__INIT;
	Gloss__V1__UpdateAnnotationRequest u =
	    GLOSS__V1__UPDATE_ANNOTATION_REQUEST__INIT;
	Gloss__V1__Annotation a = GLOSS__V1__ANNOTATION__INIT;
	Gloss__V1__Entity e = GLOSS__V1__ENTITY__INIT;
	Gloss__V1__Reply *r;
	int code;

	e.label = S(label);
	a.id = id;
	a.etag = S(etag);
	a.body_case = GLOSS__V1__ANNOTATION__BODY_ENTITY;
	a.entity = &e;
	u.annotation = &a;
	q.author = S(author);
	q.body_case = GLOSS__V1__REQUEST__BODY_UPDATE_ANNOTATION;
	q.update_annotation = &u;
	code = rpc_call(c, &q, 10000, &r);
	rpc_reply_free(r);
	return code;
}

static int
delete_ann(struct rpc_client *c, uint64_t id, const char *etag)
{
	Gloss__V1__Request q = GLOSS__V1__REQUEST__INIT;
	Gloss__V1__DeleteAnnotationRequest d =
	    GLOSS__V1__DELETE_ANNOTATION_REQUEST__INIT;
	Gloss__V1__Reply *r;
	int code;

	d.id = id;
	d.etag = S(etag);
	q.author = S("remover");
	q.body_case = GLOSS__V1__REQUEST__BODY_DELETE_ANNOTATION;
	q.delete_annotation = &d;
	code = rpc_call(c, &q, 10000, &r);
	rpc_reply_free(r);
	return code;
}

static char *
etag_of(struct rpc_client *c, uint64_t id)
{
	Gloss__V1__Reply *r;
	char *etag;

	assert_int_equal(get_ann(c, id, &r), OK);
	etag = strdup(r->get_annotation->annotation->etag);
	rpc_reply_free(r);
	return etag;
}

/* Lists with a filter, page by page; counts what each id was seen. */
static size_t
list_all(struct rpc_client *c, const char *art, const char *label, bool deleted,
    int page_size, unsigned *seen, size_t max_id)
{
	Gloss__V1__Request q = GLOSS__V1__REQUEST__INIT;
	Gloss__V1__ListAnnotationsRequest l =
	    GLOSS__V1__LIST_ANNOTATIONS_REQUEST__INIT;
	Gloss__V1__Reply *r;
	char token[512] = "";
	size_t total = 0;

	l.article_id = S(art);
	l.label = S(label);
	l.show_deleted = deleted;
	l.page_size = page_size;
	q.body_case = GLOSS__V1__REQUEST__BODY_LIST_ANNOTATIONS;
	q.list_annotations = &l;
	do {
		l.page_token = token;
		assert_int_equal(rpc_call(c, &q, 10000, &r), OK);
		assert_true(
		    r->list_annotations->n_annotations <= (size_t)page_size);
		for (size_t i = 0; i < r->list_annotations->n_annotations;
		     i++) {
			uint64_t id = r->list_annotations->annotations[i]->id;
			assert_true(id <= max_id);
			seen[id]++;
			total++;
		}
		snprintf(token, sizeof(token), "%s",
		    r->list_annotations->next_page_token);
		rpc_reply_free(r);
	} while (token[0] != '\0');
	return total;
}

static int
setup(void **state)
{
	struct harness *h = calloc(1, sizeof(*h));

	harness_init(h);
	assert_true(harness_start(h, NULL));
	*state = h;
	return 0;
}

/* ------------------------------------------------------------ tests */

/* Two annotators read the same revision; the second to write is ABORTED
 * and nothing of hers is stored. */
static void
test_stale_etag(void **state)
{
	struct harness *h = *state;
	struct rpc_client *c = harness_client(h);
	uint64_t id;
	char *etag;
	Gloss__V1__Reply *r;

	article(c, "pt", "pt", PT, NULL);
	id = tag_ok(c, "pt", "Café", 0, "PRODUCT");
	etag = etag_of(c, id);
	assert_int_equal(relabel(c, id, etag, "ORG", "ana"), OK);
	assert_int_equal(relabel(c, id, etag, "GPE", "bruno"), ABORTED);
	assert_int_equal(delete_ann(c, id, etag), ABORTED);
	assert_int_equal(relabel(c, id, "", "GPE", "bruno"), INVALID_ARGUMENT);
	assert_int_equal(get_ann(c, id, &r), OK);
	assert_string_equal(r->get_annotation->annotation->entity->label,
	    "ORG");
	assert_int_equal(r->get_annotation->annotation->revision, 2);
	assert_string_equal(r->get_annotation->annotation->updated_by, "ana");
	assert_string_equal(r->get_annotation->annotation->created_by,
	    "tagger");
	rpc_reply_free(r);
	free(etag);
	rpc_close(c);
}

struct racer {
	const struct harness *h;
	uint64_t id;
	int won, lost;
};

/* Read, relabel, repeat: every write either lands or is ABORTED. */
static void *
race(void *arg)
{
	struct racer *rc = arg;
	struct rpc_client *c = harness_client(rc->h);

	for (int i = 0; i < 25; i++) {
		char *etag = etag_of(c, rc->id);
		int code =
		    relabel(c, rc->id, etag, i % 2 ? "ORG" : "GPE", "racer");
		assert_true(code == OK || code == ABORTED);
		if (code == OK)
			rc->won++;
		else
			rc->lost++;
		free(etag);
	}
	rpc_close(c);
	return NULL;
}

/* Four annotators edit one annotation at once: the revision count equals
 * the edits that were acknowledged, so none was lost or applied twice. */
static void
test_concurrent_edits(void **state)
{
	struct harness *h = *state;
	struct rpc_client *c = harness_client(h);
	struct racer racers[4];
	pthread_t th[4];
	Gloss__V1__Reply *r;
	int won = 0, lost = 0;

	uint64_t id;

	article(c, "pt", "pt", PT, NULL);
	id = tag_ok(c, "pt", "bilhões", 0, "MONEY");
	for (int i = 0; i < 4; i++)
		racers[i] = (struct racer){ h, id, 0, 0 };
	for (int i = 0; i < 4; i++)
		pthread_create(&th[i], NULL, race, &racers[i]);
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		won += racers[i].won;
		lost += racers[i].lost;
	}
	print_message("%d edits landed, %d were aborted\n", won, lost);
	assert_int_equal(won + lost, 100);
	assert_int_equal(get_ann(c, id, &r), OK);
	assert_int_equal(r->get_annotation->annotation->revision, 1 + won);
	rpc_reply_free(r);
	rpc_close(c);
}

/* Delete is a tombstone: still readable, listed on request, in history. */
static void
test_delete_and_history(void **state)
{
	struct harness *h = *state;
	struct rpc_client *c = harness_client(h);
	Gloss__V1__Request q = GLOSS__V1__REQUEST__INIT;
	Gloss__V1__GetAnnotationHistoryRequest hq =
	    GLOSS__V1__GET_ANNOTATION_HISTORY_REQUEST__INIT;
	Gloss__V1__Reply *r;
	unsigned seen[8] = { 0 };
	uint64_t id;
	char *etag;

	article(c, "pt", "pt", PT, NULL);
	id = tag_ok(c, "pt", "café", 0, "PRODUCT");
	etag = etag_of(c, id);
	assert_int_equal(relabel(c, id, etag, "ORG", "ana"), OK);
	free(etag);
	etag = etag_of(c, id);
	assert_int_equal(delete_ann(c, id, etag), OK);
	assert_int_equal(delete_ann(c, id, ""), FAILED_PRECONDITION);
	assert_int_equal(relabel(c, id, etag, "GPE", "ana"),
	    FAILED_PRECONDITION);
	free(etag);
	assert_int_equal(list_all(c, "pt", "", false, 10, seen, 7), 0);
	assert_int_equal(list_all(c, "pt", "", true, 10, seen, 7), 1);
	hq.id = id;
	q.body_case = GLOSS__V1__REQUEST__BODY_GET_ANNOTATION_HISTORY;
	q.get_annotation_history = &hq;
	assert_int_equal(rpc_call(c, &q, 10000, &r), OK);
	assert_int_equal(r->get_annotation_history->n_revisions, 3);
	assert_string_equal(r->get_annotation_history->revisions[0]
	                        ->entity->label,
	    "PRODUCT");
	assert_string_equal(r->get_annotation_history->revisions[1]->updated_by,
	    "ana");
	assert_int_equal(r->get_annotation_history->revisions[2]->state,
	    GLOSS__V1__STATE__STATE_DELETED);
	assert_string_equal(r->get_annotation_history->revisions[2]->updated_by,
	    "remover");
	rpc_reply_free(r);
	rpc_close(c);
}

/* A resent CreateAnnotation (same request_id) is not applied twice; after
 * a restart everything is there and new ids go on from the last. */
static void
test_replay_and_restart(void **state)
{
	struct harness *h = *state;
	struct rpc_client *c = harness_client(h);
	Gloss__V1__Reply *r1, *r2;
	unsigned seen[16] = { 0 };

	article(c, "pt", "pt", PT, NULL);
	assert_int_equal(tag(c, "pt", "Café", 0, "PRODUCT", "rq-1", &r1), OK);
	assert_int_equal(tag(c, "pt", "Café", 0, "PRODUCT", "rq-1", &r2), OK);
	assert_int_equal(r1->create_annotation->annotation->id,
	    r2->create_annotation->annotation->id);
	rpc_reply_free(r1);
	rpc_reply_free(r2);
	assert_int_equal(tag_ok(c, "pt", "US $ 16 bilhões", 0, "MONEY"), 2);
	rpc_close(c);
	assert_int_equal(harness_stop(h), 0);
	assert_true(harness_start(h, NULL));
	c = harness_client(h);
	assert_int_equal(list_all(c, "pt", "", false, 1, seen, 15), 2);
	assert_int_equal(seen[1] + seen[2], 2);
	assert_int_equal(tag_ok(c, "pt", "café", 0, "PRODUCT"), 3);
	rpc_close(c);
}

/* Paging through each filter returns every match exactly once. */
static void
test_list_paging(void **state)
{
	struct harness *h = *state;
	struct rpc_client *c = harness_client(h);
	static unsigned seen[128];
	const char *labels[] = { "PRODUCT", "ORG", "GPE" };
	size_t n;

	article(c, "pt", "pt", PT, NULL);
	article(c, "en", "en", EN, "pt");
	for (int i = 0; i < 60; i++)
		tag_ok(c, i % 2 ? "pt" : "en", i % 2 ? "café" : "coffee", 0,
		    labels[i % 3]);
	for (int size = 1; size <= 61; size += 7) {
		memset(seen, 0, sizeof(seen));
		assert_int_equal(list_all(c, "pt", "", false, size, seen, 127),
		    30);
		for (int id = 1; id <= 60; id++)
			assert_int_equal(seen[id], id % 2 == 0 ? 1 : 0);
		memset(seen, 0, sizeof(seen));
		n = list_all(c, "", "ORG", false, size, seen, 127);
		assert_int_equal(n, 20);
		for (int id = 1; id <= 60; id++)
			assert_int_equal(seen[id], (id - 1) % 3 == 1 ? 1 : 0);
		memset(seen, 0, sizeof(seen));
		n = list_all(c, "en", "GPE", false, size, seen, 127);
		assert_int_equal(n, 10);
	}
	rpc_close(c);
}

/* Builds and sends a CreateAnnotation whose fields the caller sets. */
static int
create_raw(struct rpc_client *c, Gloss__V1__Annotation *a, char *msg,
    size_t len)
{
	Gloss__V1__Request q = GLOSS__V1__REQUEST__INIT;
	Gloss__V1__CreateAnnotationRequest ca =
	    GLOSS__V1__CREATE_ANNOTATION_REQUEST__INIT;
	Gloss__V1__Reply *r;
	int code;

	ca.annotation = a;
	q.body_case = GLOSS__V1__REQUEST__BODY_CREATE_ANNOTATION;
	q.create_annotation = &ca;
	code = rpc_call(c, &q, 10000, &r);
	snprintf(msg, len, "%s", r != NULL ? r->status->message : "");
	rpc_reply_free(r);
	return code;
}

/* What only a program (not the CLI) can send wrong. */
static void
test_refusals(void **state)
{
	struct harness *h = *state;
	struct rpc_client *c = harness_client(h);
	Gloss__V1__Annotation a = GLOSS__V1__ANNOTATION__INIT;
	Gloss__V1__SpanSelector sel[17], *sels[17];
	Gloss__V1__Range rg[17];
	Gloss__V1__Note note = GLOSS__V1__NOTE__INIT;
	Gloss__V1__TranslationNote tn = GLOSS__V1__TRANSLATION_NOTE__INIT;
	Gloss__V1__FactCorrection fc = GLOSS__V1__FACT_CORRECTION__INIT;
	Gloss__V1__Evidence ev = GLOSS__V1__EVIDENCE__INIT, *evs[1] = { &ev };
	char msg[2048];

	article(c, "pt", "pt", PT, NULL);
	article(c, "en", "en", EN, "pt");
	article(c, "other", "en", "Another text, another group.", NULL);
	for (int i = 0; i < 17; i++) {
		gloss__v1__span_selector__init(&sel[i]);
		gloss__v1__range__init(&rg[i]);
		rg[i].unit = GLOSS__V1__UNIT__UNIT_CHARS;
		rg[i].start = (uint32_t)i;
		rg[i].end = (uint32_t)i + 1;
		sel[i].selector_case = GLOSS__V1__SPAN_SELECTOR__SELECTOR_RANGE;
		sel[i].range = &rg[i];
		sels[i] = &sel[i];
	}
	a.article_id = S("en");
	a.select = sels;
	a.n_select = 1;
	/* No body. */
	assert_int_equal(create_raw(c, &a, msg, sizeof(msg)), INVALID_ARGUMENT);
	assert_non_null(strstr(msg, "needs a body"));
	a.body_case = GLOSS__V1__ANNOTATION__BODY_NOTE;
	a.note = &note;
	assert_int_equal(create_raw(c, &a, msg, sizeof(msg)), INVALID_ARGUMENT);
	note.text = S("a note");
	/* Unknown article; no spans; too many; overlapping. */
	a.article_id = S("ghost");
	assert_int_equal(create_raw(c, &a, msg, sizeof(msg)), NOT_FOUND);
	a.article_id = S("en");
	a.n_select = 0;
	assert_int_equal(create_raw(c, &a, msg, sizeof(msg)), INVALID_ARGUMENT);
	a.n_select = 17;
	assert_int_equal(create_raw(c, &a, msg, sizeof(msg)), INVALID_ARGUMENT);
	a.n_select = 2;
	rg[1].start = 0;
	assert_int_equal(create_raw(c, &a, msg, sizeof(msg)), INVALID_ARGUMENT);
	assert_non_null(strstr(msg, "overlap"));
	rg[1].start = 1;
	/* A discontinuous mention is fine; its spans come back sorted. */
	rg[0].start = 4;
	rg[0].end = 9;
	assert_int_equal(create_raw(c, &a, msg, sizeof(msg)), OK);
	/* A translation note whose source is outside the group. */
	a.n_select = 1;
	a.body_case = GLOSS__V1__ANNOTATION__BODY_TRANSLATION_NOTE;
	a.translation_note = &tn;
	tn.category = S("accuracy/mistranslation");
	tn.severity = S("major");
	tn.source_article_id = S("other");
	assert_int_equal(create_raw(c, &a, msg, sizeof(msg)), INVALID_ARGUMENT);
	assert_non_null(strstr(msg, "translation group"));
	tn.source_article_id = S("");
	tn.severity = S("huge");
	assert_int_equal(create_raw(c, &a, msg, sizeof(msg)), INVALID_ARGUMENT);
	assert_non_null(strstr(msg, "critical, major, minor, neutral"));
	tn.severity = S("minor");
	assert_int_equal(create_raw(c, &a, msg, sizeof(msg)), OK);
	/* Evidence that is neither an article span nor an http(s) URL. */
	a.body_case = GLOSS__V1__ANNOTATION__BODY_FACT_CORRECTION;
	a.fact_correction = &fc;
	fc.verdict = S("refuted");
	fc.evidence = evs;
	fc.n_evidence = 1;
	ev.url = S("ftp://example.org/x");
	assert_int_equal(create_raw(c, &a, msg, sizeof(msg)), INVALID_ARGUMENT);
	ev.url = S("https://example.org/report");
	assert_int_equal(create_raw(c, &a, msg, sizeof(msg)), OK);
	fc.verdict = S("false");
	assert_int_equal(create_raw(c, &a, msg, sizeof(msg)), INVALID_ARGUMENT);
	assert_non_null(strstr(msg, "not-enough-info, refuted, supported"));
	rpc_close(c);
}

/* ------------------------------------------------------------ filters */

struct model {
	const char *article, *group, *label, *kb, *author;
	bool deleted;
};

static uint64_t
tag_full(struct rpc_client *c, const struct model *m)
{
	Gloss__V1__Request q = GLOSS__V1__REQUEST__INIT;
	Gloss__V1__CreateAnnotationRequest ca =
	    GLOSS__V1__CREATE_ANNOTATION_REQUEST__INIT;
	Gloss__V1__Annotation a = GLOSS__V1__ANNOTATION__INIT;
	Gloss__V1__SpanSelector sel = GLOSS__V1__SPAN_SELECTOR__INIT, *sels[1];
	Gloss__V1__Range rg = GLOSS__V1__RANGE__INIT;
	Gloss__V1__Entity e = GLOSS__V1__ENTITY__INIT;
	Gloss__V1__Reply *r;
	uint64_t id;

	rg.unit = GLOSS__V1__UNIT__UNIT_CHARS;
	rg.start = 0;
	rg.end = 1;
	sel.selector_case = GLOSS__V1__SPAN_SELECTOR__SELECTOR_RANGE;
	sel.range = &rg;
	sels[0] = &sel;
	e.label = S(m->label);
	e.kb_id = S(m->kb);
	a.article_id = S(m->article);
	a.select = sels;
	a.n_select = 1;
	a.body_case = GLOSS__V1__ANNOTATION__BODY_ENTITY;
	a.entity = &e;
	ca.annotation = &a;
	q.author = S(m->author);
	q.body_case = GLOSS__V1__REQUEST__BODY_CREATE_ANNOTATION;
	q.create_annotation = &ca;
	assert_int_equal(rpc_call(c, &q, 10000, &r), OK);
	id = r->create_annotation->annotation->id;
	rpc_reply_free(r);
	return id;
}

enum {
	F_ARTICLE = 1,
	F_GROUP = 2,
	F_LABEL = 4,
	F_KB = 8,
	F_AUTHOR = 16,
	F_DELETED = 32,
	F_ALL = 64
};

static bool
model_matches(const struct model *m, const struct model *want, int mask)
{
	return (!(mask & F_ARTICLE) ||
	           strcmp(m->article, want->article) == 0) &&
	       (!(mask & F_GROUP) || strcmp(m->group, want->group) == 0) &&
	       (!(mask & F_LABEL) || strcmp(m->label, want->label) == 0) &&
	       (!(mask & F_KB) || strcmp(m->kb, want->kb) == 0) &&
	       (!(mask & F_AUTHOR) || strcmp(m->author, want->author) == 0) &&
	       m->deleted == ((mask & F_DELETED) != 0);
}

/* Every combination of five filters (and active/deleted), paged by 3,
 * returns exactly the annotations the model says, each once. */
static void
test_filter_combinations(void **state)
{
	struct harness *h = *state;
	struct rpc_client *c = harness_client(h);
	static const char *const arts[][2] = { { "pt", "pt" }, { "en", "pt" },
		{ "other", "other" } };
	static const char *const labels[] = { "PERSON", "ORG", "GPE" };
	static const char *const kbs[] = { "", "Q1", "Q2", "" };
	static const char *const authors[] = { "ana", "bo" };
	struct model m[48];
	Gloss__V1__Request q = GLOSS__V1__REQUEST__INIT;
	Gloss__V1__ListAnnotationsRequest l =
	    GLOSS__V1__LIST_ANNOTATIONS_REQUEST__INIT;
	Gloss__V1__Reply *r;

	article(c, "pt", "pt", PT, NULL);
	article(c, "en", "en", EN, "pt");
	article(c, "other", "en", "Another text, another group.", NULL);
	for (int i = 0; i < 48; i++) {
		m[i] = (struct model){ arts[i % 3][0], arts[i % 3][1],
			labels[(i / 3) % 3], kbs[(i / 2) % 4],
			authors[(i / 5) % 2], i % 7 == 0 };
		assert_int_equal(tag_full(c, &m[i]), (uint64_t)i + 1);
		if (m[i].deleted)
			assert_int_equal(delete_ann(c, (uint64_t)i + 1, ""),
			    OK);
	}
	q.body_case = GLOSS__V1__REQUEST__BODY_LIST_ANNOTATIONS;
	q.list_annotations = &l;
	for (int mask = 0; mask < F_ALL; mask++) {
		for (int k = 0; k < 48; k += 11) {
			unsigned seen[49] = { 0 };
			char token[512] = "";
			size_t want = 0, got = 0;
			l.article_id = S(mask & F_ARTICLE ? m[k].article : "");
			l.group = S(mask & F_GROUP ? m[k].group : "");
			l.label = S(mask & F_LABEL ? m[k].label : "");
			l.kb_id = S(mask & F_KB ? m[k].kb : "");
			l.author = S(mask & F_AUTHOR ? m[k].author : "");
			l.state = mask & F_DELETED
			              ? GLOSS__V1__STATE__STATE_DELETED
			              : GLOSS__V1__STATE__STATE_ACTIVE;
			l.page_size = 3;
			do {
				l.page_token = token;
				assert_int_equal(rpc_call(c, &q, 10000, &r),
				    OK);
				for (size_t i = 0;
				     i < r->list_annotations->n_annotations;
				     i++)
					seen[r->list_annotations->annotations[i]
					         ->id]++;
				snprintf(token, sizeof(token), "%s",
				    r->list_annotations->next_page_token);
				rpc_reply_free(r);
			} while (token[0] != '\0');
			for (int i = 0; i < 48; i++) {
				bool in = model_matches(&m[i], &m[k], mask);
				/* An empty kb_id filter means any. */
				if ((mask & F_KB) && m[k].kb[0] == '\0')
					in = model_matches(&m[i], &m[k],
					    mask & ~F_KB);
				want += in;
				got += seen[i + 1];
				assert_int_equal(seen[i + 1], in ? 1 : 0);
			}
			assert_int_equal(got, want);
		}
	}
	rpc_close(c);
}

/* A note of `len` bytes of text on the first "Café" of "pt". */
static uint64_t
note_ok(struct rpc_client *c, size_t len)
{
	Gloss__V1__Annotation a = GLOSS__V1__ANNOTATION__INIT;
	Gloss__V1__Note n = GLOSS__V1__NOTE__INIT;
	Gloss__V1__Reply *r;
	char *text = malloc(len + 1);
	uint64_t id;

	memset(text, 'n', len);
	text[len] = '\0';
	n.text = text;
	a.body_case = GLOSS__V1__ANNOTATION__BODY_NOTE;
	a.note = &n;
	assert_int_equal(create_on_quote(c, &a, "pt", "Café", 0, "noter", NULL,
	                     &r),
	    OK);
	id = r->create_annotation->annotation->id;
	rpc_reply_free(r);
	free(text);
	return id;
}

/* Scans that read far more than a request's arena holds (5 MiB: 4 times
 * the largest request, plus 1 MiB) and keep little of it still answer:
 * each record read and not kept is dropped before the next is read. */
static void
test_scans_beyond_the_arena(void **state)
{
	struct harness *h = *state;
	struct rpc_client *c = harness_client(h);
	enum { NOTES = 600, NOTE_BYTES = 12000, BIG = 12, BIG_BYTES = 500000 };
	Gloss__V1__Request q = GLOSS__V1__REQUEST__INIT;
	Gloss__V1__ListAnnotationsRequest l =
	    GLOSS__V1__LIST_ANNOTATIONS_REQUEST__INIT;
	Gloss__V1__SearchTextRequest st = GLOSS__V1__SEARCH_TEXT_REQUEST__INIT;
	Gloss__V1__GetStatsRequest gs = GLOSS__V1__GET_STATS_REQUEST__INIT;
	Gloss__V1__Reply *r;
	char *big = malloc(BIG_BYTES + 1), id[16];
	uint64_t last = 0;

	article(c, "pt", "pt", PT, NULL);
	for (int i = 0; i < NOTES; i++)
		last = note_ok(c, NOTE_BYTES);
	assert_int_equal(delete_ann(c, last, ""), OK);
	memset(big, 'x', BIG_BYTES);
	big[BIG_BYTES] = '\0';
	for (int i = 0; i < BIG; i++) {
		if (i == BIG - 1)
			memcpy(big + BIG_BYTES / 2, "needle", 6);
		snprintf(id, sizeof(id), "big%d", i);
		article(c, id, "en", big, NULL);
	}
	free(big);

	/* No index serves a state: every note is read, one is kept. */
	l.state = GLOSS__V1__STATE__STATE_DELETED;
	q.body_case = GLOSS__V1__REQUEST__BODY_LIST_ANNOTATIONS;
	q.list_annotations = &l;
	for (int as_of = 0; as_of < 2; as_of++) {
		l.as_of_seq = as_of ? (uint64_t)NOTES + 2 : 0;
		assert_int_equal(rpc_call(c, &q, 10000, &r), OK);
		assert_int_equal(r->list_annotations->n_annotations, 1);
		assert_int_equal(r->list_annotations->annotations[0]->id, last);
		rpc_reply_free(r);
	}

	st.text = S("needle");
	q.body_case = GLOSS__V1__REQUEST__BODY_SEARCH_TEXT;
	q.search_text = &st;
	assert_int_equal(rpc_call(c, &q, 10000, &r), OK);
	assert_int_equal(r->search_text->n_matches, 1);
	assert_string_equal(r->search_text->matches[0]->article_id, "big11");
	rpc_reply_free(r);

	q.body_case = GLOSS__V1__REQUEST__BODY_GET_STATS;
	q.get_stats = &gs;
	assert_int_equal(rpc_call(c, &q, 10000, &r), OK);
	assert_int_equal(r->get_stats->annotations, NOTES - 1);
	assert_int_equal(r->get_stats->articles, BIG + 1);
	assert_int_equal(r->get_stats->n_by_state, 2);
	rpc_reply_free(r);
	rpc_close(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_stale_etag, setup,
		    harness_teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_edits, setup,
		    harness_teardown),
		cmocka_unit_test_setup_teardown(test_delete_and_history, setup,
		    harness_teardown),
		cmocka_unit_test_setup_teardown(test_replay_and_restart, setup,
		    harness_teardown),
		cmocka_unit_test_setup_teardown(test_list_paging, setup,
		    harness_teardown),
		cmocka_unit_test_setup_teardown(test_refusals, setup,
		    harness_teardown),
		cmocka_unit_test_setup_teardown(test_filter_combinations, setup,
		    harness_teardown),
		cmocka_unit_test_setup_teardown(test_scans_beyond_the_arena,
		    setup, harness_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
