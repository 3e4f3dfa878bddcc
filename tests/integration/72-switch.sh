#!/usr/bin/env bash
# spython-switch on a fake root (--root), never on this machine's python3:
# pre-flight refusals, enable, python3 scripts through the link, disable
# restoring the original exactly.
source "$(dirname "$0")/../lib.sh"
SWITCH=$SRC/packaging/spython-switch
R=$T/root                        # removed with $T by lib.sh's trap

if command -v shellcheck > /dev/null; then
    check "spython-switch is shellcheck-clean" shellcheck "$SWITCH"
fi

# The fake system: python3 -> python3.11 as on Debian, spython and
# spython-sign where the package puts them, a dpkg database.
mkdir -p "$R/usr/bin" "$R/usr/sbin" "$R/var/lib/dpkg"
printf '/usr/bin/example\n/usr/bin/example.distrib\n:\n' > "$R/var/lib/dpkg/diversions"
cp /usr/bin/python3.11 "$R/usr/bin/python3.11"
ln -s python3.11 "$R/usr/bin/python3"
cp "$SPY" "$R/usr/bin/spython"
cp "$SIGN" "$R/usr/bin/spython-sign"
# The policy compiled into that spython, below the root; the keyring, stdlib
# and module directory it names are the test's own (spython-sign --check reads
# a policy's paths as written).
mkdir -p "$R$(dirname "$POLICY")"
write_policy "accept-flags -E -s"
cp "$POLICY" "$R$POLICY"

orig_inode=$(stat -c %i "$R/usr/bin/python3")
cp "$R/var/lib/dpkg/diversions" "$T/diversions.before"

# switch ARGS...: run spython-switch on the fake root; $OUT, $ERR, $RC.
switch() {
    OUT=$T/out ERR=$T/err
    "$SWITCH" --root "$R" "$@" > "$OUT" 2> "$ERR" < /dev/null
    RC=$?
}
# untouched NAME: python3 is still the original link and nothing is diverted.
untouched() {
    if [ "$(readlink "$R/usr/bin/python3")" = python3.11 ] &&
       [ "$(stat -c %i "$R/usr/bin/python3")" = "$orig_inode" ] &&
       [ ! -e "$R/usr/bin/python3.distrib" ] && [ ! -L "$R/usr/bin/python3.distrib" ] &&
       [ -z "$(dpkg-divert --root "$R" --list '/usr/bin/python3*')" ]; then
        pass "$1"
    else
        fail "$1" "python3 -> $(readlink "$R/usr/bin/python3"); $(dpkg-divert --root "$R" --list)"
    fi
}
# refused NAME PATTERN: exit 2, one "spython-switch: " line matching PATTERN.
refused() {
    if [ "$RC" -eq 2 ] && [ "$(wc -l < "$ERR")" -eq 1 ] &&
       grep -q '^spython-switch: ' "$ERR" && grep -qE -- "$2" "$ERR"; then
        pass "$1"
    else
        fail "$1" "rc=$RC stderr=$(head -c 300 "$ERR")"
    fi
}

switch status
check "status says disabled (exit 1)" bash -c "[ $RC -eq 1 ] && grep -qx disabled '$OUT'"
"$SWITCH" --root "$R" frobnicate > /dev/null 2>&1; RC=$?
check "an unknown command is a usage error (exit 2)" bash -c "[ $RC -eq 2 ]"
"$SWITCH" --root relative/dir status > /dev/null 2> "$T/err"; RC=$?; ERR=$T/err
refused "a relative --root is refused" "not an absolute path"

# Pre-flight: every code file under the search path and every python3 script
# in the bin directories must verify, or nothing changes.
printf 'X = 1\n' > "$LIB/unsigned_mod.py"
switch enable
refused "enable refuses an unsigned module under the search path" "unsigned_mod.py"
untouched "after that refusal python3 is untouched"
switch -v enable
check "-v lists every failing file" grep -q "$LIB/unsigned_mod.py: " "$ERR"
sign "$LIB/unsigned_mod.py"

printf 'X = 2\n' > "$LIB/tampered_mod.py"
sign "$LIB/tampered_mod.py"
printf 'X = 3\n' > "$LIB/tampered_mod.py"
switch enable
refused "enable refuses a tampered module" "tampered_mod.py"
untouched "after a tampered module python3 is untouched"
rm -f "$LIB/tampered_mod.py"

printf 'X = 4\n' > "$LIB/wrong_key.py"
sign -k "$KEYS/untrusted.pem" "$LIB/wrong_key.py"
switch enable
refused "enable refuses a module signed by a key outside the keyring" "wrong_key.py"
rm -f "$LIB/wrong_key.py"

# A Debian-style system script (tuned's shebang) in the bin directories.
printf '#!/usr/bin/python3 -Es\nimport sys, unsigned_mod\nprint("tool", unsigned_mod.X, sys.argv[1:])\n' \
    > "$R/usr/sbin/tool"
chmod 755 "$R/usr/sbin/tool"
switch enable
refused "enable refuses an unsigned python3 script in /usr/sbin" "/usr/sbin/tool"
untouched "after an unsigned script python3 is untouched"
sign "$R/usr/sbin/tool"

