#!/usr/bin/env bash
# The log fd under attack, event by event. The check before each line
# (audit/log.c) is one statx of the fd's identity; these are the attacks a
# cheaper check would let through: an FD_CLOEXEC test misses dup3(O_CLOEXEC),
# a check every N ms misses a swap that is undone before the next one, a
# flags test misses a file opened with the log's own flags. In each, every
# event raised while the fd was not the log must be in the log anyway.
source "$(dirname "$0")/../lib.sh"
AUDIT=$BUILD/spython-audit
write_policy

# logfd(path): the one fd that names the log (the script closes its copies).
cat > "$LIB/logfd.py" <<'PY'
import os

def logfd(path):
    fds = []
    for name in os.listdir("/proc/self/fd"):
        try:
            if os.readlink("/proc/self/fd/" + name) == path:
                fds.append(int(name))
        except OSError:
            pass
    if len(fds) != 1:
        raise SystemExit("log fds: %r" % fds)
    return fds[0]
PY
sign "$LIB/logfd.py"

# count_events EVENT [REASON]: lines of $LOG for EVENT (with args.reason
# REASON); every line must parse.
count_events() {
    /usr/bin/python3 - "$LOG" "$1" "${2:-}" <<'PY'
import json, sys
n = 0
with open(sys.argv[1], encoding="utf-8") as f:
    for line in f:
        assert line.endswith("\n"), "torn last line"
        e = json.loads(line)
        n += e["event"] == sys.argv[2] and (not sys.argv[3] or e["args"]["reason"] == sys.argv[3])
print(n)
PY
}

# swap.py LOG OTHER HOW N: N times, put OTHER (opened O_WRONLY|O_APPEND, as the
# log is) over the log fd by HOW and raise one event; each time spython
# reopens the log at another number, which the next round finds and takes.
cat > "$T/swap.py" <<'PY'
import os, sys
from logfd import logfd
log, other, how, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
for i in range(n):
    fd = logfd(log)
    o = os.open(other, os.O_WRONLY | os.O_APPEND | os.O_CLOEXEC)
    if how == "dup3":
        os.dup2(o, fd, inheritable=False)       # dup3(O_CLOEXEC): FD_CLOEXEC stays set
    else:
        os.dup2(o, fd)
    os.close(o)
    sys.audit("t.swapped", i)
    os.close(fd)
print("done")
PY
sign "$T/swap.py"

for how in dup3 dup2; do
    : > "$LOG"; : > "$T/other"
    run_spy "$T/swap.py" "$LOG" "$T/other" "$how" 200
    check "$how of another file over the log fd, 200 times: it runs on" \
        bash -c "[ $RC -eq 0 ] && grep -q done '$OUT'"
    check "... each event raised while it was swapped is in the log" \
        test "$(count_events t.swapped)" = 200
    check "... and each swap is noted" \
        test "$(count_events spython.log-reopened "fd replaced")" = 200
    check "... and the other file got nothing" test ! -s "$T/other"
    "$AUDIT" verify "$LOG" > "$T/v.out" 2>&1
    VRC=$?
    check "... and the log's chain is intact" test "$VRC" = 0
done

# Swapped and put back before anything else runs: a check every N ms would
# never see it. The one event in between must be in the log.
cat > "$T/swapback.py" <<'PY'
import os, sys
from logfd import logfd
log, other = sys.argv[1], sys.argv[2]
fd = logfd(log)
saved = os.dup(fd)
o = os.open(other, os.O_WRONLY | os.O_APPEND | os.O_CLOEXEC)
os.dup2(o, fd, inheritable=False)
sys.audit("t.hidden")
os.dup2(saved, fd, inheritable=False)
os.close(saved)
os.close(o)
sys.audit("t.after")
print("done")
PY
sign "$T/swapback.py"
: > "$LOG"; : > "$T/other"
run_spy "$T/swapback.py" "$LOG" "$T/other"
check "swapped for one event and put back: that event is in the log" \
    bash -c "[ $RC -eq 0 ] && [ \"\$(grep -c '\"t.hidden\"' '$LOG')\" = 1 ]"
check "... and not in the other file" test ! -s "$T/other"
log_has "... and the swap is noted" \
    'e["event"] == "spython.log-reopened" and e["args"]["reason"] == "fd replaced"'
check "... and the event after it too" test "$(count_events t.after)" = 1

# /dev/null over the log fd (a character device: no inode a script could make
# collide with the log's).
cat > "$T/null.py" <<'PY'
import os, sys
from logfd import logfd
fd = logfd(sys.argv[1])
os.dup2(os.open("/dev/null", os.O_WRONLY), fd, inheritable=False)
sys.audit("t.after-null")
print("done")
PY
sign "$T/null.py"
: > "$LOG"
run_spy "$T/null.py" "$LOG"
check "/dev/null dup3'd over the log fd: the next event is in the log" \
    test "$(count_events t.after-null)" = 1

# close_range over the log fd (os.closerange), then an event.
cat > "$T/closerange.py" <<'PY'
import os, sys
from logfd import logfd
fd = logfd(sys.argv[1])
os.closerange(3, fd + 100)
sys.audit("t.after-closerange")
print("done")
PY
sign "$T/closerange.py"
: > "$LOG"
run_spy "$T/closerange.py" "$LOG"
check "closerange over the log fd: the next event is in the log" \
    bash -c "[ $RC -eq 0 ] && [ \"\$(grep -c '\"t.after-closerange\"' '$LOG')\" = 1 ]"
log_has "... and the reopening is noted" \
    'e["event"] == "spython.log-reopened" and e["args"]["reason"] == "fd closed"'

finish
