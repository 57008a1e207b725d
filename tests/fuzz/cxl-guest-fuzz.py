#!/usr/bin/env python3
"""Guest-facing fuzzer of CXL Type-2 passthrough.

A seeded stream of random guest operations against vfio-user-pci and the
emulated accelerator, on arm virt or x86 q35, over everything a guest
reaches: the component register block and the HDM decoders (accesses of
every size and alignment, plausible and implausible commits, locks and
uncommits), the accelerator registers and its copy engine (cached too),
config space with the CXL DVSECs, the device memory window, BAR moves and
disables, FLR, system reset, Secondary Bus Reset (a device reset), CXL
Reset, hot-unplug and re-plug. It runs each emulator configuration that
changes QEMU's paths in turn (decoder counts, both decoder modes,
Cache_Capable, the three block placements).

A reference model of the HDM decoders (cxlmodel.py, written from CXL r3.1
8.2.4.20 and the docs' rule table, not from hw/vfio/cxl-hdm.c) follows
every access that reaches the HDM Decoder Capability and every reset
(including those a config write starts: Initiate FLR, Initiate CXL
Reset), and says what each register reads and what decodes where. Every
read of those registers the fuzzer makes is compared with it as it
happens; a commit is followed by a read of Control, as a driver does.
With cxl-decoders=firmware the state QEMU starts in is checked against
the docs (decoders 0..k-1 committed and locked, one after the other over
the whole device memory, Global Control HDM Decoder Enable) and is what
every reset must give back; with cxl-decoders=guest every reset gives
the reset values. An FLR leaves them alone (CXL r3.1 9.5), as the docs'
"Resets" say.

Every --check-every operations and at the end: QEMU and the emulator are
alive; every HDM register reads what the model says; what `info mtree
-f` maps (guest range and device-memory offset) is exactly what the model
says decodes -- the committed decoders while HDM Decoder Enable is set,
else the CXL Device DVSEC ranges (read from config space) -- inside the
window, no guest address and no byte of device memory mapped twice; and
bytes the guest writes there reach the emulator's memory at that DPA.
A disagreement is a violation naming the operation, the register, and
the values read and expected; --keep-going counts a commit or uncommit
QEMU decided otherwise, goes on with QEMU's decision and checks
everything after that operation, to show what it leads to (a double
mapping, say). The sanitizers' reports land in --report-dir.

The last line is "RESULT ops=N crashes=N violations=N"; the exit status
is 0 only if both are 0. --seed gives a run back exactly.

Copyright (c) 2026 QEMU CXL Type-2 team

SPDX-License-Identifier: GPL-2.0-or-later
"""

import os
import random
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cxlfuzz  # noqa: E402
import cxlmodel  # noqa: E402
from cxlfuzz import DEV_BUS, HB_BUS, MiB, GiB  # noqa: E402

WINDOW = 4 * GiB
ACCEL_ID = 0x43584c32
# The HDM decoder layout, from the reference model
HDM_DEC_FIRST = cxlmodel.DEC_FIRST
HDM_STRIDE = cxlmodel.DEC_STRIDE
CTRL_COMMIT = cxlmodel.COMMIT
CTRL_COMMITTED = cxlmodel.COMMITTED
CTRL_LOCK = cxlmodel.LOCK_ON_COMMIT
GLOBAL_ENABLE = cxlmodel.HDM_DECODER_ENABLE
# CXL Device DVSEC (CXL r3.1 8.1.3)
DVSEC_CAP, DVSEC_CTRL, DVSEC_CTRL2, DVSEC_STATUS2 = 0xa, 0xc, 0x10, 0x12
DVSEC_CACHE_CAPABLE = 1 << 0
DVSEC_CXL_RESET_CAPABLE = 1 << 7
CTRL2_INITIATE_CXL_RESET = 1 << 2
STATUS2_CXL_RESET_COMPLETE = 1 << 1
# A guest CXL Reset on a Cache_Capable device completes after the write-back,
# which QEMU polls every 1 ms of virtual time for up to 1 s
CXL_RESET_POLL_NS = 1000000
CXL_RESET_POLL_STEPS = 1100
DEVCAP_FLR = 1 << 28
BRIDGE_CTL_BUS_RESET = 1 << 6

