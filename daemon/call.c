/* call: the per-request arena, status and message.  Never touches LMDB or
 * nng; the reply is packed and sent by server.c. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "call.h"
#include "text.h"

#define CALL_BLOCK_MIN (16 * 1024)
#define CALL_META_MAX  256 /* bytes of a metadata value */

struct call_block {
	struct call_block *next;
	size_t size, used;
	max_align_t data[]; /* max_align_t keeps the payload aligned */
};

static void *
call_pb_alloc(void *arg, size_t n)
{
	return call_alloc(arg, n);
}

static void
call_pb_free(void *arg, void *p)
{
	(void)arg; /* the arena frees everything at once in call_fini() */
	(void)p;
}

void
call_init(struct call *c, struct call_env *env, size_t budget)
{
	/* A call that no connection made (serve_too_large()): nobody. */
	static const struct call_peer nobody = { .addr = "?" };

	memset(c, 0, sizeof(*c));
	c->env = env;
	c->peer = &nobody;
	c->budget = budget;
	c->allocator.alloc = call_pb_alloc;
	c->allocator.free = call_pb_free;
	c->allocator.allocator_data = c;
	call_reset_reply(c);
}

void
call_fini(struct call *c)
{
	struct call_block *b, *next;

	for (b = c->blocks; b != NULL; b = next) {
		next = b->next;
		free(b);
	}
	c->blocks = NULL;
}

void *
call_alloc(struct call *c, size_t n)
{
	struct call_block *b = c->blocks;
	size_t align = sizeof(max_align_t), size;
	void *p;

	n = (n + align - 1) / align * align;
	if (n == 0)
		n = align;
	if (b == NULL || b->size - b->used < n) {
		size = n > CALL_BLOCK_MIN ? n : CALL_BLOCK_MIN;
		if (c->allocated + size > c->budget)
			return NULL;
		if ((b = malloc(sizeof(*b) + size)) == NULL)
			return NULL;
		b->size = size;
		b->used = 0;
		b->next = c->blocks;
		c->blocks = b;
		c->allocated += size;
	}
	p = (char *)b->data + b->used;
	b->used += n;
	return p;
}

struct call_mark
call_mark(const struct call *c)
{
	struct call_mark m = { c->blocks, c->blocks ? c->blocks->used : 0,
		c->allocated };

	return m;
}

void
call_release(struct call *c, struct call_mark m)
{
	struct call_block *b;

	while (c->blocks != NULL && c->blocks != m.block) {
		b = c->blocks;
		c->blocks = b->next;
		free(b);
	}
	if (c->blocks != NULL)
		c->blocks->used = m.used;
	c->allocated = m.allocated;
}

char *
call_strndup(struct call *c, const char *s, size_t n)
{
	char *p = call_alloc(c, n + 1);

	if (p == NULL)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

const char *
call_clip(struct call *c, const char *s, size_t max)
{
	size_t n = strlen(s), k;
	char *p;

	if (n <= max)
		return s;
	k = text_clip(s, n, max);
	if ((p = call_alloc(c, k + sizeof("…"))) == NULL)
		return "…";
	memcpy(p, s, k);
	memcpy(p + k, "…", sizeof("…"));
	return p;
}

static char *
call_vprintf(struct call *c, const char *fmt, va_list ap)
{
	va_list ap2;
	char *p;
	int n;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0 || (p = call_alloc(c, (size_t)n + 1)) == NULL)
		return NULL;
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	return p;
}

char *
call_printf(struct call *c, const char *fmt, ...)
{
	va_list ap;
	char *p;

	va_start(ap, fmt);
	p = call_vprintf(c, fmt, ap);
	va_end(ap);
	return p;
}

/* The message in valid UTF-8 (a %.Ns of client text may break it) of at
 * most CALL_MESSAGE_MAX bytes, in the arena or else the spare buffer. */
static const char *
call_fit_message(struct call *c, const char *m)
{
	size_t n = strlen(m), bad, k;
	char tmp[sizeof(c->spare_message)], *p;

	if (!text_utf8_check(m, n, &bad)) {
		/* Each bad byte grows to 3 (U+FFFD). */
		if ((p = call_alloc(c, 3 * n + 1)) == NULL) {
			text_scrub(m, n, tmp, sizeof(tmp));
			memcpy(c->spare_message, tmp, sizeof(tmp));
			return c->spare_message;
		}
		n = text_scrub(m, n, p, 3 * n + 1);
		m = p;
	}
	if (n <= CALL_MESSAGE_MAX)
		return m;
	k = text_clip(m, n, CALL_MESSAGE_MAX - (sizeof("…") - 1));
	if ((p = call_alloc(c, k + sizeof("…"))) == NULL) {
		p = c->spare_message;
		k = text_clip(m, n, sizeof(c->spare_message) - sizeof("…"));
	}
	memmove(p, m, k);
	memcpy(p + k, "…", sizeof("…"));
	return p;
}

void
call_set_message(struct call *c, const char *m)
{
	c->status.message = call_str(call_fit_message(c, m));
	if (c->status.n_details > 0)
		c->status.details[0]->description = c->status.message;
}

/* The reason of an error known by its code alone.  RESOURCE_EXHAUSTED is
 * the arena's (out of memory) when it is half spent, else the store's. */
