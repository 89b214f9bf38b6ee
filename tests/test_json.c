/* Unit tests of the JSON codec (proto/json.h): gloss.v1 messages printed as,
 * and parsed from, the proto3 JSON mapping; the errors, where they point,
 * and what the parser leaves allocated (nothing, when it fails). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gloss/v1/gloss.pb-c.h"
#include "json.h"

/* m as JSON, in a buffer the caller frees. */
static char *
to_json_flags(const ProtobufCMessage *m, unsigned flags)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);

	assert_non_null(f);
	assert_int_equal(json_fprint(f, m, flags), 0);
	fclose(f);
	return buf;
}

static char *
to_json(const ProtobufCMessage *m)
{
	return to_json_flags(m, JSON_ESCAPE_LS);
}

/* An allocator that counts what is outstanding, and fails every
 * allocation after `budget` of them (SIZE_MAX: never). */
struct counting {
	size_t live, allocs, budget;
};

static void *
counting_alloc(void *arg, size_t n)
{
	struct counting *c = arg;

	if (c->allocs >= c->budget)
		return NULL;
	c->allocs++;
	c->live++;
	return malloc(n);
}

static void
counting_free(void *arg, void *p)
{
	struct counting *c = arg;

	if (p != NULL)
		c->live--;
	free(p);
}

static ProtobufCMessage *
parse(const ProtobufCMessageDescriptor *d, const char *s,
    struct json_error *err)
{
	return json_parse(d, s, strlen(s), NULL, NULL, err);
}

/* ------------------------------------------------------------ printing */

static void
test_article(void **state)
{
	Gloss__V1__Article a = GLOSS__V1__ARTICLE__INIT;
	Gloss__V1__Article__MetadataEntry e1 =
	    GLOSS__V1__ARTICLE__METADATA_ENTRY__INIT;
	Gloss__V1__Article__MetadataEntry e2 =
	    GLOSS__V1__ARTICLE__METADATA_ENTRY__INIT;
	Gloss__V1__Article__MetadataEntry *meta[] = { &e1, &e2 };
	char *out;

	(void)state;
	a.id = (char *)"a1";
	a.language = (char *)"ar";
	a.text = (char *)"\"q\" \\ \n\t\x01 نص 👍🏽\xe2\x80\xa8\x7f";
	a.char_count = 12;
	a.revision = 18446744073709551615ULL;
	a.create_time_ms = -5;
	a.state = GLOSS__V1__STATE__STATE_DELETED;
	e1.key = (char *)"source";
	e1.value = (char *)"npr";
	e2.key = (char *)"k\"";
	e2.value = (char *)"";
	a.metadata = meta;
	a.n_metadata = 2;
	out = to_json(&a.base);
	assert_string_equal(out,
	    "{\"id\":\"a1\",\"language\":\"ar\","
	    "\"metadata\":{\"source\":\"npr\",\"k\\\"\":\"\"},"
	    "\"text\":\"\\\"q\\\" \\\\ \\n\\t\\u0001 نص "
	    "👍🏽\\u2028\\u007f\","
	    "\"charCount\":12,\"state\":\"STATE_DELETED\","
	    "\"revision\":\"18446744073709551615\",\"createTimeMs\":\"-5\"}");
	free(out);
	/* Without JSON_ESCAPE_LS (the export), U+2028 is written as is. */
	out = to_json_flags(&a.base, 0);
	assert_non_null(strstr(out, "👍🏽\xe2\x80\xa8\\u007f\""));
	free(out);
}

