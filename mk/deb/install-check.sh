#!/bin/sh
# mk/deb/install-check.sh ARCH: the packages of mk/deb/build.sh ARCH
# (build/deb/ARCH/) install on a clean trixie host and run (make deb).
# A copy of a trixie minbase root (mk/kroot.sh trixie) gets, with apt from
# Debian's archive for what they depend on, the packages an operator
# installs: qemu-system-arm, qemu-system-x86, their common, data and
# module packages, qemu-utils, and the firmware they boot (AAVMF, OVMF,
# SeaBIOS, iPXE). Like the host's 7.3 kernel, SeaBIOS comes from
# trixie-backports: Debian's qemu 10.2 wants 1.17 (ESP fixes), trixie has
# 1.16.3.
# For arm64 the root is amd64 with arm64 as a foreign architecture: apt
# resolves and dpkg installs the arm64 packages as on an arm64 host, and
# the programs run under trixie's qemu-aarch64 (user-mode emulation).
# Then, for both emulators:
#   - the installed version is build/deb/ARCH's, ours (the local suffix)
#   - --version names it
#   - -device vfio-pci,help lists the CXL Type-2 properties
#   - a virt (cxl=on) or q35 machine answers QMP's x-query-cxl-passthrough
#     with no device
# and, held (apt-mark hold), apt-get upgrade keeps them.
# On amd64 the host driver's DKMS package, with dkms and the headers of
# Debian's 7.3 kernel (trixie-backports), builds and installs the module
# for that kernel (arm64's headers would need an arm64 host to build on;
# make check-host-arm64 builds the same sources for arm64).
# The copy is removed however the check ends. Needs root (chroot, mount).
set -eu

top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/mk/pin.sh"
. "$top/mk/deb/settings.sh"

say() { echo "deb-install: $*" >&2; }
die() { say "error: $*"; exit 1; }

arch=$(deb_arch "${1:-}") || exit 2
[ "$(id -u)" = 0 ] || die "the install root needs root (chroot, mount)"
debs="$top/build/deb/$arch"
# The packages an operator installs, and the firmware the machines boot
PACKAGES='qemu-system-arm qemu-system-x86 qemu-system-common qemu-system-data
qemu-utils qemu-block-extra qemu-system-gui qemu-system-modules-spice
qemu-system-modules-opengl'
FIRMWARE='qemu-efi-aarch64 ovmf seabios/trixie-backports ipxe-qemu'
# The CXL Type-2 properties vfio-pci has with the series
PROPERTIES='cxl cxl-decoders x-cxl-no-mem-dma'

