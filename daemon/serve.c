/*
 * serve: one request from bytes to reply bytes.  Unpacks with the call's
 * arena, so everything a request makes glossd allocate is bounded by the
 * arena's budget and freed in one go; never touches nng.
 */
#include <stdio.h>
#include <string.h>

#include "auth.h"
#include "hash.h"
#include "log.h"
#include "method.h"
#include "serve.h"
#include "store.h"
#include "valid.h"
#include "wire.h"
#include "writer.h"

static enum status
serve_wire_error(struct call *c, const struct wire_error *e)
{
	switch (e->fault) {
	case WIRE_UNKNOWN_FIELD:
		if (e->depth == 0 && e->field >= 16)
			return call_fail(c, REASON(METHOD_UNKNOWN), NULL,
			    "method number %u is not served by this glossd "
			    "(%s, gloss.v1); is the client newer than the "
			    "server?",
			    e->field, GLOSS_VERSION);
		return call_fail(c, REASON(FIELD_UNKNOWN),
		    e->path[0] ? e->path : "request",
		    "field number %u of %s is not in gloss.v1 as this glossd "
		    "knows it",
		    e->field, e->path[0] ? e->path : "the request");
	case WIRE_BAD_TEXT:
		return call_fail(c, REASON(TEXT_NOT_UTF8), e->path,
		    "%s is not valid UTF-8 (or holds a NUL byte) at byte %zu",
		    e->path, e->text_at);
	case WIRE_TOO_DEEP:
		return call_fail(c, REASON(REQUEST_MALFORMED), NULL,
		    "the request nests messages deeper than gloss.v1 does");
	default:
		return call_fail(c, REASON(REQUEST_MALFORMED), NULL,
		    "the request is not a packed gloss.v1.Request message");
	}
}

static enum status
serve_bad_author(struct call *c)
{
	return call_fail(c, REASON(FIELD_INVALID), "author",
	    "author must be at most %d bytes of UTF-8 without control, "
	    "bidirectional or line-separator characters",
	    VALID_AUTHOR_MAX);
}

/* The envelope's own fields, by the rules ImportRecords applies too. */
static enum status
serve_check_envelope(struct call *c)
{
	Gloss__V1__Request *q = c->req;

	if (!valid_request_id(q->request_id))
		return call_fail(c, REASON(FIELD_INVALID), "request_id",
		    "request_id must be at most %d printable ASCII characters "
		    "(a UUID is best)",
		    VALID_REQUEST_ID_MAX);
	if (q->author[0] != '\0' && !valid_author(q->author))
		return serve_bad_author(c);
	return STATUS_OK;
}

/*
 * The fingerprint a write's request_id is bound to: its method, its author
 * and its packed method arm.  A resend of the same write matches it; the
 * same id on another method, by another author or with another body does
 * not, and is refused instead of being answered with another write's reply.
 */
static void
serve_hash_body(struct call *c)
{
	const ProtobufCFieldDescriptor *f =
	    protobuf_c_message_descriptor_get_field(
	        &gloss__v1__request__descriptor, (unsigned)c->req->body_case);
	const ProtobufCMessage *arm =
	    *(ProtobufCMessage *const *)((const char *)c->req + f->offset);
	size_t na = strlen(c->req->author) + 1;
	size_t n = protobuf_c_message_get_packed_size(arm);
	uint8_t *buf = call_alloc(c, 4 + na + n);

	if (buf == NULL)
		return; /* the writer refuses a write it cannot remember */
	buf[0] = (uint8_t)(f->id >> 24);
	buf[1] = (uint8_t)(f->id >> 16);
	buf[2] = (uint8_t)(f->id >> 8);
	buf[3] = (uint8_t)f->id;
	memcpy(buf + 4, c->req->author, na);
	protobuf_c_message_pack(arm, buf + 4 + na);
	hash_sha256(buf, 4 + na + n, c->body_hash);
}

static enum status
serve_size_error(struct call *c, uint64_t n)
{
	return call_fail(c, REASON(REQUEST_TOO_LARGE), NULL,
	    "the request is %llu bytes; this glossd takes at most %zu",
	    (unsigned long long)n, c->env->max_request_bytes);
}

static enum status
serve_unpack(struct call *c, const uint8_t *buf, size_t n)
{
	struct wire_error e;

	if (n > c->env->max_request_bytes)
		return serve_size_error(c, n);
	if (wire_check(&gloss__v1__request__descriptor, buf, n, &e) != WIRE_OK)
		return serve_wire_error(c, &e);
	c->req = (Gloss__V1__Request *)
	    protobuf_c_message_unpack(&gloss__v1__request__descriptor,
	        &c->allocator, n, buf);
	if (c->req == NULL)
		return call_fail(c,
		    c->allocated >= c->budget / 2 ? REASON(OUT_OF_MEMORY)
		                                  : REASON(REQUEST_MALFORMED),
		    NULL,
		    "the request is not a packed gloss.v1.Request message");
	if (c->req->body_case == GLOSS__V1__REQUEST__BODY__NOT_SET)
		return call_fail(c, REASON(REQUEST_MALFORMED), NULL,
		    "the request names no method (its oneof body is empty)");
	return serve_check_envelope(c);
}

