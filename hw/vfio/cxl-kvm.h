/*
 * CXL Type-2 passthrough: what the accelerator will do with the device
 * memory, decided before the memory is offered to the guest.
 *
 * Copyright (c) 2026 QEMU CXL Type-2 team
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_VFIO_CXL_KVM_H
#define HW_VFIO_CXL_KVM_H

/* Who maps the device memory into the guest */
typedef enum VFIOCXLAccel {
    VFIO_CXL_ACCEL_OTHER,       /* TCG, qtest: the guest's mapping decides */
    VFIO_CXL_ACCEL_KVM_ARM64,
    VFIO_CXL_ACCEL_KVM_X86,
    VFIO_CXL_ACCEL_KVM_OTHER,   /* a KVM target nothing is known of here */
} VFIOCXLAccel;

typedef enum VFIOCXLKVMVerdict {
    VFIO_CXL_KVM_MAP,           /* map it, nothing to say */
    VFIO_CXL_KVM_MAP_UNCACHED,  /* map it; the guest reaches it uncached */
    VFIO_CXL_KVM_REFUSE,        /* KVM would refuse the memory slot */
} VFIOCXLKVMVerdict;

/* The capability was not asked (not arm64 KVM, or not a PFNMAP) */
#define VFIO_CXL_KVM_CAP_NOT_ASKED  (-1)

/* What vfio_cxl_kvm_decide()'s refusal says, for whoever looks for it */
#define VFIO_CXL_KVM_REFUSAL \
    "KVM_CAP_ARM_CACHEABLE_PFNMAP_SUPPORTED is 0"

/* The warning for VFIO_CXL_KVM_MAP_UNCACHED, once per process */
#define VFIO_CXL_KVM_UNCACHED_WARNING \
    "CXL Type-2 passthrough under KVM on x86: the EPT maps device memory " \
    "uncached (UC) unless the host gives it struct pages with a " \
    "write-back memory type, so the guest reaches it at uncached speed"

/*
 * vfio_cxl_kvm_decide: whether the device memory can be offered under
 * @accel. @pfnmap: QEMU's mapping of it is the host driver's VM_PFNMAP
 * (the kernel's vfio-pci; a vfio-user server's file is ordinary memory).
 * @cap: KVM_CAP_ARM_CACHEABLE_PFNMAP_SUPPORTED as the VM fd answers it,
 * or VFIO_CXL_KVM_CAP_NOT_ASKED. VFIO_CXL_KVM_REFUSE sets @errp, with a
 * hint; the other verdicts leave it alone.
 */
VFIOCXLKVMVerdict vfio_cxl_kvm_decide(VFIOCXLAccel accel, bool pfnmap,
                                      int cap, Error **errp);

/* Whether @accel would ask the capability for a mapping with @pfnmap */
bool vfio_cxl_kvm_needs_cap(VFIOCXLAccel accel, bool pfnmap);

/* For trace events */
const char *vfio_cxl_kvm_accel_str(VFIOCXLAccel accel);
const char *vfio_cxl_kvm_verdict_str(VFIOCXLKVMVerdict verdict);

#endif /* HW_VFIO_CXL_KVM_H */