printf 'keyring %s\nlog %s\n' "$KEYS/trusted" "$LOG" > "$R$POLICY"
switch enable
refused "enable refuses a policy spython would refuse" "pre-flight check failed: .*no search-path"
chmod 666 "$R$POLICY"
switch enable
refused "enable refuses a policy anyone could write" "pre-flight check failed: .*policy.conf: bad ownership or modes"
chmod 644 "$R$POLICY"
cp "$POLICY" "$R$POLICY"

# Everything signed: enable.
switch enable
check "enable succeeds once everything verifies" bash -c "[ $RC -eq 0 ]"
check "python3 is now a link to spython" bash -c "[ \"\$(readlink '$R/usr/bin/python3')\" = spython ]"
check "the original is diverted to python3.distrib, unchanged" \
    bash -c "[ \"\$(stat -c %i '$R/usr/bin/python3.distrib')\" = $orig_inode ] && \
             [ \"\$(readlink '$R/usr/bin/python3.distrib')\" = python3.11 ]"
check "dpkg knows the diversion" \
    bash -c "dpkg-divert --root '$R' --listpackage /usr/bin/python3 | grep -qx LOCAL"
switch status
check "status says enabled (exit 0)" bash -c "[ $RC -eq 0 ] && grep -q '^enabled: ' '$OUT'"
switch enable
check "enabling twice is not an error" bash -c "[ $RC -eq 0 ] && grep -q 'already enabled' '$OUT'"

# The script runs through the diverted python3 as the kernel starts it from
# its shebang line: interpreter, the line's flags as one argument, script, args.
"$R/usr/bin/python3" -Es "$R/usr/sbin/tool" --dry-run 'sp ace' > "$T/out" 2> "$T/err"; RC=$?
check "a signed '#!/usr/bin/python3 -Es' script runs through the switched python3" \
    grep -qF "tool 1 ['--dry-run', 'sp ace']" "$T/out"
"$R/usr/bin/python3" -c 'print(1)' > "$T/out" 2> "$T/err"; RC=$?; ERR=$T/err
expect_refusal "the switched python3 still refuses -c" "options are not accepted"

# Someone else's file at /usr/bin/python3: disable must not destroy it.
mv "$R/usr/bin/python3" "$T/ourlink"
printf 'not ours\n' > "$R/usr/bin/python3"
switch disable
refused "disable refuses to remove a python3 it did not put there" "not the link"
switch status
check "status says inconsistent (exit 2)" bash -c "[ $RC -eq 2 ] && grep -q '^inconsistent: ' '$OUT'"
mv "$T/ourlink" "$R/usr/bin/python3"

switch disable
check "disable succeeds" bash -c "[ $RC -eq 0 ]"
untouched "disable restores the original python3 (same link, same inode) and removes the diversion"
check "python3.11 is byte-identical" cmp -s /usr/bin/python3.11 "$R/usr/bin/python3.11"
check "dpkg's diversions are as before" cmp -s "$T/diversions.before" "$R/var/lib/dpkg/diversions"
switch status
check "status says disabled again" bash -c "[ $RC -eq 1 ] && grep -qx disabled '$OUT'"
switch disable
check "disabling twice is not an error" bash -c "[ $RC -eq 0 ] && grep -q 'already disabled' '$OUT'"

# A diversion someone else made is not ours to undo.
dpkg-divert --root "$R" --quiet --local --rename --divert /usr/bin/python3.other --add /usr/bin/python3
switch enable
refused "enable refuses when python3 is diverted by someone else" "diverted to /usr/bin/python3.other"
switch disable
refused "disable refuses someone else's diversion" "diverted to /usr/bin/python3.other"
dpkg-divert --root "$R" --quiet --rename --remove /usr/bin/python3
untouched "the other diversion removed, python3 is the original"

# The package's prerm: removing spython while it is python3 puts python3 back
# first; an upgrade, or a switch that is not enabled, is left alone. A stub
# spython-switch (first on PATH) records what the script asks of it.
mkdir -p "$T/stub"
cat > "$T/stub/spython-switch" <<'SH'
#!/bin/sh
echo "$*" >> "$STUB_LOG"
[ "$1" != status ] || exit "$STUB_STATUS"
SH
chmod 755 "$T/stub/spython-switch"
prerm() {
    : > "$T/stub.log"
    STUB_LOG=$T/stub.log STUB_STATUS=$1 PATH="$T/stub:$PATH" sh "$SRC/packaging/debian/spython.prerm" "$2"
}
prerm 0 remove
check "prerm remove while enabled runs spython-switch disable" \
    test "$(tr '\n' ' ' < "$T/stub.log")" = "status disable "
prerm 1 remove
check "prerm remove while disabled changes nothing" test "$(cat "$T/stub.log")" = status
prerm 0 upgrade
check "prerm upgrade leaves the switch alone" test ! -s "$T/stub.log"

if command -v mandoc > /dev/null; then
    check "spython-switch(8) is mandoc -Tlint clean" mandoc -Tlint -W warning "$SRC/man/spython-switch.8"
fi
finish
