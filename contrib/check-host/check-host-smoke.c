/*
 * check-host-smoke: what a VMM does with the accelerator on a real
 * kernel's VFIO, run in the nested host of `make check-host` (until the
 * host driver's own checker, contrib/vfio-cxl-pci/vfio-cxl-check.c, takes
 * its place):
 *
 *   check-host-smoke [BDF]       (default: $CXL_HOST_BDF)
 *
 * opens the device's group through a type1v2 container, reads the device
 * and region infos, maps BAR 2 and reads the accelerator registers, then
 * has the device's copy engine DMA between a buffer of ours and its own
 * memory, both mapped with VFIO_IOMMU_MAP_DMA: the device memory through
 * /dev/mem at the CXL window ($CXL_HOST_WINDOW), a VM_PFNMAP mapping with
 * no struct page behind it. $CXL_HOST_PATTERN ("OFFSET:HEX") is what the
 * outer script wrote to device memory; what this program writes there it
 * announces with "check-host: expect-devmem OFFSET HEX" lines for the
 * outer script to find in the emulator's memory file. Prints TAP.
 *
 * Copyright (c) 2026 QEMU CXL Type-2 team
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <linux/pci_regs.h>
#include <linux/vfio.h>

/* The accelerator's registers: its contract header, plain C */
#include "accel-regs.h"

/* Where we put things in the device's I/O virtual address space */
#define BUF_IOVA                0x10000000ull
#define BUF_SIZE                (2u << 20)
#define DEVMEM_IOVA             0x40000000ull
#define DEVMEM_MAP              (4u << 20)
/* Where this program writes device memory: by DMA, and by the CPU */
#define DMA_WRITE_OFF           0x200000
#define CPU_WRITE_OFF           0x300000
#define PATTERN_LEN             16

static int test_n, test_failed;

static bool check(bool ok, const char *fmt, ...)
{
    va_list ap;

    test_n++;
    printf("%s %d ", ok ? "ok" : "not ok", test_n);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    if (!ok) {
        test_failed++;
    }
    fflush(stdout);
    return ok;
}

static void hex(char *out, const uint8_t *b, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        sprintf(out + 2 * i, "%02x", b[i]);
    }
}

static bool unhex(uint8_t *b, const char *s, size_t n)
{
    size_t i;
    unsigned v;

    for (i = 0; i < n; i++) {
        if (sscanf(s + 2 * i, "%2x", &v) != 1) {
            return false;
        }
        b[i] = v;
    }
    return s[2 * n] == '\0';
}

/* volatile: each access reaches the device, once, 32 bits wide */
static volatile uint32_t *regs;

static uint32_t rd(unsigned off)
{
    return regs[off / 4];
}

static void wr(unsigned off, uint32_t v)
{
    regs[off / 4] = v;
}

/* The copy engine: LEN bytes from SRC to DST; 0 when done without error */
static int engine_copy(uint64_t src, uint64_t dst, uint32_t len)
{
    struct timespec ts = { 0, 1000000 };
    int i;

    wr(ACCEL_REG_DMA_STATUS, 0);
    wr(ACCEL_REG_DMA_SRC_LO, (uint32_t)src);
    wr(ACCEL_REG_DMA_SRC_HI, src >> 32);
    wr(ACCEL_REG_DMA_DST_LO, (uint32_t)dst);
    wr(ACCEL_REG_DMA_DST_HI, dst >> 32);
    wr(ACCEL_REG_DMA_LEN, len);
    wr(ACCEL_REG_DMA_DOORBELL, 1);
    for (i = 0; i < 20000; i++) {
        uint32_t st = rd(ACCEL_REG_DMA_STATUS);

        if (st & ACCEL_DMA_STATUS_DONE) {
            if (st & ACCEL_DMA_STATUS_ERROR) {
                printf("# the engine reports error %u\n",
                       rd(ACCEL_REG_DMA_ERROR));
                return -1;
            }
            return 0;
        }
        nanosleep(&ts, NULL);
    }
    printf("# the engine did not finish (status 0x%x)\n",
           rd(ACCEL_REG_DMA_STATUS));
    return -1;
}

