/*
 * binary.c: .svbin writer and loader (format in bytecode.h).
 *
 * The loader trusts nothing: every length and index is checked before use,
 * and the verifier (verify.c) walks the code before sv_bin_load returns.
 */
#include "vm/binary.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "ext/registry.h"
#include "lib/alloc.h"
#include "vm/verify.h"
#include "vm/vm.h"

/* CRC-32 (IEEE), eight bytes a step (slicing-by-8). */
static uint32_t crc_table[8][256];

static void crc_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;
		for (int k = 0; k < 8; k++)
			c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
		crc_table[0][i] = c;
	}
	for (uint32_t i = 0; i < 256; i++)
		for (int t = 1; t < 8; t++)
			crc_table[t][i] = (crc_table[t - 1][i] >> 8) ^
					  crc_table[0][crc_table[t - 1][i] & 0xff];
}

uint32_t sv_crc32(const void *data, size_t len)
{
	static int ready;
	if (!ready) {
		crc_init();
		ready = 1;
	}
	const unsigned char *p = data;
	uint32_t c = 0xffffffffu;
	while (len >= 8) {
		uint32_t lo = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
			      (uint32_t)p[3] << 24;
		uint32_t hi = (uint32_t)p[4] | (uint32_t)p[5] << 8 | (uint32_t)p[6] << 16 |
			      (uint32_t)p[7] << 24;
		lo ^= c;
		c = crc_table[7][lo & 0xff] ^ crc_table[6][(lo >> 8) & 0xff] ^
		    crc_table[5][(lo >> 16) & 0xff] ^ crc_table[4][lo >> 24] ^
		    crc_table[3][hi & 0xff] ^ crc_table[2][(hi >> 8) & 0xff] ^
		    crc_table[1][(hi >> 16) & 0xff] ^ crc_table[0][hi >> 24];
		p += 8;
		len -= 8;
	}
	while (len--)
		c = crc_table[0][(c ^ *p++) & 0xff] ^ (c >> 8);
	return c ^ 0xffffffffu;
}

/* FNV-1a, 64 bits. */
uint64_t sv_hash64(const void *data, size_t len)
{
	const unsigned char *p = data;
	const uint64_t prime = 0x100000001b3ull;
	uint64_t h = 0xcbf29ce484222325ull;
	while (len >= 4) {
		h = (h ^ p[0]) * prime;
		h = (h ^ p[1]) * prime;
		h = (h ^ p[2]) * prime;
		h = (h ^ p[3]) * prime;
		p += 4;
		len -= 4;
	}
	while (len--)
		h = (h ^ *p++) * prime;
	return h;
}

uint64_t sv_bin_fingerprint_for(const struct sv_settings *s)
{
	struct sv_settings defaults;
	if (!s) {
		sv_settings_init(&defaults);
		s = &defaults;
	}
	const uint64_t v[] = {s->max_script_size, s->max_nesting, s->max_list_size,
			      s->max_variables, s->max_string_size};
	uint64_t fp = sv_bin_fingerprint() ^ sv_hash64(v, sizeof v);
	/* and the extensions' settings that change code generation */
	for (int id = SV_SET__COUNT, n = sv_settings_count(); id < n; id++)
		if (sv_setting_info_of(id)->compile_time) {
			uint64_t x = sv_settings_get(s, id);
			fp = fp * 1099511628211ull ^ sv_hash64(&x, sizeof x);
		}
	if (s == &defaults)
		sv_settings_free(&defaults);
	return fp ? fp : 1;
}

uint64_t sv_bin_fingerprint(void)
{
	static uint64_t fp;
	if (fp)
		return fp;
	struct sv_buf b = SV_BUF_INIT;
	sv_buf_printf(&b, "sift %s format %d.%d;", PACKAGE_VERSION, SV_BIN_MAJOR, SV_BIN_MINOR);
	for (size_t i = 0; i < sv_ext_count(); i++) {
		const struct sv_ext_def *e = sv_ext_at(i);
		sv_buf_printf(&b, "%s:", e->name);
		for (size_t k = 0; e->ops && e->ops[k].mnemonic; k++)
			sv_buf_printf(&b, "%s/%s,", e->ops[k].mnemonic, e->ops[k].sig);
		sv_buf_printf(&b, "%s;", e->opt_kinds ? e->opt_kinds : "");
	}
	fp = sv_hash64(b.p, b.len);
	sv_buf_free(&b);
	return fp;
}

