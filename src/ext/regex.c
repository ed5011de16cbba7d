/*
 * regex.c: the regex extension (draft-ietf-sieve-regex-01): the match type
 * :regex with POSIX extended regular expressions, captures into the match
 * variables ${0}..${N} when variables is in use.
 *
 * The engine is TRE, whose matcher is linear in the length of the value
 * (glibc's backtracking regexec is exponential on patterns such as
 * (a|aa)*(a|aa)*b). Back-references are not part of ERE and are refused at
 * compile time (they would also lose the linear-time guarantee), as is
 * TRE's approximate matching. Only i;octet and i;ascii-casemap may be used
 * with :regex (§3). With variables, set takes the :quoteregex modifier
 * (§4, precedence 20), which escapes the characters that are special in an
 * ERE.
 *
 * Hostile patterns: TRE expands counted repetitions, so (a{255}){255}
 * compiles to 65025 states, and its matcher allocas its state (states x
 * tags) on the stack. Before TRE sees a pattern, regex-cost.c estimates
 * an upper bound of both from the pattern itself; a pattern above the
 * max-regex-memory setting is refused (at compile time for a literal key,
 * as a runtime error for one built from variables). A match whose state
 * is estimated above SV_REGEX_STACK_THRESHOLD runs on a thread whose
 * stack is allocated with that size plus a margin, so TRE's alloca cannot
 * overflow the caller's stack. When that thread cannot be started (no
 * memory for the stack, a thread limit), the test fails with a runtime
 * error naming the pattern, as a budget does: never a silent "no match".
 *
 * Matching is on characters, whatever the locale: patterns are decoded
 * from UTF-8 to code points for TRE's wide-character compile; values are
 * decoded on the fly through TRE's tre_str_source interface (no copy of
 * the value), each character reporting its byte length, so match offsets
 * come back in bytes. "." is one character and [é] a set of one. A byte
 * that is not valid UTF-8 becomes U+DC00 + byte, which matches only
 * itself. TRE's case folding under the C locale is ASCII-only: exactly
 * i;ascii-casemap.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <tre/tre.h>
#include <unistd.h>
#include <wchar.h>

#include "ext/regex-int.h"
#include "ext/registry.h"
#include "lib/limits.h"
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

/* One UTF-8 character at s[0..len), len > 0: its code point, or
 * U+DC00 + byte for a byte that does not start a valid sequence. */
static size_t decode_char(const char *s, size_t len, uint32_t *cp_r)
{
	if ((unsigned char)s[0] < 0x80) {
		*cp_r = (unsigned char)s[0];
		return 1;
	}
	size_t l = sv_utf8_decode(s, len, cp_r);
	if (l == 0) {
		*cp_r = 0xdc00 + (unsigned char)s[0];
		l = 1;
	}
	return l;
}

/* UTF-8 to code points (patterns only: they are small). */
static wchar_t *to_wide(const char *s, size_t len, size_t *wlen_r)
{
	wchar_t *w = sv_malloc((len + 1) * sizeof *w);
	size_t n = 0, i = 0;
	while (i < len) {
		uint32_t cp;
		i += decode_char(s + i, len - i, &cp);
		w[n++] = (wchar_t)cp;
	}
	w[n] = 0;
	*wlen_r = n;
	return w;
}

struct sv_regex {
	regex_t re;
	uint64_t match_bytes; /* estimated TRE match state, upper bound */
	struct sv_buf name;   /* the pattern, sanitised and cut, for errors */
	struct sv_buf error;  /* why the last match could not be done */
	enum sv_status status; /* of the last match (regex_match) */
};

static void put_kib(struct sv_buf *b, uint64_t bytes)
{
	sv_buf_printf(b, "%llu KiB", (unsigned long long)((bytes + 1023) / 1024));
}

/* "invalid regular expression 'KEY': TRE's reason for rc" */
static void invalid(struct sv_buf *err, const char *key, size_t len, int rc)
{
	char msg[200];
	regex_t none;
	memset(&none, 0, sizeof none);
	tre_regerror(rc, &none, msg, sizeof msg);
	/* the key may come from a variable: not NUL-terminated, any bytes */
	sv_buf_puts(err, "invalid regular expression '");
	sv_buf_put_sanitized(err, key, len, 64);
	sv_buf_printf(err, "': %s", msg);
}

