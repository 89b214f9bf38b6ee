/*
 * Integration tests of record bounds (issue 10): every record glossd
 * commits can be read back by every method, so a write that could not be
 * is refused before it commits, with the right status and nothing stored.
 * Each test is one fault of the issue, rebuilt from its description.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "calls.h"

/* A 14-byte unit of Portuguese and Arabic: its copies end on character
 * and grapheme boundaries. */
static const char *const UNIT = "a\xc3\xa7\xc3\xa3o \xd8\xaa\xd8\xb1\xd8\xa7 ";

/* A range selector [start, end) in bytes. */
static void
range_sel(Gloss__V1__SpanSelector *sel, Gloss__V1__Range *r, uint32_t start,
    uint32_t end)
{
	gloss__v1__span_selector__init(sel);
	gloss__v1__range__init(r);
	r->unit = GLOSS__V1__UNIT__UNIT_BYTES;
	r->start = start;
	r->end = end;
	sel->selector_case = GLOSS__V1__SPAN_SELECTOR__SELECTOR_RANGE;
	sel->range = r;
}

/* A translation note on bytes [0, target) of "tgt" and [0, source) of
 * "src"; the reply in *out. */
static int
translation_note(struct rpc_client *c, uint32_t target, uint32_t source,
    Gloss__V1__Reply **out)
{
	Gloss__V1__Request q = GLOSS__V1__REQUEST__INIT;
	Gloss__V1__CreateAnnotationRequest ca =
	    GLOSS__V1__CREATE_ANNOTATION_REQUEST__INIT;
	Gloss__V1__Annotation a = GLOSS__V1__ANNOTATION__INIT;
	Gloss__V1__TranslationNote t = GLOSS__V1__TRANSLATION_NOTE__INIT;
	Gloss__V1__SpanSelector sel, ssel, *sels[1] = { &sel };
	Gloss__V1__Range r, sr;

	range_sel(&sel, &r, 0, target);
	range_sel(&ssel, &sr, 0, source);
	t.category = S("accuracy/mistranslation");
	t.severity = S("major");
	t.source_select = &ssel;
	a.article_id = S("tgt");
	a.select = sels;
	a.n_select = 1;
	a.body_case = GLOSS__V1__ANNOTATION__BODY_TRANSLATION_NOTE;
	a.translation_note = &t;
	ca.annotation = &a;
	q.body_case = GLOSS__V1__REQUEST__BODY_CREATE_ANNOTATION;
	q.create_annotation = &ca;
	return calls_run(c, &q, out);
}

/* Every way an annotation is read back answers OK. */
static void
read_back(struct rpc_client *c, uint64_t id, uint64_t since)
{
	Gloss__V1__Request q = GLOSS__V1__REQUEST__INIT;
	Gloss__V1__GetAnnotationRequest g =
	    GLOSS__V1__GET_ANNOTATION_REQUEST__INIT;
	Gloss__V1__GetAnnotationHistoryRequest hi =
	    GLOSS__V1__GET_ANNOTATION_HISTORY_REQUEST__INIT;
	Gloss__V1__ListChangesRequest lc =
	    GLOSS__V1__LIST_CHANGES_REQUEST__INIT;
	Gloss__V1__GetTranslationGroupRequest tg =
	    GLOSS__V1__GET_TRANSLATION_GROUP_REQUEST__INIT;

	g.id = hi.id = id;
	q.body_case = GLOSS__V1__REQUEST__BODY_GET_ANNOTATION;
	q.get_annotation = &g;
	assert_int_equal(calls_run(c, &q, NULL), OK);
	q.body_case = GLOSS__V1__REQUEST__BODY_GET_ANNOTATION_HISTORY;
	q.get_annotation_history = &hi;
	assert_int_equal(calls_run(c, &q, NULL), OK);
	lc.since_seq = since;
	lc.include_records = true;
	q.body_case = GLOSS__V1__REQUEST__BODY_LIST_CHANGES;
	q.list_changes = &lc;
	assert_int_equal(calls_run(c, &q, NULL), OK);
	tg.group = S("src");
	q.body_case = GLOSS__V1__REQUEST__BODY_GET_TRANSLATION_GROUP;
	q.get_translation_group = &tg;
	assert_int_equal(calls_run(c, &q, NULL), OK);
}

/*
 * "A translation note spanning two ~512 KiB articles is committed, then
 * answered INTERNAL; GetAnnotation, history and DeleteAnnotation on it
 * fail the same way forever": now it is refused before it commits, and a
 * note just inside the bound is read back by every method and deleted.
 */
