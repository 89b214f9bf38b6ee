/*
 * json_impl: what the files of the json module share (json_print.c,
 * json_parse.c, json_scalar.c).  Not the module's contract: json.h is.
 */
#ifndef GLOSS_JSON_IMPL_H
#define GLOSS_JSON_IMPL_H

#include <stdint.h>

#include "json.h"

/* One step of the path to the value being parsed, for messages. */
struct json_frame {
	const ProtobufCFieldDescriptor *f;
	size_t index;    /* of a repeated field's element; SIZE_MAX: none */
	const char *key; /* of a map's entry (NUL-terminated); NULL: none */
};

struct json_parser {
	const char *begin, *s, *end; /* the text, and where parsing is */
	ProtobufCAllocator *a;       /* NULL: malloc and free */
	const struct json_alias *aliases;
	struct json_error *err;
	struct json_frame path[JSON_DEPTH_MAX + 1];
	int n_path;
	int depth; /* objects open */
	bool failed;
};

/* The bytes a field of f's type takes in a protobuf-c struct. */
size_t json_type_size(const ProtobufCFieldDescriptor *f);

/* Fills in jp->err (the first failure only: the rest follow from it),
 * with `at` as the place in the text, and returns false. */
bool json_fail_at(struct json_parser *jp, const char *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Skips white space; json_eat() then takes ch if it is next. */
void json_ws(struct json_parser *jp);
bool json_eat(struct json_parser *jp, char ch);

/* Through the parser's allocator; json_alloc() fails the parse ("out of
 * memory") when it returns NULL. */
void *json_alloc(struct json_parser *jp, size_t n);
void json_free(struct json_parser *jp, void *p);

/*
 * The string at jp->s (white space first), decoded and checked (UTF-8, no
 * NUL): *out is n bytes that point into the text itself when the string
 * has no escape, else into *scratch, which the caller frees (NULL when
 * not needed, and always NULL when it fails).
 */
bool json_string_view(struct json_parser *jp, const char **out, size_t *n,
    char **scratch);

/* The string at jp->s, decoded into a NUL-terminated copy made through
 * the parser's allocator. */
bool json_string(struct json_parser *jp, char **out);

/* A value of scalar field f (any type but a message) at jp->s into dst. */
bool json_scalar(struct json_parser *jp, const ProtobufCFieldDescriptor *f,
    void *dst);

/* A map key of integer or bool field k, from the key's text s[0..n)
 * (found at `at`), into dst. */
bool json_map_key(struct json_parser *jp, const ProtobufCFieldDescriptor *k,
    const char *s, size_t n, const char *at, void *dst);

/* s as a message may quote it: its first `max` bytes or fewer, cut on a
 * grapheme boundary (text_clip), as a precision for "%.*s". */
int json_clip(const char *s, size_t n, size_t max);

#endif
