/*
 * mutate.c: the mutation test of the loader, the verifier and the VM.
 *
 * Every .sieve script of scripts/examples is compiled to an image; then
 * 10,000 mutated copies are made in turn from the images (a fixed-seed
 * PRNG, so every run does the same ones):
 *   - a byte flip: one byte after the magic gets another value, and the
 *     CRC (u32 LE at offset 24, over the body from offset 44) is
 *     recomputed, so that the verifier is what is tested, not the checksum;
 *   - a truncation to a random shorter length, header left alone: these
 *     must all be rejected (an accepted one is a failure).
 * Each copy goes to sv_bin_load. Rejected: fine. Accepted: it is
 * disassembled and run against a few sample messages with max-instructions
 * 100000; the run must return a valid status (SV_CORRUPT from verified code
 * is a failure too: the verifier and the VM disagree) with an error text
 * when it is not SV_OK. Memory errors are the sanitizer build's to catch.
 * The mutations are tried in a child process: when it dies (a crash, a
 * sanitizer report, a hang), that mutation is one failure (printed with
 * what it was) and a new child goes on with the next one.
 *
 *   tests/fuzz/mutate [EXAMPLES-FOLDER]
 * The folder defaults to $srcdir/scripts/examples (automake's test driver
 * exports srcdir); messages are read from its messages/ folder.
 * Environment:
 *   MUTATE_SEED=n, MUTATE_COUNT=n  another seed, another number of mutations
 *   MUTATE_VERBOSE=1               print each mutation before it is tried
 *   MUTATE_ONLY=i                  try only mutation i (same numbering)
 *   MUTATE_SAVE=path               write the mutated image(s) to path (with
 *                                  MUTATE_ONLY: a reproducer for sieve-test)
 *   MUTATE_FORK=0                  no child processes (for gdb; the first
 *                                  crash then ends the test)
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/alloc.h"
#include "lib/buf.h"
#include "lib/diag.h"
#include "lib/limits.h"
#include "lib/status.h"
#include "mail/message.h"
#include "parser/compile.h"
#include "vm/binary.h"
#include "vm/bytecode.h"
#include "vm/disasm.h"
#include "vm/result.h"
#include "vm/vm.h"

#if defined(__SANITIZE_ADDRESS__)
#define MUTATE_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MUTATE_ASAN 1
#endif
#endif
#ifdef MUTATE_ASAN
#include <sanitizer/common_interface_defs.h>
#include <sanitizer/lsan_interface.h>
#endif

#define DEFAULT_MUTATIONS 10000
#define DEFAULT_SEED 0x5349465446555a5aull /* "SIFTFUZZ" */
#define CRC_OFFSET 24
#define LEAK_CHECK (ULONG_MAX - 1)
#define CHILD_SECONDS 20 /* for one mutation: load, disassemble, 4 runs */

/* The sample messages every accepted image runs against, with the
 * envelope scripts/examples/messages/README gives them. */
static const struct sample {
	const char *file, *from, *to;
} samples[] = {
	{"01-mailing-list.eml", "sift-dev-bounces+alice=example.org@lists.example.net",
	 "alice@example.org"},
	{"05-subaddress-shop.eml", "orders@shop.example.com", "alice+shop@example.org"},
	{"07-pdf-attachment.eml", "billing@plumbing.example.com", "alice@example.org"},
	{"08-encoded-headers.eml", "francois@dupont.example.net", "alice@example.org"},
};
#define NSAMPLES (sizeof samples / sizeof samples[0])

struct script {
	char *name;
	char *src;
	size_t srclen;
	unsigned char *img;
	size_t len;
};

static uint64_t rng_state;

/* splitmix64: small, good enough, the same everywhere */
static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t rnd_below(uint64_t n)
{
	return n ? rnd() % n : 0;
}

/* What is being tried, for the crash handlers. */
static char current[512];

static void print_current(void)
{
	if (current[0]) {
		static const char pre[] = "\nmutate: crashed during: ";
		ssize_t r = write(2, pre, sizeof pre - 1);
		r = write(2, current, strlen(current));
		r = write(2, "\n", 1);
		(void)r;
	}
}

#ifndef MUTATE_ASAN
static void on_signal(int sig)
{
	print_current();
	signal(sig, SIG_DFL);
	raise(sig);
}
#endif