files=
version=
for p in $PACKAGES; do
    a=$arch
    [ "$p" = qemu-system-data ] && a=all
    # shellcheck disable=SC2086
    set -- "$debs/${p}_"*"_$a.deb"
    if [ $# != 1 ] || [ ! -f "$1" ]; then
        die "no single $p package for $a in $debs: run make deb ARCH=$arch"
    fi
    files="$files /debs/${1##*/}"
    [ "$p" = qemu-system-arm ] && version=$(dpkg-deb -f "$1" Version)
done

start=$(date +%s)
step() { say "[$(($(date +%s) - start)) s] $*"; }
clean=$("$top/mk/kroot.sh" trixie) || die "no clean root (mk/kroot.sh trixie)"
work="$top/build/deb/$arch-install"
root="$work/root"
log="$work/install.log"
cleanup() {
    kroot_stop_child
    rm -rf --one-file-system "$work/root"
}
. "$top/mk/kroot-run.sh"
trap cleanup EXIT
rm -rf --one-file-system "$root"
mkdir -p "$work"
: >"$log"
exec 8>>"$(dirname "$clean")/lock"
flock -s 8
step "a copy of the clean trixie root: $root"
cp -a "$clean" "$root"
mkdir -p "$root/debs"
cp "$debs"/*.deb "$root/debs/"
BINDS=
ROOT_ENV="DEBIAN_FRONTEND=noninteractive"
cd /
run() { # COMMAND...: in the root, its output to the log
    in_root "$@" >>"$log" 2>&1 || {
        tail -n 25 "$log" | sed 's/^/deb-install:   /' >&2
        die "'$*' failed in the install root; the log is $log"
    }
}

# trixie-backports, as on a host with the 7.3 kernel
sed -n 's/^deb \([^ ]*\) trixie main$/deb \1 trixie-backports main/p' \
    "$root/etc/apt/sources.list" >"$root/etc/apt/sources.list.d/backports.list"
[ -s "$root/etc/apt/sources.list.d/backports.list" ] ||
    die "no trixie source in $root/etc/apt/sources.list to add backports beside"
runner=
if [ "$arch" != amd64 ]; then
    run dpkg --add-architecture "$arch"
    # trixie's user-mode emulator runs the arm64 programs
    runner=qemu-aarch64
fi
run apt-get -q update
step "apt-get install$files $FIRMWARE${runner:+ qemu-user}"
# shellcheck disable=SC2086
run apt-get -q -y install $files $FIRMWARE ${runner:+qemu-user}
step "installed"

fails=0
check() { # WHAT OK: one line per check
    if [ "$2" = 0 ]; then
        echo "ok - $1"
    else
        echo "not ok - $1"
        fails=$((fails + 1))
    fi
}

# shellcheck disable=SC2016
got=$(in_root dpkg-query -W -f '${Version}' "qemu-system-arm:$arch") || true
r=1
case "$got" in
"$BASE_VERSION"[+~]?*) [ "$got" = "$version" ] && r=0 ;;
esac
check "qemu-system-arm:$arch $got is installed: Debian's $BASE_VERSION with our suffix" $r

for t in aarch64:"-M virt,cxl=on" x86_64:"-M q35,cxl=on"; do
    q=qemu-system-${t%%:*}
    machine=${t#*:}
    out=$(in_root $runner "/usr/bin/$q" --version 2>&1 | head -n1) || true
    case "$out" in
    *"(Debian $version)"*) r=0 ;;
    *) r=1 ;;
    esac
    check "$q --version names Debian $version: $out" $r

    out=$(in_root $runner "/usr/bin/$q" -device vfio-pci,help 2>&1) || true
    for p in $PROPERTIES; do
        echo "$out" | grep -q "^  $p="
        check "$q -device vfio-pci,help lists $p" $?
    done

    # shellcheck disable=SC2086
    out=$(printf '%s\n' '{"execute":"qmp_capabilities"}' \
              '{"execute":"x-query-cxl-passthrough"}' '{"execute":"quit"}' |
          in_root timeout 300 $runner "/usr/bin/$q" $machine -nodefaults \
              -display none -S -qmp stdio 2>&1) || true
    echo "$out" | grep -q '"return": \[\]'
    check "$q $machine answers x-query-cxl-passthrough: $(echo "$out" | sed -n 3p)" $?
done

# trixie-backports carries a later Debian qemu: apt would take it over ours
# on an upgrade unless they are held, as the operator's guide says
names=
for p in $PACKAGES; do
    [ "$p" = qemu-system-data ] && names="$names $p" || names="$names $p:$arch"
done
would=$(in_root apt-get -s -q upgrade 2>&1 | sed -n 's/^Inst \(qemu-[^ ]*\) .*/\1/p' |
        tr '\n' ' ') || true
echo "# apt-get upgrade without a hold would replace: ${would:-nothing}"
# shellcheck disable=SC2086
run apt-mark hold $names
out=$(in_root apt-get -s -q upgrade 2>&1) || true
r=0
echo "$out" | grep -q '^Inst qemu-' && r=1
check "held, apt-get upgrade keeps our qemu packages" $r

if [ "$arch" = amd64 ]; then
    kernel="$GUEST_KABI-$arch"
    set -- "$debs"/vfio-cxl-pci-dkms_*_all.deb
    [ -f "$1" ] || die "no vfio-cxl-pci-dkms package in $debs"
    dkms_version=$(dpkg-deb -f "$1" Version)
    step "apt-get install vfio-cxl-pci-dkms linux-headers-$kernel"
    run apt-get -q -y install "/debs/${1##*/}" "linux-headers-$kernel"
    out=$(in_root dkms status -m vfio-cxl-pci 2>&1) || true
    echo "$out" | grep -q "^vfio-cxl-pci/$dkms_version, $kernel, x86_64: installed"
    check "dkms built and installed vfio-cxl-pci $dkms_version for $kernel: $out" $?
    # No kernel image here, so no modules.dep: ask the file DKMS installed
    ko=$(in_root sh -c "ls /lib/modules/$kernel/updates/dkms/vfio_cxl_pci.ko*" \
         2>&1) || true
    out=$(in_root modinfo -F vermagic "$ko" 2>&1) || true
    case "$out" in
    "$kernel "*) r=0 ;;
    *) r=1 ;;
    esac
    check "$ko has vermagic $out" $r
fi

step "$fails failed"
[ "$fails" = 0 ]
