/*
 * Unit tests of the CXL Type-2 vfio UAPI parser (hw/vfio/cxl-uapi.c)
 * against well-formed and malformed device descriptions.
 *
 * Copyright (c) 2026 QEMU CXL Type-2 team
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qapi/error-internal.h"
#include "hw/vfio/cxl-uapi.h"
#include "hw/cxl/cxl-dvsec-layout.h"
#include "standard-headers/linux/pci_regs.h"

#define NUM_REGIONS     (VFIO_PCI_NUM_REGIONS + 2)
#define MEM_INDEX       VFIO_PCI_NUM_REGIONS
#define REGS_INDEX      (VFIO_PCI_NUM_REGIONS + 1)
#define BAR_SIZE        (256 * KiB)
#define BLOCK_OFFSET    0x20000

/* Device info with room for two capabilities after the fixed part. */
typedef struct TestInfo {
    struct vfio_device_info info;
    struct vfio_device_info_cap_pci_atomic_comp atomic;
    struct vfio_device_info_cap_cxl cxl;
} TestInfo;

static void make_info(TestInfo *t)
{
    memset(t, 0, sizeof(*t));
    t->info.argsz = sizeof(*t);
    t->info.flags = VFIO_DEVICE_FLAGS_PCI | VFIO_DEVICE_FLAGS_CAPS |
                    VFIO_DEVICE_FLAGS_CXL;
    t->info.num_regions = NUM_REGIONS;
    t->info.num_irqs = 5;
    /* A foreign capability first, so the parser has to walk the chain. */
    t->info.cap_offset = offsetof(TestInfo, atomic);
    t->atomic.header.id = VFIO_DEVICE_INFO_CAP_PCI_ATOMIC_COMP;
    t->atomic.header.version = 1;
    t->atomic.header.next = offsetof(TestInfo, cxl);
    t->cxl.header.id = VFIO_DEVICE_INFO_CAP_CXL;
    t->cxl.header.version = 1;
    t->cxl.hdm_regs_bar_index = 2;
    t->cxl.flags = VFIO_CXL_CAP_FIRMWARE_COMMITTED;
    t->cxl.hdm_regs_offset = BLOCK_OFFSET + CXL_CACHEMEM_OFFSET;
    t->cxl.dpa_region_index = MEM_INDEX;
    t->cxl.comp_regs_region_index = REGS_INDEX;
}

/* Parse, expecting failure with @msg in the error. */
static void expect_info_error(TestInfo *t, const char *msg)
{
    Error *err = NULL;
    VFIOCXLDesc desc;
    bool present;

    g_assert_false(vfio_cxl_parse_device_info(&t->info, &desc, &present,
                                              &err));
    g_assert_nonnull(err);
    if (!strstr(error_get_pretty(err), msg)) {
        g_test_message("error '%s' lacks '%s'", error_get_pretty(err), msg);
        g_test_fail();
    }
    g_assert_false(present);
    error_free(err);
}

static void test_info_valid(void)
{
    TestInfo t;
    VFIOCXLDesc desc;
    bool present;

    make_info(&t);
    t.cxl.flags |= VFIO_CXL_CAP_CACHE_CAPABLE;
    g_assert_true(vfio_cxl_parse_device_info(&t.info, &desc, &present,
                                             &error_abort));
    g_assert_true(present);
    g_assert_cmpuint(desc.bar, ==, 2);
    g_assert_cmphex(desc.flags, ==, VFIO_CXL_CAP_FIRMWARE_COMMITTED |
                                    VFIO_CXL_CAP_CACHE_CAPABLE);
    g_assert_cmphex(desc.cachemem_offset, ==, BLOCK_OFFSET + 0x1000);
    g_assert_cmphex(desc.block_offset, ==, BLOCK_OFFSET);
    g_assert_cmpuint(desc.mem_index, ==, MEM_INDEX);
    g_assert_cmpuint(desc.regs_index, ==, REGS_INDEX);
}

/*
 * A vfio-user server may put the capability at any 4-byte boundary; its
 * 64-bit hdm_regs_offset is then not naturally aligned (found by the
 * libFuzzer target under UBSan; tests/fuzz/libfuzzer/corpus keeps it).
 */
static void test_info_unaligned(void)
{
    TestInfo t;
    g_autofree uint8_t *buf = g_malloc0(sizeof(t) + 4);
    struct vfio_device_info *info = (void *)buf;
    VFIOCXLDesc desc;
    bool present;

    make_info(&t);
    memcpy(buf, &t, offsetof(TestInfo, cxl));
    memcpy(buf + offsetof(TestInfo, cxl) + 4, &t.cxl, sizeof(t.cxl));
    info->argsz = sizeof(t) + 4;
    ((struct vfio_info_cap_header *)(buf + info->cap_offset))->next =
        offsetof(TestInfo, cxl) + 4;
    g_assert_true(vfio_cxl_parse_device_info(info, &desc, &present,
                                             &error_abort));
    g_assert_true(present);
    g_assert_cmphex(desc.cachemem_offset, ==, BLOCK_OFFSET + 0x1000);
    g_assert_cmpuint(desc.regs_index, ==, REGS_INDEX);
}

