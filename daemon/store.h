/*
 * store: the data folder and the LMDB environment in it; the only module
 * that includes <lmdb.h>.  Records are packed gloss.v1 messages; keys are
 * spelt by key.h.  No LMDB error code or LMDB-owned memory leaves this
 * module: functions return an enum status, and records are unpacked into the
 * caller's allocator (a call's arena) before the transaction ends.
 *
 * Threads: any number of readers, each with its own read transaction for one
 * request; one writer thread (writer.c), which opens a batch transaction and
 * a child transaction per write inside it, so that one write can fail
 * without undoing the others (group commit).
 */
#ifndef GLOSS_STORE_H
#define GLOSS_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "gloss/v1/gloss.pb-c.h"
#include "status.h"

#define STORE_SCHEMA 1

struct store;
struct store_txn;

struct store_options {
	const char *dir; /* created (0700) if missing */
	size_t map_size; /* initial map in bytes; 0: STORE_MAP_DEFAULT */
};

#define STORE_MAP_DEFAULT ((size_t)1 << 30)

/*
 * Record bounds.  Whatever the store keeps must fit the reply that reads it
 * back: GetArticle holds an article whole, GetAnnotation an annotation, and
 * a list page always holds its first record.  Those replies are at most
 * STORE_REPLY_MAX (docs/protocol.md); STORE_RECORD_MAX leaves 8 KiB of it for
 * the envelope and what a list puts around a record (a Change, a page
 * token).  Every put checks it (STORE_TOO_BIG: RESOURCE_EXHAUSTED), so no
 * record that cannot be read back is ever committed.
 */
#define STORE_REPLY_MAX  ((size_t)1 << 20)
#define STORE_RECORD_MAX (STORE_REPLY_MAX - 8192)
/* What a new record or an update may take: the rest is kept for its
 * tombstone (the deleter, times, a longer etag), so that whatever was stored
 * can be deleted. */
#define STORE_RECORD_NEW_MAX (STORE_RECORD_MAX - 1024)
/* An applied request holds the reply it got (at most STORE_REPLY_MAX, which
 * the writer checks before committing) and its hash. */
#define STORE_REQUEST_MAX (STORE_REPLY_MAX + 1024)
/* The meta database: the store's own values and an import's pieces of an
 * unfinished line (at most a request's data each). */
#define STORE_META_MAX (STORE_REPLY_MAX + 1024)

/*
 * Opens (creating if needed) the data folder and its environment, and takes
 * the folder's lock so that no second glossd opens it.  Clears reader slots
 * left by dead processes.  On failure writes a sentence for a person into
 * why[0..whylen) and returns: UNAVAILABLE if another process holds the
 * folder, FAILED_PRECONDITION if the data was written by a newer glossd,
 * DATA_LOSS if LMDB finds it corrupt, INTERNAL otherwise.
 */
enum status store_open(const struct store_options *opt, struct store **out,
    char *why, size_t whylen);

/* Closes the environment and releases the lock.  No transaction may be open. */
void store_close(struct store *st);

/* --- transactions ---------------------------------------------------- */

/* A read snapshot for one request, ended by store_read_end(). */
enum status store_read_begin(struct store *st, struct store_txn **out);
void store_read_end(struct store_txn *t);

/*
 * The writer's batch: a write transaction that children (one per write)
 * commit into.  store_batch_commit() makes all of them durable at once, or
 * none (RESOURCE_EXHAUSTED on a full map or disk; *map_full tells the map
 * from the disk).  Either frees the batch.
 */
enum status store_batch_begin(struct store *st, struct store_txn **out);
enum status store_batch_commit(struct store_txn *batch, bool *map_full);
void store_batch_abort(struct store_txn *batch);

/* True once any write in the batch failed for want of map space: the batch
 * must then be aborted, store_grow() called, and the batch retried. */
bool store_batch_map_full(const struct store_txn *batch);

