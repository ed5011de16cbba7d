## tests/fuzz: the mutation test, the fuzz targets and their regressions.
##
## make check runs
##   tests/fuzz/mutate          10,000 byte flips (CRC fixed) and truncations
##                              of the compiled scripts/examples/*.sieve:
##                              sv_bin_load must reject them or the code
##                              must run safely (mutate.c)
##   tests/fuzz/replay_<t>      every file of tests/fuzz/regress/<t>/ fed to
##                              the fuzz target <t> (compile, load, message)
##                              with a plain main() (replay.c): each crash
##                              ever found stays a test
##
## make fuzz builds the libFuzzer binaries in build-fuzz/ under the top
## build folder, a separate configure with clang and ASan+UBSan:
##   build-fuzz/fuzz_compile   input: a Sieve script (fuzz_compile.c)
##   build-fuzz/fuzz_load      input: a binary body, header fixed (fuzz_load.c)
##   build-fuzz/fuzz_message   input: a message (fuzz_message.c)
##   build-fuzz/fuzz_regex     input: flags byte, pattern NUL value (fuzz_regex.c)
## Run one from the top build folder (the corpora and regressions are in
## the source tree: prefix them with $(srcdir)/ in a separate build folder):
##   build-fuzz/fuzz_compile -max_total_time=600 -jobs=1 tests/fuzz/corpus/compile
## libFuzzer writes each new input into the first folder given; to keep the
## source tree clean, give it a scratch folder first and the seeds and the
## regressions after it (read-only):
##   mkdir -p fuzz-work/load && build-fuzz/fuzz_load -max_total_time=600 \
##     -timeout=10 fuzz-work/load tests/fuzz/corpus/load tests/fuzz/regress/load
##
## A campaign starts from seeds: make fuzz-seed (tests/fuzz/seed.py) gathers
## into fuzz-seeds/<t>/ the corpus and regressions, every script of
## tests/sieve and scripts/, every hostile case's script, message and
## binary (their generators run), the compiled bodies of all the scripts
## for load, and the :regex keys of all the scripts for regex. Then, one
## target at a time (15 minutes each for a release, see issue 6):
##   make fuzz fuzz-seed
##   for t in compile load message regex; do
##     mkdir -p fuzz-work/$t && build-fuzz/fuzz_$t -max_total_time=900 \
##       -timeout=10 -rss_limit_mb=2048 fuzz-work/$t fuzz-seeds/$t || break
##   done
## -fork=1 -ignore_crashes=1 goes on fuzzing after a crash. UBSan findings
## are recoverable in this build (so that a known one can be suppressed
## while the fuzzing goes on); make them crashes with
##   export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
## and add :suppressions=FILE (lines like "pointer-overflow:src/vm/vm.c") to
## fuzz past one already reported. A crash is written to ./crash-<sha1>;
## minimise it with
##   build-fuzz/fuzz_load -minimize_crash=1 -runs=10000 crash-<sha1>
## save the result as tests/fuzz/regress/<t>/crash-<what> (make check then
## replays it) and reproduce it without libFuzzer with
##   tests/fuzz/replay_load $(srcdir)/tests/fuzz/regress/load/crash-<what>
## Remove the fuzz build with rm -rf build-fuzz.

check_PROGRAMS += tests/fuzz/mutate tests/fuzz/replay_compile tests/fuzz/replay_load \
	tests/fuzz/replay_message tests/fuzz/replay_regex
TESTS += tests/fuzz/mutate tests/fuzz/replay_compile tests/fuzz/replay_load \
	tests/fuzz/replay_message tests/fuzz/replay_regex

tests_fuzz_mutate_SOURCES = tests/fuzz/mutate.c
tests_fuzz_mutate_LDADD = libsift.la

tests_fuzz_replay_compile_SOURCES = tests/fuzz/replay.c tests/fuzz/fuzz_compile.c tests/fuzz/fuzz_run.h \
	tests/fuzz/fuzz.h
tests_fuzz_replay_compile_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_TARGET='"compile"'
tests_fuzz_replay_compile_LDADD = libsift.la

tests_fuzz_replay_load_SOURCES = tests/fuzz/replay.c tests/fuzz/fuzz_load.c tests/fuzz/fuzz.h \
	tests/fuzz/fuzz_run.h
tests_fuzz_replay_load_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_TARGET='"load"'
tests_fuzz_replay_load_LDADD = libsift.la

tests_fuzz_replay_message_SOURCES = tests/fuzz/replay.c tests/fuzz/fuzz_message.c \
	tests/fuzz/fuzz.h
tests_fuzz_replay_message_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_TARGET='"message"'
tests_fuzz_replay_message_LDADD = libsift.la

tests_fuzz_replay_regex_SOURCES = tests/fuzz/replay.c tests/fuzz/fuzz_regex.c tests/fuzz/fuzz.h
tests_fuzz_replay_regex_CPPFLAGS = $(AM_CPPFLAGS) $(TRE_CFLAGS) -DFUZZ_TARGET='"regex"'
tests_fuzz_replay_regex_LDADD = $(SIFT_PROGRAM_LIBS)

# Whole folders: every file in them is distributed, new crash files too.
EXTRA_DIST += tests/fuzz/regress tests/fuzz/corpus
dist_noinst_SCRIPTS += tests/fuzz/seed.py

## make fuzz: the libFuzzer build (clang; libclang-rt-dev provides libFuzzer).
FUZZ_CC = clang
FUZZ_DIR = build-fuzz
FUZZ_CFLAGS = -g -O1 -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
FUZZ_TARGETS = compile load message regex

fuzz:
	$(AM_V_at)$(MKDIR_P) $(FUZZ_DIR)
	$(AM_V_GEN)cd $(FUZZ_DIR) && if test ! -f Makefile; then \
	  $(abs_top_srcdir)/configure -q CC='$(FUZZ_CC)' CFLAGS='$(FUZZ_CFLAGS)' \
	    --disable-shared --enable-static --disable-werror; fi
	$(AM_V_at)$(MAKE) $(AM_MAKEFLAGS) -C $(FUZZ_DIR) libsift.la
	$(AM_V_at)for t in $(FUZZ_TARGETS); do \
	  echo "  CCLD     $(FUZZ_DIR)/fuzz_$$t"; \
	  $(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -std=gnu11 -Wall -Wextra -D_GNU_SOURCE \
	    -I$(abs_top_srcdir)/src -I$(FUZZ_DIR)/src -I$(FUZZ_DIR) $(TRE_CFLAGS) \
	    $(abs_top_srcdir)/tests/fuzz/fuzz_$$t.c $(FUZZ_DIR)/.libs/libsift.a $(TRE_PROGRAM_LIBS) \
	    -o $(FUZZ_DIR)/fuzz_$$t || exit 1; \
	done
.PHONY: fuzz

fuzz-seed: sievec$(EXEEXT)
	$(AM_V_GEN)srcdir='$(srcdir)' SIFT_BINDIR='$(abs_builddir)' python3 \
	  $(srcdir)/tests/fuzz/seed.py fuzz-seeds
.PHONY: fuzz-seed
