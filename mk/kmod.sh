#!/bin/sh
# The project's Linux modules for Debian's 7.3 kernel:
#   mk/kmod.sh MODULE ARCH   (MODULE: cxl_accel | vfio_cxl_pci;
#                             ARCH: amd64 | arm64)
#   mk/kmod.sh MODULE files  the module's sources, a path a line (the
#                            DKMS package of make deb copies them)
# cxl_accel is the guest driver (contrib/cxl-accel-driver), vfio_cxl_pci the
# host driver (contrib/vfio-cxl-pci). Builds it against
# linux-headers-KABI-ARCH in the build root of mk/kroot.sh (natively for
# amd64, with the arm64 headers' cross compiler settings for arm64) and
# prints the path of build/kmod/MODULE/ARCH/MODULE.ko. A rerun with the same
# sources, script and root only prints the path. Needs root (chroot, mount).
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
usage='usage: mk/kmod.sh cxl_accel|vfio_cxl_pci amd64|arm64|files'
mod=${1:?$usage}
arch=${2:?$usage}
case "$arch" in
amd64) machine='x86-64' ;;
arm64) machine='ARM aarch64' ;;
files) ;;
*) echo "kmod: error: unknown architecture '$arch'" >&2; exit 2 ;;
esac
# Where each module's sources are and what it is built from (the
# directories hold other programs too).
case "$mod" in
cxl_accel)
    src="$top/contrib/cxl-accel-driver"
    FILES='cxl_accel.c cxl_accel.h Kbuild Makefile' ;;
vfio_cxl_pci)
    src="$top/contrib/vfio-cxl-pci"
    FILES='main.c cxl_shadow.c cxl_shadow.h cxl_dvsec.c cxl_dvsec.h kernel/cxl_shadow_types.h
           vfio_cxl_uapi.h ../../include/hw/vfio/cxl-uapi-v5.h Kbuild Makefile' ;;
*) echo "kmod: error: unknown module '$mod'" >&2; exit 2 ;;
esac
if [ "$arch" = files ]; then
    for f in $FILES; do
        realpath "$src/$f"
    done
    exit 0
fi
out="$top/build/kmod/$mod/$arch"
ko="$out/$mod.ko"

say() { echo "kmod: $*" >&2; }

kroot=$("$top/mk/kroot.sh")
kabi=$(sed -n 's/^abi //p' "$kroot/.kroot-stamp")

mkdir -p "$out"
# Shared: mk/kroot.sh does not replace the root while we use it.
exec 8>>"$top/build/kroot/lock"
flock -s 8
# One build per architecture at a time.
exec 9>"$out/lock"
flock 9

stamp=$(cd "$src" && sha256sum $FILES "$top/mk/kmod.sh" \
        "$kroot/.kroot-stamp" | sha256sum | cut -d' ' -f1)
if [ -f "$ko" ] && [ -f "$out/stamp" ] && [ "$(cat "$out/stamp")" = "$stamp" ]; then
    echo "$ko"
    exit 0
fi

start=$(date +%s)
work="/build/$mod-$arch"
log="$out/build.log"
rm -rf "$kroot$work" "$out/stamp" "$ko"
mkdir -p "$kroot$work"
(cd "$src" && cp $FILES "$kroot$work/")

say "building $mod.ko for linux-headers-$kabi-$arch"
# objtool wants /proc. It is mounted in a private mount namespace, so it
# disappears with the build however that ends, and nothing else sees it.
rc=0
unshare --mount --propagation private sh -c '
    mount -t proc proc "$1/proc" &&
    exec chroot "$1" /usr/bin/env -i PATH=/usr/bin:/bin LC_ALL=C.UTF-8 \
        make -C "/usr/src/linux-headers-$2" M="$3" modules' \
    sh "$kroot" "$kabi-$arch" "$work" >"$log" 2>&1 || rc=$?
if [ $rc != 0 ] || [ ! -f "$kroot$work/$mod.ko" ]; then
    say "error: the module build failed ($rc):"
    sed 's/^/kmod:   /' "$log" >&2
    exit 1
fi
grep -i 'warning' "$log" | sed 's/^/kmod: /' >&2 || true

# The module must be for the kernel and the machine it is meant for.
what=$(file -b "$kroot$work/$mod.ko")
case "$what" in
*"$machine"*) ;;
*) say "error: $mod.ko is not for $machine: $what"; exit 1 ;;
esac
vermagic=$(chroot "$kroot" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
           modinfo -F vermagic "$work/$mod.ko")
case "$vermagic" in
"$kabi-$arch "*) ;;
*) say "error: $mod.ko has vermagic '$vermagic', not $kabi-$arch"; exit 1 ;;
esac

cp "$kroot$work/$mod.ko" "$ko.tmp"
mv "$ko.tmp" "$ko"
echo "$stamp" >"$out/stamp"
say "built in $(($(date +%s) - start)) s: vermagic $vermagic"
echo "$ko"
