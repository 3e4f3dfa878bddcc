#!/usr/bin/env bash
# sign-throughput.sh TREE KEY: sign two fresh copies of TREE with the same key,
# one with `evmctl ima_sign -r`, one with spython-sign -r, and print the wall
# times and their ratio. Copies live under $BUILD/sign-throughput and are
# removed afterwards; TREE itself is never written.
set -eu
: "${BUILD:?}"
tree=$1 key=$2
sign=$BUILD/spython-sign
work=$BUILD/sign-throughput
command -v evmctl >/dev/null || { echo "evmctl is needed (make deps)" >&2; exit 1; }
[ -d "$tree" ] && [ -f "$key" ] || { echo "usage: $0 TREE KEY" >&2; exit 2; }
rm -rf "$work"
mkdir -p "$work"
trap 'rm -rf "$work"' EXIT
cp -a "$tree" "$work/evmctl"
cp -a "$tree" "$work/spython"
files=$(find "$work/spython" -type f | wc -l)
sync

# ms CMD...: wall time of CMD in milliseconds.
ms() {
    local t0 t1
    t0=$(date +%s%N)
    "$@" >/dev/null 2>&1 || true
    t1=$(date +%s%N)
    echo $(( (t1 - t0) / 1000000 ))
}
e=$(ms evmctl ima_sign -r --xattr-user --key "$key" "$work/evmctl")
s=$(ms "$sign" -q -r --xattr user.ima -k "$key" "$work/spython")
again=$(ms "$sign" -q -r --xattr user.ima -k "$key" "$work/spython")
echo "tree: $tree ($files files), key: $key, $(nproc) CPUs"
echo "evmctl ima_sign -r:       ${e} ms"
echo "spython-sign -r:          ${s} ms"
echo "spython-sign -r (again):  ${again} ms (every file unchanged)"
awk -v e="$e" -v s="$s" 'BEGIN { printf "ratio evmctl/spython-sign: %.1fx\n", e / (s > 0 ? s : 1) }'
