/*
 * text: UTF-8 validation, offsets in bytes, code points and UTF-16 units,
 * grapheme-cluster boundaries (utf8proc's UAX #29 rules) and quote search.
 * Pure: reads caller-owned text, keeps no state, allocates nothing.
 */
#define _GNU_SOURCE /* memmem */
#include <string.h>

#include <utf8proc.h>

#include "text.h"

/* How far back text_is_grapheme_boundary() looks for a code point before
 * which a boundary is certain, before it falls back to the text's start. */
#define TEXT_LOOKBACK 256

bool
text_utf8_check(const char *s, size_t n, size_t *bad_at)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, k;

	while (i < n) {
		unsigned c = p[i], lo = 0x80, hi = 0xbf;
		if (c >= 0x01 && c < 0x80) {
			i++;
			continue;
		}
		/* The second byte's range rules out overlongs (E0, F0),
		 * surrogates (ED) and code points past U+10FFFF (F4). */
		k = 0; /* NUL, a stray continuation byte, C0, C1, F5-FF */
		if (c >= 0xc2 && c <= 0xdf)
			k = 1;
		if (c >= 0xe0 && c <= 0xef)
			k = 2;
		if (c >= 0xf0 && c <= 0xf4)
			k = 3;
		if (c == 0xe0 || c == 0xf0)
			lo = c == 0xe0 ? 0xa0 : 0x90;
		if (c == 0xed || c == 0xf4)
			hi = c == 0xed ? 0x9f : 0x8f;
		if (k == 0 || n - i <= k || p[i + 1] < lo || p[i + 1] > hi ||
		    (k > 1 && (p[i + 2] & 0xc0) != 0x80) ||
		    (k > 2 && (p[i + 3] & 0xc0) != 0x80)) {
			*bad_at = i;
			return false;
		}
		i += k + 1;
	}
	return true;
}

/* The length of the UTF-8 sequence that lead byte c starts. */
static size_t
text_seq_len(unsigned char c)
{
	return c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
}

/* How many bytes of ill-formed s[0..n) one U+FFFD stands for: a lead
 * byte with the continuation bytes that follow it (a sequence cut short),
 * or one byte. */
static size_t
text_ill_formed(const char *s, size_t n)
{
	unsigned char c = (unsigned char)s[0];
	size_t k = 1, want = c >= 0xc2 && c <= 0xf4 ? text_seq_len(c) : 1;

	while (k < want && k < n && ((unsigned char)s[k] & 0xc0) == 0x80)
		k++;
	return k;
}

size_t
text_scrub(const char *s, size_t n, char *out, size_t size)
{
	size_t i = 0, o = 0, bad, k;

	while (i < n) {
		if (text_utf8_check(s + i, n - i, &bad))
			bad = n - i;
		k = bad < size - 1 - o ? bad
		                       : text_clip(s + i, bad, size - 1 - o);
		memcpy(out + o, s + i, k);
		o += k;
		i += bad;
		if (k < bad || i >= n || size - 1 - o < 3)
			break;
		i += text_ill_formed(s + i, n - i);
		memcpy(out + o, "\xef\xbf\xbd", 3); /* U+FFFD */
		o += 3;
	}
	out[o] = '\0';
	return o;
}

void
text_count(const char *s, size_t n, struct text_counts *out)
{
	const unsigned char *p = (const unsigned char *)s;

	out->bytes = n;
	out->chars = 0;
	out->utf16 = 0;
	for (size_t i = 0; i < n; i++) {
		if ((p[i] & 0xc0) == 0x80)
			continue;
		out->chars++;
		out->utf16 +=
		    p[i] >= 0xf0 ? 2 : 1; /* astral: a surrogate pair */
	}
}

bool
text_is_char_boundary(const char *s, size_t n, size_t byte)
{
	return byte == n ||
	       (byte < n && ((unsigned char)s[byte] & 0xc0) != 0x80);
}

bool
text_to_byte(const char *s, size_t n, enum text_unit unit, size_t off,
    size_t *byte)
{
	size_t i = 0, at = 0;

	if (unit == TEXT_BYTES) {
		*byte = off;
		return off <= n && text_is_char_boundary(s, n, off);
	}
	while (at < off && i < n) {
		size_t len = text_seq_len((unsigned char)s[i]);
		at += unit == TEXT_UTF16 && len == 4 ? 2 : 1;
		i += len;
	}
	*byte = i;
	return at == off; /* past the end, or inside a surrogate pair */
}

