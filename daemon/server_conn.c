/*
 * server_conn: one connection's life in the I/O thread (server_io.c): it
 * is accepted (or refused over the cap), written to without blocking, and
 * closed, with everything it holds freed at once.  Reading its requests is
 * server_read.c's.
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
#include <sys/socket.h>
#include <unistd.h>

#include <arpa/inet.h>

#include "log.h"
#include "server_local.h"

#define SERVER_LOG_MS 10000 /* one line per this, not per peer */

/* ------------------------------------------------------------ the table */

struct server_conn *
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

bool
server_conn_ended(struct server *sv, uint64_t id)
{
	uint32_t slot = (uint32_t)id;

	return slot < sv->env->max_connections &&
	       atomic_load(&sv->conn_eof[slot]) == (uint32_t)(id >> 32);
}

/* Watches for what c can do: take requests (below its in-flight cap),
 * take replies (while they wait), and tell its end (EPOLLRDHUP, also when
 * not reading: a peer that closes is seen even with its requests full). */
void
server_conn_watch(struct server *sv, struct server_conn *c, bool reading)
{
	struct epoll_event ev = { .data.u64 = c->id };

	reading = reading && !atomic_load(&sv->drained);
	ev.events = (reading && !c->eof ? EPOLLIN : 0) |
	            (!c->eof ? EPOLLRDHUP : 0) |
	            (c->out_head != NULL ? EPOLLOUT : 0);
	if (c->handshaking) /* only what the TLS handshake waits for */
		ev.events = c->tls_want | EPOLLRDHUP;
	if (ev.events != c->events &&
	    epoll_ctl(sv->epfd, EPOLL_CTL_MOD, c->fd, &ev) == 0)
		c->events = ev.events;
}

bool
server_conn_reading(const struct server_conn *c)
{
	return (c->events & EPOLLIN) != 0;
}

/* Closes c and frees everything it holds; `why` is logged (at debug for a
 * peer that simply hung up). */
