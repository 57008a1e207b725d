#!/bin/sh
# make series, checked: the series `git am`s onto the pristine 10.2.2 base,
# its last patch gives the assembled tree (but for the base's build fix-ups
# and the repository files it leaves out), and checkpatch finds no error
# and only the expected warnings in any patch. As TAP.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
tree="$top/build/qemu"
tap=1 check_prefix=series
. "$top/mk/tap-lib.sh"

am="$top/build/series-am"
trap 'rm -rf "$am"' EXIT
make_series() {
    sh "$top/mk/series.sh" > "$top/build/series.log" 2>&1
    _rc=$?
    sed 's/^/# /' "$top/build/series.log"
    return $_rc
}
check "make series writes build/series/" make_series

rm -rf "$am"
git init -q "$am"
base=$(git -C "$tree" rev-parse fixups^)
git -C "$am" fetch -q "$tree" "$base" && git -C "$am" checkout -q FETCH_HEAD
patches=$(ls "$top"/build/series/[0-9]*.patch 2>/dev/null | grep -v /0000-cover-letter)
# shellcheck disable=SC2086
check "the series git-ams onto the pristine base ($(echo "$patches" | grep -c .) patches)" \
    git -C "$am" -c user.name=series -c user.email=series@localhost am -q $patches

# What may differ from the assembled tree: the fix-ups' files, what the
# series leaves out, MAINTAINERS (the series adds its section)
same_as_assembled() {
    {
        git -C "$tree" diff --name-only fixups^ fixups
        cat "$top/build/series-tree/left-out"
        echo MAINTAINERS
    } | sort -u > "$am.skip"
    git -C "$am" diff --name-only "$base" HEAD | sort | comm -23 - "$am.skip" > "$am.series"
    git -C "$tree" diff --name-only "$base" HEAD | sort | comm -23 - "$am.skip" > "$am.tree"
    _rc=0
    for f in $(comm -3 "$am.series" "$am.tree" | tr -d '\t'); do
        echo "# only one of them changes $f"
        _rc=1
    done
    # (build/qemu/ has the repository's files as links to them)
    for f in $(comm -12 "$am.series" "$am.tree"); do
        cmp -s "$tree/$f" "$am/$f" || { echo "# differs: $f"; _rc=1; }
    done
    rm -f "$am.skip" "$am.series" "$am.tree"
    return $_rc
}
check "the series' last patch is the assembled tree" same_as_assembled

# Expected: the linux-headers hunk (the kernel header sync has not happened
# yet), and the license question for bios-tables-test's empty expected
# tables, which are binary.
checkpatch_ok() { # PATCH
    _out=$(cd "$tree" && ./scripts/checkpatch.pl --no-tree "$1" 2>&1)
    _w=$(echo "$_out" | grep '^WARNING' |
         grep -v "imported from Linux, are you using scripts/update-linux-headers.sh" |
         grep -v "Does new file 'tests/data/acpi/.*' need 'SPDX-License-Identifier'")
    if echo "$_out" | grep -q '^ERROR' || [ -n "$_w" ]; then
        echo "$_out" | grep -A3 '^ERROR\|^WARNING' | sed 's/^/# /'
        return 1
    fi
}
for p in $patches; do
    check "checkpatch: ${p##*/}" checkpatch_ok "$p"
done
echo "1..$check_n"
[ "$check_failed" = 0 ]
