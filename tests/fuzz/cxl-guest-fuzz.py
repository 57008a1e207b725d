#!/usr/bin/env python3
"""Guest-facing fuzzer of CXL Type-2 passthrough.

A seeded stream of random guest operations against vfio-user-pci and the
emulated accelerator, on arm virt or x86 q35, over everything a guest
reaches: the component register block and the HDM decoders (accesses of
every size and alignment, plausible and implausible commits, locks and
uncommits), the accelerator registers and its copy engine (cached too),
config space with the CXL DVSECs, the device memory window, BAR moves and
disables, FLR, system reset, hot-unplug and re-plug. It runs each
emulator configuration that changes QEMU's paths in turn (decoder counts,
both decoder modes, Cache_Capable, the three block placements).

Invariants, checked every --check-every operations and at the end: QEMU
and the emulator are alive; device memory is mapped only where committed
decoders say while HDM Decoder Enable is set (decoders 0..k-1, in
ascending address and DPA order), and while it is clear only where the
CXL Device DVSEC's ranges say (with Mem_Enable, inside the window); never
at two addresses, never outside the window; bytes the guest writes there
reach the emulator's memory at the decoder's or range's DPA. The
sanitizers' reports land in --report-dir.

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
from cxlfuzz import DEV_BUS, HB_BUS, MiB, GiB  # noqa: E402

WINDOW = 4 * GiB
ACCEL_ID = 0x43584c32
HDM_DEC_FIRST = 0x10
HDM_STRIDE = 0x20
CTRL_COMMIT = 1 << 9
CTRL_COMMITTED = 1 << 10
CTRL_LOCK = 1 << 8
GLOBAL_ENABLE = 1 << 1

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
]


class Violation(Exception):
    pass


class Run:
    def __init__(self, opts, mach, rnd, workdir, env, config):
        self.opts, self.m, self.r = opts, mach, rnd
        self.workdir, self.env = workdir, env
        self.name, accel_args, self.dev_extra, self.guest = config
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
        self.locate()

    def device_json(self):
        return ('{"driver":"vfio-user-pci","id":"accel0","bus":"rp0",'
                '"socket":{"type":"unix","path":"%s"}%s}'
                % (self.accel.sock, self.dev_extra))

    def setup(self):
        """Bus numbers, BAR, enables, D0."""
        self.m.map_bar(self.q)

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
            self.q.write(base + off, size, self.value(size))
        else:
            self.q.read(base + off, size)

    # the operations

    def op_hdm(self):
        self.access(self.hdm, HDM_DEC_FIRST + HDM_STRIDE * self.count + 0x10)

    def op_commit(self):
        """A whole decoder programming sequence, plausible or not."""
        q, r = self.q, self.r
        n = r.randrange(0, self.count)
        dec = self.hdm + HDM_DEC_FIRST + HDM_STRIDE * n
        if r.random() < 0.7:
            q.write(self.hdm + 4, 4, GLOBAL_ENABLE)
        base = self.win + r.randrange(-2, 18) * 256 * MiB
        size = r.randrange(0, 4) * 256 * MiB
        skip = r.choice([0, 0, 0, 256 * MiB])
        for reg, v in ((0, base), (8, size), (0x14, skip)):
            q.write(dec + reg, 4, v & 0xffffffff)
            q.write(dec + reg + 4, 4, v >> 32)
        ctrl = CTRL_COMMIT | (CTRL_LOCK if r.random() < 0.2 else 0)
        if r.random() < 0.2:
            ctrl |= r.getrandbits(32)
        q.write(dec + 0x10, 4, ctrl)
        if r.random() < 0.3:
            q.write(dec + 0x10, 4, 0)       # uncommit

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
            self.m.cfg_write(self.q, DEV_BUS, off, self.value(size) &
                             ((1 << 8 * size) - 1), size)
        else:
            self.m.cfg_read(self.q, DEV_BUS, off, size)

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
        exp = self.m.pcie_cap(self.q, DEV_BUS)
        if exp:
            ctl = self.m.cfg_read(self.q, DEV_BUS, exp + 8, 2)
            self.m.cfg_write(self.q, DEV_BUS, exp + 8, ctl | 0x8000, 2)
        self.setup()

    def op_reset(self):
        self.q.command("system_reset")
        self.q.wait_event("RESET")
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
        self.setup()

    def device_args(self):
        args = {"driver": "vfio-user-pci", "id": "accel0", "bus": "rp0",
                "socket": {"type": "unix", "path": self.accel.sock}}
        if self.guest:
            args["cxl-decoders"] = "guest"
        return args

    OPS = [(op_hdm, 30), (op_commit, 10), (op_block, 8), (op_accel, 12),
           (op_config, 10), (op_memory, 20), (op_bar, 1), (op_flr, 1),
           (op_reset, 0.3), (op_replug, 0.2)]

    # the invariants

    def dvsec_ranges(self):
        """What decodes while HDM Decoder Enable is clear: with Mem_Enable,
        each DVSEC range inside the window, from the device memory after
        the ranges before it, not over a range before it."""
        q, m, dv = self.q, self.m, self.dvsec
        if not dv or not m.cfg_ext_read(q, DEV_BUS, dv + 0xc, 2) & 4:
            return []
        count = 2 if (m.cfg_ext_read(q, DEV_BUS, dv + 0xa, 2) >> 4) & 3 == 2 \
            else 1
        out, dpa = [], 0
        for r in range(count):
            reg = dv + 0x18 + 0x10 * r
            size = (m.cfg_ext_read(q, DEV_BUS, reg) << 32 |
                    m.cfg_ext_read(q, DEV_BUS, reg + 4)) & ~(256 * MiB - 1)
            base = (m.cfg_ext_read(q, DEV_BUS, reg + 8) << 32 |
                    m.cfg_ext_read(q, DEV_BUS, reg + 12)) & ~(256 * MiB - 1)
            if (size and self.win <= base and
                    base + size <= self.win + WINDOW and
                    dpa + size <= self.mem_size and
                    not any(b < base + size and base < b + s
                            for b, s, _ in out)):
                out.append((base, size, dpa))
            dpa += size
        return out

    def decoders(self):
        """What decodes, as (base, size, dpa): the committed decoders if
        HDM Decoder Enable is set, else the DVSEC ranges."""
        q = self.q
        if not q.read(self.hdm + 4, 4) & GLOBAL_ENABLE:
            return self.dvsec_ranges()
        out, dpa = [], 0
        for n in range(self.count):
            dec = self.hdm + HDM_DEC_FIRST + HDM_STRIDE * n
            ctrl = q.read(dec + 0x10, 4)
            base = q.read(dec, 8) & ~(256 * MiB - 1)
            size = q.read(dec + 8, 8) & ~(256 * MiB - 1)
            skip = q.read(dec + 0x14, 8) & ~(256 * MiB - 1)
            if not ctrl & CTRL_COMMITTED:
                break
            dpa += skip
            out.append((base, size, dpa))
            dpa += size
        return out

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
        ranges = sorted(cxlfuzz.mtree_ranges(self.q))
        for lo, hi in ranges:
            if lo < self.win or hi >= self.win + WINDOW:
                raise Violation("device memory mapped at 0x%x-0x%x, outside "
                                "the window" % (lo, hi))
        for (a, b), (c, d) in zip(ranges, ranges[1:]):
            if c <= b:
                raise Violation("device memory mapped twice at 0x%x" % c)
        decs = self.decoders()
        # A reset that left the host without committed decoders: the
        # emulator's memory file is empty (inactive), and nothing may be
        # mapped, whatever the registers say
        if os.path.getsize(self.accel.mem) == 0:
            decs = []
        # Every byte of device memory at most once
        spans = sorted((dpa, dpa + size) for _, size, dpa in decs)
        for (a, b), (c, d) in zip(spans, spans[1:]):
            if c < b:
                raise Violation("device memory at DPA 0x%x decoded twice "
                                "(%s)" % (c, decs))
        mapped = sum(hi - lo + 1 for lo, hi in ranges)
        want = sum(size for _, size, _ in decs)
        if mapped != want:
            raise Violation("0x%x bytes of device memory mapped, committed "
                            "decoders say 0x%x (%s)" % (mapped, want, decs))
        self.idle()
        for base, size, dpa in decs:
            ok, why = self.reaches(base, size, dpa)
            if not ok:
                # A write-back the guest started may still be landing.
                time.sleep(0.2)
                ok, why = self.reaches(base, size, dpa)
            if not ok:
                raise Violation(why)

    def run(self, ops):
        funcs = [f for f, _ in self.OPS]
        weights = [w for _, w in self.OPS]
        for i in range(ops):
            op = self.r.choices(funcs, weights)[0]
            self.last = "%s (operation %d)" % (op.__name__, i)
            op(self)
            if (i + 1) % self.opts.check_every == 0:
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
