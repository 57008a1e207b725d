#!/bin/sh
# make bench (issue 7): how fast the guest reaches passed-through CXL
# Type-2 device memory, side by side with its peers, in one run.
#   mk/bench.sh [--size BYTES] [--reps N] [--starts N] [--out DIR]
# Boots the demo's Linux 7.3 guest (mk/guest.sh) under TCG, on aarch64 virt
# and then on x86_64 q35, each time with at once the emulated accelerator
# (vfio-user) behind its own pxb-cxl/cxl-rp and window, an emulated
# cxl-type3 volatile device behind another, and an ivshmem-plain BAR; runs
# contrib/cxl-bench/cxl-bench (the same code) over guest RAM, the ivshmem
# BAR (through /dev/mem, and as Normal non-cacheable memory), the Type-2
# device memory (through the guest driver's write-back mapping, and through
# /dev/mem) and a RAM region on the Type-3 device. Then times QEMU's
# start-up on aarch64 virt (exec to QMP answering with -S, then quit) with
# 0, 1 (also as cxl=off) and 16 accelerators and with one of 1 TiB. Prints
# a table per machine with the ratios and writes OUT/results.csv and
# OUT/results.png (OUT defaults to build/bench).
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/mk/guest-lib.sh"

size=$((64 << 20))      # bytes per buffer: source and destination of a copy
reps=5                  # timed repetitions; the median is reported
starts=5                # QEMU start-ups timed per configuration
out="$top/build/bench"
while [ $# -gt 0 ]; do
    case "$1" in
    --size) size=$2; shift 2 ;;
    --reps) reps=$2; shift 2 ;;
    --starts) starts=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) echo "usage: mk/bench.sh [--size BYTES] [--reps N] [--starts N] [--out DIR]" >&2
       exit 2 ;;
    esac
done

DEV_MEM=256M            # accelerator, cxl-type3 and ivshmem capacity
HUGE_MEM=1T             # the large accelerator of the start-up case
MANY=16                 # accelerators of the many-devices start-up case
RP_PER_HB=4             # root ports per host bridge, one accelerator each
WINDOW=4G               # window per host bridge: RP_PER_HB * DEV_MEM fits
BUS_STRIDE=8            # bus numbers per pxb-cxl (its root ports' buses)
FIRST_BUS=12            # bus_nr of the first pxb-cxl, as in the demo
ARCHS="arm64 amd64"     # bandwidth on aarch64 virt and x86_64 q35
TARGETS="ram ivshmem ivshmem-wc type2 type2-devmem type3"   # as contrib/cxl-bench/guest-bench.sh names them
# What each machine measures: x86's PAT refuses /dev/mem's uncached view of
# the memory the driver maps write-back (guest-bench.sh), so no type2-devmem.
targets() { # ARCH
    case "$1" in
    amd64) echo "$TARGETS" | sed 's/ type2-devmem//' ;;
    *) echo "$TARGETS" ;;
    esac
}

log() { echo "bench: $*"; }

rm -rf "$out"
mkdir -p "$out"
work="$out/work"
mkdir -p "$work"
trap accel_stop_all EXIT
csv="$out/results.csv"
echo "arch,measure,target,median,best,worst,unit" > "$csv"
missing=""

