/*
 * rpc_tls: tls+tcp:// for client/rpc.c (and nothing else).
 */
#ifndef GLOSS_RPC_TLS_H
#define GLOSS_RPC_TLS_H

#include <stdbool.h>

#include <nng/nng.h>
#include <nng/supplemental/tls/tls.h>

/* The TLS config of url into *out (NULL for other schemes); 0, or an nng
 * error with a sentence in why. */
int rpc_tls_setup(const char *url, nng_tls_config **out, char *why,
    size_t whylen);

/* What to say after an nng error from dialing (tls: a tls+tcp:// URL);
 * NULL if nothing particular. */
const char *rpc_tls_hint(int rv, bool tls);

#endif
