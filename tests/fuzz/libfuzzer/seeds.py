#!/usr/bin/env python3
"""Write the seed corpora of the libFuzzer targets (python3 seeds.py DIR
writes DIR/cxl-uapi/, DIR/cxl-describe/ and DIR/cxl-hdm/; the tree's are
in corpus/).

cxl-uapi: what the emulated accelerator answers for one configuration
(block placement, decoder count, Cache_Capable), in the input layout of
fuzz-cxl-uapi.c, so that the fuzzer starts from inputs that pass every
check. cxl-describe: the same for the whole description, v2 and v5
(whose decoder block is located through config space and the BAR), in
the input layout of fuzz-cxl-describe.c. cxl-hdm: what a guest does to commit decoders, in the operation
encoding of fuzz-cxl-hdm.c.

Copyright (c) 2026 QEMU CXL Type-2 team

SPDX-License-Identifier: GPL-2.0-or-later
"""

import os
import struct
import sys

NUM_REGIONS = 9             # VFIO_PCI_NUM_REGIONS
FLAGS_PCI, FLAGS_CAPS, FLAGS_CXL = 1 << 1, 1 << 7, 1 << 9
CAP_CXL, CAP_ATOMIC = 6, 5
REGION_CAP_TYPE = 2             # VFIO_REGION_INFO_CAP_TYPE
REGION_READ, REGION_WRITE, REGION_MMAP, REGION_CAPS = 1, 2, 4, 8
CXL_TYPE = (1 << 31) | 0x1e98
BLOCK = 0x10000
MiB = 1 << 20


def part(b):
    return struct.pack("<H", len(b)) + b


def device_info(bar, cachemem, flags):
    # vfio_device_info (24 bytes), an atomic-comp cap, then the CXL cap
    fixed = 24
    atomic = struct.pack("<HHII", CAP_ATOMIC, 1, fixed + 12 + 4, 0)
    cxl = struct.pack("<HHIB3xIQII", CAP_CXL, 1, 0, bar, flags, cachemem,
                      NUM_REGIONS, NUM_REGIONS + 1)
    size = fixed + len(atomic) + 4 + len(cxl)
    head = struct.pack("<IIIIII", size, FLAGS_PCI | FLAGS_CAPS | FLAGS_CXL,
                       NUM_REGIONS + 2, 5, fixed, 0)
    return head + atomic + b"\0" * 4 + cxl


def region_info(index, flags, size, subtype=None):
    # vfio_region_info is 32 bytes; a type cap follows when there is one
    cap = b""
    if subtype is not None:
        flags |= REGION_CAPS
        cap = struct.pack("<HHIII", REGION_CAP_TYPE, 1, 0, CXL_TYPE, subtype)
    head = struct.pack("<IIIIQQ", 32 + len(cap), flags, index,
                       32 if cap else 0, size, index << 40)
    return head + cap


def comp_regs(decoders, committed):
    # Capability header array: CXL, RAS at 0x20, HDM at 0x100
    hdm = 0x100
    count = decoders // 2 if decoders > 1 else 0
    regs = bytearray(hdm + 0x10 + 0x20 * decoders)
    struct.pack_into("<III", regs, 0, 1 | 1 << 16 | 1 << 20 | 2 << 24,
                     2 | 2 << 16 | 0x20 << 20, 5 | 1 << 16 | hdm << 20)
    struct.pack_into("<II", regs, hdm, count, 1 << 1)
    for n in range(committed):
        at = hdm + 0x10 + 0x20 * n
        struct.pack_into("<IIIII", regs, at, 0, 0, 256 * MiB & 0xf0000000,
                         0, 1 << 8 | 1 << 9 | 1 << 10)
    return bytes(regs)


def seed(block_at, decoders, committed, cache):
    bar_size = 4 * BLOCK
    block = {"start": 0, "middle": BLOCK, "end": bar_size - BLOCK}[block_at]
    regs = comp_regs(decoders, committed)
    rw = REGION_READ | REGION_WRITE
    return (part(device_info(2, block + 0x1000, 1 | (2 if cache else 0))) +
            part(region_info(2, rw | REGION_MMAP, bar_size)) +
            part(region_info(NUM_REGIONS, rw | REGION_MMAP,
                             256 * MiB * committed, 1)) +
            part(region_info(NUM_REGIONS + 1, rw, len(regs), 2)) + regs)


# fuzz-cxl-describe.c: device info, config space, BAR 2, region infos from
# index 0, COMP_REGS. v5 (no device capability): the Register Locator at
# 0x140 names the block; the capability array at its CXL.cachemem start
# points at the decoder block, which the COMP_REGS region capability names
# too (provisional id 6, {bar, pad, offset}).
REGLOC, DVSEC_DEV = 0x140, 0x100
REGION_CAP_COMP_REGS = 6
HDM_PTR = 0x200


def ext_dvsec(off, dvsec_id, length, nxt):
    return (struct.pack("<II", 0x23 | 1 << 16 | nxt << 20,
                        0x1e98 | length << 20) + struct.pack("<H", dvsec_id))


def v5_config(block):
    cfg = bytearray(0x180)
    cfg[DVSEC_DEV:DVSEC_DEV + 10] = ext_dvsec(DVSEC_DEV, 0, 0x3c, REGLOC)
    cfg[REGLOC:REGLOC + 10] = ext_dvsec(REGLOC, 8, 0x14, 0)
    struct.pack_into("<II", cfg, REGLOC + 0xc,
                     2 | 1 << 8 | (block & 0xffff0000), block >> 32)
    return bytes(cfg)


