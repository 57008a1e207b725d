/*
 * CXL Type-2 passthrough: HDM decoder programming through COMP_REGS.
 *
 * Copyright (c) 2026 QEMU CXL Type-2 team
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_VFIO_CXL_HDM_H
#define HW_VFIO_CXL_HDM_H

#include "hw/vfio/vfio-device.h"
#include "hw/vfio/cxl-uapi.h"

/* The state of one HDM decoder as the COMP_REGS shadow shows it. */
typedef struct VFIOCXLDecoder {
    uint64_t base;
    uint64_t size;
    uint32_t ctrl;
} VFIOCXLDecoder;

bool vfio_cxl_regs_read(VFIODevice *vbasedev, const VFIOCXLDesc *desc,
                        uint32_t offset, uint32_t *val, Error **errp);
bool vfio_cxl_regs_write(VFIODevice *vbasedev, const VFIOCXLDesc *desc,
                         uint32_t offset, uint32_t val, Error **errp);

bool vfio_cxl_hdm_read_decoder(VFIODevice *vbasedev, const VFIOCXLDesc *desc,
                               unsigned n, VFIOCXLDecoder *dec, Error **errp);
bool vfio_cxl_hdm_decoder_committed(const VFIOCXLDecoder *dec);

/*
 * vfio_cxl_hdm_commit: place committed decoder @n at guest physical @base
 * and lock it, as firmware would have done on a bare-metal host.
 */
bool vfio_cxl_hdm_commit(VFIODevice *vbasedev, const VFIOCXLDesc *desc,
                         unsigned n, uint64_t base, Error **errp);

#endif /* HW_VFIO_CXL_HDM_H */
