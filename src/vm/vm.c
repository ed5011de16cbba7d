/*
 * vm.c: the interpreter loop over verified bytecode, operand access with
 * variable expansion (RFC 5229 §3), budgets (limits.h), and the matching
 * core shared by every test (RFC 5228 §2.7).
 */
#include "vm/vm.h"

#include <stdarg.h>
#include <string.h>
#include <time.h>

#include "lib/alloc.h"
#include "lib/utf8.h"
#include "mail/message.h"
#include "vm/result.h"

static uint64_t cpu_now_ns(void)
{
	struct timespec ts;
	if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) != 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

enum sv_status sv_vm_error(struct sv_vm *vm, const char *fmt, ...)
{
	if (vm->error.len == 0) {
		/* a message may quote what the script built from the message
		   (an address, a mailbox): bounded and without raw control
		   bytes whatever its size, as compile diagnostics are */
		struct sv_buf raw = SV_BUF_INIT;
		va_list ap;
		va_start(ap, fmt);
		sv_buf_vprintf(&raw, fmt, ap);
		va_end(ap);
		sv_buf_put_sanitized(&vm->error, raw.p ? raw.p : "", raw.len, SV_VM_ERROR_MAX);
		sv_buf_free(&raw);
		vm->error_line = sv_vm_line(vm);
	}
	return SV_FAIL;
}

unsigned sv_vm_line(const struct sv_vm *vm)
{
	return vm->bin ? sv_bin_line(vm->bin, vm->pc) : 0;
}

int sv_vm_slot_of(const struct sv_vm *vm, const struct sv_ext_def *ext)
{
	for (size_t i = 0; i < vm->bin->nexts; i++)
		if (vm->bin->exts[i] == ext)
			return (int)i;
	return -1;
}

/* By registry index, so that the frames of a run (include) share one
 * state per extension: imap4flags' internal variable is the run's. */
void **sv_vm_ext_state(struct sv_vm *vm, const struct sv_ext_def *ext)
{
	return &vm->ext_state[ext->index];
}

/* ---- strings and variables ---- */

static enum sv_status expand(struct sv_vm *vm, const struct sv_const *k, struct sv_str *out)
{
	if (k->type == SV_CONST_STR) {
		out->p = k->p;
		out->len = k->len;
		return SV_OK;
	}
	struct sv_buf b = SV_BUF_INIT;
	struct sv_buf tmp = SV_BUF_INIT;
	size_t max = vm->settings->max_string_size;
	for (size_t i = 0; i < k->nparts; i++) {
		const struct sv_tpl_part *t = &k->parts[i];
		switch (t->kind) {
		case SV_TPL_LIT:
			sv_buf_append(&b, t->p, t->len);
			break;
		case SV_TPL_VAR:
			sv_buf_append(&b, vm->vars[t->idx].p, vm->vars[t->idx].len);
			break;
		case SV_TPL_MATCH:
			if (t->idx < vm->match.n)
				sv_buf_append(&b, vm->match.v[t->idx].p, vm->match.v[t->idx].len);
			break;
		case SV_TPL_NS:
			sv_buf_reset(&tmp);
			if (t->ns->get(vm, t->p, t->len, &tmp))
				sv_buf_append(&b, tmp.p, tmp.len);
			break;
		}
		if (b.len > max) {
			sv_buf_free(&b);
			sv_buf_free(&tmp);
			sv_vm_error(vm, "string longer than %llu bytes", (unsigned long long)max);
			return SV_LIMIT;
		}
	}
	out->p = b.len ? sv_arena_memdup(vm->arena, b.p, b.len) : "";
	out->len = b.len;
	sv_buf_free(&b);
	sv_buf_free(&tmp);
	return SV_OK;
}

enum sv_status sv_vm_string(struct sv_vm *vm, uint32_t idx, struct sv_str *out)
{
	return expand(vm, &vm->bin->pool[idx], out);
}

size_t sv_vm_list_len(const struct sv_vm *vm, uint32_t idx)
{
	return vm->bin->pool[idx].nitems;
}

enum sv_status sv_vm_list_item(struct sv_vm *vm, uint32_t idx, size_t i, struct sv_str *out)
{
	const struct sv_const *k = &vm->bin->pool[idx];
	return expand(vm, &vm->bin->pool[k->items[i]], out);
}

bool sv_vm_const_is_literal(const struct sv_vm *vm, uint32_t idx)
{
	return vm->bin->pool[idx].literal;
}

