/*
 * regex.c: the regex extension (draft-ietf-sieve-regex-01): the match type
 * :regex with POSIX extended regular expressions, captures into the match
 * variables ${0}..${N} when variables is in use.
 *
 * The engine is TRE, whose matcher is linear in the length of the value
 * (glibc's backtracking regexec is exponential on patterns such as
 * (a|aa)*(a|aa)*b). Back-references are not part of ERE and are refused at
 * compile time (they would also lose the linear-time guarantee). Only
 * i;octet and i;ascii-casemap may be used with :regex (§3). With
 * variables, set takes the :quoteregex modifier (§4, precedence 20), which
 * escapes the characters that are special in an ERE.
 *
 * Matching is on characters, whatever the locale: patterns and values are
 * decoded from UTF-8 to code points and run through TRE's wide-character
 * interface, so "." is one character and [é] a set of one. A byte that is
 * not valid UTF-8 becomes U+DC00 + byte, which matches only itself. TRE's
 * case folding under the C locale is ASCII-only: exactly i;ascii-casemap.
 */
#include <stdlib.h>
#include <string.h>
#include <tre/tre.h>
#include <wchar.h>

#include "ext/registry.h"
#include "lib/alloc.h"
#include "lib/utf8.h"
#include "vm/vm.h"

/* Reject \1..\9 outside bracket expressions. */
static bool has_backref(const char *p, size_t len)
{
	bool in_bracket = false;
	for (size_t i = 0; i < len; i++) {
		if (in_bracket) {
			if (p[i] == ']')
				in_bracket = false;
			continue;
		}
		if (p[i] == '[') {
			in_bracket = true;
			/* a ']' right after '[' or '[^' is literal */
			if (i + 1 < len && p[i + 1] == '^')
				i++;
			if (i + 1 < len && p[i + 1] == ']')
				i++;
			continue;
		}
		if (p[i] == '\\' && i + 1 < len) {
			if (p[i + 1] >= '1' && p[i + 1] <= '9')
				return true;
			i++;
		}
	}
	return false;
}

/* UTF-8 to code points; offs (when given) gets each character's byte
 * offset and, last, len. The caller frees both. */
static wchar_t *to_wide(const char *s, size_t len, size_t *wlen_r, size_t **offs_r)
{
	wchar_t *w = sv_malloc((len + 1) * sizeof *w);
	size_t *offs = offs_r ? sv_malloc((len + 1) * sizeof *offs) : NULL;
	size_t n = 0, i = 0;
	while (i < len) {
		uint32_t cp;
		size_t l = (unsigned char)s[i] < 0x80 ? 1 : sv_utf8_decode(s + i, len - i, &cp);
		if ((unsigned char)s[i] < 0x80)
			cp = (unsigned char)s[i];
		else if (l == 0) {
			cp = 0xdc00 + (unsigned char)s[i];
			l = 1;
		}
		if (offs)
			offs[n] = i;
		w[n++] = (wchar_t)cp;
		i += l;
	}
	if (offs)
		offs[n] = len;
	w[n] = 0;
	*wlen_r = n;
	if (offs_r)
		*offs_r = offs;
	return w;
}

static bool compile_re(const char *key, size_t len, int flags, regex_t *re, struct sv_buf *err)
{
	if (has_backref(key, len)) {
		sv_buf_puts(err, "back-references are not allowed in :regex (POSIX ERE has none)");
		return false;
	}
	if (len > 65536) {
		sv_buf_puts(err, "regular expression too long");
		return false;
	}
	size_t wlen;
	wchar_t *w = to_wide(key, len, &wlen, NULL);
	int rc = tre_regwncomp(re, w, wlen, REG_EXTENDED | flags);
	sv_free(w);
	if (rc != 0) {
		char msg[200];
		tre_regerror(rc, re, msg, sizeof msg);
		/* the key may come from a variable: not NUL-terminated, any bytes */
		sv_buf_puts(err, "invalid regular expression '");
		sv_buf_put_sanitized(err, key, len, 64);
		sv_buf_printf(err, "': %s", msg);
		return false;
	}
	return true;
}

static bool check_key(const char *key, size_t len, struct sv_buf *err)
{
	regex_t re;
	if (!compile_re(key, len, REG_NOSUB, &re, err))
		return false;
	tre_regfree(&re);
	return true;
}

