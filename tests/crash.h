/*
 * crash: the crash test's parts.  Writer processes send a mix of writes to
 * a real glossd through the client library and keep a journal of what they
 * sent and what was acknowledged; the driver (crash_test.c) SIGKILLs and
 * restarts glossd under that load; the checker reads the journals and
 * checks the restarted store against them.
 */
#ifndef GLOSS_CRASH_H
#define GLOSS_CRASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rpc.h"

/*
 * A journal is a file of records: one kind byte, a 4-byte little-endian
 * length, then that many bytes.  A writer appends CRASH_SENT (the packed
 * Request, request_id set) before sending and CRASH_ACKED (the packed
 * Reply) once a reply is final, each with a single write(2), so a journal
 * outlives its writer and ends at worst in one cut record, which is
 * ignored.
 */
enum crash_kind {
	CRASH_SENT = 'S',
	CRASH_ACKED = 'A',
	CRASH_REOPENED = 'R', /* the writer replaced its dead client (empty) */
};

/* Appends one record to fd; false if the write failed. */
bool crash_journal_append(int fd, enum crash_kind kind, const void *buf,
    size_t n);

/* Called for each whole record of a journal, in order. */
typedef void (*crash_record_fn)(void *arg, enum crash_kind kind,
    const uint8_t *buf, size_t n);

/* Reads journal `path`; false if it cannot be read. */
bool crash_journal_read(const char *path, crash_record_fn fn, void *arg);

/* One seed article: its text and language. */
struct crash_seed {
	const char *stem; /* the file name without .txt */
	const char *language;
	char *text; /* malloc'd, NUL-terminated */
	size_t n;
};

#define CRASH_SEEDS 5

/* Loads the seed corpus from dir; false (with a message) if it cannot. */
bool crash_seeds_load(const char *dir, struct crash_seed seeds[CRASH_SEEDS]);

struct crash_writer_options {
	int id;              /* 0..N-1: names its articles and labels */
	const char *url;     /* glossd's socket */
	const char *journal; /* created by the writer */
	const struct crash_seed *seeds;
	int64_t end_ms; /* crash_now_ms() at which to stop */
	unsigned rand_seed;
};

/* The body of a writer process; returns its exit status (0: every write
 * was acknowledged OK and read back as acknowledged). */
int crash_writer_main(const struct crash_writer_options *o);

/* What the checker counted. */
struct crash_figures {
	uint64_t sent, acked, unresolved; /* writes in the journals */
	uint64_t refused;                 /* acknowledged with an error */
	uint64_t checked;                 /* acked writes read back equal */
	uint64_t lost;                    /* acked writes missing or changed */
	uint64_t changes;                 /* feed entries checked */
	uint64_t resent, resend_mismatch;
	uint64_t reopened; /* clients nng 1.5.2 left for dead */
	uint64_t failures; /* every failed check */
};

/*
 * Checks the store behind url against the journals (paths[0..n)), which
 * their writers no longer append to: acknowledged records read back equal,
 * the change feed is gap-free and holds each acknowledged write once, and
 * resending an acknowledged write returns the same reply and applies
 * nothing.  Prints each failure; fills *f.
 */
void crash_check(const char *url, const char *const *paths, size_t n,
    size_t max_resend, struct crash_figures *f);

/*
 * Proves the checker can fail: checks the store behind url again against
 * the journals with two faults planted in copies of them (an acknowledged
 * article changed, and an acknowledged write that never happened), and
 * returns true if crash_check() finds exactly those two lost writes.
 */
bool crash_selftest(const char *url, const char *const *paths, size_t n);

/* protobuf-c types string fields `char *` even in messages only packed:
 * this hands such a field a const string (as call_str() in glossd). */
static inline char *
crash_str(const char *s)
{
	union {
		const char *c;
		char *m;
	} u = { .c = s };
	return u.m;
}

/* CLOCK_MONOTONIC in milliseconds (the same clock in every process). */
int64_t crash_now_ms(void);

/* Packs m into a malloc'd buffer (*n bytes). */
uint8_t *crash_pack(const ProtobufCMessage *m, size_t *n);

/* True if a and b pack to the same bytes (both NULL counts as equal). */
bool crash_same(const ProtobufCMessage *a, const ProtobufCMessage *b);

#endif
