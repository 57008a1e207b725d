/*
 * CXL Type-2 passthrough: parsing of the vfio-pci CXL UAPI (v2).
 *
 * The input comes from the kernel or from a vfio-user server, which may be
 * malicious: every index, offset and size is checked before use, and each
 * error says what is wrong. Nothing here touches QEMU device state, so the
 * parser is unit tested on its own (tests/unit/test-vfio-cxl-uapi.c).
 *
 * Copyright (c) 2026 QEMU CXL Type-2 team
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "hw/registerfields.h"
#include "hw/vfio/cxl-uapi.h"

/* The v2 capability: 32 bytes, version 1. */
#define VFIO_CXL_CAP_VERSION    1

bool vfio_cxl_parse_device_info(const struct vfio_device_info *info,
                                VFIOCXLDesc *desc, bool *present,
                                Error **errp)
{
    const struct vfio_info_cap_header *hdr = NULL;
    struct vfio_device_info_cap_cxl cap_copy, *cap = &cap_copy;
    uint32_t off = 0, end;

    memset(desc, 0, sizeof(*desc));
    *present = false;

    if (info->flags & VFIO_DEVICE_FLAGS_CAPS) {
        for (off = info->cap_offset; off; off = hdr->next) {
            hdr = (const void *)info + off;
            if (hdr->id == VFIO_DEVICE_INFO_CAP_CXL) {
                break;
            }
        }
    }

    if (!(info->flags & VFIO_DEVICE_FLAGS_CXL)) {
        if (off) {
            error_setg(errp, "device has a CXL capability (id %d) but does "
                       "not set VFIO_DEVICE_FLAGS_CXL",
                       VFIO_DEVICE_INFO_CAP_CXL);
            return false;
        }
        return true;
    }
    if (!off) {
        error_setg(errp, "device sets VFIO_DEVICE_FLAGS_CXL but has no CXL "
                   "capability (id %d) in its device info",
                   VFIO_DEVICE_INFO_CAP_CXL);
        return false;
    }

    if (hdr->version != VFIO_CXL_CAP_VERSION) {
        error_setg(errp, "CXL capability version %u is not supported "
                   "(expected %u)", hdr->version, VFIO_CXL_CAP_VERSION);
        return false;
    }
    /* The capability extends to the next one or to the end of the info. */
    end = hdr->next > off ? hdr->next : info->argsz;
    if (end < off || end - off < sizeof(*cap)) {
        error_setg(errp, "CXL capability is truncated: %u bytes, "
                   "expected %zu", end < off ? 0 : end - off, sizeof(*cap));
        return false;
    }
    /*
     * Capabilities are only 4-byte aligned (a vfio-user server need not
     * align them as the kernel does), and this one has a 64-bit member.
     */
    memcpy(cap, hdr, sizeof(*cap));

    if (cap->hdm_regs_bar_index > VFIO_PCI_BAR5_REGION_INDEX) {
        error_setg(errp, "CXL capability names BAR %u for the component "
                   "registers; BARs are 0 to 5", cap->hdm_regs_bar_index);
        return false;
    }
    if (cap->hdm_regs_offset < CXL_CACHEMEM_OFFSET ||
        cap->hdm_regs_offset % 4) {
        error_setg(errp, "CXL capability hdm_regs_offset 0x%" PRIx64
                   " is not a CXL.cachemem offset (component block + 0x%x, "
                   "dword aligned)", (uint64_t)cap->hdm_regs_offset,
                   CXL_CACHEMEM_OFFSET);
        return false;
    }
    if (cap->dpa_region_index < VFIO_PCI_NUM_REGIONS ||
        cap->dpa_region_index >= info->num_regions) {
        error_setg(errp, "CXL device memory region index %u is out of range "
                   "(device-specific regions are %u to %d)",
                   cap->dpa_region_index, VFIO_PCI_NUM_REGIONS,
                   (int)info->num_regions - 1);
        return false;
    }
    if (cap->comp_regs_region_index < VFIO_PCI_NUM_REGIONS ||
        cap->comp_regs_region_index >= info->num_regions) {
        error_setg(errp, "CXL COMP_REGS region index %u is out of range "
                   "(device-specific regions are %u to %d)",
                   cap->comp_regs_region_index, VFIO_PCI_NUM_REGIONS,
                   (int)info->num_regions - 1);
        return false;
    }
    if (cap->dpa_region_index == cap->comp_regs_region_index) {
        error_setg(errp, "CXL device memory and COMP_REGS both claim "
                   "region %u", cap->dpa_region_index);
        return false;
    }

    desc->flags = cap->flags;
    desc->bar = cap->hdm_regs_bar_index;
    desc->cachemem_offset = cap->hdm_regs_offset;
    desc->block_offset = cap->hdm_regs_offset - CXL_CACHEMEM_OFFSET;
    desc->mem_index = cap->dpa_region_index;
    desc->regs_index = cap->comp_regs_region_index;
    *present = true;
    return true;
}

