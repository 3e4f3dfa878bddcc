"""make bench: spython side by side with python3 and evmctl, as ratios from
interleaved runs on this machine. Prints one table and writes it, with the
machine and every median, to bench/results.md.

Run by bench/run.sh after bench/setup.sh made the fixtures in $BUILD/bench.
BENCH_ROUNDS=N scales every benchmark's rounds (default 1.0 = the full run).
"""
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

from harness import Cmd, paired_ratio, per_event_ratio, quartiles, run_rounds

BUILD = Path(os.environ["BUILD"])
B = BUILD / "bench"
W = B / "work"
SRC = Path(__file__).resolve().parent.parent
SCALE = float(os.environ.get("BENCH_ROUNDS", "1"))
EVENTS = 1_000_000
FILEOPS = 100_000

rows = []          # the table: one dict per line
details = []       # every command's medians, for results.md


def rounds(n):
    return max(3, int(n * SCALE))


def truncate_logs():
    for f in (B / "log").iterdir():
        os.truncate(f, 0)


def spy(variant, script, *args, label=None):
    return Cmd(label or "spython (%s)" % variant,
               [B / ("spython-" + variant), W / script, *args], before=truncate_logs)


def py3(script, *args):
    return Cmd("python3 -I", [B / "py/bin/python3", "-I", W / script, *args])


def hook(mode, script, *args, line_len=1):
    return Cmd("python3 + %s hook" % mode if mode != "none" else "python3, no hook",
               [B / "hookbench", mode, B / "log/hookbench.jsonl", line_len, W / script, *args],
               before=truncate_logs)


def have(variant):
    return (B / ("spython-" + variant)).exists()


def keep(group, cmds):
    for c in cmds:
        details.append((group, c))


def row(num, what, ratio, target, subject, base, cpu=None):
    """ratio, cpu: (q1, median, q3) of wall-clock and CPU-time ratios; the
    target (('<=' or '>=', limit)) is judged on wall-clock time."""
    op, limit = target
    met = ratio[1] <= limit if op == "<=" else ratio[1] >= limit
    rows.append(dict(num=num, what=what, ratio=ratio, cpu=cpu, met=met, subject=subject, base=base,
                     target="%s %.2f×" % ("≤" if op == "<=" else "≥", limit)))


def ms(c):
    return "%.1f ms" % (c.median() * 1e3)


# 1 and 2 ------------------------------------------------------------------

def bench_trivial():
    base = py3("trivial.py")
    cmds = [base] + [spy(v, "trivial.py") for v in ("pin", "pin-nopie", "list", "ec", "pin-shared") if have(v)]
    run_rounds(cmds, rounds(60))
    keep("1 trivial script", cmds)
    for c in cmds[1:]:
        row(1, "trivial script, %s" % c.label, paired_ratio(c, base), ("<=", 1.05), ms(c), ms(base),
            paired_ratio(c, base, "cpu"))
    return cmds


def bench_imports():
    base = py3("imports.py")
    cmds = [base] + [spy(v, "imports.py") for v in ("pin", "pin-nopie", "list", "ec", "rsa", "pin-shared")
                     if have(v)]
    run_rounds(cmds, rounds(20))
    keep("2 import-heavy script", cmds)
    for c in cmds[1:]:
        row(2, "≈230 stdlib imports, %s" % c.label, paired_ratio(c, base), ("<=", 1.10), ms(c), ms(base),
            paired_ratio(c, base, "cpu"))
    return cmds


# 3 and 5 ------------------------------------------------------------------

def log_line_len(variant):
    """Mean length of the lines spython writes for the event loop."""
    truncate_logs()
    subprocess.run([B / ("spython-" + variant), W / "events.py", "10000"], check=True,
                   stdout=subprocess.DEVNULL)
    log = B / "log" / (variant.split("-")[0] + ".jsonl")
    data = log.read_bytes()
    return max(2, round(len(data) / data.count(b"\n")))


