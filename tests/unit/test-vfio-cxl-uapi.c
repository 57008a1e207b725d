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

static void test_info_flag_without_cap(void)
{
    TestInfo t;

    make_info(&t);
    t.atomic.header.next = 0;
    expect_info_error(&t, "has no CXL capability");
    t.info.flags &= ~VFIO_DEVICE_FLAGS_CAPS;
    expect_info_error(&t, "has no CXL capability");
}

static void test_info_cap_without_flag(void)
{
    TestInfo t;

    make_info(&t);
    t.info.flags &= ~VFIO_DEVICE_FLAGS_CXL;
    expect_info_error(&t, "does not set VFIO_DEVICE_FLAGS_CXL");
}

static void test_info_bad_version(void)
{
    TestInfo t;

    make_info(&t);
    t.cxl.header.version = 2;
    expect_info_error(&t, "version 2 is not supported");
    t.cxl.header.version = 0;
    expect_info_error(&t, "version 0 is not supported");
}

static void test_info_truncated(void)
{
    TestInfo t;

    make_info(&t);
    t.info.argsz = offsetof(TestInfo, cxl) + 24;
    expect_info_error(&t, "truncated: 24 bytes, expected 32");
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
 * iommufd cannot DMA map the device memory: refused with why and what
 * works, unless x-cxl-no-mem-dma=on; the container and vfio-user can.
 */
static void test_mem_dma(void)
{
    Error *err = NULL;

    g_assert_true(vfio_cxl_check_mem_dma(NULL, false, &error_abort));
    g_assert_true(vfio_cxl_check_mem_dma("iommufd", true, &error_abort));
    g_assert_false(vfio_cxl_check_mem_dma("iommufd", false, &err));
    g_assert_nonnull(strstr(error_get_pretty(err), "could not DMA to its "
                            "own memory"));
    g_assert_nonnull(err->hint);
    g_assert_nonnull(strstr(err->hint->str, "drop iommufd="));
    g_assert_nonnull(strstr(err->hint->str, "x-cxl-no-mem-dma=on"));
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
    return g_test_run();
}
