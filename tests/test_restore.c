/*
 * Integration tests of ImportRecords (issue 10): an import takes only
 * records the create methods could have made; a restore that stops half
 * way keeps every other write out, across a restart, until it is finished
 * or abandoned; a line of any length imports.  Exports and imports go
 * through the gloss CLI, as an operator runs them.
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

static const char *const PT = "O presidente Jensen Huang visitou Taipé.";
static const char *const EN = "President Jensen Huang visited Taipei.";
static const char *const AR = "زار الرئيس جنسن هوانغ تايبيه.";

/* Characters JSON escapes as \u00XX: six bytes each in a jsonl line. */
#define CONTROLS                                                           \
	"\x01\x02\x03\x04\x05\x06\x07\x0e\x0f\x10\x11\x12\x13\x14\x15\x16" \
	"\x17\x18\x19\x1a\x1b\x1c\x1d\x1e"

static int
setup(void **state)
{
	struct harness *h = calloc(2, sizeof(*h));

	harness_init(&h[0]);
	harness_init(&h[1]);
	*state = h;
	return 0;
}

static int
teardown(void **state)
{
	struct harness *h = *state;

	harness_fini(&h[0]);
	harness_fini(&h[1]);
	free(h);
	return 0;
}

/* An entity on the only occurrence of quote in article art. */
static int
entity(struct rpc_client *c, const char *art, const char *quote,
    const char *label, const char *kb)
{
	Gloss__V1__Request q = GLOSS__V1__REQUEST__INIT;
	Gloss__V1__CreateAnnotationRequest ca =
	    GLOSS__V1__CREATE_ANNOTATION_REQUEST__INIT;
	Gloss__V1__Annotation a = GLOSS__V1__ANNOTATION__INIT;
	Gloss__V1__Entity e = GLOSS__V1__ENTITY__INIT;
	Gloss__V1__SpanSelector sel = GLOSS__V1__SPAN_SELECTOR__INIT;
	Gloss__V1__SpanSelector *sels[1] = { &sel };
	Gloss__V1__Quote qu = GLOSS__V1__QUOTE__INIT;

	qu.exact = S(quote);
	sel.selector_case = GLOSS__V1__SPAN_SELECTOR__SELECTOR_QUOTE;
	sel.quote = &qu;
	e.label = S(label);
	e.kb_id = S(kb);
	a.article_id = S(art);
	a.select = sels;
	a.n_select = 1;
	a.body_case = GLOSS__V1__ANNOTATION__BODY_ENTITY;
	a.entity = &e;
	ca.annotation = &a;
	q.author = S("ana");
	q.body_case = GLOSS__V1__REQUEST__BODY_CREATE_ANNOTATION;
	q.create_annotation = &ca;
	return calls_run(c, &q, NULL);
}

/* A small folder in h (started): a translation group of three, entities
 * in each; its jsonl export in path. */
static void
dataset(struct harness *h, const char *path)
{
	const char *exp[] = { "export", "--format", "jsonl", "--out", path,
		NULL };
	struct rpc_client *c = harness_client(h);

	assert_int_equal(calls_article(c, "orig-1", "pt", PT, NULL, 2, 40), OK);
	assert_int_equal(calls_article(c, "en-1", "en", EN, "orig-1", 0, 0),
	    OK);
	assert_int_equal(calls_article(c, "0-ar", "ar", AR, "orig-1", 0, 0),
	    OK);
	assert_int_equal(entity(c, "orig-1", "Jensen Huang", "PERSON", "Q42"),
	    OK);
	assert_int_equal(entity(c, "en-1", "Taipei", "GPE", "Q1867"), OK);
	assert_int_equal(entity(c, "0-ar", "تايبيه", "GPE", "Q1867"), OK);
	rpc_close(c);
	assert_int_equal(calls_gloss(h, NULL, 0, exp), 0);
}

/* Replaces the first `from` in s with `to` (s has room). */
static void
replace(char *s, const char *from, const char *to)
{
	char *at = strstr(s, from);

	assert_non_null(at);
	memmove(at + strlen(to), at + strlen(from),
	    strlen(at + strlen(from)) + 1);
	memcpy(at, to, strlen(to));
}

/* h's folder holds nothing, and no import is unfinished. */
static void
assert_empty(struct harness *h)
{
	struct rpc_client *c = harness_client(h);
	Gloss__V1__Reply *r;
	Gloss__V1__GetServerInfoResponse *i = calls_info(c, &r);

	assert_int_equal(i->article_count, 0);
	assert_int_equal(i->last_seq, 0);
	assert_null(i->unfinished_import);
	rpc_reply_free(r);
	rpc_close(c);
}

