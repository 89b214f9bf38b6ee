/*
 * server_io: the I/O thread.  It owns every socket, in one epoll set, and
 * never waits for a peer: it accepts, reads, hands requests to the workers,
 * writes what they answer, and closes connections past their timers
 * (server_conn.c, server_read.c).  Workers wake it through an eventfd.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "log.h"
#include "server_local.h"

#define SERVER_TAG_WAKE   (UINT64_C(1) << 62)
#define SERVER_TAG_LISTEN (UINT64_C(1) << 63)

/* ------------------------------------------------------------ the thread */

/* Hands the workers' replies to their connections. */
static void
server_io_deliver(struct server *sv)
{
	struct server_out *o, *next;
	struct server_conn *c;
	uint64_t n;

	if (read(sv->wakefd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		log_error("eventfd: %s", strerror(errno));
	pthread_mutex_lock(&sv->done_mu);
	o = sv->done_head;
	sv->done_head = NULL;
	sv->done_tail = &sv->done_head;
	pthread_mutex_unlock(&sv->done_mu);
	for (; o != NULL; o = next) {
		next = o->next;
		if ((c = server_conn_find(sv, o->conn)) == NULL) {
			free(o); /* its peer is gone */
			continue;
		}
		server_conn_queue(sv, c, o);
		if (c->out_head == o)
			server_conn_write(sv, c);
	}
}

/* A TLS connection before its SP hello: the handshake steps on what it
 * waited for; a peer that hangs up meanwhile is closed at once.  True if
 * the handshake is done and c open: the events are c's as usual. */
static bool
server_io_handshake(struct server *sv, struct server_conn *c, uint32_t events)
{
	if ((events & (EPOLLIN | EPOLLOUT)) && !server_tls_handshake(sv, c))
		return false;
	if (c->handshaking && (events & (EPOLLERR | EPOLLHUP | EPOLLRDHUP))) {
		server_conn_close(sv, c, false,
		    "the peer hung up during the TLS handshake");
		return false;
	}
	return !c->handshaking;
}

static void
server_io_event(struct server *sv, const struct epoll_event *ev)
{
	struct server_conn *c;

	if (ev->data.u64 == SERVER_TAG_WAKE) {
		server_io_deliver(sv);
		return;
	}
	if (ev->data.u64 & SERVER_TAG_LISTEN) {
		server_conn_accept(sv, (size_t)(ev->data.u64 & 0xffff));
		return;
	}
	if ((c = server_conn_find(sv, ev->data.u64)) == NULL)
		return;
	if (c->handshaking && !server_io_handshake(sv, c, ev->events))
		return;
	if ((ev->events & EPOLLIN) && server_conn_reading(c)) {
		server_conn_read(sv, c);
		if ((c = server_conn_find(sv, ev->data.u64)) == NULL)
			return;
	}
	if ((ev->events & EPOLLOUT) && !server_conn_write(sv, c))
		return;
	if (ev->events & (EPOLLERR | EPOLLHUP))
		server_conn_close(sv, c, false, "the peer hung up");
	else if ((ev->events & EPOLLRDHUP) && !c->eof)
		server_conn_eof(sv, c); /* what it had sent is dropped */
}

/* Closes connections past their timers: the hello, a request begun, a
 * reply unread. */
static void
server_io_timers(struct server *sv, struct server_conn *c, int64_t now)
{
	if (c->hello_by != 0 && now > c->hello_by)
		server_conn_close(sv, c, true,
		    c->handshaking
		        ? "its TLS handshake was not done within 10 s"
		        : "no SP hello within 10 s");
	else if (c->frame_by != 0 && now > c->frame_by)
		server_conn_close(sv, c, true,
		    "a request it began took over 30 s to arrive");
	else if (c->out_head != NULL && now - c->stalled_at > SERVER_STALL_MS)
		server_conn_close(sv, c, true,
		    "it read none of its replies for 10 s");
}

/* Polls the listening sockets again after a pause for descriptors. */
static void
server_io_resume(struct server *sv, int64_t now)
{
	struct epoll_event ev = { .events = EPOLLIN };

	if (sv->accept_resume_ms == 0 || now < sv->accept_resume_ms)
		return;
	sv->accept_resume_ms = 0;
	for (size_t i = 0; i < sv->n_listen && sv->listening; i++) {
		ev.data.u64 = SERVER_TAG_LISTEN | i;
		epoll_ctl(sv->epfd, EPOLL_CTL_ADD, sv->listen_fd[i], &ev);
	}
}

static void
server_io_tick(struct server *sv)
{
	int64_t now = call_mono_ms();

	for (size_t i = 0; i < sv->env->max_connections; i++)
		if (sv->conns[i] != NULL)
			server_io_timers(sv, sv->conns[i], now);
	server_io_resume(sv, now);
}

/* Stops accepting: the listening sockets are closed (and their paths
 * removed) by the thread that polls them. */
static void
server_io_unlisten(struct server *sv)
{
	for (size_t i = 0; i < sv->n_listen; i++)
		epoll_ctl(sv->epfd, EPOLL_CTL_DEL, sv->listen_fd[i], NULL);
	server_unlisten(sv);
}

/*
 * The stop's last step, once what glossd had read is answered: reads what
 * peers have sent since (each request is answered UNAVAILABLE), then reads
 * no more, so that the close leaves no request unanswered that was written
 * before it.  A poll sent just before a SIGTERM used to be closed on,
 * unread, when the I/O thread was slow (under load).
 */
static void
server_io_drain(struct server *sv)
{
	struct epoll_event ev[64];
	int n, rounds = 0;

	while (rounds++ < 64 && (n = epoll_wait(sv->epfd, ev, 64, 0)) > 0)
		for (int i = 0; i < n; i++)
			server_io_event(sv, &ev[i]);
	atomic_store(&sv->drained, true);
	for (size_t i = 0; i < sv->env->max_connections; i++)
		if (sv->conns[i] != NULL)
			server_conn_watch(sv, sv->conns[i], false);
}

static void *
server_io_main(void *arg)
{
	struct server *sv = arg;
	struct epoll_event ev[64];
	int64_t next_tick = 0;
	int n;

	while (!atomic_load(&sv->closing)) {
		n = epoll_wait(sv->epfd, ev, 64, SERVER_TICK_MS);
		for (int i = 0; i < n; i++)
			server_io_event(sv, &ev[i]);
		if (atomic_load(&sv->stopping) && sv->listening)
			server_io_unlisten(sv);
		if (atomic_load(&sv->drain) && !atomic_load(&sv->drained))
			server_io_drain(sv);
		if (call_mono_ms() >= next_tick) {
			server_io_tick(sv);
			next_tick = call_mono_ms() + SERVER_TICK_MS;
		}
	}
	for (size_t i = 0; i < sv->env->max_connections; i++)
		if (sv->conns[i] != NULL)
			server_conn_close(sv, sv->conns[i], false,
			    "glossd stopped");
	return NULL;
}

void
server_io_wake(struct server *sv)
{
	uint64_t one = 1;

	if (write(sv->wakefd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_error("eventfd: %s", strerror(errno));
}

int
server_io_start(struct server *sv)
{
	struct epoll_event ev = { .events = EPOLLIN };
	size_t max = sv->env->max_connections;

	sv->done_tail = &sv->done_head;
	sv->conns = calloc(max, sizeof(*sv->conns));
	sv->conn_gen = calloc(max, sizeof(*sv->conn_gen));
	sv->conn_eof = calloc(max, sizeof(*sv->conn_eof));
	if (sv->conns == NULL || sv->conn_gen == NULL || sv->conn_eof == NULL ||
	    (sv->epfd = epoll_create1(EPOLL_CLOEXEC)) < 0 ||
	    (sv->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0)
		return -1;
	ev.data.u64 = SERVER_TAG_WAKE;
	if (epoll_ctl(sv->epfd, EPOLL_CTL_ADD, sv->wakefd, &ev) != 0)
		return -1;
	for (size_t i = 0; i < sv->n_listen; i++) {
		ev.data.u64 = SERVER_TAG_LISTEN | i;
		if (epoll_ctl(sv->epfd, EPOLL_CTL_ADD, sv->listen_fd[i], &ev) !=
		    0)
			return -1;
	}
	if (pthread_create(&sv->io, NULL, server_io_main, sv) != 0)
		return -1;
	sv->io_started = true;
	return 0;
}

void
server_io_stop(struct server *sv)
{
	if (sv->io_started) {
		server_io_wake(sv);
		pthread_join(sv->io, NULL);
		sv->io_started = false;
	}
}

void
server_io_fini(struct server *sv)
{
	struct server_out *o, *next;

	for (o = sv->done_head; o != NULL; o = next) {
		next = o->next;
		free(o);
	}
	if (sv->epfd > 0)
		close(sv->epfd);
	if (sv->wakefd > 0)
		close(sv->wakefd);
	free(sv->conns);
	free(sv->conn_gen);
	free(sv->conn_eof);
}
