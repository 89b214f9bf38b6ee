/*
 * json_parse: proto3 JSON text into a protobuf-c message, driven by its
 * descriptor: objects, members, arrays and maps, and the errors that say
 * where (line, column, the field's path).  The values inside are
 * json_scalar.c's.  The message is kept whole at every step (each new
 * piece is hung on it before it is filled), so that a failure anywhere
 * frees it with protobuf-c's own protobuf_c_message_free_unpacked().
 */
#include <assert.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json_impl.h"
#include "text.h"

/* Fields a message may have for json_member()'s check of repeated keys
 * (gloss.v1's largest has 28). */
#define JSON_FIELDS_MAX 256

static bool json_object(struct json_parser *jp,
    const ProtobufCMessageDescriptor *d, ProtobufCMessage **out);

/* ------------------------------------------------------------ errors */

/* The path of frames, "annotation.spans[1].start", into out. */
static void
json_path(const struct json_parser *jp, char *out, size_t size)
{
	size_t n = 0;
	int k;

	out[0] = '\0';
	for (int i = 0; i < jp->n_path && n + 1 < size; i++) {
		const struct json_frame *fr = &jp->path[i];
		k = snprintf(out + n, size - n, "%s%s", i > 0 ? "." : "",
		    fr->f->name);
		n += k > 0 ? (size_t)k : 0;
		if (fr->index != SIZE_MAX && n + 1 < size)
			k = snprintf(out + n, size - n, "[%zu]", fr->index);
		else if (fr->key != NULL && n + 1 < size)
			k = snprintf(out + n, size - n, "[\"%.*s\"]",
			    json_clip(fr->key, strlen(fr->key), 40), fr->key);
		else
			k = 0;
		n += k > 0 ? (size_t)k : 0;
	}
	/* A path longer than out is cut on a character boundary. */
	if (n >= size)
		out[text_clip(out, strlen(out), size - 1)] = '\0';
}

/* Line and column (in code points) of byte `off`, from 1. */
static void
json_where(const struct json_parser *jp, size_t off, struct json_error *e)
{
	const char *line = jp->begin;

	e->offset = off;
	e->line = 1;
	for (size_t i = 0; i < off; i++)
		if (jp->begin[i] == '\n') {
			e->line++;
			line = jp->begin + i + 1;
		}
	e->column = 1;
	for (const char *p = line; p < jp->begin + off; p++)
		e->column += ((unsigned char)*p & 0xc0) != 0x80;
}

bool
json_fail_at(struct json_parser *jp, const char *at, const char *fmt, ...)
{
	struct json_error *e = jp->err;
	/* Every part that quotes the text is cut short by json_clip(), so
	 * the sentence fits here whole, and is valid UTF-8. */
	char why[1024];
	size_t room;
	va_list ap;

	if (jp->failed)
		return false;
	jp->failed = true;
	if (at < jp->begin || at > jp->end)
		at = jp->s;
	json_where(jp, (size_t)(at - jp->begin), e);
	json_path(jp, e->field, sizeof(e->field));
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	room = sizeof(e->message) - strlen(e->field) - 3;
	snprintf(e->message, sizeof(e->message), "%s%s%.*s", e->field,
	    e->field[0] != '\0' ? ": " : "",
	    (int)text_clip(why, strlen(why), room), why);
	return false;
}

/* ------------------------------------------------------------ tokens */

void
json_ws(struct json_parser *jp)
{
	while (jp->s < jp->end && (*jp->s == ' ' || *jp->s == '\t' ||
	                              *jp->s == '\n' || *jp->s == '\r'))
		jp->s++;
}

bool
json_eat(struct json_parser *jp, char ch)
{
	json_ws(jp);
	if (jp->s < jp->end && *jp->s == ch) {
		jp->s++;
		return true;
	}
	return false;
}

static bool
json_null(struct json_parser *jp)
{
	json_ws(jp);
	if (jp->end - jp->s >= 4 && memcmp(jp->s, "null", 4) == 0) {
		jp->s += 4;
		return true;
	}
	return false;
}

