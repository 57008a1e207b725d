/*
 * Unit tests of the CXL Type-2 passthrough HDM decoder model
 * (hw/vfio/cxl-hdm.c): the registers a guest reads, the commit rules and
 * what the model asks the device glue to map.
 *
 * Copyright (c) 2026 QEMU CXL Type-2 team
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "hw/vfio/cxl-hdm.h"

#define WIN_BASE        (16 * GiB)
#define WIN_SIZE        (4 * GiB)
#define MEM_SIZE        (1 * GiB)
#define CAP_2_DECODERS  0x1     /* Decoder Count 1: two decoders */

typedef struct Glue {
    VFIOCXLHDM hdm;
    int mapped[CXL_HDM_MAX_DECODERS];   /* map minus unmap calls */
    uint64_t base[CXL_HDM_MAX_DECODERS], dpa[CXL_HDM_MAX_DECODERS];
    uint64_t size[CXL_HDM_MAX_DECODERS];
    unsigned refusals;
    VFIOCXLHDMRule rule;
} Glue;

static void glue_map(void *opaque, unsigned n, uint64_t base, uint64_t dpa,
                     uint64_t size)
{
    Glue *g = opaque;

    g_assert_cmpint(g->mapped[n], ==, 0);
    g->mapped[n]++;
    g->base[n] = base;
    g->dpa[n] = dpa;
    g->size[n] = size;
}

static void glue_unmap(void *opaque, unsigned n)
{
    Glue *g = opaque;

    g_assert_cmpint(g->mapped[n], ==, 1);
    g->mapped[n]--;
}

static void glue_refused(void *opaque, unsigned n, VFIOCXLHDMRule rule,
                         uint64_t base, uint64_t size)
{
    Glue *g = opaque;

    g->refusals++;
    g->rule = rule;
}

static const VFIOCXLHDMOps glue_ops = {
    .map = glue_map,
    .unmap = glue_unmap,
    .refused = glue_refused,
};

static void glue_init_n(Glue *g, unsigned count, uint32_t cap,
                        bool cache_capable)
{
    memset(g, 0, sizeof(*g));
    g->rule = VFIO_CXL_HDM_RULE__MAX;
    vfio_cxl_hdm_init(&g->hdm, count, cap, cache_capable, MEM_SIZE,
                      &glue_ops, g);
    vfio_cxl_hdm_set_window(&g->hdm, WIN_BASE, WIN_SIZE);
}

static void glue_init(Glue *g, bool cache_capable)
{
    glue_init_n(g, 2, CAP_2_DECODERS, cache_capable);
}

static uint32_t rd(Glue *g, unsigned n, uint32_t reg)
{
    return vfio_cxl_hdm_read(&g->hdm, cxl_hdm_dec_reg(n, reg), 4);
}

static void wr(Glue *g, unsigned n, uint32_t reg, uint32_t val)
{
    vfio_cxl_hdm_write(&g->hdm, cxl_hdm_dec_reg(n, reg), val, 4);
}

static void enable(Glue *g)
{
    vfio_cxl_hdm_write(&g->hdm, A_CXL_HDM_GLOBAL_CTRL,
                       R_CXL_HDM_GLOBAL_CTRL_HDM_DECODER_ENABLE_MASK, 4);
}

/* What a guest OS does: BASE, SIZE, DPA skip, then Control with Commit. */
static uint32_t commit(Glue *g, unsigned n, uint64_t base, uint64_t size,
                       uint64_t skip, uint32_t ctrl)
{
    wr(g, n, A_CXL_HDM_DEC_BASE_LO, base);
    wr(g, n, A_CXL_HDM_DEC_BASE_HI, base >> 32);
    wr(g, n, A_CXL_HDM_DEC_SIZE_LO, size);
    wr(g, n, A_CXL_HDM_DEC_SIZE_HI, size >> 32);
    wr(g, n, A_CXL_HDM_DEC_DPA_SKIP_LO, skip);
    wr(g, n, A_CXL_HDM_DEC_DPA_SKIP_HI, skip >> 32);
    wr(g, n, A_CXL_HDM_DEC_CTRL, ctrl | R_CXL_HDM_DEC_CTRL_COMMIT_MASK);
    return rd(g, n, A_CXL_HDM_DEC_CTRL);
}

#define COMMITTED       R_CXL_HDM_DEC_CTRL_COMMITTED_MASK
#define ERR             R_CXL_HDM_DEC_CTRL_ERR_NOT_COMMITTED_MASK
#define COMMIT          R_CXL_HDM_DEC_CTRL_COMMIT_MASK
#define LOCK            R_CXL_HDM_DEC_CTRL_LOCK_ON_COMMIT_MASK

