/*
 * Emulated CXL Type-2 accelerator: PCI configuration space
 *
 * A PCIe endpoint with a PCI Express capability, a PCI Power Management
 * capability (D0 and D3hot; see ACCEL_PM_CAP_OFFSET), the CXL Device DVSEC,
 * the
 * Register Locator DVSEC, the Flex Bus Port DVSEC and a Device Serial
 * Number. Writes follow a per-byte writable mask and
 * write-1-to-clear mask, like PCI hardware.
 *
 * Exposed as CXL (v2 or v5), the client sees the CXL Device DVSEC as the
 * kernel's vfio-cxl shows it: through cxl_dvsec.c, the rules the host
 * driver (contrib/vfio-cxl-pci) builds too, over the device's own DVSEC
 * (a->cfg). Only what those rules ask of the device reaches it. Served as
 * plain vfio-pci, the client writes the device's DVSEC as it is.
 *
 * Copyright (c) 2026 QEMU CXL Type-2 team
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "standard-headers/linux/pci_regs.h"
#include "accel-model.h"

/* Device Control bits a guest may change; FLR is handled as an action */
#define ACCEL_DEVCTL_WMASK      0x7fff
#define ACCEL_DEVSTA_W1CMASK    (PCI_EXP_DEVSTA_CED | PCI_EXP_DEVSTA_NFED | \
                                 PCI_EXP_DEVSTA_FED | PCI_EXP_DEVSTA_URD)
#define ACCEL_COMMAND_WMASK     (PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | \
                                 PCI_COMMAND_PARITY | PCI_COMMAND_SERR | \
                                 PCI_COMMAND_INTX_DISABLE)
#define ACCEL_STATUS_W1CMASK    (PCI_STATUS_PARITY | \
                                 PCI_STATUS_SIG_TARGET_ABORT | \
                                 PCI_STATUS_REC_TARGET_ABORT | \
                                 PCI_STATUS_REC_MASTER_ABORT | \
                                 PCI_STATUS_SIG_SYSTEM_ERROR | \
                                 PCI_STATUS_DETECTED_PARITY)
#define ACCEL_PCIE_CAP_VERSION  2
#define ACCEL_PCIE_CAP_SIZE     0x3c

#define DVSEC(reg)              (ACCEL_DVSEC_DEV_OFFSET + (reg))

static void set_w(uint8_t *p, unsigned off, uint16_t v)
{
    stw_le_p(p + off, v);
}

static void set_l(uint8_t *p, unsigned off, uint32_t v)
{
    stl_le_p(p + off, v);
}

static uint16_t get_w(const uint8_t *p, unsigned off)
{
    return lduw_le_p(p + off);
}

static bool dvsec_locked(const CXLAccel *a)
{
    return get_w(a->cfg, DVSEC(CXL_DVSEC_LOCK)) &
           R_CXL_DVSEC_LOCK_CONFIG_LOCK_MASK;
}