/* One write inside a batch; commit merges it into the batch, abort drops it. */
enum status store_write_begin(struct store_txn *batch, struct store_txn **out);
enum status store_write_commit(struct store_txn *t);
void store_write_abort(struct store_txn *t);

/* Doubles the map.  Call with no transaction of this thread open; waits
 * until readers have ended theirs. */
enum status store_grow(struct store *st);

/* --- articles -------------------------------------------------------- */

/* The article `id`, unpacked with `alloc`.  NOT_FOUND if there is none;
 * INVALID_ARGUMENT if id cannot be a key (empty, over 511 bytes). */
enum status store_article_get(struct store_txn *t, const char *id,
    ProtobufCAllocator *alloc, Gloss__V1__Article **out);

/* As store_article_get(), without the text ("" in *out): the text is
 * skipped in the packed record, so it is never unpacked. */
enum status store_article_head(struct store_txn *t, const char *id,
    ProtobufCAllocator *alloc, Gloss__V1__Article **out);

/* Writes `a` under a->id with its language and group index entries.
 * RESOURCE_EXHAUSTED if the record is over STORE_RECORD_MAX;
 * INVALID_ARGUMENT if a key cannot be built. */
enum status store_article_put(struct store_txn *t, const Gloss__V1__Article *a);

struct store_article_filter {
	const char *language; /* NULL or "" for any */
	const char *group;
	const char *after; /* start after this id; NULL or "" from the first */
};

/* Called for each article in id order; returns true to go on. */
typedef bool (*store_article_fn)(void *arg, Gloss__V1__Article *a);

/*
 * Visits the articles that pass `f`, through the index that fits it.  Each
 * article handed to fn is the caller's to free with `alloc`; those skipped
 * are freed here.  INVALID_ARGUMENT if a filter cannot be a key (over 511
 * bytes): it is refused, never dropped.
 */
enum status store_article_scan(struct store_txn *t,
    const struct store_article_filter *f, ProtobufCAllocator *alloc,
    store_article_fn fn, void *arg);

/* As store_article_scan(), each article without its text (as
 * store_article_head()): a list of long articles never holds their texts. */
enum status store_article_scan_heads(struct store_txn *t,
    const struct store_article_filter *f, ProtobufCAllocator *alloc,
    store_article_fn fn, void *arg);

/* --- annotations ----------------------------------------------------- */

/* The annotation `id` as it is now; NOT_FOUND if there is none. */
enum status store_annotation_get(struct store_txn *t, uint64_t id,
    ProtobufCAllocator *alloc, Gloss__V1__Annotation **out);

/* The id the next new annotation gets: one past the largest yet. */
enum status store_annotation_next_id(struct store_txn *t, uint64_t *id);

/*
 * Stores `a` as annotation a->id's current state and as its revision
 * a->revision in the history, and moves its index entries from what `old`
 * (NULL for a new annotation) was indexed under to what `a` is.
 * RESOURCE_EXHAUSTED if the record is over STORE_RECORD_MAX;
 * INVALID_ARGUMENT if an index key cannot be built.
 */
enum status store_annotation_put(struct store_txn *t,
    const Gloss__V1__Annotation *old, const Gloss__V1__Annotation *a);

/* Revision `rev` of annotation `id`; NOT_FOUND if there is none. */
enum status store_revision_get(struct store_txn *t, uint64_t id, uint64_t rev,
    ProtobufCAllocator *alloc, Gloss__V1__Annotation **out);

/* The secondary indexes of annotations: each maps a value to the ids of
 * the annotations that have it. */
enum store_index {
	STORE_INDEX_ALL = 0,       /* no index: every annotation, in id order */
	STORE_INDEX_ARTICLE = 'A', /* article_id */
	STORE_INDEX_GROUP = 'G',   /* the article's translation group */
	STORE_INDEX_LABEL = 'L',   /* entity label, verdict or MQM category */
	STORE_INDEX_KB = 'K',      /* entity kb_id */
	STORE_INDEX_AUTHOR = 'U',  /* created_by */
};

