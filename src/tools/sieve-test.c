/*
 * sieve-test: dry run of a script over messages; prints the actions each
 * message would get, the implicit keep included. Nothing is delivered.
 *
 *   sieve-test [-f SENDER] [-a RECIPIENT] [-r FINAL] [-t TRACE] [-o k=v]
 *              SCRIPT|BINARY MESSAGE...
 *   sieve-test [options] --batch MAILDIR|MBOX|FOLDER SCRIPT|BINARY
 *
 * -a is the envelope recipient that `envelope "to"` sees; -r the final
 * recipient after aliasing (defaults to -a). Without -f/-a the envelope is
 * taken from each message (Return-Path; Delivered-To, X-Original-To, To).
 * --batch prints one line per message: its name, a tab, the actions.
 * include (RFC 6609) reads personal scripts from -P DIR (default: the
 * script's folder) and global ones from -G DIR; nothing is written.
 */
#include <dirent.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/alloc.h"

#include "delivery/run.h"
#include "delivery/scripts.h"
#include "mail/message.h"
#include "parser/script.h"
#include "tools/common.h"
#include "vm/result.h"
#include "vm/vm.h"

struct ctx {
	struct sv_binary *bin;
	struct sv_settings settings;
	const char *from, *to, *final_to;
	FILE *trace;
	bool batch;
	struct sv_script_resolver resolver;
	/* --state: vacation and duplicate ask it, never write (dry run) */
	struct sv_run_state state;
};

static void trace_fn(void *p, unsigned line, const char *what, bool outcome)
{
	struct ctx *c = p;
	fprintf(c->trace, "  line %u: %s test is %s\n", line, what, outcome ? "true" : "false");
}

/* Run one message; prints either the batch line or the full report. */
static int run_one(struct ctx *c, const char *name, const char *data, size_t len)
{
	/* data is NUL-terminated and outlives the message: no copy */
	struct sv_msg *m = sv_msg_new_borrowed(data, len);
	struct sv_run run;
	sv_run_init(&run, m, &c->settings);
	run.env.from = c->from ? c->from : tool_guess_sender(m);
	run.env.to = c->to ? c->to : tool_guess_recipient(m);
	run.env.orig_to = run.env.to;
	run.env.final_to = c->final_to ? c->final_to : run.env.to;
	run.state = &c->state;
	struct sv_result res;
	sv_result_init(&res, &c->settings);
	if (c->trace) {
		run.trace = trace_fn;
		run.trace_ctx = c;
		fprintf(c->trace, "## %s\n", name);
	}
	run.resolver = &c->resolver;
	struct sv_chain_script script = {c->bin, c->bin->name, NULL};
	struct sv_chain_report rep = {0};
	enum sv_status st = sv_dlv_run_chain(&run, &script, 1, &res, &rep);
	struct sv_buf out = SV_BUF_INIT;
	if (st != SV_OK) {
		/* the chain discarded the actions (RFC 5228 §2.10.6); the script
		   name comes from the binary: any bytes, up to 4 KB */
		struct sv_buf sname = SV_BUF_INIT;
		sv_buf_put_sanitized(&sname, rep.error_script, strlen(rep.error_script), 200);
		fprintf(stderr, "sieve-test: %s: %s: line %u: error: %s\n", name,
			sname.p ? sname.p : "", rep.error_line,
			rep.error.p ? rep.error.p : sv_status_name(st));
		sv_buf_free(&sname);
	}
	if (c->batch) {
		sv_buf_puts(&out, name);
		sv_buf_putc(&out, '\t');
		sv_result_summary(&res, &out);
		if (st != SV_OK)
			sv_buf_puts(&out, " (error)");
		sv_buf_putc(&out, '\n');
	} else {
		sv_buf_printf(&out, "%s:\n", name);
		sv_result_print(&res, &out);
	}
	fwrite(out.p, 1, out.len, stdout);
	sv_buf_free(&out);
	sv_chain_report_free(&rep);
	sv_result_free(&res);
	sv_run_free(&run);
	sv_msg_free(m);
	return st == SV_OK ? 0 : 1;
}