static void init_header(CXLAccel *a)
{
    uint64_t bar_mask = ~(uint64_t)(ACCEL_REG_BAR_SIZE - 1);
    unsigned bar = PCI_BASE_ADDRESS_0 + 4 * ACCEL_REG_BAR;

    set_w(a->cfg, PCI_VENDOR_ID, ACCEL_PCI_VENDOR_ID);
    set_w(a->cfg, PCI_DEVICE_ID, ACCEL_PCI_DEVICE_ID);
    set_w(a->cfg, PCI_STATUS, PCI_STATUS_CAP_LIST);
    set_l(a->cfg, PCI_CLASS_REVISION,
          ACCEL_PCI_CLASS_CODE << 8 | ACCEL_PCI_REVISION);
    a->cfg[PCI_HEADER_TYPE] = PCI_HEADER_TYPE_NORMAL;
    set_w(a->cfg, PCI_SUBSYSTEM_VENDOR_ID, ACCEL_PCI_VENDOR_ID);
    set_w(a->cfg, PCI_SUBSYSTEM_ID, ACCEL_PCI_DEVICE_ID);
    a->cfg[PCI_CAPABILITY_LIST] = ACCEL_PCIE_CAP_OFFSET;
    /* No INTx: Interrupt Pin stays 0, so a VMM sets up no INTx route. */

    set_w(a->cfg_wmask, PCI_COMMAND, ACCEL_COMMAND_WMASK);
    set_w(a->cfg_w1cmask, PCI_STATUS, ACCEL_STATUS_W1CMASK);
    a->cfg_wmask[PCI_CACHE_LINE_SIZE] = 0xff;
    a->cfg_wmask[PCI_INTERRUPT_LINE] = 0xff;

    /* The register BAR: 64-bit memory, sized by its writable bits */
    set_l(a->cfg, bar, PCI_BASE_ADDRESS_MEM_TYPE_64);
    set_l(a->cfg_wmask, bar, (uint32_t)bar_mask);
    set_l(a->cfg_wmask, bar + 4, bar_mask >> 32);

    if (a->opts.fault == ACCEL_FAULT_ROM_SIZE_ODD) {
        /* Writable bits no ROM BAR has: sizes to 0x60000 */
        set_l(a->cfg_wmask, PCI_ROM_ADDRESS, ACCEL_ODD_ROM_WMASK);
    }
}

static void init_pcie_cap(CXLAccel *a)
{
    unsigned cap = ACCEL_PCIE_CAP_OFFSET;

    a->cfg[cap + PCI_CAP_LIST_ID] = PCI_CAP_ID_EXP;
    a->cfg[cap + PCI_CAP_LIST_NEXT] = 0;
    set_w(a->cfg, cap + PCI_EXP_FLAGS,
          ACCEL_PCIE_CAP_VERSION | PCI_EXP_TYPE_ENDPOINT << 4);
    /* FLR capable: the device advertises VFIO_DEVICE_FLAGS_RESET */
    set_l(a->cfg, cap + PCI_EXP_DEVCAP,
          a->opts.fault == ACCEL_FAULT_NO_FLR ? 0 : PCI_EXP_DEVCAP_FLR);
    set_w(a->cfg_wmask, cap + PCI_EXP_DEVCTL, ACCEL_DEVCTL_WMASK);
    set_w(a->cfg_w1cmask, cap + PCI_EXP_DEVSTA, ACCEL_DEVSTA_W1CMASK);
    a->cfg[cap + PCI_CAP_LIST_NEXT] = ACCEL_PM_CAP_OFFSET;
}

/*
 * PowerState is written through pm_write(), not the wmask: a write of a
 * state the function does not support must be ignored whole.
 */
static void init_pm_cap(CXLAccel *a)
{
    unsigned cap = ACCEL_PM_CAP_OFFSET;

    a->cfg[cap + PCI_CAP_LIST_ID] = PCI_CAP_ID_PM;
    a->cfg[cap + PCI_CAP_LIST_NEXT] = 0;
    set_w(a->cfg, cap + PCI_PM_PMC, ACCEL_PM_CAP_VERSION);
    set_w(a->cfg, cap + PCI_PM_CTRL,
          PCI_PM_CTRL_NO_SOFT_RESET | ACCEL_PM_D0);
}

/*
 * PMCSR's low byte: only PowerState is writable; D1 and D2, which PMC
 * does not offer, are ignored as PCI PM 1.2 7.3 asks.
 */
static void pm_write(CXLAccel *a, uint8_t val)
{
    unsigned at = ACCEL_PM_CAP_OFFSET + PCI_PM_CTRL;
    unsigned state = val & PCI_PM_CTRL_STATE_MASK;

    if (state != ACCEL_PM_D0 && state != ACCEL_PM_D3HOT) {
        return;
    }
    a->cfg[at] = (a->cfg[at] & ~PCI_PM_CTRL_STATE_MASK) | state;
}

