/*
 * verify.c: instruction decoding (shared with the VM and the
 * disassembler) and the verifier (see verify.h).
 */
#include "vm/verify.h"

#include <stdint.h>
#include <string.h>

#include "ext/registry.h"
#include "lib/alloc.h"
#include "vm/vm.h"

#define FAIL(...)                                                            \
	do {                                                                 \
		sv_buf_printf(err, "at code offset %zu: ", offset);          \
		sv_buf_printf(err, __VA_ARGS__);                             \
		return false;                                                \
	} while (0)

static size_t count_ptrs(const void *const *v)
{
	size_t n = 0;
	while (v && v[n])
		n++;
	return n;
}

/* Operation counts per registry index, counted once per process. */
static size_t count_ops(const struct sv_ext_def *e)
{
	static size_t counts[64];
	static bool ready[64];
	if (e->index < 64 && ready[e->index])
		return counts[e->index];
	size_t n = 0;
	while (e->ops && e->ops[n].mnemonic)
		n++;
	if (e->index < 64) {
		counts[e->index] = n;
		ready[e->index] = true;
	}
	return n;
}

/* LEB128 with the one-byte case (most operands) inline. */
static inline bool rd_varint(const unsigned char *p, size_t len, size_t *pos, uint64_t *v)
{
	if (*pos < len && p[*pos] < 0x80) {
		*v = p[(*pos)++];
		return true;
	}
	return sv_read_varint(p, len, pos, v);
}

static bool string_idx(const struct sv_binary *bin, uint64_t idx)
{
	return idx < bin->npool &&
	       (bin->pool[idx].type == SV_CONST_STR || bin->pool[idx].type == SV_CONST_TPL);
}

static bool list_idx(const struct sv_binary *bin, uint64_t idx)
{
	return idx < bin->npool && bin->pool[idx].type == SV_CONST_LIST;
}

static bool read_u8(const struct sv_binary *bin, size_t *pos, uint8_t *v)
{
	if (*pos >= bin->codelen)
		return false;
	*v = bin->code[(*pos)++];
	return true;
}

