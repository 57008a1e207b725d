/*
 * CXL Type-2 passthrough: the endpoint's HDM Decoder Capability as the
 * guest sees it (CXL r3.1/r4.0 8.2.4.20).
 *
 * QEMU owns the guest's view of the decoders: the kernel's COMP_REGS shadow
 * only tells what the host committed (and, with the later revisions of the
 * kernel interface, drops every write), so the model here holds the
 * registers, applies the commit protocol, and tells the device glue what
 * to map where. A commit is accepted only if it makes sense for this
 * device and this guest topology: one way, in decoder order, inside the
 * window the device occupies, within the device memory left after the
 * decoders before it (DPA skip included), not overlapping another
 * decoder, above the decoder before it and below the one after it.
 * Anything else reads Error Not Committed and maps nothing. Decoders are
 * uncommitted in reverse order. So the committed decoders are always
 * 0..k-1, in ascending address and DPA order (CXL r3.1 8.2.4.20.12), and
 * every byte of device memory is mapped at most once.
 *
 * While HDM Decoder Enable is clear the device decodes through the CXL
 * Device DVSEC's Range registers instead (CXL r3.1 8.1.3.8, 8.2.4.20.2):
 * with Mem_Enable set, each range inside the window maps device memory
 * from the end of the ranges before it.
 *
 * The model knows nothing of VFIO or of QEMU's memory API, so that it is
 * unit tested on its own (tests/unit/test-vfio-cxl-hdm.c).
 *
 * Copyright (c) 2026 QEMU CXL Type-2 team
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "cxl-hdm.h"

#define DEC_MASK(f) R_CXL_HDM_DEC_CTRL_##f##_MASK

static const char *const rule_names[VFIO_CXL_HDM_RULE__MAX] = {
    [VFIO_CXL_HDM_RULE_ORDER] = "a lower-numbered decoder is not committed",
    [VFIO_CXL_HDM_RULE_SIZE_ZERO] = "size is 0",
    [VFIO_CXL_HDM_RULE_INTERLEAVE] = "interleave ways is not 1",
    [VFIO_CXL_HDM_RULE_WINDOW] = "range is not inside the device's window",
    [VFIO_CXL_HDM_RULE_DPA] = "not enough device memory left",
    [VFIO_CXL_HDM_RULE_OVERLAP] = "range overlaps another committed decoder",
    [VFIO_CXL_HDM_RULE_ADDR_ORDER] = "range is not above the lower-numbered "
        "decoder's and below the higher-numbered decoder's",
    [VFIO_CXL_HDM_RULE_DPA_OVERLAP] = "device memory range overlaps another "
        "committed decoder's",
    [VFIO_CXL_HDM_RULE_UNCOMMIT_ORDER] = "a higher-numbered decoder is still "
        "committed",
    [VFIO_CXL_HDM_RULE_HOST_INACTIVE] = "the host does not back the device "
                                        "memory (its decoders were reset)",
};

const char *vfio_cxl_hdm_rule_str(VFIOCXLHDMRule rule)
{
    return rule < VFIO_CXL_HDM_RULE__MAX ? rule_names[rule] : "accepted";
}

void vfio_cxl_hdm_init(VFIOCXLHDM *hdm, unsigned count, uint32_t cap,
                       bool cache_capable, uint64_t mem_size,
                       const VFIOCXLHDMOps *ops, void *opaque)
{
    memset(hdm, 0, sizeof(*hdm));
    hdm->count = MIN(count, CXL_HDM_MAX_DECODERS);
    hdm->cap = cap;
    hdm->mem_size = mem_size;
    hdm->ops = ops;
    hdm->opaque = opaque;
    /* A device decodes one way: no target list, UIO only if capable. */
    hdm->ctrl_mask = DEC_MASK(IG) | DEC_MASK(IW) | DEC_MASK(LOCK_ON_COMMIT) |
                     DEC_MASK(COMMIT) | DEC_MASK(TARGET_TYPE);
    if (cache_capable) {
        hdm->ctrl_mask |= DEC_MASK(BI);
    }
    if (FIELD_EX32(cap, CXL_HDM_CAP, UIO_CAPABLE)) {
        hdm->ctrl_mask |= DEC_MASK(UIO) | DEC_MASK(UIG) | DEC_MASK(UIW) |
                          DEC_MASK(ISP);
    }
}

