/*
 * cmd_export: `gloss export`, which streams an Export page by page into a
 * file or (brat) a folder, holding no more than one page (about 1 MiB) in
 * memory.  `gloss import --format jsonl` is cmd_records.c's.
 */
#define _GNU_SOURCE /* asprintf */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "json.h"

#define LOSSES_SHOWN 10
#define REASONS_MAX  32

static const struct cli_verb export_verb = { "export",
	"usage: gloss export --format FORMAT --out PATH [options]\n"
	"\n"
	"Exports annotated articles from one snapshot, page by page.  FORMAT:\n"
	"  jsonl   gloss's own, lossless (gloss import --format jsonl reads "
	"it)\n"
	"  w3c     W3C Web Annotation JSON-LD, one annotation a line\n"
	"  brat    brat standoff: PATH is a folder of ID.txt + ID.ann\n"
	"  conll   CoNLL-2003, IOB2 tags (entities)\n"
	"  mqm     WMT MQM TSV (translation notes)\n"
	"  spacy   spaCy JSONL {\"text\", \"entities\"} (entities)\n"
	"What a format cannot carry is reported, never dropped silently.\n"
	"docs/export.md describes every format.\n"
	"\n"
	"  -f, --format FORMAT   required\n"
	"  -o, --out PATH        file (- for standard output) or, for brat, a\n"
	"                        new or empty folder; written as PATH.part "
	"and\n"
	"                        renamed when complete\n"
	"      --article ID      only this article, or\n"
	"      --group ID        only this translation group, or\n"
	"      --lang TAG        only articles in this language\n"
	"      --kind KIND       entity, correction, translation or note\n"
	"      --label LABEL     entity label, verdict or MQM category\n"
	"      --as-of SEQ       the state right after change SEQ (default: "
	"now)\n"
	"      --report FILE     every loss, one JSON object a line\n"
	"      --page-size N     pieces per request (1-1000; default 100)\n"
	"      --page-bytes N    bytes of data per request (512-1048576;\n"
	"                        default: as much as a reply holds)\n"
	"      --json            print the summary as JSON\n"
	"      --socket URL, --timeout MS\n" };

struct export_reason {
	char *reason;
	uint64_t count;
};

/* The "s" of a plural, for a count n. */
#define PLURAL(n) ((n) == 1 ? "" : "s")

struct export_state {
	const char *format, *out, *report_path;
	char *part;   /* PATH.part */
	bool folder;  /* brat: a folder of files */
	FILE *file;   /* the file being written */
	char *path;   /* its chunk path */
	FILE *report; /* --report */
	uint64_t bytes, articles, annotations, losses, unlisted, total;
	struct export_reason reasons[REASONS_MAX];
	size_t n_reasons;
	bool progress;
};

/* "dataset/" names the folder "dataset": its PATH.part must sit beside it,
 * not inside.  Trims path in place (it is argv's). */
static const char *
export_trim_slashes(char *path)
{
	size_t n = strlen(path);

	while (n > 1 && path[n - 1] == '/')
		path[--n] = '\0';
	return path;
}

static Gloss__V1__Kind
export_kind(const char *k)
{
	if (strcmp(k, "entity") == 0)
		return GLOSS__V1__KIND__KIND_ENTITY;
	if (strcmp(k, "correction") == 0 || strcmp(k, "fact-correction") == 0)
		return GLOSS__V1__KIND__KIND_FACT_CORRECTION;
	if (strcmp(k, "translation") == 0 || strcmp(k, "translation-note") == 0)
		return GLOSS__V1__KIND__KIND_TRANSLATION_NOTE;
	if (strcmp(k, "note") == 0)
		return GLOSS__V1__KIND__KIND_NOTE;
	cli_usage_die(&export_verb,
	    "--kind is entity, correction, translation or note, not '%s'", k);
}

/*
 * A chunk path from glossd names a file inside the folder, nothing else,
 * whatever glossd sends: not empty, not absolute, no '/' nor '\\', no "..",
 * no leading '.', no control byte, at most NAME_MAX (255) bytes.
 */
static bool
export_path_ok(const char *p)
{
	size_t n = strlen(p);

	if (n == 0 || n > 255 || p[0] == '.' || strstr(p, "..") != NULL)
		return false;
	for (; *p != '\0'; p++) {
		unsigned char ch = (unsigned char)*p;
		if (ch < 0x20 || ch == 0x7f || ch == '/' || ch == '\\')
			return false;
	}
	return true;
}