static void test_info_not_cxl(void)
{
    TestInfo t;
    VFIOCXLDesc desc;
    bool present = true;

    make_info(&t);
    t.info.flags &= ~VFIO_DEVICE_FLAGS_CXL;
    t.atomic.header.next = 0;
    g_assert_true(vfio_cxl_parse_device_info(&t.info, &desc, &present,
                                             &error_abort));
    g_assert_false(present);

    /* Without any capabilities at all. */
    t.info.flags &= ~VFIO_DEVICE_FLAGS_CAPS;
    t.info.argsz = sizeof(t.info);
    present = true;
    g_assert_true(vfio_cxl_parse_device_info(&t.info, &desc, &present,
                                             &error_abort));
    g_assert_false(present);
}

/* Parse, expecting a device of revision v5. */
static void expect_info_v5(TestInfo *t)
{
    VFIOCXLDesc desc;
    bool present = false;

    g_assert_true(vfio_cxl_parse_device_info(&t->info, &desc, &present,
                                             &error_abort));
    g_assert_true(present);
    g_assert_cmpint(desc.uapi, ==, VFIO_CXL_UAPI_V5);
    g_assert_cmpstr(vfio_cxl_uapi_str(desc.uapi), ==, "v5");
}

/* The series since v4: the flag, no device capability. */
static void test_info_flag_without_cap(void)
{
    TestInfo t;

    make_info(&t);
    t.atomic.header.next = 0;
    expect_info_v5(&t);
    t.info.flags &= ~VFIO_DEVICE_FLAGS_CAPS;
    expect_info_v5(&t);
}

static void test_info_cap_without_flag(void)
{
    TestInfo t;

    make_info(&t);
    t.info.flags &= ~VFIO_DEVICE_FLAGS_CXL;
    expect_info_error(&t, "does not set VFIO_DEVICE_FLAGS_CXL");
}

/*
 * A capability id 6 that is not v2's (another version, or shorter than
 * v2's 32 bytes: a flags-only capability was planned for v4) is no v2
 * device: the v5 reading decides.
 */
static void test_info_bad_version(void)
{
    TestInfo t;
    VFIOCXLDesc desc;
    bool present;

    make_info(&t);
    t.cxl.header.version = 2;
    expect_info_v5(&t);
    t.cxl.header.version = 0;
    expect_info_v5(&t);
    t.cxl.header.version = 1;
    g_assert_true(vfio_cxl_parse_device_info(&t.info, &desc, &present,
                                             &error_abort));
    g_assert_cmpint(desc.uapi, ==, VFIO_CXL_UAPI_V2);
    g_assert_cmpstr(vfio_cxl_uapi_str(desc.uapi), ==, "v2");
}

static void test_info_truncated(void)
{
    TestInfo t;

    make_info(&t);
    t.info.argsz = offsetof(TestInfo, cxl) + 24;
    expect_info_v5(&t);
}

static void test_info_bad_region_index(void)
{
    TestInfo t;

    make_info(&t);
    t.cxl.dpa_region_index = VFIO_PCI_BAR2_REGION_INDEX;
    expect_info_error(&t, "device memory region index 2 is out of range");
    t.cxl.dpa_region_index = NUM_REGIONS;
    expect_info_error(&t, "device memory region index 11 is out of range");

    make_info(&t);
    t.cxl.comp_regs_region_index = 1000;
    expect_info_error(&t, "COMP_REGS region index 1000 is out of range");

    make_info(&t);
    t.cxl.comp_regs_region_index = MEM_INDEX;
    expect_info_error(&t, "both claim region 9");
}

static void test_info_bad_bar(void)
{
    TestInfo t;

    make_info(&t);
    t.cxl.hdm_regs_bar_index = VFIO_PCI_ROM_REGION_INDEX;
    expect_info_error(&t, "names BAR 6");

    make_info(&t);
    t.cxl.hdm_regs_offset = 0x800;
    expect_info_error(&t, "hdm_regs_offset 0x800 is not a CXL.cachemem");
    t.cxl.hdm_regs_offset = 0x1002;
    expect_info_error(&t, "hdm_regs_offset 0x1002");
}

/* Region info with a type capability. */
typedef struct TestRegion {
    struct vfio_region_info info;
    struct vfio_region_info_cap_type type;
} TestRegion;

static void make_region(TestRegion *r, uint32_t index, uint32_t subtype,
                        uint64_t size, bool mmap)
{
    memset(r, 0, sizeof(*r));
    r->info.argsz = sizeof(*r);
    r->info.index = index;
    r->info.flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE |
                    VFIO_REGION_INFO_FLAG_CAPS |
                    (mmap ? VFIO_REGION_INFO_FLAG_MMAP : 0);
    r->info.cap_offset = offsetof(TestRegion, type);
    r->info.size = size;
    r->info.offset = (uint64_t)index << 40;
    r->type.header.id = VFIO_REGION_INFO_CAP_TYPE;
    r->type.header.version = 1;
    r->type.type = VFIO_CXL_REGION_TYPE;
    r->type.subtype = subtype;
}

typedef struct TestRegions {
    VFIOCXLDesc desc;
    struct vfio_region_info bar;
    TestRegion mem;
    TestRegion regs;
} TestRegions;

static void make_regions(TestRegions *r)
{
    TestInfo t;
    bool present;

    make_info(&t);
    g_assert_true(vfio_cxl_parse_device_info(&t.info, &r->desc, &present,
                                             &error_abort));
    memset(&r->bar, 0, sizeof(r->bar));
    r->bar.argsz = sizeof(r->bar);
    r->bar.index = 2;
    r->bar.size = BAR_SIZE;
    r->bar.flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE;
    make_region(&r->mem, MEM_INDEX, VFIO_REGION_SUBTYPE_CXL, GiB, true);
    make_region(&r->regs, REGS_INDEX, VFIO_REGION_SUBTYPE_CXL_COMP_REGS,
                0x400, false);
}

