/*
 * libFuzzer targets: an input cut into the parts a peer would answer.
 *
 * Copyright (c) 2026 QEMU CXL Type-2 team
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef FUZZ_INPUT_H
#define FUZZ_INPUT_H

typedef struct FuzzInput {
    const uint8_t *data;
    size_t size;
} FuzzInput;

/*
 * The next part: a u16 length, then that many bytes (or what is left),
 * in a buffer of exactly that size (g_free() it), so that AddressSanitizer
 * sees any read past what the peer sent; NULL if shorter than @min.
 */
static inline void *take_part(FuzzInput *in, size_t min, size_t *len)
{
    size_t want;
    void *p;

    if (in->size < 2) {
        return NULL;
    }
    want = lduw_le_p(in->data);
    in->data += 2;
    in->size -= 2;
    want = MIN(want, in->size);
    if (want < min) {
        return NULL;
    }
    p = g_memdup2(in->data, want);
    in->data += want;
    in->size -= want;
    *len = want;
    return p;
}

#endif
