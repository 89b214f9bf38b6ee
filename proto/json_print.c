/*
 * json_print: any protobuf-c message as proto3 JSON, through a sink (json.h
 * says what the mapping prints).  Walks the message by its descriptor;
 * writes nothing but through the sink and allocates nothing.
 */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "json_impl.h"

struct json_printer {
	const struct json_sink *out;
	unsigned flags;
};

static void json_message(const struct json_printer *p,
    const ProtobufCMessage *m, int depth);

static void
json_put(const struct json_printer *p, const char *s, size_t n)
{
	p->out->write(p->out->arg, s, n);
}

static void
json_puts(const struct json_printer *p, const char *s)
{
	json_put(p, s, strlen(s));
}

static void json_printf(const struct json_printer *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Numbers and short names only: what fits 64 bytes. */
static void
json_printf(const struct json_printer *p, const char *fmt, ...)
{
	char buf[64];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > 0)
		json_put(p, buf,
		    (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

/* With JSON_INDENT: a line break, and the indentation of `depth`. */
static void
json_newline(const struct json_printer *p, int depth)
{
	if (!(p->flags & JSON_INDENT))
		return;
	json_put(p, "\n", 1);
	for (int i = 0; i < depth; i++)
		json_put(p, "  ", 2);
}

/* The escape of the character at s[i] (of n bytes), or NULL if it is
 * written as it is; *len gets the bytes the escape stands for. */
static const char *
json_escape(const unsigned char *s, size_t i, size_t n, unsigned flags,
    char esc[8], size_t *len)
{
	*len = 1;
	switch (s[i]) {
	case '"':
		return "\\\"";
	case '\\':
		return "\\\\";
	case '\n':
		return "\\n";
	case '\r':
		return "\\r";
	case '\t':
		return "\\t";
	}
	if (s[i] < 0x20 || s[i] == 0x7f) {
		snprintf(esc, 8, "\\u%04x", s[i]);
		return esc;
	}
	if ((flags & JSON_ESCAPE_LS) && s[i] == 0xe2 && i + 2 < n &&
	    s[i + 1] == 0x80 && (s[i + 2] == 0xa8 || s[i + 2] == 0xa9)) {
		*len = 3;
		return s[i + 2] == 0xa8 ? "\\u2028" : "\\u2029";
	}
	return NULL;
}

void
json_print_string(const struct json_sink *out, const char *s, size_t n,
    unsigned flags)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t run = 0, len;
	char esc[8];
	const char *e;

	out->write(out->arg, "\"", 1);
	for (size_t i = 0; i < n; i++) {
		if ((e = json_escape(u, i, n, flags, esc, &len)) == NULL)
			continue;
		/* Runs of plain bytes go out whole: an article is long. */
		out->write(out->arg, s + run, i - run);
		out->write(out->arg, e, strlen(e));
		i += len - 1;
		run = i + 1;
	}
	out->write(out->arg, s + run, n - run);
	out->write(out->arg, "\"", 1);
}

/* "create_time_ms" -> "createTimeMs", quoted, with the colon. */
static void
json_key(const struct json_printer *p, const char *name)
{
	char buf[128];

	json_name(name, buf, sizeof(buf));
	json_put(p, "\"", 1);
	json_puts(p, buf);
	json_puts(p, p->flags & JSON_INDENT ? "\": " : "\":");
}

static void
json_base64(const struct json_printer *p, const ProtobufCBinaryData *b)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char quad[4];
	size_t i;

	json_put(p, "\"", 1);
	for (i = 0; i < b->len; i += 3) {
		size_t k = b->len - i < 3 ? b->len - i : 3;
		uint32_t v = (uint32_t)b->data[i] << 16;
		if (k > 1)
			v |= (uint32_t)b->data[i + 1] << 8;
		if (k > 2)
			v |= b->data[i + 2];
		quad[0] = tab[v >> 18];
		quad[1] = tab[(v >> 12) & 63];
		quad[2] = k > 1 ? tab[(v >> 6) & 63] : '=';
		quad[3] = k > 2 ? tab[v & 63] : '=';
		json_put(p, quad, 4);
	}
	json_put(p, "\"", 1);
}

/* The shortest decimal that reads back as the same value (0.1, not
 * 0.10000000000000001); NaN and the infinities as proto3 spells them. */
static void
json_double(const struct json_printer *p, double d, bool single)
{
	char buf[40];

	if (isnan(d)) {
		json_puts(p, "\"NaN\"");
		return;
	}
	if (isinf(d)) {
		json_puts(p, d > 0 ? "\"Infinity\"" : "\"-Infinity\"");
		return;
	}
	for (int prec = single ? 6 : 15; prec <= 17; prec++) {
		snprintf(buf, sizeof(buf), "%.*g", prec, d);
		if (single ? strtof(buf, NULL) == (float)d
		           : strtod(buf, NULL) == d)
			break;
	}
	json_puts(p, buf);
}

static void
json_enum(const struct json_printer *p, const ProtobufCFieldDescriptor *f,
    int v)
{
	const ProtobufCEnumValue *ev =
	    protobuf_c_enum_descriptor_get_value(f->descriptor, v);

	if (ev != NULL) {
		json_put(p, "\"", 1);
		json_puts(p, ev->name);
		json_put(p, "\"", 1);
	} else
		json_printf(p, "%d", v);
}

static void
json_integer(const struct json_printer *p, const ProtobufCFieldDescriptor *f,
    const void *v)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		json_printf(p, "%" PRIu32, *(const uint32_t *)v);
		break;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		json_printf(p, "\"%" PRId64 "\"", *(const int64_t *)v);
		break;
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		json_printf(p, "\"%" PRIu64 "\"", *(const uint64_t *)v);
		break;
	default: /* int32, sint32, sfixed32 */
		json_printf(p, "%" PRId32, *(const int32_t *)v);
		break;
	}
}

