#!/bin/sh
# The main job: a real Linux guest uses a passed-through CXL Type-2
# accelerator (the emulated one, over vfio-user).
#   mk/demo.sh [arm64|amd64] [--tap]
# Starts build/bin/vfio-user-cxl-accel, boots Debian's kernel under TCG with
# UEFI and ACPI on aarch64 virt (or x86_64 q35) with the accelerator behind
# pxb-cxl/cxl-rp and a CXL fixed memory window, shows what the guest sees,
# and checks device memory both ways: the guest reads what the host wrote
# and the host finds in the emulator's memory file what the guest wrote.
# Exits non-zero when any check fails; --tap prints the checks as TAP.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
arch=arm64 tap=""
for a; do
    case "$a" in
    arm64|amd64) arch=$a ;;
    --tap) tap=1 ;;
    *) echo "usage: mk/demo.sh [arm64|amd64] [--tap]" >&2; exit 2 ;;
    esac
done

HOST_OFF=0x1000 HOST_PATTERN=0x1122334455667788
# (below 2^63: the shell's arithmetic is signed 64-bit)
GUEST_OFF=0x2000 GUEST_PATTERN=0x5CA1AB1ED00DFEED
MEM_SIZE=256M

log() { [ -n "$tap" ] && echo "# $*" || echo "demo: $*"; }

. "$top/mk/guest-lib.sh"
guest=$("$top/mk/guest.sh" "$arch")
work="$top/build/demo/$arch"
rm -rf "$work"
mkdir -p "$work"
guest_setup "$arch" "$work"

log "starting the emulated CXL Type-2 accelerator ($MEM_SIZE of device memory)"
trap accel_stop_all EXIT
accel_start "$work/accel.sock" "$MEM_SIZE" "$work/devmem" "$work/accel.log"
# The host side writes a pattern the guest must read through the window.
i=0
while [ $i -lt 8 ]; do   # little-endian, as the guest reads it
    printf "\\$(printf %03o $(((HOST_PATTERN >> (8 * i)) & 255)))"
    i=$((i + 1))
done | dd of="$work/devmem" bs=1 seek=$((HOST_OFF)) conv=notrunc status=none

log "booting Debian's $(basename "$(ls "$top"/build/guest/debs/linux-image-*-"$arch"_*.deb)" .deb) under TCG (UEFI, ACPI)"
start=$(date +%s)
guest_run "$guest/initramfs.cpio.gz" \
    "cxldemo=1 cxldemo.host_off=$HOST_OFF cxldemo.guest_off=$GUEST_OFF cxldemo.pattern=$GUEST_PATTERN" \
    -M "$machine,cxl-fmw.0.targets.0=cxl.1,cxl-fmw.0.size=4G" \
    -device pxb-cxl,bus_nr=12,bus=pcie.0,id=cxl.1 \
    -device cxl-rp,port=0,bus=cxl.1,id=rp0,chassis=0,slot=2 \
    -device "$(accel_device accel0 rp0 "$work/accel.sock")" \
    2>&1 | tr -d '\r' | tee "$work/console.log" | while IFS= read -r line; do
        case "$line" in
        *"GUEST: "*) log "guest: ${line#*GUEST: }" ;;
        "RESULT "*) ;;
        *"EFI stub: "*) log "UEFI started the kernel" ;;
        *qemu-system*) log "$line" ;;
        esac
    done
log "the guest ran for $(($(date +%s) - start)) s"

# The ACPI tables the guest dumped, back into binary for iasl.
mkdir -p "$work/acpi"
for t in CEDT DSDT; do
    grep -a "^ACPI $t " "$work/console.log" | cut -d' ' -f3- |
        /usr/bin/python3 -c 'import sys
sys.stdout.buffer.write(bytes.fromhex(sys.stdin.read()))' > "$work/acpi/$t.aml"
done

# The checks.
check_prefix=demo
. "$top/mk/tap-lib.sh"
res() { grep -a "^RESULT $1 " "$work/console.log" | head -n1 | cut -d' ' -f3-; }
hexeq() { [ -n "$1" ] && [ $(($1)) -eq $(($2)) ]; }
file_u64() { od -An -t x8 -j $(($2)) -N 8 "$1" | tr -d ' '; }

check "the guest finished its script" test "$(res done)" = 1
check "the guest sees a CXL root decoder (CFMWS window)" test -n "$(res root_decoder)"
check "the window is in the guest's /proc/iomem" test "$(res iomem_window)" -ge 1 2>/dev/null
check "the guest sees a host bridge port" test -n "$(res port)"
check "the CFMWS says device-coherent volatile memory (restrictions 0x0005)" \
    test "$("$top/mk/cedt.py" --restrictions "$work/acpi/CEDT.aml")" = 0x0005
check "the accelerator's PCI function has a CXL Device DVSEC" \
    sh -c "echo '$(res accel)' | grep -q 'dvsecs=0,\|dvsecs=0$'"
check "the accelerator is not a class 0x0502 memory device" \
    sh -c "! echo '$(res accel)' | grep -q 'class=0x0502'"
check "the guest reads what the host wrote to device memory" \
    hexeq "$(res host_pattern)" "$HOST_PATTERN"
check "the guest reads back what it wrote" hexeq "$(res guest_pattern)" "$GUEST_PATTERN"
check "the emulator's memory holds what the guest wrote" \
    hexeq "0x$(file_u64 "$work/devmem" "$GUEST_OFF")" "$GUEST_PATTERN"
[ -n "$tap" ] && echo "1..$check_n"
if [ "$check_failed" != 0 ]; then
    echo "demo: $check_failed of $check_n checks failed; console in $work/console.log" >&2
    exit 1
fi
[ -n "$tap" ] || echo "demo: all $check_n checks passed"