static void install_crash_report(void)
{
#ifdef MUTATE_ASAN
	__sanitizer_set_death_callback(print_current);
#else
	static const int sigs[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		signal(sigs[i], on_signal);
#endif
}

static bool read_all(const char *path, struct sv_buf *out)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return false;
	char tmp[8192];
	size_t n;
	while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
		sv_buf_append(out, tmp, n);
	bool ok = !ferror(f);
	fclose(f);
	return ok;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The *.sieve files of dir, sorted. */
static char **list_scripts(const char *dir, size_t *n_r)
{
	DIR *d = opendir(dir);
	if (!d)
		return NULL;
	char **v = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name);
		if (e->d_name[0] == '.' || l < 7 || strcmp(e->d_name + l - 6, ".sieve") != 0)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 32;
			v = sv_realloc(v, cap * sizeof *v);
		}
		v[n++] = sv_strdup(e->d_name);
	}
	closedir(d);
	if (n)
		qsort(v, n, sizeof *v, cmp_names);
	*n_r = n;
	return v;
}

static void put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

/* Counters: in shared memory, so that the child that tries a mutation
 * (see main) adds to them. */
struct counts {
	unsigned long handled, bad_mutations, failed;
	unsigned long flips, flips_rejected, flips_rejected_header, flips_ran, flips_same;
	unsigned long truncs, truncs_rejected;
	unsigned long runs, st[SV_NOMEM + 1];
	unsigned long crashes, leaks;
};

