/* peer: the tests' clients that speak SP by hand (peer.h). */
#define _GNU_SOURCE /* POLLRDHUP */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "peer.h"
#include "sp.h"

enum { OK = 0 };

int64_t
peer_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
peer_sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/* A field of /proc/PID/status in kB, or the number of open descriptors. */
long
peer_proc_kb(pid_t pid, const char *field)
{
	char path[64], line[256];
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, field, strlen(field)) == 0)
			v = atol(line + strlen(field) + 1);
	fclose(f);
	return v;
}

long
peer_proc_fds(pid_t pid)
{
	char cmd[96], out[32] = "";
	FILE *p;

	snprintf(cmd, sizeof(cmd), "ls /proc/%ld/fd | wc -l", (long)pid);
	if ((p = popen(cmd, "r")) == NULL)
		return -1;
	if (fgets(out, sizeof(out), p) == NULL)
		out[0] = '\0';
	pclose(p);
	return atol(out);
}

/* Waits up to ms for glossd's open descriptors to come down to want. */
long
peer_fds_settle(pid_t pid, long want, int ms)
{
	long n = peer_proc_fds(pid);

	for (int64_t until = peer_now_ms() + ms;
	     n > want && peer_now_ms() < until; n = peer_proc_fds(pid))
		peer_sleep_ms(20);
	return n;
}

/* A unix socket to glossd, connected, nothing said. */
int
peer_raw_connect(const struct harness *h)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s",
	    h->url + strlen("ipc://"));
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

bool
peer_read_full(int fd, void *buf, size_t n, int timeout_ms)
{
	struct pollfd p = { fd, POLLIN, 0 };
	size_t got = 0;
	ssize_t k;

	while (got < n) {
		if (poll(&p, 1, timeout_ms) != 1)
			return false;
		if ((k = recv(fd, (uint8_t *)buf + got, n - got, 0)) <= 0)
			return false;
		got += (size_t)k;
	}
	return true;
}

/* A connection that has said its SP hello and heard glossd's, or -1 if
 * glossd closed it instead (at its connection cap). */
int
peer_try_open(const struct harness *h)
{
	uint8_t hello[SP_HELLO_LEN], peer[SP_HELLO_LEN];
	int fd = peer_raw_connect(h);

	sp_hello(SP_PROTO_REQ, hello);
	if (send(fd, hello, sizeof(hello), MSG_NOSIGNAL) != sizeof(hello) ||
	    !peer_read_full(fd, peer, sizeof(peer), 15000)) {
		close(fd);
		return -1;
	}
	assert_int_equal(sp_hello_peer(peer), SP_PROTO_REP);
	return fd;
}

int
peer_open(const struct harness *h)
{
	int fd = peer_try_open(h);

	assert_true(fd >= 0);
	return fd;
}

/* As peer_open(), at a connection cap that the harness's own connections
 * may still fill for a moment (glossd sees them close a little later). */
int
peer_open_at_cap(const struct harness *h)
{
	int fd;

	for (int i = 0; i < 100 && (fd = peer_try_open(h)) < 0; i++)
		peer_sleep_ms(50);
	assert_true(fd >= 0);
	return fd;
}

/* Sends request q with request id `id` (top bit set by us). */
bool
peer_send(int fd, uint32_t id, const Gloss__V1__Request *q)
{
	size_t n = gloss__v1__request__get_packed_size(q), h;
	uint8_t *buf = malloc(SP_HEAD_MAX + 4 + n);
	bool ok;

	h = sp_head(SP_IPC, 4 + n, buf);
	id |= 0x80000000u;
	buf[h] = (uint8_t)(id >> 24), buf[h + 1] = (uint8_t)(id >> 16);
	buf[h + 2] = (uint8_t)(id >> 8), buf[h + 3] = (uint8_t)id;
	gloss__v1__request__pack(q, buf + h + 4);
	ok = send(fd, buf, h + 4 + n, MSG_NOSIGNAL) == (ssize_t)(h + 4 + n);
	free(buf);
	return ok;
}

