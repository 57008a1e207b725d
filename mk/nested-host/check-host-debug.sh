#!/bin/sh
# make check-host-debug: the nested suite of `make check-host`
# (mk/check-host-suite.sh, its configurations but 64g) on the DEBUG=1 test
# kernel (mk/nested-kernel/config-debug: lockdep, KASAN, kmemleak, the
# hung-task detector at 30 s), with the driver built against that kernel
# (mk/nested-kernel/kmod.sh), and the driver fuzzer
# (contrib/vfio-cxl-pci/vfio-cxl-fuzz.c) last in the default and v5
# configurations, and alone in a sixth boot, fuzz (lockdep reports only
# once per boot: there it is on for the fuzzer), which ends with the outer
# QEMU's hot-unplug of the accelerator while the fuzzer has its memory
# mapped.
# After each boot every kind of kernel report is a check of its own
# (mk/check-host.sh, CHECK_HOST_DEBUG=1). Ends with
# "N passed, N failed, N skipped"; logs in build/check-host-debug/runs/.
#
# The kernel is not built here: `DEBUG=1 mk/nested-kernel/build.sh` does
# it (about 40 minutes on 2 cores, once); without it the run is skipped.
# Under TCG the KASAN kernel is slow: the outer QEMU gets 4 GiB (KASAN's
# shadow is an eighth of it, kmemleak keeps its own metadata), and longer
# timeouts. Environment (defaults in brackets):
#   CHECK_HOST_CONFIGS      [default refused v5 iommufd fuzz]; 64g is
#                           left out: vfio-cxl-check's VFIO_IOMMU_MAP_DMA
#                           of 64 GiB alone ran over 16 minutes on this
#                           kernel under TCG (stopped there), against
#                           tens of seconds on Debian's;
#                           CHECK_HOST_CONFIGS=64g runs it
#   CHECK_HOST_FUZZ_SEED    the fuzzer's seed [1]
#   CHECK_HOST_FUZZ_OPS     operations per thread and round [300]
#   CHECK_HOST_FUZZ_ROUNDS  rounds, with an unbind and bind between [3]
#   CHECK_HOST_MEM          the nested host's RAM [4G]
#   CHECK_HOST_TIMEOUT      seconds one boot may take [2400]
#   CHECK_HOST_PROGRAM_TIMEOUT  seconds one program may take [1500]
set -eu

top=$(cd "$(dirname "$0")/../.." && pwd)
seed=${CHECK_HOST_FUZZ_SEED:-1}
ops=${CHECK_HOST_FUZZ_OPS:-300}
fuzz_rounds=${CHECK_HOST_FUZZ_ROUNDS:-3}

CHECK_HOST_VARIANT=debug
CHECK_HOST_DEBUG=1
CHECK_HOST_OUT="$top/build/check-host-debug"
CHECK_HOST_MEM=${CHECK_HOST_MEM:-4G}
CHECK_HOST_TIMEOUT=${CHECK_HOST_TIMEOUT:-2400}
CHECK_HOST_PROGRAM_TIMEOUT=${CHECK_HOST_PROGRAM_TIMEOUT:-1500}
# One operation may take this long before the fuzzer calls it hung: above
# the kernel's hung-task timeout (30 s), so that a hang is also reported
# by the kernel, with its stack, before the fuzzer kills what it can
CHECK_HOST_FUZZ="--seed $seed --ops $ops --rounds $fuzz_rounds --op-timeout 45"
export CHECK_HOST_VARIANT CHECK_HOST_DEBUG CHECK_HOST_OUT CHECK_HOST_MEM \
    CHECK_HOST_TIMEOUT CHECK_HOST_PROGRAM_TIMEOUT CHECK_HOST_FUZZ
CHECK_HOST_CONFIGS=${CHECK_HOST_CONFIGS:-default refused v5 iommufd fuzz}
export CHECK_HOST_CONFIGS
mkdir -p "$CHECK_HOST_OUT"
exec "$top/mk/check-host-suite.sh"
