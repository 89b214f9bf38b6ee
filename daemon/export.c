/*
 * export: the Export handler.  Walks one snapshot of the store (the state
 * right after change as_of) in a fixed order (prologue, articles in id order
 * with their annotations in id order, then for jsonl the change feed) and
 * hands each piece to the format.  A page ends after page_size pieces or when
 * its bytes are spent, possibly inside a piece; the page token says where
 * (piece and byte), so the next page makes that piece again and skips what
 * was sent.  Records are unpacked with malloc and freed piece by piece, so a
 * page costs its own output, not the size of the dataset.
 */
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export.h"
#include "feed.h"
#include "method.h"
#include "page.h"
#include "store.h"

#define EXPORT_LOSS_RESERVE ((size_t)128 << 10) /* of a reply, for losses */
#define EXPORT_PAGE_MIN     512                 /* bytes of data a page */

enum export_phase {
	EXPORT_AT_PROLOGUE,
	EXPORT_AT_ARTICLES,
	EXPORT_AT_CHANGES,
	EXPORT_AT_DONE,
};

/* A piece of the stream, and where a page starts: the piece and the bytes
 * of it sent already. */
struct export_pos {
	int phase;
	const char *article; /* EXPORT_AT_ARTICLES: the article */
	uint64_t ann;        /* its annotation, 0 for the article's own piece */
	uint64_t seq;        /* EXPORT_CHANGES: the change */
	uint64_t counter;    /* the format's running count at the article */
	size_t skip;
};

static const struct export_format *const export_formats[] = { &export_jsonl,
	&export_w3c, &export_brat, &export_conll, &export_mqm, &export_spacy };

/* The label sets, in the order ListLabels gives them (label.c). */
static const char *const export_sets[] = { "entity", "mqm_category",
	"mqm_severity", "verdict" };

#define NSETS (sizeof(export_sets) / sizeof(export_sets[0]))

/*
 * The allocator articles are read with: malloc'd blocks freed together by
 * export_scratch_reset() once an article is written, with whatever was
 * read alongside it; not the call's arena, which a page of long articles
 * would outgrow.
 */
struct export_block {
	struct export_block *next;
	max_align_t data[];
};

struct export_scratch {
	ProtobufCAllocator alloc;
	struct export_block *head;
};

static void *
export_scratch_alloc(void *arg, size_t n)
{
	struct export_scratch *sc = arg;
	struct export_block *b = malloc(sizeof(*b) + n);

	if (b == NULL)
		return NULL;
	b->next = sc->head;
	sc->head = b;
	return b->data;
}

static void
export_scratch_free(void *arg, void *p)
{
	(void)arg;
	(void)p; /* freed by export_scratch_reset() */
}

static void
export_scratch_reset(struct export_scratch *sc)
{
	struct export_block *b;

	while ((b = sc->head) != NULL) {
		sc->head = b->next;
		free(b);
	}
}

struct export_run {
	struct call *call;
	const Gloss__V1__ExportRequest *q;
	const struct export_format *f;
	struct export_out out;
	struct export_ctx x;
	uint64_t as_of;
	size_t max_pieces, pieces;
	struct export_pos at;   /* where this page starts */
	struct export_pos cur;  /* the piece being made */
	struct export_pos next; /* where the next page starts */
	bool started;           /* the first piece of the page is made */
	bool stopped;           /* the page ended before the stream */
	enum status failed;
	uint32_t articles, annotations;
	uint64_t counter; /* the format's count before the next article */
	uint64_t base;    /* and before the article in hand */
	Gloss__V1__Article *source;    /* cached source article (malloc'd) */
	struct export_scratch scratch; /* articles being written */
};

static void
export_free(void *m)
{
	if (m != NULL)
		protobuf_c_message_free_unpacked(m, NULL);
}

static bool
export_same(const struct export_pos *a, const struct export_pos *b)
{
	return a->phase == b->phase && a->ann == b->ann && a->seq == b->seq &&
	       strcmp(a->article, b->article) == 0;
}

/* Ends the page: the next starts at byte `skip` of piece p.  Returns
 * false, for the callers' convenience. */