static void expect_regions_error(TestRegions *r, const char *msg)
{
    Error *err = NULL;

    g_assert_false(vfio_cxl_parse_regions(&r->desc, &r->bar, &r->mem.info,
                                          &r->regs.info, &err));
    g_assert_nonnull(err);
    if (!strstr(error_get_pretty(err), msg)) {
        g_test_message("error '%s' lacks '%s'", error_get_pretty(err), msg);
        g_test_fail();
    }
    error_free(err);
}

static void test_regions_valid(void)
{
    TestRegions r;

    make_regions(&r);
    g_assert_true(vfio_cxl_parse_regions(&r.desc, &r.bar, &r.mem.info,
                                         &r.regs.info, &error_abort));
    g_assert_cmphex(r.desc.mem_size, ==, GiB);
    g_assert_cmphex(r.desc.mem_fd_offset, ==, (uint64_t)MEM_INDEX << 40);
    g_assert_cmphex(r.desc.regs_size, ==, 0x400);
}

static void test_regions_wrong_type(void)
{
    TestRegions r;

    make_regions(&r);
    r.mem.type.subtype = VFIO_REGION_SUBTYPE_CXL_COMP_REGS;
    expect_regions_error(&r, "device memory region 9 has type 0x80001e98 "
                         "subtype 2, expected type 0x80001e98 subtype 1");

    make_regions(&r);
    r.regs.type.type = VFIO_REGION_TYPE_PCI_VENDOR_TYPE | 0x8086;
    expect_regions_error(&r, "COMP_REGS region 10 has type 0x80008086");

    make_regions(&r);
    r.mem.info.flags &= ~VFIO_REGION_INFO_FLAG_CAPS;
    expect_regions_error(&r, "device memory region 9 has no region type");

    /* A chain that loops must not hang the parser. */
    make_regions(&r);
    r.mem.type.header.id = VFIO_REGION_INFO_CAP_SPARSE_MMAP;
    r.mem.type.header.next = r.mem.info.cap_offset;
    expect_regions_error(&r, "device memory region 9 has no region type");

    /* A capability offset outside the region info. */
    make_regions(&r);
    r.regs.info.cap_offset = 4096;
    expect_regions_error(&r, "COMP_REGS region 10 has no region type");
}

static void test_regions_bad_size(void)
{
    TestRegions r;

    make_regions(&r);
    r.mem.info.size = 0;
    expect_regions_error(&r, "device memory region 9 has size zero");

    make_regions(&r);
    r.mem.info.size = 256 * MiB + 4096;
    expect_regions_error(&r, "not a multiple of 256 MiB");

    make_regions(&r);
    r.regs.info.size = 0;
    expect_regions_error(&r, "COMP_REGS region 10 has size zero");

    make_regions(&r);
    r.regs.info.size = 0x10000;
    expect_regions_error(&r, "COMP_REGS size 0x10000 is not a dword "
                         "multiple of at most 0xf000");

    make_regions(&r);
    r.mem.info.flags &= ~VFIO_REGION_INFO_FLAG_MMAP;
    expect_regions_error(&r, "cannot be mmapped");

    make_regions(&r);
    r.regs.info.flags &= ~VFIO_REGION_INFO_FLAG_WRITE;
    expect_regions_error(&r, "COMP_REGS region 10 is not readable and "
                         "writable");
}

static void test_regions_outside_bar(void)
{
    TestRegions r;

    make_regions(&r);
    r.bar.size = BLOCK_OFFSET + 0x8000;
    expect_regions_error(&r, "component block at 0x20000 (64 KiB, from "
                         "hdm_regs_offset 0x21000) lies outside BAR 2");

    make_regions(&r);
    r.bar.size = BLOCK_OFFSET;
    expect_regions_error(&r, "lies outside BAR 2");

    make_regions(&r);
    r.bar.index = 0;
    expect_regions_error(&r, "region info is for index 0, not 2");
}

/* COMP_REGS contents for the capability array walk. */
typedef struct TestRegs {
    uint32_t dw[0x1000 / 4];
    bool fail;
} TestRegs;

static bool regs_read(void *opaque, uint32_t offset, uint32_t *val,
                      Error **errp)
{
    TestRegs *regs = opaque;

    g_assert_cmpuint(offset % 4, ==, 0);
    g_assert_cmpuint(offset, <, sizeof(regs->dw));
    if (regs->fail) {
        error_setg(errp, "read failed at 0x%x", offset);
        return false;
    }
    *val = regs->dw[offset / 4];
    return true;
}

#define HDM_PTR 0x100

static void make_regs(TestRegs *regs, VFIOCXLDesc *desc)
{
    memset(regs, 0, sizeof(*regs));
    memset(desc, 0, sizeof(*desc));
    desc->regs_size = 0x200;
    /* Capability header: id 1, version 1, cachemem version 1, 2 entries */
    regs->dw[0] = 0x02110001;
    /* RAS (id 2) at 0x40, then HDM (id 5) at HDM_PTR */
    regs->dw[1] = (0x40 << 20) | (2 << 16) | 2;
    regs->dw[2] = (HDM_PTR << 20) | (3 << 16) | 5;
    /* HDM Decoder Capability: count encoding 0 (one decoder) */
    regs->dw[HDM_PTR / 4] = 0;
}

