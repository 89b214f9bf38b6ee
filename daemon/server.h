/*
 * server: glossd on the network (server*.c): listens on ipc:// and tcp://
 * URLs, speaks SP REQ/REP (nng's protocol, sp.h) to every connection,
 * serves each request on one of N workers (serve.h: bytes in, reply bytes
 * out) and writes the replies.  Guards every connection: a cap on their
 * number (env->max_connections), on the bytes of a request
 * (env->max_request_bytes), and on the requests one may have in glossd at
 * once; no peer, reading or not, can hold a thread.
 */
#ifndef GLOSS_SERVER_H
#define GLOSS_SERVER_H

#include "call.h"

struct server;

/*
 * Opens the socket, starts a listener on each of env->listen, the workers,
 * the waker of long polls and the listeners' watchdog.  On failure writes
 * a sentence for a person into why and returns INVALID_ARGUMENT (a bad
 * URL), UNAVAILABLE (address in use) or INTERNAL.
 */
enum status server_start(struct call_env *env, struct server **out, char *why,
    size_t whylen);

/*
 * Stops in a bounded time (about 6 s at most): listening stops, requests
 * that arrive are answered UNAVAILABLE (to be sent again to the next
 * glossd); the requests being served are finished and answered (their
 * writes committed or refused by the writer, which must still run) and
 * parked long polls answered empty; replies are given 2 s to be read;
 * then every connection is closed and s freed.
 */
void server_stop(struct server *s);

#endif
