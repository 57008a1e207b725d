#!/bin/sh
# The main job: a real Linux guest uses a passed-through CXL Type-2
# accelerator (the emulated one, over vfio-user).
#   mk/demo.sh [arm64|amd64] [--kernel 7.3|6.12] [--devices N]
#              [--hb-decoders] [--committed-decoders N]
#              [--guest-decoders] [--libvirt] [--tap]
# Starts build/bin/vfio-user-cxl-accel (N of them, default 1), boots
# Debian's kernel under TCG with UEFI and ACPI on aarch64 virt (or x86_64
# q35) with the accelerators behind the root ports of one pxb-cxl and a CXL
# fixed memory window, shows what the guest sees, and checks device memory
# both ways: the guest reads what the host wrote and the host finds in the
# emulator's memory file what the guest wrote.
# --kernel 7.3 (the default): Linux 7.3's CXL core and the project's driver
#   (contrib/cxl-accel-driver) take the accelerator: memdev, endpoint,
#   decoder and region, and device memory through the driver's write-back
#   mapping. --kernel 6.12: a stable distribution kernel, device memory
#   through /dev/mem (one device).
# --hb-decoders sets hdm_for_passthrough=on on the pxb-cxl (QEMU gives a host
# bridge holding device memory its decoders either way).
# --committed-decoders N: each accelerator's firmware commits N decoders
# over N x 256 MiB of memory; QEMU places them one after the other.
# --guest-decoders (with --kernel 6.12): cxl-decoders=guest, and the guest's
#   init script commits the decoder itself, as an OS would.
# --libvirt (arm64, the default topology): Debian's libvirt runs the guest,
#   from the domain XML in docs/system/devices/cxl-type2-demo.xml, in a
#   private session daemon (mk/libvirt-lib.sh); the same checks.
# Exits non-zero when any check fails; --tap prints the checks as TAP.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
arch=arm64 tap="" kernel=7.3 devices=1 hb_decoders=off committed=1
guest_decoders="" libvirt=""
usage() {
    echo "usage: mk/demo.sh [arm64|amd64] [--kernel 7.3|6.12] [--devices N]" \
         "[--hb-decoders] [--committed-decoders N] [--guest-decoders]" \
         "[--libvirt] [--tap]" >&2
    exit 2
}
while [ $# -gt 0 ]; do
    case "$1" in
    arm64|amd64) arch=$1 ;;
    --tap) tap=1 ;;
    --kernel) kernel=${2:-}; shift ;;
    --devices) devices=${2:-}; shift ;;
    --hb-decoders) hb_decoders=on ;;
    --committed-decoders) committed=${2:-}; shift ;;
    --guest-decoders) guest_decoders=1 ;;
    --libvirt) libvirt=1 ;;
    *) usage ;;
    esac
    shift
done
case "$kernel:$devices" in
7.3:[1-4]|6.12:1) ;;
*) echo "error: mk/demo.sh: 1 to 4 devices with --kernel 7.3, 1 with 6.12" >&2
   usage ;;
esac
case "$kernel:$guest_decoders" in
*:|6.12:1) ;;
*) echo "error: mk/demo.sh: --guest-decoders needs --kernel 6.12 (Linux 7.3" \
        "cannot commit a Type-2 decoder yet)" >&2
   usage ;;
esac
case "$kernel:$committed" in
*:1|7.3:[2-4]) ;;
*) echo "error: mk/demo.sh: 1 to 4 committed decoders, 1 with 6.12" >&2
   usage ;;
esac
case "$libvirt:$arch:$kernel:$devices:$hb_decoders:$committed:$guest_decoders" in
:*|1:arm64:7.3:1:off:1:) ;;
*) echo "error: mk/demo.sh: --libvirt runs the default arm64 demo only" \
        "(the domain XML's topology)" >&2
   usage ;;
esac

HOST_OFF=0x1000 HOST_PATTERN=0x1122334455667700
# (below 2^63: the shell's arithmetic is signed 64-bit; device i gets
# HOST_PATTERN + i)
GUEST_OFF=0x2000 GUEST_PATTERN=0x5CA1AB1ED00DFEED
# The device DMAs guest RAM -> DMA_OFF -> DMA_OFF + DMA_LEN -> guest RAM;
# device i's bytes are 0x40 + i + 131 * n (contrib/cxl-accel-driver/
# dma-round-trip.c)
DMA_OFF=0x100000 DMA_LEN=0x10000
MEM_SIZE=$((256 * committed))M MEM_BYTES=$((256 * committed << 20))
if [ "$committed" != 1 ]; then
    # The Decoder Count field: 1 or an even number of decoders
    ACCEL_ARGS="--decoders $(((committed + 1) / 2 * 2)) --committed-decoders $committed"
fi
WINDOW=4G

log() { [ -n "$tap" ] && echo "# $*" || echo "demo: $*"; }

