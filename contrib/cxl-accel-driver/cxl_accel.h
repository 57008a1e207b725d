/* SPDX-License-Identifier: GPL-2.0-only WITH Linux-syscall-note */
/*
 * User interface of the cxl_accel driver beyond mmap/read/write: the
 * accelerator's copy engine, as an ioctl on /dev/cxl_accelN.
 *
 * Copyright (c) 2026 QEMU CXL Type-2 team
 */
#ifndef _CXL_ACCEL_H
#define _CXL_ACCEL_H

#include <linux/ioctl.h>
#include <linux/types.h>

/*
 * CXL_ACCEL_IOC_DMA: the device copies @len bytes (1 to
 * CXL_ACCEL_DMA_MAX_LEN) with its own DMA engine. Offsets are into the
 * device memory; user buffers go through a DMA buffer of the driver's:
 *   CXL_ACCEL_DMA_TO_DEV      @src user buffer  -> @dst offset
 *   CXL_ACCEL_DMA_FROM_DEV    @src offset       -> @dst user buffer
 *   CXL_ACCEL_DMA_DEV_TO_DEV  @src offset       -> @dst offset
 * Returns 0, or -1 with errno: EINVAL (bad request), EIO (the device
 * reported an error; the kernel log has its code), ETIMEDOUT, ENODEV
 * (the device is gone).
 */
struct cxl_accel_dma {
	__u64 src;
	__u64 dst;
	__u32 len;
	__u32 dir;
};

#define CXL_ACCEL_DMA_TO_DEV		0
#define CXL_ACCEL_DMA_FROM_DEV		1
#define CXL_ACCEL_DMA_DEV_TO_DEV	2

#define CXL_ACCEL_DMA_MAX_LEN		(256 * 1024)

#define CXL_ACCEL_IOC_DMA	_IOW(0xCA, 0x01, struct cxl_accel_dma)

#endif /* _CXL_ACCEL_H */