static void test_reset_values(void)
{
    Glue g;
    uint32_t off;

    glue_init(&g, false);
    g_assert_cmphex(vfio_cxl_hdm_read(&g.hdm, A_CXL_HDM_CAP, 4), ==,
                    CAP_2_DECODERS);
    g_assert_cmpuint(vfio_cxl_hdm_block_size(&g.hdm), ==, 0x50);
    for (off = 4; off < 0x60; off += 4) {
        g_assert_cmphex(vfio_cxl_hdm_read(&g.hdm, off, 4), ==, 0);
    }
    /* The Capability register is read-only */
    vfio_cxl_hdm_write(&g.hdm, A_CXL_HDM_CAP, 0xffffffff, 4);
    g_assert_cmphex(vfio_cxl_hdm_read(&g.hdm, A_CXL_HDM_CAP, 4), ==,
                    CAP_2_DECODERS);
    /* Reserved bits of Global Control (no poison capability) */
    vfio_cxl_hdm_write(&g.hdm, A_CXL_HDM_GLOBAL_CTRL, 0xffffffff, 4);
    g_assert_cmphex(vfio_cxl_hdm_read(&g.hdm, A_CXL_HDM_GLOBAL_CTRL, 4), ==,
                    R_CXL_HDM_GLOBAL_CTRL_HDM_DECODER_ENABLE_MASK);
}

static void test_commit_maps(void)
{
    Glue g;

    glue_init(&g, false);
    enable(&g);
    g_assert_cmphex(commit(&g, 0, WIN_BASE + GiB, 512 * MiB, 0, 0), ==,
                    COMMIT | COMMITTED);
    g_assert_cmpint(g.mapped[0], ==, 1);
    g_assert_cmphex(g.base[0], ==, WIN_BASE + GiB);
    g_assert_cmphex(g.dpa[0], ==, 0);
    g_assert_cmphex(g.size[0], ==, 512 * MiB);
    /* The second decoder takes the rest, after a 256 MiB DPA skip */
    g_assert_cmphex(commit(&g, 1, WIN_BASE + 2 * GiB, 256 * MiB, 256 * MiB,
                           0), ==, COMMIT | COMMITTED);
    g_assert_cmphex(g.dpa[1], ==, 768 * MiB);
    g_assert_cmpuint(g.refusals, ==, 0);

    /* While committed the range stays, and only uncommit is honoured */
    wr(&g, 0, A_CXL_HDM_DEC_BASE_LO, 0);
    wr(&g, 0, A_CXL_HDM_DEC_CTRL, COMMIT | 0x4 /* IG */);
    g_assert_cmphex(rd(&g, 0, A_CXL_HDM_DEC_BASE_HI), ==,
                    (WIN_BASE + GiB) >> 32);
    g_assert_cmphex(rd(&g, 0, A_CXL_HDM_DEC_BASE_LO), ==,
                    (uint32_t)(WIN_BASE + GiB));
    g_assert_cmphex(rd(&g, 0, A_CXL_HDM_DEC_CTRL), ==, COMMIT | COMMITTED);
    wr(&g, 1, A_CXL_HDM_DEC_CTRL, 0);
    g_assert_cmphex(rd(&g, 1, A_CXL_HDM_DEC_CTRL), ==, 0);
    g_assert_cmpint(g.mapped[1], ==, 0);
    g_assert_cmpint(g.mapped[0], ==, 1);

    /* HDM Decoder Enable gates decoding */
    vfio_cxl_hdm_write(&g.hdm, A_CXL_HDM_GLOBAL_CTRL, 0, 4);
    g_assert_cmpint(g.mapped[0], ==, 0);
    enable(&g);
    g_assert_cmpint(g.mapped[0], ==, 1);

    vfio_cxl_hdm_reset(&g.hdm);
    g_assert_cmpint(g.mapped[0], ==, 0);
    g_assert_cmphex(rd(&g, 0, A_CXL_HDM_DEC_CTRL), ==, 0);
    g_assert_cmphex(rd(&g, 0, A_CXL_HDM_DEC_BASE_HI), ==, 0);
    g_assert_cmphex(vfio_cxl_hdm_read(&g.hdm, A_CXL_HDM_GLOBAL_CTRL, 4), ==, 0);
}

/* Committed before HDM Decoder Enable: mapped when it is set. */
static void test_commit_then_enable(void)
{
    Glue g;

    glue_init(&g, false);
    g_assert_cmphex(commit(&g, 0, WIN_BASE, MEM_SIZE, 0, 0), ==,
                    COMMIT | COMMITTED);
    g_assert_cmpint(g.mapped[0], ==, 0);
    enable(&g);
    g_assert_cmpint(g.mapped[0], ==, 1);
}

