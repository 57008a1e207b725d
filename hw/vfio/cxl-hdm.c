/*
 * CXL Type-2 passthrough: HDM decoder programming through COMP_REGS.
 *
 * The kernel (or the vfio-user server) keeps a shadow of the device's HDM
 * decoder registers in the COMP_REGS region; the physical decoders are
 * never written. With the v2 rules, a firmware-committed decoder shows up
 * committed with BASE zeroed and LOCK cleared, so that the VMM can write a
 * guest physical base. COMP_REGS only takes aligned dword accesses.
 *
 * Copyright (c) 2026 QEMU CXL Type-2 team
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "hw/vfio/cxl-uapi.h"
#include "cxl-hdm.h"
#include "trace.h"

bool vfio_cxl_regs_read(VFIODevice *vbasedev, const VFIOCXLDesc *desc,
                        uint32_t offset, uint32_t *val, Error **errp)
{
    uint32_t le;
    int ret;

    if (offset % 4 || offset > desc->regs_size - 4) {
        error_setg(errp, "COMP_REGS offset 0x%x is out of range", offset);
        return false;
    }
    ret = vbasedev->io_ops->region_read(vbasedev, desc->regs_index, offset,
                                        sizeof(le), &le);
    if (ret != sizeof(le)) {
        error_setg(errp, "reading COMP_REGS at 0x%x failed: %s", offset,
                   ret < 0 ? strerror(-ret) : "short read");
        return false;
    }
    *val = le32_to_cpu(le);
    trace_vfio_cxl_regs_read(vbasedev->name, offset, *val);
    return true;
}

bool vfio_cxl_regs_write(VFIODevice *vbasedev, const VFIOCXLDesc *desc,
                         uint32_t offset, uint32_t val, Error **errp)
{
    uint32_t le = cpu_to_le32(val);
    int ret;

    if (offset % 4 || offset > desc->regs_size - 4) {
        error_setg(errp, "COMP_REGS offset 0x%x is out of range", offset);
        return false;
    }
    trace_vfio_cxl_regs_write(vbasedev->name, offset, val);
    ret = vbasedev->io_ops->region_write(vbasedev, desc->regs_index, offset,
                                         sizeof(le), &le, false);
    if (ret != sizeof(le)) {
        error_setg(errp, "writing COMP_REGS at 0x%x failed: %s", offset,
                   ret < 0 ? strerror(-ret) : "short write");
        return false;
    }
    return true;
}

bool vfio_cxl_hdm_read_decoder(VFIODevice *vbasedev, const VFIOCXLDesc *desc,
                               unsigned n, VFIOCXLDecoder *dec, Error **errp)
{
    uint32_t blo, bhi, slo, shi;

    if (n >= desc->hdm_count) {
        error_setg(errp, "HDM decoder %u does not exist (%u decoders)", n,
                   desc->hdm_count);
        return false;
    }
    if (!vfio_cxl_regs_read(vbasedev, desc,
                            vfio_cxl_hdm_reg(desc, n, A_CXL_HDM_DEC_BASE_LO),
                            &blo, errp) ||
        !vfio_cxl_regs_read(vbasedev, desc,
                            vfio_cxl_hdm_reg(desc, n, A_CXL_HDM_DEC_BASE_HI),
                            &bhi, errp) ||
        !vfio_cxl_regs_read(vbasedev, desc,
                            vfio_cxl_hdm_reg(desc, n, A_CXL_HDM_DEC_SIZE_LO),
                            &slo, errp) ||
        !vfio_cxl_regs_read(vbasedev, desc,
                            vfio_cxl_hdm_reg(desc, n, A_CXL_HDM_DEC_SIZE_HI),
                            &shi, errp) ||
        !vfio_cxl_regs_read(vbasedev, desc,
                            vfio_cxl_hdm_reg(desc, n, A_CXL_HDM_DEC_CTRL),
                            &dec->ctrl, errp)) {
        return false;
    }
    dec->base = deposit64(blo & CXL_HDM_ADDR_LO_MASK, 32, 32, bhi);
    dec->size = deposit64(slo & CXL_HDM_ADDR_LO_MASK, 32, 32, shi);
    trace_vfio_cxl_hdm_decoder(vbasedev->name, n, dec->base, dec->size,
                               dec->ctrl);
    return true;
}

bool vfio_cxl_hdm_decoder_committed(const VFIOCXLDecoder *dec)
{
    return FIELD_EX32(dec->ctrl, CXL_HDM_DEC_CTRL, COMMITTED);
}

bool vfio_cxl_hdm_commit(VFIODevice *vbasedev, const VFIOCXLDesc *desc,
                         unsigned n, uint64_t base, Error **errp)
{
    uint32_t ctrl_off = vfio_cxl_hdm_reg(desc, n, A_CXL_HDM_DEC_CTRL);
    VFIOCXLDecoder dec;
    uint32_t ctrl;

    if (base % CXL_HDM_GRANULE) {
        error_setg(errp, "HDM decoder base 0x%" PRIx64 " is not 256 MiB "
                   "aligned", base);
        return false;
    }
    if (!vfio_cxl_hdm_read_decoder(vbasedev, desc, n, &dec, errp)) {
        return false;
    }

    ctrl = dec.ctrl;
    if (FIELD_EX32(ctrl, CXL_HDM_DEC_CTRL, LOCK_ON_COMMIT)) {
        /* A locked decoder drops BASE writes: take the LOCK->0 path. */
        ctrl = FIELD_DP32(ctrl, CXL_HDM_DEC_CTRL, LOCK_ON_COMMIT, 0);
        if (!vfio_cxl_regs_write(vbasedev, desc, ctrl_off, ctrl, errp)) {
            return false;
        }
    }
    if (!vfio_cxl_regs_write(vbasedev, desc,
                             vfio_cxl_hdm_reg(desc, n, A_CXL_HDM_DEC_BASE_LO),
                             base & CXL_HDM_ADDR_LO_MASK, errp) ||
        !vfio_cxl_regs_write(vbasedev, desc,
                             vfio_cxl_hdm_reg(desc, n, A_CXL_HDM_DEC_BASE_HI),
                             base >> 32, errp)) {
        return false;
    }
    ctrl = FIELD_DP32(ctrl, CXL_HDM_DEC_CTRL, COMMITTED, 0);
    ctrl = FIELD_DP32(ctrl, CXL_HDM_DEC_CTRL, ERR_NOT_COMMITTED, 0);
    ctrl = FIELD_DP32(ctrl, CXL_HDM_DEC_CTRL, COMMIT, 1);
    ctrl = FIELD_DP32(ctrl, CXL_HDM_DEC_CTRL, LOCK_ON_COMMIT, 1);
    if (!vfio_cxl_regs_write(vbasedev, desc, ctrl_off, ctrl, errp)) {
        return false;
    }

    /* The shadow must now show what a firmware-locked decoder shows. */
    if (!vfio_cxl_hdm_read_decoder(vbasedev, desc, n, &dec, errp)) {
        return false;
    }
    if (!vfio_cxl_hdm_decoder_committed(&dec) || dec.base != base) {
        error_setg(errp, "HDM decoder %u did not commit at 0x%" PRIx64
                   " (reads base 0x%" PRIx64 ", control 0x%08x)", n, base,
                   dec.base, dec.ctrl);
        return false;
    }
    trace_vfio_cxl_hdm_commit(vbasedev->name, n, base, dec.size);
    return true;
}
