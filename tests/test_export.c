/* Unit tests of export's pure parts: the page sink (cuts and resumes), the
 * JSON codec (json.h) through it and through the arena, ICU's boundaries,
 * the flat entities.  test_json tests the codec itself. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "call.h"
#include "export.h"

static struct call_env env;

static void
sink_init(struct call *c, struct export_out *o, size_t cap)
{
	memset(o, 0, sizeof(*o));
	o->call = c;
	o->cap = cap;
	o->total = cap + 4096;
	o->path = "";
	o->buf = call_alloc(c, cap);
	assert_non_null(o->buf);
}

/* The bytes of a page, chunks joined. */
static size_t
sink_data(const struct export_out *o, char *out)
{
	size_t n = 0;

	for (size_t i = 0; i < o->n_chunks; i++) {
		memcpy(out + n, o->chunks[i]->data.data,
		    o->chunks[i]->data.len);
		n += o->chunks[i]->data.len;
	}
	return n;
}

/* One piece cut by small pages, resumed at each cut, gives it whole. */
static void
test_sink_cuts_and_resumes(void **state)
{
	static const char piece[] = "0123456789abcdefghijklmnopqrstuvwxyz";
	char got[256], page[256];
	size_t n = 0, skip = 0, lskip = 0;
	struct call c;
	struct export_out o;

	(void)state;
	for (int pages = 0; pages < 20; pages++) {
		call_init(&c, &env, 1 << 20);
		sink_init(&c, &o, 24 + 10); /* a chunk's cost + 10 bytes */
		export_piece(&o, "", skip, lskip);
		export_loss(&o, "a", 1, "test", "listed once");
		for (size_t i = 0; i < sizeof(piece) - 1; i += 5)
			export_write(&o, piece + i,
			    sizeof(piece) - 1 - i < 5 ? sizeof(piece) - 1 - i
			                              : 5);
		assert_int_equal(o.n_losses, skip == 0 ? 1 : 0);
		memcpy(got + n, page, sink_data(&o, page));
		n += sink_data(&o, page);
		skip = o.full ? o.cut : 0;
		lskip = o.full ? o.loss_cut : 0;
		call_fini(&c);
		if (skip == 0)
			break;
	}
	assert_int_equal(n, sizeof(piece) - 1);
	assert_memory_equal(got, piece, n);
}

/* A piece with more losses than a page can list goes on over pages: each
 * loss is listed once, in order, and the data comes out whole. */
static void
test_sink_losses_resume(void **state)
{
	char got[64], page[64], want[64];
	size_t n = 0, skip = 0, lskip = 0, listed = 0;
	int pages;
	struct call c;
	struct export_out o;

	(void)state;
	for (pages = 0; pages < 40; pages++) {
		call_init(&c, &env, 1 << 20);
		sink_init(&c, &o, 4096);
		/* A chunk, 20 bytes of data, three losses of 44 bytes. */
		o.total = 24 + 20 + 3 * (32 + 1 + 4 + 7);
		export_piece(&o, "", skip, lskip);
		for (int i = 0; i < 20 && !export_done(&o); i++) {
			export_write(&o, "abcdefghijklmnopqrst" + i, 1);
			export_loss(&o, "a", (uint64_t)i, "test", "loss %02d",
			    i);
		}
		for (size_t i = 0; i < o.n_losses; i++, listed++)
			assert_int_equal(o.losses[i]->annotation_id, listed);
		memcpy(got + n, page, sink_data(&o, page));
		n += sink_data(&o, page);
		skip = o.full ? o.cut : 0;
		lskip = o.full ? o.loss_cut : 0;
		call_fini(&c);
		if (!o.full)
			break;
	}
	assert_int_equal(listed, 20);
	assert_true(pages >= 6);
	memcpy(want, "abcdefghijklmnopqrst", 20);
	assert_int_equal(n, 20);
	assert_memory_equal(got, want, 20);
}

