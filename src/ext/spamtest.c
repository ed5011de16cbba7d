/*
 * spamtest.c: the spamtest extension (RFC 5235 §3.2, §3.2.1), and what it
 * shares with spamtestplus (:percent, §3.2.2, spamtestplus.c) and
 * virustest (§3.3, virustest.c): reading a scanner's verdict from the
 * message and mapping it onto the values the tests compare.
 *
 * Where the verdict is, is the administrator's (settings in
 * spamtest-int.h, named as Pigeonhole names them): the status header
 * ("X-Spam-Score" or "X-Spam-Score: regex", whose first group is the
 * value), and how to read it: "score" (a decimal number, against a
 * maximum from another header or a setting), "strlen" (the length of the
 * value, "*****", against the maximum) or "text" (the value equals one of
 * the text-valueN settings and is N).
 *
 * The values (RFC 5235):
 *   spamtest    "0" when the message was not tested (no status header, a
 *               value that cannot be read), else "1" (score 0 or less:
 *               clear) to "10" (the maximum or more), §3.2.1;
 *   :percent    "0" to "100" (score / maximum), §3.2.2; a message that
 *               was not tested gives no value at all, so that
 *               `:count "eq" "0"` tells "not tested" apart from "tested,
 *               0 %" (the example of §3.2.2);
 *   virustest   "0" not tested, else "1" (clean) to "5" (certainly
 *               infected), §3.3.
 * With :count, a tested message counts one value and one not tested none.
 * The text type gives N directly (spamtest :percent: (N - 1) * 100 / 9,
 * rounded). The comparator defaults to i;ascii-casemap as everywhere in
 * Sieve (RFC 5228 §2.7.3); RFC 5235's examples name i;ascii-numeric for
 * the relational match types, where the difference matters.
 *
 * A setting that cannot be used (an unknown status type, a header name or
 * regex that is not valid, a score type with no maximum) is a runtime
 * error of the test naming the setting: a misconfigured scanner must not
 * read as "not spam".
 */
#include <string.h>

#include "ext/regex-int.h"
#include "ext/registry.h"
#include "ext/spamtest-int.h"
#include "lib/utf8.h"
#include "mail/message.h"
#include "parser/validate.h"
#include "vm/vm.h"

/* Scores are read as fixed-point numbers with this many units per 1; a
 * number with more integer digits saturates (it is beyond any maximum). */
#define SCORE_UNIT 1000000LL
#define SCORE_MAX (1000000000LL * SCORE_UNIT)
/* Memory a status or maximum regex may take (regex-int.h). */
#define SCAN_REGEX_LIMIT (1024 * 1024)

enum scan_type { SCAN_SCORE, SCAN_STRLEN, SCAN_TEXT };

static const char *setting(struct sv_vm *vm, const struct sv_ext_def *owner, unsigned local)
{
	int id = sv_ext_setting_id(owner, local);
	return vm->settings ? sv_settings_text(vm->settings, id) : sv_setting_info_of(id)->text_def;
}

static const char *setting_key(const struct sv_ext_def *owner, unsigned local)
{
	return owner->settings[local].key;
}

/* A decimal number ("-3.2", "7", "+0.25"): false when s is none. */
static bool parse_score(const char *s, size_t n, long long *v_r)
{
	size_t i = 0;
	bool neg = false;
	if (i < n && (s[i] == '-' || s[i] == '+'))
		neg = s[i++] == '-';
	long long ip = 0, fp = 0, unit = SCORE_UNIT;
	size_t digits = 0;
	for (; i < n && sv_ascii_isdigit((unsigned char)s[i]); i++, digits++)
		if (ip < SCORE_MAX / SCORE_UNIT)
			ip = ip * 10 + (s[i] - '0');
	if (i < n && s[i] == '.') {
		i++;
		for (; i < n && sv_ascii_isdigit((unsigned char)s[i]); i++, digits++)
			if (unit > 1) {
				unit /= 10;
				fp += (s[i] - '0') * unit;
			}
	}
	if (digits == 0 || i != n)
		return false;
	long long v = ip >= SCORE_MAX / SCORE_UNIT ? SCORE_MAX : ip * SCORE_UNIT + fp;
	*v_r = neg ? -v : v;
	return true;
}

/* A header setting "Name" or "Name: regex" (RFC 5322 §3.6.8 field name,
 * then the pattern after the colon and its spaces). */
struct header_spec {
	const char *name, *re;
	size_t nlen, relen;
};

