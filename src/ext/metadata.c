/*
 * metadata.c: what the mboxmetadata and servermetadata extensions share
 * (RFC 5490 §3.3, §3.4, §4.1, §4.2; metadata-int.h): annotation names
 * checked at compile time when they are literals (RFC 5464 §3.2), and
 * the four tests over the run's metadata service (delivery/metadata.h).
 *
 * Where the run has no metadata service (sieve-test's dry run), no
 * annotation exists: metadata and servermetadata are false for every
 * key, the *exists tests false. An annotation name built at run time
 * that is not valid is a runtime error, as a literal one is a compile
 * error. A service that cannot be read now (RFC 5490 §5) ends the run
 * with SV_TEMPFAIL and the reason.
 */
#include "ext/metadata-int.h"

#include <string.h>

#include "delivery/metadata.h"
#include "delivery/run.h"
#include "ext/registry.h"
#include "parser/validate.h"
#include "vm/vm.h"

bool sv_metadata_validate_names(struct sv_validator *v, struct sv_ast_node *n, unsigned pos)
{
	const struct sv_ast_arg *a = sv_vnode(n)->pos[pos];
	bool ok = true;
	for (size_t i = 0; a && i < a->nstrs; i++) {
		const struct sv_ast_str *s = &a->strs[i];
		if (v->templates && memchr(s->s, '$', s->len))
			continue; /* checked when the run has its value */
		struct sv_buf why = SV_BUF_INIT;
		if (!sv_metadata_entry_check(s->s, s->len, &why)) {
			sv_validator_error(v, s->loc, "invalid annotation name '%s': %s",
			                   sv_validator_quote(v, s->s, s->len), why.p);
			ok = false;
		}
		sv_buf_free(&why);
	}
	return ok;
}

/* The value of one annotation: SV_OK with *found_r, or the run's error. */
static enum sv_status lookup(struct sv_vm *vm, const char *what, const struct sv_str *mb,
                             const struct sv_str *entry, struct sv_buf *value, bool *found_r)
{
	*found_r = false;
	struct sv_buf err = SV_BUF_INIT;
	if (!sv_metadata_entry_check(entry->p, entry->len, &err)) {
		struct sv_buf q = SV_BUF_INIT;
		sv_buf_put_sanitized(&q, entry->p, entry->len, 128);
		enum sv_status st = sv_vm_error(vm, "%s: invalid annotation name '%s': %s", what,
		                                q.p ? q.p : "", err.p);
		sv_buf_free(&q);
		sv_buf_free(&err);
		return st;
	}
	struct sv_metadata *md = vm->run ? vm->run->metadata : NULL;
	/* a mailbox with no name has no annotations */
	if (!md || (mb && mb->len == 0))
		return SV_OK;
	enum sv_status st = md->get(md, mb ? mb->p : NULL, mb ? mb->len : 0, entry->p, entry->len,
	                            value, found_r, &err);
	if (st != SV_OK) {
		sv_vm_error(vm, "%s: cannot read annotations: %s", what,
		            err.p ? err.p : sv_status_name(st));
		/* §5: like a script that cannot be read for now */
		st = st == SV_TEMPFAIL ? SV_TEMPFAIL : SV_FAIL;
	}
	sv_buf_free(&err);
	return st;
}

/* §3.3, §4.1: "The test returns true if the annotation exists and its
 * value matches any of the keys"; with :count, an annotation that exists
 * counts one value. */
enum sv_status sv_metadata_op_match(struct sv_vm *vm, const struct sv_operands *ops, bool server)
{
	const char *what = server ? "servermetadata" : "metadata";
	size_t p = server ? 0 : 1;
	struct sv_str mb = {0}, entry;
	enum sv_status st = SV_OK;
	if (!server)
		st = sv_vm_string(vm, ops->pos[0].idx, &mb);
	if (st == SV_OK)
		st = sv_vm_string(vm, ops->pos[p].idx, &entry);
	if (st != SV_OK)
		return st;
	struct sv_buf val = SV_BUF_INIT;
	bool found;
	st = lookup(vm, what, server ? NULL : &mb, &entry, &val, &found);
	if (st != SV_OK || !found) {
		sv_buf_free(&val);
		vm->test = false;
		return st;
	}
	struct sv_matcher m;
	st = sv_match_begin(&m, vm, ops, ops->pos[p + 1].idx);
	if (st == SV_OK)
		sv_match_value(&m, val.p ? val.p : "", val.len);
	sv_buf_free(&val);
	if (st != SV_OK)
		return st;
	return sv_match_end(&m, &vm->test);
}

/* §3.4, §4.2: true when every annotation listed exists. */
enum sv_status sv_metadata_op_exists(struct sv_vm *vm, const struct sv_operands *ops,
                                     bool server)
{
	const char *what = server ? "servermetadataexists" : "metadataexists";
	size_t p = server ? 0 : 1;
	struct sv_str mb = {0};
	enum sv_status st = SV_OK;
	if (!server)
		st = sv_vm_string(vm, ops->pos[0].idx, &mb);
	if (st != SV_OK)
		return st;
	size_t n = sv_vm_list_len(vm, ops->pos[p].idx);
	bool all = true;
	struct sv_buf val = SV_BUF_INIT;
	for (size_t i = 0; i < n && all && st == SV_OK; i++) {
		struct sv_str entry;
		st = sv_vm_list_item(vm, ops->pos[p].idx, i, &entry);
		if (st == SV_OK)
			st = lookup(vm, what, server ? NULL : &mb, &entry, &val, &all);
		sv_buf_reset(&val);
	}
	sv_buf_free(&val);
	vm->test = st == SV_OK && all;
	return st;
}
