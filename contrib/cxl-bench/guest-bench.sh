# Guest side of `make bench`: sourced by the demo guest's /init (it has
# loaded the CXL drivers and defines say, result and arg) when the kernel
# command line has cxlbench=1. Runs /bin/cxl-bench, the same program, over
#   ram     guest RAM (anonymous memory of the process)
#   ivshmem host RAM behind a PCI BAR (ivshmem-plain), mapped through
#           /dev/mem like the CXL targets: the control for the guest's
#           mapping type, see docs/system/devices/cxl-type2-passthrough.rst
#   ivshmem-wc  the same BAR through sysfs resource2_wc: mapped as Normal
#           non-cacheable memory instead of Device memory
#   type2   the passed-through accelerator's memory through the write-back
#           mapping of the project's driver (/dev/cxl_accel0, Linux 7.3)
#   type2-devmem  the same memory through /dev/mem at its window base, as
#           a guest without the driver reaches it (Device memory on arm64;
#           not on x86, whose PAT refuses a second, uncached mapping)
#   type3   a RAM region this script creates on the emulated cxl-type3
# Options: cxlbench.size=BYTES cxlbench.reps=N. The targets are measured
# in turn, one timed repetition each, N rounds: the host's noise (its cores
# are shared) then falls on every target alike. Each repetition is a line
# "BENCH NAME KIND MBPS MBPS MBPS" (MB/s); failures are "BENCHERR NAME why".

bench_size=$(arg cxlbench.size)
bench_reps=$(arg cxlbench.reps)
cxl=/sys/bus/cxl/devices

# The targets, one a line: NAME cxl-bench-ARGS... (no spaces in them)
targets=""
bench() { # NAME cxl-bench-ARGS...
    targets="$targets$*
"
}

put() { # VALUE FILE: a sysfs write that says what failed, and why
    echo "$1" > "$2" && return
    say "bench: type3: writing $1 to $2 failed; the kernel says:" >&2
    dmesg | grep -e 'cxl [a-z]*[0-9]*: ' -e 'WARNING: ' | tail -n 2 |
        while IFS= read -r l; do say "  $l" >&2; done
    return 1
}

# Linux 6.12 on arm64 cannot commit a region it created: commit first
# invalidates the CPU caches for the range, and arm64 has no
# cpu_cache_invalidate_memregion(), so the write fails with ENXIO ("Failed
# to synchronize CPU cache state"). The decoders are then committed here,
# as a host's firmware commits those of memory it sets up at boot: the
# endpoint's HDM decoder 0 gets the region's HPA and, as its DPA skip,
# the start of the DPA the kernel reserved for it. The host bridge has one root port, so QEMU
# passes window accesses straight to it (no host bridge decoder).
COMP_BAR_LINE=1         # BAR 0 in sysfs "resource": QEMU's cxl-type3 puts
                        # its component registers there, at offset 0
CACHEMEM_OFF=0x1000     # CXL.cache/mem registers in the component block
CAP_HDM=5               # CXL_Capability_ID of the HDM decoder capability
HDM_GLOBAL_CTRL=0x4
HDM_ENABLE=0x2
HDM_DEC0=0x10           # decoder 0: base lo/hi, size lo/hi, control,
DEC_CTRL=0x10           # then (endpoint) DPA skip lo/hi
DEC_DPA_SKIP=0x14
CTRL_COMMIT=0x200       # commit; IG 256 B and IW 1 are the zero encodings
CTRL_TARGET_T3=0x1000   # host-only coherent (Type 3) target
CTRL_COMMITTED=0x400
commit_by_hand() { # REGION-DIR ENDPOINT-DIR ENDPOINT-DECODER-DIR
    say "bench: type3: the kernel did not commit (see above); committing the" \
        "endpoint decoder the way firmware would" >&2
    pci=$(readlink -f "$(dirname "$(readlink -f "$2/uport")")")
    comp=$(sed -n ${COMP_BAR_LINE}p "$pci/resource" | cut -d' ' -f1)
    cm=$((comp + CACHEMEM_OFF))
    hdr=$(devmem $cm 32)
    n=$(((hdr >> 24) & 0xff)) i=1 hdm=""
    while [ $i -le $n ]; do
        cap=$(devmem $((cm + 4 * i)) 32)
        [ $((cap & 0xffff)) -eq $CAP_HDM ] && hdm=$((cm + ((cap >> 20) & 0xfff)))
        i=$((i + 1))
    done
    [ -n "$hdm" ] || { say "bench: type3: no HDM decoder capability" >&2; return 1; }
    base=$(($(cat "$1/resource"))) size=$(($(cat "$1/size")))
    skip=$(($(cat "$3/dpa_resource")))
    d=$((hdm + HDM_DEC0))
    devmem $((hdm + HDM_GLOBAL_CTRL)) 32 $HDM_ENABLE
    devmem $d 32 $((base & 0xffffffff))
    devmem $((d + 4)) 32 $((base >> 32))
    devmem $((d + 8)) 32 $((size & 0xffffffff))
    devmem $((d + 12)) 32 $((size >> 32))
    devmem $((d + DEC_DPA_SKIP)) 32 $((skip & 0xffffffff))
    devmem $((d + DEC_DPA_SKIP + 4)) 32 $((skip >> 32))
    devmem $((d + DEC_CTRL)) 32 $((CTRL_COMMIT | CTRL_TARGET_T3))
    [ $(($(devmem $((d + DEC_CTRL)) 32) & CTRL_COMMITTED)) -ne 0 ] || {
        say "bench: type3: the endpoint decoder did not commit" >&2
        return 1
    }
}

