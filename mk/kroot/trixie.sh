# shellcheck shell=sh disable=SC2034,SC2154
# (settings for mk/kroot.sh, which also defines new, base, top and the helpers)
# mk/kroot.sh trixie: build/trixie-root/root, a trixie amd64 minbase root
# with nothing added: what a host has before the packages of make deb.
# mk/deb/install-check.sh installs them into a copy of it.
# Sourced by mk/kroot.sh, which says what each setting is.
NAME=trixie-root
SUITE=trixie
DEBOOTSTRAP_ARCH=amd64
WANT_EXTRA=
PACKAGES=

sources() {
    echo "deb $DEBIAN_MIRROR $SUITE main"
}

build_root() {
    in_root apt-get -q update
}

stamp_lines() {
    :
}
