/*
 * Unit tests of text.c: UTF-8 validation, offsets in three units, grapheme
 * boundaries, quote context and search.  Texts of our own writing; expected
 * figures computed independently with Python (len(s), len(s.encode()),
 * len(s.encode('utf-16-le')) // 2).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "text.h"

struct count_case {
	const char *name, *text;
	size_t bytes, chars, utf16;
};

static const struct count_case counts[] = {
	{ "ascii", "China invested $18 billion", 26, 26, 26 },
	{ "portuguese", "Uigures são ação", 19, 16, 16 },
	{ "decomposed", "cafe\xcc\x81 e", 8, 7, 7 },
	{ "arabic+emoji",
	    "استثمرت الصين 18 مليار دولار في شينجيانغ "
	    "👍🏽",
	    81, 43, 45 },
	{ "harakat", "كَتَبَ", 12, 6, 6 },
	{ "curly quotes", "“H20” chips", 15, 11, 11 },
	{ "zwj family", "a👨‍👩‍👧b", 20, 7, 10 },
	{ "flags", "🇵🇹🇧🇷", 16, 4, 8 },
	{ "crlf", "a\r\nb", 4, 4, 4 },
};

static void
test_counts(void **state)
{
	struct text_counts tc;

	(void)state;
	for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
		const struct count_case *c = &counts[i];
		size_t bad;
		assert_true(text_utf8_check(c->text, strlen(c->text), &bad));
		text_count(c->text, strlen(c->text), &tc);
		print_message("%s\n", c->name);
		assert_int_equal(tc.bytes, c->bytes);
		assert_int_equal(tc.chars, c->chars);
		assert_int_equal(tc.utf16, c->utf16);
	}
}

struct bad_case {
	const char *bytes;
	size_t n, bad_at;
};

static const struct bad_case bad[] = {
	{ "ok\xc3\x28", 4, 2 },                    /* continuation missing */
	{ "\x80", 1, 0 },                          /* stray continuation */
	{ "ab\xc0\xaf", 4, 2 },                    /* overlong '/' */
	{ "\xc1\xbf", 2, 0 },                      /* overlong */
	{ "x\xe0\x80\xaf", 4, 1 },                 /* overlong 3-byte */
	{ "\xed\xa0\x80", 3, 0 },                  /* surrogate U+D800 */
	{ "\xf0\x8f\xbf\xbf", 4, 0 },              /* overlong 4-byte */
	{ "\xf4\x90\x80\x80", 4, 0 },              /* above U+10FFFF */
	{ "\xf5\x80\x80\x80", 4, 0 },              /* F5 never appears */
	{ "\xff", 1, 0 }, { "abc\xe2\x82", 5, 3 }, /* truncated at the end */
	{ "a\0b", 3, 1 },                          /* NUL */
	{ "é\xf0\x9f\x91", 5, 2 },                 /* truncated emoji */
};

static void
test_invalid_utf8(void **state)
{
	size_t at;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		at = 999;
		assert_false(text_utf8_check(bad[i].bytes, bad[i].n, &at));
		assert_int_equal(at, bad[i].bad_at);
	}
	/* Edges that are valid: U+D7FF, U+E000, U+10FFFF, U+0080. */
	assert_true(text_utf8_check("\xed\x9f\xbf\xee\x80\x80\xf4\x8f\xbf\xbf"
	                            "\xc2\x80",
	    12, &at));
	assert_true(text_utf8_check("", 0, &at));
}

/* The worked example of docs/standards.md §4. */
static void
test_offsets_arabic_example(void **state)
{
	const char *s = counts[3].text;
	size_t n = strlen(s), b;
	struct text_span sp = { .byte_start = 15, .byte_end = 25 };

	(void)state;
	text_span_fill(s, n, &sp);
	assert_int_equal(sp.char_start, 8);
	assert_int_equal(sp.char_end, 13);
	assert_int_equal(sp.utf16_start, 8);
	assert_int_equal(sp.utf16_end, 13);
	sp = (struct text_span){ .byte_start = 73, .byte_end = 81 };
	text_span_fill(s, n, &sp);
	assert_int_equal(sp.char_start, 41);
	assert_int_equal(sp.char_end, 43);
	assert_int_equal(sp.utf16_start, 41);
	assert_int_equal(sp.utf16_end, 45);
	assert_true(text_to_byte(s, n, TEXT_CHARS, 41, &b));
	assert_int_equal(b, 73);
	assert_true(text_to_byte(s, n, TEXT_UTF16, 45, &b));
	assert_int_equal(b, 81);
	assert_true(text_to_byte(s, n, TEXT_CHARS, 43, &b));
	assert_int_equal(b, 81);
	/* Inside 👍's surrogate pair; past the end; inside a UTF-8 sequence. */
	assert_false(text_to_byte(s, n, TEXT_UTF16, 42, &b));
	assert_false(text_to_byte(s, n, TEXT_CHARS, 44, &b));
	assert_false(text_to_byte(s, n, TEXT_BYTES, 16, &b));
	assert_true(text_to_byte(s, n, TEXT_BYTES, 15, &b));
	assert_false(text_is_char_boundary(s, n, 74));
}

