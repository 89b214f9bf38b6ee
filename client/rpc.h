/*
 * rpc: the gloss client library.  Connects to glossd, sends one request and
 * waits for its reply with a deadline, retrying only what is safe to retry.
 * This header is the whole contract; client/rpc.c is the only nng user of
 * the client side.  Link with glossclient (and libnng, libprotobuf-c).
 *
 *     struct rpc_client *c;
 *     char why[256];
 *     if (rpc_open(rpc_default_url(), &c, why, sizeof(why)) != 0) ...
 *     Gloss__V1__Request q = GLOSS__V1__REQUEST__INIT;
 *     Gloss__V1__GetArticleRequest g = GLOSS__V1__GET_ARTICLE_REQUEST__INIT;
 *     g.id = "000_37e09da8a1b7b9fa";
 *     q.body_case = GLOSS__V1__REQUEST__BODY_GET_ARTICLE;
 *     q.get_article = &g;
 *     Gloss__V1__Reply *r;
 *     int code = rpc_call(c, &q, 10000, &r);   // 0 is OK
 *     ... r->get_article->article->text ...
 *     rpc_reply_free(r);
 *     rpc_close(c);
 */
#ifndef GLOSS_RPC_H
#define GLOSS_RPC_H

#include <stddef.h>

#include "gloss/v1/gloss.pb-c.h"

struct rpc_client;

/* glossd's request limit (GetServerInfo's max_request_bytes,
 * docs/protocol.md): rpc_call() refuses to send a larger request, which
 * glossd would only read through and refuse.  Replies are under 1 MiB; the
 * receive limit leaves room. */
#define RPC_REQUEST_MAX ((size_t)1 << 20)
#define RPC_RECV_MAX    ((size_t)4 << 20)

/* $GLOSS_SOCKET if set, else rpc_builtin_url(). */
const char *rpc_default_url(void);

/* The socket of `make run`'s glossd in the checkout this was built from. */
const char *rpc_builtin_url(void);

/*
 * Connects to url (ipc://PATH or tcp://HOST:PORT).  Returns 0, or a gloss.v1
 * status code (UNAVAILABLE: nothing listens there; INVALID_ARGUMENT: bad
 * URL) with a sentence in why.
 */
int rpc_open(const char *url, struct rpc_client **out, char *why,
    size_t whylen);

void rpc_close(struct rpc_client *c);

/*
 * Sends q and waits at most timeout_ms (0: 30 s) for glossd's reply, which
 * it stores in *reply (free it with rpc_reply_free()).  Returns the reply's
 * status code (0 = OK), or a code of the client's own when no reply came:
 * DEADLINE_EXCEEDED, UNAVAILABLE, RESOURCE_EXHAUSTED (q over
 * RPC_REQUEST_MAX: not sent), INTERNAL (a reply that does not unpack);
 * *reply is then NULL and rpc_error() says why.
 *
 * A request that glossd answers UNAVAILABLE, or that a dropped connection
 * left unanswered, is sent again with backoff until the deadline, with the
 * same request_id so that a write is applied once.  If q has no
 * request_id, rpc_call() sets one (a random UUID) in q->request_id,
 * pointing into the client, valid until the next call.
 */
int rpc_call(struct rpc_client *c, Gloss__V1__Request *q, unsigned timeout_ms,
    Gloss__V1__Reply **reply);

/* Sends token (gls_..., docs/operations.md) in every request that names
 * none; "" for none. */
void rpc_set_token(struct rpc_client *c, const char *token);

/* The last call's status message: glossd's, or the client's own. */
const char *rpc_error(const struct rpc_client *c);

/* gRPC's name of a status code ("NOT_FOUND"). */
const char *rpc_code_name(int code);

void rpc_reply_free(Gloss__V1__Reply *r);

/* Writes a random (version 4) UUID and a NUL into out. */
void rpc_uuid(char out[37]);

#endif
