/*
 * Integration tests of glossd through the client library and raw nng: a
 * real glossd process on a real socket over a real LMDB folder.
 */
#include <errno.h>
#include <pwd.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>

#include "harness.h"

enum {
	OK = 0,
	INVALID_ARGUMENT = 3,
	DEADLINE_EXCEEDED = 4,
	NOT_FOUND = 5,
	ALREADY_EXISTS = 6,
	RESOURCE_EXHAUSTED = 8,
	FAILED_PRECONDITION = 9,
	ABORTED = 10,
	UNIMPLEMENTED = 12,
};

/* ------------------------------------------------------------ helpers */

static int
create(struct rpc_client *c, const char *id, const char *lang, const char *text,
    const char *translation_of, const char *request_id, Gloss__V1__Reply **out)
{
	Gloss__V1__Request q = GLOSS__V1__REQUEST__INIT;
	Gloss__V1__CreateArticleRequest ca =
	    GLOSS__V1__CREATE_ARTICLE_REQUEST__INIT;
	Gloss__V1__Article a = GLOSS__V1__ARTICLE__INIT;
	Gloss__V1__Reply *r;
	int code;

	a.id = (char *)(uintptr_t)id;
	a.language = (char *)(uintptr_t)lang;
	a.text = (char *)(uintptr_t)text;
	a.translation_of =
	    (char *)(uintptr_t)(translation_of ? translation_of : "");
	ca.article = &a;
	q.request_id = (char *)(uintptr_t)(request_id ? request_id : "");
	q.author = (char *)"tester";
	q.body_case = GLOSS__V1__REQUEST__BODY_CREATE_ARTICLE;
	q.create_article = &ca;
	code = rpc_call(c, &q, 10000, &r);
	if (out != NULL)
		*out = r;
	else
		rpc_reply_free(r);
	return code;
}

static int
get(struct rpc_client *c, const char *id, Gloss__V1__Reply **out)
{
	Gloss__V1__Request q = GLOSS__V1__REQUEST__INIT;
	Gloss__V1__GetArticleRequest g = GLOSS__V1__GET_ARTICLE_REQUEST__INIT;

	g.id = (char *)(uintptr_t)id;
	q.body_case = GLOSS__V1__REQUEST__BODY_GET_ARTICLE;
	q.get_article = &g;
	return rpc_call(c, &q, 10000, out);
}

static int
list(struct rpc_client *c, const char *lang, const char *group, bool deleted,
    int size, const char *token, Gloss__V1__Reply **out)
{
	Gloss__V1__Request q = GLOSS__V1__REQUEST__INIT;
	Gloss__V1__ListArticlesRequest l =
	    GLOSS__V1__LIST_ARTICLES_REQUEST__INIT;

	l.language = (char *)(uintptr_t)(lang ? lang : "");
	l.group = (char *)(uintptr_t)(group ? group : "");
	l.show_deleted = deleted;
	l.page_size = size;
	l.page_token = (char *)(uintptr_t)(token ? token : "");
	q.body_case = GLOSS__V1__REQUEST__BODY_LIST_ARTICLES;
	q.list_articles = &l;
	return rpc_call(c, &q, 10000, out);
}

static int
delete_article(struct rpc_client *c, const char *id, const char *etag)
{
	Gloss__V1__Request q = GLOSS__V1__REQUEST__INIT;
	Gloss__V1__DeleteArticleRequest d =
	    GLOSS__V1__DELETE_ARTICLE_REQUEST__INIT;
	Gloss__V1__Reply *r;
	int code;

	d.id = (char *)(uintptr_t)id;
	d.etag = (char *)(uintptr_t)(etag ? etag : "");
	q.body_case = GLOSS__V1__REQUEST__BODY_DELETE_ARTICLE;
	q.delete_article = &d;
	code = rpc_call(c, &q, 10000, &r);
	rpc_reply_free(r);
	return code;
}

