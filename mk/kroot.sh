#!/bin/sh
# Debian trixie build root for out-of-tree Linux modules:
#   mk/kroot.sh
# makes build/kroot/root, a trixie minbase root (debootstrap, mk/pin.sh's archive)
# with gcc-14, the arm64 cross compiler and the headers of the
# trixie-backports kernel for amd64 (installed with apt) and arm64 (unpacked,
# it shares the amd64 linux-kbuild). Debian's 7.3 kbuild needs glibc >= 2.38
# and gcc-14, which a bookworm host has not. Prints the root's path.
#
# The root is kept: its stamp records the script's hash and what went in, and
# a rerun with the same script only prints the path. A new root is built
# beside the old one and renamed into place when complete. Needs root
# (debootstrap, chroot, mount) and debootstrap on the host.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/mk/pin.sh"
. "$top/mk/apt-private.sh"
# The kernel ABI the headers are for: the guest kernel's (trixie-backports).
KABI=$GUEST_KABI
SUITE=trixie
PACKAGES='gcc-14 make libc6-dev libelf1t64 xz-utils kmod gcc-14-aarch64-linux-gnu'
BACKPORTS="linux-headers-$KABI-amd64"
FOREIGN_ARCH=arm64
FOREIGN="linux-headers-$KABI-$FOREIGN_ARCH"

base="$top/build/kroot"
root="$base/root"
new="$base/root.new"
old="$base/root.old"
stamp_name=.kroot-stamp
want="kroot $(sha256sum "$top/mk/kroot.sh" | cut -d' ' -f1) $KABI"

say() { echo "kroot: $*" >&2; }
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
# One builder at a time; mk/kmod.sh holds this lock shared while it
# uses the root, so the root is never replaced under a running build.
exec 9>"$base/lock"
flock 9
if stamp_ok; then
    echo "$root"
    exit 0
fi

log="$base/kroot.log"
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
        tail -n 25 "$log" | sed 's/^/kroot:   /' >&2
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
run debootstrap --variant=minbase --arch=amd64 "$SUITE" "$new" "$DEBIAN_MIRROR"

cat >"$new/etc/apt/sources.list" <<EOF
deb $DEBIAN_MIRROR $SUITE main
deb $DEBIAN_MIRROR $SUITE-backports main
EOF
cat >"$new/etc/apt/apt.conf.d/90kroot" <<EOF
APT::Install-Recommends "false";
Acquire::Languages "none";
EOF
# apt and dpkg inside the root want /proc; debootstrap made the /dev nodes.
mount -t proc proc "$new/proc"
step "apt-get install $PACKAGES"
in_root apt-get -q update
in_root apt-get -q -y install $PACKAGES
step "apt-get install -t $SUITE-backports $BACKPORTS"
in_root apt-get -q -y install -t "$SUITE-backports" "$BACKPORTS"
umount "$new/proc"

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
    cd "$debs"
    run apt-get "$@" -q download "$FOREIGN:$FOREIGN_ARCH=$ver"
    cd "$top"
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

# Nothing of the archive needs to stay in the root.
in_root apt-get clean
rm -rf "$new"/var/lib/apt/lists/*

{
    echo "$want"
    echo "abi $KABI"
    echo "foreign $(basename "$deb") $(sha256sum "$deb" | cut -d' ' -f1)"
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
