/*
 * ann: what the annotator's verbs share (cmd_write.c, cmd_read.c,
 * cmd_show.c): their option codes and help, the structures their flags fill,
 * and the helpers of ann_text.c, ann_args.c and ann_call.c.  Private to
 * those files.
 */
#ifndef GLOSS_ANN_H
#define GLOSS_ANN_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

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
 * one table (cmd_write.c's ann_flags) says which kind of annotation each
 * belongs to.
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
	OPT_LOOSE,
	OPT_IF_REVISION,
	OPT_REV_TO,
};

#define NBODY (OPT_BODY_END - OPT_LABEL)

/* The long options that point at text, which every writing verb takes. */
#define ANN_SPAN_OPTIONS                                       \
	{ "quote", required_argument, NULL, OPT_QUOTE },       \
	    { "nth", required_argument, NULL, OPT_NTH },       \
	    { "prefix", required_argument, NULL, OPT_PREFIX }, \
	    { "suffix", required_argument, NULL, OPT_SUFFIX }, \
	    { "span", required_argument, NULL, OPT_SPAN },     \
	    { "loose", no_argument, NULL, OPT_LOOSE },         \
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
	"  --loose            match every quote loosely: also across "         \
	"case,\n"                                                              \
	"                     accents, Arabic diacritics and hamza forms,\n"   \
	"                     apostrophe, quote and dash shapes, spacing\n"    \
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
	bool loose; /* --loose: for every quote of the command */
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
	uint64_t if_revision; /* --if-revision N; 0: not given */
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

/* ann_text.c */
/* Writes s on one line; with max > 0 only its first max characters, then
 * "…".  A cut falls between characters, never inside a UTF-8 sequence nor
 * between a letter and its marks or an emoji and its modifiers. */
void ann_put_text(FILE *f, const char *s, size_t max);

const char *ann_kind_name(Gloss__V1__Kind k);

/* --kind's value; the short forms are those of `gloss export --kind`. */
Gloss__V1__Kind ann_kind(const struct cli_verb *v, const char *name);

/* What a listing calls the annotation: the entity label, the verdict, the
 * MQM category/severity, or "note". */
const char *ann_label(const Gloss__V1__Annotation *a, char *buf, size_t size);

/* The spans' code point offsets: "12-24" or, discontinuous, "3-8,12-24". */
const char *ann_chars(const Gloss__V1__Annotation *a, char *buf, size_t size);

/* ISO 8601 in UTC, to the second. */
const char *ann_time(int64_t ms, char buf[32]);

/* The quoted text of every span, each shortened to max characters (0: not
 * at all); a discontinuous annotation's joined by " … ". */
void ann_put_quotes(FILE *f, const Gloss__V1__Annotation *a, size_t max);

/* "entity PERSON chars 0-12 "Jensen Huang" Q305177" (a note has no label):
 * one annotation on one line, without the newline. */
void ann_put_summary(FILE *f, const Gloss__V1__Annotation *a);

/* A written annotation: as JSON, or "created annotation 7: ...". */
void ann_print_result(const struct cli *cli, const char *done,
    const Gloss__V1__Annotation *a);

/* ann_hint.c */
/* A candidate of a missed quote on f: its place and context, how it
 * differs, and the command (`gloss VERB TARGET --quote ...`) to use it. */
void ann_put_candidate(FILE *f, const Gloss__V1__TextMatch *m, const char *verb,
    const char *target);

/* Makes a refused quote of `gloss VERB TARGET` print its candidates. */
void ann_hint_on(struct cli *cli, const char *verb, const char *target);

/* ann_args.c */
/* An annotation id: a positive decimal number, or a usage error. */
uint64_t ann_id(const struct cli_verb *v, const char *arg);

/* A revision number (1 or more) given to flag `flag`; dies if it is not. */
uint64_t ann_revision(const struct cli_verb *v, const char *flag,
    const char *arg);

/*
 * For --if-revision `want` (0: none): exits ABORTED, saying who changed
 * annotation a and when, unless a is revision `want`.  The write then
 * carries a's etag, so a change after this read is refused by glossd.
 */
void ann_if_revision(const Gloss__V1__Annotation *a, uint64_t want,
    const char *verb);

/* Body option code's bit in ann_opts.given. */
unsigned ann_bit(int code);

/* The value of body option code, or dflt if it was not given. */
char *ann_val(const struct ann_opts *o, int code, char *dflt);

/* Parses a writing verb's flags into o; the operands are left at optind. */
void ann_parse(struct cli *cli, const struct cli_verb *v, int argc, char **argv,
    const struct option *longopts, struct ann_opts *o);

/* A usage error unless body option code was given (what: what it is). */
void ann_need(const struct cli_verb *v, const struct ann_opts *o, int code,
    const char *what);

/* The one operand, ARTICLE, and the spans in it, into a. */
void ann_target(const struct cli_verb *v, struct ann_opts *o, int argc,
    char **argv, Gloss__V1__Annotation *a);

/* Sets a's body of the given kind from o and, editing, cur. */
void ann_set_body(struct ann_opts *o, Gloss__V1__Kind kind,
    const Gloss__V1__Annotation *cur, Gloss__V1__Annotation *a,
    struct ann_body *b);

/* ann_call.c */
/* Annotation id as it stands now (GetAnnotation), or NULL as cli_call(). */
Gloss__V1__Reply *ann_get(struct cli *cli, uint64_t id);

/* Sends a write of annotation id; exits if glossd refuses it. */
Gloss__V1__Reply *ann_write(struct cli *cli, Gloss__V1__Request *q, uint64_t id,
    const char *verb);

/* Creates a and prints it; the verb's exit status (1 if refused). */
int ann_create(struct cli *cli, Gloss__V1__Annotation *a);

/* Every annotation that q (a ListAnnotations request) lists, all pages. */
void ann_list_fetch(struct cli *cli, Gloss__V1__Request *q, struct ann_list *l);

/* Frees the pages l holds (and so its annotations). */
void ann_list_free(struct ann_list *l);

#endif
