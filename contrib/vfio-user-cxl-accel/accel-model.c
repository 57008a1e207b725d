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
 * --uapi v5 (reference facts 9): only the 4 KiB page holding the HDM
 * decoder block is left out of the mmap-able areas. Through REGION_READ
 * the decoder block's bytes read all ones and drop writes; the capability
 * array and the RAS capability in the same page read the "hardware"
 * registers (hw_cachemem) live; the rest of the block is ordinary BAR
 * memory. The device memory is gated on Memory Space Enable, and a reset
 * is a CXL reset that clears it.
 *
 * Copyright (c) 2026 QEMU CXL Type-2 team
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "qemu/cutils.h"
#include "qemu/memfd.h"
#include "standard-headers/linux/pci_regs.h"
#include "accel-model.h"

/* Device memory is saved and restored in pieces of this size */
#define ACCEL_MEM_COPY_CHUNK    (1 * MiB)

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

/* Copy the data extents of @from's first @size bytes to @to */
static int copy_data_extents(int from, int to, uint64_t size)
{
    g_autofree uint8_t *buf = g_malloc(ACCEL_MEM_COPY_CHUNK);
    uint64_t pos = 0;

    while (pos < size) {
        off_t data = lseek(from, pos, SEEK_DATA);
        off_t hole;

        if (data < 0) {
            /* ENXIO: no data past pos */
            return errno == ENXIO ? 0 : -errno;
        }
        hole = lseek(from, data, SEEK_HOLE);
        if (hole < 0) {
            return -errno;
        }
        for (pos = data; pos < MIN((uint64_t)hole, size);) {
            size_t n = MIN(ACCEL_MEM_COPY_CHUNK, MIN((uint64_t)hole, size) -
                           pos);
            ssize_t got = pread(from, buf, n, pos);

            if (got <= 0) {
                return got < 0 ? -errno : -EIO;
            }
            /* Zeros need not be written: @to stays as sparse as it can */
            if (!buffer_is_zero(buf, got) &&
                pwrite(to, buf, got, pos) != got) {
                return -EIO;
            }
            pos += got;
        }
    }
    return 0;
}

/*
 * Where the contents of the gated memory wait: a temporary file beside
 * --mem-file (on its disk, so that a large memory does not move into
 * RAM), or a memfd.
 */
static int mem_saved_open(const CXLAccel *a)
{
    int fd = -1;

    if (a->opts.mem_file) {
        g_autofree char *dir = g_path_get_dirname(a->opts.mem_file);

        fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    }
    if (fd < 0) {
        fd = memfd_create("cxl-accel-saved", MFD_CLOEXEC);
    }
    return fd;
}

static void mem_drop_saved(CXLAccel *a)
{
    if (a->mem_saved_fd >= 0) {
        close(a->mem_saved_fd);
        a->mem_saved_fd = -1;
    }
}

/*
 * Bring the memory file to what the device state asks for: at its size
 * only while active (a committed decoder) and not gated (v5: Memory
 * Space Enable set). Otherwise it is truncated, so that the client's
 * mappings fault (SIGBUS) as the kernel's do. Closing the gate keeps
 * the contents aside and opening it writes them back; losing the decoder
 * loses them.
 */
static void mem_apply(CXLAccel *a, bool active, bool gated)
{
    bool live = accel_mem_live(a), want = active && !gated;
    int ret;

    if (live && !want && active) {
        mem_drop_saved(a);
        a->mem_saved_fd = mem_saved_open(a);
        ret = a->mem_saved_fd < 0 ? -errno :
              copy_data_extents(a->mem_fd, a->mem_saved_fd,
                                a->opts.mem_size);
        if (ret < 0) {
            fprintf(stderr, "vfio-user-cxl-accel: cannot keep the device "
                    "memory while gated, it is lost: %s\n", strerror(-ret));
            mem_drop_saved(a);
        }
    }
    if (!active) {
        mem_drop_saved(a);
    }
    if (live != want && ftruncate(a->mem_fd, want ? a->opts.mem_size : 0)) {
        fprintf(stderr, "vfio-user-cxl-accel: cannot %s the device memory: "
                "%s\n", want ? "restore" : "revoke", strerror(errno));
        return;
    }
    if (want && a->mem_saved_fd >= 0) {
        ret = copy_data_extents(a->mem_saved_fd, a->mem_fd, a->opts.mem_size);
        if (ret < 0) {
            fprintf(stderr, "vfio-user-cxl-accel: cannot restore the device "
                    "memory's contents: %s\n", strerror(-ret));
        }
        mem_drop_saved(a);
    }
    a->mem_inactive = !active;
    a->mem_gated = gated;
}

void accel_mem_update_active(CXLAccel *a)
{
    /* Active if decoder 0 is committed, as the kernel has it */
    mem_apply(a, accel_hdm_decoder0_committed(a), a->mem_gated);
}

