/*
 * server_local: what the files of the server module share, and nothing
 * outside them includes: server.c (listening sockets, start and stop),
 * server_io.c (the I/O thread), server_conn.c (a connection's life),
 * server_read.c (its requests), server_work.c (the workers and their jobs)
 * and server_park.c (long polls).
 *
 * The shape: one I/O thread owns every socket.  It reads requests off the
 * connections and queues them as jobs; N workers serve the jobs (serve.h)
 * and hand the replies back through the `done` list; the I/O thread writes
 * them.  No thread ever waits for a peer: a connection that sends faster
 * than it reads is simply not read (at most SERVER_CONN_INFLIGHT of its
 * requests are in glossd at once), and one that reads nothing is closed.
 */
#ifndef GLOSS_SERVER_LOCAL_H
#define GLOSS_SERVER_LOCAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "call.h"
#include "serve.h"
#include "server.h"
#include "sp.h"

/* A connection's requests in glossd at once, from the moment one is read
 * to the moment its reply is written; the next wait in its socket. */
#define SERVER_CONN_INFLIGHT 8
/* A connection with replies to write that takes none of them this long is
 * closed: its peer does not read. */
#define SERVER_STALL_MS 10000
/* A connection that has not said its SP hello by then is closed, as is
 * one whose request, once begun, takes longer than SERVER_FRAME_MS to
 * arrive (a peer that stalls, or sends a byte a second). */
#define SERVER_HELLO_MS 10000
#define SERVER_FRAME_MS 30000
/* At the connection cap, a new connection takes the place of one that has
 * had nothing in glossd this long (idle, or trickling one request in). */
#define SERVER_EVICT_MS 10000
/* One TCP host holds at most 1/SERVER_HOST_SHARE of the places, and TCP
 * leaves the last 1/SERVER_IPC_SHARE to the local socket: no peer on the
 * network shuts out the others, and none shuts out the machine's own
 * users (the admin on ipc). */
#define SERVER_HOST_SHARE 8
#define SERVER_IPC_SHARE  16
/* How often the I/O thread looks at its timers. */
#define SERVER_TICK_MS 250
/* A request over the limit is read, dropped and answered
 * RESOURCE_EXHAUSTED, up to this many times the limit; past that, the
 * connection is closed. */
#define SERVER_OVERSIZE_FACTOR 64
/* Long polls that wait at once. */
#define SERVER_PARKED_MAX 4096

struct server_tls;      /* server_tls.c */
struct server_tls_conn; /* server_tls.c */

/* Bytes to write to a connection: its SP hello, or a reply. */
struct server_out {
	struct server_out *next;
	uint64_t conn;
	bool reply; /* answers a request (ends one in flight) */
	size_t len;
	uint8_t data[];
};

/* A request read off a connection, for a worker. */
struct server_job {
	struct server_job *next;
	uint64_t conn;
	enum sp_transport tp;
	unsigned flags;        /* serve.h's SERVE_* */
	uint8_t *msg;          /* backtrace, then the request (malloc'd) */
	size_t len, bt;        /* msg's bytes; the backtrace's */
	uint64_t oversized;    /* a request too large to keep: its length */
	int64_t until_ms;      /* a parked long poll: when its wait ends */
	struct call_peer peer; /* the connection's, as at accept */
};

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
	size_t out_done;    /* bytes of out_head written */
	unsigned inflight;  /* requests from read to reply written */
	uint32_t events;    /* what epoll watches */
	bool eof;           /* the peer sends no more: finish, then close */
	int64_t hello_by;   /* 0 once the hello came */
	int64_t frame_by;   /* a frame begun must be whole by then (0: none) */
	int64_t stalled_at; /* writing last made progress (queue non-empty) */
	int64_t active_at;  /* bytes last read or written */
	struct call_peer peer; /* who is at the other end */
	/* tls+tcp:// (server_tls.c): the session, NULL on ipc and tcp; while
	 * handshaking, what the handshake waits for (EPOLLIN or EPOLLOUT). */
	struct server_tls_conn *tls;
	bool handshaking;
	uint32_t tls_want;
};

struct server {
	struct call_env *env;
	atomic_bool stopping; /* answer UNAVAILABLE; stop accepting */
	/* The stop's last step: the I/O thread reads what peers have sent
	 * (drain), then reads no more (drained), so that nothing written
	 * before the close goes unanswered. */
	atomic_bool drain, drained;
	atomic_bool closing; /* every thread leaves */

	/* Listening sockets (server.c). */
	size_t n_listen;
	int *listen_fd;
	enum sp_transport *listen_tp;
	bool *listen_tls; /* tls+tcp:// */
	bool listening;
	struct server_tls *tls; /* the TLS setup, if a listener is TLS */

	/* The I/O thread and its connections (server_conn.c).  A
	 * connection's id is its slot's generation << 32 | the slot. */
	int epfd, wakefd;
	pthread_t io;
	bool io_started;
	struct server_conn **conns;
	atomic_uint_fast32_t *conn_gen; /* per slot: tells a live id */
	atomic_uint_fast32_t *conn_eof; /* per slot: the generation at EOF */
	size_t n_conns;
	int64_t refused_logged_ms;
	int64_t accept_resume_ms; /* accepting paused (no descriptors) */
	int64_t emfile_logged_ms;
	atomic_size_t unsent; /* bytes waiting in write queues */

	/* Replies made by workers, for the I/O thread to write. */
	pthread_mutex_t done_mu;
	struct server_out *done_head, **done_tail;

