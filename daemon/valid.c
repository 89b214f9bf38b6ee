/* valid: field rules shared by the create methods and ImportRecords. */
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <unicode/uspoof.h>
#include <utf8proc.h>

#include "valid.h"

#define VALID_SHOW_MAX 64

bool
valid_id(const char *id)
{
	size_t n = strlen(id);

	if (n == 0 || n > VALID_ID_MAX || !isalnum((unsigned char)id[0]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)id[i]) &&
		    strchr("._-", id[i]) == NULL)
			return false;
	return true;
}

bool
valid_language(const char *tag)
{
	size_t i = 0, n;

	if (strlen(tag) > VALID_LANGUAGE_MAX)
		return false;
	while (isalpha((unsigned char)tag[i]))
		i++;
	if (i < 2 || i > 8)
		return false;
	while (tag[i] == '-') {
		tag += i + 1;
		for (n = 0; isalnum((unsigned char)tag[n]); n++)
			;
		if (n < 1 || n > 8)
			return false;
		i = n;
	}
	return tag[i] == '\0';
}

/* A code point that can make a name display as another, or break a line
 * of a log or a listing: controls (Cc), line and paragraph separators
 * (Zl, Zp: U+2028/9), format characters (Cf: the bidirectional controls,
 * U+200B and the other invisibles; but ZWNJ and ZWJ, which Persian, Indic
 * and emoji names need), spaces other than U+0020 (NBSP and co. look like
 * it), surrogates, private use and unassigned code points. */
static bool
valid_name_char(utf8proc_int32_t cp)
{
	utf8proc_category_t k = utf8proc_category(cp);

	if (k == UTF8PROC_CATEGORY_CF)
		return cp == 0x200c || cp == 0x200d;
	if (k == UTF8PROC_CATEGORY_ZS)
		return cp == 0x20;
	return !(k == UTF8PROC_CATEGORY_CC || k == UTF8PROC_CATEGORY_ZL ||
	         k == UTF8PROC_CATEGORY_ZP || k == UTF8PROC_CATEGORY_CS ||
	         k == UTF8PROC_CATEGORY_CO || k == UTF8PROC_CATEGORY_CN);
}

static USpoofChecker *valid_spoof;
static pthread_once_t valid_spoof_once = PTHREAD_ONCE_INIT;

/* One checker for every thread: ICU's check functions are thread safe
 * once it is configured (uspoof.h). */
static void
valid_spoof_init(void)
{
	UErrorCode e = U_ZERO_ERROR;
	USpoofChecker *sc = uspoof_open(&e);

	uspoof_setChecks(sc, USPOOF_RESTRICTION_LEVEL | USPOOF_MIXED_NUMBERS,
	    &e);
	uspoof_setRestrictionLevel(sc, USPOOF_MODERATELY_RESTRICTIVE);
	if (U_FAILURE(e)) {
		uspoof_close(sc);
		sc = NULL;
	}
	valid_spoof = sc;
}

/* Whether a name mixes scripts as a spoofed one does (a Cyrillic "а" in
 * a Latin name, digits of two systems): UTS #39's "moderately
 * restrictive" level, through ICU.  Latin with one other script (Arabic,
 * Han, ...) passes; Latin with Cyrillic or Greek does not. */
static bool
valid_name_mixed(const char *s, size_t n)
{
	UErrorCode e = U_ZERO_ERROR;
	int32_t r;

	pthread_once(&valid_spoof_once, valid_spoof_init);
	if (valid_spoof == NULL)
		return true; /* no checker: refuse rather than guess */
	r = uspoof_checkUTF8(valid_spoof, s, (int32_t)n, NULL, &e);
	return U_FAILURE(e) || r != 0;
}

bool
valid_author(const char *author)
{
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)author;
	utf8proc_ssize_t n = (utf8proc_ssize_t)strlen(author), k;
	utf8proc_int32_t cp;

	bool ascii = true;

	if (n == 0 || n > VALID_AUTHOR_MAX || author[0] == ' ' ||
	    author[n - 1] == ' ' || strstr(author, "  ") != NULL)
		return false;
	for (; n > 0; p += k, n -= k) {
		if ((k = utf8proc_iterate(p, n, &cp)) <= 0 ||
		    !valid_name_char(cp))
			return false;
		ascii = ascii && cp < 0x80;
	}
	return ascii || !valid_name_mixed(author, strlen(author));
}

bool
valid_request_id(const char *id)
{
	size_t n = strlen(id);

	if (n > VALID_REQUEST_ID_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (id[i] < 0x21 || id[i] > 0x7e)
			return false;
	return true;
}

bool
valid_kb_id(const char *id)
{
	size_t n = strlen(id);

	if (n == 0 || strcmp(id, "NIL") == 0)
		return true;
	if (n < 2 || n > VALID_KB_MAX || id[0] != 'Q' || id[1] == '0')
		return false;
	for (size_t i = 1; i < n; i++)
		if (!isdigit((unsigned char)id[i]))
			return false;
	return true;
}

bool
valid_url(const char *url)
{
	if (strlen(url) > VALID_URL_MAX)
		return false;
	return (strncmp(url, "http://", 7) == 0 && url[7] != '\0') ||
	       (strncmp(url, "https://", 8) == 0 && url[8] != '\0');
}

bool
valid_label_name(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > VALID_LABEL_NAME_MAX ||
	    !isalnum((unsigned char)name[0]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)name[i]) &&
		    strchr("_-/.", name[i]) == NULL)
			return false;
	return true;
}

