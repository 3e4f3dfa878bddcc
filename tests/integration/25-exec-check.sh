#!/usr/bin/env bash
# The kernel's exec check (AT_EXECVE_CHECK, Linux 6.14) and noexec mounts, as
# spython applies them to the main script and every code file: the secure
# bits are set in a child by a helper built here, then spython runs under it.
source "$(dirname "$0")/../lib.sh"

# secbits [-f] [-i] [-n] CMD ARGS...: run CMD with SECBIT_EXEC_RESTRICT_FILE
# (-f) and/or SECBIT_EXEC_DENY_INTERACTIVE (-i) set; -n makes the kernel look
# like one without AT_EXECVE_CHECK (seccomp: execveat with that flag gets
# EINVAL, as from a kernel that does not know it).
cat > "$T/secbits.c" <<'EOF'
#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
    int bits = prctl(PR_GET_SECUREBITS), i = 1, old_kernel = 0;
    scmp_filter_ctx ctx;

    for (; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "-f") == 0)
            bits |= 1 << 8;             /* SECBIT_EXEC_RESTRICT_FILE */
        else if (strcmp(argv[i], "-i") == 0)
            bits |= 1 << 10;            /* SECBIT_EXEC_DENY_INTERACTIVE */
        else if (strcmp(argv[i], "-n") == 0)
            old_kernel = 1;
    }
    if (prctl(PR_SET_SECUREBITS, bits) != 0) {
        fprintf(stderr, "secbits: %s\n", strerror(errno));
        return 77;
    }
    if (old_kernel) {
        if ((ctx = seccomp_init(SCMP_ACT_ALLOW)) == NULL ||
            seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EINVAL), SCMP_SYS(execveat), 1,
                             SCMP_A4(SCMP_CMP_MASKED_EQ, 0x10000, 0x10000)) != 0 ||
            seccomp_load(ctx) != 0)
            return 77;
    }
    execv(argv[i], argv + i);
    return 127;
}
EOF
if ! cc -O2 -o "$T/secbits" "$T/secbits.c" -lseccomp 2>"$T/cc.err"; then
    fail secbits-helper "$(head -c 300 "$T/cc.err")"
    finish; exit
fi
SB=$T/secbits

# with_bits FLAGS ARGS...: run_spy under the helper.
with_bits() {
    local flags=$1; shift
    OUT=$T/out ERR=$T/err
    "$SB" $flags "$SPY" "$@" > "$OUT" 2> "$ERR" < /dev/null
    RC=$?
}

if ! "$SB" -f /bin/true; then
    pass "setting secure bits is not allowed here (skipped)"
    finish; exit
fi

# The secure bit makes every code file need execute permission, the stdlib
# included: an executable copy of the signed stdlib (modes are not signed).
XSTD=$T/xstdlib
cp -a "$STDLIB" "$XSTD"
find "$XSTD" -type f -exec chmod a+x {} +
# xpolicy [EXTRA...]: the test policy over the executable stdlib.
xpolicy() {
    write_policy "$@"
    sed -i "s#^search-path $STDLIB#search-path $XSTD#" "$POLICY"
}

script plain.py 'print("plain ran")'; sign "$T/plain.py"; chmod 644 "$T/plain.py"
script exe.py 'import mod644
print("exe ran", mod644.V)'
sign "$T/exe.py"; chmod 755 "$T/exe.py"
script lib/mod644.py 'V = 644'; sign "$LIB/mod644.py"; chmod 644 "$LIB/mod644.py"

# --- no secure bits, policy default (auto): asked, not enforced --------------------
write_policy
run_spy "$T/plain.py"
check auto-runs-non-executable eval '[ $RC -eq 0 ] && grep -qx "plain ran" "$OUT"'
log_has auto-logs-state 'e["event"] == "spython.exec-check" and e["args"] == {"policy": "auto", "kernel": "supported", "restrict_file": False, "deny_interactive": False, "enforced": False, "noexec": "refused", "writable": "allowed"}'

