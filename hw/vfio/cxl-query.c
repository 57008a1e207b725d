/*
 * CXL Type-2 passthrough: what QEMU did with each device, for the QMP
 * command x-query-cxl-passthrough and the HMP command
 * info cxl-passthrough. Only guest physical addresses and device
 * physical addresses (DPA) are reported: the host's physical addresses
 * are the host's business, and the guest-visible state is what the
 * guest, and whoever debugs it, can act on.
 *
 * Copyright (c) 2026 QEMU CXL Type-2 team
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qapi/qapi-commands-vfio.h"
#include "qapi/qapi-visit-vfio.h"
#include "qobject/qdict.h"
#include "qom/object.h"
#include "monitor/hmp.h"
#include "monitor/monitor.h"
#include "hw/qdev-core.h"
#include "pci.h"
#include "cxl-query.h"
#include "trace.h"

static const char *vfio_cxl_query_kvm_target(VFIOCXLAccel accel)
{
    switch (accel) {
    case VFIO_CXL_ACCEL_KVM_ARM64:
        return "arm64";
    case VFIO_CXL_ACCEL_KVM_X86:
        return "x86";
    default:
        return "other";
    }
}

static CxlPassthroughDmaMapping vfio_cxl_query_dma(VFIOPCIDevice *vdev,
                                                   const VFIOCXLView *v)
{
    if (vdev->vbasedev.proxy) {
        return CXL_PASSTHROUGH_DMA_MAPPING_VFIO_USER;
    }
    if (!vdev->vbasedev.iommufd) {
        return CXL_PASSTHROUGH_DMA_MAPPING_TYPE1;
    }
    /*
     * iommufd maps the memory only from the dma-buf; without one, realize
     * went on only with x-cxl-no-mem-dma=on.
     */
    return v->dmabuf ? CXL_PASSTHROUGH_DMA_MAPPING_IOMMUFD_DMA_BUF :
                       CXL_PASSTHROUGH_DMA_MAPPING_NONE;
}

static CxlPassthroughGateList *vfio_cxl_query_gates(unsigned gate)
{
    static const struct {
        VFIOCXLGateReason reason;
        CxlPassthroughGate value;
    } map[] = {
        { VFIO_CXL_GATE_MSE, CXL_PASSTHROUGH_GATE_MEMORY_SPACE_ENABLE },
        { VFIO_CXL_GATE_D3HOT, CXL_PASSTHROUGH_GATE_POWER_STATE },
        { VFIO_CXL_GATE_RESET, CXL_PASSTHROUGH_GATE_RESET },
    };
    CxlPassthroughGateList *list = NULL, **tail = &list;
    unsigned i;

    for (i = 0; i < ARRAY_SIZE(map); i++) {
        if (gate & map[i].reason) {
            QAPI_LIST_APPEND(tail, map[i].value);
        }
    }
    return list;
}

/*
 * Where the memory is mapped now: the parts of the window the glue mapped,
 * whichever decoder or DVSEC range put them there.
 */
static CxlPassthroughMappingList *
vfio_cxl_query_mapped(const VFIOCXLWindowClaim *claim)
{
    CxlPassthroughMappingList *list = NULL, **tail = &list;
    unsigned n;

    for (n = 0; n < CXL_HDM_MAX_DECODERS; n++) {
        const MemoryRegion *part = &claim->part[n];
        CxlPassthroughMapping *m;

        if (!claim->part_mapped[n]) {
            continue;
        }
        m = g_new0(CxlPassthroughMapping, 1);
        m->base = claim->fw->base + part->addr;
        m->size = int128_get64(part->size);
        m->dpa = part->alias_offset;
        QAPI_LIST_APPEND(tail, m);
    }
    return list;
}

static CxlPassthroughDecoderList *vfio_cxl_query_decoders(const VFIOCXLHDM *hdm)
{
    CxlPassthroughDecoderList *list = NULL, **tail = &list;
    unsigned n;

    for (n = 0; n < hdm->count; n++) {
        const VFIOCXLHDMDecoder *d = &hdm->dec[n];
        CxlPassthroughDecoder *dec = g_new0(CxlPassthroughDecoder, 1);

        dec->index = n;
        dec->committed = vfio_cxl_hdm_committed(hdm, n);
        dec->locked = vfio_cxl_hdm_locked(hdm, n);
        dec->base = d->base;
        dec->size = d->size;
        dec->dpa_skip = d->dpa_skip;
        dec->has_dpa = dec->committed;
        dec->dpa = dec->committed ? d->dpa : 0;
        QAPI_LIST_APPEND(tail, dec);
    }
    return list;
}

