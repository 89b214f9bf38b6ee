/* Unit tests of the small pure modules: key, wire, page, status, reason,
 * call. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "auth.h"
#include "call.h"
#include "hash.h"
#include "key.h"
#include "page.h"
#include "reason.h"
#include "stats.h"
#include "status.h"
#include "text.h"
#include "valid.h"
#include "wire.h"

static void
test_key_u64_orders_numerically(void **state)
{
	uint8_t a[8], b[8];

	(void)state;
	key_put_u64(a, 255);
	key_put_u64(b, 256);
	assert_true(memcmp(a, b, 8) < 0);
	assert_int_equal(key_get_u64(a), 255);
	key_put_u64(a, UINT64_MAX);
	assert_true(key_get_u64(a) == UINT64_MAX);
	key_put_u64(a, 0x0102030405060708ULL);
	assert_memory_equal(a, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
}

static void
test_key_pair(void **state)
{
	uint8_t k[KEY_MAX], big[KEY_MAX];
	size_t n, second;

	(void)state;
	n = key_pair(k, "pt", 2, "art-1", 5);
	assert_int_equal(n, 8);
	assert_memory_equal(k, "pt\0art-1", 8);
	assert_int_equal(key_split(k, n, &second), 0);
	assert_int_equal(second, 3);
	/* The prefix of all of a language's keys. */
	assert_int_equal(key_pair(k, "pt", 2, NULL, 0), 3);
	/* "pt" sorts before "pt-BR": the NUL keeps languages apart. */
	uint8_t k2[KEY_MAX];
	size_t n2 = key_pair(k2, "pt-BR", 5, "a", 1);
	assert_true(memcmp(k, k2, n < n2 ? n : n2) < 0);
	memset(big, 'x', sizeof(big));
	assert_int_equal(key_pair(k, (char *)big, 400, (char *)big, 200), 0);
	assert_int_equal(key_split((const uint8_t *)"abc", 3, &second), -1);
}

/* Request{get_article{id: "é"}}: fields 18 > 1. */
static void
test_wire_accepts_valid(void **state)
{
	static const uint8_t req[] = { 0x92, 0x01, 0x04, 0x0a, 0x02, 0xc3,
		0xa9 };
	struct wire_error e;

	(void)state;
	assert_int_equal(wire_check(&gloss__v1__request__descriptor, req,
	                     sizeof(req), &e),
	    WIRE_OK);
	assert_int_equal(wire_check(&gloss__v1__request__descriptor, req, 0,
	                     &e),
	    WIRE_OK);
}

static void
test_wire_finds_bad_text(void **state)
{
	static const uint8_t req[] = { 0x92, 0x01, 0x05, 0x0a, 0x03, 'a', 0xc3,
		0x28 };
	static const uint8_t nul[] = { 0x92, 0x01, 0x04, 0x0a, 0x02, 'a', 0 };
	struct wire_error e;

	(void)state;
	assert_int_equal(wire_check(&gloss__v1__request__descriptor, req,
	                     sizeof(req), &e),
	    WIRE_BAD_TEXT);
	assert_string_equal(e.path, "get_article.id");
	assert_int_equal(e.text_at, 1);
	assert_int_equal(wire_check(&gloss__v1__request__descriptor, nul,
	                     sizeof(nul), &e),
	    WIRE_BAD_TEXT);
	assert_int_equal(e.text_at, 1);
}

static void
test_wire_finds_unknown_and_malformed(void **state)
{
	static const uint8_t top[] = { 0x9a, 0x06, 0x00 }; /* field 99 */
	static const uint8_t inner[] = { 0x92, 0x01, 0x02, 0x48, 0x01 };
	static const uint8_t cut[] = { 0x92, 0x01, 0x09, 0x0a };
	static const uint8_t group[] = { 0x0b };
	struct wire_error e;

	(void)state;
	assert_int_equal(wire_check(&gloss__v1__request__descriptor, top,
	                     sizeof(top), &e),
	    WIRE_UNKNOWN_FIELD);
	assert_int_equal(e.field, 99);
	assert_int_equal(e.depth, 0);
	assert_int_equal(wire_check(&gloss__v1__request__descriptor, inner,
	                     sizeof(inner), &e),
	    WIRE_UNKNOWN_FIELD);
	assert_int_equal(e.field, 9);
	assert_int_equal(e.depth, 1);
	assert_string_equal(e.path, "get_article");
	assert_int_equal(wire_check(&gloss__v1__request__descriptor, cut,
	                     sizeof(cut), &e),
	    WIRE_MALFORMED);
	assert_int_equal(wire_check(&gloss__v1__request__descriptor, group,
	                     sizeof(group), &e),
	    WIRE_MALFORMED);
}

