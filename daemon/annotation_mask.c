/*
 * annotation_mask: UpdateAnnotation's update_mask (AIP-134): which paths
 * name a field an update may change, and the copy of just those fields
 * from the request onto the revision being made.  Paths are read through
 * protobuf-c's descriptors, so a field added to a body is maskable at once.
 * Whether the result is a valid annotation is annotation_check.c's to say.
 */
#include <assert.h>
#include <inttypes.h>
#include <string.h>

#include "annotation.h"
#include "valid.h"

#define MASK_PATHS_MAX 64 /* paths of one mask */

/* A path, split: the Annotation's field, and the body's field if any. */
struct mask_path {
	const ProtobufCFieldDescriptor *head;
	const ProtobufCFieldDescriptor *tail; /* NULL: the head whole */
};

static bool
mask_is_body(const ProtobufCFieldDescriptor *f)
{
	return (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) != 0 &&
	       f->type == PROTOBUF_C_TYPE_MESSAGE;
}

static enum status
mask_unknown(struct call *c, const char *path)
{
	enum status s = call_fail(c, REASON(UPDATE_MASK_PATH_UNKNOWN),
	    "update_mask.paths",
	    "update_mask path %s names no field an update changes: the paths "
	    "are select, a body (entity, fact_correction, translation_note, "
	    "note), one of its fields (entity.kb_id, note.text, ...), or *",
	    valid_show(c, path));

	call_meta(c, "path", "%s", path);
	return s;
}

static enum status
mask_output_only(struct call *c, const char *path)
{
	enum status s = call_fail(c, REASON(UPDATE_MASK_PATH_OUTPUT_ONLY),
	    "update_mask.paths",
	    "update_mask path %s names a field that glossd sets (or that "
	    "creation fixes), which an update cannot change; leave it out",
	    valid_show(c, path));

	call_meta(c, "path", "%s", path);
	return s;
}

/* Splits and checks one path ("*" is handled by the caller). */
static enum status
mask_parse(struct call *c, const char *path, struct mask_path *p)
{
	const char *dot = strchr(path, '.');
	char head[64];
	size_t n = dot != NULL ? (size_t)(dot - path) : strlen(path);

	if (n == 0 || n >= sizeof(head))
		return mask_unknown(c, path);
	memcpy(head, path, n);
	head[n] = '\0';
	p->head = protobuf_c_message_descriptor_get_field_by_name(
	    &gloss__v1__annotation__descriptor, head);
	p->tail = NULL;
	if (p->head == NULL)
		return mask_unknown(c, path);
	if (strcmp(head, "select") != 0 && !mask_is_body(p->head))
		return dot != NULL ? mask_unknown(c, path)
		                   : mask_output_only(c, path);
	if (dot == NULL)
		return STATUS_OK;
	if (!mask_is_body(p->head) || strchr(dot + 1, '.') != NULL)
		return mask_unknown(c, path);
	p->tail =
	    protobuf_c_message_descriptor_get_field_by_name(p->head->descriptor,
	        dot + 1);
	if (p->tail == NULL)
		return mask_unknown(c, path);
	/* A Span in a body is what glossd resolved a selector into. */
	if (p->tail->descriptor == &gloss__v1__span__descriptor)
		return mask_output_only(c, path);
	return STATUS_OK;
}

static bool
mask_has(const Gloss__V1__FieldMask *m, const char *path)
{
	for (size_t i = 0; i < m->n_paths; i++)
		if (strcmp(m->paths[i], path) == 0)
			return true;
	return false;
}

enum status
annotation_mask_check(struct call *c, const Gloss__V1__FieldMask *m)
{
	struct mask_path p;
	enum status s;

	if (m->n_paths > MASK_PATHS_MAX)
		return call_fail(c, REASON(FIELD_OVER_LIMIT),
		    "update_mask.paths",
		    "update_mask has %zu paths; at most %d", m->n_paths,
		    MASK_PATHS_MAX);
	for (size_t i = 0; i < m->n_paths; i++)
		if (strcmp(m->paths[i], "*") != 0 &&
		    (s = mask_parse(c, m->paths[i], &p)) != STATUS_OK)
			return s;
	/* The source span is a span of the source article: a new source
	 * with the old span's offsets would quote other text. */
	if (mask_has(m, "translation_note.source_article_id") &&
	    !mask_has(m, "translation_note.source_select") &&
	    !mask_has(m, "translation_note") && !mask_has(m, "*"))
		return call_fail(c, REASON(FIELD_REQUIRED), "update_mask.paths",
		    "update_mask names translation_note.source_article_id "
		    "without translation_note.source_select: a new source "
		    "needs its span (name both; an unset source_select "
		    "leaves the note without a source span)");
	return STATUS_OK;
}

/* Bytes a singular field of type t takes in its message. */
static size_t
mask_field_size(ProtobufCType t)
{
	switch (t) {
	case PROTOBUF_C_TYPE_STRING:
	case PROTOBUF_C_TYPE_MESSAGE:
		return sizeof(void *);
	case PROTOBUF_C_TYPE_BYTES:
		return sizeof(ProtobufCBinaryData);
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
	case PROTOBUF_C_TYPE_DOUBLE:
		return 8;
	default:
		return 4;
	}
}

