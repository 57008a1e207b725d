/*
 * The mailbox between the bare-metal aarch64 guest of
 * tests/qtest/cxl-kvm-guest/ and the qtest that drives it
 * (vfio-user-cxl-test): where it is, what each side writes, the commands.
 *
 * Protocol: the guest turns its MMU on, writes CNTFRQ_EL0 and then
 * CXL_KVM_GUEST_MAGIC to @magic, and waits until @go differs from @done.
 * The qtest writes a command's arguments and @cmd, then @go (a generation
 * number, @done + 1); the guest runs the command, writes its results and
 * @status, then sets @done to @go. The mailbox is part of the guest's
 * image, so a system reset (ROM reset) zeroes it again and the guest
 * waits for the next go. The guest never writes what the qtest writes.
 *
 * Included by the guest (freestanding, after <stdint.h>) and the qtest
 * (after qemu/osdep.h): fixed-size fields only, the same layout on both.
 *
 * Copyright (c) 2026 QEMU CXL Type-2 team
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef QTEST_CXL_KVM_GUEST_H
#define QTEST_CXL_KVM_GUEST_H

/*
 * Where guest.ld links the image: 2 MiB into virt's RAM, above the DTB
 * QEMU puts at the start of RAM for an ELF that is not Linux.
 */
#define CXL_KVM_GUEST_LOAD_ADDR     0x40200000ULL
/* The mailbox, in the image's zero-initialised data (guest.ld asserts it) */
#define CXL_KVM_GUEST_MAILBOX       0x40210000ULL
/* "CXLKG1": the guest's MMU is on and it waits for go */
#define CXL_KVM_GUEST_MAGIC         0x31474b4c5843ULL

/* Commands */
/* Read @read_len bytes at @read_addr; write CXL_KVM_GUEST_OWN at @write_addr */
#define CXL_KVM_CMD_MEMORY          1
/* Copy engine: @dma_src (RAM) -> @dma_dev -> @dma_dst (RAM), compare */
#define CXL_KVM_CMD_DMA             2
/* Time reads and copies of @bench_len bytes at @bench_ram and @bench_dev */
#define CXL_KVM_CMD_BENCH           3
/* PSCI CPU_ON of CPU 1: it counts in @cpu1_count and writes @cpu1_buf */
#define CXL_KVM_CMD_CPU1_ON         4

/* @status */
#define CXL_KVM_OK                  0
#define CXL_KVM_ERR_CMD             1   /* unknown command */
#define CXL_KVM_ERR_ARGS            2   /* an argument out of range */
#define CXL_KVM_ERR_MAP             3   /* window beyond the guest's tables */
#define CXL_KVM_ERR_DMA_TIMEOUT     4   /* copy engine never said DONE */
#define CXL_KVM_ERR_DMA_STATUS      5   /* DMA_STATUS not DONE alone */
#define CXL_KVM_ERR_DMA_DEV         6   /* device memory differs: @detail */
#define CXL_KVM_ERR_DMA_DATA        7   /* RAM copy back differs: @detail */
#define CXL_KVM_ERR_BENCH_DATA      8   /* a bench buffer differs: @detail */
#define CXL_KVM_ERR_PSCI            9   /* CPU_ON failed: @psci_ret */
#define CXL_KVM_ERR_EXCEPTION       10  /* @exc_esr, @exc_elr, @exc_far */

/* What CXL_KVM_CMD_MEMORY writes: exactly 16 bytes, no NUL */
#define CXL_KVM_GUEST_OWN           "kvm-guest-wrote!"
#define CXL_KVM_GUEST_OWN_LEN       16
#define CXL_KVM_READ_MAX            32
/* The largest buffer CXL_KVM_CMD_DMA and CXL_KVM_CMD_BENCH take */
#define CXL_KVM_LEN_MAX             (16ULL << 20)

typedef struct CXLKVMGuestMailbox {
    /* Written by the guest */
    uint64_t magic;
    uint64_t done;
    uint64_t status;
    uint64_t detail;            /* the first differing word, or a register */
    uint64_t cntfrq;            /* CNTFRQ_EL0 */
    uint64_t cpu1_count;        /* CPU 1's loop counter */
    uint64_t psci_ret;
    uint64_t dma_status;        /* DMA_STATUS of the failing copy */
    uint64_t exc_esr, exc_elr, exc_far, exc_cpu;
    uint8_t read[CXL_KVM_READ_MAX];         /* CMD_MEMORY: bytes read */
    uint8_t own_back[CXL_KVM_GUEST_OWN_LEN]; /* CMD_MEMORY: read back */
    /* CMD_BENCH: best of @bench_reps, in CNTVCT_EL0 ticks */
    uint64_t ticks_read_ram, ticks_read_dev;
    uint64_t ticks_copy_ram, ticks_copy_dev;

    /* Written by the qtest */
    uint64_t go;
    uint64_t cmd;
    uint64_t win, win_size;     /* device memory: mapped Normal write-back */
    uint64_t regs;              /* the accelerator's register page */
    uint64_t read_addr, read_len;
    uint64_t write_addr;        /* 0: CMD_MEMORY writes nothing */
    uint64_t dma_src, dma_dev, dma_dst, dma_len, dma_seed;
    uint64_t bench_ram, bench_dev, bench_len, bench_reps;
    uint64_t cpu1_buf, cpu1_len;
} CXLKVMGuestMailbox;

/* Word @i of the data CMD_DMA and CMD_BENCH write, little-endian */
static inline uint64_t cxl_kvm_guest_pattern(uint64_t seed, uint64_t i)
{
    return (i + 1) * 0x9e3779b97f4a7c15ULL ^ seed;
}

#endif