void *
json_alloc(struct json_parser *jp, size_t n)
{
	void *p =
	    jp->a != NULL ? jp->a->alloc(jp->a->allocator_data, n) : malloc(n);

	if (p == NULL) {
		jp->err->oom = true;
		json_fail_at(jp, jp->s, "out of memory");
	}
	return p;
}

void
json_free(struct json_parser *jp, void *p)
{
	if (p == NULL)
		return;
	if (jp->a != NULL)
		jp->a->free(jp->a->allocator_data, p);
	else
		free(p);
}

/* ------------------------------------------------------------ fields */

/* Whether JSON key k[0..n) is `name` or its JSON name, compared as the
 * JSON name is made (json_name()), so that most fields are ruled out at
 * their first letter: an import compares every key of every line. */
static bool
json_key_is(const char *k, size_t n, const char *name)
{
	size_t i = 0;
	bool upper = false;
	char want;

	if (strncmp(k, name, n) == 0 && name[n] == '\0')
		return true;
	for (; *name != '\0'; name++) {
		if (*name == '_') {
			upper = true;
			continue;
		}
		want = upper && *name >= 'a' && *name <= 'z'
		           ? (char)(*name - 'a' + 'A')
		           : *name;
		upper = false;
		if (i >= n || k[i++] != want)
			return false;
	}
	return i == n;
}

static const ProtobufCFieldDescriptor *
json_field(const struct json_parser *jp, const ProtobufCMessageDescriptor *d,
    const char *k, size_t n)
{
	const struct json_alias *al;

	for (unsigned i = 0; i < d->n_fields; i++)
		if (json_key_is(k, n, d->fields[i].name))
			return &d->fields[i];
	for (al = jp->aliases; al != NULL && al->message != NULL; al++)
		if (al->message == d && strlen(al->key) == n &&
		    memcmp(al->key, k, n) == 0)
			return protobuf_c_message_descriptor_get_field_by_name(
			    d, al->field);
	return NULL;
}

/* A field unknown to d: refused, with the nearest name if one is near. */
static bool
json_unknown(struct json_parser *jp, const ProtobufCMessageDescriptor *d,
    const char *k, size_t n, const char *at)
{
	char key[64], json[128], best[128] = "";
	size_t dist, best_dist = SIZE_MAX;

	snprintf(key, sizeof(key), "%.*s", json_clip(k, n, 40), k);
	for (unsigned i = 0; i < d->n_fields; i++) {
		json_name(d->fields[i].name, json, sizeof(json));
		if ((dist = json_distance(key, json)) < best_dist) {
			best_dist = dist;
			snprintf(best, sizeof(best), "%s", json);
		}
	}
	if (best_dist <= 1 || best_dist * 3 <= strlen(key))
		return json_fail_at(jp, at,
		    "%s has no field '%s'; did you mean '%s'?", d->name, key,
		    best);
	return json_fail_at(jp, at, "%s has no field '%s'", d->name, key);
}

/* Appends a zeroed element to repeated field f of the message at base,
 * growing its array through the allocator; *max is its room. */
static void *
json_push(struct json_parser *jp, const ProtobufCFieldDescriptor *f, char *base,
    size_t *max)
{
	char **arr = (char **)(base + f->offset);
	size_t *n = (size_t *)(base + f->quantifier_offset);
	size_t size = json_type_size(f);
	char *grown;

	if (*n == *max) {
		*max = *max ? 2 * *max : 4;
		if ((grown = json_alloc(jp, *max * size)) == NULL)
			return NULL;
		if (*n > 0)
			memcpy(grown, *arr, *n * size);
		json_free(jp, *arr);
		*arr = grown;
	}
	memset(*arr + *n * size, 0, size);
	return *arr + (*n)++ * size;
}

/* One value of field f (a message or a scalar) into dst. */
static bool
json_value(struct json_parser *jp, const ProtobufCFieldDescriptor *f, void *dst)
{
	if (f->type == PROTOBUF_C_TYPE_MESSAGE)
		return json_object(jp, f->descriptor, dst);
	return json_scalar(jp, f, dst);
}

