/*
 * cmd_labels: the `labels` verb: the label sets glossd checks annotations
 * against, every page of them, and `labels add`.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

enum { OPT_DESCRIPTION = CLI_OPT_VERB };

static const struct cli_verb labels_verb = { "labels",
	"usage: gloss labels [SET] [--json]\n"
	"       gloss labels add SET NAME [--description TEXT]\n"
	"\n"
	"Lists the label sets (or one): entity (entity labels), verdict (of "
	"fact\n"
	"corrections), mqm_category and mqm_severity (of translation notes),\n"
	"every page of them.  `add` adds a label to a set (at most 1000 a "
	"set);\n"
	"adding one that exists changes nothing.\n"
	"\n"
	"  --description TEXT  what the new label means\n"
	"  --json              one label set as JSON per line\n"
	"  --socket URL, --timeout MS, --as NAME\n" };

static void
labels_print(const Gloss__V1__LabelSet *s)
{
	int w = 0, n;

	printf("%s\n", s->name);
	for (size_t i = 0; i < s->n_labels; i++)
		if ((n = cli_width(s->labels[i]->name)) > w)
			w = n;
	for (size_t i = 0; i < s->n_labels; i++) {
		printf("  ");
		cli_pad(s->labels[i]->name, w);
		printf("%s%s\n", s->labels[i]->description,
		    s->labels[i]->builtin ? "" : " (added)");
	}
}

static int
labels_add(struct cli *cli, char *set, char *name, char *description)
{
	Gloss__V1__Request q = GLOSS__V1__REQUEST__INIT;
	Gloss__V1__AddLabelRequest a = GLOSS__V1__ADD_LABEL_REQUEST__INIT;
	Gloss__V1__Label l = GLOSS__V1__LABEL__INIT;
	Gloss__V1__Reply *r;

	l.name = name;
	l.description = description != NULL ? description : (char *)"";
	a.set = set;
	a.label = &l;
	q.body_case = GLOSS__V1__REQUEST__BODY_ADD_LABEL;
	q.add_label = &a;
	if ((r = cli_call(cli, &q)) == NULL)
		return 1;
	if (cli->json)
		cli_print_json(&r->add_label->base);
	else
		printf("label set %s has %s\n", set, name);
	rpc_reply_free(r);
	return 0;
}

/* A set gathered from the pages it came in, to print whole. */
struct labels_set {
	const char *name;
	Gloss__V1__Label **labels;
	size_t n, max;
};

/* Adds a page's part of a set to the set it continues, or a new one. */
static void
labels_gather(struct labels_set *sets, size_t *n, const Gloss__V1__LabelSet *p)
{
	struct labels_set *s = *n > 0 ? &sets[*n - 1] : NULL;

	if (s == NULL || strcmp(s->name, p->name) != 0) {
		if (*n == 8)
			cli_die("glossd sent more label sets than there are");
		s = &sets[(*n)++];
		memset(s, 0, sizeof(*s));
		s->name = p->name;
	}
	if (s->n + p->n_labels > s->max) {
		s->max = s->n + p->n_labels + 64;
		s->labels = realloc(s->labels, s->max * sizeof(*s->labels));
		if (s->labels == NULL)
			cli_die("out of memory");
	}
	memcpy(s->labels + s->n, p->labels, p->n_labels * sizeof(*p->labels));
	s->n += p->n_labels;
}

/* One ListLabels page; NULL (with the error printed) if refused. */
static Gloss__V1__Reply *
labels_page(struct cli *cli, char *set, char *token)
{
	Gloss__V1__Request q = GLOSS__V1__REQUEST__INIT;
	Gloss__V1__ListLabelsRequest l = GLOSS__V1__LIST_LABELS_REQUEST__INIT;

	l.set = set;
	l.page_size = 1000;
	l.page_token = token;
	q.body_case = GLOSS__V1__REQUEST__BODY_LIST_LABELS;
	q.list_labels = &l;
	return cli_call(cli, &q);
}

static void
labels_show(const struct cli *cli, struct labels_set *sets, size_t n)
{
	Gloss__V1__LabelSet ls = GLOSS__V1__LABEL_SET__INIT;

	for (size_t i = 0; i < n; i++) {
		ls.name = (char *)(uintptr_t)sets[i].name;
		ls.labels = sets[i].labels;
		ls.n_labels = sets[i].n;
		if (cli->json)
			cli_print_json(&ls.base);
		else
			labels_print(&ls);
	}
}

/* Every page of the list, the sets printed whole once all are in. */
static int
labels_list(struct cli *cli, char *set)
{
	Gloss__V1__Reply *pages[64], *r;
	struct labels_set sets[8];
	size_t n_pages = 0, n_sets = 0;
	char *token = (char *)"";

	do {
		if ((r = labels_page(cli, set, token)) == NULL)
			return 1;
		if (n_pages == sizeof(pages) / sizeof(pages[0]))
			cli_die("glossd sent more label pages than sets hold");
		pages[n_pages++] = r;
		for (size_t i = 0; i < r->list_labels->n_sets; i++)
			labels_gather(sets, &n_sets, r->list_labels->sets[i]);
		token = r->list_labels->next_page_token;
	} while (token[0] != '\0');
	labels_show(cli, sets, n_sets);
	for (size_t i = 0; i < n_sets; i++)
		free(sets[i].labels);
	for (size_t i = 0; i < n_pages; i++)
		rpc_reply_free(pages[i]);
	return 0;
}

int
cmd_labels(struct cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = { CLI_COMMON_OPTIONS,
		{ "description", required_argument, NULL, OPT_DESCRIPTION },
		{ NULL, 0, NULL, 0 } };
	char *description = NULL;

	while (cli_getopt(cli, &labels_verb, argc, argv, "h", longopts) != -1)
		description = optarg;
	if (argc - optind == 3 && strcmp(argv[optind], "add") == 0)
		return labels_add(cli, argv[optind + 1], argv[optind + 2],
		    description);
	if (argc - optind > 1 || description != NULL)
		cli_usage_die(&labels_verb, "give [SET], or add SET NAME");
	return labels_list(cli, argc - optind == 1 ? argv[optind] : (char *)"");
}
