/*
 * CXL Type-2 passthrough: placing device memory in a CXL Fixed Memory
 * Window, and the host bridge decoders on the way there.
 *
 * Copyright (c) 2026 QEMU CXL Type-2 team
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_VFIO_CXL_WINDOW_H
#define HW_VFIO_CXL_WINDOW_H

#include "hw/cxl/cxl.h"
#include "hw/cxl/cxl-hdm-layout.h"
#include "hw/pci/pci_bridge.h"

/* A range of a window that one device's memory occupies. */
typedef struct VFIOCXLWindowClaim {
    CXLFixedWindow *fw;
    PXBCXLDev *pxb;         /* the host bridge the window targets */
    PCIDevice *rp;          /* the cxl-rp the device sits under */
    PCIDevice *dev;
    hwaddr offset;          /* in the window */
    uint64_t size;
    bool exclusive;         /* the whole window and host bridge */
    uint16_t kinds;         /* CFMWS_RESTRICT_* of the device's memory */
    unsigned hb_decoder;    /* first host bridge decoder QEMU programs */
    unsigned hb_count;      /* how many, one per firmware decoder */
    /* What QEMU committed in host bridge decoder hb_decoder + n */
    uint64_t hb_programmed; /* bit n: committed by QEMU */
    hwaddr hb_base[CXL_HDM_MAX_DECODERS];
    uint64_t hb_size[CXL_HDM_MAX_DECODERS];
    /* Parts of device memory mapped into the window, one per decoder */
    MemoryRegion part[CXL_HDM_MAX_DECODERS];
    bool part_mapped[CXL_HDM_MAX_DECODERS];
} VFIOCXLWindowClaim;

/*
 * vfio_cxl_window_claim: check that @pdev sits in a topology that can
 * carry device memory of @size (the device on a cxl-rp of a pxb-cxl that
 * exactly one non-interleaved window targets, the window large enough)
 * and reserve a range of the window for it: @size bytes, or the whole
 * window if @exclusive (no other device may then use the window or the
 * host bridge). @hb_count consecutive free host bridge decoders are
 * reserved for it. The range overlaps no CXL memory in use (other
 * claims, committed host bridge decoders, committed decoders of CXL
 * memory below the host bridge), and lies above the ranges of the
 * host bridge decoders below the reserved ones and below those of the
 * decoders above them, so that host bridge decoders stay in address
 * order (CXL r3.1 8.2.4.20.12). Refused otherwise, saying why. @kinds
 * (CFMWS_RESTRICT_*) is the coherence of the memory, for the CFMWS.
 */
bool vfio_cxl_window_claim(PCIDevice *pdev, uint64_t size, bool exclusive,
                           unsigned hb_count, uint16_t kinds,
                           VFIOCXLWindowClaim *claim, Error **errp);
/*
 * Unmap the claim, release its range and uncommit and clear the host
 * bridge decoders QEMU committed for it (those the guest has rewritten
 * since are the guest's, and left alone), as a platform does when the
 * device is removed: a later claim can take them again, in order.
 */
void vfio_cxl_window_release(VFIOCXLWindowClaim *claim);

/*
 * vfio_cxl_window_check_alone: the rest of the constrained topology of an
 * exclusive claim, once the machine is complete: the device alone below
 * its root port, and no other CXL memory below the host bridge.
 */
bool vfio_cxl_window_check_alone(const VFIOCXLWindowClaim *claim,
                                 Error **errp);

/* Guest physical address of the claimed range. */
hwaddr vfio_cxl_window_gpa(const VFIOCXLWindowClaim *claim);

/*
 * Map [@dpa, @dpa + @size) of device memory @mem at guest physical @gpa
 * (inside the claimed range) as part @n, above the window's own dispatch
 * to emulated devices, so that guest accesses go straight to it.
 */
void vfio_cxl_window_map_part(VFIOCXLWindowClaim *claim, unsigned n,
                              MemoryRegion *mem, uint64_t dpa, hwaddr gpa,
                              uint64_t size);
void vfio_cxl_window_unmap_part(VFIOCXLWindowClaim *claim, unsigned n);
void vfio_cxl_window_unmap(VFIOCXLWindowClaim *claim);

/*
 * Commit and lock host bridge decoder @n of the claim's to route [@gpa,
 * @gpa + @size) to the root port: one per endpoint decoder, as Linux wants
 * a host bridge decoder of exactly the endpoint decoder's range. A host
 * bridge holding device memory always has decoders (see
 * pxb_cxl_dev_reset()); only before its first reset has it none. A
 * decoder committed to anything else is never overwritten.
 */
void vfio_cxl_window_program_host_bridge(VFIOCXLWindowClaim *claim,
                                         unsigned n, hwaddr gpa,
                                         uint64_t size);

#endif /* HW_VFIO_CXL_WINDOW_H */