static void test_lock(void)
{
    Glue g;

    glue_init(&g, false);
    enable(&g);
    g_assert_cmphex(commit(&g, 0, WIN_BASE, MEM_SIZE, 0, LOCK), ==,
                    LOCK | COMMIT | COMMITTED);
    wr(&g, 0, A_CXL_HDM_DEC_CTRL, 0);
    g_assert_cmphex(rd(&g, 0, A_CXL_HDM_DEC_CTRL), ==,
                    LOCK | COMMIT | COMMITTED);
    g_assert_cmpint(g.mapped[0], ==, 1);
    vfio_cxl_hdm_reset(&g.hdm);
    g_assert_cmpint(g.mapped[0], ==, 0);
    g_assert_cmphex(rd(&g, 0, A_CXL_HDM_DEC_CTRL), ==, 0);
}

typedef struct RuleCase {
    const char *name;
    unsigned n;
    uint64_t base, size, skip;
    uint32_t ctrl;
    VFIOCXLHDMRule rule;
} RuleCase;

static const RuleCase rule_cases[] = {
    { "order", 1, WIN_BASE, 256 * MiB, 0, 0, VFIO_CXL_HDM_RULE_ORDER },
    { "size-zero", 0, WIN_BASE, 0, 0, 0, VFIO_CXL_HDM_RULE_SIZE_ZERO },
    { "interleave", 0, WIN_BASE, 256 * MiB, 0, 1 << 4,
      VFIO_CXL_HDM_RULE_INTERLEAVE },
    { "below-window", 0, WIN_BASE - 256 * MiB, 512 * MiB, 0, 0,
      VFIO_CXL_HDM_RULE_WINDOW },
    { "past-window", 0, WIN_BASE + WIN_SIZE - 256 * MiB, 512 * MiB, 0, 0,
      VFIO_CXL_HDM_RULE_WINDOW },
    { "wraps", 0, 0xfffffffff0000000ULL, 512 * MiB, 0, 0,
      VFIO_CXL_HDM_RULE_WINDOW },
    { "too-big", 0, WIN_BASE, 2 * GiB, 0, 0, VFIO_CXL_HDM_RULE_DPA },
    { "skip-too-big", 0, WIN_BASE, 256 * MiB, MEM_SIZE, 0,
      VFIO_CXL_HDM_RULE_DPA },
};

/* Each refusal: Error Not Committed, nothing mapped, the rule reported. */
static void test_refused(const void *data)
{
    const RuleCase *c = data;
    Glue g;

    glue_init(&g, false);
    enable(&g);
    g_assert_cmphex(commit(&g, c->n, c->base, c->size, c->skip, c->ctrl) &
                    (COMMITTED | ERR), ==, ERR);
    g_assert_cmpint(g.mapped[c->n], ==, 0);
    g_assert_cmpuint(g.refusals, ==, 1);
    g_assert_cmpstr(vfio_cxl_hdm_rule_str(g.rule), ==,
                    vfio_cxl_hdm_rule_str(c->rule));
    /* Fixed and committed again, the error goes */
    if (c->n == 0) {
        g_assert_cmphex(commit(&g, 0, WIN_BASE, 256 * MiB, 0, 0), ==,
                        COMMIT | COMMITTED);
    }
}

static void test_overlap_and_dpa_left(void)
{
    Glue g;

    glue_init(&g, false);
    enable(&g);
    g_assert_cmphex(commit(&g, 0, WIN_BASE, 768 * MiB, 0, 0), ==,
                    COMMIT | COMMITTED);
    g_assert_cmphex(commit(&g, 1, WIN_BASE + 512 * MiB, 256 * MiB, 0, 0) &
                    ERR, ==, ERR);
    g_assert_cmpint(g.rule, ==, VFIO_CXL_HDM_RULE_OVERLAP);
    /* 256 MiB left: 512 is refused, 256 taken */
    g_assert_cmphex(commit(&g, 1, WIN_BASE + GiB, 512 * MiB, 0, 0) & ERR, ==,
                    ERR);
    g_assert_cmpint(g.rule, ==, VFIO_CXL_HDM_RULE_DPA);
    g_assert_cmphex(commit(&g, 1, WIN_BASE + GiB, 256 * MiB, 0, 0), ==,
                    COMMIT | COMMITTED);
    g_assert_cmphex(g.dpa[1], ==, 768 * MiB);
}

