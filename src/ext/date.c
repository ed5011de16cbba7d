/*
 * date.c: the date extension (RFC 5260 §4, §5): the date test, which
 * matches a part of the date-time in a header field, and the currentdate
 * test, which matches a part of the delivery's "now".
 *
 * date reads one field through the header source (vm/headers.c): the
 * first of the name, or the one :index selects (§6). Its date-time is the
 * whole value or, when that is none, the text after the field's last ';'
 * (a Received field's date comes last), parsed as RFC 5322 §3.3 (with
 * the obsolete forms, src/mail/date.c); a field that does not parse, or
 * no field, makes the test false (§4). The date is then shifted to the
 * :zone given, kept in its own zone with :originalzone, or shifted to the
 * local zone of the host (the TZ of the process) at that instant (§4.1).
 * currentdate takes "now" from the run context (one instant for the whole
 * delivery; the clock outside one). The value of the date part
 * (§4.2) is matched like any other value: match types, comparators,
 * relational's :value and :count, match variables.
 *
 * A :zone or date part written as a literal is checked when the script is
 * compiled; one that comes from a variable and is not valid is a runtime
 * error.
 */
#include <string.h>
#include <time.h>

#include "delivery/run.h"
#include "ext/registry.h"
#include "lib/utf8.h"
#include "mail/date.h"
#include "mail/message.h"
#include "parser/validate.h"
#include "vm/address.h"
#include "vm/headers.h"
#include "vm/vm.h"

enum { OPT_ZONE, OPT_ORIGINALZONE };
enum { OP_DATE, OP_CURRENTDATE };

/* ---- validation ---- */

static bool is_literal(struct sv_validator *v, const struct sv_ast_str *s)
{
	return !(v->templates && memchr(s->s, '$', s->len));
}

static bool check_part(struct sv_validator *v, const struct sv_ast_arg *arg, const char *cmd)
{
	const struct sv_ast_str *s = &arg->strs[0];
	if (!is_literal(v, s) || sv_date_part_find(s->s, s->len) >= 0)
		return true;
	sv_validator_error(v, s->loc, "unknown date part '%s' in the %s test",
	                   sv_validator_quote(v, s->s, s->len), cmd);
	return false;
}

/* §4.1: the zone is "+hhmm" or "-hhmm" */
static bool validate_zone(struct sv_validator *v, struct sv_ast_node *cmd, struct sv_ast_arg *tag,
                          struct sv_ast_arg *value)
{
	const struct sv_ast_str *s = &value->strs[0];
	int zone;
	bool unknown;
	if (!is_literal(v, s) || sv_date_zone_parse(s->s, s->len, &zone, &unknown))
		return true;
	sv_validator_error(v, s->loc,
	                   "invalid time zone '%s' for :zone: \"+hhmm\" or \"-hhmm\" expected",
	                   sv_validator_quote(v, s->s, s->len));
	return false;
}

static bool validate_date(struct sv_validator *v, struct sv_ast_node *n)
{
	const struct sv_ast_str *h = &sv_vnode(n)->pos[0]->strs[0];
	/* RFC 5322 §3.6.8, as for header (RFC 5228 §5.7): a warning, the
	   test is simply false */
	if (is_literal(v, h) && !sv_header_name_valid(h->s, h->len))
		sv_validator_warning(v, h->loc,
		                     "invalid header name '%s' in date test: no header has it",
		                     sv_validator_quote(v, h->s, h->len));
	return check_part(v, sv_vnode(n)->pos[1], "date");
}

static bool validate_currentdate(struct sv_validator *v, struct sv_ast_node *n)
{
	return check_part(v, sv_vnode(n)->pos[0], "currentdate");
}

/* ---- running ---- */

/* The date part an operand names; a runtime error when it names none. */
static enum sv_status get_part(struct sv_vm *vm, uint32_t idx, enum sv_date_part *part_r)
{
	struct sv_str s;
	enum sv_status st = sv_vm_string(vm, idx, &s);
	if (st != SV_OK)
		return st;
	int part = sv_date_part_find(s.p, s.len);
	if (part < 0) {
		struct sv_buf b = SV_BUF_INIT;
		sv_buf_put_sanitized(&b, s.p, s.len, 64);
		st = sv_vm_error(vm, "unknown date part '%s'", b.p ? b.p : "");
		sv_buf_free(&b);
		return st;
	}
	*part_r = (enum sv_date_part)part;
	return SV_OK;
}

/* The zone a test's date is shifted to (§4.1). */
struct zone_arg {
	bool given;    /* :zone */
	bool original; /* :originalzone */
	int zone;
	bool unknown;
};

/* The :zone and :originalzone operands; a runtime error when :zone holds
 * no zone. */
static enum sv_status get_zone(struct sv_vm *vm, const struct sv_operands *ops, struct zone_arg *z)
{
	const struct sv_optarg *o = sv_ops_opt(ops, &sv_ext_date_def, OPT_ZONE);
	*z = (struct zone_arg){.given = o != NULL,
	                       .original = sv_ops_opt(ops, &sv_ext_date_def, OPT_ORIGINALZONE)};
	if (!o)
		return SV_OK;
	struct sv_str s;
	enum sv_status st = sv_vm_string(vm, o->idx, &s);
	if (st != SV_OK)
		return st;
	if (sv_date_zone_parse(s.p, s.len, &z->zone, &z->unknown))
		return SV_OK;
	struct sv_buf b = SV_BUF_INIT;
	sv_buf_put_sanitized(&b, s.p, s.len, 64);
	st = sv_vm_error(vm, "invalid time zone '%s' for :zone: \"+hhmm\" or \"-hhmm\" expected",
	                 b.p ? b.p : "");
	sv_buf_free(&b);
	return st;
}

