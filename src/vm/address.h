/*
 * address.h: helpers shared by the tests that look at addresses (address,
 * envelope, and extensions that add address parts).
 */
#ifndef SV_VM_ADDRESS_H
#define SV_VM_ADDRESS_H

#include <stdbool.h>
#include <stddef.h>

#include "vm/vm.h"

struct sv_addr;

/* Match one address with the instruction's address part (default :all).
 * Invalid addresses match only with :all, against their raw text
 * (RFC 5228 §5.1). Returns the matcher's verdict so far. */
bool sv_match_address(struct sv_matcher *m, const struct sv_operands *ops,
		      const struct sv_addr *a);

/* Is this a header known to hold addresses (RFC 5228 §5.1)? The address
 * test reads any header; only these yield entries that are no address. */
bool sv_is_address_header(const char *name, size_t len);
/* RFC 5322 §3.6.8 field-name: printable US-ASCII except ':' */
bool sv_header_name_valid(const char *name, size_t len);
/* The address of redirect (RFC 5228 §4.2): one RFC 5322 §3.4 mailbox, an
 * addr-spec or a name-addr, comments and folding white space allowed.
 * True with its bare addr-spec in out (local part quoted when it is no
 * dot-atom); false when s is no mailbox. */
struct sv_buf;
bool sv_redirect_address(const char *s, size_t len, struct sv_buf *out);

#endif