/* The next reply on fd (its request id in *id), or NULL on EOF/timeout. */
Gloss__V1__Reply *
peer_recv(int fd, uint32_t *id, int timeout_ms)
{
	uint8_t head[SP_HEAD_MAX], *body;
	Gloss__V1__Reply *r = NULL;
	uint64_t n;

	if (!peer_read_full(fd, head, sp_head_len(SP_IPC), timeout_ms) ||
	    !sp_head_parse(SP_IPC, head, &n) || n < 4 ||
	    (body = malloc(n)) == NULL)
		return NULL;
	if (peer_read_full(fd, body, n, timeout_ms)) {
		*id = (uint32_t)body[0] << 24 | (uint32_t)body[1] << 16 |
		      (uint32_t)body[2] << 8 | body[3];
		*id &= 0x7fffffffu;
		r = gloss__v1__reply__unpack(NULL, n - 4, body + 4);
	}
	free(body);
	return r;
}

/* True once glossd has closed fd, seen without reading from it (reading
 * would be what a peer that does not read never does). */
bool
peer_hung_up_within(int fd, int ms)
{
	struct pollfd p = { fd, POLLRDHUP, 0 };

	for (int64_t until = peer_now_ms() + ms; peer_now_ms() < until;)
		if (poll(&p, 1, 100) == 1 &&
		    (p.revents & (POLLHUP | POLLRDHUP | POLLERR)))
			return true;
	return false;
}

/* True once the peer has closed fd (EOF), reading and dropping what is
 * left, within ms. */
bool
peer_closed_within(int fd, int ms)
{
	uint8_t buf[65536];
	struct pollfd p = { fd, POLLIN, 0 };
	ssize_t k;

	for (int64_t until = peer_now_ms() + ms; peer_now_ms() < until;) {
		if (poll(&p, 1, 100) != 1)
			continue;
		if ((k = recv(fd, buf, sizeof(buf), 0)) == 0 ||
		    (k < 0 && errno == ECONNRESET))
			return true;
	}
	return false;
}

void
peer_req_get_article(Gloss__V1__Request *q, Gloss__V1__GetArticleRequest *g,
    const char *id)
{
	gloss__v1__request__init(q);
	gloss__v1__get_article_request__init(g);
	g->id = (char *)(uintptr_t)id;
	q->body_case = GLOSS__V1__REQUEST__BODY_GET_ARTICLE;
	q->get_article = g;
}

void
peer_req_poll(Gloss__V1__Request *q, Gloss__V1__ListChangesRequest *l,
    uint64_t since, uint32_t wait_ms)
{
	gloss__v1__request__init(q);
	gloss__v1__list_changes_request__init(l);
	l->since_seq = since;
	l->wait_ms = wait_ms;
	q->body_case = GLOSS__V1__REQUEST__BODY_LIST_CHANGES;
	q->list_changes = l;
}

int
peer_create(struct rpc_client *c, const char *id, const char *text)
{
	Gloss__V1__Request q = GLOSS__V1__REQUEST__INIT;
	Gloss__V1__CreateArticleRequest ca =
	    GLOSS__V1__CREATE_ARTICLE_REQUEST__INIT;
	Gloss__V1__Article a = GLOSS__V1__ARTICLE__INIT;
	Gloss__V1__Reply *r;
	int code;

	a.id = (char *)(uintptr_t)id;
	a.language = (char *)"pt";
	a.text = (char *)(uintptr_t)text;
	ca.article = &a;
	q.body_case = GLOSS__V1__REQUEST__BODY_CREATE_ARTICLE;
	q.create_article = &ca;
	code = rpc_call(c, &q, 20000, &r);
	rpc_reply_free(r);
	return code;
}

