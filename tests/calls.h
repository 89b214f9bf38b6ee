/*
 * calls: the requests the record, restore and fault tests make of a real
 * glossd (test_records.c, test_restore.c, test_faults.c), and running the
 * gloss CLI against it.  Every helper returns the status code glossd (or
 * the client) gave; replies are freed unless asked for.
 */
#ifndef GLOSS_CALLS_H
#define GLOSS_CALLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "harness.h"

enum {
	OK = 0,
	INVALID_ARGUMENT = 3,
	NOT_FOUND = 5,
	ALREADY_EXISTS = 6,
	RESOURCE_EXHAUSTED = 8,
	FAILED_PRECONDITION = 9,
	ABORTED = 10,
	INTERNAL = 13,
	UNAVAILABLE = 14,
	DATA_LOSS = 15,
};

#define S(x) ((char *)(uintptr_t)(x))

/* Sends q (60 s deadline); the reply in *out if out is set, else freed. */
int calls_run(struct rpc_client *c, Gloss__V1__Request *q,
    Gloss__V1__Reply **out);

/* CreateArticle of text with n_meta metadata values of meta_len bytes. */
int calls_article(struct rpc_client *c, const char *id, const char *lang,
    const char *text, const char *translation_of, size_t n_meta,
    size_t meta_len);

/* GetArticle (without text if omit_text). */
int calls_get(struct rpc_client *c, const char *id, bool omit_text,
    Gloss__V1__Reply **out);

/* ListArticles with filters; the reply in *out. */
int calls_list(struct rpc_client *c, const char *lang, const char *group,
    Gloss__V1__Reply **out);

/* GetServerInfo; the reply (to free) in *out. */
Gloss__V1__GetServerInfoResponse *calls_info(struct rpc_client *c,
    Gloss__V1__Reply **out);

/* GetServerInfo's last_seq and article_count. */
uint64_t calls_last_seq(struct rpc_client *c);
uint64_t calls_articles(struct rpc_client *c);

/* AddLabel. */
int calls_add_label(struct rpc_client *c, const char *set, const char *name,
    const char *description, Gloss__V1__Reply **out);

/* ImportRecords of data (NUL-terminated) with token ("" for the first). */
int calls_import(struct rpc_client *c, const char *data, const char *token,
    bool last, Gloss__V1__Reply **out);

/* A malloc'd text of exactly `bytes` bytes: `unit` repeated, and 'x's
 * where a whole unit does not fit. */
char *calls_text(size_t bytes, const char *unit);

/*
 * Runs the gloss CLI ($GLOSS) at h's socket with args (NULL-terminated);
 * its stderr in err[0..errlen).  Returns its exit status (-1 if killed).
 */
int calls_gloss(const struct harness *h, char *err, size_t errlen,
    const char *const *args);

/* Writes n bytes to path; false on failure. */
bool calls_write_file(const char *path, const void *p, size_t n);

#endif
