/*
 * gloss-bench: glossd's speed beside baselines measured in the same run.
 *
 *   reads:  GetArticle round trips/s  vs  a bare nng REQ/REP over ipc (a
 *           short request, a 4 KiB reply),
 *           and a bare LMDB mdb_get loop;
 *   writes: CreateArticle/s with C concurrent clients (group commit)  vs  a
 *           bare LMDB loop committing (with fsync) one small write at a time;
 *   queries (--annotations N): records read and time of ListAnnotations for
 *           a rare label among N annotations  vs  a filter no index serves;
 *   export (--export): each format's whole export of what the run stored
 *           vs  a bare nng transfer of the same pages; glossd's memory.
 *
 * It starts its own glossd (--glossd PATH, default: beside this binary) on a
 * temporary data folder, so it measures nothing else's data, and removes the
 * folder at the end.  Usage: gloss-bench [--seconds S] [--clients C]
 *                      [--glossd PATH] [--annotations N] [--export]
 */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <lmdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/protocol/reqrep0/req.h>

#include "rpc.h"

struct bench {
	double seconds;
	int clients;
	char glossd[1024];
	char dir[256];
	char url[320];
	pid_t pid;
	long annotations; /* --annotations: the query-cost figure's corpus */
	bool export;      /* --export: export everything, every format */
};

static double
bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
bench_die(const char *what)
{
	fprintf(stderr, "gloss-bench: %s\n", what);
	exit(1);
}

/* ------------------------------------------------------------ baselines */

struct bench_echo {
	nng_socket rep;
	size_t reply_size; /* 0: echo what came */
};

static void *
bench_echo_server(void *arg)
{
	struct bench_echo *e = arg;
	nng_msg *m;

	while (nng_recvmsg(e->rep, &m, 0) == 0) {
		if (e->reply_size > 0) {
			nng_msg_free(m);
			if (nng_msg_alloc(&m, e->reply_size) != 0)
				break;
		}
		if (nng_sendmsg(e->rep, m, 0) != 0)
			nng_msg_free(m);
	}
	return NULL;
}

/*
 * A bare nng REQ/REP over ipc, one client: round trips of `size`-byte
 * requests answered by `reply_size`-byte replies (0: the request echoed),
 * until `count` are done or `seconds` have passed.  Returns round trips/s.
 */
static double
bench_nng_run(const struct bench *b, size_t size, size_t reply_size, long count,
    double seconds)
{
	struct bench_echo e = { .reply_size = reply_size };
	nng_socket req;
	pthread_t t;
	char url[300];
	nng_msg *m;
	long n = 0;
	double t0;

	snprintf(url, sizeof(url), "ipc://%s/echo.sock", b->dir);
	if (nng_rep0_open(&e.rep) != 0 ||
	    nng_listen(e.rep, url, NULL, 0) != 0 || nng_req0_open(&req) != 0 ||
	    nng_dial(req, url, NULL, 0) != 0)
		bench_die("cannot set up the nng echo baseline");
	nng_socket_set_size(req, NNG_OPT_RECVMAXSZ, 0);
	nng_socket_set_size(e.rep, NNG_OPT_RECVMAXSZ, 0);
	pthread_create(&t, NULL, bench_echo_server, &e);
	t0 = bench_now();
	while (n < count && bench_now() - t0 < seconds) {
		nng_msg_alloc(&m, size);
		if (nng_sendmsg(req, m, 0) != 0 || nng_recvmsg(req, &m, 0) != 0)
			bench_die("echo failed");
		nng_msg_free(m);
		n++;
	}
	t0 = (double)n / (bench_now() - t0);
	nng_close(req);
	nng_close(e.rep);
	pthread_join(t, NULL);
	return t0;
}

static MDB_env *
bench_lmdb_open(const struct bench *b, MDB_dbi *dbi)
{
	char path[300];
	MDB_env *env;
	MDB_txn *txn;

	snprintf(path, sizeof(path), "%s/baseline", b->dir);
	mkdir(path, 0700);
	if (mdb_env_create(&env) != 0 ||
	    mdb_env_set_mapsize(env, (size_t)1 << 30) != 0 ||
	    mdb_env_open(env, path, 0, 0600) != 0 ||
	    mdb_txn_begin(env, NULL, 0, &txn) != 0 ||
	    mdb_dbi_open(txn, NULL, 0, dbi) != 0 || mdb_txn_commit(txn) != 0)
		bench_die("cannot open the LMDB baseline");
	return env;
}

/* Bare LMDB: gets/s of one 4 KiB record, one read txn per get (as glossd
 * takes one per request); and durable single-write commits/s. */
