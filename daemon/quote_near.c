/*
 * quote_near: what a missed quote nearly matches (quote_candidates() of
 * quote.h): its loose matches, then the windows of the text that are a
 * few grapheme clusters away from it (Sellers' approximate string
 * matching: an edit distance whose start is free), both over the loosely
 * folded text.  The work is bounded: quotes of at most QUOTE_NEAR_UNITS
 * clusters, the first QUOTE_SCAN_MAX bytes of the text.
 */
#include <stdlib.h>
#include <string.h>

#include "quote.h"

#define QUOTE_NEAR_UNITS 64 /* clusters of a quote matched by distance */
#define QUOTE_NEAR_KEPT  64 /* windows kept while scanning */

/* The clusters of a folded text: unit i is f[at[i], at[i + 1]), h[i] its
 * hash (FNV-1a), compared instead of its bytes. */
struct quote_units {
	size_t *at;
	uint64_t *h;
	size_t n;
};

static uint64_t
quote_hash(const char *s, size_t n)
{
	uint64_t h = 0xcbf29ce484222325u;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 0x100000001b3u;
	return h;
}

/* The units of qf's first `max` bytes of text. */
static bool
quote_units_init(struct quote_units *u, const struct quote_fold *qf, size_t max)
{
	size_t n = 0, k;

	memset(u, 0, sizeof(*u));
	for (k = 0; k < qf->len && qf->from[k] < max; k++)
		n += k == 0 || qf->from[k] != qf->from[k - 1];
	u->at = malloc((n + 1) * sizeof(*u->at));
	u->h = malloc((n + 1) * sizeof(*u->h));
	if (u->at == NULL || u->h == NULL)
		return false;
	for (k = 0; k < qf->len && qf->from[k] < max; k++)
		if (k == 0 || qf->from[k] != qf->from[k - 1])
			u->at[u->n++] = k;
	u->at[u->n] = k;
	for (size_t i = 0; i < u->n; i++)
		u->h[i] = quote_hash(qf->f + u->at[i], u->at[i + 1] - u->at[i]);
	return true;
}

static void
quote_units_fini(struct quote_units *u)
{
	free(u->at);
	free(u->h);
}

/* The windows found so far, in text order, overlapping ones merged. */
struct quote_near {
	size_t start[QUOTE_NEAR_KEPT], end[QUOTE_NEAR_KEPT];
	unsigned dist[QUOTE_NEAR_KEPT];
	size_t n;
};

/* Offers window [ws, we) of units at distance d. */
static void
quote_offer(struct quote_near *nr, size_t ws, size_t we, unsigned d)
{
	size_t i = nr->n;
	size_t worst = 0;

	if (i > 0 && ws < nr->end[i - 1]) { /* overlaps the last: the nearer */
		if (d < nr->dist[i - 1]) {
			nr->start[i - 1] = ws;
			nr->end[i - 1] = we;
			nr->dist[i - 1] = d;
		}
		return;
	}
	if (i == QUOTE_NEAR_KEPT) { /* full: drop the farthest, if farther */
		for (size_t j = 1; j < i; j++)
			worst = nr->dist[j] > nr->dist[worst] ? j : worst;
		if (nr->dist[worst] <= d)
			return;
		memmove(nr->start + worst, nr->start + worst + 1,
		    (i - worst - 1) * sizeof(size_t));
		memmove(nr->end + worst, nr->end + worst + 1,
		    (i - worst - 1) * sizeof(size_t));
		memmove(nr->dist + worst, nr->dist + worst + 1,
		    (i - worst - 1) * sizeof(unsigned));
		i = --nr->n;
	}
	nr->start[i] = ws;
	nr->end[i] = we;
	nr->dist[i] = d;
	nr->n++;
}

/* One column of the distance table: text unit t, against quote units q;
 * d/st the column before (distance, start unit), nd/nst the new one. */
static void
quote_column(const uint64_t *q, size_t m, uint64_t t, size_t i,
    const unsigned *d, const size_t *st, unsigned *nd, size_t *nst)
{
	nd[0] = 0;
	nst[0] = i + 1;
	for (size_t j = 1; j <= m; j++) {
		unsigned sub = d[j - 1] + (q[j - 1] != t);
		unsigned del = d[j] + 1, ins = nd[j - 1] + 1;
		nd[j] = sub;
		nst[j] = st[j - 1];
		if (ins < nd[j]) {
			nd[j] = ins;
			nst[j] = nst[j - 1];
		}
		if (del < nd[j]) {
			nd[j] = del;
			nst[j] = st[j];
		}
	}
}

