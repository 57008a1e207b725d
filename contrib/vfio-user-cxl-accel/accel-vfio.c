/*
 * Emulated CXL Type-2 accelerator: the device as vfio describes it
 *
 * Capability chains are laid out as the kernel lays them out: each
 * capability 8-byte aligned after the fixed struct, cap_offset and every
 * header's next relative to the start of the struct (its argsz field).
 * When the caller's argsz is too small for the chain, the reply holds the
 * fixed part with argsz set to the full size and cap_offset 0, so that
 * the caller retries with a bigger buffer.
 *
 * --uapi v5 (reference facts 9.3, 9.6): no device info capability, the
 * regions are found by their types, and COMP_REGS carries a region info
 * capability saying where the HDM Decoder Capability sits in the BAR.
 *
 * Copyright (c) 2026 QEMU CXL Type-2 team
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "accel-vfio.h"

#define ACCEL_CXL_REGION_TYPE   (VFIO_REGION_TYPE_PCI_VENDOR_TYPE | \
                                 CXL_VENDOR_ID)
/* A region index past every region, for the bad-index faults */
#define ACCEL_BAD_REGION_INDEX  (VFIO_PCI_NUM_REGIONS + 7)

unsigned accel_vfio_num_regions(const CXLAccel *a)
{
    return accel_cxl_exposed(a) ? VFIO_PCI_NUM_REGIONS + 2 :
                                  VFIO_PCI_NUM_REGIONS;
}

/*
 * Append a capability to a chain being built in buf. prev_next may point
 * into buf: it is written before buf grows (and may move).
 */
static void *cap_append(GByteArray *buf, uint32_t *prev_next, size_t size,
                        uint16_t id, uint16_t version)
{
    struct vfio_info_cap_header *hdr;
    size_t off = ROUND_UP(buf->len, sizeof(uint64_t));
    uint8_t zero[sizeof(uint64_t)] = { 0 };

    *prev_next = off;
    g_byte_array_append(buf, zero, off - buf->len);
    g_byte_array_set_size(buf, off + size);
    memset(buf->data + off, 0, size);
    hdr = (void *)(buf->data + off);
    hdr->id = id;
    hdr->version = version;
    hdr->next = 0;
    return hdr;
}

static void build_cxl_cap(CXLAccel *a, GByteArray *chain, uint32_t *first)
{
    struct vfio_device_info_cap_cxl cap = { 0 };
    AccelFault fault = a->opts.fault;
    size_t size = ACCEL_CXL_CAP_SIZE;
    void *p;

    cap.hdm_regs_bar_index = ACCEL_REG_BAR;
    cap.flags = VFIO_CXL_CAP_FIRMWARE_COMMITTED;
    if (a->opts.cache_capable) {
        cap.flags |= VFIO_CXL_CAP_CACHE_CAPABLE;
    }
    cap.hdm_regs_offset = accel_hdm_regs_offset(a);
    cap.dpa_region_index = ACCEL_DPA_REGION;
    cap.comp_regs_region_index = ACCEL_COMP_REGS_REGION;

    switch (fault) {
    case ACCEL_FAULT_CAP_BAD_DPA_INDEX:
        cap.dpa_region_index = ACCEL_BAD_REGION_INDEX;
        break;
    case ACCEL_FAULT_CAP_BAD_COMP_INDEX:
        cap.comp_regs_region_index = ACCEL_BAD_REGION_INDEX;
        break;
    case ACCEL_FAULT_HDM_OFFSET_OUTSIDE_BAR:
        cap.hdm_regs_offset = ACCEL_REG_BAR_SIZE + CXL_CACHEMEM_OFFSET;
        break;
    case ACCEL_FAULT_CAP_TRUNCATED:
        size = ACCEL_CXL_CAP_TRUNCATED_SIZE;
        break;
    default:
        break;
    }

    p = cap_append(chain, first, size, VFIO_DEVICE_INFO_CAP_CXL,
                   fault == ACCEL_FAULT_CAP_BAD_VERSION ?
                   ACCEL_BAD_CAP_VERSION : 1);
    /* Everything after the header, as far as the (maybe short) cap goes */
    memcpy((uint8_t *)p + sizeof(cap.header), (uint8_t *)&cap +
           sizeof(cap.header), size - sizeof(cap.header));
}

