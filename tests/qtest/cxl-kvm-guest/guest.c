/*
 * Bare-metal aarch64 guest for vfio-user-cxl-test: run on QEMU's virt
 * machine (-kernel, at EL1) under KVM in the nested arm64 test bed, or
 * under TCG, it reads and writes a passed-through CXL Type-2 device's
 * memory, drives its copy engine, times accesses to it against RAM, and
 * keeps a second vCPU busy while the qtest commits and uncommits the HDM
 * decoder. Commands and results go through the mailbox of
 * ../cxl-kvm-guest.h.
 *
 * The MMU is on with an identity map of 1 GiB blocks: RAM and the device
 * memory Normal write-back, everything else Device-nGnRE. With the MMU
 * off every access would be Device memory, and how KVM maps the device
 * memory at stage 2 would not show. Accesses to device memory and to
 * registers are single loads and stores (no pairs, no writeback) so a
 * hypervisor that traps them can emulate them.
 *
 * Not built by meson (it needs an aarch64 cross compiler); build with:
 *   aarch64-linux-gnu-gcc -ffreestanding -nostdlib -static -O2 \
 *     -T guest.ld boot.S guest.c -o cxl-kvm-guest.elf
 *
 * Copyright (c) 2026 QEMU CXL Type-2 team
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <stdint.h>
#include "../cxl-kvm-guest.h"
#include "guest.h"
#include "../../../contrib/vfio-user-cxl-accel/accel-regs.h"

#define GiB                 (1ULL << 30)
#define PAGE_ENTRIES        512
/* The L1 tables map [0, L1_TABLES * 512 GiB) */
#define L1_TABLES           4

#define DESC_TABLE          3ULL
#define DESC_BLOCK          1ULL
#define DESC_ATTR(i)        ((uint64_t)(i) << 2)
#define DESC_SH_INNER       (3ULL << 8)
#define DESC_AF             (1ULL << 10)
#define DESC_PXN            (1ULL << 53)
#define DESC_UXN            (1ULL << 54)
#define ATTR_DEVICE         0   /* MAIR_EL1 index, boot.S */
#define ATTR_NORMAL         1

#define BLOCK_DEVICE        (DESC_BLOCK | DESC_ATTR(ATTR_DEVICE) | DESC_AF | \
                             DESC_PXN | DESC_UXN)
#define BLOCK_NORMAL        (DESC_BLOCK | DESC_ATTR(ATTR_NORMAL) | DESC_AF | \
                             DESC_SH_INNER)

/* virt's RAM starts at 1 GiB; the guest uses less than 1 GiB of it */
#define RAM_BASE            GiB

#define PSCI_CPU_ON_64      0xc4000003ULL
#define CPU1_MPIDR          1

#define DMA_TIMEOUT_S       60

#define MiB                 (1ULL << 20)

/* Zero-initialised pages where guest.ld places them */
#define PAGES_IN(s)         __attribute__((aligned(4096), section(s)))

uint64_t l0_table[PAGE_ENTRIES] PAGES_IN(".bss.tables");
static uint64_t l1_tables[L1_TABLES][PAGE_ENTRIES] PAGES_IN(".bss.tables");
static CXLKVMGuestMailbox mailbox PAGES_IN(".bss.mailbox");

/* Shared with the qtest and CPU 1: every access a real one */
static volatile CXLKVMGuestMailbox *const mb = &mailbox;
/* The GiB blocks now mapped Normal for the device memory */
static uint64_t mapped_first, mapped_end;

static inline uint8_t rd8(uint64_t a)
{
    uint32_t v;

    asm volatile("ldrb %w0, [%1]" : "=r"(v) : "r"(a) : "memory");
    return v;
}

static inline void wr8(uint64_t a, uint8_t v)
{
    asm volatile("strb %w0, [%1]" : : "r"(v), "r"(a) : "memory");
}

static inline uint32_t rd32(uint64_t a)
{
    uint32_t v;

    asm volatile("ldr %w0, [%1]" : "=r"(v) : "r"(a) : "memory");
    return v;
}

static inline void wr32(uint64_t a, uint32_t v)
{
    asm volatile("str %w0, [%1]" : : "r"(v), "r"(a) : "memory");
}

