#!/bin/sh
# make check-host: the host side on a real kernel. Our QEMU (TCG, UEFI,
# ACPI) boots Debian's Linux 7.3 as a nested *host*, with the emulated
# accelerator passed through over vfio-user behind a pxb-cxl and a cxl-rp
# (the topology of `mk/demo.sh`) and an IOMMU; inside it the accelerator is
# bound to a host driver and test programs drive it through the kernel's
# VFIO -- among them our QEMU itself, under the qtest accelerator and, on
# arm64, under KVM. Ends with "N passed, N failed, N skipped".
#   amd64 (the default): qemu-system-x86_64 -M q35 with an Intel IOMMU
#   arm64 (--arch arm64, make check-host-arm64): qemu-system-aarch64 -M virt
#         with virtualization=on, so that the nested host runs at EL2 and has
#         KVM, and a virtio-iommu; inside it our QEMU cross-built for aarch64
#         (mk/nested-host/cross-qemu.sh)
#   mk/check-host.sh [--arch amd64|arm64] [--config NAME]
#                    [--driver MODULE.ko] [--driver-name NAME]
#                    [--program PATH]... [--timeout SECONDS]
# Inputs (options win over the environment):
#   CHECK_HOST_ARCH=amd64|arm64  the nested host's architecture
#   HOST_DRIVER=MODULE.ko  the host driver to load (default: none, the
#                          accelerator goes to the kernel's vfio-pci)
#   HOST_DRIVER_NAME=NAME  its PCI driver's name, for driver_override
#                          (default: the driver the module registers)
#   CHECK_HOST_PROGRAMS="PATH..."  more test programs: each is copied into
#                          the test image with the libraries ldd lists and
#                          run as "PATH BDF" (a GLib test, which calls
#                          g_test_init, as "PATH --tap") with CXL_HOST_BDF,
#                          QTEST_QEMU_BINARY and QEMU_DATA_DIR (QEMU's -L)
#                          set; it prints TAP
#   CHECK_HOST_SMOKE=1     run contrib/check-host/check-host-smoke too when
#                          contrib/vfio-cxl-pci/vfio-cxl-check.c exists
#                          (built gcc -static, run as "vfio-cxl-check BDF";
#                          it replaces the smoke program by default)
#   CHECK_HOST_CFLAGS      more gcc options for vfio-cxl-check.c (e.g. an
#                          -I for a vfio.h with the CXL UAPI)
#   HOST_DRIVER_ARGS       module parameters for the host driver's insmod
#                          (--config v5 sets uapi=v5)
#   CHECK_HOST_TIMEOUT     seconds the outer QEMU may run (default 900)
#   CHECK_HOST_PROGRAM_TIMEOUT  seconds one test program may run in the
#                          nested host before it is killed (default 600)
#   CHECK_HOST_KERNEL=DIR  boot this test kernel (mk/nested-kernel/build.sh's
#                          build/nested-kernel/default or debug) in every
#                          configuration (default: Debian's, but for
#                          iommufd, which boots build/nested-kernel/default)
#   CHECK_HOST_MEM         the nested host's RAM (default 2G)
#   CHECK_HOST_DEBUG=1     the kernel is the DEBUG=1 one: the nested host
#                          scans for kmemleak's leaks before its kernel log,
#                          and the outer side fails on each kind of report
#                          (lockdep, KASAN, kmemleak, hung task, WARN,
#                          BUG/Oops), one check each
#   CHECK_HOST_OUT=DIR     where the logs and the cached nested host go
#                          (default build/check-host)
#   CHECK_HOST_FUZZ="ARGS" run contrib/vfio-cxl-pci/vfio-cxl-fuzz.c (built
#                          gcc -static) last, as "vfio-cxl-fuzz ARGS BDF"
#                          (--config fuzz: alone, with --unplug, on which
#                          the outer QEMU unplugs the accelerator, QMP
#                          device_del, when it asks)
#   CHECK_HOST_CHECKER=0   leave vfio-cxl-check out (to run the fuzzer
#                          alone, say)
# The nested host's kernel, initramfs and test image depend only on
# Debian's packages and our build; they are cached in build/check-host/nested
# and rebuilt when an input changes. Logs are in build/check-host/.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/mk/pin.sh"
. "$top/mk/guest-lib.sh"

say() { echo "check-host: $*"; }
die() { echo "error: check-host: $*" >&2; exit 1; }
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

driver=${HOST_DRIVER:-} driver_name=${HOST_DRIVER_NAME:-}
driver_args=${HOST_DRIVER_ARGS:-}
programs=${CHECK_HOST_PROGRAMS:-}
timeout=${CHECK_HOST_TIMEOUT:-900}
config=default arch=${CHECK_HOST_ARCH:-amd64}
while [ $# -gt 0 ]; do
    case "$1" in
    --arch) arch=${2:?}; shift ;;
    --config) config=${2:?}; shift ;;
    --driver) driver=${2:?}; shift ;;
    --driver-name) driver_name=${2:?}; shift ;;
    --program) programs="$programs ${2:?}"; shift ;;
    --timeout) timeout=${2:?}; shift ;;
    *) echo "usage: mk/check-host.sh [--arch amd64|arm64]" \
            "[--config default|refused|64g|v5|iommufd|fuzz|no-s2fwb]" \
            "[--driver MODULE.ko] [--driver-name NAME]" \
            "[--program PATH]... [--timeout SECONDS]" >&2
       exit 2 ;;
    esac
    shift
