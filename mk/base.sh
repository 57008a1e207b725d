#!/bin/sh
# Locate the pinned upstream base (Debian's qemu 1:10.2.2+ds-1 orig tarball),
# verify its checksum and print its path.
#
# Search order: $QEMU_TARBALL, ../shared/upstream/, build/download/, and at
# last Debian's archive through `apt-get source --download-only` with a
# private apt configuration under build/apt/ (the system's is left alone).
set -eu

. "$(dirname "$0")/pin.sh"

top=$(cd "$(dirname "$0")/.." && pwd)
dl="$top/build/download"

verify() {
    sum=$(sha256sum "$1" | cut -d' ' -f1)
    if [ "$sum" != "$BASE_SHA256" ]; then
        echo "error: $1 has sha256 $sum," >&2
        echo "       the pinned base $BASE_TARBALL must have $BASE_SHA256." >&2
        echo "       Remove or replace the file; it is not the pinned QEMU." >&2
        exit 1
    fi
}

if [ -n "${QEMU_TARBALL:-}" ]; then
    if [ ! -f "$QEMU_TARBALL" ]; then
        echo "error: QEMU_TARBALL=$QEMU_TARBALL does not exist" >&2
        exit 1
    fi
    verify "$QEMU_TARBALL"
    echo "$QEMU_TARBALL"
    exit 0
fi

for dir in "$top/../shared/upstream" "$dl"; do
    if [ -f "$dir/$BASE_TARBALL" ]; then
        verify "$dir/$BASE_TARBALL"
        echo "$(cd "$dir" && pwd)/$BASE_TARBALL"
        exit 0
    fi
done

echo "base: $BASE_TARBALL not found locally, fetching it from Debian" >&2
apt="$top/build/apt"
mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$dl"
DEBIAN_MIRROR=$(debian_mirror)
printf 'deb-src %s unstable main\n' "$DEBIAN_MIRROR" > "$apt/sources.list"
set -- -o Dir::Etc::SourceList="$apt/sources.list" \
       -o Dir::Etc::SourceParts=/dev/null \
       -o Dir::State::Lists="$apt/lists" \
       -o Dir::Cache="$apt/cache" \
       -o Debug::NoLocking=1
apt-get "$@" -qq update >&2
(cd "$dl" && apt-get "$@" -qq source --download-only "qemu=$BASE_VERSION") >&2
if [ ! -f "$dl/$BASE_TARBALL" ]; then
    echo "error: apt-get source did not produce $dl/$BASE_TARBALL" >&2
    exit 1
fi
verify "$dl/$BASE_TARBALL"
echo "$dl/$BASE_TARBALL"