static void
test_translation_note_bound(void **state)
{
	struct harness *h = *state;
	const size_t len = 512 * 1024 / 14 * 14;
	char *text = calls_text(len, UNIT);
	Gloss__V1__Request q = GLOSS__V1__REQUEST__INIT;
	Gloss__V1__DeleteAnnotationRequest d =
	    GLOSS__V1__DELETE_ANNOTATION_REQUEST__INIT;
	Gloss__V1__Reply *r;
	struct rpc_client *c;
	uint64_t seq, id;

	assert_true(harness_start(h, NULL));
	c = harness_client(h);
	assert_int_equal(calls_article(c, "src", "pt", text, NULL, 0, 0), OK);
	assert_int_equal(calls_article(c, "tgt", "ar", text, "src", 0, 0), OK);
	seq = calls_last_seq(c);
	assert_int_equal(translation_note(c, (uint32_t)len, (uint32_t)len, &r),
	    RESOURCE_EXHAUSTED);
	assert_non_null(strstr(rpc_error(c), "spans quote"));
	assert_non_null(strstr(rpc_error(c), "nothing was written"));
	rpc_reply_free(r);
	assert_int_equal(calls_last_seq(c), seq);
	/* 2 x 490 KiB of quoted text: a record just inside the bound. */
	assert_int_equal(translation_note(c, 490 * 1024 / 14 * 14,
	                     490 * 1024 / 14 * 14, &r),
	    OK);
	id = r->create_annotation->annotation->id;
	rpc_reply_free(r);
	read_back(c, id, seq);
	d.id = id;
	q.body_case = GLOSS__V1__REQUEST__BODY_DELETE_ANNOTATION;
	q.delete_annotation = &d;
	assert_int_equal(calls_run(c, &q, NULL), OK);
	read_back(c, id, seq);
	free(text);
	rpc_close(c);
}

/*
 * "--max-article-kib 896 with large metadata: CreateArticle OK, GetArticle
 * INTERNAL forever": the whole record is bounded, not the text alone.
 */
static void
test_article_record_bound(void **state)
{
	struct harness *h = *state;
	const char *const args[] = { "--max-article-kib", "896", NULL };
	char *text = calls_text(896 * 1024, UNIT);
	struct rpc_client *c;
	Gloss__V1__Reply *r;

	assert_true(harness_start(h, args));
	c = harness_client(h);
	/* 896 KiB of text and 30 values of 4 KiB: under the request limit,
	 * over what one reply holds. */
	assert_int_equal(calls_article(c, "big", "pt", text, NULL, 30, 4096),
	    RESOURCE_EXHAUSTED);
	assert_non_null(strstr(rpc_error(c), "metadata"));
	assert_int_equal(calls_last_seq(c), 0);
	assert_int_equal(calls_get(c, "big", false, NULL), NOT_FOUND);
	/* The same text with a little metadata fits, and reads back whole. */
	assert_int_equal(calls_article(c, "big", "pt", text, NULL, 4, 4096),
	    OK);
	assert_int_equal(calls_get(c, "big", false, &r), OK);
	assert_string_equal(r->get_article->article->text, text);
	rpc_reply_free(r);
	free(text);
	rpc_close(c);
}

/*
 * "ListArticles of 12 articles of 450 KiB: RESOURCE_EXHAUSTED (texts
 * unpacked into the request arena before being blanked)": lists read
 * articles without their text; so do GetTranslationGroup, ListChanges
 * with records and GetStats.
 */
static void
test_lists_of_long_articles(void **state)
{
	struct harness *h = *state;
	char *text = calls_text(450 * 1024, UNIT), id[16];
	Gloss__V1__Request q = GLOSS__V1__REQUEST__INIT;
	Gloss__V1__GetTranslationGroupRequest tg =
	    GLOSS__V1__GET_TRANSLATION_GROUP_REQUEST__INIT;
	Gloss__V1__ListChangesRequest lc =
	    GLOSS__V1__LIST_CHANGES_REQUEST__INIT;
	Gloss__V1__GetStatsRequest gs = GLOSS__V1__GET_STATS_REQUEST__INIT;
	struct rpc_client *c;
	Gloss__V1__Reply *r;

	assert_true(harness_start(h, NULL));
	c = harness_client(h);
	for (int i = 0; i < 12; i++) {
		snprintf(id, sizeof(id), "long%02d", i);
		assert_int_equal(calls_article(c, id, "pt", text,
		                     i > 0 ? "long00" : NULL, 0, 0),
		    OK);
	}
	assert_int_equal(calls_list(c, NULL, NULL, &r), OK);
	assert_int_equal(r->list_articles->n_articles, 12);
	assert_string_equal(r->list_articles->next_page_token, "");
	rpc_reply_free(r);
	assert_int_equal(calls_list(c, "pt", "long00", &r), OK);
	assert_int_equal(r->list_articles->n_articles, 12);
	rpc_reply_free(r);
	tg.group = S("long05");
	q.body_case = GLOSS__V1__REQUEST__BODY_GET_TRANSLATION_GROUP;
	q.get_translation_group = &tg;
	assert_int_equal(calls_run(c, &q, &r), OK);
	assert_int_equal(r->get_translation_group->n_translations, 11);
	rpc_reply_free(r);
	lc.include_records = true;
	q.body_case = GLOSS__V1__REQUEST__BODY_LIST_CHANGES;
	q.list_changes = &lc;
	assert_int_equal(calls_run(c, &q, &r), OK);
	assert_int_equal(r->list_changes->n_changes, 12);
	rpc_reply_free(r);
	q.body_case = GLOSS__V1__REQUEST__BODY_GET_STATS;
	q.get_stats = &gs;
	assert_int_equal(calls_run(c, &q, NULL), OK);
	free(text);
	rpc_close(c);
}

