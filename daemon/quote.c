/*
 * quote: canonical and loose quote matching over a folded copy of the
 * text (see quote.h).  Normalization and case folding are utf8proc's
 * (UAX #15, CaseFolding.txt); this file adds only the loose folds of
 * docs/protocol.md's table, one code point at a time.
 */
#define _GNU_SOURCE /* memmem */
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "quote.h"

#define QUOTE_CLUSTER_CPS 64 /* code points of a cluster held on the stack */

static const char *const quote_names[] = { "case", "accents", "hamza",
	"diacritics", "alef maqsura", "ta marbuta", "apostrophe",
	"quotation marks", "dash", "whitespace", "normalization (NFD)",
	"spelling", "context" };

const char *
quote_difference_name(unsigned bit)
{
	return bit < sizeof(quote_names) / sizeof(quote_names[0])
	           ? quote_names[bit]
	           : NULL;
}

/* ------------------------------------------------------------ folds */

static bool
quote_is_space(utf8proc_int32_t c)
{
	return c == ' ' || (c >= 0x09 && c <= 0x0d) || c == 0x85 || c == 0xa0 ||
	       c == 0x1680 || (c >= 0x2000 && c <= 0x200a) || c == 0x2028 ||
	       c == 0x2029 || c == 0x202f || c == 0x205f || c == 0x3000;
}

/* Arabic's own marks (harakat, Quranic signs), which are diacritics, not
 * accents. */
static bool
quote_is_arabic_mark(utf8proc_int32_t c)
{
	return (c >= 0x0610 && c <= 0x061a) || (c >= 0x064b && c <= 0x065f) ||
	       c == 0x0670 || (c >= 0x06d6 && c <= 0x06ed) ||
	       (c >= 0x08d3 && c <= 0x08ff);
}

/* Punctuation shapes: the ASCII one each stands for, or 0. */
static utf8proc_int32_t
quote_punct(utf8proc_int32_t c, unsigned flags)
{
	if ((flags & QUOTE_APOSTROPHE) &&
	    (c == 0x2019 || c == 0x2018 || c == 0x02bc || c == 0x201b))
		return '\'';
	if ((flags & QUOTE_QUOTATION) &&
	    (c == 0x201c || c == 0x201d || c == 0x201e || c == 0x201f ||
	        c == 0xab || c == 0xbb))
		return '"';
	if ((flags & QUOTE_DASH) &&
	    ((c >= 0x2010 && c <= 0x2015) || c == 0x2212))
		return '-';
	return 0;
}

/* Code point c (of an NFD) as `flags` fold it: what it becomes, or -1 to
 * leave it out. */
static utf8proc_int32_t
quote_fold_cp(utf8proc_int32_t c, unsigned flags)
{
	utf8proc_int32_t p;

	if ((flags & QUOTE_SPACE) && quote_is_space(c))
		return ' ';
	if ((p = quote_punct(c, flags)) != 0)
		return p;
	if (c >= 0x0653 && c <= 0x0655)
		return (flags & QUOTE_HAMZA) ? -1 : c;
	if (c == 0x0671)
		return (flags & QUOTE_HAMZA) ? 0x0627 : c;
	if (c == 0x0640 || quote_is_arabic_mark(c))
		return (flags & QUOTE_DIACRITICS) ? -1 : c;
	if (c == 0x0649 && (flags & QUOTE_ALEF_MAQSURA))
		return 0x064a;
	if (c == 0x0629 && (flags & QUOTE_TA_MARBUTA))
		return 0x0647;
	if ((flags & QUOTE_ACCENTS) &&
	    utf8proc_category(c) == UTF8PROC_CATEGORY_MN)
		return -1;
	return c;
}

/* ASCII c as flags fold it (no ASCII character decomposes). */
static utf8proc_int32_t
quote_ascii(char c, unsigned flags)
{
	if ((flags & QUOTE_CASE) && c >= 'A' && c <= 'Z')
		return c - 'A' + 'a';
	return quote_fold_cp(c, flags);
}

/* Makes room for `more` bytes in qf. */
static bool
quote_grow(struct quote_fold *qf, size_t more)
{
	size_t cap = qf->cap ? qf->cap : 64;
	char *f;
	uint32_t *from, *to;

	if (qf->len + more <= qf->cap)
		return true;
	while (cap < qf->len + more)
		cap *= 2;
	if ((f = realloc(qf->f, cap + 1)) != NULL)
		qf->f = f;
	if ((from = realloc(qf->from, (cap + 1) * sizeof(*from))) != NULL)
		qf->from = from;
	if ((to = realloc(qf->to, (cap + 1) * sizeof(*to))) != NULL)
		qf->to = to;
	if (f == NULL || from == NULL || to == NULL)
		return false;
	qf->cap = cap;
	return true;
}

