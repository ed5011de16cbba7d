## tests/hostile: the hostile-input suite (issue 6). run.sh runs every
## tests/hostile/cases/<kind>/*.case (the format is in run.sh) under the
## limit helper, which caps time and address space and reports the peak
## RSS.
## Large inputs are generated at run time by the cases, never committed.
check_PROGRAMS += tests/hostile/limit
tests_hostile_limit_SOURCES = tests/hostile/limit.c
TESTS += tests/hostile/run.sh
dist_noinst_SCRIPTS += tests/hostile/run.sh tests/hostile/svbin.py
# The whole folder of cases: a new case needs no edit here.
EXTRA_DIST += tests/hostile/cases
