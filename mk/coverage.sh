#!/bin/sh
# make coverage: QEMU (both targets) and the emulated accelerator built with
# gcov in build/obj-cov, beside the normal build and from the same assembled
# tree; then the tests of mk/check.list and, with the counters reset, the
# guest and backend fuzzers against that build, each run reported on its
# own. Not part of make check or CI: it is a full build of its own.
#   FUZZ_OPS       guest operations per machine    (default 20000)
#   FUZZ_REALIZES  backend realizes, split over the machines (default 2000)
#   FUZZ_SEED      seed of every fuzzer            (default 20261201, CI's:
#                  the same run gives the same figures)
# For each run, a header line and then a line per part, exactly
#   coverage: hw/vfio/cxl*.c L % lines, B % branches
# and likewise for contrib/vfio-user-cxl-accel/*.c and for the lines our
# patches add to upstream files. Per-file detail (and the uncovered ranges)
# in build/coverage/{check,fuzz}-files.txt, the uncovered blocks of
# hw/vfio/cxl*.c to write tests against in build/coverage/*-blocks.txt.
# Exits non-zero if a test failed or a fuzzer found something: the figures
# are printed all the same.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
obj="$top/build/obj-cov" bin="$top/build/bin-cov"
tree="$top/build/qemu" out="$top/build/coverage"
ops=${FUZZ_OPS:-20000}
realizes=${FUZZ_REALIZES:-2000}
seed=${FUZZ_SEED:-20261201}
start=$(date +%s)

# configure's --enable-gcov is meson's b_coverage: every object of the
# build, the emulator and the test programs included, counts.
BUILD_NAME=obj-cov QEMU_CONFIGURE_EXTRA="--enable-gcov" "$top/mk/build.sh"

rm -rf "$out"
mkdir -p "$out"
# Counters add up across runs: each report starts from none.
reset() { find "$obj" -name '*.gcda' -delete; }
status=0

reset
echo "coverage: make check's tests against build/obj-cov"
# The qtests start the emulator from CXL_ACCEL_BINARY: the gcov one, so
# that what they make it do counts too.
CXL_ACCEL_BINARY="$bin/vfio-user-cxl-accel" \
    "$top/mk/check.sh" --list "$obj" "$out/check" > "$out/check.log" 2>&1 ||
    status=1
grep -E '^(FAIL |[0-9]+ passed)' "$out/check.log" || true
python3 -B "$top/mk/coverage.py" "$obj" "$tree" "$out" check > "$out/check.txt"

reset
echo "coverage: the fuzzers against build/bin-cov, seed $seed"
mkdir -p "$out/fuzz/reports"
# As mk/fuzz.sh runs them, with fewer operations: without the sanitizers
# the build finds no more than the fuzzers' own checks, and minutes of it
# reach what the full run reaches.
for arch in aarch64 x86_64; do
    log="$out/fuzz/guest-$arch.log"
    python3 -B "$top/tests/fuzz/cxl-guest-fuzz.py" --bin "$bin" \
        --arch "$arch" --ops "$ops" --seed "$seed" \
        --report-dir "$out/fuzz/reports" > "$log" 2>&1 || status=1
    grep '^RESULT' "$log" | sed "s/^/guest-fuzz $arch: /" || status=1
done
if [ "$realizes" -gt 0 ]; then
    for arch in aarch64 x86_64; do
        log="$out/fuzz/backend-$arch.log"
        python3 -B "$top/tests/fuzz/cxl-backend-fuzz.py" --bin "$bin" \
            --arch "$arch" --realizes $((realizes / 2)) --seed "$seed" \
            --report-dir "$out/fuzz/reports" > "$log" 2>&1 || status=1
        grep '^RESULT' "$log" | sed "s/^/backend-fuzz $arch: /" || status=1
    done
fi
python3 -B "$top/mk/coverage.py" "$obj" "$tree" "$out" fuzz > "$out/fuzz.txt"

{
    echo "coverage under make check:"
    cat "$out/check.txt"
    echo "coverage under make fuzz:"
    cat "$out/fuzz.txt"
} > "$out/summary.txt"
echo "coverage: took $(( ($(date +%s) - start) / 60 )) minutes; detail in build/coverage/"
cat "$out/summary.txt"
exit $status
