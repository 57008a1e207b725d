/*
 * Emulated CXL Type-2 accelerator: device life cycle, register BAR and
 * device memory
 *
 * The register BAR is a shared memory file: the client maps the sparse
 * areas outside the 64 KiB component block directly, exactly as it maps
 * the areas the kernel's vfio-pci lets it mmap. Accesses that come as
 * REGION_READ/WRITE are served from the same file, except inside the
 * component block, where the CXL.cachemem registers answer from the
 * COMP_REGS shadow (with its rules) and everything else reads as 0 and
 * drops writes: the kernel does not document raw BAR access there, and
 * this keeps one model of the HDM decoders.
 *
 * Without a firmware-committed decoder the device is not exposed as CXL
 * (plain vfio-pci, reference facts 3.1): the whole BAR is then ordinary
 * mmap-able memory, and the component block holds an image of the
 * registers written at open and reset.
 *
 * Copyright (c) 2026 QEMU CXL Type-2 team
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "qemu/memfd.h"
#include "standard-headers/linux/pci_regs.h"
#include "accel-model.h"

bool accel_cxl_exposed(const CXLAccel *a)
{
    return a->opts.firmware_committed;
}

uint64_t accel_block_offset(const CXLAccel *a)
{
    switch (a->opts.block_at) {
    case ACCEL_BLOCK_AT_START:
        return 0;
    case ACCEL_BLOCK_AT_MIDDLE:
        return ACCEL_BLOCK_MIDDLE_OFFSET;
    case ACCEL_BLOCK_AT_END:
    default:
        return ACCEL_REG_BAR_SIZE - CXL_COMPONENT_BLOCK_SIZE;
    }
}

uint64_t accel_regs_offset(const CXLAccel *a)
{
    return a->opts.block_at == ACCEL_BLOCK_AT_START ?
           CXL_COMPONENT_BLOCK_SIZE : 0;
}

uint64_t accel_hdm_regs_offset(const CXLAccel *a)
{
    return accel_block_offset(a) + CXL_CACHEMEM_OFFSET;
}

static int open_mem(const AccelOptions *o, GError **errp)
{
    int fd;

    if (o->mem_file) {
        fd = open(o->mem_file, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    } else {
        fd = memfd_create("cxl-accel-mem", MFD_CLOEXEC);
    }
    if (fd < 0) {
        g_set_error(errp, G_FILE_ERROR, g_file_error_from_errno(errno),
                    "cannot create the device memory %s: %s",
                    o->mem_file ? o->mem_file : "memfd", strerror(errno));
        return -1;
    }
    /* Sparse: the memory costs nothing until it is touched */
    if (ftruncate(fd, o->mem_size) < 0) {
        g_set_error(errp, G_FILE_ERROR, g_file_error_from_errno(errno),
                    "cannot size the device memory to %" PRIu64 ": %s",
                    o->mem_size, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

CXLAccel *accel_new(const AccelOptions *o, GError **errp)
{
    CXLAccel *a;

    if (!accel_options_check(o, errp)) {
        return NULL;
    }
    a = g_new0(CXLAccel, 1);
    a->opts = *o;
    if (o->fuzz) {
        a->fuzz = accel_fuzz_new(o->fuzz_seed);
    }
    a->bar_fd = -1;
    a->mem_fd = open_mem(o, errp);
    if (a->mem_fd < 0) {
        goto fail;
    }
    a->bar_fd = memfd_create("cxl-accel-bar", MFD_CLOEXEC);
    if (a->bar_fd < 0 || ftruncate(a->bar_fd, ACCEL_REG_BAR_SIZE) < 0) {
        g_set_error(errp, G_FILE_ERROR, g_file_error_from_errno(errno),
                    "cannot create the BAR memory: %s", strerror(errno));
        goto fail;
    }
    a->bar = mmap(NULL, ACCEL_REG_BAR_SIZE, PROT_READ | PROT_WRITE,
                  MAP_SHARED, a->bar_fd, 0);
    if (a->bar == MAP_FAILED) {
        a->bar = NULL;
        g_set_error(errp, G_FILE_ERROR, g_file_error_from_errno(errno),
                    "cannot map the BAR memory: %s", strerror(errno));
        goto fail;
    }
    accel_open(a);
    return a;

fail:
    accel_free(a);
    return NULL;
}

void accel_free(CXLAccel *a)
{
    if (!a) {
        return;
    }
    accel_fuzz_free(a->fuzz);
    if (a->bar) {
        munmap(a->bar, ACCEL_REG_BAR_SIZE);
    }
    if (a->bar_fd >= 0) {
        close(a->bar_fd);
    }
    if (a->mem_fd >= 0) {
        close(a->mem_fd);
    }
    if (a->cache) {
        g_array_free(a->cache, true);
    }
    if (a->dma_maps) {
        g_array_free(a->dma_maps, true);
    }
    g_free(a);
}

/* Accelerator registers and, without CXL exposure, the block image */
static void bar_init(CXLAccel *a)
{
    uint8_t *regs = a->bar + accel_regs_offset(a);
    uint64_t block = accel_block_offset(a);

    memset(regs, 0, ACCEL_REGS_SIZE);
    stl_le_p(regs + ACCEL_REG_ID, ACCEL_ID_VALUE);
    stl_le_p(regs + ACCEL_REG_VERSION, ACCEL_VERSION_VALUE);
    stl_le_p(regs + ACCEL_REG_MEM_SIZE_LO, (uint32_t)a->opts.mem_size);
    stl_le_p(regs + ACCEL_REG_MEM_SIZE_HI, a->opts.mem_size >> 32);
    stl_le_p(regs + ACCEL_REG_BLOCK_OFF_LO, (uint32_t)block);
    stl_le_p(regs + ACCEL_REG_BLOCK_OFF_HI, block >> 32);

    memset(a->bar + block, 0, CXL_COMPONENT_BLOCK_SIZE);
    if (!accel_cxl_exposed(a)) {
        unsigned i;

        for (i = 0; i < ARRAY_SIZE(a->hw_cachemem); i++) {
            stl_le_p(a->bar + block + CXL_CACHEMEM_OFFSET + 4 * i,
                     a->hw_cachemem[i]);
        }
    }
}

void accel_mem_update_active(CXLAccel *a)
{
    /* Active if decoder 0 is committed in the snapshot, as the kernel has it */
    bool active = accel_hdm_decoder0_committed(a);

    if (active != a->mem_inactive) {
        return;
    }
    if (ftruncate(a->mem_fd, active ? a->opts.mem_size : 0) < 0) {
        fprintf(stderr, "vfio-user-cxl-accel: cannot %s the device memory: "
                "%s\n", active ? "restore" : "revoke", strerror(errno));
        return;
    }
    a->mem_inactive = !active;
}

void accel_open(CXLAccel *a)
{
    /* A new client maps what it wants; the last one's mappings are gone. */
    accel_dma_unmap_all(a);
    accel_config_init(a);
    accel_hdm_hw_init(a);
    accel_hdm_snapshot(a);
    accel_mem_update_active(a);
    bar_init(a);
    accel_cache_discard(a);
    a->wbi_count = 0;
    a->cxl_reset_count = 0;
    a->reset_count = 0;
    a->dma_count = 0;
}

void accel_reset(CXLAccel *a)
{
    /*
     * An FLR leaves the CXL Device DVSEC alone (CXL r4.0 8.1.3: its
     * registers are reset by a conventional reset only), so keep it while
     * the rest of config space returns to its reset values. Then re-take
     * the HDM snapshot as the v2 kernel does after reset: decoder 0 reads
     * unlocked with BASE 0 again. The device memory is kept.
     */
    uint8_t dvsec[PCIE_CXL_DEVICE_DVSEC_LENGTH];
    uint8_t dvsec_wmask[PCIE_CXL_DEVICE_DVSEC_LENGTH];

    memcpy(dvsec, a->cfg + ACCEL_DVSEC_DEV_OFFSET, sizeof(dvsec));
    memcpy(dvsec_wmask, a->cfg_wmask + ACCEL_DVSEC_DEV_OFFSET,
           sizeof(dvsec_wmask));
    accel_config_init(a);
    memcpy(a->cfg + ACCEL_DVSEC_DEV_OFFSET, dvsec, sizeof(dvsec));
    memcpy(a->cfg_wmask + ACCEL_DVSEC_DEV_OFFSET, dvsec_wmask,
           sizeof(dvsec_wmask));

    if (a->opts.fault == ACCEL_FAULT_RESET_UNCOMMITS) {
        /* Lost, or committed again as firmware had it (the host did it) */
        if (FIELD_EX32(a->hw_cachemem[(ACCEL_HDM_OFFSET +
                                       A_CXL_HDM_DEC_CTRL) / 4],
                       CXL_HDM_DEC_CTRL, COMMITTED)) {
            accel_hdm_uncommit_decoder0(a);
        } else {
            accel_hdm_hw_init(a);
        }
    }
    if (a->opts.fault == ACCEL_FAULT_PIN_CHANGES) {
        a->cfg[PCI_INTERRUPT_PIN] = ACCEL_CHANGED_PIN;
    }
    accel_hdm_snapshot(a);
    accel_mem_update_active(a);
    bar_init(a);
    /* What the cache held is lost: only a write-back before keeps it. */
    accel_cache_discard(a);
    a->reset_count++;
}

static bool range_ok(uint64_t off, size_t len, uint64_t size)
{
    return off <= size && len <= size - off;
}

static bool overlaps(uint64_t off, size_t len, uint64_t start, uint64_t size)
{
    return off < start + size && start < off + len;
}

/* Read-only accelerator registers, relative to the register page */
static bool accel_reg_readonly(uint64_t rel)
{
    return rel < ACCEL_REG_SCRATCH ||
           (rel >= ACCEL_REG_MEM_SIZE_LO && rel < ACCEL_REG_BLOCK_OFF_HI + 4);
}

static bool in_trapped_block(CXLAccel *a, uint64_t off, size_t len)
{
    return accel_cxl_exposed(a) &&
           overlaps(off, len, accel_block_offset(a), CXL_COMPONENT_BLOCK_SIZE);
}

/*
 * An access inside the trapped component block: the CXL.cachemem part
 * that COMP_REGS covers follows the COMP_REGS rules, the rest reads 0.
 */
static int block_access(CXLAccel *a, uint64_t off, void *buf, size_t len,
                        bool write)
{
    uint64_t block = accel_block_offset(a);
    uint64_t cm = block + CXL_CACHEMEM_OFFSET;

    if (off < block || len > block + CXL_COMPONENT_BLOCK_SIZE - off) {
        return -EINVAL;         /* straddles the block boundary */
    }
    if (overlaps(off, len, cm, accel_comp_regs_size(a))) {
        return write ? accel_comp_regs_write(a, off - cm, buf, len) :
                       accel_comp_regs_read(a, off - cm, buf, len);
    }
    if (!write) {
        memset(buf, 0, len);
    }
    return 0;
}

int accel_bar_read(CXLAccel *a, uint64_t off, void *buf, size_t len)
{
    if (!range_ok(off, len, ACCEL_REG_BAR_SIZE)) {
        return -EINVAL;
    }
    if (in_trapped_block(a, off, len)) {
        return block_access(a, off, buf, len, false);
    }
    memcpy(buf, a->bar + off, len);
    return 0;
}

int accel_bar_write(CXLAccel *a, uint64_t off, const void *buf, size_t len)
{
    const uint8_t *val = buf;
    uint64_t regs = accel_regs_offset(a);
    size_t i;

    if (!range_ok(off, len, ACCEL_REG_BAR_SIZE)) {
        return -EINVAL;
    }
    if (in_trapped_block(a, off, len)) {
        return block_access(a, off, (void *)buf, len, true);
    }
    for (i = 0; i < len; i++) {
        uint64_t addr = off + i;

        if (addr >= regs && addr < regs + ACCEL_REGS_SIZE &&
            accel_reg_readonly(addr - regs)) {
            continue;
        }
        a->bar[addr] = val[i];
    }
    return 0;
}

int accel_mem_read(CXLAccel *a, uint64_t off, void *buf, size_t len)
{
    if (!range_ok(off, len, a->opts.mem_size)) {
        return -EINVAL;
    }
    if (a->mem_inactive) {
        return -EIO;
    }
    if (pread(a->mem_fd, buf, len, off) != (ssize_t)len) {
        return -EIO;
    }
    return 0;
}

int accel_mem_write(CXLAccel *a, uint64_t off, const void *buf, size_t len)
{
    if (!range_ok(off, len, a->opts.mem_size)) {
        return -EINVAL;
    }
    if (a->mem_inactive) {
        return -EIO;
    }
    if (pwrite(a->mem_fd, buf, len, off) != (ssize_t)len) {
        return -EIO;
    }
    return 0;
}