/* §4.1: the local zone is the host's offset at that instant (TZ, with
 * its daylight saving time); UTC when the C library cannot say. */
static int local_zone(int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	if ((int64_t)tt != t || !localtime_r(&tt, &tm))
		return 0;
	return (int)(tm.tm_gmtoff / 60);
}

/* Match the part of d in the zone za says. A date that leaves the years
 * §4.2 can write (0000-9999) in that zone gives no value. */
static void match_part(struct sv_matcher *m, const struct zone_arg *za, const struct sv_date *d,
                       enum sv_date_part part)
{
	struct sv_date z = *d;
	if (za->given)
		sv_date_shift(d, za->zone, za->unknown, &z);
	else if (!za->original)
		sv_date_shift(d, local_zone(sv_date_to_epoch(d)), false, &z);
	if (z.year < 0 || z.year > 9999)
		return;
	struct sv_buf val = SV_BUF_INIT;
	sv_date_part(&z, part, &val);
	sv_match_value(m, val.p, val.len);
	sv_buf_free(&val);
}

/* The date-time of a field: its whole value (a Date field, whose comment
 * may hold a ';'), else the text after its last ';' (a Received field,
 * RFC 5322 §3.6.7, whose date-time comes last). */
static bool field_date(const struct sv_hdr *h, struct sv_date *d)
{
	if (sv_date_parse(h->value, h->vlen, d))
		return true;
	for (size_t i = h->vlen; i > 0; i--)
		if (h->value[i - 1] == ';')
			return sv_date_parse(h->value + i, h->vlen - i, d);
	return false;
}

static enum sv_status op_date(struct sv_vm *vm, const struct sv_operands *ops)
{
	struct sv_str name;
	enum sv_date_part part;
	struct zone_arg za;
	enum sv_status st = sv_vm_string(vm, ops->pos[0].idx, &name);
	if (st == SV_OK)
		st = get_part(vm, ops->pos[1].idx, &part);
	if (st == SV_OK)
		st = get_zone(vm, ops, &za);
	if (st != SV_OK)
		return st;
	struct sv_matcher m;
	st = sv_match_begin(&m, vm, ops, ops->pos[2].idx);
	struct sv_hdr *h = NULL;
	if (st == SV_OK && sv_header_name_valid(name.p, name.len)) {
		/* §4: one field only, the first of the name, or the one
		   :index selects (§6) */
		struct sv_hdr_iter it;
		sv_headers_begin(&it, vm, ops, name.p, name.len);
		h = sv_headers_next(&it);
	}
	struct sv_date d;
	if (h && field_date(h, &d))
		match_part(&m, &za, &d, part);
	if (st != SV_OK)
		return st;
	return sv_match_end(&m, &vm->test);
}

static enum sv_status op_currentdate(struct sv_vm *vm, const struct sv_operands *ops)
{
	enum sv_date_part part;
	struct zone_arg za;
	enum sv_status st = get_part(vm, ops->pos[0].idx, &part);
	if (st == SV_OK)
		st = get_zone(vm, ops, &za);
	struct sv_matcher m;
	if (st != SV_OK || (st = sv_match_begin(&m, vm, ops, ops->pos[1].idx)) != SV_OK)
		return st;
	/* §5: the time of the delivery, one instant for all its scripts */
	int64_t now = vm->run ? (int64_t)vm->run->now : (int64_t)time(NULL);
	struct sv_date d;
	sv_date_from_epoch(now, 0, false, &d);
	match_part(&m, &za, &d, part);
	return sv_match_end(&m, &vm->test);
}

/* ---- the descriptor ---- */

static const struct sv_tag_def date_tags[] = {
    {.name = "zone", .value = 's', .opt = OPT_ZONE, .group = 1, .validate = validate_zone},
    {.name = "originalzone", .opt = OPT_ORIGINALZONE, .group = 1},
    {NULL},
};

static const struct sv_tag_def currentdate_tags[] = {
    {.name = "zone", .value = 's', .opt = OPT_ZONE, .validate = validate_zone},
    {NULL},
};

static const struct sv_cmd_def date_commands[] = {
    {"date", SV_CMD_TEST, "ssl", .flags = SV_CMDF_MATCHING, .tags = date_tags, .op = OP_DATE,
     .validate = validate_date},
    {"currentdate", SV_CMD_TEST, "sl", .flags = SV_CMDF_MATCHING, .tags = currentdate_tags,
     .op = OP_CURRENTDATE, .validate = validate_currentdate},
    {NULL},
};

static const struct sv_op_def date_ops[] = {
    [OP_DATE] = {"date", "sslx", op_date, NULL, true},
    [OP_CURRENTDATE] = {"currentdate", "slx", op_currentdate, NULL, true},
    {NULL},
};

static const char *const date_opt_names[] = {"zone", "originalzone"};

struct sv_ext_def sv_ext_date_def = {
    .name = "date",
    .commands = date_commands,
    .ops = date_ops,
    .opt_kinds = "sf",
    .opt_names = date_opt_names,
};
