/*
 * store_env: the LMDB environment of the data folder: opening it, the
 * folder's lock, transactions, growing the map, and what a storage fault
 * means (a full disk, a file size limit, a map that cannot grow).  Never
 * reads or writes a record: store.c does.
 */
#define _GNU_SOURCE /* pthread_rwlockattr_setkind_np */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "hash.h"
#include "key.h"
#include "log.h"
#include "store_impl.h"

/* Room a failed commit must have lacked, beyond twice what it wrote (its
 * pages, and the branch pages copied on the way to them), for glossd to
 * call it a full disk rather than an I/O fault. */
#define STORE_SPACE_MARGIN ((uint64_t)1 << 20)

const char *const store_db_names[STORE_DB_N] = {
#define X(id, name) name,
	STORE_DBS(X)
#undef X
};

_Static_assert(STORE_DB_N == STORE_DB_COUNT, "store.h's STORE_DB_COUNT");

void *
store_unconst(const void *p)
{
	union {
		const void *c;
		void *m;
	} u = { .c = p };
	return u.m;
}

enum status
store_status(int rc)
{
	switch (rc) {
	case 0:
		return STATUS_OK;
	case MDB_NOTFOUND:
		return STATUS_NOT_FOUND;
	case MDB_KEYEXIST:
		return STATUS_ALREADY_EXISTS;
	case STORE_BAD_KEY:
	case MDB_BAD_VALSIZE:
		return STATUS_INVALID_ARGUMENT;
	case STORE_TOO_BIG:
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

int
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

static uint64_t
store_file_bytes(const struct store *st)
{
	char path[4096];
	struct stat sb;

	snprintf(path, sizeof(path), "%s/data.mdb", st->dir);
	return stat(path, &sb) == 0 ? (uint64_t)sb.st_size : 0;
}

/* The map must hold at least what the file already has. */
static size_t
store_map_size(const struct store *st, size_t want)
{
	size_t have = (size_t)store_file_bytes(st);

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
	/* A write past a file size limit (ulimit -f) must fail with EFBIG,
	 * which is a full disk to the writer, not kill glossd by SIGXFSZ. */
	signal(SIGXFSZ, SIG_IGN);
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

/*
 * Closes the environment and opens it again at st->map_size; the caller
 * holds st->resize exclusively and no transaction is open.  This is how a
 * failed mdb_env_set_mapsize() is undone: LMDB 0.9.24 unmaps the old map
 * before mapping the new one, and when that fails it leaves me_map NULL,
 * which a second set_mapsize does not remap (mdb.c: it remaps only if
 * me_map is set), so the next mdb_txn_begin() would touch no map at all.
 * Closing clears this process's reader slots and releases LMDB's locks;
 * opening maps the file afresh.  On failure the store is marked broken.
 */
static void
store_reopen(struct store *st)
{
	char why[512];
	int rc;

	mdb_env_close(st->env);
	st->env = NULL;
	rc = store_env_open(st, st->map_size);
	if (rc == 0)
		rc = store_dbs_open(st, why, sizeof(why));
	if (rc == 0) {
		log_warn("reopened the LMDB environment at %zu MiB",
		    st->map_size >> 20);
		return;
	}
	log_error("cannot reopen the LMDB environment in %s: %s; glossd "
	          "refuses every request until it is restarted",
	    st->dir, mdb_strerror(rc));
	if (st->env != NULL)
		mdb_env_close(st->env);
	st->env = NULL;
	st->broken = true;
}

bool
store_out_of_space(const struct store *st, size_t bytes)
{
	uint64_t need = 2 * (uint64_t)bytes + STORE_SPACE_MARGIN;
	struct statvfs vfs;
	struct rlimit rl;

	if (statvfs(st->dir, &vfs) == 0 &&
	    (uint64_t)vfs.f_bavail * vfs.f_frsize < need)
		return true;
	/* RLIMIT_FSIZE (ulimit -f, prlimit --fsize): a write that crosses it
	 * is cut short, which LMDB reports as EIO. */
	return getrlimit(RLIMIT_FSIZE, &rl) == 0 &&
	       rl.rlim_cur != RLIM_INFINITY &&
	       store_file_bytes(st) + need > (uint64_t)rl.rlim_cur;
}

/* ------------------------------------------------------------ transactions */

static enum status
store_txn_new(struct store *st, MDB_txn *parent, unsigned flags,
    struct store_txn **out)
{
	struct store_txn *t;
	int rc;

	if (st->broken)
		return STATUS_UNAVAILABLE;
	if ((t = calloc(1, sizeof(*t))) == NULL)
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
	struct store *st = batch->st;
	size_t bytes = batch->bytes;
	int rc = store_note(batch, mdb_txn_commit(batch->txn));

	*map_full = batch->map_full;
	free(batch);
	/* A short write (the disk filled up inside it) is EIO to LMDB. */
	if (rc == EIO && store_out_of_space(st, bytes))
		return STATUS_RESOURCE_EXHAUSTED;
	if (rc == EIO)
		log_error("a commit of %zu bytes failed with an I/O error, and "
		          "the disk is not full",
		    bytes);
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
	struct store_txn *batch = t->batch;

	/* What it wrote is undone, so it no longer weighs on the batch. */
	if (batch != NULL)
		batch->bytes -=
		    t->bytes < batch->bytes ? t->bytes : batch->bytes;
	mdb_txn_abort(t->txn);
	free(t);
}

enum status
store_grow(struct store *st)
{
	size_t want = st->map_size * 2;
	int rc;

	pthread_rwlock_wrlock(&st->resize);
	if (st->broken) {
		pthread_rwlock_unlock(&st->resize);
		return STATUS_UNAVAILABLE;
	}
	rc = mdb_env_set_mapsize(st->env, want);
	if (rc == 0) {
		st->map_size = want;
	} else {
		log_error("cannot grow the map to %zu MiB: %s", want >> 20,
		    mdb_strerror(rc));
		store_reopen(st);
	}
	pthread_rwlock_unlock(&st->resize);
	if (rc != 0)
		return st->broken ? STATUS_UNAVAILABLE
		                  : STATUS_RESOURCE_EXHAUSTED;
	log_info("map grown to %zu MiB", want >> 20);
	return STATUS_OK;
}

/* ------------------------------------------------------------ info */

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
	out->file_size = store_file_bytes(t->st);
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
	return store_change_last(t, &out->last_seq);
}