def per_event_row(num, what, subject, floor, base, n, target, unit):
    r, cs, cf = per_event_ratio(subject, floor, base, n)
    row(num, what, r, target, "%.2f µs/%s" % (cs, unit), "%.2f µs/%s" % (cf, unit),
        per_event_ratio(subject, floor, base, n, "cpu")[0])


def bench_events():
    line = log_line_len("pin")
    none, noop = hook("none", "events.py"), hook("noop", "events.py")
    write = hook("write", "events.py", line_len=line)
    subject = spy("pin", "events.py")
    cmds = [none, noop, write, subject, py3("events.py")]
    rules = spy("rules", "events.py", label="spython (100 rules)") if have("rules") else None
    if rules is not None:
        cmds.append(rules)
    run_rounds(cmds, rounds(7), warmup=1)
    keep("3 event loop, %d sys.audit calls (lines of %d bytes)" % (EVENTS, line), cmds)
    per_event_row(3, "per event: spython vs one bare write(2)", subject, write, none, EVENTS,
                  ("<=", 1.5), "event")
    cost = lambda c: (c.median() - none.median()) / EVENTS * 1e6
    details.append(("3 event loop", "per event over the loop without a hook: no-op C hook %.3f µs, "
                    "write(2) hook %.3f µs, spython %.3f µs" % (cost(noop), cost(write), cost(subject))))
    if rules is not None:
        per_event_row(5, "per event: 100-rule policy vs no rules", rules, subject, none, EVENTS,
                      ("<=", 1.2), "event")

    data = W / "data.bin"
    fnone = hook("none", "fileops.py", data)
    fwrite = hook("write", "fileops.py", data, line_len=line)
    fspy = spy("pin", "fileops.py", data)
    fcmds = [fnone, fwrite, fspy]
    run_rounds(fcmds, rounds(7), warmup=1)
    keep("3 file loop, %d open+read+stat" % FILEOPS, fcmds)
    per_event_row(3, "open/stat loop: spython vs one bare write(2)", fspy, fwrite, fnone, FILEOPS,
                  ("<=", 1.5), "iteration")
    return cmds + fcmds


# 4 ------------------------------------------------------------------------

def fresh_tree(name):
    def make():
        dst = B / name
        if dst.exists():
            shutil.rmtree(dst)
        shutil.copytree(B / "stdlib", dst, symlinks=True)
    return make


def bench_signing():
    key = B / "keys/ec.pem"
    sign = Cmd("spython-sign -r", [BUILD / "spython-sign", "-f", "-r", "-q", "-k", key, B / "sign-a"],
               before=fresh_tree("sign-a"))
    evm = Cmd("evmctl ima_sign -r", ["/usr/bin/evmctl", "ima_sign", "-r", "--key", key, B / "sign-b"],
              before=fresh_tree("sign-b"))
    cmds = [evm, sign]
    run_rounds(cmds, rounds(5), warmup=1)
    files = [f for f in (B / "stdlib").rglob("*") if f.is_file() and not f.is_symlink()]
    code = [f for f in files if f.suffix in (".py", ".pyc", ".pth", ".so", ".zip")]
    keep("4 tree signing, same ECDSA-P256 key: spython-sign signs the %d code files, "
         "evmctl all %d regular files" % (len(code), len(files)), cmds)
    q1, med, q3 = paired_ratio(evm, sign)
    row(4, "tree signing: evmctl time / spython-sign time", (q1, med, q3), (">=", 10), ms(sign), ms(evm),
        paired_ratio(evm, sign, "cpu"))
    for d in ("sign-a", "sign-b"):
        shutil.rmtree(B / d, ignore_errors=True)
    return cmds


