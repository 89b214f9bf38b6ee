/*
 * export_conll: CoNLL-2003 with IOB2 tags: "-DOCSTART- -X- -X- O" before
 * each article, one token a line as "WORD _ _ TAG" (no POS, no chunk), a
 * blank line after each sentence.  Tokens are UAX #29 words and sentences
 * are UAX #29 sentences, by ICU; whitespace is no token.  A sentence never
 * breaks inside an entity.  Entities only, one span each, none sharing a
 * token: the rest is listed as lost, and an entity whose span ends inside a
 * token is tagged on the whole token and listed ("boundary").
 *
 * The article is written as the word and sentence iterators walk it, token
 * by token, with the entities (export_flat, in text order) consumed as the
 * walk reaches them: memory is the iterators' and 24 bytes an entity,
 * whatever the length of the text.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <unicode/uchar.h>
#include <unicode/utf8.h>

#include "export.h"
#include "text.h"

#define CONLL_QUOTE_MAX 80 /* bytes of a token a loss detail quotes */

/* The walk: where it is in the text, the sentences and the entities. */
struct conll_walk {
	struct export_ctx *x;
	struct export_flat *flat;
	struct export_breaks sents;
	size_t next_sb; /* the next sentence boundary after the last token */
	size_t ei;      /* the next entity not yet placed */
	const struct export_flat_entity *cur; /* the entity being tagged */
	size_t cur_from, cur_to; /* the bytes of its tokens so far */
	bool any;                /* the sentence has a token */
};

/* Whether text[start..end) is only white space or invisible format
 * characters (no token). */
static bool
conll_blank(const char *text, size_t start, size_t end)
{
	int32_t i = (int32_t)start;
	UChar32 cp;

	while (i < (int32_t)end) {
		U8_NEXT(text, i, (int32_t)end, cp);
		if (cp < 0)
			return false;
		if (!u_isUWhiteSpace(cp) &&
		    !u_hasBinaryProperty(cp,
		        UCHAR_DEFAULT_IGNORABLE_CODE_POINT))
			return false;
	}
	return true;
}

/* The entity in hand has no token left: it was tagged on [cur_from,
 * cur_to), which is listed if it is more than its span. */
static void
conll_finish(struct conll_walk *w)
{
	const struct export_flat_entity *e = w->cur;
	const char *text = w->x->article->text;
	size_t n = w->cur_to - w->cur_from;

	w->cur = NULL;
	w->x->written++;
	if (w->cur_from >= e->start && w->cur_to <= e->end)
		return;
	export_loss(w->x->out, w->x->article->id, e->id, "boundary",
	    "the %s span starts or ends inside a token; the tokens '%.*s' "
	    "were tagged whole",
	    export_flat_label(w->flat, e),
	    (int)text_clip(text + w->cur_from, n, CONLL_QUOTE_MAX),
	    text + w->cur_from);
}

/* Entity e, whose first token is [ts, te), cannot have it. */
static void
conll_lose(struct conll_walk *w, const struct export_flat_entity *e, size_t ts,
    size_t te)
{
	struct export_ctx *x = w->x;
	const char *text = x->article->text;

	if (ts >= e->end) {
		export_loss(x->out, x->article->id, e->id, "empty",
		    "the %s span holds no token (only white space)",
		    export_flat_label(w->flat, e));
		return;
	}
	export_loss(x->out, x->article->id, e->id, "overlap",
	    "%s shares the token '%.*s' with annotation %" PRIu64
	    " (%s), which was kept",
	    export_flat_label(w->flat, e),
	    (int)text_clip(text + ts, te - ts, CONLL_QUOTE_MAX), text + ts,
	    w->cur->id, export_flat_label(w->flat, w->cur));
}

/*
 * The tag of token [ts, te): the entity in hand goes on (I-) while the token
 * starts inside it; the entities whose first token this is are placed (the
 * first that finds the token free takes it, B-), or lost.  Returns the
 * entity and sets *begin, or NULL for O.
 */
static const struct export_flat_entity *
conll_tag(struct conll_walk *w, size_t ts, size_t te, bool *begin)
{
	const struct export_flat *f = w->flat;
	const struct export_flat_entity *e;
	bool taken = false;

	*begin = false;
	if (w->cur != NULL && ts < w->cur->end) {
		w->cur_to = te;
		taken = true;
	} else if (w->cur != NULL)
		conll_finish(w);
	while (w->ei < f->n && f->e[w->ei].start < te) {
		e = &f->e[w->ei++];
		if (taken || ts >= e->end) {
			conll_lose(w, e, ts, te);
			continue;
		}
		w->cur = e;
		w->cur_from = ts;
		w->cur_to = te;
		taken = *begin = true;
	}
	return taken ? w->cur : NULL;
}

static void
conll_token(struct conll_walk *w, size_t ts, size_t te)
{
	struct export_out *o = w->x->out;
	const struct export_flat_entity *e;
	bool begin, crossed = ts >= w->next_sb;

	e = conll_tag(w, ts, te, &begin);
	while (w->next_sb <= ts)
		w->next_sb = export_breaks_next(&w->sents);
	/* A sentence never breaks inside an entity. */
	if (crossed && w->any && (e == NULL || begin)) {
		export_puts(o, "\n");
		w->any = false;
	}
	export_write(o, w->x->article->text + ts, te - ts);
	if (e == NULL)
		export_puts(o, " _ _ O\n");
	else
		export_printf(o, " _ _ %s-%s\n", begin ? "B" : "I",
		    export_flat_label(w->flat, e));
	w->any = true;
}

/* The article's tokens, one a line, as the word iterator finds them. */
static void
conll_walk(struct conll_walk *w, struct export_breaks *words)
{
	const char *text = w->x->article->text;
	size_t prev = 0, b;

	w->next_sb = export_breaks_next(&w->sents);
	while ((b = export_breaks_next(words)) != EXPORT_BREAKS_END &&
	       !export_done(w->x->out)) {
		if (!conll_blank(text, prev, b))
			conll_token(w, prev, b);
		prev = b;
	}
	if (w->cur != NULL)
		conll_finish(w);
	/* Entities past the last token (in trailing white space). */
	while (w->ei < w->flat->n) {
		b = w->x->text_len;
		conll_lose(w, &w->flat->e[w->ei++], b, b);
	}
}

static void
conll_article(struct export_ctx *x)
{
	struct conll_walk w = { .x = x, .flat = x->state };
	struct export_breaks words;
	bool ok;

	if (w.flat == NULL)
		return;
	export_flat_resolve(x, w.flat);
	ok = export_breaks_open(&words, x->article->text, x->text_len,
	         x->article->language, true) &&
	     export_breaks_open(&w.sents, x->article->text, x->text_len,
	         x->article->language, false);
	export_puts(x->out, "-DOCSTART- -X- -X- O\n\n");
	if (ok)
		conll_walk(&w, &words);
	else
		x->out->oom = x->out->full = true;
	if (w.any)
		export_puts(x->out, "\n");
	export_breaks_close(&words);
	export_breaks_close(&w.sents);
}

const struct export_format export_conll = {
	.name = "conll",
	.flags = EXPORT_WHOLE,
	.open = export_flat_open,
	.gather = export_flat_gather,
	.article_whole = conll_article,
	.close = export_flat_close,
};
