/*
 * crash_writer: one writer process of the crash test.  Owns its articles
 * and annotations (no other writer touches them), so it knows what each
 * should be after every write it made, and checks that reads agree.
 * Sends each write until glossd answers it for good (across SIGKILLs and
 * restarts, always with the same request_id) and journals both ends.
 * One room past 600 lines: every request it builds reads and updates the
 * one state it keeps (its records, etags, words and labels).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "crash.h"

#define CW_TIMEOUT_MS 5000
#define CW_TRIES      24 /* sends of one request before the writer gives up */
#define CW_WORDS_MAX  4096

/* What the writer knows of a record: its last acknowledged state. */
struct cw_state {
	uint8_t *packed;
	size_t n;
	char etag[64];
	bool deleted;
};

struct cw_article {
	char id[64];
	int seed;
	struct cw_state st;
};

struct cw_annotation {
	uint64_t id;
	size_t article;
	struct cw_state st;
};

struct cw_words {
	uint32_t start[CW_WORDS_MAX], end[CW_WORDS_MAX];
	size_t n;
};

struct cw {
	const struct crash_writer_options *o;
	struct rpc_client *rpc;
	int fd;
	unsigned rand;
	char author[64];
	unsigned serial; /* names this writer's articles and labels */
	struct cw_article *arts;
	size_t n_arts;
	struct cw_annotation *anns;
	size_t n_anns;
	char labels[64][32];
	size_t n_labels;
	struct cw_words words[CRASH_SEEDS];
};

static unsigned
cw_rand(struct cw *w, unsigned n)
{
	return n == 0 ? 0 : (unsigned)rand_r(&w->rand) % n;
}

/* Prints why the writer stops, and stops it: the checker reports the rest. */
static void
cw_die(const struct cw *w, const char *what, const char *why)
{
	fprintf(stderr, "crash writer %d: %s: %s\n", w->o->id, what, why);
	exit(1);
}

/* The word boundaries of each seed: spans that start and end on them are
 * on grapheme boundaries in every script of the seeds. */
static void
cw_find_words(const struct crash_seed *s, struct cw_words *ws)
{
	size_t i = 0;

	ws->n = 0;
	while (i < s->n && ws->n < CW_WORDS_MAX) {
		while (i < s->n && strchr(" \t\r\n", s->text[i]) != NULL)
			i++;
		if (i == s->n)
			break;
		ws->start[ws->n] = (uint32_t)i;
		while (i < s->n && strchr(" \t\r\n", s->text[i]) == NULL)
			i++;
		ws->end[ws->n++] = (uint32_t)i;
	}
}

static void
cw_remember(struct cw_state *st, const ProtobufCMessage *rec, const char *etag,
    bool deleted)
{
	free(st->packed);
	st->packed = crash_pack(rec, &st->n);
	snprintf(st->etag, sizeof(st->etag), "%s", etag);
	st->deleted = deleted;
}

/* No final answer: glossd was down, or the write waited past its
 * deadline without being applied.  Send it again. */
static bool
cw_transient(int code)
{
	return code == GLOSS__V1__CODE__DEADLINE_EXCEEDED ||
	       code == GLOSS__V1__CODE__UNAVAILABLE;
}

static void
cw_journal(struct cw *w, enum crash_kind kind, const ProtobufCMessage *m)
{
	size_t n;
	uint8_t *buf = crash_pack(m, &n);

	if (!crash_journal_append(w->fd, kind, buf, n))
		cw_die(w, "journal", "cannot append");
	free(buf);
}

/*
 * nng 1.5.2's dialer stops redialling for good when glossd dies in the
 * middle of a handshake (tests/handshake_test.py): no reply ever comes
 * again.  So a call that got no reply at all within its timeout, while
 * glossd is restarted within a second, gets a new client, and the journal
 * says so: the crash test counts these and does not hide them.
 */
/* Connects, retrying for up to a minute: glossd may be down (killed and
 * not yet restarted) or die during the handshake. */
static void
cw_connect(struct cw *w)
{
	struct timespec ts = { 0, 100 * 1000 * 1000 };
	char why[512];

	for (int i = 0; i < 600; i++) {
		if (rpc_open(w->o->url, &w->rpc, why, sizeof(why)) == 0)
			return;
		nanosleep(&ts, NULL);
	}
	cw_die(w, "connect", why);
}

static void
cw_reopen(struct cw *w)
{
	rpc_close(w->rpc);
	cw_connect(w);
	if (!crash_journal_append(w->fd, CRASH_REOPENED, "", 0))
		cw_die(w, "journal", "cannot append");
}

