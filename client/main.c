/*
 * gloss: the annotator's command line.  One table of verbs, as in git.c;
 * each verb is one function in a cmd_*.c file.
 */
#include <stdbool.h>
#include <stdint.h>
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
	{ "revert", cmd_revert, "undo: an earlier revision made current" },
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

/* The options every verb takes that need a value (cli.h's
 * CLI_COMMON_OPTIONS): what may come before the verb. */
static const char *const global_valued[] = { "--socket", "--timeout", "--as",
	"--tls-ca", "--tls-cert", "--tls-key", "--token-file", NULL };

/* Whether argv[i] is an option every verb takes; *n: the words it uses. */
static bool
global_option(char **argv, int argc, int i, int *n)
{
	const char *a = argv[i];

	*n = 1;
	if (strcmp(a, "--json") == 0 || strcmp(a, "--color") == 0 ||
	    strncmp(a, "--color=", 8) == 0)
		return true;
	for (size_t k = 0; global_valued[k] != NULL; k++) {
		size_t len = strlen(global_valued[k]);
		if (strncmp(a, global_valued[k], len) != 0)
			continue;
		if (a[len] == '=')
			return true;
		if (a[len] == '\0' && i + 1 < argc) {
			*n = 2;
			return true;
		}
	}
	return false;
}

/*
 * `gloss --socket URL VERB ...` as git takes `git -C DIR VERB`: the
 * options every verb takes may come first; they are moved after the verb,
 * where its getopt reads them.  Returns 1 (the verb's index then), or 0
 * if no verb follows them.
 */
static int
hoist_globals(int argc, char **argv)
{
	int i = 1, n;
	char **tmp;

	while (i < argc && global_option(argv, argc, i, &n))
		i += n;
	if (i >= argc)
		return 0;
	if (i == 1)
		return 1;
	if ((tmp = malloc((size_t)argc * sizeof(*tmp))) == NULL) {
		fputs("gloss: out of memory\n", stderr);
		exit(1);
	}
	tmp[0] = argv[0];
	tmp[1] = argv[i];
	memcpy(tmp + 2, argv + 1, (size_t)(i - 1) * sizeof(*tmp));
	memcpy(tmp + i + 1, argv + i + 1,
	    (size_t)(argc - i - 1) * sizeof(*tmp));
	memcpy(argv, tmp, (size_t)argc * sizeof(*tmp));
	free(tmp);
	return 1;
}

/* Levenshtein distance of two short ASCII words (verbs). */
static size_t
edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), d[32];

	if (la >= 31 || lb >= 31)
		return 99;
	for (size_t j = 0; j <= lb; j++)
		d[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t prev = d[0], cur;
		d[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			cur = d[j];
			d[j] = prev + (a[i - 1] != b[j - 1]);
			if (d[j - 1] + 1 < d[j])
				d[j] = d[j - 1] + 1;
			if (cur + 1 < d[j])
				d[j] = cur + 1;
			prev = cur;
		}
	}
	return d[lb];
}

/* "'tga' is not a verb; did you mean tag?" */
static int
not_a_verb(const char *word)
{
	const char *best = NULL;
	size_t bd = 3; /* at most two edits away, or a prefix */

	for (size_t i = 0; i < NCOMMANDS; i++) {
		size_t d = strncmp(commands[i].name, word, strlen(word)) == 0
		               ? 1
		               : edit_distance(word, commands[i].name);
		if (d < bd)
			bd = d, best = commands[i].name;
	}
	if (best != NULL)
		fprintf(stderr,
		    "gloss: '%s' is not a verb; did you mean %s? (gloss "
		    "--help lists them)\n",
		    word, best);
	else
		fprintf(stderr, "gloss: '%s' is not a verb; see gloss --help\n",
		    word);
	return 2;
}

static const struct command *
find_verb(const char *name)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (strcmp(name, commands[i].name) == 0)
			return &commands[i];
	return NULL;
}

/* `gloss help VERB` is `gloss VERB --help`. */
static int
help(const char *verb)
{
	const struct command *c = find_verb(verb);
	char *args[] = { (char *)(uintptr_t)verb, (char *)"--help", NULL };
	struct cli cli;

	if (c == NULL)
		return not_a_verb(verb);
	cli_init(&cli);
	return c->run(&cli, 2, args);
}

static int
run(const struct command *c, int argc, char **argv)
{
	struct cli cli;
	int rc;

	cli_init(&cli);
	rc = c->run(&cli, argc, argv);
	cli_fini(&cli);
	/* A verb fails with 1; glossd's refusal says which class. */
	return rc == 1 && cli.failed != 0 ? cli_exit_code(cli.failed) : rc;
}

int
main(int argc, char **argv)
{
	const struct command *c;
	int verb = hoist_globals(argc, argv);

	if (verb == 0 || strcmp(argv[verb], "--help") == 0 ||
	    strcmp(argv[verb], "-h") == 0) {
		usage(verb == 0 ? stderr : stdout);
		return verb == 0 ? 2 : 0;
	}
	if (strcmp(argv[verb], "help") == 0)
		return verb + 1 < argc ? help(argv[verb + 1])
		                       : (usage(stdout), 0);
	if (strcmp(argv[verb], "--version") == 0 ||
	    strcmp(argv[verb], "-V") == 0) {
		printf("gloss %s (gloss.v1)\n", GLOSS_VERSION);
		return 0;
	}
	if ((c = find_verb(argv[verb])) == NULL)
		return not_a_verb(argv[verb]);
	return run(c, argc - 1, argv + 1);
}
