/*
 * fuzz_compile.c: fuzz target for the compiler. The input is a Sieve
 * script: sv_compile, render the diagnostics; when it compiles, the image
 * must load and verify (a compiler output the verifier refuses is a bug:
 * abort), then it is disassembled and run against a fixed message with a
 * small instruction budget (twice: the second run uses the caches).
 *
 * libFuzzer: build-fuzz/fuzz_compile (`make fuzz`, see fuzz.mk);
 * make check: tests/fuzz/replay_compile replays tests/fuzz/regress/compile/.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "fuzz.h"
#include "lib/buf.h"
#include "lib/diag.h"
#include "lib/limits.h"
#include "mail/message.h"
#include "parser/compile.h"
#include "vm/binary.h"
#include "vm/disasm.h"
#include "vm/result.h"
#include "vm/vm.h"

static struct sv_settings settings;
static bool ready;

static void setup(void)
{
	if (ready)
		return;
	struct sv_buf err = SV_BUF_INIT;
	sv_settings_init(&settings);
	if (!sv_settings_set(&settings, "max-instructions", FUZZ_MAX_INSTRUCTIONS, &err)) {
		fprintf(stderr, "fuzz_compile: %s\n", err.p);
		abort();
	}
	sv_buf_free(&err);
	ready = true;
}

/* One run; the binary is run twice per input, since the second run of
 * a binary takes other paths (the per-instruction caches). */
static void run(const struct sv_binary *bin)
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
		fprintf(stderr, "fuzz_compile: run of verified code returned %d (%s): %s\n", (int)st,
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	setup();
	const char *src = (const char *)data;
	struct sv_diags diags;
	sv_diags_init(&diags);
	struct sv_buf img = SV_BUF_INIT, text = SV_BUF_INIT, err = SV_BUF_INIT;
	struct sv_compile_options co = {.settings = &settings};
	enum sv_status st = sv_compile("fuzz.sieve", src, size, &co, &diags, &img, NULL);
	sv_diags_render(&diags, &text, "fuzz.sieve", src, size);
	if (st == SV_OK) {
		struct sv_binary *bin = NULL;
		if (sv_bin_load(img.p, img.len, &bin, &err) != SV_OK) {
			fprintf(stderr, "fuzz_compile: the compiler's output fails verification: %s\n",
				err.p ? err.p : "?");
			abort();
		}
		sv_buf_reset(&text);
		sv_disasm(bin, src, size, &text);
		run(bin);
		run(bin);
		sv_bin_free(bin);
	}
	sv_buf_free(&err);
	sv_buf_free(&text);
	sv_buf_free(&img);
	sv_diags_free(&diags);
	return 0;
}