static void
test_status_names_match_the_proto(void **state)
{
	(void)state;
	for (int code = 0; code <= 16; code++) {
		const ProtobufCEnumValue *v =
		    protobuf_c_enum_descriptor_get_value(
		        &gloss__v1__code__descriptor, code);
		assert_non_null(v);
		assert_string_equal(status_name((enum status)code), v->name);
	}
	assert_string_equal(status_name(STATUS_ABORTED), "ABORTED");
}

static struct call_env page_env;

static void
test_page_tokens(void **state)
{
	struct call c;
	const char *last, *tok;
	size_t n, size;

	(void)state;
	memset(page_env.page_secret, 7, sizeof(page_env.page_secret));
	call_init(&c, &page_env, 1 << 20);
	tok = page_token_make(&c, "q1", "art-7", 5);
	assert_non_null(tok);
	assert_int_equal(page_token_read(&c, tok, "q1", &last, &n), STATUS_OK);
	assert_int_equal(n, 5);
	assert_string_equal(last, "art-7");
	/* Another query, a flipped character, junk: all refused. */
	assert_int_equal(page_token_read(&c, tok, "q2", &last, &n),
	    STATUS_INVALID_ARGUMENT);
	char *bad = call_strndup(&c, tok, strlen(tok));
	bad[strlen(bad) - 1] = bad[strlen(bad) - 1] == 'A' ? 'B' : 'A';
	assert_int_equal(page_token_read(&c, bad, "q1", &last, &n),
	    STATUS_INVALID_ARGUMENT);
	assert_int_equal(page_token_read(&c, "!!", "q1", &last, &n),
	    STATUS_INVALID_ARGUMENT);
	assert_int_equal(page_token_read(&c, "", "q1", &last, &n), STATUS_OK);
	assert_int_equal(n, 0);
	assert_int_equal(page_size(&c, 0, &size), STATUS_OK);
	assert_int_equal(size, PAGE_SIZE_DEFAULT);
	assert_int_equal(page_size(&c, 5000, &size), STATUS_OK);
	assert_int_equal(size, PAGE_SIZE_MAX);
	assert_int_equal(page_size(&c, -1, &size), STATUS_INVALID_ARGUMENT);
	call_fini(&c);
}

static void
test_call_arena_budget(void **state)
{
	struct call c;

	(void)state;
	call_init(&c, &page_env, 64 * 1024);
	assert_non_null(call_alloc(&c, 1000));
	assert_non_null(call_alloc(&c, 40 * 1024));
	assert_null(call_alloc(&c, 64 * 1024)); /* over budget */
	assert_int_equal(call_error(&c, STATUS_NOT_FOUND, "no article '%s'",
	                     "x"),
	    STATUS_NOT_FOUND);
	assert_string_equal(c.status.message, "no article 'x'");
	assert_int_equal(call_status(&c), STATUS_NOT_FOUND);
	call_reset_reply(&c);
	assert_int_equal(call_status(&c), STATUS_OK);
	call_fini(&c);
}

/* Every Reason of the .proto has its code (a reason added without a row
 * in reason.c would answer INTERNAL), and the codes a store failure has
 * get a reason of their own. */
