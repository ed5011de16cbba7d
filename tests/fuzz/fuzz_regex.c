/*
 * fuzz_regex.c: fuzz target for the :regex engine (src/ext/regex-int.h,
 * draft-ietf-sieve-regex-01 §3) with hostile patterns and values. Input:
 * one flags byte, then the pattern up to the first NUL, then the value
 * (any bytes; the pattern is also the value when there is no NUL).
 * Flags: bit 0 REG_ICASE (i;ascii-casemap), bit 1 captures, bits 2-3 the
 * limit (64 KiB, 512 KiB, 4 MiB, 16 MiB: the larger ones put the match on
 * the heap stack).
 *
 * Oracle: compile either refuses with a reason or gives a regex; a match
 * gives byte offsets inside the value on character boundaries; and when
 * the match state is small, TRE's own wide-character matcher over a
 * decoded copy of the value (what regex.c did before tre_str_source) must
 * agree on the outcome and every capture.
 *
 * libFuzzer: build-fuzz/fuzz_regex (`make fuzz`, see fuzz.mk);
 * make check: tests/fuzz/replay_regex replays tests/fuzz/regress/regex/.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tre/tre.h>

#include "ext/regex-int.h"
#include "fuzz.h"
#include "lib/alloc.h"
#include "lib/buf.h"
#include "lib/utf8.h"

static const uint64_t limits[4] = {64 * 1024, 512 * 1024, 4u << 20, 16u << 20};

/* The value decoded as regex.c decodes it; offs[i]: byte offset of
 * character i, offs[n] = len. */
static wchar_t *decode(const char *s, size_t len, size_t *n_r, size_t **offs_r)
{
	wchar_t *w = sv_malloc((len + 1) * sizeof *w);
	size_t *offs = sv_malloc((len + 1) * sizeof *offs);
	size_t n = 0, i = 0;
	while (i < len) {
		uint32_t cp = (unsigned char)s[i];
		size_t l = 1;
		if (cp >= 0x80) {
			l = sv_utf8_decode(s + i, len - i, &cp);
			if (l == 0) {
				cp = 0xdc00 + (unsigned char)s[i];
				l = 1;
			}
		}
		offs[n] = i;
		w[n++] = (wchar_t)cp;
		i += l;
	}
	offs[n] = len;
	w[n] = 0; /* as regex.c's: TRE's parser may look one past a trailing \x */
	*n_r = n;
	*offs_r = offs;
	return w;
}

static void check_reference(const char *pat, size_t plen, const char *val, size_t vlen,
			    bool icase, bool captures, bool matched,
			    const struct sv_regmatch *pm)
{
	size_t pn, vn, *poffs, *voffs;
	wchar_t *pw = decode(pat, plen, &pn, &poffs);
	wchar_t *vw = decode(val, vlen, &vn, &voffs);
	regex_t re;
	int flags = REG_EXTENDED | (icase ? REG_ICASE : 0) | (captures ? 0 : REG_NOSUB);
	if (tre_regwncomp(&re, pw, pn, flags) != 0) {
		fprintf(stderr, "fuzz_regex: sv_regex_compile took what TRE refuses\n");
		abort();
	}
	regmatch_t tpm[16];
	int rc = tre_regwnexec(&re, vw, vn, captures ? 16 : 0, captures ? tpm : NULL, 0);
	if ((rc == 0) != matched) {
		fprintf(stderr, "fuzz_regex: character source says %d, wide copy %d\n", matched,
			rc == 0);
		abort();
	}
	for (size_t i = 0; matched && captures && i < 16; i++) {
		long so = tpm[i].rm_so < 0 ? -1 : (long)voffs[tpm[i].rm_so];
		long eo = tpm[i].rm_so < 0 ? -1 : (long)voffs[tpm[i].rm_eo];
		if (so != pm[i].so || eo != pm[i].eo) {
			fprintf(stderr, "fuzz_regex: capture %zu: [%ld,%ld] against [%ld,%ld]\n", i,
				pm[i].so, pm[i].eo, so, eo);
			abort();
		}
	}
	tre_regfree(&re);
	sv_free(pw);
	sv_free(poffs);
	sv_free(vw);
	sv_free(voffs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	unsigned flags = data[0];
	const char *pat = (const char *)data + 1;
	size_t plen = size - 1;
	const char *nul = memchr(pat, '\0', plen);
	const char *val = pat;
	size_t vlen = plen;
	if (nul) {
		plen = (size_t)(nul - pat);
		val = nul + 1;
		vlen = size - 1 - plen - 1;
	}
	bool icase = flags & 1, captures = flags & 2;
	struct sv_regex *re = NULL;
	struct sv_buf err = SV_BUF_INIT;
	enum sv_status st =
		sv_regex_compile(pat, plen, icase, !captures, limits[(flags >> 2) & 3], &re, &err);
	if (st != SV_OK) {
		if (!err.p || !err.len) {
			fprintf(stderr, "fuzz_regex: refused without a reason\n");
			abort();
		}
		sv_buf_free(&err);
		return 0;
	}
	struct sv_regmatch pm[16];
	bool matched;
	if (sv_regex_exec(re, val, vlen, captures ? pm : NULL, captures ? 16 : 0, &matched, &err) !=
	    SV_OK) {
		/* no thread for the heap stack: a resource failure, reported */
		if (!err.len) {
			fprintf(stderr, "fuzz_regex: match failed without a reason\n");
			abort();
		}
		sv_regex_free(re);
		sv_buf_free(&err);
		return 0;
	}
	for (size_t i = 0; matched && captures && i < 16; i++) {
		if (pm[i].so == -1 && pm[i].eo == -1)
			continue;
		if (pm[i].so < 0 || pm[i].eo < pm[i].so || (size_t)pm[i].eo > vlen) {
			fprintf(stderr, "fuzz_regex: capture %zu out of the value\n", i);
			abort();
		}
	}
	/* the reference runs TRE's alloca on this stack: small states only */
	if (sv_regex_match_bytes(re) <= SV_REGEX_STACK_THRESHOLD)
		check_reference(pat, plen, val, vlen, icase, captures, matched, pm);
	sv_regex_free(re);
	sv_buf_free(&err);
	return 0;
}
