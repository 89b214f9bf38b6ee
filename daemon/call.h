/*
 * call: one request in flight: its unpacked request, the reply being built,
 * the store transaction it reads or writes through, and the arena that owns
 * every allocation made for it.  The arena is freed in one go by call_fini()
 * after the reply is packed, so handlers free nothing.
 */
#ifndef GLOSS_CALL_H
#define GLOSS_CALL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <protobuf-c/protobuf-c.h>

#include "gloss/v1/gloss.pb-c.h"
#include "reason.h"
#include "status.h"

struct store;
struct store_txn;
struct writer;

/*
 * Who sent a request, as the connection it came on says (the server fills
 * it at accept; the fuzz target and tests make their own).  What the
 * request itself claims (its author, its token) is not here.
 */
struct call_peer {
	bool ipc;      /* a Unix-domain socket (ipc://); else TCP */
	bool tls;      /* the connection is TLS (tls+tcp://) */
	bool loopback; /* TCP from this machine's loopback address */
	bool has_uid;  /* ipc: SO_PEERCRED gave the peer's credentials */
	uid_t uid;
	pid_t pid;
	/* For log lines: "1.2.3.4:5678", "[::1]:5678", "ipc, pid 42". */
	char addr[64];
	/* The host alone ("1.2.3.4", "::1"; "uid 1000" on ipc): what limits
	 * per peer are kept by. */
	char host[48];
	/* A TLS peer's verified client certificate: its subject's CN; "" if
	 * it showed none. */
	char cert_subject[128];
};

/* The daemon as handlers see it: set up by main before serving, read-only
 * afterwards except for the atomic counters. */
struct call_env {
	struct store *store;
	struct writer *writer; /* where writes go (writer.h) */
	const char *data_dir;
	const char *const *listen;
	size_t n_listen;
	unsigned workers;
	size_t max_request_bytes;
	size_t max_article_bytes;
	size_t max_reply_bytes;
	int64_t start_time_ms;
	uint8_t page_secret[32]; /* keys the HMAC of page tokens */
	unsigned max_connections;
	/* The network's security (server.c, server_tls.c): tls+tcp://'s
	 * certificate, key and the CA of required client certificates (NULL:
	 * none); whether tcp:// may listen beyond loopback; the ipc socket's
	 * mode. */
	const char *tls_cert, *tls_key, *tls_client_ca;
	bool insecure;
	unsigned socket_mode;
	/* Kept by the server: connections open, and refused over the cap. */
	atomic_size_t connections;
	atomic_uint_fast64_t connections_refused;
	atomic_uint_fast64_t requests_served;
	atomic_uint_fast64_t writes_committed;
	atomic_uint_fast64_t commits;
	/* Called by the writer after each durable commit (set by server). */
	void (*committed)(void *arg);
	void *committed_arg;
};

/* Who the caller is, as auth_identify() decided it (auth.h). */
struct call_caller {
	const char *name;
	Gloss__V1__Role role;
	const char *how;      /* "token", "ipc" or "none" (tokens off) */
	const char *token_id; /* how == "token": the token's public id */
	/* An admin writing in another author's name: the admin (Change's
	 * acting_admin); NULL otherwise. */
	const char *acting_admin;
};

struct call_block;

struct call {
	struct call_env *env;
	const struct call_peer *peer; /* who sent it (never NULL) */
	struct call_caller caller;    /* who that is (auth.h) */
	Gloss__V1__Request *req;      /* owned by the arena */
	Gloss__V1__Reply reply;
	Gloss__V1__Status status;
	struct store_txn *txn; /* set by server (reads) or writer (writes) */
	int64_t now_ms;        /* wall-clock time the handler started */
	int64_t deadline_ms;   /* on call_mono_ms()'s clock; 0: none */
	uint8_t body_hash[32]; /* SHA-256 of the packed method arm (writes) */
	/* Long polls: the server allows a handler to ask, by setting park_ms,
	 * that the request be served again on the next commit or after
	 * park_ms, instead of answered now. */
	bool may_park;
	uint32_t park_ms;
	/* The arena: a list of blocks, and a byte budget that bounds what one
	 * request can make glossd allocate. */
	struct call_block *blocks;
	size_t allocated;
	size_t budget;
	ProtobufCAllocator allocator; /* protobuf-c over the arena */
	/* Where an error goes when the arena is spent, so that running out
	 * of budget is still reported in words (truncated if need be). */
	char spare_message[256];
	char spare_field[64];
	Gloss__V1__FieldViolation spare_violation;
	Gloss__V1__FieldViolation *spare_violations[1];
};

