"""A reference model of a CXL Type-2 endpoint's HDM decoders, as the guest
sees them through QEMU's passthrough.

Written from the CXL specification (r3.1 8.2.4.20: the HDM Decoder
Capability structure, Global Control, each decoder's BASE, SIZE, Control
and DPA Skip; 8.2.4.20.12: committing decoder programming; 9.5 to 9.7 and
the docs' "Resets" for what a reset does) and from the rule table of
docs/system/devices/cxl-type2-passthrough.rst ("HDM decoders"), not from
hw/vfio/cxl-hdm.c. Given the guest's register accesses and the resets in
the order they happen, it says what each register reads and which guest
address range decodes which device memory (DPA) range.

Device-specific inputs, which the guest fuzzer reads once at start: the
Capability register (read-only), the number of decoders, the device
memory size, whether BI is writable (Cache_Capable), the range of guest
addresses commits may use (the whole window with cxl-decoders=guest, the
range QEMU placed the memory at with cxl-decoders=firmware) and, with
cxl-decoders=firmware, the decoders firmware committed (their registers
as the guest first reads them). What decodes while HDM Decoder Enable is
clear comes from the CXL Device DVSEC, whose registers the fuzzer reads.

Copyright (c) 2026 QEMU CXL Type-2 team

SPDX-License-Identifier: GPL-2.0-or-later
"""

GRANULE = 256 << 20
LO_MASK = 0xffffffff & ~(GRANULE - 1)      # BASE, SIZE, DPA Skip [31:28]
DEC_FIRST = 0x10
DEC_STRIDE = 0x20

# Decoder Control (CXL r3.1 8.2.4.20.7)
IG = 0xf
IW = 0xf << 4
LOCK_ON_COMMIT = 1 << 8
COMMIT = 1 << 9
COMMITTED = 1 << 10
ERR_NOT_COMMITTED = 1 << 11
TARGET_TYPE = 1 << 12
BI = 1 << 13
UIO = 1 << 14
UIO_FIELDS = UIO | 0xf << 16 | 0xf << 20 | 0xf << 24   # UIO, UIG, UIW, ISP

# Global Control (8.2.4.20.2) and Capability (8.2.4.20.1)
POISON_ON_ERR_EN = 1 << 0
HDM_DECODER_ENABLE = 1 << 1
CAP_POISON_ON_ERR = 1 << 10
CAP_UIO_CAPABLE = 1 << 13

# Register offsets within a decoder
BASE_LO, BASE_HI, SIZE_LO, SIZE_HI, CTRL, SKIP_LO, SKIP_HI, RSVD = \
    range(0, 0x20, 4)
REG_NAMES = {BASE_LO: "BASE Low", BASE_HI: "BASE High", SIZE_LO: "SIZE Low",
             SIZE_HI: "SIZE High", CTRL: "Control", SKIP_LO: "DPA Skip Low",
             SKIP_HI: "DPA Skip High", RSVD: "reserved"}

# The kinds of reset the model knows
RESETS = ("system", "flr", "device", "cxl", "replug")


def reg_name(off):
    """The register at byte offset @off of the HDM Decoder Capability."""
    if off < 4:
        return "Capability"
    if off < 8:
        return "Global Control"
    if off < DEC_FIRST:
        return "reserved 0x%x" % (off & ~3)
    n, r = divmod(off - DEC_FIRST, DEC_STRIDE)
    return "decoder %d %s" % (n, REG_NAMES[r & ~3])


class Decoder:
    def __init__(self):
        self.base = self.size = self.skip = 0
        self.ctrl = 0
        self.dpa = 0            # where its device memory starts, committed

    def copy(self):
        d = Decoder()
        d.base, d.size, d.skip, d.ctrl, d.dpa = (self.base, self.size,
                                                 self.skip, self.ctrl,
                                                 self.dpa)
        return d

    @property
    def committed(self):
        return bool(self.ctrl & COMMITTED)

    @property
    def locked(self):
        return self.committed and bool(self.ctrl & LOCK_ON_COMMIT)


def overlap(a, asz, b, bsz):
    return a < b + bsz and b < a + asz