/* Appends code point c, which came from the cluster [from, to). */
static bool
quote_put(struct quote_fold *qf, utf8proc_int32_t c, unsigned flags,
    uint32_t from, uint32_t to)
{
	utf8proc_ssize_t w;

	/* A run of white space is one space that covers all of it. */
	if (c == ' ' && (flags & QUOTE_SPACE) && qf->len > 0 &&
	    qf->f[qf->len - 1] == ' ') {
		qf->to[qf->len - 1] = to;
		return true;
	}
	if (!quote_grow(qf, 4))
		return false;
	w = utf8proc_encode_char(c, (utf8proc_uint8_t *)qf->f + qf->len);
	for (utf8proc_ssize_t b = 0; b < w; b++) {
		qf->from[qf->len] = from;
		qf->to[qf->len++] = to;
	}
	return true;
}

/* The end of the grapheme cluster of s that starts at i. */
static size_t
quote_cluster_end(const char *s, size_t n, size_t i, utf8proc_int32_t *state)
{
	utf8proc_int32_t prev, c;
	utf8proc_ssize_t k;

	i += (size_t)utf8proc_iterate((const utf8proc_uint8_t *)s + i,
	    (utf8proc_ssize_t)(n - i), &prev);
	while (i < n) {
		k = utf8proc_iterate((const utf8proc_uint8_t *)s + i,
		    (utf8proc_ssize_t)(n - i), &c);
		if (k <= 0 || utf8proc_grapheme_break_stateful(prev, c, state))
			break;
		prev = c;
		i += (size_t)k;
	}
	return i;
}

/* The cluster s[from, to) in NFD (case folded if opt says so) into
 * cps[0..max): how many code points it has (more than max: call again
 * with room for them), or < 0.  A cluster of one code point that neither
 * decomposes nor folds (most letters of most scripts) skips
 * utf8proc_decompose(), which makes folding twice as fast. */
static utf8proc_ssize_t
quote_nfd(const char *s, size_t from, size_t to, utf8proc_option_t opt,
    utf8proc_int32_t *cps, utf8proc_ssize_t max)
{
	const utf8proc_uint8_t *u = (const utf8proc_uint8_t *)s + from;
	utf8proc_ssize_t len =
	    utf8proc_iterate(u, (utf8proc_ssize_t)(to - from), cps);
	const utf8proc_property_t *p = utf8proc_get_property(cps[0]);

	if (len == (utf8proc_ssize_t)(to - from) &&
	    (cps[0] < 0xac00 || cps[0] > 0xd7a3) && /* Hangul: by rule */
	    p->decomp_seqindex == UINT16_MAX &&
	    (!(opt & UTF8PROC_CASEFOLD) || p->casefold_seqindex == UINT16_MAX))
		return 1;
	return utf8proc_decompose(u, (utf8proc_ssize_t)(to - from), cps, max,
	    opt);
}

/* Folds the cluster s[from, to) into qf: NFD (with case folding if
 * asked), canonically ordered, then quote_fold_cp(). */
static bool
quote_cluster(struct quote_fold *qf, const char *s, size_t from, size_t to,
    unsigned flags)
{
	utf8proc_int32_t small[QUOTE_CLUSTER_CPS], *cps = small, c;
	utf8proc_option_t opt =
	    UTF8PROC_DECOMPOSE | ((flags & QUOTE_CASE) ? UTF8PROC_CASEFOLD : 0);
	utf8proc_ssize_t k =
	    quote_nfd(s, from, to, opt, cps, QUOTE_CLUSTER_CPS);
	bool ok = k >= 0;

	if (k > QUOTE_CLUSTER_CPS) { /* a letter with many marks */
		if ((cps = malloc((size_t)k * sizeof(*cps))) == NULL)
			return false;
		k = quote_nfd(s, from, to, opt, cps, k);
		ok = k >= 0;
	}
	for (utf8proc_ssize_t j = 0; ok && j < k; j++)
		if ((c = quote_fold_cp(cps[j], flags)) >= 0)
			ok = quote_put(qf, c, flags, (uint32_t)from,
			    (uint32_t)to);
	if (cps != small)
		free(cps);
	return ok;
}

enum status
quote_fold_init(struct quote_fold *qf, const char *s, size_t n, unsigned flags)
{
	utf8proc_int32_t state = 0;
	size_t i = 0, e;

	memset(qf, 0, sizeof(*qf));
	if (!quote_grow(qf, n + 1))
		return STATUS_RESOURCE_EXHAUSTED;
	for (; i < n; i = e) {
		/* An ASCII character before another (but CR before LF) is a
		 * cluster of its own, and its own NFD. */
		if ((unsigned char)s[i] < 0x80 && s[i] != '\r' &&
		    (i + 1 == n || (unsigned char)s[i + 1] < 0x80)) {
			e = i + 1;
			state = 0;
			if (!quote_put(qf, quote_ascii(s[i], flags), flags,
			        (uint32_t)i, (uint32_t)e))
				break;
			continue;
		}
		e = quote_cluster_end(s, n, i, &state);
		if (!quote_cluster(qf, s, i, e, flags))
			break;
	}
	if (i < n) {
		quote_fold_fini(qf);
		return STATUS_RESOURCE_EXHAUSTED;
	}
	qf->f[qf->len] = '\0';
	qf->from[qf->len] = (uint32_t)n;
	qf->to[qf->len] = (uint32_t)n;
	return STATUS_OK;
}

