# Benchmark 3: file operations in a loop. Each iteration raises one audit
# event (open); os.stat raises none, so it shows how the hook's cost is
# diluted by real work.
import os
import sys

path = sys.argv[1]
for i in range(int(sys.argv[2]) if len(sys.argv) > 2 else 100_000):
    with open(path, "rb") as f:
        f.read()
    os.stat(path)
