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

/*
 * The sink of one page: data for the reply's chunks, bounded by the page's
 * byte budget, and the loss records.  A piece may be cut where the page
 * fills; the next page makes the same piece again and skips what was sent.
 */
struct export_out {
	struct call *call;
	char *buf; /* the page's data, chunks point into it */
	size_t len, cap;
	Gloss__V1__ExportChunk **chunks;
	size_t n_chunks, max_chunks;
	Gloss__V1__ExportLoss **losses;
	size_t n_losses, max_losses;
	size_t loss_bytes, loss_budget;
	uint64_t losses_unlisted;
	const char *path; /* the file the piece writes to */
	size_t piece_pos; /* bytes of the current piece made so far */
	size_t skip;      /* bytes of it that earlier pages sent */
	size_t cut;       /* when full: piece_pos at which data stopped */
	bool full;        /* the page has no room left */
	bool quiet;       /* losses of this piece were listed already */
	bool oom;
};

/* Starts a piece that writes to file `path`; its first `skip` bytes were
 * sent by an earlier page (whose losses were listed then). */
void export_piece(struct export_out *o, const char *path, size_t skip);

/* Appends to the current piece; does nothing once the page is full. */
void export_write(struct export_out *o, const void *p, size_t n);
void export_puts(struct export_out *o, const char *s);
/* Makes sure the current path has a chunk, even an empty one (a file that
 * must exist, empty or not). */
void export_touch(struct export_out *o);
void export_printf(struct export_out *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* s[0..n) as a JSON string literal (quotes included). */
void export_json_string(struct export_out *o, const char *s, size_t n);

/* Lists a loss, unless the current piece's losses were listed already. */
void export_loss(struct export_out *o, const char *article_id,
    uint64_t annotation_id, const char *reason, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Code-point offset of byte offset `byte` (on a boundary) of text. */
size_t export_chars(const char *text, size_t n, size_t byte);

/* A scratch copy of s[0..n) with TAB, CR and LF turned into spaces (for
 * one-line fields), in the call's arena; NULL when out of memory. */
char *export_one_line(struct call *c, const char *s, size_t n);

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

/* What a format sees: the sink, the snapshot, the article in hand. */
struct export_ctx {
	struct export_out *out;
	struct call *call;
	uint64_t as_of;
	const Gloss__V1__ExportRequest *q;
	const Gloss__V1__Article *article; /* the article being written */
	size_t text_len;
	/* For a translation note: its source article, if glossd has it. */
	const Gloss__V1__Article *source;
	void *state; /* the format's own, per article, in the arena */
	/* A running count the format keeps across articles (mqm: segments
	 * before this article); the format adds the article's in close(). */
	uint64_t counter;
};

enum export_flags {
	/* The format writes an article whole, from all of its annotations
	 * at once (article_whole), not one annotation at a time. */
	EXPORT_WHOLE = 1 << 0,
	/* Annotations are written with every revision up to the snapshot,
	 * deleted ones included (revision), not as of it. */
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
	/* The article whole (EXPORT_WHOLE): its annotations, active, as of
	 * the snapshot, in id order. */
	void (*article_whole)(struct export_ctx *x,
	    Gloss__V1__Annotation *const *a, size_t n);
	/* One change (EXPORT_CHANGES). */
	void (*change)(struct export_ctx *x, const Gloss__V1__Change *ch);
	/* Releases what open() took (ICU iterators); may be NULL. */
	void (*close)(struct export_ctx *x);
};

/* An entity as the flat formats (conll, spacy) carry it: one span. */
struct export_entity {
	size_t start, end; /* UTF-8 bytes */
	const char *label;
	uint64_t id;
};

/*
 * The entities of a[0..n) that a flat format can carry, in text order, in
 * *out (the call's arena): one span each, none overlapping.  What it leaves
 * out is listed as a loss (kind, discontinuous, overlap); `format` names the
 * format in the loss details.  Returns how many, or 0 with x->out->oom set.
 */
size_t export_flat_entities(struct export_ctx *x, const char *format,
    Gloss__V1__Annotation *const *a, size_t n, struct export_entity **out);

/* "an entity", "a fact correction", "a translation note", "a note". */
const char *export_kind_name(Gloss__V1__Kind kind);

extern const struct export_format export_jsonl, export_w3c, export_brat,
    export_conll, export_mqm, export_spacy;

/* ------------------------------------------------------------ JSON */

/* m as one line of proto3 JSON (lowerCamelCase names, defaults left out,
 * 64-bit integers as strings, enums by name), no newline. */
void export_json_message(struct export_out *o, const ProtobufCMessage *m);

/*
 * Parses one line of proto3 JSON s[0..n) into a new message of type d,
 * allocated in the call's arena.  Returns NULL and writes a sentence into
 * why[0..whylen) if the line is not JSON of that message.
 */
ProtobufCMessage *export_json_parse(struct call *c,
    const ProtobufCMessageDescriptor *d, const char *s, size_t n, char *why,
    size_t whylen);

/* ------------------------------------------------------------ text */

/*
 * Boundaries of text[0..n) in UTF-8 byte offsets, by ICU's break iterators
 * (UAX #29): sentences, or words.  *out (malloc'd, free() it) gets the
 * boundaries in order, from 0 to n inclusive; returns their count, or 0 on
 * failure (ICU could not open; out of memory).  For words, *status gets
 * each segment's rule status (the segment that ends at boundary i+1), or
 * pass NULL.
 */
size_t export_breaks(const char *text, size_t n, const char *language,
    bool words, size_t **out, int **status);

#endif
