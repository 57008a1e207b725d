/*
 * CXL Type-2 device passthrough in vfio-pci and vfio-user-pci.
 *
 * The device glue, modelled on the IGD and quirk code: pci.c only calls
 * the vfio_pci_cxl_*() hooks. The kernel or the vfio-user server describes
 * the device with the CXL device info capability (parsed in cxl-uapi.c);
 * the transport is hidden behind VFIODeviceIOOps. What QEMU does with it:
 *
 * - the device memory region is mmapped and becomes a RAM-device
 *   MemoryRegion, which the guest sees only inside the CXL Fixed Memory
 *   Window that targets the device's host bridge (cxl-window.c);
 * - the CXL.cachemem part of the component register BAR is covered by an
 *   overlay: the HDM Decoder Capability is QEMU's own model (cxl-hdm.c),
 *   which decides what of the device memory is mapped where; the rest of
 *   CXL.cachemem is forwarded to the COMP_REGS region; the rest of the BAR
 *   is mapped as usual (sparse mmap);
 * - with cxl-decoders=firmware (the default), at machine_done the decoders
 *   the host committed are placed at the window address in DPA order and
 *   committed and locked, as firmware would on bare metal, and the host
 *   bridge decoders are set to match; resets put that state back;
 * - with cxl-decoders=guest, the decoders come up uncommitted and the
 *   guest commits them; the device then has its window and host bridge to
 *   itself, and resets (a guest FLR too) return the decoders to their
 *   reset values;
 * - the CXL Device DVSEC's Range Base registers are QEMU's: guest
 *   addresses (the placed window address in firmware mode), never the
 *   host's; while HDM Decoder Enable is clear they decide what decodes;
 * - after every reset the host's decoders are read again: if the reset
 *   cleared them, the host no longer backs the memory (the kernel marks it
 *   inactive), and nothing is mapped until a reset finds them committed;
 * - a guest's CXL Reset (DVSEC Control2) is performed by QEMU, never
 *   forwarded: cache write-back, the device reset through VFIO, the
 *   decoders as after any reset, then Status2 CXL Reset Complete;
 * - a Cache_Capable device writes its cache back before every reset QEMU
 *   triggers (cxl-cache.c);
 * - migration is blocked, in every mode (CPR too).
 *
 * Copyright (c) 2026 QEMU CXL Type-2 team
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qemu/error-report.h"
#include "qemu/log.h"
#include "qemu/timer.h"
#include "qemu/target-info-qapi.h"
#include "hw/qdev-core.h"
#include "hw/cxl/cxl-dvsec-layout.h"
#include "migration/blocker.h"
#include "system/kvm.h"
#include "system/reset.h"
#include "system/system.h"
#include "qemu/range.h"
#include "standard-headers/linux/pci_regs.h"
#include "hw/vfio/cxl-uapi.h"
#include "pci.h"
#include "cxl.h"
#include "cxl-cache.h"
#include "cxl-hdm.h"
#include "cxl-kvm.h"
#include "cxl-query.h"
#include "cxl-window.h"
#include "trace.h"

/* PMCSR PowerState of D0 (PCI PM 1.2 7.3) */
#define VFIO_CXL_PM_D0              0

/* How often a guest's CXL Reset polls the cache write-back before it */
#define VFIO_CXL_WBI_POLL_NS        (1 * SCALE_MS)

/* Refused guest commits logged per device; the trace event sees all. */
#define VFIO_CXL_REFUSALS_LOGGED    10

/*
 * CXL.cachemem registers whose status bits are write-1-to-clear: a
 * sub-dword guest write must not write 1s back to the other bytes.
 * RAS Capability (CXL r3.1 8.2.4.17): Uncorrectable and Correctable Error
 * Status are RW1CS.
 */
#define VFIO_CXL_RAS_UNC_ERR_STATUS 0x0
#define VFIO_CXL_RAS_COR_ERR_STATUS 0xc

static const struct {
    uint16_t cap_id;
    uint16_t offset;        /* from the capability's pointer */
} vfio_cxl_rw1c_regs[] = {
    { CXL_CAP_ID_RAS, VFIO_CXL_RAS_UNC_ERR_STATUS },
    { CXL_CAP_ID_RAS, VFIO_CXL_RAS_COR_ERR_STATUS },
};

/* RW1C dwords kept per device; a sane array lists the RAS cap once */
#define VFIO_CXL_RW1C_MAX           8

/* Status2 bits QEMU reports for a CXL Reset it performed */
#define VFIO_CXL_STATUS2_RESET_BITS \
    (R_CXL_DVSEC_STATUS2_CXL_RESET_COMPLETE_MASK | \
     R_CXL_DVSEC_STATUS2_CXL_RESET_ERROR_MASK)

struct VFIOCXL {
    VFIOPCIDevice *vdev;
    VFIOCXLDesc desc;
    bool guest_decoders;        /* cxl-decoders=guest */
    unsigned host_committed;    /* decoders 0..n-1 committed by the host */
    VFIOCXLHostDecoder host_dec[CXL_HDM_MAX_DECODERS];
    VFIOCXLHDM hdm;             /* the decoders as the guest sees them */
    unsigned refusals;
    VFIORegion mem;             /* device memory, mmapped */
    MemoryRegion regs;          /* overlay of CXL.cachemem in the BAR */
    MemoryRegion *bar_mr;       /* where the overlay sits */
    VFIOCXLWindowClaim claim;
    Notifier machine_done;
    bool machine_done_pending;
    bool placed;                /* decoders placed, memory mapped */
    bool host_inactive;         /* the host's decoders are gone: map nothing */
    int dmabuf_fd;              /* v5 with iommufd: what iommufd maps, or -1 */
    bool inactive_logged;       /* a refused commit logged this time */
    Error *migration_blocker;
    /* COMP_REGS dwords whose bits are write-1-to-clear */
    uint32_t rw1c[VFIO_CXL_RW1C_MAX];
    unsigned nr_rw1c;
    /* The CXL Device DVSEC (0: none), Control2 across a reset */
    uint32_t dvsec;
    bool cxl_reset_capable;
    bool cache_capable;
    uint16_t saved_ctrl2;
    bool written_back;          /* by QEMU, before the reset in progress */
    /*
     * A guest's CXL Reset waiting for the cache write-back before it: a
     * timer polls Status2 until Cache Invalid or the deadline.
     */
    QEMUTimer *wbi_timer;
    int64_t wbi_deadline;       /* QEMU_CLOCK_VIRTUAL, ns */
    bool cxl_reset_pending;
    Notifier exit;
    /* The CXL Device DVSEC's Range registers, emulated */
    unsigned ranges;            /* 0 (none), or the DVSEC's HDM_Count */
    uint64_t range_size[VFIO_CXL_DVSEC_RANGES];
    /* The KVM decision, for x-query-cxl-passthrough */
    VFIOCXLAccel accel;
    bool pfnmap;
    int kvm_cap;
    VFIOCXLKVMVerdict verdict;
};

static const char *vfio_cxl_name(VFIOCXL *cxl)
{
    return cxl->vdev->vbasedev.name;
}

/* The COMP_REGS region: dword accesses through the transport */

static bool vfio_cxl_regs_read(void *opaque, uint32_t offset, uint32_t *val,
                               Error **errp)
{
    VFIOCXL *cxl = opaque;
    VFIODevice *vbasedev = &cxl->vdev->vbasedev;
    uint32_t le;
    int ret;

    if (offset % 4 || offset > cxl->desc.regs_size - 4) {
        error_setg(errp, "COMP_REGS offset 0x%x is out of range", offset);
        return false;
    }
    ret = vbasedev->io_ops->region_read(vbasedev, cxl->desc.regs_index,
                                        offset, sizeof(le), &le);
    if (ret != sizeof(le)) {
        error_setg(errp, "reading COMP_REGS at 0x%x failed: %s", offset,
                   ret < 0 ? strerror(-ret) : "short read");
        return false;
    }
    *val = le32_to_cpu(le);
    trace_vfio_cxl_regs_read(vbasedev->name, offset,
                             vfio_cxl_regs_traceable(&cxl->desc, offset,
                                                     *val));
    return true;
}

static bool vfio_cxl_regs_write(void *opaque, uint32_t offset, uint32_t val,
                                Error **errp)
{
    VFIOCXL *cxl = opaque;
    VFIODevice *vbasedev = &cxl->vdev->vbasedev;
    uint32_t le = cpu_to_le32(val);
    int ret;

    if (offset % 4 || offset > cxl->desc.regs_size - 4) {
        error_setg(errp, "COMP_REGS offset 0x%x is out of range", offset);
        return false;
    }
    trace_vfio_cxl_regs_write(vbasedev->name, offset,
                              vfio_cxl_regs_traceable(&cxl->desc, offset,
                                                      val));
    ret = vbasedev->io_ops->region_write(vbasedev, cxl->desc.regs_index,
                                         offset, sizeof(le), &le, false);
    if (ret != sizeof(le)) {
        error_setg(errp, "writing COMP_REGS at 0x%x failed: %s", offset,
                   ret < 0 ? strerror(-ret) : "short write");
        return false;
    }
    return true;
}

/*
 * The overlay of the BAR's CXL.cachemem area: the HDM Decoder Capability
 * is the model's, everything else goes to COMP_REGS.
 */

static bool vfio_cxl_in_hdm(VFIOCXL *cxl, hwaddr addr)
{
    return addr >= cxl->desc.hdm_offset &&
           addr - cxl->desc.hdm_offset < vfio_cxl_hdm_block_size(&cxl->hdm);
}

static bool vfio_cxl_is_rw1c(VFIOCXL *cxl, uint32_t dword)
{
    unsigned i;

    for (i = 0; i < cxl->nr_rw1c; i++) {
        if (cxl->rw1c[i] == dword) {
            return true;
        }
    }
    return false;
}

