/*
 * sievec: compile a Sieve script to a verified .svbin.
 *
 *   sievec [--check] [-d] [-o key=value] SCRIPT [OUT]
 *
 * Errors are reported gcc-style (file:line:col, the source line, a caret),
 * as many as the script has. Exit 0 on success, 1 on a script error, 75
 * (EX_TEMPFAIL) when the output cannot be written, 64 on bad usage.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "ext/registry.h"
#include "lib/alloc.h"
#include "parser/compile.h"
#include "parser/script.h"
#include "tools/common.h"
#include "vm/binary.h"
#include "vm/disasm.h"

static void usage(FILE *f)
{
	fputs("usage: sievec [--check] [-d] [-o key=value]... SCRIPT [OUT]\n"
	      "Compile a Sieve script into a binary (by default SCRIPT with .sieve\n"
	      "replaced by .svbin, written atomically).\n\n"
	      "  --check         only check the script; write nothing\n"
	      "  -d, --dump      also print the disassembly\n"
	      "  -o key=value    change a setting (see --settings)\n"
	      "  -c FILE         configuration file (reserved for the LDA's; ignored)\n"
	      "  --settings      list the settings and their defaults\n"
	      "  --capabilities  list the capabilities a script may require, on one\n"
	      "                  line (what ManageSieve advertises as SIEVE)\n"
	      "  --help, --version\n",
	      f);
}

int main(int argc, char **argv)
{
	/* No setlocale: nothing in sift depends on the locale (STYLE.md). */
	static const struct option longopts[] = {
		{"check", no_argument, NULL, 'k'},  {"dump", no_argument, NULL, 'd'},
		{"help", no_argument, NULL, 'h'},   {"version", no_argument, NULL, 'V'},
		{"settings", no_argument, NULL, 'S'}, {"capabilities", no_argument, NULL, 'C'},
		{NULL, 0, NULL, 0},
	};
	struct sv_settings settings;
	sv_settings_init(&settings);
	bool check = false, dump = false;
	int c;
	while ((c = getopt_long(argc, argv, "do:c:", longopts, NULL)) != -1) {
		switch (c) {
		case 'k': check = true; break;
		case 'd': dump = true; break;
		case 'c': break;
		case 'o':
			if (!tool_setting("sievec", &settings, optarg))
				return 64;
			break;
		case 'h': usage(stdout); return 0;
		case 'V': tool_version("sievec"); return 0;
		case 'C': {
			struct sv_buf b = SV_BUF_INIT;
			sv_ext_capabilities(&b);
			printf("%s\n", b.p ? b.p : "");
			sv_buf_free(&b);
			sv_settings_free(&settings);
			return 0;
		}
		case 'S': {
			struct sv_buf b = SV_BUF_INIT;
			sv_settings_describe(&b);
			fputs(b.p, stdout);
			sv_buf_free(&b);
			return 0;
		}
		default: usage(stderr); return 64;
		}
	}
	if (optind >= argc || argc - optind > 2) {
		usage(stderr);
		return 64;
	}
	const char *script = argv[optind];
	struct sv_buf src = SV_BUF_INIT, out = SV_BUF_INIT, msg = SV_BUF_INIT;
	/* exactly max-script-size bytes are accepted, one more is refused */
	if (!tool_read("sievec", script, (size_t)settings.max_script_size, &src)) {
		sv_buf_free(&src);
		sv_settings_free(&settings);
		return 1;
	}
	if (sv_script_is_binary(script, src.p, src.len)) {
		/* its bytes would only give a screenful of syntax errors, and
		   the default output would be SCRIPT.svbin.svbin */
		fprintf(stderr, "%s: error: %s, not a Sieve script (sieve-dump shows binaries)\n",
			script,
			sv_script_is_binary(script, NULL, 0) ? "named as a sift binary (.svbin)"
							   : "a sift binary");
		sv_buf_free(&src);
		sv_settings_free(&settings);
		return 1;
	}
	struct sv_diags diags;
	sv_diags_init(&diags);
	struct sv_compile_options co = {.settings = &settings};
	enum sv_status st = sv_compile(script, src.p, src.len, &co, &diags, &out, NULL);
	sv_diags_render(&diags, &msg, script, src.p, src.len);
	fputs(msg.p ? msg.p : "", stderr);
	int rc = 0;
	if (st != SV_OK) {
		fprintf(stderr, "%s: compilation failed: %zu error%s\n", script, diags.errors,
			diags.errors == 1 ? "" : "s");
		rc = 1;
	} else {
		struct sv_binary *bin = NULL;
		struct sv_buf err = SV_BUF_INIT;
		/* what was generated must pass the verifier every load runs */
		if ((dump ? sv_bin_load(out.p, out.len, &bin, &err)
			  : sv_bin_check_trusted(out.p, out.len, &err)) != SV_OK) {
			fprintf(stderr, "sievec: internal error: generated code fails verification: %s\n",
				err.p);
			rc = 70;
		} else {
			if (dump) {
				struct sv_buf d = SV_BUF_INIT;
				sv_disasm(bin, src.p, src.len, &d);
				fputs(d.p, stdout);
				sv_buf_free(&d);
			}
			if (bin)
				sv_bin_free(bin);
			if (!check) {
				struct sv_buf path = SV_BUF_INIT;
				if (optind + 1 < argc)
					sv_buf_puts(&path, argv[optind + 1]);
				else
					sv_script_binary_path(script, &path);
				if (sv_bin_save_file(path.p, out.p, out.len, &err) != SV_OK) {
					fprintf(stderr, "sievec: %s\n", err.p);
					rc = 75;
				}
				sv_buf_free(&path);
			}
		}
		sv_buf_free(&err);
	}
	sv_diags_free(&diags);
	sv_buf_free(&src);
	sv_buf_free(&out);
	sv_buf_free(&msg);
	sv_settings_free(&settings);
	return rc;
}
