/*
 * export_walk: one page of an Export, as the handler (export.c: the request,
 * the page token, the prologue) and the walk of the snapshot
 * (export_walk.c: articles, annotations, changes) share it.  Internal to
 * the Export handler; formats see only export.h.
 */
#ifndef GLOSS_EXPORT_WALK_H
#define GLOSS_EXPORT_WALK_H

#include "export.h"

enum export_phase {
	EXPORT_AT_PROLOGUE,
	EXPORT_AT_ARTICLES,
	EXPORT_AT_CHANGES,
	EXPORT_AT_DONE,
};

/* A piece of the stream, and where a page starts: the piece and the bytes
 * of it sent already. */
struct export_pos {
	int phase;
	const char *article; /* EXPORT_AT_ARTICLES: the article */
	uint64_t ann;        /* its annotation, 0 for the article's own piece */
	uint64_t seq;        /* EXPORT_CHANGES: the change */
	uint64_t counter;    /* the format's running count at the article */
	size_t skip;
};

struct export_run {
	struct call *call;
	const Gloss__V1__ExportRequest *q;
	const struct export_format *f;
	struct export_out out;
	struct export_ctx x;
	uint64_t as_of;
	size_t max_pieces, pieces;
	struct export_pos at;   /* where this page starts */
	struct export_pos cur;  /* the piece being made */
	struct export_pos next; /* where the next page starts */
	bool started;           /* the first piece of the page is made */
	bool stopped;           /* the page ended before the stream */
	enum status failed;
	/* What the page completed: the reply's articles and annotations. */
	uint32_t articles, annotations;
	/* An annotation of the article in hand was written (on this page or
	 * an earlier one): the article is in the count.  The token carries
	 * it from page to page. */
	bool wrote, at_wrote, next_wrote;
	/* Losses of the piece where the page starts (ends) that earlier
	 * pages listed: a piece's losses may take several pages. */
	size_t at_lskip, next_lskip;
	uint64_t counter; /* the format's count before the next article */
	uint64_t base;    /* and before the article in hand */
	Gloss__V1__Article *source; /* cached source article (malloc'd) */
	/* The scratch (x.call): an arena apart from the request's, which
	 * holds the page; a piece's temporaries are released when the piece
	 * ends, an article's when the article does. */
	struct call scratch;
	struct call_mark piece_mark;
};

/* Sets up r->scratch (and x.call); export_walk_fini() releases it. */
void export_walk_init(struct export_run *r);
void export_walk_fini(struct export_run *r);

/* n bytes of the scratch, aligned for any type; NULL when out of memory.
 * export_scratch_reset() frees everything it holds, when no piece nor
 * article is in hand (the prologue's label sets). */
void *export_scratch_alloc(struct call *scratch, size_t n);
void export_scratch_reset(struct call *scratch);

/*
 * Starts piece p if the page has room for it; otherwise makes p where the
 * next page starts and returns false.
 */
bool export_begin(struct export_run *r, const struct export_pos *p);

/* Ends the current piece, counting what it wrote if it completed; false if
 * the page filled inside it or it failed (r->failed). */
bool export_end(struct export_run *r);

/* The articles in scope, then (jsonl, no filter) the change feed, from
 * where the page starts; false if the page ended first or failed. */
bool export_walk_articles(struct export_run *r);
bool export_walk_changes(struct export_run *r);

/* Whether article a, as stored now, is in the snapshot r->as_of: created by
 * then, and (unless the format carries tombstones) not deleted by then. */
bool export_in_snapshot(const struct export_run *r,
    const Gloss__V1__Article *a);

#endif
