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
	memset(c, 0, sizeof(*c));
	c->env = env;
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

/* Makes the status message valid UTF-8 if it is not (a %.Ns of client
 * text, or the spare buffer's cut), so that every reply's message is. */
static void
call_scrub_message(struct call *c)
{
	const char *m = c->status.message;
	size_t n = strlen(m), bad;
	char tmp[sizeof(c->spare_message)], *p;

	if (text_utf8_check(m, n, &bad))
		return;
	/* Each bad byte grows to 3 (U+FFFD); the spare is the fallback. */
	if ((p = call_alloc(c, 3 * n + 1)) != NULL) {
		text_scrub(m, n, p, 3 * n + 1);
		c->status.message = p;
		return;
	}
	text_scrub(m, n, tmp, sizeof(tmp));
	memcpy(c->spare_message, tmp, sizeof(tmp));
	c->status.message = c->spare_message;
}

static void
call_set_status(struct call *c, enum status s, const char *field,
    const char *fmt, va_list ap)
{
	va_list ap2;

	c->status.code = (Gloss__V1__Code)s;
	va_copy(ap2, ap);
	c->status.message = call_vprintf(c, fmt, ap2);
	va_end(ap2);
	if (c->status.message == NULL) {
		vsnprintf(c->spare_message, sizeof(c->spare_message), fmt, ap);
		c->status.message = c->spare_message;
	}
	call_scrub_message(c);
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
	call_set_status(c, s, NULL, fmt, ap);
	va_end(ap);
	return s;
}

enum status
call_field_error(struct call *c, enum status s, const char *field,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	call_set_status(c, s, field, fmt, ap);
	va_end(ap);
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