static void
test_grapheme_boundaries(void **state)
{
	const char *nfd = "cafe\xcc\x81 e"; /* e + U+0301 at 3..6 */
	const char *thumb = "x👍🏽y";   /* 👍 1..5, 🏽 5..9 */
	const char *fam = counts[6].text;   /* a, family 1..19, b */
	const char *flags = counts[7].text; /* 🇵🇹 0..8, 🇧🇷 8..16 */
	const char *harakat = counts[4].text; /* ك َ ت َ ب َ, 2 bytes each */

	(void)state;
	assert_true(text_is_grapheme_boundary(nfd, 8, 3));
	assert_false(text_is_grapheme_boundary(nfd, 8, 4)); /* e | U+0301 */
	assert_true(text_is_grapheme_boundary(nfd, 8, 6));
	assert_false(text_is_grapheme_boundary(thumb, 10, 5));
	assert_true(text_is_grapheme_boundary(thumb, 10, 9));
	for (size_t b = 2; b < 19; b++)
		if (text_is_char_boundary(fam, 20, b))
			assert_false(text_is_grapheme_boundary(fam, 20, b));
	assert_true(text_is_grapheme_boundary(fam, 20, 19));
	assert_false(text_is_grapheme_boundary(flags, 16, 4));
	assert_true(text_is_grapheme_boundary(flags, 16, 8));
	assert_false(text_is_grapheme_boundary(flags, 16, 12));
	assert_false(text_is_grapheme_boundary(harakat, 12, 2)); /* ك | َ */
	assert_true(text_is_grapheme_boundary(harakat, 12, 4));
	assert_false(text_is_grapheme_boundary("a\r\nb", 4, 2)); /* CR × LF */
	assert_true(text_is_grapheme_boundary("a\r\nb", 4, 3));
	assert_true(text_is_grapheme_boundary("a\r\nb", 4, 1));
}

/* Many flags in a row: parity of regional indicators far back counts. */
static void
test_grapheme_long_flag_run(void **state)
{
	char s[4 * 400 + 1] = ""; /* 400 indicators: 200 flags */

	(void)state;
	for (int i = 0; i < 400; i++)
		strcat(s, i % 2 ? "🇹" : "🇵");
	for (size_t b = 4; b < 4 * 400; b += 4)
		assert_int_equal(text_is_grapheme_boundary(s, 4 * 400, b),
		    b % 8 == 0);
}

static void
test_quote_context(void **state)
{
	const char *s = counts[3].text; /* Arabic: 2-byte letters */
	size_t n = strlen(s), p, q;

	(void)state;
	text_quote_context(s, n, 15, 25, 32, &p, &q);
	assert_int_equal(p, 0); /* fewer than 32 characters on either side */
	assert_int_equal(q, n);
	text_quote_context(s, n, 15, 25, 3, &p, &q);
	assert_int_equal(p, 15 - 5); /* "رت ": 2 + 2 + 1 bytes */
	assert_int_equal(q, 25 + 3); /* " 18" */
	text_quote_context(s, n, 73, 81, 32, &p, &q);
	assert_int_equal(q, 81);
}

/* Spans in every unit, against figures computed with Python's str,
 * encode() and encode('utf-16-le'). */
struct span_case {
	const char *name, *text;
	size_t b0, b1, c0, c1, u0, u1;
};

static const struct span_case spans[] = {
	{ "curly quotes", "Ele disse “H20” ontem", 10, 19, 10, 15, 10, 15 },
	{ "portuguese", "Uigures são ação", 13, 19, 12, 16, 12, 16 },
	{ "arabic", "استثمرت الصين 18 مليار", 15, 25, 8, 13, 8, 13 },
	{ "emoji skin tone", "ok 👍🏽 sim", 3, 11, 3, 5, 3, 7 },
	{ "zwj family",
	    "a\xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x91\xa9\xe2\x80\x8d"
	    "\xf0\x9f\x91\xa7"
	    "b",
	    1, 19, 1, 6, 1, 9 },
	{ "flags", "🇵🇹🇧🇷 x", 8, 16, 2, 4, 4, 8 },
	{ "combining", "cafe\xcc\x81 bom", 0, 6, 0, 5, 0, 5 },
	{ "crlf", "linha\r\nfim", 7, 10, 7, 10, 7, 10 },
};