# A RAM region over the whole volatile capacity of the cxl-type3 device,
# made through sysfs as cxl-cli's "create-region -t ram" would (Linux's
# Documentation/ABI/testing/sysfs-bus-cxl): region name from the root
# decoder, granularity, ways, size (HPA), endpoint decoder mode and DPA,
# target, commit. Prints the region's HPA base; says the rest on stderr.
type3_region() {
    # The cxl-type3 memdev's endpoint: the accelerator has one too under
    # Linux 7.3, so take the one whose PCI function is a memory device
    # (class 0x0502); its first decoder takes the region.
    ep=""
    for e in $cxl/endpoint*; do
        [ -e "$e" ] || continue
        f=$(dirname "$(readlink -f "$e/uport")")
        case "$(cat "$f/class")" in 0x0502*) ep=$e ;; esac
    done
    [ -n "$ep" ] || { say "bench: type3: no CXL endpoint" >&2; return 1; }
    ed=$cxl/decoder${ep##*endpoint}.0
    mem=$cxl/$(basename "$(readlink "$ep/uport")")
    # Its host bridge port, and that bridge's ACPI UID (QEMU: the bus number
    # of the pxb-cxl), which the window's root decoder lists as its target.
    hb=$(readlink -f "$ep")
    hb=${hb%/endpoint*}
    bus=$(readlink "$hb/uport")
    uid=$((0x${bus##*:}))
    rd=""
    for d in $cxl/decoder0.*; do
        [ "$(cat "$d/target_list")" = "$uid" ] && rd=$d
    done
    [ -n "$rd" ] && [ -e "$ed" ] || {
        say "bench: type3: no root decoder for host bridge $uid or no $ed" >&2
        return 1
    }
    size=$(cat "$mem/ram/size")
    region=$(cat "$rd/create_ram_region")
    r=$cxl/$region
    put "$region" "$rd/create_ram_region" &&
    put "$(cat "$rd/interleave_granularity")" "$r/interleave_granularity" &&
    put 1 "$r/interleave_ways" &&
    put "$size" "$r/size" &&
    put ram "$ed/mode" &&
    put "$size" "$ed/dpa_size" &&
    put "${ed##*/}" "$r/target0" || return 1
    put 1 "$r/commit" || commit_by_hand "$r" "$ep" "$ed" || return 1
    say "bench: type3: $region $(cat "$cxl/$region/resource")+$size" \
        "through ${rd##*/} and ${ed##*/}" >&2
    cat "$cxl/$region/resource"
}

# The ivshmem-plain function (0x1af4:0x1110), memory decoding on.
ivshmem_dev() {
    for f in /sys/bus/pci/devices/*; do
        [ "$(cat "$f/vendor"):$(cat "$f/device")" = 0x1af4:0x1110 ] || continue
        echo 1 > "$f/enable"
        echo "$f"
        return
    done
}

bench ram --ram
ivshmem=$(ivshmem_dev)
if [ -n "$ivshmem" ]; then
    # BAR 2 is the third line of "resource".
    bench ivshmem --phys "$(sed -n 3p "$ivshmem/resource" | cut -d' ' -f1)"
    bench ivshmem-wc --map "$ivshmem/resource2_wc" --phys 0
else
    echo "BENCHERR ivshmem no device"
    echo "BENCHERR ivshmem-wc no device"
fi
# The driver maps the accelerator's region write-back; QEMU put it at the
# base of the first window, where /dev/mem reaches it too.
if [ -e /dev/cxl_accel0 ]; then
    bench type2 --map /dev/cxl_accel0 --phys 0
else
    echo "BENCHERR type2 no /dev/cxl_accel0 (the driver did not probe)"
fi
# Not on x86: PAT refuses /dev/mem's uncached mapping of a range that the
# driver mapped write-back ("map pfn expected mapping type uncached-minus").
t2=$cxl/decoder0.0
if [ "$(uname -m)" = x86_64 ] && [ -e /dev/cxl_accel0 ]; then
    say "bench: type2-devmem: skipped, x86 PAT keeps the driver's write-back type"
elif [ -e "$t2" ]; then
    bench type2-devmem --phys "$(cat "$t2/start")"
else
    echo "BENCHERR type2-devmem no window"
fi
t3=$(type3_region)
[ -n "$t3" ] && bench type3 --phys "$t3" || echo "BENCHERR type3 no region"

say "bench: $(echo "$targets" | cut -d' ' -f1 | tr '\n' ' '), $bench_reps rounds"
round=0
while [ $round -lt "$bench_reps" ]; do
    echo "$targets" | while read -r name args; do
        [ -n "$name" ] || continue
        # shellcheck disable=SC2086
        /bin/cxl-bench --name "$name" $args --size "$bench_size" --reps 1 ||
            echo "BENCHERR $name cxl-bench failed"
    done
    round=$((round + 1))
done
