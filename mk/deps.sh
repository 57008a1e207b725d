#!/bin/sh
# Debian packages needed to build and test.
#   mk/deps.sh verify   -- install what is missing (or say how)
#   mk/deps.sh install  -- install everything (as root)
# meson >= 1.5 and SeaBIOS 1.16.3 come from bookworm-backports, reached
# through a private apt configuration under build/apt/: the system's apt
# sources are never changed.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/mk/pin.sh"

PACKAGES='gcc make git pkgconf python3 python3-venv ninja-build bzip2
zlib1g-dev libglib2.0-dev libfdt-dev device-tree-compiler ccache
acpica-tools qemu-efi-aarch64 ipxe-qemu ovmf cpio xz-utils
gcc-aarch64-linux-gnu libc6-dev-arm64-cross gnuplot-nox debootstrap file
dpkg-dev'
# Installed without their recommendations: libvirt's would bring Debian's
# own QEMU, and the test runs ours (mk/tests/libvirt-arm64.sh).
LEAN_PACKAGES='libvirt-daemon-driver-qemu libvirt-clients'
# Package and the least version the build needs; older ones come from backports.
BACKPORTS='meson:1.5 seabios:1.16.3'

installed_version() {
    dpkg-query -W -f='${Status} ${Version}\n' "$1" 2>/dev/null |
        sed -n 's/^install ok installed //p'
}

missing() { # [PACKAGES]
    for p in ${1:-$PACKAGES $LEAN_PACKAGES}; do
        [ -n "$(installed_version "$p")" ] || echo "$p"
    done
}

old_backports() {
    for pv in $BACKPORTS; do
        v=$(installed_version "${pv%%:*}")
        if [ -z "$v" ] || dpkg --compare-versions "$v" lt "${pv#*:}"; then
            echo "${pv%%:*}"
        fi
    done
}

apt_private() {
    apt="$top/build/apt-host"
    mkdir -p "$apt/lists/partial"
    DEBIAN_MIRROR=$(debian_mirror)
    {
        printf 'deb %s bookworm main\n' "$DEBIAN_MIRROR"
        printf 'deb %s bookworm-updates main\n' "$DEBIAN_MIRROR"
        printf 'deb %s bookworm-backports main\n' "$DEBIAN_MIRROR"
    } > "$apt/sources.list"
    echo "-o Dir::Etc::SourceList=$apt/sources.list -o Dir::Etc::SourceParts=/dev/null -o Dir::State::Lists=$apt/lists"
}

install() {
    pkgs=$(missing | tr '\n' ' ')
    bpo=$(old_backports | tr '\n' ' ')
    if [ "$(id -u)" != 0 ]; then
        echo "error: missing Debian packages; as root, run 'make deps' or:" >&2
        [ -z "$pkgs" ] || echo "  apt-get install -y $pkgs" >&2
        [ -z "$bpo" ] || echo "  apt-get install -y -t bookworm-backports $bpo" \
            "(with bookworm-backports in your apt sources)" >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    if [ -n "$pkgs" ]; then
        echo "deps: apt-get install $pkgs"
        apt-get update -qq
        full=$(missing "$PACKAGES" | tr '\n' ' ')
        lean=$(missing "$LEAN_PACKAGES" | tr '\n' ' ')
        [ -z "$full" ] || apt-get install -y -qq $full >/dev/null
        [ -z "$lean" ] ||
            apt-get install -y -qq --no-install-recommends $lean >/dev/null
    fi
    if [ -n "$bpo" ]; then
        echo "deps: apt-get install -t bookworm-backports $bpo"
        opts=$(apt_private)
        apt-get $opts update -qq
        apt-get $opts install -y -qq -t bookworm-backports $bpo >/dev/null
    fi
}

case "${1:-verify}" in
install)
    install
    ;;
verify)
    if [ -n "$(missing)$(old_backports)" ]; then
        echo "deps: missing: $(missing | tr '\n' ' ')$(old_backports | tr '\n' ' ')"
        install
    fi
    ;;
list)
    echo $PACKAGES
    echo "without recommendations: $LEAN_PACKAGES"
    echo "bookworm-backports: $BACKPORTS"
    ;;
*)
    echo "usage: $0 verify|install|list" >&2
    exit 2
    ;;
esac
