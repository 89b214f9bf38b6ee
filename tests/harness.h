/*
 * harness: a real glossd process on a temporary data folder, for the
 * integration tests.  The binary is $GLOSSD (set by ctest).
 */
#ifndef GLOSS_HARNESS_H
#define GLOSS_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "rpc.h"

struct harness {
	char dir[256]; /* the data folder */
	char url[300]; /* ipc://dir/glossd.sock */
	char log[300]; /* glossd's stderr */
	pid_t pid;
};

/* Makes a fresh temporary data folder. */
void harness_init(struct harness *h);

/* Starts glossd on h->dir with extra arguments (NULL-terminated list), and
 * waits until it answers.  Returns false if it exited instead. */
bool harness_start(struct harness *h, const char *const *args);

/* Runs glossd on h->dir expecting it to exit by itself within timeout_ms;
 * returns its exit status, or -1 if it had to be killed. */
int harness_run(struct harness *h, const char *const *args, int timeout_ms);

/* SIGTERM, then waits; returns glossd's exit status (-1 if killed). */
int harness_stop(struct harness *h);

/* Stops glossd if running and removes the data folder. */
void harness_fini(struct harness *h);

/* A cmocka setup and teardown: a new harness (not started) in *state, and
 * its end (glossd stopped, the folder removed, the harness freed). */
int harness_setup(void **state);
int harness_teardown(void **state);

/* A connected client; aborts the test on failure. */
struct rpc_client *harness_client(const struct harness *h);

/* Reads a whole file into a malloc'd buffer with a NUL after it; NULL if it
 * cannot be read. */
char *harness_read_file(const char *path, size_t *n);

/* The seed folder ($GLOSS_SEEDS), or NULL if it is absent. */
const char *harness_seeds(void);

#endif
