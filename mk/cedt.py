#!/usr/bin/python3
"""Decode a CEDT (CXL Early Discovery Table): its CHBS and CFMWS records.

    mk/cedt.py CEDT.aml                 every record, field by field
    mk/cedt.py --restrictions CEDT.aml  the Window Restrictions of each
                                        CFMWS, one 0x%04x a line

Bookworm's iasl predates CEDT, hence this. Layouts: CXL r3.1 9.18.
"""
import struct
import sys

HEADER = 36                 # the ACPI table header
CHBS, CFMWS = 0, 1          # record types
RESTRICTIONS = ["Device Coherent (Type 2)", "Host-only Coherent (Type 3)",
                "Volatile", "Persistent", "Fixed Device Configuration", "BI"]


def records(t):
    """(type, offset) of each record: type u8, length u16 at +2."""
    off = HEADER
    while off + 4 <= len(t):
        kind, length = t[off], struct.unpack_from("<H", t, off + 2)[0]
        yield kind, off
        off += max(length, 4)


def restrictions(t, off):
    return struct.unpack_from("<H", t, off + 32)[0]


def describe(t):
    print("Signature %s, length %d, revision %d"
          % (t[0:4].decode(), struct.unpack_from("<I", t, 4)[0], t[8]))
    for kind, off in records(t):
        if kind == CHBS:
            uid, ver, _, base, size = struct.unpack_from("<IIIQQ", t, off + 4)
            print("CHBS: UID %d, CXL version %d (%s), base 0x%x, length 0x%x"
                  % (uid, ver, "CHBCR" if ver else "RCRB", base, size))
        elif kind == CFMWS:
            base, size = struct.unpack_from("<QQ", t, off + 8)
            eniw, arith = t[off + 24], t[off + 25]
            hbig, restr, qtg = struct.unpack_from("<IHH", t, off + 28)
            ways = 1 << eniw if eniw < 8 else 3 << (eniw - 8)
            targets = struct.unpack_from("<%dI" % ways, t, off + 36)
            names = [n for i, n in enumerate(RESTRICTIONS) if restr & (1 << i)]
            print("CFMWS: base 0x%x, size 0x%x, interleave ways %d "
                  "(encoded %d), granularity %d B, arithmetic %d, QTG %d, "
                  "targets %s" % (base, size, ways, eniw, 256 << hbig, arith,
                                  qtg, list(targets)))
            print("       restrictions 0x%04x: %s"
                  % (restr, ", ".join(names)))
        else:
            print("type %d record at %d" % (kind, off))


def main(argv):
    only_restrictions = argv[1:2] == ["--restrictions"]
    t = open(argv[-1], "rb").read()
    if only_restrictions:
        for kind, off in records(t):
            if kind == CFMWS:
                print("0x%04x" % restrictions(t, off))
    else:
        describe(t)


if __name__ == "__main__":
    main(sys.argv)