# --- bandwidth ---------------------------------------------------------
# One guest boot of ARCH measuring every target; rows go to the CSV.
bandwidth() { # ARCH
    _arch=$1
    guest=$("$top/mk/guest.sh" "$_arch")
    guest_setup "$_arch" "$work"
    # The measuring program and its guest script, appended to the demo's
    # initramfs as a second archive: only the bench's guest has them.
    case "$_arch" in
    arm64) _cc=aarch64-linux-gnu-gcc ;;
    amd64) _cc=gcc ;;
    esac
    log "$_arch: building contrib/cxl-bench with $_cc"
    rm -rf "$work/extra"
    mkdir -p "$work/extra/bin"
    $_cc -static -O2 -fno-tree-loop-distribute-patterns -Wall -Wextra \
        -o "$work/extra/bin/cxl-bench" "$top/contrib/cxl-bench/cxl-bench.c"
    cp "$top/contrib/cxl-bench/guest-bench.sh" "$work/extra/cxl-bench.sh"
    (cd "$work/extra" && find . | cpio -o -H newc --quiet) | gzip -9 > "$work/extra.cpio.gz"
    cat "$guest/initramfs.cpio.gz" "$work/extra.cpio.gz" > "$work/initramfs.cpio.gz"

    log "$_arch: starting the emulated CXL Type-2 accelerator ($DEV_MEM of device memory)"
    # Its memory in a memfd, as the other targets' host memory is: a file
    # on disk would add page cache faults and writeback to the numbers.
    rm -f "$work/accel.sock"
    accel_start "$work/accel.sock" "$DEV_MEM" "" "$work/accel.log"
    log "$_arch: booting Linux $(cat "$guest/release"): $((size >> 20)) MiB buffers, $reps repetitions per target"
    _start=$(date +%s)
    guest_run "$work/initramfs.cpio.gz" \
        "cxlbench=1 cxlbench.size=$size cxlbench.reps=$reps" \
        -M "$machine,cxl-fmw.0.targets.0=cxl.1,cxl-fmw.0.size=$WINDOW,cxl-fmw.1.targets.0=cxl.2,cxl-fmw.1.size=$WINDOW" \
        -device pxb-cxl,bus_nr=$FIRST_BUS,bus=pcie.0,id=cxl.1 \
        -device cxl-rp,port=0,bus=cxl.1,id=rp0,chassis=0,slot=2 \
        -device "$(accel_device accel0 rp0 "$work/accel.sock")" \
        -device pxb-cxl,bus_nr=$((FIRST_BUS + BUS_STRIDE)),bus=pcie.0,id=cxl.2 \
        -device cxl-rp,port=0,bus=cxl.2,id=rp1,chassis=0,slot=3 \
        -object memory-backend-ram,id=vmem0,size=$DEV_MEM \
        -device cxl-type3,bus=rp1,volatile-memdev=vmem0,id=t3 \
        -object memory-backend-ram,id=shm0,size=$DEV_MEM,share=on \
        -device ivshmem-plain,memdev=shm0,bus=pcie.0 \
        2>&1 | tr -d '\r' > "$work/console-$_arch.log" || true
    log "$_arch: the guest ran for $(($(date +%s) - _start)) s"
    accel_stop_all
    # What the guest said about the bench, and why a target failed.
    grep -a '^BENCHERR\|GUEST: \(bench\|  \[\)' "$work/console-$_arch.log" |
        sed "s/^\(GUEST: \)\{0,1\}/bench: $_arch: guest: /" || true
    # One BENCH line a repetition: median, best and worst of each target.
    grep -a '^BENCH ' "$work/console-$_arch.log" | awk '{ print $3, $2, $4 }' |
        sort -k1,1 -k2,2 -k3,3g | awk -v a="$_arch" '
        function flush() {
            if (n) printf "%s,%s,%s,%s,%s,%s,MB/s\n", a, m, t,
                          v[int((n + 1) / 2)], v[n], v[1]
        }
        $1 != m || $2 != t { flush(); m = $1; t = $2; n = 0 }
        { v[++n] = $3 }
        END { flush() }' >> "$csv"
    for _t in $(targets "$_arch"); do
        grep -q "^$_arch,copy,$_t," "$csv" || missing="$missing $_arch/$_t"
    done
}
for a in $ARCHS; do
    bandwidth "$a"
done
[ -z "$missing" ] || log "no bandwidth for:$missing (consoles in $work/)"

# The start-up times are taken on aarch64 virt.
guest_setup arm64 "$work"

# --- start-up ----------------------------------------------------------
# One QEMU start: exec until QMP answered qmp_capabilities with the guest
# stopped (-S), then quit. Prints milliseconds.
start_once() { # QEMU-ARGS...
    t0=$(date +%s%N)
    printf '{"execute":"qmp_capabilities"}\n{"execute":"quit"}\n' |
        "$qemu" -S -accel tcg -cpu max -m 2G -display none -nodefaults \
            -drive if=pflash,format=raw,readonly=on,file="$code" \
            -drive if=pflash,format=raw,file="$vars" \
            -qmp stdio "$@" > "$work/start.log" 2>&1
    t1=$(date +%s%N)
    if ! grep -q '"return"' "$work/start.log"; then
        cat "$work/start.log" >&2
        return 1
    fi
    echo $(((t1 - t0) / 1000000))
}

