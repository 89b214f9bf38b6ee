/*
 * Integration tests of glossd's edges, through the client library and raw
 * sockets: what a request is bound to (request_id), messages that quote
 * what a client sent, log lines, and peers that misbehave.  A real glossd
 * on a real socket over a real LMDB folder.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "text.h"

enum {
	OK = 0,
	INVALID_ARGUMENT = 3,
};

/* ------------------------------------------------------------ helpers */

static int
call(struct rpc_client *c, Gloss__V1__Request *q, const char *request_id,
    const char *author)
{
	Gloss__V1__Reply *r;
	int code;

	q->request_id = (char *)(uintptr_t)(request_id ? request_id : "");
	q->author = (char *)(uintptr_t)(author ? author : "");
	code = rpc_call(c, q, 10000, &r);
	rpc_reply_free(r);
	return code;
}

static int
create_article(struct rpc_client *c, const char *id, const char *text,
    const char *request_id, const char *author)
{
	Gloss__V1__Request q = GLOSS__V1__REQUEST__INIT;
	Gloss__V1__CreateArticleRequest ca =
	    GLOSS__V1__CREATE_ARTICLE_REQUEST__INIT;
	Gloss__V1__Article a = GLOSS__V1__ARTICLE__INIT;

	a.id = (char *)(uintptr_t)id;
	a.language = (char *)"ar";
	a.text = (char *)(uintptr_t)text;
	ca.article = &a;
	q.body_case = GLOSS__V1__REQUEST__BODY_CREATE_ARTICLE;
	q.create_article = &ca;
	return call(c, &q, request_id, author);
}

static int
add_label(struct rpc_client *c, const char *name, const char *request_id)
{
	Gloss__V1__Request q = GLOSS__V1__REQUEST__INIT;
	Gloss__V1__AddLabelRequest al = GLOSS__V1__ADD_LABEL_REQUEST__INIT;
	Gloss__V1__Label l = GLOSS__V1__LABEL__INIT;

	l.name = (char *)(uintptr_t)name;
	al.set = (char *)"entity";
	al.label = &l;
	q.body_case = GLOSS__V1__REQUEST__BODY_ADD_LABEL;
	q.add_label = &al;
	return call(c, &q, request_id, NULL);
}

/* Tags the quote `exact` in article `id` as `label`. */
static int
tag(struct rpc_client *c, const char *id, const char *exact, const char *label)
{
	Gloss__V1__Request q = GLOSS__V1__REQUEST__INIT;
	Gloss__V1__CreateAnnotationRequest ca =
	    GLOSS__V1__CREATE_ANNOTATION_REQUEST__INIT;
	Gloss__V1__Annotation a = GLOSS__V1__ANNOTATION__INIT;
	Gloss__V1__SpanSelector sel = GLOSS__V1__SPAN_SELECTOR__INIT,
	                        *sels[1] = { &sel };
	Gloss__V1__Quote quote = GLOSS__V1__QUOTE__INIT;
	Gloss__V1__Entity e = GLOSS__V1__ENTITY__INIT;

	quote.exact = (char *)(uintptr_t)exact;
	sel.selector_case = GLOSS__V1__SPAN_SELECTOR__SELECTOR_QUOTE;
	sel.quote = &quote;
	e.label = (char *)(uintptr_t)label;
	a.article_id = (char *)(uintptr_t)id;
	a.select = sels;
	a.n_select = 1;
	a.body_case = GLOSS__V1__ANNOTATION__BODY_ENTITY;
	a.entity = &e;
	ca.annotation = &a;
	q.body_case = GLOSS__V1__REQUEST__BODY_CREATE_ANNOTATION;
	q.create_annotation = &ca;
	return call(c, &q, NULL, NULL);
}

static bool
valid_utf8(const char *s)
{
	size_t bad;

	return text_utf8_check(s, strlen(s), &bad);
}

/* ------------------------------------------------------------ tests */

