/*
 * store: the records of the data folder: the one put path every record
 * passes (store_put_message(), which refuses what would not fit the reply
 * that reads it back), articles and their indexes, label sets, the change
 * feed and applied requests, packed as gloss.v1 messages under the keys
 * key.h spells.  Annotations are store_annotation.c's; the environment and
 * transactions store_env.c's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "key.h"
#include "log.h"
#include "store_impl.h"
#include "wire.h"

/* ------------------------------------------------------------ records */

/* The largest value db keeps. */
static size_t
store_limit(enum store_db db)
{
	switch (db) {
	case STORE_DB_REQUESTS:
		return STORE_REQUEST_MAX;
	case STORE_DB_META:
		return STORE_META_MAX;
	default:
		return STORE_RECORD_MAX;
	}
}

/* Counts n bytes written by t, and by its batch, for store_out_of_space(). */
static void
store_count(struct store_txn *t, size_t n)
{
	t->bytes += n;
	if (t->batch != NULL)
		t->batch->bytes += n;
}

int
store_put_message(struct store_txn *t, enum store_db db, const void *k,
    size_t klen, const ProtobufCMessage *m, unsigned flags)
{
	MDB_val key = { klen, store_unconst(k) }, val;
	int rc;

	val.mv_size = protobuf_c_message_get_packed_size(m);
	if (klen == 0 || klen > KEY_MAX)
		return STORE_BAD_KEY;
	if (val.mv_size > store_limit(db)) {
		log_warn("a %s record of %zu bytes was refused (over %zu)",
		    m->descriptor->name, val.mv_size, store_limit(db));
		return STORE_TOO_BIG;
	}
	rc = mdb_put(t->txn, t->st->dbi[db], &key, &val, flags | MDB_RESERVE);
	if (rc != 0)
		return store_note(t, rc);
	protobuf_c_message_pack(m, val.mv_data);
	store_count(t, klen + val.mv_size);
	return 0;
}

int
store_put_raw(struct store_txn *t, enum store_db db, const void *k, size_t klen,
    const void *v, size_t n, unsigned flags)
{
	MDB_val key = { klen, store_unconst(k) }, val = { n, store_unconst(v) };
	int rc;

	if (klen == 0 || klen > KEY_MAX)
		return STORE_BAD_KEY;
	if (n > store_limit(db))
		return STORE_TOO_BIG;
	if ((rc = mdb_put(t->txn, t->st->dbi[db], &key, &val, flags)) != 0)
		return store_note(t, rc);
	store_count(t, klen + n);
	return 0;
}

int
store_put_empty(struct store_txn *t, enum store_db db, const void *k,
    size_t klen)
{
	return store_put_raw(t, db, k, klen, NULL, 0, 0);
}

/*
 * Unpacks a record with `alloc`.  If it does not unpack, it is unpacked
 * again with malloc to tell a spent request budget (RESOURCE_EXHAUSTED)
 * from a damaged record (DATA_LOSS).
 */
enum status
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

enum status
store_get_message(struct store_txn *t, enum store_db db, const void *k,
    size_t klen, const ProtobufCMessageDescriptor *d, ProtobufCAllocator *alloc,
    ProtobufCMessage **out)
{
	MDB_val key = { klen, store_unconst(k) }, val;
	int rc;

	/* No record has a key that cannot be built: the caller's value is
	 * malformed, not absent. */
	if (klen == 0 || klen > KEY_MAX)
		return STATUS_INVALID_ARGUMENT;
	if ((rc = mdb_get(t->txn, t->st->dbi[db], &key, &val)) != 0)
		return store_status(rc);
	atomic_fetch_add(&t->st->records_read, 1);
	return store_unpack(&val, d, alloc, out);
}

enum status
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

/* ------------------------------------------------------------ articles */

enum status
store_article_get(struct store_txn *t, const char *id,
    ProtobufCAllocator *alloc, Gloss__V1__Article **out)
{
	return store_get_message(t, STORE_DB_ARTICLES, id, strlen(id),
	    &gloss__v1__article__descriptor, alloc, (ProtobufCMessage **)out);
}

/*
 * Unpacks an Article record without its text: the text field is left out
 * at the wire level (wire_strip()) into a scratch copy, which is all that
 * is unpacked, so that a list of long articles never holds their texts,
 * not even for a moment, in the request's arena.
 */
