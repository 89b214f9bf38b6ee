/*
 * span: SpanSelector -> Span.  The arithmetic is text.c's; this file adds
 * the rules a span must pass and the messages that explain a refusal.
 */
#include <string.h>

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
span_list_matches(struct call *c, const char *text, size_t n, size_t m,
    const size_t *at, size_t count)
{
	char *list = (char *)"";
	size_t pre, post;

	for (size_t i = 0; i < count && i < SPAN_LISTED; i++) {
		text_quote_context(text, n, at[i], at[i] + m, SPAN_SHOWN_CHARS,
		    &pre, &post);
		list = call_printf(c, "%s%snth=%zu at char %zu: …%s[%s]%s…",
		    list, i > 0 ? "; " : "", i + 1,
		    text_from_byte(text, n, TEXT_CHARS, at[i]),
		    span_show(c, text, pre, at[i]),
		    call_clip(c, span_show(c, text, at[i], at[i] + m), 60),
		    span_show(c, text, at[i] + m, post));
		if (list == NULL)
			return (char *)"";
	}
	if (count > SPAN_LISTED)
		list = call_printf(c, "%s; and %zu more", list,
		    count - SPAN_LISTED);
	return list != NULL ? list : (char *)"";
}

/* The matches at[0..count) of m bytes as TextMatches, in *list: the first
 * SPAN_DETAILED, and no more once they hold SPAN_DETAIL_BYTES. */
static void
span_matches(struct call *c, const char *text, size_t n, const char *article_id,
    size_t m, const size_t *at, size_t count, Gloss__V1__TextMatch ***list,
    size_t *n_list)
{
	Gloss__V1__TextMatch **v = call_alloc(c, SPAN_DETAILED * sizeof(*v));
	size_t k = 0, bytes = 0;

	for (size_t i = 0; v != NULL && i < count && i < SPAN_DETAILED &&
	                   i < SPAN_MATCHES_MAX && bytes < SPAN_DETAIL_BYTES;
	     i++) {
		if ((v[k] = call_alloc(c, sizeof(**v))) == NULL)
			break;
		gloss__v1__text_match__init(v[k]);
		v[k]->article_id = call_str(article_id);
		v[k]->nth = (uint32_t)i + 1;
		if ((v[k]->span = span_make(c, text, n, at[i], at[i] + m)) ==
		    NULL)
			break;
		bytes += protobuf_c_message_get_packed_size(&v[k++]->base);
	}
	*list = v;
	*n_list = k;
}

/* Status.quote for a quote that resolved to no one span: its occurrences,
 * or (none) those of its exact text alone as candidates. */
static enum status
span_quote_detail(struct call *c, const char *text, size_t n,
    const char *article_id, const Gloss__V1__Quote *q, const size_t *at,
    size_t count)
{
	Gloss__V1__QuoteFailure *f = call_alloc(c, sizeof(*f));
	size_t m = strlen(q->exact), *alone;

	if (f == NULL)
		return call_status(c);
	gloss__v1__quote_failure__init(f);
	f->article_id = call_str(article_id);
	f->occurrence_count = (uint32_t)count;
	span_matches(c, text, n, article_id, m, at, count, &f->occurrences,
	    &f->n_occurrences);
	if (count == 0 && (q->prefix[0] != '\0' || q->suffix[0] != '\0') &&
	    (alone = call_alloc(c, SPAN_DETAILED * sizeof(*alone))) != NULL) {
		count = text_find(text, n, q->exact, m, "", 0, "", 0, alone,
		    SPAN_DETAILED);
		span_matches(c, text, n, article_id, m, alone, count,
		    &f->candidates, &f->n_candidates);
	}
	c->status.quote = f;
	return call_status(c);
}

/* Refuses a quote that names no one occurrence. */
static enum status
span_quote_error(struct call *c, const char *text, size_t n,
    const char *article_id, const Gloss__V1__Quote *q, const char *field,
    const size_t *at, size_t count)
{
	const char *shown = call_clip(c, q->exact, 200);

	if (count == 0)
		call_fail(c, REASON(QUOTE_NOT_FOUND), field,
		    "'%s' does not occur in article '%s'%s", shown, article_id,
		    q->prefix[0] || q->suffix[0]
		        ? " with the prefix/suffix given"
		        : " (as whole characters; check spacing and accents)");
	else if (q->nth == 0)
		call_fail(c, REASON(QUOTE_AMBIGUOUS), field,
		    "'%s' occurs %zu times in article '%s'; say which with "
		    "nth: %s",
		    shown, count, article_id,
		    span_list_matches(c, text, n, strlen(q->exact), at, count));
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
	return span_quote_detail(c, text, n, article_id, q, at, count);
}

static enum status
span_from_quote(struct call *c, const char *text, size_t n,
    const char *article_id, const Gloss__V1__Quote *q, const char *field,
    Gloss__V1__Span **out)
{
	size_t m = strlen(q->exact), count;
	size_t *at = call_alloc(c, SPAN_MATCHES_MAX * sizeof(*at));

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
	count = text_find(text, n, q->exact, m, q->prefix, strlen(q->prefix),
	    q->suffix, strlen(q->suffix), at, SPAN_MATCHES_MAX);
	if (count == 0 || (q->nth == 0 && count > 1) || q->nth > count ||
	    q->nth > SPAN_MATCHES_MAX)
		return span_quote_error(c, text, n, article_id, q, field, at,
		    count);
	m = at[q->nth > 0 ? q->nth - 1 : 0];
	return span_from_bytes(c, text, n, m, m + strlen(q->exact), field, out);
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
