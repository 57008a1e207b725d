#!/bin/sh
# The inner QEMU smoke test of `make check-host`, run in the nested host's
# test image (busybox sh) by mk/check-host-init.sh: our qemu-system-x86_64
# starts on q35 under the qtest accelerator with the accelerator passed
# through by vfio-pci (host=$CXL_HOST_BDF), and a qtest client in shell
# reads the device's IDs through the legacy configuration mechanism (ports
# 0xcf8/0xcfc) and its registers through its BAR: proof that the device
# realized on the real VFIO path of the nested host's kernel. Prints TAP.
# With the plain vfio-pci driver the device comes through as a PCI device
# (cxl=auto finds no CXL UAPI); with another driver cxl=off keeps this test
# about plain passthrough (CXL passthrough needs a CXL topology).
set -u
: "${CXL_HOST_BDF:?}" "${QTEST_QEMU_BINARY:?}"
n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n $*"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n $*"; }
check() { # DESCRIPTION COMMAND...
    _w=$1
    shift
    if "$@"; then ok "$_w"; else not_ok "$_w"; return 1; fi
}
ticks() { # /proc/uptime in hundredths of a second
    sed 's/^\([0-9]*\)\.\([0-9]*\) .*/\1\2/' /proc/uptime
}

dir=$(mktemp -d)
trap 'exec 3>&- 4<&-; [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null; rm -rf "$dir"' EXIT
mkfifo "$dir/in" "$dir/out"
# Slot 4 of pcie.0: the device answers at configuration address 0:4.0.
opts=""
[ "${CXL_HOST_DRIVER:-vfio-pci}" = vfio-pci ] || opts=,cxl=off
t0=$(ticks)
"$QTEST_QEMU_BINARY" ${QEMU_DATA_DIR:+-L "$QEMU_DATA_DIR"} -M q35 \
    -accel qtest -qtest stdio -qtest-log /dev/null -display none \
    -nodefaults -m 64M \
    -device "vfio-pci,host=$CXL_HOST_BDF,addr=04.0$opts" \
    < "$dir/in" > "$dir/out" 2> "$dir/err" &
pid=$!
exec 3> "$dir/in" 4< "$dir/out"

# One qtest command, its answer ("OK [VALUE]") on stdout.
ask() {
    echo "$*" >&3
    IFS= read -r -t 60 _a <&4 || _a=""
    echo "$_a"
}
cfg_read() { # REG: a dword of 0:4.0's configuration space
    ask outl 0xcf8 $((0x80002000 | $1)) > /dev/null
    ask inl 0xcfc | sed -n 's/^OK //p'
}
cfg_write() { # REG VALUE
    ask outl 0xcf8 $((0x80002000 | $1)) > /dev/null
    ask outl 0xcfc "$2" > /dev/null
}

# A QEMU that failed to start closed its end: writes fail, not kill us
trap '' PIPE
ids=$(cfg_read 0)
t1=$(ticks)
if ! check "the inner QEMU starts with -device vfio-pci,host=$CXL_HOST_BDF" \
        kill -0 $pid; then
    sed 's/^/# qemu: /' "$dir/err"
    echo "1..$n"
    exit 1
fi
echo "# inner QEMU answered after $(( (t1 - t0) * 10 )) ms (nested TCG host)"
echo "RESULT inner_qemu_start_ms $(( (t1 - t0) * 10 ))"
check "the guest reads the accelerator's IDs (0x0cf21b36, got '$ids')" \
    [ "$((ids))" = "$((0x0cf21b36))" ]
class=$(cfg_read 8)
check "and its class (processing accelerator 0x12, got '$class')" \
    [ "$(((class >> 24) & 0xff))" = "$((0x12))" ]
# BAR 2 (64-bit, at configuration offsets 0x18/0x1c): place it, enable
# memory decoding, read the accelerator's ID register at its start.
bar=0xe0000000
cfg_write 0x18 $bar
cfg_write 0x1c 0
cfg_write 4 0x6
regid=$(ask readl $bar | sed -n 's/^OK //p')
check "BAR 2 of the real device reads the accelerator ID 'CXL2' (got '$regid')" \
    [ "$((regid))" = "$((0x43584c32))" ]
ask writel $((bar + 8)) 0x5a5aa5a5 > /dev/null
scratch=$(ask readl $((bar + 8)) | sed -n 's/^OK //p')
check "its scratch register keeps what the guest wrote (got '$scratch')" \
    [ "$((scratch))" = "$((0x5a5aa5a5))" ]
exec 3>&- 4<&-
kill "$pid" 2>/dev/null
wait "$pid"
rc=$?
pid=""
# SIGTERM: QEMU ends cleanly and exits 0
check "the inner QEMU exits cleanly when told to (status $rc)" [ "$rc" = 0 ]
if [ -s "$dir/err" ]; then
    sed 's/^/# qemu: /' "$dir/err"
fi
echo "1..$n"
[ "$failed" = 0 ]
