/*
 * server_tls: TLS on tls+tcp:// listeners, done by glossd itself (mbedtls)
 * because glossd speaks SP itself (server.c says why nng's server side is
 * not used).  Inside TLS the bytes are those of tcp://: the SP hello, then
 * frames (docs/protocol.md).
 *
 * Everything here runs in the I/O thread and never blocks: the handshake
 * is a state of the connection before its SP hello, stepped on each epoll
 * event and bounded by the hello's timer; reads and writes go through
 * mbedtls_ssl_read/write, whose WANT_READ/WANT_WRITE become EAGAIN for
 * server_read.c and server_conn.c.  Two traps of non-blocking mbedtls are
 * kept by the callers: bytes mbedtls has decrypted but not yet handed out
 * make no epoll event (server_tls_pending), and a write that wanted the
 * socket must be retried with the same bytes (the head of the write queue
 * does not move until it is written).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/oid.h>
#include <mbedtls/pk.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>

#include "log.h"
#include "server_local.h"

/* The server's TLS setup: its certificate and key, and the CA that signs
 * the client certificates it requires (if any). */
struct server_tls {
	mbedtls_ssl_config conf;
	mbedtls_x509_crt cert, client_ca;
	mbedtls_pk_context key;
	mbedtls_entropy_context entropy;
	mbedtls_ctr_drbg_context drbg;
	bool verify_clients;
};

/* One connection's TLS session. */
struct server_tls_conn {
	mbedtls_ssl_context ssl;
	int fd;
	bool read_any; /* the socket gave bytes (for the plaintext test) */
	bool plain_sp; /* its first bytes were an SP hello in the clear */
};

/* ------------------------------------------------------------ the socket */

static int
server_tls_send_cb(void *ctx, const unsigned char *buf, size_t len)
{
	struct server_tls_conn *t = ctx;
	ssize_t n = send(t->fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);

	if (n >= 0)
		return (int)n;
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
		return MBEDTLS_ERR_SSL_WANT_WRITE;
	return errno == EPIPE || errno == ECONNRESET
	           ? MBEDTLS_ERR_NET_CONN_RESET
	           : MBEDTLS_ERR_NET_SEND_FAILED;
}

static int
server_tls_recv_cb(void *ctx, unsigned char *buf, size_t len)
{
	struct server_tls_conn *t = ctx;
	ssize_t n = recv(t->fd, buf, len, MSG_DONTWAIT);

	if (n > 0 && !t->read_any) {
		/* An SP peer that was not told to use TLS starts with the
		 * SP hello's "\0SP\0": say so rather than "bad record". */
		t->read_any = true;
		t->plain_sp = n >= 4 && memcmp(buf, "\0SP\0", 4) == 0;
	}
	if (n >= 0)
		return (int)n;
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
		return MBEDTLS_ERR_SSL_WANT_READ;
	return errno == ECONNRESET ? MBEDTLS_ERR_NET_CONN_RESET
	                           : MBEDTLS_ERR_NET_RECV_FAILED;
}

/* ------------------------------------------------------------ setting up */

/* Whether path can be read; else a sentence in why. */
static bool
server_tls_readable(const char *flag, const char *path, char *why,
    size_t whylen)
{
	FILE *f;

	if (path == NULL || path[0] == '\0') {
		snprintf(why, whylen,
		    "tls+tcp:// listeners need %s FILE (a PEM file)", flag);
		return false;
	}
	if ((f = fopen(path, "r")) == NULL) {
		snprintf(why, whylen, "cannot read %s %s: %s", flag, path,
		    strerror(errno));
		return false;
	}
	fclose(f);
	return true;
}

static bool
server_tls_failed(int rc, const char *what, const char *path, char *why,
    size_t whylen)
{
	char err[160];

	if (rc == 0)
		return false;
	mbedtls_strerror(rc, err, sizeof(err));
	snprintf(why, whylen, "%s %s: %s", what, path, err);
	return true;
}