/* A path glossd sent, for a message: control bytes and '\\' as \\xNN, the
 * first 100 bytes. */
static const char *
export_shown(const char *p)
{
	static char buf[4 * 100 + 8];
	size_t k = 0, i;

	for (i = 0; p[i] != '\0' && i < 100; i++) {
		unsigned char ch = (unsigned char)p[i];
		if (ch < 0x20 || ch == 0x7f || ch == '\\')
			k += (size_t)snprintf(buf + k, 5, "\\x%02X", ch);
		else
			buf[k++] = (char)ch;
	}
	strcpy(buf + k, p[i] != '\0' ? "..." : "");
	return buf;
}

static void
export_close_file(struct export_state *st)
{
	if (st->file != NULL && st->file != stdout && fclose(st->file) != 0)
		cli_die("cannot write %s: %s", st->part, strerror(errno));
	st->file = NULL;
}

/* The file a chunk goes to: opened when its path starts. */
static void
export_switch(struct export_state *st, const char *path)
{
	char *full;

	if (st->file != NULL && strcmp(st->path, path) == 0)
		return;
	if (!st->folder) {
		if (path[0] != '\0')
			cli_die("glossd sent a file name (%s) for a one-file "
			        "format",
			    export_shown(path));
		st->file =
		    strcmp(st->out, "-") == 0 ? stdout : fopen(st->part, "wb");
	} else {
		if (!export_path_ok(path))
			cli_die("glossd sent a file name that is not a plain "
			        "name inside %s (refused, nothing written "
			        "outside it): '%s'",
			    st->part, export_shown(path));
		export_close_file(st);
		if (asprintf(&full, "%s/%s", st->part, path) < 0)
			cli_die("out of memory");
		st->file = fopen(full, "wb");
		free(full);
	}
	if (st->file == NULL)
		cli_die("cannot create a file in %s: %s", st->part,
		    strerror(errno));
	free(st->path);
	if ((st->path = strdup(path)) == NULL)
		cli_die("out of memory");
}

static void
export_count_loss(struct export_state *st, const Gloss__V1__ExportLoss *l)
{
	size_t i;

	st->losses++;
	if (st->losses <= LOSSES_SHOWN)
		fprintf(stderr,
		    "gloss export: lost: article %s%s%.0" PRIu64 ": %s: %s\n",
		    l->article_id, l->annotation_id ? " annotation " : "",
		    l->annotation_id, l->reason, l->detail);
	if (st->report != NULL &&
	    (json_fprint(st->report, &l->base, JSON_ESCAPE_LS) != 0 ||
	        fputc('\n', st->report) == EOF))
		cli_die("cannot write %s: %s", st->report_path,
		    strerror(errno));
	for (i = 0; i < st->n_reasons; i++)
		if (strcmp(st->reasons[i].reason, l->reason) == 0)
			break;
	if (i == st->n_reasons && i < REASONS_MAX) {
		if ((st->reasons[i].reason = strdup(l->reason)) == NULL)
			cli_die("out of memory");
		st->n_reasons++;
	}
	if (i < st->n_reasons)
		st->reasons[i].count++;
}

static void
export_page(struct export_state *st, const Gloss__V1__ExportResponse *e)
{
	for (size_t i = 0; i < e->n_chunks; i++) {
		const Gloss__V1__ExportChunk *ch = e->chunks[i];
		export_switch(st, ch->path);
		if (ch->data.len > 0 && fwrite(ch->data.data, 1, ch->data.len,
		                            st->file) != ch->data.len)
			cli_die("cannot write %s: %s", st->part,
			    strerror(errno));
		st->bytes += ch->data.len;
	}
	for (size_t i = 0; i < e->n_losses; i++)
		export_count_loss(st, e->losses[i]);
	st->unlisted += e->losses_unlisted;
	st->articles += e->articles;
	st->annotations += e->annotations;
	st->total = e->articles_total;
	if (st->progress)
		fprintf(stderr,
		    "\rgloss export: %" PRIu64 "/%" PRIu64 " articles, %" PRIu64
		    " annotations, %.1f MiB",
		    st->articles, st->total, st->annotations,
		    (double)st->bytes / (1 << 20));
}