static bool
export_stop(struct export_run *r, const struct export_pos *p, size_t skip)
{
	r->next = *p;
	r->next.skip = skip;
	r->stopped = true;
	/* p->article may live in a record that is freed before the reply. */
	r->next.article = call_strndup(r->call, p->article, strlen(p->article));
	if (r->next.article == NULL)
		r->failed = call_error(r->call, STATUS_RESOURCE_EXHAUSTED,
		    "out of memory");
	return false;
}

/*
 * Starts piece p if the page has room for it; otherwise makes p where the
 * next page starts and returns false.
 */
static bool
export_begin(struct export_run *r, const struct export_pos *p)
{
	size_t skip = 0;

	if (r->pieces == r->max_pieces || r->out.full ||
	    r->out.len >= r->out.cap)
		return export_stop(r, p, 0);
	if (!r->started) {
		r->started = true;
		if (r->at.skip > 0 && !export_same(p, &r->at)) {
			r->failed = call_error(r->call, STATUS_INTERNAL,
			    "the export lost its place between pages; start "
			    "it again");
			return false;
		}
		skip = r->at.skip;
	}
	r->pieces++;
	r->cur = *p;
	export_piece(&r->out, "", skip);
	return true;
}

/* Ends the current piece; false if the page filled inside it. */
static bool
export_end(struct export_run *r)
{
	if (r->out.oom) {
		r->failed = call_error(r->call, STATUS_RESOURCE_EXHAUSTED,
		    "out of memory; ask for smaller pages (page_bytes)");
		return false;
	}
	if (r->out.full)
		return export_stop(r, &r->cur, r->out.cut);
	if (r->out.piece_pos < r->out.skip) {
		r->failed = call_error(r->call, STATUS_INTERNAL,
		    "a piece of the export came out shorter than on the page "
		    "before; start the export again");
		return false;
	}
	return true;
}

/* ------------------------------------------------------------ snapshot */

struct export_past {
	uint64_t as_of;
	Gloss__V1__Annotation *found;
};

static bool
export_past_add(void *arg, Gloss__V1__Annotation *a)
{
	struct export_past *p = arg;

	if (a->update_seq > p->as_of) {
		export_free(a);
		return false;
	}
	export_free(p->found);
	p->found = a;
	return true;
}

/*
 * The revision of annotation `now` (consumed) current right after change
 * as_of, malloc'd, in *out; NULL if it was created later.
 */
static enum status
export_as_of(struct export_run *r, Gloss__V1__Annotation *now,
    Gloss__V1__Annotation **out)
{
	struct export_past p = { r->as_of, NULL };
	uint64_t id = now->id;
	enum status s;

	*out = NULL;
	if (now->update_seq <= r->as_of) {
		*out = now;
		return STATUS_OK;
	}
	export_free(now);
	s = store_revision_scan(r->call->txn, id, 0, NULL, export_past_add, &p);
	if (s != STATUS_OK) {
		export_free(p.found);
		return s;
	}
	*out = p.found;
	return STATUS_OK;
}

/* Whether revision a passes the request's kind and label filters. */
static bool
export_wanted(const struct export_run *r, const Gloss__V1__Annotation *a)
{
	if (r->q->kind != GLOSS__V1__KIND__KIND_UNSPECIFIED &&
	    a->kind != r->q->kind)
		return false;
	return r->q->label[0] == '\0' ||
	       strcmp(r->q->label, export_label(a)) == 0;
}

/* The source of a translation note, for formats that quote it. */
static void
export_source(struct export_run *r, const Gloss__V1__Annotation *a)
{
	const char *id;

	r->x.source = NULL;
	if (!(r->f->flags & EXPORT_SOURCES) ||
	    a->body_case != GLOSS__V1__ANNOTATION__BODY_TRANSLATION_NOTE)
		return;
	id = a->translation_note->source_article_id;
	if (r->source == NULL || strcmp(r->source->id, id) != 0) {
		export_free(r->source);
		r->source = NULL;
		if (store_article_get(r->call->txn, id, NULL, &r->source) !=
		    STATUS_OK)
			r->source = NULL;
	}
	r->x.source = r->source;
}

