#!/bin/sh
# mk/deb/build.sh ARCH: installable Debian packages of our QEMU for trixie
# hosts of ARCH (amd64 or arm64), into build/deb/ARCH/ (make deb).
# Debian's qemu source package with the series (mk/debian-source.sh, as
# make check-debian has it), Debian's packaging with the profile
# pkg.qemu.cxl-hosts (mk/deb/packaging.diff: the aarch64 and x86_64 system
# emulators and what they need) and a changelog entry whose version says it
# is ours: Debian's with a local suffix, +cxlN (N: the commits of this
# checkout, so that a later checkout's packages upgrade an earlier's;
# DEB_LOCAL_SUFFIX overrides it). dpkg-buildpackage -b builds it with
# mk/deb/settings.sh's profiles in a trixie build root (mk/kroot.sh deb):
# natively for amd64, with Debian's cross toolchain and arm64 libraries for
# arm64. qemu-system-data (Architecture: all) comes with either, and so
# does the host driver's DKMS package (mk/deb/dkms.sh), version 1.0+cxlN.
# ccache: this machine's cache, bound into the root. The log is
# build/deb/ARCH.log. Needs root (debootstrap, chroot, mount).
set -eu

top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/mk/pin.sh"
. "$top/mk/deb/settings.sh"

say() { echo "deb: $*" >&2; }
die() { say "error: $*"; exit 1; }

arch=$(deb_arch "${1:-}") || exit 2
[ "$(id -u)" = 0 ] || die "building in a build root needs root (chroot, mount)"

version=${BASE_VERSION#*:}
upstream=${version%-*}
out="$top/build/deb/$arch"
src="$out/qemu-$upstream"
log="$top/build/deb/$arch.log"
start=$(date +%s)
step() { say "[$(($(date +%s) - start)) s] $*"; }

n=$(git -C "$top" rev-list --count HEAD 2>/dev/null || echo 0)
commit=$(git -C "$top" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
suffix=${DEB_LOCAL_SUFFIX:-+cxl$n}
case "$suffix" in
+*|~*) ;;
*) die "DEB_LOCAL_SUFFIX '$suffix' must start with + or ~" ;;
esac
deb_version="$BASE_VERSION$suffix"

rm -rf "$out" "$log"
mkdir -p "$out"
"$top/mk/debian-source.sh" "$src"
patch -s -d "$src" -p1 <"$top/mk/deb/packaging.diff" ||
    die "mk/deb/packaging.diff does not apply to Debian's debian/"
ours=$(grep -c '^cxl-type2/' "$src/debian/patches/series")

# The changelog entry: dated as the commit, so that rebuilds are alike
when=$(git -C "$top" log -1 --format=%cD 2>/dev/null || date -R)
{
    echo "qemu ($deb_version) trixie; urgency=medium"
    echo
    echo "  * CXL Type-2 device passthrough through vfio-pci: $ours patches"
    echo "    (commit $commit), in debian/patches/cxl-type2/."
    echo "  * Built with the profile pkg.qemu.cxl-hosts: the aarch64 and x86_64"
    echo "    system emulators and what they need."
    echo
    echo " -- QEMU CXL Type-2 passthrough <cxl-type2@invalid>  $when"
    echo
    cat "$src/debian/changelog"
} >"$src/debian/changelog.new"
mv "$src/debian/changelog.new" "$src/debian/changelog"
step "qemu $deb_version for $arch: $ours patches of ours after Debian's"

. "$top/mk/kroot-run.sh"
ccache_dir=$(kroot_ccache_dir)
BINDS="$out $ccache_dir"
step "the build root (mk/kroot.sh deb, DEB_ARCH=$arch)"
DEB_ARCH=$arch kroot_use deb
step "build root $root"

jobs=$(nproc)
profiles=$(echo "$DEB_PROFILES" | tr ' ' ,)
cross=
[ "$arch" = amd64 ] || cross="-a$arch"
# ccache's compiler links (its package makes them for the cross gcc too).
# -j sets DEB_BUILD_OPTIONS's parallel=, the profile nocheck stops the tests.
ROOT_ENV="PATH=/usr/lib/ccache:/usr/sbin:/usr/bin:/sbin:/bin
          CCACHE_DIR=$ccache_dir CCACHE_BASEDIR=$out CCACHE_NOHASHDIR=1"
step "dpkg-buildpackage -b $cross -P$profiles (log: $log)"
cd "$src"
# shellcheck disable=SC2086
if ! in_root dpkg-buildpackage -b $cross -P"$profiles" -us -uc -j"$jobs" \
        >"$log" 2>&1; then
    tail -n 30 "$log" | sed 's/^/deb:   /' >&2
    die "dpkg-buildpackage failed; the log is $log"
fi
cd "$top"
step "built"
"$top/mk/deb/dkms.sh" "$out" "1.0$suffix" >/dev/null
ls "$out"/*.deb >/dev/null 2>&1 || die "dpkg-buildpackage made no package"
for d in "$out"/*.deb; do
    echo "  ${d##*/} $(du -k "$d" | cut -f1) KiB" >&2
done
echo "$out"