/* RFC 5229 §3: an implementation may truncate; cut at a UTF-8 boundary */
enum sv_status sv_vm_var_set(struct sv_vm *vm, uint64_t slot, const char *p, size_t len)
{
	size_t max = vm->settings->max_variable_size;
	if (len > max) {
		len = max;
		while (len > 0 && ((unsigned char)p[len] & 0xc0) == 0x80)
			len--;
	}
	struct sv_buf *b = &vm->vars[slot];
	if (b->p && p >= b->p && p < b->p + b->cap) {
		/* the value is (part of) the variable itself */
		struct sv_buf t = SV_BUF_INIT;
		sv_buf_append(&t, p, len);
		sv_buf_free(b);
		*b = t;
		return SV_OK;
	}
	sv_buf_reset(b);
	sv_buf_append(b, p, len);
	return SV_OK;
}

void sv_vm_var_get(struct sv_vm *vm, uint64_t slot, struct sv_str *out)
{
	out->p = vm->vars[slot].p ? vm->vars[slot].p : "";
	out->len = vm->vars[slot].len;
}

/* ---- matching ---- */

/* Prepared keys of one instruction with a literal key list. */
struct match_cache {
	uint32_t keys;
	const struct sv_match_def *mt;
	const struct sv_cmp_def *cmp;
	size_t nkeys;
	struct sv_str *keyv;
	void **prep;
	/* hash set for :is over many keys (folded by the comparator) */
	uint32_t *slots;   /* key index + 1, 0 = empty */
	size_t nslots;
	char *canon;       /* the keys' canonical forms (comparators with canon) */
};

void sv_match_cache_free(void *cache)
{
	struct match_cache *c = cache;
	for (size_t i = 0; i < c->nkeys; i++)
		if (c->prep[i] && c->mt->release)
			c->mt->release(c->prep[i]);
	sv_free(c->prep);
	sv_free(c->keyv);
	sv_free(c->slots);
	sv_free(c->canon);
	sv_free(c);
}

static uint64_t fold_hash(const struct sv_cmp_def *cmp, const char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < n; i++) {
		h ^= cmp->fold((unsigned char)p[i]);
		h *= 0x100000001b3ull;
	}
	return h;
}

static void build_hash(struct match_cache *c)
{
	size_t ns = 16;
	while (ns < c->nkeys * 2)
		ns *= 2;
	c->slots = sv_calloc(ns, sizeof *c->slots);
	c->nslots = ns;
	for (size_t i = 0; i < c->nkeys; i++) {
		size_t h = (size_t)fold_hash(c->cmp, c->keyv[i].p, c->keyv[i].len) & (ns - 1);
		while (c->slots[h])
			h = (h + 1) & (ns - 1);
		c->slots[h] = (uint32_t)i + 1;
	}
}

/*
 * A comparator that compares prepared strings (canon; RFC 4790 §4.1,
 * RFC 5051 §2): the keys become their canonical forms here, once per
 * instruction for literal keys, so that a value costs one preparation.
 * A :matches key keeps its wildcards (sv_glob_canon). The forms go into
 * one block: the heap's when the cache keeps them (returned), else the
 * VM's buffer of prepared keys, which serves one test at a time (the
 * next sv_match_begin reuses it): a form can be 11 times as long as its
 * key, and keys built from variables would otherwise pile up in the
 * run's arena test after test.
 */
static enum sv_status canon_keys(const struct sv_matcher *m, struct sv_vm *vm, struct sv_str *kv,
				 size_t n, bool heap, char **store_r)
{
	struct sv_buf local = SV_BUF_INIT;
	struct sv_buf *b = heap ? &local : &vm->match_canon[2];
	sv_buf_reset(b);
	size_t *off = sv_arena_array(vm->arena, n ? n : 1, sizeof *off);
	size_t *len = sv_arena_array(vm->arena, n ? n : 1, sizeof *len);
	/* a prepared string is never larger than the largest message read */
	size_t max = (size_t)vm->settings->max_message_size;
	for (size_t i = 0; i < n; i++) {
		off[i] = b->len;
		enum sv_status st = m->mt->needs_glob
			? sv_glob_canon(m->cmp, kv[i].p, kv[i].len, max, b)
			: m->cmp->canon(kv[i].p, kv[i].len, max, b, NULL);
		if (st != SV_OK) {
			if (heap)
				sv_buf_free(b);
			else
				sv_buf_reset(b);
			sv_vm_error(vm, "key too long for comparator %s: prepared, it passes "
				    "max-message-size", m->cmp->name);
			return st;
		}
		len[i] = b->len - off[i];
	}
	char *store = NULL, *p;
	if (heap) {
		store = p = sv_buf_steal(b, NULL);
	} else {
		sv_buf_reserve(b, 0);
		p = b->p;
	}
	/* the keys change only once all are prepared (the block has moved) */
	for (size_t i = 0; i < n; i++) {
		kv[i].p = p + off[i];
		kv[i].len = len[i];
	}
	*store_r = store;
	return SV_OK;
}

