/*
 * rpc: one REQ socket per client, no nng resends (glossd's replies are not
 * idempotent for a reused id without request_id), retries of our own for
 * UNAVAILABLE only, and a new socket when nng 1.5.2's dialer has given up.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>

#include "rpc.h"
#include "rpc_tls.h"

#define RPC_TIMEOUT_DEFAULT 30000
#define RPC_BACKOFF_MIN     20
#define RPC_BACKOFF_MAX     1000
/* A call looks at its connection this often while it waits; with no
 * connection for RPC_ORPHAN_MS, it takes nng's dialer for dead and opens a
 * new socket: nng 1.5.2's dialer gives up for good when glossd closes a
 * connection during the SP handshake (nng#1518: glossd dying, stopping, or
 * at its connection cap). */
#define RPC_SLICE_MS   250
#define RPC_ORPHAN_MS  2000
#define RPC_ORPHANED   (-1) /* not an nng error: the socket must be new */
#define RPC_DIAL_TRIES 6    /* a first dial cut short, with backoff */

enum {
	RPC_OK = 0,
	RPC_DEADLINE_EXCEEDED = 4,
	RPC_RESOURCE_EXHAUSTED = 8,
	RPC_INTERNAL = 13,
	RPC_UNAVAILABLE = 14,
	RPC_INVALID_ARGUMENT = 3,
	RPC_PERMISSION_DENIED = 7,
	RPC_UNAUTHENTICATED = 16,
};