/* The RW1C registers, from the capability header array (CXL r3.1 8.2.4) */
static bool vfio_cxl_find_rw1c(VFIOCXL *cxl, Error **errp)
{
    uint32_t hdr, entry, n, count, off;
    unsigned i;

    if (!vfio_cxl_regs_read(cxl, 0, &hdr, errp)) {
        return false;
    }
    count = MIN(FIELD_EX32(hdr, CXL_CAP_ARRAY_HDR, ARRAY_SIZE),
                cxl->desc.regs_size / 4 - 1);
    for (n = 1; n <= count; n++) {
        if (!vfio_cxl_regs_read(cxl, 4 * n, &entry, errp)) {
            return false;
        }
        for (i = 0; i < ARRAY_SIZE(vfio_cxl_rw1c_regs); i++) {
            if (FIELD_EX32(entry, CXL_CAP_HDR, ID) !=
                vfio_cxl_rw1c_regs[i].cap_id) {
                continue;
            }
            off = FIELD_EX32(entry, CXL_CAP_HDR, PTR) +
                  vfio_cxl_rw1c_regs[i].offset;
            /* Where the model answers, or outside COMP_REGS: not ours */
            if (off % 4 || off > cxl->desc.regs_size - 4 ||
                vfio_cxl_in_hdm(cxl, off) || vfio_cxl_is_rw1c(cxl, off) ||
                cxl->nr_rw1c == VFIO_CXL_RW1C_MAX) {
                continue;
            }
            trace_vfio_cxl_rw1c(vfio_cxl_name(cxl), off);
            cxl->rw1c[cxl->nr_rw1c++] = off;
        }
    }
    return true;
}

static uint64_t vfio_cxl_regs_mr_read(void *opaque, hwaddr addr,
                                      unsigned size)
{
    VFIOCXL *cxl = opaque;
    Error *err = NULL;
    uint32_t val;
    uint64_t data;

    if (vfio_cxl_in_hdm(cxl, addr)) {
        data = vfio_cxl_hdm_read(&cxl->hdm, addr - cxl->desc.hdm_offset,
                                 size);
    } else if (vfio_cxl_regs_read(cxl, addr & ~3ULL, &val, &err)) {
        /* Sub-dword reads: COMP_REGS only takes dwords, take the bytes. */
        data = extract32(val, (addr & 3) * 8, size * 8);
    } else {
        trace_vfio_cxl_overlay_error(vfio_cxl_name(cxl), addr,
                                     error_get_pretty(err));
        error_free(err);
        return MAKE_64BIT_MASK(0, size * 8);
    }
    trace_vfio_cxl_overlay_read(vfio_cxl_name(cxl), addr, size, data);
    return data;
}

static void vfio_cxl_regs_mr_write(void *opaque, hwaddr addr, uint64_t data,
                                   unsigned size)
{
    VFIOCXL *cxl = opaque;
    hwaddr dword = addr & ~3ULL;
    Error *err = NULL;
    uint32_t val = data;

    trace_vfio_cxl_overlay_write(vfio_cxl_name(cxl), addr, size, data);
    if (vfio_cxl_in_hdm(cxl, addr)) {
        vfio_cxl_hdm_write(&cxl->hdm, addr - cxl->desc.hdm_offset, data,
                           size);
        return;
    }
    if (size < 4 && vfio_cxl_is_rw1c(cxl, dword)) {
        /*
         * COMP_REGS takes dwords only: write 0s, which change nothing, to
         * the bytes of a write-1-to-clear register the guest left out.
         */
        val = deposit32(0, (addr & 3) * 8, size * 8, data);
    } else if (size < 4) {
        /* Sub-dword writes: read-modify-write the dword. */
        if (!vfio_cxl_regs_read(cxl, dword, &val, &err)) {
            goto fail;
        }
        val = deposit32(val, (addr & 3) * 8, size * 8, data);
    }
    if (vfio_cxl_regs_write(cxl, dword, val, &err)) {
        return;
    }
fail:
    trace_vfio_cxl_overlay_error(vfio_cxl_name(cxl), addr,
                                 error_get_pretty(err));
    error_free(err);
}

static const MemoryRegionOps vfio_cxl_regs_ops = {
    .read = vfio_cxl_regs_mr_read,
    .write = vfio_cxl_regs_mr_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = {
        .min_access_size = 1,
        .max_access_size = 8,
    },
    .impl = {
        .min_access_size = 1,
        .max_access_size = 4,
    },
};

/* What the decoder model decides */

static void vfio_cxl_hdm_map(void *opaque, unsigned n, uint64_t base,
                             uint64_t dpa, uint64_t size)
{
    VFIOCXL *cxl = opaque;

    trace_vfio_cxl_decoder_map(vfio_cxl_name(cxl), n, base, dpa, size);
    vfio_cxl_window_map_part(&cxl->claim, n, cxl->mem.mem, dpa, base, size);
}

static void vfio_cxl_hdm_unmap(void *opaque, unsigned n)
{
    VFIOCXL *cxl = opaque;

    trace_vfio_cxl_decoder_unmap(vfio_cxl_name(cxl), n);
    vfio_cxl_window_unmap_part(&cxl->claim, n);
}

static void vfio_cxl_hdm_refused(void *opaque, unsigned n,
                                 VFIOCXLHDMRule rule, uint64_t base,
                                 uint64_t size)
{
    VFIOCXL *cxl = opaque;
    const char *why = vfio_cxl_hdm_rule_str(rule);

    trace_vfio_cxl_decoder_refused(vfio_cxl_name(cxl), n, base, size, why);
    if (rule == VFIO_CXL_HDM_RULE_HOST_INACTIVE) {
        /* Once per inactive period: the guest may well retry */
        if (!cxl->inactive_logged) {
            qemu_log_mask(LOG_GUEST_ERROR, "vfio %s: HDM decoder %u commit "
                          "at 0x%" PRIx64 " size 0x%" PRIx64 " refused: %s\n",
                          vfio_cxl_name(cxl), n, base, size, why);
            cxl->inactive_logged = true;
        }
        return;
    }
    if (cxl->refusals < VFIO_CXL_REFUSALS_LOGGED) {
        qemu_log_mask(LOG_GUEST_ERROR, "vfio %s: HDM decoder %u %s at "
                      "0x%" PRIx64 " size 0x%" PRIx64 " refused: %s%s\n",
                      vfio_cxl_name(cxl), n,
                      rule == VFIO_CXL_HDM_RULE_UNCOMMIT_ORDER ?
                      "uncommit" : "commit", base, size, why,
                      cxl->refusals + 1 == VFIO_CXL_REFUSALS_LOGGED ?
                      " (further refusals are not logged)" : "");
    }
    cxl->refusals++;
}

static const VFIOCXLHDMOps vfio_cxl_hdm_ops = {
    .map = vfio_cxl_hdm_map,
    .unmap = vfio_cxl_hdm_unmap,
    .refused = vfio_cxl_hdm_refused,
};

/*
 * The CXL Device DVSEC's Range registers (CXL r3.1 8.1.3.8). The device
 * (the v2 kernel's config shadow) reports the host's physical addresses in
 * Range Base; the guest must read guest addresses that agree with where
 * QEMU placed the memory, and, while HDM Decoder Enable is clear, they say
 * what the device decodes. So Range Base is emulated in vfio-pci's config
 * space (emulated_config_bits): firmware mode shows the window address
 * firmware would have programmed, guest mode what the guest wrote (reset
 * 0). Range Size, Control (Mem_Enable) and Lock come from the device.
 */

static uint32_t vfio_cxl_range_reg(unsigned r, uint32_t reg)
{
    return reg + r * CXL_DVSEC_RANGE_STRIDE;
}

/* Tell the decoder model what the guest-visible DVSEC says now. */
static void vfio_cxl_dvsec_sync(VFIOCXL *cxl)
{
    PCIDevice *pdev = PCI_DEVICE(cxl->vdev);
    uint64_t base[VFIO_CXL_DVSEC_RANGES] = { 0 };
    uint32_t off = cxl->dvsec;
    bool mem_enable;
    unsigned r;

    if (!cxl->ranges || !cxl->placed) {
        return;
    }
    mem_enable = FIELD_EX32(vfio_pci_read_config(pdev, off + CXL_DVSEC_CTRL,
                                                 2),
                            CXL_DVSEC_CTRL, MEM_ENABLE);
    for (r = 0; r < cxl->ranges; r++) {
        base[r] = pci_get_long(pdev->config + off +
                               vfio_cxl_range_reg(r, CXL_DVSEC_R1_BASE_LO)) |
                  (uint64_t)pci_get_long(pdev->config + off +
                                         vfio_cxl_range_reg(r,
                                             CXL_DVSEC_R1_BASE_HI)) << 32;
    }
    trace_vfio_cxl_dvsec(vfio_cxl_name(cxl), mem_enable, base[0], base[1]);
    vfio_cxl_hdm_set_dvsec(&cxl->hdm, mem_enable, base, cxl->range_size);
}

/* Range Base at its reset (guest mode) or firmware (placed) value */
static void vfio_cxl_dvsec_reset(VFIOCXL *cxl)
{
    PCIDevice *pdev = PCI_DEVICE(cxl->vdev);
    uint64_t base = vfio_cxl_window_gpa(&cxl->claim);
    unsigned r;

    for (r = 0; r < cxl->ranges; r++) {
        uint32_t at = cxl->dvsec +
                      vfio_cxl_range_reg(r, CXL_DVSEC_R1_BASE_HI);
        uint64_t val = cxl->guest_decoders ? 0 : base;

        pci_set_long(pdev->config + at, val >> 32);
        pci_set_long(pdev->config + at + 4, (uint32_t)val);
        base += cxl->range_size[r];
    }
    vfio_cxl_dvsec_sync(cxl);
}

