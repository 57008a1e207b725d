/*
 * libFuzzer targets: an input cut into the parts a peer would answer, and
 * what a description the parser accepted must satisfy.
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

/*
 * A description QEMU can use safely: COMP_REGS holds every decoder, v5's
 * is the decoder block alone, v2's component block and v5's decoder block
 * lie in the BAR of @bar_size bytes.
 */
static inline void check_cxl_desc(const VFIOCXLDesc *d, uint64_t bar_size)
{
    unsigned n;

    assert(d->bar <= VFIO_PCI_BAR5_REGION_INDEX);
    assert(d->mem_size && d->mem_size % CXL_HDM_GRANULE == 0);
    assert(d->hdm_count >= 1 && d->hdm_count <= CXL_HDM_MAX_DECODERS);
    assert(d->regs_size % 4 == 0 && d->hdm_offset % 4 == 0);
    if (d->uapi == VFIO_CXL_UAPI_V5) {
        assert(d->hdm_offset == 0);
        assert(d->regs_size == CXL_HDM_DECODER_FIRST +
               d->hdm_count * CXL_HDM_DECODER_STRIDE);
        assert(d->regs_offset <= bar_size &&
               bar_size - d->regs_offset >= d->regs_size);
    } else {
        assert(d->uapi == VFIO_CXL_UAPI_V2);
        assert(d->regs_size <= VFIO_CXL_COMP_REGS_MAX_SIZE);
        assert(d->block_offset + CXL_COMPONENT_BLOCK_SIZE <= bar_size);
        assert(d->cachemem_offset == d->block_offset + CXL_CACHEMEM_OFFSET);
        assert(d->regs_offset == d->cachemem_offset);
        assert(d->mem_index != d->regs_index);
    }
    for (n = 0; n < d->hdm_count; n++) {
        assert(vfio_cxl_hdm_reg(d, n, A_CXL_HDM_DEC_DPA_SKIP_HI) + 4 <=
               d->regs_size);
    }
}

#endif