int accel_vfio_device_info(CXLAccel *a, uint32_t argsz, GByteArray *out)
{
    struct vfio_device_info info = { 0 };
    g_autoptr(GByteArray) full = g_byte_array_new();

    if (argsz < ACCEL_DEVICE_INFO_MINSZ) {
        return -EINVAL;
    }
    if (a->opts.fault == ACCEL_FAULT_INFO_FAILS) {
        return -EIO;
    }

    info.flags = VFIO_DEVICE_FLAGS_PCI | VFIO_DEVICE_FLAGS_RESET;
    info.num_regions = accel_vfio_num_regions(a);
    info.num_irqs = VFIO_PCI_NUM_IRQS;
    g_byte_array_set_size(full, sizeof(info));
    if (accel_cxl_exposed(a)) {
        info.flags |= VFIO_DEVICE_FLAGS_CXL;
    }
    if (accel_cxl_exposed(a) && !accel_v5(a)) {
        info.flags |= VFIO_DEVICE_FLAGS_CAPS;
        build_cxl_cap(a, full, &info.cap_offset);
    }
    info.argsz = full->len;

    if (argsz < full->len) {
        /*
         * Too small for the chain: the fixed part (as much of it as the
         * caller has room for) with the size needed, and no chain.
         */
        info.cap_offset = 0;
        g_byte_array_append(out, (uint8_t *)&info,
                            MIN(argsz, sizeof(info)));
        return 0;
    }
    memcpy(full->data, &info, sizeof(info));
    g_byte_array_append(out, full->data, full->len);
    return 0;
}

/*
 * Sparse mmap areas of the register BAR: everything but the hole (v2 the
 * block, v5 the page of the HDM decoders)
 */
static unsigned bar_sparse_areas(CXLAccel *a,
                                 struct vfio_region_sparse_mmap_area *areas)
{
    uint64_t hole, size, end;
    unsigned n = 0;

    accel_bar_mmap_hole(a, &hole, &size);
    end = hole + size;
    if (hole > 0) {
        areas[n].offset = 0;
        areas[n].size = hole;
        n++;
    }
    if (end < ACCEL_REG_BAR_SIZE) {
        areas[n].offset = end;
        areas[n].size = ACCEL_REG_BAR_SIZE - end;
        n++;
    }
    return n;
}

static uint32_t *add_type_cap(GByteArray *chain, uint32_t *prev_next,
                              uint32_t subtype)
{
    struct vfio_region_info_cap_type *t;

    t = cap_append(chain, prev_next, sizeof(*t), VFIO_REGION_INFO_CAP_TYPE, 1);
    t->type = ACCEL_CXL_REGION_TYPE;
    t->subtype = subtype;
    /* Valid until the chain grows, which cap_append() allows for */
    return &t->header.next;
}

/*
 * v5: where the HDM Decoder Capability is, on the COMP_REGS region. The
 * faults that concerned v2's device capability map onto this one.
 */
static void add_comp_regs_cap(CXLAccel *a, GByteArray *chain,
                              uint32_t *prev_next)
{
    struct vfio_region_info_cap_cxl_comp_regs cap = { 0 };
    AccelFault fault = a->opts.fault;
    size_t size = sizeof(cap);
    void *p;

    cap.bar = VFIO_PCI_BAR0_REGION_INDEX + ACCEL_REG_BAR;
    cap.offset = accel_hdm_bar_offset(a);
    if (fault == ACCEL_FAULT_HDM_OFFSET_OUTSIDE_BAR) {
        cap.offset += ACCEL_REG_BAR_SIZE;
    } else if (fault == ACCEL_FAULT_CAP_TRUNCATED) {
        size = ACCEL_COMP_REGS_CAP_TRUNCATED_SIZE;
    }
    p = cap_append(chain, prev_next, size,
                   VFIO_REGION_INFO_CAP_CXL_COMP_REGS,
                   fault == ACCEL_FAULT_CAP_BAD_VERSION ?
                   ACCEL_BAD_CAP_VERSION :
                   VFIO_REGION_INFO_CAP_CXL_COMP_REGS_VERSION);
    memcpy((uint8_t *)p + sizeof(cap.header), (uint8_t *)&cap +
           sizeof(cap.header), size - sizeof(cap.header));
}

