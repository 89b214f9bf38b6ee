/*
 * server_work: the job queue and the workers that serve it.  A worker takes
 * a request, serves it (serve.h), and hands the reply, framed for the
 * connection it came from, to the I/O thread; it never touches a socket, so
 * no peer can hold it.  Handlers may block here (a write waits for its
 * commit), which nng's callbacks could not.
 */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "server_local.h"

/* Where serve.c packs a reply: after room for the frame header and the
 * request's backtrace, in one server_out. */
struct server_sink {
	const struct server_job *job;
	struct server_out *out;
};

static void *
server_sink_alloc(void *arg, size_t n)
{
	struct server_sink *k = arg;
	const struct server_job *job = k->job;
	uint8_t head[SP_HEAD_MAX];
	size_t h = sp_head(job->tp, job->bt + n, head);
	struct server_out *out = malloc(sizeof(*out) + h + job->bt + n);

	if (out == NULL)
		return NULL;
	out->next = NULL;
	out->conn = job->conn;
	out->reply = true;
	out->len = h + job->bt + n;
	memcpy(out->data, head, h);
	memcpy(out->data + h, job->msg, job->bt);
	k->out = out;
	return out->data + h + job->bt;
}

struct server_out *
server_work_serve(struct server *sv, struct server_job *job, unsigned flags,
    uint32_t *park_ms)
{
	struct server_sink k = { job, NULL };
	struct serve_out sink = { server_sink_alloc, &k };
	enum serve_result r;

	*park_ms = 0;
	if (job->oversized > 0)
		r = serve_too_large(sv->env, job->oversized, &sink);
	else
		r = serve_request(sv->env, &job->peer, job->msg + job->bt,
		    job->len - job->bt, flags, &sink, park_ms);
	if (r != SERVE_REPLIED) {
		if (r == SERVE_NO_ROOM)
			log_error("no memory for a reply; its request goes "
			          "unanswered");
		return NULL;
	}
	return k.out;
}

void
server_work_done(struct server *sv, struct server_job *job,
    struct server_out *out)
{
	bool was_empty;

	atomic_fetch_sub(&sv->working, 1);
	free(job->msg);
	free(job);
	if (out == NULL)
		return;
	pthread_mutex_lock(&sv->done_mu);
	was_empty = sv->done_head == NULL;
	*sv->done_tail = out;
	sv->done_tail = &out->next;
	pthread_mutex_unlock(&sv->done_mu);
	if (was_empty) /* otherwise the I/O thread is being woken already */
		server_io_wake(sv);
}

void
server_work_queue(struct server *sv, struct server_job *job)
{
	atomic_fetch_add(&sv->working, 1);
	job->next = NULL;
	pthread_mutex_lock(&sv->job_mu);
	*sv->job_tail = job;
	sv->job_tail = &job->next;
	pthread_cond_signal(&sv->job_cv);
	pthread_mutex_unlock(&sv->job_mu);
}

/* The next job; NULL once the server is closing. */
static struct server_job *
server_work_take(struct server *sv)
{
	struct server_job *job;

	pthread_mutex_lock(&sv->job_mu);
	while (sv->job_head == NULL && !atomic_load(&sv->closing))
		pthread_cond_wait(&sv->job_cv, &sv->job_mu);
	if ((job = sv->job_head) != NULL && !atomic_load(&sv->closing)) {
		sv->job_head = job->next;
		if (sv->job_head == NULL)
			sv->job_tail = &sv->job_head;
	} else {
		job = NULL;
	}
	pthread_mutex_unlock(&sv->job_mu);
	return job;
}

static void *
server_worker_main(void *arg)
{
	struct server *sv = arg;
	struct server_job *job;
	struct server_out *out;
	uint32_t park_ms;

	while ((job = server_work_take(sv)) != NULL) {
		out = server_work_serve(sv, job, job->flags, &park_ms);
		if (park_ms > 0 && server_park(sv, job, park_ms))
			continue; /* the waker answers it */
		if (park_ms > 0)  /* it may not wait: answer now */
			out = server_work_serve(sv, job, 0, &park_ms);
		server_work_done(sv, job, out);
	}
	return NULL;
}

int
server_work_start(struct server *sv)
{
	sv->job_tail = &sv->job_head;
	sv->workers = calloc(sv->env->workers, sizeof(*sv->workers));
	if (sv->workers == NULL)
		return -1;
	for (; sv->n_workers < sv->env->workers; sv->n_workers++)
		if (pthread_create(&sv->workers[sv->n_workers], NULL,
		        server_worker_main, sv) != 0)
			return -1;
	return 0;
}

void
server_work_stop(struct server *sv)
{
	struct server_job *job, *next;

	pthread_mutex_lock(&sv->job_mu);
	pthread_cond_broadcast(&sv->job_cv);
	pthread_mutex_unlock(&sv->job_mu);
	for (unsigned i = 0; i < sv->n_workers; i++)
		pthread_join(sv->workers[i], NULL);
	/* What no worker took: only UNAVAILABLE answers of the stop. */
	for (job = sv->job_head; job != NULL; job = next) {
		next = job->next;
		free(job->msg);
		free(job);
	}
	free(sv->workers);
}
