/*
 * cmd_call: `gloss call`, the grpcurl of gloss: any method by its name, its
 * request written in proto3 JSON, its response printed as proto3 JSON.
 * Driven by the descriptors protoc-c makes of gloss.proto (the service
 * Gloss, the Request and Reply arms) and the one JSON codec (json.h), so a
 * method added to the contract is callable here with no code of its own.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"
#include "json.h"

/* The most JSON a request may be: a request packs into 1 MiB at most, and
 * JSON (base64, escapes) takes several times that. */
#define CALL_JSON_MAX ((size_t)64 << 20)

/* Types --describe lists: the request's, the response's, and theirs. */
#define CALL_TYPES_MAX 128

static const struct cli_verb call_verb = { "call",
	"usage: gloss call METHOD [JSON | -] [options]\n"
	"       gloss call --list\n"
	"       gloss call --describe METHOD\n"
	"\n"
	"Calls any method of gloss.v1 by its name in gloss.proto's service "
	"Gloss\n"
	"(GetArticle, CreateAnnotation, ...) with its request in the proto3 "
	"JSON\n"
	"mapping, given as an argument or on standard input ('-'); {} when\n"
	"left out.  Prints the response as proto3 JSON; exits as other verbs "
	"do\n"
	"when glossd refuses it (the error on standard error).\n"
	"\n"
	"      --list              the methods, one a line\n"
	"      --describe METHOD   its request and response: their fields, "
	"and\n"
	"                          the messages and enums those use\n"
	"      --json              the response on one line (default: "
	"indented)\n"
	"      --socket URL, --timeout MS, --as NAME\n"
	"\n"
	"  gloss call GetArticle '{\"id\": \"000_37e09da8a1b7b9fa\", "
	"\"omitText\": true}'\n"
	"  echo '{\"article\": {\"language\": \"pt\", \"text\": \"Olá\"}}' |\n"
	"      gloss call CreateArticle -\n" };

enum {
	CALL_OPT_LIST = CLI_OPT_VERB,
	CALL_OPT_DESCRIBE,
};

/* ------------------------------------------------------------ methods */

/* A request gloss call cannot send: a usage error (exit 2), without the
 * whole usage, which would bury the one line that matters. */
static void call_refuse(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));

static void
call_refuse(const char *fmt, ...)
{
	va_list ap;

	fputs("gloss call: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

static const ProtobufCServiceDescriptor *const call_service =
    &gloss__v1__gloss__descriptor;

/* Whether `hay` holds `needle`, ignoring ASCII case. */
static bool
call_contains(const char *hay, const char *needle)
{
	size_t n = strlen(needle);

	for (; *hay != '\0'; hay++)
		if (strncasecmp(hay, needle, n) == 0)
			return true;
	return false;
}

/* Up to three methods near `name` (by edit distance, or holding it),
 * as ", did you mean A or B?" in out; "" if none is. */
static void
call_nearest(const char *name, char *out, size_t size)
{
	const char *best[3] = { NULL, NULL, NULL };
	size_t dist[3] = { SIZE_MAX, SIZE_MAX, SIZE_MAX }, n = 0;

	for (unsigned i = 0; i < call_service->n_methods; i++) {
		const char *m = call_service->methods[i].name;
		size_t d = json_distance(name, m);
		if (name[0] != '\0' && call_contains(m, name))
			d = d < 2 ? d : 2;
		if (d > 1 && d * 3 > strlen(name))
			continue;
		for (int k = 0; k < 3; k++) {
			if (d >= dist[k])
				continue;
			memmove(&best[k + 1], &best[k],
			    (2 - k) * sizeof(*best));
			memmove(&dist[k + 1], &dist[k],
			    (2 - k) * sizeof(*dist));
			best[k] = m;
			dist[k] = d;
			break;
		}
	}
	out[0] = '\0';
	for (int k = 0; k < 3 && best[k] != NULL; k++, n = strlen(out))
		snprintf(out + n, size - n, "%s%s",
		    k == 0                          ? "; did you mean "
		    : k == 2 || best[k + 1] == NULL ? " or "
		                                    : ", ",
		    best[k]);
	if (out[0] != '\0')
		snprintf(out + n, size - n, "?");
}

/* The method named `name` (as in the service, or qualified:
 * gloss.v1.Gloss.GetArticle, /gloss.v1.Gloss/GetArticle), or exits 2. */
static const ProtobufCMethodDescriptor *
call_method(const char *name)
{
	static const char *const prefixes[] = { "/gloss.v1.Gloss/",
		"gloss.v1.Gloss/", "gloss.v1.Gloss." };
	const ProtobufCMethodDescriptor *m;
	char near[160];

	for (size_t i = 0; i < sizeof(prefixes) / sizeof(*prefixes); i++)
		if (strncmp(name, prefixes[i], strlen(prefixes[i])) == 0)
			name += strlen(prefixes[i]);
	m = protobuf_c_service_descriptor_get_method_by_name(call_service,
	    name);
	if (m != NULL)
		return m;
	call_nearest(name, near, sizeof(near));
	call_refuse("gloss.v1.Gloss has no method '%s'%s (gloss call "
	            "--list lists them)",
	    name, near);
}

/* The oneof arm of `envelope` (Request or Reply) that carries a message
 * of type `body`; exits if there is none (test_service sees to it). */
static const ProtobufCFieldDescriptor *
call_arm(const ProtobufCMessageDescriptor *envelope,
    const ProtobufCMessageDescriptor *body)
{
	for (unsigned i = 0; i < envelope->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &envelope->fields[i];
		if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
		    f->descriptor == body)
			return f;
	}
	cli_die("%s has no arm for %s: gloss.proto's service and its "
	        "envelope disagree",
	    envelope->name, body->name);
}

static void
call_list(void)
{
	for (unsigned i = 0; i < call_service->n_methods; i++)
		printf("%s\n", call_service->methods[i].name);
}

/* ------------------------------------------------------------ describe */

struct call_types {
	const void *d[CALL_TYPES_MAX]; /* message or enum descriptors */
	size_t n;
};

static void
call_types_add(struct call_types *t, const void *d)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->d[i] == d)
			return;
	if (t->n < CALL_TYPES_MAX)
		t->d[t->n++] = d;
}

