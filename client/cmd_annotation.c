/*
 * cmd_annotation: the annotator's verbs (tag, correct, flag, note, edit, rm,
 * annotations, history, find) and the annotated text of `gloss show`.  It turns
 * flags into requests and replies into lines; it never checks a span, a label
 * or an etag itself: glossd does, and says why.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

#define ANN_SELECT_MAX   16 /* spans of one annotation: glossd's limit */
#define ANN_EVIDENCE_MAX 16 /* pieces of evidence: glossd's limit */
#define ANN_QUOTE_CHARS  40 /* characters of a quote that a table shows */
#define ANN_NOTE_CHARS   60 /* characters of a note's text in a summary */
#define ANN_CONTEXT      32 /* code points of prefix and suffix in a Span */
#define ANN_PAGE_SIZE    1000

#define NITEMS(a) (sizeof(a) / sizeof((a)[0]))

/*
 * The option codes of this file's verbs.  The body options, from
 * OPT_LABEL to OPT_BODY_END, are kept by code in ann_opts.val[], so that
 * one table (ann_flags) says which kind of annotation each belongs to.
 */
enum {
	OPT_QUOTE = CLI_OPT_VERB,
	OPT_NTH,
	OPT_PREFIX,
	OPT_SUFFIX,
	OPT_SPAN,
	OPT_UNIT,
	OPT_LABEL,
	OPT_KB,
	OPT_NAME,
	OPT_TO,
	OPT_VERDICT,
	OPT_CLAIM,
	OPT_EVIDENCE,
	OPT_EVIDENCE_NTH,
	OPT_COMMENT,
	OPT_SOURCE,
	OPT_SOURCE_QUOTE,
	OPT_SOURCE_NTH,
	OPT_CATEGORY,
	OPT_SEVERITY,
	OPT_SUGGEST,
	OPT_TEXT,
	OPT_BODY_END,
	OPT_KIND = OPT_BODY_END,
	OPT_DELETED,
	OPT_AUTHOR,
	OPT_KB_FILTER,
	OPT_GROUP,
	OPT_ALL,
	OPT_FOLD,
};

#define NBODY (OPT_BODY_END - OPT_LABEL)

/* A kind's bit in a mask of kinds. */
#define K(kind) (1u << GLOSS__V1__KIND__KIND_##kind)

static const struct ann_flag {
	int code;
	const char *name;
	unsigned kinds;
} ann_flags[] = {
	{ OPT_LABEL, "--label", K(ENTITY) },
	{ OPT_KB, "--kb", K(ENTITY) },
	{ OPT_NAME, "--name", K(ENTITY) },
	{ OPT_TO, "--to", K(FACT_CORRECTION) },
	{ OPT_VERDICT, "--verdict", K(FACT_CORRECTION) },
	{ OPT_CLAIM, "--claim", K(FACT_CORRECTION) },
	{ OPT_EVIDENCE, "--evidence", K(FACT_CORRECTION) },
	{ OPT_EVIDENCE_NTH, "--evidence-nth", K(FACT_CORRECTION) },
	{ OPT_COMMENT, "--comment", K(FACT_CORRECTION) | K(TRANSLATION_NOTE) },
	{ OPT_SOURCE, "--source", K(TRANSLATION_NOTE) },
	{ OPT_SOURCE_QUOTE, "--source-quote", K(TRANSLATION_NOTE) },
	{ OPT_SOURCE_NTH, "--source-nth", K(TRANSLATION_NOTE) },
	{ OPT_CATEGORY, "--category", K(TRANSLATION_NOTE) },
	{ OPT_SEVERITY, "--severity", K(TRANSLATION_NOTE) },
	{ OPT_SUGGEST, "--suggest", K(TRANSLATION_NOTE) },
	{ OPT_TEXT, "--text", K(NOTE) },
};

/* The long options that point at text, which every writing verb takes. */
#define ANN_SPAN_OPTIONS                                       \
	{ "quote", required_argument, NULL, OPT_QUOTE },       \
	    { "nth", required_argument, NULL, OPT_NTH },       \
	    { "prefix", required_argument, NULL, OPT_PREFIX }, \
	    { "suffix", required_argument, NULL, OPT_SUFFIX }, \
	    { "span", required_argument, NULL, OPT_SPAN },     \
	{                                                      \
		"unit", required_argument, NULL, OPT_UNIT      \
	}
#define ANN_ENTITY_OPTIONS                                \
	{ "label", required_argument, NULL, OPT_LABEL },  \
	    { "kb", required_argument, NULL, OPT_KB },    \
	{                                                 \
		"name", required_argument, NULL, OPT_NAME \
	}
#define ANN_CORRECTION_OPTIONS                                            \
	{ "to", required_argument, NULL, OPT_TO },                        \
	    { "verdict", required_argument, NULL, OPT_VERDICT },          \
	    { "claim", required_argument, NULL, OPT_CLAIM },              \
	    { "evidence", required_argument, NULL, OPT_EVIDENCE },        \
	{                                                                 \
		"evidence-nth", required_argument, NULL, OPT_EVIDENCE_NTH \
	}
#define ANN_TRANSLATION_OPTIONS                                            \
	{ "source", required_argument, NULL, OPT_SOURCE },                 \
	    { "source-quote", required_argument, NULL, OPT_SOURCE_QUOTE }, \
	    { "source-nth", required_argument, NULL, OPT_SOURCE_NTH },     \
	    { "category", required_argument, NULL, OPT_CATEGORY },         \
	    { "severity", required_argument, NULL, OPT_SEVERITY },         \
	{                                                                  \
		"suggest", required_argument, NULL, OPT_SUGGEST            \
	}

/* How the writing verbs' help says where the annotation goes. */
#define ANN_SPAN_HELP                                                          \
	"  --quote TEXT       the text as it appears; it must occur once in "  \
	"the\n"                                                                \
	"                     article, or say which occurrence with --nth\n"   \
	"  --nth N            the Nth occurrence (from 1) of the --quote it\n" \
	"                     follows\n"                                       \
	"  --prefix TEXT      text right before that --quote (to tell\n"       \
	"                     occurrences apart)\n"                            \
	"  --suffix TEXT      text right after it\n"                           \
	"  --span START:END   offsets instead of a quote, END excluded\n"      \
	"  --unit UNIT        of every --span: chars (Unicode code points, "   \
	"the\n"                                                                \
	"                     default), utf16 (JavaScript) or bytes (UTF-8)\n" \
	"Several --quote and --span make one discontinuous annotation.\n"

#define ANN_COMMON_HELP                                       \
	"  --json             print the annotation as JSON\n" \
	"  --socket URL, --timeout MS, --as NAME\n"

/* The selectors that --quote and --span make, in the order given. */
struct ann_sel {
	Gloss__V1__SpanSelector *ptr[ANN_SELECT_MAX];
	Gloss__V1__SpanSelector sel[ANN_SELECT_MAX];
	Gloss__V1__Quote quote[ANN_SELECT_MAX];
	Gloss__V1__Range range[ANN_SELECT_MAX];
	size_t n;
	Gloss__V1__Quote *last;   /* the --quote that --nth and co. refine */
	Gloss__V1__Quote pending; /* --nth and co. given before any --quote */
	bool has_pending;
	bool unit_given;
	Gloss__V1__Unit unit;
};

/* Everything the writing verbs' flags say. */
struct ann_opts {
	struct ann_sel sel;
	char *val[NBODY]; /* by option code - OPT_LABEL; NULL: not given */
	unsigned given;   /* bit (code - OPT_LABEL) per body option given */
	Gloss__V1__Evidence *evp[ANN_EVIDENCE_MAX];
	Gloss__V1__Evidence ev[ANN_EVIDENCE_MAX];
	Gloss__V1__SpanSelector ev_sel[ANN_EVIDENCE_MAX];
	Gloss__V1__Quote ev_quote[ANN_EVIDENCE_MAX];
	size_t n_ev;
	uint32_t source_nth;
	Gloss__V1__SpanSelector source_sel;
	Gloss__V1__Quote source_quote;
};