void vfio_cxl_hdm_set_window(VFIOCXLHDM *hdm, uint64_t base, uint64_t size)
{
    hdm->win_base = base;
    hdm->win_size = size;
}

uint32_t vfio_cxl_hdm_block_size(const VFIOCXLHDM *hdm)
{
    return cxl_hdm_dec_reg(hdm->count, A_CXL_HDM_DEC_BASE_LO);
}

bool vfio_cxl_hdm_committed(const VFIOCXLHDM *hdm, unsigned n)
{
    return n < hdm->count &&
           FIELD_EX32(hdm->dec[n].ctrl, CXL_HDM_DEC_CTRL, COMMITTED);
}

bool vfio_cxl_hdm_locked(const VFIOCXLHDM *hdm, unsigned n)
{
    return vfio_cxl_hdm_committed(hdm, n) &&
           FIELD_EX32(hdm->dec[n].ctrl, CXL_HDM_DEC_CTRL, LOCK_ON_COMMIT);
}

/* Decode what is committed, but only while HDM Decoder Enable is set. */
static void hdm_sync(VFIOCXLHDM *hdm, unsigned n)
{
    VFIOCXLHDMDecoder *d = &hdm->dec[n];
    bool want = vfio_cxl_hdm_committed(hdm, n) && !hdm->host_inactive &&
                !vfio_cxl_hdm_gated(hdm) &&
                FIELD_EX32(hdm->global_ctrl, CXL_HDM_GLOBAL_CTRL,
                           HDM_DECODER_ENABLE);

    if (want && !d->mapped) {
        hdm->ops->map(hdm->opaque, n, d->base, d->dpa, d->size);
    } else if (!want && d->mapped) {
        hdm->ops->unmap(hdm->opaque, n);
    }
    d->mapped = want;
}

/* [a, a + as) and [b, b + bs), both non-empty and not wrapping */
static bool ranges_overlap64(uint64_t a, uint64_t as, uint64_t b, uint64_t bs)
{
    return a < b + bs && b < a + as;
}

static bool hdm_in_window(VFIOCXLHDM *hdm, uint64_t base, uint64_t size)
{
    return base >= hdm->win_base && size <= hdm->win_size &&
           base - hdm->win_base <= hdm->win_size - size;
}

/*
 * DVSEC Range @r decodes while HDM Decoder Enable is clear and Mem_Enable
 * is set (CXL r3.1 8.1.3.2, 8.2.4.20.2), from the device memory after the
 * ranges before it; QEMU maps it only inside the window, and not over a
 * range before it.
 */
static bool hdm_range_want(VFIOCXLHDM *hdm, unsigned r, uint64_t *dpa)
{
    VFIOCXLHDMRange *g = &hdm->range[r];
    uint64_t start = 0;
    unsigned i;

    if (FIELD_EX32(hdm->global_ctrl, CXL_HDM_GLOBAL_CTRL,
                   HDM_DECODER_ENABLE) || !hdm->mem_enable || !g->size ||
        hdm->host_inactive || vfio_cxl_hdm_gated(hdm) ||
        !hdm_in_window(hdm, g->base, g->size)) {
        return false;
    }
    for (i = 0; i < r; i++) {
        if (hdm->range[i].size > hdm->mem_size - start) {
            return false;
        }
        start += hdm->range[i].size;
        if (hdm->range[i].mapped &&
            ranges_overlap64(g->base, g->size, hdm->range[i].base,
                             hdm->range[i].size)) {
            return false;
        }
    }
    if (g->size > hdm->mem_size - start) {
        return false;
    }
    *dpa = start;
    return true;
}

static void hdm_range_sync(VFIOCXLHDM *hdm, unsigned r)
{
    VFIOCXLHDMRange *g = &hdm->range[r];
    uint64_t dpa = 0;
    bool want = hdm_range_want(hdm, r, &dpa);

    if (want && !g->mapped) {
        hdm->ops->map(hdm->opaque, r, g->base, dpa, g->size);
    } else if (!want && g->mapped) {
        hdm->ops->unmap(hdm->opaque, r);
    }
    g->mapped = want;
}