static void
test_reasons_have_codes(void **state)
{
	const ProtobufCEnumDescriptor *d = &gloss__v1__reason__descriptor;
	static const enum status generic[] = { STATUS_INVALID_ARGUMENT,
		STATUS_NOT_FOUND, STATUS_ALREADY_EXISTS,
		STATUS_RESOURCE_EXHAUSTED, STATUS_DATA_LOSS, STATUS_UNAVAILABLE,
		STATUS_INTERNAL, STATUS_DEADLINE_EXCEEDED,
		STATUS_OUT_OF_RANGE };

	(void)state;
	assert_true(d->n_values > 50);
	for (unsigned i = 0; i < d->n_values; i++) {
		Gloss__V1__Reason r = (Gloss__V1__Reason)d->values[i].value;
		enum status s = reason_code(r);
		if (r == REASON(REASON_UNSPECIFIED) ||
		    r == REASON(INTERNAL_ERROR))
			continue;
		if (s == STATUS_INTERNAL || s == STATUS_OK)
			fail_msg("reason %s has no code", d->values[i].name);
	}
	assert_int_equal(reason_code(REASON(QUOTE_AMBIGUOUS)),
	    STATUS_INVALID_ARGUMENT);
	assert_int_equal(reason_code(REASON(STALE_ETAG)), STATUS_ABORTED);
	assert_int_equal(reason_code(REASON(SEQ_PAST_END)),
	    STATUS_OUT_OF_RANGE);
	assert_int_equal(reason_code((Gloss__V1__Reason)9999), STATUS_INTERNAL);
	for (size_t i = 0; i < sizeof(generic) / sizeof(*generic); i++)
		assert_int_equal(reason_code(reason_of_status(generic[i])),
		    generic[i]);
}

/* call_fail() sets the reason's code; a message of any bytes and length
 * comes out valid UTF-8 of at most CALL_MESSAGE_MAX bytes, cut between
 * characters, its field's description with it; a new error replaces the
 * old one's details. */
static void
test_call_message_bounds(void **state)
{
	static char big[3 * CALL_MESSAGE_MAX];
	struct call c;
	size_t n, bad;

	(void)state;
	for (n = 0; n + 4 < sizeof(big); n += 4)
		memcpy(big + n, "\xf0\x9f\x91\x8d", 4); /* 👍 */
	big[n] = '\0';
	big[10] = '\xff'; /* broken */
	call_init(&c, &page_env, 1 << 20);
	assert_int_equal(call_fail(&c, REASON(LABEL_UNKNOWN), "entity.label",
	                     "%s", big),
	    STATUS_INVALID_ARGUMENT);
	assert_int_equal(c.status.reason, REASON(LABEL_UNKNOWN));
	n = strlen(c.status.message);
	assert_true(n <= CALL_MESSAGE_MAX);
	assert_true(text_utf8_check(c.status.message, n, &bad));
	assert_string_equal(c.status.details[0]->field, "entity.label");
	assert_ptr_equal(c.status.details[0]->description, c.status.message);
	call_meta(&c, "label", "%s", "ترامب");
	assert_int_equal(c.status.n_metadata, 1);
	assert_int_equal(call_error(&c, STATUS_RESOURCE_EXHAUSTED, "full"),
	    STATUS_RESOURCE_EXHAUSTED);
	assert_int_equal(c.status.reason, REASON(STORAGE_FULL));
	assert_int_equal(c.status.n_metadata, 0);
	assert_int_equal(c.status.n_details, 0);
	call_set_message(&c, big);
	n = strlen(c.status.message);
	assert_true(n <= CALL_MESSAGE_MAX &&
	            text_utf8_check(c.status.message, n, &bad));
	call_fini(&c);
}

/* WMT's MQM weights (docs/standards.md §1.1). */
static void
test_mqm_weights(void **state)
{
	(void)state;
	assert_true(stats_mqm_weight("accuracy/mistranslation", "major") == 5);
	assert_true(stats_mqm_weight("accuracy/mistranslation", "minor") == 1);
	assert_true(stats_mqm_weight("fluency/punctuation", "minor") == 0.1);
	assert_true(stats_mqm_weight("fluency/punctuation", "major") == 5);
	assert_true(stats_mqm_weight("non-translation", "major") == 25);
	assert_true(stats_mqm_weight("source-error", "major") == 0);
	assert_true(stats_mqm_weight("terminology", "neutral") == 0);
	assert_true(stats_mqm_weight("style/awkward", "critical") == 10);
}

