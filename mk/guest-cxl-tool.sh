#!/bin/sh
# The `cxl` command (ndctl's CXL tool) for the Linux guest's initramfs:
#   mk/guest-cxl-tool.sh ARCH   (arm64 | amd64)
# In Debian trixie /usr/bin/cxl is shipped by the binary package `cxl` (from
# the ndctl source; `ndctl` itself only depends on it). This fetches that
# package and its Depends closure for ARCH through a private apt
# configuration (as mk/guest.sh does: nothing of the system's apt touched),
# caches the .debs in build/guest-cxl-tool/debs/, and assembles
# build/guest-cxl-tool/ARCH/tree/: usr/bin/cxl, exactly the shared libraries
# it needs (DT_NEEDED, followed transitively with readelf) in
# usr/lib/TRIPLET/, and the dynamic loader at the path PT_INTERP names, as a
# symlink inside a real lib/ or lib64/ directory, so the tree can be laid
# over a busybox root whose /lib/modules is a real directory. The loader
# finds the libraries in its built-in search path: no ld.so.cache,
# ld.so.conf or LD_LIBRARY_PATH needed. Prints the tree's path.
#
# The closure is resolved once and kept in debs/ARCH.list (the archive
# moves); delete that file to resolve again. A stamp over the .debs and this
# script makes a rerun instant. Environment: GUEST_SUITE (trixie),
# DEBIAN_MIRROR (mk/pin.sh: the machine's apt sources by default), CXL_TOOL_PKG (cxl).
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/mk/pin.sh"
. "$top/mk/apt-private.sh"
arch=${1:?usage: mk/guest-cxl-tool.sh arm64|amd64}
case "$arch" in
arm64) triplet=aarch64-linux-gnu machine=aarch64 ;;
amd64) triplet=x86_64-linux-gnu machine=x86_64 ;;
*) echo "error: mk/guest-cxl-tool.sh: unknown architecture '$arch'" >&2; exit 2 ;;
esac

GUEST_SUITE=${GUEST_SUITE:-trixie}
pkg=${CXL_TOOL_PKG:-cxl}
tool=usr/bin/cxl

base="$top/build/guest-cxl-tool"
out="$base/$arch"
debs="$base/debs"
apt="$base/apt"
list="$debs/$arch.list"

say() { echo "cxl-tool: $*" >&2; }
die() { echo "cxl-tool: error: $*" >&2; exit 1; }

aptopts() { # apt-get or apt-cache with the private apt configuration
    _cmd=$1
    shift
    "$_cmd" -c "$apt/apt.conf" "$@"
}

field() { # NAME: the value of a control field in the record on stdin
    sed -n "s/^$1: //p" | head -n1
}

# The .deb file name apt-get download writes for NAME VERSION ARCH.
deb_name() {
    echo "${1}_$(echo "$2" | sed 's/:/%3a/g')_$3.deb"
}

list_complete() { # every .deb the list names is cached
    [ -s "$list" ] || return 1
    while read -r _n _v _a _f; do
        [ -f "$debs/$_f" ] || return 1
    done < "$list"
}

# Resolve the Depends and Pre-Depends closure of $pkg for $arch, breadth
# first (one apt-cache call a level), version constraints and :any dropped,
# of alternatives the first that exists for $arch. Architecture: all
# packages carry no ELF for $arch and are left out (init-system-helpers, a
# Pre-Depends for maintainer scripts). Writes "NAME VERSION ARCH FILE" lines.
records() { # NAME...: "NAME ARCH VERSION DEP,DEP|ALT,..." for each one found
    aptopts apt-cache show --no-all-versions "$@" 2>/dev/null | awk '
        function out() {
            if (p != "") {
                d = pd "," dd
                gsub(/\([^)]*\)/, "", d); gsub(/:any/, "", d); gsub(/ /, "", d)
                print p, a, v, d
            }
            p = a = v = dd = pd = ""
        }
        /^Package: / { p = $2 }
        /^Architecture: / { a = $2 }
        /^Version: / { v = $2 }
        /^Depends: / { dd = substr($0, 10) }
        /^Pre-Depends: / { pd = substr($0, 14) }
        /^$/ { out() }
        END { out() }'
}
resolve() {
    level=$pkg
    seen=' '
    : > "$list.tmp"
    while [ -n "$level" ]; do
        ask=''
        for g in $level; do
            f=${g%%|*}
            case "$seen$ask " in *" $f "*|*" $f:$arch "*) ;; *) ask="$ask $f:$arch" ;; esac
        done
        # shellcheck disable=SC2086 # one word per package
        found=$(records $ask)
        next=''
        for g in $level; do
            f=${g%%|*}
            case "$seen" in *" $f "*) continue ;; esac
            rec=$(printf '%s\n' "$found" | awk -v p="$f" '$1 == p' | head -n1)
            if [ -z "$rec" ]; then
                if records "$f" | awk '$2 == "all" { ok = 1 } END { exit !ok }'; then
                    seen="$seen$f "
                    continue
                fi
                [ "${g#*|}" != "$g" ] ||
                    die "no package '$f' for $arch in $GUEST_SUITE (virtual or missing)"
                next="$next ${g#*|}"
                continue
            fi
            seen="$seen$f "
            # shellcheck disable=SC2086 # NAME ARCH VERSION DEPS
            set -- $rec
            [ "$2" = all ] && continue
            echo "$1 $3 $2 $(deb_name "$1" "$3" "$2")" >> "$list.tmp"
            next="$next $(echo "${4:-}" | tr ',' ' ')"
        done
        # shellcheck disable=SC2086,SC2116 # squeeze the blanks
        level=$(echo $next)
    done
    sort "$list.tmp" > "$list.tmp2"
    rm -f "$list.tmp"
}

