/*
 * regex-cost.c: an upper bound, from an ERE pattern alone, of what TRE
 * 0.8 will build for it, so that :regex (draft-ietf-sieve-regex-01 §3)
 * can refuse a pattern before TRE's compile or match runs away.
 *
 * TRE expands every counted repetition x{m,n} into copies of x
 * (tre_expand_ast), so nested counts multiply: (a{255}){255} is 65025
 * positions. It then builds a Glushkov-style TNFA: one state per literal
 * (a bracket expression is one state whose ranges are separate
 * transitions), transitions from last(x) to first(y) for each
 * concatenation xy and from last(x) to first(x) for each x*. Tags are
 * added (tre_add_tags) before the expansion, so their number follows the
 * pattern as written. The parallel matcher (tre_tnfa_run_parallel)
 * allocas about
 *     2*(S+1)*16 + S*16 + 2*S*T*4 + 2*T*4 + 32 bytes
 * for S states and T tags (T is 0 when no captures are asked for).
 *
 * The estimate walks the pattern once and keeps, for each sub-expression,
 * the Glushkov quantities of its expansion (states, first and last set
 * sizes counted in transition ranges, nullability, transitions, and the
 * sizes of the position sets TRE keeps per AST node); each is an upper
 * bound of TRE's (a range counts for every case variant REG_ICASE may add,
 * x{m,n} for one copy more than TRE makes). Arithmetic saturates.
 *
 * Not handled: TRE's approximate-matching bounds ({~1} and the like) are
 * refused, as are groups nested more than SV_REGEX_MAX_DEPTH deep.
 */
#include <string.h>

#include "ext/regex-int.h"

#define SV_REGEX_MAX_DEPTH 256
#define SAT ((uint64_t)1 << 56)

/* The Glushkov quantities of one sub-expression, after expansion. */
struct cost {
	uint64_t states; /* positions (TNFA states) */
	uint64_t first, last; /* sizes of its first and last sets, in ranges */
	uint64_t trans;  /* transitions inside it */
	uint64_t sets;   /* sum of the position-set sizes of its AST nodes */
	bool nullable;
};

struct parser {
	const wchar_t *p, *end;
	bool icase;
	unsigned depth;
	uint64_t nodes; /* AST nodes before expansion: bounds the tags */
	struct sv_buf *err;
	bool failed;
	bool bad_bound; /* a bound TRE refuses: see parse_bound */
	bool bad_paren; /* a ')' TRE's parser loops on: see sv_regex_estimate */
	bool bad_class; /* an unterminated [: [. [= : see parse_bracket */
	bool bad_hex;   /* a \x{...} TRE mishandles: see parse_atom */
};

static uint64_t add(uint64_t a, uint64_t b)
{
	return a + b > SAT ? SAT : a + b;
}

static uint64_t mul(uint64_t a, uint64_t b)
{
	if (a == 0 || b == 0)
		return 0;
	return a > SAT / b ? SAT : a * b;
}

static const struct cost empty_cost = {0, 0, 0, 0, 0, true};

static struct cost cat(struct cost a, struct cost b)
{
	struct cost r;
	r.states = add(a.states, b.states);
	r.first = add(a.first, a.nullable ? b.first : 0);
	r.last = add(b.last, b.nullable ? a.last : 0);
	r.trans = add(add(a.trans, b.trans), mul(a.last, b.first));
	r.nullable = a.nullable && b.nullable;
	r.sets = add(add(a.sets, b.sets), add(r.first, r.last));
	return r;
}

static struct cost alt(struct cost a, struct cost b)
{
	struct cost r;
	r.states = add(a.states, b.states);
	r.first = add(a.first, b.first);
	r.last = add(a.last, b.last);
	r.trans = add(a.trans, b.trans);
	r.nullable = a.nullable || b.nullable;
	r.sets = add(add(a.sets, b.sets), add(r.first, r.last));
	return r;
}

static struct cost star(struct cost a)
{
	a.trans = add(a.trans, mul(a.last, a.first));
	a.nullable = true;
	a.sets = add(a.sets, add(a.first, a.last));
	return a;
}