static enum sv_status prepare(const char *key, size_t len, const struct sv_cmp_def *cmp,
			      void **state_r, struct sv_buf *err)
{
	if (cmp != &sv_cmp_octet && cmp != &sv_cmp_ascii_casemap) {
		sv_buf_printf(err, "comparator %s cannot be used with :regex", cmp->name);
		return SV_FAIL;
	}
	regex_t *re = sv_malloc(sizeof *re);
	if (!compile_re(key, len, cmp == &sv_cmp_ascii_casemap ? REG_ICASE : 0, re, err)) {
		sv_free(re);
		return SV_FAIL;
	}
	*state_r = re;
	return SV_OK;
}

static void release(void *state)
{
	tre_regfree(state);
	sv_free(state);
}

static bool regex_match(const struct sv_cmp_def *cmp, unsigned rel, const char *val, size_t vlen,
			const char *key, size_t klen, void *state, struct sv_match_state *ms)
{
	regmatch_t pm[64];
	size_t n = ms ? 64 : 0;
	size_t wlen, *offs = NULL;
	wchar_t *w = to_wide(val, vlen, &wlen, n ? &offs : NULL);
	int rc = tre_regwnexec(state, w, wlen, n, n ? pm : NULL, 0);
	sv_free(w);
	if (rc != 0) {
		sv_free(offs);
		return false;
	}
	if (ms) {
		/* character offsets back to byte offsets */
		for (size_t i = 0; i < n; i++) {
			if (pm[i].rm_so >= 0 && pm[i].rm_eo >= pm[i].rm_so &&
			    (size_t)pm[i].rm_eo <= wlen) {
				pm[i].rm_so = (regoff_t)offs[pm[i].rm_so];
				pm[i].rm_eo = (regoff_t)offs[pm[i].rm_eo];
			} else {
				pm[i].rm_so = pm[i].rm_eo = -1;
			}
		}
		sv_free(offs);
		size_t used = 0;
		for (size_t i = 0; i < n; i++) {
			if (pm[i].rm_so < 0 || pm[i].rm_eo < pm[i].rm_so) {
				ms->v[i].p = "";
				ms->v[i].len = 0;
			} else {
				ms->v[i].p = val + pm[i].rm_so;
				ms->v[i].len = (size_t)(pm[i].rm_eo - pm[i].rm_so);
				used = i + 1;
			}
		}
		ms->n = used;
	}
	return true;
}

/* draft-ietf-sieve-regex §3: only these two comparators */
static const struct sv_cmp_def *const regex_comparators[] = {&sv_cmp_octet, &sv_cmp_ascii_casemap,
							      NULL};

static const struct sv_match_def match_regex = {
	.name = "regex",
	.captures = true,
	.comparators = regex_comparators,
	.check_key = check_key,
	.prepare = prepare,
	.release = release,
	.match = regex_match,
};

static const struct sv_match_def *const regex_matches[] = {&match_regex, NULL};

/* draft-ietf-sieve-regex §4: :quoteregex escapes every ERE special */
static void mod_quoteregex(struct sv_buf *b)
{
	struct sv_buf q = SV_BUF_INIT;
	for (size_t i = 0; i < b->len; i++) {
		if (strchr("\\^$.[]|()*+?{}", b->p[i]) && b->p[i] != '\0')
			sv_buf_putc(&q, '\\');
		sv_buf_putc(&q, b->p[i]);
	}
	sv_buf_free(b);
	*b = q;
}

static const struct sv_modifier_def m_quoteregex = {"quoteregex", 20, 0, mod_quoteregex};
static const struct sv_modifier_def *const regex_modifiers[] = {&m_quoteregex, NULL};

static const char *const set_target[] = {"set", NULL};
static const struct sv_tag_def regex_tags[] = {
	{.name = "quoteregex", .opt = 0, .attach = set_target},
	{NULL},
};
static const char *const regex_opt_names[] = {"quoteregex"};

struct sv_ext_def sv_ext_regex_def = {
	.name = "regex",
	.match_types = regex_matches,
	.tags = regex_tags,
	.opt_kinds = "f",
	.opt_names = regex_opt_names,
	.modifiers = regex_modifiers,
};
