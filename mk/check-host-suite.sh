#!/bin/sh
# make check-host: the host side on a real kernel. Builds the host driver
# (contrib/vfio-cxl-pci) for amd64 and arm64 and the qtest; then boots the
# nested host of mk/check-host.sh once per configuration. The nested host
# is amd64 (q35); with CHECK_HOST_ARCH=arm64 (make check-host-arm64) it is
# arm64 (virt, at EL2 with KVM), running our QEMU cross-built for aarch64
# (mk/nested-host/cross-qemu.sh), in the configurations default and
# no-s2fwb. The configurations:
#   default  the driver's checker and the qtest's host/ tests
#   refused  a device without a committed decoder, and one that is no CXL
#            device: refused at probe, the reason logged, the host goes on;
#            with uapi=v5 both served as plain vfio-pci
#   64g      64 GiB of device memory, realized and used, never populated
#   v5       the driver loaded with uapi=v5: the checker in v5 mode, the
#            inner QEMU smoke and the qtest's host/ tests
#   iommufd  v5 on the test kernel (mk/nested-kernel/build.sh: IOMMUFD and
#            the dma-buf of a variant's region), the qtest's host/ tests
#            with the inner QEMU behind iommufd. Only where the test
#            kernel was built (about 30 minutes, once): said and skipped
#            otherwise
#   no-s2fwb (arm64) a CPU without FEAT_S2FWB: KVM refuses the device
#            memory, and so does the inner QEMU under KVM
# CHECK_HOST_CONFIGS="NAME..." runs only those (e.g. CHECK_HOST_CONFIGS=v5).
# CHECK_HOST_VARIANT=debug (make check-host-debug, mk/nested-host/): every
# configuration on the DEBUG=1 test kernel, the driver built against it
# (mk/nested-kernel/kmod.sh); mk/check-host.sh's CHECK_HOST_DEBUG and the
# rest come from the environment. CHECK_HOST_OUT: where the runs go
# (default build/check-host).
# Each run's output is in build/check-host/runs/. Ends with
# "N passed, N failed, N skipped".
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
arch=${CHECK_HOST_ARCH:-amd64}
if [ "$arch" = arm64 ]; then
    configs=${CHECK_HOST_CONFIGS:-default no-s2fwb}
else
    configs=${CHECK_HOST_CONFIGS:-default refused 64g v5 iommufd}
fi
variant=${CHECK_HOST_VARIANT:-}
out=${CHECK_HOST_OUT:-"$top/build/check-host$([ "$arch" = amd64 ] || echo "-$arch")"}
runs="$out/runs"
rm -rf "$runs"
mkdir -p "$runs"
passed=0 failed=0 skipped=0 failures=""
start=$(date +%s)

# NAME STATUS: one check of this script's own
own() {
    if [ "$2" = 0 ]; then
        passed=$((passed + 1))
        printf 'ok   %s\n' "$1"
    else
        failed=$((failed + 1))
        failures="$failures $1"
        printf 'FAIL %s\n' "$1"
    fi
}

for karch in amd64 arm64; do
    "$top/mk/kmod.sh" vfio_cxl_pci "$karch" > "$runs/kmod-$karch.log" 2>&1
    rc=$?
    own "vfio_cxl_pci.ko builds for Linux 7.3 $karch" $rc
    [ $rc = 0 ] || sed 's/^/       /' "$runs/kmod-$karch.log" | tail -n 20
done
ko="$top/build/kmod/vfio_cxl_pci/$arch/vfio_cxl_pci.ko"
if [ "$arch" = arm64 ]; then
    t0=$(date +%s)
    xobj=$("$top/mk/nested-host/cross-qemu.sh" build 2> "$runs/cross-qemu.log")
    own "our QEMU and the qtest build for aarch64 ($(($(date +%s) - t0)) s)" $?
    qtest="$xobj/tests/qtest/vfio-user-cxl-test"
else
    qtest="$top/build/obj/tests/qtest/vfio-user-cxl-test"
    ninja -C "$top/build/obj" tests/qtest/vfio-user-cxl-test > "$runs/ninja.log" 2>&1
    own "the qtest builds" $?
fi
export CHECK_HOST_ARCH="$arch"

if [ -n "$variant" ]; then
    # Every configuration on that test kernel, with the driver built for it
    kernel="$top/build/nested-kernel/$variant"
    if [ -f "$kernel/vmlinuz" ]; then
        ko=$(DEBUG=$([ "$variant" = debug ] && echo 1) \
             "$top/mk/nested-kernel/kmod.sh" vfio_cxl_pci 2> "$runs/kmod-$variant.log")
        own "vfio_cxl_pci.ko builds for the $variant test kernel" $?
        export CHECK_HOST_KERNEL="$kernel"
    else
        echo "skip: no $variant test kernel (DEBUG=1 mk/nested-kernel/build.sh, about 40 minutes)"
        skipped=$((skipped + 1))
        ko=""
    fi
fi
if [ -f "$ko" ] && [ -x "$qtest" ]; then
    for config in $configs; do
        echo "== nested host: $config"
        driver=$ko
        if [ "$config" = iommufd ] && [ -z "$variant" ]; then
            if [ ! -f "$top/build/nested-kernel/default/vmlinuz" ]; then
                echo "skip iommufd: no test kernel (mk/nested-kernel/build.sh)"
                skipped=$((skipped + 1))
                continue
            fi
            driver=$("$top/mk/nested-kernel/kmod.sh" vfio_cxl_pci \
                     2> "$runs/kmod-test.log")
            own "vfio_cxl_pci.ko builds for the test kernel" $?
        fi
        # The debug kernel may report before init, which spoils lockdep
        # for the boot (mk/check-host.sh): that boot is run once more
        for attempt in 1 2; do
            HOST_DRIVER=$driver CHECK_HOST_PROGRAMS=$qtest \
                "$top/mk/check-host.sh" --config "$config" > "$runs/$config.log" 2>&1
            rc=$?
            if [ ! -f "$out/debug-early" ] || [ "$attempt" = 2 ]; then
                break
            fi
            echo "   the kernel reported before init: booting $config again"
        done
        # Keep this run's logs: the next run starts afresh
        mkdir -p "$runs/$config"
        cp -r "$out/tap" "$out/"*.log "$runs/$config/" 2>/dev/null
        grep -E '^(ok  |FAIL|       not ok|       skipped:|check-host: (timings|kvm|bench|stage 2))' "$runs/$config.log"
        last=$(tail -n1 "$runs/$config.log")
        re='^\([0-9]*\) passed, \([0-9]*\) failed, \([0-9]*\) skipped$'
        p=$(echo "$last" | sed -n "s/$re/\\1/p")
        f=$(echo "$last" | sed -n "s/$re/\\2/p")
        s=$(echo "$last" | sed -n "s/$re/\\3/p")
        skipped=$((skipped + ${s:-0}))
        if [ -z "$p" ]; then
            # It did not get as far as counting: say where it stopped
            tail -n 20 "$runs/$config.log" | sed 's/^/       /'
            p=0 f=1
        elif [ "$rc" != 0 ] && [ "$f" = 0 ]; then
            f=1
        fi
        passed=$((passed + p)) failed=$((failed + f))
        [ "$f" = 0 ] || failures="$failures $config"
    done
fi

echo
echo "check-host: $(($(date +%s) - start)) s in all"
[ "$failed" = 0 ] || echo "failed:$failures (logs in $runs/)"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
