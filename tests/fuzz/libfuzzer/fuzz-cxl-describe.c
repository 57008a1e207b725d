/*
 * libFuzzer target: the whole description of a CXL device as vfio-pci
 * reads it (vfio_cxl_describe() in hw/vfio/cxl-uapi.c), both revisions:
 * the device info, the region infos found by index or scanned by type,
 * config space (the CXL DVSECs, the Register Locator), the component BAR
 * (the capability array, read to locate v5's decoder block) and COMP_REGS.
 * Every read of the peer's answers lands in a buffer of exactly its size,
 * so that AddressSanitizer sees any read past what the peer sent. What
 * the parser accepts must be a description QEMU can use safely, and that
 * is asserted here.
 *
 * Input layout (little endian), each part a u16 length and its bytes:
 * the device info; config space from offset 0; a window of BAR 2 (the
 * component BAR of the seeds; other BARs read nothing): its u32 offset
 * in 64 KiB units, then its bytes; then one region
 * info per region index from 0, up to the device's num_regions (missing
 * ones fail); the rest is COMP_REGS.
 *
 * Copyright (c) 2026 QEMU CXL Type-2 team
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "hw/vfio/cxl-uapi.h"
#include "hw/vfio/vfio-info-cap.h"
#include "standard-headers/linux/pci_regs.h"
#include "fuzz-input.h"

/* Region infos the input can give: the standard ones and a few more */
#define FUZZ_MAX_REGIONS    (VFIO_PCI_NUM_REGIONS + 8)
#define FUZZ_BAR            2

typedef struct Peer {
    uint8_t *cfg;
    size_t cfg_len;
    uint8_t *bar;
    size_t bar_len;
    uint64_t bar_base;          /* BAR offset of bar[0] */
    struct vfio_region_info *region[FUZZ_MAX_REGIONS];
    const uint8_t *regs;
    size_t regs_avail;
    const VFIOCXLDesc *desc;
} Peer;

static bool peer_regs_read(void *opaque, uint32_t offset, uint32_t *val,
                           Error **errp)
{
    Peer *p = opaque;

    /* vfio-pci's callback refuses what lies outside the region. */
    assert(offset % 4 == 0 && offset + 4 <= p->desc->regs_size);
    if (offset + 4 > p->regs_avail) {
        error_setg(errp, "short read at 0x%x", offset);
        return false;
    }
    *val = ldl_le_p(p->regs + offset);
    return true;
}

static bool peer_config_read(void *opaque, uint32_t offset, unsigned len,
                             uint32_t *val, Error **errp)
{
    Peer *p = opaque;

    assert(len == 1 || len == 2 || len == 4);
    /* A config read outside config space is the parser's bug */
    assert(offset + len <= PCI_CFG_SPACE_EXP_SIZE);
    if (offset + len > p->cfg_len) {
        error_setg(errp, "config read at 0x%x failed", offset);
        return false;
    }
    *val = len == 4 ? ldl_le_p(p->cfg + offset) :
           len == 2 ? lduw_le_p(p->cfg + offset) : p->cfg[offset];
    return true;
}

static bool peer_bar_read(void *opaque, unsigned bar, uint64_t offset,
                          uint32_t *val, Error **errp)
{
    Peer *p = opaque;

    assert(bar <= VFIO_PCI_BAR5_REGION_INDEX);
    if (bar != FUZZ_BAR || offset < p->bar_base ||
        offset - p->bar_base > p->bar_len ||
        p->bar_len - (offset - p->bar_base) < 4) {
        error_setg(errp, "BAR %u read at 0x%" PRIx64 " failed", bar, offset);
        return false;
    }
    *val = ldl_le_p(p->bar + (offset - p->bar_base));
    return true;
}

static int peer_region_info(void *opaque, uint32_t index,
                            struct vfio_region_info **info)
{
    Peer *p = opaque;

