/* json: a walk over a protobuf-c message by its descriptor, printing the
 * proto3 JSON mapping.  Reads the message, writes only to `out`. */
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <string.h>

#include "json.h"

static int json_message(FILE *out, const ProtobufCMessage *m);

int
json_print_string(FILE *out, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;

	fputc('"', out);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = p[i];
		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", out);
		else if (c == '\r')
			fputs("\\r", out);
		else if (c == '\t')
			fputs("\\t", out);
		else if (c < 0x20 || c == 0x7f)
			fprintf(out, "\\u00%c%c", hex[c >> 4], hex[c & 15]);
		else if (c == 0xe2 && i + 2 < n && p[i + 1] == 0x80 &&
		         (p[i + 2] == 0xa8 || p[i + 2] == 0xa9)) {
			/* U+2028/9 end lines in JavaScript: escape them. */
			fprintf(out, "\\u202%c", p[i + 2] == 0xa8 ? '8' : '9');
			i += 2;
		} else
			fputc(c, out);
	}
	return fputc('"', out) == EOF ? -1 : 0;
}

/* "create_time_ms" -> "createTimeMs" */
static void
json_name(FILE *out, const char *name)
{
	bool upper = false;

	fputc('"', out);
	for (; *name != '\0'; name++) {
		if (*name == '_') {
			upper = true;
			continue;
		}
		fputc(upper && *name >= 'a' && *name <= 'z' ? *name - 32
		                                            : *name,
		    out);
		upper = false;
	}
	fputs("\":", out);
}

static void
json_base64(FILE *out, const ProtobufCBinaryData *b)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i;

	fputc('"', out);
	for (i = 0; i + 2 < b->len; i += 3) {
		uint32_t v = (uint32_t)b->data[i] << 16 |
		             (uint32_t)b->data[i + 1] << 8 | b->data[i + 2];
		fprintf(out, "%c%c%c%c", tab[v >> 18], tab[(v >> 12) & 63],
		    tab[(v >> 6) & 63], tab[v & 63]);
	}
	if (b->len - i == 1) {
		uint32_t v = (uint32_t)b->data[i] << 16;
		fprintf(out, "%c%c==", tab[v >> 18], tab[(v >> 12) & 63]);
	} else if (b->len - i == 2) {
		uint32_t v =
		    (uint32_t)b->data[i] << 16 | (uint32_t)b->data[i + 1] << 8;
		fprintf(out, "%c%c%c=", tab[v >> 18], tab[(v >> 12) & 63],
		    tab[(v >> 6) & 63]);
	}
	fputc('"', out);
}

static void
json_double(FILE *out, double d)
{
	if (isnan(d))
		fputs("\"NaN\"", out);
	else if (isinf(d))
		fputs(d > 0 ? "\"Infinity\"" : "\"-Infinity\"", out);
	else
		fprintf(out, "%.17g", d);
}

static void
json_enum(FILE *out, const ProtobufCFieldDescriptor *f, int v)
{
	const ProtobufCEnumValue *ev =
	    protobuf_c_enum_descriptor_get_value(f->descriptor, v);

	if (ev != NULL)
		fprintf(out, "\"%s\"", ev->name);
	else
		fprintf(out, "%d", v);
}

/* One value of field f stored at p. */
static int
json_value(FILE *out, const ProtobufCFieldDescriptor *f, const void *p)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
		fprintf(out, "%" PRId32, *(const int32_t *)p);
		break;
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		fprintf(out, "%" PRIu32, *(const uint32_t *)p);
		break;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		fprintf(out, "\"%" PRId64 "\"", *(const int64_t *)p);
		break;
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		fprintf(out, "\"%" PRIu64 "\"", *(const uint64_t *)p);
		break;
	case PROTOBUF_C_TYPE_FLOAT:
		json_double(out, *(const float *)p);
		break;
	case PROTOBUF_C_TYPE_DOUBLE:
		json_double(out, *(const double *)p);
		break;
	case PROTOBUF_C_TYPE_BOOL:
		fputs(*(const protobuf_c_boolean *)p ? "true" : "false", out);
		break;
	case PROTOBUF_C_TYPE_ENUM:
		json_enum(out, f, *(const int *)p);
		break;
	case PROTOBUF_C_TYPE_STRING: {
		const char *s = *(char *const *)p;
		return json_print_string(out, s ? s : "", s ? strlen(s) : 0);
	}
	case PROTOBUF_C_TYPE_BYTES:
		json_base64(out, p);
		break;
	case PROTOBUF_C_TYPE_MESSAGE:
		if (*(ProtobufCMessage *const *)p == NULL)
			return fputs("{}", out) == EOF ? -1 : 0;
		return json_message(out, *(ProtobufCMessage *const *)p);
	}
	return ferror(out) ? -1 : 0;
}

