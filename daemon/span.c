/*
 * span: SpanSelector -> Span.  The arithmetic is text.c's; this file adds
 * the rules a span must pass and the messages that explain a refusal.
 */
#include <string.h>

#include "quote.h"
#include "span.h"
#include "text.h"

#define SPAN_QUOTE_MAX    4096 /* bytes of a quote */
#define SPAN_MATCHES_MAX  1000 /* occurrences of a quote looked at */
#define SPAN_LISTED       10   /* occurrences an ambiguity message lists */
#define SPAN_SHOWN_CHARS  20   /* context shown around each of them */
#define SPAN_DETAILED     100  /* occurrences Status.quote lists */
#define SPAN_DETAIL_BYTES (64 * 1024) /* and the bytes they may take */

static const char *const span_unit_names[] = { "bytes", "chars", "utf16" };

Gloss__V1__Span *
span_make(struct call *c, const char *text, size_t n, size_t start, size_t end)
{
	Gloss__V1__Span *sp = call_alloc(c, sizeof(*sp));
	struct text_span ts = { .byte_start = start, .byte_end = end };
	size_t pre, post;

	if (sp == NULL)
		return NULL;
	gloss__v1__span__init(sp);
	text_span_fill(text, n, &ts);
	text_quote_context(text, n, start, end, SPAN_CONTEXT_CHARS, &pre,
	    &post);
	sp->byte_start = (uint32_t)start;
	sp->byte_end = (uint32_t)end;
	sp->char_start = (uint32_t)ts.char_start;
	sp->char_end = (uint32_t)ts.char_end;
	sp->utf16_start = (uint32_t)ts.utf16_start;
	sp->utf16_end = (uint32_t)ts.utf16_end;
	sp->exact = call_strndup(c, text + start, end - start);
	sp->prefix = call_strndup(c, text + pre, start - pre);
	sp->suffix = call_strndup(c, text + end, post - end);
	if (sp->exact == NULL || sp->prefix == NULL || sp->suffix == NULL)
		return NULL;
	return sp;
}

/* The text of [from, to) for a message: newlines and tabs as spaces. */
static char *
span_show(struct call *c, const char *text, size_t from, size_t to)
{
	char *s = call_strndup(c, text + from, to - from);

	for (char *p = s; p != NULL && *p != '\0'; p++)
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
	return s != NULL ? s : (char *)"";
}

/* The grapheme boundaries around byte `at`, which is not one. */
static void
span_cluster(const char *text, size_t n, size_t at, size_t *from, size_t *to)
{
	*from = at;
	while (*from > 0 && !text_is_grapheme_boundary(text, n, *from))
		do
			(*from)--;
		while (*from > 0 && !text_is_char_boundary(text, n, *from));
	*to = at;
	while (*to < n && !text_is_grapheme_boundary(text, n, *to))
		do
			(*to)++;
		while (*to < n && !text_is_char_boundary(text, n, *to));
}

/* Puts the Span of byte range [from, to) in the status just set: the
 * character a span must not split.  Left out if it is long (a letter
 * with thousands of marks), so that the reply stays small. */
static enum status
span_detail(struct call *c, const char *text, size_t n, size_t from, size_t to)
{
	if (to - from <= SPAN_QUOTE_MAX)
		c->status.span = span_make(c, text, n, from, to);
	return call_status(c);
}

static enum status
span_split_error(struct call *c, const char *text, size_t n, size_t at,
    const char *field, const char *which)
{
	size_t from, to;

	span_cluster(text, n, at, &from, &to);
	call_fail(c, REASON(SPAN_SPLITS_CHARACTER), field,
	    "the span's %s (char %zu) splits the grapheme cluster '%s' at "
	    "chars %zu-%zu (a letter and its combining marks, or an emoji and "
	    "its modifiers, go together); start or end at char %zu or %zu",
	    which, text_from_byte(text, n, TEXT_CHARS, at),
	    call_clip(c, span_show(c, text, from, to), 200),
	    text_from_byte(text, n, TEXT_CHARS, from),
	    text_from_byte(text, n, TEXT_CHARS, to),
	    text_from_byte(text, n, TEXT_CHARS, from),
	    text_from_byte(text, n, TEXT_CHARS, to));
	return span_detail(c, text, n, from, to);
}