/* Where the export is written until it is complete. */
static void
export_prepare(struct export_state *st)
{
	struct stat sb;
	DIR *d;
	struct dirent *de;

	if (strcmp(st->out, "-") == 0) {
		if (st->folder)
			cli_die("brat writes a folder: give --out FOLDER");
		return;
	}
	if (asprintf(&st->part, "%s.part", st->out) < 0)
		cli_die("out of memory");
	if (!st->folder)
		return;
	if (stat(st->out, &sb) == 0) {
		if (!S_ISDIR(sb.st_mode) || (d = opendir(st->out)) == NULL)
			cli_die("%s exists and is not a folder", st->out);
		while ((de = readdir(d)) != NULL)
			if (strcmp(de->d_name, ".") != 0 &&
			    strcmp(de->d_name, "..") != 0)
				cli_die("%s is not empty: give a new or empty "
				        "folder",
				    st->out);
		closedir(d);
	}
	if (mkdir(st->part, 0777) != 0)
		cli_die("cannot create %s: %s%s", st->part, strerror(errno),
		    errno == EEXIST ? " (left by an interrupted export? "
		                      "remove it)"
		                    : "");
}

static void
export_finish(struct export_state *st)
{
	if (!st->folder && st->path == NULL && strcmp(st->out, "-") != 0)
		export_switch(st, ""); /* an empty export is an empty file */
	export_close_file(st);
	if (st->part != NULL && st->folder)
		rmdir(st->out); /* an empty folder given as --out */
	if (st->part != NULL && rename(st->part, st->out) != 0)
		cli_die("cannot rename %s to %s: %s", st->part, st->out,
		    strerror(errno));
	if (st->report != NULL && fclose(st->report) != 0)
		cli_die("cannot write %s: %s", st->report_path,
		    strerror(errno));
}

/* A hint when losses are only what the format is not made for. */
static void
export_hint(const struct export_state *st)
{
	for (size_t i = 0; i < st->n_reasons; i++)
		if (strcmp(st->reasons[i].reason, "kind") == 0)
			fprintf(stderr,
			    "gloss export: %s does not carry every kind of "
			    "annotation; --kind leaves the others out\n",
			    st->format);
}

static void
export_summary(struct cli *cli, struct export_state *st, uint64_t as_of)
{
	FILE *out = strcmp(st->out, "-") == 0 ? stderr : stdout;
	struct json_sink sink;

	if (st->progress)
		fputs("\r\033[K", stderr);
	if (cli->json) {
		fprintf(out, "{\"format\":\"%s\",\"out\":", st->format);
		sink = json_file_sink(out);
		json_print_string(&sink, st->out, strlen(st->out),
		    JSON_ESCAPE_LS);
		fprintf(out,
		    ",\"asOfSeq\":\"%" PRIu64 "\",\"articles\":%" PRIu64
		    ",\"annotations\":%" PRIu64 ",\"bytes\":%" PRIu64
		    ",\"losses\":%" PRIu64 ",\"lossesByReason\":{",
		    as_of, st->articles, st->annotations, st->bytes,
		    st->losses + st->unlisted);
		for (size_t i = 0; i < st->n_reasons; i++)
			fprintf(out, "%s\"%s\":%" PRIu64, i ? "," : "",
			    st->reasons[i].reason, st->reasons[i].count);
		fputs("}}\n", out);
		return;
	}
	if (st->losses + st->unlisted > 0) {
		fprintf(stderr, "gloss export: %" PRIu64 " loss%s:",
		    st->losses + st->unlisted,
		    st->losses + st->unlisted == 1 ? "" : "es");
		for (size_t i = 0; i < st->n_reasons; i++)
			fprintf(stderr, "%s %s %" PRIu64, i ? "," : "",
			    st->reasons[i].reason, st->reasons[i].count);
		if (st->unlisted > 0)
			fprintf(stderr, ", unlisted %" PRIu64, st->unlisted);
		fprintf(stderr, "%s%s\n",
		    st->report_path ? "; all in " : "; --report FILE lists all",
		    st->report_path ? st->report_path : "");
		export_hint(st);
	}
	fprintf(out,
	    "wrote %s: %" PRIu64 " article%s, %" PRIu64
	    " annotation%s, %" PRIu64 " bytes, %s; as of change %" PRIu64
	    "; %" PRIu64 " loss%s\n",
	    st->format, st->articles, PLURAL(st->articles), st->annotations,
	    PLURAL(st->annotations), st->bytes,
	    strcmp(st->out, "-") == 0 ? "to standard output" : st->out, as_of,
	    st->losses + st->unlisted,
	    st->losses + st->unlisted == 1 ? "" : "es");
}

