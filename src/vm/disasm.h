/*
 * disasm.h: human-readable listing of a verified binary (sieve-dump,
 * sievec -d). Stable output: it is used in golden tests.
 */
#ifndef SV_DISASM_H
#define SV_DISASM_H

#include "lib/buf.h"
#include "vm/binary.h"

/* src (may be NULL) adds each instruction's source line as a comment. */
void sv_disasm(const struct sv_binary *bin, const char *src, size_t srclen, struct sv_buf *out);

#endif