/*
 * One message file, opened once. Large messages are mapped rather than
 * read: a script that looks only at the header never touches the pages of
 * the body. The message model needs a NUL after the bytes, which the
 * zero-filled rest of the last page gives when the size is not a multiple
 * of the page size. Small ones are read into buf (reused between
 * messages). Returns the run's result, or -1 when the file was not
 * handled here (the caller reads it the general way and reports errors).
 */
static int run_file(struct ctx *c, const char *name, const char *path, struct sv_buf *buf)
{
	static long page;
	if (!page)
		page = sysconf(_SC_PAGESIZE);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	struct stat st;
	int rc = -1;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    (uint64_t)st.st_size > c->settings.max_message_size) {
		close(fd);
		return -1;
	}
	size_t len = (size_t)st.st_size;
	if (len >= 64 * 1024 && page > 0 && len % (size_t)page != 0) {
		void *p = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
		if (p != MAP_FAILED) {
			rc = run_one(c, name, p, len);
			munmap(p, len);
		}
	} else {
		sv_buf_reset(buf);
		sv_buf_reserve(buf, len + 1);
		size_t got = 0;
		while (got < len) {
			ssize_t r = read(fd, buf->p + got, len - got);
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0)
				break;
			got += (size_t)r;
		}
		if (got == len) {
			buf->len = len;
			buf->p[len] = '\0';
			rc = run_one(c, name, buf->p, len);
		}
	}
	close(fd);
	return rc;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A Maildir (its cur/ and new/), or a plain folder of *.eml files. */
static int batch_maildir(struct ctx *c, const char *dir, bool plain)
{
	const char *subs[] = {"cur", "new"};
	int rc = 0;
	for (int s = 0; s < (plain ? 1 : 2); s++) {
		struct sv_buf path = SV_BUF_INIT;
		if (plain)
			sv_buf_puts(&path, dir);
		else
			sv_buf_printf(&path, "%s/%s", dir, subs[s]);
		DIR *d = opendir(path.p);
		if (!d) {
			sv_buf_free(&path);
			continue;
		}
		char **names = NULL;
		size_t n = 0, cap = 0;
		struct dirent *e;
		while ((e = readdir(d))) {
			if (e->d_name[0] == '.')
				continue;
			size_t nl = strlen(e->d_name);
			if (plain && (nl < 4 || strcmp(e->d_name + nl - 4, ".eml") != 0))
				continue;
			if (n == cap) {
				cap = cap ? cap * 2 : 256;
				names = sv_realloc(names, cap * sizeof *names);
			}
			names[n++] = sv_strdup(e->d_name);
		}
		closedir(d);
		if (n) /* names is NULL for an empty folder */
			qsort(names, n, sizeof *names, cmp_names);
		struct sv_buf file = SV_BUF_INIT, data = SV_BUF_INIT;
		for (size_t i = 0; i < n; i++) {
			sv_buf_reset(&file);
			sv_buf_printf(&file, "%s/%s", path.p, names[i]);
			int done = run_file(c, names[i], file.p, &data);
			if (done >= 0) {
				if (done)
					rc = 1;
				sv_free(names[i]);
				continue;
			}
			sv_buf_reset(&data);
			if (!tool_read("sieve-test", file.p, (size_t)c->settings.max_message_size,
					      &data)) {
				rc = 1;
			} else if (run_one(c, names[i], data.p, data.len) != 0) {
				rc = 1;
			}
			sv_free(names[i]);
		}
		sv_buf_free(&file);
		sv_buf_free(&data);
		sv_free(names);
		sv_buf_free(&path);
	}
	return rc;
}

