/*
 * Emulated CXL Type-2 accelerator: the client's DMA mappings and the copy
 * engine
 *
 * The client (QEMU) tells the device, with DMA_MAP and DMA_UNMAP, which
 * I/O virtual addresses it may use: guest RAM, and the device's own memory
 * at its window address. The copy engine, driven through registers in the
 * accelerator page (accel-regs.h), copies between any two of them, as a
 * real accelerator's DMA engine does. A mapping that came with an fd is
 * mmapped and copied to and from directly; any other goes through the
 * client with DMA_READ / DMA_WRITE (AccelDMAIO). The engine touches
 * nothing but what is mapped, checks every request first and every piece
 * again (a mapping may go while it runs), and reports each refusal in
 * DMA_ERROR.
 *
 * Copyright (c) 2026 QEMU CXL Type-2 team
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include <sys/mman.h>
#include "qemu/bswap.h"
#include "accel-model.h"

static void dma_map_release(gpointer p)
{
    AccelDMAMap *m = p;

    if (m->host) {
        munmap(m->host, m->size);
    }
}

static GArray *dma_maps(CXLAccel *a)
{
    if (!a->dma_maps) {
        a->dma_maps = g_array_new(false, true, sizeof(AccelDMAMap));
        g_array_set_clear_func(a->dma_maps, dma_map_release);
    }
    return a->dma_maps;
}

/* [iova, iova + size) without wrapping around */
static bool range_valid(uint64_t iova, uint64_t size)
{
    return size && iova + size - 1 >= iova;
}

static bool overlaps(const AccelDMAMap *m, uint64_t iova, uint64_t size)
{
    return iova <= m->iova + (m->size - 1) && m->iova <= iova + (size - 1);
}

int accel_dma_map(CXLAccel *a, uint64_t iova, uint64_t size, int fd,
                  uint64_t offset, bool writable)
{
    GArray *maps = dma_maps(a);
    AccelDMAMap m = { .iova = iova, .size = size, .writable = writable };
    unsigned i;

    if (!range_valid(iova, size)) {
        return -EINVAL;
    }
    for (i = 0; i < maps->len; i++) {
        if (overlaps(&g_array_index(maps, AccelDMAMap, i), iova, size)) {
            return -EEXIST;
        }
    }
    if (fd >= 0) {
        void *p = mmap(NULL, size, PROT_READ | (writable ? PROT_WRITE : 0),
                       MAP_SHARED, fd, offset);
        struct stat st, mem;

        if (p == MAP_FAILED) {
            return -errno;
        }
        m.host = p;
        /* Its own memory faults while inactive: know it when accessed */
        m.devmem = !fstat(fd, &st) && !fstat(a->mem_fd, &mem) &&
                   st.st_dev == mem.st_dev && st.st_ino == mem.st_ino;
    }
    g_array_append_val(maps, m);
    return 0;
}

int accel_dma_unmap(CXLAccel *a, uint64_t iova, uint64_t size)
{
    GArray *maps = dma_maps(a);
    unsigned i;

    if (!range_valid(iova, size)) {
        return -EINVAL;
    }
    /* Only whole mappings go: a partial overlap is refused, all of it. */
    for (i = 0; i < maps->len; i++) {
        AccelDMAMap *m = &g_array_index(maps, AccelDMAMap, i);

        if (overlaps(m, iova, size) &&
            (m->iova < iova || m->iova + (m->size - 1) > iova + (size - 1))) {
            return -EINVAL;
        }
    }
    for (i = maps->len; i-- > 0;) {
        if (overlaps(&g_array_index(maps, AccelDMAMap, i), iova, size)) {
            g_array_remove_index_fast(maps, i);
        }
    }
    return 0;
}

void accel_dma_unmap_all(CXLAccel *a)
{
    if (a->dma_maps) {
        g_array_set_size(a->dma_maps, 0);
    }
}

/* The mapping that holds @iova, or NULL */
static AccelDMAMap *dma_find(CXLAccel *a, uint64_t iova)
{
    GArray *maps = dma_maps(a);
    unsigned i;

    for (i = 0; i < maps->len; i++) {
        AccelDMAMap *m = &g_array_index(maps, AccelDMAMap, i);

        if (overlaps(m, iova, 1)) {
            return m;
        }
    }
    return NULL;
}

/* How much of [iova, ...) mapping @m holds */
static uint64_t dma_left(const AccelDMAMap *m, uint64_t iova)
{
    return m->size - (iova - m->iova);
}

/*
 * Is all of [iova, iova + len) mapped (writable if @write)? As behind an
 * IOMMU, which maps page by page, a range may run through adjacent
 * mappings; it must not run into a hole.
 */
static AccelDMAError dma_check(CXLAccel *a, uint64_t iova, uint64_t len,
                               bool write)
{
    AccelDMAError unmapped = write ? ACCEL_DMA_ERR_DST_UNMAPPED :
                                     ACCEL_DMA_ERR_SRC_UNMAPPED;
    AccelDMAError crosses = write ? ACCEL_DMA_ERR_DST_CROSSES :
                                    ACCEL_DMA_ERR_SRC_CROSSES;
    uint64_t at = iova;

    if (!range_valid(iova, len)) {
        return dma_find(a, iova) ? crosses : unmapped;
    }
    while (at - iova < len) {
        AccelDMAMap *m = dma_find(a, at);

        if (!m || (write && !m->writable)) {
            return at == iova ? unmapped : crosses;
        }
        if (dma_left(m, at) >= len - (at - iova)) {
            break;
        }
        at += dma_left(m, at);
    }
    return ACCEL_DMA_OK;
}