/* A case per option: long, not deep. */
static void
export_options(struct cli *cli, int argc, char **argv,
    Gloss__V1__ExportRequest *e, struct export_state *st)
{
	static const struct option longopts[] = { CLI_COMMON_OPTIONS,
		{ "format", required_argument, NULL, 'f' },
		{ "out", required_argument, NULL, 'o' },
		{ "article", required_argument, NULL, CLI_OPT_VERB },
		{ "group", required_argument, NULL, CLI_OPT_VERB + 1 },
		{ "lang", required_argument, NULL, CLI_OPT_VERB + 2 },
		{ "kind", required_argument, NULL, CLI_OPT_VERB + 3 },
		{ "label", required_argument, NULL, CLI_OPT_VERB + 4 },
		{ "as-of", required_argument, NULL, CLI_OPT_VERB + 5 },
		{ "report", required_argument, NULL, CLI_OPT_VERB + 6 },
		{ "page-size", required_argument, NULL, CLI_OPT_VERB + 7 },
		{ "page-bytes", required_argument, NULL, CLI_OPT_VERB + 8 },
		{ NULL, 0, NULL, 0 } };
	int ch;

	while ((ch = cli_getopt(cli, &export_verb, argc, argv, "f:o:h",
	            longopts)) != -1) {
		switch (ch) {
		case 'f':
			e->format = optarg;
			st->format = optarg;
			break;
		case 'o':
			st->out = export_trim_slashes(optarg);
			break;
		case CLI_OPT_VERB:
			e->article_id = optarg;
			break;
		case CLI_OPT_VERB + 1:
			e->group = optarg;
			break;
		case CLI_OPT_VERB + 2:
			e->language = optarg;
			break;
		case CLI_OPT_VERB + 3:
			e->kind = export_kind(optarg);
			break;
		case CLI_OPT_VERB + 4:
			e->label = optarg;
			break;
		case CLI_OPT_VERB + 5:
			e->as_of_seq = (uint64_t)cli_number("--as-of", optarg,
			    1, 1L << 62);
			break;
		case CLI_OPT_VERB + 6:
			st->report_path = optarg;
			break;
		case CLI_OPT_VERB + 7:
			e->page_size =
			    (int)cli_number("--page-size", optarg, 1, 1000);
			break;
		case CLI_OPT_VERB + 8:
			e->page_bytes = (uint32_t)cli_number("--page-bytes",
			    optarg, 512, 1 << 20);
			break;
		}
	}
	if (optind < argc)
		cli_usage_die(&export_verb, "unexpected '%s'", argv[optind]);
	if (st->format == NULL || st->out == NULL)
		cli_usage_die(&export_verb, "give --format and --out");
}

int
cmd_export(struct cli *cli, int argc, char **argv)
{
	Gloss__V1__Request q = GLOSS__V1__REQUEST__INIT;
	Gloss__V1__ExportRequest e = GLOSS__V1__EXPORT_REQUEST__INIT;
	struct export_state st = { 0 };
	Gloss__V1__Reply *r;
	uint64_t as_of = 0;
	char *token = NULL;

	export_options(cli, argc, argv, &e, &st);
	st.folder = strcmp(st.format, "brat") == 0;
	st.progress = isatty(STDERR_FILENO) && !cli->json;
	q.body_case = GLOSS__V1__REQUEST__BODY_EXPORT;
	q.export = &e;
	/* The first page checks the request before anything is created. */
	r = cli_call_or_die(cli, &q);
	export_prepare(&st);
	if (st.report_path != NULL &&
	    (st.report = fopen(st.report_path, "w")) == NULL)
		cli_die("cannot create %s: %s", st.report_path,
		    strerror(errno));
	for (;;) {
		export_page(&st, r->export);
		as_of = r->export->as_of_seq;
		free(token);
		if (r->export->next_page_token[0] == '\0' ||
		    (token = strdup(r->export->next_page_token)) == NULL)
			break;
		rpc_reply_free(r);
		e.page_token = token;
		q.request_id = (char *)"";
		r = cli_call_or_die(cli, &q);
	}
	rpc_reply_free(r);
	export_finish(&st);
	export_summary(cli, &st, as_of);
	free(st.path);
	free(st.part);
	for (size_t i = 0; i < st.n_reasons; i++)
		free(st.reasons[i].reason);
	return 0;
}
