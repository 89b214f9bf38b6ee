/*
 * store: the LMDB environment of the data folder, its named databases and the
 * record format.  The only file that includes <lmdb.h>; every LMDB return
 * code is turned into an enum status by store_status() before it leaves.
 */
#define _GNU_SOURCE /* pthread_rwlockattr_setkind_np */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lmdb.h>

#include "hash.h"
#include "key.h"
#include "log.h"
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
	X(LABELS, "labels")

enum store_db {
#define X(id, name) STORE_DB_##id,
	STORE_DBS(X)
#undef X
	    STORE_DB_N
};

static const char *const store_db_names[] = {
#define X(id, name) name,
	STORE_DBS(X)
#undef X
};

_Static_assert(STORE_DB_N == STORE_DB_COUNT, "store.h's STORE_DB_COUNT");

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
	uint8_t secret[32];
	atomic_uint_fast64_t records_read;
};

/* LMDB takes keys as `void *` but never writes through them. */
static void *
store_unconst(const void *p)
{
	union {
		const void *c;
		void *m;
	} u = { .c = p };
	return u.m;
}

struct store_txn {
	struct store *st;
	MDB_txn *txn;
	struct store_txn *batch; /* for a write: its batch; NULL otherwise */
	bool map_full;           /* on a batch: a write hit MDB_MAP_FULL */
	bool read;
};

static enum status
store_status(int rc)
{
	switch (rc) {
	case 0:
		return STATUS_OK;
	case MDB_NOTFOUND:
		return STATUS_NOT_FOUND;
	case MDB_KEYEXIST:
		return STATUS_ALREADY_EXISTS;
	case MDB_MAP_FULL:
	case ENOSPC:
	case EDQUOT:
	case EFBIG:
		return STATUS_RESOURCE_EXHAUSTED;
	case MDB_CORRUPTED:
	case MDB_PAGE_NOTFOUND:
	case MDB_INVALID:
	case MDB_VERSION_MISMATCH:
		return STATUS_DATA_LOSS;
	case MDB_READERS_FULL:
	case MDB_TXN_FULL:
		return STATUS_UNAVAILABLE;
	default:
		log_error("lmdb: %s", mdb_strerror(rc));
		return STATUS_INTERNAL;
	}
}

/* Records that a write failed for want of map space, for the writer. */
static int
store_note(struct store_txn *t, int rc)
{
	if (rc == MDB_MAP_FULL && t->batch != NULL)
		t->batch->map_full = true;
	else if (rc == MDB_MAP_FULL)
		t->map_full = true;
	return rc;
}

/* ------------------------------------------------------------ opening */

static enum status
store_lock(struct store *st, char *why, size_t whylen)
{
	char path[4096], pid[32];
	int n;

	snprintf(path, sizeof(path), "%s/glossd.lock", st->dir);
	st->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (st->lock_fd < 0) {
		snprintf(why, whylen, "cannot open %s: %s", path,
		    strerror(errno));
		return STATUS_INTERNAL;
	}
	if (flock(st->lock_fd, LOCK_EX | LOCK_NB) != 0) {
		n = (int)read(st->lock_fd, pid, sizeof(pid) - 1);
		pid[n > 0 ? n : 0] = '\0';
		pid[strcspn(pid, "\n")] = '\0';
		snprintf(why, whylen,
		    "data folder %s is in use by another glossd (pid %s); stop "
		    "it first, or give this one another --data folder",
		    st->dir, pid[0] ? pid : "unknown");
		return STATUS_UNAVAILABLE;
	}
	n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(st->lock_fd, 0) != 0 ||
	    write(st->lock_fd, pid, (size_t)n) != n)
		log_warn("cannot write pid to %s", path);
	return STATUS_OK;
}

/* The map must hold at least what the file already has. */
static size_t
store_map_size(const struct store *st, size_t want)
{
	char path[4096];
	struct stat sb;
	size_t have;

	snprintf(path, sizeof(path), "%s/data.mdb", st->dir);
	if (stat(path, &sb) != 0)
		return want;
	have = (size_t)sb.st_size;
	return have > want ? have : want;
}

static int
store_env_open(struct store *st, size_t map_size)
{
	int rc, dead = 0;

	if ((rc = mdb_env_create(&st->env)) != 0)
		return rc;
	st->map_size = store_map_size(st, map_size);
	if ((rc = mdb_env_set_maxdbs(st->env, STORE_DB_N + 4)) != 0 ||
	    (rc = mdb_env_set_maxreaders(st->env, 512)) != 0 ||
	    (rc = mdb_env_set_mapsize(st->env, st->map_size)) != 0 ||
	    (rc = mdb_env_open(st->env, st->dir, 0, 0600)) != 0)
		return rc;
	if ((rc = mdb_reader_check(st->env, &dead)) != 0)
		return rc;
	if (dead > 0)
		log_info("cleared %d reader slots left by dead processes",
		    dead);
	return 0;
}

