# Benchmark 1: the smallest signed script; what is measured is start-up.
pass
