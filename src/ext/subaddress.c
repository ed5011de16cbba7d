/*
 * subaddress.c: the subaddress extension (RFC 5233): the address parts
 * :user and :detail, split at the first recipient delimiter (setting
 * recipient-delimiter; each of its characters is a delimiter).
 */
#include <string.h>

#include "ext/registry.h"
#include "mail/message.h"
#include "vm/vm.h"

static const char *find_delim(struct sv_vm *vm, const char *p, size_t len)
{
	const char *delims = sv_settings_text(vm->settings, SV_SET_recipient_delimiter);
	for (size_t i = 0; i < len; i++)
		if (p[i] && strchr(delims, p[i]))
			return p + i;
	return NULL;
}

static bool part_user(struct sv_vm *vm, const struct sv_addr *a, const char **p, size_t *n)
{
	if (!a->valid)
		return false;
	const char *d = find_delim(vm, a->local, a->llen);
	*p = a->local;
	*n = d ? (size_t)(d - a->local) : a->llen;
	return true;
}

/* RFC 5233 §4: without a delimiter there is no detail, and :detail fails */
static bool part_detail(struct sv_vm *vm, const struct sv_addr *a, const char **p, size_t *n)
{
	if (!a->valid)
		return false;
	const char *d = find_delim(vm, a->local, a->llen);
	if (!d)
		return false;
	*p = d + 1;
	*n = a->llen - (size_t)(d + 1 - a->local);
	return true;
}

static const struct sv_addrpart_def ap_user = {"user", part_user};
static const struct sv_addrpart_def ap_detail = {"detail", part_detail};
static const struct sv_addrpart_def *const subaddress_parts[] = {&ap_user, &ap_detail, NULL};

struct sv_ext_def sv_ext_subaddress_def = {
	.name = "subaddress",
	.addrparts = subaddress_parts,
};