/*
 * Decoders and DVSEC ranges share the glue's parts, and never decode at
 * the same time: what goes is unmapped before what comes is mapped.
 */
static void hdm_sync_all(VFIOCXLHDM *hdm)
{
    bool hdm_on = FIELD_EX32(hdm->global_ctrl, CXL_HDM_GLOBAL_CTRL,
                             HDM_DECODER_ENABLE);
    unsigned n;

    for (n = 0; hdm_on && n < VFIO_CXL_DVSEC_RANGES; n++) {
        hdm_range_sync(hdm, n);
    }
    for (n = 0; n < hdm->count; n++) {
        hdm_sync(hdm, n);
    }
    for (n = 0; !hdm_on && n < VFIO_CXL_DVSEC_RANGES; n++) {
        hdm_range_sync(hdm, n);
    }
}

void vfio_cxl_hdm_set_host_inactive(VFIOCXLHDM *hdm, bool inactive)
{
    hdm->host_inactive = inactive;
    hdm_sync_all(hdm);
}

void vfio_cxl_hdm_set_gate(VFIOCXLHDM *hdm, VFIOCXLGateReason reason,
                           bool closed)
{
    if (closed) {
        hdm->gate |= reason;
    } else {
        hdm->gate &= ~reason;
    }
    hdm_sync_all(hdm);
}

bool vfio_cxl_hdm_gated(const VFIOCXLHDM *hdm)
{
    return hdm->gate;
}

void vfio_cxl_hdm_set_dvsec(VFIOCXLHDM *hdm, bool mem_enable,
                            const uint64_t base[VFIO_CXL_DVSEC_RANGES],
                            const uint64_t size[VFIO_CXL_DVSEC_RANGES])
{
    const uint64_t granule = ~(uint64_t)(CXL_HDM_GRANULE - 1);
    bool changed = mem_enable != hdm->mem_enable;
    unsigned r;

    for (r = 0; r < VFIO_CXL_DVSEC_RANGES; r++) {
        changed |= hdm->range[r].base != (base[r] & granule) ||
                   hdm->range[r].size != (size[r] & granule);
    }
    if (!changed) {
        return;
    }
    /* Any change may move every range: all are unmapped, then mapped anew. */
    for (r = 0; r < VFIO_CXL_DVSEC_RANGES; r++) {
        VFIOCXLHDMRange *g = &hdm->range[r];

        if (g->mapped) {
            hdm->ops->unmap(hdm->opaque, r);
            g->mapped = false;
        }
        g->base = base[r] & granule;
        g->size = size[r] & granule;
    }
    hdm->mem_enable = mem_enable;
    hdm_sync_all(hdm);
}

void vfio_cxl_hdm_set_firmware_attrs(VFIOCXLHDM *hdm, unsigned n,
                                     uint32_t host_ctrl)
{
    uint32_t keep = DEC_MASK(TARGET_TYPE) | DEC_MASK(BI);

    if (n >= hdm->count) {
        return;
    }
    /* UIO and its fields only where the capability says the device has it */
    keep |= hdm->ctrl_mask & (DEC_MASK(UIO) | DEC_MASK(UIG) | DEC_MASK(UIW) |
                              DEC_MASK(ISP));
    hdm->fw_attrs[n] = host_ctrl & keep;
}