/* Whether the private key at path is kept from other users (as ssh and the
 * CLI's token file are): group or others able to read it is refused. */
static bool
server_tls_private(const char *path, char *why, size_t whylen)
{
	struct stat st;

	if (stat(path, &st) != 0 || (st.st_mode & 077) == 0)
		return true; /* unreadable: server_tls_readable() says so */
	snprintf(why, whylen,
	    "--tls-key %s can be read by %s (mode %03o): a private key must "
	    "be its owner's alone; chmod 600 %s",
	    path, (st.st_mode & 007) ? "anyone" : "its group",
	    (unsigned)(st.st_mode & 0777), path);
	return false;
}

/* Reads the certificate, the key (and that they match), the client CA. */
static bool
server_tls_files(struct server_tls *t, const struct call_env *env, char *why,
    size_t whylen)
{
	if (!server_tls_readable("--tls-cert", env->tls_cert, why, whylen) ||
	    !server_tls_readable("--tls-key", env->tls_key, why, whylen) ||
	    !server_tls_private(env->tls_key, why, whylen) ||
	    server_tls_failed(mbedtls_x509_crt_parse_file(&t->cert,
	                          env->tls_cert),
	        "--tls-cert: not a PEM certificate:", env->tls_cert, why,
	        whylen) ||
	    server_tls_failed(mbedtls_pk_parse_keyfile(&t->key, env->tls_key,
	                          NULL),
	        "--tls-key: not an unencrypted PEM private key:", env->tls_key,
	        why, whylen))
		return false;
	if (mbedtls_pk_check_pair(&t->cert.pk, &t->key) != 0) {
		snprintf(why, whylen,
		    "--tls-key %s is not the key of --tls-cert %s (give the "
		    "key the certificate was made for)",
		    env->tls_key, env->tls_cert);
		return false;
	}
	if (mbedtls_x509_time_is_past(&t->cert.valid_to))
		log_warn("--tls-cert %s has expired: clients will refuse it",
		    env->tls_cert);
	if (env->tls_client_ca == NULL)
		return true;
	t->verify_clients = true;
	return server_tls_readable("--tls-client-ca", env->tls_client_ca, why,
	           whylen) &&
	       !server_tls_failed(mbedtls_x509_crt_parse_file(&t->client_ca,
	                              env->tls_client_ca),
	           "--tls-client-ca: not a PEM certificate:",
	           env->tls_client_ca, why, whylen);
}

static bool
server_tls_config(struct server_tls *t, char *why, size_t whylen)
{
	mbedtls_ssl_config *conf = &t->conf;
	static const char pers[] = "glossd tls";

	if (server_tls_failed(mbedtls_ctr_drbg_seed(&t->drbg,
	                          mbedtls_entropy_func, &t->entropy,
	                          (const unsigned char *)pers, sizeof(pers)),
	        "cannot seed TLS's random numbers", "", why, whylen) ||
	    server_tls_failed(mbedtls_ssl_config_defaults(conf,
	                          MBEDTLS_SSL_IS_SERVER,
	                          MBEDTLS_SSL_TRANSPORT_STREAM,
	                          MBEDTLS_SSL_PRESET_DEFAULT),
	        "cannot set up TLS", "", why, whylen) ||
	    server_tls_failed(mbedtls_ssl_conf_own_cert(conf, &t->cert,
	                          &t->key),
	        "--tls-cert", "", why, whylen))
		return false;
	mbedtls_ssl_conf_rng(conf, mbedtls_ctr_drbg_random, &t->drbg);
	/* TLS 1.2 at least: SSL 3, TLS 1.0 and 1.1 are broken. */
	mbedtls_ssl_conf_min_version(conf, MBEDTLS_SSL_MAJOR_VERSION_3,
	    MBEDTLS_SSL_MINOR_VERSION_3);
	mbedtls_ssl_conf_renegotiation(conf,
	    MBEDTLS_SSL_RENEGOTIATION_DISABLED);
	mbedtls_ssl_conf_authmode(conf, t->verify_clients
	                                    ? MBEDTLS_SSL_VERIFY_REQUIRED
	                                    : MBEDTLS_SSL_VERIFY_NONE);
	if (t->verify_clients)
		mbedtls_ssl_conf_ca_chain(conf, &t->client_ca, NULL);
	return true;
}