struct rpc_client {
	nng_socket sock;
	atomic_int pipes;     /* connections the socket has */
	atomic_llong lost_ms; /* when it last had none */
	/* One send or receive at a time, waited for slice by slice: nng's
	 * REQ drops the request when a receive times out, so the receive is
	 * never timed out to look at the connection, only cancelled. */
	nng_aio *aio;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool done;
	char url[1024];
	nng_tls_config *tls; /* tls+tcp://: the CA, our certificate */
	char request_id[37];
	char token[256];  /* rpc_set_token(); "" for none */
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

static long long rpc_now_ms(void);
static void rpc_sleep_ms(long long ms);

/* nng calls this on its own threads: counts the socket's connections. */
static void
rpc_pipe_event(nng_pipe p, nng_pipe_ev ev, void *arg)
{
	struct rpc_client *c = arg;

	(void)p;
	if (ev == NNG_PIPE_EV_ADD_POST)
		atomic_fetch_add(&c->pipes, 1);
	else if (ev == NNG_PIPE_EV_REM_POST &&
	         atomic_fetch_sub(&c->pipes, 1) == 1)
		atomic_store(&c->lost_ms, rpc_now_ms());
}

/* Dials c->url on c->sock, with c's TLS on tls+tcp://. */
static int
rpc_dial_url(struct rpc_client *c, int flags)
{
	nng_dialer d;
	int rv;

	if (c->tls == NULL)
		return nng_dial(c->sock, c->url, NULL, flags);
	if ((rv = nng_dialer_create(&d, c->sock, c->url)) != 0 ||
	    (rv = nng_dialer_set_ptr(d, NNG_OPT_TLS_CONFIG, c->tls)) != 0)
		return rv;
	return nng_dialer_start(d, flags);
}

/* A new REQ socket dialing c->url (flags: 0 waits for the connection). */
static int
rpc_socket_open(struct rpc_client *c, int flags)
{
	int rv;

	atomic_store(&c->pipes, 0);
	atomic_store(&c->lost_ms, rpc_now_ms());
	if ((rv = nng_req0_open(&c->sock)) != 0)
		return rv;
	if ((rv = nng_socket_set_ms(c->sock, NNG_OPT_REQ_RESENDTIME,
	         NNG_DURATION_INFINITE)) != 0 ||
	    (rv = nng_socket_set_size(c->sock, NNG_OPT_RECVMAXSZ,
	         RPC_RECV_MAX)) != 0 ||
	    (rv = nng_pipe_notify(c->sock, NNG_PIPE_EV_ADD_POST, rpc_pipe_event,
	         c)) != 0 ||
	    (rv = nng_pipe_notify(c->sock, NNG_PIPE_EV_REM_POST, rpc_pipe_event,
	         c)) != 0 ||
	    (rv = rpc_dial_url(c, flags)) != 0)
		nng_close(c->sock);
	return rv;
}

/* The first connection; one closed during the handshake (glossd starting,
 * stopping, or at its connection cap) is dialed again for a moment. */
static int
rpc_dial(struct rpc_client *c)
{
	long long backoff = 100;
	int rv;

	for (int i = 0; i < RPC_DIAL_TRIES; i++, backoff *= 2) {
		rv = rpc_socket_open(c, 0);
		if (rv != NNG_ECLOSED && rv != NNG_ECONNSHUT &&
		    rv != NNG_ECONNRESET)
			break;
		rpc_sleep_ms(backoff);
	}
	return rv;
}

/* nng calls this when the client's send or receive ends. */
static void
rpc_aio_done(void *arg)
{
	struct rpc_client *c = arg;

	pthread_mutex_lock(&c->mu);
	c->done = true;
	pthread_cond_signal(&c->cv);
	pthread_mutex_unlock(&c->mu);
}

static void
rpc_free(struct rpc_client *c)
{
	if (c->aio != NULL)
		nng_aio_free(c->aio);
	if (c->tls != NULL)
		nng_tls_config_free(c->tls);
	pthread_mutex_destroy(&c->mu);
	pthread_cond_destroy(&c->cv);
	free(c);
}

/* Why the first dial failed, and what to do, into why. */
static void
rpc_dial_why(const struct rpc_client *c, int rv, char *why, size_t whylen)
{
	const char *tls = rpc_tls_hint(rv, c->tls != NULL);

	snprintf(why, whylen, "cannot connect to %s: %s%s", c->url,
	    nng_strerror(rv),
	    rv == NNG_ECONNREFUSED || rv == NNG_ENOENT
	        ? " (is glossd running? `make run` starts it)"
	    : rv == NNG_EPERM
	        ? " (the socket's mode keeps you out: glossd's operator can "
	          "start it with --socket-mode 0660 and add you to the "
	          "socket's group, or give you a token for a tcp listener)"
	    : tls != NULL ? tls
	    : rv == NNG_ECLOSED || rv == NNG_ECONNSHUT || rv == NNG_ECONNRESET
	        ? " (glossd closed every connection as it opened: it is "
	          "stopping, or every connection it takes "
	          "(--max-connections) is busy; or it is a tls+tcp:// "
	          "listener)"
	        : "");
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
	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->cv, NULL);
	if (nng_aio_alloc(&c->aio, rpc_aio_done, c) != 0) {
		rpc_free(c);
		snprintf(why, whylen, "out of memory");
		return RPC_RESOURCE_EXHAUSTED;
	}
	snprintf(c->url, sizeof(c->url), "%s", url);
	if (rpc_tls_setup(c->url, &c->tls, why, whylen) != 0) {
		rpc_free(c);
		return RPC_INVALID_ARGUMENT;
	}
	if ((rv = rpc_dial(c)) != 0) {
		rpc_dial_why(c, rv, why, whylen);
		rpc_free(c);
		return rv == NNG_EADDRINVAL || rv == NNG_ENOTSUP
		           ? RPC_INVALID_ARGUMENT
		       : rv == NNG_EPEERAUTH || rv == NNG_ECRYPTO
		           ? RPC_UNAUTHENTICATED
		       : rv == NNG_EPERM ? RPC_PERMISSION_DENIED
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
	rpc_free(c);
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

/* Whether the socket has had no connection for RPC_ORPHAN_MS. */
static bool
rpc_orphaned(struct rpc_client *c)
{
	return atomic_load(&c->pipes) == 0 &&
	       rpc_now_ms() - atomic_load(&c->lost_ms) >= RPC_ORPHAN_MS;
}

/* Waits for the aio started, looking at the connection every slice: its
 * result, or RPC_ORPHANED (the aio cancelled). */
static int
rpc_await(struct rpc_client *c)
{
	struct timespec ts;

	pthread_mutex_lock(&c->mu);
	while (!c->done) {
		if (rpc_orphaned(c)) {
			pthread_mutex_unlock(&c->mu);
			nng_aio_cancel(c->aio);
			nng_aio_wait(c->aio);
			return RPC_ORPHANED;
		}
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += RPC_SLICE_MS * 1000000L;
		ts.tv_sec += ts.tv_nsec / 1000000000L;
		ts.tv_nsec %= 1000000000L;
		pthread_cond_timedwait(&c->cv, &c->mu, &ts);
	}
	pthread_mutex_unlock(&c->mu);
	return nng_aio_result(c->aio);
}

/* Starts a send (msg) or a receive (NULL) that ends by the deadline. */
static void
rpc_start(struct rpc_client *c, nng_msg *msg, long long deadline)
{
	long long left = deadline - rpc_now_ms();

	c->done = false;
	nng_aio_set_timeout(c->aio, (nng_duration)(left > 0 ? left : 1));
	nng_aio_set_msg(c->aio, msg);
	if (msg != NULL)
		nng_send_aio(c->sock, c->aio);
	else
		nng_recv_aio(c->sock, c->aio);
}

/* One exchange.  Returns 0 with *reply set, an nng error, or
 * RPC_ORPHANED. */
static int
rpc_exchange(struct rpc_client *c, const void *buf, size_t n,
    long long deadline, Gloss__V1__Reply **reply)
{
	nng_msg *msg;
	int rv;

	*reply = NULL;
	if ((rv = nng_msg_alloc(&msg, n)) != 0)
		return rv;
	memcpy(nng_msg_body(msg), buf, n);
	rpc_start(c, msg, deadline);
	if ((rv = rpc_await(c)) != 0) {
		nng_msg_free(nng_aio_get_msg(c->aio)); /* unsent: ours */
		return rv;
	}
	rpc_start(c, NULL, deadline);
	if ((rv = rpc_await(c)) != 0)
		return rv;
	msg = nng_aio_get_msg(c->aio);
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
		rv = rpc_exchange(c, buf, n, deadline, reply);
		if (rv == RPC_ORPHANED) {
			/* The same request_id again: applied once. */
			nng_close(c->sock);
			if ((rv = rpc_socket_open(c, NNG_FLAG_NONBLOCK)) == 0)
				continue;
		}
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

void
rpc_set_token(struct rpc_client *c, const char *token)
{
	snprintf(c->token, sizeof(c->token), "%s", token);
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
	if (q->token[0] == '\0' && c->token[0] != '\0')
		q->token = c->token;
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
