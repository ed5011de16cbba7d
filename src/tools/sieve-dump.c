/*
 * sieve-dump: disassemble a .svbin (or a script, compiled on the fly),
 * with source lines when the script is at hand.
 *
 *   sieve-dump [-o key=value] FILE
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "parser/script.h"
#include "tools/common.h"
#include "vm/disasm.h"

static void usage(FILE *f)
{
	fputs("usage: sieve-dump [-o key=value]... FILE\n"
	      "Print the disassembly of a sift binary, or of a script compiled on the fly.\n",
	      f);
}

int main(int argc, char **argv)
{
	/* No setlocale: nothing in sift depends on the locale (STYLE.md). */
	static const struct option longopts[] = {
		{"help", no_argument, NULL, 'h'}, {"version", no_argument, NULL, 'V'}, {NULL, 0, NULL, 0},
	};
	struct sv_settings settings;
	sv_settings_init(&settings);
	int c;
	while ((c = getopt_long(argc, argv, "o:", longopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			if (!tool_setting("sieve-dump", &settings, optarg))
				return 64;
			break;
		case 'h': usage(stdout); return 0;
		case 'V': tool_version("sieve-dump"); return 0;
		default: usage(stderr); return 64;
		}
	}
	if (optind + 1 != argc) {
		usage(stderr);
		return 64;
	}
	const char *path = argv[optind];
	struct sv_script_options so = {.compile = {.settings = &settings}};
	struct sv_binary *bin;
	struct sv_diags diags;
	sv_diags_init(&diags);
	struct sv_buf src = SV_BUF_INIT, err = SV_BUF_INIT, out = SV_BUF_INIT;
	enum sv_status st = sv_script_open(path, &so, &bin, &diags, &src, &err);
	int rc = 0;
	if (st != SV_OK) {
		sv_diags_render(&diags, &out, path, src.p, src.len);
		fputs(out.p ? out.p : "", stderr);
		if (st == SV_CORRUPT)
			/* a binary that does not load: gcc-style, naming the file */
			fprintf(stderr, "%s: error: %s\n", path, err.p ? err.p : "corrupt binary");
		else if (err.len)
			fprintf(stderr, "sieve-dump: %s\n", err.p);
		rc = 1;
	} else {
		bool is_bin = sv_script_is_binary(path, src.p, src.len);
		sv_disasm(bin, is_bin ? NULL : src.p, src.len, &out);
		fputs(out.p, stdout);
		sv_bin_free(bin);
	}
	sv_diags_free(&diags);
	sv_buf_free(&src);
	sv_buf_free(&err);
	sv_buf_free(&out);
	sv_settings_free(&settings);
	return rc;
}