/* A request_id is bound to its method and author, not only its body: the
 * same id on AddLabel after CreateArticle, or by another author, is
 * refused, not answered with the first write's reply. */
static void
test_request_id_bound_to_method(void **state)
{
	struct harness *h = *state;
	const char *id = "0b5e5a52-0000-4000-8000-00000000000a";
	struct rpc_client *c;

	assert_true(harness_start(h, NULL));
	c = harness_client(h);
	assert_int_equal(create_article(c, "a1", "نص", id, "amal"), OK);
	assert_int_equal(create_article(c, "a1", "نص", id, "amal"), OK);
	assert_int_equal(add_label(c, "RIVER", id), INVALID_ARGUMENT);
	assert_non_null(strstr(rpc_error(c), "used before"));
	assert_int_equal(create_article(c, "a1", "نص", id, "bruno"),
	    INVALID_ARGUMENT);
	/* Nothing was applied by the refused ones. */
	assert_int_equal(add_label(c, "RIVER", NULL), OK);
	rpc_close(c);
}

/* Messages that quote what a client sent are cut between characters: a
 * quote of 100 three-byte characters used to be cut at byte 200, inside
 * the 67th; a label of 40 two-byte Arabic letters and a mark at byte 80. */
static void
test_messages_cut_on_characters(void **state)
{
	struct harness *h = *state;
	char euros[301] = "", label[200] = "";
	struct rpc_client *c;

	for (int i = 0; i < 100; i++)
		strcat(euros, "€");
	for (int i = 0; i < 39; i++)
		strcat(label, "ت");
	strcat(label, "بَب"); /* the fatha sits on byte 80 */
	assert_true(harness_start(h, NULL));
	c = harness_client(h);
	assert_int_equal(create_article(c, "a1", "ترامب قال", NULL, NULL), OK);
	assert_int_equal(tag(c, "a1", euros, "PERSON"), INVALID_ARGUMENT);
	assert_true(valid_utf8(rpc_error(c)));
	assert_non_null(strstr(rpc_error(c), "€…' does not occur"));
	assert_int_equal(tag(c, "a1", "ترامب", label), INVALID_ARGUMENT);
	assert_true(valid_utf8(rpc_error(c)));
	assert_non_null(strstr(rpc_error(c), "تت…' is not in label set"));
	rpc_close(c);
}

/* What a client sent reaches the log escaped: no raw control byte (ESC,
 * CR, U+2028) and valid UTF-8 on every line. */
static void
test_log_lines_escaped(void **state)
{
	struct harness *h = *state;
	struct rpc_client *c;
	char *log, *line;
	size_t n;

	assert_true(harness_start(h, NULL));
	c = harness_client(h);
	assert_int_equal(create_article(c, "a1", "ترامب", NULL, NULL), OK);
	assert_int_equal(tag(c, "a1",
	                     "\x1b[31mred\r\n"
	                     "forged glossd info: ok\xe2\x80\xa8x",
	                     "PERSON"),
	    INVALID_ARGUMENT);
	rpc_close(c);
	harness_stop(h);
	log = harness_read_file(h->log, &n);
	assert_non_null(log);
	assert_true(valid_utf8(log));
	assert_null(strchr(log, '\x1b'));
	assert_null(strchr(log, '\r'));
	assert_null(strstr(log, "\xe2\x80\xa8"));
	assert_non_null(strstr(log, "\\x1b[31mred\\x0d\\x0aforged"));
	for (line = log; (line = strstr(line, "forged")) != NULL; line++)
		assert_true(line[-1] != '\n'); /* never at a line's start */
	free(log);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_request_id_bound_to_method,
		    harness_setup, harness_teardown),
		cmocka_unit_test_setup_teardown(test_messages_cut_on_characters,
		    harness_setup, harness_teardown),
		cmocka_unit_test_setup_teardown(test_log_lines_escaped,
		    harness_setup, harness_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
