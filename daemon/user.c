/*
 * user: the user methods (CreateUser, ListUsers, RevokeUser,
 * RotateUserToken), ADMIN only (method.c).  A token is shown once, in the
 * reply that made it: glossd keeps the SHA-256 of its secret (auth.c), and
 * these replies are not remembered under their request_id (METHOD_SECRET).
 */
#include <string.h>

#include "auth.h"
#include "method.h"
#include "store.h"
#include "user.h"
#include "valid.h"

/* The user `name`, or USER_NOT_FOUND. */
static enum status
user_find(struct call *c, const char *name, Gloss__V1__UserRecord **u)
{
	enum status s = STATUS_NOT_FOUND;

	if (valid_author(name))
		s = store_user_get(c->txn, name, &c->allocator, u);
	if (s == STATUS_NOT_FOUND) {
		call_fail(c, REASON(USER_NOT_FOUND), "name",
		    "no user '%s' (gloss user list shows them)",
		    call_clip(c, name, 64));
		call_meta(c, "name", "%s", name);
		return STATUS_NOT_FOUND;
	}
	if (s == STATUS_OK && (*u)->user == NULL)
		s = STATUS_DATA_LOSS;
	if (s != STATUS_OK)
		return call_error(c, s, "cannot read user '%s'",
		    call_clip(c, name, 64));
	return STATUS_OK;
}

/* Gives u a new token, returned in the arena (NULL: already failed). */
static char *
user_new_token(struct call *c, Gloss__V1__UserRecord *u)
{
	char *token = call_alloc(c, AUTH_TOKEN_CHARS + 1);
	char *id = call_alloc(c, AUTH_ID_CHARS + 1);
	uint8_t *h = call_alloc(c, 32);

	if (token == NULL || id == NULL || h == NULL) {
		call_fail(c, REASON(OUT_OF_MEMORY), NULL, "out of memory");
		return NULL;
	}
	if (auth_token_new(token, id, h) != 0) {
		call_fail(c, REASON(INTERNAL_ERROR), NULL,
		    "the OS gave no random bytes for a token; nothing changed");
		return NULL;
	}
	u->user->token_id = id;
	u->secret_sha256.data = h;
	u->secret_sha256.len = 32;
	return token;
}

static enum status
user_put(struct call *c, Gloss__V1__UserRecord *u, const char *old_id)
{
	enum status s = store_user_put(c->txn, u, old_id);

	if (s != STATUS_OK)
		return call_error(c, s, "cannot store user '%s'",
		    call_clip(c, u->user->name, 64));
	return STATUS_OK;
}

static enum status
user_check_new(struct call *c, const Gloss__V1__CreateUserRequest *q)
{
	Gloss__V1__UserRecord *old;

	if (!valid_author(q->name))
		return call_fail(c, REASON(FIELD_INVALID), "name",
		    "a user name is an author: 1-%d bytes of UTF-8 without "
		    "control, bidirectional or line-separator characters",
		    VALID_AUTHOR_MAX);
	if (q->role <= GLOSS__V1__ROLE__ROLE_UNSPECIFIED ||
	    q->role > GLOSS__V1__ROLE__ROLE_ADMIN)
		return call_fail(c, REASON(FIELD_REQUIRED), "role",
		    "CreateUser needs a role: reader, annotator, reviewer, "
		    "curator or admin");
	if (store_user_get(c->txn, q->name, &c->allocator, &old) == STATUS_OK)
		return call_fail(c, REASON(USER_EXISTS), "name",
		    "user '%s' exists; gloss user rotate %s gives it a new "
		    "token",
		    call_clip(c, q->name, 64), call_clip(c, q->name, 64));
	return STATUS_OK;
}

enum status
user_create(struct call *c)
{
	const Gloss__V1__CreateUserRequest *q = c->req->create_user;
	Gloss__V1__CreateUserResponse *r = call_alloc(c, sizeof(*r));
	Gloss__V1__UserRecord *u = call_alloc(c, sizeof(*u));
	Gloss__V1__User *v = call_alloc(c, sizeof(*v));
	enum status s;

	if (r == NULL || u == NULL || v == NULL)
		return call_fail(c, REASON(OUT_OF_MEMORY), NULL,
		    "out of memory");
	if ((s = user_check_new(c, q)) != STATUS_OK)
		return s;
	gloss__v1__create_user_response__init(r);
	gloss__v1__user_record__init(u);
	gloss__v1__user__init(v);
	v->name = q->name;
	v->role = q->role;
	v->created_time_ms = c->now_ms;
	u->user = v;
	if ((r->token = user_new_token(c, u)) == NULL)
		return call_status(c);
	if ((s = user_put(c, u, NULL)) != STATUS_OK)
		return s;
	r->user = v;
	c->reply.body_case = GLOSS__V1__REPLY__BODY_CREATE_USER;
	c->reply.create_user = r;
	return STATUS_OK;
}

struct user_list {
	struct call *c;
	Gloss__V1__ListUsersResponse *r;
	size_t room;
};

