/*
 * sieve-testsuite: runs Sieve test-suite files (TESTSUITE.md).
 *
 *   sieve-testsuite [-F] [-W WORKDIR] [-o key=value]... FILE.svtest...
 *
 * Each file is compiled with every extension plus vnd.dovecot.testsuite
 * and run once; its report goes to stdout. -F expects every block to fail
 * (crash regressions). The last line counts test blocks over all files.
 * Exit status 0 when every file passed, 1 otherwise, 64 on bad usage.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ext/testsuite.h"
#include "tools/common.h"

static void usage(FILE *f)
{
	fputs("usage: sieve-testsuite [-F] [-W WORKDIR] [-o key=value]... FILE.svtest...\n"
	      "Run Sieve test-suite files.\n\n"
	      "  -F            expect failure: a file passes when all its tests fail\n"
	      "  -W WORKDIR    where the per-file work folder is made (default /tmp)\n"
	      "  -o key=value  the settings each file starts from\n",
	      f);
}

int main(int argc, char **argv)
{
	/* No setlocale: nothing in sift depends on the locale (STYLE.md). */
	static const struct option longopts[] = {
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	bool expect_failure = false;
	struct sv_settings settings;
	sv_settings_init(&settings);
	const char *workroot = "/tmp";
	int opt;
	while ((opt = getopt_long(argc, argv, "FW:o:", longopts, NULL)) != -1) {
		switch (opt) {
		case 'o':
			if (!tool_setting("sieve-testsuite", &settings, optarg)) {
				sv_settings_free(&settings);
				return 64;
			}
			break;
		case 'F': expect_failure = true; break;
		case 'W': workroot = optarg; break;
		case 'h': usage(stdout); sv_settings_free(&settings); return 0;
		case 'V': tool_version("sieve-testsuite"); sv_settings_free(&settings); return 0;
		default: usage(stderr); sv_settings_free(&settings); return 64;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		sv_settings_free(&settings);
		return 64;
	}
	struct sv_testsuite_counts counts = {0, 0};
	int rc = 0;
	for (int i = optind; i < argc; i++)
		if (!sv_testsuite_run_file(argv[i], workroot, expect_failure, &settings, &counts))
			rc = 1;
	printf("%u passed, %u failed\n", counts.passed, counts.failed);
	sv_settings_free(&settings);
	return rc;
}