void
quote_fold_fini(struct quote_fold *qf)
{
	free(qf->f);
	free(qf->from);
	free(qf->to);
	memset(qf, 0, sizeof(*qf));
}

/* ------------------------------------------------------------ search */

/* Whether folded offset k is where the output of a cluster begins. */
static bool
quote_edge(const struct quote_fold *t, size_t k)
{
	return k == 0 || k == t->len || t->from[k] != t->from[k - 1];
}

/* Whether the match at folded [k, k + m) stands on its own. */
static bool
quote_match_ok(const struct quote_fold *t, size_t k, size_t m,
    const struct quote_fold *p, const struct quote_fold *q)
{
	return quote_edge(t, k) && quote_edge(t, k + m) &&
	       (p->len == 0 ||
	           (k >= p->len && !memcmp(t->f + k - p->len, p->f, p->len))) &&
	       (q->len == 0 || (t->len - k - m >= q->len &&
	                           !memcmp(t->f + k + m, q->f, q->len)));
}

static size_t
quote_scan(const struct quote_fold *t, const struct quote_fold *x,
    const struct quote_fold *p, const struct quote_fold *q, size_t *start,
    size_t *end, size_t max)
{
	size_t found = 0, from = 0, k;
	const char *hit;

	while (x->len > 0 && from + x->len <= t->len &&
	       (hit = memmem(t->f + from, t->len - from, x->f, x->len))) {
		k = (size_t)(hit - t->f);
		if (quote_match_ok(t, k, x->len, p, q)) {
			if (found < max) {
				start[found] = t->from[k];
				end[found] = t->to[k + x->len - 1];
			}
			found++;
		}
		from = k + 1;
	}
	return found;
}

size_t
quote_find(const struct quote_fold *text, unsigned flags, const char *exact,
    size_t m, const char *prefix, const char *suffix, size_t *start,
    size_t *end, size_t max)
{
	struct quote_fold x = { 0 }, p = { 0 }, q = { 0 };
	size_t found = SIZE_MAX;

	if (quote_fold_init(&x, exact, m, flags) == STATUS_OK &&
	    quote_fold_init(&p, prefix, strlen(prefix), flags) == STATUS_OK &&
	    quote_fold_init(&q, suffix, strlen(suffix), flags) == STATUS_OK)
		found = quote_scan(text, &x, &p, &q, start, end, max);
	quote_fold_fini(&x);
	quote_fold_fini(&p);
	quote_fold_fini(&q);
	return found;
}

/* ------------------------------------------------------------ differences */

/* Whether a and b fold alike as flags say (false when out of memory). */
static bool
quote_alike(const char *a, size_t an, const char *b, size_t bn, unsigned flags)
{
	struct quote_fold x = { 0 }, y = { 0 };
	bool same = false;

	if (quote_fold_init(&x, a, an, flags) == STATUS_OK &&
	    quote_fold_init(&y, b, bn, flags) == STATUS_OK)
		same = x.len == y.len && memcmp(x.f, y.f, x.len) == 0;
	quote_fold_fini(&x);
	quote_fold_fini(&y);
	return same;
}

static bool
quote_is_nfc(const char *s, size_t n)
{
	utf8proc_uint8_t *nfc = NULL;
	utf8proc_ssize_t k = utf8proc_map((const utf8proc_uint8_t *)s,
	    (utf8proc_ssize_t)n, &nfc, UTF8PROC_STABLE | UTF8PROC_COMPOSE);
	bool same = k >= 0 && (size_t)k == n && memcmp(nfc, s, n) == 0;

	free(nfc);
	return same;
}

unsigned
quote_differences(const char *a, size_t an, const char *b, size_t bn)
{
	unsigned d = 0;

	if (an == bn && memcmp(a, b, an) == 0)
		return 0;
	if (quote_is_nfc(a, an) != quote_is_nfc(b, bn))
		d |= QUOTE_NORMALIZATION;
	if (!quote_alike(a, an, b, bn, QUOTE_LOOSE))
		return d | QUOTE_SPELLING;
	/* A fold is a difference if all the others together do not do. */
	for (unsigned f = 1; f < QUOTE_LOOSE; f <<= 1)
		if (!quote_alike(a, an, b, bn, QUOTE_LOOSE & ~f))
			d |= f;
	/* Folds that each would do alone (a tatweel in a run of spaces):
	 * none is needed, any one is the difference. */
	for (unsigned f = 1; (d & QUOTE_LOOSE) == 0 && f < QUOTE_LOOSE; f <<= 1)
		if (!quote_alike(a, an, b, bn, 0) &&
		    quote_alike(a, an, b, bn, f))
			d |= f;
	return d == 0 ? QUOTE_NORMALIZATION : d;
}
