/*
 * Emulated CXL Type-2 accelerator: PCI identity, BAR layout and the
 * accelerator register set
 *
 * This header is the contract with tests and guest drivers: it says where
 * things are in the device's register BAR and what the accelerator
 * registers do.
 *
 * Copyright (c) 2026 QEMU CXL Type-2 team
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef VFIO_USER_CXL_ACCEL_ACCEL_REGS_H
#define VFIO_USER_CXL_ACCEL_ACCEL_REGS_H

/*
 * PCI identity. Red Hat's vendor ID with a device ID outside the range
 * QEMU's own devices use; the class is "processing accelerator", which
 * keeps the device clear of the Type-3 memory-device class (0x0502) that
 * the kernel refuses to treat as Type-2.
 */
#define ACCEL_PCI_VENDOR_ID      0x1b36
#define ACCEL_PCI_DEVICE_ID      0x0cf2
#define ACCEL_PCI_REVISION       0x01
#define ACCEL_PCI_CLASS_CODE     0x120000    /* base 0x12, sub 0, prog-if 0 */

/*
 * The register BAR: a 64-bit, non-prefetchable memory BAR holding the
 * 64 KiB CXL component register block and, outside that block, a 4 KiB
 * page of accelerator registers.
 */
#define ACCEL_REG_BAR            2
#define ACCEL_REG_BAR_SIZE       (2 * MiB)

/*
 * Where the component block sits in the BAR (--block-at), one per
 * topology of the kernel's sparse-mmap rules:
 *   end:    [BAR_SIZE - 64K, BAR_SIZE)   sparse area [0, off)
 *   start:  [0, 64K)                     sparse area [64K, BAR_SIZE)
 *   middle: [1M, 1M + 64K)               sparse areas [0, off), [off + 64K,
 *                                        BAR_SIZE)
 */
#define ACCEL_BLOCK_MIDDLE_OFFSET (1 * MiB)

/*
 * The accelerator register page is at BAR offset 0, or right after the
 * component block when the block is at the start of the BAR; see
 * accel_regs_offset(). It lies in an mmap-able sparse area, so the
 * registers are plain memory shared with the client: the device writes
 * the read-only values at open and at every reset, and the server drops
 * REGION_WRITEs to them, but a client that maps the area can overwrite
 * them (as it could overwrite a real device's RAM-like register file).
 */
#define ACCEL_REGS_SIZE          0x1000

/* Identity: reads ACCEL_ID_VALUE ("CXL2" in ASCII). Read-only. */
#define ACCEL_REG_ID             0x00
#define ACCEL_ID_VALUE           0x43584c32
/* Version of this register set: major in [31:16], minor in [15:0]. RO. */
#define ACCEL_REG_VERSION        0x04
#define ACCEL_VERSION_VALUE      0x00010000
/* Scratch: read/write, zero at open and reset. */
#define ACCEL_REG_SCRATCH        0x08
/* Device-memory size in bytes, low and high dwords. Read-only. */
#define ACCEL_REG_MEM_SIZE_LO    0x10
#define ACCEL_REG_MEM_SIZE_HI    0x14
/* Component block offset in the BAR, low and high dwords. Read-only. */
#define ACCEL_REG_BLOCK_OFF_LO   0x18
#define ACCEL_REG_BLOCK_OFF_HI   0x1c
/*
 * The copy engine, as an accelerator's DMA engine: it copies LEN bytes
 * from SRC to DST, both I/O virtual addresses of the device (guest RAM, or
 * the device memory at its window address), through what the client
 * DMA-mapped. The guest writes SRC, DST and LEN, then 1 to DOORBELL; the
 * device takes the request (DOORBELL reads 0 again), sets BUSY, and at
 * the end clears BUSY and sets DONE, plus ERROR with a code in DMA_ERROR
 * if it refused or failed. The guest clears DONE and ERROR by writing 0
 * to DMA_STATUS. All read/write (plain memory), zero at open and reset.
 */
#define ACCEL_REG_DMA_SRC_LO     0x20
#define ACCEL_REG_DMA_SRC_HI     0x24
#define ACCEL_REG_DMA_DST_LO     0x28
#define ACCEL_REG_DMA_DST_HI     0x2c
#define ACCEL_REG_DMA_LEN        0x30
#define ACCEL_REG_DMA_DOORBELL   0x34
#define   ACCEL_DMA_DOORBELL_GO     (1u << 0)
/*
 * With GO on a Cache_Capable device: the writes to DST stay in the
 * device's write-back cache (as CXL.cache lines it owns) until a Cache
 * Write Back and Invalidation; a reset discards them. Not cached while
 * DVSEC Control2 Disable Caching is set.
 */
#define   ACCEL_DMA_DOORBELL_CACHED (1u << 1)
#define ACCEL_REG_DMA_STATUS     0x38
#define   ACCEL_DMA_STATUS_DONE    (1u << 0)
#define   ACCEL_DMA_STATUS_ERROR   (1u << 1)
#define   ACCEL_DMA_STATUS_BUSY    (1u << 2)
#define ACCEL_REG_DMA_ERROR      0x3c
/* The largest copy one request may ask for */
#define ACCEL_DMA_MAX_LEN        (16 * MiB)

/* DMA_ERROR codes: the first error of a request */
typedef enum AccelDMAError {
    ACCEL_DMA_OK = 0,
    ACCEL_DMA_ERR_LEN_ZERO = 1,         /* LEN is 0 */
    ACCEL_DMA_ERR_LEN_TOO_BIG = 2,      /* LEN > ACCEL_DMA_MAX_LEN */
    ACCEL_DMA_ERR_SRC_UNMAPPED = 3,     /* SRC not in a DMA mapping */
    ACCEL_DMA_ERR_DST_UNMAPPED = 4,     /* DST not in a DMA mapping */
    ACCEL_DMA_ERR_SRC_CROSSES = 5,      /* [SRC, SRC+LEN) runs into a hole */
    ACCEL_DMA_ERR_DST_CROSSES = 6,      /* [DST, DST+LEN) runs into a hole */
    ACCEL_DMA_ERR_BUSY = 7,             /* DOORBELL rung while busy: ignored */
    ACCEL_DMA_ERR_CLIENT = 8,           /* the client failed a DMA_READ/WRITE */
    ACCEL_DMA_ERR_CLIENT_GONE = 9,      /* the client went away */
} AccelDMAError;

/* Second scratch area: 0x100..0x1ff read/write, zero at open and reset. */
#define ACCEL_REG_SCRATCH_AREA   0x100
#define ACCEL_REG_SCRATCH_AREA_SIZE 0x100

#endif