/* x{m,n} as TRE expands it: m copies, then x* (n unbounded) or n-m nested
 * optional copies (one more here, to stay above TRE's count). */
static struct cost repeat(struct cost x, unsigned m, long n)
{
	struct cost r = empty_cost;
	for (unsigned i = 0; i < m && r.states < SAT; i++)
		r = cat(r, x);
	if (n < 0)
		return cat(r, star(x));
	struct cost chain = empty_cost;
	for (long i = m; i <= n && chain.states < SAT; i++)
		chain = alt(cat(x, chain), empty_cost);
	return cat(r, chain);
}

/* A literal of one or more ranges: TRE gives each range its own
 * position once the literal is copied by an expansion. */
static struct cost literal(uint64_t ranges)
{
	struct cost r = {ranges, ranges, ranges, 0, 2 * ranges, false};
	return r;
}

/* Ranges one bracket element may become. REG_ICASE adds, for each run
 * of letters in the range, the run in the other case: under the C locale
 * (sift's tools never call setlocale) one per ASCII case block; an
 * embedder's locale may split a block (Turkish i) or give case beyond
 * ASCII, so count at most 6 runs in the ASCII part and one per
 * character beyond it. A named class is expanded into its runs under an
 * 8-bit locale: at most 4 in the C locale's classes, doubled by
 * REG_ICASE (RANGES_PER_CLASS). */
#define RANGES_PER_CLASS 16

static uint64_t ascii_letters(wchar_t lo, wchar_t hi)
{
	uint64_t n = 0;
	for (wchar_t c = lo; c <= hi && c < 0x80; c++)
		if ((c >= L'A' && c <= L'Z') || (c >= L'a' && c <= L'z'))
			n++;
	return n;
}

static uint64_t range_cost(bool icase, wchar_t lo, wchar_t hi)
{
	if (!icase)
		return 1;
	if (hi < lo)
		hi = lo;
	uint64_t letters = lo < 0x80 ? ascii_letters(lo, hi) : 0;
	uint64_t beyond = hi < 0x80 ? 0 : (uint64_t)(hi - (lo < 0x80 ? 0x80 : lo)) + 1;
	return 1 + (letters < 6 ? letters : 6) + beyond;
}

/* Tags TRE may add for one bracket expression (a negated one or one with
 * classes is a union inside) */
#define BRACKET_NODES 2

static uint64_t parse_bracket(struct parser *ps)
{
	const wchar_t *p = ps->p; /* after '[' */
	bool neg = false;
	uint64_t ranges = 0;
	if (p < ps->end && *p == L'^') {
		neg = true;
		p++;
	}
	bool first = true;
	while (p < ps->end && (*p != L']' || first)) {
		first = false;
		if (*p == L'[' && p + 1 < ps->end && (p[1] == L':' || p[1] == L'.' || p[1] == L'=')) {
			wchar_t kind = p[1];
			const wchar_t *q = p + 2;
			while (q + 1 < ps->end && !(q[0] == kind && q[1] == L']'))
				q++;
			if (q + 1 >= ps->end) {
				/* unterminated: TRE 0.8 skips two characters
				   after the name's ':' whatever they are, and
				   reads past the end of a pattern ending in
				   "[[:alpha:" */
				ps->bad_class = true;
				break;
			}
			ranges = add(ranges, kind == L':' ? RANGES_PER_CLASS : (ps->icase ? 3 : 1));
			p = q + 2;
			continue;
		}
		wchar_t lo = *p++, hi = lo;
		if (p + 1 < ps->end && *p == L'-' && p[1] != L']') {
			hi = p[1];
			p += 2;
		}
		ranges = add(ranges, range_cost(ps->icase, lo, hi));
	}
	if (p < ps->end)
		p++; /* ']' */
	ps->p = p;
	/* a negated set is the complement of the ranges: one more at most */
	if (neg)
		ranges = add(ranges, 1);
	ps->nodes = add(ps->nodes, BRACKET_NODES);
	return ranges ? ranges : 1;
}