enum sv_status sv_regex_compile(const char *key, size_t len, bool icase, bool nosub,
				uint64_t limit, struct sv_regex **re_r, struct sv_buf *err)
{
	if (has_backref(key, len)) {
		sv_buf_puts(err, "back-references are not allowed in :regex (POSIX ERE has none)");
		return SV_FAIL;
	}
	if (len > 65536) {
		sv_buf_puts(err, "regular expression too long");
		return SV_FAIL;
	}
	size_t wlen;
	wchar_t *w = to_wide(key, len, &wlen);
	struct sv_regex_cost cost;
	if (sv_regex_estimate(w, wlen, icase, &cost, err) != SV_OK) {
		sv_free(w);
		return SV_FAIL;
	}
	if (cost.bad_bound || cost.bad_class || cost.bad_hex) {
		/* TRE's own refusal, without handing it what it mishandles */
		sv_free(w);
		invalid(err, key, len,
			cost.bad_bound ? REG_BADBR : cost.bad_class ? REG_EBRACK : REG_EBRACE);
		return SV_FAIL;
	}
	if (cost.bad_paren) {
		sv_free(w);
		sv_buf_puts(err, "invalid regular expression '");
		sv_buf_put_sanitized(err, key, len, 64);
		sv_buf_puts(err, "': unmatched ')' right after an escaped backslash");
		return SV_FAIL;
	}
	uint64_t need = cost.compile_bytes + (nosub ? cost.match_bytes_nosub : cost.match_bytes);
	if (need > limit) {
		sv_free(w);
		sv_buf_puts(err, "regular expression '");
		sv_buf_put_sanitized(err, key, len, 64);
		sv_buf_puts(err, "' is too complex: it needs about ");
		put_kib(err, need);
		sv_buf_puts(err, ", more than max-regex-memory (");
		put_kib(err, limit);
		sv_buf_puts(err, "); counted repetitions such as {255} multiply when nested");
		return SV_FAIL;
	}
	struct sv_regex *re = sv_calloc(1, sizeof *re);
	re->match_bytes = nosub ? cost.match_bytes_nosub : cost.match_bytes;
	sv_buf_put_sanitized(&re->name, key, len, 64);
	int rc = tre_regwncomp(&re->re, w, wlen, REG_EXTENDED | (icase ? REG_ICASE : 0) |
							 (nosub ? REG_NOSUB : 0));
	sv_free(w);
	if (rc != 0) {
		sv_buf_free(&re->name);
		sv_free(re);
		invalid(err, key, len, rc);
		return SV_FAIL;
	}
	if (tre_have_approx(&re->re) || tre_have_backrefs(&re->re)) {
		/* the estimate refuses their syntax; this is the engine's word */
		sv_regex_free(re);
		sv_buf_puts(err, "regular expression '");
		sv_buf_put_sanitized(err, key, len, 64);
		sv_buf_puts(err, "' uses matching that POSIX ERE does not have");
		return SV_FAIL;
	}
	*re_r = re;
	return SV_OK;
}

void sv_regex_free(struct sv_regex *re)
{
	if (!re)
		return;
	tre_regfree(&re->re);
	sv_buf_free(&re->name);
	sv_buf_free(&re->error);
	sv_free(re);
}

uint64_t sv_regex_match_bytes(const struct sv_regex *re)
{
	return re->match_bytes;
}

/* The value as TRE's user string source: decoded as TRE asks for each
 * character, the character's byte length as TRE's position step. TRE's
 * parallel matcher ends at the first call that returns non-zero (with
 * *c = 0, which its $ and \> assertions take as the end). */
struct value_source {
	const char *p;
	size_t len, i;
};

static int next_char(tre_char_t *c, unsigned int *pos_add, void *ctx)
{
	struct value_source *v = ctx;
	if (v->i >= v->len) {
		*c = 0;
		*pos_add = 1;
		return 1;
	}
	uint32_t cp;
	size_t l = decode_char(v->p + v->i, v->len - v->i, &cp);
	v->i += l;
	*c = (tre_char_t)cp;
	*pos_add = (unsigned)l;
	return 0;
}

static void rewind_source(size_t pos, void *ctx)
{
	struct value_source *v = ctx;
	v->i = pos;
}

static int compare_source(size_t pos1, size_t pos2, size_t len, void *ctx)
{
	struct value_source *v = ctx;
	return memcmp(v->p + pos1, v->p + pos2, len);
}

struct match_job {
	const regex_t *re;
	struct value_source src;
	size_t npm;
	regmatch_t *pm;
	int rc;
};

static void run_match(struct match_job *job)
{
	tre_str_source s = {next_char, rewind_source, compare_source, &job->src};
	job->rc = tre_reguexec(job->re, &s, job->npm, job->pm, 0);
}

static void *match_thread(void *arg)
{
	run_match(arg);
	return NULL;
}

/* Run the match on a stack of its own, sized by the estimate (an upper
 * bound of TRE's alloca) plus room for TRE's frames and ours. */
#define STACK_MARGIN (256 * 1024)

static sv_regex_thread_fn thread_create = pthread_create;

void sv_regex_set_thread_hook(sv_regex_thread_fn fn)
{
	thread_create = fn ? fn : pthread_create;
}

/* 0, or the error number of what failed */
static int run_on_heap_stack(struct match_job *job, uint64_t bytes)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t pg = page > 0 ? (size_t)page : 4096;
	size_t size = (size_t)bytes + STACK_MARGIN;
	size = (size + pg - 1) / pg * pg;
	if (size < (size_t)PTHREAD_STACK_MIN)
		size = (size_t)PTHREAD_STACK_MIN;
	pthread_attr_t attr;
	pthread_t th;
	int rc = pthread_attr_init(&attr);
	if (rc != 0)
		return rc;
	rc = pthread_attr_setstacksize(&attr, size);
	if (rc == 0)
		rc = thread_create(&th, &attr, match_thread, job);
	pthread_attr_destroy(&attr);
	if (rc == 0)
		rc = pthread_join(th, NULL);
	return rc;
}