# --- SECBIT_EXEC_RESTRICT_FILE: the kernel's answer counts ----------------------------
xpolicy
: > "$LOG"
with_bits -f "$T/plain.py"
expect_refusal restrict-refuses-non-executable-script "plain.py: not executable \(kernel exec check\)$"
log_has restrict-logged 'e["event"] == "spython.verify" and e["args"]["path"].endswith("/plain.py") and e["decision"] == "deny" and e["reason"] == "not executable (kernel exec check)" and e["args"]["errno"] == "Permission denied"'
log_has restrict-state 'e["event"] == "spython.exec-check" and e["args"]["restrict_file"] and e["args"]["enforced"]'
with_bits -f "$T/exe.py"
check restrict-refuses-non-executable-module eval '[ $RC -eq 1 ] && grep -q "ImportError: refused by spython: not executable (kernel exec check)" "$ERR"'
log_has restrict-module-logged 'e["event"] == "spython.verify" and e["args"]["path"].endswith("/mod644.py") and e["decision"] == "deny"'
chmod 755 "$LIB/mod644.py"
with_bits -f "$T/exe.py"
check restrict-runs-executable eval '[ $RC -eq 0 ] && grep -qx "exe ran 644" "$OUT"'
chmod 644 "$LIB/mod644.py"
# The policy cannot turn the secure bit off.
xpolicy "exec-check off"
with_bits -f "$T/plain.py"
expect_refusal restrict-binds-exec-check-off "not executable \(kernel exec check\)$"

# --- exec-check require: as if the bit were always set ------------------------------------
xpolicy "exec-check require"
run_spy "$T/plain.py"
expect_refusal require-refuses-non-executable "plain.py: not executable \(kernel exec check\)$"
chmod 755 "$LIB/mod644.py"
run_spy "$T/exe.py"
check require-runs-executable eval '[ $RC -eq 0 ] && grep -qx "exe ran 644" "$OUT"'
chmod 644 "$LIB/mod644.py"

# --- SECBIT_EXEC_DENY_INTERACTIVE: refused already, and the log says the kernel asked too --
write_policy
: > "$LOG"
with_bits -i -c 'print("interactive ran")'
expect_refusal deny-interactive-refused "SECBIT_EXEC_DENY_INTERACTIVE is set"
log_has deny-interactive-logged 'e["event"] == "spython.launch" and e["decision"] == "deny" and "SECBIT_EXEC_DENY_INTERACTIVE" in e["reason"]'
log_has deny-interactive-state 'e["event"] == "spython.exec-check" and e["args"]["deny_interactive"]'
with_bits -i "$T/plain.py"
check deny-interactive-runs-scripts eval '[ $RC -eq 0 ] && grep -qx "plain ran" "$OUT"'

# --- a kernel without AT_EXECVE_CHECK: noted once, then on; unless required ------------
write_policy
: > "$LOG"
with_bits -n "$T/plain.py"
check old-kernel-runs eval '[ $RC -eq 0 ] && grep -qx "plain ran" "$OUT"'
log_has old-kernel-noted 'e["event"] == "spython.exec-check" and e["args"]["kernel"] == "unsupported"'
write_policy "exec-check require"
with_bits -n "$T/plain.py"
expect_refusal old-kernel-require-refused "exec-check require: this kernel has no AT_EXECVE_CHECK \(Linux 6.14 or later\)"

# --- noexec mounts (root: mount) --------------------------------------------------------
if [ "$(id -u)" = 0 ] && mkdir "$T/nx" && mount -t tmpfs -o noexec,size=4m tmpfs "$T/nx" 2>/dev/null; then
    cp "$T/plain.py" "$T/nx/plain.py"; sign "$T/nx/plain.py"; chmod 755 "$T/nx/plain.py"
    mkdir "$T/nx/lib"; cp "$LIB/mod644.py" "$T/nx/lib/nxmod.py"; sign "$T/nx/lib/nxmod.py"
    script nximport.py 'import nxmod'; sign "$T/nximport.py"
    write_policy "search-path $T/nx/lib"
    : > "$LOG"
    run_spy "$T/nx/plain.py"
    expect_refusal noexec-script-refused "plain.py: on a noexec mount$"
    log_has noexec-logged 'e["event"] == "spython.verify" and e["reason"] == "on a noexec mount"'
    run_spy "$T/nximport.py"
    check noexec-module-refused eval '[ $RC -eq 1 ] && grep -q "ImportError: refused by spython: on a noexec mount" "$ERR"'
    write_policy "search-path $T/nx/lib" "exec-check off"
    run_spy "$T/nx/plain.py"
    check noexec-exec-check-off-runs eval '[ $RC -eq 0 ] && grep -qx "plain ran" "$OUT"'
    write_policy "search-path $T/nx/lib" "mode audit"
    run_spy "$T/nx/plain.py"
    check noexec-audit-mode-runs eval '[ $RC -eq 0 ] && grep -qx "plain ran" "$OUT"'
    log_has noexec-audit-would-deny 'e["event"] == "spython.verify" and e["decision"] == "would-deny" and e["reason"] == "on a noexec mount"'
    umount "$T/nx"
else
    pass "noexec mounts need root (skipped)"
fi

finish