static void
test_sink_paths_make_chunks(void **state)
{
	struct call c;
	struct export_out o;

	(void)state;
	call_init(&c, &env, 1 << 20);
	sink_init(&c, &o, 4096);
	export_piece(&o, "", 0, 0);
	o.path = "a.txt";
	export_puts(&o, "text");
	o.path = "a.ann";
	export_touch(&o);
	export_puts(&o, "T1");
	o.path = "b.txt";
	export_puts(&o, "more");
	assert_int_equal(o.n_chunks, 3);
	assert_string_equal(o.chunks[1]->path, "a.ann");
	assert_int_equal(o.chunks[1]->data.len, 2);
	export_json_string(&o, "q\"\\\n\t\x01é", 8);
	assert_int_equal(o.chunks[2]->data.len, 23);
	assert_memory_equal(o.chunks[2]->data.data,
	    "more\"q\\\"\\\\\\n\\t\\u0001é\"", 23);
	call_fini(&c);
}

static void
test_json_round_trip(void **state)
{
	Gloss__V1__Article a = GLOSS__V1__ARTICLE__INIT;
	Gloss__V1__Article__MetadataEntry m1 =
	    GLOSS__V1__ARTICLE__METADATA_ENTRY__INIT;
	Gloss__V1__Article__MetadataEntry m2 =
	    GLOSS__V1__ARTICLE__METADATA_ENTRY__INIT;
	Gloss__V1__Article__MetadataEntry *meta[] = { &m2, &m1 };
	Gloss__V1__ExportRecord rec = GLOSS__V1__EXPORT_RECORD__INIT, *back;
	uint8_t p1[1024], p2[1024];
	char line[2048];
	size_t n1, n2, n;
	struct json_error why;
	struct json_sink sink;
	struct call c;
	struct export_out o;

	(void)state;
	call_init(&c, &env, 1 << 20);
	a.id = call_str("x-1");
	a.language = call_str("pt");
	a.text = call_str("Olá 👍🏽\n\"quoted\"\ttab \u2028");
	a.create_time_ms = -5;
	a.create_seq = UINT64_MAX;
	a.state = GLOSS__V1__STATE__STATE_DELETED;
	m1.key = call_str("z");
	m1.value = call_str("last");
	m2.key = call_str("a");
	m2.value = call_str("first");
	a.metadata = meta;
	a.n_metadata = 2;
	rec.record_case = GLOSS__V1__EXPORT_RECORD__RECORD_ARTICLE;
	rec.article = &a;
	sink_init(&c, &o, 4096);
	export_piece(&o, "", 0, 0);
	sink = export_sink(&o);
	json_print(&sink, &rec.base, 0);
	n = sink_data(&o, line);
	/* What the jsonl format writes: one line, the text's bytes as they
	 * are (U+2028 too), control characters escaped. */
	line[n] = '\0';
	assert_string_equal(line,
	    "{\"article\":{\"id\":\"x-1\",\"language\":\"pt\",\"metadata\":"
	    "{\"a\":\"first\",\"z\":\"last\"},\"text\":\"Olá "
	    "👍🏽\\n\\\"quoted"
	    "\\\"\\ttab \u2028\",\"state\":\"STATE_DELETED\",\"createTimeMs\":"
	    "\"-5\",\"createSeq\":\"18446744073709551615\"}}");
	back = (Gloss__V1__ExportRecord *)
	    json_parse(&gloss__v1__export_record__descriptor, line, n,
	        &c.allocator, NULL, &why);
	assert_non_null(back);
	n1 = protobuf_c_message_pack(&rec.base, p1);
	n2 = protobuf_c_message_pack(&back->base, p2);
	assert_int_equal(n1, n2);
	assert_memory_equal(p1, p2, n1);
	assert_string_equal(back->article->metadata[0]->key, "a");
	call_fini(&c);
}

/* UAX #29 over UTF-8, in byte offsets: an emoji with its modifier and a
 * ZWJ family are one word each; sentences end at ". " and at LF.  The walk
 * ends at the text's length, then says so; around() finds the sentence of
 * a span without walking from the start. */
