#!/bin/sh
# The nested host's test kernel, built from Debian's linux-source-7.3:
#   mk/nested-kernel/build.sh          (DEBUG=1: with lockdep and KASAN)
# Debian's 7.3.4 amd64 kernel, which `make check-host` boots as the nested
# host, has no IOMMUFD (so no /dev/iommu and no VFIO device cdev) and
# refuses a dma-buf of a variant driver's own region. This builds a kernel
# from the same source package with x86_64 defconfig + kvm_guest.config +
# mk/nested-kernel/config (+ config-debug with DEBUG=1), everything the bed
# uses built in, and the test-only patches of mk/nested-kernel/patches/.
#
# The build runs in the trixie build root of mk/kroot.sh, into which this
# script installs linux-source-7.3 and the kernel's build dependencies from
# Debian's archive (the first time, with apt). The patched source and the
# build trees live under build/nested-kernel/ (outside the root, bound into
# it at /nested-kernel): src/, obj-default/ or obj-debug/ (also the tree
# out-of-tree modules are built against, mk/nested-kernel/kmod.sh). The
# result is build/nested-kernel/default/ (or debug/): vmlinuz, config,
# System.map, release (uname -r), modules/ (modules_install, if any) and
# stamp. A rerun with the same script, fragments, patches, source package
# and compiler only prints that directory; a change rebuilds incrementally.
# The compile runs under nice -n 15 with one job per CPU.
# Needs root (chroot, mount) as mk/kroot.sh does.
set -eu

top=$(cd "$(dirname "$0")/../.." && pwd)
here="$top/mk/nested-kernel"
SRC_PKG=linux-source-7.3
# From trixie, and from trixie-backports: the source, and libelf-dev, which
# must match the backports libelf1t64 the 7.3 headers brought into the root.
PACKAGES='bc bison flex cpio libssl-dev patch ccache'
BACKPORTS="$SRC_PKG libelf-dev"
CC=gcc-14
case "${DEBUG:-}" in
'' | 0) variant=default; fragments="config" ;;
*) variant=debug; fragments="config config-debug" ;;
esac
base="$top/build/nested-kernel"
src="$base/src"
obj="$base/obj-$variant"
out="$base/$variant"
# Where $base appears inside the build root.
MNT=/nested-kernel

say() { echo "nested-kernel: $*" >&2; }
die() { say "error: $*"; exit 1; }

[ "$(id -u)" = 0 ] || die "needs root (chroot, mount)"
kroot=$("$top/mk/kroot.sh")
mkdir -p "$base"

# COMMAND...: in the build root, /proc mounted and $base at $MNT, in a
# private mount namespace (nothing outside sees the mounts, and they go
# with the command however it ends), with a clean environment. gcc-14 is
# found through ccache's masquerade directory, so the compiler's command
# line (which kbuild records per object) is the same with or without the
# cache; the cache is $base/ccache, shared by both variants.
in_root() {
    # shellcheck disable=SC2016
    unshare --mount --propagation private sh -c '
        r=$1 b=$2 m=$3; shift 3
        mount -t proc proc "$r/proc" &&
        mount --bind "$b" "$r$m" &&
        exec chroot "$r" /usr/bin/env -i \
            PATH=/usr/lib/ccache:/usr/sbin:/usr/bin:/sbin:/bin \
            CCACHE_DIR="$m/ccache" CCACHE_BASEDIR="$m" CCACHE_MAXSIZE=4G \
            HOME=/root LC_ALL=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"' \
        sh "$kroot" "$base" "$MNT" "$@"
}
missing() { # PACKAGE...: those not installed in the root
    for p in "$@"; do
        dpkg-query --admindir="$kroot/var/lib/dpkg" -W -f '${Status}\n' "$p" \
            2>/dev/null | grep -q ' installed$' || echo "$p"
    done
}

# mk/kroot.sh does not replace the root while we hold this shared; taken
# exclusively only while apt adds our packages to it.
exec 8>>"$top/build/kroot/lock"
# shellcheck disable=SC2086
if [ -n "$(missing $PACKAGES $BACKPORTS)" ]; then
    flock 8
    # shellcheck disable=SC2086
    need=$(missing $PACKAGES $BACKPORTS | tr '\n' ' ')
    if [ -n "$need" ]; then
        say "installing in the build root: $need"
        mkdir -p "$kroot$MNT"
        alog="$base/apt.log"
        # shellcheck disable=SC2086
        {
            in_root apt-get -q update &&
            in_root apt-get -q -y install $PACKAGES &&
            in_root apt-get -q -y install -t trixie-backports $BACKPORTS &&
            in_root apt-get clean
        } >"$alog" 2>&1 || { tail -n 25 "$alog" >&2; die "apt in the build root failed ($alog)"; }
        rm -rf "$kroot"/var/lib/apt/lists/*
    fi
fi
flock -s 8
mkdir -p "$kroot$MNT"
# One build of ours at a time (the variants share the source).
exec 9>"$base/lock"
flock 9

pkgver() {
    dpkg-query --admindir="$kroot/var/lib/dpkg" -W -f '${Version}' "$1"
}
srcver=$(pkgver "$SRC_PKG")
tarball="$kroot/usr/src/$SRC_PKG.tar.xz"
[ -f "$tarball" ] || die "no $tarball in the build root"
patches=$(ls "$here"/patches/*.patch 2>/dev/null || true)

# --- the patched source -----------------------------------------------------
# .nk-patches/ in the source holds the patches applied to it: when they
# change, the old ones are reversed and the new ones applied, so that only
# the files they touch are rebuilt. A new source package starts afresh.
# shellcheck disable=SC2086
src_want="$SRC_PKG $srcver $(cat $patches /dev/null | sha256sum | cut -d' ' -f1)"
if [ ! -f "$src/.nk-stamp" ] || [ "$(cat "$src/.nk-stamp")" != "$src_want" ]; then
    fresh=1
    if [ -f "$src/.nk-stamp" ] && [ "$(cut -d' ' -f1-2 "$src/.nk-stamp")" = "$SRC_PKG $srcver" ]; then
        fresh=""
        for p in $(printf '%s\n' "$src"/.nk-patches/*.patch | sort -r); do
            [ -f "$p" ] || continue
            say "reversing $(basename "$p")"
            if ! in_root patch -d "$MNT/src" -R -p1 -s --no-backup-if-mismatch \
                -i "$MNT/src/.nk-patches/${p##*/}"; then
                fresh=1
                break
            fi
        done
        rm -rf "$src/.nk-patches" "$src/.nk-stamp"
    fi
    if [ -n "$fresh" ]; then
        say "unpacking $SRC_PKG $srcver"
        rm -rf "$src" "$base/src.new" "$base/obj-default" "$base/obj-debug"
        mkdir -p "$base/src.new"
        nice -n 15 tar -xJf "$tarball" -C "$base/src.new" --strip-components=1
        mv "$base/src.new" "$src"
    fi
    mkdir -p "$src/.nk-patches"
    for p in $patches; do
        say "applying $(basename "$p")"
        cp "$p" "$src/.nk-patches/"
        in_root patch -d "$MNT/src" -p1 -s --forward --no-backup-if-mismatch \
            -i "$MNT/src/.nk-patches/${p##*/}" ||
            die "$(basename "$p") does not apply to $SRC_PKG $srcver"
    done
    echo "$src_want" >"$src/.nk-stamp"