/* ------------------------------------------------------------ pieces */

static bool
export_rev_add(void *arg, Gloss__V1__Annotation *a)
{
	struct export_run *r = arg;
	bool go_on = a->update_seq <= r->as_of;

	if (go_on)
		r->f->revision(&r->x, a);
	export_free(a);
	return go_on;
}

/* One annotation's piece; consumes a. */
static bool
export_annotation_piece(struct export_run *r, Gloss__V1__Annotation *a)
{
	struct export_pos p = { EXPORT_AT_ARTICLES, r->x.article->id, a->id, 0,
		r->base, 0 };
	enum status s;
	uint64_t id = a->id;

	if (!export_begin(r, &p)) {
		export_free(a);
		return false;
	}
	r->annotations++;
	if (r->f->flags & EXPORT_REVISIONS) {
		export_free(a);
		s = store_revision_scan(r->call->txn, id, 0, NULL,
		    export_rev_add, r);
		if (s != STATUS_OK) {
			r->failed = call_error(r->call, s,
			    "cannot read the history of annotation %" PRIu64,
			    id);
			return false;
		}
	} else {
		export_source(r, a);
		r->f->annotation(&r->x, a);
		export_free(a);
	}
	return export_end(r);
}

static bool
export_annotation_add(void *arg, Gloss__V1__Annotation *now)
{
	struct export_run *r = arg;
	Gloss__V1__Annotation *a;
	enum status s;

	if ((s = export_as_of(r, now, &a)) != STATUS_OK) {
		r->failed = call_error(r->call, s,
		    "cannot read the history of an annotation");
		return false;
	}
	if (a == NULL)
		return true; /* created after the snapshot */
	if (!export_wanted(r, a) ||
	    (a->state == GLOSS__V1__STATE__STATE_DELETED &&
	        !(r->f->flags & EXPORT_REVISIONS))) {
		export_free(a);
		return true;
	}
	return export_annotation_piece(r, a);
}

/* What article_whole gets: the article's annotations as of the snapshot. */
struct export_whole {
	struct export_run *run;
	Gloss__V1__Annotation **items;
	size_t n, max;
	enum status failed;
};

static bool
export_whole_add(void *arg, Gloss__V1__Annotation *now)
{
	struct export_whole *w = arg;
	Gloss__V1__Annotation *a, **grown;

	if ((w->failed = export_as_of(w->run, now, &a)) != STATUS_OK)
		return false;
	if (a == NULL)
		return true;
	if (!export_wanted(w->run, a) ||
	    a->state == GLOSS__V1__STATE__STATE_DELETED) {
		export_free(a);
		return true;
	}
	if (w->n == w->max) {
		w->max = w->max ? 2 * w->max : 64;
		if ((grown = realloc(w->items, w->max * sizeof(*grown))) ==
		    NULL) {
			export_free(a);
			w->failed = STATUS_RESOURCE_EXHAUSTED;
			return false;
		}
		w->items = grown;
	}
	w->items[w->n++] = a;
	return true;
}

/* The article's own piece: its head, or for EXPORT_WHOLE everything. */
static bool
export_head_piece(struct export_run *r)
{
	const Gloss__V1__Article *a = r->x.article;
	struct export_whole w = { .run = r };
	enum status s;

	r->articles++;
	if (!(r->f->flags & EXPORT_WHOLE)) {
		if (r->f->head != NULL)
			r->f->head(&r->x);
		return export_end(r);
	}
	s = store_annotation_scan(r->call->txn, STORE_INDEX_ARTICLE, a->id, 0,
	    NULL, export_whole_add, &w);
	if (s == STATUS_OK)
		s = w.failed;
	if (s == STATUS_OK) {
		r->f->article_whole(&r->x, w.items, w.n);
		r->annotations += (uint32_t)w.n;
	}
	for (size_t i = 0; i < w.n; i++)
		export_free(w.items[i]);
	free(w.items);
	if (s != STATUS_OK) {
		r->failed = call_error(r->call, s,
		    "cannot read the annotations of article '%s'", a->id);
		return false;
	}
	return export_end(r);
}

