#!/bin/sh
# The pinned base is verified, and build/qemu/ holds exactly patches/series.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
tree="$top/build/qemu"
n=0
result() { # STATUS DESCRIPTION
    n=$((n + 1))
    if [ "$1" = 0 ]; then echo "ok $n $2"; else echo "not ok $n $2"; fi
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# A tarball with the wrong checksum is refused, with a message naming it.
echo "not qemu" > "$tmp/qemu_10.2.2+ds.orig.tar.xz"
QEMU_TARBALL="$tmp/qemu_10.2.2+ds.orig.tar.xz" "$top/mk/base.sh" \
    > "$tmp/out" 2> "$tmp/err"
rc=$?
grep -q "pinned base" "$tmp/err" && [ "$rc" != 0 ]
result $? "a tarball with the wrong checksum is refused"

QEMU_TARBALL="$tmp/missing.tar.xz" "$top/mk/base.sh" > /dev/null 2> "$tmp/err"
rc=$?
grep -q "does not exist" "$tmp/err" && [ "$rc" != 0 ]
result $? "a missing QEMU_TARBALL is refused"

# The pinned tarball itself is accepted.
"$top/mk/base.sh" > "$tmp/path" 2>/dev/null
result $? "the pinned base is found and verified ($(cat "$tmp/path"))"

# build/qemu: base, fix-ups, one commit per patch in series order, links.
expected=$(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$top/patches/series" |
    while read -r p; do
        sed -n '/^Subject: /{s/^Subject: \(\[PATCH[^]]*\] \)\{0,1\}//;N;s/\n / /;P;q}' \
            "$top/patches/$p" | sed 's/\n.*//'
    done)
actual=$(git -C "$tree" log --reverse --format=%s fixups..HEAD |
    grep -v '^\[project\] link the repository files')
[ "$expected" = "$actual" ]
result $? "build/qemu has one commit per patch of patches/series, in order"
if [ "$expected" != "$actual" ]; then
    printf '# expected:\n%s\n# actual:\n%s\n' "$expected" "$actual" | sed 's/^/# /'
fi

# Every project file is a link into the repository.
bad=0
for f in $(cd "$top" && git ls-files hw include linux-headers tests docs contrib); do
    [ "$(readlink -f "$tree/$f")" = "$top/$f" ] || { echo "# $f is not linked"; bad=1; }
done
result $bad "the repository's files are linked into build/qemu"
echo "1..$n"
