/*
 * store_import: the durable state of an unfinished ImportRecords restore,
 * in the meta database: the state itself, the pieces of a line that has
 * not ended yet, and references to check when the import ends.  Knows
 * nothing of jsonl: export_import.c gives it bytes.
 */
#include <string.h>

#include "key.h"
#include "store_impl.h"

/* The record: its version, the u64 fields of struct store_import, the
 * header's digest, the header flag.  Version 1 (before jsonl version 2)
 * had no `version` field: its imports read files of version 1. */
#define IMPORT_VERSION   2
#define IMPORT_FIELDS    10
#define IMPORT_SIZE(n)   ((size_t)(1 + 8 * (n) + 32 + 1))
#define IMPORT_V1_FIELDS 9

static const char store_import_key[] = "import";
static const char store_import_part[] = "import.part";
static const char store_import_ref[] = "import.ref";

/* The meta key `prefix`‖i (big-endian). */
static size_t
store_import_numbered(uint8_t *k, const char *prefix, uint64_t i)
{
	size_t n = strlen(prefix);

	memcpy(k, prefix, n);
	k[n] = '\0';
	key_put_u64(k + n + 1, i);
	return n + 1 + 8;
}

static void
store_import_fields(const struct store_import *s, uint64_t v[IMPORT_FIELDS])
{
	v[0] = s->id, v[1] = s->as_of, v[2] = s->last_seq, v[3] = s->lines;
	v[4] = s->line, v[5] = s->offset, v[6] = s->pending, v[7] = s->parts;
	v[8] = s->deferred, v[9] = s->version;
}

enum status
store_import_get(struct store_txn *t, struct store_import *out)
{
	MDB_val k = { strlen(store_import_key),
		store_unconst(store_import_key) };
	MDB_val v;
	const uint8_t *p;
	uint64_t f[IMPORT_FIELDS] = { 0 };
	int rc, n;

	memset(out, 0, sizeof(*out));
	if ((rc = mdb_get(t->txn, t->st->dbi[STORE_DB_META], &k, &v)) != 0)
		return store_status(rc);
	p = v.mv_data;
	n = v.mv_size > 0 && p[0] == 1 ? IMPORT_V1_FIELDS : IMPORT_FIELDS;
	if (v.mv_size != IMPORT_SIZE(n) ||
	    (p[0] != 1 && p[0] != IMPORT_VERSION))
		return STATUS_DATA_LOSS;
	for (int i = 0; i < n; i++)
		f[i] = key_get_u64(p + 1 + 8 * i);
	out->id = f[0], out->as_of = f[1], out->last_seq = f[2];
	out->lines = f[3], out->line = f[4], out->offset = f[5];
	out->pending = f[6], out->parts = f[7], out->deferred = f[8];
	out->version = n == IMPORT_V1_FIELDS ? 1 : f[9];
	memcpy(out->header_sha256, p + 1 + 8 * n, 32);
	out->header = p[IMPORT_SIZE(n) - 1] != 0;
	return STATUS_OK;
}

enum status
store_import_put(struct store_txn *t, const struct store_import *s)
{
	uint8_t buf[IMPORT_SIZE(IMPORT_FIELDS)];
	uint64_t f[IMPORT_FIELDS];

	buf[0] = IMPORT_VERSION;
	store_import_fields(s, f);
	for (int i = 0; i < IMPORT_FIELDS; i++)
		key_put_u64(buf + 1 + 8 * i, f[i]);
	memcpy(buf + 1 + 8 * IMPORT_FIELDS, s->header_sha256, 32);
	buf[sizeof(buf) - 1] = s->header ? 1 : 0;
	return store_status(store_put_raw(t, STORE_DB_META, store_import_key,
	    strlen(store_import_key), buf, sizeof(buf), 0));
}

enum status
store_import_part_put(struct store_txn *t, uint64_t i, const void *p, size_t n)
{
	uint8_t k[32];
	size_t kn = store_import_numbered(k, store_import_part, i);

	return store_status(store_put_raw(t, STORE_DB_META, k, kn, p, n, 0));
}

