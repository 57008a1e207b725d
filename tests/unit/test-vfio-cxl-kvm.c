/*
 * Unit tests of what QEMU decides about CXL Type-2 device memory under
 * each accelerator (hw/vfio/cxl-kvm.c): the arm64 refusal and the x86
 * warning, which this host's TCG never reaches.
 *
 * Copyright (c) 2026 QEMU CXL Type-2 team
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qapi/error-internal.h"
#include "hw/vfio/cxl-kvm.h"

typedef struct DecideCase {
    const char *name;
    VFIOCXLAccel accel;
    bool pfnmap;
    int cap;
    VFIOCXLKVMVerdict verdict;
} DecideCase;

static const DecideCase decide_cases[] = {
    /* The guest's own mapping decides: nothing to check */
    { "tcg", VFIO_CXL_ACCEL_OTHER, true, VFIO_CXL_KVM_CAP_NOT_ASKED,
      VFIO_CXL_KVM_MAP },
    { "tcg-vfio-user", VFIO_CXL_ACCEL_OTHER, false,
      VFIO_CXL_KVM_CAP_NOT_ASKED, VFIO_CXL_KVM_MAP },
    /* FEAT_S2FWB and CTR_EL0.DIC: cacheable at stage 2 */
    { "arm64-cap-1", VFIO_CXL_ACCEL_KVM_ARM64, true, 1, VFIO_CXL_KVM_MAP },
    /* Without them (or before Linux 6.17): refused */
    { "arm64-cap-0", VFIO_CXL_ACCEL_KVM_ARM64, true, 0,
      VFIO_CXL_KVM_REFUSE },
    /* A vfio-user server's file is ordinary memory, whatever the CPU */
    { "arm64-vfio-user", VFIO_CXL_ACCEL_KVM_ARM64, false,
      VFIO_CXL_KVM_CAP_NOT_ASKED, VFIO_CXL_KVM_MAP },
    { "x86", VFIO_CXL_ACCEL_KVM_X86, true, VFIO_CXL_KVM_CAP_NOT_ASKED,
      VFIO_CXL_KVM_MAP_UNCACHED },
    { "x86-vfio-user", VFIO_CXL_ACCEL_KVM_X86, false,
      VFIO_CXL_KVM_CAP_NOT_ASKED, VFIO_CXL_KVM_MAP },
    { "kvm-other", VFIO_CXL_ACCEL_KVM_OTHER, true,
      VFIO_CXL_KVM_CAP_NOT_ASKED, VFIO_CXL_KVM_MAP },
};

static void test_decide(const void *data)
{
    const DecideCase *c = data;
    Error *err = NULL;

    g_assert_cmpint(vfio_cxl_kvm_decide(c->accel, c->pfnmap, c->cap, &err),
                    ==, c->verdict);
    /* Only a refusal sets the error */
    g_assert_true((c->verdict == VFIO_CXL_KVM_REFUSE) == !!err);
    error_free(err);
    /* The capability is asked exactly where the verdict depends on it */
    g_assert_true(vfio_cxl_kvm_needs_cap(c->accel, c->pfnmap) ==
                  (c->cap != VFIO_CXL_KVM_CAP_NOT_ASKED));
}

/* What the arm64 bed and a host operator look for, word for word */
static void test_refusal_text(void)
{
    Error *err = NULL;
    const char *msg;

    vfio_cxl_kvm_decide(VFIO_CXL_ACCEL_KVM_ARM64, true, 0, &err);
    g_assert_nonnull(err);
    msg = error_get_pretty(err);
    g_assert_true(g_str_has_prefix(msg,
                                   "KVM_CAP_ARM_CACHEABLE_PFNMAP_SUPPORTED "
                                   "is 0: "));
    g_assert_nonnull(strstr(msg, "cannot map the device memory cacheable"));
    g_assert_nonnull(strstr(msg, "FEAT_S2FWB"));
    g_assert_nonnull(strstr(msg, "CTR_EL0.DIC"));
    /* The way out */
    g_assert_nonnull(err->hint);
    g_assert_nonnull(strstr(err->hint->str, "With cxl=off the device is "
                            "passed through as plain PCI"));
    g_assert_true(g_str_has_suffix(err->hint->str, ".\n"));
    error_free(err);
}

/* Any nonzero answer is the capability */
static void test_cap_nonzero(void)
{
    g_assert_cmpint(vfio_cxl_kvm_decide(VFIO_CXL_ACCEL_KVM_ARM64, true, 2,
                                        &error_abort), ==, VFIO_CXL_KVM_MAP);
}

static void test_names(void)
{
    g_assert_cmpstr(vfio_cxl_kvm_accel_str(VFIO_CXL_ACCEL_OTHER), ==,
                    "not-kvm");
    g_assert_cmpstr(vfio_cxl_kvm_accel_str(VFIO_CXL_ACCEL_KVM_ARM64), ==,
                    "kvm-arm64");
    g_assert_cmpstr(vfio_cxl_kvm_accel_str(VFIO_CXL_ACCEL_KVM_X86), ==,
                    "kvm-x86");
    g_assert_cmpstr(vfio_cxl_kvm_accel_str(VFIO_CXL_ACCEL_KVM_OTHER), ==,
                    "kvm-other");
    g_assert_cmpstr(vfio_cxl_kvm_verdict_str(VFIO_CXL_KVM_MAP), ==, "map");
    g_assert_cmpstr(vfio_cxl_kvm_verdict_str(VFIO_CXL_KVM_MAP_UNCACHED), ==,
                    "map-uncached");
    g_assert_cmpstr(vfio_cxl_kvm_verdict_str(VFIO_CXL_KVM_REFUSE), ==,
                    "refuse");
}

int main(int argc, char **argv)
{
    size_t i;

    g_test_init(&argc, &argv, NULL);
    for (i = 0; i < ARRAY_SIZE(decide_cases); i++) {
        g_autofree char *path = g_strdup_printf("/vfio-cxl-kvm/decide/%s",
                                                decide_cases[i].name);

        g_test_add_data_func(path, &decide_cases[i], test_decide);
    }
    g_test_add_func("/vfio-cxl-kvm/refusal-text", test_refusal_text);
    g_test_add_func("/vfio-cxl-kvm/cap-nonzero", test_cap_nonzero);
    g_test_add_func("/vfio-cxl-kvm/names", test_names);
    return g_test_run();
}
