#!/usr/bin/env bash
# The packages: build the .deb (lintian clean), install it with dpkg on this
# machine, run a signed script through its #!/usr/bin/spython shebang with
# arguments, check the log, purge; build the RPM with Debian's rpmbuild.
# The machine is put back by the trap, whatever happens.
source "$(dirname "$0")/../lib.sh"
PKG=$BUILD/pkg
VERSION=$(sed -n 's/^VERSION *:= *//p' "$SRC/Makefile")

# mk TARGET: make in the source tree; output in $T/make.log.
mk() {
    make -s -C "$SRC" BUILD="$BUILD" PKG_NOCHECK=1 "$@" > "$T/make.log" 2>&1
}

# --- the RPM: needs no root --------------------------------------------------
if mk rpm; then
    pass "make rpm builds the RPM with rpmbuild --nodeps"
    rpmfile=$(ls "$PKG"/rpm/RPMS/*/spython-"$VERSION"-*.rpm)
    rpm -qlp "$rpmfile" > "$T/rpm.list" 2> /dev/null
    check "the RPM holds spython" grep -qx /usr/bin/spython "$T/rpm.list"
    check "the RPM holds spython(1)" grep -q '^/usr/share/man/man1/spython.1' "$T/rpm.list"
    check "the RPM leaves spython-switch out (it needs dpkg-divert)" \
        bash -c "! grep -q spython-switch '$T/rpm.list'"
    check "the RPM's policy is a config file" \
        bash -c "rpm -qcp '$rpmfile' 2>/dev/null | grep -qx /etc/spython/policy.conf"
    check "the RPM's log directory is 0750" \
        bash -c "rpm -qlvp '$rpmfile' 2>/dev/null | grep -q '^drwxr-x--- .* /var/log/spython$'"
else
    fail "make rpm builds the RPM with rpmbuild --nodeps" "$(tail -n 5 "$T/make.log")"
fi

# --- the .deb: built as anyone, installed only as root ------------------------
if mk deb; then
    pass "make deb builds the .deb and lintian finds no error or warning"
else
    fail "make deb builds the .deb and lintian finds no error or warning" "$(tail -n 15 "$T/make.log")"
    finish; exit
fi
deb=$PKG/deb/spython_${VERSION}_$(dpkg --print-architecture).deb
check "the policy is a conffile" bash -c "dpkg-deb -I '$deb' conffiles | grep -qx /etc/spython/policy.conf"
dpkg-deb -c "$deb" > "$T/deb.list"
check "the .deb holds the log directory as 0750" grep -q '^drwxr-x--- root/root .* ./var/log/spython/$' "$T/deb.list"
check "the .deb holds spython-switch" grep -q ' ./usr/sbin/spython-switch$' "$T/deb.list"

if [ "$(id -u)" -ne 0 ]; then
    echo "skip: installing the .deb needs root (dpkg -i); built and linted only"
    finish; exit
fi
for p in /etc/spython /var/log/spython /usr/share/spython /usr/bin/spython; do
    if [ -e "$p" ]; then
        echo "skip: $p exists on this machine; not installing over it"
        finish; exit
    fi
done
if dpkg-query -W -f='${Status}' spython 2> /dev/null | grep -q .; then
    echo "skip: dpkg knows a spython package here; not touching it"
    finish; exit
fi

# Whatever happens, the machine is left as it was: no package, and nothing
# below the paths this test checked were absent.
restore() {
    dpkg --purge spython > /dev/null 2>&1 || true
    rm -rf /etc/spython /var/log/spython /usr/share/spython
    rm -rf "$T"
}
trap restore EXIT
trap 'exit 2' INT TERM HUP

check "dpkg -i installs the .deb" bash -c "dpkg -i '$deb' > '$T/dpkg.log' 2>&1"
check "dpkg says it is installed, at the Makefile's version" \
    bash -c "[ \"\$(dpkg-query -W -f='\${Status} \${Version}' spython)\" = 'install ok installed $VERSION' ]"
check "the installed spython reads /etc/spython/policy.conf" \
    bash -c "/usr/bin/spython --help | grep -qx 'Policy: /etc/spython/policy.conf'"
check "/var/log/spython is 0750 root:root" \
    bash -c "[ \"\$(stat -c '%a %U:%G' /var/log/spython)\" = '750 root:root' ]"
check "man spython finds the page" bash -c "man -w spython | grep -q spython.1"
/usr/sbin/spython-switch status > "$T/out" 2>&1; RC=$?
check "spython-switch status says disabled on this machine" bash -c "[ $RC -eq 1 ] && grep -qx disabled '$T/out'"

# The shipped policy: valid and strict. With no key enrolled nothing starts,
# and the refusal is logged in /var/log/spython.
script tool "#!/usr/bin/spython
import sys
print('packaged', sys.argv[1:])"
chmod 755 "$T/tool"; sign "$T/tool"
"$T/tool" a > "$T/out" 2> "$T/err"; RC=$?; ERR=$T/err
expect_refusal "the shipped policy parses, and with no key enrolled nothing starts" \
    "/etc/spython/keys: no certificate or public key found"
LOG=/var/log/spython/audit.jsonl
log_has "the refusal is in /var/log/spython/audit.jsonl" \
    "e['event'] == 'spython.launch' and e['decision'] == 'deny'"

# A test policy in the packaged place: the test key enrolled, the signed
# stdlib copy as search path, the package's log.
cat > /etc/spython/policy.conf <<EOF
keyring /etc/spython/keys
xattr $XATTR
log $LOG
search-path $STDLIB
search-path $STDLIB/lib-dynload
accept-flags -E -s
include /usr/share/spython/default.conf
EOF
cp "$KEYS/trusted/ec.crt" /etc/spython/keys/test-ec.crt
chmod 644 /etc/spython/keys/test-ec.crt

"$T/tool" --verbose 'sp ace' -c x > "$T/out" 2> "$T/err"; RC=$?
check "a signed #!/usr/bin/spython script runs with its arguments" \
    bash -c "[ $RC -eq 0 ] && grep -qxF \"packaged ['--verbose', 'sp ace', '-c', 'x']\" '$T/out'"
log_has "the log has the start line with its argv" \
    "e['event'] == 'spython.start' and e['args']['argv'] == ['/usr/bin/spython', '$T/tool', '--verbose', 'sp ace', '-c', 'x']"
log_has "the log has the script's verification" \
    "e['event'] == 'spython.verify' and e['args']['path'] == '$T/tool' and e['decision'] == 'allow'"
printf '#!/usr/bin/spython -Es\nprint("flags ok")\n' > "$T/tool-es"
chmod 755 "$T/tool-es"; sign "$T/tool-es"
"$T/tool-es" > "$T/out" 2> "$T/err"; RC=$?
check "a '#!/usr/bin/spython -Es' script runs under accept-flags" grep -qx "flags ok" "$T/out"
printf '#!/usr/bin/spython\ntry:\n    import ctypes\n    print("imported")\nexcept Exception:\n    print("refused")\n' \
    > "$T/tool-ctypes"
chmod 755 "$T/tool-ctypes"; sign "$T/tool-ctypes"
"$T/tool-ctypes" > "$T/out" 2> "$T/err"; RC=$?
check "the packaged strict rules apply: import ctypes is refused" grep -qx refused "$T/out"

# Purge: enrolled keys are the administrator's (removed first, as an
# administrator would); the audit log is evidence and stays, by design.
rm -f /etc/spython/keys/test-ec.crt
check "dpkg --purge removes the package" bash -c "dpkg --purge spython > '$T/dpkg.log' 2>&1"
check "dpkg no longer knows it" bash -c "! dpkg-query -W -f='\${Status}' spython 2>/dev/null | grep -q installed"
for p in /usr/bin/spython /usr/bin/spython-sign /usr/sbin/spython-switch \
         /usr/share/man/man1/spython.1.gz /usr/share/man/man8/spython-switch.8.gz /etc/spython; do
    check "purge removed $p" test ! -e "$p"
done
check "purge left only the audit log in /var/log/spython" \
    test "$(ls -A /var/log/spython)" = audit.jsonl
finish
