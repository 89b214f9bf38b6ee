/* feed: appending to the change feed, and the etags it stamps. */
#include <inttypes.h>

#include "auth.h"
#include "feed.h"
#include "method.h"
#include "page.h"
#include "store.h"

enum status
feed_record(struct call *c, const struct feed_entry *e, uint64_t *seq,
    char **etag)
{
	Gloss__V1__Change ch = GLOSS__V1__CHANGE__INIT;
	enum status s;

	ch.time_ms = c->now_ms;
	ch.author = c->req->author;
	ch.subject = e->subject;
	ch.operation = e->operation;
	ch.article_id = call_str(e->article_id);
	ch.annotation_id = e->annotation_id;
	ch.revision = e->revision;
	ch.request_id = c->req->request_id;
	ch.acting_admin = call_str(
	    c->caller.acting_admin != NULL ? c->caller.acting_admin : "");
	if ((s = store_change_append(c->txn, &ch)) != STATUS_OK)
		return call_error(c, s, "cannot append to the change feed");
	*seq = ch.seq;
	/* Revision and sequence: unique even across a restore from backup
	 * that rewinds revisions, and readable in a log. */
	*etag = call_printf(c, "%" PRIu64 "-%" PRIx64, e->revision, ch.seq);
	if (*etag == NULL)
		return call_fail(c, REASON(OUT_OF_MEMORY), NULL,
		    "out of memory");
	return STATUS_OK;
}

/* OUT_OF_RANGE: sequence `seq` of `field` is past `last`, the newest. */
static enum status
feed_past_end(struct call *c, const char *field, uint64_t seq, uint64_t last)
{
	call_fail(c, REASON(SEQ_PAST_END), field,
	    "%s %" PRIu64 " is past the newest change (%" PRIu64 "): it is "
	    "not a sequence number of this store's feed",
	    field, seq, last);
	call_meta(c, "last_seq", "%" PRIu64, last);
	return call_status(c);
}

enum status
feed_check_seq(struct call *c, uint64_t seq)
{
	uint64_t last;
	enum status s = store_change_last(c->txn, &last);

	if (s != STATUS_OK)
		return call_error(c, s, "cannot read the change feed");
	if (seq > last)
		return feed_past_end(c, "as_of_seq", seq, last);
	return STATUS_OK;
}

bool
feed_article_as_of(struct call *c, Gloss__V1__Article *a, uint64_t as_of)
{
	if (as_of == 0)
		return true;
	if (a->create_seq > as_of)
		return false;
	if (a->state == GLOSS__V1__STATE__STATE_DELETED &&
	    a->delete_seq > as_of) {
		/* Articles change only by deletion: before it, revision 1. */
		a->state = GLOSS__V1__STATE__STATE_ACTIVE;
		a->revision = 1;
		a->deleted_by = (char *)"";
		a->delete_time_ms = 0;
		a->delete_seq = 0;
		a->etag = call_printf(c, "1-%" PRIx64, a->create_seq);
	}
	return a->etag != NULL;
}

/*
 * Finds the revision in force at as_of by walking the revisions oldest
 * first, dropping each from the arena once its number is noted, so that an
 * annotation edited a thousand times costs one revision's memory.
 */
struct feed_past {
	struct call *call;
	struct call_mark mark;
	uint64_t as_of, revision;
};

static bool
feed_past_add(void *arg, Gloss__V1__Annotation *a)
{
	struct feed_past *p = arg;
	bool past = a->update_seq <= p->as_of;

	if (past)
		p->revision = a->revision;
	call_release(p->call, p->mark);
	return past;
}

enum status
feed_annotation_as_of(struct call *c, uint64_t id, uint64_t as_of,
    Gloss__V1__Annotation **out)
{
	struct feed_past p = { c, call_mark(c), as_of, 0 };
	enum status s;

	if (as_of == 0)
		return store_annotation_get(c->txn, id, &c->allocator, out);
	s = store_revision_scan(c->txn, id, 0, &c->allocator, feed_past_add,
	    &p);
	if (s != STATUS_OK)
		return s;
	if (p.revision == 0)
		return STATUS_NOT_FOUND;
	return store_revision_get(c->txn, id, p.revision, &c->allocator, out);
}