/* Checks the schema version, or writes it on a new environment. */
static int
store_meta_schema(struct store *st, MDB_txn *txn, char *why, size_t whylen)
{
	MDB_val k = { 6, (void *)"schema" }, v;
	uint8_t buf[8];
	uint64_t have;
	int rc;

	rc = mdb_get(txn, st->dbi[STORE_DB_META], &k, &v);
	if (rc == MDB_NOTFOUND) {
		key_put_u64(buf, STORE_SCHEMA);
		v.mv_size = 8;
		v.mv_data = buf;
		return mdb_put(txn, st->dbi[STORE_DB_META], &k, &v, 0);
	}
	if (rc != 0)
		return rc;
	if (v.mv_size != 8)
		return MDB_CORRUPTED;
	have = key_get_u64(v.mv_data);
	if (have > STORE_SCHEMA) {
		snprintf(why, whylen,
		    "data folder %s has schema %llu, newer than this glossd's "
		    "%d: run a newer glossd",
		    st->dir, (unsigned long long)have, STORE_SCHEMA);
		return MDB_VERSION_MISMATCH;
	}
	return 0;
}

static int
store_meta_secret(struct store *st, MDB_txn *txn)
{
	MDB_val k = { 11, (void *)"page_secret" }, v;
	int rc;

	rc = mdb_get(txn, st->dbi[STORE_DB_META], &k, &v);
	if (rc == 0 && v.mv_size == sizeof(st->secret)) {
		memcpy(st->secret, v.mv_data, sizeof(st->secret));
		return 0;
	}
	if (rc != MDB_NOTFOUND)
		return rc != 0 ? rc : MDB_CORRUPTED;
	if (hash_random(st->secret, sizeof(st->secret)) != 0)
		return EIO;
	v.mv_size = sizeof(st->secret);
	v.mv_data = st->secret;
	return mdb_put(txn, st->dbi[STORE_DB_META], &k, &v, 0);
}

static int
store_dbs_open(struct store *st, char *why, size_t whylen)
{
	MDB_txn *txn;
	int rc;

	if ((rc = mdb_txn_begin(st->env, NULL, 0, &txn)) != 0)
		return rc;
	for (int i = 0; i < STORE_DB_N; i++)
		if ((rc = mdb_dbi_open(txn, store_db_names[i], MDB_CREATE,
		         &st->dbi[i])) != 0)
			goto fail;
	if ((rc = store_meta_schema(st, txn, why, whylen)) != 0 ||
	    (rc = store_meta_secret(st, txn)) != 0)
		goto fail;
	return mdb_txn_commit(txn);
fail:
	mdb_txn_abort(txn);
	return rc;
}

static struct store *
store_new(const char *dir)
{
	struct store *st = calloc(1, sizeof(*st));
	pthread_rwlockattr_t attr;

	if (st == NULL || (st->dir = strdup(dir)) == NULL) {
		free(st);
		return NULL;
	}
	st->lock_fd = -1;
	/* Prefer the resizer, or a steady stream of readers starves it. */
	pthread_rwlockattr_init(&attr);
	pthread_rwlockattr_setkind_np(&attr,
	    PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&st->resize, &attr);
	pthread_rwlockattr_destroy(&attr);
	return st;
}

enum status
store_open(const struct store_options *opt, struct store **out, char *why,
    size_t whylen)
{
	struct store *st;
	enum status s;
	int rc;

	snprintf(why, whylen, "cannot open data folder %s", opt->dir);
	if (mkdir(opt->dir, 0700) != 0 && errno != EEXIST) {
		snprintf(why, whylen, "cannot create data folder %s: %s",
		    opt->dir, strerror(errno));
		return STATUS_INTERNAL;
	}
	if ((st = store_new(opt->dir)) == NULL)
		return STATUS_RESOURCE_EXHAUSTED;
	if ((s = store_lock(st, why, whylen)) != STATUS_OK)
		goto fail;
	rc = store_env_open(st,
	    opt->map_size ? opt->map_size : STORE_MAP_DEFAULT);
	if (rc == 0)
		rc = store_dbs_open(st, why, whylen);
	if (rc != 0) {
		if (rc != MDB_VERSION_MISMATCH)
			snprintf(why, whylen, "cannot open LMDB in %s: %s",
			    opt->dir, mdb_strerror(rc));
		s = rc == MDB_VERSION_MISMATCH ? STATUS_FAILED_PRECONDITION
		                               : store_status(rc);
		goto fail;
	}
	*out = st;
	return STATUS_OK;
fail:
	store_close(st);
	return s;
}

void
store_close(struct store *st)
{
	if (st == NULL)
		return;
	if (st->env != NULL)
		mdb_env_close(st->env);
	if (st->lock_fd >= 0)
		close(st->lock_fd); /* releases the flock */
	pthread_rwlock_destroy(&st->resize);
	free(st->dir);
	free(st);
}

void
store_secret(const struct store *st, uint8_t out[32])
{
	memcpy(out, st->secret, sizeof(st->secret));
}

/* ------------------------------------------------------------ transactions */

static enum status
store_txn_new(struct store *st, MDB_txn *parent, unsigned flags,
    struct store_txn **out)
{
	struct store_txn *t = calloc(1, sizeof(*t));
	int rc;

