/*
 * CXL Type-2 passthrough: what the accelerator will do with the device
 * memory, decided before the memory is offered to the guest.
 *
 * The kernel's vfio-pci hands QEMU the device memory as a VM_PFNMAP
 * mapping, write-back. Under KVM it becomes a memory slot, and KVM, not
 * the guest, has the last word on how the guest reaches it:
 *
 * - arm64: since Linux 6.17 KVM maps a cacheable VM_PFNMAP cacheable at
 *   stage 2 only when the CPU has FEAT_S2FWB and CTR_EL0.DIC, which
 *   KVM_CAP_ARM_CACHEABLE_PFNMAP_SUPPORTED reports on the VM fd; without
 *   them it refuses the memory slot (EINVAL) and QEMU aborts when it
 *   maps the memory; older kernels map it as Device memory, which the
 *   guest cannot use as memory. So a 0 refuses the device at realize,
 *   where the user can still choose cxl=off;
 * - x86 (Intel VMX): a PFN without struct page that e820 does not call
 *   RAM is MMIO to KVM, and the EPT maps it UC whatever the guest says:
 *   correct, but slow, worth one warning;
 * - TCG: the guest's own mapping decides; nothing to check.
 *
 * A vfio-user server's device memory is a file QEMU maps: ordinary memory
 * for KVM, none of the above applies.
 *
 * Copyright (c) 2026 QEMU CXL Type-2 team
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "cxl-kvm.h"

bool vfio_cxl_kvm_needs_cap(VFIOCXLAccel accel, bool pfnmap)
{
    return pfnmap && accel == VFIO_CXL_ACCEL_KVM_ARM64;
}

VFIOCXLKVMVerdict vfio_cxl_kvm_decide(VFIOCXLAccel accel, bool pfnmap,
                                      int cap, Error **errp)
{
    if (!pfnmap) {
        return VFIO_CXL_KVM_MAP;
    }
    switch (accel) {
    case VFIO_CXL_ACCEL_KVM_ARM64:
        g_assert(cap != VFIO_CXL_KVM_CAP_NOT_ASKED);
        if (cap > 0) {
            return VFIO_CXL_KVM_MAP;
        }
        error_setg(errp, VFIO_CXL_KVM_REFUSAL ": KVM cannot map the device "
                   "memory cacheable into the guest (the host CPU lacks "
                   "FEAT_S2FWB or CTR_EL0.DIC, or the host kernel is older "
                   "than Linux 6.17)");
        error_append_hint(errp, "The guest must reach CXL device memory "
                          "cacheable: on this host Linux refuses it as a "
                          "KVM memory slot (older kernels map it as Device "
                          "memory). With cxl=off the device is passed "
                          "through as plain PCI and its device memory is "
                          "not mapped.\n");
        return VFIO_CXL_KVM_REFUSE;
    case VFIO_CXL_ACCEL_KVM_X86:
        return VFIO_CXL_KVM_MAP_UNCACHED;
    case VFIO_CXL_ACCEL_KVM_OTHER:
    case VFIO_CXL_ACCEL_OTHER:
        return VFIO_CXL_KVM_MAP;
    }
    g_assert_not_reached();
}

const char *vfio_cxl_kvm_accel_str(VFIOCXLAccel accel)
{
    static const char *const names[] = {
        [VFIO_CXL_ACCEL_OTHER] = "not-kvm",
        [VFIO_CXL_ACCEL_KVM_ARM64] = "kvm-arm64",
        [VFIO_CXL_ACCEL_KVM_X86] = "kvm-x86",
        [VFIO_CXL_ACCEL_KVM_OTHER] = "kvm-other",
    };

    g_assert(accel < ARRAY_SIZE(names));
    return names[accel];
}

const char *vfio_cxl_kvm_verdict_str(VFIOCXLKVMVerdict verdict)
{
    static const char *const names[] = {
        [VFIO_CXL_KVM_MAP] = "map",
        [VFIO_CXL_KVM_MAP_UNCACHED] = "map-uncached",
        [VFIO_CXL_KVM_REFUSE] = "refuse",
    };

    g_assert(verdict < ARRAY_SIZE(names));
    return names[verdict];
}
