/* cmd_feed: the verbs for following and measuring the corpus: changes,
 * stats, group. */
#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

/* ------------------------------------------------------------ changes */

static const struct cli_verb changes_verb = { "changes",
	"usage: gloss changes [--since SEQ] [--limit N] [--follow] [--json]\n"
	"\n"
	"Prints the change feed from sequence SEQ on (default 0: from the\n"
	"start): one line per change, in commit order, without gaps.\n"
	"\n"
	"  -s, --since SEQ   print changes after SEQ\n"
	"  -n, --limit N     stop after N changes\n"
	"  -f, --follow      keep waiting for new changes (long polls); stop\n"
	"                    with Ctrl-C\n"
	"      --records     with --json: each change with its record\n"
	"      --json        one Change as JSON per line\n"
	"      --socket URL, --timeout MS\n" };

static const char *
changes_enum(const ProtobufCEnumDescriptor *d, int v, const char *strip)
{
	const ProtobufCEnumValue *e =
	    protobuf_c_enum_descriptor_get_value(d, v);
	const char *name = e != NULL ? e->name : "?";

	return strncmp(name, strip, strlen(strip)) == 0 ? name + strlen(strip)
	                                                : name;
}

static void
changes_print(const struct cli *cli, const Gloss__V1__Change *ch)
{
	char when[32];
	time_t t = (time_t)(ch->time_ms / 1000);
	struct tm tm;

	if (cli->json) {
		cli_print_json(&ch->base);
		return;
	}
	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	printf("%" PRIu64 "\t%s\t%s\t%s %s\t%s", ch->seq, when, ch->author,
	    changes_enum(&gloss__v1__subject__descriptor, ch->subject,
	        "SUBJECT_"),
	    changes_enum(&gloss__v1__operation__descriptor, ch->operation,
	        "OPERATION_"),
	    ch->article_id);
	if (ch->annotation_id != 0)
		printf(" annotation %" PRIu64, ch->annotation_id);
	printf(" rev %" PRIu64, ch->revision);
	/* An admin's write in another's name says so where it is read. */
	if (ch->acting_admin[0] != '\0')
		printf(" (written by admin %s)", ch->acting_admin);
	putchar('\n');
}

int
cmd_changes(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = { { "since", required_argument,
		                                  NULL, 's' },
		{ "limit", required_argument, NULL, 'n' },
		{ "follow", no_argument, NULL, 'f' },
		{ "records", no_argument, NULL, 'r' }, CLI_COMMON_OPTIONS,
		{ NULL, 0, NULL, 0 } };
	Gloss__V1__Request q = GLOSS__V1__REQUEST__INIT;
	Gloss__V1__ListChangesRequest l = GLOSS__V1__LIST_CHANGES_REQUEST__INIT;
	long limit = -1, printed = 0;
	bool follow = false;
	int ch;

	while ((ch = cli_getopt(cli, &changes_verb, argc, argv, "s:n:fh",
	            opts)) != -1) {
		if (ch == 's')
			l.since_seq = (uint64_t)cli_number("--since", optarg, 0,
			    INT64_MAX);
		else if (ch == 'n')
			limit = cli_number("--limit", optarg, 1, INT64_MAX);
		else if (ch == 'f')
			follow = true;
		else if (ch == 'r')
			l.include_records = true;
	}
	if (optind != argc)
		cli_usage_die(&changes_verb, "no operands expected");
	q.body_case = GLOSS__V1__REQUEST__BODY_LIST_CHANGES;
	q.list_changes = &l;
	/* A long poll waits 25 s at most, well inside the call's timeout. */
	l.wait_ms = follow ? 25000 : 0;
	if (follow && cli->timeout_ms < l.wait_ms + 5000)
		cli->timeout_ms = l.wait_ms + 5000;
	for (;;) {
		Gloss__V1__Reply *r = cli_call_or_die(cli, &q);
		Gloss__V1__ListChangesResponse *res = r->list_changes;
		for (size_t i = 0; i < res->n_changes && printed != limit;
		     i++) {
			changes_print(cli, res->changes[i]);
			l.since_seq = res->changes[i]->seq;
			printed++;
		}
		fflush(stdout);
		if (printed == limit || (res->n_changes == 0 && !follow)) {
			rpc_reply_free(r);
			return 0;
		}
		rpc_reply_free(r);
		q.request_id = (char *)"";
	}
}

/* ------------------------------------------------------------ stats */

static const struct cli_verb stats_verb = { "stats",
	"usage: gloss stats [--article ID | --group ID] [--json]\n"
	"\n"
	"Counts of articles and annotations by kind, label, author, language\n"
	"and state, and the MQM score of each translation with translation\n"
	"notes (WMT weights: minor 1, major 5, critical 10, minor punctuation\n"
	"0.1, non-translation 25; lower is better), also per 100 words.\n"
	"\n"
	"  -a, --article ID   one article\n"
	"  -g, --group ID     one translation group\n"
	"      --json, --socket URL, --timeout MS\n" };

/* A key as the other verbs say it: KIND_FACT_CORRECTION is
 * "fact-correction", STATE_DELETED "deleted" (--kind's words); other
 * keys (labels, authors, languages) as they are. */
