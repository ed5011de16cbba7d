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

static const char fuzz_name[] = "fuzz_compile";
#include "fuzz_run.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_setup();
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
		fuzz_run(bin);
		fuzz_run(bin);
		sv_bin_free(bin);
	}
	sv_buf_free(&err);
	sv_buf_free(&text);
	sv_buf_free(&img);
	sv_diags_free(&diags);
	return 0;
}
