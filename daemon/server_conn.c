/*
 * server_conn: the I/O thread and its connections.  It accepts, reads SP
 * frames (sp.h) into jobs for the workers and writes their replies, and it
 * never waits for a peer: every socket is non-blocking in one epoll set.
 *
 * What one connection can make glossd hold is bounded: the request being
 * read (bytes as they arrive, at most the request limit; a larger one is
 * read through, dropped and answered RESOURCE_EXHAUSTED), and at most
 * SERVER_CONN_INFLIGHT requests from read to reply written (the next ones
 * wait in the peer's socket until replies are read).  A connection that
 * says no SP hello, sends what is not SP, or reads none of its replies for
 * SERVER_STALL_MS is closed.  Long-lived sockets never block a thread.
 */
#define _GNU_SOURCE /* accept4, struct ucred */
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <arpa/inet.h>

#include "log.h"
#include "server_local.h"

#define SERVER_TAG_WAKE   (UINT64_C(1) << 62)
#define SERVER_TAG_LISTEN (UINT64_C(1) << 63)
#define SERVER_READ_MIN   (64 * 1024) /* the first buffer of a request */
#define SERVER_LOG_MS     10000       /* one line per this, not per peer */

enum server_conn_state {
	CONN_HELLO, /* reading the peer's SP hello */
	CONN_HEAD,  /* reading a frame header */
	CONN_BODY,  /* reading a request */
	CONN_SKIP,  /* reading through a request too large to keep */
};

struct server_conn {
	int fd;
	uint64_t id;
	enum sp_transport tp;
	enum server_conn_state state;
	uint8_t head[SP_HEAD_MAX]; /* the hello, or a frame header */
	uint64_t want, got;        /* bytes of the part being read */
	uint8_t *body;
	size_t body_cap;
	uint8_t bt[4 * SP_HOPS_MAX]; /* a skipped request's backtrace */
	struct server_out *out_head, *out_tail;
	size_t out_done;   /* bytes of out_head written */
	unsigned inflight; /* requests from read to reply written */
	uint32_t events;   /* what epoll watches */
	int64_t hello_by;  /* 0 once the hello came */
	int64_t
	    stalled_at; /* when writing last made progress (queue non-empty) */
	char peer[64];
};

/* ------------------------------------------------------------ the table */

static struct server_conn *
server_conn_find(struct server *sv, uint64_t id)
{
	uint32_t slot = (uint32_t)id;

	if (slot >= sv->env->max_connections || sv->conns[slot] == NULL ||
	    sv->conns[slot]->id != id)
		return NULL;
	return sv->conns[slot];
}

bool
server_conn_alive(struct server *sv, uint64_t id)
{
	uint32_t slot = (uint32_t)id;

	return slot < sv->env->max_connections &&
	       atomic_load(&sv->conn_gen[slot]) == (uint32_t)(id >> 32);
}

static void
server_conn_watch(struct server *sv, struct server_conn *c, bool reading)
{
	struct epoll_event ev = { .data.u64 = c->id };

	ev.events = (reading ? EPOLLIN | EPOLLRDHUP : 0) |
	            (c->out_head != NULL ? EPOLLOUT : 0);
	if (ev.events != c->events &&
	    epoll_ctl(sv->epfd, EPOLL_CTL_MOD, c->fd, &ev) == 0)
		c->events = ev.events;
}

static bool
server_conn_reading(const struct server_conn *c)
{
	return (c->events & EPOLLIN) != 0;
}

/* Closes c and frees everything it holds; `why` is logged (at debug for a
 * peer that simply hung up). */