/* A map's key, a JSON string, into the entry at e. */
static bool
json_entry_key(struct json_parser *jp, const ProtobufCFieldDescriptor *k,
    char *e)
{
	const char *s, *at;
	char *scratch;
	size_t n;
	bool ok;

	if (k->type == PROTOBUF_C_TYPE_STRING)
		return json_string(jp, (char **)(e + k->offset));
	json_ws(jp);
	at = jp->s;
	if (!json_string_view(jp, &s, &n, &scratch))
		return false;
	ok = json_map_key(jp, k, s, n, at, e + k->offset);
	free(scratch);
	return ok;
}

static bool
json_map(struct json_parser *jp, const ProtobufCFieldDescriptor *f, char *base,
    struct json_frame *fr)
{
	const ProtobufCMessageDescriptor *d = f->descriptor;
	const ProtobufCFieldDescriptor *k = &d->fields[0], *v = &d->fields[1];
	ProtobufCMessage **slot;
	size_t max = 0;

	if (!json_eat(jp, '{'))
		return json_fail_at(jp, jp->s, "an object was expected");
	if (json_eat(jp, '}'))
		return true;
	do {
		if ((slot = json_push(jp, f, base, &max)) == NULL ||
		    (*slot = json_alloc(jp, d->sizeof_message)) == NULL)
			return false;
		protobuf_c_message_init(d, *slot);
		if (!json_entry_key(jp, k, (char *)*slot))
			return false;
		if (k->type == PROTOBUF_C_TYPE_STRING)
			fr->key = *(char **)((char *)*slot + k->offset);
		if (!json_eat(jp, ':'))
			return json_fail_at(jp, jp->s, "':' was expected");
		if (!json_value(jp, v, (char *)*slot + v->offset))
			return false;
		fr->key = NULL;
	} while (json_eat(jp, ','));
	return json_eat(jp, '}') ||
	       json_fail_at(jp, jp->s, "',' or '}' was expected");
}

static bool
json_repeated(struct json_parser *jp, const ProtobufCFieldDescriptor *f,
    char *base, struct json_frame *fr)
{
	size_t max = 0;
	void *slot;

	if (json_is_map(f))
		return json_map(jp, f, base, fr);
	if (!json_eat(jp, '['))
		return json_fail_at(jp, jp->s, "an array was expected");
	if (json_eat(jp, ']'))
		return true;
	do {
		if ((slot = json_push(jp, f, base, &max)) == NULL)
			return false;
		fr->index = *(size_t *)(base + f->quantifier_offset) - 1;
		if (!json_value(jp, f, slot))
			return false;
	} while (json_eat(jp, ','));
	fr->index = SIZE_MAX;
	return json_eat(jp, ']') ||
	       json_fail_at(jp, jp->s, "',' or ']' was expected");
}

/* Marks f set in the message at base: its oneof's case, or its has_. */
static bool
json_mark(struct json_parser *jp, const ProtobufCMessageDescriptor *d,
    const ProtobufCFieldDescriptor *f, char *base, const char *at)
{
	uint32_t *which = (uint32_t *)(base + f->quantifier_offset);
	const ProtobufCFieldDescriptor *other;

	if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
		if (*which != 0) {
			other =
			    protobuf_c_message_descriptor_get_field(d, *which);
			return json_fail_at(jp, at,
			    "'%s' and '%s' are both set, but only one of them "
			    "may be",
			    other != NULL ? other->name : "?", f->name);
		}
		*which = f->id;
	} else if (f->label == PROTOBUF_C_LABEL_OPTIONAL &&
	           f->quantifier_offset != 0 &&
	           f->type != PROTOBUF_C_TYPE_STRING &&
	           f->type != PROTOBUF_C_TYPE_MESSAGE)
		*(protobuf_c_boolean *)(base + f->quantifier_offset) = 1;
	return true;
}