Gloss__V1__GetServerInfoResponse *
peer_info(struct rpc_client *c, Gloss__V1__Reply **keep)
{
	Gloss__V1__Request q = GLOSS__V1__REQUEST__INIT;
	Gloss__V1__GetServerInfoRequest gi =
	    GLOSS__V1__GET_SERVER_INFO_REQUEST__INIT;

	q.body_case = GLOSS__V1__REQUEST__BODY_GET_SERVER_INFO;
	q.get_server_info = &gi;
	assert_int_equal(rpc_call(c, &q, 10000, keep), OK);
	return (*keep)->get_server_info;
}

/* An article of n bytes of Portuguese and Arabic text, created. */
void
peer_create_big(struct rpc_client *c, const char *id, size_t n)
{
	static const char unit[] = "ação ترامب ";
	char *text = malloc(n + 1);

	for (size_t i = 0; i + sizeof(unit) - 1 <= n; i += sizeof(unit) - 1)
		memcpy(text + i, unit, sizeof(unit) - 1);
	text[n - n % (sizeof(unit) - 1)] = '\0';
	assert_int_equal(peer_create(c, id, text), OK);
	free(text);
}

/* What 40 stalled senders may add to glossd's RSS: the 10 MiB they sent
 * within the limit, with room; AddressSanitizer keeps freed buffers in
 * quarantine and adds its shadow, so its build gets more. */
#if defined(__SANITIZE_ADDRESS__)
#define RSS_SLACK_KB (64 * 1024)
#else
#define RSS_SLACK_KB (24 * 1024)
#endif

/* A TCP port free now, for a listener of the test's own. */
int
peer_free_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t n = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &n), 0);
	port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

int
peer_tcp_open(int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	uint8_t hello[SP_HELLO_LEN], peer[SP_HELLO_LEN];
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons((uint16_t)port);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	sp_hello(SP_PROTO_REQ, hello);
	assert_int_equal(send(fd, hello, sizeof(hello), MSG_NOSIGNAL), 8);
	assert_true(peer_read_full(fd, peer, sizeof(peer), 5000));
	return fd;
}

/* Frames a request for TCP (no type byte) and sends it. */
void
peer_tcp_send(int fd, uint32_t id, const Gloss__V1__Request *q)
{
	size_t n = gloss__v1__request__get_packed_size(q), h;
	uint8_t *buf = malloc(SP_HEAD_MAX + 4 + n);

	h = sp_head(SP_TCP, 4 + n, buf);
	id |= 0x80000000u;
	buf[h] = (uint8_t)(id >> 24), buf[h + 1] = (uint8_t)(id >> 16);
	buf[h + 2] = (uint8_t)(id >> 8), buf[h + 3] = (uint8_t)id;
	gloss__v1__request__pack(q, buf + h + 4);
	assert_int_equal(send(fd, buf, h + 4 + n, MSG_NOSIGNAL),
	    (ssize_t)(h + 4 + n));
	free(buf);
}

/* glossd's CPU time, in ms, from /proc/PID/stat (utime + stime). */
long
peer_proc_cpu_ms(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long ut = 0, st = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	p = fgets(buf, sizeof(buf), f);
	fclose(f);
	if (p == NULL || (p = strrchr(buf, ')')) == NULL)
		return -1;
	/* After ") state", utime and stime are fields 14 and 15. */
	if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
	        &ut, &st) != 2)
		return -1;
	return (long)((ut + st) * 1000 / (unsigned long)sysconf(_SC_CLK_TCK));
}

int
peer_cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* Announces a request of `declared` bytes and sends `sent` of them. */
int
peer_stall_sender(const struct harness *h, uint64_t declared, size_t sent)
{
	static uint8_t junk[1 << 20];
	uint8_t head[SP_HEAD_MAX];
	int fd = peer_open(h);
	size_t n = sp_head(SP_IPC, declared, head);

	memset(junk, 0x80, 4); /* a request id */
	assert_int_equal(send(fd, head, n, MSG_NOSIGNAL), (ssize_t)n);
	assert_int_equal(send(fd, junk, sent, MSG_NOSIGNAL), (ssize_t)sent);
	return fd;
}
