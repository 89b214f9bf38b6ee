/*
 * store_user: the users and their tokens.  Two databases: users (name ->
 * UserRecord) and user_tokens (token id -> name), so that a request's
 * token finds its user with one lookup.  Only hashes of secrets are kept.
 */
#include <string.h>

#include "key.h"
#include "store_impl.h"

struct store_user_walk {
	store_user_fn fn;
	void *arg;
};

enum status
store_user_get(struct store_txn *t, const char *name, ProtobufCAllocator *alloc,
    Gloss__V1__UserRecord **out)
{
	return store_get_message(t, STORE_DB_USERS, name, strlen(name),
	    &gloss__v1__user_record__descriptor, alloc,
	    (ProtobufCMessage **)out);
}

enum status
store_user_by_token(struct store_txn *t, const char *token_id,
    ProtobufCAllocator *alloc, Gloss__V1__UserRecord **out)
{
	MDB_val k = { strlen(token_id), store_unconst(token_id) }, v;
	char name[KEY_MAX + 1];
	int rc;

	if (k.mv_size == 0 || k.mv_size > KEY_MAX)
		return STATUS_NOT_FOUND;
	rc = mdb_get(t->txn, t->st->dbi[STORE_DB_USER_TOKENS], &k, &v);
	if (rc != 0)
		return store_status(rc);
	if (v.mv_size == 0 || v.mv_size > KEY_MAX)
		return STATUS_DATA_LOSS;
	memcpy(name, v.mv_data, v.mv_size);
	name[v.mv_size] = '\0';
	return store_user_get(t, name, alloc, out);
}

enum status
store_user_put(struct store_txn *t, const Gloss__V1__UserRecord *u,
    const char *old_token_id)
{
	const char *name = u->user->name, *id = u->user->token_id;
	MDB_val k;
	int rc;

	if (old_token_id != NULL && old_token_id[0] != '\0' &&
	    strcmp(old_token_id, id) != 0) {
		k = (MDB_val){ strlen(old_token_id),
			store_unconst(old_token_id) };
		rc =
		    mdb_del(t->txn, t->st->dbi[STORE_DB_USER_TOKENS], &k, NULL);
		if (rc != 0 && rc != MDB_NOTFOUND)
			return store_status(rc);
	}
	rc = store_put_raw(t, STORE_DB_USER_TOKENS, id, strlen(id), name,
	    strlen(name), 0);
	if (rc == 0)
		rc = store_put_message(t, STORE_DB_USERS, name, strlen(name),
		    &u->base, 0);
	return store_status(rc);
}

static enum status
store_visit_user(struct store_walk *w, const MDB_val *k, const MDB_val *v,
    bool *go_on)
{
	struct store_user_walk *uw = w->arg;
	Gloss__V1__UserRecord *u;
	enum status s;

	(void)k;
	atomic_fetch_add(&w->t->st->records_read, 1);
	s = store_unpack(v, &gloss__v1__user_record__descriptor, w->alloc,
	    (ProtobufCMessage **)&u);
	if (s == STATUS_OK && u->user == NULL)
		s = STATUS_DATA_LOSS;
	if (s == STATUS_OK)
		*go_on = uw->fn(uw->arg, u);
	return s;
}

enum status
store_user_scan(struct store_txn *t, ProtobufCAllocator *alloc,
    store_user_fn fn, void *arg)
{
	struct store_user_walk uw = { fn, arg };
	/* From the first key: an empty start, not NULL (memcmp's). */
	static const uint8_t none[1];
	struct store_walk w = { .t = t,
		.db = STORE_DB_USERS,
		.start = none,
		.visit = store_visit_user,
		.alloc = alloc,
		.arg = &uw };

	return store_walk(&w);
}

enum status
store_user_any(struct store_txn *t, bool *any)
{
	MDB_stat ms;
	int rc = mdb_stat(t->txn, t->st->dbi[STORE_DB_USERS], &ms);

	*any = rc == 0 && ms.ms_entries > 0;
	return store_status(rc);
}