/* One "key": value of the message at base; seen[] has a bit per field. */
static bool
json_member(struct json_parser *jp, const ProtobufCMessageDescriptor *d,
    char *base, uint64_t seen[JSON_FIELDS_MAX / 64])
{
	const ProtobufCFieldDescriptor *f;
	struct json_frame *fr;
	const char *k, *at;
	char *scratch;
	size_t n, i;
	bool ok;

	json_ws(jp);
	at = jp->s;
	if (!json_string_view(jp, &k, &n, &scratch))
		return false;
	f = json_field(jp, d, k, n);
	ok = f != NULL || json_unknown(jp, d, k, n, at);
	free(scratch);
	if (!ok)
		return false;
	if (!json_eat(jp, ':'))
		return json_fail_at(jp, jp->s, "':' was expected");
	i = (size_t)(f - d->fields);
	if (seen[i / 64] & (uint64_t)1 << i % 64)
		return json_fail_at(jp, at, "'%s' is given twice", f->name);
	seen[i / 64] |= (uint64_t)1 << i % 64;
	fr = &jp->path[jp->n_path++];
	*fr = (struct json_frame){ f, SIZE_MAX, NULL };
	if (json_null(jp))
		ok = true; /* the field keeps its default */
	else if (f->label == PROTOBUF_C_LABEL_REPEATED)
		ok = json_repeated(jp, f, base, fr);
	else
		ok = json_mark(jp, d, f, base, at) &&
		     json_value(jp, f, base + f->offset);
	if (ok)
		jp->n_path--;
	return ok;
}

/* An object of message type d, hung on *out as soon as it exists. */
static bool
json_object(struct json_parser *jp, const ProtobufCMessageDescriptor *d,
    ProtobufCMessage **out)
{
	uint64_t seen[JSON_FIELDS_MAX / 64] = { 0 };
	ProtobufCMessage *m;

	assert(d->n_fields <= JSON_FIELDS_MAX);
	json_ws(jp);
	if (jp->depth >= JSON_DEPTH_MAX)
		return json_fail_at(jp, jp->s, "nested deeper than %d",
		    JSON_DEPTH_MAX);
	if (!json_eat(jp, '{'))
		return json_fail_at(jp, jp->s, "an object (%s) was expected",
		    d->name);
	if ((m = json_alloc(jp, d->sizeof_message)) == NULL)
		return false;
	protobuf_c_message_init(d, m);
	*out = m;
	jp->depth++;
	if (!json_eat(jp, '}')) {
		do {
			if (!json_member(jp, d, (char *)m, seen))
				return false;
		} while (json_eat(jp, ','));
		if (!json_eat(jp, '}'))
			return json_fail_at(jp, jp->s,
			    "',' or '}' was expected");
	}
	jp->depth--;
	return true;
}

ProtobufCMessage *
json_parse(const ProtobufCMessageDescriptor *d, const char *s, size_t n,
    ProtobufCAllocator *a, const struct json_alias *aliases,
    struct json_error *err)
{
	struct json_parser jp = { .begin = s,
		.s = s,
		.end = s + n,
		.a = a,
		.aliases = aliases,
		.err = err };
	ProtobufCMessage *m = NULL;

	memset(err, 0, sizeof(*err));
	if (json_object(&jp, d, &m)) {
		json_ws(&jp);
		if (jp.s == jp.end)
			return m;
		json_fail_at(&jp, jp.s, "text follows the JSON object");
	}
	if (m != NULL)
		protobuf_c_message_free_unpacked(m, a);
	return NULL;
}

/* ------------------------------------------------------------ names */

/* s folded for json_distance(): ASCII lowercase, no underscores. */
static size_t
json_fold(const char *s, char out[64])
{
	size_t n = 0;

	for (; *s != '\0' && n < 63; s++)
		if (*s != '_')
			out[n++] = *s >= 'A' && *s <= 'Z'
			               ? (char)(*s - 'A' + 'a')
			               : *s;
	out[n] = '\0';
	return n;
}

size_t
json_distance(const char *a, const char *b)
{
	char x[64], y[64];
	size_t m = json_fold(a, x), n = json_fold(b, y);
	size_t prev[64], cur[64];

	for (size_t j = 0; j <= n; j++)
		prev[j] = j;
	for (size_t i = 1; i <= m; i++) {
		cur[0] = i;
		for (size_t j = 1; j <= n; j++) {
			size_t sub = prev[j - 1] + (x[i - 1] != y[j - 1]);
			size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
			cur[j] = sub < del ? (sub < ins ? sub : ins)
			                   : (del < ins ? del : ins);
		}
		memcpy(prev, cur, (n + 1) * sizeof(*prev));
	}
	return prev[n];
}
