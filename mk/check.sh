#!/bin/sh
# make check: the repository's own tests (mk/tests/*.sh), every test of
# mk/check.list, then the host side on a real kernel (mk/check-host-suite.sh,
# make check-host). Ends with "N passed, N failed[, N skipped]"; exits non-zero
# on any failure.
#   mk/check.sh --list OBJ LOGS [EXCLUDE]   only the tests of mk/check.list,
#       against the build in OBJ, logs in LOGS, without the lines that match
#       the regular expression EXCLUDE (mk/check-debian.sh)
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
obj="$top/build/obj"
logs="$top/build/check"
list_only="" exclude='^$'
if [ "${1:-}" = --list ]; then
    list_only=1 obj=$2 logs=$3 exclude=${4:-^$}
fi
rm -rf "$logs"
mkdir -p "$logs"

passed=0 failed=0 skipped=0
failures=""

# Count the TAP results of one run; a run that exits non-zero without a
# "not ok" line (a crash, a missing binary) counts as one failure.
tally() { # NAME LOG STATUS
    p=$(grep -c '^ok ' "$2" | tr -d ' ')
    s=$(grep -c '^ok .*# *SKIP' "$2" | tr -d ' ')
    f=$(grep -c '^not ok ' "$2" | tr -d ' ')
    p=$((p - s))
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
    printf '%-4s %-58s %3d passed, %d failed, %d skipped\n' "$status" "$1" "$p" "$f" "$s"
    grep '^not ok ' "$2" | sed 's/^/       /'
    grep '^ok .*# *SKIP' "$2" | sed 's/^/       /'
}

[ -n "$list_only" ] || echo "== repository tests"
for t in "$top"/mk/tests/*.sh; do
    [ -f "$t" ] && [ -z "$list_only" ] || continue
    name=mk/tests/${t##*/}
    log="$logs/$(echo "$name" | tr '/ ' '__').log"
    sh "$t" > "$log" 2>&1
    tally "$name" "$log" $?
done

lines=$(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$top/mk/check.list" |
        grep -Ev "$exclude")
targets=$(echo "$lines" | awk '{print $2}' | sort -u)
# The UEFI images the aarch64 ACPI tests boot are unpacked by their own rule.
if echo "$targets" | grep -q bios-tables-test; then
    targets="$targets pc-bios/edk2-aarch64-code.fd pc-bios/edk2-arm-vars.fd"
fi
echo "== building tests"
if ! ninja -C "$obj" $targets > "$logs/ninja.log" 2>&1; then
    tail -n 40 "$logs/ninja.log"
    echo "0 passed, 1 failed"
    exit 1
fi

# Tests prefer KVM whenever /dev/kvm is accessible. If this host's KVM
# cannot run them (no SMM: the x86 ACPI tables differ), hide it.
wrap=""
if [ -w /dev/kvm ]; then
    if echo quit | timeout 30 "$obj/qemu-system-x86_64" -M q35,smm=on \
            -accel kvm -S -display none -nodefaults -monitor stdio \
            >/dev/null 2>"$logs/kvm-probe.log"; then
        echo "== KVM can run the tests"
    else
        wrap="$top/mk/without-kvm.sh"
        why=$(grep -m1 . "$logs/kvm-probe.log" | sed 's/^[^:]*: //')
        echo "== this host's KVM cannot run the tests ($why): running them under TCG"
    fi
fi

export CXL_ACCEL_BINARY="${CXL_ACCEL_BINARY:-$top/build/bin/vfio-user-cxl-accel}"
# The qtest's bare-metal aarch64 guest (tests/qtest/cxl-kvm-guest), which
# its guest-code/ cases run under TCG here and make check-host-arm64 runs
# under KVM: built with the cross compiler, a few KiB
kvm_guest="$logs/cxl-kvm-guest.elf"
(cd "$top/tests/qtest/cxl-kvm-guest" &&
    aarch64-linux-gnu-gcc -ffreestanding -nostdlib -static -O2 -T guest.ld \
        -o "$kvm_guest" boot.S guest.c && echo "ok 1 $(wc -c < "$kvm_guest") bytes") \
    > "$logs/cxl-kvm-guest.log" 2>&1
rc=$?
tally "the bare-metal guest tests/qtest/cxl-kvm-guest builds" "$logs/cxl-kvm-guest.log" $rc
[ $rc != 0 ] || export CXL_KVM_GUEST_ELF="$kvm_guest"
echo "== tests of mk/check.list"
echo "$lines" > "$logs/list"
while read -r kind target args; do
    name="$kind ${target##*/}${args:+ $args}"
    log="$logs/$(echo "$kind-${target##*/}" | tr '/ ' '__').log"
    case "$kind" in
    unit)
        (cd "$obj" && ./$target --tap $args) > "$log" 2>&1
        rc=$?
        ;;
    qtest-*)
        (cd "$obj" && QTEST_QEMU_BINARY=./qemu-system-${kind#qtest-} \
            $wrap ./$target --tap $args) > "$log" 2>&1
        rc=$?
        ;;
    *)
        echo "error: mk/check.list: unknown kind '$kind'" > "$log"
        rc=1
        ;;
    esac
    tally "$name" "$log" $rc
done < "$logs/list"

# The host side on a real kernel (make check-host): its own count
if [ -z "$list_only" ]; then
    echo "== the host side on a real kernel (mk/check-host-suite.sh)"
    log="$logs/check-host.log"
    "$top/mk/check-host-suite.sh" > "$log" 2>&1
    rc=$?
    grep -E '^(ok  |FAIL|== |skip |       not ok|check-host: )' "$log"
    last='^\([0-9]*\) passed, \([0-9]*\) failed, \([0-9]*\) skipped$'
    p=$(tail -n1 "$log" | sed -n "s/$last/\\1/p")
    f=$(tail -n1 "$log" | sed -n "s/$last/\\2/p")
    s=$(tail -n1 "$log" | sed -n "s/$last/\\3/p")
    if [ -z "$p" ] || { [ $rc != 0 ] && [ "$f" = 0 ]; }; then
        p=${p:-0} f=1
    fi
    passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + ${s:-0}))
    [ "$f" = 0 ] || failures="$failures check-host"
fi

echo
if [ "$failed" != 0 ]; then
    echo "failed:$failures (logs in build/check/)"
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