/* Room for any one body, as a request builds it. */
struct ann_body {
	Gloss__V1__Entity entity;
	Gloss__V1__FactCorrection correction;
	Gloss__V1__TranslationNote translation;
	Gloss__V1__Note note;
};

/* Every annotation of a listing, with the pages that own them. */
struct ann_list {
	Gloss__V1__Reply **pages;
	size_t n_pages;
	Gloss__V1__Annotation **items;
	size_t n;
};

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
static void
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

static const char *
ann_kind_name(Gloss__V1__Kind k)
{
	return (size_t)k < NITEMS(ann_kind_names) ? ann_kind_names[k] : "?";
}

/* --kind's value; the short forms are those of `gloss export --kind`. */
static Gloss__V1__Kind
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
static const char *
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
static const char *
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
static const char *
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
static void
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
static void
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
static void
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

/* ------------------------------------------------------------ arguments */

/* A whole decimal number in [lo, UINT32_MAX], or a usage error. */
static uint32_t
ann_u32(const struct cli_verb *v, const char *flag, const char *arg,
    uint32_t lo)
{
	unsigned long n;
	char *end;

	errno = 0;
	n = strtoul(arg, &end, 10);
	if (errno != 0 || *end != '\0' || arg[0] < '0' || arg[0] > '9' ||
	    n < lo || n > UINT32_MAX)
		cli_usage_die(v, "%s takes a number from %" PRIu32 ", not '%s'",
		    flag, lo, arg);
	return (uint32_t)n;
}

/* An annotation id: a positive decimal number, or a usage error. */
static uint64_t
ann_id(const struct cli_verb *v, const char *arg)
{
	unsigned long long id;
	char *end;

	errno = 0;
	id = strtoull(arg, &end, 10);
	if (errno != 0 || *end != '\0' || arg[0] < '0' || arg[0] > '9' ||
	    id == 0)
		cli_usage_die(v,
		    "an annotation ID is a number such as 7, not '%s'", arg);
	return (uint64_t)id;
}

static Gloss__V1__Unit
ann_unit(const struct cli_verb *v, const char *arg)
{
	if (strcmp(arg, "chars") == 0)
		return GLOSS__V1__UNIT__UNIT_CHARS;
	if (strcmp(arg, "utf16") == 0)
		return GLOSS__V1__UNIT__UNIT_UTF16;
	if (strcmp(arg, "bytes") == 0)
		return GLOSS__V1__UNIT__UNIT_BYTES;
	cli_usage_die(v, "--unit is chars, utf16 or bytes, not '%s'", arg);
}

/* The next selector's slot, initialised. */
static Gloss__V1__SpanSelector *
ann_sel_add(const struct cli_verb *v, struct ann_sel *s)
{
	Gloss__V1__SpanSelector *sel;

	if (s->n == ANN_SELECT_MAX)
		cli_usage_die(v, "at most %d --quote and --span in all",
		    ANN_SELECT_MAX);
	sel = &s->sel[s->n];
	gloss__v1__span_selector__init(sel);
	s->ptr[s->n++] = sel;
	return sel;
}

static void
ann_sel_quote(const struct cli_verb *v, struct ann_sel *s, char *exact)
{
	Gloss__V1__SpanSelector *sel = ann_sel_add(v, s);
	Gloss__V1__Quote *q = &s->quote[s->n - 1];

	*q = s->pending;
	q->exact = exact;
	gloss__v1__quote__init(&s->pending);
	s->has_pending = false;
	sel->selector_case = GLOSS__V1__SPAN_SELECTOR__SELECTOR_QUOTE;
	sel->quote = q;
	s->last = q;
}

/* START:END; the unit is set at the end, from --unit. */
static void
ann_sel_range(const struct cli_verb *v, struct ann_sel *s, char *arg)
{
	char *colon = strchr(arg, ':');
	Gloss__V1__SpanSelector *sel;
	Gloss__V1__Range *r;

	if (colon == NULL)
		cli_usage_die(v, "--span takes START:END, not '%s'", arg);
	*colon = '\0';
	sel = ann_sel_add(v, s);
	r = &s->range[s->n - 1];
	gloss__v1__range__init(r);
	r->start = ann_u32(v, "--span START", arg, 0);
	r->end = ann_u32(v, "--span END", colon + 1, 0);
	sel->selector_case = GLOSS__V1__SPAN_SELECTOR__SELECTOR_RANGE;
	sel->range = r;
}

/* The quote that --nth, --prefix and --suffix refine: the last --quote, or
 * the next one if none came yet. */
static Gloss__V1__Quote *
ann_sel_target(struct ann_sel *s)
{
	if (s->last != NULL)
		return s->last;
	s->has_pending = true;
	return &s->pending;
}

/* Applies ch if it is a span option; returns false if it is not one. */
static bool
ann_span_option(const struct cli_verb *v, struct ann_sel *s, int ch, char *arg)
{
	if (ch == OPT_QUOTE)
		ann_sel_quote(v, s, arg);
	else if (ch == OPT_NTH)
		ann_sel_target(s)->nth = ann_u32(v, "--nth", arg, 1);
	else if (ch == OPT_PREFIX)
		ann_sel_target(s)->prefix = arg;
	else if (ch == OPT_SUFFIX)
		ann_sel_target(s)->suffix = arg;
	else if (ch == OPT_SPAN)
		ann_sel_range(v, s, arg);
	else if (ch == OPT_UNIT) {
		s->unit = ann_unit(v, arg);
		s->unit_given = true;
	} else
		return false;
	return true;
}

static void
ann_sel_finish(const struct cli_verb *v, struct ann_sel *s)
{
	bool ranges = false;

	if (s->has_pending)
		cli_usage_die(v,
		    "--nth, --prefix and --suffix refine a --quote; "
		    "give the --quote");
	for (size_t i = 0; i < s->n; i++) {
		if (s->sel[i].selector_case !=
		    GLOSS__V1__SPAN_SELECTOR__SELECTOR_RANGE)
			continue;
		s->sel[i].range->unit = s->unit;
		ranges = true;
	}
	if (s->unit_given && !ranges)
		cli_usage_die(v, "--unit goes with --span");
}

/* --evidence ARTICLE:QUOTE (a span of a stored article) or an http(s)
 * URL.  ARTICLE ends at the first ':', since ids have none. */
static void
ann_evidence(const struct cli_verb *v, struct ann_opts *o, char *arg)
{
	Gloss__V1__Evidence *e;
	char *colon;

	if (o->n_ev == ANN_EVIDENCE_MAX)
		cli_usage_die(v, "at most %d --evidence", ANN_EVIDENCE_MAX);
	e = &o->ev[o->n_ev];
	gloss__v1__evidence__init(e);
	o->evp[o->n_ev] = e;
	if (strncmp(arg, "http://", 7) == 0 ||
	    strncmp(arg, "https://", 8) == 0) {
		e->url = arg;
		o->n_ev++;
		return;
	}
	if ((colon = strchr(arg, ':')) != NULL && strncmp(colon, "://", 3) == 0)
		cli_usage_die(v,
		    "--evidence URLs are http:// or https://, not "
		    "'%s'",
		    arg);
	if (colon == NULL || colon == arg || colon[1] == '\0')
		cli_usage_die(v,
		    "--evidence takes ARTICLE:QUOTE or an http(s) URL, not "
		    "'%s'",
		    arg);
	*colon = '\0';
	e->article_id = arg;
	gloss__v1__quote__init(&o->ev_quote[o->n_ev]);
	o->ev_quote[o->n_ev].exact = colon + 1;
	gloss__v1__span_selector__init(&o->ev_sel[o->n_ev]);
	o->ev_sel[o->n_ev].selector_case =
	    GLOSS__V1__SPAN_SELECTOR__SELECTOR_QUOTE;
	o->ev_sel[o->n_ev].quote = &o->ev_quote[o->n_ev];
	e->select = &o->ev_sel[o->n_ev++];
}