static int map_dma(int container, void *va, uint64_t iova, uint64_t size)
{
    struct vfio_iommu_type1_dma_map m = {
        .argsz = sizeof(m),
        .flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
        .vaddr = (uintptr_t)va,
        .iova = iova,
        .size = size,
    };

    return ioctl(container, VFIO_IOMMU_MAP_DMA, &m) ? -errno : 0;
}

static int unmap_dma(int container, uint64_t iova, uint64_t size)
{
    struct vfio_iommu_type1_dma_unmap u = {
        .argsz = sizeof(u), .iova = iova, .size = size,
    };

    return ioctl(container, VFIO_IOMMU_UNMAP_DMA, &u) ? -errno : 0;
}

/* The area of BAR 2 holding offset 0 that may be mmapped: its size */
static uint64_t bar_mmap_size(int dev, struct vfio_region_info *ri)
{
    struct vfio_region_info *full;
    struct vfio_info_cap_header *h;
    uint64_t size = (ri->flags & VFIO_REGION_INFO_FLAG_MMAP) ? ri->size : 0;
    uint32_t off;

    if (!(ri->flags & VFIO_REGION_INFO_FLAG_CAPS) || ri->argsz <= sizeof(*ri)) {
        return size;
    }
    full = calloc(1, ri->argsz);
    full->argsz = ri->argsz;
    full->index = ri->index;
    if (ioctl(dev, VFIO_DEVICE_GET_REGION_INFO, full)) {
        free(full);
        return size;
    }
    for (off = full->cap_offset; off; off = h->next) {
        h = (struct vfio_info_cap_header *)((char *)full + off);
        if (h->id == VFIO_REGION_INFO_CAP_SPARSE_MMAP) {
            struct vfio_region_info_cap_sparse_mmap *s = (void *)h;
            uint32_t i;

            size = 0;
            for (i = 0; i < s->nr_areas; i++) {
                printf("#   sparse mmap area [0x%llx, +0x%llx)\n",
                       (unsigned long long)s->areas[i].offset,
                       (unsigned long long)s->areas[i].size);
                if (s->areas[i].offset == 0) {
                    size = s->areas[i].size;
                }
            }
        }
    }
    free(full);
    return size;
}