done
# What the "hardware" is (the emulator and the outer QEMU's view of it):
#   default  256 MiB, decoder committed by the outer QEMU's firmware mode,
#            Cache_Capable (so that Status2's Cache Invalid is the device's)
#   refused  the outer QEMU leaves the decoder to the nested host (guest
#            mode): nothing is committed, a host driver must refuse it; and
#            a PCI device that is no CXL device at all (edu); then the
#            driver again with uapi=v5, which serves both as plain vfio-pci
#   64g      64 GiB of sparse device memory: nothing may touch all of it;
#            the component block at the start of its BAR
#   v5       the default hardware with the component block in the middle
#            of its BAR (default: at the end); the host driver serves the
#            v5 interface (uapi=v5) and the checker checks that
#   iommufd  v5 on the test kernel of mk/nested-kernel/build.sh (IOMMUFD,
#            the dma-buf of a variant's region), the inner QEMU behind
#            iommufd: device memory DMA-mapped from its dma-buf
#   fuzz     the default hardware and the driver fuzzer alone, first, so
#            that on the debug kernel lockdep (which reports once per
#            boot) is still on for it; then the outer QEMU's unplug
#   no-s2fwb arm64: the default hardware on a CPU without FEAT_S2FWB
#            (neoverse-n1), where KVM cannot map cacheable PFNMAP memory:
#            the checker sees KVM refuse the memory slot, and the inner
#            QEMU refuses the device under KVM
# On arm64 the CPU is -cpu max (S2FWB and DIC: KVM maps device memory
# cacheable at stage 2), and the KVM guest's tests run (the qtest's
# host/kvm/ cases, contrib's bare-metal guest); the nested host traces
# each stage-2 mapping of device memory that KVM makes.
case "$arch" in
amd64) qarch=x86_64 cpu=max ;;
arm64) qarch=aarch64 cpu=max ;;
*) die "unknown architecture '$arch' (amd64 or arm64)" ;;
esac
MEM_SIZE=256M WINDOW=4G expect_bound=1 accel_members="" extra_devices=""
accel_args=""
glib_args="" check_args="" expect_uapi="" test_kernel=${CHECK_HOST_KERNEL:-}
case "$config" in
default) accel_args="--cache-capable" ;;
refused)
    expect_bound="" accel_members=',"cxl-decoders":"guest"'
    extra_devices="-device edu,bus=pcie.0" ;;
64g)
    # Each QEMU start maps all of it for DMA through the nested host's
    # IOMMU, tens of seconds at 64 GiB: only the qtest's tests of size
    # and memory, which the default run does not cover at this size.
    MEM_SIZE=64G WINDOW=128G accel_args="--block-at start"
    glib_args="-p /$qarch/vfio-user-cxl/host/memory -p /$qarch/vfio-user-cxl/host/size" ;;
v5)
    accel_args="--block-at middle"
    driver_args="${driver_args:+$driver_args }uapi=v5" check_args="--v5 "
    expect_uapi=v5 ;;
iommufd)
    driver_args="${driver_args:+$driver_args }uapi=v5" check_args="--v5 "
    expect_uapi=v5 test_kernel=${test_kernel:-"$top/build/nested-kernel/default"}
    [ -f "$test_kernel/vmlinuz" ] ||
        die "no test kernel: mk/nested-kernel/build.sh builds it" ;;
fuzz)
    CHECK_HOST_CHECKER=0 programs="" fuzz_args=${CHECK_HOST_FUZZ:-"--seed 1"}
    fuzz_args="$fuzz_args --unplug" ;;
no-s2fwb)
    [ "$arch" = arm64 ] || die "no-s2fwb is an arm64 configuration"
    cpu=neoverse-n1 accel_args="--cache-capable"
    glib_args="-p /$qarch/vfio-user-cxl/host/kvm/cacheable-check" ;;
*) die "unknown configuration '$config' (default, refused, 64g, v5, iommufd, fuzz or no-s2fwb)" ;;
esac
[ "$arch" = amd64 ] || [ -z "$test_kernel" ] ||
    die "the test kernels (mk/nested-kernel) are amd64 only"
[ -z "$test_kernel" ] || [ -f "$test_kernel/vmlinuz" ] ||
    die "no test kernel in $test_kernel (mk/nested-kernel/build.sh)"
[ -z "$driver" ] || [ -f "$driver" ] || die "no host driver $driver"
[ "$config" = fuzz ] || fuzz_args=${CHECK_HOST_FUZZ:-}
# Only the configurations that drive the device take the fuzzer
[ "$config" != refused ] && [ "$config" != 64g ] || fuzz_args=""
unplug=""
case " $fuzz_args " in *" --unplug "*) unplug=1 ;; esac
for p in $programs; do
    [ -x "$p" ] || die "test program $p is not an executable"
done

