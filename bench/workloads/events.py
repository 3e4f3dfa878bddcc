# Benchmark 3: sys.audit in a loop, one event per call for every hook
# (one million unless argv[1] says otherwise).
import sys

audit = sys.audit
for i in range(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000):
    audit("bench.event", i)