static inline uint64_t rd64(uint64_t a)
{
    uint64_t v;

    asm volatile("ldr %0, [%1]" : "=r"(v) : "r"(a) : "memory");
    return v;
}

static inline void wr64(uint64_t a, uint64_t v)
{
    asm volatile("str %0, [%1]" : : "r"(v), "r"(a) : "memory");
}

static inline uint64_t ticks(void)
{
    uint64_t v;

    asm volatile("isb; mrs %0, cntvct_el0; isb" : "=r"(v) : : "memory");
    return v;
}

static inline uint64_t cntfrq(void)
{
    uint64_t v;

    asm volatile("mrs %0, cntfrq_el0" : "=r"(v));
    return v;
}

static inline uint64_t mpidr(void)
{
    uint64_t v;

    asm volatile("mrs %0, mpidr_el1" : "=r"(v));
    return v;
}

static inline void dsb_sy(void)
{
    asm volatile("dsb sy" : : : "memory");
}

static inline void tlb_flush(void)
{
    asm volatile("dsb ishst; tlbi vmalle1is; dsb ish; isb" : : : "memory");
}

static uint64_t *l1_entry(uint64_t gib)
{
    return &l1_tables[gib / PAGE_ENTRIES][gib % PAGE_ENTRIES];
}

/* With the MMU off, from boot.S: all Device but the RAM */
void mmu_tables_init(void)
{
    uint64_t gib;

    for (gib = 0; gib < PAGE_ENTRIES; gib++) {
        l0_table[gib] = gib < L1_TABLES ?
                        (uint64_t)(uintptr_t)l1_tables[gib] | DESC_TABLE : 0;
    }
    for (gib = 0; gib < L1_TABLES * PAGE_ENTRIES; gib++) {
        *l1_entry(gib) = gib * GiB |
                         (gib == RAM_BASE / GiB ? BLOCK_NORMAL : BLOCK_DEVICE);
    }
}

static void remap(uint64_t first, uint64_t end, uint64_t attrs)
{
    uint64_t gib;

    /* Break before make: a block's memory type changes */
    for (gib = first; gib < end; gib++) {
        *l1_entry(gib) = 0;
    }
    tlb_flush();
    for (gib = first; gib < end; gib++) {
        *l1_entry(gib) = gib * GiB | attrs;
    }
    tlb_flush();
}

/* The device memory window Normal write-back, as RAM */
static int map_window(void)
{
    uint64_t first = mb->win / GiB;
    uint64_t end = (mb->win + mb->win_size + GiB - 1) / GiB;

    if (first == mapped_first && end == mapped_end) {
        return CXL_KVM_OK;
    }
    if (end > L1_TABLES * PAGE_ENTRIES || first <= RAM_BASE / GiB) {
        return CXL_KVM_ERR_MAP;
    }
    if (mapped_end) {
        remap(mapped_first, mapped_end, BLOCK_DEVICE);
    }
    remap(first, end, BLOCK_NORMAL);
    mapped_first = first;
    mapped_end = end;
    return CXL_KVM_OK;
}

static int cmd_memory(void)
{
    static const char own[] = CXL_KVM_GUEST_OWN;
    uint64_t i, addr = mb->read_addr;

    if (mb->read_len > CXL_KVM_READ_MAX) {
        return CXL_KVM_ERR_ARGS;
    }
    for (i = 0; i < mb->read_len; i++) {
        mb->read[i] = rd8(addr + i);
    }
    addr = mb->write_addr;
    if (!addr) {
        return CXL_KVM_OK;
    }
    for (i = 0; i < CXL_KVM_GUEST_OWN_LEN; i++) {
        wr8(addr + i, own[i]);
    }
    dsb_sy();
    for (i = 0; i < CXL_KVM_GUEST_OWN_LEN; i++) {
        mb->own_back[i] = rd8(addr + i);
    }
    return CXL_KVM_OK;
}