/* A key prepared for this run only: released by sv_vm_cleanup. */
static void release_at_cleanup(struct sv_vm *vm, void (*fn)(void *), void *state)
{
	if (!state)
		return;
	if (vm->nreleases == vm->capreleases) {
		vm->capreleases = vm->capreleases ? vm->capreleases * 2 : 8;
		vm->releases = sv_realloc(vm->releases, vm->capreleases * sizeof *vm->releases);
	}
	vm->releases[vm->nreleases].fn = fn;
	vm->releases[vm->nreleases++].state = state;
}

enum sv_status sv_match_begin(struct sv_matcher *m, struct sv_vm *vm,
			      const struct sv_operands *ops, uint32_t keys)
{
	/* every field set here: no memset (this runs for every test) */
	m->vm = vm;
	m->ops = ops;
	m->keys = keys;
	m->count = 0;
	m->matched = false;
	m->status = SV_OK;
	m->cache = NULL;
	m->nkeys = 0;
	m->keyv = NULL;
	m->prep = NULL;
	/* the decoder found the core's :comparator and match type */
	m->cmp = ops->cmp ? ops->cmp : &sv_cmp_ascii_casemap;
	m->mt = ops->mt ? ops->mt : &sv_match_is;
	m->rel = ops->mt ? ops->rel : 0;
	if (m->mt->needs_contains && !m->cmp->contains)
		return m->status = sv_vm_error(vm, "comparator %s offers no substring match",
					       m->cmp->name);
	if (m->mt->needs_glob && !m->cmp->char_eq)
		return m->status = sv_vm_error(vm, "comparator %s offers no :matches",
					       m->cmp->name);
	const struct sv_binary *bin = vm->bin;
	struct match_cache *cache = bin->cache ? bin->cache[ops->index] : NULL;
	if (cache && cache->keys == keys && cache->mt == m->mt && cache->cmp == m->cmp) {
		m->nkeys = cache->nkeys;
		m->keyv = cache->keyv;
		m->prep = cache->prep;
		m->cache = cache;
		return SV_OK;
	}
	size_t n = sv_vm_list_len(vm, keys);
	bool literal = sv_vm_const_is_literal(vm, keys) && bin->cache && !cache;
	struct sv_str *kv = literal ? sv_calloc(n ? n : 1, sizeof *kv)
				    : sv_arena_array(vm->arena, n ? n : 1, sizeof *kv);
	void **prep = literal ? sv_calloc(n ? n : 1, sizeof *prep)
			      : sv_arena_array(vm->arena, n ? n : 1, sizeof *prep);
	enum sv_status st = SV_OK;
	for (size_t i = 0; i < n && st == SV_OK; i++)
		st = sv_vm_list_item(vm, keys, i, &kv[i]);
	char *canon = NULL;
	if (st == SV_OK && m->cmp->canon)
		st = canon_keys(m, vm, kv, n, literal, &canon);
	for (size_t i = 0; i < n && st == SV_OK; i++) {
		if (m->mt->prepare) {
			struct sv_buf err = SV_BUF_INIT;
			st = m->mt->prepare(kv[i].p, kv[i].len, m->cmp, vm->settings, &prep[i],
					   &err);
			if (st != SV_OK)
				sv_vm_error(vm, "%s", err.p ? err.p : "bad key");
			sv_buf_free(&err);
		}
	}
	if (literal && st != SV_OK) {
		/* a key that cannot be prepared is never cached */
		for (size_t i = 0; i < n; i++)
			if (prep[i] && m->mt->release)
				m->mt->release(prep[i]);
		sv_free(kv);
		sv_free(prep);
		sv_free(canon);
		kv = sv_arena_array(vm->arena, n ? n : 1, sizeof *kv);
		prep = sv_arena_array(vm->arena, n ? n : 1, sizeof *prep);
	} else if (literal) {
		struct match_cache *nc = sv_calloc(1, sizeof *nc);
		nc->keys = keys;
		nc->mt = m->mt;
		nc->cmp = m->cmp;
		nc->nkeys = n;
		nc->keyv = kv;
		nc->prep = prep;
		nc->canon = canon;
		if (st == SV_OK && m->mt == &sv_match_is && m->cmp->fold && n >= 4)
			build_hash(nc);
		bin->cache[ops->index] = nc;
		m->cache = nc;
	} else if (m->mt->release) {
		/* prepared for this run only: released at cleanup */
		for (size_t i = 0; i < n; i++)
			release_at_cleanup(vm, m->mt->release, prep[i]);
	}
	m->nkeys = n;
	m->keyv = kv;
	m->prep = prep;
	return m->status = st;
}

