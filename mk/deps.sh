#!/bin/sh
# Debian packages needed to build and test.
#   mk/deps.sh verify   -- install what is missing (or say how)
#   mk/deps.sh install  -- install everything (as root)
#   mk/deps.sh list     -- the packages
#   mk/deps.sh programs -- what the scripts call: REQUIRES below
#   mk/deps.sh check    -- check that each of those is there, one TAP line
#                          each, then "N passed, N failed"; non-zero on a
#                          failure (make check-deps runs it in a fresh
#                          Debian root after mk/deps.sh install)
# meson >= 1.5 and SeaBIOS 1.16.3 come from bookworm-backports, reached
# through a private apt configuration under build/apt-host/: the system's
# apt sources are never changed.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/mk/pin.sh"

PACKAGES='gcc make git pkgconf python3 python3-venv ninja-build bzip2
zlib1g-dev libglib2.0-dev libfdt-dev device-tree-compiler ccache
acpica-tools qemu-efi-aarch64 ipxe-qemu ovmf cpio xz-utils
gcc-aarch64-linux-gnu libc6-dev-arm64-cross gnuplot-nox debootstrap file
dpkg-dev libdpkg-perl patch perl procps clang libclang-rt-14-dev e2fsprogs'
# Installed without their recommendations: libvirt's would bring Debian's
# own QEMU, and the test runs ours (mk/tests/libvirt-arm64.sh). libvirtd
# is in libvirt-daemon, the QEMU driver it loads in -driver-qemu, virsh
# in -clients.
LEAN_PACKAGES='libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients'
# Package and the least version the build needs; older ones come from backports.
BACKPORTS='meson:1.5 seabios:1.16.3'

# What the build (QEMU's configure, mk/build.sh, mk/firmware.sh), the demo
# and guest pieces, the bench, libvirt and the tests call, and the package
# that brings it: "PACKAGE KIND WHAT [LEAST]" a line. Keep it with the
# lists above. KIND: prog (a command; LEAST: its --version at least), file
# (a path or a glob), pc (a pkg-config module, at least LEAST), lib (gcc
# links -lWHAT with the header LEAST), static (the compiler WHAT links a
# static program, as mk/guest.sh builds the guest's tools), py (a python3
# module), perl (a perl module), deb (the package, at least LEAST).
REQUIRES='
meson                   prog    meson           1.5
ninja-build             prog    ninja
gcc                     prog    gcc
gcc                     prog    gcov
libc6-dev               static  gcc
binutils                prog    readelf
gcc-aarch64-linux-gnu   prog    aarch64-linux-gnu-gcc
libc6-dev-arm64-cross   static  aarch64-linux-gnu-gcc
make                    prog    make
git                     prog    git
ccache                  prog    ccache
pkgconf                 prog    pkg-config
python3                 prog    python3
python3-venv            py      ensurepip
libglib2.0-dev          pc      glib-2.0        2.66
zlib1g-dev              pc      zlib
libfdt-dev              lib     fdt             libfdt.h
device-tree-compiler    prog    dtc
acpica-tools            prog    iasl
bzip2                   prog    bzip2
xz-utils                prog    xz
gzip                    prog    gzip
cpio                    prog    cpio
e2fsprogs               prog    mke2fs
libc-bin                prog    ldd
file                    prog    file
dpkg                    prog    dpkg-deb
dpkg-dev                prog    dpkg-source
patch                   prog    patch
apt                     prog    apt-get
debootstrap             prog    debootstrap
gnuplot-nox             prog    gnuplot
clang                   prog    clang
libclang-rt-14-dev      file    /usr/lib/llvm-14/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a
perl                    perl    Term::ANSIColor
libdpkg-perl            perl    Dpkg::BuildProfiles
libdpkg-perl            perl    Dpkg::Deps
procps                  prog    ps
util-linux              prog    unshare
util-linux              prog    setpriv
util-linux              prog    flock
util-linux              prog    setsid
mount                   prog    mount
coreutils               prog    timeout
coreutils               prog    chroot
libvirt-clients         prog    virsh
libvirt-daemon          prog    libvirtd
libvirt-daemon-driver-qemu file /usr/lib/*/libvirt/connection-driver/libvirt_driver_qemu.so
qemu-efi-aarch64        file    /usr/share/AAVMF/AAVMF_CODE.fd
qemu-efi-aarch64        file    /usr/share/AAVMF/AAVMF_VARS.fd
ovmf                    file    /usr/share/OVMF/OVMF_CODE_4M.fd
ovmf                    file    /usr/share/OVMF/OVMF_VARS_4M.fd
ipxe-qemu               file    /usr/lib/ipxe/qemu/efi-virtio.rom
ipxe-qemu               file    /usr/lib/ipxe/qemu/efi-e1000e.rom
seabios                 file    /usr/share/seabios/bios-256k.bin
seabios                 deb     seabios         1.16.3
'

requires() { echo "$REQUIRES" | sed '/^[[:space:]]*$/d'; }

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

check_one() { # KIND WHAT [LEAST]
    case "$1" in
    prog)
        command -v "$2" > /dev/null || return 1
        [ -n "${3:-}" ] || return 0
        _v=$("$2" --version 2>/dev/null | grep -o '[0-9][0-9.]*' | head -n1)
        [ -n "$_v" ] && dpkg --compare-versions "$_v" ge "$3"
        ;;
    file)
        for _f in $2; do
            [ -e "$_f" ] && return 0
        done
        return 1
        ;;
    pc) pkg-config --exists "$2${3:+ >= $3}" ;;
    lib)
        printf '#include <%s>\nint main(void) { return 0; }\n' "$3" |
            gcc -x c - -l"$2" -o /dev/null
        ;;
    static)
        printf '#include <stdio.h>\nint main(void) { puts("x"); return 0; }\n' |
            "$2" -static -x c - -o /dev/null
        ;;
    py) python3 -c "import $2" ;;
    perl) perl -M"$2" -e 1 ;;
    deb)
        _v=$(installed_version "$2")
        [ -n "$_v" ] && dpkg --compare-versions "$_v" ge "$3"
        ;;
    *) echo "deps: unknown kind $1" >&2; return 1 ;;
    esac
}

check_all() {
    _n=0 _bad=0
    requires > "${TMPDIR:-/tmp}/deps-check.$$"
    while read -r _pkg _kind _what _least; do
        _n=$((_n + 1))
        case "$_kind" in
        lib) _name="lib -l$_what <$_least> ($_pkg)" ;;
        *) _name="$_kind $_what${_least:+ >= $_least} ($_pkg)" ;;
        esac
        if check_one "$_kind" "$_what" "$_least" > /dev/null 2>&1 < /dev/null; then
            echo "ok $_n - $_name"
        else
            _bad=$((_bad + 1))
            echo "not ok $_n - $_name"
        fi
    done < "${TMPDIR:-/tmp}/deps-check.$$"
    rm -f "${TMPDIR:-/tmp}/deps-check.$$"
    echo "1..$_n"
    echo "$((_n - _bad)) passed, $_bad failed"
    [ $_bad = 0 ]
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
programs)
    requires
    ;;
check)
    check_all
    ;;
*)
    echo "usage: $0 verify|install|list|programs|check" >&2
    exit 2
    ;;
esac
