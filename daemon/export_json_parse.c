/*
 * export_json_parse: one line of JSON in proto3's JSON mapping into a
 * protobuf-c message, driven by its descriptor, in the call's arena: what
 * ImportRecords reads (export_json.c prints it).  Refuses what proto3's
 * mapping does not allow, with a sentence that says where.  Pure.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export.h"
#include "text.h"

#define JSON_DEPTH_MAX 16

struct json_parser {
	struct call *call;
	const char *s, *end;
	int depth;
	char *why;
	size_t whylen;
	bool failed;
};

static bool json_fail(struct json_parser *jp, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static bool
json_fail(struct json_parser *jp, const char *fmt, ...)
{
	va_list ap;

	char why[1024];
	size_t n;

	if (jp->failed)
		return false;
	jp->failed = true;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	n = text_clip(why, strlen(why), jp->whylen - 1);
	memcpy(jp->why, why, n);
	jp->why[n] = '\0';
	return false;
}

static void
json_ws(struct json_parser *jp)
{
	while (jp->s < jp->end && (*jp->s == ' ' || *jp->s == '\t' ||
	                              *jp->s == '\n' || *jp->s == '\r'))
		jp->s++;
}

static bool
json_eat(struct json_parser *jp, char ch)
{
	json_ws(jp);
	if (jp->s < jp->end && *jp->s == ch) {
		jp->s++;
		return true;
	}
	return false;
}

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

/* A \u escape at jp->s (past the backslash and 'u'), a surrogate pair
 * taken whole; NUL and lone surrogates refused. */
static bool
json_unicode(struct json_parser *jp, char *out, size_t *n)
{
	int hi, lo;
	uint32_t cp;

	if (jp->end - jp->s < 4 || (hi = json_hex4(jp->s)) < 0)
		return json_fail(jp, "a bad \\u escape");
	jp->s += 4;
	cp = (uint32_t)hi;
	if (hi >= 0xdc00 && hi <= 0xdfff)
		return json_fail(jp, "a lone low surrogate \\u%04x", hi);
	if (hi >= 0xd800 && hi <= 0xdbff) {
		if (jp->end - jp->s < 6 || jp->s[0] != '\\' ||
		    jp->s[1] != 'u' || (lo = json_hex4(jp->s + 2)) < 0xdc00 ||
		    lo > 0xdfff)
			return json_fail(jp, "a lone high surrogate \\u%04x",
			    hi);
		jp->s += 6;
		cp = 0x10000 + (((uint32_t)hi - 0xd800) << 10) +
		     ((uint32_t)lo - 0xdc00);
	}
	if (cp == 0)
		return json_fail(jp, "a NUL character (\\u0000) in a string");
	*n += json_utf8(cp, out + *n);
	return true;
}

/* Decodes the string body at jp->s (its closing quote is there) into buf;
 * *n gets its length.  A case per JSON escape: long, not deep. */
static bool
json_unescape(struct json_parser *jp, char *buf, size_t *n)
{
	while (*jp->s != '"') {
		char ch = *jp->s++;
		if ((unsigned char)ch < 0x20)
			return json_fail(jp, "a control character in a string");
		if (ch != '\\') {
			buf[(*n)++] = ch;
			continue;
		}
		ch = *jp->s++;
		switch (ch) {
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
			if (!json_unicode(jp, buf, n))
				return false;
			break;
		default:
			return json_fail(jp, "a bad escape \\%c", ch);
		}
	}
	return true;
}

/*
 * A string at jp->s, decoded into the arena.  It is decoded into a scratch
 * buffer first: escapes never make a string longer than its source, but
 * \uXXXX makes the source up to six times longer, and the arena gets only
 * what the string needs (a line of an 896 KiB article whose every byte is
 * escaped is over 5 MiB).
 */