static size_t
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

/* A map<K,V> is a repeated message named ...Entry with key 1 and value 2. */
static bool
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
	       strcmp(d->fields[1].name, "value") == 0;
}

/* One map entry as "key":value; JSON keys are strings, whatever K is. */
static int
json_map_entry(FILE *out, const ProtobufCMessage *e)
{
	const ProtobufCFieldDescriptor *k = &e->descriptor->fields[0];
	const ProtobufCFieldDescriptor *v = &e->descriptor->fields[1];
	const char *base = (const char *)e;

	if (k->type == PROTOBUF_C_TYPE_STRING)
		json_value(out, k, base + k->offset);
	else {
		fputc('"', out);
		json_value(out, k, base + k->offset);
		fputc('"', out);
	}
	fputc(':', out);
	return json_value(out, v, base + v->offset);
}

static int
json_repeated(FILE *out, const ProtobufCFieldDescriptor *f, const char *base)
{
	size_t n = *(const size_t *)(base + f->quantifier_offset);
	const char *arr = *(char *const *)(base + f->offset);
	bool map = json_is_map(f);
	size_t size = json_type_size(f);

	fputc(map ? '{' : '[', out);
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			fputc(',', out);
		if (map)
			json_map_entry(out,
			    ((ProtobufCMessage *const *)(const void *)arr)[i]);
		else
			json_value(out, f, arr + i * size);
	}
	fputc(map ? '}' : ']', out);
	return ferror(out) ? -1 : 0;
}

/* Whether a singular field is present: set in its oneof, flagged by has_,
 * or (proto3) holding something other than its default. */
static bool
json_present(const ProtobufCFieldDescriptor *f, const char *base)
{
	const void *p = base + f->offset;

	if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
		return *(const uint32_t *)(base + f->quantifier_offset) ==
		       f->id;
	if (f->label == PROTOBUF_C_LABEL_OPTIONAL &&
	    f->quantifier_offset != 0 && f->type != PROTOBUF_C_TYPE_STRING &&
	    f->type != PROTOBUF_C_TYPE_MESSAGE)
		return *(
		    const protobuf_c_boolean *)(base + f->quantifier_offset);
	switch (f->type) {
	case PROTOBUF_C_TYPE_STRING: {
		const char *s = *(char *const *)p;
		return s != NULL && s[0] != '\0';
	}
	case PROTOBUF_C_TYPE_BYTES:
		return ((const ProtobufCBinaryData *)p)->len > 0;
	case PROTOBUF_C_TYPE_MESSAGE:
		return *(void *const *)p != NULL;
	default: {
		static const char zero[8];
		return memcmp(p, zero, json_type_size(f)) != 0;
	}
	}
}

static int
json_message(FILE *out, const ProtobufCMessage *m)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;
	const char *base = (const char *)m;
	bool first = true;

	fputc('{', out);
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		bool repeated = f->label == PROTOBUF_C_LABEL_REPEATED;
		if (repeated
		        ? *(const size_t *)(base + f->quantifier_offset) == 0
		        : !json_present(f, base))
			continue;
		if (!first)
			fputc(',', out);
		first = false;
		json_name(out, f->name);
		if (repeated)
			json_repeated(out, f, base);
		else
			json_value(out, f, base + f->offset);
	}
	fputc('}', out);
	return ferror(out) ? -1 : 0;
}

int
json_print(FILE *out, const ProtobufCMessage *m)
{
	return json_message(out, m);
}
