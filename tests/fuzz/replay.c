/*
 * replay.c: a plain main() for a fuzz target, so that `make check` (with
 * the normal compiler, no libFuzzer) feeds it every input ever saved:
 * make check builds it once per target (tests/fuzz/replay_compile,
 * replay_load, replay_message; fuzz.mk passes FUZZ_TARGET) and it runs
 * LLVMFuzzerTestOneInput on each file of
 *     $srcdir/tests/fuzz/regress/<target>/
 * (sorted by name). A crash, an abort or a sanitizer report ends the
 * program: the test fails. With arguments, it replays those files or
 * folders instead (to reproduce a crash outside libFuzzer):
 *     tests/fuzz/replay_load ../tests/fuzz/regress/load/crash-...
 * Prints "N passed, M failed"; M counts files that could not be read.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

#ifndef FUZZ_TARGET
#error "FUZZ_TARGET must name the target (compile, load, message)"
#endif

static unsigned passed, failed;

static int read_file(const char *path, unsigned char **data_r, size_t *len_r)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	unsigned char *data = NULL;
	size_t len = 0, cap = 0;
	for (;;) {
		if (len == cap) {
			cap = cap ? cap * 2 : 4096;
			unsigned char *n = realloc(data, cap);
			if (!n) {
				free(data);
				fclose(f);
				return -1;
			}
			data = n;
		}
		size_t got = fread(data + len, 1, cap - len, f);
		len += got;
		if (got == 0)
			break;
	}
	int bad = ferror(f);
	fclose(f);
	if (bad) {
		free(data);
		return -1;
	}
	*data_r = data;
	*len_r = len;
	return 0;
}

static void replay_file(const char *path)
{
	unsigned char *data;
	size_t len;
	if (read_file(path, &data, &len) != 0) {
		fprintf(stderr, "FAIL: %s: cannot read\n", path);
		failed++;
		return;
	}
	/* an exact-size copy, so that a read past the end is caught by ASan */
	unsigned char *exact = malloc(len ? len : 1);
	if (!exact) {
		free(data);
		fprintf(stderr, "FAIL: %s: out of memory\n", path);
		failed++;
		return;
	}
	if (len)
		memcpy(exact, data, len);
	free(data);
	printf("replay %s: %s (%zu bytes)\n", FUZZ_TARGET, path, len);
	fflush(stdout);
	LLVMFuzzerTestOneInput(exact, len);
	free(exact);
	passed++;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void replay_path(const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0) {
		fprintf(stderr, "FAIL: %s: not found\n", path);
		failed++;
		return;
	}
	if (!S_ISDIR(st.st_mode)) {
		replay_file(path);
		return;
	}
	DIR *d = opendir(path);
	if (!d) {
		fprintf(stderr, "FAIL: %s: cannot open folder\n", path);
		failed++;
		return;
	}
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			char **nn = realloc(names, cap * sizeof *names);
			if (!nn)
				abort();
			names = nn;
		}
		size_t l = strlen(path) + strlen(e->d_name) + 2;
		names[n] = malloc(l);
		if (!names[n])
			abort();
		snprintf(names[n], l, "%s/%s", path, e->d_name);
		n++;
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof *names, cmp_names);
	for (size_t i = 0; i < n; i++) {
		struct stat fs;
		if (stat(names[i], &fs) == 0 && S_ISREG(fs.st_mode))
			replay_file(names[i]);
		free(names[i]);
	}
	free(names);
}

int main(int argc, char **argv)
{
	if (argc > 1) {
		for (int i = 1; i < argc; i++)
			replay_path(argv[i]);
	} else {
		const char *srcdir = getenv("srcdir");
		if (!srcdir || !*srcdir)
			srcdir = ".";
		size_t l = strlen(srcdir) + sizeof "/tests/fuzz/regress/" + strlen(FUZZ_TARGET);
		char *dir = malloc(l);
		if (!dir)
			abort();
		snprintf(dir, l, "%s/tests/fuzz/regress/%s", srcdir, FUZZ_TARGET);
		replay_path(dir);
		free(dir);
	}
	if (passed + failed == 0) {
		fprintf(stderr, "FAIL: no inputs to replay\n");
		failed++;
	}
	printf("%u passed, %u failed\n", passed, failed);
	return failed ? 1 : 0;
}
