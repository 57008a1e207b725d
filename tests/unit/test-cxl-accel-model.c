/*
 * Unit tests of the emulated CXL Type-2 accelerator's device model
 *
 * The register and shadow rules (reference facts 3.3 and 3.4), the BAR
 * placements, the vfio descriptions and every --fault mode, driven
 * directly, without sockets or QEMU.
 *
 * Copyright (c) 2026 QEMU CXL Type-2 team
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include <sys/wait.h>
#include "qemu/bswap.h"
#include "standard-headers/linux/pci_regs.h"
#include "accel-vfio.h"

#define HDM(rel)        (ACCEL_HDM_OFFSET + (rel))
#define DEC(n, reg)     HDM((reg) + CXL_HDM_DECODER_STRIDE * (n))
#define DVSEC(reg)      (ACCEL_DVSEC_DEV_OFFSET + (reg))

static CXLAccel *new_accel_opts(const AccelOptions *o)
{
    g_autoptr(GError) err = NULL;
    CXLAccel *a = accel_new(o, &err);

    g_assert_no_error(err);
    g_assert_nonnull(a);
    return a;
}

static CXLAccel *new_accel_fault(AccelFault f);

static CXLAccel *new_accel(void)
{
    AccelOptions o;

    accel_options_init(&o);
    return new_accel_opts(&o);
}

static uint32_t comp_rd(CXLAccel *a, uint64_t off)
{
    uint8_t buf[4];

    g_assert_cmpint(accel_comp_regs_read(a, off, buf, 4), ==, 0);
    return ldl_le_p(buf);
}

static void comp_wr(CXLAccel *a, uint64_t off, uint32_t val)
{
    uint8_t buf[4];

    stl_le_p(buf, val);
    g_assert_cmpint(accel_comp_regs_write(a, off, buf, 4), ==, 0);
}

static uint32_t cfg_rd(CXLAccel *a, uint64_t off, unsigned len)
{
    uint8_t buf[4] = { 0 };

    g_assert_cmpint(accel_config_read(a, off, buf, len), ==, 0);
    return ldl_le_p(buf);
}

static void cfg_wr(CXLAccel *a, uint64_t off, unsigned len, uint32_t val)
{
    uint8_t buf[4];

    stl_le_p(buf, val);
    g_assert_cmpint(accel_config_write(a, off, buf, len), ==, 0);
}

static uint32_t bar_rd(CXLAccel *a, uint64_t off)
{
    uint8_t buf[4];

    g_assert_cmpint(accel_bar_read(a, off, buf, 4), ==, 0);
    return ldl_le_p(buf);
}

static void bar_wr(CXLAccel *a, uint64_t off, uint32_t val)
{
    uint8_t buf[4];

    stl_le_p(buf, val);
    g_assert_cmpint(accel_bar_write(a, off, buf, 4), ==, 0);
}

static uint32_t ctrl_bits(uint32_t lock, uint32_t commit)
{
    uint32_t v = 0;

    v = FIELD_DP32(v, CXL_HDM_DEC_CTRL, LOCK_ON_COMMIT, lock);
    return FIELD_DP32(v, CXL_HDM_DEC_CTRL, COMMIT, commit);
}

/* --- options ------------------------------------------------------ */

static void test_parse_size(void)
{
    static const struct {
        const char *str;
        uint64_t val;
    } good[] = {
        { "268435456", 256 * MiB }, { "256M", 256 * MiB },
        { "256m", 256 * MiB }, { "1G", GiB }, { "1T", 1ULL << 40 },
        { "4k", 4 * KiB }, { "0", 0 },
    };
    static const char *const bad[] = {
        "", "M", "abc", "12X", "1MB", "1 G", "-1", "0x100",
        "99999999999999999999", "17179869184T",
    };
    unsigned i;

    for (i = 0; i < ARRAY_SIZE(good); i++) {
        g_autoptr(GError) err = NULL;
        uint64_t v = 1;

        g_assert_true(accel_parse_size(good[i].str, &v, &err));
        g_assert_no_error(err);
        g_assert_cmpuint(v, ==, good[i].val);
    }
    for (i = 0; i < ARRAY_SIZE(bad); i++) {
        g_autoptr(GError) err = NULL;
        uint64_t v = 42;

        g_assert_false(accel_parse_size(bad[i], &v, &err));
        g_assert_nonnull(err);
        g_assert_cmpuint(v, ==, 42);
    }
}

static void test_options_check(void)
{
    static const uint64_t bad_sizes[] = { 0, 100 * MiB, 384 * MiB, 4 * KiB };
    static const unsigned bad_decoders[] = { 0, 3, 5, 17, 18 };
    AccelOptions o;
    unsigned i;

    for (i = 0; i < ARRAY_SIZE(bad_sizes); i++) {
        g_autoptr(GError) err = NULL;

        accel_options_init(&o);
        o.mem_size = bad_sizes[i];
        g_assert_false(accel_options_check(&o, &err));
        g_assert_nonnull(strstr(err->message, "256 MiB"));
        g_assert_null(accel_new(&o, NULL));
    }
    for (i = 0; i < ARRAY_SIZE(bad_decoders); i++) {
        g_autoptr(GError) err = NULL;

        accel_options_init(&o);
        o.decoders = bad_decoders[i];
        g_assert_false(accel_options_check(&o, &err));
    }
    accel_options_init(&o);
    o.mem_size = 512 * MiB;
    o.decoders = 16;
    g_assert_true(accel_options_check(&o, NULL));
    g_assert_cmpuint(ACCEL_DEFAULT_MEM_SIZE, ==, 256 * MiB);
}

/* --- HDM shadow --------------------------------------------------- */

static void test_hdm_snapshot(void)
{
    CXLAccel *a = new_accel();
    uint32_t hdr = comp_rd(a, 0), ctrl, hwctrl;
    uint32_t hdm_entry = comp_rd(a, 8);

    /* Capability header array: CXL cap, 2 entries, HDM at hdm offset */
    g_assert_cmpuint(FIELD_EX32(hdr, CXL_CAP_ARRAY_HDR, ID), ==, 1);
    g_assert_cmpuint(FIELD_EX32(hdr, CXL_CAP_ARRAY_HDR, ARRAY_SIZE), ==, 2);
    g_assert_cmpuint(FIELD_EX32(hdm_entry, CXL_CAP_HDR, ID), ==,
                     CXL_CAP_ID_HDM);
    g_assert_cmpuint(FIELD_EX32(hdm_entry, CXL_CAP_HDR, PTR), ==,
                     ACCEL_HDM_OFFSET);
    g_assert_cmpuint(FIELD_EX32(comp_rd(a, HDM(A_CXL_HDM_CAP)), CXL_HDM_CAP,
                                DECODER_COUNT), ==, 0);

    /* Firmware committed and locked it; the shadow unlocks, hides BASE */
    ctrl = comp_rd(a, DEC(0, A_CXL_HDM_DEC_CTRL));
    g_assert_cmpuint(FIELD_EX32(ctrl, CXL_HDM_DEC_CTRL, COMMITTED), ==, 1);
    g_assert_cmpuint(FIELD_EX32(ctrl, CXL_HDM_DEC_CTRL, COMMIT), ==, 1);
    g_assert_cmpuint(FIELD_EX32(ctrl, CXL_HDM_DEC_CTRL, LOCK_ON_COMMIT), ==,
                     0);
    g_assert_cmpuint(comp_rd(a, DEC(0, A_CXL_HDM_DEC_BASE_LO)), ==, 0);
    g_assert_cmpuint(comp_rd(a, DEC(0, A_CXL_HDM_DEC_BASE_HI)), ==, 0);
    g_assert_cmpuint(comp_rd(a, DEC(0, A_CXL_HDM_DEC_SIZE_LO)), ==,
                     (uint32_t)(256 * MiB));
    g_assert_cmpuint(comp_rd(a, DEC(0, A_CXL_HDM_DEC_SIZE_HI)), ==, 0);
    g_assert_cmpuint(comp_rd(a, HDM(A_CXL_HDM_GLOBAL_CTRL)), ==,
                     R_CXL_HDM_GLOBAL_CTRL_HDM_DECODER_ENABLE_MASK);

    /* The hardware decoder itself stays locked at the host address */
    hwctrl = a->hw_cachemem[DEC(0, A_CXL_HDM_DEC_CTRL) / 4];
    g_assert_cmpuint(FIELD_EX32(hwctrl, CXL_HDM_DEC_CTRL, LOCK_ON_COMMIT),
                     ==, 1);
    g_assert_cmpuint(a->hw_cachemem[DEC(0, A_CXL_HDM_DEC_BASE_HI) / 4], ==,
                     ACCEL_FW_HOST_BASE >> 32);
    accel_free(a);
}

static void test_hdm_not_committed(void)
{
    AccelOptions o;
    CXLAccel *a;

    accel_options_init(&o);
    o.firmware_committed = false;
    a = new_accel_opts(&o);
    g_assert_false(accel_cxl_exposed(a));
    g_assert_cmpuint(comp_rd(a, DEC(0, A_CXL_HDM_DEC_CTRL)), ==, 0);
    g_assert_cmpuint(comp_rd(a, DEC(0, A_CXL_HDM_DEC_SIZE_LO)), ==, 0);
    accel_free(a);
}

static void test_hdm_commit(void)
{
    CXLAccel *a = new_accel();
    uint32_t ctrl;

    /* Uncommit, program a guest address, commit again */
    comp_wr(a, DEC(0, A_CXL_HDM_DEC_CTRL), ctrl_bits(0, 0));
    ctrl = comp_rd(a, DEC(0, A_CXL_HDM_DEC_CTRL));
    g_assert_cmpuint(FIELD_EX32(ctrl, CXL_HDM_DEC_CTRL, COMMITTED), ==, 0);

    comp_wr(a, DEC(0, A_CXL_HDM_DEC_BASE_HI), 0x10);
    comp_wr(a, DEC(0, A_CXL_HDM_DEC_BASE_LO), 0x3fffffff);
    comp_wr(a, DEC(0, A_CXL_HDM_DEC_SIZE_LO), 0x1234567);
    g_assert_cmpuint(comp_rd(a, DEC(0, A_CXL_HDM_DEC_BASE_HI)), ==, 0x10);
    /* BASE_LO / SIZE_LO [27:0] are cleared */
    g_assert_cmpuint(comp_rd(a, DEC(0, A_CXL_HDM_DEC_BASE_LO)), ==,
                     0x30000000);
    g_assert_cmpuint(comp_rd(a, DEC(0, A_CXL_HDM_DEC_SIZE_LO)), ==, 0);
    comp_wr(a, DEC(0, A_CXL_HDM_DEC_SIZE_LO), 0x10000000);

    comp_wr(a, DEC(0, A_CXL_HDM_DEC_CTRL), ctrl_bits(0, 1));
    ctrl = comp_rd(a, DEC(0, A_CXL_HDM_DEC_CTRL));
    g_assert_cmpuint(FIELD_EX32(ctrl, CXL_HDM_DEC_CTRL, COMMITTED), ==, 1);
    g_assert_cmpuint(FIELD_EX32(ctrl, CXL_HDM_DEC_CTRL, COMMIT), ==, 1);
    /* Still writable while unlocked, even committed */
    comp_wr(a, DEC(0, A_CXL_HDM_DEC_BASE_HI), 0x20);
    g_assert_cmpuint(comp_rd(a, DEC(0, A_CXL_HDM_DEC_BASE_HI)), ==, 0x20);
    accel_free(a);
}

static void test_hdm_lock(void)
{
    CXLAccel *a = new_accel();
    uint32_t ctrl;

    comp_wr(a, DEC(0, A_CXL_HDM_DEC_BASE_HI), 0x10);
    comp_wr(a, DEC(0, A_CXL_HDM_DEC_CTRL), ctrl_bits(1, 1));
    ctrl = comp_rd(a, DEC(0, A_CXL_HDM_DEC_CTRL));
    g_assert_cmpuint(FIELD_EX32(ctrl, CXL_HDM_DEC_CTRL, LOCK_ON_COMMIT), ==,
                     1);
    g_assert_cmpuint(FIELD_EX32(ctrl, CXL_HDM_DEC_CTRL, COMMITTED), ==, 1);

    /* Locked: BASE and SIZE writes are dropped */
    comp_wr(a, DEC(0, A_CXL_HDM_DEC_BASE_HI), 0x99);
    comp_wr(a, DEC(0, A_CXL_HDM_DEC_BASE_LO), 0xf0000000);
    comp_wr(a, DEC(0, A_CXL_HDM_DEC_SIZE_LO), 0xf0000000);
    comp_wr(a, DEC(0, A_CXL_HDM_DEC_SIZE_HI), 0x1);
    g_assert_cmpuint(comp_rd(a, DEC(0, A_CXL_HDM_DEC_BASE_HI)), ==, 0x10);
    g_assert_cmpuint(comp_rd(a, DEC(0, A_CXL_HDM_DEC_BASE_LO)), ==, 0);
    g_assert_cmpuint(comp_rd(a, DEC(0, A_CXL_HDM_DEC_SIZE_LO)), ==,
                     (uint32_t)(256 * MiB));
    g_assert_cmpuint(comp_rd(a, DEC(0, A_CXL_HDM_DEC_SIZE_HI)), ==, 0);

    /* Locked: a CTRL write with LOCK=1 is ignored entirely */
    comp_wr(a, DEC(0, A_CXL_HDM_DEC_CTRL), ctrl_bits(1, 0) | 0x3);
    g_assert_cmpuint(comp_rd(a, DEC(0, A_CXL_HDM_DEC_CTRL)), ==, ctrl);

    /* LOCK->0 path: clears only LOCK, even if COMMIT=0 and IG are given */
    comp_wr(a, DEC(0, A_CXL_HDM_DEC_CTRL), 0x3);
    g_assert_cmpuint(comp_rd(a, DEC(0, A_CXL_HDM_DEC_CTRL)), ==,
                     ctrl & ~R_CXL_HDM_DEC_CTRL_LOCK_ON_COMMIT_MASK);

    /* Unlocked again: BASE can be reprogrammed */
    comp_wr(a, DEC(0, A_CXL_HDM_DEC_BASE_HI), 0x99);
    g_assert_cmpuint(comp_rd(a, DEC(0, A_CXL_HDM_DEC_BASE_HI)), ==, 0x99);
    accel_free(a);
}

