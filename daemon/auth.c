/*
 * auth: the caller of each request and what it may do (auth.h).  The
 * table of failed tokens lives here too: it is what makes a guessing loop
 * slow, and only this module sees a token.  It counts failures per peer
 * host and token id (tokens whose id is no user's share one count per
 * host), so a loop of guesses slows the guesser down, not the colleagues
 * who share its address with tokens of their own.
 */
#include <pthread.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "auth.h"
#include "hash.h"
#include "log.h"
#include "store.h"

#define AUTH_HOSTS     256 /* host/id pairs remembered; least recent first */
#define AUTH_FORGET_MS (10 * 60 * 1000)

#define ROLE(r) GLOSS__V1__ROLE__ROLE_##r

struct auth_host {
	char host[48 + 1 + AUTH_ID_CHARS + 1]; /* "HOST ID", "HOST ?" */
	unsigned failures;
	int64_t last_ms, until_ms; /* call_mono_ms(); until: refused before */
};

static pthread_mutex_t auth_lock = PTHREAD_MUTEX_INITIALIZER;
static struct auth_host auth_hosts[AUTH_HOSTS];

/* ------------------------------------------------------------ rate limit */

/* The slot of host, or the least recently used one, under auth_lock. */
static struct auth_host *
auth_host_slot(const char *host, int64_t now)
{
	struct auth_host *h = &auth_hosts[0];

	for (size_t i = 0; i < AUTH_HOSTS; i++) {
		if (strcmp(auth_hosts[i].host, host) == 0) {
			h = &auth_hosts[i];
			if (now - h->last_ms > AUTH_FORGET_MS)
				h->failures = 0, h->until_ms = 0;
			return h;
		}
		if (auth_hosts[i].last_ms < h->last_ms)
			h = &auth_hosts[i];
	}
	memset(h, 0, sizeof(*h));
	snprintf(h->host, sizeof(h->host), "%s", host);
	return h;
}

/* Seconds the host must still wait before its next token is looked at. */
static int64_t
auth_wait_s(const char *host)
{
	int64_t now = call_mono_ms(), wait = 0;

	pthread_mutex_lock(&auth_lock);
	struct auth_host *h = auth_host_slot(host, now);
	if (h->until_ms > now)
		wait = (h->until_ms - now + 999) / 1000;
	pthread_mutex_unlock(&auth_lock);
	return wait;
}

static int
auth_min(int a, int b)
{
	return a < b ? a : b;
}

/* Counts a failure (or, ok, clears them); returns the failures so far. */
static unsigned
auth_note(const char *host, bool ok)
{
	int64_t now = call_mono_ms();
	unsigned n, over;

	pthread_mutex_lock(&auth_lock);
	struct auth_host *h = auth_host_slot(host, now);
	h->last_ms = now;
	h->failures = ok ? 0 : h->failures + 1;
	n = h->failures;
	/* Each failure past the free ones doubles the wait: 1 s, 2 s, ... */
	over = n > AUTH_FREE_FAILURES ? n - AUTH_FREE_FAILURES : 0;
	h->until_ms = 0;
	if (over > 0)
		h->until_ms = now + 1000 * (over > 6 ? AUTH_MAX_WAIT_S
		                                     : auth_min(1 << (over - 1),
		                                           AUTH_MAX_WAIT_S));
	pthread_mutex_unlock(&auth_lock);
	return n;
}

/* ------------------------------------------------------------ tokens */

static bool
auth_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strchr("0123456789abcdef", s[i]) == NULL || s[i] == '\0')
			return false;
	return true;
}

/* Splits token into its id (copied) and secret; false if not of the form. */
static bool
auth_token_split(const char *token, char id[AUTH_ID_CHARS + 1],
    const char **secret)
{
	if (strlen(token) != AUTH_TOKEN_CHARS || strncmp(token, "gls_", 4) ||
	    token[4 + AUTH_ID_CHARS] != '_' ||
	    !auth_hex(token + 4, AUTH_ID_CHARS) ||
	    !auth_hex(token + 5 + AUTH_ID_CHARS, AUTH_SECRET_CHARS))
		return false;
	memcpy(id, token + 4, AUTH_ID_CHARS);
	id[AUTH_ID_CHARS] = '\0';
	*secret = token + 5 + AUTH_ID_CHARS;
	return true;
}

/* Compares in time that does not depend on where a and b differ. */
static bool
auth_equal(const uint8_t *a, const uint8_t *b, size_t n)
{
	volatile uint8_t d = 0;

	for (size_t i = 0; i < n; i++)
		d |= a[i] ^ b[i];
	return d == 0;
}

