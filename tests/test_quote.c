/*
 * Unit tests of quote.c and quote_near.c: canonical and loose folding, the
 * one quote matcher, candidates and their differences.  Texts of our own
 * writing and of the seeds' kind; expected byte offsets computed with
 * Python (len(s[:i].encode())).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "quote.h"
#include "text.h"

/* The occurrences of quote in text folded as flags: how many, and the
 * first's bytes in *start, *end. */
static size_t
find(const char *text, const char *quote, unsigned flags, size_t *start,
    size_t *end)
{
	struct quote_fold t;
	size_t at[8], to[8], count;

	assert_int_equal(quote_fold_init(&t, text, strlen(text), flags),
	    STATUS_OK);
	count = quote_find(&t, flags, quote, strlen(quote), "", "", at, to, 8);
	quote_fold_fini(&t);
	*start = count > 0 ? at[0] : SIZE_MAX;
	*end = count > 0 ? to[0] : SIZE_MAX;
	return count;
}

struct match_case {
	const char *what, *text, *quote;
	unsigned flags;
	size_t count, start, end; /* bytes of the first match */
};

static const struct match_case matches[] = {
	/* Canonical equivalence, by default. */
	{ "NFC quote, NFD text", "no cafe\xcc\x81 e", "café", 0, 1, 3, 9 },
	{ "NFD quote, NFC text", "no café e", "cafe\xcc\x81", 0, 1, 3, 8 },
	{ "e is not the e of é", "cafe\xcc\x81", "cafe", 0, 0, 0, 0 },
	{ "identical", "o Jensen Huang", "Jensen Huang", 0, 1, 2, 14 },
	{ "default keeps case", "Jensen Huang", "jensen huang", 0, 0, 0, 0 },
	{ "default keeps hamza", "البيت الأبيض", "البيت الابيض", 0, 0, 0, 0 },
	{ "emoji whole", "ok 👍🏽 ok", "👍🏽", 0, 1, 3, 11 },
	{ "emoji not its base alone", "ok 👍🏽 ok", "👍", QUOTE_LOOSE, 0, 0,
	    0 },
	{ "flag not half", "🇵🇹🇧🇷", "🇹🇧", 0, 0, 0, 0 },
	/* Loose. */
	{ "case", "CEO Jensen Huang NPR", "jensen huang", QUOTE_LOOSE, 1, 4,
	    16 },
	{ "full case folding", "Straße", "STRASSE", QUOTE_LOOSE, 1, 0, 7 },
	{ "hamza above", "قال البيت الأبيض إن", "البيت الابيض", QUOTE_LOOSE, 1,
	    7, 30 },
	{ "hamza in the quote", "البيت الابيض", "البيت الأبيض", QUOTE_LOOSE, 1,
	    0, 23 },
	{ "hamza uyghur", "أقلية أويغور العرقية", "اويغور", QUOTE_LOOSE, 1, 11,
	    23 },
	{ "hamza below, madda, wasla", "إن آمن ٱلله", "ان امن الله",
	    QUOTE_LOOSE, 1, 0, 20 },
	{ "tanwin", "غالباً ما", "غالبا", QUOTE_LOOSE, 1, 0, 12 },
	{ "tashkeel", "كَتَبَ الولد", "كتب", QUOTE_LOOSE, 1, 0, 12 },
	{ "tatweel inside", "كتـــاب", "كتاب", QUOTE_LOOSE, 1, 0, 14 },
	{ "alef maqsura", "على", "علي", QUOTE_LOOSE, 1, 0, 6 },
	{ "ta marbuta", "مدينة", "مدينه", QUOTE_LOOSE, 1, 0, 10 },
	{ "accents", "São Paulo", "sao paulo", QUOTE_LOOSE, 1, 0, 10 },
	{ "accents NFD", "Sa\xcc\x83o", "São", QUOTE_LOOSE, 1, 0, 5 },
	{ "apostrophe", "in China’s sales", "China's", QUOTE_LOOSE, 1, 3, 12 },
	{ "modifier apostrophe", "Hawaiʻi Qurʼan", "qur'an", QUOTE_LOOSE, 1, 9,
	    16 },
	{ "quotation marks", "the “H20” chip", "\"H20\"", QUOTE_LOOSE, 1, 4,
	    13 },
	{ "guillemets", "dit « oui »", "\" oui \"", QUOTE_LOOSE, 1, 4, 13 },
	{ "dash", "double–edged", "double-edged", QUOTE_LOOSE, 1, 0, 14 },
	{ "whitespace run", "a \xc2\xa0\r\n b", "a b", QUOTE_LOOSE, 1, 0, 8 },
	{ "loose emoji", "Ok 👍🏽 Ok", "ok 👍🏽 ok", QUOTE_LOOSE, 1, 0,
	    14 },
};

