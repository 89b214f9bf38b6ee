/*
 * export_conll: CoNLL-2003 with IOB2 tags: "-DOCSTART- -X- -X- O" before
 * each article, one token a line as "WORD _ _ TAG" (no POS, no chunk), a
 * blank line after each sentence.  Tokens are UAX #29 words and sentences
 * are UAX #29 sentences, by ICU; whitespace is no token.  A sentence never
 * breaks inside an entity.  Entities only, one span each, none sharing a
 * token: the rest is listed as lost, and an entity whose span ends inside a
 * token is tagged on the whole token and listed ("boundary").
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <unicode/uchar.h>
#include <unicode/utf8.h>

#include "export.h"
#include "text.h"

struct conll_token {
	size_t start, end;
	const struct export_entity *entity; /* NULL: O */
	bool begin;
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

/* The tokens of the article: its non-blank UAX #29 word segments. */
static size_t
conll_tokens(struct export_ctx *x, struct conll_token **out)
{
	const char *text = x->article->text;
	size_t *wb, nb, k = 0;
	struct conll_token *t;

	*out = NULL;
	nb = export_breaks(text, x->text_len, x->article->language, true, &wb,
	    NULL);
	if (nb == 0 || (t = call_alloc(x->call, nb * sizeof(*t))) == NULL) {
		free(wb);
		x->out->oom = x->out->full = true;
		return 0;
	}
	for (size_t i = 0; i + 1 < nb; i++) {
		if (conll_blank(text, wb[i], wb[i + 1]))
			continue;
		t[k].start = wb[i];
		t[k].end = wb[i + 1];
		t[k].entity = NULL;
		t[k].begin = false;
		k++;
	}
	free(wb);
	*out = t;
	return k;
}

/* How much of text[start..end) a loss detail quotes: text_clip()'s cut. */
static int
conll_quote(const char *text, size_t start, size_t end)
{
	return (int)text_clip(text + start, end - start, 80);
}

/* Tags the tokens of entity e; from is where its first token may be. */
static size_t
conll_tag(struct export_ctx *x, struct conll_token *t, size_t nt, size_t from,
    const struct export_entity *e)
{
	const char *text = x->article->text;
	size_t first, last;

	while (from < nt && t[from].end <= e->start)
		from++;
	for (first = from, last = from; last < nt && t[last].start < e->end;
	     last++)
		;
	if (first == last) {
		export_loss(x->out, x->article->id, e->id, "empty",
		    "the %s span holds no token (only white space)", e->label);
		return first;
	}
	if (t[first].entity != NULL) {
		export_loss(x->out, x->article->id, e->id, "overlap",
		    "%s shares the token '%.*s' with annotation %" PRIu64
		    " (%s), which was kept",
		    e->label, conll_quote(text, t[first].start, t[first].end),
		    text + t[first].start, t[first].entity->id,
		    t[first].entity->label);
		return first;
	}
	if (t[first].start < e->start || t[last - 1].end > e->end)
		export_loss(x->out, x->article->id, e->id, "boundary",
		    "the %s span starts or ends inside a token; the tokens "
		    "'%.*s' were tagged whole",
		    e->label,
		    conll_quote(text, t[first].start, t[last - 1].end),
		    text + t[first].start);
	for (size_t i = first; i < last; i++) {
		t[i].entity = e;
		t[i].begin = i == first;
	}
	return first;
}

static void
conll_write(struct export_ctx *x, const struct conll_token *t, size_t nt,
    const size_t *sb, size_t ns)
{
	const char *text = x->article->text;
	struct export_out *o = x->out;
	size_t si = 1;
	bool any = false;

	export_puts(o, "-DOCSTART- -X- -X- O\n\n");
	for (size_t i = 0; i < nt; i++) {
		bool crossed = si < ns && t[i].start >= sb[si];
		while (si < ns && sb[si] <= t[i].start)
			si++;
		if (crossed && any && !(t[i].entity != NULL && !t[i].begin)) {
			export_puts(o, "\n");
			any = false;
		}
		export_write(o, text + t[i].start, t[i].end - t[i].start);
		if (t[i].entity == NULL)
			export_puts(o, " _ _ O\n");
		else
			export_printf(o, " _ _ %s-%s\n", t[i].begin ? "B" : "I",
			    t[i].entity->label);
		any = true;
	}
	if (any)
		export_puts(o, "\n");
}

static void
conll_article(struct export_ctx *x, Gloss__V1__Annotation *const *a, size_t n)
{
	struct export_entity *e;
	struct conll_token *t;
	size_t k = export_flat_entities(x, "conll", a, n, &e), nt, ns, from = 0;
	size_t *sb;

	nt = conll_tokens(x, &t);
	if (x->out->oom)
		return;
	for (size_t i = 0; i < k; i++)
		from = conll_tag(x, t, nt, from, &e[i]);
	ns = export_breaks(x->article->text, x->text_len, x->article->language,
	    false, &sb, NULL);
	if (ns == 0) {
		x->out->oom = x->out->full = true;
		return;
	}
	conll_write(x, t, nt, sb, ns);
	free(sb);
}

const struct export_format export_conll = {
	.name = "conll",
	.flags = EXPORT_WHOLE,
	.article_whole = conll_article,
};