static Gloss__V1__GetServerInfoResponse *
info(struct rpc_client *c, Gloss__V1__Reply **keep)
{
	Gloss__V1__Request q = GLOSS__V1__REQUEST__INIT;
	Gloss__V1__GetServerInfoRequest gi =
	    GLOSS__V1__GET_SERVER_INFO_REQUEST__INIT;

	q.body_case = GLOSS__V1__REQUEST__BODY_GET_SERVER_INFO;
	q.get_server_info = &gi;
	assert_int_equal(rpc_call(c, &q, 10000, keep), OK);
	return (*keep)->get_server_info;
}

/* Sends raw bytes on a fresh REQ socket; returns the unpacked reply or NULL
 * if none came within timeout_ms. */
static Gloss__V1__Reply *
raw_call(const struct harness *h, const void *buf, size_t n, int timeout_ms)
{
	nng_socket s;
	nng_msg *m;
	Gloss__V1__Reply *r = NULL;

	assert_int_equal(nng_req0_open(&s), 0);
	nng_socket_set_ms(s, NNG_OPT_RECVTIMEO, timeout_ms);
	nng_socket_set_ms(s, NNG_OPT_SENDTIMEO, timeout_ms);
	nng_socket_set_ms(s, NNG_OPT_REQ_RESENDTIME, NNG_DURATION_INFINITE);
	assert_int_equal(nng_dial(s, h->url, NULL, 0), 0);
	assert_int_equal(nng_msg_alloc(&m, n), 0);
	if (n > 0)
		memcpy(nng_msg_body(m), buf, n);
	if (nng_sendmsg(s, m, 0) != 0)
		nng_msg_free(m);
	else if (nng_recvmsg(s, &m, 0) == 0) {
		r = gloss__v1__reply__unpack(NULL, nng_msg_len(m),
		    nng_msg_body(m));
		nng_msg_free(m);
	}
	nng_close(s);
	return r;
}

/*
 * Announces a request of `declared` bytes over a plain Unix socket speaking
 * SP over IPC by hand, and sends n of them.  Returns true if glossd closed
 * the connection without a reply, as it must for a message it will not
 * even read through.
 */
static bool
raw_oversized_is_cut(const struct harness *h, uint64_t declared,
    const void *buf, size_t n)
{
	/* SP header: 0, 'S', 'P', 0, protocol (REQ v0 = 0x30) big-endian. */
	static const uint8_t hello[8] = { 0, 'S', 'P', 0, 0, 0x30, 0, 0 };
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	uint8_t peer[8], frame[13], byte;
	uint64_t len = declared + 4;
	struct timeval wait = { 10, 0 };
	int fd;
	ssize_t got;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s",
	    h->url + strlen("ipc://"));
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wait,
	                     sizeof(wait)),
	    0);
	assert_int_equal(send(fd, hello, 8, MSG_NOSIGNAL), 8);
	assert_int_equal(recv(fd, peer, 8, MSG_WAITALL), 8);
	assert_int_equal(peer[5], 0x31); /* REP v0 */
	frame[0] = 1;                    /* an IPC message: type, length */
	for (int i = 0; i < 8; i++)
		frame[1 + i] = (uint8_t)(len >> (56 - 8 * i));
	memcpy(frame + 9, "\x80\0\0\1", 4); /* the request id */
	send(fd, frame, sizeof(frame), MSG_NOSIGNAL);
	send(fd, buf, n, MSG_NOSIGNAL); /* may fail: glossd cut us off */
	got = recv(fd, &byte, 1, 0);    /* EOF, not a reply nor a timeout */
	close(fd);
	return got == 0 || (got < 0 && errno == ECONNRESET);
}

static int
raw_code(const struct harness *h, const void *buf, size_t n, char *msg,
    size_t msglen)
{
	Gloss__V1__Reply *r = raw_call(h, buf, n, 5000);
	int code;

	assert_non_null(r);
	assert_non_null(r->status);
	code = (int)r->status->code;
	if (msg != NULL)
		snprintf(msg, msglen, "%s", r->status->message);
	rpc_reply_free(r);
	return code;
}

/* ------------------------------------------------------------ tests */

