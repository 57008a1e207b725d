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

/* How long QEMU waits for Cache Invalid, either way */
#define VFIO_CXL_WBI_DEADLINE_MS    1000

/*
 * The same in two steps, for a caller that polls from a timer:
 * vfio_cxl_cache_wbi_start() sets Disable Caching and Initiate WBI;
 * vfio_cxl_cache_wbi_poll() reads Status2 into *@status2 once and returns
 * 1 once Cache Invalid is set, 0 if not yet, -1 on an error.
 */
bool vfio_cxl_cache_wbi_start(VFIODevice *vbasedev, uint32_t dvsec,
                              uint16_t *saved_ctrl2, Error **errp);
int vfio_cxl_cache_wbi_poll(VFIODevice *vbasedev, uint32_t dvsec,
                            uint16_t *status2, Error **errp);
void vfio_cxl_cache_restore(VFIODevice *vbasedev, uint32_t dvsec,
                            uint16_t saved_ctrl2);

#endif /* HW_VFIO_CXL_CACHE_H */
