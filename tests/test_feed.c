/*
 * Integration tests of what other services rely on: the change feed (no
 * gaps, no duplicates, in commit order, across processes and restarts; long
 * polls that see a write at once and tie up no worker), reads as of a
 * sequence number, and query cost counted in records read.
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
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

#define S(x) ((char *)(uintptr_t)(x))
enum { OK = 0, NOT_FOUND = 5, OUT_OF_RANGE = 11 };

static const char *const TEXT = "Jensen Huang met Lula in Brasília. "
                                "Lula said: “chips”. ترامب 👍🏽.";

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
article(struct rpc_client *c, const char *id)
{
	Gloss__V1__Request q = GLOSS__V1__REQUEST__INIT;
	Gloss__V1__CreateArticleRequest ca =
	    GLOSS__V1__CREATE_ARTICLE_REQUEST__INIT;
	Gloss__V1__Article a = GLOSS__V1__ARTICLE__INIT;
	Gloss__V1__Reply *r;

	a.id = S(id);
	a.language = S("en");
	a.text = S(TEXT);
	ca.article = &a;
	q.body_case = GLOSS__V1__REQUEST__BODY_CREATE_ARTICLE;
	q.create_article = &ca;
	assert_int_equal(rpc_call(c, &q, 10000, &r), OK);
	rpc_reply_free(r);
}

/* Tags chars [start, end) of article art; returns the reply to free. */
static Gloss__V1__Reply *
tag(struct rpc_client *c, const char *art, unsigned start, unsigned end,
    const char *label)
{
	Gloss__V1__Request q = GLOSS__V1__REQUEST__INIT;
	Gloss__V1__CreateAnnotationRequest ca =
	    GLOSS__V1__CREATE_ANNOTATION_REQUEST__INIT;
	Gloss__V1__Annotation a = GLOSS__V1__ANNOTATION__INIT;
	Gloss__V1__SpanSelector sel = GLOSS__V1__SPAN_SELECTOR__INIT, *sels[1];
	Gloss__V1__Range rg = GLOSS__V1__RANGE__INIT;
	Gloss__V1__Entity e = GLOSS__V1__ENTITY__INIT;
	Gloss__V1__Reply *r;

	rg.unit = GLOSS__V1__UNIT__UNIT_CHARS;
	rg.start = start;
	rg.end = end;
	sel.selector_case = GLOSS__V1__SPAN_SELECTOR__SELECTOR_RANGE;
	sel.range = &rg;
	sels[0] = &sel;
	e.label = S(label);
	a.article_id = S(art);
	a.select = sels;
	a.n_select = 1;
	a.body_case = GLOSS__V1__ANNOTATION__BODY_ENTITY;
	a.entity = &e;
	ca.annotation = &a;
	q.author = S("feeder");
	q.body_case = GLOSS__V1__REQUEST__BODY_CREATE_ANNOTATION;
	q.create_annotation = &ca;
	assert_int_equal(rpc_call(c, &q, 20000, &r), OK);
	return r;
}

static int
changes(struct rpc_client *c, uint64_t since, int limit, unsigned wait_ms,
    Gloss__V1__Reply **out)
{
	Gloss__V1__Request q = GLOSS__V1__REQUEST__INIT;
	Gloss__V1__ListChangesRequest l = GLOSS__V1__LIST_CHANGES_REQUEST__INIT;

	l.since_seq = since;
	l.limit = limit;
	l.wait_ms = wait_ms;
	l.include_records = true;
	q.body_case = GLOSS__V1__REQUEST__BODY_LIST_CHANGES;
	q.list_changes = &l;
	return rpc_call(c, &q, wait_ms + 10000, out);
}

static uint64_t
records_read(struct rpc_client *c)
{
	Gloss__V1__Request q = GLOSS__V1__REQUEST__INIT;
	Gloss__V1__GetServerInfoRequest g =
	    GLOSS__V1__GET_SERVER_INFO_REQUEST__INIT;
	Gloss__V1__Reply *r;
	uint64_t n;

	q.body_case = GLOSS__V1__REQUEST__BODY_GET_SERVER_INFO;
	q.get_server_info = &g;
	assert_int_equal(rpc_call(c, &q, 10000, &r), OK);
	n = r->get_server_info->records_read;
	rpc_reply_free(r);
	return n;
}

