/*
 * quote: the one quote matcher of glossd (CreateAnnotation's and
 * UpdateAnnotation's Quote selector, SearchText).  A quote matches text
 * that is canonically equivalent to it (UAX #15: NFC and NFD are the same
 * text); on request (loose) it also ignores case, Arabic diacritics, hamza
 * forms of alef, alef maqsura and ta marbuta, accents, the shapes of
 * apostrophes, quotation marks and dashes, and runs of whitespace.  A miss
 * can name the nearest candidates and how each differs.
 *
 * How: the text is folded one grapheme cluster at a time (NFD by utf8proc,
 * then the folds asked for) into a copy whose every byte remembers the
 * cluster of the text it came from; the quote is folded the same way and
 * looked for in the copy; a match must start and end where a cluster's
 * output does, so it maps back to the text's own bytes on grapheme
 * boundaries.  Pure: no I/O; memory from malloc, freed by the _fini calls.
 */
#ifndef GLOSS_QUOTE_H
#define GLOSS_QUOTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "status.h"

/* What a fold ignores (canonical differences are always ignored), and the
 * ways a candidate differs from a quote. */
enum quote_flags {
	QUOTE_CASE = 1 << 0,         /* full case folding (CaseFolding.txt) */
	QUOTE_ACCENTS = 1 << 1,      /* nonspacing marks (Mn) but Arabic's */
	QUOTE_HAMZA = 1 << 2,        /* U+0653-0655 marks; ٱ -> ا */
	QUOTE_DIACRITICS = 1 << 3,   /* Arabic marks, tatweel */
	QUOTE_ALEF_MAQSURA = 1 << 4, /* ى -> ي */
	QUOTE_TA_MARBUTA = 1 << 5,   /* ة -> ه */
	QUOTE_APOSTROPHE = 1 << 6,   /* ’ ‘ ʼ ‛ -> ' */
	QUOTE_QUOTATION = 1 << 7,    /* “ ” „ ‟ « » -> " */
	QUOTE_DASH = 1 << 8,         /* ‐ ‑ ‒ – — ― − -> - */
	QUOTE_SPACE = 1 << 9,        /* a run of white space -> one space */
	QUOTE_LOOSE = (1 << 10) - 1, /* all of the above */
	/* Differences only, never folds: */
	QUOTE_NORMALIZATION = 1 << 10, /* one is NFC and the other not */
	QUOTE_SPELLING = 1 << 11,      /* letters added, left out, changed */
	QUOTE_CONTEXT = 1 << 12,       /* the prefix or suffix given */
};

/* A folded copy of s[0..n): byte k of f came from the grapheme cluster
 * s[from[k], to[k]) (a run of white space, when QUOTE_SPACE folds it). */
struct quote_fold {
	char *f;
	size_t len, cap;
	uint32_t *from, *to;
};

/*
 * Folds valid UTF-8 s[0..n) (n < 4 GiB) as `flags` (QUOTE_LOOSE bits)
 * say.  Returns STATUS_OK, or RESOURCE_EXHAUSTED when out of memory (qf is
 * then empty).  qf must be quote_fold_fini()ed either way.
 */
enum status quote_fold_init(struct quote_fold *qf, const char *s, size_t n,
    unsigned flags);
void quote_fold_fini(struct quote_fold *qf);

/*
 * The occurrences of exact (m > 0 bytes) in the text that `text` folds,
 * with prefix and suffix (may be empty) right before and after it, all
 * folded as text was (`flags`), overlapping ones included, in text order.
 * Their bounds in the text go to start[] and end[] (up to max); returns
 * how many there are in all, or SIZE_MAX when out of memory.
 */
size_t quote_find(const struct quote_fold *text, unsigned flags,
    const char *exact, size_t m, const char *prefix, const char *suffix,
    size_t *start, size_t *end, size_t max);

/* A span of text near a quote, and how it differs (quote_flags). */
struct quote_candidate {
	size_t start, end;
	unsigned differences;
	unsigned distance; /* graphemes to change, for QUOTE_SPELLING */
};

/*
 * Where s[0..n) nearly has exact (m bytes), that quote_find() missed
 * when folding as `flags`: its loose matches first (if flags is not
 * already QUOTE_LOOSE), then close matches by edit distance over loosely
 * folded grapheme clusters (at most a quarter of the quote's, scanning
 * at most QUOTE_SCAN_MAX bytes of text), nearest first.  Writes up to
 * max to out; returns how many, or SIZE_MAX when out of memory.
 */
#define QUOTE_SCAN_MAX ((size_t)1 << 20)
size_t quote_candidates(const char *s, size_t n, unsigned flags,
    const char *exact, size_t m, struct quote_candidate *out, size_t max);

/* How a[0..an) differs from b[0..bn) (quote_flags; 0 if the same bytes):
 * the folds needed to make them equal, and QUOTE_NORMALIZATION. */
unsigned quote_differences(const char *a, size_t an, const char *b, size_t bn);

/* The names of the differences, one bit of quote_flags each ("hamza"),
 * in the order of their bits; NULL past the last. */
const char *quote_difference_name(unsigned bit);

#endif
