/*
 * crash_check: the checker's insides, shared by its two files:
 * crash_check.c (journals, records, labels) and crash_feed.c (the change
 * feed and resends).  Not part of crash.h: nothing else needs them.
 */
#ifndef GLOSS_CRASH_CHECK_H
#define GLOSS_CRASH_CHECK_H

#include "crash.h"

/* One write: what was sent, and glossd's final reply (NULL until settled). */
struct ck_write {
	uint8_t *req, *rep;
	size_t req_n, rep_n;
	Gloss__V1__Request *q;
	Gloss__V1__Reply *r;
};

/* One acknowledged state of a record, in the order it was acknowledged. */
struct ck_rec {
	const char *article_id;
	uint64_t annotation_id; /* 0: an article */
	const ProtobufCMessage *rec;
	size_t write;
};

/* One entry of the change feed, as read back. */
struct ck_change {
	Gloss__V1__Change *c;
	bool matched;
};

struct ck {
	struct rpc_client *rpc;
	struct crash_figures *f;
	struct ck_write *w;
	size_t n;
	struct ck_rec *recs;
	size_t n_recs;
	Gloss__V1__Reply **keep; /* replies whose records ck_change points to */
	size_t n_keep;
	struct ck_change *ch;
	size_t n_ch;
};

/* Counts a failed check and prints it (the first CK_SHOWN of them). */
void ck_fail(struct ck *k, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Sends q until glossd answers for good (not UNAVAILABLE or
 * DEADLINE_EXCEEDED); the reply, and its packed bytes in *buf if buf is not
 * NULL (the caller frees both).  NULL, counted as a failure, if none came. */
Gloss__V1__Reply *ck_call(struct ck *k, Gloss__V1__Request *q, uint8_t **buf,
    size_t *n);

/* A read: its OK reply, or NULL (counted as a failure). */
Gloss__V1__Reply *ck_read(struct ck *k, Gloss__V1__Request *q,
    const char *what);

/* The feed is gap-free and holds each acknowledged write's change once. */
void cf_feed(struct ck *k);

/* Resends up to max acknowledged writes: each gets its first reply back,
 * and the feed does not move. */
void cf_resend(struct ck *k, size_t max);

#endif