/* mbox: messages start at "From " lines; mboxrd ">From " quoting undone */
static int batch_mbox(struct ctx *c, const char *path)
{
	struct sv_buf all = SV_BUF_INIT;
	if (!tool_read("sieve-test", path, (size_t)-1, &all))
		return 1;
	int rc = 0;
	size_t pos = 0, index = 0;
	struct sv_buf msg = SV_BUF_INIT;
	char name[32];
	while (pos < all.len) {
		/* find the end of this message: the next "\nFrom " */
		size_t start = pos;
		const char *p = all.p + pos;
		size_t end = all.len;
		const char *q = p;
		while ((q = memmem(q + 1, all.len - (size_t)(q + 1 - all.p), "\nFrom ", 6))) {
			end = (size_t)(q - all.p) + 1;
			break;
		}
		sv_buf_reset(&msg);
		/* undo mboxrd quoting line by line */
		size_t i = start;
		while (i < end) {
			const char *nl = memchr(all.p + i, '\n', end - i);
			size_t ll = nl ? (size_t)(nl - (all.p + i)) + 1 : end - i;
			const char *line = all.p + i;
			size_t gt = 0;
			while (gt < ll && line[gt] == '>')
				gt++;
			if (i != start && gt > 0 && ll - gt >= 5 && memcmp(line + gt, "From ", 5) == 0)
				sv_buf_append(&msg, line + 1, ll - 1);
			else
				sv_buf_append(&msg, line, ll);
			i += ll;
		}
		snprintf(name, sizeof name, "%zu", ++index);
		if (run_one(c, name, msg.p ? msg.p : "", msg.len) != 0)
			rc = 1;
		pos = end;
	}
	sv_buf_free(&msg);
	sv_buf_free(&all);
	return rc;
}

static void usage(FILE *f)
{
	fputs("usage: sieve-test [-f SENDER] [-a RECIPIENT] [-r FINAL] [-t TRACEFILE]\n"
	      "                  [-o key=value]... SCRIPT|BINARY MESSAGE...\n"
	      "       sieve-test [options] --batch MAILDIR|MBOX|FOLDER SCRIPT|BINARY\n"
	      "Dry run: print what the script would do with each message.\n\n"
	      "  -f SENDER      envelope sender (default: the message's Return-Path)\n"
	      "  -a RECIPIENT   envelope recipient seen by envelope \"to\"\n"
	      "  -r FINAL       final recipient after aliasing (default: -a)\n"
	      "  -t FILE        trace every test with its line and outcome (- = stdout)\n"
	      "  -o key=value   change a setting\n"
	      "  -P DIR         folder of include :personal scripts (default: the script's)\n"
	      "  -G DIR         folder of include :global scripts (default: none)\n"
	      "  --state LOCATION\n"
	      "                 ask this state store what vacation and duplicate would\n"
	      "                 find (sqlite:PATH, redis:HOST:PORT); it is never written\n"
	      "  --batch PATH   run over a Maildir, an mbox or a folder of *.eml files,\n"
	      "                 one line per message: name, tab, actions\n",
	      f);
}