static void fail(struct counts *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(struct counts *c, const char *fmt, ...)
{
	c->failed++;
	fprintf(stderr, "FAIL: %s: ", current);
	va_list ap;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Run an accepted image against every sample; false on a failure. */
static bool run_all(struct counts *c, const struct script *s, const struct sv_binary *bin,
		    struct sv_msg *const *msgs, const struct sv_settings *set)
{
	bool ok = true;
	struct sv_buf text = SV_BUF_INIT;
	sv_disasm(bin, s->src, s->srclen, &text);
	if (text.len == 0) {
		fail(c, "%s", "empty disassembly");
		ok = false;
	}
	sv_buf_free(&text);
	for (size_t i = 0; i < NSAMPLES; i++) {
		struct sv_envelope env = {
			.from = samples[i].from,
			.to = samples[i].to,
			.orig_to = samples[i].to,
			.final_to = samples[i].to,
		};
		struct sv_result res;
		sv_result_init(&res, set);
		struct sv_vm vm;
		struct sv_vm_options vo = {.settings = set};
		enum sv_status st = sv_vm_run(&vm, bin, msgs[i], &env, &res, &vo);
		c->runs++;
		if ((unsigned)st > SV_NOMEM) {
			fail(c, "run returned status %d, out of range", (int)st);
			ok = false;
		} else {
			c->st[st]++;
			if (st == SV_CORRUPT) {
				fail(c, "run of verified code returned corrupt: %s",
				     vm.error.p ? vm.error.p : "");
				ok = false;
			} else if (st != SV_OK && vm.error.len == 0) {
				fail(c, "run returned %s without an error text", sv_status_name(st));
				ok = false;
			}
		}
		if (st != SV_OK)
			sv_result_cancel(&res);
		struct sv_buf out = SV_BUF_INIT;
		sv_result_summary(&res, &out);
		sv_buf_free(&out);
		sv_vm_cleanup(&vm);
		sv_result_free(&res);
	}
	return ok;
}

struct mutation {
	const struct script *s;
	bool flip;
	size_t pos;          /* flip: the byte */
	unsigned oldv, newv; /* flip: its values */
	size_t len;          /* the mutated image's length */
};

/* Draw the next mutation of script s (all PRNG use is here: the
 * mutations are drawn before any is tried). */
static void draw(struct mutation *m, const struct script *s)
{
	memset(m, 0, sizeof *m);
	m->s = s;
	m->flip = rnd_below(10) < 8;
	if (m->flip) {
		m->pos = SV_BIN_MAGIC_LEN + (size_t)rnd_below(s->len - SV_BIN_MAGIC_LEN);
		m->oldv = s->img[m->pos];
		m->newv = m->oldv ^ (unsigned)(1 + rnd_below(255));
		m->len = s->len;
	} else {
		m->len = (size_t)rnd_below(s->len);
	}
}

/* Describe mutation index into current. */
static void describe(const struct mutation *m, unsigned long index)
{
	if (m->flip)
		snprintf(current, sizeof current,
			 "mutation %lu: %s: flip byte %zu of %zu: 0x%02x -> 0x%02x (CRC fixed)", index,
			 m->s->name, m->pos, m->s->len, m->oldv, m->newv);
	else
		snprintf(current, sizeof current, "mutation %lu: %s: truncate %zu -> %zu bytes",
			 index, m->s->name, m->s->len, m->len);
}

/* The mutated image, exactly m->len bytes (so ASan sees a read past the
 * end); sv_free it. */
static unsigned char *make_image(const struct mutation *m)
{
	unsigned char *img = sv_malloc(m->len ? m->len : 1);
	memcpy(img, m->s->img, m->len);
	if (m->flip) {
		img[m->pos] = (unsigned char)m->newv;
		put32(img + CRC_OFFSET,
		      sv_crc32(img + SV_BIN_HEADER_SIZE, m->len - SV_BIN_HEADER_SIZE));
	}
	return img;
}

static void try_one(struct counts *c, const struct mutation *m, struct sv_msg *const *msgs,
		    const struct sv_settings *set)
{
	unsigned char *img = make_image(m);
	if (m->flip)
		c->flips++;
	else
		c->truncs++;
	struct sv_binary *bin = NULL;
	struct sv_buf err = SV_BUF_INIT;
	enum sv_status st = sv_bin_load(img, m->len, &bin, &err);
	if (st != SV_OK) {
		if (bin)
			fail(c, "%s", "rejected, but *bin_r is not NULL");
		if (st != SV_CORRUPT)
			fail(c, "rejected with status %s, expected corrupt", sv_status_name(st));
		if (err.len == 0)
			fail(c, "%s", "rejected without a reason");
		if (m->flip) {
			c->flips_rejected++;
			if (m->pos < SV_BIN_HEADER_SIZE)
				c->flips_rejected_header++;
		} else {
			c->truncs_rejected++;
		}
	} else if (!m->flip) {
		fail(c, "%s", "truncated image accepted");
		sv_bin_free(bin);
	} else {
		if (m->pos >= CRC_OFFSET && m->pos < CRC_OFFSET + 4)
			c->flips_same++; /* the CRC fix undid the flip */
		if (run_all(c, m->s, bin, msgs, set))
			c->flips_ran++;
		sv_bin_free(bin);
	}
	sv_buf_free(&err);
	sv_free(img);
}

static void save_image(const struct mutation *m, const char *path)
{
	unsigned char *img = make_image(m);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(img, 1, m->len, f) != m->len || fclose(f) != 0) {
		perror(path);
		exit(99);
	}
	sv_free(img);
	fprintf(stderr, "mutate: %s: saved to %s\n", current, path);
}

/* What the tries share with the parent (in shared memory). */
struct shared {
	struct counts c;
	unsigned long in_progress; /* index of the mutation being tried */
};

struct plan {
	const struct mutation *muts;
	unsigned long total;
	long only; /* -1: all */
	bool verbose;
	const char *save;
	struct sv_msg *const *msgs;
	const struct sv_settings *set;
};

/* Try mutations start.. in order. */
static void try_from(struct shared *sh, const struct plan *p, unsigned long start, bool forked)
{
	struct counts *c = &sh->c;
	for (unsigned long i = start; i < p->total; i++) {
		if (p->only >= 0 && (unsigned long)p->only != i)
			continue;
		sh->in_progress = i;
		describe(&p->muts[i], i);
		if (p->verbose) {
			fprintf(stderr, "%s\n", current);
			fflush(stderr);
		}
		if (p->save)
			save_image(&p->muts[i], p->save);
		unsigned long before = c->failed;
		if (forked)
			alarm(CHILD_SECONDS);
		try_one(c, &p->muts[i], p->msgs, p->set);
		c->handled++;
		if (c->failed > before)
			c->bad_mutations++;
		current[0] = '\0';
	}
	if (forked)
		alarm(0);
}

/* Try them all in a child process; when it dies (a crash, a sanitizer
 * report, a mutation that runs beyond CHILD_SECONDS), that mutation is a
 * failure and a new child goes on with the next one. */
static void try_all_forked(struct shared *sh, const struct plan *p)
{
	unsigned long start = 0;
	while (start < p->total) {
		sh->in_progress = ULONG_MAX;
		fflush(stdout);
		fflush(stderr);
		pid_t pid = fork();
		if (pid < 0) {
			perror("mutate: fork");
			exit(99);
		}
		if (pid == 0) {
			try_from(sh, p, start, true);
#ifdef MUTATE_ASAN
			/* what the tries leaked (the test's own memory is reachable) */
			sh->in_progress = LEAK_CHECK;
			__lsan_do_leak_check();
#endif
			fflush(stdout);
			fflush(stderr);
			_exit(0);
		}
		int ws;
		while (waitpid(pid, &ws, 0) < 0) {
			if (errno != EINTR) {
				perror("mutate: waitpid");
				exit(99);
			}
		}
		if (WIFEXITED(ws) && WEXITSTATUS(ws) == 0)
			return;
		unsigned long i = sh->in_progress;
		if (i == ULONG_MAX) {
			fprintf(stderr, "mutate: child died before its first mutation\n");
			exit(99);
		}
		if (i == LEAK_CHECK) {
			sh->c.leaks = 1;
			fprintf(stderr, "FAIL: the tries leaked memory (LeakSanitizer report above)\n");
			return;
		}
		describe(&p->muts[i], i);
		struct counts *c = &sh->c;
		c->crashes++;
		c->handled++;
		c->bad_mutations++;
		if (WIFSIGNALED(ws))
			fail(c, "crashed: %s%s", strsignal(WTERMSIG(ws)),
			     WTERMSIG(ws) == SIGALRM ? " (ran too long)" : "");
		else
			fail(c, "died with exit status %d (sanitizer report above)", WEXITSTATUS(ws));
		current[0] = '\0';
		start = i + 1;
	}
}


static unsigned long env_num(const char *name, unsigned long def)
{
	const char *v = getenv(name);
	if (!v || !*v)
		return def;
	char *end;
	unsigned long long n = strtoull(v, &end, 0);
	if (*end) {
		fprintf(stderr, "mutate: %s=%s is not a number\n", name, v);
		exit(99);
	}
	return (unsigned long)n;
}

int main(int argc, char **argv)
{
	struct sv_buf dir = SV_BUF_INIT;
	if (argc > 1) {
		sv_buf_puts(&dir, argv[1]);
	} else {
		const char *srcdir = getenv("srcdir");
		sv_buf_printf(&dir, "%s/scripts/examples", srcdir && *srcdir ? srcdir : ".");
	}
	uint64_t seed = env_num("MUTATE_SEED", 0);
	if (!seed)
		seed = DEFAULT_SEED;
	unsigned long total = env_num("MUTATE_COUNT", DEFAULT_MUTATIONS);
	bool verbose = env_num("MUTATE_VERBOSE", 0) != 0;
	bool use_fork = env_num("MUTATE_FORK", 1) != 0;
	const char *save = getenv("MUTATE_SAVE");
	if (save && !*save)
		save = NULL;
	const char *only_s = getenv("MUTATE_ONLY");
	long only = only_s && *only_s ? (long)env_num("MUTATE_ONLY", 0) : -1;

	struct sv_settings set;
	sv_settings_init(&set);
	struct sv_buf err = SV_BUF_INIT;
	if (!sv_settings_set(&set, "max-instructions", "100000", &err)) {
		fprintf(stderr, "mutate: max-instructions: %s\n", err.p);
		return 99;
	}

	/* the scripts, compiled */
	size_t nnames = 0;
	char **names = list_scripts(dir.p, &nnames);
	if (!names || nnames == 0) {
		fprintf(stderr, "mutate: no *.sieve scripts in %s\n", dir.p);
		return 99;
	}
	struct script *scripts = sv_calloc(nnames, sizeof *scripts);
	size_t ns = 0;
	unsigned long setup_failed = 0;
	for (size_t i = 0; i < nnames; i++) {
		struct sv_buf path = SV_BUF_INIT, src = SV_BUF_INIT, img = SV_BUF_INIT;
		sv_buf_printf(&path, "%s/%s", dir.p, names[i]);
		if (!read_all(path.p, &src)) {
			fprintf(stderr, "FAIL: cannot read %s\n", path.p);
			setup_failed++;
			goto next;
		}
		struct sv_diags diags;
		sv_diags_init(&diags);
		struct sv_compile_options co = {.settings = NULL};
		if (sv_compile(names[i], src.p ? src.p : "", src.len, &co, &diags, &img, NULL) !=
		    SV_OK) {
			struct sv_buf msg = SV_BUF_INIT;
			sv_diags_render(&diags, &msg, path.p, src.p, src.len);
			fprintf(stderr, "FAIL: %s does not compile:\n%s", path.p, msg.p ? msg.p : "");
			sv_buf_free(&msg);
			setup_failed++;
		} else {
			/* the unmutated image must load */
			struct sv_binary *bin = NULL;
			sv_buf_reset(&err);
			if (sv_bin_load(img.p, img.len, &bin, &err) != SV_OK) {
				fprintf(stderr, "FAIL: %s: the compiled image does not load: %s\n",
					path.p, err.p);
				setup_failed++;
			} else if (img.len <= SV_BIN_HEADER_SIZE) {
				fprintf(stderr, "FAIL: %s: image of %zu bytes\n", path.p, img.len);
				setup_failed++;
			} else {
				struct script *s = &scripts[ns++];
				s->name = sv_strdup(names[i]);
				s->src = sv_buf_steal(&src, &s->srclen);
				s->img = (unsigned char *)sv_buf_steal(&img, &s->len);
			}
			sv_bin_free(bin);
		}
		sv_diags_free(&diags);
	next:
		sv_buf_free(&path);
		sv_buf_free(&src);
		sv_buf_free(&img);
	}

	/* the sample messages */
	struct sv_msg *msgs[NSAMPLES];
	for (size_t i = 0; i < NSAMPLES; i++) {
		struct sv_buf path = SV_BUF_INIT, data = SV_BUF_INIT;
		sv_buf_printf(&path, "%s/messages/%s", dir.p, samples[i].file);
		if (!read_all(path.p, &data)) {
			fprintf(stderr, "mutate: cannot read %s\n", path.p);
			return 99;
		}
		msgs[i] = sv_msg_new(data.p ? data.p : "", data.len);
		sv_buf_free(&path);
		sv_buf_free(&data);
	}
	if (ns == 0) {
		fprintf(stderr, "mutate: no script compiled\n");
		return 99;
	}

	printf("mutate: %zu scripts, %zu messages, %lu mutations, seed 0x%llx\n", ns, NSAMPLES,
	       total, (unsigned long long)seed);
	fflush(stdout);
	struct shared *sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED) {
		perror("mutate: mmap");
		return 99;
	}
	memset(sh, 0, sizeof *sh);
	struct counts *c = &sh->c;
	rng_state = seed;
	struct mutation *muts = sv_calloc(total ? total : 1, sizeof *muts);
	for (unsigned long i = 0; i < total; i++)
		draw(&muts[i], &scripts[i % ns]);
	struct plan plan = {
		.muts = muts,
		.total = total,
		.only = only,
		.verbose = verbose,
		.save = save,
		.msgs = msgs,
		.set = &set,
	};
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (use_fork) {
		try_all_forked(sh, &plan);
	} else {
		install_crash_report();
		try_from(sh, &plan, 0, false);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;

	printf("byte flips:  %lu: rejected %lu (%lu of them in the header), accepted and ran "
	       "safely %lu (%lu unchanged: a CRC byte)\n",
	       c->flips, c->flips_rejected, c->flips_rejected_header, c->flips_ran, c->flips_same);
	printf("truncations: %lu: rejected %lu\n", c->truncs, c->truncs_rejected);
	printf("runs: %lu (ok %lu, fail %lu, tempfail %lu, corrupt %lu, limit %lu, nomem %lu)\n",
	       c->runs, c->st[SV_OK], c->st[SV_FAIL], c->st[SV_TEMPFAIL], c->st[SV_CORRUPT],
	       c->st[SV_LIMIT], c->st[SV_NOMEM]);
	printf("rejected %lu, ran safely %lu, crashed %lu; %.1f s\n",
	       c->flips_rejected + c->truncs_rejected, c->flips_ran, c->crashes, secs);
	unsigned long failed = c->bad_mutations + setup_failed + c->leaks;
	printf("%lu passed, %lu failed\n", c->handled - c->bad_mutations, failed);
	for (size_t i = 0; i < NSAMPLES; i++)
		sv_msg_free(msgs[i]);
	for (size_t i = 0; i < ns; i++) {
		sv_free(scripts[i].name);
		sv_free(scripts[i].src);
		sv_free(scripts[i].img);
	}
	sv_free(scripts);
	sv_free(muts);
	for (size_t i = 0; i < nnames; i++)
		sv_free(names[i]);
	sv_free(names);
	sv_buf_free(&err);
	sv_buf_free(&dir);
	sv_settings_free(&set);
	return failed ? 1 : 0;
}