/* Writing straight into out: a section's length is filled in when its
 * payload is written. */
static size_t section_open(struct sv_buf *out, uint8_t id)
{
	sv_buf_put_u8(out, id);
	sv_buf_put_u32(out, 0);
	return out->len;
}

static void put_le32(char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (char)(v >> (8 * i));
}

static void section_close(struct sv_buf *out, size_t start)
{
	put_le32(out->p + start - 4, (uint32_t)(out->len - start));
}

static void put_name(struct sv_buf *b, const char *s)
{
	size_t n = strlen(s);
	sv_buf_put_varint(b, n);
	sv_buf_append(b, s, n);
}

void sv_bin_write(const struct sv_bin_parts *parts, struct sv_buf *out)
{
	size_t base = out->len;
	sv_buf_reserve(out, SV_BIN_HEADER_SIZE + 64 + parts->pool->len + parts->code->len +
				    parts->nlines * 6 + parts->nexts * 24 + parts->nvars * 16);
	sv_buf_append(out, SV_BIN_MAGIC, SV_BIN_MAGIC_LEN);
	sv_buf_put_u16(out, SV_BIN_MAJOR);
	sv_buf_put_u16(out, SV_BIN_MINOR);
	sv_buf_put_u32(out, SV_BIN_HEADER_SIZE);
	sv_buf_put_u32(out, 0);
	size_t at_len = out->len;
	sv_buf_put_u32(out, 0); /* body length, below */
	sv_buf_put_u32(out, 0); /* body checksum, below */
	sv_buf_put_u64(out, parts->src_hash);
	sv_buf_put_u64(out, parts->fingerprint);
	size_t body = out->len;

	size_t sec = section_open(out, SV_SEC_EXT);
	sv_buf_put_varint(out, parts->nexts);
	for (size_t i = 0; i < parts->nexts; i++)
		put_name(out, parts->exts[i]->name);
	section_close(out, sec);

	sec = section_open(out, SV_SEC_POOL);
	sv_buf_put_varint(out, parts->npool);
	sv_buf_append(out, parts->pool->p, parts->pool->len);
	section_close(out, sec);

	sec = section_open(out, SV_SEC_VARS);
	sv_buf_put_varint(out, parts->nvars);
	for (size_t i = 0; i < parts->nvars; i++)
		put_name(out, parts->varnames[i]);
	section_close(out, sec);

	sec = section_open(out, SV_SEC_CODE);
	sv_buf_append(out, parts->code->p, parts->code->len);
	section_close(out, sec);

	sec = section_open(out, SV_SEC_LINES);
	sv_buf_put_varint(out, parts->nlines);
	uint32_t prev = 0;
	for (size_t i = 0; i < parts->nlines; i++) {
		sv_buf_put_varint(out, parts->line_off[i] - prev);
		sv_buf_put_varint(out, parts->line_no[i]);
		prev = parts->line_off[i];
	}
	section_close(out, sec);

	sec = section_open(out, SV_SEC_NAME);
	put_name(out, parts->name ? parts->name : "");
	section_close(out, sec);

	size_t blen = out->len - body;
	put_le32(out->p + at_len, (uint32_t)blen);
	put_le32(out->p + at_len + 4, sv_crc32(out->p + body, blen));
	(void)base;
}

static uint16_t rd16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t rd32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t rd64(const unsigned char *p)
{
	return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

bool sv_read_varint(const unsigned char *p, size_t len, size_t *pos, uint64_t *v)
{
	size_t i = *pos;
	if (i < len && p[i] < 0x80) {
		/* the common case: one byte */
		*v = p[i];
		*pos = i + 1;
		return true;
	}
	uint64_t r = 0;
	unsigned shift = 0;
	for (;;) {
		if (i >= len || shift > 63)
			return false;
		unsigned char c = p[i++];
		if (shift == 63 && (c & 0x7e))
			return false;
		r |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80))
			break;
		shift += 7;
	}
	*pos = i;
	*v = r;
	return true;
}