int
auth_token_new(char token[AUTH_TOKEN_CHARS + 1], char id[AUTH_ID_CHARS + 1],
    uint8_t sha256[32])
{
	uint8_t r[AUTH_ID_CHARS / 2 + AUTH_SECRET_CHARS / 2];

	if (hash_random(r, sizeof(r)) != 0)
		return -1;
	memcpy(token, "gls_", 4);
	hash_hex(r, AUTH_ID_CHARS / 2, token + 4);
	token[4 + AUTH_ID_CHARS] = '_';
	hash_hex(r + AUTH_ID_CHARS / 2, AUTH_SECRET_CHARS / 2,
	    token + 5 + AUTH_ID_CHARS);
	memcpy(id, token + 4, AUTH_ID_CHARS);
	id[AUTH_ID_CHARS] = '\0';
	hash_sha256(token + 5 + AUTH_ID_CHARS, AUTH_SECRET_CHARS, sha256);
	return 0;
}

Gloss__V1__Role
auth_role_parse(const char *name)
{
	if (strncmp(name, "ROLE_", 5) == 0 || strncmp(name, "role_", 5) == 0)
		name += 5;
	for (int r = ROLE(READER); r <= ROLE(ADMIN); r++)
		if (strcasecmp(name, method_role_name((Gloss__V1__Role)r)) == 0)
			return (Gloss__V1__Role)r;
	return ROLE(UNSPECIFIED);
}

/* The user whose token has id; false if none (or the store failed). */
static bool
auth_token_find(struct call *c, const char *id, Gloss__V1__UserRecord **u)
{
	struct store_txn *t;
	enum status s;

	if (store_read_begin(c->env->store, &t) != STATUS_OK)
		return false;
	s = store_user_by_token(t, id, &c->allocator, u);
	store_read_end(t);
	return s == STATUS_OK;
}

/* Why u's token is not taken with this secret, or NULL if it is. */
static const char *
auth_token_check(const Gloss__V1__UserRecord *u, const char *secret)
{
	uint8_t h[32];

	hash_sha256(secret, AUTH_SECRET_CHARS, h);
	if (u->secret_sha256.len != sizeof(h) ||
	    !auth_equal(u->secret_sha256.data, h, sizeof(h)))
		return "wrong secret";
	if (u->user->revoked_time_ms != 0)
		return "revoked";
	return NULL;
}

static enum status
auth_refuse_token(struct call *c, const char *key, const char *id,
    const char *why)
{
	unsigned n = auth_note(key, false);

	/* Never the secret: only the id, which names the token in a log. */
	log_warn("%s: token %s%s refused (%s; %u failed from %s)",
	    c->peer->addr, id[0] ? "gls_" : "", id[0] ? id : "(malformed)", why,
	    n, c->peer->host);
	return call_fail(c, REASON(TOKEN_INVALID), "token",
	    "the token is not valid here (unknown, revoked or mistyped); ask "
	    "an admin for a new one (gloss user rotate NAME) and set "
	    "GLOSS_TOKEN or the token file");
}

static enum status
auth_by_token(struct call *c)
{
	char id[AUTH_ID_CHARS + 1] = "";
	char key[sizeof(auth_hosts[0].host)];
	const char *secret, *why = "not of the form gls_<id>_<secret>";
	Gloss__V1__UserRecord *u = NULL;
	bool known;
	int64_t wait;

	known = auth_token_split(c->req->token, id, &secret) &&
	        auth_token_find(c, id, &u);
	snprintf(key, sizeof(key), "%s %s", c->peer->host, known ? id : "?");
	if ((wait = auth_wait_s(key)) > 0) {
		call_fail(c, REASON(AUTH_RATE_LIMITED), NULL,
		    "too many wrong tokens came from %s; retry in %lld s",
		    c->peer->host, (long long)wait);
		call_meta(c, "retry_after_s", "%lld", (long long)wait);
		return STATUS_RESOURCE_EXHAUSTED;
	}
	if (known)
		why = auth_token_check(u, secret);
	else if (id[0] != '\0')
		why = "unknown token id";
	if (why != NULL)
		return auth_refuse_token(c, key, id, why);
	auth_note(key, true);
	c->caller.name = u->user->name;
	c->caller.role = u->user->role;
	c->caller.how = "token";
	c->caller.token_id = u->user->token_id;
	return STATUS_OK;
}

/* ------------------------------------------------------------ who */

/* The OS user name of uid, in the arena; "uid N" if it has none. */
static const char *
auth_os_user(struct call *c, uid_t uid)
{
	struct passwd pw, *res = NULL;
	char buf[4096];

	if (getpwuid_r(uid, &pw, buf, sizeof(buf), &res) == 0 && res != NULL)
		return call_strndup(c, pw.pw_name, strlen(pw.pw_name));
	return call_printf(c, "uid %lu", (unsigned long)uid);
}

/* The role stored for an OS user who is not glossd's own: ANNOTATOR when
 * none is, none at all if that user was revoked. */
static Gloss__V1__Role
auth_stored_role(struct call *c, const char *name)
{
	Gloss__V1__UserRecord *u;
	struct store_txn *t;
	enum status s;

	if (store_read_begin(c->env->store, &t) != STATUS_OK)
		return ROLE(UNSPECIFIED);
	s = store_user_get(t, name, &c->allocator, &u);
	store_read_end(t);
	if (s == STATUS_NOT_FOUND)
		return ROLE(ANNOTATOR);
	if (s != STATUS_OK || u->user->revoked_time_ms != 0)
		return ROLE(UNSPECIFIED);
	return u->user->role;
}

