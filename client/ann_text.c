/*
 * ann_text: how the annotator's verbs print text and annotations: a
 * terminal-safe excerpt of text, the names of kinds and labels, one-line
 * summaries.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ann.h"

/* ------------------------------------------------------------ text */

/* The length of the UTF-8 sequence that byte c starts. */
static size_t
ann_seq_len(unsigned char c)
{
	return c < 0xc0 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
}

/* The code point at s, and its length in *n.  glossd sends valid UTF-8;
 * a sequence cut short by the NUL is one U+FFFD. */
static uint32_t
ann_code_point(const char *s, size_t *n)
{
	const unsigned char *u = (const unsigned char *)s;
	uint32_t cp;

	*n = ann_seq_len(u[0]);
	cp = *n == 1 ? u[0] : u[0] & (0x7f >> *n);
	for (size_t i = 1; i < *n; i++) {
		if (u[i] == '\0') {
			*n = i;
			return 0xfffd;
		}
		cp = cp << 6 | (u[i] & 0x3f);
	}
	return cp;
}

static bool
ann_is_flag_letter(uint32_t cp)
{
	return cp >= 0x1f1e6 && cp <= 0x1f1ff; /* regional indicators */
}

/*
 * Whether cp belongs to the character before it, so that a cut never falls
 * between them: combining marks (Latin, Hebrew, Arabic harakat, symbols),
 * joiners, variation selectors, emoji skin tones and tags, whatever
 * follows a ZWJ, and the second letter of a flag (ri: regional indicators
 * right before cp).  Not all of UAX #29, which glossd applies; enough not
 * to maim a quote that a table shortens.
 */
static bool
ann_joins(uint32_t prev, uint32_t cp, unsigned ri)
{
	return (cp >= 0x0300 && cp <= 0x036f) ||
	       (cp >= 0x0483 && cp <= 0x0489) ||
	       (cp >= 0x0591 && cp <= 0x05c7) ||
	       (cp >= 0x0610 && cp <= 0x061a) ||
	       (cp >= 0x064b && cp <= 0x065f) || cp == 0x0670 || cp == 0x200c ||
	       cp == 0x200d || (cp >= 0x20d0 && cp <= 0x20ff) ||
	       (cp >= 0xfe00 && cp <= 0xfe0f) ||
	       (cp >= 0x1f3fb && cp <= 0x1f3ff) ||
	       (cp >= 0xe0020 && cp <= 0xe007f) || prev == 0x200d ||
	       (ann_is_flag_letter(cp) && ri % 2 == 1);
}

/* Writes the character at s (cp, n bytes); returns the bytes it used.
 * Line breaks become ⏎ (CRLF one) and tabs spaces, so that a quote keeps
 * to its line. */
static size_t
ann_put_char(FILE *f, const char *s, uint32_t cp, size_t n)
{
	if (cp == '\r' && s[1] == '\n') {
		fputs("⏎", f);
		return 2;
	}
	if (cp == '\r' || cp == '\n')
		fputs("⏎", f);
	else if (cp == '\t')
		fputc(' ', f);
	else
		fwrite(s, 1, n, f);
	return n;
}

/* Writes s on one line; with max > 0 only its first max characters, then
 * "…".  A cut falls between characters, never inside a UTF-8 sequence nor
 * between a letter and its marks or an emoji and its modifiers. */
void
ann_put_text(FILE *f, const char *s, size_t max)
{
	size_t chars = 0, n;
	uint32_t cp, prev = 0;
	unsigned ri = 0;
	bool joins;

	while (*s != '\0') {
		cp = ann_code_point(s, &n);
		joins = ann_joins(prev, cp, ri);
		if (!joins && max > 0 && chars == max) {
			fputs("…", f);
			return;
		}
		chars += !joins;
		ri = ann_is_flag_letter(cp) ? ri + 1 : 0;
		prev = cp;
		s += ann_put_char(f, s, cp, n);
	}
}

/* ------------------------------------------------------------ names */

static const char *const ann_kind_names[] = {
	[GLOSS__V1__KIND__KIND_UNSPECIFIED] = "?",
	[GLOSS__V1__KIND__KIND_ENTITY] = "entity",
	[GLOSS__V1__KIND__KIND_FACT_CORRECTION] = "fact-correction",
	[GLOSS__V1__KIND__KIND_TRANSLATION_NOTE] = "translation-note",
	[GLOSS__V1__KIND__KIND_NOTE] = "note",
};

const char *
ann_kind_name(Gloss__V1__Kind k)
{
	return (size_t)k < NITEMS(ann_kind_names) ? ann_kind_names[k] : "?";
}

/* --kind's value; the short forms are those of `gloss export --kind`. */
Gloss__V1__Kind
ann_kind(const struct cli_verb *v, const char *name)
{
	static const struct {
		const char *name;
		Gloss__V1__Kind kind;
	} kinds[] = {
		{ "entity", GLOSS__V1__KIND__KIND_ENTITY },
		{ "fact-correction", GLOSS__V1__KIND__KIND_FACT_CORRECTION },
		{ "correction", GLOSS__V1__KIND__KIND_FACT_CORRECTION },
		{ "translation-note", GLOSS__V1__KIND__KIND_TRANSLATION_NOTE },
		{ "translation", GLOSS__V1__KIND__KIND_TRANSLATION_NOTE },
		{ "note", GLOSS__V1__KIND__KIND_NOTE },
	};

	for (size_t i = 0; i < NITEMS(kinds); i++)
		if (strcmp(name, kinds[i].name) == 0)
			return kinds[i].kind;
	cli_usage_die(v,
	    "--kind is entity, fact-correction, translation-note or note, "
	    "not '%s'",
	    name);
}