bool sv_bin_peek(const void *data, size_t len, uint64_t *src_hash_r, uint64_t *fingerprint_r)
{
	const unsigned char *p = data;
	if (len < SV_BIN_HEADER_SIZE || memcmp(p, SV_BIN_MAGIC, SV_BIN_MAGIC_LEN) != 0)
		return false;
	if (src_hash_r)
		*src_hash_r = rd64(p + 28);
	if (fingerprint_r)
		*fingerprint_r = rd64(p + 36);
	return true;
}

/* A cursor over a section payload. */
struct cur {
	const unsigned char *p;
	size_t len, pos;
};

static inline bool cur_varint(struct cur *c, uint64_t *v)
{
	/* the common case (one byte) without the call */
	if (c->pos < c->len && c->p[c->pos] < 0x80) {
		*v = c->p[c->pos++];
		return true;
	}
	return sv_read_varint(c->p, c->len, &c->pos, v);
}

static bool cur_bytes(struct cur *c, uint64_t n, const char **p_r)
{
	if (n > c->len - c->pos)
		return false;
	*p_r = (const char *)c->p + c->pos;
	c->pos += (size_t)n;
	return true;
}

static bool cur_name(struct cur *c, struct sv_arena *a, const char **s_r)
{
	uint64_t n;
	const char *p;
	if (!cur_varint(c, &n) || n > 4096 || !cur_bytes(c, n, &p))
		return false;
	*s_r = sv_arena_strndup(a, p, (size_t)n);
	return true;
}

#define FAIL(...)                                  \
	do {                                       \
		sv_buf_printf(err, __VA_ARGS__);   \
		return false;                      \
	} while (0)

static bool parse_exts(struct sv_binary *b, struct cur *c, struct sv_buf *err)
{
	uint64_t n;
	if (!cur_varint(c, &n) || n == 0 || n > SV_BIN_MAX_EXTS)
		FAIL("bad extension table");
	b->exts = sv_arena_array(b->arena, (size_t)n, sizeof *b->exts);
	b->nexts = (size_t)n;
	for (size_t i = 0; i < n; i++) {
		const char *name;
		if (!cur_name(c, b->arena, &name))
			FAIL("bad extension table");
		const struct sv_ext_def *e = sv_ext_find(name, strlen(name));
		if (!e) {
			sv_buf_puts(err, "binary needs extension '");
			sv_buf_put_sanitized(err, name, strlen(name), 64);
			sv_buf_puts(err, "', which this sift lacks");
			return false;
		}
		if ((i == 0) != (e == sv_ext_core()))
			FAIL("extension slot 0 must be the core");
		for (size_t k = 0; k < i; k++)
			if (b->exts[k] == e)
				FAIL("an extension is listed twice");
		b->exts[i] = e;
	}
	return c->pos == c->len || (sv_buf_printf(err, "bad extension table"), false);
}

static bool parse_tpl(struct sv_binary *b, struct cur *c, struct sv_const *k,
		      struct sv_buf *err)
{
	uint64_t n;
	if (!cur_varint(c, &n) || n == 0 || n > SV_BIN_MAX_TPL_PARTS)
		FAIL("bad template in constant pool");
	k->parts = sv_arena_array(b->arena, (size_t)n, sizeof *k->parts);
	k->nparts = (size_t)n;
	for (size_t i = 0; i < n; i++) {
		struct sv_tpl_part *t = &k->parts[i];
		if (c->pos >= c->len)
			FAIL("bad template in constant pool");
		t->kind = c->p[c->pos++];
		uint64_t v, len;
		switch (t->kind) {
		case SV_TPL_LIT:
			if (!cur_varint(c, &len) || !cur_bytes(c, len, &t->p))
				FAIL("bad template literal");
			t->len = (size_t)len;
			break;
		case SV_TPL_VAR:
			if (!cur_varint(c, &v))
				FAIL("bad template variable");
			t->idx = v; /* checked against nvars after VARS */
			break;
		case SV_TPL_MATCH:
			if (!cur_varint(c, &v) || v >= 64)
				FAIL("bad match variable index in template");
			t->idx = v;
			b->uses_match_vars = true;
			break;
		case SV_TPL_NS: {
			if (c->pos >= c->len)
				FAIL("bad template namespace");
			uint8_t slot = c->p[c->pos++];
			if (slot >= b->nexts)
				FAIL("bad template namespace slot");
			if (!cur_varint(c, &v) || !cur_varint(c, &len) || len > 1024 ||
			    !cur_bytes(c, len, &t->p))
				FAIL("bad template namespace");
			const struct sv_ext_def *e = b->exts[slot];
			size_t count = 0;
			while (e->namespaces && e->namespaces[count])
				count++;
			if (v >= count)
				FAIL("template names an unknown namespace");
			t->ns = e->namespaces[v];
			t->idx = v;
			t->len = (size_t)len;
			break;
		}
		default:
			FAIL("bad template part kind %u", t->kind);
		}
	}
	return true;
}

