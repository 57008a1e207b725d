/*
 * Bare-metal aarch64 guest for vfio-user-cxl-test: what boot.S and
 * guest.c call of each other.
 *
 * Copyright (c) 2026 QEMU CXL Type-2 team
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef CXL_KVM_GUEST_GUEST_H
#define CXL_KVM_GUEST_GUEST_H

/* boot.S */
void secondary_entry(void);
int64_t psci_call(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3);

/* guest.c, from boot.S */
void mmu_tables_init(void);
void guest_main(void);
void secondary_main(void);
void guest_exception(uint64_t esr, uint64_t elr, uint64_t far);

#endif