out=${CHECK_HOST_OUT:-"$top/build/check-host$([ "$arch" = amd64 ] || echo "-$arch")"}
nested="$out/nested"
[ -z "$test_kernel" ] || nested="$out/nested-$(basename "$test_kernel")"
obj="$top/build/obj"
t_start=$(now)
mkdir -p "$out"
rm -rf "$out/tap" "$out"/*.log "$out/debug-early"
mkdir -p "$out/tap"
# Everything temporary lives here (sockets, the device memory file, the
# image staging); the trap removes it and stops every process started.
tmp=$(mktemp -d "$out/tmp.XXXXXX")
qemu_pid=""
cleanup() {
    if [ -n "$qemu_pid" ]; then
        kill "$qemu_pid" 2>/dev/null || true
        wait "$qemu_pid" 2>/dev/null || true
    fi
    accel_stop_all
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

# What the nested host loads, in this order; each module's depends= comes
# first (Debian's modules package has no modules.dep). CXL as mk/guest.sh
# (cxl_core and cxl_port are built in), VFIO (type1 container: no iommufd
# in Debian's kernel), and the test image's disk: virtio_blk and ext4 are
# modules, virtio_pci is built in.
MODULES='libnvdimm cxl_pmem cxl_mem cxl_acpi cxl_pci
vfio vfio_iommu_type1 irqbypass vfio_pci_core vfio_pci
virtio_blk ext4'
# The pc-bios files our QEMU opens for -M q35 under qtest: bios-256k.bin
# only (strace; kvmvapic.bin is optional and Debian's +ds has none); the
# other ROMs are small and a test may add a device that wants one.
QEMU_DATA='bios-256k.bin bios.bin vgabios-stdvga.bin efi-virtio.rom efi-e1000e.rom'
# Where the programs that run in the nested host come from: this machine
# (amd64), or the arm64 cross build root, whose libraries they load
sysroot=""
if [ "$arch" = arm64 ]; then
    # virtio_iommu first: a device probed before its IOMMU is deferred,
    # and binding it through drivers_probe fails until the IOMMU is there.
    # irqbypass (and KVM) are built in.
    MODULES='virtio_iommu libnvdimm cxl_pmem cxl_mem cxl_acpi cxl_pci
vfio vfio_iommu_type1 vfio_pci_core vfio_pci
virtio_blk ext4'
    # -M virt under qtest: only the virtio NIC's ROM
    QEMU_DATA='efi-virtio.rom'
    obj=$("$top/mk/nested-host/cross-qemu.sh" build) ||
        die "our QEMU does not build for aarch64 (mk/nested-host/cross-qemu.sh)"
    sysroot=$("$top/mk/nested-host/cross-qemu.sh" root)
fi
# The test kernel has all of them built in
[ -z "$test_kernel" ] || MODULES=''

# --- the nested host: kernel, initramfs, test image (cached) ---------------
debs="$top/build/guest/debs"
kdeb() { ls "$debs/$1-$GUEST_KABI-${arch}_"*_"$arch".deb 2>/dev/null | head -n1; }
if [ -z "$(kdeb linux-binary)" ] || [ -z "$(kdeb linux-modules)" ] ||
   [ -z "$(ls "$debs"/busybox-static_*_"$arch".deb 2>/dev/null)" ]; then
    say "fetching Debian's Linux $GUEST_KABI $arch (mk/guest.sh)"
    "$top/mk/guest.sh" "$arch" > /dev/null
fi
busybox_deb=$(ls "$debs"/busybox-static_*_"$arch".deb | head -n1)
qemu_name=qemu-system-$qarch
qemu_bin="$obj/$qemu_name"
[ -x "$qemu_bin" ] && [ -s "$qemu_bin" ] || die "no $qemu_bin (or being linked): run make"
t0=$(now)
# Every input: the packages, our QEMU and what it loads, this script and
# the nested host's init.
libs() { # PROGRAM: the absolute paths (in $sysroot) of the libraries and loader it needs
    if [ -n "$sysroot" ]; then
        "$top/mk/nested-host/cross-qemu.sh" libs "$1"
    else
        ldd "$1" | sed -n 's/.*=> \(\/[^ ]*\) .*/\1/p; s/^[[:space:]]*\(\/[^ ]*\) .*/\1/p'
    fi
}
qemu_libs=$(libs "$qemu_bin")
# QEMU's data files are the same for every architecture: this machine's build's
bundle="$top/build/obj/qemu-bundle/usr/local/share/qemu"
data_files() {
    for f in $QEMU_DATA; do
        readlink -f "$bundle/$f"
    done
}
# shellcheck disable=SC2046
stamp=$(sha256sum "$(kdeb linux-binary)" "$(kdeb linux-modules)" "$busybox_deb" \
        ${test_kernel:+"$test_kernel/vmlinuz"} \
        "$qemu_bin" $(echo "$qemu_libs" | sed "s|^|$sysroot|") $(data_files) "$top/mk/check-host.sh" \
        "$top/mk/check-host-init.sh" | sha256sum | cut -d' ' -f1)