static void
test_defaults_and_oneof(void **state)
{
	Gloss__V1__Reply r = GLOSS__V1__REPLY__INIT;
	Gloss__V1__Status st = GLOSS__V1__STATUS__INIT;
	Gloss__V1__GetServerInfoRequest empty =
	    GLOSS__V1__GET_SERVER_INFO_REQUEST__INIT;
	Gloss__V1__Request q = GLOSS__V1__REQUEST__INIT;
	char *out;

	(void)state;
	out = to_json(&r.base);
	assert_string_equal(out, "{}");
	free(out);
	st.code = GLOSS__V1__CODE__NOT_FOUND;
	st.message = (char *)"no article 'x'";
	r.status = &st;
	out = to_json(&r.base);
	assert_string_equal(out, "{\"status\":{\"code\":\"NOT_FOUND\","
	                         "\"message\":\"no article 'x'\"}}");
	free(out);
	/* A set oneof arm prints even when its message is empty. */
	q.body_case = GLOSS__V1__REQUEST__BODY_GET_SERVER_INFO;
	q.get_server_info = &empty;
	q.timeout_ms = 250;
	out = to_json(&q.base);
	assert_string_equal(out, "{\"timeoutMs\":250,\"getServerInfo\":{}}");
	free(out);
}

static void
test_repeated_and_bytes(void **state)
{
	Gloss__V1__GetServerInfoResponse r =
	    GLOSS__V1__GET_SERVER_INFO_RESPONSE__INIT;
	Gloss__V1__DatabaseStats d1 = GLOSS__V1__DATABASE_STATS__INIT;
	Gloss__V1__DatabaseStats *dbs[] = { &d1, &d1 };
	char *listen[] = { (char *)"ipc:///a", (char *)"tcp://127.0.0.1:1" };
	Gloss__V1__AppliedRequest ar = GLOSS__V1__APPLIED_REQUEST__INIT;
	char *out;

	(void)state;
	d1.name = (char *)"articles";
	d1.entries = 3;
	r.databases = dbs;
	r.n_databases = 2;
	r.listen = listen;
	r.n_listen = 2;
	out = to_json(&r.base);
	assert_string_equal(out,
	    "{\"listen\":[\"ipc:///a\",\"tcp://127.0.0.1:1\"],\"databases\":"
	    "[{\"name\":\"articles\",\"entries\":\"3\"},"
	    "{\"name\":\"articles\",\"entries\":\"3\"}]}");
	free(out);
	ar.reply.data = (uint8_t *)"gloss";
	ar.reply.len = 5;
	ar.body_sha256.data = (uint8_t *)"\xff\xfe";
	ar.body_sha256.len = 2;
	out = to_json(&ar.base);
	assert_string_equal(out,
	    "{\"bodySha256\":\"//4=\",\"reply\":\"Z2xvc3M=\"}");
	free(out);
}

/* JSON_INDENT: a member a line, two spaces a level; empty objects and
 * arrays stay on one line. */
static void
test_indent(void **state)
{
	Gloss__V1__ListLabelsResponse r = GLOSS__V1__LIST_LABELS_RESPONSE__INIT;
	Gloss__V1__LabelSet set = GLOSS__V1__LABEL_SET__INIT;
	Gloss__V1__Label l1 = GLOSS__V1__LABEL__INIT,
	                 l2 = GLOSS__V1__LABEL__INIT;
	Gloss__V1__LabelSet *sets[] = { &set };
	Gloss__V1__Label *labels[] = { &l1, &l2 };
	Gloss__V1__Request q = GLOSS__V1__REQUEST__INIT;
	Gloss__V1__GetServerInfoRequest gi =
	    GLOSS__V1__GET_SERVER_INFO_REQUEST__INIT;
	char *out;

	(void)state;
	set.name = (char *)"entity";
	l1.name = (char *)"PERSON";
	l1.builtin = 1;
	l2.name = (char *)"ORG";
	set.labels = labels;
	set.n_labels = 2;
	r.sets = sets;
	r.n_sets = 1;
	out = to_json_flags(&r.base, JSON_INDENT);
	assert_string_equal(out, "{\n"
	                         "  \"sets\": [\n"
	                         "    {\n"
	                         "      \"name\": \"entity\",\n"
	                         "      \"labels\": [\n"
	                         "        {\n"
	                         "          \"name\": \"PERSON\",\n"
	                         "          \"builtin\": true\n"
	                         "        },\n"
	                         "        {\n"
	                         "          \"name\": \"ORG\"\n"
	                         "        }\n"
	                         "      ]\n"
	                         "    }\n"
	                         "  ]\n"
	                         "}");
	free(out);
	q.body_case = GLOSS__V1__REQUEST__BODY_GET_SERVER_INFO;
	q.get_server_info = &gi;
	out = to_json_flags(&q.base, JSON_INDENT);
	assert_string_equal(out, "{\n  \"getServerInfo\": {}\n}");
	free(out);
}

