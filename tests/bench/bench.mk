## tests/bench: "make bench" times the installed sift against Dovecot
## Pigeonhole on a gen-corpus corpus (not part of "make check").
##   make bench                      corpus generated under bench-work/
##   make bench CORPUS=DIR           use an existing gen-corpus folder
##   make bench QUICK=1              3 runs, 30-message sample (< 2 min)
##   make bench RUNS=N SAMPLE=K      more or fewer runs / messages
## tests/bench/differential.sh compares sift's actions with Pigeonhole's on
## every message (see tests/bench/DIFFERENCES.md); "make bench-differential".
EXTRA_DIST += tests/bench/bench.sh tests/bench/differential.sh tests/bench/DIFFERENCES.md

GEN_CORPUS = $(abs_top_srcdir)/../shared/bench/gen-corpus
BENCH_ROOT = $(abs_top_builddir)/bench-root
BENCH_WORK = $(abs_top_builddir)/bench-work

.PHONY: bench bench-install bench-differential

# Installed binaries, not libtool wrappers, are timed.
bench-install: all
	rm -rf "$(BENCH_ROOT)"
	$(MAKE) $(AM_MAKEFLAGS) install DESTDIR="$(BENCH_ROOT)"

bench: bench-install
	@if test -z "$(CORPUS)" && test ! -f "$(GEN_CORPUS)"; then \
	  echo "bench: gen-corpus not found at $(GEN_CORPUS);" \
	       "set CORPUS=DIR (a gen-corpus folder) or GEN_CORPUS=PATH" >&2; \
	  exit 2; \
	fi
	SIFT_BIN="$(BENCH_ROOT)$(bindir)" SIFT_LIB="$(BENCH_ROOT)$(libdir)" \
	CORPUS="$(CORPUS)" GEN_CORPUS="$(GEN_CORPUS)" WORK="$(BENCH_WORK)" \
	RUNS="$(RUNS)" SAMPLE="$(SAMPLE)" QUICK="$(QUICK)" \
	bash "$(abs_top_srcdir)/tests/bench/bench.sh"

# sift (installed) against Pigeonhole, message by message, on CORPUS
# (default: the corpus "make bench" generated).
bench-differential: bench-install
	SIFT_TEST="$(BENCH_ROOT)$(bindir)/sieve-test" \
	LD_LIBRARY_PATH="$(BENCH_ROOT)$(libdir)$${LD_LIBRARY_PATH:+:$$LD_LIBRARY_PATH}" \
	bash "$(abs_top_srcdir)/tests/bench/differential.sh" -w "$(BENCH_WORK)/differential" \
	  "$${CORPUS:-$(BENCH_WORK)/corpus}"
