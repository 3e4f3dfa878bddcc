#!/usr/bin/env bash
# Sinks for fleets (issue 5): every line also goes to syslog (RFC 5424 over a
# unix socket), journald (structured fields) and Linux audit, each a real
# receiver started by this test: its own rsyslogd on its own socket, a
# systemd-journald in a private mount namespace, the kernel's audit
# multicast. The file stays the ground truth: a dead collector refuses
# nothing, and the file says what the collector missed.
source "$(dirname "$0")/../lib.sh"
RS=$T/rsyslog
mkdir -p "$RS"
RS_PID="" audit_was=""
# Whatever happens, the test's rsyslogd stops and the kernel's audit switch
# is put back as it was.
cleanup() {
    [ -z "$RS_PID" ] || kill "$RS_PID" 2> /dev/null
    [ -z "$audit_was" ] || /usr/bin/python3 "$T/auditnl.py" set "$audit_was" 2> /dev/null
    rm -rf "$T"
}
trap cleanup EXIT

cat > "$T/events.py" <<'PY'
import os, sys
sys.audit("fleet.hello", "from spython")
sys.audit("fleet.bulky", ["x" * 4000] * 40)          # a line too long for syslog
try:
    os.system("true")
except PermissionError:
    pass
PY
sign "$T/events.py"

# wait_for FILE PYTHON-EXPR-OVER-TEXT: up to 10 s for FILE to satisfy it.
wait_for() {
    local i
    for i in $(seq 100); do
        [ -f "$1" ] && /usr/bin/python3 -c "import sys; t = open(sys.argv[1], errors='replace').read(); sys.exit(0 if ($2) else 1)" "$1" 2> /dev/null && return 0
        sleep 0.1
    done
    return 1
}

# --- syslog: a private rsyslogd ----------------------------------------------------
RSYSLOGD=$(command -v rsyslogd || true)
rs_start() {
    cat > "$RS/rsyslog.conf" <<EOF
global(workDirectory="$RS" maxMessageSize="64k")
module(load="imuxsock" SysSock.Use="off")
input(type="imuxsock" Socket="$RS/log.sock" UseSpecialParser="off" ParseHostname="on")
template(name="fields" type="string"
         string="%APP-NAME%|%PROCID%|%MSGID%|%syslogfacility-text%.%syslogseverity-text%|%msg%\n")
action(type="omfile" file="$RS/messages" template="fields")
EOF
    "$RSYSLOGD" -n -f "$RS/rsyslog.conf" -i "$RS/pid" > "$RS/stderr" 2>&1 &
    RS_PID=$!
    local i
    for i in $(seq 50); do [ -S "$RS/log.sock" ] && return 0; sleep 0.1; done
    return 1
}
rs_stop() { kill "$RS_PID" 2> /dev/null; wait "$RS_PID" 2> /dev/null; RS_PID=""; rm -f "$RS/log.sock"; }

if [ -z "$RSYSLOGD" ]; then
    echo "skip: syslog checks need rsyslogd (make deps)"
else
    rs_start
    write_policy "deny os.system" "log-sink syslog $RS/log.sock"
    run_spy "$T/events.py"
    check "syslog sink: the script runs" test "$RC" -eq 0
    nlines=$(wc -l < "$LOG")
    wait_for "$RS/messages" "t.count('\n') >= $nlines"
    check "syslog sink: every line of the file reached rsyslogd, in order, byte for byte" \
        /usr/bin/python3 - "$LOG" "$RS/messages" <<'PY'
import json, sys
lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
msgs = [m.split("|", 4) for m in open(sys.argv[2], encoding="utf-8").read().splitlines()]
assert len(msgs) == len(lines), (len(msgs), len(lines))
for line, (app, procid, msgid, prio, msg) in zip(lines, msgs):
    e = json.loads(line)
    assert app == "spython" and procid == str(e["pid"]), (app, procid)
    assert msgid == (e["event"] if len(e["event"]) <= 32 else "-"), (msgid, e["event"])
    assert prio == ("authpriv.info" if e["decision"] == "allow" else "authpriv.warning"), prio
    if len(line) <= 64 * 1024 - 512:
        assert msg == line, (msg[:200], line[:200])
    else:      # the stub names the line by its chain, seq and hash
        s = json.loads(msg)
        assert (s["chain"], s["seq"], s["hash"], s["len"]) == (e["chain"], e["seq"], e["hash"], len(line)), s
        assert "whole in the log file" in s["truncated"]
