/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The v2 vfio-cxl COMP_REGS shadow: see cxl_shadow.h
 *
 * The write rules are those of the kernel's v2 series: a shadow that the
 * VMM programs, with the device's own decoders left as firmware committed
 * them.
 *
 * Copyright (c) 2026 QEMU CXL Type-2 team
 */
#include "cxl_shadow.h"

/* Decoder Count field of the HDM Decoder Capability (CXL r3.1 8.2.4.20.1) */
static unsigned int decoder_count(u32 cap)
{
    unsigned int field = cap & CXL_SHADOW_HDM_CAP_COUNT_MASK;

    if (field == 0) {
        return 1;
    }
    if (field <= 8) {
        return field * 2;
    }
    if (field <= 12) {
        return 20 + (field - 9) * 4;
    }
    return 0;           /* reserved encoding */
}

u32 cxl_shadow_size(u32 hdm, unsigned int count)
{
    return hdm + CXL_SHADOW_HDM_DECODER_FIRST +
           CXL_SHADOW_HDM_DECODER_STRIDE * count;
}

int cxl_shadow_find_hdm(const u32 *regs, unsigned int nregs, u32 *hdm,
            unsigned int *count)
{
    unsigned int entries, i;

    if (!nregs || (regs[0] & CXL_SHADOW_CAP_ID_MASK) !=
        CXL_SHADOW_CAP_ARRAY_ID)
        return -ENODEV;
    entries = regs[0] >> CXL_SHADOW_CAP_ARRAY_SIZE_SHIFT;
    for (i = 1; i <= entries && i < nregs; i++) {
        u32 off = regs[i] >> CXL_SHADOW_CAP_PTR_SHIFT;
        unsigned int n;

        if ((regs[i] & CXL_SHADOW_CAP_ID_MASK) != CXL_SHADOW_CAP_ID_HDM) {
            continue;
        }
        if (off % 4 || off / 4 >= nregs) {
            return -ENODEV;
        }
        n = decoder_count(regs[off / 4 + CXL_SHADOW_HDM_CAP / 4]);
        if (!n || cxl_shadow_size(off, n) > nregs * 4) {
            return -ENODEV;
        }
        *hdm = off;
        *count = n;
        return 0;
    }
    return -ENODEV;
}

static u32 *decoder_reg(const struct cxl_shadow *s, unsigned int n,
            unsigned int reg)
{
    return &s->regs[(s->hdm + reg + CXL_SHADOW_HDM_DECODER_STRIDE * n) / 4];
}

bool cxl_shadow_committed(const struct cxl_shadow *s, unsigned int n)
{
    return n < s->count &&
           (*decoder_reg(s, n, CXL_SHADOW_HDM_DEC_CTRL) &
            CXL_SHADOW_HDM_CTRL_COMMITTED);
}

void cxl_shadow_snapshot(struct cxl_shadow *s)
{
    unsigned int n;

    /*
     * Every committed decoder, locked or not: its BASE is the host's
     * physical address, which user space has no business reading.
     */
    for (n = 0; n < s->count; n++) {
        u32 *ctrl = decoder_reg(s, n, CXL_SHADOW_HDM_DEC_CTRL);

        if (!(*ctrl & CXL_SHADOW_HDM_CTRL_COMMITTED)) {
            continue;
        }
        *ctrl &= ~CXL_SHADOW_HDM_CTRL_LOCK;
        *decoder_reg(s, n, CXL_SHADOW_HDM_DEC_BASE_LO) = 0;
        *decoder_reg(s, n, CXL_SHADOW_HDM_DEC_BASE_HI) = 0;
    }
}

/* Decoder Control bits that are reserved for this device */
static u32 ctrl_reserved(const struct cxl_shadow *s)
{
    u32 cap = s->regs[(s->hdm + CXL_SHADOW_HDM_CAP) / 4];
    /* UIG and UIW are for switches and host bridges, not a device */
    u32 m = CXL_SHADOW_HDM_CTRL_RSVD15 | CXL_SHADOW_HDM_CTRL_RSVD28_MASK |
        CXL_SHADOW_HDM_CTRL_UIG_MASK | CXL_SHADOW_HDM_CTRL_UIW_MASK;

    if (!(cap & CXL_SHADOW_HDM_CAP_UIO)) {
        m |= CXL_SHADOW_HDM_CTRL_UIO | CXL_SHADOW_HDM_CTRL_ISP_MASK;
    }
    if (!s->cache_capable) {
        m |= CXL_SHADOW_HDM_CTRL_BI;
    }
    return m;
}

