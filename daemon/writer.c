/*
 * writer: the write queue and the thread that drains it in batches.  Calls
 * method handlers and store transactions; never touches nng.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "import.h"
#include "log.h"
#include "store.h"
#include "writer.h"

#define WRITER_BATCH_MAX  256
#define WRITER_GROW_TRIES 8

struct writer_job {
	struct call *call;
	const struct method *method;
	bool done;
	struct writer_job *next;
};

struct writer {
	struct call_env *env;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t queued; /* the writer waits for jobs */
	pthread_cond_t done;   /* workers wait for their job */
	struct writer_job *head, **tail;
	bool stopping;
};

/* A call whose request_id was applied before: answer with the first reply.
 * Returns true if c now holds its reply. */
static bool
writer_replay(struct call *c)
{
	Gloss__V1__AppliedRequest *ar;
	Gloss__V1__Reply *old;

	if (c->req->request_id[0] == '\0' ||
	    store_request_get(c->txn, c->req->request_id, &c->allocator, &ar) !=
	        STATUS_OK)
		return false;
	if (ar->body_sha256.len != sizeof(c->body_hash) ||
	    memcmp(ar->body_sha256.data, c->body_hash, sizeof(c->body_hash)) !=
	        0) {
		call_fail(c, REASON(REQUEST_ID_REUSED), "request_id",
		    "request_id '%s' was used before for another request; use "
		    "a new id for every write",
		    c->req->request_id);
		return true;
	}
	old = gloss__v1__reply__unpack(&c->allocator, ar->reply.len,
	    ar->reply.data);
	if (old == NULL || old->status == NULL) {
		call_fail(c, REASON(DATA_DAMAGED), NULL,
		    "the stored reply to request '%s' "
		    "does not unpack",
		    c->req->request_id);
		return true;
	}
	c->reply = *old;
	c->status = *old->status;
	c->reply.status = &c->status;
	return true;
}

/* Remembers c's reply under its request_id, in the same transaction. */
static enum status
writer_remember(struct call *c)
{
	Gloss__V1__AppliedRequest ar = GLOSS__V1__APPLIED_REQUEST__INIT;
	size_t n = protobuf_c_message_get_packed_size(&c->reply.base);
	uint8_t *buf = call_alloc(c, n);
	enum status s;

	if (buf == NULL)
		return call_fail(c, REASON(OUT_OF_MEMORY), NULL,
		    "out of memory");
	protobuf_c_message_pack(&c->reply.base, buf);
	ar.body_sha256.data = c->body_hash;
	ar.body_sha256.len = sizeof(c->body_hash);
	ar.time_ms = c->now_ms;
	ar.reply.data = buf;
	ar.reply.len = n;
	if ((s = store_request_put(c->txn, c->req->request_id, &ar)) !=
	    STATUS_OK)
		return call_error(c, s, "cannot record request '%s'",
		    c->req->request_id);
	return STATUS_OK;
}

/* While an import is unfinished, only the import writes: anything else
 * would land in a folder half restored (and be lost if it is abandoned). */
static bool
writer_import_refuses(struct call *c, const struct method *m)
{
	struct store_import st;
	enum status s;

	if (m->flags & METHOD_DURING_IMPORT)
		return false;
	if ((s = store_import_get(c->txn, &st)) == STATUS_NOT_FOUND)
		return false;
	if (s != STATUS_OK)
		call_error(c, s, "cannot read the state of the data folder");
	else
		call_fail(c, REASON(IMPORT_UNFINISHED), NULL,
		    "%s; nothing else is "
		    "written until then",
		    import_status_sentence(c, &st));
	return true;
}

/*
 * Whether c's reply fits the reply limit, checked before the write commits:
 * a reply that could not be sent after its write committed would answer a
 * done write with an error.  Handlers bound their replies; this makes it
 * hold for every write, whatever a handler does.
 */
static bool
writer_reply_fits(struct call *c)
{
	size_t n = protobuf_c_message_get_packed_size(&c->reply.base);

	if (n <= c->env->max_reply_bytes)
		return true;
	log_error("a %zu-byte reply to a write was refused before commit", n);
	call_reset_reply(c);
	call_fail(c, REASON(REPLY_TOO_LARGE), NULL,
	    "the reply to this write would be %zu bytes, over the %zu-byte "
	    "limit; nothing was written",
	    n, c->env->max_reply_bytes);
	return false;
}

/* Runs one job in a child transaction of batch. */
static void
writer_apply(struct store_txn *batch, struct writer_job *j)
{
	struct call *c = j->call;
	enum status s;

	if (c->deadline_ms != 0 && call_mono_ms() > c->deadline_ms) {
		call_fail(c, REASON(DEADLINE_PASSED), NULL,
		    "the deadline passed before the write could start; it was "
		    "not applied");
		return;
	}
	c->now_ms = call_now_ms();
	if ((s = store_write_begin(batch, &c->txn)) != STATUS_OK) {
		call_error(c, s, "cannot begin a write");
		return;
	}
	if (writer_replay(c) || writer_import_refuses(c, j->method)) {
		store_write_abort(c->txn);
		return;
	}
	s = j->method->fn(c);
	if (s == STATUS_OK && !writer_reply_fits(c))
		s = STATUS_RESOURCE_EXHAUSTED;
	if (s == STATUS_OK && c->req->request_id[0] != '\0' &&
	    !(j->method->flags & METHOD_SECRET))
		s = writer_remember(c);
	if (s != STATUS_OK) {
		store_write_abort(c->txn);
		return;
	}
	if ((s = store_write_commit(c->txn)) != STATUS_OK)
		call_error(c, s, "cannot apply the write");
}

