#!/bin/sh
# make series: the work as a git format-patch series against upstream QEMU
# 10.2.2, in build/series/: one patch per patch of patches/series, in that
# order, each carrying the repository files patches/series-files assigns to
# it, after a cover letter (patches/cover-letter). The series is committed
# in build/series-tree/qemu onto the pristine base: the +ds tarball as it
# is, none of mk/fixup-base.sh's build fix-ups. mk/tests/series.sh checks
# that it `git am`s there, and checkpatch.
#   mk/series.sh           write build/series/
#   mk/series.sh --check   also build every patch in turn (aarch64-softmmu,
#                          ccache) in build/series-tree/obj/: it bisects
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/mk/project-files.sh"
tree="$top/build/qemu"
# qemu/ and obj/ side by side, as build/qemu and build/obj are: with
# CCACHE_BASEDIR there, the series' builds hit the cache of the normal one
work="$top/build/series-tree"
git_dir="$work/qemu"
out="$top/build/series"
map="$top/patches/series-files"
LINKS_SUBJECT='[project] link the repository files into the tree'

export GIT_COMMITTER_NAME='QEMU CXL Type-2 team' GIT_COMMITTER_EMAIL='cxl-type2@example.org'
g() { git -C "$git_dir" -c core.autocrlf=false -c commit.gpgsign=false "$@"; }
t() { git -C "$tree" "$@"; }

# PATCH -> its files, one "PATCH FILE" pair a line ("-" for files left out)
pairs() {
    awk '/^[[:space:]]*#/ || /^[[:space:]]*$/ { next }
         /^[^[:space:]]/ { p = $1; sub(/:$/, "", p); $1 = "" }
         { for (i = 1; i <= NF; i++) if ($i != "") print p, $i }' "$map"
}

# Every repository file that lands in the QEMU tree is assigned exactly
# once, to a patch of the series or to "-".
(cd "$top" && project_files) | sort > "$top/build/series.files.want"
pairs | awk '{ print $2 }' | sort > "$top/build/series.files.have"
bad=$(comm -3 "$top/build/series.files.want" "$top/build/series.files.have")
dup=$(uniq -d "$top/build/series.files.have")
rm -f "$top/build/series.files.want" "$top/build/series.files.have"
if [ -n "$bad$dup" ]; then
    echo "error: patches/series-files must name each of these exactly once:" >&2
    echo "$bad $dup" | tr ' \t' '\n\n' | sed '/^$/d; s/^/  /' >&2
    exit 1
fi
for p in $(pairs | awk '$1 != "-" { print $1 }' | sort -u); do
    case "$p" in
    *+*) [ -f "$top/patches/${p#*+}" ] ||
             { echo "error: patches/series-files: no patches/${p#*+}" >&2; exit 1; }
         p=${p%%+*} ;;
    esac
    grep -qxF "$p" "$top/patches/series" ||
        { echo "error: patches/series-files: $p is not in patches/series" >&2; exit 1; }
done

# FILE...: copy them from the repository into the series, each with its
# line in the vfio-cxl section of MAINTAINERS (made by the first of them)
add_files() {
    for f in "$@"; do
        mkdir -p "$git_dir/$(dirname "$f")"
        cp "$top/$f" "$git_dir/$f"
    done
    python3 - "$git_dir/MAINTAINERS" "$@" <<'PY'
import sys
path = sys.argv[1]
# bios-tables-test's expected tables are the ACPI sections' already
files = [f for f in sys.argv[2:] if not f.startswith('tests/data/acpi/')]
if not files:
    sys.exit(0)
s = open(path).read()
head = ('vfio-cxl\nM: QEMU CXL Type-2 team <cxl-type2@example.org>\n'
        'S: Maintained\n')
if head not in s:
    # after vfio-igd, before vfio-ccw
    s = s.replace('\nvfio-ccw\n', '\n' + head + '\nvfio-ccw\n', 1)
start = s.index(head)
end = s.index('\n\n', start) + 1
s = s[:end] + ''.join('F: %s\n' % f for f in files) + s[end:]
open(path, 'w').write(s)
PY
    g add MAINTAINERS "$@"
}