/* An export of h in path2 is byte for byte the file at path. */
static void
assert_same_export(struct harness *h, const char *path, const char *path2)
{
	const char *exp[] = { "export", "--format", "jsonl", "--out", path2,
		NULL };
	size_t n1, n2;
	char *a, *b;

	assert_int_equal(calls_gloss(h, NULL, 0, exp), 0);
	a = harness_read_file(path, &n1);
	b = harness_read_file(path2, &n2);
	assert_non_null(a);
	assert_non_null(b);
	assert_int_equal(n1, n2);
	assert_memory_equal(a, b, n1);
	free(a);
	free(b);
	unlink(path2);
}

/*
 * "ImportRecords accepts ids, languages and authors that CreateArticle
 * refuses (../../../x, control characters), and Export(brat) then names a
 * file outside its folder": each such record is INVALID_ARGUMENT, and
 * nothing of the file is stored.
 */
static void
test_import_refuses_what_create_refuses(void **state)
{
	struct harness *h = *state;
	static const char *const bad[][3] = {
		{ "{\"article\":{\"id\":\"orig-1\"",
		    "{\"article\":{\"id\":\"../../../x\"", "article id" },
		{ "\"language\":\"pt\"", "\"language\":\"p\\u0001t\"",
		    "language" },
		/* (whoever runs the test: ipc's OS user) */
		{ "\"createdBy\":\"", "\"createdBy\":\"an\\u0007on",
		    "authors" },
		{ "\"label\":\"PERSON\"", "\"label\":\"../PERSON\"",
		    "label set" },
		{ "\"kbId\":\"Q42\"", "\"kbId\":\"Q42/x\"", "kb_id" },
		{ "\"author\":\"ana\"", "\"author\":\"a\\tna\"", "author" },
		{ "\"exact\":\"Taipei\"", "\"exact\":\"Taipai\"",
		    "does not match" },
		{ "\"translationOf\":\"orig-1\"",
		    "\"translationOf\":\"nowhere\"", "does not hold" },
	};
	char path[300], bad_path[300], err[4096];
	const char *imp[] = { "import", "--format", "jsonl", bad_path, NULL };
	size_t n;
	char *file, *copy;

	snprintf(path, sizeof(path), "%s.jsonl", h[0].dir);
	snprintf(bad_path, sizeof(bad_path), "%s.bad.jsonl", h[0].dir);
	assert_true(harness_start(&h[0], NULL));
	dataset(&h[0], path);
	assert_true(harness_start(&h[1], NULL));
	file = harness_read_file(path, &n);
	assert_non_null(file);
	copy = malloc(n + 256);
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		memcpy(copy, file, n + 1);
		replace(copy, bad[i][0], bad[i][1]);
		assert_true(calls_write_file(bad_path, copy, strlen(copy)));
		assert_int_equal(calls_gloss(&h[1], err, sizeof(err), imp), 3);
		if (strstr(err, "INVALID_ARGUMENT") == NULL ||
		    strstr(err, bad[i][2]) == NULL)
			fail_msg("tampering %zu: %s", i, err);
		assert_empty(&h[1]);
	}
	/* The file as exported imports, and exports back the same. */
	snprintf(bad_path, sizeof(bad_path), "%s", path);
	assert_int_equal(calls_gloss(&h[1], err, sizeof(err), imp), 0);
	snprintf(bad_path, sizeof(bad_path), "%s.again.jsonl", h[0].dir);
	assert_same_export(&h[1], path, bad_path);
	unlink(path);
	free(file);
	free(copy);
}

/* Every other write is refused while an import is unfinished. */
static void
assert_writes_refused(struct harness *h)
{
	struct rpc_client *c = harness_client(h);
	Gloss__V1__Reply *r;
	Gloss__V1__GetServerInfoResponse *i = calls_info(c, &r);

	assert_non_null(i->unfinished_import);
	assert_non_null(strstr(i->import_status, "gloss import --abandon"));
	rpc_reply_free(r);
	assert_int_equal(calls_article(c, "new", "pt", PT, NULL, 0, 0),
	    FAILED_PRECONDITION);
	assert_non_null(strstr(rpc_error(c), "unfinished"));
	assert_non_null(strstr(rpc_error(c), "gloss import --abandon"));
	assert_int_equal(calls_add_label(c, "entity", "CHIP", "", &r),
	    FAILED_PRECONDITION);
	rpc_reply_free(r);
	/* Reads are served. */
	assert_int_equal(calls_get(c, "0-ar", false, &r), OK);
	assert_string_equal(r->get_article->article->text, AR);
	rpc_reply_free(r);
	rpc_close(c);
}