/* Scans text units t against quote units q (m of them) for windows at
 * most k away. */
static bool
quote_scan_near(const struct quote_units *t, const struct quote_units *q,
    unsigned k, struct quote_near *nr)
{
	size_t m = q->n, *st = malloc(2 * (m + 1) * sizeof(*st)), *nst;
	unsigned *d = malloc(2 * (m + 1) * sizeof(*d)), *nd, *swap;
	size_t *sswap;

	if (st == NULL || d == NULL) {
		free(st);
		free(d);
		return false;
	}
	nd = d + m + 1;
	nst = st + m + 1;
	for (size_t j = 0; j <= m; j++) {
		d[j] = (unsigned)j;
		st[j] = 0;
	}
	for (size_t i = 0; i < t->n; i++) {
		quote_column(q->h, m, t->h[i], i, d, st, nd, nst);
		if (nd[m] <= k)
			quote_offer(nr, nst[m], i + 1, nd[m]);
		swap = d, d = nd, nd = swap;
		sswap = st, st = nst, nst = sswap;
	}
	free(d < nd ? d : nd);
	free(st < nst ? st : nst);
	return true;
}

/* Appends the windows of nr (but exact ones, which are loose matches)
 * to out[have..max), nearest first. */
static size_t
quote_near_put(const struct quote_near *nr, const struct quote_fold *t,
    const struct quote_units *u, struct quote_candidate *out, size_t have,
    size_t max)
{
	for (unsigned d = 1; d <= QUOTE_NEAR_UNITS; d++)
		for (size_t i = 0; i < nr->n && have < max; i++) {
			if (nr->dist[i] != d)
				continue;
			out[have].start = t->from[u->at[nr->start[i]]];
			out[have].end = t->to[u->at[nr->end[i]] - 1];
			out[have].differences = QUOTE_SPELLING;
			out[have++].distance = d;
		}
	return have;
}

/* Spelling candidates of exact in loosely folded text t. */
static size_t
quote_spelling(const struct quote_fold *t, const char *exact, size_t m,
    struct quote_candidate *out, size_t have, size_t max)
{
	struct quote_fold x = { 0 };
	struct quote_units tu = { 0 }, xu = { 0 };
	struct quote_near *nr = calloc(1, sizeof(*nr));
	size_t r = SIZE_MAX;

	if (nr != NULL &&
	    quote_fold_init(&x, exact, m, QUOTE_LOOSE) == STATUS_OK) {
		if (quote_units_init(&xu, &x, SIZE_MAX) &&
		    quote_units_init(&tu, t, QUOTE_SCAN_MAX)) {
			r = have;
			/* Under four clusters, one changed is half of it. */
			if (xu.n >= 4 && xu.n <= QUOTE_NEAR_UNITS &&
			    quote_scan_near(&tu, &xu, (unsigned)xu.n / 4, nr))
				r = quote_near_put(nr, t, &tu, out, have, max);
		}
		quote_units_fini(&xu);
		quote_units_fini(&tu);
	}
	quote_fold_fini(&x);
	free(nr);
	return r;
}

size_t
quote_candidates(const char *s, size_t n, unsigned flags, const char *exact,
    size_t m, struct quote_candidate *out, size_t max)
{
	struct quote_fold t;
	size_t *at = malloc((max + 1) * 2 * sizeof(*at)), found = 0, have = 0;

	if (at == NULL || quote_fold_init(&t, s, n, QUOTE_LOOSE) != STATUS_OK) {
		free(at);
		return SIZE_MAX;
	}
	if (flags != QUOTE_LOOSE)
		found = quote_find(&t, QUOTE_LOOSE, exact, m, "", "", at,
		    at + max + 1, max);
	for (size_t i = 0; found != SIZE_MAX && i < found && i < max; i++) {
		unsigned d = quote_differences(s + at[i],
		    at[max + 1 + i] - at[i], exact, m);
		if (d == 0) /* the quote itself: its context missed */
			continue;
		out[have].start = at[i];
		out[have].end = at[max + 1 + i];
		out[have].differences = d;
		out[have++].distance = 0;
	}
	if (found != SIZE_MAX)
		have = quote_spelling(&t, exact, m, out, have, max);
	quote_fold_fini(&t);
	free(at);
	return found == SIZE_MAX ? SIZE_MAX : have;
}
