/*
 * Unit tests of vfio_info_cap_chain_valid(): capability chains a kernel
 * or a (possibly malicious) vfio-user server may send in device info.
 *
 * Copyright (c) 2026 QEMU CXL Type-2 team
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "hw/vfio/vfio-info-cap.h"

#define FIXED   sizeof(struct vfio_device_info)

typedef struct Buf {
    struct vfio_device_info info;
    uint8_t caps[64];
} Buf;

static struct vfio_info_cap_header *hdr_at(Buf *b, uint32_t off)
{
    return (void *)b + off;
}

/* A chain of three capabilities at 24, 40 and 56. */
static void make_chain(Buf *b)
{
    memset(b, 0, sizeof(*b));
    b->info.argsz = sizeof(*b);
    b->info.cap_offset = FIXED;
    hdr_at(b, FIXED)->id = 1;
    hdr_at(b, FIXED)->next = FIXED + 16;
    hdr_at(b, FIXED + 16)->id = 2;
    hdr_at(b, FIXED + 16)->next = FIXED + 32;
    hdr_at(b, FIXED + 32)->id = 3;
    hdr_at(b, FIXED + 32)->next = 0;
}

static bool valid(Buf *b, uint32_t size)
{
    return vfio_info_cap_chain_valid(b, size, FIXED, b->info.cap_offset);
}

static void test_valid(void)
{
    Buf b;

    make_chain(&b);
    g_assert_true(valid(&b, sizeof(b)));
    /* The last header only needs its 8 bytes inside the buffer. */
    g_assert_true(valid(&b, FIXED + 32 + 8));
    /* No chain at all. */
    b.info.cap_offset = 0;
    g_assert_true(valid(&b, FIXED));
}

static void test_outside_buffer(void)
{
    Buf b;

    make_chain(&b);
    g_assert_false(valid(&b, FIXED + 32 + 4));
    hdr_at(&b, FIXED + 32)->next = 4096;
    g_assert_false(valid(&b, sizeof(b)));
    b.info.cap_offset = 0xfffffff8;
    g_assert_false(valid(&b, sizeof(b)));
    /* A buffer smaller than a header. */
    b.info.cap_offset = 4;
    g_assert_false(vfio_info_cap_chain_valid(&b, 4, 0, 4));
}

static void test_inside_fixed_part(void)
{
    Buf b;

    make_chain(&b);
    b.info.cap_offset = 8;
    g_assert_false(valid(&b, sizeof(b)));
}

static void test_misaligned(void)
{
    Buf b;

    make_chain(&b);
    hdr_at(&b, FIXED)->next = FIXED + 18;
    g_assert_false(valid(&b, sizeof(b)));
}

static void test_loops(void)
{
    Buf b;

    make_chain(&b);
    hdr_at(&b, FIXED + 32)->next = FIXED + 32;
    g_assert_false(valid(&b, sizeof(b)));
    make_chain(&b);
    hdr_at(&b, FIXED + 32)->next = FIXED;
    g_assert_false(valid(&b, sizeof(b)));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/vfio-info-cap/valid", test_valid);
    g_test_add_func("/vfio-info-cap/outside-buffer", test_outside_buffer);
    g_test_add_func("/vfio-info-cap/inside-fixed-part",
                    test_inside_fixed_part);
    g_test_add_func("/vfio-info-cap/misaligned", test_misaligned);
    g_test_add_func("/vfio-info-cap/loops", test_loops);
    return g_test_run();
}