/* Keys that are lists of space-separated words (imap4flags' flag lists,
 * RFC 5232 §3): each word is a key of its own. Prepared for this run. */
enum sv_status sv_match_begin_words(struct sv_matcher *m, struct sv_vm *vm,
				    const struct sv_operands *ops, uint32_t keys)
{
	enum sv_status st = sv_match_begin(m, vm, ops, keys);
	if (st != SV_OK)
		return st;
	/* the keys are split as written: with a comparator that prepares
	   strings, m->keyv holds forms, in which a U+00A0 or U+3000 inside a
	   word has become a space; the words are prepared once split */
	const struct sv_str *src = m->keyv;
	size_t nsrc = m->nkeys;
	if (m->cmp->canon) {
		struct sv_str *orig = sv_arena_array(vm->arena, nsrc ? nsrc : 1, sizeof *orig);
		for (size_t i = 0; i < nsrc; i++)
			if ((st = sv_vm_list_item(vm, keys, i, &orig[i])) != SV_OK)
				return m->status = st;
		src = orig;
	}
	size_t words = 0;
	for (size_t i = 0; i < nsrc; i++)
		for (size_t k = 0; k < src[i].len; k++)
			if (src[i].p[k] != ' ' && (k == 0 || src[i].p[k - 1] == ' '))
				words++;
	struct sv_str *kv = sv_arena_array(vm->arena, words ? words : 1, sizeof *kv);
	void **prep = sv_arena_array(vm->arena, words ? words : 1, sizeof *prep);
	size_t n = 0;
	for (size_t i = 0; i < nsrc; i++) {
		const char *p = src[i].p;
		size_t len = src[i].len, k = 0;
		while (k < len) {
			while (k < len && p[k] == ' ')
				k++;
			size_t e = k;
			while (e < len && p[e] != ' ')
				e++;
			if (e > k) {
				kv[n].p = p + k;
				kv[n].len = e - k;
				n++;
			}
			k = e;
		}
	}
	if (m->cmp->canon) {
		char *store = NULL; /* in the VM's buffer: nothing to keep */
		if ((st = canon_keys(m, vm, kv, n, false, &store)) != SV_OK)
			return m->status = st;
	}
	for (size_t i = 0; i < n && st == SV_OK && m->mt->prepare; i++) {
		struct sv_buf err = SV_BUF_INIT;
		st = m->mt->prepare(kv[i].p, kv[i].len, m->cmp, vm->settings, &prep[i],
					   &err);
		if (st != SV_OK)
			sv_vm_error(vm, "%s", err.p ? err.p : "bad key");
		sv_buf_free(&err);
		if (m->mt->release)
			release_at_cleanup(vm, m->mt->release, prep[i]);
	}
	m->keyv = kv;
	m->prep = prep;
	m->nkeys = n;
	m->cache = NULL; /* the instruction's cached hash set is of whole keys */
	return m->status = st;
}

static void commit_captures(struct sv_vm *vm, const struct sv_match_state *tmp)
{
	vm->match.n = tmp->n;
	for (size_t i = 0; i < tmp->n; i++) {
		vm->match.v[i].p = tmp->v[i].len ? sv_arena_memdup(vm->arena, tmp->v[i].p, tmp->v[i].len)
						 : "";
		vm->match.v[i].len = tmp->v[i].len;
	}
}

/* Match variables of a match on a prepared value (cv, of src): each
 * capture becomes the span of src its characters came from. All the
 * spans' ends are mapped together, in one pass over src. */