int main(int argc, char **argv)
{
	/* No setlocale: nothing here depends on the locale (STYLE.md), and
	   loading a UTF-8 locale costs a fifth of a one-message run. */
	static const struct option longopts[] = {
		{"batch", required_argument, NULL, 'B'}, {"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'}, {"state", required_argument, NULL, 'S'},
		{NULL, 0, NULL, 0},
	};
	struct ctx c = {0};
	sv_settings_init(&c.settings);
	const char *batch = NULL, *tracefile = NULL, *pdir = NULL, *gdir = NULL, *state = NULL;
	int opt;
	while ((opt = getopt_long(argc, argv, "f:a:r:t:o:c:P:G:", longopts, NULL)) != -1) {
		switch (opt) {
		case 'f': c.from = optarg; break;
		case 'a': c.to = optarg; break;
		case 'r': c.final_to = optarg; break;
		case 't': tracefile = optarg; break;
		case 'P': pdir = optarg; break;
		case 'G': gdir = optarg; break;
		case 'c': break;
		case 'o':
			if (!tool_setting("sieve-test", &c.settings, optarg))
				return 64;
			break;
		case 'B': batch = optarg; break;
		case 'S': state = optarg; break;
		case 'h': usage(stdout); return 0;
		case 'V': tool_version("sieve-test"); return 0;
		default: usage(stderr); return 64;
		}
	}
	if (optind >= argc || (!batch && optind + 1 >= argc) || (batch && optind + 1 != argc)) {
		usage(stderr);
		return 64;
	}
	/* "<>" and "" are the null sender */
	if (c.from && strcmp(c.from, "<>") == 0)
		c.from = "";
	const char *script = argv[optind];
	struct sv_script_options so = {.compile = {.settings = &c.settings}, .use_cache = true};
	struct sv_diags diags;
	sv_diags_init(&diags);
	struct sv_buf src = SV_BUF_INIT, err = SV_BUF_INIT;
	enum sv_status st = sv_script_open(script, &so, &c.bin, &diags, &src, &err);
	if (st != SV_OK) {
		struct sv_buf out = SV_BUF_INIT;
		sv_diags_render(&diags, &out, script, src.p, src.len);
		fputs(out.p ? out.p : "", stderr);
		if (st == SV_CORRUPT)
			/* a binary that does not load: gcc-style, naming the file */
			fprintf(stderr, "%s: error: %s\n", script, err.p ? err.p : "corrupt binary");
		else if (err.len)
			fprintf(stderr, "sieve-test: %s\n", err.p);
		sv_buf_free(&out);
		sv_buf_free(&src);
		sv_buf_free(&err);
		sv_diags_free(&diags);
		sv_settings_free(&c.settings);
		return 1;
	}
	sv_buf_free(&src);
	struct sv_buf sdir = SV_BUF_INIT;
	if (!pdir) {
		const char *slash = strrchr(script, '/');
		if (slash)
			sv_buf_append(&sdir, script, slash == script ? 1 : (size_t)(slash - script));
		else
			sv_buf_puts(&sdir, ".");
		pdir = sdir.p;
	}
	sv_dlv_resolver_init(&c.resolver, pdir, gdir, &c.settings);
	c.resolver.no_save = true; /* a dry run writes nothing */
	/* the user's name keys Redis: the one running this */
	const char *who = getenv("USER");
	sv_run_state_init(&c.state, state, who && *who ? who : "sieve-test", NULL, true);
	if (tracefile) {
		c.trace = strcmp(tracefile, "-") == 0 ? stdout : fopen(tracefile, "w");
		if (!c.trace) {
			fprintf(stderr, "sieve-test: cannot open %s: %s\n", tracefile, strerror(errno));
			sv_run_state_free(&c.state);
			sv_dlv_resolver_free(&c.resolver);
			sv_buf_free(&sdir);
			sv_bin_free(c.bin);
			sv_diags_free(&diags);
			sv_buf_free(&err);
			sv_settings_free(&c.settings);
			return 73;
		}
	}
	int rc = 0;
	if (batch) {
		c.batch = true;
		struct sv_buf sub = SV_BUF_INIT;
		sv_buf_printf(&sub, "%s/cur", batch);
		DIR *d = opendir(sub.p);
		sv_buf_free(&sub);
		DIR *plain = d ? NULL : opendir(batch);
		if (d) {
			closedir(d);
			rc = batch_maildir(&c, batch, false);
		} else if (plain) {
			closedir(plain);
			rc = batch_maildir(&c, batch, true);
		} else {
			rc = batch_mbox(&c, batch);
		}
	} else {
		for (int i = optind + 1; i < argc; i++) {
			struct sv_buf data = SV_BUF_INIT;
			if (!tool_read("sieve-test", argv[i], (size_t)c.settings.max_message_size, &data))
				rc = 1;
			else if (run_one(&c, argv[i], data.p, data.len) != 0)
				rc = 1;
			sv_buf_free(&data);
		}
	}
	if (c.trace && c.trace != stdout)
		fclose(c.trace);
	sv_dlv_resolver_free(&c.resolver);
	sv_buf_free(&sdir);
	if (c.state.failed != SV_OK) {
		fprintf(stderr, "sieve-test: %s\n", c.state.error.p ? c.state.error.p : "state store");
		rc = 1;
	}
	sv_run_state_free(&c.state);
	sv_bin_free(c.bin);
	sv_diags_free(&diags);
	sv_buf_free(&err);
	sv_settings_free(&c.settings);
	return rc;
}