/* Checks a byte range and makes its Span. */
static enum status
span_from_bytes(struct call *c, const char *text, size_t n, size_t start,
    size_t end, const char *field, Gloss__V1__Span **out)
{
	if (!text_is_grapheme_boundary(text, n, start))
		return span_split_error(c, text, n, start, field, "start");
	if (!text_is_grapheme_boundary(text, n, end))
		return span_split_error(c, text, n, end, field, "end");
	if ((*out = span_make(c, text, n, start, end)) == NULL)
		return call_fail(c, REASON(OUT_OF_MEMORY), NULL,
		    "out of memory");
	return STATUS_OK;
}

static enum status
span_out_of_range(struct call *c, const char *text, size_t n,
    enum text_unit unit, size_t off, const char *field)
{
	struct text_counts k;

	text_count(text, n, &k);
	call_fail(c, REASON(OFFSET_OUT_OF_RANGE), field,
	    "offset %zu is out of range: the text is %zu %s long", off,
	    text_from_byte(text, n, unit, n), span_unit_names[unit]);
	call_meta(c, "byte_count", "%zu", k.bytes);
	call_meta(c, "char_count", "%zu", k.chars);
	call_meta(c, "utf16_count", "%zu", k.utf16);
	return call_status(c);
}

static enum status
span_offset(struct call *c, const char *text, size_t n, enum text_unit unit,
    size_t off, const char *field, size_t *byte)
{
	size_t len = text_from_byte(text, n, unit, n), at = off, from, to;

	if (text_to_byte(text, n, unit, off, byte))
		return STATUS_OK;
	if (off > len)
		return span_out_of_range(c, text, n, unit, off, field);
	if (unit == TEXT_BYTES)
		while (at > 0 && !text_is_char_boundary(text, n, at))
			at--;
	else
		at = off - 1; /* an astral character's first UTF-16 unit */
	call_fail(c, REASON(OFFSET_SPLITS_CODE_POINT), field,
	    "offset %zu (%s) is inside a character (%s); the character "
	    "starts at %zu",
	    off, span_unit_names[unit],
	    unit == TEXT_UTF16 ? "between the halves of a surrogate pair"
	                       : "inside its UTF-8 sequence",
	    at);
	if (unit == TEXT_UTF16 && !text_to_byte(text, n, unit, at, &at))
		return call_status(c);
	from = at;
	to = at + 1;
	while (to < n && !text_is_char_boundary(text, n, to))
		to++;
	return span_detail(c, text, n, from, to);
}

static enum status
span_from_range(struct call *c, const char *text, size_t n,
    const Gloss__V1__Range *r, const char *field, Gloss__V1__Span **out)
{
	enum text_unit unit;
	size_t start, end;
	enum status s;

	switch (r->unit) {
	case GLOSS__V1__UNIT__UNIT_BYTES:
		unit = TEXT_BYTES;
		break;
	case GLOSS__V1__UNIT__UNIT_CHARS:
		unit = TEXT_CHARS;
		break;
	case GLOSS__V1__UNIT__UNIT_UTF16:
		unit = TEXT_UTF16;
		break;
	case GLOSS__V1__UNIT__UNIT_UNSPECIFIED:
		/* No default: offsets taken in the wrong unit would quietly
		 * point at other text. */
		return call_fail(c, REASON(UNIT_MISSING), field,
		    "the range [%u, %u) has no unit; say which unit: bytes "
		    "(UNIT_BYTES, UTF-8), code points (UNIT_CHARS, Python's "
		    "str) or UTF-16 (UNIT_UTF16, JavaScript)",
		    r->start, r->end);
	default:
		return call_fail(c, REASON(FIELD_INVALID), field,
		    "unit %d is not UNIT_BYTES, UNIT_CHARS or UNIT_UTF16",
		    (int)r->unit);
	}
	if (r->start >= r->end)
		return call_fail(c, REASON(SPAN_EMPTY), field,
		    "the span [%u, %u) is empty: end must be past start",
		    r->start, r->end);
	if ((s = span_offset(c, text, n, unit, r->start, field, &start)) !=
	        STATUS_OK ||
	    (s = span_offset(c, text, n, unit, r->end, field, &end)) !=
	        STATUS_OK)
		return s;
	return span_from_bytes(c, text, n, start, end, field, out);
}