/* dst's field f becomes src's (src NULL: the field's default). */
static void
mask_copy_field(const ProtobufCFieldDescriptor *f, ProtobufCMessage *dst,
    const ProtobufCMessage *src)
{
	char *d = (char *)dst + f->offset;
	size_t size = f->label == PROTOBUF_C_LABEL_REPEATED
	                  ? sizeof(void *)
	                  : mask_field_size(f->type);

	if (f->label == PROTOBUF_C_LABEL_REPEATED)
		*(size_t *)((char *)dst + f->quantifier_offset) =
		    src != NULL ? *(const size_t *)((const char *)src +
		                                    f->quantifier_offset)
		                : 0;
	if (src != NULL)
		memcpy(d, (const char *)src + f->offset, size);
	else if (f->type == PROTOBUF_C_TYPE_STRING &&
	         f->label != PROTOBUF_C_LABEL_REPEATED)
		*(const char **)d = protobuf_c_empty_string;
	else
		memset(d, 0, size);
}

/* The message in a's body oneof, whichever arm is set. */
static ProtobufCMessage **
mask_body(Gloss__V1__Annotation *a)
{
	return (ProtobufCMessage **)&a->entity; /* the union's one pointer */
}

/* u's body if it is f's arm, else NULL (the field is then cleared). */
static ProtobufCMessage *
mask_body_of(Gloss__V1__Annotation *u, const ProtobufCFieldDescriptor *f)
{
	return u->body_case == (Gloss__V1__Annotation__BodyCase)f->id
	           ? *mask_body(u)
	           : NULL;
}

/* A whole field: select (the spans are made anew from it), or a body,
 * which sets the kind too. */
static void
mask_replace(Gloss__V1__Annotation *a, Gloss__V1__Annotation *u,
    const ProtobufCFieldDescriptor *f, bool *spans)
{
	if (!mask_is_body(f)) {
		a->select = u->select;
		a->n_select = u->n_select;
		a->spans = NULL;
		a->n_spans = 0;
		*spans = true;
		return;
	}
	a->body_case = (Gloss__V1__Annotation__BodyCase)f->id;
	*mask_body(a) = mask_body_of(u, f);
	if (*mask_body(a) == NULL)
		a->body_case = GLOSS__V1__ANNOTATION__BODY__NOT_SET;
}

/* "*": select and the body, whatever its kind (AIP-134's replacement). */
static void
mask_replace_all(Gloss__V1__Annotation *a, Gloss__V1__Annotation *u,
    bool *spans)
{
	mask_replace(a, u,
	    protobuf_c_message_descriptor_get_field_by_name(
	        &gloss__v1__annotation__descriptor, "select"),
	    spans);
	a->body_case = u->body_case;
	*mask_body(a) = *mask_body(u);
}

/* One field of the body, which must be of that kind.  The body is copied
 * the first time, so that the revision read stays as it was. */
static enum status
mask_set_field(struct call *c, Gloss__V1__Annotation *a,
    Gloss__V1__Annotation *u, const struct mask_path *p, bool *copied)
{
	const ProtobufCMessageDescriptor *d = p->head->descriptor;
	ProtobufCMessage *body;

	if (a->body_case != (Gloss__V1__Annotation__BodyCase)p->head->id)
		return call_fail(c, REASON(UPDATE_MASK_PATH_OTHER_KIND),
		    "update_mask.paths",
		    "update_mask path '%s.%s' names a field of %s, but "
		    "annotation %" PRIu64 " is %s; to change its kind, put "
		    "'%s' whole in the mask",
		    p->head->name, p->tail->name, p->head->name, a->id,
		    a->body_case != GLOSS__V1__ANNOTATION__BODY__NOT_SET
		        ? protobuf_c_message_descriptor_get_field(
		              &gloss__v1__annotation__descriptor,
		              (unsigned)a->body_case)
		              ->name
		        : "without a body",
		    p->head->name);
	if (!*copied) {
		if ((body = call_alloc(c, d->sizeof_message)) == NULL)
			return call_fail(c, REASON(OUT_OF_MEMORY), NULL,
			    "out of memory");
		memcpy(body, *mask_body(a), d->sizeof_message);
		*mask_body(a) = body;
		*copied = true;
	}
	mask_copy_field(p->tail, *mask_body(a), mask_body_of(u, p->head));
	/* The span resolved from a selector goes with it. */
	if (strcmp(p->tail->name, "source_select") == 0)
		mask_copy_field(protobuf_c_message_descriptor_get_field_by_name(
		                    d, "source_span"),
		    *mask_body(a), NULL);
	return STATUS_OK;
}

enum status
annotation_mask_apply(struct call *c, Gloss__V1__Annotation *a,
    Gloss__V1__Annotation *u, const Gloss__V1__FieldMask *m, bool *spans)
{
	struct mask_path p[MASK_PATHS_MAX];
	bool copied = false;
	enum status s;

	assert(m->n_paths <= MASK_PATHS_MAX); /* annotation_mask_check() */
	*spans = false;
	/* Whole fields first: a body's field then applies to the body that
	 * the mask leaves, whatever the order of the paths. */
	for (size_t i = 0; i < m->n_paths; i++) {
		p[i].head = NULL;
		if (strcmp(m->paths[i], "*") == 0) {
			mask_replace_all(a, u, spans);
			copied = false;
			continue;
		}
		if ((s = mask_parse(c, m->paths[i], &p[i])) != STATUS_OK)
			return s;
		if (p[i].tail == NULL) {
			mask_replace(a, u, p[i].head, spans);
			copied = copied && !mask_is_body(p[i].head);
		}
	}
	for (size_t i = 0; i < m->n_paths; i++)
		if (p[i].head != NULL && p[i].tail != NULL &&
		    (s = mask_set_field(c, a, u, &p[i], &copied)) != STATUS_OK)
			return s;
	return STATUS_OK;
}