static void ctrl_write(const struct cxl_shadow *s, u32 *ctrl, u32 val)
{
    /* Bits a write never changes: the device says them */
    const u32 keep = CXL_SHADOW_HDM_CTRL_COMMITTED | CXL_SHADOW_HDM_CTRL_ERR |
             CXL_SHADOW_HDM_CTRL_TARGET_TYPE;
    u32 v;

    if (*ctrl & CXL_SHADOW_HDM_CTRL_LOCK) {
        /* Locked: only releasing LOCK is accepted, and nothing else */
        if (!(val & CXL_SHADOW_HDM_CTRL_LOCK)) {
            *ctrl &= ~CXL_SHADOW_HDM_CTRL_LOCK;
        }
        return;
    }
    v = val & ~ctrl_reserved(s);
    v = (v & ~keep) | (*ctrl & keep);
    /* No hardware commit to wait for: COMMITTED follows COMMIT */
    if (v & CXL_SHADOW_HDM_CTRL_COMMIT) {
        v |= CXL_SHADOW_HDM_CTRL_COMMITTED;
    } else {
        v &= ~CXL_SHADOW_HDM_CTRL_COMMITTED;
    }
    *ctrl = v;
}

/* A write at @rel from the HDM Decoder Capability's start */
static void hdm_write(struct cxl_shadow *s, u32 rel, u32 val)
{
    u32 cap = s->regs[(s->hdm + CXL_SHADOW_HDM_CAP) / 4];
    unsigned int n, reg;
    u32 *ctrl;

    if (rel == CXL_SHADOW_HDM_GLOBAL_CTRL) {
        u32 wmask = CXL_SHADOW_HDM_GLOBAL_ENABLE;

        if (cap & CXL_SHADOW_HDM_CAP_POISON) {
            wmask |= CXL_SHADOW_HDM_GLOBAL_POISON_EN;
        }
        s->regs[(s->hdm + rel) / 4] = val & wmask;
        return;
    }
    if (rel < CXL_SHADOW_HDM_DECODER_FIRST) {
        return;         /* the Capability register and reserved */
    }

    n = (rel - CXL_SHADOW_HDM_DECODER_FIRST) / CXL_SHADOW_HDM_DECODER_STRIDE;
    if (n >= s->count) {
        return;
    }
    reg = rel - CXL_SHADOW_HDM_DECODER_STRIDE * n;
    ctrl = decoder_reg(s, n, CXL_SHADOW_HDM_DEC_CTRL);

    switch (reg) {
    case CXL_SHADOW_HDM_DEC_BASE_LO:
    case CXL_SHADOW_HDM_DEC_SIZE_LO:
        if (!(*ctrl & CXL_SHADOW_HDM_CTRL_LOCK)) {
            *decoder_reg(s, n, reg) = val & CXL_SHADOW_HDM_ADDR_LO_MASK;
        }
        break;
    case CXL_SHADOW_HDM_DEC_BASE_HI:
    case CXL_SHADOW_HDM_DEC_SIZE_HI:
        if (!(*ctrl & CXL_SHADOW_HDM_CTRL_LOCK)) {
            *decoder_reg(s, n, reg) = val;
        }
        break;
    case CXL_SHADOW_HDM_DEC_CTRL:
        ctrl_write(s, ctrl, val);
        break;
    default:
        break;          /* DPA skip and reserved: discarded */
    }
}

static bool access_ok(const struct cxl_shadow *s, u64 off, size_t len)
{
    return len == 4 && off % 4 == 0 && off < s->size;
}

int cxl_shadow_read(const struct cxl_shadow *s, u64 off, size_t len,
            u32 *val)
{
    if (!access_ok(s, off, len)) {
        return -EINVAL;
    }
    *val = s->regs[off / 4];
    return 0;
}

int cxl_shadow_write(struct cxl_shadow *s, u64 off, size_t len, u32 val)
{
    if (!access_ok(s, off, len)) {
        return -EINVAL;
    }
    /* Below the HDM Decoder Capability the snapshot is read-only */
    if (off >= s->hdm) {
        hdm_write(s, (u32)off - s->hdm, val);
    }
    return 0;
}