	if (t == NULL)
		return STATUS_RESOURCE_EXHAUSTED;
	if ((rc = mdb_txn_begin(st->env, parent, flags, &t->txn)) != 0) {
		free(t);
		return store_status(rc);
	}
	t->st = st;
	*out = t;
	return STATUS_OK;
}

enum status
store_read_begin(struct store *st, struct store_txn **out)
{
	enum status s;

	pthread_rwlock_rdlock(&st->resize);
	if ((s = store_txn_new(st, NULL, MDB_RDONLY, out)) != STATUS_OK) {
		pthread_rwlock_unlock(&st->resize);
		return s;
	}
	(*out)->read = true;
	return STATUS_OK;
}

void
store_read_end(struct store_txn *t)
{
	struct store *st = t->st;

	mdb_txn_abort(t->txn);
	free(t);
	pthread_rwlock_unlock(&st->resize);
}

enum status
store_batch_begin(struct store *st, struct store_txn **out)
{
	return store_txn_new(st, NULL, 0, out);
}

enum status
store_batch_commit(struct store_txn *batch, bool *map_full)
{
	int rc = store_note(batch, mdb_txn_commit(batch->txn));

	*map_full = batch->map_full;
	free(batch);
	return store_status(rc);
}

void
store_batch_abort(struct store_txn *batch)
{
	mdb_txn_abort(batch->txn);
	free(batch);
}

bool
store_batch_map_full(const struct store_txn *batch)
{
	return batch->map_full;
}

enum status
store_write_begin(struct store_txn *batch, struct store_txn **out)
{
	enum status s = store_txn_new(batch->st, batch->txn, 0, out);

	if (s == STATUS_OK)
		(*out)->batch = batch;
	return s;
}

enum status
store_write_commit(struct store_txn *t)
{
	int rc = store_note(t, mdb_txn_commit(t->txn));

	free(t);
	return store_status(rc);
}

void
store_write_abort(struct store_txn *t)
{
	mdb_txn_abort(t->txn);
	free(t);
}

enum status
store_grow(struct store *st)
{
	size_t want = st->map_size * 2;
	int rc;

	pthread_rwlock_wrlock(&st->resize);
	rc = mdb_env_set_mapsize(st->env, want);
	if (rc == 0)
		st->map_size = want;
	pthread_rwlock_unlock(&st->resize);
	if (rc == 0)
		log_info("map grown to %zu MiB", want >> 20);
	return store_status(rc);
}

/* ------------------------------------------------------------ records */

/* Packs m straight into the page LMDB reserves for it. */
static int
store_put_message(struct store_txn *t, enum store_db db, const void *k,
    size_t klen, const ProtobufCMessage *m, unsigned flags)
{
	MDB_val key = { klen, store_unconst(k) }, val;
	int rc;

	val.mv_size = protobuf_c_message_get_packed_size(m);
	rc = mdb_put(t->txn, t->st->dbi[db], &key, &val, flags | MDB_RESERVE);
	if (rc != 0)
		return store_note(t, rc);
	protobuf_c_message_pack(m, val.mv_data);
	return 0;
}

static int
store_put_empty(struct store_txn *t, enum store_db db, const void *k,
    size_t klen)
{
	MDB_val key = { klen, store_unconst(k) }, val = { 0, NULL };

	return store_note(t, mdb_put(t->txn, t->st->dbi[db], &key, &val, 0));
}

/*
 * Unpacks a record with `alloc`.  If it does not unpack, it is unpacked
 * again with malloc to tell a spent request budget (RESOURCE_EXHAUSTED)
 * from a damaged record (DATA_LOSS).
 */
static enum status
store_unpack(const MDB_val *v, const ProtobufCMessageDescriptor *d,
    ProtobufCAllocator *alloc, ProtobufCMessage **out)
{
	*out = protobuf_c_message_unpack(d, alloc, v->mv_size, v->mv_data);
	if (*out != NULL)
		return STATUS_OK;
	if (alloc != NULL && (*out = protobuf_c_message_unpack(d, NULL,
	                          v->mv_size, v->mv_data)) != NULL) {
		protobuf_c_message_free_unpacked(*out, NULL);
		*out = NULL;
		return STATUS_RESOURCE_EXHAUSTED;
	}
	log_error("a %s record of %zu bytes does not unpack", d->name,
	    v->mv_size);
	return STATUS_DATA_LOSS;
}

static enum status
store_get_message(struct store_txn *t, enum store_db db, const void *k,
    size_t klen, const ProtobufCMessageDescriptor *d, ProtobufCAllocator *alloc,
    ProtobufCMessage **out)
{
	MDB_val key = { klen, store_unconst(k) }, val;
	int rc;

	if (klen == 0 || klen > KEY_MAX)
		return STATUS_NOT_FOUND;
	if ((rc = mdb_get(t->txn, t->st->dbi[db], &key, &val)) != 0)
		return store_status(rc);
	atomic_fetch_add(&t->st->records_read, 1);
	return store_unpack(&val, d, alloc, out);
}