mkdir -p "$debs" "$out"
if ! list_complete; then
    apt_private_conf "$apt" arm64 amd64 > /dev/null
    DEBIAN_MIRROR=$(debian_mirror)
    printf 'deb [arch=arm64,amd64] %s %s main\n' "$DEBIAN_MIRROR" "$GUEST_SUITE" \
        > "$apt/sources.list"
    if [ ! -s "$list" ]; then
        say "resolving $pkg:$arch and its dependencies in Debian $GUEST_SUITE"
        aptopts apt-get -qq update >&2
        resolve
        mv "$list.tmp2" "$list"
    elif ! ls "$apt/lists/"*_Packages* > /dev/null 2>&1; then
        aptopts apt-get -qq update >&2
    fi
    missing=''
    while read -r n v a f; do
        [ -f "$debs/$f" ] || missing="$missing $n:$a=$v"
    done < "$list"
    if [ -n "$missing" ]; then
        say "downloading$missing"
        # shellcheck disable=SC2086 # one word per package
        (cd "$debs" && aptopts apt-get -qq download $missing) >&2 ||
            die "download failed (the archive may have moved: delete $list to resolve again)"
    fi
    list_complete || die "apt-get download did not leave the .debs $list names"
fi

set --
while read -r n v a f; do
    set -- "$@" "$debs/$f"
done < "$list"
stamp=$( { cat "$list"; sha256sum "$@" "$top/mk/guest-cxl-tool.sh"; } |
        sha256sum | cut -d' ' -f1)
if [ -f "$out/stamp" ] && [ "$(cat "$out/stamp")" = "$stamp" ] && [ -d "$out/tree" ]; then
    echo "$out/tree"
    exit 0
fi

say "assembling the $arch tree from $(wc -l < "$list") packages"
rm -rf "$out/pkg" "$out/tree" "$out/tree.tmp" "$out/stamp"
root="$out/pkg"
tree="$out/tree.tmp"
mkdir -p "$root" "$tree"
root_deb=''
for d in "$@"; do
    dpkg-deb -x "$d" "$root"
    case "${d##*/}" in "${pkg}_"*) root_deb=$d ;; esac
done
dpkg-deb -c "$root_deb" | awk -v f="./$tool" '$6 == f { ok = 1 } END { exit !ok }' ||
    die "package $pkg does not ship /$tool"
# Merge /bin, /sbin, /lib* into /usr as on an installed trixie system, so a
# path resolves whichever of the two a package used.
for d in bin sbin lib lib64; do
    if [ -d "$root/$d" ] && [ ! -L "$root/$d" ]; then
        mkdir -p "$root/usr/$d"
        cp -a "$root/$d/." "$root/usr/$d/"
        rm -rf "${root:?}/$d"
    fi
    [ -e "$root/$d" ] || ln -s "usr/$d" "$root/$d"
done