/*
 * protobuf-c types string fields `char *`, even in messages that are only
 * packed and never written through.  This hands such a field a const
 * string; a cast would hide real const mistakes from -Wcast-qual.
 */
static inline char *
call_str(const char *s)
{
	union {
		const char *c;
		char *m;
	} u = { .c = s };
	return u.m;
}

/* Prepares *c for one request, with an arena of at most `budget` bytes. */
void call_init(struct call *c, struct call_env *env, size_t budget);

/* Frees everything the call's arena holds, the unpacked request included. */
void call_fini(struct call *c);

/*
 * `n` bytes, aligned for any type, owned by the arena; NULL once the budget
 * is spent (the caller then answers RESOURCE_EXHAUSTED).
 */
void *call_alloc(struct call *c, size_t n);

/*
 * The arena is a stack: call_release(c, call_mark(c)) frees everything
 * allocated after the mark.  Scans use it to drop each record they read but
 * do not keep, so that what a request holds follows its answer, not the
 * number of records it looked at.
 */
struct call_mark {
	struct call_block *block;
	size_t used, allocated;
};

struct call_mark call_mark(const struct call *c);
void call_release(struct call *c, struct call_mark m);

/*
 * s as a message may quote it: s itself if it is at most max bytes, else
 * its first characters cut by text_clip() and "…", in the arena ("…" alone
 * when the arena is spent).  Every message that quotes what a client sent
 * goes through it, never through printf's "%.Ns", which cuts inside a
 * UTF-8 sequence.
 */
const char *call_clip(struct call *c, const char *s, size_t max);

/* Copies into the arena; NULL when out of budget. */
char *call_strndup(struct call *c, const char *s, size_t n);
char *call_printf(struct call *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Sets the reply's status (code `s`, message from fmt) and returns `s`, so
 * that a handler reports and returns in one statement:
 *     return call_error(c, STATUS_NOT_FOUND, "no article '%s'", id);
 * The message is always valid UTF-8: a byte that would break it becomes
 * U+FFFD (quote client text with call_clip(), so that none does).
 */
enum status call_error(struct call *c, enum status s, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* As call_error(), naming the offending field in the status's details. */
enum status call_field_error(struct call *c, enum status s, const char *field,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/*
 * Both set the status's reason from the code alone (reason_of_status():
 * STORAGE_FULL or OUT_OF_MEMORY, DATA_DAMAGED, ...), which is right for a
 * store's failure.  A refusal with a cause of its own says which:
 *     return call_fail(c, REASON(ARTICLE_NOT_FOUND), "id",
 *         "article '%s' not found", id);
 * sets the reason, the code that goes with it (reason.h), the message and,
 * unless field is NULL, the field, and returns the code.
 */
enum status call_fail(struct call *c, Gloss__V1__Reason r, const char *field,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Longest status message, in bytes: longer ones are cut by text_clip(). */
#define CALL_MESSAGE_MAX 4096

/*
 * Replaces the status's message (and its field's description) with m,
 * made valid UTF-8 and cut to CALL_MESSAGE_MAX; the code and reason stay.
 */
void call_set_message(struct call *c, const char *m);

/*
 * Adds key: value (printf) to the status's metadata, the facts a program
 * reads (docs/protocol.md lists each reason's keys).  Nothing is added
 * when the arena is spent: the message still says it all.
 */
void call_meta(struct call *c, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Puts the record as it stands (its revision, etag, state, and who made
 * it when) in the status of the refusal just set, as Status.current, and
 * returns the status's code: for STALE_ETAG and the *_DELETED reasons.
 */
enum status call_current_article(struct call *c, const Gloss__V1__Article *a);
enum status call_current_annotation(struct call *c,
    const Gloss__V1__Annotation *a);

/* ARTICLE_NOT_FOUND: "article 'id' not found", naming field (if not NULL),
 * with id in the metadata; returns NOT_FOUND. */
enum status call_article_not_found(struct call *c, const char *field,
    const char *id);

/* The reply's status code so far (OK until an error is set). */
enum status call_status(const struct call *c);

/* Clears the reply (status and body), as before the handler ran. */
void call_reset_reply(struct call *c);

/* Wall-clock time in milliseconds since the Unix epoch. */
int64_t call_now_ms(void);

/* Monotonic time in milliseconds, for deadlines. */
int64_t call_mono_ms(void);

#endif