/* Emulate Range Base; read the HwInit Range Size once. */
static void vfio_cxl_dvsec_setup(VFIOCXL *cxl)
{
    VFIOPCIDevice *vdev = cxl->vdev;
    PCIDevice *pdev = PCI_DEVICE(vdev);
    uint32_t off = cxl->dvsec;     /* found by vfio_cxl_describe() */
    unsigned r;

    if (!off || off + PCIE_CXL_DEVICE_DVSEC_LENGTH > pci_config_size(pdev)) {
        /* Nothing to emulate: no range decodes without HDM Decoder Enable */
        trace_vfio_cxl_dvsec_none(vfio_cxl_name(cxl), off ?
                                  "beyond config space" :
                                  "no CXL Device DVSEC");
        return;
    }
    cxl->ranges = FIELD_EX32(vfio_pci_read_config(pdev, off + CXL_DVSEC_CAP,
                                                  2),
                             CXL_DVSEC_CAP, HDM_COUNT) == 2 ? 2 : 1;
    for (r = 0; r < cxl->ranges; r++) {
        uint32_t hi = vfio_pci_read_config(pdev, off +
                          vfio_cxl_range_reg(r, CXL_DVSEC_R1_SIZE_HI), 4);
        uint32_t lo = vfio_pci_read_config(pdev, off +
                          vfio_cxl_range_reg(r, CXL_DVSEC_R1_SIZE_LO), 4);
        uint32_t at = off + vfio_cxl_range_reg(r, CXL_DVSEC_R1_BASE_HI);

        cxl->range_size[r] = (uint64_t)hi << 32 |
                             (lo & R_CXL_DVSEC_RANGE_SIZE_LO_SIZE_LOW_MASK);
        /* Base High and Base Low: all QEMU's; Base Low [27:0] reads 0 */
        pci_set_quad(vdev->emulated_config_bits + at, UINT64_MAX);
        pci_set_long(pdev->wmask + at, UINT32_MAX);
        pci_set_long(pdev->wmask + at + 4,
                     R_CXL_DVSEC_RANGE_BASE_LO_BASE_LOW_MASK);
    }
    vfio_cxl_dvsec_reset(cxl);
}

/*
 * A guest config write, before vfio-pci stores the emulated bytes: Range
 * Base is RWL, read-only once the DVSEC's CONFIG_LOCK is set (CXL r3.1
 * 8.1.3.6); the write lands in pdev->config with the wmask set here, and
 * the model follows.
 */
static void vfio_cxl_dvsec_write(VFIOCXL *cxl, uint32_t addr, uint32_t val,
                                 int len)
{
    PCIDevice *pdev = PCI_DEVICE(cxl->vdev);
    uint32_t off = cxl->dvsec, at;
    bool locked;
    unsigned r;

    if (!cxl->ranges ||
        !ranges_overlap(addr, len, off, PCIE_CXL_DEVICE_DVSEC_LENGTH)) {
        return;
    }
    locked = FIELD_EX32(vfio_pci_read_config(pdev, off + CXL_DVSEC_LOCK, 2),
                        CXL_DVSEC_LOCK, CONFIG_LOCK);
    for (r = 0; r < cxl->ranges; r++) {
        at = off + vfio_cxl_range_reg(r, CXL_DVSEC_R1_BASE_HI);
        pci_set_long(pdev->wmask + at, locked ? 0 : UINT32_MAX);
        pci_set_long(pdev->wmask + at + 4, locked ? 0 :
                     R_CXL_DVSEC_RANGE_BASE_LO_BASE_LOW_MASK);
    }
    /*
     * The written bytes, as pci_default_write_config() stores them after
     * this hook (the DVSEC's other bytes have no wmask).
     */
    for (at = addr; at < addr + len && at < pci_config_size(pdev); at++) {
        uint8_t wm = pdev->wmask[at];

        pdev->config[at] = (pdev->config[at] & ~wm) |
                           (extract32(val, (at - addr) * 8, 8) & wm);
    }
    vfio_cxl_dvsec_sync(cxl);
}

/* Status2 CXL Reset Complete / Error, which QEMU emulates */
static void vfio_cxl_set_reset_status(VFIOCXL *cxl, uint16_t bits)
{
    uint8_t *st2 = PCI_DEVICE(cxl->vdev)->config + cxl->dvsec +
                   CXL_DVSEC_STATUS2;

    pci_set_word(st2, (pci_get_word(st2) & ~VFIO_CXL_STATUS2_RESET_BITS) |
                 bits);
}

/*
 * iommufd on v5: iommufd cannot map the device memory's VM_PFNMAP mmap by
 * address, but it maps a dma-buf of it (IOMMU_IOAS_MAP_FILE), which the
 * kernel exports with VFIO_DEVICE_FEATURE_DMA_BUF. The kernel revokes the
 * dma-buf at every reset: a new one is taken after each, while the memory
 * is out of the address space (the gate is closed), so that the listener
 * maps the new one when it comes back. Returns the fd or -errno.
 */
static int vfio_cxl_dmabuf_get(VFIOCXL *cxl)
{
    VFIODevice *vbasedev = &cxl->vdev->vbasedev;
    g_autofree struct vfio_device_feature *feature = NULL;
    struct vfio_device_feature_dma_buf *dma_buf;
    size_t argsz = sizeof(*feature) + sizeof(*dma_buf) +
                   sizeof(dma_buf->dma_ranges[0]);
    int ret;

    if (!vbasedev->io_ops->device_feature) {
        return -ENOTTY;
    }
    feature = g_malloc0(argsz);
    feature->argsz = argsz;
    feature->flags = VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_DMA_BUF;
    dma_buf = (struct vfio_device_feature_dma_buf *)feature->data;
    dma_buf->region_index = cxl->desc.mem_index;
    dma_buf->open_flags = O_RDWR | O_CLOEXEC;
    dma_buf->nr_ranges = 1;
    dma_buf->dma_ranges[0].offset = 0;
    dma_buf->dma_ranges[0].length = cxl->desc.mem_size;
    ret = vbasedev->io_ops->device_feature(vbasedev, feature);
    trace_vfio_cxl_dmabuf(vfio_cxl_name(cxl), ret);
    return ret;
}

static void vfio_cxl_dmabuf_put(VFIOCXL *cxl)
{
    if (cxl->dmabuf_fd >= 0) {
        close(cxl->dmabuf_fd);
        cxl->dmabuf_fd = -1;
    }
}

/* After a reset, with the memory out of the address space */
static void vfio_cxl_dmabuf_renew(VFIOCXL *cxl)
{
    int fd;

    if (cxl->dmabuf_fd < 0) {
        return;
    }
    vfio_cxl_dmabuf_put(cxl);
    fd = vfio_cxl_dmabuf_get(cxl);
    if (fd < 0) {
        /* The memory then stays out of the IOMMU: the device cannot DMA */
        error_report("vfio %s: CXL Type-2 passthrough after reset: no new "
                     "dma-buf of the device memory for iommufd: %s",
                     vfio_cxl_name(cxl), strerror(-fd));
        return;
    }
    cxl->dmabuf_fd = fd;
}

bool vfio_pci_cxl_get_dma_file(VFIODevice *vbasedev, MemoryRegion *mr,
                               int *fd, uint64_t *offset)
{
    VFIOPCIDevice *vdev = container_of(vbasedev, VFIOPCIDevice, vbasedev);
    VFIOCXL *cxl = vdev->cxl;

    if (!cxl || cxl->dmabuf_fd < 0 || cxl->mem.nr_mmaps != 1 ||
        mr != &cxl->mem.mmaps[0].mem) {
        return false;
    }
    *fd = cxl->dmabuf_fd;
    *offset = cxl->mem.mmaps[0].offset;
    return true;
}

/*
 * The memory gate. The host serves the device memory only while nothing
 * stands in the way, and faults (SIGBUS) a mapping of it otherwise: v5's
 * kernel while the function's Memory Space Enable is clear; any device
 * while it is in D3hot (config space only, PCIe r6 5.3.1.4); and any
 * reset may drop the host's decoders. So QEMU takes the memory out of the
 * guest -- the address space, and with it KVM's memory slots and the DMA
 * mapping -- before the device sees the write that does it, and puts it
 * back only once every reason is gone: Memory Space Enable reads set, the
 * function reads D0, the host's decoders were read again after the
 * reset. The guest meanwhile reads the unmapped window.
 */
static const char *vfio_cxl_gate_reason_str(VFIOCXLGateReason reason)
{
    switch (reason) {
    case VFIO_CXL_GATE_MSE:
        return "Memory Space Enable";
    case VFIO_CXL_GATE_D3HOT:
        return "power state";
    case VFIO_CXL_GATE_RESET:
        return "reset";
    }
    return "?";
}

static void vfio_cxl_gate(VFIOCXL *cxl, VFIOCXLGateReason reason,
                          bool closed, const char *why)
{
    /* Only v5's kernel gates on Memory Space Enable */
    if (reason == VFIO_CXL_GATE_MSE && !cxl->desc.mem_gated) {
        return;
    }
    if (!!(cxl->hdm.gate & reason) == closed) {
        return;
    }
    vfio_cxl_hdm_set_gate(&cxl->hdm, reason, closed);
    trace_vfio_cxl_gate(vfio_cxl_name(cxl), vfio_cxl_gate_reason_str(reason),
                        closed ? "closed" : "open", why, cxl->hdm.gate);
}

/* Memory Space Enable as the device (the kernel's view) has it now */
static bool vfio_cxl_memory_enabled(VFIOCXL *cxl)
{
    return vfio_pci_read_config(PCI_DEVICE(cxl->vdev), PCI_COMMAND, 2) &
           PCI_COMMAND_MEMORY;
}

