/*
 * fuzz_serve: libFuzzer's entry to glossd's request path.  Each input is
 * one or more packed requests joined by FUZZ_SEP; each is served by
 * serve_request() exactly as glossd serves a received message, against a
 * real LMDB store made afresh for the input (so that a crash reproduces
 * from its input alone, and etags and ids are the same on every run), with
 * a small map so that map growth is exercised.  Every reply is checked
 * against what the protocol promises; a broken promise aborts.
 */
#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "label.h"
#include "log.h"
#include "serve.h"
#include "store.h"
#include "text.h"
#include "wire.h"
#include "writer.h"

/* Not UTF-8, so it splits no string of a request; the generator checks
 * that no seed request contains it. */
#define FUZZ_SEP       "\xff\xfe\xfd\xfc"
#define FUZZ_SEP_LEN   4
#define FUZZ_REQS_MAX  16
#define FUZZ_REPLY_MAX ((size_t)1 << 20)
/* An empty store takes 28 KiB: the first writes grow the map. */
#define FUZZ_MAP ((size_t)64 << 10)

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char fuzz_dir[256];
static struct call_env fuzz_env;
/* Every input comes as from a local process of glossd's own user. */
static struct call_peer fuzz_peer = { .ipc = true, .addr = "fuzz" };
static bool fuzz_verbose; /* $FUZZ_SERVE_VERBOSE: print every reply's status */

/* What a broken promise prints before it aborts, so that the report says
 * which promise it was and for which request. */
static void
fuzz_fail(const char *what, size_t nth)
{
	fprintf(stderr, "fuzz_serve: request %zu: %s\n", nth, what);
	abort();
}

/* The first FUZZ_SEP in p[0..n), or NULL.  (memmem is a GNU extension.) */
static const uint8_t *
fuzz_find_sep(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + FUZZ_SEP_LEN <= n; i++)
		if (memcmp(p + i, FUZZ_SEP, FUZZ_SEP_LEN) == 0)
			return p + i;
	return NULL;
}

static void
fuzz_clear_dir(void)
{
	DIR *d = opendir(fuzz_dir);
	struct dirent *e;
	char path[512];

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", fuzz_dir, e->d_name);
		unlink(path);
	}
	closedir(d);
}

static void
fuzz_cleanup(void)
{
	fuzz_clear_dir();
	rmdir(fuzz_dir);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";

	(void)argc;
	(void)argv;
	snprintf(fuzz_dir, sizeof(fuzz_dir), "%s/gloss-fuzz-XXXXXX", tmp);
	if (mkdtemp(fuzz_dir) == NULL) {
		perror("mkdtemp");
		exit(1);
	}
	atexit(fuzz_cleanup);
	log_set_level(LOG_ERROR);
	if (writer_start(&fuzz_env, &fuzz_env.writer) != STATUS_OK)
		abort();
	fuzz_verbose = getenv("FUZZ_SERVE_VERBOSE") != NULL;
	return 0;
}

/* The daemon as main.c sets it up, on an empty data folder.  The writer
 * thread is started once (LLVMFuzzerInitialize) and finds the store through
 * env->store, so that no thread is made and joined per input. */
static void
fuzz_start(struct call_env *env)
{
	struct store_options so = { .dir = fuzz_dir, .map_size = FUZZ_MAP };
	char why[1024];

	if (store_open(&so, &env->store, why, sizeof(why)) != STATUS_OK ||
	    label_install_defaults(env->store) != STATUS_OK) {
		fprintf(stderr, "fuzz_serve: %s\n", why);
		abort();
	}
	env->data_dir = fuzz_dir;
	env->workers = 1;
	env->max_request_bytes = (size_t)1 << 20;
	env->max_reply_bytes = FUZZ_REPLY_MAX;
	env->max_article_bytes = (size_t)512 << 10;
	env->start_time_ms = call_now_ms();
	store_secret(env->store, env->page_secret);
}

/* Every request has been answered, so the writer is idle: the store can
 * go. */
static void
fuzz_stop(struct call_env *env)
{
	struct store_txn *t;
	struct store_info si;

	if (fuzz_verbose && store_read_begin(env->store, &t) == STATUS_OK) {
		if (store_info(t, &si) == STATUS_OK)
			fprintf(stderr,
			    "fuzz_serve: map %" PRIu64 " used %" PRIu64 "\n",
			    si.map_size, si.map_used);
		store_read_end(t);
	}
	store_close(env->store);
	env->store = NULL;
	fuzz_clear_dir();
}

