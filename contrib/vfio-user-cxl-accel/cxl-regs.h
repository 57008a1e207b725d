/*
 * CXL register layouts the emulated CXL Type-2 accelerator implements
 *
 * The Flex Bus Port DVSEC, as described by CXL r3.1/r4.0 (section
 * 8.1.8); the CXL Device and Register Locator DVSECs and the
 * CXL.cachemem registers come from hw/cxl/cxl-dvsec-layout.h and
 * hw/cxl/cxl-hdm-layout.h, shared with QEMU's passthrough.
 * DVSEC offsets come from QEMU's hw/cxl/cxl_pci.h structures; bit fields
 * are declared here with REG32/FIELD so that no code uses a bare number.
 *
 * Copyright (c) 2026 QEMU CXL Type-2 team
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef VFIO_USER_CXL_ACCEL_CXL_REGS_H
#define VFIO_USER_CXL_ACCEL_CXL_REGS_H

#include "hw/registerfields.h"
#include "hw/cxl/cxl_pci.h"
#include "hw/cxl/cxl-hdm-layout.h"
#include "hw/cxl/cxl-dvsec-layout.h"

/* The accelerator offers the CXL 2.0 decoder counts: 1, 2, 4 ... 16. */
#define ACCEL_MAX_DECODERS 16

/*
 * PCIe DVSEC for Flex Bus Port (DVSEC ID 7, CXL r4.0 8.1.8): on a device
 * it reports what link training negotiated. Linux's pcie_is_cxl() reads
 * Status: a function is CXL only if Cache_Enabled or Mem_Enabled is set.
 * Capability, Control and Status share one bit layout for [6:0].
 */
#define CXL_FLEXBUS_CAP     offsetof(CXLDVSECPortFlexBus, cap)
#define CXL_FLEXBUS_CTRL    offsetof(CXLDVSECPortFlexBus, ctrl)
#define CXL_FLEXBUS_STATUS  offsetof(CXLDVSECPortFlexBus, status)
#define CXL_FLEXBUS_RCVD_TS offsetof(CXLDVSECPortFlexBus, \
                                     rcvd_mod_ts_data_phase1)

REG32(CXL_FLEXBUS, 0)
    FIELD(CXL_FLEXBUS, CACHE, 0, 1)
    FIELD(CXL_FLEXBUS, IO, 1, 1)
    FIELD(CXL_FLEXBUS, MEM, 2, 1)
    FIELD(CXL_FLEXBUS, FLIT68_VH, 5, 1)
    FIELD(CXL_FLEXBUS, MLD, 6, 1)

/* Device Serial Number extended capability (PCIe r6 7.9.3) */
#define PCIE_EXT_CAP_DSN_VER    1
#define PCIE_DSN_LOWER          4
#define PCIE_DSN_UPPER          8

#endif