/* Imports file[from..to) by ImportRecords after `token` ("" for the
 * first call), without finishing it; returns the next token (malloc'd). */
static char *
import_part(struct harness *h, const char *file, size_t from, size_t to,
    const char *token)
{
	struct rpc_client *c = harness_client(h);
	char *part = strndup(file + from, to - from), *next;
	Gloss__V1__Reply *r;

	assert_int_equal(calls_import(c, part, token, false, &r), OK);
	assert_false(r->import_records->complete);
	assert_int_equal(r->import_records->byte_offset, to);
	next = strdup(r->import_records->import_token);
	rpc_reply_free(r);
	free(part);
	rpc_close(c);
	return next;
}

/*
 * "A restore that stopped half way leaves a glossd that looks healthy and
 * accepts writes": it refuses them (FAILED_PRECONDITION, saying how to
 * finish or abandon), across a restart, until `gloss import` resumes and
 * finishes it.  The calls end inside lines: a line's start is kept, in
 * the data folder, until the call that ends it, restarts included.
 */
static void
test_unfinished_import_resumed(void **state)
{
	struct harness *h = *state;
	char path[300], again[300], *file, *t1, *t2;
	const char *imp[] = { "import", "--format", "jsonl", path, NULL };
	struct rpc_client *c;
	size_t n, cut, cut2;

	snprintf(path, sizeof(path), "%s.jsonl", h[0].dir);
	snprintf(again, sizeof(again), "%s.again.jsonl", h[0].dir);
	assert_true(harness_start(&h[0], NULL));
	dataset(&h[0], path);
	file = harness_read_file(path, &n);
	/* Inside the line of article 0-ar, then inside the next one's. */
	cut = (size_t)(strstr(file, "\"text\":\"") - file) + 10;
	cut2 = (size_t)(strstr(file + cut, "\"text\":\"") - file) + 10;
	assert_true(harness_start(&h[1], NULL));
	t1 = import_part(&h[1], file, 0, cut, "");
	c = harness_client(&h[1]);
	assert_int_equal(calls_get(c, "0-ar", false, NULL), NOT_FOUND);
	assert_int_equal(calls_article(c, "new", "pt", PT, NULL, 0, 0),
	    FAILED_PRECONDITION);
	/* A call that does not continue where the import stands. */
	assert_int_equal(calls_import(c, "{}\n", "", false, NULL),
	    FAILED_PRECONDITION);
	rpc_close(c);
	t2 = import_part(&h[1], file, cut, cut2, t1);
	assert_writes_refused(&h[1]);
	assert_int_equal(harness_stop(&h[1]), 0);
	assert_true(harness_start(&h[1], NULL));
	assert_writes_refused(&h[1]);
	/* The CLI resumes at byte cut2 and finishes. */
	assert_int_equal(calls_gloss(&h[1], NULL, 0, imp), 0);
	assert_same_export(&h[1], path, again);
	c = harness_client(&h[1]);
	assert_int_equal(calls_article(c, "new", "pt", PT, NULL, 0, 0), OK);
	rpc_close(c);
	unlink(path);
	free(file);
	free(t1);
	free(t2);
}

/* ... or `gloss import --abandon` returns the folder to empty: then writes
 * are taken, and a whole import can be made again. */
static void
test_unfinished_import_abandoned(void **state)
{
	struct harness *h = *state;
	char path[300], again[300], err[2048], *file, *t;
	const char *imp[] = { "import", "--format", "jsonl", path, NULL };
	const char *abandon[] = { "import", "--abandon", NULL };
	struct rpc_client *c;
	size_t n;

	snprintf(path, sizeof(path), "%s.jsonl", h[0].dir);
	snprintf(again, sizeof(again), "%s.again.jsonl", h[0].dir);
	assert_true(harness_start(&h[0], NULL));
	dataset(&h[0], path);
	file = harness_read_file(path, &n);
	assert_true(harness_start(&h[1], NULL));
	assert_int_equal(calls_gloss(&h[1], err, sizeof(err), abandon), 5);
	assert_non_null(strstr(err, "nothing to abandon"));
	t = import_part(&h[1], file, 0, n * 2 / 3, "");
	assert_writes_refused(&h[1]);
	assert_int_equal(harness_stop(&h[1]), 0);
	assert_true(harness_start(&h[1], NULL));
	assert_int_equal(calls_gloss(&h[1], NULL, 0, abandon), 0);
	assert_empty(&h[1]);
	/* The token of the abandoned import continues nothing. */
	c = harness_client(&h[1]);
	assert_int_equal(calls_import(c, "\n", t, false, NULL),
	    FAILED_PRECONDITION);
	rpc_close(c);
	assert_int_equal(calls_gloss(&h[1], NULL, 0, imp), 0);
	assert_same_export(&h[1], path, again);
	c = harness_client(&h[1]);
	assert_int_equal(calls_article(c, "new", "pt", PT, NULL, 0, 0), OK);
	rpc_close(c);
	unlink(path);
	free(file);
	free(t);
}

