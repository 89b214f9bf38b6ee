/*
 * The four lists of methods agree: gloss.proto's `service Gloss`, the arms
 * of Request's and Reply's oneof body, and glossd's method table
 * (daemon/method.c).  Same names, same numbers, same types, no method
 * missing from any of them; read from protobuf-c's descriptors of the
 * .proto and from the table itself.  And every number that measures
 * something names its unit (AIP-140, AIP-141).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "gloss/v1/gloss.pb-c.h"
#include "method.h"

static const ProtobufCServiceDescriptor *const service =
    &gloss__v1__gloss__descriptor;

/* "GetArticle" -> "get_article": the arm's name for a method. */
static void
snake(const char *name, char *out, size_t size)
{
	size_t n = 0;

	for (; *name != '\0' && n + 2 < size; name++) {
		if (isupper((unsigned char)*name) && n > 0)
			out[n++] = '_';
		out[n++] = (char)tolower((unsigned char)*name);
	}
	out[n] = '\0';
}

/* The oneof arm of d named `name`, or NULL. */
static const ProtobufCFieldDescriptor *
arm(const ProtobufCMessageDescriptor *d, const char *name)
{
	const ProtobufCFieldDescriptor *f =
	    protobuf_c_message_descriptor_get_field_by_name(d, name);

	return f != NULL && (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) ? f : NULL;
}

/* The arm's name of method `name`, in a static buffer. */
static const char *
arm_name(const char *name)
{
	static char buf[64];

	snake(name, buf, sizeof(buf));
	return buf;
}

/* Every method of the service: a Request arm and a Reply arm of its name
 * and types, under one number, and the table's row under that number. */
static void
test_methods_have_arms_and_rows(void **state)
{
	char name[64], want[80];

	(void)state;
	assert_string_equal(service->name, "gloss.v1.Gloss");
	for (unsigned i = 0; i < service->n_methods; i++) {
		const ProtobufCMethodDescriptor *m = &service->methods[i];
		const ProtobufCFieldDescriptor *q, *r;
		const struct method *row;

		print_message("%s\n", m->name);
		snake(m->name, name, sizeof(name));
		q = arm(&gloss__v1__request__descriptor, name);
		r = arm(&gloss__v1__reply__descriptor, name);
		assert_non_null(q);
		assert_non_null(r);
		assert_int_equal(q->id, r->id);
		assert_ptr_equal(q->descriptor, m->input);
		assert_ptr_equal(r->descriptor, m->output);
		snprintf(want, sizeof(want), "gloss.v1.%sRequest", m->name);
		assert_string_equal(m->input->name, want);
		snprintf(want, sizeof(want), "gloss.v1.%sResponse", m->name);
		assert_string_equal(m->output->name, want);
		row = method_find((Gloss__V1__Request__BodyCase)q->id);
		assert_non_null(row);
		assert_string_equal(row->name, m->name);
	}
}

/* The method of the service whose arm is named `arm`, or NULL. */
static const ProtobufCMethodDescriptor *
method_of(const char *arm)
{
	char name[64];

	for (unsigned k = 0; k < service->n_methods; k++) {
		snake(service->methods[k].name, name, sizeof(name));
		if (strcmp(name, arm) == 0)
			return &service->methods[k];
	}
	return NULL;
}

/* The other way round: every arm of Request and of Reply is a method of
 * the service. */
static void
test_arms_have_methods(void **state)
{
	const ProtobufCMessageDescriptor *const env[] = {
		&gloss__v1__request__descriptor, &gloss__v1__reply__descriptor
	};
	unsigned arms = 0;

	(void)state;
	for (size_t e = 0; e < 2; e++)
		for (unsigned i = 0; i < env[e]->n_fields; i++) {
			const ProtobufCFieldDescriptor *f = &env[e]->fields[i];
			if (!(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF))
				continue;
			arms++;
			print_message("%s.%s\n", env[e]->name, f->name);
			assert_non_null(method_of(f->name));
		}
	assert_int_equal(arms, 2 * service->n_methods);
}

/* And every row of the method table is a method of the service, under
 * the number of the arm of its request type. */