static enum status
serve_read(struct call *c, const struct method *m)
{
	enum status s;

	if ((s = store_read_begin(c->env->store, &c->txn)) != STATUS_OK)
		return call_error(c, s, "cannot begin a read");
	c->now_ms = call_now_ms();
	s = m->fn(c);
	store_read_end(c->txn);
	c->txn = NULL;
	return s;
}

static void
serve_dispatch(struct call *c, const struct method *m)
{
	if (c->req->timeout_ms != 0)
		c->deadline_ms = call_mono_ms() + c->req->timeout_ms;
	if (m->flags & METHOD_WRITE) {
		serve_hash_body(c);
		writer_submit(c->env->writer, c, m);
	} else {
		serve_read(c, m);
	}
	if (call_status(c) != STATUS_OK)
		c->reply.body_case = GLOSS__V1__REPLY__BODY__NOT_SET;
}

/* Packs the reply into out's room; false if there is none. */
static bool
serve_pack(struct call *c, const struct serve_out *out)
{
	size_t n = protobuf_c_message_get_packed_size(&c->reply.base);
	void *buf;

	if (n > c->env->max_reply_bytes) {
		/* Every reply is bounded where it is made (lists are paged,
		 * records are bounded before they are stored), so this is a
		 * bug: a read answers INTERNAL rather than an unsendable
		 * message. */
		log_error("a reply of %zu bytes was refused", n);
		call_reset_reply(c);
		call_fail(c, REASON(INTERNAL_ERROR), NULL,
		    "the reply would be %zu bytes, over the %zu-byte limit; "
		    "ask for a smaller page",
		    n, c->env->max_reply_bytes);
		n = protobuf_c_message_get_packed_size(&c->reply.base);
	}
	if ((buf = out->alloc(out->arg, n)) == NULL)
		return false;
	protobuf_c_message_pack(&c->reply.base, buf);
	return true;
}

static const struct method *
serve_method(struct call *c, const void *req, size_t n, unsigned flags)
{
	const struct method *m;

	if (flags & SERVE_STOPPING) {
		call_fail(c, REASON(SHUTTING_DOWN), NULL,
		    "glossd is shutting down; send the request again (with "
		    "the same request_id) once it is back");
		return NULL;
	}
	if (serve_unpack(c, req, n) != STATUS_OK)
		return NULL;
	if ((m = method_find(c->req->body_case)) == NULL) {
		call_fail(c, REASON(METHOD_UNKNOWN), NULL,
		    "method number %d is not served by this glossd",
		    (int)c->req->body_case);
		return NULL;
	}
	/* Who, and may it: before anything is read or written for it. */
	if (auth_identify(c) != STATUS_OK || auth_permit(c, m) != STATUS_OK)
		return NULL;
	if (!valid_author(c->req->author)) {
		serve_bad_author(c);
		return NULL;
	}
	return m;
}

enum serve_result
serve_request(struct call_env *env, const struct call_peer *peer,
    const void *req, size_t n, unsigned flags, const struct serve_out *out,
    uint32_t *park_ms)
{
	struct call c;
	const struct method *m;
	int64_t t0 = call_mono_ms();
	enum serve_result r = SERVE_PARKED;

	call_init(&c, env, 4 * env->max_request_bytes + (1 << 20));
	c.peer = peer;
	c.may_park = (flags & SERVE_MAY_PARK) != 0;
	if ((m = serve_method(&c, req, n, flags)) != NULL)
		serve_dispatch(&c, m);
	*park_ms = call_status(&c) == STATUS_OK ? c.park_ms : 0;
	if (*park_ms == 0) {
		r = serve_pack(&c, out) ? SERVE_REPLIED : SERVE_NO_ROOM;
		atomic_fetch_add(&env->requests_served, 1);
		log_debug("%s: %s (%lld ms) %s", m != NULL ? m->name : "?",
		    status_name(call_status(&c)),
		    (long long)(call_mono_ms() - t0), c.status.message);
	}
	call_fini(&c);
	return r;
}

enum serve_result
serve_too_large(struct call_env *env, uint64_t n, const struct serve_out *out)
{
	struct call c;
	enum serve_result r;

	call_init(&c, env, 1 << 16);
	serve_size_error(&c, n);
	r = serve_pack(&c, out) ? SERVE_REPLIED : SERVE_NO_ROOM;
	atomic_fetch_add(&env->requests_served, 1);
	log_debug("?: %s (a request of %llu bytes)",
	    status_name(call_status(&c)), (unsigned long long)n);
	call_fini(&c);
	return r;
}
