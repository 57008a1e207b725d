#!/bin/sh
# The project's out-of-tree modules against the test kernel:
#   mk/nested-kernel/kmod.sh [vfio_cxl_pci|cxl_accel]   (DEBUG=1: the debug
#                                                        variant's kernel)
# As mk/kmod.sh does for Debian's linux-headers, but against the build tree
# of mk/nested-kernel/build.sh (build/nested-kernel/obj-VARIANT), in the
# same build root. Builds the test kernel first if it is not current.
# The module's directory is copied with its place in the repository (the
# Kbuild of vfio_cxl_pci reaches include/hw/vfio from there), so no list
# of its files is kept here. Prints the path of
# build/nested-kernel/kmod/VARIANT/MODULE.ko; a rerun with the same
# sources, script and kernel only prints it. Needs root (chroot, mount).
set -eu

top=$(cd "$(dirname "$0")/../.." && pwd)
mod=${1:-vfio_cxl_pci}
case "$mod" in
vfio_cxl_pci) dir=contrib/vfio-cxl-pci ;;
cxl_accel) dir=contrib/cxl-accel-driver ;;
*) echo "nested-kernel kmod: error: unknown module '$mod'" >&2; exit 2 ;;
esac
CC=gcc-14
MNT=/nested-kernel   # build.sh's mount point of build/nested-kernel

say() { echo "nested-kernel kmod: $*" >&2; }

kout=$("$top/mk/nested-kernel/build.sh")
variant=${kout##*/}
base="$top/build/nested-kernel"
release=$(cat "$kout/release")
kroot=$("$top/mk/kroot.sh")
out="$base/kmod/$variant"
ko="$out/$mod.ko"
mkdir -p "$out"
exec 8>>"$top/build/kroot/lock"
flock -s 8
exec 9>"$out/lock"
flock 9

# What it is built from: the module's sources, the headers it shares with
# QEMU, this script and the kernel.
files() {
    (cd "$top" && find "$dir" include/hw/vfio -type f \
        \( -name '*.[ch]' -o -name Kbuild -o -name Makefile \) | LC_ALL=C sort)
}
# shellcheck disable=SC2046
stamp=$(cd "$top" && sha256sum $(files) "$top/mk/nested-kernel/kmod.sh" \
        "$kout/stamp" | sha256sum | cut -d' ' -f1)
if [ -f "$ko" ] && [ -f "$out/$mod.stamp" ] && [ "$(cat "$out/$mod.stamp")" = "$stamp" ]; then
    echo "$ko"
    exit 0
fi

start=$(date +%s)
work="kmod/work-$mod-$variant"
rm -rf "${base:?}/$work" "$ko" "$out/$mod.stamp"
mkdir -p "$base/$work"
(cd "$top" && files | cpio -pdm --quiet "$base/$work")
log="$out/$mod.log"
say "building $mod.ko for the test kernel $release"
rc=0
# shellcheck disable=SC2016
unshare --mount --propagation private sh -c '
    mount -t proc proc "$1/proc" &&
    mount --bind "$2" "$1$3" &&
    exec chroot "$1" /usr/bin/env -i PATH=/usr/bin:/bin LC_ALL=C.UTF-8 \
        make -C "$3/obj-$4" CC="$5" HOSTCC="$5" M="$3/$6" modules' \
    sh "$kroot" "$base" "$MNT" "$variant" "$CC" "$work/$dir" >"$log" 2>&1 || rc=$?
built="$base/$work/$dir/$mod.ko"
if [ $rc != 0 ] || [ ! -f "$built" ]; then
    say "error: the module build failed ($rc):"
    sed 's/^/nested-kernel kmod:   /' "$log" >&2
    exit 1
fi
grep -i 'warning' "$log" | sed 's/^/nested-kernel kmod: /' >&2 || true
# modinfo's vermagic= field, read from the file (the kernel's own release)
vermagic=$(tr '\0' '\n' <"$built" | sed -n 's/^vermagic=//p' | head -n1)
case "$vermagic" in
"$release "*) ;;
*) say "error: $mod.ko has vermagic '$vermagic', not $release"; exit 1 ;;
esac
cp "$built" "$ko.tmp"
mv "$ko.tmp" "$ko"
echo "$stamp" >"$out/$mod.stamp"
say "built in $(($(date +%s) - start)) s: vermagic $vermagic"
echo "$ko"