class HdmModel:
    """The registers and what decodes. @firmware: None with
    cxl-decoders=guest, else the (base, size, skip, ctrl) of each decoder
    as firmware left it (reset values for those it did not commit)."""

    def __init__(self, cap, count, mem_size, cache_capable, win_base,
                 win_size, firmware=None):
        self.cap = cap & 0xffffffff
        self.count = count
        self.mem_size = mem_size
        self.win_base, self.win_size = win_base, win_size
        self.firmware = firmware
        self.ctrl_mask = IG | IW | LOCK_ON_COMMIT | COMMIT | TARGET_TYPE
        if cache_capable:
            self.ctrl_mask |= BI
        if self.cap & CAP_UIO_CAPABLE:
            self.ctrl_mask |= UIO_FIELDS
        self.global_mask = HDM_DECODER_ENABLE
        if self.cap & CAP_POISON_ON_ERR:
            self.global_mask |= POISON_ON_ERR_EN
        self.host_active = True
        self.refusals = 0           # commits and uncommits refused
        self.commits = 0            # commits accepted
        self.resets = dict.fromkeys(RESETS, 0)
        self.last_refusal = None
        self.reset("power-on")

    @property
    def block_size(self):
        return DEC_FIRST + DEC_STRIDE * self.count

    # resets

    def reset(self, kind):
        """What every kind of reset leaves (docs, "Resets"): the reset
        values with cxl-decoders=guest; with cxl-decoders=firmware the
        decoders and Global Control as firmware left them (HDM Decoder
        Enable set, nothing else), whatever the guest wrote there. But an
        FLR leaves CXL.mem state, the decoders, alone (CXL r3.1 9.5)."""
        if kind in self.resets:
            self.resets[kind] += 1
        if kind == "flr":
            return
        self.dec = [Decoder() for _ in range(self.count)]
        self.global_ctrl = 0
        if self.firmware is None:
            return
        self.global_ctrl = HDM_DECODER_ENABLE
        dpa = 0
        for n, (base, size, skip, ctrl) in enumerate(self.firmware):
            d = self.dec[n]
            d.base, d.size, d.skip, d.ctrl = base, size, skip, ctrl
            if d.committed:
                d.dpa = dpa + skip
                dpa = d.dpa + size

    # register accesses: any size and alignment, dword by dword

    def read32(self, off):
        if off == 0:
            return self.cap
        if off == 4:
            return self.global_ctrl
        if off < DEC_FIRST or off >= self.block_size:
            return 0
        n, r = divmod(off - DEC_FIRST, DEC_STRIDE)
        d = self.dec[n]
        return {BASE_LO: d.base & 0xffffffff, BASE_HI: d.base >> 32,
                SIZE_LO: d.size & 0xffffffff, SIZE_HI: d.size >> 32,
                CTRL: d.ctrl, SKIP_LO: d.skip & 0xffffffff,
                SKIP_HI: d.skip >> 32, RSVD: 0}[r]

    def read(self, off, size):
        """@size bytes at byte offset @off of the block."""
        val = 0
        for i in range(size):
            at = off + i
            dword = self.read32(at & ~3) if at < self.block_size else 0
            val |= ((dword >> (8 * (at & 3))) & 0xff) << (8 * i)
        return val

    def write(self, off, size, val):
        """A guest write: each dword it touches, from the lowest, the
        bytes it does not write keeping what they read."""
        at, end = off, off + size
        while at < end:
            dword = at & ~3
            n = min(end - at, 4 - (at - dword))
            if dword + 4 > self.block_size:
                return
            shift = 8 * (at - dword)
            mask = ((1 << 8 * n) - 1) << shift
            cur = self.read32(dword)
            self.write32(dword, (cur & ~mask) |
                         ((val << shift) & mask))
            val >>= 8 * n
            at += n

    def write32(self, off, val):
        if off == 4:
            self.global_ctrl = val & self.global_mask
            return
        if off < DEC_FIRST:
            return          # Capability is read-only, 0x8-0xf reserved
        n, r = divmod(off - DEC_FIRST, DEC_STRIDE)
        d = self.dec[n]
        if d.locked:
            return          # Lock On Commit: read-only until a reset
        if r == CTRL:
            self.write_ctrl(n, val)
            return
        if d.committed:
            return          # RWL: a committed decoder's range stays
        if r in (BASE_LO, BASE_HI):
            d.base = self.half(d.base, r == BASE_HI, val)
        elif r in (SIZE_LO, SIZE_HI):
            d.size = self.half(d.size, r == SIZE_HI, val)
        elif r in (SKIP_LO, SKIP_HI):
            d.skip = self.half(d.skip, r == SKIP_HI, val)

    @staticmethod
    def half(field, high, val):
        if high:
            return (field & 0xffffffff) | val << 32
        return (field & ~0xffffffff) | (val & LO_MASK)

    def write_ctrl(self, n, val):
        d = self.dec[n]
        if d.committed:
            # Only clearing Commit does anything, and only from the
            # highest committed decoder down
            if val & COMMIT:
                return
            if any(e.committed for e in self.dec[n + 1:]):
                self.refused(n, "uncommit: a higher-numbered decoder is "
                             "still committed")
                return
            d.ctrl = val & self.ctrl_mask
            return
        d.ctrl = val & self.ctrl_mask
        if val & COMMIT:
            why = self.commit_rule(n)
            if why:
                d.ctrl |= ERR_NOT_COMMITTED
                self.refused(n, why)
            else:
                d.ctrl |= COMMITTED
                self.commits += 1

    def adopt_ctrl(self, n, ctrl):
        """Take decoder @n's Control as QEMU has it (the fuzzer's
        --keep-going, after a disagreement on a commit or uncommit), its
        device memory where a commit would have put it."""
        d = self.dec[n]
        if ctrl & COMMITTED and not d.committed:
            start = self.dec[n - 1].dpa + self.dec[n - 1].size if n else 0
            d.dpa = start + d.skip
        d.ctrl = ctrl

    def refused(self, n, why):
        self.refusals += 1
        self.last_refusal = "decoder %d: %s" % (n, why)

    def commit_rule(self, n):
        """The rule (docs' table) a commit of decoder @n breaks, or None;
        on success its DPA is set."""
        d = self.dec[n]
        if not self.host_active:
            return "the host does not back the device memory"
        if n and not self.dec[n - 1].committed:
            return "a lower-numbered decoder is not committed"
        if not d.size:
            return "size is 0"
        if d.ctrl & IW:
            return "interleave ways is not 1"
        if not (self.win_base <= d.base and
                d.base + d.size <= self.win_base + self.win_size):
            return "range is not inside the device's window"
        # 8.2.4.20.12: decoder m+1's device memory follows decoder m's
        start = self.dec[n - 1].dpa + self.dec[n - 1].size if n else 0
        if start + d.skip + d.size > self.mem_size:
            return "not enough device memory left"
        dpa = start + d.skip
        others = [(m, e) for m, e in enumerate(self.dec)
                  if m != n and e.committed]
        for m, e in others:
            if overlap(d.base, d.size, e.base, e.size):
                return "range overlaps committed decoder %d" % m
        # 8.2.4.20.12: decoder m+1's base at or above decoder m's end
        for m, e in others:
            if (m < n and d.base < e.base + e.size) or \
                    (m > n and d.base + d.size > e.base):
                return "range is not in address order with committed " \
                    "decoder %d" % m
        for m, e in others:
            if overlap(dpa, d.size, e.dpa, e.size):
                return "device memory overlaps committed decoder %d's" % m
        d.dpa = dpa
        return None

    def summary(self):
        return "%d commits accepted, %d refused; resets: %s" % (
            self.commits, self.refusals,
            ", ".join("%s %d" % kv for kv in self.resets.items()))

    # what decodes

    @property
    def hdm_enabled(self):
        return bool(self.global_ctrl & HDM_DECODER_ENABLE)

    def decoded(self, dvsec=None):
        """[(guest address, size, DPA)] that decode now. @dvsec: (Mem_Enable,
        [(Range Base, Range Size)]) as the guest reads the CXL Device DVSEC,
        which decodes instead while HDM Decoder Enable is clear (CXL r3.1
        8.1.3.8, 8.2.4.20.2; docs: each range from the device memory after
        the ranges before it, with Mem_Enable, inside the window, not over
        a range before it)."""
        if not self.host_active:
            return []
        if self.hdm_enabled:
            return [(d.base, d.size, d.dpa) for d in self.dec if d.committed]
        out, dpa = [], 0
        mem_enable, ranges = dvsec or (False, [])
        if not mem_enable:
            return []
        for base, size in ranges:
            base &= ~(GRANULE - 1)
            size &= ~(GRANULE - 1)
            if (size and self.win_base <= base and
                    base + size <= self.win_base + self.win_size and
                    dpa + size <= self.mem_size and
                    not any(overlap(base, size, b, s) for b, s, _ in out)):
                out.append((base, size, dpa))
            dpa += size
        return out


def merge(segments):
    """(gpa, size, dpa) segments, sorted, with neighbours that continue
    each other in both address and DPA joined."""
    out = []
    for gpa, size, dpa in sorted(s for s in segments if s[1]):
        if out and out[-1][0] + out[-1][1] == gpa and \
                out[-1][2] + out[-1][1] == dpa:
            out[-1] = (out[-1][0], out[-1][1] + size, out[-1][2])
        else:
            out.append((gpa, size, dpa))
    return out


def double_mapped(segments):
    """A DPA two segments map, or None: every byte of device memory is
    mapped at most once."""
    spans = sorted((dpa, dpa + size) for _, size, dpa in segments)
    for (a, b), (c, d) in zip(spans, spans[1:]):
        if c < b:
            return c
    return None