/* Bounded walk of a region info capability chain. */
static const struct vfio_region_info_cap_type *
vfio_cxl_region_type(const struct vfio_region_info *info)
{
    uint32_t off;

    if (!(info->flags & VFIO_REGION_INFO_FLAG_CAPS)) {
        return NULL;
    }
    for (off = info->cap_offset; off; ) {
        const struct vfio_info_cap_header *hdr = (const void *)info + off;

        if (off < sizeof(*info) || off % 4 ||
            info->argsz < sizeof(struct vfio_region_info_cap_type) ||
            off > info->argsz - sizeof(struct vfio_region_info_cap_type)) {
            return NULL;
        }
        if (hdr->id == VFIO_REGION_INFO_CAP_TYPE) {
            return (const void *)hdr;
        }
        if (hdr->next <= off) {
            return NULL;
        }
        off = hdr->next;
    }
    return NULL;
}

static bool vfio_cxl_check_region(const struct vfio_region_info *info,
                                  const char *what, uint32_t index,
                                  uint32_t subtype, Error **errp)
{
    const struct vfio_region_info_cap_type *type;

    if (info->index != index) {
        error_setg(errp, "CXL %s: region info is for index %u, not %u",
                   what, info->index, index);
        return false;
    }
    type = vfio_cxl_region_type(info);
    if (!type) {
        error_setg(errp, "CXL %s region %u has no region type capability",
                   what, index);
        return false;
    }
    if (type->type != VFIO_CXL_REGION_TYPE || type->subtype != subtype) {
        error_setg(errp, "CXL %s region %u has type 0x%x subtype %u, "
                   "expected type 0x%x subtype %u", what, index, type->type,
                   type->subtype, VFIO_CXL_REGION_TYPE, subtype);
        return false;
    }
    if ((info->flags & (VFIO_REGION_INFO_FLAG_READ |
                        VFIO_REGION_INFO_FLAG_WRITE)) !=
        (VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE)) {
        error_setg(errp, "CXL %s region %u is not readable and writable",
                   what, index);
        return false;
    }
    if (!info->size) {
        error_setg(errp, "CXL %s region %u has size zero", what, index);
        return false;
    }
    return true;
}

bool vfio_cxl_parse_regions(VFIOCXLDesc *desc,
                            const struct vfio_region_info *bar,
                            const struct vfio_region_info *mem,
                            const struct vfio_region_info *regs,
                            Error **errp)
{
    if (!vfio_cxl_check_region(mem, "device memory", desc->mem_index,
                               VFIO_REGION_SUBTYPE_CXL, errp) ||
        !vfio_cxl_check_region(regs, "COMP_REGS", desc->regs_index,
                               VFIO_REGION_SUBTYPE_CXL_COMP_REGS, errp)) {
        return false;
    }

    if (!(mem->flags & VFIO_REGION_INFO_FLAG_MMAP)) {
        error_setg(errp, "CXL device memory region %u cannot be mmapped; "
                   "QEMU maps device memory into the guest directly",
                   desc->mem_index);
        return false;
    }
    if (mem->size % CXL_HDM_GRANULE) {
        error_setg(errp, "CXL device memory size 0x%llx is not a multiple "
                   "of 256 MiB", (unsigned long long)mem->size);
        return false;
    }

    if (regs->size % 4 || regs->size > VFIO_CXL_COMP_REGS_MAX_SIZE) {
        error_setg(errp, "CXL COMP_REGS size 0x%llx is not a dword multiple "
                   "of at most 0x%x bytes", (unsigned long long)regs->size,
                   VFIO_CXL_COMP_REGS_MAX_SIZE);
        return false;
    }

    if (bar->index != desc->bar) {
        error_setg(errp, "CXL component BAR: region info is for index %u, "
                   "not %u", bar->index, desc->bar);
        return false;
    }
    if (desc->block_offset >= bar->size ||
        bar->size - desc->block_offset < CXL_COMPONENT_BLOCK_SIZE) {
        error_setg(errp, "CXL component block at 0x%" PRIx64 " (64 KiB, "
                   "from hdm_regs_offset 0x%" PRIx64 ") lies outside "
                   "BAR %u of size 0x%llx", desc->block_offset,
                   desc->cachemem_offset, desc->bar,
                   (unsigned long long)bar->size);
        return false;
    }

    desc->mem_size = mem->size;
    desc->mem_fd_offset = mem->offset;
    desc->regs_size = regs->size;
    return true;
}