/*
 * "author accepts U+202E and U+2028": an author (and a user's name) is
 * 1-64 bytes of UTF-8 without controls, bidirectional controls or line
 * separators; names in every script, joiners included, stay valid.
 */
static void
test_authors_are_clean(void **state)
{
	static const char *const good[] = { "ana", "Zoë", "ترامب",
		"می\u200cخواهم", "李雷", "o'brien", "a b", "ana_محمد",
		"Дмитрий", "ana2", "👩\u200d💻" };
	static const char *const bad[] = { "", "ana\u202e", "\u202dx",
		"a\u202ab", "\u200eana", "ana\u200f", "a\u061cb",
		"\u2066x\u2069", "x\u2067", "x\u2068", "line\u2028break",
		"para\u2029", "tab\tx", "del\x7f", "c1\xc2\x85", "\xff\xfe",
		/* lookalikes the attack found: an invisible, edge spaces,
		 * a Cyrillic letter in a Latin name, NBSP, two spaces */
		"u_\u200breader", "u_reader ", " ana", "u_re\u0430der",
		"ana\u00a0b", "a  b", "a\u2060b", "\ue000",
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		"aaa" };

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++)
		if (!valid_author(good[i]))
			fail_msg("author '%s' refused", good[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		if (valid_author(bad[i]))
			fail_msg("bad author %zu ('%s') accepted", i, bad[i]);
}

/* A token: gls_, 16 hex of id, _, 40 hex (160 bits) of secret; the
 * stored hash is of the secret; two tokens differ. */
static void
test_tokens(void **state)
{
	char t1[AUTH_TOKEN_CHARS + 1], t2[AUTH_TOKEN_CHARS + 1];
	char id[AUTH_ID_CHARS + 1], id2[AUTH_ID_CHARS + 1];
	uint8_t h[32], h2[32], want[32];

	(void)state;
	assert_int_equal(auth_token_new(t1, id, h), 0);
	assert_int_equal(auth_token_new(t2, id2, h2), 0);
	assert_int_equal(strlen(t1), AUTH_TOKEN_CHARS);
	assert_true(AUTH_SECRET_CHARS * 4 >= 128);
	assert_memory_equal(t1, "gls_", 4);
	assert_memory_equal(t1 + 4, id, AUTH_ID_CHARS);
	assert_int_equal(t1[4 + AUTH_ID_CHARS], '_');
	assert_int_equal(strspn(t1 + 4, "0123456789abcdef_"),
	    AUTH_TOKEN_CHARS - 4);
	hash_sha256(t1 + 5 + AUTH_ID_CHARS, AUTH_SECRET_CHARS, want);
	assert_memory_equal(h, want, 32);
	assert_string_not_equal(t1, t2);
	assert_string_not_equal(id, id2);
	assert_int_equal(auth_role_parse("annotator"),
	    GLOSS__V1__ROLE__ROLE_ANNOTATOR);
	assert_int_equal(auth_role_parse("ROLE_ADMIN"),
	    GLOSS__V1__ROLE__ROLE_ADMIN);
	assert_int_equal(auth_role_parse("root"),
	    GLOSS__V1__ROLE__ROLE_UNSPECIFIED);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_u64_orders_numerically),
		cmocka_unit_test(test_key_pair),
		cmocka_unit_test(test_wire_accepts_valid),
		cmocka_unit_test(test_wire_finds_bad_text),
		cmocka_unit_test(test_wire_finds_unknown_and_malformed),
		cmocka_unit_test(test_status_names_match_the_proto),
		cmocka_unit_test(test_page_tokens),
		cmocka_unit_test(test_call_arena_budget),
		cmocka_unit_test(test_reasons_have_codes),
		cmocka_unit_test(test_call_message_bounds),
		cmocka_unit_test(test_mqm_weights),
		cmocka_unit_test(test_authors_are_clean),
		cmocka_unit_test(test_tokens),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
