/*
 * libFuzzer target: the HDM decoder model (hw/vfio/cxl-hdm.c).
 *
 * An input configures a device (decoder count, device memory, window)
 * and then is a stream of guest register accesses of every size and
 * alignment, resets, firmware commits and DVSEC range changes. After
 * every step the register values the guest reads are held against the
 * CXL specification's decoder rules (r3.1 8.2.4.20), independently of how
 * the model keeps its state, and against what the model asked the glue to
 * map:
 *
 * - Committed and Error Not Committed are never both set;
 * - committed decoders are 0..k-1, each above the one before it, and
 *   their device memory follows in decoder order after each DPA skip;
 * - with HDM Decoder Enable set, exactly the committed decoders are
 *   mapped, each at its BASE and SIZE inside the window; with it clear,
 *   no decoder is, and only DVSEC ranges (with Mem_Enable) inside it;
 * - no byte of device memory and no guest address is mapped twice;
 * - a locked decoder reads the same until a reset.
 *
 * Copyright (c) 2026 QEMU CXL Type-2 team
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/units.h"
#include "hw/registerfields.h"
#include "cxl-hdm.h"

#define WIN_BASE    (1ULL << 40)

typedef struct Slot {
    bool mapped;
    uint64_t gpa, dpa, size;
} Slot;

typedef struct Fuzz {
    const uint8_t *data;
    size_t size;
    VFIOCXLHDM hdm;
    Slot slot[CXL_HDM_MAX_DECODERS];
    bool mem_enable;
    uint64_t range_base[VFIO_CXL_DVSEC_RANGES];
    uint64_t range_size[VFIO_CXL_DVSEC_RANGES];
    uint32_t locked[CXL_HDM_MAX_DECODERS][4];   /* BASE, SIZE, SKIP, CTRL */
} Fuzz;

static uint64_t take(Fuzz *f, unsigned bytes)
{
    uint64_t v = 0;

    while (bytes-- && f->size) {
        v = v << 8 | *f->data++;
        f->size--;
    }
    return v;
}

static void map(void *opaque, unsigned n, uint64_t base, uint64_t dpa,
                uint64_t size)
{
    Fuzz *f = opaque;

    assert(n < CXL_HDM_MAX_DECODERS && !f->slot[n].mapped);
    f->slot[n] = (Slot) { true, base, dpa, size };
}

static void unmap(void *opaque, unsigned n)
{
    Fuzz *f = opaque;

    assert(n < CXL_HDM_MAX_DECODERS && f->slot[n].mapped);
    f->slot[n].mapped = false;
}

static void refused(void *opaque, unsigned n, VFIOCXLHDMRule rule,
                    uint64_t base, uint64_t size)
{
    assert(rule < VFIO_CXL_HDM_RULE__MAX);
}

static const VFIOCXLHDMOps ops = { map, unmap, refused };

static uint32_t reg(Fuzz *f, unsigned n, uint32_t r)
{
    return vfio_cxl_hdm_read(&f->hdm, cxl_hdm_dec_reg(n, r), 4);
}

static uint64_t reg64(Fuzz *f, unsigned n, uint32_t lo)
{
    return (reg(f, n, lo) & CXL_HDM_ADDR_LO_MASK) |
           (uint64_t)reg(f, n, lo + 4) << 32;
}

static bool overlap(uint64_t a, uint64_t as, uint64_t b, uint64_t bs)
{
    return a < b + bs && b < a + as;
}

static bool in_window(Fuzz *f, uint64_t base, uint64_t size)
{
    return size && base >= f->hdm.win_base && size <= f->hdm.win_size &&
           base - f->hdm.win_base <= f->hdm.win_size - size;
}

