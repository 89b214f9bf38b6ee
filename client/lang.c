/*
 * lang: is a --lang a BCP 47 tag whose language exists (RFC 5646, read by
 * ICU), and if not, which tag was meant ("english" is en).  The daemon
 * checks the shape (valid.c); the annotator's typo is caught here, where a
 * hint can name the tag.
 */
#include <string.h>
#include <strings.h>

#include <unicode/uloc.h>

#include "cli.h"

/* The language subtag's English name as ICU knows it, or NULL if ICU
 * knows none (it then gives the code back). */
static const char *
lang_name(const char *code, char *buf, int32_t size)
{
	UChar name[64];
	UErrorCode e = U_ZERO_ERROR;
	int32_t n = uloc_getDisplayLanguage(code, "en", name, 64, &e);

	if (U_FAILURE(e) || n <= 0 || n >= 64)
		return NULL;
	u_UCharsToChars(name, buf, n < size ? n : size - 1);
	buf[n < size ? n : size - 1] = '\0';
	return strcasecmp(buf, code) == 0 ? NULL : buf;
}

/* An ISO 639 code whose English name is `word` ("english": "en"). */
static const char *
lang_by_name(const char *word)
{
	const char *const *codes = uloc_getISOLanguages();
	char buf[64];

	for (size_t i = 0; codes[i] != NULL; i++) {
		const char *name = lang_name(codes[i], buf, sizeof(buf));
		if (name != NULL && strcasecmp(name, word) == 0)
			return codes[i];
	}
	return NULL;
}

bool
lang_check(const char *tag, char *why, size_t whylen)
{
	char locale[ULOC_FULLNAME_CAPACITY], lang[ULOC_LANG_CAPACITY];
	char name[64];
	const char *meant;
	int32_t parsed = 0;
	UErrorCode e = U_ZERO_ERROR;

	uloc_forLanguageTag(tag, locale, sizeof(locale), &parsed, &e);
	if (U_SUCCESS(e) && parsed == (int32_t)strlen(tag) && parsed > 0) {
		uloc_getLanguage(locale, lang, sizeof(lang), &e);
		if (U_SUCCESS(e) && lang_name(lang, name, sizeof(name)) != NULL)
			return true;
	}
	if ((meant = lang_by_name(tag)) != NULL)
		snprintf(why, whylen,
		    "--lang '%s' is not a BCP 47 language tag; did you mean "
		    "%s?",
		    tag, meant);
	else
		snprintf(why, whylen,
		    "--lang '%s' is not a BCP 47 tag of a known language "
		    "(pt, en, ar, fr, pt-BR, zh-Hant, ...)",
		    tag);
	return false;
}
