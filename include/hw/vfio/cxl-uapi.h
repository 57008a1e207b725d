/*
 * CXL Type-2 passthrough: the vfio-pci CXL UAPI turned into a description
 * QEMU works from.
 *
 * Two revisions of the kernel interface are spoken: v2 (the device info
 * capability VFIO_DEVICE_INFO_CAP_CXL, a COMP_REGS shadow of CXL.cachemem
 * that QEMU writes the guest base into; NVIDIA's kernels) and v5 (the
 * series as posted since v4: no device capability, regions found by type,
 * COMP_REGS the HDM decoder block read live with writes dropped, memory
 * gated on Memory Space Enable). Everything that depends on the revision
 * lives here and in hw/vfio/cxl-uapi.c; the numbers v5 has in no public
 * header yet are in hw/vfio/cxl-uapi-v5.h.
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
#include "hw/vfio/cxl-uapi-v5.h"

/* Region type of both CXL regions (device memory and COMP_REGS). */
#define VFIO_CXL_REGION_TYPE \
    (VFIO_REGION_TYPE_PCI_VENDOR_TYPE | CXL_VENDOR_ID)

/* COMP_REGS can at most cover the rest of the component block. */
#define VFIO_CXL_COMP_REGS_MAX_SIZE \
    (CXL_COMPONENT_BLOCK_SIZE - CXL_CACHEMEM_OFFSET)

/* A v5 COMP_REGS region is the HDM decoder block: 32 decoders at most. */
#define VFIO_CXL_V5_COMP_REGS_MAX_SIZE \
    (CXL_HDM_DECODER_FIRST + CXL_HDM_MAX_DECODERS * CXL_HDM_DECODER_STRIDE)

/* Device-specific regions QEMU scans for the v5 regions */
#define VFIO_CXL_V5_MAX_REGIONS     64

/* The revision of the interface a device was described with */
typedef enum VFIOCXLUAPI {
    VFIO_CXL_UAPI_NONE,         /* not CXL: plain PCI passthrough */
    VFIO_CXL_UAPI_V2,
    VFIO_CXL_UAPI_V5,
} VFIOCXLUAPI;

/* "none", "v2" or "v5": the vfio-pci property cxl-uapi */
const char *vfio_cxl_uapi_str(VFIOCXLUAPI uapi);

/*
 * What QEMU needs to know about a CXL Type-2 device, independent of the
 * revision of the UAPI it was read from.
 */
typedef struct VFIOCXLDesc {
    VFIOCXLUAPI uapi;
    const char *why;            /* what decided uapi, for the trace */
    const char *located_by;     /* v5: what found the HDM decoder block */
    uint32_t flags;             /* VFIO_CXL_CAP_*, v5: derived */

    /* Component registers */
    uint8_t bar;                /* BAR holding the component block */
    uint64_t block_offset;      /* component block offset in the BAR */
    uint64_t cachemem_offset;   /* CXL.cachemem offset in the BAR */
    uint64_t regs_offset;       /* BAR offset COMP_REGS byte 0 stands for */

    /*
     * v5: COMP_REGS reads the hardware (BASE is the host's address) and
     * drops writes; the host serves the memory only while Memory Space
     * Enable is set, and a reset clears it.
     */
    bool regs_live;
    bool mem_gated;

    /* Device memory region */
    uint32_t mem_index;
    uint64_t mem_size;
    uint64_t mem_fd_offset;

    /* COMP_REGS region: byte x stands for BAR byte regs_offset + x */
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
 * How the description is read from the device: the transport (kernel or
 * vfio-user server) behind VFIODeviceIOOps, or a unit test.
 */
typedef struct VFIOCXLIO {
    VFIOCXLRegRead regs_read;           /* COMP_REGS, once it is known */
    /* @len (1, 2 or 4) bytes of config space at @offset */
    bool (*config_read)(void *opaque, uint32_t offset, unsigned len,
                        uint32_t *val, Error **errp);
    /* The dword of BAR @bar at @offset */
    bool (*bar_read)(void *opaque, unsigned bar, uint64_t offset,
                     uint32_t *val, Error **errp);
    /* The info of region @index, owned by the device; or -errno */
    int (*region_info)(void *opaque, uint32_t index,
                       struct vfio_region_info **info);
    void *opaque;
} VFIOCXLIO;

/*
 * vfio_cxl_find_dvsec: the config space offset of the CXL DVSEC @id
 * (PCIE_CXL_DEVICE_DVSEC, REG_LOC_DVSEC...), or 0 if there is none. A
 * chain that loops or leaves config space ends the walk. False with
 * @errp set only if config space cannot be read.
 */
bool vfio_cxl_find_dvsec(const VFIOCXLIO *io, uint16_t id, uint32_t *offset,
                         Error **errp);

/*
 * vfio_cxl_describe: the whole description of a device from its device
 * info: which revision of the interface it speaks (@desc->uapi), its
 * regions, where its decoders are, and its flags. @desc->uapi is
 * VFIO_CXL_UAPI_NONE for a device without VFIO_DEVICE_FLAGS_CXL. False
 * with @errp set when the device claims CXL but describes it wrongly.
 */
bool vfio_cxl_describe(const struct vfio_device_info *info,
                       const VFIOCXLIO *io, VFIOCXLDesc *desc, Error **errp);

/*
 * The value of COMP_REGS dword @offset as a trace may show it: decoder
 * BASE registers hide what they hold, which on v5 (and on any shadow that
 * keeps it) is the host's physical address.
 */
uint32_t vfio_cxl_regs_traceable(const VFIOCXLDesc *desc, uint32_t offset,
                                 uint32_t val);

/*
 * vfio_cxl_check_mem_dma: whether the device may be passed through with
 * the IOMMU backend @backend ("iommufd", or NULL for the legacy type1
 * container or a vfio-user server). The device reaches its own memory at
 * the addresses the guest gives it only through a DMA mapping of the
 * device memory region. type1 maps its VM_PFNMAP mmap by address; iommufd
 * cannot, and maps instead the dma-buf a v5 host exports (@dmabuf: its
 * fd, or -errno of the attempt). Refused when neither works, unless
 * @accept_no_dma says the guest can do without (x-cxl-no-mem-dma=on).
 */
bool vfio_cxl_check_mem_dma(const VFIOCXLDesc *desc, const char *backend,
                            bool accept_no_dma, int dmabuf, Error **errp);

#endif /* HW_VFIO_CXL_UAPI_H */
