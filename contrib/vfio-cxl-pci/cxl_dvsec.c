/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * What user space sees of a CXL Device DVSEC through vfio-cxl: see
 * cxl_dvsec.h
 *
 * Copyright (c) 2026 QEMU CXL Type-2 team
 */
#include "cxl_dvsec.h"

/* The DVSEC is little-endian; neither build's byte-order helpers are here */
static u16 get16(const u8 *p)
{
    return p[0] | (u16)p[1] << 8;
}

static void put16(u8 *p, u16 v)
{
    p[0] = v;
    p[1] = v >> 8;
}

static void put32(u8 *p, u32 v)
{
    put16(p, v);
    put16(p + 2, v >> 16);
}

static bool in_reg(u32 off, u32 reg, u32 size)
{
    return off >= reg && off < reg + size;
}

bool cxl_vdvsec_virtual(u32 off)
{
    return in_reg(off, CXL_VDVSEC_CTRL, 2) ||
           in_reg(off, CXL_VDVSEC_CTRL2, 2) ||
           in_reg(off, CXL_VDVSEC_LOCK, 2) ||
           in_reg(off, CXL_VDVSEC_RANGE_BASE_HI(0), 8) ||
           in_reg(off, CXL_VDVSEC_RANGE_BASE_HI(1), 8);
}

static bool locked(const struct cxl_vdvsec *d)
{
    return get16(&d->virt[CXL_VDVSEC_LOCK]) & CXL_VDVSEC_LOCK_CONFIG;
}

void cxl_vdvsec_init(struct cxl_vdvsec *d, const u8 *hw, bool absorb_wbi)
{
    const u16 initiate = CXL_VDVSEC_CTRL2_INITIATE_WBI |
                         CXL_VDVSEC_CTRL2_INITIATE_CXL_RESET;
    u16 ctrl_w, ctrl2_w;
    unsigned int n;

    memset(d, 0, sizeof(*d));
    d->absorb_wbi = absorb_wbi;
    d->cap = get16(&hw[CXL_VDVSEC_CAP]);
    d->cap2 = get16(&hw[CXL_VDVSEC_CAP2]);
    d->cap3 = get16(&hw[CXL_VDVSEC_CAP3]);

    /* Control and Lock as firmware left them; no action pending */
    put16(&d->virt[CXL_VDVSEC_CTRL], get16(&hw[CXL_VDVSEC_CTRL]));
    put16(&d->virt[CXL_VDVSEC_CTRL2],
          get16(&hw[CXL_VDVSEC_CTRL2]) & ~initiate);
    put16(&d->virt[CXL_VDVSEC_LOCK], get16(&hw[CXL_VDVSEC_LOCK]));

    /* Control: RWL; IO_Enable stays 1; P2P only if capable */
    ctrl_w = (u16)~(CXL_VDVSEC_CTRL_IO_ENABLE | CXL_VDVSEC_CTRL_RSVDP);
    if (!(d->cap3 & CXL_VDVSEC_CAP3_P2P_MEM)) {
        ctrl_w &= ~CXL_VDVSEC_CTRL_P2P_MEM;
    }
    put16(&d->wmask[CXL_VDVSEC_CTRL], ctrl_w);

    /*
     * Control2: [15:6] RsvdP; Initiate CXL Reset (and Reset Mem Clr) only
     * on a CXL Reset Capable device: no completion is synthesized for a
     * reset the device could not do. Initiate WBI stays writable, as the
     * kernel series has it (a device without a cache has nothing to
     * write back and reports Cache Invalid at once).
     */
    ctrl2_w = CXL_VDVSEC_CTRL2_DISABLE_CACHING |
              CXL_VDVSEC_CTRL2_INITIATE_WBI;
    if (d->cap & CXL_VDVSEC_CAP_CXL_RESET) {
        ctrl2_w |= CXL_VDVSEC_CTRL2_INITIATE_CXL_RESET |
                   CXL_VDVSEC_CTRL2_RESET_MEM_CLR;
    }
    if (d->cap3 & CXL_VDVSEC_CAP3_VOLATILE_HDM) {
        ctrl2_w |= CXL_VDVSEC_CTRL2_DESIRED_VOLATILE;
    }
    if (d->cap2 & CXL_VDVSEC_CAP2_MOD_COMPLETION) {
        ctrl2_w |= CXL_VDVSEC_CTRL2_MOD_COMPLETION;
    }
    put16(&d->wmask[CXL_VDVSEC_CTRL2], ctrl2_w);

    /* Lock: RWO */
    if (!locked(d)) {
        put16(&d->wmask[CXL_VDVSEC_LOCK], CXL_VDVSEC_LOCK_CONFIG);
    }

    /* Range Bases start at 0 and keep what is written, [27:0] aside */
    for (n = 0; n < CXL_VDVSEC_RANGES; n++) {
        put32(&d->wmask[CXL_VDVSEC_RANGE_BASE_HI(n)], 0xffffffffu);
        put32(&d->wmask[CXL_VDVSEC_RANGE_BASE_LO(n)],
              CXL_VDVSEC_RANGE_BASE_LO_MASK);
    }
}

