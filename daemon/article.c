/*
 * article: the handlers of the *Article methods: what makes an article
 * valid, how it joins a translation group, how it is tombstoned.  Reads and
 * writes go through store.h only.
 */
#include <ctype.h>
#include <inttypes.h>
#include <string.h>

#include "feed.h"
#include "hash.h"
#include "method.h"
#include "page.h"
#include "store.h"
#include "text.h"
#include "valid.h"

/*
 * The whole record must fit the reply that reads it back (GetArticle), with
 * room kept for its tombstone: the text limit alone does not ensure it
 * (896 KiB of text and 64 values of 4 KiB of metadata are over 1 MiB).
 */
static enum status
article_check_record(struct call *c, const Gloss__V1__Article *a)
{
	size_t n = protobuf_c_message_get_packed_size(&a->base), meta = 0;

	if (n <= STORE_RECORD_NEW_MAX)
		return STATUS_OK;
	for (size_t i = 0; i < a->n_metadata; i++)
		meta +=
		    strlen(a->metadata[i]->key) + strlen(a->metadata[i]->value);
	return call_fail(c, REASON(RECORD_TOO_LARGE), "article",
	    "article '%s' would be a record of %zu bytes (text %zu, metadata "
	    "%zu, title and source_url %zu); glossd keeps records of at most "
	    "%zu bytes, so that GetArticle can return one whole: shorten the "
	    "text or the metadata; nothing was written",
	    a->id, n, strlen(a->text), meta,
	    strlen(a->title) + strlen(a->source_url),
	    (size_t)STORE_RECORD_NEW_MAX);
}

/* A readable id for an article sent without one: the title's ASCII words,
 * or the language, and random hex so that two never collide. */
static char *
article_make_id(struct call *c, const Gloss__V1__Article *a)
{
	char slug[49], hex[13];
	uint8_t rnd[6];
	size_t n = 0;

	for (const char *p = a->title; *p != '\0' && n < sizeof(slug) - 1;
	     p++) {
		if (isalnum((unsigned char)*p))
			slug[n++] = (char)tolower((unsigned char)*p);
		else if (n > 0 && slug[n - 1] != '-')
			slug[n++] = '-';
	}
	while (n > 0 && slug[n - 1] == '-')
		n--;
	slug[n] = '\0';
	if (hash_random(rnd, sizeof(rnd)) != 0)
		return NULL;
	hash_hex(rnd, sizeof(rnd), hex);
	return call_printf(c, "%s-%s", n > 0 ? slug : a->language, hex);
}

/* Joins `a` to the group of the article it translates. */
static enum status
article_join_group(struct call *c, Gloss__V1__Article *a)
{
	Gloss__V1__Article *orig;
	enum status s;

	if (a->translation_of[0] == '\0') {
		a->group = a->id;
		return STATUS_OK;
	}
	if (strcmp(a->translation_of, a->id) == 0)
		return call_fail(c, REASON(FIELD_INVALID),
		    "article.translation_of",
		    "article '%s' cannot be a translation of itself", a->id);
	s = store_article_get(c->txn, a->translation_of, &c->allocator, &orig);
	if (s == STATUS_NOT_FOUND)
		return call_fail(c, REASON(ARTICLE_NOT_FOUND),
		    "article.translation_of",
		    "translation_of names article '%s', which does not exist; "
		    "import the original first",
		    a->translation_of);
	if (s != STATUS_OK)
		return call_error(c, s, "cannot read article '%s'",
		    a->translation_of);
	if (orig->state == GLOSS__V1__STATE__STATE_DELETED) {
		call_fail(c, REASON(ARTICLE_DELETED), "article.translation_of",
		    "article '%s' is deleted (by %s)", a->translation_of,
		    orig->deleted_by);
		return call_current_article(c, orig);
	}
	a->group = orig->group;
	return STATUS_OK;
}

