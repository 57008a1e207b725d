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
# Print each ACPI0016 device, from its Device line to its closing brace.
awk '
    /Device \(/ { dev = $0; depth = 0; buf = ""; grab = 1 }
    grab { buf = buf $0 "\n" }
    grab && /ACPI0016/ { keep = 1 }
    grab && /\{/ { depth += gsub(/\{/, "{") }
    grab && /\}/ { depth -= gsub(/\}/, "}");
                   if (depth == 0) { if (keep) printf "%s", buf;
                                     grab = 0; keep = 0 } }
' "$acpi/DSDT.dsl"