static const char *const seed_files[][3] = {
	/* file stem, language, translation_of */
	{ "000_37e09da8a1b7b9fa", "pt", NULL },
	{ "001_5b91122d76223f77", "en", "000_37e09da8a1b7b9fa" },
	{ "003_d4609c45f16f6551", "ar", "000_37e09da8a1b7b9fa" },
	{ "002_825f8c3cad83cc35", "pt", NULL },
	{ "004_0a79a96be110de23", "fr", NULL },
};

/* Every seed goes in and comes back byte for byte, with its group. */
static void
test_seeds_roundtrip(void **state)
{
	struct harness *h = *state;
	const char *seeds = harness_seeds();
	struct rpc_client *c;
	char path[1024];

	if (seeds == NULL) {
		print_message(
		    "seeds folder ../shared/seeds is absent: skipped\n");
		skip();
	}
	assert_true(harness_start(h, NULL));
	c = harness_client(h);
	for (size_t i = 0; i < 5; i++) {
		size_t n;
		Gloss__V1__Reply *r;
		snprintf(path, sizeof(path), "%s/%s.txt", seeds,
		    seed_files[i][0]);
		char *text = harness_read_file(path, &n);
		assert_non_null(text);
		assert_int_equal(create(c, seed_files[i][0], seed_files[i][1],
		                     text, seed_files[i][2], NULL, NULL),
		    OK);
		assert_int_equal(get(c, seed_files[i][0], &r), OK);
		Gloss__V1__Article *a = r->get_article->article;
		assert_int_equal(strlen(a->text), n);
		assert_memory_equal(a->text, text, n);
		assert_int_equal(a->byte_count, n);
		assert_true(a->char_count < n); /* every seed has non-ASCII */
		assert_int_equal(strlen(a->sha256), 64);
		assert_string_equal(a->group,
		    seed_files[i][2] ? seed_files[i][2] : seed_files[i][0]);
		rpc_reply_free(r);
		free(text);
	}
	rpc_close(c);
}

/* Paging returns every article exactly once, in id order, per filter. */
static void
test_list_paging(void **state)
{
	struct harness *h = *state;
	struct rpc_client *c;
	char id[32], seen[64] = { 0 }, token[512] = "", prev[32] = "";
	Gloss__V1__Reply *r;
	int total = 0;

	assert_true(harness_start(h, NULL));
	c = harness_client(h);
	assert_int_equal(create(c, "orig", "pt", "Original — ação", NULL, NULL,
	                     NULL),
	    OK);
	for (int i = 0; i < 40; i++) {
		snprintf(id, sizeof(id), "a%02d", i);
		assert_int_equal(create(c, id, i % 2 ? "en" : "ar", "نص قصير",
		                     i % 4 == 0 ? "orig" : NULL, NULL, NULL),
		    OK);
	}
	do {
		assert_int_equal(list(c, NULL, NULL, false, 7, token, &r), OK);
		assert_true(r->list_articles->n_articles <= 7);
		for (size_t i = 0; i < r->list_articles->n_articles; i++) {
			const char *aid = r->list_articles->articles[i]->id;
			assert_true(strcmp(prev, aid) < 0);
			snprintf(prev, sizeof(prev), "%s", aid);
			assert_string_equal(r->list_articles->articles[i]->text,
			    "");
			if (aid[0] == 'a') {
				assert_int_equal(seen[atoi(aid + 1)]++, 0);
			}
			total++;
		}
		snprintf(token, sizeof(token), "%s",
		    r->list_articles->next_page_token);
		rpc_reply_free(r);
	} while (token[0] != '\0');
	assert_int_equal(total, 41);

	/* By language: 20 in English, in one page of 100. */
	assert_int_equal(list(c, "en", NULL, false, 0, NULL, &r), OK);
	assert_int_equal(r->list_articles->n_articles, 20);
	assert_string_equal(r->list_articles->next_page_token, "");
	rpc_reply_free(r);
	/* By group: the original and a00, a04, ... a36. */
	assert_int_equal(list(c, NULL, "orig", false, 3, NULL, &r), OK);
	assert_int_equal(r->list_articles->n_articles, 3);
	snprintf(token, sizeof(token), "%s", r->list_articles->next_page_token);
	rpc_reply_free(r);
	/* The group's token does not serve another filter. */
	assert_int_equal(list(c, "en", NULL, false, 3, token, &r),
	    INVALID_ARGUMENT);
	rpc_reply_free(r);
	assert_int_equal(list(c, NULL, "orig", false, 3, "AAAAforged", &r),
	    INVALID_ARGUMENT);
	rpc_reply_free(r);
	assert_int_equal(list(c, NULL, NULL, false, -1, NULL, &r),
	    INVALID_ARGUMENT);
	rpc_reply_free(r);
	/* By group and language. */
	assert_int_equal(list(c, "ar", "orig", false, 0, NULL, &r), OK);
	assert_int_equal(r->list_articles->n_articles, 10);
	rpc_reply_free(r);
	rpc_close(c);
}