enum status
store_article_get(struct store_txn *t, const char *id,
    ProtobufCAllocator *alloc, Gloss__V1__Article **out)
{
	return store_get_message(t, STORE_DB_ARTICLES, id, strlen(id),
	    &gloss__v1__article__descriptor, alloc, (ProtobufCMessage **)out);
}

enum status
store_article_put(struct store_txn *t, const Gloss__V1__Article *a)
{
	uint8_t k[KEY_MAX];
	size_t n, idlen = strlen(a->id);
	int rc;

	rc = store_put_message(t, STORE_DB_ARTICLES, a->id, idlen, &a->base, 0);
	if (rc == 0 && (n = key_pair(k, a->language, strlen(a->language), a->id,
	                    idlen)) > 0)
		rc = store_put_empty(t, STORE_DB_BY_LANG, k, n);
	if (rc == 0 &&
	    (n = key_pair(k, a->group, strlen(a->group), a->id, idlen)) > 0)
		rc = store_put_empty(t, STORE_DB_BY_GROUP, k, n);
	return store_status(rc);
}

/* Where a scan looks: one database, and the key prefix its entries share. */
struct store_scan {
	enum store_db db;
	uint8_t prefix[KEY_MAX];
	size_t prefix_len;
	uint8_t start[KEY_MAX];
	size_t start_len;
};

static void
store_scan_plan(const struct store_article_filter *f, struct store_scan *sc)
{
	const char *after = f->after != NULL ? f->after : "";
	const char *by = NULL;

	sc->db = STORE_DB_ARTICLES;
	sc->prefix_len = 0;
	if (f->group != NULL && f->group[0] != '\0') {
		sc->db = STORE_DB_BY_GROUP;
		by = f->group;
	} else if (f->language != NULL && f->language[0] != '\0') {
		sc->db = STORE_DB_BY_LANG;
		by = f->language;
	}
	if (by != NULL)
		sc->prefix_len = key_pair(sc->prefix, by, strlen(by), NULL, 0);
	memcpy(sc->start, sc->prefix, sc->prefix_len);
	sc->start_len = sc->prefix_len;
	if (sc->start_len + strlen(after) <= KEY_MAX) {
		memcpy(sc->start + sc->start_len, after, strlen(after));
		sc->start_len += strlen(after);
	}
}

/* The article an entry of the scanned database stands for; NOT_FOUND past
 * the prefix. */
static enum status
store_scan_entry(struct store_txn *t, const struct store_scan *sc,
    const MDB_val *k, const MDB_val *v, ProtobufCAllocator *alloc,
    Gloss__V1__Article **a)
{
	char id[KEY_MAX + 1];
	size_t idlen = k->mv_size - sc->prefix_len;
	enum status s;

	if (k->mv_size < sc->prefix_len ||
	    memcmp(k->mv_data, sc->prefix, sc->prefix_len) != 0)
		return STATUS_NOT_FOUND;
	if (sc->db == STORE_DB_ARTICLES) {
		atomic_fetch_add(&t->st->records_read, 1);
		return store_unpack(v, &gloss__v1__article__descriptor, alloc,
		    (ProtobufCMessage **)a);
	}
	memcpy(id, (const char *)k->mv_data + sc->prefix_len, idlen);
	id[idlen] = '\0';
	s = store_article_get(t, id, alloc, a);
	/* NOT_FOUND here is an index entry without its record. */
	return s == STATUS_NOT_FOUND ? STATUS_DATA_LOSS : s;
}

static bool
store_scan_skip(const struct store_article_filter *f,
    const struct store_scan *sc, const MDB_val *k, const Gloss__V1__Article *a)
{
	if (k->mv_size == sc->start_len && sc->start_len > sc->prefix_len &&
	    memcmp(k->mv_data, sc->start, sc->start_len) == 0)
		return true; /* the `after` entry itself */
	return f->language != NULL && f->language[0] != '\0' &&
	       strcmp(a->language, f->language) != 0;
}

enum status
store_article_scan(struct store_txn *t, const struct store_article_filter *f,
    ProtobufCAllocator *alloc, store_article_fn fn, void *arg)
{
	struct store_scan sc;
	Gloss__V1__Article *a = NULL;
	MDB_cursor *cur;
	MDB_val k, v;
	enum status s = STATUS_OK;
	int rc;

	store_scan_plan(f, &sc);
	if ((rc = mdb_cursor_open(t->txn, t->st->dbi[sc.db], &cur)) != 0)
		return store_status(rc);
	k.mv_size = sc.start_len;
	k.mv_data = sc.start;
	rc = sc.start_len > 0 ? mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE)
	                      : mdb_cursor_get(cur, &k, &v, MDB_FIRST);
	for (; rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if ((s = store_scan_entry(t, &sc, &k, &v, alloc, &a)) !=
		    STATUS_OK)
			break;
		if (store_scan_skip(f, &sc, &k, a)) {
			/* Not the caller's: freed here (a no-op in an arena).
			 */
			protobuf_c_message_free_unpacked(&a->base, alloc);
			continue;
		}
		if (!fn(arg, a))
			break;
	}
	mdb_cursor_close(cur);
	if (s == STATUS_NOT_FOUND) /* walked past the prefix: done */
		s = STATUS_OK;
	if (s == STATUS_OK && rc != 0 && rc != MDB_NOTFOUND)
		s = store_status(rc);
	return s;
}

