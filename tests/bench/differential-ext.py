#!/usr/bin/env python3
"""differential-ext.py: the runner of tests/bench/differential-ext.sh.

Runs every case of differential-ext/cases.txt with sift's sieve-test and
with Pigeonhole's, normalises both outputs to one list of outcomes and
prints SAME, KNOWN (a difference explained in known.txt) or DIFF per case.

  differential-ext.py WORK SIFT_TEST PIG_SIEVE_TEST PIG_CONF AS_USER [CASE...]

Outcomes: COMPILE-ERROR; or the actions in order, "store:FOLDER[flags]",
"keep" (an explicit store into INBOX), "implicit-keep", "redirect:ADDR",
"discard", "reject", "vacation", "notify", then RUNTIME-ERROR when the run
failed. "# mode: exec" cases compare only the vacation decision
(vacation-sent with the reply's subject, or vacation-suppressed) of a
real execution: Pigeonhole's
dry run lists a vacation action whatever it would decide. An iso8601 date
part "...Z" is written "+00:00" (both are RFC 3339).
"""
import email.header
import os
import re
import shlex
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "differential-ext")


def blocks(path):
    """The "=== name" blocks of a file, in order."""
    out, name, buf = [], None, []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("=== "):
                if name:
                    out.append((name, "".join(buf)))
                name, buf = line[4:].strip(), []
            elif name:
                buf.append(line)
    if name:
        out.append((name, "".join(buf)))
    return out


def meta(text):
    m = {"msg": "plain.eml", "args": "-f sender@example.org -a me@example.com",
         "o": "", "mode": "", "include-only": False}
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        mm = re.match(r"#\s*(msg|args|o|mode):\s*(.*)", line)
        if mm:
            m[mm.group(1)] = mm.group(2).strip()
        elif line.strip() == "# include-only":
            m["include-only"] = True
    return m


def flags(s):
    return "[" + " ".join(sorted(x.lower() for x in s.split())) + "]"


def norm_pigeonhole(out):
    if "failed to compile" in out:
        return ["COMPILE-ERROR"]
    acts, sec = [], None
    for line in out.splitlines():
        if line.startswith("Performed actions"):
            sec = "a"
            continue
        if line.startswith("Implicit keep"):
            sec = "k"
            continue
        s = line.strip()
        if s.startswith("+ add IMAP flags:") and acts:
            acts[-1] += flags(s.split(":", 1)[1])
        elif sec == "a":
            if s.startswith("* store message in folder: "):
                f = s[len("* store message in folder: "):]
                acts.append("keep" if f == "INBOX" else "store:" + f)
            elif s.startswith("* redirect message to:"):
                acts.append("redirect:" + s.split(":", 1)[1].strip().strip("<>"))
            elif s.startswith("* discard"):
                acts.append("discard")
            elif s.startswith("* reject"):
                acts.append("reject")
            elif s.startswith("* send vacation"):
                acts.append("vacation")
            elif s.startswith("* send notification"):
                acts.append("notify")
            elif s.startswith("* track"):
                pass
            elif s.startswith("* "):
                acts.append("?" + s[2:])
        elif sec == "k" and s.startswith("* store message in folder: INBOX"):
            acts.append("implicit-keep")
    if "final result: failed" in out:
        if "resolved with successful implicit keep" in out:
            acts.append("implicit-keep")
        acts.append("RUNTIME-ERROR")
    return acts


def norm_sift(out, err):
    if re.search(r"\.sieve:\d+:\d+: error", err):
        return ["COMPILE-ERROR"]
    acts = []
    for line in out.splitlines():
        s = re.sub(r" \(line \d+\)$", "", line.strip())
        s = s.replace(" (created when missing)", "")
        if s.startswith("* implicit keep"):
            acts.append("implicit-keep")
        elif s.startswith("* store message in folder: "):
            acts.append("store:" + s[len("* store message in folder: "):])
        elif s.startswith("* keep message in INBOX"):
            acts.append("keep")
        elif s.startswith("with flags [") and acts:
            acts[-1] += flags(s[len("with flags ["):-1])
        elif s.startswith("* redirect message to:"):
            acts.append("redirect:" + s.split(":", 1)[1].strip().split(" ")[0])
        elif s.startswith("* discard"):
            acts.append("discard")
        elif s.startswith("* reject") or s.startswith("* ereject"):
            acts.append("reject")
        elif s.startswith("* vacation: no reply") or s.startswith("* track"):
            pass
        elif s.startswith("* send vacation"):
            acts.append("vacation")
        elif s.startswith("* send notification"):
            acts.append("notify")
        elif s.startswith("* "):
            acts.append("?" + s[2:])
    if "error:" in err:
        acts.append("RUNTIME-ERROR")
    return acts