static const char *
call_scalar_name(ProtobufCType type)
{
	static const char *const names[] = {
		[PROTOBUF_C_TYPE_INT32] = "int32",
		[PROTOBUF_C_TYPE_SINT32] = "sint32",
		[PROTOBUF_C_TYPE_SFIXED32] = "sfixed32",
		[PROTOBUF_C_TYPE_INT64] = "int64",
		[PROTOBUF_C_TYPE_SINT64] = "sint64",
		[PROTOBUF_C_TYPE_SFIXED64] = "sfixed64",
		[PROTOBUF_C_TYPE_UINT32] = "uint32",
		[PROTOBUF_C_TYPE_FIXED32] = "fixed32",
		[PROTOBUF_C_TYPE_UINT64] = "uint64",
		[PROTOBUF_C_TYPE_FIXED64] = "fixed64",
		[PROTOBUF_C_TYPE_FLOAT] = "float",
		[PROTOBUF_C_TYPE_DOUBLE] = "double",
		[PROTOBUF_C_TYPE_BOOL] = "bool",
		[PROTOBUF_C_TYPE_STRING] = "string",
		[PROTOBUF_C_TYPE_BYTES] = "bytes",
	};

	return (size_t)type < sizeof(names) / sizeof(*names) && names[type]
	           ? names[type]
	           : "?";
}

/* A field's type as .proto writes it, in out; the types it names are
 * added to t, to be described after. */
static void
call_type(const ProtobufCFieldDescriptor *f, struct call_types *t, char *out,
    size_t size)
{
	const ProtobufCMessageDescriptor *e;
	char k[64], v[64];

	if (json_is_map(f)) {
		e = f->descriptor;
		call_type(&e->fields[0], t, k, sizeof(k));
		call_type(&e->fields[1], t, v, sizeof(v));
		snprintf(out, size, "map<%s, %s>", k, v);
	} else if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
		call_types_add(t, f->descriptor);
		snprintf(out, size, "%s",
		    ((const ProtobufCMessageDescriptor *)f->descriptor)
		        ->short_name);
	} else if (f->type == PROTOBUF_C_TYPE_ENUM) {
		call_types_add(t, f->descriptor);
		snprintf(out, size, "%s",
		    ((const ProtobufCEnumDescriptor *)f->descriptor)
		        ->short_name);
	} else
		snprintf(out, size, "%s", call_scalar_name(f->type));
}

static void
call_field(const ProtobufCFieldDescriptor *f, struct call_types *t,
    const char *indent)
{
	char type[160], json[128];

	call_type(f, t, type, sizeof(type));
	json_name(f->name, json, sizeof(json));
	printf("%s%s%s %s = %u;", indent,
	    f->label == PROTOBUF_C_LABEL_REPEATED && !json_is_map(f)
	        ? "repeated "
	    : f->label == PROTOBUF_C_LABEL_OPTIONAL ? "optional "
	                                            : "",
	    type, f->name, f->id);
	if (strcmp(json, f->name) != 0)
		printf("  // JSON: %s", json);
	putchar('\n');
}

static void
call_message(const ProtobufCMessageDescriptor *d, struct call_types *t)
{
	unsigned oneof = 0; /* the quantifier of the oneof being listed */

	printf("message %s {\n", d->short_name);
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		bool member = f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF;
		if (oneof != 0 && (!member || f->quantifier_offset != oneof)) {
			printf("  }\n");
			oneof = 0;
		}
		if (member && oneof == 0) {
			printf("  oneof {  // at most one of these\n");
			oneof = f->quantifier_offset;
		}
		call_field(f, t, member ? "    " : "  ");
	}
	fputs(oneof != 0 ? "  }\n}\n" : "}\n", stdout);
}

