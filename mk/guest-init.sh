#!/bin/busybox sh
# /init of the demo's guest (mk/guest.sh): load the CXL drivers, report what
# the guest sees of the CXL topology, then exercise the device memory: with
# Linux 7.3 and the project's driver (cxl_accel.ko in the initramfs) through
# the driver's write-back mapping, with a kernel without the Type-2 API
# through /dev/mem at the window. Every result is a line
# "RESULT <name> <value>" on the console for the host side to check; the
# guest powers off at the end. With cxlshell=1 (make run) it gives a shell
# on the console first, and powers off when that ends or on `poweroff`.
/bin/busybox mkdir -p /usr/bin /sbin /usr/sbin
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev

say() { echo "GUEST: $*"; }
result() { echo "RESULT $1 $2"; }

arg() { # the value of NAME=VALUE on the kernel command line
    for w in $(cat /proc/cmdline); do
        case "$w" in "$1"=*) echo "${w#*=}"; return ;; esac
    done
}

say "kernel $(uname -r), loading $(cat /lib/modules/order)"
for m in $(cat /lib/modules/order); do
    err=$(insmod "/lib/modules/$m.ko" 2>&1) || say "insmod $m failed: $err"
done
# Let the CXL bus finish probing the ports.
n=0
while [ $n -lt 50 ] && ! ls /sys/bus/cxl/devices 2>/dev/null | grep -q '^root'; do
    sleep 0.1
    n=$((n + 1))
done
sleep 1

say "== /sys/bus/cxl/devices"
for d in /sys/bus/cxl/devices/*; do
    [ -e "$d" ] || continue
    name=${d##*/}
    line="$name"
    for a in start size interleave_ways target_type cap_type2 cap_ram \
             locked mode region resource serial; do
        [ -r "$d/$a" ] && line="$line $a=$(cat "$d/$a")"
    done
    say "  $line"
done
root_decoder=$(ls -d /sys/bus/cxl/devices/decoder0.* 2>/dev/null | head -n1)
if [ -n "$root_decoder" ]; then
    result root_decoder "${root_decoder##*/}"
    result window_start "$(cat "$root_decoder/start")"
    result window_size "$(cat "$root_decoder/size")"
fi
for p in /sys/bus/cxl/devices/port*; do
    [ -e "$p" ] && result port "${p##*/}"
done

say "== CXL in /proc/iomem"
grep -i cxl /proc/iomem | while read -r l; do say "  $l"; done
result iomem_window "$(grep -c 'CXL Window' /proc/iomem)"

# Walk each PCI function's extended capabilities for CXL DVSECs (0x1e98).
say "== PCI functions with CXL DVSECs"
hex() { od -An -t x4 -j "$2" -N 4 "$1" | tr -d ' '; }
for f in /sys/bus/pci/devices/*; do
    cfg="$f/config"
    off=256
    dvsecs="" serial=""
    while [ $off -ne 0 ] && [ $off -lt 4096 ]; do
        hdr=$(hex "$cfg" $off)
        [ -z "$hdr" ] || [ "$hdr" = 00000000 ] || [ "$hdr" = ffffffff ] && break
        id=$((0x$hdr & 0xffff))
        next=$(((0x$hdr >> 20) & 0xffc))
        if [ $id -eq 3 ]; then   # Device Serial Number
            serial=0x$(hex "$cfg" $((off + 8)))$(hex "$cfg" $((off + 4)))
        fi
        if [ $id -eq 35 ]; then
            h1=$(hex "$cfg" $((off + 4)))
            h2=$(hex "$cfg" $((off + 8)))
            if [ $((0x$h1 & 0xffff)) -eq $((0x1e98)) ]; then
                dvsecs="$dvsecs $((0x$h2 & 0xffff))"
            fi
        fi
        off=$next
    done
    if [ -n "$dvsecs" ]; then
        class=$(cat "$f/class")
        say "  ${f##*/} $(cat "$f/vendor"):$(cat "$f/device") class $class DVSEC ids:$dvsecs"
        case "$class" in
        0x0604*) ;;
        *) result accel "${f##*/} class=$class dvsecs=$(echo $dvsecs | tr ' ' ,) serial=$serial"
           accel_fn=$f ;;
        esac
    fi
done

