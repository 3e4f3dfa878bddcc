#!/usr/bin/env bash
# Replacement mode: the policy's accept-flags lets harmless flags precede the
# script, as Debian's own python3 shebang lines carry them; every other option
# stays refused.
source "$(dirname "$0")/../lib.sh"

# What a script sees: its argv, and the flags spython applied or enforces.
cat > "$T/show.py" <<'PY'
import sys
print("argv", sys.argv[1:])
print("flags", sys.flags.isolated, sys.flags.ignore_environment, sys.flags.no_user_site,
      sys.flags.no_site, sys.dont_write_bytecode, sys.flags.safe_path)
print("stdout", type(sys.stdout.buffer).__name__)
print("exit-builtin", "exit" in dir(__builtins__))
PY

# Without accept-flags nothing may precede the script (10-launch tries them all).
write_policy
printf '#!%s -Es\n' "$SPY" | cat - "$T/show.py" > "$T/es-tool"
chmod 755 "$T/es-tool"; sign "$T/es-tool"
"$T/es-tool" a > "$T/out" 2> "$T/err" < /dev/null; RC=$?; ERR=$T/err
expect_refusal "without accept-flags, a '-Es' shebang is refused" "options are not accepted"

write_policy "accept-flags -I -E -s -S -B -P -u"

# Shebang lines of Debian 12's own python3 scripts, interpreter path replaced
# by the spython under test; the kernel passes what follows it as one argument.
#   #!/usr/bin/python3 -Es   tuned 2.20.0-1: /usr/sbin/tuned, /usr/sbin/tuned-adm;
#                            tuned-utils 2.20.0-1: /usr/bin/powertop2tuned
#   #! /usr/bin/python3      bpfcc-tools 0.26.0: /usr/sbin/*-bpfcc
#   #!/usr/bin/python3       lsb-release, ufw, unattended-upgrades, reportbug, ...
# and every other such line on this machine (the brief's grep).
{
    printf '%s\n' '#!/usr/bin/python3 -Es' '#! /usr/bin/python3' '#!/usr/bin/python3'
    grep -rhs '^#! *\/usr\/bin\/python3\( \|$\)' /usr/bin /usr/sbin /usr/lib/python3/dist-packages || true
} | sort -u > "$T/shebangs"
n=0
while IFS= read -r line; do
    n=$((n + 1))
    # "#! /usr/bin/python3 -Es" -> "#! $SPY -Es"
    printf '%s\n' "${line/\/usr\/bin\/python3/$SPY}" | cat - "$T/show.py" > "$T/deb$n"
    chmod 755 "$T/deb$n"; sign "$T/deb$n"
    "$T/deb$n" --opt 'sp ace' - > "$T/out" 2> "$T/err" < /dev/null; RC=$?
    if [ "$RC" -eq 0 ] && grep -qF "argv ['--opt', 'sp ace', '-']" "$T/out"; then
        pass "Debian shebang '$line' runs the script with its arguments"
    else
        fail "Debian shebang '$line' runs the script with its arguments" \
            "rc=$RC $(head -c 300 "$T/err")"
    fi
done < "$T/shebangs"
check "the Debian shebang lines include '#!/usr/bin/python3 -Es'" grep -qx '#!/usr/bin/python3 -Es' "$T/shebangs"

"$T/es-tool" x > "$T/out" 2> "$T/err" < /dev/null; RC=$?
check "with -Es: isolated, environment ignored, no user site, as always" \
    grep -qx "flags 1 1 1 1 True True" "$T/out"
log_has "the start line records the flags as given" \
    "e['event'] == 'spython.start' and e['args']['argv'][1:3] == ['-Es', '$T/es-tool']"
log_has "the script is verified by its own path, not the flag" \
    "e['event'] == 'spython.verify' and e['args']['path'] == '$T/es-tool' and e['decision'] == 'allow'"

# Flags given apart, combined, and the two that change something: -u
# unbuffers stdout, -S skips the site set-up (no exit() builtin, as python3 -S).
sign "$T/show.py"
run_spy -I -s -B "$T/show.py" 1
check "separate accepted flags run the script" grep -qF "argv ['1']" "$OUT"
run_spy -EsSB "$T/show.py" 2
check "combined accepted flags run the script" grep -qF "argv ['2']" "$OUT"
run_spy "$T/show.py"
check "stdout is buffered by default" grep -qx "stdout BufferedWriter" "$OUT"
check "the site set-up gives exit() by default" grep -qx "exit-builtin True" "$OUT"
run_spy -u "$T/show.py"
check "-u unbuffers stdout, as python3 -u" grep -qx "stdout FileIO" "$OUT"
run_spy -S "$T/show.py"
check "-S skips the site set-up, as python3 -S" grep -qx "exit-builtin False" "$OUT"

# Everything else stays refused, alone, combined with accepted flags, or after them.
for args in "-c" "-m" "-i" "-O" "-b" "-d" "-v" "-q" "-x" "-Xdev" "-Wall" "-Ec" "-sm" "-E -c" \
            "-E -m" "-E -i" "-Es -" "-E --" "--" "-E --version" "-" "-E -"; do
    # shellcheck disable=SC2086  # the words are the options under test
    run_spy $args "$T/show.py"
    expect_refusal "'$args' before the script is refused" "^spython: "
done
run_spy -E -c "$T/show.py"
check "the refusal names the offending option" grep -q "^spython: -c: " "$ERR"
log_has "the refusal is logged with the offending option" \
    'e["event"] == "spython.launch" and e["decision"] == "deny" and e["args"]["subject"] == "-c"'
run_spy -Es
expect_refusal "accepted flags without a script are refused" "no script given"
run_spy -E ""
expect_refusal "an empty script name after a flag is refused" "empty script name"

# A flag the policy does not list stays refused, even one spython could accept.
write_policy "accept-flags -E -s"
run_spy -Es "$T/show.py" ok
check "the flags the policy lists are accepted" grep -qF "argv ['ok']" "$OUT"
run_spy -I "$T/show.py"
expect_refusal "a flag the policy does not list is refused" "accept-flags"
run_spy -EsI "$T/show.py"
expect_refusal "a listed flag combined with an unlisted one is refused" "accept-flags"

# The policy can name only the harmless flags, one per argument.
for bad in "-c" "-m" "-i" "-X" "-W" "-O" "-b" "-Es" "E" "--" "-" "-EE"; do
    write_policy "accept-flags -E $bad"
    run_spy "$T/show.py"
    expect_refusal "accept-flags $bad is a policy error" "accept-flags: '$bad' cannot be accepted"
done
write_policy "accept-flags"
run_spy "$T/show.py"
expect_refusal "accept-flags without a flag is a policy error" "accept-flags: missing argument"
finish
