#!/bin/sh
# Debian trixie build roots, from Debian's archive only:
#   mk/kroot.sh [kmod]       build/kroot/root: out-of-tree Linux modules and
#                            the nested host's kernel (mk/kmod.sh,
#                            mk/nested-kernel/), the default
#   mk/kroot.sh cross-arm64  build/xroot-arm64/root: QEMU cross-built for
#                            an arm64 host (mk/nested-host/cross-qemu.sh)
# Each is a trixie minbase root (debootstrap, mk/pin.sh's archive) into
# which mk/kroot/FLAVOUR.sh's recipe installs what its users need; that file
# says what and why. Prints the root's path.
#
# A root is kept: its stamp (ROOT/.kroot-stamp) records the hash of this
# script and of the recipe, and what went in, and a rerun with the same
# scripts only prints the path. A new root is built beside the old one and
# renamed into place when complete; its users hold BASE/lock shared while
# they use it, so it is never replaced under them. A failed or interrupted
# build takes its processes, mounts and half-made root with it. Needs root
# (debootstrap, chroot, mount) and debootstrap on the host.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/mk/pin.sh"
. "$top/mk/apt-private.sh"

flavour=${1:-kmod}
recipe="$top/mk/kroot/$flavour.sh"
if [ ! -f "$recipe" ]; then
    known=
    for f in "$top"/mk/kroot/*.sh; do
        f=${f##*/}
        known="$known ${f%.sh}"
    done
    echo "kroot: error: no build root '$flavour' (known:$known)" >&2
    exit 2
fi
# The recipe sets NAME (the root is build/NAME/root, the stamp's first
# word), SUITE, WANT_EXTRA (more words for the stamp's first line),
# PACKAGES and DEBOOTSTRAP_ARCH, and defines sources (prints the root's
# sources.list), build_root (installs into $new; /proc is mounted there)
# and stamp_lines (more lines for the stamp).
# shellcheck source=mk/kroot/kmod.sh
. "$recipe"

base="$top/build/$NAME"
root="$base/root"
new="$base/root.new"
old="$base/root.old"
stamp_name=.kroot-stamp
want="$NAME $(cat "$top/mk/kroot.sh" "$recipe" | sha256sum | cut -d' ' -f1)${WANT_EXTRA:+ $WANT_EXTRA}"

say() { echo "$NAME: $*" >&2; }
step() { say "[$(($(date +%s) - start)) s] $*"; }

stamp_ok() {
    [ -f "$root/$stamp_name" ] &&
        [ "$(head -n1 "$root/$stamp_name")" = "$want" ]
}

if stamp_ok; then
    echo "$root"
    exit 0
fi

if [ "$(id -u)" != 0 ]; then
    say "error: building the root needs root (debootstrap, chroot, mount)"
    exit 1
fi
if ! command -v debootstrap >/dev/null; then
    say "error: debootstrap is missing on the host: apt-get install -y debootstrap"
    exit 1
fi

mkdir -p "$base"
# One builder at a time; the root's users hold this lock shared while they
# use the root, so the root is never replaced under a running build.
exec 9>"$base/lock"
flock 9
if stamp_ok; then
    echo "$root"
    exit 0
fi

log="$base/$NAME.log"
: >"$log"
child=
done_ok=

mounts_under() { # DIR: mount points at or below DIR, deepest first
    awk -v d="$1" '$2 == d || index($2, d "/") == 1 { print $2 }' \
        /proc/mounts | sort -r
}

unmount_under() { # DIR
    for m in $(mounts_under "$1"); do
        umount "$m" 2>/dev/null || umount -l "$m" || true
    done
}

remove_tree() { # DIR: never follows a mount out of the tree
    [ -e "$1" ] || return 0
    unmount_under "$1"
    if [ -n "$(mounts_under "$1")" ]; then
        say "error: $1 still has mounts, not removing it"
        return 1
    fi
    rm -rf --one-file-system "$1"
}

cleanup() {
    rc=$?
    trap - EXIT INT TERM HUP
    if [ -n "$child" ]; then
        # The child runs in its own session: stop all of it, apt and dpkg too.
        kill -TERM "-$child" 2>/dev/null || true
        i=0
        while ps -o stat= --sid "$child" | grep -qv '^Z' && [ $i -lt 10 ]; do
            sleep 0.2
            i=$((i + 1))
        done
        kill -KILL "-$child" 2>/dev/null || true
        wait "$child" 2>/dev/null || true
    fi
    unmount_under "$new"
    unmount_under "$old"
    if [ -z "$done_ok" ]; then
        remove_tree "$new" || true
        say "failed; the log is $log"
    fi
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

run() { # COMMAND...: in its own session, its output to the log
    setsid "$@" >>"$log" 2>&1 </dev/null &
    child=$!
    rc=0
    wait "$child" || rc=$?
    child=
    if [ $rc != 0 ]; then
        say "error: '$*' failed ($rc), the end of its output:"
        tail -n 25 "$log" | sed "s/^/$NAME:   /" >&2
        return $rc
    fi
}

in_root() { # COMMAND...: in the new root, with a clean environment
    run chroot "$new" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
        HOME=/root LC_ALL=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"
}

start=$(date +%s)
DEBIAN_MIRROR=$(debian_mirror)
# Left by an interrupted run.
remove_tree "$new"
remove_tree "$old"

step "debootstrap $SUITE minbase from $DEBIAN_MIRROR into $new"
run debootstrap --variant=minbase --arch="$DEBOOTSTRAP_ARCH" "$SUITE" "$new" \
    "$DEBIAN_MIRROR"

sources >"$new/etc/apt/sources.list"
cat >"$new/etc/apt/apt.conf.d/90kroot" <<EOF
APT::Install-Recommends "false";
Acquire::Languages "none";
EOF
# apt and dpkg inside the root want /proc; debootstrap made the /dev nodes.
mount -t proc proc "$new/proc"
build_root
umount "$new/proc"

# Nothing of the archive needs to stay in the root.
in_root apt-get clean
rm -rf "$new"/var/lib/apt/lists/*

{
    echo "$want"
    stamp_lines
    dpkg-query --admindir="$new/var/lib/dpkg" -W \
        -f 'package ${Package}:${Architecture} ${Version}\n'
} >"$new/$stamp_name"

if [ -e "$root" ]; then
    unmount_under "$root"
    mv "$root" "$old"
fi
mv "$new" "$root"
done_ok=1
remove_tree "$old"
step "root ready, $(du -sh --one-file-system "$root" | cut -f1)"
echo "$root"
