/*
 * metadata-int.h: what the mboxmetadata and servermetadata extensions
 * (RFC 5490 §3.3-§4.2) share, in metadata.c: the check of annotation
 * names written as literals, and the tests' operations over the run's
 * metadata service (delivery/metadata.h).
 */
#ifndef SV_EXT_METADATA_INT_H
#define SV_EXT_METADATA_INT_H

#include <stdbool.h>

#include "lib/status.h"

struct sv_validator;
struct sv_ast_node;
struct sv_vm;
struct sv_operands;

/* Check the annotation names of positional argument pos of n (a string
 * or a list) that are literals (RFC 5464 §3.2); errors reported. */
bool sv_metadata_validate_names(struct sv_validator *v, struct sv_ast_node *n, unsigned pos);

/* metadata / servermetadata: operands [mailbox] entry keys (server: no
 * mailbox): true when the annotation exists and its value matches a
 * key. */
enum sv_status sv_metadata_op_match(struct sv_vm *vm, const struct sv_operands *ops, bool server);
/* metadataexists / servermetadataexists: operands [mailbox] entries:
 * true when every annotation exists. */
enum sv_status sv_metadata_op_exists(struct sv_vm *vm, const struct sv_operands *ops,
                                     bool server);

#endif
