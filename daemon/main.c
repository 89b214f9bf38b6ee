/*
 * glossd: options, signals, start and orderly stop.  Everything else is in
 * the modules: store (LMDB), writer (group commit), server (nng).
 */
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "call.h"
#include "label.h"
#include "log.h"
#include "server.h"
#include "store.h"
#include "user.h"
#include "writer.h"

#ifndef GLOSS_DEFAULT_DATA
#define GLOSS_DEFAULT_DATA "var"
#endif

#define MAIN_LISTEN_MAX      16
#define MAIN_ARTICLE_KIB_MAX 896 /* a whole article must fit a 1 MiB reply */
/* Descriptors glossd holds besides its connections: LMDB's files, the lock,
 * the log, the listeners, epoll, the eventfd, ICU's data, with room. */
#define MAIN_OWN_FDS 32

struct main_options {
	const char *data_dir;
	const char *listen[MAIN_LISTEN_MAX];
	size_t n_listen;
	unsigned workers;
	unsigned max_connections;
	size_t max_article_kib;
	size_t map_mib;
	/* The network's security (call_env's). */
	const char *tls_cert, *tls_key, *tls_client_ca;
	bool insecure;
	unsigned socket_mode;
	const char *init_admin; /* --init-admin NAME (user.h) */
};

/* Long options without a letter. */
enum {
	MAIN_OPT_TLS_CERT = 0x100,
	MAIN_OPT_TLS_KEY,
	MAIN_OPT_TLS_CLIENT_CA,
	MAIN_OPT_INSECURE,
	MAIN_OPT_SOCKET_MODE,
	MAIN_OPT_INIT_ADMIN,
};

static void
main_usage(FILE *out)
{
	fprintf(out,
	    "usage: glossd [options]\n"
	    "\n"
	    "Serves gloss.v1 requests over nng from an LMDB data folder.\n"
	    "\n"
	    "  -d, --data DIR          data folder (default: %s)\n"
	    "  -l, --listen URL        ipc://PATH, tcp://HOST:PORT, "
	    "tls+tcp://HOST:PORT;\n"
	    "                          repeatable (default: "
	    "ipc://DIR/glossd.sock)\n"
	    "      --tls-cert FILE     tls+tcp://'s certificate (PEM)\n"
	    "      --tls-key FILE      its private key (PEM)\n"
	    "      --tls-client-ca FILE  require client certificates signed "
	    "by this CA\n"
	    "      --insecure          allow tcp:// (no TLS) beyond "
	    "loopback\n"
	    "      --socket-mode MODE  the ipc socket's mode (default: 0600; "
	    "0660: its group)\n"
	    "  -w, --workers N         request threads (default: 16)\n"
	    "      --max-connections N clients connected at once (default: "
	    "512)\n"
	    "      --max-article-kib N largest article text (default: 512, "
	    "at most %d)\n"
	    "      --map-mib N         initial LMDB map size (default: 1024;\n"
	    "                          it grows when full)\n"
	    "      --log-level LEVEL   error, warn, info or debug (default: "
	    "info)\n"
	    "      --init-admin NAME   make user NAME an admin, print its "
	    "token\n"
	    "                          once and exit (docs/operations.md)\n"
	    "  -V, --version           print the version and exit\n"
	    "  -h, --help              print this help and exit\n"
	    "\n"
	    "Stop it with SIGINT or SIGTERM: requests in flight are answered "
	    "first.\n",
	    GLOSS_DEFAULT_DATA, MAIN_ARTICLE_KIB_MAX);
}

static unsigned long
main_number(const char *flag, const char *arg, unsigned long lo,
    unsigned long hi)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(arg, &end, 10);
	if (errno != 0 || *end != '\0' || arg[0] == '\0' || v < lo || v > hi)
		fatal("%s takes a number from %lu to %lu, not '%s'", flag, lo,
		    hi, arg);
	return v;
}

/* An octal mode for the socket: its owner reads and writes it, and no
 * one else but its group may (a socket open to all would let every local
 * user in). */
static unsigned
main_mode(const char *arg)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(arg, &end, 8);
	if (errno != 0 || *end != '\0' || arg[0] == '\0' || v > 0777 ||
	    (v & 0600) != 0600 || (v & 0007) != 0)
		fatal("--socket-mode takes an octal mode with 0600 and "
		      "nothing for others, e.g. 0600 or 0660, not '%s'",
		    arg);
	return (unsigned)v;
}

