/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * VFIO info capability chains, for the driver's test programs
 * (vfio-cxl-check.c, vfio-cxl-fuzz.c)
 *
 * Copyright (c) 2026 QEMU CXL Type-2 team
 */
#ifndef VFIO_CAP_CHAIN_H
#define VFIO_CAP_CHAIN_H

#include <stddef.h>
#include <stdint.h>
#include <linux/vfio.h>

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
