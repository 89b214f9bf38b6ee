/*
 * export_text: word and sentence boundaries (UAX #29) by ICU's break
 * iterators, run straight over the UTF-8 text (utext_openUTF8), so that
 * boundaries come back as byte offsets.  A walk yields one boundary at a
 * time and keeps no array, so an article of any size costs the iterator's
 * own few KiB.  Pure; ICU allocates with malloc.
 */
#include <stdlib.h>
#include <string.h>

#include <unicode/ubrk.h>
#include <unicode/uloc.h>
#include <unicode/utext.h>

#include "export.h"

/* ICU's locale id for a BCP 47 tag ("pt-BR" -> "pt_BR"); "" if none. */
static void
export_locale(const char *language, char *out, size_t size)
{
	UErrorCode st = U_ZERO_ERROR;
	int32_t n;

	n = uloc_forLanguageTag(language, out, (int32_t)size, NULL, &st);
	if (U_FAILURE(st) || n <= 0 || (size_t)n >= size)
		out[0] = '\0';
}

bool
export_breaks_open(struct export_breaks *b, const char *text, size_t n,
    const char *language, bool words)
{
	UErrorCode st = U_ZERO_ERROR;
	char locale[64];

	memset(b, 0, sizeof(*b));
	b->n = n;
	export_locale(language, locale, sizeof(locale));
	b->ut = utext_openUTF8(NULL, text, (int64_t)n, &st);
	b->bi =
	    ubrk_open(words ? UBRK_WORD : UBRK_SENTENCE, locale, NULL, 0, &st);
	if (U_SUCCESS(st))
		ubrk_setUText(b->bi, b->ut, &st);
	if (U_SUCCESS(st))
		(void)ubrk_first(b->bi);
	b->done = U_FAILURE(st);
	return U_SUCCESS(st);
}

size_t
export_breaks_next(struct export_breaks *b)
{
	int32_t at;

	if (b->done)
		return EXPORT_BREAKS_END;
	at = ubrk_next(b->bi);
	/* ICU ends at n; should it not, n is the last boundary anyway. */
	if (at == UBRK_DONE || (size_t)at >= b->n) {
		b->done = true;
		return b->n;
	}
	return (size_t)at;
}

void
export_breaks_around(struct export_breaks *b, size_t start, size_t end,
    size_t *from, size_t *to)
{
	int32_t at;

	*from = 0;
	*to = b->n;
	b->done = true;
	if (b->bi == NULL)
		return;
	if (!ubrk_isBoundary(b->bi, (int32_t)start) &&
	    (at = ubrk_preceding(b->bi, (int32_t)start)) != UBRK_DONE)
		start = (size_t)at;
	*from = start;
	if (!ubrk_isBoundary(b->bi, (int32_t)end) &&
	    (at = ubrk_following(b->bi, (int32_t)end)) != UBRK_DONE)
		end = (size_t)at;
	*to = end < b->n ? end : b->n;
}

void
export_breaks_close(struct export_breaks *b)
{
	if (b->bi != NULL)
		ubrk_close(b->bi);
	if (b->ut != NULL)
		utext_close(b->ut);
	b->bi = NULL;
	b->ut = NULL;
	b->done = true;
}
