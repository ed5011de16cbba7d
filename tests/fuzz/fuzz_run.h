/*
 * fuzz_run.h: what the compile and load targets share: the settings (a
 * small instruction budget) and one run of a verified binary against the
 * fixed message, which must end with a valid status. Each target defines
 * fuzz_name (for messages) before including this.
 */
#ifndef SV_TESTS_FUZZ_RUN_H
#define SV_TESTS_FUZZ_RUN_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "fuzz.h"
#include "lib/buf.h"
#include "lib/limits.h"
#include "mail/message.h"
#include "vm/binary.h"
#include "vm/result.h"
#include "vm/vm.h"

/* max-instructions and max-cpu-time lowered: a budget-bounded run must
 * end well within libFuzzer's -timeout, so that a timeout means work the
 * budgets do not bound (a backward jump over an expensive test runs until
 * the CPU budget, 30 s by default) */
static struct sv_settings settings;
static bool ready;

static void fuzz_setup(void)
{
	if (ready)
		return;
	struct sv_buf err = SV_BUF_INIT;
	sv_settings_init(&settings);
	if (!sv_settings_set(&settings, "max-instructions", FUZZ_MAX_INSTRUCTIONS, &err) ||
	    !sv_settings_set(&settings, "max-cpu-time", "1", &err)) {
		fprintf(stderr, "%s: %s\n", fuzz_name, err.p);
		abort();
	}
	sv_buf_free(&err);
	ready = true;
}

/* One run; the binary is run twice per input, since the second run of
 * a binary takes other paths (the per-instruction caches). */
static void fuzz_run(const struct sv_binary *bin)
{
	static const char msgtext[] = FUZZ_MESSAGE;
	struct sv_msg *m = sv_msg_new(msgtext, sizeof msgtext - 1);
	struct sv_envelope env = {
		.from = "owner-list+bounces@lists.example.net",
		.to = "alice+shop@example.org",
		.orig_to = "alice+shop@example.org",
		.auth = "alice@example.org",
		.final_to = "alice@example.org",
	};
	struct sv_result res;
	sv_result_init(&res, &settings);
	struct sv_vm vm;
	struct sv_vm_options vo = {.settings = &settings};
	enum sv_status st = sv_vm_run(&vm, bin, m, &env, &res, &vo);
	if ((unsigned)st > SV_NOMEM || st == SV_CORRUPT) {
		fprintf(stderr, "%s: run of verified code returned %d (%s): %s\n", fuzz_name, (int)st,
			sv_status_name(st), vm.error.p ? vm.error.p : "");
		abort();
	}
	if (st != SV_OK)
		sv_result_cancel(&res);
	struct sv_buf out = SV_BUF_INIT;
	sv_result_summary(&res, &out);
	sv_result_print(&res, &out);
	sv_buf_free(&out);
	sv_vm_cleanup(&vm);
	sv_result_free(&res);
	sv_msg_free(m);
}

#endif
