/*
 * Emulated CXL Type-2 accelerator: CXL.cachemem registers and the
 * COMP_REGS shadow of the HDM decoders
 *
 * hw_cachemem is the device's real register state as firmware left it:
 * with --firmware-committed, decoders 0..n-1 (--committed-decoders) map
 * equal consecutive parts of the device memory at consecutive host
 * physical addresses, committed and locked. shadow is what the v2
 * kernel shows the VMM through the COMP_REGS region: a snapshot taken at
 * open and after reset in which every committed+locked decoder has LOCK
 * cleared and BASE zeroed (so the VMM can program a guest address), and
 * which then follows the v2 write rules. The rules are
 * contrib/vfio-cxl-pci/cxl_shadow.c, which the host driver builds too.
 * The hardware decoders are never written, as with the kernel.
 *
 * --uapi v5 keeps no shadow (reference facts 9.3): COMP_REGS covers the
 * HDM decoder block only, reads it live from hw_cachemem (COMMITTED,
 * LOCK and BASE = the host address included) and drops every write.
 *
 * Copyright (c) 2026 QEMU CXL Type-2 team
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "accel-model.h"
#include "cxl_shadow.h"

#define HDM_REG(rel)    ((ACCEL_HDM_OFFSET + (rel)) / 4)
#define RAS_REG(rel)    ((ACCEL_RAS_OFFSET + (rel)) / 4)

/* Register offset of decoder n's register reg (reg as for decoder 0) */
static unsigned decoder_reg(unsigned n, unsigned reg)
{
    return reg + CXL_HDM_DECODER_STRIDE * n;
}

/* Decoder Count field value for a number of decoders (1 or even) */
static unsigned decoder_count_field(unsigned count)
{
    return count == 1 ? 0 : count / 2;
}

/* v5: aligned dwords inside the decoder block, as the v5 kernel takes */
static bool v5_access_ok(const CXLAccel *a, uint64_t off, size_t len)
{
    return len == sizeof(uint32_t) && off % sizeof(uint32_t) == 0 &&
           off < accel_comp_regs_size(a);
}

static uint32_t cap_entry(unsigned id, unsigned ver, unsigned ptr)
{
    uint32_t v = 0;

    v = FIELD_DP32(v, CXL_CAP_HDR, ID, id);
    v = FIELD_DP32(v, CXL_CAP_HDR, VER, ver);
    return FIELD_DP32(v, CXL_CAP_HDR, PTR, ptr);
}

void accel_hdm_hw_init(CXLAccel *a)
{
    uint32_t *hw = a->hw_cachemem;
    bool no_hdm = a->opts.fault == ACCEL_FAULT_COMP_REGS_NO_HDM;
    uint32_t hdr = 0, cap = 0, ctrl = 0;
    uint64_t size = a->opts.mem_size;
    unsigned n;

    memset(a->hw_cachemem, 0, sizeof(a->hw_cachemem));

    /*
     * Capability header array: RAS, then HDM Decoder. The comp-regs-no-hdm
     * fault leaves the HDM entry out (the registers stay where they are).
     */
    hdr = FIELD_DP32(hdr, CXL_CAP_ARRAY_HDR, ID, CXL_CAP_ID_CAPABILITY);
    hdr = FIELD_DP32(hdr, CXL_CAP_ARRAY_HDR, VER, CXL_CAP_ARRAY_VER);
    hdr = FIELD_DP32(hdr, CXL_CAP_ARRAY_HDR, CACHEMEM_VER, CXL_CACHEMEM_VER);
    hdr = FIELD_DP32(hdr, CXL_CAP_ARRAY_HDR, ARRAY_SIZE, no_hdm ? 1 : 2);
    hw[0] = hdr;
    hw[1] = cap_entry(CXL_CAP_ID_RAS, CXL_RAS_CAP_VER, ACCEL_RAS_OFFSET);
    if (!no_hdm) {
        hw[2] = cap_entry(CXL_CAP_ID_HDM, CXL_HDM_CAP_VER, ACCEL_HDM_OFFSET);
    }

    /*
     * HDM Decoder Capability: no poison-on-decode-error, no UIO, a device
     * (no target list), 256 B-granular address bits supported.
     */
    cap = FIELD_DP32(cap, CXL_HDM_CAP, DECODER_COUNT,
                     decoder_count_field(accel_hdm_count(a)));
    cap = FIELD_DP32(cap, CXL_HDM_CAP, INTERLEAVE_A11TO8, 1);
    cap = FIELD_DP32(cap, CXL_HDM_CAP, INTERLEAVE_A14TO12, 1);
    hw[HDM_REG(A_CXL_HDM_CAP)] = cap;

    /* Errors the device logged: sticky status bits a guest clears */
    if (a->opts.fault == ACCEL_FAULT_RAS_ERRORS) {
        hw[RAS_REG(ACCEL_RAS_UNC_STATUS)] = ACCEL_RAS_UNC_ERRORS;
        hw[RAS_REG(ACCEL_RAS_COR_STATUS)] = ACCEL_RAS_COR_ERRORS;
    }

    if (!a->opts.firmware_committed) {
        return;
    }

    /*
     * Firmware: decoders enabled, decoders 0..n-1 committed and locked over
     * equal consecutive parts of the memory, at consecutive host addresses.
     */
    hw[HDM_REG(A_CXL_HDM_GLOBAL_CTRL)] =
        R_CXL_HDM_GLOBAL_CTRL_HDM_DECODER_ENABLE_MASK;
    size /= a->opts.committed_decoders;
    ctrl = FIELD_DP32(ctrl, CXL_HDM_DEC_CTRL, LOCK_ON_COMMIT, 1);
    ctrl = FIELD_DP32(ctrl, CXL_HDM_DEC_CTRL, COMMIT, 1);
    ctrl = FIELD_DP32(ctrl, CXL_HDM_DEC_CTRL, COMMITTED, 1);
    ctrl = FIELD_DP32(ctrl, CXL_HDM_DEC_CTRL, TARGET_TYPE,
                      a->opts.decoder_type == ACCEL_DECODER_HDM_H);
    ctrl = FIELD_DP32(ctrl, CXL_HDM_DEC_CTRL, BI,
                      a->opts.decoder_type == ACCEL_DECODER_HDM_DB);
    for (n = 0; n < a->opts.committed_decoders; n++) {
        uint64_t base = ACCEL_FW_HOST_BASE + n * size;

        hw[HDM_REG(decoder_reg(n, A_CXL_HDM_DEC_BASE_LO))] = (uint32_t)base;
        hw[HDM_REG(decoder_reg(n, A_CXL_HDM_DEC_BASE_HI))] = base >> 32;
        hw[HDM_REG(decoder_reg(n, A_CXL_HDM_DEC_SIZE_LO))] = (uint32_t)size;
        hw[HDM_REG(decoder_reg(n, A_CXL_HDM_DEC_SIZE_HI))] = size >> 32;
        hw[HDM_REG(decoder_reg(n, A_CXL_HDM_DEC_CTRL))] = ctrl;
    }
}