static void vfio_cxl_gate_follow(VFIOCXL *cxl, const char *why)
{
    /* A host that does not gate costs no config read */
    if (cxl->desc.mem_gated) {
        vfio_cxl_gate(cxl, VFIO_CXL_GATE_MSE, !vfio_cxl_memory_enabled(cxl),
                      why);
    }
}

/* Whether a config write of @val at @addr sets bit @bit of byte @byte */
static bool vfio_cxl_writes_bit(uint32_t addr, uint32_t val, int len,
                                uint32_t byte, unsigned bit)
{
    return range_covers_byte(addr, len, byte) &&
           extract32(val, (byte - addr) * 8 + bit, 1);
}

/* Whether a config write leaves the function's PowerState other than D0 */
static bool vfio_cxl_writes_low_power(VFIOCXL *cxl, uint32_t addr,
                                      uint32_t val, int len)
{
    PCIDevice *pdev = PCI_DEVICE(cxl->vdev);
    uint32_t pmcsr = pdev->pm_cap + PCI_PM_CTRL;

    return pdev->pm_cap && range_covers_byte(addr, len, pmcsr) &&
           extract32(val, (pmcsr - addr) * 8, 2) != VFIO_CXL_PM_D0;
}

static bool vfio_cxl_host_check(VFIOCXL *cxl);

/*
 * The power state as the device reads it back: the memory comes back
 * only in D0. A function without No_Soft_Reset resets on D3hot -> D0 and
 * may have lost the host's decoders: read them again first.
 */
static void vfio_cxl_pm_follow(VFIOCXL *cxl, const char *why)
{
    PCIDevice *pdev = PCI_DEVICE(cxl->vdev);
    uint16_t pmcsr;

    if (!pdev->pm_cap) {
        return;
    }
    pmcsr = vfio_pci_read_config(pdev, pdev->pm_cap + PCI_PM_CTRL, 2);
    if ((pmcsr & PCI_PM_CTRL_STATE_MASK) != VFIO_CXL_PM_D0) {
        vfio_cxl_gate(cxl, VFIO_CXL_GATE_D3HOT, true, why);
        return;
    }
    if ((cxl->hdm.gate & VFIO_CXL_GATE_D3HOT) &&
        !(pmcsr & PCI_PM_CTRL_NO_SOFT_RESET)) {
        vfio_cxl_host_check(cxl);
    }
    vfio_cxl_gate(cxl, VFIO_CXL_GATE_D3HOT, false, why);
}

/* Placement: decoders, host bridge and window, at machine_done and reset */

/*
 * Firmware mode: the decoders the host committed, one after the other in
 * the claimed range in DPA order, committed and locked in the model and,
 * where the interface revision wants it, in the host's view too.
 */
static bool vfio_cxl_place_decoders(VFIOCXL *cxl, Error **errp)
{
    uint64_t base = vfio_cxl_window_gpa(&cxl->claim);
    VFIOCXLHDMRule rule;
    unsigned n;

    for (n = 0; n < cxl->host_committed; n++) {
        VFIOCXLHostDecoder *h = &cxl->host_dec[n];

        if (!vfio_cxl_place_host_decoder(&cxl->desc, vfio_cxl_regs_read,
                                         vfio_cxl_regs_write, cxl, n, base,
                                         errp)) {
            return false;
        }
        rule = vfio_cxl_hdm_commit_locked(&cxl->hdm, n, base, h->size,
                                          h->dpa_skip);
        if (rule != VFIO_CXL_HDM_RULE__MAX) {
            error_setg(errp, "HDM decoder %u (0x%" PRIx64 " bytes) cannot "
                       "be placed at 0x%" PRIx64 ": %s", n, h->size, base,
                       vfio_cxl_hdm_rule_str(rule));
            return false;
        }
        trace_vfio_cxl_hdm_commit(vfio_cxl_name(cxl), n, base, h->size);
        base += h->size;
    }
    return true;
}

/* One host bridge decoder per firmware decoder, of exactly its range */
static void vfio_cxl_program_host_bridge(VFIOCXL *cxl)
{
    uint64_t base = vfio_cxl_window_gpa(&cxl->claim);
    unsigned n;

    for (n = 0; n < cxl->host_committed; n++) {
        vfio_cxl_window_program_host_bridge(&cxl->claim, n, base,
                                            cxl->host_dec[n].size);
        base += cxl->host_dec[n].size;
    }
}

static void vfio_cxl_system_reset(void *opaque)
{
    VFIOCXL *cxl = opaque;

    /* Runs after the device resets, the host bridges' included. */
    if (!cxl->guest_decoders) {
        vfio_cxl_program_host_bridge(cxl);
    }
    if (cxl->dvsec) {
        vfio_cxl_set_reset_status(cxl, 0);
    }
}

static bool vfio_cxl_place(VFIOCXL *cxl, Error **errp)
{
    if (cxl->guest_decoders) {
        /* Nothing is mapped until the guest commits a decoder. */
        if (!vfio_cxl_window_check_alone(&cxl->claim, errp)) {
            return false;
        }
    } else {
        if (!vfio_cxl_place_decoders(cxl, errp)) {
            return false;
        }
        vfio_cxl_program_host_bridge(cxl);
    }
    qemu_register_reset(vfio_cxl_system_reset, cxl);
    cxl->placed = true;
    trace_vfio_cxl_placed(vfio_cxl_name(cxl), cxl->guest_decoders ?
                          "guest" : "firmware",
                          vfio_cxl_window_gpa(&cxl->claim), cxl->claim.size);
    vfio_cxl_gate_follow(cxl, "placed");
    return true;
}

static void vfio_cxl_machine_done(Notifier *notifier, void *data)
{
    VFIOCXL *cxl = container_of(notifier, VFIOCXL, machine_done);
    Error *err = NULL;

    qemu_remove_machine_init_done_notifier(&cxl->machine_done);
    cxl->machine_done_pending = false;
    if (!vfio_cxl_place(cxl, &err)) {
        error_prepend(&err, "vfio %s: CXL Type-2 passthrough: ",
                      vfio_cxl_name(cxl));
        error_report_err(err);
        exit(1);
    }
}

static bool vfio_cxl_host_unchanged(VFIOCXL *cxl, Error **errp)
{
    VFIOCXLHostDecoder h;
    unsigned n;

    for (n = 0; n < cxl->host_committed; n++) {
        if (!vfio_cxl_read_host_decoder(&cxl->desc, vfio_cxl_regs_read, cxl,
                                        n, &h, errp)) {
            return false;
        }
        if (!h.committed || h.size != cxl->host_dec[n].size ||
            h.dpa_skip != cxl->host_dec[n].dpa_skip) {
            trace_vfio_cxl_host_inactive(vfio_cxl_name(cxl), n, h.ctrl);
            error_setg(errp, "the host's HDM decoder %u changed across the "
                       "reset (control 0x%08x, size 0x%" PRIx64 "): the "
                       "host no longer backs the device memory, which stays "
                       "unmapped until a reset finds the decoder committed "
                       "again", n, h.ctrl, h.size);
            return false;
        }
    }
    return true;
}

/* Before a reset QEMU triggers: the device's cache back to guest memory */
static void vfio_cxl_write_back(VFIOCXL *cxl, const char *why)
{
    Error *err = NULL;

    if (!cxl->cache_capable || cxl->written_back) {
        return;
    }
    trace_vfio_cxl_cache_before(vfio_cxl_name(cxl), why);
    if (!vfio_cxl_cache_write_back(&cxl->vdev->vbasedev, cxl->dvsec,
                                   &cxl->saved_ctrl2, &err)) {
        error_prepend(&err, "vfio %s: CXL cache write-back before %s: ",
                      vfio_cxl_name(cxl), why);
        error_report_err(err);
    }
    cxl->written_back = true;
}

static void vfio_cxl_cxl_reset_cancel(VFIOCXL *cxl);

void vfio_pci_cxl_pre_reset(VFIOPCIDevice *vdev)
{
    if (vdev->cxl && vdev->cxl->placed) {
        /* This reset does what a guest's pending CXL Reset would have */
        vfio_cxl_cxl_reset_cancel(vdev->cxl);
        vfio_cxl_write_back(vdev->cxl, "a reset");
        vfio_cxl_gate(vdev->cxl, VFIO_CXL_GATE_RESET, true, "a reset");
    }
}

static void vfio_cxl_exit_notify(Notifier *notifier, void *data)
{
    VFIOCXL *cxl = container_of(notifier, VFIOCXL, exit);

    vfio_cxl_write_back(cxl, "shutdown");
}

/*
 * Whether the host still backs the device memory after a reset. A reset
 * can clear the host's decoders (a bus reset of a function without FLR, a
 * CXL Reset); the kernel then marks the memory inactive, and a mapping of
 * it faults (SIGBUS) on first access. Said once per inactive period.
 */
static bool vfio_cxl_host_check(VFIOCXL *cxl)
{
    Error *err = NULL;
    bool active = vfio_cxl_host_unchanged(cxl, &err);

    if (!active && !cxl->host_inactive) {
        error_prepend(&err, "vfio %s: CXL Type-2 passthrough after reset: ",
                      vfio_cxl_name(cxl));
        error_report_err(err);
        cxl->inactive_logged = false;
    } else {
        error_free(err);
    }
    if (active && cxl->host_inactive) {
        trace_vfio_cxl_host_active(vfio_cxl_name(cxl));
        info_report("vfio %s: CXL Type-2 passthrough: the host's HDM "
                    "decoders are committed again", vfio_cxl_name(cxl));
    }
    cxl->host_inactive = !active;
    vfio_cxl_hdm_set_host_inactive(&cxl->hdm, !active);
    return active;
}

