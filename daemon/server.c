/*
 * server: the listening sockets, the start, and the orderly stop of the
 * I/O thread (server_conn.c), the workers (server_work.c) and the waker of
 * long polls (server_park.c).
 *
 * glossd speaks nng's SP REQ/REP protocol itself rather than through nng
 * 1.5.2 (Debian 12's), whose server side has bugs a server cannot work
 * around (docs/reliability.md): a peer that hangs up during the handshake
 * stops a listener for good (nng#1518, fixed in 1.6.0), and one that hangs
 * up while a large reply is being written leaves a send that never ends, so
 * nng's reaper waits for it forever: every later connection is never
 * released and nng_close never returns.  Clients still use nng (or any SP
 * library): the bytes on the wire are the same.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "server_local.h"

/* How long a stop waits for the requests being served, then for their
 * replies to be read: under 10 s in all (a test holds glossd to it). */
#define SERVER_STOP_DRAIN_MS 4000
#define SERVER_STOP_FLUSH_MS 2000

void
server_cond_init(pthread_cond_t *cv)
{
	pthread_condattr_t attr;

	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(cv, &attr);
	pthread_condattr_destroy(&attr);
}

void
server_cond_wait_until(pthread_cond_t *cv, pthread_mutex_t *mu,
    int64_t until_ms)
{
	struct timespec ts = { (time_t)(until_ms / 1000),
		(long)(until_ms % 1000) * 1000000 };

	pthread_cond_timedwait(cv, mu, &ts);
}

/* ------------------------------------------------------------ listening */

/* The listeners glossd can secure.  ws:// and wss:// are not among them:
 * a web page in a browser on the same machine could reach them, and
 * glossd checks no Origin. */
#define SERVER_LISTEN_ONLY                                                    \
	"cannot listen on %s: glossd listens on ipc://PATH, "                 \
	"tcp://HOST:PORT and tls+tcp://HOST:PORT only (not ws:// or wss://: " \
	"a web page in a local browser could reach them, and glossd checks "  \
	"no Origin)"

/* Whether a socket file that exists is left by a process that is gone
 * (nothing answers a connection to it), as nng decides it too. */
static bool
server_ipc_stale(const struct sockaddr_un *sa)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool stale;

	if (fd < 0)
		return false;
	stale = connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) != 0 &&
	        errno == ECONNREFUSED;
	close(fd);
	return stale;
}

static enum status
server_listen_ipc(const char *path, unsigned mode, int *out, char *why,
    size_t whylen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, rc;

	if (path[0] == '\0' || strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(why, whylen,
		    "ipc://%s: a socket path is 1 to %zu bytes", path,
		    sizeof(sa.sun_path) - 1);
		return STATUS_INVALID_ARGUMENT;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	         0)) < 0)
		goto fail;
	rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	if (rc != 0 && errno == EADDRINUSE && server_ipc_stale(&sa) &&
	    unlink(path) == 0)
		rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	/* Only glossd's user may connect (or those --socket-mode lets in):
	 * the mode is set before listen(), so no one connects while it is
	 * still the umask's. */
	if (rc != 0 || chmod(path, mode != 0 ? mode : 0600) != 0 ||
	    listen(fd, SOMAXCONN) != 0)
		goto fail;
	*out = fd;
	return STATUS_OK;
fail:
	snprintf(why, whylen, "cannot listen on ipc://%s: %s%s", path,
	    strerror(errno),
	    errno == EADDRINUSE ? " (another process listens there)" : "");
	if (fd >= 0)
		close(fd);
	return errno == EADDRINUSE ? STATUS_UNAVAILABLE : STATUS_INTERNAL;
}

/* Splits HOST:PORT ([V6]:PORT; an empty host or * is every address). */
static bool
server_tcp_split(const char *hp, char *host, size_t hn, const char **port)
{
	const char *colon = strrchr(hp, ':');
	size_t n;

	if (colon == NULL || colon[1] == '\0')
		return false;
	n = (size_t)(colon - hp);
	if (n >= 2 && hp[0] == '[' && hp[n - 1] == ']')
		hp++, n -= 2;
	if (n >= hn)
		return false;
	memcpy(host, hp, n);
	host[n] = '\0';
	if (strcmp(host, "*") == 0)
		host[0] = '\0';
	*port = colon + 1;
	return true;
}

static int
server_tcp_bind(const struct addrinfo *ai)
{
	int fd = -1, one = 1;

	for (const struct addrinfo *a = ai; a != NULL; a = a->ai_next) {
		fd = socket(a->ai_family,
		    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, a->ai_addr, a->ai_addrlen) == 0 &&
		    listen(fd, SOMAXCONN) == 0)
			return fd;
		close(fd);
		fd = -1;
	}
	return fd;
}