static uint32_t ext_cap_header(unsigned id, unsigned ver, unsigned next)
{
    uint32_t v = 0;

    v = FIELD_DP32(v, PCIE_EXT_CAP_HDR, ID, id);
    v = FIELD_DP32(v, PCIE_EXT_CAP_HDR, VER, ver);
    return FIELD_DP32(v, PCIE_EXT_CAP_HDR, NEXT, next);
}

static uint32_t dvsec_header1(unsigned rev, unsigned len)
{
    uint32_t v = 0;

    v = FIELD_DP32(v, DVSEC_HDR1, VENDOR, CXL_VENDOR_ID);
    v = FIELD_DP32(v, DVSEC_HDR1, REV, rev);
    return FIELD_DP32(v, DVSEC_HDR1, LEN, len);
}

static void init_device_dvsec(CXLAccel *a)
{
    uint8_t *c = a->cfg, *w = a->cfg_wmask;
    uint64_t size = a->opts.mem_size;
    uint16_t cap = 0, ctrl = 0, ctrl_wmask, ctrl2_wmask;
    uint32_t size_lo = 0, cap2 = 0, cap3 = 0;

    set_l(c, DVSEC(0), ext_cap_header(PCI_EXT_CAP_ID_DVSEC,
                                      PCIE_EXT_CAP_DVSEC_VER,
                                      ACCEL_DVSEC_REGLOC_OFFSET));
    set_l(c, DVSEC(PCIE_DVSEC_HEADER1_OFFSET),
          dvsec_header1(PCIE_CXL31_DEVICE_DVSEC_REVID,
                        PCIE_CXL_DEVICE_DVSEC_LENGTH));
    set_w(c, DVSEC(PCIE_DVSEC_ID_OFFSET), PCIE_CXL_DEVICE_DVSEC);

    cap = FIELD_DP32(cap, CXL_DVSEC_CAP, IO_CAPABLE, 1);
    cap = FIELD_DP32(cap, CXL_DVSEC_CAP, MEM_CAPABLE, 1);
    cap = FIELD_DP32(cap, CXL_DVSEC_CAP, HDM_COUNT, 1);
    cap = FIELD_DP32(cap, CXL_DVSEC_CAP, CXL_RESET_CAPABLE,
                     a->opts.fault != ACCEL_FAULT_NO_CXL_RESET);
    if (a->opts.cache_capable) {
        cap = FIELD_DP32(cap, CXL_DVSEC_CAP, CACHE_CAPABLE, 1);
        cap = FIELD_DP32(cap, CXL_DVSEC_CAP, CACHE_WBI_CAPABLE, 1);
    }
    set_w(c, DVSEC(CXL_DVSEC_CAP), cap);

    /* Firmware enabled CXL.io and CXL.mem (and CXL.cache if capable) */
    ctrl = FIELD_DP32(ctrl, CXL_DVSEC_CTRL, IO_ENABLE, 1);
    ctrl = FIELD_DP32(ctrl, CXL_DVSEC_CTRL, MEM_ENABLE,
                      a->opts.firmware_committed);
    ctrl = FIELD_DP32(ctrl, CXL_DVSEC_CTRL, CACHE_ENABLE,
                      a->opts.cache_capable && a->opts.firmware_committed);
    set_w(c, DVSEC(CXL_DVSEC_CTRL), ctrl);
    set_w(c, DVSEC(CXL_DVSEC_CAP2), cap2);
    set_w(c, DVSEC(CXL_DVSEC_CAP3), cap3);

    /*
     * Control is RWL: IO_Enable is held at 1 (not writable), bits 13 and
     * 15 are RsvdP, bit 12 is reserved without P2P_Mem_Capable.
     */
    ctrl_wmask = UINT16_MAX & ~(R_CXL_DVSEC_CTRL_IO_ENABLE_MASK |
                                R_CXL_DVSEC_CTRL_RSVDP13_MASK |
                                R_CXL_DVSEC_CTRL_RSVDP15_MASK);
    if (!FIELD_EX32(cap3, CXL_DVSEC_CAP3, P2P_MEM_CAPABLE)) {
        ctrl_wmask &= ~R_CXL_DVSEC_CTRL_P2P_MEM_ENABLE_MASK;
    }
    set_w(w, DVSEC(CXL_DVSEC_CTRL), ctrl_wmask);

    /* Status: Viral_Status is RW1CS, everything else RsvdZ */
    set_w(a->cfg_w1cmask, DVSEC(CXL_DVSEC_STATUS),
          R_CXL_DVSEC_STATUS_VIRAL_MASK);

    /* Control2: [15:6] RsvdP; bits 4 and 5 RsvdP unless capable */
    ctrl2_wmask = R_CXL_DVSEC_CTRL2_DISABLE_CACHING_MASK |
                  R_CXL_DVSEC_CTRL2_INITIATE_WBI_MASK |
                  R_CXL_DVSEC_CTRL2_INITIATE_CXL_RESET_MASK |
                  R_CXL_DVSEC_CTRL2_RESET_MEM_CLR_EN_MASK;
    if (FIELD_EX32(cap3, CXL_DVSEC_CAP3, VOLATILE_HDM_CONFIGURABILITY)) {
        ctrl2_wmask |= R_CXL_DVSEC_CTRL2_DESIRED_VOLATILE_HDM_MASK;
        set_w(a->cfg_w1cmask, DVSEC(CXL_DVSEC_STATUS2),
              R_CXL_DVSEC_STATUS2_VOLATILE_HDM_PRES_ERR_MASK);
    }
    if (FIELD_EX32(cap2, CXL_DVSEC_CAP2, MOD_COMPLETION_CAPABLE)) {
        ctrl2_wmask |= R_CXL_DVSEC_CTRL2_MOD_COMPLETION_EN_MASK;
    }
    set_w(w, DVSEC(CXL_DVSEC_CTRL2), ctrl2_wmask);

    /* Lock: RWO bit 0, [15:1] RsvdP */
    set_w(w, DVSEC(CXL_DVSEC_LOCK), R_CXL_DVSEC_LOCK_CONFIG_LOCK_MASK);

    /* Range 1 reports the device memory, valid and active (media ready) */
    size_lo = FIELD_DP32(size_lo, CXL_DVSEC_RANGE_SIZE_LO, MEM_INFO_VALID, 1);
    size_lo = FIELD_DP32(size_lo, CXL_DVSEC_RANGE_SIZE_LO, MEM_ACTIVE, 1);
    size_lo |= (uint32_t)size & R_CXL_DVSEC_RANGE_SIZE_LO_SIZE_LOW_MASK;
    set_l(c, DVSEC(CXL_DVSEC_R1_SIZE_HI), size >> 32);
    set_l(c, DVSEC(CXL_DVSEC_R1_SIZE_LO), size_lo);

    /*
     * Firmware programmed Range 1 Base with the host physical address it
     * placed the memory at, as the decoders; a VMM must not show it.
     */
    if (a->opts.firmware_committed) {
        set_l(c, DVSEC(CXL_DVSEC_R1_BASE_HI), ACCEL_FW_HOST_BASE >> 32);
        set_l(c, DVSEC(CXL_DVSEC_R1_BASE_LO), (uint32_t)ACCEL_FW_HOST_BASE);
    }

    /* Range bases are kept as written; Base Low [27:0] reads 0 */
    set_l(w, DVSEC(CXL_DVSEC_R1_BASE_HI), UINT32_MAX);
    set_l(w, DVSEC(CXL_DVSEC_R1_BASE_LO),
          R_CXL_DVSEC_RANGE_BASE_LO_BASE_LOW_MASK);
    set_l(w, DVSEC(CXL_DVSEC_R2_BASE_HI), UINT32_MAX);
    set_l(w, DVSEC(CXL_DVSEC_R2_BASE_LO),
          R_CXL_DVSEC_RANGE_BASE_LO_BASE_LOW_MASK);
}

