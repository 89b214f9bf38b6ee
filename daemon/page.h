/*
 * page: paging of list methods (AIP-158).  A page token is opaque to
 * clients: it holds the last key the previous page returned, bound by an
 * HMAC to the query that made it, so it cannot be forged nor used with other
 * filters.  Nothing is kept on the server between pages.
 */
#ifndef GLOSS_PAGE_H
#define GLOSS_PAGE_H

#include <stddef.h>

#include "call.h"

#define PAGE_SIZE_DEFAULT 100
#define PAGE_SIZE_MAX     1000

/* The page size to use for `requested` (0: default; above max: max).
 * INVALID_ARGUMENT, via call_error(), if negative. */
enum status page_size(struct call *c, int requested, size_t *out);

/*
 * A token to resume `query` after key last[0..n), allocated in the call's
 * arena; NULL when out of memory.  `query` spells the list's filters.
 */
char *page_token_make(struct call *c, const char *query, const void *last,
    size_t n);

/*
 * Reads `token` made by page_token_make() for the same query: *last points
 * into the arena, NUL-terminated, *n bytes long.  An empty token gives an
 * empty key.  INVALID_ARGUMENT for a token that is malformed, forged, or was
 * made for other filters.
 */
enum status page_token_read(struct call *c, const char *token,
    const char *query, const char **last, size_t *n);

#endif
