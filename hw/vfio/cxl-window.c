/*
 * CXL Type-2 passthrough: placing device memory in a CXL Fixed Memory
 * Window, and the host bridge decoders on the way there.
 *
 * The guest finds CXL memory through the CFMWS of a window (cxl-fmw) that
 * targets a host bridge (pxb-cxl); the host bridge decoders route it to a
 * root port (cxl-rp), and the device's HDM decoder claims it. QEMU reuses
 * the window as it is: the device memory becomes a subregion of the
 * window's MemoryRegion, of higher priority than the window's dispatch to
 * emulated Type-3 devices, so guest accesses reach the memory directly.
 *
 * Supported topology: the device alone below a cxl-rp of a pxb-cxl, which
 * exactly one window targets, without interleave. With firmware-committed
 * decoders, several devices may share a window and a host bridge; each
 * gets its own 256 MiB aligned range. A device whose guest programs its
 * decoders has the window and the host bridge to itself (an exclusive
 * claim), so that any commit inside the window is unambiguous.
 *
 * Copyright (c) 2026 QEMU CXL Type-2 team
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qemu/bswap.h"
#include "qemu/error-report.h"
#include "hw/cxl/cxl.h"
#include "hw/pci/pci_bus.h"
#include "hw/pci/pcie_port.h"
#include "hw/vfio/cxl-uapi.h"
#include "cxl-window.h"
#include "trace.h"

/* TYPE_CXL_ROOT_PORT is private to hw/pci-bridge/cxl_root_port.c. */
#define VFIO_CXL_ROOT_PORT "cxl-rp"

/* Every range claimed in any window, to share windows between devices. */
static GSList *vfio_cxl_claims;

typedef struct VFIOCXLWindowSearch {
    PCIBus *hb_bus;
    GSList *windows;
} VFIOCXLWindowSearch;

/* Does window @fw name the host bridge whose root bus is @hb_bus? */
static bool vfio_cxl_window_targets(CXLFixedWindow *fw, PCIBus *hb_bus,
                                    PXBCXLDev **pxb)
{
    int i;

    for (i = 0; i < fw->num_targets; i++) {
        Object *o = object_resolve_path_type(fw->targets[i],
                                             TYPE_PXB_CXL_DEV, NULL);
        PXBCXLDev *p = o ? PXB_CXL_DEV(o) : NULL;

        if (p && p->cxl_host_bridge &&
            PCI_HOST_BRIDGE(p->cxl_host_bridge)->bus == hb_bus) {
            *pxb = p;
            return true;
        }
    }
    return false;
}

static int vfio_cxl_window_find(Object *obj, void *opaque)
{
    VFIOCXLWindowSearch *s = opaque;
    PXBCXLDev *pxb;

    if (object_dynamic_cast(obj, TYPE_CXL_FMW) &&
        vfio_cxl_window_targets(CXL_FMW(obj), s->hb_bus, &pxb)) {
        s->windows = g_slist_prepend(s->windows, obj);
    }
    return 0;
}

static const char *vfio_cxl_id(DeviceState *dev)
{
    return dev->id ? dev->id : object_get_typename(OBJECT(dev));
}

/* Lowest 256 MiB aligned offset in @fw where @size bytes are free. */
static hwaddr vfio_cxl_window_free_offset(CXLFixedWindow *fw, uint64_t size)
{
    hwaddr offset = 0;
    GSList *l;

restart:
    for (l = vfio_cxl_claims; l; l = l->next) {
        VFIOCXLWindowClaim *c = l->data;

        if (c->fw == fw && offset < c->offset + c->size &&
            c->offset < offset + size) {
            offset = ROUND_UP(c->offset + c->size, CXL_HDM_GRANULE);
            goto restart;
        }
    }
    return offset;
}

