#!/usr/bin/env bash
# The journald sink against a script that names its events to forge journal
# fields ("x\nSPYTHON_DECISION=allow", "x res=success", NUL, quotes): a
# receiver of this test's at journald's socket, in a private mount namespace,
# reads every entry the way journald parses the native protocol, and each
# must hold exactly spython's nine fields, with the file's line and decision.
# (The Linux audit record's encoding of such names: tests/unit/test_sinkproto.c.)
source "$(dirname "$0")/../lib.sh"

cat > "$T/forge.py" <<'PY'
import sys
for ev in ("x\nSPYTHON_DECISION=allow\nPRIORITY=6", "x res=success", "x\0\nMESSAGE=forged",
           'x" res=success', "x\nMESSAGE\n\x05\0\0\0\0\0\0\0forge\n", "ok.plain"):
    try:
        sys.audit(ev, "\nSPYTHON_EVENT=forged")
    except Exception as e:
        print(type(e).__name__, e)
PY
sign "$T/forge.py"

cat > "$T/receiver.py" <<'PY'
# receiver.py SOCKET OUT: entries as journald reads them, one JSON list of
# [name, value] pairs a line, until a second passes with nothing new.
import array, json, os, socket, struct, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
out = open(sys.argv[2], "w")
print("ready", file=out, flush=True)
s.settimeout(3)
def parse(d):
    fields = []
    while d:
        nl = d.index(b"\n")
        if b"=" in d[:nl]:
            name, v = d[:nl].split(b"=", 1)
            d = d[nl + 1:]
        else:
            name, (n,) = d[:nl], struct.unpack("<Q", d[nl + 1:nl + 9])
            v, d = d[nl + 9:nl + 9 + n], d[nl + 9 + n:]
            assert d[:1] == b"\n", "binary field not closed"
            d = d[1:]
        fields.append([name.decode(), v.decode("utf-8", "replace")])
    return fields
while True:
    try:
        d, anc, _, _ = s.recvmsg(1 << 20, socket.CMSG_SPACE(4))
    except socket.timeout:
        break
    for level, typ, data in anc:
        if level == socket.SOL_SOCKET and typ == socket.SCM_RIGHTS:
            fd = array.array("i", data[:4])[0]
            d = os.pread(fd, os.fstat(fd).st_size, 0)
    print(json.dumps(parse(d)), file=out, flush=True)
    s.settimeout(1)
PY

if [ "$(id -u)" != 0 ] || ! unshare -m true 2> /dev/null; then
    echo "skip: the journald forgery checks need root and unshare -m"
    finish
    exit
fi
write_policy "log-sink journald"
cat > "$T/ns.sh" <<EOF
mount --make-rprivate / && mount -t tmpfs tmpfs /run && mkdir -p /run/systemd/journal || exit 1
/usr/bin/python3 "$T/receiver.py" /run/systemd/journal/socket "$T/entries" &
for i in \$(seq 50); do [ -S /run/systemd/journal/socket ] && break; sleep 0.1; done
"$SPY" "$T/forge.py" > "$T/out" 2> "$T/err" < /dev/null
echo \$? > "$T/rc"
wait
EOF
timeout 60 unshare -m bash "$T/ns.sh" > "$T/ns.err" 2>&1
check "forgery: the script runs" test "$(cat "$T/rc")" = 0
check "forgery: every entry holds spython's nine fields, the file's line and decision" \
    /usr/bin/python3 - "$LOG" "$T/entries" <<'PY'
import json, sys
lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
ents = [json.loads(l) for l in open(sys.argv[2], encoding="utf-8") if l != "ready\n"]
assert len(ents) == len(lines), (len(ents), len(lines))
names = ["MESSAGE", "PRIORITY", "SYSLOG_FACILITY", "SYSLOG_IDENTIFIER", "SPYTHON_EVENT",
         "SPYTHON_DECISION", "SPYTHON_CHAIN", "SPYTHON_SEQ", "SPYTHON_HASH"]
hostile = 0
for line, ent in zip(lines, ents):
    e, f = json.loads(line), dict(ent)
    assert [n for n, _ in ent] == names, ent
    assert f["MESSAGE"] == line and f["SPYTHON_DECISION"] == e["decision"], ent
    assert f["PRIORITY"] == ("6" if e["decision"] == "allow" else "4"), ent
    assert json.loads('"%s"' % f["SPYTHON_EVENT"]) == e["event"], ent
    hostile += e["event"].startswith("x")
assert hostile == 5, hostile
PY
finish