/* {m}, {m,}, {m,n}, {,n}; false for anything else (TRE's approximate
 * matching parameters). TRE refuses (REG_BADBR) an upper bound over
 * RE_DUP_MAX (255; {m} is m to m) or below the lower one, but parses the
 * numbers into an int that overflows: a{4294967296} would reach it as
 * a{0}. Such a bound is marked so that the pattern is refused before TRE
 * sees it; the estimate goes on with the numbers capped. */
static bool parse_bound(struct parser *ps, unsigned *m_r, long *n_r)
{
	const wchar_t *p = ps->p; /* after '{' */
	unsigned long m = 0, n = 0;
	bool have_m = false, comma = false, have_n = false;
	while (p < ps->end && *p >= L'0' && *p <= L'9') {
		m = m * 10 + (unsigned long)(*p++ - L'0');
		if (m > 100000)
			m = 100000;
		have_m = true;
	}
	if (p < ps->end && *p == L',') {
		comma = true;
		p++;
		while (p < ps->end && *p >= L'0' && *p <= L'9') {
			n = n * 10 + (unsigned long)(*p++ - L'0');
			if (n > 100000)
				n = 100000;
			have_n = true;
		}
	}
	if (p >= ps->end || *p != L'}' || (!have_m && !have_n))
		return false;
	unsigned long max = !comma ? m : n;
	if ((!comma || have_n) && (max > SV_REGEX_DUP_MAX || (have_m && have_n && n < m)))
		ps->bad_bound = true;
	ps->p = p + 1;
	*m_r = (unsigned)m;
	*n_r = !comma ? (long)m : have_n ? (long)n : -1;
	if (*n_r >= 0 && *n_r < (long)*m_r)
		*n_r = (long)*m_r; /* TRE refuses it anyway */
	return true;
}

static struct cost parse_alt(struct parser *ps);

static bool is_hex(wchar_t c)
{
	return (c >= L'0' && c <= L'9') || (c >= L'a' && c <= L'f') || (c >= L'A' && c <= L'F');
}

static struct cost parse_atom(struct parser *ps, bool *atom_r)
{
	wchar_t c = *ps->p++;
	*atom_r = true;
	ps->nodes = add(ps->nodes, 1);
	switch (c) {
	case L'(': {
		if (++ps->depth > SV_REGEX_MAX_DEPTH) {
			if (!ps->failed)
				sv_buf_printf(ps->err, "regular expression nests groups more than %d deep",
					      SV_REGEX_MAX_DEPTH);
			ps->failed = true;
			ps->p = ps->end;
			return empty_cost;
		}
		struct cost r = parse_alt(ps);
		ps->depth--;
		if (ps->p < ps->end && *ps->p == L')')
			ps->p++;
		return r;
	}
	case L'[':
		return literal(parse_bracket(ps));
	case L'^':
	case L'$':
		*atom_r = false;
		return empty_cost;
	case L'.':
		return literal(1); /* one range without REG_NEWLINE */
	case L'\\':
		if (ps->p >= ps->end)
			return literal(1);
		c = *ps->p++;
		switch (c) {
		case L'<':
		case L'>':
		case L'b':
		case L'B':
			*atom_r = false;
			return empty_cost;
		case L'w':
		case L'W':
		case L's':
		case L'S':
		case L'd':
		case L'D':
			ps->nodes = add(ps->nodes, BRACKET_NODES);
			return literal(RANGES_PER_CLASS + 4);
		case L'x':
			if (ps->p < ps->end && *ps->p == L'{') {
				/* TRE 0.8 copies the digits into a 32-byte
				   stack buffer without a bound: more than 8
				   digits (no code point needs them), anything
				   but hex digits, or no '}' is refused here */
				unsigned digits = 0;
				ps->p++;
				while (ps->p < ps->end && *ps->p != L'}') {
					if (!is_hex(*ps->p) || ++digits > 8)
						ps->bad_hex = true;
					ps->p++;
				}
				if (ps->p < ps->end)
					ps->p++;
				else
					ps->bad_hex = true;
			} else {
				for (int i = 0; i < 2 && ps->p < ps->end && is_hex(*ps->p); i++)
					ps->p++;
			}
			return literal(ps->icase ? 3 : 1); /* one character, any case */
		default:
			return literal(range_cost(ps->icase, c, c));
		}
	default:
		return literal(range_cost(ps->icase, c, c));
	}
}