static void init_regloc_dvsec(CXLAccel *a)
{
    unsigned base = ACCEL_DVSEC_REGLOC_OFFSET;
    unsigned entry = base + CXL_REGLOC_ENTRIES_OFFSET;
    uint64_t off = accel_block_offset(a);
    uint32_t lo = 0;

    set_l(a->cfg, base, ext_cap_header(PCI_EXT_CAP_ID_DVSEC,
                                       PCIE_EXT_CAP_DVSEC_VER,
                                       ACCEL_DVSEC_FLEXBUS_OFFSET));
    set_l(a->cfg, base + PCIE_DVSEC_HEADER1_OFFSET,
          dvsec_header1(REG_LOC_DVSEC_REVID, ACCEL_REGLOC_LENGTH));
    set_w(a->cfg, base + PCIE_DVSEC_ID_OFFSET, REG_LOC_DVSEC);

    lo = FIELD_DP32(lo, CXL_REGLOC_LO, BIR, ACCEL_REG_BAR);
    lo = FIELD_DP32(lo, CXL_REGLOC_LO, BLOCK_ID, CXL_REGLOC_BLOCK_COMPONENT);
    lo |= (uint32_t)off & R_CXL_REGLOC_LO_OFFSET_LOW_MASK;
    set_l(a->cfg, entry, lo);
    set_l(a->cfg, entry + 4, off >> 32);
}

