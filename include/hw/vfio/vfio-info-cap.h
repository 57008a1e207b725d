/*
 * Checking a VFIO info capability chain before walking it.
 *
 * Copyright (c) 2026 QEMU CXL Type-2 team
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_VFIO_VFIO_INFO_CAP_H
#define HW_VFIO_VFIO_INFO_CAP_H

#include <linux/vfio.h>

/*
 * vfio_info_cap_chain_valid: check a capability chain that another party
 * (the kernel, or a vfio-user server that may be malicious) wrote into the
 * @size bytes at @info, starting at @cap_offset (0: no chain).
 *
 * Every header must lie after the @fixed_size bytes of fixed information
 * and within @size, be 4-byte aligned, and each "next" must point strictly
 * forward, so that a walk with vfio_get_cap() stays in the buffer and
 * terminates.
 */
static inline bool vfio_info_cap_chain_valid(const void *info, uint32_t size,
                                             uint32_t fixed_size,
                                             uint32_t cap_offset)
{
    uint32_t off = cap_offset;

    while (off) {
        const struct vfio_info_cap_header *hdr = info + off;

        if (off < fixed_size || off % 4 || size < sizeof(*hdr) ||
            off > size - sizeof(*hdr)) {
            return false;
        }
        if (hdr->next && hdr->next <= off) {
            return false;
        }
        off = hdr->next;
    }

    return true;
}

#endif /* HW_VFIO_VFIO_INFO_CAP_H */