static void
stats_print_key(const char *key)
{
	const char *p = strncmp(key, "KIND_", 5) == 0    ? key + 5
	                : strncmp(key, "STATE_", 6) == 0 ? key + 6
	                                                 : NULL;
	int n = 0;

	if (p == NULL) {
		printf("  %-28s", key);
		return;
	}
	n = printf("  ");
	for (; *p != '\0'; p++, n++)
		putchar(*p == '_' ? '-' : tolower((unsigned char)*p));
	printf("%*s", n < 30 ? 30 - n : 0, "");
}

static void
stats_print_counts(const char *title, Gloss__V1__Count **c, size_t n)
{
	if (n == 0)
		return;
	printf("%s\n", title);
	for (size_t i = 0; i < n; i++) {
		stats_print_key(c[i]->key);
		printf(" %8" PRIu64 "\n", c[i]->count);
	}
}

int
cmd_stats(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = { { "article", required_argument,
		                                  NULL, 'a' },
		{ "group", required_argument, NULL, 'g' }, CLI_COMMON_OPTIONS,
		{ NULL, 0, NULL, 0 } };
	Gloss__V1__Request q = GLOSS__V1__REQUEST__INIT;
	Gloss__V1__GetStatsRequest g = GLOSS__V1__GET_STATS_REQUEST__INIT;
	Gloss__V1__GetStatsResponse *s;
	Gloss__V1__Reply *r;
	int ch;

	while ((ch = cli_getopt(cli, &stats_verb, argc, argv, "a:g:h", opts)) !=
	       -1) {
		if (ch == 'a')
			g.article_id = optarg;
		else if (ch == 'g')
			g.group = optarg;
	}
	if (optind != argc)
		cli_usage_die(&stats_verb, "no operands expected");
	q.body_case = GLOSS__V1__REQUEST__BODY_GET_STATS;
	q.get_stats = &g;
	r = cli_call_or_die(cli, &q);
	s = r->get_stats;
	if (cli->json) {
		cli_print_json(&s->base);
		rpc_reply_free(r);
		return 0;
	}
	printf("articles %" PRIu64 ", annotations %" PRIu64
	       " (as of change %" PRIu64 ")\n",
	    s->articles, s->annotations, s->as_of_seq);
	stats_print_counts("by kind", s->by_kind, s->n_by_kind);
	stats_print_counts("by label", s->by_label, s->n_by_label);
	stats_print_counts("by author", s->by_author, s->n_by_author);
	stats_print_counts("articles by language", s->by_language,
	    s->n_by_language);
	stats_print_counts("annotations by state", s->by_state, s->n_by_state);
	if (s->n_mqm > 0)
		printf("MQM (lower is better)\n  %-28s %-6s %5s %8s %6s %9s\n",
		    "article", "lang", "notes", "score", "words", "per 100w");
	for (size_t i = 0; i < s->n_mqm; i++)
		printf("  %-28s %-6s %5u %8.1f %6u %9.2f\n",
		    s->mqm[i]->article_id, s->mqm[i]->language,
		    s->mqm[i]->notes, s->mqm[i]->score, s->mqm[i]->words,
		    s->mqm[i]->score_per_100_words);
	rpc_reply_free(r);
	return 0;
}

/* ------------------------------------------------------------ group */

static const struct cli_verb group_verb = { "group",
	"usage: gloss group ID [--json]\n"
	"\n"
	"A translation group (ID: the group, or any article in it): the\n"
	"original, its translations, and each translation note's pair of\n"
	"spans (target in the translation, source in the original).\n"
	"\n"
	"      --json, --socket URL, --timeout MS\n" };

int
cmd_group(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = { CLI_COMMON_OPTIONS,
		{ NULL, 0, NULL, 0 } };
	Gloss__V1__Request q = GLOSS__V1__REQUEST__INIT;
	Gloss__V1__GetTranslationGroupRequest g =
	    GLOSS__V1__GET_TRANSLATION_GROUP_REQUEST__INIT;
	Gloss__V1__GetTranslationGroupResponse *t;
	Gloss__V1__Reply *r;

	while (cli_getopt(cli, &group_verb, argc, argv, "h", opts) != -1)
		;
	if (optind + 1 != argc)
		cli_usage_die(&group_verb, "name one group or article");
	g.group = argv[optind];
	q.body_case = GLOSS__V1__REQUEST__BODY_GET_TRANSLATION_GROUP;
	q.get_translation_group = &g;
	r = cli_call_or_die(cli, &q);
	t = r->get_translation_group;
	if (cli->json) {
		cli_print_json(&t->base);
		rpc_reply_free(r);
		return 0;
	}
	if (t->original != NULL)
		printf("original     %s (%s) %s\n", t->original->id,
		    t->original->language, t->original->title);
	for (size_t i = 0; i < t->n_translations; i++)
		printf("translation  %s (%s) %s\n", t->translations[i]->id,
		    t->translations[i]->language, t->translations[i]->title);
	for (size_t i = 0; i < t->n_pairs; i++) {
		Gloss__V1__AlignedPair *p = t->pairs[i];
		printf("%" PRIu64 "\t%s/%s\t%s: \"%s\"\t<->\t%s: \"%s\"\n",
		    p->annotation_id, p->category, p->severity,
		    p->target_article_id, p->target ? p->target->exact : "",
		    p->source_article_id, p->source ? p->source->exact : "");
	}
	rpc_reply_free(r);
	return 0;
}