static void expect_regs_error(TestRegs *regs, VFIOCXLDesc *desc,
                              const char *msg)
{
    Error *err = NULL;

    g_assert_false(vfio_cxl_parse_comp_regs(desc, regs_read, regs, &err));
    g_assert_nonnull(err);
    if (!strstr(error_get_pretty(err), msg)) {
        g_test_message("error '%s' lacks '%s'", error_get_pretty(err), msg);
        g_test_fail();
    }
    error_free(err);
}

static void test_comp_regs_valid(void)
{
    TestRegs regs;
    VFIOCXLDesc desc;

    make_regs(&regs, &desc);
    g_assert_true(vfio_cxl_parse_comp_regs(&desc, regs_read, &regs,
                                           &error_abort));
    g_assert_cmphex(desc.hdm_offset, ==, HDM_PTR);
    g_assert_cmpuint(desc.hdm_count, ==, 1);
    g_assert_cmphex(vfio_cxl_hdm_reg(&desc, 0, A_CXL_HDM_DEC_BASE_HI), ==,
                    HDM_PTR + 0x14);
    g_assert_cmphex(vfio_cxl_hdm_reg(&desc, 1, A_CXL_HDM_DEC_CTRL), ==,
                    HDM_PTR + 0x40);

    /* Decoder count encodings: N -> 2N up to 8, then 20, 24, 28, 32. */
    desc.regs_size = 0x1000;
    regs.dw[HDM_PTR / 4] = 4;
    g_assert_true(vfio_cxl_parse_comp_regs(&desc, regs_read, &regs,
                                           &error_abort));
    g_assert_cmpuint(desc.hdm_count, ==, 8);
    regs.dw[HDM_PTR / 4] = 9;
    g_assert_true(vfio_cxl_parse_comp_regs(&desc, regs_read, &regs,
                                           &error_abort));
    g_assert_cmpuint(desc.hdm_count, ==, 20);
    regs.dw[HDM_PTR / 4] = 12;
    g_assert_true(vfio_cxl_parse_comp_regs(&desc, regs_read, &regs,
                                           &error_abort));
    g_assert_cmpuint(desc.hdm_count, ==, 32);
}

static void test_comp_regs_no_hdm(void)
{
    TestRegs regs;
    VFIOCXLDesc desc;

    make_regs(&regs, &desc);
    regs.dw[2] = (HDM_PTR << 20) | (1 << 16) | 3;
    expect_regs_error(&regs, &desc, "has no HDM Decoder Capability");

    /* The HDM entry exists but lies past the declared array size. */
    make_regs(&regs, &desc);
    regs.dw[0] = 0x01110001;
    expect_regs_error(&regs, &desc, "has no HDM Decoder Capability");
}

static void test_comp_regs_malformed(void)
{
    TestRegs regs;
    VFIOCXLDesc desc;

    make_regs(&regs, &desc);
    regs.dw[0] = 0x02110002;
    expect_regs_error(&regs, &desc, "does not start with a CXL Capability "
                      "Header (dword 0 is 0x02110002)");

    make_regs(&regs, &desc);
    regs.dw[0] = 0xff110001;
    expect_regs_error(&regs, &desc, "array of 255 entries does not fit");

    make_regs(&regs, &desc);
    regs.dw[2] = (0x1f0 << 20) | (3 << 16) | 5;
    expect_regs_error(&regs, &desc, "HDM Decoder Capability at 0x1f0 lies "
                      "outside COMP_REGS");

    make_regs(&regs, &desc);
    regs.dw[2] = (0x4 << 20) | (3 << 16) | 5;
    expect_regs_error(&regs, &desc, "overlaps its capability array");

    make_regs(&regs, &desc);
    regs.dw[HDM_PTR / 4] = 4;
    expect_regs_error(&regs, &desc, "is too small for 8 HDM decoders");

    make_regs(&regs, &desc);
    regs.dw[HDM_PTR / 4] = 13;
    expect_regs_error(&regs, &desc, "reserved decoder count encoding");

    make_regs(&regs, &desc);
    regs.fail = true;
    expect_regs_error(&regs, &desc, "read failed at 0x0");
}

/*
 * A v5 device behind a fake transport: config space with the CXL Device
 * and Register Locator DVSECs, the component BAR with its capability
 * array, the two CXL regions found by type (COMP_REGS with the region
 * capability), and COMP_REGS read live: the host's BASE in it.
 */
#define V5_DVSEC_OFF        0x100
#define V5_REGLOC_OFF       0x140
#define V5_REGLOC_LEN       (CXL_REGLOC_ENTRIES_OFFSET + CXL_REGLOC_ENTRY_SIZE)
#define V5_HDM_PTR          0x200
#define V5_HDM_BAR_OFF      (BLOCK_OFFSET + CXL_CACHEMEM_OFFSET + V5_HDM_PTR)
#define V5_REGS_SIZE        (CXL_HDM_DECODER_FIRST + CXL_HDM_DECODER_STRIDE)
#define V5_HOST_BASE        0x4000000000ULL

typedef struct TestV5Region {
    struct vfio_region_info info;
    struct vfio_region_info_cap_type type;
    struct vfio_region_info_cap_cxl_comp_regs comp;
} TestV5Region;