static bool parse_spec(const char *s, struct header_spec *h)
{
	const char *colon = strchr(s, ':');
	h->name = s;
	h->nlen = colon ? (size_t)(colon - s) : strlen(s);
	while (h->nlen && (s[h->nlen - 1] == ' ' || s[h->nlen - 1] == '\t'))
		h->nlen--;
	if (h->nlen == 0)
		return false;
	for (size_t i = 0; i < h->nlen; i++)
		if ((unsigned char)s[i] < 33 || (unsigned char)s[i] > 126)
			return false;
	h->re = NULL;
	h->relen = 0;
	if (colon) {
		const char *p = colon + 1;
		while (*p == ' ' || *p == '\t')
			p++;
		h->re = p;
		h->relen = strlen(p);
		if (h->relen == 0)
			return false;
	}
	return true;
}

/*
 * The value a header setting points at in the message: SV_OK with
 * *found_r false when the field is missing or the regex does not match it,
 * else *val_r / *len_r (into the message or its header cache). A setting
 * that cannot be used is a runtime error.
 */
static enum sv_status header_value(struct sv_vm *vm, const struct sv_ext_def *owner,
                                   unsigned local, const char **val_r, size_t *len_r,
                                   bool *found_r)
{
	*found_r = false;
	const char *spec = setting(vm, owner, local);
	struct header_spec h;
	if (!parse_spec(spec, &h))
		return sv_vm_error(vm, "%s: setting %s: not \"Name\" or \"Name: regex\"", owner->name,
		                   setting_key(owner, local));
	struct sv_hdr *f = vm->msg ? sv_msg_header(vm->msg, h.name, h.nlen) : NULL;
	if (!f)
		return SV_OK;
	const char *v = f->value;
	size_t vlen = f->vlen;
	if (!h.re) {
		*val_r = v;
		*len_r = vlen;
		*found_r = true;
		return SV_OK;
	}
	struct sv_regex *re;
	struct sv_buf err = SV_BUF_INIT;
	if (sv_regex_compile(h.re, h.relen, false, false, SCAN_REGEX_LIMIT, &re, &err) != SV_OK) {
		enum sv_status st = sv_vm_error(vm, "%s: setting %s: %s", owner->name,
		                                setting_key(owner, local), err.p ? err.p : "bad regex");
		sv_buf_free(&err);
		return st;
	}
	struct sv_regmatch pm[2];
	bool matched = false;
	enum sv_status st = sv_regex_exec(re, v, vlen, pm, 2, &matched, &err);
	sv_regex_free(re);
	if (st != SV_OK) {
		sv_vm_error(vm, "%s: %s", owner->name, err.p ? err.p : sv_status_name(st));
		sv_buf_free(&err);
		return st;
	}
	sv_buf_free(&err);
	if (!matched)
		return SV_OK;
	/* the first group when the pattern has one that took part, else the
	   whole match */
	const struct sv_regmatch *g = pm[1].so >= 0 ? &pm[1] : &pm[0];
	*val_r = v + g->so;
	*len_r = (size_t)(g->eo - g->so);
	*found_r = true;
	return SV_OK;
}

/* The maximum score: the max header when set (a message without it was
 * not tested), else the max-value setting. */
static enum sv_status max_score(struct sv_vm *vm, const struct sv_ext_def *owner,
                                long long *max_r, bool *found_r)
{
	const char *mh = setting(vm, owner, SV_SCAN_MAX_HEADER);
	const char *v;
	size_t n;
	if (*mh) {
		enum sv_status st = header_value(vm, owner, SV_SCAN_MAX_HEADER, &v, &n, found_r);
		if (st != SV_OK || !*found_r)
			return st;
		*found_r = parse_score(v, n, max_r) && *max_r > 0;
		return SV_OK;
	}
	const char *mv = setting(vm, owner, SV_SCAN_MAX_VALUE);
	if (!*mv || !parse_score(mv, strlen(mv), max_r) || *max_r <= 0)
		return sv_vm_error(vm, "%s: setting %s: needs a number above 0 (or %s)", owner->name,
		                   setting_key(owner, SV_SCAN_MAX_VALUE),
		                   setting_key(owner, SV_SCAN_MAX_HEADER));
	*found_r = true;
	return SV_OK;
}

static unsigned scale(long long score, long long max, unsigned top)
{
	if (score <= 0)
		return 0;
	if (score >= max)
		return top;
	/* rounded to the nearest; score < max <= SCORE_MAX keeps this in range */
	return (unsigned)((score * (long long)top * 2 + max) / (2 * max));
}

/*
 * The verdict: *tested_r, and when tested the level (1..levels) and the
 * percentage (0..100).
 */