size_t
text_from_byte(const char *s, size_t n, enum text_unit unit, size_t byte)
{
	struct text_counts tc;

	if (unit == TEXT_BYTES)
		return byte;
	text_count(s, byte < n ? byte : n, &tc);
	return unit == TEXT_CHARS ? tc.chars : tc.utf16;
}

/* The code point at byte i (a boundary), and where the next one starts. */
static utf8proc_int32_t
text_decode(const char *s, size_t n, size_t i, size_t *next)
{
	utf8proc_int32_t c = -1;
	utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)s + i,
	    (utf8proc_ssize_t)(n - i), &c);

	*next = i + (k > 0 ? (size_t)k : 1);
	return c;
}

/* Where the code point that ends at byte i (> 0) starts. */
static size_t
text_prev(const char *s, size_t i)
{
	do
		i--;
	while (i > 0 && ((unsigned char)s[i] & 0xc0) == 0x80);
	return i;
}

static int
text_class(utf8proc_int32_t c)
{
	return utf8proc_get_property(c)->boundclass;
}

/*
 * True if UAX #29 puts a boundary before the code point at q (0 < q < n)
 * whatever came earlier: after a control (GB4), before a control (GB5,
 * but for CR × LF), or before a code point that no rule joins to what
 * precedes it (not Extend, ZWJ, SpacingMark, regional indicator, emoji,
 * Hangul), when what precedes is not Prepend (GB9b).
 */
static bool
text_certain_break(const char *s, size_t n, size_t q)
{
	size_t next;
	int prev = text_class(text_decode(s, n, text_prev(s, q), &next));
	int cur = text_class(text_decode(s, n, q, &next));

	if (prev == UTF8PROC_BOUNDCLASS_CR)
		return cur != UTF8PROC_BOUNDCLASS_LF;
	if (prev == UTF8PROC_BOUNDCLASS_LF ||
	    prev == UTF8PROC_BOUNDCLASS_CONTROL)
		return true;
	if (prev == UTF8PROC_BOUNDCLASS_PREPEND)
		return false;
	return cur == UTF8PROC_BOUNDCLASS_OTHER ||
	       cur == UTF8PROC_BOUNDCLASS_CONTROL ||
	       cur == UTF8PROC_BOUNDCLASS_CR || cur == UTF8PROC_BOUNDCLASS_LF;
}

bool
text_is_grapheme_boundary(const char *s, size_t n, size_t byte)
{
	utf8proc_int32_t prev, c, state = 0;
	size_t q = byte, i, next;
	bool brk;

	if (byte == 0 || byte >= n)
		return true;
	if (text_certain_break(s, n, byte))
		return true;
	/* Start the rules afresh at a boundary known without them. */
	for (int k = 0; k < TEXT_LOOKBACK && q > 0; k++) {
		q = text_prev(s, q);
		if (q == 0 || text_certain_break(s, n, q))
			break;
	}
	if (q > 0 && !text_certain_break(s, n, q))
		q = 0;
	prev = text_decode(s, n, q, &i);
	for (;;) {
		c = text_decode(s, n, i, &next);
		brk = utf8proc_grapheme_break_stateful(prev, c, &state);
		if (i >= byte)
			return brk;
		prev = c;
		i = next;
	}
}

size_t
text_clip(const char *s, size_t n, size_t max)
{
	size_t cut = max, k;

	if (n <= max)
		return n;
	while (cut > 0 && ((unsigned char)s[cut] & 0xc0) == 0x80)
		cut--;
	k = cut;
	for (int i = 0; i < 32; i++) {
		if (k == 0 || text_is_grapheme_boundary(s, n, k))
			return k;
		k = text_prev(s, k);
	}
	return cut; /* one cluster longer than 32 code points: cut inside */
}

void
text_span_fill(const char *s, size_t n, struct text_span *sp)
{
	sp->char_start = text_from_byte(s, n, TEXT_CHARS, sp->byte_start);
	sp->char_end = text_from_byte(s, n, TEXT_CHARS, sp->byte_end);
	sp->utf16_start = text_from_byte(s, n, TEXT_UTF16, sp->byte_start);
	sp->utf16_end = text_from_byte(s, n, TEXT_UTF16, sp->byte_end);
}

void
text_quote_context(const char *s, size_t n, size_t start, size_t end,
    size_t max_chars, size_t *prefix_at, size_t *suffix_end)
{
	size_t i = start, k;

	for (k = 0; k < max_chars && i > 0; k++)
		i = text_prev(s, i);
	*prefix_at = i;
	for (i = end, k = 0; k < max_chars && i < n; k++)
		i += text_seq_len((unsigned char)s[i]);
	*suffix_end = i < n ? i : n;
}
