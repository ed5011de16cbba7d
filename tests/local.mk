## tests: unit suites (Check), the Sieve conformance suite, golden files,
## the mutation test and fuzz regressions. Each area adds itself here.
include tests/unit/parser.mk
include tests/unit/mail.mk
include tests/unit/core.mk
include tests/unit/unicode.mk
include tests/golden/golden.mk
include tests/fuzz/fuzz.mk
include tests/bench/bench.mk
include tests/sieve/sieve.mk
include tests/hostile/hostile.mk
include tests/deliver/local.mk
include tests/lda/lda.mk

# Shell tests in subfolders write their .log/.trs files beside them in the
# build folder; a VPATH build (make distcheck) has to make those folders.
check_DATA = tests/.dirs.stamp
tests/.dirs.stamp:
	$(AM_V_at)$(MKDIR_P) tests/golden tests/sieve/runner tests/bench tests/fuzz tests/hostile
	$(AM_V_at)touch $@
CLEANFILES += tests/.dirs.stamp
