/*
 * ann_call: the calls the annotator's verbs share: read one annotation,
 * write with its etag, list every page.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ann.h"

/* ------------------------------------------------------------ calls */

Gloss__V1__Reply *
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

void
ann_if_revision(const Gloss__V1__Annotation *a, uint64_t want, const char *verb)
{
	char when[32];

	if (want == 0 || a->revision == want)
		return;
	cli_die_as(GLOSS__V1__CODE__ABORTED,
	    "annotation %" PRIu64 " is revision %" PRIu64 " (%s by %s at %s),"
	    " not revision %" PRIu64 " as --if-revision says; nothing was "
	    "changed: see what changed with `gloss history %" PRIu64
	    "`, then run `gloss %s` again",
	    a->id, a->revision,
	    a->state == GLOSS__V1__STATE__STATE_DELETED ? "deleted" : "changed",
	    a->updated_by, ann_time(a->update_time_ms, when), want, a->id,
	    verb);
}

/* Sends a write of annotation id; exits if glossd refuses it. */
Gloss__V1__Reply *
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

int
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
void
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

void
ann_list_free(struct ann_list *l)
{
	for (size_t i = 0; i < l->n_pages; i++)
		rpc_reply_free(l->pages[i]);
	free(l->pages);
	free(l->items);
}
