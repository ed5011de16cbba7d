/*
 * state-claim.c: one delivery's claim on the state store (src/delivery/
 * state.c), as a process of its own, for state-concurrency.sh.
 *
 *   state-claim port                  a free loopback TCP port
 *   state-claim ping LOCATION         open until it works (10 s at most)
 *   state-claim claim LOCATION KEY    open, tell "ready" (one byte on fd 4),
 *                                     wait for one byte on stdin, claim KEY
 *                                     in "vacation", commit when won; print
 *                                     "won" or "lost"
 *   state-claim seen LOCATION KEY     print "seen" or "unseen"
 *
 * Every call uses the user "race" and the fixed now 1700000000. Exit 0,
 * or 75 with the reason on stderr when the store failed, 64 for usage.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "delivery/state.h"

#define NOW ((time_t)1700000000)

static int fail(const char *doing, struct sv_buf *err)
{
	fprintf(stderr, "state-claim: %s: %s\n", doing, err->p ? err->p : "");
	sv_buf_free(err);
	return 75;
}

static int free_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof a;
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) != 0)
		return 75;
	close(fd);
	printf("%d\n", ntohs(a.sin_port));
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "port") == 0)
		return free_port();
	if (argc < 3)
		return 64;
	struct sv_state_opts o;
	sv_state_opts_init(&o);
	o.user = "race";
	o.now = NOW;
	struct sv_buf err = SV_BUF_INIT;
	struct sv_state *st = NULL;
	const char *loc = argv[2];

	if (strcmp(argv[1], "ping") == 0) {
		for (int i = 0; i < 1000; i++) {
			sv_buf_reset(&err);
			if (sv_dlv_state_open(loc, &o, &st, &err) == SV_OK) {
				sv_dlv_state_close(st);
				sv_buf_free(&err); /* the reasons of the tries before */
				return 0;
			}
			struct timespec ts = {0, 10 * 1000000};
			nanosleep(&ts, NULL);
		}
		return fail("open", &err);
	}
	if (argc != 4)
		return 64;
	const char *key = argv[3];
	if (sv_dlv_state_open(loc, &o, &st, &err) != SV_OK)
		return fail("open", &err);
	if (strcmp(argv[1], "seen") == 0) {
		bool seen;
		if (sv_dlv_state_check(st, "vacation", key, strlen(key), NOW, &seen, &err) != SV_OK)
			return fail("check", &err);
		puts(seen ? "seen" : "unseen");
	} else if (strcmp(argv[1], "claim") == 0) {
		char c;
		bool won;
		if (write(4, "r", 1) != 1 || read(0, &c, 1) != 1)
			return 64;
		if (sv_dlv_state_claim(st, "vacation", key, strlen(key), NOW, NOW + 86400, &won,
		                       &err) != SV_OK)
			return fail("claim", &err);
		if (won && sv_dlv_state_commit(st, &err) != SV_OK)
			return fail("commit", &err);
		puts(won ? "won" : "lost");
	} else {
		return 64;
	}
	sv_dlv_state_close(st);
	sv_buf_free(&err);
	return 0;
}