/* ------------------------------------------------------------ ListChanges */

struct feed_page {
	struct call *call;
	const Gloss__V1__ListChangesRequest *q;
	Gloss__V1__Change **items;
	size_t n, max;
	size_t bytes, budget;
	enum status failed;
};

/* Attaches the record as of change ch, for include_records. */
static enum status
feed_attach(struct call *c, Gloss__V1__Change *ch)
{
	enum status s;

	if (ch->subject == GLOSS__V1__SUBJECT__SUBJECT_ANNOTATION)
		return store_revision_get(c->txn, ch->annotation_id,
		    ch->revision, &c->allocator, &ch->annotation);
	s = store_article_head(c->txn, ch->article_id, &c->allocator,
	    &ch->article);
	if (s != STATUS_OK)
		return s;
	feed_article_as_of(c, ch->article, ch->seq);
	return STATUS_OK;
}

static bool
feed_page_add(void *arg, Gloss__V1__Change *ch)
{
	struct feed_page *pg = arg;
	size_t size;

	if (pg->q->include_records &&
	    (pg->failed = feed_attach(pg->call, ch)) != STATUS_OK)
		return false;
	/* A request id lets its holder replay the reply: its author's and
	 * an admin's only. */
	if (ch->request_id[0] != '\0' &&
	    !auth_sees_request_ids(pg->call, ch->author))
		ch->request_id[0] = '\0';
	size = protobuf_c_message_get_packed_size(&ch->base) + 8;
	if (pg->n == pg->max || (pg->n > 0 && pg->bytes + size > pg->budget))
		return false;
	pg->items[pg->n++] = ch;
	pg->bytes += size;
	return true;
}

enum status
feed_list_changes(struct call *c)
{
	const Gloss__V1__ListChangesRequest *q = c->req->list_changes;
	Gloss__V1__ListChangesResponse *r = call_alloc(c, sizeof(*r));
	struct feed_page pg = { .call = c, .q = q };
	enum status s;

	if (r == NULL)
		return call_fail(c, REASON(OUT_OF_MEMORY), NULL,
		    "out of memory");
	if (q->wait_ms > FEED_WAIT_MAX_MS)
		return call_fail(c, REASON(FIELD_OVER_LIMIT), "wait_ms",
		    "wait at most %d ms, then ask again", FEED_WAIT_MAX_MS);
	if ((s = page_size(c, q->limit, &pg.max)) != STATUS_OK)
		return s;
	pg.items = call_alloc(c, pg.max * sizeof(*pg.items));
	pg.budget = c->env->max_reply_bytes - 4096;
	if (pg.items == NULL)
		return call_fail(c, REASON(OUT_OF_MEMORY), NULL,
		    "out of memory");
	gloss__v1__list_changes_response__init(r);
	if ((s = store_change_last(c->txn, &r->last_seq)) != STATUS_OK)
		return call_error(c, s, "cannot read the change feed");
	/* A cursor past the end is from another store (or one restored from
	 * an older backup): waiting would never bring its change. */
	if (q->since_seq > r->last_seq)
		return feed_past_end(c, "since_seq", q->since_seq, r->last_seq);
	if ((s = store_change_scan(c->txn, q->since_seq, &c->allocator,
	         feed_page_add, &pg)) != STATUS_OK ||
	    (s = pg.failed) != STATUS_OK)
		return call_error(c, s, "cannot read the change feed");
	/* Nothing new: the server parks the request until a commit or the
	 * wait's end, and serves it again then. */
	if (pg.n == 0 && q->wait_ms > 0 && c->may_park)
		c->park_ms = q->wait_ms;
	r->changes = pg.items;
	r->n_changes = pg.n;
	c->reply.body_case = GLOSS__V1__REPLY__BODY_LIST_CHANGES;
	c->reply.list_changes = r;
	return STATUS_OK;
}