typedef struct TestV5 {
    TestInfo t;
    uint8_t cfg[PCI_CFG_SPACE_EXP_SIZE];
    uint32_t *bar;                      /* BAR_SIZE bytes */
    uint32_t regs[V5_REGS_SIZE / 4];
    TestV5Region region[NUM_REGIONS + 1];
} TestV5;

static void v5_ext_cap(TestV5 *d, uint32_t off, uint16_t id, uint32_t len,
                       uint32_t next)
{
    uint32_t hdr = 0, h1 = 0;

    hdr = FIELD_DP32(hdr, PCIE_EXT_CAP_HDR, ID, PCI_EXT_CAP_ID_DVSEC);
    hdr = FIELD_DP32(hdr, PCIE_EXT_CAP_HDR, VER, PCIE_EXT_CAP_DVSEC_VER);
    hdr = FIELD_DP32(hdr, PCIE_EXT_CAP_HDR, NEXT, next);
    h1 = FIELD_DP32(h1, DVSEC_HDR1, VENDOR, CXL_VENDOR_ID);
    h1 = FIELD_DP32(h1, DVSEC_HDR1, LEN, len);
    stl_le_p(d->cfg + off, hdr);
    stl_le_p(d->cfg + off + PCIE_DVSEC_HEADER1_OFFSET, h1);
    stw_le_p(d->cfg + off + PCIE_DVSEC_ID_OFFSET, id);
}

static void v5_region(TestV5 *d, uint32_t index, uint32_t subtype,
                      uint64_t size, bool comp_cap)
{
    TestV5Region *r = &d->region[index];

    memset(r, 0, sizeof(*r));
    r->info.argsz = comp_cap ? sizeof(*r) : offsetof(TestV5Region, comp);
    r->info.index = index;
    r->info.flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE |
                    VFIO_REGION_INFO_FLAG_CAPS |
                    (comp_cap ? 0 : VFIO_REGION_INFO_FLAG_MMAP);
    r->info.cap_offset = offsetof(TestV5Region, type);
    r->info.size = size;
    r->info.offset = (uint64_t)index << 40;
    r->type.header.id = VFIO_REGION_INFO_CAP_TYPE;
    r->type.header.version = 1;
    r->type.type = VFIO_CXL_REGION_TYPE;
    r->type.subtype = subtype;
    if (comp_cap) {
        r->type.header.next = offsetof(TestV5Region, comp);
        r->comp.header.id = VFIO_REGION_INFO_CAP_CXL_COMP_REGS;
        r->comp.header.version = VFIO_REGION_INFO_CAP_CXL_COMP_REGS_VERSION;
        r->comp.bar = 2;
        r->comp.offset = V5_HDM_BAR_OFF;
    }
}

static void make_v5(TestV5 *d)
{
    uint32_t *cm, lo = 0, ctrl = 0, i;

    memset(d, 0, offsetof(TestV5, bar));
    memset(d->regs, 0, sizeof(*d) - offsetof(TestV5, regs));
    make_info(&d->t);
    d->t.atomic.header.next = 0;
    d->bar = g_new0(uint32_t, BAR_SIZE / 4);

    v5_ext_cap(d, V5_DVSEC_OFF, PCIE_CXL_DEVICE_DVSEC,
               PCIE_CXL_DEVICE_DVSEC_LENGTH, V5_REGLOC_OFF);
    v5_ext_cap(d, V5_REGLOC_OFF, REG_LOC_DVSEC, V5_REGLOC_LEN, 0);
    lo = FIELD_DP32(lo, CXL_REGLOC_LO, BIR, 2);
    lo = FIELD_DP32(lo, CXL_REGLOC_LO, BLOCK_ID, CXL_REGLOC_BLOCK_COMPONENT);
    lo |= BLOCK_OFFSET & R_CXL_REGLOC_LO_OFFSET_LOW_MASK;
    stl_le_p(d->cfg + V5_REGLOC_OFF + CXL_REGLOC_ENTRIES_OFFSET, lo);

    /* The capability array: RAS, then the HDM Decoder Capability */
    cm = d->bar + (BLOCK_OFFSET + CXL_CACHEMEM_OFFSET) / 4;
    cm[0] = CXL_CAP_ID_CAPABILITY | 2 << R_CXL_CAP_ARRAY_HDR_ARRAY_SIZE_SHIFT;
    cm[1] = CXL_CAP_ID_RAS | 0x100 << R_CXL_CAP_HDR_PTR_SHIFT;
    cm[2] = CXL_CAP_ID_HDM | V5_HDM_PTR << R_CXL_CAP_HDR_PTR_SHIFT;
    /* The decoder block itself reads all ones through the BAR (v5) */
    for (i = 0; i < V5_REGS_SIZE / 4; i++) {
        d->bar[V5_HDM_BAR_OFF / 4 + i] = UINT32_MAX;
    }

    for (i = 0; i < NUM_REGIONS; i++) {
        d->region[i].info.argsz = sizeof(d->region[i].info);
        d->region[i].info.index = i;
    }
    d->region[2].info.size = BAR_SIZE;
    v5_region(d, MEM_INDEX, VFIO_REGION_SUBTYPE_CXL_MEM, GiB, false);
    v5_region(d, REGS_INDEX, VFIO_REGION_SUBTYPE_CXL_COMP_REGS, V5_REGS_SIZE,
              true);

    /* COMP_REGS: one decoder, committed and locked by firmware */
    d->regs[A_CXL_HDM_CAP / 4] = 0;
    d->regs[A_CXL_HDM_DEC_BASE_LO / 4] = (uint32_t)V5_HOST_BASE;
    d->regs[A_CXL_HDM_DEC_BASE_HI / 4] = V5_HOST_BASE >> 32;
    d->regs[A_CXL_HDM_DEC_SIZE_HI / 4] = GiB >> 32;
    d->regs[A_CXL_HDM_DEC_SIZE_LO / 4] = (uint32_t)GiB;
    ctrl = FIELD_DP32(ctrl, CXL_HDM_DEC_CTRL, LOCK_ON_COMMIT, 1);
    ctrl = FIELD_DP32(ctrl, CXL_HDM_DEC_CTRL, COMMIT, 1);
    ctrl = FIELD_DP32(ctrl, CXL_HDM_DEC_CTRL, COMMITTED, 1);
    d->regs[A_CXL_HDM_DEC_CTRL / 4] = ctrl;
}

