/*
 * PCIe DVSEC for CXL Devices (DVSEC ID 0, CXL r3.1/r4.0 8.1.3) and the
 * Register Locator DVSEC (ID 8, 8.1.9): register offsets and bit fields
 *
 * Offsets come from QEMU's hw/cxl/cxl_pci.h structure; the 16-bit
 * registers are declared with REG32 only to get FIELD() masks. Used by the
 * passthrough code (hw/vfio/cxl.c) and by the emulated accelerator
 * (contrib/vfio-user-cxl-accel), which must agree bit for bit.
 *
 * Copyright (c) 2026 QEMU CXL Type-2 team
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_CXL_CXL_DVSEC_LAYOUT_H
#define HW_CXL_CXL_DVSEC_LAYOUT_H

#include "hw/registerfields.h"
#include "hw/cxl/cxl_pci.h"

/* PCIe extended capability header (PCIe r6 7.6.3) */
REG32(PCIE_EXT_CAP_HDR, 0)
    FIELD(PCIE_EXT_CAP_HDR, ID, 0, 16)
    FIELD(PCIE_EXT_CAP_HDR, VER, 16, 4)
    FIELD(PCIE_EXT_CAP_HDR, NEXT, 20, 12)

#define PCIE_EXT_CAP_DVSEC_VER 1

/* DVSEC Header 1, at PCIE_DVSEC_HEADER1_OFFSET in every DVSEC */
REG32(DVSEC_HDR1, PCIE_DVSEC_HEADER1_OFFSET)
    FIELD(DVSEC_HDR1, VENDOR, 0, 16)
    FIELD(DVSEC_HDR1, REV, 16, 4)
    FIELD(DVSEC_HDR1, LEN, 20, 12)

/*
 * CXL Device DVSEC (DVSEC ID 0). The register offsets are those of
 * QEMU's CXLDVSECDevice; the bit definitions follow CXL r4.0 8.1.3.
 */
#define CXL_DVSEC_CAP       offsetof(CXLDVSECDevice, cap)
#define CXL_DVSEC_CTRL      offsetof(CXLDVSECDevice, ctrl)
#define CXL_DVSEC_STATUS    offsetof(CXLDVSECDevice, status)
#define CXL_DVSEC_CTRL2     offsetof(CXLDVSECDevice, ctrl2)
#define CXL_DVSEC_STATUS2   offsetof(CXLDVSECDevice, status2)
#define CXL_DVSEC_LOCK      offsetof(CXLDVSECDevice, lock)
#define CXL_DVSEC_CAP2      offsetof(CXLDVSECDevice, cap2)
#define CXL_DVSEC_R1_SIZE_HI offsetof(CXLDVSECDevice, range1_size_hi)
#define CXL_DVSEC_R1_SIZE_LO offsetof(CXLDVSECDevice, range1_size_lo)
#define CXL_DVSEC_R1_BASE_HI offsetof(CXLDVSECDevice, range1_base_hi)
#define CXL_DVSEC_R1_BASE_LO offsetof(CXLDVSECDevice, range1_base_lo)
#define CXL_DVSEC_R2_SIZE_HI offsetof(CXLDVSECDevice, range2_size_hi)
#define CXL_DVSEC_R2_SIZE_LO offsetof(CXLDVSECDevice, range2_size_lo)
#define CXL_DVSEC_R2_BASE_HI offsetof(CXLDVSECDevice, range2_base_hi)
#define CXL_DVSEC_R2_BASE_LO offsetof(CXLDVSECDevice, range2_base_lo)
#define CXL_DVSEC_CAP3      offsetof(CXLDVSECDevice, cap3)

/* 16-bit registers, declared with REG32 only to get FIELD() masks */
REG32(CXL_DVSEC_CAP, 0)
    FIELD(CXL_DVSEC_CAP, CACHE_CAPABLE, 0, 1)
    FIELD(CXL_DVSEC_CAP, IO_CAPABLE, 1, 1)
    FIELD(CXL_DVSEC_CAP, MEM_CAPABLE, 2, 1)
    FIELD(CXL_DVSEC_CAP, MEM_HWINIT_MODE, 3, 1)
    FIELD(CXL_DVSEC_CAP, HDM_COUNT, 4, 2)
    FIELD(CXL_DVSEC_CAP, CACHE_WBI_CAPABLE, 6, 1)
    FIELD(CXL_DVSEC_CAP, CXL_RESET_CAPABLE, 7, 1)

