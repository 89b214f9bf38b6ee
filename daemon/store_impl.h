/*
 * store_impl: what the store's own files (store.c: the put path, articles,
 * labels, the feed, requests; store_annotation.c: annotations and their
 * indexes; store_env.c: the environment, transactions and storage faults;
 * store_import.c: the state of a restore) share.  Never included outside
 * store*.c: it is the only header that includes <lmdb.h>.
 */
#ifndef GLOSS_STORE_IMPL_H
#define GLOSS_STORE_IMPL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include <lmdb.h>

#include "store.h"

/* The named databases, in one list so that opening and stats agree. */
#define STORE_DBS(X)                         \
	X(META, "meta")                      \
	X(ARTICLES, "articles")              \
	X(BY_LANG, "article_lang")           \
	X(BY_GROUP, "article_group")         \
	X(CHANGES, "changes")                \
	X(REQUESTS, "requests")              \
	X(ANNOTATIONS, "annotations")        \
	X(REVISIONS, "annotation_revisions") \
	X(ANN_INDEX, "annotation_index")     \
	X(LABELS, "labels")                  \
	X(USERS, "users")                    \
	X(USER_TOKENS, "user_tokens")

enum store_db {
#define X(id, name) STORE_DB_##id,
	STORE_DBS(X)
#undef X
	    STORE_DB_N
};

extern const char *const store_db_names[STORE_DB_N];

struct store {
	MDB_env *env;
	MDB_dbi dbi[STORE_DB_N];
	char *dir;
	int lock_fd;
	size_t map_size;
	/* Readers hold it shared for the life of their transaction;
	 * store_grow() holds it exclusively, as mdb_env_set_mapsize() needs no
	 * transaction open in the process and LMDB does not check. */
	pthread_rwlock_t resize;
	/* Set when a failed grow left no environment that could be opened
	 * again: every transaction is then refused (UNAVAILABLE), and no
	 * LMDB call is made on st->env. */
	bool broken;
	uint8_t secret[32];
	atomic_uint_fast64_t records_read;
};

struct store_txn {
	struct store *st;
	MDB_txn *txn;
	struct store_txn *batch; /* for a write: its batch; NULL otherwise */
	bool map_full;           /* on a batch: a write hit MDB_MAP_FULL */
	bool read;
	/* On a batch: bytes its writes put, to judge a failed commit by. */
	size_t bytes;
};

/*
 * The store's own return codes beside LMDB's and errno values, for what
 * LMDB never says: a record over its database's limit, and a key that
 * cannot be built (over MDB_MAXKEYSIZE, or empty).  Outside LMDB's range
 * (MDB_KEYEXIST .. MDB_LAST_ERRCODE) and errno's (positive).
 */
#define STORE_TOO_BIG (-1)
#define STORE_BAD_KEY (-2)

/* The enum status of an LMDB, errno or STORE_* code. */
enum status store_status(int rc);

/* Records that a write failed for want of map space, for the writer; returns
 * rc. */
int store_note(struct store_txn *t, int rc);

/* LMDB takes keys as `void *` but never writes through them. */
void *store_unconst(const void *p);

/* Packs m straight into the page LMDB reserves for it; STORE_TOO_BIG if
 * it is over db's limit, STORE_BAD_KEY if the key is empty or too long. */
int store_put_message(struct store_txn *t, enum store_db db, const void *k,
    size_t klen, const ProtobufCMessage *m, unsigned flags);

/* Puts v[0..n) as it is. */
int store_put_raw(struct store_txn *t, enum store_db db, const void *k,
    size_t klen, const void *v, size_t n, unsigned flags);

/* Puts an empty value (an index entry). */
int store_put_empty(struct store_txn *t, enum store_db db, const void *k,
    size_t klen);

/*
 * Unpacks a record with `alloc`.  If it does not unpack, it is unpacked
 * again with malloc to tell a spent request budget (RESOURCE_EXHAUSTED)
 * from a damaged record (DATA_LOSS).
 */
enum status store_unpack(const MDB_val *v, const ProtobufCMessageDescriptor *d,
    ProtobufCAllocator *alloc, ProtobufCMessage **out);

/* The record under key k of db; INVALID_ARGUMENT if k cannot be a key. */
enum status store_get_message(struct store_txn *t, enum store_db db,
    const void *k, size_t klen, const ProtobufCMessageDescriptor *d,
    ProtobufCAllocator *alloc, ProtobufCMessage **out);

/*
 * A cursor walk over db from key start[0..n) for as long as keys begin with
 * start[0..prefix): visit() sees each entry, clears *go_on to stop early,
 * and returns anything but STATUS_OK to fail the walk.
 */
struct store_walk {
	struct store_txn *t;
	enum store_db db;
	const uint8_t *start;
	size_t n, prefix;
	enum status (*visit)(struct store_walk *w, const MDB_val *k,
	    const MDB_val *v, bool *go_on);
	ProtobufCAllocator *alloc;
	store_annotation_fn fn;
	void *arg;
};

enum status store_walk(struct store_walk *w);

/* Whether a failed commit of `bytes` written is the disk (or the file size
 * limit) running out rather than an I/O fault; see store_env.c. */
bool store_out_of_space(const struct store *st, size_t bytes);

#endif