/* The lowest host bridge decoder from which @count are free */
static unsigned vfio_cxl_free_hb_decoder(PXBCXLDev *pxb, unsigned count)
{
    unsigned n = 0;
    GSList *l;

restart:
    for (l = vfio_cxl_claims; l; l = l->next) {
        VFIOCXLWindowClaim *c = l->data;

        if (c->pxb == pxb && c->hb_count && n < c->hb_decoder + c->hb_count &&
            c->hb_decoder < n + count) {
            n = c->hb_decoder + c->hb_count;
            goto restart;
        }
    }
    return n;
}

/*
 * Tell the ACPI tables (built at machine_done, and again when the guest
 * reads them after a reset) what the windows and host bridges hold: a
 * window with device memory is device-coherent RAM, and a host bridge with
 * a passed-through device keeps the decoders QEMU committed.
 */
static void vfio_cxl_update_acpi_flags(CXLFixedWindow *fw, PXBCXLDev *pxb)
{
    bool in_fw = false, in_hb = false;
    GSList *l;

    for (l = vfio_cxl_claims; l; l = l->next) {
        VFIOCXLWindowClaim *c = l->data;

        in_fw |= c->fw == fw;
        in_hb |= c->pxb == pxb;
    }
    fw->type2_mem = in_fw;
    pxb->cxl_host_bridge->type2_committed = in_hb;
}

/*
 * A device with guest-programmed decoders has its window and host bridge
 * to itself: whatever the guest commits inside the window is its own.
 */
static bool vfio_cxl_window_check_shared(CXLFixedWindow *fw, PXBCXLDev *pxb,
                                         bool exclusive, Error **errp)
{
    const char *hb_name = PCI_HOST_BRIDGE(pxb->cxl_host_bridge)->bus->qbus.name;
    GSList *l;

    for (l = vfio_cxl_claims; l; l = l->next) {
        VFIOCXLWindowClaim *c = l->data;

        if ((c->fw != fw && c->pxb != pxb) ||
            (!exclusive && !c->exclusive)) {
            continue;
        }
        error_setg(errp, "host bridge '%s' and CXL Fixed Memory Window %d "
                   "already carry the memory of device '%s'%s", hb_name,
                   fw->index, vfio_cxl_id(DEVICE(c->dev)),
                   c->exclusive ? ", which has cxl-decoders=guest" : "");
        error_append_hint(errp, "A device with cxl-decoders=guest needs a "
                          "pxb-cxl, a cxl-rp and a cxl-fmw window of its "
                          "own.\n");
        return false;
    }
    return true;
}

typedef struct VFIOCXLMemorySearch {
    PCIDevice *skip;        /* the device's own root port */
    PCIDevice *found;
} VFIOCXLMemorySearch;

/* CXL memory elsewhere below a host bridge: a Type-3 device, a switch */
static void vfio_cxl_find_memory(PCIBus *bus, PCIDevice *dev, void *opaque)
{
    VFIOCXLMemorySearch *s = opaque;

    if (dev == s->skip || s->found) {
        return;
    }
    if (object_dynamic_cast(OBJECT(dev), "cxl-type3") ||
        object_dynamic_cast(OBJECT(dev), "cxl-upstream")) {
        s->found = dev;
    } else if (object_dynamic_cast(OBJECT(dev), TYPE_PCI_BRIDGE)) {
        pci_for_each_device_under_bus(pci_bridge_get_sec_bus(PCI_BRIDGE(dev)),
                                      vfio_cxl_find_memory, s);
    }
}

static void vfio_cxl_find_other(PCIBus *bus, PCIDevice *dev, void *opaque)
{
    VFIOCXLMemorySearch *s = opaque;

    if (dev != s->skip && !s->found) {
        s->found = dev;
    }
}

