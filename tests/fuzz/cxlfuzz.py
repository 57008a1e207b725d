"""Shared pieces of the CXL Type-2 passthrough fuzzers.

The fuzzers drive the QEMU under test the way its qtests do: through the
qtest protocol (guest-physical reads and writes, port I/O) and QMP, with
the emulated accelerator (contrib/vfio-user-cxl-accel) as the device. This
module starts both processes, with the sanitizer options that make any
report fatal and put it in a file of its own, and talks to them.

Copyright (c) 2026 QEMU CXL Type-2 team

SPDX-License-Identifier: GPL-2.0-or-later
"""

import argparse
import glob
import json
import os
import random
import socket
import subprocess
import tempfile
import time

# Guest topology of the qtests: pxb-cxl bus 12, cxl-rp 12:00.0, device 13:00.0
HB_BUS = 12
DEV_BUS = 13
ACCEL_BAR = 2
MiB = 1 << 20
GiB = 1 << 30


def sanitizer_env(report_dir):
    """Every report fatal, and written to report_dir/<tool>.<pid>."""
    env = dict(os.environ)
    common = "halt_on_error=1:abort_on_error=0:exitcode=66"
    env["ASAN_OPTIONS"] = (common + ":detect_leaks=0:handle_abort=1"
                           ":log_path=%s/asan"
                           % report_dir)
    env["UBSAN_OPTIONS"] = (common + ":print_stacktrace=1:log_path=%s/ubsan"
                            % report_dir)
    return env


def arg_parser(doc):
    """The options every fuzzer takes; add its own, then call start()."""
    p = argparse.ArgumentParser(description=doc.split("\n")[0])
    p.add_argument("--bin", required=True,
                   help="directory with qemu-system-ARCH and the emulator")
    p.add_argument("--arch", choices=["aarch64", "x86_64"], required=True)
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--report-dir", default=None)
    return p


def start(name, opts):
    """The run's seed (printed, to be given back), report dir and env."""
    seed = opts.seed if opts.seed is not None else random.getrandbits(32)
    report_dir = opts.report_dir or tempfile.mkdtemp(prefix="cxl-fuzz-")
    os.makedirs(report_dir, exist_ok=True)
    print("%s: %s seed %d (give --seed %d to repeat)"
          % (name, opts.arch, seed, seed), flush=True)
    return seed, report_dir, sanitizer_env(report_dir)


def show_reports(name, report_dir):
    """Print the sanitizer reports of the run; returns how many."""
    reports = sanitizer_reports(report_dir)
    for r in reports:
        with open(r, errors="replace") as f:
            print("%s: sanitizer report %s:\n%s" % (name, r, f.read()))
    return len(reports)


def sanitizer_reports(report_dir):
    """The report files the sanitizers wrote with an error in them.

    ASan also writes a file for its warning about QEMU's coroutines
    (makecontext/swapcontext), which reports nothing."""
    found = []
    for path in sorted(glob.glob(os.path.join(report_dir, "asan.*")) +
                       glob.glob(os.path.join(report_dir, "ubsan.*"))):
        with open(path, errors="replace") as f:
            text = f.read()
        if "ERROR: " in text or "runtime error" in text or \
                "SUMMARY: " in text:
            found.append(path)
    return found


