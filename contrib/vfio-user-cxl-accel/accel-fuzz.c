/*
 * Emulated CXL Type-2 accelerator: a seeded backend fuzzer (--fuzz-seed)
 *
 * A vfio-user server is a separate, less trusted process, and a kernel
 * with another revision of the interface answers differently: QEMU must
 * survive any answer. In this mode the server answers QEMU's requests
 * with random malformations -- device info capability chains (loops,
 * offsets past argsz, truncated or oversized capabilities, wrong
 * versions), region infos and sparse-mmap capabilities, COMP_REGS reads
 * that fail, come back short or read nonsense, missing or extra file
 * descriptors, errors, and disconnects at any step. Connection n uses
 * seed + n, so one connection's answers can be given back.
 *
 * Copyright (c) 2026 QEMU CXL Type-2 team
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include <linux/vfio.h>
#include "hw/vfio-user/protocol.h"
#include "accel-model.h"

struct AccelFuzz {
    uint64_t seed;
    unsigned connection;
    GRand *rand;
    double rate;        /* this connection's share of the chances below */
};

AccelFuzz *accel_fuzz_new(uint64_t seed)
{
    AccelFuzz *f = g_new0(AccelFuzz, 1);

    f->seed = seed;
    return f;
}

void accel_fuzz_free(AccelFuzz *f)
{
    if (f && f->rand) {
        g_rand_free(f->rand);
    }
    g_free(f);
}

uint64_t accel_fuzz_connect(AccelFuzz *f)
{
    uint64_t seed = f->seed + f->connection++;

    if (f->rand) {
        g_rand_free(f->rand);
    }
    f->rand = g_rand_new_with_seed_array((const guint32 *)&seed, 2);
    /*
     * Most connections lightly malformed, some not at all: a realize
     * takes a hundred messages, and the paths after a successful one
     * (unplug, reset) need fuzzing too.
     */
    f->rate = g_rand_double(f->rand);
    f->rate = f->rate < 0.2 ? 0 : f->rate * f->rate;
    return seed;
}

static bool chance(AccelFuzz *f, double p)
{
    return g_rand_double(f->rand) < p * f->rate;
}

/* Bytes of @data from @from on: flip, overwrite or plant offsets */
static void scribble(AccelFuzz *f, GByteArray *data, unsigned from,
                     GString *log)
{
    unsigned n = g_rand_int_range(f->rand, 1, 5), i;

    if (data->len <= from) {
        return;
    }
    for (i = 0; i < n; i++) {
        unsigned at = g_rand_int_range(f->rand, from, data->len);
        uint32_t v;

        switch (g_rand_int_range(f->rand, 0, 4)) {
        case 0:
            data->data[at] ^= 1u << g_rand_int_range(f->rand, 0, 8);
            break;
        case 1:
            data->data[at] = g_rand_int(f->rand);
            break;
        default:
            /* A plausible offset or size: small, aligned, or huge */
            v = g_rand_boolean(f->rand) ? g_rand_int_range(f->rand, 0, 256)
                                        : g_rand_int(f->rand);
            at &= ~3u;
            if (at + 4 <= data->len) {
                memcpy(data->data + at, &v, 4);
            }
            break;
        }
        g_string_append_printf(log, " [%u]", at);
    }
}

bool accel_fuzz_reply(AccelFuzz *f, unsigned command, unsigned region,
                      GByteArray *data, int *fd, int *ret, GString *log)
{
    if (!f || !f->rand) {
        return true;
    }
    /* Gone, at any step (a realize takes a hundred messages or so) */
    if (chance(f, 0.002)) {
        g_string_append(log, " (fuzz: disconnect)");
        return false;
    }
    if (*ret) {
        return true;
    }
    switch (command) {
    case VFIO_USER_DEVICE_GET_INFO:
    case VFIO_USER_DEVICE_GET_REGION_INFO:
        if (chance(f, 0.08)) {
            g_string_append(log, " (fuzz: scribbled");
            scribble(f, data, 0, log);
            g_string_append(log, ")");
        }
        if (chance(f, 0.05)) {
            g_byte_array_set_size(data, g_rand_int_range(f->rand, 0,
                                                         data->len + 1));
            g_string_append_printf(log, " (fuzz: truncated to %u)",
                                   data->len);
        }
        if (chance(f, 0.03)) {
            g_byte_array_set_size(data, data->len + 64);
            g_string_append(log, " (fuzz: oversized)");
        }
        if (*fd >= 0 && chance(f, 0.05)) {
            *fd = -1;
            g_string_append(log, " (fuzz: no fd)");
        } else if (*fd < 0 && chance(f, 0.03)) {
            /* The caller closes what it passes; a read-only memfd will do */
            *fd = -2;
            g_string_append(log, " (fuzz: extra fd)");
        }
        break;
    case VFIO_USER_REGION_READ:
        if (region != ACCEL_COMP_REGS_REGION && !chance(f, 0.02)) {
            break;
        }
        if (chance(f, 0.05)) {
            *ret = -EIO;
            g_string_append(log, " (fuzz: failed)");
        } else if (chance(f, 0.05)) {
            g_byte_array_set_size(data, data->len / 2);
            g_string_append(log, " (fuzz: short)");
        } else if (chance(f, 0.15)) {
            g_string_append(log, " (fuzz: nonsense");
            scribble(f, data, 16, log);     /* past the RW header */
            g_string_append(log, ")");
        }
        break;
    default:
        if (chance(f, 0.02)) {
            *ret = -EINVAL;
            g_string_append(log, " (fuzz: error)");
        }
        break;
    }
    return true;
}