/*
 * The link came up in CXL mode with CXL.io and CXL.mem, and CXL.cache on a
 * Cache_Capable device: Control holds what was enabled for training and
 * Status what was negotiated. All read-only here, as training is over.
 */
static void init_flexbus_dvsec(CXLAccel *a)
{
    unsigned base = ACCEL_DVSEC_FLEXBUS_OFFSET;
    uint16_t v = 0;

    set_l(a->cfg, base, ext_cap_header(PCI_EXT_CAP_ID_DVSEC,
                                       PCIE_EXT_CAP_DVSEC_VER,
                                       ACCEL_DSN_OFFSET));
    set_l(a->cfg, base + PCIE_DVSEC_HEADER1_OFFSET,
          dvsec_header1(PCIE_CXL3_FLEXBUS_PORT_DVSEC_REVID,
                        PCIE_CXL3_FLEXBUS_PORT_DVSEC_LENGTH));
    set_w(a->cfg, base + PCIE_DVSEC_ID_OFFSET, PCIE_FLEXBUS_PORT_DVSEC);

    v = FIELD_DP32(v, CXL_FLEXBUS, IO, 1);
    v = FIELD_DP32(v, CXL_FLEXBUS, MEM, 1);
    v = FIELD_DP32(v, CXL_FLEXBUS, CACHE, a->opts.cache_capable);
    v = FIELD_DP32(v, CXL_FLEXBUS, FLIT68_VH, 1);
    set_w(a->cfg, base + CXL_FLEXBUS_CAP, v);
    set_w(a->cfg, base + CXL_FLEXBUS_CTRL, v);
    set_w(a->cfg, base + CXL_FLEXBUS_STATUS, v);
}

static void init_dsn(CXLAccel *a)
{
    set_l(a->cfg, ACCEL_DSN_OFFSET, ext_cap_header(PCI_EXT_CAP_ID_DSN,
                                                   PCIE_EXT_CAP_DSN_VER, 0));
    set_l(a->cfg, ACCEL_DSN_OFFSET + PCIE_DSN_LOWER, (uint32_t)a->opts.serial);
    set_l(a->cfg, ACCEL_DSN_OFFSET + PCIE_DSN_UPPER, a->opts.serial >> 32);
}

