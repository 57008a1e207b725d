/*
 * CXL Type-2 passthrough: the endpoint's HDM Decoder Capability as the
 * guest sees it.
 *
 * Copyright (c) 2026 QEMU CXL Type-2 team
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_VFIO_CXL_HDM_H
#define HW_VFIO_CXL_HDM_H

#include "hw/cxl/cxl-hdm-layout.h"

/* Why a guest commit was refused; each is one rule of the model. */
typedef enum VFIOCXLHDMRule {
    VFIO_CXL_HDM_RULE_ORDER,        /* a lower decoder is not committed */
    VFIO_CXL_HDM_RULE_SIZE_ZERO,    /* SIZE is 0 */
    VFIO_CXL_HDM_RULE_INTERLEAVE,   /* IW is not 0 (one way) */
    VFIO_CXL_HDM_RULE_WINDOW,       /* [BASE, BASE+SIZE) leaves the window */
    VFIO_CXL_HDM_RULE_DPA,          /* not that much device memory left */
    VFIO_CXL_HDM_RULE_OVERLAP,      /* overlaps another committed decoder */
    VFIO_CXL_HDM_RULE__MAX,
} VFIOCXLHDMRule;

const char *vfio_cxl_hdm_rule_str(VFIOCXLHDMRule rule);

/* What the model asks of the device glue when decoding changes. */
typedef struct VFIOCXLHDMOps {
    /* Decoder @n now decodes [@base, +@size) to device memory at @dpa. */
    void (*map)(void *opaque, unsigned n, uint64_t base, uint64_t dpa,
                uint64_t size);
    /* Decoder @n no longer decodes. */
    void (*unmap)(void *opaque, unsigned n);
    /* A guest commit of decoder @n was refused by @rule. */
    void (*refused)(void *opaque, unsigned n, VFIOCXLHDMRule rule,
                    uint64_t base, uint64_t size);
} VFIOCXLHDMOps;

typedef struct VFIOCXLHDMDecoder {
    uint64_t base;
    uint64_t size;
    uint64_t dpa_skip;
    uint32_t ctrl;
    uint64_t dpa;           /* where it starts in device memory, committed */
    bool mapped;
} VFIOCXLHDMDecoder;

typedef struct VFIOCXLHDM {
    unsigned count;         /* decoders */
    uint32_t cap;           /* the Capability register, read-only */
    uint32_t global_ctrl;
    uint32_t ctrl_mask;     /* writable Control bits */
    uint64_t mem_size;      /* device memory: the DPA space */
    uint64_t win_base;      /* where commits may place it */
    uint64_t win_size;
    VFIOCXLHDMDecoder dec[CXL_HDM_MAX_DECODERS];
    const VFIOCXLHDMOps *ops;
    void *opaque;
} VFIOCXLHDM;

/*
 * vfio_cxl_hdm_init: a decoder block of @count decoders with Capability
 * register @cap, for @mem_size bytes of device memory; BI is writable only
 * if @cache_capable. All decoders start at their reset values.
 */
void vfio_cxl_hdm_init(VFIOCXLHDM *hdm, unsigned count, uint32_t cap,
                       bool cache_capable, uint64_t mem_size,
                       const VFIOCXLHDMOps *ops, void *opaque);

/* Guest commits must lie in [@base, @base + @size). */
void vfio_cxl_hdm_set_window(VFIOCXLHDM *hdm, uint64_t base, uint64_t size);

/* Bytes the block spans: the header and every decoder. */
uint32_t vfio_cxl_hdm_block_size(const VFIOCXLHDM *hdm);

/*
 * Guest accesses of 1, 2, 4 or 8 bytes at any @offset in the block; what
 * lies outside it reads 0 and ignores writes.
 */
uint64_t vfio_cxl_hdm_read(VFIOCXLHDM *hdm, uint32_t offset, unsigned size);
void vfio_cxl_hdm_write(VFIOCXLHDM *hdm, uint32_t offset, uint64_t val,
                        unsigned size);

/* A reset: everything unmapped, every register at its reset value. */
void vfio_cxl_hdm_reset(VFIOCXLHDM *hdm);

/*
 * vfio_cxl_hdm_commit_locked: commit decoder @n as firmware does, with the
 * same rules as a guest commit, and lock it. HDM Decoder Enable is set.
 * Returns the rule that refused it, or VFIO_CXL_HDM_RULE__MAX.
 */
VFIOCXLHDMRule vfio_cxl_hdm_commit_locked(VFIOCXLHDM *hdm, unsigned n,
                                          uint64_t base, uint64_t size,
                                          uint64_t dpa_skip);

bool vfio_cxl_hdm_committed(const VFIOCXLHDM *hdm, unsigned n);
bool vfio_cxl_hdm_locked(const VFIOCXLHDM *hdm, unsigned n);

#endif /* HW_VFIO_CXL_HDM_H */