/* ------------------------------------------------------------ annotations */

enum status
store_annotation_get(struct store_txn *t, uint64_t id,
    ProtobufCAllocator *alloc, Gloss__V1__Annotation **out)
{
	uint8_t k[8];

	key_put_u64(k, id);
	return store_get_message(t, STORE_DB_ANNOTATIONS, k, 8,
	    &gloss__v1__annotation__descriptor, alloc,
	    (ProtobufCMessage **)out);
}

enum status
store_annotation_next_id(struct store_txn *t, uint64_t *id)
{
	MDB_cursor *cur;
	MDB_val k, v;
	int rc;

	*id = 1;
	if ((rc = mdb_cursor_open(t->txn, t->st->dbi[STORE_DB_ANNOTATIONS],
	         &cur)) != 0)
		return store_status(rc);
	rc = mdb_cursor_get(cur, &k, &v, MDB_LAST);
	mdb_cursor_close(cur);
	if (rc == MDB_NOTFOUND)
		return STATUS_OK;
	if (rc == 0 && k.mv_size != 8)
		return STATUS_DATA_LOSS;
	if (rc == 0)
		*id = key_get_u64(k.mv_data) + 1;
	return store_status(rc);
}

const char *
store_annotation_term(const Gloss__V1__Annotation *a, enum store_index ix)
{
	switch (ix) {
	case STORE_INDEX_ARTICLE:
		return a->article_id;
	case STORE_INDEX_GROUP:
		return a->group;
	case STORE_INDEX_AUTHOR:
		return a->created_by;
	case STORE_INDEX_KB:
		return a->body_case == GLOSS__V1__ANNOTATION__BODY_ENTITY
		           ? a->entity->kb_id
		           : "";
	case STORE_INDEX_LABEL:
		if (a->body_case == GLOSS__V1__ANNOTATION__BODY_ENTITY)
			return a->entity->label;
		if (a->body_case == GLOSS__V1__ANNOTATION__BODY_FACT_CORRECTION)
			return a->fact_correction->verdict;
		if (a->body_case ==
		    GLOSS__V1__ANNOTATION__BODY_TRANSLATION_NOTE)
			return a->translation_note->category;
		return "";
	default:
		return "";
	}
}

static const enum store_index store_indexes[] = { STORE_INDEX_ARTICLE,
	STORE_INDEX_GROUP, STORE_INDEX_LABEL, STORE_INDEX_KB,
	STORE_INDEX_AUTHOR };

/* ix‖value‖NUL‖id, or 0 if value is empty or too long to index. */
static size_t
store_index_key(uint8_t k[KEY_MAX], enum store_index ix, const char *value,
    uint64_t id)
{
	size_t n = strlen(value);

	if (n == 0 || 1 + n + 1 + 8 > KEY_MAX)
		return 0;
	k[0] = (uint8_t)ix;
	memcpy(k + 1, value, n);
	k[1 + n] = '\0';
	key_put_u64(k + 1 + n + 1, id);
	return 1 + n + 1 + 8;
}

/* Moves a's entries in every index from old's terms to its own. */
static int
store_annotation_index(struct store_txn *t, const Gloss__V1__Annotation *old,
    const Gloss__V1__Annotation *a)
{
	MDB_dbi dbi = t->st->dbi[STORE_DB_ANN_INDEX];
	uint8_t k[KEY_MAX];
	MDB_val key;
	size_t n;
	int rc = 0;

	for (size_t i = 0; i < sizeof(store_indexes) / sizeof(*store_indexes);
	     i++) {
		const char *was =
		    old ? store_annotation_term(old, store_indexes[i]) : "";
		const char *now = store_annotation_term(a, store_indexes[i]);
		if (strcmp(was, now) == 0 && old != NULL)
			continue;
		if ((n = store_index_key(k, store_indexes[i], was, a->id)) >
		    0) {
			key.mv_size = n;
			key.mv_data = k;
			rc = mdb_del(t->txn, dbi, &key, NULL);
			if (rc != 0 && rc != MDB_NOTFOUND)
				return store_note(t, rc);
		}
		if ((n = store_index_key(k, store_indexes[i], now, a->id)) >
		        0 &&
		    (rc = store_put_empty(t, STORE_DB_ANN_INDEX, k, n)) != 0)
			return rc;
	}
	return 0;
}

enum status
store_annotation_put(struct store_txn *t, const Gloss__V1__Annotation *old,
    const Gloss__V1__Annotation *a)
{
	uint8_t k[16];
	int rc;

	key_put_u64(k, a->id);
	key_put_u64(k + 8, a->revision);
	rc = store_put_message(t, STORE_DB_ANNOTATIONS, k, 8, &a->base, 0);
	if (rc == 0)
		rc = store_put_message(t, STORE_DB_REVISIONS, k, 16, &a->base,
		    MDB_NOOVERWRITE);
	if (rc == 0)
		rc = store_annotation_index(t, old, a);
	return store_status(rc);
}

