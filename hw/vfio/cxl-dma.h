/*
 * CXL Type-2 passthrough: device memory the VFIO DMA listener leaves alone.
 *
 * Copyright (c) 2026 QEMU CXL Type-2 team
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_VFIO_CXL_DMA_H
#define HW_VFIO_CXL_DMA_H

#include "system/memory.h"

void vfio_cxl_dma_skip_add(MemoryRegion *mr);
void vfio_cxl_dma_skip_del(MemoryRegion *mr);

/* Is @mr CXL device memory, which must not be DMA mapped? */
bool vfio_cxl_dma_skip(MemoryRegion *mr);

#endif /* HW_VFIO_CXL_DMA_H */