static bool
json_string(struct json_parser *jp, char **out)
{
	const char *p;
	char *tmp;
	size_t n = 0;
	bool ok;

	if (!json_eat(jp, '"'))
		return json_fail(jp, "a string was expected");
	for (p = jp->s; p < jp->end && *p != '"'; p++)
		if (*p == '\\')
			p++;
	if (p >= jp->end)
		return json_fail(jp, "a string does not end");
	if ((tmp = malloc((size_t)(p - jp->s) + 1)) == NULL)
		return json_fail(jp, "out of memory");
	ok = json_unescape(jp, tmp, &n);
	if (ok && (*out = call_strndup(jp->call, tmp, n)) == NULL)
		ok = json_fail(jp, "out of memory");
	free(tmp);
	if (ok)
		jp->s++;
	return ok;
}

/* A number, or a number in a string (proto3 writes 64-bit ones so). */
static bool
json_number(struct json_parser *jp, char *buf, size_t size)
{
	const char *s;
	char *str;
	size_t n;

	json_ws(jp);
	if (jp->s < jp->end && *jp->s == '"') {
		if (!json_string(jp, &str))
			return false;
		s = str;
		n = strlen(s);
	} else {
		s = jp->s;
		for (n = 0; jp->s + n < jp->end &&
		            strchr("+-0123456789.eE", jp->s[n]) != NULL &&
		            jp->s[n] != '\0';
		     n++)
			;
		jp->s += n;
	}
	if (n == 0 || n >= size)
		return json_fail(jp, "a number was expected");
	memcpy(buf, s, n);
	buf[n] = '\0';
	return true;
}

static bool
json_integer(struct json_parser *jp, const ProtobufCFieldDescriptor *f,
    void *dst)
{
	char buf[40], *end;
	bool sign = f->type != PROTOBUF_C_TYPE_UINT32 &&
	            f->type != PROTOBUF_C_TYPE_FIXED32 &&
	            f->type != PROTOBUF_C_TYPE_UINT64 &&
	            f->type != PROTOBUF_C_TYPE_FIXED64;
	bool wide = export_json_type_size(f) == 8;
	long long sv = 0;
	unsigned long long uv = 0;

	if (!json_number(jp, buf, sizeof(buf)))
		return false;
	errno = 0;
	if (sign)
		sv = strtoll(buf, &end, 10);
	else if (buf[0] != '-')
		uv = strtoull(buf, &end, 10);
	else
		end = buf;
	if (errno != 0 || *end != '\0' ||
	    (!wide &&
	        (sign ? sv < INT32_MIN || sv > INT32_MAX : uv > UINT32_MAX)))
		return json_fail(jp, "'%s' is not a valid %s for field %s", buf,
		    sign ? "signed integer" : "unsigned integer", f->name);
	if (wide && sign)
		*(int64_t *)dst = sv;
	else if (wide)
		*(uint64_t *)dst = uv;
	else if (sign)
		*(int32_t *)dst = (int32_t)sv;
	else
		*(uint32_t *)dst = (uint32_t)uv;
	return true;
}

static bool json_message(struct json_parser *jp,
    const ProtobufCMessageDescriptor *d, ProtobufCMessage **out);

static bool
json_enum(struct json_parser *jp, const ProtobufCFieldDescriptor *f, int *dst)
{
	const ProtobufCEnumValue *ev;
	char *name, buf[16];

	json_ws(jp);
	if (jp->s < jp->end && *jp->s != '"') {
		if (!json_number(jp, buf, sizeof(buf)))
			return false;
		*dst = atoi(buf);
		return true;
	}
	if (!json_string(jp, &name))
		return false;
	ev = protobuf_c_enum_descriptor_get_value_by_name(f->descriptor, name);
	if (ev == NULL)
		return json_fail(jp, "'%.*s' is not a value of %s",
		    (int)text_clip(name, strlen(name), 40), name,
		    ((const ProtobufCEnumDescriptor *)f->descriptor)->name);
	*dst = ev->value;
	return true;
}

