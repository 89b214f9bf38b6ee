/*
 * rpc_tls: the client side of tls+tcp:// (nng's TLS, over mbedtls in
 * Debian's libnng): glossd's certificate is verified against GLOSS_TLS_CA
 * and must name the URL's host; GLOSS_TLS_CERT/GLOSS_TLS_KEY give a client
 * certificate (the CLI's --tls-* options set them).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rpc_tls.h"

/* The contents of a PEM file, or NULL (errno says why). */
static char *
rpc_slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	long n;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
	    n < (1L << 20) && fseek(f, 0, SEEK_SET) == 0 &&
	    (buf = calloc(1, (size_t)n + 1)) != NULL &&
	    fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

/* The host of tls+tcp://HOST:PORT ([V6]:PORT), the name glossd's
 * certificate must carry. */
static void
rpc_tls_host(const char *url, char *host, size_t n)
{
	const char *hp = url + strlen("tls+tcp://"), *colon = strrchr(hp, ':');
	size_t len = colon != NULL ? (size_t)(colon - hp) : strlen(hp);

	if (len >= 2 && hp[0] == '[' && hp[len - 1] == ']')
		hp++, len -= 2;
	len = len < n - 1 ? len : n - 1;
	memcpy(host, hp, len);
	host[len] = '\0';
}

/* Our client certificate and its key (GLOSS_TLS_CERT, GLOSS_TLS_KEY). */
static int
rpc_tls_own(nng_tls_config *cfg, const char *cert, const char *key, char *why,
    size_t whylen)
{
	char *cpem = rpc_slurp(cert), *kpem = NULL;
	int rv = NNG_EINVAL;

	if (cpem == NULL || (kpem = rpc_slurp(key)) == NULL)
		snprintf(why, whylen, "cannot read %s: %s",
		    cpem == NULL ? cert : key, strerror(errno));
	else if ((rv = nng_tls_config_own_cert(cfg, cpem, kpem, NULL)) != 0)
		snprintf(why, whylen,
		    "%s and %s: not a PEM certificate and its key: %s", cert,
		    key, nng_strerror(rv));
	free(cpem);
	free(kpem);
	return rv;
}

/*
 * The TLS of a tls+tcp:// URL: glossd's certificate is verified against
 * GLOSS_TLS_CA (the system's CAs are not read: a team's glossd has its
 * own CA) and must name the URL's host; GLOSS_TLS_CERT and GLOSS_TLS_KEY
 * give a client certificate.  The CLI's --tls-* options set these.
 */
int
rpc_tls_setup(const char *url, nng_tls_config **out, char *why, size_t whylen)
{
	const char *ca = getenv("GLOSS_TLS_CA"),
	           *cert = getenv("GLOSS_TLS_CERT"),
	           *key = getenv("GLOSS_TLS_KEY");
	char host[256];
	int rv;

	*out = NULL;
	if (strncmp(url, "tls+tcp://", 10) != 0)
		return 0;
	if (ca == NULL || ca[0] == '\0') {
		snprintf(why, whylen,
		    "%s: give the CA that signed glossd's certificate "
		    "(--tls-ca FILE or GLOSS_TLS_CA)",
		    url);
		return NNG_EINVAL;
	}
	rpc_tls_host(url, host, sizeof(host));
	if ((rv = nng_tls_config_alloc(out, NNG_TLS_MODE_CLIENT)) != 0 ||
	    (rv = nng_tls_config_auth_mode(*out, NNG_TLS_AUTH_MODE_REQUIRED)) !=
	        0 ||
	    (rv = nng_tls_config_server_name(*out, host)) != 0) {
		snprintf(why, whylen, "TLS: %s", nng_strerror(rv));
		return rv;
	}
	if ((rv = nng_tls_config_ca_file(*out, ca)) != 0) {
		snprintf(why, whylen,
		    "--tls-ca %s: not a readable PEM "
		    "certificate: %s",
		    ca, nng_strerror(rv));
		return rv;
	}
	if ((cert != NULL && cert[0]) != (key != NULL && key[0])) {
		snprintf(why, whylen,
		    "a client certificate needs both "
		    "--tls-cert and --tls-key (GLOSS_TLS_CERT, GLOSS_TLS_KEY)");
		return NNG_EINVAL;
	}
	return cert != NULL && cert[0]
	           ? rpc_tls_own(*out, cert, key, why, whylen)
	           : 0;
}

const char *
rpc_tls_hint(int rv, bool tls)
{
	if (rv == NNG_EPEERAUTH || rv == NNG_ECRYPTO)
		return " (glossd's certificate is not trusted by --tls-ca or "
		       "GLOSS_TLS_CA, has expired, or does not name the host; "
		       "or glossd refused ours)";
	if (tls &&
	    (rv == NNG_ECLOSED || rv == NNG_ECONNSHUT || rv == NNG_ECONNRESET))
		return " (is it a tls+tcp:// listener? or it requires a client "
		       "certificate: --tls-cert/--tls-key)";
	return NULL;
}