/* Reads the whole feed; checks 1..n without gaps; returns n.  seqs[i]
 * gets the annotation id of change i (0 for an article). */
static uint64_t
read_feed(struct rpc_client *c, uint64_t *ids, size_t max)
{
	Gloss__V1__Reply *r;
	uint64_t since = 0;

	for (;;) {
		assert_int_equal(changes(c, since, 97, 0, &r), OK);
		if (r->list_changes->n_changes == 0) {
			assert_int_equal(r->list_changes->last_seq, since);
			rpc_reply_free(r);
			return since;
		}
		for (size_t i = 0; i < r->list_changes->n_changes; i++) {
			Gloss__V1__Change *ch = r->list_changes->changes[i];
			assert_int_equal(ch->seq, since + 1);
			since = ch->seq;
			assert_true(since < max);
			ids[since] = ch->annotation_id;
			if (ch->annotation_id != 0) {
				assert_non_null(ch->annotation);
				assert_int_equal(ch->annotation->update_seq,
				    ch->seq);
			} else {
				assert_non_null(ch->article);
			}
		}
		rpc_reply_free(r);
	}
}

static int
setup(void **state)
{
	struct harness *h = calloc(1, sizeof(*h));
	const char *args[] = { "--workers", "2", NULL };

	harness_init(h);
	assert_true(harness_start(h, args));
	*state = h;
	return 0;
}

/* ------------------------------------------------------------ tests */

#define WRITERS 4
#define WRITES  40

/* One writer process (this program, run again with --writer URL FD so that
 * it starts without the parent's nng state): tags WRITES times, writing
 * "seq id" per acknowledgement to fd. */
static int
writer_process(const char *url, int fd)
{
	struct rpc_client *c;
	char why[256], line[64];

	if (rpc_open(url, &c, why, sizeof(why)) != 0)
		return 2;
	for (int i = 0; i < WRITES; i++) {
		Gloss__V1__Reply *r = tag(c, "a", 0, 6, "PERSON");
		Gloss__V1__Annotation *a = r->create_annotation->annotation;
		int n = snprintf(line, sizeof(line), "%llu %llu\n",
		    (unsigned long long)a->create_seq,
		    (unsigned long long)a->id);
		if (write(fd, line, (size_t)n) != n)
			return 3;
		rpc_reply_free(r);
	}
	rpc_close(c);
	return 0;
}

/* Writers in several processes; every acknowledged write is in the feed
 * at the sequence it was acknowledged with, and the feed has no gaps —
 * also after a restart. */
static void
test_feed_gap_free(void **state)
{
	struct harness *h = *state;
	struct rpc_client *c = harness_client(h);
	static uint64_t ids[1024], acked[1024];
	int fds[2], status;
	unsigned long long seq, id;
	size_t acks = 0;
	FILE *f;

	article(c, "a");
	assert_int_equal(pipe(fds), 0);
	for (int i = 0; i < WRITERS; i++)
		if (fork() == 0) {
			char fd[16];
			close(fds[0]);
			snprintf(fd, sizeof(fd), "%d", fds[1]);
			execl("/proc/self/exe", "test_feed", "--writer", h->url,
			    fd, (char *)NULL);
			_exit(4);
		}
	close(fds[1]);
	f = fdopen(fds[0], "r");
	assert_int_equal(read_feed(c, ids, 1024) >= 1, 1);
	while (fscanf(f, "%llu %llu", &seq, &id) == 2) {
		assert_true(seq < 1024);
		acked[seq] = id;
		acks++;
	}
	fclose(f);
	for (int i = 0; i < WRITERS; i++) {
		assert_int_not_equal(wait(&status), -1);
		assert_int_equal(WEXITSTATUS(status), 0);
	}
	assert_int_equal(acks, WRITERS * WRITES);
	memset(ids, 0, sizeof(ids));
	assert_int_equal(read_feed(c, ids, 1024), 1 + WRITERS * WRITES);
	for (size_t i = 2; i <= 1 + WRITERS * WRITES; i++)
		assert_int_equal(ids[i], acked[i]); /* each write where acked */
	rpc_close(c);
	assert_int_equal(harness_stop(h), 0);
	assert_true(harness_start(h, NULL));
	c = harness_client(h);
	assert_int_equal(read_feed(c, ids, 1024), 1 + WRITERS * WRITES);
	rpc_reply_free(tag(c, "a", 0, 6, "PERSON"));
	assert_int_equal(read_feed(c, ids, 1024), 2 + WRITERS * WRITES);
	rpc_close(c);
}