build_nested() {
    say "building the nested host (kernel, initramfs, test image)"
    rm -rf "$nested"
    mkdir -p "$nested"
    pkg="$tmp/pkg"
    for d in "$(kdeb linux-binary)" "$(kdeb linux-modules)" "$busybox_deb"; do
        dpkg-deb -x "$d" "$pkg"
    done
    moddir=$(ls -d "$pkg"/usr/lib/modules/* | head -n1)
    if [ -n "$test_kernel" ]; then
        cp "$test_kernel/vmlinuz" "$nested/vmlinuz"
        cp "$test_kernel/release" "$nested/release"
    else
        cp "$moddir/vmlinuz" "$nested/vmlinuz"
        echo "${moddir##*/}" > "$nested/release"
    fi

    root="$tmp/initramfs"
    mkdir -p "$root/bin" "$root/lib/modules" "$root/hostbed"
    cp "$pkg/usr/bin/busybox" "$root/bin/busybox" 2>/dev/null ||
        cp "$pkg/bin/busybox" "$root/bin/busybox"
    order=""
    # MODULE: it and what it depends on, decompressed, dependencies first
    add_module() {
        _m=$(echo "$1" | tr - _)
        case " $order " in *" $_m "*) return 0 ;; esac
        _f=$(find "$moddir/kernel" -name "$_m.ko*" -o \
                  -name "$(echo "$_m" | tr _ -).ko*" | head -n1)
        [ -n "$_f" ] || die "module $1 is not in Debian's Linux $GUEST_KABI"
        case "$_f" in
        *.xz) xz -dc "$_f" > "$root/lib/modules/$_m.ko" ;;
        *.zst) zstd -qdc "$_f" > "$root/lib/modules/$_m.ko" ;;
        *) cp "$_f" "$root/lib/modules/$_m.ko" ;;
        esac
        for _d in $(tr '\0' '\n' < "$root/lib/modules/$_m.ko" |
                    sed -n 's/^depends=//p' | tr , ' '); do
            add_module "$_d"
        done
        _m=$(echo "$1" | tr - _)
        order="$order $_m"
    }
    for m in $MODULES; do
        add_module "$m"
    done
    echo $order | tr ' ' '\n' > "$root/lib/modules/order"
    cp "$top/mk/check-host-init.sh" "$root/init"
    chmod +x "$root/init"
    (cd "$root" && find . | cpio -o -H newc --quiet) | gzip -6 > "$nested/initramfs.cpio.gz"

    # The test image: our QEMU with its libraries and loader at the paths
    # ldd names, its data files where an installed QEMU looks (beside
    # ../share/qemu of its binary), busybox for the test scripts.
    img="$tmp/image"
    mkdir -p "$img/usr/local/bin" "$img/usr/local/share/qemu" "$img/bin" "$img/usr/bin" \
        "$img/dev" "$img/proc" "$img/sys" "$img/tmp" "$img/hostbed" "$img/etc"
    cp "$qemu_bin" "$img/usr/local/bin/$qemu_name"
    for l in $qemu_libs; do
        mkdir -p "$img$(dirname "$l")"
        cp -L "$sysroot$l" "$img$l"
    done
    for f in $QEMU_DATA; do
        cp -L "$bundle/$f" "$img/usr/local/share/qemu/"
    done
    cp "$root/bin/busybox" "$img/bin/busybox"
    # Its applets as links; a foreign busybox cannot list them here, so
    # the nested host's init installs them at boot (into a tmpfs)
    ln -s busybox "$img/bin/sh"
    for a in $("$img/bin/busybox" --list 2>/dev/null); do
        [ -e "$img/bin/$a" ] || ln -s busybox "$img/bin/$a"
    done
    chmod 1777 "$img/tmp"
    {
        echo "Linux $(cat "$nested/release")"
        "$qemu_bin" --version | head -n1
        echo "built $(date -u '+%Y-%m-%d %H:%M UTC')"
    } > "$img/etc/hostbed-release"
    # The size of what is in it, and room for the file system
    size=$(( $(du -sk "$img" | cut -f1) + 16384 ))
    mke2fs -q -t ext4 -d "$img" -L hosttest -E root_owner=0:0 \
        "$nested/image.ext4" "${size}k" > /dev/null
    rm -rf "$pkg" "$root" "$img"
    echo "$stamp" > "$nested/stamp"
}
if [ -f "$nested/stamp" ] && [ "$(cat "$nested/stamp")" = "$stamp" ]; then
    nested_how=cached
else
    build_nested
    nested_how=built
fi
t_nested=$(secs "$t0" "$(now)")
say "nested host: Linux $(cat "$nested/release"), image $(($(stat -c %s "$nested/image.ext4") >> 20)) MiB ($nested_how in $t_nested s)"