/* CXL r3.1 8.2.4.20.1: Decoder Count encoding; 0 when reserved. */
static unsigned vfio_cxl_decoder_count(unsigned enc)
{
    if (enc == 0) {
        return 1;
    }
    if (enc <= 8) {
        return enc * 2;
    }
    if (enc <= 12) {
        return 20 + (enc - 9) * 4;
    }
    return 0;
}

bool vfio_cxl_parse_comp_regs(VFIOCXLDesc *desc, VFIOCXLRegRead read,
                              void *opaque, Error **errp)
{
    uint32_t hdr, entry, cap, hdm = 0, last;
    unsigned n, i, count;

    if (desc->regs_size < 4) {
        error_setg(errp, "CXL COMP_REGS is too small for a capability "
                   "header");
        return false;
    }
    if (!read(opaque, 0, &hdr, errp)) {
        return false;
    }
    if (FIELD_EX32(hdr, CXL_CAP_ARRAY_HDR, ID) != CXL_CAP_ID_CAPABILITY) {
        error_setg(errp, "CXL COMP_REGS does not start with a CXL Capability "
                   "Header (dword 0 is 0x%08x)", hdr);
        return false;
    }
    n = FIELD_EX32(hdr, CXL_CAP_ARRAY_HDR, ARRAY_SIZE);
    if ((n + 1) * 4 > desc->regs_size) {
        error_setg(errp, "CXL capability array of %u entries does not fit "
                   "in COMP_REGS of 0x%" PRIx64 " bytes", n, desc->regs_size);
        return false;
    }

    for (i = 1; i <= n; i++) {
        if (!read(opaque, i * 4, &entry, errp)) {
            return false;
        }
        if (FIELD_EX32(entry, CXL_CAP_HDR, ID) ==
            CXL_CAP_ID_HDM) {
            hdm = FIELD_EX32(entry, CXL_CAP_HDR, PTR);
            break;
        }
    }
    if (i > n) {
        error_setg(errp, "CXL COMP_REGS has no HDM Decoder Capability "
                   "(id %d) in its capability array",
                   CXL_CAP_ID_HDM);
        return false;
    }
    if (hdm % 4 || hdm < (n + 1) * 4 ||
        hdm + CXL_HDM_DECODER_FIRST + CXL_HDM_DECODER_STRIDE >
        desc->regs_size) {
        error_setg(errp, "CXL HDM Decoder Capability at 0x%x lies outside "
                   "COMP_REGS (0x%" PRIx64 " bytes) or overlaps its "
                   "capability array", hdm, desc->regs_size);
        return false;
    }

    if (!read(opaque, hdm + A_CXL_HDM_CAP, &cap, errp)) {
        return false;
    }
    count = vfio_cxl_decoder_count(FIELD_EX32(cap, CXL_HDM_CAP,
                                              DECODER_COUNT));
    if (!count) {
        error_setg(errp, "CXL HDM Decoder Capability 0x%08x has a reserved "
                   "decoder count encoding", cap);
        return false;
    }
    last = hdm + CXL_HDM_DECODER_FIRST +
           count * CXL_HDM_DECODER_STRIDE;
    if (last > desc->regs_size) {
        error_setg(errp, "CXL COMP_REGS (0x%" PRIx64 " bytes) is too small "
                   "for %u HDM decoders at 0x%x", desc->regs_size, count,
                   hdm);
        return false;
    }

    desc->hdm_offset = hdm;
    desc->hdm_count = count;
    desc->hdm_cap = cap;
    return true;
}