/* The value annotation `a` is indexed under in index `ix` ("" if none). */
const char *store_annotation_term(const Gloss__V1__Annotation *a,
    enum store_index ix);

/* Called for each annotation of a scan, in id order; returns true to go on. */
typedef bool (*store_annotation_fn)(void *arg, Gloss__V1__Annotation *a);

/* Visits the annotations with `value` in index `ix` (every annotation for
 * STORE_INDEX_ALL) whose id is greater than `after`.  INVALID_ARGUMENT if
 * value is too long to be in a key. */
enum status store_annotation_scan(struct store_txn *t, enum store_index ix,
    const char *value, uint64_t after, ProtobufCAllocator *alloc,
    store_annotation_fn fn, void *arg);

/* One condition of a join: annotations indexed under value in ix. */
struct store_term {
	enum store_index ix;
	const char *value;
};

/*
 * Visits, in id order, the annotations with id > after that are in every
 * one of terms[0..n) (n >= 1), by a leapfrog join of the index postings:
 * its cost follows the shortest posting and the answer, and only matching
 * annotation records are read.
 */
enum status store_annotation_join(struct store_txn *t,
    const struct store_term *terms, size_t n, uint64_t after,
    ProtobufCAllocator *alloc, store_annotation_fn fn, void *arg);

/* Visits annotation id's revisions after `after`, oldest first. */
enum status store_revision_scan(struct store_txn *t, uint64_t id,
    uint64_t after, ProtobufCAllocator *alloc, store_annotation_fn fn,
    void *arg);

/* --- label sets ------------------------------------------------------ */

/* Label `name` of set `set`; NOT_FOUND if the set has no such label,
 * INVALID_ARGUMENT if the two cannot be a key. */
enum status store_label_get(struct store_txn *t, const char *set,
    const char *name, ProtobufCAllocator *alloc, Gloss__V1__Label **out);

/* Adds or replaces label l->name in set `set`. */
enum status store_label_put(struct store_txn *t, const char *set,
    const Gloss__V1__Label *l);

/* Called for each label, in set then name order, with its set's name
 * (valid during the call only); returns true to go on. */
typedef bool (*store_label_fn)(void *arg, const char *set, Gloss__V1__Label *l);

/* Visits the labels of `set` ("": of every set) that come after label
 * (after_set, after_name) ("", "": from the first).  INVALID_ARGUMENT if
 * `after` is not in `set` or cannot be a key. */
enum status store_label_scan(struct store_txn *t, const char *set,
    const char *after_set, const char *after_name, ProtobufCAllocator *alloc,
    store_label_fn fn, void *arg);

/* How many labels set `set` has (reads keys only). */
enum status store_label_count(struct store_txn *t, const char *set, size_t *n);

/* --- change feed ----------------------------------------------------- */

/* Appends c under the next sequence number, which it stores in c->seq. */
enum status store_change_append(struct store_txn *t, Gloss__V1__Change *c);

/* The newest sequence number (0 before the first change). */
enum status store_change_last(struct store_txn *t, uint64_t *seq);

/* Called for each change in sequence order; returns true to go on. */
typedef bool (*store_change_fn)(void *arg, Gloss__V1__Change *c);

/* Visits the changes with seq > after. */
enum status store_change_scan(struct store_txn *t, uint64_t after,
    ProtobufCAllocator *alloc, store_change_fn fn, void *arg);

/* --- applied requests (idempotency) ---------------------------------- */

/* The record of request_id, unpacked with `alloc`; NOT_FOUND if none. */
enum status store_request_get(struct store_txn *t, const char *request_id,
    ProtobufCAllocator *alloc, Gloss__V1__AppliedRequest **out);
enum status store_request_put(struct store_txn *t, const char *request_id,
    const Gloss__V1__AppliedRequest *r);

/* --- an import in progress (store_import.c) ------------------------- */