/* Sends q until glossd answers other than UNAVAILABLE or DEADLINE_EXCEEDED
 * (the same request_id each time); returns the code, the reply in *rp. */
static int
cw_call(struct cw *w, Gloss__V1__Request *q, Gloss__V1__Reply **rp)
{
	int code = GLOSS__V1__CODE__DEADLINE_EXCEEDED;

	*rp = NULL;
	for (int i = 0; i < CW_TRIES; i++) {
		code = rpc_call(w->rpc, q, CW_TIMEOUT_MS, rp);
		if (*rp != NULL && !cw_transient(code))
			return code;
		if (*rp == NULL && code == GLOSS__V1__CODE__DEADLINE_EXCEEDED)
			cw_reopen(w);
		rpc_reply_free(*rp);
		*rp = NULL;
	}
	return code;
}

/* Sends write q until glossd answers it for good, and journals what was
 * sent and the final reply.  Returns the reply if OK; stops the writer
 * otherwise. */
static Gloss__V1__Reply *
cw_write(struct cw *w, Gloss__V1__Request *q, const char *what)
{
	char rid[37];
	Gloss__V1__Reply *r;
	int code;

	rpc_uuid(rid);
	q->request_id = rid;
	q->author = w->author;
	cw_journal(w, CRASH_SENT, &q->base);
	code = cw_call(w, q, &r);
	if (r == NULL)
		cw_die(w, what, rpc_error(w->rpc));
	cw_journal(w, CRASH_ACKED, &r->base);
	if (code != 0)
		cw_die(w, what, rpc_error(w->rpc));
	return r;
}

/* A read, sent until it is answered; it must be OK. */
static Gloss__V1__Reply *
cw_read(struct cw *w, Gloss__V1__Request *q, const char *what)
{
	Gloss__V1__Reply *r;

	q->request_id = crash_str(""); /* rpc_call() makes one per send */
	if (cw_call(w, q, &r) != 0 || r == NULL)
		cw_die(w, what, rpc_error(w->rpc));
	return r;
}

static void
cw_create_article(struct cw *w)
{
	Gloss__V1__Request q = GLOSS__V1__REQUEST__INIT;
	Gloss__V1__CreateArticleRequest ca =
	    GLOSS__V1__CREATE_ARTICLE_REQUEST__INIT;
	Gloss__V1__Article a = GLOSS__V1__ARTICLE__INIT;
	struct cw_article *art;
	char title[128];
	Gloss__V1__Reply *r;
	int seed = (int)cw_rand(w, CRASH_SEEDS);

	w->arts = realloc(w->arts, (w->n_arts + 1) * sizeof(*w->arts));
	art = &w->arts[w->n_arts];
	memset(art, 0, sizeof(*art));
	art->seed = seed;
	snprintf(art->id, sizeof(art->id), "w%d-a%u", w->o->id, w->serial);
	snprintf(title, sizeof(title), "%s %u — مقال", w->o->seeds[seed].stem,
	    w->serial++);
	a.id = art->id;
	a.language = crash_str(w->o->seeds[seed].language);
	a.title = title;
	a.text = w->o->seeds[seed].text;
	/* 001 (en) and 003 (ar) translate 000 (pt): join a live 000. */
	for (size_t i = 0; (seed == 1 || seed == 2) && i < w->n_arts; i++)
		if (w->arts[i].seed == 0 && !w->arts[i].st.deleted)
			a.translation_of = w->arts[i].id;
	ca.article = &a;
	q.body_case = GLOSS__V1__REQUEST__BODY_CREATE_ARTICLE;
	q.create_article = &ca;
	r = cw_write(w, &q, "CreateArticle");
	art = &w->arts[w->n_arts++];
	cw_remember(&art->st, &r->create_article->article->base,
	    r->create_article->article->etag, false);
	rpc_reply_free(r);
}

/* A random live article's index, or -1. */
static long
cw_live_article(struct cw *w)
{
	size_t start = cw_rand(w, (unsigned)w->n_arts);

	for (size_t k = 0; k < w->n_arts; k++) {
		size_t i = (start + k) % w->n_arts;
		if (!w->arts[i].st.deleted)
			return (long)i;
	}
	return -1;
}

/* A random live annotation of a live article, or -1. */
static long
cw_live_annotation(struct cw *w)
{
	size_t start = cw_rand(w, (unsigned)w->n_anns);

	for (size_t k = 0; k < w->n_anns; k++) {
		size_t i = (start + k) % w->n_anns;
		if (!w->anns[i].st.deleted &&
		    !w->arts[w->anns[i].article].st.deleted)
			return (long)i;
	}
	return -1;
}

