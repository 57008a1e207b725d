/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The v2 vfio-cxl COMP_REGS shadow of a CXL device's HDM decoders
 *
 * One implementation of the v2 rules, built by both the host driver
 * (vfio_cxl_pci.ko) and the emulated accelerator (vfio-user-cxl-accel), so
 * that the two serve the same bytes for the same accesses. Plain C: no
 * kernel or QEMU headers beyond fixed-width types. It follows QEMU's coding
 * style: it is part of QEMU's series (the emulator), and checked there.
 *
 * COMP_REGS byte 0 is the device's CXL.cachemem area (component block
 * offset 0x1000): the CXL Capability Header array, then the capabilities
 * it lists, up to the end of the HDM Decoder Capability.
 *
 * Copyright (c) 2026 QEMU CXL Type-2 team
 */
#ifndef CXL_SHADOW_H
#define CXL_SHADOW_H

/*
 * u32, u64, bool, size_t and the errno values: kernel/ and user/ each have
 * a cxl_shadow_types.h that gives them, and each build takes its own.
 */
#include "cxl_shadow_types.h"

/* BIT() for both the kernel and user space */
#define CXL_SHADOW_BIT(n)               (1u << (n))

/* Component register block (CXL r3.1 8.2.3) */
#define CXL_SHADOW_BLOCK_SIZE           0x10000
#define CXL_SHADOW_CACHEMEM_OFFSET      0x1000
#define CXL_SHADOW_CACHEMEM_SIZE        0x1000

/* CXL Capability Header array (CXL r3.1 8.2.4.1, 8.2.4.2) */
#define CXL_SHADOW_CAP_ID_MASK          0x0000ffffu
#define CXL_SHADOW_CAP_ARRAY_ID         1
#define CXL_SHADOW_CAP_ARRAY_SIZE_SHIFT 24
#define CXL_SHADOW_CAP_PTR_SHIFT        20
#define CXL_SHADOW_CAP_ID_HDM           5

/* HDM Decoder Capability (CXL r3.1 8.2.4.20), offsets from its start */
#define CXL_SHADOW_HDM_CAP                      0x00
#define   CXL_SHADOW_HDM_CAP_COUNT_MASK 0x0000000fu
#define   CXL_SHADOW_HDM_CAP_POISON             CXL_SHADOW_BIT(10)
#define   CXL_SHADOW_HDM_CAP_UIO                CXL_SHADOW_BIT(13)
#define CXL_SHADOW_HDM_GLOBAL_CTRL              0x04
#define   CXL_SHADOW_HDM_GLOBAL_POISON_EN       CXL_SHADOW_BIT(0)
#define   CXL_SHADOW_HDM_GLOBAL_ENABLE          CXL_SHADOW_BIT(1)
#define CXL_SHADOW_HDM_DECODER_FIRST            0x10
#define CXL_SHADOW_HDM_DECODER_STRIDE           0x20
#define CXL_SHADOW_HDM_DEC_BASE_LO              0x10
#define CXL_SHADOW_HDM_DEC_BASE_HI              0x14
#define CXL_SHADOW_HDM_DEC_SIZE_LO              0x18
#define CXL_SHADOW_HDM_DEC_SIZE_HI              0x1c
#define CXL_SHADOW_HDM_DEC_CTRL         0x20
#define   CXL_SHADOW_HDM_CTRL_LOCK              CXL_SHADOW_BIT(8)
#define   CXL_SHADOW_HDM_CTRL_COMMIT            CXL_SHADOW_BIT(9)
#define   CXL_SHADOW_HDM_CTRL_COMMITTED CXL_SHADOW_BIT(10)
#define   CXL_SHADOW_HDM_CTRL_ERR               CXL_SHADOW_BIT(11)
#define   CXL_SHADOW_HDM_CTRL_TARGET_TYPE       CXL_SHADOW_BIT(12)
#define   CXL_SHADOW_HDM_CTRL_BI                CXL_SHADOW_BIT(13)
#define   CXL_SHADOW_HDM_CTRL_UIO               CXL_SHADOW_BIT(14)
#define   CXL_SHADOW_HDM_CTRL_RSVD15            CXL_SHADOW_BIT(15)
#define   CXL_SHADOW_HDM_CTRL_UIG_MASK          0x000f0000u
#define   CXL_SHADOW_HDM_CTRL_UIW_MASK          0x00f00000u
#define   CXL_SHADOW_HDM_CTRL_ISP_MASK          0x0f000000u
#define   CXL_SHADOW_HDM_CTRL_RSVD28_MASK       0xf0000000u
/* BASE_LO and SIZE_LO hold address bits [31:28]; [27:0] are reserved */
#define CXL_SHADOW_HDM_ADDR_LO_MASK             0xf0000000u
#define CXL_SHADOW_HDM_MAX_DECODERS             32

/**
 * struct cxl_shadow - what the COMP_REGS region shows
 * @regs: the shadow, @size bytes from the CXL.cachemem area's start
 * @size: bytes of COMP_REGS: @hdm plus the HDM Decoder Capability
 * @hdm: hdm_decoder_offset: where the HDM Decoder Capability starts
 * @count: number of HDM decoders
 * @cache_capable: the CXL Device DVSEC's Cache_Capable (BI is writable)
 */
struct cxl_shadow {
    u32 *regs;
    u32 size;
    u32 hdm;
    unsigned int count;
    bool cache_capable;
};

/*
 * Finds the HDM Decoder Capability in @nregs dwords of a CXL.cachemem
 * area: sets @hdm (its byte offset) and @count (decoders) and returns 0, or
 * returns -ENODEV if the array does not list one that fits the area.
 */
int cxl_shadow_find_hdm(const u32 *regs, unsigned int nregs, u32 *hdm,
            unsigned int *count);

/* Bytes of COMP_REGS for an HDM capability at @hdm with @count decoders */
u32 cxl_shadow_size(u32 hdm, unsigned int count);

/*
 * The snapshot rule, applied to @s->regs freshly read from the device:
 * each committed decoder reads unlocked, with BASE 0 (locked or not), so that
 * the VMM can place it. The device's own decoders are never written.
 */
void cxl_shadow_snapshot(struct cxl_shadow *s);

/* COMP_REGS accesses: aligned dwords inside the region only (-EINVAL) */
int cxl_shadow_read(const struct cxl_shadow *s, u64 off, size_t len,
            u32 *val);
int cxl_shadow_write(struct cxl_shadow *s, u64 off, size_t len, u32 val);

/* Whether decoder @n is committed in the shadow */
bool cxl_shadow_committed(const struct cxl_shadow *s, unsigned int n);

#endif
