/*
 * Emulated CXL Type-2 accelerator: option values and their checks
 *
 * Copyright (c) 2026 QEMU CXL Type-2 team
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include <linux/vfio.h>
#include "qemu/units.h"
#include "accel-model.h"

static const char *const fault_names[ACCEL_FAULT__MAX] = {
    [ACCEL_FAULT_NONE] = "none",
    [ACCEL_FAULT_CAP_BAD_DPA_INDEX] = "cap-bad-dpa-index",
    [ACCEL_FAULT_CAP_BAD_COMP_INDEX] = "cap-bad-comp-index",
    [ACCEL_FAULT_DPA_WRONG_SUBTYPE] = "dpa-wrong-subtype",
    [ACCEL_FAULT_COMP_REGS_NO_HDM] = "comp-regs-no-hdm",
    [ACCEL_FAULT_HDM_OFFSET_OUTSIDE_BAR] = "hdm-offset-outside-bar",
    [ACCEL_FAULT_CAP_TRUNCATED] = "cap-truncated",
    [ACCEL_FAULT_DPA_SIZE_ZERO] = "dpa-size-zero",
    [ACCEL_FAULT_CAP_BAD_VERSION] = "cap-bad-version",
    [ACCEL_FAULT_RESET_UNCOMMITS] = "reset-uncommits",
    [ACCEL_FAULT_BAR_SIZE_ODD] = "bar-size-odd",
    [ACCEL_FAULT_INFO_FAILS] = "info-fails",
    [ACCEL_FAULT_REPLY_OVERSIZED] = "reply-oversized",
    [ACCEL_FAULT_REGION_ARGSZ_HUGE] = "region-argsz-huge",
    [ACCEL_FAULT_REGION_CAPS_LOOP] = "region-caps-loop",
    [ACCEL_FAULT_SPARSE_OVERRUN] = "sparse-overrun",
    [ACCEL_FAULT_CONFIG_SIZE_ZERO] = "config-size-zero",
    [ACCEL_FAULT_ROM_SIZE_ODD] = "rom-size-odd",
    [ACCEL_FAULT_CLOSE_UNREAD] = "close-unread",
    [ACCEL_FAULT_PIN_CHANGES] = "pin-changes",
    [ACCEL_FAULT_RAS_ERRORS] = "ras-errors",
    [ACCEL_FAULT_NO_FLR] = "no-flr",
    [ACCEL_FAULT_NO_CXL_RESET] = "no-cxl-reset",
};

void accel_options_init(AccelOptions *o)
{
    memset(o, 0, sizeof(*o));
    o->mem_size = ACCEL_DEFAULT_MEM_SIZE;
    o->decoders = 1;
    o->committed_decoders = 1;
    o->serial = ACCEL_DEFAULT_SERIAL;
    o->firmware_committed = true;
    o->block_at = ACCEL_BLOCK_AT_END;
    o->fault = ACCEL_FAULT_NONE;
}

const char *accel_fault_name(AccelFault f)
{
    return f < ACCEL_FAULT__MAX ? fault_names[f] : NULL;
}

/* The index of @name in @names, or -1 */
static int name_index(const char *const *names, int count, const char *name)
{
    int i;

    for (i = 0; i < count; i++) {
        if (names[i] && !strcmp(name, names[i])) {
            return i;
        }
    }
    return -1;
}

bool accel_fault_parse(const char *name, AccelFault *f)
{
    int i = name_index(fault_names, ACCEL_FAULT__MAX, name);

    if (i < 0) {
        return false;
    }
    *f = i;
    return true;
}

bool accel_block_at_parse(const char *name, AccelBlockAt *b)
{
    static const char *const names[] = {
        [ACCEL_BLOCK_AT_END] = "end",
        [ACCEL_BLOCK_AT_START] = "start",
        [ACCEL_BLOCK_AT_MIDDLE] = "middle",
    };
    int i = name_index(names, ARRAY_SIZE(names), name);

    if (i < 0) {
        return false;
    }
    *b = i;
    return true;
}

bool accel_uapi_parse(const char *name, AccelUapi *u)
{
    static const char *const names[] = {
        [ACCEL_UAPI_V2] = "v2",
        [ACCEL_UAPI_V5] = "v5",
    };
    int i = name_index(names, ARRAY_SIZE(names), name);

    if (i < 0) {
        return false;
    }
    *u = i;
    return true;
}

bool accel_decoder_type_parse(const char *name, AccelDecoderType *t)
{
    static const char *const names[] = {
        [ACCEL_DECODER_HDM_D] = "hdm-d",
        [ACCEL_DECODER_HDM_H] = "hdm-h",
        [ACCEL_DECODER_HDM_DB] = "hdm-db",
    };
    int i = name_index(names, ARRAY_SIZE(names), name);

    if (i < 0) {
        return false;
    }
    *t = i;
    return true;
}

