#!/bin/sh
# Assemble build/qemu/: a git work tree holding the pinned base, the fix-ups
# Debian's +ds tarball needs, the patches of patches/series (one commit each)
# and, in a last commit, links to the repository's own files.
#
# Re-run whenever the series, a patch or the set of project files changes;
# it refuses to throw away commits or edits made in build/qemu/ that are not
# in patches/ yet (see `make refresh-patches`).
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/mk/pin.sh"
. "$top/mk/project-files.sh"

tree="$top/build/qemu"
stamp="$top/build/assemble.stamp"
LINKS_SUBJECT='[project] link the repository files into the tree'

export GIT_AUTHOR_NAME='QEMU CXL Type-2 build' GIT_AUTHOR_EMAIL='build@localhost'
export GIT_COMMITTER_NAME="$GIT_AUTHOR_NAME" GIT_COMMITTER_EMAIL="$GIT_AUTHOR_EMAIL"
export GIT_AUTHOR_DATE='2026-01-01T00:00:00Z' GIT_COMMITTER_DATE='2026-01-01T00:00:00Z'
g() { git -C "$tree" -c core.autocrlf=false -c commit.gpgsign=false "$@"; }

# What the assembled tree is made of; a change means re-assembly.
state() {
    {
        echo "$BASE_SHA256"
        sha256sum "$top/mk/fixup-base.sh" "$top/mk/assemble.sh"
        cat "$top/patches/series" 2>/dev/null
        for p in $(series); do sha256sum "$top/patches/$p"; done
        project_files
    } | sha256sum | cut -d' ' -f1
}

series() {
    [ -f "$top/patches/series" ] || return 0
    sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$top/patches/series"
}

# Link the repository's files into the tree, in a commit of their own.
link_project_files() {
    echo "assemble: linking project files"
    for f in $(project_files); do
        if g cat-file -e "fixups:$f" 2>/dev/null; then
            echo "error: $f exists in upstream QEMU; change it with a patch in patches/" >&2
            rm -f "$stamp"
            exit 1
        fi
        mkdir -p "$tree/$(dirname "$f")"
        ln -sfn "$(realpath --relative-to="$tree/$(dirname "$f")" "$top/$f")" "$tree/$f"
        g add -f "$f"
    done
    if ! g diff --cached --quiet; then
        g commit -q -m "$LINKS_SUBJECT"
    fi
}

new=$(state)
if [ "${1:-}" = --stamp-only ]; then
    # After refresh-patches: the tree holds the series already.
    link_project_files
    printf '%s\n%s\n' "$new" "$(g rev-parse HEAD)" > "$stamp"
    exit 0
fi
if [ -f "$stamp" ] && [ -d "$tree/.git" ]; then
    old_state=$(sed -n 1p "$stamp")
    old_head=$(sed -n 2p "$stamp")
    [ "$old_state" = "$new" ] && exit 0
    if [ "$(g rev-parse HEAD)" != "$old_head" ] ||
       [ -n "$(g status --porcelain --untracked-files=no)" ]; then
        echo "error: build/qemu/ has commits or edits that are not in patches/." >&2
        echo "       Run 'make refresh-patches' to keep them, or" >&2
        echo "       'git -C build/qemu reset --hard $old_head' to drop them." >&2
        exit 1
    fi
fi

if [ ! -d "$tree/.git" ] || ! g rev-parse -q --verify refs/tags/fixups >/dev/null; then
    tarball=$("$top/mk/base.sh")
    echo "assemble: extracting $(basename "$tarball")"
    rm -rf "$tree" "$top/build/$BASE_DIR"
    mkdir -p "$top/build"
    tar --no-same-owner -xJf "$tarball" -C "$top/build"
    mv "$top/build/$BASE_DIR" "$tree"
    g init -q -b main
    g add -A -f
    g commit -q -m "Pristine upstream base: Debian qemu $BASE_VERSION" \
        -m "orig tarball sha256 $BASE_SHA256"
    g tag base
    (cd "$tree" && sh "$top/mk/fixup-base.sh")
    g add -A
    g commit -q -m "[project] fix-ups for Debian's +ds tarball" \
        -m "See mk/fixup-base.sh in the repository for why each one is needed."
    g tag fixups
fi

echo "assemble: applying patches/series"
g reset -q --hard fixups
g clean -q -fdx -e '/pc-bios/edk2-*.fd.bz2'
for p in $(series); do
    if [ ! -f "$top/patches/$p" ]; then
        echo "error: patches/series names $p, which does not exist" >&2
        exit 1
    fi
    if ! g am -q --keep-cr --committer-date-is-author-date "$top/patches/$p" >/dev/null 2>&1; then
        g am --abort >/dev/null 2>&1 || true
        echo "error: patch $p does not apply to the base; build/qemu is left at the" >&2
        echo "       last patch that applied. Rebase the patch and run make again." >&2
        rm -f "$stamp"
        exit 1
    fi
done

link_project_files
printf '%s\n%s\n' "$new" "$(g rev-parse HEAD)" > "$stamp"
