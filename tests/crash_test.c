/*
 * crash_test: SIGKILLs a real glossd at random moments while writer
 * processes (crash_writer.c) load it through the client library, restarts
 * it each time, and at the end checks the store against the writers'
 * journals (crash_check.c) and with LMDB's own tools.
 *
 *   crash_test [SECONDS]     load for SECONDS (default 40)
 *
 * Environment: GLOSS_CRASH_SECONDS overrides SECONDS; GLOSS_CRASH_WRITERS
 * (default 4); GLOSS_CRASH_SEED (default: the time) seeds the writers and
 * the kill schedule; GLOSS_CRASH_RESEND bounds the writes sent again at the
 * end (default 10000); GLOSS_TEST_KEEP keeps the data folder and journals.
 * Also GLOSSD and GLOSS_SEEDS, as every integration test.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "crash.h"
#include "harness.h"

#define CT_WRITERS_MAX 64

struct ct {
	struct harness h;
	int writers;
	unsigned seed;
	pid_t pids[CT_WRITERS_MAX];
	char journals[CT_WRITERS_MAX][320];
	struct crash_seed seeds[CRASH_SEEDS];
	unsigned kills;
	int failures;
};

static long
ct_env(const char *name, long dflt)
{
	const char *v = getenv(name);

	return v != NULL && v[0] != '\0' ? strtol(v, NULL, 10) : dflt;
}

static void
ct_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0)
		;
}

static const char *const ct_glossd_args[] = { "--log-level", "info", NULL };

/*
 * Starts the writers; each stops by itself at end_ms.  Each is this
 * program run again (`crash_test --writer ...`), because nng, which the
 * parent has used, cannot be used in a child that was only forked.
 */
static void
ct_start_writers(struct ct *t, int64_t end_ms)
{
	char id[16], end[32], seed[16];

	for (int i = 0; i < t->writers; i++) {
		snprintf(t->journals[i], sizeof(t->journals[i]), "%s.journal%d",
		    t->h.dir, i);
		snprintf(id, sizeof(id), "%d", i);
		snprintf(end, sizeof(end), "%lld", (long long)end_ms);
		snprintf(seed, sizeof(seed), "%u", t->seed * 1000003u + i);
		if ((t->pids[i] = fork()) == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			execl("/proc/self/exe", "crash_test", "--writer", id,
			    t->h.url, t->journals[i], end, seed, (char *)NULL);
			_exit(127);
		}
	}
}

/* crash_test --writer ID URL JOURNAL END_MS SEED: one writer process. */
static int
ct_writer(char **argv)
{
	static struct crash_seed seeds[CRASH_SEEDS];
	struct crash_writer_options o = { .seeds = seeds };

	if (harness_seeds() == NULL ||
	    !crash_seeds_load(harness_seeds(), seeds))
		return 1;
	o.id = atoi(argv[2]);
	o.url = argv[3];
	o.journal = argv[4];
	o.end_ms = strtoll(argv[5], NULL, 10);
	o.rand_seed = (unsigned)strtoul(argv[6], NULL, 10);
	return crash_writer_main(&o);
}

/* SIGKILL, then a restart, which must answer. */
static bool
ct_kill_restart(struct ct *t)
{
	int status;

	kill(t->h.pid, SIGKILL);
	waitpid(t->h.pid, &status, 0);
	t->h.pid = 0;
	t->kills++;
	if (harness_start(&t->h, ct_glossd_args))
		return true;
	fprintf(stderr, "crash: glossd did not restart after kill %u; see %s\n",
	    t->kills, t->h.log);
	t->failures++;
	for (int i = 0; i < t->writers; i++)
		if (t->pids[i] > 0)
			kill(t->pids[i], SIGKILL);
	return false;
}

/* Kills at random moments until end_ms: mostly well into the load, a
 * quarter of the time right after a restart (recovery under load). */
static void
ct_kill_loop(struct ct *t, int64_t end_ms)
{
	unsigned r = t->seed;

	while (crash_now_ms() < end_ms) {
		long ms = rand_r(&r) % 4 == 0 ? rand_r(&r) % 50
		                              : 50 + rand_r(&r) % 950;
		if (crash_now_ms() + ms >= end_ms)
			break;
		ct_sleep_ms(ms);
		if (!ct_kill_restart(t))
			return;
	}
}

static void
ct_wait_writers(struct ct *t)
{
	int status;

	for (int i = 0; i < t->writers; i++) {
		while (waitpid(t->pids[i], &status, 0) < 0)
			;
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			fprintf(stderr, "crash: writer %d failed\n", i);
			t->failures++;
		}
	}
}

/* Runs an LMDB tool on the data folder: it must exit 0. */
static void
ct_lmdb_tool(struct ct *t, const char *cmd)
{
	char line[1024];
	int rc;

	snprintf(line, sizeof(line), "%s '%s' >>'%s.lmdb' 2>&1", cmd, t->h.dir,
	    t->h.dir);
	if ((rc = system(line)) != 0) {
		fprintf(stderr, "crash: `%s` failed (%d)\n", line, rc);
		t->failures++;
	}
}