static bool parse_pool(struct sv_binary *b, struct cur *c, struct sv_buf *err)
{
	uint64_t n;
	if (!cur_varint(c, &n) || n > SV_BIN_MAX_POOL || n > c->len)
		FAIL("bad constant pool size");
	/* n <= c->len: no overflow; each entry is cleared as it is read (one
	 * pass over the memory instead of two) */
	b->pool = n ? sv_arena_alloc_nozero(b->arena, (size_t)n * sizeof *b->pool)
		    : sv_arena_array(b->arena, 1, sizeof *b->pool);
	b->npool = (size_t)n;
	for (size_t i = 0; i < n; i++) {
		struct sv_const *k = &b->pool[i];
		*k = (struct sv_const){0};
		if (c->pos >= c->len)
			FAIL("constant pool truncated");
		k->type = c->p[c->pos++];
		uint64_t len;
		switch (k->type) {
		case SV_CONST_STR:
			if (!cur_varint(c, &len) || !cur_bytes(c, len, &k->p))
				FAIL("bad string constant %zu", i);
			k->len = (size_t)len;
			k->literal = true;
			break;
		case SV_CONST_LIST:
			if (!cur_varint(c, &len) || len > c->len - c->pos)
				FAIL("bad list constant %zu", i);
			k->items = sv_arena_array(b->arena, (size_t)len ? (size_t)len : 1,
						  sizeof *k->items);
			k->nitems = (size_t)len;
			k->literal = true;
			for (size_t j = 0; j < len; j++) {
				uint64_t idx;
				if (!cur_varint(c, &idx) || idx >= i)
					FAIL("bad list item in constant %zu", i);
				uint8_t t = b->pool[idx].type;
				if (t != SV_CONST_STR && t != SV_CONST_TPL)
					FAIL("list constant %zu holds a non-string", i);
				if (t == SV_CONST_TPL)
					k->literal = false;
				k->items[j] = (uint32_t)idx;
			}
			break;
		case SV_CONST_TPL:
			if (!parse_tpl(b, c, k, err))
				return false;
			break;
		default:
			FAIL("bad constant type %u", k->type);
		}
	}
	if (c->pos != c->len)
		FAIL("trailing bytes after the constant pool");
	return true;
}

static bool parse_vars(struct sv_binary *b, struct cur *c, struct sv_buf *err)
{
	uint64_t n;
	if (!cur_varint(c, &n) || n > 1000000 || n > c->len)
		FAIL("bad variable table");
	b->varnames = sv_arena_array(b->arena, (size_t)n ? (size_t)n : 1, sizeof *b->varnames);
	b->nvars = (size_t)n;
	for (size_t i = 0; i < n; i++)
		if (!cur_name(c, b->arena, &b->varnames[i]))
			FAIL("bad variable table");
	if (c->pos != c->len)
		FAIL("bad variable table");
	for (size_t i = 0; i < b->npool; i++) {
		const struct sv_const *k = &b->pool[i];
		for (size_t j = 0; j < k->nparts; j++)
			if (k->parts[j].kind == SV_TPL_VAR && k->parts[j].idx >= b->nvars)
				FAIL("template refers to variable slot %llu of %zu",
				     (unsigned long long)k->parts[j].idx, b->nvars);
	}
	return true;
}

static bool parse_lines(struct sv_binary *b, struct cur *c, struct sv_buf *err)
{
	uint64_t n;
	if (!cur_varint(c, &n) || n > c->len)
		FAIL("bad line table");
	b->line_off = sv_arena_array(b->arena, (size_t)n + 1, sizeof(uint32_t));
	b->line_no = sv_arena_array(b->arena, (size_t)n + 1, sizeof(uint32_t));
	b->nlines = (size_t)n;
	uint64_t off = 0;
	for (size_t i = 0; i < n; i++) {
		uint64_t d, line;
		if (!cur_varint(c, &d) || !cur_varint(c, &line) || line > UINT32_MAX)
			FAIL("bad line table");
		off += d;
		if (off > b->codelen || (i > 0 && d == 0))
			FAIL("bad line table offsets");
		b->line_off[i] = (uint32_t)off;
		b->line_no[i] = (uint32_t)line;
	}
	if (c->pos != c->len)
		FAIL("bad line table");
	return true;
}

