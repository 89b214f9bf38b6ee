/*
 * export_walk: the walk of one snapshot for a page of an Export: articles
 * in id order, each with its annotations in id order, then for jsonl the
 * change feed, each handed piece by piece to the format.  It owns what a
 * page costs: records are unpacked with malloc and freed piece by piece, the
 * formats' temporaries live in a scratch arena released as each piece and
 * article ends, so the request's arena holds only the page's chunks and
 * losses, and memory follows a piece, not the page nor the dataset.  It
 * also owns the counts: a piece counts on the page where it completes.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "export_walk.h"
#include "feed.h"
#include "store.h"

static void
export_free(void *m)
{
	if (m != NULL)
		protobuf_c_message_free_unpacked(m, NULL);
}

void
export_walk_init(struct export_run *r)
{
	/* The scratch holds a piece's temporaries and an article's format
	 * state, never a record: the request's budget bounds it amply. */
	call_init(&r->scratch, r->call->env, r->call->budget);
	r->x.call = &r->scratch;
	r->piece_mark = call_mark(&r->scratch);
}

void
export_walk_fini(struct export_run *r)
{
	export_free(r->source);
	r->source = NULL;
	call_fini(&r->scratch);
}

void *
export_scratch_alloc(struct call *scratch, size_t n)
{
	return call_alloc(scratch, n);
}

void
export_scratch_reset(struct call *scratch)
{
	struct call_mark empty = { NULL, 0, 0 };

	call_release(scratch, empty);
}

static bool
export_same(const struct export_pos *a, const struct export_pos *b)
{
	return a->phase == b->phase && a->ann == b->ann && a->seq == b->seq &&
	       strcmp(a->article, b->article) == 0;
}

/* Ends the page: the next starts at byte `skip` and loss `lskip` of piece
 * p.  Returns false, for the callers' convenience. */
static bool
export_stop(struct export_run *r, const struct export_pos *p, size_t skip,
    size_t lskip)
{
	r->next = *p;
	r->next.skip = skip;
	r->next_lskip = lskip;
	r->next_wrote = r->wrote;
	r->stopped = true;
	/* p->article may live in a record that is freed before the reply. */
	r->next.article = call_strndup(r->call, p->article, strlen(p->article));
	if (r->next.article == NULL)
		r->failed = call_fail(r->call, REASON(OUT_OF_MEMORY), NULL,
		    "out of memory");
	return false;
}

bool
export_begin(struct export_run *r, const struct export_pos *p)
{
	size_t skip = 0, lskip = 0;

	if (r->pieces == r->max_pieces || r->out.full ||
	    r->out.len >= r->out.cap)
		return export_stop(r, p, 0, 0);
	if (!r->started) {
		r->started = true;
		if ((r->at.skip > 0 || r->at_lskip > 0) &&
		    !export_same(p, &r->at)) {
			r->failed = call_fail(r->call, REASON(INTERNAL_ERROR),
			    NULL,
			    "the export lost its place between pages; start "
			    "it again");
			return false;
		}
		skip = r->at.skip;
		lskip = r->at_lskip;
	}
	r->pieces++;
	r->cur = *p;
	r->x.written = 0;
	r->piece_mark = call_mark(&r->scratch);
	export_piece(&r->out, "", skip, lskip);
	return true;
}

