/*
 * rpc: one REQ socket per client, no nng resends (glossd's replies are not
 * idempotent for a reused id without request_id), retries of our own for
 * UNAVAILABLE only.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>

#include "rpc.h"

#define RPC_TIMEOUT_DEFAULT 30000
#define RPC_BACKOFF_MIN     20
#define RPC_BACKOFF_MAX     1000

enum {
	RPC_OK = 0,
	RPC_DEADLINE_EXCEEDED = 4,
	RPC_RESOURCE_EXHAUSTED = 8,
	RPC_INTERNAL = 13,
	RPC_UNAVAILABLE = 14,
	RPC_INVALID_ARGUMENT = 3,
};

struct rpc_client {
	nng_socket sock;
	char url[1024];
	char request_id[37];
	char error[8192]; /* glossd's messages list quotes in context */
};

const char *
rpc_default_url(void)
{
	const char *env = getenv("GLOSS_SOCKET");

	return env != NULL && env[0] != '\0' ? env : rpc_builtin_url();
}

const char *
rpc_builtin_url(void)
{
#ifdef GLOSS_DEFAULT_SOCKET
	return GLOSS_DEFAULT_SOCKET;
#else
	return "ipc://var/glossd.sock";
#endif
}

const char *
rpc_code_name(int code)
{
	const ProtobufCEnumValue *v =
	    protobuf_c_enum_descriptor_get_value(&gloss__v1__code__descriptor,
	        code);

	return v != NULL ? v->name : "UNKNOWN";
}

/* A message cut to fit error[] ends on a whole UTF-8 character and "…". */
static void
rpc_error_trim(struct rpc_client *c)
{
	size_t n = strlen(c->error);

	if (n < sizeof(c->error) - 1)
		return;
	n = sizeof(c->error) - 4; /* room for "…" (3 bytes) and NUL */
	while (n > 0 && ((unsigned char)c->error[n] & 0xC0) == 0x80)
		n--; /* back to the first byte of the character cut */
	memcpy(c->error + n, "\xe2\x80\xa6", 4);
}

static int rpc_fail(struct rpc_client *c, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
rpc_fail(struct rpc_client *c, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->error, sizeof(c->error), fmt, ap);
	va_end(ap);
	rpc_error_trim(c);
	return code;
}

int
rpc_open(const char *url, struct rpc_client **out, char *why, size_t whylen)
{
	struct rpc_client *c = calloc(1, sizeof(*c));
	int rv;

	if (c == NULL) {
		snprintf(why, whylen, "out of memory");
		return RPC_RESOURCE_EXHAUSTED;
	}
	snprintf(c->url, sizeof(c->url), "%s", url);
	if ((rv = nng_req0_open(&c->sock)) != 0 ||
	    (rv = nng_socket_set_ms(c->sock, NNG_OPT_REQ_RESENDTIME,
	         NNG_DURATION_INFINITE)) != 0 ||
	    (rv = nng_socket_set_size(c->sock, NNG_OPT_RECVMAXSZ,
	         RPC_RECV_MAX)) != 0 ||
	    (rv = nng_dial(c->sock, url, NULL, 0)) != 0) {
		snprintf(why, whylen, "cannot connect to %s: %s%s", url,
		    nng_strerror(rv),
		    rv == NNG_ECONNREFUSED || rv == NNG_ENOENT
		        ? " (is glossd running? `make run` starts it)"
		        : "");
		nng_close(c->sock);
		free(c);
		return rv == NNG_EADDRINVAL || rv == NNG_ENOTSUP
		           ? RPC_INVALID_ARGUMENT
		           : RPC_UNAVAILABLE;
	}
	*out = c;
	return RPC_OK;
}

void
rpc_close(struct rpc_client *c)
{
	if (c == NULL)
		return;
	nng_close(c->sock);
	free(c);
}

const char *
rpc_error(const struct rpc_client *c)
{
	return c->error;
}

void
rpc_reply_free(Gloss__V1__Reply *r)
{
	if (r != NULL)
		gloss__v1__reply__free_unpacked(r, NULL);
}

void
rpc_uuid(char out[37])
{
	unsigned char b[16];
	size_t n = 0;

	while (n < sizeof(b)) {
		ssize_t k = getrandom(b + n, sizeof(b) - n, 0);
		if (k > 0)
			n += (size_t)k;
	}
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	snprintf(out, 37,
	    "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
	    "%02x%02x%02x%02x%02x%02x",
	    b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10],
	    b[11], b[12], b[13], b[14], b[15]);
}

