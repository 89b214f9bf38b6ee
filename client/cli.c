/* cli: options, connection and error reporting shared by every verb. */
#include <errno.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "json.h"

/* --json given: errors go to stderr as JSON too (cli_die has no cli). */
static bool cli_json_errors;

/* Colour on a terminal, unless NO_COLOR is set (no-color.org) or the
 * terminal says it has none (TERM=dumb). */
static bool
cli_colour_auto(void)
{
	const char *no = getenv("NO_COLOR"), *term = getenv("TERM");

	return isatty(STDOUT_FILENO) && (no == NULL || no[0] == '\0') &&
	       (term == NULL || strcmp(term, "dumb") != 0);
}

/* --color[=WHEN]: always (the default of a bare --color), never, auto. */
static bool
cli_colour(const char *when)
{
	if (when == NULL || strcmp(when, "always") == 0)
		return true;
	if (strcmp(when, "never") == 0)
		return false;
	if (strcmp(when, "auto") == 0)
		return cli_colour_auto();
	cli_die("--color takes auto, always or never, not '%s'", when);
}

/* --socket PATH without a scheme is the local socket at PATH. */
static const char *
cli_socket_url(const char *arg)
{
	static char url[4096];

	if (strstr(arg, "://") != NULL)
		return arg;
	snprintf(url, sizeof(url), "ipc://%s", arg);
	return url;
}

void
cli_init(struct cli *cli)
{
	char *user = getenv("GLOSS_USER");
	struct passwd *pw;

	memset(cli, 0, sizeof(*cli));
	cli->author_given = user != NULL && user[0] != '\0';
	cli->url = rpc_default_url();
	cli->timeout_ms = 30000;
	if (user == NULL || user[0] == '\0')
		user = (pw = getpwuid(getuid())) != NULL ? pw->pw_name : NULL;
	if (user == NULL || user[0] == '\0')
		user = getenv("USER");
	cli->author = user != NULL ? user : (char *)"";
	cli->tty = cli_colour_auto();
}

int
cli_exit_code(int code)
{
	switch (code) {
	case 0:
		return 0;
	case GLOSS__V1__CODE__INVALID_ARGUMENT:
	case GLOSS__V1__CODE__OUT_OF_RANGE:
		return 3;
	case GLOSS__V1__CODE__NOT_FOUND:
		return 4;
	case GLOSS__V1__CODE__ALREADY_EXISTS:
	case GLOSS__V1__CODE__FAILED_PRECONDITION:
	case GLOSS__V1__CODE__ABORTED:
		return 5;
	case GLOSS__V1__CODE__UNAVAILABLE:
	case GLOSS__V1__CODE__DEADLINE_EXCEEDED:
		return 6;
	case GLOSS__V1__CODE__RESOURCE_EXHAUSTED:
		return 7;
	case GLOSS__V1__CODE__UNAUTHENTICATED:
	case GLOSS__V1__CODE__PERMISSION_DENIED:
		return 8;
	default:
		return 1;
	}
}

/* An error on stderr: "gloss: message (CODE)", or the Status as one line
 * of JSON under --json. */
static void
cli_print_error(const Gloss__V1__Status *st)
{
	if (!cli_json_errors) {
		fprintf(stderr, "gloss: %s (%s)\n", st->message,
		    rpc_code_name((int)st->code));
		return;
	}
	json_fprint(stderr, &st->base, JSON_ESCAPE_LS);
	fputc('\n', stderr);
}

/* Reports an error that has no Status from glossd, and exits by its
 * class (cli_exit_code()). */
static void __attribute__((noreturn)) cli_fail(int code, const char *message)
{
	Gloss__V1__Status st = GLOSS__V1__STATUS__INIT;

	st.code = (Gloss__V1__Code)code;
	st.message = (char *)(uintptr_t)message;
	if (cli_json_errors)
		cli_print_error(&st);
	else if (code == GLOSS__V1__CODE__UNKNOWN)
		fprintf(stderr, "gloss: %s\n", message);
	else
		fprintf(stderr, "gloss: %s (%s)\n", message,
		    rpc_code_name(code));
	exit(code == GLOSS__V1__CODE__UNKNOWN ? 1 : cli_exit_code(code));
}

void
cli_die(const char *fmt, ...)
{
	char m[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m, sizeof(m), fmt, ap);
	va_end(ap);
	cli_fail(GLOSS__V1__CODE__UNKNOWN, m);
}

void
cli_die_as(int code, const char *fmt, ...)
{
	char m[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m, sizeof(m), fmt, ap);
	va_end(ap);
	cli_fail(code, m);
}

void
cli_usage_die(const struct cli_verb *v, const char *fmt, ...)
{
	va_list ap;

	const char *end = strstr(v->usage, "\n\n");

	fprintf(stderr, "gloss %s: ", v->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	/* The reason, then the usage line (not the whole help, which would
	 * bury the one line that matters) and where the rest is. */
	fprintf(stderr, "\n%.*s\n(gloss %s --help explains it)\n",
	    end != NULL ? (int)(end - v->usage) : (int)strlen(v->usage),
	    v->usage, v->name);
	exit(2);
}

long
cli_number(const char *flag, const char *arg, long lo, long hi)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno != 0 || *end != '\0' || arg[0] == '\0' || v < lo || v > hi)
		cli_die("%s takes a number from %ld to %ld, not '%s'", flag, lo,
		    hi, arg);
	return v;
}