/* --evidence-nth N: which occurrence the last --evidence quotes. */
static void
ann_evidence_nth(const struct cli_verb *v, struct ann_opts *o, char *arg)
{
	if (o->n_ev == 0 || o->evp[o->n_ev - 1]->select == NULL)
		cli_usage_die(v, "--evidence-nth follows an --evidence "
		                 "ARTICLE:QUOTE");
	o->ev_quote[o->n_ev - 1].nth = ann_u32(v, "--evidence-nth", arg, 1);
}

static unsigned
ann_bit(int code)
{
	return 1u << (code - OPT_LABEL);
}

/* The value of body option code, or dflt if it was not given. */
static char *
ann_val(const struct ann_opts *o, int code, char *dflt)
{
	return o->val[code - OPT_LABEL] != NULL ? o->val[code - OPT_LABEL]
	                                        : dflt;
}

static void
ann_body_option(const struct cli_verb *v, struct ann_opts *o, int ch, char *arg)
{
	if (ch < OPT_LABEL || ch >= OPT_BODY_END)
		return;
	o->given |= ann_bit(ch);
	if (ch == OPT_EVIDENCE)
		ann_evidence(v, o, arg);
	else if (ch == OPT_EVIDENCE_NTH)
		ann_evidence_nth(v, o, arg);
	else if (ch == OPT_SOURCE_NTH)
		o->source_nth = ann_u32(v, "--source-nth", arg, 1);
	else
		o->val[ch - OPT_LABEL] = arg;
}

/* Parses a writing verb's flags into o; the operands are left at optind. */
static void
ann_parse(struct cli *cli, const struct cli_verb *v, int argc, char **argv,
    const struct option *longopts, struct ann_opts *o)
{
	int ch;

	memset(o, 0, sizeof(*o));
	gloss__v1__quote__init(&o->sel.pending);
	o->sel.unit = GLOSS__V1__UNIT__UNIT_CHARS;
	while ((ch = cli_getopt(cli, v, argc, argv, "h", longopts)) != -1)
		if (!ann_span_option(v, &o->sel, ch, optarg))
			ann_body_option(v, o, ch, optarg);
	ann_sel_finish(v, &o->sel);
	if ((o->given & ann_bit(OPT_SOURCE_NTH)) &&
	    ann_val(o, OPT_SOURCE_QUOTE, NULL) == NULL)
		cli_usage_die(v, "--source-nth goes with --source-quote");
}

static void
ann_need(const struct cli_verb *v, const struct ann_opts *o, int code,
    const char *what)
{
	if (ann_val(o, code, NULL) == NULL)
		cli_usage_die(v, "give %s", what);
}

/* The one operand, ARTICLE, and the spans in it, into a. */
static void
ann_target(const struct cli_verb *v, struct ann_opts *o, int argc, char **argv,
    Gloss__V1__Annotation *a)
{
	if (argc - optind != 1)
		cli_usage_die(v, "name one ARTICLE");
	if (o->sel.n == 0)
		cli_usage_die(v, "point at the text with --quote TEXT or "
		                 "--span START:END");
	a->article_id = argv[optind];
	a->select = o->sel.ptr;
	a->n_select = o->sel.n;
}

/* ------------------------------------------------------------ bodies */

/* Each builder makes the body that the flags make of cur (NULL: none yet). */

static void
ann_entity(const struct ann_opts *o, const Gloss__V1__Entity *cur,
    Gloss__V1__Entity *e)
{
	if (cur != NULL)
		*e = *cur;
	else
		gloss__v1__entity__init(e);
	e->label = ann_val(o, OPT_LABEL, e->label);
	e->kb_id = ann_val(o, OPT_KB, e->kb_id);
	e->canonical_name = ann_val(o, OPT_NAME, e->canonical_name);
}

static void
ann_correction(struct ann_opts *o, const Gloss__V1__FactCorrection *cur,
    Gloss__V1__FactCorrection *f)
{
	if (cur != NULL)
		*f = *cur;
	else
		gloss__v1__fact_correction__init(f);
	f->claim = ann_val(o, OPT_CLAIM, f->claim);
	f->corrected = ann_val(o, OPT_TO, f->corrected);
	f->verdict = ann_val(o, OPT_VERDICT, f->verdict);
	f->comment = ann_val(o, OPT_COMMENT, f->comment);
	if (o->n_ev > 0) { /* given evidence replaces all of it */
		f->evidence = o->evp;
		f->n_evidence = o->n_ev;
	}
}

static void
ann_translation(struct ann_opts *o, const Gloss__V1__TranslationNote *cur,
    Gloss__V1__TranslationNote *t)
{
	if (cur != NULL)
		*t = *cur;
	else
		gloss__v1__translation_note__init(t);
	t->source_article_id = ann_val(o, OPT_SOURCE, t->source_article_id);
	t->category = ann_val(o, OPT_CATEGORY, t->category);
	t->severity = ann_val(o, OPT_SEVERITY, t->severity);
	t->suggestion = ann_val(o, OPT_SUGGEST, t->suggestion);
	t->comment = ann_val(o, OPT_COMMENT, t->comment);
	if (ann_val(o, OPT_SOURCE_QUOTE, NULL) == NULL)
		return;
	gloss__v1__quote__init(&o->source_quote);
	o->source_quote.exact = ann_val(o, OPT_SOURCE_QUOTE, NULL);
	o->source_quote.nth = o->source_nth;
	gloss__v1__span_selector__init(&o->source_sel);
	o->source_sel.selector_case = GLOSS__V1__SPAN_SELECTOR__SELECTOR_QUOTE;
	o->source_sel.quote = &o->source_quote;
	t->source_select = &o->source_sel;
	t->source_span = NULL; /* the new source_select replaces it */
}

/* Sets a's body of the given kind from o and, editing, cur. */
static void
ann_set_body(struct ann_opts *o, Gloss__V1__Kind kind,
    const Gloss__V1__Annotation *cur, Gloss__V1__Annotation *a,
    struct ann_body *b)
{
	switch (kind) {
	case GLOSS__V1__KIND__KIND_ENTITY:
		ann_entity(o, cur ? cur->entity : NULL, &b->entity);
		a->body_case = GLOSS__V1__ANNOTATION__BODY_ENTITY;
		a->entity = &b->entity;
		break;
	case GLOSS__V1__KIND__KIND_FACT_CORRECTION:
		ann_correction(o, cur ? cur->fact_correction : NULL,
		    &b->correction);
		a->body_case = GLOSS__V1__ANNOTATION__BODY_FACT_CORRECTION;
		a->fact_correction = &b->correction;
		break;
	case GLOSS__V1__KIND__KIND_TRANSLATION_NOTE:
		ann_translation(o, cur ? cur->translation_note : NULL,
		    &b->translation);
		a->body_case = GLOSS__V1__ANNOTATION__BODY_TRANSLATION_NOTE;
		a->translation_note = &b->translation;
		break;
	default:
		if (cur != NULL && cur->note != NULL)
			b->note = *cur->note;
		else
			gloss__v1__note__init(&b->note);
		b->note.text = ann_val(o, OPT_TEXT, b->note.text);
		a->body_case = GLOSS__V1__ANNOTATION__BODY_NOTE;
		a->note = &b->note;
	}
}

