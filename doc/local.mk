## doc: the bytecode reference, its opcode table built from opcodes.def
nodist_doc_DATA = doc/bytecode.md
EXTRA_DIST += doc/bytecode.md.in doc/architecture.md
CLEANFILES += doc/bytecode.md
doc/bytecode.md: $(srcdir)/doc/bytecode.md.in $(srcdir)/src/vm/opcodes.def
	$(AM_V_GEN)$(MKDIR_P) doc && \
	sed -n 's/^SV_OP([A-Z]*, *"\([^"]*\)", *"\([^"]*\)", *\([a-z]*\), *"\(.*\)")$$/| `\1` | `\2` | \3 | \4 |/p' \
		$(srcdir)/src/vm/opcodes.def > doc/opcodes.tmp && \
	sed -e '/@OPCODES@/{r doc/opcodes.tmp' -e 'd}' $(srcdir)/doc/bytecode.md.in > $@ && \
	rm -f doc/opcodes.tmp

# Every setting with its default, bounds and aliases, from limits.h.
nodist_doc_DATA += doc/settings.txt
CLEANFILES += doc/settings.txt
doc/settings.txt: sievec$(EXEEXT)
	$(AM_V_GEN)$(MKDIR_P) doc && ./sievec$(EXEEXT) --settings > $@

# Manual pages of the programs; tests/golden/manpages.sh keeps them true
# to each program's --help. sieve-deliver.8 describes the delivery agent.
dist_man1_MANS = doc/sievec.1 doc/sieve-dump.1 doc/sieve-test.1 doc/sieve-testsuite.1
dist_man8_MANS = doc/sieve-deliver.8

# sift.conf(5): the delivery keys written by hand, the engine settings
# generated from limits.h (doc/settings.txt) so the page has every one;
# check_config fails when a delivery key has no entry. The example file,
# every key commented with its default, goes to the documentation folder.
nodist_man5_MANS = doc/sift.conf.5
dist_doc_DATA = doc/sift.conf.example
EXTRA_DIST += doc/sift.conf.5.in doc/settings-man.awk
CLEANFILES += doc/sift.conf.5
doc/sift.conf.5: $(srcdir)/doc/sift.conf.5.in $(srcdir)/doc/settings-man.awk doc/settings.txt
	$(AM_V_GEN)$(MKDIR_P) doc && \
	$(AWK) -f $(srcdir)/doc/settings-man.awk doc/settings.txt > doc/sift.conf.5.tmp && \
	sed -e 's|@sysconfdir[@]|$(sysconfdir)|g' \
	    -e '/^@ENGINE_SETTINGS@$$/{r doc/sift.conf.5.tmp' -e 'd}' \
	    $(srcdir)/doc/sift.conf.5.in > $@ && \
	rm -f doc/sift.conf.5.tmp