/*
 * The gate: v5's kernel serves the memory only while Memory Space Enable
 * is set (9.3); and a function in D3hot serves nothing but config space
 * (PCIe r6 5.3.1.4), in either revision. What the emulator can enforce is
 * its own side: the memory file is truncated, so that the client's
 * mappings fault (SIGBUS) and REGION_READ/WRITE of it fail (EIO), and the
 * copy engine does not run; the register BAR's sparse areas are the
 * client's shared memory and stay reachable. D3hot -> D0 keeps the
 * contents (No_Soft_Reset).
 */
void accel_mem_update_gate(CXLAccel *a)
{
    bool mse = lduw_le_p(a->cfg + PCI_COMMAND) & PCI_COMMAND_MEMORY;
    bool d3hot = accel_power_state(a) == ACCEL_PM_D3HOT;

    mem_apply(a, !a->mem_inactive, d3hot || (accel_v5(a) && !mse));
}

/*
 * v5's CXL reset: the device memory reads zeros afterwards (the file
 * stays sparse) and the client's mappings are revoked. The gate stays
 * closed until the client sets Memory Space Enable again, which a reset
 * clears anyway.
 */
static void mem_clear(CXLAccel *a)
{
    mem_drop_saved(a);
    if (!accel_mem_live(a)) {
        return;                 /* truncated already, nothing kept */
    }
    if (ftruncate(a->mem_fd, 0) < 0) {
        fprintf(stderr, "vfio-user-cxl-accel: cannot clear the device "
                "memory: %s\n", strerror(errno));
        return;
    }
    a->mem_gated = true;
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
    a->mem_saved_fd = -1;
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
        /* A --mem-file holds what the gated memory held when we go */
        if (a->opts.mem_file && a->mem_gated && !a->mem_inactive) {
            mem_apply(a, true, false);
        }
        mem_drop_saved(a);
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

void accel_open(CXLAccel *a)
{
    /* A new client maps what it wants; the last one's mappings are gone. */
    accel_dma_unmap_all(a);
    accel_config_init(a);
    accel_config_view_init(a);
    accel_hdm_hw_init(a);
    accel_hdm_snapshot(a);
    accel_mem_update_active(a);
    /* v5: Command reads 0 at open, so the memory starts gated */
    accel_mem_update_gate(a);
    bar_init(a);
    accel_cache_discard(a);
    a->wbi_count = 0;
    a->cxl_reset_count = 0;
    a->reset_count = 0;
    a->dma_count = 0;
}

/*
 * What a reset of the function leaves: @keep_cxl_mem (an FLR, CXL r3.1
 * 9.5) keeps the HDM decoders as they are, the v2 shadow included.
 */
static void reset_function(CXLAccel *a, bool keep_cxl_mem)
{
    /*
     * A reset leaves the CXL Device DVSEC alone (CXL r4.0 8.1.3: its
     * registers are reset by a conventional reset only), so keep it while
     * the rest of config space returns to its reset values. Then, but for
     * an FLR, re-take the HDM snapshot as the v2 kernel does after
     * VFIO_DEVICE_RESET: decoder 0 reads unlocked with BASE 0 again. The
     * device memory is kept.
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

    /* The fault is the host losing its decoders: not at an FLR, 9.5 */
    if (a->opts.fault == ACCEL_FAULT_RESET_UNCOMMITS && !keep_cxl_mem) {
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
    if (accel_v5(a)) {
        /*
         * The v5 kernel makes every VFIO reset point a CXL reset (9.4):
         * the memory is cleared and the mappings revoked; the decoder,
         * never written in v5, is re-sampled as firmware left it.
         */
        mem_clear(a);
        a->cxl_reset_count++;
    }
    if (!keep_cxl_mem) {
        accel_hdm_snapshot(a);
    }
    /* v2: a conventional reset starts the client's DVSEC view afresh */
    if (!keep_cxl_mem && !accel_v5(a)) {
        accel_config_view_init(a);
    }
    accel_mem_update_active(a);
    /* Config space is back in D0 with Memory Space Enable clear */
    accel_mem_update_gate(a);
    bar_init(a);
    /* What the cache held is lost: only a write-back before keeps it. */
    accel_cache_discard(a);
    a->reset_count++;
}

void accel_reset(CXLAccel *a)
{
    reset_function(a, false);
}

void accel_flr(CXLAccel *a)
{
    /* v5: the kernel turns an FLR into a CXL reset (9.4) */
    reset_function(a, !accel_v5(a));
}

/*
 * A config write: config space first (accel-config.c), then what it asks
 * of the rest of the device.
 */
int accel_config_write(CXLAccel *a, uint64_t off, const void *buf,
                       size_t len)
{
    AccelConfigEffects fx = { 0 };
    int ret = accel_config_store(a, off, buf, len, &fx);

    if (ret) {
        return ret;
    }
    if (fx.cxl_reset) {
        /*
         * A CXL Reset the device performed, which only a client of the
         * plain vfio-pci device can ask for (cxl_dvsec.c absorbs it): the
         * host's decoders are gone, the region turns inactive.
         */
        accel_hdm_cxl_reset(a);
        accel_hdm_snapshot(a);
        accel_mem_update_active(a);
        accel_cache_discard(a);
    }
    accel_cache_update_status(a);
    /* D3hot, and v5's Memory Space Enable, close the device memory */
    accel_mem_update_gate(a);
    /* Initiate Function Level Reset, as the kernel's vfio-pci does */
    if (fx.flr) {
        accel_flr(a);
    }
    return 0;
}

typedef struct AccelCacheWriteBack {
    CXLAccel *a;
    const AccelDMAIO *io;
} AccelCacheWriteBack;

static AccelDMAError cache_write_back(void *opaque, uint64_t iova,
                                      const uint8_t *buf, size_t len)
{
    AccelCacheWriteBack *wb = opaque;

    return accel_dma_write(wb->a, wb->io, iova, buf, len);
}

bool accel_cache_run(CXLAccel *a, const AccelDMAIO *io, GString *log)
{
    AccelCacheWriteBack wb = { .a = a, .io = io };
    AccelCacheSink sink = { .write = cache_write_back, .opaque = &wb };

    return accel_cache_flush(a, &sink, log);
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

/* v2: an access that touches the component block, which v2 traps whole */
static bool in_trapped_block(CXLAccel *a, uint64_t off, size_t len)
{
    return accel_cxl_exposed(a) && !accel_v5(a) &&
           overlaps(off, len, accel_block_offset(a), CXL_COMPONENT_BLOCK_SIZE);
}

/* v5: whether BAR byte @addr is in the page left out of the mmap */
static bool v5_trapped(CXLAccel *a, uint64_t addr)
{
    uint64_t start, size;

    return accel_v5(a) && accel_bar_mmap_hole(a, &start, &size) &&
           addr >= start && addr - start < size;
}

static bool v5_in_hdm_block(CXLAccel *a, uint64_t addr)
{
    uint64_t hdm = accel_hdm_bar_offset(a);

    return addr >= hdm && addr - hdm < accel_hdm_block_size(a);
}

/* RAS status registers: RW1CS in the device (CXL r3.1 8.2.4.17) */
static bool ras_status_reg(uint64_t rel)
{
    return rel == ACCEL_RAS_OFFSET + ACCEL_RAS_UNC_STATUS ||
           rel == ACCEL_RAS_OFFSET + ACCEL_RAS_COR_STATUS;
}

/*
 * v5, a byte of the page the kernel traps: the decoder block reads all
 * ones, the rest of CXL.cachemem (capability array, RAS) the hardware.
 */
static uint8_t v5_trapped_read(CXLAccel *a, uint64_t addr)
{
    uint64_t rel = addr - accel_hdm_regs_offset(a);

    if (v5_in_hdm_block(a, addr)) {
        return ACCEL_V5_HDM_BAR_FILL;
    }
    if (addr >= accel_hdm_regs_offset(a) && rel < ACCEL_CACHEMEM_SIZE) {
        return a->hw_cachemem[rel / 4] >> (BITS_PER_BYTE * (rel % 4));
    }
    return a->bar[addr];
}

/*
 * v5, a byte written to the trapped page: dropped in the decoder block
 * (the VMM owns the guest's decoders); elsewhere it reaches the hardware,
 * where the capability array is read-only and the RAS status registers
 * are write-1-to-clear (the other RAS registers are not modelled and
 * read-only).
 */
static void v5_trapped_write(CXLAccel *a, uint64_t addr, uint8_t val)
{
    uint64_t rel = addr - accel_hdm_regs_offset(a);

    if (v5_in_hdm_block(a, addr)) {
        return;
    }
    if (addr >= accel_hdm_regs_offset(a) && rel < ACCEL_CACHEMEM_SIZE) {
        if (ras_status_reg(ROUND_DOWN(rel, 4))) {
            a->hw_cachemem[rel / 4] &= ~((uint32_t)val <<
                                         (BITS_PER_BYTE * (rel % 4)));
        }
        return;
    }
    a->bar[addr] = val;
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
    uint64_t hole, size;

    if (!range_ok(off, len, ACCEL_REG_BAR_SIZE)) {
        return -EINVAL;
    }
    if (in_trapped_block(a, off, len)) {
        return block_access(a, off, buf, len, false);
    }
    memcpy(buf, a->bar + off, len);
    /* v5: the bytes of the page the kernel traps answer as it does */
    if (accel_v5(a) && accel_bar_mmap_hole(a, &hole, &size) &&
        overlaps(off, len, hole, size)) {
        uint64_t addr, end = MIN(off + len, hole + size);

        for (addr = MAX(off, hole); addr < end; addr++) {
            ((uint8_t *)buf)[addr - off] = v5_trapped_read(a, addr);
        }
    }
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

        if (v5_trapped(a, addr)) {
            v5_trapped_write(a, addr, val[i]);
            continue;
        }
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
    if (!accel_mem_live(a)) {
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
    if (!accel_mem_live(a)) {
        return -EIO;
    }
    if (pwrite(a->mem_fd, buf, len, off) != (ssize_t)len) {
        return -EIO;
    }
    return 0;
}
