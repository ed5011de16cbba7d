/*
 * servermetadata.c: the servermetadata extension (RFC 5490 §4.1, §4.2):
 * the servermetadata and servermetadataexists tests on the server's
 * annotations (RFC 5464). The work is shared with mboxmetadata, in
 * metadata.c.
 */
#include "ext/metadata-int.h"
#include "ext/registry.h"
#include "vm/vm.h"

enum { OP_SERVERMETADATA, OP_SERVERMETADATAEXISTS };

static bool validate_servermetadata(struct sv_validator *v, struct sv_ast_node *n)
{
	return sv_metadata_validate_names(v, n, 0);
}

static enum sv_status op_servermetadata(struct sv_vm *vm, const struct sv_operands *ops)
{
	return sv_metadata_op_match(vm, ops, true);
}

static enum sv_status op_servermetadataexists(struct sv_vm *vm, const struct sv_operands *ops)
{
	return sv_metadata_op_exists(vm, ops, true);
}

/* §4.1: servermetadata [MATCH-TYPE] [COMPARATOR] <annotation-name>
 * <key-list>; §4.2: servermetadataexists <annotation-names> */
static const struct sv_cmd_def servermetadata_commands[] = {
	{"servermetadata", SV_CMD_TEST, "sl", .flags = SV_CMDF_MATCHING, .op = OP_SERVERMETADATA,
	 .validate = validate_servermetadata},
	{"servermetadataexists", SV_CMD_TEST, "l", .op = OP_SERVERMETADATAEXISTS,
	 .validate = validate_servermetadata},
	{NULL},
};

static const struct sv_op_def servermetadata_ops[] = {
	[OP_SERVERMETADATA] = {"servermetadata", "slx", op_servermetadata, NULL, true},
	[OP_SERVERMETADATAEXISTS] = {"servermetadataexists", "l", op_servermetadataexists, NULL,
	                             true},
	{NULL},
};

struct sv_ext_def sv_ext_servermetadata_def = {
	.name = "servermetadata",
	.commands = servermetadata_commands,
	.ops = servermetadata_ops,
};