static void
test_rows_have_methods(void **state)
{
	const ProtobufCMethodDescriptor *m;
	const ProtobufCFieldDescriptor *f;
	unsigned rows = 0;

	(void)state;
	for (unsigned id = 0; id < 1024; id++) {
		const struct method *row =
		    method_find((Gloss__V1__Request__BodyCase)id);
		if (row == NULL)
			continue;
		rows++;
		print_message("row %u %s\n", id, row->name);
		m = protobuf_c_service_descriptor_get_method_by_name(service,
		    row->name);
		assert_non_null(m);
		f = protobuf_c_message_descriptor_get_field(
		    &gloss__v1__request__descriptor, id);
		assert_non_null(f);
		assert_true(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF);
		assert_ptr_equal(f->descriptor, m->input);
	}
	assert_int_equal(rows, service->n_methods);
}

/* ------------------------------------------------------------ roles */

/*
 * The permission table: every method of the service has a row with a role
 * (a new method without one fails here), and the rows keep the model of
 * docs/operations.md: every read is open to readers except the user
 * methods, which are an admin's; a write needs at least an annotator; a
 * method whose reply holds a token is an admin's.
 */
static void
test_every_method_has_a_role(void **state)
{
	(void)state;
	for (unsigned i = 0; i < service->n_methods; i++) {
		const ProtobufCMethodDescriptor *m = &service->methods[i];
		const struct method *row = method_find(
		    (Gloss__V1__Request__BodyCase)
		        protobuf_c_message_descriptor_get_field_by_name(
		            &gloss__v1__request__descriptor, arm_name(m->name))
		            ->id);
		bool users = strstr(m->name, "User") != NULL;

		print_message("%s: %s\n", m->name, method_role_name(row->role));
		assert_true(row->role >= GLOSS__V1__ROLE__ROLE_READER);
		assert_true(row->role <= GLOSS__V1__ROLE__ROLE_ADMIN);
		if (users || (row->flags & METHOD_SECRET))
			assert_int_equal(row->role,
			    GLOSS__V1__ROLE__ROLE_ADMIN);
		else if (!(row->flags & METHOD_WRITE))
			assert_int_equal(row->role,
			    GLOSS__V1__ROLE__ROLE_READER);
		else
			assert_true(
			    row->role >= GLOSS__V1__ROLE__ROLE_ANNOTATOR);
	}
	/* And the roles the issue names, as the table has them. */
	assert_int_equal(method_find(GLOSS__V1__REQUEST__BODY_DELETE_ARTICLE)
	                     ->role,
	    GLOSS__V1__ROLE__ROLE_ADMIN);
	/* A restore writes history in anyone's name: an admin's; importing
	 * texts (CreateArticle) is a curator's. */
	assert_int_equal(method_find(GLOSS__V1__REQUEST__BODY_IMPORT_RECORDS)
	                     ->role,
	    GLOSS__V1__ROLE__ROLE_ADMIN);
	assert_int_equal(method_find(GLOSS__V1__REQUEST__BODY_CREATE_ARTICLE)
	                     ->role,
	    GLOSS__V1__ROLE__ROLE_CURATOR);
	assert_int_equal(method_find(GLOSS__V1__REQUEST__BODY_ADD_LABEL)->role,
	    GLOSS__V1__ROLE__ROLE_CURATOR);
	assert_int_equal(method_find(GLOSS__V1__REQUEST__BODY_CREATE_ANNOTATION)
	                     ->role,
	    GLOSS__V1__ROLE__ROLE_ANNOTATOR);
}

/* ------------------------------------------------------------ units */

/* Words that make an integer field a measure of something (an offset, a
 * size, a span of time), whose unit its name must say. */
static const char *const measure_words[] = { "start", "end", "offset", "size",
	"used", "length", "position", "column", "time", "uptime", "timeout",
	"wait", "age", "duration", NULL };

/* Words that name a unit: what a reader of the JSON name alone needs. */
static const char *const unit_words[] = { "byte", "bytes", "char", "chars",
	"utf16", "ms", "seq", "pages", "lines", "records", NULL };

