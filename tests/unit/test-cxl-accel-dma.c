/*
 * Unit tests of the emulated CXL Type-2 accelerator's copy engine and the
 * DMA mappings it goes through (contrib/vfio-user-cxl-accel/accel-dma.c)
 *
 * The client's side (DMA_READ / DMA_WRITE) is a fake that serves two
 * areas of "client memory" and records every access, so that the tests
 * see what the engine asked for, and can act in the middle of a request
 * (ring the doorbell again, reset the device, unmap, fail, go away).
 *
 * Copyright (c) 2026 QEMU CXL Type-2 team
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include <sys/mman.h>
#include "qemu/bswap.h"
#include "accel-model.h"

#define RAM_IOVA        0x40000000ULL   /* "guest RAM" of the fake client */
#define RAM_SIZE        (4 * MiB)
#define DEV_IOVA        0x10000000000ULL /* the device memory's window */
#define DEV_SIZE        (4 * MiB)

typedef enum FakeAct {
    ACT_NONE,
    ACT_RING,           /* ring the doorbell during the request */
    ACT_RESET,          /* reset the device during it */
    ACT_UNMAP_DEV,      /* unmap the device window during it */
    ACT_FAIL,           /* answer with an error */
    ACT_GONE,           /* go away */
} FakeAct;

typedef struct Fake {
    CXLAccel *a;
    uint8_t *ram;
    uint8_t *dev;
    unsigned calls;
    unsigned act_at;    /* the call that acts (1 = first) */
    FakeAct act;
    bool outside;       /* an access outside both areas was asked for */
} Fake;

static int fake_rw(void *opaque, bool write, uint64_t iova, void *buf,
                   size_t len)
{
    Fake *f = opaque;
    uint8_t *p;

    f->calls++;
    if (f->calls == f->act_at) {
        switch (f->act) {
        case ACT_RING:
            stl_le_p(f->a->bar + accel_regs_offset(f->a) +
                     ACCEL_REG_DMA_DOORBELL, 1);
            break;
        case ACT_RESET:
            accel_reset(f->a);
            break;
        case ACT_UNMAP_DEV:
            g_assert_cmpint(accel_dma_unmap(f->a, DEV_IOVA, DEV_SIZE), ==, 0);
            break;
        case ACT_FAIL:
            return -EFAULT;
        case ACT_GONE:
            return -ECONNRESET;
        case ACT_NONE:
            break;
        }
    }
    if (iova >= RAM_IOVA && iova + len <= RAM_IOVA + RAM_SIZE) {
        p = f->ram + (iova - RAM_IOVA);
    } else if (iova >= DEV_IOVA && iova + len <= DEV_IOVA + DEV_SIZE) {
        p = f->dev + (iova - DEV_IOVA);
    } else {
        f->outside = true;
        return -EFAULT;
    }
    if (write) {
        memcpy(p, buf, len);
    } else {
        memcpy(buf, p, len);
    }
    return 0;
}

static CXLAccel *new_accel(void)
{
    g_autoptr(GError) err = NULL;
    AccelOptions o;
    CXLAccel *a;

    accel_options_init(&o);
    a = accel_new(&o, &err);
    g_assert_no_error(err);
    return a;
}

static void fake_init_cache(Fake *f, bool cache_capable)
{
    AccelOptions o;
    GError *err = NULL;

    memset(f, 0, sizeof(*f));
    accel_options_init(&o);
    o.cache_capable = cache_capable;
    f->a = accel_new(&o, &err);
    g_assert_no_error(err);
    f->ram = g_malloc0(RAM_SIZE);
    f->dev = g_malloc0(DEV_SIZE);
    g_assert_cmpint(accel_dma_map(f->a, RAM_IOVA, RAM_SIZE, -1, 0, true),
                    ==, 0);
    g_assert_cmpint(accel_dma_map(f->a, DEV_IOVA, DEV_SIZE, -1, 0, true),
                    ==, 0);
}

static void fake_init(Fake *f)
{
    fake_init_cache(f, false);
}

static void fake_fini(Fake *f)
{
    g_assert_false(f->outside);
    accel_free(f->a);
    g_free(f->ram);
    g_free(f->dev);
}

static uint32_t reg(CXLAccel *a, unsigned r)
{
    return ldl_le_p(a->bar + accel_regs_offset(a) + r);
}

static void reg_set(CXLAccel *a, unsigned r, uint32_t v)
{
    stl_le_p(a->bar + accel_regs_offset(a) + r, v);
}