/* The rules of a commit of decoder @n as it is programmed now. */
static VFIOCXLHDMRule hdm_check(VFIOCXLHDM *hdm, unsigned n, uint64_t *dpa)
{
    VFIOCXLHDMDecoder *d = &hdm->dec[n];
    uint64_t start = 0;
    unsigned m;

    if (hdm->host_inactive) {
        return VFIO_CXL_HDM_RULE_HOST_INACTIVE;
    }
    if (n && !vfio_cxl_hdm_committed(hdm, n - 1)) {
        return VFIO_CXL_HDM_RULE_ORDER;
    }
    if (!d->size) {
        return VFIO_CXL_HDM_RULE_SIZE_ZERO;
    }
    if (FIELD_EX32(d->ctrl, CXL_HDM_DEC_CTRL, IW)) {
        return VFIO_CXL_HDM_RULE_INTERLEAVE;
    }
    if (!hdm_in_window(hdm, d->base, d->size)) {
        return VFIO_CXL_HDM_RULE_WINDOW;
    }
    /* Device memory is decoded in decoder order; DPA Skip leaves a gap. */
    if (n) {
        start = hdm->dec[n - 1].dpa + hdm->dec[n - 1].size;
    }
    if (d->dpa_skip > hdm->mem_size - start ||
        d->size > hdm->mem_size - start - d->dpa_skip) {
        return VFIO_CXL_HDM_RULE_DPA;
    }
    for (m = 0; m < hdm->count; m++) {
        if (m != n && vfio_cxl_hdm_committed(hdm, m) &&
            ranges_overlap64(d->base, d->size, hdm->dec[m].base,
                             hdm->dec[m].size)) {
            return VFIO_CXL_HDM_RULE_OVERLAP;
        }
    }
    /*
     * CXL r3.1 8.2.4.20.12: decoder m+1's base is at or above decoder m's
     * base + size; decoder n + 1 is committed only by firmware here.
     */
    if ((n && d->base < hdm->dec[n - 1].base + hdm->dec[n - 1].size) ||
        (vfio_cxl_hdm_committed(hdm, n + 1) &&
         d->base + d->size > hdm->dec[n + 1].base)) {
        return VFIO_CXL_HDM_RULE_ADDR_ORDER;
    }
    /* Every byte of device memory is decoded at most once. */
    for (m = 0; m < hdm->count; m++) {
        if (m != n && vfio_cxl_hdm_committed(hdm, m) &&
            ranges_overlap64(start + d->dpa_skip, d->size, hdm->dec[m].dpa,
                             hdm->dec[m].size)) {
            return VFIO_CXL_HDM_RULE_DPA_OVERLAP;
        }
    }
    *dpa = start + d->dpa_skip;
    return VFIO_CXL_HDM_RULE__MAX;
}

static VFIOCXLHDMRule hdm_commit(VFIOCXLHDM *hdm, unsigned n)
{
    VFIOCXLHDMDecoder *d = &hdm->dec[n];
    VFIOCXLHDMRule rule = hdm_check(hdm, n, &d->dpa);
    bool ok = rule == VFIO_CXL_HDM_RULE__MAX;

    d->ctrl = FIELD_DP32(d->ctrl, CXL_HDM_DEC_CTRL, COMMITTED, ok);
    d->ctrl = FIELD_DP32(d->ctrl, CXL_HDM_DEC_CTRL, ERR_NOT_COMMITTED, !ok);
    if (ok) {
        hdm_sync(hdm, n);
    }
    return rule;
}

static void hdm_write_ctrl(VFIOCXLHDM *hdm, unsigned n, uint32_t val)
{
    VFIOCXLHDMDecoder *d = &hdm->dec[n];
    VFIOCXLHDMRule rule;

    if (vfio_cxl_hdm_committed(hdm, n)) {
        /* Committed: only clearing Commit is honoured (uncommit). */
        if (FIELD_EX32(val, CXL_HDM_DEC_CTRL, COMMIT)) {
            return;
        }
        /*
         * In reverse order only, as decoders are committed in increasing
         * order (CXL r3.1 8.2.4.20.12): a hole below a committed decoder
         * would let a new commit there map its device memory again. The
         * decoder stays committed, Commit set, as a locked one does.
         */
        if (vfio_cxl_hdm_committed(hdm, n + 1)) {
            hdm->ops->refused(hdm->opaque, n,
                              VFIO_CXL_HDM_RULE_UNCOMMIT_ORDER, d->base,
                              d->size);
            return;
        }
        d->ctrl = val & hdm->ctrl_mask;
        hdm_sync(hdm, n);
        return;
    }
    /* Committed and Error Not Committed are the model's to set. */
    d->ctrl = val & hdm->ctrl_mask;
    if (FIELD_EX32(val, CXL_HDM_DEC_CTRL, COMMIT)) {
        rule = hdm_commit(hdm, n);
        if (rule != VFIO_CXL_HDM_RULE__MAX) {
            hdm->ops->refused(hdm->opaque, n, rule, d->base, d->size);
        }
    }
}

/* A 64-bit field's half; low halves keep only their 256 MiB bits. */
static void hdm_set_half(uint64_t *field, bool high, uint32_t val)
{
    if (high) {
        *field = deposit64(*field, 32, 32, val);
    } else {
        *field = deposit64(*field, 0, 32, val & CXL_HDM_ADDR_LO_MASK);
    }
}