# --- this run's programs: appended to the initramfs as /hostbed ------------
t0=$(now)
run="$tmp/run"
mkdir -p "$run/hostbed/tests" "$run/hostbed/lib" "$run/lib/modules"
: > "$run/hostbed/list"
add_program() { # PATH ARGS  (@BDF@ in ARGS: the accelerator's address)
    _n=${1##*/}
    cp "$1" "$run/hostbed/tests/$_n"
    # A dynamic executable (of either architecture) has an interpreter
    if readelf -l "$1" 2>/dev/null | grep -q 'program interpreter'; then
        for _l in $(libs "$1"); do
            # The image has our QEMU's libraries at their paths; the rest
            # go to /hostbed/lib (LD_LIBRARY_PATH)
            echo "$qemu_libs" | grep -qxF "$_l" ||
                cp -L "$sysroot$_l" "$run/hostbed/lib/"
        done
    fi
    echo "$_n $2" >> "$run/hostbed/list"
}
# A C program for the nested host, static: this machine's gcc, or the
# arm64 cross compiler of mk/nested-host/cross-qemu.sh
host_cc() { # GCC-ARGS...
    if [ "$arch" = arm64 ]; then
        "$top/mk/nested-host/cross-qemu.sh" cc "$@"
    else
        gcc "$@"
    fi
}
check_c="$top/contrib/vfio-cxl-pci/vfio-cxl-check.c"
[ "${CHECK_HOST_CHECKER:-1}" != 0 ] || check_c=/nonexistent
build_checker() { # OUT
    # shellcheck disable=SC2086
    host_cc -static -O2 -Wall -I"$top/contrib/vfio-cxl-pci" \
        -I"$top/contrib/vfio-cxl-pci/user" -I"$top/include/hw/vfio" \
        -o "$1" "$check_c" "$top/contrib/vfio-cxl-pci/cxl_shadow.c" ${CHECK_HOST_CFLAGS:-}
}
if [ "$config" = refused ]; then
    # Nothing to drive: only what the driver refused, and why
    cp "$top/mk/tap-lib.sh" "$run/hostbed/tests/tap-lib.sh"
    cp "$top/mk/check-host-refused.sh" "$tmp/check-host-refused"
    chmod +x "$tmp/check-host-refused"
    add_program "$tmp/check-host-refused" ""
    programs=""
    # For its v5 part: the driver to load again, and the checker
    [ -z "$driver" ] || cp "$driver" "$run/hostbed/tests/host-driver.ko"
    [ ! -f "$check_c" ] || build_checker "$run/hostbed/tests/vfio-cxl-check" ||
        die "vfio-cxl-check does not build"
elif [ -f "$check_c" ]; then
    build_checker "$tmp/vfio-cxl-check" || die "vfio-cxl-check does not build"
    add_program "$tmp/vfio-cxl-check" "$check_args@BDF@"
fi
# The smoke programs speak x86 port I/O: amd64 only
if [ "$arch" = amd64 ] && [ "$config" != refused ] && [ "${CHECK_HOST_CHECKER:-1}" != 0 ] &&
   { [ ! -f "$check_c" ] || [ "${CHECK_HOST_SMOKE:-}" = 1 ]; }; then
    gcc -static -O2 -Wall -Wextra -I"$top/contrib/vfio-user-cxl-accel" \
        -o "$tmp/check-host-smoke" "$top/contrib/check-host/check-host-smoke.c"
    add_program "$tmp/check-host-smoke" @BDF@
fi
if [ "$arch" = amd64 ] && [ "$config" != refused ] && [ "$config" != fuzz ]; then
    cp "$top/mk/check-host-qtest.sh" "$tmp/check-host-qtest"
    chmod +x "$tmp/check-host-qtest"
    add_program "$tmp/check-host-qtest" ""
fi
for p in $programs; do
    if grep -q g_test_init "$p"; then
        add_program "$p" "--tap $glib_args"
    else
        add_program "$p" @BDF@
    fi
done
# The fuzzer last: with --unplug the accelerator is gone after it
if [ -n "$fuzz_args" ]; then
    host_cc -static -O2 -Wall -Wextra -pthread -I"$top/contrib/vfio-cxl-pci" \
        -o "$tmp/vfio-cxl-fuzz" \
        "$top/contrib/vfio-cxl-pci/vfio-cxl-fuzz.c" ||
        die "vfio-cxl-fuzz does not build"
    add_program "$tmp/vfio-cxl-fuzz" "$fuzz_args @BDF@"
fi
# The bare-metal guest the qtest's host/kvm/ cases run under KVM
kvm_guest_src="$top/tests/qtest/cxl-kvm-guest"
if [ "$arch" = arm64 ]; then
    host_cc -ffreestanding -nostdlib -static -O2 -T "$kvm_guest_src/guest.ld" \
        -o "$run/hostbed/tests/cxl-kvm-guest.elf" \
        "$kvm_guest_src/boot.S" "$kvm_guest_src/guest.c" ||
        die "the KVM guest (tests/qtest/cxl-kvm-guest) does not build"
fi
append_driver=""
if [ -n "$driver" ]; then
    # Its module name (modinfo's name=), for insmod after the others
    mod=$(tr '\0' '\n' < "$driver" | sed -n 's/^name=//p' | head -n1)
    [ -n "$mod" ] || mod=$(basename "$driver" .ko | tr - _)
    cp "$driver" "$run/lib/modules/$mod.ko"
    gzip -dc "$nested/initramfs.cpio.gz" | (cd "$run" && cpio -id --quiet '*lib/modules/order')
    echo "$mod" >> "$run/lib/modules/order"
    append_driver="hostbed.module=$mod"
    # Its parameters: NAME=VALUE words, joined by commas on the command line
    [ -z "$driver_args" ] ||
        append_driver="$append_driver hostbed.modargs=$(echo $driver_args | tr ' ' ,)"
fi
[ -z "$driver_name" ] || append_driver="$append_driver hostbed.driver=$driver_name"
(cd "$run" && find hostbed lib | cpio -o -H newc --quiet) | gzip -1 > "$tmp/run.cpio.gz"
cat "$nested/initramfs.cpio.gz" "$tmp/run.cpio.gz" > "$tmp/initrd"
t_programs=$(secs "$t0" "$(now)")

# --- boot ------------------------------------------------------------------
guest=$nested       # guest_run's kernel
guest_setup "$arch" "$tmp"
PATTERN_OFF=0x100000
pattern=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
ACCEL_ARGS="${ACCEL_ARGS:+$ACCEL_ARGS }$accel_args"
accel_start "$tmp/accel.sock" "$MEM_SIZE" "$tmp/devmem" "$out/accel.log"
accel=$accel_pid
# A known pattern in device memory, for the nested host to read back
for b in $(echo "$pattern" | sed 's/../& /g'); do
    printf "\\$(printf %03o "0x$b")"
done | dd of="$tmp/devmem" bs=1 seek=$((PATTERN_OFF)) conv=notrunc status=none
# What that allocated: the nested host's writes must add to it
alloc_outer=$(du -k "$tmp/devmem" | cut -f1)
# The Intel IOMMU before any PCI device; caching mode, or the outer QEMU
# cannot follow the nested host's mappings for a VFIO device and stops.
# Plain vfio-pci lets the whole register BAR be mmapped, and the nested
# host's IOMMU would map it with a 2 MiB superpage that spans two memory
# regions of ours (the mmapped part and the trapped component block): the
# outer QEMU drops such a mapping (../shared/reference/host-kernel-facts.md,
# section 9), so sp_off. A host driver leaves the block out of the mmap;
# then superpages stay on, and 256 MiB of device memory is 128 mappings to
# follow rather than 65536.
# no_timer_check: on a busy machine the TCG guest's timer can miss the
# kernel's IO-APIC check through interrupt remapping, which then panics
# (seen at a load of 6 on 2 cores). panic=1 and -no-reboot: a panic ends
# the run at once instead of at the timeout.
append="panic=1 hostbed.pattern=$PATTERN_OFF:$pattern hostbed.qemu=$qemu_name"
[ "$arch" != amd64 ] || append="$append intel_iommu=on no_timer_check"
# The inner QEMU's CXL window must hold the device memory (64g)
append="$append hostbed.window_size=$WINDOW"
[ -n "$driver" ] || [ "$arch" != amd64 ] || append="$append intel_iommu=sp_off"
# arm64: what KVM maps at stage 2 in the CXL window, traced
[ "$arch" != arm64 ] || append="$append hostbed.s2trace=1"
append="$append hostbed.timeout=${CHECK_HOST_PROGRAM_TIMEOUT:-600} $append_driver"
# The inner QEMU behind iommufd (the qtest's $CXL_HOST_IOMMUFD)
[ "$config" != iommufd ] || append="$append hostbed.iommufd=1"
# The debug kernel: kmemleak's scan at the end, and warnings (lockdep's
# reports are KERN_WARNING) on the console too, for a host that never
# gets as far as printing its kernel log
[ "${CHECK_HOST_DEBUG:-}" != 1 ] || append="$append hostbed.kmemleak=1 loglevel=5"
# arm64: EL2 for the nested host (virtualization=on) and GICv3, which KVM
# needs for its in-kernel interrupt controller; virtio-iommu, whose map
# notifications the outer QEMU follows (its SMMUv3 sends none) and whose
# ACPI VIOT covers the pxb-cxl bus
# (../shared/reference/host-kernel-facts.md, section 10)
if [ "$arch" = arm64 ]; then
    machine="$machine,virtualization=on,gic-version=3"
    iommu="virtio-iommu-pci" iommu_name=virtio-iommu
else
    iommu="intel-iommu,caching-mode=on" iommu_name=intel-iommu
fi
set -- -no-reboot -device "$iommu" \
    -M "$machine,cxl-fmw.0.targets.0=cxl.1,cxl-fmw.0.size=$WINDOW" \
    -device pxb-cxl,bus_nr=12,bus=pcie.0,id=cxl.1,hdm_for_passthrough=off \
    -device cxl-rp,port=0,bus=cxl.1,id=rp0,chassis=0,slot=2 \
    -device "$(accel_device accel0 rp0 "$tmp/accel.sock" "$accel_members")" \
    -drive if=none,id=img,format=raw,readonly=on,file="$nested/image.ext4" \
    -device virtio-blk-pci,drive=img,bus=pcie.0 \
    -qmp "unix:$tmp/qmp.sock,server=on,wait=off"
# shellcheck disable=SC2086
set -- "$@" $extra_devices
say "booting Debian's Linux $(cat "$nested/release") as a nested host" \
    "(TCG, -cpu $cpu, $iommu_name; the accelerator to ${driver_name:-${driver:+the driver of }${driver:-vfio-pci}})"
t_boot=$(now)
(
    GUEST_WRAP="exec timeout $timeout"
    GUEST_MEM=${CHECK_HOST_MEM:-2G} GUEST_CPU=$cpu
    guest_run "$tmp/initrd" "$append" "$@"
) < /dev/null > "$out/console.raw" 2>&1 &
qemu_pid=$!
t_init=""
qmp_pid=""
: > "$out/qmp.log"
while kill -0 "$qemu_pid" 2>/dev/null; do
    if [ -z "$t_init" ] && grep -aq 'HOSTBED: init' "$out/console.raw"; then
        t_init=$(now)
    fi
    # The fuzzer's unplug: device_del on the outer QEMU's monitor, once
    if [ -n "$unplug" ] && [ -z "$qmp_pid" ] &&
       grep -aq '^HOSTBED-QMP: device_del' "$out/console.raw"; then
        python3 "$top/mk/nested-host/qmp-device-del.py" "$tmp/qmp.sock" accel0 \
            >> "$out/qmp.log" 2>&1 &
        qmp_pid=$!
    fi
    sleep 0.5
done
[ -z "$qmp_pid" ] || wait "$qmp_pid" || true
qemu_rc=0
wait "$qemu_pid" || qemu_rc=$?
qemu_pid=""
t_end=$(now)
accel_alive=0
kill -0 "$accel" 2>/dev/null && accel_alive=1
tr -d '\r' < "$out/console.raw" > "$out/console.log"
rm -f "$out/console.raw"
log="$out/console.log"
grep -a '^HOSTBED: ' "$log" | sed 's/^HOSTBED: /check-host: nested: /'
grep -a '^DMESG: ' "$log" | sed 's/^DMESG: //' > "$out/nested-dmesg.log" || true

# --- results ---------------------------------------------------------------
res() { grep -a "^RESULT $1 " "$log" | head -n1 | cut -d' ' -f3-; }
passed=0 failed=0 skipped=0 failures=""
# As mk/check.sh: the TAP of one program; one that exits non-zero (or not
# at all) without a "not ok" counts as one failure. An "ok ... # SKIP"
# (a GLib test's g_test_skip) is skipped, not passed; each is listed.
tally() { # NAME LOG STATUS
    p=$(grep -c '^ok ' "$2" | tr -d ' ')
    s=$(grep -ci '^ok .*# *skip' "$2" | tr -d ' ')
    p=$((p - s))
    f=$(grep -c '^not ok ' "$2" | tr -d ' ')
    if [ "$3" != 0 ] && [ "$f" = 0 ]; then
        f=1
    fi
    passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
    if [ "$f" != 0 ]; then
        status=FAIL
        failures="$failures $1"
    else
        status=ok
    fi
    printf '%-4s %-58s %3d passed, %d failed%s\n' "$status" "$1" "$p" "$f" \
        "$([ "$s" = 0 ] || echo ", $s skipped")"
    grep '^not ok ' "$2" | sed 's/^/       /'
    grep -i '^ok .*# *skip' "$2" | sed 's/^ok/       skipped:/'
}

echo "== programs in the nested host"
while read -r name _args; do
    grep -a "^TAP $name: " "$log" | sed "s/^TAP $name: //" > "$out/tap/$name.log" || true
    rc=$(res "exit.$name")
    tally "$name" "$out/tap/$name.log" "${rc:-missing}"
    # Its diagnostics, but for the command lines libqtest and QEMU log
    grep -a '^# ' "$out/tap/$name.log" | grep -av '^# \(starting QEMU\|qemu:\)' |
        sed 's/^/       /' | head -n 12
done < "$run/hostbed/list"

# The outer script's own checks, as TAP in tap/outer.log
outer_checks() {
    tap=1
    check_prefix=check-host
    . "$top/mk/tap-lib.sh"
    check "the nested host reached its init" test -n "$(res init_uptime)"
    check "it loaded every module" test -z "$(res insmod_failed)"
    if [ -n "$expect_bound" ]; then
        check "the accelerator is bound to $(res driver)" \
            test -n "$(res bound)" -a "$(res bound)" = "$(res driver)"
        check "its IOMMU group holds it alone and /dev/vfio/$(res group) exists" \
            sh -c "test '$(res group_devices)' = '$(res bdf) ' &&
                   echo ' $(res vfio_group)' | grep -q ' $(res group) '"
    else
        check "$(res driver) refused the accelerator at probe" \
            test -z "$(res bound)"
    fi
    if [ -n "$expect_uapi" ]; then
        check "the host driver serves the $expect_uapi interface (uapi=$(res module_uapi))" \
            test "$(res module_uapi)" = "$expect_uapi"
    fi
    check "the nested host finished and printed its kernel log" \
        test "$(res "done")" = 1
    check "no Oops, BUG, WARNING or Call Trace in the nested host's log" \
        sh -c "! grep -qE 'Oops|BUG:|WARNING:|Call Trace' '$out/nested-dmesg.log'"
    check "the outer QEMU exited 0 by the nested host's poweroff (status $qemu_rc)" \
        test "$qemu_rc" = 0
    check "the emulator lived until the poweroff" test "$accel_alive" = 1
    # Nothing populated the device memory: the sparse file holds only the
    # pages someone wrote (a 64 GiB device must not be touched whole). And
    # someone did write: more than the outer pattern's page, and a program
    # said what (expect-devmem, below) -- with no program run, or none
    # that reached the memory, the check would hold for nothing.
    grep -ah '^check-host: expect-devmem ' "$out"/tap/*.log > "$tmp/expect" || true
    alloc=$(du -k "$tmp/devmem" | cut -f1)
    if [ "$config" = refused ]; then
        check "nothing wrote the refused device's memory ($alloc KiB of $MEM_SIZE allocated, the outer pattern's $alloc_outer)" \
            test "$alloc" -le "$alloc_outer"
    else
        check "the device memory file has $alloc KiB of $MEM_SIZE allocated: more than the outer pattern's $alloc_outer, less than 64 MiB" \
            test "$alloc" -gt "$alloc_outer" -a "$alloc" -lt 65536
        check "the nested host's programs said what they wrote into device memory ($(wc -l < "$tmp/expect") expect-devmem lines)" \
            test -s "$tmp/expect"
    fi
    if [ "$arch" = arm64 ]; then
        check "the nested host has KVM (/dev/kvm)" test "$(res kvm)" = yes
        check "the nested host traces KVM's stage-2 mappings (kprobe on kvm_pgtable_stage2_map)" \
            test "$(res s2trace)" = on
        grep -a '^S2MAP: ' "$log" | sed 's/^S2MAP: //' > "$out/s2map.log" || true
        # enum kvm_pgtable_prot: bit 4 Device, bit 5 Normal-NC
        s2_all=$(grep -c 'cxlbed/s2map\|s2map:' "$out/s2map.log" | tr -d ' ')
        s2_uncached=$(sed -n 's/.*prot=\(0x[0-9a-f]*\).*/\1/p' "$out/s2map.log" |
                      while read -r p; do echo $((p & 0x30)); done | grep -vc '^0$' | tr -d ' ')
        if [ "$config" = no-s2fwb ]; then
            check "without S2FWB KVM mapped nothing of the CXL window ($s2_all stage-2 mappings)" \
                test "$s2_all" = 0
        else
            check "KVM mapped device memory at stage 2 ($s2_all mappings in the CXL window)" \
                test "$s2_all" -gt 0
            check "each as cacheable memory: none Device or Normal-NC ($s2_uncached)" \
                test "$s2_uncached" = 0
        fi
    fi
    # Each "expect-devmem OFFSET HEX" a program printed: the emulator's
    # memory file has those bytes there.
    while read -r _a _b off bytes; do
        have=$(od -An -tx1 -j $((off)) -N $((${#bytes} / 2)) "$tmp/devmem" |
               tr -d ' \n')
        check "the emulator's memory holds at $off what the nested host wrote ($bytes)" \
            test "$have" = "$bytes"
    done < "$tmp/expect"
    echo "1..$check_n"
}
echo "== the outer side"
outer_checks > "$out/tap/outer.log" 2>&1
tally "check-host (outer)" "$out/tap/outer.log" 0
grep -E 'Oops|BUG:|WARNING:|Call Trace' "$out/nested-dmesg.log" | head -n 20 |
    sed 's/^/       dmesg: /' || true

# The debug kernel's reports, one check per kind, each printed on its own
# line so that the suite's tally shows them. The kernel log the nested
# host printed at its end; if it never got there (a hang, a panic), what
# reached the console (loglevel=5: errors and warnings).
debug_checks() {
    tap=1
    check_n=0 check_failed=0
    . "$top/mk/tap-lib.sh"
    if [ "$(res "done")" = 1 ]; then
        klog="$out/nested-dmesg.log" klog_what="kernel log"
    else
        klog="$tmp/console-kernel.log" klog_what="console (no kernel log printed)"
        grep -avE '^(HOSTBED|TAP|RESULT|DMESG|KMEMLEAK)' "$log" > "$klog" || true
    fi
    n() { grep -acE "$1" "$klog" | tr -d ' '; }
    lockdep=$(n 'possible circular locking dependency|possible recursive locking|inconsistent lock state|possible irq lock inversion|suspicious RCU usage')
    atomic=$(n 'BUG: sleeping function called from invalid context|BUG: scheduling while atomic')
    kasan=$(n 'BUG: KASAN')
    hung=$(n 'blocked for more than [0-9]+ seconds')
    warn=$(n 'WARNING: CPU')
    oops=$(grep -aE 'BUG:|Oops|kernel BUG at|general protection fault' "$klog" |
           grep -acvE 'BUG: KASAN|BUG: sleeping function|BUG: scheduling while atomic' | tr -d ' ')
    # A report before init is the kernel's own (nothing under test has
    # run; seen: a KASAN wild-memory-access in an interrupt taken during
    # cpu_detect() under TCG), but it taints the kernel and turns lockdep
    # off for the whole boot: the suite boots this configuration again.
    init_at=$(res init_uptime)
    early=$(grep -aE 'BUG: KASAN|WARNING: CPU|BUG:' "$klog" |
            awk -v t="${init_at:-0}" -F'[][]' '$2 + 0 < t + 0' | grep -c . | tr -d ' ')
    if [ "$early" != 0 ]; then
        echo "# $early kernel report(s) before init: the boot is not valid for lockdep"
        echo "EARLY-REPORT" >> "$out/debug-early"
    fi
    check "debug: no lockdep report in the $klog_what ($lockdep)" test "$lockdep" = 0
    check "debug: no sleeping function called from invalid context ($atomic)" test "$atomic" = 0
    check "debug: no KASAN report ($kasan)" test "$kasan" = 0
    check "debug: no hung task, blocked for more than 30 s ($hung)" test "$hung" = 0
    check "debug: no WARN (WARNING: CPU) ($warn)" test "$warn" = 0
    check "debug: no BUG or Oops ($oops)" test "$oops" = 0
    # kmemleak: the nested host cleared what it had reported by its init
    # (boot-time suspects), scanned twice at its end (a new object is
    # reported only from its second scan) and printed the report. An
    # object is ours when its backtrace names VFIO or the driver.
    if grep -aq '^KMEMLEAK: scanned' "$log"; then
        grep -a '^KMEMLEAK: ' "$log" | sed 's/^KMEMLEAK: //' > "$out/kmemleak.log"
        all=$(grep -c 'unreferenced object' "$out/kmemleak.log" | tr -d ' ')
        awk '/^unreferenced object/ { if (o ~ /vfio|vcxl/) n++; o = "" }
             { o = o $0 "\n" } END { if (o ~ /vfio|vcxl/) n++; print n + 0 }' \
            "$out/kmemleak.log" > "$tmp/leaks"
        ours=$(cat "$tmp/leaks")
        check "debug: no kmemleak object naming vfio or the driver ($ours of $all unreferenced objects)" \
            test "$ours" = 0
    else
        check "debug: kmemleak scanned at the end of the run" false
    fi
    echo "1..$check_n"
}
if [ "${CHECK_HOST_DEBUG:-}" = 1 ]; then
    debug_checks > "$out/tap/debug.log" 2>&1
    tally "check-host (debug kernel's reports)" "$out/tap/debug.log" 0
    # Each as its own line, for the suite's tally
    sed -n 's/^ok [0-9]* /ok   /p; s/^not ok [0-9]* /FAIL /p' "$out/tap/debug.log"
    grep -aE 'possible circular|possible recursive|inconsistent lock|BUG:|blocked for more than|WARNING: CPU|Oops' \
        "$out/nested-dmesg.log" "$tmp/console-kernel.log" 2>/dev/null | head -n 20 |
        sed 's/^[^:]*:/       report: /' || true
fi
if [ -n "$unplug" ]; then
    unplug_checks() {
        tap=1
        check_n=0 check_failed=0
        . "$top/mk/tap-lib.sh"
        check "unplug: the fuzzer asked for device_del and the outer QEMU took it" \
            grep -q '^device_del accel0: ok' "$out/qmp.log"
        check "unplug: the outer QEMU removed the accelerator (DEVICE_DELETED)" \
            grep -q '^DEVICE_DELETED accel0' "$out/qmp.log"
        echo "1..$check_n"
    }
    unplug_checks > "$out/tap/unplug.log" 2>&1
    tally "check-host (outer unplug)" "$out/tap/unplug.log" 0
fi

# What KVM reported and the guest measured (arm64), for the summary
grep -ah '^check-host: \(kvm\|bench\)' "$out"/tap/*.log | sort -u || true
[ ! -s "$out/s2map.log" ] ||
    say "stage 2: $(head -n1 "$out/s2map.log" | sed 's/.*s2map: *//')"

boot=$(res init_uptime)
inner=$(grep -ah 'RESULT inner_qemu_start_ms ' "$out"/tap/*.log | head -n1 | cut -d' ' -f3)
echo
say "timings: nested host pieces $t_nested s ($nested_how), this run's programs $t_programs s;" \
    "boot to init ${t_init:+$(secs "$t_boot" "$t_init") s wall, }${boot:-?} s guest;" \
    "the nested host ran $(secs "$t_boot" "$t_end") s; inner QEMU start ${inner:-?} ms" \
    "(nested TCG); total $(secs "$t_start" "$(now)") s"
if [ "$failed" != 0 ]; then
    echo "failed:$failures (logs in build/check-host/)"
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
