/*
 * common.c: shared helpers of the programs (see common.h).
 */
#include "tools/common.h"

#include <stdio.h>
#include <string.h>

#include "config.h"
#include "lib/status.h"
#include "mail/message.h"
#include "parser/compile.h"

bool tool_setting(const char *prog, struct sv_settings *s, const char *opt)
{
	struct sv_buf err = SV_BUF_INIT;
	bool ok = sv_settings_set_option(s, opt, &err);
	if (!ok)
		fprintf(stderr, "%s: %s\n", prog, err.p);
	sv_buf_free(&err);
	return ok;
}

void tool_version(const char *prog)
{
	printf("%s (sift) %s\n", prog, PACKAGE_VERSION);
}

bool tool_read(const char *prog, const char *path, size_t max, struct sv_buf *out)
{
	struct sv_buf err = SV_BUF_INIT;
	enum sv_status st = sv_read_file(path, max, out, &err);
	if (st != SV_OK)
		fprintf(stderr, "%s: %s\n", prog, err.p);
	sv_buf_free(&err);
	return st == SV_OK;
}

static const char *first_address(struct sv_msg *m, const char *name)
{
	struct sv_hdr *h = sv_msg_header(m, name, strlen(name));
	if (!h)
		return NULL;
	const struct sv_addr_list *al = sv_msg_header_addresses(m, h);
	if (al->n == 0) {
		/* "Return-Path: <>" is the null sender */
		if (h->vlen >= 2 && h->value[0] == '<' && h->value[1] == '>')
			return "";
		return NULL;
	}
	return al->v[0].addr;
}

const char *tool_guess_sender(struct sv_msg *m)
{
	const char *s = first_address(m, "Return-Path");
	if (s)
		return s;
	return sv_msg_mbox_from(m);
}

const char *tool_guess_recipient(struct sv_msg *m)
{
	static const char *const names[] = {"Delivered-To", "X-Original-To", "Envelope-To", "To",
					    NULL};
	for (size_t i = 0; names[i]; i++) {
		const char *s = first_address(m, names[i]);
		if (s && *s)
			return s;
	}
	return NULL;
}