/* Records change `op` of `a` in the feed and stamps a with its etag. */
static enum status
article_record_change(struct call *c, Gloss__V1__Article *a,
    Gloss__V1__Operation op)
{
	struct feed_entry e = { GLOSS__V1__SUBJECT__SUBJECT_ARTICLE, op, a->id,
		0, a->revision };
	uint64_t seq;
	enum status s;

	if ((s = feed_record(c, &e, &seq, &a->etag)) != STATUS_OK)
		return s;
	if (op == GLOSS__V1__OPERATION__OPERATION_CREATED)
		a->create_seq = seq;
	else if (op == GLOSS__V1__OPERATION__OPERATION_DELETED)
		a->delete_seq = seq;
	return STATUS_OK;
}

/* A shallow copy of `a` without its text, for replies that list or ack. */
static Gloss__V1__Article *
article_without_text(struct call *c, const Gloss__V1__Article *a)
{
	Gloss__V1__Article *b = call_alloc(c, sizeof(*b));

	if (b == NULL)
		return NULL;
	*b = *a;
	b->text = (char *)"";
	return b;
}

static void
article_stamp_new(struct call *c, Gloss__V1__Article *a)
{
	struct text_counts tc;

	text_count(a->text, strlen(a->text), &tc);
	a->byte_count = (uint32_t)tc.bytes;
	a->char_count = (uint32_t)tc.chars;
	a->utf16_count = (uint32_t)tc.utf16;
	a->sha256 = call_alloc(c, 2 * HASH_SIZE + 1);
	if (a->sha256 != NULL)
		hash_sha256_hex(a->text, tc.bytes, a->sha256);
	a->state = GLOSS__V1__STATE__STATE_ACTIVE;
	a->revision = 1;
	a->created_by = c->req->author;
	a->create_time_ms = c->now_ms;
	a->deleted_by = (char *)"";
	a->delete_time_ms = 0;
	a->delete_seq = 0;
}

static enum status
article_reply_one(struct call *c, const Gloss__V1__Article *a,
    Gloss__V1__Article **slot)
{
	if ((*slot = article_without_text(c, a)) == NULL)
		return call_fail(c, REASON(OUT_OF_MEMORY), NULL,
		    "out of memory");
	return STATUS_OK;
}

enum status
article_create(struct call *c)
{
	Gloss__V1__CreateArticleResponse *r = call_alloc(c, sizeof(*r));
	Gloss__V1__Article *a = c->req->create_article->article, *old;
	enum status s;

	if (a == NULL)
		return call_fail(c, REASON(FIELD_REQUIRED), "article",
		    "CreateArticle needs an article");
	if (r == NULL)
		return call_fail(c, REASON(OUT_OF_MEMORY), NULL,
		    "out of memory");
	if ((s = valid_article(c, a, "article")) != STATUS_OK)
		return s;
	if (a->id[0] == '\0' && (a->id = article_make_id(c, a)) == NULL)
		return call_fail(c, REASON(INTERNAL_ERROR), NULL,
		    "cannot make an id");
	s = store_article_get(c->txn, a->id, &c->allocator, &old);
	if (s == STATUS_OK)
		return call_fail(c, REASON(ARTICLE_EXISTS), "article.id",
		    "article '%s' already exists (created by %s)%s", a->id,
		    old->created_by,
		    old->state == GLOSS__V1__STATE__STATE_DELETED
		        ? "; it is deleted, but its id stays taken"
		        : "");
	if (s != STATUS_NOT_FOUND)
		return call_error(c, s, "cannot read article '%s'", a->id);
	if ((s = article_join_group(c, a)) != STATUS_OK)
		return s;
	article_stamp_new(c, a);
	if ((s = article_record_change(c, a,
	         GLOSS__V1__OPERATION__OPERATION_CREATED)) != STATUS_OK ||
	    (s = article_check_record(c, a)) != STATUS_OK)
		return s;
	if ((s = store_article_put(c->txn, a)) != STATUS_OK)
		return call_error(c, s, "cannot store article '%s'", a->id);
	gloss__v1__create_article_response__init(r);
	c->reply.body_case = GLOSS__V1__REPLY__BODY_CREATE_ARTICLE;
	c->reply.create_article = r;
	return article_reply_one(c, a, &r->article);
}