static void
test_breaks(void **state)
{
	static const char text[] =
	    "Olá 👍🏽 mundo. Família 👨‍👩‍👧!\nFim";
	size_t n = strlen(text), b[64], k = 0, at, from, to;
	struct export_breaks w;

	(void)state;
	assert_true(export_breaks_open(&w, text, n, "pt", true));
	while ((at = export_breaks_next(&w)) != EXPORT_BREAKS_END && k < 64)
		b[k++] = at;
	export_breaks_close(&w);
	assert_true(k > 2);
	assert_int_equal(b[0], 4);     /* "Olá" is 4 bytes */
	assert_int_equal(b[2], 5 + 8); /* "👍🏽": 8 bytes, one segment */
	assert_int_equal(b[k - 1], n);
	k = 0;
	assert_true(export_breaks_open(&w, text, n, "ar", false));
	while ((at = export_breaks_next(&w)) != EXPORT_BREAKS_END && k < 64)
		b[k++] = at;
	assert_int_equal(k, 3); /* after "mundo. ", after "!\n", the end */
	assert_memory_equal(text + b[0], "Família", 8);
	assert_memory_equal(text + b[1], "Fim", 3);
	assert_int_equal(b[2], n);
	export_breaks_around(&w, b[0] + 1, b[0] + 3, &from, &to);
	assert_int_equal(from, b[0]);
	assert_int_equal(to, b[1]);
	export_breaks_around(&w, 0, n, &from, &to);
	assert_int_equal(from, 0);
	assert_int_equal(to, n);
	export_breaks_close(&w);
}

/* Whether a brat file name stays in its folder: what gloss export checks,
 * and more: not empty, no '/', no "..", no leading '.', no control byte,
 * at most 255 bytes. */
static bool
brat_name_safe(const char *p)
{
	if (p[0] == '\0' || p[0] == '.' || strlen(p) > 255 ||
	    strstr(p, "..") != NULL)
		return false;
	for (; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f || *p == '/' ||
		    *p == '\\')
			return false;
	return true;
}

/* The files brat writes for an article of id `id`, in *txt and *ann. */
static void
brat_names(struct call *c, const char *id, char **txt, char **ann)
{
	Gloss__V1__Article a = GLOSS__V1__ARTICLE__INIT;
	struct call scratch;
	struct export_out o;
	struct export_ctx x = { 0 };

	call_init(&scratch, &env, 1 << 20);
	sink_init(c, &o, 4096);
	a.id = call_str(id);
	a.language = call_str("en");
	a.text = call_str("Text.");
	x.out = &o;
	x.call = &scratch;
	x.article = &a;
	x.text_len = strlen(a.text);
	export_brat.open(&x);
	export_piece(&o, "", 0, 0);
	export_brat.head(&x);
	call_fini(&scratch); /* the chunks copied their paths */
	assert_false(o.oom);
	assert_int_equal(o.n_chunks, 2);
	*txt = o.chunks[0]->path;
	*ann = o.chunks[1]->path;
}

/* Whatever the article id, brat's file names stay inside the folder and
 * two ids never share one; a plain id is its own name. */
static void
test_brat_names(void **state)
{
	static const char *const ids[] = { "../../../x", "/etc/passwd", "a/b",
		".", "..", ".hidden", "a..b", "a.b", "x\001y", "x\ny", "",
		"%41", "A", "é", "a\\b", "ok-id_1.2",
		"nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn"
		"nnn"
		"nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn"
		"nnn"
		"nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn"
		"nnn"
		"nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn"
		"nnn",
		"nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn"
		"nnn"
		"nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn"
		"nnn"
		"nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn"
		"nnn"
		"nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn"
		"nnm",
		"\xd8\xa7\xd9\x84/../\xf0\x9f\x91\x8d" };
	size_t n = sizeof(ids) / sizeof(*ids);
	char *txt[32], *ann[32];
	struct call c;

	(void)state;
	call_init(&c, &env, 1 << 22);
	for (size_t i = 0; i < n; i++) {
		brat_names(&c, ids[i], &txt[i], &ann[i]);
		assert_true(brat_name_safe(txt[i]));
		assert_true(brat_name_safe(ann[i]));
		assert_string_equal(txt[i] + strlen(txt[i]) - 4, ".txt");
		for (size_t j = 0; j < i; j++)
			assert_string_not_equal(txt[i], txt[j]);
	}
	assert_string_equal(txt[7], "a.b.txt");
	assert_string_equal(ann[15], "ok-id_1.2.ann");
	assert_string_equal(txt[6], "a%2E%2Eb.txt");
	call_fini(&c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sink_cuts_and_resumes),
		cmocka_unit_test(test_sink_losses_resume),
		cmocka_unit_test(test_sink_paths_make_chunks),
		cmocka_unit_test(test_json_round_trip),
		cmocka_unit_test(test_breaks),
		cmocka_unit_test(test_brat_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