static void test_hdm_ctrl_reserved(void)
{
    AccelOptions o;
    CXLAccel *a;
    /* IG, IW, LOCK, COMMIT writable; COMMITTED follows COMMIT */
    const uint32_t expect = 0x7ff;

    a = new_accel();
    comp_wr(a, DEC(0, A_CXL_HDM_DEC_CTRL), UINT32_MAX);
    g_assert_cmpuint(comp_rd(a, DEC(0, A_CXL_HDM_DEC_CTRL)), ==, expect);
    accel_free(a);

    /* With Cache_Capable, BI (bit 13) is writable too */
    accel_options_init(&o);
    o.cache_capable = true;
    a = new_accel_opts(&o);
    comp_wr(a, DEC(0, A_CXL_HDM_DEC_CTRL), UINT32_MAX);
    g_assert_cmpuint(comp_rd(a, DEC(0, A_CXL_HDM_DEC_CTRL)), ==,
                     expect | R_CXL_HDM_DEC_CTRL_BI_MASK);
    accel_free(a);

    /*
     * Bits 10, 11, 12 keep their shadow values: writing COMMITTED=1 and
     * ERR=1 with COMMIT=0 gives COMMITTED=0 (it follows COMMIT) and ERR=0.
     */
    a = new_accel();
    comp_wr(a, DEC(0, A_CXL_HDM_DEC_CTRL),
            R_CXL_HDM_DEC_CTRL_COMMITTED_MASK |
            R_CXL_HDM_DEC_CTRL_ERR_NOT_COMMITTED_MASK |
            R_CXL_HDM_DEC_CTRL_TARGET_TYPE_MASK);
    g_assert_cmpuint(comp_rd(a, DEC(0, A_CXL_HDM_DEC_CTRL)), ==, 0);
    accel_free(a);
}

static void test_hdm_dword_only(void)
{
    CXLAccel *a = new_accel();
    uint64_t size = accel_comp_regs_size(a);
    uint8_t buf[8] = { 0 };
    static const size_t lens[] = { 1, 2, 3, 8 };
    unsigned i;

    for (i = 0; i < ARRAY_SIZE(lens); i++) {
        g_assert_cmpint(accel_comp_regs_read(a, HDM(0x10), buf, lens[i]),
                        ==, -EINVAL);
        g_assert_cmpint(accel_comp_regs_write(a, HDM(0x10), buf, lens[i]),
                        ==, -EINVAL);
    }
    g_assert_cmpint(accel_comp_regs_read(a, HDM(0x12), buf, 4), ==, -EINVAL);
    g_assert_cmpint(accel_comp_regs_write(a, HDM(0x11), buf, 4), ==,
                    -EINVAL);
    g_assert_cmpint(accel_comp_regs_read(a, size, buf, 4), ==, -EINVAL);
    g_assert_cmpint(accel_comp_regs_read(a, UINT64_MAX - 3, buf, 4), ==,
                    -EINVAL);
    g_assert_cmpint(accel_comp_regs_read(a, size - 4, buf, 4), ==, 0);
    accel_free(a);
}

static void test_hdm_readonly_below(void)
{
    CXLAccel *a = new_accel();
    uint32_t before[ACCEL_HDM_OFFSET / 4];
    uint64_t off;

    for (off = 0; off < ACCEL_HDM_OFFSET; off += 4) {
        before[off / 4] = comp_rd(a, off);
        comp_wr(a, off, ~before[off / 4]);
    }
    for (off = 0; off < ACCEL_HDM_OFFSET; off += 4) {
        g_assert_cmpuint(comp_rd(a, off), ==, before[off / 4]);
    }
    /* HDM Capability and the reserved 0x08-0x0f are read-only too */
    off = comp_rd(a, HDM(A_CXL_HDM_CAP));
    comp_wr(a, HDM(A_CXL_HDM_CAP), UINT32_MAX);
    comp_wr(a, HDM(0x08), UINT32_MAX);
    comp_wr(a, HDM(0x0c), UINT32_MAX);
    g_assert_cmpuint(comp_rd(a, HDM(A_CXL_HDM_CAP)), ==, off);
    g_assert_cmpuint(comp_rd(a, HDM(0x08)), ==, 0);
    g_assert_cmpuint(comp_rd(a, HDM(0x0c)), ==, 0);
    accel_free(a);
}

static void test_hdm_global_ctrl(void)
{
    CXLAccel *a = new_accel();

    /* [31:2] reserved; poison enable forced 0: the cap lacks it */
    comp_wr(a, HDM(A_CXL_HDM_GLOBAL_CTRL), UINT32_MAX);
    g_assert_cmpuint(comp_rd(a, HDM(A_CXL_HDM_GLOBAL_CTRL)), ==,
                     R_CXL_HDM_GLOBAL_CTRL_HDM_DECODER_ENABLE_MASK);
    comp_wr(a, HDM(A_CXL_HDM_GLOBAL_CTRL), 0);
    g_assert_cmpuint(comp_rd(a, HDM(A_CXL_HDM_GLOBAL_CTRL)), ==, 0);
    accel_free(a);
}

static void test_hdm_skip_discarded(void)
{
    CXLAccel *a = new_accel();

    comp_wr(a, DEC(0, A_CXL_HDM_DEC_DPA_SKIP_LO), 0xf0000000);
    comp_wr(a, DEC(0, A_CXL_HDM_DEC_DPA_SKIP_HI), 0x1);
    comp_wr(a, DEC(0, A_CXL_HDM_DEC_RSVD), 0x1);
    g_assert_cmpuint(comp_rd(a, DEC(0, A_CXL_HDM_DEC_DPA_SKIP_LO)), ==, 0);
    g_assert_cmpuint(comp_rd(a, DEC(0, A_CXL_HDM_DEC_DPA_SKIP_HI)), ==, 0);
    g_assert_cmpuint(comp_rd(a, DEC(0, A_CXL_HDM_DEC_RSVD)), ==, 0);
    accel_free(a);
}

static void test_hdm_decoder_count(void)
{
    static const struct {
        unsigned decoders, field;
    } cases[] = { { 1, 0 }, { 2, 1 }, { 4, 2 }, { 16, 8 } };
    uint8_t buf[4] = { 0xff, 0xff, 0xff, 0xff };
    unsigned i;

    for (i = 0; i < ARRAY_SIZE(cases); i++) {
        unsigned n = cases[i].decoders;
        AccelOptions o;
        CXLAccel *a;
        uint32_t ctrl;

        accel_options_init(&o);
        o.decoders = n;
        a = new_accel_opts(&o);
        g_assert_cmpuint(accel_comp_regs_size(a), ==,
                         ACCEL_HDM_OFFSET + 0x10 + 0x20 * n);
        g_assert_cmpuint(FIELD_EX32(comp_rd(a, HDM(A_CXL_HDM_CAP)),
                                    CXL_HDM_CAP, DECODER_COUNT), ==,
                         cases[i].field);
        /* The last decoder works; decoders past the count do not exist */
        comp_wr(a, DEC(n - 1, A_CXL_HDM_DEC_BASE_HI), 0x77);
        g_assert_cmpuint(comp_rd(a, DEC(n - 1, A_CXL_HDM_DEC_BASE_HI)), ==,
                         0x77);
        g_assert_cmpint(accel_comp_regs_write(a, DEC(n, A_CXL_HDM_DEC_CTRL),
                                              buf, 4), ==, -EINVAL);
        /* Only firmware's decoder 0 is committed */
        if (n > 1) {
            ctrl = comp_rd(a, DEC(1, A_CXL_HDM_DEC_CTRL));
            g_assert_cmpuint(ctrl, ==, 0);
        }
        accel_free(a);
    }
}

static void test_hdm_reset_snapshot(void)
{
    CXLAccel *a = new_accel();
    uint8_t pattern[8] = "CXLdata", back[8];
    uint32_t ctrl;

    g_assert_cmpint(accel_mem_write(a, 4096, pattern, 8), ==, 0);
    comp_wr(a, DEC(0, A_CXL_HDM_DEC_BASE_HI), 0x10);
    comp_wr(a, DEC(0, A_CXL_HDM_DEC_CTRL), ctrl_bits(1, 1));
    comp_wr(a, HDM(A_CXL_HDM_GLOBAL_CTRL), 0);

    accel_reset(a);
    g_assert_cmpuint(a->reset_count, ==, 1);
    ctrl = comp_rd(a, DEC(0, A_CXL_HDM_DEC_CTRL));
    g_assert_cmpuint(FIELD_EX32(ctrl, CXL_HDM_DEC_CTRL, LOCK_ON_COMMIT), ==,
                     0);
    g_assert_cmpuint(FIELD_EX32(ctrl, CXL_HDM_DEC_CTRL, COMMITTED), ==, 1);
    g_assert_cmpuint(comp_rd(a, DEC(0, A_CXL_HDM_DEC_BASE_HI)), ==, 0);
    g_assert_cmpuint(comp_rd(a, HDM(A_CXL_HDM_GLOBAL_CTRL)), ==,
                     R_CXL_HDM_GLOBAL_CTRL_HDM_DECODER_ENABLE_MASK);
    /* Device memory survives the reset */
    g_assert_cmpint(accel_mem_read(a, 4096, back, 8), ==, 0);
    g_assert_cmpmem(back, 8, pattern, 8);

    /* A new open takes the same snapshot */
    comp_wr(a, DEC(0, A_CXL_HDM_DEC_BASE_HI), 0x10);
    accel_open(a);
    g_assert_cmpuint(comp_rd(a, DEC(0, A_CXL_HDM_DEC_BASE_HI)), ==, 0);
    accel_free(a);
}

/* --- config space and DVSEC -------------------------------------- */

