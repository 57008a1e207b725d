/*
 * x-query-cxl-passthrough and info cxl-passthrough without vfio-pci: no
 * device can be passed through, so there is nothing to report.
 *
 * Copyright (c) 2026 QEMU CXL Type-2 team
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/qapi-commands-vfio.h"
#include "monitor/hmp.h"
#include "monitor/monitor.h"

CxlPassthroughInfoList *qmp_x_query_cxl_passthrough(Error **errp)
{
    return NULL;
}

void hmp_info_cxl_passthrough(Monitor *mon, const QDict *qdict)
{
    monitor_printf(mon, "No CXL Type-2 device is passed through\n");
}