static void
bench_lmdb(const struct bench *b, double *gets, double *commits)
{
	static char value[4096];
	MDB_dbi dbi;
	MDB_env *env = bench_lmdb_open(b, &dbi);
	MDB_val k = { 4, (void *)"key0" }, v = { sizeof(value), value };
	MDB_txn *txn;
	long n = 0;
	double t0;
	char key[32];

	mdb_txn_begin(env, NULL, 0, &txn);
	mdb_put(txn, dbi, &k, &v, 0);
	mdb_txn_commit(txn);
	for (t0 = bench_now(); bench_now() - t0 < b->seconds; n++) {
		mdb_txn_begin(env, NULL, MDB_RDONLY, &txn);
		if (mdb_get(txn, dbi, &k, &v) != 0)
			bench_die("baseline get failed");
		mdb_txn_abort(txn);
	}
	*gets = (double)n / (bench_now() - t0);
	v.mv_data = value;
	v.mv_size = sizeof(value);
	for (n = 0, t0 = bench_now(); bench_now() - t0 < b->seconds; n++) {
		k.mv_size = (size_t)snprintf(key, sizeof(key), "w%ld", n);
		k.mv_data = key;
		mdb_txn_begin(env, NULL, 0, &txn);
		mdb_put(txn, dbi, &k, &v, 0);
		if (mdb_txn_commit(txn) != 0)
			bench_die("baseline commit failed");
	}
	*commits = (double)n / (bench_now() - t0);
	mdb_env_close(env);
}

/* ------------------------------------------------------------ glossd */