PY
    check "syslog sink: the long line went as a stub" grep -q '"truncated":"too long for syslog' "$RS/messages"

    # The collector goes away: nothing is refused, the file says so; it comes
    # back: the file says how many lines it missed.
    rs_stop
    cat > "$T/outage.py" <<'PY'
import os, sys, time
sys.audit("outage.during", 1)
while not os.path.exists(sys.argv[1]):
    time.sleep(0.05)
time.sleep(1.2)                 # a failed sink is retried once a second
sys.audit("outage.after", 2)
PY
    sign "$T/outage.py"
    : > "$LOG"
    "$SPY" "$T/outage.py" "$T/flag" > "$T/out" 2>&1 &
    spy=$!
    wait_for "$LOG" "'outage.during' in t"
    rs_start
    touch "$T/flag"
    wait "$spy"; RC=$?
    check "collector down: the script still runs" test "$RC" -eq 0
    log_has "collector down: spython.sink-failed in the file, with the error" \
        'e["event"] == "spython.sink-failed" and e["args"] == {"sink": "syslog", "error": "No such file or directory"}'
    log_has "collector back: spython.sink-recovered, with the lines it missed" \
        'e["event"] == "spython.sink-recovered" and e["args"]["sink"] == "syslog" and e["args"]["missed"] >= 3'
    wait_for "$RS/messages" "'outage.after' in t"
    check "collector back: later lines arrive" grep -q '"event":"outage.after"' "$RS/messages"
    rs_stop
    "$BUILD/spython-audit" verify "$LOG" > /dev/null
check "the file has every line, intact" test $? -eq 0
fi

# --- the policy decides the socket, nothing else --------------------------------
write_policy "log-sink syslog relative/socket"
run_spy "$T/events.py"
expect_refusal "log-sink syslog with a relative socket: refused" "not an absolute path"
write_policy "log-sink journald /some/socket"
run_spy "$T/events.py"
expect_refusal "log-sink journald takes no socket" "journald takes no socket"
write_policy "log-sink syslog" "log-sink syslog /x"
run_spy "$T/events.py"
expect_refusal "the same sink twice: refused" "syslog given twice"
write_policy "log-sink kafka"
run_spy "$T/events.py"
expect_refusal "an unknown sink: refused" "'kafka' is not syslog, journald or linux-audit"

# --- Linux audit: the kernel's multicast, read by this test -----------------------------
AUDITNL=$T/auditnl.py
cat > "$AUDITNL" <<'PY'
# auditnl.py get | set 0|1 | listen OUT: the kernel audit switch, and its
# multicast of every record (CAP_AUDIT_READ), over netlink.
import os, socket, struct, sys
AUDIT_GET, AUDIT_SET = 1000, 1001
s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 9)
def req(typ, payload=b""):
    s.bind((0, 0))
    s.sendto(struct.pack("=IHHII", 16 + len(payload), typ, 5, 1, 0) + payload, (0, 0))
    while True:
        d = s.recv(65536)
        n, t = struct.unpack("=IH", d[:6])
        if t == 2:
            err = struct.unpack("=i", d[16:20])[0]
            if err:
                raise OSError(-err, os.strerror(-err))
            if typ == AUDIT_SET:
                return None
        elif t == typ:
            return d[16:n]
if sys.argv[1] == "get":
    print(struct.unpack("=II", req(AUDIT_GET)[:8])[1])
elif sys.argv[1] == "set":
    req(AUDIT_SET, struct.pack("=8I", 1, int(sys.argv[2]), 0, 0, 0, 0, 0, 0))
else:
    s.bind((0, 1))              # AUDIT_NLGRP_READLOG
    with open(sys.argv[2], "w") as out:
        print("ready", file=out, flush=True)
        while True:
            d = s.recv(65536)
            n, t = struct.unpack("=IH", d[:6])
            print(t, d[16:n].decode(errors="replace"), file=out, flush=True)
PY
# The switch is the kernel's, one for all: runs of this test take turns.
exec 9> "${TMPDIR:-/tmp}/spython-linux-audit-test.lock"
flock 9
audit_was=$(/usr/bin/python3 "$AUDITNL" get 2> /dev/null || true)
echo "$audit_was" > "$T/audit.was"
if [ "$(id -u)" != 0 ] || [ -z "$audit_was" ]; then
    echo "skip: Linux audit checks need root and the kernel's audit netlink"