/* Doubles in the fewest digits that read back the same; NaN and the
 * infinities as proto3's strings. */
static void
test_doubles(void **state)
{
	static const struct {
		double v;
		const char *json;
	} cases[] = {
		{ 0.1, "{\"score\":0.1}" },
		{ 2.5, "{\"score\":2.5}" },
		{ 1.0 / 3, "{\"score\":0.3333333333333333}" },
		{ 1e300, "{\"score\":1e+300}" },
		{ -7, "{\"score\":-7}" },
		{ NAN, "{\"score\":\"NaN\"}" },
		{ INFINITY, "{\"score\":\"Infinity\"}" },
		{ -INFINITY, "{\"score\":\"-Infinity\"}" },
	};
	Gloss__V1__MqmScore m = GLOSS__V1__MQM_SCORE__INIT, *back;
	struct json_error err;
	char *out;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		m.score = cases[i].v;
		out = to_json(&m.base);
		assert_string_equal(out, cases[i].json);
		back = (Gloss__V1__MqmScore *)
		    parse(&gloss__v1__mqm_score__descriptor, out, &err);
		assert_non_null(back);
		assert_true(isnan(m.score) ? isnan(back->score)
		                           : back->score == m.score);
		protobuf_c_message_free_unpacked(&back->base, NULL);
		free(out);
	}
}

/* ------------------------------------------------------------ parsing */

/* Every kind of field, printed, parsed back and printed again: the same
 * message (packed), the same bytes. */
static void
test_round_trip(void **state)
{
	static const char *const lines[] = {
		"{\"header\":{\"format\":\"gloss.v1.jsonl\",\"version\":2,"
		"\"asOfSeq\":\"27\",\"complete\":true,\"kind\":\"KIND_NOTE\"}}",
		"{\"annotation\":{\"id\":\"18446744073709551615\","
		"\"articleId\":\"a\",\"spans\":[{\"byteEnd\":4,"
		"\"charEnd\":2,\"exact\":\"نص\"},{\"byteStart\":9,"
		"\"byteEnd\":12}],\"factCorrection\":"
		"{\"claim\":\"x\",\"evidence\":[{\"url\":\"https://e.org/\"},"
		"{\"articleId\":\"b\",\"span\":{\"byteStart\":1,"
		"\"byteEnd\":2}}]},"
		"\"kind\":\"KIND_FACT_CORRECTION\",\"state\":\"STATE_ACTIVE\","
		"\"createTimeMs\":\"-1\"}}",
		"{\"labelSet\":{\"name\":\"entity\",\"labels\":[{\"name\":"
		"\"A\","
		"\"builtin\":true},{\"name\":\"B\",\"description\":\"b\\n\"}]}"
		"}",
		"{\"article\":{\"id\":\"x\",\"metadata\":{\"k\":\"v\",\"\":"
		"\"\"},"
		"\"text\":\"\\u0001\\\"\\\\ 👍🏽\"}}",
	};
	struct json_error err;
	ProtobufCMessage *m;
	char *out;

	(void)state;
	for (size_t i = 0; i < sizeof(lines) / sizeof(*lines); i++) {
		m = parse(&gloss__v1__export_record__descriptor, lines[i],
		    &err);
		assert_non_null(m);
		out = to_json_flags(m, 0);
		assert_string_equal(out, lines[i]);
		free(out);
		protobuf_c_message_free_unpacked(m, NULL);
	}
}

/* What proto3's mapping lets a reader take beyond what it prints: proto
 * names, null, numbers in strings and in exponent form, enums by number,
 * base64 of either alphabet, padded or not, and white space anywhere. */
