/*
 * cli: what every `gloss` verb shares: the common options, the connection,
 * calling glossd and reporting its errors, and output for people or --json.
 */
#ifndef GLOSS_CLI_H
#define GLOSS_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

#include "gloss/v1/gloss.pb-c.h"
#include "rpc.h"

struct cli {
	const char *url;
	unsigned timeout_ms;
	char *author;      /* char *: it goes into a protobuf-c string field */
	bool author_given; /* --as or $GLOSS_USER */
	const char *token_file; /* --token-file; NULL: the environment's */
	bool json;
	bool tty; /* colour: a terminal without NO_COLOR or TERM=dumb, or
	             --color */
	struct rpc_client *rpc;
	int code;   /* the last cli_call()'s status code (0: OK) */
	int failed; /* the first refused call's code (0: none) */
	/* Called with the Status of a refused call, after its message (not
	 * under --json): a verb's hints (the quote candidates). */
	void (*on_refusal)(const Gloss__V1__Status *st);
};

/* The long options every verb takes, for its getopt_long table. */
#define CLI_COMMON_OPTIONS                                                 \
	{ "socket", required_argument, NULL, CLI_OPT_SOCKET },             \
	    { "json", no_argument, NULL, CLI_OPT_JSON },                   \
	    { "timeout", required_argument, NULL, CLI_OPT_TIMEOUT },       \
	    { "as", required_argument, NULL, CLI_OPT_AS },                 \
	    { "tls-ca", required_argument, NULL, CLI_OPT_TLS_CA },         \
	    { "tls-cert", required_argument, NULL, CLI_OPT_TLS_CERT },     \
	    { "tls-key", required_argument, NULL, CLI_OPT_TLS_KEY },       \
	    { "token-file", required_argument, NULL, CLI_OPT_TOKEN_FILE }, \
	    { "color", optional_argument, NULL, CLI_OPT_COLOR },           \
	{                                                                  \
		"help", no_argument, NULL, 'h'                             \
	}

enum {
	CLI_OPT_SOCKET = 256,
	CLI_OPT_JSON,
	CLI_OPT_TIMEOUT,
	CLI_OPT_AS,
	CLI_OPT_TLS_CA, /* tls+tcp://: set GLOSS_TLS_* for client/rpc.c */
	CLI_OPT_TLS_CERT,
	CLI_OPT_TLS_KEY,
	CLI_OPT_TOKEN_FILE,
	CLI_OPT_COLOR, /* --color[=auto|always|never] */
	CLI_OPT_VERB,  /* verbs number their own long-only options from here */
};

/* Settings from the environment and defaults, before any flag. */
void cli_init(struct cli *cli);

/* Applies common option ch; returns false if ch is not one. */
bool cli_common_option(struct cli *cli, int ch, char *arg);

/* A verb's options: `verb` names it in messages, `usage` is its help. */
struct cli_verb {
	const char *name;
	const char *usage;
};

/*
 * getopt_long over argv with the verb's long options (which must include
 * CLI_COMMON_OPTIONS) and short options; handles the common ones and
 * --help itself, exits 2 on a bad option, and returns the next verb
 * option, or -1 at the end (optind then indexes the operands).
 */
int cli_getopt(struct cli *cli, const struct cli_verb *v, int argc, char **argv,
    const char *shortopts, const struct option *longopts);

/*
 * The exit code of a command that ended on status `code` (docs/cli.md): 0
 * OK, 3 invalid (INVALID_ARGUMENT, OUT_OF_RANGE), 4 NOT_FOUND, 5 conflict
 * (ALREADY_EXISTS, FAILED_PRECONDITION, ABORTED), 6 unavailable
 * (UNAVAILABLE, DEADLINE_EXCEEDED), 7 RESOURCE_EXHAUSTED, 1 the rest.  2 is
 * a usage error's, which no status has.
 */
int cli_exit_code(int code);