/* Whether article a (stored now) is in the snapshot; makes it as it was. */
static bool
export_article_then(struct export_run *r, Gloss__V1__Article *a)
{
	if (r->as_of == 0 || a->create_seq > r->as_of)
		return false;
	return feed_article_as_of(r->call, a, r->as_of);
}

/* Writes article a: its own piece, then its annotations, as far as the
 * page allows; false when the page is done. */
static bool
export_article(struct export_run *r, Gloss__V1__Article *a)
{
	struct export_pos head = { EXPORT_AT_ARTICLES, a->id, 0, 0, r->counter,
		0 };
	bool resume = !r->started && r->at.phase == EXPORT_AT_ARTICLES &&
	              strcmp(r->at.article, a->id) == 0;
	uint64_t after = resume && r->at.ann > 0 ? r->at.ann - 1 : 0;
	bool go_on = true;
	enum status s;

	/* A shallow copy: feed_article_as_of() may point fields into the
	 * arena, and a is freed with malloc's free. */
	Gloss__V1__Article then = *a;

	if (!export_article_then(r, &then))
		return true;
	r->x.article = &then;
	r->x.text_len = strlen(a->text);
	r->x.state = NULL;
	r->x.counter = r->base = r->counter;
	if (r->f->open != NULL)
		r->f->open(&r->x);
	/* A format with nothing of the article's own (w3c, mqm) makes no
	 * piece of it, only counts it. */
	if (!(resume && r->at.ann > 0) && r->f->head == NULL &&
	    !(r->f->flags & EXPORT_WHOLE))
		r->articles++;
	else if (!(resume && r->at.ann > 0))
		go_on = export_begin(r, &head) && export_head_piece(r);
	if (go_on && !(r->f->flags & EXPORT_WHOLE)) {
		s = store_annotation_scan(r->call->txn, STORE_INDEX_ARTICLE,
		    a->id, after, NULL, export_annotation_add, r);
		if (s != STATUS_OK && r->failed == STATUS_OK)
			r->failed = call_error(r->call, s,
			    "cannot read the annotations of article '%s'",
			    a->id);
		go_on = !r->stopped && r->failed == STATUS_OK;
	}
	if (r->f->close != NULL)
		r->f->close(&r->x);
	if (go_on)
		r->counter = r->x.counter;
	return go_on;
}

static bool
export_article_add(void *arg, Gloss__V1__Article *a)
{
	struct export_run *r = arg;
	bool go_on = export_article(r, a);

	export_scratch_reset(&r->scratch);
	return go_on && r->failed == STATUS_OK;
}

/* The articles in scope, from where the page starts; false if the page
 * ended before the last. */
static bool
export_articles(struct export_run *r)
{
	const Gloss__V1__ExportRequest *q = r->q;
	struct store_article_filter f = { q->language, q->group, "" };
	const char *first = q->article_id;
	Gloss__V1__Article *a;
	enum status s;

	if (r->at.phase > EXPORT_AT_ARTICLES)
		return true;
	if (r->at.phase == EXPORT_AT_ARTICLES && r->at.article[0] != '\0')
		first = r->at.article;
	if (first[0] != '\0') {
		s = store_article_get(r->call->txn, first, &r->scratch.alloc,
		    &a);
		if (s != STATUS_OK) {
			r->failed = call_error(r->call, s,
			    "cannot read article '%s'", first);
			return false;
		}
		if (!export_article_add(r, a))
			return false;
		if (q->article_id[0] != '\0')
			return true;
		f.after = first;
	}
	s = store_article_scan(r->call->txn, &f, &r->scratch.alloc,
	    export_article_add, r);
	export_scratch_reset(&r->scratch);
	if (s != STATUS_OK && r->failed == STATUS_OK)
		r->failed = call_error(r->call, s, "cannot scan the articles");
	return !r->stopped && r->failed == STATUS_OK;
}

static bool
export_change_add(void *arg, Gloss__V1__Change *ch)
{
	struct export_run *r = arg;
	struct export_pos p = { EXPORT_AT_CHANGES, "", 0, ch->seq, 0, 0 };
	bool go_on = ch->seq <= r->as_of && export_begin(r, &p);

	if (go_on) {
		r->f->change(&r->x, ch);
		go_on = export_end(r);
	}
	export_free(ch);
	return go_on;
}