/* ------------------------------------------------------------ calls */

static Gloss__V1__Reply *
ann_get(struct cli *cli, uint64_t id)
{
	Gloss__V1__Request q = GLOSS__V1__REQUEST__INIT;
	Gloss__V1__GetAnnotationRequest g =
	    GLOSS__V1__GET_ANNOTATION_REQUEST__INIT;

	g.id = id;
	q.body_case = GLOSS__V1__REQUEST__BODY_GET_ANNOTATION;
	q.get_annotation = &g;
	return cli_call(cli, &q);
}

/* After ABORTED: says who changed annotation id since `verb` read it, and
 * exits 1.  glossd's own message is already printed. */
static void
ann_aborted(struct cli *cli, uint64_t id, const char *verb)
{
	Gloss__V1__Reply *r = ann_get(cli, id);
	Gloss__V1__Annotation *a;
	char when[32];

	if (r == NULL)
		cli_die_as(GLOSS__V1__CODE__ABORTED,
		    "annotation %" PRIu64 " changed while `gloss %s` ran; "
		    "nothing was changed: run it again",
		    id, verb);
	a = r->get_annotation->annotation;
	cli_die_as(GLOSS__V1__CODE__ABORTED,
	    "annotation %" PRIu64 " was changed by %s at %s (now "
	    "revision %" PRIu64 ", %s) after `gloss %s` read it; nothing "
	    "was changed: look at it (gloss history %" PRIu64
	    ") and run the command again",
	    id, a->updated_by, ann_time(a->update_time_ms, when), a->revision,
	    a->state == GLOSS__V1__STATE__STATE_DELETED ? "deleted" : "active",
	    verb, id);
}

/* Sends a write of annotation id; exits if glossd refuses it. */
static Gloss__V1__Reply *
ann_write(struct cli *cli, Gloss__V1__Request *q, uint64_t id, const char *verb)
{
	Gloss__V1__Reply *r = cli_call(cli, q);

	/* Under --json, the Status printed says it (Status.current). */
	if (r == NULL && cli->code == GLOSS__V1__CODE__ABORTED && !cli->json)
		ann_aborted(cli, id, verb);
	if (r == NULL)
		exit(cli_exit_code(cli->code));
	return r;
}

static int
ann_create(struct cli *cli, Gloss__V1__Annotation *a)
{
	Gloss__V1__Request q = GLOSS__V1__REQUEST__INIT;
	Gloss__V1__CreateAnnotationRequest c =
	    GLOSS__V1__CREATE_ANNOTATION_REQUEST__INIT;
	Gloss__V1__Reply *r;

	c.annotation = a;
	q.body_case = GLOSS__V1__REQUEST__BODY_CREATE_ANNOTATION;
	q.create_annotation = &c;
	if ((r = cli_call(cli, &q)) == NULL)
		return 1;
	ann_print_result(cli, "created", r->create_annotation->annotation);
	rpc_reply_free(r);
	return 0;
}

/* Every annotation that q (a ListAnnotations request) lists, all pages. */
static void
ann_list_fetch(struct cli *cli, Gloss__V1__Request *q, struct ann_list *l)
{
	Gloss__V1__ListAnnotationsResponse *res;
	Gloss__V1__Reply *r;

	memset(l, 0, sizeof(*l));
	q->list_annotations->page_size = ANN_PAGE_SIZE;
	do {
		q->request_id = (char *)"";
		r = cli_call_or_die(cli, q);
		res = r->list_annotations;
		l->pages = realloc(l->pages, (l->n_pages + 1) * sizeof(r));
		l->items = realloc(l->items,
		    (l->n + res->n_annotations + 1) * sizeof(*l->items));
		if (l->pages == NULL || l->items == NULL)
			cli_die("out of memory");
		l->pages[l->n_pages++] = r;
		if (res->n_annotations > 0) /* else annotations is NULL */
			memcpy(l->items + l->n, res->annotations,
			    res->n_annotations * sizeof(*l->items));
		l->n += res->n_annotations;
		q->list_annotations->page_token = res->next_page_token;
	} while (res->next_page_token[0] != '\0');
}

static void
ann_list_free(struct ann_list *l)
{
	for (size_t i = 0; i < l->n_pages; i++)
		rpc_reply_free(l->pages[i]);
	free(l->pages);
	free(l->items);
}

/* ------------------------------------------------------------ tag */

static const struct cli_verb tag_verb = { "tag",
	"usage: gloss tag ARTICLE --quote TEXT [--nth N] --label LABEL\n"
	"                 [--kb QID] [--name NAME] [options]\n"
	"\n"
	"Tags a named entity (a person, an organisation, a place, an "
	"amount...)\n"
	"where ARTICLE says TEXT.  glossd finds the text and records its "
	"offsets\n"
	"in every unit.\n"
	"\n" ANN_SPAN_HELP "\n"
	"  --label LABEL      required: PERSON, NORP, FAC, ORG, GPE, LOC, "
	"PRODUCT,\n"
	"                     EVENT, WORK_OF_ART, LAW, LANGUAGE, DATE, TIME,\n"
	"                     PERCENT, MONEY, QUANTITY, ORDINAL, CARDINAL\n"
	"                     (gloss labels entity)\n"
	"  --kb QID           its Wikidata id (Q305177), or NIL\n"
	"  --name NAME        its canonical name\n" ANN_COMMON_HELP "\n"
	"  gloss tag 001_5b91122d76223f77 --quote \"Jensen Huang\" --label "
	"PERSON \\\n"
	"      --kb Q305177\n" };

int
cmd_tag(struct cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = { CLI_COMMON_OPTIONS,
		ANN_SPAN_OPTIONS, ANN_ENTITY_OPTIONS, { NULL, 0, NULL, 0 } };
	Gloss__V1__Annotation a = GLOSS__V1__ANNOTATION__INIT;
	struct ann_opts o;
	struct ann_body b;

	ann_parse(cli, &tag_verb, argc, argv, longopts, &o);
	ann_target(&tag_verb, &o, argc, argv, &a);
	ann_need(&tag_verb, &o, OPT_LABEL, "the entity's --label");
	ann_set_body(&o, GLOSS__V1__KIND__KIND_ENTITY, NULL, &a, &b);
	return ann_create(cli, &a);
}

/* ------------------------------------------------------------ correct */

static const struct cli_verb correct_verb = { "correct",
	"usage: gloss correct ARTICLE --quote TEXT --to VALUE --verdict "
	"VERDICT\n"
	"                     [--evidence ARTICLE:QUOTE | --evidence URL]...\n"
	"                     [--claim TEXT] [--comment TEXT] [options]\n"
	"\n"
	"Records that what ARTICLE says at TEXT is wrong (or checked), what "
	"is\n"
	"right, and the evidence.\n"
	"\n" ANN_SPAN_HELP "\n"
	"  --verdict VERDICT  required: refuted, supported or "
	"not-enough-info\n"
	"  --to VALUE         the corrected value (required if refuted)\n"
	"  --claim TEXT       the claim, if not the quoted text itself\n"
	"  --evidence ARTICLE:QUOTE\n"
	"                     where another stored article says it (QUOTE "
	"must\n"
	"                     occur there once), or\n"
	"  --evidence-nth N   the Nth occurrence of that QUOTE there\n"
	"  --evidence URL     an http(s) page; --evidence is repeatable, up "
	"to 16\n"
	"  --comment TEXT\n" ANN_COMMON_HELP "\n"
	"  gloss correct 001_5b91122d76223f77 --quote '$ 18 billion' \\\n"
	"      --to '$16 billion' --verdict refuted \\\n"
	"      --evidence 000_37e09da8a1b7b9fa:'US $ 16 bilhões' "
	"--evidence-nth 1\n" };