bool
cli_common_option(struct cli *cli, int ch, char *arg)
{
	switch (ch) {
	case CLI_OPT_SOCKET:
		cli->url = cli_socket_url(arg);
		return true;
	case CLI_OPT_COLOR:
		cli->tty = cli_colour(arg);
		return true;
	case CLI_OPT_JSON:
		cli->json = cli_json_errors = true;
		return true;
	case CLI_OPT_TIMEOUT:
		cli->timeout_ms =
		    (unsigned)cli_number("--timeout", arg, 1, 24 * 3600 * 1000);
		return true;
	case CLI_OPT_AS:
		cli->author = arg;
		cli->author_given = true;
		return true;
	case CLI_OPT_TOKEN_FILE:
		cli->token_file = arg;
		return true;
	case CLI_OPT_TLS_CA:
	case CLI_OPT_TLS_CERT:
	case CLI_OPT_TLS_KEY:
		setenv(ch == CLI_OPT_TLS_CA     ? "GLOSS_TLS_CA"
		       : ch == CLI_OPT_TLS_CERT ? "GLOSS_TLS_CERT"
		                                : "GLOSS_TLS_KEY",
		    arg, 1);
		return true;
	}
	return false;
}

int
cli_getopt(struct cli *cli, const struct cli_verb *v, int argc, char **argv,
    const char *shortopts, const struct option *longopts)
{
	int ch;

	while (
	    (ch = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		if (cli_common_option(cli, ch, optarg))
			continue;
		if (ch == 'h') {
			fputs(v->usage, stdout);
			exit(0);
		}
		if (ch == '?' || ch == ':')
			cli_usage_die(v, "bad option");
		return ch;
	}
	return -1;
}

/* The token in file path (its first line); dies if the file is readable
 * by its group or others, as ssh does with a key: a token is a password. */
static void
cli_token_read(const char *path, char *out, size_t n)
{
	struct stat sb;
	FILE *f = fopen(path, "r");

	if (f == NULL)
		cli_die("cannot read the token file %s: %s", path,
		    strerror(errno));
	if (fstat(fileno(f), &sb) == 0 && (sb.st_mode & 077) != 0) {
		fclose(f);
		cli_die_as(GLOSS__V1__CODE__PERMISSION_DENIED,
		    "the token file %s can be read by others (mode %04o); "
		    "make it yours alone: chmod 600 %s",
		    path, (unsigned)(sb.st_mode & 07777), path);
	}
	if (fgets(out, (int)n, f) == NULL)
		out[0] = '\0';
	fclose(f);
	out[strcspn(out, "\r\n")] = '\0';
}

/* The token to send: --token-file, $GLOSS_TOKEN, $GLOSS_TOKEN_FILE, or
 * ~/.config/gloss/token if it exists; "" for none (ipc, tokens off). */
static void
cli_token(const struct cli *cli, char *out, size_t n)
{
	const char *env = getenv("GLOSS_TOKEN"), *home = getenv("HOME");
	char path[4096];

	out[0] = '\0';
	if (cli->token_file != NULL) {
		cli_token_read(cli->token_file, out, n);
		return;
	}
	if (env != NULL && env[0] != '\0') {
		snprintf(out, n, "%s", env);
		return;
	}
	if ((env = getenv("GLOSS_TOKEN_FILE")) != NULL && env[0] != '\0') {
		cli_token_read(env, out, n);
		return;
	}
	if (home == NULL)
		return;
	snprintf(path, sizeof(path), "%s/.config/gloss/token", home);
	if (access(path, F_OK) == 0)
		cli_token_read(path, out, n);
}

static void
cli_connect(struct cli *cli)
{
	char why[1024];
	int code;

	if (cli->rpc != NULL)
		return;
	char token[256];

	cli_token(cli, token, sizeof(token));
	if ((code = rpc_open(cli->url, &cli->rpc, why, sizeof(why))) != 0)
		cli_fail(code, why);
	rpc_set_token(cli->rpc, token);
	/* With a token, glossd knows who the caller is: an author is sent
	 * only when asked for (--as, $GLOSS_USER). */
	if (token[0] != '\0' && !cli->author_given)
		cli->author = (char *)"";
}

Gloss__V1__Reply *
cli_call(struct cli *cli, Gloss__V1__Request *q)
{
	Gloss__V1__Reply *r;
	int code;

	cli_connect(cli);
	if (q->author[0] == '\0')
		q->author = cli->author;
	code = rpc_call(cli->rpc, q, cli->timeout_ms, &r);
	cli->code = code;
	if (r == NULL)
		cli_fail(code, rpc_error(cli->rpc));
	if (code != 0) {
		if (cli->failed == 0)
			cli->failed = code;
		cli_print_error(r->status);
		if (cli->on_refusal != NULL && !cli->json)
			cli->on_refusal(r->status);
		rpc_reply_free(r);
		return NULL;
	}
	return r;
}

Gloss__V1__Reply *
cli_call_or_die(struct cli *cli, Gloss__V1__Request *q)
{
	Gloss__V1__Reply *r = cli_call(cli, q);

	if (r == NULL)
		exit(cli_exit_code(cli->code));
	return r;
}

void
cli_print_json(const ProtobufCMessage *m)
{
	if (json_fprint(stdout, m, JSON_ESCAPE_LS) != 0 ||
	    fputc('\n', stdout) == EOF)
		cli_die("cannot write to standard output: %s", strerror(errno));
}

void
cli_fini(struct cli *cli)
{
	rpc_close(cli->rpc);
	cli->rpc = NULL;
}

int
cli_width(const char *s)
{
	int n = 0;

	for (; *s != '\0'; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

void
cli_pad(const char *s, int width)
{
	fputs(s, stdout);
	for (int n = cli_width(s); n < width; n++)
		putchar(' ');
	fputs("  ", stdout);
}