static void
server_conn_close(struct server *sv, struct server_conn *c, bool warn,
    const char *why)
{
	uint32_t slot = (uint32_t)c->id;
	struct server_out *o, *next;

	if (warn)
		log_warn("closed connection %" PRIu32 " (%s): %s", slot,
		    c->peer, why);
	else
		log_debug("connection %" PRIu32 " (%s) closed: %s", slot,
		    c->peer, why);
	epoll_ctl(sv->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	for (o = c->out_head; o != NULL; o = next) {
		next = o->next;
		atomic_fetch_sub(&sv->unsent,
		    o->len - (o == c->out_head ? c->out_done : 0));
		free(o);
	}
	free(c->body);
	atomic_fetch_add(&sv->conn_gen[slot], 1);
	sv->conns[slot] = NULL;
	sv->n_conns--;
	atomic_store(&sv->env->connections, sv->n_conns);
	free(c);
}

/* ------------------------------------------------------------ writing */

static void
server_conn_queue(struct server *sv, struct server_conn *c,
    struct server_out *o)
{
	o->next = NULL;
	if (c->out_tail != NULL) {
		c->out_tail->next = o;
	} else {
		c->out_head = o;
		c->stalled_at = call_mono_ms(); /* the stall clock starts */
	}
	c->out_tail = o;
	atomic_fetch_add(&sv->unsent, o->len);
}

/* A reply was written whole: one request fewer in flight. */
static void
server_conn_sent(struct server *sv, struct server_conn *c)
{
	struct server_out *o = c->out_head;

	c->out_head = o->next;
	if (c->out_head == NULL)
		c->out_tail = NULL;
	c->out_done = 0;
	if (o->reply && c->inflight > 0)
		c->inflight--;
	free(o);
	(void)sv;
}

/* Writes what the socket takes; false if c was closed. */
static bool
server_conn_write(struct server *sv, struct server_conn *c)
{
	struct server_out *o;
	ssize_t n;

	while ((o = c->out_head) != NULL) {
		n = send(c->fd, o->data + c->out_done, o->len - c->out_done,
		    MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n < 0) {
			server_conn_close(sv, c, false, strerror(errno));
			return false;
		}
		atomic_fetch_sub(&sv->unsent, (size_t)n);
		c->stalled_at = call_mono_ms();
		if ((c->out_done += (size_t)n) == o->len)
			server_conn_sent(sv, c);
	}
	/* Room for more requests again, unless glossd is closing. */
	server_conn_watch(sv, c,
	    c->inflight < SERVER_CONN_INFLIGHT || server_conn_reading(c));
	return true;
}

/* ------------------------------------------------------------ reading */

static void
server_conn_dispatch(struct server *sv, struct server_conn *c,
    struct server_job *job)
{
	job->conn = c->id;
	job->tp = c->tp;
	job->flags =
	    atomic_load(&sv->stopping) ? SERVE_STOPPING : SERVE_MAY_PARK;
	server_work_queue(sv, job);
	if (++c->inflight >= SERVER_CONN_INFLIGHT)
		server_conn_watch(sv, c, false); /* its next requests wait */
}

/* A whole request is in c->body: hand it to the workers. */
static bool
server_conn_request(struct server *sv, struct server_conn *c)
{
	size_t bt = sp_backtrace_len(c->body, (size_t)c->want);
	struct server_job *job;

	if (bt == 0) {
		server_conn_close(sv, c, true,
		    "a message without an SP request id: not a REQ peer");
		return false;
	}
	if ((job = calloc(1, sizeof(*job))) == NULL) {
		server_conn_close(sv, c, true, "out of memory");
		return false;
	}
	job->msg = c->body;
	job->len = (size_t)c->want;
	job->bt = bt;
	c->body = NULL;
	c->body_cap = 0;
	server_conn_dispatch(sv, c, job);
	return true;
}

/* A request too large was read through: answer RESOURCE_EXHAUSTED. */
static bool
server_conn_oversized(struct server *sv, struct server_conn *c)
{
	size_t kept = c->want < sizeof(c->bt) ? (size_t)c->want : sizeof(c->bt);
	size_t bt = sp_backtrace_len(c->bt, kept);
	struct server_job *job;

	if (bt == 0 || (job = calloc(1, sizeof(*job))) == NULL ||
	    (job->msg = malloc(bt)) == NULL) {
		if (bt != 0)
			free(job);
		server_conn_close(sv, c, true,
		    "an oversized message without an SP request id");
		return false;
	}
	memcpy(job->msg, c->bt, bt);
	job->len = job->bt = bt;
	job->oversized = c->want - bt; /* the request, as the client packed it */
	server_conn_dispatch(sv, c, job);
	return true;
}

/* A frame header came: start reading its message. */
static bool
server_conn_header(struct server *sv, struct server_conn *c)
{
	uint64_t n, limit = sv->env->max_request_bytes + 4 * SP_HOPS_MAX;

	if (!sp_head_parse(c->tp, c->head, &n) || n < 4) {
		server_conn_close(sv, c, true, "a frame that is not SP's");
		return false;
	}
	if (n > SERVER_OVERSIZE_FACTOR * limit) {
		server_conn_close(sv, c, true,
		    "a message of billions of bytes");
		return false;
	}
	c->state = n > limit ? CONN_SKIP : CONN_BODY;
	c->want = n;
	c->got = 0;
	return true;
}

/* The part being read is complete: act on it; false if c was closed. */
static bool
server_conn_part(struct server *sv, struct server_conn *c)
{
	bool ok = true;

	switch (c->state) {
	case CONN_HELLO:
		if (sp_hello_peer(c->head) != SP_PROTO_REQ) {
			server_conn_close(sv, c, true,
			    "not an SP REQ peer (glossd speaks REP)");
			return false;
		}
		c->hello_by = 0;
		break;
	case CONN_HEAD:
		return server_conn_header(sv, c);
	case CONN_BODY:
		ok = server_conn_request(sv, c);
		break;
	case CONN_SKIP:
		ok = server_conn_oversized(sv, c);
		break;
	}
	c->state = CONN_HEAD;
	c->want = sp_head_len(c->tp);
	c->got = 0;
	return ok;
}

/* Where the next bytes of the current part go, and how many; NULL when
 * out of memory. */
static uint8_t *
server_conn_room(struct server_conn *c, uint8_t *scratch, size_t scratch_n,
    size_t *room)
{
	uint64_t left = c->want - c->got;
	size_t cap;
	uint8_t *grown;

	if (c->state == CONN_HELLO || c->state == CONN_HEAD) {
		*room = (size_t)left;
		return c->head + c->got;
	}
	if (c->state == CONN_SKIP) {
		if (c->got < sizeof(c->bt)) {
			*room = sizeof(c->bt) - (size_t)c->got;
			*room = *room < left ? *room : (size_t)left;
			return c->bt + c->got;
		}
		*room = left < scratch_n ? (size_t)left : scratch_n;
		return scratch;
	}
	if (c->got == c->body_cap) { /* grow with what arrives */
		cap = c->body_cap ? 2 * c->body_cap : SERVER_READ_MIN;
		cap = cap < c->want ? cap : (size_t)c->want;
		if ((grown = realloc(c->body, cap)) == NULL)
			return NULL;
		c->body = grown;
		c->body_cap = cap;
	}
	*room = c->body_cap - (size_t)c->got;
	return c->body + c->got;
}

/* Reads what the socket has, while c takes requests. */
static void
server_conn_read(struct server *sv, struct server_conn *c)
{
	uint8_t scratch[16384], *at;
	size_t room;
	ssize_t n;

	while (server_conn_reading(c)) {
		if ((at = server_conn_room(c, scratch, sizeof(scratch),
		         &room)) == NULL) {
			server_conn_close(sv, c, true, "out of memory");
			return;
		}
		n = recv(c->fd, at, room, MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			server_conn_close(sv, c, false,
			    n == 0 ? "the peer hung up" : strerror(errno));
			return;
		}
		if ((c->got += (uint64_t)n) == c->want &&
		    !server_conn_part(sv, c))
			return;
	}
}

/* ------------------------------------------------------------ accepting */

/* The peer, for log lines: its address, or the pid of a local process. */
static void
server_conn_name(struct server_conn *c)
{
	struct sockaddr_storage sa;
	socklen_t n = sizeof(sa);
	struct ucred uc;
	socklen_t un = sizeof(uc);
	char addr[INET6_ADDRSTRLEN] = "?";

	if (c->tp == SP_IPC) {
		if (getsockopt(c->fd, SOL_SOCKET, SO_PEERCRED, &uc, &un) == 0)
			snprintf(c->peer, sizeof(c->peer), "ipc, pid %ld",
			    (long)uc.pid);
		else
			snprintf(c->peer, sizeof(c->peer), "ipc");
		return;
	}
	if (getpeername(c->fd, (struct sockaddr *)&sa, &n) != 0)
		snprintf(c->peer, sizeof(c->peer), "tcp");
	else if (sa.ss_family == AF_INET6)
		snprintf(c->peer, sizeof(c->peer), "[%s]:%u",
		    inet_ntop(AF_INET6,
		        &((struct sockaddr_in6 *)&sa)->sin6_addr, addr,
		        sizeof(addr)),
		    ntohs(((struct sockaddr_in6 *)&sa)->sin6_port));
	else
		snprintf(c->peer, sizeof(c->peer), "%s:%u",
		    inet_ntop(AF_INET, &((struct sockaddr_in *)&sa)->sin_addr,
		        addr, sizeof(addr)),
		    ntohs(((struct sockaddr_in *)&sa)->sin_port));
}

static void
server_conn_refuse(struct server *sv, int fd, const char *why)
{
	int64_t now = call_mono_ms();
	uint64_t n = atomic_fetch_add(&sv->env->connections_refused, 1) + 1;

	close(fd);
	if (now - sv->refused_logged_ms < SERVER_LOG_MS)
		return;
	sv->refused_logged_ms = now;
	log_warn("refusing connections: %s (%" PRIu64 " refused since start)",
	    why, n);
}

/* Says glossd's SP hello: the first bytes every connection gets. */
static struct server_out *
server_conn_hello(uint64_t id)
{
	struct server_out *o = malloc(sizeof(*o) + SP_HELLO_LEN);

	if (o != NULL) {
		o->conn = id;
		o->reply = false;
		o->len = SP_HELLO_LEN;
		sp_hello(SP_PROTO_REP, o->data);
	}
	return o;
}

static void
server_conn_add(struct server *sv, int fd, enum sp_transport tp)
{
	struct server_conn *c = calloc(1, sizeof(*c));
	struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP };
	struct server_out *hello;
	uint32_t slot = 0;
	int one = 1;

	while (sv->conns[slot] != NULL)
		slot++; /* there is one: n_conns < max_connections */
	if (c == NULL) {
		server_conn_refuse(sv, fd, "out of memory");
		return;
	}
	c->fd = fd;
	c->tp = tp;
	c->id = (uint64_t)(atomic_fetch_add(&sv->conn_gen[slot], 1) + 1) << 32 |
	        slot;
	c->want = SP_HELLO_LEN;
	c->hello_by = call_mono_ms() + SERVER_HELLO_MS;
	if (tp == SP_TCP) {
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	}
	server_conn_name(c);
	ev.data.u64 = c->id;
	if ((hello = server_conn_hello(c->id)) == NULL ||
	    epoll_ctl(sv->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
		free(hello);
		atomic_fetch_add(&sv->conn_gen[slot], 1);
		free(c);
		server_conn_refuse(sv, fd, "out of memory");
		return;
	}
	c->events = ev.events;
	sv->conns[slot] = c;
	atomic_store(&sv->env->connections, ++sv->n_conns);
	server_conn_queue(sv, c, hello);
	server_conn_write(sv, c);
}

static void
server_conn_accept(struct server *sv, size_t i)
{
	int fd;

	while ((fd = accept4(sv->listen_fd[i], NULL, NULL,
	            SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0 ||
	       errno == EINTR || errno == ECONNABORTED) {
		if (fd < 0)
			continue;
		if (sv->n_conns >= sv->env->max_connections)
			server_conn_refuse(sv, fd,
			    "as many connections are open as --max-connections "
			    "allows");
		else
			server_conn_add(sv, fd, sv->listen_tp[i]);
	}
	if (errno == EMFILE || errno == ENFILE)
		log_error("cannot accept a connection: %s (raise `ulimit -n` "
		          "or lower --max-connections)",
		    strerror(errno));
}

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
	if ((ev->events & EPOLLIN) && server_conn_reading(c)) {
		server_conn_read(sv, c);
		if ((c = server_conn_find(sv, ev->data.u64)) == NULL)
			return;
	}
	if ((ev->events & EPOLLOUT) && !server_conn_write(sv, c))
		return;
	if (ev->events & (EPOLLERR | EPOLLHUP | EPOLLRDHUP))
		server_conn_close(sv, c, false, "the peer hung up");
}

/* Closes connections past their hello or stalled on unread replies. */
static void
server_io_tick(struct server *sv)
{
	int64_t now = call_mono_ms();
	struct server_conn *c;

	for (size_t i = 0; i < sv->env->max_connections; i++) {
		if ((c = sv->conns[i]) == NULL)
			continue;
		if (c->hello_by != 0 && now > c->hello_by)
			server_conn_close(sv, c, true,
			    "no SP hello within 10 s");
		else if (c->out_head != NULL &&
		         now - c->stalled_at > SERVER_STALL_MS)
			server_conn_close(sv, c, true,
			    "it read none of its replies for 10 s");
	}
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
	if (sv->conns == NULL || sv->conn_gen == NULL ||
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
}
