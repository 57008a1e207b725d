# shellcheck shell=sh disable=SC2154
# Running commands in a build root of mk/kroot.sh. Sourced by
# mk/nested-host/cross-qemu.sh and mk/deb/build.sh, after they set $top.
#   kroot_use FLAVOUR   makes the root (mk/kroot.sh FLAVOUR, which takes its
#                       settings from the environment), sets $root, holds
#                       its lock shared on fd 8 so that it is not replaced
#                       under us, and makes the directories of $BINDS in it
#   kroot_ccache_dir    prints this machine's ccache directory (made if
#                       missing), to bind into a root at its own path
#   in_root COMMAND...  runs COMMAND in $root, in the current directory,
#                       with a clean environment (plus the NAME=VALUE words
#                       of $ROOT_ENV), /proc mounted and the directories of
#                       $BINDS bound at their own paths, in a private mount
#                       namespace (the mounts go with it however it ends)
#                       and a session of its own, stopped with us; its
#                       standard input is ours
# The caller says() its errors (a function of its own).

kroot_child=
kroot_stop_child() {
    [ -n "$kroot_child" ] || return 0
    # Its own session: make, ninja and the compilers too
    kill -TERM "-$kroot_child" 2>/dev/null || true
    wait "$kroot_child" 2>/dev/null || true
    kroot_child=
}
trap 'kroot_stop_child; exit 130' INT
trap 'kroot_stop_child; exit 143' TERM
trap 'kroot_stop_child; exit 129' HUP

kroot_use() { # FLAVOUR
    root=$("$top/mk/kroot.sh" "$1") || {
        say "error: the build root does not build (mk/kroot.sh $1)"
        exit 1
    }
    exec 8>>"$(dirname "$root")/lock"
    flock -s 8
    for _b in ${BINDS:-}; do
        mkdir -p "$root$_b"
    done
}

kroot_ccache_dir() {
    if command -v ccache >/dev/null 2>&1; then
        _d=$(ccache -k cache_dir)
    else
        _d=${CCACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/ccache}
    fi
    mkdir -p "$_d"
    echo "$_d"
}

in_root() {
    # An asynchronous command's input is /dev/null unless redirected: give
    # it ours through fd 3.
    # shellcheck disable=SC2016
    { setsid unshare --mount --propagation private sh -c '
        r=$1 binds=$2 dir=$3 envs=$4; shift 4
        mount -t proc proc "$r/proc" || exit 1
        for b in $binds; do
            mount --bind "$b" "$r$b" || exit 1
        done
        # shellcheck disable=SC2086
        exec chroot "$r" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
            HOME=/root LC_ALL=C.UTF-8 $envs \
            sh -c "cd \"\$0\" && exec \"\$@\"" "$dir" "$@"' \
        sh "$root" "${BINDS:-}" "$PWD" "${ROOT_ENV:-}" "$@" <&3 3<&- & } 3<&0
    kroot_child=$!
    _rc=0
    wait "$kroot_child" || _rc=$?
    kroot_child=
    return $_rc
}