static bool
server_tls_wanted(const struct server *sv)
{
	for (size_t i = 0; i < sv->n_listen; i++)
		if (sv->listen_tls[i])
			return true;
	return false;
}

enum status
server_tls_load(struct server *sv, char *why, size_t whylen)
{
	struct server_tls *t;

	if (!server_tls_wanted(sv)) {
		if (sv->env->tls_cert != NULL)
			log_warn("--tls-cert is given but no --listen "
			         "tls+tcp://HOST:PORT: it is not used");
		return STATUS_OK;
	}
	if ((t = calloc(1, sizeof(*t))) == NULL) {
		snprintf(why, whylen, "out of memory");
		return STATUS_RESOURCE_EXHAUSTED;
	}
	sv->tls = t;
	mbedtls_ssl_config_init(&t->conf);
	mbedtls_x509_crt_init(&t->cert);
	mbedtls_x509_crt_init(&t->client_ca);
	mbedtls_pk_init(&t->key);
	mbedtls_entropy_init(&t->entropy);
	mbedtls_ctr_drbg_init(&t->drbg);
	if (!server_tls_files(t, sv->env, why, whylen) ||
	    !server_tls_config(t, why, whylen))
		return STATUS_INVALID_ARGUMENT;
	return STATUS_OK;
}

void
server_tls_free(struct server *sv)
{
	struct server_tls *t = sv->tls;

	if (t == NULL)
		return;
	mbedtls_ssl_config_free(&t->conf);
	mbedtls_x509_crt_free(&t->cert);
	mbedtls_x509_crt_free(&t->client_ca);
	mbedtls_pk_free(&t->key);
	mbedtls_ctr_drbg_free(&t->drbg);
	mbedtls_entropy_free(&t->entropy);
	free(t);
	sv->tls = NULL;
}

/* ------------------------------------------------------------ a session */

bool
server_tls_begin(struct server *sv, struct server_conn *c)
{
	struct server_tls_conn *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return false;
	mbedtls_ssl_init(&t->ssl);
	if (mbedtls_ssl_setup(&t->ssl, &sv->tls->conf) != 0) {
		mbedtls_ssl_free(&t->ssl);
		free(t);
		return false;
	}
	t->fd = c->fd;
	mbedtls_ssl_set_bio(&t->ssl, t, server_tls_send_cb, server_tls_recv_cb,
	    NULL);
	c->tls = t;
	c->handshaking = true;
	c->tls_want = EPOLLIN; /* the client speaks first */
	c->peer.tls = true;
	return true;
}

void
server_tls_end(struct server_conn *c)
{
	if (c->tls == NULL)
		return;
	mbedtls_ssl_free(&c->tls->ssl);
	free(c->tls);
	c->tls = NULL;
}

/* The subject CN of the verified client certificate, into c->peer. */
static void
server_tls_subject(struct server_conn *c)
{
	const mbedtls_x509_crt *crt = mbedtls_ssl_get_peer_cert(&c->tls->ssl);
	const mbedtls_x509_name *n;
	size_t len;

	c->peer.cert_subject[0] = '\0';
	if (crt == NULL)
		return;
	for (n = &crt->subject; n != NULL; n = n->next) {
		if (MBEDTLS_OID_CMP(MBEDTLS_OID_AT_CN, &n->oid) != 0)
			continue;
		len = n->val.len < sizeof(c->peer.cert_subject) - 1
		          ? n->val.len
		          : sizeof(c->peer.cert_subject) - 1;
		memcpy(c->peer.cert_subject, n->val.p, len);
		c->peer.cert_subject[len] = '\0';
	}
}

