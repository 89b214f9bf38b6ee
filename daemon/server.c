/*
 * server: nng listeners and workers, and the path of one request from bytes
 * to reply bytes.  The only file that includes <nng/nng.h>; no nng error
 * leaves it.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/transport/ipc/ipc.h>
#include <nng/transport/tcp/tcp.h>

#include "log.h"
#include "serve.h"
#include "server.h"

#define SERVER_POLL_MS 250  /* how often an idle worker checks for stop */
#define SERVER_SEND_MS 5000 /* a peer that does not read its reply */

struct server_worker {
	struct server *server;
	nng_ctx ctx;
	nng_aio *aio;
	pthread_t thread;
	bool started;
};

struct server {
	struct call_env *env;
	nng_socket sock;
	nng_listener *listeners;
	size_t n_listeners;
	struct server_worker *workers;
	atomic_bool stopping;
	/* Long polls waiting for a commit (see server_park()). */
	pthread_mutex_t park_mu;
	pthread_cond_t park_cv;
	struct server_parked *parked;
	size_t n_parked;
	uint64_t commits_seen;
	pthread_t waker;
	bool waker_started;
	nng_aio *waker_aio;
};

/* ------------------------------------------------------------ one request */

static void *
server_msg_alloc(void *arg, size_t n)
{
	nng_msg **msg = arg;

	if (nng_msg_alloc(msg, n) != 0)
		return NULL;
	return nng_msg_body(*msg);
}

/*
 * Serves one request and returns the reply (or NULL).  req stays the
 * caller's.  If may_park and the handler asked to wait (a long poll), no
 * reply is made: *park_ms says how long the request may wait.
 */
static nng_msg *
server_serve(struct server *sv, nng_msg *req, bool may_park, uint32_t *park_ms)
{
	nng_msg *reply = NULL;
	struct serve_out out = { server_msg_alloc, &reply };
	unsigned flags = may_park ? SERVE_MAY_PARK : 0;

	if (serve_request(sv->env, nng_msg_body(req), nng_msg_len(req), flags,
	        &out, park_ms) != SERVE_REPLIED)
		return NULL;
	return reply;
}

/* Sends reply on ctx; frees it if it could not be sent. */
static void
server_send(nng_ctx ctx, nng_aio *aio, nng_msg *reply)
{
	nng_aio_set_timeout(aio, SERVER_SEND_MS);
	nng_aio_set_msg(aio, reply);
	nng_ctx_send(ctx, aio);
	nng_aio_wait(aio);
	if (nng_aio_result(aio) != 0) /* unsent, so still ours */
		nng_msg_free(reply);
}

/* ------------------------------------------------------------ long polls */

/*
 * A parked request keeps its nng context, so that its reply goes to the
 * right peer later; its worker opens a fresh context and serves on.  The
 * waker serves parked requests again after every commit and when their
 * wait ends, so followers that wait tie up no worker.
 */
struct server_parked {
	struct server_parked *next;
	nng_ctx ctx;
	nng_msg *req;
	int64_t until_ms; /* on call_mono_ms()'s clock */
};

#define SERVER_PARKED_MAX 4096

static void
server_wake(void *arg)
{
	struct server *sv = arg;

	pthread_mutex_lock(&sv->park_mu);
	sv->commits_seen++;
	pthread_cond_signal(&sv->park_cv);
	pthread_mutex_unlock(&sv->park_mu);
}

/* Takes ctx and req from a worker; false if too many wait already. */
static bool
server_park(struct server *sv, nng_ctx ctx, nng_msg *req, uint32_t park_ms)
{
	struct server_parked *p;

	pthread_mutex_lock(&sv->park_mu);
	if (sv->n_parked >= SERVER_PARKED_MAX ||
	    (p = malloc(sizeof(*p))) == NULL) {
		pthread_mutex_unlock(&sv->park_mu);
		return false;
	}
	p->ctx = ctx;
	p->req = req;
	p->until_ms = call_mono_ms() + park_ms;
	p->next = sv->parked;
	sv->parked = p;
	sv->n_parked++;
	pthread_cond_signal(&sv->park_cv);
	pthread_mutex_unlock(&sv->park_mu);
	return true;
}

/* Serves p again; true if it was answered (and p freed). */
static bool
server_unpark(struct server *sv, struct server_parked *p, bool final)
{
	bool may_park = !final && call_mono_ms() < p->until_ms;
	uint32_t park_ms;
	nng_msg *reply = server_serve(sv, p->req, may_park, &park_ms);

	if (park_ms > 0)
		return false;
	if (reply != NULL)
		server_send(p->ctx, sv->waker_aio, reply);
	nng_ctx_close(p->ctx);
	nng_msg_free(p->req);
	free(p);
	return true;
}