class Accel:
    """The emulated accelerator, serving one client at a time."""

    def __init__(self, binary, workdir, name, args, env):
        self.sock = os.path.join(workdir, name + ".sock")
        self.mem = os.path.join(workdir, name + ".mem")
        self.log = os.path.join(workdir, name + ".log")
        with open(self.log, "w") as log:
            self.proc = subprocess.Popen(
                [binary, "--socket", self.sock, "--mem-file", self.mem] +
                args, stdout=log, stderr=log, env=env)
        deadline = time.monotonic() + 10
        while not os.path.exists(self.sock):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the accelerator did not start: " +
                                   open(self.log).read()[-2000:])
            time.sleep(0.02)

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        if self.alive():
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class Qemu:
    """QEMU under qtest, with a qtest and a QMP connection."""

    def __init__(self, binary, workdir, args, env, timeout=30):
        self.timeout = timeout
        qt_path = os.path.join(workdir, "qtest.sock")
        qmp_path = os.path.join(workdir, "qmp.sock")
        listeners = []
        for path in (qt_path, qmp_path):
            if os.path.exists(path):
                os.unlink(path)
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.bind(path)
            s.listen(1)
            s.settimeout(timeout)
            listeners.append(s)
        self.stderr_path = os.path.join(workdir, "qemu.stderr")
        self.stderr = open(self.stderr_path, "w")
        self.proc = subprocess.Popen(
            [binary, "-qtest", "unix:" + qt_path, "-qtest-log", "/dev/null",
             "-qmp", "unix:" + qmp_path, "-accel", "qtest", "-display", "none", "-nodefaults"] + args,
            stdout=self.stderr, stderr=self.stderr, env=env)
        try:
            self.qt = listeners[0].accept()[0]
            self.qmp = listeners[1].accept()[0]
        finally:
            for s in listeners:
                s.close()
        for s in (self.qt, self.qmp):
            s.settimeout(timeout)
        self.qt_file = self.qt.makefile("rw", buffering=1)
        self.qmp_file = self.qmp.makefile("rw", buffering=1)
        self.events = []
        self._qmp_read()            # the greeting
        self.command("qmp_capabilities")

    # qtest protocol

    def qtest(self, line):
        self.qt_file.write(line + "\n")
        self.qt_file.flush()
        while True:
            reply = self.qt_file.readline()
            if not reply:
                raise EOFError("QEMU closed the qtest connection")
            if reply.startswith("IRQ"):
                continue
            words = reply.split()
            if not words or words[0] != "OK":
                raise RuntimeError("qtest %r: %r" % (line, reply))
            return int(words[1], 16) if len(words) > 1 else None

    def read(self, addr, size):
        op = {1: "readb", 2: "readw", 4: "readl", 8: "readq"}[size]
        return self.qtest("%s 0x%x" % (op, addr))

    def write(self, addr, size, val):
        op = {1: "writeb", 2: "writew", 4: "writel", 8: "writeq"}[size]
        self.qtest("%s 0x%x 0x%x" % (op, addr, val & ((1 << 8 * size) - 1)))

    def outl(self, port, val):
        self.qtest("outl 0x%x 0x%x" % (port, val))

    def inl(self, port):
        return self.qtest("inl 0x%x" % port)

    # QMP

    def _qmp_read(self):
        line = self.qmp_file.readline()
        if not line:
            raise EOFError("QEMU closed the QMP connection")
        return json.loads(line)

    def command(self, name, **args):
        msg = {"execute": name}
        if args:
            msg["arguments"] = args
        self.qmp_file.write(json.dumps(msg) + "\n")
        self.qmp_file.flush()
        while True:
            rsp = self._qmp_read()
            if "event" in rsp:
                self.events.append(rsp)
                continue
            return rsp

    def hmp(self, cmd):
        rsp = self.command("human-monitor-command", **{"command-line": cmd})
        return rsp.get("return", "")

    def wait_event(self, name, timeout=None):
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            for i, ev in enumerate(self.events):
                if ev["event"] == name:
                    return self.events.pop(i)
            if time.monotonic() > deadline:
                raise TimeoutError("no %s event" % name)
            self.events.append(self._qmp_read())

    def alive(self):
        return self.proc.poll() is None

    def quit(self):
        try:
            if self.alive():
                self.command("quit")
        except (OSError, EOFError, ValueError):
            pass
        try:
            self.proc.wait(self.timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for f in (self.qt_file, self.qmp_file):
            try:
                f.close()
            except OSError:
                pass
        self.qt.close()
        self.qmp.close()
        self.stderr.close()
        return self.proc.returncode


Q35_PCIEXBAR = 0x60
Q35_MMCFG_BASE = 0xb0000000


class Machine:
    """Config space and address-map helpers for arm virt and x86 q35."""

    def __init__(self, arch):
        self.arch = arch
        self.virt = arch == "aarch64"
        self.machine = "virt" if self.virt else "q35"
        self.bar_addr = 0x10000000 if self.virt else 0xc0000000
        self.ram_addr = (0x40000000 if self.virt else 0) + 16 * MiB
        self.extra = ["-cpu", "max"] if self.virt else []

    def ecam(self, bus, off):
        return 0x4010000000 + (bus << 20) + off

    def cfg_read(self, q, bus, off, size=4):
        if self.virt:
            return q.read(self.ecam(bus, off), size)
        q.outl(0xcf8, (1 << 31) | (bus << 16) | (off & 0xfc))
        val = q.inl(0xcfc)
        return (val >> (8 * (off & 3))) & ((1 << 8 * size) - 1)

    def cfg_write(self, q, bus, off, val, size=4):
        if self.virt:
            q.write(self.ecam(bus, off), size, val)
            return
        if size != 4:
            cur = self.cfg_read(q, bus, off & ~3)
            shift = 8 * (off & 3)
            mask = ((1 << 8 * size) - 1) << shift
            val = (cur & ~mask) | ((val << shift) & mask)
        q.outl(0xcf8, (1 << 31) | (bus << 16) | (off & 0xfc))
        q.outl(0xcfc, val & 0xffffffff)

    def cfg_ext_read(self, q, bus, off, size=4):
        """Extended config space too: ECAM, or q35's MMCONFIG turned on."""
        if self.virt:
            return q.read(self.ecam(bus, off), size)
        self.cfg_write(q, 0, Q35_PCIEXBAR + 4, 0)
        self.cfg_write(q, 0, Q35_PCIEXBAR, Q35_MMCFG_BASE | 1)
        return q.read(Q35_MMCFG_BASE + (bus << 20) + off, size)

    def cfg_ext_write(self, q, bus, off, val, size=4):
        """Extended config space too: ECAM, or q35's MMCONFIG turned on."""
        if self.virt:
            q.write(self.ecam(bus, off), size, val)
            return
        self.cfg_write(q, 0, Q35_PCIEXBAR + 4, 0)
        self.cfg_write(q, 0, Q35_PCIEXBAR, Q35_MMCFG_BASE | 1)
        q.write(Q35_MMCFG_BASE + (bus << 20) + off, size, val)

    def cfg_written(self, off, size):
        """The config space bytes cfg_write(off, size) writes: on q35,
        0xcf8 addresses the first 256 bytes only."""
        if not self.virt:
            off &= 0xff
        return range(off, off + size)

    def find_dvsec(self, q, bus, dvsec_id):
        """A CXL DVSEC (vendor 0x1e98) in extended config space, or 0."""
        pos, n = 0x100, 0
        while pos >= 0x100 and n < 64:
            hdr = self.cfg_ext_read(q, bus, pos)
            if (hdr & 0xffff == 0x23 and
                    self.cfg_ext_read(q, bus, pos + 4) & 0xffff == 0x1e98 and
                    self.cfg_ext_read(q, bus, pos + 8, 2) == dvsec_id):
                return pos
            pos, n = hdr >> 20, n + 1
        return 0

    def map_bar(self, q):
        """What firmware does: bus numbers, bridge window, BAR, enables."""
        bar = self.bar_addr
        win = (((bar >> 16) & 0xfff0) |
               ((((bar + 4 * MiB - 1) >> 16) & 0xfff0) << 16))
        self.cfg_write(q, HB_BUS, 0x18, HB_BUS | DEV_BUS << 8 | DEV_BUS << 16)
        self.cfg_write(q, HB_BUS, 0x20, win)
        self.cfg_write(q, HB_BUS, 0x04, 0x6)      # memory, bus master
        # Any other BAR where a guest may have moved it: out of the way
        # (all ones: above the bridge window), and the ROM off
        for off in (0x10, 0x14, 0x20, 0x24):
            self.cfg_write(q, DEV_BUS, off, 0xffffffff)
        self.cfg_write(q, DEV_BUS, 0x30, 0)
        self.cfg_write(q, DEV_BUS, 0x10 + 4 * ACCEL_BAR, bar)
        self.cfg_write(q, DEV_BUS, 0x14 + 4 * ACCEL_BAR, 0)
        self.cfg_write(q, DEV_BUS, 0x04, 0x6)
        # Back to D0: a function in D3hot decodes no BAR
        pm = self.find_cap(q, DEV_BUS, 0x01)
        if pm:
            self.cfg_write(q, DEV_BUS, pm + 4, 0, 2)
        return bar

    def find_cap(self, q, bus, cap_id):
        pos, n = self.cfg_read(q, bus, 0x34) & 0xfc, 0
        while pos and n < 48:
            hdr = self.cfg_read(q, bus, pos)
            if hdr & 0xff == cap_id:
                return pos
            pos, n = (hdr >> 8) & 0xfc, n + 1
        return 0

    def pcie_cap(self, q, bus):
        return self.find_cap(q, bus, 0x10)


def mtree_segments(q, name=" cxl-memory"):
    """(start, size, offset into the region) of each range of @name in
    the system address space: where which device memory is mapped."""
    mtree = q.hmp("info mtree -f")
    at = mtree.find('AS "memory"')
    if at < 0:
        return []
    body = mtree[at:]
    nxt = body.find("FlatView #")
    if nxt > 0:
        body = body[:nxt]
    out = []
    for line in body.splitlines():
        if name not in line or "-" not in line:
            continue
        lo, hi = line.split()[0].split("-")
        off = 0
        if " @" in line:
            off = int(line.rsplit(" @", 1)[1].split()[0], 16)
        out.append((int(lo, 16), int(hi, 16) - int(lo, 16) + 1, off))
    return out


def window_base(q):
    for line in q.hmp("info mtree").splitlines():
        if line.rstrip().endswith(": cxl-fixed-memory-region"):
            return int(line.split()[0].split("-")[0], 16)
    raise RuntimeError("no CXL fixed memory window in the memory tree")
