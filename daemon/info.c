/* info: the GetServerInfo handler: what this glossd is and how it fares. */
#include "gloss/v1/gloss_desc.h"
#include "import.h"
#include "method.h"
#include "store.h"

static Gloss__V1__DatabaseStats **
info_dbs(struct call *c, const struct store_info *si)
{
	Gloss__V1__DatabaseStats **list, *d;

	list = call_alloc(c, STORE_DB_COUNT * sizeof(*list));
	d = call_alloc(c, STORE_DB_COUNT * sizeof(*d));
	if (list == NULL || d == NULL)
		return NULL;
	for (int i = 0; i < STORE_DB_COUNT; i++) {
		gloss__v1__database_stats__init(&d[i]);
		d[i].name = call_str(si->dbs[i].name);
		d[i].entries = si->dbs[i].entries;
		d[i].pages = si->dbs[i].pages;
		list[i] = &d[i];
	}
	return list;
}

static void
info_env(const struct call *c, Gloss__V1__GetServerInfoResponse *r)
{
	const struct call_env *env = c->env;

	r->version = (char *)GLOSS_VERSION;
	r->protocol = (char *)"gloss.v1";
	r->start_time_ms = env->start_time_ms;
	r->uptime_ms = (uint64_t)(c->now_ms - env->start_time_ms);
	r->data_dir = call_str(env->data_dir);
	/* listen is only packed, as call_str() explains */
	r->listen = (char **)(uintptr_t)env->listen;
	r->n_listen = env->n_listen;
	r->workers = env->workers;
	r->max_request_bytes = (uint32_t)env->max_request_bytes;
	r->max_article_bytes = (uint32_t)env->max_article_bytes;
	r->requests_served = atomic_load(&env->requests_served);
	r->writes_committed = atomic_load(&env->writes_committed);
	r->commits = atomic_load(&env->commits);
	r->connections = (uint32_t)atomic_load(&env->connections);
	r->max_connections = env->max_connections;
	r->connections_refused = atomic_load(&env->connections_refused);
}

/* An unfinished import: how far it got, and what to do about it. */
static enum status
info_import(struct call *c, Gloss__V1__GetServerInfoResponse *r)
{
	Gloss__V1__ImportRecordsResponse *ir;
	struct store_import st;
	enum status s = store_import_get(c->txn, &st);

	if (s == STATUS_NOT_FOUND)
		return STATUS_OK;
	if (s != STATUS_OK)
		return call_error(c, s, "cannot read the import's state");
	if ((ir = call_alloc(c, sizeof(*ir))) == NULL)
		return call_fail(c, REASON(OUT_OF_MEMORY), NULL,
		    "out of memory");
	gloss__v1__import_records_response__init(ir);
	import_progress(&st, ir);
	r->unfinished_import = ir;
	r->import_status = call_str(import_status_sentence(c, &st));
	return STATUS_OK;
}

/* Who the caller is, as glossd decided it for this very request. */
static enum status
info_caller(struct call *c, Gloss__V1__GetServerInfoResponse *r)
{
	Gloss__V1__Caller *w = call_alloc(c, sizeof(*w));

	if (w == NULL)
		return call_fail(c, REASON(OUT_OF_MEMORY), NULL,
		    "out of memory");
	gloss__v1__caller__init(w);
	w->name = call_str(c->caller.name != NULL ? c->caller.name : "");
	w->role = c->caller.role;
	w->authenticated_by =
	    call_str(c->caller.how != NULL ? c->caller.how : "");
	w->token_id =
	    call_str(c->caller.token_id != NULL ? c->caller.token_id : "");
	r->caller = w;
	return STATUS_OK;
}

enum status
info_get_server_info(struct call *c)
{
	Gloss__V1__GetServerInfoResponse *r = call_alloc(c, sizeof(*r));
	struct store_info si;
	enum status s;

	if (r == NULL)
		return call_fail(c, REASON(OUT_OF_MEMORY), NULL,
		    "out of memory");
	if ((s = store_info(c->txn, &si)) != STATUS_OK)
		return call_error(c, s, "cannot read the store's figures");
	gloss__v1__get_server_info_response__init(r);
	info_env(c, r);
	r->map_size_bytes = si.map_size;
	r->map_used_bytes = si.map_used;
	r->file_size_bytes = si.file_size;
	r->last_seq = si.last_seq;
	r->article_count = si.article_count;
	r->records_read = si.records_read;
	r->max_record_bytes = (uint32_t)STORE_RECORD_MAX;
	r->n_databases = STORE_DB_COUNT;
	if ((r->databases = info_dbs(c, &si)) == NULL)
		return call_fail(c, REASON(OUT_OF_MEMORY), NULL,
		    "out of memory");
	if ((s = info_import(c, r)) != STATUS_OK ||
	    (s = info_caller(c, r)) != STATUS_OK)
		return s;
	if (c->req->get_server_info->include_descriptors) {
		/* only packed, as call_str() explains */
		r->file_descriptor_set.data =
		    (uint8_t *)(uintptr_t)gloss_v1_descriptor_set;
		r->file_descriptor_set.len = gloss_v1_descriptor_set_len;
	}
	c->reply.body_case = GLOSS__V1__REPLY__BODY_GET_SERVER_INFO;
	c->reply.get_server_info = r;
	return STATUS_OK;
}
