/*
 * CXL Type-2 passthrough: parsing of the vfio-pci CXL UAPI, v2 and v5.
 *
 * The input comes from the kernel or from a vfio-user server, which may be
 * malicious: every index, offset and size is checked before use, and each
 * error says what is wrong. Nothing here touches QEMU device state, so the
 * parser is unit tested on its own (tests/unit/test-vfio-cxl-uapi.c).
 *
 * Which revision a device speaks is decided here and only here: v2 when
 * its device info has the v2 CXL capability (id 6, version 1, 32 bytes or
 * more), v5 when it sets VFIO_DEVICE_FLAGS_CXL without one.
 *
 * Copyright (c) 2026 QEMU CXL Type-2 team
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "hw/registerfields.h"
#include "hw/cxl/cxl-dvsec-layout.h"
#include "hw/vfio/cxl-uapi.h"
#include "standard-headers/linux/pci_regs.h"

/* The v2 capability: 32 bytes, version 1. */
#define VFIO_CXL_CAP_VERSION    1

const char *vfio_cxl_uapi_str(VFIOCXLUAPI uapi)
{
    switch (uapi) {
    case VFIO_CXL_UAPI_V2:
        return "v2";
    case VFIO_CXL_UAPI_V5:
        return "v5";
    default:
        return "none";
    }
}

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
        /* The series since v4 has no device capability. */
        desc->why = "VFIO_DEVICE_FLAGS_CXL without a device capability";
        desc->uapi = VFIO_CXL_UAPI_V5;
        *present = true;
        return true;
    }
    /* The capability extends to the next one or to the end of the info. */
    end = hdr->next > off ? hdr->next : info->argsz;
    if (hdr->version != VFIO_CXL_CAP_VERSION ||
        end < off || end - off < sizeof(*cap)) {
        /*
         * Not v2's: a later revision may keep a capability of its own
         * (flags only was planned for v4). What the device is, the v5
         * reading decides.
         */
        desc->why = "a device capability that is not v2's (version or "
                    "size)";
        desc->uapi = VFIO_CXL_UAPI_V5;
        *present = true;
        return true;
    }
    desc->why = "the v2 device capability (id 6, version 1)";
    desc->uapi = VFIO_CXL_UAPI_V2;
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
    desc->regs_offset = cap->hdm_regs_offset;
    desc->block_offset = cap->hdm_regs_offset - CXL_CACHEMEM_OFFSET;
    desc->mem_index = cap->dpa_region_index;
    desc->regs_index = cap->comp_regs_region_index;
    *present = true;
    return true;
}

/*
 * Bounded walk of a region info capability chain: capability @id of at
 * least @size bytes, or NULL.
 */
static const void *vfio_cxl_region_cap(const struct vfio_region_info *info,
                                       uint16_t id, size_t size)
{
    uint32_t off;

    if (!(info->flags & VFIO_REGION_INFO_FLAG_CAPS)) {
        return NULL;
    }
    for (off = info->cap_offset; off; ) {
        const struct vfio_info_cap_header *hdr = (const void *)info + off;

        if (off < sizeof(*info) || off % 4 ||
            info->argsz < sizeof(*hdr) || off > info->argsz - sizeof(*hdr)) {
            return NULL;
        }
        if (hdr->id == id) {
            return info->argsz < size || off > info->argsz - size ?
                   NULL : hdr;
        }
        if (hdr->next <= off) {
            return NULL;
        }
        off = hdr->next;
    }
    return NULL;
}