struct follower {
	const struct harness *h;
	uint64_t since;
	unsigned wait_ms;
	int64_t got_ms; /* when the reply came */
	size_t n;
};

static void *
follow(void *arg)
{
	struct follower *f = arg;
	struct rpc_client *c = harness_client(f->h);
	Gloss__V1__Reply *r;

	assert_int_equal(changes(c, f->since, 10, f->wait_ms, &r), OK);
	f->got_ms = now_ms();
	f->n = r->list_changes->n_changes;
	rpc_reply_free(r);
	rpc_close(c);
	return NULL;
}

/* Twenty followers wait on a glossd with two workers: reads are still
 * served at once, and a write reaches every follower promptly. */
static void
test_long_poll(void **state)
{
	struct harness *h = *state;
	struct rpc_client *c = harness_client(h);
	struct follower fl[20];
	pthread_t th[20];
	Gloss__V1__Reply *r;
	int64_t t0, wrote, worst = 0;

	article(c, "a");
	for (int i = 0; i < 20; i++) {
		fl[i] = (struct follower){ h, 1, 20000, 0, 0 };
		pthread_create(&th[i], NULL, follow, &fl[i]);
	}
	usleep(300 * 1000); /* let them all park */
	t0 = now_ms();
	assert_int_equal(changes(c, 0, 10, 0, &r), OK); /* a read, served */
	rpc_reply_free(r);
	assert_true(now_ms() - t0 < 2000);
	rpc_reply_free(tag(c, "a", 0, 6, "PERSON"));
	wrote = now_ms();
	for (int i = 0; i < 20; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(fl[i].n, 1);
		if (fl[i].got_ms - wrote > worst)
			worst = fl[i].got_ms - wrote;
	}
	print_message("20 followers saw the write within %lld ms\n",
	    (long long)worst);
	assert_true(worst < 5000); /* far under the 20 s wait */
	/* With nothing new, the wait ends empty after wait_ms. */
	fl[0] = (struct follower){ h, 2, 300, 0, 0 };
	t0 = now_ms();
	follow(&fl[0]);
	assert_int_equal(fl[0].n, 0);
	assert_true(fl[0].got_ms - t0 >= 250);
	rpc_close(c);
}

static size_t
list_count(struct rpc_client *c, const char *label, uint64_t as_of, char *ids,
    size_t idlen)
{
	Gloss__V1__Request q = GLOSS__V1__REQUEST__INIT;
	Gloss__V1__ListAnnotationsRequest l =
	    GLOSS__V1__LIST_ANNOTATIONS_REQUEST__INIT;
	Gloss__V1__Reply *r;
	size_t n, used = 0;

	l.label = S(label);
	l.as_of_seq = as_of;
	l.page_size = 1000;
	q.body_case = GLOSS__V1__REQUEST__BODY_LIST_ANNOTATIONS;
	q.list_annotations = &l;
	assert_int_equal(rpc_call(c, &q, 10000, &r), OK);
	n = r->list_annotations->n_annotations;
	if (ids != NULL) {
		ids[0] = '\0';
		for (size_t i = 0; i < n; i++) {
			Gloss__V1__Annotation *a =
			    r->list_annotations->annotations[i];
			used += (size_t)snprintf(ids + used, idlen - used,
			    "%llu:%s:%llu ", (unsigned long long)a->id,
			    a->entity->label, (unsigned long long)a->revision);
		}
	}
	rpc_reply_free(r);
	return n;
}

