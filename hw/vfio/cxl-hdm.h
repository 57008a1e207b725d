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
    VFIO_CXL_HDM_RULE_ADDR_ORDER,   /* not between its neighbours' ranges */
    VFIO_CXL_HDM_RULE_DPA_OVERLAP,  /* device memory another decoder maps */
    VFIO_CXL_HDM_RULE_UNCOMMIT_ORDER, /* uncommit below a committed one */
    VFIO_CXL_HDM_RULE_HOST_INACTIVE, /* the host does not back the memory */
    VFIO_CXL_HDM_RULE__MAX,
} VFIOCXLHDMRule;

const char *vfio_cxl_hdm_rule_str(VFIOCXLHDMRule rule);

/*
 * What the model asks of the device glue when decoding changes. Part @n
 * is decoder @n while HDM Decoder Enable is set, and DVSEC Range @n + 1
 * while it is clear: never both at once.
 */
typedef struct VFIOCXLHDMOps {
    /* Decoder @n now decodes [@base, +@size) to device memory at @dpa. */
    void (*map)(void *opaque, unsigned n, uint64_t base, uint64_t dpa,
                uint64_t size);
    /* Decoder @n no longer decodes. */
    void (*unmap)(void *opaque, unsigned n);
    /*
     * A guest commit (or, for VFIO_CXL_HDM_RULE_UNCOMMIT_ORDER, uncommit)
     * of decoder @n was refused by @rule.
     */
    void (*refused)(void *opaque, unsigned n, VFIOCXLHDMRule rule,
                    uint64_t base, uint64_t size);
} VFIOCXLHDMOps;

/*
 * Why the device memory is out of the guest for now: the gate is closed
 * while any reason holds, and each is set and cleared on its own.
 */
typedef enum VFIOCXLGateReason {
    VFIO_CXL_GATE_MSE = 1 << 0,     /* v5: Memory Space Enable clear */
    VFIO_CXL_GATE_D3HOT = 1 << 1,   /* the function is not in D0 */
    VFIO_CXL_GATE_RESET = 1 << 2,   /* a reset that may drop the host's */
                                    /* decoders is in progress */
} VFIOCXLGateReason;

typedef struct VFIOCXLHDMDecoder {
    uint64_t base;
    uint64_t size;
    uint64_t dpa_skip;
    uint32_t ctrl;
    uint64_t dpa;           /* where it starts in device memory, committed */
    bool mapped;
} VFIOCXLHDMDecoder;

/* The CXL Device DVSEC's memory ranges (CXL r3.1 8.1.3.8) */
#define VFIO_CXL_DVSEC_RANGES   2

typedef struct VFIOCXLHDMRange {
    uint64_t base;          /* guest physical, as the guest reads it */
    uint64_t size;          /* HwInit: what the device reports */
    bool mapped;
} VFIOCXLHDMRange;

typedef struct VFIOCXLHDM {
    unsigned count;         /* decoders */
    uint32_t cap;           /* the Capability register, read-only */
    uint32_t global_ctrl;
    uint32_t ctrl_mask;     /* writable Control bits */
    uint64_t mem_size;      /* device memory: the DPA space */
    uint64_t win_base;      /* where commits may place it */
    uint64_t win_size;
    bool host_inactive;     /* the host's memory is gone: decode nothing */
    unsigned gate;          /* VFIOCXLGateReason bits: nothing served */
    VFIOCXLHDMDecoder dec[CXL_HDM_MAX_DECODERS];
    /* Attributes of what firmware committed: Target Type, BI, UIO */
    uint32_t fw_attrs[CXL_HDM_MAX_DECODERS];
    /* What decodes while HDM Decoder Enable is clear */
    bool mem_enable;        /* DVSEC Control Mem_Enable */
    VFIOCXLHDMRange range[VFIO_CXL_DVSEC_RANGES];
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

/*
 * vfio_cxl_hdm_set_dvsec: the guest-visible CXL Device DVSEC state that
 * decides what decodes while HDM Decoder Enable is clear (CXL r3.1
 * 8.2.4.20.2): Mem_Enable and the Range Base/Size registers. Range @r maps
 * device memory from the end of the ranges before it, only with
 * @mem_enable, only inside the window, and only while HDM Decoder Enable
 * is clear.
 */
void vfio_cxl_hdm_set_dvsec(VFIOCXLHDM *hdm, bool mem_enable,
                            const uint64_t base[VFIO_CXL_DVSEC_RANGES],
                            const uint64_t size[VFIO_CXL_DVSEC_RANGES]);

/*
 * vfio_cxl_hdm_set_firmware_attrs: the Control register of the host's
 * committed decoder @n, whose Target Type, BI and UIO fields a firmware
 * commit (vfio_cxl_hdm_commit_locked) keeps.
 */
void vfio_cxl_hdm_set_firmware_attrs(VFIOCXLHDM *hdm, unsigned n,
                                     uint32_t host_ctrl);

/*
 * While the host does not back the device memory (its decoders are gone
 * after a reset), commits are refused and nothing is mapped.
 */
void vfio_cxl_hdm_set_host_inactive(VFIOCXLHDM *hdm, bool inactive);

/*
 * While the gate is closed for any reason (v5: Memory Space Enable clear;
 * the function in D3hot; a reset in progress), nothing is mapped; unlike
 * an inactive host, the decoders keep working and commits are taken, to
 * be mapped when the gate opens. vfio_cxl_hdm_set_gate() closes (@closed)
 * or opens it for @reason alone.
 */
void vfio_cxl_hdm_set_gate(VFIOCXLHDM *hdm, VFIOCXLGateReason reason,
                           bool closed);
bool vfio_cxl_hdm_gated(const VFIOCXLHDM *hdm);

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
 * same rules as a guest commit and the attributes of
 * vfio_cxl_hdm_set_firmware_attrs(), and lock it. Global Control is
 * returned to what firmware sets (HDM Decoder Enable, nothing else), even
 * if the decoder was already committed so. Returns the rule that refused
 * it, or VFIO_CXL_HDM_RULE__MAX.
 */
VFIOCXLHDMRule vfio_cxl_hdm_commit_locked(VFIOCXLHDM *hdm, unsigned n,
                                          uint64_t base, uint64_t size,
                                          uint64_t dpa_skip);

bool vfio_cxl_hdm_committed(const VFIOCXLHDM *hdm, unsigned n);
bool vfio_cxl_hdm_locked(const VFIOCXLHDM *hdm, unsigned n);

#endif /* HW_VFIO_CXL_HDM_H */