static const struct vfio_region_info_cap_type *
vfio_cxl_region_type(const struct vfio_region_info *info)
{
    return vfio_cxl_region_cap(info, VFIO_REGION_INFO_CAP_TYPE,
                               sizeof(struct vfio_region_info_cap_type));
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
    bool v5 = desc->uapi == VFIO_CXL_UAPI_V5;
    uint64_t regs_max = v5 ? VFIO_CXL_V5_COMP_REGS_MAX_SIZE :
                             VFIO_CXL_COMP_REGS_MAX_SIZE;

    if (!vfio_cxl_check_region(mem, "device memory", desc->mem_index,
                               v5 ? VFIO_REGION_SUBTYPE_CXL_MEM :
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

    if (regs->size % 4 || regs->size > regs_max) {
        error_setg(errp, "CXL COMP_REGS size 0x%llx is not a dword multiple "
                   "of at most 0x%" PRIx64 " bytes",
                   (unsigned long long)regs->size, regs_max);
        return false;
    }

    if (bar->index != desc->bar) {
        error_setg(errp, "CXL component BAR: region info is for index %u, "
                   "not %u", bar->index, desc->bar);
        return false;
    }
    if (!v5 && (desc->block_offset >= bar->size ||
                bar->size - desc->block_offset < CXL_COMPONENT_BLOCK_SIZE)) {
        error_setg(errp, "CXL component block at 0x%" PRIx64 " (64 KiB, "
                   "from hdm_regs_offset 0x%" PRIx64 ") lies outside "
                   "BAR %u of size 0x%llx", desc->block_offset,
                   desc->cachemem_offset, desc->bar,
                   (unsigned long long)bar->size);
        return false;
    }
    if (v5 && (desc->regs_offset >= bar->size ||
               bar->size - desc->regs_offset < regs->size)) {
        error_setg(errp, "CXL HDM decoder block at 0x%" PRIx64 " (0x%llx "
                   "bytes) lies outside BAR %u of size 0x%llx",
                   desc->regs_offset, (unsigned long long)regs->size,
                   desc->bar, (unsigned long long)bar->size);
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

/* The HDM Decoder Capability register at @at, and the decoders it counts */
static bool vfio_cxl_read_hdm_cap(VFIOCXLRegRead read, void *opaque,
                                  uint32_t at, uint32_t *cap,
                                  unsigned *count, Error **errp)
{
    if (!read(opaque, at + A_CXL_HDM_CAP, cap, errp)) {
        return false;
    }
    *count = vfio_cxl_decoder_count(FIELD_EX32(*cap, CXL_HDM_CAP,
                                               DECODER_COUNT));
    if (!*count) {
        error_setg(errp, "CXL HDM Decoder Capability 0x%08x has a reserved "
                   "decoder count encoding", *cap);
        return false;
    }
    return true;
}

/*
 * v5: COMP_REGS is the HDM Decoder Capability structure itself, its
 * Capability register at offset 0, and just as big as its decoders need.
 */
static bool vfio_cxl_parse_comp_regs_v5(VFIOCXLDesc *desc,
                                        VFIOCXLRegRead read, void *opaque,
                                        Error **errp)
{
    uint32_t cap, size;
    unsigned count;

    if (desc->regs_size < CXL_HDM_DECODER_FIRST) {
        error_setg(errp, "CXL COMP_REGS of 0x%" PRIx64 " bytes is too small "
                   "for an HDM Decoder Capability", desc->regs_size);
        return false;
    }
    if (!vfio_cxl_read_hdm_cap(read, opaque, 0, &cap, &count, errp)) {
        return false;
    }
    size = CXL_HDM_DECODER_FIRST + count * CXL_HDM_DECODER_STRIDE;
    if (size != desc->regs_size) {
        error_setg(errp, "CXL COMP_REGS (0x%" PRIx64 " bytes) is not the HDM "
                   "decoder block of the %u decoders its Capability "
                   "register 0x%08x counts (0x%x bytes)", desc->regs_size,
                   count, cap, size);
        return false;
    }
    desc->hdm_offset = 0;
    desc->hdm_count = count;
    desc->hdm_cap = cap;
    return true;
}

bool vfio_cxl_parse_comp_regs(VFIOCXLDesc *desc, VFIOCXLRegRead read,
                              void *opaque, Error **errp)
{
    uint32_t hdr, entry, cap, hdm = 0, last;
    unsigned n, i, count;

    if (desc->uapi == VFIO_CXL_UAPI_V5) {
        return vfio_cxl_parse_comp_regs_v5(desc, read, opaque, errp);
    }
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

    if (!vfio_cxl_read_hdm_cap(read, opaque, hdm, &cap, &count, errp)) {
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
    if (desc->uapi == VFIO_CXL_UAPI_V5) {
        /*
         * v5 drops COMP_REGS writes and keeps no shadow: the guest's view
         * is QEMU's alone. The host must still decode the memory.
         */
        if (!dec.committed) {
            error_setg(errp, "the host's HDM decoder %u is not committed "
                       "(control 0x%08x)", n, dec.ctrl);
            return false;
        }
        return true;
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
        /* What BASE reads instead may be the host's address: not said. */
        error_setg(errp, "HDM decoder %u did not commit at 0x%" PRIx64
                   " (%s, control 0x%08x)", n, base,
                   dec.committed ? "another base" : "not committed",
                   dec.ctrl);
        return false;
    }
    return true;
}

bool vfio_cxl_check_mem_dma(const VFIOCXLDesc *desc, const char *backend,
                            bool accept_no_dma, int dmabuf, Error **errp)
{
    if (!backend || strcmp(backend, "iommufd") || accept_no_dma) {
        return true;
    }
    if (desc->uapi == VFIO_CXL_UAPI_V5) {
        if (dmabuf >= 0) {
            return true;
        }
        error_setg(errp, "the iommufd backend maps the device memory of a "
                   "v5 host only through the dma-buf the kernel exports "
                   "(VFIO_DEVICE_FEATURE_DMA_BUF), and this kernel exports "
                   "none (%s): the device could not DMA to its own memory "
                   "at the addresses the guest gives it", strerror(-dmabuf));
    } else {
        error_setg(errp, "the iommufd backend cannot DMA map the device "
                   "memory (a VM_PFNMAP mapping) of a v2 host: the device "
                   "could not DMA to its own memory at the addresses the "
                   "guest gives it");
    }
    error_append_hint(errp, "Use the legacy VFIO container (drop iommufd=...), "
                      "which maps it, or set x-cxl-no-mem-dma=on to pass the "
                      "device through without DMA to its own memory.\n");
    return false;
}

uint32_t vfio_cxl_regs_traceable(const VFIOCXLDesc *desc, uint32_t offset,
                                 uint32_t val)
{
    uint32_t rel;

    if (offset < desc->hdm_offset + CXL_HDM_DECODER_FIRST) {
        return val;
    }
    rel = (offset - desc->hdm_offset - CXL_HDM_DECODER_FIRST) %
          CXL_HDM_DECODER_STRIDE + CXL_HDM_DECODER_FIRST;
    return rel == A_CXL_HDM_DEC_BASE_LO || rel == A_CXL_HDM_DEC_BASE_HI ?
           0 : val;
}

/* DVSECs: config space reads through the transport */

bool vfio_cxl_find_dvsec(const VFIOCXLIO *io, uint16_t id, uint32_t *offset,
                         Error **errp)
{
    uint32_t off = PCI_CFG_SPACE_SIZE, hdr, h1, h2;
    unsigned n;

    *offset = 0;
    /*
     * A chain that loops, or whose next DVSEC header would not fit in
     * config space, ends the walk (found by fuzz-cxl-describe).
     */
    for (n = 0; off >= PCI_CFG_SPACE_SIZE && off % 4 == 0 &&
                off + PCIE_DVSEC_ID_OFFSET + 2 <= PCI_CFG_SPACE_EXP_SIZE &&
                n < PCI_CFG_SPACE_EXP_SIZE / 4; n++) {
        if (!io->config_read(io->opaque, off, 4, &hdr, errp) ||
            !io->config_read(io->opaque, off + PCIE_DVSEC_HEADER1_OFFSET, 4,
                             &h1, errp) ||
            !io->config_read(io->opaque, off + PCIE_DVSEC_ID_OFFSET, 2, &h2,
                             errp)) {
            return false;
        }
        if (FIELD_EX32(hdr, PCIE_EXT_CAP_HDR, ID) == PCI_EXT_CAP_ID_DVSEC &&
            FIELD_EX32(h1, DVSEC_HDR1, VENDOR) == CXL_VENDOR_ID && h2 == id) {
            *offset = off;
            return true;
        }
        off = FIELD_EX32(hdr, PCIE_EXT_CAP_HDR, NEXT);
    }
    return true;
}

/* v5: the regions, found by their type */

static bool vfio_cxl_v5_find_regions(const struct vfio_device_info *info,
                                     const VFIOCXLIO *io, VFIOCXLDesc *desc,
                                     Error **errp)
{
    uint32_t i, found_mem = 0, found_regs = 0;

    if (info->num_regions > VFIO_PCI_NUM_REGIONS + VFIO_CXL_V5_MAX_REGIONS) {
        error_setg(errp, "device reports %u regions; QEMU looks for the CXL "
                   "regions among at most %d device-specific ones",
                   info->num_regions, VFIO_CXL_V5_MAX_REGIONS);
        return false;
    }
    for (i = VFIO_PCI_NUM_REGIONS; i < info->num_regions; i++) {
        const struct vfio_region_info_cap_type *type;
        struct vfio_region_info *reg;
        uint32_t *slot;
        int ret = io->region_info(io->opaque, i, &reg);

        if (ret) {
            error_setg_errno(errp, -ret, "cannot read the info of region %u",
                             i);
            return false;
        }
        type = vfio_cxl_region_type(reg);
        if (!type || type->type != VFIO_CXL_REGION_TYPE) {
            continue;
        }
        if (type->subtype == VFIO_REGION_SUBTYPE_CXL_MEM) {
            slot = &found_mem;
        } else if (type->subtype == VFIO_REGION_SUBTYPE_CXL_COMP_REGS) {
            slot = &found_regs;
        } else {
            continue;
        }
        if (*slot) {
            error_setg(errp, "regions %u and %u both have CXL subtype %u",
                       *slot, i, type->subtype);
            return false;
        }
        *slot = i;
    }
    if (!found_mem || !found_regs) {
        error_setg(errp, "the device sets VFIO_DEVICE_FLAGS_CXL but has no "
                   "CXL %s region (type 0x%x subtype %u)",
                   found_mem ? "COMP_REGS" : "device memory",
                   VFIO_CXL_REGION_TYPE,
                   found_mem ? VFIO_REGION_SUBTYPE_CXL_COMP_REGS :
                               VFIO_REGION_SUBTYPE_CXL_MEM);
        return false;
    }
    desc->mem_index = found_mem;
    desc->regs_index = found_regs;
    return true;
}

/*
 * v5: the HDM decoder block through the device's own description: the
 * Register Locator DVSEC's component block, then the CXL capability array
 * at its CXL.cachemem start, read through the BAR. False with @errp set
 * when the device does not describe one.
 */
static bool vfio_cxl_v5_walk(const VFIOCXLIO *io, VFIOCXLDesc *desc,
                             unsigned *bar, uint64_t *hdm, Error **errp)
{
    uint32_t loc, h1, len, lo, hi, hdr, entry;
    uint64_t block = 0;
    unsigned i, n;
    bool found = false;

    if (!vfio_cxl_find_dvsec(io, REG_LOC_DVSEC, &loc, errp)) {
        return false;
    }
    if (!loc) {
        error_setg(errp, "no Register Locator DVSEC");
        return false;
    }
    if (!io->config_read(io->opaque, loc + PCIE_DVSEC_HEADER1_OFFSET, 4, &h1,
                         errp)) {
        return false;
    }
    len = FIELD_EX32(h1, DVSEC_HDR1, LEN);
    for (i = CXL_REGLOC_ENTRIES_OFFSET;
         i + CXL_REGLOC_ENTRY_SIZE <= len &&
         loc + i + CXL_REGLOC_ENTRY_SIZE <= PCI_CFG_SPACE_EXP_SIZE;
         i += CXL_REGLOC_ENTRY_SIZE) {
        if (!io->config_read(io->opaque, loc + i, 4, &lo, errp) ||
            !io->config_read(io->opaque, loc + i + 4, 4, &hi, errp)) {
            return false;
        }
        if (FIELD_EX32(lo, CXL_REGLOC_LO, BLOCK_ID) ==
            CXL_REGLOC_BLOCK_COMPONENT) {
            *bar = FIELD_EX32(lo, CXL_REGLOC_LO, BIR);
            block = deposit64(lo & R_CXL_REGLOC_LO_OFFSET_LOW_MASK, 32, 32,
                              hi);
            found = true;
            break;
        }
    }
    if (!found || *bar > VFIO_PCI_BAR5_REGION_INDEX) {
        error_setg(errp, "the Register Locator DVSEC names no component "
                   "register block in a BAR");
        return false;
    }
    if (!io->bar_read(io->opaque, *bar, block + CXL_CACHEMEM_OFFSET, &hdr,
                      errp)) {
        return false;
    }
    if (FIELD_EX32(hdr, CXL_CAP_ARRAY_HDR, ID) != CXL_CAP_ID_CAPABILITY) {
        error_setg(errp, "BAR %u at 0x%" PRIx64 " holds no CXL Capability "
                   "Header (0x%08x)", *bar, block + CXL_CACHEMEM_OFFSET, hdr);
        return false;
    }
    n = FIELD_EX32(hdr, CXL_CAP_ARRAY_HDR, ARRAY_SIZE);
    for (i = 1; i <= n; i++) {
        if (!io->bar_read(io->opaque, *bar,
                          block + CXL_CACHEMEM_OFFSET + 4 * i, &entry,
                          errp)) {
            return false;
        }
        if (FIELD_EX32(entry, CXL_CAP_HDR, ID) == CXL_CAP_ID_HDM) {
            desc->block_offset = block;
            desc->cachemem_offset = block + CXL_CACHEMEM_OFFSET;
            *hdm = desc->cachemem_offset + FIELD_EX32(entry, CXL_CAP_HDR, PTR);
            return true;
        }
    }
    error_setg(errp, "the CXL capability array in BAR %u has no HDM "
               "Decoder Capability", *bar);
    return false;
}

/*
 * v5: where the HDM decoder block sits in the BAR. The kernel says it in
 * the COMP_REGS region capability, whose id and layout are provisional;
 * the device's own registers say it too. Both, when both are there, must
 * agree; either alone decides.
 */
static bool vfio_cxl_v5_locate(const VFIOCXLIO *io, VFIOCXLDesc *desc,
                               Error **errp)
{
    const struct vfio_region_info_cap_cxl_comp_regs *cap = NULL;
    struct vfio_region_info *regs;
    Error *walk_err = NULL;
    unsigned walk_bar = 0;
    uint64_t walk_hdm = 0;
    bool walked;
    int ret;

    ret = io->region_info(io->opaque, desc->regs_index, &regs);
    if (ret) {
        error_setg_errno(errp, -ret, "cannot read the COMP_REGS region info");
        return false;
    }
    cap = vfio_cxl_region_cap(regs, VFIO_REGION_INFO_CAP_CXL_COMP_REGS,
                              sizeof(*cap));
    if (cap && cap->header.version !=
        VFIO_REGION_INFO_CAP_CXL_COMP_REGS_VERSION) {
        cap = NULL;
    }
    walked = vfio_cxl_v5_walk(io, desc, &walk_bar, &walk_hdm, &walk_err);
    if (!cap) {
        if (!walked) {
            error_propagate_prepend(errp, walk_err, "cannot find the HDM "
                                    "decoder block: no COMP_REGS region "
                                    "capability (id %d), and ",
                                    VFIO_REGION_INFO_CAP_CXL_COMP_REGS);
            return false;
        }
        desc->bar = walk_bar;
        desc->regs_offset = walk_hdm;
        desc->located_by = "the device's Register Locator and capability "
                           "array (no COMP_REGS region capability)";
        return true;
    }
    if (cap->bar > VFIO_PCI_BAR5_REGION_INDEX || cap->offset % 4) {
        error_setg(errp, "the COMP_REGS region capability names BAR %u "
                   "offset 0x%" PRIx64 ": not a dword in a BAR", cap->bar,
                   (uint64_t)cap->offset);
        error_free(walk_err);
        return false;
    }
    if (walked && (walk_bar != cap->bar || walk_hdm != cap->offset)) {
        error_setg(errp, "the COMP_REGS region capability puts the HDM "
                   "decoder block at BAR %u offset 0x%" PRIx64 ", the "
                   "device's Register Locator and capability array at BAR "
                   "%u offset 0x%" PRIx64, cap->bar, (uint64_t)cap->offset,
                   walk_bar, walk_hdm);
        return false;
    }
    desc->located_by = walked ?
        "the COMP_REGS region capability and the device's registers" :
        "the COMP_REGS region capability (the device's registers say "
        "nothing)";
    error_free(walk_err);
    desc->bar = cap->bar;
    desc->regs_offset = cap->offset;
    return true;
}

/*
 * v5: what v2's capability flags said, from the registers: decoder 0
 * committed by firmware (live COMP_REGS), Cache_Capable (the DVSEC).
 */
static bool vfio_cxl_v5_flags(const VFIOCXLIO *io, VFIOCXLDesc *desc,
                              Error **errp)
{
    VFIOCXLHostDecoder dec;
    uint32_t dvsec, cap;

    desc->flags = 0;
    if (!vfio_cxl_read_host_decoder(desc, io->regs_read, io->opaque, 0, &dec,
                                    errp)) {
        return false;
    }
    if (dec.committed) {
        desc->flags |= VFIO_CXL_CAP_FIRMWARE_COMMITTED;
    }
    if (!vfio_cxl_find_dvsec(io, PCIE_CXL_DEVICE_DVSEC, &dvsec, errp)) {
        return false;
    }
    if (dvsec) {
        if (!io->config_read(io->opaque, dvsec + CXL_DVSEC_CAP, 2, &cap,
                             errp)) {
            return false;
        }
        if (FIELD_EX32(cap, CXL_DVSEC_CAP, CACHE_CAPABLE)) {
            desc->flags |= VFIO_CXL_CAP_CACHE_CAPABLE;
        }
    }
    return true;
}

bool vfio_cxl_describe(const struct vfio_device_info *info,
                       const VFIOCXLIO *io, VFIOCXLDesc *desc, Error **errp)
{
    struct vfio_region_info *bar, *mem, *regs;
    bool present;
    int ret;

    if (!vfio_cxl_parse_device_info(info, desc, &present, errp)) {
        return false;
    }
    if (!present) {
        return true;
    }
    if (desc->uapi == VFIO_CXL_UAPI_V5) {
        desc->regs_live = true;
        desc->mem_gated = true;
        if (!vfio_cxl_v5_find_regions(info, io, desc, errp) ||
            !vfio_cxl_v5_locate(io, desc, errp)) {
            goto fail;
        }
    }
    ret = io->region_info(io->opaque, desc->bar, &bar);
    if (!ret) {
        ret = io->region_info(io->opaque, desc->mem_index, &mem);
    }
    if (!ret) {
        ret = io->region_info(io->opaque, desc->regs_index, &regs);
    }
    if (ret) {
        error_setg_errno(errp, -ret, "cannot read the CXL region info");
        goto fail;
    }
    if (!vfio_cxl_parse_regions(desc, bar, mem, regs, errp) ||
        !vfio_cxl_parse_comp_regs(desc, io->regs_read, io->opaque, errp)) {
        goto fail;
    }
    if (desc->uapi == VFIO_CXL_UAPI_V5 && !vfio_cxl_v5_flags(io, desc, errp)) {
        goto fail;
    }
    return true;

fail:
    error_prepend(errp, "%s interface (%s): ", vfio_cxl_uapi_str(desc->uapi),
                  desc->why);
    return false;
}
