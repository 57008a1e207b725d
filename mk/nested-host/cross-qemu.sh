#!/bin/sh
# Our QEMU built for an arm64 host, for the nested arm64 host of
# make check-host-arm64 (mk/check-host.sh --arch arm64), and small aarch64
# programs for it:
#   mk/nested-host/cross-qemu.sh build
#       configures (once, mk/build.sh) and builds the assembled tree
#       build/qemu into build/obj-arm64: qemu-system-aarch64 (target
#       aarch64-softmmu, KVM and TCG, the minimal feature set of
#       mk/build.sh) and tests/qtest/vfio-user-cxl-test; prints the
#       directory. Its log goes to stderr.
#   mk/nested-host/cross-qemu.sh root
#       prints the build root's path (ROOT below)
#   mk/nested-host/cross-qemu.sh libs PROGRAM
#       what the aarch64 PROGRAM loads: its dynamic loader (PT_INTERP) and
#       every shared library it needs, recursively by DT_NEEDED, one
#       absolute path a line as the target's loader finds it (e.g.
#       /lib/ld-linux-aarch64.so.1, /usr/lib/aarch64-linux-gnu/libz.so.1).
#       The file is ROOT/PATH (it may be a symbolic link that stays in
#       ROOT: copy it with cp -L to PATH in the target). Nothing for a
#       static program.
#   mk/nested-host/cross-qemu.sh cc GCC-ARGS...
#       aarch64-linux-gnu-gcc -O2 GCC-ARGS in the build root, in the
#       current directory (e.g. -static -o OUT contrib/.../vfio-cxl-check.c,
#       or -ffreestanding -nostdlib -static -T script.ld start.S guest.c);
#       every path it names (and the current directory) must be under the
#       checkout or /tmp, which are bound into the root at their own paths.
#       The UAPI headers are the root's linux-libc-dev (trixie); the
#       project's own (contrib/vfio-cxl-pci/user, include/hw/vfio) come
#       with -I as for the amd64 build.
# The build root is mk/kroot.sh cross-arm64 (build/xroot-arm64/root, a
# Debian trixie root with Debian's aarch64 cross gcc and arm64 libraries),
# made on first use. The build runs chrooted there with the checkout bound
# at its own path (the tree's symbolic links and the paths meson records
# hold inside and outside) and this machine's ccache directory at its own
# path (CCACHE_BASEDIR is the checkout, so clones share the cache), in a
# private mount namespace: the mounts go with the build however it ends.
# A changed root (other packages) rebuilds build/obj-arm64 from scratch.
# QEMU's data files (efi-virtio.rom, ...) are the same for every host: take
# them from the native build's build/obj/qemu-bundle/usr/local/share/qemu
# (make build; links into Debian's packages, copy with cp -L).
# Needs root (debootstrap, chroot, mount) and the tree of make assemble.
set -eu

top=$(cd "$(dirname "$0")/../.." && pwd)
TRIPLET=aarch64-linux-gnu
obj_name='obj-arm64'
obj="$top/build/$obj_name"
tree="$top/build/qemu"
# The build's further targets (mk/build.sh's BUILD_PROGRAMS), beside
# qemu-system-aarch64
PROGRAMS=tests/qtest/vfio-user-cxl-test
# The default search path of Debian's aarch64 glibc loader
LIB_DIRS="/lib/$TRIPLET /usr/lib/$TRIPLET /lib /usr/lib"

say() { echo "cross-qemu: $*" >&2; }
die() { say "error: $*"; exit 1; }
usage() {
    echo "usage: $0 build | root | libs PROGRAM | cc GCC-ARGS..." >&2
    exit 2
}

root_path() {
    "$top/mk/kroot.sh" cross-arm64 || die "the build root does not build (mk/kroot.sh cross-arm64)"
}

. "$top/mk/kroot-run.sh"

use_root() { kroot_use cross-arm64; }

# What went into the root: the packages and their versions
root_packages() {
    grep '^package ' "$root/.kroot-stamp" | sha256sum | cut -d' ' -f1
}

