/*
 * verify.h: the bytecode verifier. Runs on every load (binary.c): every
 * instruction decodes inside the code, names an operation its extension
 * has, carries operands of the kinds its signature demands, refers only to
 * constants of the right type, and every jump lands on an instruction start
 * (or the end). The VM runs nothing else.
 */
#ifndef SV_VERIFY_H
#define SV_VERIFY_H

#include <stdbool.h>

#include "lib/buf.h"
#include "vm/binary.h"

/* Verifies bin and, when it passes and keep is true, fills bin->insns with
 * the decoded instructions the VM runs (see verify.c). */
bool sv_verify(struct sv_binary *bin, bool keep, struct sv_buf *err);

#endif
