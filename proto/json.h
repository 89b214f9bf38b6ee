/*
 * json: gloss's one proto3 JSON codec.  Any protobuf-c message printed as,
 * and parsed from, protobuf's JSON mapping
 * (https://protobuf.dev/programming-guides/proto3/#json), driven by the
 * message's descriptor, so that no message has a printer or parser of its
 * own.  glossd's jsonl export and ImportRecords, the CLI's --json and
 * `gloss call` all go through it (library gloss_json, linked by both the
 * daemon and the client).
 *
 * The mapping as printed: lowerCamelCase names; fields at their default
 * value left out (a set oneof member is always printed); 64-bit integers
 * as strings; enums by name (a number with no name as a number); bytes as
 * base64; maps as objects; NaN and the infinities as strings.  Fields in
 * field-number order, repeated values and map entries in stored order, so
 * that printing is deterministic and printing what json_parse() read gives
 * the same bytes.
 *
 * Pure: it writes only through the caller's sink and allocates only
 * through the caller's allocator (and a scratch buffer per string).
 */
#ifndef GLOSS_JSON_H
#define GLOSS_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <protobuf-c/protobuf-c.h>

/* ------------------------------------------------------------ printing */

/* Where printed bytes go: write(arg, p, n) takes n bytes at p.  It cannot
 * fail as far as the printer knows: a sink that can (a full page, a FILE)
 * keeps its own error, and the caller asks it afterwards. */
struct json_sink {
	void (*write)(void *arg, const void *p, size_t n);
	void *arg;
};

enum json_flags {
	/* Pretty: one member a line, indented by two spaces a level, and a
	 * space after each colon (as `gloss call` prints).  Without it, one
	 * line with no space at all (the jsonl export, --json). */
	JSON_INDENT = 1 << 0,
	/* U+2028 and U+2029 written as \u2028 and \u2029: JavaScript before
	 * ES2019 ends a line at them, even inside a string (the CLI's output
	 * sets it; the export keeps the text's bytes as they are). */
	JSON_ESCAPE_LS = 1 << 1,
};

/* Prints m (no newline after it) through out. */
void json_print(const struct json_sink *out, const ProtobufCMessage *m,
    unsigned flags);

/* Prints s[0..n) as a JSON string literal, quotes included: '"', '\\'
 * and control characters (and DEL) escaped, every other byte as it is. */
void json_print_string(const struct json_sink *out, const char *s, size_t n,
    unsigned flags);

/* A sink that writes to stdio stream f (which keeps the error). */
struct json_sink json_file_sink(FILE *f);

/* json_print() to a stdio stream.  Returns 0, or -1 if writing failed
 * (ferror(f)). */
int json_fprint(FILE *f, const ProtobufCMessage *m, unsigned flags);

/* ------------------------------------------------------------ parsing */

/* The deepest nesting of objects json_parse() takes (gloss.v1 nests seven
 * deep at most: ExportRecord, Change, Annotation, FactCorrection,
 * Evidence, SpanSelector, Range). */
#define JSON_DEPTH_MAX 32

/*
 * An old name a field was known by, taken as that field's: in a message
 * of type `message`, the JSON key `key` means the field named `field`
 * (its proto name).  A reader of an older file passes a table of them,
 * ended by a row of NULLs (ImportRecords: Span's "start" and "end" in a
 * jsonl file of version 1).
 */
struct json_alias {
	const ProtobufCMessageDescriptor *message;
	const char *key;
	const char *field;
};

/* Why a text is not JSON of a message, and where. */
struct json_error {
	size_t offset; /* bytes into the text */
	size_t line;   /* from 1 */
	size_t column; /* from 1, in code points */
	/* The field, as a path of proto names ("annotation.spans[1].start");
	 * "" when the fault is not inside a field. */
	char field[160];
	/* A sentence for a person, valid UTF-8, naming the field:
	 * "annotation.spans[1].start: '-1' is not an unsigned integer". */
	char message[400];
	bool oom; /* the allocator failed: the text may well be right */
};

/*
 * Parses s[0..n), JSON text of one object, into a new message of type d.
 * Every member's key is a field's JSON name (lowerCamelCase), its proto
 * name, or one of `aliases` (may be NULL); `null` leaves a field at its
 * default.  Refused, with *err filled in: text that is not JSON (RFC
 * 8259), an unknown or repeated field, two members of one oneof, a value
 * of the wrong type or out of its type's range, a string that is not
 * UTF-8 or holds NUL, nesting deeper than JSON_DEPTH_MAX, anything after
 * the object.
 *
 * Everything is allocated through `a` (NULL: malloc and free): the result
 * is freed with protobuf_c_message_free_unpacked(m, a), and on failure,
 * when it returns NULL, whatever was allocated has been freed already
 * (an allocator that returns NULL makes it fail: "out of memory").
 */
ProtobufCMessage *json_parse(const ProtobufCMessageDescriptor *d, const char *s,
    size_t n, ProtobufCAllocator *a, const struct json_alias *aliases,
    struct json_error *err);

/* ------------------------------------------------------------ names */

/* The JSON name of a field named `name` as protoc makes it ("as_of_seq":
 * "asOfSeq"), NUL-terminated in out[0..size) (cut if it does not fit). */
void json_name(const char *name, char *out, size_t size);

/* Whether field f is a map<K, V> (a repeated message K key = 1, V value =
 * 2 named ...Entry). */
bool json_is_map(const ProtobufCFieldDescriptor *f);

/* The edit distance of two names (Levenshtein, in bytes, ignoring ASCII
 * case and underscores: "get_article" is 0 from "GetArticle"); what names
 * a person meant when a name is unknown.  Names of over 63 bytes are
 * compared by their first 63. */
size_t json_distance(const char *a, const char *b);

#endif