static void
test_parse_accepts(void **state)
{
	static const char text[] =
	    " {\n\t\"as_of_seq\" : \"7\", \"pageSize\": 1e2, \"kind\": 3,\n"
	    "  \"format\": null, \"label\": \"\\u00e9\\ud83d\\udc4d\\/\","
	    " \"page_bytes\": 4096.0 } \n";
	Gloss__V1__ExportRequest *q;
	Gloss__V1__AppliedRequest *ar;
	struct json_error err;

	(void)state;
	q = (Gloss__V1__ExportRequest *)
	    parse(&gloss__v1__export_request__descriptor, text, &err);
	assert_non_null(q);
	assert_int_equal(q->as_of_seq, 7);
	assert_int_equal(q->page_size, 100);
	assert_int_equal(q->kind, GLOSS__V1__KIND__KIND_TRANSLATION_NOTE);
	assert_string_equal(q->format, "");
	assert_string_equal(q->label, "é👍/");
	assert_int_equal(q->page_bytes, 4096);
	protobuf_c_message_free_unpacked(&q->base, NULL);
	ar = (Gloss__V1__AppliedRequest
	        *)parse(&gloss__v1__applied_request__descriptor,
	    "{\"bodySha256\":\"-_4\",\"reply\":\"Z2xvc3M\",\"timeMs\":\"-3\"}",
	    &err);
	assert_non_null(ar);
	assert_int_equal(ar->body_sha256.len, 2);
	assert_memory_equal(ar->body_sha256.data, "\xfb\xfe", 2);
	assert_int_equal(ar->reply.len, 5);
	assert_memory_equal(ar->reply.data, "gloss", 5);
	assert_int_equal(ar->time_ms, -3);
	protobuf_c_message_free_unpacked(&ar->base, NULL);
}

/* An alias names a field by an old name; without the table the old name
 * is unknown. */
static void
test_aliases(void **state)
{
	static const struct json_alias aliases[] = {
		{ &gloss__v1__article__descriptor, "body", "text" },
		{ &gloss__v1__article__descriptor, "gone", "no_such_field" },
		{ NULL, NULL, NULL },
	};
	static const char text[] = "{\"article\":{\"body\":\"t\"}}";
	Gloss__V1__ExportRecord *r;
	struct json_error err;

	(void)state;
	r = (Gloss__V1__ExportRecord *)
	    json_parse(&gloss__v1__export_record__descriptor, text,
	        strlen(text), NULL, aliases, &err);
	assert_non_null(r);
	assert_string_equal(r->article->text, "t");
	protobuf_c_message_free_unpacked(&r->base, NULL);
	assert_null(parse(&gloss__v1__export_record__descriptor, text, &err));
	assert_string_equal(err.field, "article");
	assert_null(json_parse(&gloss__v1__export_record__descriptor,
	    "{\"article\":{\"gone\":1}}", strlen("{\"article\":{\"gone\":1}}"),
	    NULL, aliases, &err));
}