int
cmd_correct(struct cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = { CLI_COMMON_OPTIONS,
		ANN_SPAN_OPTIONS, ANN_CORRECTION_OPTIONS,
		{ "comment", required_argument, NULL, OPT_COMMENT },
		{ NULL, 0, NULL, 0 } };
	Gloss__V1__Annotation a = GLOSS__V1__ANNOTATION__INIT;
	struct ann_opts o;
	struct ann_body b;

	ann_parse(cli, &correct_verb, argc, argv, longopts, &o);
	ann_target(&correct_verb, &o, argc, argv, &a);
	ann_need(&correct_verb, &o, OPT_VERDICT,
	    "the --verdict: refuted, supported or not-enough-info");
	if (strcmp(ann_val(&o, OPT_VERDICT, NULL), "refuted") == 0)
		ann_need(&correct_verb, &o, OPT_TO,
		    "the corrected value of a refuted claim: --to VALUE");
	ann_set_body(&o, GLOSS__V1__KIND__KIND_FACT_CORRECTION, NULL, &a, &b);
	return ann_create(cli, &a);
}

/* ------------------------------------------------------------ flag */

static const struct cli_verb flag_verb = { "flag",
	"usage: gloss flag ARTICLE --quote TEXT --source-quote TEXT\n"
	"                  --category CATEGORY --severity SEVERITY\n"
	"                  [--source ID] [--suggest TEXT] [--comment TEXT] "
	"[options]\n"
	"\n"
	"Flags an error in a translation (MQM): TEXT in ARTICLE, the "
	"translation,\n"
	"renders SOURCE-QUOTE of the article it translates.\n"
	"\n" ANN_SPAN_HELP "\n"
	"  --source ID          the source article (default: the one ARTICLE\n"
	"                       is a translation of)\n"
	"  --source-quote TEXT  what the source says; leave out for an "
	"addition\n"
	"  --source-nth N       its Nth occurrence in the source\n"
	"  --category CATEGORY  required: accuracy/mistranslation,\n"
	"                       accuracy/omission, fluency/grammar, "
	"terminology,\n"
	"                       ... (gloss labels mqm_category)\n"
	"  --severity SEVERITY  required: neutral, minor, major or critical\n"
	"  --suggest TEXT       a better translation of TEXT\n"
	"  --comment TEXT\n" ANN_COMMON_HELP "\n"
	"  gloss flag 001_5b91122d76223f77 --quote 'double -limited sword' \\\n"
	"      --source-quote 'faca de dois gumes' \\\n"
	"      --category accuracy/mistranslation --severity major \\\n"
	"      --suggest 'double-edged sword'\n" };

/* The article that target translates, from glossd; *keep owns it. */
static char *
flag_source(struct cli *cli, char *target, Gloss__V1__Reply **keep)
{
	Gloss__V1__Request q = GLOSS__V1__REQUEST__INIT;
	Gloss__V1__GetArticleRequest g = GLOSS__V1__GET_ARTICLE_REQUEST__INIT;
	Gloss__V1__Article *a;

	g.id = target;
	g.omit_text = true;
	q.body_case = GLOSS__V1__REQUEST__BODY_GET_ARTICLE;
	q.get_article = &g;
	*keep = cli_call_or_die(cli, &q);
	a = (*keep)->get_article->article;
	if (a->translation_of[0] == '\0')
		cli_die("article '%s' is not a translation (it has no "
		        "translation_of): name the article it translates with "
		        "--source ID",
		    target);
	return a->translation_of;
}

int
cmd_flag(struct cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = { CLI_COMMON_OPTIONS,
		ANN_SPAN_OPTIONS, ANN_TRANSLATION_OPTIONS,
		{ "comment", required_argument, NULL, OPT_COMMENT },
		{ NULL, 0, NULL, 0 } };
	Gloss__V1__Annotation a = GLOSS__V1__ANNOTATION__INIT;
	Gloss__V1__Reply *target = NULL;
	struct ann_opts o;
	struct ann_body b;
	int rc;

	ann_parse(cli, &flag_verb, argc, argv, longopts, &o);
	ann_target(&flag_verb, &o, argc, argv, &a);
	ann_need(&flag_verb, &o, OPT_CATEGORY, "the MQM --category");
	ann_need(&flag_verb, &o, OPT_SEVERITY, "the --severity");
	if (ann_val(&o, OPT_SOURCE, NULL) == NULL)
		o.val[OPT_SOURCE - OPT_LABEL] =
		    flag_source(cli, a.article_id, &target);
	ann_set_body(&o, GLOSS__V1__KIND__KIND_TRANSLATION_NOTE, NULL, &a, &b);
	rc = ann_create(cli, &a);
	if (target != NULL)
		rpc_reply_free(target);
	return rc;
}

/* ------------------------------------------------------------ note */

static const struct cli_verb note_verb = { "note",
	"usage: gloss note ARTICLE --quote TEXT --text NOTE [options]\n"
	"\n"
	"Writes a free-text note on a span.\n"
	"\n" ANN_SPAN_HELP "\n"
	"  --text NOTE        required: the note\n" ANN_COMMON_HELP };

int
cmd_note(struct cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = { CLI_COMMON_OPTIONS,
		ANN_SPAN_OPTIONS, { "text", required_argument, NULL, OPT_TEXT },
		{ NULL, 0, NULL, 0 } };
	Gloss__V1__Annotation a = GLOSS__V1__ANNOTATION__INIT;
	struct ann_opts o;
	struct ann_body b;

	ann_parse(cli, &note_verb, argc, argv, longopts, &o);
	ann_target(&note_verb, &o, argc, argv, &a);
	ann_need(&note_verb, &o, OPT_TEXT, "the note's --text");
	ann_set_body(&o, GLOSS__V1__KIND__KIND_NOTE, NULL, &a, &b);
	return ann_create(cli, &a);
}

/* ------------------------------------------------------------ edit */

static const struct cli_verb edit_verb = { "edit",
	"usage: gloss edit ID [flags of its kind] [--quote TEXT | --span "
	"S:E]...\n"
	"\n"
	"Changes annotation ID: what the flags give, and nothing else.  It "
	"reads\n"
	"the annotation first; if someone changes it in between, nothing is\n"
	"changed and gloss says who did (run the command again).\n"
	"\n"
	"  an entity:           --label LABEL  --kb QID  --name NAME\n"
	"  a fact correction:   --to VALUE  --verdict VERDICT  --claim TEXT\n"
	"                       --evidence ARTICLE:QUOTE|URL [--evidence-nth "
	"N]\n"
	"                       (replace all the evidence)  --comment TEXT\n"
	"  a translation note:  --category C  --severity S  --suggest TEXT\n"
	"                       --source-quote TEXT [--source-nth N]\n"
	"                       [--source ID]  --comment TEXT\n"
	"  a note:              --text NOTE\n"
	"  any kind:            --quote and --span replace all its spans:\n"
	"\n" ANN_SPAN_HELP "\n" ANN_COMMON_HELP };

/* Dies unless every body flag given belongs to a's kind. */
static void
edit_check(const struct ann_opts *o, const Gloss__V1__Annotation *a)
{
	for (size_t i = 0; i < NITEMS(ann_flags); i++) {
		const struct ann_flag *f = &ann_flags[i];
		if ((o->given & ann_bit(f->code)) == 0 ||
		    (f->kinds & (1u << a->kind)) != 0)
			continue;
		cli_usage_die(&edit_verb,
		    "%s does not apply to annotation %" PRIu64 ", a %s",
		    f->name, a->id, ann_kind_name(a->kind));
	}
	if (ann_val(o, OPT_SOURCE, NULL) != NULL &&
	    ann_val(o, OPT_SOURCE_QUOTE, NULL) == NULL)
		cli_usage_die(&edit_verb,
		    "--source needs --source-quote: the span in that article");
}

