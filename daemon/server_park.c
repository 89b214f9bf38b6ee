/*
 * server_park: long polls.  A ListChanges that finds nothing new waits here
 * as a job, and its worker serves on.  After every commit, and when a wait
 * ends, the waker serves the parked jobs again and hands the replies of
 * those that are done to the I/O thread.  A parked job still counts as
 * work (sv->working) and as one of its connection's requests in flight.
 */
#include <stdlib.h>

#include "log.h"
#include "server_local.h"

static void
server_wake(void *arg)
{
	struct server *sv = arg;

	pthread_mutex_lock(&sv->park_mu);
	sv->commits_seen++;
	pthread_cond_signal(&sv->park_cv);
	pthread_mutex_unlock(&sv->park_mu);
}

bool
server_park(struct server *sv, struct server_job *job, uint32_t park_ms)
{
	bool ok;

	pthread_mutex_lock(&sv->park_mu);
	ok = !sv->park_final && sv->n_parked < SERVER_PARKED_MAX;
	if (ok) {
		job->until_ms = call_mono_ms() + park_ms;
		job->next = sv->parked;
		sv->parked = job;
		sv->n_parked++;
		pthread_cond_signal(&sv->park_cv);
	}
	pthread_mutex_unlock(&sv->park_mu);
	return ok;
}

/*
 * Serves job again if `serve` (a commit came, a wait ended, glossd stops)
 * or its peer stopped sending (answered now, empty); drops it if its
 * connection is gone.  True if job is done, false if it still waits.
 */
static bool
server_unpark(struct server *sv, struct server_job *job, bool final, bool serve)
{
	bool ended = server_conn_ended(sv, job->conn);
	unsigned flags = !final && !ended && call_mono_ms() < job->until_ms
	                     ? SERVE_MAY_PARK
	                     : 0;
	struct server_out *out = NULL;
	uint32_t park_ms = 0;

	if (server_conn_alive(sv, job->conn)) {
		if (!serve && !ended)
			return false;
		out = server_work_serve(sv, job, flags, &park_ms);
		if (park_ms > 0)
			return false;
	}
	server_work_done(sv, job, out);
	return true;
}

/* Serves every parked job again (or, unless `serve`, only those of
 * connections that ended); keeps those that still wait. */
static void
server_unpark_all(struct server *sv, bool final, bool serve)
{
	struct server_job *list, *job, *next, *keep = NULL, *last = NULL;
	size_t kept = 0;

	pthread_mutex_lock(&sv->park_mu);
	list = sv->parked;
	sv->parked = NULL;
	sv->n_parked = 0;
	pthread_mutex_unlock(&sv->park_mu);
	for (job = list; job != NULL; job = next) {
		next = job->next;
		if (server_unpark(sv, job, final, serve))
			continue;
		job->next = keep;
		keep = job;
		if (last == NULL)
			last = job;
		kept++;
	}
	if (keep == NULL)
		return;
	pthread_mutex_lock(&sv->park_mu);
	last->next = sv->parked;
	sv->parked = keep;
	sv->n_parked += kept;
	pthread_mutex_unlock(&sv->park_mu);
}

/* The earliest wait's end (none: a second from now); park_mu held. */
static int64_t
server_next_deadline(const struct server *sv)
{
	int64_t t = call_mono_ms() + 1000;

	for (const struct server_job *j = sv->parked; j != NULL; j = j->next)
		if (j->until_ms < t)
			t = j->until_ms;
	return t;
}

static void *
server_waker_main(void *arg)
{
	struct server *sv = arg;
	uint64_t seen = 0;
	int64_t until;
	bool final = false, serve;

	while (!atomic_load(&sv->closing)) {
		pthread_mutex_lock(&sv->park_mu);
		until = server_next_deadline(sv);
		while (sv->commits_seen == seen && sv->park_final == final &&
		       !sv->park_purge && !atomic_load(&sv->closing) &&
		       call_mono_ms() < until) {
			server_cond_wait_until(&sv->park_cv, &sv->park_mu,
			    until);
			until = server_next_deadline(sv);
		}
		serve = sv->commits_seen != seen || sv->park_final != final ||
		        call_mono_ms() >= until;
		seen = sv->commits_seen;
		final = sv->park_final;
		sv->park_purge = false;
		pthread_mutex_unlock(&sv->park_mu);
		server_unpark_all(sv, final, serve);
	}
	server_unpark_all(sv, true, true);
	return NULL;
}

int
server_park_start(struct server *sv)
{
	if (pthread_create(&sv->waker, NULL, server_waker_main, sv) != 0)
		return -1;
	sv->waker_started = true;
	sv->env->committed_arg = sv;
	sv->env->committed = server_wake;
	return 0;
}

void
server_park_flush(struct server *sv)
{
	pthread_mutex_lock(&sv->park_mu);
	sv->park_final = true;
	pthread_cond_signal(&sv->park_cv);
	pthread_mutex_unlock(&sv->park_mu);
}

void
server_park_purge(struct server *sv)
{
	pthread_mutex_lock(&sv->park_mu);
	sv->park_purge = true;
	pthread_cond_signal(&sv->park_cv);
	pthread_mutex_unlock(&sv->park_mu);
}

void
server_park_stop(struct server *sv)
{
	if (!sv->waker_started)
		return;
	pthread_mutex_lock(&sv->park_mu);
	pthread_cond_broadcast(&sv->park_cv);
	pthread_mutex_unlock(&sv->park_mu);
	pthread_join(sv->waker, NULL);
}