static void
test_matches(void **state)
{
	size_t start, end, count;

	(void)state;
	for (size_t i = 0; i < sizeof(matches) / sizeof(matches[0]); i++) {
		const struct match_case *m = &matches[i];
		print_message("%s\n", m->what);
		count = find(m->text, m->quote, m->flags, &start, &end);
		assert_int_equal(count, m->count);
		if (m->count == 0)
			continue;
		assert_int_equal(start, m->start);
		assert_int_equal(end, m->end);
		assert_true(
		    text_is_grapheme_boundary(m->text, strlen(m->text), start));
		assert_true(
		    text_is_grapheme_boundary(m->text, strlen(m->text), end));
	}
}

/* Prefix and suffix are folded as the quote is; overlapping matches and
 * their numbering are as text_find()'s were. */
static void
test_context(void **state)
{
	const char *text = "o Árabe, a árabe e o ÁRABE";
	struct quote_fold t;
	size_t at[4], to[4];

	(void)state;
	assert_int_equal(quote_fold_init(&t, text, strlen(text), QUOTE_LOOSE),
	    STATUS_OK);
	assert_int_equal(quote_find(&t, QUOTE_LOOSE, "arabe", 5, "", "", at, to,
	                     4),
	    3);
	assert_int_equal(quote_find(&t, QUOTE_LOOSE, "arabe", 5, "a ", "", at,
	                     to, 4),
	    1);
	assert_int_equal(at[0], 12);
	assert_int_equal(to[0], 18);
	assert_int_equal(quote_find(&t, QUOTE_LOOSE, "arabe", 5, "", ",", at,
	                     to, 4),
	    1);
	assert_int_equal(at[0], 2);
	quote_fold_fini(&t);
	assert_int_equal(quote_fold_init(&t, "aaa", 3, 0), STATUS_OK);
	assert_int_equal(quote_find(&t, 0, "aa", 2, "", "", at, to, 4), 2);
	quote_fold_fini(&t);
}

struct diff_case {
	const char *a, *b;
	unsigned d;
};

static const struct diff_case diffs[] = {
	{ "الأبيض", "الابيض", QUOTE_HAMZA },
	{ "غالباً", "غالبا", QUOTE_DIACRITICS },
	{ "كتـاب", "كتاب", QUOTE_DIACRITICS },
	{ "على", "علي", QUOTE_ALEF_MAQSURA },
	{ "Jensen Huang", "jensen huang", QUOTE_CASE },
	{ "cafe\xcc\x81", "café", QUOTE_NORMALIZATION },
	{ "cafe\xcc\x81", "cafe", QUOTE_ACCENTS | QUOTE_NORMALIZATION },
	{ "China’s", "China's", QUOTE_APOSTROPHE },
	{ "“H20”", "\"H20\"", QUOTE_QUOTATION },
	{ "a – b", "a - b", QUOTE_DASH },
	{ "a\n b", "a b", QUOTE_SPACE },
	{ "Jensen Huang", "Jensen Haung", QUOTE_SPELLING },
	{ "Été", "ete", QUOTE_CASE | QUOTE_ACCENTS },
	{ "same", "same", 0 },
};

static void
test_differences(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(diffs) / sizeof(diffs[0]); i++) {
		print_message("%s / %s\n", diffs[i].a, diffs[i].b);
		assert_int_equal(quote_differences(diffs[i].a,
		                     strlen(diffs[i].a), diffs[i].b,
		                     strlen(diffs[i].b)),
		    diffs[i].d);
	}
	assert_string_equal(quote_difference_name(2), "hamza");
	assert_string_equal(quote_difference_name(10), "normalization (NFD)");
	assert_null(quote_difference_name(13));
}

