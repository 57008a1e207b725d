#!/usr/bin/env python3
"""Backend-facing fuzzer of CXL Type-2 passthrough.

One QEMU (arm virt or x86 q35) with a CXL root port, and the emulated
accelerator in its --fuzz-seed mode, which answers QEMU's requests with
random malformations. The fuzzer hot-plugs vfio-user-pci into the root
port again and again: each attempt must end either in a device that
works (then it is unplugged again) or in a clear realize error -- never
in a crash, a hang (each attempt is bounded in time) or a sanitizer
report. A QEMU that dies or hangs is counted and replaced.

The last line is "RESULT realizes=N ok=N refused=N crashes=N hangs=N
reports=N"; the exit status is 0 only if the last three are 0. Give
--seed back to repeat a run; the emulator logs the seed of each client.

Copyright (c) 2026 QEMU CXL Type-2 team

SPDX-License-Identifier: GPL-2.0-or-later
"""

import os
import random
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cxlfuzz  # noqa: E402
from cxlfuzz import HB_BUS  # noqa: E402

ATTEMPT_TIMEOUT = 20        # seconds a realize or unplug may take


class Hang(Exception):
    pass


def start_qemu(opts, mach, workdir, env):
    q = cxlfuzz.Qemu(
        os.path.join(opts.bin, "qemu-system-" + opts.arch), workdir,
        ["-M", "%s,cxl=on,cxl-fmw.0.targets.0=cxl.1,cxl-fmw.0.size=4G"
         % mach.machine, "-m", "1G"] + mach.extra +
        ["-device", "pxb-cxl,bus_nr=%d,bus=pcie.0,id=cxl.1,"
         "hdm_for_passthrough=on" % HB_BUS,
         "-device", "cxl-rp,port=0,bus=cxl.1,id=rp0,chassis=0,slot=2"],
        env, timeout=ATTEMPT_TIMEOUT)
    # What firmware does for the slot: bus numbers, power on
    mach.cfg_write(q, HB_BUS, 0x18, HB_BUS | 13 << 8 | 13 << 16)
    return q


def start_accel(opts, workdir, env, seed):
    """The emulator in its fuzzing mode; client n gets seed + n."""
    return cxlfuzz.Accel(os.path.join(opts.bin, "vfio-user-cxl-accel"),
                         workdir, "accel", ["--mem-size", "256M", "--quiet",
                                            "--uapi", opts.uapi,
                                            "--fuzz-seed", str(seed)], env)


def slot_power(q, mach, on):
    sltctl = mach.pcie_cap(q, HB_BUS) + 0x18
    cur = mach.cfg_read(q, HB_BUS, sltctl, 2) & ~0x700
    # PCC 0x400 (1: off), PIC 0x300 (01b on, 11b off)
    mach.cfg_write(q, HB_BUS, sltctl, cur | (0x100 if on else 0x700), 2)


def attempt(q, mach, accel_sock, guest):
    """One hot-plug; returns True if the device realized (and is gone
    again), or the error with which realize was refused."""
    slot_power(q, mach, True)
    args = {"driver": "vfio-user-pci", "id": "fz", "bus": "rp0",
            "socket": {"type": "unix", "path": accel_sock}}
    if guest:
        args["cxl-decoders"] = "guest"
    rsp = q.command("device_add", **args)
    if "error" in rsp:
        desc = rsp["error"].get("desc", "")
        if not desc:
            raise RuntimeError("realize refused without a message")
        return desc
    q.command("device_del", id="fz")
    slot_power(q, mach, False)
    q.wait_event("DEVICE_DELETED", ATTEMPT_TIMEOUT)
    return True


def main():
    p = cxlfuzz.arg_parser(__doc__)
    p.add_argument("--realizes", type=int, default=10000)
    p.add_argument("--uapi", choices=("v2", "v5"), default="v2",
                   help="the kernel interface the emulator serves")
    p.add_argument("--verbose", action="store_true",
                   help="print each attempt's time and outcome")
    opts = p.parse_args()
    seed, report_dir, env = cxlfuzz.start("backend-fuzz", opts)
    mach = cxlfuzz.Machine(opts.arch)
    rnd = random.Random(seed)
    ok = refused = crashes = hangs = 0
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="cxl-bfuzz-") as workdir:
        accel = start_accel(opts, workdir, env, seed)
        q = start_qemu(opts, mach, workdir, env)
        for i in range(opts.realizes):
            try:
                t = time.monotonic()
                res = attempt(q, mach, accel.sock, rnd.random() < 0.3)
                if res is True:
                    ok += 1
                else:
                    refused += 1
                if opts.verbose:
                    print("backend-fuzz: realize %d: %.2f s: %s"
                          % (i, time.monotonic() - t,
                             "works" if res is True else res), flush=True)
            except (OSError, EOFError, ValueError, TimeoutError,
                    RuntimeError) as e:
                # A QEMU that aborts closes its sockets before it is gone
                try:
                    q.proc.wait(5)
                except subprocess.TimeoutExpired:
                    pass
                alive = q.alive()
                if alive:
                    hangs += 1
                else:
                    crashes += 1
                print("backend-fuzz: %s realize %d (client seed %d): %s: %s"
                      % (opts.arch, i, seed + i, "hang" if alive else
                         "QEMU died", e), flush=True)
                print(open(q.stderr_path).read()[-3000:], end="")
                q.proc.kill()
                q.quit()
                q = start_qemu(opts, mach, workdir, env)
            if not accel.alive():
                crashes += 1
                print("backend-fuzz: the emulator died at realize %d" % i)
                accel = start_accel(opts, workdir, env, seed + i + 1)
        rc = q.quit()
        if rc not in (0, None):
            crashes += 1
            print("backend-fuzz: QEMU exit status %s" % rc)
        accel.stop()
    reports = cxlfuzz.show_reports("backend-fuzz", report_dir)
    total = ok + refused + crashes + hangs
    print("backend-fuzz: %s %s: %d realizes in %.0f s: %d worked, "
          "%d refused" % (opts.arch, opts.uapi, total,
                          time.monotonic() - start, ok, refused))
    print("RESULT realizes=%d ok=%d refused=%d crashes=%d hangs=%d reports=%d"
          % (total, ok, refused, crashes, hangs, reports))
    return 0 if not (crashes or hangs or reports) else 1


if __name__ == "__main__":
    sys.exit(main())
