#!/bin/sh
# Guest pieces for the demo, the bench and the guest tests, from Debian's
# archive:
#   mk/guest.sh ARCH [KERNEL]      ARCH: arm64 | amd64
#                                  KERNEL: 7.3 (default) | 6.12
# 7.3: trixie-backports' Linux 7.3 ($GUEST_KABI, pinned in mk/pin.sh), the
#      first with Linux's CXL Type-2 driver API. The initramfs loads its CXL
#      modules and the project's driver (contrib/cxl-accel-driver, built by
#      mk/kmod.sh) and has the cxl command of Debian's cxl package
#      (mk/guest-cxl-tool.sh).
# 6.12: trixie's own kernel, what a user of the stable distribution has: its
#      CXL modules only; the guest reaches device memory through /dev/mem.
# Fetches the kernel and busybox-static for ARCH through a private apt
# configuration (no dpkg --add-architecture, nothing of the system's apt
# touched), caches them in build/guest/debs/, and builds
# build/guest/ARCH-KERNEL/{vmlinuz,initramfs.cpio.gz} from them and
# mk/guest-init.sh. Prints the directory.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/mk/pin.sh"
. "$top/mk/apt-private.sh"
arch=${1:?usage: mk/guest.sh arm64|amd64 [7.3|6.12]}
kernel=${2:-7.3}
case "$arch" in
arm64|amd64) ;;
*) echo "error: mk/guest.sh: unknown architecture '$arch'" >&2; exit 2 ;;
esac
# What the init script loads, in order (cxl_core and cxl_port are built in).
# 7.3 moved symbols: cxl_acpi needs cxl_pmem, cxl_pci needs cxl_mem.
case "$kernel" in
7.3) MODULES='libnvdimm cxl_pmem cxl_mem cxl_acpi cxl_pci' ;;
6.12) MODULES='cxl_acpi cxl_pci cxl_mem' ;;
*) echo "error: mk/guest.sh: unknown kernel '$kernel' (7.3 or 6.12)" >&2
   exit 2 ;;
esac

guest="$top/build/guest"
out="$guest/$arch-$kernel"
debs="$guest/debs"
apt="$guest/apt"
mkdir -p "$debs"
set -- -c "$(apt_private_conf "$apt" arm64 amd64)"

apt_updated=""
apt_update() {
    [ -n "$apt_updated" ] && return
    DEBIAN_MIRROR=$(debian_mirror)
    {
        printf 'deb [arch=arm64,amd64] %s trixie main\n' "$DEBIAN_MIRROR"
        printf 'deb [arch=arm64,amd64] %s trixie-backports main\n' "$DEBIAN_MIRROR"
    } > "$apt/sources.list"
    apt-get "$@" -qq update >&2
    apt_updated=1
}

# The debs of the kernel: 7.3 is split into a binary (the image) and a
# modules package; 6.12 is one package. Resolve once, then keep using what
# is cached: the archive moves.
case "$kernel" in
7.3)
    kdebs=""
    for p in linux-binary linux-modules; do
        f=$(ls "$debs/$p-$GUEST_KABI-${arch}_"*"_$arch.deb" 2>/dev/null | head -n1)
        if [ -z "$f" ]; then
            echo "guest: fetching $p-$GUEST_KABI-$arch from trixie-backports" >&2
            apt_update "$@"
            (cd "$debs" && apt-get "$@" -qq download "$p-$GUEST_KABI-$arch:$arch") >&2
            f=$(ls "$debs/$p-$GUEST_KABI-${arch}_"*"_$arch.deb" | head -n1)
        fi
        kdebs="$kdebs $f"
    done
    ;;
6.12)
    kdebs=$(ls "$debs"/linux-image-6.12.*-"$arch"_*_"$arch".deb 2>/dev/null | head -n1)
    if [ -z "$kdebs" ]; then
        echo "guest: fetching trixie's $arch kernel from Debian" >&2
        apt_update "$@"
        kpkg=$(apt-cache "$@" depends "linux-image-$arch:$arch" |
               sed -n 's/^ *Depends: \(linux-image-6\.12[^:]*\).*/\1/p' | head -n1)
        if [ -z "$kpkg" ]; then
            echo "error: no 6.12 linux-image-$arch in Debian trixie" >&2
            exit 1
        fi
        (cd "$debs" && apt-get "$@" -qq download "$kpkg:$arch") >&2
        kdebs=$(ls "$debs"/linux-image-6.12.*-"$arch"_*_"$arch".deb | head -n1)
    fi
    ;;
