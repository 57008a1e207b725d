#!/bin/sh
# QEMU's scripts/checkpatch.pl finds nothing in our C files, and no error in
# our patches (their warnings are reported, not fatal: a linux-headers hunk
# that comes before the kernel header sync always warns).
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
tree="$top/build/qemu"
n=0 rc=0
check() { # DESCRIPTION CLEAN-PATTERN CHECKPATCH-ARGS...
    what=$1 clean=$2
    shift 2
    n=$((n + 1))
    out=$(cd "$tree" && ./scripts/checkpatch.pl --no-tree "$@" 2>&1)
    if echo "$out" | grep -q "^total: $clean"; then
        echo "ok $n checkpatch: $what"
        echo "$out" | grep '^WARNING' | sed 's/^/# /'
    else
        echo "not ok $n checkpatch: $what"
        echo "$out" | grep -A3 '^ERROR\|^WARNING' | sed 's/^/# /'
        rc=1
    fi
}
for p in $(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$top/patches/series"); do
    check "patches/$p" "0 errors" "$top/patches/$p"
done
# contrib/cxl-accel-driver/cxl_accel.[ch] and contrib/vfio-cxl-pci's own
# files are Linux kernel modules and a program beside one: they follow the
# kernel's coding style, not QEMU's (the kernel's checkpatch --strict
# passes them). cxl_shadow.[ch] and user/ are shared with the emulator and
# follow QEMU's.
for f in $(cd "$top" && git ls-files --cached --others --exclude-standard \
               -- '*.c' '*.h' \
               ':(exclude)contrib/cxl-accel-driver/cxl_accel.[ch]' \
               ':(exclude)contrib/vfio-cxl-pci/main.c' \
               ':(exclude)contrib/vfio-cxl-pci/vfio-cxl-check.c' \
               ':(exclude)contrib/vfio-cxl-pci/vfio-cxl-fuzz.c' \
               ':(exclude)contrib/vfio-cxl-pci/vfio-test.h' \
               ':(exclude)contrib/vfio-cxl-pci/vfio_cxl_uapi.h'); do
    # Run from the tree, where the file's path tells checkpatch its role.
    check "$f" "0 errors, 0 warnings" -f "$f"
done
echo "1..$n"
exit $rc
