/*
 * disasm.c: the disassembler, driven by the operand signatures of the
 * extension descriptors (DESIGN.md §2, §3).
 */
#include "vm/disasm.h"

#include <string.h>

#include "ext/registry.h"
#include "vm/vm.h"

static void put_str(struct sv_buf *out, const struct sv_binary *bin, uint32_t idx)
{
	const struct sv_const *k = &bin->pool[idx];
	sv_buf_putc(out, '"');
	if (k->type == SV_CONST_STR) {
		sv_buf_put_sanitized(out, k->p, k->len, 200);
	} else {
		for (size_t i = 0; i < k->nparts; i++) {
			const struct sv_tpl_part *t = &k->parts[i];
			switch (t->kind) {
			case SV_TPL_LIT:
				sv_buf_put_sanitized(out, t->p, t->len, 200);
				break;
			case SV_TPL_VAR:
				sv_buf_printf(out, "${%s}", bin->varnames[t->idx]);
				break;
			case SV_TPL_MATCH:
				sv_buf_printf(out, "${%llu}", (unsigned long long)t->idx);
				break;
			case SV_TPL_NS:
				sv_buf_printf(out, "${%s.", t->ns->name);
				sv_buf_put_sanitized(out, t->p, t->len, 64);
				sv_buf_putc(out, '}');
				break;
			}
		}
	}
	sv_buf_putc(out, '"');
}

static void put_list(struct sv_buf *out, const struct sv_binary *bin, uint32_t idx)
{
	const struct sv_const *k = &bin->pool[idx];
	sv_buf_putc(out, '[');
	for (size_t i = 0; i < k->nitems; i++) {
		if (i)
			sv_buf_puts(out, ", ");
		if (i == 8 && k->nitems > 10) {
			sv_buf_printf(out, "... %zu more", k->nitems - 8);
			break;
		}
		put_str(out, bin, k->items[i]);
	}
	sv_buf_putc(out, ']');
}

/* The start of a source line and its number: instructions come mostly in
 * line order, so the source is walked about once, not once per line. */
struct line_at {
	const char *p;
	unsigned line;
};

static void put_source_line(struct sv_buf *out, const char *src, size_t srclen, unsigned line,
			    struct line_at *at)
{
	const char *p = at->p, *end = src + srclen;
	unsigned l = at->line;
	if (line < l) {
		p = src;
		l = 1;
	}
	for (; l < line && p < end; l++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			return;
		p = nl + 1;
	}
	at->p = p;
	at->line = l;
	const char *nl = memchr(p, '\n', (size_t)(end - p));
	size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
	while (len && (p[len - 1] == '\r' || p[len - 1] == ' ' || p[len - 1] == '\t'))
		len--;
	while (len && (*p == ' ' || *p == '\t')) {
		p++;
		len--;
	}
	sv_buf_printf(out, "      ; %4u: ", line);
	sv_buf_put_sanitized(out, p, len, 120);
	sv_buf_putc(out, '\n');
}

void sv_disasm(const struct sv_binary *bin, const char *src, size_t srclen, struct sv_buf *out)
{
	/* names come from the binary: any bytes, up to 4 KB each */
	sv_buf_printf(out, "; sift binary %u.%u, script \"", bin->major, bin->minor);
	sv_buf_put_sanitized(out, bin->name, strlen(bin->name), 200);
	sv_buf_puts(out, "\"\n");
	sv_buf_puts(out, "; extensions:");
	for (size_t i = 0; i < bin->nexts; i++)
		sv_buf_printf(out, " %s", bin->exts[i]->name);
	sv_buf_printf(out, "\n; %zu constants, %zu variables, %zu code bytes\n", bin->npool,
		      bin->nvars, bin->codelen);
	for (size_t i = 0; i < bin->nvars; i++) {
		sv_buf_printf(out, "; variable %zu: ", i);
		sv_buf_put_sanitized(out, bin->varnames[i], strlen(bin->varnames[i]), 200);
		sv_buf_putc(out, '\n');
	}
	struct sv_operands ops;
	struct sv_decode_buf dbuf;
	struct sv_buf err = SV_BUF_INIT;
	unsigned last_line = 0;
	struct line_at at = {src, 1};
	for (size_t off = 0; off < bin->codelen; off += ops.len) {
		if (!sv_insn_decode(bin, off, &ops, &dbuf, &err)) {
			sv_buf_printf(out, "%04zx  ?? %s\n", off, err.p);
			break;
		}
		unsigned line = sv_bin_line(bin, off);
		if (src && line && line != last_line)
			put_source_line(out, src, srclen, line, &at);
		last_line = line;
		sv_buf_printf(out, "%04zx  ", off);
		if (ops.ext != sv_ext_core())
			sv_buf_printf(out, "%s.", ops.ext->name);
		sv_buf_puts(out, ops.op->mnemonic);
		for (size_t i = 0; i < ops.npos; i++) {
			const struct sv_operand *o = &ops.pos[i];
			sv_buf_putc(out, ' ');
			switch (o->kind) {
			case 'n':
				sv_buf_printf(out, "%llu", (unsigned long long)o->num);
				break;
			case 'v':
				sv_buf_printf(out, "var:%s", bin->varnames[o->num]);
				break;
			case 's':
				put_str(out, bin, o->idx);
				break;
			case 'l':
				put_list(out, bin, o->idx);
				break;
			case 'j':
				sv_buf_printf(out, "-> %04llx", (unsigned long long)o->jump);
				break;
			}
		}
		for (size_t i = 0; i < ops.nopt; i++) {
			const struct sv_optarg *o = &ops.opt[i];
			const char *name = o->ext->opt_names ? o->ext->opt_names[o->id] : "opt";
			switch (o->kind) {
			case 'c':
				sv_buf_printf(out, " :comparator \"%s\"", o->cmp->name);
				break;
			case 'm':
				sv_buf_printf(out, " :%s", o->match->name);
				if (o->match->relation)
					sv_buf_printf(out, " \"%s\"", sv_relation_name(o->rel));
				break;
			case 'a':
				sv_buf_printf(out, " :%s", o->addrpart->name);
				break;
			case 'f':
				sv_buf_printf(out, " :%s", name);
				break;
			case 'n':
				sv_buf_printf(out, " :%s %llu", name, (unsigned long long)o->num);
				break;
			case 's':
				sv_buf_printf(out, " :%s ", name);
				put_str(out, bin, o->idx);
				break;
			case 'l':
				sv_buf_printf(out, " :%s ", name);
				put_list(out, bin, o->idx);
				break;
			}
		}
		sv_buf_putc(out, '\n');
	}
	sv_buf_printf(out, "%04zx  (end)\n", bin->codelen);
	sv_buf_free(&err);
}