startup() { # CASE QEMU-ARGS...
    what=$1
    shift
    i=0
    : > "$work/times"
    while [ $i -lt "$starts" ]; do
        start_once "$@" >> "$work/times" || { log "start-up '$what' failed"; return 1; }
        i=$((i + 1))
    done
    sort -n "$work/times" | awk -v c="$what" '
        { t[NR] = $1 }
        END { printf "arm64,startup,%s,%d,%d,%d,ms\n", c, t[int((NR + 1) / 2)], t[1], t[NR] }' >> "$csv"
}

# Start N emulated accelerators of SIZE each, sockets and memory files
# $work/aI.sock and $work/aI.mem. QEMU's start-up is timed without them.
accels() { # N SIZE
    a=0
    while [ $a -lt "$1" ]; do
        accel_start "$work/a$a.sock" "$2" "$work/a$a.mem" "$work/a$a.log"
        a=$((a + 1))
    done
}

log "timing QEMU start-up, median of $starts"
startup "none" -M "$machine"

# One accelerator of SIZE in a window of WINDOW-SIZE. Leaves in a0.du how
# much of its memory file is on disk (KiB): start-up must not touch it.
# A fourth argument adds members to the device's JSON (cxl=off).
one_accel() { # CASE SIZE WINDOW-SIZE [DEVICE-JSON-MEMBERS]
    accels 1 "$2"
    startup "$1" \
        -M "$machine,cxl-fmw.0.targets.0=cxl.1,cxl-fmw.0.size=$3" \
        -device pxb-cxl,bus_nr=$FIRST_BUS,bus=pcie.0,id=cxl.1 \
        -device cxl-rp,port=0,bus=cxl.1,id=rp0,chassis=0,slot=2 \
        -device "$(accel_device accel0 rp0 "$work/a0.sock" "${4:-}")"
    du -k "$work/a0.mem" | cut -f1 > "$work/a0.du"
    accel_stop_all
    rm -f "$work"/a*.mem
}
one_accel "1 x $DEV_MEM" "$DEV_MEM" "$WINDOW"
# The same device as a plain PCI function: what the CXL set-up costs.
one_accel "1 x $DEV_MEM cxl=off" "$DEV_MEM" "$WINDOW" ',"cxl":"off"'
# The same device in the large window: separates the window's cost from
# the device memory's.
one_accel "1 x $DEV_MEM in $HUGE_MEM window" "$DEV_MEM" "$HUGE_MEM"
one_accel "1 x $HUGE_MEM" "$HUGE_MEM" "$HUGE_MEM"
huge_used=$(cat "$work/a0.du")

# MANY accelerators: RP_PER_HB per host bridge, one window per host bridge
# (a window may target only the host bridge of its devices, see
# hw/vfio/cxl-window.c); several root ports need the host bridge decoders.
accels $MANY "$DEV_MEM"
set --
a=0 fmw=""
while [ $a -lt $MANY ]; do
    hb=$((a / RP_PER_HB)) port=$((a % RP_PER_HB))
    if [ $port = 0 ]; then
        fmw="$fmw,cxl-fmw.$hb.targets.0=cxl.$hb,cxl-fmw.$hb.size=$WINDOW"
        set -- "$@" -device pxb-cxl,bus_nr=$((FIRST_BUS + hb * BUS_STRIDE)),bus=pcie.0,id=cxl.$hb,hdm_for_passthrough=on
    fi
    set -- "$@" -device cxl-rp,port=$port,bus=cxl.$hb,id=rp$a,chassis=$hb,slot=$port \
        -device "$(accel_device accel$a rp$a "$work/a$a.sock")"
    a=$((a + 1))
done
startup "$MANY x $DEV_MEM" -M "$machine$fmw" "$@"
accel_stop_all
rm -f "$work"/a*.mem