void cxl_vdvsec_read(const struct cxl_vdvsec *d, u32 off, u8 *buf,
                     size_t len)
{
    size_t i;

    for (i = 0; i < len && off + i < CXL_VDVSEC_SIZE; i++) {
        u32 o = off + i;
        unsigned int shift;

        if (cxl_vdvsec_virtual(o)) {
            buf[i] = d->virt[o];
        } else if (in_reg(o, CXL_VDVSEC_STATUS2, 2)) {
            shift = (o - CXL_VDVSEC_STATUS2) * 8;
            buf[i] &= ~((d->st2_set | d->st2_clear) >> shift);
            buf[i] |= d->st2_set >> shift;
        }
    }
}

/* Control2 was written: its actions, then the Initiate bits read 0 again */
static void ctrl2_actions(struct cxl_vdvsec *d, struct cxl_vdvsec_hw *hw)
{
    u16 v = get16(&d->virt[CXL_VDVSEC_CTRL2]);

    if (v & CXL_VDVSEC_CTRL2_INITIATE_CXL_RESET) {
        hw->cxl_reset = true;
        d->st2_set |= CXL_VDVSEC_STATUS2_RESET_COMPLETE;
        d->st2_set &= ~CXL_VDVSEC_STATUS2_RESET_ERROR;
        d->st2_clear |= CXL_VDVSEC_STATUS2_RESET_ERROR;
    }
    if (!d->absorb_wbi) {
        hw->ctrl2 = true;
        hw->ctrl2_val = v & (CXL_VDVSEC_CTRL2_DISABLE_CACHING |
                             CXL_VDVSEC_CTRL2_INITIATE_WBI);
    } else if (!(v & CXL_VDVSEC_CTRL2_DISABLE_CACHING)) {
        /* Caching back on: Cache Invalid is the device's again */
        d->st2_set &= ~CXL_VDVSEC_STATUS2_CACHE_INVALID;
    } else if (v & CXL_VDVSEC_CTRL2_INITIATE_WBI) {
        d->st2_set |= CXL_VDVSEC_STATUS2_CACHE_INVALID;
    }
    put16(&d->virt[CXL_VDVSEC_CTRL2],
          v & ~(CXL_VDVSEC_CTRL2_INITIATE_WBI |
                CXL_VDVSEC_CTRL2_INITIATE_CXL_RESET));
}

void cxl_vdvsec_write(struct cxl_vdvsec *d, u32 off, const u8 *buf,
                      size_t len, struct cxl_vdvsec_hw *hw)
{
    bool ctrl2 = false;
    size_t i;

    memset(hw, 0, sizeof(*hw));
    for (i = 0; i < len && off + i < CXL_VDVSEC_SIZE; i++) {
        u32 o = off + i;
        unsigned int shift;

        if (cxl_vdvsec_virtual(o)) {
            /* Control is read-only once CONFIG_LOCK is set */
            if (in_reg(o, CXL_VDVSEC_CTRL, 2) && locked(d)) {
                continue;
            }
            d->virt[o] = (d->virt[o] & ~d->wmask[o]) | (buf[i] & d->wmask[o]);
            ctrl2 |= in_reg(o, CXL_VDVSEC_CTRL2, 2);
        } else if (in_reg(o, CXL_VDVSEC_STATUS, 2)) {
            /* Viral_Status is RW1CS: the device's to clear */
            shift = (o - CXL_VDVSEC_STATUS) * 8;
            hw->status_w1c |= ((u16)buf[i] << shift) & CXL_VDVSEC_STATUS_VIRAL;
        } else if (in_reg(o, CXL_VDVSEC_STATUS2, 2) &&
                   (d->cap3 & CXL_VDVSEC_CAP3_VOLATILE_HDM)) {
            /* Volatile HDM Preservation Error: RW1CS where it exists */
            shift = (o - CXL_VDVSEC_STATUS2) * 8;
            hw->status2_w1c |= ((u16)buf[i] << shift) &
                               CXL_VDVSEC_STATUS2_VOLATILE_ERR;
        }
        /* The rest (headers, capabilities, Range Sizes) is read-only */
    }
    if (ctrl2) {
        ctrl2_actions(d, hw);
    }
    /* Lock is write-once: once set, it stays until a conventional reset */
    if (locked(d)) {
        put16(&d->wmask[CXL_VDVSEC_LOCK], 0);
    }
}
