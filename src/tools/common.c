/*
 * common.c: shared helpers of the programs (see common.h).
 */
#include "tools/common.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

/*
 * Fast path of sv_read_file for regular files: one fstat, one buffer of the
 * file's size (plus the NUL), read() straight into it; no stdio buffer and
 * no chunked copying. Returns false (nothing reported, out untouched apart
 * from its capacity) whenever it cannot decide, and the caller falls back
 * to sv_read_file, which also produces the error messages.
 */
static bool read_regular(const char *path, size_t max, struct sv_buf *out)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < 0 ||
	    (unsigned long long)st.st_size > max || (unsigned long long)st.st_size >= SIZE_MAX / 2) {
		close(fd);
		return false;
	}
	size_t size = (size_t)st.st_size, base = out->len;
	/* one byte more than the size: a file that grew is noticed */
	sv_buf_reserve(out, size + 1);
	size_t got = 0;
	for (;;) {
		ssize_t r = read(fd, out->p + base + got, size + 1 - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			close(fd);
			return false;
		}
		if (r == 0)
			break;
		got += (size_t)r;
		if (got > size) {
			/* changed under us: let the general reader decide */
			close(fd);
			return false;
		}
	}
	close(fd);
	out->len = base + got;
	out->p[out->len] = '\0';
	return true;
}

bool tool_read(const char *prog, const char *path, size_t max, struct sv_buf *out)
{
	size_t base = out->len;
	if (read_regular(path, max, out))
		return true;
	out->len = base;
	if (out->p)
		out->p[base] = '\0';
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
