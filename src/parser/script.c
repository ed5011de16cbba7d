/*
 * script.c: cached binaries and transparent recompilation (see script.h).
 */
#include "parser/script.h"

#include <string.h>
#include <sys/stat.h>

#include "lib/alloc.h"
#include "lib/utf8.h"

void sv_script_binary_path(const char *path, struct sv_buf *out)
{
	size_t n = strlen(path);
	if (n > 6 && strcmp(path + n - 6, ".sieve") == 0)
		n -= 6;
	sv_buf_append(out, path, n);
	sv_buf_puts(out, ".svbin");
}

bool sv_script_is_binary(const char *path, const char *data, size_t len)
{
	size_t n = strlen(path);
	if (n >= 6 && strcmp(path + n - 6, ".svbin") == 0)
		return true;
	return data && len >= SV_BIN_MAGIC_LEN && memcmp(data, SV_BIN_MAGIC, SV_BIN_MAGIC_LEN) == 0;
}

enum sv_status sv_script_open(const char *path, const struct sv_script_options *o,
			      struct sv_binary **bin_r, struct sv_diags *diags, struct sv_buf *src_r,
			      struct sv_buf *err)
{
	*bin_r = NULL;
	struct sv_settings defaults;
	sv_settings_init(&defaults);
	const struct sv_settings *set = o && o->compile.settings ? o->compile.settings : &defaults;
	struct sv_buf src = SV_BUF_INIT;
	/* a script of exactly max-script-size bytes is accepted; a binary
	   named as one is bounded as cached binaries are */
	size_t max = sv_script_is_binary(path, NULL, 0) ? SV_BIN_MAX_FILE
						       : (size_t)set->max_script_size;
	enum sv_status st = sv_read_file(path, max, &src, err);
	if (st != SV_OK)
		goto out;
	if (sv_script_is_binary(path, src.p, src.len)) {
		/* a binary given directly: there is no source to fall back on,
		   and a .svbin without a valid header is an error (empty, no
		   magic, truncated), never a script to compile */
		st = sv_bin_load(src.p ? src.p : "", src.len, bin_r, err);
		goto out;
	}
	uint64_t hash = sv_hash64(src.p, src.len);
	struct sv_buf binpath = SV_BUF_INIT;
	sv_script_binary_path(path, &binpath);
	if (o && o->use_cache) {
		struct stat ss, bs;
		struct sv_buf data = SV_BUF_INIT, lerr = SV_BUF_INIT;
		uint64_t bh, bf;
		if (stat(path, &ss) == 0 && stat(binpath.p, &bs) == 0 &&
		    bs.st_mtime >= ss.st_mtime &&
		    sv_read_file(binpath.p, SV_BIN_MAX_FILE, &data, &lerr) == SV_OK &&
		    sv_bin_peek(data.p, data.len, &bh, &bf) && bh == hash &&
		    bf == sv_bin_fingerprint_for(set) &&
		    sv_bin_load(data.p, data.len, bin_r, &lerr) == SV_OK) {
			sv_buf_free(&data);
			sv_buf_free(&lerr);
			sv_buf_free(&binpath);
			st = SV_OK;
			goto out;
		}
		sv_buf_free(&data);
		sv_buf_free(&lerr);
	}
	struct sv_buf image = SV_BUF_INIT;
	st = sv_compile(path, src.p, src.len, o ? &o->compile : NULL, diags, &image, NULL);
	if (st == SV_OK) {
		st = sv_bin_load(image.p, image.len, bin_r, err);
		if (st == SV_OK && o && o->save) {
			struct sv_buf serr = SV_BUF_INIT;
			/* a cache that cannot be written is not an error of the run */
			(void)sv_bin_save_file(binpath.p, image.p, image.len, &serr);
			sv_buf_free(&serr);
		}
	}
	sv_buf_free(&image);
	sv_buf_free(&binpath);
out:
	if (src_r && st != SV_NOMEM) {
		sv_buf_free(src_r);
		*src_r = src;
	} else {
		sv_buf_free(&src);
	}
	sv_settings_free(&defaults);
	return st;
}

bool sv_script_name_check(const char *name, size_t len, struct sv_buf *why)
{
	const char *reason = NULL;
	if (len == 0)
		reason = "a script name cannot be empty";
	else if (len > SV_SCRIPT_NAME_MAX)
		reason = "a script name is at most 255 bytes";
	else if (memchr(name, '/', len))
		reason = "a script name cannot contain '/'";
	else if (name[0] == '.')
		reason = "a script name cannot start with '.'";
	else if (!sv_utf8_valid(name, len))
		reason = "a script name must be valid UTF-8";
	for (size_t i = 0; !reason && i < len;) {
		uint32_t cp;
		size_t n = sv_utf8_decode(name + i, len - i, &cp);
		if (n == 0)
			n = 1;
		if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f) || cp == 0x2028 ||
		    cp == 0x2029)
			reason = "a script name cannot contain control characters";
		i += n;
	}
	if (reason && why)
		sv_buf_puts(why, reason);
	return !reason;
}
