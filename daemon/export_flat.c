/*
 * export_flat: the entities of one article as the flat formats (conll,
 * spacy) carry them: one span each, none overlapping, in text order.  Each
 * annotation is boiled down to 24 bytes as it is read, so an article's
 * records are never held at once; what cannot be carried is listed as a
 * loss.  Pure: reads the records it is given, never the store.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "export.h"
#include "text.h"

#define FLAT_QUOTE_MAX 80 /* bytes of an annotation's text a loss quotes */

void
export_flat_open(struct export_ctx *x)
{
	struct export_flat *f = call_alloc(x->call, sizeof(*f));

	if (f == NULL) {
		x->out->oom = x->out->full = true;
		return;
	}
	memset(f, 0, sizeof(*f));
	f->format = x->q->format;
	x->state = f;
}

void
export_flat_close(struct export_ctx *x)
{
	struct export_flat *f = x->state;

	if (f == NULL)
		return;
	for (size_t i = 0; i < f->n_labels; i++)
		free(f->labels[i]);
	free(f->labels);
	free(f->e);
	memset(f, 0, sizeof(*f));
}

/* The index of `label` in f->labels, added if new; -1 when out of memory.
 * An article uses a handful of labels: a linear search is the cheapest. */
static long
export_flat_intern(struct export_flat *f, const char *label)
{
	char **grown;

	for (size_t i = f->n_labels; i > 0; i--)
		if (strcmp(f->labels[i - 1], label) == 0)
			return (long)(i - 1);
	if (f->n_labels == f->max_labels) {
		f->max_labels = f->max_labels ? 2 * f->max_labels : 16;
		grown = realloc(f->labels, f->max_labels * sizeof(*grown));
		if (grown == NULL)
			return -1;
		f->labels = grown;
	}
	if ((f->labels[f->n_labels] = strdup(label)) == NULL)
		return -1;
	return (long)f->n_labels++;
}

static bool
export_flat_push(struct export_flat *f, const Gloss__V1__Annotation *a)
{
	struct export_flat_entity *grown;
	long label = export_flat_intern(f, a->entity->label);

	if (label < 0)
		return false;
	if (f->n == f->max) {
		f->max = f->max ? 2 * f->max : 64;
		if ((grown = realloc(f->e, f->max * sizeof(*grown))) == NULL)
			return false;
		f->e = grown;
	}
	f->e[f->n].id = a->id;
	f->e[f->n].start = a->spans[0]->byte_start;
	f->e[f->n].end = a->spans[0]->byte_end;
	f->e[f->n].label = (uint32_t)label;
	f->n++;
	return true;
}

static void
export_flat_add(struct export_ctx *x, struct export_flat *f,
    const Gloss__V1__Annotation *a)
{
	const char *exact;

	if (a->body_case != GLOSS__V1__ANNOTATION__BODY_ENTITY) {
		export_loss(x->out, a->article_id, a->id, "kind",
		    "%s carries entities only; this is %s", f->format,
		    export_kind_name(a->kind));
		return;
	}
	if (a->n_spans != 1) {
		exact = a->spans[0]->exact;
		export_loss(x->out, a->article_id, a->id, "discontinuous",
		    "%s has no discontinuous entities; %s '%.*s' has %zu "
		    "parts",
		    f->format, a->entity->label,
		    (int)text_clip(exact, strlen(exact), FLAT_QUOTE_MAX), exact,
		    a->n_spans);
		return;
	}
	if (!export_flat_push(f, a))
		x->out->oom = x->out->full = true;
}

static int
export_flat_cmp(const void *p, const void *q)
{
	const struct export_flat_entity *a = p, *b = q;

	if (a->start != b->start)
		return a->start < b->start ? -1 : 1;
	if (a->end != b->end) /* the longer first */
		return a->end > b->end ? -1 : 1;
	return a->id < b->id ? -1 : a->id > b->id;
}

void
export_flat_resolve(struct export_ctx *x, struct export_flat *f)
{
	const char *text = x->article->text;
	size_t kept = 0, byte = 0, chars = 0;

	if (f->n > 1)
		qsort(f->e, f->n, sizeof(*f->e), export_flat_cmp);
	for (size_t i = 0; i < f->n; i++) {
		const struct export_flat_entity *e = &f->e[i], *k;
		if (kept == 0 || e->start >= f->e[kept - 1].end) {
			f->e[kept++] = *e;
			continue;
		}
		/* Starts only grow: code points are counted onwards. */
		chars +=
		    export_chars(text + byte, e->start - byte, e->start - byte);
		byte = e->start;
		k = &f->e[kept - 1];
		export_loss(x->out, x->article->id, e->id, "overlap",
		    "%s has no overlapping entities; %s at chars %zu-%zu "
		    "overlaps annotation %" PRIu64 " (%s), which was kept",
		    f->format, export_flat_label(f, e), chars,
		    chars + export_chars(text + e->start, e->end - e->start,
		                e->end - e->start),
		    k->id, export_flat_label(f, k));
	}
	f->n = kept;
}

void
export_flat_gather(struct export_ctx *x, const Gloss__V1__Annotation *a)
{
	if (x->state != NULL)
		export_flat_add(x, x->state, a);
}
