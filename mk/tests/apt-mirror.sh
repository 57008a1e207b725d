#!/bin/sh
# mk/pin.sh takes the Debian archive from the machine's apt sources: the
# URI that serves bookworm main, from one-line sources.list files and deb822
# .sources files alike; DEBIAN_MIRROR overrides it, and without either the
# error names DEBIAN_MIRROR. Sample configurations in a temporary directory.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/mk/pin.sh"
tap=1
. "$top/mk/tap-lib.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

etc() { # NAME: a fresh apt configuration directory
    rm -rf "${tmp:?}/$1"
    mkdir -p "$tmp/$1/sources.list.d"
    echo "$tmp/$1"
}
is() { # WANT COMMAND...: COMMAND prints WANT
    _want=$1
    shift
    _got=$("$@" 2>/dev/null)
    [ "$_got" = "$_want" ] || { echo "# got '$_got', want '$_want'"; return 1; }
}

d=$(etc oneline)
cat > "$d/sources.list" <<'EOF'
# deb http://commented.example/debian bookworm main
deb-src http://src.example/debian bookworm main
deb http://security.example/debian-security bookworm-security main
deb [arch=amd64 signed-by=/usr/share/keyrings/k.gpg] http://one.example/debian/ bookworm contrib main non-free
deb http://later.example/debian bookworm main
EOF
check "sources.list: options skipped, the first bookworm main URI, no trailing /" \
    is http://one.example/debian apt_bookworm_uri "$d"

d=$(etc deb822)
cat > "$d/sources.list.d/a.sources" <<'EOF'
Types: deb
URIs: http://off.example/debian
Suites: bookworm
Components: main
Enabled: no

Types: deb-src
URIs: http://src.example/debian
Suites: bookworm
Components: main

Types: deb deb-src
# a comment inside the stanza
URIs: http://deb822.example/debian
  http://second.example/debian
suites: bookworm bookworm-updates
Components: contrib
 main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://security.example/debian-security
Suites: bookworm-security
Components: main
EOF
check "deb822: disabled and deb-src stanzas skipped, continuation lines read" \
    is http://deb822.example/debian apt_bookworm_uri "$d"

d=$(etc order)
echo 'deb http://updates-only.example/debian bookworm-updates main' > "$d/sources.list"
echo 'deb http://list.example/debian bookworm main' > "$d/sources.list.d/b.list"
printf 'Types: deb\nURIs: http://sources.example/debian\nSuites: bookworm\nComponents: main\n' \
    > "$d/sources.list.d/a.sources"
echo 'deb http://ignored.example/debian bookworm main' > "$d/sources.list.d/0.list.disabled"
check "sources.list.d: .list and .sources files by name, other files ignored" \
    is http://sources.example/debian apt_bookworm_uri "$d"
rm "$d/sources.list.d/a.sources"
check "sources.list before sources.list.d" \
    is http://list.example/debian apt_bookworm_uri "$d"
echo 'deb http://main.example/debian bookworm main' >> "$d/sources.list"
check "sources.list first" is http://main.example/debian apt_bookworm_uri "$d"

d=$(etc none)
printf 'deb http://trixie.example/debian trixie main\ndeb cdrom:[Debian]/ bookworm main\n' \
    > "$d/sources.list"
check "no bookworm main source: nothing" is "" apt_bookworm_uri "$d"
err=$(APT_ETC_DIR=$d DEBIAN_MIRROR='' debian_mirror 2>&1)
rc=$?
check "debian_mirror fails without a source" test $rc != 0
check "and its error names DEBIAN_MIRROR" sh -c 'echo "$1" | grep -q DEBIAN_MIRROR' sh "$err"
check "DEBIAN_MIRROR overrides the sources" \
    is http://override.example/debian \
    env APT_ETC_DIR="$tmp/oneline" DEBIAN_MIRROR=http://override.example/debian \
    sh -c '. "$1/mk/pin.sh"; debian_mirror' sh "$top"
check "without DEBIAN_MIRROR the sources decide" \
    is http://deb822.example/debian \
    env APT_ETC_DIR="$tmp/deb822" DEBIAN_MIRROR= \
    sh -c '. "$1/mk/pin.sh"; debian_mirror' sh "$top"
echo "1..$check_n"
[ "$check_failed" = 0 ]
