/*
 * stats: the GetStats handler: counts of the corpus (or of one article or
 * translation group) by kind, label, author, language and state, and the
 * MQM score of each translated article's translation notes.  It reads its
 * whole scope, once, in one snapshot.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "method.h"
#include "stats.h"
#include "store.h"
#include "valid.h"

/* A tally: keys with counts, in first-seen order, sorted before replying. */
struct stats_tally {
	Gloss__V1__Count **items;
	size_t n, cap;
};

struct stats_mqm {
	const char *article_id;
	uint32_t notes;
	double score;
};

struct stats_run {
	struct call *call;
	struct stats_tally kind, label, author, language, state;
	struct stats_mqm *mqm;
	size_t n_mqm, cap_mqm;
	uint64_t articles, annotations;
	bool oom;
	struct call_mark mark; /* where the record being counted begins */
};

static bool
stats_count(struct stats_run *st, struct stats_tally *t, const char *key)
{
	Gloss__V1__Count **grown, *c;

	if (key[0] == '\0')
		return true;
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->items[i]->key, key) == 0) {
			t->items[i]->count++;
			return true;
		}
	if (t->n == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 16;
		grown = call_alloc(st->call, t->cap * sizeof(*grown));
		if (grown == NULL)
			return !(st->oom = true);
		if (t->n > 0)
			memcpy(grown, t->items, t->n * sizeof(*grown));
		t->items = grown;
	}
	if ((c = call_alloc(st->call, sizeof(*c))) == NULL)
		return !(st->oom = true);
	gloss__v1__count__init(c);
	if ((c->key = call_strndup(st->call, key, strlen(key))) == NULL)
		return !(st->oom = true);
	c->count = 1;
	t->items[t->n++] = c;
	return true;
}

/* Freitag et al. 2021 and google's MQM scorer; critical as in later WMT. */
double
stats_mqm_weight(const char *category, const char *severity)
{
	if (strcmp(severity, "neutral") == 0 ||
	    strcmp(category, "source-error") == 0)
		return 0;
	if (strcmp(category, "non-translation") == 0)
		return 25;
	if (strcmp(severity, "minor") == 0)
		return strcmp(category, "fluency/punctuation") == 0 ? 0.1 : 1;
	if (strcmp(severity, "major") == 0)
		return 5;
	if (strcmp(severity, "critical") == 0)
		return 10;
	return 0;
}

static bool
stats_add_mqm(struct stats_run *st, const Gloss__V1__Annotation *a)
{
	const Gloss__V1__TranslationNote *t = a->translation_note;
	struct stats_mqm *m = NULL, *grown;

	for (size_t i = 0; i < st->n_mqm && m == NULL; i++)
		if (strcmp(st->mqm[i].article_id, a->article_id) == 0)
			m = &st->mqm[i];
	if (m == NULL) {
		if (st->n_mqm == st->cap_mqm) {
			st->cap_mqm = st->cap_mqm ? 2 * st->cap_mqm : 16;
			grown =
			    call_alloc(st->call, st->cap_mqm * sizeof(*grown));
			if (grown == NULL)
				return !(st->oom = true);
			if (st->n_mqm > 0)
				memcpy(grown, st->mqm,
				    st->n_mqm * sizeof(*grown));
			st->mqm = grown;
		}
		m = &st->mqm[st->n_mqm++];
		*m = (struct stats_mqm){ call_strndup(st->call, a->article_id,
			                     strlen(a->article_id)),
			0, 0 };
		if (m->article_id == NULL)
			return !(st->oom = true);
	}
	m->notes++;
	m->score += stats_mqm_weight(t->category, t->severity);
	return true;
}

static const char *
stats_kind_name(Gloss__V1__Kind k)
{
	const ProtobufCEnumValue *v =
	    protobuf_c_enum_descriptor_get_value(&gloss__v1__kind__descriptor,
	        k);

	return v != NULL ? v->name : "KIND_UNSPECIFIED";
}

/*
 * What is counted of one annotation, copied out of its record so that the
 * record can be dropped before the counting allocates.
 */
struct stats_facts {
	bool live, mqm;
	Gloss__V1__Kind kind;
	char label[128], author[128];
	Gloss__V1__Annotation note; /* article_id, translation_note */
	Gloss__V1__TranslationNote tn;
	char article_id[256], category[128], severity[128];
};

static void
stats_copy(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src);
}

