#!/usr/bin/env bash
# make demo: a throwaway key and policy under build/demo, a signed stdlib copy,
# a signed admin script run with arguments, an unsigned and a tampered one
# refused, and the log lines that recorded it all.
set -eu
: "${BUILD:?}"
here=$(cd "$(dirname "$0")" && pwd)
D=$BUILD/demo
SPY=$BUILD/demo-spython
SIGN=$BUILD/spython-sign
# security.ima needs CAP_SYS_ADMIN; user.ima is what evmctl --xattr-user writes.
if [ "$(id -u)" = 0 ]; then XATTR=security.ima; else XATTR=user.ima; fi

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
show() { printf '$ %s\n' "$*"; "$@" || printf '(exit status %s)\n' "$?"; }

mkdir -p "$D/keys" "$D/scripts"
chmod 755 "$D" "$D/keys" "$D/scripts"
step "A throwaway signing key (EC P-256) and its public half as the keyring"
if [ ! -f "$D/keys/signing.pem" ]; then
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$D/keys/signing.pem" 2>/dev/null
    chmod 600 "$D/keys/signing.pem"
    mkdir -p "$D/keys/trusted"
    openssl pkey -in "$D/keys/signing.pem" -pubout -out "$D/keys/trusted/demo.pub" 2>/dev/null
fi
ls -l "$D/keys/trusted"

step "The policy (its path is compiled into $SPY)"
rm -f "$D/log.jsonl"
cat > "$D/policy.conf" <<POLICY
# spython demo policy
keyring $D/keys/trusted
xattr $XATTR
log $D/log.jsonl
search-path $D/stdlib
search-path $D/stdlib/lib-dynload
mode enforce
POLICY
chmod 644 "$D/policy.conf"
cat "$D/policy.conf"

step "Sign a copy of the standard library ($XATTR)"
if [ ! -f "$D/stdlib.stamp" ] || [ "$SIGN" -nt "$D/stdlib.stamp" ]; then
    start=$(date +%s%N)
    SIGN=$SIGN "$here/../tests/mkstdlib.sh" "$D/stdlib" "$D/keys/signing.pem" "$XATTR"
    touch "$D/stdlib.stamp"
    printf 'signed %s code files in %d ms\n' \
        "$(find "$D/stdlib" -name '*.py' -o -name '*.pyc' -o -name '*.so' | wc -l)" \
        $(( ($(date +%s%N) - start) / 1000000 ))
else
    echo "(already signed)"
fi

step "Sign the admin script and run it with arguments"
cp "$here/report.py" "$D/scripts/report.py"
show "$SIGN" -k "$D/keys/signing.pem" --xattr "$XATTR" "$D/scripts/report.py"
show "$SPY" "$D/scripts/report.py" / /tmp
show "$SPY" "$D/scripts/report.py" --json /

step "An unsigned script is refused"
printf 'print("this should never run")\n' > "$D/scripts/unsigned.py"
show "$SPY" "$D/scripts/unsigned.py"

step "A tampered script is refused (signed, then one line added)"
cp "$D/scripts/report.py" "$D/scripts/tampered.py"
"$SIGN" -q -k "$D/keys/signing.pem" --xattr "$XATTR" "$D/scripts/tampered.py"
echo 'import os; os.system("id")' >> "$D/scripts/tampered.py"
show "$SPY" "$D/scripts/tampered.py" /

step "No interpreter options, no stdin"
show "$SPY" -c 'print(1)'
echo 'print(1)' | show "$SPY" /dev/stdin

step "The log: $(wc -l < "$D/log.jsonl") lines; the decisions that matter"
grep -E '"event":"spython\.(start|launch)"|"decision":"(deny|would-deny)"|"kind":"script"' "$D/log.jsonl" | cut -c1-220
echo
echo "Full log: $D/log.jsonl"
