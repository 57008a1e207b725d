#!/bin/sh
# The built emulators offer the devices the passthrough is made of.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
n=0
for arch in aarch64 x86_64; do
    help=$("$top/build/bin/qemu-system-$arch" -device help 2>&1)
    for dev in vfio-pci vfio-user-pci pxb-cxl cxl-rp; do
        n=$((n + 1))
        if echo "$help" | grep -q "^name \"$dev\""; then
            echo "ok $n qemu-system-$arch offers $dev"
        else
            echo "not ok $n qemu-system-$arch offers $dev"
        fi
    done
done
echo "1..$n"
