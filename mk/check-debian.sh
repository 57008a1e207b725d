#!/bin/sh
# make check-debian: what a distribution that rebuilds QEMU with this work
# does. Debian's qemu source package with the series (mk/debian-source.sh)
# is patched the way dpkg-buildpackage does (dpkg-source --before-build).
# That tree is built (both targets, mk/build.sh's configuration) in
# build/debian/, and the tests of mk/check.list run against it,
# bios-tables-test aside (Debian's tree does not unpack the edk2 images it
# boots). make deb builds the same source with Debian's packaging.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
work="$top/build/debian"
src="$work/qemu"

rm -rf "$work"
"$top/mk/debian-source.sh" "$src"
echo "check-debian: dpkg-source --before-build (Debian's patches, then ours)"
(cd "$src" && dpkg-source --before-build .) > "$work/before-build.log" 2>&1 ||
    { tail -n 20 "$work/before-build.log" >&2; exit 1; }
applied=$(grep -c '^cxl-type2/' "$src/.pc/applied-patches" || true)
echo "check-debian: $(grep -c . "$src/.pc/applied-patches") patches applied, $applied of them ours"

BUILD_TREE=debian/qemu BUILD_NAME=debian/obj BUILD_BIN=debian/bin \
    "$top/mk/build.sh"
CXL_ACCEL_BINARY="$work/bin/vfio-user-cxl-accel" \
    "$top/mk/check.sh" --list "$work/obj" "$top/build/check-debian" bios-tables-test