bool vfio_cxl_window_check_alone(const VFIOCXLWindowClaim *claim,
                                 Error **errp)
{
    PCIBus *hb_bus = pci_get_bus(claim->rp);
    VFIOCXLMemorySearch s = { .skip = claim->dev };

    pci_for_each_device_under_bus(pci_get_bus(claim->dev),
                                  vfio_cxl_find_other, &s);
    if (s.found) {
        error_setg(errp, "device '%s' shares root port '%s' with '%s'; with "
                   "cxl-decoders=guest it must be alone below its root port",
                   vfio_cxl_id(DEVICE(claim->dev)),
                   vfio_cxl_id(DEVICE(claim->rp)),
                   vfio_cxl_id(DEVICE(s.found)));
        error_append_hint(errp, "Give the other device a root port of its "
                          "own.\n");
        return false;
    }
    s.skip = claim->rp;
    pci_for_each_device_under_bus(hb_bus, vfio_cxl_find_memory, &s);
    if (s.found) {
        error_setg(errp, "host bridge '%s' also holds CXL memory below '%s'; "
                   "with cxl-decoders=guest root port '%s' must be the only "
                   "one of its host bridge with CXL memory",
                   hb_bus->qbus.name, vfio_cxl_id(DEVICE(s.found)),
                   vfio_cxl_id(DEVICE(claim->rp)));
        error_append_hint(errp, "Move '%s' to a pxb-cxl of its own.\n",
                          vfio_cxl_id(DEVICE(s.found)));
        return false;
    }
    return true;
}

bool vfio_cxl_window_claim(PCIDevice *pdev, uint64_t size, bool exclusive,
                           unsigned hb_count, VFIOCXLWindowClaim *claim,
                           Error **errp)
{
    PCIBus *bus = pci_get_bus(pdev);
    PCIDevice *rp = bus->parent_dev;
    VFIOCXLWindowSearch s = { 0 };
    CXLFixedWindow *fw;
    const char *hb_name;
    PXBCXLDev *pxb;

    if (!rp || !object_dynamic_cast(OBJECT(rp), VFIO_CXL_ROOT_PORT)) {
        error_setg(errp, "the device must sit directly below a CXL root "
                   "port (cxl-rp), but it is on bus '%s'", bus->qbus.name);
        error_append_hint(errp, "Use -device pxb-cxl,id=cxl.1,... "
                          "-device cxl-rp,bus=cxl.1,id=rp0,... and put the "
                          "device on bus=rp0, or set cxl=off to pass it "
                          "through as a plain PCI device.\n");
        return false;
    }
    s.hb_bus = pci_get_bus(rp);
    if (!pci_bus_is_cxl(s.hb_bus) || !pci_bus_is_root(s.hb_bus)) {
        error_setg(errp, "CXL root port '%s' is not on a pxb-cxl host bridge",
                   vfio_cxl_id(DEVICE(rp)));
        return false;
    }
    hb_name = s.hb_bus->qbus.name;

    object_child_foreach_recursive(object_get_root(), vfio_cxl_window_find,
                                   &s);
    if (!s.windows) {
        error_setg(errp, "no CXL Fixed Memory Window targets host bridge "
                   "'%s'", hb_name);
        error_append_hint(errp, "Add a window for it, e.g. -M <machine>,"
                          "cxl=on,cxl-fmw.0.targets.0=%s,cxl-fmw.0.size=4G\n",
                          hb_name);
        return false;
    }
    if (s.windows->next) {
        error_setg(errp, "CXL Fixed Memory Windows %d and %d both target "
                   "host bridge '%s'; device memory needs exactly one",
                   CXL_FMW(s.windows->data)->index,
                   CXL_FMW(s.windows->next->data)->index, hb_name);
        g_slist_free(s.windows);
        return false;
    }
    fw = CXL_FMW(s.windows->data);
    g_slist_free(s.windows);
    vfio_cxl_window_targets(fw, s.hb_bus, &pxb);

    /*
     * A host bridge that holds device memory at reset keeps its HDM
     * decoders (pxb_cxl_dev_reset()): Linux assembles a region only through
     * a host bridge decoder that matches the endpoint's. One that was reset
     * without them, as a pass-through host bridge, cannot grow them while
     * the guest runs.
     */
    if (cxl_get_hb_passthrough(PCI_HOST_BRIDGE(pxb->cxl_host_bridge))) {
        error_setg(errp, "host bridge '%s' was reset without HDM decoders "
                   "(one root port, hdm_for_passthrough=off): a guest OS "
                   "cannot route device memory through it", hb_name);
        error_append_hint(errp, "Set hdm_for_passthrough=on on the pxb-cxl, "
                          "or add the device at start-up.\n");
        return false;
    }

    if (fw->num_targets != 1) {
        error_setg(errp, "CXL Fixed Memory Window %d interleaves across %d "
                   "host bridges; device memory cannot be interleaved, it "
                   "needs a window whose only target is '%s'", fw->index,
                   fw->num_targets, hb_name);
        return false;
    }

    if (!fw->base) {
        error_setg(errp, "CXL Fixed Memory Window %d has no guest physical "
                   "address: it did not fit in the machine's memory map",
                   fw->index);
        return false;
    }

    if (!vfio_cxl_window_check_shared(fw, pxb, exclusive, errp)) {
        return false;
    }
    claim->offset = exclusive ? 0 : vfio_cxl_window_free_offset(fw, size);
    if (claim->offset + size > fw->size) {
        error_setg(errp, "CXL Fixed Memory Window %d (0x%" PRIx64 " bytes) "
                   "is too small for 0x%" PRIx64 " bytes of device memory "
                   "at offset 0x%" HWADDR_PRIx, fw->index, fw->size, size,
                   claim->offset);
        error_append_hint(errp, "Raise cxl-fmw.%d.size to at least "
                          "0x%" PRIx64 ".\n", fw->index,
                          claim->offset + size);
        return false;
    }

    claim->fw = fw;
    claim->pxb = pxb;
    claim->rp = rp;
    claim->dev = pdev;
    claim->size = exclusive ? fw->size : size;
    claim->exclusive = exclusive;
    claim->hb_decoder = vfio_cxl_free_hb_decoder(pxb, hb_count);
    claim->hb_count = hb_count;
    memset(claim->part_mapped, 0, sizeof(claim->part_mapped));
    vfio_cxl_claims = g_slist_prepend(vfio_cxl_claims, claim);
    vfio_cxl_update_acpi_flags(fw, pxb);
    trace_vfio_cxl_window_claim(fw->index, hb_name, vfio_cxl_id(DEVICE(rp)),
                                claim->offset, claim->size,
                                claim->hb_decoder);
    return true;
}