/* Whether the export has no filter: every record of the snapshot. */
static bool
export_complete(const Gloss__V1__ExportRequest *q)
{
	return q->article_id[0] == '\0' && q->group[0] == '\0' &&
	       q->language[0] == '\0' && q->label[0] == '\0' &&
	       q->kind == GLOSS__V1__KIND__KIND_UNSPECIFIED;
}

static bool
export_changes(struct export_run *r)
{
	uint64_t after = r->at.phase == EXPORT_AT_CHANGES ? r->at.seq - 1 : 0;
	enum status s;

	if (!(r->f->flags & EXPORT_CHANGES) || !export_complete(r->q))
		return true;
	s = store_change_scan(r->call->txn, after, NULL, export_change_add, r);
	if (s != STATUS_OK && r->failed == STATUS_OK)
		r->failed = call_error(r->call, s, "cannot read the changes");
	return !r->stopped && r->failed == STATUS_OK;
}

/*
 * The label sets, for the prologue, read with the scratch allocator (a set
 * holds up to LABEL_SET_MAX labels of ~600 bytes: four of them would weigh
 * on the call's arena) and freed once the prologue is made.
 */
struct export_labels {
	struct export_scratch *scratch;
	Gloss__V1__LabelSet *set;
	size_t max;
	bool oom;
};

static bool
export_label_add(void *arg, const char *set_name, Gloss__V1__Label *l)
{
	struct export_labels *el = arg;
	Gloss__V1__LabelSet *set = el->set;
	Gloss__V1__Label **grown;

	(void)set_name;
	if (set->n_labels == el->max) {
		el->max = el->max ? 2 * el->max : 32;
		grown =
		    export_scratch_alloc(el->scratch, el->max * sizeof(*grown));
		if (grown == NULL) {
			el->oom = true;
			return false;
		}
		if (set->n_labels > 0)
			memcpy(grown, set->labels,
			    set->n_labels * sizeof(*grown));
		set->labels = grown;
	}
	set->labels[set->n_labels++] = l;
	return true;
}

static enum status
export_label_sets(struct export_run *r, Gloss__V1__LabelSet **sets)
{
	struct export_labels el = { .scratch = &r->scratch };
	enum status s;

	for (size_t i = 0; i < NSETS; i++) {
		el.set = sets[i] =
		    export_scratch_alloc(&r->scratch, sizeof(**sets));
		if (el.set == NULL)
			return STATUS_RESOURCE_EXHAUSTED;
		gloss__v1__label_set__init(el.set);
		el.set->name = call_str(export_sets[i]);
		el.max = 0;
		s = store_label_scan(r->call->txn, export_sets[i], "", "",
		    &r->scratch.alloc, export_label_add, &el);
		if (s != STATUS_OK)
			return s;
		if (el.oom)
			return STATUS_RESOURCE_EXHAUSTED;
	}
	return STATUS_OK;
}

static bool
export_prologue(struct export_run *r)
{
	struct export_pos p = { EXPORT_AT_PROLOGUE, "", 0, 0, 0, 0 };
	Gloss__V1__LabelSet *sets[NSETS];
	enum status s;
	bool go_on;

	if (r->f->prologue == NULL || r->at.phase > EXPORT_AT_PROLOGUE)
		return true;
	if ((s = export_label_sets(r, sets)) != STATUS_OK) {
		export_scratch_reset(&r->scratch);
		r->failed =
		    call_error(r->call, s, "cannot read the label sets");
		return false;
	}
	go_on = export_begin(r, &p);
	if (go_on) {
		r->f->prologue(&r->x, sets, NSETS);
		go_on = export_end(r);
	}
	export_scratch_reset(&r->scratch);
	return go_on;
}

/* ------------------------------------------------------------ request */

static const struct export_format *
export_find(const char *name)
{
	for (size_t i = 0; i < sizeof(export_formats) / sizeof(*export_formats);
	     i++)
		if (strcmp(name, export_formats[i]->name) == 0)
			return export_formats[i];
	return NULL;
}