/* What the registers say must be mapped, against what is. */
static void check(Fuzz *f)
{
    VFIOCXLHDM *h = &f->hdm;
    bool enabled = vfio_cxl_hdm_read(h, A_CXL_HDM_GLOBAL_CTRL, 4) &
                   R_CXL_HDM_GLOBAL_CTRL_HDM_DECODER_ENABLE_MASK;
    uint64_t dpa_end = 0, prev_end = 0, dpa;
    bool prev_committed = true;
    unsigned n, m;

    for (n = 0; n < h->count; n++) {
        uint32_t ctrl = reg(f, n, A_CXL_HDM_DEC_CTRL);
        bool committed = FIELD_EX32(ctrl, CXL_HDM_DEC_CTRL, COMMITTED);
        uint64_t base = reg64(f, n, A_CXL_HDM_DEC_BASE_LO);
        uint64_t size = reg64(f, n, A_CXL_HDM_DEC_SIZE_LO);
        uint64_t skip = reg64(f, n, A_CXL_HDM_DEC_DPA_SKIP_LO);

        assert(!(committed &&
                 FIELD_EX32(ctrl, CXL_HDM_DEC_CTRL, ERR_NOT_COMMITTED)));
        if (!committed) {
            prev_committed = false;
            assert(!enabled || !f->slot[n].mapped);
            continue;
        }
        /* in order, ascending, device memory in decoder order */
        assert(prev_committed && base >= prev_end);
        assert(in_window(f, base, size));
        assert(skip <= h->mem_size - dpa_end);
        dpa = dpa_end + skip;
        assert(size <= h->mem_size - dpa);
        dpa_end = dpa + size;
        prev_end = base + size;
        if (enabled) {
            assert(f->slot[n].mapped && f->slot[n].gpa == base &&
                   f->slot[n].size == size && f->slot[n].dpa == dpa);
        }
    }
    if (!enabled) {
        /* DVSEC Range r: device memory after the ranges before it */
        uint64_t start = 0;

        for (n = 0; n < VFIO_CXL_DVSEC_RANGES; n++) {
            Slot *s = &f->slot[n];
            bool want = f->mem_enable && in_window(f, f->range_base[n],
                                                   f->range_size[n]) &&
                        f->range_size[n] <= h->mem_size - start;

            /* and not over a range before it (which is mapped) */
            for (m = 0; want && m < n; m++) {
                want = !overlap(f->range_base[n], f->range_size[n],
                                f->range_base[m], f->range_size[m]) ||
                       !f->slot[m].mapped;
            }
            assert(s->mapped == want);
            if (want) {
                assert(s->gpa == f->range_base[n] &&
                       s->size == f->range_size[n] && s->dpa == start);
            }
            if (f->range_size[n] > h->mem_size - start) {
                break;  /* no device memory left for the ranges after it */
            }
            start += f->range_size[n];
        }
        for (n = VFIO_CXL_DVSEC_RANGES; n < CXL_HDM_MAX_DECODERS; n++) {
            assert(!f->slot[n].mapped);
        }
    }
    for (n = h->count; enabled && n < CXL_HDM_MAX_DECODERS; n++) {
        assert(!f->slot[n].mapped);
    }
    for (n = 0; n < CXL_HDM_MAX_DECODERS; n++) {
        for (m = n + 1; f->slot[n].mapped && m < CXL_HDM_MAX_DECODERS; m++) {
            if (f->slot[m].mapped) {
                assert(!overlap(f->slot[n].dpa, f->slot[n].size,
                                f->slot[m].dpa, f->slot[m].size));
                assert(!overlap(f->slot[n].gpa, f->slot[n].size,
                                f->slot[m].gpa, f->slot[m].size));
            }
        }
    }
}

/* A locked decoder holds until a reset or a firmware commit. */
static void check_locked(Fuzz *f, bool forget)
{
    static const uint32_t regs[4] = {
        A_CXL_HDM_DEC_BASE_LO, A_CXL_HDM_DEC_SIZE_LO,
        A_CXL_HDM_DEC_DPA_SKIP_LO, A_CXL_HDM_DEC_CTRL,
    };
    unsigned n, i;

    for (n = 0; n < f->hdm.count; n++) {
        for (i = 0; !forget && f->locked[n][3] && i < 4; i++) {
            assert(reg(f, n, regs[i]) == f->locked[n][i]);
        }
        for (i = 0; i < 4; i++) {
            f->locked[n][i] = vfio_cxl_hdm_locked(&f->hdm, n) ?
                              reg(f, n, regs[i]) : 0;
        }
    }
}