void vfio_cxl_window_release(VFIOCXLWindowClaim *claim)
{
    if (!claim->fw) {
        return;
    }
    vfio_cxl_window_unmap(claim);
    vfio_cxl_claims = g_slist_remove(vfio_cxl_claims, claim);
    vfio_cxl_update_acpi_flags(claim->fw, claim->pxb);
    claim->fw = NULL;
}

hwaddr vfio_cxl_window_gpa(const VFIOCXLWindowClaim *claim)
{
    return claim->fw->base + claim->offset;
}

void vfio_cxl_window_map_part(VFIOCXLWindowClaim *claim, unsigned n,
                              MemoryRegion *mem, uint64_t dpa, hwaddr gpa,
                              uint64_t size)
{
    g_autofree char *name = g_strdup_printf("%s decoder %u",
                                            memory_region_name(mem), n);
    hwaddr offset = gpa - claim->fw->base;

    /* The decoder model only commits inside the claimed range. */
    assert(n < CXL_HDM_MAX_DECODERS && !claim->part_mapped[n]);
    assert(offset >= claim->offset &&
           offset + size <= claim->offset + claim->size);
    trace_vfio_cxl_window_map(claim->fw->index, n, offset, gpa, dpa, size);
    memory_region_init_alias(&claim->part[n], OBJECT(claim->dev), name, mem,
                             dpa, size);
    /* Priority 1: above the window's cfmws dispatch, which is the MR. */
    memory_region_add_subregion_overlap(&claim->fw->mr, offset,
                                        &claim->part[n], 1);
    claim->part_mapped[n] = true;
}