static enum sv_status verdict(struct sv_vm *vm, const struct sv_ext_def *owner, unsigned levels,
                              bool *tested_r, unsigned *level_r, unsigned *percent_r)
{
	*tested_r = false;
	const char *type = setting(vm, owner, SV_SCAN_STATUS_TYPE);
	enum scan_type t;
	if (strcmp(type, "score") == 0)
		t = SCAN_SCORE;
	else if (strcmp(type, "strlen") == 0)
		t = SCAN_STRLEN;
	else if (strcmp(type, "text") == 0)
		t = SCAN_TEXT;
	else
		return sv_vm_error(vm, "%s: setting %s: '%s' is not score, strlen or text", owner->name,
		                   setting_key(owner, SV_SCAN_STATUS_TYPE), type);
	/* no status header configured: nothing was tested (§3.2.1 "0") */
	if (!*setting(vm, owner, SV_SCAN_STATUS_HEADER))
		return SV_OK;
	const char *v;
	size_t n;
	bool found;
	enum sv_status st = header_value(vm, owner, SV_SCAN_STATUS_HEADER, &v, &n, &found);
	if (st != SV_OK || !found)
		return st;
	if (t == SCAN_TEXT) {
		for (unsigned i = 0; i < levels; i++) {
			const char *tv = setting(vm, owner, SV_SCAN_TEXT_VALUE1 + i);
			if (*tv && strlen(tv) == n && memcmp(tv, v, n) == 0) {
				*tested_r = true;
				*level_r = i + 1;
				*percent_r = (i * 100 + (levels - 1) / 2) / (levels - 1);
				return SV_OK;
			}
		}
		return SV_OK; /* a text no setting names: the test failed */
	}
	long long score, max;
	if (t == SCAN_SCORE) {
		if (!parse_score(v, n, &score))
			return SV_OK; /* not a number: the test failed (§3.2.1 "0") */
	} else {
		score = (long long)n * SCORE_UNIT;
	}
	st = max_score(vm, owner, &max, &found);
	if (st != SV_OK || !found)
		return st;
	*tested_r = true;
	*percent_r = scale(score, max, 100);
	*level_r = 1 + scale(score, max, levels - 1);
	return SV_OK;
}

enum sv_status sv_spamtest_op(struct sv_vm *vm, const struct sv_operands *ops,
                              const struct sv_ext_def *owner, unsigned levels, bool percent)
{
	bool tested;
	unsigned level = 0, pct = 0;
	enum sv_status st = verdict(vm, owner, levels, &tested, &level, &pct);
	if (st != SV_OK)
		return st;
	struct sv_matcher m;
	st = sv_match_begin(&m, vm, ops, ops->pos[0].idx);
	if (st != SV_OK)
		return st;
	char num[8];
	int len = 0;
	if (tested)
		len = snprintf(num, sizeof num, "%u", percent ? pct : level);
	else if (!percent && !m.mt->count)
		len = snprintf(num, sizeof num, "0");
	if (len > 0)
		sv_match_value(&m, num, (size_t)len);
	return sv_match_end(&m, &vm->test);
}

bool sv_spamtest_validate(struct sv_validator *v, struct sv_ast_node *n)
{
	const struct sv_ast_arg *a = sv_vnode(n)->pos[0];
	if (a->kind == SV_AST_STRING)
		return true;
	sv_validator_error(v, a->loc, "the %s test takes one value, a string, not a list",
	                   sv_vnode(n)->cmd->id);
	return false;
}

static enum sv_status op_spamtest(struct sv_vm *vm, const struct sv_operands *ops)
{
	bool percent = sv_ops_opt(ops, &sv_ext_spamtestplus_def, 0) != NULL;
	return sv_spamtest_op(vm, ops, &sv_ext_spamtest_def, 10, percent);
}

static const struct sv_setting_info spamtest_settings[] = {
	SV_SPAMTEST_SETTINGS("spamtest"),
	SV_SCAN_TEXT_ROW("spamtest", 1),
	SV_SCAN_TEXT_ROW("spamtest", 2),
	SV_SCAN_TEXT_ROW("spamtest", 3),
	SV_SCAN_TEXT_ROW("spamtest", 4),
	SV_SCAN_TEXT_ROW("spamtest", 5),
	SV_SCAN_TEXT_ROW("spamtest", 6),
	SV_SCAN_TEXT_ROW("spamtest", 7),
	SV_SCAN_TEXT_ROW("spamtest", 8),
	SV_SCAN_TEXT_ROW("spamtest", 9),
	SV_SCAN_TEXT_ROW("spamtest", 10),
	{NULL},
};

/* §3.2: spamtest [":percent"] [COMPARATOR] [MATCH-TYPE] <value: string>
 * (:percent is spamtestplus's tag) */
static const struct sv_cmd_def spamtest_commands[] = {
	{"spamtest", SV_CMD_TEST, "l", .flags = SV_CMDF_MATCHING, .op = 0,
	 .validate = sv_spamtest_validate},
	{NULL},
};

static const struct sv_op_def spamtest_ops[] = {
	{"spamtest", "lx", op_spamtest, NULL, true},
	{NULL},
};

struct sv_ext_def sv_ext_spamtest_def = {
	.name = "spamtest",
	.commands = spamtest_commands,
	.ops = spamtest_ops,
	.settings = spamtest_settings,
};