/*
 * "A jsonl export holds a 1 MB line that ImportRecords refuses, so the
 * restore stops half way"; "any line of a jsonl export, however long (an
 * 896 KiB article with metadata can make a multi-MiB JSON line after
 * escaping), can be imported": an article of control characters, each
 * escaped as \uXXXX, makes a line of over 5 MiB, which `gloss import`
 * sends in pieces under the request limit.
 */
static void
test_huge_line_round_trip(void **state)
{
	struct harness *h = *state;
	const char *const args[] = { "--max-article-kib", "896", NULL };
	char path[300], again[300];
	const char *imp[] = { "import", "--format", "jsonl", path, NULL };
	const char *exp[] = { "export", "--format", "jsonl", "--out", path,
		NULL };
	char *text = calls_text(896 * 1024 - 4096, CONTROLS "\xd8\xaa");
	struct rpc_client *c;
	size_t n, longest = 0;
	char *file, *p, *nl;

	snprintf(path, sizeof(path), "%s.jsonl", h[0].dir);
	snprintf(again, sizeof(again), "%s.again.jsonl", h[0].dir);
	assert_true(harness_start(&h[0], args));
	c = harness_client(&h[0]);
	assert_int_equal(calls_article(c, "ctl", "ar", text, NULL, 8, 3000),
	    OK);
	assert_int_equal(calls_article(c, "ctl-pt", "pt", PT, "ctl", 0, 0), OK);
	rpc_close(c);
	assert_int_equal(calls_gloss(&h[0], NULL, 0, exp), 0);
	file = harness_read_file(path, &n);
	for (p = file; p < file + n; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(file + n - p));
		if ((size_t)(nl - p) > longest)
			longest = (size_t)(nl - p);
	}
	assert_true(longest > (size_t)4 << 20);
	assert_true(harness_start(&h[1], args));
	assert_int_equal(calls_gloss(&h[1], NULL, 0, imp), 0);
	assert_same_export(&h[1], path, again);
	unlink(path);
	free(file);
	free(text);
}

/* An export of a folder with no change (as_of_seq 0: a header and label
 * sets) has nothing that marks its end: the CLI says where it ends
 * (`last`), and the import finishes. */
static void
test_empty_export_round_trip(void **state)
{
	struct harness *h = *state;
	char path[300], again[300];
	const char *imp[] = { "import", "--format", "jsonl", path, NULL };
	const char *exp[] = { "export", "--format", "jsonl", "--out", path,
		NULL };
	struct rpc_client *c;
	Gloss__V1__Reply *r;

	snprintf(path, sizeof(path), "%s.jsonl", h[0].dir);
	snprintf(again, sizeof(again), "%s.again.jsonl", h[0].dir);
	assert_true(harness_start(&h[0], NULL));
	c = harness_client(&h[0]);
	assert_int_equal(calls_add_label(c, "entity", "CHIP", "a chip", &r),
	    OK);
	rpc_reply_free(r);
	rpc_close(c);
	assert_int_equal(calls_gloss(&h[0], NULL, 0, exp), 0);
	assert_true(harness_start(&h[1], NULL));
	assert_int_equal(calls_gloss(&h[1], NULL, 0, imp), 0);
	assert_empty(&h[1]);
	assert_same_export(&h[1], path, again);
	c = harness_client(&h[1]);
	assert_int_equal(calls_article(c, "new", "pt", PT, NULL, 0, 0), OK);
	rpc_close(c);
	unlink(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_import_refuses_what_create_refuses, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unfinished_import_resumed,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_unfinished_import_abandoned, setup, teardown),
		cmocka_unit_test_setup_teardown(test_huge_line_round_trip,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty_export_round_trip,
		    setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
