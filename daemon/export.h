/*
 * export: the Export and ImportRecords methods (export.c, export_import.c)
 * and the formats they write (export_*.c).  The handler walks one snapshot
 * of the store and hands each piece (an article, an annotation, a change) to
 * the format, which writes bytes into an export_out.  Formats are pure: they
 * read the records they are given and write to the sink, never the store.
 */
#ifndef GLOSS_EXPORT_H
#define GLOSS_EXPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "call.h"
#include "json.h"

/*
 * The sink of one page: data for the reply's chunks, bounded by the page's
 * byte budget, and the loss records, bounded by their own, all in the
 * request's arena (`call`).  A piece may be cut where either fills; the next
 * page makes the same piece again and skips the bytes and the losses that
 * were sent, so a piece of any size, with any number of losses, goes out
 * whole and each loss once.
 */
struct export_out {
	struct call *call;
	char *buf;       /* the page's data, chunks point into it */
	size_t len, cap; /* data so far, and its limit (chunks' cost off) */
	size_t total;    /* the limit of data and losses together */
	Gloss__V1__ExportChunk **chunks;
	size_t n_chunks, max_chunks;
	Gloss__V1__ExportLoss **losses;
	size_t n_losses, max_losses;
	size_t loss_bytes;
	uint64_t losses_unlisted;
	const char *path; /* the file the piece writes to (copied per chunk) */
	size_t piece_pos; /* bytes of the current piece made so far */
	size_t skip;      /* bytes of it that earlier pages sent */
	size_t loss_pos;  /* losses of the current piece made so far */
	size_t loss_skip; /* losses of it that earlier pages listed */
	size_t cut;       /* when full: piece_pos at which data stopped */
	size_t loss_cut;  /* and loss_pos, at which listing stopped */
	bool full;        /* the page has no room left (data or losses) */
	bool oom;
};

/* Starts a piece that writes to file `path`; its first `skip` bytes and
 * its first `loss_skip` losses were sent by earlier pages. */
void export_piece(struct export_out *o, const char *path, size_t skip,
    size_t loss_skip);

/* Appends to the current piece; does nothing once the page is full. */
void export_write(struct export_out *o, const void *p, size_t n);
void export_puts(struct export_out *o, const char *s);
/* Makes sure the current path has a chunk, even an empty one (a file that
 * must exist, empty or not). */
