/* cmd_user: the `user` verb: add, list, revoke and rotate users (admin). */
#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "cli.h"

static const struct cli_verb user_verb = { "user",
	"usage: gloss user add NAME --role ROLE\n"
	"       gloss user list\n"
	"       gloss user revoke NAME\n"
	"       gloss user rotate NAME\n"
	"\n"
	"Manages who may use glossd (an admin's job; docs/operations.md).\n"
	"add and rotate print the user's token once: glossd keeps only a\n"
	"hash of it.  The first user turns tokens on for network listeners.\n"
	"\n"
	"      --role ROLE  reader, annotator, reviewer, curator or admin\n"
	"      --json       as JSON\n"
	"      --socket URL, --timeout MS, --token-file FILE\n" };

enum { USER_OPT_ROLE = CLI_OPT_VERB };

static const char *const user_roles[] = { "-", "reader", "annotator",
	"reviewer", "curator", "admin" };

static Gloss__V1__Role
user_role(const char *name)
{
	for (int r = 1; r < 6; r++)
		if (strcmp(name, user_roles[r]) == 0)
			return (Gloss__V1__Role)r;
	cli_usage_die(&user_verb, "no role '%s'", name);
}

static const char *
user_role_name(Gloss__V1__Role r)
{
	return r > 0 && r < 6 ? user_roles[r] : "-";
}

static void
user_time(const char *label, int64_t ms)
{
	char buf[32];
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (ms == 0)
		return;
	strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M", gmtime_r(&t, &tm));
	printf("  %s %s", label, buf);
}

static void
user_print(const Gloss__V1__User *u)
{
	cli_pad(u->name, 16);
	cli_pad(user_role_name(u->role), 10);
	printf("gls_%s", u->token_id);
	user_time("created", u->created_time_ms);
	user_time("rotated", u->rotated_time_ms);
	user_time("REVOKED", u->revoked_time_ms);
	putchar('\n');
}

/* A new token: on stdout alone (for a file), the advice on stderr. */
static void
user_token(struct cli *cli, const ProtobufCMessage *m, const char *name,
    const char *token)
{
	if (cli->json)
		cli_print_json(m);
	else
		printf("%s\n", token);
	fprintf(stderr,
	    "gloss: the token of '%s' is shown this once; give it to them "
	    "to keep in a 0600 file (~/.config/gloss/token) or $GLOSS_TOKEN\n",
	    name);
}

static int
user_add(struct cli *cli, const char *name, Gloss__V1__Role role)
{
	Gloss__V1__Request q = GLOSS__V1__REQUEST__INIT;
	Gloss__V1__CreateUserRequest cu = GLOSS__V1__CREATE_USER_REQUEST__INIT;
	Gloss__V1__Reply *r;

	if (role == GLOSS__V1__ROLE__ROLE_UNSPECIFIED)
		cli_usage_die(&user_verb, "user add needs --role ROLE");
	cu.name = (char *)(uintptr_t)name;
	cu.role = role;
	q.body_case = GLOSS__V1__REQUEST__BODY_CREATE_USER;
	q.create_user = &cu;
	r = cli_call_or_die(cli, &q);
	user_token(cli, &r->create_user->base, name, r->create_user->token);
	rpc_reply_free(r);
	return 0;
}

static int
user_list(struct cli *cli)
{
	Gloss__V1__Request q = GLOSS__V1__REQUEST__INIT;
	Gloss__V1__ListUsersRequest lu = GLOSS__V1__LIST_USERS_REQUEST__INIT;
	Gloss__V1__Reply *r;

	q.body_case = GLOSS__V1__REQUEST__BODY_LIST_USERS;
	q.list_users = &lu;
	r = cli_call_or_die(cli, &q);
	if (cli->json)
		cli_print_json(&r->list_users->base);
	else
		for (size_t i = 0; i < r->list_users->n_users; i++)
			user_print(r->list_users->users[i]);
	rpc_reply_free(r);
	return 0;
}

static int
user_revoke(struct cli *cli, const char *name)
{
	Gloss__V1__Request q = GLOSS__V1__REQUEST__INIT;
	Gloss__V1__RevokeUserRequest ru = GLOSS__V1__REVOKE_USER_REQUEST__INIT;
	Gloss__V1__Reply *r;

	ru.name = (char *)(uintptr_t)name;
	q.body_case = GLOSS__V1__REQUEST__BODY_REVOKE_USER;
	q.revoke_user = &ru;
	r = cli_call_or_die(cli, &q);
	if (cli->json)
		cli_print_json(&r->revoke_user->base);
	else
		user_print(r->revoke_user->user);
	rpc_reply_free(r);
	return 0;
}

static int
user_rotate(struct cli *cli, const char *name)
{
	Gloss__V1__Request q = GLOSS__V1__REQUEST__INIT;
	Gloss__V1__RotateUserTokenRequest rt =
	    GLOSS__V1__ROTATE_USER_TOKEN_REQUEST__INIT;
	Gloss__V1__Reply *r;

	rt.name = (char *)(uintptr_t)name;
	q.body_case = GLOSS__V1__REQUEST__BODY_ROTATE_USER_TOKEN;
	q.rotate_user_token = &rt;
	r = cli_call_or_die(cli, &q);
	user_token(cli, &r->rotate_user_token->base, name,
	    r->rotate_user_token->token);
	rpc_reply_free(r);
	return 0;
}

int
cmd_user(struct cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = { CLI_COMMON_OPTIONS,
		{ "role", required_argument, NULL, USER_OPT_ROLE },
		{ NULL, 0, NULL, 0 } };
	Gloss__V1__Role role = GLOSS__V1__ROLE__ROLE_UNSPECIFIED;
	const char *sub;
	int ch;

	while (
	    (ch = cli_getopt(cli, &user_verb, argc, argv, "h", longopts)) != -1)
		if (ch == USER_OPT_ROLE)
			role = user_role(optarg);
	if (optind >= argc)
		cli_usage_die(&user_verb, "add, list, revoke or rotate?");
	sub = argv[optind++];
	if (strcmp(sub, "list") == 0 && optind == argc)
		return user_list(cli);
	if (optind + 1 != argc)
		cli_usage_die(&user_verb, "user %s takes one NAME", sub);
	if (strcmp(sub, "add") == 0)
		return user_add(cli, argv[optind], role);
	if (strcmp(sub, "revoke") == 0)
		return user_revoke(cli, argv[optind]);
	if (strcmp(sub, "rotate") == 0)
		return user_rotate(cli, argv[optind]);
	cli_usage_die(&user_verb, "no subcommand '%s'", sub);
}