realfile() { # PATH (absolute, in the package root): the regular file it names
    _f="$root$1"
    _i=0
    while [ -L "$_f" ]; do
        _t=$(readlink "$_f")
        case "$_t" in
        /*) _f="$root$_t" ;;
        *) _f="${_f%/*}/$_t" ;;
        esac
        _i=$((_i + 1))
        [ $_i -lt 40 ] || die "symlink loop at $1"
    done
    [ -f "$_f" ] && echo "$_f"
}
needed() { readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]$/\1/p'; }
runpath() { readelf -d "$1" | sed -n 's/.*(R[UN]*PATH).*\[\(.*\)\]$/\1/p' | tr ':' ' '; }
interp() { readelf -l "$1" | sed -n 's/.*Requesting program interpreter: \(.*\)\]$/\1/p'; }

# The loader's own default search path (without ld.so.cache), for $arch;
# every library goes to the first, /usr/lib/$triplet.
libdir="usr/lib/$triplet"
searchdirs="/usr/lib/$triplet /lib/$triplet /usr/lib /lib"

bin="$root/$tool"
[ -f "$bin" ] || die "/$tool is not in $(basename "$root_deb")"
readelf -h "$bin" | grep -q "Machine:.*$(case $arch in arm64) echo AArch64 ;; amd64) echo X86-64 ;; esac)" ||
    die "/$tool is not an $arch ELF"
ip=$(interp "$bin")
[ -n "$ip" ] || die "/$tool names no program interpreter"
mkdir -p "$tree/usr/bin" "$tree/$libdir"
cp -p "$bin" "$tree/$tool"
chmod 0755 "$tree/$tool"

# Follow DT_NEEDED from the tool, breadth first.
todo="$tree/$tool"
placed=' '
while [ -n "$todo" ]; do
    elf=${todo%% *}
    case "$todo" in *' '*) todo=${todo#* } ;; *) todo='' ;; esac
    # $ORIGIN: the ELF's directory, the same in the tree as in the packages.
    origin=${elf%/*}
    origin=/${origin#"$tree"/}
    rp=$(runpath "$elf" | sed "s|\\\$ORIGIN|$origin|g; s|\\\${ORIGIN}|$origin|g")
    case "$rp" in *'$'*) die "${elf##*/} has a RUNPATH this cannot follow: $rp" ;; esac
    for so in $(needed "$elf"); do
        case "$placed" in *" $so "*) continue ;; esac
        src=''
        for dir in $rp $searchdirs; do
            src=$(realfile "$dir/$so") && break
        done
        [ -n "$src" ] || die "${elf##*/} needs $so, which no package of the closure ships"
        cp -p "$src" "$tree/$libdir/$so"
        placed="$placed$so "
        todo="${todo:+$todo }$tree/$libdir/$so"
    done
done

# The loader at the PT_INTERP path: the real file in $libdir (libc.so.6
# names it by soname too), a relative symlink at the interpreter path.
lso=${ip##*/}
if [ ! -f "$tree/$libdir/$lso" ]; then
    src=$(realfile "$ip") || die "the interpreter $ip is not in the closure"
    cp -p "$src" "$tree/$libdir/$lso"
fi
chmod 0755 "$tree/$libdir/$lso"
idir=${ip%/*}
idir=${idir#/}
if [ "$idir/$lso" != "$libdir/$lso" ]; then
    case "/$idir/" in
    /lib/*|/lib64/*|/usr/*) ;;
    *) die "unexpected interpreter path $ip" ;;
    esac
    up=$(echo "$idir" | sed 's|[^/][^/]*|..|g')
    mkdir -p "$tree/$idir"
    ln -s "$up/$libdir/$lso" "$tree/$idir/$lso"
fi

# Check: every DT_NEEDED of every ELF in the tree is in $libdir, and the
# interpreter path resolves inside the tree.
for f in "$tree/$tool" "$tree/$libdir"/*; do
    for so in $(needed "$f"); do
        [ -f "$tree/$libdir/$so" ] || die "${f##*/}: $so is not in the tree"
    done
done
[ -f "$tree$ip" ] || die "$ip does not resolve inside the tree"

# Same timestamps whatever the day (they end up in the initramfs' cpio).
epoch=$(stat -c %Y "$tree/$tool")
find "$tree" -exec touch -h -d "@$epoch" {} +

if [ "$(uname -m)" = "$machine" ]; then
    v=$("$tree$ip" --inhibit-cache --library-path "$tree/$libdir" "$tree/$tool" version) ||
        die "the tree's cxl does not run"
    say "cxl version $v runs"
fi

rm -rf "$root"
mv "$tree" "$out/tree"
echo "$stamp" > "$out/stamp"
say "$(du -sh "$out/tree" | cut -f1) in $out/tree"
echo "$out/tree"
