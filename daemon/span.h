/*
 * span: turns what a request points at (a SpanSelector: offsets in any
 * unit, or a quote with its occurrence number) into a Span of an article's
 * text with every unit and the TextQuote triple filled, or into an error
 * message precise enough to fix the request with.
 */
#ifndef GLOSS_SPAN_H
#define GLOSS_SPAN_H

#include "call.h"

#define SPAN_CONTEXT_CHARS 32 /* prefix and suffix of a TextQuote */

/*
 * Resolves `sel` against text[0..n) (the text of article `article_id`) into
 * a new Span owned by the call's arena.  On failure sets the call's error
 * (INVALID_ARGUMENT, naming `field`) and returns it.
 */
enum status span_resolve(struct call *c, const char *text, size_t n,
    const char *article_id, const Gloss__V1__SpanSelector *sel,
    const char *field, Gloss__V1__Span **out);

/* A new Span of byte range [start, end) of text, every unit filled; NULL if
 * the arena is spent.  The range must be valid. */
Gloss__V1__Span *span_make(struct call *c, const char *text, size_t n,
    size_t start, size_t end);

/*
 * Where text[0..n) (of article article_id) nearly has `exact`, which
 * quote_find() missed when folding as `flags` (quote.h): up to SPAN_NEAR
 * candidates, nearest first, appended to (*list)[0..*n_list) (a new array
 * in the arena), each with its differences and, as nth, the occurrence
 * number of its own text as a quote (0: it occurs once).  Adds none when
 * the arena is spent.
 */
#define SPAN_NEAR 10
void span_near(struct call *c, const char *text, size_t n,
    const char *article_id, const char *exact, unsigned flags,
    Gloss__V1__TextMatch ***list, size_t *n_list);

#endif