/* Storage for one selector of a request being built. */
struct cw_sel {
	Gloss__V1__SpanSelector sel;
	Gloss__V1__Range range;
	Gloss__V1__Quote quote;
	char exact[2048];
	uint32_t start, end; /* bytes */
};

/* Offset `byte` of text in `unit`. */
static uint32_t
cw_offset(const char *text, uint32_t byte, Gloss__V1__Unit unit)
{
	uint32_t n = 0;

	if (unit == GLOSS__V1__UNIT__UNIT_BYTES)
		return byte;
	for (uint32_t i = 0; i < byte; i++) {
		unsigned char ch = (unsigned char)text[i];
		if ((ch & 0xC0) != 0x80)
			n += unit == GLOSS__V1__UNIT__UNIT_UTF16 && ch >= 0xF0
			         ? 2
			         : 1;
	}
	return n;
}

/* How often q[0..qn) occurs in text[0..n), overlaps included. */
static size_t
cw_count(const char *text, size_t n, const char *q, size_t qn)
{
	size_t c = 0;

	for (size_t i = 0; i + qn <= n; i++)
		if (memcmp(text + i, q, qn) == 0)
			c++;
	return c;
}

/*
 * One to three words of the article, selected in one of four ways: by a
 * quote (if the words occur once) or by a range in bytes, chars or UTF-16.
 */
static void
cw_select(struct cw *w, const struct crash_seed *s, const struct cw_words *ws,
    struct cw_sel *cs)
{
	size_t i = cw_rand(w, (unsigned)ws->n - 3), k = cw_rand(w, 3);
	unsigned how = cw_rand(w, 4);

	gloss__v1__span_selector__init(&cs->sel);
	cs->start = ws->start[i];
	cs->end = ws->end[i + k];
	if (how == 3 && cs->end - cs->start < sizeof(cs->exact) &&
	    cw_count(s->text, s->n, s->text + cs->start, cs->end - cs->start) ==
	        1) {
		gloss__v1__quote__init(&cs->quote);
		memcpy(cs->exact, s->text + cs->start, cs->end - cs->start);
		cs->exact[cs->end - cs->start] = '\0';
		cs->quote.exact = cs->exact;
		cs->sel.selector_case =
		    GLOSS__V1__SPAN_SELECTOR__SELECTOR_QUOTE;
		cs->sel.quote = &cs->quote;
		return;
	}
	gloss__v1__range__init(&cs->range);
	cs->range.unit = (Gloss__V1__Unit)(1 + how % 3);
	cs->range.start = cw_offset(s->text, cs->start, cs->range.unit);
	cs->range.end = cw_offset(s->text, cs->end, cs->range.unit);
	cs->sel.selector_case = GLOSS__V1__SPAN_SELECTOR__SELECTOR_RANGE;
	cs->sel.range = &cs->range;
}

/* Storage for one body of a request being built. */
struct cw_body {
	Gloss__V1__Note note;
	Gloss__V1__Entity entity;
	Gloss__V1__FactCorrection fact;
	char text[128], kb[32];
};

static const char *const cw_notes[] = { "nota: verificar a fonte",
	"ملاحظة: تحقق من المصدر", "note — à vérifier", "note 😀" };
static const char *const cw_entity_labels[] = { "PERSON", "ORG", "GPE",
	"PRODUCT", "MONEY" };

static void
cw_body(struct cw *w, Gloss__V1__Annotation *a, struct cw_body *b)
{
	unsigned kind = cw_rand(w, 3);

	snprintf(b->text, sizeof(b->text), "%s %u", cw_notes[cw_rand(w, 4)],
	    w->serial++);
	if (kind == 0) {
		gloss__v1__note__init(&b->note);
		b->note.text = b->text;
		a->body_case = GLOSS__V1__ANNOTATION__BODY_NOTE;
		a->note = &b->note;
	} else if (kind == 1) {
		gloss__v1__entity__init(&b->entity);
		b->entity.label =
		    w->n_labels > 0 && cw_rand(w, 3) == 0
		        ? w->labels[cw_rand(w, (unsigned)w->n_labels)]
		        : crash_str(cw_entity_labels[cw_rand(w, 5)]);
		snprintf(b->kb, sizeof(b->kb), "Q%u", 1 + cw_rand(w, 99999));
		b->entity.kb_id = b->kb;
		a->body_case = GLOSS__V1__ANNOTATION__BODY_ENTITY;
		a->entity = &b->entity;
	} else {
		gloss__v1__fact_correction__init(&b->fact);
		b->fact.corrected = b->text;
		b->fact.verdict = (char *)"refuted";
		a->body_case = GLOSS__V1__ANNOTATION__BODY_FACT_CORRECTION;
		a->fact_correction = &b->fact;
	}
}