REG32(CXL_DVSEC_CTRL, 0)
    FIELD(CXL_DVSEC_CTRL, CACHE_ENABLE, 0, 1)
    FIELD(CXL_DVSEC_CTRL, IO_ENABLE, 1, 1)
    FIELD(CXL_DVSEC_CTRL, MEM_ENABLE, 2, 1)
    FIELD(CXL_DVSEC_CTRL, P2P_MEM_ENABLE, 12, 1)
    FIELD(CXL_DVSEC_CTRL, RSVDP13, 13, 1)
    FIELD(CXL_DVSEC_CTRL, VIRAL_ENABLE, 14, 1)
    FIELD(CXL_DVSEC_CTRL, RSVDP15, 15, 1)

REG32(CXL_DVSEC_STATUS, 0)
    FIELD(CXL_DVSEC_STATUS, VIRAL, 14, 1)

REG32(CXL_DVSEC_CTRL2, 0)
    FIELD(CXL_DVSEC_CTRL2, DISABLE_CACHING, 0, 1)
    FIELD(CXL_DVSEC_CTRL2, INITIATE_WBI, 1, 1)
    FIELD(CXL_DVSEC_CTRL2, INITIATE_CXL_RESET, 2, 1)
    FIELD(CXL_DVSEC_CTRL2, RESET_MEM_CLR_EN, 3, 1)
    FIELD(CXL_DVSEC_CTRL2, DESIRED_VOLATILE_HDM, 4, 1)
    FIELD(CXL_DVSEC_CTRL2, MOD_COMPLETION_EN, 5, 1)
    FIELD(CXL_DVSEC_CTRL2, RSVDP, 6, 10)

REG32(CXL_DVSEC_STATUS2, 0)
    FIELD(CXL_DVSEC_STATUS2, CACHE_INVALID, 0, 1)
    FIELD(CXL_DVSEC_STATUS2, CXL_RESET_COMPLETE, 1, 1)
    FIELD(CXL_DVSEC_STATUS2, CXL_RESET_ERROR, 2, 1)
    FIELD(CXL_DVSEC_STATUS2, VOLATILE_HDM_PRES_ERR, 3, 1)

REG32(CXL_DVSEC_LOCK, 0)
    FIELD(CXL_DVSEC_LOCK, CONFIG_LOCK, 0, 1)

REG32(CXL_DVSEC_CAP2, 0)
    FIELD(CXL_DVSEC_CAP2, MOD_COMPLETION_CAPABLE, 6, 1)

/*
 * Range n Size Low / Base Low (CXL r4.0 8.1.3.8); Range 2's registers are
 * CXL_DVSEC_RANGE_STRIDE after Range 1's.
 */
#define CXL_DVSEC_RANGE_STRIDE (CXL_DVSEC_R2_SIZE_HI - CXL_DVSEC_R1_SIZE_HI)
REG32(CXL_DVSEC_RANGE_SIZE_LO, 0)
    FIELD(CXL_DVSEC_RANGE_SIZE_LO, MEM_INFO_VALID, 0, 1)
    FIELD(CXL_DVSEC_RANGE_SIZE_LO, MEM_ACTIVE, 1, 1)
    FIELD(CXL_DVSEC_RANGE_SIZE_LO, SIZE_LOW, 28, 4)
REG32(CXL_DVSEC_RANGE_BASE_LO, 0)
    FIELD(CXL_DVSEC_RANGE_BASE_LO, BASE_LOW, 28, 4)

REG32(CXL_DVSEC_CAP3, 0)
    FIELD(CXL_DVSEC_CAP3, VOLATILE_HDM_CONFIGURABILITY, 3, 1)
    FIELD(CXL_DVSEC_CAP3, P2P_MEM_CAPABLE, 4, 1)

/*
 * Register Locator DVSEC (DVSEC ID 8, CXL r4.0 8.1.9): 8-byte entries
 * from CXL_REGLOC_ENTRIES_OFFSET to the DVSEC's length; the high dword of
 * an entry holds offset bits [63:32].
 */
#define CXL_REGLOC_ENTRIES_OFFSET 0x0c
#define CXL_REGLOC_ENTRY_SIZE     8
REG32(CXL_REGLOC_LO, 0)
    FIELD(CXL_REGLOC_LO, BIR, 0, 3)
    FIELD(CXL_REGLOC_LO, BLOCK_ID, 8, 8)
    FIELD(CXL_REGLOC_LO, OFFSET_LOW, 16, 16)
#define CXL_REGLOC_BLOCK_COMPONENT 1

#endif /* HW_CXL_CXL_DVSEC_LAYOUT_H */
