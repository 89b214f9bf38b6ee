/*
 * export_text: word and sentence boundaries (UAX #29) by ICU's break
 * iterators, run straight over the UTF-8 text (utext_openUTF8), so that
 * boundaries come back as byte offsets.  Pure; ICU allocates with malloc.
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

static bool
export_push(size_t **arr, int **status, size_t *n, size_t *max, size_t at,
    int rule)
{
	size_t *grown;
	int *sgrown;

	if (*n == *max) {
		*max = *max ? 2 * *max : 256;
		if ((grown = realloc(*arr, *max * sizeof(*grown))) == NULL)
			return false;
		*arr = grown;
		if (status != NULL) {
			sgrown = realloc(*status, *max * sizeof(*sgrown));
			if (sgrown == NULL)
				return false;
			*status = sgrown;
		}
	}
	(*arr)[*n] = at;
	if (status != NULL)
		(*status)[*n] = rule;
	(*n)++;
	return true;
}

size_t
export_breaks(const char *text, size_t n, const char *language, bool words,
    size_t **out, int **status)
{
	UErrorCode st = U_ZERO_ERROR;
	UText *ut = NULL;
	UBreakIterator *bi = NULL;
	char locale[64];
	size_t count = 0, max = 0;
	bool ok = true;

	*out = NULL;
	if (status != NULL)
		*status = NULL;
	export_locale(language, locale, sizeof(locale));
	ut = utext_openUTF8(NULL, text, (int64_t)n, &st);
	bi = ubrk_open(words ? UBRK_WORD : UBRK_SENTENCE, locale, NULL, 0, &st);
	if (U_SUCCESS(st))
		ubrk_setUText(bi, ut, &st);
	if (U_FAILURE(st))
		ok = false;
	for (int32_t b = ok ? ubrk_first(bi) : UBRK_DONE; b != UBRK_DONE;
	     b = ubrk_next(bi))
		if (!(ok = export_push(out, status, &count, &max, (size_t)b,
		          ubrk_getRuleStatus(bi))))
			break;
	if (bi != NULL)
		ubrk_close(bi);
	if (ut != NULL)
		utext_close(ut);
	if (ok && (count == 0 || (*out)[count - 1] != n))
		ok = export_push(out, status, &count, &max, n, 0);
	if (!ok) {
		free(*out);
		*out = NULL;
		if (status != NULL) {
			free(*status);
			*status = NULL;
		}
		return 0;
	}
	return count;
}
