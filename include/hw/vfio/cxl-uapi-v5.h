/*
 * The vfio-pci CXL Type-2 interface as the kernel series posts it since
 * v4 ("v5": v5, 2026-09-16, Message-ID
 * 20260916183540.3813685-1-mhonap@nvidia.com): the numbers that no
 * released kernel header has yet.
 *
 * Everything here is provisional, and this is the one place to change
 * when the series merges: QEMU (hw/vfio/cxl-uapi.c), the emulated
 * accelerator (contrib/vfio-user-cxl-accel) and the host driver
 * (contrib/vfio-cxl-pci) all take these numbers from this file. Once a
 * linux-headers sync brings the series' own definitions, the guarded
 * blocks below step aside.
 *
 * Source of what is known: the series' development code, which matches
 * its patch titles (legoater/linux drivers/vfio/pci/cxl/vfio_cxl_core.c,
 * tools/testing/selftests/vfio/vfio_cxl_type2_test.c), read 2026-12.
 * Known: the flag VFIO_DEVICE_FLAGS_CXL (1 << 9, as in v2); the region
 * type VFIO_REGION_TYPE_PCI_VENDOR_TYPE | 0x1e98; two regions, memory and
 * COMP_REGS; a region info capability on COMP_REGS, version 1, with the
 * members bar (u32) and offset (u64, the BAR offset of the HDM Decoder
 * Capability); no device info capability.
 *
 * Plain C with <linux/types.h> types, so that a kernel module and a
 * program built outside QEMU can include it too.
 *
 * Copyright (c) 2026 QEMU CXL Type-2 team
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_VFIO_CXL_UAPI_V5_H
#define HW_VFIO_CXL_UAPI_V5_H

#include <linux/types.h>
#include <linux/vfio.h>

/*
 * Region subtypes of VFIO_REGION_TYPE_PCI_VENDOR_TYPE | 0x1e98.
 * Provisional: the series renamed the v1-v3 subtypes (CXL, CXL_COMP_REGS)
 * to CXL_MEM and CXL_COMP_REGS; their values are not in any public header.
 * Most likely unchanged (1 and 2). Confidence: medium. QEMU finds the
 * regions by scanning all region types, so only these two values matter.
 */
#ifndef VFIO_REGION_SUBTYPE_CXL_MEM
#define VFIO_REGION_SUBTYPE_CXL_MEM             (1)
#endif
#ifndef VFIO_REGION_SUBTYPE_CXL_COMP_REGS
#define VFIO_REGION_SUBTYPE_CXL_COMP_REGS       (2)
#endif

/*
 * Region info capability of the COMP_REGS region: where the HDM Decoder
 * Capability sits in the component register BAR.
 * Provisional id: the next free region info capability id after
 * VFIO_REGION_INFO_CAP_NVLINK2_LNKSPD (5). Confidence: medium. QEMU also
 * locates the decoder block through the Register Locator DVSEC and the
 * CXL capability array, so a wrong id costs nothing but the cross-check.
 * Provisional layout: header, u32 bar, u32 padding, u64 offset (24
 * bytes; natural alignment of the u64). Confidence: medium.
 * Known: version 1; offset is the BAR offset of the HDM Decoder
 * Capability register, not of the 64 KiB component block; there is no
 * size (the COMP_REGS region's size is the decoder block's).
 */
#ifndef VFIO_REGION_INFO_CAP_CXL_COMP_REGS
#define VFIO_REGION_INFO_CAP_CXL_COMP_REGS          6
#define VFIO_REGION_INFO_CAP_CXL_COMP_REGS_VERSION  1

struct vfio_region_info_cap_cxl_comp_regs {
    struct vfio_info_cap_header header;
    __u32 bar;          /* VFIO_PCI_BAR0_REGION_INDEX .. BAR5 */
    __u32 __pad;
    __u64 offset;       /* BAR offset of the HDM Decoder Capability */
};
#endif

#endif /* HW_VFIO_CXL_UAPI_V5_H */
