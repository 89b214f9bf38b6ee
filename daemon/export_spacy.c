/*
 * export_spacy: one JSON object a line per article, as spaCy's tools read
 * entity annotations: {"text": ..., "entities": [[start, end, label], ...]}
 * with code-point offsets (Python str indices), and a "meta" object naming
 * the article.  Entities only, one span each, none overlapping: the rest is
 * listed as lost.  The text is escaped as it is written and the entities
 * (export_flat, 24 bytes each) are counted onwards in one pass, so nothing
 * grows with the length of the text.
 */
#include <string.h>

#include "export.h"

/* The entities, in text order: code points are counted onwards. */
static void
spacy_entities(struct export_ctx *x, const struct export_flat *f)
{
	const char *text = x->article->text;
	struct export_out *o = x->out;
	size_t chars = 0, byte = 0, start, end;

	for (size_t i = 0; i < f->n && !export_done(o); i++) {
		const struct export_flat_entity *e = &f->e[i];
		chars +=
		    export_chars(text + byte, e->start - byte, e->start - byte);
		byte = e->start;
		start = chars;
		end = start + export_chars(text + e->start, e->end - e->start,
		                  e->end - e->start);
		export_printf(o, "%s[%zu,%zu,", i > 0 ? "," : "", start, end);
		export_json_string(o, export_flat_label(f, e),
		    strlen(export_flat_label(f, e)));
		export_puts(o, "]");
		x->written++;
	}
}

static void
spacy_article(struct export_ctx *x)
{
	const Gloss__V1__Article *art = x->article;
	struct export_out *o = x->out;

	if (x->state == NULL)
		return;
	export_flat_resolve(x, x->state);
	export_puts(o, "{\"text\":");
	export_json_string(o, art->text, x->text_len);
	export_puts(o, ",\"entities\":[");
	spacy_entities(x, x->state);
	export_puts(o, "],\"meta\":{\"article_id\":");
	export_json_string(o, art->id, strlen(art->id));
	export_puts(o, ",\"language\":");
	export_json_string(o, art->language, strlen(art->language));
	export_puts(o, "}}\n");
}

const struct export_format export_spacy = {
	.name = "spacy",
	.flags = EXPORT_WHOLE,
	.open = export_flat_open,
	.gather = export_flat_gather,
	.article_whole = spacy_article,
	.close = export_flat_close,
};
