/*
 * hash: SHA-256, HMAC-SHA-256 and random bytes, over Mbed TLS's crypto and
 * getrandom(2).  Pure except for hash_random().
 */
#ifndef GLOSS_HASH_H
#define GLOSS_HASH_H

#include <stddef.h>
#include <stdint.h>

#define HASH_SIZE 32

void hash_sha256(const void *data, size_t n, uint8_t out[HASH_SIZE]);

/* Lowercase hex of SHA-256(data): 64 characters and a NUL. */
void hash_sha256_hex(const void *data, size_t n, char out[2 * HASH_SIZE + 1]);

void hash_hmac(const uint8_t *key, size_t keylen, const void *data, size_t n,
    uint8_t out[HASH_SIZE]);

/* Fills buf with n bytes from the kernel's CSPRNG.  Returns 0, or -1. */
int hash_random(void *buf, size_t n);

/* Writes the lowercase hex of data[0..n) and a NUL into out[0..2n]. */
void hash_hex(const uint8_t *data, size_t n, char *out);

#endif