def bench_rss(groups):
    """6: peak RSS of each spython run against python3 on the same script."""
    for cmds in groups:
        for base in [c for c in cmds if c.label == "python3 -I"]:
            script = base.argv[2]
            base.measure_rss()
            for c in cmds:
                if c.label.startswith("spython") and c.argv[1] == script:
                    c.measure_rss()
                    row(6, "peak RSS, %s, %s" % (Path(script).name, c.label),
                        quartiles([x / base.median("rss") for x in c.rss]), ("<=", 1.10),
                        "%.1f MB" % (c.median("rss") / 1024), "%.1f MB" % (base.median("rss") / 1024))


# the policy engine's own benchmark ----------------------------------------

def policy_engine_bench():
    """bench/policy-rules.sh belongs to the policy engine; its output is quoted."""
    script = SRC / "bench/policy-rules.sh"
    if not script.exists():
        return None
    r = subprocess.run(["make", "-s", "-C", SRC, "BUILD=%s" % BUILD, "bench-policy"],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return r.stdout.strip() + ("" if r.returncode == 0 else "\n(bench-policy failed: %d)" % r.returncode)


# report -------------------------------------------------------------------

def machine():
    cpu = "unknown CPU"
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    deb = Path("/etc/debian_version").read_text().strip() if Path("/etc/debian_version").exists() else "?"
    ssl = subprocess.run(["openssl", "version"], stdout=subprocess.PIPE, text=True).stdout.strip()
    return "%s, %d CPUs, Linux %s, Debian %s, Python %s, %s" % (
        cpu, os.cpu_count(), platform.release(), deb, platform.python_version(), ssl)


def table():
    out = ["| # | benchmark | spython | baseline | ratio, wall (median [IQR]) | ratio, CPU | target | met |",
           "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        q1, med, q3 = r["ratio"]
        out.append("| %d | %s | %s | %s | %.3f [%.3f–%.3f] | %s | %s | %s |" % (
            r["num"], r["what"], r["subject"], r["base"], med, q1, q3,
            "%.3f" % r["cpu"][1] if r["cpu"] else "–", r["target"], "yes" if r["met"] else "**no**"))
    return "\n".join(out)


def detail_lines():
    out = []
    for group, c in details:
        if isinstance(c, str):
            out.append("- %s: %s" % (group, c))
            continue
        w1, wm, w3 = quartiles(c.wall)
        rss = ", peak RSS %.1f MB" % (c.median("rss") / 1024) if c.rss else ""
        out.append("- %s — %s: wall %.1f ms [%.1f–%.1f], cpu %.1f ms%s, %d runs" % (
            group, c.label, wm * 1e3, w1 * 1e3, w3 * 1e3, c.median("cpu") * 1e3, rss, len(c.wall)))
    return "\n".join(out)


def main():
    t0 = time.time()
    only = set(sys.argv[1:])
    groups = []
    for name, fn in (("trivial", bench_trivial), ("imports", bench_imports),
                     ("events", bench_events), ("signing", bench_signing)):
        if not only or name in only:
            print("bench: %s ..." % name, file=sys.stderr, flush=True)
            groups.append(fn())
    bench_rss(groups)
    engine = policy_engine_bench() if not only or "policy" in only else None
    text = table()
    print(text)
    doc = ["# spython benchmark results", "",
           "Written by `make bench` on %s in %.0f s." % (time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                                                          time.time() - t0),
           "Machine: %s." % machine(), "",
           "Ratios are spython over the baseline (for #4: evmctl over spython-sign), taken between",
           "runs of the same round (commands interleaved, order rotating) and summarised by",
           "median and interquartile range. Per-event costs (#3, #5) subtract a run of the same",
           "loop with no audit hook. See README.md, section Performance, for what is measured.", "",
           text, "", "## Medians", "", detail_lines()]
    if engine is not None:
        doc += ["", "## Policy engine (make bench-policy)", "", "```", engine, "```"]
    # A subset is for looking at one thing: the record is written by full runs.
    if not only:
        (SRC / "bench/results.md").write_text("\n".join(doc) + "\n")


if __name__ == "__main__":
    main()