/* Accesses of every size: bytes, words, a qword over BASE_LO and _HI. */
static void test_access_sizes(void)
{
    uint32_t base_lo = cxl_hdm_dec_reg(0, A_CXL_HDM_DEC_BASE_LO);
    uint32_t ctrl = cxl_hdm_dec_reg(0, A_CXL_HDM_DEC_CTRL);
    Glue g;

    glue_init(&g, true);
    vfio_cxl_hdm_write(&g.hdm, base_lo, WIN_BASE + 0x3fffffff, 8);
    g_assert_cmphex(vfio_cxl_hdm_read(&g.hdm, base_lo, 8), ==,
                    WIN_BASE + 0x30000000);
    g_assert_cmphex(vfio_cxl_hdm_read(&g.hdm, base_lo + 3, 1), ==, 0x30);
    g_assert_cmphex(vfio_cxl_hdm_read(&g.hdm, base_lo + 4, 2), ==, 4);
    vfio_cxl_hdm_write(&g.hdm, base_lo + 3, 0x10, 1);
    g_assert_cmphex(vfio_cxl_hdm_read(&g.hdm, base_lo, 4), ==, 0x10000000);
    /* Unaligned across two dwords */
    vfio_cxl_hdm_write(&g.hdm, base_lo + 2, 0x00052000, 4);
    g_assert_cmphex(vfio_cxl_hdm_read(&g.hdm, base_lo, 8), ==,
                    0x520000000ULL);
    /* BI is writable on a Cache_Capable device; reserved bits are not */
    vfio_cxl_hdm_write(&g.hdm, ctrl, 0xf0008000 |
                       R_CXL_HDM_DEC_CTRL_BI_MASK, 4);
    g_assert_cmphex(vfio_cxl_hdm_read(&g.hdm, ctrl, 4), ==,
                    R_CXL_HDM_DEC_CTRL_BI_MASK);
    /* Byte write of Control's second byte: Commit */
    vfio_cxl_hdm_write(&g.hdm, cxl_hdm_dec_reg(0, A_CXL_HDM_DEC_SIZE_LO), 0,
                       4);
    vfio_cxl_hdm_write(&g.hdm, cxl_hdm_dec_reg(0, A_CXL_HDM_DEC_SIZE_HI), 0,
                       4);
    vfio_cxl_hdm_write(&g.hdm, ctrl + 1, COMMIT >> 8, 1);
    g_assert_cmphex(vfio_cxl_hdm_read(&g.hdm, ctrl, 4) & ERR, ==, ERR);
    g_assert_cmpint(g.rule, ==, VFIO_CXL_HDM_RULE_SIZE_ZERO);
    /* Past the block: reads 0, writes go nowhere */
    vfio_cxl_hdm_write(&g.hdm, 0x50, 0xffffffff, 4);
    g_assert_cmphex(vfio_cxl_hdm_read(&g.hdm, 0x50, 8), ==, 0);
    g_assert_cmphex(vfio_cxl_hdm_read(&g.hdm, 0x4e, 4) >> 16, ==, 0);
}

/* Firmware's commit: the same rules, locked, decoding enabled. */
static void test_commit_locked(void)
{
    Glue g;

    glue_init(&g, false);
    g_assert_cmpint(vfio_cxl_hdm_commit_locked(&g.hdm, 0, WIN_BASE,
                                               512 * MiB, 0), ==,
                    VFIO_CXL_HDM_RULE__MAX);
    g_assert_cmpint(vfio_cxl_hdm_commit_locked(&g.hdm, 1, WIN_BASE + 512 * MiB,
                                               512 * MiB, 0), ==,
                    VFIO_CXL_HDM_RULE__MAX);
    g_assert_true(vfio_cxl_hdm_locked(&g.hdm, 0));
    g_assert_true(vfio_cxl_hdm_locked(&g.hdm, 1));
    g_assert_cmpint(g.mapped[0] + g.mapped[1], ==, 2);
    g_assert_cmphex(g.dpa[1], ==, 512 * MiB);
    g_assert_cmpuint(g.refusals, ==, 0);
    /* Again, as after a reset: one mapping each, not two */
    g_assert_cmpint(vfio_cxl_hdm_commit_locked(&g.hdm, 0, WIN_BASE,
                                               512 * MiB, 0), ==,
                    VFIO_CXL_HDM_RULE__MAX);
    g_assert_cmpint(g.mapped[0], ==, 1);
    g_assert_cmpint(vfio_cxl_hdm_commit_locked(&g.hdm, 1, WIN_BASE + WIN_SIZE,
                                               512 * MiB, 0), ==,
                    VFIO_CXL_HDM_RULE_WINDOW);
    g_assert_cmpint(g.mapped[1], ==, 0);
}

/*
 * Firmware recommits decoder 0 elsewhere while decoder 1 is committed
 * above it: decoder 1 goes too, or decoder 1 would be committed with
 * decoder 0 not (found by tests/fuzz/libfuzzer/fuzz-cxl-hdm).
 */
