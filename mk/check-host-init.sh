#!/bin/busybox sh
# /init of the nested host of `make check-host` (mk/check-host.sh): a
# Debian 7.3 kernel that runs QEMU with the accelerator through VFIO, as a
# real host would. It loads the CXL, VFIO and disk modules (in the order
# of /lib/modules/order, which the outer script resolved from each
# module's depends=), binds the accelerator to the host driver under test,
# mounts the test image read-only and chroots into it to run each test
# program, then prints its kernel log and powers off. Every line for the
# outer script has a prefix:
#   HOSTBED: what the init did        TAP NAME: a test program's output
#   DMESG: the kernel log             RESULT NAME VALUE: facts to check
#   S2MAP: a stage-2 mapping KVM made in the CXL window (arm64)
# The accelerator is found by its PCI IDs (contrib/cxl-accel-driver).
/bin/busybox mkdir -p /usr/bin /sbin /usr/sbin /proc /sys /dev /img /tmp
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev

say() { echo "HOSTBED: $*"; }
result() { echo "RESULT $1 $2"; }
uptime_s() { cut -d' ' -f1 /proc/uptime; }

arg() { # the value of NAME=VALUE on the kernel command line
    for w in $(cat /proc/cmdline); do
        case "$w" in "$1"=*) echo "${w#*=}"; return ;; esac
    done
}

# The debug kernel (hostbed.kmemleak=1): kmemleak's report, scanned twice
# (an object is reported only from the second scan that finds it
# unreferenced, kmemleak's checksum rule), as KMEMLEAK: lines.
kmemleak=/sys/kernel/debug/kmemleak
finish() {
    if [ "$(arg hostbed.kmemleak)" = 1 ] && [ -w "$kmemleak" ]; then
        t0=$(uptime_s)
        echo scan > "$kmemleak"
        sleep 6
        echo scan > "$kmemleak"
        result kmemleak_scan_s "$(echo "$(uptime_s) $t0" | awk '{printf "%.1f", $1 - $2}')"
        echo "KMEMLEAK: scanned"
        sed 's/^/KMEMLEAK: /' "$kmemleak"
    fi
    say "kernel log follows"
    dmesg | sed 's/^/DMESG: /'
    result "done" 1
    sync
    poweroff -f
}

# A line of its own: the firmware leaves escape sequences on the console
echo
result init_uptime "$(uptime_s)"
say "init at $(uptime_s) s of guest time, kernel $(uname -r)"
say "loading $(tr '\n' ' ' < /lib/modules/order)"
# kmemleak (the debug kernel): forget what it suspected during the boot,
# before anything under test ran
if [ "$(arg hostbed.kmemleak)" = 1 ]; then
    mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
    [ -w "$kmemleak" ] && echo clear > "$kmemleak"
fi
# The driver under test may have parameters: hostbed.modargs=A=1,B=2
module=$(arg hostbed.module)
modargs=$(arg hostbed.modargs | tr , ' ')
for m in $(cat /lib/modules/order); do
    margs=""
    [ "$m" != "$module" ] || margs=$modargs
    # shellcheck disable=SC2086
    err=$(insmod "/lib/modules/$m.ko" $margs 2>&1) || {
        say "insmod $m failed: $err"
        result insmod_failed "$m"
    }
done

# The driver under test: the module's own PCI driver (the outer script
# names it when it knows, else the driver whose module is the one loaded).
driver=$(arg hostbed.driver)
# The vfio-cxl interface it serves (its uapi parameter), for the programs
uapi=""
if [ -n "$module" ] && [ -r "/sys/module/$module/parameters/uapi" ]; then
    uapi=$(cat "/sys/module/$module/parameters/uapi")
    result module_uapi "$uapi"
fi
if [ -z "$driver" ] && [ -n "$module" ]; then
    for d in /sys/bus/pci/drivers/*; do
        [ "$(basename "$(readlink "$d/module" 2>/dev/null)")" = "$module" ] &&
            driver=${d##*/}
    done
fi
driver=${driver:-vfio-pci}
result driver "$driver"

bdf=""
for f in /sys/bus/pci/devices/*; do
    if [ "$(cat "$f/vendor")" = 0x1b36 ] && [ "$(cat "$f/device")" = 0x0cf2 ]; then
        bdf=${f##*/}
        break
    fi
done
if [ -z "$bdf" ]; then
    say "no accelerator (1b36:0cf2) on the PCI bus"
    finish
fi
dev=/sys/bus/pci/devices/$bdf
result bdf "$bdf"
say "accelerator at $bdf (driver: $(basename "$(readlink "$dev/driver" 2>/dev/null)" 2>/dev/null)), binding it to $driver"
# driver_override makes drivers_probe pick that driver and no other.
echo "$driver" > "$dev/driver_override"
[ -e "$dev/driver" ] && echo "$bdf" > "$dev/driver/unbind"
echo "$bdf" > /sys/bus/pci/drivers_probe
bound=$(basename "$(readlink "$dev/driver" 2>/dev/null)" 2>/dev/null)
result bound "$bound"
group=$(basename "$(readlink "$dev/iommu_group")")
result group "$group"
result group_devices "$(ls "$dev/iommu_group/devices" | tr '\n' ' ')"
n=0
while [ ! -e "/dev/vfio/$group" ] && [ $n -lt 50 ]; do
    sleep 0.1
    n=$((n + 1))