/* One value of field f into dst. */
static bool
json_value(struct json_parser *jp, const ProtobufCFieldDescriptor *f, void *dst)
{
	char buf[64];

	switch (f->type) {
	case PROTOBUF_C_TYPE_STRING:
		return json_string(jp, (char **)dst);
	case PROTOBUF_C_TYPE_BOOL:
		json_ws(jp);
		if (jp->end - jp->s >= 4 && memcmp(jp->s, "true", 4) == 0) {
			jp->s += 4;
			*(protobuf_c_boolean *)dst = 1;
			return true;
		}
		if (jp->end - jp->s >= 5 && memcmp(jp->s, "false", 5) == 0) {
			jp->s += 5;
			*(protobuf_c_boolean *)dst = 0;
			return true;
		}
		return json_fail(jp, "true or false was expected for %s",
		    f->name);
	case PROTOBUF_C_TYPE_ENUM:
		return json_enum(jp, f, dst);
	case PROTOBUF_C_TYPE_MESSAGE:
		return json_message(jp, f->descriptor, dst);
	case PROTOBUF_C_TYPE_FLOAT:
	case PROTOBUF_C_TYPE_DOUBLE:
		if (!json_number(jp, buf, sizeof(buf)))
			return false;
		if (f->type == PROTOBUF_C_TYPE_FLOAT)
			*(float *)dst = strtof(buf, NULL);
		else
			*(double *)dst = strtod(buf, NULL);
		return true;
	case PROTOBUF_C_TYPE_BYTES:
		return json_fail(jp, "bytes fields are not read");
	default:
		return json_integer(jp, f, dst);
	}
}

/* Appends one element of size `size` to a growing arena array. */
static void *
json_push(struct json_parser *jp, void **arr, size_t *n, size_t *max,
    size_t size)
{
	char *grown;

	if (*n == *max) {
		*max = *max ? 2 * *max : 8;
		if ((grown = call_alloc(jp->call, *max * size)) == NULL) {
			json_fail(jp, "out of memory");
			return NULL;
		}
		if (*n > 0)
			memcpy(grown, *arr, *n * size);
		*arr = grown;
	}
	return (char *)*arr + (*n)++ * size;
}

static bool
json_map(struct json_parser *jp, const ProtobufCFieldDescriptor *f, void **arr,
    size_t *n)
{
	const ProtobufCMessageDescriptor *d = f->descriptor;
	size_t max = 0;
	ProtobufCMessage *e, **slot;

	if (!json_eat(jp, '{'))
		return json_fail(jp, "an object was expected for %s", f->name);
	if (json_eat(jp, '}'))
		return true;
	do {
		if ((e = call_alloc(jp->call, d->sizeof_message)) == NULL)
			return json_fail(jp, "out of memory");
		protobuf_c_message_init(d, e);
		if (!json_string(jp,
		        (char **)((char *)e + d->fields[0].offset)) ||
		    !json_eat(jp, ':') ||
		    !json_value(jp, &d->fields[1],
		        (char *)e + d->fields[1].offset))
			return json_fail(jp, "a bad entry in map %s", f->name);
		if ((slot = json_push(jp, arr, n, &max, sizeof(e))) == NULL)
			return false;
		*slot = e;
	} while (json_eat(jp, ','));
	return json_eat(jp, '}') ||
	       json_fail(jp, "a map does not end in %s", f->name);
}

static bool
json_repeated(struct json_parser *jp, const ProtobufCFieldDescriptor *f,
    char *base)
{
	void **arr = (void **)(base + f->offset);
	size_t *n = (size_t *)(base + f->quantifier_offset);
	size_t size = export_json_type_size(f), max = 0;
	void *slot;

	*n = 0;
	*arr = NULL;
	if (export_json_is_map(f))
		return json_map(jp, f, arr, n);
	if (!json_eat(jp, '['))
		return json_fail(jp, "an array was expected for %s", f->name);
	if (json_eat(jp, ']'))
		return true;
	do {
		if ((slot = json_push(jp, arr, n, &max, size)) == NULL ||
		    !json_value(jp, f, slot))
			return false;
	} while (json_eat(jp, ','));
	return json_eat(jp, ']') ||
	       json_fail(jp, "an array does not end in %s", f->name);
}

