/*
 * search: the SearchText handler: where a string occurs in one article, a
 * translation group or the whole corpus, with every match's span in all
 * units and its occurrence number (the `nth` a Quote takes).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "method.h"
#include "page.h"
#include "quote.h"
#include "span.h"
#include "store.h"
#include "text.h"
#include "valid.h"

#define SEARCH_TEXT_MAX 4096

struct search_page {
	struct call *call;
	const Gloss__V1__SearchTextRequest *q;
	unsigned flags; /* quote_flags the matches are found by */
	Gloss__V1__TextMatch **items;
	size_t n, max;
	size_t bytes, budget;  /* packed size so far, and the reply's limit */
	uint32_t skip;         /* matches of the first article already sent */
	size_t *at, *to;       /* scratch for quote_find: starts and ends */
	struct call_mark mark; /* where the article being searched begins */
	bool more, oom;
	/* No match anywhere: the second scan gathers candidates instead,
	 * from at most QUOTE_SCAN_MAX bytes of text in all. */
	bool near;
	size_t near_bytes;
	Gloss__V1__TextMatch **cand;
	size_t n_cand;
};

static Gloss__V1__TextMatch *
search_match(struct search_page *pg, const Gloss__V1__Article *a, size_t len,
    uint32_t nth, size_t at, size_t to)
{
	struct call *c = pg->call;
	Gloss__V1__TextMatch *m = call_alloc(c, sizeof(*m));

	if (m == NULL)
		return NULL;
	gloss__v1__text_match__init(m);
	m->article_id = a->id;
	m->nth = nth;
	m->span = span_make(c, a->text, len, at, to);
	return m->span != NULL ? m : NULL;
}

/* Whether match m fits the page's bytes (a page nears 1 MiB with a
 * thousand matches of a 4 KiB quote); the first always does. */
static bool
search_fits(struct search_page *pg, const Gloss__V1__TextMatch *m)
{
	size_t size = protobuf_c_message_get_packed_size(&m->base) + 8;

	if (pg->n > 0 && pg->bytes + size > pg->budget) {
		pg->more = true;
		return false;
	}
	pg->bytes += size;
	return true;
}

/* The matches of the request in a->text, their bounds in pg->at and
 * pg->to (up to `want`); returns how many there are. */
static size_t
search_find(struct search_page *pg, const Gloss__V1__Article *a, size_t len,
    size_t want)
{
	const Gloss__V1__SearchTextRequest *q = pg->q;
	struct quote_fold t;
	size_t count = SIZE_MAX;

	/* A folded copy of a whole article is too big for the arena. */
	if (quote_fold_init(&t, a->text, len, pg->flags) == STATUS_OK)
		count = quote_find(&t, pg->flags, q->text, strlen(q->text),
		    q->prefix, q->suffix, pg->at, pg->to, want);
	quote_fold_fini(&t);
	if (count == SIZE_MAX) {
		pg->oom = true;
		return 0;
	}
	return count;
}

/* The second scan: a's candidates, until SPAN_NEAR in all. */
static bool
search_near(struct search_page *pg, const Gloss__V1__Article *a, size_t len)
{
	if (a->state != GLOSS__V1__STATE__STATE_DELETED)
		span_near(pg->call, a->text, len, a->id, pg->q->text, pg->flags,
		    &pg->cand, &pg->n_cand);
	pg->near_bytes += len;
	return pg->n_cand < SPAN_NEAR && pg->near_bytes < QUOTE_SCAN_MAX;
}

/* Adds a's matches after the first pg->skip; false when the page is full. */
static bool
search_article(void *arg, Gloss__V1__Article *a)
{
	struct search_page *pg = arg;
	size_t len = strlen(a->text), want = pg->skip + (pg->max - pg->n) + 1;
	size_t count;

	if (pg->near)
		return search_near(pg, a, len);
	if (a->state == GLOSS__V1__STATE__STATE_DELETED)
		count = 0;
	else
		count = search_find(pg, a, len, want);
	if (count <= pg->skip) { /* nothing of it is kept */
		call_release(pg->call, pg->mark);
		pg->skip = 0;
		return !pg->oom;
	}
	for (size_t i = pg->skip; i < count && i < want && !pg->oom; i++) {
		if (pg->n == pg->max) {
			pg->more = true;
			return false;
		}
		pg->items[pg->n] = search_match(pg, a, len, (uint32_t)i + 1,
		    pg->at[i], pg->to[i]);
		if (pg->items[pg->n] == NULL) {
			pg->oom = true;
			return false;
		}
		if (!search_fits(pg, pg->items[pg->n]))
			return false;
		pg->n++;
	}
	pg->skip = 0;
	pg->mark = call_mark(pg->call);
	return !pg->oom;
}

static enum status
search_check(struct call *c, const Gloss__V1__SearchTextRequest *q)
{
	enum status s;

	if (q->text[0] == '\0')
		return call_fail(c, REASON(FIELD_REQUIRED), "text",
		    "give the text to search for");
	if (strlen(q->text) > SEARCH_TEXT_MAX)
		return call_fail(c, REASON(FIELD_OVER_LIMIT), "text",
		    "search for at most %d bytes", SEARCH_TEXT_MAX);
	if (q->article_id[0] != '\0' && q->group[0] != '\0')
		return call_fail(c, REASON(FIELDS_CONFLICT), "group",
		    "search one article or one group, not both");
	if ((s = valid_filter(c, q->article_id, valid_id, "article_id",
	         "an article id")) != STATUS_OK)
		return s;
	return valid_filter(c, q->group, valid_id, "group",
	    "a group (the id of its original article)");
}