/* One copy by the accelerator's engine; returns CXL_KVM_OK or an error */
static int dma_copy(uint64_t src, uint64_t dst, uint64_t len)
{
    uint64_t page = mb->regs;
    uint64_t deadline = ticks() + DMA_TIMEOUT_S * cntfrq();
    uint32_t status;

    /* What the CPU wrote to RAM is there before the device reads it */
    dsb_sy();
    wr32(page + ACCEL_REG_DMA_SRC_LO, src);
    wr32(page + ACCEL_REG_DMA_SRC_HI, src >> 32);
    wr32(page + ACCEL_REG_DMA_DST_LO, dst);
    wr32(page + ACCEL_REG_DMA_DST_HI, dst >> 32);
    wr32(page + ACCEL_REG_DMA_LEN, len);
    wr32(page + ACCEL_REG_DMA_STATUS, 0);
    wr32(page + ACCEL_REG_DMA_DOORBELL, ACCEL_DMA_DOORBELL_GO);
    do {
        if (ticks() > deadline) {
            return CXL_KVM_ERR_DMA_TIMEOUT;
        }
        status = rd32(page + ACCEL_REG_DMA_STATUS);
    } while (!(status & ACCEL_DMA_STATUS_DONE));
    dsb_sy();
    if (status != ACCEL_DMA_STATUS_DONE) {
        mb->dma_status = status;
        mb->detail = rd32(page + ACCEL_REG_DMA_ERROR);
        return CXL_KVM_ERR_DMA_STATUS;
    }
    return CXL_KVM_OK;
}

/* Word index of the first of @len bytes at @addr not @seed's pattern, or -1 */
static int64_t differs(uint64_t addr, uint64_t len, uint64_t seed)
{
    uint64_t i;

    for (i = 0; i < len / 8; i++) {
        if (rd64(addr + 8 * i) != cxl_kvm_guest_pattern(seed, i)) {
            return i;
        }
    }
    return -1;
}

static void fill(uint64_t addr, uint64_t len, uint64_t seed)
{
    uint64_t i;

    for (i = 0; i < len / 8; i++) {
        wr64(addr + 8 * i, cxl_kvm_guest_pattern(seed, i));
    }
}

/* RAM -> device memory -> other RAM, through the copy engine */
static int cmd_dma(void)
{
    uint64_t len = mb->dma_len, seed = mb->dma_seed;
    int64_t bad;
    int ret;

    if (!len || len % 8 || len > CXL_KVM_LEN_MAX) {
        return CXL_KVM_ERR_ARGS;
    }
    fill(mb->dma_src, len, seed);
    /* Not the pattern: a copy that did nothing shows */
    fill(mb->dma_dst, len, ~seed);
    ret = dma_copy(mb->dma_src, mb->dma_dev, len);
    if (ret) {
        return ret;
    }
    bad = differs(mb->dma_dev, len, seed);
    if (bad >= 0) {
        mb->detail = bad;
        return CXL_KVM_ERR_DMA_DEV;
    }
    ret = dma_copy(mb->dma_dev, mb->dma_dst, len);
    if (ret) {
        return ret;
    }
    bad = differs(mb->dma_dst, len, seed);
    if (bad >= 0) {
        mb->detail = bad;
        return CXL_KVM_ERR_DMA_DATA;
    }
    return CXL_KVM_OK;
}

static uint64_t sum(uint64_t addr, uint64_t len)
{
    uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0, end = addr + len;

    for (; addr < end; addr += 32) {
        s0 += rd64(addr);
        s1 += rd64(addr + 8);
        s2 += rd64(addr + 16);
        s3 += rd64(addr + 24);
    }
    return s0 + s1 + s2 + s3;
}

static void copy(uint64_t dst, uint64_t src, uint64_t len)
{
    uint64_t end = src + len;

    for (; src < end; src += 32, dst += 32) {
        uint64_t a = rd64(src), b = rd64(src + 8);
        uint64_t c = rd64(src + 16), d = rd64(src + 24);

        wr64(dst, a);
        wr64(dst + 8, b);
        wr64(dst + 16, c);
        wr64(dst + 24, d);
    }
    dsb_sy();
}

static uint64_t min(uint64_t a, uint64_t b)
{
    return a < b ? a : b;
}

/*
 * Best of @reps: a sum of the words of @len bytes at @addr, and a copy to
 * @addr + @len; the data is checked outside the timed part.
 */
