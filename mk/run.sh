#!/bin/sh
# The main job, until the guest demo exists: start qemu-system-aarch64 -M virt
# with a CXL host bridge (pxb-cxl), a root port (cxl-rp) and a CXL Fixed
# Memory Window targeting the bridge, then print what QEMU built: the PCI
# topology and where the window sits in the guest's physical address space.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
qemu="$top/build/bin/qemu-system-aarch64"

set -- -M virt,cxl=on,cxl-fmw.0.targets.0=cxl.1,cxl-fmw.0.size=4G \
    -cpu max -m 1G -nodefaults -display none -S \
    -device pxb-cxl,bus_nr=12,bus=pcie.0,id=cxl.1 \
    -device cxl-rp,port=0,bus=cxl.1,id=rp0,chassis=0,slot=2

echo "run: $qemu $*"
out=$(printf 'info pci\ninfo mtree -f\nquit\n' |
      "$qemu" "$@" -monitor stdio 2>&1) || {
    echo "$out" >&2
    echo "error: QEMU did not start" >&2
    exit 1
}

echo
echo "PCI topology:"
echo "$out" | sed -n '/^  Bus /,/^(qemu)/p' | grep -E 'Bus|bridge|id "' |
    sed 's/^ */  /'
echo
echo "CXL Fixed Memory Window in the guest physical address space:"
window=$(echo "$out" | grep -m1 'cxl-fixed-memory-region' | sed 's/^ */  /')
if [ -z "$window" ]; then
    echo "error: no CXL fixed memory window was mapped" >&2
    exit 1
fi
echo "$window"