/* Program a copy and ring; run the engine once; returns DMA_STATUS. */
static uint32_t copy_flags(Fake *f, uint64_t src, uint64_t dst, uint32_t len,
                           uint32_t doorbell)
{
    AccelDMAIO io = { .rw = fake_rw, .opaque = f };
    g_autoptr(GString) log = g_string_new(NULL);

    reg_set(f->a, ACCEL_REG_DMA_SRC_LO, src);
    reg_set(f->a, ACCEL_REG_DMA_SRC_HI, src >> 32);
    reg_set(f->a, ACCEL_REG_DMA_DST_LO, dst);
    reg_set(f->a, ACCEL_REG_DMA_DST_HI, dst >> 32);
    reg_set(f->a, ACCEL_REG_DMA_LEN, len);
    reg_set(f->a, ACCEL_REG_DMA_STATUS, 0);
    reg_set(f->a, ACCEL_REG_DMA_DOORBELL, doorbell);
    g_assert_true(accel_dma_run(f->a, &io, log));
    g_test_message("%s", log->str);
    g_assert_cmpuint(reg(f->a, ACCEL_REG_DMA_DOORBELL), ==, 0);
    return reg(f->a, ACCEL_REG_DMA_STATUS);
}

static uint32_t copy(Fake *f, uint64_t src, uint64_t dst, uint32_t len)
{
    return copy_flags(f, src, dst, len, ACCEL_DMA_DOORBELL_GO);
}

static void fill(uint8_t *p, size_t len, uint8_t seed)
{
    size_t i;

    for (i = 0; i < len; i++) {
        p[i] = seed + i * 7;
    }
}

static void test_idle(void)
{
    Fake f;
    AccelDMAIO io = { .rw = fake_rw, .opaque = &f };
    g_autoptr(GString) log = g_string_new(NULL);

    fake_init(&f);
    g_assert_false(accel_dma_run(f.a, &io, log));
    g_assert_cmpuint(f.calls, ==, 0);
    g_assert_cmpuint(reg(f.a, ACCEL_REG_DMA_STATUS), ==, 0);
    fake_fini(&f);
}

/* RAM -> device, device -> RAM, device -> device, in several pieces. */
static void test_copies(void)
{
    uint32_t len = 3 * ACCEL_DMA_CHUNK + 100;
    Fake f;

    fake_init(&f);
    fill(f.ram + 0x1000, len, 1);
    g_assert_cmphex(copy(&f, RAM_IOVA + 0x1000, DEV_IOVA + 0x20000, len), ==,
                    ACCEL_DMA_STATUS_DONE);
    g_assert_cmpuint(reg(f.a, ACCEL_REG_DMA_ERROR), ==, ACCEL_DMA_OK);
    g_assert_cmpint(memcmp(f.dev + 0x20000, f.ram + 0x1000, len), ==, 0);
    /* Each piece read once, written once */
    g_assert_cmpuint(f.calls, ==, 2 * 4);

    g_assert_cmphex(copy(&f, DEV_IOVA + 0x20000, DEV_IOVA + 0x200000, len),
                    ==, ACCEL_DMA_STATUS_DONE);
    g_assert_cmpint(memcmp(f.dev + 0x200000, f.ram + 0x1000, len), ==, 0);

    g_assert_cmphex(copy(&f, DEV_IOVA + 0x200000, RAM_IOVA + 0x300000, len),
                    ==, ACCEL_DMA_STATUS_DONE);
    g_assert_cmpint(memcmp(f.ram + 0x300000, f.ram + 0x1000, len), ==, 0);
    g_assert_cmpuint(f.a->dma_count, ==, 3);
    fake_fini(&f);
}

