/*
 * Emulated CXL Type-2 accelerator: what the device is, from its options
 * and state
 *
 * Queries only, the bottom of the emulator: accel-model.c owns the device
 * and calls down into config space (accel-config.c), the decoders
 * (accel-hdm.c), the copy engine (accel-dma.c) and the cache
 * (accel-cache.c); each of those may ask what is here, and reports what
 * it did back up through return values and callbacks, never by calling
 * the model.
 *
 * Copyright (c) 2026 QEMU CXL Type-2 team
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "standard-headers/linux/pci_regs.h"
#include "accel-model.h"

bool accel_cxl_exposed(const CXLAccel *a)
{
    if (a->opts.uapi == ACCEL_UAPI_V5) {
        /*
         * The v5 kernel binds only a device it can reset and map whole
         * (9.2): one HDM decoder, committed by firmware, CXL Reset
         * Capable. Anything else is plain vfio-pci, without a word.
         */
        return a->opts.firmware_committed && accel_hdm_count(a) == 1 &&
               a->opts.fault != ACCEL_FAULT_NO_CXL_RESET;
    }
    return a->opts.firmware_committed;
}

bool accel_v5(const CXLAccel *a)
{
    return a->opts.uapi == ACCEL_UAPI_V5 && accel_cxl_exposed(a);
}

uint64_t accel_block_offset(const CXLAccel *a)
{
    switch (a->opts.block_at) {
    case ACCEL_BLOCK_AT_START:
        return 0;
    case ACCEL_BLOCK_AT_MIDDLE:
        return ACCEL_BLOCK_MIDDLE_OFFSET;
    case ACCEL_BLOCK_AT_END:
    default:
        return ACCEL_REG_BAR_SIZE - CXL_COMPONENT_BLOCK_SIZE;
    }
}

uint64_t accel_regs_offset(const CXLAccel *a)
{
    return a->opts.block_at == ACCEL_BLOCK_AT_START ?
           CXL_COMPONENT_BLOCK_SIZE : 0;
}

uint64_t accel_hdm_regs_offset(const CXLAccel *a)
{
    return accel_block_offset(a) + CXL_CACHEMEM_OFFSET;
}

uint64_t accel_hdm_bar_offset(const CXLAccel *a)
{
    return accel_hdm_regs_offset(a) + ACCEL_HDM_OFFSET;
}

bool accel_bar_mmap_hole(const CXLAccel *a, uint64_t *start, uint64_t *size)
{
    uint64_t hdm = accel_hdm_bar_offset(a);

    if (!accel_cxl_exposed(a)) {
        return false;
    }
    if (accel_v5(a)) {
        *start = ROUND_DOWN(hdm, ACCEL_V5_MMAP_PAGE);
        *size = ROUND_UP(hdm + accel_hdm_block_size(a), ACCEL_V5_MMAP_PAGE) -
                *start;
    } else {
        *start = accel_block_offset(a);
        *size = CXL_COMPONENT_BLOCK_SIZE;
    }
    return true;
}

unsigned accel_hdm_count(const CXLAccel *a)
{
    return a->opts.decoders;
}

uint64_t accel_hdm_block_size(const CXLAccel *a)
{
    return CXL_HDM_DECODER_FIRST + CXL_HDM_DECODER_STRIDE * accel_hdm_count(a);
}

uint64_t accel_comp_regs_size(const CXLAccel *a)
{
    return (accel_v5(a) ? 0 : ACCEL_HDM_OFFSET) + accel_hdm_block_size(a);
}

bool accel_mem_live(const CXLAccel *a)
{
    return !a->mem_inactive && !a->mem_gated;
}

unsigned accel_power_state(const CXLAccel *a)
{
    return lduw_le_p(a->cfg + ACCEL_PM_CAP_OFFSET + PCI_PM_CTRL) &
           PCI_PM_CTRL_STATE_MASK;
}
