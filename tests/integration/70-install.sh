#!/usr/bin/env bash
# make install / make uninstall into a staging directory (DESTDIR), never /.
source "$(dirname "$0")/../lib.sh"

# mk [VAR=VALUE...] TARGET: make in the source tree; output in $T/make.log.
mk() {
    make -s -C "$SRC" BUILD="$BUILD" "$@" > "$T/make.log" 2>&1
}
mode() { stat -c %a "$1"; }

compiled=$("$BUILD/spython" --help | sed -n 's/^Policy: //p')
if [ "$compiled" != /etc/spython/policy.conf ]; then
    echo "skip: $BUILD/spython was built to read $compiled; make install needs /etc/spython/policy.conf"
    finish; exit
fi

D=$T/stage
check "make install DESTDIR=... succeeds" mk install DESTDIR="$D"

# What the build made is what gets installed: spython always, the others
# when their issues have landed.
check "spython is installed, 0755" bash -c "[ -x '$D/usr/bin/spython' ] && [ \"\$(stat -c %a '$D/usr/bin/spython')\" = 755 ]"
for t in spython-sign spython-audit spython-policy; do
    if [ -f "$BUILD/$t" ]; then
        check "$t (built) is installed" cmp -s "$BUILD/$t" "$D/usr/bin/$t"
    else
        check "$t (not built) is not installed" test ! -e "$D/usr/bin/$t"
    fi
done
check "spython-switch is installed in sbin" cmp -s "$SRC/packaging/spython-switch" "$D/usr/sbin/spython-switch"
for m in "$SRC"/man/*.[158]; do
    s=${m##*.}
    check "$(basename "$m") is installed in man$s" cmp -s "$m" "$D/usr/share/man/man$s/$(basename "$m")"
done
sed -e 's|@SPYCONFDIR@|/etc/spython|g' -e 's|@SPYDATADIR@|/usr/share/spython|g' \
    -e 's|@SPYLOGDIR@|/var/log/spython|g' "$SRC/packaging/policy.conf" > "$T/host.conf"
check "the host policy is installed as /etc/spython/policy.conf, 0644" \
    bash -c "cmp -s '$T/host.conf' '$D/etc/spython/policy.conf' && [ \"\$(stat -c %a '$D/etc/spython/policy.conf')\" = 644 ]"
check "it names the installed directories" \
    grep -qx "include /usr/share/spython/default.conf" "$D/etc/spython/policy.conf"
check "the strict rules it includes are installed in /usr/share/spython" \
    cmp -s "$SRC/policy/default.conf" "$D/usr/share/spython/default.conf"
for d in keys policy.d; do
    check "/etc/spython/$d is an empty 0755 directory" \
        bash -c "[ \"\$(stat -c %a '$D/etc/spython/$d')\" = 755 ] && [ -z \"\$(ls -A '$D/etc/spython/$d')\" ]"
done
check "/var/log/spython is 0750" bash -c "[ \"\$(stat -c %a '$D/var/log/spython')\" = 750 ]"
"$D/usr/bin/spython" --help > "$T/help"
check "the installed spython reads /etc/spython/policy.conf" grep -qx "Policy: /etc/spython/policy.conf" "$T/help"

# The installed policy is strict but valid: spython parses it and what it
# includes, refuses to start while no key is enrolled, and then refuses
# scripts signed by any other key. Tried through a copy in the test policy's
# place, its paths moved into the stage, the log redirected.
sed -e "s|^log .*|log $LOG|" -e "s|^keyring /|keyring $D/|" -e "s|^include /|include $D/|" \
    "$D/etc/spython/policy.conf" > "$POLICY"
echo "deny os.system" > "$D/etc/spython/policy.d/10-test.conf"
script ok.py 'print("ran")'; sign "$T/ok.py"
run_spy "$T/ok.py"
expect_refusal "the installed policy parses, and with no key enrolled nothing starts" \
    "keys: no certificate or public key found"
cp "$KEYS/other/untrusted.pub" "$D/etc/spython/keys/"
run_spy "$T/ok.py"
expect_refusal "with a key enrolled, a script signed by another key is refused" "$T/ok.py: "
log_has "and the refusal is logged" \
    "e['event'] == 'spython.verify' and e['args']['path'] == '$T/ok.py' and e['decision'] == 'deny'"
rm "$D/etc/spython/policy.d/10-test.conf" "$D/etc/spython/keys/untrusted.pub"

# An administrator's policy survives a reinstall.
echo "# edited" >> "$D/etc/spython/policy.conf"
cp "$D/etc/spython/policy.conf" "$T/edited"
check "make install again succeeds" mk install DESTDIR="$D"
check "make install keeps an edited policy" cmp -s "$T/edited" "$D/etc/spython/policy.conf"

# Uninstall: the tools, pages and an unedited policy go; logs and edited
# policies and enrolled keys stay.
echo '{}' > "$D/var/log/spython/audit.jsonl"
check "make uninstall succeeds" mk uninstall DESTDIR="$D"
check "uninstall keeps the edited policy and says so" \
    bash -c "cmp -s '$T/edited' '$D/etc/spython/policy.conf' && grep -q 'keeping the edited' '$T/make.log'"
check "uninstall keeps the audit log" test -f "$D/var/log/spython/audit.jsonl"
left=$(cd "$D" && find . -type f | sort | tr '\n' ' ')
check "only the edited policy and the log are left" \
    test "$left" = "./etc/spython/policy.conf ./var/log/spython/audit.jsonl "

D2=$T/stage2
mk install DESTDIR="$D2" && mk uninstall DESTDIR="$D2"
check "install then uninstall leaves no file" test -z "$(find "$D2" -type f)"
check "and no spython directory" test ! -e "$D2/etc/spython" -a ! -e "$D2/var/log/spython"

# PREFIX moves the programs; the policy stays where spython was built to read it.
D3=$T/stage3
check "PREFIX=/usr/local installs" mk install DESTDIR="$D3" PREFIX=/usr/local
check "PREFIX=/usr/local puts spython in /usr/local/bin" test -x "$D3/usr/local/bin/spython"
check "PREFIX=/usr/local puts the pages in /usr/local/share/man" test -f "$D3/usr/local/share/man/man1/spython.1"
check "PREFIX=/usr/local keeps the policy in /etc/spython" test -f "$D3/etc/spython/policy.conf"
check "PREFIX=/usr/local: the policy includes /usr/local/share/spython/default.conf" \
    bash -c "[ -f '$D3/usr/local/share/spython/default.conf' ] && \
             grep -qx 'include /usr/local/share/spython/default.conf' '$D3/etc/spython/policy.conf'"

# A policy installed where the binary does not look would be silently unused.
D4=$T/stage4
if mk install DESTDIR="$D4" SYSCONFDIR=/opt/etc; then
    fail "install refuses a SYSCONFDIR the binary was not built for" "it installed"
else
    check "install refuses a SYSCONFDIR the binary was not built for" \
        grep -q "reads '/etc/spython/policy.conf', not /opt/etc/spython/policy.conf" "$T/make.log"
fi
check "and installs nothing" test ! -e "$D4"

if command -v mandoc > /dev/null; then
    for m in "$SRC"/man/*.[158]; do
        check "$(basename "$m") is mandoc -Tlint clean" mandoc -Tlint -W warning "$m"
    done
fi
finish
