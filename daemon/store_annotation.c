/*
 * store_annotation: annotations in the store: their current state, every
 * revision, the secondary indexes (article, group, label, kb id, author)
 * moved in the same transaction, and the leapfrog join that answers a list
 * through them.  Records pass store.c's one put path.
 */
#include <string.h>

#include "key.h"
#include "store_impl.h"

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

/* Whether value is too long to be part of an index key. */
static bool
store_index_too_long(const char *value)
{
	return 1 + strlen(value) + 1 + 8 > KEY_MAX;
}

/* ix‖value‖NUL‖id, or 0 if value is empty (not indexed) or too long
 * (store_index_too_long()). */
static size_t
store_index_key(uint8_t k[KEY_MAX], enum store_index ix, const char *value,
    uint64_t id)
{
	size_t n = strlen(value);

	if (n == 0 || store_index_too_long(value))
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
		/* Refused, never left out: a list through this index would
		 * miss the annotation. */
		if (store_index_too_long(now))
			return STORE_BAD_KEY;
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
	if (store_index_too_long(value))
		return STATUS_INVALID_ARGUMENT;
	if ((w.n = store_index_key(k, ix, value, after + 1)) == 0)
		return STATUS_OK; /* nothing is indexed under "" */
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
		if (store_index_too_long(terms[i].value))
			return STATUS_INVALID_ARGUMENT;
		if ((plen[i] = store_index_key(prefix[i], terms[i].ix,
		         terms[i].value, 0)) == 0)
			return STATUS_OK; /* nothing is indexed under "" */
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