# Linux 7.3 with the project's driver (contrib/cxl-accel-driver): what the
# CXL core built for the accelerator, then device memory through the
# driver's write-back mapping. For each /dev/cxl_accelN the guest reads the
# word the host wrote at cxldemo.host_off and stores it XOR cxldemo.pattern
# at cxldemo.guest_off, so that the host can tell the devices apart.
if [ -e /lib/modules/cxl_accel.ko ]; then
    u64_le() { # VALUE: its 8 bytes, little-endian
        _i=0
        while [ $_i -lt 8 ]; do
            printf "\\$(printf %03o $((($1 >> (8 * _i)) & 255)))"
            _i=$((_i + 1))
        done
    }
    n=0
    while [ $n -lt 100 ] && ! ls /dev/cxl_accel* > /dev/null 2>&1; do
        sleep 0.1
        n=$((n + 1))
    done
    say "== what the kernel said"
    dmesg | grep -i -E 'cxl_accel|cxl.*(fail|error)' |
        while read -r l; do say "  $l"; done
    if [ -x /usr/bin/cxl ]; then
        say "== cxl list -M -E -D -R -u"
        cxl list -M -E -D -R -u 2>&1 | while IFS= read -r l; do say "  $l"; done
        cxl list -vvv > /dev/null 2>&1 && result cxl_list_vvv ok
    fi
    cxl=/sys/bus/cxl/devices
    for d in $cxl/mem*; do
        [ -e "$d" ] && result memdev "${d##*/} host=$(basename "$(dirname "$(readlink -f "$d")")")"
    done
    for e in $cxl/endpoint*; do
        [ -e "$e" ] || continue
        result endpoint "${e##*/}"
        for d in $cxl/decoder${e##*endpoint}.*; do
            [ -e "$d" ] || continue
            result ep_decoder "${d##*/} start=$(cat "$d/start") size=$(cat "$d/size") target_type=$(cat "$d/target_type") locked=$(cat "$d/locked") region=$(cat "$d/region")"
        done
    done
    for r in $cxl/region*; do
        [ -e "$r" ] && result region "${r##*/} resource=$(cat "$r/resource") size=$(cat "$r/size")"
    done
    say "== device memory through the driver's write-back mapping"
    host_off=$(arg cxldemo.host_off)
    guest_off=$(arg cxldemo.guest_off)
    pattern=$(arg cxldemo.pattern)
    for c in /dev/cxl_accel*; do
        [ -e "$c" ] || continue
        a=/sys/class/misc/${c##*/}
        i=${c##*cxl_accel}
        result "drv.$i.range" "$(cat "$a/start") $(cat "$a/size")"
        [ -n "$host_off" ] || continue
        host=$(mmap-rw "$c" "$host_off")
        result "drv.$i.host" "$host"
        result "drv.$i.guest" "$(mmap-rw "$c" "$guest_off" $((host ^ pattern)))"
        # The same through read() and write(): the word after it.
        result "drv.$i.read" "0x$(dd if="$c" bs=8 skip=$((host_off / 8)) count=1 2>/dev/null |
                                  od -An -t x8 | tr -d ' ')"
        u64_le $((host ^ pattern)) |
            dd of="$c" bs=8 seek=$((guest_off / 8 + 1)) conv=notrunc 2>/dev/null
        # The device's own DMA into and out of its memory, through the
        # driver: guest RAM -> dma_off -> dma_off + len -> guest RAM.
        dma_off=$(arg cxldemo.dma_off)
        dma_len=$(arg cxldemo.dma_len)
        result "drv.$i.dma" "$(dma-round-trip "$c" "$dma_off" "$dma_len" $((0x40 + i)))"
        say "  $c: [$(cat "$a/start")+$(cat "$a/size")] read $host at $host_off"
    done
fi

# With QEMU's cxl-decoders=guest (cxldemo.program=1) nothing decodes the
# device memory until the OS commits a decoder, and Linux cannot do that
# for a Type-2 device yet: do what an OS would. Enable the function, find
# the HDM Decoder Capability through the component registers (the
# accelerator's register page at BAR 2 says where the block is), enable
# decoding, program decoder 0 over the whole memory at WINDOW-BASE, commit,
# and poll for Committed. Prints the decoder's Control register.
program_decoder() { # PCI-FUNCTION WINDOW-BASE
    echo 1 > "$1/enable"
    bar=$(sed -n 3p "$1/resource" | cut -d' ' -f1)
    size=$(devmem $((bar + 0x10)) 64)                   # MEM_SIZE
    cm=$((bar + $(devmem $((bar + 0x18)) 32) + 0x1000))   # BLOCK_OFF
    hdm=0 i=1
    while [ $i -le $((($(devmem $cm 32) >> 24) & 0xff)) ]; do
        e=$(devmem $((cm + 4 * i)) 32)
        [ $((e & 0xffff)) -eq 5 ] && hdm=$((cm + ((e >> 20) & 0xfff)))
        i=$((i + 1))
    done
    [ $hdm -ne 0 ] || return 1
    devmem $((hdm + 0x04)) 32 2                 # HDM Decoder Enable
    devmem $((hdm + 0x10)) 32 $(($2 & 0xffffffff))
    devmem $((hdm + 0x14)) 32 $(($2 >> 32))
    devmem $((hdm + 0x18)) 32 $((size & 0xffffffff))
    devmem $((hdm + 0x1c)) 32 $((size >> 32))
    devmem $((hdm + 0x20)) 32 0x200             # Commit
    i=0
    until [ $(($(devmem $((hdm + 0x20)) 32) & 0x400)) -ne 0 ]; do
        [ $i -lt 100 ] || break                 # Committed, or give up
        i=$((i + 1))
        sleep 0.01
    done
    devmem $((hdm + 0x20)) 32
}

# Device memory through the window. The VMM (or, above, the guest) puts
# the accelerator's decoder at the window base, so the first window byte is
# the first byte of device memory: read what the host wrote at
# cxldemo.host_off, write cxldemo.pattern at cxldemo.guest_off.
if [ -n "$(arg cxldemo)" ] && [ -n "$root_decoder" ] &&
   [ ! -e /lib/modules/cxl_accel.ko ]; then
    base=$(cat "$root_decoder/start")
    if [ -n "$(arg cxldemo.program)" ] && [ -n "${accel_fn:-}" ]; then
        host_off=$(arg cxldemo.host_off)
        # Uncommitted, the window holds nothing there: the access faults
        # (a bus error on Arm) or reads something else.
        v=$(devmem $((base + host_off)) 64 2>/dev/null) || v=fault
        result host_pattern_uncommitted "$v"
        say "== the guest commits the accelerator's decoder 0 at $base"
        result decoder_ctrl "$(program_decoder "$accel_fn" "$base")"
    fi
    host_off=$(arg cxldemo.host_off)
    guest_off=$(arg cxldemo.guest_off)
    pattern=$(arg cxldemo.pattern)
    say "== device memory at the window base $base"
    result host_pattern "$(devmem $((base + host_off)) 64)"
    devmem $((base + guest_off)) 64 "$pattern"
    result guest_pattern "$(devmem $((base + guest_off)) 64)"
fi
# The ACPI tables that describe the CXL topology, as hex for the host side
# to decode (mk/acpi-tables.sh).
[ -n "$(arg cxlshell)" ] ||
for t in CEDT DSDT; do
    [ -r "/sys/firmware/acpi/tables/$t" ] || continue
    od -An -v -tx1 "/sys/firmware/acpi/tables/$t" | sed "s/^/ACPI $t /"
done
# make bench adds its script and program to the initramfs (and cxlbench=1).
if [ -n "$(arg cxlbench)" ] && [ -r /cxl-bench.sh ]; then
    . /cxl-bench.sh
fi
# make run: a shell on the console. busybox's poweroff signals PID 1,
# which is this script: the trap turns that into a power-off, as does the
# shell's end.
if [ -n "$(arg cxlshell)" ]; then
    mkdir -p /etc /root
    cat > /etc/profile <<'EOF'
export HOME=/root PS1='cxl-guest# '
cd /root
EOF
    say "== a shell on the console: the accelerator is /dev/cxl_accel0"
    say "  cxl list -M -E -D -R -u           what Linux's CXL core built"
    say "  mmap-rw /dev/cxl_accel0 0x1000 [VALUE]"
    say "                                    a word of device memory, through the"
    say "                                    driver's write-back mapping"
    say "  dma-round-trip /dev/cxl_accel0 0x100000 0x10000 0x40"
    say "                                    the device's DMA into and out of its memory"
    say "  poweroff (or Ctrl-A X)            ends the guest, QEMU and the emulator"
    trap 'poweroff -f' USR1 USR2 TERM
    setsid cttyhack sh -l &
    wait
fi
result done 1
poweroff -f
