/*
 * Emulated CXL Type-2 accelerator: the device as vfio describes it
 *
 * Device info with its capability chain, region info with theirs, IRQ
 * info and region access by index: the answers the kernel's vfio-pci with
 * the v2 vfio-cxl UAPI gives, built as reply payloads independent of the
 * transport. --fault modes take effect here.
 *
 * Copyright (c) 2026 QEMU CXL Type-2 team
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef VFIO_USER_CXL_ACCEL_VFIO_H
#define VFIO_USER_CXL_ACCEL_VFIO_H

#include "accel-model.h"

/*
 * The start of struct vfio_device_info the vfio-user client of QEMU 10.2
 * sends and expects back (argsz, flags, num_regions, num_irqs); the
 * kernel's ioctl accepts the same minimum.
 */
#define ACCEL_DEVICE_INFO_MINSZ 16
/* Size of the CXL device capability (reference facts 2.2) */
#define ACCEL_CXL_CAP_SIZE      sizeof(struct vfio_device_info_cap_cxl)
/* Length of the CXL device cap under the cap-truncated fault */
#define ACCEL_CXL_CAP_TRUNCATED_SIZE 16
/*
 * v5, cap-truncated: the COMP_REGS region capability ends before its
 * offset member (header, bar and padding only)
 */
#define ACCEL_COMP_REGS_CAP_TRUNCATED_SIZE \
    offsetof(struct vfio_region_info_cap_cxl_comp_regs, offset)
/* The version cap-bad-version gives the CXL capability (v2 or v5) */
#define ACCEL_BAD_CAP_VERSION        2
/* What the region info faults say */
#define ACCEL_HUGE_ARGSZ             0xfffffff0u
#define ACCEL_OVERSIZED_EXTRA        64
#define ACCEL_OVERRUN_AREAS          64
#define ACCEL_CLOSE_UNREAD_DELAY_US  (100 * 1000)

unsigned accel_vfio_num_regions(const CXLAccel *a);

/*
 * VFIO_DEVICE_GET_INFO for a caller buffer of argsz bytes. Appends the
 * reply payload to out; returns 0 or a negative errno.
 */
int accel_vfio_device_info(CXLAccel *a, uint32_t argsz, GByteArray *out);

/*
 * VFIO_DEVICE_GET_REGION_INFO. Appends the reply payload to out and sets
 * *fd to the fd to pass with it (or -1); returns 0 or a negative errno.
 */
int accel_vfio_region_info(CXLAccel *a, uint32_t index, uint32_t argsz,
                           GByteArray *out, int *fd);

int accel_vfio_irq_info(CXLAccel *a, uint32_t index,
                        struct vfio_irq_info *info);

int accel_vfio_region_read(CXLAccel *a, uint32_t index, uint64_t off,
                           void *buf, size_t len);
int accel_vfio_region_write(CXLAccel *a, uint32_t index, uint64_t off,
                            const void *buf, size_t len);

#endif