/*
 * After a reset: the decoders to their firmware or reset state. On v5 the
 * reset was a CXL Reset that cleared the device memory; its decoders read
 * live as the kernel restored them.
 */
static void vfio_cxl_reset_decoders(VFIOCXL *cxl)
{
    VFIOPCIDevice *vdev = cxl->vdev;
    Error *err = NULL;

    if (cxl->written_back) {
        vfio_cxl_cache_restore(&vdev->vbasedev, cxl->dvsec,
                               cxl->saved_ctrl2);
        cxl->written_back = false;
    }
    trace_vfio_cxl_reset(vfio_cxl_name(cxl), cxl->guest_decoders ?
                         "guest" : "firmware");
    /*
     * A device reset retakes the shadow snapshot: BASE reads 0 again. What
     * the host committed must be what it was, in either mode, or nothing
     * is mapped and no commit is accepted.
     */
    if (cxl->guest_decoders) {
        vfio_cxl_hdm_reset(&cxl->hdm);
        vfio_cxl_host_check(cxl);
        vfio_cxl_dvsec_reset(cxl);
        return;
    }
    if (!vfio_cxl_host_check(cxl)) {
        /* Firmware shows no committed decoder: there is nothing to map. */
        vfio_cxl_hdm_reset(&cxl->hdm);
        vfio_cxl_dvsec_reset(cxl);
        return;
    }
    if (!vfio_cxl_place_decoders(cxl, &err)) {
        error_prepend(&err, "vfio %s: CXL Type-2 passthrough after reset: ",
                      vfio_cxl_name(cxl));
        error_report_err(err);
        return;
    }
    vfio_cxl_dvsec_reset(cxl);
}

void vfio_pci_cxl_reset(VFIOPCIDevice *vdev)
{
    VFIOCXL *cxl = vdev->cxl;

    if (!cxl || !cxl->placed) {
        return;
    }
    /* Mapped again, from scratch, only once the host serves it again. */
    vfio_cxl_gate(cxl, VFIO_CXL_GATE_RESET, true, "a reset");
    vfio_cxl_reset_decoders(cxl);
    vfio_cxl_dmabuf_renew(cxl);
    vfio_cxl_pm_follow(cxl, "after a reset");
    vfio_cxl_gate_follow(cxl, "after a reset");
    vfio_cxl_gate(cxl, VFIO_CXL_GATE_RESET, false, "host decoders read again");
}

/*
 * After a guest's FLR, which the kernel (or the server) performed inside
 * the config write. CXL r3.1 9.5: an FLR leaves CXL.mem state and the CXL
 * Device DVSEC alone, so the guest's decoders and Range registers stay as
 * they are. The host may have reset more (v5 makes every reset point a
 * CXL reset): its decoders are read again before anything is mapped, and
 * in firmware mode its view of them is programmed again.
 */
static void vfio_cxl_after_flr(VFIOCXL *cxl)
{
    Error *err = NULL;
    unsigned n;

    if (!cxl->placed) {
        return;
    }
    vfio_cxl_gate(cxl, VFIO_CXL_GATE_RESET, true, "a Function Level Reset");
    if (vfio_cxl_host_check(cxl) && !cxl->guest_decoders) {
        for (n = 0; n < cxl->host_committed; n++) {
            if (!vfio_cxl_place_host_decoder(&cxl->desc, vfio_cxl_regs_read,
                                             vfio_cxl_regs_write, cxl, n,
                                             cxl->hdm.dec[n].base, &err)) {
                error_prepend(&err, "vfio %s: CXL Type-2 passthrough after "
                              "FLR: ", vfio_cxl_name(cxl));
                error_report_err(err);
                return;     /* the gate stays closed: nothing to map */
            }
        }
    }
    vfio_cxl_dmabuf_renew(cxl);
    vfio_cxl_pm_follow(cxl, "after an FLR");
    vfio_cxl_gate_follow(cxl, "after an FLR");
    vfio_cxl_gate(cxl, VFIO_CXL_GATE_RESET, false, "host decoders read again");
}

static bool vfio_cxl_writes_cxl_reset(VFIOCXL *cxl, uint32_t addr,
                                      uint32_t val, int len)
{
    /* Initiate CXL Reset is bit 2 of Control2's low byte */
    return cxl && cxl->dvsec &&
           vfio_cxl_writes_bit(addr, val, len, cxl->dvsec + CXL_DVSEC_CTRL2,
                               R_CXL_DVSEC_CTRL2_INITIATE_CXL_RESET_SHIFT);
}

/*
 * A guest's CXL Reset (CXL r3.1 9.7), performed by QEMU rather than
 * forwarded: the device would reset its HDM decoders behind the kernel's
 * back, with the memory still mapped. A reset through VFIO is the one the
 * kernel revokes and restores the mapping for. What the spec asks of
 * system software before it, a cache write-back, QEMU does too; what a
 * CXL Reset resets (the HDM decoders) then reads as after any reset, and
 * config space is left as it is. Not CXL Reset Capable: CXL Reset Error.
 */
static void vfio_cxl_cxl_reset_finish(VFIOCXL *cxl)
{
    VFIODevice *vbasedev = &cxl->vdev->vbasedev;
    int ret;

    cxl->cxl_reset_pending = false;
    vfio_cxl_gate(cxl, VFIO_CXL_GATE_RESET, true, "a CXL Reset");
    ret = vbasedev->io_ops->device_reset ?
          vbasedev->io_ops->device_reset(vbasedev) : -ENOTSUP;
    /* Even if it failed: the decoders may have been reset. */
    vfio_pci_cxl_reset(cxl->vdev);
    if (ret < 0) {
        error_report("vfio %s: CXL Type-2 passthrough: the device reset for "
                     "the guest's CXL Reset failed: %s", vfio_cxl_name(cxl),
                     strerror(-ret));
        trace_vfio_cxl_cxl_reset(vfio_cxl_name(cxl), "device reset failed: "
                                 "CXL Reset Error");
        vfio_cxl_set_reset_status(cxl,
                                  R_CXL_DVSEC_STATUS2_CXL_RESET_ERROR_MASK);
        return;
    }
    trace_vfio_cxl_cxl_reset(vfio_cxl_name(cxl), "CXL Reset Complete");
    vfio_cxl_set_reset_status(cxl,
                              R_CXL_DVSEC_STATUS2_CXL_RESET_COMPLETE_MASK);
}

/*
 * The write-back before a guest's CXL Reset, polled from a timer so that
 * the BQL is not held while the device writes its cache back: vCPUs and
 * other devices run on, the guest reads Status2 without CXL Reset
 * Complete meanwhile. On Cache Invalid, or at the deadline (the lines
 * left are lost, as said), the reset goes on.
 */
static void vfio_cxl_wbi_poll(void *opaque)
{
    VFIOCXL *cxl = opaque;
    int64_t now = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
    Error *err = NULL;
    uint16_t st2 = 0;
    int done;

    done = vfio_cxl_cache_wbi_poll(&cxl->vdev->vbasedev, cxl->dvsec, &st2,
                                   &err);
    if (!done && now < cxl->wbi_deadline) {
        timer_mod(cxl->wbi_timer, now + VFIO_CXL_WBI_POLL_NS);
        return;
    }
    if (done > 0) {
        trace_vfio_cxl_cache_written_back(vfio_cxl_name(cxl),
            (now - (cxl->wbi_deadline -
                    VFIO_CXL_WBI_DEADLINE_MS * SCALE_MS)) / SCALE_MS);
    } else {
        if (!err) {
            error_setg(&err, "the device did not report its cache written "
                       "back and invalid (DVSEC Status2 0x%04x) within %d "
                       "ms; modified lines it holds are lost", st2,
                       VFIO_CXL_WBI_DEADLINE_MS);
        }
        error_prepend(&err, "vfio %s: CXL cache write-back before a CXL "
                      "Reset: ", vfio_cxl_name(cxl));
        error_report_err(err);
    }
    cxl->written_back = true;
    vfio_cxl_cxl_reset_finish(cxl);
}

static void vfio_cxl_cxl_reset_cancel(VFIOCXL *cxl)
{
    if (cxl->cxl_reset_pending) {
        trace_vfio_cxl_cxl_reset(vfio_cxl_name(cxl), "cancelled by a reset");
        timer_del(cxl->wbi_timer);
        cxl->cxl_reset_pending = false;
    }
}

static void vfio_cxl_guest_cxl_reset(VFIOCXL *cxl)
{
    Error *err = NULL;

    if (cxl->cxl_reset_pending) {
        /* One at a time: the one under way completes for both */
        trace_vfio_cxl_cxl_reset(vfio_cxl_name(cxl), "already in progress");
        return;
    }
    vfio_cxl_set_reset_status(cxl, 0);
    if (!cxl->cxl_reset_capable || !cxl->placed) {
        trace_vfio_cxl_cxl_reset(vfio_cxl_name(cxl), "not CXL Reset "
                                 "Capable: CXL Reset Error");
        vfio_cxl_set_reset_status(cxl,
                                  R_CXL_DVSEC_STATUS2_CXL_RESET_ERROR_MASK);
        return;
    }
    if (!cxl->cache_capable || cxl->written_back) {
        vfio_cxl_cxl_reset_finish(cxl);
        return;
    }
    trace_vfio_cxl_cache_before(vfio_cxl_name(cxl), "a CXL Reset");
    if (!vfio_cxl_cache_wbi_start(&cxl->vdev->vbasedev, cxl->dvsec,
                                  &cxl->saved_ctrl2, &err)) {
        error_prepend(&err, "vfio %s: CXL cache write-back before a CXL "
                      "Reset: ", vfio_cxl_name(cxl));
        error_report_err(err);
        cxl->written_back = true;
        vfio_cxl_cxl_reset_finish(cxl);
        return;
    }
    trace_vfio_cxl_cxl_reset(vfio_cxl_name(cxl), "cache write-back polled");
    cxl->cxl_reset_pending = true;
    cxl->wbi_deadline = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL) +
                        VFIO_CXL_WBI_DEADLINE_MS * SCALE_MS;
    if (!cxl->wbi_timer) {
        cxl->wbi_timer = timer_new_ns(QEMU_CLOCK_VIRTUAL, vfio_cxl_wbi_poll,
                                      cxl);
    }
    timer_mod(cxl->wbi_timer, qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL) +
                              VFIO_CXL_WBI_POLL_NS);
}