/* One or (a fifth of the time) two disjoint selectors in a->select. */
static void
cw_spans(struct cw *w, size_t art, Gloss__V1__Annotation *a,
    struct cw_sel cs[2], Gloss__V1__SpanSelector *sels[2])
{
	int seed = w->arts[art].seed;

	cw_select(w, &w->o->seeds[seed], &w->words[seed], &cs[0]);
	sels[0] = &cs[0].sel;
	a->n_select = 1;
	if (cw_rand(w, 5) == 0) {
		cw_select(w, &w->o->seeds[seed], &w->words[seed], &cs[1]);
		if (cs[1].start >= cs[0].end || cs[1].end <= cs[0].start)
			sels[a->n_select++] = &cs[1].sel;
	}
	a->select = sels;
}

static void
cw_create_annotation(struct cw *w, size_t art)
{
	Gloss__V1__Request q = GLOSS__V1__REQUEST__INIT;
	Gloss__V1__CreateAnnotationRequest ca =
	    GLOSS__V1__CREATE_ANNOTATION_REQUEST__INIT;
	Gloss__V1__Annotation a = GLOSS__V1__ANNOTATION__INIT;
	Gloss__V1__SpanSelector *sels[2];
	struct cw_sel cs[2];
	struct cw_body b;
	struct cw_annotation *an;
	Gloss__V1__Reply *r;

	a.article_id = w->arts[art].id;
	cw_spans(w, art, &a, cs, sels);
	cw_body(w, &a, &b);
	ca.annotation = &a;
	q.body_case = GLOSS__V1__REQUEST__BODY_CREATE_ANNOTATION;
	q.create_annotation = &ca;
	r = cw_write(w, &q, "CreateAnnotation");
	w->anns = realloc(w->anns, (w->n_anns + 1) * sizeof(*w->anns));
	an = &w->anns[w->n_anns++];
	memset(an, 0, sizeof(*an));
	an->id = r->create_annotation->annotation->id;
	an->article = art;
	cw_remember(&an->st, &r->create_annotation->annotation->base,
	    r->create_annotation->annotation->etag, false);
	rpc_reply_free(r);
}

static void
cw_update_annotation(struct cw *w, struct cw_annotation *an)
{
	Gloss__V1__Request q = GLOSS__V1__REQUEST__INIT;
	Gloss__V1__UpdateAnnotationRequest ua =
	    GLOSS__V1__UPDATE_ANNOTATION_REQUEST__INIT;
	Gloss__V1__Annotation a = GLOSS__V1__ANNOTATION__INIT;
	Gloss__V1__SpanSelector *sels[2];
	struct cw_sel cs[2];
	struct cw_body b;
	Gloss__V1__Reply *r;

	a.id = an->id;
	a.etag = an->st.etag;
	if (cw_rand(w, 2) == 0)
		cw_spans(w, an->article, &a, cs, sels);
	cw_body(w, &a, &b);
	ua.annotation = &a;
	q.body_case = GLOSS__V1__REQUEST__BODY_UPDATE_ANNOTATION;
	q.update_annotation = &ua;
	r = cw_write(w, &q, "UpdateAnnotation");
	cw_remember(&an->st, &r->update_annotation->annotation->base,
	    r->update_annotation->annotation->etag, false);
	rpc_reply_free(r);
}

static void
cw_delete_annotation(struct cw *w, struct cw_annotation *an)
{
	Gloss__V1__Request q = GLOSS__V1__REQUEST__INIT;
	Gloss__V1__DeleteAnnotationRequest da =
	    GLOSS__V1__DELETE_ANNOTATION_REQUEST__INIT;
	Gloss__V1__Reply *r;

	da.id = an->id;
	da.etag = an->st.etag;
	q.body_case = GLOSS__V1__REQUEST__BODY_DELETE_ANNOTATION;
	q.delete_annotation = &da;
	r = cw_write(w, &q, "DeleteAnnotation");
	cw_remember(&an->st, &r->delete_annotation->annotation->base,
	    r->delete_annotation->annotation->etag, true);
	rpc_reply_free(r);
}