static void test_commit_locked_again(void)
{
    Glue g;

    glue_init(&g, false);
    vfio_cxl_hdm_commit_locked(&g.hdm, 0, WIN_BASE, 512 * MiB, 0);
    vfio_cxl_hdm_commit_locked(&g.hdm, 1, WIN_BASE + 512 * MiB, 512 * MiB,
                               0);
    g_assert_cmpint(vfio_cxl_hdm_commit_locked(&g.hdm, 0, WIN_BASE,
                                               768 * MiB, 0), ==,
                    VFIO_CXL_HDM_RULE__MAX);
    g_assert_true(vfio_cxl_hdm_committed(&g.hdm, 0));
    g_assert_false(vfio_cxl_hdm_committed(&g.hdm, 1));
    g_assert_cmpint(g.mapped[0], ==, 1);
    g_assert_cmpint(g.mapped[1], ==, 0);
}

/*
 * Every byte of device memory mapped at most once, and every GPA too:
 * the parts the glue holds mapped have disjoint DPA and address ranges.
 */
static void assert_disjoint(Glue *g)
{
    unsigned i, j;

    for (i = 0; i < CXL_HDM_MAX_DECODERS; i++) {
        g_assert_cmpint(g->mapped[i], >=, 0);
        g_assert_cmpint(g->mapped[i], <=, 1);
        if (!g->mapped[i]) {
            continue;
        }
        g_assert_cmpuint(g->dpa[i] + g->size[i], <=, MEM_SIZE);
        g_assert_cmpuint(g->base[i], >=, WIN_BASE);
        g_assert_cmpuint(g->base[i] + g->size[i], <=, WIN_BASE + WIN_SIZE);
        for (j = i + 1; j < CXL_HDM_MAX_DECODERS; j++) {
            if (!g->mapped[j]) {
                continue;
            }
            g_assert_false(g->dpa[i] < g->dpa[j] + g->size[j] &&
                           g->dpa[j] < g->dpa[i] + g->size[i]);
            g_assert_false(g->base[i] < g->base[j] + g->size[j] &&
                           g->base[j] < g->base[i] + g->size[i]);
        }
    }
}

/*
 * A reset in firmware mode returns Global Control to what firmware set,
 * even when the decoders themselves did not change.
 */
static void test_firmware_reset_enable(void)
{
    Glue g;

    glue_init(&g, false);
    g_assert_cmpint(vfio_cxl_hdm_commit_locked(&g.hdm, 0, WIN_BASE, MEM_SIZE,
                                               0), ==, VFIO_CXL_HDM_RULE__MAX);
    g_assert_cmpint(g.mapped[0], ==, 1);
    /* The guest turns decoding off (and poison on, which is reserved) */
    vfio_cxl_hdm_write(&g.hdm, A_CXL_HDM_GLOBAL_CTRL, 1, 4);
    g_assert_cmpint(g.mapped[0], ==, 0);
    /* The reset: firmware commits the same decoder again */
    g_assert_cmpint(vfio_cxl_hdm_commit_locked(&g.hdm, 0, WIN_BASE, MEM_SIZE,
                                               0), ==, VFIO_CXL_HDM_RULE__MAX);
    g_assert_cmphex(vfio_cxl_hdm_read(&g.hdm, A_CXL_HDM_GLOBAL_CTRL, 4), ==,
                    R_CXL_HDM_GLOBAL_CTRL_HDM_DECODER_ENABLE_MASK);
    g_assert_cmpint(g.mapped[0], ==, 1);
    g_assert_cmphex(g.base[0], ==, WIN_BASE);
}

/* Firmware's decoder keeps what the host committed it as */
static void test_firmware_attrs(void)
{
    const uint32_t tt = R_CXL_HDM_DEC_CTRL_TARGET_TYPE_MASK;
    const uint32_t bi = R_CXL_HDM_DEC_CTRL_BI_MASK;
    const uint32_t uio = R_CXL_HDM_DEC_CTRL_UIO_MASK;
    Glue g;

    /* HDM-DB: BI, device coherent; UIO dropped, not capable */
    glue_init(&g, true);
    vfio_cxl_hdm_set_firmware_attrs(&g.hdm, 0, bi | uio | COMMITTED | LOCK |
                                    COMMIT | 0x3 /* IG */);
    g_assert_cmpint(vfio_cxl_hdm_commit_locked(&g.hdm, 0, WIN_BASE, MEM_SIZE,
                                               0), ==, VFIO_CXL_HDM_RULE__MAX);
    g_assert_cmphex(rd(&g, 0, A_CXL_HDM_DEC_CTRL), ==,
                    bi | LOCK | COMMIT | COMMITTED);
    /* HDM-H: Target Type 1; and after a reset still so */
    glue_init(&g, false);
    vfio_cxl_hdm_set_firmware_attrs(&g.hdm, 0, tt | COMMITTED);
    vfio_cxl_hdm_commit_locked(&g.hdm, 0, WIN_BASE, MEM_SIZE, 0);
    vfio_cxl_hdm_reset(&g.hdm);
    vfio_cxl_hdm_commit_locked(&g.hdm, 0, WIN_BASE, MEM_SIZE, 0);
    g_assert_cmphex(rd(&g, 0, A_CXL_HDM_DEC_CTRL), ==,
                    tt | LOCK | COMMIT | COMMITTED);
}