static char *
export_query(struct call *c, const Gloss__V1__ExportRequest *q)
{
	return call_printf(c, "export\n%s\n%s\n%s\n%s\n%d\n%s\n%" PRIu64,
	    q->format, q->article_id, q->group, q->language, (int)q->kind,
	    q->label, q->as_of_seq);
}

/* Reads the page token into r->at (the first page: the prologue). */
static enum status
export_token_read(struct call *c, struct export_run *r, const char *query)
{
	const char *key, *p;
	size_t n;
	int phase;
	enum status s;

	memset(&r->at, 0, sizeof(r->at));
	r->at.article = "";
	if ((s = page_token_read(c, r->q->page_token, query, &key, &n)) !=
	    STATUS_OK)
		return s;
	if (n == 0)
		return STATUS_OK;
	if (sscanf(key,
	        "%d\n%" SCNu64 "\n%" SCNu64 "\n%" SCNu64 "\n%" SCNu64 "\n%zu\n",
	        &phase, &r->as_of, &r->at.ann, &r->at.seq, &r->at.counter,
	        &r->at.skip) != 6 ||
	    phase < EXPORT_AT_PROLOGUE || phase > EXPORT_AT_DONE)
		return call_field_error(c, STATUS_INVALID_ARGUMENT,
		    "page_token", "page_token is damaged; start again");
	r->at.phase = phase;
	p = key;
	for (int i = 0; i < 6 && p != NULL; i++)
		if ((p = strchr(p, '\n')) != NULL)
			p++;
	r->at.article = p != NULL ? p : "";
	return STATUS_OK;
}

static char *
export_token_make(struct call *c, const struct export_run *r, const char *query)
{
	const struct export_pos *p = &r->next;
	char *key;

	if (!r->stopped)
		return (char *)"";
	key = call_printf(c,
	    "%d\n%" PRIu64 "\n%" PRIu64 "\n%" PRIu64 "\n%" PRIu64 "\n%zu\n%s",
	    p->phase, r->as_of, p->ann, p->seq, p->counter, p->skip,
	    p->article);
	return key != NULL ? page_token_make(c, query, key, strlen(key)) : NULL;
}

/* Checks the request's format and filters; resolves the snapshot. */
static enum status
export_check(struct call *c, struct export_run *r)
{
	const Gloss__V1__ExportRequest *q = r->q;
	int scopes = (q->article_id[0] != '\0') + (q->group[0] != '\0') +
	             (q->language[0] != '\0');
	enum status s;

	if ((r->f = export_find(q->format)) == NULL)
		return call_field_error(c, STATUS_INVALID_ARGUMENT, "format",
		    "there is no export format '%s'; the formats are jsonl, "
		    "w3c, brat, conll, mqm and spacy",
		    call_clip(c, q->format, 40));
	if (scopes > 1)
		return call_field_error(c, STATUS_INVALID_ARGUMENT,
		    "article_id",
		    "give at most one scope: article_id, group or language");
	if (q->kind < GLOSS__V1__KIND__KIND_UNSPECIFIED ||
	    q->kind > GLOSS__V1__KIND__KIND_NOTE)
		return call_field_error(c, STATUS_INVALID_ARGUMENT, "kind",
		    "unknown kind %d", (int)q->kind);
	if (q->as_of_seq > 0 &&
	    (s = feed_check_seq(c, q->as_of_seq)) != STATUS_OK)
		return s;
	return STATUS_OK;
}