fi

# --- the build ---------------------------------------------------------------
frag_files=""
for f in $fragments; do
    frag_files="$frag_files $here/$f"
done
# shellcheck disable=SC2086
want=$(cat "$here/build.sh" $frag_files "$src/.nk-stamp" | sha256sum | cut -d' ' -f1)
want="$want $variant $CC $(pkgver "$CC")"
if [ -f "$out/stamp" ] && [ "$(cat "$out/stamp")" = "$want" ] && [ -f "$out/vmlinuz" ]; then
    echo "$out"
    exit 0
fi

start=$(date +%s)
log="$base/build-$variant.log"
: >"$log"
kmake() { # TARGET...: make in the source for the variant's tree
    in_root make -C "$MNT/src" O="$MNT/obj-$variant" CC="$CC" HOSTCC="$CC" \
        KBUILD_BUILD_USER=cxl KBUILD_BUILD_HOST=nested-kernel "$@" >>"$log" 2>&1
}
mkdir -p "$obj" "$base/frag"
# shellcheck disable=SC2086
cp $frag_files "$base/frag/"
say "configuring ($variant): x86_64_defconfig kvm_guest.config $fragments"
kmake x86_64_defconfig kvm_guest.config || die "configuration failed ($log)"
# shellcheck disable=SC2046
in_root sh "$MNT/src/scripts/kconfig/merge_config.sh" -m -O "$MNT/obj-$variant" \
    "$MNT/obj-$variant/.config" $(for f in $fragments; do echo "$MNT/frag/$f"; done) \
    >>"$log" 2>&1 || die "merge_config.sh failed ($log)"
kmake olddefconfig || die "configuration failed ($log)"
# Every line of the fragments must hold: a dependency Kconfig resolved
# otherwise is an error here, not a surprise in the nested host.
bad=""
for f in $fragments; do
    while IFS= read -r line; do
        case "$line" in
        CONFIG_*=*)
            grep -qxF "$line" "$obj/.config" || bad="$bad
  $line (have: $(grep "^${line%%=*}=" "$obj/.config" || echo 'not set'))" ;;
        "# CONFIG_"*" is not set")
            s=${line#\# }; s=${s%% *}
            ! grep -q "^$s=" "$obj/.config" || bad="$bad
  $line (have: $(grep "^$s=" "$obj/.config"))" ;;
        esac
    done <"$here/$f"
done
# The last fragment wins for a symbol set twice (LOCALVERSION)
bad=$(echo "$bad" | grep -v 'CONFIG_LOCALVERSION=' || true)
[ -z "$bad" ] || die "the configuration does not hold:$bad"

jobs=$(nproc)
say "compiling ($variant, nice -n 15, -j$jobs); the log is $log"
in_root nice -n 15 make -C "$MNT/src" O="$MNT/obj-$variant" CC="$CC" HOSTCC="$CC" \
    KBUILD_BUILD_USER=cxl KBUILD_BUILD_HOST=nested-kernel -j"$jobs" \
    bzImage modules >>"$log" 2>&1 || {
    grep -E 'error|Error' "$log" | tail -n 20 >&2
    die "the kernel build failed ($log)"
}
release=$(in_root make -s -C "$MNT/src" O="$MNT/obj-$variant" CC="$CC" kernelrelease 2>>"$log")

rm -rf "$out.new"
mkdir -p "$out.new/modules"
kmake INSTALL_MOD_PATH="$MNT/$variant.new/modules" INSTALL_MOD_STRIP=1 \
    modules_install || die "modules_install failed ($log)"
cp "$obj/arch/x86/boot/bzImage" "$out.new/vmlinuz"
cp "$obj/.config" "$out.new/config"
cp "$obj/System.map" "$out.new/System.map"
echo "$release" >"$out.new/release"
echo "$want" >"$out.new/stamp"
rm -rf "$out"
mv "$out.new" "$out"
say "built Linux $release ($variant) in $(($(date +%s) - start)) s"
echo "$out"
