/*
 * export_w3c: the W3C Web Annotation Data Model (Recommendation 2017-02-23)
 * in JSON-LD, one Annotation a line.  Targets carry a TextQuoteSelector and a
 * TextPositionSelector in code points; bodies carry the label, the Wikidata
 * entity, the correction, the MQM category and severity, the comments.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "export.h"

#define W3C_CONTEXT  "http://www.w3.org/ns/anno.jsonld"
#define W3C_WIKIDATA "http://www.wikidata.org/entity/"

static void
w3c_key(struct export_out *o, const char *key, const char *value)
{
	export_printf(o, "\"%s\":", key);
	export_json_string(o, value, strlen(value));
}

/* A TextQuoteSelector and a TextPositionSelector of span sp. */
static void
w3c_selectors(struct export_out *o, const Gloss__V1__Span *sp)
{
	export_puts(o, "[{\"type\":\"TextQuoteSelector\",");
	w3c_key(o, "exact", sp->exact);
	export_puts(o, ",");
	w3c_key(o, "prefix", sp->prefix);
	export_puts(o, ",");
	w3c_key(o, "suffix", sp->suffix);
	export_printf(o,
	    "},{\"type\":\"TextPositionSelector\",\"start\":%" PRIu32
	    ",\"end\":%" PRIu32 "}]",
	    sp->char_start, sp->char_end);
}

/* A SpecificResource: span sp of stored article `id`. */
static void
w3c_resource(struct export_out *o, const char *id, const Gloss__V1__Span *sp,
    const char *purpose)
{
	export_puts(o, "{\"type\":\"SpecificResource\",");
	if (purpose != NULL)
		export_printf(o, "\"purpose\":\"%s\",", purpose);
	export_puts(o, "\"source\":");
	export_printf(o, "\"urn:gloss:article:%s\"", id);
	if (sp != NULL) {
		export_puts(o, ",\"selector\":");
		w3c_selectors(o, sp);
	}
	export_puts(o, "}");
}

static void
w3c_text_body(struct export_out *o, const char *purpose, const char *value,
    const char *language)
{
	export_printf(o, ",{\"type\":\"TextualBody\",\"purpose\":\"%s\",",
	    purpose);
	w3c_key(o, "value", value);
	if (language != NULL) {
		export_puts(o, ",");
		w3c_key(o, "language", language);
	}
	export_puts(o, ",\"format\":\"text/plain\"}");
}

static void
w3c_entity(struct export_ctx *x, const Gloss__V1__Entity *e)
{
	struct export_out *o = x->out;

	export_puts(o,
	    "{\"type\":\"TextualBody\",\"purpose\":\"classifying\",");
	w3c_key(o, "value", e->label);
	export_puts(o, "}");
	if (e->kb_id[0] == 'Q')
		export_printf(o,
		    ",{\"type\":\"SpecificResource\",\"purpose\":"
		    "\"identifying\",\"source\":\"" W3C_WIKIDATA "%s\"}",
		    e->kb_id);
	else if (e->kb_id[0] != '\0')
		w3c_text_body(o, "identifying", e->kb_id, NULL);
	if (e->canonical_name[0] != '\0')
		w3c_text_body(o, "describing", e->canonical_name, NULL);
}

static void
w3c_evidence(struct export_out *o, const Gloss__V1__Evidence *ev)
{
	export_puts(o, ",");
	if (ev->article_id[0] != '\0') {
		w3c_resource(o, ev->article_id, ev->span, "linking");
		return;
	}
	export_puts(o, "{\"type\":\"SpecificResource\",\"purpose\":"
	               "\"linking\",");
	w3c_key(o, "source", ev->url);
	if (ev->quote[0] != '\0') {
		export_puts(o,
		    ",\"selector\":{\"type\":\"TextQuoteSelector\",");
		w3c_key(o, "exact", ev->quote);
		export_puts(o, "}");
	}
	export_puts(o, "}");
}

static void
w3c_correction(struct export_ctx *x, const Gloss__V1__FactCorrection *f)
{
	struct export_out *o = x->out;

	export_puts(o, "{\"type\":\"TextualBody\",\"purpose\":\"assessing\",");
	w3c_key(o, "value", f->verdict);
	export_puts(o, "}");
	if (f->corrected[0] != '\0')
		w3c_text_body(o, "editing", f->corrected, x->article->language);
	if (f->claim[0] != '\0')
		w3c_text_body(o, "describing", f->claim, x->article->language);
	if (f->comment[0] != '\0')
		w3c_text_body(o, "commenting", f->comment, NULL);
	for (size_t i = 0; i < f->n_evidence; i++)
		w3c_evidence(o, f->evidence[i]);
}