/* Resumes in the article the last page ended in, then scans on. */
static enum status
search_run(struct call *c, struct search_page *pg, const char *resume_id)
{
	const Gloss__V1__SearchTextRequest *q = pg->q;
	struct store_article_filter f = { NULL, q->group, resume_id };
	const char *first = resume_id[0] ? resume_id : q->article_id;
	Gloss__V1__Article *a;
	enum status s;

	if (first[0] != '\0') {
		s = store_article_get(c->txn, first, &c->allocator, &a);
		if (s == STATUS_NOT_FOUND && q->article_id[0] != '\0')
			return call_article_not_found(c, "article_id", first);
		if (s != STATUS_OK && s != STATUS_NOT_FOUND)
			return call_error(c, s, "cannot read '%s'",
			    call_clip(c, first, 140));
		if (s == STATUS_OK && !search_article(pg, a))
			return STATUS_OK;
		if (q->article_id[0] != '\0')
			return STATUS_OK;
		f.after = first;
	}
	s = store_article_scan(c->txn, &f, &c->allocator, search_article, pg);
	return s != STATUS_OK ? call_error(c, s, "cannot scan articles")
	                      : STATUS_OK;
}

/* The page from resume on; on a first page without a match, a second
 * scan for the candidates. */
static enum status
search_all(struct call *c, struct search_page *pg, const char *resume)
{
	enum status s;

	pg->mark = call_mark(c);
	if ((s = search_run(c, pg, resume)) != STATUS_OK)
		return s;
	if (pg->n == 0 && !pg->oom && pg->q->page_token[0] == '\0') {
		pg->near = true;
		if ((s = search_run(c, pg, "")) != STATUS_OK)
			return s;
	}
	if (pg->oom)
		return call_fail(c, REASON(OUT_OF_MEMORY), NULL,
		    "out of memory");
	return STATUS_OK;
}

static char *
search_token(struct call *c, const char *query, const struct search_page *pg)
{
	const Gloss__V1__TextMatch *last = pg->items[pg->n - 1];
	char *pos = call_printf(c, "%s\n%" PRIu32, last->article_id, last->nth);

	if (pos == NULL)
		return NULL;
	return page_token_make(c, query, pos, strlen(pos));
}

enum status
search_text(struct call *c)
{
	const Gloss__V1__SearchTextRequest *q = c->req->search_text;
	Gloss__V1__SearchTextResponse *r = call_alloc(c, sizeof(*r));
	struct search_page pg = { .call = c, .q = q };
	char *query = call_printf(c, "search\n%s\n%s\n%s\n%s\n%s\n%d%s",
	    q->text, q->article_id, q->group, q->prefix, q->suffix,
	    q->fold_case, q->loose ? "\nloose" : "");
	const char *pos;
	char *resume = (char *)"", *nl;
	size_t n;
	enum status s;

	if (r == NULL || query == NULL)
		return call_fail(c, REASON(OUT_OF_MEMORY), NULL,
		    "out of memory");
	if ((s = search_check(c, q)) != STATUS_OK ||
	    (s = page_size(c, q->page_size, &pg.max)) != STATUS_OK ||
	    (s = page_token_read(c, q->page_token, query, &pos, &n)) !=
	        STATUS_OK)
		return s;
	if (pos != NULL && n > 0 &&
	    (resume = call_strndup(c, pos, n)) != NULL &&
	    (nl = strchr(resume, '\n')) != NULL) {
		*nl = '\0';
		pg.skip = (uint32_t)strtoul(nl + 1, NULL, 10);
	}
	pg.items = call_alloc(c, pg.max * sizeof(*pg.items));
	pg.budget = c->env->max_reply_bytes - 4096;
	pg.at = call_alloc(c, (pg.max + 2 + (size_t)pg.skip) * sizeof(*pg.at));
	pg.to = call_alloc(c, (pg.max + 2 + (size_t)pg.skip) * sizeof(*pg.to));
	pg.flags = q->loose ? QUOTE_LOOSE : q->fold_case ? QUOTE_CASE : 0;
	if (resume == NULL || pg.items == NULL || pg.at == NULL ||
	    pg.to == NULL)
		return call_fail(c, REASON(OUT_OF_MEMORY), NULL,
		    "out of memory");
	if ((s = search_all(c, &pg, resume)) != STATUS_OK)
		return s;
	gloss__v1__search_text_response__init(r);
	r->matches = pg.items;
	r->n_matches = pg.n;
	r->candidates = pg.cand;
	r->n_candidates = pg.n_cand;
	r->next_page_token = pg.more ? search_token(c, query, &pg) : (char *)"";
	if (r->next_page_token == NULL)
		return call_fail(c, REASON(OUT_OF_MEMORY), NULL,
		    "out of memory");
	c->reply.body_case = GLOSS__V1__REPLY__BODY_SEARCH_TEXT;
	c->reply.search_text = r;
	return STATUS_OK;
}
