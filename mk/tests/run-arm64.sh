#!/bin/sh
# make run, without a person: mk/run.sh arm64 with its standard input fed
# through a FIFO. A signal to mk/run.sh, and Ctrl-A X, end QEMU and the
# emulator as soon as they are up; then a whole boot: the guest's shell
# runs cxl list and the driver's tools on the accelerator, and `poweroff`
# ends it all. After each, no QEMU or emulator of make run may be left.
# RUN_TEST_ARCH=amd64 runs the same on q35 (not in make check: one boot
# is enough there).
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
tap=1
. "$top/mk/tap-lib.sh"
work="$top/build/run-test"
# What mk/run.sh starts has this in its command line.
arch=${RUN_TEST_ARCH:-arm64}     # amd64 by hand: q35
mark="$top/build/run/$arch/"
rm -rf "$work"
mkdir -p "$work"
pid=""
trap '[ -z "$pid" ] || kill $pid 2>/dev/null; exec 4>&-; rm -f "$work/in"' EXIT

ours() { # the processes mk/run.sh left: "PID ARGS" lines
    ps -eo pid=,args= | grep -F "$mark" | grep -v grep || true
}
start() { # NAME: mk/run.sh arm64 in the background, reading the FIFO
    rm -f "$work/in"
    mkfifo "$work/in"
    exec 4<>"$work/in"
    out="$work/$1.log"
    "$top/mk/run.sh" "$arch" < "$work/in" > "$out" 2>&1 4>&- &
    pid=$!
}
alive() { # PID: runs (a zombie does not)
    _s=$(ps -o stat= -p "$1" 2>/dev/null)
    [ -n "$_s" ] && [ "${_s#Z}" = "$_s" ]
}
wait_for() { # SECONDS TEST...: until TEST holds, while mk/run.sh runs
    _end=$(($(date +%s) + $1))
    shift
    until "$@"; do
        [ "$(date +%s)" -lt $_end ] && alive "$pid" || return 1
        sleep 0.5
    done
}
qemu_up() { ps -eo args= | grep -F "$mark" | grep -q '^[^ ]*qemu-system'; }
seen() { grep -aq "$1" "$out"; }
ended() { # SECONDS: mk/run.sh ended by then (else it is stopped); its status
    _end=$(($(date +%s) + $1))
    while alive "$pid" && [ "$(date +%s)" -lt $_end ]; do
        sleep 0.5
    done
    kill "$pid" 2>/dev/null
    wait "$pid"
    _rc=$?
    pid=""
    exec 4>&-
    return $_rc
}
none_left() {
    sleep 0.5
    _left=$(ours)
    [ -z "$_left" ] || { echo "$_left" | sed 's/^/# left: /'; return 1; }
}

# 1. SIGTERM to mk/run.sh (the first start may build the initramfs)
start term
wait_for 600 qemu_up
check "mk/run.sh starts QEMU and the emulator" \
    sh -c 'echo "$1" | grep -q qemu-system && echo "$1" | grep -q vfio-user-cxl-accel' \
    sh "$(ours)"
kill -TERM "$pid" 2>/dev/null
ended 30
check "SIGTERM to mk/run.sh: it exits with 143" test $? = 143
check "and leaves no QEMU or emulator" none_left

# 2. Ctrl-A X on the console
start ctrl-a-x
wait_for 120 qemu_up
sleep 2
printf '\001x' >&4
ended 30
check "Ctrl-A X: QEMU and mk/run.sh exit" seen 'QEMU: Terminated'
check "and leave no QEMU or emulator" none_left

# 3. A boot, commands at the guest's shell, poweroff
rm -f "$top/build/run/$arch/devmem0"
start shell
wait_for 400 seen 'cxl-guest# '
check "the guest gives a shell on the console" seen 'cxl-guest# '
step=0
typein() { # COMMAND: at the shell, then wait until it is done (an echo
         # prints a number the typed line does not hold)
    step=$((step + 1))
    printf '%s; echo "step-$((%d + 1))"\n' "$1" $((step * 10)) >&4
    wait_for 60 seen "step-$((step * 10 + 1))"
}
typein 'cxl list -M'
check "cxl list shows the accelerator's memdev" seen '"memdev":"mem0"'
typein 'mmap-rw /dev/cxl_accel0 0x2000 0x5ca1ab1e'
check "mmap-rw writes device memory through the driver" seen '0x000000005ca1ab1e'
check "the emulator's memory holds what the guest wrote" \
    test "$(od -An -t x8 -j $((0x2000)) -N 8 "$top/build/run/$arch/devmem0" | tr -d ' ')" = 000000005ca1ab1e
typein 'dma-round-trip /dev/cxl_accel0 0x100000 0x1000 0x40 && echo "dma-$((2 + 2))"'
check "dma-round-trip: the device DMAs into and out of its memory" seen 'dma-4'
echo poweroff >&4
ended 60
check "poweroff in the guest: mk/run.sh exits 0" test $? = 0
check "and leaves no QEMU or emulator" none_left
echo "1..$check_n"
if [ "$check_failed" != 0 ]; then
    for f in term ctrl-a-x shell; do
        tail -n 15 "$work/$f.log" 2>/dev/null | sed "s/^/# $f: /"
    done
fi
[ "$check_failed" = 0 ]
