/* harness: fork/exec glossd, wait for it to answer, stop it, clean up. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

void
harness_init(struct harness *h)
{
	memset(h, 0, sizeof(*h));
	snprintf(h->dir, sizeof(h->dir), "/tmp/gloss-test-XXXXXX");
	if (mkdtemp(h->dir) == NULL) {
		perror("mkdtemp");
		abort();
	}
	snprintf(h->url, sizeof(h->url), "ipc://%s/glossd.sock", h->dir);
	snprintf(h->log, sizeof(h->log), "%s.log", h->dir);
}

static void
harness_exec(struct harness *h, const char *const *args)
{
	const char *argv[32] = { getenv("GLOSSD"), "--data", h->dir,
		"--log-level", "debug" };
	size_t n = 5;
	int fd = open(h->log, O_WRONLY | O_CREAT | O_APPEND, 0600);

	/* A test that dies (a crash, a ctest timeout) takes its glossd along,
	 * rather than leaving it to hold ctest's output pipe open. */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	for (; args != NULL && *args != NULL && n < 31; args++)
		argv[n++] = *args;
	argv[n] = NULL;
	if (fd >= 0) {
		dup2(fd, STDERR_FILENO);
		close(fd);
	}
	execv(argv[0], (char *const *)(uintptr_t)argv);
	perror("exec glossd");
	_exit(127);
}

static bool
harness_answers(const struct harness *h)
{
	struct rpc_client *c;
	char why[256];

	if (rpc_open(h->url, &c, why, sizeof(why)) != 0)
		return false;
	rpc_close(c);
	return true;
}

bool
harness_start(struct harness *h, const char *const *args)
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	int status;

	if (getenv("GLOSSD") == NULL) {
		fprintf(stderr, "harness: GLOSSD is not set\n");
		abort();
	}
	if ((h->pid = fork()) == 0)
		harness_exec(h, args);
	for (int i = 0; i < 500; i++) {
		if (waitpid(h->pid, &status, WNOHANG) == h->pid) {
			h->pid = 0;
			return false;
		}
		if (harness_answers(h))
			return true;
		nanosleep(&ts, NULL);
	}
	return false;
}

int
harness_run(struct harness *h, const char *const *args, int timeout_ms)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	int status;
	pid_t pid;

	if ((pid = fork()) == 0)
		harness_exec(h, args);
	for (int waited = 0; waited < timeout_ms; waited += 10) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
		nanosleep(&ts, NULL);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return -1;
}

int
harness_stop(struct harness *h)
{
	int status;

	if (h->pid <= 0)
		return -1;
	kill(h->pid, SIGTERM);
	while (waitpid(h->pid, &status, 0) < 0 && errno == EINTR)
		;
	h->pid = 0;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void
harness_fini(struct harness *h)
{
	char cmd[600];

	if (h->pid > 0)
		harness_stop(h);
	if (getenv("GLOSS_TEST_KEEP") != NULL) {
		fprintf(stderr, "harness: kept %s and %s\n", h->dir, h->log);
		return;
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s'", h->dir, h->log);
	if (system(cmd) != 0)
		fprintf(stderr, "harness: could not remove %s\n", h->dir);
}

int
harness_setup(void **state)
{
	struct harness *h = calloc(1, sizeof(*h));

	if (h == NULL)
		return -1;
	harness_init(h);
	*state = h;
	return 0;
}

int
harness_teardown(void **state)
{
	harness_fini(*state);
	free(*state);
	return 0;
}

struct rpc_client *
harness_client(const struct harness *h)
{
	struct rpc_client *c;
	char why[512];

	if (rpc_open(h->url, &c, why, sizeof(why)) != 0) {
		fprintf(stderr, "harness: %s\n", why);
		abort();
	}
	return c;
}

char *
harness_read_file(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long len;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	buf = malloc((size_t)len + 1);
	if (buf == NULL || fread(buf, 1, (size_t)len, f) != (size_t)len) {
		free(buf);
		fclose(f);
		return NULL;
	}
	fclose(f);
	buf[len] = '\0';
	*n = (size_t)len;
	return buf;
}

const char *
harness_seeds(void)
{
	const char *d = getenv("GLOSS_SEEDS");
	struct stat sb;

	if (d == NULL || stat(d, &sb) != 0 || !S_ISDIR(sb.st_mode))
		return NULL;
	return d;
}
