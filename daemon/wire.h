/*
 * wire: checks a packed protobuf message against its descriptor before
 * protobuf-c unpacks it, for what protobuf-c 1.4.1 does not check: every
 * string must be UTF-8 without NUL bytes (protobuf-c would cut the string at
 * the NUL silently), and every field must be known to this contract
 * (protobuf-c would keep it, and pack it back into a stored record).  Pure.
 */
#ifndef GLOSS_WIRE_H
#define GLOSS_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

enum wire_fault {
	WIRE_OK,
	WIRE_MALFORMED,     /* not a protobuf encoding at all */
	WIRE_UNKNOWN_FIELD, /* a field number the descriptor lacks */
	WIRE_BAD_TEXT,      /* a string field that is not UTF-8, or has a NUL */
	WIRE_TOO_DEEP,      /* nested deeper than WIRE_MAX_DEPTH */
};

#define WIRE_MAX_DEPTH 16

struct wire_error {
	enum wire_fault fault;
	char path[256]; /* dotted field names, e.g. "create_article.article" */
	uint32_t field; /* the unknown field's number (WIRE_UNKNOWN_FIELD) */
	int depth;      /* 0: the field is in the top-level message */
	size_t text_at; /* byte offset inside the bad string (WIRE_BAD_TEXT) */
};

/*
 * Walks buf[0..n) as an encoding of a message of type `d`.  Returns WIRE_OK,
 * or the first fault found, described in *err.
 */
enum wire_fault wire_check(const ProtobufCMessageDescriptor *d,
    const uint8_t *buf, size_t n, struct wire_error *err);

#define WIRE_STRIP_BAD ((size_t)-1)

/*
 * The encoding buf[0..n) without its top-level fields numbered `field`
 * (every occurrence): written to out (at most n bytes) unless out is NULL.
 * Returns its length, or WIRE_STRIP_BAD if buf is not a protobuf encoding.
 * How a record is read without a long field it does not need: protobuf-c
 * unpacks every field, so the field is left out before unpacking.
 */
size_t wire_strip(const uint8_t *buf, size_t n, uint32_t field, uint8_t *out);

#endif
