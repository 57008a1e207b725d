#!/bin/sh
# make fuzz, coverage-guided part: each libFuzzer target of
# tests/fuzz/libfuzzer/ built with clang, AddressSanitizer and
# UndefinedBehaviorSanitizer from only the files it tests (the rest of
# QEMU it needs comes uninstrumented from build/obj's libqemuutil.a), then
# run for a fixed time from its seed corpus in the tree.
#   mk/libfuzzer.sh SEED OUT    OUT: build/fuzz (logs; findings in reports/)
#   LIBFUZZER_SECONDS           time per target (default 60)
# Prints a line per target and, last,
#   libfuzzer: N targets, N executions, N findings
# Exits non-zero if a target could not be built or run.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
seed=$1 out=$2
secs=${LIBFUZZER_SECONDS:-60}
tree="$top/build/qemu" obj="$top/build/obj"
bin="$top/build/libfuzzer"
src="$top/tests/fuzz/libfuzzer"

# TARGET: the files under test, besides fuzz-TARGET.c
TARGETS='cxl-uapi: hw/vfio/cxl-uapi.c
cxl-describe: hw/vfio/cxl-uapi.c
cxl-hdm: hw/vfio/cxl-hdm.c'

# QEMU's own language semantics (-fwrapv: shifts into the sign bit are
# defined, as QEMU assumes), its include paths, and its utility library.
cflags="-g -O1 -std=gnu11 -fwrapv -fno-strict-aliasing -fno-common
  -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
  -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -I$obj -iquote $tree/include
  -iquote $tree -iquote $tree/hw/vfio -iquote $tree/host/include/x86_64
  -iquote $tree/host/include/generic -isystem $tree/linux-headers
  -isystem $obj/linux-headers $(pkg-config --cflags glib-2.0)"
libs="$obj/libqemuutil.a $(pkg-config --libs glib-2.0)"

mkdir -p "$bin" "$out/reports" "$out/corpus"
ntargets=0 execs=0 findings=0
while IFS=: read -r t files; do
    [ -n "$t" ] || continue
    sources=""
    for f in $files; do
        sources="$sources $tree/$f"
    done
    # shellcheck disable=SC2086 # word splitting of the flag lists
    clang $cflags "$src/fuzz-$t.c" $sources $libs -o "$bin/fuzz-$t" \
        > "$out/libfuzzer-$t.build.log" 2>&1 || {
        cat "$out/libfuzzer-$t.build.log" >&2
        echo "error: libFuzzer target $t does not build" >&2
        exit 1
    }
    # New inputs go to a corpus under build/, never into the tree.
    mkdir -p "$out/corpus/$t"
    log="$out/libfuzzer-$t.log"
    rc=0
    "$bin/fuzz-$t" -max_total_time="$secs" -seed="$seed" -timeout=10 \
        -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$out/reports/libfuzzer-$t-" \
        "$out/corpus/$t" "$src/corpus/$t" > "$log" 2>&1 || rc=$?
    n=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    cov=$(grep -o ' cov: [0-9]*' "$log" | tail -n 1 | tr -dc 0-9)
    ft=$(grep -o ' ft: [0-9]*' "$log" | tail -n 1 | tr -dc 0-9)
    found=$(find "$out/reports" -name "libfuzzer-$t-*" | wc -l)
    if [ "$rc" != 0 ] && [ "$found" = 0 ]; then
        found=1     # it stopped without saying why: a finding too
    fi
    echo "libfuzzer: $t ${n:-0} executions in ${secs} s, cov ${cov:-0}," \
        "ft ${ft:-0}, $found findings (log ${log#"$top"/})"
    ntargets=$((ntargets + 1)) execs=$((execs + ${n:-0}))
    findings=$((findings + found))
done <<END
$TARGETS
END
echo "libfuzzer: $ntargets targets, $execs executions, $findings findings"