/* Builds CreateArticle{article{id, language, text}} by hand, so that the
 * text may hold what protobuf-c would not pack (a NUL byte). */
static size_t
encode_create(uint8_t *out, const char *id, const char *lang, const void *text,
    size_t tn)
{
	uint8_t art[4096];
	size_t a = 0, n = 0, in;

	art[a++] = 0x0a, art[a++] = (uint8_t)strlen(id);
	memcpy(art + a, id, strlen(id)), a += strlen(id);
	art[a++] = 0x12, art[a++] = (uint8_t)strlen(lang);
	memcpy(art + a, lang, strlen(lang)), a += strlen(lang);
	art[a++] = 0x32, art[a++] = (uint8_t)tn;
	memcpy(art + a, text, tn), a += tn;
	in = a + 2;
	out[n++] = 0x8a, out[n++] = 0x01; /* field 17, length-delimited */
	out[n++] = (uint8_t)in;
	out[n++] = 0x0a,
	out[n++] = (uint8_t)a; /* CreateArticleRequest.article */
	memcpy(out + n, art, a);
	return n + a;
}

static void
test_bad_input(void **state)
{
	struct harness *h = *state;
	const char *const args[] = { "--max-article-kib", "1", NULL };
	struct rpc_client *c;
	uint8_t buf[8192];
	char msg[512], *big;
	Gloss__V1__Reply *r;
	size_t n;

	assert_true(harness_start(h, args));
	c = harness_client(h);
	assert_int_equal(create(c, "keep", "en", "kept text", NULL, NULL, NULL),
	    OK);

	/* Bytes that are not a Request; an empty body; an unknown method. */
	assert_int_equal(raw_code(h, "\xff\xff\xff", 3, NULL, 0),
	    INVALID_ARGUMENT);
	assert_int_equal(raw_code(h, "", 0, msg, sizeof(msg)),
	    INVALID_ARGUMENT);
	assert_non_null(strstr(msg, "no method"));
	assert_int_equal(raw_code(h, "\x9a\x06\x00", 3, msg, sizeof(msg)),
	    UNIMPLEMENTED); /* field 99 */
	/* Invalid UTF-8 names its byte offset; a NUL is refused too. */
	n = encode_create(buf, "bad", "en", "ok \xc3\x28 no", 9);
	assert_int_equal(raw_code(h, buf, n, msg, sizeof(msg)),
	    INVALID_ARGUMENT);
	assert_non_null(strstr(msg, "at byte 3"));
	n = encode_create(buf, "nul", "en", "a\0b", 3);
	assert_int_equal(raw_code(h, buf, n, msg, sizeof(msg)),
	    INVALID_ARGUMENT);
	/* An unknown field inside the article. */
	n = encode_create(buf, "unk", "en", "text", 4);
	buf[2] += 3, buf[4] += 3;
	buf[n++] = 0x98, buf[n++] = 0x06, buf[n++] = 1; /* field 99 = 1 */
	assert_int_equal(raw_code(h, buf, n, msg, sizeof(msg)),
	    INVALID_ARGUMENT);
	assert_non_null(strstr(msg, "99"));

	assert_int_equal(create(c, "empty", "en", "", NULL, NULL, NULL),
	    INVALID_ARGUMENT);
	assert_int_equal(create(c, "bad id!", "en", "x", NULL, NULL, NULL),
	    INVALID_ARGUMENT);
	assert_int_equal(create(c, "badlang", "english!", "x", NULL, NULL,
	                     NULL),
	    INVALID_ARGUMENT);
	assert_int_equal(create(c, "keep", "en", "again", NULL, NULL, NULL),
	    ALREADY_EXISTS);
	assert_int_equal(create(c, "orphan", "en", "x", "nowhere", NULL, NULL),
	    NOT_FOUND);
	assert_int_equal(get(c, "nowhere", &r), NOT_FOUND);
	assert_non_null(strstr(rpc_error(c), "'nowhere' not found"));
	rpc_reply_free(r);

	/* Over the article limit (1 KiB here); over the request limit
	 * (1 MiB): refused by the client before sending, and by glossd when
	 * sent raw; a message past what nng reads for glossd (the limit and
	 * the SP header) is cut off. */
	big = malloc(2 << 20);
	memset(big, 'x', 2 << 20);
	big[2048] = '\0';
	assert_int_equal(create(c, "big", "en", big, NULL, NULL, NULL),
	    RESOURCE_EXHAUSTED);
	big[2048] = 'x';
	big[(2 << 20) - 1] = '\0';
	assert_int_equal(create(c, "huge", "en", big, NULL, NULL, NULL),
	    RESOURCE_EXHAUSTED);
	assert_non_null(strstr(rpc_error(c), "1048576-byte request limit"));
	assert_int_equal(raw_code(h, big, (1 << 20) + 16, msg, sizeof(msg)),
	    RESOURCE_EXHAUSTED);
	assert_non_null(strstr(msg, "at most 1048576"));
	/* Sent raw, 2 MiB: read through without being kept, and answered. */
	assert_int_equal(raw_code(h, big, 2 << 20, msg, sizeof(msg)),
	    RESOURCE_EXHAUSTED);
	assert_non_null(strstr(msg, "2097152 bytes"));
	/* Announced as 1 GiB: cut off, and glossd keeps serving. */
	assert_true(raw_oversized_is_cut(h, (uint64_t)1 << 30, big, 1 << 20));
	free(big);

	/* Nothing stored changed. */
	assert_int_equal(list(c, NULL, NULL, true, 0, NULL, &r), OK);
	assert_int_equal(r->list_articles->n_articles, 1);
	assert_string_equal(r->list_articles->articles[0]->id, "keep");
	rpc_reply_free(r);
	assert_int_equal(get(c, "keep", &r), OK);
	assert_string_equal(r->get_article->article->text, "kept text");
	assert_int_equal(r->get_article->article->revision, 1);
	rpc_reply_free(r);
	rpc_close(c);
}