void accel_hdm_uncommit_decoder0(CXLAccel *a)
{
    uint32_t *ctrl = &a->hw_cachemem[HDM_REG(A_CXL_HDM_DEC_CTRL)];

    *ctrl = FIELD_DP32(*ctrl, CXL_HDM_DEC_CTRL, COMMITTED, 0);
    *ctrl = FIELD_DP32(*ctrl, CXL_HDM_DEC_CTRL, COMMIT, 0);
}

bool accel_hdm_decoder0_committed(const CXLAccel *a)
{
    /* v5 samples the hardware decoder; v2 looks at its snapshot */
    const uint32_t *regs = a->opts.uapi == ACCEL_UAPI_V5 ? a->hw_cachemem :
                                                           a->shadow;

    return FIELD_EX32(regs[HDM_REG(A_CXL_HDM_DEC_CTRL)], CXL_HDM_DEC_CTRL,
                      COMMITTED);
}

void accel_hdm_cxl_reset(CXLAccel *a)
{
    /* CXL r3.1 9.7: the HDM decoders return to their defaults */
    memset(&a->hw_cachemem[HDM_REG(A_CXL_HDM_GLOBAL_CTRL)], 0,
           sizeof(a->hw_cachemem) - ACCEL_HDM_OFFSET - A_CXL_HDM_GLOBAL_CTRL);
}

/* The COMP_REGS shadow as the rules shared with the host driver see it */
static struct cxl_shadow accel_shadow(CXLAccel *a)
{
    return (struct cxl_shadow) {
        .regs = a->shadow,
        .size = accel_comp_regs_size(a),
        .hdm = ACCEL_HDM_OFFSET,
        .count = accel_hdm_count(a),
        .cache_capable = a->opts.cache_capable,
    };
}

void accel_hdm_snapshot(CXLAccel *a)
{
    struct cxl_shadow s = accel_shadow(a);

    memcpy(a->shadow, a->hw_cachemem, sizeof(a->shadow));
    cxl_shadow_snapshot(&s);
}

int accel_comp_regs_read(CXLAccel *a, uint64_t off, void *buf, size_t len)
{
    struct cxl_shadow s = accel_shadow(a);
    uint32_t val;
    int ret;

    if (accel_v5(a)) {
        if (!v5_access_ok(a, off, len)) {
            return -EINVAL;
        }
        stl_le_p(buf, a->hw_cachemem[HDM_REG(off)]);
        return 0;
    }
    ret = cxl_shadow_read(&s, off, len, &val);
    if (!ret) {
        stl_le_p(buf, val);
    }
    return ret;
}

int accel_comp_regs_write(CXLAccel *a, uint64_t off, const void *buf,
                          size_t len)
{
    struct cxl_shadow s = accel_shadow(a);
    int ret;

    if (accel_v5(a)) {
        /* Accepted and dropped: the VMM owns the guest's decoder state */
        return v5_access_ok(a, off, len) ? 0 : -EINVAL;
    }
    ret = cxl_shadow_write(&s, off, len, len == 4 ? ldl_le_p(buf) : 0);
    if (ret) {
        return ret;
    }
    if (a->opts.fault == ACCEL_FAULT_RAS_ERRORS &&
        (off == ACCEL_RAS_OFFSET + ACCEL_RAS_UNC_STATUS ||
         off == ACCEL_RAS_OFFSET + ACCEL_RAS_COR_STATUS)) {
        /*
         * The shared rules keep the snapshot below the HDM decoders
         * read-only, but in ras-errors mode the emulator is a kernel that
         * passes the RAS status registers through (RW1CS, CXL r3.1
         * 8.2.4.17): a 1 clears the bit, in the device too.
         */
        a->hw_cachemem[off / 4] &= ~ldl_le_p(buf);
        a->shadow[off / 4] &= ~ldl_le_p(buf);
    }
    return 0;
}
