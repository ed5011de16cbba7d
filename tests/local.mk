## tests: unit suites (Check), the Sieve conformance suite, golden files,
## the mutation test and fuzz regressions. Each area adds itself here.
include tests/unit/parser.mk
include tests/unit/mail.mk
include tests/unit/core.mk
include tests/golden/golden.mk
include tests/fuzz/fuzz.mk
include tests/bench/bench.mk
include tests/sieve/sieve.mk