static bool
user_list_one(void *arg, Gloss__V1__UserRecord *u)
{
	struct user_list *l = arg;
	Gloss__V1__User **grown;

	if (l->r->n_users == l->room) {
		l->room = l->room ? 2 * l->room : 16;
		grown = call_alloc(l->c, l->room * sizeof(*grown));
		if (grown == NULL)
			return false;
		if (l->r->n_users > 0)
			memcpy(grown, l->r->users,
			    l->r->n_users * sizeof(*grown));
		l->r->users = grown;
	}
	l->r->users[l->r->n_users++] = u->user;
	return true;
}

enum status
user_list(struct call *c)
{
	Gloss__V1__ListUsersResponse *r = call_alloc(c, sizeof(*r));
	struct user_list l = { c, r, 0 };
	enum status s;

	if (r == NULL)
		return call_fail(c, REASON(OUT_OF_MEMORY), NULL,
		    "out of memory");
	gloss__v1__list_users_response__init(r);
	if ((s = store_user_scan(c->txn, &c->allocator, user_list_one, &l)) !=
	    STATUS_OK)
		return call_error(c, s, "cannot read the users");
	if (call_status(c) != STATUS_OK)
		return call_status(c);
	c->reply.body_case = GLOSS__V1__REPLY__BODY_LIST_USERS;
	c->reply.list_users = r;
	return STATUS_OK;
}

enum status
user_revoke(struct call *c)
{
	Gloss__V1__RevokeUserResponse *r = call_alloc(c, sizeof(*r));
	Gloss__V1__UserRecord *u;
	enum status s;

	if (r == NULL)
		return call_fail(c, REASON(OUT_OF_MEMORY), NULL,
		    "out of memory");
	if ((s = user_find(c, c->req->revoke_user->name, &u)) != STATUS_OK)
		return s;
	/* Revoking twice keeps the first time: it is when access ended. */
	if (u->user->revoked_time_ms == 0) {
		u->user->revoked_time_ms = c->now_ms;
		if ((s = user_put(c, u, NULL)) != STATUS_OK)
			return s;
	}
	gloss__v1__revoke_user_response__init(r);
	r->user = u->user;
	c->reply.body_case = GLOSS__V1__REPLY__BODY_REVOKE_USER;
	c->reply.revoke_user = r;
	return STATUS_OK;
}

enum status
user_rotate_token(struct call *c)
{
	Gloss__V1__RotateUserTokenResponse *r = call_alloc(c, sizeof(*r));
	Gloss__V1__UserRecord *u;
	const char *old_id;
	enum status s;

	if (r == NULL)
		return call_fail(c, REASON(OUT_OF_MEMORY), NULL,
		    "out of memory");
	if ((s = user_find(c, c->req->rotate_user_token->name, &u)) !=
	    STATUS_OK)
		return s;
	gloss__v1__rotate_user_token_response__init(r);
	old_id = u->user->token_id;
	if ((r->token = user_new_token(c, u)) == NULL)
		return call_status(c);
	u->user->rotated_time_ms = c->now_ms;
	u->user->revoked_time_ms = 0;
	if ((s = user_put(c, u, old_id)) != STATUS_OK)
		return s;
	r->user = u->user;
	c->reply.body_case = GLOSS__V1__REPLY__BODY_ROTATE_USER_TOKEN;
	c->reply.rotate_user_token = r;
	return STATUS_OK;
}

/* The admin of user_init_admin(), in the write transaction t. */
static enum status
user_init_put(struct store_txn *t, const char *name, int64_t now,
    char token[AUTH_TOKEN_CHARS + 1])
{
	Gloss__V1__UserRecord u = GLOSS__V1__USER_RECORD__INIT, *old;
	Gloss__V1__User v = GLOSS__V1__USER__INIT;
	char id[AUTH_ID_CHARS + 1];
	uint8_t h[32];
	enum status s = store_user_get(t, name, NULL, &old);

	if (s == STATUS_OK) {
		protobuf_c_message_free_unpacked(&old->base, NULL);
		return STATUS_ALREADY_EXISTS;
	}
	if (s != STATUS_NOT_FOUND)
		return s;
	if (auth_token_new(token, id, h) != 0)
		return STATUS_INTERNAL;
	v.name = call_str(name);
	v.role = GLOSS__V1__ROLE__ROLE_ADMIN;
	v.token_id = id;
	v.created_time_ms = now;
	u.user = &v;
	u.secret_sha256.data = h;
	u.secret_sha256.len = sizeof(h);
	return store_user_put(t, &u, NULL);
}

enum status
user_init_admin(struct store *st, const char *name,
    char token[AUTH_TOKEN_CHARS + 1])
{
	struct store_txn *batch, *t;
	bool map_full;
	enum status s;

	if (!valid_author(name))
		return STATUS_INVALID_ARGUMENT;
	if ((s = store_batch_begin(st, &batch)) != STATUS_OK)
		return s;
	if ((s = store_write_begin(batch, &t)) != STATUS_OK) {
		store_batch_abort(batch);
		return s;
	}
	if ((s = user_init_put(t, name, call_now_ms(), token)) != STATUS_OK) {
		store_write_abort(t);
		store_batch_abort(batch);
		return s;
	}
	if ((s = store_write_commit(t)) != STATUS_OK) {
		store_batch_abort(batch);
		return s;
	}
	return store_batch_commit(batch, &map_full);
}