enum status
store_import_parts_take(struct store_txn *t, const struct store_import *s,
    char *buf)
{
	MDB_dbi dbi = t->st->dbi[STORE_DB_META];
	uint8_t k[32];
	MDB_val key = { 0, k }, v;
	size_t at = 0;
	int rc;

	for (uint64_t i = 0; i < s->parts; i++) {
		key.mv_size = store_import_numbered(k, store_import_part, i);
		if ((rc = mdb_get(t->txn, dbi, &key, &v)) != 0)
			return rc == MDB_NOTFOUND ? STATUS_DATA_LOSS
			                          : store_status(rc);
		if (at + v.mv_size > s->pending)
			return STATUS_DATA_LOSS;
		memcpy(buf + at, v.mv_data, v.mv_size);
		at += v.mv_size;
		if ((rc = mdb_del(t->txn, dbi, &key, NULL)) != 0)
			return store_status(store_note(t, rc));
	}
	return at == s->pending ? STATUS_OK : STATUS_DATA_LOSS;
}

enum status
store_import_defer(struct store_txn *t, uint64_t i, const void *p, size_t n)
{
	uint8_t k[32];
	size_t kn = store_import_numbered(k, store_import_ref, i);

	return store_status(store_put_raw(t, STORE_DB_META, k, kn, p, n, 0));
}

/* Visits the meta entries under `prefix`‖NUL; with fn NULL deletes them. */
static enum status
store_import_walk(struct store_txn *t, const char *prefix, store_import_fn fn,
    void *arg)
{
	size_t n = strlen(prefix) + 1;
	MDB_cursor *cur;
	MDB_val k = { n, store_unconst(prefix) }, v;
	enum status s = STATUS_OK;
	int rc;

	if ((rc = mdb_cursor_open(t->txn, t->st->dbi[STORE_DB_META], &cur)) !=
	    0)
		return store_status(rc);
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (k.mv_size < n || memcmp(k.mv_data, prefix, n) != 0)
			break;
		if (fn != NULL && (s = fn(arg, v.mv_data, v.mv_size)) != 0)
			break;
		if (fn == NULL && (rc = mdb_cursor_del(cur, 0)) != 0)
			break;
	}
	mdb_cursor_close(cur);
	if (s == STATUS_OK && rc != 0 && rc != MDB_NOTFOUND)
		s = store_status(store_note(t, rc));
	return s;
}

enum status
store_import_deferred_scan(struct store_txn *t, store_import_fn fn, void *arg)
{
	return store_import_walk(t, store_import_ref, fn, arg);
}

enum status
store_import_end(struct store_txn *t)
{
	MDB_val k = { strlen(store_import_key),
		store_unconst(store_import_key) };
	enum status s;
	int rc;

	if ((s = store_import_walk(t, store_import_part, NULL, NULL)) !=
	        STATUS_OK ||
	    (s = store_import_walk(t, store_import_ref, NULL, NULL)) !=
	        STATUS_OK)
		return s;
	rc = mdb_del(t->txn, t->st->dbi[STORE_DB_META], &k, NULL);
	return rc == MDB_NOTFOUND ? STATUS_OK : store_status(store_note(t, rc));
}

enum status
store_import_abandon(struct store_txn *t)
{
	static const enum store_db dbs[] = { STORE_DB_ARTICLES,
		STORE_DB_BY_LANG, STORE_DB_BY_GROUP, STORE_DB_CHANGES,
		STORE_DB_ANNOTATIONS, STORE_DB_REVISIONS, STORE_DB_ANN_INDEX };
	int rc;

	for (size_t i = 0; i < sizeof(dbs) / sizeof(dbs[0]); i++)
		if ((rc = mdb_drop(t->txn, t->st->dbi[dbs[i]], 0)) != 0)
			return store_status(store_note(t, rc));
	return store_import_end(t);
}