static void source_captures(const struct sv_cmp_def *cmp, const char *src, size_t srclen,
			    const char *cv, struct sv_match_state *tmp)
{
	enum { MAXOFF = 2 * (sizeof tmp->v / sizeof tmp->v[0]) };
	size_t off[MAXOFF];
	bool end[MAXOFF];
	unsigned char at[MAXOFF]; /* which capture end: 2k (start), 2k+1 (end) */
	size_t n = 0;
	tmp->v[0].p = src;
	tmp->v[0].len = srclen;
	for (size_t k = 1; k < tmp->n; k++) {
		size_t s = (size_t)(tmp->v[k].p - cv);
		size_t e = s + tmp->v[k].len;
		for (int which = 0; which < 2; which++) {
			size_t o = which ? e : s;
			/* insertion in order of offset (at most 126) */
			size_t j = n++;
			while (j > 0 && off[j - 1] > o) {
				off[j] = off[j - 1];
				end[j] = end[j - 1];
				at[j] = at[j - 1];
				j--;
			}
			off[j] = o;
			/* an empty capture stays empty, also inside the form of
			   one character (both ends round down) */
			end[j] = which && tmp->v[k].len > 0;
			at[j] = (unsigned char)(2 * k + (size_t)which);
		}
	}
	cmp->canon_offsets(src, srclen, off, end, n);
	size_t span[MAXOFF];
	for (size_t j = 0; j < n; j++)
		span[at[j]] = off[j];
	for (size_t k = 1; k < tmp->n; k++) {
		size_t ss = span[2 * k], se = span[2 * k + 1];
		tmp->v[k].p = src + ss;
		tmp->v[k].len = se > ss ? se - ss : 0;
	}
}

bool sv_match_value(struct sv_matcher *m, const char *val, size_t len)
{
	if (m->status != SV_OK || m->matched)
		return m->matched;
	m->count++;
	if (m->mt->count)
		return false; /* decided at the end */
	struct sv_vm *vm = m->vm;
	const char *src = val;
	size_t srclen = len;
	const unsigned char *units = NULL;
	if (m->cmp->canon) {
		/* compared in its canonical form, as the keys are */
		struct sv_buf *cv = &vm->match_canon[0];
		struct sv_buf *ub = m->mt->needs_glob ? &vm->match_canon[1] : NULL;
		sv_buf_reset(cv);
		if (ub)
			sv_buf_reset(ub);
		/* a prepared string is never larger than the largest message read */
		enum sv_status st = m->cmp->canon(val, len, (size_t)vm->settings->max_message_size,
						  cv, ub);
		if (st != SV_OK) {
			sv_vm_error(vm, "value too long for comparator %s: prepared, it passes "
				    "max-message-size", m->cmp->name);
			m->status = st;
			return false;
		}
		sv_buf_reserve(cv, 0);
		val = cv->p;
		len = cv->len;
		units = ub ? (const unsigned char *)ub->p : NULL;
	}
	const struct match_cache *cache = m->cache;
	if (cache && cache->slots) {
		size_t ns = cache->nslots;
		size_t h = (size_t)fold_hash(m->cmp, val, len) & (ns - 1);
		while (cache->slots[h]) {
			const struct sv_str *k = &cache->keyv[cache->slots[h] - 1];
			if (m->cmp->compare(val, len, k->p, k->len) == 0)
				return m->matched = true;
			h = (h + 1) & (ns - 1);
		}
		return false;
	}
	if (m->mt == &sv_match_is) {
		/* :is captures nothing: compare directly */
		for (size_t i = 0; i < m->nkeys; i++)
			if (m->cmp->compare(val, len, m->keyv[i].p, m->keyv[i].len) == 0)
				return m->matched = true;
		return false;
	}
	struct sv_match_state tmp;
	tmp.active = vm->match.active && m->mt->captures;
	tmp.n = 0;
	for (size_t i = 0; i < m->nkeys; i++) {
		bool ok;
		if (units && m->mt == &sv_match_matches)
			ok = sv_glob_match_units(m->cmp, val, len, units, m->keyv[i].p,
						 m->keyv[i].len, tmp.active ? &tmp : NULL);
		else
			ok = m->mt->match(m->cmp, m->rel, val, len, m->keyv[i].p, m->keyv[i].len,
					  m->prep[i], tmp.active ? &tmp : NULL);
		if (ok) {
			if (tmp.active && src != val)
				source_captures(m->cmp, src, srclen, val, &tmp);
			if (tmp.active)
				commit_captures(vm, &tmp);
			return m->matched = true;
		}
		if (m->mt->match_error) {
			/* a resource failure is an error, never a silent no */
			struct sv_buf err = SV_BUF_INIT;
			enum sv_status st = m->mt->match_error(m->prep[i], &err);
			if (st != SV_OK) {
				sv_vm_error(vm, "%s", err.p ? err.p : sv_status_name(st));
				m->status = st;
			}
			sv_buf_free(&err);
			if (st != SV_OK)
				return false;
		}
	}
	return false;
}