const char *
valid_show(struct call *c, const char *s)
{
	const char *shown =
	    call_printf(c, "'%s'", call_clip(c, s, VALID_SHOW_MAX));

	return shown != NULL ? shown : "(a string)";
}

static enum status
valid_article_meta(struct call *c, const Gloss__V1__Article *a,
    const char *field)
{
	char f[96];

	snprintf(f, sizeof(f), "%s.title", field);
	if (strlen(a->title) > VALID_TITLE_MAX)
		return call_fail(c, REASON(FIELD_OVER_LIMIT), f,
		    "title is %zu bytes; the limit is %d", strlen(a->title),
		    VALID_TITLE_MAX);
	snprintf(f, sizeof(f), "%s.source_url", field);
	if (strlen(a->source_url) > VALID_URL_MAX)
		return call_fail(c, REASON(FIELD_OVER_LIMIT), f,
		    "source_url is %zu bytes; the limit is %d",
		    strlen(a->source_url), VALID_URL_MAX);
	snprintf(f, sizeof(f), "%s.metadata", field);
	if (a->n_metadata > VALID_META_MAX)
		return call_fail(c, REASON(FIELD_OVER_LIMIT), f,
		    "%zu metadata entries; the limit is %d", a->n_metadata,
		    VALID_META_MAX);
	for (size_t i = 0; i < a->n_metadata; i++) {
		const char *k = a->metadata[i]->key, *v = a->metadata[i]->value;
		if (k[0] == '\0' || strlen(k) > VALID_META_KEY_MAX ||
		    strlen(v) > VALID_META_VAL_MAX)
			return call_fail(c, REASON(FIELD_OVER_LIMIT), f,
			    "metadata key %s (value of %zu bytes): keys are "
			    "1-%d bytes, values at most %d",
			    valid_show(c, k), strlen(v), VALID_META_KEY_MAX,
			    VALID_META_VAL_MAX);
	}
	return STATUS_OK;
}

enum status
valid_article(struct call *c, const Gloss__V1__Article *a, const char *field)
{
	size_t n = strlen(a->text);
	char f[96];

	snprintf(f, sizeof(f), "%s.id", field);
	if (a->id[0] != '\0' && !valid_id(a->id))
		return call_fail(c, REASON(FIELD_INVALID), f,
		    "article id %s is not 1-%d of A-Z a-z 0-9 . _ - starting "
		    "with a letter or digit",
		    valid_show(c, a->id), VALID_ID_MAX);
	snprintf(f, sizeof(f), "%s.translation_of", field);
	if (a->translation_of[0] != '\0' && !valid_id(a->translation_of))
		return call_fail(c, REASON(FIELD_INVALID), f,
		    "translation_of %s is not an article id",
		    valid_show(c, a->translation_of));
	snprintf(f, sizeof(f), "%s.language", field);
	if (!valid_language(a->language))
		return call_fail(c, REASON(FIELD_INVALID), f,
		    "language %s is not a BCP 47 tag such as 'pt' or 'pt-BR'",
		    valid_show(c, a->language));
	snprintf(f, sizeof(f), "%s.text", field);
	if (n == 0)
		return call_fail(c, REASON(FIELD_REQUIRED), f,
		    "the article's text is empty");
	if (n > c->env->max_article_bytes)
		return call_fail(c, REASON(TEXT_TOO_LARGE), f,
		    "the text is %zu bytes; this glossd takes articles of at "
		    "most %zu bytes",
		    n, c->env->max_article_bytes);
	return valid_article_meta(c, a, field);
}

enum status
valid_record(struct call *c, const ProtobufCMessage *m, size_t limit,
    const char *field, const char *what, const char *hint)
{
	size_t n = protobuf_c_message_get_packed_size(m);

	if (n <= limit)
		return STATUS_OK;
	return call_fail(c, REASON(RECORD_TOO_LARGE), field,
	    "%s would be a record of %zu bytes; glossd keeps records of at "
	    "most %zu bytes, so that one reply can hold it: %s; nothing was "
	    "written",
	    what, n, limit, hint);
}

enum status
valid_filter(struct call *c, const char *value, bool (*test)(const char *),
    const char *field, const char *rule)
{
	if (value[0] == '\0' || test(value))
		return STATUS_OK;
	return call_fail(c, REASON(FIELD_INVALID), field, "%s %s is not %s",
	    field, valid_show(c, value), rule);
}
