/*
 * dma-round-trip: the accelerator's own DMA into and out of its memory,
 * through the cxl_accel driver (CXL_ACCEL_IOC_DMA). Runs in the guest of
 * `make demo`:
 *
 *   dma-round-trip DEV OFFSET LEN SEED
 *
 * fills LEN bytes with the pattern of SEED (byte i is SEED + 131 * i,
 * modulo 256), has the device copy them from guest RAM to device memory
 * at OFFSET, from there to OFFSET + LEN (device memory to device memory,
 * at the addresses the driver hands the device), and from OFFSET + LEN
 * back to guest RAM; prints "ok" if what came back is the pattern.
 *
 * Copyright (c) 2026 QEMU CXL Type-2 team
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include "cxl_accel.h"

/* A decimal, 0x hexadecimal or 0 octal number, as the shell prints them. */
static int parse_u64(const char *s, uint64_t *v)
{
    char end;

    return sscanf(s, "%" SCNi64 "%c", v, &end) == 1 ? 0 : -1;
}

static int dma(int fd, uint32_t dir, uint64_t src, uint64_t dst, size_t len,
               const char *what)
{
    struct cxl_accel_dma req = {
        .src = src, .dst = dst, .len = len, .dir = dir,
    };

    if (ioctl(fd, CXL_ACCEL_IOC_DMA, &req)) {
        printf("error: %s: %s\n", what, strerror(errno));
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    uint64_t off, len, seed, i;
    uint8_t *out, *back;
    int fd;

    if (argc != 5 || parse_u64(argv[2], &off) || parse_u64(argv[3], &len) ||
        parse_u64(argv[4], &seed) || !len || len > CXL_ACCEL_DMA_MAX_LEN) {
        fprintf(stderr, "usage: dma-round-trip DEV OFFSET LEN SEED "
                "(LEN 1 to %u)\n", CXL_ACCEL_DMA_MAX_LEN);
        return 2;
    }
    fd = open(argv[1], O_RDWR);
    if (fd < 0) {
        printf("error: %s: %s\n", argv[1], strerror(errno));
        return 1;
    }
    out = malloc(len);
    back = calloc(1, len);
    if (!out || !back) {
        printf("error: out of memory\n");
        return 1;
    }
    for (i = 0; i < len; i++) {
        out[i] = seed + 131 * i;
    }
    if (dma(fd, CXL_ACCEL_DMA_TO_DEV, (uintptr_t)out, off, len,
            "guest RAM -> device memory") ||
        dma(fd, CXL_ACCEL_DMA_DEV_TO_DEV, off, off + len, len,
            "device memory -> device memory") ||
        dma(fd, CXL_ACCEL_DMA_FROM_DEV, off + len, (uintptr_t)back, len,
            "device memory -> guest RAM")) {
        return 1;
    }
    if (memcmp(out, back, len)) {
        printf("error: what came back differs from what went out\n");
        return 1;
    }
    printf("ok\n");
    close(fd);
    return 0;
}