/* A register value likely to make sense: granules near the window. */
static uint64_t plausible(Fuzz *f, uint32_t off)
{
    uint64_t v = take(f, 1) % 8 * CXL_HDM_GRANULE;

    switch ((off - CXL_HDM_DECODER_FIRST) % CXL_HDM_DECODER_STRIDE) {
    case A_CXL_HDM_DEC_BASE_LO:
        return WIN_BASE + v;
    case A_CXL_HDM_DEC_CTRL:
        return take(f, 2);
    default:
        return v;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const unsigned counts[] = { 1, 2, 4, 8 };
    g_autofree Fuzz *f = g_new0(Fuzz, 1);
    unsigned count, n;
    uint32_t cap, off, block;
    uint64_t val;

    f->data = data;
    f->size = size;
    count = counts[take(f, 1) % ARRAY_SIZE(counts)];
    cap = FIELD_DP32(0, CXL_HDM_CAP, DECODER_COUNT, count / 2);
    cap |= take(f, 1) & (R_CXL_HDM_CAP_POISON_ON_ERR_CAP_MASK |
                         R_CXL_HDM_CAP_UIO_CAPABLE_MASK);
    vfio_cxl_hdm_init(&f->hdm, count, cap, take(f, 1) & 1,
                      (1 + take(f, 1) % 4) * CXL_HDM_GRANULE, &ops, f);
    vfio_cxl_hdm_set_window(&f->hdm, WIN_BASE,
                            (1 + take(f, 1) % 8) * CXL_HDM_GRANULE);
    block = vfio_cxl_hdm_block_size(&f->hdm);

    while (f->size) {
        bool forget = false;

        switch (take(f, 1) % 8) {
        case 0: /* any access */
        case 1:
            off = take(f, 2) % (block + 8);
            vfio_cxl_hdm_write(&f->hdm, off, take(f, 8),
                               1 << (take(f, 1) % 4));
            break;
        case 2: /* a dword with a plausible value */
        case 3:
            off = QEMU_ALIGN_DOWN(take(f, 2) % block, 4);
            vfio_cxl_hdm_write(&f->hdm, off, plausible(f, off), 4);
            break;
        case 4:
            off = take(f, 2) % (block + 8);
            vfio_cxl_hdm_read(&f->hdm, off, 1 << (take(f, 1) % 4));
            break;
        case 5:
            vfio_cxl_hdm_reset(&f->hdm);
            /* the glue hands the model the reset DVSEC state */
            f->mem_enable = false;
            memset(f->range_base, 0, sizeof(f->range_base));
            forget = true;
            break;
        case 6:
            n = take(f, 1) % (count + 1);
            val = WIN_BASE + take(f, 1) % 8 * CXL_HDM_GRANULE;
            vfio_cxl_hdm_commit_locked(&f->hdm, n, val,
                                       take(f, 1) % 4 * CXL_HDM_GRANULE,
                                       take(f, 1) % 2 * CXL_HDM_GRANULE);
            forget = true;
            break;
        default:
            f->mem_enable = take(f, 1) & 1;
            for (n = 0; n < VFIO_CXL_DVSEC_RANGES; n++) {
                f->range_base[n] = WIN_BASE +
                                   take(f, 1) % 8 * CXL_HDM_GRANULE;
                f->range_size[n] = take(f, 1) % 4 * CXL_HDM_GRANULE;
            }
            vfio_cxl_hdm_set_dvsec(&f->hdm, f->mem_enable, f->range_base,
                                   f->range_size);
            break;
        }
        check(f);
        check_locked(f, forget);
    }
    vfio_cxl_hdm_reset(&f->hdm);
    return 0;
}
