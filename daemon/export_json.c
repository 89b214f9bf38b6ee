/*
 * export_json: any protobuf-c message to one line of JSON in proto3's JSON
 * mapping, driven by the message's descriptor: what the jsonl format writes
 * (export_json_parse.c reads it back, for ImportRecords).  Printing is
 * deterministic (fields in descriptor order, map entries and repeated values
 * in stored order), so that an import followed by an export gives the same
 * bytes.  Pure.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export.h"

/* ------------------------------------------------------------ printing */

/* "create_time_ms" -> "createTimeMs", quoted, with the colon. */
static void
json_name(struct export_out *o, const char *name)
{
	char buf[128];
	size_t n = 0;
	bool upper = false;

	buf[n++] = '"';
	for (; *name != '\0' && n < sizeof(buf) - 3; name++) {
		if (*name == '_') {
			upper = true;
			continue;
		}
		buf[n++] = upper && *name >= 'a' && *name <= 'z'
		               ? (char)(*name - 32)
		               : *name;
		upper = false;
	}
	buf[n++] = '"';
	buf[n++] = ':';
	export_write(o, buf, n);
}

size_t
export_json_type_size(const ProtobufCFieldDescriptor *f)
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

/* One value of field f at p.  A case per protobuf type: long, not deep. */
static void
json_print_value(struct export_out *o, const ProtobufCFieldDescriptor *f,
    const void *p)
{
	const ProtobufCEnumValue *ev;
	const char *s;

	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
		export_printf(o, "%" PRId32, *(const int32_t *)p);
		break;
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		export_printf(o, "%" PRIu32, *(const uint32_t *)p);
		break;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		export_printf(o, "\"%" PRId64 "\"", *(const int64_t *)p);
		break;
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		export_printf(o, "\"%" PRIu64 "\"", *(const uint64_t *)p);
		break;
	case PROTOBUF_C_TYPE_FLOAT:
		export_printf(o, "%.9g", (double)*(const float *)p);
		break;
	case PROTOBUF_C_TYPE_DOUBLE:
		export_printf(o, "%.17g", *(const double *)p);
		break;
	case PROTOBUF_C_TYPE_BOOL:
		export_puts(o,
		    *(const protobuf_c_boolean *)p ? "true" : "false");
		break;
	case PROTOBUF_C_TYPE_ENUM:
		ev = protobuf_c_enum_descriptor_get_value(f->descriptor,
		    *(const int *)p);
		if (ev != NULL)
			export_printf(o, "\"%s\"", ev->name);
		else
			export_printf(o, "%d", *(const int *)p);
		break;
	case PROTOBUF_C_TYPE_STRING:
		s = *(char *const *)p;
		export_json_string(o, s ? s : "", s ? strlen(s) : 0);
		break;
	case PROTOBUF_C_TYPE_BYTES:
		export_puts(o, "\"\""); /* no record of ours has bytes */
		break;
	case PROTOBUF_C_TYPE_MESSAGE:
		if (*(ProtobufCMessage *const *)p == NULL)
			export_puts(o, "{}");
		else
			export_json_message(o, *(ProtobufCMessage *const *)p);
		break;
	}
}

/* A map<K,V> is a repeated message named ...Entry with key 1 and value 2. */
bool
export_json_is_map(const ProtobufCFieldDescriptor *f)
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
	       d->fields[0].type == PROTOBUF_C_TYPE_STRING;
}

static void
json_print_repeated(struct export_out *o, const ProtobufCFieldDescriptor *f,
    const char *base)
{
	size_t n = *(const size_t *)(base + f->quantifier_offset);
	const char *arr = *(char *const *)(base + f->offset);
	bool map = export_json_is_map(f);
	size_t size = export_json_type_size(f);

	export_puts(o, map ? "{" : "[");
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			export_puts(o, ",");
		if (map) {
			const ProtobufCMessage *e =
			    ((ProtobufCMessage *const *)(const void *)arr)[i];
			const ProtobufCFieldDescriptor *k =
			    &e->descriptor->fields[0];
			const ProtobufCFieldDescriptor *v =
			    &e->descriptor->fields[1];
			json_print_value(o, k, (const char *)e + k->offset);
			export_puts(o, ":");
			json_print_value(o, v, (const char *)e + v->offset);
		} else
			json_print_value(o, f, arr + i * size);
	}
	export_puts(o, map ? "}" : "]");
}

/* Whether a singular field is present: set in its oneof, flagged by has_,
 * or (proto3) holding something other than its default. */
static bool
json_present(const ProtobufCFieldDescriptor *f, const char *base)
{
	static const char zero[8];
	const void *p = base + f->offset;

	if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
		return *(const uint32_t *)(base + f->quantifier_offset) ==
		       f->id;
	switch (f->type) {
	case PROTOBUF_C_TYPE_STRING:
		return *(char *const *)p != NULL && (*(char *const *)p)[0];
	case PROTOBUF_C_TYPE_BYTES:
		return ((const ProtobufCBinaryData *)p)->len > 0;
	case PROTOBUF_C_TYPE_MESSAGE:
		return *(void *const *)p != NULL;
	default:
		return memcmp(p, zero, export_json_type_size(f)) != 0;
	}
}

void
export_json_message(struct export_out *o, const ProtobufCMessage *m)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;
	const char *base = (const char *)m;
	bool first = true;

	export_puts(o, "{");
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		bool repeated = f->label == PROTOBUF_C_LABEL_REPEATED;
		if (repeated
		        ? *(const size_t *)(base + f->quantifier_offset) == 0
		        : !json_present(f, base))
			continue;
		if (!first)
			export_puts(o, ",");
		first = false;
		json_name(o, f->name);
		if (repeated)
			json_print_repeated(o, f, base);
		else
			json_print_value(o, f, base + f->offset);
	}
	export_puts(o, "}");
}