static Gloss__V1__Reason
call_generic_reason(const struct call *c, enum status s)
{
	if (s == STATUS_RESOURCE_EXHAUSTED && c->allocated >= c->budget / 2)
		return REASON(OUT_OF_MEMORY);
	return reason_of_status(s);
}

static void
call_set_status(struct call *c, enum status s, Gloss__V1__Reason r,
    const char *field, const char *fmt, va_list ap)
{
	va_list ap2;
	char *m;

	/* A new error replaces the old one whole, details included. */
	gloss__v1__status__init(&c->status);
	c->status.code = (Gloss__V1__Code)s;
	c->status.reason =
	    r != REASON(REASON_UNSPECIFIED) ? r : call_generic_reason(c, s);
	va_copy(ap2, ap);
	m = call_vprintf(c, fmt, ap2);
	va_end(ap2);
	if (m == NULL) {
		vsnprintf(c->spare_message, sizeof(c->spare_message), fmt, ap);
		m = c->spare_message;
	}
	c->status.message = call_str(call_fit_message(c, m));
	if (field == NULL)
		return;
	gloss__v1__field_violation__init(&c->spare_violation);
	/* Copied: callers may name the field from a buffer on their stack. */
	c->spare_violation.field = call_strndup(c, field, strlen(field));
	if (c->spare_violation.field == NULL) {
		snprintf(c->spare_field, sizeof(c->spare_field), "%s", field);
		c->spare_violation.field = c->spare_field;
	}
	c->spare_violation.description = c->status.message;
	c->spare_violations[0] = &c->spare_violation;
	c->status.details = c->spare_violations;
	c->status.n_details = 1;
}

enum status
call_error(struct call *c, enum status s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	call_set_status(c, s, REASON(REASON_UNSPECIFIED), NULL, fmt, ap);
	va_end(ap);
	return s;
}

enum status
call_field_error(struct call *c, enum status s, const char *field,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	call_set_status(c, s, REASON(REASON_UNSPECIFIED), field, fmt, ap);
	va_end(ap);
	return s;
}

enum status
call_fail(struct call *c, Gloss__V1__Reason r, const char *field,
    const char *fmt, ...)
{
	enum status s = reason_code(r);
	va_list ap;

	va_start(ap, fmt);
	call_set_status(c, s, r, field, fmt, ap);
	va_end(ap);
	return s;
}

void
call_meta(struct call *c, const char *key, const char *fmt, ...)
{
	Gloss__V1__Status__MetadataEntry *e = call_alloc(c, sizeof(*e)), **v;
	size_t n = c->status.n_metadata, bad;
	va_list ap;

	v = call_alloc(c, (n + 1) * sizeof(*v));
	if (e == NULL || v == NULL)
		return;
	gloss__v1__status__metadata_entry__init(e);
	e->key = call_str(key);
	va_start(ap, fmt);
	e->value = call_vprintf(c, fmt, ap);
	va_end(ap);
	/* Values may quote what the client sent (valid UTF-8, as every
	 * string of a request): bounded as a message quotes it. */
	if (e->value == NULL ||
	    !text_utf8_check(e->value, strlen(e->value), &bad))
		return;
	e->value = call_str(call_clip(c, e->value, CALL_META_MAX));
	if (n > 0)
		memcpy(v, c->status.metadata, n * sizeof(*v));
	v[n] = e;
	c->status.metadata = v;
	c->status.n_metadata = n + 1;
}

static Gloss__V1__CurrentRevision *
call_current(struct call *c, const char *article_id, uint64_t revision,
    const char *etag, Gloss__V1__State state)
{
	Gloss__V1__CurrentRevision *r = call_alloc(c, sizeof(*r));

	if (r == NULL)
		return NULL;
	gloss__v1__current_revision__init(r);
	r->article_id = call_str(article_id);
	r->revision = revision;
	r->etag = call_str(etag);
	r->state = state;
	c->status.current = r;
	return r;
}

enum status
call_current_article(struct call *c, const Gloss__V1__Article *a)
{
	bool gone = a->state == GLOSS__V1__STATE__STATE_DELETED;
	Gloss__V1__CurrentRevision *r =
	    call_current(c, a->id, a->revision, a->etag, a->state);

	if (r != NULL) {
		r->author = gone ? a->deleted_by : a->created_by;
		r->time_ms = gone ? a->delete_time_ms : a->create_time_ms;
		r->seq = gone ? a->delete_seq : a->create_seq;
	}
	return call_status(c);
}

enum status
call_current_annotation(struct call *c, const Gloss__V1__Annotation *a)
{
	Gloss__V1__CurrentRevision *r =
	    call_current(c, a->article_id, a->revision, a->etag, a->state);

	if (r != NULL) {
		r->annotation_id = a->id;
		r->author = a->updated_by;
		r->time_ms = a->update_time_ms;
		r->seq = a->update_seq;
	}
	return call_status(c);
}

enum status
call_article_not_found(struct call *c, const char *field, const char *id)
{
	enum status s = call_fail(c, REASON(ARTICLE_NOT_FOUND), field,
	    "article '%s' not found", call_clip(c, id, 140));

	call_meta(c, "article_id", "%s", id);
	return s;
}

enum status
call_status(const struct call *c)
{
	return (enum status)c->status.code;
}

void
call_reset_reply(struct call *c)
{
	gloss__v1__reply__init(&c->reply);
	gloss__v1__status__init(&c->status);
	c->reply.status = &c->status;
}

int64_t
call_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
call_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