struct fuzz_reply {
	uint8_t *buf;
	size_t n;
};

static void *
fuzz_alloc(void *arg, size_t n)
{
	struct fuzz_reply *r = arg;

	r->buf = malloc(n ? n : 1);
	r->n = n;
	return r->buf;
}

/* The request's method arm, or NOT_SET if it does not unpack at all. */
static Gloss__V1__Request__BodyCase
fuzz_request_arm(const uint8_t *req, size_t n)
{
	Gloss__V1__Request *q;
	Gloss__V1__Request__BodyCase arm;

	if ((q = gloss__v1__request__unpack(NULL, n, req)) == NULL)
		return GLOSS__V1__REQUEST__BODY__NOT_SET;
	arm = q->body_case;
	gloss__v1__request__free_unpacked(q, NULL);
	return arm;
}

/* The promises of docs/protocol.md about any reply to any request. */
static void
fuzz_check_reply(const uint8_t *req, size_t n, const struct fuzz_reply *r,
    size_t nth)
{
	struct wire_error e;
	Gloss__V1__Reply *p;
	size_t bad;

	if (r->n > FUZZ_REPLY_MAX)
		fuzz_fail("the reply is over 1 MiB", nth);
	if (wire_check(&gloss__v1__reply__descriptor, r->buf, r->n, &e) !=
	    WIRE_OK) {
		fprintf(stderr, "fuzz_serve: fault %d at '%s' (byte %zu)\n",
		    (int)e.fault, e.path, e.text_at);
		fuzz_fail("the reply has a bad string or an unknown field",
		    nth);
	}
	if ((p = gloss__v1__reply__unpack(NULL, r->n, r->buf)) == NULL)
		fuzz_fail("the reply does not unpack as gloss.v1.Reply", nth);
	if (p->status == NULL)
		fuzz_fail("the reply has no status", nth);
	if ((unsigned)p->status->code > 16)
		fuzz_fail("the status code is not one of gRPC's", nth);
	if (!text_utf8_check(p->status->message, strlen(p->status->message),
	        &bad))
		fuzz_fail("the status message is not UTF-8", nth);
	if (p->status->code != 0 &&
	    (p->status->message[0] == '\0' ||
	        p->body_case != GLOSS__V1__REPLY__BODY__NOT_SET))
		fuzz_fail("an error without a message, or with a body", nth);
	if (p->status->code == 0 &&
	    (int)p->body_case != (int)fuzz_request_arm(req, n))
		fuzz_fail("an OK reply not in the request's arm", nth);
	if (fuzz_verbose)
		fprintf(stderr, "fuzz_serve: request %zu: arm %d: %d %s\n", nth,
		    (int)fuzz_request_arm(req, n), (int)p->status->code,
		    p->status->message);
	gloss__v1__reply__free_unpacked(p, NULL);
}

/* Serves one request as a worker would: a long poll that parks is served
 * again once its wait is over (here at once, without parking). */
static void
fuzz_serve_one(const uint8_t *req, size_t n, size_t nth)
{
	struct fuzz_reply r = { NULL, 0 };
	struct serve_out out = { fuzz_alloc, &r };
	uint32_t park_ms;
	enum serve_result res;

	res = serve_request(&fuzz_env, &fuzz_peer, req, n, SERVE_MAY_PARK, &out,
	    &park_ms);
	if (res == SERVE_PARKED)
		res = serve_request(&fuzz_env, &fuzz_peer, req, n, 0, &out,
		    &park_ms);
	if (res != SERVE_REPLIED)
		fuzz_fail("no reply", nth);
	fuzz_check_reply(req, n, &r, nth);
	free(r.buf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p = data, *end = data + size, *sep;
	size_t nth = 0;

	fuzz_peer.has_uid = true;
	fuzz_peer.uid = getuid();
	fuzz_start(&fuzz_env);
	while (nth < FUZZ_REQS_MAX) {
		sep = fuzz_find_sep(p, (size_t)(end - p));
		fuzz_serve_one(p, (size_t)((sep ? sep : end) - p), nth++);
		if (sep == NULL)
			break;
		p = sep + FUZZ_SEP_LEN;
	}
	fuzz_stop(&fuzz_env);
	return 0;
}
