/*
 * binary.h: writing and loading .svbin files (format in bytecode.h).
 *
 * sv_bin_load checks the header and the CRC, parses the sections and runs
 * the verifier (verify.h) before it hands out a binary: nothing else ever
 * sees unverified code.
 */
#ifndef SV_BINARY_H
#define SV_BINARY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/arena.h"
#include "lib/buf.h"
#include "lib/status.h"
#include "vm/bytecode.h"

struct sv_ext_def;
struct sv_namespace_def;
struct sv_operands;

struct sv_tpl_part {
	uint8_t kind;  /* SV_TPL_* */
	const char *p; /* LIT: bytes; NS: name */
	size_t len;
	uint64_t idx;  /* VAR: slot; MATCH: index; NS: namespace index */
	const struct sv_namespace_def *ns;
};

struct sv_const {
	uint8_t type;  /* SV_CONST_* */
	const char *p; /* STR */
	size_t len;
	uint32_t *items; /* LIST */
	size_t nitems;
	struct sv_tpl_part *parts; /* TPL */
	size_t nparts;
	bool literal;  /* STR, or LIST of STRs only */
};

struct sv_binary {
	struct sv_arena *arena;
	const unsigned char *data; /* the whole file (owned copy) */
	size_t len;
	uint16_t major, minor;
	uint64_t src_hash, fingerprint;
	const struct sv_ext_def **exts; /* slot -> extension */
	size_t nexts;
	struct sv_const *pool;
	size_t npool;
	const char **varnames;
	size_t nvars;
	const unsigned char *code;
	size_t codelen;
	uint32_t *line_off, *line_no;
	size_t nlines;
	const char *name;
	bool uses_match_vars;
	/* every instruction decoded once, by the verifier, in code order */
	struct sv_operands *insns;
	size_t ninsns;
	/* per-instruction caches (prepared matchers), by instruction index */
	void **cache;
};

/* Serialised pieces handed from the code generator to the writer. */
struct sv_bin_parts {
	const struct sv_ext_def *const *exts;
	size_t nexts;
	const struct sv_buf *pool;   /* entries, already encoded */
	size_t npool;
	const char *const *varnames;
	size_t nvars;
	const struct sv_buf *code;
	const uint32_t *line_off, *line_no;
	size_t nlines;
	const char *name;
	uint64_t src_hash, fingerprint;
};

/* Assemble a binary image. */
void sv_bin_write(const struct sv_bin_parts *parts, struct sv_buf *out);

/* Load and verify; on failure *bin_r is NULL and err says why
 * (SV_CORRUPT for anything wrong with the bytes). */
enum sv_status sv_bin_load(const void *data, size_t len, struct sv_binary **bin_r,
			   struct sv_buf *err);
/* Check a binary as sv_bin_load does, keeping nothing (sievec checks what
 * it wrote this way). */
enum sv_status sv_bin_check(const void *data, size_t len, struct sv_buf *err);
/* sv_bin_check for a binary just made by sv_bin_write (its checksum was
 * computed from these very bytes): every check but the checksum's. */
enum sv_status sv_bin_check_trusted(const void *data, size_t len, struct sv_buf *err);
/* The largest binary file read (a binary is derived data, bounded by the
 * code the largest script can generate; this only stops a hostile file). */
#define SV_BIN_MAX_FILE ((size_t)256 << 20)

/* sv_bin_load of a file; every error names the file ("PATH: reason"). */
enum sv_status sv_bin_load_file(const char *path, struct sv_binary **bin_r, struct sv_buf *err);
void sv_bin_free(struct sv_binary *bin);

/* Write a file atomically (temp file in the same folder, rename): readers
 * see the old file or the new one, never a part. */
enum sv_status sv_bin_save_file(const char *path, const void *data, size_t len,
				struct sv_buf *err);

/* Header fields without a full load (for cache checks); false when the
 * header is not a sift binary header. */
bool sv_bin_peek(const void *data, size_t len, uint64_t *src_hash_r, uint64_t *fingerprint_r);

/* Make a loaded binary ready to run (decoded instructions, matcher
 * caches); sv_vm_run calls it. */
void sv_bin_prepare(struct sv_binary *bin);

/* Line of the instruction at code offset (0 when unknown). */
unsigned sv_bin_line(const struct sv_binary *bin, size_t offset);

/* CRC-32 (IEEE 802.3) and FNV-1a 64, as the format uses them. */
uint32_t sv_crc32(const void *data, size_t len);
uint64_t sv_hash64(const void *data, size_t len);
/* The fingerprint of this build (version and extension set). */
uint64_t sv_bin_fingerprint(void);
/* ... and of the settings a compile checks (sizes, nesting, lists,
 * variables, regex cost; NULL: the defaults), which is what a binary
 * records: a cached binary built under other limits is rebuilt. */
struct sv_settings;
uint64_t sv_bin_fingerprint_for(const struct sv_settings *s);

/* Little-endian readers with bounds (for the loader and tests). */
bool sv_read_varint(const unsigned char *p, size_t len, size_t *pos, uint64_t *v);

#endif