/* One value of field f stored at v. */
static void
json_value(const struct json_printer *p, const ProtobufCFieldDescriptor *f,
    const void *v, int depth)
{
	const char *s;

	switch (f->type) {
	case PROTOBUF_C_TYPE_FLOAT:
		json_double(p, *(const float *)v, true);
		break;
	case PROTOBUF_C_TYPE_DOUBLE:
		json_double(p, *(const double *)v, false);
		break;
	case PROTOBUF_C_TYPE_BOOL:
		json_puts(p, *(const protobuf_c_boolean *)v ? "true" : "false");
		break;
	case PROTOBUF_C_TYPE_ENUM:
		json_enum(p, f, *(const int *)v);
		break;
	case PROTOBUF_C_TYPE_STRING:
		s = *(char *const *)v;
		json_print_string(p->out, s ? s : "", s ? strlen(s) : 0,
		    p->flags);
		break;
	case PROTOBUF_C_TYPE_BYTES:
		json_base64(p, v);
		break;
	case PROTOBUF_C_TYPE_MESSAGE:
		if (*(ProtobufCMessage *const *)v == NULL)
			json_puts(p, "{}");
		else
			json_message(p, *(ProtobufCMessage *const *)v, depth);
		break;
	default:
		json_integer(p, f, v);
		break;
	}
}

size_t
json_type_size(const ProtobufCFieldDescriptor *f)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		return 8;
	case PROTOBUF_C_TYPE_DOUBLE:
		return sizeof(double);
	case PROTOBUF_C_TYPE_BOOL:
		return sizeof(protobuf_c_boolean);
	case PROTOBUF_C_TYPE_STRING:
		return sizeof(char *);
	case PROTOBUF_C_TYPE_BYTES:
		return sizeof(ProtobufCBinaryData);
	case PROTOBUF_C_TYPE_MESSAGE:
		return sizeof(ProtobufCMessage *);
	default:
		return 4;
	}
}

/* One map entry as "key":value; JSON keys are strings, whatever K is. */
static void
json_map_entry(const struct json_printer *p, const ProtobufCMessage *e,
    int depth)
{
	const ProtobufCFieldDescriptor *k = &e->descriptor->fields[0];
	const ProtobufCFieldDescriptor *v = &e->descriptor->fields[1];
	const char *base = (const char *)e;
	bool quote = k->type != PROTOBUF_C_TYPE_STRING;

	if (quote)
		json_put(p, "\"", 1);
	json_value(p, k, base + k->offset, depth);
	if (quote)
		json_put(p, "\"", 1);
	json_puts(p, p->flags & JSON_INDENT ? ": " : ":");
	json_value(p, v, base + v->offset, depth);
}

