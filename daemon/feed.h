/*
 * feed: the change feed as handlers write it: every change gets the next
 * sequence number in the transaction that makes it, and the etag of the
 * revision it creates.
 */
#ifndef GLOSS_FEED_H
#define GLOSS_FEED_H

#include "call.h"

/* What one change is about. */
struct feed_entry {
	Gloss__V1__Subject subject;
	Gloss__V1__Operation operation;
	const char *article_id;
	uint64_t annotation_id; /* 0 for an article */
	uint64_t revision;      /* the revision the change creates */
};

/*
 * Appends the change, made by the request's author at c->now_ms, and
 * returns its sequence number in *seq and the new revision's etag (owned by
 * the arena) in *etag.  On failure sets the call's error and returns it.
 */
enum status feed_record(struct call *c, const struct feed_entry *e,
    uint64_t *seq, char **etag);

#endif
