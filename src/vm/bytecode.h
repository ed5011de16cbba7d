/*
 * bytecode.h: the .svbin binary format (DESIGN.md §3, doc/bytecode.md).
 *
 * Header (little-endian, SV_BIN_HEADER_SIZE bytes):
 *    0  magic "SIFTSVB\x1a"
 *    8  u16 format major, u16 format minor
 *   12  u32 header size
 *   16  u32 flags (none defined yet: must be 0)
 *   20  u32 body length
 *   24  u32 CRC-32 (IEEE) of the body
 *   28  u64 hash of the script source (FNV-1a 64)
 *   36  u64 fingerprint of what the code depends on (sift version,
 *       extension set, code-generation settings)
 *   44  (end)
 * Body: sections, each u8 id, u32 length, payload; every section exactly
 * once and in this order:
 *   EXT   varint n; n x (varint len, name): slot i runs extension i; slot 0
 *         is always "core"
 *   POOL  varint n; n entries (see SV_CONST_*), each referring only to
 *         earlier entries
 *   VARS  varint n; n x (varint len, name): variable slots (names for dumps)
 *   CODE  instructions: u8 ext slot, varint local op, operands by signature
 *   LINES varint n; n x (varint code-offset delta, varint line): the line of
 *         each instruction start (offsets ascending)
 *   NAME  varint len, the script name as compiled (for messages)
 *
 * Format log (bump major on any incompatible change, with the reason):
 *   1.0  first format.
 */
#ifndef SV_BYTECODE_H
#define SV_BYTECODE_H

#define SV_BIN_MAGIC "SIFTSVB\x1a"
#define SV_BIN_MAGIC_LEN 8
#define SV_BIN_MAJOR 1
#define SV_BIN_MINOR 0
#define SV_BIN_HEADER_SIZE 44

enum sv_section {
	SV_SEC_EXT = 1,
	SV_SEC_POOL,
	SV_SEC_VARS,
	SV_SEC_CODE,
	SV_SEC_LINES,
	SV_SEC_NAME,
	SV_SEC__COUNT
};

/* Constant-pool entries. */
enum sv_const_type {
	SV_CONST_STR = 1,  /* varint len, bytes */
	SV_CONST_LIST = 2, /* varint n, n x varint index of a STR or TPL */
	SV_CONST_TPL = 3,  /* varint nparts, parts (SV_TPL_*): a string with
			      variable references (RFC 5229) */
};

enum sv_tpl_part_kind {
	SV_TPL_LIT = 0,   /* varint len, bytes */
	SV_TPL_VAR = 1,   /* varint variable slot */
	SV_TPL_MATCH = 2, /* varint match-variable index */
	SV_TPL_NS = 3,    /* u8 ext slot, varint namespace index, varint len, name */
};

/* Bounds the verifier enforces on any binary. */
#define SV_BIN_MAX_EXTS 64
#define SV_BIN_MAX_POOL (1u << 22)
#define SV_BIN_MAX_OPERANDS 8
#define SV_BIN_MAX_OPTIONALS 16
#define SV_BIN_MAX_TPL_PARTS 4096

#endif