/* Reads article `id` for a handler (without its text if head), reporting
 * NOT_FOUND in words. */
static enum status
article_find(struct call *c, const char *id, bool head, Gloss__V1__Article **a)
{
	enum status s;

	if (id[0] == '\0')
		return call_fail(c, REASON(FIELD_REQUIRED), "id",
		    "no article id given");
	if (!valid_id(id))
		return call_fail(c, REASON(FIELD_INVALID), "id",
		    "%s is not an article id (1-%d of A-Z a-z 0-9 . _ -)",
		    valid_show(c, id), VALID_ID_MAX);
	s = head ? store_article_head(c->txn, id, &c->allocator, a)
	         : store_article_get(c->txn, id, &c->allocator, a);
	if (s == STATUS_NOT_FOUND)
		return call_article_not_found(c, "id", id);
	if (s != STATUS_OK)
		return call_error(c, s, "cannot read article '%s'", id);
	return STATUS_OK;
}

enum status
article_get(struct call *c)
{
	const Gloss__V1__GetArticleRequest *q = c->req->get_article;
	Gloss__V1__GetArticleResponse *r = call_alloc(c, sizeof(*r));
	Gloss__V1__Article *a;
	enum status s;

	if (r == NULL)
		return call_fail(c, REASON(OUT_OF_MEMORY), NULL,
		    "out of memory");
	if ((s = article_find(c, q->id, q->omit_text, &a)) != STATUS_OK)
		return s;
	if (q->as_of_seq > 0 &&
	    (s = feed_check_seq(c, q->as_of_seq)) != STATUS_OK)
		return s;
	if (!feed_article_as_of(c, a, q->as_of_seq))
		return call_fail(c, REASON(NOT_IN_SNAPSHOT), "as_of_seq",
		    "article '%s' did not exist yet after change %" PRIu64
		    " (it was created by change %" PRIu64 ")",
		    a->id, q->as_of_seq, a->create_seq);
	if (q->omit_text)
		a->text = (char *)"";
	gloss__v1__get_article_response__init(r);
	r->article = a;
	c->reply.body_case = GLOSS__V1__REPLY__BODY_GET_ARTICLE;
	c->reply.get_article = r;
	return STATUS_OK;
}

/* What a ListArticles page collects while the store scans. */
struct article_page {
	struct call *call;
	const Gloss__V1__ListArticlesRequest *q;
	Gloss__V1__Article **items;
	size_t n, max;
	size_t bytes, budget; /* packed size so far, and the reply's limit */
	bool more;
	struct call_mark mark; /* where the record being looked at begins */
};

static bool
article_page_add(void *arg, Gloss__V1__Article *a)
{
	struct article_page *pg = arg;
	size_t size;

	if (a->state == GLOSS__V1__STATE__STATE_DELETED &&
	    !pg->q->show_deleted) {
		call_release(pg->call, pg->mark); /* not kept */
		return true;
	}
	size = protobuf_c_message_get_packed_size(&a->base) + 8;
	if (pg->n == pg->max || (pg->n > 0 && pg->bytes + size > pg->budget)) {
		pg->more = true;
		return false;
	}
	pg->items[pg->n++] = a;
	pg->bytes += size;
	pg->mark = call_mark(pg->call);
	return true;
}

static char *
article_list_query(struct call *c, const Gloss__V1__ListArticlesRequest *q)
{
	return call_printf(c, "articles\n%s\n%s\n%d", q->language, q->group,
	    q->show_deleted ? 1 : 0);
}

/* A filter that cannot name a language or a group (an over-long one
 * included, which no index key could hold) is refused, not dropped. */
static enum status
article_list_check(struct call *c, const Gloss__V1__ListArticlesRequest *q)
{
	enum status s;

	if ((s = valid_filter(c, q->language, valid_language, "language",
	         "a BCP 47 tag such as 'pt' or 'pt-BR'")) != STATUS_OK)
		return s;
	return valid_filter(c, q->group, valid_id, "group",
	    "a group (the id of its original article)");
}