static void
test_span_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(spans) / sizeof(spans[0]); i++) {
		const struct span_case *c = &spans[i];
		size_t n = strlen(c->text), b;
		struct text_span sp = { .byte_start = c->b0,
			.byte_end = c->b1 };

		print_message("%s\n", c->name);
		text_span_fill(c->text, n, &sp);
		assert_int_equal(sp.char_start, c->c0);
		assert_int_equal(sp.char_end, c->c1);
		assert_int_equal(sp.utf16_start, c->u0);
		assert_int_equal(sp.utf16_end, c->u1);
		assert_true(text_to_byte(c->text, n, TEXT_CHARS, c->c1, &b));
		assert_int_equal(b, c->b1);
		assert_true(text_to_byte(c->text, n, TEXT_UTF16, c->u0, &b));
		assert_int_equal(b, c->b0);
		assert_true(text_is_grapheme_boundary(c->text, n, c->b0));
		assert_true(text_is_grapheme_boundary(c->text, n, c->b1));
	}
}

struct clip_case {
	const char *name, *text;
	size_t max, want;
};

/* Expected cuts: the longest prefix of at most max bytes that ends between
 * grapheme clusters (Python: the largest i <= max with
 * s.encode()[:i].decode() ending on a cluster). */
static const struct clip_case clips[] = {
	{ "fits", "H20", 3, 3 },
	{ "ascii", "Jensen Huang", 6, 6 },
	{ "euro inside", "\xe2\x82\xac\xe2\x82\xac", 4, 3 },
	{ "arabic inside", "\xd8\xaa\xd8\xb1\xd8\xa7\xd9\x85\xd8\xa8", 5, 4 },
	/* كَ: a letter and its fatha (2 + 2 bytes) stay together. */
	{ "harakat", "\xd9\x83\xd9\x8e\xd8\xaa", 3, 0 },
	{ "harakat whole", "\xd9\x83\xd9\x8e\xd8\xaa", 5, 4 },
	{ "decomposed", "cafe\xcc\x81!", 5, 3 },
	{ "emoji modifier", "a\xf0\x9f\x91\x8d\xf0\x9f\x8f\xbd", 7, 1 },
	{ "flag pair", "\xf0\x9f\x87\xb5\xf0\x9f\x87\xb9x", 6, 0 },
	{ "crlf", "a\r\nb", 2, 1 },
};

static void
test_clip(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(clips) / sizeof(clips[0]); i++) {
		const struct clip_case *c = &clips[i];
		print_message("%s\n", c->name);
		assert_int_equal(text_clip(c->text, strlen(c->text), c->max),
		    c->want);
	}
}

static void
test_scrub(void **state)
{
	char out[64];
	size_t at;

	(void)state;
	/* Valid text is copied as it is. */
	assert_int_equal(text_scrub("ترامب", 10, out, sizeof(out)), 10);
	assert_string_equal(out, "ترامب");
	/* A sequence cut short, a stray continuation byte, a NUL: each
	 * becomes one U+FFFD. */
	assert_int_equal(text_scrub("a\xe2\x82"
	                            "b\x80"
	                            "c\0d",
	                     8, out, sizeof(out)),
	    13);
	assert_string_equal(out, "a\xef\xbf\xbd"
	                         "b\xef\xbf\xbd"
	                         "c\xef\xbf\xbd"
	                         "d");
	assert_true(text_utf8_check(out, strlen(out), &at));
	/* Full: cut on a character boundary, never inside a sequence. */
	assert_int_equal(text_scrub("\xe2\x82\xac\xe2\x82\xac", 6, out, 6), 3);
	assert_string_equal(out, "\xe2\x82\xac");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counts),
		cmocka_unit_test(test_clip),
		cmocka_unit_test(test_scrub),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_offsets_arabic_example),
		cmocka_unit_test(test_grapheme_boundaries),
		cmocka_unit_test(test_grapheme_long_flag_run),
		cmocka_unit_test(test_quote_context),
		cmocka_unit_test(test_span_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