/* Uncommit in reverse order only: a lower one stays committed. */
static void test_uncommit_order(void)
{
    Glue g;

    glue_init(&g, false);
    enable(&g);
    g_assert_cmphex(commit(&g, 0, WIN_BASE, 256 * MiB, 0, 0), ==,
                    COMMIT | COMMITTED);
    g_assert_cmphex(commit(&g, 1, WIN_BASE + GiB, 256 * MiB, 0, 0), ==,
                    COMMIT | COMMITTED);
    wr(&g, 0, A_CXL_HDM_DEC_CTRL, 0);
    g_assert_cmphex(rd(&g, 0, A_CXL_HDM_DEC_CTRL), ==, COMMIT | COMMITTED);
    g_assert_cmpuint(g.refusals, ==, 1);
    g_assert_cmpint(g.rule, ==, VFIO_CXL_HDM_RULE_UNCOMMIT_ORDER);
    g_assert_cmpint(g.mapped[0], ==, 1);
    /* 1, then 0: both go */
    wr(&g, 1, A_CXL_HDM_DEC_CTRL, 0);
    wr(&g, 0, A_CXL_HDM_DEC_CTRL, 0);
    g_assert_cmphex(rd(&g, 0, A_CXL_HDM_DEC_CTRL), ==, 0);
    g_assert_cmpint(g.mapped[0] + g.mapped[1], ==, 0);
}

/* Decoder n + 1 lies above decoder n; DPA ranges never overlap. */
static void test_address_order(void)
{
    Glue g;

    glue_init(&g, false);
    enable(&g);
    g_assert_cmphex(commit(&g, 0, WIN_BASE + GiB, 256 * MiB, 0, 0), ==,
                    COMMIT | COMMITTED);
    g_assert_cmphex(commit(&g, 1, WIN_BASE, 256 * MiB, 0, 0) & ERR, ==, ERR);
    g_assert_cmpint(g.rule, ==, VFIO_CXL_HDM_RULE_ADDR_ORDER);
    g_assert_cmpint(g.mapped[1], ==, 0);
    g_assert_cmphex(commit(&g, 1, WIN_BASE + GiB + 256 * MiB, 256 * MiB, 0,
                           0), ==, COMMIT | COMMITTED);

    /*
     * Firmware redoing decoder 0 larger, over decoder 1's memory: decoder
     * 1 is uncommitted first (decoders uncommit from the top), and a
     * decoder 1 then overlapping decoder 0 is refused.
     */
    glue_init(&g, false);
    vfio_cxl_hdm_commit_locked(&g.hdm, 0, WIN_BASE, 256 * MiB, 0);
    vfio_cxl_hdm_commit_locked(&g.hdm, 1, WIN_BASE + GiB, 256 * MiB, 0);
    g_assert_cmpint(vfio_cxl_hdm_commit_locked(&g.hdm, 0, WIN_BASE, 512 * MiB,
                                               0), ==,
                    VFIO_CXL_HDM_RULE__MAX);
    g_assert_false(vfio_cxl_hdm_committed(&g.hdm, 1));
    assert_disjoint(&g);
    g_assert_cmpint(vfio_cxl_hdm_commit_locked(&g.hdm, 1, WIN_BASE + 256 * MiB,
                                               256 * MiB, 0), !=,
                    VFIO_CXL_HDM_RULE__MAX);
    g_assert_cmpint(g.mapped[1], ==, 0);
    assert_disjoint(&g);
}

/*
 * The review's sequence: decoders 0 and 1 committed, 0 uncommitted and
 * committed again larger elsewhere. It used to map decoder 1's device
 * memory a second time.
 */