static void
stats_facts(const Gloss__V1__Annotation *a, struct stats_facts *f)
{
	f->live = a->state != GLOSS__V1__STATE__STATE_DELETED;
	f->kind = a->kind;
	stats_copy(f->label, sizeof(f->label),
	    store_annotation_term(a, STORE_INDEX_LABEL));
	stats_copy(f->author, sizeof(f->author), a->created_by);
	f->mqm = a->body_case == GLOSS__V1__ANNOTATION__BODY_TRANSLATION_NOTE;
	if (!f->mqm)
		return;
	stats_copy(f->article_id, sizeof(f->article_id), a->article_id);
	stats_copy(f->category, sizeof(f->category),
	    a->translation_note->category);
	stats_copy(f->severity, sizeof(f->severity),
	    a->translation_note->severity);
	gloss__v1__annotation__init(&f->note);
	gloss__v1__translation_note__init(&f->tn);
	f->note.article_id = f->article_id;
	f->note.translation_note = &f->tn;
	f->tn.category = f->category;
	f->tn.severity = f->severity;
}

static bool
stats_annotation(void *arg, Gloss__V1__Annotation *a)
{
	struct stats_run *st = arg;
	struct stats_facts f;

	stats_facts(a, &f);
	call_release(st->call, st->mark); /* the record is read */
	stats_count(st, &st->state, f.live ? "STATE_ACTIVE" : "STATE_DELETED");
	if (f.live) {
		st->annotations++;
		stats_count(st, &st->kind, stats_kind_name(f.kind));
		stats_count(st, &st->label, f.label);
		stats_count(st, &st->author, f.author);
		if (f.mqm)
			stats_add_mqm(st, &f.note);
	}
	st->mark = call_mark(st->call);
	return !st->oom;
}

static bool
stats_article(void *arg, Gloss__V1__Article *a)
{
	struct stats_run *st = arg;
	char language[128];
	bool live = a->state != GLOSS__V1__STATE__STATE_DELETED;

	stats_copy(language, sizeof(language), a->language);
	call_release(st->call, st->mark); /* the record is read */
	if (live) {
		st->articles++;
		stats_count(st, &st->language, language);
	}
	st->mark = call_mark(st->call);
	return !st->oom;
}

/* Words as MQM per-100-word rates count them: runs of non-space bytes. */
static uint32_t
stats_words(const char *s)
{
	uint32_t n = 0;
	bool in = false;

	for (; *s != '\0'; s++) {
		bool space = isspace((unsigned char)*s);
		if (!space && !in)
			n++;
		in = !space;
	}
	return n;
}

static Gloss__V1__MqmScore **
stats_mqm_scores(struct stats_run *st)
{
	struct call *c = st->call;
	Gloss__V1__MqmScore **out =
	    call_alloc(c, (st->n_mqm + 1) * sizeof(*out));
	Gloss__V1__Article *a;
	struct call_mark mark;
	char language[128];

	for (size_t i = 0; out != NULL && i < st->n_mqm; i++) {
		Gloss__V1__MqmScore *m = call_alloc(c, sizeof(*m));
		if (m == NULL)
			return NULL;
		gloss__v1__mqm_score__init(m);
		m->article_id = call_str(st->mqm[i].article_id);
		m->notes = st->mqm[i].notes;
		m->score = st->mqm[i].score;
		/* The text is read to count its words and dropped, so that
		 * scores of many long articles do not hold their texts. */
		mark = call_mark(c);
		if (store_article_get(c->txn, m->article_id, &c->allocator,
		        &a) == STATUS_OK) {
			m->words = stats_words(a->text);
			snprintf(language, sizeof(language), "%s", a->language);
			call_release(c, mark);
			m->language =
			    call_strndup(c, language, strlen(language));
		}
		if (m->words > 0)
			m->score_per_100_words = 100.0 * m->score / m->words;
		out[i] = m;
	}
	return out;
}

static int
stats_cmp(const void *x, const void *y)
{
	const Gloss__V1__Count *a = *(Gloss__V1__Count *const *)x;
	const Gloss__V1__Count *b = *(Gloss__V1__Count *const *)y;

	if (a->count != b->count)
		return a->count > b->count ? -1 : 1;
	return strcmp(a->key, b->key);
}