else
    /usr/bin/python3 "$AUDITNL" set 1
    /usr/bin/python3 "$AUDITNL" listen "$T/audit.out" &
    listener=$!
    wait_for "$T/audit.out" "'ready' in t"
    write_policy "deny os.system" "log-sink linux-audit"
    : > "$LOG"
    run_spy "$T/events.py"
    nlines=$(wc -l < "$LOG")
    wait_for "$T/audit.out" "t.count('op=spython ') >= $nlines"
    kill "$listener"; wait "$listener" 2> /dev/null
    /usr/bin/python3 "$AUDITNL" set "$audit_was"
    restored=$(/usr/bin/python3 "$AUDITNL" get)
    audit_was=""
    flock -u 9
    check "linux-audit sink: one AUDIT_TRUSTED_APP record per line, naming its chain, seq and hash" \
        /usr/bin/python3 - "$LOG" "$T/audit.out" <<'PY'
import json, re, sys
lines = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
ours = {e["chain"] for e in lines}        # other spythons may be logging too
recs = [l for l in open(sys.argv[2]) if l.startswith("1121 ") and "op=spython " in l
        and re.search(r"chain=(\w+)", l).group(1) in ours]
assert len(recs) == len(lines), (len(recs), len(lines))
for e, r in zip(lines, recs):
    assert "chain=%s seq=%d hash=%s" % (e["chain"], e["seq"], e["hash"]) in r, r
    assert ("res=success" if e["decision"] == "allow" else "res=failed") in r, r
    ev = re.search(r"event=(\S+)", r).group(1)
    assert ev == '"%s"' % e["event"] or bytes.fromhex(ev).decode() == e["event"], ev
PY
    check "linux-audit: the kernel's audit switch is back as it was" \
        test "$restored" = "$(cat "$T/audit.was")"
fi

# --- journald: its own systemd-journald, in a private mount namespace -------------------
JOURNALD=/lib/systemd/systemd-journald
if [ "$(id -u)" != 0 ] || [ ! -x "$JOURNALD" ] || ! unshare -m true 2> /dev/null; then
    echo "skip: journald checks need root, systemd-journald and unshare -m"
else
    write_policy "deny os.system" "log-sink journald"
    : > "$LOG"
    cat > "$T/journal.sh" <<EOF
set -e
# Nothing here reaches the host's journal: these are private mounts.
mount --make-rprivate /
mount -t tmpfs tmpfs /run/systemd
mount -t tmpfs tmpfs /run/log
[ ! -d /var/log/journal ] || mount -t tmpfs tmpfs /var/log/journal
mkdir -p /run/systemd/journal
$JOURNALD &
jpid=\$!
for i in \$(seq 50); do [ -S /run/systemd/journal/socket ] && break; sleep 0.1; done
"$SPY" "$T/events.py" > "$T/out" 2> "$T/err" < /dev/null
for i in \$(seq 50); do
    journalctl -D /run/log/journal -o json --all --no-pager SYSLOG_IDENTIFIER=spython > "$T/journal.json" 2> /dev/null || true
    [ "\$(wc -l < "$T/journal.json")" -ge "\$(wc -l < "$LOG")" ] && break
    sleep 0.1
done
kill \$jpid
EOF
    unshare -m bash "$T/journal.sh" > "$T/journal.err" 2>&1
    check "journald sink: every line arrived, MESSAGE the line, with SPYTHON_* fields" \
        /usr/bin/python3 - "$LOG" "$T/journal.json" <<'PY'
import json, sys
lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
ents = [json.loads(l) for l in open(sys.argv[2], encoding="utf-8")]
assert len(ents) == len(lines), (len(ents), len(lines))
def text(v):        # journalctl gives non-UTF-8 or long values as byte arrays
    return bytes(v).decode() if isinstance(v, list) else v
for line, j in zip(lines, ents):
    e = json.loads(line)
    assert text(j["MESSAGE"]) == line, (j["MESSAGE"][:100] if isinstance(j["MESSAGE"], str) else j["MESSAGE"][:50], line[:100])
    assert j["SPYTHON_EVENT"] == e["event"] and j["SPYTHON_DECISION"] == e["decision"]
    assert (j["SPYTHON_CHAIN"], j["SPYTHON_SEQ"], j["SPYTHON_HASH"]) == (e["chain"], str(e["seq"]), e["hash"])
    assert j["PRIORITY"] == ("6" if e["decision"] == "allow" else "4")
    assert j["SYSLOG_FACILITY"] == "10" and j["_PID"] == str(e["pid"])
PY
fi
finish
