/*
 * key: how LMDB keys are spelt.  Integers are big-endian so that LMDB's
 * byte order is numeric order; composite keys join their parts with a NUL
 * byte, which no stored string contains, so `a‖b` sorts by a, then b.
 * Pure functions over caller-owned buffers.
 */
#ifndef GLOSS_KEY_H
#define GLOSS_KEY_H

#include <stddef.h>
#include <stdint.h>

#define KEY_MAX 511 /* MDB_MAXKEYSIZE of LMDB 0.9 */

void key_put_u64(uint8_t out[8], uint64_t v);
uint64_t key_get_u64(const uint8_t in[8]);

/*
 * Writes the parts a (na bytes) and b (nb bytes) as a‖NUL‖b into out
 * (KEY_MAX bytes) and returns the key's length, or 0 if it would not fit.
 * With b == NULL it writes a‖NUL: the prefix every a‖b key starts with.
 */
size_t key_pair(uint8_t out[KEY_MAX], const char *a, size_t na, const char *b,
    size_t nb);

/*
 * Splits a composite key k[0..n) at its first NUL: the second part starts at
 * *second and is n - *second bytes long.  Returns 0, or -1 if k has no NUL.
 */
int key_split(const uint8_t *k, size_t n, size_t *second);

#endif