static void
test_restart(void **state)
{
	struct harness *h = *state;
	struct rpc_client *c;
	Gloss__V1__Reply *r, *ri;
	uint64_t seq;

	assert_true(harness_start(h, NULL));
	c = harness_client(h);
	assert_int_equal(create(c, "durable", "pt", "Não se perde.", NULL, NULL,
	                     NULL),
	    OK);
	assert_int_equal(delete_article(c, "durable", NULL), OK);
	assert_int_equal(create(c, "kept", "ar", "يبقى", NULL, NULL, NULL), OK);
	seq = info(c, &ri)->last_seq;
	assert_int_equal(seq, 3);
	rpc_reply_free(ri);
	rpc_close(c);
	assert_int_equal(harness_stop(h), 0);

	assert_true(harness_start(h, NULL));
	c = harness_client(h);
	assert_int_equal(get(c, "kept", &r), OK);
	assert_string_equal(r->get_article->article->text, "يبقى");
	rpc_reply_free(r);
	assert_int_equal(get(c, "durable", &r), OK);
	assert_int_equal(r->get_article->article->state,
	    GLOSS__V1__STATE__STATE_DELETED);
	rpc_reply_free(r);
	assert_int_equal(info(c, &ri)->last_seq, seq);
	rpc_reply_free(ri);
	/* The feed goes on from where it was, without a gap. */
	assert_int_equal(create(c, "next", "en", "next", NULL, NULL, NULL), OK);
	assert_int_equal(info(c, &ri)->last_seq, seq + 1);
	rpc_reply_free(ri);
	rpc_close(c);
}

