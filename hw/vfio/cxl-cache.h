/*
 * CXL Type-2 passthrough: writing a Cache_Capable device's cache back
 * before a reset QEMU triggers.
 *
 * Copyright (c) 2026 QEMU CXL Type-2 team
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_VFIO_CXL_CACHE_H
#define HW_VFIO_CXL_CACHE_H

#include "hw/vfio/vfio-device.h"

/*
 * vfio_cxl_cache_write_back: Disable Caching, Initiate Cache Write Back
 * and Invalidation, and wait (bounded) for Cache Invalid. *@saved_ctrl2
 * gets Control2 as it was, for vfio_cxl_cache_restore() after the reset.
 */
bool vfio_cxl_cache_write_back(VFIODevice *vbasedev, uint32_t dvsec,
                               uint16_t *saved_ctrl2, Error **errp);
void vfio_cxl_cache_restore(VFIODevice *vbasedev, uint32_t dvsec,
                            uint16_t saved_ctrl2);

#endif /* HW_VFIO_CXL_CACHE_H */