static enum status
auth_by_uid(struct call *c)
{
	const char *name = auth_os_user(c, c->peer->uid);

	if (name == NULL)
		return call_fail(c, REASON(OUT_OF_MEMORY), NULL,
		    "out of memory");
	c->caller.name = name;
	c->caller.how = "ipc";
	c->caller.role =
	    c->peer->uid == geteuid() ? ROLE(ADMIN) : auth_stored_role(c, name);
	return STATUS_OK;
}

/* tcp without a token: the declared author while no user exists, from
 * loopback only; a peer beyond it (a listener on 0.0.0.0, --insecure or
 * TLS) gets nothing without a token, users or not. */
static enum status
auth_tokens_off(struct call *c)
{
	struct store_txn *t;
	bool any = true;

	if (!c->peer->ipc && !c->peer->loopback)
		return call_fail(c, REASON(TOKEN_REQUIRED), "token",
		    "glossd takes requests from %s only with a token: set "
		    "GLOSS_TOKEN or the token file (~/.config/gloss/token) to "
		    "the token an admin gave you (on glossd's machine, glossd "
		    "--init-admin NAME makes the first)",
		    c->peer->host);
	if (store_read_begin(c->env->store, &t) == STATUS_OK) {
		store_user_any(t, &any);
		store_read_end(t);
	}
	if (any)
		return call_fail(c, REASON(TOKEN_REQUIRED), "token",
		    "this glossd requires a token on %s: set GLOSS_TOKEN or "
		    "the token file (~/.config/gloss/token) to the token an "
		    "admin gave you (gloss user add NAME --role ROLE)",
		    c->peer->ipc ? "this socket" : "the network");
	c->caller.name =
	    c->req->author[0] != '\0' ? c->req->author : "anonymous";
	c->caller.role = ROLE(ADMIN);
	c->caller.how = "none";
	return STATUS_OK;
}

enum status
auth_identify(struct call *c)
{
	memset(&c->caller, 0, sizeof(c->caller));
	if (c->req->token[0] != '\0')
		return auth_by_token(c);
	if (c->peer->ipc && c->peer->has_uid)
		return auth_by_uid(c);
	return auth_tokens_off(c);
}

/* ------------------------------------------------------------ may it */

static const char *
auth_role(Gloss__V1__Role r)
{
	return method_role_name(r);
}

enum status
auth_permit(struct call *c, const struct method *m)
{
	const char *who = c->caller.name;

	if ((m->flags & METHOD_PROVEN) && strcmp(c->caller.how, "none") == 0)
		return call_fail(c, REASON(ROLE_INSUFFICIENT), NULL,
		    "%s needs a proven admin: run it on glossd's machine over "
		    "its local socket as glossd's OS user, or with an admin's "
		    "token (glossd --init-admin NAME makes the first); a TCP "
		    "peer without a token is nobody in particular",
		    m->name);
	if (c->caller.role < m->role)
		return call_fail(c, REASON(ROLE_INSUFFICIENT), NULL,
		    "%s needs the %s role; %s's role is %s. An admin can give "
		    "you a token of a user with that role (gloss user add NAME "
		    "--role %s)",
		    m->name, auth_role(m->role), call_clip(c, who, 64),
		    c->caller.role == ROLE(UNSPECIFIED)
		        ? "none (revoked)"
		        : auth_role(c->caller.role),
		    auth_role(m->role));
	if (c->req->author[0] == '\0') {
		c->req->author = call_str(who);
		return STATUS_OK;
	}
	if (strcmp(c->req->author, who) == 0 || !(m->flags & METHOD_WRITE))
		return STATUS_OK;
	if (c->caller.role < ROLE(ADMIN))
		return call_fail(c, REASON(AUTHOR_NOT_CALLER), "author",
		    "you are %s and cannot write as '%s': leave author empty "
		    "(or --as out); only an admin may write in another's name",
		    call_clip(c, who, 64), call_clip(c, c->req->author, 64));
	c->caller.acting_admin = who;
	return STATUS_OK;
}

enum status
auth_may_change(struct call *c, uint64_t id, const char *owner)
{
	if (strcmp(owner, c->req->author) == 0 ||
	    c->caller.role >= ROLE(REVIEWER))
		return STATUS_OK;
	call_fail(c, REASON(ANNOTATION_NOT_OWNED), NULL,
	    "annotation %llu is %s's; an annotator changes only their own "
	    "(a reviewer or above may change anyone's)",
	    (unsigned long long)id, call_clip(c, owner, 64));
	call_meta(c, "owner", "%s", owner);
	return STATUS_PERMISSION_DENIED;
}

bool
auth_sees_request_ids(const struct call *c, const char *author)
{
	return c->caller.role >= ROLE(ADMIN) ||
	       (c->caller.name != NULL && strcmp(author, c->caller.name) == 0);
}
