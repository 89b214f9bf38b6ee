/* Unit tests of json.c: gloss.v1 messages in the proto3 JSON mapping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>

#include "gloss/v1/gloss.pb-c.h"
#include "json.h"

/* m as JSON, in a buffer the caller frees. */
static char *
to_json(const ProtobufCMessage *m)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);

	assert_non_null(f);
	assert_int_equal(json_print(f, m), 0);
	fclose(f);
	return buf;
}

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
	a.text = (char *)"\"q\" \\ \n\t\x01 نص 👍🏽\xe2\x80\xa8";
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
	    "\"text\":\"\\\"q\\\" \\\\ \\n\\t\\u0001 نص 👍🏽\\u2028\","
	    "\"charCount\":12,\"state\":\"STATE_DELETED\","
	    "\"revision\":\"18446744073709551615\",\"createTimeMs\":\"-5\"}");
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_article),
		cmocka_unit_test(test_defaults_and_oneof),
		cmocka_unit_test(test_repeated_and_bytes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
