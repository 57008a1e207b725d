/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What cxl_shadow.c and cxl_dvsec.c need, in the kernel */
#ifndef CXL_SHADOW_TYPES_H
#define CXL_SHADOW_TYPES_H

#include <linux/errno.h>
#include <linux/string.h>
#include <linux/types.h>

#endif