/*
 * The durable state of an unfinished ImportRecords restore, written in the
 * same transaction as each import call, so that a restart finds it: while
 * it exists every other write is refused.
 */
struct store_import {
	uint64_t id;       /* random: names this import in its tokens */
	uint64_t as_of;    /* the header's snapshot */
	uint64_t last_seq; /* the newest change imported */
	uint64_t lines;    /* records applied */
	uint64_t line;     /* the file's line number of the next line */
	uint64_t offset;   /* bytes of the file received */
	uint64_t pending;  /* of them, the unfinished last line, kept here */
	uint64_t parts;    /* pieces it is kept in */
	uint64_t deferred; /* references to check when the import ends */
	uint64_t version;  /* the file's jsonl version (its header's) */
	uint8_t header_sha256[32]; /* of the header line: which file this is */
	bool header;
};

/* The import in progress; NOT_FOUND if there is none. */
enum status store_import_get(struct store_txn *t, struct store_import *out);
enum status store_import_put(struct store_txn *t, const struct store_import *s);

/* Keeps piece number `i` of the unfinished line. */
enum status store_import_part_put(struct store_txn *t, uint64_t i,
    const void *p, size_t n);

/* Reads the s->parts pieces of the unfinished line (s->pending bytes) into
 * buf, and removes them. */
enum status store_import_parts_take(struct store_txn *t,
    const struct store_import *s, char *buf);

/* Keeps reference check number `i` (the importer's own bytes), to be made
 * when the import ends. */
enum status store_import_defer(struct store_txn *t, uint64_t i, const void *p,
    size_t n);

/* Called for each deferred check, in order; p holds n bytes. */
typedef enum status (*store_import_fn)(void *arg, const void *p, size_t n);
enum status store_import_deferred_scan(struct store_txn *t, store_import_fn fn,
    void *arg);

/* Ends the import: its state, pieces and deferred checks are removed. */
enum status store_import_end(struct store_txn *t);

/* Abandons it: every article, annotation, revision, index entry and change
 * is removed too (an import runs only in a folder that had none), so the
 * folder is as it was before it; label sets stay. */
enum status store_import_abandon(struct store_txn *t);

/* --- users (store_user.c) -------------------------------------------- */

/* User `name`; NOT_FOUND if there is none. */
enum status store_user_get(struct store_txn *t, const char *name,
    ProtobufCAllocator *alloc, Gloss__V1__UserRecord **out);

/* The user whose token has id `token_id` (revoked or not); NOT_FOUND if
 * no user has it. */
enum status store_user_by_token(struct store_txn *t, const char *token_id,
    ProtobufCAllocator *alloc, Gloss__V1__UserRecord **out);

/* Writes u under its name and its token id; `old_token_id` (NULL or "" if
 * none) is the id it replaces, whose entry is removed. */
enum status store_user_put(struct store_txn *t, const Gloss__V1__UserRecord *u,
    const char *old_token_id);

/* Called for each user in name order; returns true to go on. */
typedef bool (*store_user_fn)(void *arg, Gloss__V1__UserRecord *u);
enum status store_user_scan(struct store_txn *t, ProtobufCAllocator *alloc,
    store_user_fn fn, void *arg);

/* Whether any user exists (revoked ones included): tokens are then
 * required on network listeners. */
enum status store_user_any(struct store_txn *t, bool *any);

/* --- the store itself ------------------------------------------------ */

/* The secret that keys page tokens, made at the first open. */
void store_secret(const struct store *st, uint8_t out[32]);

struct store_db_info {
	const char *name;
	uint64_t entries;
	uint64_t pages;
};

#define STORE_DB_COUNT 12

struct store_info {
	uint64_t map_size, map_used, file_size;
	uint64_t last_seq;
	uint64_t article_count;
	uint64_t records_read; /* since start: what queries cost */
	struct store_db_info dbs[STORE_DB_COUNT];
};

/* Figures of the environment as seen by read transaction t. */
enum status store_info(struct store_txn *t, struct store_info *out);

#endif