/* Serves every parked request again; keeps those that still wait. */
static void
server_unpark_all(struct server *sv, bool final)
{
	struct server_parked *list, *p, *next, *keep = NULL;
	size_t kept = 0;

	pthread_mutex_lock(&sv->park_mu);
	list = sv->parked;
	sv->parked = NULL;
	sv->n_parked = 0;
	pthread_mutex_unlock(&sv->park_mu);
	for (p = list; p != NULL; p = next) {
		next = p->next;
		if (!server_unpark(sv, p, final)) {
			p->next = keep;
			keep = p;
			kept++;
		}
	}
	pthread_mutex_lock(&sv->park_mu);
	for (p = keep; p != NULL; p = next) {
		next = p->next;
		p->next = sv->parked;
		sv->parked = p;
	}
	sv->n_parked += kept;
	pthread_mutex_unlock(&sv->park_mu);
}

/* The earliest wait's end, or SERVER_POLL_MS from now. */
static int64_t
server_next_deadline(const struct server *sv)
{
	int64_t t = call_mono_ms() + SERVER_POLL_MS;

	for (const struct server_parked *p = sv->parked; p != NULL; p = p->next)
		if (p->until_ms < t)
			t = p->until_ms;
	return t;
}

static void *
server_waker_main(void *arg)
{
	struct server *sv = arg;
	uint64_t seen = 0;
	struct timespec ts;
	int64_t until;

	while (!atomic_load(&sv->stopping)) {
		pthread_mutex_lock(&sv->park_mu);
		until = server_next_deadline(sv);
		while (sv->commits_seen == seen &&
		       !atomic_load(&sv->stopping) && call_mono_ms() < until) {
			ts.tv_sec = until / 1000;
			ts.tv_nsec = (until % 1000) * 1000000;
			pthread_cond_timedwait(&sv->park_cv, &sv->park_mu, &ts);
			until = server_next_deadline(sv);
		}
		seen = sv->commits_seen;
		pthread_mutex_unlock(&sv->park_mu);
		server_unpark_all(sv, false);
	}
	server_unpark_all(sv, true); /* answer every follower before closing */
	return NULL;
}

/* ------------------------------------------------------------ workers */

/* Hands the request to the waker and takes a fresh context; if it cannot,
 * serves the request now without waiting. */
static void
server_worker_park(struct server_worker *w, nng_msg *req, uint32_t park_ms)
{
	nng_ctx fresh;
	nng_msg *reply;

	if (nng_ctx_open(&fresh, w->server->sock) == 0) {
		if (server_park(w->server, w->ctx, req, park_ms)) {
			w->ctx = fresh;
			return;
		}
		nng_ctx_close(fresh);
	}
	reply = server_serve(w->server, req, false, &park_ms);
	nng_msg_free(req);
	if (reply != NULL)
		server_send(w->ctx, w->aio, reply);
}

/* One request at a time; handlers may block here, unlike in nng callbacks. */
static void *
server_worker_main(void *arg)
{
	struct server_worker *w = arg;
	nng_msg *req, *reply;
	uint32_t park_ms;
	int rv;

	while (!atomic_load(&w->server->stopping)) {
		nng_aio_set_timeout(w->aio, SERVER_POLL_MS);
		nng_ctx_recv(w->ctx, w->aio);
		nng_aio_wait(w->aio);
		rv = nng_aio_result(w->aio);
		if (rv == NNG_ECLOSED)
			break;
		if (rv != 0 || (req = nng_aio_get_msg(w->aio)) == NULL)
			continue; /* a timeout, or nng#1620's empty result */
		reply = server_serve(w->server, req, true, &park_ms);
		if (park_ms > 0) {
			server_worker_park(w, req, park_ms);
			continue;
		}
		nng_msg_free(req);
		if (reply != NULL)
			server_send(w->ctx, w->aio, reply);
	}
	return NULL;
}

static int
server_workers_start(struct server *sv)
{
	int rv;

	sv->workers = calloc(sv->env->workers, sizeof(*sv->workers));
	if (sv->workers == NULL)
		return NNG_ENOMEM;
	for (unsigned i = 0; i < sv->env->workers; i++) {
		struct server_worker *w = &sv->workers[i];
		w->server = sv;
		if ((rv = nng_ctx_open(&w->ctx, sv->sock)) != 0 ||
		    (rv = nng_aio_alloc(&w->aio, NULL, NULL)) != 0)
			return rv;
		if (pthread_create(&w->thread, NULL, server_worker_main, w) !=
		    0)
			return NNG_ENOMEM;
		w->started = true;
	}
	return 0;
}