. "$top/mk/guest-lib.sh"
guest=$("$top/mk/guest.sh" "$arch" "$kernel")
name=$arch
[ "$kernel" = 7.3 ] || name=$name-$kernel
[ "$devices" = 1 ] || name=$name-x$devices
[ "$hb_decoders" = off ] || name=$name-hbdec
[ "$committed" = 1 ] || name=$name-dec$committed
[ -z "$guest_decoders" ] || name=$name-guestdec
[ -z "$libvirt" ] || name=$name-libvirt
work="$top/build/demo/$name"
rm -rf "$work"
mkdir -p "$work"
guest_setup "$arch" "$work"

# little-endian, as the guest reads it
u64_le() {
    _i=0
    while [ $_i -lt 8 ]; do
        printf "\\$(printf %03o $((($1 >> (8 * _i)) & 255)))"
        _i=$((_i + 1))
    done
}

log "starting $devices emulated CXL Type-2 accelerator(s) ($MEM_SIZE of device memory each)"
if [ -n "$libvirt" ]; then
    . "$top/mk/libvirt-lib.sh"
    trap 'libvirt_stop; accel_stop_all' EXIT
else
    trap accel_stop_all EXIT
fi
set -- -M "$machine,cxl-fmw.0.targets.0=cxl.1,cxl-fmw.0.size=$WINDOW" \
    -device pxb-cxl,bus_nr=12,bus=pcie.0,id=cxl.1,hdm_for_passthrough=$hb_decoders
i=0
while [ $i -lt "$devices" ]; do
    accel_start "$work/accel$i.sock" "$MEM_SIZE" "$work/devmem$i" "$work/accel$i.log"
    # The host side writes a pattern the guest must read.
    u64_le $((HOST_PATTERN + i)) |
        dd of="$work/devmem$i" bs=1 seek=$((HOST_OFF)) conv=notrunc status=none
    set -- "$@" -device cxl-rp,port=$i,bus=cxl.1,id=rp$i,chassis=0,slot=$((2 + i)) \
        -device "$(accel_device accel$i rp$i "$work/accel$i.sock" \
                   ${guest_decoders:+,'"cxl-decoders":"guest"'})"
    i=$((i + 1))
done

append="cxldemo=1${guest_decoders:+ cxldemo.program=1} cxldemo.host_off=$HOST_OFF cxldemo.guest_off=$GUEST_OFF cxldemo.pattern=$GUEST_PATTERN cxldemo.dma_off=$DMA_OFF cxldemo.dma_len=$DMA_LEN"
# Before the pipeline below: the daemon must not hold its pipe open
[ -z "$libvirt" ] || libvirt_start "$work"
boot() {
    if [ -n "$libvirt" ]; then
        libvirt_run "$top/docs/system/devices/cxl-type2-demo.xml" \
            "$guest/vmlinuz" "$guest/initramfs.cpio.gz" "$append" \
            "$work/accel0.sock"
    else
        guest_run "$guest/initramfs.cpio.gz" "$append" "$@"
    fi
}
log "booting Debian's Linux $(cat "$guest/release") under TCG (UEFI, ACPI)${libvirt:+ through libvirt}"
start=$(date +%s)
boot "$@" 2>&1 | tr -d '\r' | tee "$work/console.log" | while IFS= read -r line; do
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
resall() { grep -a "^RESULT $1 " "$work/console.log" | cut -d' ' -f3-; }
count() { resall "$1" | grep -c . || true; }
hexeq() { [ -n "$1" ] && [ $(($1)) -eq $(($2)) ]; }
file_u64() { od -An -t x8 -j $(($2)) -N 8 "$1" | tr -d ' '; }
# The bytes dma-round-trip sends for SEED, at DMA_OFF and DMA_OFF + DMA_LEN
dma_pattern_in() { # FILE SEED
    /usr/bin/python3 - "$1" "$2" $((DMA_OFF)) $((DMA_LEN)) <<'PY'
import sys
path, seed, off, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
want = bytes((seed + 131 * i) & 0xff for i in range(n))
with open(path, 'rb') as f:
    f.seek(off)
    got = f.read(2 * n)
sys.exit(0 if got == want + want else 1)
PY
}

check "the guest finished its script" test "$(res done)" = 1
check "the guest sees a CXL root decoder (CFMWS window)" test -n "$(res root_decoder)"
check "the window is in the guest's /proc/iomem" test "$(res iomem_window)" -ge 1 2>/dev/null
check "the guest sees a host bridge port" test -n "$(res port)"
check "the CFMWS says device-coherent volatile memory (restrictions 0x0005)" \
    test "$("$top/mk/cedt.py" --restrictions "$work/acpi/CEDT.aml")" = 0x0005
check "the accelerator's PCI function has a CXL Device DVSEC" \
    sh -c "echo '$(res accel)' | grep -q 'dvsecs=0[, ]'"
check "the accelerator is not a class 0x0502 memory device" \
    sh -c "! echo '$(res accel)' | grep -q 'class=0x0502'"

