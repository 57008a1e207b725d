#!/bin/sh
# QEMU's scripts/checkpatch.pl finds no error in our patches or our C files
# (warnings are reported, not fatal: e.g. a linux-headers hunk that comes
# before the kernel header sync always warns).
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
tree="$top/build/qemu"
n=0 rc=0
check() { # DESCRIPTION CHECKPATCH-ARGS...
    what=$1
    shift
    n=$((n + 1))
    out=$(cd "$tree" && ./scripts/checkpatch.pl --no-tree "$@" 2>&1)
    if echo "$out" | grep -q '^total: 0 errors'; then
        echo "ok $n checkpatch: $what"
        echo "$out" | grep '^WARNING' | sed 's/^/# /'
    else
        echo "not ok $n checkpatch: $what"
        echo "$out" | grep -A3 '^ERROR' | sed 's/^/# /'
        rc=1
    fi
}
for p in $(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$top/patches/series"); do
    check "patches/$p" "$top/patches/$p"
done
for f in $(cd "$top" && git ls-files --cached --others --exclude-standard \
               -- '*.c' '*.h'); do
    # Run from the tree, where the file's path tells checkpatch its role.
    check "$f" -f "$f"
done
echo "1..$n"
exit $rc