void export_touch(struct export_out *o);
void export_printf(struct export_out *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Appends s[0..n) on one line: TAB, CR and LF written as spaces. */
void export_write_line(struct export_out *o, const char *s, size_t n);

/*
 * Whether nothing more of the current piece can reach this page: it is full
 * (the rest, data and losses, goes on the next page), or out of memory.  A
 * format may stop then; until then it must go on, to list every loss.
 */
bool export_done(const struct export_out *o);

/* s[0..n) as a JSON string literal (quotes included), as the JSON codec
 * writes one (json_print_string()). */
void export_json_string(struct export_out *o, const char *s, size_t n);

/* Lists a loss of the current piece, unless an earlier page listed it;
 * one that does not fit fills the page (the next one lists it). */
void export_loss(struct export_out *o, const char *article_id,
    uint64_t annotation_id, const char *reason, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Code points in text[0..byte), byte on a boundary (at most n). */
size_t export_chars(const char *text, size_t n, size_t byte);

/* The label of an annotation: entity label, verdict, MQM category, "". */
const char *export_label(const Gloss__V1__Annotation *a);

/* An MQM category and severity as WMT's files spell them
 * ("accuracy/mistranslation" -> "Accuracy/Mistranslation", "major" ->
 * "Major"), in the arena (or a constant); "" when out of memory. */
const char *export_mqm_category(struct call *c, const char *category);
const char *export_mqm_severity(struct call *c, const char *severity);

/* ISO 8601 UTC with milliseconds ("2025-01-10T12:00:00.000Z"). */
void export_time(char out[32], int64_t ms);

/* ------------------------------------------------------------ formats */

/*
 * What a format sees: the sink, the snapshot, the article in hand.  `call`
 * is not the request but a scratch arena of the export's own: what a format
 * allocates there lives until the piece is done (what open() allocates, until
 * the article is), so a page of many pieces never piles up temporaries.
 */
struct export_ctx {
	struct export_out *out;
	struct call *call; /* the scratch */
	uint64_t as_of;
	const Gloss__V1__ExportRequest *q;
	const Gloss__V1__Article *article; /* the article being written */
	size_t text_len;
	/* For a translation note: its source article, if glossd has it. */
	const Gloss__V1__Article *source;
	void *state; /* the format's own, per article, in the scratch */
	/* A running count the format keeps across articles (mqm: segments
	 * before this article); the format adds the article's in close(),
	 * when it is complete. */
	uint64_t counter;
	/* Annotations the piece wrote: the format adds one for each that it
	 * carried (not those it lost whole).  Counted in the reply only if the
	 * piece completes on the page. */
	uint64_t written;
	/* For close(): the article's last piece was made on this page (what
	 * only a complete article needs, its counter, is needed now). */
	bool complete;
};

enum export_flags {
	/* The format writes an article as one piece (article_whole), from
	 * what it gathered of its annotations, not one annotation a piece. */
	EXPORT_WHOLE = 1 << 0,
	/* The native format: annotations are written with every revision up
	 * to the snapshot, deleted ones included (revision), not as of it,
	 * and articles deleted as of the snapshot are written too. */
	EXPORT_REVISIONS = 1 << 1,
	/* The format writes the change feed after the articles. */
	EXPORT_CHANGES = 1 << 2,
	/* Translation notes need their source article's text. */
	EXPORT_SOURCES = 1 << 3,
};

struct export_format {
	const char *name;
	unsigned flags;
	/* Everything before the first article (header, configuration);
	 * NULL if nothing.  Label sets are read by the handler. */
	void (*prologue)(struct export_ctx *x, Gloss__V1__LabelSet **sets,
	    size_t n_sets);
	/* Called when an article is taken up, on every page that writes part
	 * of it, before anything else of it; sets x->state.  May be NULL. */
	void (*open)(struct export_ctx *x);
	/* The article's own piece (its text, its line); NULL if none. */
	void (*head)(struct export_ctx *x);
	/* One annotation as of the snapshot (active only); NULL if none. */
	void (
	    *annotation)(struct export_ctx *x, const Gloss__V1__Annotation *a);
	/* One revision (EXPORT_REVISIONS). */
	void (*revision)(struct export_ctx *x, const Gloss__V1__Annotation *a);
	/* EXPORT_WHOLE: each annotation of the article, active, as of the
	 * snapshot, in id order, before article_whole; the format keeps what
	 * it needs (the record is freed after the call). */
	void (*gather)(struct export_ctx *x, const Gloss__V1__Annotation *a);
	/* EXPORT_WHOLE: the article whole, from what gather() kept. */
	void (*article_whole)(struct export_ctx *x);
	/* One change (EXPORT_CHANGES). */
	void (*change)(struct export_ctx *x, const Gloss__V1__Change *ch);
	/* Releases what open() took (ICU iterators, arrays); may be NULL. */
	void (*close)(struct export_ctx *x);
};

/*
 * The entities of an article as the flat formats (conll, spacy) carry them:
 * one span each, none overlapping.  24 bytes an entity (malloc'd, freed by
 * export_flat_fini), each label once: what an article's annotations cost
 * these formats while it is written.
 */
struct export_flat_entity {
	uint64_t id;
	uint32_t start, end; /* UTF-8 bytes */
	uint32_t label;      /* in labels[] */
};

struct export_flat {
	const char *format; /* "conll", for the loss details */
	struct export_flat_entity *e;
	size_t n, max;
	char **labels;
	size_t n_labels, max_labels;
};

/*
 * A flat format's open, gather and close (export_format's): an
 * export_flat in x->state (the scratch), named after the request's format
 * in loss details.  Gathering keeps an annotation if it is an entity of
 * one span and lists it as lost otherwise (kind, discontinuous); out of
 * memory sets x->out->oom.
 */
void export_flat_open(struct export_ctx *x);
void export_flat_gather(struct export_ctx *x, const Gloss__V1__Annotation *a);
void export_flat_close(struct export_ctx *x);

/* Sorts the entities in text order (the longer first of two that start
 * together) and drops those that overlap one kept, as losses (overlap). */
void export_flat_resolve(struct export_ctx *x, struct export_flat *f);

static inline const char *
export_flat_label(const struct export_flat *f,
    const struct export_flat_entity *e)
{
	return f->labels[e->label];
}

/* "an entity", "a fact correction", "a translation note", "a note". */
const char *export_kind_name(Gloss__V1__Kind kind);

/* The version the jsonl format writes in its header; ImportRecords reads
 * every version from 1 up to it (import.c maps version 1's names). */
#define EXPORT_JSONL_VERSION 2

extern const struct export_format export_jsonl, export_w3c, export_brat,
    export_conll, export_mqm, export_spacy;

/* ------------------------------------------------------------ JSON */

/* The page as a sink of the JSON codec (json.h): what is printed through
 * it goes to export_write(). */
struct json_sink export_sink(struct export_out *o);

/* ------------------------------------------------------------ text */

struct UText;
struct UBreakIterator;

/*
 * A walk over the UAX #29 boundaries of text[0..n) (sentences, or words),
 * by ICU's break iterator run straight over the UTF-8 (utext_openUTF8), so
 * offsets are bytes.  It holds no array: memory does not grow with the text.
 */
struct export_breaks {
	struct UText *ut;
	struct UBreakIterator *bi;
	size_t n;
	bool done;
};

#define EXPORT_BREAKS_END SIZE_MAX

/* Opens a walk; false if ICU could not (out of memory).  `language` is a
 * BCP 47 tag, the locale of the rules.  Close it even on failure. */
bool export_breaks_open(struct export_breaks *b, const char *text, size_t n,
    const char *language, bool words);

/* The next boundary after 0, in order, the last being n; then
 * EXPORT_BREAKS_END. */
size_t export_breaks_next(struct export_breaks *b);

/* The segments that [start, end) touches (start < end <= n): *from is the
 * last boundary at or before start, *to the first at or after end.  Moves
 * the walk: call export_breaks_next() no more after it. */
void export_breaks_around(struct export_breaks *b, size_t start, size_t end,
    size_t *from, size_t *to);

void export_breaks_close(struct export_breaks *b);

#endif