# What stays out, for mk/tests/series.sh
rm -rf "$work" "$out"
mkdir -p "$work"
pairs | awk '$1 == "-" { print $2 }' > "$work/left-out"

# The pristine base: what the fix-ups commit of build/qemu starts from
base=$(t rev-parse fixups^)
git init -q "$git_dir"
g fetch -q "$tree" "$base"
g checkout -q -b series FETCH_HEAD

commit_msg() { # MSG-FILE
    g -c user.name="$GIT_COMMITTER_NAME" -c user.email="$GIT_COMMITTER_EMAIL" \
        commit -q -F "$1"
}
allowed="$git_dir/tests/qtest/bios-tables-test-allowed-diff.h"

n=0
for c in $(t rev-list --reverse fixups..HEAD); do
    [ "$(t log -1 --format=%s "$c")" = "$LINKS_SUBJECT" ] && continue
    name=$(t log -1 --format=%f "$c").patch
    extras=$(pairs | awk -v p="$name" 'index($1, p "+") == 1 { print $1 }' | uniq)
    # bios-tables-test's way to add expected tables: empty ones, allowed to
    # differ, before the test; the real ones, no longer allowed, after it
    for extra in $extras; do
        tables=$(pairs | awk -v p="$extra" '$1 == p && $2 ~ /^tests\/data\/acpi\// { print $2 }')
        [ -n "$tables" ] || continue
        for f in $tables; do
            : > "$git_dir/$f"
            echo "\"$f\"," >> "$allowed"
        done
        # shellcheck disable=SC2086
        g add $tables "$allowed"
        commit_msg "$top/patches/series-acpi-allow.msg"
        n=$((n + 1))
    done
    t format-patch -1 --stdout "$c" | g am -q --keep-cr
    files=$(pairs | awk -v p="$name" '$1 == p { print $2 }')
    if [ -n "$files" ]; then
        # shellcheck disable=SC2086
        add_files $files
        g commit -q --amend --no-edit
    fi
    n=$((n + 1))
    # Patches of their own that come right after this one
    for extra in $extras; do
        # shellcheck disable=SC2046
        add_files $(pairs | awk -v p="$extra" '$1 == p { print $2 }')
        for f in $(pairs | awk -v p="$extra" '$1 == p { print $2 }'); do
            grep -vxF "\"$f\"," "$allowed" > "$allowed.new" || true
            mv "$allowed.new" "$allowed"
        done
        g add "$allowed"
        commit_msg "$top/patches/${extra#*+}"
        n=$((n + 1))
    done
done

mkdir -p "$out"
g format-patch -q --cover-letter --zero-commit --no-signature -o "$out" "$base..series"
# The cover letter's subject and text are ours
cover=$(ls "$out"/0000-cover-letter.patch)
python3 - "$cover" "$top/patches/cover-letter" <<'PY'
import sys
cover, ours = sys.argv[1], open(sys.argv[2]).read().split('\n', 2)
subject, text = ours[0], ours[2]
s = open(cover).read()
s = s.replace('*** SUBJECT HERE ***', subject)
s = s.replace('*** BLURB HERE ***', text.rstrip('\n'))
open(cover, 'w').write(s)
PY
echo "series: $n patches and a cover letter in build/series/ (against $base)"

[ "${1:-}" = --check ] || exit 0

# Every patch in turn, one target, on top of the build fix-ups the +ds
# tarball needs (they are not part of the series).
logs="$work/logs"
mkdir -p "$logs"
fixups=$(t rev-parse fixups)
g fetch -q "$tree" "$fixups"
i=0
for c in $(g rev-list --reverse "$base..series"); do
    i=$((i + 1))
    g checkout -q --detach "$c"
    g cherry-pick -n "$fixups" > /dev/null
    if BUILD_TREE=series-tree/qemu BUILD_NAME=series-tree/obj BUILD_ALL=1 \
        TARGETS=aarch64-softmmu "$top/mk/build.sh" > "$logs/build-$i.log" 2>&1; then
        echo "ok $i $(g log -1 --format=%s "$c")"
    else
        echo "not ok $i $(g log -1 --format=%s "$c") (build/series-tree/logs/build-$i.log)"
        g reset -q --hard
        exit 1
    fi
    g reset -q --hard
done
g checkout -q series