def vacation_pigeonhole(out):
    if "failed to compile" in out:
        return ["COMPILE-ERROR"]
    r = []
    if "sent vacation response" in out:
        r.append("vacation-sent")
        m = re.search(r"^Subject: (.*)$", out, re.M)
        if m:
            r.append("subject=" + str(email.header.make_header(
                email.header.decode_header(m.group(1)))).strip())
    elif "vacation action" in out and "final result: failed" not in out:
        r.append("vacation-suppressed")
    if "final result: failed" in out:
        r.append("RUNTIME-ERROR")
    return r


def vacation_sift(out):
    if re.search(r"\.sieve:\d+:\d+: error", out):
        return ["COMPILE-ERROR"]
    r = []
    if "* send vacation reply" in out:
        r.append("vacation-sent")
        m = re.search(r"\* send vacation reply .*? subject: (.*?) \(line \d+\)$", out, re.M)
        if m:
            r.append("subject=" + m.group(1).strip())
    elif "* vacation: no reply" in out:
        r.append("vacation-suppressed")
    if ": error:" in out:
        r.append("RUNTIME-ERROR")
    return r


def iso(acts):
    return [re.sub(r"(T\d\d:\d\d:\d\d)Z", r"\1+00:00", a) for a in acts]


def main():
    work, sift, pig, conf, user = sys.argv[1:6]
    only = set(sys.argv[6:])
    cases = blocks(os.path.join(DATA, "cases.txt"))
    known = {}
    for line in open(os.path.join(DATA, "known.txt"), encoding="utf-8"):
        if line.strip() and not line.startswith("#"):
            name, _, why = line.partition(" ")
            known[name] = why.strip()
    sdir, mdir, home = (os.path.join(work, d) for d in ("scripts", "messages", "home"))
    for d in (sdir, mdir, home):
        os.makedirs(d, exist_ok=True)
    for name, text in blocks(os.path.join(DATA, "messages.txt")):
        with open(os.path.join(mdir, name), "w", encoding="utf-8") as f:
            f.write(text)
    for name, text in cases:
        with open(os.path.join(sdir, name + ".sieve"), "w", encoding="utf-8") as f:
            f.write(text)
    subprocess.run(["chmod", "-R", "a+rwX", work], check=True)
    counts = {"SAME": 0, "KNOWN": 0, "DIFF": 0}
    for name, text in cases:
        m = meta(text)
        if m["include-only"] or (only and name not in only):
            continue
        script = os.path.join(sdir, name + ".sieve")
        msg = os.path.join(mdir, m["msg"])
        keys = m["o"].split()
        so = " ".join("-o " + shlex.quote(k.replace("~", " ")) for k in keys)
        po = " ".join("-o " + shlex.quote("plugin/" + k.replace("~", " ")) for k in keys)
        ex = "-e" if m["mode"] == "exec" else ""
        subprocess.run(f"rm -rf {shlex.quote(home)}/* {shlex.quote(home)}/.[a-z]*", shell=True)
        cmd = (f"HOME={shlex.quote(home)} {pig} -c {conf} -C {ex} "
               f"-o plugin/sieve=file:{sdir} -o plugin/sieve_global={sdir} {po} "
               f"{m['args']} -r me@example.com {shlex.quote(script)} {shlex.quote(msg)}")
        argv = ["su", user, "-s", "/bin/sh", "-c", cmd] if user else ["sh", "-c", cmd]
        p = subprocess.run(argv, capture_output=True, text=True)
        pout = p.stdout + p.stderr
        for f in os.listdir(sdir):
            if f.endswith(".svbin"):
                os.unlink(os.path.join(sdir, f))
        q = subprocess.run(f"{sift} -P {sdir} -G {sdir} {so} {m['args']} "
                           f"{shlex.quote(script)} {shlex.quote(msg)}",
                           shell=True, capture_output=True, text=True)
        if m["mode"] == "exec":
            a, b = vacation_pigeonhole(pout), vacation_sift(q.stdout + q.stderr)
        else:
            a, b = norm_pigeonhole(pout), norm_sift(q.stdout, q.stderr)
        a, b = iso(a), iso(b)
        verdict = "SAME" if a == b else ("KNOWN" if name in known else "DIFF")
        counts[verdict] += 1
        line = f"{verdict:5} {name}  pigeonhole={','.join(a)}  sift={','.join(b)}"
        if verdict == "KNOWN":
            line += f"  ({known[name]})"
        print(line)
        if verdict == "DIFF" and os.environ.get("VERBOSE"):
            print("  pigeonhole:\n    " + pout.strip().replace("\n", "\n    "))
            print("  sift:\n    " + (q.stdout + q.stderr).strip().replace("\n", "\n    "))
    print(f"{counts['SAME']} same, {counts['KNOWN']} known differences, "
          f"{counts['DIFF']} unexplained differences")
    return 1 if counts["DIFF"] else 0


if __name__ == "__main__":
    sys.exit(main())
