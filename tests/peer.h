/*
 * peer: the clients the peer tests play, speaking SP by hand over a real
 * socket (sp.h), as any client library could: well-behaved or not.  Also
 * what they read of glossd's process (/proc) and the requests they send.
 * The functions assert (cmocka) where a test cannot go on.
 */
#ifndef GLOSS_PEER_H
#define GLOSS_PEER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "harness.h"

int64_t peer_now_ms(void);
void peer_sleep_ms(int ms);

/* A field of /proc/PID/status in kB ("VmRSS:"), glossd's open
 * descriptors, and its CPU time (user and system) in ms. */
long peer_proc_kb(pid_t pid, const char *field);
long peer_proc_fds(pid_t pid);
long peer_proc_cpu_ms(pid_t pid);
/* Waits up to ms for glossd's descriptors to come down to want; returns
 * how many it has. */
long peer_fds_settle(pid_t pid, long want, int ms);

/* A unix socket to glossd (h->url), connected, nothing said. */
int peer_raw_connect(const struct harness *h);
/* Reads n bytes within timeout_ms; false on EOF, an error or the time. */
bool peer_read_full(int fd, void *buf, size_t n, int timeout_ms);
/* A connection that has said its SP hello and heard glossd's; -1 (try)
 * if glossd closed it instead; retried for a moment (at_cap) while the
 * harness's own connections may still fill a connection cap. */
int peer_try_open(const struct harness *h);
int peer_open(const struct harness *h);
int peer_open_at_cap(const struct harness *h);
/* Sends request q with request id `id` (IPC framing). */
bool peer_send(int fd, uint32_t id, const Gloss__V1__Request *q);
/* The next reply (its request id in *id), or NULL on EOF or timeout. */
Gloss__V1__Reply *peer_recv(int fd, uint32_t *id, int timeout_ms);
/* True once glossd has closed fd, seen without reading (hung_up), or
 * reading and dropping what is left (closed), within ms. */
bool peer_hung_up_within(int fd, int ms);
bool peer_closed_within(int fd, int ms);

/* A loopback TCP port free now; an SP connection to it; a request sent on
 * it (TCP framing). */
int peer_free_port(void);
int peer_tcp_open(int port);
void peer_tcp_send(int fd, uint32_t id, const Gloss__V1__Request *q);

/* Announces a request of `declared` bytes and sends `sent` of them. */
int peer_stall_sender(const struct harness *h, uint64_t declared, size_t sent);

/* Requests: GetArticle id; ListChanges since `since`, waiting wait_ms. */
void peer_req_get_article(Gloss__V1__Request *q,
    Gloss__V1__GetArticleRequest *g, const char *id);
void peer_req_poll(Gloss__V1__Request *q, Gloss__V1__ListChangesRequest *l,
    uint64_t since, uint32_t wait_ms);

/* Through the client library: CreateArticle (the status code), an article
 * of n bytes of Portuguese and Arabic (asserted OK), GetServerInfo
 * (asserted OK; free *keep). */
int peer_create(struct rpc_client *c, const char *id, const char *text);
void peer_create_big(struct rpc_client *c, const char *id, size_t n);
Gloss__V1__GetServerInfoResponse *peer_info(struct rpc_client *c,
    Gloss__V1__Reply **keep);

/* For qsort() of int64_t. */
int peer_cmp_i64(const void *a, const void *b);

#endif
