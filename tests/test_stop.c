/*
 * Integration test of glossd's stop under load (issue 10): SIGTERM with
 * writers and parked long polls, five times; glossd exits 0 within 10 s,
 * answers every poll, and the writes answered OK are exactly the writes
 * stored.  The peers speak SP by hand (peer.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "peer.h"
#include "sp.h"

enum { OK = 0, NOT_FOUND = 5, UNAVAILABLE = 14 };

/* ------------------------------------------------------------ SIGTERM */

struct writer_run {
	const struct harness *h;
	int round, n;
	volatile bool *stop;
	int ok, refused, unanswered;
	char ok_ids[256][24];      /* answered OK: must be stored */
	char refused_ids[256][24]; /* answered UNAVAILABLE: must not be */
};

static void
req_create(Gloss__V1__Request *q, Gloss__V1__CreateArticleRequest *ca,
    Gloss__V1__Article *a, char *id)
{
	gloss__v1__request__init(q);
	gloss__v1__create_article_request__init(ca);
	gloss__v1__article__init(a);
	a->id = id;
	a->language = (char *)"ar";
	a->text = (char *)"نص قصير";
	ca->article = a;
	q->body_case = GLOSS__V1__REQUEST__BODY_CREATE_ARTICLE;
	q->create_article = ca;
}

/* Creates articles one after another over raw SP, and records how each
 * was answered. */
static void *
writer_main(void *arg)
{
	struct writer_run *w = arg;
	Gloss__V1__CreateArticleRequest ca;
	Gloss__V1__Article a;
	Gloss__V1__Request q;
	Gloss__V1__Reply *r;
	char id[24];
	uint32_t rid;
	int fd = peer_open(w->h);

	for (int i = 0; i < 256 && !*w->stop; i++) {
		snprintf(id, sizeof(id), "w%d-%d-%d", w->round, w->n, i);
		req_create(&q, &ca, &a, id);
		if (!peer_send(fd, (uint32_t)i + 1, &q) ||
		    (r = peer_recv(fd, &rid, 15000)) == NULL) {
			w->unanswered++;
			break;
		}
		if ((int)r->status->code == OK)
			snprintf(w->ok_ids[w->ok++], 24, "%s", id);
		else if ((int)r->status->code == UNAVAILABLE)
			snprintf(w->refused_ids[w->refused++], 24, "%s", id);
		gloss__v1__reply__free_unpacked(r, NULL);
	}
	close(fd);
	return NULL;
}

/* 20 long polls that wait, each on its own connection. */
static void
sigterm_polls(struct harness *h, int fd[20])
{
	Gloss__V1__ListChangesRequest l;
	Gloss__V1__Request q;

	peer_req_poll(&q, &l, 1000000, 30000);
	for (int i = 0; i < 20; i++) {
		fd[i] = peer_open(h);
		assert_true(peer_send(fd[i], 1, &q));
	}
}

/* How many of the 20 polls got their empty answer. */
static int
sigterm_polls_answered(int fd[20])
{
	Gloss__V1__Reply *r;
	uint32_t id;
	int n = 0;

	for (int i = 0; i < 20; i++) {
		if ((r = peer_recv(fd[i], &id, 10000)) != NULL) {
			n += (int)r->status->code == OK &&
			     r->body_case ==
			         GLOSS__V1__REPLY__BODY_LIST_CHANGES &&
			     r->list_changes->n_changes == 0;
			gloss__v1__reply__free_unpacked(r, NULL);
		}
		close(fd[i]);
	}
	return n;
}

/* Runs 8 writers and 20 parked polls into a SIGTERM; glossd must exit 0
 * within 10 s with every poll answered. */
static void
sigterm_round(struct harness *h, int round, struct writer_run w[8])
{
	volatile bool stop = false;
	pthread_t t[8];
	int poll_fd[20], polls, status, ok = 0, refused = 0, lost = 0;
	int64_t t0;

	assert_true(harness_start(h, NULL));
	sigterm_polls(h, poll_fd);
	for (int i = 0; i < 8; i++) {
		w[i] = (struct writer_run){ .h = h,
			.round = round,
			.n = i,
			.stop = &stop };
		pthread_create(&t[i], NULL, writer_main, &w[i]);
	}
	peer_sleep_ms(150 + 50 * round);
	t0 = peer_now_ms();
	kill(h->pid, SIGTERM);
	polls = sigterm_polls_answered(poll_fd);
	stop = true;
	while (waitpid(h->pid, &status, 0) < 0 && errno == EINTR)
		;
	h->pid = 0;
	print_message("round %d: exit %d after %lld ms\n", round,
	    WIFEXITED(status) ? WEXITSTATUS(status) : -1,
	    (long long)(peer_now_ms() - t0));
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_true(peer_now_ms() - t0 < 10000);
	for (int i = 0; i < 8; i++) {
		pthread_join(t[i], NULL);
		ok += w[i].ok, refused += w[i].refused;
		lost += w[i].unanswered;
	}
	print_message("round %d: %d writes OK, %d UNAVAILABLE, %d sent as "
	              "glossd closed; %d of 20 polls answered empty\n",
	    round, ok, refused, lost, polls);
	assert_int_equal(polls, 20);
	/* A writer stops once the polls are answered: at most the request
	 * each sent as glossd closed its connection went unanswered. */
	assert_true(lost <= 8);
}

/* Whether article `id` is stored. */
static bool
stored(struct rpc_client *c, const char *id)
{
	Gloss__V1__GetArticleRequest g;
	Gloss__V1__Request q;
	Gloss__V1__Reply *r;
	int code;

	peer_req_get_article(&q, &g, id);
	g.omit_text = true;
	code = rpc_call(c, &q, 10000, &r);
	rpc_reply_free(r);
	assert_true(code == OK || code == NOT_FOUND);
	return code == OK;
}

/*
 * SIGTERM under load: 4 of 21 runs used to hang in nng_close, and 34 of
 * 480 committed writes and 89 of 120 parked polls went unanswered.  Now,
 * in five rounds, glossd exits 0 within 10 s, every poll gets its empty
 * answer, and after a restart every write answered OK is stored and every
 * write answered UNAVAILABLE is not: OK if and only if committed.
 */
static void
test_sigterm_answers_everything(void **state)
{
	struct harness *h = *state;
	static struct writer_run w[5][8];
	struct rpc_client *c;
	int checked = 0;

	for (int round = 0; round < 5; round++)
		sigterm_round(h, round, w[round]);
	assert_true(harness_start(h, NULL));
	c = harness_client(h);
	for (int round = 0; round < 5; round++)
		for (int i = 0; i < 8; i++) {
			for (int k = 0; k < w[round][i].ok; k++, checked++)
				assert_true(stored(c, w[round][i].ok_ids[k]));
			for (int k = 0; k < w[round][i].refused; k++, checked++)
				assert_false(
				    stored(c, w[round][i].refused_ids[k]));
		}
	print_message("%d answered writes checked against the store\n",
	    checked);
	rpc_close(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_sigterm_answers_everything,
		    harness_setup, harness_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
