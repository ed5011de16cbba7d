/*
 * testsuite.h: the runner of sift's Sieve test suite (TESTSUITE.md): the
 * hidden extension "vnd.dovecot.testsuite" (testsuite.c) and the per-file
 * run that sieve-testsuite drives.
 */
#ifndef SV_EXT_TESTSUITE_H
#define SV_EXT_TESTSUITE_H

#include <stdbool.h>

/* Test blocks over all files, for the final "N passed, M failed" line. */
struct sv_testsuite_counts {
	unsigned passed, failed;
};

struct sv_settings;

/*
 * Compile and run one .svtest file in a fresh work folder made under
 * workroot (removed afterwards), printing its report on stdout in the
 * format of TESTSUITE.md. expect_failure is -F. base (NULL: the defaults)
 * holds the settings the file starts from (sieve-testsuite -o) and that
 * test_config_unset returns to. Returns true when the file passed; counts
 * is updated.
 */
bool sv_testsuite_run_file(const char *path, const char *workroot, bool expect_failure,
                           const struct sv_settings *base, struct sv_testsuite_counts *counts);

#endif