static long long
rpc_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
rpc_sleep_ms(long long ms)
{
	struct timespec ts = { (time_t)(ms / 1000),
		(long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/* One exchange.  Returns 0 with *reply set, or an nng error. */
static int
rpc_exchange(struct rpc_client *c, const void *buf, size_t n, long long left_ms,
    Gloss__V1__Reply **reply)
{
	nng_msg *msg;
	int rv;

	*reply = NULL;
	if ((rv = nng_msg_alloc(&msg, n)) != 0)
		return rv;
	memcpy(nng_msg_body(msg), buf, n);
	nng_socket_set_ms(c->sock, NNG_OPT_SENDTIMEO, (nng_duration)left_ms);
	nng_socket_set_ms(c->sock, NNG_OPT_RECVTIMEO, (nng_duration)left_ms);
	if ((rv = nng_sendmsg(c->sock, msg, 0)) != 0) {
		nng_msg_free(msg); /* unsent, so still ours */
		return rv;
	}
	if ((rv = nng_recvmsg(c->sock, &msg, 0)) != 0)
		return rv;
	*reply =
	    gloss__v1__reply__unpack(NULL, nng_msg_len(msg), nng_msg_body(msg));
	nng_msg_free(msg);
	return *reply == NULL ? NNG_EPROTO : 0;
}

/* Sends until a reply that is not UNAVAILABLE, or the deadline. */
static int
rpc_send_loop(struct rpc_client *c, const void *buf, size_t n,
    long long deadline, Gloss__V1__Reply **reply)
{
	long long backoff = RPC_BACKOFF_MIN, left;
	int rv;

	for (;;) {
		left = deadline - rpc_now_ms();
		if (left <= 0)
			return rpc_fail(c, RPC_DEADLINE_EXCEEDED,
			    "no reply from %s in time", c->url);
		rv = rpc_exchange(c, buf, n, left, reply);
		if (rv == NNG_EPROTO)
			return rpc_fail(c, RPC_INTERNAL,
			    "the reply from %s is not a gloss.v1.Reply",
			    c->url);
		if (rv == NNG_ETIMEDOUT)
			return rpc_fail(c, RPC_DEADLINE_EXCEEDED,
			    "no reply from %s in time", c->url);
		if (rv == 0 &&
		    ((*reply)->status == NULL ||
		        (int)(*reply)->status->code != RPC_UNAVAILABLE))
			return RPC_OK;
		if (rv == 0) {
			rpc_fail(c, RPC_UNAVAILABLE, "%s",
			    (*reply)->status->message);
			rpc_reply_free(*reply);
			*reply = NULL;
		} else {
			rpc_fail(c, RPC_UNAVAILABLE,
			    "lost the connection to %s: %s", c->url,
			    nng_strerror(rv));
		}
		rpc_sleep_ms(backoff < left ? backoff : left);
		backoff = backoff * 2 > RPC_BACKOFF_MAX ? RPC_BACKOFF_MAX
		                                        : backoff * 2;
	}
}

int
rpc_call(struct rpc_client *c, Gloss__V1__Request *q, unsigned timeout_ms,
    Gloss__V1__Reply **reply)
{
	long long deadline;
	uint8_t *buf;
	size_t n;
	int code;

	*reply = NULL;
	c->error[0] = '\0';
	if (timeout_ms == 0)
		timeout_ms = RPC_TIMEOUT_DEFAULT;
	deadline = rpc_now_ms() + timeout_ms;
	/* Every request gets an id: glossd needs it for writes, ignores it
	 * for reads, and the client need not know which is which. */
	if (q->request_id[0] == '\0') {
		rpc_uuid(c->request_id);
		q->request_id = c->request_id;
	}
	q->timeout_ms = timeout_ms;
	n = gloss__v1__request__get_packed_size(q);
	if (n > RPC_REQUEST_MAX)
		return rpc_fail(c, RPC_RESOURCE_EXHAUSTED,
		    "the request is %zu bytes, over glossd's %zu-byte request "
		    "limit; it was not sent",
		    n, RPC_REQUEST_MAX);
	if ((buf = malloc(n ? n : 1)) == NULL)
		return rpc_fail(c, RPC_RESOURCE_EXHAUSTED, "out of memory");
	gloss__v1__request__pack(q, buf);
	code = rpc_send_loop(c, buf, n, deadline, reply);
	free(buf);
	if (code != RPC_OK)
		return code;
	code = (*reply)->status != NULL ? (int)(*reply)->status->code : 0;
	snprintf(c->error, sizeof(c->error), "%s",
	    (*reply)->status != NULL ? (*reply)->status->message : "");
	rpc_error_trim(c);
	return code;
}
