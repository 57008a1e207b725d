/*
 * Emulated CXL Type-2 accelerator: the device's write-back cache
 *
 * A Cache_Capable device may hold lines of host memory it wrote (CXL.cache)
 * until it is told to write them back. The copy engine's "cached" requests
 * (ACCEL_DMA_DOORBELL_CACHED) leave their writes here; the device's own
 * reads see them, the host does not. Initiate Cache Write Back and
 * Invalidation (DVSEC Control2) writes them back through the client's DMA
 * mappings and, with Disable Caching set, reports Cache Invalid in Status2
 * (CXL r4.0 8.1.3.3-8.1.3.4); a reset discards them, which is what a VMM
 * that resets without a write-back loses. This is what lets a test tell
 * whether QEMU wrote the cache back before a reset it triggered.
 *
 * Copyright (c) 2026 QEMU CXL Type-2 team
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "accel-model.h"

typedef struct AccelCacheLine {
    uint64_t iova;
    size_t len;
    uint8_t *data;
} AccelCacheLine;

static void cache_line_release(gpointer p)
{
    AccelCacheLine *l = p;

    g_free(l->data);
}

static GArray *cache_lines(CXLAccel *a)
{
    if (!a->cache) {
        a->cache = g_array_new(false, true, sizeof(AccelCacheLine));
        g_array_set_clear_func(a->cache, cache_line_release);
    }
    return a->cache;
}

static uint16_t dvsec_w(const CXLAccel *a, unsigned reg)
{
    return lduw_le_p(a->cfg + ACCEL_DVSEC_DEV_OFFSET + reg);
}

bool accel_cache_enabled(const CXLAccel *a)
{
    return a->opts.cache_capable &&
           !(dvsec_w(a, CXL_DVSEC_CTRL2) &
             R_CXL_DVSEC_CTRL2_DISABLE_CACHING_MASK);
}

void accel_cache_update_status(CXLAccel *a)
{
    uint8_t *st2 = a->cfg + ACCEL_DVSEC_DEV_OFFSET + CXL_DVSEC_STATUS2;
    bool invalid = (dvsec_w(a, CXL_DVSEC_CTRL2) &
                    R_CXL_DVSEC_CTRL2_DISABLE_CACHING_MASK) &&
                   !a->cache_bytes && !a->wbi_pending;

    uint16_t v = lduw_le_p(st2) & ~R_CXL_DVSEC_STATUS2_CACHE_INVALID_MASK;

    stw_le_p(st2, v | (invalid ? R_CXL_DVSEC_STATUS2_CACHE_INVALID_MASK : 0));
}

bool accel_cache_hold(CXLAccel *a, uint64_t iova, const uint8_t *buf,
                      size_t len)
{
    AccelCacheLine l = { .iova = iova, .len = len };

    if (!accel_cache_enabled(a) || len > ACCEL_CACHE_MAX - a->cache_bytes) {
        return false;
    }
    l.data = g_memdup2(buf, len);
    g_array_append_val(cache_lines(a), l);
    a->cache_bytes += len;
    accel_cache_update_status(a);
    return true;
}

void accel_cache_overlay(CXLAccel *a, uint64_t iova, uint8_t *buf,
                         size_t len)
{
    GArray *lines = cache_lines(a);
    unsigned i;

    /* Oldest first, so that the newest write of a byte wins. */
    for (i = 0; i < lines->len; i++) {
        AccelCacheLine *l = &g_array_index(lines, AccelCacheLine, i);
        uint64_t lo = MAX(iova, l->iova);
        uint64_t hi = MIN(iova + len, l->iova + l->len);

        if (lo < hi) {
            memcpy(buf + (lo - iova), l->data + (lo - l->iova), hi - lo);
        }
    }
}

void accel_cache_discard(CXLAccel *a)
{
    if (a->cache) {
        g_array_set_size(a->cache, 0);
    }
    a->cache_bytes = 0;
    a->wbi_pending = false;
    accel_cache_update_status(a);
}

bool accel_cache_flush(CXLAccel *a, const AccelCacheSink *sink,
                       GString *log)
{
    unsigned reset_at = a->reset_count, n = 0, failed = 0;
    uint64_t bytes = a->cache_bytes;
    GArray *lines;

    if (!a->wbi_pending) {
        return false;
    }
    /* Take the lines first: a reset while the client is asked ends it. */
    lines = a->cache;
    a->cache = NULL;
    a->cache_bytes = 0;
    for (; lines && n < lines->len; n++) {
        AccelCacheLine *l = &g_array_index(lines, AccelCacheLine, n);

        if (a->reset_count != reset_at) {
            break;
        }
        failed += sink->write(sink->opaque, l->iova, l->data, l->len) !=
                  ACCEL_DMA_OK;
    }
    if (lines) {
        g_array_free(lines, true);
    }
    a->wbi_pending = false;
    accel_cache_update_status(a);
    g_string_append_printf(log, "cache write-back of 0x%" PRIx64 " bytes in "
                           "%u lines: %s", bytes, n,
                           a->reset_count != reset_at ? "aborted by a reset" :
                           failed ? "some lines failed" : "done");
    return true;
}