int accel_vfio_region_info(CXLAccel *a, uint32_t index, uint32_t argsz,
                           GByteArray *out, int *fd)
{
    struct vfio_region_info info = { 0 };
    g_autoptr(GByteArray) full = g_byte_array_new();
    uint32_t *next = &info.cap_offset;
    const uint32_t rw = VFIO_REGION_INFO_FLAG_READ |
                        VFIO_REGION_INFO_FLAG_WRITE;

    *fd = -1;
    if (argsz < sizeof(info) || index >= accel_vfio_num_regions(a)) {
        return -EINVAL;
    }
    info.index = index;
    g_byte_array_set_size(full, sizeof(info));

    switch (index) {
    case VFIO_PCI_BAR0_REGION_INDEX + ACCEL_REG_BAR:
        info.size = ACCEL_REG_BAR_SIZE;
        if (a->opts.fault == ACCEL_FAULT_BAR_SIZE_ODD) {
            info.size += ACCEL_REG_BAR_SIZE / 2;
        }
        info.flags = rw | VFIO_REGION_INFO_FLAG_MMAP;
        *fd = a->bar_fd;
        if (accel_cxl_exposed(a)) {
            struct vfio_region_info_cap_sparse_mmap *sp;
            struct vfio_region_sparse_mmap_area areas[2];
            unsigned n = bar_sparse_areas(a, areas);

            if (n == 0) {
                /* The block fills the BAR: nothing may be mapped */
                info.flags &= ~VFIO_REGION_INFO_FLAG_MMAP;
                *fd = -1;
                break;
            }
            sp = cap_append(full, next, sizeof(*sp) + n * sizeof(areas[0]),
                            VFIO_REGION_INFO_CAP_SPARSE_MMAP, 1);
            sp->nr_areas = n;
            memcpy(sp->areas, areas, n * sizeof(areas[0]));
            if (a->opts.fault == ACCEL_FAULT_SPARSE_OVERRUN) {
                sp->nr_areas = ACCEL_OVERRUN_AREAS;
            } else if (a->opts.fault == ACCEL_FAULT_REGION_CAPS_LOOP) {
                sp->header.next = info.cap_offset;
            }
        }
        break;
    case VFIO_PCI_CONFIG_REGION_INDEX:
        info.size = a->opts.fault == ACCEL_FAULT_CONFIG_SIZE_ZERO ? 0 :
                    ACCEL_CFG_SIZE;
        info.flags = rw;
        break;
    case ACCEL_DPA_REGION:
        info.size = a->opts.fault == ACCEL_FAULT_DPA_SIZE_ZERO ? 0 :
                    a->opts.mem_size;
        info.flags = rw | VFIO_REGION_INFO_FLAG_MMAP;
        *fd = a->mem_fd;
        add_type_cap(full, next,
                     a->opts.fault == ACCEL_FAULT_DPA_WRONG_SUBTYPE ?
                     VFIO_REGION_SUBTYPE_CXL_COMP_REGS :
                     accel_v5(a) ? VFIO_REGION_SUBTYPE_CXL_MEM :
                     VFIO_REGION_SUBTYPE_CXL);
        break;
    case ACCEL_COMP_REGS_REGION:
        info.size = accel_comp_regs_size(a);
        info.flags = rw;
        next = add_type_cap(full, next, VFIO_REGION_SUBTYPE_CXL_COMP_REGS);
        if (accel_v5(a)) {
            add_comp_regs_cap(a, full, next);
        }
        break;
    default:
        /* Unimplemented BARs, ROM and VGA: size 0, as vfio-pci reports */
        break;
    }

    if (full->len > sizeof(info)) {
        info.flags |= VFIO_REGION_INFO_FLAG_CAPS;
    }
    info.argsz = full->len;
    if (index == VFIO_PCI_CONFIG_REGION_INDEX &&
        a->opts.fault == ACCEL_FAULT_REGION_ARGSZ_HUGE) {
        info.argsz = ACCEL_HUGE_ARGSZ;
    }
    if (argsz < info.argsz) {
        /*
         * The caller retries with argsz; the fd comes with that reply.
         * Unlike the kernel, do not flag CAPS without a chain: QEMU's
         * vfio-user client refuses CAPS with a cap_offset of 0.
         */
        info.cap_offset = 0;
        info.flags &= ~VFIO_REGION_INFO_FLAG_CAPS;
        *fd = -1;
        g_byte_array_append(out, (uint8_t *)&info, sizeof(info));
        return 0;
    }
    memcpy(full->data, &info, sizeof(info));
    g_byte_array_append(out, full->data, full->len);
    if (index == VFIO_PCI_CONFIG_REGION_INDEX &&
        a->opts.fault == ACCEL_FAULT_REPLY_OVERSIZED) {
        g_byte_array_set_size(out, out->len + ACCEL_OVERSIZED_EXTRA);
    }
    return 0;
}