bool sv_insn_decode(const struct sv_binary *bin, size_t offset, struct sv_operands *ops,
		    struct sv_decode_buf *buf, struct sv_buf *err)
{
	size_t pos = offset;
	uint8_t slot;
	uint64_t op, v;
	size_t npos = 0, nopt = 0;
	ops->pos = buf->pos;
	ops->opt = buf->opt;
	ops->npos = ops->nopt = 0;
	ops->offset = offset;
	ops->cmp = NULL;
	ops->mt = NULL;
	ops->rel = 0;
	ops->addrpart = NULL;
	if (!read_u8(bin, &pos, &slot) || slot >= bin->nexts)
		FAIL("bad extension slot");
	const struct sv_ext_def *ext = bin->exts[slot];
	if (!rd_varint(bin->code, bin->codelen, &pos, &op)) {
		/* op is unset: say what is wrong with its bytes instead */
		size_t end = pos;
		while (end < bin->codelen && (bin->code[end] & 0x80))
			end++;
		if (end >= bin->codelen)
			FAIL("operation number runs past the end of the code");
		FAIL("operation number too large");
	}
	if (op >= count_ops(ext))
		FAIL("unknown operation %llu of extension %s", (unsigned long long)op, ext->name);
	ops->ext = ext;
	ops->op = &ext->ops[op];
	for (const char *s = ops->op->sig; *s; s++) {
		if (*s == 'x') {
			if (!rd_varint(bin->code, bin->codelen, &pos, &v) ||
			    v > SV_BIN_MAX_OPTIONALS)
				FAIL("bad optional operand count");
			uint64_t count = v;
			for (uint64_t i = 0; i < count; i++) {
				struct sv_optarg *o = &buf->opt[nopt++];
				ops->nopt = nopt;
				memset(o, 0, sizeof *o);
				uint8_t oslot, id;
				if (!read_u8(bin, &pos, &oslot) || oslot >= bin->nexts ||
				    !read_u8(bin, &pos, &id))
					FAIL("bad optional operand");
				const struct sv_ext_def *oe = bin->exts[oslot];
				if (!oe->opt_kinds || id >= strlen(oe->opt_kinds))
					FAIL("unknown optional operand %u of %s", id, oe->name);
				for (size_t k = 0; k + 1 < ops->nopt; k++)
					if (ops->opt[k].ext == oe && ops->opt[k].id == id)
						FAIL("optional operand given twice");
				o->ext = oe;
				o->id = id;
				o->kind = oe->opt_kinds[id];
				uint8_t s2, idx;
				switch (o->kind) {
				case 'f':
					break;
				case 'n':
					if (!rd_varint(bin->code, bin->codelen, &pos, &o->num))
						FAIL("bad number operand");
					break;
				case 's':
				case 'l':
					if (!rd_varint(bin->code, bin->codelen, &pos, &v) ||
					    !(o->kind == 's' ? string_idx(bin, v) : list_idx(bin, v)))
						FAIL("bad constant operand");
					o->idx = (uint32_t)v;
					break;
				case 'c':
				case 'm':
				case 'a': {
					if (!read_u8(bin, &pos, &s2) || s2 >= bin->nexts ||
					    !read_u8(bin, &pos, &idx))
						FAIL("bad comparator/match/address-part operand");
					const struct sv_ext_def *de = bin->exts[s2];
					if (o->kind == 'c') {
						if (idx >= count_ptrs((const void *const *)de->comparators))
							FAIL("unknown comparator");
						o->cmp = de->comparators[idx];
					} else if (o->kind == 'a') {
						if (idx >= count_ptrs((const void *const *)de->addrparts))
							FAIL("unknown address part");
						o->addrpart = de->addrparts[idx];
					} else {
						uint8_t rel;
						if (idx >= count_ptrs((const void *const *)de->match_types) ||
						    !read_u8(bin, &pos, &rel))
							FAIL("unknown match type");
						o->match = de->match_types[idx];
						if (o->match->relation ? (rel < SV_REL_GT || rel > SV_REL_NE)
								       : rel != 0)
							FAIL("bad relation");
						o->rel = rel;
					}
					break;
				}
				default:
					FAIL("bad optional kind");
				}
			}
			continue;
		}
		if (npos >= SV_BIN_MAX_OPERANDS)
			FAIL("too many operands");
		struct sv_operand *o = &buf->pos[npos++];
		ops->npos = npos;
		o->kind = *s;
		if (!rd_varint(bin->code, bin->codelen, &pos, &v))
			FAIL("operand runs past the end of the code");
		switch (*s) {
		case 'n':
			o->num = v;
			break;
		case 'v':
			if (v >= bin->nvars)
				FAIL("variable slot %llu out of range", (unsigned long long)v);
			o->num = v;
			break;
		case 's':
			if (!string_idx(bin, v))
				FAIL("string operand refers to a bad constant");
			o->idx = (uint32_t)v;
			break;
		case 'l':
			if (!list_idx(bin, v))
				FAIL("list operand refers to a bad constant");
			o->idx = (uint32_t)v;
			break;
		case 'j': {
			/* zigzag-encoded signed offset */
			int64_t d = (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
			/* compared before adding: a hostile offset must not overflow */
			if (d < -(int64_t)offset || d > (int64_t)(bin->codelen - offset))
				FAIL("jump outside the code");
			int64_t target = (int64_t)offset + d;
			o->jump = target;
			break;
		}
		default:
			FAIL("bad signature character '%c'", *s);
		}
	}
	ops->len = pos - offset;
	if (nopt) {
		const struct sv_ext_def *core = sv_ext_core();
		for (size_t i = 0; i < nopt; i++) {
			const struct sv_optarg *o = &buf->opt[i];
			if (o->ext != core)
				continue;
			if (o->id == SV_OPT_COMPARATOR)
				ops->cmp = o->cmp;
			else if (o->id == SV_OPT_MATCH) {
				ops->mt = o->match;
				ops->rel = o->rel;
			} else if (o->id == SV_OPT_ADDRPART)
				ops->addrpart = o->addrpart;
		}
	}
	return true;
}

const struct sv_optarg *sv_ops_opt(const struct sv_operands *ops, const struct sv_ext_def *ext,
				   uint8_t id)
{
	for (size_t i = 0; i < ops->nopt; i++)
		if (ops->opt[i].ext == ext && ops->opt[i].id == id)
			return &ops->opt[i];
	return NULL;
}

/* Index of the instruction starting at offset t among the decoded ones
 * (sorted by offset), or SIZE_MAX when none starts there. */
static size_t find_insn(const struct sv_operands *v, size_t n, size_t t)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (v[mid].offset < t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && v[lo].offset == t ? lo : SIZE_MAX;
}

/*
 * One pass decodes every instruction into compact copies in the binary's
 * arena (what the VM will run), a second checks jumps and the line table
 * against the instruction starts. A jump operand's num becomes the index of
 * its target instruction (ninsns for the end of the code).
 */
/* Verification that keeps nothing: instruction starts in a bitmap, jumps
 * and the line table checked against it. */
static bool verify_only(const struct sv_binary *bin, struct sv_buf *err)
{
	size_t n = bin->codelen;
	unsigned char *starts = sv_calloc(n / 8 + 1, 1);
	/* jumps seen: (instruction offset, target) pairs, checked at the end */
	struct sv_buf jumps = SV_BUF_INIT;
	struct sv_operands ops;
	struct sv_decode_buf buf;
	size_t offset = 0;
	bool ok = true;
	while (offset < n) {
		if (!sv_insn_decode(bin, offset, &ops, &buf, err) ||
		    (ops.op->verify && !ops.op->verify(&ops, err))) {
			ok = false;
			break;
		}
		starts[offset / 8] |= (unsigned char)(1u << (offset % 8));
		for (size_t i = 0; i < ops.npos; i++) {
			if (ops.pos[i].kind != 'j')
				continue;
			size_t pair[2] = {offset, (size_t)ops.pos[i].jump};
			sv_buf_append(&jumps, pair, sizeof pair);
		}
		offset += ops.len;
	}
	const size_t *j = (const size_t *)(const void *)jumps.p;
	for (size_t k = 0; ok && k < jumps.len / (2 * sizeof(size_t)); k++) {
		size_t t = j[2 * k + 1];
		if (t < n && !(starts[t / 8] & (1u << (t % 8)))) {
			sv_buf_printf(err, "at code offset %zu: jump to %zu lands inside an instruction",
				      j[2 * k], t);
			ok = false;
		}
	}
	for (size_t i = 0; ok && i < bin->nlines; i++) {
		size_t t = bin->line_off[i];
		if (t < n && !(starts[t / 8] & (1u << (t % 8)))) {
			sv_buf_puts(err, "line table points inside an instruction");
			ok = false;
		}
	}
	sv_buf_free(&jumps);
	sv_free(starts);
	return ok;
}

/* An array built in the binary's arena: what the VM runs is decoded into
 * it directly, never copied at the end (every page a delivery touches
 * costs it a page fault). Grows by doubling into a new block, which the
 * estimates below make rare. */
struct arena_array {
	void *p;
	size_t n, cap, size;
};

/* room for cap elements (at least what the array holds), not zeroed:
   only the pages written are touched */
static void array_reserve(struct sv_arena *a, struct arena_array *r, size_t cap)
{
	if (cap > SIZE_MAX / r->size)
		sv_malloc(SIZE_MAX); /* runs the out-of-memory handler */
	void *p = sv_arena_alloc_nozero(a, cap * r->size);
	if (r->n)
		memcpy(p, r->p, r->n * r->size);
	r->p = p;
	r->cap = cap;
}

/* k more elements: the first of them */
static void *array_push(struct sv_arena *a, struct arena_array *r, size_t k)
{
	if (k > r->cap - r->n)
		array_reserve(a, r, r->cap * 2 > r->n + k ? r->cap * 2 : r->n + k + 8);
	void *at = (char *)r->p + r->n * r->size;
	r->n += k;
	return at;
}

bool sv_verify(struct sv_binary *bin, bool keep, struct sv_buf *err)
{
	if (!keep)
		return verify_only(bin, err);
	size_t n = bin->codelen;
	/* an instruction takes about 4 bytes of code and has about one
	   operand per 2 bytes (measured on the corpus scripts) */
	struct arena_array insns = {.size = sizeof(struct sv_operands)};
	struct arena_array pos = {.size = sizeof(struct sv_operand)};
	struct arena_array opt = {.size = sizeof(struct sv_optarg)};
	array_reserve(bin->arena, &insns, n / 4 + 8);
	array_reserve(bin->arena, &pos, n / 2 + 8);
	array_reserve(bin->arena, &opt, n / 8 + 8);
	struct sv_operands ops;
	struct sv_decode_buf buf;
	size_t offset = 0, count = 0;
	bool ok = true;
	while (offset < n) {
		if (!sv_insn_decode(bin, offset, &ops, &buf, err)) {
			ok = false;
			break;
		}
		if (ops.op->verify && !ops.op->verify(&ops, err)) {
			sv_buf_printf(err, " (at code offset %zu)", offset);
			ok = false;
			break;
		}
		struct sv_operands *d = array_push(bin->arena, &insns, 1);
		*d = ops;
		d->index = count++;
		/* offsets for now; pointers once the arrays are final */
		d->pos = (const struct sv_operand *)(uintptr_t)pos.n;
		d->opt = (const struct sv_optarg *)(uintptr_t)opt.n;
		if (ops.npos)
			memcpy(array_push(bin->arena, &pos, ops.npos), buf.pos,
			       ops.npos * sizeof buf.pos[0]);
		if (ops.nopt)
			memcpy(array_push(bin->arena, &opt, ops.nopt), buf.opt,
			       ops.nopt * sizeof buf.opt[0]);
		offset += ops.len;
	}
	struct sv_operands *v = insns.p;
	if (ok) {
		struct sv_operand *allpos = pos.p;
		struct sv_optarg *allopt = opt.p;
		for (size_t k = 0; k < count; k++) {
			v[k].pos = v[k].npos ? allpos + (uintptr_t)v[k].pos : NULL;
			v[k].opt = v[k].nopt ? allopt + (uintptr_t)v[k].opt : NULL;
		}
	}
	for (size_t k = 0; ok && k < count; k++) {
		struct sv_operands *d = &v[k];
		for (size_t i = 0; i < d->npos; i++) {
			if (d->pos[i].kind != 'j')
				continue;
			size_t t = (size_t)d->pos[i].jump;
			size_t idx = t == n ? count : find_insn(v, count, t);
			if (idx == SIZE_MAX) {
				sv_buf_printf(err,
					      "at code offset %zu: jump to %zu lands inside an instruction",
					      d->offset, t);
				ok = false;
				break;
			}
			((struct sv_operand *)d->pos)[i].num = idx;
		}
	}
	for (size_t i = 0; ok && i < bin->nlines; i++) {
		size_t t = bin->line_off[i];
		if (t < n && find_insn(v, count, t) == SIZE_MAX) {
			sv_buf_puts(err, "line table points inside an instruction");
			ok = false;
		}
	}
	if (ok) {
		bin->insns = v;
		bin->ninsns = count;
	}
	return ok;
}
