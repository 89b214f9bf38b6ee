/* hash: digests and randomness; the only user of Mbed TLS and getrandom. */
#include <errno.h>
#include <sys/random.h>

#include <mbedtls/md.h>
#include <mbedtls/sha256.h>

#include "hash.h"

void
hash_sha256(const void *data, size_t n, uint8_t out[HASH_SIZE])
{
	/* Cannot fail with a valid output buffer (Mbed TLS 2.28). */
	(void)mbedtls_sha256_ret(data, n, out, 0);
}

void
hash_hex(const uint8_t *data, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[data[i] >> 4];
		out[2 * i + 1] = digits[data[i] & 15];
	}
	out[2 * n] = '\0';
}

void
hash_sha256_hex(const void *data, size_t n, char out[2 * HASH_SIZE + 1])
{
	uint8_t d[HASH_SIZE];

	hash_sha256(data, n, d);
	hash_hex(d, HASH_SIZE, out);
}

void
hash_hmac(const uint8_t *key, size_t keylen, const void *data, size_t n,
    uint8_t out[HASH_SIZE])
{
	const mbedtls_md_info_t *md =
	    mbedtls_md_info_from_type(MBEDTLS_MD_SHA256);

	(void)mbedtls_md_hmac(md, key, keylen, data, n, out);
}

int
hash_random(void *buf, size_t n)
{
	uint8_t *p = buf;

	while (n > 0) {
		ssize_t k = getrandom(p, n, 0);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}