static void
bench_start_glossd(struct bench *b)
{
	struct rpc_client *c;
	char why[256], data[300];

	snprintf(data, sizeof(data), "%s/data", b->dir);
	snprintf(b->url, sizeof(b->url), "ipc://%s/glossd.sock", data);
	if ((b->pid = fork()) == 0) {
		execl(b->glossd, b->glossd, "--data", data, "--log-level",
		    "warn", (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 500; i++) {
		if (rpc_open(b->url, &c, why, sizeof(why)) == 0) {
			rpc_close(c);
			return;
		}
		usleep(10000);
	}
	bench_die("glossd did not start (is --glossd right?)");
}

static int
bench_create(struct rpc_client *c, const char *id, char *text)
{
	Gloss__V1__Request q = GLOSS__V1__REQUEST__INIT;
	Gloss__V1__CreateArticleRequest ca =
	    GLOSS__V1__CREATE_ARTICLE_REQUEST__INIT;
	Gloss__V1__Article a = GLOSS__V1__ARTICLE__INIT;
	Gloss__V1__Reply *r;
	int code;

	a.id = (char *)(uintptr_t)id;
	a.language = (char *)"pt";
	a.text = text;
	ca.article = &a;
	q.body_case = GLOSS__V1__REQUEST__BODY_CREATE_ARTICLE;
	q.create_article = &ca;
	code = rpc_call(c, &q, 30000, &r);
	rpc_reply_free(r);
	return code;
}

struct bench_client {
	const struct bench *b;
	int phase, index; /* ids are unique across phases and clients */
	bool write;
	long done;
};

static char bench_text[4096];

static void *
bench_client_main(void *arg)
{
	struct bench_client *bc = arg;
	Gloss__V1__Request q = GLOSS__V1__REQUEST__INIT;
	Gloss__V1__GetArticleRequest g = GLOSS__V1__GET_ARTICLE_REQUEST__INIT;
	struct rpc_client *c;
	Gloss__V1__Reply *r;
	char why[256], id[64];
	double t0 = bench_now();

	if (rpc_open(bc->b->url, &c, why, sizeof(why)) != 0)
		bench_die(why);
	g.id = (char *)"read-me";
	q.body_case = GLOSS__V1__REQUEST__BODY_GET_ARTICLE;
	q.get_article = &g;
	while (bench_now() - t0 < bc->b->seconds) {
		if (bc->write) {
			snprintf(id, sizeof(id), "p%d-c%d-%ld", bc->phase,
			    bc->index, bc->done);
			if (bench_create(c, id, bench_text) != 0)
				bench_die(rpc_error(c));
		} else {
			q.request_id = (char *)"";
			if (rpc_call(c, &q, 30000, &r) != 0)
				bench_die(rpc_error(c));
			rpc_reply_free(r);
		}
		bc->done++;
	}
	rpc_close(c);
	return NULL;
}

/* Calls/s over `clients` concurrent connections. */
static double
bench_glossd(const struct bench *b, int clients, bool write)
{
	static int phase;
	struct bench_client bc[64];
	pthread_t t[64];
	double t0 = bench_now();
	long total = 0;

	for (int i = 0; i < clients; i++) {
		bc[i] = (struct bench_client){ b, phase, i, write, 0 };
		pthread_create(&t[i], NULL, bench_client_main, &bc[i]);
	}
	for (int i = 0; i < clients; i++) {
		pthread_join(t[i], NULL);
		total += bc[i].done;
	}
	phase++;
	return (double)total / (bench_now() - t0);
}

/* ------------------------------------------------------------ query cost */

/* Annotations are spread over this many articles (100 each at 100k). */
#define BENCH_ANN_ARTICLES 1000

struct bench_tagger {
	const struct bench *b;
	long count, first;
};

static void
bench_tag(struct rpc_client *c, const char *article, const char *label)
{
	Gloss__V1__Request q = GLOSS__V1__REQUEST__INIT;
	Gloss__V1__CreateAnnotationRequest ca =
	    GLOSS__V1__CREATE_ANNOTATION_REQUEST__INIT;
	Gloss__V1__Annotation a = GLOSS__V1__ANNOTATION__INIT;
	Gloss__V1__SpanSelector sel = GLOSS__V1__SPAN_SELECTOR__INIT, *sels[1];
	Gloss__V1__Range rg = GLOSS__V1__RANGE__INIT;
	Gloss__V1__Entity e = GLOSS__V1__ENTITY__INIT;
	Gloss__V1__Reply *r;

	rg.unit = GLOSS__V1__UNIT__UNIT_CHARS;
	rg.end = 10;
	sel.selector_case = GLOSS__V1__SPAN_SELECTOR__SELECTOR_RANGE;
	sel.range = &rg;
	sels[0] = &sel;
	e.label = (char *)(uintptr_t)label;
	a.article_id = (char *)(uintptr_t)article;
	a.select = sels;
	a.n_select = 1;
	a.body_case = GLOSS__V1__ANNOTATION__BODY_ENTITY;
	a.entity = &e;
	ca.annotation = &a;
	q.body_case = GLOSS__V1__REQUEST__BODY_CREATE_ANNOTATION;
	q.create_annotation = &ca;
	if (rpc_call(c, &q, 30000, &r) != 0)
		bench_die(rpc_error(c));
	rpc_reply_free(r);
}

static void *
bench_tagger_main(void *arg)
{
	struct bench_tagger *t = arg;
	struct rpc_client *c;
	char why[256], id[64];

	if (rpc_open(t->b->url, &c, why, sizeof(why)) != 0)
		bench_die(why);
	for (long i = 0; i < t->count; i++) {
		snprintf(id, sizeof(id), "ann-%ld",
		    (t->first + i) % BENCH_ANN_ARTICLES);
		bench_tag(c, id,
		    (t->first + i) % 33333 == 7 ? "LAW" : "PERSON");
	}
	rpc_close(c);
	return NULL;
}

/* Records glossd reads (GetServerInfo.records_read) to answer one
 * ListAnnotations, and how long it takes. */
static uint64_t
bench_list_cost(struct rpc_client *c, const char *label, int64_t after,
    double *ms, size_t *found)
{
	Gloss__V1__Request q = GLOSS__V1__REQUEST__INIT;
	Gloss__V1__GetServerInfoRequest gi =
	    GLOSS__V1__GET_SERVER_INFO_REQUEST__INIT;
	Gloss__V1__ListAnnotationsRequest l =
	    GLOSS__V1__LIST_ANNOTATIONS_REQUEST__INIT;
	Gloss__V1__Reply *r;
	uint64_t before;
	double t0;

	q.body_case = GLOSS__V1__REQUEST__BODY_GET_SERVER_INFO;
	q.get_server_info = &gi;
	if (rpc_call(c, &q, 30000, &r) != 0)
		bench_die(rpc_error(c));
	before = r->get_server_info->records_read;
	rpc_reply_free(r);
	l.label = (char *)(uintptr_t)label;
	l.updated_after_ms = after;
	l.page_size = 1000;
	q.body_case = GLOSS__V1__REQUEST__BODY_LIST_ANNOTATIONS;
	q.list_annotations = &l;
	t0 = bench_now();
	if (rpc_call(c, &q, 60000, &r) != 0)
		bench_die(rpc_error(c));
	*ms = 1000 * (bench_now() - t0);
	*found = r->list_annotations->n_annotations;
	rpc_reply_free(r);
	q.body_case = GLOSS__V1__REQUEST__BODY_GET_SERVER_INFO;
	q.get_server_info = &gi;
	if (rpc_call(c, &q, 30000, &r) != 0)
		bench_die(rpc_error(c));
	before = r->get_server_info->records_read - before;
	rpc_reply_free(r);
	return before;
}

/* N annotations on BENCH_ANN_ARTICLES articles, 1 in 33333 labelled LAW:
 * what a query for the rare label reads, beside a filter no index serves
 * (it reads everything). */
static void
bench_query_cost(const struct bench *b, long n)
{
	struct bench_tagger t[64];
	pthread_t th[64];
	struct rpc_client *c;
	char why[256];
	double t0 = bench_now(), secs, ms_rare, ms_all;
	size_t found_rare, found_all;
	uint64_t rare, all;
	char id[64];

	if (rpc_open(b->url, &c, why, sizeof(why)) != 0)
		bench_die(why);
	for (int i = 0; i < BENCH_ANN_ARTICLES; i++) {
		snprintf(id, sizeof(id), "ann-%d", i);
		if (bench_create(c, id, bench_text) != 0)
			bench_die(rpc_error(c));
	}
	rpc_close(c);
	t0 = bench_now();
	for (int i = 0; i < b->clients; i++) {
		t[i] = (struct bench_tagger){ b, n / b->clients,
			i * (n / b->clients) };
		pthread_create(&th[i], NULL, bench_tagger_main, &t[i]);
	}
	for (int i = 0; i < b->clients; i++)
		pthread_join(th[i], NULL);
	secs = bench_now() - t0;
	if (rpc_open(b->url, &c, why, sizeof(why)) != 0)
		bench_die(why);
	rare = bench_list_cost(c, "LAW", 0, &ms_rare, &found_rare);
	all = bench_list_cost(c, "", (int64_t)(time(NULL) + 3600) * 1000,
	    &ms_all, &found_all);
	rpc_close(c);
	printf("%-44s %12.0f\n", "glossd CreateAnnotation, C clients",
	    (double)(n / b->clients * b->clients) / secs);
	printf("%-44s %12s %10s %8s\n", "query", "records read", "ms",
	    "matches");
	printf("%-44s %12llu %10.1f %8zu\n", "label=LAW (rare, indexed)",
	    (unsigned long long)rare, ms_rare, found_rare);
	printf("%-44s %12llu %10.1f %8zu\n",
	    "baseline: updated_after_ms (no index, 0 match)",
	    (unsigned long long)all, ms_all, found_all);
}

/* ------------------------------------------------------------ export */

/*
 * glossd's resident anonymous memory (RssAnon: heap and stacks), in KiB.
 * Not VmHWM: that counts the pages of data.mdb that LMDB's map has read in,
 * which follow the database, not what glossd allocates.
 */
static long
bench_anon_kib(pid_t pid)
{
	char path[64], line[256];
	long kib = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "RssAnon: %ld kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

/* One whole export of everything in `format`: pages, bytes, seconds. */
static void
bench_export_run(struct rpc_client *c, const char *format, long *pages,
    double *bytes, double *secs)
{
	Gloss__V1__Request q = GLOSS__V1__REQUEST__INIT;
	Gloss__V1__ExportRequest x = GLOSS__V1__EXPORT_REQUEST__INIT;
	Gloss__V1__Reply *r;
	char token[1024] = "";
	double t0 = bench_now();

	*pages = 0;
	*bytes = 0;
	x.format = (char *)(uintptr_t)format;
	x.page_size = 1000;
	q.body_case = GLOSS__V1__REQUEST__BODY_EXPORT;
	q.export = &x;
	do {
		x.page_token = token;
		if (rpc_call(c, &q, 60000, &r) != 0)
			bench_die(rpc_error(c));
		for (size_t i = 0; i < r->export->n_chunks; i++)
			*bytes += (double)r->export->chunks[i]->data.len;
		snprintf(token, sizeof(token), "%s",
		    r->export->next_page_token);
		rpc_reply_free(r);
		(*pages)++;
	} while (token[0] != '\0');
	*secs = bench_now() - t0;
}

/*
 * Every format's whole export of what the run stored, beside a bare nng
 * transfer of the same number of pages of the same size (what moving the
 * bytes costs), and glossd's own memory before and after.
 */
static void
bench_export(const struct bench *b)
{
	static const char *const formats[] = { "jsonl", "w3c", "brat", "conll",
		"mqm", "spacy" };
	struct rpc_client *c;
	char why[256];
	long pages, before = bench_anon_kib(b->pid);
	double bytes, secs, base;

	if (rpc_open(b->url, &c, why, sizeof(why)) != 0)
		bench_die(why);
	printf("%-44s %8s %8s %8s %8s\n", "export (everything)", "MB", "pages",
	    "s", "MB/s");
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		bench_export_run(c, formats[i], &pages, &bytes, &secs);
		base = (double)pages / bench_nng_run(b, 64,
		                           (size_t)(bytes / (double)pages),
		                           pages, 1e9);
		printf("%-44s %8.1f %8ld %8.2f %8.0f  (anon %ld KiB)\n",
		    formats[i], bytes / 1e6, pages, secs, bytes / 1e6 / secs,
		    bench_anon_kib(b->pid));
		printf("%-44s %8.1f %8ld %8.2f %8.0f\n",
		    "  baseline: bare nng, same pages", bytes / 1e6, pages,
		    base, bytes / 1e6 / base);
	}
	rpc_close(c);
	printf("%-44s %8ld KiB before, %ld KiB after\n",
	    "glossd anonymous memory (RssAnon)", before,
	    bench_anon_kib(b->pid));
}

static void
bench_parse(int argc, char **argv, struct bench *b)
{
	static const struct option opts[] = { { "seconds", required_argument,
		                                  NULL, 's' },
		{ "clients", required_argument, NULL, 'c' },
		{ "glossd", required_argument, NULL, 'g' },
		{ "annotations", required_argument, NULL, 'a' },
		{ "export", no_argument, NULL, 'x' }, { NULL, 0, NULL, 0 } };
	char self[1024];
	int ch;

	b->seconds = 2;
	b->clients = 8;
	snprintf(self, sizeof(self), "%s", argv[0]);
	snprintf(b->glossd, sizeof(b->glossd), "%s/glossd", dirname(self));
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 's')
			b->seconds = atof(optarg);
		else if (ch == 'c')
			b->clients = atoi(optarg);
		else if (ch == 'g')
			snprintf(b->glossd, sizeof(b->glossd), "%s", optarg);
		else if (ch == 'a')
			b->annotations = atol(optarg);
		else if (ch == 'x')
			b->export = true;
		else
			bench_die(
			    "usage: gloss-bench [--seconds S] [--clients C] "
			    "[--glossd PATH] [--annotations N] [--export]");
	}
	if (b->clients < 1 || b->clients > 64 || b->seconds <= 0)
		bench_die(
		    "--clients takes 1 to 64, --seconds a positive number");
}