/* Gives every job that succeeded so far the batch's failure instead. */
static void
writer_fail_all(struct writer_job *jobs, enum status s, const char *why)
{
	for (struct writer_job *j = jobs; j != NULL; j = j->next)
		if (call_status(j->call) == STATUS_OK) {
			call_reset_reply(j->call);
			call_error(j->call, s, "%s; nothing was written", why);
		}
}

static void
writer_reset_all(struct writer_job *jobs)
{
	for (struct writer_job *j = jobs; j != NULL; j = j->next)
		call_reset_reply(j->call);
}

/* One try at committing jobs together.  Returns true when done, false when
 * the map must grow first. */
static bool
writer_try_batch(struct writer *w, struct writer_job *jobs, size_t n)
{
	struct store_txn *batch;
	bool map_full = false;
	enum status s;

	if ((s = store_batch_begin(w->env->store, &batch)) != STATUS_OK) {
		writer_fail_all(jobs, s, "cannot begin a write transaction");
		return true;
	}
	for (struct writer_job *j = jobs; j != NULL; j = j->next)
		writer_apply(batch, j);
	if (store_batch_map_full(batch)) {
		store_batch_abort(batch);
		return false;
	}
	s = store_batch_commit(batch, &map_full);
	if (s == STATUS_OK) {
		atomic_fetch_add(&w->env->commits, 1);
		atomic_fetch_add(&w->env->writes_committed, n);
		if (w->env->committed != NULL)
			w->env->committed(w->env->committed_arg);
		return true;
	}
	if (map_full)
		return false;
	writer_fail_all(jobs, s,
	    s == STATUS_RESOURCE_EXHAUSTED ? "the disk is full"
	                                   : "the commit failed");
	return true;
}

static void
writer_run_batch(struct writer *w, struct writer_job *jobs, size_t n)
{
	enum status s = STATUS_RESOURCE_EXHAUSTED;

	for (int i = 0; i < WRITER_GROW_TRIES; i++) {
		if (writer_try_batch(w, jobs, n))
			return;
		writer_reset_all(jobs);
		if ((s = store_grow(w->env->store)) != STATUS_OK)
			break;
	}
	writer_reset_all(jobs);
	/* The store reopened its map at the old size: reads go on, and a
	 * later write that fits, or finds the limit raised, commits. */
	writer_fail_all(jobs, s,
	    s == STATUS_UNAVAILABLE
	        ? "the database could not be reopened after a failed grow; "
	          "restart glossd"
	        : "the database is full and its map cannot grow (the address "
	          "space or the disk is exhausted)");
}

/* Takes up to WRITER_BATCH_MAX jobs off the queue; w->mu held. */
static struct writer_job *
writer_take(struct writer *w, size_t *n)
{
	struct writer_job *jobs = w->head, *j = jobs;

	for (*n = 1; *n < WRITER_BATCH_MAX && j->next != NULL; (*n)++)
		j = j->next;
	w->head = j->next;
	j->next = NULL;
	if (w->head == NULL)
		w->tail = &w->head;
	return jobs;
}

static void *
writer_main(void *arg)
{
	struct writer *w = arg;
	struct writer_job *jobs;
	size_t n;

	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (w->head == NULL && !w->stopping)
			pthread_cond_wait(&w->queued, &w->mu);
		if (w->head == NULL)
			break;
		jobs = writer_take(w, &n);
		pthread_mutex_unlock(&w->mu);
		writer_run_batch(w, jobs, n);
		pthread_mutex_lock(&w->mu);
		for (struct writer_job *j = jobs; j != NULL; j = j->next)
			j->done = true;
		pthread_cond_broadcast(&w->done);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

void
writer_submit(struct writer *w, struct call *c, const struct method *m)
{
	struct writer_job j = { c, m, false, NULL };

	pthread_mutex_lock(&w->mu);
	if (w->stopping) {
		pthread_mutex_unlock(&w->mu);
		call_fail(c, REASON(SHUTTING_DOWN), NULL,
		    "glossd is shutting down");
		return;
	}
	*w->tail = &j;
	w->tail = &j.next;
	pthread_cond_signal(&w->queued);
	while (!j.done)
		pthread_cond_wait(&w->done, &w->mu);
	pthread_mutex_unlock(&w->mu);
}

enum status
writer_start(struct call_env *env, struct writer **out)
{
	struct writer *w = calloc(1, sizeof(*w));

	if (w == NULL)
		return STATUS_RESOURCE_EXHAUSTED;
	w->env = env;
	w->tail = &w->head;
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->queued, NULL);
	pthread_cond_init(&w->done, NULL);
	if (pthread_create(&w->thread, NULL, writer_main, w) != 0) {
		free(w);
		return STATUS_INTERNAL;
	}
	*out = w;
	return STATUS_OK;
}

void
writer_stop(struct writer *w)
{
	pthread_mutex_lock(&w->mu);
	w->stopping = true;
	pthread_cond_signal(&w->queued);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->queued);
	pthread_cond_destroy(&w->done);
	free(w);
}
