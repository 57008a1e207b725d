#!/bin/sh
# Guest pieces for the demo and the guest tests, from Debian's archive:
#   mk/guest.sh ARCH   (arm64 | amd64)
# fetches Debian trixie's kernel (it has the CXL drivers as modules) and
# busybox-static for ARCH through a private apt configuration (no
# dpkg --add-architecture, nothing of the system's apt touched), caches them
# in build/guest/debs/, and builds build/guest/ARCH/{vmlinuz,initramfs.cpio.gz}
# from them and mk/guest-init.sh. Prints the directory.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/mk/pin.sh"
arch=${1:?usage: mk/guest.sh arm64|amd64}
case "$arch" in
arm64|amd64) ;;
*) echo "error: mk/guest.sh: unknown architecture '$arch'" >&2; exit 2 ;;
esac

GUEST_SUITE=${GUEST_SUITE:-trixie}
# What the init script loads, in order (cxl_core and cxl_port are built in).
MODULES='cxl_acpi cxl_pci cxl_mem'

guest="$top/build/guest"
out="$guest/$arch"
debs="$guest/debs"
apt="$guest/apt"
mkdir -p "$debs" "$apt/lists/partial" "$apt/cache/archives/partial"
printf 'deb [arch=arm64,amd64] %s %s main\n' "$DEBIAN_MIRROR" "$GUEST_SUITE" \
    > "$apt/sources.list"
set -- -o Dir::Etc::SourceList="$apt/sources.list" \
    -o Dir::Etc::SourceParts=/dev/null \
    -o Dir::State::Lists="$apt/lists" \
    -o Dir::State::status=/dev/null \
    -o Dir::Cache="$apt/cache" \
    -o Debug::NoLocking=1 \
    -o APT::Architectures::=arm64 -o APT::Architectures::=amd64

# Resolve the kernel once and keep using what is cached; the archive moves.
kernel_deb=$(ls "$debs"/linux-image-*-"$arch"_*_"$arch".deb 2>/dev/null | head -n1)
busybox_deb=$(ls "$debs"/busybox-static_*_"$arch".deb 2>/dev/null | head -n1)
if [ -z "$kernel_deb" ] || [ -z "$busybox_deb" ]; then
    echo "guest: fetching the $GUEST_SUITE $arch kernel and busybox from Debian" >&2
    apt-get "$@" -qq update >&2
    kpkg=$(apt-cache "$@" depends "linux-image-$arch:$arch" |
           sed -n 's/^ *Depends: \(linux-image-[^:]*\).*/\1/p' | head -n1)
    if [ -z "$kpkg" ]; then
        echo "error: no linux-image-$arch in Debian $GUEST_SUITE" >&2
        exit 1
    fi
    (cd "$debs" && apt-get "$@" -qq download "$kpkg:$arch" "busybox-static:$arch") >&2
    kernel_deb=$(ls "$debs"/linux-image-*-"$arch"_*_"$arch".deb | head -n1)
    busybox_deb=$(ls "$debs"/busybox-static_*_"$arch".deb | head -n1)
fi

stamp=$(sha256sum "$kernel_deb" "$busybox_deb" "$top/mk/guest.sh" \
        "$top/mk/guest-init.sh" | sha256sum | cut -d' ' -f1)
if [ -f "$out/stamp" ] && [ "$(cat "$out/stamp")" = "$stamp" ]; then
    echo "$out"
    exit 0
fi

echo "guest: building the $arch initramfs" >&2
rm -rf "$out"
mkdir -p "$out/pkg" "$out/root"
dpkg-deb -x "$kernel_deb" "$out/pkg"
dpkg-deb -x "$busybox_deb" "$out/pkg"
cp "$out/pkg"/boot/vmlinuz-* "$out/vmlinuz"
kver=$(ls "$out/pkg/lib/modules" 2>/dev/null || ls "$out/pkg/usr/lib/modules")
moddir=$(ls -d "$out/pkg/lib/modules/$kver" "$out/pkg/usr/lib/modules/$kver" 2>/dev/null | head -n1)

root="$out/root"
mkdir -p "$root/bin" "$root/dev" "$root/proc" "$root/sys" "$root/lib/modules"
cp "$out/pkg/usr/bin/busybox" "$root/bin/busybox" 2>/dev/null ||
    cp "$out/pkg/bin/busybox" "$root/bin/busybox"
for m in $MODULES; do
    f=$(find "$moddir/kernel" -name "$m.ko*" | head -n1)
    if [ -z "$f" ]; then
        echo "error: module $m is not in $(basename "$kernel_deb")" >&2
        exit 1
    fi
    case "$f" in
    *.xz) xz -dc "$f" > "$root/lib/modules/$m.ko" ;;
    *.zst) zstd -qdc "$f" > "$root/lib/modules/$m.ko" ;;
    *) cp "$f" "$root/lib/modules/$m.ko" ;;
    esac
done
echo "$MODULES" > "$root/lib/modules/order"
cp "$top/mk/guest-init.sh" "$root/init"
chmod +x "$root/init"
(cd "$root" && find . | cpio -o -H newc --quiet) > "$out/initramfs.cpio"
gzip -9 "$out/initramfs.cpio"
rm -rf "$out/pkg" "$root"
echo "$stamp" > "$out/stamp"
echo "$out"