/* Whether a config write is a Function Level Reset the device performs */
static bool vfio_cxl_writes_flr(VFIOCXL *cxl, uint32_t addr, uint32_t val,
                                int len)
{
    PCIDevice *pdev = PCI_DEVICE(cxl->vdev);
    uint32_t devctl_hi = pdev->exp.exp_cap + PCI_EXP_DEVCTL + 1;

    return pdev->exp.exp_cap &&
           vfio_cxl_writes_bit(addr, val, len, devctl_hi,
                               ctz32(PCI_EXP_DEVCTL_BCR_FLR) - 8);
}

static bool vfio_cxl_flr_capable(VFIOCXL *cxl)
{
    PCIDevice *pdev = PCI_DEVICE(cxl->vdev);

    return pci_get_long(pdev->config + pdev->exp.exp_cap + PCI_EXP_DEVCAP) &
           PCI_EXP_DEVCAP_FLR;
}

/* Whether a config write of the Command register clears Memory Space */
static bool vfio_cxl_clears_memory_space(uint32_t addr, uint32_t val, int len)
{
    return range_covers_byte(addr, len, PCI_COMMAND) &&
           !vfio_cxl_writes_bit(addr, val, len, PCI_COMMAND,
                                ctz32(PCI_COMMAND_MEMORY));
}

uint32_t vfio_pci_cxl_config_filter(VFIOPCIDevice *vdev, uint32_t addr,
                                    uint32_t val, int len)
{
    VFIOCXL *cxl = vdev->cxl;
    uint32_t byte;

    if (cxl && cxl->placed) {
        /* Out of the guest before the host takes it away */
        if (vfio_cxl_clears_memory_space(addr, val, len)) {
            vfio_cxl_gate(cxl, VFIO_CXL_GATE_MSE, true,
                          "Memory Space Enable cleared");
        }
        if (vfio_cxl_writes_low_power(cxl, addr, val, len)) {
            vfio_cxl_gate(cxl, VFIO_CXL_GATE_D3HOT, true,
                          "PowerState written other than D0");
        }
        if (vfio_cxl_writes_flr(cxl, addr, val, len) &&
            vfio_cxl_flr_capable(cxl)) {
            vfio_cxl_gate(cxl, VFIO_CXL_GATE_RESET, true,
                          "a Function Level Reset");
        }
    }
    if (!vfio_cxl_writes_cxl_reset(cxl, addr, val, len)) {
        return val;
    }
    byte = vdev->cxl->dvsec + CXL_DVSEC_CTRL2;
    return val & ~BIT((byte - addr) * 8 +
                      R_CXL_DVSEC_CTRL2_INITIATE_CXL_RESET_SHIFT);
}

void vfio_pci_cxl_config_write(VFIOPCIDevice *vdev, uint32_t addr,
                               uint32_t val, int len)
{
    VFIOCXL *cxl = vdev->cxl;

    if (!cxl) {
        return;
    }
    vfio_cxl_dvsec_write(cxl, addr, val, len);
    if (vfio_cxl_writes_cxl_reset(cxl, addr, val, len)) {
        vfio_cxl_guest_cxl_reset(cxl);
        return;
    }
    /*
     * The kernel (or the server) performs a guest's Function Level Reset
     * itself, inside the config write, if the function is FLR capable;
     * QEMU must follow with its view.
     */
    if (vfio_cxl_writes_flr(cxl, addr, val, len)) {
        if (!vfio_cxl_flr_capable(cxl)) {
            trace_vfio_cxl_flr_no_cap(vfio_cxl_name(cxl));
        } else {
            trace_vfio_cxl_flr(vfio_cxl_name(cxl));
            vfio_cxl_after_flr(cxl);
            return;
        }
    }
    if (cxl->placed && range_covers_byte(addr, len, PCI_COMMAND)) {
        vfio_cxl_gate_follow(cxl, "Command written");
    }
    if (cxl->placed && PCI_DEVICE(vdev)->pm_cap &&
        range_covers_byte(addr, len, PCI_DEVICE(vdev)->pm_cap + PCI_PM_CTRL)) {
        vfio_cxl_pm_follow(cxl, "PowerState written");
    }
}

/* Setup and teardown */

/* How cxl-uapi.c reads the description: through the transport */

static bool vfio_cxl_io_config_read(void *opaque, uint32_t offset,
                                    unsigned len, uint32_t *val, Error **errp)
{
    VFIOCXL *cxl = opaque;
    VFIODevice *vbasedev = &cxl->vdev->vbasedev;
    uint32_t le = 0;
    int ret;

    ret = vbasedev->io_ops->region_read(vbasedev, VFIO_PCI_CONFIG_REGION_INDEX,
                                        offset, len, &le);
    if (ret != len) {
        error_setg(errp, "reading config space at 0x%x failed: %s", offset,
                   ret < 0 ? strerror(-ret) : "short read");
        return false;
    }
    *val = le32_to_cpu(le);
    return true;
}

static bool vfio_cxl_io_bar_read(void *opaque, unsigned bar, uint64_t offset,
                                 uint32_t *val, Error **errp)
{
    VFIOCXL *cxl = opaque;
    VFIODevice *vbasedev = &cxl->vdev->vbasedev;
    uint32_t le;
    int ret;

    ret = vbasedev->io_ops->region_read(vbasedev,
                                        VFIO_PCI_BAR0_REGION_INDEX + bar,
                                        offset, sizeof(le), &le);
    if (ret != sizeof(le)) {
        error_setg(errp, "reading BAR %u at 0x%" PRIx64 " failed: %s", bar,
                   offset, ret < 0 ? strerror(-ret) : "short read");
        return false;
    }
    *val = le32_to_cpu(le);
    return true;
}

static int vfio_cxl_io_region_info(void *opaque, uint32_t index,
                                   struct vfio_region_info **info)
{
    VFIOCXL *cxl = opaque;

    return vfio_device_get_region_info(&cxl->vdev->vbasedev, index, info);
}

static void vfio_cxl_io(VFIOCXL *cxl, VFIOCXLIO *io)
{
    *io = (VFIOCXLIO) {
        .regs_read = vfio_cxl_regs_read,
        .config_read = vfio_cxl_io_config_read,
        .bar_read = vfio_cxl_io_bar_read,
        .region_info = vfio_cxl_io_region_info,
        .opaque = cxl,
    };
}

static bool vfio_cxl_describe_device(VFIOCXL *cxl,
                                     struct vfio_device_info *info,
                                     Error **errp)
{
    VFIODevice *vbasedev = &cxl->vdev->vbasedev;
    uint64_t dpa_end = 0;
    VFIOCXLIO io;
    unsigned n;

    vfio_cxl_io(cxl, &io);
    if (!vfio_cxl_describe(info, &io, &cxl->desc, errp)) {
        return false;
    }
    if (cxl->desc.uapi == VFIO_CXL_UAPI_NONE) {
        return true;
    }
    trace_vfio_cxl_uapi(vbasedev->name, vfio_cxl_uapi_str(cxl->desc.uapi),
                        cxl->desc.why);
    if (cxl->desc.located_by) {
        trace_vfio_cxl_v5_located(vbasedev->name, cxl->desc.bar,
                                  cxl->desc.regs_offset,
                                  cxl->desc.located_by);
    }
    trace_vfio_cxl_detected(vbasedev->name, cxl->desc.flags, cxl->desc.bar,
                            cxl->desc.regs_offset, cxl->desc.regs_size,
                            cxl->desc.hdm_offset, cxl->desc.hdm_count);
    trace_vfio_cxl_memory(vbasedev->name, cxl->desc.mem_index,
                          cxl->desc.mem_size, cxl->desc.regs_index);

    if (!(cxl->desc.flags & VFIO_CXL_CAP_FIRMWARE_COMMITTED)) {
        error_setg(errp, "no HDM decoder is firmware committed: the host "
                   "gives no device memory to pass through");
        error_append_hint(errp, "Set cxl=off to pass the device through as "
                          "a plain PCI device.\n");
        return false;
    }
    /* What the host committed: decoders 0..n-1, in DPA order. */
    for (n = 0; n < cxl->desc.hdm_count; n++) {
        VFIOCXLHostDecoder *h = &cxl->host_dec[n];

        if (!vfio_cxl_read_host_decoder(&cxl->desc, vfio_cxl_regs_read, cxl,
                                        n, h, errp)) {
            return false;
        }
        trace_vfio_cxl_host_decoder(vbasedev->name, n, h->size, h->dpa_skip,
                                    h->ctrl);
        if (!h->committed) {
            break;
        }
        if (!h->size || h->dpa_skip > cxl->desc.mem_size - dpa_end ||
            h->size > cxl->desc.mem_size - dpa_end - h->dpa_skip) {
            error_setg(errp, "HDM decoder %u decodes 0x%" PRIx64 " bytes "
                       "after a DPA skip of 0x%" PRIx64 ", past the 0x%"
                       PRIx64 " bytes of the device memory region", n,
                       h->size, h->dpa_skip, cxl->desc.mem_size);
            return false;
        }
        dpa_end += h->dpa_skip + h->size;
    }
    cxl->host_committed = n;
    if (!n) {
        error_setg(errp, "the device reports firmware committed memory, "
                   "but HDM decoder 0 is not committed (control 0x%08x)",
                   cxl->host_dec[0].ctrl);
        return false;
    }
    if (!vfio_cxl_find_dvsec(&io, PCIE_CXL_DEVICE_DVSEC, &cxl->dvsec,
                             errp)) {
        return false;
    }
    /* Only a Cache_Capable device's write-back cannot do without it. */
    if (!cxl->dvsec && (cxl->desc.flags & VFIO_CXL_CAP_CACHE_CAPABLE)) {
        error_setg(errp, "the device is Cache_Capable but has no CXL Device "
                   "DVSEC in its config space");
        return false;
    }
    cxl->cache_capable = cxl->desc.flags & VFIO_CXL_CAP_CACHE_CAPABLE;
    if (!cxl->guest_decoders && dpa_end != cxl->desc.mem_size) {
        error_setg(errp, "the committed HDM decoders decode 0x%" PRIx64
                   " bytes but the device memory region has 0x%" PRIx64,
                   dpa_end, cxl->desc.mem_size);
        return false;
    }
    vfio_cxl_hdm_init(&cxl->hdm, cxl->desc.hdm_count, cxl->desc.hdm_cap,
                      cxl->desc.flags & VFIO_CXL_CAP_CACHE_CAPABLE,
                      cxl->desc.mem_size, &vfio_cxl_hdm_ops, cxl);
    /* Closed until placement finds Memory Space Enable set */
    vfio_cxl_gate(cxl, VFIO_CXL_GATE_MSE, true, "realize");
    /* Firmware's commits show the guest what the host committed them as. */
    for (n = 0; n < cxl->host_committed; n++) {
        vfio_cxl_hdm_set_firmware_attrs(&cxl->hdm, n, cxl->host_dec[n].ctrl);
    }
    /* v5's COMP_REGS is the decoder block alone: no other register. */
    return cxl->desc.regs_live || vfio_cxl_find_rw1c(cxl, errp);
}