static bool v5_regs_read(void *opaque, uint32_t offset, uint32_t *val,
                         Error **errp)
{
    TestV5 *d = opaque;

    if (offset % 4 || offset >= sizeof(d->regs)) {
        error_setg(errp, "COMP_REGS read at 0x%x", offset);
        return false;
    }
    *val = d->regs[offset / 4];
    return true;
}

static bool v5_config_read(void *opaque, uint32_t offset, unsigned len,
                           uint32_t *val, Error **errp)
{
    TestV5 *d = opaque;

    if (offset + len > sizeof(d->cfg)) {
        error_setg(errp, "config read at 0x%x", offset);
        return false;
    }
    *val = len == 4 ? ldl_le_p(d->cfg + offset) :
           len == 2 ? lduw_le_p(d->cfg + offset) : d->cfg[offset];
    return true;
}

static bool v5_bar_read(void *opaque, unsigned bar, uint64_t offset,
                        uint32_t *val, Error **errp)
{
    TestV5 *d = opaque;

    if (bar != 2 || offset % 4 || offset >= BAR_SIZE) {
        error_setg(errp, "BAR %u read at 0x%" PRIx64, bar, offset);
        return false;
    }
    *val = d->bar[offset / 4];
    return true;
}

static int v5_region_info(void *opaque, uint32_t index,
                          struct vfio_region_info **info)
{
    TestV5 *d = opaque;

    if (index > NUM_REGIONS) {
        return -EINVAL;
    }
    *info = &d->region[index].info;
    return 0;
}

static bool v5_describe(TestV5 *d, VFIOCXLDesc *desc, Error **errp)
{
    VFIOCXLIO io = {
        .regs_read = v5_regs_read,
        .config_read = v5_config_read,
        .bar_read = v5_bar_read,
        .region_info = v5_region_info,
        .opaque = d,
    };
    bool ok = vfio_cxl_describe(&d->t.info, &io, desc, errp);

    g_free(d->bar);
    d->bar = NULL;
    return ok;
}

static void expect_v5_error(TestV5 *d, const char *msg)
{
    Error *err = NULL;
    VFIOCXLDesc desc;

    g_assert_false(v5_describe(d, &desc, &err));
    g_assert_nonnull(err);
    if (!strstr(error_get_pretty(err), msg)) {
        g_test_message("error '%s' lacks '%s'", error_get_pretty(err), msg);
        g_test_fail();
    }
    g_assert_nonnull(strstr(error_get_pretty(err), "v5 interface "
                            "(VFIO_DEVICE_FLAGS_CXL without a device "
                            "capability): "));
    /* Never the host's address, whatever went wrong */
    g_assert_null(strstr(error_get_pretty(err), "4000000000"));
    error_free(err);
}

static void test_v5_valid(void)
{
    VFIOCXLDesc desc;
    TestV5 d;

    make_v5(&d);
    g_assert_true(v5_describe(&d, &desc, &error_abort));
    g_assert_cmpint(desc.uapi, ==, VFIO_CXL_UAPI_V5);
    g_assert_cmpuint(desc.mem_index, ==, MEM_INDEX);
    g_assert_cmpuint(desc.regs_index, ==, REGS_INDEX);
    g_assert_cmpuint(desc.bar, ==, 2);
    g_assert_cmphex(desc.regs_offset, ==, V5_HDM_BAR_OFF);
    g_assert_cmphex(desc.block_offset, ==, BLOCK_OFFSET);
    g_assert_cmphex(desc.hdm_offset, ==, 0);
    g_assert_cmpuint(desc.hdm_count, ==, 1);
    g_assert_cmphex(desc.regs_size, ==, V5_REGS_SIZE);
    g_assert_cmphex(desc.mem_size, ==, GiB);
    g_assert_true(desc.regs_live);
    g_assert_true(desc.mem_gated);
    g_assert_cmphex(desc.flags, ==, VFIO_CXL_CAP_FIRMWARE_COMMITTED);
    g_assert_nonnull(strstr(desc.located_by, "region capability and the "
                            "device's registers"));

    /* Cache_Capable comes from the DVSEC, firmware commit from CTRL */
    make_v5(&d);
    stw_le_p(d.cfg + V5_DVSEC_OFF + CXL_DVSEC_CAP,
             R_CXL_DVSEC_CAP_CACHE_CAPABLE_MASK |
             R_CXL_DVSEC_CAP_MEM_CAPABLE_MASK);
    d.regs[A_CXL_HDM_DEC_CTRL / 4] = 0;
    g_assert_true(v5_describe(&d, &desc, &error_abort));
    g_assert_cmphex(desc.flags, ==, VFIO_CXL_CAP_CACHE_CAPABLE);
}