def v5_bar(block):
    # The block up to its decoder block, which reads all ones through the
    # BAR; the window starts at the block (its offset in 64 KiB units)
    bar = bytearray(0x1000 + HDM_PTR + 0x30)
    struct.pack_into("<III", bar, 0x1000,
                     1 | 1 << 16 | 1 << 20 | 2 << 24,
                     2 | 2 << 16 | 0x100 << 20, 5 | 1 << 16 | HDM_PTR << 20)
    bar[0x1000 + HDM_PTR:] = b"\xff" * 0x30
    return struct.pack("<I", block >> 16) + bytes(bar)


def v5_regions(block, bar_size):
    rw = REGION_READ | REGION_WRITE
    parts = [region_info(i, rw if i == 7 else 0, 0x1000 if i == 7 else 0)
             for i in range(NUM_REGIONS)]
    parts[2] = region_info(2, rw | REGION_MMAP, bar_size)
    parts.append(region_info(NUM_REGIONS, rw | REGION_MMAP, 256 * MiB, 1))
    # COMP_REGS: the type cap, then the COMP_REGS cap
    head = struct.pack("<IIIIQQ", 32 + 16 + 24, rw | REGION_CAPS,
                       NUM_REGIONS + 1, 32, 0x30, (NUM_REGIONS + 1) << 40)
    caps = (struct.pack("<HHIII", REGION_CAP_TYPE, 1, 48, CXL_TYPE, 2) +
            struct.pack("<HHIIIQ", REGION_CAP_COMP_REGS, 1, 0, 2, 0,
                        block + 0x1000 + HDM_PTR))
    parts.append(head + caps)
    return b"".join(part(x) for x in parts)


def v5_comp_regs():
    regs = bytearray(0x30)
    struct.pack_into("<II", regs, 0, 0, 1 << 1)
    struct.pack_into("<IIIII", regs, 0x10, 0, 0x40, 256 * MiB, 0,
                     1 << 8 | 1 << 9 | 1 << 10)
    return bytes(regs)


def describe_seed_v5(block_at):
    bar_size = 4 * BLOCK
    block = {"start": 0, "middle": BLOCK, "end": bar_size - BLOCK}[block_at]
    info = struct.pack("<IIIIII", 24, FLAGS_PCI | FLAGS_CXL,
                       NUM_REGIONS + 2, 5, 0, 0)
    return (part(info) + part(v5_config(block)) + part(v5_bar(block)) +
            v5_regions(block, bar_size) + v5_comp_regs())


def describe_seed_v2():
    # The v2 seed of fuzz-cxl-uapi.c's layout, in this one's
    rw = REGION_READ | REGION_WRITE
    bar_size = 4 * BLOCK
    regs = comp_regs(1, 1)
    parts = [region_info(i, 0, 0) for i in range(NUM_REGIONS)]
    parts[2] = region_info(2, rw | REGION_MMAP, bar_size)
    parts.append(region_info(NUM_REGIONS, rw | REGION_MMAP, 256 * MiB, 1))
    parts.append(region_info(NUM_REGIONS + 1, rw, len(regs), 2))
    return (part(device_info(2, 0x1000, 1)) + part(b"") + part(b"") +
            b"".join(part(x) for x in parts) + regs)


# fuzz-cxl-hdm.c: one configuration byte each for the decoder count (1, 2,
# 4, 8), the capability bits, Cache_Capable, device memory and window (in
# 256 MiB granules, less one); then operations.
def hdm_any(off, val, size_log2):
    return bytes([0]) + struct.pack(">HQB", off, val, size_log2)


def hdm_plausible(off, *val):
    return bytes([2]) + struct.pack(">H", off) + bytes(val)


def hdm_commit(n, granule, granules, ctrl=0x0200):
    at = 0x10 + 0x20 * n
    return (hdm_plausible(at, granule) + hdm_plausible(at + 8, granules) +
            hdm_plausible(at + 0x10, ctrl >> 8, ctrl & 0xff))


def hdm_seeds():
    enable = hdm_any(0x04, 2, 2)
    return {
        # decoder 0 over all of 512 MiB
        "seed-commit-one": bytes([0, 0, 0, 1, 3]) + enable +
        hdm_commit(0, 0, 2),
        # two decoders, then an uncommit of the lower one (refused)
        "seed-commit-two": bytes([1, 0, 0, 3, 7]) + enable +
        hdm_commit(0, 0, 1) + hdm_commit(1, 2, 2) +
        hdm_plausible(0x30, 0, 0),
        # firmware's commit, then a guest clearing HDM Decoder Enable
        "seed-firmware": bytes([2, 0, 1, 1, 3, 6, 0, 0, 2, 0]) +
        hdm_any(0x04, 0, 2),
    }


def main():
    top = sys.argv[1]
    out = os.path.join(top, "cxl-hdm")
    os.makedirs(out, exist_ok=True)
    for name, data in hdm_seeds().items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
    out = os.path.join(top, "cxl-describe")
    os.makedirs(out, exist_ok=True)
    seeds = {"seed-v2": describe_seed_v2()}
    for block_at in ("start", "middle", "end"):
        seeds["seed-v5-" + block_at] = describe_seed_v5(block_at)
    for name, data in seeds.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
    out = os.path.join(top, "cxl-uapi")
    os.makedirs(out, exist_ok=True)
    # Each block placement once with one decoder, once with several
    for block_at in ("start", "middle", "end"):
        for decoders, committed, cache in ((1, 1, False), (16, 3, True)):
            name = "seed-%s-%d-%d%s" % (block_at, decoders, committed,
                                        "-cache" if cache else "")
            with open(os.path.join(out, name), "wb") as f:
                f.write(seed(block_at, decoders, committed, cache))


if __name__ == "__main__":
    main()