/* Each refusal names the field, says why, and points at the place. */
static void
test_parse_refuses(void **state)
{
	static const struct {
		const char *text, *field, *why;
		size_t line, column;
	} bad[] = {
		{ "{\"article\":{\"id\":\"a\\u0000b\"}}", "article.id", "NUL",
		    1, 20 },
		{ "{\"article\":{\"id\":\"\\ud800\"}}", "article.id",
		    "lone high surrogate", 1, 19 },
		{ "{\"article\":{\"nope\":1}}", "article",
		    "gloss.v1.Article has no field 'nope'", 1, 13 },
		{ "{\"article\":{\"revison\":\"1\"}}", "article",
		    "did you mean 'revision'?", 1, 13 },
		{ "{\"article\":{\"revision\":\"-1\"}}", "article.revision",
		    "'-1' is not an unsigned 64-bit integer", 1, 24 },
		{ "{\"article\":{\"charCount\":4294967296}}",
		    "article.char_count", "is not an unsigned 32-bit", 1, 25 },
		{ "{\"article\":{\"charCount\":1.5}}", "article.char_count",
		    "'1.5' is not", 1, 25 },
		{ "{\"article\":{\"charCount\":01}}", "article.char_count",
		    "'01' is not", 1, 25 },
		{ "{\"article\":{\"state\":\"STATE_NEVER\"}}", "article.state",
		    "'STATE_NEVER' is not a value of gloss.v1.State: "
		    "STATE_UNSPECIFIED, STATE_ACTIVE or STATE_DELETED",
		    1, 21 },
		{ "{\"article\":{}} trailing", "", "text follows", 1, 16 },
		{ "{\"article\":{\"id\":\"unterminated}}", "article.id",
		    "does not end", 1, 18 },
		{ "{\"article\":{\"id\":\"a\",\"id\":\"b\"}}", "article",
		    "'id' is given twice", 1, 22 },
		{ "{\"article\":{},\"change\":{}}", "change",
		    "'article' and 'change' are both set", 1, 15 },
		{ "{\"article\":{\"id\":7}}", "article.id",
		    "a string was expected", 1, 18 },
		{ "{\"article\":{\"title\":\"\xff\"}}", "article.title",
		    "not UTF-8", 1, 22 },
		/* keys with an escape fail after it is decoded (the fuzzer
		 * found their copy leaked) */
		{ "{\"article\":{\"i\\u0064\\ud800\":1}}", "article",
		    "lone high surrogate", 1, 21 },
		{ "{\"article\":{\"i\\u0064\xff\":1}}", "article", "not UTF-8",
		    1, 13 },
		{ "{\"article\":{\"title\":\"a\tb\"}}", "article.title",
		    "control character", 1, 23 },
		{ "{\"labelSet\":{\"labels\":[{\"name\":\"x\"},{\"builtin\":1}]"
		  "}}",
		    "label_set.labels[1].builtin", "true or false", 1, 48 },
		{ "{\"article\":{\"metadata\":{\"k\":3}}}",
		    "article.metadata[\"k\"]", "a string was expected", 1, 29 },
		{ "{\n  \"article\": {\n    \"title\": \"نص\",\n"
		  "    \"nope\": 1\n  }\n}",
		    "article", "no field 'nope'", 4, 5 },
		{ "{\"article\":{\"title\":\"نصنص\" \"x\"}}", "article",
		    "',' or '}' was expected", 1, 28 },
		{ "", "", "an object (gloss.v1.ExportRecord) was expected", 1,
		    1 },
		{ "[]", "", "an object", 1, 1 },
	};
	struct json_error err;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		print_message("%s\n", bad[i].text);
		assert_null(parse(&gloss__v1__export_record__descriptor,
		    bad[i].text, &err));
		print_message("-> %zu:%zu %s\n", err.line, err.column,
		    err.message);
		assert_string_equal(err.field, bad[i].field);
		assert_non_null(strstr(err.message, bad[i].why));
		assert_int_equal(err.line, bad[i].line);
		assert_int_equal(err.column, bad[i].column);
		assert_false(err.oom);
	}
}

/* A message that holds itself, as no gloss.v1 message does: what the
 * depth limit is for. */
struct node {
	ProtobufCMessage base;
	struct node *child;
};

static const ProtobufCMessageDescriptor node_descriptor;

static const ProtobufCFieldDescriptor node_fields[1] = {
	{ "child", 1, PROTOBUF_C_LABEL_NONE, PROTOBUF_C_TYPE_MESSAGE, 0,
	    offsetof(struct node, child), &node_descriptor, NULL, 0, 0, NULL,
	    NULL },
};
static const unsigned node_by_name[] = { 0 };
static const ProtobufCIntRange node_ranges[] = { { 1, 0 }, { 0, 1 } };

static void
node_init(ProtobufCMessage *m)
{
	memset(m, 0, sizeof(struct node));
	m->descriptor = &node_descriptor;
}

static const ProtobufCMessageDescriptor node_descriptor = {
	PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC, "test.Node", "Node", "Node",
	"test", sizeof(struct node), 1, node_fields, node_by_name, 1,
	node_ranges, node_init, NULL, NULL, NULL
};