/* Either description alone decides; a capability id not known is none. */
static void test_v5_locate_one(void)
{
    VFIOCXLDesc desc;
    TestV5 d;

    make_v5(&d);
    d.region[REGS_INDEX].comp.header.id = VFIO_REGION_INFO_CAP_CXL_COMP_REGS
                                          + 1;
    g_assert_true(v5_describe(&d, &desc, &error_abort));
    g_assert_cmphex(desc.regs_offset, ==, V5_HDM_BAR_OFF);
    g_assert_nonnull(strstr(desc.located_by, "no COMP_REGS region "
                            "capability"));

    make_v5(&d);
    d.region[REGS_INDEX].comp.header.version = 2;
    g_assert_true(v5_describe(&d, &desc, &error_abort));
    g_assert_nonnull(strstr(desc.located_by, "no COMP_REGS region "
                            "capability"));

    /* No Register Locator: the kernel's capability alone */
    make_v5(&d);
    v5_ext_cap(&d, V5_DVSEC_OFF, PCIE_CXL_DEVICE_DVSEC,
               PCIE_CXL_DEVICE_DVSEC_LENGTH, 0);
    g_assert_true(v5_describe(&d, &desc, &error_abort));
    g_assert_cmphex(desc.regs_offset, ==, V5_HDM_BAR_OFF);
    g_assert_nonnull(strstr(desc.located_by, "registers say nothing"));
}

static void test_v5_locate_errors(void)
{
    TestV5 d;

    /* Neither */
    make_v5(&d);
    d.region[REGS_INDEX].comp.header.id = 0x7f;
    v5_ext_cap(&d, V5_DVSEC_OFF, PCIE_CXL_DEVICE_DVSEC,
               PCIE_CXL_DEVICE_DVSEC_LENGTH, 0);
    expect_v5_error(&d, "cannot find the HDM decoder block: no COMP_REGS "
                    "region capability (id 6), and no Register Locator");

    /*
     * A chain whose next DVSEC would not fit in config space ends there,
     * without reading past it (found by fuzz-cxl-describe)
     */
    make_v5(&d);
    d.region[REGS_INDEX].comp.header.id = 0x7f;
    v5_ext_cap(&d, V5_DVSEC_OFF, PCIE_CXL_DEVICE_DVSEC,
               PCIE_CXL_DEVICE_DVSEC_LENGTH, PCI_CFG_SPACE_EXP_SIZE - 4);
    expect_v5_error(&d, "and no Register Locator DVSEC");

    /* The two disagree */
    make_v5(&d);
    d.region[REGS_INDEX].comp.offset = V5_HDM_BAR_OFF + 0x1000;
    expect_v5_error(&d, "puts the HDM decoder block at BAR 2 offset 0x22200, "
                    "the device's Register Locator and capability array at "
                    "BAR 2 offset 0x21200");

    make_v5(&d);
    d.region[REGS_INDEX].comp.bar = 9;
    expect_v5_error(&d, "names BAR 9");

    /* A capability array without the HDM Decoder Capability */
    make_v5(&d);
    d.region[REGS_INDEX].comp.header.id = 0x7f;
    d.bar[(BLOCK_OFFSET + CXL_CACHEMEM_OFFSET) / 4 + 2] = 0;
    expect_v5_error(&d, "has no HDM Decoder Capability");

    /* The block outside the BAR */
    make_v5(&d);
    d.region[2].info.size = V5_HDM_BAR_OFF;
    d.region[REGS_INDEX].comp.header.id = 0x7f;
    expect_v5_error(&d, "lies outside BAR 2");
}

static void test_v5_regions(void)
{
    TestV5 d;

    make_v5(&d);
    d.region[REGS_INDEX].type.subtype = VFIO_REGION_SUBTYPE_CXL_MEM;
    expect_v5_error(&d, "regions 9 and 10 both have CXL subtype 1");

    make_v5(&d);
    d.region[REGS_INDEX].type.type = VFIO_REGION_TYPE_PCI_VENDOR_TYPE |
                                     0x8086;
    expect_v5_error(&d, "has no CXL COMP_REGS region");

    make_v5(&d);
    d.region[MEM_INDEX].info.flags &= ~VFIO_REGION_INFO_FLAG_CAPS;
    expect_v5_error(&d, "has no CXL device memory region");

    make_v5(&d);
    d.t.info.num_regions = UINT32_MAX;
    expect_v5_error(&d, "reports 4294967295 regions");

    /* COMP_REGS is the decoder block: its size must hold the decoders */
    make_v5(&d);
    d.regs[A_CXL_HDM_CAP / 4] = 1;
    expect_v5_error(&d, "is not the HDM decoder block of the 2 decoders");

    make_v5(&d);
    d.region[REGS_INDEX].info.size = VFIO_CXL_V5_COMP_REGS_MAX_SIZE + 4;
    expect_v5_error(&d, "COMP_REGS size 0x414 is not a dword multiple of "
                    "at most 0x410 bytes");
}

