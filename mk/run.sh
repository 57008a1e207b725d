#!/bin/sh
# make run [ARCH=amd64]: the demo's guest, to try things by hand.
#   mk/run.sh [arm64|amd64]
# Starts the emulated CXL Type-2 accelerator (256 MiB of device memory, in
# build/run/ARCH/devmem0), boots the demo's Linux 7.3 guest (mk/guest.sh)
# under TCG on aarch64 virt (amd64: x86_64 q35) with it passed through
# behind a pxb-cxl host bridge and a cxl-rp root port, and gives a shell on
# the serial console, in this terminal: the CXL modules and the project's
# driver are loaded, and cxl, mmap-rw and dma-round-trip are there.
# `poweroff` in the guest or Ctrl-A X ends QEMU, and with it the emulator;
# so does a signal to this script.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
arch=${1:-arm64}
case "$arch" in
arm64|aarch64) arch=arm64 ;;
amd64|x86_64) arch=amd64 ;;
*) echo "usage: mk/run.sh [arm64|amd64]" >&2; exit 2 ;;
esac

. "$top/mk/guest-lib.sh"
guest=$("$top/mk/guest.sh" "$arch")
work="$top/build/run/$arch"
rm -rf "$work"
mkdir -p "$work"
guest_setup "$arch" "$work"

qemu_pid=""
cleanup() {
    rc=$?
    trap - EXIT INT TERM HUP
    if [ -n "$qemu_pid" ]; then
        kill "$qemu_pid" 2>/dev/null || true
        wait "$qemu_pid" 2>/dev/null || true
    fi
    accel_stop_all
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

accel_start "$work/accel0.sock" 256M "$work/devmem0" "$work/accel0.log"
echo "run: booting Debian's Linux $(cat "$guest/release") on ${machine%%,*} under TCG" \
     "with the accelerator passed through (about a minute)"
echo "run: a shell comes up on this console; poweroff or Ctrl-A X ends it all"
# QEMU in the background, so that a signal here ends it too; with this
# script's standard input (a background command's would be /dev/null).
exec 3<&0
(
    GUEST_WRAP=exec GUEST_SERIAL=mon:stdio guest_run "$guest/initramfs.cpio.gz" \
        cxlshell=1 \
        -M "$machine,cxl-fmw.0.targets.0=cxl.1,cxl-fmw.0.size=4G" \
        -device pxb-cxl,bus_nr=12,bus=pcie.0,id=cxl.1 \
        -device cxl-rp,port=0,bus=cxl.1,id=rp0,chassis=0,slot=2 \
        -device "$(accel_device accel0 rp0 "$work/accel0.sock")"
) <&3 3<&- &
qemu_pid=$!
exec 3<&-
rc=0
wait "$qemu_pid" || rc=$?
qemu_pid=""
echo "run: QEMU exited ($rc); stopping the emulator"
exit $rc