/* Prints "gloss: ..." on stderr (under --json, a Status of code UNKNOWN
 * as one line of JSON) and exits 1. */
void cli_die(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));

/* As cli_die(), for an error of gloss.v1 code `code`: exits by its class
 * (cli_exit_code()), and names the code. */
void cli_die_as(int code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));

/* Prints the verb's usage on stderr, with a reason, and exits 2. */
/* lang.c: whether tag is a BCP 47 tag of a language ICU knows; if not, a
 * sentence in why (naming the tag meant, as en for "english"). */
bool lang_check(const char *tag, char *why, size_t whylen);

void cli_usage_die(const struct cli_verb *v, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));

/* Parses a whole decimal number in [lo, hi] or dies naming flag. */
long cli_number(const char *flag, const char *arg, long lo, long hi);

/*
 * Sends q to glossd (connecting first if needed) and returns the OK reply,
 * which the caller frees with rpc_reply_free().  Returns NULL with the
 * error printed on stderr ("gloss: article 'x' not found (NOT_FOUND)", or
 * under --json the reply's Status as one line of JSON) if glossd refused
 * it, or exits by cli_exit_code() if no reply came.  Either way cli->code
 * is the reply's status.
 */
Gloss__V1__Reply *cli_call(struct cli *cli, Gloss__V1__Request *q);

/* As cli_call(), but exits 1 on any error. */
Gloss__V1__Reply *cli_call_or_die(struct cli *cli, Gloss__V1__Request *q);

/* Prints m as one line of proto3 JSON on stdout. */
void cli_print_json(const ProtobufCMessage *m);

/* Closes the connection. */
void cli_fini(struct cli *cli);

/* The verbs, one function each, in cmd_*.c. */
int cmd_import(struct cli *cli, int argc, char **argv);
int cmd_articles(struct cli *cli, int argc, char **argv);
int cmd_show(struct cli *cli, int argc, char **argv);
int cmd_rm_article(struct cli *cli, int argc, char **argv);
int cmd_info(struct cli *cli, int argc, char **argv);
int cmd_export(struct cli *cli, int argc, char **argv);
/* `gloss import --format jsonl FILE`, which cmd_import hands over to. */
bool cmd_import_is_records(int argc, char **argv);
int cmd_import_records(struct cli *cli, int argc, char **argv);
int cmd_changes(struct cli *cli, int argc, char **argv);
int cmd_stats(struct cli *cli, int argc, char **argv);
int cmd_group(struct cli *cli, int argc, char **argv);
int cmd_tag(struct cli *cli, int argc, char **argv);
int cmd_correct(struct cli *cli, int argc, char **argv);
int cmd_flag(struct cli *cli, int argc, char **argv);
int cmd_note(struct cli *cli, int argc, char **argv);
int cmd_annotations(struct cli *cli, int argc, char **argv);
int cmd_edit(struct cli *cli, int argc, char **argv);
int cmd_rm(struct cli *cli, int argc, char **argv);
int cmd_revert(struct cli *cli, int argc, char **argv);
int cmd_history(struct cli *cli, int argc, char **argv);
int cmd_find(struct cli *cli, int argc, char **argv);
int cmd_labels(struct cli *cli, int argc, char **argv);
int cmd_call(struct cli *cli, int argc, char **argv);
int cmd_user(struct cli *cli, int argc, char **argv);
/*
 * `gloss show`'s annotated view, in cmd_show.c: prints the article's
 * text (a, with its text) with its active annotations marked, then a
 * legend.  Returns false, having printed nothing, if it has none.  Exits
 * 1 if glossd refuses the listing.
 */
bool cmd_show_annotated(struct cli *cli, const Gloss__V1__Article *a);

/* Code points of s: the width of a name in a table, near enough. */
int cli_width(const char *s);

/* Writes s to stdout, pads it with spaces to width, then a gap of two. */
void cli_pad(const char *s, int width);

#endif