/* The network's security options. */
static void
main_option_net(struct main_options *o, int ch, const char *arg)
{
	switch (ch) {
	case MAIN_OPT_TLS_CERT:
		o->tls_cert = arg;
		break;
	case MAIN_OPT_TLS_KEY:
		o->tls_key = arg;
		break;
	case MAIN_OPT_TLS_CLIENT_CA:
		o->tls_client_ca = arg;
		break;
	case MAIN_OPT_INSECURE:
		o->insecure = true;
		break;
	case MAIN_OPT_SOCKET_MODE:
		o->socket_mode = main_mode(arg);
		break;
	}
}

static void
main_option(struct main_options *o, int ch, const char *arg)
{
	int level;

	switch (ch) {
	case 'd':
		o->data_dir = arg;
		break;
	case 'l':
		if (o->n_listen == MAIN_LISTEN_MAX)
			fatal("at most %d --listen URLs", MAIN_LISTEN_MAX);
		o->listen[o->n_listen++] = arg;
		break;
	case 'w':
		o->workers = (unsigned)main_number("--workers", arg, 1, 256);
		break;
	case 'c':
		o->max_connections =
		    (unsigned)main_number("--max-connections", arg, 1, 1 << 20);
		break;
	case 'a':
		o->max_article_kib = main_number("--max-article-kib", arg, 1,
		    MAIN_ARTICLE_KIB_MAX);
		break;
	case 'm':
		o->map_mib = main_number("--map-mib", arg, 1, 1 << 24);
		break;
	case MAIN_OPT_INIT_ADMIN:
		o->init_admin = arg;
		break;
	case 'L':
		if ((level = log_parse_level(arg)) < 0)
			fatal("--log-level takes error, warn, info or debug");
		log_set_level((enum log_level)level);
		break;
	default: /* the network's, which it ignores if not */
		main_option_net(o, ch, arg);
		break;
	}
}

static void
main_parse(int argc, char **argv, struct main_options *o)
{
	static const struct option longopts[] = {
		{ "data", required_argument, NULL, 'd' },
		{ "listen", required_argument, NULL, 'l' },
		{ "workers", required_argument, NULL, 'w' },
		{ "max-connections", required_argument, NULL, 'c' },
		{ "max-article-kib", required_argument, NULL, 'a' },
		{ "map-mib", required_argument, NULL, 'm' },
		{ "log-level", required_argument, NULL, 'L' },
		{ "tls-cert", required_argument, NULL, MAIN_OPT_TLS_CERT },
		{ "tls-key", required_argument, NULL, MAIN_OPT_TLS_KEY },
		{ "tls-client-ca", required_argument, NULL,
		    MAIN_OPT_TLS_CLIENT_CA },
		{ "insecure", no_argument, NULL, MAIN_OPT_INSECURE },
		{ "socket-mode", required_argument, NULL,
		    MAIN_OPT_SOCKET_MODE },
		{ "init-admin", required_argument, NULL, MAIN_OPT_INIT_ADMIN },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	while (
	    (ch = getopt_long(argc, argv, "d:l:w:Vh", longopts, NULL)) != -1) {
		if (ch == 'h') {
			main_usage(stdout);
			exit(0);
		}
		if (ch == 'V') {
			printf("glossd %s (gloss.v1)\n", GLOSS_VERSION);
			exit(0);
		}
		if (ch == '?') {
			main_usage(stderr);
			exit(2);
		}
		main_option(o, ch, optarg);
	}
	if (optind < argc)
		fatal("unexpected argument '%s' (see glossd --help)",
		    argv[optind]);
}

static void
main_env(struct call_env *env, struct main_options *o, char *ipc)
{
	env->data_dir = o->data_dir;
	if (o->n_listen == 0) {
		o->listen[o->n_listen++] = ipc;
		snprintf(ipc, 4096, "ipc://%s/glossd.sock", o->data_dir);
	}
	env->listen = o->listen;
	env->n_listen = o->n_listen;
	env->workers = o->workers;
	env->max_connections = o->max_connections;
	env->tls_cert = o->tls_cert;
	env->tls_key = o->tls_key;
	env->tls_client_ca = o->tls_client_ca;
	env->insecure = o->insecure;
	env->socket_mode = o->socket_mode;
	env->max_request_bytes = (size_t)1 << 20;
	env->max_reply_bytes = (size_t)1 << 20;
	env->max_article_bytes = o->max_article_kib << 10;
	env->start_time_ms = call_now_ms();
}

/*
 * Raises the soft limit on open files to the hard one, and keeps the
 * connection cap below what it allows (each connection is a descriptor;
 * glossd needs MAIN_OWN_FDS more).
 */
static void
main_fd_limit(struct main_options *o)
{
	struct rlimit rl;
	rlim_t want;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
		(void)getrlimit(RLIMIT_NOFILE, &rl);
	}
	want = (rlim_t)o->max_connections + MAIN_OWN_FDS;
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want) {
		o->max_connections =
		    rl.rlim_cur > MAIN_OWN_FDS + 1
		        ? (unsigned)(rl.rlim_cur - MAIN_OWN_FDS)
		        : 1;
		log_warn("open files are limited to %llu: at most %u "
		         "connections (raise `ulimit -n` for more)",
		    (unsigned long long)rl.rlim_cur, o->max_connections);
	}
}