int
cmd_edit(struct cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = { CLI_COMMON_OPTIONS,
		ANN_SPAN_OPTIONS, ANN_ENTITY_OPTIONS, ANN_CORRECTION_OPTIONS,
		ANN_TRANSLATION_OPTIONS,
		{ "comment", required_argument, NULL, OPT_COMMENT },
		{ "text", required_argument, NULL, OPT_TEXT },
		{ NULL, 0, NULL, 0 } };
	Gloss__V1__Request q = GLOSS__V1__REQUEST__INIT;
	Gloss__V1__UpdateAnnotationRequest u =
	    GLOSS__V1__UPDATE_ANNOTATION_REQUEST__INIT;
	Gloss__V1__Annotation a = GLOSS__V1__ANNOTATION__INIT, *cur;
	Gloss__V1__Reply *got, *r;
	struct ann_opts o;
	struct ann_body b;

	ann_parse(cli, &edit_verb, argc, argv, longopts, &o);
	if (argc - optind != 1)
		cli_usage_die(&edit_verb, "name one annotation ID");
	a.id = ann_id(&edit_verb, argv[optind]);
	if (o.given == 0 && o.sel.n == 0)
		cli_usage_die(&edit_verb, "nothing to change: give a flag");
	if ((got = ann_get(cli, a.id)) == NULL)
		return 1;
	cur = got->get_annotation->annotation;
	edit_check(&o, cur);
	a.etag = cur->etag;
	a.select = o.sel.ptr;
	a.n_select = o.sel.n;
	if (o.given != 0)
		ann_set_body(&o, cur->kind, cur, &a, &b);
	u.annotation = &a;
	q.body_case = GLOSS__V1__REQUEST__BODY_UPDATE_ANNOTATION;
	q.update_annotation = &u;
	r = ann_write(cli, &q, a.id, "edit");
	ann_print_result(cli, "updated", r->update_annotation->annotation);
	rpc_reply_free(r);
	rpc_reply_free(got);
	return 0;
}

/* ------------------------------------------------------------ rm */

static const struct cli_verb rm_verb = { "rm",
	"usage: gloss rm ID [options]\n"
	"\n"
	"Deletes annotation ID: it becomes a tombstone that keeps who deleted "
	"it\n"
	"and when (gloss history ID).  If someone changes it while this runs,\n"
	"nothing is deleted and gloss says who did.\n"
	"\n"
	"  --json             print the tombstone as JSON\n"
	"  --socket URL, --timeout MS, --as NAME\n" };

int
cmd_rm(struct cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = { CLI_COMMON_OPTIONS,
		{ NULL, 0, NULL, 0 } };
	Gloss__V1__Request q = GLOSS__V1__REQUEST__INIT;
	Gloss__V1__DeleteAnnotationRequest d =
	    GLOSS__V1__DELETE_ANNOTATION_REQUEST__INIT;
	Gloss__V1__Reply *got, *r;

	while (cli_getopt(cli, &rm_verb, argc, argv, "h", longopts) != -1)
		;
	if (argc - optind != 1)
		cli_usage_die(&rm_verb, "name one annotation ID");
	d.id = ann_id(&rm_verb, argv[optind]);
	if ((got = ann_get(cli, d.id)) == NULL)
		return 1;
	d.etag = got->get_annotation->annotation->etag;
	q.body_case = GLOSS__V1__REQUEST__BODY_DELETE_ANNOTATION;
	q.delete_annotation = &d;
	r = ann_write(cli, &q, d.id, "rm");
	ann_print_result(cli, "deleted", r->delete_annotation->annotation);
	rpc_reply_free(r);
	rpc_reply_free(got);
	return 0;
}

/* ------------------------------------------------------------ annotations */

static const struct cli_verb annotations_verb = { "annotations",
	"usage: gloss annotations [ARTICLE] [--kind KIND] [--label LABEL] "
	"[options]\n"
	"\n"
	"Lists annotations in id order: id, kind, label (entity label, "
	"verdict,\n"
	"MQM category/severity, or note), the spans' character offsets, who\n"
	"made it, and the quoted text.  Without ARTICLE, of every article.\n"
	"\n"
	"  --kind KIND        entity, fact-correction, translation-note or "
	"note\n"
	"  --label LABEL      entity label, verdict or MQM category\n"
	"  --kb QID           only entities with this Wikidata id\n"
	"  --author NAME      only those NAME created\n"
	"  --group ID         only this translation group\n"
	"  --deleted          deleted ones too\n"
	"  --json             one JSON object per line\n"
	"  --socket URL, --timeout MS\n" };

struct annotations_widths {
	int article, id, kind, label, chars, author;
};

static void
annotations_widths(struct annotations_widths *w, const struct ann_list *l)
{
	char buf[512], id[24];
	int n;

	*w = (struct annotations_widths){ 7, 2, 4, 5, 5, 6 };
	for (size_t i = 0; i < l->n; i++) {
		const Gloss__V1__Annotation *a = l->items[i];
		n = cli_width(a->article_id);
		w->article = n > w->article ? n : w->article;
		n = snprintf(id, sizeof(id), "%" PRIu64, a->id);
		w->id = n > w->id ? n : w->id;
		n = cli_width(ann_kind_name(a->kind));
		w->kind = n > w->kind ? n : w->kind;
		n = cli_width(ann_label(a, buf, sizeof(buf)));
		w->label = n > w->label ? n : w->label;
		n = cli_width(ann_chars(a, buf, sizeof(buf)));
		w->chars = n > w->chars ? n : w->chars;
		n = cli_width(a->created_by);
		w->author = n > w->author ? n : w->author;
	}
}

static void
annotations_row(const struct annotations_widths *w,
    const Gloss__V1__Annotation *a, bool article)
{
	char buf[512], id[24];

	if (article)
		cli_pad(a->article_id, w->article);
	snprintf(id, sizeof(id), "%" PRIu64, a->id);
	cli_pad(id, w->id);
	cli_pad(ann_kind_name(a->kind), w->kind);
	cli_pad(ann_label(a, buf, sizeof(buf)), w->label);
	cli_pad(ann_chars(a, buf, sizeof(buf)), w->chars);
	cli_pad(a->created_by, w->author);
	ann_put_quotes(stdout, a, ANN_QUOTE_CHARS);
	if (a->state == GLOSS__V1__STATE__STATE_DELETED)
		printf(" (deleted by %s)", a->updated_by);
	putchar('\n');
}

static void
annotations_print(const struct ann_list *l, bool article)
{
	struct annotations_widths w;

	annotations_widths(&w, l);
	if (article)
		cli_pad("ARTICLE", w.article);
	cli_pad("ID", w.id);
	cli_pad("KIND", w.kind);
	cli_pad("LABEL", w.label);
	cli_pad("CHARS", w.chars);
	cli_pad("AUTHOR", w.author);
	printf("QUOTE\n");
	for (size_t i = 0; i < l->n; i++)
		annotations_row(&w, l->items[i], article);
}

static void
annotations_option(const struct cli_verb *v,
    Gloss__V1__ListAnnotationsRequest *l, int ch, char *arg)
{
	if (ch == OPT_KIND)
		l->kind = ann_kind(v, arg);
	else if (ch == OPT_LABEL)
		l->label = arg;
	else if (ch == OPT_KB_FILTER)
		l->kb_id = arg;
	else if (ch == OPT_AUTHOR)
		l->author = arg;
	else if (ch == OPT_GROUP)
		l->group = arg;
	else if (ch == OPT_DELETED)
		l->show_deleted = true;
}

