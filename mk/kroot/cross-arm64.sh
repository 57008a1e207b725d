# shellcheck shell=sh disable=SC2034,SC2154
# (settings for mk/kroot.sh, which also defines new, base, top and the helpers)
# mk/kroot.sh cross-arm64: build/xroot-arm64/root, where
# mk/nested-host/cross-qemu.sh builds QEMU for an arm64 host (the nested
# arm64 host of make check-host-arm64) and small static aarch64 programs.
# An amd64 trixie root with arm64 as a foreign dpkg architecture: Debian's
# aarch64 cross gcc, the arm64 -dev packages the minimal build of
# mk/build.sh links (GLib, libfdt, zlib; libc6-dev's linux-libc-dev for
# KVM's and VFIO's UAPI), pkgconf's aarch64-linux-gnu-pkg-config (from
# pkgconf:arm64), and the amd64 tools configure and meson run: a native gcc
# (meson wants a compiler for the build machine too), python3 with venv
# (configure's pyvenv), meson, ninja, ccache, and dtc (pc-bios/dtb compiles
# the device trees Debian's +ds tarball has not).
# Sourced by mk/kroot.sh, which says what each setting is.
NAME=xroot-arm64
SUITE=trixie
DEBOOTSTRAP_ARCH=amd64
WANT_EXTRA=
FOREIGN_ARCH=arm64
PACKAGES='gcc libc6-dev gcc-aarch64-linux-gnu libc6-dev:arm64
pkgconf pkgconf:arm64 meson ninja-build python3 python3-venv ccache bzip2 device-tree-compiler
libglib2.0-dev:arm64 libfdt-dev:arm64 zlib1g-dev:arm64'

sources() {
    echo "deb $DEBIAN_MIRROR $SUITE main"
}

build_root() {
    in_root dpkg --add-architecture "$FOREIGN_ARCH"
    # shellcheck disable=SC2086
    step apt-get install $PACKAGES
    in_root apt-get -q update
    # shellcheck disable=SC2086
    in_root apt-get -q -y install $PACKAGES
    for p in aarch64-linux-gnu-gcc aarch64-linux-gnu-pkg-config; do
        if [ ! -x "$new/usr/bin/$p" ]; then
            say "error: the packages brought no /usr/bin/$p"
            exit 1
        fi
    done
}

stamp_lines() {
    echo "foreign-arch $FOREIGN_ARCH"
}