/* Blocks until SIGINT or SIGTERM.  The signals are blocked in every thread
 * (set before any starts), so only this sigwait() sees them. */
static int
main_wait(const sigset_t *set)
{
	int sig = 0;

	while (sigwait(set, &sig) != 0)
		;
	return sig;
}

/* --init-admin: the first admin's token, printed once; then exits.
 * Without it (name NULL), nothing. */
static void
main_init_admin(struct store *st, const char *name)
{
	char token[AUTH_TOKEN_CHARS + 1];
	enum status s;

	if (name == NULL)
		return;
	s = user_init_admin(st, name, token);
	store_close(st);
	if (s == STATUS_ALREADY_EXISTS)
		fatal("user '%s' exists; an admin gives it a new token with "
		      "gloss user rotate",
		    name);
	if (s == STATUS_INVALID_ARGUMENT)
		fatal("--init-admin: a user name is 1-64 bytes of UTF-8 "
		      "without control, bidirectional or line-separator "
		      "characters");
	if (s != STATUS_OK)
		fatal("--init-admin: cannot store the user (%s)",
		    status_name(s));
	printf("%s\n", token);
	fflush(stdout);
	fprintf(stderr,
	    "glossd: user '%s' is an admin; its token is above, shown this "
	    "once: keep it in a 0600 file (~/.config/gloss/token)\n",
	    name);
	exit(0);
}

/* Signals are waited for by main_wait(), not handled: every thread
 * blocks them; a peer's hang-up is an error, not SIGPIPE. */
static void
main_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, set, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* Opens the store in o's data folder, with the default label sets. */
static void
main_store(const struct main_options *o, struct call_env *env)
{
	struct store_options so = { 0 };
	char why[1024];

	so.dir = o->data_dir;
	so.map_size = o->map_mib << 20;
	if (store_open(&so, &env->store, why, sizeof(why)) != STATUS_OK)
		fatal("%s", why);
	if (label_install_defaults(env->store) != STATUS_OK) {
		store_close(env->store);
		fatal("cannot install the default label sets in %s",
		    o->data_dir);
	}
}

int
main(int argc, char **argv)
{
	struct main_options o = { .data_dir = GLOSS_DEFAULT_DATA,
		.workers = 16,
		.max_connections = 512,
		.max_article_kib = 512,
		.map_mib = 1024 };
	static struct call_env env;
	static char ipc[4096];
	struct server *sv;
	char why[1024];
	sigset_t set;
	int sig;

	main_parse(argc, argv, &o);
	main_fd_limit(&o);
	/* Replies and requests of up to 1 MiB come and go: a fixed mmap
	 * threshold gives the large ones back to the system when freed
	 * (glibc's sliding threshold would keep them in the heap after a
	 * burst). */
	mallopt(M_MMAP_THRESHOLD, 256 * 1024);
	main_signals(&set);
	main_store(&o, &env);
	main_init_admin(env.store, o.init_admin);
	main_env(&env, &o, ipc);
	store_secret(env.store, env.page_secret);
	if (writer_start(&env, &env.writer) != STATUS_OK)
		fatal("cannot start the writer thread");
	if (server_start(&env, &sv, why, sizeof(why)) != STATUS_OK) {
		writer_stop(env.writer);
		store_close(env.store);
		fatal("%s", why);
	}
	for (size_t i = 0; i < env.n_listen; i++)
		log_info("glossd %s serving %s on %s", GLOSS_VERSION,
		    o.data_dir, env.listen[i]);
	sig = main_wait(&set);
	log_info("%s: finishing requests in flight", strsignal(sig));
	server_stop(sv);
	writer_stop(env.writer);
	store_close(env.store);
	log_info("stopped");
	return 0;
}