int
cmd_annotations(struct cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = { CLI_COMMON_OPTIONS,
		{ "kind", required_argument, NULL, OPT_KIND },
		{ "label", required_argument, NULL, OPT_LABEL },
		{ "kb", required_argument, NULL, OPT_KB_FILTER },
		{ "author", required_argument, NULL, OPT_AUTHOR },
		{ "group", required_argument, NULL, OPT_GROUP },
		{ "deleted", no_argument, NULL, OPT_DELETED },
		{ NULL, 0, NULL, 0 } };
	Gloss__V1__Request q = GLOSS__V1__REQUEST__INIT;
	Gloss__V1__ListAnnotationsRequest l =
	    GLOSS__V1__LIST_ANNOTATIONS_REQUEST__INIT;
	struct ann_list list;
	int ch;

	while ((ch = cli_getopt(cli, &annotations_verb, argc, argv, "h",
	            longopts)) != -1)
		annotations_option(&annotations_verb, &l, ch, optarg);
	if (argc - optind > 1)
		cli_usage_die(&annotations_verb, "name at most one ARTICLE");
	if (argc - optind == 1)
		l.article_id = argv[optind];
	q.body_case = GLOSS__V1__REQUEST__BODY_LIST_ANNOTATIONS;
	q.list_annotations = &l;
	ann_list_fetch(cli, &q, &list);
	if (cli->json)
		for (size_t i = 0; i < list.n; i++)
			cli_print_json(&list.items[i]->base);
	else
		annotations_print(&list, l.article_id[0] == '\0');
	ann_list_free(&list);
	return 0;
}

/* ------------------------------------------------------------ history */

static const struct cli_verb history_verb = { "history",
	"usage: gloss history ID [--json]\n"
	"\n"
	"Every revision of annotation ID, oldest first: revision, time (UTC),\n"
	"who made it, its state, and what it said.\n"
	"\n"
	"  --json             one revision as JSON per line\n"
	"  --socket URL, --timeout MS\n" };

static void
history_print(const struct cli *cli, const Gloss__V1__Annotation *a,
    int author_width)
{
	char when[32];

	if (cli->json) {
		cli_print_json(&a->base);
		return;
	}
	printf("%" PRIu64 "  %s  ", a->revision,
	    ann_time(a->update_time_ms, when));
	cli_pad(a->updated_by, author_width);
	printf("%-7s  ",
	    a->state == GLOSS__V1__STATE__STATE_DELETED ? "deleted" : "active");
	ann_put_summary(stdout, a);
	putchar('\n');
}

int
cmd_history(struct cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = { CLI_COMMON_OPTIONS,
		{ NULL, 0, NULL, 0 } };
	Gloss__V1__Request q = GLOSS__V1__REQUEST__INIT;
	Gloss__V1__GetAnnotationHistoryRequest h =
	    GLOSS__V1__GET_ANNOTATION_HISTORY_REQUEST__INIT;
	Gloss__V1__GetAnnotationHistoryResponse *res;
	Gloss__V1__Reply *r, *prev = NULL;
	int w = 0, n; /* the authors' column, as wide as a page needs */

	while (cli_getopt(cli, &history_verb, argc, argv, "h", longopts) != -1)
		;
	if (argc - optind != 1)
		cli_usage_die(&history_verb, "name one annotation ID");
	h.id = ann_id(&history_verb, argv[optind]);
	h.page_size = ANN_PAGE_SIZE;
	q.body_case = GLOSS__V1__REQUEST__BODY_GET_ANNOTATION_HISTORY;
	q.get_annotation_history = &h;
	do { /* the page token lives in the previous reply */
		q.request_id = (char *)"";
		r = cli_call(cli, &q);
		if (prev != NULL)
			rpc_reply_free(prev);
		if ((prev = r) == NULL)
			return 1;
		res = r->get_annotation_history;
		for (size_t i = 0; i < res->n_revisions; i++)
			if ((n = cli_width(res->revisions[i]->updated_by)) > w)
				w = n;
		for (size_t i = 0; i < res->n_revisions; i++)
			history_print(cli, res->revisions[i], w);
		h.page_token = res->next_page_token;
	} while (h.page_token[0] != '\0');
	rpc_reply_free(r);
	return 0;
}

/* ------------------------------------------------------------ find */

static const struct cli_verb find_verb = { "find",
	"usage: gloss find ARTICLE TEXT [options]\n"
	"       gloss find --group ID TEXT [options]\n"
	"       gloss find --all TEXT [options]\n"
	"\n"
	"Finds every occurrence of TEXT: its number (what --nth takes), its\n"
	"character offsets and its context, …before[TEXT]after….  Only whole\n"
	"characters match: \"e\" does not find the e of \"é\" written e + "
	"U+0301.\n"
	"\n"
	"  --group ID         in every article of a translation group\n"
	"  --all              in every article\n"
	"  --prefix TEXT      only where TEXT comes right after this\n"
	"  --suffix TEXT      only where TEXT comes right before this\n"
	"  -i, --ignore-case  Unicode case folding (\"STRASSE\" finds "
	"\"Straße\")\n"
	"  --json             one match as JSON per line\n"
	"  --socket URL, --timeout MS\n" };

/* …prefix[exact]suffix…, with "…" only where the text goes on. */
static void
find_context(const Gloss__V1__Span *s)
{
	if (cli_width(s->prefix) >= ANN_CONTEXT)
		fputs("…", stdout);
	ann_put_text(stdout, s->prefix, 0);
	putchar('[');
	ann_put_text(stdout, s->exact, 0);
	putchar(']');
	ann_put_text(stdout, s->suffix, 0);
	if (cli_width(s->suffix) >= ANN_CONTEXT)
		fputs("…", stdout);
}

static void
find_print(const struct cli *cli, const Gloss__V1__TextMatch *m, bool article)
{
	char chars[64];

	if (cli->json) {
		cli_print_json(&m->base);
		return;
	}
	if (article)
		printf("%s  ", m->article_id);
	snprintf(chars, sizeof(chars), "%" PRIu32 "-%" PRIu32,
	    m->span->char_start, m->span->char_end);
	printf("%3" PRIu32 "  chars %-11s  ", m->nth, chars);
	find_context(m->span);
	putchar('\n');
}

/* Prints every match of s's request, all pages; returns how many. */
static size_t
find_all(struct cli *cli, Gloss__V1__SearchTextRequest *s, bool article)
{
	Gloss__V1__Request q = GLOSS__V1__REQUEST__INIT;
	Gloss__V1__Reply *r, *prev = NULL;
	size_t found = 0;

	s->page_size = ANN_PAGE_SIZE;
	q.body_case = GLOSS__V1__REQUEST__BODY_SEARCH_TEXT;
	q.search_text = s;
	do { /* the page token lives in the previous reply */
		q.request_id = (char *)"";
		r = cli_call_or_die(cli, &q);
		if (prev != NULL)
			rpc_reply_free(prev);
		prev = r;
		for (size_t i = 0; i < r->search_text->n_matches; i++)
			find_print(cli, r->search_text->matches[i], article);
		found += r->search_text->n_matches;
		s->page_token = r->search_text->next_page_token;
	} while (s->page_token[0] != '\0');
	rpc_reply_free(r);
	return found;
}