enum status
store_revision_get(struct store_txn *t, uint64_t id, uint64_t rev,
    ProtobufCAllocator *alloc, Gloss__V1__Annotation **out)
{
	uint8_t k[16];

	key_put_u64(k, id);
	key_put_u64(k + 8, rev);
	return store_get_message(t, STORE_DB_REVISIONS, k, 16,
	    &gloss__v1__annotation__descriptor, alloc,
	    (ProtobufCMessage **)out);
}

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

static enum status
store_walk(struct store_walk *w)
{
	MDB_cursor *cur;
	MDB_val k = { w->n, store_unconst(w->start) }, v;
	enum status s = STATUS_OK;
	bool go_on = true;
	int rc;

	if ((rc = mdb_cursor_open(w->t->txn, w->t->st->dbi[w->db], &cur)) != 0)
		return store_status(rc);
	rc = w->n > 0 ? mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE)
	              : mdb_cursor_get(cur, &k, &v, MDB_FIRST);
	for (; rc == 0 && go_on; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (k.mv_size < w->prefix ||
		    memcmp(k.mv_data, w->start, w->prefix) != 0)
			break;
		if ((s = w->visit(w, &k, &v, &go_on)) != STATUS_OK)
			break;
	}
	mdb_cursor_close(cur);
	if (s == STATUS_OK && rc != 0 && rc != MDB_NOTFOUND)
		s = store_status(rc);
	return s;
}

/* A record of the annotations or revisions database. */
static enum status
store_visit_record(struct store_walk *w, const MDB_val *k, const MDB_val *v,
    bool *go_on)
{
	Gloss__V1__Annotation *a;
	enum status s;

	(void)k;
	atomic_fetch_add(&w->t->st->records_read, 1);
	s = store_unpack(v, &gloss__v1__annotation__descriptor, w->alloc,
	    (ProtobufCMessage **)&a);
	if (s == STATUS_OK)
		*go_on = w->fn(w->arg, a);
	return s;
}

/* An index entry: the id is the key's last 8 bytes. */
static enum status
store_visit_index(struct store_walk *w, const MDB_val *k, const MDB_val *v,
    bool *go_on)
{
	Gloss__V1__Annotation *a;
	uint64_t id;
	enum status s;

	(void)v;
	if (k->mv_size != w->prefix + 8)
		return STATUS_OK; /* a longer value sharing the prefix */
	id = key_get_u64((const uint8_t *)k->mv_data + w->prefix);
	s = store_annotation_get(w->t, id, w->alloc, &a);
	if (s == STATUS_NOT_FOUND)
		return STATUS_DATA_LOSS; /* an index entry without its record */
	if (s == STATUS_OK)
		*go_on = w->fn(w->arg, a);
	return s;
}

enum status
store_annotation_scan(struct store_txn *t, enum store_index ix,
    const char *value, uint64_t after, ProtobufCAllocator *alloc,
    store_annotation_fn fn, void *arg)
{
	uint8_t k[KEY_MAX];
	struct store_walk w = { .t = t,
		.start = k,
		.alloc = alloc,
		.fn = fn,
		.arg = arg };

	if (after == UINT64_MAX)
		return STATUS_OK;
	if (ix == STORE_INDEX_ALL) {
		w.db = STORE_DB_ANNOTATIONS;
		w.visit = store_visit_record;
		key_put_u64(k, after + 1);
		w.n = 8;
		return store_walk(&w);
	}
	w.db = STORE_DB_ANN_INDEX;
	w.visit = store_visit_index;
	if ((w.n = store_index_key(k, ix, value, after + 1)) == 0)
		return STATUS_OK; /* nothing is indexed under it */
	w.prefix = w.n - 8;
	return store_walk(&w);
}

#define STORE_JOIN_MAX 8

/* Moves cur to the first id >= want under prefix; *id = 0 if none. */
static int
store_join_seek(MDB_cursor *cur, const uint8_t *prefix, size_t plen,
    uint64_t want, uint64_t *id)
{
	uint8_t k[KEY_MAX];
	MDB_val key = { plen + 8, k }, val;
	int rc;

	memcpy(k, prefix, plen);
	key_put_u64(k + plen, want);
	*id = 0;
	for (rc = mdb_cursor_get(cur, &key, &val, MDB_SET_RANGE); rc == 0;
	     rc = mdb_cursor_get(cur, &key, &val, MDB_NEXT)) {
		if (key.mv_size < plen ||
		    memcmp(key.mv_data, prefix, plen) != 0)
			return 0;
		if (key.mv_size == plen + 8) {
			*id = key_get_u64((const uint8_t *)key.mv_data + plen);
			return 0;
		}
	}
	return rc == MDB_NOTFOUND ? 0 : rc;
}