/* What a listing calls the annotation: the entity label, the verdict, the
 * MQM category/severity, or "note". */
const char *
ann_label(const Gloss__V1__Annotation *a, char *buf, size_t size)
{
	switch (a->body_case) {
	case GLOSS__V1__ANNOTATION__BODY_ENTITY:
		return a->entity->label;
	case GLOSS__V1__ANNOTATION__BODY_FACT_CORRECTION:
		return a->fact_correction->verdict;
	case GLOSS__V1__ANNOTATION__BODY_TRANSLATION_NOTE:
		snprintf(buf, size, "%s/%s", a->translation_note->category,
		    a->translation_note->severity);
		return buf;
	case GLOSS__V1__ANNOTATION__BODY_NOTE:
		return "note";
	default:
		return "?";
	}
}

/* The spans' code point offsets: "12-24" or, discontinuous, "3-8,12-24". */
const char *
ann_chars(const Gloss__V1__Annotation *a, char *buf, size_t size)
{
	size_t k = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < a->n_spans && k < size; i++)
		k += (size_t)snprintf(buf + k, size - k,
		    "%s%" PRIu32 "-%" PRIu32, i > 0 ? "," : "",
		    a->spans[i]->char_start, a->spans[i]->char_end);
	return buf;
}

/* ISO 8601 in UTC, to the second. */
const char *
ann_time(int64_t ms, char buf[32])
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return buf;
}

/* ------------------------------------------------------------ summaries */

/* The quoted text of every span, each shortened to max characters (0: not
 * at all); a discontinuous annotation's joined by " … ". */
void
ann_put_quotes(FILE *f, const Gloss__V1__Annotation *a, size_t max)
{
	for (size_t i = 0; i < a->n_spans; i++) {
		fputs(i > 0 ? " … \"" : "\"", f);
		ann_put_text(f, a->spans[i]->exact, max);
		fputc('"', f);
	}
}

/* What the body says beyond its label. */
static void
ann_put_extra(FILE *f, const Gloss__V1__Annotation *a)
{
	const Gloss__V1__Entity *e = a->entity;
	const Gloss__V1__FactCorrection *c = a->fact_correction;
	const Gloss__V1__TranslationNote *t = a->translation_note;

	switch (a->body_case) {
	case GLOSS__V1__ANNOTATION__BODY_ENTITY:
		fprintf(f, "%s%s%s%s%s", e->kb_id[0] ? " " : "", e->kb_id,
		    e->canonical_name[0] ? " (" : "", e->canonical_name,
		    e->canonical_name[0] ? ")" : "");
		break;
	case GLOSS__V1__ANNOTATION__BODY_FACT_CORRECTION:
		if (c->corrected[0] != '\0') /* "supported" needs none */
			fprintf(f, " → \"%s\"", c->corrected);
		if (c->n_evidence > 0)
			fprintf(f, " (%zu evidence)", c->n_evidence);
		break;
	case GLOSS__V1__ANNOTATION__BODY_TRANSLATION_NOTE:
		fputs(" ↔ ", f);
		if (t->source_span != NULL)
			fprintf(f, "\"%s\" in ", t->source_span->exact);
		fputs(t->source_article_id, f);
		if (t->suggestion[0] != '\0')
			fprintf(f, ", suggest \"%s\"", t->suggestion);
		break;
	case GLOSS__V1__ANNOTATION__BODY_NOTE:
		fputs(": ", f);
		ann_put_text(f, a->note->text, ANN_NOTE_CHARS);
		break;
	default:
		break;
	}
}

/* "entity PERSON chars 0-12 "Jensen Huang" Q305177" (a note has no label):
 * one annotation on one line, without the newline. */
void
ann_put_summary(FILE *f, const Gloss__V1__Annotation *a)
{
	char label[256], chars[512];

	fprintf(f, "%s ", ann_kind_name(a->kind));
	if (a->body_case != GLOSS__V1__ANNOTATION__BODY_NOTE)
		fprintf(f, "%s ", ann_label(a, label, sizeof(label)));
	fprintf(f, "chars %s ", ann_chars(a, chars, sizeof(chars)));
	ann_put_quotes(f, a, 0);
	ann_put_extra(f, a);
}

/* A written annotation: as JSON, or "created annotation 7: ...". */
void
ann_print_result(const struct cli *cli, const char *done,
    const Gloss__V1__Annotation *a)
{
	if (cli->json) {
		cli_print_json(&a->base);
		return;
	}
	printf("%s annotation %" PRIu64 " (revision %" PRIu64 "): ", done,
	    a->id, a->revision);
	ann_put_summary(stdout, a);
	putchar('\n');
}