/*
 * A guest's CXL Reset is QEMU's: Status2 CXL Reset Complete and Error
 * are emulated (CXL r3.1 8.1.3.6), and read 0 until one is performed.
 */
static void vfio_cxl_emulate_reset_status(VFIOCXL *cxl)
{
    VFIOPCIDevice *vdev = cxl->vdev;
    PCIDevice *pdev = PCI_DEVICE(vdev);
    uint8_t *emu;

    if (!cxl->dvsec) {
        return;
    }
    cxl->cxl_reset_capable =
        FIELD_EX32(pci_get_word(pdev->config + cxl->dvsec + CXL_DVSEC_CAP),
                   CXL_DVSEC_CAP, CXL_RESET_CAPABLE);
    emu = vdev->emulated_config_bits + cxl->dvsec + CXL_DVSEC_STATUS2;
    pci_set_word(emu, pci_get_word(emu) | VFIO_CXL_STATUS2_RESET_BITS);
    vfio_cxl_set_reset_status(cxl, 0);
}

/*
 * What the window must say it holds (CFMWS restrictions, CXL r3.1 Table
 * 9-22): the coherence the host committed the device memory with -- host-
 * only for HDM-H (Target Type 1), else device-coherent, with
 * back-invalidate for HDM-DB (BI) -- so that an OS finds a window that may
 * hold it.
 */
static uint16_t vfio_cxl_memory_kinds(VFIOCXL *cxl)
{
    uint16_t kinds = 0;
    unsigned n;

    for (n = 0; n < cxl->host_committed; n++) {
        uint32_t ctrl = cxl->host_dec[n].ctrl;

        if (FIELD_EX32(ctrl, CXL_HDM_DEC_CTRL, TARGET_TYPE)) {
            kinds |= CFMWS_RESTRICT_HOST_ONLY;
        } else {
            kinds |= CFMWS_RESTRICT_DEVICE_COHERENT;
            if (FIELD_EX32(ctrl, CXL_HDM_DEC_CTRL, BI)) {
                kinds |= CFMWS_RESTRICT_BI;
            }
        }
    }
    trace_vfio_cxl_memory_kinds(vfio_cxl_name(cxl), kinds);
    return kinds;
}

static bool vfio_cxl_map_memory(VFIOCXL *cxl, Error **errp)
{
    VFIOPCIDevice *vdev = cxl->vdev;
    VFIORegion *mem = &cxl->mem;
    g_autofree char *name = g_strdup_printf("%s cxl-memory",
                                            vdev->vbasedev.name);
    int ret;

    ret = vfio_region_setup(OBJECT(vdev), &vdev->vbasedev, mem,
                            cxl->desc.mem_index, name);
    if (ret) {
        error_setg_errno(errp, -ret, "cannot set up the device memory "
                         "region %u", cxl->desc.mem_index);
        return false;
    }
    ret = vfio_region_mmap(mem);
    if (ret || mem->nr_mmaps != 1 || !mem->mmaps[0].mmap ||
        mem->mmaps[0].offset || mem->mmaps[0].size != mem->size) {
        error_setg_errno(errp, ret ? -ret : EINVAL, "cannot mmap all 0x%"
                         PRIx64 " bytes of the device memory region %u",
                         cxl->desc.mem_size, cxl->desc.mem_index);
        return false;
    }
    /*
     * Only the mmap is ever seen by the guest: never trapped per access.
     * Placed in the window, it is DMA mapped like any RAM-device region,
     * so that the device reaches its own memory at the addresses the guest
     * hands it (see the docs page).
     */
    return true;
}

static void vfio_cxl_free(VFIOCXL *cxl)
{
    VFIORegion *mem = &cxl->mem;
    int i;

    if (mem->vbasedev) {
        /*
         * On a failed realize the device's children still include these
         * MemoryRegions, which vfio_region_finalize() frees: unparent them
         * first. When the device itself is finalized they are already gone
         * and this does nothing.
         */
        for (i = 0; i < mem->nr_mmaps; i++) {
            if (mem->mmaps[i].mmap) {
                object_unparent(OBJECT(&mem->mmaps[i].mem));
            }
        }
        if (mem->mem) {
            object_unparent(OBJECT(mem->mem));
        }
        vfio_region_finalize(mem);
    }
    if (memory_region_size(&cxl->regs)) {
        object_unparent(OBJECT(&cxl->regs));
    }
    g_free(cxl);
}

static void vfio_cxl_teardown(VFIOCXL *cxl)
{
    if (cxl->wbi_timer) {
        timer_free(cxl->wbi_timer);
        cxl->wbi_timer = NULL;
        cxl->cxl_reset_pending = false;
    }
    if (cxl->exit.notify) {
        qemu_remove_exit_notifier(&cxl->exit);
        cxl->exit.notify = NULL;
    }
    if (cxl->machine_done_pending) {
        qemu_remove_machine_init_done_notifier(&cxl->machine_done);
        cxl->machine_done_pending = false;
    }
    if (cxl->placed) {
        qemu_unregister_reset(vfio_cxl_system_reset, cxl);
        cxl->placed = false;
    }
    migrate_del_blocker(&cxl->migration_blocker);
    if (cxl->bar_mr) {
        memory_region_del_subregion(cxl->bar_mr, &cxl->regs);
        cxl->bar_mr = NULL;
    }
    vfio_cxl_window_release(&cxl->claim);
    if (cxl->mem.vbasedev) {
        vfio_region_exit(&cxl->mem);
    }
    vfio_cxl_dmabuf_put(cxl);
}

/*
 * Before the device memory is offered: what the accelerator will do with
 * it (cxl-kvm.c). Only the kernel's vfio-pci maps it as a VM_PFNMAP; a
 * vfio-user server's memory is a file.
 */
static bool vfio_cxl_check_accel(VFIOCXL *cxl, Error **errp)
{
    VFIOCXLAccel accel = VFIO_CXL_ACCEL_OTHER;
    bool pfnmap = !cxl->vdev->vbasedev.proxy;
    int cap = VFIO_CXL_KVM_CAP_NOT_ASKED;
    VFIOCXLKVMVerdict verdict;

#ifdef CONFIG_KVM
    if (kvm_enabled()) {
        switch (target_arch()) {
        case SYS_EMU_TARGET_AARCH64:
            accel = VFIO_CXL_ACCEL_KVM_ARM64;
            break;
        case SYS_EMU_TARGET_I386:
        case SYS_EMU_TARGET_X86_64:
            accel = VFIO_CXL_ACCEL_KVM_X86;
            break;
        default:
            accel = VFIO_CXL_ACCEL_KVM_OTHER;
        }
    }
    if (vfio_cxl_kvm_needs_cap(accel, pfnmap)) {
        /* The VM fd's answer; where only /dev/kvm answers (EINVAL), 0 */
        cap = kvm_vm_check_extension(kvm_state,
                                     KVM_CAP_ARM_CACHEABLE_PFNMAP_SUPPORTED);
    }
#endif
    verdict = vfio_cxl_kvm_decide(accel, pfnmap, cap, errp);
    cxl->accel = accel;
    cxl->pfnmap = pfnmap;
    cxl->kvm_cap = cap;
    cxl->verdict = verdict;
    trace_vfio_cxl_kvm_decision(vfio_cxl_name(cxl),
                                vfio_cxl_kvm_accel_str(accel), pfnmap, cap,
                                vfio_cxl_kvm_verdict_str(verdict));
    if (verdict == VFIO_CXL_KVM_MAP_UNCACHED) {
        warn_report_once(VFIO_CXL_KVM_UNCACHED_WARNING);
    }
    return verdict != VFIO_CXL_KVM_REFUSE;
}

