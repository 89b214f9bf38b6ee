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

/*
 * The past, rebuilt from revisions: `as_of` is a change-feed sequence
 * number, 0 meaning now.
 */

/* OUT_OF_RANGE (set on the call) if seq is past the newest change. */
enum status feed_check_seq(struct call *c, uint64_t seq);

/* Turns article `a` (as stored now) into what it was right after change
 * `as_of`; false if it did not exist yet. */
bool feed_article_as_of(struct call *c, Gloss__V1__Article *a, uint64_t as_of);

/* Annotation `id` as it was right after change `as_of`: its latest
 * revision at or before it.  NOT_FOUND (not set on the call) if it did not
 * exist yet. */
enum status feed_annotation_as_of(struct call *c, uint64_t id, uint64_t as_of,
    Gloss__V1__Annotation **out);

/* Longest a ListChanges may wait for a change. */
#define FEED_WAIT_MAX_MS 60000

#endif