static void test_mapped_once(void)
{
    Glue g;

    glue_init(&g, false);
    enable(&g);
    commit(&g, 0, WIN_BASE, 256 * MiB, 0, 0);
    commit(&g, 1, WIN_BASE + GiB, 256 * MiB, 0, 0);
    g_assert_cmpint(g.mapped[0] + g.mapped[1], ==, 2);
    wr(&g, 0, A_CXL_HDM_DEC_CTRL, 0);
    commit(&g, 0, WIN_BASE + 2 * GiB, 512 * MiB, 0, 0);
    assert_disjoint(&g);
    g_assert_cmphex(g.base[0], ==, WIN_BASE);
    g_assert_cmphex(g.size[0], ==, 256 * MiB);
}

#define CAP_4_DECODERS  0x2     /* Decoder Count 2: four decoders */
#define RANDOM_SEED     0x4844
#define RANDOM_OPS      20000

/* Random commits, uncommits, locks, enables and resets on four decoders */
static void test_mapped_once_random(void)
{
    g_autoptr(GRand) rand = g_rand_new_with_seed(RANDOM_SEED);
    uint64_t base[2] = { 0 }, size[2] = { MEM_SIZE / 2, MEM_SIZE / 2 };
    unsigned i, n;
    Glue g;

    glue_init_n(&g, 4, CAP_4_DECODERS, false);
    for (i = 0; i < RANDOM_OPS; i++) {
        n = g_rand_int_range(rand, 0, 4);
        switch (g_rand_int_range(rand, 0, 8)) {
        case 0:
        case 1:
        case 2:
            commit(&g, n, WIN_BASE + g_rand_int_range(rand, -1, 17) *
                   256 * MiB, g_rand_int_range(rand, 0, 4) * 256 * MiB,
                   g_rand_int_range(rand, 0, 2) * 256 * MiB,
                   g_rand_boolean(rand) ? 0 : LOCK);
            break;
        case 3:
        case 4:
            wr(&g, n, A_CXL_HDM_DEC_CTRL, 0);
            break;
        case 5:
            vfio_cxl_hdm_write(&g.hdm, A_CXL_HDM_GLOBAL_CTRL,
                               g_rand_int(rand), 4);
            break;
        case 6:
            base[n % 2] = WIN_BASE + g_rand_int_range(rand, -1, 17) *
                          256 * MiB;
            vfio_cxl_hdm_set_dvsec(&g.hdm, g_rand_boolean(rand), base, size);
            break;
        default:
            if (g_rand_int_range(rand, 0, 50) == 0) {
                vfio_cxl_hdm_reset(&g.hdm);
            }
            break;
        }
        assert_disjoint(&g);
    }
}

/* HDM Decoder Enable clear: the DVSEC ranges decode, with Mem_Enable. */
static void test_dvsec_ranges(void)
{
    uint64_t base[2] = { WIN_BASE + GiB, 0 }, size[2] = { MEM_SIZE, 0 };
    Glue g;

    glue_init(&g, false);
    vfio_cxl_hdm_set_dvsec(&g.hdm, true, base, size);
    g_assert_cmpint(g.mapped[0], ==, 1);
    g_assert_cmphex(g.base[0], ==, WIN_BASE + GiB);
    g_assert_cmphex(g.dpa[0], ==, 0);
    g_assert_cmphex(g.size[0], ==, MEM_SIZE);
    /* Mem_Enable clear: nothing */
    vfio_cxl_hdm_set_dvsec(&g.hdm, false, base, size);
    g_assert_cmpint(g.mapped[0], ==, 0);
    /* Outside the window: nothing */
    base[0] = WIN_BASE + WIN_SIZE;
    vfio_cxl_hdm_set_dvsec(&g.hdm, true, base, size);
    g_assert_cmpint(g.mapped[0], ==, 0);
    base[0] = WIN_BASE - 256 * MiB;
    vfio_cxl_hdm_set_dvsec(&g.hdm, true, base, size);
    g_assert_cmpint(g.mapped[0], ==, 0);

    /* Two ranges: the second from the end of the first, not over it */
    base[0] = WIN_BASE;
    base[1] = WIN_BASE + 3 * GiB;
    size[0] = size[1] = MEM_SIZE / 2;
    vfio_cxl_hdm_set_dvsec(&g.hdm, true, base, size);
    g_assert_cmpint(g.mapped[0] + g.mapped[1], ==, 2);
    g_assert_cmphex(g.dpa[1], ==, MEM_SIZE / 2);
    g_assert_cmphex(g.base[1], ==, WIN_BASE + 3 * GiB);
    base[1] = WIN_BASE;
    vfio_cxl_hdm_set_dvsec(&g.hdm, true, base, size);
    g_assert_cmpint(g.mapped[1], ==, 0);
    assert_disjoint(&g);

    /* HDM Decoder Enable: the decoders take over, and give back */
    base[1] = WIN_BASE + 3 * GiB;
    vfio_cxl_hdm_set_dvsec(&g.hdm, true, base, size);
    g_assert_cmpint(vfio_cxl_hdm_commit_locked(&g.hdm, 0, WIN_BASE + GiB,
                                               MEM_SIZE, 0), ==,
                    VFIO_CXL_HDM_RULE__MAX);
    g_assert_cmpint(g.mapped[0], ==, 1);
    g_assert_cmpint(g.mapped[1], ==, 0);
    g_assert_cmphex(g.base[0], ==, WIN_BASE + GiB);
    vfio_cxl_hdm_write(&g.hdm, A_CXL_HDM_GLOBAL_CTRL, 0, 4);
    g_assert_cmpint(g.mapped[0] + g.mapped[1], ==, 2);
    g_assert_cmphex(g.base[0], ==, WIN_BASE);
    assert_disjoint(&g);
    /* A reset: Mem_Enable and the bases at their reset values */
    vfio_cxl_hdm_reset(&g.hdm);
    g_assert_cmpint(g.mapped[0] + g.mapped[1], ==, 0);
}