/* Whether JSON key k names field f (lowerCamelCase or the proto name). */
static bool
json_key_is(const char *k, const char *name)
{
	bool upper = false;

	if (strcmp(k, name) == 0)
		return true;
	for (; *name != '\0'; name++) {
		if (*name == '_') {
			upper = true;
			continue;
		}
		char want = upper && *name >= 'a' && *name <= 'z'
		                ? (char)(*name - 32)
		                : *name;
		upper = false;
		if (*k++ != want)
			return false;
	}
	return *k == '\0';
}

static const ProtobufCFieldDescriptor *
json_field(const ProtobufCMessageDescriptor *d, const char *k)
{
	for (unsigned i = 0; i < d->n_fields; i++)
		if (json_key_is(k, d->fields[i].name))
			return &d->fields[i];
	return NULL;
}

static bool
json_member(struct json_parser *jp, const ProtobufCMessageDescriptor *d,
    char *base)
{
	const ProtobufCFieldDescriptor *f;
	char *key;

	if (!json_string(jp, &key) || !json_eat(jp, ':'))
		return json_fail(jp, "a \"name\": value pair was expected");
	if ((f = json_field(d, key)) == NULL)
		return json_fail(jp, "%s has no field '%.*s'", d->name,
		    (int)text_clip(key, strlen(key), 60), key);
	json_ws(jp);
	if (jp->end - jp->s >= 4 && memcmp(jp->s, "null", 4) == 0) {
		jp->s += 4;
		return true;
	}
	if (f->label == PROTOBUF_C_LABEL_REPEATED)
		return json_repeated(jp, f, base);
	if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
		*(uint32_t *)(base + f->quantifier_offset) = f->id;
	else if (f->label == PROTOBUF_C_LABEL_OPTIONAL &&
	         f->quantifier_offset != 0 &&
	         f->type != PROTOBUF_C_TYPE_STRING &&
	         f->type != PROTOBUF_C_TYPE_MESSAGE)
		*(protobuf_c_boolean *)(base + f->quantifier_offset) = 1;
	return json_value(jp, f, base + f->offset);
}

static bool
json_message(struct json_parser *jp, const ProtobufCMessageDescriptor *d,
    ProtobufCMessage **out)
{
	ProtobufCMessage *m;

	if (++jp->depth > JSON_DEPTH_MAX)
		return json_fail(jp, "nested deeper than %d", JSON_DEPTH_MAX);
	if (!json_eat(jp, '{'))
		return json_fail(jp, "an object was expected for %s", d->name);
	if ((m = call_alloc(jp->call, d->sizeof_message)) == NULL)
		return json_fail(jp, "out of memory");
	protobuf_c_message_init(d, m);
	if (!json_eat(jp, '}')) {
		do {
			if (!json_member(jp, d, (char *)m))
				return false;
		} while (json_eat(jp, ','));
		if (!json_eat(jp, '}'))
			return json_fail(jp, "an object of %s does not end",
			    d->name);
	}
	jp->depth--;
	*out = m;
	return true;
}

ProtobufCMessage *
export_json_parse(struct call *c, const ProtobufCMessageDescriptor *d,
    const char *s, size_t n, char *why, size_t whylen)
{
	struct json_parser jp = { c, s, s + n, 0, why, whylen, false };
	ProtobufCMessage *m;

	if (!json_message(&jp, d, &m))
		return NULL;
	json_ws(&jp);
	if (jp.s != jp.end) {
		json_fail(&jp, "text follows the JSON object");
		return NULL;
	}
	return m;
}