int
cmd_find(struct cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = { CLI_COMMON_OPTIONS,
		{ "group", required_argument, NULL, OPT_GROUP },
		{ "all", no_argument, NULL, OPT_ALL },
		{ "prefix", required_argument, NULL, OPT_PREFIX },
		{ "suffix", required_argument, NULL, OPT_SUFFIX },
		{ "ignore-case", no_argument, NULL, 'i' },
		{ NULL, 0, NULL, 0 } };
	Gloss__V1__SearchTextRequest s = GLOSS__V1__SEARCH_TEXT_REQUEST__INIT;
	bool all = false;
	int ch;

	while ((ch = cli_getopt(cli, &find_verb, argc, argv, "ih", longopts)) !=
	       -1) {
		if (ch == OPT_GROUP)
			s.group = optarg;
		else if (ch == OPT_ALL)
			all = true;
		else if (ch == OPT_PREFIX)
			s.prefix = optarg;
		else if (ch == OPT_SUFFIX)
			s.suffix = optarg;
		else if (ch == 'i')
			s.fold_case = true;
	}
	if (all && s.group[0] != '\0')
		cli_usage_die(&find_verb, "give --group or --all, not both");
	if (argc - optind != (all || s.group[0] != '\0' ? 1 : 2))
		cli_usage_die(&find_verb, "give ARTICLE TEXT, --group ID TEXT "
		                          "or --all TEXT");
	if (argc - optind == 2)
		s.article_id = argv[optind++];
	s.text = argv[optind];
	if (find_all(cli, &s, s.article_id[0] == '\0') == 0 && !cli->json)
		fprintf(stderr, "gloss find: no occurrence of '%s'\n", s.text);
	return 0;
}

/* ------------------------------------------------------------ show */

/* Where a span of annotation `ann` opens or closes. */
struct show_mark {
	uint32_t at;    /* byte offset */
	uint32_t other; /* the span's other end */
	bool open;
	size_t ann; /* index in the list, which is in id order */
};

#define SHOW_RESET "\033[0m"
#define SHOW_DIM   "\033[2m"

/* A colour per kind, underlined so that spans show without colour too. */
static const char *const show_colours[] = {
	[GLOSS__V1__KIND__KIND_UNSPECIFIED] = "\033[4m",
	[GLOSS__V1__KIND__KIND_ENTITY] = "\033[4;36m",
	[GLOSS__V1__KIND__KIND_FACT_CORRECTION] = "\033[4;31m",
	[GLOSS__V1__KIND__KIND_TRANSLATION_NOTE] = "\033[4;33m",
	[GLOSS__V1__KIND__KIND_NOTE] = "\033[4;32m",
};

static const char *
show_colour(Gloss__V1__Kind k)
{
	return (size_t)k < NITEMS(show_colours) ? show_colours[k] : "\033[4m";
}

/*
 * Text order; at one offset, spans that end close before spans that start
 * open.  Nested spans nest: of those opening together the longer opens
 * first, of those closing together the shorter closes first; equal spans
 * open in id order and close in reverse.  (other is the far end: the end
 * of an opening span, the start of a closing one.)
 */
static int
show_mark_cmp(const void *x, const void *y)
{
	const struct show_mark *a = x, *b = y;

	if (a->at != b->at)
		return a->at < b->at ? -1 : 1;
	if (a->open != b->open)
		return a->open ? 1 : -1;
	if (a->other != b->other)
		return a->other > b->other ? -1 : 1;
	if (a->ann != b->ann)
		return (a->ann < b->ann) == a->open ? -1 : 1;
	return 0;
}

/* The marks of every span, sorted; *n gets their number. */
static struct show_mark *
show_marks(const struct ann_list *l, size_t *n)
{
	struct show_mark *m;
	size_t k = 0;

	for (size_t i = 0; i < l->n; i++)
		k += 2 * l->items[i]->n_spans;
	if ((m = calloc(k + 1, sizeof(*m))) == NULL)
		cli_die("out of memory");
	k = 0;
	for (size_t i = 0; i < l->n; i++) {
		for (size_t j = 0; j < l->items[i]->n_spans; j++) {
			const Gloss__V1__Span *s = l->items[i]->spans[j];
			m[k++] = (struct show_mark){ s->byte_start, s->byte_end,
				true, i };
			m[k++] = (struct show_mark){ s->byte_end, s->byte_start,
				false, i };
		}
	}
	qsort(m, k, sizeof(*m), show_mark_cmp);
	*n = k;
	return m;
}

/*
 * One mark.  open[] holds the spans open, innermost last.  Piped: "[" and
 * "]{LABEL}"; a span that closes while spans opened inside it are still
 * open (spans that cross) closes those first and reopens them after, so
 * that every bracket pair is one span's text: [Jensen [Huang]{NOTE}]{PERSON}
 * [ NPR]{NOTE}.  On a terminal the span is in its kind's colour and
 * "{LABEL}" dim; closing one restores the colour of the innermost still
 * open.
 */
static void
show_mark(const struct cli *cli, const struct ann_list *l,
    const struct show_mark *m, size_t *open, size_t *depth)
{
	const Gloss__V1__Annotation *a = l->items[m->ann];
	char label[256];
	size_t k, j;

	if (m->open) {
		open[(*depth)++] = m->ann;
		fputs(cli->tty ? show_colour(a->kind) : "[", stdout);
		return;
	}
	for (k = *depth; k > 0 && open[k - 1] != m->ann; k--)
		;
	if (k-- == 0)
		return; /* not open: cannot happen with sorted marks */
	for (j = *depth - 1; !cli->tty && j > k; j--)
		printf("]{%s}",
		    ann_label(l->items[open[j]], label, sizeof(label)));
	if (cli->tty)
		printf(SHOW_RESET SHOW_DIM "{%s}" SHOW_RESET,
		    ann_label(a, label, sizeof(label)));
	else
		printf("]{%s}", ann_label(a, label, sizeof(label)));
	memmove(open + k, open + k + 1, (--*depth - k) * sizeof(*open));
	for (j = k; !cli->tty && j < *depth; j++)
		putchar('[');
	if (cli->tty && *depth > 0)
		fputs(show_colour(l->items[open[*depth - 1]]->kind), stdout);
}

static void
show_text(const struct cli *cli, const char *text, const struct ann_list *l)
{
	size_t len = strlen(text), pos = 0, n, depth = 0, *open;
	struct show_mark *m = show_marks(l, &n);

	if ((open = calloc(n + 1, sizeof(*open))) == NULL)
		cli_die("out of memory");
	for (size_t i = 0; i < n; i++) {
		size_t at = m[i].at < len ? m[i].at : len;
		if (at > pos) {
			fwrite(text + pos, 1, at - pos, stdout);
			pos = at;
		}
		show_mark(cli, l, &m[i], open, &depth);
	}
	fwrite(text + pos, 1, len - pos, stdout);
	if (len == 0 || text[len - 1] != '\n')
		putchar('\n');
	free(open);
	free(m);
}

bool
cmd_show_annotated(struct cli *cli, const Gloss__V1__Article *art)
{
	Gloss__V1__Request q = GLOSS__V1__REQUEST__INIT;
	Gloss__V1__ListAnnotationsRequest l =
	    GLOSS__V1__LIST_ANNOTATIONS_REQUEST__INIT;
	struct ann_list list;

	l.article_id = art->id;
	q.body_case = GLOSS__V1__REQUEST__BODY_LIST_ANNOTATIONS;
	q.list_annotations = &l;
	ann_list_fetch(cli, &q, &list);
	if (list.n == 0) {
		ann_list_free(&list);
		return false;
	}
	show_text(cli, art->text, &list);
	putchar('\n');
	for (size_t i = 0; i < list.n; i++) {
		printf("%" PRIu64 "  ", list.items[i]->id);
		ann_put_summary(stdout, list.items[i]);
		putchar('\n');
	}
	ann_list_free(&list);
	return true;
}