bool vfio_cxl_read_host_decoder(const VFIOCXLDesc *desc, VFIOCXLRegRead read,
                                void *opaque, unsigned n,
                                VFIOCXLHostDecoder *dec, Error **errp)
{
    static const uint32_t regs[] = {
        A_CXL_HDM_DEC_BASE_LO, A_CXL_HDM_DEC_BASE_HI, A_CXL_HDM_DEC_SIZE_LO,
        A_CXL_HDM_DEC_SIZE_HI, A_CXL_HDM_DEC_DPA_SKIP_LO,
        A_CXL_HDM_DEC_DPA_SKIP_HI, A_CXL_HDM_DEC_CTRL,
    };
    uint32_t v[ARRAY_SIZE(regs)];
    unsigned i;

    if (n >= desc->hdm_count) {
        error_setg(errp, "HDM decoder %u does not exist (%u decoders)", n,
                   desc->hdm_count);
        return false;
    }
    for (i = 0; i < ARRAY_SIZE(regs); i++) {
        if (!read(opaque, vfio_cxl_hdm_reg(desc, n, regs[i]), &v[i], errp)) {
            return false;
        }
    }
    dec->base = deposit64(v[0] & CXL_HDM_ADDR_LO_MASK, 32, 32, v[1]);
    dec->size = deposit64(v[2] & CXL_HDM_ADDR_LO_MASK, 32, 32, v[3]);
    dec->dpa_skip = deposit64(v[4] & CXL_HDM_ADDR_LO_MASK, 32, 32, v[5]);
    dec->ctrl = v[6];
    dec->committed = FIELD_EX32(dec->ctrl, CXL_HDM_DEC_CTRL, COMMITTED);
    return true;
}

/*
 * v2: the kernel's shadow shows a firmware-committed decoder with BASE 0
 * and LOCK cleared, and wants the guest base written into it. A locked
 * shadow drops BASE writes, so take its LOCK->0 path first; then commit
 * and lock it again, and check it reads what firmware would have left.
 */
bool vfio_cxl_place_host_decoder(const VFIOCXLDesc *desc, VFIOCXLRegRead read,
                                 VFIOCXLRegWrite write, void *opaque,
                                 unsigned n, uint64_t base, Error **errp)
{
    uint32_t ctrl_off = vfio_cxl_hdm_reg(desc, n, A_CXL_HDM_DEC_CTRL);
    VFIOCXLHostDecoder dec;
    uint32_t ctrl;

    if (base % CXL_HDM_GRANULE) {
        error_setg(errp, "HDM decoder base 0x%" PRIx64 " is not 256 MiB "
                   "aligned", base);
        return false;
    }
    if (!vfio_cxl_read_host_decoder(desc, read, opaque, n, &dec, errp)) {
        return false;
    }
    ctrl = dec.ctrl;
    if (FIELD_EX32(ctrl, CXL_HDM_DEC_CTRL, LOCK_ON_COMMIT)) {
        ctrl = FIELD_DP32(ctrl, CXL_HDM_DEC_CTRL, LOCK_ON_COMMIT, 0);
        if (!write(opaque, ctrl_off, ctrl, errp)) {
            return false;
        }
    }
    if (!write(opaque, vfio_cxl_hdm_reg(desc, n, A_CXL_HDM_DEC_BASE_LO),
               base & CXL_HDM_ADDR_LO_MASK, errp) ||
        !write(opaque, vfio_cxl_hdm_reg(desc, n, A_CXL_HDM_DEC_BASE_HI),
               base >> 32, errp)) {
        return false;
    }
    ctrl = FIELD_DP32(ctrl, CXL_HDM_DEC_CTRL, COMMITTED, 0);
    ctrl = FIELD_DP32(ctrl, CXL_HDM_DEC_CTRL, ERR_NOT_COMMITTED, 0);
    ctrl = FIELD_DP32(ctrl, CXL_HDM_DEC_CTRL, COMMIT, 1);
    ctrl = FIELD_DP32(ctrl, CXL_HDM_DEC_CTRL, LOCK_ON_COMMIT, 1);
    if (!write(opaque, ctrl_off, ctrl, errp) ||
        !vfio_cxl_read_host_decoder(desc, read, opaque, n, &dec, errp)) {
        return false;
    }
    if (!dec.committed || dec.base != base) {
        error_setg(errp, "HDM decoder %u did not commit at 0x%" PRIx64
                   " (reads base 0x%" PRIx64 ", control 0x%08x)", n, base,
                   dec.base, dec.ctrl);
        return false;
    }
    return true;
}

bool vfio_cxl_check_mem_dma(const char *backend, bool accept_no_dma,
                            Error **errp)
{
    if (!backend || strcmp(backend, "iommufd") || accept_no_dma) {
        return true;
    }
    error_setg(errp, "the iommufd backend cannot DMA map the device memory "
               "(a VM_PFNMAP mapping) on this kernel: the device could not "
               "DMA to its own memory at the addresses the guest gives it");
    error_append_hint(errp, "Use the legacy VFIO container (drop iommufd=...), "
                      "which maps it, or set x-cxl-no-mem-dma=on to pass the "
                      "device through without DMA to its own memory.\n");
    return false;
}