int accel_vfio_irq_info(CXLAccel *a, uint32_t index,
                        struct vfio_irq_info *info)
{
    if (index >= VFIO_PCI_NUM_IRQS) {
        return -EINVAL;
    }
    info->argsz = sizeof(*info);
    info->index = index;
    info->flags = VFIO_IRQ_INFO_EVENTFD;
    /*
     * The device raises no interrupts. One INTx line is reported as a
     * PCI function has (Interrupt Pin 0 keeps a VMM from wiring it);
     * MSI and MSI-X have no vectors. The error and request IRQs exist, as
     * vfio-pci reports them for a PCIe device, so that the VMM registers
     * its notifiers; they never fire.
     */
    switch (index) {
    case VFIO_PCI_INTX_IRQ_INDEX:
        info->flags |= VFIO_IRQ_INFO_MASKABLE | VFIO_IRQ_INFO_AUTOMASKED;
        info->count = 1;
        break;
    case VFIO_PCI_ERR_IRQ_INDEX:
    case VFIO_PCI_REQ_IRQ_INDEX:
        info->count = 1;
        break;
    default:
        info->flags |= VFIO_IRQ_INFO_NORESIZE;
        info->count = 0;
        break;
    }
    return 0;
}

int accel_vfio_region_read(CXLAccel *a, uint32_t index, uint64_t off,
                           void *buf, size_t len)
{
    switch (index) {
    case VFIO_PCI_BAR0_REGION_INDEX + ACCEL_REG_BAR:
        return accel_bar_read(a, off, buf, len);
    case VFIO_PCI_CONFIG_REGION_INDEX:
        return accel_config_read(a, off, buf, len);
    }
    if (accel_cxl_exposed(a)) {
        if (index == ACCEL_DPA_REGION) {
            return accel_mem_read(a, off, buf, len);
        } else if (index == ACCEL_COMP_REGS_REGION) {
            return accel_comp_regs_read(a, off, buf, len);
        }
    }
    return -EINVAL;
}

int accel_vfio_region_write(CXLAccel *a, uint32_t index, uint64_t off,
                            const void *buf, size_t len)
{
    switch (index) {
    case VFIO_PCI_BAR0_REGION_INDEX + ACCEL_REG_BAR:
        return accel_bar_write(a, off, buf, len);
    case VFIO_PCI_CONFIG_REGION_INDEX:
        return accel_config_write(a, off, buf, len);
    }
    if (accel_cxl_exposed(a)) {
        if (index == ACCEL_DPA_REGION) {
            return accel_mem_write(a, off, buf, len);
        } else if (index == ACCEL_COMP_REGS_REGION) {
            return accel_comp_regs_write(a, off, buf, len);
        }
    }
    return -EINVAL;
}
