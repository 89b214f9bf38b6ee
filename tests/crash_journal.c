/* crash_journal: the journal file format, the seeds, and small helpers the
 * crash test's writers and checker share. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "crash.h"
#include "harness.h"

bool
crash_journal_append(int fd, enum crash_kind kind, const void *buf, size_t n)
{
	uint8_t *rec = malloc(5 + n);
	bool ok;

	if (rec == NULL)
		return false;
	rec[0] = (uint8_t)kind;
	for (int i = 0; i < 4; i++)
		rec[1 + i] = (uint8_t)(n >> (8 * i));
	memcpy(rec + 5, buf, n);
	/* One write: a writer killed mid-record leaves a cut tail, never a
	 * record whose bytes belong to two writes. */
	ok = write(fd, rec, 5 + n) == (ssize_t)(5 + n);
	free(rec);
	return ok;
}

bool
crash_journal_read(const char *path, crash_record_fn fn, void *arg)
{
	size_t n, at = 0, len;
	uint8_t *buf = (uint8_t *)harness_read_file(path, &n);

	if (buf == NULL)
		return false;
	while (at + 5 <= n) {
		len = (size_t)buf[at + 1] | (size_t)buf[at + 2] << 8 |
		      (size_t)buf[at + 3] << 16 | (size_t)buf[at + 4] << 24;
		if (len > n - at - 5)
			break; /* the cut tail of a killed writer */
		fn(arg, (enum crash_kind)buf[at], buf + at + 5, len);
		at += 5 + len;
	}
	free(buf);
	return true;
}

/* The seed corpus (../shared/seeds/README.md): 000, 001 and 003 are one
 * article in pt, en and ar. */
static const struct crash_seed crash_seed_table[CRASH_SEEDS] = {
	{ "000_37e09da8a1b7b9fa", "pt", NULL, 0 },
	{ "001_5b91122d76223f77", "en", NULL, 0 },
	{ "003_d4609c45f16f6551", "ar", NULL, 0 },
	{ "002_825f8c3cad83cc35", "pt", NULL, 0 },
	{ "004_0a79a96be110de23", "fr", NULL, 0 },
};

bool
crash_seeds_load(const char *dir, struct crash_seed seeds[CRASH_SEEDS])
{
	char path[1024];

	for (int i = 0; i < CRASH_SEEDS; i++) {
		seeds[i] = crash_seed_table[i];
		snprintf(path, sizeof(path), "%s/%s.txt", dir, seeds[i].stem);
		seeds[i].text = harness_read_file(path, &seeds[i].n);
		if (seeds[i].text == NULL) {
			fprintf(stderr, "crash: cannot read %s\n", path);
			return false;
		}
	}
	return true;
}

int64_t
crash_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

uint8_t *
crash_pack(const ProtobufCMessage *m, size_t *n)
{
	uint8_t *buf;

	*n = protobuf_c_message_get_packed_size(m);
	if ((buf = malloc(*n ? *n : 1)) == NULL)
		abort();
	protobuf_c_message_pack(m, buf);
	return buf;
}

bool
crash_same(const ProtobufCMessage *a, const ProtobufCMessage *b)
{
	uint8_t *pa, *pb;
	size_t na, nb;
	bool same;

	if (a == NULL || b == NULL)
		return a == b;
	pa = crash_pack(a, &na);
	pb = crash_pack(b, &nb);
	same = na == nb && memcmp(pa, pb, na) == 0;
	free(pa);
	free(pb);
	return same;
}
