/*
 * server: the only nng user.  Listens on the configured URLs with one REP
 * socket and runs N worker threads (one nng context each) that receive a
 * request, serve it (serve.h: bytes in, reply bytes out) and send the reply.
 */
#ifndef GLOSS_SERVER_H
#define GLOSS_SERVER_H

#include "call.h"

struct server;

/*
 * Opens the socket, starts a listener on each of env->listen and the
 * workers.  On failure writes a sentence for a person into why and returns
 * INVALID_ARGUMENT (a bad URL), UNAVAILABLE (address in use) or INTERNAL.
 */
enum status server_start(struct call_env *env, struct server **out, char *why,
    size_t whylen);

/*
 * Stops listening, lets the workers finish the requests they hold (their
 * replies are sent), joins them and closes the socket.
 */
void server_stop(struct server *s);

/* nng's receive limit on every listener: above env->max_request_bytes, so
 * that a request over glossd's limit still arrives and gets a
 * RESOURCE_EXHAUSTED reply; nng drops anything larger silently. */
#define SERVER_RECV_MAX ((size_t)8 << 20)

#endif