static void
ct_report(const struct ct *t, const struct crash_figures *f, long secs,
    int64_t took_ms)
{
	printf("crash: %d writers, %ld s of load, %u SIGKILLs, seed %u\n",
	    t->writers, secs, t->kills, t->seed);
	printf("crash: writes sent %llu, acknowledged %llu (%llu settled "
	       "after their writer), refused %llu\n",
	    (unsigned long long)f->sent, (unsigned long long)f->acked,
	    (unsigned long long)f->unresolved, (unsigned long long)f->refused);
	printf("crash: acknowledged states read back equal %llu, lost %llu; "
	       "feed entries %llu; resent %llu, replies differing %llu\n",
	    (unsigned long long)f->checked, (unsigned long long)f->lost,
	    (unsigned long long)f->changes, (unsigned long long)f->resent,
	    (unsigned long long)f->resend_mismatch);
	printf("crash: clients reopened after nng 1.5.2's dialer gave up "
	       "(tests/handshake_test.py): %llu\n",
	    (unsigned long long)f->reopened);
	printf("crash: %llu failed checks; %.1f s in all\n",
	    (unsigned long long)f->failures, (double)took_ms / 1000);
}

/* The end: a last SIGKILL, the check against the journals on the
 * restarted glossd, an orderly stop, and LMDB's tools on the folder. */
static void
ct_verdict(struct ct *t, struct crash_figures *f)
{
	const char *paths[CT_WRITERS_MAX];

	for (int i = 0; i < t->writers; i++)
		paths[i] = t->journals[i];
	if (!ct_kill_restart(t))
		return;
	crash_check(t->h.url, paths, (size_t)t->writers,
	    (size_t)ct_env("GLOSS_CRASH_RESEND", 10000), f);
	if (!crash_selftest(t->h.url, paths, (size_t)t->writers)) {
		fprintf(stderr, "crash: the checker missed a planted fault\n");
		t->failures++;
	}
	if (harness_stop(&t->h) != 0) {
		fprintf(stderr, "crash: glossd did not exit 0 on SIGTERM\n");
		t->failures++;
	}
	ct_lmdb_tool(t, "mdb_stat -efa");
	/* mdb_stat reads every database's root and the free list; mdb_dump
	 * walks every page of every database. */
	ct_lmdb_tool(t, "mdb_dump -a -f /dev/null");
}

/* Removes what the run made; after a failure keeps it for a person. */
static void
ct_clean(struct ct *t, bool passed)
{
	char path[400];

	if (t->h.pid > 0)
		harness_stop(&t->h);
	if (!passed || getenv("GLOSS_TEST_KEEP") != NULL) {
		fprintf(stderr,
		    "crash: kept %s, its log, journals and LMDB "
		    "tool output beside it\n",
		    t->h.dir);
		return;
	}
	for (int i = 0; i < t->writers; i++)
		unlink(t->journals[i]);
	snprintf(path, sizeof(path), "%s.lmdb", t->h.dir);
	unlink(path);
	harness_fini(&t->h);
}

int
main(int argc, char **argv)
{
	static struct ct t;
	struct crash_figures f = { 0 };
	long secs = ct_env("GLOSS_CRASH_SECONDS",
	    argc > 1 ? strtol(argv[1], NULL, 10) : 40);
	int64_t t0 = crash_now_ms(), end_ms = t0 + secs * 1000;

	if (argc == 7 && strcmp(argv[1], "--writer") == 0)
		return ct_writer(argv);
	t.writers = (int)ct_env("GLOSS_CRASH_WRITERS", 4);
	t.seed = (unsigned)ct_env("GLOSS_CRASH_SEED", (long)time(NULL));
	if (t.writers < 1 || t.writers > CT_WRITERS_MAX ||
	    harness_seeds() == NULL ||
	    !crash_seeds_load(harness_seeds(), t.seeds)) {
		fprintf(stderr, "crash: need 1-%d writers and $GLOSS_SEEDS\n",
		    CT_WRITERS_MAX);
		return 1;
	}
	harness_init(&t.h);
	if (!harness_start(&t.h, ct_glossd_args)) {
		fprintf(stderr, "crash: glossd did not start; see %s\n",
		    t.h.log);
		return 1;
	}
	ct_start_writers(&t, end_ms);
	ct_kill_loop(&t, end_ms);
	ct_wait_writers(&t);
	ct_verdict(&t, &f);
	ct_report(&t, &f, secs, crash_now_ms() - t0);
	ct_clean(&t, t.failures == 0 && f.failures == 0 && f.lost == 0);
	return t.failures == 0 && f.failures == 0 && f.lost == 0 ? 0 : 1;
}