static CxlPassthroughHostBridgeDecoderList *
vfio_cxl_query_hb_decoders(const VFIOCXLWindowClaim *claim)
{
    CxlPassthroughHostBridgeDecoderList *list = NULL, **tail = &list;
    unsigned n;

    for (n = 0; n < claim->hb_count; n++) {
        CxlPassthroughHostBridgeDecoder *d =
            g_new0(CxlPassthroughHostBridgeDecoder, 1);

        d->index = claim->hb_decoder + n;
        d->committed = claim->hb_programmed & BIT_ULL(n);
        QAPI_LIST_APPEND(tail, d);
    }
    return list;
}

static CxlPassthroughInfo *vfio_cxl_query_one(VFIOPCIDevice *vdev,
                                              const VFIOCXLView *v)
{
    DeviceState *dev = DEVICE(vdev);
    const VFIOCXLWindowClaim *claim = v->claim;
    CxlPassthroughInfo *info = g_new0(CxlPassthroughInfo, 1);
    CxlPassthroughWindow *win = g_new0(CxlPassthroughWindow, 1);

    info->id = g_strdup(dev->id);
    info->qom_path = object_get_canonical_path(OBJECT(vdev));
    info->interface = v->uapi == VFIO_CXL_UAPI_V5 ?
                      CXL_PASSTHROUGH_INTERFACE_V5 :
                      CXL_PASSTHROUGH_INTERFACE_V2;
    info->vfio_user = vdev->vbasedev.proxy;
    info->decoder_mode = v->guest_decoders ?
                         CXL_PASSTHROUGH_DECODER_MODE_GUEST :
                         CXL_PASSTHROUGH_DECODER_MODE_FIRMWARE;
    info->memory_size = v->mem_size;
    info->placed = v->placed;
    info->host_backed = !v->host_inactive;

    win->index = claim->fw->index;
    win->base = claim->fw->base;
    win->size = claim->fw->size;
    win->range_base = vfio_cxl_window_gpa(claim);
    win->range_size = claim->size;
    info->window = win;

    info->gated = vfio_cxl_query_gates(v->hdm->gate);
    info->mapped = vfio_cxl_query_mapped(claim);
    info->decoders = vfio_cxl_query_decoders(v->hdm);
    info->host_bridge = object_get_canonical_path(OBJECT(claim->pxb));
    info->host_bridge_decoders = vfio_cxl_query_hb_decoders(claim);
    info->dma_mapping = vfio_cxl_query_dma(vdev, v);

    if (v->accel != VFIO_CXL_ACCEL_OTHER) {
        info->kvm = g_new0(CxlPassthroughKvm, 1);
        info->kvm->target = g_strdup(vfio_cxl_query_kvm_target(v->accel));
        info->kvm->pfnmap = v->pfnmap;
        info->kvm->has_cacheable_pfnmap =
            v->kvm_cap != VFIO_CXL_KVM_CAP_NOT_ASKED;
        info->kvm->cacheable_pfnmap = v->kvm_cap > 0;
        /* A refused device did not realize */
        info->kvm->verdict = v->verdict == VFIO_CXL_KVM_MAP_UNCACHED ?
                             CXL_PASSTHROUGH_KVM_VERDICT_MAP_UNCACHED :
                             CXL_PASSTHROUGH_KVM_VERDICT_MAP;
    }
    return info;
}

static int vfio_cxl_query_find(Object *obj, void *opaque)
{
    CxlPassthroughInfoList ***tail = opaque;
    VFIOPCIDevice *vdev;
    VFIOCXLView view;

    vdev = (VFIOPCIDevice *)object_dynamic_cast(obj, TYPE_VFIO_PCI_DEVICE);
    if (vdev && vfio_pci_cxl_view(vdev, &view)) {
        trace_vfio_cxl_query(vdev->vbasedev.name);
        QAPI_LIST_APPEND(*tail, vfio_cxl_query_one(vdev, &view));
    }
    return 0;
}

CxlPassthroughInfoList *qmp_x_query_cxl_passthrough(Error **errp)
{
    CxlPassthroughInfoList *list = NULL, **tail = &list;

    object_child_foreach_recursive(object_get_root(), vfio_cxl_query_find,
                                   &tail);
    return list;
}

