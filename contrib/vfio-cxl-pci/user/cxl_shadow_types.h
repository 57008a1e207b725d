/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * What cxl_shadow.c and cxl_dvsec.c need, in user space (the emulated
 * accelerator, the driver's checker): the kernel's type names.
 */
#ifndef CXL_SHADOW_TYPES_H
#define CXL_SHADOW_TYPES_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <linux/types.h>

typedef __u8 u8;
typedef __u16 u16;
typedef __u32 u32;
typedef __u64 u64;

#endif