static void hdm_write32(VFIOCXLHDM *hdm, uint32_t off, uint32_t val)
{
    VFIOCXLHDMDecoder *d;
    uint32_t mask;
    unsigned n;

    if (off == A_CXL_HDM_GLOBAL_CTRL) {
        mask = R_CXL_HDM_GLOBAL_CTRL_HDM_DECODER_ENABLE_MASK;
        if (FIELD_EX32(hdm->cap, CXL_HDM_CAP, POISON_ON_ERR_CAP)) {
            mask |= R_CXL_HDM_GLOBAL_CTRL_POISON_ON_ERR_EN_MASK;
        }
        hdm->global_ctrl = val & mask;
        hdm_sync_all(hdm);
        return;
    }
    if (off < CXL_HDM_DECODER_FIRST) {
        return;     /* Capability is read-only, 0x08-0x0f reserved */
    }
    n = (off - CXL_HDM_DECODER_FIRST) / CXL_HDM_DECODER_STRIDE;
    off -= n * CXL_HDM_DECODER_STRIDE;
    if (n >= hdm->count || vfio_cxl_hdm_locked(hdm, n)) {
        return;     /* Lock On Commit holds the decoder until reset */
    }
    d = &hdm->dec[n];
    if (off == A_CXL_HDM_DEC_CTRL) {
        hdm_write_ctrl(hdm, n, val);
        return;
    }
    if (vfio_cxl_hdm_committed(hdm, n)) {
        return;     /* the range of a committed decoder stays */
    }
    switch (off) {
    case A_CXL_HDM_DEC_BASE_LO:
    case A_CXL_HDM_DEC_BASE_HI:
        hdm_set_half(&d->base, off == A_CXL_HDM_DEC_BASE_HI, val);
        break;
    case A_CXL_HDM_DEC_SIZE_LO:
    case A_CXL_HDM_DEC_SIZE_HI:
        hdm_set_half(&d->size, off == A_CXL_HDM_DEC_SIZE_HI, val);
        break;
    case A_CXL_HDM_DEC_DPA_SKIP_LO:
    case A_CXL_HDM_DEC_DPA_SKIP_HI:
        hdm_set_half(&d->dpa_skip, off == A_CXL_HDM_DEC_DPA_SKIP_HI, val);
        break;
    default:
        break;      /* reserved */
    }
}

static uint32_t hdm_read32(VFIOCXLHDM *hdm, uint32_t off)
{
    VFIOCXLHDMDecoder *d;
    unsigned n;

    if (off == A_CXL_HDM_CAP) {
        return hdm->cap;
    } else if (off == A_CXL_HDM_GLOBAL_CTRL) {
        return hdm->global_ctrl;
    } else if (off < CXL_HDM_DECODER_FIRST) {
        return 0;
    }
    n = (off - CXL_HDM_DECODER_FIRST) / CXL_HDM_DECODER_STRIDE;
    off -= n * CXL_HDM_DECODER_STRIDE;
    if (n >= hdm->count) {
        return 0;
    }
    d = &hdm->dec[n];
    switch (off) {
    case A_CXL_HDM_DEC_BASE_LO:
        return d->base;
    case A_CXL_HDM_DEC_BASE_HI:
        return d->base >> 32;
    case A_CXL_HDM_DEC_SIZE_LO:
        return d->size;
    case A_CXL_HDM_DEC_SIZE_HI:
        return d->size >> 32;
    case A_CXL_HDM_DEC_CTRL:
        return d->ctrl;
    case A_CXL_HDM_DEC_DPA_SKIP_LO:
        return d->dpa_skip;
    case A_CXL_HDM_DEC_DPA_SKIP_HI:
        return d->dpa_skip >> 32;
    default:
        return 0;
    }
}

uint64_t vfio_cxl_hdm_read(VFIOCXLHDM *hdm, uint32_t offset, unsigned size)
{
    uint64_t val = 0;
    unsigned i;

    for (i = 0; i < size && i < 8; i++) {
        uint64_t at = (uint64_t)offset + i;
        uint32_t dword = at < vfio_cxl_hdm_block_size(hdm) ?
                         hdm_read32(hdm, at & ~3u) : 0;

        val |= (uint64_t)extract32(dword, (at & 3) * 8, 8) << (i * 8);
    }
    return val;
}