static void
test_two_daemons(void **state)
{
	struct harness *h = *state, second = *h;
	char *log;
	size_t n;

	assert_true(harness_start(h, NULL));
	snprintf(second.log, sizeof(second.log), "%s.second.log", h->dir);
	/* The second exits at once, saying why. */
	assert_int_equal(harness_run(&second, NULL, 5000), 1);
	log = harness_read_file(second.log, &n);
	assert_non_null(log);
	assert_non_null(strstr(log, "in use by another glossd"));
	free(log);
	unlink(second.log);
	/* The first still serves. */
	struct rpc_client *c = harness_client(h);
	assert_int_equal(create(c, "still", "en", "here", NULL, NULL, NULL),
	    OK);
	rpc_close(c);
}

static void
test_request_id_replay(void **state)
{
	struct harness *h = *state;
	struct rpc_client *c;
	Gloss__V1__Reply *r1, *r2, *ri;

	assert_true(harness_start(h, NULL));
	c = harness_client(h);
	assert_int_equal(create(c, "once", "en", "applied once", NULL,
	                     "6f1c2f5e-0000-4000-8000-000000000001", &r1),
	    OK);
	/* The same request again: the first reply, not ALREADY_EXISTS. */
	assert_int_equal(create(c, "once", "en", "applied once", NULL,
	                     "6f1c2f5e-0000-4000-8000-000000000001", &r2),
	    OK);
	assert_string_equal(r1->create_article->article->etag,
	    r2->create_article->article->etag);
	rpc_reply_free(r1);
	rpc_reply_free(r2);
	assert_int_equal(info(c, &ri)->last_seq, 1);
	rpc_reply_free(ri);
	/* The same id for another request is refused. */
	assert_int_equal(create(c, "other", "en", "another", NULL,
	                     "6f1c2f5e-0000-4000-8000-000000000001", NULL),
	    INVALID_ARGUMENT);
	assert_non_null(strstr(rpc_error(c), "used before"));
	/* An id that is too long, or not printable ASCII. */
	assert_int_equal(create(c, "x", "en", "x", NULL,
	                     "0123456789012345678901234567890123456789", NULL),
	    INVALID_ARGUMENT);
	rpc_close(c);
}

static void
test_delete(void **state)
{
	struct harness *h = *state;
	struct rpc_client *c;
	Gloss__V1__Reply *r;
	char etag[64];

	assert_true(harness_start(h, NULL));
	c = harness_client(h);
	assert_int_equal(create(c, "gone", "fr", "Bientôt supprimé.", NULL,
	                     NULL, &r),
	    OK);
	snprintf(etag, sizeof(etag), "%s", r->create_article->article->etag);
	rpc_reply_free(r);
	assert_int_equal(delete_article(c, "gone", "1-ffff"), ABORTED);
	assert_int_equal(delete_article(c, "gone", etag), OK);
	assert_int_equal(delete_article(c, "gone", NULL), FAILED_PRECONDITION);
	assert_int_equal(delete_article(c, "never", NULL), NOT_FOUND);
	assert_int_equal(get(c, "gone", &r), OK);
	assert_int_equal(r->get_article->article->state,
	    GLOSS__V1__STATE__STATE_DELETED);
	assert_int_equal(r->get_article->article->revision, 2);
	/* No author given, on ipc: the OS user that runs the test. */
	assert_string_equal(r->get_article->article->deleted_by,
	    getpwuid(geteuid())->pw_name);
	assert_string_equal(r->get_article->article->text, "Bientôt supprimé.");
	rpc_reply_free(r);
	assert_int_equal(list(c, NULL, NULL, false, 0, NULL, &r), OK);
	assert_int_equal(r->list_articles->n_articles, 0);
	rpc_reply_free(r);
	assert_int_equal(list(c, NULL, NULL, true, 0, NULL, &r), OK);
	assert_int_equal(r->list_articles->n_articles, 1);
	rpc_reply_free(r);
	assert_int_equal(create(c, "gone", "fr", "again", NULL, NULL, NULL),
	    ALREADY_EXISTS);
	rpc_close(c);
}