    if (index >= FUZZ_MAX_REGIONS || !p->region[index]) {
        return -EINVAL;
    }
    *info = p->region[index];
    return 0;
}

/* What only the whole description can say */
static void check_desc(const VFIOCXLDesc *d, const Peer *p)
{
    const struct vfio_region_info *bar = p->region[d->bar];

    assert(d->bar <= VFIO_PCI_BAR5_REGION_INDEX && bar);
    check_cxl_desc(d, bar->size);
    assert(d->mem_index != d->regs_index);
    assert(d->mem_index >= VFIO_PCI_NUM_REGIONS &&
           d->regs_index >= VFIO_PCI_NUM_REGIONS);
    assert(d->regs_live == (d->uapi == VFIO_CXL_UAPI_V5));
    assert(d->mem_gated == (d->uapi == VFIO_CXL_UAPI_V5));
    assert(!(d->flags & ~(VFIO_CXL_CAP_FIRMWARE_COMMITTED |
                          VFIO_CXL_CAP_CACHE_CAPABLE)) ||
           d->uapi == VFIO_CXL_UAPI_V2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FuzzInput in = { data, size };
    g_autofree struct vfio_device_info *info = NULL;
    VFIOCXLHostDecoder dec;
    VFIOCXLDesc desc;
    Peer p = { .desc = &desc };
    size_t len;
    unsigned i, n;
    VFIOCXLIO io = {
        .regs_read = peer_regs_read,
        .config_read = peer_config_read,
        .bar_read = peer_bar_read,
        .region_info = peer_region_info,
        .opaque = &p,
    };

    info = take_part(&in, sizeof(*info), &len);
    if (!info) {
        return 0;
    }
    /* What vfio_device_get_info() checks before anyone parses it */
    info->argsz = MIN(info->argsz, len);
    if ((info->flags & VFIO_DEVICE_FLAGS_CAPS) &&
        !vfio_info_cap_chain_valid(info, info->argsz, sizeof(*info),
                                   info->cap_offset)) {
        return 0;
    }
    p.cfg = take_part(&in, 0, &p.cfg_len);
    p.bar = take_part(&in, 0, &p.bar_len);
    if (p.bar_len >= 4) {
        p.bar_base = (uint64_t)ldl_le_p(p.bar) << 16;
        p.bar_len -= 4;
        memmove(p.bar, p.bar + 4, p.bar_len);
    } else {
        p.bar_len = 0;
    }
    for (i = 0; i < MIN(info->num_regions, FUZZ_MAX_REGIONS); i++) {
        p.region[i] = take_part(&in, sizeof(*p.region[i]), &len);
        if (!p.region[i]) {
            break;
        }
        /*
         * vfio_device_get_region_info() bounds argsz and fails a chain
         * that leaves the info or loops
         */
        p.region[i]->argsz = MIN(p.region[i]->argsz, len);
        if ((p.region[i]->flags & VFIO_REGION_INFO_FLAG_CAPS) &&
            !vfio_info_cap_chain_valid(p.region[i], p.region[i]->argsz,
                                       sizeof(*p.region[i]),
                                       p.region[i]->cap_offset)) {
            g_clear_pointer(&p.region[i], g_free);
        }
    }
    p.regs = in.data;
    p.regs_avail = in.size;

    if (vfio_cxl_describe(info, &io, &desc, NULL) &&
        desc.uapi != VFIO_CXL_UAPI_NONE) {
        check_desc(&desc, &p);
        for (n = 0; n < desc.hdm_count; n++) {
            if (!vfio_cxl_read_host_decoder(&desc, peer_regs_read, &p, n,
                                            &dec, NULL)) {
                break;
            }
            assert(dec.size % CXL_HDM_GRANULE == 0);
        }
    }
    g_free(p.cfg);
    g_free(p.bar);
    for (i = 0; i < FUZZ_MAX_REGIONS; i++) {
        g_free(p.region[i]);
    }
    return 0;
}