/* Decoder BASE never shows in a trace; other registers do. */
static void test_regs_traceable(void)
{
    VFIOCXLDesc desc = { .hdm_offset = 0 };

    g_assert_cmphex(vfio_cxl_regs_traceable(&desc, A_CXL_HDM_CAP, 0x11), ==,
                    0x11);
    g_assert_cmphex(vfio_cxl_regs_traceable(&desc, A_CXL_HDM_DEC_BASE_LO,
                                            0x40000000), ==, 0);
    g_assert_cmphex(vfio_cxl_regs_traceable(&desc,
                        cxl_hdm_dec_reg(3, A_CXL_HDM_DEC_BASE_HI), 0x40), ==,
                    0);
    g_assert_cmphex(vfio_cxl_regs_traceable(&desc, A_CXL_HDM_DEC_SIZE_LO,
                                            0x40000000), ==, 0x40000000);
    desc.hdm_offset = 0x200;
    g_assert_cmphex(vfio_cxl_regs_traceable(&desc, A_CXL_HDM_DEC_BASE_LO,
                                            0x7), ==, 0x7);
    g_assert_cmphex(vfio_cxl_regs_traceable(&desc, 0x200 +
                                            A_CXL_HDM_DEC_BASE_LO, 0x7), ==,
                    0);
}

/*
 * iommufd cannot DMA map the device memory of a v2 host: refused with why
 * and what works, unless x-cxl-no-mem-dma=on; the container and vfio-user
 * can. A v5 host's dma-buf lets iommufd map it.
 */
static void test_mem_dma(void)
{
    VFIOCXLDesc desc = { .uapi = VFIO_CXL_UAPI_V2 };
    Error *err = NULL;

    g_assert_true(vfio_cxl_check_mem_dma(&desc, NULL, false, -ENOTTY,
                                         &error_abort));
    g_assert_true(vfio_cxl_check_mem_dma(&desc, "iommufd", true, -ENOTTY,
                                         &error_abort));
    g_assert_false(vfio_cxl_check_mem_dma(&desc, "iommufd", false, -ENOTTY,
                                          &err));
    g_assert_nonnull(strstr(error_get_pretty(err), "could not DMA to its "
                            "own memory"));
    g_assert_nonnull(err->hint);
    g_assert_nonnull(strstr(err->hint->str, "drop iommufd="));
    g_assert_nonnull(strstr(err->hint->str, "x-cxl-no-mem-dma=on"));
    error_free(err);
    err = NULL;

    /* v5: the dma-buf maps it; without one, the message says why */
    desc.uapi = VFIO_CXL_UAPI_V5;
    g_assert_true(vfio_cxl_check_mem_dma(&desc, "iommufd", false, 7,
                                         &error_abort));
    g_assert_false(vfio_cxl_check_mem_dma(&desc, "iommufd", false, -ENODEV,
                                          &err));
    g_assert_nonnull(strstr(error_get_pretty(err), "(VFIO_DEVICE_FEATURE_"
                            "DMA_BUF), and this kernel exports none (No such "
                            "device)"));
    g_assert_nonnull(strstr(err->hint->str, "drop iommufd="));
    error_free(err);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/vfio-cxl-uapi/info/valid", test_info_valid);
    g_test_add_func("/vfio-cxl-uapi/info/unaligned", test_info_unaligned);
    g_test_add_func("/vfio-cxl-uapi/info/not-cxl", test_info_not_cxl);
    g_test_add_func("/vfio-cxl-uapi/info/flag-without-cap",
                    test_info_flag_without_cap);
    g_test_add_func("/vfio-cxl-uapi/info/cap-without-flag",
                    test_info_cap_without_flag);
    g_test_add_func("/vfio-cxl-uapi/info/bad-version", test_info_bad_version);
    g_test_add_func("/vfio-cxl-uapi/info/truncated", test_info_truncated);
    g_test_add_func("/vfio-cxl-uapi/info/bad-region-index",
                    test_info_bad_region_index);
    g_test_add_func("/vfio-cxl-uapi/info/bad-bar", test_info_bad_bar);
    g_test_add_func("/vfio-cxl-uapi/regions/valid", test_regions_valid);
    g_test_add_func("/vfio-cxl-uapi/regions/wrong-type",
                    test_regions_wrong_type);
    g_test_add_func("/vfio-cxl-uapi/regions/bad-size", test_regions_bad_size);
    g_test_add_func("/vfio-cxl-uapi/regions/outside-bar",
                    test_regions_outside_bar);
    g_test_add_func("/vfio-cxl-uapi/comp-regs/valid", test_comp_regs_valid);
    g_test_add_func("/vfio-cxl-uapi/comp-regs/no-hdm", test_comp_regs_no_hdm);
    g_test_add_func("/vfio-cxl-uapi/comp-regs/malformed",
                    test_comp_regs_malformed);
    g_test_add_func("/vfio-cxl-uapi/mem-dma", test_mem_dma);
    g_test_add_func("/vfio-cxl-uapi/v5/valid", test_v5_valid);
    g_test_add_func("/vfio-cxl-uapi/v5/locate-one", test_v5_locate_one);
    g_test_add_func("/vfio-cxl-uapi/v5/locate-errors",
                    test_v5_locate_errors);
    g_test_add_func("/vfio-cxl-uapi/v5/regions", test_v5_regions);
    g_test_add_func("/vfio-cxl-uapi/regs-traceable", test_regs_traceable);
    return g_test_run();
}