int
main(int argc, char **argv)
{
	struct bench b = { 0 };
	double echo, gets, commits, r1, rc, w1, wc;
	struct rpc_client *c;
	char why[256], cmd[300];

	bench_parse(argc, argv, &b);
	memset(bench_text, 'a', sizeof(bench_text) - 1);
	snprintf(b.dir, sizeof(b.dir), "/tmp/gloss-bench-XXXXXX");
	if (mkdtemp(b.dir) == NULL)
		bench_die(strerror(errno));
	/* A GetArticle's shape: a short request, a 4 KiB reply. */
	echo = bench_nng_run(&b, 64, 4200, LONG_MAX, b.seconds);
	bench_lmdb(&b, &gets, &commits);
	bench_start_glossd(&b);
	if (rpc_open(b.url, &c, why, sizeof(why)) != 0 ||
	    bench_create(c, "read-me", bench_text) != 0)
		bench_die("cannot create the article to read");
	rpc_close(c);
	r1 = bench_glossd(&b, 1, false);
	rc = bench_glossd(&b, b.clients, false);
	w1 = bench_glossd(&b, 1, true);
	wc = bench_glossd(&b, b.clients, true);
	printf("gloss-bench: %.1f s per figure, 4 KiB articles, ipc, %d "
	       "cores\n",
	    b.seconds, (int)sysconf(_SC_NPROCESSORS_ONLN));
	printf("%-44s %12s\n", "what", "per second");
	printf("%-44s %12.0f\n", "baseline: bare nng REQ/REP, 4 KiB reply",
	    echo);
	printf("%-44s %12.0f\n", "glossd GetArticle, 1 client", r1);
	printf("%-44s %12.0f\n", "glossd GetArticle, C clients", rc);
	printf("%-44s %12.0f\n", "baseline: bare LMDB get (txn per get)", gets);
	printf("%-44s %12.0f\n", "baseline: bare LMDB durable commit, 1 write",
	    commits);
	printf("%-44s %12.0f\n", "glossd CreateArticle, 1 client", w1);
	printf("%-44s %12.0f\n", "glossd CreateArticle, C clients", wc);
	printf("(C = %d)\n", b.clients);
	if (b.annotations > 0)
		bench_query_cost(&b, b.annotations);
	if (b.export)
		bench_export(&b);
	kill(b.pid, SIGTERM);
	waitpid(b.pid, NULL, 0);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", b.dir);
	return system(cmd) == 0 ? 0 : 1;
}
