/*
 * ereject.c: the ereject extension (RFC 5429 §2.2): `ereject <reason>`
 * refuses the message at protocol level where the delivery can
 * (sieve-deliver -e), else as reject does. The action kind, its
 * conflicts and its execution are reject's (reject.c); this file is the
 * capability and its command.
 */
#include "ext/registry.h"
#include "ext/reject.h"

static const struct sv_cmd_def ereject_commands[] = {
	{"ereject", SV_CMD_COMMAND, "s", .op = 0},
	{NULL},
};

static const struct sv_op_def ereject_ops[] = {
	{"ereject", "s", sv_reject_op, NULL, false},
	{NULL},
};

struct sv_ext_def sv_ext_ereject_def = {
	.name = "ereject",
	.commands = ereject_commands,
	.ops = ereject_ops,
};