static enum status
store_unpack_head(const MDB_val *v, ProtobufCAllocator *alloc,
    Gloss__V1__Article **out)
{
	const ProtobufCFieldDescriptor *f =
	    protobuf_c_message_descriptor_get_field_by_name(
	        &gloss__v1__article__descriptor, "text");
	size_t n = wire_strip(v->mv_data, v->mv_size, f->id, NULL);
	MDB_val head;
	enum status s;

	if (n == WIRE_STRIP_BAD) {
		log_error("an Article record of %zu bytes does not unpack",
		    v->mv_size);
		return STATUS_DATA_LOSS;
	}
	if ((head.mv_data = malloc(n > 0 ? n : 1)) == NULL)
		return STATUS_RESOURCE_EXHAUSTED;
	head.mv_size = wire_strip(v->mv_data, v->mv_size, f->id, head.mv_data);
	s = store_unpack(&head, &gloss__v1__article__descriptor, alloc,
	    (ProtobufCMessage **)out);
	free(head.mv_data);
	return s;
}

enum status
store_article_head(struct store_txn *t, const char *id,
    ProtobufCAllocator *alloc, Gloss__V1__Article **out)
{
	MDB_val key = { strlen(id), store_unconst(id) }, val;
	int rc;

	if (key.mv_size == 0 || key.mv_size > KEY_MAX)
		return STATUS_INVALID_ARGUMENT;
	rc = mdb_get(t->txn, t->st->dbi[STORE_DB_ARTICLES], &key, &val);
	if (rc != 0)
		return store_status(rc);
	atomic_fetch_add(&t->st->records_read, 1);
	return store_unpack_head(&val, alloc, out);
}

enum status
store_article_put(struct store_txn *t, const Gloss__V1__Article *a)
{
	uint8_t k[KEY_MAX];
	size_t n, idlen = strlen(a->id);
	int rc;

	rc = store_put_message(t, STORE_DB_ARTICLES, a->id, idlen, &a->base, 0);
	/* An index entry that cannot be built is refused, never skipped: an
	 * article missing from its index would vanish from filtered lists. */
	if (rc == 0) {
		n = key_pair(k, a->language, strlen(a->language), a->id, idlen);
		rc = store_put_empty(t, STORE_DB_BY_LANG, k, n);
	}
	if (rc == 0) {
		n = key_pair(k, a->group, strlen(a->group), a->id, idlen);
		rc = store_put_empty(t, STORE_DB_BY_GROUP, k, n);
	}
	return store_status(rc);
}

/* Where a scan looks: one database, and the key prefix its entries share. */
struct store_scan {
	enum store_db db;
	uint8_t prefix[KEY_MAX];
	size_t prefix_len;
	uint8_t start[KEY_MAX];
	size_t start_len;
	bool head; /* articles without their text */
};

/* STORE_BAD_KEY if a filter or `after` cannot be a key: it then matches
 * nothing, and is a malformed request rather than an empty answer. */
static int
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
	if (by != NULL && (sc->prefix_len = key_pair(sc->prefix, by, strlen(by),
	                       NULL, 0)) == 0)
		return STORE_BAD_KEY;
	if (sc->prefix_len + strlen(after) > KEY_MAX)
		return STORE_BAD_KEY;
	memcpy(sc->start, sc->prefix, sc->prefix_len);
	memcpy(sc->start + sc->prefix_len, after, strlen(after));
	sc->start_len = sc->prefix_len + strlen(after);
	return 0;
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
		if (sc->head)
			return store_unpack_head(v, alloc, a);
		return store_unpack(v, &gloss__v1__article__descriptor, alloc,
		    (ProtobufCMessage **)a);
	}
	memcpy(id, (const char *)k->mv_data + sc->prefix_len, idlen);
	id[idlen] = '\0';
	s = sc->head ? store_article_head(t, id, alloc, a)
	             : store_article_get(t, id, alloc, a);
	/* NOT_FOUND here is an index entry without its record. */
	return s == STATUS_NOT_FOUND || s == STATUS_INVALID_ARGUMENT
	           ? STATUS_DATA_LOSS
	           : s;
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