void vfio_cxl_hdm_write(VFIOCXLHDM *hdm, uint32_t offset, uint64_t val,
                        unsigned size)
{
    uint64_t at = offset, end = (uint64_t)offset + MIN(size, 8);

    /* Dword by dword, low to high; a partial dword keeps its other bytes. */
    while (at < end) {
        uint64_t dword = at & ~3ull;
        unsigned lo = at - dword, n = MIN(end - at, 4 - lo);
        uint32_t cur;

        if (dword + 4 > vfio_cxl_hdm_block_size(hdm)) {
            return;
        }
        cur = n == 4 ? 0 : hdm_read32(hdm, dword);
        cur = deposit32(cur, lo * 8, n * 8, val);
        hdm_write32(hdm, dword, cur);
        val >>= n * 8;
        at += n;
    }
}

void vfio_cxl_hdm_reset(VFIOCXLHDM *hdm)
{
    unsigned n;

    for (n = 0; n < hdm->count; n++) {
        if (hdm->dec[n].mapped) {
            hdm->ops->unmap(hdm->opaque, n);
        }
        memset(&hdm->dec[n], 0, sizeof(hdm->dec[n]));
    }
    hdm->global_ctrl = 0;
    /* DVSEC Control and Range Base too: the glue sets them again. */
    for (n = 0; n < VFIO_CXL_DVSEC_RANGES; n++) {
        if (hdm->range[n].mapped) {
            hdm->ops->unmap(hdm->opaque, n);
            hdm->range[n].mapped = false;
        }
        hdm->range[n].base = 0;
    }
    hdm->mem_enable = false;
}

VFIOCXLHDMRule vfio_cxl_hdm_commit_locked(VFIOCXLHDM *hdm, unsigned n,
                                          uint64_t base, uint64_t size,
                                          uint64_t dpa_skip)
{
    VFIOCXLHDMDecoder *d;
    VFIOCXLHDMRule rule;
    unsigned m;

    if (n >= hdm->count) {
        return VFIO_CXL_HDM_RULE_ORDER;
    }
    d = &hdm->dec[n];
    base &= ~(uint64_t)(CXL_HDM_GRANULE - 1);
    size &= ~(uint64_t)(CXL_HDM_GRANULE - 1);
    dpa_skip &= ~(uint64_t)(CXL_HDM_GRANULE - 1);
    /*
     * Global Control as firmware leaves it, whatever the guest made of it
     * since: a reset returns it there, as it returns the decoders.
     */
    hdm->global_ctrl = R_CXL_HDM_GLOBAL_CTRL_HDM_DECODER_ENABLE_MASK;
    hdm_sync_all(hdm);
    if (vfio_cxl_hdm_locked(hdm, n) && d->base == base && d->size == size &&
        d->dpa_skip == dpa_skip) {
        return VFIO_CXL_HDM_RULE__MAX;  /* as it is: mappings stay */
    }
    /*
     * Anything else is done again from scratch, and so is every decoder
     * above it, whose range and device memory follow it: decoders uncommit
     * from the highest down (CXL r3.1 8.2.4.20.12).
     */
    for (m = hdm->count; m-- > n; ) {
        if (vfio_cxl_hdm_committed(hdm, m)) {
            if (hdm->dec[m].mapped) {
                hdm->ops->unmap(hdm->opaque, m);
                hdm->dec[m].mapped = false;
            }
            hdm->dec[m].ctrl = 0;
        }
    }
    d->base = base;
    d->size = size;
    d->dpa_skip = dpa_skip;
    /* What the host committed it as: HDM-H, HDM-D or HDM-DB, UIO */
    d->ctrl = FIELD_DP32(hdm->fw_attrs[n], CXL_HDM_DEC_CTRL, LOCK_ON_COMMIT,
                         1);
    d->ctrl = FIELD_DP32(d->ctrl, CXL_HDM_DEC_CTRL, COMMIT, 1);
    rule = hdm_commit(hdm, n);
    hdm_sync_all(hdm);
    return rule;
}
