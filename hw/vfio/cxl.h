/*
 * CXL Type-2 device passthrough in vfio-pci and vfio-user-pci.
 *
 * Copyright (c) 2026 QEMU CXL Type-2 team
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_VFIO_CXL_H
#define HW_VFIO_CXL_H

typedef struct VFIODevice VFIODevice;
typedef struct VFIOPCIDevice VFIOPCIDevice;
typedef struct VFIOCXL VFIOCXL;

/*
 * Hooks for hw/vfio/pci.c, shared by vfio-pci and vfio-user-pci. Each
 * does nothing for a device that is not a CXL Type-2 passthrough device.
 */

/* After the BARs are registered: detect and set up CXL passthrough. */
bool vfio_pci_cxl_setup(VFIOPCIDevice *vdev, Error **errp);
/* Before a device reset: write a Cache_Capable device's cache back. */
void vfio_pci_cxl_pre_reset(VFIOPCIDevice *vdev);
/* After a device reset: the decoders to their firmware or reset state. */
void vfio_pci_cxl_reset(VFIOPCIDevice *vdev);
/*
 * Before a guest config write goes to the device: what it must not see
 * (Initiate CXL Reset, which QEMU performs) taken out of @val.
 */
uint32_t vfio_pci_cxl_config_filter(VFIOPCIDevice *vdev, uint32_t addr,
                                    uint32_t val, int len);
/* After a guest config write reached the device: FLR, CXL Reset. */
void vfio_pci_cxl_config_write(VFIOPCIDevice *vdev, uint32_t addr,
                               uint32_t val, int len);
/* Before the BARs go away: remove every mapping. */
void vfio_pci_cxl_exit(VFIOPCIDevice *vdev);
/*
 * The read-only property cxl-uapi: the revision of the kernel's CXL
 * interface the device was passed through with, "v2" or "v5", or "none".
 */
char *vfio_pci_cxl_get_uapi(Object *obj, Error **errp);
/*
 * VFIODeviceOps.vfio_get_dma_file: the dma-buf iommufd maps the device
 * memory from (v5).
 */
bool vfio_pci_cxl_get_dma_file(VFIODevice *vbasedev, MemoryRegion *mr,
                               int *fd, uint64_t *offset);
/* When the device is freed. */
void vfio_pci_cxl_finalize(VFIOPCIDevice *vdev);

#endif /* HW_VFIO_CXL_H */
