#!/bin/sh
# A short run of `make bench` (tiny buffers, one repetition, one start-up
# per configuration): it still boots the guest, measures every target and
# times every start-up case, so the report must be complete. The numbers
# of such a run mean nothing; only the shape of the output is checked.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
out="$top/build/bench-smoke"
SIZE=$((1 << 20))
log="$top/build/bench-smoke.log"

"$top/mk/bench.sh" --size $SIZE --reps 1 --starts 1 --out "$out" > "$log" 2>&1
rc=$?
csv="$out/results.csv"

tap=1
. "$top/mk/tap-lib.sh"
number() { # the report's value after PREFIX is a number
    grep "^$1 [0-9][0-9]*\.[0-9][0-9]*\$" "$log" > /dev/null
}
row() { # ARCH MEASURE TARGET: the CSV has that row with a positive median
    awk -F, -v a="$1" -v m="$2" -v t="$3" \
        '$1 == a && $2 == m && $3 == t && $4 > 0 { f = 1 }
        END { exit !f }' "$csv" 2>/dev/null
}
both() { row "$1" copy "$2" && row "$1" read "$2"; }

check "mk/bench.sh exits 0" test $rc = 0
for a in arm64 amd64; do
    check "the report has the $a device/RAM copy ratio" number "$a device/RAM copy ratio:"
    check "the report has the $a device/type-3 copy ratio" number "$a device/type-3 copy ratio:"
    for t in ram ivshmem ivshmem-wc type2 type3; do
        check "the CSV has $a copy and read bandwidth of $t" both $a "$t"
    done
done
check "the CSV has arm64 copy and read bandwidth of type2-devmem" both arm64 type2-devmem
for c in "none" "1 x 256M" "1 x 256M cxl=off" "1 x 256M in 1T window" "1 x 1T" "16 x 256M"; do
    check "the CSV has the start-up time with accelerators: $c" row arm64 startup "$c"
done
check "the plot is a PNG file" sh -c "head -c 8 '$out/results.png' | od -An -c | grep -q 'P   N   G'"
echo "1..$check_n"
[ $check_failed = 0 ] || sed 's/^/# /' "$log" | tail -n 30
[ $check_failed = 0 ]