static void
delete_first(struct rpc_client *c, uint64_t id)
{
	Gloss__V1__Request q = GLOSS__V1__REQUEST__INIT;
	Gloss__V1__DeleteAnnotationRequest d =
	    GLOSS__V1__DELETE_ANNOTATION_REQUEST__INIT;
	Gloss__V1__Reply *r;

	d.id = id;
	q.body_case = GLOSS__V1__REQUEST__BODY_DELETE_ANNOTATION;
	q.delete_annotation = &d;
	assert_int_equal(rpc_call(c, &q, 10000, &r), OK);
	rpc_reply_free(r);
}

/* A list as of seq N equals the list captured when N was the newest. */
static void
test_as_of(void **state)
{
	struct harness *h = *state;
	struct rpc_client *c = harness_client(h);
	Gloss__V1__Request q = GLOSS__V1__REQUEST__INIT;
	Gloss__V1__GetArticleRequest g = GLOSS__V1__GET_ARTICLE_REQUEST__INIT;
	Gloss__V1__Reply *r;
	char then[4096], later[4096];
	uint64_t seq;

	article(c, "a");
	for (int i = 0; i < 5; i++)
		rpc_reply_free(tag(c, "a", 0, 6, "PERSON"));
	r = tag(c, "a", 17, 21, "PERSON");
	seq = r->create_annotation->annotation->create_seq;
	rpc_reply_free(r);
	assert_int_equal(list_count(c, "PERSON", 0, then, sizeof(then)), 6);
	delete_first(c, 1);
	delete_first(c, 6);
	rpc_reply_free(tag(c, "a", 25, 33, "GPE"));
	assert_int_equal(list_count(c, "PERSON", 0, NULL, 0), 4);
	assert_int_equal(list_count(c, "PERSON", seq, later, sizeof(later)), 6);
	assert_string_equal(then, later);
	assert_int_equal(list_count(c, "GPE", seq, NULL, 0), 0);
	/* Past the newest change: OUT_OF_RANGE; before the article: none. */
	g.id = S("a");
	g.as_of_seq = 1000;
	q.body_case = GLOSS__V1__REQUEST__BODY_GET_ARTICLE;
	q.get_article = &g;
	assert_int_equal(rpc_call(c, &q, 10000, &r), OUT_OF_RANGE);
	rpc_reply_free(r);
	g.as_of_seq = 1;
	assert_int_equal(rpc_call(c, &q, 10000, &r), OK);
	rpc_reply_free(r);
	rpc_close(c);
}

/* A rare label among many: the query reads what it returns, not the
 * corpus (counted by glossd's records_read): its 3 annotations, and the
 * label itself, to know it is one (an unknown one is INVALID_ARGUMENT). */
static void
test_query_cost(void **state)
{
	struct harness *h = *state;
	struct rpc_client *c = harness_client(h);
	uint64_t before, cost;

	article(c, "a");
	article(c, "b");
	for (int i = 0; i < 1500; i++)
		rpc_reply_free(tag(c, i % 2 ? "a" : "b", 0, 6, "PERSON"));
	for (int i = 0; i < 3; i++)
		rpc_reply_free(tag(c, "a", 17, 21, "LAW"));
	before = records_read(c);
	assert_int_equal(list_count(c, "LAW", 0, NULL, 0), 3);
	cost = records_read(c) - before;
	print_message("label LAW among 1503: %llu records read\n",
	    (unsigned long long)cost);
	assert_true(cost <= 4);
	rpc_close(c);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_feed_gap_free, setup,
		    harness_teardown),
		cmocka_unit_test_setup_teardown(test_long_poll, setup,
		    harness_teardown),
		cmocka_unit_test_setup_teardown(test_as_of, setup,
		    harness_teardown),
		cmocka_unit_test_setup_teardown(test_query_cost, setup,
		    harness_teardown),
	};

	if (argc == 4 && strcmp(argv[1], "--writer") == 0)
		return writer_process(argv[2], atoi(argv[3]));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