static void
json_repeated(const struct json_printer *p, const ProtobufCFieldDescriptor *f,
    const char *base, int depth)
{
	size_t n = *(const size_t *)(base + f->quantifier_offset);
	const char *arr = *(char *const *)(base + f->offset);
	bool map = json_is_map(f);
	size_t size = json_type_size(f);

	json_put(p, map ? "{" : "[", 1);
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			json_put(p, ",", 1);
		json_newline(p, depth + 1);
		if (map)
			json_map_entry(p,
			    ((ProtobufCMessage *const *)(const void *)arr)[i],
			    depth + 1);
		else
			json_value(p, f, arr + i * size, depth + 1);
	}
	json_newline(p, depth);
	json_put(p, map ? "}" : "]", 1);
}

/* Whether a singular field is present: set in its oneof, flagged by has_,
 * or (proto3) holding something other than its default. */
static bool
json_present(const ProtobufCFieldDescriptor *f, const char *base)
{
	static const char zero[8];
	const void *v = base + f->offset;

	if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
		return *(const uint32_t *)(base + f->quantifier_offset) ==
		       f->id;
	if (f->label == PROTOBUF_C_LABEL_OPTIONAL &&
	    f->quantifier_offset != 0 && f->type != PROTOBUF_C_TYPE_STRING &&
	    f->type != PROTOBUF_C_TYPE_MESSAGE)
		return *(
		    const protobuf_c_boolean *)(base + f->quantifier_offset);
	switch (f->type) {
	case PROTOBUF_C_TYPE_STRING:
		return *(char *const *)v != NULL && (*(char *const *)v)[0];
	case PROTOBUF_C_TYPE_BYTES:
		return ((const ProtobufCBinaryData *)v)->len > 0;
	case PROTOBUF_C_TYPE_MESSAGE:
		return *(void *const *)v != NULL;
	default:
		return memcmp(v, zero, json_type_size(f)) != 0;
	}
}

static void
json_message(const struct json_printer *p, const ProtobufCMessage *m, int depth)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;
	const char *base = (const char *)m;
	bool first = true;

	json_put(p, "{", 1);
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		bool repeated = f->label == PROTOBUF_C_LABEL_REPEATED;
		if (repeated
		        ? *(const size_t *)(base + f->quantifier_offset) == 0
		        : !json_present(f, base))
			continue;
		if (!first)
			json_put(p, ",", 1);
		first = false;
		json_newline(p, depth + 1);
		json_key(p, f->name);
		if (repeated)
			json_repeated(p, f, base, depth + 1);
		else
			json_value(p, f, base + f->offset, depth + 1);
	}
	if (!first)
		json_newline(p, depth);
	json_put(p, "}", 1);
}

void
json_print(const struct json_sink *out, const ProtobufCMessage *m,
    unsigned flags)
{
	struct json_printer p = { out, flags };

	json_message(&p, m, 0);
}

static void
json_file_write(void *arg, const void *p, size_t n)
{
	fwrite(p, 1, n, arg);
}

struct json_sink
json_file_sink(FILE *f)
{
	struct json_sink sink = { json_file_write, f };

	return sink;
}

int
json_fprint(FILE *f, const ProtobufCMessage *m, unsigned flags)
{
	struct json_sink sink = json_file_sink(f);

	json_print(&sink, m, flags);
	return ferror(f) ? -1 : 0;
}

/* ------------------------------------------------------------ names */

void
json_name(const char *name, char *out, size_t size)
{
	size_t n = 0;
	bool upper = false;

	for (; *name != '\0' && n + 1 < size; name++) {
		if (*name == '_') {
			upper = true;
			continue;
		}
		out[n++] = upper && *name >= 'a' && *name <= 'z'
		               ? (char)(*name - 'a' + 'A')
		               : *name;
		upper = false;
	}
	if (size > 0)
		out[n] = '\0';
}

bool
json_is_map(const ProtobufCFieldDescriptor *f)
{
	const ProtobufCMessageDescriptor *d = f->descriptor;
	size_t n;

	if (f->label != PROTOBUF_C_LABEL_REPEATED ||
	    f->type != PROTOBUF_C_TYPE_MESSAGE || d->n_fields != 2)
		return false;
	n = strlen(d->name);
	return n > 5 && strcmp(d->name + n - 5, "Entry") == 0 &&
	       strcmp(d->fields[0].name, "key") == 0 &&
	       strcmp(d->fields[1].name, "value") == 0 &&
	       d->fields[0].id == 1 && d->fields[1].id == 2;
}
