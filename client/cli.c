/* cli: options, connection and error reporting shared by every verb. */
#include <errno.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "json.h"

void
cli_init(struct cli *cli)
{
	char *user = getenv("GLOSS_USER");
	struct passwd *pw;

	memset(cli, 0, sizeof(*cli));
	cli->url = rpc_default_url();
	cli->timeout_ms = 30000;
	if (user == NULL || user[0] == '\0')
		user = (pw = getpwuid(getuid())) != NULL ? pw->pw_name : NULL;
	if (user == NULL || user[0] == '\0')
		user = getenv("USER");
	cli->author = user != NULL ? user : (char *)"";
	cli->tty = isatty(STDOUT_FILENO);
}

void
cli_die(const char *fmt, ...)
{
	va_list ap;

	fputs("gloss: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

void
cli_usage_die(const struct cli_verb *v, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "gloss %s: ", v->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n\n%s", v->usage);
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
		cli->url = arg;
		return true;
	case CLI_OPT_JSON:
		cli->json = true;
		return true;
	case CLI_OPT_TIMEOUT:
		cli->timeout_ms =
		    (unsigned)cli_number("--timeout", arg, 1, 24 * 3600 * 1000);
		return true;
	case CLI_OPT_AS:
		cli->author = arg;
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

static void
cli_connect(struct cli *cli)
{
	char why[1024];

	if (cli->rpc != NULL)
		return;
	if (rpc_open(cli->url, &cli->rpc, why, sizeof(why)) != 0)
		cli_die("%s", why);
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
		cli_die("%s (%s)", rpc_error(cli->rpc), rpc_code_name(code));
	if (code != 0) {
		fprintf(stderr, "gloss: %s (%s)\n", rpc_error(cli->rpc),
		    rpc_code_name(code));
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
		exit(1);
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