/* "1 at char 10: …before[exact]after…; 2 at ..." for the first few. */
static char *
span_list_matches(struct call *c, const char *text, size_t n, const size_t *at,
    const size_t *to, size_t count)
{
	char *list = (char *)"";
	size_t pre, post;

	for (size_t i = 0; i < count && i < SPAN_LISTED; i++) {
		text_quote_context(text, n, at[i], to[i], SPAN_SHOWN_CHARS,
		    &pre, &post);
		list = call_printf(c, "%s%snth=%zu at char %zu: …%s[%s]%s…",
		    list, i > 0 ? "; " : "", i + 1,
		    text_from_byte(text, n, TEXT_CHARS, at[i]),
		    span_show(c, text, pre, at[i]),
		    call_clip(c, span_show(c, text, at[i], to[i]), 60),
		    span_show(c, text, to[i], post));
		if (list == NULL)
			return (char *)"";
	}
	if (count > SPAN_LISTED)
		list = call_printf(c, "%s; and %zu more", list,
		    count - SPAN_LISTED);
	return list != NULL ? list : (char *)"";
}

/* A TextMatch of [at, to) in the arena; NULL if it is spent. */
static Gloss__V1__TextMatch *
span_match(struct call *c, const char *text, size_t n, const char *article_id,
    size_t at, size_t to, uint32_t nth)
{
	Gloss__V1__TextMatch *m = call_alloc(c, sizeof(*m));

	if (m == NULL)
		return NULL;
	gloss__v1__text_match__init(m);
	m->article_id = call_str(article_id);
	m->nth = nth;
	m->span = span_make(c, text, n, at, to);
	return m->span != NULL ? m : NULL;
}

/* The matches [at[i], to[i]) as TextMatches, in *list: the first
 * SPAN_DETAILED, and no more once they hold SPAN_DETAIL_BYTES. */
static void
span_matches(struct call *c, const char *text, size_t n, const char *article_id,
    const size_t *at, const size_t *to, size_t count,
    Gloss__V1__TextMatch ***list, size_t *n_list)
{
	Gloss__V1__TextMatch **v = call_alloc(c, SPAN_DETAILED * sizeof(*v));
	size_t k = 0, bytes = 0;

	for (size_t i = 0; v != NULL && i < count && i < SPAN_DETAILED &&
	                   i < SPAN_MATCHES_MAX && bytes < SPAN_DETAIL_BYTES;
	     i++) {
		v[k] = span_match(c, text, n, article_id, at[i], to[i],
		    (uint32_t)i + 1);
		if (v[k] == NULL)
			break;
		bytes += protobuf_c_message_get_packed_size(&v[k++]->base);
	}
	*list = v;
	*n_list = k;
}

/* The occurrence number of text[at, to) as a quote of its own (0: it
 * occurs once), with scratch for SPAN_MATCHES_MAX starts and ends. */
static uint32_t
span_nth(const struct quote_fold *t, const char *text, size_t at, size_t to,
    size_t *scratch)
{
	size_t count = quote_find(t, 0, text + at, to - at, "", "", scratch,
	    scratch + SPAN_MATCHES_MAX, SPAN_MATCHES_MAX);

	for (size_t i = 0; count > 1 && count != SIZE_MAX && i < count &&
	                   i < SPAN_MATCHES_MAX;
	     i++)
		if (scratch[i] == at)
			return (uint32_t)i + 1;
	return 0;
}

/* The names of the bits of quote_flags d, in m->differences. */
static bool
span_differences(struct call *c, Gloss__V1__TextMatch *m, unsigned d)
{
	const char *name;

	m->differences = call_alloc(c, 16 * sizeof(char *));
	if (m->differences == NULL)
		return false;
	for (unsigned b = 0; (name = quote_difference_name(b)) != NULL; b++)
		if (d & (1u << b))
			m->differences[m->n_differences++] = call_str(name);
	return true;
}