/* The CXL Device DVSEC of a device QEMU passes through as plain PCI, or 0 */
static uint32_t vfio_cxl_plain_dvsec(VFIOPCIDevice *vdev)
{
    VFIOCXL probe = { .vdev = vdev };
    uint32_t off;
    VFIOCXLIO io;

    vfio_cxl_io(&probe, &io);
    return vfio_cxl_find_dvsec(&io, PCIE_CXL_DEVICE_DVSEC, &off, NULL) ?
           off : 0;
}

/*
 * A device that is passed through as plain PCI keeps its CXL DVSECs in
 * config space, where Range Base holds the host's physical address: the
 * guest reads 0 there instead (emulated, writes ignored).
 */
static void vfio_cxl_hide_range_base(VFIOPCIDevice *vdev, uint32_t off)
{
    PCIDevice *pdev = PCI_DEVICE(vdev);
    uint32_t at;
    unsigned r;

    if (!off || off + PCIE_CXL_DEVICE_DVSEC_LENGTH > pci_config_size(pdev)) {
        return;
    }
    for (r = 0; r < VFIO_CXL_DVSEC_RANGES; r++) {
        at = off + vfio_cxl_range_reg(r, CXL_DVSEC_R1_BASE_HI);
        pci_set_quad(vdev->emulated_config_bits + at, UINT64_MAX);
        pci_set_quad(pdev->config + at, 0);
        pci_set_quad(pdev->wmask + at, 0);
    }
    trace_vfio_cxl_range_base_hidden(vdev->vbasedev.name, off);
}

/*
 * Not a CXL device for QEMU: plain PCI passthrough. A device with a CXL
 * Device DVSEC but no VFIO_DEVICE_FLAGS_CXL is one whose host did not
 * bind it as CXL (a kernel without the series, or the series' silent
 * fallback for a device it does not support): say so once.
 */
static bool vfio_cxl_plain(VFIOPCIDevice *vdev, Error **errp)
{
    uint32_t dvsec = vfio_cxl_plain_dvsec(vdev);

    if (vdev->cxl_mode == ON_OFF_AUTO_ON) {
        error_setg(errp, "CXL Type-2 passthrough: cxl=on, but the device is "
                   "not a CXL Type-2 device (no VFIO_DEVICE_FLAGS_CXL)");
        if (dvsec) {
            error_append_hint(errp, "It has a CXL Device DVSEC: the host's "
                              "vfio-pci did not bind it as CXL (a kernel "
                              "without CXL Type-2 support, or a device the "
                              "kernel does not support).\n");
        }
        return false;
    }
    if (dvsec) {
        warn_report("vfio %s: the device has a CXL Device DVSEC, but the "
                    "host does not pass it through as CXL (no "
                    "VFIO_DEVICE_FLAGS_CXL: a kernel without CXL Type-2 "
                    "support, or a device it does not support): plain PCI "
                    "passthrough, without its device memory",
                    vdev->vbasedev.name);
        vfio_cxl_hide_range_base(vdev, dvsec);
    }
    trace_vfio_cxl_not_cxl(vdev->vbasedev.name);
    return true;
}

bool vfio_pci_cxl_setup(VFIOPCIDevice *vdev, Error **errp)
{
    VFIODevice *vbasedev = &vdev->vbasedev;
    g_autofree struct vfio_device_info *info = NULL;
    const char *backend;
    VFIOCXL *cxl;
    bool ok;
    int ret;

    if (vdev->cxl_mode == ON_OFF_AUTO_OFF) {
        uint32_t dvsec = vfio_cxl_plain_dvsec(vdev);

        trace_vfio_cxl_disabled(vbasedev->name);
        if (dvsec) {
            info_report("vfio %s: cxl=off: the CXL device is passed through "
                        "as plain PCI; its device memory is not mapped",
                        vbasedev->name);
        }
        vfio_cxl_hide_range_base(vdev, dvsec);
        return true;
    }

    ret = vfio_device_get_info(vbasedev, &info);
    if (ret) {
        error_setg_errno(errp, -ret, "cannot read the device info and its "
                         "capabilities");
        return false;
    }

    cxl = g_new0(VFIOCXL, 1);
    cxl->vdev = vdev;
    cxl->dmabuf_fd = -1;
    if (vdev->cxl_decoders && strcmp(vdev->cxl_decoders, "firmware")) {
        if (strcmp(vdev->cxl_decoders, "guest")) {
            error_setg(errp, "cxl-decoders=%s: expected 'firmware' or "
                       "'guest'", vdev->cxl_decoders);
            g_free(cxl);
            return false;
        }
        cxl->guest_decoders = true;
    }
    if (!vfio_cxl_describe_device(cxl, info, errp)) {
        goto fail;
    }
    if (cxl->desc.uapi == VFIO_CXL_UAPI_NONE) {
        g_free(cxl);
        return vfio_cxl_plain(vdev, errp);
    }
    if (!vfio_cxl_check_accel(cxl, errp)) {
        goto fail;
    }
    backend = vbasedev->iommufd ? "iommufd" : NULL;
    if (backend && cxl->desc.uapi == VFIO_CXL_UAPI_V5) {
        cxl->dmabuf_fd = vfio_cxl_dmabuf_get(cxl);
    }
    ok = vfio_cxl_check_mem_dma(&cxl->desc, backend, vdev->cxl_no_mem_dma,
                                cxl->dmabuf_fd, errp);
    trace_vfio_cxl_mem_dma(vbasedev->name, backend ?: "container",
                           !backend || cxl->dmabuf_fd >= 0);
    if (!ok) {
        goto fail;
    }

    if (!vfio_cxl_window_claim(PCI_DEVICE(vdev), cxl->desc.mem_size,
                               cxl->guest_decoders,
                               cxl->guest_decoders ? 0 : cxl->host_committed,
                               vfio_cxl_memory_kinds(cxl), &cxl->claim,
                               errp) ||
        !vfio_cxl_map_memory(cxl, errp)) {
        goto fail;
    }
    vfio_cxl_hdm_set_window(&cxl->hdm, vfio_cxl_window_gpa(&cxl->claim),
                            cxl->claim.size);
    vfio_cxl_dvsec_setup(cxl);

    if (!vdev->bars[cxl->desc.bar].region.mem) {
        error_setg(errp, "component register BAR %u is not mapped",
                   cxl->desc.bar);
        goto fail;
    }
    memory_region_init_io(&cxl->regs, OBJECT(vdev), &vfio_cxl_regs_ops, cxl,
                          "vfio-cxl-comp-regs", cxl->desc.regs_size);
    cxl->bar_mr = vdev->bars[cxl->desc.bar].region.mem;
    /*
     * Above the BAR's own slow path and its sparse mmaps: v2's CXL.cachemem
     * or v5's decoder block alone, where the kernel puts it.
     */
    memory_region_add_subregion_overlap(cxl->bar_mr, cxl->desc.regs_offset,
                                        &cxl->regs, 1);

    error_setg(&cxl->migration_blocker, "vfio %s: CXL Type-2 passthrough "
               "does not support migration (device memory and HDM decoder "
               "state are not migrated)", vbasedev->name);
    /* Every mode: CPR would lose the device memory under the guest too. */
    if (migrate_add_blocker(&cxl->migration_blocker, errp) < 0) {
        goto fail;
    }
    vfio_cxl_emulate_reset_status(cxl);

    if (cxl->cache_capable) {
        cxl->exit.notify = vfio_cxl_exit_notify;
        qemu_add_exit_notifier(&cxl->exit);
    }
    vdev->cxl = cxl;
    if (phase_check(PHASE_MACHINE_READY)) {
        /* Hot-plugged: the machine is complete, place it now. */
        if (!vfio_cxl_place(cxl, errp)) {
            vdev->cxl = NULL;
            goto fail;
        }
    } else {
        cxl->machine_done.notify = vfio_cxl_machine_done;
        qemu_add_machine_init_done_notifier(&cxl->machine_done);
        cxl->machine_done_pending = true;
    }
    return true;

fail:
    error_prepend(errp, "CXL Type-2 passthrough: ");
    vfio_cxl_teardown(cxl);
    vfio_cxl_free(cxl);
    return false;
}

void vfio_pci_cxl_exit(VFIOPCIDevice *vdev)
{
    if (vdev->cxl) {
        trace_vfio_cxl_exit(vfio_cxl_name(vdev->cxl));
        if (vdev->cxl->placed) {
            vfio_cxl_write_back(vdev->cxl, "unplug");
        }
        vfio_cxl_teardown(vdev->cxl);
    }
}

char *vfio_pci_cxl_get_uapi(Object *obj, Error **errp)
{
    VFIOPCIDevice *vdev = VFIO_PCI_DEVICE(obj);

    return g_strdup(vfio_cxl_uapi_str(vdev->cxl ? vdev->cxl->desc.uapi :
                                                  VFIO_CXL_UAPI_NONE));
}

void vfio_pci_cxl_finalize(VFIOPCIDevice *vdev)
{
    if (vdev->cxl) {
        vfio_cxl_free(vdev->cxl);
        vdev->cxl = NULL;
    }
}

bool vfio_pci_cxl_view(VFIOPCIDevice *vdev, VFIOCXLView *view)
{
    VFIOCXL *cxl = vdev->cxl;

    if (!cxl) {
        return false;
    }
    *view = (VFIOCXLView) {
        .uapi = cxl->desc.uapi,
        .guest_decoders = cxl->guest_decoders,
        .placed = cxl->placed,
        .host_inactive = cxl->host_inactive,
        .dmabuf = cxl->dmabuf_fd >= 0,
        .mem_size = cxl->desc.mem_size,
        .hdm = &cxl->hdm,
        .claim = &cxl->claim,
        .accel = cxl->accel,
        .pfnmap = cxl->pfnmap,
        .kvm_cap = cxl->kvm_cap,
        .verdict = cxl->verdict,
    };
    return true;
}
