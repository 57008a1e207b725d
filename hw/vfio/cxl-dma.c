/*
 * CXL Type-2 passthrough: device memory the VFIO DMA listener leaves alone.
 *
 * CXL device memory is a RAM-device MemoryRegion over an mmap of the
 * device memory region. Mapping it for DMA would pin it, which fails: it
 * is not page-backed host memory, and peer-to-peer access to it is not
 * supported. Other RAM-device regions (BAR mmaps) keep the upstream
 * behaviour.
 *
 * Copyright (c) 2026 QEMU CXL Type-2 team
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "cxl-dma.h"

static GSList *vfio_cxl_dma_skipped;

void vfio_cxl_dma_skip_add(MemoryRegion *mr)
{
    vfio_cxl_dma_skipped = g_slist_prepend(vfio_cxl_dma_skipped, mr);
}

void vfio_cxl_dma_skip_del(MemoryRegion *mr)
{
    vfio_cxl_dma_skipped = g_slist_remove(vfio_cxl_dma_skipped, mr);
}

bool vfio_cxl_dma_skip(MemoryRegion *mr)
{
    return memory_region_is_ram_device(mr) &&
           g_slist_find(vfio_cxl_dma_skipped, mr);
}