void
server_conn_close(struct server *sv, struct server_conn *c, bool warn,
    const char *why)
{
	uint32_t slot = (uint32_t)c->id;
	struct server_out *o, *next;

	if (warn)
		log_warn("closed connection %" PRIu32 " (%s): %s", slot,
		    c->peer.addr, why);
	else
		log_debug("connection %" PRIu32 " (%s) closed: %s", slot,
		    c->peer.addr, why);
	epoll_ctl(sv->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	server_tls_end(c);
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
	if (c->inflight > 0)
		server_park_purge(sv); /* polls of it may wait */
	free(c);
}

void
server_conn_eof(struct server *sv, struct server_conn *c)
{
	c->eof = true;
	c->frame_by = 0; /* a request cut short is dropped */
	if (c->inflight == 0 && c->out_head == NULL) {
		server_conn_close(sv, c, false, "the peer hung up");
		return;
	}
	atomic_store(&sv->conn_eof[(uint32_t)c->id], (uint32_t)(c->id >> 32));
	server_park_purge(sv);
	server_conn_watch(sv, c, false);
}

/* ------------------------------------------------------------ writing */

ssize_t
server_conn_recv(struct server_conn *c, void *buf, size_t n)
{
	if (c->tls != NULL)
		return server_tls_recv(c, buf, n);
	return recv(c->fd, buf, n, MSG_DONTWAIT);
}

/* A write that would block is tried again with the same bytes (the head
 * of the queue stays until written whole), as mbedtls_ssl_write needs. */
static ssize_t
server_conn_send(struct server_conn *c, const void *buf, size_t n)
{
	if (c->tls != NULL)
		return server_tls_send(c, buf, n);
	return send(c->fd, buf, n, MSG_NOSIGNAL | MSG_DONTWAIT);
}

/* Reads what mbedtls holds decrypted once c takes requests again: epoll
 * will not tell of it.  False if c was closed. */
static bool
server_conn_pending(struct server *sv, struct server_conn *c)
{
	uint64_t id = c->id;

	if (!server_conn_reading(c) || server_tls_pending(c) == 0)
		return true;
	server_conn_read(sv, c);
	return server_conn_find(sv, id) != NULL;
}

void
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
bool
server_conn_write(struct server *sv, struct server_conn *c)
{
	struct server_out *o;
	ssize_t n;

	if (c->handshaking) /* the SP hello waits for the handshake */
		return true;
	while ((o = c->out_head) != NULL) {
		n = server_conn_send(c, o->data + c->out_done,
		    o->len - c->out_done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0) {
			server_conn_close(sv, c, false,
			    n == 0 ? "the peer ended TLS" : strerror(errno));
			return false;
		}
		atomic_fetch_sub(&sv->unsent, (size_t)n);
		c->stalled_at = c->active_at = call_mono_ms();
		if ((c->out_done += (size_t)n) == o->len)
			server_conn_sent(sv, c);
	}
	if (c->eof && c->inflight == 0 && c->out_head == NULL) {
		server_conn_close(sv, c, false, "the peer hung up, answered");
		return false;
	}
	/* Room for more requests again, unless glossd is closing. */
	server_conn_watch(sv, c,
	    c->inflight < SERVER_CONN_INFLIGHT || server_conn_reading(c));
	return server_conn_pending(sv, c);
}

/* ------------------------------------------------------------ accepting */

/* Who is at the other end of c: a local process's credentials (ipc), or
 * an address (tcp); for log lines and for the calls its requests make. */
static void
server_conn_name(struct server_conn *c)
{
	struct call_peer *p = &c->peer;
	struct sockaddr_storage sa;
	socklen_t n = sizeof(sa);
	struct ucred uc;
	socklen_t un = sizeof(uc);
	char addr[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;

	memset(p, 0, sizeof(*p));
	p->ipc = c->tp == SP_IPC;
	if (p->ipc) {
		p->has_uid =
		    getsockopt(c->fd, SOL_SOCKET, SO_PEERCRED, &uc, &un) == 0;
		if (p->has_uid) {
			p->uid = uc.uid;
			p->pid = uc.pid;
		}
		if (!p->has_uid) {
			snprintf(p->addr, sizeof(p->addr), "ipc");
			snprintf(p->host, sizeof(p->host), "ipc");
			return;
		}
		snprintf(p->addr, sizeof(p->addr), "ipc, pid %ld",
		    (long)p->pid);
		snprintf(p->host, sizeof(p->host), "uid %lu",
		    (unsigned long)p->uid);
		return;
	}
	if (getpeername(c->fd, (struct sockaddr *)&sa, &n) != 0) {
		snprintf(p->addr, sizeof(p->addr), "tcp");
		return;
	}
	if (sa.ss_family == AF_INET6) {
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&sa)->sin6_addr,
		    addr, sizeof(addr));
		port = ntohs(((struct sockaddr_in6 *)&sa)->sin6_port);
		snprintf(p->addr, sizeof(p->addr), "[%s]:%u", addr, port);
	} else {
		inet_ntop(AF_INET, &((struct sockaddr_in *)&sa)->sin_addr, addr,
		    sizeof(addr));
		port = ntohs(((struct sockaddr_in *)&sa)->sin_port);
		snprintf(p->addr, sizeof(p->addr), "%s:%u", addr, port);
	}
	snprintf(p->host, sizeof(p->host), "%s", addr);
	p->loopback = server_addr_loopback((struct sockaddr *)&sa);
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

/* Why a new TCP connection from c's host may not take a place (in why),
 * or NULL if it may. */
static const char *
server_conn_unwelcome(const struct server *sv, const struct server_conn *c,
    char *why, size_t n)
{
	size_t max = sv->env->max_connections, same = 0;
	size_t per_host = max / SERVER_HOST_SHARE;
	size_t reserve = max / SERVER_IPC_SHARE;

	if (c->tp != SP_TCP)
		return NULL;
	for (size_t i = 0; i < max; i++)
		if (sv->conns[i] != NULL && sv->conns[i]->tp == SP_TCP &&
		    strcmp(sv->conns[i]->peer.host, c->peer.host) == 0)
			same++;
	if (same >= (per_host > 0 ? per_host : 1)) {
		snprintf(why, n,
		    "%s holds %zu connections, the most one host may "
		    "(--max-connections / %d)",
		    c->peer.host, same, SERVER_HOST_SHARE);
		return why;
	}
	if (sv->n_conns + reserve >= max) {
		snprintf(why, n,
		    "the last %zu places are kept for the local socket",
		    reserve);
		return why;
	}
	return NULL;
}

static void
server_conn_add(struct server *sv, int fd, enum sp_transport tp, bool tls)
{
	char why[160];
	struct server_conn *c = calloc(1, sizeof(*c));
	struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP };
	struct server_out *hello = NULL;
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
	c->active_at = call_mono_ms();
	c->hello_by = c->active_at + SERVER_HELLO_MS;
	if (tp == SP_TCP) {
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	}
	server_conn_name(c);
	if (server_conn_unwelcome(sv, c, why, sizeof(why)) != NULL) {
		atomic_fetch_add(&sv->conn_gen[slot], 1);
		free(c);
		server_conn_refuse(sv, fd, why);
		return;
	}
	ev.data.u64 = c->id;
	if ((tls && !server_tls_begin(sv, c)) ||
	    (hello = server_conn_hello(c->id)) == NULL ||
	    epoll_ctl(sv->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
		free(hello);
		server_tls_end(c);
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

/* Since when c has kept its place without work in glossd: idle since its
 * last bytes, or sending one request since it began; -1 if it has
 * requests in glossd or replies to read. */
static int64_t
server_conn_lazy_since(const struct server_conn *c)
{
	if (c->inflight > 0 || c->out_head != NULL)
		return -1;
	return c->frame_by != 0 ? c->frame_by - SERVER_FRAME_MS : c->active_at;
}

/*
 * At the connection cap, the connection that has kept its place longest
 * without work in glossd (idle, or still sending one request), if for
 * SERVER_EVICT_MS: a new connection takes its place (an nng client
 * reconnects when it needs to), so that connections left idle or trickled
 * into cannot shut others out.
 */
static struct server_conn *
server_conn_laziest(struct server *sv)
{
	struct server_conn *c, *best = NULL;
	int64_t since, best_since = 0;

	for (size_t i = 0; i < sv->env->max_connections; i++) {
		if ((c = sv->conns[i]) == NULL || c->eof ||
		    (since = server_conn_lazy_since(c)) < 0)
			continue;
		if (best == NULL || since < best_since)
			best = c, best_since = since;
	}
	if (best != NULL && call_mono_ms() - best_since < SERVER_EVICT_MS)
		return NULL;
	return best;
}

/* Out of descriptors: stop polling the listening sockets for a tick
 * (they would stay readable, and the thread spin), and say so once in a
 * while. */
static void
server_conn_starved(struct server *sv)
{
	int64_t now = call_mono_ms();

	sv->accept_resume_ms = now + SERVER_TICK_MS;
	for (size_t i = 0; i < sv->n_listen; i++)
		epoll_ctl(sv->epfd, EPOLL_CTL_DEL, sv->listen_fd[i], NULL);
	if (now - sv->emfile_logged_ms < SERVER_LOG_MS)
		return;
	sv->emfile_logged_ms = now;
	log_error("cannot accept connections: %s (raise `ulimit -n` or "
	          "lower --max-connections); retrying",
	    strerror(errno));
}

void
server_conn_accept(struct server *sv, size_t i)
{
	struct server_conn *idle;
	int fd;

	while ((fd = accept4(sv->listen_fd[i], NULL, NULL,
	            SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0 ||
	       errno == EINTR || errno == ECONNABORTED) {
		if (fd < 0)
			continue;
		if (sv->n_conns >= sv->env->max_connections &&
		    (idle = server_conn_laziest(sv)) != NULL)
			server_conn_close(sv, idle, false,
			    "at the connection cap, its place went to a new "
			    "connection (it had nothing in glossd for 10 s)");
		if (sv->n_conns >= sv->env->max_connections)
			server_conn_refuse(sv, fd,
			    "as many connections are open and busy as "
			    "--max-connections allows");
		else
			server_conn_add(sv, fd, sv->listen_tp[i],
			    sv->listen_tls[i]);
	}
	if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
	    errno == ENOMEM)
		server_conn_starved(sv);
}