bool
server_addr_loopback(const struct sockaddr *sa)
{
	const struct sockaddr_in *v4 = (const void *)sa;
	const struct sockaddr_in6 *v6 = (const void *)sa;
	const uint8_t *b = v6->sin6_addr.s6_addr;

	if (sa->sa_family == AF_INET)
		return (ntohl(v4->sin_addr.s_addr) >> 24) == 127;
	if (sa->sa_family != AF_INET6)
		return false;
	/* ::ffff:127.x.x.x, an IPv4 peer on a dual-stack socket */
	return IN6_IS_ADDR_LOOPBACK(&v6->sin6_addr) ||
	       (IN6_IS_ADDR_V4MAPPED(&v6->sin6_addr) && b[12] == 127);
}

/* Whether every address of ai is this machine's loopback. */
static bool
server_tcp_loopback(const struct addrinfo *ai)
{
	for (const struct addrinfo *a = ai; a != NULL; a = a->ai_next)
		if (!server_addr_loopback(a->ai_addr))
			return false;
	return true;
}

/*
 * The policy of a TCP listener: plaintext beyond loopback lets anyone on
 * the network read and change the store, so it takes --insecure (and is
 * warned about); every address (0.0.0.0, ::, an empty host) is said.
 */
static enum status
server_tcp_policy(struct server *sv, const char *url, const char *host,
    const struct addrinfo *ai, bool tls, char *why, size_t whylen)
{
	bool wild = host[0] == '\0' || strcmp(host, "0.0.0.0") == 0 ||
	            strcmp(host, "::") == 0;

	if (!tls && !server_tcp_loopback(ai)) {
		if (!sv->env->insecure) {
			snprintf(why, whylen,
			    "refusing to listen on %s: plaintext TCP beyond "
			    "loopback lets anyone on the network read and "
			    "change the store; use tls+tcp:// with "
			    "--tls-cert/--tls-key, or a 127.0.0.1 address, "
			    "or pass --insecure to do it anyway",
			    url);
			return STATUS_INVALID_ARGUMENT;
		}
		log_warn("%s: plaintext TCP beyond loopback (--insecure): "
		         "anyone who can reach it can read and change the "
		         "store",
		    url);
	}
	if (wild)
		log_info("%s listens on every address of this machine", url);
	return STATUS_OK;
}

static enum status
server_listen_tcp(struct server *sv, const char *url, bool tls, int *out,
    char *why, size_t whylen)
{
	struct addrinfo hints = { .ai_flags = AI_PASSIVE | AI_NUMERICSERV,
		.ai_socktype = SOCK_STREAM },
	                *ai;
	const char *hp = strstr(url, "://") + 3;
	char host[256];
	const char *port;
	enum status s;
	int rc;

	if (!server_tcp_split(hp, host, sizeof(host), &port)) {
		snprintf(why, whylen,
		    "%s: give %.*sHOST:PORT, e.g. %.*s127.0.0.1:7070", url,
		    (int)(hp - url), url, (int)(hp - url), url);
		return STATUS_INVALID_ARGUMENT;
	}
	if ((rc = getaddrinfo(host[0] ? host : NULL, port, &hints, &ai)) != 0) {
		snprintf(why, whylen, "%s: %s", url, gai_strerror(rc));
		return STATUS_INVALID_ARGUMENT;
	}
	if ((s = server_tcp_policy(sv, url, host, ai, tls, why, whylen)) !=
	    STATUS_OK) {
		freeaddrinfo(ai);
		return s;
	}
	*out = server_tcp_bind(ai);
	freeaddrinfo(ai);
	if (*out >= 0)
		return STATUS_OK;
	snprintf(why, whylen, "cannot listen on %s: %s", url, strerror(errno));
	return errno == EADDRINUSE ? STATUS_UNAVAILABLE : STATUS_INTERNAL;
}

static enum status
server_listen(struct server *sv, char *why, size_t whylen)
{
	enum status s;

	for (size_t i = 0; i < sv->n_listen; i++) {
		const char *url = sv->env->listen[i];
		bool tls = strncmp(url, "tls+tcp://", 10) == 0;
		if (strncmp(url, "ipc://", 6) == 0) {
			sv->listen_tp[i] = SP_IPC;
			s = server_listen_ipc(url + 6, sv->env->socket_mode,
			    &sv->listen_fd[i], why, whylen);
		} else if (tls || strncmp(url, "tcp://", 6) == 0) {
			sv->listen_tp[i] = SP_TCP;
			sv->listen_tls[i] = tls;
			s = server_listen_tcp(sv, url, tls, &sv->listen_fd[i],
			    why, whylen);
		} else {
			snprintf(why, whylen, SERVER_LISTEN_ONLY, url);
			s = STATUS_INVALID_ARGUMENT;
		}
		if (s != STATUS_OK)
			return s;
	}
	return STATUS_OK;
}

