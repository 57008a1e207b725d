#!/bin/sh
# The inner QEMU smoke test of `make check-host`, run in the nested host's
# test image (busybox sh) by mk/check-host-init.sh: our qemu-system-x86_64
# starts on q35 under the qtest accelerator with the accelerator passed
# through by vfio-pci (host=$CXL_HOST_BDF), and a qtest client in shell
# reads the device's IDs through the legacy configuration mechanism (ports
# 0xcf8/0xcfc) and its registers through its BAR: proof that the device
# realized on the real VFIO path of the nested host's kernel. Prints TAP.
# With the plain vfio-pci driver the device comes through as a PCI device
# on pcie.0 (cxl=auto finds no CXL UAPI). With a host driver that serves
# the CXL UAPI it comes through with cxl=on -- which fails realize unless
# the kernel's UAPI and a CXL topology are there -- below a cxl-rp of a
# pxb-cxl (bus 12, the device at 13:00.0) with a fixed memory window, as
# the qtest's host/ tests start it; this script does what firmware would
# (bus numbers and window of the root port, the BAR, MMCONFIG) and reads
# the CXL Device DVSEC in the device's extended configuration space.
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
cxl=""
[ "${CXL_HOST_DRIVER:-vfio-pci}" = vfio-pci ] || cxl=1
if [ -n "$cxl" ]; then
    # 13:00.0 below the root port 12:00.0
    dev=$((0x80000000 | 13 << 16)) rp=$((0x80000000 | 12 << 16))
    # A window as large as the outer host's, which holds the device memory
    set -- -M "q35,cxl=on,cxl-fmw.0.targets.0=cxl.1,cxl-fmw.0.size=${CXL_HOST_WINDOW_SIZE:-4G}" \
        -device pxb-cxl,bus_nr=12,bus=pcie.0,id=cxl.1,hdm_for_passthrough=on \
        -device cxl-rp,port=0,bus=cxl.1,id=rp0,chassis=0,slot=2 \
        -device "vfio-pci,host=$CXL_HOST_BDF,bus=rp0,id=accel0,cxl=on"
    how="cxl=on below a cxl-rp"
else
    # Slot 4 of pcie.0: configuration address 0:4.0
    dev=$((0x80002000)) rp=""
    set -- -M q35 -device "vfio-pci,host=$CXL_HOST_BDF,addr=04.0"
    how="on pcie.0"
fi
t0=$(ticks)
"$QTEST_QEMU_BINARY" ${QEMU_DATA_DIR:+-L "$QEMU_DATA_DIR"} \
    -accel qtest -qtest stdio -qtest-log /dev/null -display none \
    -nodefaults -m 64M "$@" \
    < "$dir/in" > "$dir/out" 2> "$dir/err" &
pid=$!
exec 3> "$dir/in" 4< "$dir/out"

# One qtest command, its answer ("OK [VALUE]") on stdout.
ask() {
    echo "$*" >&3
    IFS= read -r -t 60 _a <&4 || _a=""
    echo "$_a"
}
cfg_read() { # REG [ADDR]: a dword of the device's (or ADDR's) config space
    ask outl 0xcf8 $((${2:-$dev} | $1)) > /dev/null
    ask inl 0xcfc | sed -n 's/^OK //p'
}
cfg_write() { # REG VALUE [ADDR]
    ask outl 0xcf8 $((${3:-$dev} | $1)) > /dev/null
    ask outl 0xcfc "$2" > /dev/null
}

# A QEMU that failed to start closed its end: writes fail, not kill us
trap '' PIPE
bar=0xe0000000
if [ -n "$rp" ]; then
    # What firmware would do for the root port: its buses (12, 13, 13),
    # a memory window over the BAR, memory decoding on
    cfg_write 0x18 $((12 | 13 << 8 | 13 << 16)) "$rp"
    cfg_write 0x20 $(((bar >> 16) & 0xfff0 | ((bar + 0x3fffff) >> 16 & 0xfff0) << 16)) "$rp"
    cfg_write 4 0x6 "$rp"
fi
ids=$(cfg_read 0)
t1=$(ticks)
if ! check "the inner QEMU starts with -device vfio-pci,host=$CXL_HOST_BDF ($how)" \
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
if [ -n "$cxl" ]; then
    # MMCONFIG at 0xb0000000 (the MCH's PCIEXBAR), then the device's
    # extended capabilities from 0x100: the CXL Device DVSEC (0x23, CXL's
    # vendor 0x1e98, DVSEC ID 0) is what cxl=on passes through
    cfg_write 0x64 0 $((0x80000000))
    cfg_write 0x60 $((0xb0000001)) $((0x80000000))
    ecam=$((0xb0000000 + (13 << 20)))
    off=0x100 dvsec="" hops=0
    while [ "$((off))" -ne 0 ] && [ $hops -lt 32 ]; do
        hdr=$(ask readl $((ecam + off)) | sed -n 's/^OK //p')
        [ -n "$hdr" ] || break
        if [ $((hdr & 0xffff)) = $((0x23)) ]; then
            h1=$(ask readl $((ecam + off + 4)) | sed -n 's/^OK //p')
            h2=$(ask readl $((ecam + off + 8)) | sed -n 's/^OK //p')
            if [ $((h1 & 0xffff)) = $((0x1e98)) ] && [ $((h2 & 0xffff)) = 0 ]; then
                dvsec=$off
                break
            fi
        fi
        off=$(((hdr >> 20) & 0xfff))
        hops=$((hops + 1))
    done
    check "the guest finds the CXL Device DVSEC in its extended config space (at ${dvsec:-none})" \
        [ -n "$dvsec" ]
fi
# BAR 2 (64-bit, at configuration offsets 0x18/0x1c): place it, enable
# memory decoding, read the accelerator's ID register at its start.
cfg_write 0x18 $bar
cfg_write 0x1c 0
cfg_write 4 0x6
regid=$(ask readl $bar | sed -n 's/^OK //p')
if [ "$((regid))" != "$((0x43584c32))" ]; then
    # The component block at the start of the BAR: the registers follow it
    bar=$((bar + 0x10000))
    regid=$(ask readl $bar | sed -n 's/^OK //p')
fi
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