static void
call_enum(const ProtobufCEnumDescriptor *e)
{
	printf("enum %s {\n", e->short_name);
	for (unsigned i = 0; i < e->n_values; i++)
		printf("  %s = %d;\n", e->values[i].name, e->values[i].value);
	printf("}\n");
}

static void
call_describe(const ProtobufCMethodDescriptor *m)
{
	struct call_types t = { { NULL }, 0 };

	printf("rpc %s(%s) returns (%s)\n", m->name, m->input->short_name,
	    m->output->short_name);
	call_types_add(&t, m->input);
	call_types_add(&t, m->output);
	for (size_t i = 0; i < t.n; i++) {
		putchar('\n');
		if (((const ProtobufCMessageDescriptor *)t.d[i])->magic ==
		    PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC)
			call_message(t.d[i], &t);
		else
			call_enum(t.d[i]);
	}
}

/* ------------------------------------------------------------ call */

/* The request's JSON: the argument, standard input for "-", or "{}". */
static char *
call_read(const char *arg, size_t *n)
{
	size_t cap = 1 << 16, k;
	char *buf;

	if (arg == NULL || strcmp(arg, "-") != 0) {
		*n = strlen(arg != NULL ? arg : "{}");
		return strdup(arg != NULL ? arg : "{}");
	}
	if ((buf = malloc(cap)) == NULL)
		cli_die("out of memory");
	for (*n = 0;; *n += k) {
		if (*n == cap) {
			if (cap >= CALL_JSON_MAX)
				cli_die("the request on standard input is over "
				        "%zu MiB",
				    CALL_JSON_MAX >> 20);
			if ((buf = realloc(buf, cap *= 2)) == NULL)
				cli_die("out of memory");
		}
		if ((k = fread(buf + *n, 1, cap - *n, stdin)) == 0)
			break;
	}
	if (ferror(stdin))
		cli_die("cannot read standard input: %s", strerror(errno));
	return buf;
}

/* The response in the reply's arm, printed. */
static void
call_print(const struct cli *cli, const Gloss__V1__Reply *r)
{
	const ProtobufCFieldDescriptor *arm =
	    protobuf_c_message_descriptor_get_field(
	        &gloss__v1__reply__descriptor, r->body_case);
	const ProtobufCMessage *m = NULL;

	if (arm != NULL)
		m = *(ProtobufCMessage *const *)((const char *)r + arm->offset);
	if (m == NULL) {
		fputs("{}\n", stdout);
		return;
	}
	if (json_fprint(stdout, m,
	        JSON_ESCAPE_LS | (cli->json ? 0 : JSON_INDENT)) != 0 ||
	    fputc('\n', stdout) == EOF)
		cli_die("cannot write to standard output: %s", strerror(errno));
}

static int
call_run(struct cli *cli, const ProtobufCMethodDescriptor *m, const char *arg)
{
	const ProtobufCFieldDescriptor *arm =
	    call_arm(&gloss__v1__request__descriptor, m->input);
	Gloss__V1__Request q = GLOSS__V1__REQUEST__INIT;
	struct json_error err;
	ProtobufCMessage *body;
	Gloss__V1__Reply *r;
	size_t n;
	char *text = call_read(arg, &n);

	body = json_parse(m->input, text, n, NULL, NULL, &err);
	free(text);
	if (body == NULL)
		call_refuse("bad request JSON at line %zu, column %zu: %s",
		    err.line, err.column, err.message);
	*(uint32_t *)(void *)((char *)&q + arm->quantifier_offset) = arm->id;
	*(ProtobufCMessage **)(void *)((char *)&q + arm->offset) = body;
	r = cli_call(cli, &q);
	protobuf_c_message_free_unpacked(body, NULL);
	if (r == NULL)
		return 1;
	call_print(cli, r);
	rpc_reply_free(r);
	return 0;
}

int
cmd_call(struct cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = { CLI_COMMON_OPTIONS,
		{ "list", no_argument, NULL, CALL_OPT_LIST },
		{ "describe", required_argument, NULL, CALL_OPT_DESCRIBE },
		{ NULL, 0, NULL, 0 } };
	const char *describe = NULL;
	bool list = false;
	int ch;

	while ((ch = cli_getopt(cli, &call_verb, argc, argv, "h", longopts)) !=
	       -1) {
		if (ch == CALL_OPT_LIST)
			list = true;
		else if (ch == CALL_OPT_DESCRIBE)
			describe = optarg;
	}
	if ((list || describe != NULL) && optind < argc)
		cli_usage_die(&call_verb, "unexpected '%s'", argv[optind]);
	if (list && describe != NULL)
		cli_usage_die(&call_verb, "--list or --describe, not both");
	if (list) {
		call_list();
		return 0;
	}
	if (describe != NULL) {
		call_describe(call_method(describe));
		return 0;
	}
	if (optind >= argc || argc - optind > 2)
		cli_usage_die(&call_verb, optind >= argc
		                              ? "which method?"
		                              : "one method and one request");
	return call_run(cli, call_method(argv[optind]), argv[optind + 1]);
}