/* One piece, split where its mappings end, each part where its map says */
static AccelDMAError dma_access(CXLAccel *a, const AccelDMAIO *io,
                                bool write, uint64_t iova, uint8_t *buf,
                                size_t len)
{
    while (len) {
        /* Again for each part: the client may unmap while it is asked. */
        AccelDMAError err = dma_check(a, iova, len, write);
        AccelDMAMap *m;
        size_t n;
        int ret = 0;

        if (err) {
            return err;
        }
        m = dma_find(a, iova);
        n = MIN(len, dma_left(m, iova));

        if (m->host && m->devmem && !accel_mem_live(a)) {
            return ACCEL_DMA_ERR_CLIENT;  /* the kernel's mapping would fault */
        } else if (m->host) {
            if (write) {
                memcpy(m->host + (iova - m->iova), buf, n);
            } else {
                memcpy(buf, m->host + (iova - m->iova), n);
            }
        } else {
            ret = io->rw(io->opaque, write, iova, buf, n);
        }
        if (ret == -ECONNRESET) {
            return ACCEL_DMA_ERR_CLIENT_GONE;
        } else if (ret) {
            return ACCEL_DMA_ERR_CLIENT;
        }
        iova += n;
        buf += n;
        len -= n;
    }
    return ACCEL_DMA_OK;
}

AccelDMAError accel_dma_write(CXLAccel *a, const AccelDMAIO *io,
                              uint64_t iova, const uint8_t *buf, size_t len)
{
    /* dma_access() does not write into a write's buffer */
    return dma_access(a, io, true, iova, (uint8_t *)buf, len);
}

static uint8_t *dma_reg(CXLAccel *a, unsigned reg)
{
    return a->bar + accel_regs_offset(a) + reg;
}

static uint64_t dma_reg64(CXLAccel *a, unsigned lo)
{
    /* ldl_le_p() is signed: keep bit 31 of the low dword where it is. */
    return (uint32_t)ldl_le_p(dma_reg(a, lo)) |
           (uint64_t)(uint32_t)ldl_le_p(dma_reg(a, lo + 4)) << 32;
}

/* The doorbell was rung: take the request, i.e. clear it; 0 if not. */
static uint32_t dma_doorbell_take(CXLAccel *a)
{
    uint32_t v = ldl_le_p(dma_reg(a, ACCEL_REG_DMA_DOORBELL));

    if (v) {
        stl_le_p(dma_reg(a, ACCEL_REG_DMA_DOORBELL), 0);
    }
    return v;
}

static void dma_status_set(CXLAccel *a, uint32_t status)
{
    stl_le_p(dma_reg(a, ACCEL_REG_DMA_STATUS), status);
}

bool accel_dma_run(CXLAccel *a, const AccelDMAIO *io, GString *log)
{
    uint64_t src, dst, done = 0;
    uint32_t len, doorbell;
    bool cached;
    AccelDMAError err, busy = ACCEL_DMA_OK;
    unsigned reset_at = a->reset_count;
    g_autofree uint8_t *buf = NULL;

    /* In D3hot the function does not master the bus: the request waits */
    if (accel_power_state(a) == ACCEL_PM_D3HOT) {
        return false;
    }
    doorbell = dma_doorbell_take(a);
    if (!doorbell) {
        return false;
    }
    cached = (doorbell & ACCEL_DMA_DOORBELL_CACHED) && accel_cache_enabled(a);
    a->dma_count++;
    src = dma_reg64(a, ACCEL_REG_DMA_SRC_LO);
    dst = dma_reg64(a, ACCEL_REG_DMA_DST_LO);
    len = (uint32_t)ldl_le_p(dma_reg(a, ACCEL_REG_DMA_LEN));
    g_string_append_printf(log, "copy 0x%" PRIx64 " -> 0x%" PRIx64
                           " len 0x%x%s", src, dst, len,
                           cached ? " (cached)" : "");

    if (!len) {
        err = ACCEL_DMA_ERR_LEN_ZERO;
    } else if (len > ACCEL_DMA_MAX_LEN) {
        err = ACCEL_DMA_ERR_LEN_TOO_BIG;
    } else {
        err = dma_check(a, src, len, false);
        err = err ? err : dma_check(a, dst, len, true);
    }
    if (err) {
        goto out;
    }

    dma_status_set(a, ACCEL_DMA_STATUS_BUSY);
    buf = g_malloc(MIN(len, ACCEL_DMA_CHUNK));
    while (done < len) {
        size_t n = MIN(len - done, ACCEL_DMA_CHUNK);

        err = dma_access(a, io, false, src + done, buf, n);
        if (!err && a->reset_count == reset_at) {
            /* The device sees its own cached lines; the host does not. */
            accel_cache_overlay(a, src + done, buf, n);
            if (!cached || !accel_cache_hold(a, dst + done, buf, n)) {
                err = dma_access(a, io, true, dst + done, buf, n);
            }
        }
        if (a->reset_count != reset_at) {
            /* A reset while the client was asked: the request is gone. */
            g_string_append(log, ": aborted by a reset");
            return true;
        }
        if (err) {
            break;
        }
        /* A real engine has no queue: a second request is refused. */
        if (dma_doorbell_take(a) && !busy) {
            busy = ACCEL_DMA_ERR_BUSY;
            g_string_append(log, " (doorbell while busy, ignored)");
        }
        done += n;
    }
    err = err ? err : busy;

out:
    stl_le_p(dma_reg(a, ACCEL_REG_DMA_ERROR), err);
    dma_status_set(a, ACCEL_DMA_STATUS_DONE |
                   (err ? ACCEL_DMA_STATUS_ERROR : 0));
    if (err) {
        g_string_append_printf(log, ": error %u after 0x%" PRIx64 " bytes",
                               err, done);
    } else {
        g_string_append(log, ": done");
    }
    return true;
}