build() {
    [ -x "$tree/configure" ] || die "no assembled tree $tree: run make assemble"
    # The tree's firmware, from this machine's packages (the root has none)
    "$top/mk/firmware.sh" src "$tree"
    ccache_dir=$(kroot_ccache_dir)
    BINDS="$top $ccache_dir"
    use_root
    want=$(root_packages)
    if [ -d "$obj" ] && [ "$(cat "$obj/xroot-packages" 2>/dev/null)" != "$want" ]; then
        say "the build root changed: building build/$obj_name afresh"
        rm -rf "$obj"
    fi
    ROOT_ENV="CCACHE_DIR=$ccache_dir BUILD_NAME=$obj_name BUILD_CROSS=$TRIPLET-
              TARGETS=aarch64-softmmu BUILD_PROGRAMS=$PROGRAMS"
    cd "$top"
    in_root sh "$top/mk/build.sh" >&2 || die "the build failed"
    echo "$want" >"$obj/xroot-packages"
    for p in qemu-system-aarch64 $PROGRAMS; do
        case "$(file -b "$obj/$p")" in
        *"ARM aarch64"*) ;;
        *) die "$obj/$p is no aarch64 program: $(file -b "$obj/$p")" ;;
        esac
    done
    echo "$obj"
}

# PATH in the root: the root-relative path of the file it names, through
# any symbolic links, which must stay in the root
in_root_file() {
    _f=$(realpath -e "$root$1" 2>/dev/null) || return 1
    case "$_f" in
    "$root"/*) echo "${_f#"$root"}" ;;
    *) die "$root$1 leads out of the build root ($_f)" ;;
    esac
}

libs() { # PROGRAM
    [ -f "$1" ] || die "no program $1"
    readelf -h "$1" 2>/dev/null | grep -q 'Machine:.*AArch64' ||
        die "$1 is no aarch64 ELF"
    root=$(realpath "$(root_path)")
    seen=" "
    todo=$1
    interp=$(readelf -lW "$1" |
             sed -n 's/.*Requesting program interpreter: \(.*\)\]$/\1/p')
    if [ -n "$interp" ]; then
        in_root_file "$interp" >/dev/null ||
            die "$1's loader $interp is not in the build root"
        echo "$interp"
    fi
    while [ -n "$todo" ]; do
        # shellcheck disable=SC2086 # paths a word each
        set -- $todo
        f=$1
        shift
        todo=$*
        if readelf -dW "$f" | grep -qE '\((RUNPATH|RPATH)\)'; then
            die "$f has a RUNPATH or RPATH, which this does not follow"
        fi
        for n in $(readelf -dW "$f" | sed -n 's/.*(NEEDED).*\[\(.*\)\]$/\1/p'); do
            case "$seen" in *" $n "*) continue ;; esac
            seen="$seen$n "
            found=
            for d in $LIB_DIRS; do
                if [ -e "$root$d/$n" ]; then
                    # The directory as the root has it (/lib is usr/lib)
                    found="$(in_root_file "$d")/$n"
                    break
                fi
            done
            [ -n "$found" ] || die "$n (needed by $f) is not in the build root"
            in_root_file "$found" >/dev/null
            echo "$found"
            todo="$todo $root$found"
        done
    done
}

cc() { # GCC-ARGS...
    case "$PWD/" in
    "$top"/* | /tmp/*) ;;
    *) die "cc runs in the checkout or /tmp, not in $PWD" ;;
    esac
    BINDS="$top /tmp"
    use_root
    ROOT_ENV=
    in_root "$TRIPLET-gcc" -O2 "$@"
}

[ $# -ge 1 ] || usage
cmd=$1
shift
case "$cmd" in
build) [ $# = 0 ] || usage; build ;;
root) [ $# = 0 ] || usage; root_path ;;
libs) [ $# = 1 ] || usage; libs "$1" ;;
cc) [ $# -ge 1 ] || usage; cc "$@" ;;
*) usage ;;
esac
