/*
 * ann_hint: what the CLI says when a quote is not in the text: glossd's
 * candidates (Status.quote.candidates, SearchTextResponse.candidates),
 * each with its place, its context, how it differs, and the command that
 * would use it.
 */
#include <inttypes.h>
#include <string.h>

#include "ann.h"

static const char *ann_hint_verb = "tag";
static const char *ann_hint_target = "ARTICLE";

/* Writes s as one word of a POSIX shell: in single quotes, each ' as
 * '\'' (so that the command can be pasted as it is). */
static void
ann_shell_word(FILE *f, const char *s)
{
	fputc('\'', f);
	for (; *s != '\0'; s++)
		if (*s == '\'')
			fputs("'\\''", f);
		else
			fputc(*s, f);
	fputc('\'', f);
}

/* "differs in hamza, diacritics" */
static void
ann_put_differences(FILE *f, const Gloss__V1__TextMatch *m)
{
	if (m->n_differences == 0)
		return;
	fputs("  (differs in ", f);
	for (size_t i = 0; i < m->n_differences; i++)
		fprintf(f, "%s%s", i > 0 ? ", " : "", m->differences[i]);
	fputc(')', f);
}

void
ann_put_candidate(FILE *f, const Gloss__V1__TextMatch *m, const char *verb,
    const char *target)
{
	const Gloss__V1__Span *s = m->span;

	fprintf(f, "  chars %" PRIu32 "-%" PRIu32 "  …", s->char_start,
	    s->char_end);
	ann_put_text(f, s->prefix, 0);
	fputc('[', f);
	ann_put_text(f, s->exact, 0);
	fputc(']', f);
	ann_put_text(f, s->suffix, 0);
	fputs("…", f);
	ann_put_differences(f, m);
	fprintf(f, "\n    gloss %s %s --quote ", verb, target);
	ann_shell_word(f, s->exact);
	if (m->nth > 0)
		fprintf(f, " --nth %" PRIu32, m->nth);
	fputs(strcmp(verb, "tag") == 0 ? " --label ...\n" : " ...\n", f);
}

/* cli->on_refusal of the writing verbs. */
static void
ann_hint_refusal(const Gloss__V1__Status *st)
{
	const Gloss__V1__QuoteFailure *q = st->quote;

	if (q == NULL || q->n_candidates == 0)
		return;
	fprintf(stderr, "the text has%s:\n",
	    q->n_candidates > 1 ? ", nearest first" : "");
	for (size_t i = 0; i < q->n_candidates; i++)
		ann_put_candidate(stderr, q->candidates[i], ann_hint_verb,
		    ann_hint_target);
}

void
ann_hint_on(struct cli *cli, const char *verb, const char *target)
{
	ann_hint_verb = verb;
	ann_hint_target = target != NULL ? target : "ARTICLE";
	cli->on_refusal = ann_hint_refusal;
}
