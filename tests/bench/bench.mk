## tests/bench: "make bench" times the installed sift against Dovecot
## Pigeonhole on a gen-corpus corpus (not part of "make check").
##   make bench                      corpus generated under bench-work/
##   make bench CORPUS=DIR           use an existing gen-corpus folder
##   make bench QUICK=1              3 runs, 30-message sample (< 2 min)
##   make bench RUNS=N SAMPLE=K      more or fewer runs / messages
## tests/bench/memory.sh prints the peak RSS of sieve-test on generated 1 MB
## and 100 MB messages ("make bench" runs it first; "make bench-memory"
## alone, SIZES="1 100" by default).
## tests/bench/differential.sh compares sift's actions with Pigeonhole's on
## every message (see tests/bench/DIFFERENCES.md); "make bench-differential".
## tests/bench/differential-ext.sh compares the extensions on small corner-case
## scripts (tests/bench/differential-ext/); "make bench-differential-ext".
## tests/bench/lda.sh: messages per second of sieve-deliver doing real Maildir
## delivery beside dovecot-lda, one process per message ("make bench" runs it
## last; "make bench-lda" alone; SAMPLE, RUNS, LDA_SCRIPTS as in lda.sh).
EXTRA_DIST += tests/bench/bench.sh tests/bench/differential.sh tests/bench/DIFFERENCES.md \
	tests/bench/memory.sh tests/bench/lda.sh tests/bench/differential-ext.sh \
	tests/bench/differential-ext.py tests/bench/differential-ext/cases.txt \
	tests/bench/differential-ext/messages.txt tests/bench/differential-ext/known.txt

GEN_CORPUS = $(abs_top_srcdir)/../shared/bench/gen-corpus
BENCH_ROOT = $(abs_top_builddir)/bench-root
BENCH_WORK = $(abs_top_builddir)/bench-work

.PHONY: bench bench-install bench-differential bench-differential-ext bench-memory bench-lda \
	bench-lda-run

# Installed binaries, not libtool wrappers, are timed.
bench-install: all
	rm -rf "$(BENCH_ROOT)"
	$(MAKE) $(AM_MAKEFLAGS) install DESTDIR="$(BENCH_ROOT)"

# Peak memory of one delivery; messages are made in a temporary folder.
bench-memory: bench-install
	SIFT_BIN="$(BENCH_ROOT)$(bindir)" SIFT_LIB="$(BENCH_ROOT)$(libdir)" \
	SIZES="$(SIZES)" KINDS="$(KINDS)" bash "$(abs_top_srcdir)/tests/bench/memory.sh"

bench: bench-memory
	@if test -z "$(CORPUS)" && test ! -f "$(GEN_CORPUS)"; then \
	  echo "bench: gen-corpus not found at $(GEN_CORPUS);" \
	       "set CORPUS=DIR (a gen-corpus folder) or GEN_CORPUS=PATH" >&2; \
	  exit 2; \
	fi
	SIFT_BIN="$(BENCH_ROOT)$(bindir)" SIFT_LIB="$(BENCH_ROOT)$(libdir)" \
	CORPUS="$(CORPUS)" GEN_CORPUS="$(GEN_CORPUS)" WORK="$(BENCH_WORK)" \
	RUNS="$(RUNS)" SAMPLE="$(SAMPLE)" QUICK="$(QUICK)" \
	bash "$(abs_top_srcdir)/tests/bench/bench.sh"
	$(MAKE) $(AM_MAKEFLAGS) bench-lda-run

# sieve-deliver against dovecot-lda; the corpus is the one "make bench" made.
bench-lda: bench-install bench-lda-run
bench-lda-run:
	SIFT_BIN="$(BENCH_ROOT)$(bindir)" CORPUS="$(CORPUS)" GEN_CORPUS="$(GEN_CORPUS)" \
	WORK="$(BENCH_WORK)" SAMPLE="$(SAMPLE)" RUNS="$(LDA_RUNS)" \
	bash "$(abs_top_srcdir)/tests/bench/lda.sh"

# sift (installed) against Pigeonhole, message by message, on CORPUS
# (default: the corpus "make bench" generated).
bench-differential: bench-install
	SIFT_TEST="$(BENCH_ROOT)$(bindir)/sieve-test" \
	LD_LIBRARY_PATH="$(BENCH_ROOT)$(libdir)$${LD_LIBRARY_PATH:+:$$LD_LIBRARY_PATH}" \
	bash "$(abs_top_srcdir)/tests/bench/differential.sh" -w "$(BENCH_WORK)/differential" \
	  "$${CORPUS:-$(BENCH_WORK)/corpus}"

# sift (build folder) against Pigeonhole on the extension corner cases.
bench-differential-ext: all
	SIFT_TEST="$(abs_top_builddir)/sieve-test" \
	bash "$(abs_top_srcdir)/tests/bench/differential-ext.sh"