bool
export_end(struct export_run *r)
{
	call_release(&r->scratch, r->piece_mark);
	if (r->out.oom) {
		r->failed = call_fail(r->call, REASON(OUT_OF_MEMORY), NULL,
		    "glossd ran out of memory making a page of the export; "
		    "try again later");
		return false;
	}
	if (r->out.full)
		return export_stop(r, &r->cur, r->out.cut, r->out.loss_cut);
	if (r->out.piece_pos < r->out.skip ||
	    r->out.loss_pos < r->out.loss_skip) {
		r->failed = call_fail(r->call, REASON(INTERNAL_ERROR), NULL,
		    "a piece of the export came out shorter than on the page "
		    "before; start the export again");
		return false;
	}
	/* Complete on this page: what it wrote counts here, and only here. */
	r->annotations += (uint32_t)r->x.written;
	if (r->x.written > 0)
		r->wrote = true;
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

/* Whether revision a is written: it passes the request's kind and label
 * filters, and is active (or the format carries tombstones). */
static bool
export_wanted(const struct export_run *r, const Gloss__V1__Annotation *a)
{
	if (a->state == GLOSS__V1__STATE__STATE_DELETED &&
	    !(r->f->flags & EXPORT_REVISIONS))
		return false;
	if (r->q->kind != GLOSS__V1__KIND__KIND_UNSPECIFIED &&
	    a->kind != r->q->kind)
		return false;
	return r->q->label[0] == '\0' ||
	       strcmp(r->q->label, export_label(a)) == 0;
}

bool
export_in_snapshot(const struct export_run *r, const Gloss__V1__Article *a)
{
	if (r->as_of == 0 || a->create_seq > r->as_of)
		return false;
	return r->f->flags & EXPORT_REVISIONS ||
	       a->state != GLOSS__V1__STATE__STATE_DELETED ||
	       a->delete_seq > r->as_of;
}

/* The source of a translation note, for formats that quote it: none if it
 * is not in the snapshot (deleted by then). */
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
	if (r->source != NULL && export_in_snapshot(r, r->source))
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
	if (r->f->flags & EXPORT_REVISIONS) {
		export_free(a);
		s = store_revision_scan(r->call->txn, id, 0, NULL,
		    export_rev_add, r);
		if (s != STATUS_OK) {
			call_release(&r->scratch, r->piece_mark);
			r->failed = call_error(r->call, s,
			    "cannot read the history of annotation %" PRIu64,
			    id);
			return false;
		}
		r->x.written = 1; /* every revision: one annotation */
	} else {
		export_source(r, a);
		r->f->annotation(&r->x, a);
		export_free(a);
	}
	return export_end(r);
}

/* The annotation `now` (consumed) as of the snapshot, if it is written;
 * NULL otherwise, or on failure (r->failed). */
static Gloss__V1__Annotation *
export_then(struct export_run *r, Gloss__V1__Annotation *now)
{
	Gloss__V1__Annotation *a;
	enum status s;

	if ((s = export_as_of(r, now, &a)) != STATUS_OK) {
		r->failed = call_error(r->call, s,
		    "cannot read the history of an annotation");
		return NULL;
	}
	if (a != NULL && !export_wanted(r, a)) {
		export_free(a);
		return NULL;
	}
	return a;
}

static bool
export_annotation_add(void *arg, Gloss__V1__Annotation *now)
{
	struct export_run *r = arg;
	Gloss__V1__Annotation *a = export_then(r, now);

	if (a == NULL)
		return r->failed == STATUS_OK;
	return export_annotation_piece(r, a);
}

/* EXPORT_WHOLE: each annotation goes to the format's gather() and is
 * freed, so an article's records are never all held at once. */
static bool
export_gather_add(void *arg, Gloss__V1__Annotation *now)
{
	struct export_run *r = arg;
	Gloss__V1__Annotation *a = export_then(r, now);

	if (a == NULL)
		return r->failed == STATUS_OK;
	r->f->gather(&r->x, a);
	export_free(a);
	return !r->out.oom;
}

/* The article's own piece: its head, or for EXPORT_WHOLE everything. */
static bool
export_head_piece(struct export_run *r)
{
	const Gloss__V1__Article *a = r->x.article;
	enum status s;

	if (!(r->f->flags & EXPORT_WHOLE)) {
		if (r->f->head != NULL)
			r->f->head(&r->x);
		return export_end(r);
	}
	s = store_annotation_scan(r->call->txn, STORE_INDEX_ARTICLE, a->id, 0,
	    NULL, export_gather_add, r);
	if (s == STATUS_OK && r->failed == STATUS_OK && !r->out.oom)
		r->f->article_whole(&r->x);
	if (s != STATUS_OK && r->failed == STATUS_OK)
		r->failed = call_error(r->call, s,
		    "cannot read the annotations of article '%s'", a->id);
	if (r->failed != STATUS_OK) {
		call_release(&r->scratch, r->piece_mark);
		return false;
	}
	return export_end(r);
}

/* ------------------------------------------------------------ articles */

