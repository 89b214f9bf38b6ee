/* key: the byte layout of LMDB keys; knows nothing of LMDB itself. */
#include <string.h>

#include "key.h"

void
key_put_u64(uint8_t out[8], uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		out[i] = (uint8_t)(v & 0xff);
		v >>= 8;
	}
}

uint64_t
key_get_u64(const uint8_t in[8])
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = (v << 8) | in[i];
	return v;
}

size_t
key_pair(uint8_t out[KEY_MAX], const char *a, size_t na, const char *b,
    size_t nb)
{
	size_t n = na + 1 + (b != NULL ? nb : 0);

	if (n > KEY_MAX)
		return 0;
	memcpy(out, a, na);
	out[na] = 0;
	if (b != NULL)
		memcpy(out + na + 1, b, nb);
	return n;
}

int
key_split(const uint8_t *k, size_t n, size_t *second)
{
	const uint8_t *z = memchr(k, 0, n);

	if (z == NULL)
		return -1;
	*second = (size_t)(z - k) + 1;
	return 0;
}