/* One filtered list; the status code. */
static int
list_annotations(struct rpc_client *c, const char *field, const char *value)
{
	Gloss__V1__Request q = GLOSS__V1__REQUEST__INIT;
	Gloss__V1__ListAnnotationsRequest l =
	    GLOSS__V1__LIST_ANNOTATIONS_REQUEST__INIT;

	if (strcmp(field, "label") == 0)
		l.label = S(value);
	else if (strcmp(field, "group") == 0)
		l.group = S(value);
	else if (strcmp(field, "author") == 0)
		l.author = S(value);
	else if (strcmp(field, "kb_id") == 0)
		l.kb_id = S(value);
	else
		l.article_id = S(value);
	q.body_case = GLOSS__V1__REQUEST__BODY_LIST_ANNOTATIONS;
	q.list_annotations = &l;
	return calls_run(c, &q, NULL);
}

/*
 * "A language or group filter of >= 511 bytes: DATA_LOSS (the operator is
 * told the store is damaged) or the filter is silently dropped and other
 * groups' articles come back": every filter and id past LMDB's key limit,
 * or not the shape of what it filters by, is INVALID_ARGUMENT.
 */
static void
test_long_filters(void **state)
{
	struct harness *h = *state;
	static const char *const fields[] = { "label", "group", "author",
		"kb_id", "article_id" };
	struct rpc_client *c;
	Gloss__V1__Reply *r;
	char *v[3];

	assert_true(harness_start(h, NULL));
	c = harness_client(h);
	assert_int_equal(calls_article(c, "one", "pt", "um texto", NULL, 0, 0),
	    OK);
	assert_int_equal(calls_article(c, "two", "en", "a text", NULL, 0, 0),
	    OK);
	v[0] = calls_text(511, "a");
	v[1] = calls_text(600, "pt-");
	v[2] = calls_text(2000, "b");
	for (int i = 0; i < 3; i++) {
		assert_int_equal(calls_list(c, v[i], NULL, &r),
		    INVALID_ARGUMENT);
		rpc_reply_free(r);
		assert_int_equal(calls_list(c, NULL, v[i], &r),
		    INVALID_ARGUMENT);
		rpc_reply_free(r);
		assert_int_equal(calls_get(c, v[i], false, NULL),
		    INVALID_ARGUMENT);
		for (size_t f = 0; f < sizeof(fields) / sizeof(*fields); f++)
			assert_int_equal(list_annotations(c, fields[f], v[i]),
			    INVALID_ARGUMENT);
	}
	/* The messages never echo such a value whole. */
	assert_non_null(strstr(rpc_error(c), "bbbbbbbb"));
	assert_null(strstr(rpc_error(c), v[2] + 1900));
	/* A filter that is well formed but matches nothing is an answer. */
	assert_int_equal(calls_list(c, NULL, "three", &r), OK);
	assert_int_equal(r->list_articles->n_articles, 0);
	rpc_reply_free(r);
	for (int i = 0; i < 3; i++)
		free(v[i]);
	rpc_close(c);
}

/* Every label of set `set`, paged with page_size; the count. */
static size_t
count_labels(struct rpc_client *c, const char *set, int page_size,
    size_t *pages)
{
	Gloss__V1__Request q = GLOSS__V1__REQUEST__INIT;
	Gloss__V1__ListLabelsRequest l = GLOSS__V1__LIST_LABELS_REQUEST__INIT;
	Gloss__V1__Reply *r;
	char token[512] = "";
	size_t n = 0;

	*pages = 0;
	l.set = S(set);
	l.page_size = page_size;
	q.body_case = GLOSS__V1__REQUEST__BODY_LIST_LABELS;
	q.list_labels = &l;
	do {
		l.page_token = token;
		assert_int_equal(calls_run(c, &q, &r), OK);
		for (size_t i = 0; i < r->list_labels->n_sets; i++)
			n += r->list_labels->sets[i]->n_labels;
		snprintf(token, sizeof(token), "%s",
		    r->list_labels->next_page_token);
		rpc_reply_free(r);
		(*pages)++;
	} while (token[0] != '\0');
	return n;
}

