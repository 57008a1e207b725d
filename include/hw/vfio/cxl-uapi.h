/*
 * CXL Type-2 passthrough: the vfio-pci CXL UAPI (v2) turned into a
 * description QEMU works from.
 *
 * Everything that depends on the layout of VFIO_DEVICE_INFO_CAP_CXL, the
 * CXL regions and the COMP_REGS geometry lives here, so that moving to a
 * later revision of the kernel interface is a change to this file and
 * hw/vfio/cxl-uapi.c only.
 *
 * Copyright (c) 2026 QEMU CXL Type-2 team
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_VFIO_CXL_UAPI_H
#define HW_VFIO_CXL_UAPI_H

#include <linux/vfio.h>
#include "qemu/units.h"
#include "hw/cxl/cxl_pci.h"
#include "hw/cxl/cxl-hdm-layout.h"

/* Region type of both CXL regions (device memory and COMP_REGS). */
#define VFIO_CXL_REGION_TYPE \
    (VFIO_REGION_TYPE_PCI_VENDOR_TYPE | CXL_VENDOR_ID)

/* COMP_REGS can at most cover the rest of the component block. */
#define VFIO_CXL_COMP_REGS_MAX_SIZE \
    (CXL_COMPONENT_BLOCK_SIZE - CXL_CACHEMEM_OFFSET)

/*
 * What QEMU needs to know about a CXL Type-2 device, independent of the
 * revision of the UAPI it was read from.
 */
typedef struct VFIOCXLDesc {
    uint32_t flags;             /* VFIO_CXL_CAP_* */

    /* Component registers */
    uint8_t bar;                /* BAR holding the component block */
    uint64_t block_offset;      /* component block offset in the BAR */
    uint64_t cachemem_offset;   /* CXL.cachemem offset in the BAR */

    /* Device memory region */
    uint32_t mem_index;
    uint64_t mem_size;
    uint64_t mem_fd_offset;

    /* COMP_REGS region: byte x stands for BAR byte cachemem_offset + x */
    uint32_t regs_index;
    uint64_t regs_size;

    /* HDM decoders, found in COMP_REGS */
    uint32_t hdm_offset;        /* HDM Decoder Capability in COMP_REGS */
    uint32_t hdm_count;         /* number of decoders */
    uint32_t hdm_cap;           /* its Capability register */
} VFIOCXLDesc;

/*
 * vfio_cxl_parse_device_info: find and check the CXL capability.
 *
 * @info: device information with a capability chain already checked to
 * lie within info->argsz (vfio_device_get_info() does that).
 *
 * Returns false with @errp set when the device claims CXL but the
 * description is malformed; otherwise true, with *@present telling
 * whether the device is a CXL Type-2 device and @desc partly filled in.
 */
bool vfio_cxl_parse_device_info(const struct vfio_device_info *info,
                                VFIOCXLDesc *desc, bool *present,
                                Error **errp);

/*
 * vfio_cxl_parse_regions: check the region information of the BAR, the
 * device memory and COMP_REGS against @desc and complete it.
 */
bool vfio_cxl_parse_regions(VFIOCXLDesc *desc,
                            const struct vfio_region_info *bar,
                            const struct vfio_region_info *mem,
                            const struct vfio_region_info *regs,
                            Error **errp);

/* Read the COMP_REGS dword at @offset; false with @errp set on failure. */
typedef bool (*VFIOCXLRegRead)(void *opaque, uint32_t offset, uint32_t *val,
                               Error **errp);

/*
 * vfio_cxl_parse_comp_regs: walk the CXL Capability Header array at the
 * start of COMP_REGS to the HDM Decoder Capability and fill in
 * hdm_offset and hdm_count.
 */
bool vfio_cxl_parse_comp_regs(VFIOCXLDesc *desc, VFIOCXLRegRead read,
                              void *opaque, Error **errp);

/* Write the COMP_REGS dword at @offset; false with @errp set on failure. */
typedef bool (*VFIOCXLRegWrite)(void *opaque, uint32_t offset, uint32_t val,
                                Error **errp);

/* What COMP_REGS says of one HDM decoder: what the host committed. */
typedef struct VFIOCXLHostDecoder {
    uint64_t base;
    uint64_t size;
    uint64_t dpa_skip;
    uint32_t ctrl;
    bool committed;
} VFIOCXLHostDecoder;

bool vfio_cxl_read_host_decoder(const VFIOCXLDesc *desc, VFIOCXLRegRead read,
                                void *opaque, unsigned n,
                                VFIOCXLHostDecoder *dec, Error **errp);

/*
 * vfio_cxl_place_host_decoder: tell the host that committed decoder @n
 * decodes guest physical @base, where this revision of the interface
 * needs it (v2: BASE written into the shadow, which then reads committed
 * and locked at @base).
 */
bool vfio_cxl_place_host_decoder(const VFIOCXLDesc *desc, VFIOCXLRegRead read,
                                 VFIOCXLRegWrite write, void *opaque,
                                 unsigned n, uint64_t base, Error **errp);

/* Offset in COMP_REGS of register @reg (A_CXL_HDM_DEC_*) of decoder @n. */
static inline uint32_t vfio_cxl_hdm_reg(const VFIOCXLDesc *desc,
                                        unsigned n, uint32_t reg)
{
    return desc->hdm_offset + cxl_hdm_dec_reg(n, reg);
}

/*
 * vfio_cxl_check_mem_dma: whether the device may be passed through with
 * the IOMMU backend @backend ("iommufd", or NULL for the legacy type1
 * container or a vfio-user server). The device reaches its own memory at
 * the addresses the guest gives it only through a DMA mapping of the
 * device memory region, which iommufd cannot make of its VM_PFNMAP
 * mapping on this kernel: refused, unless @accept_no_dma says the guest
 * can do without (x-cxl-no-mem-dma=on).
 */
bool vfio_cxl_check_mem_dma(const char *backend, bool accept_no_dma,
                            Error **errp);

#endif /* HW_VFIO_CXL_UAPI_H */
