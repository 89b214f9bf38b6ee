/*
 * export: the Export handler: the request, its page token, the prologue and
 * the reply.  A page walks one snapshot of the store (the state right after
 * change as_of) in a fixed order (prologue, articles in id order with their
 * annotations in id order, then for jsonl the change feed: export_walk.c)
 * and hands each piece to the format.  A page ends after page_size pieces or
 * when its bytes are spent, possibly inside a piece; the page token says
 * where (piece and byte), so the next page makes that piece again and skips
 * what was sent.
 */
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export_walk.h"
#include "feed.h"
#include "label.h"
#include "method.h"
#include "page.h"
#include "store.h"
#include "valid.h"

/* Of a reply, for losses at least: they may take whatever data leaves. */
#define EXPORT_LOSS_RESERVE ((size_t)128 << 10)
#define EXPORT_PAGE_MIN     512 /* bytes of data a page */

static const struct export_format *const export_formats[] = { &export_jsonl,
	&export_w3c, &export_brat, &export_conll, &export_mqm, &export_spacy };

/* The label sets, in the order ListLabels gives them (label.c). */
static const char *const export_sets[] = { "entity", "mqm_category",
	"mqm_severity", "verdict" };

#define NSETS (sizeof(export_sets) / sizeof(export_sets[0]))

/*
 * The label sets, for the prologue, read with the scratch allocator (a set
 * holds up to LABEL_SET_MAX labels of ~600 bytes: four of them would weigh
 * on the call's arena) and freed once the prologue is made.
 */
struct export_labels {
	struct call *scratch;
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
		    &r->scratch.allocator, export_label_add, &el);
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
	int phase, wrote;
	enum status s;

	memset(&r->at, 0, sizeof(r->at));
	r->at.article = "";
	if ((s = page_token_read(c, r->q->page_token, query, &key, &n)) !=
	    STATUS_OK)
		return s;
	if (n == 0)
		return STATUS_OK;
	if (sscanf(key,
	        "%d\n%" SCNu64 "\n%" SCNu64 "\n%" SCNu64 "\n%" SCNu64
	        "\n%zu\n%zu\n%d\n",
	        &phase, &r->as_of, &r->at.ann, &r->at.seq, &r->at.counter,
	        &r->at.skip, &r->at_lskip, &wrote) != 8 ||
	    phase < EXPORT_AT_PROLOGUE || phase > EXPORT_AT_DONE)
		return call_fail(c, REASON(PAGE_TOKEN_INVALID), "page_token",
		    "page_token is damaged; start again");
	r->at.phase = phase;
	r->at_wrote = wrote != 0;
	p = key;
	for (int i = 0; i < 8 && p != NULL; i++)
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
	    "%d\n%" PRIu64 "\n%" PRIu64 "\n%" PRIu64 "\n%" PRIu64
	    "\n%zu\n%zu\n%d\n%s",
	    p->phase, r->as_of, p->ann, p->seq, p->counter, p->skip,
	    r->next_lskip, (int)r->next_wrote, p->article);
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
		return call_fail(c, REASON(FORMAT_UNKNOWN), "format",
		    "there is no export format '%s'; the formats are jsonl, "
		    "w3c, brat, conll, mqm and spacy",
		    call_clip(c, q->format, 40));
	if (scopes > 1)
		return call_fail(c, REASON(FIELDS_CONFLICT), "article_id",
		    "give at most one scope: article_id, group or language");
	if (q->kind < GLOSS__V1__KIND__KIND_UNSPECIFIED ||
	    q->kind > GLOSS__V1__KIND__KIND_NOTE)
		return call_fail(c, REASON(FIELD_INVALID), "kind",
		    "unknown kind %d", (int)q->kind);
	if ((s = valid_filter(c, q->label, valid_label_name, "label",
	         "a label name (1-64 of A-Z a-z 0-9 _ - / .)")) != STATUS_OK ||
	    (s = label_filter(c, q->label, "label")) != STATUS_OK)
		return s;
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
		return call_article_not_found(c, "article_id", q->article_id);
	if (s != STATUS_OK)
		return call_error(c, s, "cannot read article '%s'",
		    call_clip(c, q->article_id, 140));
	if (a->create_seq > r->as_of)
		return call_fail(c, REASON(NOT_IN_SNAPSHOT), "as_of_seq",
		    "article '%s' did not exist yet after change %" PRIu64
		    " (it was created by change %" PRIu64 ")",
		    a->id, r->as_of, a->create_seq);
	if (!export_in_snapshot(r, a))
		return call_fail(c, REASON(NOT_IN_SNAPSHOT), "article_id",
		    "article '%s' was deleted by change %" PRIu64
		    ", so it is not in the export's snapshot (change %" PRIu64
		    "); only jsonl exports deleted articles",
		    a->id, a->delete_seq, r->as_of);
	return STATUS_OK;
}

/* The sink's budgets: data up to page_bytes (else what a reply holds but
 * the losses' reserve), losses in what the data leaves of the reply (or of
 * page_bytes and the reserve). */
static enum status
export_out_init(struct call *c, struct export_run *r)
{
	size_t total = c->env->max_reply_bytes - 8192;
	size_t cap = total - EXPORT_LOSS_RESERVE;

	/* Below EXPORT_PAGE_MIN a chunk and its file name might not fit, and
	 * a page must always make progress. */
	if (r->q->page_bytes > 0 && r->q->page_bytes < cap) {
		cap = r->q->page_bytes < EXPORT_PAGE_MIN ? EXPORT_PAGE_MIN
		                                         : r->q->page_bytes;
		total = cap + EXPORT_LOSS_RESERVE;
	}
	r->out.call = c;
	r->out.cap = cap;
	r->out.total = total;
	r->out.path = "";
	if ((r->out.buf = call_alloc(c, cap)) == NULL)
		return call_fail(c, REASON(OUT_OF_MEMORY), NULL,
		    "out of memory");
	r->x.out = &r->out;
	r->x.q = r->q;
	return STATUS_OK;
}

static enum status
export_reply(struct call *c, struct export_run *r, const char *query)
{
	Gloss__V1__ExportResponse *e = call_alloc(c, sizeof(*e));
	struct store_info info;

	if (e == NULL)
		return call_fail(c, REASON(OUT_OF_MEMORY), NULL,
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
		return call_fail(c, REASON(OUT_OF_MEMORY), NULL,
		    "out of memory");
	c->reply.body_case = GLOSS__V1__REPLY__BODY_EXPORT;
	c->reply.export = e;
	return STATUS_OK;
}

enum status
export_export(struct call *c)
{
	struct export_run r = { .call = c, .q = c->req->export };
	char *query = export_query(c, r.q);
	enum status s;

	if (query == NULL)
		return call_fail(c, REASON(OUT_OF_MEMORY), NULL,
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
	export_walk_init(&r);
	if (r.at.phase < EXPORT_AT_DONE && export_prologue(&r) &&
	    export_walk_articles(&r))
		export_walk_changes(&r);
	export_walk_fini(&r);
	if (r.failed != STATUS_OK)
		return r.failed;
	return export_reply(c, &r, query);
}
