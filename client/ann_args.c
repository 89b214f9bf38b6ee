/*
 * ann_args: the annotator's flags into a request's parts: ids, units,
 * the selectors that --quote and --span make, each kind's body.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ann.h"

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
uint64_t
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

uint64_t
ann_revision(const struct cli_verb *v, const char *flag, const char *arg)
{
	unsigned long long n;
	char *end;

	errno = 0;
	n = strtoull(arg, &end, 10);
	if (errno != 0 || *end != '\0' || arg[0] < '0' || arg[0] > '9' ||
	    n == 0)
		cli_usage_die(v,
		    "%s takes a revision number such as 2 (gloss history ID "
		    "lists them), not '%s'",
		    flag, arg);
	return (uint64_t)n;
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
	else if (ch == OPT_LOOSE)
		s->loose = true;
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
		if (s->sel[i].selector_case ==
		    GLOSS__V1__SPAN_SELECTOR__SELECTOR_QUOTE)
			s->sel[i].quote->loose = s->loose;
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

unsigned
ann_bit(int code)
{
	return 1u << (code - OPT_LABEL);
}

/* The value of body option code, or dflt if it was not given. */
char *
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
void
ann_parse(struct cli *cli, const struct cli_verb *v, int argc, char **argv,
    const struct option *longopts, struct ann_opts *o)
{
	int ch;

	memset(o, 0, sizeof(*o));
	gloss__v1__quote__init(&o->sel.pending);
	o->sel.unit = GLOSS__V1__UNIT__UNIT_CHARS;
	while ((ch = cli_getopt(cli, v, argc, argv, "h", longopts)) != -1)
		if (ch == OPT_IF_REVISION)
			o->if_revision =
			    ann_revision(v, "--if-revision", optarg);
		else if (!ann_span_option(v, &o->sel, ch, optarg))
			ann_body_option(v, o, ch, optarg);
	ann_sel_finish(v, &o->sel);
	for (size_t i = 0; i < o->n_ev; i++) /* --loose: every quote */
		o->ev_quote[i].loose = o->sel.loose;
	ann_hint_on(cli, v->name, optind < argc ? argv[optind] : NULL);
	if ((o->given & ann_bit(OPT_SOURCE_NTH)) &&
	    ann_val(o, OPT_SOURCE_QUOTE, NULL) == NULL)
		cli_usage_die(v, "--source-nth goes with --source-quote");
}

void
ann_need(const struct cli_verb *v, const struct ann_opts *o, int code,
    const char *what)
{
	if (ann_val(o, code, NULL) == NULL)
		cli_usage_die(v, "give %s", what);
}

/* The one operand, ARTICLE, and the spans in it, into a. */
void
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
	o->source_quote.loose = o->sel.loose;
	gloss__v1__span_selector__init(&o->source_sel);
	o->source_sel.selector_case = GLOSS__V1__SPAN_SELECTOR__SELECTOR_QUOTE;
	o->source_sel.quote = &o->source_quote;
	t->source_select = &o->source_sel;
	t->source_span = NULL; /* the new source_select replaces it */
}

/* Sets a's body of the given kind from o and, editing, cur. */
void
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