/* Why a handshake failed, for the log. */
static void
server_tls_why(const struct server_conn *c, int rc, char *why, size_t n)
{
	char err[160];
	uint32_t flags = mbedtls_ssl_get_verify_result(&c->tls->ssl);

	mbedtls_strerror(rc, err, sizeof(err));
	if (c->tls->plain_sp)
		snprintf(why, n,
		    "it spoke plaintext SP to a TLS listener (its client "
		    "must use tls+tcp://)");
	else if (rc == MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE)
		snprintf(why, n,
		    "the client ended the TLS handshake (it does not trust "
		    "glossd's certificate?): %s",
		    err);
	else if (rc == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED ||
	         rc == MBEDTLS_ERR_SSL_NO_CLIENT_CERTIFICATE ||
	         (flags != 0 && flags != (uint32_t)-1 &&
	             c->peer.cert_subject[0] == '\0'))
		snprintf(why, n,
		    "no valid client certificate (--tls-client-ca requires "
		    "one signed by that CA): %s",
		    err);
	else
		snprintf(why, n, "TLS handshake failed: %s", err);
}

bool
server_tls_handshake(struct server *sv, struct server_conn *c)
{
	char why[320];
	int rc = mbedtls_ssl_handshake(&c->tls->ssl);

	if (rc == MBEDTLS_ERR_SSL_WANT_READ ||
	    rc == MBEDTLS_ERR_SSL_WANT_WRITE) {
		c->tls_want =
		    rc == MBEDTLS_ERR_SSL_WANT_READ ? EPOLLIN : EPOLLOUT;
		server_conn_watch(sv, c, false);
		return true;
	}
	if (rc != 0) {
		server_tls_why(c, rc, why, sizeof(why));
		server_conn_close(sv, c, true, why);
		return false;
	}
	c->handshaking = false;
	if (sv->tls->verify_clients)
		server_tls_subject(c);
	log_debug("connection %u (%s): TLS %s, %s%s%s", (unsigned)c->id,
	    c->peer.addr, mbedtls_ssl_get_version(&c->tls->ssl),
	    mbedtls_ssl_get_ciphersuite(&c->tls->ssl),
	    c->peer.cert_subject[0] ? ", client " : "", c->peer.cert_subject);
	/* Now glossd's SP hello, queued at accept, goes out. */
	return server_conn_write(sv, c);
}

/* ------------------------------------------------------------ data */

/* mbedtls's result as send/recv's: -1 with errno EAGAIN when it wants the
 * socket, EPROTO (and a log line) when TLS failed. */
static ssize_t
server_tls_result(const struct server_conn *c, int rc)
{
	char err[160];

	if (rc >= 0)
		return rc;
	if (rc == MBEDTLS_ERR_SSL_WANT_READ ||
	    rc == MBEDTLS_ERR_SSL_WANT_WRITE) {
		errno = EAGAIN;
		return -1;
	}
	if (rc == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY ||
	    rc == MBEDTLS_ERR_SSL_CONN_EOF)
		return 0;
	if (rc == MBEDTLS_ERR_NET_CONN_RESET) {
		errno = ECONNRESET;
		return -1;
	}
	mbedtls_strerror(rc, err, sizeof(err));
	log_debug("connection %u (%s): TLS: %s", (unsigned)c->id, c->peer.addr,
	    err);
	errno = EPROTO;
	return -1;
}

ssize_t
server_tls_recv(struct server_conn *c, void *buf, size_t n)
{
	return server_tls_result(c, mbedtls_ssl_read(&c->tls->ssl, buf, n));
}

ssize_t
server_tls_send(struct server_conn *c, const void *buf, size_t n)
{
	return server_tls_result(c, mbedtls_ssl_write(&c->tls->ssl, buf, n));
}

size_t
server_tls_pending(const struct server_conn *c)
{
	return c->tls != NULL ? mbedtls_ssl_get_bytes_avail(&c->tls->ssl) : 0;
}