static bool parse_body(struct sv_binary *b, struct sv_buf *err)
{
	const unsigned char *p = b->data + SV_BIN_HEADER_SIZE;
	size_t len = b->len - SV_BIN_HEADER_SIZE, pos = 0;
	struct cur secs[SV_SEC__COUNT];
	for (int id = SV_SEC_EXT; id < SV_SEC__COUNT; id++) {
		if (len - pos < 5)
			FAIL("binary truncated before section %d", id);
		if (p[pos] != id)
			FAIL("section %d found where %d was expected", p[pos], id);
		uint32_t sl = rd32(p + pos + 1);
		pos += 5;
		if (sl > len - pos)
			FAIL("section %d runs past the end", id);
		secs[id] = (struct cur){p + pos, sl, 0};
		pos += sl;
	}
	if (pos != len)
		FAIL("trailing bytes after the last section");
	if (!parse_exts(b, &secs[SV_SEC_EXT], err) || !parse_pool(b, &secs[SV_SEC_POOL], err) ||
	    !parse_vars(b, &secs[SV_SEC_VARS], err))
		return false;
	b->code = secs[SV_SEC_CODE].p;
	b->codelen = secs[SV_SEC_CODE].len;
	if (!parse_lines(b, &secs[SV_SEC_LINES], err))
		return false;
	if (!cur_name(&secs[SV_SEC_NAME], b->arena, &b->name) ||
	    secs[SV_SEC_NAME].pos != secs[SV_SEC_NAME].len)
		FAIL("bad name section");
	return true;
}

/* Matcher caches are made on the first run (a binary that is only
 * verified or dumped never pays for them). */
void sv_bin_prepare(struct sv_binary *b)
{
	if (!b->cache)
		b->cache = sv_calloc(b->ninsns ? b->ninsns : 1, sizeof *b->cache);
}

static enum sv_status load(const void *data, size_t len, bool keep, bool trusted,
			   struct sv_binary **bin_r, struct sv_buf *err)
{
	*bin_r = NULL;
	const unsigned char *p = data;
	if (len == 0) {
		sv_buf_puts(err, "empty file, not a sift binary");
		return SV_CORRUPT;
	}
	if (len < SV_BIN_MAGIC_LEN || memcmp(p, SV_BIN_MAGIC, SV_BIN_MAGIC_LEN) != 0) {
		sv_buf_puts(err, "not a sift binary (no magic number at the start)");
		return SV_CORRUPT;
	}
	if (len < SV_BIN_HEADER_SIZE) {
		sv_buf_printf(err, "binary header truncated: %zu of %d bytes", len,
			      SV_BIN_HEADER_SIZE);
		return SV_CORRUPT;
	}
	if (rd16(p + 8) != SV_BIN_MAJOR) {
		sv_buf_printf(err, "binary format %u.%u, this sift reads %d.x", rd16(p + 8),
			      rd16(p + 10), SV_BIN_MAJOR);
		return SV_CORRUPT;
	}
	if (rd32(p + 12) != SV_BIN_HEADER_SIZE || rd32(p + 16) != 0) {
		sv_buf_puts(err, "bad binary header");
		return SV_CORRUPT;
	}
	if (rd32(p + 20) != len - SV_BIN_HEADER_SIZE) {
		sv_buf_printf(err, "binary truncated or padded: body is %zu bytes, header says %u",
			      len - SV_BIN_HEADER_SIZE, rd32(p + 20));
		return SV_CORRUPT;
	}
	if (!trusted && sv_crc32(p + SV_BIN_HEADER_SIZE, len - SV_BIN_HEADER_SIZE) != rd32(p + 24)) {
		sv_buf_puts(err, "binary checksum mismatch");
		return SV_CORRUPT;
	}
	struct sv_binary *b = sv_calloc(1, sizeof *b);
	b->arena = sv_arena_new();
	/* a binary that is only checked is freed before the caller's data */
	b->data = keep ? sv_arena_memdup(b->arena, data, len) : data;
	b->len = len;
	b->major = rd16(p + 8);
	b->minor = rd16(p + 10);
	b->src_hash = rd64(p + 28);
	b->fingerprint = rd64(p + 36);
	if (!parse_body(b, err) || !sv_verify(b, keep, err)) {
		sv_bin_free(b);
		return SV_CORRUPT;
	}
	*bin_r = b;
	return SV_OK;
}

