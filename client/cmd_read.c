/*
 * cmd_read: the verbs that read annotations: annotations, history, find.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ann.h"
#include "json.h"

/* ------------------------------------------------------------ annotations */

static const struct cli_verb annotations_verb = { "annotations",
	"usage: gloss annotations [ARTICLE] [--kind KIND] [--label LABEL] "
	"[options]\n"
	"\n"
	"Lists annotations in id order: id, revision (for --if-revision), "
	"kind,\n"
	"label (entity label, verdict, MQM category/severity, or note), the\n"
	"spans' character offsets, who made it, and the quoted text.  Without "
	"ARTICLE, of every article.\n"
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
	int article, id, rev, kind, label, chars, author;
};

static void
annotations_widths(struct annotations_widths *w, const struct ann_list *l)
{
	char buf[512], id[24];
	int n;

	*w = (struct annotations_widths){ 7, 2, 3, 4, 5, 5, 6 };
	for (size_t i = 0; i < l->n; i++) {
		const Gloss__V1__Annotation *a = l->items[i];
		n = cli_width(a->article_id);
		w->article = n > w->article ? n : w->article;
		n = snprintf(id, sizeof(id), "%" PRIu64, a->id);
		w->id = n > w->id ? n : w->id;
		n = snprintf(id, sizeof(id), "%" PRIu64, a->revision);
		w->rev = n > w->rev ? n : w->rev;
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
	snprintf(id, sizeof(id), "%" PRIu64, a->revision);
	cli_pad(id, w->rev);
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
	cli_pad("REV", w.rev);
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
	"U+0301,\nbut \"é\" finds it.\n"
	"\n"
	"  --group ID         in every article of a translation group\n"
	"  --all              in every article\n"
	"  --prefix TEXT      only where TEXT comes right after this\n"
	"  --suffix TEXT      only where TEXT comes right before this\n"
	"  -i, --ignore-case  Unicode case folding (\"STRASSE\" finds "
	"\"Straße\")\n"
	"  --loose            also across case, accents, Arabic diacritics "
	"and\n"
	"                     hamza forms, apostrophe, quote and dash shapes,\n"
	"                     spacing (text written e + U+0301 always matches\n"
	"                     é)\n"
	"When TEXT does not occur, prints where the text nearly has it, with\n"
	"how it differs and the command that tags it.\n"
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

static bool find_had_candidates; /* find_near() printed some */

/* No match: where the text nearly has it (on stderr; under --json, each
 * candidate as a line {"candidate": TextMatch} on stdout). */
static void
find_near(const struct cli *cli, const Gloss__V1__SearchTextResponse *r,
    const char *text)
{
	if (r->n_matches > 0 || r->n_candidates == 0)
		return;
	find_had_candidates = true;
	if (!cli->json)
		fprintf(stderr,
		    "gloss find: no occurrence of '%s'; the text "
		    "has%s:\n",
		    text, r->n_candidates > 1 ? ", nearest first" : "");
	for (size_t i = 0; i < r->n_candidates; i++) {
		if (!cli->json) {
			ann_put_candidate(stderr, r->candidates[i], "tag",
			    r->candidates[i]->article_id);
			continue;
		}
		fputs("{\"candidate\":", stdout);
		json_fprint(stdout, &r->candidates[i]->base, JSON_ESCAPE_LS);
		fputs("}\n", stdout);
	}
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
		find_near(cli, r->search_text, s->text);
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
		{ "loose", no_argument, NULL, OPT_LOOSE },
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
		else if (ch == OPT_LOOSE)
			s.loose = true;
	}
	if (all && s.group[0] != '\0')
		cli_usage_die(&find_verb, "give --group or --all, not both");
	if (argc - optind != (all || s.group[0] != '\0' ? 1 : 2))
		cli_usage_die(&find_verb, "give ARTICLE TEXT, --group ID TEXT "
		                          "or --all TEXT");
	if (argc - optind == 2)
		s.article_id = argv[optind++];
	s.text = argv[optind];
	if (find_all(cli, &s, s.article_id[0] == '\0') == 0 && !cli->json &&
	    !find_had_candidates)
		fprintf(stderr, "gloss find: no occurrence of '%s'\n", s.text);
	return 0;
}