/* The next id >= cand in every posting (0: none); the leapfrog step. */
static int
store_join_next(MDB_cursor **cur, uint8_t (*prefix)[KEY_MAX],
    const size_t *plen, size_t n, uint64_t cand, uint64_t *out)
{
	uint64_t id;
	size_t agreed = 0;
	int rc;

	for (size_t i = 0; agreed < n; i = (i + 1) % n) {
		if ((rc = store_join_seek(cur[i], prefix[i], plen[i], cand,
		         &id)) != 0)
			return rc;
		if (id == 0) {
			*out = 0;
			return 0;
		}
		agreed = id == cand ? agreed + 1 : 1;
		cand = id;
	}
	*out = cand;
	return 0;
}

enum status
store_annotation_join(struct store_txn *t, const struct store_term *terms,
    size_t n, uint64_t after, ProtobufCAllocator *alloc, store_annotation_fn fn,
    void *arg)
{
	MDB_cursor *cur[STORE_JOIN_MAX] = { NULL };
	uint8_t prefix[STORE_JOIN_MAX][KEY_MAX];
	size_t plen[STORE_JOIN_MAX];
	Gloss__V1__Annotation *a;
	uint64_t id = after;
	enum status s = STATUS_OK;
	int rc = 0;

	if (n == 0 || n > STORE_JOIN_MAX)
		return STATUS_INVALID_ARGUMENT;
	for (size_t i = 0; i < n; i++) {
		if ((plen[i] = store_index_key(prefix[i], terms[i].ix,
		         terms[i].value, 0)) == 0)
			return STATUS_OK; /* nothing is indexed under it */
		plen[i] -= 8;
	}
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = mdb_cursor_open(t->txn, t->st->dbi[STORE_DB_ANN_INDEX],
		    &cur[i]);
	while (rc == 0 && s == STATUS_OK && id != UINT64_MAX) {
		if ((rc = store_join_next(cur, prefix, plen, n, id + 1, &id)) !=
		        0 ||
		    id == 0)
			break;
		s = store_annotation_get(t, id, alloc, &a);
		if (s == STATUS_NOT_FOUND)
			s = STATUS_DATA_LOSS; /* an index entry without its
			                         record */
		if (s == STATUS_OK && !fn(arg, a))
			break;
	}
	for (size_t i = 0; i < n; i++)
		if (cur[i] != NULL)
			mdb_cursor_close(cur[i]);
	return rc != 0 ? store_status(rc) : s;
}

enum status
store_revision_scan(struct store_txn *t, uint64_t id, uint64_t after,
    ProtobufCAllocator *alloc, store_annotation_fn fn, void *arg)
{
	uint8_t k[16];
	struct store_walk w = { .t = t,
		.db = STORE_DB_REVISIONS,
		.start = k,
		.n = 16,
		.prefix = 8,
		.visit = store_visit_record,
		.alloc = alloc,
		.fn = fn,
		.arg = arg };

	if (after == UINT64_MAX)
		return STATUS_OK;
	key_put_u64(k, id);
	key_put_u64(k + 8, after + 1);
	return store_walk(&w);
}

/* ------------------------------------------------------------ labels */

enum status
store_label_get(struct store_txn *t, const char *set, const char *name,
    ProtobufCAllocator *alloc, Gloss__V1__Label **out)
{
	uint8_t k[KEY_MAX];
	size_t n = key_pair(k, set, strlen(set), name, strlen(name));

	if (n == 0)
		return STATUS_NOT_FOUND;
	return store_get_message(t, STORE_DB_LABELS, k, n,
	    &gloss__v1__label__descriptor, alloc, (ProtobufCMessage **)out);
}

enum status
store_label_put(struct store_txn *t, const char *set, const Gloss__V1__Label *l)
{
	uint8_t k[KEY_MAX];
	size_t n = key_pair(k, set, strlen(set), l->name, strlen(l->name));

	if (n == 0)
		return STATUS_INVALID_ARGUMENT;
	return store_status(
	    store_put_message(t, STORE_DB_LABELS, k, n, &l->base, 0));
}

struct store_label_walk {
	store_label_fn fn;
	void *arg;
};

static enum status
store_visit_label(struct store_walk *w, const MDB_val *k, const MDB_val *v,
    bool *go_on)
{
	const struct store_label_walk *lw = w->arg;
	Gloss__V1__Label *l;
	enum status s;

	(void)k;
	atomic_fetch_add(&w->t->st->records_read, 1);
	s = store_unpack(v, &gloss__v1__label__descriptor, w->alloc,
	    (ProtobufCMessage **)&l);
	if (s == STATUS_OK)
		*go_on = lw->fn(lw->arg, l);
	return s;
}

enum status
store_label_scan(struct store_txn *t, const char *set,
    ProtobufCAllocator *alloc, store_label_fn fn, void *arg)
{
	uint8_t k[KEY_MAX];
	struct store_label_walk lw = { fn, arg };
	struct store_walk w = { .t = t,
		.db = STORE_DB_LABELS,
		.start = k,
		.visit = store_visit_label,
		.alloc = alloc,
		.arg = &lw };

	w.n = w.prefix = key_pair(k, set, strlen(set), NULL, 0);
	if (w.n == 0)
		return STATUS_OK;
	return store_walk(&w);
}