/* A mapping that came with an fd is used directly, not through messages. */
static void test_fd_mapping(void)
{
    int fd = memfd_create("dma-test", MFD_CLOEXEC);
    uint64_t iova = 0x80000000ULL;
    uint8_t *p;
    Fake f;

    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(ftruncate(fd, 2 * MiB), ==, 0);
    p = mmap(NULL, 2 * MiB, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    g_assert_true(p != MAP_FAILED);

    fake_init(&f);
    /* The second MiB of the file, at iova */
    g_assert_cmpint(accel_dma_map(f.a, iova, MiB, fd, MiB, true), ==, 0);
    close(fd);
    fill(f.ram, 4096, 9);
    g_assert_cmphex(copy(&f, RAM_IOVA, iova + 8, 4096), ==,
                    ACCEL_DMA_STATUS_DONE);
    g_assert_cmpint(memcmp(p + MiB + 8, f.ram, 4096), ==, 0);
    /* Only the read from RAM went to the client */
    g_assert_cmpuint(f.calls, ==, 1);
    g_assert_cmpint(accel_dma_unmap(f.a, iova, MiB), ==, 0);
    munmap(p, 2 * MiB);
    fake_fini(&f);
}

/*
 * Behind a vIOMMU the client maps page by page: a copy runs through
 * adjacent mappings, each part through its own (an fd or messages), and
 * never a message across a mapping's end; a hole after them is refused.
 */
static void test_adjacent_mappings(void)
{
    int fd = memfd_create("dma-test", MFD_CLOEXEC);
    uint64_t iova = RAM_IOVA + RAM_SIZE;    /* right after "guest RAM" */
    uint8_t *p;
    Fake f;

    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(ftruncate(fd, 64 * KiB), ==, 0);
    p = mmap(NULL, 64 * KiB, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    g_assert_true(p != MAP_FAILED);

    fake_init(&f);
    g_assert_cmpint(accel_dma_map(f.a, iova, 64 * KiB, fd, 0, true), ==, 0);
    close(fd);
    fill(f.dev, 8 * KiB, 3);
    g_assert_cmphex(copy(&f, DEV_IOVA, iova - 4 * KiB, 8 * KiB), ==,
                    ACCEL_DMA_STATUS_DONE);
    g_assert_cmpint(memcmp(f.ram + RAM_SIZE - 4 * KiB, f.dev, 4 * KiB), ==, 0);
    g_assert_cmpint(memcmp(p, f.dev + 4 * KiB, 4 * KiB), ==, 0);
    /* The read, and the write's first half: the second went to the fd */
    g_assert_cmpuint(f.calls, ==, 2);

    /* Past both mappings: refused before anything is touched */
    g_assert_cmphex(copy(&f, DEV_IOVA, iova + 60 * KiB, 8 * KiB), ==,
                    ACCEL_DMA_STATUS_DONE | ACCEL_DMA_STATUS_ERROR);
    g_assert_cmpuint(reg(f.a, ACCEL_REG_DMA_ERROR), ==,
                     ACCEL_DMA_ERR_DST_CROSSES);
    g_assert_cmpuint(f.calls, ==, 2);
    g_assert_cmpint(accel_dma_unmap(f.a, iova, 64 * KiB), ==, 0);
    munmap(p, 64 * KiB);
    fake_fini(&f);
}

static uint16_t status2(CXLAccel *a)
{
    uint16_t v;

    g_assert_cmpint(accel_config_read(a, ACCEL_DVSEC_DEV_OFFSET +
                                      CXL_DVSEC_STATUS2, &v, 2), ==, 0);
    return le16_to_cpu(v);
}

static void control2(CXLAccel *a, uint16_t v)
{
    v = cpu_to_le16(v);
    g_assert_cmpint(accel_config_write(a, ACCEL_DVSEC_DEV_OFFSET +
                                       CXL_DVSEC_CTRL2, &v, 2), ==, 0);
}

/*
 * The write-back cache of a Cache_Capable device: a cached copy leaves
 * the host's memory as it was, the device's own reads see the data, a
 * Cache Write Back and Invalidation writes it to the host and reports
 * Cache Invalid; a reset without one loses it.
 */
static void test_cache(void)
{
    const uint16_t wbi = R_CXL_DVSEC_CTRL2_DISABLE_CACHING_MASK |
                         R_CXL_DVSEC_CTRL2_INITIATE_WBI_MASK;
    uint32_t len = ACCEL_DMA_CHUNK + 512;
    AccelDMAIO io = { .rw = fake_rw };
    g_autoptr(GString) log = g_string_new(NULL);
    Fake f;

    fake_init_cache(&f, true);
    io.opaque = &f;
    fill(f.dev, len, 5);
    g_assert_cmphex(copy_flags(&f, DEV_IOVA, RAM_IOVA + 0x1000, len,
                               ACCEL_DMA_DOORBELL_GO |
                               ACCEL_DMA_DOORBELL_CACHED), ==,
                    ACCEL_DMA_STATUS_DONE);
    g_assert_cmpuint(f.a->cache_bytes, ==, len);
    g_assert_false(memcmp(f.ram + 0x1000, f.dev, len) == 0);
    g_assert_cmphex(status2(f.a) & R_CXL_DVSEC_STATUS2_CACHE_INVALID_MASK,
                    ==, 0);
    /* The device reads its own line: a copy onwards carries the data */
    g_assert_cmphex(copy(&f, RAM_IOVA + 0x1000, DEV_IOVA + 0x100000, len), ==,
                    ACCEL_DMA_STATUS_DONE);
    g_assert_cmpint(memcmp(f.dev + 0x100000, f.dev, len), ==, 0);

    /* Write back and invalidate: the host has it, Cache Invalid */
    g_assert_false(accel_cache_run(f.a, &io, log));
    control2(f.a, wbi);
    g_assert_cmphex(status2(f.a) & R_CXL_DVSEC_STATUS2_CACHE_INVALID_MASK,
                    ==, 0);
    g_assert_true(accel_cache_run(f.a, &io, log));
    g_test_message("%s", log->str);
    g_assert_cmpint(memcmp(f.ram + 0x1000, f.dev, len), ==, 0);
    g_assert_cmpuint(f.a->cache_bytes, ==, 0);
    g_assert_cmphex(status2(f.a) & R_CXL_DVSEC_STATUS2_CACHE_INVALID_MASK,
                    !=, 0);

    /* Caching disabled: a cached request writes through */
    memset(f.ram, 0, len);
    g_assert_cmphex(copy_flags(&f, DEV_IOVA, RAM_IOVA, len,
                               ACCEL_DMA_DOORBELL_GO |
                               ACCEL_DMA_DOORBELL_CACHED), ==,
                    ACCEL_DMA_STATUS_DONE);
    g_assert_cmpint(memcmp(f.ram, f.dev, len), ==, 0);

    /* Caching again, then a reset: the held line is gone */
    control2(f.a, 0);
    memset(f.ram, 0, len);
    g_assert_cmphex(copy_flags(&f, DEV_IOVA, RAM_IOVA, len,
                               ACCEL_DMA_DOORBELL_GO |
                               ACCEL_DMA_DOORBELL_CACHED), ==,
                    ACCEL_DMA_STATUS_DONE);
    accel_reset(f.a);
    g_assert_cmpuint(f.a->cache_bytes, ==, 0);
    control2(f.a, wbi);
    accel_cache_run(f.a, &io, log);
    g_assert_cmpuint(f.ram[0] | f.ram[len - 1], ==, 0);
    fake_fini(&f);
}

/* Without Cache_Capable the cached flag changes nothing. */
static void test_cache_not_capable(void)
{
    uint32_t len = 4096;
    Fake f;

    fake_init(&f);
    fill(f.dev, len, 9);
    g_assert_cmphex(copy_flags(&f, DEV_IOVA, RAM_IOVA, len,
                               ACCEL_DMA_DOORBELL_GO |
                               ACCEL_DMA_DOORBELL_CACHED), ==,
                    ACCEL_DMA_STATUS_DONE);
    g_assert_cmpint(memcmp(f.ram, f.dev, len), ==, 0);
    g_assert_cmpuint(f.a->cache_bytes, ==, 0);
    fake_fini(&f);
}

static void test_map_rules(void)
{
    CXLAccel *a = new_accel();

    g_assert_cmpint(accel_dma_map(a, 0x1000, 0, -1, 0, true), ==, -EINVAL);
    g_assert_cmpint(accel_dma_map(a, UINT64_MAX - 10, 4096, -1, 0, true), ==,
                    -EINVAL);
    g_assert_cmpint(accel_dma_map(a, 0x10000, 0x10000, -1, 0, true), ==, 0);
    g_assert_cmpint(accel_dma_map(a, 0x18000, 0x10000, -1, 0, true), ==,
                    -EEXIST);
    /* An fd that cannot be mapped */
    g_assert_cmpint(accel_dma_map(a, 0x100000, 4096, 12345, 0, true), <, 0);
    /* Only whole mappings are unmapped */
    g_assert_cmpint(accel_dma_unmap(a, 0x10000, 0x8000), ==, -EINVAL);
    g_assert_cmpint(accel_dma_unmap(a, 0x10000, 0x10000), ==, 0);
    g_assert_cmpint(accel_dma_map(a, 0x18000, 0x10000, -1, 0, true), ==, 0);
    /* A new client starts without mappings */
    accel_open(a);
    g_assert_cmpint(accel_dma_map(a, 0x18000, 0x10000, -1, 0, true), ==, 0);
    accel_free(a);
}

typedef struct ErrCase {
    const char *name;
    uint64_t src, dst;
    uint32_t len;
    AccelDMAError err;
} ErrCase;

static const ErrCase err_cases[] = {
    { "len-zero", RAM_IOVA, DEV_IOVA, 0, ACCEL_DMA_ERR_LEN_ZERO },
    { "len-too-big", RAM_IOVA, DEV_IOVA, ACCEL_DMA_MAX_LEN + 1,
      ACCEL_DMA_ERR_LEN_TOO_BIG },
    { "src-unmapped", 0x1000, DEV_IOVA, 16, ACCEL_DMA_ERR_SRC_UNMAPPED },
    { "dst-unmapped", RAM_IOVA, 0x1000, 16, ACCEL_DMA_ERR_DST_UNMAPPED },
    { "src-crosses", RAM_IOVA + RAM_SIZE - 8, DEV_IOVA, 16,
      ACCEL_DMA_ERR_SRC_CROSSES },
    { "dst-crosses", RAM_IOVA, DEV_IOVA + DEV_SIZE - 8, 16,
      ACCEL_DMA_ERR_DST_CROSSES },
    { "src-wraps", UINT64_MAX - 7, DEV_IOVA, 16,
      ACCEL_DMA_ERR_SRC_UNMAPPED },
};

/* Each refusal: DONE | ERROR, the code, and nothing asked of the client. */
static void test_refused(const void *data)
{
    const ErrCase *c = data;
    Fake f;

    fake_init(&f);
    g_assert_cmphex(copy(&f, c->src, c->dst, c->len), ==,
                    ACCEL_DMA_STATUS_DONE | ACCEL_DMA_STATUS_ERROR);
    g_assert_cmpuint(reg(f.a, ACCEL_REG_DMA_ERROR), ==, c->err);
    g_assert_cmpuint(f.calls, ==, 0);
    fake_fini(&f);
}

typedef struct ActCase {
    const char *name;
    FakeAct act;
    uint32_t status;
    AccelDMAError err;
    unsigned calls;     /* client accesses made in all */
} ActCase;

static const ActCase act_cases[] = {
    /* The copy completes; the second request is refused, not queued. */
    { "busy", ACT_RING, ACCEL_DMA_STATUS_DONE | ACCEL_DMA_STATUS_ERROR,
      ACCEL_DMA_ERR_BUSY, 8 },
    { "client-error", ACT_FAIL, ACCEL_DMA_STATUS_DONE |
      ACCEL_DMA_STATUS_ERROR, ACCEL_DMA_ERR_CLIENT, 3 },
    { "client-gone", ACT_GONE, ACCEL_DMA_STATUS_DONE |
      ACCEL_DMA_STATUS_ERROR, ACCEL_DMA_ERR_CLIENT_GONE, 3 },
    /* Unmapped during piece 2: its write is refused, nothing more. */
    { "unmapped-midway", ACT_UNMAP_DEV, ACCEL_DMA_STATUS_DONE |
      ACCEL_DMA_STATUS_ERROR, ACCEL_DMA_ERR_DST_UNMAPPED, 3 },
    /* A reset takes the request with it: registers at reset values. */
    { "reset-midway", ACT_RESET, 0, ACCEL_DMA_OK, 3 },
};

/* Something happens at the third client access (piece 2's read). */
static void test_midway(const void *data)
{
    const ActCase *c = data;
    uint32_t len = 4 * ACCEL_DMA_CHUNK;
    Fake f;

    fake_init(&f);
    f.act = c->act;
    f.act_at = 3;
    g_assert_cmphex(copy(&f, RAM_IOVA, DEV_IOVA, len), ==, c->status);
    g_assert_cmpuint(reg(f.a, ACCEL_REG_DMA_ERROR), ==, c->err);
    g_assert_cmpuint(f.calls, ==, c->calls);
    fake_fini(&f);
}

int main(int argc, char **argv)
{
    unsigned i;

    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/cxl-accel-dma/idle", test_idle);
    g_test_add_func("/cxl-accel-dma/copies", test_copies);
    g_test_add_func("/cxl-accel-dma/fd-mapping", test_fd_mapping);
    g_test_add_func("/cxl-accel-dma/adjacent-mappings",
                    test_adjacent_mappings);
    g_test_add_func("/cxl-accel-dma/map-rules", test_map_rules);
    g_test_add_func("/cxl-accel-dma/cache", test_cache);
    g_test_add_func("/cxl-accel-dma/cache-not-capable",
                    test_cache_not_capable);
    for (i = 0; i < ARRAY_SIZE(err_cases); i++) {
        g_autofree char *name = g_strdup_printf("/cxl-accel-dma/refused/%s",
                                                err_cases[i].name);

        g_test_add_data_func(name, &err_cases[i], test_refused);
    }
    for (i = 0; i < ARRAY_SIZE(act_cases); i++) {
        g_autofree char *name = g_strdup_printf("/cxl-accel-dma/midway/%s",
                                                act_cases[i].name);

        g_test_add_data_func(name, &act_cases[i], test_midway);
    }
    return g_test_run();
}
