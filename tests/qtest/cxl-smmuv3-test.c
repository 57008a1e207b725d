/*
 * QTest testcase: a pxb-cxl hierarchy behind an SMMUv3 on arm virt
 *
 * Copyright (c) 2026 QEMU CXL Type-2 team
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "libqtest.h"
#include "qobject/qdict.h"

#define CXL_VIRT \
    "-machine virt,cxl=on%s " \
    "-M cxl-fmw.0.targets.0=cxl.1,cxl-fmw.0.size=4G " \
    "-cpu max -device pxb-cxl,bus_nr=12,bus=pcie.0,id=cxl.1 " \
    "-device cxl-rp,port=0,bus=cxl.1,id=rp0,chassis=0,slot=2 "

static char *qom_get_str(QTestState *qts, const char *path, const char *prop)
{
    QDict *rsp = qtest_qmp(qts, "{ 'execute': 'qom-get', 'arguments': "
                           "{ 'path': %s, 'property': %s } }", path, prop);
    char *val;

    g_assert(qdict_haskey(rsp, "return"));
    val = g_strdup(qdict_get_str(rsp, "return"));
    qobject_unref(rsp);
    return val;
}

/* The machine-wide SMMU (iommu=smmuv3) covers buses of a pxb-cxl too. */
static void test_machine_smmuv3(void)
{
    g_autofree char *args = g_strdup_printf(CXL_VIRT, ",iommu=smmuv3");
    QTestState *qts = qtest_init(args);
    g_autofree char *iommu = qom_get_str(qts, "/machine", "iommu");

    g_assert_cmpstr(iommu, ==, "smmuv3");
    qtest_quit(qts);
}

/* A user-created arm-smmuv3 may take the pxb-cxl root bus as primary bus. */
static void test_device_smmuv3_on_pxb_cxl(void)
{
    g_autofree char *args = g_strdup_printf(
        CXL_VIRT "-device arm-smmuv3,primary-bus=cxl.1,id=smmu1", "");
    QTestState *qts = qtest_init(args);
    g_autofree char *bus = qom_get_str(qts, "/machine/peripheral/smmu1",
                                       "primary-bus");
    g_autofree char *type = qom_get_str(qts, bus, "type");

    g_assert_true(g_str_has_suffix(bus, "/cxl.1"));
    g_assert_cmpstr(type, ==, "pxb-cxl-bus");
    qtest_quit(qts);
}

/* Anything that is not a root bus is still refused, with a clear error. */
static void test_device_smmuv3_on_root_port(void)
{
    g_autofree char *args = g_strdup_printf(
        CXL_VIRT "-device arm-smmuv3,primary-bus=rp0,id=smmu1", "");
    g_autofree char *cmd = g_strdup_printf("%s -display none -nodefaults %s",
                                           qtest_qemu_binary(NULL), args);
    g_autofree char *out = NULL, *err = NULL;
    g_auto(GStrv) argv = NULL;
    int status;

    g_assert(g_shell_parse_argv(cmd, NULL, &argv, NULL));
    g_assert(g_spawn_sync(NULL, argv, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                          &out, &err, &status, NULL));
    g_assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 1);
    g_assert_nonnull(strstr(err, "SMMU should be attached to a default PCIe "
                            "root complex(pcie.0), a pxb-pcie or a pxb-cxl "
                            "based root complex"));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    if (!qtest_has_machine("virt") || !qtest_has_device("pxb-cxl") ||
        !qtest_has_device("arm-smmuv3")) {
        g_test_skip("virt with pxb-cxl and arm-smmuv3 is not built in");
        return g_test_run();
    }
    qtest_add_func("/cxl/smmuv3/machine-iommu", test_machine_smmuv3);
    qtest_add_func("/cxl/smmuv3/device-on-pxb-cxl",
                   test_device_smmuv3_on_pxb_cxl);
    qtest_add_func("/cxl/smmuv3/device-on-root-port-refused",
                   test_device_smmuv3_on_root_port);
    return g_test_run();
}
