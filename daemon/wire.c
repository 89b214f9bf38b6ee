/* wire: a walk over protobuf's wire format guided by a descriptor; reads
 * only, allocates nothing. */
#include <stdio.h>
#include <string.h>

#include "text.h"
#include "wire.h"

struct wire_cursor {
	const uint8_t *p, *end;
};

/* Reads a varint; -1 if truncated or longer than 10 bytes. */
static int
wire_varint(struct wire_cursor *c, uint64_t *v)
{
	uint64_t x = 0;

	for (int shift = 0; shift < 70 && c->p < c->end; shift += 7) {
		uint8_t b = *c->p++;
		if (shift < 64) /* bits past 64 are dropped, as protobuf does */
			x |= (uint64_t)(b & 0x7f) << shift;
		if ((b & 0x80) == 0) {
			*v = x;
			return 0;
		}
	}
	return -1;
}

static int
wire_skip(struct wire_cursor *c, size_t n)
{
	if ((size_t)(c->end - c->p) < n)
		return -1;
	c->p += n;
	return 0;
}

static void
wire_path_push(struct wire_error *err, size_t *mark, const char *name)
{
	size_t len = strlen(err->path);

	*mark = len;
	snprintf(err->path + len, sizeof(err->path) - len, "%s%s",
	    len > 0 ? "." : "", name);
}

static enum wire_fault wire_walk(const ProtobufCMessageDescriptor *d,
    struct wire_cursor *c, struct wire_error *err, int depth);

/* A length-delimited field: check strings, descend into messages. */
static enum wire_fault
wire_delimited(const ProtobufCFieldDescriptor *f, const uint8_t *p, size_t n,
    struct wire_error *err, int depth)
{
	struct wire_cursor sub = { p, p + n };
	enum wire_fault fault;
	size_t mark;

	if (f->type != PROTOBUF_C_TYPE_STRING &&
	    f->type != PROTOBUF_C_TYPE_MESSAGE)
		return WIRE_OK; /* bytes, or packed scalars */
	wire_path_push(err, &mark, f->name);
	if (f->type == PROTOBUF_C_TYPE_STRING) {
		fault = WIRE_OK;
		if (!text_utf8_check((const char *)p, n, &err->text_at)) {
			err->depth = depth;
			fault = WIRE_BAD_TEXT;
		}
	} else {
		fault = wire_walk(f->descriptor, &sub, err, depth + 1);
	}
	if (fault == WIRE_OK)
		err->path[mark] = '\0';
	return fault;
}

static enum wire_fault
wire_field(const ProtobufCMessageDescriptor *d, struct wire_cursor *c,
    struct wire_error *err, int depth)
{
	const ProtobufCFieldDescriptor *f;
	uint64_t tag, len;

	if (wire_varint(c, &tag) != 0 || (tag >> 3) == 0 ||
	    (tag >> 3) > 536870911)
		return WIRE_MALFORMED;
	f = protobuf_c_message_descriptor_get_field(d, (unsigned)(tag >> 3));
	if (f == NULL) {
		err->field = (uint32_t)(tag >> 3);
		err->depth = depth;
		return WIRE_UNKNOWN_FIELD;
	}
	switch (tag & 7) {
	case 0:
		return wire_varint(c, &len) == 0 ? WIRE_OK : WIRE_MALFORMED;
	case 1:
		return wire_skip(c, 8) == 0 ? WIRE_OK : WIRE_MALFORMED;
	case 5:
		return wire_skip(c, 4) == 0 ? WIRE_OK : WIRE_MALFORMED;
	case 2:
		if (wire_varint(c, &len) != 0 ||
		    len > (uint64_t)(c->end - c->p))
			return WIRE_MALFORMED;
		c->p += len;
		return wire_delimited(f, c->p - len, (size_t)len, err, depth);
	default: /* groups (3, 4) are not proto3; 6 and 7 do not exist */
		return WIRE_MALFORMED;
	}
}

static enum wire_fault
wire_walk(const ProtobufCMessageDescriptor *d, struct wire_cursor *c,
    struct wire_error *err, int depth)
{
	enum wire_fault fault;

	if (depth > WIRE_MAX_DEPTH)
		return WIRE_TOO_DEEP;
	while (c->p < c->end)
		if ((fault = wire_field(d, c, err, depth)) != WIRE_OK)
			return fault;
	return WIRE_OK;
}

enum wire_fault
wire_check(const ProtobufCMessageDescriptor *d, const uint8_t *buf, size_t n,
    struct wire_error *err)
{
	struct wire_cursor c = { buf, buf + n };

	memset(err, 0, sizeof(*err));
	err->fault = wire_walk(d, &c, err, 0);
	return err->fault;
}

/* Moves c past the value of a field of wire type `type`; -1 if malformed. */
static int
wire_value(struct wire_cursor *c, unsigned type)
{
	uint64_t v;

	switch (type) {
	case 0:
		return wire_varint(c, &v);
	case 1:
		return wire_skip(c, 8);
	case 5:
		return wire_skip(c, 4);
	case 2:
		if (wire_varint(c, &v) != 0 || v > (uint64_t)(c->end - c->p))
			return -1;
		c->p += v;
		return 0;
	default:
		return -1;
	}
}

size_t
wire_strip(const uint8_t *buf, size_t n, uint32_t field, uint8_t *out)
{
	struct wire_cursor c = { buf, buf + n };
	const uint8_t *at;
	uint64_t tag;
	size_t len = 0;

	while (c.p < c.end) {
		at = c.p;
		if (wire_varint(&c, &tag) != 0 ||
		    wire_value(&c, (unsigned)(tag & 7)) != 0)
			return WIRE_STRIP_BAD;
		if ((tag >> 3) == field)
			continue;
		if (out != NULL)
			memcpy(out + len, at, (size_t)(c.p - at));
		len += (size_t)(c.p - at);
	}
	return len;
}