void
server_unlisten(struct server *sv)
{
	for (size_t i = 0; i < sv->n_listen; i++) {
		if (sv->listen_fd[i] < 0)
			continue;
		close(sv->listen_fd[i]);
		sv->listen_fd[i] = -1;
		if (sv->listen_tp[i] == SP_IPC)
			unlink(sv->env->listen[i] + 6);
	}
	sv->listening = false;
}

/* ------------------------------------------------------------ start, stop */

/* Stops every thread and frees sv (after a stop, or a failed start). */
static void
server_shutdown(struct server *sv)
{
	atomic_store(&sv->closing, true);
	server_io_stop(sv);
	server_work_stop(sv);
	/* No worker is left, so no write is in the writer for us. */
	sv->env->committed = NULL;
	server_park_stop(sv);
	if (sv->listening)
		server_unlisten(sv);
	server_io_fini(sv);
	pthread_mutex_destroy(&sv->done_mu);
	pthread_mutex_destroy(&sv->job_mu);
	pthread_cond_destroy(&sv->job_cv);
	pthread_mutex_destroy(&sv->park_mu);
	pthread_cond_destroy(&sv->park_cv);
	server_tls_free(sv);
	free(sv->listen_fd);
	free(sv->listen_tp);
	free(sv->listen_tls);
	free(sv);
}

static struct server *
server_new(struct call_env *env)
{
	struct server *sv = calloc(1, sizeof(*sv));

	if (sv == NULL)
		return NULL;
	sv->env = env;
	sv->n_listen = env->n_listen;
	sv->listen_fd = malloc(env->n_listen * sizeof(*sv->listen_fd));
	sv->listen_tp = calloc(env->n_listen, sizeof(*sv->listen_tp));
	sv->listen_tls = calloc(env->n_listen, sizeof(*sv->listen_tls));
	if (sv->listen_fd == NULL || sv->listen_tp == NULL ||
	    sv->listen_tls == NULL) {
		free(sv->listen_fd);
		free(sv->listen_tp);
		free(sv->listen_tls);
		free(sv);
		return NULL;
	}
	for (size_t i = 0; i < env->n_listen; i++)
		sv->listen_fd[i] = -1;
	sv->epfd = sv->wakefd = -1;
	pthread_mutex_init(&sv->done_mu, NULL);
	pthread_mutex_init(&sv->job_mu, NULL);
	pthread_cond_init(&sv->job_cv, NULL);
	pthread_mutex_init(&sv->park_mu, NULL);
	server_cond_init(&sv->park_cv);
	return sv;
}

enum status
server_start(struct call_env *env, struct server **out, char *why,
    size_t whylen)
{
	struct server *sv = server_new(env);
	enum status s;

	if (sv == NULL) {
		snprintf(why, whylen, "out of memory");
		return STATUS_RESOURCE_EXHAUSTED;
	}
	sv->listening = true;
	if ((s = server_listen(sv, why, whylen)) == STATUS_OK &&
	    (s = server_tls_load(sv, why, whylen)) == STATUS_OK &&
	    (server_io_start(sv) != 0 || server_work_start(sv) != 0 ||
	        server_park_start(sv) != 0)) {
		snprintf(why, whylen, "cannot start glossd's threads: %s",
		    strerror(errno));
		s = STATUS_INTERNAL;
	}
	if (s != STATUS_OK) {
		server_shutdown(sv);
		return s;
	}
	*out = sv;
	return STATUS_OK;
}

/* Waits until *count is 0 or the deadline; true if it reached 0. */
static bool
server_wait_zero(atomic_size_t *count, int64_t deadline_ms)
{
	struct timespec ts = { 0, 5 * 1000 * 1000 };

	while (atomic_load(count) > 0 && call_mono_ms() < deadline_ms)
		nanosleep(&ts, NULL);
	return atomic_load(count) == 0;
}

void
server_stop(struct server *sv)
{
	int64_t t0 = call_mono_ms();

	atomic_store(&sv->stopping, true);
	server_io_wake(sv); /* it stops accepting */
	server_park_flush(sv);
	if (!server_wait_zero(&sv->working, t0 + SERVER_STOP_DRAIN_MS))
		log_warn("stopping with %zu requests still being served; "
		         "waiting for them",
		    atomic_load(&sv->working));
	atomic_store(&sv->drain, true);
	server_io_wake(sv);
	while (!atomic_load(&sv->drained) &&
	       call_mono_ms() < t0 + 2 * SERVER_STOP_DRAIN_MS)
		nanosleep(&(struct timespec){ 0, 1000 * 1000 }, NULL);
	server_wait_zero(&sv->working, call_mono_ms() + SERVER_STOP_FLUSH_MS);
	if (!server_wait_zero(&sv->unsent,
	        call_mono_ms() + SERVER_STOP_FLUSH_MS))
		log_info("closing connections with %zu bytes of replies "
		         "their peers did not read",
		    atomic_load(&sv->unsent));
	server_shutdown(sv);
}