void
span_near(struct call *c, const char *text, size_t n, const char *article_id,
    const char *exact, unsigned flags, Gloss__V1__TextMatch ***list,
    size_t *n_list)
{
	struct quote_candidate *cand = call_alloc(c, SPAN_NEAR * sizeof(*cand));
	size_t *scratch = call_alloc(c, 2 * SPAN_MATCHES_MAX * sizeof(size_t));
	size_t k = cand == NULL || scratch == NULL
	               ? SIZE_MAX
	               : quote_candidates(text, n, flags, exact, strlen(exact),
	                     cand, SPAN_NEAR);
	Gloss__V1__TextMatch **v;
	struct quote_fold t;

	if (k == SIZE_MAX || k == 0 ||
	    (v = call_alloc(c, (*n_list + k) * sizeof(*v))) == NULL ||
	    quote_fold_init(&t, text, n, 0) != STATUS_OK)
		return;
	if (*n_list > 0)
		memcpy(v, *list, *n_list * sizeof(*v));
	*list = v;
	for (size_t i = 0; i < k; i++) {
		v[*n_list] = span_match(c, text, n, article_id, cand[i].start,
		    cand[i].end,
		    span_nth(&t, text, cand[i].start, cand[i].end, scratch));
		if (v[*n_list] == NULL ||
		    !span_differences(c, v[*n_list], cand[i].differences))
			break;
		(*n_list)++;
	}
	quote_fold_fini(&t);
}

/* The occurrences of q's exact text alone (its prefix or suffix missed),
 * as candidates that differ in "context". */
static void
span_context_candidates(struct call *c, const char *text, size_t n,
    const char *article_id, const Gloss__V1__Quote *q,
    Gloss__V1__QuoteFailure *f)
{
	size_t *at = call_alloc(c, 2 * SPAN_DETAILED * sizeof(*at)), count;
	struct quote_fold t;
	unsigned flags = q->loose ? QUOTE_LOOSE : 0;

	if (at == NULL || quote_fold_init(&t, text, n, flags) != STATUS_OK)
		return;
	count = quote_find(&t, flags, q->exact, strlen(q->exact), "", "", at,
	    at + SPAN_DETAILED, SPAN_DETAILED);
	quote_fold_fini(&t);
	if (count == SIZE_MAX)
		return;
	span_matches(c, text, n, article_id, at, at + SPAN_DETAILED, count,
	    &f->candidates, &f->n_candidates);
	for (size_t i = 0; i < f->n_candidates; i++) {
		f->candidates[i]->differences = call_alloc(c, sizeof(char *));
		if (f->candidates[i]->differences == NULL)
			return;
		f->candidates[i]->differences[0] = (char *)"context";
		f->candidates[i]->n_differences = 1;
	}
}

/* Status.quote for a quote that resolved to no one span: its occurrences,
 * or (none) where the text nearly has it. */
static enum status
span_quote_detail(struct call *c, const char *text, size_t n,
    const char *article_id, const Gloss__V1__Quote *q, const size_t *at,
    const size_t *to, size_t count)
{
	Gloss__V1__QuoteFailure *f = call_alloc(c, sizeof(*f));

	if (f == NULL)
		return call_status(c);
	gloss__v1__quote_failure__init(f);
	f->article_id = call_str(article_id);
	f->occurrence_count = (uint32_t)count;
	span_matches(c, text, n, article_id, at, to, count, &f->occurrences,
	    &f->n_occurrences);
	if (count == 0 && (q->prefix[0] != '\0' || q->suffix[0] != '\0'))
		span_context_candidates(c, text, n, article_id, q, f);
	if (count == 0 && f->n_candidates == 0)
		span_near(c, text, n, article_id, q->exact,
		    q->loose ? QUOTE_LOOSE : 0, &f->candidates,
		    &f->n_candidates);
	c->status.quote = f;
	return call_status(c);
}

