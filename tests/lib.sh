# Tiny test framework for integration scenarios (after OpenSSH's regress/):
# each tests/integration/*.sh is a bash script that sources this file, calls
# `check NAME CMD...`, `pass NAME`, `fail NAME WHY` and ends with `finish`.
# Results go to stdout as "ok NAME" / "FAIL NAME: WHY"; counts to $RESULTS.
set -u
: "${BUILD:?BUILD must name the build directory}"
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
T=$(mktemp -d "${TMPDIR:-/tmp}/spy-test.XXXXXX")
chmod 755 "$T"
trap 'rm -rf "$T"' EXIT
_passed=0
_failed=0

pass() { _passed=$((_passed + 1)); echo "ok $1"; }
fail() { _failed=$((_failed + 1)); echo "FAIL $1: ${2:-}"; }

# check NAME CMD...: CMD's exit status 0 is a pass.
check() {
    local name=$1; shift
    if "$@"; then pass "$name"; else fail "$name" "command failed: $*"; fi
}

finish() {
    [ -n "${RESULTS:-}" ] && echo "$_passed $_failed" >> "$RESULTS"
    [ "$_failed" -eq 0 ]
}

# --- spython scenarios ---------------------------------------------------
# Keys and the signed stdlib are made once per build by `make check`
# (tests/setup.sh); the policy path is compiled into $BUILD/test-spython.
SPY=$BUILD/test-spython
SIGN=$BUILD/spython-sign
KEYS=$BUILD/t/keys
STDLIB=$BUILD/t/stdlib
POLICY=${TEST_POLICY:-$BUILD/t/policy.conf}
XATTR=${XATTR:-security.ima}
LOG=$T/log.jsonl
LIB=$T/lib
mkdir -p "$LIB"

# write_policy [EXTRA-LINE...]: the standard test policy plus extra directives.
write_policy() {
    {
        echo "# test policy"
        echo "keyring $KEYS/trusted"
        echo "xattr $XATTR"
        echo "log $LOG"
        echo "search-path $STDLIB"
        echo "search-path $STDLIB/lib-dynload"
        echo "search-path $LIB"
        for l in "$@"; do echo "$l"; done
    } > "$POLICY"
    chmod 644 "$POLICY"
}

# sign [-k KEY] FILE...: sign with the trusted EC key (or KEY).
sign() {
    local key=$KEYS/ec.pem
    if [ "$1" = -k ]; then key=$2; shift 2; fi
    "$SIGN" -q -k "$key" --xattr "$XATTR" "$@" >/dev/null
}

# script NAME BODY: write $T/NAME with BODY, unsigned.
script() { printf '%s\n' "$2" > "$T/$1"; }

# run_spy ARGS...: run spython; stdout in $OUT, stderr in $ERR, status in $RC.
run_spy() {
    OUT=$T/out ERR=$T/err
    "$SPY" "$@" > "$OUT" 2> "$ERR" < /dev/null
    RC=$?
}

# expect_refusal NAME PATTERN: last run exited 2 with exactly one stderr line
# starting "spython: " and matching PATTERN.
expect_refusal() {
    local lines
    lines=$(wc -l < "$ERR")
    if [ "$RC" -eq 2 ] && [ "$lines" -eq 1 ] && grep -q '^spython: ' "$ERR" && grep -qE -- "$2" "$ERR"; then
        pass "$1"
    else
        fail "$1" "rc=$RC stderr=$(head -c 300 "$ERR")"
    fi
}

# log_has NAME JQ-LIKE-PYTHON-EXPR: some log line satisfies the expression
# (a Python expression over `e`, the decoded line).
log_has() {
    if /usr/bin/python3 - "$LOG" "$2" <<'PY'
import json, sys
lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
events = [json.loads(l) for l in lines]
sys.exit(0 if any(eval(sys.argv[2], {}, {"e": e}) for e in events) else 1)
PY
    then pass "$1"; else fail "$1" "no log line where: $2"; fi
}

# SPY_WRAP: run spython through a wrapper (tests/valgrind/spy runs it under
# valgrind); the wrapper finds the real binary in $SPY_REAL.
if [ -n "${SPY_WRAP:-}" ]; then
    export SPY_REAL=$SPY
    SPY=$SPY_WRAP
fi

# log_match EXPR: log_has as a plain exit status, for check and xfail.
log_match() { [ "$(log_has match "$1")" = "ok match" ]; }

# xfail NAME WHY CMD...: a known gap, kept as a test until it is fixed. CMD
# failing prints "xfail NAME (WHY)"; CMD passing fails the run, so the marker
# is turned into a check when the fix lands.
xfail() {
    local name=$1 why=$2
    shift 2
    if "$@" 2>/dev/null; then fail "$name" "XPASS: fixed? make this xfail a check"; else echo "xfail $name ($why)"; fi
}