/* Most frequent first, then by key. */
static Gloss__V1__Count **
stats_sorted(struct stats_tally *t, size_t *n)
{
	if (t->n > 0)
		qsort(t->items, t->n, sizeof(*t->items), stats_cmp);
	*n = t->n;
	return t->items;
}

static enum status
stats_scan(struct call *c, const Gloss__V1__GetStatsRequest *q,
    struct stats_run *st)
{
	struct store_article_filter f = { NULL, q->group, NULL };
	struct store_term term = { STORE_INDEX_GROUP, q->group };
	Gloss__V1__Article *a;
	enum status s;

	st->mark = call_mark(c);
	if (q->article_id[0] != '\0') {
		s = store_article_head(c->txn, q->article_id, &c->allocator,
		    &a);
		if (s == STATUS_NOT_FOUND)
			return call_article_not_found(c, "article_id",
			    q->article_id);
		if (s == STATUS_OK)
			stats_article(st, a);
		term =
		    (struct store_term){ STORE_INDEX_ARTICLE, q->article_id };
	} else {
		s = store_article_scan_heads(c->txn, &f, &c->allocator,
		    stats_article, st);
	}
	if (s == STATUS_OK && term.value[0] != '\0')
		s = store_annotation_join(c->txn, &term, 1, 0, &c->allocator,
		    stats_annotation, st);
	else if (s == STATUS_OK)
		s = store_annotation_scan(c->txn, STORE_INDEX_ALL, "", 0,
		    &c->allocator, stats_annotation, st);
	if (s != STATUS_OK)
		return call_error(c, s, "cannot read the corpus");
	return st->oom
	           ? call_fail(c, REASON(OUT_OF_MEMORY), NULL, "out of memory")
	           : STATUS_OK;
}

/* The reply has no pages: counts of a corpus too varied for one reply
 * (many thousands of authors or scored articles) are refused in words. */
static enum status
stats_fits(struct call *c, const Gloss__V1__GetStatsResponse *r)
{
	size_t n = protobuf_c_message_get_packed_size(&r->base);

	if (n <= c->env->max_reply_bytes - 4096)
		return STATUS_OK;
	return call_fail(c, REASON(REPLY_TOO_LARGE), NULL,
	    "the statistics are %zu bytes (%zu authors, %zu labels, %zu "
	    "scored articles), more than one reply holds; ask for one group "
	    "or article",
	    n, r->n_by_author, r->n_by_label, r->n_mqm);
}

enum status
stats_get(struct call *c)
{
	const Gloss__V1__GetStatsRequest *q = c->req->get_stats;
	Gloss__V1__GetStatsResponse *r = call_alloc(c, sizeof(*r));
	struct stats_run st = { .call = c };
	enum status s;

	if (r == NULL)
		return call_fail(c, REASON(OUT_OF_MEMORY), NULL,
		    "out of memory");
	if (q->article_id[0] != '\0' && q->group[0] != '\0')
		return call_fail(c, REASON(FIELDS_CONFLICT), "group",
		    "give an article or a group, not both");
	if ((s = valid_filter(c, q->article_id, valid_id, "article_id",
	         "an article id")) != STATUS_OK ||
	    (s = valid_filter(c, q->group, valid_id, "group",
	         "a group (the id of its original article)")) != STATUS_OK ||
	    (s = stats_scan(c, q, &st)) != STATUS_OK)
		return s;
	gloss__v1__get_stats_response__init(r);
	r->articles = st.articles;
	r->annotations = st.annotations;
	r->by_kind = stats_sorted(&st.kind, &r->n_by_kind);
	r->by_label = stats_sorted(&st.label, &r->n_by_label);
	r->by_author = stats_sorted(&st.author, &r->n_by_author);
	r->by_language = stats_sorted(&st.language, &r->n_by_language);
	r->by_state = stats_sorted(&st.state, &r->n_by_state);
	r->mqm = stats_mqm_scores(&st);
	r->n_mqm = st.n_mqm;
	if (r->mqm == NULL)
		return call_fail(c, REASON(OUT_OF_MEMORY), NULL,
		    "out of memory");
	if ((s = store_change_last(c->txn, &r->as_of_seq)) != STATUS_OK)
		return call_error(c, s, "cannot read the change feed");
	if ((s = stats_fits(c, r)) != STATUS_OK)
		return s;
	c->reply.body_case = GLOSS__V1__REPLY__BODY_GET_STATS;
	c->reply.get_stats = r;
	return STATUS_OK;
}
