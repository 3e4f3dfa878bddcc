#!/usr/bin/env bash
# mkstdlib.sh DEST KEY XATTR...: a signed copy of the system standard library for
# tests, benchmarks and the demo (never the system's own files). cp -a keeps
# mtimes, so Debian's __pycache__ stays valid and is signed too.
set -eu
dest=$1 key=$2
shift 2
sign=${SIGN:-$(dirname "$0")/../build/spython-sign}
src=/usr/lib/python3.$(/usr/bin/python3 -c 'import sys; print(sys.version_info[1])')
rm -rf "$dest.tmp"
mkdir -p "$dest.tmp"
tar -C "$src" --exclude='./config-*' --exclude='./test' --exclude='./idlelib' \
    --exclude='./tkinter' --exclude='./turtledemo' --exclude='./ensurepip' \
    --exclude='./lib2to3' --exclude='./site-packages' --exclude='./dist-packages' \
    --exclude='./sitecustomize.py' -cf - . | tar -C "$dest.tmp" -xf -
for xattr in "$@"; do
    "$sign" -q -k "$key" --xattr "$xattr" "$dest.tmp" >/dev/null
done
rm -rf "$dest"
mv "$dest.tmp" "$dest"
