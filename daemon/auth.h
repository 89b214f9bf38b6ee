/*
 * auth: who the caller of a request is, and whether it may do what it
 * asks.  The caller comes from the request's token, else from the ipc
 * peer's OS user, else (tcp while no user exists: "tokens off") from the
 * author it declares.  docs/operations.md, "Security model", is the model.
 */
#ifndef GLOSS_AUTH_H
#define GLOSS_AUTH_H

#include <stdbool.h>
#include <stdint.h>

#include "call.h"
#include "method.h"

/* A token: "gls_" + AUTH_ID_CHARS hex + "_" + AUTH_SECRET_CHARS hex. */
#define AUTH_ID_CHARS     16 /* 64 bits: public, names the token in logs */
#define AUTH_SECRET_CHARS 40 /* 160 bits from getrandom(2) */
#define AUTH_TOKEN_CHARS  (4 + AUTH_ID_CHARS + 1 + AUTH_SECRET_CHARS)

/* Failed tokens a peer host may send before it is slowed down. */
#define AUTH_FREE_FAILURES 5
/* The longest a host waits, in seconds, however often it fails. */
#define AUTH_MAX_WAIT_S 60

/*
 * Sets c->caller from c->req->token and c->peer, reading the users
 * through a read transaction of its own.  UNAUTHENTICATED (TOKEN_REQUIRED,
 * TOKEN_INVALID) or RESOURCE_EXHAUSTED (AUTH_RATE_LIMITED) otherwise.
 */
enum status auth_identify(struct call *c);

/*
 * Whether c->caller may call m: its role is at least m->role, and a
 * write's author is the caller (an empty author becomes the caller's
 * name) unless the caller is an admin, who is then recorded as
 * c->caller.acting_admin.  PERMISSION_DENIED otherwise.
 */
enum status auth_permit(struct call *c, const struct method *m);

/* Whether the caller may change a record created by `owner`: its own, or
 * a reviewer's or above.  PERMISSION_DENIED (ANNOTATION_NOT_OWNED) naming
 * annotation `id` otherwise. */
enum status auth_may_change(struct call *c, uint64_t id, const char *owner);

/* Whether the caller may see the request ids of `author`'s changes. */
bool auth_sees_request_ids(const struct call *c, const char *author);

/*
 * A new token: writes it (AUTH_TOKEN_CHARS and a NUL) to token, its id to
 * id (AUTH_ID_CHARS and a NUL) and the SHA-256 of its secret to sha256.
 * Returns 0, or -1 if the OS gave no random bytes.
 */
int auth_token_new(char token[AUTH_TOKEN_CHARS + 1], char id[AUTH_ID_CHARS + 1],
    uint8_t sha256[32]);

/* The role named "reader" .. "admin" (or "ROLE_READER" ..), or
 * ROLE_UNSPECIFIED. */
Gloss__V1__Role auth_role_parse(const char *name);

#endif