static int
server_waker_start(struct server *sv)
{
	pthread_condattr_t attr;
	int rv;

	if ((rv = nng_aio_alloc(&sv->waker_aio, NULL, NULL)) != 0)
		return rv;
	/* Deadlines are on CLOCK_MONOTONIC (call_mono_ms()). */
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&sv->park_cv, &attr);
	pthread_condattr_destroy(&attr);
	if (pthread_create(&sv->waker, NULL, server_waker_main, sv) != 0)
		return NNG_ENOMEM;
	sv->waker_started = true;
	sv->env->committed_arg = sv;
	sv->env->committed = server_wake;
	return 0;
}

/* ------------------------------------------------------------ listeners */

static int
server_listen(struct server *sv, const char *url, nng_listener *l)
{
	int rv;

	if ((rv = nng_listener_create(l, sv->sock, url)) != 0)
		return rv;
	if ((rv = nng_listener_set_size(*l, NNG_OPT_RECVMAXSZ,
	         SERVER_RECV_MAX)) != 0)
		return rv;
	if (strncmp(url, "ipc://", 6) == 0 &&
	    (rv = nng_listener_set_int(*l, NNG_OPT_IPC_PERMISSIONS, 0600)) != 0)
		return rv;
	if (strncmp(url, "tcp", 3) == 0 &&
	    (rv = nng_listener_set_bool(*l, NNG_OPT_TCP_KEEPALIVE, true)) != 0)
		return rv;
	return nng_listener_start(*l, 0);
}

static enum status
server_open(struct server *sv, char *why, size_t whylen)
{
	int rv;

	if ((rv = nng_rep0_open(&sv->sock)) != 0 ||
	    (rv = nng_socket_set_size(sv->sock, NNG_OPT_RECVMAXSZ,
	         SERVER_RECV_MAX)) != 0) {
		snprintf(why, whylen, "cannot open an nng socket: %s",
		    nng_strerror(rv));
		return STATUS_INTERNAL;
	}
	for (size_t i = 0; i < sv->env->n_listen; i++) {
		const char *url = sv->env->listen[i];
		if ((rv = server_listen(sv, url, &sv->listeners[i])) == 0) {
			sv->n_listeners++;
			continue;
		}
		snprintf(why, whylen, "cannot listen on %s: %s", url,
		    nng_strerror(rv));
		return rv == NNG_EADDRINUSE ? STATUS_UNAVAILABLE
		       : rv == NNG_EADDRINVAL || rv == NNG_ENOTSUP
		           ? STATUS_INVALID_ARGUMENT
		           : STATUS_INTERNAL;
	}
	if ((rv = server_workers_start(sv)) != 0 ||
	    (rv = server_waker_start(sv)) != 0) {
		snprintf(why, whylen, "cannot start workers: %s",
		    nng_strerror(rv));
		return STATUS_INTERNAL;
	}
	return STATUS_OK;
}

enum status
server_start(struct call_env *env, struct server **out, char *why,
    size_t whylen)
{
	struct server *sv = calloc(1, sizeof(*sv));
	enum status s;

	if (sv == NULL || (sv->listeners = calloc(env->n_listen,
	                       sizeof(nng_listener))) == NULL) {
		free(sv);
		snprintf(why, whylen, "out of memory");
		return STATUS_RESOURCE_EXHAUSTED;
	}
	sv->env = env;
	pthread_mutex_init(&sv->park_mu, NULL);
	if ((s = server_open(sv, why, whylen)) != STATUS_OK) {
		server_stop(sv);
		return s;
	}
	*out = sv;
	return STATUS_OK;
}

void
server_stop(struct server *sv)
{
	atomic_store(&sv->stopping, true);
	for (size_t i = 0; i < sv->n_listeners; i++)
		nng_listener_close(sv->listeners[i]);
	for (unsigned i = 0; sv->workers != NULL && i < sv->env->workers; i++)
		if (sv->workers[i].started)
			pthread_join(sv->workers[i].thread, NULL);
	/* No request is in flight now, so the writer commits nothing more. */
	sv->env->committed = NULL;
	if (sv->waker_started) {
		pthread_mutex_lock(&sv->park_mu);
		pthread_cond_signal(&sv->park_cv);
		pthread_mutex_unlock(&sv->park_mu);
		pthread_join(sv->waker, NULL);
		pthread_cond_destroy(&sv->park_cv);
	}
	if (sv->waker_aio != NULL)
		nng_aio_free(sv->waker_aio);
	pthread_mutex_destroy(&sv->park_mu);
	nng_close(
	    sv->sock); /* after the workers: their last replies are sent */
	for (unsigned i = 0; sv->workers != NULL && i < sv->env->workers; i++) {
		if (sv->workers[i].aio != NULL)
			nng_aio_free(sv->workers[i].aio);
	}
	free(sv->workers);
	free(sv->listeners);
	free(sv);
}