static void
cw_delete_article(struct cw *w, struct cw_article *art)
{
	Gloss__V1__Request q = GLOSS__V1__REQUEST__INIT;
	Gloss__V1__DeleteArticleRequest da =
	    GLOSS__V1__DELETE_ARTICLE_REQUEST__INIT;
	Gloss__V1__Reply *r;

	da.id = art->id;
	da.etag = art->st.etag;
	q.body_case = GLOSS__V1__REQUEST__BODY_DELETE_ARTICLE;
	q.delete_article = &da;
	r = cw_write(w, &q, "DeleteArticle");
	cw_remember(&art->st, &r->delete_article->article->base,
	    r->delete_article->article->etag, true);
	rpc_reply_free(r);
}

static void
cw_add_label(struct cw *w)
{
	Gloss__V1__Request q = GLOSS__V1__REQUEST__INIT;
	Gloss__V1__AddLabelRequest al = GLOSS__V1__ADD_LABEL_REQUEST__INIT;
	Gloss__V1__Label l = GLOSS__V1__LABEL__INIT;
	char name[32], desc[96];

	if (w->n_labels == sizeof(w->labels) / sizeof(w->labels[0]))
		return;
	snprintf(name, sizeof(name), "W%d_L%u", w->o->id, w->serial);
	snprintf(desc, sizeof(desc), "rótulo %u — تسمية", w->serial++);
	l.name = name;
	l.description = desc;
	al.set = (char *)"entity";
	al.label = &l;
	q.body_case = GLOSS__V1__REQUEST__BODY_ADD_LABEL;
	q.add_label = &al;
	rpc_reply_free(cw_write(w, &q, "AddLabel"));
	memcpy(w->labels[w->n_labels++], name, sizeof(name));
}

/* Reads one of the writer's annotations back: it must be as last
 * acknowledged, whatever glossd went through since. */
static void
cw_check_annotation(struct cw *w, const struct cw_annotation *an)
{
	Gloss__V1__Request q = GLOSS__V1__REQUEST__INIT;
	Gloss__V1__GetAnnotationRequest g =
	    GLOSS__V1__GET_ANNOTATION_REQUEST__INIT;
	Gloss__V1__Reply *r;
	uint8_t *got;
	size_t n;
	char why[256];

	g.id = an->id;
	q.body_case = GLOSS__V1__REQUEST__BODY_GET_ANNOTATION;
	q.get_annotation = &g;
	r = cw_read(w, &q, "GetAnnotation");
	got = crash_pack(&r->get_annotation->annotation->base, &n);
	snprintf(why, sizeof(why),
	    "annotation %llu reads back as etag %s, not "
	    "as acknowledged (%s)",
	    (unsigned long long)an->id, r->get_annotation->annotation->etag,
	    an->st.etag);
	if (n != an->st.n || memcmp(got, an->st.packed, n) != 0)
		cw_die(w, "read your writes", why);
	free(got);
	rpc_reply_free(r);
}

/* One step of the mix; the weights favour annotations, as annotators do. */
static void
cw_step(struct cw *w)
{
	unsigned r = cw_rand(w, 100);
	long art = cw_live_article(w), an = cw_live_annotation(w);

	if (art < 0 || r < 6)
		cw_create_article(w);
	else if (r < 40 || an < 0)
		cw_create_annotation(w, (size_t)art);
	else if (r < 58)
		cw_update_annotation(w, &w->anns[an]);
	else if (r < 66)
		cw_delete_annotation(w, &w->anns[an]);
	else if (r < 70)
		cw_add_label(w);
	else if (r < 73)
		cw_delete_article(w, &w->arts[art]);
	else
		cw_check_annotation(w,
		    &w->anns[cw_rand(w, (unsigned)w->n_anns)]);
}

static void
cw_free(struct cw *w)
{
	for (size_t i = 0; i < w->n_arts; i++)
		free(w->arts[i].st.packed);
	for (size_t i = 0; i < w->n_anns; i++)
		free(w->anns[i].st.packed);
	free(w->arts);
	free(w->anns);
	free(w);
}

int
crash_writer_main(const struct crash_writer_options *o)
{
	struct cw *w = calloc(1, sizeof(*w));

	if (w == NULL)
		return 1;
	w->o = o;
	w->rand = o->rand_seed;
	/* Every other writer signs in Arabic: authors are UTF-8 too. */
	snprintf(w->author, sizeof(w->author), o->id % 2 ? "كاتب-%d" : "w%d",
	    o->id);
	for (int i = 0; i < CRASH_SEEDS; i++)
		cw_find_words(&o->seeds[i], &w->words[i]);
	w->fd = open(o->journal, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0600);
	if (w->fd < 0)
		cw_die(w, "journal", o->journal);
	cw_connect(w);
	while (crash_now_ms() < o->end_ms)
		cw_step(w);
	rpc_close(w->rpc);
	close(w->fd);
	cw_free(w);
	return 0;
}
