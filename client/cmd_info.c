/* cmd_info: the `info` verb: what the daemon is and how it fares. */
#include <inttypes.h>

#include "cli.h"

static const struct cli_verb info_verb = { "info",
	"usage: gloss info [options]\n"
	"\n"
	"Shows glossd's version, data folder, listeners, uptime, database "
	"sizes\n"
	"and counters.\n"
	"\n"
	"      --json      as one JSON object\n"
	"      --socket URL, --timeout MS\n" };

static const char *
info_role(Gloss__V1__Role r)
{
	static const char *const names[] = { "no role", "reader", "annotator",
		"reviewer", "curator", "admin" };

	return r >= 0 && r < 6 ? names[r] : "?";
}

static void
info_print(const Gloss__V1__GetServerInfoResponse *r)
{
	printf("glossd %s (%s)\n", r->version, r->protocol);
	printf("data folder    %s\n", r->data_dir);
	if (r->caller != NULL)
		printf("you are        %s (%s, by %s%s%s)\n", r->caller->name,
		    info_role(r->caller->role), r->caller->authenticated_by,
		    r->caller->token_id[0] ? " gls_" : "", r->caller->token_id);
	for (size_t i = 0; i < r->n_listen; i++)
		printf("listening on   %s\n", r->listen[i]);
	printf("uptime         %" PRIu64 " s\n", r->uptime_ms / 1000);
	printf("workers        %" PRIu32 "\n", r->workers);
	printf("connections    %" PRIu32 " open, at most %" PRIu32 "; %" PRIu64
	       " refused since start\n",
	    r->connections, r->max_connections, r->connections_refused);
	printf("articles       %" PRIu64 "\n", r->article_count);
	printf("last change    %" PRIu64 "\n", r->last_seq);
	printf("map            %" PRIu64 " MiB used of %" PRIu64
	       " MiB; file %" PRIu64 " MiB\n",
	    r->map_used_bytes >> 20, r->map_size_bytes >> 20,
	    r->file_size_bytes >> 20);
	printf("limits         request %" PRIu32 " bytes, article %" PRIu32
	       " bytes, record %" PRIu32 " bytes\n",
	    r->max_request_bytes, r->max_article_bytes, r->max_record_bytes);
	if (r->unfinished_import != NULL)
		printf("import         UNFINISHED: %s\n", r->import_status);
	printf("served         %" PRIu64 " requests; %" PRIu64
	       " writes in %" PRIu64 " commits; %" PRIu64 " records read\n",
	    r->requests_served, r->writes_committed, r->commits,
	    r->records_read);
	for (size_t i = 0; i < r->n_databases; i++)
		printf("  %-14s %10" PRIu64 " entries %8" PRIu64 " pages\n",
		    r->databases[i]->name, r->databases[i]->entries,
		    r->databases[i]->pages);
}

int
cmd_info(struct cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = { CLI_COMMON_OPTIONS,
		{ NULL, 0, NULL, 0 } };
	Gloss__V1__Request q = GLOSS__V1__REQUEST__INIT;
	Gloss__V1__GetServerInfoRequest gi =
	    GLOSS__V1__GET_SERVER_INFO_REQUEST__INIT;
	Gloss__V1__Reply *r;

	while (cli_getopt(cli, &info_verb, argc, argv, "h", longopts) != -1)
		;
	if (optind < argc)
		cli_usage_die(&info_verb, "unexpected '%s'", argv[optind]);
	q.body_case = GLOSS__V1__REQUEST__BODY_GET_SERVER_INFO;
	q.get_server_info = &gi;
	r = cli_call_or_die(cli, &q);
	if (cli->json)
		cli_print_json(&r->get_server_info->base);
	else
		info_print(r->get_server_info);
	rpc_reply_free(r);
	return 0;
}
