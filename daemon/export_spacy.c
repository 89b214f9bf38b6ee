/*
 * export_spacy: one JSON object a line per article, as spaCy's tools read
 * entity annotations: {"text": ..., "entities": [[start, end, label], ...]}
 * with code-point offsets (Python str indices), and a "meta" object naming
 * the article.  Entities only, one span each, none overlapping: the rest is
 * listed as lost.
 */
#include <string.h>

#include "export.h"

static void
spacy_article(struct export_ctx *x, Gloss__V1__Annotation *const *a, size_t n)
{
	const Gloss__V1__Article *art = x->article;
	struct export_out *o = x->out;
	struct export_entity *e;
	size_t k = export_flat_entities(x, "spacy", a, n, &e), chars = 0,
	       byte = 0;

	export_puts(o, "{\"text\":");
	export_json_string(o, art->text, x->text_len);
	export_puts(o, ",\"entities\":[");
	for (size_t i = 0; i < k; i++) {
		/* Entities are in text order: count code points onwards. */
		size_t start, end;
		chars += export_chars(art->text + byte, x->text_len - byte,
		    e[i].start - byte);
		start = chars;
		end = start + export_chars(art->text + e[i].start,
		                  x->text_len - e[i].start,
		                  e[i].end - e[i].start);
		chars = start;
		byte = e[i].start;
		export_printf(o, "%s[%zu,%zu,", i > 0 ? "," : "", start, end);
		export_json_string(o, e[i].label, strlen(e[i].label));
		export_puts(o, "]");
	}
	export_puts(o, "],\"meta\":{\"article_id\":");
	export_json_string(o, art->id, strlen(art->id));
	export_puts(o, ",\"language\":");
	export_json_string(o, art->language, strlen(art->language));
	export_puts(o, "}}\n");
}

const struct export_format export_spacy = {
	.name = "spacy",
	.flags = EXPORT_WHOLE,
	.article_whole = spacy_article,
};
