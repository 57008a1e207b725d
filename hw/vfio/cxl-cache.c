/*
 * CXL Type-2 passthrough: writing a Cache_Capable device's cache back
 * before a reset QEMU triggers.
 *
 * A device with CXL.cache may hold modified lines of guest memory. A reset
 * discards them, so before every reset QEMU itself starts (system reset,
 * the device reset at start-up, hot-unplug, shutdown) it does what the CXL
 * specification's reset flow asks of system software (CXL r4.0 9.6, the
 * DVSEC registers of 8.1.3): set Disable Caching, then Initiate Cache
 * Write Back and Invalidation, and wait for Cache Invalid in Status2. The
 * guest's own resets (an FLR it starts) are the guest's to prepare; for a
 * guest's CXL Reset, which QEMU performs, the glue starts the write-back
 * and polls for it from a timer (vfio_cxl_cache_wbi_start/_poll).
 *
 * Copyright (c) 2026 QEMU CXL Type-2 team
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qemu/error-report.h"
#include "qemu/timer.h"
#include "hw/cxl/cxl-dvsec-layout.h"
#include "standard-headers/linux/pci_regs.h"
#include "cxl-cache.h"
#include "trace.h"

/*
 * How long a write-back before a reset QEMU itself performs (system
 * reset, unplug, shutdown: nothing runs in the guest meanwhile) may take
 * before QEMU gives up and resets. A guest's CXL Reset polls with a timer
 * instead (cxl.c), without holding the BQL.
 */
#define VFIO_CXL_WBI_TIMEOUT_MS     VFIO_CXL_WBI_DEADLINE_MS
#define VFIO_CXL_WBI_POLL_US        500

static bool cfg_read(VFIODevice *vbasedev, uint32_t off, void *buf,
                     uint32_t len, Error **errp)
{
    int ret = vbasedev->io_ops->region_read(vbasedev,
                                            VFIO_PCI_CONFIG_REGION_INDEX,
                                            off, len, buf);

    if (ret != len) {
        error_setg(errp, "reading config space at 0x%x failed: %s", off,
                   ret < 0 ? strerror(-ret) : "short read");
        return false;
    }
    return true;
}

static bool cfg_write16(VFIODevice *vbasedev, uint32_t off, uint16_t val,
                        Error **errp)
{
    uint16_t le = cpu_to_le16(val);
    int ret = vbasedev->io_ops->region_write(vbasedev,
                                             VFIO_PCI_CONFIG_REGION_INDEX,
                                             off, sizeof(le), &le, false);

    if (ret != sizeof(le)) {
        error_setg(errp, "writing config space at 0x%x failed: %s", off,
                   ret < 0 ? strerror(-ret) : "short write");
        return false;
    }
    return true;
}

static bool cfg_read16(VFIODevice *vbasedev, uint32_t off, uint16_t *val,
                       Error **errp)
{
    uint16_t le;

    if (!cfg_read(vbasedev, off, &le, sizeof(le), errp)) {
        return false;
    }
    *val = le16_to_cpu(le);
    return true;
}

bool vfio_cxl_cache_wbi_start(VFIODevice *vbasedev, uint32_t dvsec,
                              uint16_t *saved_ctrl2, Error **errp)
{
    uint32_t ctrl2_off = dvsec + CXL_DVSEC_CTRL2;
    uint16_t ctrl2;

    if (!cfg_read16(vbasedev, ctrl2_off, &ctrl2, errp)) {
        return false;
    }
    *saved_ctrl2 = ctrl2;
    ctrl2 |= R_CXL_DVSEC_CTRL2_DISABLE_CACHING_MASK;
    if (!cfg_write16(vbasedev, ctrl2_off, ctrl2, errp) ||
        !cfg_write16(vbasedev, ctrl2_off,
                     ctrl2 | R_CXL_DVSEC_CTRL2_INITIATE_WBI_MASK, errp)) {
        return false;
    }
    trace_vfio_cxl_cache_write_back(vbasedev->name);
    return true;
}

int vfio_cxl_cache_wbi_poll(VFIODevice *vbasedev, uint32_t dvsec,
                            uint16_t *status2, Error **errp)
{
    uint16_t st2;

    if (!cfg_read16(vbasedev, dvsec + CXL_DVSEC_STATUS2, &st2, errp)) {
        return -1;
    }
    *status2 = st2;
    return !!(st2 & R_CXL_DVSEC_STATUS2_CACHE_INVALID_MASK);
}

bool vfio_cxl_cache_write_back(VFIODevice *vbasedev, uint32_t dvsec,
                               uint16_t *saved_ctrl2, Error **errp)
{
    int64_t start = qemu_clock_get_ms(QEMU_CLOCK_REALTIME);
    uint16_t st2;
    int done;

    if (!vfio_cxl_cache_wbi_start(vbasedev, dvsec, saved_ctrl2, errp)) {
        return false;
    }
    while (!(done = vfio_cxl_cache_wbi_poll(vbasedev, dvsec, &st2, errp))) {
        if (qemu_clock_get_ms(QEMU_CLOCK_REALTIME) - start >
            VFIO_CXL_WBI_TIMEOUT_MS) {
            error_setg(errp, "the device did not report its cache written "
                       "back and invalid (DVSEC Status2 0x%04x) within %d "
                       "ms; modified lines it holds are lost", st2,
                       VFIO_CXL_WBI_TIMEOUT_MS);
            return false;
        }
        g_usleep(VFIO_CXL_WBI_POLL_US);
    }
    if (done < 0) {
        return false;
    }
    trace_vfio_cxl_cache_written_back(vbasedev->name,
                                      qemu_clock_get_ms(QEMU_CLOCK_REALTIME) -
                                      start);
    return true;
}

void vfio_cxl_cache_restore(VFIODevice *vbasedev, uint32_t dvsec,
                            uint16_t saved_ctrl2)
{
    Error *err = NULL;

    /* Caching as the guest had it: the Initiate bits are not kept. */
    if (!cfg_write16(vbasedev, dvsec + CXL_DVSEC_CTRL2,
                     saved_ctrl2 & ~(R_CXL_DVSEC_CTRL2_INITIATE_WBI_MASK |
                                     R_CXL_DVSEC_CTRL2_INITIATE_CXL_RESET_MASK),
                     &err)) {
        error_report_err(err);
    }
}
