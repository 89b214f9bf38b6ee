/*
 * cmd_records: `gloss import --format jsonl FILE`, which sends a jsonl
 * export back through ImportRecords in pieces under glossd's 1 MiB request
 * limit (a piece may end inside a line: glossd keeps it), resumes an
 * unfinished import where glossd says it stands, and `gloss import
 * --abandon`.  Holds one piece in memory.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

/* Bytes of the file a request carries: the rest of RPC_REQUEST_MAX is the
 * envelope and the token. */
#define IMPORT_PIECE (RPC_REQUEST_MAX - ((size_t)8 << 10))

static const struct cli_verb import_records_verb = { "import",
	"usage: gloss import --format jsonl [options] FILE\n"
	"       gloss import --abandon\n"
	"\n"
	"Restores a jsonl export made without filters into the data folder\n"
	"of a glossd that holds nothing yet: every id, author, time,\n"
	"revision and change-feed sequence number is kept, so an export of\n"
	"the result is byte for byte FILE.  Lines of any length are sent in\n"
	"pieces under glossd's 1 MiB request limit.\n"
	"\n"
	"Until the import is complete glossd takes no other write.  If it\n"
	"stops half way, run the same command again: it resumes where glossd\n"
	"says it stands.  --abandon removes what it stored instead, leaving\n"
	"the folder empty again.\n"
	"\n"
	"  -f, --format jsonl\n"
	"      --abandon         abandon the unfinished import\n"
	"      --socket URL, --timeout MS\n" };

enum { OPT_ABANDON = CLI_OPT_VERB };

bool
cmd_import_is_records(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--format") == 0 ||
		    strncmp(argv[i], "--format=", 9) == 0 ||
		    strcmp(argv[i], "-f") == 0 ||
		    strcmp(argv[i], "--abandon") == 0)
			return true;
	return false;
}

struct import_run {
	struct cli *cli;
	FILE *f;
	const char *name;
	char *buf; /* the piece being sent, and what is carried to the next */
	size_t len;
	uint64_t offset; /* of buf[0] in the file */
	uint64_t records, lines, last_seq, as_of;
	char *token;
	bool complete, eof;
};

/* Sends one ImportRecords call; returns the reply, or NULL with glossd's
 * message printed. */
static Gloss__V1__Reply *
import_call(struct import_run *ir, Gloss__V1__ImportRecordsRequest *req)
{
	Gloss__V1__Request q = GLOSS__V1__REQUEST__INIT;

	req->format = (char *)"jsonl";
	q.body_case = GLOSS__V1__REQUEST__BODY_IMPORT_RECORDS;
	q.import_records = req;
	return cli_call(ir->cli, &q);
}

static void
import_took(struct import_run *ir, const Gloss__V1__ImportRecordsResponse *r)
{
	ir->records += r->records;
	ir->lines = r->lines;
	ir->last_seq = r->last_seq;
	ir->as_of = r->as_of_seq;
	ir->complete = r->complete;
	ir->offset = r->byte_offset;
	free(ir->token);
	if ((ir->token = strdup(r->import_token)) == NULL)
		cli_die("out of memory");
}

/* Where a piece may end: before an incomplete UTF-8 sequence at its end,
 * since data is a string field (whole characters only). */
static size_t
import_cut(const char *buf, size_t len)
{
	size_t i = len, need;

	while (
	    i > 0 && len - i < 4 && ((unsigned char)buf[i - 1] & 0xc0) == 0x80)
		i--;
	if (i == 0)
		return len;
	need = (unsigned char)buf[i - 1] >= 0xf0   ? 4
	       : (unsigned char)buf[i - 1] >= 0xe0 ? 3
	       : (unsigned char)buf[i - 1] >= 0xc0 ? 2
	                                           : 1;
	return len - (i - 1) >= need ? len : i - 1;
}

/* Fills buf up to IMPORT_PIECE bytes from the file. */
static void
import_fill(struct import_run *ir)
{
	size_t n = fread(ir->buf + ir->len, 1, IMPORT_PIECE - ir->len, ir->f);

	ir->len += n;
	if (n == 0 || ir->len < IMPORT_PIECE) {
		if (ferror(ir->f))
			cli_die("cannot read %s: %s", ir->name,
			    strerror(errno));
		ir->eof = feof(ir->f) != 0;
	}
}

/* Sends what buf holds (up to a character boundary); keeps the rest. */
static bool
import_piece(struct import_run *ir)
{
	Gloss__V1__ImportRecordsRequest req =
	    GLOSS__V1__IMPORT_RECORDS_REQUEST__INIT;
	size_t n = ir->eof ? ir->len : import_cut(ir->buf, ir->len);
	char save = ir->buf[n];
	Gloss__V1__Reply *r;

	ir->buf[n] = '\0';
	req.data = ir->buf;
	req.import_token = ir->token != NULL ? ir->token : (char *)"";
	req.last = ir->eof && n == ir->len;
	r = import_call(ir, &req);
	ir->buf[n] = save;
	if (r == NULL)
		return false;
	import_took(ir, r->import_records);
	rpc_reply_free(r);
	memmove(ir->buf, ir->buf + n, ir->len - n);
	ir->len -= n;
	if (isatty(STDERR_FILENO))
		fprintf(stderr, "\rgloss import: %" PRIu64 " records",
		    ir->records);
	return true;
}

/* Reads and drops the file's first n bytes (a resumed import). */
static void
import_skip(struct import_run *ir, uint64_t n)
{
	char tmp[65536];
	size_t k;

	if (fseeko(ir->f, (off_t)n, SEEK_SET) == 0)
		return;
	rewind(ir->f);
	for (; n > 0; n -= k)
		if ((k = fread(tmp, 1, n < sizeof(tmp) ? n : sizeof(tmp),
		         ir->f)) == 0)
			cli_die("%s is shorter than what glossd imported of it",
			    ir->name);
}

