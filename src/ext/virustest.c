/*
 * virustest.c: the virustest extension (RFC 5235 §3.3): the virus
 * scanner's verdict, "0" when the message was not tested, else "1"
 * (clean) to "5" (certainly infected), read from the message as the
 * virustest-* settings say (spamtest.c has the work and the details).
 */
#include "ext/registry.h"
#include "ext/spamtest-int.h"
#include "vm/vm.h"

static enum sv_status op_virustest(struct sv_vm *vm, const struct sv_operands *ops)
{
	return sv_spamtest_op(vm, ops, &sv_ext_virustest_def, 5, false);
}

static const struct sv_setting_info virustest_settings[] = {
	SV_SPAMTEST_SETTINGS("virustest"),
	SV_SCAN_TEXT_ROW("virustest", 1),
	SV_SCAN_TEXT_ROW("virustest", 2),
	SV_SCAN_TEXT_ROW("virustest", 3),
	SV_SCAN_TEXT_ROW("virustest", 4),
	SV_SCAN_TEXT_ROW("virustest", 5),
	{NULL},
};

/* §3.3: virustest [COMPARATOR] [MATCH-TYPE] <value: string> */
static const struct sv_cmd_def virustest_commands[] = {
	{"virustest", SV_CMD_TEST, "l", .flags = SV_CMDF_MATCHING, .op = 0,
	 .validate = sv_spamtest_validate},
	{NULL},
};

static const struct sv_op_def virustest_ops[] = {
	{"virustest", "lx", op_virustest, NULL, true},
	{NULL},
};

struct sv_ext_def sv_ext_virustest_def = {
	.name = "virustest",
	.commands = virustest_commands,
	.ops = virustest_ops,
	.settings = virustest_settings,
};
