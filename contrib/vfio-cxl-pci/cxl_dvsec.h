/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * What user space sees of a CXL Device DVSEC through vfio-cxl
 *
 * One implementation of the rules, built by both the host driver
 * (vfio_cxl_pci.ko) and the emulated accelerator (vfio-user-cxl-accel), as
 * cxl_shadow.c is for COMP_REGS, so that the two cannot drift. Plain C with
 * the types of cxl_shadow_types.h; QEMU's coding style, checked with the
 * emulator's patch.
 *
 * Only what must be is virtualized: Control, Control2, Lock and the Range
 * Bases. Everything else (Status, Status2, the capability registers, the
 * Range Sizes) is the device's, read live, with the bits the interface
 * synthesizes laid over Status2. The caller reads the live bytes and
 * performs the hardware writes this file asks for.
 *
 * Copyright (c) 2026 QEMU CXL Type-2 team
 */
#ifndef CXL_DVSEC_H
#define CXL_DVSEC_H

#include "cxl_shadow_types.h"

#define CXL_VDVSEC_BIT(n)                       (1u << (n))

/* CXL Device DVSEC (CXL r3.1 8.1.3), offsets from the DVSEC's start */
#define CXL_VDVSEC_CAP                          0x0a
#define   CXL_VDVSEC_CAP_CXL_RESET              CXL_VDVSEC_BIT(7)
#define CXL_VDVSEC_CTRL                         0x0c
#define   CXL_VDVSEC_CTRL_IO_ENABLE             CXL_VDVSEC_BIT(1)
#define   CXL_VDVSEC_CTRL_P2P_MEM               CXL_VDVSEC_BIT(12)
#define   CXL_VDVSEC_CTRL_RSVDP                 (CXL_VDVSEC_BIT(13) | \
                                                 CXL_VDVSEC_BIT(15))
#define CXL_VDVSEC_STATUS                       0x0e
#define   CXL_VDVSEC_STATUS_VIRAL               CXL_VDVSEC_BIT(14)
#define CXL_VDVSEC_CTRL2                        0x10
#define   CXL_VDVSEC_CTRL2_DISABLE_CACHING      CXL_VDVSEC_BIT(0)
#define   CXL_VDVSEC_CTRL2_INITIATE_WBI         CXL_VDVSEC_BIT(1)
#define   CXL_VDVSEC_CTRL2_INITIATE_CXL_RESET   CXL_VDVSEC_BIT(2)
#define   CXL_VDVSEC_CTRL2_RESET_MEM_CLR        CXL_VDVSEC_BIT(3)
#define   CXL_VDVSEC_CTRL2_DESIRED_VOLATILE     CXL_VDVSEC_BIT(4)
#define   CXL_VDVSEC_CTRL2_MOD_COMPLETION       CXL_VDVSEC_BIT(5)
#define CXL_VDVSEC_STATUS2                      0x12
#define   CXL_VDVSEC_STATUS2_CACHE_INVALID      CXL_VDVSEC_BIT(0)
#define   CXL_VDVSEC_STATUS2_RESET_COMPLETE     CXL_VDVSEC_BIT(1)
#define   CXL_VDVSEC_STATUS2_RESET_ERROR        CXL_VDVSEC_BIT(2)
#define   CXL_VDVSEC_STATUS2_VOLATILE_ERR       CXL_VDVSEC_BIT(3)
#define CXL_VDVSEC_LOCK                         0x14
#define   CXL_VDVSEC_LOCK_CONFIG                CXL_VDVSEC_BIT(0)
#define CXL_VDVSEC_CAP2                         0x16
#define   CXL_VDVSEC_CAP2_MOD_COMPLETION        CXL_VDVSEC_BIT(6)
#define CXL_VDVSEC_RANGE_BASE_HI(n)             (0x20 + 0x10 * (n))
#define CXL_VDVSEC_RANGE_BASE_LO(n)             (0x24 + 0x10 * (n))
/* Memory_Base_Low: Range Base Low [31:28]; [27:0] are reserved */
#define   CXL_VDVSEC_RANGE_BASE_LO_MASK         0xf0000000u
#define CXL_VDVSEC_RANGES                       2
#define CXL_VDVSEC_CAP3                         0x38
#define   CXL_VDVSEC_CAP3_VOLATILE_HDM          CXL_VDVSEC_BIT(3)
#define   CXL_VDVSEC_CAP3_P2P_MEM               CXL_VDVSEC_BIT(4)
/* The DVSEC's length (revision 2 and later) */
#define CXL_VDVSEC_SIZE                         0x3c

/**
 * struct cxl_vdvsec - user space's view of a CXL Device DVSEC
 * @virt: the virtualized registers, at their DVSEC offsets
 * @wmask: their writable bits
 * @cap: Capability, @cap2: Capability2, @cap3: Capability3, as the
 *       device has them
 * @absorb_wbi: Initiate Cache Write Back and Invalidate and Disable
 *              Caching stay here and their completion is synthesized (v5);
 *              otherwise they are the device's (v2). Initiate CXL Reset is
 *              always absorbed: the VMM performs a guest's CXL reset with
 *              VFIO_DEVICE_RESET.
 * @st2_set: Status2 bits that read 1 whatever the device says
 * @st2_clear: Status2 bits that read 0 whatever the device says
 */
struct cxl_vdvsec {
    u8 virt[CXL_VDVSEC_SIZE];
    u8 wmask[CXL_VDVSEC_SIZE];
    u16 cap;
    u16 cap2;
    u16 cap3;
    bool absorb_wbi;
    u16 st2_set;
    u16 st2_clear;
};

/**
 * struct cxl_vdvsec_hw - what a write asks of the device
 * @ctrl2: write @ctrl2_val to Control2 (v2: Disable Caching, Initiate WBI)
 * @status_w1c: write these bits of Status, to clear them (0: none)
 * @status2_w1c: write these bits of Status2, to clear them (0: none)
 * @cxl_reset: the write set Initiate CXL Reset (absorbed; informational)
 */
struct cxl_vdvsec_hw {
    bool ctrl2;
    u16 ctrl2_val;
    u16 status_w1c;
    u16 status2_w1c;
    bool cxl_reset;
};

/*
 * A conventional reset of the view (open, VFIO_DEVICE_RESET): @hw is the
 * device's DVSEC, CXL_VDVSEC_SIZE bytes. The Range Bases read 0: the host
 * physical address firmware put there is not the guest's business. An
 * FLR does not call this (CXL r3.1 9.5: the DVSEC's configuration stays).
 */
void cxl_vdvsec_init(struct cxl_vdvsec *d, const u8 *hw, bool absorb_wbi);

/* Whether byte @off of the DVSEC is virtualized (not read from the device) */
bool cxl_vdvsec_virtual(u32 off);

/*
 * A read of @len bytes at DVSEC offset @off: @buf holds what the device
 * returned for them and gets the virtualized bytes and synthesized bits
 * laid over it. Bytes past CXL_VDVSEC_SIZE are left alone.
 */
void cxl_vdvsec_read(const struct cxl_vdvsec *d, u32 off, u8 *buf,
                     size_t len);

/*
 * A write of @len bytes at DVSEC offset @off. Virtualized bytes change
 * here; @hw says what the caller must write to the device. Nothing else
 * of the DVSEC is writable.
 */
void cxl_vdvsec_write(struct cxl_vdvsec *d, u32 off, const u8 *buf,
                      size_t len, struct cxl_vdvsec_hw *hw);

#endif