if [ "$kernel" = 6.12 ]; then
    if [ -n "$guest_decoders" ]; then
        hexne() { [ "$1" = fault ] || { [ -n "$1" ] && [ $(($1)) -ne $(($2)) ]; }; }
        committed() { [ -n "$1" ] && [ $(($1 & 0x400)) -ne 0 ]; }
        check "nothing of the device memory is mapped before the guest commits" \
            hexne "$(res host_pattern_uncommitted)" "$HOST_PATTERN"
        check "the guest committed decoder 0 itself (Control reads Committed)" \
            committed "$(res decoder_ctrl)"
    fi
    check "the guest reads what the host wrote to device memory" \
        hexeq "$(res host_pattern)" "$HOST_PATTERN"
    check "the guest reads back what it wrote" hexeq "$(res guest_pattern)" "$GUEST_PATTERN"
    check "the emulator's memory holds what the guest wrote" \
        hexeq "0x$(file_u64 "$work/devmem0" "$GUEST_OFF")" "$GUEST_PATTERN"
else
    wbase=$(res window_start)
    # Where QEMU placed device i: the lowest free 256 MiB aligned range of
    # the window, in the order the devices were created.
    placed() { printf '0x%x' $((wbase + $1 * MEM_BYTES)); }
    check "the accelerator has a Flex Bus Port DVSEC (pcie_is_cxl())" \
        sh -c "echo '$(res accel)' | grep -q 'dvsecs=0,8,7 '"
    check "each accelerator has a serial number of its own (DSN)" \
        test "$(resall accel | sed -n 's/.*serial=//p' | grep -v '^0x0*$' | sort -u | grep -c .)" = "$devices"
    check "Linux made a memdev for each accelerator" \
        test "$(resall memdev | sed -n 's/.*host=//p' | sort -u | grep -c .)" = "$devices"
    check "Linux made an endpoint port for each" test "$(count endpoint)" = "$devices"
    # One endpoint decoder and one region per firmware-committed decoder
    check "each endpoint decoder is locked, type accelerator, in a region" \
        test "$(resall ep_decoder | grep 'target_type=accelerator' | grep 'locked=1' |
                grep -c 'region=region')" = $((devices * committed))
    check "Linux auto-assembled a region for each decoder" \
        test "$(count region)" = $((devices * committed))
    i=0
    while [ $i -lt "$devices" ]; do
        k=0
        while [ $k -lt "$committed" ]; do
            base=$(printf '0x%x' $(($(placed $i) + k * (256 << 20))))
            check "a region at $base (where QEMU placed device $i's decoder $k), 256 MiB" \
                grep -aq "^RESULT region .* resource=$base size=0x10000000\$" \
                "$work/console.log"
            check "an endpoint decoder decodes $base" \
                grep -aq "^RESULT ep_decoder .* start=$base size=" "$work/console.log"
            k=$((k + 1))
        done
        i=$((i + 1))
    done
    check "the driver probed each accelerator (/dev/cxl_accelN)" \
        test "$(grep -ac '^RESULT drv\.[0-9]*\.range ' "$work/console.log")" = "$devices"
    i=0
    while [ $i -lt "$devices" ]; do
        range=$(res "drv.$i.range")
        host=$(res "drv.$i.host")
        guest_val=$(res "drv.$i.guest")
        check "cxl_accel$i maps a region's range ($range)" \
            grep -aq "^RESULT region .* resource=${range% *} size=${range#* }\$" \
            "$work/console.log"
        # Which emulator: the pattern it wrote says.
        j=$(( ${host:-0} - HOST_PATTERN ))
        check "cxl_accel$i reads through its write-back mapping what the host wrote" \
            test "$j" -ge 0 -a "$j" -lt "$devices"
        check "cxl_accel$i reads back what it wrote" \
            hexeq "$guest_val" $(( ${host:-0} ^ GUEST_PATTERN ))
        [ "$j" -ge 0 ] && [ "$j" -lt "$devices" ] || j=0
        check "emulator $j's memory holds what the guest wrote through cxl_accel$i" \
            hexeq "0x$(file_u64 "$work/devmem$j" "$GUEST_OFF")" $(( ${host:-0} ^ GUEST_PATTERN ))
        check "cxl_accel$i read() gives what the mapping read" \
            hexeq "$(res "drv.$i.read")" "${host:-0}"
        check "emulator $j's memory holds what the guest wrote with write()" \
            hexeq "0x$(file_u64 "$work/devmem$j" $((GUEST_OFF + 8)))" $(( ${host:-0} ^ GUEST_PATTERN ))
        check "cxl_accel$i: the device DMAs guest RAM -> its memory -> its memory -> guest RAM" \
            test "$(res "drv.$i.dma")" = ok
        check "emulator $j's memory holds both copies its DMA engine made" \
            dma_pattern_in "$work/devmem$j" $((0x40 + i))
        i=$((i + 1))
    done
fi
[ -n "$tap" ] && echo "1..$check_n"
if [ "$check_failed" != 0 ]; then
    echo "demo: $check_failed of $check_n checks failed; console in $work/console.log" >&2
    exit 1
fi
[ -n "$tap" ] || echo "demo: all $check_n checks passed"
