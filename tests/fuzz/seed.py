#!/usr/bin/env python3
"""seed.py: build the seed corpus of every fuzz target, so that a campaign
starts from what the tests already know instead of from nothing.

    tests/fuzz/seed.py OUT           (make fuzz-seed: OUT is fuzz-seeds/)

Run from the build folder (the programs sievec is taken from; set
SIFT_BINDIR otherwise), with srcdir set to the source tree when it is not
the current folder. Writes OUT/<target>/ for compile, load, message and
regex, each file named by the SHA-1 of its bytes (duplicates fold):

  compile  tests/fuzz/corpus/compile and regress/compile, every script in
           tests/sieve (*.sieve and the *.svtest files, which are Sieve),
           scripts/**/*.sieve, and the scripts of the hostile cases
           (tests/hostile/cases/*/*.case: their files, and what their
           generators make)
  load     corpus/load and regress/load, and the body (bytes 44..) of
           every compile seed that sievec compiles, and of every binary a
           hostile case crafts
  message  corpus/message and regress/message, scripts/examples/messages,
           every *.eml under tests/, and the hostile cases' messages
  regex    corpus/regex and regress/regex, and every :regex key found in
           the compile seeds, as fuzz_regex.c reads its input: a flags
           byte (each of the four it tries here), the pattern, NUL, and a
           value (the pattern itself, and the first Subject of a sample
           message)

Large inputs (hostile generators make megabytes) are cut to MAX_SEED
bytes: libFuzzer's -max_len defaults to the largest seed, and small inputs
keep the executions fast. The folders are read-only seeds: give libFuzzer
a scratch folder first (see fuzz.mk).
"""
import hashlib
import os
import re
import subprocess
import sys
import tempfile

MAX_SEED = 64 * 1024
TARGETS = ("compile", "load", "message", "regex")
HEADER_SIZE = 44  # SV_BIN_HEADER_SIZE (src/vm/bytecode.h)


def main():
    if len(sys.argv) != 2:
        sys.stderr.write("usage: seed.py OUT\n")
        return 64
    out = sys.argv[1]
    src = os.environ.get("srcdir") or os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                   "..", "..")
    src = os.path.abspath(src)
    bindir = os.path.abspath(os.environ.get("SIFT_BINDIR") or os.getcwd())
    sievec = os.path.join(bindir, "sievec")
    if not os.access(sievec, os.X_OK):
        sys.stderr.write("seed.py: %s not found (set SIFT_BINDIR)\n" % sievec)
        return 69
    seeds = {t: {} for t in TARGETS}

    def add(target, data):
        data = data[:MAX_SEED]
        if data:
            seeds[target][hashlib.sha1(data).hexdigest()] = data

    def read(path):
        with open(path, "rb") as f:
            return f.read()

    def files_under(top, pred):
        for root, dirs, names in os.walk(top):
            dirs.sort()
            for n in sorted(names):
                if pred(n):
                    yield os.path.join(root, n)

    # the existing corpora and regressions
    for t in TARGETS:
        for sub in ("corpus", "regress"):
            d = os.path.join(src, "tests", "fuzz", sub, t)
            if os.path.isdir(d):
                for p in files_under(d, lambda n: True):
                    add(t, read(p))

    # scripts and messages of the test suites and the examples
    for top in ("tests", "scripts"):
        for p in files_under(os.path.join(src, top),
                             lambda n: n.endswith((".sieve", ".svtest"))):
            add("compile", read(p))
        for p in files_under(os.path.join(src, top), lambda n: n.endswith(".eml")):
            add("message", read(p))
    msgdir = os.path.join(src, "scripts", "examples", "messages")
    if os.path.isdir(msgdir):
        for p in files_under(msgdir, lambda n: True):
            add("message", read(p))

    # the hostile cases: their files, and what their generators make
    binaries = []
    cases = os.path.join(src, "tests", "hostile", "cases")
    env = dict(os.environ, HOSTILE=os.path.join(src, "tests", "hostile"), BIN=bindir,
               PYTHON=sys.executable)
    with tempfile.TemporaryDirectory(prefix="sift-seed.") as tmp:
        for n, p in enumerate(files_under(cases, lambda n: n.endswith(".case"))):
            work = os.path.join(tmp, str(n))
            os.mkdir(work)
            if not hostile_case(p, work, env):
                sys.stderr.write("seed.py: %s: the generator failed, skipped\n" % p)
            for name in sorted(os.listdir(work)):
                q = os.path.join(work, name)
                if not os.path.isfile(q):
                    continue
                if name.endswith(".sieve"):
                    add("compile", read(q))
                elif name.endswith(".eml"):
                    add("message", read(q))
                elif name.endswith(".svbin"):
                    binaries.append(read(q))

        # load: the bodies of compiled seeds and of the crafted binaries
        for i, (h, data) in enumerate(sorted(seeds["compile"].items())):
            s = os.path.join(tmp, "s.sieve")
            b = os.path.join(tmp, "s.svbin")
            with open(s, "wb") as f:
                f.write(data)
            r = subprocess.run([sievec, s, b], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
            if r.returncode == 0 and os.path.exists(b):
                add("load", read(b)[HEADER_SIZE:])
                os.unlink(b)
        for data in binaries:
            add("load", data[HEADER_SIZE:])

    # regex: the :regex keys of the scripts
    subject = b"[BUILD] nightly \xe2\x9c\x93 failed: caf\xc3\xa9 a+b@example.org"
    key = re.compile(rb':regex\s+(?::comparator\s+"[^"]*"\s+)?(?:"(?:[^"\\]|\\.)*"\s+|\[[^\]]*\]\s+)?'
                     rb'(\[[^\]]*\]|"(?:[^"\\]|\\.)*")')
    for data in list(seeds["compile"].values()):
        for m in key.finditer(data):
            for pat in re.findall(rb'"((?:[^"\\]|\\.)*)"', m.group(1)):
                pat = re.sub(rb"\\(.)", rb"\1", pat)  # RFC 5228 §2.4.2 quoting
                for flags in (0, 1, 2, 3):
                    add("regex", bytes([flags]) + pat)
                    add("regex", bytes([flags]) + pat + b"\0" + subject)

    for t in TARGETS:
        d = os.path.join(out, t)
        os.makedirs(d, exist_ok=True)
        for h, data in seeds[t].items():
            with open(os.path.join(d, h), "wb") as f:
                f.write(data)
        print("%s: %d seeds in %s" % (t, len(seeds[t]), d))
    return 0


def hostile_case(path, work, env):
    """Write the case's files into work and run its generator there (the
    format is in tests/hostile/run.sh). False when the generator failed."""
    out = None
    gen = []
    files = {}
    with open(path, "rb") as f:
        for line in f:
            if line.startswith(b"=== "):
                what = line[4:].rstrip(b"\n")
                if what.startswith(b"file "):
                    out = files.setdefault(what[5:].decode(), [])
                elif what == b"sh":
                    out = gen
                else:
                    out = None  # expected outputs
                continue
            if out is not None:
                out.append(line)
    for name, lines in files.items():
        with open(os.path.join(work, os.path.basename(name)), "wb") as f:
            f.write(b"".join(lines))
    if not gen:
        return True
    r = subprocess.run(["sh", "-e", "-c", b"".join(gen).decode("utf-8", "replace")], cwd=work,
                       env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       timeout=60)
    return r.returncode == 0


if __name__ == "__main__":
    sys.exit(main())
