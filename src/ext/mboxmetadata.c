/*
 * mboxmetadata.c: the mboxmetadata extension (RFC 5490 §3.3, §3.4): the
 * metadata and metadataexists tests on a mailbox's annotations (RFC
 * 5464). The work is shared with servermetadata, in metadata.c.
 */
#include "ext/metadata-int.h"
#include "ext/registry.h"
#include "vm/vm.h"

enum { OP_METADATA, OP_METADATAEXISTS };

static bool validate_metadata(struct sv_validator *v, struct sv_ast_node *n)
{
	return sv_metadata_validate_names(v, n, 1);
}

static enum sv_status op_metadata(struct sv_vm *vm, const struct sv_operands *ops)
{
	return sv_metadata_op_match(vm, ops, false);
}

static enum sv_status op_metadataexists(struct sv_vm *vm, const struct sv_operands *ops)
{
	return sv_metadata_op_exists(vm, ops, false);
}

/* §3.3: metadata [MATCH-TYPE] [COMPARATOR] <mailbox> <annotation-name>
 * <key-list>; §3.4: metadataexists <mailbox> <annotation-names> */
static const struct sv_cmd_def mboxmetadata_commands[] = {
	{"metadata", SV_CMD_TEST, "ssl", .flags = SV_CMDF_MATCHING, .op = OP_METADATA,
	 .validate = validate_metadata},
	{"metadataexists", SV_CMD_TEST, "sl", .op = OP_METADATAEXISTS,
	 .validate = validate_metadata},
	{NULL},
};

static const struct sv_op_def mboxmetadata_ops[] = {
	[OP_METADATA] = {"metadata", "sslx", op_metadata, NULL, true},
	[OP_METADATAEXISTS] = {"metadataexists", "sl", op_metadataexists, NULL, true},
	{NULL},
};

struct sv_ext_def sv_ext_mboxmetadata_def = {
	.name = "mboxmetadata",
	.commands = mboxmetadata_commands,
	.ops = mboxmetadata_ops,
};