static void
test_depth(void **state)
{
	char text[1024];
	size_t n = 0;
	struct counting c = { 0, 0, SIZE_MAX };
	ProtobufCAllocator a = { counting_alloc, counting_free, &c };
	struct json_error err;
	ProtobufCMessage *m;

	(void)state;
	for (int depth = JSON_DEPTH_MAX; depth <= JSON_DEPTH_MAX + 1; depth++) {
		n = 0;
		for (int i = 1; i < depth; i++)
			n += (size_t)sprintf(text + n, "{\"child\":");
		n += (size_t)sprintf(text + n, "{}");
		for (int i = 1; i < depth; i++)
			text[n++] = '}';
		m = json_parse(&node_descriptor, text, n, &a, NULL, &err);
		if (depth <= JSON_DEPTH_MAX) {
			assert_non_null(m);
			protobuf_c_message_free_unpacked(m, &a);
		} else {
			assert_null(m);
			assert_non_null(strstr(err.message, "nested deeper"));
		}
		assert_int_equal(c.live, 0);
	}
}

/* Whatever the place a parse fails, and whenever the allocator gives
 * out, nothing it allocated is left; a parse that succeeds is freed whole
 * by protobuf-c. */
static void
test_parse_frees(void **state)
{
	static const char good[] =
	    "{\"annotation\":{\"articleId\":\"a\",\"spans\":[{\"exact\":\"x\"},"
	    "{},{},{},{},{\"exact\":\"\\u00e9\"}],\"select\":[{\"quote\":"
	    "{\"exact\":\"q\"}}],\"translationNote\":{\"comment\":\"c\"}}}";
	size_t n = strlen(good), allocs;
	struct counting c = { 0, 0, SIZE_MAX };
	ProtobufCAllocator a = { counting_alloc, counting_free, &c };
	struct json_error err;
	ProtobufCMessage *m;

	(void)state;
	m = json_parse(&gloss__v1__export_record__descriptor, good, n, &a, NULL,
	    &err);
	assert_non_null(m);
	allocs = c.allocs;
	protobuf_c_message_free_unpacked(m, &a);
	assert_int_equal(c.live, 0);
	/* Cut short anywhere: refused, nothing left. */
	for (size_t k = 0; k < n; k++) {
		assert_null(json_parse(&gloss__v1__export_record__descriptor,
		    good, k, &a, NULL, &err));
		assert_int_equal(c.live, 0);
	}
	/* The allocator failing at each allocation in turn. */
	for (size_t k = 0; k < allocs; k++) {
		c.allocs = 0;
		c.budget = k;
		assert_null(json_parse(&gloss__v1__export_record__descriptor,
		    good, n, &a, NULL, &err));
		assert_true(err.oom);
		assert_int_equal(c.live, 0);
	}
}

static void
test_names(void **state)
{
	char out[64];

	(void)state;
	json_name("create_time_ms", out, sizeof(out));
	assert_string_equal(out, "createTimeMs");
	json_name("score_per_100_words", out, sizeof(out));
	assert_string_equal(out, "scorePer100Words");
	json_name("utf16_start", out, sizeof(out));
	assert_string_equal(out, "utf16Start");
	json_name("create_time_ms", out, 7);
	assert_string_equal(out, "create");
	assert_int_equal(json_distance("GetArticle", "GetArticle"), 0);
	assert_int_equal(json_distance("get_article", "GetArticle"), 0);
	assert_int_equal(json_distance("GetArticel", "GetArticle"), 2);
	assert_int_equal(json_distance("ListArticle", "ListArticles"), 1);
	assert_int_equal(json_distance("", "abc"), 3);
	assert_true(json_is_map(&gloss__v1__article__descriptor.fields[4]));
	assert_false(json_is_map(&gloss__v1__article__descriptor.fields[0]));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_article),
		cmocka_unit_test(test_defaults_and_oneof),
		cmocka_unit_test(test_repeated_and_bytes),
		cmocka_unit_test(test_indent),
		cmocka_unit_test(test_doubles),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_parse_accepts),
		cmocka_unit_test(test_aliases),
		cmocka_unit_test(test_parse_refuses),
		cmocka_unit_test(test_depth),
		cmocka_unit_test(test_parse_frees),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
