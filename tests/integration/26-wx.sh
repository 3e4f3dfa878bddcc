#!/usr/bin/env bash
# W^X (policy: require-unwritable yes): code the running user could change -
# owned by that user, or group or world writable - is refused, script and
# modules alike; root, who can write anything, is exempt. Runs spython as
# nobody, so it needs root to set up (skipped otherwise).
source "$(dirname "$0")/../lib.sh"

if [ "$(id -u)" != 0 ] || ! id nobody >/dev/null 2>&1; then
    pass "W^X as another user needs root and a nobody user (skipped)"
    finish; exit
fi
# as_nobody ARGS...: run_spy as nobody:nogroup, no supplementary groups.
as_nobody() {
    OUT=$T/out ERR=$T/err
    setpriv --reuid=nobody --regid=nogroup --clear-groups "$SPY" "$@" > "$OUT" 2> "$ERR" < /dev/null
    RC=$?
}
# The log must be writable by nobody, in a directory root owns.
mkdir -p "$T/logs"
LOG=$T/logs/log.jsonl
: > "$LOG"; chown nobody "$LOG"; chmod 600 "$LOG"

script root.py 'import rootmod
print("root script ran", rootmod.V)'
script mine.py 'print("nobody script ran")'
script grp.py 'print("group writable ran")'
script imports.py 'import minemod'
script lib/rootmod.py 'V = "root"'
script lib/minemod.py 'V = "nobody"'
sign "$T/root.py" "$T/mine.py" "$T/grp.py" "$T/imports.py" "$LIB/rootmod.py" "$LIB/minemod.py"
chown nobody "$T/mine.py" "$LIB/minemod.py"
chmod 664 "$T/grp.py"

# --- without W^X: all of it runs as nobody (so the refusals below are W^X's) ---
write_policy
as_nobody "$T/mine.py"
check off-own-script-runs eval '[ $RC -eq 0 ] && grep -qx "nobody script ran" "$OUT"'
as_nobody "$T/imports.py"
check off-own-module-imports test $RC -eq 0

# --- require-unwritable yes ---------------------------------------------------------
write_policy "require-unwritable yes"
: > "$LOG"
as_nobody "$T/root.py"
check wx-root-owned-runs eval '[ $RC -eq 0 ] && grep -qx "root script ran root" "$OUT"'
log_has wx-state-logged 'e["event"] == "spython.exec-check" and e["args"]["writable"] == "refused"'
as_nobody "$T/mine.py"
expect_refusal wx-own-script-refused "mine.py: writable by the running user$"
log_has wx-own-script-logged 'e["event"] == "spython.verify" and e["args"]["path"].endswith("/mine.py") and e["decision"] == "deny" and e["reason"] == "writable by the running user"'
as_nobody "$T/grp.py"
expect_refusal wx-group-writable-refused "grp.py: writable by the running user$"
as_nobody "$T/imports.py"
check wx-own-module-refused eval '[ $RC -eq 1 ] && grep -q "ImportError: refused by spython: writable by the running user" "$ERR"'
log_has wx-own-module-logged 'e["event"] == "spython.verify" and e["args"]["path"].endswith("/minemod.py") and e["decision"] == "deny"'

# root could write anything, so W^X asks nothing of it.
run_spy "$T/mine.py"
check wx-root-exempt eval '[ $RC -eq 0 ] && grep -qx "nobody script ran" "$OUT"'

# Audit mode: would-deny, and it runs.
write_policy "require-unwritable yes" "mode audit"
: > "$LOG"
as_nobody "$T/mine.py"
check wx-audit-runs eval '[ $RC -eq 0 ] && grep -qx "nobody script ran" "$OUT"'
log_has wx-audit-would-deny 'e["event"] == "spython.verify" and e["decision"] == "would-deny" and e["reason"] == "writable by the running user"'

write_policy "require-unwritable maybe"
as_nobody "$T/root.py"
expect_refusal wx-bad-value "require-unwritable: 'maybe' is not yes or no"

finish
