/*
 * gloss: the annotator's command line.  One table of verbs, as in git.c;
 * each verb is one function in a cmd_*.c file.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

struct command {
	const char *name;
	int (*run)(struct cli *cli, int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{ "import", cmd_import, "import articles from UTF-8 text files" },
	{ "articles", cmd_articles, "list articles" },
	{ "show", cmd_show, "print an article's text, annotations marked" },
	{ "rm-article", cmd_rm_article, "delete an article (a tombstone)" },
	{ "tag", cmd_tag, "tag a named entity: --quote TEXT --label PERSON" },
	{ "correct", cmd_correct, "correct a wrong fact, with evidence" },
	{ "flag", cmd_flag,
	    "flag a translation error (MQM category, severity)" },
	{ "note", cmd_note, "write a free-text note on a span" },
	{ "annotations", cmd_annotations, "list an article's annotations" },
	{ "edit", cmd_edit, "change an annotation (label, spans, ...)" },
	{ "rm", cmd_rm, "delete an annotation (a tombstone)" },
	{ "history", cmd_history, "every revision of an annotation" },
	{ "find", cmd_find, "find text: occurrences, numbers, context" },
	{ "labels", cmd_labels, "list label sets; labels add SET NAME" },
	{ "changes", cmd_changes, "print (and --follow) the change feed" },
	{ "stats", cmd_stats, "counts by kind, label, author; MQM scores" },
	{ "group", cmd_group, "a translation group and its aligned notes" },
	{ "export", cmd_export, "export a dataset (jsonl, w3c, brat, ...)" },
	{ "user", cmd_user, "add, list, revoke, rotate users (admin)" },
	{ "info", cmd_info, "show glossd's version, storage and counters" },
	{ "call", cmd_call,
	    "call any method with JSON: call GetArticle '{...}'" },
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void
usage(FILE *out)
{
	fprintf(out,
	    "usage: gloss VERB [options] [args]\n"
	    "\n"
	    "The command line of gloss, the annotation service for "
	    "multilingual\n"
	    "news text.  It talks to glossd (start it with `make run`).\n"
	    "\n"
	    "verbs:\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(out, "  %-12s %s\n", commands[i].name,
		    commands[i].summary);
	fprintf(out,
	    "\n"
	    "options every verb takes:\n"
	    "  --socket URL   glossd's address (default: $GLOSS_SOCKET, else\n"
	    "                 %s)\n"
	    "  --json         print results as JSON, one object per line\n"
	    "  --timeout MS   give up after MS milliseconds (default: 30000)\n"
	    "  --as NAME      who makes a change (default: $GLOSS_USER, else\n"
	    "                 your login name; with a token, the token's "
	    "user)\n"
	    "  --tls-ca FILE  tls+tcp://: the CA glossd's certificate is "
	    "checked\n"
	    "                 against (default: $GLOSS_TLS_CA)\n"
	    "  --tls-cert FILE, --tls-key FILE  a client certificate "
	    "($GLOSS_TLS_CERT,\n"
	    "                 $GLOSS_TLS_KEY)\n"
	    "  --token-file F the token (default: $GLOSS_TOKEN, else\n"
	    "                 $GLOSS_TOKEN_FILE, else ~/.config/gloss/token)\n"
	    "\n"
	    "`gloss VERB --help` explains a verb; docs/cli.md is the manual.\n",
	    rpc_builtin_url());
}

int
main(int argc, char **argv)
{
	struct cli cli;
	int rc;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("gloss %s (gloss.v1)\n", GLOSS_VERSION);
		return 0;
	}
	for (size_t i = 0; i < NCOMMANDS; i++) {
		if (strcmp(argv[1], commands[i].name) != 0)
			continue;
		cli_init(&cli);
		rc = commands[i].run(&cli, argc - 1, argv + 1);
		cli_fini(&cli);
		/* A verb fails with 1; glossd's refusal says which class. */
		return rc == 1 && cli.failed != 0 ? cli_exit_code(cli.failed)
		                                  : rc;
	}
	fprintf(stderr, "gloss: '%s' is not a verb; see gloss --help\n",
	    argv[1]);
	return 2;
}
