/*
 * group: the GetTranslationGroup handler: an original, its translations,
 * and the pairs of spans that translation notes tie between them.
 */
#include <string.h>

#include "method.h"
#include "store.h"
#include "valid.h"

struct group_run {
	struct call *call;
	Gloss__V1__GetTranslationGroupResponse *r;
	size_t cap_articles, cap_pairs;
	bool oom;
};

/* Appends p to a growing arena array *items of *n (capacity *cap). */
static bool
group_push(struct call *c, void ***items, size_t *n, size_t *cap, void *p)
{
	void **grown;

	if (*n == *cap) {
		*cap = *cap ? 2 * *cap : 16;
		if ((grown = call_alloc(c, *cap * sizeof(*grown))) == NULL)
			return false;
		if (*n > 0)
			memcpy(grown, *items, *n * sizeof(*grown));
		*items = grown;
	}
	(*items)[(*n)++] = p;
	return true;
}

static bool
group_article(void *arg, Gloss__V1__Article *a)
{
	struct group_run *g = arg;

	a->text = (char *)"";
	if (strcmp(a->id, g->r->group) == 0) {
		g->r->original = a;
		return true;
	}
	if (!group_push(g->call, (void ***)&g->r->translations,
	        &g->r->n_translations, &g->cap_articles, a))
		return !(g->oom = true);
	return true;
}

static bool
group_pair(void *arg, Gloss__V1__Annotation *a)
{
	struct group_run *g = arg;
	const Gloss__V1__TranslationNote *t = a->translation_note;
	Gloss__V1__AlignedPair *p;

	if (a->body_case != GLOSS__V1__ANNOTATION__BODY_TRANSLATION_NOTE ||
	    a->state == GLOSS__V1__STATE__STATE_DELETED)
		return true;
	if ((p = call_alloc(g->call, sizeof(*p))) == NULL)
		return !(g->oom = true);
	gloss__v1__aligned_pair__init(p);
	p->annotation_id = a->id;
	p->target_article_id = a->article_id;
	p->target = a->n_spans > 0 ? a->spans[0] : NULL;
	p->source_article_id = t->source_article_id;
	p->source = t->source_span;
	p->category = t->category;
	p->severity = t->severity;
	if (!group_push(g->call, (void ***)&g->r->pairs, &g->r->n_pairs,
	        &g->cap_pairs, p))
		return !(g->oom = true);
	return true;
}

/*
 * The reply has no pages: a group whose translation notes quote more text
 * than one reply holds is refused in words, with where to read them (a
 * read, so nothing is lost), rather than failing when packed.
 */
static enum status
group_fits(struct call *c, const Gloss__V1__GetTranslationGroupResponse *r)
{
	size_t n = protobuf_c_message_get_packed_size(&r->base);

	if (n <= c->env->max_reply_bytes - 4096)
		return STATUS_OK;
	return call_fail(c, REASON(REPLY_TOO_LARGE), "group",
	    "group '%s' with its %zu translation notes is %zu bytes, more "
	    "than one reply holds; list its notes with ListAnnotations "
	    "(group, kind KIND_TRANSLATION_NOTE), which pages",
	    r->group, r->n_pairs, n);
}

static enum status
group_not_found(struct call *c, const char *group)
{
	enum status s = call_fail(c, REASON(GROUP_NOT_FOUND), "group",
	    "no article or group '%s'", call_clip(c, group, 140));

	call_meta(c, "group", "%s", group);
	return s;
}

enum status
group_get(struct call *c)
{
	const Gloss__V1__GetTranslationGroupRequest *q =
	    c->req->get_translation_group;
	Gloss__V1__GetTranslationGroupResponse *r = call_alloc(c, sizeof(*r));
	struct group_run g = { .call = c, .r = r };
	struct store_article_filter f = { NULL, NULL, NULL };
	struct store_term term = { STORE_INDEX_GROUP, NULL };
	Gloss__V1__Article *a;
	enum status s;

	if (r == NULL)
		return call_fail(c, REASON(OUT_OF_MEMORY), NULL,
		    "out of memory");
	if (!valid_id(q->group))
		return call_fail(c, REASON(FIELD_INVALID), "group",
		    "name a group, or any article of it, by its id (got %s)",
		    valid_show(c, q->group));
	s = store_article_head(c->txn, q->group, &c->allocator, &a);
	if (s == STATUS_NOT_FOUND)
		return group_not_found(c, q->group);
	if (s != STATUS_OK)
		return call_error(c, s, "cannot read '%s'",
		    call_clip(c, q->group, 140));
	gloss__v1__get_translation_group_response__init(r);
	r->group = a->group;
	f.group = term.value = a->group;
	s = store_article_scan_heads(c->txn, &f, &c->allocator, group_article,
	    &g);
	if (s == STATUS_OK)
		s = store_annotation_join(c->txn, &term, 1, 0, &c->allocator,
		    group_pair, &g);
	if (s != STATUS_OK)
		return call_error(c, s, "cannot read group '%s'", r->group);
	if (g.oom)
		return call_fail(c, REASON(OUT_OF_MEMORY), NULL,
		    "out of memory");
	if ((s = group_fits(c, r)) != STATUS_OK)
		return s;
	c->reply.body_case = GLOSS__V1__REPLY__BODY_GET_TRANSLATION_GROUP;
	c->reply.get_translation_group = r;
	return STATUS_OK;
}