enum sv_status sv_match_end(struct sv_matcher *m, bool *outcome_r)
{
	if (m->status != SV_OK) {
		*outcome_r = false;
		return m->status;
	}
	if (m->mt->count) {
		/* RFC 5231 §4.2: compare the number of values with each key */
		char num[24];
		int n = snprintf(num, sizeof num, "%llu", (unsigned long long)m->count);
		for (size_t i = 0; i < m->nkeys; i++) {
			if (m->mt->match(m->cmp, m->rel, num, (size_t)n, m->keyv[i].p,
					 m->keyv[i].len, m->prep[i], NULL)) {
				m->matched = true;
				break;
			}
		}
	}
	*outcome_r = m->matched;
	return SV_OK;
}

/* ---- the run loop ---- */

static const struct sv_settings *default_settings(void)
{
	static struct sv_settings defaults;
	static bool defaults_ready;
	if (!defaults_ready) {
		sv_settings_init(&defaults);
		defaults_ready = true;
	}
	return &defaults;
}

/* The variables named "global.x" of a frame are the run's global x
 * (RFC 6609 §3.5): their values come from the shared table when a frame
 * starts or resumes, and go back to it when it ends or includes. */
static bool global_name(const char *name)
{
	return strncmp(name, "global.", 7) == 0;
}

int sv_vm_var_slot(const struct sv_vm *vm, const char *name, size_t len)
{
	/* the script's own variable of that name first, then the global one
	   it declared (kept as "global.NAME", RFC 6609 §3.3) */
	for (int pass = 0; pass < 2; pass++)
		for (size_t k = 0; k < vm->bin->nvars; k++) {
			const char *vn = vm->bin->varnames[k];
			if (pass && !global_name(vn))
				continue;
			if (pass)
				vn += 7;
			if (sv_ascii_ieq(vn, strlen(vn), name, len))
				return (int)k;
		}
	return -1;
}

static struct sv_buf *global_slot(struct sv_vm_shared *sh, const char *name, bool add)
{
	for (size_t i = 0; i < sh->nglobals; i++)
		if (strcmp(sh->gnames[i], name) == 0)
			return &sh->gvals[i];
	if (!add)
		return NULL;
	if (sh->nglobals == sh->capglobals) {
		sh->capglobals = sh->capglobals ? sh->capglobals * 2 : 8;
		sh->gnames = sv_realloc(sh->gnames, sh->capglobals * sizeof *sh->gnames);
		sh->gvals = sv_realloc(sh->gvals, sh->capglobals * sizeof *sh->gvals);
	}
	sh->gnames[sh->nglobals] = sv_strdup(name);
	sh->gvals[sh->nglobals] = (struct sv_buf)SV_BUF_INIT;
	return &sh->gvals[sh->nglobals++];
}

static void globals_in(struct sv_vm *vm)
{
	for (size_t i = 0; i < vm->bin->nvars; i++) {
		if (!global_name(vm->bin->varnames[i]))
			continue;
		const struct sv_buf *g = global_slot(vm->shared, vm->bin->varnames[i], false);
		sv_buf_reset(&vm->vars[i]);
		if (g && g->len)
			sv_buf_append(&vm->vars[i], g->p, g->len);
	}
}

static void globals_out(struct sv_vm *vm)
{
	for (size_t i = 0; i < vm->bin->nvars; i++) {
		if (!global_name(vm->bin->varnames[i]))
			continue;
		struct sv_buf *g = global_slot(vm->shared, vm->bin->varnames[i], true);
		sv_buf_reset(g);
		if (vm->vars[i].len)
			sv_buf_append(g, vm->vars[i].p, vm->vars[i].len);
	}
}

/* A frame for bin: the top one (parent NULL) or an included one. */
static void frame_init(struct sv_vm *vm, struct sv_vm *parent, const struct sv_binary *bin,
		       struct sv_msg *msg, const struct sv_envelope *env, struct sv_result *result,
		       const struct sv_vm_options *opts)
{
	memset(vm, 0, sizeof *vm);
	if (opts)
		vm->opts = *opts;
	if (!vm->opts.settings)
		vm->opts.settings = default_settings();
	vm->settings = vm->opts.settings;
	sv_bin_prepare((struct sv_binary *)bin);
	vm->bin = bin;
	vm->msg = msg;
	vm->env = env;
	vm->result = result;
	vm->run = vm->opts.run;
	vm->parent = parent;
	if (parent) {
		vm->shared = parent->shared;
		vm->depth = parent->depth + 1;
	} else {
		vm->shared = &vm->own;
		vm->own.ext_state = sv_calloc(sv_ext_count() ? sv_ext_count() : 1,
					      sizeof *vm->own.ext_state);
		vm->own.used = sv_calloc(sv_ext_count() ? sv_ext_count() : 1, sizeof *vm->own.used);
		vm->own.next_check = 2;
	}
	vm->ext_state = vm->shared->ext_state;
	for (size_t i = 0; i < bin->nexts; i++)
		vm->shared->used[bin->exts[i]->index] = true;
	vm->arena = sv_arena_new();
	vm->vars = sv_calloc(bin->nvars ? bin->nvars : 1, sizeof *vm->vars);
	vm->match.active = bin->uses_match_vars;
	vm->match.arena = vm->arena;
	if (vm->opts.script_key)
		vm->key = sv_strdup(vm->opts.script_key);
	globals_in(vm);
}

