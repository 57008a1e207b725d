/* SPDX-License-Identifier: GPL-2.0-only WITH Linux-syscall-note */
/*
 * The vfio-cxl UAPI, revision 2 (the kernel series' v2, 2026-04-01): the
 * numbers vfio_cxl_pci.ko serves and QEMU's hw/vfio/cxl-uapi.c consumes.
 * No kernel release has them in <linux/vfio.h>; they are defined here so
 * that the driver and its checker agree.
 *
 * Copyright (c) 2026 QEMU CXL Type-2 team
 */
#ifndef VFIO_CXL_UAPI_H
#define VFIO_CXL_UAPI_H

#include <linux/const.h>
#include <linux/types.h>
#include <linux/vfio.h>

/* VFIO_DEVICE_GET_INFO flags: a CXL Type-2 device */
#define VFIO_DEVICE_FLAGS_CXL			_BITUL(9)

/* Device-info capability of a CXL Type-2 device */
#define VFIO_DEVICE_INFO_CAP_CXL		6
#define VFIO_DEVICE_INFO_CAP_CXL_VERSION	1

#define VFIO_CXL_CAP_FIRMWARE_COMMITTED		_BITUL(0)
#define VFIO_CXL_CAP_CACHE_CAPABLE		_BITUL(1)

struct vfio_device_info_cap_cxl {
	struct vfio_info_cap_header header;
	__u8 hdm_regs_bar_index;	/* BAR of the component registers */
	__u8 reserved[3];
	__u32 flags;			/* VFIO_CXL_CAP_* */
	__u64 hdm_regs_offset;		/* BAR offset of CXL.cachemem */
	__u32 dpa_region_index;		/* device memory region */
	__u32 comp_regs_region_index;	/* COMP_REGS region */
};

/* Region type of both regions: PCI vendor type, CXL's vendor id */
#define VFIO_REGION_TYPE_CXL	(VFIO_REGION_TYPE_PCI_VENDOR_TYPE | 0x1e98U)
#define VFIO_REGION_SUBTYPE_CXL			1	/* device memory */
#define VFIO_REGION_SUBTYPE_CXL_COMP_REGS	2	/* HDM shadow */

#endif