	/* Jobs, and the workers that take them (server_work.c). */
	pthread_mutex_t job_mu;
	pthread_cond_t job_cv;
	struct server_job *job_head, **job_tail;
	pthread_t *workers;
	unsigned n_workers;
	/* Requests read and not yet answered, parked ones and the
	 * UNAVAILABLE answers of a stop included: what a stop waits for. */
	atomic_size_t working;

	/* Long polls waiting for a commit (server_park.c). */
	pthread_mutex_t park_mu;
	pthread_cond_t park_cv;
	struct server_job *parked;
	size_t n_parked;
	uint64_t commits_seen;
	bool park_final; /* stopping: answer every poll now */
	bool park_purge; /* connections ended: drop or answer their polls */
	pthread_t waker;
	bool waker_started;
};

/* server.c: whether sa (AF_INET or AF_INET6) is this machine's loopback:
 * 127/8, ::1, or ::ffff:127/104. */
bool server_addr_loopback(const struct sockaddr *sa);
/* server.c: a condition variable on CLOCK_MONOTONIC (call_mono_ms()). */
void server_cond_init(pthread_cond_t *cv);
/* server.c: closes the listening sockets and removes ipc socket files. */
void server_unlisten(struct server *sv);
void server_cond_wait_until(pthread_cond_t *cv, pthread_mutex_t *mu,
    int64_t until_ms);

/* server_conn.c: one connection (the I/O thread only, but for alive). */
struct server_conn *server_conn_find(struct server *sv, uint64_t id);
/* Whether connection `id` is still open; whether its peer has stopped
 * sending (then its polls are answered at once).  Any thread. */
bool server_conn_alive(struct server *sv, uint64_t id);
bool server_conn_ended(struct server *sv, uint64_t id);
/* The peer sends no more (it closed, or shut down its side): read nothing
 * more, answer and write what is in glossd, then close. */
void server_conn_eof(struct server *sv, struct server_conn *c);
/* Sets what epoll watches: reading, and writing while replies wait. */
void server_conn_watch(struct server *sv, struct server_conn *c, bool reading);
bool server_conn_reading(const struct server_conn *c);
void server_conn_queue(struct server *sv, struct server_conn *c,
    struct server_out *o);
/* Writes what the socket takes; false if c was closed. */
bool server_conn_write(struct server *sv, struct server_conn *c);
/* Closes c and frees all it holds; why is logged (warn: as a warning). */
void server_conn_close(struct server *sv, struct server_conn *c, bool warn,
    const char *why);
/* Accepts every connection waiting on listening socket i. */
void server_conn_accept(struct server *sv, size_t i);

/* server_read.c: reads what c's socket has, while c takes requests. */
void server_conn_read(struct server *sv, struct server_conn *c);

/* server_conn.c: the socket's bytes, through TLS on a TLS connection;
 * as send(2)/recv(2): -1 with errno EAGAIN when it would block. */
ssize_t server_conn_recv(struct server_conn *c, void *buf, size_t n);

/* server_tls.c: TLS on tls+tcp:// connections (the I/O thread). */
/* Reads --tls-cert/--tls-key (and --tls-client-ca) if a listener is
 * tls+tcp://; on failure a sentence in why, INVALID_ARGUMENT. */
enum status server_tls_load(struct server *sv, char *why, size_t whylen);
void server_tls_free(struct server *sv);
/* Starts c's session at accept (c->handshaking); false: out of memory. */
bool server_tls_begin(struct server *sv, struct server_conn *c);
void server_tls_end(struct server_conn *c);
/* Steps c's handshake; once done, writes the SP hello.  False if c was
 * closed (a failed handshake, logged with its reason). */
bool server_tls_handshake(struct server *sv, struct server_conn *c);
ssize_t server_tls_recv(struct server_conn *c, void *buf, size_t n);
ssize_t server_tls_send(struct server_conn *c, const void *buf, size_t n);
/* Bytes mbedtls has decrypted and not handed out: no epoll event will
 * tell of them. */
size_t server_tls_pending(const struct server_conn *c);

/* server_io.c */
int server_io_start(struct server *sv);
/* Wakes the I/O thread (replies to write, a stop to begin). */
void server_io_wake(struct server *sv);
/* Joins the I/O thread, which closes every connection as it leaves. */
void server_io_stop(struct server *sv);
/* Frees what the I/O thread had, once no worker can wake it. */
void server_io_fini(struct server *sv);
/* server_work.c */
int server_work_start(struct server *sv);
/* Queues a job for the workers (the I/O thread; consumes job). */
void server_work_queue(struct server *sv, struct server_job *job);
/* Serves job again with `flags`; the reply, or NULL if it parks (*park_ms
 * > 0) or no reply could be made. */
struct server_out *server_work_serve(struct server *sv, struct server_job *job,
    unsigned flags, uint32_t *park_ms);
/* Hands out (may be NULL) to the I/O thread and frees job; the request is
 * answered.  Consumes both. */
void server_work_done(struct server *sv, struct server_job *job,
    struct server_out *out);
void server_work_stop(struct server *sv);

/* server_park.c */
int server_park_start(struct server *sv);
/* Takes job, which asked to wait park_ms for a commit; false (nothing
 * taken) if it cannot wait. */
bool server_park(struct server *sv, struct server_job *job, uint32_t park_ms);
/* Has every parked poll answered now, and stops parking. */
void server_park_flush(struct server *sv);
/* Has the polls of connections that closed dropped, and those of
 * connections whose peers stopped sending answered now. */
void server_park_purge(struct server *sv);
void server_park_stop(struct server *sv);

#endif