# --- report ------------------------------------------------------------
val() { # ARCH MEASURE TARGET [COLUMN: 4 median, 5 best, 6 worst]
    awk -F, -v a="$1" -v m="$2" -v t="$3" -v c="${4:-4}" \
        '$1 == a && $2 == m && $3 == t { print $c }' "$csv"
}
ratio() { # ARCH MEASURE TARGET PEER [COLUMN]
    awk -v a="$(val "$1" "$2" "$3" "${5:-4}")" -v b="$(val "$1" "$2" "$4" "${5:-4}")" \
        'BEGIN { if (a == "" || b == "" || b == 0) print "n/a"; else printf "%.2f\n", a / b }'
}
# Spread of the repetitions around the median: (worst, best) as a percentage
spread() { # ARCH MEASURE TARGET
    awk -v m="$(val "$1" "$2" "$3")" -v b="$(val "$1" "$2" "$3" 5)" \
        -v w="$(val "$1" "$2" "$3" 6)" \
        'BEGIN { if (m == "" || m == 0) print "";
                 else printf "%+.0f/%+.0f%%", (w - m) * 100 / m, (b - m) * 100 / m }'
}
for a in $ARCHS; do
    echo
    echo "$a ($( [ $a = arm64 ] && echo aarch64 virt || echo x86_64 q35 ), TCG):"
    printf '  %-13s %10s %-11s %10s %-11s  (MB/s, median of %d, worst/best; %d MiB buffers)\n' \
        target copy "" read "" "$reps" $((size >> 20))
    for t in $(targets $a); do
        printf '  %-13s %10s %-11s %10s %-11s\n' "$t" "$(val $a copy $t)" \
            "$(spread $a copy $t)" "$(val $a read $t)" "$(spread $a read $t)"
    done
    echo "$a device/RAM copy ratio: $(ratio $a copy type2 ram)"
    echo "$a device/RAM read ratio: $(ratio $a read type2 ram)"
    # Noise only slows a repetition down: the best ones are the least noisy.
    echo "$a device/RAM copy ratio of the best: $(ratio $a copy type2 ram 5)"
    echo "$a device/RAM read ratio of the best: $(ratio $a read type2 ram 5)"
    echo "$a device/type-3 copy ratio: $(ratio $a copy type2 type3)"
    echo "$a device/type-3 read ratio: $(ratio $a read type2 type3)"
    echo "$a driver mapping/devmem copy ratio: $(ratio $a copy type2 type2-devmem)"
    echo "$a ivshmem Normal-NC/Device copy ratio (guest mapping): $(ratio $a copy ivshmem-wc ivshmem)"
done
echo
printf '%-26s %10s %10s %10s   (aarch64 virt)\n' "QEMU start-up, devices" "median ms" "best ms" "worst ms"
awk -F, '$2 == "startup" { printf "%-26s %10s %10s %10s\n", $3, $4, $5, $6 }' "$csv"
echo "(the $HUGE_MEM device memory file used $huge_used KiB on disk)"

# --- plot --------------------------------------------------------------
gnuplot <<GP
set terminal png size 1500,500 noenhanced
set output "$out/results.png"
set datafile separator ","
set style data histograms
set style fill solid 0.8 border -1
set multiplot layout 1,3 title "make bench ($((size >> 20)) MiB buffers, TCG)"
set ylabel "MB/s"
set logscale y
set key top right
set xtics rotate by -25
set title "aarch64 virt: bandwidth (median)"
plot "< grep '^arm64,copy,' $csv" using 4:xtic(3) title "copy", \
     "< grep '^arm64,read,' $csv" using 4 title "read"
set title "x86_64 q35: bandwidth (median)"
plot "< grep '^amd64,copy,' $csv" using 4:xtic(3) title "copy", \
     "< grep '^amd64,read,' $csv" using 4 title "read"
unset logscale y
set title "QEMU start-up, aarch64 virt (exec to QMP, median)"
set ylabel "ms"
set yrange [0:*]
plot "< grep '^arm64,startup,' $csv" using 4:xtic(3) notitle lc 3
unset multiplot
GP
echo
log "wrote $csv and $out/results.png"
if [ -n "$missing" ]; then
    echo "error: the guest measured no bandwidth for:$missing" >&2
    exit 1
fi