static bool
has_word(const char *name, const char *const words[])
{
	char buf[128], *w, *save;

	snprintf(buf, sizeof(buf), "%s", name);
	for (w = strtok_r(buf, "_", &save); w != NULL;
	     w = strtok_r(NULL, "_", &save))
		for (size_t i = 0; words[i] != NULL; i++)
			if (strcmp(w, words[i]) == 0)
				return true;
	return false;
}

static bool
is_integer(ProtobufCType t)
{
	return t == PROTOBUF_C_TYPE_INT32 || t == PROTOBUF_C_TYPE_SINT32 ||
	       t == PROTOBUF_C_TYPE_SFIXED32 || t == PROTOBUF_C_TYPE_INT64 ||
	       t == PROTOBUF_C_TYPE_SINT64 || t == PROTOBUF_C_TYPE_SFIXED64 ||
	       t == PROTOBUF_C_TYPE_UINT32 || t == PROTOBUF_C_TYPE_FIXED32 ||
	       t == PROTOBUF_C_TYPE_UINT64 || t == PROTOBUF_C_TYPE_FIXED64;
}

/* A message whose offsets take their unit from a field of it (Range's
 * `unit`): the unit is said, beside the numbers. */
static bool
has_unit_field(const ProtobufCMessageDescriptor *d)
{
	const ProtobufCFieldDescriptor *f =
	    protobuf_c_message_descriptor_get_field_by_name(d, "unit");

	return f != NULL && f->type == PROTOBUF_C_TYPE_ENUM &&
	       f->descriptor == &gloss__v1__unit__descriptor;
}

#define SEEN_MAX 512

/* Checks d's measures and those of every message it holds, once each;
 * returns how many measures it checked. */
static unsigned
check_units(const ProtobufCMessageDescriptor *d,
    const ProtobufCMessageDescriptor **seen, size_t *n_seen)
{
	unsigned measures = 0;

	for (size_t i = 0; i < *n_seen; i++)
		if (seen[i] == d)
			return 0;
	assert_true(*n_seen < SEEN_MAX);
	seen[(*n_seen)++] = d;
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		if (f->type == PROTOBUF_C_TYPE_MESSAGE)
			measures += check_units(f->descriptor, seen, n_seen);
		/* AIP-158's page_size counts items: its unit is the list's. */
		if (!is_integer(f->type) || !has_word(f->name, measure_words) ||
		    strcmp(f->name, "page_size") == 0)
			continue;
		measures++;
		print_message("%s.%s\n", d->name, f->name);
		if (!has_word(f->name, unit_words) && !has_unit_field(d))
			fail_msg("%s.%s measures something and does not say "
			         "in what unit: name it (byte_, char_, utf16_, "
			         "_bytes, _ms, ...)",
			    d->name, f->name);
	}
	return measures;
}

/* Every integer field that is an offset, a size or a time, in every
 * message a client sends or reads (the envelopes and the jsonl export's
 * records), says its unit in its name: Span.byte_start, not Span.start
 * (a client that took code points for bytes tagged the wrong text). */
static void
test_measures_name_their_unit(void **state)
{
	const ProtobufCMessageDescriptor *seen[SEEN_MAX];
	size_t n_seen = 0;
	unsigned measures = 0;

	(void)state;
	measures += check_units(&gloss__v1__request__descriptor, seen, &n_seen);
	measures += check_units(&gloss__v1__reply__descriptor, seen, &n_seen);
	measures +=
	    check_units(&gloss__v1__export_record__descriptor, seen, &n_seen);
	/* Span's six, Range's two, and more: the walk reached them. */
	assert_true(measures >= 20);
	assert_true(has_word("byte_start", measure_words) &&
	            has_word("byte_start", unit_words));
	assert_false(has_word("start", unit_words));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_methods_have_arms_and_rows),
		cmocka_unit_test(test_arms_have_methods),
		cmocka_unit_test(test_rows_have_methods),
		cmocka_unit_test(test_every_method_has_a_role),
		cmocka_unit_test(test_measures_name_their_unit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