static void test_config_layout(void)
{
    CXLAccel *a = new_accel();
    uint32_t hdr1, lo;
    uint16_t cap;

    g_assert_cmpuint(cfg_rd(a, PCI_VENDOR_ID, 2), ==, ACCEL_PCI_VENDOR_ID);
    /* Not a Type-3 memory device: base class 0x12, not 0x05/0x02 */
    g_assert_cmpuint(cfg_rd(a, PCI_CLASS_DEVICE, 2), ==, 0x1200);
    g_assert_cmpuint(cfg_rd(a, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST, !=, 0);
    g_assert_cmpuint(cfg_rd(a, ACCEL_PCIE_CAP_OFFSET, 1), ==,
                     PCI_CAP_ID_EXP);
    g_assert_cmpuint(cfg_rd(a, ACCEL_PCIE_CAP_OFFSET + PCI_EXP_FLAGS, 2) &
                     PCI_EXP_FLAGS_TYPE, ==, PCI_EXP_TYPE_ENDPOINT << 4);
    g_assert_cmpuint(cfg_rd(a, PCI_BASE_ADDRESS_0 + 4 * ACCEL_REG_BAR, 4),
                     ==, PCI_BASE_ADDRESS_MEM_TYPE_64);

    /* CXL Device DVSEC */
    g_assert_cmpuint(cfg_rd(a, DVSEC(0), 2), ==, PCI_EXT_CAP_ID_DVSEC);
    hdr1 = cfg_rd(a, DVSEC(PCIE_DVSEC_HEADER1_OFFSET), 4);
    g_assert_cmpuint(FIELD_EX32(hdr1, DVSEC_HDR1, VENDOR), ==, 0x1e98);
    g_assert_cmpuint(FIELD_EX32(hdr1, DVSEC_HDR1, LEN), ==, 0x3c);
    g_assert_cmpuint(cfg_rd(a, DVSEC(PCIE_DVSEC_ID_OFFSET), 2), ==, 0);
    cap = cfg_rd(a, DVSEC(CXL_DVSEC_CAP), 2);
    g_assert_cmpuint(FIELD_EX32(cap, CXL_DVSEC_CAP, MEM_CAPABLE), ==, 1);
    g_assert_cmpuint(FIELD_EX32(cap, CXL_DVSEC_CAP, CACHE_CAPABLE), ==, 0);
    g_assert_cmpuint(FIELD_EX32(cap, CXL_DVSEC_CAP, HDM_COUNT), ==, 1);
    lo = cfg_rd(a, DVSEC(CXL_DVSEC_R1_SIZE_LO), 4);
    g_assert_cmpuint(FIELD_EX32(lo, CXL_DVSEC_RANGE_SIZE_LO, MEM_INFO_VALID),
                     ==, 1);
    g_assert_cmpuint(FIELD_EX32(lo, CXL_DVSEC_RANGE_SIZE_LO, MEM_ACTIVE), ==,
                     1);
    g_assert_cmpuint(lo & R_CXL_DVSEC_RANGE_SIZE_LO_SIZE_LOW_MASK, ==,
                     (uint32_t)(256 * MiB));
    g_assert_cmpuint(cfg_rd(a, DVSEC(CXL_DVSEC_R1_SIZE_HI), 4), ==, 0);

    /* Register Locator DVSEC: component block in BAR 2 */
    g_assert_cmpuint(FIELD_EX32(cfg_rd(a, DVSEC(0), 4), PCIE_EXT_CAP_HDR,
                                NEXT), ==, ACCEL_DVSEC_REGLOC_OFFSET);
    g_assert_cmpuint(cfg_rd(a, ACCEL_DVSEC_REGLOC_OFFSET +
                            PCIE_DVSEC_ID_OFFSET, 2), ==, REG_LOC_DVSEC);
    lo = cfg_rd(a, ACCEL_DVSEC_REGLOC_OFFSET + CXL_REGLOC_ENTRIES_OFFSET, 4);
    g_assert_cmpuint(FIELD_EX32(lo, CXL_REGLOC_LO, BIR), ==, ACCEL_REG_BAR);
    g_assert_cmpuint(FIELD_EX32(lo, CXL_REGLOC_LO, BLOCK_ID), ==, 1);
    g_assert_cmpuint(lo & R_CXL_REGLOC_LO_OFFSET_LOW_MASK, ==,
                     accel_block_offset(a));
    accel_free(a);

    {
        AccelOptions o;

        accel_options_init(&o);
        o.cache_capable = true;
        a = new_accel_opts(&o);
        cap = cfg_rd(a, DVSEC(CXL_DVSEC_CAP), 2);
        g_assert_cmpuint(FIELD_EX32(cap, CXL_DVSEC_CAP, CACHE_CAPABLE), ==,
                         1);
        accel_free(a);
    }
}

/*
 * What Linux looks for before it treats the function as a CXL device: a
 * Flex Bus Port DVSEC whose Status says CXL.mem (pcie_is_cxl()), and a
 * Device Serial Number of its own (pci_get_dsn()). Both read-only.
 */
static void test_config_flexbus_dsn(void)
{
    unsigned fb = ACCEL_DVSEC_FLEXBUS_OFFSET;
    unsigned off = PCI_CFG_SPACE_SIZE, n = 0, found = 0;
    AccelOptions o;
    CXLAccel *a;
    uint16_t st;

    accel_options_init(&o);
    o.serial = 0x0123456789abcdefULL;
    a = new_accel_opts(&o);

    /* The chain from 0x100 reaches both, and ends. */
    while (off) {
        uint32_t hdr = cfg_rd(a, off, 4);

        g_assert_cmpuint(++n, <=, 8);
        if (FIELD_EX32(hdr, PCIE_EXT_CAP_HDR, ID) == PCI_EXT_CAP_ID_DVSEC &&
            cfg_rd(a, off + PCIE_DVSEC_ID_OFFSET, 2) ==
            PCIE_FLEXBUS_PORT_DVSEC) {
            g_assert_cmpuint(off, ==, fb);
            found |= 1;
        }
        if (FIELD_EX32(hdr, PCIE_EXT_CAP_HDR, ID) == PCI_EXT_CAP_ID_DSN) {
            g_assert_cmpuint(off, ==, ACCEL_DSN_OFFSET);
            found |= 2;
        }
        off = FIELD_EX32(hdr, PCIE_EXT_CAP_HDR, NEXT);
    }
    g_assert_cmpuint(found, ==, 3);

    g_assert_cmpuint(FIELD_EX32(cfg_rd(a, fb + PCIE_DVSEC_HEADER1_OFFSET, 4),
                                DVSEC_HDR1, VENDOR), ==, 0x1e98);
    g_assert_cmpuint(FIELD_EX32(cfg_rd(a, fb + PCIE_DVSEC_HEADER1_OFFSET, 4),
                                DVSEC_HDR1, LEN), ==, 0x20);
    st = cfg_rd(a, fb + CXL_FLEXBUS_STATUS, 2);
    g_assert_cmpuint(FIELD_EX32(st, CXL_FLEXBUS, MEM), ==, 1);
    g_assert_cmpuint(FIELD_EX32(st, CXL_FLEXBUS, IO), ==, 1);
    g_assert_cmpuint(FIELD_EX32(st, CXL_FLEXBUS, CACHE), ==, 0);
    cfg_wr(a, fb + CXL_FLEXBUS_CTRL, 2, 0);
    cfg_wr(a, fb + CXL_FLEXBUS_STATUS, 2, 0xffff);
    g_assert_cmpuint(cfg_rd(a, fb + CXL_FLEXBUS_STATUS, 2), ==, st);
    g_assert_cmpuint(cfg_rd(a, fb + CXL_FLEXBUS_CTRL, 2), ==, st);

    g_assert_cmphex(cfg_rd(a, ACCEL_DSN_OFFSET + PCIE_DSN_LOWER, 4), ==,
                    0x89abcdef);
    g_assert_cmphex(cfg_rd(a, ACCEL_DSN_OFFSET + PCIE_DSN_UPPER, 4), ==,
                    0x01234567);
    cfg_wr(a, ACCEL_DSN_OFFSET + PCIE_DSN_LOWER, 4, 0);
    g_assert_cmphex(cfg_rd(a, ACCEL_DSN_OFFSET + PCIE_DSN_LOWER, 4), ==,
                    0x89abcdef);
    /* An FLR keeps them. */
    accel_reset(a);
    g_assert_cmpuint(cfg_rd(a, fb + CXL_FLEXBUS_STATUS, 2), ==, st);
    g_assert_cmphex(cfg_rd(a, ACCEL_DSN_OFFSET + PCIE_DSN_UPPER, 4), ==,
                    0x01234567);
    accel_free(a);

    /* Cache_Capable: CXL.cache was negotiated too. */
    o.cache_capable = true;
    a = new_accel_opts(&o);
    st = cfg_rd(a, fb + CXL_FLEXBUS_STATUS, 2);
    g_assert_cmpuint(FIELD_EX32(st, CXL_FLEXBUS, CACHE), ==, 1);
    accel_free(a);

    /* Different sockets, different serials; the same one, the same. */
    g_assert_cmphex(accel_serial_from_path("/run/a.sock"), !=,
                    accel_serial_from_path("/run/b.sock"));
    g_assert_cmphex(accel_serial_from_path("/run/a.sock"), ==,
                    accel_serial_from_path("/run/a.sock"));
}

static void test_config_bounds(void)
{
    CXLAccel *a = new_accel();
    uint8_t buf[8];

    g_assert_cmpint(accel_config_read(a, ACCEL_CFG_SIZE, buf, 1), ==,
                    -EINVAL);
    g_assert_cmpint(accel_config_read(a, ACCEL_CFG_SIZE - 2, buf, 4), ==,
                    -EINVAL);
    g_assert_cmpint(accel_config_write(a, UINT64_MAX, buf, 4), ==, -EINVAL);
    /* Read-only header fields stay put */
    cfg_wr(a, PCI_VENDOR_ID, 4, 0);
    g_assert_cmpuint(cfg_rd(a, PCI_VENDOR_ID, 2), ==, ACCEL_PCI_VENDOR_ID);
    /* BAR sizing: all-ones reads back the size mask */
    cfg_wr(a, PCI_BASE_ADDRESS_0 + 4 * ACCEL_REG_BAR, 4, UINT32_MAX);
    g_assert_cmpuint(cfg_rd(a, PCI_BASE_ADDRESS_0 + 4 * ACCEL_REG_BAR, 4),
                     ==, (uint32_t)~(ACCEL_REG_BAR_SIZE - 1) |
                     PCI_BASE_ADDRESS_MEM_TYPE_64);
    accel_free(a);
}

static void test_dvsec_control_lock(void)
{
    CXLAccel *a = new_accel();
    uint16_t ctrl;

    /* IO_Enable is held at 1; bits 12 (no P2P), 13, 15 are RsvdP */
    cfg_wr(a, DVSEC(CXL_DVSEC_CTRL), 2, 0);
    ctrl = cfg_rd(a, DVSEC(CXL_DVSEC_CTRL), 2);
    g_assert_cmpuint(ctrl, ==, R_CXL_DVSEC_CTRL_IO_ENABLE_MASK);
    cfg_wr(a, DVSEC(CXL_DVSEC_CTRL), 2, 0xffff);
    ctrl = cfg_rd(a, DVSEC(CXL_DVSEC_CTRL), 2);
    g_assert_cmphex(ctrl, ==,
                    0xffff & ~(R_CXL_DVSEC_CTRL_RSVDP13_MASK |
                               R_CXL_DVSEC_CTRL_RSVDP15_MASK |
                               R_CXL_DVSEC_CTRL_P2P_MEM_ENABLE_MASK));

    /* Lock: Control turns read-only, Lock is write-once */
    cfg_wr(a, DVSEC(CXL_DVSEC_CTRL), 2, R_CXL_DVSEC_CTRL_MEM_ENABLE_MASK);
    cfg_wr(a, DVSEC(CXL_DVSEC_LOCK), 2, 0xffff);
    g_assert_cmpuint(cfg_rd(a, DVSEC(CXL_DVSEC_LOCK), 2), ==,
                     R_CXL_DVSEC_LOCK_CONFIG_LOCK_MASK);
    cfg_wr(a, DVSEC(CXL_DVSEC_CTRL), 2, 0);
    cfg_wr(a, DVSEC(CXL_DVSEC_CTRL), 4, 0);
    ctrl = cfg_rd(a, DVSEC(CXL_DVSEC_CTRL), 2);
    g_assert_cmpuint(ctrl, ==, R_CXL_DVSEC_CTRL_MEM_ENABLE_MASK |
                     R_CXL_DVSEC_CTRL_IO_ENABLE_MASK);
    cfg_wr(a, DVSEC(CXL_DVSEC_LOCK), 2, 0);
    g_assert_cmpuint(cfg_rd(a, DVSEC(CXL_DVSEC_LOCK), 2), ==,
                     R_CXL_DVSEC_LOCK_CONFIG_LOCK_MASK);

    /*
     * An FLR leaves the DVSEC alone (CXL r3.1 9.5); VFIO_DEVICE_RESET, a
     * conventional reset, starts v2's view afresh, as the host driver
     * does (cxl_dvsec.c); so does a new open
     */
    accel_flr(a);
    g_assert_cmpuint(cfg_rd(a, DVSEC(CXL_DVSEC_LOCK), 2), ==,
                     R_CXL_DVSEC_LOCK_CONFIG_LOCK_MASK);
    cfg_wr(a, DVSEC(CXL_DVSEC_CTRL), 2, 0);
    g_assert_cmpuint(cfg_rd(a, DVSEC(CXL_DVSEC_CTRL), 2), ==, ctrl);
    accel_reset(a);
    g_assert_cmpuint(cfg_rd(a, DVSEC(CXL_DVSEC_LOCK), 2), ==, 0);
    cfg_wr(a, DVSEC(CXL_DVSEC_LOCK), 2, 1);
    accel_open(a);
    g_assert_cmpuint(cfg_rd(a, DVSEC(CXL_DVSEC_LOCK), 2), ==, 0);
    cfg_wr(a, DVSEC(CXL_DVSEC_CTRL), 2, 0);
    g_assert_cmpuint(cfg_rd(a, DVSEC(CXL_DVSEC_CTRL), 2), ==,
                     R_CXL_DVSEC_CTRL_IO_ENABLE_MASK);
    accel_free(a);
}

static void test_dvsec_status_rw1c(void)
{
    CXLAccel *a = new_accel();

    g_assert_cmpuint(cfg_rd(a, DVSEC(CXL_DVSEC_STATUS), 2), ==, 0);
    /* RsvdZ bits cannot be set */
    cfg_wr(a, DVSEC(CXL_DVSEC_STATUS), 2, 0xffff);
    g_assert_cmpuint(cfg_rd(a, DVSEC(CXL_DVSEC_STATUS), 2), ==, 0);

    accel_config_raise_viral(a);
    cfg_wr(a, DVSEC(CXL_DVSEC_STATUS), 2, 0);
    g_assert_cmpuint(cfg_rd(a, DVSEC(CXL_DVSEC_STATUS), 2), ==,
                     R_CXL_DVSEC_STATUS_VIRAL_MASK);
    /* A 4-byte write of Control+Status with status bits 0 keeps it */
    cfg_wr(a, DVSEC(CXL_DVSEC_CTRL), 4, R_CXL_DVSEC_CTRL_IO_ENABLE_MASK);
    g_assert_cmpuint(cfg_rd(a, DVSEC(CXL_DVSEC_STATUS), 2), ==,
                     R_CXL_DVSEC_STATUS_VIRAL_MASK);
    cfg_wr(a, DVSEC(CXL_DVSEC_STATUS), 2, R_CXL_DVSEC_STATUS_VIRAL_MASK);
    g_assert_cmpuint(cfg_rd(a, DVSEC(CXL_DVSEC_STATUS), 2), ==, 0);
    accel_free(a);
}

static void test_dvsec_control2(void)
{
    CXLAccel *a = new_accel();
    uint16_t st2;

    cfg_wr(a, DVSEC(CXL_DVSEC_CTRL2), 2, 0xffff);
    /*
     * The Initiate bits read 0; WBI goes to the device (v2), CXL Reset
     * never does; [15:4] RsvdP here
     */
    g_assert_cmpuint(cfg_rd(a, DVSEC(CXL_DVSEC_CTRL2), 2), ==,
                     R_CXL_DVSEC_CTRL2_DISABLE_CACHING_MASK |
                     R_CXL_DVSEC_CTRL2_RESET_MEM_CLR_EN_MASK);
    g_assert_cmpuint(a->wbi_count, ==, 1);
    g_assert_cmpuint(a->cxl_reset_count, ==, 0);
    st2 = cfg_rd(a, DVSEC(CXL_DVSEC_STATUS2), 2);
    g_assert_cmpuint(st2 & R_CXL_DVSEC_STATUS2_CACHE_INVALID_MASK, !=, 0);
    g_assert_cmpuint(st2 & R_CXL_DVSEC_STATUS2_CXL_RESET_COMPLETE_MASK, !=,
                     0);
    /* Writing other bits does not initiate anything */
    cfg_wr(a, DVSEC(CXL_DVSEC_CTRL2), 2, 0);
    g_assert_cmpuint(a->wbi_count, ==, 1);
    g_assert_cmpuint(a->cxl_reset_count, ==, 0);
    accel_free(a);
}

static void test_dvsec_range_base(void)
{
    CXLAccel *a = new_accel();
    uint32_t size_lo = cfg_rd(a, DVSEC(CXL_DVSEC_R1_SIZE_LO), 4);

    cfg_wr(a, DVSEC(CXL_DVSEC_R1_BASE_LO), 4, UINT32_MAX);
    cfg_wr(a, DVSEC(CXL_DVSEC_R1_BASE_HI), 4, 0x12345678);
    g_assert_cmpuint(cfg_rd(a, DVSEC(CXL_DVSEC_R1_BASE_LO), 4), ==,
                     0xf0000000);
    g_assert_cmpuint(cfg_rd(a, DVSEC(CXL_DVSEC_R1_BASE_HI), 4), ==,
                     0x12345678);
    cfg_wr(a, DVSEC(CXL_DVSEC_R2_BASE_LO), 4, 0x1fffffff);
    g_assert_cmpuint(cfg_rd(a, DVSEC(CXL_DVSEC_R2_BASE_LO), 4), ==,
                     0x10000000);
    /* Range Size is read-only */
    cfg_wr(a, DVSEC(CXL_DVSEC_R1_SIZE_LO), 4, 0);
    g_assert_cmpuint(cfg_rd(a, DVSEC(CXL_DVSEC_R1_SIZE_LO), 4), ==, size_lo);
    accel_free(a);
}

/*
 * CXL r3.1 9.5: an FLR through config space leaves the HDM decoders (here
 * the v2 shadow the client programmed) and the CXL Device DVSEC alone, and
 * keeps the device memory; VFIO_DEVICE_RESET re-takes the snapshot.
 */
static void test_config_flr(void)
{
    CXLAccel *a = new_accel();
    unsigned devctl = ACCEL_PCIE_CAP_OFFSET + PCI_EXP_DEVCTL;
    uint32_t v = 0x0f1e2d3c, w = 0;

    comp_wr(a, DEC(0, A_CXL_HDM_DEC_BASE_HI), 0x10);
    cfg_wr(a, DVSEC(CXL_DVSEC_R1_BASE_HI), 4, 0x22);
    g_assert_cmpint(accel_mem_write(a, 0x4000, &v, 4), ==, 0);
    cfg_wr(a, devctl, 2, PCI_EXP_DEVCTL_BCR_FLR);
    g_assert_cmpuint(a->reset_count, ==, 1);
    g_assert_cmpuint(cfg_rd(a, devctl, 2) & PCI_EXP_DEVCTL_BCR_FLR, ==, 0);
    g_assert_cmpuint(comp_rd(a, DEC(0, A_CXL_HDM_DEC_BASE_HI)), ==, 0x10);
    g_assert_true(FIELD_EX32(comp_rd(a, DEC(0, A_CXL_HDM_DEC_CTRL)),
                             CXL_HDM_DEC_CTRL, COMMITTED));
    g_assert_cmphex(cfg_rd(a, DVSEC(CXL_DVSEC_R1_BASE_HI), 4), ==, 0x22);
    g_assert_cmpint(accel_mem_read(a, 0x4000, &w, 4), ==, 0);
    g_assert_cmphex(w, ==, v);

    accel_reset(a);
    g_assert_cmpuint(comp_rd(a, DEC(0, A_CXL_HDM_DEC_BASE_HI)), ==, 0);
    accel_free(a);
}

/* An FLR is not where the host loses its decoders (reset-uncommits) */
static void test_config_flr_keeps_host_decoders(void)
{
    CXLAccel *a = new_accel_fault(ACCEL_FAULT_RESET_UNCOMMITS);

    cfg_wr(a, ACCEL_PCIE_CAP_OFFSET + PCI_EXP_DEVCTL, 2,
           PCI_EXP_DEVCTL_BCR_FLR);
    g_assert_true(accel_hdm_decoder0_committed(a));
    g_assert_false(a->mem_inactive);
    accel_reset(a);
    g_assert_false(accel_hdm_decoder0_committed(a));
    accel_free(a);
}

/* The standard capability list, from Capabilities Pointer: offset of @id */
static unsigned find_std_cap(CXLAccel *a, unsigned id)
{
    unsigned at = cfg_rd(a, PCI_CAPABILITY_LIST, 1), n;

    for (n = 0; at && n < 48; n++) {
        if (cfg_rd(a, at + PCI_CAP_LIST_ID, 1) == id) {
            return at;
        }
        at = cfg_rd(a, at + PCI_CAP_LIST_NEXT, 1);
    }
    return 0;
}

/*
 * PCI Power Management: version 3, D3hot only beside D0, No_Soft_Reset;
 * PowerState moves between D0 and D3hot, D1 and D2 are ignored.
 */
static void test_config_pm(void)
{
    CXLAccel *a = new_accel();
    unsigned pm = find_std_cap(a, PCI_CAP_ID_PM), pmcsr;
    uint16_t pmc;

    g_assert_cmpuint(pm, ==, ACCEL_PM_CAP_OFFSET);
    g_assert_cmpuint(find_std_cap(a, PCI_CAP_ID_EXP), ==,
                     ACCEL_PCIE_CAP_OFFSET);
    pmc = cfg_rd(a, pm + PCI_PM_PMC, 2);
    g_assert_cmpuint(pmc & PCI_PM_CAP_VER_MASK, ==, 3);
    g_assert_cmpuint(pmc & (PCI_PM_CAP_D1 | PCI_PM_CAP_D2 |
                            PCI_PM_CAP_PME_MASK), ==, 0);
    pmcsr = pm + PCI_PM_CTRL;
    g_assert_cmphex(cfg_rd(a, pmcsr, 2), ==, PCI_PM_CTRL_NO_SOFT_RESET);
    g_assert_cmpuint(accel_power_state(a), ==, ACCEL_PM_D0);

    cfg_wr(a, pmcsr, 2, 3);
    g_assert_cmphex(cfg_rd(a, pmcsr, 2), ==, PCI_PM_CTRL_NO_SOFT_RESET | 3);
    g_assert_cmpuint(accel_power_state(a), ==, ACCEL_PM_D3HOT);
    /* Unsupported states: the write is dropped, D3hot stays */
    cfg_wr(a, pmcsr, 2, 1);
    g_assert_cmpuint(accel_power_state(a), ==, ACCEL_PM_D3HOT);
    cfg_wr(a, pmcsr, 2, 2);
    g_assert_cmpuint(accel_power_state(a), ==, ACCEL_PM_D3HOT);
    /* No_Soft_Reset and PMC are read-only; config space still answers */
    cfg_wr(a, pmcsr, 2, 0xffff & ~PCI_PM_CTRL_NO_SOFT_RESET);
    g_assert_cmphex(cfg_rd(a, pmcsr, 2), ==, PCI_PM_CTRL_NO_SOFT_RESET | 3);
    cfg_wr(a, pm + PCI_PM_PMC, 2, 0xffff);
    g_assert_cmphex(cfg_rd(a, pm + PCI_PM_PMC, 2), ==, pmc);
    g_assert_cmphex(cfg_rd(a, PCI_VENDOR_ID, 2), ==, ACCEL_PCI_VENDOR_ID);

    cfg_wr(a, pmcsr, 2, 0);
    g_assert_cmpuint(accel_power_state(a), ==, ACCEL_PM_D0);
    /* A reset puts the function in D0 */
    cfg_wr(a, pmcsr, 2, 3);
    accel_reset(a);
    g_assert_cmpuint(accel_power_state(a), ==, ACCEL_PM_D0);
    accel_free(a);
}

/*
 * In D3hot the device memory is not served (v2 and v5): I/O fails, the
 * file is truncated so that a mapping faults, the copy engine waits; back
 * in D0 the contents are there (No_Soft_Reset).
 */
static void test_pm_d3hot_gate(void)
{
    unsigned pmcsr = ACCEL_PM_CAP_OFFSET + PCI_PM_CTRL;
    uint32_t v = 0xd3d3d3d3, w = 0;
    unsigned uapi;

    for (uapi = ACCEL_UAPI_V2; uapi <= ACCEL_UAPI_V5; uapi++) {
        AccelOptions o;
        CXLAccel *a;
        struct stat st;
        uint8_t *page;

        accel_options_init(&o);
        o.uapi = uapi;
        a = new_accel_opts(&o);
        cfg_wr(a, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
        g_assert_cmpint(accel_mem_write(a, 0x8000, &v, 4), ==, 0);

        cfg_wr(a, pmcsr, 2, 3);
        g_assert_false(accel_mem_live(a));
        g_assert_cmpint(accel_mem_read(a, 0x8000, &w, 4), ==, -EIO);
        g_assert_cmpint(fstat(a->mem_fd, &st), ==, 0);
        g_assert_cmpuint(st.st_size, ==, 0);
        /* The copy engine does not take a request in D3hot */
        page = a->bar + accel_regs_offset(a);
        stl_le_p(page + ACCEL_REG_DMA_DOORBELL, ACCEL_DMA_DOORBELL_GO);
        g_assert_false(accel_dma_run(a, NULL, NULL));
        g_assert_cmphex(ldl_le_p(page + ACCEL_REG_DMA_DOORBELL), ==,
                        ACCEL_DMA_DOORBELL_GO);
        stl_le_p(page + ACCEL_REG_DMA_DOORBELL, 0);
        /* Config space still answers */
        g_assert_cmphex(cfg_rd(a, PCI_VENDOR_ID, 2), ==,
                        ACCEL_PCI_VENDOR_ID);
        g_assert_true(accel_hdm_decoder0_committed(a));

        cfg_wr(a, pmcsr, 2, 0);
        g_assert_true(accel_mem_live(a));
        g_assert_cmpint(accel_mem_read(a, 0x8000, &w, 4), ==, 0);
        g_assert_cmphex(w, ==, v);
        accel_free(a);
    }
}

/* --- register BAR ------------------------------------------------- */

static struct vfio_region_info *region_info(CXLAccel *a, uint32_t index,
                                            int *fd)
{
    g_autoptr(GByteArray) out = g_byte_array_new();
    struct vfio_region_info *info;

    g_assert_cmpint(accel_vfio_region_info(a, index, 4096, out, fd), ==, 0);
    info = g_malloc0(out->len);
    memcpy(info, out->data, out->len);
    g_assert_cmpuint(info->argsz, ==, out->len);
    return info;
}

static void *find_cap(void *info, uint32_t first, size_t len, uint16_t id)
{
    uint32_t off = first;

    while (off) {
        struct vfio_info_cap_header *h = (void *)((uint8_t *)info + off);

        g_assert_cmpuint(off + sizeof(*h), <=, len);
        if (h->id == id) {
            return h;
        }
        off = h->next;
    }
    return NULL;
}

static void test_bar_placement(void)
{
    static const struct {
        AccelBlockAt at;
        uint64_t block, regs;
        unsigned n;
        uint64_t area[2][2];
    } cases[] = {
        { ACCEL_BLOCK_AT_END, 2 * MiB - 64 * KiB, 0, 1,
          { { 0, 2 * MiB - 64 * KiB } } },
        { ACCEL_BLOCK_AT_START, 0, 64 * KiB, 1,
          { { 64 * KiB, 2 * MiB - 64 * KiB } } },
        { ACCEL_BLOCK_AT_MIDDLE, 1 * MiB, 0, 2,
          { { 0, 1 * MiB }, { 1 * MiB + 64 * KiB, 1 * MiB - 64 * KiB } } },
    };
    unsigned i, j;

    for (i = 0; i < ARRAY_SIZE(cases); i++) {
        g_autofree struct vfio_region_info *info = NULL;
        struct vfio_region_info_cap_sparse_mmap *sp;
        AccelOptions o;
        CXLAccel *a;
        int fd;

        accel_options_init(&o);
        o.block_at = cases[i].at;
        a = new_accel_opts(&o);
        g_assert_cmpuint(accel_block_offset(a), ==, cases[i].block);
        g_assert_cmpuint(accel_regs_offset(a), ==, cases[i].regs);
        g_assert_cmpuint(accel_hdm_regs_offset(a), ==,
                         cases[i].block + 0x1000);

        info = region_info(a, VFIO_PCI_BAR0_REGION_INDEX + ACCEL_REG_BAR,
                           &fd);
        g_assert_cmpuint(info->size, ==, ACCEL_REG_BAR_SIZE);
        g_assert_cmpuint(info->flags & VFIO_REGION_INFO_FLAG_MMAP, !=, 0);
        g_assert_cmpuint(info->flags & VFIO_REGION_INFO_FLAG_CAPS, !=, 0);
        g_assert_cmpint(fd, ==, a->bar_fd);
        sp = find_cap(info, info->cap_offset, info->argsz,
                      VFIO_REGION_INFO_CAP_SPARSE_MMAP);
        g_assert_nonnull(sp);
        g_assert_cmpuint(sp->nr_areas, ==, cases[i].n);
        for (j = 0; j < cases[i].n; j++) {
            g_assert_cmpuint(sp->areas[j].offset, ==, cases[i].area[j][0]);
            g_assert_cmpuint(sp->areas[j].size, ==, cases[i].area[j][1]);
        }
        /* The Register Locator follows the block */
        g_assert_cmpuint(cfg_rd(a, ACCEL_DVSEC_REGLOC_OFFSET +
                                CXL_REGLOC_ENTRIES_OFFSET, 4) &
                         R_CXL_REGLOC_LO_OFFSET_LOW_MASK, ==,
                         cases[i].block);
        /* The accelerator ID is where the header says */
        g_assert_cmpuint(bar_rd(a, cases[i].regs + ACCEL_REG_ID), ==,
                         ACCEL_ID_VALUE);
        accel_free(a);
    }
}

static void test_bar_accel_regs(void)
{
    CXLAccel *a = new_accel();
    uint64_t r = accel_regs_offset(a);

    g_assert_cmpuint(bar_rd(a, r + ACCEL_REG_ID), ==, ACCEL_ID_VALUE);
    g_assert_cmpuint(bar_rd(a, r + ACCEL_REG_VERSION), ==,
                     ACCEL_VERSION_VALUE);
    g_assert_cmpuint(bar_rd(a, r + ACCEL_REG_MEM_SIZE_LO), ==,
                     (uint32_t)(256 * MiB));
    g_assert_cmpuint(bar_rd(a, r + ACCEL_REG_BLOCK_OFF_LO), ==,
                     accel_block_offset(a));
    /* Read-only through REGION_WRITE */
    bar_wr(a, r + ACCEL_REG_ID, 0);
    bar_wr(a, r + ACCEL_REG_MEM_SIZE_LO, 0);
    g_assert_cmpuint(bar_rd(a, r + ACCEL_REG_ID), ==, ACCEL_ID_VALUE);
    g_assert_cmpuint(bar_rd(a, r + ACCEL_REG_MEM_SIZE_LO), ==,
                     (uint32_t)(256 * MiB));
    /* Scratch: RW, and the same memory the client maps */
    bar_wr(a, r + ACCEL_REG_SCRATCH, 0xdeadbeef);
    g_assert_cmpuint(bar_rd(a, r + ACCEL_REG_SCRATCH), ==, 0xdeadbeef);
    g_assert_cmphex((uint32_t)ldl_le_p(a->bar + r + ACCEL_REG_SCRATCH),
                    ==, 0xdeadbeef);
    stl_le_p(a->bar + r + ACCEL_REG_SCRATCH_AREA, 0x12345678);
    g_assert_cmpuint(bar_rd(a, r + ACCEL_REG_SCRATCH_AREA), ==, 0x12345678);
    /* Reset: scratch back to 0, identity rewritten */
    stl_le_p(a->bar + r + ACCEL_REG_ID, 0);
    accel_reset(a);
    g_assert_cmpuint(bar_rd(a, r + ACCEL_REG_SCRATCH), ==, 0);
    g_assert_cmpuint(bar_rd(a, r + ACCEL_REG_SCRATCH_AREA), ==, 0);
    g_assert_cmpuint(bar_rd(a, r + ACCEL_REG_ID), ==, ACCEL_ID_VALUE);
    accel_free(a);
}

static void test_bar_block(void)
{
    CXLAccel *a = new_accel();
    uint64_t cm = accel_hdm_regs_offset(a);
    uint8_t buf[2];

    /* Inside the block, CXL.cachemem answers from the COMP_REGS shadow */
    g_assert_cmpuint(bar_rd(a, cm), ==, comp_rd(a, 0));
    bar_wr(a, cm + DEC(0, A_CXL_HDM_DEC_BASE_HI), 0x42);
    g_assert_cmpuint(comp_rd(a, DEC(0, A_CXL_HDM_DEC_BASE_HI)), ==, 0x42);
    g_assert_cmpint(accel_bar_read(a, cm + 4, buf, 2), ==, -EINVAL);
    /* The rest of the block reads 0 and drops writes */
    bar_wr(a, accel_block_offset(a), 0x55);
    g_assert_cmpuint(bar_rd(a, accel_block_offset(a)), ==, 0);
    /* Out of the BAR */
    g_assert_cmpint(accel_bar_read(a, ACCEL_REG_BAR_SIZE - 1, buf, 2), ==,
                    -EINVAL);
    accel_free(a);
}

/* --- vfio descriptions -------------------------------------------- */

static void test_device_info(void)
{
    CXLAccel *a = new_accel();
    const size_t full = sizeof(struct vfio_device_info) + ACCEL_CXL_CAP_SIZE;
    g_autoptr(GByteArray) out = g_byte_array_new();
    struct vfio_device_info info;
    struct vfio_device_info_cap_cxl cap;

    g_assert_cmpuint(full, ==, 56);
    g_assert_cmpint(accel_vfio_device_info(a, 8, out), ==, -EINVAL);
    g_assert_cmpuint(out->len, ==, 0);

    /* QEMU 10.2's vfio-user client: the 16-byte start, argsz says more */
    g_assert_cmpint(accel_vfio_device_info(a, 16, out), ==, 0);
    g_assert_cmpuint(out->len, ==, 16);
    memcpy(&info, out->data, 16);
    g_assert_cmpuint(info.argsz, ==, full);
    g_assert_cmpuint(info.num_regions, ==, VFIO_PCI_NUM_REGIONS + 2);

    /* Fixed part only: cap_offset 0, argsz the full size */
    g_byte_array_set_size(out, 0);
    g_assert_cmpint(accel_vfio_device_info(a, 24, out), ==, 0);
    g_assert_cmpuint(out->len, ==, 24);
    memcpy(&info, out->data, sizeof(info));
    g_assert_cmpuint(info.argsz, ==, full);
    g_assert_cmpuint(info.cap_offset, ==, 0);
    g_byte_array_set_size(out, 0);
    g_assert_cmpint(accel_vfio_device_info(a, full - 1, out), ==, 0);
    g_assert_cmpuint(out->len, ==, 24);

    /* Big enough: struct, then the chain at offset 24 */
    g_byte_array_set_size(out, 0);
    g_assert_cmpint(accel_vfio_device_info(a, 4096, out), ==, 0);
    g_assert_cmpuint(out->len, ==, full);
    memcpy(&info, out->data, sizeof(info));
    g_assert_cmpuint(info.argsz, ==, full);
    g_assert_cmpuint(info.flags, ==, VFIO_DEVICE_FLAGS_PCI |
                     VFIO_DEVICE_FLAGS_RESET | VFIO_DEVICE_FLAGS_CXL |
                     VFIO_DEVICE_FLAGS_CAPS);
    g_assert_cmpuint(info.num_regions, ==, VFIO_PCI_NUM_REGIONS + 2);
    g_assert_cmpuint(info.num_irqs, ==, VFIO_PCI_NUM_IRQS);
    g_assert_cmpuint(info.cap_offset, ==, 24);
    memcpy(&cap, out->data + 24, sizeof(cap));
    g_assert_cmpuint(cap.header.id, ==, VFIO_DEVICE_INFO_CAP_CXL);
    g_assert_cmpuint(cap.header.version, ==, 1);
    g_assert_cmpuint(cap.header.next, ==, 0);
    g_assert_cmpuint(cap.hdm_regs_bar_index, ==, ACCEL_REG_BAR);
    g_assert_cmpuint(cap.flags, ==, VFIO_CXL_CAP_FIRMWARE_COMMITTED);
    g_assert_cmpuint(cap.hdm_regs_offset, ==, 2 * MiB - 64 * KiB + 0x1000);
    g_assert_cmpuint(cap.dpa_region_index, ==, VFIO_PCI_NUM_REGIONS);
    g_assert_cmpuint(cap.comp_regs_region_index, ==,
                     VFIO_PCI_NUM_REGIONS + 1);
    accel_free(a);

    {
        AccelOptions o;

        accel_options_init(&o);
        o.cache_capable = true;
        a = new_accel_opts(&o);
        g_byte_array_set_size(out, 0);
        g_assert_cmpint(accel_vfio_device_info(a, 4096, out), ==, 0);
        memcpy(&cap, out->data + 24, sizeof(cap));
        g_assert_cmpuint(cap.flags, ==, VFIO_CXL_CAP_FIRMWARE_COMMITTED |
                         VFIO_CXL_CAP_CACHE_CAPABLE);
        accel_free(a);
    }
}

static void test_not_committed_plain(void)
{
    g_autoptr(GByteArray) out = g_byte_array_new();
    g_autofree struct vfio_region_info *bar = NULL;
    struct vfio_device_info info;
    AccelOptions o;
    CXLAccel *a;
    uint8_t buf[4];
    int fd;

    accel_options_init(&o);
    o.firmware_committed = false;
    a = new_accel_opts(&o);
    g_assert_cmpint(accel_vfio_device_info(a, 4096, out), ==, 0);
    g_assert_cmpuint(out->len, ==, sizeof(info));
    memcpy(&info, out->data, sizeof(info));
    g_assert_cmpuint(info.argsz, ==, sizeof(info));
    g_assert_cmpuint(info.flags, ==, VFIO_DEVICE_FLAGS_PCI |
                     VFIO_DEVICE_FLAGS_RESET);
    g_assert_cmpuint(info.cap_offset, ==, 0);
    g_assert_cmpuint(info.num_regions, ==, VFIO_PCI_NUM_REGIONS);

    /* No CXL regions; the BAR is mmap-able whole, without sparse cap */
    g_byte_array_set_size(out, 0);
    g_assert_cmpint(accel_vfio_region_info(a, ACCEL_DPA_REGION, 4096, out,
                                           &fd), ==, -EINVAL);
    g_assert_cmpint(accel_vfio_region_read(a, ACCEL_COMP_REGS_REGION, 0, buf,
                                           4), ==, -EINVAL);
    bar = region_info(a, VFIO_PCI_BAR0_REGION_INDEX + ACCEL_REG_BAR, &fd);
    g_assert_cmpuint(bar->flags, ==, VFIO_REGION_INFO_FLAG_READ |
                     VFIO_REGION_INFO_FLAG_WRITE |
                     VFIO_REGION_INFO_FLAG_MMAP);
    g_assert_cmpint(fd, ==, a->bar_fd);
    /* The BAR holds a plain image of the (uncommitted) registers */
    g_assert_cmpuint(bar_rd(a, accel_hdm_regs_offset(a)), ==,
                     a->hw_cachemem[0]);
    accel_free(a);
}

static void test_region_info(void)
{
    CXLAccel *a = new_accel();
    g_autofree struct vfio_region_info *dpa = NULL, *comp = NULL, *cfg = NULL;
    g_autoptr(GByteArray) out = g_byte_array_new();
    struct vfio_region_info_cap_type *t;
    struct vfio_region_info small;
    int fd;

    dpa = region_info(a, ACCEL_DPA_REGION, &fd);
    g_assert_cmpint(fd, ==, a->mem_fd);
    g_assert_cmpuint(dpa->size, ==, 256 * MiB);
    g_assert_cmpuint(dpa->flags, ==, VFIO_REGION_INFO_FLAG_READ |
                     VFIO_REGION_INFO_FLAG_WRITE | VFIO_REGION_INFO_FLAG_MMAP |
                     VFIO_REGION_INFO_FLAG_CAPS);
    t = find_cap(dpa, dpa->cap_offset, dpa->argsz, VFIO_REGION_INFO_CAP_TYPE);
    g_assert_nonnull(t);
    g_assert_cmpuint(t->type, ==, 0x80001e98);
    g_assert_cmpuint(t->subtype, ==, VFIO_REGION_SUBTYPE_CXL);

    comp = region_info(a, ACCEL_COMP_REGS_REGION, &fd);
    g_assert_cmpint(fd, ==, -1);
    g_assert_cmpuint(comp->size, ==, accel_comp_regs_size(a));
    g_assert_cmpuint(comp->flags, ==, VFIO_REGION_INFO_FLAG_READ |
                     VFIO_REGION_INFO_FLAG_WRITE | VFIO_REGION_INFO_FLAG_CAPS);
    t = find_cap(comp, comp->cap_offset, comp->argsz,
                 VFIO_REGION_INFO_CAP_TYPE);
    g_assert_nonnull(t);
    g_assert_cmpuint(t->subtype, ==, VFIO_REGION_SUBTYPE_CXL_COMP_REGS);

    cfg = region_info(a, VFIO_PCI_CONFIG_REGION_INDEX, &fd);
    g_assert_cmpuint(cfg->size, ==, ACCEL_CFG_SIZE);
    g_assert_cmpint(fd, ==, -1);

    /* argsz too small for the chain: fixed part, full argsz, no fd */
    g_assert_cmpint(accel_vfio_region_info(a, ACCEL_DPA_REGION,
                                           sizeof(small), out, &fd), ==, 0);
    g_assert_cmpuint(out->len, ==, sizeof(small));
    memcpy(&small, out->data, sizeof(small));
    g_assert_cmpuint(small.argsz, ==, dpa->argsz);
    g_assert_cmpuint(small.cap_offset, ==, 0);
    g_assert_cmpuint(small.flags & VFIO_REGION_INFO_FLAG_CAPS, ==, 0);
    g_assert_cmpint(fd, ==, -1);

    g_assert_cmpint(accel_vfio_region_info(a, VFIO_PCI_NUM_REGIONS + 2, 4096,
                                           out, &fd), ==, -EINVAL);
    g_assert_cmpint(accel_vfio_region_info(a, 0, 16, out, &fd), ==, -EINVAL);
    accel_free(a);
}

static void test_irq_info(void)
{
    CXLAccel *a = new_accel();
    struct vfio_irq_info info;

    g_assert_cmpint(accel_vfio_irq_info(a, VFIO_PCI_INTX_IRQ_INDEX, &info),
                    ==, 0);
    g_assert_cmpuint(info.count, ==, 1);
    g_assert_cmpint(accel_vfio_irq_info(a, VFIO_PCI_MSIX_IRQ_INDEX, &info),
                    ==, 0);
    g_assert_cmpuint(info.count, ==, 0);
    g_assert_cmpint(accel_vfio_irq_info(a, VFIO_PCI_ERR_IRQ_INDEX, &info),
                    ==, 0);
    g_assert_cmpuint(info.count, ==, 1);
    g_assert_cmpuint(info.flags & VFIO_IRQ_INFO_EVENTFD, !=, 0);
    g_assert_cmpint(accel_vfio_irq_info(a, VFIO_PCI_NUM_IRQS, &info), ==,
                    -EINVAL);
    accel_free(a);
}

/* What a client would find, to check each fault for its defect */
typedef struct Seen {
    size_t cap_len;
    struct vfio_device_info_cap_cxl cap;
    uint64_t dpa_size;
    uint32_t dpa_subtype;
    bool comp_has_hdm;
} Seen;

static void look(CXLAccel *a, Seen *s)
{
    g_autoptr(GByteArray) out = g_byte_array_new();
    g_autofree struct vfio_region_info *dpa = NULL;
    struct vfio_region_info_cap_type *t;
    struct vfio_device_info info;
    unsigned i, n;
    int fd;

    memset(s, 0, sizeof(*s));
    g_assert_cmpint(accel_vfio_device_info(a, 4096, out), ==, 0);
    memcpy(&info, out->data, sizeof(info));
    g_assert_cmpuint(info.cap_offset, ==, sizeof(info));
    s->cap_len = out->len - info.cap_offset;
    memcpy(&s->cap, out->data + info.cap_offset,
           MIN(s->cap_len, sizeof(s->cap)));

    dpa = region_info(a, ACCEL_DPA_REGION, &fd);
    s->dpa_size = dpa->size;
    t = find_cap(dpa, dpa->cap_offset, dpa->argsz, VFIO_REGION_INFO_CAP_TYPE);
    s->dpa_subtype = t->subtype;

    n = FIELD_EX32(comp_rd(a, 0), CXL_CAP_ARRAY_HDR, ARRAY_SIZE);
    for (i = 1; i <= n; i++) {
        if (FIELD_EX32(comp_rd(a, 4 * i), CXL_CAP_HDR, ID) ==
            CXL_CAP_ID_HDM) {
            s->comp_has_hdm = true;
        }
    }
}

/* The region info and config space faults, as a client reads them */
static void check_region_faults(CXLAccel *a, AccelFault f)
{
    g_autoptr(GByteArray) out = g_byte_array_new();
    struct vfio_region_info_cap_sparse_mmap sp;
    struct vfio_region_info info;
    int fd;

    g_assert_cmpint(accel_vfio_region_info(a, VFIO_PCI_CONFIG_REGION_INDEX,
                                           4096, out, &fd), ==, 0);
    memcpy(&info, out->data, sizeof(info));
    g_assert_cmpuint(info.size == ACCEL_CFG_SIZE, ==,
                     f != ACCEL_FAULT_CONFIG_SIZE_ZERO);
    g_assert_cmpuint(info.argsz == ACCEL_HUGE_ARGSZ, ==,
                     f == ACCEL_FAULT_REGION_ARGSZ_HUGE);
    g_assert_cmpuint(out->len, ==, sizeof(info) +
                     (f == ACCEL_FAULT_REPLY_OVERSIZED ?
                      ACCEL_OVERSIZED_EXTRA : 0));

    g_byte_array_set_size(out, 0);
    g_assert_cmpint(accel_vfio_region_info(a, VFIO_PCI_BAR0_REGION_INDEX +
                                           ACCEL_REG_BAR, 4096, out, &fd),
                    ==, 0);
    memcpy(&info, out->data, sizeof(info));
    g_assert_cmpuint(info.flags & VFIO_REGION_INFO_FLAG_CAPS, !=, 0);
    memcpy(&sp, out->data + info.cap_offset, sizeof(sp));
    g_assert_cmpuint(sp.header.next == info.cap_offset, ==,
                     f == ACCEL_FAULT_REGION_CAPS_LOOP);
    g_assert_cmpuint(sp.nr_areas == ACCEL_OVERRUN_AREAS, ==,
                     f == ACCEL_FAULT_SPARSE_OVERRUN);

    cfg_wr(a, PCI_ROM_ADDRESS, 4, PCI_ROM_ADDRESS_MASK);
    g_assert_cmphex(cfg_rd(a, PCI_ROM_ADDRESS, 4), ==,
                    f == ACCEL_FAULT_ROM_SIZE_ODD ? ACCEL_ODD_ROM_WMASK : 0);

    g_assert_cmpuint(cfg_rd(a, PCI_INTERRUPT_PIN, 1), ==, 0);
    accel_reset(a);
    g_assert_cmpuint(cfg_rd(a, PCI_INTERRUPT_PIN, 1), ==,
                     f == ACCEL_FAULT_PIN_CHANGES ? ACCEL_CHANGED_PIN : 0);
}

static void test_faults(void)
{
    unsigned f;

    for (f = 0; f < ACCEL_FAULT__MAX; f++) {
        AccelOptions o;
        AccelFault parsed;
        CXLAccel *a;
        Seen s;

        g_assert_true(accel_fault_parse(accel_fault_name(f), &parsed));
        g_assert_cmpuint(parsed, ==, f);
        accel_options_init(&o);
        o.fault = f;
        a = new_accel_opts(&o);
        if (f == ACCEL_FAULT_INFO_FAILS) {
            g_autoptr(GByteArray) out = g_byte_array_new();

            g_assert_cmpint(accel_vfio_device_info(a, 4096, out), ==, -EIO);
            accel_free(a);
            continue;
        }
        check_region_faults(a, f);
        look(a, &s);

        g_assert_cmpuint(s.cap_len == ACCEL_CXL_CAP_SIZE, ==,
                         f != ACCEL_FAULT_CAP_TRUNCATED);
        g_assert_cmpuint(s.cap.header.version == 1, ==,
                         f != ACCEL_FAULT_CAP_BAD_VERSION);
        if (f != ACCEL_FAULT_CAP_TRUNCATED) {
            g_assert_cmpuint(s.cap.dpa_region_index <
                             accel_vfio_num_regions(a), ==,
                             f != ACCEL_FAULT_CAP_BAD_DPA_INDEX);
            g_assert_cmpuint(s.cap.comp_regs_region_index <
                             accel_vfio_num_regions(a), ==,
                             f != ACCEL_FAULT_CAP_BAD_COMP_INDEX);
            g_assert_cmpuint(s.cap.hdm_regs_offset < ACCEL_REG_BAR_SIZE, ==,
                             f != ACCEL_FAULT_HDM_OFFSET_OUTSIDE_BAR);
        } else {
            g_assert_cmpuint(s.cap_len, ==, ACCEL_CXL_CAP_TRUNCATED_SIZE);
        }
        g_assert_cmpuint(s.dpa_size != 0, ==, f != ACCEL_FAULT_DPA_SIZE_ZERO);
        g_assert_cmpuint(s.dpa_subtype == VFIO_REGION_SUBTYPE_CXL, ==,
                         f != ACCEL_FAULT_DPA_WRONG_SUBTYPE);
        g_assert_cmpuint(s.comp_has_hdm, ==,
                         f != ACCEL_FAULT_COMP_REGS_NO_HDM);
        accel_free(a);
    }
    {
        AccelFault parsed;

        g_assert_false(accel_fault_parse("no-such-fault", &parsed));
    }
}

/* --- device memory ------------------------------------------------ */

static void test_mem_file(void)
{
    g_autofree char *dir = g_dir_make_tmp("cxl-accel-XXXXXX", NULL);
    g_autofree char *path = g_build_filename(dir, "mem", NULL);
    uint8_t pattern[4] = { 1, 2, 3, 4 }, back[4];
    AccelOptions o;
    struct stat st;
    CXLAccel *a;
    int fd;

    g_assert_nonnull(dir);
    accel_options_init(&o);
    o.mem_size = 1ULL << 40;
    o.mem_file = path;
    a = new_accel_opts(&o);
    g_assert_cmpint(stat(path, &st), ==, 0);
    g_assert_cmpuint(st.st_size, ==, 1ULL << 40);
    /* Sparse: 1 TiB costs (next to) nothing */
    g_assert_cmpuint(st.st_blocks, <, 1024);

    g_assert_cmpint(accel_mem_write(a, (1ULL << 40) - 4, pattern, 4), ==, 0);
    fd = open(path, O_RDONLY);
    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(pread(fd, back, 4, (1ULL << 40) - 4), ==, 4);
    g_assert_cmpmem(back, 4, pattern, 4);
    close(fd);
    g_assert_cmpint(accel_mem_read(a, (1ULL << 40) - 2, back, 4), ==,
                    -EINVAL);
    g_assert_cmpint(accel_vfio_region_write(a, ACCEL_DPA_REGION, 1ULL << 40,
                                            back, 1), ==, -EINVAL);
    accel_free(a);
    unlink(path);
    rmdir(dir);
}

/* A new accelerator with --fault @f */
static CXLAccel *new_accel_fault(AccelFault f)
{
    AccelOptions o;

    accel_options_init(&o);
    o.fault = f;
    return new_accel_opts(&o);
}

/*
 * No committed decoder after a reset: the memory is inactive (EIO here,
 * SIGBUS through a mapping); reset-uncommits gives it back next time.
 */
static void test_mem_inactive(void)
{
    CXLAccel *a = new_accel_fault(ACCEL_FAULT_RESET_UNCOMMITS);
    uint32_t v = 0x5a5a5a5a;

    g_assert_cmpint(accel_mem_write(a, 0x1000, &v, 4), ==, 0);
    accel_reset(a);
    g_assert_false(accel_hdm_decoder0_committed(a));
    g_assert_cmpint(accel_mem_read(a, 0x1000, &v, 4), ==, -EIO);
    g_assert_cmpint(accel_mem_write(a, 0x1000, &v, 4), ==, -EIO);
    accel_reset(a);
    g_assert_true(accel_hdm_decoder0_committed(a));
    g_assert_cmpint(accel_mem_read(a, 0x1000, &v, 4), ==, 0);
    g_assert_cmphex(v, ==, 0);
    accel_free(a);
}

/*
 * Initiate CXL Reset through config space never reaches the device
 * (cxl_dvsec.c, as the host driver): its completion is synthesized, the
 * decoders and the memory stay. A device without CXL Reset has no such
 * bit to write. Served as plain vfio-pci, the device resets (CXL r3.1
 * 9.7: the decoders go, the memory turns inactive).
 */
static void test_dvsec_cxl_reset(void)
{
    CXLAccel *a = new_accel();
    AccelOptions o;
    uint32_t v;

    cfg_wr(a, DVSEC(CXL_DVSEC_CTRL2), 2,
           R_CXL_DVSEC_CTRL2_INITIATE_CXL_RESET_MASK);
    g_assert_cmphex(cfg_rd(a, DVSEC(CXL_DVSEC_STATUS2), 2), ==,
                    R_CXL_DVSEC_STATUS2_CXL_RESET_COMPLETE_MASK);
    g_assert_cmpuint(a->cxl_reset_count, ==, 0);
    g_assert_true(accel_hdm_decoder0_committed(a));
    g_assert_cmpint(accel_mem_read(a, 0, &v, 4), ==, 0);
    accel_free(a);

    a = new_accel_fault(ACCEL_FAULT_NO_CXL_RESET);
    cfg_wr(a, DVSEC(CXL_DVSEC_CTRL2), 2,
           R_CXL_DVSEC_CTRL2_INITIATE_CXL_RESET_MASK);
    g_assert_cmphex(cfg_rd(a, DVSEC(CXL_DVSEC_STATUS2), 2), ==, 0);
    g_assert_true(accel_hdm_decoder0_committed(a));
    accel_free(a);

    /* v5 with two decoders: plain vfio-pci, the device's own DVSEC */
    accel_options_init(&o);
    o.uapi = ACCEL_UAPI_V5;
    o.decoders = 2;
    a = new_accel_opts(&o);
    g_assert_false(accel_cxl_exposed(a));
    cfg_wr(a, DVSEC(CXL_DVSEC_CTRL2), 2,
           R_CXL_DVSEC_CTRL2_INITIATE_CXL_RESET_MASK);
    g_assert_cmphex(cfg_rd(a, DVSEC(CXL_DVSEC_STATUS2), 2), ==,
                    R_CXL_DVSEC_STATUS2_CXL_RESET_COMPLETE_MASK);
    g_assert_cmpuint(a->cxl_reset_count, ==, 1);
    accel_free(a);
}

/* Without FLR in Device Capabilities the FLR bit resets nothing */
static void test_config_no_flr(void)
{
    CXLAccel *a = new_accel_fault(ACCEL_FAULT_NO_FLR);

    g_assert_cmphex(cfg_rd(a, ACCEL_PCIE_CAP_OFFSET + PCI_EXP_DEVCAP, 4) &
                    PCI_EXP_DEVCAP_FLR, ==, 0);
    cfg_wr(a, ACCEL_PCIE_CAP_OFFSET + PCI_EXP_DEVCTL, 2,
           PCI_EXP_DEVCTL_BCR_FLR);
    g_assert_cmpuint(a->reset_count, ==, 0);
    accel_free(a);
}

/* The RAS status registers are RW1CS through COMP_REGS */
static void test_ras_rw1c(void)
{
    CXLAccel *a = new_accel_fault(ACCEL_FAULT_RAS_ERRORS);
    uint64_t unc = ACCEL_RAS_OFFSET + ACCEL_RAS_UNC_STATUS;

    g_assert_cmphex(comp_rd(a, unc), ==, ACCEL_RAS_UNC_ERRORS);
    comp_wr(a, unc, 0x00000401);
    g_assert_cmphex(comp_rd(a, unc), ==, ACCEL_RAS_UNC_ERRORS & ~0x401u);
    accel_reset(a);
    g_assert_cmphex(comp_rd(a, unc), ==, ACCEL_RAS_UNC_ERRORS & ~0x401u);
    accel_free(a);
}

/* --- --uapi v5 ----------------------------------------------------- */

static CXLAccel *new_accel_v5(AccelOptions *o)
{
    AccelOptions def;

    if (!o) {
        accel_options_init(&def);
        o = &def;
    }
    o->uapi = ACCEL_UAPI_V5;
    return new_accel_opts(o);
}

static void set_mse(CXLAccel *a, bool on)
{
    cfg_wr(a, PCI_COMMAND, 2, on ? PCI_COMMAND_MEMORY : 0);
}

static uint64_t mem_file_size(CXLAccel *a)
{
    struct stat st;

    g_assert_cmpint(fstat(a->mem_fd, &st), ==, 0);
    return st.st_size;
}

static void test_v5_options(void)
{
    AccelOptions o;
    AccelUapi u = ACCEL_UAPI_V5;
    g_autoptr(GError) err = NULL;

    g_assert_true(accel_uapi_parse("v2", &u));
    g_assert_cmpuint(u, ==, ACCEL_UAPI_V2);
    g_assert_true(accel_uapi_parse("v5", &u));
    g_assert_cmpuint(u, ==, ACCEL_UAPI_V5);
    g_assert_false(accel_uapi_parse("v3", &u));
    g_assert_cmpuint(u, ==, ACCEL_UAPI_V5);

    /* v2 stays the default */
    accel_options_init(&o);
    g_assert_cmpuint(o.uapi, ==, ACCEL_UAPI_V2);

    /* No device capability in v5: its region index faults are refused */
    o.uapi = ACCEL_UAPI_V5;
    o.fault = ACCEL_FAULT_CAP_BAD_DPA_INDEX;
    g_assert_false(accel_options_check(&o, &err));
    g_assert_nonnull(strstr(err->message, "--uapi v2"));
    o.fault = ACCEL_FAULT_CAP_BAD_COMP_INDEX;
    g_assert_false(accel_options_check(&o, NULL));
    o.fault = ACCEL_FAULT_CAP_BAD_VERSION;
    g_assert_true(accel_options_check(&o, NULL));
}

/* 9.6: the CXL flag, but no device info capability */
static void test_v5_device_info(void)
{
    CXLAccel *a = new_accel_v5(NULL);
    g_autoptr(GByteArray) out = g_byte_array_new();
    struct vfio_device_info info;

    g_assert_true(accel_cxl_exposed(a));
    g_assert_true(accel_v5(a));
    g_assert_cmpint(accel_vfio_device_info(a, 4096, out), ==, 0);
    g_assert_cmpuint(out->len, ==, sizeof(info));
    memcpy(&info, out->data, sizeof(info));
    g_assert_cmpuint(info.argsz, ==, sizeof(info));
    g_assert_cmphex(info.flags, ==, VFIO_DEVICE_FLAGS_PCI |
                    VFIO_DEVICE_FLAGS_RESET | VFIO_DEVICE_FLAGS_CXL);
    g_assert_cmpuint(info.cap_offset, ==, 0);
    g_assert_cmpuint(info.num_regions, ==, VFIO_PCI_NUM_REGIONS + 2);
    accel_free(a);
}

/* 9.3: both regions by type; COMP_REGS says where the HDM block is */
static void test_v5_region_info(void)
{
    static const struct {
        AccelBlockAt at;
        uint64_t hdm;
    } cases[] = {
        { ACCEL_BLOCK_AT_END, 2 * MiB - 64 * KiB + 0x1000 + 0x200 },
        { ACCEL_BLOCK_AT_START, 0x1000 + 0x200 },
        { ACCEL_BLOCK_AT_MIDDLE, 1 * MiB + 0x1000 + 0x200 },
    };
    unsigned i;

    for (i = 0; i < ARRAY_SIZE(cases); i++) {
        g_autofree struct vfio_region_info *dpa = NULL, *comp = NULL;
        struct vfio_region_info_cap_cxl_comp_regs *cr;
        struct vfio_region_info_cap_type *t;
        AccelOptions o;
        CXLAccel *a;
        int fd;

        accel_options_init(&o);
        o.block_at = cases[i].at;
        a = new_accel_v5(&o);
        g_assert_cmpuint(accel_hdm_bar_offset(a), ==, cases[i].hdm);

        dpa = region_info(a, ACCEL_DPA_REGION, &fd);
        g_assert_cmpint(fd, ==, a->mem_fd);
        g_assert_cmpuint(dpa->size, ==, 256 * MiB);
        g_assert_cmphex(dpa->flags, ==, VFIO_REGION_INFO_FLAG_READ |
                        VFIO_REGION_INFO_FLAG_WRITE |
                        VFIO_REGION_INFO_FLAG_MMAP |
                        VFIO_REGION_INFO_FLAG_CAPS);
        t = find_cap(dpa, dpa->cap_offset, dpa->argsz,
                     VFIO_REGION_INFO_CAP_TYPE);
        g_assert_nonnull(t);
        g_assert_cmphex(t->type, ==, 0x80001e98);
        g_assert_cmpuint(t->subtype, ==, VFIO_REGION_SUBTYPE_CXL_MEM);
        g_assert_null(find_cap(dpa, dpa->cap_offset, dpa->argsz,
                               VFIO_REGION_INFO_CAP_CXL_COMP_REGS));

        comp = region_info(a, ACCEL_COMP_REGS_REGION, &fd);
        g_assert_cmpint(fd, ==, -1);
        /* The HDM Decoder Capability and its one decoder, nothing else */
        g_assert_cmpuint(comp->size, ==, 0x10 + 0x20);
        g_assert_cmphex(comp->flags, ==, VFIO_REGION_INFO_FLAG_READ |
                        VFIO_REGION_INFO_FLAG_WRITE |
                        VFIO_REGION_INFO_FLAG_CAPS);
        t = find_cap(comp, comp->cap_offset, comp->argsz,
                     VFIO_REGION_INFO_CAP_TYPE);
        g_assert_nonnull(t);
        g_assert_cmphex(t->type, ==, 0x80001e98);
        g_assert_cmpuint(t->subtype, ==, VFIO_REGION_SUBTYPE_CXL_COMP_REGS);
        cr = find_cap(comp, comp->cap_offset, comp->argsz,
                      VFIO_REGION_INFO_CAP_CXL_COMP_REGS);
        g_assert_nonnull(cr);
        g_assert_cmpuint(cr->header.version, ==, 1);
        g_assert_cmpuint(cr->header.next, ==, 0);
        g_assert_cmpuint((uint8_t *)cr - (uint8_t *)comp + sizeof(*cr), ==,
                         comp->argsz);
        g_assert_cmpuint(cr->bar, ==, VFIO_PCI_BAR2_REGION_INDEX);
        g_assert_cmphex(cr->offset, ==, cases[i].hdm);
        accel_free(a);
    }
}

/* v5's COMP_REGS capability under the faults that map onto it */
static void test_v5_cap_faults(void)
{
    static const AccelFault faults[] = {
        ACCEL_FAULT_NONE, ACCEL_FAULT_HDM_OFFSET_OUTSIDE_BAR,
        ACCEL_FAULT_CAP_TRUNCATED, ACCEL_FAULT_CAP_BAD_VERSION,
    };
    unsigned i;

    for (i = 0; i < ARRAY_SIZE(faults); i++) {
        g_autofree struct vfio_region_info *comp = NULL;
        struct vfio_region_info_cap_cxl_comp_regs *cr;
        AccelFault f = faults[i];
        AccelOptions o;
        CXLAccel *a;
        int fd;

        accel_options_init(&o);
        o.fault = f;
        a = new_accel_v5(&o);
        comp = region_info(a, ACCEL_COMP_REGS_REGION, &fd);
        cr = find_cap(comp, comp->cap_offset, comp->argsz,
                      VFIO_REGION_INFO_CAP_CXL_COMP_REGS);
        g_assert_nonnull(cr);
        g_assert_cmpuint((uint8_t *)cr - (uint8_t *)comp, ==, comp->argsz -
                         (f == ACCEL_FAULT_CAP_TRUNCATED ?
                          ACCEL_COMP_REGS_CAP_TRUNCATED_SIZE :
                          sizeof(*cr)));
        g_assert_cmpuint(cr->header.version == 1, ==,
                         f != ACCEL_FAULT_CAP_BAD_VERSION);
        if (f != ACCEL_FAULT_CAP_TRUNCATED) {
            g_assert_cmpuint(cr->offset < ACCEL_REG_BAR_SIZE, ==,
                             f != ACCEL_FAULT_HDM_OFFSET_OUTSIDE_BAR);
        }
        accel_free(a);
    }
}

/* 9.3: live hardware, BASE the host address; writes dropped */
static void test_v5_comp_regs(void)
{
    CXLAccel *a = new_accel_v5(NULL);
    uint64_t size = accel_comp_regs_size(a);
    uint8_t buf[8];
    uint32_t ctrl;

    /* Offset 0 is the HDM Decoder Capability register itself */
    g_assert_cmphex(comp_rd(a, A_CXL_HDM_CAP), ==,
                    a->hw_cachemem[HDM(A_CXL_HDM_CAP) / 4]);
    g_assert_cmpuint(FIELD_EX32(comp_rd(a, A_CXL_HDM_CAP), CXL_HDM_CAP,
                                DECODER_COUNT), ==, 0);
    g_assert_cmphex(comp_rd(a, A_CXL_HDM_DEC_BASE_LO), ==,
                    (uint32_t)ACCEL_FW_HOST_BASE);
    g_assert_cmphex(comp_rd(a, A_CXL_HDM_DEC_BASE_HI), ==,
                    ACCEL_FW_HOST_BASE >> 32);
    g_assert_cmphex(comp_rd(a, A_CXL_HDM_DEC_SIZE_LO), ==,
                    (uint32_t)(256 * MiB));
    ctrl = comp_rd(a, A_CXL_HDM_DEC_CTRL);
    g_assert_cmpuint(FIELD_EX32(ctrl, CXL_HDM_DEC_CTRL, COMMITTED), ==, 1);
    g_assert_cmpuint(FIELD_EX32(ctrl, CXL_HDM_DEC_CTRL, LOCK_ON_COMMIT), ==,
                     1);

    /* Live: a change in the hardware shows at once */
    a->hw_cachemem[HDM(A_CXL_HDM_DEC_DPA_SKIP_LO) / 4] = 0x10000000;
    g_assert_cmphex(comp_rd(a, A_CXL_HDM_DEC_DPA_SKIP_LO), ==, 0x10000000);

    /* Writes succeed and change nothing, in hardware either */
    comp_wr(a, A_CXL_HDM_DEC_BASE_HI, 0x42);
    comp_wr(a, A_CXL_HDM_DEC_CTRL, 0);
    comp_wr(a, A_CXL_HDM_GLOBAL_CTRL, 0);
    g_assert_cmphex(comp_rd(a, A_CXL_HDM_DEC_BASE_HI), ==,
                    ACCEL_FW_HOST_BASE >> 32);
    g_assert_cmphex(comp_rd(a, A_CXL_HDM_DEC_CTRL), ==, ctrl);
    g_assert_cmphex(comp_rd(a, A_CXL_HDM_GLOBAL_CTRL), ==,
                    R_CXL_HDM_GLOBAL_CTRL_HDM_DECODER_ENABLE_MASK);
    g_assert_true(accel_hdm_decoder0_committed(a));

    /* Aligned dwords inside the block only */
    g_assert_cmpint(accel_comp_regs_read(a, 2, buf, 4), ==, -EINVAL);
    g_assert_cmpint(accel_comp_regs_read(a, 0, buf, 2), ==, -EINVAL);
    g_assert_cmpint(accel_comp_regs_read(a, 0, buf, 8), ==, -EINVAL);
    g_assert_cmpint(accel_comp_regs_read(a, size, buf, 4), ==, -EINVAL);
    g_assert_cmpint(accel_comp_regs_read(a, size - 4, buf, 4), ==, 0);
    g_assert_cmpint(accel_comp_regs_write(a, 1, buf, 4), ==, -EINVAL);
    g_assert_cmpint(accel_comp_regs_write(a, 0, buf, 1), ==, -EINVAL);
    g_assert_cmpint(accel_comp_regs_write(a, size, buf, 4), ==, -EINVAL);
    /* The same through the region */
    g_assert_cmpint(accel_vfio_region_read(a, ACCEL_COMP_REGS_REGION,
                                           A_CXL_HDM_DEC_BASE_HI, buf, 4),
                    ==, 0);
    g_assert_cmphex((uint32_t)ldl_le_p(buf), ==, ACCEL_FW_HOST_BASE >> 32);
    accel_free(a);
}

/* 9.3: the HDM page is unmappable, its block reads all ones */
static void test_v5_bar(void)
{
    static const AccelBlockAt at[] = {
        ACCEL_BLOCK_AT_END, ACCEL_BLOCK_AT_START, ACCEL_BLOCK_AT_MIDDLE,
    };
    unsigned i;

    for (i = 0; i < ARRAY_SIZE(at); i++) {
        g_autofree struct vfio_region_info *info = NULL;
        struct vfio_region_info_cap_sparse_mmap *sp;
        AccelOptions o;
        CXLAccel *a;
        uint64_t block, cm, hdm, off;
        uint32_t hdr, entry;
        uint8_t b2[2];
        int fd;

        accel_options_init(&o);
        o.block_at = at[i];
        a = new_accel_v5(&o);
        block = accel_block_offset(a);
        cm = accel_hdm_regs_offset(a);
        hdm = accel_hdm_bar_offset(a);

        /* Sparse areas: all but [block + 0x1000, block + 0x2000) */
        info = region_info(a, VFIO_PCI_BAR0_REGION_INDEX + ACCEL_REG_BAR,
                           &fd);
        g_assert_cmpint(fd, ==, a->bar_fd);
        g_assert_cmpuint(info->flags & VFIO_REGION_INFO_FLAG_MMAP, !=, 0);
        sp = find_cap(info, info->cap_offset, info->argsz,
                      VFIO_REGION_INFO_CAP_SPARSE_MMAP);
        g_assert_nonnull(sp);
        g_assert_cmpuint(sp->nr_areas, ==, 2);
        g_assert_cmphex(sp->areas[0].offset, ==, 0);
        g_assert_cmphex(sp->areas[0].size, ==, block + 0x1000);
        g_assert_cmphex(sp->areas[1].offset, ==, block + 0x2000);
        g_assert_cmphex(sp->areas[1].size, ==,
                        ACCEL_REG_BAR_SIZE - block - 0x2000);

        /* The decoder block reads all ones, and drops writes */
        for (off = hdm; off < hdm + accel_hdm_block_size(a); off += 4) {
            g_assert_cmphex(bar_rd(a, off), ==, UINT32_MAX);
        }
        g_assert_cmpint(accel_bar_read(a, hdm + 1, b2, 2), ==, 0);
        g_assert_cmphex((uint16_t)lduw_le_p(b2), ==, UINT16_MAX);
        bar_wr(a, hdm + A_CXL_HDM_DEC_CTRL, 0);
        bar_wr(a, hdm + A_CXL_HDM_DEC_BASE_HI, 0x42);
        g_assert_cmphex(bar_rd(a, hdm + A_CXL_HDM_DEC_BASE_HI), ==,
                        UINT32_MAX);
        g_assert_cmphex(comp_rd(a, A_CXL_HDM_DEC_BASE_HI), ==,
                        ACCEL_FW_HOST_BASE >> 32);
        g_assert_true(accel_hdm_decoder0_committed(a));
        /* Right past the block: the page's ordinary (zero) registers */
        g_assert_cmphex(bar_rd(a, hdm + accel_hdm_block_size(a)), ==, 0);

        /* The capability array is there, for QEMU to find the block */
        hdr = bar_rd(a, cm);
        g_assert_cmpuint(FIELD_EX32(hdr, CXL_CAP_ARRAY_HDR, ID), ==,
                         CXL_CAP_ID_CAPABILITY);
        g_assert_cmpuint(FIELD_EX32(hdr, CXL_CAP_ARRAY_HDR, ARRAY_SIZE), ==,
                         2);
        entry = bar_rd(a, cm + 4);
        g_assert_cmpuint(FIELD_EX32(entry, CXL_CAP_HDR, ID), ==,
                         CXL_CAP_ID_RAS);
        g_assert_cmpuint(FIELD_EX32(entry, CXL_CAP_HDR, PTR), ==,
                         ACCEL_RAS_OFFSET);
        entry = bar_rd(a, cm + 8);
        g_assert_cmpuint(FIELD_EX32(entry, CXL_CAP_HDR, ID), ==,
                         CXL_CAP_ID_HDM);
        g_assert_cmpuint(FIELD_EX32(entry, CXL_CAP_HDR, PTR), ==,
                         ACCEL_HDM_OFFSET);
        g_assert_cmpuint(cm + FIELD_EX32(entry, CXL_CAP_HDR, PTR), ==, hdm);
        /* Read-only, as hardware has it */
        bar_wr(a, cm, 0);
        g_assert_cmphex(bar_rd(a, cm), ==, hdr);
        g_assert_cmpint(accel_bar_read(a, cm, b2, 2), ==, 0);
        g_assert_cmphex((uint16_t)lduw_le_p(b2), ==, hdr & UINT16_MAX);

        /* The rest of the block is ordinary BAR memory, mapped too */
        bar_wr(a, block, 0x12345678);
        g_assert_cmphex(bar_rd(a, block), ==, 0x12345678);
        g_assert_cmphex((uint32_t)ldl_le_p(a->bar + block), ==, 0x12345678);
        bar_wr(a, block + 0x2000, 0x9abcdef0);
        g_assert_cmphex((uint32_t)ldl_le_p(a->bar + block + 0x2000), ==,
                        0x9abcdef0);
        accel_free(a);
    }
}

/* v5: RAS status registers through the BAR, write-1-to-clear */
static void test_v5_bar_ras(void)
{
    AccelOptions o;
    CXLAccel *a;
    uint64_t unc;

    accel_options_init(&o);
    o.fault = ACCEL_FAULT_RAS_ERRORS;
    a = new_accel_v5(&o);
    unc = accel_hdm_regs_offset(a) + ACCEL_RAS_OFFSET + ACCEL_RAS_UNC_STATUS;
    g_assert_cmphex(bar_rd(a, unc), ==, ACCEL_RAS_UNC_ERRORS);
    bar_wr(a, unc, 0x00000401);
    g_assert_cmphex(bar_rd(a, unc), ==, ACCEL_RAS_UNC_ERRORS & ~0x401u);
    accel_free(a);
}

/* In a child, read the first byte of @p: true if that raised SIGBUS */
static bool faults_sigbus(volatile uint8_t *p)
{
    int status;
    pid_t pid = fork();

    g_assert_cmpint(pid, >=, 0);
    if (pid == 0) {
        (void)p[0];
        _exit(0);
    }
    g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
    return WIFSIGNALED(status) && WTERMSIG(status) == SIGBUS;
}

/* 9.3: the memory follows Memory Space Enable, its contents kept */
static void test_v5_mse_gate(void)
{
    CXLAccel *a = new_accel_v5(NULL);
    uint32_t v = 0xc0ffee00, w = 0;
    uint64_t far = 200 * MiB;
    uint8_t *map;

    /* Command reads 0 at open: gated */
    g_assert_true(a->mem_gated);
    g_assert_cmpint(accel_mem_read(a, 0, &w, 4), ==, -EIO);
    g_assert_cmpint(accel_vfio_region_write(a, ACCEL_DPA_REGION, 0, &v, 4),
                    ==, -EIO);
    g_assert_cmpuint(mem_file_size(a), ==, 0);

    set_mse(a, true);
    g_assert_cmpuint(mem_file_size(a), ==, 256 * MiB);
    g_assert_cmpint(accel_mem_write(a, 0x1000, &v, 4), ==, 0);
    g_assert_cmpint(accel_vfio_region_write(a, ACCEL_DPA_REGION, far, &v, 4),
                    ==, 0);
    map = mmap(NULL, 256 * MiB, PROT_READ, MAP_SHARED, a->mem_fd, 0);
    g_assert_true(map != MAP_FAILED);
    g_assert_cmphex((uint32_t)ldl_le_p(map + 0x1000), ==, v);
    g_assert_false(faults_sigbus(map + far));

    /* Closed: the mapping faults, I/O fails */
    set_mse(a, false);
    g_assert_true(faults_sigbus(map + far));
    g_assert_cmpint(accel_mem_read(a, 0x1000, &w, 4), ==, -EIO);
    g_assert_cmpint(accel_vfio_region_read(a, ACCEL_DPA_REGION, far, &w, 4),
                    ==, -EIO);
    /* Other Command bits leave it closed */
    cfg_wr(a, PCI_COMMAND, 2, PCI_COMMAND_MASTER);
    g_assert_cmpint(accel_mem_read(a, 0x1000, &w, 4), ==, -EIO);

    /* Open again: the contents are back, through the old mapping too */
    set_mse(a, true);
    g_assert_cmpint(accel_mem_read(a, 0x1000, &w, 4), ==, 0);
    g_assert_cmphex(w, ==, v);
    g_assert_cmpint(accel_mem_read(a, far, &w, 4), ==, 0);
    g_assert_cmphex(w, ==, v);
    g_assert_cmphex((uint32_t)ldl_le_p(map + far), ==, v);
    g_assert_cmphex((uint32_t)ldl_le_p(map), ==, 0);
    munmap(map, 256 * MiB);
    accel_free(a);
}

/* A gate close and open of a sparse 64 GiB --mem-file stays cheap */
static void test_v5_gate_sparse_file(void)
{
    g_autofree char *dir = g_dir_make_tmp("cxl-accel-XXXXXX", NULL);
    g_autofree char *path = g_build_filename(dir, "mem", NULL);
    const uint64_t size = 64 * GiB, at = size - 4 * KiB;
    uint32_t v = 0x5ca1ab1e, w = 0;
    AccelOptions o;
    struct stat st;
    CXLAccel *a;

    accel_options_init(&o);
    o.mem_size = size;
    o.mem_file = path;
    a = new_accel_v5(&o);
    set_mse(a, true);
    g_assert_cmpint(accel_mem_write(a, at, &v, 4), ==, 0);
    g_assert_cmpint(accel_mem_write(a, 0, &v, 4), ==, 0);
    set_mse(a, false);
    g_assert_cmpint(stat(path, &st), ==, 0);
    g_assert_cmpuint(st.st_size, ==, 0);
    set_mse(a, true);
    g_assert_cmpint(stat(path, &st), ==, 0);
    g_assert_cmpuint(st.st_size, ==, size);
    g_assert_cmpuint(st.st_blocks, <, 1024);
    g_assert_cmpint(accel_mem_read(a, at, &w, 4), ==, 0);
    g_assert_cmphex(w, ==, v);
    g_assert_cmpint(accel_mem_read(a, 0, &w, 4), ==, 0);
    g_assert_cmphex(w, ==, v);

    /* Gated when the server goes: the file still holds the memory */
    set_mse(a, false);
    accel_free(a);
    g_assert_cmpint(stat(path, &st), ==, 0);
    g_assert_cmpuint(st.st_size, ==, size);
    unlink(path);
    rmdir(dir);
}

/* 9.4: a reset is a CXL reset: memory cleared, decoder as firmware left */
static void test_v5_reset(void)
{
    CXLAccel *a = new_accel_v5(NULL);
    uint32_t v = 0xfeedface, w = 1;
    unsigned n;

    for (n = 1; n <= 2; n++) {
        set_mse(a, true);
        g_assert_cmpint(accel_mem_write(a, 0x2000, &v, 4), ==, 0);
        if (n == 1) {
            accel_reset(a);                     /* VFIO_DEVICE_RESET */
        } else {
            cfg_wr(a, ACCEL_PCIE_CAP_OFFSET + PCI_EXP_DEVCTL, 2,
                   PCI_EXP_DEVCTL_BCR_FLR);     /* FLR through config */
        }
        g_assert_cmpuint(a->reset_count, ==, n);
        g_assert_cmpuint(a->cxl_reset_count, ==, n);
        /* Command cleared: gated until the client sets it again */
        g_assert_cmphex(cfg_rd(a, PCI_COMMAND, 2), ==, 0);
        g_assert_cmpint(accel_mem_read(a, 0x2000, &w, 4), ==, -EIO);
        set_mse(a, true);
        g_assert_cmpint(accel_mem_read(a, 0x2000, &w, 4), ==, 0);
        g_assert_cmphex(w, ==, 0);
        g_assert_true(accel_hdm_decoder0_committed(a));
        g_assert_cmphex(comp_rd(a, A_CXL_HDM_DEC_BASE_HI), ==,
                        ACCEL_FW_HOST_BASE >> 32);
    }
    /* A reset while gated clears what the gate kept */
    g_assert_cmpint(accel_mem_write(a, 0x2000, &v, 4), ==, 0);
    set_mse(a, false);
    accel_reset(a);
    set_mse(a, true);
    g_assert_cmpint(accel_mem_read(a, 0x2000, &w, 4), ==, 0);
    g_assert_cmphex(w, ==, 0);
    accel_free(a);
}

/* The gate and a decoder lost at reset (reset-uncommits) together */
static void test_v5_reset_uncommits(void)
{
    AccelOptions o;
    CXLAccel *a;
    uint32_t v = 0x600d, w;

    accel_options_init(&o);
    o.fault = ACCEL_FAULT_RESET_UNCOMMITS;
    a = new_accel_v5(&o);
    set_mse(a, true);
    g_assert_cmpint(accel_mem_write(a, 0, &v, 4), ==, 0);
    accel_reset(a);
    g_assert_false(accel_hdm_decoder0_committed(a));
    set_mse(a, true);
    g_assert_true(a->mem_inactive);
    g_assert_cmpint(accel_mem_read(a, 0, &w, 4), ==, -EIO);
    accel_reset(a);
    g_assert_true(accel_hdm_decoder0_committed(a));
    g_assert_cmpint(accel_mem_read(a, 0, &w, 4), ==, -EIO);
    set_mse(a, true);
    g_assert_cmpint(accel_mem_read(a, 0, &w, 4), ==, 0);
    g_assert_cmphex(w, ==, 0);
    accel_free(a);
}

/* 9.4: the Initiate bits never reach the device; Status2 synthesized */
static void test_v5_dvsec_initiate(void)
{
    AccelOptions o;
    CXLAccel *a;
    uint32_t v = 0xabad1dea, w = 0;

    accel_options_init(&o);
    o.cache_capable = true;
    a = new_accel_v5(&o);
    set_mse(a, true);
    g_assert_cmpint(accel_mem_write(a, 0x3000, &v, 4), ==, 0);

    cfg_wr(a, DVSEC(CXL_DVSEC_CTRL2), 2,
           R_CXL_DVSEC_CTRL2_INITIATE_CXL_RESET_MASK);
    g_assert_cmphex(cfg_rd(a, DVSEC(CXL_DVSEC_STATUS2), 2), ==,
                    R_CXL_DVSEC_STATUS2_CXL_RESET_COMPLETE_MASK);
    g_assert_cmphex(cfg_rd(a, DVSEC(CXL_DVSEC_CTRL2), 2), ==, 0);
    g_assert_cmpuint(a->cxl_reset_count, ==, 0);
    g_assert_true(accel_hdm_decoder0_committed(a));
    g_assert_cmpint(accel_mem_read(a, 0x3000, &w, 4), ==, 0);
    g_assert_cmphex(w, ==, v);

    cfg_wr(a, DVSEC(CXL_DVSEC_CTRL2), 2,
           R_CXL_DVSEC_CTRL2_DISABLE_CACHING_MASK |
           R_CXL_DVSEC_CTRL2_INITIATE_WBI_MASK);
    g_assert_cmpuint(a->wbi_count, ==, 0);
    g_assert_false(a->wbi_pending);
    g_assert_cmphex(cfg_rd(a, DVSEC(CXL_DVSEC_STATUS2), 2) &
                    R_CXL_DVSEC_STATUS2_CACHE_INVALID_MASK, !=, 0);
    g_assert_cmphex(cfg_rd(a, DVSEC(CXL_DVSEC_CTRL2), 2), ==,
                    R_CXL_DVSEC_CTRL2_DISABLE_CACHING_MASK);
    /* Caching on again: the cache may hold lines */
    cfg_wr(a, DVSEC(CXL_DVSEC_CTRL2), 2, 0);
    g_assert_cmphex(cfg_rd(a, DVSEC(CXL_DVSEC_STATUS2), 2) &
                    R_CXL_DVSEC_STATUS2_CACHE_INVALID_MASK, ==, 0);
    accel_free(a);
}

/* 9.2: anything but one committed decoder with CXL Reset: plain PCI */
static void test_v5_fallback(void)
{
    unsigned i;

    for (i = 0; i < 3; i++) {
        g_autoptr(GByteArray) out = g_byte_array_new();
        g_autofree struct vfio_region_info *bar = NULL;
        struct vfio_device_info info;
        AccelOptions o;
        CXLAccel *a;
        uint8_t buf[4];
        int fd;

        accel_options_init(&o);
        if (i == 0) {
            o.decoders = 2;
        } else if (i == 1) {
            o.firmware_committed = false;
        } else {
            o.fault = ACCEL_FAULT_NO_CXL_RESET;
        }
        a = new_accel_v5(&o);
        g_assert_false(accel_cxl_exposed(a));
        g_assert_false(accel_v5(a));

        g_assert_cmpint(accel_vfio_device_info(a, 4096, out), ==, 0);
        g_assert_cmpuint(out->len, ==, sizeof(info));
        memcpy(&info, out->data, sizeof(info));
        g_assert_cmphex(info.flags, ==, VFIO_DEVICE_FLAGS_PCI |
                        VFIO_DEVICE_FLAGS_RESET);
        g_assert_cmpuint(info.num_regions, ==, VFIO_PCI_NUM_REGIONS);
        g_assert_cmpint(accel_vfio_region_info(a, ACCEL_DPA_REGION, 4096,
                                               out, &fd), ==, -EINVAL);
        g_assert_cmpint(accel_vfio_region_read(a, ACCEL_COMP_REGS_REGION, 0,
                                               buf, 4), ==, -EINVAL);

        /* The whole BAR mmap-able, the block a plain register image */
        bar = region_info(a, VFIO_PCI_BAR0_REGION_INDEX + ACCEL_REG_BAR,
                          &fd);
        g_assert_cmphex(bar->flags, ==, VFIO_REGION_INFO_FLAG_READ |
                        VFIO_REGION_INFO_FLAG_WRITE |
                        VFIO_REGION_INFO_FLAG_MMAP);
        g_assert_cmpint(fd, ==, a->bar_fd);
        g_assert_cmphex(bar_rd(a, accel_hdm_bar_offset(a) +
                               A_CXL_HDM_DEC_CTRL), ==,
                        a->hw_cachemem[HDM(A_CXL_HDM_DEC_CTRL) / 4]);

        /* The DVSECs are still in config space */
        g_assert_cmphex(cfg_rd(a, DVSEC(PCIE_DVSEC_ID_OFFSET), 2), ==,
                        PCIE_CXL_DEVICE_DVSEC);
        g_assert_cmphex(cfg_rd(a, ACCEL_DVSEC_REGLOC_OFFSET +
                               PCIE_DVSEC_ID_OFFSET, 2), ==, REG_LOC_DVSEC);
        /* No gate without CXL: the Command register changes nothing */
        g_assert_false(a->mem_gated);
        accel_free(a);
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/cxl-accel/options/parse-size", test_parse_size);
    g_test_add_func("/cxl-accel/options/check", test_options_check);
    g_test_add_func("/cxl-accel/hdm/snapshot", test_hdm_snapshot);
    g_test_add_func("/cxl-accel/hdm/not-committed", test_hdm_not_committed);
    g_test_add_func("/cxl-accel/hdm/commit", test_hdm_commit);
    g_test_add_func("/cxl-accel/hdm/lock", test_hdm_lock);
    g_test_add_func("/cxl-accel/hdm/ctrl-reserved", test_hdm_ctrl_reserved);
    g_test_add_func("/cxl-accel/hdm/dword-only", test_hdm_dword_only);
    g_test_add_func("/cxl-accel/hdm/readonly-below-hdm",
                    test_hdm_readonly_below);
    g_test_add_func("/cxl-accel/hdm/global-ctrl", test_hdm_global_ctrl);
    g_test_add_func("/cxl-accel/hdm/dpa-skip", test_hdm_skip_discarded);
    g_test_add_func("/cxl-accel/hdm/decoder-count", test_hdm_decoder_count);
    g_test_add_func("/cxl-accel/hdm/reset-snapshot", test_hdm_reset_snapshot);
    g_test_add_func("/cxl-accel/config/layout", test_config_layout);
    g_test_add_func("/cxl-accel/config/flexbus-dsn", test_config_flexbus_dsn);
    g_test_add_func("/cxl-accel/config/bounds", test_config_bounds);
    g_test_add_func("/cxl-accel/config/flr", test_config_flr);
    g_test_add_func("/cxl-accel/config/flr-keeps-host-decoders",
                    test_config_flr_keeps_host_decoders);
    g_test_add_func("/cxl-accel/config/pm", test_config_pm);
    g_test_add_func("/cxl-accel/pm/d3hot-gate", test_pm_d3hot_gate);
    g_test_add_func("/cxl-accel/dvsec/control-lock", test_dvsec_control_lock);
    g_test_add_func("/cxl-accel/dvsec/status-rw1c", test_dvsec_status_rw1c);
    g_test_add_func("/cxl-accel/dvsec/control2", test_dvsec_control2);
    g_test_add_func("/cxl-accel/dvsec/range-base", test_dvsec_range_base);
    g_test_add_func("/cxl-accel/bar/placement", test_bar_placement);
    g_test_add_func("/cxl-accel/bar/accel-regs", test_bar_accel_regs);
    g_test_add_func("/cxl-accel/bar/block", test_bar_block);
    g_test_add_func("/cxl-accel/vfio/device-info", test_device_info);
    g_test_add_func("/cxl-accel/vfio/not-committed",
                    test_not_committed_plain);
    g_test_add_func("/cxl-accel/vfio/region-info", test_region_info);
    g_test_add_func("/cxl-accel/vfio/irq-info", test_irq_info);
    g_test_add_func("/cxl-accel/vfio/faults", test_faults);
    g_test_add_func("/cxl-accel/mem/file", test_mem_file);
    g_test_add_func("/cxl-accel/mem/inactive", test_mem_inactive);
    g_test_add_func("/cxl-accel/dvsec/cxl-reset", test_dvsec_cxl_reset);
    g_test_add_func("/cxl-accel/config/no-flr", test_config_no_flr);
    g_test_add_func("/cxl-accel/hdm/ras-rw1c", test_ras_rw1c);
    g_test_add_func("/cxl-accel/v5/options", test_v5_options);
    g_test_add_func("/cxl-accel/v5/device-info", test_v5_device_info);
    g_test_add_func("/cxl-accel/v5/region-info", test_v5_region_info);
    g_test_add_func("/cxl-accel/v5/cap-faults", test_v5_cap_faults);
    g_test_add_func("/cxl-accel/v5/comp-regs", test_v5_comp_regs);
    g_test_add_func("/cxl-accel/v5/bar", test_v5_bar);
    g_test_add_func("/cxl-accel/v5/bar-ras", test_v5_bar_ras);
    g_test_add_func("/cxl-accel/v5/mse-gate", test_v5_mse_gate);
    g_test_add_func("/cxl-accel/v5/gate-sparse-file",
                    test_v5_gate_sparse_file);
    g_test_add_func("/cxl-accel/v5/reset", test_v5_reset);
    g_test_add_func("/cxl-accel/v5/reset-uncommits", test_v5_reset_uncommits);
    g_test_add_func("/cxl-accel/v5/dvsec-initiate", test_v5_dvsec_initiate);
    g_test_add_func("/cxl-accel/v5/fallback", test_v5_fallback);
    return g_test_run();
}