/* info cxl-passthrough */

static void hmp_cxl_range(Monitor *mon, const char *what, uint64_t base,
                          uint64_t size)
{
    monitor_printf(mon, "%s0x%" PRIx64 "-0x%" PRIx64 " (0x%" PRIx64 ")",
                   what, base, base + size - 1, size);
}

static void hmp_cxl_one(Monitor *mon, CxlPassthroughInfo *info)
{
    CxlPassthroughWindow *win = info->window;
    CxlPassthroughGateList *g;
    CxlPassthroughMappingList *m;
    CxlPassthroughDecoderList *d;
    CxlPassthroughHostBridgeDecoderList *h;

    monitor_printf(mon, "%s (%s):\n", info->id ?: info->qom_path,
                   info->qom_path);
    monitor_printf(mon, "  interface: %s%s\n",
                   CxlPassthroughInterface_str(info->interface),
                   info->vfio_user ? " (vfio-user server)" : "");
    monitor_printf(mon, "  decoders: %s, %s\n",
                   CxlPassthroughDecoderMode_str(info->decoder_mode),
                   info->placed ? "placed" : "not placed yet");
    monitor_printf(mon, "  memory: 0x%" PRIx64 " bytes, %s\n",
                   info->memory_size,
                   info->host_backed ? "backed by the host" :
                   "not backed by the host");
    monitor_printf(mon, "  window %" PRId64 ": ", win->index);
    hmp_cxl_range(mon, "", win->base, win->size);
    hmp_cxl_range(mon, ", device range ", win->range_base, win->range_size);
    monitor_printf(mon, "\n  gated:");
    for (g = info->gated; g; g = g->next) {
        monitor_printf(mon, " %s", CxlPassthroughGate_str(g->value));
    }
    monitor_printf(mon, "%s\n", info->gated ? "" : " no");
    monitor_printf(mon, "  mapped:%s\n", info->mapped ? "" : " nothing");
    for (m = info->mapped; m; m = m->next) {
        hmp_cxl_range(mon, "    ", m->value->base, m->value->size);
        monitor_printf(mon, " -> DPA 0x%" PRIx64 "\n", m->value->dpa);
    }
    for (d = info->decoders; d; d = d->next) {
        CxlPassthroughDecoder *dec = d->value;

        monitor_printf(mon, "  HDM decoder %" PRId64 ": %s%s", dec->index,
                       dec->committed ? "committed" : "not committed",
                       dec->locked ? ", locked" : "");
        hmp_cxl_range(mon, ", ", dec->base, dec->size);
        monitor_printf(mon, ", DPA skip 0x%" PRIx64, dec->dpa_skip);
        if (dec->has_dpa) {
            monitor_printf(mon, ", DPA 0x%" PRIx64, dec->dpa);
        }
        monitor_printf(mon, "\n");
    }
    monitor_printf(mon, "  host bridge: %s\n", info->host_bridge);
    for (h = info->host_bridge_decoders; h; h = h->next) {
        monitor_printf(mon, "    decoder %" PRId64 ": %s\n", h->value->index,
                       h->value->committed ? "committed" : "not committed");
    }
    monitor_printf(mon, "  DMA mapping: %s\n",
                   CxlPassthroughDmaMapping_str(info->dma_mapping));
    if (info->kvm) {
        monitor_printf(mon, "  KVM: %s, %s, %s", info->kvm->target,
                       info->kvm->pfnmap ? "PFNMAP" : "not PFNMAP",
                       CxlPassthroughKvmVerdict_str(info->kvm->verdict));
        if (info->kvm->has_cacheable_pfnmap) {
            monitor_printf(mon, ", cacheable PFNMAP %s",
                           info->kvm->cacheable_pfnmap ? "supported" :
                           "not supported");
        }
        monitor_printf(mon, "\n");
    }
}

void hmp_info_cxl_passthrough(Monitor *mon, const QDict *qdict)
{
    g_autoptr(CxlPassthroughInfoList) list = NULL;
    CxlPassthroughInfoList *l;

    list = qmp_x_query_cxl_passthrough(NULL);
    if (!list) {
        monitor_printf(mon, "No CXL Type-2 device is passed through\n");
    }
    for (l = list; l; l = l->next) {
        hmp_cxl_one(mon, l->value);
    }
}