# name, emulator options, device JSON members, guest-programmed decoders
CONFIGS = [
    ("firmware-end", "--mem-size 512M", "", False),
    ("firmware-start-cache", "--mem-size 512M --block-at start "
     "--cache-capable", "", False),
    ("firmware-middle-two", "--mem-size 512M --decoders 2 "
     "--committed-decoders 2 --block-at middle", "", False),
    ("guest-four", "--mem-size 512M --decoders 4",
     ',"cxl-decoders":"guest"', True),
    ("guest-cache-start", "--mem-size 256M --decoders 2 --cache-capable "
     "--block-at start", ',"cxl-decoders":"guest"', True),
    # The kernel series' v5 interface: one decoder, memory gated on Memory
    # Space Enable and cleared by every reset
    ("v5-firmware-middle", "--uapi v5 --mem-size 512M --block-at middle",
     "", False),
    ("v5-guest-cache", "--uapi v5 --mem-size 256M --cache-capable",
     ',"cxl-decoders":"guest"', True),
]


class Violation(Exception):
    pass


def segs(segments):
    return "[%s]" % ", ".join("0x%x+0x%x->DPA 0x%x" % s for s in segments) \
        if segments else "nothing"


class Run:
    def __init__(self, opts, mach, rnd, workdir, env, config):
        self.opts, self.m, self.r = opts, mach, rnd
        self.workdir, self.env = workdir, env
        self.name, accel_args, self.dev_extra, self.guest = config
        self.v5 = "--uapi v5" in accel_args
        self.accel = cxlfuzz.Accel(os.path.join(opts.bin, "vfio-user-cxl-accel"),
                                   workdir, "accel", accel_args.split(), env)
        self.q = cxlfuzz.Qemu(
            os.path.join(opts.bin, "qemu-system-" + opts.arch), workdir,
            ["-M", "%s,cxl=on,cxl-fmw.0.targets.0=cxl.1,cxl-fmw.0.size=4G"
             % mach.machine, "-m", "1G"] + mach.extra +
            ["-device", "pxb-cxl,bus_nr=%d,bus=pcie.0,id=cxl.1,"
             "hdm_for_passthrough=on" % HB_BUS,
             "-device", "cxl-rp,port=0,bus=cxl.1,id=rp0,chassis=0,slot=2",
             "-device", self.device_json()], env)
        self.win = cxlfuzz.window_base(self.q)
        self.i, self.last = -1, "start-up"
        self.violations = 0         # those --keep-going went on after
        self.last_reset = "none"
        self.locate()
        self.start_model()

    def device_json(self):
        return ('{"driver":"vfio-user-pci","id":"accel0","bus":"rp0",'
                '"socket":{"type":"unix","path":"%s"}%s}'
                % (self.accel.sock, self.dev_extra))

    def setup(self):
        """Bus numbers, BAR, enables, D0."""
        self.m.map_bar(self.q)
        self.bar_lost = False

    def locate(self):
        """Where the register blocks are, from the registers at reset: the
        register page is plain shared memory a guest may scribble on."""
        q, m = self.q, self.m
        self.bar = m.map_bar(q)
        page = self.bar
        if q.read(page, 4) != ACCEL_ID:
            page = self.bar + 0x10000
        self.page = page
        self.mem_size = q.read(page + 0x10, 8)
        self.block = self.bar + q.read(page + 0x18, 8)
        cm = self.block + 0x1000
        self.hdm = None
        hdr = q.read(cm, 4)
        for i in range(1, ((hdr >> 24) & 0xff) + 1):
            e = q.read(cm + 4 * i, 4)
            if e & 0xffff == 5:
                self.hdm = cm + ((e >> 20) & 0xfff)
        if self.hdm is None:
            raise Violation("no HDM Decoder Capability found (BAR %s, ID "
                            "0x%x, command 0x%x)" % (
                                hex(self.m.cfg_read(q, DEV_BUS, 0x18)),
                                q.read(self.bar, 4),
                                self.m.cfg_read(q, DEV_BUS, 4)))
        cap = q.read(self.hdm, 4) & 0xf
        self.count = 1 if cap == 0 else 2 * cap
        self.dvsec = m.find_dvsec(q, DEV_BUS, 0)
        self.exp = m.pcie_cap(q, DEV_BUS)
        self.pm = m.find_cap(q, DEV_BUS, 0x01)
        self.bar_lost = False

    def start_model(self):
        """The reference model, from what the device reports (read-only
        registers) and, with cxl-decoders=firmware, what firmware
        committed; the firmware state itself checked against the docs."""
        q, m = self.q, self.m
        dv_cap = m.cfg_ext_read(q, DEV_BUS, self.dvsec + DVSEC_CAP, 2) \
            if self.dvsec else 0
        self.flr_capable = bool(self.exp and m.cfg_read(
            q, DEV_BUS, self.exp + 4) & DEVCAP_FLR)
        self.cxl_reset_capable = bool(dv_cap & DVSEC_CXL_RESET_CAPABLE)
        firmware = win = None
        if not self.guest:
            firmware = []
            for n in range(self.count):
                dec = self.hdm + HDM_DEC_FIRST + HDM_STRIDE * n
                firmware.append((q.read(dec, 8), q.read(dec + 8, 8),
                                 q.read(dec + 0x14, 8), q.read(dec + 0x10, 4)))
            win = firmware[0][0]
            self.check_firmware(firmware, win)
        self.model = cxlmodel.HdmModel(
            q.read(self.hdm, 4), self.count, self.mem_size,
            bool(dv_cap & DVSEC_CACHE_CAPABLE),
            self.win if self.guest else win,
            WINDOW if self.guest else self.mem_size, firmware)
        self.compare_registers()

    def check_firmware(self, firmware, base):
        """Firmware's decoders (docs, "What QEMU does"): 0..k-1 committed
        and locked, one after the other from where QEMU placed the memory,
        in device-memory order, over the whole device memory; Global
        Control HDM Decoder Enable and nothing else."""
        glob = self.q.read(self.hdm + 4, 4)
        if glob != GLOBAL_ENABLE:
            raise Violation("firmware left Global Control 0x%x, expected "
                            "0x%x" % (glob, GLOBAL_ENABLE))
        at, dpa, done = base, 0, False
        for n, (b, size, skip, ctrl) in enumerate(firmware):
            want = cxlmodel.COMMIT | cxlmodel.COMMITTED | \
                cxlmodel.LOCK_ON_COMMIT
            if ctrl & (want | cxlmodel.ERR_NOT_COMMITTED) != want:
                done = True
                if ctrl or b or size or skip:
                    raise Violation("firmware left decoder %d uncommitted "
                                    "but not at its reset values" % n)
                continue
            if done or b != at or not size:
                raise Violation("firmware decoder %d at 0x%x size 0x%x, "
                                "expected it at 0x%x after decoder %d"
                                % (n, b, size, at, n - 1))
            at, dpa = at + size, dpa + skip + size
        if dpa != self.mem_size:
            raise Violation("firmware decoders decode 0x%x bytes of 0x%x"
                            % (dpa, self.mem_size))

    # random values a guest might use

    def value(self, size):
        r = self.r.random()
        if r < 0.3:
            return self.r.getrandbits(8 * size)
        if r < 0.5:
            return self.r.choice([0, 0xffffffffffffffff, 1 << 31, 1 << 28])
        if r < 0.8:
            return self.win + self.r.randrange(0, 20) * 256 * MiB
        return self.r.randrange(0, 8) * 256 * MiB

    def access(self, base, span, write_bias=0.6):
        size = self.r.choice([1, 2, 4, 8])
        off = self.r.randrange(0, max(1, span)) & ~(size - 1)
        if self.r.random() < write_bias:
            self.write(base + off, size, self.value(size))
        else:
            self.read(base + off, size)

    # register accesses that may reach the HDM decoders go through the model

    def hdm_off(self, addr, size):
        """The offset in the HDM Decoder Capability of an access that lies
        in it, or None; the BAR mapped again first if a config write may
        have moved or disabled it."""
        off = addr - self.hdm
        if off + size <= 0 or off >= self.model.block_size:
            return None
        if self.bar_lost:
            self.setup()
        return off

    @staticmethod
    def dword(at, val, off, size):
        """The bytes of dword @at (with 0 for those not read) in a read of
        @size bytes at @off that returned @val."""
        out = 0
        for i in range(4):
            b = (at & ~3) + i - off
            if 0 <= b < size:
                out |= ((val >> 8 * b) & 0xff) << 8 * i
        return out

    def write(self, addr, size, val):
        off = self.hdm_off(addr, size)
        self.q.write(addr, size, val)
        if off is not None:
            self.model.write(off, size, val & ((1 << 8 * size) - 1))

    def read(self, addr, size):
        off = self.hdm_off(addr, size)
        got = self.q.read(addr, size)
        if off is not None:
            self.expect(off, size, got)
        return got

    def expect(self, off, size, got):
        want = self.model.read(off, size)
        if got == want:
            return
        # Name the first register that differs
        diff = got ^ want
        at = off + ((diff & -diff).bit_length() - 1) // 8
        msg = ("operation %d: %s reads 0x%x, the model expects 0x%x (a "
               "%d-byte read at offset 0x%x: 0x%x, expected 0x%x; last "
               "refusal: %s; last reset: %s)"
               % (self.i, cxlmodel.reg_name(at),
                  self.dword(at, got, off, size),
                  self.model.read32(at & ~3), size, off, got, want,
                  self.model.last_refusal, self.last_reset))
        # --keep-going: a commit or uncommit QEMU decided otherwise is
        # counted, and the model takes QEMU's decision, to see what follows
        bits = cxlmodel.COMMIT | cxlmodel.COMMITTED | \
            cxlmodel.ERR_NOT_COMMITTED
        adopt = []
        for dw in range(off & ~3, off + size, 4):
            g = self.dword(dw, got, off, size)
            w = self.dword(dw, want, off, size)
            if g == w:
                continue
            n, reg = divmod(dw - cxlmodel.DEC_FIRST, cxlmodel.DEC_STRIDE)
            if (dw < cxlmodel.DEC_FIRST or reg != cxlmodel.CTRL or
                    dw < off or dw + 4 > off + size or (g ^ w) & ~bits):
                adopt = None
                break
            adopt.append((n, g))
        if self.opts.keep_going and adopt:
            print("guest-fuzz: %s %s: Violation: %s; going on with QEMU's "
                  "decision" % (self.opts.arch, self.name, msg), flush=True)
            self.violations += 1
            for n, ctrl in adopt:
                self.model.adopt_ctrl(n, ctrl)
            self.check_now = True       # what it led to, after this op
            return
        raise Violation(msg)

    # the operations

    def op_hdm(self):
        self.access(self.hdm, HDM_DEC_FIRST + HDM_STRIDE * self.count + 0x10)

    def op_commit(self):
        """A whole decoder programming sequence: half of the time as a
        driver would do it (the lowest uncommitted decoder, inside the
        window, 256 or 512 MiB, one way), else anything; then perhaps an
        uncommit, of this decoder or of any."""
        r = self.r
        n = r.randrange(0, self.count)
        if r.random() < 0.7:
            self.write(self.hdm + 4, 4, GLOBAL_ENABLE)
        if r.random() < 0.5:
            n = next((m for m, d in enumerate(self.model.dec)
                      if not d.committed), n)
            base = self.win + r.randrange(0, 16) * 256 * MiB
            size = r.randrange(1, 3) * 256 * MiB
            skip = r.choice([0, 0, 0, 256 * MiB])
            ctrl = CTRL_COMMIT | (CTRL_LOCK if r.random() < 0.05 else 0)
        else:
            base = self.win + r.randrange(-2, 18) * 256 * MiB
            size = r.randrange(0, 4) * 256 * MiB
            skip = r.choice([0, 0, 0, 256 * MiB])
            ctrl = CTRL_COMMIT | (CTRL_LOCK if r.random() < 0.2 else 0)
            if r.random() < 0.2:
                ctrl |= r.getrandbits(32)
        dec = self.hdm + HDM_DEC_FIRST + HDM_STRIDE * n
        for reg, v in ((0, base), (8, size), (0x14, skip)):
            self.write(dec + reg, 4, v & 0xffffffff)
            self.write(dec + reg + 4, 4, v >> 32)
        self.write(dec + 0x10, 4, ctrl)
        # As a driver does: Committed or Error Not Committed?
        self.read(dec + 0x10, 4)
        if r.random() < 0.3:
            if r.random() < 0.5:
                dec = self.hdm + HDM_DEC_FIRST + \
                    HDM_STRIDE * r.randrange(0, self.count)
            self.write(dec + 0x10, 4, 0)       # uncommit

    def op_block(self):
        self.access(self.block, 0x10000)

    def op_accel(self):
        q, r = self.q, self.r
        if r.random() < 0.5:
            self.access(self.page, 0x200)
            return
        # A copy: sources and destinations in RAM, the window, or anywhere
        def addr():
            c = r.random()
            if c < 0.4:
                return self.win + r.randrange(0, self.mem_size)
            if c < 0.8:
                return self.m.ram_addr + r.randrange(0, 64 * MiB)
            return r.getrandbits(64)
        src, dst = addr(), addr()
        q.write(self.page + 0x20, 8, src)
        q.write(self.page + 0x28, 8, dst)
        q.write(self.page + 0x30, 4, r.choice([0, 64, 4096, 65536, 200000,
                                               r.getrandbits(32)]))
        q.write(self.page + 0x38, 4, 0)
        q.write(self.page + 0x34, 4, r.choice([1, 1, 3, r.getrandbits(32)]))

    def op_config(self):
        r = self.r
        size = r.choice([1, 2, 4])
        # Anywhere, but mostly the CXL DVSECs and the PCIe capability
        if r.random() < 0.6:
            off = r.choice([0x40, 0x100, 0x140, 0x160]) + r.randrange(0, 0x40)
        else:
            off = r.randrange(0, 0x1000)
        off &= ~(size - 1)
        if r.random() < 0.6:
            val = self.value(size) & ((1 << 8 * size) - 1)
            self.m.cfg_write(self.q, DEV_BUS, off, val, size)
            self.config_written(off, size, val)
        else:
            self.m.cfg_read(self.q, DEV_BUS, off, size)

    def config_written(self, off, size, val):
        """What a config write does beyond config space: an FLR (Initiate
        Function Level Reset), a CXL Reset (Initiate CXL Reset, which
        QEMU performs), a BAR moved or turned off (Command, the BARs, the
        ROM, the power state)."""
        written = self.m.cfg_written(off, size)
        base = written[0]

        def sets(at, bit):
            return at in written and (val >> 8 * (at - base)) & bit

        if self.exp and sets(self.exp + 9, 0x80) and self.flr_capable:
            self.reset("flr")
        elif self.dvsec and sets(self.dvsec + DVSEC_CTRL2,
                                 CTRL2_INITIATE_CXL_RESET):
            if self.cxl_reset_capable:
                self.reset("cxl")
        bar = set(range(4, 6)) | set(range(0x10, 0x28)) | \
            set(range(0x30, 0x34))
        if self.pm:
            bar |= set(range(self.pm + 4, self.pm + 6))
        if bar & set(written):
            self.bar_lost = True

    def reset(self, kind):
        """Tell the model of a reset; after it QEMU reads the host's
        decoders again: whether the host still backs the memory (the
        emulator's memory file is empty while it does not) is the model's
        input."""
        self.model.reset(kind)
        self.last_reset = "%s at operation %d" % (kind, self.i)
        if self.v5:
            # v5 serves the memory, and the emulator's file has its size,
            # only while Memory Space Enable is set
            self.setup()
        self.model.host_active = os.path.getsize(self.accel.mem) > 0
        self.bar_lost = True

    def op_memory(self):
        self.access(self.win, WINDOW)

    def op_bar(self):
        r = self.r
        if r.random() < 0.5:
            self.m.cfg_write(self.q, DEV_BUS, 0x04, 0)     # disable
        else:
            self.m.cfg_write(self.q, DEV_BUS, 0x10 + 8, r.getrandbits(32))
        self.setup()

    def op_flr(self):
        exp = self.exp
        if exp:
            ctl = self.m.cfg_read(self.q, DEV_BUS, exp + 8, 2)
            self.m.cfg_write(self.q, DEV_BUS, exp + 8, ctl | 0x8000, 2)
            if self.flr_capable:
                self.reset("flr")
        self.setup()

    def op_reset(self):
        self.q.command("system_reset")
        self.q.wait_event("RESET")
        self.reset("system")
        self.setup()

    def op_cxl_reset(self):
        """DVSEC Control2 Initiate CXL Reset: QEMU performs it and sets
        Status2 CXL Reset Complete (docs, "Resets")."""
        q, m, dv = self.q, self.m, self.dvsec
        if not dv:
            return
        ctl2 = m.cfg_ext_read(q, DEV_BUS, dv + DVSEC_CTRL2, 2)
        m.cfg_ext_write(q, DEV_BUS, dv + DVSEC_CTRL2,
                        ctl2 | CTRL2_INITIATE_CXL_RESET, 2)
        if not self.cxl_reset_capable:
            return
        self.reset("cxl")
        # A Cache_Capable device is written back first, from a timer on the
        # virtual clock (docs, "Resets"): step it, 1 ms at a time, up to
        # the write-back's 1 s
        for _ in range(CXL_RESET_POLL_STEPS):
            st2 = m.cfg_ext_read(q, DEV_BUS, dv + DVSEC_STATUS2, 2)
            if st2 & STATUS2_CXL_RESET_COMPLETE:
                break
            q.qtest("clock_step %d" % CXL_RESET_POLL_NS)
        if not st2 & STATUS2_CXL_RESET_COMPLETE:
            raise Violation("operation %d: CXL Reset: Status2 reads 0x%x, "
                            "without CXL Reset Complete" % (self.i, st2))
        self.setup()

    def op_bus_reset(self):
        """Secondary Bus Reset on the root port: a reset of the device."""
        q, m = self.q, self.m
        ctl = m.cfg_read(q, HB_BUS, 0x3e, 2)
        m.cfg_write(q, HB_BUS, 0x3e, ctl | BRIDGE_CTL_BUS_RESET, 2)
        m.cfg_write(q, HB_BUS, 0x3e, ctl & ~BRIDGE_CTL_BUS_RESET, 2)
        self.reset("device")
        self.setup()

    def op_replug(self):
        q, m = self.q, self.m
        exp = m.pcie_cap(q, HB_BUS)
        sltctl = exp + 0x18
        q.command("device_del", id="accel0")
        cur = m.cfg_read(q, HB_BUS, sltctl, 2)
        # Power off (PCC 0x400, indicator off 0x300)
        m.cfg_write(q, HB_BUS, sltctl, cur | 0x400 | 0x300, 2)
        q.wait_event("DEVICE_DELETED")
        cur = m.cfg_read(q, HB_BUS, sltctl, 2)
        m.cfg_write(q, HB_BUS, sltctl, (cur & ~0x700) | 0x100, 2)
        rsp = q.command("device_add", **self.device_args())
        if "error" in rsp:
            raise Violation("re-plug failed: %s" % rsp["error"]["desc"])
        self.reset("replug")
        self.setup()

    def device_args(self):
        args = {"driver": "vfio-user-pci", "id": "accel0", "bus": "rp0",
                "socket": {"type": "unix", "path": self.accel.sock}}
        if self.guest:
            args["cxl-decoders"] = "guest"
        return args

    OPS = [(op_hdm, 30), (op_commit, 10), (op_block, 8), (op_accel, 12),
           (op_config, 10), (op_memory, 20), (op_bar, 1), (op_flr, 1),
           (op_reset, 0.3), (op_replug, 0.2), (op_cxl_reset, 0.1),
           (op_bus_reset, 0.1)]

    # the invariants

    def dvsec_state(self):
        """(Mem_Enable, [(Range Base, Range Size)]) of the CXL Device
        DVSEC as the guest reads it: what decodes while HDM Decoder Enable
        is clear."""
        q, m, dv = self.q, self.m, self.dvsec
        if not dv or not m.cfg_ext_read(q, DEV_BUS, dv + DVSEC_CTRL, 2) & 4:
            return False, []
        count = 2 if (m.cfg_ext_read(q, DEV_BUS, dv + DVSEC_CAP, 2) >> 4) \
            & 3 == 2 else 1
        ranges = []
        for r in range(count):
            reg = dv + 0x18 + 0x10 * r
            size = (m.cfg_ext_read(q, DEV_BUS, reg) << 32 |
                    m.cfg_ext_read(q, DEV_BUS, reg + 4))
            base = (m.cfg_ext_read(q, DEV_BUS, reg + 8) << 32 |
                    m.cfg_ext_read(q, DEV_BUS, reg + 12))
            ranges.append((base, size))
        return True, ranges

    def compare_registers(self):
        """Every register of the HDM Decoder Capability as the model says,
        eight bytes at a time."""
        for off in range(0, self.model.block_size, 8):
            self.expect(off, 8, self.q.read(self.hdm + off, 8))

    def idle(self):
        """Wait until the copy engine took its request and is done."""
        deadline = time.monotonic() + 10
        while (self.q.read(self.page + 0x34, 4) or
               self.q.read(self.page + 0x38, 4) & 4):
            if time.monotonic() > deadline:
                raise Violation("the copy engine is still busy after 10 s")
            time.sleep(0.001)

    def reaches(self, base, size, dpa):
        if not size:
            return False, "a committed decoder at 0x%x has size 0" % base
        off = self.r.randrange(0, size) & ~7
        val = self.r.getrandbits(64)
        self.q.write(base + off, 8, val)
        with open(self.accel.mem, "rb") as f:
            f.seek(dpa + off)
            got = int.from_bytes(f.read(8), "little")
        return got == val, "guest wrote 0x%x at 0x%x, the device memory " \
            "has 0x%x at DPA 0x%x" % (val, base + off, got, dpa + off)

    def check(self):
        if not self.q.alive():
            raise Violation("QEMU exited with %s" % self.q.proc.returncode)
        if not self.accel.alive():
            raise Violation("the emulator exited with %s"
                            % self.accel.proc.returncode)
        self.setup()
        at = "operation %d" % self.i
        # What QEMU maps, whatever anyone says: inside the window, every
        # guest address and every byte of device memory at most once
        actual = cxlmodel.merge(cxlfuzz.mtree_segments(self.q))
        for gpa, size, dpa in actual:
            if gpa < self.win or gpa + size > self.win + WINDOW:
                raise Violation("%s: device memory mapped at 0x%x-0x%x, "
                                "outside the window" % (at, gpa,
                                                        gpa + size - 1))
        for (a, b, _), (c, _, _) in zip(actual, actual[1:]):
            if c < a + b:
                raise Violation("%s: guest address 0x%x mapped twice"
                                % (at, c))
        dpa = cxlmodel.double_mapped(actual)
        if dpa is not None:
            raise Violation("%s: device memory at DPA 0x%x mapped at two "
                            "guest addresses (%s)" % (at, dpa, segs(actual)))
        # The registers and the mappings the reference model predicts
        self.compare_registers()
        want = cxlmodel.merge(self.model.decoded(self.dvsec_state()))
        if actual != want:
            raise Violation("%s: QEMU maps %s, the model expects %s (Global "
                            "Control 0x%x; last reset: %s)"
                            % (at, segs(actual), segs(want),
                               self.model.global_ctrl, self.last_reset))
        # Guest bytes reach the device memory the model says
        self.idle()
        for base, size, dpa in want:
            ok, why = self.reaches(base, size, dpa)
            if not ok:
                # A write-back the guest started may still be landing.
                time.sleep(0.2)
                ok, why = self.reaches(base, size, dpa)
            if not ok:
                raise Violation("%s: %s" % (at, why))

    def run(self, ops):
        funcs = [f for f, _ in self.OPS]
        weights = [w for _, w in self.OPS]
        for i in range(ops):
            op = self.r.choices(funcs, weights)[0]
            self.i, self.last = i, "%s (operation %d)" % (op.__name__, i)
            self.check_now = False
            op(self)
            if self.check_now or (i + 1) % self.opts.check_every == 0:
                self.check()
        self.check()

    def stop(self):
        rc = self.q.quit()
        self.accel.stop()
        return rc