/* The annotations of the article in hand after `after`, a piece each. */
static bool
export_annotations(struct export_run *r, uint64_t after)
{
	const char *id = r->x.article->id;
	enum status s;

	s = store_annotation_scan(r->call->txn, STORE_INDEX_ARTICLE, id, after,
	    NULL, export_annotation_add, r);
	if (s != STATUS_OK && r->failed == STATUS_OK)
		r->failed = call_error(r->call, s,
		    "cannot read the annotations of article '%s'", id);
	return !r->stopped && r->failed == STATUS_OK;
}

/* The article in hand, from where the page takes it up: its own piece
 * unless that was made, then its annotations; false when the page ends. */
static bool
export_article_pieces(struct export_run *r, bool resume)
{
	struct export_pos head = { EXPORT_AT_ARTICLES, r->x.article->id, 0, 0,
		r->counter, 0 };
	uint64_t after = resume && r->at.ann > 0 ? r->at.ann - 1 : 0;
	bool own = r->f->head != NULL || (r->f->flags & EXPORT_WHOLE);

	if (own && !(resume && r->at.ann > 0) &&
	    !(export_begin(r, &head) && export_head_piece(r)))
		return false;
	if (!(r->f->flags & EXPORT_WHOLE) && !export_annotations(r, after))
		return false;
	/* Complete on this page: it counts here.  A format with nothing of
	 * the article's own (w3c, mqm) counts it if it wrote an annotation. */
	if (own || r->wrote)
		r->articles++;
	return true;
}

/* Writes article a (as stored now) if it is in the snapshot, as it was
 * then; false when the page is done. */
static bool
export_article(struct export_run *r, Gloss__V1__Article *a)
{
	bool resume = !r->started && r->at.phase == EXPORT_AT_ARTICLES &&
	              strcmp(r->at.article, a->id) == 0;
	struct call_mark mark = call_mark(&r->scratch);
	bool go_on;

	/* A shallow copy: feed_article_as_of() may point fields into the
	 * scratch, and a is freed with malloc's free. */
	Gloss__V1__Article then = *a;

	if (!export_in_snapshot(r, a))
		return true;
	if (!feed_article_as_of(&r->scratch, &then, r->as_of)) {
		r->failed = call_fail(r->call, REASON(OUT_OF_MEMORY), NULL,
		    "out of memory");
		return false;
	}
	r->x.article = &then;
	r->x.text_len = strlen(a->text);
	r->x.state = NULL;
	r->x.counter = r->base = r->counter;
	r->wrote = resume && r->at_wrote;
	if (r->f->open != NULL)
		r->f->open(&r->x);
	go_on = export_article_pieces(r, resume);
	r->x.complete = go_on;
	if (r->f->close != NULL)
		r->f->close(&r->x);
	if (go_on)
		r->counter = r->x.counter;
	call_release(&r->scratch, mark);
	return go_on;
}

static bool
export_article_add(void *arg, Gloss__V1__Article *a)
{
	struct export_run *r = arg;
	bool go_on = export_article(r, a);

	export_free(a);
	return go_on && r->failed == STATUS_OK;
}

bool
export_walk_articles(struct export_run *r)
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
		s = store_article_get(r->call->txn, first, NULL, &a);
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
	s = store_article_scan(r->call->txn, &f, NULL, export_article_add, r);
	if (s != STATUS_OK && r->failed == STATUS_OK)
		r->failed = call_error(r->call, s, "cannot scan the articles");
	return !r->stopped && r->failed == STATUS_OK;
}

/* ------------------------------------------------------------ changes */

static bool
export_change_add(void *arg, Gloss__V1__Change *ch)
{
	struct export_run *r = arg;
	struct export_pos p = { EXPORT_AT_CHANGES, "", 0, ch->seq, 0, 0 };
	bool go_on = ch->seq <= r->as_of && export_begin(r, &p);

	if (go_on) {
		/* As ListChanges: request ids are their author's and an
		 * admin's only. */
		if (ch->request_id[0] != '\0' &&
		    !auth_sees_request_ids(r->call, ch->author))
			ch->request_id[0] = '\0'; /* freed as unpacked */
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

bool
export_walk_changes(struct export_run *r)
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
