/*
 * regex-int.h: the regex extension's engine, internal to the library and
 * its tests (the fuzz target tests/fuzz/fuzz_regex.c drives it): a cost
 * estimate computed from the pattern before TRE sees it, compile under a
 * memory limit, and a match that never copies the value.
 */
#ifndef SV_EXT_REGEX_INT_H
#define SV_EXT_REGEX_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <wchar.h>

#include "lib/buf.h"
#include "lib/status.h"

/* Upper bounds, from the pattern alone, of what TRE builds (see
 * regex-cost.c for the model): TNFA states, tags, transitions, and the
 * bytes its compile and its parallel matcher need. */
struct sv_regex_cost {
	uint64_t states, tags, transitions;
	uint64_t compile_bytes; /* AST, position sets and the TNFA */
	uint64_t match_bytes;   /* TRE's alloca per match, with captures */
	uint64_t match_bytes_nosub;
	bool bad_bound; /* a repetition bound TRE refuses (over RE_DUP_MAX) */
	bool bad_paren; /* an unmatched ')' right after \\ (TRE loops on it) */
	bool bad_class; /* [:name: without :] (TRE reads past the end) */
	bool bad_hex;   /* \x{...} TRE would copy past its buffer */
};

/* TRE's RE_DUP_MAX: the largest upper bound of x{m,n} */
#define SV_REGEX_DUP_MAX 255

/* Estimate the cost of the code points w[0..n) as an ERE (REG_EXTENDED,
 * with REG_ICASE when icase). SV_FAIL with a reason in err when the
 * pattern uses syntax the estimate cannot bound (TRE's approximate
 * matching, groups nested too deeply). */
enum sv_status sv_regex_estimate(const wchar_t *w, size_t n, bool icase,
				 struct sv_regex_cost *cost_r, struct sv_buf *err);

struct sv_regex;

/* Compile a UTF-8 pattern; refuse it (SV_FAIL, reason in err) when the
 * estimate exceeds limit bytes. nosub: no captures will be asked for. */
enum sv_status sv_regex_compile(const char *key, size_t len, bool icase, bool nosub,
				uint64_t limit, struct sv_regex **re_r, struct sv_buf *err);

/* Does val (UTF-8, any bytes) match? SV_OK with the answer in
 * *matched_r; when pm is given, fills npm entries with byte offsets (-1:
 * group not in the match). SV_NOMEM, with a reason naming the pattern in
 * err, when the match needs a heap stack (see SV_REGEX_STACK_THRESHOLD)
 * and no thread could be started on one: the value was not matched. */
struct sv_regmatch {
	long so, eo;
};
enum sv_status sv_regex_exec(const struct sv_regex *re, const char *val, size_t vlen,
			     struct sv_regmatch *pm, size_t npm, bool *matched_r,
			     struct sv_buf *err);

/* Tests: start the heap-stack match threads with fn instead of
 * pthread_create (NULL restores it), to make their start fail. */
typedef int (*sv_regex_thread_fn)(pthread_t *th, const pthread_attr_t *attr,
				  void *(*start)(void *), void *arg);
void sv_regex_set_thread_hook(sv_regex_thread_fn fn);

/* The estimated bytes of one match (what the heap stack is sized by). */
uint64_t sv_regex_match_bytes(const struct sv_regex *re);

void sv_regex_free(struct sv_regex *re);

/* Matches whose state is estimated above this run on a heap stack. */
#define SV_REGEX_STACK_THRESHOLD (64 * 1024)

#endif