esac
busybox_deb=$(ls "$debs"/busybox-static_*_"$arch".deb 2>/dev/null | head -n1)
if [ -z "$busybox_deb" ]; then
    apt_update "$@"
    (cd "$debs" && apt-get "$@" -qq download "busybox-static:$arch") >&2
    busybox_deb=$(ls "$debs"/busybox-static_*_"$arch".deb | head -n1)
fi

# The 7.3 guest's own pieces: our driver, the cxl tool, mmap-rw and
# dma-round-trip.
extra=""
if [ "$kernel" = 7.3 ]; then
    driver=$("$top/mk/kmod.sh" cxl_accel "$arch")
    cxltool=$("$top/mk/guest-cxl-tool.sh" "$arch")
    extra="$driver ${cxltool%/tree}/stamp $top/contrib/cxl-accel-driver/mmap-rw.c
           $top/contrib/cxl-accel-driver/dma-round-trip.c
           $top/contrib/cxl-accel-driver/cxl_accel.h"
fi

# shellcheck disable=SC2086
stamp=$(sha256sum $kdebs "$busybox_deb" $extra "$top/mk/guest.sh" \
        "$top/mk/guest-init.sh" | sha256sum | cut -d' ' -f1)
if [ -f "$out/stamp" ] && [ "$(cat "$out/stamp")" = "$stamp" ]; then
    echo "$out"
    exit 0
fi

echo "guest: building the $arch initramfs for Linux $kernel" >&2
rm -rf "$out"
mkdir -p "$out/pkg" "$out/root"
for d in $kdebs "$busybox_deb"; do
    dpkg-deb -x "$d" "$out/pkg"
done
kver=$(ls "$out/pkg/lib/modules" 2>/dev/null || ls "$out/pkg/usr/lib/modules")
moddir=$(ls -d "$out/pkg/lib/modules/$kver" "$out/pkg/usr/lib/modules/$kver" 2>/dev/null | head -n1)
# 6.12 ships the image in /boot, 7.3 beside its modules.
cp "$(ls "$out/pkg"/boot/vmlinuz-* "$moddir/vmlinuz" 2>/dev/null | head -n1)" \
    "$out/vmlinuz"

root="$out/root"
mkdir -p "$root/bin" "$root/dev" "$root/proc" "$root/sys" "$root/lib/modules"
cp "$out/pkg/usr/bin/busybox" "$root/bin/busybox" 2>/dev/null ||
    cp "$out/pkg/bin/busybox" "$root/bin/busybox"
for m in $MODULES; do
    f=$(find "$moddir/kernel" -name "$m.ko*" | head -n1)
    if [ -z "$f" ]; then
        echo "error: module $m is not in the Linux $kernel packages" >&2
        exit 1
    fi
    case "$f" in
    *.xz) xz -dc "$f" > "$root/lib/modules/$m.ko" ;;
    *.zst) zstd -qdc "$f" > "$root/lib/modules/$m.ko" ;;
    *) cp "$f" "$root/lib/modules/$m.ko" ;;
    esac
done
if [ "$kernel" = 7.3 ]; then
    cp "$driver" "$root/lib/modules/cxl_accel.ko"
    MODULES="$MODULES cxl_accel"
    cp -a "$cxltool/." "$root/"
    case "$arch" in
    arm64) cc=aarch64-linux-gnu-gcc ;;
    amd64) cc=gcc ;;
    esac
    mkdir -p "$root/usr/bin"
    for p in mmap-rw dma-round-trip; do
        $cc -static -O2 -Wall -Wextra -I"$top/contrib/cxl-accel-driver" \
            -o "$root/usr/bin/$p" "$top/contrib/cxl-accel-driver/$p.c"
    done
fi
echo "$kver" > "$out/release"
echo "$MODULES" > "$root/lib/modules/order"
cp "$top/mk/guest-init.sh" "$root/init"
chmod +x "$root/init"
(cd "$root" && find . | cpio -o -H newc --quiet) > "$out/initramfs.cpio"
gzip -9 "$out/initramfs.cpio"
rm -rf "$out/pkg" "$root"
echo "$stamp" > "$out/stamp"
echo "$out"