enum sv_status sv_vm_charge(struct sv_vm *vm, uint64_t n, const char *what)
{
	struct sv_vm_shared *sh = vm->shared;
	uint64_t max = vm->settings->max_instructions;
	sh->steps += n;
	if (sh->steps <= max)
		return SV_OK;
	sv_vm_error(vm, "%s: script executed more than %llu instructions (max-instructions)", what,
		    (unsigned long long)max);
	return SV_LIMIT;
}

/* Run the frame's instructions; budgets count over every frame. */
static enum sv_status run_loop(struct sv_vm *vm)
{
	const struct sv_binary *bin = vm->bin;
	struct sv_vm_shared *sh = vm->shared;
	uint64_t max_steps = vm->settings->max_instructions;
	/* CPU time (a system call) is read from the second instruction on,
	   then as often as the instructions cost: cheap ones every 1,024,
	   expensive ones (a regex on a large value, a body test) after about
	   10 ms of work, so an expensive loop overruns the budget by little */
	uint64_t max_ns = vm->settings->max_cpu_time * 1000000000ull;
	enum sv_status st = SV_OK;
	vm->ip = 0;
	while (vm->ip < bin->ninsns && !vm->stopped) {
		const struct sv_operands *ops = &bin->insns[vm->ip];
		vm->pc = ops->offset;
		if (++sh->steps > max_steps) {
			sv_vm_error(vm, "script executed more than %llu instructions",
				    (unsigned long long)max_steps);
			st = SV_LIMIT;
			break;
		}
		if (sh->steps >= sh->next_check) {
			uint64_t now = cpu_now_ns();
			if (!sh->cpu_start) {
				sh->cpu_start = sh->last_ns = now;
				sh->last_steps = sh->steps;
			} else if (now - sh->cpu_start > max_ns) {
				sv_vm_error(vm, "script used more than %llu seconds of CPU time",
					    (unsigned long long)vm->settings->max_cpu_time);
				st = SV_LIMIT;
				break;
			}
			uint64_t spent = now - sh->last_ns, done = sh->steps - sh->last_steps;
			uint64_t gap = 1024;
			if (spent > 0 && done > 0 && spent / done > 10000000ull / 1024)
				gap = 10000000ull / (spent / done); /* ~10 ms */
			sh->next_check = sh->steps + (gap ? gap : 1);
			sh->last_ns = now;
			sh->last_steps = sh->steps;
		}
		vm->next = vm->ip + 1;
		st = ops->op->exec(vm, ops);
		if (st != SV_OK) {
			if (vm->error.len == 0)
				sv_vm_error(vm, "%s failed: %s", ops->op->mnemonic, sv_status_name(st));
			break;
		}
		if (ops->op->is_test && vm->opts.trace)
			vm->opts.trace(vm->opts.trace_ctx, sv_vm_line(vm), ops->op->mnemonic, vm->test);
		vm->ip = vm->next;
	}
	return st;
}

static void note_key(struct sv_vm_shared *sh, const char *key)
{
	if (sh->nincluded == sh->capincluded) {
		sh->capincluded = sh->capincluded ? sh->capincluded * 2 : 8;
		sh->included = sv_realloc(sh->included, sh->capincluded * sizeof *sh->included);
	}
	sh->included[sh->nincluded++] = sv_strdup(key);
}

enum sv_status sv_vm_run(struct sv_vm *vm, const struct sv_binary *bin, struct sv_msg *msg,
			 const struct sv_envelope *env, struct sv_result *result,
			 const struct sv_vm_options *opts)
{
	frame_init(vm, NULL, bin, msg, env, result, opts);
	if (vm->key)
		note_key(vm->shared, vm->key); /* include :once skips the top script too */
	enum sv_status st = run_loop(vm);
	/* the hooks of every extension some frame used, in registry order */
	for (size_t i = 0; st == SV_OK && i < sv_ext_count(); i++) {
		const struct sv_ext_def *e = sv_ext_at(i);
		if (!vm->shared->used[i] || !e->on_run_end)
			continue;
		st = e->on_run_end(vm);
		if (st != SV_OK && vm->error.len == 0)
			sv_vm_error(vm, "%s: %s at the end of the run", e->name, sv_status_name(st));
	}
	return st;
}