/*
 * The host's memory is gone (its decoders were reset): nothing mapped,
 * commits refused by their own rule, firmware's too; back when it is.
 */
static void test_host_inactive(void)
{
    Glue g;

    glue_init(&g, false);
    enable(&g);
    g_assert_cmphex(commit(&g, 0, WIN_BASE, 256 * MiB, 0, 0), ==,
                    COMMIT | COMMITTED);
    g_assert_cmpint(g.mapped[0], ==, 1);
    vfio_cxl_hdm_set_host_inactive(&g.hdm, true);
    g_assert_cmpint(g.mapped[0], ==, 0);
    vfio_cxl_hdm_reset(&g.hdm);
    enable(&g);
    g_assert_cmphex(commit(&g, 0, WIN_BASE, 256 * MiB, 0, 0), ==,
                    COMMIT | ERR);
    g_assert_cmpint(g.rule, ==, VFIO_CXL_HDM_RULE_HOST_INACTIVE);
    g_assert_cmpint(vfio_cxl_hdm_commit_locked(&g.hdm, 0, WIN_BASE,
                                               256 * MiB, 0), ==,
                    VFIO_CXL_HDM_RULE_HOST_INACTIVE);
    g_assert_cmpint(g.mapped[0], ==, 0);
    vfio_cxl_hdm_set_host_inactive(&g.hdm, false);
    g_assert_cmphex(commit(&g, 0, WIN_BASE, 256 * MiB, 0, 0), ==,
                    COMMIT | COMMITTED);
    g_assert_cmpint(g.mapped[0], ==, 1);
}

int main(int argc, char **argv)
{
    size_t i;

    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/vfio-cxl-hdm/reset-values", test_reset_values);
    g_test_add_func("/vfio-cxl-hdm/commit-maps", test_commit_maps);
    g_test_add_func("/vfio-cxl-hdm/commit-then-enable",
                    test_commit_then_enable);
    g_test_add_func("/vfio-cxl-hdm/lock", test_lock);
    g_test_add_func("/vfio-cxl-hdm/overlap-and-dpa-left",
                    test_overlap_and_dpa_left);
    g_test_add_func("/vfio-cxl-hdm/access-sizes", test_access_sizes);
    g_test_add_func("/vfio-cxl-hdm/commit-locked", test_commit_locked);
    g_test_add_func("/vfio-cxl-hdm/firmware-reset-enable",
                    test_firmware_reset_enable);
    g_test_add_func("/vfio-cxl-hdm/firmware-attrs", test_firmware_attrs);
    g_test_add_func("/vfio-cxl-hdm/commit-locked-again",
                    test_commit_locked_again);
    g_test_add_func("/vfio-cxl-hdm/uncommit-order", test_uncommit_order);
    g_test_add_func("/vfio-cxl-hdm/address-order", test_address_order);
    g_test_add_func("/vfio-cxl-hdm/mapped-once", test_mapped_once);
    g_test_add_func("/vfio-cxl-hdm/mapped-once-random",
                    test_mapped_once_random);
    g_test_add_func("/vfio-cxl-hdm/dvsec-ranges", test_dvsec_ranges);
    g_test_add_func("/vfio-cxl-hdm/host-inactive", test_host_inactive);
    for (i = 0; i < ARRAY_SIZE(rule_cases); i++) {
        g_autofree char *name = g_strdup_printf("/vfio-cxl-hdm/refused/%s",
                                                rule_cases[i].name);

        g_test_add_data_func(name, &rule_cases[i], test_refused);
    }
    return g_test_run();
}