enum sv_status sv_bin_load(const void *data, size_t len, struct sv_binary **bin_r,
			   struct sv_buf *err)
{
	return load(data, len, true, false, bin_r, err);
}

enum sv_status sv_bin_check(const void *data, size_t len, struct sv_buf *err)
{
	struct sv_binary *b;
	enum sv_status st = load(data, len, false, false, &b, err);
	sv_bin_free(b);
	return st;
}

enum sv_status sv_bin_check_trusted(const void *data, size_t len, struct sv_buf *err)
{
	struct sv_binary *b;
	enum sv_status st = load(data, len, false, true, &b, err);
	sv_bin_free(b);
	return st;
}

enum sv_status sv_bin_load_file(const char *path, struct sv_binary **bin_r, struct sv_buf *err)
{
	*bin_r = NULL;
	FILE *f = fopen(path, "rb");
	if (!f) {
		sv_buf_printf(err, "cannot open %s: %s", path, strerror(errno));
		return errno == ENOENT ? SV_FAIL : SV_TEMPFAIL;
	}
	struct sv_buf data = SV_BUF_INIT;
	char tmp[65536];
	size_t n;
	while ((n = fread(tmp, 1, sizeof tmp, f)) > 0) {
		sv_buf_append(&data, tmp, n);
		if (data.len > SV_BIN_MAX_FILE) {
			fclose(f);
			sv_buf_free(&data);
			sv_buf_printf(err, "%s: binary too large", path);
			return SV_CORRUPT;
		}
	}
	bool rerr = ferror(f);
	fclose(f);
	if (rerr) {
		sv_buf_free(&data);
		sv_buf_printf(err, "cannot read %s", path);
		return SV_TEMPFAIL;
	}
	struct sv_buf why = SV_BUF_INIT;
	enum sv_status st = sv_bin_load(data.p ? data.p : "", data.len, bin_r, &why);
	if (st != SV_OK)
		sv_buf_printf(err, "%s: %s", path, why.p ? why.p : sv_status_name(st));
	sv_buf_free(&why);
	sv_buf_free(&data);
	return st;
}

void sv_bin_free(struct sv_binary *bin)
{
	if (!bin)
		return;
	if (bin->cache) {
		for (size_t i = 0; i < bin->ninsns; i++)
			if (bin->cache[i])
				sv_match_cache_free(bin->cache[i]);
		sv_free(bin->cache);
	}
	sv_arena_free(bin->arena);
	sv_free(bin);
}

enum sv_status sv_bin_save_file(const char *path, const void *data, size_t len,
				struct sv_buf *err)
{
	struct sv_buf tmp = SV_BUF_INIT;
	sv_buf_printf(&tmp, "%s.tmp.%ld", path, (long)getpid());
	int fd = open(tmp.p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0) {
		sv_buf_printf(err, "cannot create %s: %s", tmp.p, strerror(errno));
		sv_buf_free(&tmp);
		return SV_TEMPFAIL;
	}
	const char *p = data;
	size_t left = len;
	while (left) {
		ssize_t w = write(fd, p, left);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			goto fail;
		p += w;
		left -= (size_t)w;
	}
	/* No fsync: a binary is derived data. After a crash a torn or empty
	   file fails the length or CRC check on load and the script is
	   compiled again; mail files, unlike this, are synced (delivery). */
	if (close(fd) != 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp.p, path) != 0)
		goto fail;
	sv_buf_free(&tmp);
	return SV_OK;
fail:
	sv_buf_printf(err, "cannot write %s: %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	unlink(tmp.p);
	sv_buf_free(&tmp);
	return SV_TEMPFAIL;
}

unsigned sv_bin_line(const struct sv_binary *bin, size_t offset)
{
	/* binary search for the last entry at or before offset */
	size_t lo = 0, hi = bin->nlines;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (bin->line_off[mid] <= offset)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo ? bin->line_no[lo - 1] : 0;
}