enum status
article_list(struct call *c)
{
	const Gloss__V1__ListArticlesRequest *q = c->req->list_articles;
	Gloss__V1__ListArticlesResponse *r = call_alloc(c, sizeof(*r));
	struct article_page pg = { .call = c, .q = q };
	struct store_article_filter f = { q->language, q->group, NULL };
	const char *query = article_list_query(c, q);
	size_t n;
	enum status s;

	if (r == NULL || query == NULL)
		return call_fail(c, REASON(OUT_OF_MEMORY), NULL,
		    "out of memory");
	if ((s = article_list_check(c, q)) != STATUS_OK ||
	    (s = page_size(c, q->page_size, &pg.max)) != STATUS_OK ||
	    (s = page_token_read(c, q->page_token, query, &f.after, &n)) !=
	        STATUS_OK)
		return s;
	pg.items = call_alloc(c, pg.max * sizeof(*pg.items));
	pg.budget = c->env->max_reply_bytes - 4096;
	if (pg.items == NULL)
		return call_fail(c, REASON(OUT_OF_MEMORY), NULL,
		    "out of memory");
	pg.mark = call_mark(c);
	s = store_article_scan_heads(c->txn, &f, &c->allocator,
	    article_page_add, &pg);
	if (s != STATUS_OK)
		return call_error(c, s, "cannot list articles");
	gloss__v1__list_articles_response__init(r);
	r->articles = pg.items;
	r->n_articles = pg.n;
	if (pg.more && pg.n > 0)
		r->next_page_token = page_token_make(c, query,
		    pg.items[pg.n - 1]->id, strlen(pg.items[pg.n - 1]->id));
	if (r->next_page_token == NULL)
		return call_fail(c, REASON(OUT_OF_MEMORY), NULL,
		    "out of memory");
	c->reply.body_case = GLOSS__V1__REPLY__BODY_LIST_ARTICLES;
	c->reply.list_articles = r;
	return STATUS_OK;
}

enum status
article_delete(struct call *c)
{
	const Gloss__V1__DeleteArticleRequest *q = c->req->delete_article;
	Gloss__V1__DeleteArticleResponse *r = call_alloc(c, sizeof(*r));
	Gloss__V1__Article *a;
	enum status s;

	if (r == NULL)
		return call_fail(c, REASON(OUT_OF_MEMORY), NULL,
		    "out of memory");
	if ((s = article_find(c, q->id, false, &a)) != STATUS_OK)
		return s;
	if (a->state == GLOSS__V1__STATE__STATE_DELETED) {
		call_fail(c, REASON(ARTICLE_DELETED), NULL,
		    "article '%s' is already deleted (by %s)", a->id,
		    a->deleted_by);
		return call_current_article(c, a);
	}
	if (q->etag[0] != '\0' && strcmp(q->etag, a->etag) != 0) {
		call_fail(c, REASON(STALE_ETAG), "etag",
		    "article '%s' changed since you read it: it is now "
		    "revision %" PRIu64 " by %s (etag %s, yours %s); read it "
		    "again",
		    a->id, a->revision, a->created_by, a->etag,
		    call_clip(c, q->etag, 40));
		return call_current_article(c, a);
	}
	a->state = GLOSS__V1__STATE__STATE_DELETED;
	a->revision++;
	a->deleted_by = c->req->author;
	a->delete_time_ms = c->now_ms;
	if ((s = article_record_change(c, a,
	         GLOSS__V1__OPERATION__OPERATION_DELETED)) != STATUS_OK)
		return s;
	if ((s = store_article_put(c->txn, a)) != STATUS_OK)
		return call_error(c, s, "cannot store article '%s'", a->id);
	gloss__v1__delete_article_response__init(r);
	c->reply.body_case = GLOSS__V1__REPLY__BODY_DELETE_ARTICLE;
	c->reply.delete_article = r;
	return article_reply_one(c, a, &r->article);
}
