#!/bin/busybox sh
# /init of the demo's guest: load the CXL drivers, report what the guest
# sees of the CXL topology, then exercise the device memory through the
# CXL window. Every result is a line "RESULT <name> <value>" on the console
# for the host side to check; the guest powers off at the end.
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

say "kernel $(uname -r), loading CXL drivers"
for m in $(cat /lib/modules/order); do
    insmod "/lib/modules/$m.ko" 2>/dev/null || say "insmod $m failed"
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
    for a in start size interleave_ways target_type cap_type2 cap_ram; do
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
    dvsecs=""
    while [ $off -ne 0 ] && [ $off -lt 4096 ]; do
        hdr=$(hex "$cfg" $off)
        [ -z "$hdr" ] || [ "$hdr" = 00000000 ] || [ "$hdr" = ffffffff ] && break
        id=$((0x$hdr & 0xffff))
        next=$(((0x$hdr >> 20) & 0xffc))
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
        *) result accel "${f##*/} class=$class dvsecs=$(echo $dvsecs | tr ' ' ,)" ;;
        esac
    fi
done

# Device memory through the window. The VMM programs the accelerator's
# decoder at the window base, so the first window byte is the first byte of
# device memory: read what the host wrote at cxldemo.host_off, write
# cxldemo.pattern at cxldemo.guest_off.
if [ -n "$(arg cxldemo)" ] && [ -n "$root_decoder" ]; then
    base=$(cat "$root_decoder/start")
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
for t in CEDT DSDT; do
    [ -r "/sys/firmware/acpi/tables/$t" ] || continue
    od -An -v -tx1 "/sys/firmware/acpi/tables/$t" | sed "s/^/ACPI $t /"
done
# make bench adds its script and program to the initramfs (and cxlbench=1).
if [ -n "$(arg cxlbench)" ] && [ -r /cxl-bench.sh ]; then
    . /cxl-bench.sh
fi
result done 1
poweroff -f
