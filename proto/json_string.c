/*
 * json_string: JSON strings, decoded (escapes, surrogate pairs) and checked
 * (UTF-8, no NUL, no raw control character), for values and keys alike;
 * and json_clip(), by which every message quotes the text.
 */
#include <stdlib.h>
#include <string.h>

#include "json_impl.h"
#include "text.h"

static int
json_hex4(const char *p)
{
	int v = 0;

	for (int i = 0; i < 4; i++) {
		char ch = p[i];
		v <<= 4;
		if (ch >= '0' && ch <= '9')
			v |= ch - '0';
		else if (ch >= 'a' && ch <= 'f')
			v |= ch - 'a' + 10;
		else if (ch >= 'A' && ch <= 'F')
			v |= ch - 'A' + 10;
		else
			return -1;
	}
	return v;
}

static size_t
json_utf8(uint32_t cp, char *out)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | cp >> 12);
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | cp >> 18);
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* A \u escape at *p (past the backslash and the 'u'), a surrogate pair
 * taken whole; NUL and lone surrogates refused. */
static bool
json_unicode(struct json_parser *jp, const char **p, char *out, size_t *n)
{
	const char *at = *p - 2;
	int hi, lo;
	uint32_t cp;

	if (jp->end - *p < 4 || (hi = json_hex4(*p)) < 0)
		return json_fail_at(jp, at, "a bad \\u escape");
	*p += 4;
	cp = (uint32_t)hi;
	if (hi >= 0xdc00 && hi <= 0xdfff)
		return json_fail_at(jp, at, "a lone low surrogate \\u%04x", hi);
	if (hi >= 0xd800 && hi <= 0xdbff) {
		if (jp->end - *p < 6 || (*p)[0] != '\\' || (*p)[1] != 'u' ||
		    (lo = json_hex4(*p + 2)) < 0xdc00 || lo > 0xdfff)
			return json_fail_at(jp, at,
			    "a lone high surrogate \\u%04x", hi);
		*p += 6;
		cp = 0x10000 + (((uint32_t)hi - 0xd800) << 10) +
		     ((uint32_t)lo - 0xdc00);
	}
	if (cp == 0)
		return json_fail_at(jp, at,
		    "a NUL character (\\u0000) in a string");
	*n += json_utf8(cp, out + *n);
	return true;
}

/* Decodes the string body s[..] (its closing quote is at `close`) into
 * buf; *n gets its length.  A case per JSON escape: long, not deep. */
static bool
json_unescape(struct json_parser *jp, const char *s, const char *close,
    char *buf, size_t *n)
{
	while (s < close) {
		char ch = *s++;
		if (ch != '\\') {
			buf[(*n)++] = ch;
			continue;
		}
		switch (ch = *s++) {
		case '"':
		case '\\':
		case '/':
			buf[(*n)++] = ch;
			break;
		case 'b':
			buf[(*n)++] = '\b';
			break;
		case 'f':
			buf[(*n)++] = '\f';
			break;
		case 'n':
			buf[(*n)++] = '\n';
			break;
		case 'r':
			buf[(*n)++] = '\r';
			break;
		case 't':
			buf[(*n)++] = '\t';
			break;
		case 'u':
			if (!json_unicode(jp, &s, buf, n))
				return false;
			break;
		default:
			return json_fail_at(jp, s - 2, "a bad escape \\%c",
			    ch >= 0x20 && ch < 0x7f ? ch : '?');
		}
	}
	return true;
}

/* Where the string starting at s (past its opening quote) ends, and
 * whether it has escapes; NULL (failed) if it does not end or holds a
 * control character. */
static const char *
json_string_end(struct json_parser *jp, const char *s, bool *escaped)
{
	const char *p;

	for (p = s; p < jp->end && *p != '"'; p++) {
		if ((unsigned char)*p < 0x20) {
			json_fail_at(jp, p,
			    "a control character (U+%04X) in a string: write "
			    "it as an escape",
			    (unsigned)(unsigned char)*p);
			return NULL;
		}
		if (*p == '\\') {
			*escaped = true;
			p++;
		}
	}
	if (p >= jp->end) {
		json_fail_at(jp, s - 1, "a string does not end");
		return NULL;
	}
	return p;
}

/*
 * Escapes never make a string longer than its source, so the scratch
 * buffer is the source's size; the caller's allocator then gets only what
 * the string needs (a line of an 896 KiB article whose every byte is
 * escaped as \uXXXX is over 5 MiB).
 */
bool
json_string_view(struct json_parser *jp, const char **out, size_t *n,
    char **scratch)
{
	const char *start, *close;
	bool escaped = false;
	size_t bad;

	*scratch = NULL;
	if (!json_eat(jp, '"'))
		return json_fail_at(jp, jp->s, "a string was expected");
	start = jp->s;
	if ((close = json_string_end(jp, start, &escaped)) == NULL)
		return false;
	*out = start;
	*n = (size_t)(close - start);
	if (escaped) {
		if ((*scratch = malloc(*n + 1)) == NULL)
			return json_fail_at(jp, start, "out of memory");
		*n = 0;
		if (!json_unescape(jp, start, close, *scratch, n))
			goto fail;
		*out = *scratch;
	}
	if (!text_utf8_check(*out, *n, &bad)) {
		json_fail_at(jp, escaped ? start - 1 : start + bad,
		    "a string that is not UTF-8 (at byte %zu of it)", bad);
		goto fail;
	}
	jp->s = close + 1;
	return true;
fail: /* the caller frees *scratch only when the string was read */
	free(*scratch);
	*scratch = NULL;
	return false;
}

bool
json_string(struct json_parser *jp, char **out)
{
	const char *s;
	char *scratch, *copy;
	size_t n;
	bool ok = false;

	if (!json_string_view(jp, &s, &n, &scratch))
		goto done;
	if ((copy = json_alloc(jp, n + 1)) == NULL)
		goto done;
	memcpy(copy, s, n);
	copy[n] = '\0';
	*out = copy;
	ok = true;
done:
	free(scratch);
	return ok;
}

int
json_clip(const char *s, size_t n, size_t max)
{
	size_t bad;

	/* Only valid UTF-8 is quoted; anything else by its length alone. */
	if (!text_utf8_check(s, n, &bad))
		return 0;
	return (int)text_clip(s, n, max);
}
