/*
 * cxl-bench: copy and read bandwidth of a memory range, run inside the
 * guest of `make bench`. The same code measures guest RAM, passed-through
 * CXL Type-2 device memory and an emulated CXL Type-3 device, so that the
 * ratios between them only reflect how QEMU reaches each.
 *
 * Usage: cxl-bench --name NAME (--ram | --phys ADDR [--map FILE])
 *                  [--size BYTES] [--reps N]
 * --ram measures anonymous memory of the process; --phys maps
 * [ADDR, ADDR + 2 * BYTES + one page) of /dev/mem, or of FILE (e.g. a PCI
 * resourceN_wc file of sysfs or a /dev/cxl_accelN of the project's guest
 * driver, ADDR then being an offset), as source and
 * destination of the copy. Prints, for each of "copy" and "read", a line
 *   BENCH NAME KIND MEDIAN_MBPS BEST_MBPS WORST_MBPS
 * where MB/s counts the bytes of one buffer (1 MB = 10^6 bytes).
 *
 * Copyright (c) 2026 The QEMU CXL Type-2 passthrough authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_SIZE (64u << 20)
#define DEFAULT_REPS 5
#define MAX_REPS 100
/* Words moved per loop iteration: enough to keep the loop overhead low. */
#define UNROLL 8
#define BYTES_PER_MB 1e6
#define NS_PER_S 1e9
/*
 * The destination starts this far after the end of the source, one page of
 * QEMU's softmmu TLB (the 4 KiB target page of Arm). At a power-of-two
 * distance each source page and its destination page share an entry of
 * that direct-mapped TLB whenever it has at most distance / 4 KiB entries,
 * and evict each other at every access: guest RAM copies then ran at
 * ~210 MB/s instead of ~4-7 GB/s, depending on how far QEMU had grown
 * the TLB.
 */
#define DST_SKEW 4096
/* Fill pattern; any value that is not a plausible left-over will do. */
#define PATTERN UINT64_C(0x0123456789abcdef)

/*
 * Plain aligned 64-bit loads and stores, no libc memcpy(): the kernel maps
 * /dev/mem ranges that are not System RAM as Device memory on arm64, where
 * unaligned accesses and DC ZVA (which an optimised memcpy/memset may use)
 * fault. The same loop runs on every target, so the comparison is fair.
 */
static void copy_words(uint64_t *dst, const uint64_t *src, size_t n)
{
    size_t i;

    for (i = 0; i + UNROLL <= n; i += UNROLL) {
        dst[i] = src[i];
        dst[i + 1] = src[i + 1];
        dst[i + 2] = src[i + 2];
        dst[i + 3] = src[i + 3];
        dst[i + 4] = src[i + 4];
        dst[i + 5] = src[i + 5];
        dst[i + 6] = src[i + 6];
        dst[i + 7] = src[i + 7];
    }
}

static uint64_t sum_words(const uint64_t *src, size_t n)
{
    uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    size_t i;

    for (i = 0; i + UNROLL <= n; i += UNROLL) {
        s0 += src[i] + src[i + 4];
        s1 += src[i + 1] + src[i + 5];
        s2 += src[i + 2] + src[i + 6];
        s3 += src[i + 3] + src[i + 7];
    }
    return s0 + s1 + s2 + s3;
}

static void fill_words(uint64_t *dst, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        dst[i] = PATTERN ^ i;
    }
}

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / NS_PER_S;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

static void report(const char *name, const char *kind, double *mbps, int reps)
{
    qsort(mbps, reps, sizeof(*mbps), cmp_double);
    printf("BENCH %s %s %.1f %.1f %.1f\n", name, kind, mbps[reps / 2],
           mbps[reps - 1], mbps[0]);
}

static void usage(void)
{
    fprintf(stderr, "usage: cxl-bench --name NAME (--ram | --phys ADDR "
            "[--map FILE]) [--size BYTES] [--reps N]\n");
    exit(2);
}

/* A decimal, 0x hexadecimal or 0 octal number, as the shell prints them. */
static uint64_t parse_u64(const char *s)
{
    uint64_t v;
    char end;

    if (sscanf(s, "%" SCNi64 "%c", &v, &end) != 1) {
        usage();
    }
    return v;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "name", required_argument, NULL, 'n' },
        { "ram", no_argument, NULL, 'r' },
        { "phys", required_argument, NULL, 'p' },
        { "map", required_argument, NULL, 'm' },
        { "size", required_argument, NULL, 's' },
        { "reps", required_argument, NULL, 'k' },
        { NULL, 0, NULL, 0 },
    };
    const char *name = NULL, *map = "/dev/mem";
    uint64_t phys = 0;
    size_t size = DEFAULT_SIZE, words, i, span;
    int reps = DEFAULT_REPS, ram = 0, have_phys = 0, c, r;
    double copy[MAX_REPS], read[MAX_REPS];
    volatile uint64_t sink; /* the sums are unused: keep the reads */
    uint64_t *src, *dst;
    void *p;

    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'n':
            name = optarg;
            break;
        case 'r':
            ram = 1;
            break;
        case 'p':
            phys = parse_u64(optarg);
            have_phys = 1;
            break;
        case 'm':
            map = optarg;
            break;
        case 's':
            size = parse_u64(optarg);
            break;
        case 'k':
            reps = atoi(optarg);
            break;
        default:
            usage();
        }
    }
    if (!name || ram == have_phys || reps < 1 || reps > MAX_REPS ||
        size == 0 || size % (UNROLL * sizeof(uint64_t))) {
        usage();
    }

    span = 2 * size + DST_SKEW;
    if (ram) {
        /* Faulted in by the untimed first pass, as malloc()ed memory. */
        p = mmap(NULL, span, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    } else {
        int fd = open(map, O_RDWR | O_SYNC);

        if (fd < 0) {
            fprintf(stderr, "cxl-bench: %s: %s\n", map, strerror(errno));
            return 1;
        }
        p = mmap(NULL, span, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
                 phys);
        close(fd);
    }
    if (p == MAP_FAILED) {
        fprintf(stderr, "cxl-bench: %s: mmap of %zu bytes: %s\n", name,
                span, strerror(errno));
        return 1;
    }
    src = p;
    dst = (uint64_t *)((char *)p + size + DST_SKEW);
    words = size / sizeof(uint64_t);

    /* Untimed first pass: faults pages in and warms QEMU's TLB and TBs. */
    fill_words(src, words);
    copy_words(dst, src, words);
    for (i = 0; i < words; i++) {
        if (dst[i] != src[i]) {
            fprintf(stderr, "cxl-bench: %s: copy differs at word %zu\n",
                    name, i);
            return 1;
        }
    }

    for (r = 0; r < reps; r++) {
        double t0 = now(), t1, t2;

        copy_words(dst, src, words);
        t1 = now();
        sink = sum_words(src, words);
        t2 = now();
        copy[r] = size / BYTES_PER_MB / (t1 - t0);
        read[r] = size / BYTES_PER_MB / (t2 - t1);
    }
    (void)sink;
    report(name, "copy", copy, reps);
    report(name, "read", read, reps);
    return 0;
}