done
result vfio_group "$(ls /dev/vfio | tr '\n' ' ')"
say "bound to '$bound', IOMMU group $group: /dev/vfio: $(ls /dev/vfio | tr '\n' ' ')"
# Where device memory is: the CXL window (the outer QEMU's committed
# decoder puts the accelerator's memory at its base).
window=$(sed -n 's/^ *\([0-9a-f]*\)-[0-9a-f]* : CXL Window.*/0x\1/p' /proc/iomem | head -n1)
result window "$window"

# arm64 (hostbed.s2trace=1): every stage-2 mapping KVM makes of the CXL
# window, with its attributes (kvm_pgtable_stage2_map's arguments: the
# guest's IPA, size, host PA and enum kvm_pgtable_prot, in x1..x4), as
# S2MAP: lines after the programs. KVM decides a mapping's memory type
# there: Device and Normal-NC are bits of prot, cacheable is neither.
s2=/sys/kernel/tracing
if [ "$(arg hostbed.s2trace)" = 1 ] && [ -n "$window" ]; then
    wend=$(sed -n 's/^ *[0-9a-f]*-\([0-9a-f]*\) : CXL Window.*/0x\1/p' /proc/iomem | head -n1)
    mkdir -p $s2
    mount -t tracefs nodev $s2 2>/dev/null
    if echo 'p:cxlbed/s2map kvm_pgtable_stage2_map ipa=%x1:x64 size=%x2:x64 pa=%x3:x64 prot=%x4:x64' \
            >> $s2/kprobe_events 2>/dev/null &&
       echo "pa >= $window && pa <= $wend" > $s2/events/cxlbed/s2map/filter &&
       echo 1 > $s2/events/cxlbed/s2map/enable; then
        result s2trace on
    else
        result s2trace "unavailable"
        say "cannot trace kvm_pgtable_stage2_map: $(grep -c kvm_pgtable_stage2_map /proc/kallsyms) kallsyms matches"
    fi
fi

# The test image: the only virtio disk.
n=0
while [ ! -b /dev/vda ] && [ $n -lt 50 ]; do
    sleep 0.1
    n=$((n + 1))
done
if ! mount -t ext4 -o ro /dev/vda /img; then
    say "cannot mount the test image"
    finish
fi
mount --bind /dev /img/dev
mount -t proc proc /img/proc
mount -t sysfs sysfs /img/sys
mount -t tmpfs -o size=64m tmpfs /img/tmp
# This run's programs (appended to the initramfs) over the image's empty
# /hostbed.
mount --bind /hostbed /img/hostbed
# A foreign busybox's applets could not be listed where the image was
# made: their links go to a tmpfs
if [ ! -e /img/bin/env ]; then
    mount -t tmpfs -o size=1m tmpfs /img/usr/bin
    chroot /img /bin/busybox --install -s /usr/bin
fi
say "image mounted: $(cat /img/etc/hostbed-release 2>/dev/null)"
qemu=/usr/local/bin/$(arg hostbed.qemu)
# The bare-metal guest of the qtest's host/kvm/ cases, where KVM is
kvm_guest=/hostbed/tests/cxl-kvm-guest.elf
[ -e /dev/kvm ] && [ -e "/img$kvm_guest" ] || kvm_guest=""
result kvm "$([ -e /dev/kvm ] && echo yes || echo no)"

# A program that hangs is stopped after hostbed.timeout seconds
ptimeout=$(arg hostbed.timeout)
# The inner QEMU behind iommufd rather than the type1 container
iommufd=$(arg hostbed.iommufd)
# Each program: env CXL_HOST_BDF, the inner QEMU and its data directory,
# the pattern the outer script put in device memory, and CXL_HOST_UAPI
# (v2 or v5) when the driver says which interface it serves; TAP on stdout.
while read -r name args; do
    [ -n "$name" ] || continue
    args=$(echo "$args" | sed "s/@BDF@/$bdf/g")
    say "running $name $args"
    t0=$(uptime_s)
    # shellcheck disable=SC2086
    timeout -k 10 "${ptimeout:-600}" chroot /img /bin/busybox env -i PATH=/usr/local/bin:/usr/bin:/bin \
        HOME=/tmp TMPDIR=/tmp LD_LIBRARY_PATH=/hostbed/lib \
        CXL_HOST_BDF="$bdf" CXL_HOST_GROUP="$group" CXL_HOST_DRIVER="$driver" \
        CXL_HOST_WINDOW="$window" CXL_HOST_PATTERN="$(arg hostbed.pattern)" \
        CXL_HOST_WINDOW_SIZE="$(arg hostbed.window_size)" \
        ${uapi:+CXL_HOST_UAPI=$uapi} \
        ${iommufd:+CXL_HOST_IOMMUFD=1} ${kvm_guest:+CXL_HOST_KVM_GUEST=$kvm_guest} \
        QTEST_QEMU_BINARY="$qemu" \
        QEMU_DATA_DIR=/usr/local/share/qemu \
        "/hostbed/tests/$name" $args < /dev/null > /tmp/out 2>&1
    rc=$?
    sed "s/^/TAP $name: /" /tmp/out
    result "exit.$name" "$rc"
    say "$name exited $rc after $(echo "$(uptime_s) $t0" | awk '{printf "%.2f", $1 - $2}') s"
done < /hostbed/list

if [ "$(cat $s2/events/cxlbed/s2map/enable 2>/dev/null)" = 1 ]; then
    echo 0 > $s2/events/cxlbed/s2map/enable
    grep -v '^#' $s2/trace | sed 's/^/S2MAP: /'
fi
mountpoint -q /img/usr/bin && umount /img/usr/bin
umount /img/hostbed /img/tmp /img/sys /img/proc /img/dev /img
finish