/* A piece: an atom and its repetitions (x*, x+, x?, x{m,n}, and TRE's
 * minimal forms x*? and the like, counted as one more x?). */
static struct cost parse_piece(struct parser *ps)
{
	bool atom;
	struct cost x = parse_atom(ps, &atom);
	while (ps->p < ps->end && !ps->failed) {
		wchar_t c = *ps->p;
		if (c == L'*' || c == L'+' || c == L'?') {
			ps->p++;
			ps->nodes = add(ps->nodes, 1);
			x = c == L'*' ? star(x) : c == L'+' ? cat(x, star(x)) : alt(x, empty_cost);
		} else if (c == L'{') {
			ps->p++;
			unsigned m;
			long n;
			if (!parse_bound(ps, &m, &n)) {
				sv_buf_puts(ps->err, "unsupported repetition bound (approximate "
						     "matching is not part of POSIX ERE)");
				ps->failed = true;
				return x;
			}
			ps->nodes = add(ps->nodes, 1);
			x = repeat(x, m, n);
		} else {
			break;
		}
	}
	return x;
}

static struct cost parse_branch(struct parser *ps)
{
	struct cost r = empty_cost;
	while (ps->p < ps->end && *ps->p != L'|' && *ps->p != L')' && !ps->failed) {
		ps->nodes = add(ps->nodes, 1);
		r = cat(r, parse_piece(ps));
	}
	return r;
}

static struct cost parse_alt(struct parser *ps)
{
	struct cost r = parse_branch(ps);
	while (ps->p < ps->end && *ps->p == L'|' && !ps->failed) {
		ps->p++;
		ps->nodes = add(ps->nodes, 2);
		r = alt(r, parse_branch(ps));
	}
	return r;
}

/* TRE's memory per unit, measured on TRE 0.8.0 (x86-64) and rounded up:
 * an expanded AST node with its literal, tags and position sets per
 * state; a transition with its tag array; an entry of a position set
 * (x{0,255} peaks at about 5 MB, 150 bytes per entry of its quadratic
 * last sets). */
#define COST_PER_STATE 1024
#define COST_PER_TRANSITION(tags) (64 + 4 * ((tags) + 2))
#define COST_PER_SET_ENTRY 160

enum sv_status sv_regex_estimate(const wchar_t *w, size_t n, bool icase,
				 struct sv_regex_cost *cost_r, struct sv_buf *err)
{
	struct parser ps = {.p = w, .end = w + n, .icase = icase, .err = err};
	struct cost r = parse_alt(&ps);
	while (ps.p < ps.end && !ps.failed) {
		/* an unmatched ')': TRE takes it as a literal, except right
		   after a backslash character (the pattern a\\) ): TRE 0.8
		   takes that for the BRE group end \) , makes an empty
		   expression without moving on and loops for ever, allocating.
		   Estimate the rest too. */
		if (ps.p > w && ps.p[-1] == L'\\')
			ps.bad_paren = true;
		ps.p++;
		r = cat(r, parse_alt(&ps));
	}
	if (ps.failed)
		return SV_FAIL;
	cost_r->bad_bound = ps.bad_bound;
	cost_r->bad_paren = ps.bad_paren;
	cost_r->bad_class = ps.bad_class;
	cost_r->bad_hex = ps.bad_hex;
	uint64_t s = add(r.states, 2);
	uint64_t t = add(mul(ps.nodes, 2), 2);
	/* initial and final transitions, one terminator per state */
	uint64_t trans = add(add(r.trans, add(r.first, r.last)), s);
	cost_r->states = s;
	cost_r->tags = t;
	cost_r->transitions = trans;
	cost_r->compile_bytes = add(add(mul(s, COST_PER_STATE), mul(trans, COST_PER_TRANSITION(t))),
				    mul(r.sets, COST_PER_SET_ENTRY));
	uint64_t base = add(add(mul(2 * 16, add(s, 1)), mul(s, 16)), 64);
	cost_r->match_bytes_nosub = base;
	cost_r->match_bytes = add(base, add(mul(mul(s, t), 2 * 4), mul(t, 3 * 4)));
	return SV_OK;
}