/* The longest line of file path. */
static size_t
longest_line(const char *path)
{
	size_t n, best = 0;
	char *s = harness_read_file(path, &n), *p, *nl;

	assert_non_null(s);
	for (p = s; p < s + n; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(s + n - p))) == NULL)
			nl = s + n;
		if ((size_t)(nl - p) > best)
			best = (size_t)(nl - p);
	}
	free(s);
	return best;
}

/*
 * "~1,870 entity labels with 500-byte descriptions: AddLabel is applied
 * but answered INTERNAL; gloss labels fails from then on; the export's
 * label-set line cannot be imported": a set holds at most 1000 labels
 * (RESOURCE_EXHAUSTED past that, nothing written), AddLabel answers with
 * the one label, ListLabels pages, and the jsonl export writes a set in
 * lines short enough to import.
 */
static void
test_many_labels(void **state)
{
	struct harness *h = *state, second;
	char *desc = calls_text(500, "d\xc3\xa9"), name[16], path[300];
	const char *exp[] = { "export", "--format", "jsonl", "--out", path,
		NULL };
	const char *imp[] = { "import", "--format", "jsonl", path, NULL };
	struct rpc_client *c;
	Gloss__V1__Reply *r;
	size_t added = 0, pages;
	int code = OK;

	assert_true(harness_start(h, NULL));
	c = harness_client(h);
	for (int i = 0; i < 1870 && code == OK; i++) {
		snprintf(name, sizeof(name), "L%04d", i);
		code = calls_add_label(c, "entity", name, desc, &r);
		if (code == OK) {
			added++;
			assert_true(
			    gloss__v1__reply__get_packed_size(r) < 4096);
			assert_int_equal(r->add_label->set->n_labels, 1);
			assert_int_equal(r->add_label->label_count, 18 + added);
		}
		rpc_reply_free(r);
	}
	assert_int_equal(code, RESOURCE_EXHAUSTED);
	assert_non_null(strstr(rpc_error(c), "1000"));
	assert_int_equal(18 + added, 1000);
	assert_int_equal(count_labels(c, "entity", 0, &pages), 1000);
	assert_int_equal(pages, 10);
	assert_int_equal(count_labels(c, "", 1000, &pages), 1000 + 23);
	assert_int_equal(count_labels(c, "entity", 1000, &pages), 1000);
	assert_int_equal(pages, 1);
	assert_int_equal(calls_gloss(h, NULL, 0,
	                     (const char *[]){ "labels", NULL }),
	    0);
	snprintf(path, sizeof(path), "%s.labels.jsonl", h->dir);
	assert_int_equal(calls_gloss(h, NULL, 0, exp), 0);
	assert_true(longest_line(path) < 512 * 1024);
	/* The export imports whole into a new folder. */
	second = *h;
	harness_init(&second);
	assert_true(harness_start(&second, NULL));
	assert_int_equal(calls_gloss(&second, NULL, 0, imp), 0);
	rpc_close(c);
	c = harness_client(&second);
	assert_int_equal(count_labels(c, "entity", 1000, &pages), 1000);
	rpc_close(c);
	harness_fini(&second);
	unlink(path);
	free(desc);
}

/* "The C client must refuse locally to send a request over the limit." */
static void
test_client_refuses_oversized(void **state)
{
	struct harness *h = *state;
	char *text = calls_text(1100 * 1024, UNIT);
	struct rpc_client *c;
	Gloss__V1__Reply *r;
	uint64_t served;

	assert_true(harness_start(h, NULL));
	c = harness_client(h);
	served = calls_info(c, &r)->requests_served;
	rpc_reply_free(r);
	assert_int_equal(calls_article(c, "huge", "pt", text, NULL, 0, 0),
	    RESOURCE_EXHAUSTED);
	assert_non_null(strstr(rpc_error(c), "not sent"));
	/* glossd saw the info call before and this one, nothing between. */
	assert_int_equal(calls_info(c, &r)->requests_served, served + 1);
	rpc_reply_free(r);
	free(text);
	rpc_close(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_translation_note_bound,
		    harness_setup, harness_teardown),
		cmocka_unit_test_setup_teardown(test_article_record_bound,
		    harness_setup, harness_teardown),
		cmocka_unit_test_setup_teardown(test_lists_of_long_articles,
		    harness_setup, harness_teardown),
		cmocka_unit_test_setup_teardown(test_long_filters,
		    harness_setup, harness_teardown),
		cmocka_unit_test_setup_teardown(test_many_labels, harness_setup,
		    harness_teardown),
		cmocka_unit_test_setup_teardown(test_client_refuses_oversized,
		    harness_setup, harness_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
