"""Repeated-run harness for `make bench`.

The machines we measure on are shared and noisy, so commands that are to be
compared run interleaved: every round runs each command once, in an order that
rotates from round to round, and a ratio is taken between runs of the same
round before the median over rounds. Each run is timed around posix_spawn and
wait4, which also gives its CPU time; peak RSS is measured in runs of its own.
"""
import atexit
import os
import shutil
import statistics
import tempfile
import time

_tmp = tempfile.mkdtemp(prefix="spython-bench.")
atexit.register(shutil.rmtree, _tmp, True)
ERRFILE = os.path.join(_tmp, "stderr")
RSSFILE = os.path.join(_tmp, "rss")


class Cmd:
    def __init__(self, label, argv, before=None):
        self.label = label
        self.argv = [str(a) for a in argv]
        self.before = before            # called before every run, untimed
        self.wall = []
        self.cpu = []
        self.rss = []                   # filled by measure_rss, not by timed runs

    def run_once(self, wrapper=()):
        """Wall and CPU seconds of one run (stderr kept for a failure report)."""
        if self.before is not None:
            self.before()
        argv = list(wrapper) + self.argv
        null = os.open(os.devnull, os.O_RDWR)
        err = os.open(ERRFILE, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        acts = [(os.POSIX_SPAWN_DUP2, null, 0), (os.POSIX_SPAWN_DUP2, null, 1),
                (os.POSIX_SPAWN_DUP2, err, 2)]
        t0 = time.perf_counter_ns()
        pid = os.posix_spawn(argv[0], argv, os.environ, file_actions=acts)
        _, status, ru = os.wait4(pid, 0)
        t1 = time.perf_counter_ns()
        os.close(null)
        os.close(err)
        if os.waitstatus_to_exitcode(status) != 0:
            with open(ERRFILE) as f:
                raise RuntimeError("%s: exit status %d: %s\n%s" % (
                    self.label, os.waitstatus_to_exitcode(status), " ".join(argv), f.read()[-2000:]))
        return (t1 - t0) / 1e9, ru.ru_utime + ru.ru_stime

    def measure_rss(self, runs=3):
        """Peak RSS in KiB, from GNU time around the command. Not from the
        timed runs: a spawned child's ru_maxrss starts at its parent's peak
        (the kernel records the old mm's high-water mark at exec), and this
        harness is larger than a small script. The executable is read whole
        first: page faults map the cached pages around the one touched, so
        the peak depends on how much of the file is in the page cache, and a
        binary that was just built or copied is cached differently from one
        that ran for days; fully cached is that steady state, for every
        command alike."""
        with open(self.argv[0], "rb") as f:
            while f.read(1 << 20):
                pass
        for _ in range(runs):
            self.run_once(("/usr/bin/time", "-f", "%M", "-o", RSSFILE))
            with open(RSSFILE) as f:
                self.rss.append(int(f.read().split()[-1]))

    def median(self, what="wall"):
        return statistics.median(getattr(self, what))


def run_rounds(cmds, rounds, warmup=2):
    """Run every command `rounds` times, interleaved; warm-up runs are dropped."""
    for r in range(warmup + rounds):
        k = r % len(cmds)
        for c in cmds[k:] + cmds[:k]:
            wall, cpu = c.run_once()
            if r >= warmup:
                c.wall.append(wall)
                c.cpu.append(cpu)
    return cmds


def quartiles(xs):
    q = statistics.quantiles(xs, n=4, method="inclusive")
    return q[0], statistics.median(xs), q[2]


def paired_ratio(a, b, what="wall"):
    """Median and interquartile range of a/b over rounds (same-round pairs)."""
    return quartiles([x / y for x, y in zip(getattr(a, what), getattr(b, what))])


def per_event_ratio(subject, floor, base, n, what="wall"):
    """Per-event cost (subject - base) / (floor - base) over rounds; also the
    median per-event costs in microseconds."""
    s, f, b = (getattr(c, what) for c in (subject, floor, base))
    ratios = [(x - z) / (y - z) for x, y, z in zip(s, f, b)]
    cost = lambda c: (statistics.median(getattr(c, what)) - statistics.median(b)) / n * 1e6
    return quartiles(ratios), cost(subject), cost(floor)