/* Whether glossd has an import that has not finished. */
static bool
import_unfinished(struct import_run *ir)
{
	Gloss__V1__Request q = GLOSS__V1__REQUEST__INIT;
	Gloss__V1__GetServerInfoRequest gi =
	    GLOSS__V1__GET_SERVER_INFO_REQUEST__INIT;
	Gloss__V1__Reply *r;
	bool unfinished;

	q.body_case = GLOSS__V1__REQUEST__BODY_GET_SERVER_INFO;
	q.get_server_info = &gi;
	r = cli_call_or_die(ir->cli, &q);
	unfinished = r->get_server_info->unfinished_import != NULL;
	rpc_reply_free(r);
	return unfinished;
}

/* Takes up the unfinished import where glossd says it stands, if FILE's
 * header is the one it began with. */
static void
import_resume(struct import_run *ir)
{
	Gloss__V1__ImportRecordsRequest req =
	    GLOSS__V1__IMPORT_RECORDS_REQUEST__INIT;
	Gloss__V1__Reply *r;

	if (fgets(ir->buf, (int)IMPORT_PIECE, ir->f) == NULL)
		cli_die("cannot read %s", ir->name);
	req.resume = true;
	req.data = ir->buf;
	if ((r = import_call(ir, &req)) == NULL)
		exit(cli_exit_code(ir->cli->code));
	import_took(ir, r->import_records);
	rpc_reply_free(r);
	import_skip(ir, ir->offset);
	fprintf(stderr,
	    "gloss import: resuming the unfinished import after %" PRIu64
	    " records (byte %" PRIu64 " of %s)\n",
	    ir->lines, ir->offset, ir->name);
}

static int
import_abandon(struct cli *cli)
{
	struct import_run ir = { .cli = cli };
	Gloss__V1__ImportRecordsRequest req =
	    GLOSS__V1__IMPORT_RECORDS_REQUEST__INIT;
	Gloss__V1__Reply *r;

	req.abandon = true;
	if ((r = import_call(&ir, &req)) == NULL)
		return 1;
	rpc_reply_free(r);
	printf("abandoned the unfinished import: its articles, annotations "
	       "and changes are removed, and glossd takes writes again\n");
	return 0;
}

/* Says how the import ended; exits 1 if it is not complete. */
static void
import_report(const struct import_run *ir)
{
	if (!ir->complete)
		cli_die("%s ended before its last change (%" PRIu64
		        " of %" PRIu64 " imported): the import is unfinished, "
		        "and glossd takes "
		        "no other write until it is finished (run this again "
		        "with the whole file: it resumes) or abandoned (`gloss "
		        "import --abandon`)",
		    ir->name, ir->last_seq, ir->as_of);
	printf("imported %" PRIu64 " records from %s; the data folder is at "
	       "change %" PRIu64 "\n",
	    ir->lines, ir->name, ir->last_seq);
}

/* Sends the whole file, piece by piece; exits on a refusal. */
static void
import_send(struct import_run *ir)
{
	do {
		import_fill(ir);
		if (import_piece(ir))
			continue;
		if (ir->token != NULL)
			fprintf(stderr,
			    "gloss: the import is unfinished (%" PRIu64
			    " records in), and glossd takes no other write "
			    "until it is finished or abandoned: fix %s and "
			    "run this again (it resumes), or `gloss import "
			    "--abandon`\n",
			    ir->lines, ir->name);
		exit(cli_exit_code(ir->cli->code));
	} while (!ir->eof || ir->len > 0);
	if (isatty(STDERR_FILENO))
		fputs("\r\033[K", stderr);
}

/* Reads the verb's options: its format (or NULL), and --abandon. */
static void
import_options(struct cli *cli, int argc, char **argv, const char **format,
    bool *abandon)
{
	static const struct option longopts[] = { CLI_COMMON_OPTIONS,
		{ "format", required_argument, NULL, 'f' },
		{ "abandon", no_argument, NULL, OPT_ABANDON },
		{ NULL, 0, NULL, 0 } };
	int ch;

	*format = NULL;
	*abandon = false;
	while ((ch = cli_getopt(cli, &import_records_verb, argc, argv, "f:h",
	            longopts)) != -1)
		if (ch == 'f')
			*format = optarg;
		else if (ch == OPT_ABANDON)
			*abandon = true;
}

int
cmd_import_records(struct cli *cli, int argc, char **argv)
{
	struct import_run ir = { .cli = cli };
	const char *format;
	bool abandon;

	import_options(cli, argc, argv, &format, &abandon);
	if (abandon && argc == optind)
		return import_abandon(cli);
	if (abandon)
		cli_usage_die(&import_records_verb, "--abandon takes no FILE");
	if (format == NULL || strcmp(format, "jsonl") != 0)
		cli_usage_die(&import_records_verb,
		    "--format takes jsonl (a gloss export); text files are "
		    "imported without --format");
	if (argc - optind != 1)
		cli_usage_die(&import_records_verb, "name one FILE");
	ir.name = argv[optind];
	if ((ir.f = strcmp(ir.name, "-") == 0 ? stdin : fopen(ir.name, "rb")) ==
	    NULL)
		cli_die("cannot read %s: %s", ir.name, strerror(errno));
	if ((ir.buf = malloc(IMPORT_PIECE + 1)) == NULL)
		cli_die("out of memory");
	if (import_unfinished(&ir))
		import_resume(&ir);
	import_send(&ir);
	if (ir.f != stdin)
		fclose(ir.f);
	free(ir.buf);
	free(ir.token);
	import_report(&ir);
	return 0;
}
