#!/bin/sh
# Show the ACPI tables a guest sees with a passed-through CXL Type-2 device:
#   mk/acpi-tables.sh [arm64|amd64]
# Runs the demo (mk/demo.sh), whose guest dumps CEDT and DSDT, then decodes
# the CEDT's CHBS and CFMWS records (bookworm's iasl predates CEDT) and
# prints the CXL host bridge of the DSDT as iasl disassembles it.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
arch=${1:-arm64}
acpi="$top/build/demo/$arch/acpi"

"$top/mk/demo.sh" "$arch" > "$top/build/acpi-tables-demo.log" 2>&1 || {
    tail -n 20 "$top/build/acpi-tables-demo.log" >&2
    echo "error: the demo failed; see build/acpi-tables-demo.log" >&2
    exit 1
}

echo "== CEDT (decoded from $acpi/CEDT.aml)"
"$top/mk/cedt.py" "$acpi/CEDT.aml"

echo
echo "== DSDT: the CXL host bridges (iasl -d $acpi/DSDT.aml)"
(cd "$acpi" && iasl -d DSDT.aml > /dev/null 2>&1)
# For each device whose _HID is ACPI0016: its names and methods, and the
# whole _DSM (the _PRT and the _OSC body are long and unchanged upstream).
/usr/bin/python3 - "$acpi/DSDT.dsl" <<'PY'
import re, sys

lines = open(sys.argv[1]).read().splitlines()


def block(start):
    """The lines from start to the brace that closes what start opens."""
    depth, out = 0, []
    for line in lines[start:]:
        out.append(line)
        depth += line.count("{") - line.count("}")
        if depth == 0 and "{" in "".join(out):
            return out
    return out


for i, line in enumerate(lines):
    if not re.match(r"\s*Device \(", line):
        continue
    dev = block(i)
    if not any("ACPI0016" in l for l in dev):
        continue
    print(line)
    for j, l in enumerate(dev):
        if re.match(r"\s*Name \((_HID|_UID|_BBN)", l):
            print(l)
        elif re.match(r"\s*Method \(_OSC", l):
            print(l.rstrip() + "  ...")
        elif re.match(r"\s*Method \(_DSM", l):
            print("\n".join(block(i + j)))
    print()
PY
