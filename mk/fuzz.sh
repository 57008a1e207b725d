#!/bin/sh
# make fuzz: QEMU (both targets) and the emulated accelerator built with
# AddressSanitizer and UndefinedBehaviorSanitizer in build/obj-san, beside
# the normal build and from the same assembled tree; then the guest-facing
# fuzzer on aarch64 virt and x86_64 q35 and the backend-facing fuzzer,
# every sanitizer report of every process collected in build/fuzz/.
#   FUZZ_OPS       guest operations per machine    (default 100000)
#   FUZZ_REALIZES  backend realize attempts, split over the machines
#                  (default 10000; 0 skips the backend fuzzer)
#   FUZZ_SEED      seed of every fuzzer            (default: a random one)
#   LIBFUZZER_SECONDS  time of each libFuzzer target (default 90; mk/libfuzzer.sh)
# The last line is exactly
#   fuzz: N guest operations, N backend realizes, N crashes, N sanitizer reports
# and the exit status is non-zero unless both last numbers are 0 (and no
# invariant was violated: those count as crashes).
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
ops=${FUZZ_OPS:-100000}
realizes=${FUZZ_REALIZES:-10000}
seed=${FUZZ_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
out="$top/build/fuzz"

BUILD_NAME=obj-san QEMU_CONFIGURE_EXTRA="--enable-asan --enable-ubsan" \
    "$top/mk/build.sh"

rm -rf "$out"
mkdir -p "$out/reports"
echo "fuzz: seed $seed (FUZZ_SEED=$seed repeats this run)"
count=0 crashes=0
field() { sed -n "s/^RESULT .*$1=\([0-9]*\).*/\1/p" "$2" | tail -n1; }
# LOG COUNT-FIELD FAILURE-FIELD...: add to $count and $crashes what a
# fuzzer's RESULT line says; no RESULT line at all (the fuzzer itself
# broke) counts as a crash for each failure field.
tally() {
    _log=$1 _n=$(field "$2" "$1")
    count=$((count + ${_n:-0}))
    shift 2
    for _f in "$@"; do
        _n=$(field "$_f" "$_log")
        crashes=$((crashes + ${_n:-1}))
    done
}

for arch in aarch64 x86_64; do
    log="$out/guest-$arch.log"
    python3 -B "$top/tests/fuzz/cxl-guest-fuzz.py" --bin "$top/build/bin-san" \
        --arch "$arch" --ops "$ops" --seed "$seed" \
        --report-dir "$out/reports" > "$log" 2>&1 || true
    grep '^guest-fuzz: .*\(operations in\|Violation\|Error\|exit status\)' "$log" || true
    tally "$log" ops crashes violations
done
guest_ops=$count count=0

if [ "$realizes" -gt 0 ]; then
    # Each machine, each revision of the kernel interface: a quarter each
    for arch in aarch64 x86_64; do
        for uapi in v2 v5; do
            log="$out/backend-$arch-$uapi.log"
            python3 -B "$top/tests/fuzz/cxl-backend-fuzz.py" \
                --bin "$top/build/bin-san" --arch "$arch" --uapi "$uapi" \
                --realizes $((realizes / 4)) --seed "$seed" \
                --report-dir "$out/reports" > "$log" 2>&1 || true
            grep '^backend-fuzz: .*realizes in' "$log" || true
            tally "$log" realizes crashes hangs
        done
    done
fi
backend=$count

# The libFuzzer targets: each finding counts as a crash, and so does a
# target that does not build or run (no closing line).
"$top/mk/libfuzzer.sh" "$seed" "$out" > "$out/libfuzzer.log" 2>&1 || true
grep '^\(libfuzzer\|error\):' "$out/libfuzzer.log" || true
found=$(sed -n 's/^libfuzzer: [0-9]* targets, .*, \([0-9]*\) findings$/\1/p' \
    "$out/libfuzzer.log")
crashes=$((crashes + ${found:-1}))

# Every report of every process, whichever fuzzer's run it came from
reports=$(python3 -B -c 'import sys; sys.path.insert(0, sys.argv[1])
import cxlfuzz; print(len(cxlfuzz.sanitizer_reports(sys.argv[2])))' \
    "$top/tests/fuzz" "$out/reports")
echo "fuzz: logs and reports in build/fuzz/"
echo "fuzz: $guest_ops guest operations, $backend backend realizes, $crashes crashes, $reports sanitizer reports"
[ "$crashes" = 0 ] && [ "$reports" = 0 ]
