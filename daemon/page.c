/* page: page sizes and signed page tokens (base64url of version, MAC, key). */
#include <string.h>

#include "hash.h"
#include "page.h"

#define PAGE_VERSION 1
#define PAGE_MAC     16 /* bytes of HMAC-SHA-256 kept: forging takes 2^128 */

static const char page_b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

enum status
page_size(struct call *c, int requested, size_t *out)
{
	if (requested < 0)
		return call_fail(c, REASON(FIELD_INVALID), "page_size",
		    "page_size must not be negative (got %d)", requested);
	*out = requested == 0              ? PAGE_SIZE_DEFAULT
	       : requested > PAGE_SIZE_MAX ? PAGE_SIZE_MAX
	                                   : (size_t)requested;
	return STATUS_OK;
}

static void
page_mac(struct call *c, const char *query, const void *last, size_t n,
    uint8_t mac[HASH_SIZE])
{
	size_t qn = strlen(query);
	uint8_t *buf = call_alloc(c, qn + 1 + n);

	if (buf == NULL) {
		memset(mac, 0, HASH_SIZE); /* a token that never verifies */
		return;
	}
	memcpy(buf, query, qn + 1);
	memcpy(buf + qn + 1, last, n);
	hash_hmac(c->env->page_secret, sizeof(c->env->page_secret), buf,
	    qn + 1 + n, mac);
}

static void
page_b64_encode(const uint8_t *in, size_t n, char *out)
{
	size_t i, o = 0;
	uint32_t v;

	for (i = 0; i + 2 < n; i += 3) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 |
		    in[i + 2];
		for (int k = 3; k >= 0; k--)
			out[o++] = page_b64[(v >> (6 * k)) & 63];
	}
	if (n - i == 1) {
		v = (uint32_t)in[i] << 16;
		out[o++] = page_b64[v >> 18];
		out[o++] = page_b64[(v >> 12) & 63];
	} else if (n - i == 2) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
		out[o++] = page_b64[v >> 18];
		out[o++] = page_b64[(v >> 12) & 63];
		out[o++] = page_b64[(v >> 6) & 63];
	}
	out[o] = '\0';
}

/* Decodes unpadded base64url; returns the length, or -1. */
static long
page_b64_decode(const char *in, uint8_t *out)
{
	uint32_t v = 0;
	long o = 0;
	int bits = 0;

	for (; *in != '\0'; in++) {
		const char *p = strchr(page_b64, *in);
		if (p == NULL)
			return -1;
		v = v << 6 | (uint32_t)(p - page_b64);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (uint8_t)(v >> bits);
		}
	}
	return o;
}

char *
page_token_make(struct call *c, const char *query, const void *last, size_t n)
{
	uint8_t mac[HASH_SIZE], *raw = call_alloc(c, 1 + PAGE_MAC + n);
	char *out = call_alloc(c, (1 + PAGE_MAC + n) * 4 / 3 + 4);

	if (raw == NULL || out == NULL)
		return NULL;
	page_mac(c, query, last, n, mac);
	raw[0] = PAGE_VERSION;
	memcpy(raw + 1, mac, PAGE_MAC);
	memcpy(raw + 1 + PAGE_MAC, last, n);
	page_b64_encode(raw, 1 + PAGE_MAC + n, out);
	return out;
}

enum status
page_token_read(struct call *c, const char *token, const char *query,
    const char **last, size_t *n)
{
	size_t tn = strlen(token);
	uint8_t mac[HASH_SIZE], *raw = call_alloc(c, tn * 3 / 4 + 3);
	long rn;

	*last = "";
	*n = 0;
	if (tn == 0)
		return STATUS_OK;
	if (raw == NULL)
		return call_fail(c, REASON(OUT_OF_MEMORY), NULL,
		    "out of memory");
	rn = page_b64_decode(token, raw);
	if (rn < 1 + PAGE_MAC || raw[0] != PAGE_VERSION)
		goto bad;
	*n = (size_t)rn - 1 - PAGE_MAC;
	page_mac(c, query, raw + 1 + PAGE_MAC, *n, mac);
	if (memcmp(mac, raw + 1, PAGE_MAC) != 0)
		goto bad;
	raw[rn] = '\0';
	*last = (const char *)raw + 1 + PAGE_MAC;
	return STATUS_OK;
bad:
	return call_fail(c, REASON(PAGE_TOKEN_INVALID), "page_token",
	    "page_token is not one this list returned for these filters; "
	    "start again without it");
}
