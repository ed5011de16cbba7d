## scripts: example scripts and sample mail (compiled by make check, used
## by the demo); shipped whole in the release tarball
dist-hook: dist-examples
dist-examples:
	mkdir -p $(distdir)/scripts/examples
	cp -pR $(srcdir)/scripts/examples/. $(distdir)/scripts/examples/
	rm -f $(distdir)/scripts/examples/*.svbin
.PHONY: dist-examples
EXTRA_DIST += scripts/demo.sh