static int bench_one(uint64_t addr, uint64_t len, uint64_t reps,
                     uint64_t *read_ticks, uint64_t *copy_ticks)
{
    uint64_t expect = 0, best_read = ~0ULL, best_copy = ~0ULL;
    uint64_t i, t;
    int64_t bad;

    fill(addr, len, addr);
    for (i = 0; i < len / 8; i++) {
        expect += cxl_kvm_guest_pattern(addr, i);
    }
    for (i = 0; i < reps; i++) {
        uint64_t s;

        t = ticks();
        s = sum(addr, len);
        best_read = min(best_read, ticks() - t);
        if (s != expect) {
            mb->detail = addr;
            return CXL_KVM_ERR_BENCH_DATA;
        }
        fill(addr + len, len, ~addr);
        t = ticks();
        copy(addr + len, addr, len);
        best_copy = min(best_copy, ticks() - t);
        bad = differs(addr + len, len, addr);
        if (bad >= 0) {
            mb->detail = addr + len + 8 * bad;
            return CXL_KVM_ERR_BENCH_DATA;
        }
    }
    *read_ticks = best_read;
    *copy_ticks = best_copy;
    return CXL_KVM_OK;
}

static int cmd_bench(void)
{
    uint64_t len = mb->bench_len, reps = mb->bench_reps;
    uint64_t read_ram, copy_ram, read_dev, copy_dev;
    int ret;

    if (!len || len % 32 || len > CXL_KVM_LEN_MAX || !reps) {
        return CXL_KVM_ERR_ARGS;
    }
    ret = bench_one(mb->bench_ram, len, reps, &read_ram, &copy_ram);
    if (ret) {
        return ret;
    }
    ret = bench_one(mb->bench_dev, len, reps, &read_dev, &copy_dev);
    if (ret) {
        return ret;
    }
    mb->ticks_read_ram = read_ram;
    mb->ticks_copy_ram = copy_ram;
    mb->ticks_read_dev = read_dev;
    mb->ticks_copy_dev = copy_dev;
    return CXL_KVM_OK;
}

static int cmd_cpu1_on(void)
{
    if (!mb->cpu1_len || mb->cpu1_len % 8) {
        return CXL_KVM_ERR_ARGS;
    }
    mb->psci_ret = psci_call(PSCI_CPU_ON_64, CPU1_MPIDR,
                             (uint64_t)(uintptr_t)secondary_entry, 0);
    return mb->psci_ret ? CXL_KVM_ERR_PSCI : CXL_KVM_OK;
}

static int run(uint64_t cmd)
{
    int ret = map_window();

    if (ret) {
        return ret;
    }
    switch (cmd) {
    case CXL_KVM_CMD_MEMORY:
        return cmd_memory();
    case CXL_KVM_CMD_DMA:
        return cmd_dma();
    case CXL_KVM_CMD_BENCH:
        return cmd_bench();
    case CXL_KVM_CMD_CPU1_ON:
        return cmd_cpu1_on();
    }
    return CXL_KVM_ERR_CMD;
}

void guest_main(void)
{
    mb->cntfrq = cntfrq();
    dsb_sy();
    mb->magic = CXL_KVM_GUEST_MAGIC;
    for (;;) {
        uint64_t go = mb->go;

        if (go == mb->done) {
            continue;
        }
        /* The arguments the qtest wrote before go */
        asm volatile("dmb ish" : : : "memory");
        mb->status = run(mb->cmd);
        dsb_sy();
        mb->done = go;
        dsb_sy();
    }
}

/* CPU 1: count, and keep writing a RAM buffer, until the system resets */
void secondary_main(void)
{
    uint64_t buf = mb->cpu1_buf, words = mb->cpu1_len / 8;
    uint64_t n = 0;

    for (;;) {
        n++;
        wr64(buf + 8 * (n % words), n);
        mb->cpu1_count = n;
    }
}

void guest_exception(uint64_t esr, uint64_t elr, uint64_t far)
{
    mb->exc_esr = esr;
    mb->exc_elr = elr;
    mb->exc_far = far;
    mb->exc_cpu = (mpidr() & 0xff) + 1;
    mb->status = CXL_KVM_ERR_EXCEPTION;
    dsb_sy();
    mb->done = mb->go;
    dsb_sy();
}
