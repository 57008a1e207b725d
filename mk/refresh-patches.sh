#!/bin/sh
# Turn the commits in build/qemu/ that change upstream files back into
# patches/: every commit after the fix-ups, except the one that links the
# repository's files, becomes one patch, in order, and patches/series is
# rewritten to match. The repository stays the source of truth.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
tree="$top/build/qemu"
LINKS_SUBJECT='[project] link the repository files into the tree'
g() { git -C "$tree" "$@"; }

if [ -n "$(g status --porcelain --untracked-files=no)" ]; then
    echo "error: build/qemu/ has uncommitted edits; commit them there first" >&2
    exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
: > "$tmp/series"
for c in $(g rev-list --reverse fixups..HEAD); do
    subject=$(g log -1 --format=%s "$c")
    [ "$subject" = "$LINKS_SUBJECT" ] && continue
    for f in $(g diff-tree --no-commit-id -r --name-only "$c"); do
        if [ -L "$tree/$f" ] && [ -e "$top/$f" ]; then
            echo "error: commit '$subject' touches $f, a link to a project" >&2
            echo "       file: edit the repository's file instead" >&2
            exit 1
        fi
    done
    name=$(g log -1 --format=%f "$c").patch
    g format-patch -1 --zero-commit --no-signature --stdout "$c" > "$tmp/$name"
    if ! grep -q '^Signed-off-by: ' "$tmp/$name"; then
        echo "warning: $name has no Signed-off-by" >&2
    fi
    echo "$name" >> "$tmp/series"
done

# Drop patches the series no longer names, then move the new ones in.
if [ -f "$top/patches/series" ]; then
    for old in $(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$top/patches/series"); do
        grep -qxF "$old" "$tmp/series" || rm -f "$top/patches/$old"
    done
fi
mkdir -p "$top/patches"
for p in $(cat "$tmp/series"); do
    if ! cmp -s "$tmp/$p" "$top/patches/$p"; then
        cp "$tmp/$p" "$top/patches/$p"
        echo "refresh: patches/$p"
    fi
done
cp "$tmp/series" "$top/patches/series"

# The tree already holds what the new series describes: record that, so the
# next build does not re-assemble it.
"$top/mk/assemble.sh" --stamp-only