void accel_config_init(CXLAccel *a)
{
    memset(a->cfg, 0, sizeof(a->cfg));
    memset(a->cfg_wmask, 0, sizeof(a->cfg_wmask));
    memset(a->cfg_w1cmask, 0, sizeof(a->cfg_w1cmask));
    init_header(a);
    init_pcie_cap(a);
    init_pm_cap(a);
    init_device_dvsec(a);
    init_regloc_dvsec(a);
    init_flexbus_dvsec(a);
    init_dsn(a);
}

void accel_config_raise_viral(CXLAccel *a)
{
    uint16_t st = get_w(a->cfg, DVSEC(CXL_DVSEC_STATUS));

    set_w(a->cfg, DVSEC(CXL_DVSEC_STATUS), st | R_CXL_DVSEC_STATUS_VIRAL_MASK);
}

/*
 * Exposed as CXL, the part [*@start, *@end) of a config access at @off of
 * @len bytes that is the CXL Device DVSEC; false if none is.
 */
static bool dvsec_part(const CXLAccel *a, uint64_t off, size_t len,
                       uint64_t *start, uint64_t *end)
{
    *start = MAX(off, (uint64_t)DVSEC(0));
    *end = MIN(off + len, (uint64_t)DVSEC(CXL_VDVSEC_SIZE));
    return accel_cxl_exposed(a) && *start < *end;
}

int accel_config_read(CXLAccel *a, uint64_t off, void *buf, size_t len)
{
    uint64_t start, end;

    if (off > ACCEL_CFG_SIZE || len > ACCEL_CFG_SIZE - off) {
        return -EINVAL;
    }
    memcpy(buf, a->cfg + off, len);
    if (dvsec_part(a, off, len, &start, &end)) {
        cxl_vdvsec_read(&a->vdvsec, start - DVSEC(0),
                        (uint8_t *)buf + (start - off), end - start);
    }
    return 0;
}

void accel_config_view_init(CXLAccel *a)
{
    cxl_vdvsec_init(&a->vdvsec, a->cfg + DVSEC(0), accel_v5(a));
}

/*
 * ---- What the device does with a Control2 write ----------------------
 *
 * The device's own behaviour, not the kernel's: the client reaches it
 * through cxl_dvsec.c's rules when exposed as CXL, directly otherwise.
 * Disable Caching is kept; Initiate WBI starts a write-back (accel-cache.c
 * completes it as the device runs); Initiate CXL Reset resets CXL.mem
 * (@fx) where the device can. Both Initiate bits read back 0.
 */
static void device_ctrl2_write(CXLAccel *a, uint16_t v, AccelConfigEffects *fx)
{
    uint16_t st2 = get_w(a->cfg, DVSEC(CXL_DVSEC_STATUS2));

    if (v & R_CXL_DVSEC_CTRL2_INITIATE_WBI_MASK) {
        a->wbi_count++;
        a->wbi_pending = a->opts.cache_capable;
    }
    if (v & R_CXL_DVSEC_CTRL2_INITIATE_CXL_RESET_MASK) {
        st2 &= ~(R_CXL_DVSEC_STATUS2_CXL_RESET_COMPLETE_MASK |
                 R_CXL_DVSEC_STATUS2_CXL_RESET_ERROR_MASK);
        a->cxl_reset_count++;
        if (!FIELD_EX32(get_w(a->cfg, DVSEC(CXL_DVSEC_CAP)),
                        CXL_DVSEC_CAP, CXL_RESET_CAPABLE)) {
            st2 |= R_CXL_DVSEC_STATUS2_CXL_RESET_ERROR_MASK;
        } else {
            /* CXL r3.1 9.7: the model resets the HDM decoders (@fx) */
            fx->cxl_reset = true;
            st2 |= R_CXL_DVSEC_STATUS2_CXL_RESET_COMPLETE_MASK;
        }
    }
    set_w(a->cfg, DVSEC(CXL_DVSEC_STATUS2), st2);
    set_w(a->cfg, DVSEC(CXL_DVSEC_CTRL2),
          v & ~(R_CXL_DVSEC_CTRL2_INITIATE_WBI_MASK |
                R_CXL_DVSEC_CTRL2_INITIATE_CXL_RESET_MASK));
    if (dvsec_locked(a)) {
        set_w(a->cfg_wmask, DVSEC(CXL_DVSEC_LOCK), 0);
    }
}

