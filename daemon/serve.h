/*
 * serve: the path of one request from its bytes to its reply's bytes:
 * check and unpack the envelope, find the method in the table, run it (a
 * read here, on the caller's thread; a write through the writer), and pack
 * the reply.  Knows nothing of nng: server.c hands it what it received and
 * sends what it packed, and the fuzz target calls it the same way.
 */
#ifndef GLOSS_SERVE_H
#define GLOSS_SERVE_H

#include <stddef.h>
#include <stdint.h>

#include "call.h"

/* Where the packed reply goes: alloc(arg, n) returns room for n bytes, or
 * NULL if there is none. */
struct serve_out {
	void *(*alloc)(void *arg, size_t n);
	void *arg;
};

enum serve_flags {
	/* A long poll may ask to wait instead of being answered now. */
	SERVE_MAY_PARK = 1 << 0,
	/* glossd is stopping: answer UNAVAILABLE without running anything. */
	SERVE_STOPPING = 1 << 1,
};

enum serve_result {
	SERVE_REPLIED, /* the reply is packed into out's room */
	SERVE_PARKED,  /* a long poll waits: serve it again later */
	SERVE_NO_ROOM, /* out->alloc() failed: no reply */
};

/*
 * Serves the request req[0..n) (the caller's; not kept) that came from
 * peer (the caller's; kept by the call while it runs).  When it returns
 * SERVE_PARKED, *park_ms says how long the request may wait for a commit
 * before it must be answered; serve it again, without SERVE_MAY_PARK once
 * the wait is over.  Every other outcome, errors included, is a reply: a
 * gloss.v1.Reply whose status says what happened.
 */
enum serve_result serve_request(struct call_env *env,
    const struct call_peer *peer, const void *req, size_t n, unsigned flags,
    const struct serve_out *out, uint32_t *park_ms);

/*
 * The reply to a request of n bytes that was too large to be read whole
 * (its connection dropped the bytes): RESOURCE_EXHAUSTED, naming the limit.
 */
enum serve_result serve_too_large(struct call_env *env, uint64_t n,
    const struct serve_out *out);

#endif
