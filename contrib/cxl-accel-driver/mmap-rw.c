/*
 * mmap-rw: read or write one 64-bit word of a memory device through mmap,
 * as a program using the accelerator's memory would; busybox's devmem only
 * reaches /dev/mem. Runs in the guest of `make demo`.
 *
 *   mmap-rw FILE OFFSET           prints the word at OFFSET as 0x%016x
 *   mmap-rw FILE OFFSET VALUE     stores VALUE there, then prints it back
 *
 * OFFSET must be 8-byte aligned. The file is mapped MAP_SHARED up to it,
 * with the protection the driver gives (write-back for /dev/cxl_accelN).
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
#include <sys/mman.h>
#include <unistd.h>

/* A decimal, 0x hexadecimal or 0 octal number, as the shell prints them. */
static int parse_u64(const char *s, uint64_t *v)
{
    char end;

    return sscanf(s, "%" SCNi64 "%c", v, &end) == 1 ? 0 : -1;
}

int main(int argc, char **argv)
{
    volatile uint64_t *word; /* volatile: one 8-byte access each way */
    uint64_t off, val = 0;
    size_t len;
    void *map;
    int fd;

    if ((argc != 3 && argc != 4) || parse_u64(argv[2], &off) ||
        (argc == 4 && parse_u64(argv[3], &val)) || off % sizeof(val)) {
        fprintf(stderr, "usage: mmap-rw FILE OFFSET [VALUE] "
                "(OFFSET 8-byte aligned)\n");
        return 2;
    }
    fd = open(argv[1], argc == 4 ? O_RDWR : O_RDONLY);
    if (fd < 0) {
        fprintf(stderr, "mmap-rw: %s: %s\n", argv[1], strerror(errno));
        return 1;
    }
    /* From offset 0, so that no page size is needed to align the offset */
    len = off + sizeof(val);
    map = mmap(NULL, len, argc == 4 ? PROT_READ | PROT_WRITE : PROT_READ,
               MAP_SHARED, fd, 0);
    if (map == MAP_FAILED) {
        fprintf(stderr, "mmap-rw: mmap of %zu bytes of %s: %s\n", len,
                argv[1], strerror(errno));
        return 1;
    }
    word = (uint64_t *)((char *)map + off);
    /* CXL.mem is coherent: a plain store is what the device sees. */
    if (argc == 4) {
        *word = val;
    }
    printf("0x%016" PRIx64 "\n", *word);
    munmap(map, len);
    close(fd);
    return 0;
}
