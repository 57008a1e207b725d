/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the driver's test programs (vfio-cxl-check.c, vfio-cxl-fuzz.c)
 * share: region offsets, config space access, capability chains
 *
 * Copyright (c) 2026 QEMU CXL Type-2 team
 */
#ifndef VFIO_TEST_H
#define VFIO_TEST_H

#include <stddef.h>
#include <stdint.h>
#include <unistd.h>
#include <linux/vfio.h>

/* Where region @index starts in the device fd (vfio-pci's layout) */
#define OFFSET(index)		((uint64_t)(index) << 40)

/* @len bytes of config space at @off through the device fd @fd: 0 or -1 */
static inline int vfio_cfg_read(int fd, uint32_t off, void *buf, size_t len)
{
	return pread(fd, buf, len, OFFSET(VFIO_PCI_CONFIG_REGION_INDEX) + off) ==
	       (ssize_t)len ? 0 : -1;
}

static inline int vfio_cfg_write(int fd, uint32_t off, const void *buf,
				 size_t len)
{
	return pwrite(fd, buf, len, OFFSET(VFIO_PCI_CONFIG_REGION_INDEX) + off) ==
	       (ssize_t)len ? 0 : -1;
}

/* A capability of @id in a chain that starts at @off of @buf (@len bytes) */
static inline struct vfio_info_cap_header *find_cap(void *buf, size_t len,
						    uint32_t off, uint16_t id)
{
	unsigned int hops = 0;

	while (off && off + sizeof(struct vfio_info_cap_header) <= len &&
	       hops++ < 64) {
		struct vfio_info_cap_header *h = (void *)((char *)buf + off);

		if (h->id == id)
			return h;
		off = h->next;
	}
	return NULL;
}

#endif
