/*
 * cmd_show: the annotated text of `gloss show`: the article with each
 * active annotation marked in place and a legend.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ann.h"

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
