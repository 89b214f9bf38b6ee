/*
 * Integration tests of glossd's connection cap, each from a fault of issue
 * 10: the cap holds and counts, connections left idle or trickled into
 * cannot shut others out, and running out of descriptors does not make
 * glossd spin; and from issue 12, no host on the network can take every
 * place (each holds an eighth at most, the local socket keeps the last
 * sixteenth).  A real glossd; the peers speak SP by hand (peer.h).
 */
#define _GNU_SOURCE /* prlimit */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "peer.h"
#include "sp.h"

/* A little over glossd's SERVER_EVICT_MS (server_local.h). */
#define SERVER_EVICT_WAIT_MS 10500

/*
 * --max-connections 4: the fifth connection is closed at once (its client
 * reconnects later), counted, and the four are served.
 */
static void
test_connection_cap(void **state)
{
	struct harness *h = *state;
	const char *const args[] = { "--max-connections", "4", NULL };
	struct rpc_client *c;
	Gloss__V1__Reply *r;
	int fd[3], extra;

	assert_true(harness_start(h, args));
	for (int i = 0; i < 3; i++)
		fd[i] = peer_open_at_cap(h);
	c = harness_client(h);
	extra = peer_raw_connect(h);
	assert_true(peer_closed_within(extra, 2000));
	close(extra);
	assert_int_equal(peer_info(c, &r)->connections, 4);
	assert_int_equal(r->get_server_info->max_connections, 4);
	assert_true(r->get_server_info->connections_refused >= 1);
	rpc_reply_free(r);
	for (int i = 0; i < 3; i++)
		close(fd[i]);
	rpc_close(c);
}

/*
 * At the connection cap, connections that said hello and went idle, or
 * trickle one request in a few bytes at a time, cannot shut others out:
 * after 10 s a new connection takes the place of the laziest.
 */
static void
test_lazy_connections_cannot_lock_out(void **state)
{
	struct harness *h = *state;
	const char *const args[] = { "--max-connections", "8", NULL };
	uint8_t head[SP_HEAD_MAX];
	struct rpc_client *c;
	Gloss__V1__Reply *r;
	int fd[8];
	int64_t t0;

	assert_true(harness_start(h, args));
	sp_head(SP_IPC, 1000, head);
	for (int i = 0; i < 8; i++) {
		fd[i] = peer_open_at_cap(h);
		if (i % 2 == 1) /* 4 bytes of a frame header, then nothing */
			assert_int_equal(send(fd[i], head, 4, MSG_NOSIGNAL), 4);
	}
	peer_sleep_ms(SERVER_EVICT_WAIT_MS);
	t0 = peer_now_ms();
	c = harness_client(h);
	peer_info(c, &r);
	rpc_reply_free(r);
	print_message("at the cap, a new client was served in %lld ms\n",
	    (long long)(peer_now_ms() - t0));
	assert_true(peer_now_ms() - t0 < 2000);
	rpc_close(c);
	for (int i = 0; i < 8; i++)
		close(fd[i]);
}

/*
 * Out of descriptors (a limit set on the running glossd), with clients
 * still connecting: glossd used to spin at 99% CPU writing millions of log
 * lines.  Now it pauses accepting, says so once, and serves again when
 * descriptors come back.
 */
static void
test_out_of_descriptors_does_not_spin(void **state)
{
	struct harness *h = *state;
	struct rlimit lim, old;
	struct rpc_client *c;
	Gloss__V1__Reply *r;
	int fd[80], lines = 0;
	long cpu;
	char *log, *p;
	size_t n;

	assert_true(harness_start(h, NULL));
	c = harness_client(h);
	/* The soft limit only: raising a hard one back needs a privilege. */
	assert_int_equal(prlimit(h->pid, RLIMIT_NOFILE, NULL, &old), 0);
	lim = (struct rlimit){ 40, old.rlim_max };
	assert_int_equal(prlimit(h->pid, RLIMIT_NOFILE, &lim, NULL), 0);
	for (int i = 0; i < 80; i++)
		fd[i] = peer_raw_connect(h);
	peer_sleep_ms(300);
	cpu = peer_proc_cpu_ms(h->pid);
	peer_sleep_ms(2000);
	cpu = peer_proc_cpu_ms(h->pid) - cpu;
	for (int i = 0; i < 80; i++)
		close(fd[i]);
	print_message("out of descriptors, 80 clients waiting: %ld ms of CPU "
	              "in 2 s\n",
	    cpu);
	assert_true(cpu < 300);
	assert_int_equal(prlimit(h->pid, RLIMIT_NOFILE, &old, NULL), 0);
	peer_info(c, &r);
	rpc_reply_free(r);
	rpc_close(c);
	harness_stop(h);
	log = harness_read_file(h->log, &n);
	for (p = log; (p = strstr(p, "cannot accept connections")); p++)
		lines++;
	free(log);
	assert_true(lines >= 1 && lines <= 2);
}

/* A TCP connection to 127.0.0.1:port from source address 127.0.0.<host>
 * (all of 127/8 is this machine's loopback on Linux): distinct hosts. */
static int
tcp_from(int host, int port)
{
	struct sockaddr_in src = { .sin_family = AF_INET };
	struct sockaddr_in dst = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	src.sin_addr.s_addr = htonl(0x7f000000u | (uint32_t)host);
	dst.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	dst.sin_port = htons((uint16_t)port);
	assert_int_equal(bind(fd, (struct sockaddr *)&src, sizeof(src)), 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&dst, sizeof(dst)), 0);
	return fd;
}

/*
 * --max-connections 32: one host holds 4 places at most (its fifth
 * connection is closed at once), and when 30 are taken by 8 hosts, TCP
 * gets no more while the local socket still does.  A flood of connections
 * from the network used to lock everyone out, the admin on ipc included.
 */
static void
test_no_host_takes_every_place(void **state)
{
	struct harness *h = *state;
	char ipc[300], tcp[64];
	const char *const args[] = { "--listen", ipc, "--listen", tcp,
		"--max-connections", "32", NULL };
	int port = peer_free_port(), fd[32], n = 0, extra;
	struct rpc_client *c;
	Gloss__V1__Reply *r;

	snprintf(ipc, sizeof(ipc), "%s", h->url);
	snprintf(tcp, sizeof(tcp), "tcp://127.0.0.1:%d", port);
	assert_true(harness_start(h, args));
	for (int i = 0; i < 4; i++)
		fd[n++] = tcp_from(1, port);
	extra = tcp_from(1, port);
	assert_true(peer_closed_within(extra, 2000));
	close(extra);
	for (int host = 2; n < 30; host++)
		for (int i = 0; i < 4 && n < 30; i++)
			fd[n++] = tcp_from(host, port);
	peer_sleep_ms(300); /* glossd has taken all 30 */
	extra = tcp_from(9, port);
	assert_true(peer_closed_within(extra, 2000));
	close(extra);
	c = harness_client(h);
	assert_int_equal(peer_info(c, &r)->connections, 31);
	assert_true(r->get_server_info->connections_refused >= 2);
	rpc_reply_free(r);
	rpc_close(c);
	for (int i = 0; i < n; i++)
		close(fd[i]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_connection_cap,
		    harness_setup, harness_teardown),
		cmocka_unit_test_setup_teardown(
		    test_lazy_connections_cannot_lock_out, harness_setup,
		    harness_teardown),
		cmocka_unit_test_setup_teardown(
		    test_out_of_descriptors_does_not_spin, harness_setup,
		    harness_teardown),
		cmocka_unit_test_setup_teardown(test_no_host_takes_every_place,
		    harness_setup, harness_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