/* A 1 MiB map fills up; glossd grows it and loses nothing. */
static void
test_map_growth(void **state)
{
	struct harness *h = *state;
	const char *const args[] = { "--map-mib", "1", NULL };
	struct rpc_client *c;
	Gloss__V1__Reply *r;
	char id[16], *text = malloc(64 << 10);

	memset(text, 'g', 64 << 10);
	text[(64 << 10) - 1] = '\0';
	assert_true(harness_start(h, args));
	c = harness_client(h);
	for (int i = 0; i < 40; i++) {
		snprintf(id, sizeof(id), "g%02d", i);
		assert_int_equal(create(c, id, "en", text, NULL, NULL, NULL),
		    OK);
	}
	Gloss__V1__GetServerInfoResponse *gi = info(c, &r);
	assert_true(gi->map_size_bytes > (2u << 20));
	assert_int_equal(gi->article_count, 40);
	rpc_reply_free(r);
	assert_int_equal(get(c, "g00", &r), OK);
	assert_string_equal(r->get_article->article->text, text);
	rpc_reply_free(r);
	rpc_close(c);
	free(text);
}

static void
test_socket_mode(void **state)
{
	struct harness *h = *state;
	struct stat sb;
	char path[300];

	assert_true(harness_start(h, NULL));
	snprintf(path, sizeof(path), "%s/glossd.sock", h->dir);
	assert_int_equal(stat(path, &sb), 0);
	assert_true(S_ISSOCK(sb.st_mode));
	assert_int_equal(sb.st_mode & 0777, 0600);
}

struct writer_arg {
	const struct harness *h;
	int index, ok;
};

static void *
writer_thread(void *p)
{
	struct writer_arg *w = p;
	struct rpc_client *c = harness_client(w->h);
	char id[32];

	for (int i = 0; i < 25; i++) {
		snprintf(id, sizeof(id), "w%d-%02d", w->index, i);
		w->ok +=
		    create(c, id, "en", "concurrent", NULL, NULL, NULL) == OK;
	}
	rpc_close(c);
	return NULL;
}

/* Eight clients write at once: every write lands, and the feed counts
 * each exactly once. */
static void
test_concurrent_writes(void **state)
{
	struct harness *h = *state;
	struct writer_arg args[8];
	pthread_t t[8];
	Gloss__V1__Reply *r;
	struct rpc_client *c;

	assert_true(harness_start(h, NULL));
	for (int i = 0; i < 8; i++) {
		args[i] = (struct writer_arg){ h, i, 0 };
		pthread_create(&t[i], NULL, writer_thread, &args[i]);
	}
	for (int i = 0; i < 8; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(args[i].ok, 25);
	}
	c = harness_client(h);
	Gloss__V1__GetServerInfoResponse *gi = info(c, &r);
	assert_int_equal(gi->last_seq, 200);
	assert_int_equal(gi->article_count, 200);
	assert_int_equal(gi->writes_committed, 200);
	assert_true(gi->commits <= 200);
	print_message("200 writes in %llu commits\n",
	    (unsigned long long)gi->commits);
	rpc_reply_free(r);
	rpc_close(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_seeds_roundtrip,
		    harness_setup, harness_teardown),
		cmocka_unit_test_setup_teardown(test_list_paging, harness_setup,
		    harness_teardown),
		cmocka_unit_test_setup_teardown(test_bad_input, harness_setup,
		    harness_teardown),
		cmocka_unit_test_setup_teardown(test_restart, harness_setup,
		    harness_teardown),
		cmocka_unit_test_setup_teardown(test_two_daemons, harness_setup,
		    harness_teardown),
		cmocka_unit_test_setup_teardown(test_request_id_replay,
		    harness_setup, harness_teardown),
		cmocka_unit_test_setup_teardown(test_delete, harness_setup,
		    harness_teardown),
		cmocka_unit_test_setup_teardown(test_map_growth, harness_setup,
		    harness_teardown),
		cmocka_unit_test_setup_teardown(test_socket_mode, harness_setup,
		    harness_teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_writes,
		    harness_setup, harness_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