/*
 * A serial number that differs between the accelerators of one host and
 * stays the same from run to run: FNV-1a of the socket path. Linux names
 * CXL memory devices by it and expects each device to have its own.
 */
uint64_t accel_serial_from_path(const char *path)
{
    uint64_t h = 0xcbf29ce484222325ULL;     /* FNV-1a 64-bit offset basis */

    for (; *path; path++) {
        h = (h ^ (uint8_t)*path) * 0x100000001b3ULL;    /* FNV prime */
    }
    return h;
}

/*
 * A decimal number of bytes with an optional binary suffix K, M, G or T
 * (either case). Deliberately strict: no fractions, no hex, no spaces, so
 * that a typo is an error rather than a surprising size.
 */
bool accel_parse_size(const char *str, uint64_t *size, GError **errp)
{
    uint64_t val = 0;
    unsigned shift = 0;
    const char *p = str;

    if (!g_ascii_isdigit(*p)) {
        g_set_error(errp, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "invalid size '%s': expected a number with an optional "
                    "K, M, G or T suffix", str);
        return false;
    }
    for (; g_ascii_isdigit(*p); p++) {
        unsigned digit = *p - '0';

        if (val > (UINT64_MAX - digit) / 10) {
            goto too_big;
        }
        val = val * 10 + digit;
    }
    switch (g_ascii_toupper(*p)) {
    case '\0':
        break;
    case 'K':
        shift = 10;
        break;
    case 'M':
        shift = 20;
        break;
    case 'G':
        shift = 30;
        break;
    case 'T':
        shift = 40;
        break;
    default:
        g_set_error(errp, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "invalid size '%s': unknown suffix '%s'", str, p);
        return false;
    }
    if (*p != '\0' && p[1] != '\0') {
        g_set_error(errp, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "invalid size '%s': trailing characters after the "
                    "suffix", str);
        return false;
    }
    if (shift && val > (UINT64_MAX >> shift)) {
        goto too_big;
    }
    *size = val << shift;
    return true;

too_big:
    g_set_error(errp, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                "invalid size '%s': too large", str);
    return false;
}

bool accel_options_check(const AccelOptions *o, GError **errp)
{
    /*
     * HDM decoders map memory in 256 MiB granules (BASE/SIZE [27:0] are
     * reserved), so a device memory of another size cannot be decoded.
     */
    if (o->mem_size == 0 || o->mem_size % CXL_HDM_GRANULE) {
        g_set_error(errp, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "--mem-size %" PRIu64 " is not a non-zero multiple of "
                    "256 MiB (the HDM decoder granule)", o->mem_size);
        return false;
    }
    /* The Decoder Count field encodes 1 or an even number up to 16. */
    if (o->decoders < 1 || o->decoders > ACCEL_MAX_DECODERS ||
        (o->decoders > 1 && o->decoders % 2)) {
        g_set_error(errp, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "--decoders %u: the HDM Decoder Count field can only "
                    "encode 1, 2, 4, 6, ... 16", o->decoders);
        return false;
    }
    /* Consecutive equal parts, each decodable on its own. */
    if (o->committed_decoders < 1 || o->committed_decoders > o->decoders) {
        g_set_error(errp, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "--committed-decoders %u: between 1 and --decoders (%u)",
                    o->committed_decoders, o->decoders);
        return false;
    }
    if (o->mem_size % ((uint64_t)o->committed_decoders * CXL_HDM_GRANULE)) {
        g_set_error(errp, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "--committed-decoders %u: --mem-size %" PRIu64 " does not "
                    "split into %u parts of a multiple of 256 MiB",
                    o->committed_decoders, o->mem_size,
                    o->committed_decoders);
        return false;
    }
    if (o->fault >= ACCEL_FAULT__MAX) {
        g_set_error(errp, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "unknown fault mode");
        return false;
    }
    /*
     * v5 has no device capability, so no region indices to get wrong.
     * The other capability faults apply to v5's COMP_REGS region
     * capability instead (README.rst).
     */
    if (o->uapi == ACCEL_UAPI_V5 &&
        (o->fault == ACCEL_FAULT_CAP_BAD_DPA_INDEX ||
         o->fault == ACCEL_FAULT_CAP_BAD_COMP_INDEX)) {
        g_set_error(errp, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "--fault %s needs --uapi v2: v5 has no device info "
                    "capability, whose region indices it breaks",
                    accel_fault_name(o->fault));
        return false;
    }
    return true;
}
