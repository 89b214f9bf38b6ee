/*
 * text: UTF-8 text and the offsets into it, in the three units clients use
 * (UTF-8 bytes, Unicode code points, UTF-16 code units), grapheme-cluster
 * boundaries and W3C TextQuote context (quote.c finds quotes).  Pure functions
 * over caller-owned buffers: no I/O, no global state, nothing here allocates
 * except where a comment says so.
 *
 * All offsets are 0-based; spans are half-open [start, end).  Texts passed to
 * any function but text_utf8_check() must already have passed it.
 */
#ifndef GLOSS_TEXT_H
#define GLOSS_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum text_unit {
	TEXT_BYTES, /* UTF-8 code units */
	TEXT_CHARS, /* Unicode code points */
	TEXT_UTF16, /* UTF-16 code units */
};

struct text_counts {
	size_t bytes;
	size_t chars;
	size_t utf16;
};

/*
 * Checks that s[0..n) is well-formed UTF-8 (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF, no truncated sequence) and holds no NUL
 * byte.  Returns true if so.  Otherwise returns false and sets *bad_at to the
 * byte offset of the first offending byte.
 */
bool text_utf8_check(const char *s, size_t n, size_t *bad_at);

/*
 * Where to cut valid UTF-8 s[0..n) to keep at most `max` bytes: n if it
 * fits, else the largest length <= max that ends on a grapheme-cluster
 * boundary (a character boundary if one cluster is longer than max), so a
 * cut never splits a UTF-8 sequence nor a letter from its marks.  This is
 * the one truncation rule of glossd's messages.
 */
size_t text_clip(const char *s, size_t n, size_t max);

/*
 * Copies s[0..n), which may be any bytes, into out[0..size) as valid UTF-8
 * without NUL (size >= 4): a byte that does not begin a well-formed
 * sequence becomes U+FFFD, and the copy is cut on a character boundary
 * where out is full.  NUL-terminates; returns the length.
 */
size_t text_scrub(const char *s, size_t n, char *out, size_t size);

/* Sizes of valid UTF-8 s[0..n) in every unit. */
void text_count(const char *s, size_t n, struct text_counts *out);

/*
 * Converts offset `off` in unit `unit` into a byte offset, stored in *byte.
 * Returns false if off is past the end of the text or falls inside a
 * character (e.g. between the two UTF-16 units of a surrogate pair, or
 * inside a multi-byte UTF-8 sequence for TEXT_BYTES).
 */
bool text_to_byte(const char *s, size_t n, enum text_unit unit, size_t off,
    size_t *byte);

/*
 * Converts a byte offset that lies on a character boundary (0..n) into the
 * offset in `unit`.
 */
size_t text_from_byte(const char *s, size_t n, enum text_unit unit,
    size_t byte);

/* True if byte offset `byte` (0..n) starts a code point (or is n). */
bool text_is_char_boundary(const char *s, size_t n, size_t byte);

/*
 * True if byte offset `byte` (0..n, on a character boundary) is an extended
 * grapheme cluster boundary (UAX #29): it does not separate a base letter
 * from its combining marks, an emoji from its modifier, the parts of a ZWJ
 * sequence or of a regional-indicator flag, nor CR from LF.
 */
bool text_is_grapheme_boundary(const char *s, size_t n, size_t byte);

/* A span in every unit, and its W3C TextQuote triple. */
struct text_span {
	size_t byte_start, byte_end;
	size_t char_start, char_end;
	size_t utf16_start, utf16_end;
};

/* Fills every unit of *sp from its byte_start and byte_end. */
void text_span_fill(const char *s, size_t n, struct text_span *sp);

/*
 * The W3C TextQuote context of byte span [start, end): *prefix_at is the
 * byte offset where up to `max_chars` code points before start begin, and
 * *suffix_end where up to `max_chars` code points after end finish.  The
 * prefix is s[*prefix_at .. start), the suffix s[end .. *suffix_end).
 */
void text_quote_context(const char *s, size_t n, size_t start, size_t end,
    size_t max_chars, size_t *prefix_at, size_t *suffix_end);

#endif