def main():
    p = cxlfuzz.arg_parser(__doc__)
    p.add_argument("--ops", type=int, default=100000)
    p.add_argument("--check-every", type=int, default=500)
    p.add_argument("--keep-going", action="store_true",
                   help="after a commit or uncommit QEMU decided otherwise "
                   "than the model, count it and go on with QEMU's decision")
    p.add_argument("--verbose", action="store_true",
                   help="on a failure, also show the emulator's log")
    opts = p.parse_args()
    seed, report_dir, env = cxlfuzz.start("guest-fuzz", opts)
    mach = cxlfuzz.Machine(opts.arch)
    total = crashes = violations = 0
    start = time.monotonic()
    for k, config in enumerate(CONFIGS):
        rnd = random.Random("%d/%d" % (seed, k))
        n = opts.ops // len(CONFIGS) + (k < opts.ops % len(CONFIGS))
        with tempfile.TemporaryDirectory(prefix="cxl-gfuzz-") as workdir:
            run = None
            try:
                run = Run(opts, mach, rnd, workdir, env, config)
                run.run(n)
            except (Violation, EOFError, OSError, RuntimeError,
                    TimeoutError) as e:
                alive = run and run.q.alive() and run.accel.alive()
                if alive or isinstance(e, Violation):
                    violations += 1
                else:
                    crashes += 1
                print("guest-fuzz: %s %s: %s: %s, in %s"
                      % (opts.arch, config[0], type(e).__name__, e,
                         getattr(run, "last", "start-up")), flush=True)
                if run:
                    print(open(run.q.stderr_path).read()[-3000:], end="")
                    if opts.verbose:
                        print(open(run.accel.log).read()[-6000:], end="")
            finally:
                if run:
                    violations += run.violations
                    if hasattr(run, "model"):
                        print("guest-fuzz: %s %s: model: %s"
                              % (opts.arch, config[0], run.model.summary()),
                              flush=True)
                    rc = run.stop()
                    if rc not in (0, None):
                        crashes += 1
                        print("guest-fuzz: %s %s: QEMU exit status %s"
                              % (opts.arch, config[0], rc), flush=True)
            total += n
        print("guest-fuzz: %s %s: %d operations" % (opts.arch, config[0], n),
              flush=True)
    reports = cxlfuzz.show_reports("guest-fuzz", report_dir)
    print("guest-fuzz: %s: %d operations in %.0f s"
          % (opts.arch, total, time.monotonic() - start))
    print("RESULT ops=%d crashes=%d violations=%d reports=%d"
          % (total, crashes, violations, reports))
    return 0 if not (crashes or violations or reports) else 1


if __name__ == "__main__":
    sys.exit(main())
