/* feed: appending to the change feed, and the etags it stamps. */
#include <inttypes.h>

#include "feed.h"
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
	if ((s = store_change_append(c->txn, &ch)) != STATUS_OK)
		return call_error(c, s, "cannot append to the change feed");
	*seq = ch.seq;
	/* Revision and sequence: unique even across a restore from backup
	 * that rewinds revisions, and readable in a log. */
	*etag = call_printf(c, "%" PRIu64 "-%" PRIx64, e->revision, ch.seq);
	if (*etag == NULL)
		return call_error(c, STATUS_RESOURCE_EXHAUSTED,
		    "out of memory");
	return STATUS_OK;
}