/* For the first page: the snapshot, and the article scope exists in it. */
static enum status
export_first(struct call *c, struct export_run *r)
{
	const Gloss__V1__ExportRequest *q = r->q;
	Gloss__V1__Article *a;
	enum status s;

	r->as_of = q->as_of_seq;
	if (r->as_of == 0 &&
	    (s = store_change_last(c->txn, &r->as_of)) != STATUS_OK)
		return call_error(c, s, "cannot read the change feed");
	if (q->article_id[0] == '\0')
		return STATUS_OK;
	s = store_article_get(c->txn, q->article_id, &c->allocator, &a);
	if (s == STATUS_NOT_FOUND)
		return call_field_error(c, s, "article_id",
		    "article '%s' not found", call_clip(c, q->article_id, 140));
	if (s != STATUS_OK)
		return call_error(c, s, "cannot read article '%s'",
		    call_clip(c, q->article_id, 140));
	if (a->create_seq > r->as_of)
		return call_field_error(c, STATUS_NOT_FOUND, "as_of_seq",
		    "article '%s' did not exist yet after change %" PRIu64
		    " (it was created by change %" PRIu64 ")",
		    a->id, r->as_of, a->create_seq);
	return STATUS_OK;
}

/* The sink's budgets: data up to page_bytes, losses in a reserve. */
static enum status
export_out_init(struct call *c, struct export_run *r)
{
	size_t total = c->env->max_reply_bytes - 8192;
	size_t cap = total - EXPORT_LOSS_RESERVE;

	/* Below EXPORT_PAGE_MIN a chunk and its file name might not fit, and
	 * a page must always make progress. */
	if (r->q->page_bytes > 0 && r->q->page_bytes < cap)
		cap = r->q->page_bytes < EXPORT_PAGE_MIN ? EXPORT_PAGE_MIN
		                                         : r->q->page_bytes;
	r->out.call = c;
	r->out.cap = cap;
	r->out.loss_budget = EXPORT_LOSS_RESERVE;
	r->out.path = "";
	if ((r->out.buf = call_alloc(c, cap)) == NULL)
		return call_error(c, STATUS_RESOURCE_EXHAUSTED,
		    "out of memory");
	r->x.out = &r->out;
	r->x.call = c;
	r->x.q = r->q;
	return STATUS_OK;
}

static enum status
export_reply(struct call *c, struct export_run *r, const char *query)
{
	Gloss__V1__ExportResponse *e = call_alloc(c, sizeof(*e));
	struct store_info info;

	if (e == NULL)
		return call_error(c, STATUS_RESOURCE_EXHAUSTED,
		    "out of memory");
	gloss__v1__export_response__init(e);
	e->chunks = r->out.chunks;
	e->n_chunks = r->out.n_chunks;
	e->losses = r->out.losses;
	e->n_losses = r->out.n_losses;
	e->losses_unlisted = r->out.losses_unlisted;
	e->as_of_seq = r->as_of;
	e->articles = r->articles;
	e->annotations = r->annotations;
	if (r->q->article_id[0] != '\0')
		e->articles_total = 1;
	else if (store_info(c->txn, &info) == STATUS_OK)
		e->articles_total = info.article_count;
	if ((e->next_page_token = export_token_make(c, r, query)) == NULL)
		return call_error(c, STATUS_RESOURCE_EXHAUSTED,
		    "out of memory");
	c->reply.body_case = GLOSS__V1__REPLY__BODY_EXPORT;
	c->reply.export = e;
	return STATUS_OK;
}

enum status
export_export(struct call *c)
{
	struct export_run r = { .call = c,
		.q = c->req->export,
		.scratch = { .alloc = { export_scratch_alloc,
		                 export_scratch_free, &r.scratch } } };
	char *query = export_query(c, r.q);
	enum status s;

	if (query == NULL)
		return call_error(c, STATUS_RESOURCE_EXHAUSTED,
		    "out of memory");
	if ((s = export_check(c, &r)) != STATUS_OK ||
	    (s = page_size(c, r.q->page_size, &r.max_pieces)) != STATUS_OK ||
	    (s = export_token_read(c, &r, query)) != STATUS_OK)
		return s;
	if (r.q->page_token[0] == '\0' &&
	    (s = export_first(c, &r)) != STATUS_OK)
		return s;
	if ((s = export_out_init(c, &r)) != STATUS_OK)
		return s;
	r.x.as_of = r.as_of;
	r.counter = r.at.counter;
	if (r.at.phase < EXPORT_AT_DONE && export_prologue(&r) &&
	    export_articles(&r))
		export_changes(&r);
	export_free(r.source);
	if (r.failed != STATUS_OK)
		return r.failed;
	return export_reply(c, &r, query);
}
