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
/usr/bin/python3 - "$acpi/CEDT.aml" <<'PY'
import struct, sys

t = open(sys.argv[1], "rb").read()
RESTRICTIONS = ["Device Coherent (Type 2)", "Host-only Coherent (Type 3)",
                "Volatile", "Persistent", "Fixed Device Configuration", "BI"]
print("Signature %s, length %d, revision %d" % (t[0:4].decode(),
      struct.unpack_from("<I", t, 4)[0], t[8]))
off = 36
while off + 4 <= len(t):
    kind, length = t[off], struct.unpack_from("<H", t, off + 2)[0]
    if kind == 0:
        uid, ver, _, base, size = struct.unpack_from("<IIIQQ", t, off + 4)
        print("CHBS: UID %d, CXL version %d (%s), base 0x%x, length 0x%x"
              % (uid, ver, "CHBCR" if ver else "RCRB", base, size))
    elif kind == 1:
        base, size = struct.unpack_from("<QQ", t, off + 8)
        eniw, arith = t[off + 24], t[off + 25]
        hbig, restr, qtg = struct.unpack_from("<IHH", t, off + 28)
        targets = struct.unpack_from("<%dI" % (1 << eniw if eniw < 8 else 3),
                                     t, off + 36)
        names = [n for i, n in enumerate(RESTRICTIONS) if restr & (1 << i)]
        print("CFMWS: base 0x%x, size 0x%x, interleave ways %d (encoded %d), "
              "granularity %d B, arithmetic %d, QTG %d, targets %s"
              % (base, size, len(targets), eniw, 256 << hbig, arith, qtg,
                 list(targets)))
        print("       restrictions 0x%04x: %s" % (restr, ", ".join(names)))
    else:
        print("type %d record, length %d" % (kind, length))
    off += max(length, 4)
PY

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
