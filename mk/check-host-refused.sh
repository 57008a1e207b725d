#!/bin/sh
# The refusals of `make check-host --config refused`, run in the nested
# host's test image (busybox sh) by mk/check-host-init.sh, which tried to
# bind the accelerator ($CXL_HOST_BDF, whose decoder nobody committed) to
# $CXL_HOST_DRIVER. Checks that the driver refused it at probe with the
# reason in the kernel log, refuses a PCI function that is no CXL device
# (QEMU's edu) the same way, and that the nested host goes on: the
# accelerator still binds to plain vfio-pci. With /hostbed/tests/host-driver.ko
# (the driver, when it has a uapi parameter) it loads it again with
# uapi=v5, which serves both devices as plain vfio-pci (no CXL flag or
# region: vfio-cxl-check --plain) with the reason in the kernel log.
# Prints TAP.
set -u
: "${CXL_HOST_BDF:?}" "${CXL_HOST_DRIVER:?}"
tap=1
. /hostbed/tests/tap-lib.sh

sys=/sys/bus/pci/devices
bound() { basename "$(readlink "$sys/$1/driver" 2>/dev/null)" 2>/dev/null; }
logged() { dmesg | grep -F "$1" | grep -qF "$2"; }
# DRIVER BDF: bind BDF to DRIVER through driver_override
bind() {
    echo "$1" > "$sys/$2/driver_override"
    [ -e "$sys/$2/driver" ] && echo "$2" > "$sys/$2/driver/unbind"
    echo "$2" > /sys/bus/pci/drivers_probe 2>/dev/null
    true
}

check "the accelerator without a committed decoder is not bound" \
    test -z "$(bound "$CXL_HOST_BDF")"
check "the kernel log says why: no HDM decoder committed by firmware" \
    logged "$CXL_HOST_BDF" "not served as a CXL Type-2 device: no HDM decoder committed by firmware"

edu=""
for f in "$sys"/*; do
    if [ "$(cat "$f/vendor")" = 0x1234 ] && [ "$(cat "$f/device")" = 0x11e8 ]; then
        edu=${f##*/}
    fi
done
check "a PCI function that is no CXL device is there (edu at ${edu:-none})" \
    test -n "$edu"
bind "$CXL_HOST_DRIVER" "$edu"
check "$CXL_HOST_DRIVER does not take it" test -z "$(bound "$edu")"
check "the kernel log says why: the link is not in CXL mode" \
    logged "$edu" "not served as a CXL Type-2 device: the link is not in CXL mode"

# v5 takes neither as CXL, and serves both as plain vfio-pci
ko=/hostbed/tests/host-driver.ko
mod=$(tr '\0' '\n' < "$ko" 2>/dev/null | sed -n 's/^name=//p' | head -n1)
if [ -n "$mod" ] && tr '\0' '\n' < "$ko" | grep -q '^parm=uapi:'; then
    check "$mod unloads and loads again with uapi=v5" \
        sh -c "rmmod $mod && insmod $ko uapi=v5 &&
               test \"\$(cat /sys/module/$mod/parameters/uapi)\" = v5"
    bind "$CXL_HOST_DRIVER" "$CXL_HOST_BDF"
    check "v5: it takes the accelerator without a committed decoder as plain vfio-pci" \
        test "$(bound "$CXL_HOST_BDF")" = "$CXL_HOST_DRIVER"
    check "v5: the kernel log says why, as information" \
        logged "$CXL_HOST_BDF" "served as plain vfio-pci, not as CXL Type-2: no HDM decoder committed by firmware"
    if [ -x /hostbed/tests/vfio-cxl-check ]; then
        /hostbed/tests/vfio-cxl-check --plain "$CXL_HOST_BDF" > /tmp/plain.tap 2>&1
        check "v5: vfio-cxl-check --plain: no CXL flag, capability or region ($(grep -c '^ok' /tmp/plain.tap) ok)" \
            sh -c "! grep -q '^not ok' /tmp/plain.tap && grep -q '^1\.\.' /tmp/plain.tap"
        grep '^not ok\|^#' /tmp/plain.tap | sed 's/^/# plain: /'
    fi
    bind "$CXL_HOST_DRIVER" "$edu"
    check "v5: it takes the PCI function that is no CXL device as plain vfio-pci" \
        test "$(bound "$edu")" = "$CXL_HOST_DRIVER"
    check "v5: the kernel log says why: the link is not in CXL mode" \
        logged "$edu" "served as plain vfio-pci, not as CXL Type-2: the link is not in CXL mode"
fi

# The nested host goes on: plain vfio-pci passes the device through
bind vfio-pci "$CXL_HOST_BDF"
check "the refused accelerator binds to plain vfio-pci" \
    test "$(bound "$CXL_HOST_BDF")" = vfio-pci
check "no Oops, BUG or WARNING in the kernel log" \
    sh -c "! dmesg | grep -qE 'Oops|BUG:|WARNING:|Call Trace'"
echo "1..$check_n"
[ "$check_failed" = 0 ]
