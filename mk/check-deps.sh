#!/bin/sh
# make check-deps: mk/deps.sh install on a clean Debian 12 must bring every
# program and file the build, the demo and the tests call.
# Makes a Debian bookworm minbase root once (debootstrap from the archive
# of mk/pin.sh) and keeps it as a pristine tarball; each run unpacks a new
# root from it, copies mk/ in, runs `mk/deps.sh install` there (chroot),
# then `mk/deps.sh verify` (nothing may be missing) and `mk/deps.sh check`
# (each line of its REQUIRES list, one check each). Ends with
# "N passed, N failed"; non-zero on a failure.
#
# Everything runs in private mount and PID namespaces: /proc, /dev and the
# apt cache mounted in the root, and whatever a package's scripts start,
# go away with the run however it ends. The root is in build/check-deps/
# (removed after a pass, kept for a look after a failure). The tarball and
# apt's downloaded .debs are kept in $CHECK_DEPS_CACHE (default
# build/check-deps/cache), so a second run downloads only the package
# lists. Needs root, debootstrap and unshare.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/mk/pin.sh"
work="$top/build/check-deps"
cache=$(realpath -m "${CHECK_DEPS_CACHE:-$work/cache}")
root="$work/root"
pristine="$cache/bookworm-minbase.tar"
log="$work/check-deps.log"

say() { echo "check-deps: $*"; }
elapsed() { echo "$(($(date +%s) - $1)) s"; }

# --- inside the namespaces (see the end) --------------------------------
if [ "${1:-}" = --inner ]; then
    inroot() { # COMMAND...: in the root, with a clean environment
        chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
            HOME=/root LC_ALL=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"
    }
    t=$(date +%s)
    rm -rf --one-file-system "$root"
    mkdir -p "$root"
    tar -C "$root" --numeric-owner -xf "$pristine"
    # What deps.sh needs: the repository's mk/ (build/ is made there).
    mkdir -p "$root/src"
    cp -a "$top/mk" "$root/src/mk"
    # This machine's way to the archive: its resolver and apt's Acquire
    # settings (a proxy, Check-Valid-Until); not its sources.
    cp -L /etc/resolv.conf "$root/etc/resolv.conf"
    for f in /etc/apt/apt.conf /etc/apt/apt.conf.d/*; do
        [ -f "$f" ] && grep -q 'Acquire' "$f" &&
            cp "$f" "$root/etc/apt/apt.conf.d/00host-${f##*/}"
    done
    # No service starts from a package's scripts; dpkg need not fsync.
    printf '#!/bin/sh\nexit 101\n' > "$root/usr/sbin/policy-rc.d"
    chmod 755 "$root/usr/sbin/policy-rc.d"
    echo 'Dpkg::Options { "--force-unsafe-io"; };' > "$root/etc/apt/apt.conf.d/90check-deps"
    mount -t proc proc "$root/proc"
    [ -c "$root/dev/null" ] || mount --rbind /dev "$root/dev"
    # A new devpts instance: dpkg logs through a pty.
    mkdir -p "$root/dev/pts"
    mount -t devpts -o newinstance,ptmxmode=0666 devpts "$root/dev/pts" 2>/dev/null || true
    mkdir -p "$cache/archives/partial"
    mount --bind "$cache/archives" "$root/var/cache/apt/archives"
    say "fresh root from ${pristine##*/} in $(elapsed "$t")"

    t=$(date +%s)
    rc=0
    inroot sh /src/mk/deps.sh install >> "$log" 2>&1 || rc=$?
    if [ $rc = 0 ]; then
        echo "ok - mk/deps.sh install in a clean bookworm minbase root ($(elapsed "$t"))"
    else
        echo "not ok - mk/deps.sh install in a clean bookworm minbase root: exit $rc (see $log)"
        tail -n 15 "$log" | sed 's/^/# /'
    fi
    out=$(inroot sh /src/mk/deps.sh verify 2>&1) || true
    if [ -z "$out" ]; then
        echo "ok - then mk/deps.sh verify finds nothing missing"
    else
        echo "not ok - then mk/deps.sh verify finds nothing missing"
        echo "$out" | sed 's/^/# /'
    fi
    inroot sh /src/mk/deps.sh check 2>&1 | grep -v '^1\.\.\|passed, .* failed$' || true
    # Bound the cache: drop the .debs the archive no longer has.
    inroot apt-get -qq autoclean > /dev/null 2>&1 || true
    exit 0
fi

# --- outside -------------------------------------------------------------
if [ "$(id -u)" != 0 ]; then
    say "error: needs root (debootstrap, chroot, mount)" >&2
    exit 1
fi
for p in debootstrap unshare; do
    if ! command -v $p > /dev/null; then
        say "error: $p is missing on this machine: run mk/deps.sh install" >&2
        exit 1
    fi
done
mkdir -p "$work" "$cache"
: > "$log"
# Runs sharing a cache take turns.
exec 9> "$cache/lock"
flock 9

child=""
cleanup() {
    rc=$?
    trap - EXIT INT TERM HUP
    # unshare ignores SIGTERM while it waits; killed, it takes the
    # namespace's first process with it (--kill-child), and so the rest.
    if [ -n "$child" ]; then
        kill -KILL "$child" 2>/dev/null || true
        wait "$child" 2>/dev/null || true
    fi
    rm -rf --one-file-system "$work/minbase.new"
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

ns() { # COMMAND...: in private mount and PID namespaces, in the background
    unshare --mount --propagation private --pid --fork --kill-child "$@" &
    child=$!
    _rc=0
    wait "$child" || _rc=$?
    child=""
    return $_rc
}

start=$(date +%s)
state=warm
if [ ! -f "$pristine" ]; then
    state=cold
    mirror=$(debian_mirror)
    say "debootstrap --variant=minbase bookworm from $mirror (once)"
    rm -rf --one-file-system "$work/minbase.new"
    mkdir -p "$cache/debootstrap"
    if ! ns debootstrap --variant=minbase --cache-dir="$cache/debootstrap" \
            bookworm "$work/minbase.new" "$mirror" >> "$log" 2>&1; then
        tail -n 15 "$log" | sed 's/^/# /'
        echo "not ok - debootstrap a bookworm minbase root (see $log)"
        echo "0 passed, 1 failed"
        exit 1
    fi
    tar -C "$work/minbase.new" --numeric-owner -cf "$pristine.tmp" .
    mv "$pristine.tmp" "$pristine"
    rm -rf --one-file-system "$work/minbase.new"
    say "pristine root in $(elapsed "$start"): $(du -h "$pristine" | cut -f1)"
fi

ns sh "$top/mk/check-deps.sh" --inner > "$work/results" 2>&1 || true
cat "$work/results"
passed=$(grep -c '^ok ' "$work/results" || true)
failed=$(grep -c '^not ok ' "$work/results" || true)
[ "$passed" -gt 0 ] || failed=$((failed + 1))
if [ "$failed" = 0 ]; then
    rm -rf --one-file-system "$root"
else
    say "the root is kept in ${root#"$top"/}, the log in ${log#"$top"/}"
fi
say "$state run: $(elapsed "$start")"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