bool sv_vm_was_included(const struct sv_vm *vm, const char *key)
{
	struct sv_vm_shared *sh = vm->shared;
	for (size_t i = 0; i < sh->nincluded; i++)
		if (strcmp(sh->included[i], key) == 0)
			return true;
	return false;
}

bool sv_vm_is_active(const struct sv_vm *vm, const char *key)
{
	for (; vm; vm = vm->parent)
		if (vm->key && strcmp(vm->key, key) == 0)
			return true;
	return false;
}

static void frame_free(struct sv_vm *vm);

enum sv_status sv_vm_include(struct sv_vm *vm, const struct sv_binary *bin, const char *key)
{
	if (!sv_vm_was_included(vm, key))
		note_key(vm->shared, key);
	globals_out(vm);
	struct sv_vm child;
	struct sv_vm_options o = vm->opts;
	o.script_key = key;
	frame_init(&child, vm, bin, vm->msg, vm->env, vm->result, &o);
	enum sv_status st = run_loop(&child);
	globals_out(&child);
	if (st != SV_OK) {
		/* RFC 6609 §3.2: an error in an included script is an error of
		   the whole run; the text says where it happened */
		const char *colon = strchr(key, ':');
		sv_vm_error(vm, "included script '%s': line %u: %s", colon ? colon + 1 : key,
			    child.error_line, child.error.len ? child.error.p : sv_status_name(st));
	} else if (child.stopped && !child.returned) {
		vm->stopped = true; /* stop ends every script (RFC 6609 §3.3) */
	}
	frame_free(&child);
	globals_in(vm);
	return st;
}

static void frame_free(struct sv_vm *vm)
{
	for (size_t i = 0; i < vm->nreleases; i++)
		vm->releases[i].fn(vm->releases[i].state);
	sv_free(vm->releases);
	vm->releases = NULL;
	vm->nreleases = vm->capreleases = 0;
	if (vm->bin)
		for (size_t i = 0; i < vm->bin->nvars; i++)
			sv_buf_free(&vm->vars[i]);
	sv_free(vm->vars);
	vm->vars = NULL;
	for (size_t i = 0; i < 4; i++)
		sv_buf_free(&vm->scratch[i]);
	for (size_t i = 0; i < 3; i++)
		sv_buf_free(&vm->match_canon[i]);
	sv_buf_free(&vm->error);
	sv_arena_free(vm->arena);
	vm->arena = NULL;
	sv_free(vm->key);
	vm->key = NULL;
}

void sv_vm_cleanup(struct sv_vm *vm)
{
	frame_free(vm);
	struct sv_vm_shared *sh = &vm->own;
	if (vm->shared != sh)
		return;
	for (size_t i = 0; sh->ext_state && i < sv_ext_count(); i++) {
		const struct sv_ext_def *e = sv_ext_at(i);
		if (sh->ext_state[i] && e->free_state)
			e->free_state(sh->ext_state[i]);
	}
	sv_free(sh->ext_state);
	sv_free(sh->used);
	for (size_t i = 0; i < sh->nglobals; i++) {
		sv_free(sh->gnames[i]);
		sv_buf_free(&sh->gvals[i]);
	}
	sv_free(sh->gnames);
	sv_free(sh->gvals);
	for (size_t i = 0; i < sh->nincluded; i++)
		sv_free(sh->included[i]);
	sv_free(sh->included);
	memset(sh, 0, sizeof *sh);
	vm->ext_state = NULL;
}

enum sv_status sv_vm_add_action(struct sv_vm *vm, const struct sv_operands *ops,
				struct sv_action *a)
{
	a->line = sv_vm_line(vm);
	a->msg_version = vm->msg ? sv_msg_version(vm->msg) : 0;
	for (size_t i = 0; i < vm->bin->nexts; i++) {
		if (!vm->bin->exts[i]->decorate_action)
			continue;
		enum sv_status st = vm->bin->exts[i]->decorate_action(vm, ops, a);
		if (st != SV_OK) {
			if (vm->error.len == 0)
				sv_vm_error(vm, "%s: %s", vm->bin->exts[i]->name, sv_status_name(st));
			return st;
		}
	}
	struct sv_buf err = SV_BUF_INIT;
	enum sv_status st = sv_result_add(vm->result, a, &err);
	if (st != SV_OK)
		sv_vm_error(vm, "%s", err.p ? err.p : "cannot add action");
	sv_buf_free(&err);
	return st;
}
