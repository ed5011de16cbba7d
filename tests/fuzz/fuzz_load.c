/*
 * fuzz_load.c: fuzz target for the loader, the verifier and the VM. The
 * input is a binary *body* (the sections after the 44-byte header); the
 * target puts a correct header in front (magic, format 1.0, header size,
 * flags 0, body length, CRC-32 of the body, this build's fingerprint), so
 * every input reaches the section parser and the verifier instead of
 * dying at the checksum. When sv_bin_load accepts it, the code is
 * disassembled and run twice (the second run uses the per-instruction
 * caches) against a fixed message with a small instruction budget:
 * whatever the verifier lets through must be safe to run.
 *
 * libFuzzer: build-fuzz/fuzz_load (`make fuzz`, see fuzz.mk);
 * make check: tests/fuzz/replay_load replays tests/fuzz/regress/load/.
 * Seeds: the bodies of compiled scripts (bytes 44.. of a .svbin).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "fuzz.h"
#include "lib/buf.h"
#include "lib/limits.h"
#include "mail/message.h"
#include "vm/binary.h"
#include "vm/bytecode.h"
#include "vm/disasm.h"
#include "vm/result.h"
#include "vm/vm.h"

static const char fuzz_name[] = "fuzz_load";
#include "fuzz_run.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_setup();
	if (size > 0xffffffffu - SV_BIN_HEADER_SIZE)
		return 0;
	struct sv_buf img = SV_BUF_INIT, err = SV_BUF_INIT;
	sv_buf_append(&img, SV_BIN_MAGIC, SV_BIN_MAGIC_LEN);
	sv_buf_put_u16(&img, SV_BIN_MAJOR);
	sv_buf_put_u16(&img, SV_BIN_MINOR);
	sv_buf_put_u32(&img, SV_BIN_HEADER_SIZE);
	sv_buf_put_u32(&img, 0); /* flags */
	sv_buf_put_u32(&img, (uint32_t)size);
	sv_buf_put_u32(&img, sv_crc32(data, size));
	sv_buf_put_u64(&img, sv_hash64("", 0)); /* source hash: not checked */
	sv_buf_put_u64(&img, sv_bin_fingerprint());
	if (img.len != SV_BIN_HEADER_SIZE) {
		fprintf(stderr, "fuzz_load: header is %zu bytes, expected %d\n", img.len,
			SV_BIN_HEADER_SIZE);
		abort();
	}
	sv_buf_append(&img, data, size);
	struct sv_binary *bin = NULL;
	if (sv_bin_load(img.p, img.len, &bin, &err) == SV_OK) {
		struct sv_buf text = SV_BUF_INIT;
		sv_disasm(bin, NULL, 0, &text);
		sv_buf_free(&text);
		fuzz_run(bin);
		fuzz_run(bin);
		sv_bin_free(bin);
	}
	sv_buf_free(&err);
	sv_buf_free(&img);
	return 0;
}
