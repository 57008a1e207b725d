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
 * gets its own 256 MiB aligned range, clear of any CXL memory in use
 * there (a guest's Type-3 region), and host bridge decoders that keep
 * the committed ones in address order. A device whose guest programs its
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
#include "hw/cxl/cxl_device.h"
#include "hw/pci/pci_bus.h"
#include "hw/pci/pcie_port.h"
#include "hw/vfio/cxl-uapi.h"
#include "system/reset.h"
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

/*
 * What a window already decodes, for placing device memory in it: each
 * range in use, and each host bridge decoder in use (committed, or
 * reserved by a claim) with the range it decodes.
 */
typedef struct VFIOCXLInUse {
    hwaddr base;
    uint64_t size;
    char *what;
} VFIOCXLInUse;

typedef struct VFIOCXLPlacement {
    GArray *ranges;         /* VFIOCXLInUse */
    unsigned hb_count;      /* decoders the host bridge has */
    bool hb_used[CXL_HDM_MAX_DECODERS];
    hwaddr hb_base[CXL_HDM_MAX_DECODERS];
    hwaddr hb_end[CXL_HDM_MAX_DECODERS];
    unsigned hb_in_use;
} VFIOCXLPlacement;

/* End of [@base, @base + @size), saturated: guest values may wrap */
static hwaddr vfio_cxl_end(hwaddr base, uint64_t size)
{
    return base + size < base ? HWADDR_MAX : base + size;
}

static void vfio_cxl_in_use_clear(gpointer data)
{
    g_free(((VFIOCXLInUse *)data)->what);
}

static void G_GNUC_PRINTF(4, 5)
vfio_cxl_add_in_use(VFIOCXLPlacement *p, hwaddr base, uint64_t size,
                    const char *fmt, ...)
{
    VFIOCXLInUse r = { .base = base, .size = size };
    va_list ap;

    if (!size) {
        return;
    }
    va_start(ap, fmt);
    r.what = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    trace_vfio_cxl_window_in_use(base, size, r.what);
    g_array_append_val(p->ranges, r);
}

/*
 * Has the host bridge HDM decoders? Not before its first reset (no
 * registers yet), nor as a pass-through host bridge.
 */
static bool vfio_cxl_hb_has_decoders(const uint32_t *regs)
{
    return FIELD_EX32(ldl_le_p(regs + R_CXL_HDM_CAPABILITY_HEADER),
                      CXL_HDM_CAPABILITY_HEADER, ID) == CXL_CAP_ID_HDM;
}

/* The HDM decoders of an emulated CXL component (upstream register layout) */
static unsigned vfio_cxl_regs_decoders(const uint32_t *regs)
{
    return MIN(cxl_decoder_count_dec(FIELD_EX32(
                   ldl_le_p(regs + R_CXL_HDM_DECODER_CAPABILITY),
                   CXL_HDM_DECODER_CAPABILITY, DECODER_COUNT)),
               CXL_HDM_DECODER_COUNT);
}

static bool vfio_cxl_regs_decoder(const uint32_t *regs, unsigned n,
                                  hwaddr *base, uint64_t *size)
{
    int i = n * (R_CXL_HDM_DECODER1_BASE_LO - R_CXL_HDM_DECODER0_BASE_LO);

    *base = (ldl_le_p(regs + R_CXL_HDM_DECODER0_BASE_LO + i) &
             CXL_HDM_ADDR_LO_MASK) |
            (uint64_t)ldl_le_p(regs + R_CXL_HDM_DECODER0_BASE_HI + i) << 32;
    *size = (ldl_le_p(regs + R_CXL_HDM_DECODER0_SIZE_LO + i) &
             CXL_HDM_ADDR_LO_MASK) |
            (uint64_t)ldl_le_p(regs + R_CXL_HDM_DECODER0_SIZE_HI + i) << 32;
    return FIELD_EX32(ldl_le_p(regs + R_CXL_HDM_DECODER0_CTRL + i),
                      CXL_HDM_DECODER0_CTRL, COMMITTED);
}

/* Committed decoders of the CXL memory below a host bridge */
static void vfio_cxl_find_decoders(PCIBus *bus, PCIDevice *dev, void *opaque)
{
    VFIOCXLPlacement *p = opaque;
    CXLComponentState *cstate = NULL;
    hwaddr base;
    uint64_t size;
    unsigned n;

    if (object_dynamic_cast(OBJECT(dev), TYPE_CXL_TYPE3)) {
        cstate = &CXL_TYPE3(dev)->cxl_cstate;
    } else if (object_dynamic_cast(OBJECT(dev), TYPE_CXL_USP)) {
        cstate = cxl_usp_to_cstate(CXL_USP(dev));
    }
    for (n = 0; cstate && n < vfio_cxl_regs_decoders(
                    cstate->crb.cache_mem_registers); n++) {
        if (vfio_cxl_regs_decoder(cstate->crb.cache_mem_registers, n, &base,
                                  &size) && size) {
            vfio_cxl_add_in_use(p, base, size, "HDM decoder %u of '%s'", n,
                                vfio_cxl_id(DEVICE(dev)));
        }
    }
    if (object_dynamic_cast(OBJECT(dev), TYPE_PCI_BRIDGE)) {
        pci_for_each_device_under_bus(pci_bridge_get_sec_bus(PCI_BRIDGE(dev)),
                                      vfio_cxl_find_decoders, p);
    }
}

/*
 * Everything window @fw and host bridge @pxb decode now: the claims, the
 * committed host bridge decoders, and the committed decoders of CXL
 * memory below the host bridge (a guest may commit an endpoint's before
 * its host bridge's, and a pass-through host bridge has none).
 */
static void vfio_cxl_placement_init(VFIOCXLPlacement *p, CXLFixedWindow *fw,
                                    PXBCXLDev *pxb)
{
    PCIHostState *hb = PCI_HOST_BRIDGE(pxb->cxl_host_bridge);
    const uint32_t *regs = cxl_get_hb_cstate(hb)->crb.cache_mem_registers;
    const char *hb_name = hb->bus->qbus.name;
    hwaddr base;
    uint64_t size;
    unsigned n;
    GSList *l;

    memset(p, 0, sizeof(*p));
    p->ranges = g_array_new(false, false, sizeof(VFIOCXLInUse));
    g_array_set_clear_func(p->ranges, vfio_cxl_in_use_clear);

    /*
     * Before its first reset a pxb-cxl has no registers yet; at reset it
     * gets CXL_HDM_DECODER_COUNT decoders (it keeps them, holding device
     * memory: see pxb_cxl_dev_reset()).
     */
    if (vfio_cxl_hb_has_decoders(regs)) {
        p->hb_count = vfio_cxl_regs_decoders(regs);
        for (n = 0; n < p->hb_count; n++) {
            if (vfio_cxl_regs_decoder(regs, n, &base, &size)) {
                p->hb_used[n] = true;
                p->hb_base[n] = base;
                p->hb_end[n] = vfio_cxl_end(base, size);
                vfio_cxl_add_in_use(p, base, size, "decoder %u of host "
                                    "bridge '%s'", n, hb_name);
            }
        }
    } else {
        p->hb_count = CXL_HDM_DECODER_COUNT;
    }

    for (l = vfio_cxl_claims; l; l = l->next) {
        VFIOCXLWindowClaim *c = l->data;

        if (c->fw == fw) {
            vfio_cxl_add_in_use(p, fw->base + c->offset, c->size,
                                "the memory of device '%s'",
                                vfio_cxl_id(DEVICE(c->dev)));
        }
        for (n = 0; c->pxb == pxb && n < c->hb_count; n++) {
            unsigned dec = c->hb_decoder + n;

            if (dec < p->hb_count && !p->hb_used[dec]) {
                p->hb_used[dec] = true;
                p->hb_base[dec] = c->fw->base + c->offset;
                p->hb_end[dec] = vfio_cxl_end(c->fw->base + c->offset,
                                              c->size);
            }
        }
    }
    for (n = 0; n < p->hb_count; n++) {
        p->hb_in_use += p->hb_used[n];
    }
    pci_for_each_device_under_bus(hb->bus, vfio_cxl_find_decoders, p);
}

/*
 * Lowest 256 MiB aligned offset of @fw, in [@lo, @hi), where @size bytes
 * overlap nothing in use. False if there is none.
 */
static bool vfio_cxl_free_offset(VFIOCXLPlacement *p, CXLFixedWindow *fw,
                                 hwaddr lo, hwaddr hi, uint64_t size,
                                 hwaddr *offset)
{
    hwaddr start;
    unsigned i;

    lo = MAX(lo, fw->base);
    hi = MIN(hi, fw->base + fw->size);
    if (lo >= hi) {
        return false;
    }
    start = fw->base + ROUND_UP(lo - fw->base, CXL_HDM_GRANULE);
restart:
    if (start >= hi || size > hi - start) {
        return false;
    }
    for (i = 0; i < p->ranges->len; i++) {
        VFIOCXLInUse *r = &g_array_index(p->ranges, VFIOCXLInUse, i);
        hwaddr end = vfio_cxl_end(r->base, r->size);

        if (start < end && r->base < start + size) {
            /* Past it: @start only grows, and stays below @hi. */
            if (end >= hi) {
                return false;
            }
            start = fw->base + ROUND_UP(end - fw->base, CXL_HDM_GRANULE);
            goto restart;
        }
    }
    *offset = start - fw->base;
    return true;
}

/*
 * Place @size bytes and @count host bridge decoders. The decoders are
 * the lowest consecutive free ones for which a range exists above what
 * the decoders before them decode and below what those after them
 * decode: committed decoders must decode ascending addresses (CXL r3.1
 * 8.2.4.20.12), and QEMU never touches one it did not commit.
 */
static bool vfio_cxl_place_range(VFIOCXLPlacement *p, CXLFixedWindow *fw,
                                 uint64_t size, unsigned count,
                                 hwaddr *offset, unsigned *first)
{
    unsigned d, n;

    if (!count) {
        return vfio_cxl_free_offset(p, fw, fw->base, fw->base + fw->size,
                                    size, offset);
    }
    for (d = 0; d + count <= p->hb_count; d++) {
        hwaddr lo = fw->base, hi = fw->base + fw->size;
        bool avail = true;

        for (n = 0; n < p->hb_count; n++) {
            if (!p->hb_used[n]) {
                continue;
            }
            if (n >= d && n < d + count) {
                avail = false;
                break;
            }
            if (n < d) {
                lo = MAX(lo, p->hb_end[n]);
            } else {
                hi = MIN(hi, p->hb_base[n]);
            }
        }
        if (avail && vfio_cxl_free_offset(p, fw, lo, hi, size, offset)) {
            *first = d;
            return true;
        }
    }
    return false;
}

static char *vfio_cxl_in_use_str(VFIOCXLPlacement *p)
{
    GString *s = g_string_new("");
    unsigned i;

    for (i = 0; i < p->ranges->len; i++) {
        VFIOCXLInUse *r = &g_array_index(p->ranges, VFIOCXLInUse, i);

        g_string_append_printf(s, "  0x%" HWADDR_PRIx "-0x%" HWADDR_PRIx
                               ": %s\n", r->base, r->base + r->size - 1,
                               r->what);
    }
    return g_string_free(s, false);
}

/*
 * Tell the ACPI tables (built at machine_done, and again when the guest
 * reads them after a reset) what the windows and host bridges hold: a
 * window with device memory holds the kinds of memory its devices'
 * decoders commit, and a host bridge with a passed-through device keeps
 * the decoders QEMU committed.
 */
static void vfio_cxl_update_acpi_flags(CXLFixedWindow *fw, PXBCXLDev *pxb)
{
    uint16_t kinds = 0;
    bool in_hb = false;
    GSList *l;

    for (l = vfio_cxl_claims; l; l = l->next) {
        VFIOCXLWindowClaim *c = l->data;

        kinds |= c->fw == fw ? c->kinds : 0;
        in_hb |= c->pxb == pxb;
    }
    fw->type2_mem = kinds;
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

/*
 * A system reset uncommits every host bridge decoder (pxb_cxl_dev_reset()),
 * and the devices' reset handlers, registered after this one, commit
 * theirs again. Number them from 0 in address order first, so that no
 * gap an unplug left survives into the next boot: an OS expects the
 * committed decoders to be 0 to n-1 (CXL r3.1 8.2.4.20.12 commits
 * decoder m before decoder m+1).
 */
static void vfio_cxl_window_reset(void *opaque)
{
    GSList *l, *m;

    for (l = vfio_cxl_claims; l; l = l->next) {
        VFIOCXLWindowClaim *c = l->data;

        c->hb_decoder = 0;
        c->hb_programmed = 0;
        for (m = vfio_cxl_claims; m; m = m->next) {
            VFIOCXLWindowClaim *o = m->data;

            if (o->pxb == c->pxb &&
                vfio_cxl_window_gpa(o) < vfio_cxl_window_gpa(c)) {
                c->hb_decoder += o->hb_count;
            }
        }
        if (c->hb_count) {
            trace_vfio_cxl_hb_renumber(vfio_cxl_id(DEVICE(c->dev)),
                                       c->hb_decoder);
        }
    }
}

bool vfio_cxl_window_claim(PCIDevice *pdev, uint64_t size, bool exclusive,
                           unsigned hb_count, uint16_t kinds,
                           VFIOCXLWindowClaim *claim, Error **errp)
{
    static bool reset_registered;
    PCIBus *bus = pci_get_bus(pdev);
    PCIDevice *rp = bus->parent_dev;
    VFIOCXLWindowSearch s = { 0 };
    g_autoptr(GArray) in_use = NULL;
    VFIOCXLPlacement p;
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
    if (size > fw->size) {
        error_setg(errp, "CXL Fixed Memory Window %d (0x%" PRIx64 " bytes) "
                   "is too small for 0x%" PRIx64 " bytes of device memory",
                   fw->index, fw->size, size);
        error_append_hint(errp, "Raise cxl-fmw.%d.size to at least "
                          "0x%" PRIx64 ".\n", fw->index, size);
        return false;
    }

    vfio_cxl_placement_init(&p, fw, pxb);
    in_use = p.ranges;
    claim->hb_decoder = 0;
    if (hb_count > p.hb_count - p.hb_in_use) {
        error_setg(errp, "host bridge '%s' has %u HDM decoders, %u of them "
                   "in use, but the device needs %u (one per HDM decoder "
                   "the host committed)", hb_name, p.hb_count, p.hb_in_use,
                   hb_count);
        error_append_hint(errp, "Put the device below a pxb-cxl of its own, "
                          "or have the host commit fewer HDM decoders for "
                          "its memory.\n");
        return false;
    }
    if (!vfio_cxl_place_range(&p, fw, exclusive ? fw->size : size,
                              hb_count, &claim->offset, &claim->hb_decoder)) {
        g_autofree char *list = vfio_cxl_in_use_str(&p);

        error_setg(errp, "CXL Fixed Memory Window %d (0x%" PRIx64 " bytes "
                   "at 0x%" HWADDR_PRIx ") has no room for 0x%" PRIx64
                   " bytes of device memory that overlaps no CXL memory in "
                   "use%s", fw->index, fw->size, fw->base,
                   exclusive ? fw->size : size,
                   hb_count ? " and keeps the host bridge decoders in "
                   "address order" : "");
        error_append_hint(errp, "In use:\n%s", list);
        if (exclusive) {
            error_append_hint(errp, "With cxl-decoders=guest the device "
                              "needs the whole window.\n");
        } else {
            error_append_hint(errp, "Raise cxl-fmw.%d.size, or add the "
                              "device before the guest commits CXL memory "
                              "in the window.\n", fw->index);
        }
        return false;
    }

    claim->fw = fw;
    claim->pxb = pxb;
    claim->rp = rp;
    claim->dev = pdev;
    claim->size = exclusive ? fw->size : size;
    claim->exclusive = exclusive;
    claim->kinds = kinds;
    claim->hb_count = hb_count;
    claim->hb_programmed = 0;
    memset(claim->part_mapped, 0, sizeof(claim->part_mapped));
    if (!reset_registered) {
        /* Before any device's reset handler: see vfio_cxl_window_reset() */
        qemu_register_reset(vfio_cxl_window_reset, NULL);
        reset_registered = true;
    }
    vfio_cxl_claims = g_slist_prepend(vfio_cxl_claims, claim);
    vfio_cxl_update_acpi_flags(fw, pxb);
    trace_vfio_cxl_window_claim(fw->index, hb_name, vfio_cxl_id(DEVICE(rp)),
                                claim->offset, claim->size,
                                claim->hb_decoder);
    return true;
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

/* Register @reg of host bridge decoder @dec */
#define HB_DEC(regs, reg, dec) \
    ((regs) + R_CXL_HDM_DECODER0_##reg + (dec) * \
     (R_CXL_HDM_DECODER1_BASE_LO - R_CXL_HDM_DECODER0_BASE_LO))

void vfio_cxl_window_program_host_bridge(VFIOCXLWindowClaim *claim,
                                         unsigned n, hwaddr base,
                                         uint64_t size)
{
    PCIHostState *hb = PCI_HOST_BRIDGE(claim->pxb->cxl_host_bridge);
    CXLComponentState *cstate = cxl_get_hb_cstate(hb);
    uint32_t *regs = cstate->crb.cache_mem_registers;
    unsigned dec = claim->hb_decoder + n;
    hwaddr cur_base;
    uint64_t cur_size;
    uint32_t ctrl = 0;

    /* Only a hot-added device can meet one; see vfio_cxl_window_claim(). */
    if (cxl_get_hb_passthrough(hb)) {
        trace_vfio_cxl_hb_passthrough(hb->bus->qbus.name);
        return;
    }
    assert(n < claim->hb_count);
    if (!vfio_cxl_hb_has_decoders(regs)) {
        /* At machine_done, before the first reset: that reset programs it */
        trace_vfio_cxl_hb_not_reset(hb->bus->qbus.name);
        return;
    }
    /* vfio_cxl_window_claim() reserved free decoders that exist. */
    if (dec >= vfio_cxl_regs_decoders(regs)) {
        warn_report("CXL host bridge '%s' has no HDM decoder %u for the "
                    "device memory at 0x%" PRIx64, hb->bus->qbus.name, dec,
                    base);
        return;
    }
    /*
     * Never overwrite a committed decoder: one a guest committed (and
     * maybe locked) routes memory it uses. After a reset none is.
     */
    if (vfio_cxl_regs_decoder(regs, dec, &cur_base, &cur_size)) {
        if (cur_base != base || cur_size != size) {
            warn_report("CXL host bridge '%s' decoder %u is committed to "
                        "0x%" PRIx64 "+0x%" PRIx64 ": not overwritten for "
                        "the device memory at 0x%" PRIx64,
                        hb->bus->qbus.name, dec, cur_base, cur_size, base);
        }
        return;
    }

    ctrl = FIELD_DP32(ctrl, CXL_HDM_DECODER0_CTRL, LOCK_ON_COMMIT, 1);
    ctrl = FIELD_DP32(ctrl, CXL_HDM_DECODER0_CTRL, COMMIT, 1);
    ctrl = FIELD_DP32(ctrl, CXL_HDM_DECODER0_CTRL, COMMITTED, 1);
    stl_le_p(HB_DEC(regs, BASE_LO, dec), base & CXL_HDM_ADDR_LO_MASK);
    stl_le_p(HB_DEC(regs, BASE_HI, dec), base >> 32);
    stl_le_p(HB_DEC(regs, SIZE_LO, dec), size & CXL_HDM_ADDR_LO_MASK);
    stl_le_p(HB_DEC(regs, SIZE_HI, dec), size >> 32);
    /* One way: the root port is the only target. */
    stl_le_p(HB_DEC(regs, TARGET_LIST_LO, dec), PCIE_PORT(claim->rp)->port);
    stl_le_p(HB_DEC(regs, TARGET_LIST_HI, dec), 0);
    stl_le_p(HB_DEC(regs, CTRL, dec), ctrl);
    stl_le_p(regs + R_CXL_HDM_DECODER_GLOBAL_CONTROL,
             FIELD_DP32(ldl_le_p(regs + R_CXL_HDM_DECODER_GLOBAL_CONTROL),
                        CXL_HDM_DECODER_GLOBAL_CONTROL, HDM_DECODER_ENABLE,
                        1));
    claim->hb_programmed |= BIT_ULL(n);
    claim->hb_base[n] = base;
    claim->hb_size[n] = size;
    trace_vfio_cxl_hb_commit(hb->bus->qbus.name, dec, base, size,
                             PCIE_PORT(claim->rp)->port);
}

/*
 * Uncommit and clear the host bridge decoders QEMU committed for @claim,
 * if they still say what QEMU wrote: a guest that rewrote one owns it.
 */
static void vfio_cxl_window_release_host_bridge(VFIOCXLWindowClaim *claim)
{
    PCIHostState *hb = PCI_HOST_BRIDGE(claim->pxb->cxl_host_bridge);
    uint32_t *regs = cxl_get_hb_cstate(hb)->crb.cache_mem_registers;
    hwaddr base;
    uint64_t size;
    unsigned n;

    for (n = 0; n < claim->hb_count; n++) {
        unsigned dec = claim->hb_decoder + n;

        if (!(claim->hb_programmed & BIT_ULL(n))) {
            continue;
        }
        if (!vfio_cxl_hb_has_decoders(regs) ||
            dec >= vfio_cxl_regs_decoders(regs) ||
            !vfio_cxl_regs_decoder(regs, dec, &base, &size) ||
            base != claim->hb_base[n] || size != claim->hb_size[n] ||
            ldl_le_p(HB_DEC(regs, TARGET_LIST_LO, dec)) !=
            PCIE_PORT(claim->rp)->port) {
            trace_vfio_cxl_hb_kept(hb->bus->qbus.name, dec);
            continue;
        }
        stl_le_p(HB_DEC(regs, BASE_LO, dec), 0);
        stl_le_p(HB_DEC(regs, BASE_HI, dec), 0);
        stl_le_p(HB_DEC(regs, SIZE_LO, dec), 0);
        stl_le_p(HB_DEC(regs, SIZE_HI, dec), 0);
        stl_le_p(HB_DEC(regs, TARGET_LIST_LO, dec), 0);
        stl_le_p(HB_DEC(regs, TARGET_LIST_HI, dec), 0);
        stl_le_p(HB_DEC(regs, CTRL, dec), 0);
        trace_vfio_cxl_hb_release(hb->bus->qbus.name, dec, base, size);
    }
    claim->hb_programmed = 0;
}

void vfio_cxl_window_release(VFIOCXLWindowClaim *claim)
{
    if (!claim->fw) {
        return;
    }
    vfio_cxl_window_unmap(claim);
    vfio_cxl_window_release_host_bridge(claim);
    vfio_cxl_claims = g_slist_remove(vfio_cxl_claims, claim);
    vfio_cxl_update_acpi_flags(claim->fw, claim->pxb);
    claim->fw = NULL;
}