/* The MQM category and severity as WMT writes them. */
static void
w3c_note(struct export_ctx *x, const Gloss__V1__TranslationNote *t)
{
	struct export_out *o = x->out;

	export_puts(o,
	    "{\"type\":\"TextualBody\",\"purpose\":\"classifying\",");
	w3c_key(o, "value", export_mqm_category(x->call, t->category));
	export_puts(o,
	    "},{\"type\":\"TextualBody\",\"purpose\":\"assessing\",");
	w3c_key(o, "value", export_mqm_severity(x->call, t->severity));
	export_puts(o, "}");
	if (t->suggestion[0] != '\0')
		w3c_text_body(o, "editing", t->suggestion,
		    x->article->language);
	if (t->comment[0] != '\0')
		w3c_text_body(o, "commenting", t->comment, NULL);
	if (t->source_article_id[0] != '\0') {
		export_puts(o, ",");
		w3c_resource(o, t->source_article_id, t->source_span,
		    "linking");
	}
}

static const char *
w3c_motivation(const Gloss__V1__Annotation *a)
{
	switch (a->body_case) {
	case GLOSS__V1__ANNOTATION__BODY_ENTITY:
		return a->entity->kb_id[0] == 'Q'
		           ? "[\"classifying\",\"identifying\"]"
		           : "\"classifying\"";
	case GLOSS__V1__ANNOTATION__BODY_FACT_CORRECTION:
		return "\"editing\"";
	case GLOSS__V1__ANNOTATION__BODY_TRANSLATION_NOTE:
		return "\"assessing\"";
	default:
		return "\"commenting\"";
	}
}

static void
w3c_body(struct export_ctx *x, const Gloss__V1__Annotation *a)
{
	struct export_out *o = x->out;

	export_puts(o, ",\"body\":[");
	switch (a->body_case) {
	case GLOSS__V1__ANNOTATION__BODY_ENTITY:
		w3c_entity(x, a->entity);
		break;
	case GLOSS__V1__ANNOTATION__BODY_FACT_CORRECTION:
		w3c_correction(x, a->fact_correction);
		break;
	case GLOSS__V1__ANNOTATION__BODY_TRANSLATION_NOTE:
		w3c_note(x, a->translation_note);
		break;
	default:
		export_puts(o, "{\"type\":\"TextualBody\",\"purpose\":"
		               "\"commenting\",");
		w3c_key(o, "value", a->note != NULL ? a->note->text : "");
		export_puts(o, ",\"format\":\"text/plain\"}");
	}
	export_puts(o, "]");
}

/* An IRI for user `name`: unreserved characters kept, others escaped. */
static void
w3c_agent(struct export_ctx *x, const char *key, const char *name)
{
	struct export_out *o = x->out;
	size_t n = strlen(name), run = 0;

	export_printf(o, ",\"%s\":{\"id\":\"urn:gloss:user:", key);
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)name[i];
		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || strchr("-._~", ch) != NULL)
			continue;
		export_write(o, name + run, i - run);
		export_printf(o, "%%%02X", ch);
		run = i + 1;
	}
	export_write(o, name + run, n - run);
	export_puts(o, "\",\"type\":\"Person\",");
	w3c_key(o, "nickname", name);
	export_puts(o, "}");
}

static void
w3c_target(struct export_ctx *x, const Gloss__V1__Annotation *a)
{
	struct export_out *o = x->out;

	export_puts(o, ",\"target\":");
	if (a->n_spans > 1) {
		export_puts(o, "[");
		export_loss(o, a->article_id, a->id, "discontinuous",
		    "a discontinuous span of %zu parts became %zu targets",
		    a->n_spans, a->n_spans);
	}
	for (size_t i = 0; i < a->n_spans; i++) {
		if (i > 0)
			export_puts(o, ",");
		w3c_resource(o, x->article->id, a->spans[i], NULL);
	}
	if (a->n_spans > 1)
		export_puts(o, "]");
}

static void
w3c_annotation(struct export_ctx *x, const Gloss__V1__Annotation *a)
{
	struct export_out *o = x->out;
	char created[32], modified[32];

	export_time(created, a->create_time_ms);
	export_time(modified, a->update_time_ms);
	export_printf(o,
	    "{\"@context\":\"" W3C_CONTEXT "\",\"id\":\"urn:gloss:annotation:"
	    "%" PRIu64 "\",\"type\":\"Annotation\",\"motivation\":%s",
	    a->id, w3c_motivation(a));
	w3c_agent(x, "creator", a->created_by);
	export_printf(o, ",\"created\":\"%s\",\"modified\":\"%s\"", created,
	    modified);
	w3c_body(x, a);
	w3c_target(x, a);
	export_puts(o, "}\n");
	x->written++;
}

const struct export_format export_w3c = {
	.name = "w3c",
	.annotation = w3c_annotation,
};