/* Exposed as CXL: the client's DVSEC bytes through cxl_dvsec.c */
static void dvsec_view_write(CXLAccel *a, uint64_t start, uint64_t end,
                             const uint8_t *val, AccelConfigEffects *fx)
{
    struct cxl_vdvsec_hw hw;
    uint16_t v;

    cxl_vdvsec_write(&a->vdvsec, start - DVSEC(0), val, end - start, &hw);
    if (hw.ctrl2) {
        v = get_w(a->cfg, DVSEC(CXL_DVSEC_CTRL2)) &
            ~R_CXL_DVSEC_CTRL2_DISABLE_CACHING_MASK;
        device_ctrl2_write(a, v | hw.ctrl2_val, fx);
    }
    set_w(a->cfg, DVSEC(CXL_DVSEC_STATUS),
          get_w(a->cfg, DVSEC(CXL_DVSEC_STATUS)) & ~hw.status_w1c);
    set_w(a->cfg, DVSEC(CXL_DVSEC_STATUS2),
          get_w(a->cfg, DVSEC(CXL_DVSEC_STATUS2)) & ~hw.status2_w1c);
}

int accel_config_store(CXLAccel *a, uint64_t off, const void *buf,
                       size_t len, AccelConfigEffects *fx)
{
    const uint8_t *val = buf;
    unsigned devctl_hi = ACCEL_PCIE_CAP_OFFSET + PCI_EXP_DEVCTL + 1;
    bool flr = false, view, ctrl2 = false;
    uint64_t start, end;
    size_t i;

    if (off > ACCEL_CFG_SIZE || len > ACCEL_CFG_SIZE - off) {
        return -EINVAL;
    }
    view = dvsec_part(a, off, len, &start, &end);
    for (i = 0; i < len; i++) {
        uint64_t addr = off + i;
        uint8_t wmask = a->cfg_wmask[addr];
        uint8_t w1c = a->cfg_w1cmask[addr];

        if (addr == ACCEL_PM_CAP_OFFSET + PCI_PM_CTRL) {
            pm_write(a, val[i]);
            continue;
        }
        if (view && addr >= start && addr < end) {
            continue;
        }
        /* The device's Control is read-only after CONFIG_LOCK */
        if (addr >= DVSEC(CXL_DVSEC_CTRL) && addr < DVSEC(CXL_DVSEC_CTRL) + 2 &&
            dvsec_locked(a)) {
            continue;
        }
        ctrl2 |= addr >= DVSEC(CXL_DVSEC_CTRL2) &&
                 addr < DVSEC(CXL_DVSEC_CTRL2) + 2;
        a->cfg[addr] = (a->cfg[addr] & ~wmask) | (val[i] & wmask);
        a->cfg[addr] &= ~(val[i] & w1c);
        /*
         * The FLR bit is not stored: it always reads 0. Without FLR in
         * DevCap, as the kernel's vfio-pci, nothing happens.
         */
        if (addr == devctl_hi && (val[i] << 8) & PCI_EXP_DEVCTL_BCR_FLR &&
            a->opts.fault != ACCEL_FAULT_NO_FLR) {
            flr = true;
        }
    }
    if (view) {
        dvsec_view_write(a, start, end, val + (start - off), fx);
    } else if (ctrl2) {
        device_ctrl2_write(a, get_w(a->cfg, DVSEC(CXL_DVSEC_CTRL2)), fx);
    }
    fx->flr = flr;
    return 0;
}
