/*
 * libFuzzer target: the vfio-pci CXL UAPI parser (hw/vfio/cxl-uapi.c).
 *
 * An input is what a kernel or a vfio-user server could answer: a device
 * info with its capability chain, the region infos of the component BAR,
 * the device memory and COMP_REGS, and the COMP_REGS contents. Each part
 * lands in a buffer of exactly its size, so that AddressSanitizer sees any
 * read past what the peer sent. The parser runs as vfio-pci runs it; what
 * it accepts must be a description QEMU can use safely, and that is
 * asserted here.
 *
 * Input layout (little endian): u16 length and bytes of the device info;
 * three times u16 length and bytes of a region info (BAR, memory,
 * COMP_REGS); the rest is COMP_REGS.
 *
 * Copyright (c) 2026 QEMU CXL Type-2 team
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "hw/vfio/cxl-uapi.h"
#include "hw/vfio/vfio-info-cap.h"
#include "fuzz-input.h"

typedef struct CompRegs {
    const uint8_t *data;
    uint64_t size;      /* what the region info claims */
    size_t avail;       /* what the peer really has */
} CompRegs;

static bool regs_read(void *opaque, uint32_t offset, uint32_t *val,
                      Error **errp)
{
    CompRegs *r = opaque;

    /* vfio-pci's callback refuses what lies outside the region. */
    assert(offset % 4 == 0 && offset + 4 <= r->size);
    if (offset + 4 > r->avail) {
        error_setg(errp, "short read at 0x%x", offset);
        return false;
    }
    *val = ldl_le_p(r->data + offset);
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FuzzInput in = { data, size };
    g_autofree struct vfio_device_info *info = NULL;
    g_autofree struct vfio_region_info *bar = NULL, *mem = NULL, *regs = NULL;
    size_t info_len, bar_len, mem_len, regs_len;
    VFIOCXLHostDecoder dec;
    VFIOCXLDesc desc;
    CompRegs comp;
    bool present;
    unsigned n;

    info = take_part(&in, sizeof(*info), &info_len);
    if (!info) {
        return 0;
    }
    /* What vfio_device_get_info() checks before anyone parses it */
    info->argsz = MIN(info->argsz, info_len);
    if ((info->flags & VFIO_DEVICE_FLAGS_CAPS) &&
        !vfio_info_cap_chain_valid(info, info->argsz, sizeof(*info),
                                   info->cap_offset)) {
        return 0;
    }
    if (!vfio_cxl_parse_device_info(info, &desc, &present, NULL) ||
        !present) {
        return 0;
    }

    bar = take_part(&in, sizeof(*bar), &bar_len);
    mem = take_part(&in, sizeof(*mem), &mem_len);
    regs = take_part(&in, sizeof(*regs), &regs_len);
    if (!bar || !mem || !regs) {
        return 0;
    }
    /* vfio_device_get_region_info() bounds argsz the same way */
    bar->argsz = MIN(bar->argsz, bar_len);
    mem->argsz = MIN(mem->argsz, mem_len);
    regs->argsz = MIN(regs->argsz, regs_len);
    if (!vfio_cxl_parse_regions(&desc, bar, mem, regs, NULL)) {
        return 0;
    }

    comp.data = in.data;
    comp.size = desc.regs_size;
    comp.avail = in.size;
    if (!vfio_cxl_parse_comp_regs(&desc, regs_read, &comp, NULL)) {
        return 0;
    }
    check_cxl_desc(&desc, bar->size);
    for (n = 0; n < desc.hdm_count; n++) {
        if (!vfio_cxl_read_host_decoder(&desc, regs_read, &comp, n, &dec,
                                        NULL)) {
            break;
        }
        assert(dec.base % CXL_HDM_GRANULE == 0);
        assert(dec.size % CXL_HDM_GRANULE == 0);
        assert(dec.dpa_skip % CXL_HDM_GRANULE == 0);
    }
    return 0;
}
