/*
 * CXL.cachemem register layout: the capability header array and the HDM
 * Decoder Capability structure (CXL r3.1/r4.0 8.2.3, 8.2.4, 8.2.4.20)
 *
 * Offsets here are relative to the structure they belong to, so that they
 * fit any device's layout; the absolute offsets of hw/cxl/cxl_component.h
 * describe QEMU's own emulated components. Used by the passthrough code
 * (hw/vfio/cxl-*.c) and by the emulated accelerator
 * (contrib/vfio-user-cxl-accel), which must agree bit for bit.
 *
 * Copyright (c) 2026 QEMU CXL Type-2 team
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_CXL_CXL_HDM_LAYOUT_H
#define HW_CXL_CXL_HDM_LAYOUT_H

#include "qemu/units.h"
#include "hw/registerfields.h"

/* Component register block (CXL r4.0 8.2.3) */
#define CXL_COMPONENT_BLOCK_SIZE 0x10000
#define CXL_CACHEMEM_OFFSET      0x1000

/* CXL.cachemem capability header array (CXL r4.0 8.2.4) */
REG32(CXL_CAP_ARRAY_HDR, 0)
    FIELD(CXL_CAP_ARRAY_HDR, ID, 0, 16)
    FIELD(CXL_CAP_ARRAY_HDR, VER, 16, 4)
    FIELD(CXL_CAP_ARRAY_HDR, CACHEMEM_VER, 20, 4)
    FIELD(CXL_CAP_ARRAY_HDR, ARRAY_SIZE, 24, 8)
REG32(CXL_CAP_HDR, 0)
    FIELD(CXL_CAP_HDR, ID, 0, 16)
    FIELD(CXL_CAP_HDR, VER, 16, 4)
    FIELD(CXL_CAP_HDR, PTR, 20, 12)

#define CXL_CAP_ID_CAPABILITY  1
#define CXL_CAP_ID_RAS         2
#define CXL_CAP_ID_HDM         5
#define CXL_CAP_ARRAY_VER      1
#define CXL_CACHEMEM_VER       1
#define CXL_RAS_CAP_VER        2
#define CXL_HDM_CAP_VER        1

/* RAS Capability structure size (CXL r4.0 8.2.4.17) */
#define CXL_RAS_CAP_SIZE       0x58

/* HDM Decoder Capability structure (CXL r4.0 8.2.4.20) */
REG32(CXL_HDM_CAP, 0x00)
    FIELD(CXL_HDM_CAP, DECODER_COUNT, 0, 4)
    FIELD(CXL_HDM_CAP, TARGET_COUNT, 4, 4)
    FIELD(CXL_HDM_CAP, INTERLEAVE_A11TO8, 8, 1)
    FIELD(CXL_HDM_CAP, INTERLEAVE_A14TO12, 9, 1)
    FIELD(CXL_HDM_CAP, POISON_ON_ERR_CAP, 10, 1)
    FIELD(CXL_HDM_CAP, UIO_CAPABLE, 13, 1)
REG32(CXL_HDM_GLOBAL_CTRL, 0x04)
    FIELD(CXL_HDM_GLOBAL_CTRL, POISON_ON_ERR_EN, 0, 1)
    FIELD(CXL_HDM_GLOBAL_CTRL, HDM_DECODER_ENABLE, 1, 1)

/* Decoder 0's registers; decoder n is CXL_HDM_DECODER_STRIDE * n further */
#define CXL_HDM_DECODER_FIRST   0x10
#define CXL_HDM_DECODER_STRIDE  0x20
REG32(CXL_HDM_DEC_BASE_LO, 0x10)
    FIELD(CXL_HDM_DEC_BASE_LO, BASE, 28, 4)
REG32(CXL_HDM_DEC_BASE_HI, 0x14)
REG32(CXL_HDM_DEC_SIZE_LO, 0x18)
    FIELD(CXL_HDM_DEC_SIZE_LO, SIZE, 28, 4)
REG32(CXL_HDM_DEC_SIZE_HI, 0x1c)
REG32(CXL_HDM_DEC_CTRL, 0x20)
    FIELD(CXL_HDM_DEC_CTRL, IG, 0, 4)
    FIELD(CXL_HDM_DEC_CTRL, IW, 4, 4)
    FIELD(CXL_HDM_DEC_CTRL, LOCK_ON_COMMIT, 8, 1)
    FIELD(CXL_HDM_DEC_CTRL, COMMIT, 9, 1)
    FIELD(CXL_HDM_DEC_CTRL, COMMITTED, 10, 1)
    FIELD(CXL_HDM_DEC_CTRL, ERR_NOT_COMMITTED, 11, 1)
    FIELD(CXL_HDM_DEC_CTRL, TARGET_TYPE, 12, 1)
    FIELD(CXL_HDM_DEC_CTRL, BI, 13, 1)
    FIELD(CXL_HDM_DEC_CTRL, UIO, 14, 1)
    FIELD(CXL_HDM_DEC_CTRL, RSVD15, 15, 1)
    FIELD(CXL_HDM_DEC_CTRL, UIG, 16, 4)
    FIELD(CXL_HDM_DEC_CTRL, UIW, 20, 4)
    FIELD(CXL_HDM_DEC_CTRL, ISP, 24, 4)
    FIELD(CXL_HDM_DEC_CTRL, RSVD28, 28, 4)
REG32(CXL_HDM_DEC_DPA_SKIP_LO, 0x24)
REG32(CXL_HDM_DEC_DPA_SKIP_HI, 0x28)
REG32(CXL_HDM_DEC_RSVD, 0x2c)

/*
 * Decoder Count field encoding: 0 means 1 decoder, n (1..8) means 2n,
 * 9..12 mean 20..32 (CXL 3.x).
 */
#define CXL_HDM_MAX_DECODERS    32

/* HDM base and size are 256 MiB granular: the low 28 bits are reserved */
#define CXL_HDM_GRANULE         (256 * MiB)
#define CXL_HDM_ADDR_LO_MASK    (~(uint32_t)(CXL_HDM_GRANULE - 1))

/* Offset of register @reg (an A_CXL_HDM_DEC_* offset) of decoder @n */
static inline uint32_t cxl_hdm_dec_reg(unsigned n, uint32_t reg)
{
    return reg + n * CXL_HDM_DECODER_STRIDE;
}

#endif /* HW_CXL_CXL_HDM_LAYOUT_H */