static void
test_candidates(void **state)
{
	const char *text = "CEO Jensen Huang met Trump; Jensen-Huang.jpg";
	struct quote_candidate c[4];

	(void)state;
	/* Not loose: the loose match first, then a close spelling. */
	assert_int_equal(quote_candidates(text, strlen(text), 0, "jensen huang",
	                     12, c, 4),
	    2);
	assert_int_equal(c[0].start, 4);
	assert_int_equal(c[0].end, 16);
	assert_int_equal(c[0].differences, QUOTE_CASE);
	assert_int_equal(c[1].start, 28);
	assert_int_equal(c[1].end, 40);
	assert_int_equal(c[1].differences, QUOTE_SPELLING);
	assert_int_equal(c[1].distance, 1);
	/* A typo: spelling, nearest first. */
	assert_int_equal(quote_candidates(text, strlen(text), QUOTE_LOOSE,
	                     "Jensen Haung", 12, c, 4),
	    2);
	assert_int_equal(c[0].start, 4);
	assert_int_equal(c[0].distance, 2);
	/* Nothing near: none; a short quote has no spelling candidates. */
	assert_int_equal(quote_candidates(text, strlen(text), 0, "Xi Jinping",
	                     10, c, 4),
	    0);
	assert_int_equal(quote_candidates(text, strlen(text), 0, "Tramp", 5, c,
	                     4),
	    1);
	assert_int_equal(quote_candidates(text, strlen(text), 0, "CEX", 3, c,
	                     4),
	    0);
}

/* Arabic candidates: a missed quote in the default mode finds the
 * hamza and tanwin forms, each on whole letters. */
static void
test_candidates_arabic(void **state)
{
	const char *text = "لم يعلق البيت الأبيض غالباً على المحور";
	struct quote_candidate c[4];

	(void)state;
	assert_int_equal(quote_candidates(text, strlen(text), 0, "البيت الابيض",
	                     strlen("البيت الابيض"), c, 4),
	    1);
	assert_int_equal(c[0].start, 14);
	assert_int_equal(c[0].end, 37);
	assert_int_equal(c[0].differences, QUOTE_HAMZA);
	assert_int_equal(quote_candidates(text, strlen(text), 0, "غالبا",
	                     strlen("غالبا"), c, 4),
	    1);
	assert_int_equal(c[0].start, 38);
	assert_int_equal(c[0].end, 50);
	assert_int_equal(c[0].differences, QUOTE_DIACRITICS);
}

/* What text_find() and text_find_folded() did before quote.c, kept:
 * prefix and suffix, whole clusters, overlaps; case folding alone. */
static void
test_exact_and_case(void **state)
{
	const char *s = "Huang met Huang; “Huang” left. cafe\xcc\x81 cafe";
	const char *f =
	    "Straße, STRASSE e straße; ÉCOLE école; CAFÉ cafe\xcc\x81";
	struct quote_fold t;
	size_t at[8], to[8];

	(void)state;
	assert_int_equal(quote_fold_init(&t, s, strlen(s), 0), STATUS_OK);
	assert_int_equal(quote_find(&t, 0, "Huang", 5, "", "", at, to, 8), 3);
	assert_int_equal(at[1], 10);
	assert_int_equal(quote_find(&t, 0, "Huang", 5, "“", "", at, to, 8), 1);
	assert_int_equal(at[0], 20);
	assert_int_equal(quote_find(&t, 0, "Huang", 5, "", " met", at, to, 8),
	    1);
	assert_int_equal(at[0], 0);
	assert_int_equal(quote_find(&t, 0, "cafe", 4, "", "", at, to, 8), 1);
	assert_int_equal(at[0], strlen(s) - 4);
	assert_int_equal(quote_find(&t, 0, "abcd", 4, "", "", at, to, 8), 0);
	quote_fold_fini(&t);
	assert_int_equal(quote_fold_init(&t, f, strlen(f), QUOTE_CASE),
	    STATUS_OK);
	assert_int_equal(quote_find(&t, QUOTE_CASE, "STRASSE", 7, "", "", at,
	                     to, 8),
	    3);
	assert_int_equal(to[0], 7); /* "Straße": ß is 2 bytes */
	assert_int_equal(at[1], 9);
	assert_int_equal(to[1], 16);
	/* "s" alone never matches half of ß's "ss". */
	assert_int_equal(quote_find(&t, QUOTE_CASE, "s", 1, "", "", at, to, 8),
	    5);
	assert_int_equal(quote_find(&t, QUOTE_CASE, "École", 6, "", "", at, to,
	                     8),
	    2);
	/* Case folding keeps accents, and NFC finds NFD. */
	assert_int_equal(quote_find(&t, QUOTE_CASE, "ecole", 5, "", "", at, to,
	                     8),
	    0);
	assert_int_equal(quote_find(&t, QUOTE_CASE, "café", 5, "", "", at, to,
	                     8),
	    2);
	quote_fold_fini(&t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_matches),
		cmocka_unit_test(test_context),
		cmocka_unit_test(test_exact_and_case),
		cmocka_unit_test(test_differences),
		cmocka_unit_test(test_candidates),
		cmocka_unit_test(test_candidates_arabic),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
