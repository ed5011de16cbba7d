/*
 * limit.c: run one command of the hostile-input suite under a time and
 * memory cap and report what it used (tests/hostile/run.sh).
 *
 *   limit [-a MB] [-m MB] [-t SECONDS] -r REPORT -- PROGRAM ARG...
 *
 * -a caps the child's address space (RLIMIT_AS; left out under ASan, which
 * reserves terabytes of shadow memory); -m kills the child (SIGKILL) once
 * its resident set passes that many MB (polled every 5 ms from /proc, so
 * that a runaway cannot take the machine's memory even without -a); -t
 * kills it after that many seconds of wall-clock time. REPORT receives one
 * line "status S seconds T rss-mb M timed-out 0|1 rss-killed 0|1": S is the
 * exit status, or
 * 128 + the signal as a shell reports it; M the peak resident set of the
 * child and its descendants (getrusage). `limit --sanitized` prints 1 when
 * this program (and so the build) has AddressSanitizer, else 0.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANITIZED 1
#endif
#endif
#ifndef SANITIZED
#define SANITIZED 0
#endif

/* Resident set of a process in MB, from /proc/PID/statm; 0 if unknown. */
static unsigned long rss_mb(pid_t pid)
{
	char path[64];
	unsigned long size = 0, resident = 0;
	snprintf(path, sizeof path, "/proc/%ld/statm", (long)pid);
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return 0;
	if (fscanf(f, "%lu %lu", &size, &resident) != 2)
		resident = 0;
	fclose(f);
	return resident * (unsigned long)sysconf(_SC_PAGESIZE) / (1024 * 1024);
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int usage(void)
{
	fputs("usage: limit [-a MB] [-t SECONDS] -r REPORT -- PROGRAM ARG...\n", stderr);
	return 2;
}

int main(int argc, char **argv)
{
	unsigned long as_mb = 0, rss_cap = 0, seconds = 0;
	const char *report = NULL;
	int i = 1;

	if (argc == 2 && strcmp(argv[1], "--sanitized") == 0) {
		printf("%d\n", SANITIZED);
		return 0;
	}
	for (; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		}
		if (i + 1 >= argc)
			return usage();
		if (strcmp(argv[i], "-a") == 0)
			as_mb = strtoul(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "-m") == 0)
			rss_cap = strtoul(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "-t") == 0)
			seconds = strtoul(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "-r") == 0)
			report = argv[++i];
		else
			return usage();
	}
	if (i >= argc || report == NULL)
		return usage();

	double start = now();
	pid_t pid = fork();
	if (pid < 0) {
		perror("limit: fork");
		return 2;
	}
	if (pid == 0) {
		if (as_mb > 0) {
			struct rlimit rl = {as_mb << 20, as_mb << 20};
			setrlimit(RLIMIT_AS, &rl);
		}
		execv(argv[i], argv + i);
		fprintf(stderr, "limit: %s: %s\n", argv[i], strerror(errno));
		_exit(127);
	}

	int st = 0;
	int killed = 0, rss_killed = 0;
	for (;;) {
		pid_t r = waitpid(pid, &st, WNOHANG);
		if (r == pid)
			break;
		if (r < 0 && errno != EINTR) {
			perror("limit: waitpid");
			return 2;
		}
		if (!killed && seconds > 0 && now() - start > (double)seconds) {
			kill(pid, SIGKILL);
			killed = 1;
		}
		if (!killed && !rss_killed && rss_cap > 0 && rss_mb(pid) > rss_cap) {
			kill(pid, SIGKILL);
			rss_killed = 1;
		}
		struct timespec ts = {0, 5 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	double elapsed = now() - start;

	struct rusage ru;
	getrusage(RUSAGE_CHILDREN, &ru);
	int status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	FILE *f = fopen(report, "w");
	if (f == NULL) {
		perror(report);
		return 2;
	}
	fprintf(f, "status %d seconds %.2f rss-mb %ld timed-out %d rss-killed %d\n", status,
		elapsed, ru.ru_maxrss / 1024, killed, rss_killed);
	fclose(f);
	return 0;
}
