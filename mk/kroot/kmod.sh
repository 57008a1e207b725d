# shellcheck shell=sh disable=SC2034,SC2154
# (settings for mk/kroot.sh, which also defines new, base, top and the helpers)
# mk/kroot.sh's default root, build/kroot/root, for out-of-tree Linux
# modules (mk/kmod.sh) and the nested host's kernel (mk/nested-kernel/,
# which adds its own packages): gcc-14, the arm64 cross compiler and the
# headers of the trixie-backports kernel for amd64 (installed with apt) and
# arm64 (unpacked, it shares the amd64 linux-kbuild). Debian's 7.3 kbuild
# needs glibc >= 2.38 and gcc-14, which a bookworm host has not.
# Sourced by mk/kroot.sh, which says what each setting is.
NAME=kroot
SUITE=trixie
DEBOOTSTRAP_ARCH=amd64
# The kernel ABI the headers are for: the guest kernel's (trixie-backports).
KABI=$GUEST_KABI
WANT_EXTRA=$KABI
PACKAGES='gcc-14 make libc6-dev libelf1t64 xz-utils kmod gcc-14-aarch64-linux-gnu'
BACKPORTS="linux-headers-$KABI-amd64"
FOREIGN_ARCH=arm64
FOREIGN="linux-headers-$KABI-$FOREIGN_ARCH"

sources() {
    echo "deb $DEBIAN_MIRROR $SUITE main"
    echo "deb $DEBIAN_MIRROR $SUITE-backports main"
}

build_root() {
    step "apt-get install $PACKAGES"
    in_root apt-get -q update
    # shellcheck disable=SC2086
    in_root apt-get -q -y install $PACKAGES
    step "apt-get install -t $SUITE-backports $BACKPORTS"
    in_root apt-get -q -y install -t "$SUITE-backports" "$BACKPORTS"

    # The foreign headers must be the same upload as the common headers.
    ver=$(dpkg-query --admindir="$new/var/lib/dpkg" -W -f '${Version}' \
          "linux-headers-$KABI-common")
    step "fetching $FOREIGN:$FOREIGN_ARCH $ver"
    apt="$base/apt"
    debs="$base/debs"
    mkdir -p "$apt" "$debs"
    printf 'deb [arch=%s] %s %s-backports main\n' "$FOREIGN_ARCH" \
        "$DEBIAN_MIRROR" "$SUITE" >"$apt/sources.list"
    deb="$debs/${FOREIGN}_$(echo "$ver" | sed 's/:/%3a/')_$FOREIGN_ARCH.deb"
    if [ ! -f "$deb" ]; then
        # A private apt configuration: the host's sources and dpkg stay untouched.
        set -- -c "$(apt_private_conf "$apt" "$FOREIGN_ARCH")"
        run apt-get "$@" -q update
        cd "$debs" || exit 1
        run apt-get "$@" -q download "$FOREIGN:$FOREIGN_ARCH=$ver"
        cd "$top" || exit 1
        if [ ! -f "$deb" ]; then
            say "error: apt-get download made no $deb"
            exit 1
        fi
    fi
    dpkg-deb -x "$deb" "$new"
    for l in scripts tools; do
        if [ ! -e "$new/usr/src/$FOREIGN/$l/" ]; then
            say "error: $FOREIGN/$l does not resolve to the amd64 linux-kbuild"
            exit 1
        fi
    done
}

stamp_lines() {
    echo "abi $KABI"
    echo "foreign $(basename "$deb") $(sha256sum "$deb" | cut -d' ' -f1)"
}