static enum status
store_scan(struct store_txn *t, const struct store_article_filter *f, bool head,
    ProtobufCAllocator *alloc, store_article_fn fn, void *arg)
{
	struct store_scan sc;
	Gloss__V1__Article *a = NULL;
	MDB_cursor *cur;
	MDB_val k, v;
	enum status s = STATUS_OK;
	int rc;

	if ((rc = store_scan_plan(f, &sc)) != 0)
		return store_status(rc);
	sc.head = head;
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

enum status
store_article_scan(struct store_txn *t, const struct store_article_filter *f,
    ProtobufCAllocator *alloc, store_article_fn fn, void *arg)
{
	return store_scan(t, f, false, alloc, fn, arg);
}

enum status
store_article_scan_heads(struct store_txn *t,
    const struct store_article_filter *f, ProtobufCAllocator *alloc,
    store_article_fn fn, void *arg)
{
	return store_scan(t, f, true, alloc, fn, arg);
}

/* ------------------------------------------------------------ labels */

enum status
store_label_get(struct store_txn *t, const char *set, const char *name,
    ProtobufCAllocator *alloc, Gloss__V1__Label **out)
{
	uint8_t k[KEY_MAX];
	size_t n = key_pair(k, set, strlen(set), name, strlen(name));

	return store_get_message(t, STORE_DB_LABELS, k, n,
	    &gloss__v1__label__descriptor, alloc, (ProtobufCMessage **)out);
}

enum status
store_label_put(struct store_txn *t, const char *set, const Gloss__V1__Label *l)
{
	uint8_t k[KEY_MAX];
	size_t n = key_pair(k, set, strlen(set), l->name, strlen(l->name));

	return store_status(
	    store_put_message(t, STORE_DB_LABELS, k, n, &l->base, 0));
}

struct store_label_walk {
	store_label_fn fn;
	void *arg;
	size_t skip; /* length of the `after` key, which is left out */
	size_t count;
};

static enum status
store_visit_label(struct store_walk *w, const MDB_val *k, const MDB_val *v,
    bool *go_on)
{
	struct store_label_walk *lw = w->arg;
	char set[KEY_MAX + 1];
	size_t name_at;
	Gloss__V1__Label *l;
	enum status s;

	if (lw->skip > 0 && k->mv_size == lw->skip &&
	    memcmp(k->mv_data, w->start, lw->skip) == 0)
		return STATUS_OK;
	if (key_split(k->mv_data, k->mv_size, &name_at) != 0)
		return STATUS_DATA_LOSS;
	lw->count++;
	if (lw->fn == NULL)
		return STATUS_OK; /* counting */
	memcpy(set, k->mv_data, name_at - 1);
	set[name_at - 1] = '\0';
	atomic_fetch_add(&w->t->st->records_read, 1);
	s = store_unpack(v, &gloss__v1__label__descriptor, w->alloc,
	    (ProtobufCMessage **)&l);
	if (s == STATUS_OK)
		*go_on = lw->fn(lw->arg, set, l);
	return s;
}

enum status
store_label_scan(struct store_txn *t, const char *set, const char *after_set,
    const char *after_name, ProtobufCAllocator *alloc, store_label_fn fn,
    void *arg)
{
	uint8_t k[KEY_MAX];
	struct store_label_walk lw = { fn, arg, 0, 0 };
	struct store_walk w = { .t = t,
		.db = STORE_DB_LABELS,
		.start = k,
		.visit = store_visit_label,
		.alloc = alloc,
		.arg = &lw };

	if (set[0] != '\0' &&
	    (w.prefix = key_pair(k, set, strlen(set), NULL, 0)) == 0)
		return STATUS_INVALID_ARGUMENT;
	w.n = w.prefix;
	if (after_set[0] != '\0') {
		w.n = lw.skip = key_pair(k, after_set, strlen(after_set),
		    after_name, strlen(after_name));
		if (w.n == 0 || (set[0] != '\0' && strcmp(set, after_set) != 0))
			return STATUS_INVALID_ARGUMENT;
	}
	return store_walk(&w);
}

enum status
store_label_count(struct store_txn *t, const char *set, size_t *n)
{
	uint8_t k[KEY_MAX];
	struct store_label_walk lw = { NULL, NULL, 0, 0 };
	struct store_walk w = { .t = t,
		.db = STORE_DB_LABELS,
		.start = k,
		.visit = store_visit_label,
		.arg = &lw };
	enum status s;

	if ((w.n = w.prefix = key_pair(k, set, strlen(set), NULL, 0)) == 0)
		return STATUS_INVALID_ARGUMENT;
	s = store_walk(&w);
	*n = lw.count;
	return s;
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
