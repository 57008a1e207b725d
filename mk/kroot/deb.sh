# shellcheck shell=sh disable=SC2034,SC2154
# (settings for mk/kroot.sh, which also defines new, base, top and the helpers)
# DEB_ARCH=amd64|arm64 mk/kroot.sh deb: build/deb-root-ARCH/root, where
# mk/deb/build.sh builds Debian's qemu packages with our series for trixie
# hosts of that architecture. A trixie amd64 root with dpkg-dev, ccache and
# the build dependencies of Debian's debian/ as mk/deb/packaging.diff
# changes it, for mk/deb/settings.sh's profiles (apt-get build-dep on that
# debian/control); for arm64 they are arm64 packages beside Debian's cross
# toolchain (crossbuild-essential-arm64), the tools amd64.
# Sourced by mk/kroot.sh, which says what each setting is.
. "$top/mk/deb/settings.sh"
DEB_ARCH=${DEB_ARCH:-amd64}
case " $DEB_ARCHES " in
*" $DEB_ARCH "*) ;;
*) echo "deb root: error: DEB_ARCH is '$DEB_ARCH', not one of: $DEB_ARCHES" >&2
   exit 2 ;;
esac
NAME=deb-root-$DEB_ARCH
SUITE=trixie
DEBOOTSTRAP_ARCH=amd64
debian_tar="${DEBIAN_SOURCE_DIR:-$top/../shared/upstream}/qemu_${BASE_VERSION#*:}.debian.tar.xz"
# The root follows Debian's packaging, our debian/control (its build
# dependencies) and the profiles
WANT_EXTRA="$DEB_ARCH $({ cat "$debian_tar"; echo "$DEB_PROFILES"
    sed -n '/^--- a\/debian\/control$/,/^--- a\/debian\/control-in$/p' \
        "$top/mk/deb/packaging.diff"; } | sha256sum | cut -d' ' -f1)"
PACKAGES='dpkg-dev ccache xz-utils patch'
[ "$DEB_ARCH" = amd64 ] || PACKAGES="$PACKAGES crossbuild-essential-$DEB_ARCH"

sources() {
    echo "deb $DEBIAN_MIRROR $SUITE main"
}

build_root() {
    if [ ! -f "$debian_tar" ]; then
        say "error: no $debian_tar: Debian's packaging of the pinned base"
        exit 1
    fi
    [ "$DEB_ARCH" = amd64 ] || in_root dpkg --add-architecture "$DEB_ARCH"
    step "apt-get install $PACKAGES"
    in_root apt-get -q update
    # shellcheck disable=SC2086
    in_root apt-get -q -y install $PACKAGES
    # The build dependencies of the packaging as make deb builds it
    mkdir -p "$new/tmp/qemu-packaging"
    tar -xJf "$debian_tar" -C "$new/tmp/qemu-packaging"
    patch -s -d "$new/tmp/qemu-packaging" -p1 <"$top/mk/deb/packaging.diff"
    step "apt-get build-dep -a $DEB_ARCH -P $DEB_PROFILES"
    in_root apt-get -q -y build-dep -a "$DEB_ARCH" \
        -P "$(echo "$DEB_PROFILES" | tr ' ' ,)" /tmp/qemu-packaging
    rm -rf "$new/tmp/qemu-packaging"
}

stamp_lines() {
    echo "deb-arch $DEB_ARCH"
    echo "profiles $DEB_PROFILES"
}
