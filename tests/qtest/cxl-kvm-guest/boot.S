/*
 * Bare-metal aarch64 guest for vfio-user-cxl-test: entry points of CPU 0
 * and CPU 1, exception vectors, MMU enable, the PSCI call. See guest.c.
 *
 * Copyright (c) 2026 QEMU CXL Type-2 team
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/* MAIR_EL1: index 0 Device-nGnRE, index 1 Normal write-back RW-allocate */
#define MAIR_VALUE      0xff04

/*
 * TCR_EL1: 48-bit VA (T0SZ 16), 4 KiB granule, table walks inner
 * shareable write-back, no TTBR1 walks (EPD1); IPS is set below from
 * the CPU's PARange, at most 48 bits.
 */
#define TCR_VALUE       (16 | (1 << 8) | (1 << 10) | (3 << 12) | (1 << 23))
#define TCR_IPS_SHIFT   32
#define PARANGE_48      5

#define SCTLR_M         (1 << 0)
#define SCTLR_A         (1 << 1)
#define SCTLR_C         (1 << 2)
#define SCTLR_I         (1 << 12)
#define SCTLR_WXN       (1 << 19)
#define SCTLR_EE        (1 << 25)

/* CPACR_EL1.FPEN: the compiler may use SIMD registers */
#define CPACR_FPEN      (3 << 20)

    .section .text.boot, "ax"
    .global _start
_start:
    ldr     x0, =stack0_top
    mov     sp, x0
    bl      cpu_setup
    bl      mmu_tables_init
    bl      mmu_on
    bl      guest_main
1:  wfi
    b       1b

/* CPU 1, from PSCI CPU_ON: the tables CPU 0 built */
    .global secondary_entry
secondary_entry:
    ldr     x0, =stack1_top
    mov     sp, x0
    bl      cpu_setup
    bl      mmu_on
    bl      secondary_main
1:  wfi
    b       1b

cpu_setup:
    ldr     x0, =vectors
    msr     vbar_el1, x0
    mov     x0, #CPACR_FPEN
    msr     cpacr_el1, x0
    isb
    ret

/*
 * Identity map from l0_table; caches on. The tables were written with the
 * MMU off (uncached): drop any stale cached copy before the walker, which
 * reads through the cache, sees them.
 */
mmu_on:
    ldr     x0, =tables_start
    ldr     x1, =tables_end
1:  dc      civac, x0
    add     x0, x0, #64
    cmp     x0, x1
    b.lo    1b
    dsb     sy
    ldr     x0, =MAIR_VALUE
    msr     mair_el1, x0
    mrs     x1, id_aa64mmfr0_el1
    and     x1, x1, #0xf
    cmp     x1, #PARANGE_48
    mov     x2, #PARANGE_48
    csel    x1, x1, x2, lo
    ldr     x0, =TCR_VALUE
    orr     x0, x0, x1, lsl #TCR_IPS_SHIFT
    msr     tcr_el1, x0
    ldr     x0, =l0_table
    msr     ttbr0_el1, x0
    isb
    tlbi    vmalle1
    ic      iallu
    dsb     nsh
    isb
    mrs     x0, sctlr_el1
    ldr     x1, =(SCTLR_M | SCTLR_C | SCTLR_I)
    orr     x0, x0, x1
    ldr     x1, =(SCTLR_A | SCTLR_WXN | SCTLR_EE)
    bic     x0, x0, x1
    msr     sctlr_el1, x0
    isb
    ret

/* x0 = PSCI function, x1..x3 its arguments; returns x0. HVC on virt. */
    .global psci_call
psci_call:
    hvc     #0
    ret

/* Every exception is fatal: report it through the mailbox (guest.c) */
    .balign 2048
vectors:
    .rept   16
    .balign 128
    b       exc_entry
    .endr

exc_entry:
    mrs     x0, esr_el1
    mrs     x1, elr_el1
    mrs     x2, far_el1
    bl      guest_exception
1:  wfi
    b       1b
