/*
 * json_scalar: the values of proto3 JSON that are neither objects nor
 * strings: numbers (in JSON numbers or in strings, as proto3 writes 64-bit
 * ones), enums, booleans and base64 bytes, each checked against its
 * field's type and range.  Strings are json_string.c's, the structure
 * around them json_parse.c's.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "json_impl.h"

/* Whether s[0..n) is a JSON number (RFC 8259: -?int frac? exp?). */
static bool
json_is_number(const char *s, size_t n)
{
	size_t i = 0, d;

	if (i < n && s[i] == '-')
		i++;
	for (d = i; i < n && s[i] >= '0' && s[i] <= '9'; i++)
		;
	if (i == d || (s[d] == '0' && i - d > 1))
		return false;
	if (i < n && s[i] == '.') {
		for (d = ++i; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			;
		if (i == d)
			return false;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		if (++i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		for (d = i; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			;
		if (i == d)
			return false;
	}
	return i == n;
}

/*
 * A number's text at jp->s into buf (NUL-terminated): a JSON number, or a
 * string, as proto3 writes 64-bit integers (and "NaN", "Infinity").  *at
 * gets where it starts; *quoted whether it was a string.
 */
static bool
json_number_text(struct json_parser *jp, char *buf, size_t size,
    const char **at, bool *quoted)
{
	const char *s;
	char *scratch;
	size_t n;
	bool ok;

	json_ws(jp);
	*at = jp->s;
	*quoted = jp->s < jp->end && *jp->s == '"';
	if (*quoted) {
		if (!json_string_view(jp, &s, &n, &scratch))
			return false;
		ok = n < size;
		if (ok)
			memcpy(buf, s, n);
		free(scratch);
	} else {
		for (n = 0; jp->s + n < jp->end &&
		            strchr("+-0123456789.eE", jp->s[n]) != NULL &&
		            jp->s[n] != '\0';
		     n++)
			;
		ok = n > 0 && n < size;
		if (ok)
			memcpy(buf, jp->s, n);
		jp->s += n;
	}
	if (!ok)
		return json_fail_at(jp, *at,
		    n == 0 ? "a number was expected" : "a number too long");
	buf[n] = '\0';
	return true;
}

static bool
json_signed(const ProtobufCFieldDescriptor *f)
{
	return f->type != PROTOBUF_C_TYPE_UINT32 &&
	       f->type != PROTOBUF_C_TYPE_FIXED32 &&
	       f->type != PROTOBUF_C_TYPE_UINT64 &&
	       f->type != PROTOBUF_C_TYPE_FIXED64;
}

/* An integer from its text: digits, or (proto3 allows it) any number
 * whose value is a whole one, such as 1e3 or 2.0. */
static bool
json_int_value(const char *t, bool sign, long double *v)
{
	char *end;

	errno = 0;
	if (strpbrk(t, ".eE") == NULL) {
		if (sign || t[0] == '-')
			*v = (long double)strtoll(t, &end, 10);
		else
			*v = (long double)strtoull(t, &end, 10);
		return errno == 0;
	}
	*v = strtold(t, &end);
	return errno == 0 && isfinite(*v) && *v == floorl(*v);
}

static bool
json_int_store(const ProtobufCFieldDescriptor *f, const char *t, void *dst)
{
	bool sign = json_signed(f), wide = json_type_size(f) == 8;
	long double v;

	if (!json_int_value(t, sign, &v))
		return false;
	if (!sign && v < 0)
		return false;
	if (!wide && (sign ? v < INT32_MIN || v > INT32_MAX : v > UINT32_MAX))
		return false;
	if (wide && (sign ? v < -0x1p63L || v >= 0x1p63L : v >= 0x1p64L))
		return false;
	if (wide && sign)
		*(int64_t *)dst =
		    strpbrk(t, ".eE") ? (int64_t)v : strtoll(t, NULL, 10);
	else if (wide)
		*(uint64_t *)dst =
		    strpbrk(t, ".eE") ? (uint64_t)v : strtoull(t, NULL, 10);
	else if (sign)
		*(int32_t *)dst = (int32_t)v;
	else
		*(uint32_t *)dst = (uint32_t)v;
	return true;
}

static const char *
json_int_type(const ProtobufCFieldDescriptor *f)
{
	bool wide = json_type_size(f) == 8;

	if (json_signed(f))
		return wide ? "a signed 64-bit integer"
		            : "a signed 32-bit integer";
	return wide ? "an unsigned 64-bit integer"
	            : "an unsigned 32-bit integer";
}

static bool
json_integer(struct json_parser *jp, const ProtobufCFieldDescriptor *f,
    void *dst)
{
	char buf[64];
	const char *at;
	bool quoted;

	if (!json_number_text(jp, buf, sizeof(buf), &at, &quoted))
		return false;
	if (!json_is_number(buf, strlen(buf)) || !json_int_store(f, buf, dst))
		return json_fail_at(jp, at, "'%.*s' is not %s",
		    json_clip(buf, strlen(buf), 40), buf, json_int_type(f));
	return true;
}

bool
json_map_key(struct json_parser *jp, const ProtobufCFieldDescriptor *k,
    const char *s, size_t n, const char *at, void *dst)
{
	char buf[64];

	if (k->type == PROTOBUF_C_TYPE_BOOL) {
		if (n == 4 && memcmp(s, "true", 4) == 0)
			*(protobuf_c_boolean *)dst = 1;
		else if (!(n == 5 && memcmp(s, "false", 5) == 0))
			return json_fail_at(jp, at,
			    "a map key \"true\" or \"false\" was expected");
		return true;
	}
	if (n < sizeof(buf)) {
		memcpy(buf, s, n);
		buf[n] = '\0';
		if (json_is_number(buf, n) && json_int_store(k, buf, dst))
			return true;
	}
	return json_fail_at(jp, at, "a map key '%.*s' is not %s",
	    json_clip(s, n, 40), s, json_int_type(k));
}

static bool
json_float(struct json_parser *jp, const ProtobufCFieldDescriptor *f, void *dst)
{
	char buf[64];
	const char *at;
	bool quoted;
	double v;

	if (!json_number_text(jp, buf, sizeof(buf), &at, &quoted))
		return false;
	if (quoted && strcmp(buf, "NaN") == 0)
		v = NAN;
	else if (quoted && strcmp(buf, "Infinity") == 0)
		v = INFINITY;
	else if (quoted && strcmp(buf, "-Infinity") == 0)
		v = -INFINITY;
	else if (!json_is_number(buf, strlen(buf)) ||
	         !isfinite(v = strtod(buf, NULL)) ||
	         (f->type == PROTOBUF_C_TYPE_FLOAT && !isfinite((float)v)))
		return json_fail_at(jp, at, "'%.*s' is not a %s",
		    json_clip(buf, strlen(buf), 40), buf,
		    f->type == PROTOBUF_C_TYPE_FLOAT ? "float" : "double");
	if (f->type == PROTOBUF_C_TYPE_FLOAT)
		*(float *)dst = (float)v;
	else
		*(double *)dst = v;
	return true;
}

/* The names of enum e, as a list for a message ("A, B or C"). */
static void
json_enum_names(const ProtobufCEnumDescriptor *e, char *buf, size_t size)
{
	size_t n = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < e->n_values && n + 1 < size; i++) {
		int k = snprintf(buf + n, size - n, "%s%s",
		    i == 0                 ? ""
		    : i + 1 == e->n_values ? " or "
		                           : ", ",
		    e->values[i].name);
		n += k > 0 ? (size_t)k : 0;
	}
}

static bool
json_enum(struct json_parser *jp, const ProtobufCFieldDescriptor *f, int *dst)
{
	const ProtobufCEnumDescriptor *e = f->descriptor;
	const ProtobufCEnumValue *ev;
	const char *s, *at;
	char *scratch, names[240];
	size_t n;
	bool ok;

	json_ws(jp);
	at = jp->s;
	if (jp->s < jp->end && *jp->s != '"') {
		static const ProtobufCFieldDescriptor i32 = { .name = "enum",
			.type = PROTOBUF_C_TYPE_INT32 };
		return json_integer(jp, &i32, dst);
	}
	if (!json_string_view(jp, &s, &n, &scratch))
		return false;
	ev = NULL;
	for (unsigned i = 0; i < e->n_values && ev == NULL; i++)
		if (strlen(e->values[i].name) == n &&
		    memcmp(e->values[i].name, s, n) == 0)
			ev = &e->values[i];
	if ((ok = ev != NULL))
		*dst = ev->value;
	else {
		json_enum_names(e, names, sizeof(names));
		json_fail_at(jp, at, "'%.*s' is not a value of %s: %s",
		    json_clip(s, n, 40), s, e->name, names);
	}
	free(scratch);
	return ok;
}

static int
json_base64_digit(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || c == '-')
		return 62;
	if (c == '/' || c == '_')
		return 63;
	return -1;
}

/* Base64 s[0..n) into out (n * 3 / 4 bytes at most): standard or URL
 * alphabet, padded or not (proto3 reads all four).  -1 if it is not. */
static long
json_base64(const char *s, size_t n, uint8_t *out)
{
	size_t len = 0, k = 0;
	uint32_t acc = 0;

	while (n > 0 && s[n - 1] == '=')
		n--;
	for (size_t i = 0; i < n; i++) {
		int d = json_base64_digit(s[i]);
		if (d < 0)
			return -1;
		acc = acc << 6 | (uint32_t)d;
		if (++k == 4) {
			out[len++] = (uint8_t)(acc >> 16);
			out[len++] = (uint8_t)(acc >> 8);
			out[len++] = (uint8_t)acc;
			acc = 0;
			k = 0;
		}
	}
	if (k == 1)
		return -1;
	if (k >= 2)
		out[len++] = (uint8_t)(acc >> (k == 2 ? 4 : 10));
	if (k == 3)
		out[len++] = (uint8_t)(acc >> 2);
	return (long)len;
}

static bool
json_bytes(struct json_parser *jp, ProtobufCBinaryData *dst)
{
	const char *s, *at;
	char *scratch;
	uint8_t *data;
	size_t n;
	long len = -1;

	json_ws(jp);
	at = jp->s;
	if (!json_string_view(jp, &s, &n, &scratch))
		return false;
	if ((data = json_alloc(jp, n * 3 / 4 + 1)) != NULL &&
	    (len = json_base64(s, n, data)) < 0) {
		json_free(jp, data);
		json_fail_at(jp, at, "bytes were expected in base64");
	}
	free(scratch);
	if (len < 0)
		return false;
	dst->data = data;
	dst->len = (size_t)len;
	return true;
}

static bool
json_bool(struct json_parser *jp, protobuf_c_boolean *dst)
{
	json_ws(jp);
	if (jp->end - jp->s >= 4 && memcmp(jp->s, "true", 4) == 0) {
		jp->s += 4;
		*dst = 1;
		return true;
	}
	if (jp->end - jp->s >= 5 && memcmp(jp->s, "false", 5) == 0) {
		jp->s += 5;
		*dst = 0;
		return true;
	}
	return json_fail_at(jp, jp->s, "true or false was expected");
}

bool
json_scalar(struct json_parser *jp, const ProtobufCFieldDescriptor *f,
    void *dst)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_STRING:
		return json_string(jp, (char **)dst);
	case PROTOBUF_C_TYPE_BYTES:
		return json_bytes(jp, dst);
	case PROTOBUF_C_TYPE_BOOL:
		return json_bool(jp, dst);
	case PROTOBUF_C_TYPE_ENUM:
		return json_enum(jp, f, dst);
	case PROTOBUF_C_TYPE_FLOAT:
	case PROTOBUF_C_TYPE_DOUBLE:
		return json_float(jp, f, dst);
	case PROTOBUF_C_TYPE_MESSAGE:
		return json_fail_at(jp, jp->s, "an object was expected");
	default:
		return json_integer(jp, f, dst);
	}
}