/* Refuses a quote that names no one occurrence. */
static enum status
span_quote_error(struct call *c, const char *text, size_t n,
    const char *article_id, const Gloss__V1__Quote *q, const char *field,
    const size_t *at, const size_t *to, size_t count)
{
	const char *shown = call_clip(c, q->exact, 200);

	if (count == 0)
		call_fail(c, REASON(QUOTE_NOT_FOUND), field,
		    "'%s' does not occur in article '%s'%s", shown, article_id,
		    q->prefix[0] || q->suffix[0]
		        ? " with the prefix/suffix given"
		    : q->loose ? " even loosely"
		               : " (as whole characters; check spacing and "
		                 "accents, or match loosely)");
	else if (q->nth == 0)
		call_fail(c, REASON(QUOTE_AMBIGUOUS), field,
		    "'%s' occurs %zu times in article '%s'; say which with "
		    "nth: %s",
		    shown, count, article_id,
		    span_list_matches(c, text, n, at, to, count));
	else if (q->nth > count)
		call_fail(c, REASON(QUOTE_NTH_OUT_OF_RANGE), field,
		    "'%s' occurs %zu time%s in article '%s', so there is "
		    "no occurrence %u",
		    shown, count, count == 1 ? "" : "s", article_id, q->nth);
	else
		call_fail(c, REASON(QUOTE_NTH_OUT_OF_RANGE), field,
		    "occurrence %u is past the %d that glossd counts; use a "
		    "range",
		    q->nth, SPAN_MATCHES_MAX);
	return span_quote_detail(c, text, n, article_id, q, at, to, count);
}

/* The occurrences of q in text (canonically equivalent, or loosely if q
 * says so): their bounds in at[] and to[], their count in *count. */
static enum status
span_find(struct call *c, const char *text, size_t n, const Gloss__V1__Quote *q,
    size_t *at, size_t *to, size_t *count)
{
	struct quote_fold t;
	unsigned flags = q->loose ? QUOTE_LOOSE : 0;

	*count = SIZE_MAX;
	if (quote_fold_init(&t, text, n, flags) == STATUS_OK)
		*count = quote_find(&t, flags, q->exact, strlen(q->exact),
		    q->prefix, q->suffix, at, to, SPAN_MATCHES_MAX);
	quote_fold_fini(&t);
	if (*count == SIZE_MAX)
		return call_fail(c, REASON(OUT_OF_MEMORY), NULL,
		    "out of memory");
	return STATUS_OK;
}

static enum status
span_from_quote(struct call *c, const char *text, size_t n,
    const char *article_id, const Gloss__V1__Quote *q, const char *field,
    Gloss__V1__Span **out)
{
	size_t m = strlen(q->exact), count, k;
	size_t *at = call_alloc(c, 2 * SPAN_MATCHES_MAX * sizeof(*at));
	size_t *to = at + SPAN_MATCHES_MAX;
	enum status s;

	if (at == NULL)
		return call_fail(c, REASON(OUT_OF_MEMORY), NULL,
		    "out of memory");
	if (m == 0)
		return call_fail(c, REASON(FIELD_REQUIRED), field,
		    "the quote is empty");
	if (m > SPAN_QUOTE_MAX)
		return call_fail(c, REASON(FIELD_OVER_LIMIT), field,
		    "the quote is %zu bytes; quote at most %d and use a range "
		    "for longer spans",
		    m, SPAN_QUOTE_MAX);
	if ((s = span_find(c, text, n, q, at, to, &count)) != STATUS_OK)
		return s;
	if (count == 0 || (q->nth == 0 && count > 1) || q->nth > count ||
	    q->nth > SPAN_MATCHES_MAX)
		return span_quote_error(c, text, n, article_id, q, field, at,
		    to, count);
	k = q->nth > 0 ? q->nth - 1 : 0;
	return span_from_bytes(c, text, n, at[k], to[k], field, out);
}

enum status
span_resolve(struct call *c, const char *text, size_t n, const char *article_id,
    const Gloss__V1__SpanSelector *sel, const char *field,
    Gloss__V1__Span **out)
{
	if (sel != NULL &&
	    sel->selector_case == GLOSS__V1__SPAN_SELECTOR__SELECTOR_RANGE)
		return span_from_range(c, text, n, sel->range, field, out);
	if (sel != NULL &&
	    sel->selector_case == GLOSS__V1__SPAN_SELECTOR__SELECTOR_QUOTE)
		return span_from_quote(c, text, n, article_id, sel->quote,
		    field, out);
	return call_fail(c, REASON(FIELD_REQUIRED), field,
	    "%s needs a range or a quote", field);
}