/* ------------------------------------------------------------ change feed */

static int
store_last_seq(struct store_txn *t, uint64_t *seq)
{
	MDB_cursor *cur;
	MDB_val k, v;
	int rc;

	*seq = 0;
	if ((rc = mdb_cursor_open(t->txn, t->st->dbi[STORE_DB_CHANGES],
	         &cur)) != 0)
		return rc;
	rc = mdb_cursor_get(cur, &k, &v, MDB_LAST);
	mdb_cursor_close(cur);
	if (rc == MDB_NOTFOUND)
		return 0;
	if (rc == 0 && k.mv_size != 8)
		return MDB_CORRUPTED;
	if (rc == 0)
		*seq = key_get_u64(k.mv_data);
	return rc;
}

enum status
store_change_append(struct store_txn *t, Gloss__V1__Change *c)
{
	uint8_t k[8];
	uint64_t last;
	int rc;

	if ((rc = store_last_seq(t, &last)) != 0)
		return store_status(rc);
	c->seq = last + 1;
	key_put_u64(k, c->seq);
	/* MDB_APPEND: the key is the largest, so LMDB fills pages densely. */
	rc = store_put_message(t, STORE_DB_CHANGES, k, 8, &c->base,
	    MDB_NOOVERWRITE | MDB_APPEND);
	return store_status(rc);
}

enum status
store_change_last(struct store_txn *t, uint64_t *seq)
{
	return store_status(store_last_seq(t, seq));
}

struct store_change_walk {
	store_change_fn fn;
	void *arg;
};

static enum status
store_visit_change(struct store_walk *w, const MDB_val *k, const MDB_val *v,
    bool *go_on)
{
	const struct store_change_walk *cw = w->arg;
	Gloss__V1__Change *c;
	enum status s;

	(void)k;
	atomic_fetch_add(&w->t->st->records_read, 1);
	s = store_unpack(v, &gloss__v1__change__descriptor, w->alloc,
	    (ProtobufCMessage **)&c);
	if (s == STATUS_OK)
		*go_on = cw->fn(cw->arg, c);
	return s;
}

enum status
store_change_scan(struct store_txn *t, uint64_t after,
    ProtobufCAllocator *alloc, store_change_fn fn, void *arg)
{
	uint8_t k[8];
	struct store_change_walk cw = { fn, arg };
	struct store_walk w = { .t = t,
		.db = STORE_DB_CHANGES,
		.start = k,
		.n = 8,
		.visit = store_visit_change,
		.alloc = alloc,
		.arg = &cw };

	if (after == UINT64_MAX)
		return STATUS_OK;
	key_put_u64(k, after + 1);
	return store_walk(&w);
}

/* ------------------------------------------------------------ requests */

enum status
store_request_get(struct store_txn *t, const char *request_id,
    ProtobufCAllocator *alloc, Gloss__V1__AppliedRequest **out)
{
	return store_get_message(t, STORE_DB_REQUESTS, request_id,
	    strlen(request_id), &gloss__v1__applied_request__descriptor, alloc,
	    (ProtobufCMessage **)out);
}

enum status
store_request_put(struct store_txn *t, const char *request_id,
    const Gloss__V1__AppliedRequest *r)
{
	return store_status(store_put_message(t, STORE_DB_REQUESTS, request_id,
	    strlen(request_id), &r->base, MDB_NOOVERWRITE));
}

/* ------------------------------------------------------------ info */

static uint64_t
store_file_size(const struct store *st)
{
	char path[4096];
	struct stat sb;

	snprintf(path, sizeof(path), "%s/data.mdb", st->dir);
	return stat(path, &sb) == 0 ? (uint64_t)sb.st_size : 0;
}

enum status
store_info(struct store_txn *t, struct store_info *out)
{
	MDB_envinfo ei;
	MDB_stat ms;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = mdb_env_info(t->st->env, &ei)) != 0 ||
	    (rc = mdb_env_stat(t->st->env, &ms)) != 0)
		return store_status(rc);
	out->map_size = ei.me_mapsize;
	out->map_used = (uint64_t)(ei.me_last_pgno + 1) * ms.ms_psize;
	out->file_size = store_file_size(t->st);
	out->records_read = atomic_load(&t->st->records_read);
	for (int i = 0; i < STORE_DB_N; i++) {
		if ((rc = mdb_stat(t->txn, t->st->dbi[i], &ms)) != 0)
			return store_status(rc);
		out->dbs[i].name = store_db_names[i];
		out->dbs[i].entries = ms.ms_entries;
		out->dbs[i].pages = ms.ms_branch_pages + ms.ms_leaf_pages +
		                    ms.ms_overflow_pages;
	}
	out->article_count = out->dbs[STORE_DB_ARTICLES].entries;
	return store_status(store_last_seq(t, &out->last_seq));
}