void vfio_cxl_window_unmap_part(VFIOCXLWindowClaim *claim, unsigned n)
{
    if (n < CXL_HDM_MAX_DECODERS && claim->part_mapped[n]) {
        trace_vfio_cxl_window_unmap(claim->fw->index, n);
        memory_region_del_subregion(&claim->fw->mr, &claim->part[n]);
        object_unparent(OBJECT(&claim->part[n]));
        claim->part_mapped[n] = false;
    }
}

void vfio_cxl_window_unmap(VFIOCXLWindowClaim *claim)
{
    unsigned n;

    for (n = 0; n < CXL_HDM_MAX_DECODERS; n++) {
        vfio_cxl_window_unmap_part(claim, n);
    }
}

void vfio_cxl_window_program_host_bridge(const VFIOCXLWindowClaim *claim,
                                         unsigned n, hwaddr base,
                                         uint64_t size)
{
    PCIHostState *hb = PCI_HOST_BRIDGE(claim->pxb->cxl_host_bridge);
    CXLComponentState *cstate = cxl_get_hb_cstate(hb);
    uint32_t *regs = cstate->crb.cache_mem_registers;
    int stride = R_CXL_HDM_DECODER1_BASE_LO - R_CXL_HDM_DECODER0_BASE_LO;
    unsigned dec = claim->hb_decoder + n;
    int i = dec * stride;
    unsigned count;
    uint32_t ctrl = 0;

    /* Only a hot-added device can meet one; see vfio_cxl_window_claim(). */
    if (cxl_get_hb_passthrough(hb)) {
        trace_vfio_cxl_hb_passthrough(hb->bus->qbus.name);
        return;
    }
    count = cxl_decoder_count_dec(FIELD_EX32(
                ldl_le_p(regs + R_CXL_HDM_DECODER_CAPABILITY),
                CXL_HDM_DECODER_CAPABILITY, DECODER_COUNT));
    assert(n < claim->hb_count);
    if (dec >= MIN(count, CXL_HDM_DECODER_COUNT)) {
        warn_report("CXL host bridge '%s' has no free HDM decoder for the "
                    "device memory at 0x%" PRIx64, hb->bus->qbus.name, base);
        return;
    }

    ctrl = FIELD_DP32(ctrl, CXL_HDM_DECODER0_CTRL, LOCK_ON_COMMIT, 1);
    ctrl = FIELD_DP32(ctrl, CXL_HDM_DECODER0_CTRL, COMMIT, 1);
    ctrl = FIELD_DP32(ctrl, CXL_HDM_DECODER0_CTRL, COMMITTED, 1);
    stl_le_p(regs + R_CXL_HDM_DECODER0_BASE_LO + i,
             base & CXL_HDM_ADDR_LO_MASK);
    stl_le_p(regs + R_CXL_HDM_DECODER0_BASE_HI + i, base >> 32);
    stl_le_p(regs + R_CXL_HDM_DECODER0_SIZE_LO + i,
             size & CXL_HDM_ADDR_LO_MASK);
    stl_le_p(regs + R_CXL_HDM_DECODER0_SIZE_HI + i, size >> 32);
    /* One way: the root port is the only target. */
    stl_le_p(regs + R_CXL_HDM_DECODER0_TARGET_LIST_LO + i,
             PCIE_PORT(claim->rp)->port);
    stl_le_p(regs + R_CXL_HDM_DECODER0_TARGET_LIST_HI + i, 0);
    stl_le_p(regs + R_CXL_HDM_DECODER0_CTRL + i, ctrl);
    stl_le_p(regs + R_CXL_HDM_DECODER_GLOBAL_CONTROL,
             FIELD_DP32(ldl_le_p(regs + R_CXL_HDM_DECODER_GLOBAL_CONTROL),
                        CXL_HDM_DECODER_GLOBAL_CONTROL, HDM_DECODER_ENABLE,
                        1));
    trace_vfio_cxl_hb_commit(hb->bus->qbus.name, dec, base, size,
                             PCIE_PORT(claim->rp)->port);
}