enum sv_status sv_regex_exec(const struct sv_regex *re, const char *val, size_t vlen,
			     struct sv_regmatch *pm, size_t npm, bool *matched_r,
			     struct sv_buf *err)
{
	regmatch_t tpm[64];
	*matched_r = false;
	if (npm > 64)
		npm = 64;
	/* TRE counts positions in int */
	if (vlen > (size_t)INT_MAX - 8)
		return SV_OK;
	struct match_job job = {&re->re, {val, vlen, 0}, pm ? npm : 0, pm ? tpm : NULL, REG_NOMATCH};
	if (re->match_bytes > SV_REGEX_STACK_THRESHOLD) {
		int rc = run_on_heap_stack(&job, re->match_bytes);
		if (rc != 0) {
			sv_buf_printf(err, "regular expression '%s': cannot start a thread with the ",
				      re->name.p ? re->name.p : "");
			put_kib(err, re->match_bytes + STACK_MARGIN);
			sv_buf_printf(err, " stack its match needs (%s)",
				      rc == EAGAIN ? "out of resources" : strerror(rc));
			return SV_NOMEM;
		}
	} else {
		run_match(&job);
	}
	if (job.rc != 0)
		return SV_OK;
	*matched_r = true;
	for (size_t i = 0; pm && i < npm; i++) {
		bool set = tpm[i].rm_so >= 0 && tpm[i].rm_eo >= tpm[i].rm_so &&
			   (size_t)tpm[i].rm_eo <= vlen;
		pm[i].so = set ? tpm[i].rm_so : -1;
		pm[i].eo = set ? tpm[i].rm_eo : -1;
	}
	return SV_OK;
}

/* The extension's settings (registry.h), by their row here. */
enum { SET_MAX_MEMORY };
static const struct sv_setting_info regex_settings[] = {
	[SET_MAX_MEMORY] = {"max-regex-memory", "", SV_SETTING_SIZE, 32 * SV_MiB, 64 * SV_KiB,
	                    1024 * SV_MiB, NULL,
	                    "memory one :regex pattern may need to compile and match, estimated "
	                    "from the pattern (nested counted repetitions multiply); a pattern "
	                    "above it is refused",
	                    .compile_time = true},
	{NULL},
};

static uint64_t regex_limit(const struct sv_settings *settings)
{
	return sv_ext_setting(settings, &sv_ext_regex_def, SET_MAX_MEMORY);
}

static bool check_key(const char *key, size_t len, const struct sv_settings *settings,
		      struct sv_buf *err)
{
	/* the comparator is not known here: check the costliest use
	   (i;ascii-casemap, the default, with captures), so that a literal
	   key that compiles is never refused when it runs */
	struct sv_regex *re;
	if (sv_regex_compile(key, len, true, false, regex_limit(settings), &re, err) != SV_OK)
		return false;
	sv_regex_free(re);
	return true;
}

static enum sv_status prepare(const char *key, size_t len, const struct sv_cmp_def *cmp,
			      const struct sv_settings *settings, void **state_r,
			      struct sv_buf *err)
{
	if (cmp != &sv_cmp_octet && cmp != &sv_cmp_ascii_casemap) {
		sv_buf_printf(err, "comparator %s cannot be used with :regex", cmp->name);
		return SV_FAIL;
	}
	struct sv_regex *re;
	/* RFC 5228 §2.7.3 / draft §3: i;ascii-casemap is REG_ICASE */
	if (sv_regex_compile(key, len, cmp == &sv_cmp_ascii_casemap, false, regex_limit(settings),
			     &re, err) != SV_OK)
		return SV_FAIL;
	*state_r = re;
	return SV_OK;
}

/* after regex_match said no: was it a failure? */
static enum sv_status match_error(void *state, struct sv_buf *err)
{
	const struct sv_regex *re = state;
	if (re->status != SV_OK)
		sv_buf_append(err, re->error.p ? re->error.p : "", re->error.len);
	return re->status;
}

static void release(void *state)
{
	sv_regex_free(state);
}

static bool regex_match(const struct sv_cmp_def *cmp, unsigned rel, const char *val, size_t vlen,
			const char *key, size_t klen, void *state, struct sv_match_state *ms)
{
	struct sv_regmatch pm[64];
	struct sv_regex *re = state;
	bool matched;
	sv_buf_reset(&re->error);
	re->status = sv_regex_exec(re, val, vlen, ms ? pm : NULL, ms ? 64 : 0, &matched, &re->error);
	if (!matched)
		return false;
	if (ms) {
		size_t used = 0;
		for (size_t i = 0; i < 64; i++) {
			if (pm[i].so < 0) {
				ms->v[i].p = "";
				ms->v[i].len = 0;
			} else {
				ms->v[i].p = val + pm[i].so;
				ms->v[i].len = (size_t)(pm[i].eo - pm[i].so);
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
	.match_error = match_error,
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
	.settings = regex_settings,
};
