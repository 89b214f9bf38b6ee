/*
 * server_read: a connection's bytes into requests: its SP hello, then frame
 * headers and requests (sp.h), each handed to the workers as a job.  What a
 * connection can make glossd hold while reading is bounded: the request
 * being read (a buffer that grows with what arrives, at most the request
 * limit), nothing of a request over the limit (read through and answered
 * RESOURCE_EXHAUSTED), and at most SERVER_CONN_INFLIGHT requests in glossd
 * (then the connection is not read until replies are).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "log.h"
#include "server_local.h"

#define SERVER_READ_MIN (64 * 1024) /* the first buffer of a request */

/* ------------------------------------------------------------ reading */

static void
server_conn_dispatch(struct server *sv, struct server_conn *c,
    struct server_job *job)
{
	job->conn = c->id;
	job->tp = c->tp;
	job->peer = c->peer;
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
	job->oversized =
	    c->want - bt; /* the request, as the client packed it */
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
			/* A TLS record of a handshake starts 0x16 0x03. */
			server_conn_close(sv, c, true,
			    c->head[0] == 0x16 && c->head[1] == 0x03
			        ? "a TLS client on a plaintext listener (TLS "
			          "is "
			          "served on tls+tcp:// listeners only)"
			        : "not an SP REQ peer (glossd speaks REP)");
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
	c->frame_by = 0;
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
void
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
		n = server_conn_recv(c, at, room);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n < 0) {
			server_conn_close(sv, c, false, strerror(errno));
			return;
		}
		if (n == 0) { /* it sends no more; it may still read */
			server_conn_eof(sv, c);
			return;
		}
		c->active_at = call_mono_ms();
		if (c->frame_by == 0 && c->state != CONN_HELLO)
			c->frame_by = c->active_at + SERVER_FRAME_MS;
		if ((c->got += (uint64_t)n) == c->want &&
		    !server_conn_part(sv, c))
			return;
	}
}
