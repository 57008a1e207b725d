/*
 * CXL Type-2 passthrough: what QEMU did with a device, for
 * x-query-cxl-passthrough and info cxl-passthrough.
 *
 * Copyright (c) 2026 QEMU CXL Type-2 team
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_VFIO_CXL_QUERY_H
#define HW_VFIO_CXL_QUERY_H

#include "hw/vfio/cxl-uapi.h"
#include "cxl-hdm.h"
#include "cxl-kvm.h"
#include "cxl-window.h"

typedef struct VFIOPCIDevice VFIOPCIDevice;

/*
 * A read-only view of the device glue's state. The pointers stay valid
 * until the next event of the device (a guest access, a reset): copy what
 * is needed at once, under the BQL.
 */
typedef struct VFIOCXLView {
    VFIOCXLUAPI uapi;
    bool guest_decoders;        /* cxl-decoders=guest */
    bool placed;                /* machine_done (or hot-plug) placed it */
    bool host_inactive;         /* the host's decoders are gone */
    bool dmabuf;                /* v5 with iommufd: mapped from a dma-buf */
    uint64_t mem_size;          /* device memory: the DPA space */
    const VFIOCXLHDM *hdm;      /* the decoders as the guest sees them */
    const VFIOCXLWindowClaim *claim;
    /* The KVM decision of realize (cxl-kvm.c) */
    VFIOCXLAccel accel;
    bool pfnmap;
    int kvm_cap;                /* or VFIO_CXL_KVM_CAP_NOT_ASKED */
    VFIOCXLKVMVerdict verdict;
} VFIOCXLView;

/* False for a device that is not a CXL Type-2 passthrough device. */
bool vfio_pci_cxl_view(VFIOPCIDevice *vdev, VFIOCXLView *view);

#endif /* HW_VFIO_CXL_QUERY_H */