int main(int argc, char **argv)
{
    const char *bdf = argc > 1 ? argv[1] : getenv("CXL_HOST_BDF");
    const char *window_s = getenv("CXL_HOST_WINDOW");
    const char *pattern_s = getenv("CXL_HOST_PATTERN");
    struct vfio_group_status gs = { .argsz = sizeof(gs) };
    struct vfio_device_info di = { .argsz = sizeof(di) };
    struct vfio_region_info bar = { .argsz = sizeof(bar) };
    uint8_t want[PATTERN_LEN], got[PATTERN_LEN];
    char path[256], link[256], text[2 * PATTERN_LEN + 1];
    uint64_t window = 0, pattern_off = 0, regs_size;
    int container, group, dev, memfd;
    uint8_t *buf, *devmem = MAP_FAILED;
    uint16_t cmd;
    ssize_t len;
    uint32_t i;
    char *g;

    setvbuf(stdout, NULL, _IOLBF, 0);
    if (!bdf) {
        fprintf(stderr, "usage: check-host-smoke BDF\n");
        return 2;
    }
    snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group", bdf);
    len = readlink(path, link, sizeof(link) - 1);
    if (!check(len > 0, "%s has an IOMMU group", bdf)) {
        goto out;
    }
    link[len] = '\0';
    g = strrchr(link, '/') + 1;

    container = open("/dev/vfio/vfio", O_RDWR);
    if (!check(container >= 0, "open /dev/vfio/vfio")) {
        goto out;
    }
    check(ioctl(container, VFIO_GET_API_VERSION) == VFIO_API_VERSION,
          "VFIO_GET_API_VERSION is %d", VFIO_API_VERSION);
    check(ioctl(container, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) == 1,
          "the container offers the type1v2 IOMMU");
    snprintf(path, sizeof(path), "/dev/vfio/%s", g);
    group = open(path, O_RDWR);
    if (!check(group >= 0, "open %s", path)) {
        goto out;
    }
    check(!ioctl(group, VFIO_GROUP_GET_STATUS, &gs) &&
          (gs.flags & VFIO_GROUP_FLAGS_VIABLE), "group %s is viable", g);
    if (!check(!ioctl(group, VFIO_GROUP_SET_CONTAINER, &container) &&
               !ioctl(container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU),
               "group %s in a type1v2 container", g)) {
        goto out;
    }
    dev = ioctl(group, VFIO_GROUP_GET_DEVICE_FD, bdf);
    if (!check(dev >= 0, "VFIO_GROUP_GET_DEVICE_FD %s", bdf)) {
        goto out;
    }
    if (!check(!ioctl(dev, VFIO_DEVICE_GET_INFO, &di),
               "VFIO_DEVICE_GET_INFO")) {
        goto out;
    }
    printf("# device info: flags 0x%x%s%s%s, %u regions, %u irqs, argsz %u\n",
           di.flags, di.flags & VFIO_DEVICE_FLAGS_PCI ? " PCI" : "",
           di.flags & VFIO_DEVICE_FLAGS_RESET ? " RESET" : "",
           di.flags & VFIO_DEVICE_FLAGS_CAPS ? " CAPS" : "",
           di.num_regions, di.num_irqs, di.argsz);
    check(di.flags & VFIO_DEVICE_FLAGS_PCI, "the device is a PCI device");
    check(di.flags & VFIO_DEVICE_FLAGS_RESET, "the device can be reset");
    for (i = 0; i < di.num_regions; i++) {
        struct vfio_region_info ri = { .argsz = sizeof(ri), .index = i };

        if (!ioctl(dev, VFIO_DEVICE_GET_REGION_INFO, &ri) && ri.size) {
            printf("# region %u: size 0x%llx offset 0x%llx flags 0x%x\n", i,
                   (unsigned long long)ri.size,
                   (unsigned long long)ri.offset, ri.flags);
        }
    }

    /* Memory decoding and bus mastering, as a VMM's guest would enable */
    if (pread(dev, &cmd, 2, ((off_t)VFIO_PCI_CONFIG_REGION_INDEX << 40) +
              PCI_COMMAND) == 2) {
        cmd |= PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
        check(pwrite(dev, &cmd, 2, ((off_t)VFIO_PCI_CONFIG_REGION_INDEX << 40)
                     + PCI_COMMAND) == 2, "config space: command 0x%x", cmd);
    }

    bar.index = ACCEL_REG_BAR;
    if (!check(!ioctl(dev, VFIO_DEVICE_GET_REGION_INFO, &bar) &&
               bar.size == (2u << 20), "BAR 2 is 2 MiB")) {
        goto out;
    }
    regs_size = bar_mmap_size(dev, &bar);
    regs = regs_size ? mmap(NULL, regs_size, PROT_READ | PROT_WRITE,
                            MAP_SHARED, dev, bar.offset) : MAP_FAILED;
    if (!check(regs != MAP_FAILED, "mmap of BAR 2's first 0x%" PRIx64 " bytes",
               regs_size)) {
        goto out;
    }
    check(rd(ACCEL_REG_ID) == ACCEL_ID_VALUE,
          "the mapped BAR reads the accelerator ID (0x%x)", rd(ACCEL_REG_ID));
    printf("# device memory 0x%x bytes, component block at BAR offset 0x%x\n",
           rd(ACCEL_REG_MEM_SIZE_LO), rd(ACCEL_REG_BLOCK_OFF_LO));

    buf = mmap(NULL, BUF_SIZE, PROT_READ | PROT_WRITE,
               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    memset(buf, 0xee, BUF_SIZE);
    check(map_dma(container, buf, BUF_IOVA, BUF_SIZE) == 0,
          "VFIO_IOMMU_MAP_DMA of anonymous memory at 0x%llx", BUF_IOVA);

    if (!window_s || sscanf(window_s, "%" SCNi64, &window) != 1) {
        window = 0;
    }
    if (!pattern_s || !strchr(pattern_s, ':') ||
        sscanf(pattern_s, "%" SCNi64, &pattern_off) != 1 ||
        !unhex(want, strchr(pattern_s, ':') + 1, PATTERN_LEN)) {
        pattern_s = NULL;
    }
    memfd = window ? open("/dev/mem", O_RDWR | O_SYNC) : -1;
    if (memfd >= 0) {
        devmem = mmap(NULL, DEVMEM_MAP, PROT_READ | PROT_WRITE, MAP_SHARED,
                      memfd, window);
    }
    if (!check(devmem != MAP_FAILED, "device memory through /dev/mem at the "
               "CXL window 0x%" PRIx64, window)) {
        goto reset;
    }
    if (pattern_s) {
        memcpy(got, devmem + pattern_off, PATTERN_LEN);
        hex(text, got, PATTERN_LEN);
        check(!memcmp(got, want, PATTERN_LEN), "the CPU reads at 0x%" PRIx64
              " what the outer host wrote (%s)", pattern_off, text);
    }
    /*
     * The device's own memory in its IOMMU domain: a VM_PFNMAP mapping,
     * which type1 takes only for a PFN without a struct page.
     */
    if (check(map_dma(container, devmem, DEVMEM_IOVA, DEVMEM_MAP) == 0,
              "VFIO_IOMMU_MAP_DMA of device memory (/dev/mem) at 0x%llx",
              DEVMEM_IOVA) && pattern_s) {
        check(engine_copy(DEVMEM_IOVA + pattern_off, BUF_IOVA,
                          PATTERN_LEN) == 0,
              "the engine copies device memory to our buffer");
        hex(text, buf, PATTERN_LEN);
        check(!memcmp(buf, want, PATTERN_LEN),
              "it brought what the outer host wrote (%s)", text);
        for (i = 0; i < PATTERN_LEN; i++) {
            buf[4096 + i] = want[i] ^ 0x5a;
        }
        if (check(engine_copy(BUF_IOVA + 4096, DEVMEM_IOVA + DMA_WRITE_OFF,
                              PATTERN_LEN) == 0,
                  "the engine copies our buffer to device memory")) {
            hex(text, buf + 4096, PATTERN_LEN);
            printf("check-host: expect-devmem 0x%x %s\n", DMA_WRITE_OFF,
                   text);
        }
        check(unmap_dma(container, DEVMEM_IOVA, DEVMEM_MAP) == 0,
              "VFIO_IOMMU_UNMAP_DMA of device memory");
    }
    for (i = 0; i < PATTERN_LEN; i++) {
        devmem[CPU_WRITE_OFF + i] = want[i] ^ 0xa5;
    }
    hex(text, devmem + CPU_WRITE_OFF, PATTERN_LEN);
    printf("check-host: expect-devmem 0x%x %s\n", CPU_WRITE_OFF, text);

reset:
    check(unmap_dma(container, BUF_IOVA, BUF_SIZE) == 0,
          "VFIO_IOMMU_UNMAP_DMA of anonymous memory");
    wr(ACCEL_REG_SCRATCH, 0x1234);
    check(ioctl(dev, VFIO_DEVICE_RESET) == 0, "VFIO_DEVICE_RESET");
    check(rd(ACCEL_REG_SCRATCH) == 0 && rd(ACCEL_REG_ID) == ACCEL_ID_VALUE,
          "the reset cleared the scratch register (0x%x)",
          rd(ACCEL_REG_SCRATCH));
out:
    printf("1..%d\n", test_n);
    return test_failed ? 1 : 0;
}
