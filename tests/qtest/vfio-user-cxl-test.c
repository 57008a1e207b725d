/*
 * QTest: CXL Type-2 passthrough with vfio-user-pci and the emulated
 * accelerator (contrib/vfio-user-cxl-accel), on arm virt and x86 q35.
 *
 * Everything is checked through guest-physical accesses: the device
 * memory in the CXL Fixed Memory Window against the emulator's memory
 * file, the HDM decoder registers through the component register BAR, and
 * the accelerator registers; plus the startup errors for unsupported
 * topologies and malformed devices, cxl=off, reset and migration.
 *
 * The emulator comes from $CXL_ACCEL_BINARY, or from the build tree; the
 * tests are skipped when it is absent.
 *
 * Copyright (c) 2026 QEMU CXL Type-2 team
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include <sys/ioctl.h>
#include <sys/wait.h>
#include "linux/kvm.h"
#include "libqtest.h"
#include "libqos/fw_cfg.h"
#include "cxl-accel-helper.h"
#include "cxl-kvm-guest.h"
#include "hw/cxl/cxl-hdm-layout.h"
#include "hw/cxl/cxl-dvsec-layout.h"
#include "qobject/qdict.h"
#include "qobject/qjson.h"
#include "qobject/qlist.h"
#include "qobject/qstring.h"
#include "qemu/units.h"
#include "qemu/bswap.h"
#include "standard-headers/linux/pci_regs.h"
#include "hw/i386/intel_iommu.h"
#include "hw/i386/intel_iommu_internal.h"

/* The accelerator's PCI identity and register page: its contract header */
#include "../../contrib/vfio-user-cxl-accel/accel-regs.h"
#define ACCEL_VENDOR_DEVICE (ACCEL_PCI_DEVICE_ID << 16 | ACCEL_PCI_VENDOR_ID)

/* Guest topology: pxb-cxl bus 12, cxl-rp at 12:00.0, device at 13:00.0 */
#define HB_BUS                  12
#define DEV_BUS                 13

/* Device options: on rp0, the guest commits the HDM decoders */
#define GUEST_DECODERS          ",\"bus\":\"rp0\",\"cxl-decoders\":\"guest\""

typedef struct Arch {
    const char *machine;
    uint64_t bar_addr;          /* where the test puts the register BAR */
    uint64_t ram_addr;          /* guest RAM the copy engine may use */
} Arch;

static const Arch arch_arm = { "virt", 0x10000000, 0x40000000 + 16 * MiB };
static const Arch arch_x86 = { "q35", 0xc0000000, 16 * MiB };

static const Arch *arch(void)
{
    return strcmp(qtest_get_arch(), "aarch64") ? &arch_x86 : &arch_arm;
}

/*
 * The standard topology, with @machine_extra and @dev_extra appended. virt
 * gets -cpu max, whatever the accelerator: with TCG its default CPU is
 * cortex-a15, whose 40-bit physical address space has no room for a window
 * above the high PCI MMIO at 1 TiB (see test_window_beyond_pa_space()).
 */
static char *cmdline_hb(CXLAccel *a, const char *machine_extra,
                        const char *dev_extra, bool hb_decoders)
{
    return g_strdup_printf(
        "-M %s,cxl=on%s %s-m 1G -nodefaults "
        "-device pxb-cxl,bus_nr=%d,bus=pcie.0,id=cxl.1,"
        "hdm_for_passthrough=%s "
        "-device cxl-rp,port=0,bus=cxl.1,id=rp0,chassis=0,slot=2 "
        "-device '{\"driver\":\"vfio-user-pci\",\"id\":\"accel0\","
        "\"socket\":{\"path\":\"%s\",\"type\":\"unix\"}%s}'",
        arch()->machine, machine_extra ? machine_extra :
        ",cxl-fmw.0.targets.0=cxl.1,cxl-fmw.0.size=4G",
        arch() == &arch_arm ? "-cpu max " : "", HB_BUS,
        hb_decoders ? "on" : "off", a->sock,
        dev_extra ? dev_extra : ",\"bus\":\"rp0\"");
}

static char *cmdline(CXLAccel *a, const char *machine_extra,
                     const char *dev_extra)
{
    return cmdline_hb(a, machine_extra, dev_extra, true);
}

/* Start the emulator with @accel_args, then QEMU with the standard topology */
static QTestState *vm_start(CXLAccel *a, const char *accel_args,
                            const char *machine_extra, const char *dev_extra)
{
    g_autofree char *args = NULL;

    cxl_accel_start(a, accel_args);
    args = cmdline(a, machine_extra, dev_extra);
    return qtest_init(args);
}

/* Config space of bus:00.0, through ECAM (virt) or 0xcf8/0xcfc (q35). */
static uint64_t ecam(int bus, int off)
{
    return 0x4010000000ULL + ((uint64_t)bus << 20) + off;
}

static uint32_t cfg_readl(QTestState *qts, int bus, int off)
{
    if (arch() == &arch_arm) {
        return qtest_readl(qts, ecam(bus, off));
    }
    qtest_outl(qts, 0xcf8, (1u << 31) | (bus << 16) | off);
    return qtest_inl(qts, 0xcfc);
}

static void cfg_writel(QTestState *qts, int bus, int off, uint32_t val)
{
    if (arch() == &arch_arm) {
        qtest_writel(qts, ecam(bus, off), val);
        return;
    }
    qtest_outl(qts, 0xcf8, (1u << 31) | (bus << 16) | off);
    qtest_outl(qts, 0xcfc, val);
}

/*
 * A dword of bus:00.0's extended config space: through ECAM on virt, and
 * on q35 through the MMCONFIG window that firmware would enable first.
 */
#define Q35_MMCFG_BASE          0xb0000000ULL
#define Q35_MCH_PCIEXBAR        0x60
#define Q35_PCIEXBAR_ENABLE     1

static uint32_t cfg_ext_readl(QTestState *qts, int bus, int off)
{
    if (arch() == &arch_arm) {
        return qtest_readl(qts, ecam(bus, off));
    }
    cfg_writel(qts, 0, Q35_MCH_PCIEXBAR + 4, 0);
    cfg_writel(qts, 0, Q35_MCH_PCIEXBAR, Q35_MMCFG_BASE | Q35_PCIEXBAR_ENABLE);
    return qtest_readl(qts, Q35_MMCFG_BASE + ((uint64_t)bus << 20) + off);
}

/* What firmware would do: bus numbers, bridge window, BAR, enables. */
static uint64_t map_bar(QTestState *qts)
{
    uint64_t bar = arch()->bar_addr;
    uint32_t win = ((bar >> 16) & 0xfff0) |
                   (((bar + 4 * MiB - 1) >> 16) & 0xfff0) << 16;

    cfg_writel(qts, HB_BUS, PCI_PRIMARY_BUS,
               HB_BUS | DEV_BUS << 8 | DEV_BUS << 16);
    cfg_writel(qts, HB_BUS, PCI_MEMORY_BASE, win);
    cfg_writel(qts, HB_BUS, PCI_COMMAND,
               PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    g_assert_cmphex(cfg_readl(qts, DEV_BUS, PCI_VENDOR_ID), ==,
                    ACCEL_VENDOR_DEVICE);
    cfg_writel(qts, DEV_BUS, PCI_BASE_ADDRESS_0 + 4 * ACCEL_REG_BAR, bar);
    cfg_writel(qts, DEV_BUS, PCI_BASE_ADDRESS_0 + 4 * ACCEL_REG_BAR + 4, 0);
    cfg_writel(qts, DEV_BUS, PCI_COMMAND, PCI_COMMAND_MEMORY);
    return bar;
}

/* The address of memory region @name, from the memory tree. */
static uint64_t mtree_addr(QTestState *qts, const char *name)
{
    g_autofree char *mtree = qtest_hmp(qts, "info mtree");
    g_autofree char *pattern = g_strdup_printf(": %s", name);
    char *line = mtree;
    uint64_t base;

    /* The whole name, not a prefix of a longer one. */
    do {
        line = strstr(line + 1, pattern);
    } while (line && line[strlen(pattern)] != '\r' &&
             line[strlen(pattern)] != '\n');

    g_assert_nonnull(line);
    while (line > mtree && line[-1] != '\n') {
        line--;
    }
    g_assert_cmpint(sscanf(line, " %" SCNx64 "-", &base), ==, 1);
    return base;
}

static uint64_t window_base(QTestState *qts)
{
    return mtree_addr(qts, "cxl-fixed-memory-region");
}

/* Offset of the register page: BAR offset 0 unless the block is there. */
static uint64_t regs_page(QTestState *qts, uint64_t bar)
{
    return qtest_readl(qts, bar) == ACCEL_ID_VALUE ? bar : bar + 64 * KiB;
}

/* HDM decoder block of the CXL.cachemem registers at @cm, or 0. */
static uint64_t hdm_find(QTestState *qts, uint64_t cm)
{
    uint32_t hdr = qtest_readl(qts, cm);
    unsigned i;

    g_assert_cmphex(FIELD_EX32(hdr, CXL_CAP_ARRAY_HDR, ID), ==,
                    CXL_CAP_ID_CAPABILITY);
    for (i = 1; i <= FIELD_EX32(hdr, CXL_CAP_ARRAY_HDR, ARRAY_SIZE); i++) {
        uint32_t entry = qtest_readl(qts, cm + 4 * i);

        if (FIELD_EX32(entry, CXL_CAP_HDR, ID) == CXL_CAP_ID_HDM) {
            return cm + FIELD_EX32(entry, CXL_CAP_HDR, PTR);
        }
    }
    return 0;
}

/* Where the component register block is, as the accelerator says. */
static uint64_t block_addr(QTestState *qts, uint64_t bar)
{
    return bar + qtest_readl(qts, regs_page(qts, bar) +
                             ACCEL_REG_BLOCK_OFF_LO);
}

/* Guest view of the device's HDM decoder block, through the BAR. */
static uint64_t hdm_block(QTestState *qts, uint64_t bar)
{
    uint64_t hdm = hdm_find(qts, block_addr(qts, bar) + CXL_CACHEMEM_OFFSET);

    g_assert_cmphex(hdm, !=, 0);
    return hdm;
}

/* The host bridge's HDM decoder block (its CHBCR), or 0 if it has none. */
static uint64_t hb_hdm_block(QTestState *qts)
{
    return hdm_find(qts, mtree_addr(qts, "pxb-cxl-host") + CXL_CACHEMEM_OFFSET);
}

static void check_decoder(QTestState *qts, uint64_t hdm, uint64_t base,
                          uint64_t size);

/* Decoder @n of the block at @hdm. */
static void check_decoder_n(QTestState *qts, uint64_t hdm, unsigned n,
                            uint64_t base, uint64_t size)
{
    check_decoder(qts, hdm + cxl_hdm_dec_reg(n, 0), base, size);
}

static void check_decoder(QTestState *qts, uint64_t hdm, uint64_t base,
                          uint64_t size)
{
    uint32_t ctrl = qtest_readl(qts, hdm + A_CXL_HDM_DEC_CTRL);

    g_assert_cmpuint(FIELD_EX32(ctrl, CXL_HDM_DEC_CTRL, COMMITTED), ==, 1);
    g_assert_cmpuint(FIELD_EX32(ctrl, CXL_HDM_DEC_CTRL, LOCK_ON_COMMIT), ==, 1);
    g_assert_cmphex(qtest_readl(qts, hdm + A_CXL_HDM_DEC_BASE_LO) &
                    CXL_HDM_ADDR_LO_MASK, ==, (uint32_t)base);
    g_assert_cmphex(qtest_readl(qts, hdm + A_CXL_HDM_DEC_BASE_HI), ==,
                    base >> 32);
    g_assert_cmphex(qtest_readl(qts, hdm + A_CXL_HDM_DEC_SIZE_LO) &
                    CXL_HDM_ADDR_LO_MASK, ==, (uint32_t)size);
    g_assert_cmphex(qtest_readl(qts, hdm + A_CXL_HDM_DEC_SIZE_HI), ==,
                    size >> 32);
}

/* QEMU with @args must refuse to start saying @msg; returns its stderr. */
static char *expect_startup_error_accel(const char *accel, const char *args,
                                        const char *msg)
{
    g_autofree char *cmd = NULL;
    g_autofree char *out = NULL;
    char *err_out = NULL;
    g_autoptr(GError) err = NULL;
    g_auto(GStrv) argv = NULL;
    int status;

    /* timeout(1): should QEMU start after all, the test must not hang. */
    cmd = g_strdup_printf("timeout 60 %s -S -display none -accel %s %s",
                          g_getenv("QTEST_QEMU_BINARY"), accel, args);
    g_shell_parse_argv(cmd, NULL, &argv, &err);
    g_assert_no_error(err);
    g_spawn_sync(NULL, argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out,
                 &err_out, &status, &err);
    g_assert_no_error(err);
    g_test_message("stderr: %s", err_out);
    g_assert_false(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    /* Not killed by timeout(1) either: QEMU itself refused to start. */
    g_assert_false(WIFEXITED(status) && WEXITSTATUS(status) == 124);
    g_assert_nonnull(strstr(err_out, msg));
    return err_out;
}

static char *expect_startup_error(const char *args, const char *msg)
{
    return expect_startup_error_accel("qtest", args, msg);
}

static void test_memory_and_registers(const void *data)
{
    const char *accel_args = data;
    uint64_t bar, base, hdm, page, val;
    QTestState *qts;
    CXLAccel a;
    int fd;

    if (!cxl_accel_binary_or_skip()) {
        return;
    }
    qts = vm_start(&a, accel_args, NULL, NULL);

    base = window_base(qts);
    bar = map_bar(qts);

    /* Guest writes in the window land in the emulator's memory file. */
    fd = open(a.mem, O_RDWR);
    g_assert_cmpint(fd, >=, 0);
    qtest_writel(qts, base, 0x600dcafe);
    g_assert_cmpint(pread(fd, &val, 4, 0), ==, 4);
    g_assert_cmphex(le32_to_cpu((uint32_t)val), ==, 0x600dcafe);
    qtest_writeq(qts, base + 0x1000, 0x0123456789abcdefULL);
    qtest_writel(qts, base + 512 * MiB - 4, 0xfeedf00d);
    g_assert_cmpint(pread(fd, &val, 8, 0x1000), ==, 8);
    g_assert_cmphex(le64_to_cpu(val), ==, 0x0123456789abcdefULL);
    g_assert_cmpint(pread(fd, &val, 4, 512 * MiB - 4), ==, 4);
    g_assert_cmphex(le32_to_cpu((uint32_t)val), ==, 0xfeedf00d);
    /* ... and host-side writes to the file are what the guest reads. */
    val = cpu_to_le64(0xa5a5a5a55a5a5a5aULL);
    g_assert_cmpint(pwrite(fd, &val, 8, 0x2000), ==, 8);
    g_assert_cmphex(qtest_readq(qts, base + 0x2000), ==,
                    0xa5a5a5a55a5a5a5aULL);
    close(fd);

    /* The decoder the guest sees: committed and locked at the window. */
    hdm = hdm_block(qts, bar);
    check_decoder(qts, hdm, base, 512 * MiB);
    /* The host bridge decoder agrees, with the root port as only target. */
    check_decoder(qts, hb_hdm_block(qts), base, 512 * MiB);
    g_assert_cmphex(qtest_readl(qts, hb_hdm_block(qts) + 0x24), ==, 0);

    /* Accelerator registers reach the emulator (sparse-mmapped). */
    page = regs_page(qts, bar);
    g_assert_cmphex(qtest_readl(qts, page + ACCEL_REG_ID), ==,
                    ACCEL_ID_VALUE);
    g_assert_cmphex(qtest_readl(qts, page + ACCEL_REG_MEM_SIZE_LO), ==,
                    512 * MiB);
    qtest_writel(qts, page + ACCEL_REG_SCRATCH, 0x5ca1ab1e);
    g_assert_cmphex(qtest_readl(qts, page + ACCEL_REG_SCRATCH), ==,
                    0x5ca1ab1e);

    /* Sub-dword accesses to COMP_REGS through the overlay. */
    g_assert_cmphex(qtest_readw(qts, hdm + A_CXL_HDM_DEC_CTRL), ==,
                    qtest_readl(qts, hdm + A_CXL_HDM_DEC_CTRL) & 0xffff);
    g_assert_cmphex(qtest_readb(qts, hdm + A_CXL_HDM_DEC_BASE_HI), ==,
                    (base >> 32) & 0xff);
    /* An 8-byte access is split into its two dwords. */
    g_assert_cmphex(qtest_readq(qts, hdm + A_CXL_HDM_DEC_BASE_LO) &
                    ~(uint64_t)~CXL_HDM_ADDR_LO_MASK, ==, base);

    qtest_quit(qts);
    cxl_accel_stop(&a);
}

static void check_memory_file(QTestState *qts, CXLAccel *a, uint64_t base)
{
    uint32_t val;
    int fd = open(a->mem, O_RDONLY);

    g_assert_cmpint(fd, >=, 0);
    qtest_writel(qts, base + 0x4000, 0xc0ffee00);
    g_assert_cmpint(pread(fd, &val, 4, 0x4000), ==, 4);
    g_assert_cmphex(le32_to_cpu(val), ==, 0xc0ffee00);
    close(fd);
}

static void check_memory_file_at(QTestState *qts, CXLAccel *a, uint64_t gpa)
{
    uint32_t val;
    int fd = open(a->mem, O_RDONLY);

    g_assert_cmpint(fd, >=, 0);
    qtest_writel(qts, gpa, 0xabcd0123);
    g_assert_cmpint(pread(fd, &val, 4, 0), ==, 4);
    g_assert_cmphex(le32_to_cpu(val), ==, 0xabcd0123);
    close(fd);
}

/* Two devices, @a on rp0 and @b on rp1 of one host bridge and window */
static char *cmdline_two(CXLAccel *a, const char *a_extra, CXLAccel *b,
                         const char *b_extra)
{
    return g_strdup_printf(
        "-M %s,cxl=on,cxl-fmw.0.targets.0=cxl.1,cxl-fmw.0.size=4G "
        "-m 1G -nodefaults "
        "-device pxb-cxl,bus_nr=%d,bus=pcie.0,id=cxl.1 "
        "-device cxl-rp,port=0,bus=cxl.1,id=rp0,chassis=0,slot=2 "
        "-device cxl-rp,port=1,bus=cxl.1,id=rp1,chassis=0,slot=3 "
        "-device '{\"driver\":\"vfio-user-pci\",\"bus\":\"rp0\"%s,"
        "\"socket\":{\"path\":\"%s\",\"type\":\"unix\"}}' "
        "-device '{\"driver\":\"vfio-user-pci\",\"bus\":\"rp1\"%s,"
        "\"socket\":{\"path\":\"%s\",\"type\":\"unix\"}}'",
        arch()->machine, HB_BUS, a_extra, a->sock, b_extra, b->sock);
}

/*
 * Two devices on two root ports of one host bridge share its window: each
 * gets its own 256 MiB aligned range and its own host bridge decoder.
 */
static void test_shared_window(void)
{
    g_autofree char *args = NULL;
    uint64_t base, hb;
    QTestState *qts;
    CXLAccel a, b;

    if (!cxl_accel_binary_or_skip()) {
        return;
    }
    cxl_accel_start(&a, "--mem-size 256M");
    cxl_accel_start(&b, "--mem-size 512M");
    args = cmdline_two(&a, "", &b, "");
    qts = qtest_init(args);
    base = window_base(qts);

    check_memory_file_at(qts, &a, base);
    check_memory_file_at(qts, &b, base + 256 * MiB);

    /* Two root ports: the host bridge has decoders, one per device. */
    hb = hb_hdm_block(qts);
    g_assert_cmphex(hb, !=, 0);
    check_decoder_n(qts, hb, 0, base, 256 * MiB);
    g_assert_cmphex(qtest_readl(qts, hb + 0x24), ==, 0);
    check_decoder_n(qts, hb, 1, base + 256 * MiB, 512 * MiB);
    g_assert_cmphex(qtest_readl(qts, hb + 0x20 + 0x24), ==, 1);

    qtest_quit(qts);
    cxl_accel_stop(&a);
    cxl_accel_stop(&b);
}

/*
 * pxb-cxl hdm_for_passthrough=off with one root port: a host bridge that
 * holds device memory keeps its decoders anyway, and QEMU commits one that
 * matches the device's, across a reset too.
 */
static void test_hb_decoders_kept(void)
{
    g_autofree char *args = NULL;
    uint64_t base, bar;
    QTestState *qts;
    CXLAccel a;

    if (!cxl_accel_binary_or_skip()) {
        return;
    }
    cxl_accel_start(&a, "--mem-size 256M");
    args = cmdline_hb(&a, NULL, NULL, false);
    qts = qtest_init(args);
    base = window_base(qts);
    check_decoder_n(qts, hb_hdm_block(qts), 0, base, 256 * MiB);
    check_memory_file(qts, &a, base);
    bar = map_bar(qts);
    check_decoder(qts, hdm_block(qts, bar), base, 256 * MiB);
    qtest_system_reset(qts);
    check_decoder_n(qts, hb_hdm_block(qts), 0, base, 256 * MiB);
    qtest_quit(qts);
    cxl_accel_stop(&a);
}

/*
 * Start QEMU with the topology only (@qemu_opts before -M, @hb_opts after
 * the pxb-cxl's id), hot-add the accelerator and check that device_add
 * fails saying @msg, leaving nothing of the device in the memory tree.
 */
/*
 * QEMU with the topology only, for hot-adds into rp0: @qemu_opts before -M,
 * @hb_opts after the pxb-cxl's id.
 */
static QTestState *topology_start(const char *qemu_opts, const char *hb_opts)
{
    g_autofree char *args = NULL;

    args = g_strdup_printf("%s -M %s,cxl=on,cxl-fmw.0.targets.0=cxl.1,"
                           "cxl-fmw.0.size=4G -m 1G -nodefaults "
                           "-device pxb-cxl,bus_nr=%d,bus=pcie.0,id=cxl.1%s "
                           "-device cxl-rp,port=0,bus=cxl.1,id=rp0,"
                           "chassis=0,slot=2", qemu_opts, arch()->machine,
                           HB_BUS, hb_opts);
    return qtest_init(args);
}

static void hotadd_refused(const char *qemu_opts, const char *hb_opts,
                           bool hb_decoders, const char *msg)
{
    g_autofree char *mtree = NULL;
    const char *desc;
    QTestState *qts;
    QDict *rsp;
    CXLAccel a;

    if (!cxl_accel_binary_or_skip()) {
        return;
    }
    cxl_accel_start(&a, "--mem-size 256M");
    qts = topology_start(qemu_opts, hb_opts);
    g_assert_cmpint(hb_hdm_block(qts) != 0, ==, hb_decoders);
    rsp = qtest_qmp(qts, "{ 'execute': 'device_add', 'arguments': "
                    "{ 'driver': 'vfio-user-pci', 'id': 'accel0', "
                    "'bus': 'rp0', 'socket': { 'type': 'unix', "
                    "'path': %s } } }", a.sock);
    g_assert_true(qdict_haskey(rsp, "error"));
    desc = qdict_get_str(qdict_get_qdict(rsp, "error"), "desc");
    g_test_message("device_add: %s", desc);
    g_assert_nonnull(strstr(desc, msg));
    qobject_unref(rsp);
    mtree = qtest_hmp(qts, "info mtree");
    g_assert_null(strstr(mtree, "cxl-memory"));
    g_assert_null(strstr(mtree, "vfio-cxl-comp-regs"));
    qtest_quit(qts);
    cxl_accel_stop(&a);
}

/*
 * A host bridge reset without device memory is a pass-through one (no
 * HDM decoders): a device hot-added below it is refused, saying why.
 */
static void test_hotplug_hb_passthrough(void)
{
    hotadd_refused("", "", false, "host bridge 'cxl.1' was reset without "
                   "HDM decoders (one root port, hdm_for_passthrough=off)");
}

#define PCI_VENDOR_ID_CXL       0x1e98

/* Extended capability @id at bus:00.0; a CXL DVSEC if @dvsec_id >= 0 */
static int ext_cap(QTestState *qts, int bus, unsigned id, int dvsec_id)
{
    int off = PCI_CFG_SPACE_SIZE, n = 0;

    while (off && n++ < 64) {
        uint32_t hdr = cfg_ext_readl(qts, bus, off);

        if (PCI_EXT_CAP_ID(hdr) == id &&
            (dvsec_id < 0 ||
             (PCI_DVSEC_HEADER1_VID(cfg_ext_readl(qts, bus, off +
                                                  PCI_DVSEC_HEADER1)) ==
              PCI_VENDOR_ID_CXL &&
              PCI_DVSEC_HEADER2_ID(cfg_ext_readl(qts, bus, off +
                                                 PCI_DVSEC_HEADER2)) ==
              dvsec_id))) {
            return off;
        }
        off = PCI_EXT_CAP_NEXT(hdr);
    }
    return 0;
}

/*
 * What Linux checks before it treats the function as CXL: a Flex Bus Port
 * DVSEC with Mem_Enabled in its Status, and a serial number of its own.
 */
#define CXL_DVSEC_FLEXBUS       7
#define FLEXBUS_STATUS          0x0e
#define FLEXBUS_MEM_ENABLED     (1u << 2)

static void test_flexbus_dsn(void)
{
    QTestState *qts;
    CXLAccel a;
    int fb, dsn;

    if (!cxl_accel_binary_or_skip()) {
        return;
    }
    qts = vm_start(&a, "--mem-size 256M --serial 0x1122334455667788", NULL,
                   NULL);
    map_bar(qts);
    fb = ext_cap(qts, DEV_BUS, PCI_EXT_CAP_ID_DVSEC, CXL_DVSEC_FLEXBUS);
    g_assert_cmpint(fb, !=, 0);
    /* Status is the upper half of the dword at 0x0c. */
    g_assert_cmphex((cfg_ext_readl(qts, DEV_BUS, fb + FLEXBUS_STATUS - 2) >>
                     16) & FLEXBUS_MEM_ENABLED, ==, FLEXBUS_MEM_ENABLED);
    dsn = ext_cap(qts, DEV_BUS, PCI_EXT_CAP_ID_DSN, -1);
    g_assert_cmpint(dsn, !=, 0);
    g_assert_cmphex(cfg_ext_readl(qts, DEV_BUS, dsn + 4), ==, 0x55667788);
    g_assert_cmphex(cfg_ext_readl(qts, DEV_BUS, dsn + 8), ==, 0x11223344);
    qtest_quit(qts);
    cxl_accel_stop(&a);
}

/*
 * cxl-decoders=guest: the guest OS programs the HDM decoders itself, and
 * QEMU maps what a commit it accepts says.
 */
#define CTRL_COMMIT     R_CXL_HDM_DEC_CTRL_COMMIT_MASK
#define CTRL_COMMITTED  R_CXL_HDM_DEC_CTRL_COMMITTED_MASK
#define CTRL_ERR        R_CXL_HDM_DEC_CTRL_ERR_NOT_COMMITTED_MASK
#define CTRL_LOCK       R_CXL_HDM_DEC_CTRL_LOCK_ON_COMMIT_MASK

/* Bytes of device memory in the system's flat view, and in the window */
static uint64_t mapped_bytes(QTestState *qts, uint64_t win, uint64_t win_size)
{
    g_autofree char *mtree = qtest_hmp(qts, "info mtree -f");
    char *line = strstr(mtree, "AS \"memory\"");
    char *end;
    uint64_t total = 0, start, last;

    /* The flat view of the system's address space, up to the next one */
    g_assert_nonnull(line);
    end = strstr(line, "FlatView #");
    if (end) {
        *end = 0;
    }
    for (; line && *line; line = strchr(line + 1, '\n')) {
        char *eol = strchr(line + 1, '\n');
        char *name = strstr(line, " cxl-memory");

        if (!name || (eol && name > eol) ||
            sscanf(line, " %" SCNx64 "-%" SCNx64, &start, &last) != 2) {
            continue;
        }
        /* Never outside the window */
        g_assert_cmphex(start, >=, win);
        g_assert_cmphex(last, <, win + win_size);
        total += last - start + 1;
    }
    return total;
}

static void hdm_enable(QTestState *qts, uint64_t hdm, bool on)
{
    qtest_writel(qts, hdm + A_CXL_HDM_GLOBAL_CTRL,
                 on ? R_CXL_HDM_GLOBAL_CTRL_HDM_DECODER_ENABLE_MASK : 0);
}

/* What an OS does: BASE, SIZE, DPA skip, Control with Commit; poll. */
static uint32_t hdm_commit(QTestState *qts, uint64_t hdm, unsigned n,
                           uint64_t base, uint64_t size, uint64_t skip,
                           uint32_t ctrl)
{
    uint64_t dec = hdm + cxl_hdm_dec_reg(n, 0);

    qtest_writel(qts, dec + A_CXL_HDM_DEC_BASE_LO, base);
    qtest_writel(qts, dec + A_CXL_HDM_DEC_BASE_HI, base >> 32);
    qtest_writel(qts, dec + A_CXL_HDM_DEC_SIZE_LO, size);
    qtest_writel(qts, dec + A_CXL_HDM_DEC_SIZE_HI, size >> 32);
    qtest_writel(qts, dec + A_CXL_HDM_DEC_DPA_SKIP_LO, skip);
    qtest_writel(qts, dec + A_CXL_HDM_DEC_DPA_SKIP_HI, skip >> 32);
    qtest_writel(qts, dec + A_CXL_HDM_DEC_CTRL, ctrl | CTRL_COMMIT);
    return qtest_readl(qts, dec + A_CXL_HDM_DEC_CTRL);
}

static uint32_t hdm_ctrl(QTestState *qts, uint64_t hdm, unsigned n)
{
    return qtest_readl(qts, hdm + cxl_hdm_dec_reg(n, A_CXL_HDM_DEC_CTRL));
}

/* Guest writes @val at @gpa; the emulator's memory has it at @dpa. */
static void check_dpa(QTestState *qts, CXLAccel *a, uint64_t gpa,
                      uint64_t dpa, uint32_t val)
{
    uint32_t got;
    int fd = open(a->mem, O_RDONLY);

    g_assert_cmpint(fd, >=, 0);
    qtest_writel(qts, gpa, val);
    g_assert_cmpint(pread(fd, &got, 4, dpa), ==, 4);
    g_assert_cmphex(le32_to_cpu(got), ==, val);
    g_assert_cmphex(qtest_readl(qts, gpa), ==, val);
    close(fd);
}

static QTestState *vm_start_guest(CXLAccel *a, const char *accel_args,
                                  const char *qemu_extra)
{
    g_autofree char *args = NULL;

    cxl_accel_start(a, accel_args);
    args = cmdline(a, NULL, GUEST_DECODERS);
    return qtest_initf("%s %s", args, qemu_extra ?: "");
}

static void test_reset(void)
{
    uint64_t bar, base, hdm, page;
    uint32_t ctrl;
    QTestState *qts;
    CXLAccel a;

    if (!cxl_accel_binary_or_skip()) {
        return;
    }
    qts = vm_start(&a, "--mem-size 512M", NULL, NULL);
    base = window_base(qts);
    bar = map_bar(qts);
    hdm = hdm_block(qts, bar);
    page = regs_page(qts, bar);

    /*
     * The guest tries to unlock the decoder (the v2 shadow's LOCK->0 path)
     * and move it: Lock On Commit holds it until reset, as on hardware.
     */
    qtest_writeq(qts, base + 0x3000, 0x1122334455667788ULL);
    qtest_writel(qts, page + ACCEL_REG_SCRATCH, 0xdeadbeef);
    ctrl = qtest_readl(qts, hdm + A_CXL_HDM_DEC_CTRL);
    ctrl = FIELD_DP32(ctrl, CXL_HDM_DEC_CTRL, LOCK_ON_COMMIT, 0);
    qtest_writel(qts, hdm + A_CXL_HDM_DEC_CTRL, ctrl);
    ctrl = FIELD_DP32(ctrl, CXL_HDM_DEC_CTRL, COMMIT, 0);
    qtest_writel(qts, hdm + A_CXL_HDM_DEC_CTRL, ctrl);
    qtest_writel(qts, hdm + A_CXL_HDM_DEC_BASE_HI, 0x77);
    check_decoder(qts, hdm, base, 512 * MiB);
    g_assert_cmphex(qtest_readq(qts, base + 0x3000), ==,
                    0x1122334455667788ULL);

    qtest_system_reset(qts);

    /* The device was reset (scratch cleared), the decoder put back. */
    bar = map_bar(qts);
    g_assert_cmphex(qtest_readl(qts, page + ACCEL_REG_SCRATCH), ==, 0);
    check_decoder(qts, hdm, base, 512 * MiB);
    check_decoder(qts, hb_hdm_block(qts), base, 512 * MiB);
    /* Device memory keeps its contents. */
    g_assert_cmphex(qtest_readq(qts, base + 0x3000), ==,
                    0x1122334455667788ULL);

    qtest_quit(qts);
    cxl_accel_stop(&a);
}

/* Seed and count of the nonsense the guest writes; fixed, so reproducible */
#define NONSENSE_SEED   0x43584c32
#define NONSENSE_WRITES 4000

/*
 * A guest writing nonsense of every size all over the component register
 * block (the COMP_REGS overlay and the rest): QEMU survives, the device
 * memory stays where it was mapped, inside the window, and a system reset
 * brings the decoder back.
 */
/*
 * @count seeded writes of every size over the component block at @block,
 * half of them at the decoder registers (@hdm), where it matters most.
 */
static void nonsense_writes(QTestState *qts, uint64_t block, uint64_t hdm,
                            int count)
{
    static const unsigned sizes[] = { 1, 2, 4, 8 };
    g_autoptr(GRand) rand = g_rand_new_with_seed(NONSENSE_SEED);
    int i;

    for (i = 0; i < count; i++) {
        unsigned size = sizes[g_rand_int_range(rand, 0, G_N_ELEMENTS(sizes))];
        uint64_t off = QEMU_ALIGN_DOWN(g_rand_int_range(rand, 0, 64 * KiB),
                                       size);
        uint64_t val = ((uint64_t)g_rand_int(rand) << 32) | g_rand_int(rand);

        if (i % 2) {
            off = hdm - block + QEMU_ALIGN_DOWN(
                g_rand_int_range(rand, 0, CXL_HDM_DECODER_FIRST +
                                          CXL_HDM_DECODER_STRIDE), size);
        }
        switch (size) {
        case 1:
            qtest_writeb(qts, block + off, val);
            break;
        case 2:
            qtest_writew(qts, block + off, val);
            break;
        case 4:
            qtest_writel(qts, block + off, val);
            break;
        default:
            qtest_writeq(qts, block + off, val);
            break;
        }
    }
}

static void test_guest_nonsense(void)
{
    g_autofree char *mtree = NULL;
    uint64_t bar, base, block, hdm, start, end;
    char *line;
    QTestState *qts;
    CXLAccel a;

    if (!cxl_accel_binary_or_skip()) {
        return;
    }
    qts = vm_start(&a, "--mem-size 256M", NULL, NULL);
    base = window_base(qts);
    bar = map_bar(qts);
    block = block_addr(qts, bar);
    hdm = hdm_block(qts, bar);
    qtest_writeq(qts, base + 0x4000, 0x0badc0de0badc0deULL);

    nonsense_writes(qts, block, hdm, NONSENSE_WRITES);

    /* The firmware-locked decoder held against all of it. */
    check_decoder(qts, hdm, base, 256 * MiB);
    /*
     * While HDM Decoder Enable is off the DVSEC range, which firmware set
     * to the same place, decodes instead; an OS turns it on.
     */
    if (!(qtest_readl(qts, hdm + A_CXL_HDM_GLOBAL_CTRL) &
          R_CXL_HDM_GLOBAL_CTRL_HDM_DECODER_ENABLE_MASK)) {
        g_assert_cmpuint(mapped_bytes(qts, base, 4 * GiB), ==, 256 * MiB);
        hdm_enable(qts, hdm, true);
    }
    g_assert_cmpuint(mapped_bytes(qts, base, 4 * GiB), ==, 256 * MiB);

    /* Still running, the memory still at the window base and intact. */
    g_assert_cmphex(qtest_readq(qts, base + 0x4000), ==,
                    0x0badc0de0badc0deULL);
    mtree = qtest_hmp(qts, "info mtree -f");
    line = strstr(mtree, " cxl-memory");
    g_assert_nonnull(line);
    while (line > mtree && line[-1] != '\n') {
        line--;
    }
    g_assert_cmpint(sscanf(line, " %" SCNx64 "-%" SCNx64, &start, &end), ==,
                    2);
    g_assert_cmphex(start, ==, base);
    g_assert_cmphex(end, ==, base + 256 * MiB - 1);

    qtest_system_reset(qts);
    map_bar(qts);
    check_decoder(qts, hdm, base, 256 * MiB);
    g_assert_cmphex(qtest_readq(qts, base + 0x4000), ==,
                    0x0badc0de0badc0deULL);
    qtest_quit(qts);
    cxl_accel_stop(&a);
}

/*
 * Nothing carries the device memory and the decoders to another QEMU:
 * migration is blocked in every mode, CPR too (@data: the mode to set, or
 * NULL for normal migration). CPR keeps the guest's RAM, not the rest.
 */
static void test_migration_blocked(const void *data)
{
    const char *mode = data;
    g_autofree char *uri = NULL;
    QTestState *qts;
    QDict *rsp;
    const char *desc;
    CXLAccel a;

    if (!cxl_accel_binary_or_skip()) {
        return;
    }
    qts = vm_start(&a, "--mem-size 256M", NULL, NULL);
    if (mode) {
        qtest_qmp_assert_success(qts, "{ 'execute': 'migrate-set-parameters',"
                                 " 'arguments': { 'mode': %s } }", mode);
    }
    uri = g_strdup_printf("file:%s/migration", a.dir);
    rsp = qtest_qmp(qts, "{ 'execute': 'migrate', 'arguments': "
                    "{ 'uri': %s } }", uri);
    g_assert_true(qdict_haskey(rsp, "error"));
    desc = qdict_get_str(qdict_get_qdict(rsp, "error"), "desc");
    g_assert_nonnull(strstr(desc, a.sock));
    g_assert_nonnull(strstr(desc, "CXL Type-2 passthrough does not support "
                            "migration"));
    qobject_unref(rsp);
    unlink(uri + strlen("file:"));
    qtest_quit(qts);
    cxl_accel_stop(&a);
}

/* A device that does not report CXL: plain PCI, unless cxl=on insists. */
static void test_not_cxl(void)
{
    g_autofree char *args = NULL;
    g_autofree char *mtree = NULL;
    uint64_t bar;
    QTestState *qts;
    CXLAccel a;

    if (!cxl_accel_binary_or_skip()) {
        return;
    }
    qts = vm_start(&a, "--mem-size 256M --no-firmware-committed", NULL, NULL);
    bar = map_bar(qts);
    g_assert_cmphex(qtest_readl(qts, regs_page(qts, bar) + ACCEL_REG_ID), ==,
                    ACCEL_ID_VALUE);
    mtree = qtest_hmp(qts, "info mtree");
    g_assert_null(strstr(mtree, "cxl-memory"));
    qtest_quit(qts);
    cxl_accel_stop(&a);

    cxl_accel_start(&a, "--mem-size 256M --no-firmware-committed");
    g_free(args);
    args = cmdline(&a, NULL, ",\"bus\":\"rp0\",\"cxl\":\"on\"");
    g_free(expect_startup_error(args, "cxl=on, but the device is not a "
                                "CXL Type-2 device"));
    cxl_accel_stop(&a);
}

/* A realize that fails late (migration blocker refused) leaves nothing. */
static void test_realize_failure_cleanup(void)
{
    hotadd_refused("-only-migratable", ",hdm_for_passthrough=on", true,
                   "does not support migration");
}

/*
 * virt's default CPU with TCG (cortex-a15; with qtest it is max) has 40-bit
 * physical addresses, and the windows go above the high PCI MMIO at 1 TiB:
 * QEMU must refuse to start and say why, not map the window at 0 over
 * flash, MMIO and RAM. With -cpu max (48 bits) the same window goes right
 * above the PCI MMIO.
 */
static void test_window_beyond_pa_space(void)
{
    const char *args = "-M virt,cxl=on,cxl-fmw.0.targets.0=cxl.1,"
        "cxl-fmw.0.size=4G -m 1G -nodefaults "
        "-device pxb-cxl,bus_nr=12,bus=pcie.0,id=cxl.1";
    g_autofree char *err_out = NULL;
    QTestState *qts;

    err_out = expect_startup_error_accel("tcg", args,
                                         "CXL Fixed Memory Window cxl-fmw.0 "
                                         "(4 GiB) does not fit in the "
                                         "physical address space above "
                                         "0x10000000000");
    g_assert_nonnull(strstr(err_out, "limited to 40 bits: use -cpu max"));

    qts = qtest_initf("%s -cpu max", args);
    g_assert_cmphex(window_base(qts), ==, 1 * TiB);
    qtest_quit(qts);
}

static void test_cxl_off(void)
{
    g_autofree char *mtree = NULL;
    uint64_t bar;
    QTestState *qts;
    CXLAccel a;

    if (!cxl_accel_binary_or_skip()) {
        return;
    }
    qts = vm_start(&a, "--mem-size 256M", NULL,
                   ",\"bus\":\"rp0\",\"cxl\":\"off\"");
    /* A plain PCI device: its BAR works, no device memory anywhere. */
    bar = map_bar(qts);
    g_assert_cmphex(qtest_readl(qts, regs_page(qts, bar) + ACCEL_REG_ID), ==,
                    ACCEL_ID_VALUE);
    mtree = qtest_hmp(qts, "info mtree");
    g_assert_null(strstr(mtree, "cxl-memory"));
    g_assert_null(strstr(mtree, "vfio-cxl-comp-regs"));
    qtest_quit(qts);
    cxl_accel_stop(&a);
}

/* Offset of the standard capability @id of bus:00.0, which must exist. */
static int std_cap(QTestState *qts, int bus, uint8_t id)
{
    int pos = cfg_readl(qts, bus, PCI_CAPABILITY_LIST) & 0xfc;

    while (pos) {
        uint32_t hdr = cfg_readl(qts, bus, pos);

        if ((hdr & 0xff) == id) {
            return pos;
        }
        pos = (hdr >> 8) & 0xfc;
    }
    g_assert_not_reached();
}

/* Offset of the PCI Express capability of bus:00.0. */
static int pcie_cap(QTestState *qts, int bus)
{
    return std_cap(qts, bus, PCI_CAP_ID_EXP);
}

/* Unplug device @id: the guest's part is to power the slot off. */
static void unplug(QTestState *qts, const char *id)
{
    int exp = pcie_cap(qts, HB_BUS);

    qtest_qmp_device_del_send(qts, id);
    cfg_writel(qts, HB_BUS, exp + PCI_EXP_SLTCTL,
               (cfg_readl(qts, HB_BUS, exp + PCI_EXP_SLTCTL) & 0xffff) |
               PCI_EXP_SLTCTL_PWR_OFF | PCI_EXP_SLTCTL_PWR_IND_OFF);
    qtest_qmp_eventwait(qts, "DEVICE_DELETED");
}

/*
 * Did the emulator log a DMA_MAP (or DMA_UNMAP) of exactly the device
 * memory at @base? QEMU maps it for the device's own DMA like any RAM.
 */
static bool dma_logged(CXLAccel *a, const char *op, uint64_t base,
                       uint64_t size)
{
    g_autofree char *log = cxl_accel_log(a);
    g_autofree char *line = g_strdup_printf(" %s iova 0x%" PRIx64 " size 0x%"
                                            PRIx64, op, base, size);

    return strstr(log, line) != NULL;
}

static void test_dma_mapped(void)
{
    QTestState *qts;
    CXLAccel a;

    if (!cxl_accel_binary_or_skip()) {
        return;
    }
    qts = vm_start(&a, "--mem-size 512M", NULL, NULL);
    g_assert_true(dma_logged(&a, "DMA_MAP", window_base(qts), 512 * MiB));
    qtest_quit(qts);
    cxl_accel_stop(&a);
}

/* What a driver does before the device may DMA: memory and bus master. */
static void enable_bus_master(QTestState *qts)
{
    cfg_writel(qts, DEV_BUS, PCI_COMMAND,
               PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
}

/* Ring the doorbell (@doorbell: ACCEL_DMA_DOORBELL_*) for a copy. */
static void dma_start_flags(QTestState *qts, uint64_t page, uint64_t src,
                            uint64_t dst, uint32_t len, uint32_t doorbell)
{
    qtest_writel(qts, page + ACCEL_REG_DMA_SRC_LO, src);
    qtest_writel(qts, page + ACCEL_REG_DMA_SRC_HI, src >> 32);
    qtest_writel(qts, page + ACCEL_REG_DMA_DST_LO, dst);
    qtest_writel(qts, page + ACCEL_REG_DMA_DST_HI, dst >> 32);
    qtest_writel(qts, page + ACCEL_REG_DMA_LEN, len);
    qtest_writel(qts, page + ACCEL_REG_DMA_STATUS, 0);
    qtest_writel(qts, page + ACCEL_REG_DMA_DOORBELL, doorbell);
}

/* Ring the doorbell for a copy and return without waiting for it. */
static void dma_start(QTestState *qts, uint64_t page, uint64_t src,
                      uint64_t dst, uint32_t len)
{
    dma_start_flags(qts, page, src, dst, len, ACCEL_DMA_DOORBELL_GO);
}

/* Wait until the copy engine is done; returns DMA_STATUS. */
static uint32_t dma_wait(QTestState *qts, uint64_t page)
{
    gint64 deadline = g_get_monotonic_time() + 30 * G_USEC_PER_SEC;
    uint32_t status;

    /* The device notices the doorbell on its own, and asks QEMU. */
    do {
        g_assert_cmpint(g_get_monotonic_time(), <, deadline);
        g_usleep(1000);
        status = qtest_readl(qts, page + ACCEL_REG_DMA_STATUS);
    } while (!(status & ACCEL_DMA_STATUS_DONE));
    return status;
}

/* Let the accelerator's copy engine copy @len bytes; returns DMA_STATUS. */
static uint32_t dma_copy(QTestState *qts, uint64_t page, uint64_t src,
                         uint64_t dst, uint32_t len)
{
    dma_start(qts, page, src, dst, len);
    return dma_wait(qts, page);
}

static void fill(uint8_t *p, size_t len, uint8_t seed)
{
    size_t i;

    for (i = 0; i < len; i++) {
        p[i] = seed ^ (i * 13) ^ (i >> 8);
    }
}

/*
 * Device DMA: the accelerator's copy engine moves data from guest RAM to
 * its own memory (at its window address, as the guest driver hands it),
 * back, and within its memory, all through what QEMU DMA-mapped. Checked
 * in guest RAM and in the emulator's memory file.
 */
static void test_dma_copy(const void *data)
{
    const char *accel_args = data;
    const size_t len = 200 * KiB;   /* several of the engine's pieces */
    g_autofree uint8_t *pattern = g_malloc(len);
    g_autofree uint8_t *got = g_malloc(len);
    uint64_t base, page, ram = arch()->ram_addr;
    QTestState *qts;
    CXLAccel a;
    int fd;

    if (!cxl_accel_binary_or_skip()) {
        return;
    }
    qts = vm_start(&a, accel_args, NULL, NULL);
    base = window_base(qts);
    page = regs_page(qts, map_bar(qts));
    enable_bus_master(qts);
    fd = open(a.mem, O_RDONLY);
    g_assert_cmpint(fd, >=, 0);

    /* Guest RAM -> device memory */
    fill(pattern, len, 0x5a);
    qtest_memwrite(qts, ram, pattern, len);
    g_assert_cmphex(dma_copy(qts, page, ram, base + 0x100000, len), ==,
                    ACCEL_DMA_STATUS_DONE);
    g_assert_cmpint(pread(fd, got, len, 0x100000), ==, len);
    g_assert_cmpint(memcmp(got, pattern, len), ==, 0);

    /* Device memory -> device memory, both through the window address */
    g_assert_cmphex(dma_copy(qts, page, base + 0x100000, base + 0x800000,
                             len), ==, ACCEL_DMA_STATUS_DONE);
    g_assert_cmpint(pread(fd, got, len, 0x800000), ==, len);
    g_assert_cmpint(memcmp(got, pattern, len), ==, 0);

    /* Device memory -> guest RAM */
    g_assert_cmphex(dma_copy(qts, page, base + 0x800000, ram + 0x400000,
                             len), ==, ACCEL_DMA_STATUS_DONE);
    qtest_memread(qts, ram + 0x400000, got, len);
    g_assert_cmpint(memcmp(got, pattern, len), ==, 0);

    /* Refusals read back as an error code, and touch nothing */
    g_assert_cmphex(dma_copy(qts, page, ram, base, 0), ==,
                    ACCEL_DMA_STATUS_DONE | ACCEL_DMA_STATUS_ERROR);
    g_assert_cmphex(qtest_readl(qts, page + ACCEL_REG_DMA_ERROR), ==,
                    ACCEL_DMA_ERR_LEN_ZERO);
    g_assert_cmphex(dma_copy(qts, page, base + 512 * MiB, ram, 64), ==,
                    ACCEL_DMA_STATUS_DONE | ACCEL_DMA_STATUS_ERROR);
    g_assert_cmphex(qtest_readl(qts, page + ACCEL_REG_DMA_ERROR), ==,
                    ACCEL_DMA_ERR_SRC_UNMAPPED);

    close(fd);
    qtest_quit(qts);
    cxl_accel_stop(&a);
}

/*
 * A copy in flight when the system resets, and one when the device is
 * unplugged: QEMU and the emulator survive, the engine works after the
 * reset, and the emulator, now without a client, still serves the next.
 */
static void test_dma_in_flight(void)
{
    uint64_t base, page, bar, ram = arch()->ram_addr;
    g_autofree char *log = NULL;
    QTestState *qts;
    CXLAccel a;

    if (!cxl_accel_binary_or_skip()) {
        return;
    }
    qts = vm_start(&a, "--mem-size 256M", NULL, NULL);
    base = window_base(qts);
    bar = map_bar(qts);
    page = regs_page(qts, bar);
    enable_bus_master(qts);
    dma_start(qts, page, ram, base, 16 * MiB);
    qtest_system_reset(qts);

    page = regs_page(qts, map_bar(qts));
    enable_bus_master(qts);
    g_assert_cmphex(dma_copy(qts, page, ram, base, 4096), ==,
                    ACCEL_DMA_STATUS_DONE);

    dma_start(qts, page, ram, base, 16 * MiB);
    unplug(qts, "accel0");
    qtest_qmp_assert_success(qts, "{ 'execute': 'query-status' }");
    qtest_quit(qts);

    /* The emulator outlived its client and takes the next one. */
    g_assert_cmpint(kill(a.pid, 0), ==, 0);
    log = cxl_accel_log(&a);
    g_test_message("%s", log);
    /* All three taken; the reset took the first with it, or it finished. */
    g_assert_nonnull(strstr(log, "DMA copy"));
    g_assert_true(strstr(log, ": aborted by a reset") ||
                  strstr(log, "len 0x1000000: done"));
    qts = qtest_init(cmdline(&a, NULL, NULL));
    check_memory_file(qts, &a, window_base(qts));
    qtest_quit(qts);
    cxl_accel_stop(&a);
}

/*
 * Behind intel-iommu on q35: second-level page tables that put guest RAM
 * and the device memory at IOVAs unlike their guest-physical addresses,
 * as a guest's IOMMU driver would. 39-bit address width: three levels,
 * and 2 MiB pages in one page directory.
 */
#define VTD_TABLES              0x3000000ULL    /* root, context, PDPT, PD */
#define VTD_AW_39BIT            1               /* context entry AW */
#define VTD_DOMAIN              1
#define VTD_IOVA_RAM            0x40000000ULL   /* -> guest RAM, 4 MiB */
#define VTD_IOVA_DEV            0x41000000ULL   /* -> device memory, 4 MiB */
#define VTD_PAGE_2M             (2 * MiB)

static void vtd_writeq(QTestState *qts, unsigned reg, uint64_t val)
{
    qtest_writeq(qts, Q35_HOST_BRIDGE_IOMMU_ADDR + reg, val);
}

static uint32_t vtd_readl(QTestState *qts, unsigned reg)
{
    return qtest_readl(qts, Q35_HOST_BRIDGE_IOMMU_ADDR + reg);
}

static void vtd_map_2m(QTestState *qts, uint64_t pd, uint64_t iova,
                       uint64_t gpa, uint64_t size)
{
    uint64_t off;

    for (off = 0; off < size; off += VTD_PAGE_2M) {
        qtest_writeq(qts, pd + 8 * (((iova + off) >> 21) & 511),
                     (gpa + off) | VTD_PT_PAGE_SIZE_MASK | VTD_SL_R | VTD_SL_W);
    }
}

/* Tables for device DEV_BUS:00.0, translation on, caches invalidated. */
static void vtd_enable(QTestState *qts, uint64_t ram, uint64_t dev)
{
    uint64_t root = VTD_TABLES, ctx = root + 4 * KiB;
    uint64_t pdpt = ctx + 4 * KiB, pd = pdpt + 4 * KiB;

    qtest_memset(qts, root, 0, 16 * KiB);
    qtest_writeq(qts, root + 16 * DEV_BUS, ctx | VTD_ROOT_ENTRY_P);
    qtest_writeq(qts, ctx, pdpt | VTD_CONTEXT_TT_MULTI_LEVEL |
                 VTD_CONTEXT_ENTRY_P);
    qtest_writeq(qts, ctx + 8, VTD_AW_39BIT | VTD_DOMAIN << 8);
    qtest_writeq(qts, pdpt + 8 * (VTD_IOVA_RAM >> 30),
                 pd | VTD_SL_R | VTD_SL_W);
    vtd_map_2m(qts, pd, VTD_IOVA_RAM, ram, 4 * MiB);
    vtd_map_2m(qts, pd, VTD_IOVA_DEV, dev, 4 * MiB);

    vtd_writeq(qts, DMAR_RTADDR_REG, root);
    qtest_writel(qts, Q35_HOST_BRIDGE_IOMMU_ADDR + DMAR_GCMD_REG,
                 VTD_GCMD_SRTP);
    g_assert_true(vtd_readl(qts, DMAR_GSTS_REG) & VTD_GSTS_RTPS);
    qtest_writel(qts, Q35_HOST_BRIDGE_IOMMU_ADDR + DMAR_GCMD_REG, VTD_GCMD_TE);
    g_assert_true(vtd_readl(qts, DMAR_GSTS_REG) & VTD_GSTS_TES);
    /* With caching mode, the invalidations are what map for VFIO. */
    vtd_writeq(qts, DMAR_CCMD_REG, VTD_CCMD_ICC | VTD_CCMD_GLOBAL_INVL);
    vtd_writeq(qts, DMAR_IOTLB_REG, VTD_TLB_IVT | VTD_TLB_GLOBAL_FLUSH);
    g_assert_cmphex(vtd_readl(qts, DMAR_FSTS_REG), ==, 0);
}

/*
 * The copies of dma-copy through a vIOMMU: the guest hands the device
 * IOVAs, QEMU DMA-maps what the IOMMU's tables say (the device memory
 * too), and the guest-physical addresses are no longer the device's.
 */
static void test_dma_copy_viommu(void)
{
    const size_t len = 200 * KiB;
    g_autofree uint8_t *pattern = g_malloc(len);
    g_autofree uint8_t *got = g_malloc(len);
    uint64_t base, page, ram = arch()->ram_addr;
    QTestState *qts;
    CXLAccel a;
    int fd;

    if (!cxl_accel_binary_or_skip()) {
        return;
    }
    cxl_accel_start(&a, "--mem-size 256M");
    qts = qtest_initf("%s -device intel-iommu,caching-mode=on,aw-bits=39",
                      cmdline(&a, NULL, NULL));
    base = window_base(qts);
    page = regs_page(qts, map_bar(qts));
    enable_bus_master(qts);
    vtd_enable(qts, ram, base);
    g_assert_true(dma_logged(&a, "DMA_MAP", VTD_IOVA_DEV, VTD_PAGE_2M));
    g_assert_true(dma_logged(&a, "DMA_MAP", VTD_IOVA_RAM, VTD_PAGE_2M));
    fd = open(a.mem, O_RDONLY);
    g_assert_cmpint(fd, >=, 0);

    /* Guest RAM -> device memory, across two IOMMU pages of each */
    fill(pattern, len, 0x3c);
    qtest_memwrite(qts, ram + VTD_PAGE_2M - len / 2, pattern, len);
    g_assert_cmphex(dma_copy(qts, page, VTD_IOVA_RAM + VTD_PAGE_2M - len / 2,
                             VTD_IOVA_DEV + VTD_PAGE_2M - 4 * KiB, len), ==,
                    ACCEL_DMA_STATUS_DONE);
    g_assert_cmpint(pread(fd, got, len, VTD_PAGE_2M - 4 * KiB), ==, len);
    g_assert_cmpint(memcmp(got, pattern, len), ==, 0);

    /* Device memory -> device memory, and back to guest RAM */
    g_assert_cmphex(dma_copy(qts, page, VTD_IOVA_DEV + VTD_PAGE_2M - 4 * KiB,
                             VTD_IOVA_DEV + 0x10000, len), ==,
                    ACCEL_DMA_STATUS_DONE);
    g_assert_cmphex(dma_copy(qts, page, VTD_IOVA_DEV + 0x10000,
                             VTD_IOVA_RAM + 0x300000, len), ==,
                    ACCEL_DMA_STATUS_DONE);
    qtest_memread(qts, ram + 0x300000, got, len);
    g_assert_cmpint(memcmp(got, pattern, len), ==, 0);

    /* Guest-physical addresses are not the device's any more */
    g_assert_cmphex(dma_copy(qts, page, ram, VTD_IOVA_DEV, 64), ==,
                    ACCEL_DMA_STATUS_DONE | ACCEL_DMA_STATUS_ERROR);
    g_assert_cmphex(qtest_readl(qts, page + ACCEL_REG_DMA_ERROR), ==,
                    ACCEL_DMA_ERR_SRC_UNMAPPED);
    g_assert_cmphex(dma_copy(qts, page, VTD_IOVA_RAM, base, 64), ==,
                    ACCEL_DMA_STATUS_DONE | ACCEL_DMA_STATUS_ERROR);
    g_assert_cmphex(qtest_readl(qts, page + ACCEL_REG_DMA_ERROR), ==,
                    ACCEL_DMA_ERR_DST_UNMAPPED);
    /* Past what the IOMMU maps */
    g_assert_cmphex(dma_copy(qts, page, VTD_IOVA_RAM + 4 * MiB - 64,
                             VTD_IOVA_DEV, 128), ==,
                    ACCEL_DMA_STATUS_DONE | ACCEL_DMA_STATUS_ERROR);
    g_assert_cmphex(qtest_readl(qts, page + ACCEL_REG_DMA_ERROR), ==,
                    ACCEL_DMA_ERR_SRC_CROSSES);

    close(fd);
    qtest_quit(qts);
    cxl_accel_stop(&a);
}

/*
 * QEMU 10.2's SMMUv3 cannot have a VFIO device behind it (no MAP
 * notifiers): the realize error says so, rather than DMA going astray.
 */
static void test_viommu_smmuv3_refused(void)
{
    g_autofree char *args = NULL;
    CXLAccel a;

    if (!cxl_accel_binary_or_skip()) {
        return;
    }
    cxl_accel_start(&a, "--mem-size 256M");
    args = cmdline(&a, ",iommu=smmuv3,cxl-fmw.0.targets.0=cxl.1,"
                   "cxl-fmw.0.size=4G", NULL);
    g_free(expect_startup_error(args, "MAP notifier"));
    cxl_accel_stop(&a);
}

/*
 * Regression (found by tests/fuzz/cxl-guest-fuzz.py --arch x86_64 --seed 5
 * under UBSan): a device below a pxb-cxl changing an INTx level -- a guest
 * toggling INTx Disable is enough -- had the pxb map its pin to a negative
 * one, which q35's ICH9 LPC used as an array index. Every route is
 * traced; none may be negative.
 */
static void test_intx_route_in_range(void)
{
    g_autofree char *trace = NULL;
    g_autofree char *log = NULL;
    g_autofree char *args = NULL;
    QTestState *qts;
    CXLAccel a;

    if (!cxl_accel_binary_or_skip()) {
        return;
    }
    cxl_accel_start(&a, "--mem-size 256M");
    trace = g_strdup_printf("%s/trace.log", a.dir);
    args = cmdline(&a, NULL, NULL);
    qts = qtest_initf("%s -trace pci_route_irq,file=%s", args, trace);
    map_bar(qts);
    cfg_writel(qts, DEV_BUS, PCI_COMMAND,
               PCI_COMMAND_MEMORY | PCI_COMMAND_INTX_DISABLE);
    cfg_writel(qts, DEV_BUS, PCI_COMMAND, PCI_COMMAND_MEMORY);
    qtest_quit(qts);

    g_assert_true(g_file_get_contents(trace, &log, NULL, NULL));
    unlink(trace);
    g_assert_nonnull(strstr(log, "pci_route_irq"));
    g_assert_null(strstr(log, "-> IRQ -"));
    cxl_accel_stop(&a);
}

/*
 * Regression (found by tests/fuzz/cxl-guest-fuzz.py --arch aarch64
 * --seed 1): 'info mtree -f' leaked a reference to every FlatView that
 * several address spaces share, which kept the device's memory regions
 * and so the device alive after an unplug: DEVICE_DELETED never came.
 */
static void test_unplug_after_flatview_dump(void)
{
    g_autofree char *mtree = NULL;
    QTestState *qts;
    CXLAccel a;

    if (!cxl_accel_binary_or_skip()) {
        return;
    }
    qts = vm_start(&a, "--mem-size 256M", NULL, NULL);
    mtree = qtest_hmp(qts, "info mtree -f");
    g_assert_nonnull(strstr(mtree, " cxl-memory"));
    unplug(qts, "accel0");      /* waits for DEVICE_DELETED */
    qtest_quit(qts);
    cxl_accel_stop(&a);
}

/* What firmware does before a hot-add: power the root port's slot on */
static void slot_power_on(QTestState *qts)
{
    int exp = pcie_cap(qts, HB_BUS);

    cfg_writel(qts, HB_BUS, exp + PCI_EXP_SLTCTL,
               (cfg_readl(qts, HB_BUS, exp + PCI_EXP_SLTCTL) & 0xffff &
                ~(PCI_EXP_SLTCTL_PCC | PCI_EXP_SLTCTL_PIC)) |
               PCI_EXP_SLTCTL_PWR_ON | PCI_EXP_SLTCTL_PWR_IND_ON);
}

static void test_hotplug(void)
{
    g_autofree char *mtree = NULL;
    uint64_t base, bar;
    QTestState *qts;
    CXLAccel a, b;

    if (!cxl_accel_binary_or_skip()) {
        return;
    }
    qts = vm_start(&a, "--mem-size 256M", NULL, NULL);
    base = window_base(qts);
    check_memory_file(qts, &a, base);

    unplug(qts, "accel0");
    g_assert_true(dma_logged(&a, "DMA_UNMAP", base, 256 * MiB));
    mtree = qtest_hmp(qts, "info mtree");
    g_assert_null(strstr(mtree, "cxl-memory"));
    g_assert_null(strstr(mtree, "vfio-cxl-comp-regs"));
    g_clear_pointer(&mtree, g_free);
    cxl_accel_stop(&a);

    /* Hot-add a device: placed in the window right away. */
    slot_power_on(qts);
    cxl_accel_start(&b, "--mem-size 512M");
    qtest_qmp_assert_success(qts, "{ 'execute': 'device_add', 'arguments': "
                             "{ 'driver': 'vfio-user-pci', 'id': 'accel1', "
                             "'bus': 'rp0', 'socket': { 'type': 'unix', "
                             "'path': %s } } }", b.sock);
    mtree = qtest_hmp(qts, "info mtree");
    g_assert_nonnull(strstr(mtree, "cxl-memory"));
    g_assert_true(dma_logged(&b, "DMA_MAP", base, 512 * MiB));
    check_memory_file(qts, &b, base);
    bar = map_bar(qts);
    check_decoder(qts, hdm_block(qts, bar), base, 512 * MiB);

    qtest_quit(qts);
    cxl_accel_stop(&b);
}

/* The last request the emulator read, once QEMU has left; a copy */
static char *last_request(CXLAccel *a)
{
    g_autofree char *log = NULL;
    char *line;
    int i;

    /* The emulator logs each request as it reads it, until QEMU left */
    for (i = 0; i < 1000; i++) {
        g_free(log);
        log = cxl_accel_log(a);
        if (strstr(log, "client gone")) {
            break;
        }
        g_usleep(10 * 1000);
    }
    line = g_strrstr(log, "vfio-user-cxl-accel: #");
    g_assert_nonnull(line);
    *strchrnul(line, '\n') = 0;
    g_test_message("last request: %s", line);
    return g_strdup(line);
}

typedef struct HotplugFaultCase {
    const char *fault;
    const char *msg;
    const char *last;   /* if set: nothing was sent after this request */
} HotplugFaultCase;

static const HotplugFaultCase hotplug_fault_cases[] = {
    /*
     * Realize failed once the device had a DMA container but before it
     * joined it: the container's listener outlived the connection, and
     * the next hot-add's first memory transaction used the freed
     * connection (a use-after-free, or an assertion on its destroyed
     * lock). Found by tests/fuzz/cxl-backend-fuzz.py --seed 8, realize 9.
     */
    { "info-fails", "VFIO_USER_DEVICE_GET_INFO failed: Input/output error" },
    /*
     * The same run: the rest of an oversized reply was parsed as the next
     * header, and the requests after it (the teardown's DMA unmaps) were
     * still sent, each waiting 5 s for a reply.
     */
    { "reply-oversized", "failed to get config info: Invalid argument",
      "DEVICE_GET_REGION_INFO index 7 argsz 32 reply 96 bytes" },
};

/* A hot-add that fails on a backend fault; then one that works. */
static void test_hotplug_after_fault(const void *data)
{
    const HotplugFaultCase *c = data;
    g_autofree char *accel_args = NULL;
    uint64_t base;
    QTestState *qts;
    CXLAccel bad, good;
    QDict *rsp;

    if (!cxl_accel_binary_or_skip()) {
        return;
    }
    qts = topology_start("", ",hdm_for_passthrough=on");
    slot_power_on(qts);

    accel_args = g_strdup_printf("--mem-size 256M --fault %s", c->fault);
    cxl_accel_start(&bad, accel_args);
    rsp = qtest_qmp(qts, "{ 'execute': 'device_add', 'arguments': "
                    "{ 'driver': 'vfio-user-pci', 'id': 'accel0', "
                    "'bus': 'rp0', 'socket': { 'type': 'unix', "
                    "'path': %s } } }", bad.sock);
    g_assert_true(qdict_haskey(rsp, "error"));
    g_assert_nonnull(strstr(qdict_get_str(qdict_get_qdict(rsp, "error"),
                                          "desc"), c->msg));
    qobject_unref(rsp);
    if (c->last) {
        g_autofree char *line = last_request(&bad);

        g_assert_nonnull(strstr(line, c->last));
    }
    cxl_accel_stop(&bad);

    cxl_accel_start(&good, "--mem-size 256M");
    qtest_qmp_assert_success(qts, "{ 'execute': 'device_add', 'arguments': "
                             "{ 'driver': 'vfio-user-pci', 'id': 'accel1', "
                             "'bus': 'rp0', 'socket': { 'type': 'unix', "
                             "'path': %s } } }", good.sock);
    base = window_base(qts);
    g_assert_true(dma_logged(&good, "DMA_MAP", base, 256 * MiB));
    check_memory_file(qts, &good, base);
    qtest_quit(qts);
    cxl_accel_stop(&good);
}

/*
 * Two decoders that the host firmware committed: QEMU places them one
 * after the other in DPA order, commits and locks both, and programs a
 * host bridge decoder for each; each part is the device memory it says.
 */
static void test_firmware_two_decoders(void)
{
    uint64_t base, hdm;
    QTestState *qts;
    CXLAccel a;

    if (!cxl_accel_binary_or_skip()) {
        return;
    }
    qts = vm_start(&a, "--mem-size 512M --decoders 2 --committed-decoders 2",
                   NULL, NULL);
    base = window_base(qts);
    hdm = hdm_block(qts, map_bar(qts));
    check_decoder_n(qts, hdm, 0, base, 256 * MiB);
    check_decoder_n(qts, hdm, 1, base + 256 * MiB, 256 * MiB);
    /* A host bridge decoder of exactly each one's range, as Linux wants */
    check_decoder_n(qts, hb_hdm_block(qts), 0, base, 256 * MiB);
    check_decoder_n(qts, hb_hdm_block(qts), 1, base + 256 * MiB, 256 * MiB);
    g_assert_cmpuint(mapped_bytes(qts, base, 4 * GiB), ==, 512 * MiB);
    check_dpa(qts, &a, base + 0x2000, 0x2000, 0xf1f10000);
    check_dpa(qts, &a, base + 256 * MiB + 0x2000, 256 * MiB + 0x2000,
              0xf1f10001);

    /* Both back after a reset, the memory as it was */
    qtest_system_reset(qts);
    map_bar(qts);
    check_decoder_n(qts, hdm, 1, base + 256 * MiB, 256 * MiB);
    g_assert_cmphex(qtest_readl(qts, base + 256 * MiB + 0x2000), ==,
                    0xf1f10001);
    qtest_quit(qts);
    cxl_accel_stop(&a);
}

static void test_guest_decoders(void)
{
    uint64_t win, hdm, bar;
    QTestState *qts;
    CXLAccel a;

    if (!cxl_accel_binary_or_skip()) {
        return;
    }
    qts = vm_start_guest(&a, "--mem-size 512M --decoders 2", NULL);
    win = window_base(qts);
    bar = map_bar(qts);
    hdm = hdm_block(qts, bar);

    /* Nothing committed, nothing mapped */
    g_assert_cmphex(hdm_ctrl(qts, hdm, 0), ==, 0);
    g_assert_cmphex(qtest_readl(qts, hdm + A_CXL_HDM_DEC_BASE_HI), ==, 0);
    g_assert_cmphex(qtest_readl(qts, hdm + A_CXL_HDM_GLOBAL_CTRL), ==, 0);
    g_assert_cmpuint(mapped_bytes(qts, win, 4 * GiB), ==, 0);

    /* Decoder 0 where the guest wants it: DPA 0 there */
    hdm_enable(qts, hdm, true);
    g_assert_cmphex(hdm_commit(qts, hdm, 0, win + GiB, 256 * MiB, 0, 0), ==,
                    CTRL_COMMIT | CTRL_COMMITTED);
    g_assert_cmpuint(mapped_bytes(qts, win, 4 * GiB), ==, 256 * MiB);
    check_dpa(qts, &a, win + GiB + 0x1000, 0x1000, 0x600d0001);

    /* Decoder 1 takes the next 256 MiB, higher up */
    g_assert_cmphex(hdm_commit(qts, hdm, 1, win + 3 * GiB, 256 * MiB, 0, 0),
                    ==, CTRL_COMMIT | CTRL_COMMITTED);
    g_assert_cmpuint(mapped_bytes(qts, win, 4 * GiB), ==, 512 * MiB);
    check_dpa(qts, &a, win + 3 * GiB + 8, 256 * MiB + 8, 0x600d0002);

    /* Uncommit decoder 1: unmapped; its range then reads 0 */
    qtest_writel(qts, hdm + cxl_hdm_dec_reg(1, A_CXL_HDM_DEC_CTRL), 0);
    g_assert_cmphex(hdm_ctrl(qts, hdm, 1), ==, 0);
    g_assert_cmpuint(mapped_bytes(qts, win, 4 * GiB), ==, 256 * MiB);

    /* HDM Decoder Enable off: nothing decodes; on again: back */
    hdm_enable(qts, hdm, false);
    g_assert_cmpuint(mapped_bytes(qts, win, 4 * GiB), ==, 0);
    hdm_enable(qts, hdm, true);
    g_assert_cmphex(qtest_readl(qts, win + GiB + 0x1000), ==, 0x600d0001);

    /* Recommit decoder 0 locked: clearing Commit is then ignored */
    qtest_writel(qts, hdm + cxl_hdm_dec_reg(0, A_CXL_HDM_DEC_CTRL), 0);
    g_assert_cmpuint(mapped_bytes(qts, win, 4 * GiB), ==, 0);
    g_assert_cmphex(hdm_commit(qts, hdm, 0, win, 512 * MiB, 0, CTRL_LOCK), ==,
                    CTRL_LOCK | CTRL_COMMIT | CTRL_COMMITTED);
    qtest_writel(qts, hdm + cxl_hdm_dec_reg(0, A_CXL_HDM_DEC_CTRL), 0);
    g_assert_cmphex(hdm_ctrl(qts, hdm, 0), ==,
                    CTRL_LOCK | CTRL_COMMIT | CTRL_COMMITTED);
    check_dpa(qts, &a, win + 256 * MiB + 8, 256 * MiB + 8, 0x600d0003);

    /* A reset unmaps everything and clears the registers */
    qtest_system_reset(qts);
    map_bar(qts);
    g_assert_cmphex(hdm_ctrl(qts, hdm, 0), ==, 0);
    g_assert_cmphex(qtest_readl(qts, hdm + A_CXL_HDM_GLOBAL_CTRL), ==, 0);
    g_assert_cmphex(qtest_readl(qts, hdm + A_CXL_HDM_DEC_SIZE_LO), ==, 0);
    g_assert_cmpuint(mapped_bytes(qts, win, 4 * GiB), ==, 0);
    /* The memory kept what was written */
    hdm_enable(qts, hdm, true);
    g_assert_cmphex(hdm_commit(qts, hdm, 0, win, 512 * MiB, 0, 0), ==,
                    CTRL_COMMIT | CTRL_COMMITTED);
    g_assert_cmphex(qtest_readl(qts, win + 0x1000), ==, 0x600d0001);

    qtest_quit(qts);
    cxl_accel_stop(&a);
}

/*
 * The server goes away under a running VM, which then changes its memory
 * map: the DMA map of new RAM for a server that is gone failed, and a
 * failed map at runtime is a hw_error() that took the VM down (found by
 * tests/fuzz/cxl-backend-fuzz.py --seed 8: a disconnect after realize).
 * q35 only: virt hot-plugs memory only with firmware (its ACPI GED).
 */
static void test_server_gone(void)
{
    QTestState *qts;
    CXLAccel a;

    if (!cxl_accel_binary_or_skip()) {
        return;
    }
    qts = vm_start(&a, "--mem-size 256M", ",cxl-fmw.0.targets.0=cxl.1,"
                   "cxl-fmw.0.size=4G -m 1G,slots=2,maxmem=4G", NULL);
    map_bar(qts);
    cxl_accel_stop(&a);

    qtest_qmp_assert_success(qts, "{ 'execute': 'object-add', 'arguments': "
                             "{ 'qom-type': 'memory-backend-ram', "
                             "'id': 'mem1', 'size': %" PRIu64 " } }",
                             (uint64_t)256 * MiB);
    qtest_qmp_assert_success(qts, "{ 'execute': 'device_add', 'arguments': "
                             "{ 'driver': 'pc-dimm', 'id': 'dimm1', "
                             "'memdev': 'mem1' } }");
    qtest_system_reset(qts);
    qtest_quit(qts);
}

/* A Function Level Reset, as a guest driver starts it. */
static void flr(QTestState *qts)
{
    int exp = pcie_cap(qts, DEV_BUS);
    uint32_t devctl = cfg_readl(qts, DEV_BUS, exp + PCI_EXP_DEVCTL) & 0xffff;

    cfg_writel(qts, DEV_BUS, exp + PCI_EXP_DEVCTL,
               devctl | PCI_EXP_DEVCTL_BCR_FLR);
}

/*
 * A Cache_Capable accelerator, and guest RAM on a shared memfd, which the
 * device reaches without QEMU's help, as a real device reaches host memory
 * over CXL.cache.
 */
static QTestState *cache_vm_start(CXLAccel *a)
{
    g_autofree char *args = NULL;

    cxl_accel_start(a, "--mem-size 256M --cache-capable");
    args = cmdline(a, NULL, NULL);
    return qtest_initf("%s -object memory-backend-memfd,id=ram,size=1G,"
                       "share=on -machine memory-backend=ram", args);
}

/*
 * The copy engine's cached copy of @len bytes from @src to @dst, done: the
 * lines stay in the device's cache. Returns the register page's address.
 */
static uint64_t cached_copy(QTestState *qts, uint64_t src, uint64_t dst,
                            uint32_t len)
{
    uint64_t page = regs_page(qts, map_bar(qts));

    enable_bus_master(qts);
    dma_start_flags(qts, page, src, dst, len,
                    ACCEL_DMA_DOORBELL_GO | ACCEL_DMA_DOORBELL_CACHED);
    g_assert_cmphex(dma_wait(qts, page), ==, ACCEL_DMA_STATUS_DONE);
    return page;
}

/*
 * A Cache_Capable device's write-back cache: the engine's cached copy of
 * device memory into guest RAM stays in the device. A reset QEMU starts
 * (system reset, unplug) first has the device write it back; a reset the
 * guest starts itself (FLR) does not, and the data is lost.
 */
static void test_cache_write_back(void)
{
    const uint32_t len = 8 * KiB;
    g_autofree uint8_t *pattern = g_malloc(len);
    g_autofree uint8_t *got = g_malloc(len);
    g_autofree char *log = NULL;
    uint64_t base, ram = arch()->ram_addr;
    QTestState *qts;
    CXLAccel a;

    if (!cxl_accel_binary_or_skip()) {
        return;
    }
    qts = cache_vm_start(&a);
    base = window_base(qts);
    fill(pattern, len, 0x77);
    qtest_memwrite(qts, base + 0x10000, pattern, len);

    /* Cached: guest RAM does not have it yet */
    qtest_memset(qts, ram, 0, len);
    cached_copy(qts, base + 0x10000, ram, len);
    qtest_memread(qts, ram, got, len);
    g_assert_cmpint(memcmp(got, pattern, len), !=, 0);

    /* A system reset: QEMU has it written back first */
    qtest_system_reset(qts);
    qtest_memread(qts, ram, got, len);
    g_assert_cmpint(memcmp(got, pattern, len), ==, 0);

    /* A guest FLR without a write-back before: lost */
    qtest_memset(qts, ram, 0, len);
    cached_copy(qts, base + 0x10000, ram, len);
    flr(qts);
    qtest_system_reset(qts);
    qtest_memread(qts, ram, got, len);
    g_assert_cmpint(memcmp(got, pattern, len), !=, 0);

    /* Unplug: written back before the device goes */
    cached_copy(qts, base + 0x10000, ram + len, len);
    unplug(qts, "accel0");
    qtest_memread(qts, ram + len, got, len);
    g_assert_cmpint(memcmp(got, pattern, len), ==, 0);
    qtest_quit(qts);

    log = cxl_accel_log(&a);
    g_assert_nonnull(strstr(log, "cache write-back of 0x2000 bytes in 1 "
                            "lines: done"));
    cxl_accel_stop(&a);
}

/*
 * A second passed-through device on the host bridge of one with
 * cxl-decoders=guest (either one in guest mode): refused at startup,
 * naming the other device.
 */
static void test_guest_decoders_shared(const void *data)
{
    const char *modes = data;   /* "guest,firmware" etc: rp0's, rp1's */
    g_autofree char *args = NULL;
    g_autofree char *m0 = NULL;
    g_autofree char *m1 = NULL;
    g_auto(GStrv) m = g_strsplit(modes, ",", 2);
    CXLAccel a, b;

    if (!cxl_accel_binary_or_skip()) {
        return;
    }
    cxl_accel_start(&a, "--mem-size 256M");
    cxl_accel_start(&b, "--mem-size 256M");
    m0 = g_strdup_printf(",\"id\":\"a0\",\"cxl-decoders\":\"%s\"", m[0]);
    m1 = g_strdup_printf(",\"id\":\"a1\",\"cxl-decoders\":\"%s\"", m[1]);
    args = cmdline_two(&a, m0, &b, m1);
    g_free(expect_startup_error(args, "already carry the memory of device "
                                "'a0'"));
    cxl_accel_stop(&a);
    cxl_accel_stop(&b);
}

typedef struct RefusalCase {
    const char *name;
    unsigned n;                 /* decoder 0 is committed first if n > 0 */
    uint64_t base;              /* from the window base */
    uint64_t size, skip;
    uint32_t ctrl;
    const char *why;            /* in the guest-error log line */
} RefusalCase;

static const RefusalCase refusal_cases[] = {
    { "out-of-order", 2, 2 * GiB, 256 * MiB, 0, 0,
      "a lower-numbered decoder is not committed" },
    { "size-zero", 0, 0, 0, 0, 0, "size is 0" },
    { "interleaved", 0, 0, 256 * MiB, 0, 1 << R_CXL_HDM_DEC_CTRL_IW_SHIFT,
      "interleave ways is not 1" },
    { "outside-window", 0, 4 * GiB, 256 * MiB, 0, 0,
      "range is not inside the device's window" },
    { "too-big", 0, 0, GiB, 0, 0, "not enough device memory left" },
    { "dpa-skip-past-end", 1, 2 * GiB, 256 * MiB, 256 * MiB, 0,
      "not enough device memory left" },
    { "overlap", 1, 128 * MiB * 2, 256 * MiB, 0, 0,
      "range overlaps another committed decoder" },
    { "below-lower-decoder", 1, 0, 256 * MiB, 0, 0,
      "range is not above the lower-numbered decoder's" },
};

/* Each refusal by its rule: Error Not Committed, nothing more mapped. */
static void test_guest_refusal(const void *data)
{
    const RefusalCase *c = data;
    g_autofree char *log_path = NULL;
    g_autofree char *log = NULL;
    g_autofree char *extra = NULL;
    uint64_t win, hdm, mapped = 0;
    QTestState *qts;
    CXLAccel a;

    if (!cxl_accel_binary_or_skip()) {
        return;
    }
    log_path = g_strdup_printf("%s/qemu.log", g_get_tmp_dir());
    extra = g_strdup_printf("-d guest_errors -D %s.%d", log_path, getpid());
    qts = vm_start_guest(&a, "--mem-size 512M --decoders 4", extra);
    win = window_base(qts);
    hdm = hdm_block(qts, map_bar(qts));
    hdm_enable(qts, hdm, true);
    if (c->n) {
        g_assert_cmphex(hdm_commit(qts, hdm, 0, win + 256 * MiB, 256 * MiB, 0,
                                   0), ==, CTRL_COMMIT | CTRL_COMMITTED);
        mapped = 256 * MiB;
    }
    g_assert_cmphex(hdm_commit(qts, hdm, c->n, win + c->base, c->size,
                               c->skip, c->ctrl) &
                    (CTRL_COMMITTED | CTRL_ERR), ==, CTRL_ERR);
    g_assert_cmpuint(mapped_bytes(qts, win, 4 * GiB), ==, mapped);
    qtest_quit(qts);

    g_free(log_path);
    log_path = g_strdup_printf("%s/qemu.log.%d", g_get_tmp_dir(), getpid());
    g_assert_true(g_file_get_contents(log_path, &log, NULL, NULL));
    unlink(log_path);
    g_test_message("%s", log);
    g_assert_nonnull(strstr(log, "refused: "));
    g_assert_nonnull(strstr(log, c->why));
    cxl_accel_stop(&a);
}

/*
 * The nonsense of guest-nonsense, with decoders the guest may commit:
 * whatever it managed to commit, device memory is mapped only inside the
 * window, never more of it than the decoders say, and a reset unmaps it.
 */
static void test_guest_nonsense_guest_mode(void)
{
    static const unsigned sizes[] = { 1, 2, 4, 8 };
    g_autoptr(GRand) rand = g_rand_new_with_seed(NONSENSE_SEED);
    uint64_t win, hdm, committed = 0;
    QTestState *qts;
    CXLAccel a;
    unsigned i, n;

    if (!cxl_accel_binary_or_skip()) {
        return;
    }
    qts = vm_start_guest(&a, "--mem-size 512M --decoders 2", NULL);
    win = window_base(qts);
    hdm = hdm_block(qts, map_bar(qts));
    for (i = 0; i < NONSENSE_WRITES; i++) {
        unsigned size = sizes[g_rand_int_range(rand, 0, G_N_ELEMENTS(sizes))];
        uint64_t off = QEMU_ALIGN_DOWN(g_rand_int_range(rand, 0, 0x60), size);
        uint64_t val = ((uint64_t)g_rand_int(rand) << 32) | g_rand_int(rand);

        /* Plausible bases and sizes now and then, so that commits happen */
        if (i % 3 == 0) {
            n = g_rand_int_range(rand, 0, 2);
            hdm_enable(qts, hdm, true);
            hdm_commit(qts, hdm, n, win + g_rand_int_range(rand, 0, 16) *
                       256 * MiB, g_rand_int_range(rand, 0, 3) * 256 * MiB,
                       0, g_rand_int(rand) & CTRL_LOCK);
            continue;
        }
        qtest_memwrite(qts, hdm + off, &val, size);
    }
    for (n = 0; n < 2; n++) {
        if (hdm_ctrl(qts, hdm, n) & CTRL_COMMITTED) {
            committed += qtest_readl(qts, hdm + cxl_hdm_dec_reg(n,
                                     A_CXL_HDM_DEC_SIZE_LO)) &
                         CXL_HDM_ADDR_LO_MASK;
        }
    }
    g_test_message("committed after the nonsense: 0x%" PRIx64, committed);
    g_assert_cmpuint(committed, <=, 512 * MiB);
    if (qtest_readl(qts, hdm + A_CXL_HDM_GLOBAL_CTRL) &
        R_CXL_HDM_GLOBAL_CTRL_HDM_DECODER_ENABLE_MASK) {
        g_assert_cmpuint(mapped_bytes(qts, win, 4 * GiB), ==, committed);
    } else {
        g_assert_cmpuint(mapped_bytes(qts, win, 4 * GiB), ==, 0);
    }
    qtest_system_reset(qts);
    g_assert_cmpuint(mapped_bytes(qts, win, 4 * GiB), ==, 0);
    qtest_quit(qts);
    cxl_accel_stop(&a);
}

typedef struct TopologyCase {
    const char *name;
    const char *machine;        /* machine options after cxl=on */
    const char *extra;          /* extra devices, before the device */
    const char *dev;            /* device options */
    const char *mem_size;
    const char *msg;
    const char *after;          /* extra devices, after the device */
} TopologyCase;

static const TopologyCase topology_cases[] = {
    {
        "not-under-root-port", NULL, "", ",\"bus\":\"pcie.0\"", "256M",
        "the device must sit directly below a CXL root port (cxl-rp), but it "
        "is on bus 'pcie.0'",
    }, {
        "no-window", ",cxl-fmw.0.targets.0=cxl.2,cxl-fmw.0.size=4G",
        "-device pxb-cxl,bus_nr=20,bus=pcie.0,id=cxl.2 ", NULL, "256M",
        "no CXL Fixed Memory Window targets host bridge 'cxl.1'",
    }, {
        "window-too-small", ",cxl-fmw.0.targets.0=cxl.1,cxl-fmw.0.size=256M",
        "", NULL, "512M",
        "CXL Fixed Memory Window 0 (0x10000000 bytes) is too small for "
        "0x20000000 bytes",
    }, {
        "interleaved", ",cxl-fmw.0.targets.0=cxl.1,cxl-fmw.0.targets.1=cxl.2,"
        "cxl-fmw.0.size=4G", "-device pxb-cxl,bus_nr=20,bus=pcie.0,id=cxl.2 ",
        NULL, "256M",
        "CXL Fixed Memory Window 0 interleaves across 2 host bridges",
    }, {
        "two-windows", ",cxl-fmw.0.targets.0=cxl.1,cxl-fmw.0.size=4G,"
        "cxl-fmw.1.targets.0=cxl.1,cxl-fmw.1.size=4G", "", NULL, "256M",
        "both target host bridge 'cxl.1'",
    },
    /* cxl-decoders=guest: the device's own root port, host bridge, window */
    {
        "guest-not-alone", NULL, "", GUEST_DECODERS ",\"multifunction\":true",
        "256M", "with cxl-decoders=guest it must be alone below its root port",
        " -device pci-testdev,bus=rp0,addr=0.1,id=other",
    }, {
        "guest-type3-on-host-bridge", NULL,
        "-object memory-backend-ram,id=t3mem,size=256M ", GUEST_DECODERS,
        "256M", "host bridge 'cxl.1' also holds CXL memory below 't3'",
        " -device cxl-rp,port=1,bus=cxl.1,id=rp1,chassis=0,slot=3"
        " -device cxl-type3,bus=rp1,volatile-memdev=t3mem,id=t3",
    }, {
        "guest-window-too-small",
        ",cxl-fmw.0.targets.0=cxl.1,cxl-fmw.0.size=256M", "", GUEST_DECODERS,
        "512M", "is too small for 0x20000000 bytes",
    }, {
        "guest-bad-mode", NULL, "", ",\"bus\":\"rp0\","
        "\"cxl-decoders\":\"bios\"", "256M",
        "cxl-decoders=bios: expected 'firmware' or 'guest'",
    },
};

static void test_topology_error(const void *data)
{
    const TopologyCase *c = data;
    g_autofree char *args = NULL;
    g_autofree char *full = NULL;
    g_autofree char *err = NULL;
    g_autofree char *accel_args = NULL;
    CXLAccel a;

    if (!cxl_accel_binary_or_skip()) {
        return;
    }
    accel_args = g_strdup_printf("--mem-size %s", c->mem_size);
    cxl_accel_start(&a, accel_args);
    args = cmdline(&a, c->machine, c->dev);
    full = g_strdup_printf("%s%s%s", c->extra, args, c->after ?: "");
    err = expect_startup_error(full, c->msg);
    /* Every error names the device. */
    g_assert_nonnull(strstr(err, a.sock));
    cxl_accel_stop(&a);
}

typedef struct FaultCase {
    const char *fault;
    const char *msg;
} FaultCase;

static const FaultCase fault_cases[] = {
    { "cap-bad-dpa-index", "device memory region index" },
    { "cap-bad-comp-index", "COMP_REGS region index" },
    { "dpa-wrong-subtype", "device memory region 9 has type 0x80001e98 "
                           "subtype 2, expected type 0x80001e98 subtype 1" },
    { "comp-regs-no-hdm", "COMP_REGS has no HDM Decoder Capability" },
    { "hdm-offset-outside-bar", "lies outside BAR 2" },
    /* A capability that is not v2's: read as v5, which it is not either */
    { "cap-truncated", "v5 interface (a device capability that is not "
                       "v2's (version or size)): CXL COMP_REGS (0x230 bytes) "
                       "is not the HDM decoder block" },
    { "dpa-size-zero", "device memory region 9 has size zero" },
    /* Found by tests/fuzz/cxl-backend-fuzz.py: pci_register_bar() aborted */
    { "bar-size-odd", "BAR 2 region has size 0x300000, which is not a power "
                      "of two" },
    { "cap-bad-version", "v5 interface (a device capability that is not "
                         "v2's (version or size)): CXL COMP_REGS" },
    /*
     * Found by tests/fuzz/cxl-backend-fuzz.py --seed 8, each of them; this
     * one allocated the 4 GiB (or aborted trying).
     */
    { "region-argsz-huge", "failed to get config info: Argument list too "
                           "long" },
    /* A loop in a region's chain hung QEMU in vfio_get_cap() */
    { "region-caps-loop", "failed to get region 2 info: Invalid argument" },
    /* The same run: areas read past the info (heap-buffer-overflow) */
    { "sparse-overrun", "failed to get region 2 info: Invalid argument" },
    /* The same run: a NULL emulated-bits bitmap was written */
    { "config-size-zero", "config space region has size 0x0, expected 0x100 "
                          "or 0x1000" },
    /*
     * The same run: a failed header read set its error twice, an
     * assertion in error_setv() (ECONNRESET on q35; EOF on virt).
     */
    { "close-unread", "failed to read header: " },
};

/*
 * A ROM BAR that sizes to no power of two: QEMU exposes no ROM rather
 * than asserting in pci_register_bar() (found by
 * tests/fuzz/cxl-backend-fuzz.py --seed 8).
 */
static void test_rom_size_odd(void)
{
    g_autofree char *mtree = NULL;
    QTestState *qts;
    CXLAccel a;

    if (!cxl_accel_binary_or_skip()) {
        return;
    }
    qts = vm_start(&a, "--mem-size 256M --fault rom-size-odd", NULL, NULL);
    map_bar(qts);
    cfg_writel(qts, DEV_BUS, PCI_ROM_ADDRESS, PCI_ROM_ADDRESS_MASK);
    g_assert_cmphex(cfg_readl(qts, DEV_BUS, PCI_ROM_ADDRESS), ==, 0);
    mtree = qtest_hmp(qts, "info mtree");
    g_assert_null(strstr(mtree, "].rom"));    /* vfio[NAME].rom */
    /* The rest of the device works */
    check_memory_file(qts, &a, window_base(qts));
    qtest_quit(qts);
    cxl_accel_stop(&a);
}

/*
 * An Interrupt Pin that reads differently after a reset: INTx stays as
 * realize set it up (none here), rather than being enabled without its
 * mmap timer, whose timer_del(NULL) at unplug crashed QEMU (UBSan; found
 * by tests/fuzz/cxl-backend-fuzz.py --seed 777 on x86_64).
 */
static void test_pin_changes(void)
{
    QTestState *qts;
    CXLAccel a;

    if (!cxl_accel_binary_or_skip()) {
        return;
    }
    /* Machine start-up resets the device once already */
    qts = vm_start(&a, "--mem-size 256M --fault pin-changes", NULL, NULL);
    map_bar(qts);
    qtest_system_reset(qts);
    map_bar(qts);
    g_assert_cmphex((cfg_readl(qts, DEV_BUS, PCI_INTERRUPT_LINE) >> 8) & 0xff,
                    ==, 0);
    unplug(qts, "accel0");
    qtest_quit(qts);
    cxl_accel_stop(&a);
}

static void test_fault(const void *data)
{
    const FaultCase *c = data;
    g_autofree char *args = NULL;
    g_autofree char *accel_args = NULL;
    CXLAccel a;

    if (!cxl_accel_binary_or_skip()) {
        return;
    }
    /* A fresh emulator per run: it serves a single connection. */
    accel_args = g_strdup_printf("--mem-size 256M --fault %s", c->fault);
    cxl_accel_start(&a, accel_args);
    args = cmdline(&a, NULL, NULL);
    g_free(expect_startup_error(args, c->msg));
    cxl_accel_stop(&a);
}

/*
 * HDM decoder rules and the CXL Device DVSEC's ranges: Global Control
 * across a reset, decoders in order and device memory mapped once, the
 * host's decoder attributes, and what decodes while HDM Decoder Enable is
 * clear.
 */

static void cfg_ext_writel(QTestState *qts, int bus, int off, uint32_t val)
{
    if (arch() == &arch_arm) {
        qtest_writel(qts, ecam(bus, off), val);
        return;
    }
    cfg_ext_readl(qts, bus, 0);     /* MMCONFIG on */
    qtest_writel(qts, Q35_MMCFG_BASE + ((uint64_t)bus << 20) + off, val);
}

static int device_dvsec(QTestState *qts)
{
    int off = ext_cap(qts, DEV_BUS, PCI_EXT_CAP_ID_DVSEC,
                      PCIE_CXL_DEVICE_DVSEC);

    g_assert_cmpint(off, !=, 0);
    return off;
}

static uint64_t range1_base(QTestState *qts, int dvsec)
{
    return (uint64_t)cfg_ext_readl(qts, DEV_BUS, dvsec +
                                   CXL_DVSEC_R1_BASE_HI) << 32 |
           cfg_ext_readl(qts, DEV_BUS, dvsec + CXL_DVSEC_R1_BASE_LO);
}

static void set_range1_base(QTestState *qts, int dvsec, uint64_t base)
{
    cfg_ext_writel(qts, DEV_BUS, dvsec + CXL_DVSEC_R1_BASE_HI, base >> 32);
    cfg_ext_writel(qts, DEV_BUS, dvsec + CXL_DVSEC_R1_BASE_LO, base);
}

/* DVSEC Control (and Status, which a 0 leaves alone) */
static void set_mem_enable(QTestState *qts, int dvsec, bool on)
{
    uint32_t ctrl = cfg_ext_readl(qts, DEV_BUS, dvsec + CXL_DVSEC_CTRL) &
                    0xffff;

    ctrl = FIELD_DP32(ctrl, CXL_DVSEC_CTRL, MEM_ENABLE, on);
    cfg_ext_writel(qts, DEV_BUS, dvsec + CXL_DVSEC_CTRL, ctrl);
}

/*
 * CXL r3.1 9.5: a guest FLR leaves CXL.mem state alone -- the decoders the
 * guest committed, the DVSEC's Range registers -- and (v2) the device
 * memory; QEMU maps it again once it read the host's decoders: guest
 * mode, then firmware.
 */
static void test_guest_decoders_flr(void)
{
    uint64_t win, hdm;
    QTestState *qts;
    CXLAccel a;
    int dvsec;

    if (!cxl_accel_binary_or_skip()) {
        return;
    }
    qts = vm_start_guest(&a, "--mem-size 256M", NULL);
    win = window_base(qts);
    hdm = hdm_block(qts, map_bar(qts));
    dvsec = device_dvsec(qts);
    set_range1_base(qts, dvsec, win + 256 * MiB);
    hdm_enable(qts, hdm, true);
    g_assert_cmphex(hdm_commit(qts, hdm, 0, win, 256 * MiB, 0, CTRL_LOCK), ==,
                    CTRL_LOCK | CTRL_COMMIT | CTRL_COMMITTED);
    g_assert_cmpuint(mapped_bytes(qts, win, 4 * GiB), ==, 256 * MiB);
    check_dpa(qts, &a, win + 0x4000, 0x4000, 0xf17f17f1);
    flr(qts);
    map_bar(qts);
    g_assert_cmphex(hdm_ctrl(qts, hdm, 0), ==,
                    CTRL_LOCK | CTRL_COMMIT | CTRL_COMMITTED);
    g_assert_cmphex(qtest_readl(qts, hdm + A_CXL_HDM_GLOBAL_CTRL), ==,
                    R_CXL_HDM_GLOBAL_CTRL_HDM_DECODER_ENABLE_MASK);
    g_assert_cmphex(range1_base(qts, dvsec), ==, win + 256 * MiB);
    g_assert_cmpuint(mapped_bytes(qts, win, 4 * GiB), ==, 256 * MiB);
    g_assert_cmphex(qtest_readl(qts, win + 0x4000), ==, 0xf17f17f1);
    qtest_quit(qts);
    cxl_accel_stop(&a);

    qts = vm_start(&a, "--mem-size 256M", NULL, NULL);
    win = window_base(qts);
    hdm = hdm_block(qts, map_bar(qts));
    check_dpa(qts, &a, win + 0x4000, 0x4000, 0xf17f17f2);
    flr(qts);
    map_bar(qts);
    check_decoder(qts, hdm, win, 256 * MiB);
    g_assert_cmpuint(mapped_bytes(qts, win, 4 * GiB), ==, 256 * MiB);
    g_assert_cmphex(qtest_readl(qts, win + 0x4000), ==, 0xf17f17f2);
    qtest_quit(qts);
    cxl_accel_stop(&a);
}

static QDict *cxlq_one(QTestState *qts, QDict **rsp);
static char *cxlq_gated(QDict *info);

static int pm_cap(QTestState *qts, int bus)
{
    return std_cap(qts, bus, PCI_CAP_ID_PM);
}

static void set_power_state(QTestState *qts, int pm, unsigned state)
{
    cfg_writel(qts, DEV_BUS, pm + PCI_PM_CTRL, state);
}

/*
 * x-query-cxl-passthrough says why the memory is out of the guest now
 * (GATED: the reasons, space-separated) and how many ranges are mapped.
 */
static void query_gate(QTestState *qts, const char *gated, unsigned mapped)
{
    g_autofree char *got = NULL;
    QDict *rsp, *info;

    info = cxlq_one(qts, &rsp);
    got = cxlq_gated(info);
    g_assert_cmpstr(got, ==, gated);
    g_assert_cmpuint(qlist_size(qdict_get_qlist(info, "mapped")), ==, mapped);
    g_assert_true(qdict_get_bool(info, "host-backed"));
    qobject_unref(rsp);
}

/* x-query-cxl-passthrough: whether the host backs the device memory */
static void query_host_backed(QTestState *qts, bool backed)
{
    QDict *rsp, *info;

    info = cxlq_one(qts, &rsp);
    g_assert_cmpint(qdict_get_bool(info, "host-backed"), ==, backed);
    if (!backed) {
        g_assert_cmpuint(qlist_size(qdict_get_qlist(info, "mapped")), ==, 0);
    }
    qobject_unref(rsp);
}

/*
 * The guest puts the function in D3hot (v2 and v5): QEMU takes the device
 * memory out of the guest before the device stops serving it (the
 * emulator faults QEMU's mapping then), config space keeps answering, D1
 * (not supported) changes nothing, and back in D0 the memory is mapped
 * again with its contents (No_Soft_Reset).
 */
static void test_d3hot_gate(const void *data)
{
    const char *accel_args = data;
    uint64_t base;
    QTestState *qts;
    CXLAccel a;
    int pm;

    if (!cxl_accel_binary_or_skip()) {
        return;
    }
    qts = vm_start(&a, accel_args, NULL, NULL);
    base = window_base(qts);
    map_bar(qts);
    g_assert_cmpuint(mapped_bytes(qts, base, 4 * GiB), ==, 256 * MiB);
    check_dpa(qts, &a, base + 0x3000, 0x3000, 0xd3d30001);
    pm = pm_cap(qts, DEV_BUS);
    g_assert_cmphex(cfg_readl(qts, DEV_BUS, pm + PCI_PM_CTRL) &
                    PCI_PM_CTRL_NO_SOFT_RESET, ==, PCI_PM_CTRL_NO_SOFT_RESET);

    set_power_state(qts, pm, 3);
    g_assert_cmphex(cfg_readl(qts, DEV_BUS, pm + PCI_PM_CTRL) &
                    PCI_PM_CTRL_STATE_MASK, ==, 3);
    g_assert_cmpuint(mapped_bytes(qts, base, 4 * GiB), ==, 0);
    query_gate(qts, "power-state", 0);
    g_assert_cmphex(qtest_readl(qts, base + 0x3000), !=, 0xd3d30001);
    g_assert_cmphex(cfg_readl(qts, DEV_BUS, PCI_VENDOR_ID), ==,
                    ACCEL_VENDOR_DEVICE);
    set_power_state(qts, pm, 1);
    g_assert_cmpuint(mapped_bytes(qts, base, 4 * GiB), ==, 0);
    qtest_qmp_assert_success(qts, "{ 'execute': 'query-status' }");

    set_power_state(qts, pm, 0);
    g_assert_cmphex(cfg_readl(qts, DEV_BUS, pm + PCI_PM_CTRL) &
                    PCI_PM_CTRL_STATE_MASK, ==, 0);
    g_assert_cmpuint(mapped_bytes(qts, base, 4 * GiB), ==, 256 * MiB);
    query_gate(qts, "", 1);
    g_assert_cmphex(qtest_readl(qts, base + 0x3000), ==, 0xd3d30001);

    /* A system reset in D3hot comes back in D0, mapped */
    set_power_state(qts, pm, 3);
    qtest_system_reset(qts);
    map_bar(qts);
    g_assert_cmpuint(mapped_bytes(qts, base, 4 * GiB), ==, 256 * MiB);
    qtest_quit(qts);
    cxl_accel_stop(&a);
}

/*
 * Firmware mode: a guest that cleared HDM Decoder Enable left every later
 * boot with committed, locked decoders that map nothing. A reset returns
 * Global Control to what firmware set.
 */
static void test_hdm_firmware_reset_enable(void)
{
    uint64_t base, hdm;
    QTestState *qts;
    CXLAccel a;

    if (!cxl_accel_binary_or_skip()) {
        return;
    }
    qts = vm_start(&a, "--mem-size 256M", NULL, NULL);
    base = window_base(qts);
    hdm = hdm_block(qts, map_bar(qts));
    qtest_writeq(qts, base + 0x5000, 0x5e5e5e5e01010101ULL);
    hdm_enable(qts, hdm, false);
    set_mem_enable(qts, device_dvsec(qts), false);
    g_assert_cmpuint(mapped_bytes(qts, base, 4 * GiB), ==, 0);

    qtest_system_reset(qts);
    map_bar(qts);
    g_assert_cmphex(qtest_readl(qts, hdm + A_CXL_HDM_GLOBAL_CTRL), ==,
                    R_CXL_HDM_GLOBAL_CTRL_HDM_DECODER_ENABLE_MASK);
    check_decoder(qts, hdm, base, 256 * MiB);
    g_assert_cmpuint(mapped_bytes(qts, base, 4 * GiB), ==, 256 * MiB);
    g_assert_cmphex(qtest_readq(qts, base + 0x5000), ==,
                    0x5e5e5e5e01010101ULL);
    qtest_quit(qts);
    cxl_accel_stop(&a);
}

/*
 * Guest mode, the review's sequence: decoders 0 and 1 committed, 0
 * uncommitted and committed again larger at another base. Decoder 0 stays
 * as it was (uncommit in reverse order only), and decoder 1's memory is
 * mapped once.
 */
static void test_hdm_mapped_once(void)
{
    uint64_t win, hdm;
    QTestState *qts;
    CXLAccel a;

    if (!cxl_accel_binary_or_skip()) {
        return;
    }
    qts = vm_start_guest(&a, "--mem-size 512M --decoders 2", NULL);
    win = window_base(qts);
    hdm = hdm_block(qts, map_bar(qts));
    hdm_enable(qts, hdm, true);
    g_assert_cmphex(hdm_commit(qts, hdm, 0, win, 256 * MiB, 0, 0), ==,
                    CTRL_COMMIT | CTRL_COMMITTED);
    g_assert_cmphex(hdm_commit(qts, hdm, 1, win + GiB, 256 * MiB, 0, 0), ==,
                    CTRL_COMMIT | CTRL_COMMITTED);
    qtest_writel(qts, hdm + cxl_hdm_dec_reg(0, A_CXL_HDM_DEC_CTRL), 0);
    hdm_commit(qts, hdm, 0, win + 2 * GiB, 512 * MiB, 0, 0);

    /* 512 MiB of device memory, 512 MiB mapped: each byte once */
    g_assert_cmpuint(mapped_bytes(qts, win, 4 * GiB), ==, 512 * MiB);
    g_assert_cmphex(hdm_ctrl(qts, hdm, 0), ==, CTRL_COMMIT | CTRL_COMMITTED);
    check_dpa(qts, &a, win + 0x100, 0x100, 0x0dd0dd01);
    check_dpa(qts, &a, win + GiB + 0x100, 256 * MiB + 0x100, 0x0dd0dd02);
    g_assert_cmphex(qtest_readl(qts, hdm + cxl_hdm_dec_reg(0,
                    A_CXL_HDM_DEC_SIZE_LO)), ==, 256 * MiB);
    qtest_quit(qts);
    cxl_accel_stop(&a);
}

/* Firmware mode: the decoders read as the host committed them. */
/*
 * The Window Restrictions of the first CFMWS (CXL r3.1 Table 9-22) in the
 * ACPI tables QEMU hands the firmware through fw_cfg (q35).
 */
#define CEDT_HEADER_LEN     36
#define CFMWS_TYPE          1
#define CFMWS_RESTRICTIONS  32

static uint16_t cfmws_restrictions(QTestState *qts)
{
    QFWCFG *fw_cfg = pc_fw_cfg_init(qts);
    size_t size = 512 * KiB, len, at;
    g_autofree uint8_t *tables = g_malloc0(size);
    const uint8_t *cedt;
    uint16_t restrictions;

    len = qfw_cfg_get_file(fw_cfg, "etc/acpi/tables", tables, size);
    g_assert_cmpuint(len, >, 0);
    g_assert_cmpuint(len, <=, size);
    cedt = memmem(tables, len, "CEDT", 4);
    g_assert_nonnull(cedt);
    for (at = CEDT_HEADER_LEN; at < ldl_le_p(cedt + 4);
         at += lduw_le_p(cedt + at + 2)) {
        if (cedt[at] == CFMWS_TYPE) {
            break;
        }
        g_assert_cmpuint(lduw_le_p(cedt + at + 2), >, 0);
    }
    g_assert_cmpuint(at, <, ldl_le_p(cedt + 4));
    restrictions = lduw_le_p(cedt + at + CFMWS_RESTRICTIONS);
    pc_fw_cfg_uninit(fw_cfg);
    return restrictions;
}

/*
 * What the host committed -- HDM-H, HDM-DB or HDM-D -- the guest reads in
 * the decoder, and the window says it holds: volatile memory, host-only
 * coherent, device-coherent with back-invalidate or device-coherent.
 */
static void test_hdm_decoder_type(void)
{
    static const struct {
        const char *args;
        uint32_t want;
        uint16_t cfmws;
    } cases[] = {
        { "--mem-size 256M --decoder-type hdm-h",
          R_CXL_HDM_DEC_CTRL_TARGET_TYPE_MASK, 0x06 },
        { "--mem-size 256M --cache-capable --decoder-type hdm-db",
          R_CXL_HDM_DEC_CTRL_BI_MASK, 0x25 },
        { "--mem-size 256M", 0, 0x05 },
    };
    const uint32_t attrs = R_CXL_HDM_DEC_CTRL_TARGET_TYPE_MASK |
                           R_CXL_HDM_DEC_CTRL_BI_MASK |
                           R_CXL_HDM_DEC_CTRL_UIO_MASK;
    uint64_t hdm;
    QTestState *qts;
    CXLAccel a;
    unsigned i;

    if (!cxl_accel_binary_or_skip()) {
        return;
    }
    for (i = 0; i < ARRAY_SIZE(cases); i++) {
        qts = vm_start(&a, cases[i].args, NULL, NULL);
        hdm = hdm_block(qts, map_bar(qts));
        g_assert_cmphex(hdm_ctrl(qts, hdm, 0) & attrs, ==, cases[i].want);
        /* virt builds ACPI tables only with firmware; the code is shared */
        if (arch() == &arch_x86) {
            g_assert_cmphex(cfmws_restrictions(qts), ==, cases[i].cfmws);
        }
        check_decoder(qts, hdm, window_base(qts), 256 * MiB);
        /* And after a reset */
        qtest_system_reset(qts);
        map_bar(qts);
        g_assert_cmphex(hdm_ctrl(qts, hdm, 0) & attrs, ==, cases[i].want);
        qtest_quit(qts);
        cxl_accel_stop(&a);
    }
}

/*
 * The DVSEC Range Base the guest reads is where QEMU placed the memory
 * (firmware mode), not the host physical address the device reports.
 */
static void test_dvsec_range_base(void)
{
    uint64_t win;
    QTestState *qts;
    CXLAccel a;
    int dvsec;

    if (!cxl_accel_binary_or_skip()) {
        return;
    }
    qts = vm_start(&a, "--mem-size 256M", NULL, NULL);
    win = window_base(qts);
    map_bar(qts);
    dvsec = device_dvsec(qts);
    g_assert_cmphex(range1_base(qts, dvsec), ==, win);
    g_assert_cmphex(range1_base(qts, dvsec), !=, 0x4000000000ULL);
    qtest_quit(qts);
    cxl_accel_stop(&a);

    /* Guest mode: what the guest wrote, 0 after a reset */
    qts = vm_start_guest(&a, "--mem-size 256M", NULL);
    win = window_base(qts);
    map_bar(qts);
    dvsec = device_dvsec(qts);
    g_assert_cmphex(range1_base(qts, dvsec), ==, 0);
    set_range1_base(qts, dvsec, win + GiB + 0xfff);
    g_assert_cmphex(range1_base(qts, dvsec), ==, win + GiB);
    qtest_system_reset(qts);
    map_bar(qts);
    g_assert_cmphex(range1_base(qts, dvsec), ==, 0);
    qtest_quit(qts);
    cxl_accel_stop(&a);
}

/*
 * HDM Decoder Enable clear: the device decodes its DVSEC range, with
 * Mem_Enable, inside the window, and nowhere else.
 */
static void test_dvsec_range_decode(void)
{
    uint64_t win, hdm;
    QTestState *qts;
    CXLAccel a;
    int dvsec;

    if (!cxl_accel_binary_or_skip()) {
        return;
    }
    qts = vm_start_guest(&a, "--mem-size 256M", NULL);
    win = window_base(qts);
    hdm = hdm_block(qts, map_bar(qts));
    dvsec = device_dvsec(qts);
    g_assert_cmpuint(mapped_bytes(qts, win, 4 * GiB), ==, 0);

    set_mem_enable(qts, dvsec, true);
    set_range1_base(qts, dvsec, win + GiB);
    g_assert_cmpuint(mapped_bytes(qts, win, 4 * GiB), ==, 256 * MiB);
    check_dpa(qts, &a, win + GiB + 0x40, 0x40, 0xd5ec0001);

    /* Mem_Enable clear: nothing */
    set_mem_enable(qts, dvsec, false);
    g_assert_cmpuint(mapped_bytes(qts, win, 4 * GiB), ==, 0);
    set_mem_enable(qts, dvsec, true);
    g_assert_cmpuint(mapped_bytes(qts, win, 4 * GiB), ==, 256 * MiB);

    /* A range outside the window: nothing */
    set_range1_base(qts, dvsec, win + 4 * GiB);
    g_assert_cmpuint(mapped_bytes(qts, win, 4 * GiB), ==, 0);
    set_range1_base(qts, dvsec, win - 256 * MiB);
    g_assert_cmpuint(mapped_bytes(qts, win, 4 * GiB), ==, 0);

    /* HDM Decoder Enable: the committed decoders decide again */
    set_range1_base(qts, dvsec, win + GiB);
    hdm_enable(qts, hdm, true);
    g_assert_cmpuint(mapped_bytes(qts, win, 4 * GiB), ==, 0);
    g_assert_cmphex(hdm_commit(qts, hdm, 0, win + 2 * GiB, 256 * MiB, 0, 0),
                    ==, CTRL_COMMIT | CTRL_COMMITTED);
    g_assert_cmpuint(mapped_bytes(qts, win, 4 * GiB), ==, 256 * MiB);
    g_assert_cmphex(qtest_readl(qts, win + 2 * GiB + 0x40), ==, 0xd5ec0001);
    hdm_enable(qts, hdm, false);
    g_assert_cmphex(qtest_readl(qts, win + GiB + 0x40), ==, 0xd5ec0001);
    g_assert_cmpuint(mapped_bytes(qts, win, 4 * GiB), ==, 256 * MiB);
    qtest_quit(qts);
    cxl_accel_stop(&a);
}

/*
 * Placement in a window that other CXL memory uses, and the host bridge
 * decoders QEMU commits and releases (CXL r3.1 8.2.4.20.12: committed
 * decoders decode ascending addresses, decoder m+1 above decoder m).
 */

/* The Type-3 device on rp1 (12:01.0), its bus and component BAR */
#define WIN_RP1_DEVFN           PCI_DEVFN(1, 0)
#define WIN_T3_BUS              14
#define WIN_T3_BAR_OFF          (16 * MiB)

static uint64_t win_cfg_addr(int bus, int devfn, int off)
{
    return 0x4010000000ULL + ((uint64_t)bus << 20) + (devfn << 12) + off;
}

static void win_cfg_writel(QTestState *qts, int bus, int devfn, int off,
                           uint32_t val)
{
    if (arch() == &arch_arm) {
        qtest_writel(qts, win_cfg_addr(bus, devfn, off), val);
        return;
    }
    qtest_outl(qts, 0xcf8, (1u << 31) | (bus << 16) | (devfn << 8) | off);
    qtest_outl(qts, 0xcfc, val);
}

/* What firmware does for the Type-3 device: bus, window, BAR 0, enables */
static uint64_t win_map_type3(QTestState *qts)
{
    uint64_t bar = arch()->bar_addr + WIN_T3_BAR_OFF;
    uint32_t win = ((bar >> 16) & 0xfff0) |
                   (((bar + 4 * MiB - 1) >> 16) & 0xfff0) << 16;

    win_cfg_writel(qts, HB_BUS, WIN_RP1_DEVFN, PCI_PRIMARY_BUS,
                   HB_BUS | WIN_T3_BUS << 8 | WIN_T3_BUS << 16);
    win_cfg_writel(qts, HB_BUS, WIN_RP1_DEVFN, PCI_MEMORY_BASE, win);
    win_cfg_writel(qts, HB_BUS, WIN_RP1_DEVFN, PCI_COMMAND,
                   PCI_COMMAND_MEMORY);
    win_cfg_writel(qts, WIN_T3_BUS, 0, PCI_BASE_ADDRESS_0, bar);
    win_cfg_writel(qts, WIN_T3_BUS, 0, PCI_BASE_ADDRESS_0 + 4, bar >> 32);
    win_cfg_writel(qts, WIN_T3_BUS, 0, PCI_COMMAND, PCI_COMMAND_MEMORY);
    return bar;
}

/* Decoder @n of the block at @hdm: what a guest reads */
typedef struct WinDecoder {
    uint64_t base, size;
    uint32_t ctrl, target;
} WinDecoder;

static WinDecoder win_decoder(QTestState *qts, uint64_t hdm, unsigned n)
{
    uint64_t dec = hdm + cxl_hdm_dec_reg(n, 0);
    WinDecoder d;

    d.base = (qtest_readl(qts, dec + A_CXL_HDM_DEC_BASE_LO) &
              CXL_HDM_ADDR_LO_MASK) |
             (uint64_t)qtest_readl(qts, dec + A_CXL_HDM_DEC_BASE_HI) << 32;
    d.size = (qtest_readl(qts, dec + A_CXL_HDM_DEC_SIZE_LO) &
              CXL_HDM_ADDR_LO_MASK) |
             (uint64_t)qtest_readl(qts, dec + A_CXL_HDM_DEC_SIZE_HI) << 32;
    d.ctrl = qtest_readl(qts, dec + A_CXL_HDM_DEC_CTRL);
    d.target = qtest_readl(qts, dec + A_CXL_HDM_DEC_DPA_SKIP_LO);
    return d;
}

/*
 * The host bridge's committed decoders decode ascending addresses in
 * decoder order; returns how many are committed.
 */
static unsigned win_check_hb_order(QTestState *qts)
{
    uint64_t hb = hb_hdm_block(qts), end = 0;
    unsigned n, committed = 0;

    for (n = 0; n < 4; n++) {
        WinDecoder d = win_decoder(qts, hb, n);

        g_test_message("host bridge decoder %u: base 0x%" PRIx64 " size 0x%"
                       PRIx64 " ctrl 0x%x target 0x%x", n, d.base, d.size,
                       d.ctrl, d.target);
        if (!(d.ctrl & CTRL_COMMITTED)) {
            continue;
        }
        g_assert_cmphex(d.base, >=, end);
        end = d.base + d.size;
        committed++;
    }
    return committed;
}

/* Decoder @n of the host bridge: uncommitted and cleared */
static void win_check_hb_free(QTestState *qts, unsigned n)
{
    WinDecoder d = win_decoder(qts, hb_hdm_block(qts), n);

    g_assert_cmphex(d.ctrl, ==, 0);
    g_assert_cmphex(d.base, ==, 0);
    g_assert_cmphex(d.size, ==, 0);
    g_assert_cmphex(d.target, ==, 0);
}

static QDict *win_device_add(QTestState *qts, const char *id, CXLAccel *a)
{
    return qtest_qmp(qts, "{ 'execute': 'device_add', 'arguments': "
                     "{ 'driver': 'vfio-user-pci', 'id': %s, "
                     "'bus': 'rp0', 'socket': { 'type': 'unix', "
                     "'path': %s } } }", id, a->sock);
}

/* The first address of device memory in the system's flat view */
static uint64_t win_mapped_at(QTestState *qts)
{
    g_autofree char *mtree = qtest_hmp(qts, "info mtree -f");
    char *as = strstr(mtree, "AS \"memory\"");
    char *name, *line;
    uint64_t start;

    g_assert_nonnull(as);
    name = strstr(as, " cxl-memory");
    g_assert_nonnull(name);
    for (line = name; line > mtree && line[-1] != '\n'; line--) {
        ;
    }
    g_assert_cmpint(sscanf(line, " %" SCNx64 "-", &start), ==, 1);
    return start;
}

/*
 * A guest built a Type-3 region at window offset 0 (its endpoint decoder
 * and host bridge decoder 0 committed); a device hot-added next to it must
 * not take that memory: one too large for the rest of the window is
 * refused, leaving nothing claimed, and one that fits goes above it, with
 * host bridge decoder 1. The Type-3 memory stays the Type-3 device's.
 */
static void test_window_hotplug_over_type3(void)
{
    g_autofree char *mtree = NULL;
    uint64_t base, t3, hb;
    const char *desc;
    WinDecoder d;
    QTestState *qts;
    CXLAccel big, fit;
    QDict *rsp;

    if (!cxl_accel_binary_or_skip()) {
        return;
    }
    qts = qtest_initf("-M %s,cxl=on,cxl-fmw.0.targets.0=cxl.1,"
                      "cxl-fmw.0.size=512M -m 1G -nodefaults "
                      "-object memory-backend-ram,id=t3mem,size=256M "
                      "-device pxb-cxl,bus_nr=%d,bus=pcie.0,id=cxl.1 "
                      "-device cxl-rp,port=0,bus=cxl.1,id=rp0,chassis=0,"
                      "slot=2 "
                      "-device cxl-rp,port=1,bus=cxl.1,id=rp1,chassis=0,"
                      "slot=3 "
                      "-device cxl-type3,bus=rp1,volatile-memdev=t3mem,id=t3",
                      arch()->machine, HB_BUS);
    base = window_base(qts);

    /* The guest's region: endpoint decoder 0, then host bridge decoder 0 */
    t3 = hdm_find(qts, win_map_type3(qts) + CXL_CACHEMEM_OFFSET);
    g_assert_cmphex(t3, !=, 0);
    hdm_enable(qts, t3, true);
    g_assert_cmphex(hdm_commit(qts, t3, 0, base, 256 * MiB, 0, 0) &
                    CTRL_COMMITTED, !=, 0);
    hb = hb_hdm_block(qts);
    hdm_enable(qts, hb, true);
    /* Target list: the Type-3 device's root port, port 1 */
    g_assert_cmphex(hdm_commit(qts, hb, 0, base, 256 * MiB, 1, CTRL_LOCK) &
                    CTRL_COMMITTED, !=, 0);
    qtest_writeq(qts, base + 0x1000, 0x7e57da7a0f7e3333ULL);
    g_assert_cmphex(qtest_readq(qts, base + 0x1000), ==,
                    0x7e57da7a0f7e3333ULL);
    slot_power_on(qts);

    /* 512 MiB: the window has 256 MiB left */
    cxl_accel_start(&big, "--mem-size 512M");
    rsp = win_device_add(qts, "accel0", &big);
    g_assert_true(qdict_haskey(rsp, "error"));
    desc = qdict_get_str(qdict_get_qdict(rsp, "error"), "desc");
    g_test_message("device_add: %s", desc);
    g_assert_nonnull(strstr(desc, "CXL Fixed Memory Window 0 (0x20000000 "
                            "bytes at 0x"));
    g_assert_nonnull(strstr(desc, "has no room for 0x20000000 bytes of "
                            "device memory that overlaps no CXL memory in "
                            "use and keeps the host bridge decoders in "
                            "address order"));
    qobject_unref(rsp);
    cxl_accel_stop(&big);
    mtree = qtest_hmp(qts, "info mtree -f");
    g_assert_null(strstr(mtree, "cxl-memory"));
    d = win_decoder(qts, hb, 0);
    g_assert_cmphex(d.base, ==, base);
    g_assert_cmphex(d.target, ==, 1);
    g_assert_cmphex(win_decoder(qts, hb, 1).ctrl & CTRL_COMMITTED, ==, 0);
    g_assert_cmphex(qtest_readq(qts, base + 0x1000), ==,
                    0x7e57da7a0f7e3333ULL);

    /* 256 MiB fits above the Type-3 region, through decoder 1 */
    cxl_accel_start(&fit, "--mem-size 256M");
    rsp = win_device_add(qts, "accel1", &fit);
    g_assert_false(qdict_haskey(rsp, "error"));
    qobject_unref(rsp);
    g_assert_cmphex(win_mapped_at(qts), ==, base + 256 * MiB);
    g_assert_cmpuint(mapped_bytes(qts, base, 512 * MiB), ==, 256 * MiB);
    d = win_decoder(qts, hb, 0);
    g_assert_cmphex(d.base, ==, base);
    g_assert_cmphex(d.size, ==, 256 * MiB);
    g_assert_cmphex(d.target, ==, 1);
    check_decoder_n(qts, hb, 1, base + 256 * MiB, 256 * MiB);
    g_assert_cmphex(win_decoder(qts, hb, 1).target, ==, 0);
    g_assert_cmpuint(win_check_hb_order(qts), ==, 2);
    g_assert_cmphex(qtest_readq(qts, base + 0x1000), ==,
                    0x7e57da7a0f7e3333ULL);
    check_memory_file_at(qts, &fit, base + 256 * MiB);
    qtest_quit(qts);
    cxl_accel_stop(&fit);
}

typedef struct WinDecoderCase {
    const char *name;
    const char *a_args;         /* on rp0 */
    const char *b_args;         /* on rp1, or NULL */
    const char *msg;
} WinDecoderCase;

static const WinDecoderCase win_decoder_cases[] = {
    {
        "one-device", "--mem-size 1280M --decoders 6 --committed-decoders 5",
        NULL, "host bridge 'cxl.1' has 4 HDM decoders, 0 of them in use, "
        "but the device needs 5 (one per HDM decoder the host committed)",
    }, {
        "two-devices", "--mem-size 768M --decoders 4 --committed-decoders 3",
        "--mem-size 512M --decoders 2 --committed-decoders 2",
        "host bridge 'cxl.1' has 4 HDM decoders, 3 of them in use, but the "
        "device needs 2",
    },
};

/* More firmware-committed decoders than the host bridge has: refused */
static void test_window_hb_decoders_exhausted(const void *data)
{
    const WinDecoderCase *c = data;
    g_autofree char *args = NULL;
    g_autofree char *err = NULL;
    CXLAccel a, b;

    if (!cxl_accel_binary_or_skip()) {
        return;
    }
    cxl_accel_start(&a, c->a_args);
    if (c->b_args) {
        cxl_accel_start(&b, c->b_args);
        args = cmdline_two(&a, "", &b, "");
    } else {
        args = cmdline(&a, NULL, NULL);
    }
    err = expect_startup_error(args, c->msg);
    g_assert_nonnull(strstr(err, "Put the device below a pxb-cxl of its "
                            "own"));
    cxl_accel_stop(&a);
    if (c->b_args) {
        cxl_accel_stop(&b);
    }
}

/* Hot-add an accelerator with @accel_args on rp0 as @id; must work */
static void win_replug(QTestState *qts, CXLAccel *a, const char *accel_args,
                       const char *id)
{
    QDict *rsp;

    slot_power_on(qts);
    cxl_accel_start(a, accel_args);
    rsp = win_device_add(qts, id, a);
    g_assert_false(qdict_haskey(rsp, "error"));
    qobject_unref(rsp);
}

/*
 * Two devices share a host bridge (decoders 0 and 1). Unplugging the first
 * releases decoder 0, and a device of its size takes it again. A larger
 * one cannot go below decoder 1's range: it takes decoder 2, above it.
 * After a system reset QEMU's decoders are 0 to n-1 again, in address
 * order. Committed decoders always ascend, and the memory is where they
 * say.
 */
static void test_window_replug_hb_order(void)
{
    g_autofree char *args = NULL;
    uint64_t base, hb;
    QTestState *qts;
    CXLAccel a, b, c, d;

    if (!cxl_accel_binary_or_skip()) {
        return;
    }
    cxl_accel_start(&a, "--mem-size 256M");
    cxl_accel_start(&b, "--mem-size 512M");
    args = cmdline_two(&a, ",\"id\":\"accel0\"", &b, "");
    qts = qtest_init(args);
    base = window_base(qts);
    hb = hb_hdm_block(qts);
    check_decoder_n(qts, hb, 0, base, 256 * MiB);
    check_decoder_n(qts, hb, 1, base + 256 * MiB, 512 * MiB);

    unplug(qts, "accel0");
    cxl_accel_stop(&a);
    win_check_hb_free(qts, 0);
    check_decoder_n(qts, hb, 1, base + 256 * MiB, 512 * MiB);

    /* 256 MiB: below device b again, through decoder 0 */
    win_replug(qts, &c, "--mem-size 256M", "accel2");
    check_decoder_n(qts, hb, 0, base, 256 * MiB);
    g_assert_cmphex(win_decoder(qts, hb, 0).target, ==, 0);
    check_decoder_n(qts, hb, 1, base + 256 * MiB, 512 * MiB);
    g_assert_cmphex(win_decoder(qts, hb, 1).target, ==, 1);
    g_assert_cmpuint(win_check_hb_order(qts), ==, 2);
    check_memory_file_at(qts, &c, base);
    check_memory_file_at(qts, &b, base + 256 * MiB);

    /* 512 MiB: above device b, through decoder 2 */
    unplug(qts, "accel2");
    cxl_accel_stop(&c);
    win_check_hb_free(qts, 0);
    win_replug(qts, &d, "--mem-size 512M", "accel3");
    win_check_hb_free(qts, 0);
    check_decoder_n(qts, hb, 2, base + 768 * MiB, 512 * MiB);
    g_assert_cmpuint(win_check_hb_order(qts), ==, 2);
    check_memory_file_at(qts, &d, base + 768 * MiB);
    check_memory_file_at(qts, &b, base + 256 * MiB);
    g_assert_cmpuint(mapped_bytes(qts, base, 4 * GiB), ==, 1 * GiB);

    /* After a system reset: decoders 0 and 1, the memory where it was */
    qtest_system_reset(qts);
    check_decoder_n(qts, hb, 0, base + 256 * MiB, 512 * MiB);
    g_assert_cmphex(win_decoder(qts, hb, 0).target, ==, 1);
    check_decoder_n(qts, hb, 1, base + 768 * MiB, 512 * MiB);
    g_assert_cmphex(win_decoder(qts, hb, 1).target, ==, 0);
    win_check_hb_free(qts, 2);
    g_assert_cmpuint(win_check_hb_order(qts), ==, 2);
    check_memory_file_at(qts, &d, base + 768 * MiB);
    check_memory_file_at(qts, &b, base + 256 * MiB);
    qtest_quit(qts);
    cxl_accel_stop(&b);
    cxl_accel_stop(&d);
}

/*
 * Resets, CXL Reset, FLR capability, RW1C CXL.cachemem registers, CPR and
 * the DMA backend.
 */

static unsigned count_str(const char *haystack, const char *needle)
{
    unsigned n = 0;

    for (; (haystack = strstr(haystack, needle)); haystack++) {
        n++;
    }
    return n;
}

/* Status2 after the guest sets Initiate CXL Reset in Control2 */
static uint16_t guest_cxl_reset(QTestState *qts)
{
    int dvsec = device_dvsec(qts);
    uint32_t v = cfg_ext_readl(qts, DEV_BUS, dvsec + CXL_DVSEC_CTRL2);

    cfg_ext_writel(qts, DEV_BUS, dvsec + CXL_DVSEC_CTRL2,
                   (v & 0xffff) | R_CXL_DVSEC_CTRL2_INITIATE_CXL_RESET_MASK);
    return cfg_ext_readl(qts, DEV_BUS, dvsec + CXL_DVSEC_CTRL2) >> 16;
}

/*
 * The host's decoder is gone after a reset (the emulator's fault mode
 * flips it at every reset; the reset QEMU does at start-up is the first):
 * its memory is inactive, and the emulator's file truncated, so that a
 * mapping of it faults. Firmware shows no committed decoder, a guest
 * commit is refused, nothing is mapped, and a guest read of the window
 * does not take QEMU down. The next reset finds the decoder committed
 * again: the memory comes back.
 */
static void test_reset_host_uncommitted(const void *data)
{
    bool guest = data;
    g_autofree char *log_path = NULL;
    g_autofree char *log = NULL;
    g_autofree char *extra = NULL;
    uint64_t base, hdm;
    QTestState *qts;
    CXLAccel a;

    if (!cxl_accel_binary_or_skip()) {
        return;
    }
    cxl_accel_start(&a, "--mem-size 256M --fault reset-uncommits");
    log_path = g_strdup_printf("%s/qemu.log", a.dir);
    extra = cmdline(&a, NULL, guest ? GUEST_DECODERS : NULL);
    qts = qtest_initf("%s -d guest_errors -D %s", extra, log_path);
    base = window_base(qts);
    hdm = hdm_block(qts, map_bar(qts));
    g_assert_cmphex(hdm_ctrl(qts, hdm, 0), ==, 0);
    hdm_enable(qts, hdm, true);
    g_assert_cmphex(hdm_commit(qts, hdm, 0, base, 256 * MiB, 0, 0), ==,
                    CTRL_COMMIT | CTRL_ERR);
    g_assert_cmpuint(mapped_bytes(qts, base, 4 * GiB), ==, 0);
    query_host_backed(qts, false);
    qtest_readq(qts, base + 0x1000);
    qtest_qmp_assert_success(qts, "{ 'execute': 'query-status' }");
    g_assert_true(g_file_get_contents(log_path, &log, NULL, NULL));
    g_assert_nonnull(strstr(log, "the host does not back the device memory"));

    /* Committed again by the next reset */
    qtest_system_reset(qts);
    hdm = hdm_block(qts, map_bar(qts));
    if (guest) {
        hdm_enable(qts, hdm, true);
        g_assert_cmphex(hdm_commit(qts, hdm, 0, base, 256 * MiB, 0, 0), ==,
                        CTRL_COMMIT | CTRL_COMMITTED);
    } else {
        check_decoder(qts, hdm, base, 256 * MiB);
    }
    g_assert_cmpuint(mapped_bytes(qts, base, 4 * GiB), ==, 256 * MiB);
    check_dpa(qts, &a, base + 0x2000, 0x2000, 0x600d0010);
    query_host_backed(qts, true);

    /* Gone again: unmapped at once */
    qtest_system_reset(qts);
    g_assert_cmpuint(mapped_bytes(qts, base, 4 * GiB), ==, 0);
    query_host_backed(qts, false);
    qtest_readq(qts, base + 0x2000);
    qtest_qmp_assert_success(qts, "{ 'execute': 'query-status' }");
    qtest_quit(qts);
    cxl_accel_stop(&a);
}

/*
 * A guest's CXL Reset (CXL r3.1 9.7): QEMU performs it, the device never
 * sees the bit (the emulator would reset its HDM decoders and revoke the
 * memory, as hardware does). Status2 reads CXL Reset Complete, the
 * decoders read as after any reset, the memory keeps its contents and a
 * guest access of it leaves QEMU running.
 */
static void test_cxl_reset(const void *data)
{
    bool guest = data;
    g_autofree char *args = NULL;
    g_autofree char *log = NULL;
    uint64_t base, hdm;
    unsigned resets;
    QTestState *qts;
    CXLAccel a;

    if (!cxl_accel_binary_or_skip()) {
        return;
    }
    cxl_accel_start(&a, "--mem-size 256M");
    args = cmdline(&a, NULL, guest ? GUEST_DECODERS : NULL);
    qts = qtest_init(args);
    base = window_base(qts);
    hdm = hdm_block(qts, map_bar(qts));
    if (guest) {
        hdm_enable(qts, hdm, true);
        g_assert_cmphex(hdm_commit(qts, hdm, 0, base, 256 * MiB, 0, 0), ==,
                        CTRL_COMMIT | CTRL_COMMITTED);
    }
    qtest_writeq(qts, base + 0x5000, 0x0123456789abcdefULL);
    log = cxl_accel_log(&a);
    resets = count_str(log, " DEVICE_RESET");

    g_assert_cmphex(guest_cxl_reset(qts) &
                    (R_CXL_DVSEC_STATUS2_CXL_RESET_COMPLETE_MASK |
                     R_CXL_DVSEC_STATUS2_CXL_RESET_ERROR_MASK), ==,
                    R_CXL_DVSEC_STATUS2_CXL_RESET_COMPLETE_MASK);
    /* Initiate CXL Reset reads 0 */
    g_assert_cmphex(cfg_ext_readl(qts, DEV_BUS, device_dvsec(qts) +
                                  CXL_DVSEC_CTRL2) &
                    R_CXL_DVSEC_CTRL2_INITIATE_CXL_RESET_MASK, ==, 0);
    if (guest) {
        /* Reset values; the guest commits again */
        g_assert_cmphex(hdm_ctrl(qts, hdm, 0), ==, 0);
        g_assert_cmphex(qtest_readl(qts, hdm + A_CXL_HDM_GLOBAL_CTRL), ==, 0);
        g_assert_cmpuint(mapped_bytes(qts, base, 4 * GiB), ==, 0);
        hdm_enable(qts, hdm, true);
        g_assert_cmphex(hdm_commit(qts, hdm, 0, base, 256 * MiB, 0, 0), ==,
                        CTRL_COMMIT | CTRL_COMMITTED);
    } else {
        check_decoder(qts, hdm, base, 256 * MiB);
    }
    g_assert_cmpuint(mapped_bytes(qts, base, 4 * GiB), ==, 256 * MiB);
    g_assert_cmphex(qtest_readq(qts, base + 0x5000), ==,
                    0x0123456789abcdefULL);
    qtest_qmp_assert_success(qts, "{ 'execute': 'query-status' }");
    /* Through the device reset VFIO gives */
    g_free(log);
    log = cxl_accel_log(&a);
    g_assert_cmpuint(count_str(log, " DEVICE_RESET"), ==, resets + 1);

    /* A system reset clears Complete */
    qtest_system_reset(qts);
    map_bar(qts);
    g_assert_cmphex(cfg_ext_readl(qts, DEV_BUS, device_dvsec(qts) +
                                  CXL_DVSEC_CTRL2) >> 16 &
                    R_CXL_DVSEC_STATUS2_CXL_RESET_COMPLETE_MASK, ==, 0);
    qtest_quit(qts);
    cxl_accel_stop(&a);
}

/*
 * A guest's CXL Reset on a Cache_Capable device: QEMU has the cache
 * written back first, polling for Cache Invalid from a timer rather than
 * with the BQL held. Until the write-back is done Status2 reads no
 * completion and the guest's other accesses go on; the completion comes
 * with the virtual clock, with the cached lines in guest RAM.
 */
#define NS_PER_MS               1000000

static void test_cxl_reset_write_back_async(void)
{
    const uint32_t len = 4 * KiB;
    const uint16_t done = R_CXL_DVSEC_STATUS2_CXL_RESET_COMPLETE_MASK |
                          R_CXL_DVSEC_STATUS2_CXL_RESET_ERROR_MASK;
    g_autofree uint8_t *pattern = g_malloc(len);
    g_autofree uint8_t *got = g_malloc(len);
    uint64_t base, page, ram = arch()->ram_addr;
    uint16_t st2;
    QTestState *qts;
    unsigned ms;
    CXLAccel a;

    if (!cxl_accel_binary_or_skip()) {
        return;
    }
    qts = cache_vm_start(&a);
    base = window_base(qts);
    fill(pattern, len, 0x3c);
    qtest_memwrite(qts, base + 0x20000, pattern, len);
    qtest_memset(qts, ram, 0, len);
    page = cached_copy(qts, base + 0x20000, ram, len);

    st2 = guest_cxl_reset(qts);
    g_assert_cmphex(st2 & done, ==, 0);
    /* The vCPU's MMIO goes on meanwhile: the BAR and the memory answer */
    g_assert_cmphex(qtest_readl(qts, page + ACCEL_REG_ID), ==,
                    ACCEL_ID_VALUE);
    g_assert_cmphex(cfg_ext_readl(qts, DEV_BUS, device_dvsec(qts) +
                                  CXL_DVSEC_CTRL2) >> 16 & done, ==, 0);
    for (ms = 0; ms < 2000; ms++) {
        qtest_clock_step(qts, NS_PER_MS);
        st2 = cfg_ext_readl(qts, DEV_BUS, device_dvsec(qts) +
                            CXL_DVSEC_CTRL2) >> 16;
        if (st2 & done) {
            break;
        }
    }
    g_assert_cmphex(st2 & done, ==,
                    R_CXL_DVSEC_STATUS2_CXL_RESET_COMPLETE_MASK);
    /* Written back before the reset, which discards the device's cache */
    qtest_memread(qts, ram, got, len);
    g_assert_cmpint(memcmp(got, pattern, len), ==, 0);
    g_assert_cmpuint(mapped_bytes(qts, base, 4 * GiB), ==, 256 * MiB);
    qtest_quit(qts);
    cxl_accel_stop(&a);
}

/* Not CXL Reset Capable: CXL Reset Error, and nothing is reset. */
static void test_cxl_reset_not_capable(void)
{
    uint64_t base, hdm;
    QTestState *qts;
    CXLAccel a;

    if (!cxl_accel_binary_or_skip()) {
        return;
    }
    qts = vm_start(&a, "--mem-size 256M --fault no-cxl-reset", NULL, NULL);
    base = window_base(qts);
    hdm = hdm_block(qts, map_bar(qts));
    qtest_writeq(qts, base + 0x5000, 0xfedcba9876543210ULL);
    g_assert_cmphex(guest_cxl_reset(qts) &
                    (R_CXL_DVSEC_STATUS2_CXL_RESET_COMPLETE_MASK |
                     R_CXL_DVSEC_STATUS2_CXL_RESET_ERROR_MASK), ==,
                    R_CXL_DVSEC_STATUS2_CXL_RESET_ERROR_MASK);
    check_decoder(qts, hdm, base, 256 * MiB);
    g_assert_cmphex(qtest_readq(qts, base + 0x5000), ==,
                    0xfedcba9876543210ULL);
    qtest_quit(qts);
    cxl_accel_stop(&a);
}

/*
 * The FLR bit written to a function without FLR in its Device
 * Capabilities does nothing (PCIe r6.0 7.5.3.4): the guest's decoders
 * stay committed.
 */
static void test_flr_not_capable(void)
{
    uint64_t win, hdm;
    QTestState *qts;
    CXLAccel a;

    if (!cxl_accel_binary_or_skip()) {
        return;
    }
    qts = vm_start_guest(&a, "--mem-size 256M --fault no-flr", NULL);
    win = window_base(qts);
    hdm = hdm_block(qts, map_bar(qts));
    g_assert_cmphex(cfg_readl(qts, DEV_BUS, pcie_cap(qts, DEV_BUS) +
                              PCI_EXP_DEVCAP) & PCI_EXP_DEVCAP_FLR, ==, 0);
    hdm_enable(qts, hdm, true);
    g_assert_cmphex(hdm_commit(qts, hdm, 0, win, 256 * MiB, 0, 0), ==,
                    CTRL_COMMIT | CTRL_COMMITTED);
    flr(qts);
    g_assert_cmphex(hdm_ctrl(qts, hdm, 0), ==, CTRL_COMMIT | CTRL_COMMITTED);
    g_assert_cmpuint(mapped_bytes(qts, win, 4 * GiB), ==, 256 * MiB);
    check_dpa(qts, &a, win + 0x3000, 0x3000, 0x600d0020);
    qtest_quit(qts);
    cxl_accel_stop(&a);
}

/*
 * The RAS capability's status registers are write-1-to-clear (CXL r3.1
 * 8.2.4.17) and COMP_REGS takes dwords only: a byte the guest writes
 * clears exactly its 1s, and the other bytes' bits stay.
 */
static void test_ras_rw1c(void)
{
    uint64_t bar, cm, ras = 0;
    uint32_t hdr;
    QTestState *qts;
    CXLAccel a;
    unsigned i;

    if (!cxl_accel_binary_or_skip()) {
        return;
    }
    qts = vm_start(&a, "--mem-size 256M --fault ras-errors", NULL, NULL);
    bar = map_bar(qts);
    cm = block_addr(qts, bar) + CXL_CACHEMEM_OFFSET;
    hdr = qtest_readl(qts, cm);
    for (i = 1; i <= FIELD_EX32(hdr, CXL_CAP_ARRAY_HDR, ARRAY_SIZE); i++) {
        uint32_t entry = qtest_readl(qts, cm + 4 * i);

        if (FIELD_EX32(entry, CXL_CAP_HDR, ID) == CXL_CAP_ID_RAS) {
            ras = cm + FIELD_EX32(entry, CXL_CAP_HDR, PTR);
        }
    }
    g_assert_cmphex(ras, !=, 0);
    /* Uncorrectable Error Status: bits 0 and 7, 10, 16 */
    g_assert_cmphex(qtest_readl(qts, ras), ==, 0x00010481);
    /* A byte of 0s to byte 3, of 1s to byte 1: bit 10 goes, no more */
    qtest_writeb(qts, ras + 3, 0);
    g_assert_cmphex(qtest_readl(qts, ras), ==, 0x00010481);
    qtest_writeb(qts, ras + 1, 0x04);
    g_assert_cmphex(qtest_readl(qts, ras), ==, 0x00010081);
    qtest_writeb(qts, ras, 0x01);
    g_assert_cmphex(qtest_readl(qts, ras), ==, 0x00010080);
    /* A word to the upper half */
    qtest_writew(qts, ras + 2, 0x0001);
    g_assert_cmphex(qtest_readl(qts, ras), ==, 0x00000080);
    /* Correctable Error Status (0xc): bits 0 and 6 */
    qtest_writeb(qts, ras + 0xd, 0xff);
    g_assert_cmphex(qtest_readl(qts, ras + 0xc), ==, 0x00000041);
    qtest_writeb(qts, ras + 0xc, 0x40);
    g_assert_cmphex(qtest_readl(qts, ras + 0xc), ==, 0x00000001);
    qtest_quit(qts);
    cxl_accel_stop(&a);
}

/*
 * x-cxl-no-mem-dma=on: accepted (the decision for an iommufd backend is
 * unit tested in test-vfio-cxl-uapi); with vfio-user the memory is still
 * DMA mapped for the device.
 */
static void test_no_mem_dma_property(void)
{
    QTestState *qts;
    uint64_t base;
    CXLAccel a;

    if (!cxl_accel_binary_or_skip()) {
        return;
    }
    qts = vm_start(&a, "--mem-size 256M", NULL,
                   ",\"bus\":\"rp0\",\"x-cxl-no-mem-dma\":true");
    base = window_base(qts);
    g_assert_cmpuint(mapped_bytes(qts, base, 4 * GiB), ==, 256 * MiB);
    check_dpa(qts, &a, base + 0x4000, 0x4000, 0x600d0030);
    qtest_quit(qts);
    cxl_accel_stop(&a);
}

/*
 * Through a kernel driver: the same QEMU code with -device vfio-pci on a
 * host whose kernel serves the v2 UAPI (contrib/vfio-cxl-pci), in the
 * nested test bed of mk/check-host.sh. $CXL_HOST_BDF names the device;
 * then only these tests run. Nothing here can see the device's memory
 * from outside: "check-host: expect-devmem OFFSET HEX" lines tell the test
 * bed what must be at which DPA, and $CXL_HOST_PATTERN ("OFFSET:HEX")
 * what the test bed put there before.
 */
#define HOST_OWN_DPA    0x300000
/* The copy engine's first leg: clear of the bed's pattern, read later too */
#define HOST_DMA_DPA    0x600000
#define HOST_COPY_DPA   0x800000
/* The inner guest's window: room for the test bed's 64 GiB device */
#define HOST_WINDOW     (128 * GiB)

static char *qom_get_str(QTestState *qts, const char *path,
                         const char *prop);

/*
 * The device through the nested host's kernel: with $CXL_HOST_IOMMUFD,
 * behind iommufd (cdev) rather than the type1 container. The revision of
 * the CXL interface QEMU finds must be what the bed loaded the driver
 * with ($CXL_HOST_UAPI, default v2).
 */
/*
 * @machine_extra goes into -M, @dev_extra into the device's options,
 * @qemu_extra at the end (after -m and -cpu, so its own win). virt gets
 * -cpu max: its default CPU's 40-bit physical address space has no room
 * for a window above the high PCI MMIO at 1 TiB.
 */
static char *host_args(const char *machine_extra, const char *dev_extra,
                       const char *qemu_extra)
{
    const char *data_dir = g_getenv("QEMU_DATA_DIR");
    bool iommufd = g_getenv("CXL_HOST_IOMMUFD");

    return g_strdup_printf(
        "%s%s -M %s,cxl=on%s,cxl-fmw.0.targets.0=cxl.1,"
        "cxl-fmw.0.size=%" PRIu64 "G %s"
        "-m 128M -nodefaults %s"
        "-device pxb-cxl,bus_nr=%d,bus=pcie.0,id=cxl.1,"
        "hdm_for_passthrough=on "
        "-device cxl-rp,port=0,bus=cxl.1,id=rp0,chassis=0,slot=2 "
        "-device vfio-pci,host=%s,bus=rp0,id=accel0%s%s %s",
        data_dir ? "-L " : "", data_dir ?: "", arch()->machine,
        machine_extra ?: "", HOST_WINDOW / GiB,
        arch() == &arch_arm ? "-cpu max " : "",
        iommufd ? "-object iommufd,id=iommufd0 " : "", HB_BUS,
        g_getenv("CXL_HOST_BDF"), iommufd ? ",iommufd=iommufd0" : "",
        dev_extra ?: "", qemu_extra ?: "");
}

static QTestState *host_start_ext(const char *machine_extra,
                                  const char *dev_extra,
                                  const char *qemu_extra)
{
    const char *uapi = g_getenv("CXL_HOST_UAPI") ?: "v2";
    g_autofree char *args = host_args(machine_extra, dev_extra, qemu_extra);
    QTestState *qts = qtest_init(args);
    g_autofree char *got = qom_get_str(qts, "/machine/peripheral/accel0",
                                       "cxl-uapi");

    g_assert_cmpstr(got, ==, uapi);
    return qts;
}

static QTestState *host_start(const char *dev_extra)
{
    return host_start_ext(NULL, dev_extra, NULL);
}

/* A v5 host serves the memory only with Memory Space on; a reset clears */
static bool host_v5(void)
{
    return !g_strcmp0(g_getenv("CXL_HOST_UAPI"), "v5");
}

/* Tell the test bed what the device's memory must hold at @dpa */
static void host_expect(const uint8_t *bytes, size_t len, uint64_t dpa)
{
    g_autofree char *hex = g_malloc0(2 * len + 1);
    size_t i;

    for (i = 0; i < len; i++) {
        sprintf(hex + 2 * i, "%02x", bytes[i]);
    }
    printf("check-host: expect-devmem 0x%" PRIx64 " %s\n", dpa, hex);
    fflush(stdout);
}

/* What the test bed wrote before the nested host booted reads back */
static void host_check_pattern(QTestState *qts, uint64_t base)
{
    const char *pattern = g_getenv("CXL_HOST_PATTERN");
    g_autofree uint8_t *got = NULL;
    g_autofree char *hex = NULL;
    uint64_t off;
    char want[65];
    size_t i, len;

    if (!pattern || sscanf(pattern, "%" SCNx64 ":%64s", &off, want) != 2) {
        g_test_skip("no $CXL_HOST_PATTERN");
        return;
    }
    len = strlen(want) / 2;
    got = g_malloc(len);
    hex = g_malloc0(2 * len + 1);
    qtest_memread(qts, base + off, got, len);
    for (i = 0; i < len; i++) {
        sprintf(hex + 2 * i, "%02x", got[i]);
    }
    g_assert_cmpstr(hex, ==, want);
}

/*
 * Firmware mode: the kernel's CXL capability found, the window placed and
 * the decoder committed there; bytes both ways; the mapping survives a
 * system reset (VFIO_DEVICE_RESET) with the bytes.
 */
static void test_host_memory(void)
{
    static const uint8_t own[16] = "inner-guest-says";
    uint8_t got[sizeof(own)];
    uint64_t base, hdm, size;
    QTestState *qts = host_start(NULL);
    g_autofree char *mtree = NULL;

    base = window_base(qts);
    hdm = hdm_block(qts, map_bar(qts));
    size = mapped_bytes(qts, base, HOST_WINDOW);
    g_assert_cmpuint(size, >=, 256 * MiB);
    check_decoder(qts, hdm, base, size);
    /* The decoder registers are QEMU's, over the kernel's COMP_REGS */
    mtree = qtest_hmp(qts, "info mtree");
    g_assert_nonnull(strstr(mtree, "vfio-cxl-comp-regs"));

    host_check_pattern(qts, base);
    qtest_memwrite(qts, base + HOST_OWN_DPA, own, sizeof(own));
    qtest_memread(qts, base + HOST_OWN_DPA, got, sizeof(got));
    g_assert_cmpmem(got, sizeof(got), own, sizeof(own));
    host_expect(own, sizeof(own), HOST_OWN_DPA);

    qtest_system_reset(qts);
    if (host_v5()) {
        /* Nothing served until Memory Space is on; then cleared */
        g_assert_cmpuint(mapped_bytes(qts, base, HOST_WINDOW), ==, 0);
    }
    map_bar(qts);
    check_decoder(qts, hdm, base, size);
    g_assert_cmpuint(mapped_bytes(qts, base, HOST_WINDOW), ==, size);
    /*
     * v2 keeps the memory across a reset. A v5 host's reset is a CXL Reset,
     * which clears the memory only where the device is Reset Mem Clr
     * Capable; the bed's device is not, so it holds the bytes here too.
     */
    qtest_memread(qts, base + HOST_OWN_DPA, got, sizeof(got));
    g_assert_cmpmem(got, sizeof(got), own, sizeof(own));
    qtest_quit(qts);
}

/*
 * The copy engine moves inner-guest RAM -> device memory -> device memory
 * -> inner-guest RAM at inner-guest addresses: through the nested host's
 * type1 container, its IOMMU and the outer QEMU's, to the device.
 */
static void test_host_dma_copy(void)
{
    const size_t len = 64 * KiB;
    g_autofree uint8_t *pattern = g_malloc(len);
    g_autofree uint8_t *got = g_malloc(len);
    uint64_t base, page, ram = arch()->ram_addr;
    QTestState *qts = host_start(NULL);

    base = window_base(qts);
    page = regs_page(qts, map_bar(qts));
    enable_bus_master(qts);

    fill(pattern, len, 0x3c);
    qtest_memwrite(qts, ram, pattern, len);
    g_assert_cmphex(dma_copy(qts, page, ram, base + HOST_DMA_DPA, len), ==,
                    ACCEL_DMA_STATUS_DONE);
    qtest_memread(qts, base + HOST_DMA_DPA, got, len);
    g_assert_cmpmem(got, len, pattern, len);
    g_assert_cmphex(dma_copy(qts, page, base + HOST_DMA_DPA,
                             base + HOST_COPY_DPA, len), ==,
                    ACCEL_DMA_STATUS_DONE);
    g_assert_cmphex(dma_copy(qts, page, base + HOST_COPY_DPA, ram + 0x400000,
                             len), ==, ACCEL_DMA_STATUS_DONE);
    qtest_memread(qts, ram + 0x400000, got, len);
    g_assert_cmpmem(got, len, pattern, len);
    host_expect(pattern, 32, HOST_COPY_DPA);
    qtest_quit(qts);
}

/*
 * cxl-decoders=guest through the kernel's COMP_REGS: nothing committed at
 * first, a commit maps, a refused commit maps nothing, a reset unmaps.
 */
static void test_host_guest_decoders(void)
{
    static const uint8_t own[8] = "guestdec";
    uint64_t win, hdm;
    QTestState *qts = host_start(",cxl-decoders=guest");

    win = window_base(qts);
    hdm = hdm_block(qts, map_bar(qts));
    g_assert_cmphex(hdm_ctrl(qts, hdm, 0), ==, 0);
    g_assert_cmpuint(mapped_bytes(qts, win, HOST_WINDOW), ==, 0);

    hdm_enable(qts, hdm, true);
    /* Outside the window: refused */
    g_assert_cmphex(hdm_commit(qts, hdm, 0, win + HOST_WINDOW, 256 * MiB, 0, 0)
                    & (CTRL_COMMITTED | CTRL_ERR), ==, CTRL_ERR);
    g_assert_cmpuint(mapped_bytes(qts, win, HOST_WINDOW), ==, 0);
    g_assert_cmphex(hdm_commit(qts, hdm, 0, win + GiB, 256 * MiB, 0, 0), ==,
                    CTRL_COMMIT | CTRL_COMMITTED);
    g_assert_cmpuint(mapped_bytes(qts, win, HOST_WINDOW), ==, 256 * MiB);
    qtest_memwrite(qts, win + GiB + 0x10000, own, sizeof(own));
    host_expect(own, sizeof(own), 0x10000);

    qtest_system_reset(qts);
    map_bar(qts);
    g_assert_cmphex(hdm_ctrl(qts, hdm, 0), ==, 0);
    g_assert_cmpuint(mapped_bytes(qts, win, HOST_WINDOW), ==, 0);
    qtest_quit(qts);
}

/* device_del, then a second device_add of the same device */
static void test_host_replug(void)
{
    g_autofree char *mtree = NULL;
    uint64_t base, size;
    QTestState *qts = host_start(NULL);

    base = window_base(qts);
    map_bar(qts);
    size = mapped_bytes(qts, base, HOST_WINDOW);
    g_assert_cmpuint(size, >=, 256 * MiB);
    unplug(qts, "accel0");
    g_assert_cmpuint(mapped_bytes(qts, base, HOST_WINDOW), ==, 0);

    slot_power_on(qts);
    qtest_qmp_assert_success(qts, "{ 'execute': 'device_add', 'arguments': "
                             "{ 'driver': 'vfio-pci', 'id': 'accel1', "
                             "'bus': 'rp0', 'host': %s } }",
                             g_getenv("CXL_HOST_BDF"));
    check_decoder(qts, hdm_block(qts, map_bar(qts)), base, size);
    mtree = qtest_hmp(qts, "info mtree");
    g_assert_nonnull(strstr(mtree, "cxl-memory"));
    g_assert_cmpuint(mapped_bytes(qts, base, HOST_WINDOW), ==, size);
    qtest_quit(qts);
}

/* Seeded nonsense over the component block: nothing new gets mapped */
static void test_host_nonsense(void)
{
    uint64_t bar, base, block, hdm, size;
    QTestState *qts = host_start(NULL);

    base = window_base(qts);
    bar = map_bar(qts);
    size = mapped_bytes(qts, base, HOST_WINDOW);
    block = block_addr(qts, bar);
    hdm = hdm_block(qts, bar);
    nonsense_writes(qts, block, hdm, NONSENSE_WRITES);
    check_decoder(qts, hdm, base, size);
    hdm_enable(qts, hdm, true);
    g_assert_cmpuint(mapped_bytes(qts, base, HOST_WINDOW), ==, size);
    qtest_quit(qts);
}

/* A value in kB of a /proc file's "NAME: value kB" line */
static uint64_t proc_kb(const char *path, const char *name)
{
    g_autofree char *text = NULL;
    char *line;
    uint64_t kb = 0;

    g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
    line = strstr(text, name);
    g_assert_nonnull(line);
    g_assert_cmpint(sscanf(line + strlen(name), ": %" SCNu64, &kb), ==, 1);
    return kb;
}

/*
 * However large the device memory (64 GiB in the test bed's 64g run),
 * realize, the DMA map and the guest's use of a few pages populate
 * nothing more: the inner QEMU's resident set is its RAM and code, the
 * nested host's page tables stay small.
 */
static void test_host_size(void)
{
    QTestState *qts = host_start(NULL);
    g_autofree char *status = g_strdup_printf("/proc/%d/status",
                                              (int)qtest_pid(qts));
    uint64_t base = window_base(qts);
    uint64_t rss, tables, size;

    map_bar(qts);
    size = mapped_bytes(qts, base, HOST_WINDOW);
    qtest_writeq(qts, base, 1);
    qtest_writeq(qts, base + size - 8, 2);
    rss = proc_kb(status, "VmRSS");
    tables = proc_kb("/proc/meminfo", "PageTables");
    g_test_message("device memory %" PRIu64 " MiB; inner QEMU VmRSS %" PRIu64
                   " MiB; nested host page tables %" PRIu64 " MiB",
                   size / MiB, rss / 1024, tables / 1024);
    printf("RESULT host_size mem_mib=%" PRIu64 " qemu_rss_mib=%" PRIu64
           " page_tables_mib=%" PRIu64 "\n", size / MiB, rss / 1024,
           tables / 1024);
    g_assert_cmpuint(rss, <, 384 * 1024);
    g_assert_cmpuint(tables, <, 32 * 1024);
    qtest_quit(qts);
}

/*
 * A bare-metal guest (tests/qtest/cxl-kvm-guest/, built apart: it needs
 * an aarch64 cross compiler) runs on the vCPUs, with its MMU on: under
 * KVM in the nested arm64 test bed ($CXL_HOST_KVM_GUEST names the ELF,
 * "host/kvm/" tests), and under TCG against the emulator over vfio-user
 * ($CXL_KVM_GUEST_ELF, "guest-code/" tests). The qtest does what firmware
 * would (BAR, bus master, the decoders) and hands the guest commands
 * through the mailbox of cxl-kvm-guest.h.
 */
#define KG_MB(field)    (CXL_KVM_GUEST_MAILBOX + \
                         offsetof(CXLKVMGuestMailbox, field))
/* The nested host runs under TCG: everything there is slow */
#define KG_TIMEOUT_S    120
/* When every device memory access traps to QEMU, the bench takes long */
#define KG_BENCH_TIMEOUT_S 600
/* Device memory the guest uses, clear of the other host/ tests' DPAs */
#define KG_PATTERN_DPA  0x340000    /* the test's own pattern, if no bed's */
#define KG_OWN_DPA      0x380000
#define KG_DMA_DPA      0xa00000
#define KG_BENCH_DPA    (32 * MiB)
/* Decoders test: at DPA 0x20000 of the decoder the test commits */
#define KG_PROBE_DPA    0x20000
#define KG_DMA_LEN      (64 * KiB)
/* Bytes per bench buffer: $CXL_HOST_KVM_BENCH_KIB, or this */
#define KG_BENCH_LEN    (1 * MiB)
#define KG_BENCH_REPS   5
#define KG_DECODER_ROUNDS 10
/* Guest RAM above the guest's image, within its 256 MiB */
#define KG_DMA_SRC      (arch_arm.ram_addr)
#define KG_DMA_DST      (arch_arm.ram_addr + 4 * MiB)
#define KG_BENCH_RAM    (arch_arm.ram_addr + 16 * MiB)
#define KG_CPU1_BUF     (arch_arm.ram_addr + 64 * MiB)
#define KG_CPU1_LEN     (64 * KiB)
#define KG_TEST_PATTERN "guest-code: the pattern at DPA"

QEMU_BUILD_BUG_ON(sizeof(CXLKVMGuestMailbox) > 4 * KiB);

typedef struct KVMGuest {
    QTestState *qts;
    bool emulated;      /* the emulator over vfio-user, under TCG */
    CXLAccel accel;     /* emulated only */
    uint64_t win, win_size, bar, page;
} KVMGuest;

/* Facts for the test bed on stdout; TAP comments in make check */
static void G_GNUC_PRINTF(2, 3) kg_say(KVMGuest *g, const char *fmt, ...)
{
    g_autofree char *msg = NULL;
    va_list ap;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    if (g->emulated) {
        g_test_message("%s", msg);
        return;
    }
    printf("check-host: kvm %s\n", msg);
    fflush(stdout);
}

/* @bytes must be at @dpa: in the emulator's file, or the bed checks */
static void kg_expect(KVMGuest *g, const uint8_t *bytes, size_t len,
                      uint64_t dpa)
{
    g_autofree uint8_t *got = NULL;
    int fd;

    if (!g->emulated) {
        host_expect(bytes, len, dpa);
        return;
    }
    got = g_malloc(len);
    fd = open(g->accel.mem, O_RDONLY);
    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(pread(fd, got, len, dpa), ==, len);
    g_assert_cmpmem(got, len, bytes, len);
    close(fd);
}

static void kg_exception(KVMGuest *g)
{
    QTestState *qts = g->qts;

    if (qtest_readq(qts, KG_MB(exc_cpu))) {
        g_test_message("guest exception on CPU %" PRIu64 ": ESR 0x%" PRIx64
                       " ELR 0x%" PRIx64 " FAR 0x%" PRIx64,
                       qtest_readq(qts, KG_MB(exc_cpu)) - 1,
                       qtest_readq(qts, KG_MB(exc_esr)),
                       qtest_readq(qts, KG_MB(exc_elr)),
                       qtest_readq(qts, KG_MB(exc_far)));
    }
}

static bool kg_timed_out(gint64 start, int timeout_s)
{
    g_usleep(10 * 1000);
    return g_get_monotonic_time() - start > timeout_s * G_USEC_PER_SEC;
}

/* The guest booted, its MMU on, and waits for go */
static void kg_wait_ready(KVMGuest *g)
{
    gint64 start = g_get_monotonic_time();
    uint64_t magic;

    while ((magic = qtest_readq(g->qts, KG_MB(magic))) !=
           CXL_KVM_GUEST_MAGIC) {
        if (kg_timed_out(start, KG_TIMEOUT_S)) {
            kg_exception(g);
            g_test_message("step 'boot' did not finish in %d s: no magic in "
                           "the guest's mailbox", KG_TIMEOUT_S);
            g_assert_cmphex(magic, ==, CXL_KVM_GUEST_MAGIC);
        }
    }
}

/* Run @cmd, whose arguments are in the mailbox, and check its status */
static void kg_run_timeout(KVMGuest *g, uint64_t cmd, const char *step,
                           int timeout_s)
{
    QTestState *qts = g->qts;
    uint64_t go = qtest_readq(qts, KG_MB(done)) + 1;
    gint64 start = g_get_monotonic_time();
    uint64_t done, status;

    qtest_writeq(qts, KG_MB(cmd), cmd);
    qtest_writeq(qts, KG_MB(go), go);
    while ((done = qtest_readq(qts, KG_MB(done))) != go) {
        /* Leave the nested host's CPUs to the vCPUs */
        g_usleep(1000);
        if (kg_timed_out(start, timeout_s)) {
            kg_exception(g);
            g_test_message("step '%s' did not finish in %d s", step,
                           timeout_s);
            g_assert_cmpuint(done, ==, go);
        }
    }
    status = qtest_readq(qts, KG_MB(status));
    if (status != CXL_KVM_OK) {
        kg_exception(g);
        g_test_message("step '%s' failed: status %" PRIu64 ", detail 0x%"
                       PRIx64 ", DMA_STATUS 0x%" PRIx64 ", PSCI %" PRId64,
                       step, status, qtest_readq(qts, KG_MB(detail)),
                       qtest_readq(qts, KG_MB(dma_status)),
                       (int64_t)qtest_readq(qts, KG_MB(psci_ret)));
    }
    g_assert_cmpuint(status, ==, CXL_KVM_OK);
}

static void kg_run(KVMGuest *g, uint64_t cmd, const char *step)
{
    kg_run_timeout(g, cmd, step, KG_TIMEOUT_S);
}

/* What firmware does again after a reset: the BAR, bus master */
static void kg_firmware(KVMGuest *g)
{
    g->bar = map_bar(g->qts);
    g->page = regs_page(g->qts, g->bar);
    enable_bus_master(g->qts);
    qtest_writeq(g->qts, KG_MB(win), g->win);
    qtest_writeq(g->qts, KG_MB(win_size), g->win_size);
    qtest_writeq(g->qts, KG_MB(regs), g->page);
}

/*
 * QEMU on two vCPUs with the guest: under KVM with the host's device
 * ($CXL_HOST_KVM_GUEST), or under TCG with the emulator. False when the
 * test is skipped.
 */
#ifndef KVM_CAP_ARM_CACHEABLE_PFNMAP_SUPPORTED
#define KVM_CAP_ARM_CACHEABLE_PFNMAP_SUPPORTED 243  /* Linux 6.17 */
#endif

/*
 * What KVM answers a VM about cacheable VM_PFNMAP memory (arm64: FEAT_S2FWB
 * and CTR_EL0.DIC), as QEMU asks it; -1 when there is no KVM to ask.
 */
static int kvm_cacheable_pfnmap(void)
{
    int kvm = open("/dev/kvm", O_RDWR);
    int vm, cap;

    if (kvm < 0) {
        return -1;
    }
    vm = ioctl(kvm, KVM_CREATE_VM, 0);
    g_assert_cmpint(vm, >=, 0);
    cap = ioctl(vm, KVM_CHECK_EXTENSION,
                KVM_CAP_ARM_CACHEABLE_PFNMAP_SUPPORTED);
    close(vm);
    close(kvm);
    return MAX(cap, 0);
}

static bool kg_start(KVMGuest *g, bool emulated, bool guest_decoders)
{
    const char *elf = g_getenv(emulated ? "CXL_KVM_GUEST_ELF" :
                               "CXL_HOST_KVM_GUEST");
    g_autofree char *extra = NULL;
    g_autofree char *args = NULL;
    QDict *rsp;

    memset(g, 0, sizeof(*g));
    g->emulated = emulated;
    if (!elf) {
        g_test_skip(emulated ? "no $CXL_KVM_GUEST_ELF: build "
                    "tests/qtest/cxl-kvm-guest/ as its guest.c says" :
                    "no $CXL_HOST_KVM_GUEST: no guest for KVM");
        return false;
    }
    g_assert_true(g_file_test(elf, G_FILE_TEST_IS_REGULAR));
    extra = g_strdup_printf("-accel %s -cpu %s -smp 2 -m 256M -kernel %s",
                            emulated ? "tcg" : "kvm",
                            emulated ? "max" : "host", elf);
    if (emulated) {
        if (!cxl_accel_binary_or_skip()) {
            return false;
        }
        cxl_accel_start(&g->accel, "--mem-size 256M");
        args = cmdline(&g->accel, ",gic-version=3,cxl-fmw.0.targets.0=cxl.1,"
                       "cxl-fmw.0.size=4G",
                       guest_decoders ? GUEST_DECODERS : NULL);
        g->qts = qtest_initf("%s %s", args, extra);
        g->win_size = 4 * GiB;
    } else {
        switch (kvm_cacheable_pfnmap()) {
        case -1:
            g_test_skip("/dev/kvm cannot be opened");
            return false;
        case 0:
            g_test_skip("KVM cannot map the device memory cacheable here: "
                        "host/kvm/cacheable-check has QEMU refuse it");
            return false;
        }
        g->qts = host_start_ext(",gic-version=3", guest_decoders ?
                                ",cxl-decoders=guest" : NULL, extra);
        g->win_size = HOST_WINDOW;
        /* libqtest's -accel qtest comes after ours: a fallback to it */
        rsp = qtest_qmp(g->qts, "{ 'execute': 'query-kvm' }");
        g_assert_true(qdict_get_bool(qdict_get_qdict(rsp, "return"),
                                     "enabled"));
        qobject_unref(rsp);
    }
    g->win = window_base(g->qts);
    kg_firmware(g);
    kg_wait_ready(g);
    kg_say(g, "accel=%s cntfrq=%" PRIu64 " window=0x%" PRIx64,
           emulated ? "tcg" : "kvm", qtest_readq(g->qts, KG_MB(cntfrq)),
           g->win);
    return true;
}

static void kg_stop(KVMGuest *g)
{
    qtest_quit(g->qts);
    if (g->emulated) {
        cxl_accel_stop(&g->accel);
    }
}

/* The guest reads @len bytes at @addr into @buf */
static void kg_read(KVMGuest *g, uint64_t addr, void *buf, size_t len,
                    const char *step)
{
    g_assert_cmpuint(len, <=, CXL_KVM_READ_MAX);
    qtest_writeq(g->qts, KG_MB(read_addr), addr);
    qtest_writeq(g->qts, KG_MB(read_len), len);
    qtest_writeq(g->qts, KG_MB(write_addr), 0);
    kg_run(g, CXL_KVM_CMD_MEMORY, step);
    qtest_memread(g->qts, KG_MB(read), buf, len);
}

/*
 * What the test bed wrote into the device memory ($CXL_HOST_PATTERN,
 * "OFFSET:HEX"); without one, a pattern the test writes itself.
 */
static size_t kg_pattern(KVMGuest *g, uint64_t *dpa, uint8_t *want)
{
    const char *pattern = g_getenv("CXL_HOST_PATTERN");
    char hex[2 * CXL_KVM_READ_MAX + 1];
    size_t i, len;

    if (!g->emulated && pattern &&
        sscanf(pattern, "%" SCNx64 ":%64s", dpa, hex) == 2) {
        len = strlen(hex) / 2;
        for (i = 0; i < len; i++) {
            g_assert_cmpint(sscanf(hex + 2 * i, "%2hhx", &want[i]), ==, 1);
        }
        return len;
    }
    *dpa = KG_PATTERN_DPA;
    len = strlen(KG_TEST_PATTERN);
    memcpy(want, KG_TEST_PATTERN, len);
    qtest_memwrite(g->qts, g->win + *dpa, want, len);
    return len;
}

/* @got must be @want; if not, both are shown before the test fails */
static void kg_cmpmem(const char *what, const uint8_t *got,
                      const uint8_t *want, size_t len)
{
    g_autofree char *g_hex = NULL;
    g_autofree char *w_hex = NULL;

    if (!memcmp(got, want, len)) {
        return;
    }
    g_hex = g_malloc0(2 * len + 1);
    w_hex = g_malloc0(2 * len + 1);
    for (size_t i = 0; i < len; i++) {
        sprintf(g_hex + 2 * i, "%02x", got[i]);
        sprintf(w_hex + 2 * i, "%02x", want[i]);
    }
    g_test_message("%s: got %s, want %s", what, g_hex, w_hex);
    g_assert_cmpmem(got, len, want, len);
}

static void kg_pattern_bytes(uint8_t *buf, size_t len, uint64_t seed)
{
    size_t i;

    for (i = 0; i < len / 8; i++) {
        stq_le_p(buf + 8 * i, cxl_kvm_guest_pattern(seed, i));
    }
}

/*
 * The guest reads the pattern and writes its own bytes at KG_OWN_DPA;
 * then its copy engine run: RAM -> device memory at @dma_dpa -> RAM.
 */
static void kg_memory(KVMGuest *g, uint64_t seed, uint64_t dma_dpa)
{
    static const uint8_t own[] = CXL_KVM_GUEST_OWN;
    g_autofree uint8_t *pattern = g_malloc(KG_DMA_LEN);
    g_autofree uint8_t *got = g_malloc(KG_DMA_LEN);
    QTestState *qts = g->qts;
    uint8_t want[CXL_KVM_READ_MAX];
    uint64_t dpa;
    size_t len = kg_pattern(g, &dpa, want);

    qtest_writeq(qts, KG_MB(read_addr), g->win + dpa);
    qtest_writeq(qts, KG_MB(read_len), len);
    qtest_writeq(qts, KG_MB(write_addr), g->win + KG_OWN_DPA);
    kg_run(g, CXL_KVM_CMD_MEMORY, "read the pattern, write own bytes");
    qtest_memread(qts, KG_MB(read), got, len);
    kg_cmpmem("what the guest read", got, want, len);
    qtest_memread(qts, KG_MB(own_back), got, CXL_KVM_GUEST_OWN_LEN);
    kg_cmpmem("what the guest read back", got, own, CXL_KVM_GUEST_OWN_LEN);
    qtest_memread(qts, g->win + KG_OWN_DPA, got, CXL_KVM_GUEST_OWN_LEN);
    kg_cmpmem("what QEMU reads of the guest's write", got, own,
              CXL_KVM_GUEST_OWN_LEN);
    kg_expect(g, own, CXL_KVM_GUEST_OWN_LEN, KG_OWN_DPA);
    kg_say(g, "pattern-read ok dpa=0x%" PRIx64 " len=%zu", dpa, len);

    qtest_writeq(qts, KG_MB(dma_src), KG_DMA_SRC);
    qtest_writeq(qts, KG_MB(dma_dev), g->win + dma_dpa);
    qtest_writeq(qts, KG_MB(dma_dst), KG_DMA_DST);
    qtest_writeq(qts, KG_MB(dma_len), KG_DMA_LEN);
    qtest_writeq(qts, KG_MB(dma_seed), seed);
    kg_run(g, CXL_KVM_CMD_DMA, "copy engine RAM -> device -> RAM");
    kg_pattern_bytes(pattern, KG_DMA_LEN, seed);
    qtest_memread(qts, g->win + dma_dpa, got, KG_DMA_LEN);
    g_assert_cmpmem(got, KG_DMA_LEN, pattern, KG_DMA_LEN);
    qtest_memread(qts, KG_DMA_DST, got, KG_DMA_LEN);
    g_assert_cmpmem(got, KG_DMA_LEN, pattern, KG_DMA_LEN);
    kg_expect(g, pattern, 32, dma_dpa);
    kg_say(g, "dma-copy ok len=%d", (int)KG_DMA_LEN);
}

static double kg_us(KVMGuest *g, uint64_t ticks)
{
    return ticks * 1e6 / qtest_readq(g->qts, KG_MB(cntfrq));
}

/*
 * Read and copy speed of RAM against device memory, best of
 * KG_BENCH_REPS (the guest checks the data). Printed, not asserted: the
 * ratio is ~1 when KVM maps device memory as memory, far below when
 * every access traps to QEMU.
 */
static void kg_bench(KVMGuest *g)
{
    static const char *const kind[] = { "read", "copy" };
    const char *kib = g_getenv("CXL_HOST_KVM_BENCH_KIB");
    uint64_t len = kib ? g_ascii_strtoull(kib, NULL, 0) * KiB : KG_BENCH_LEN;
    QTestState *qts = g->qts;
    uint64_t ram[2], dev[2];
    int i;

    /* Two buffers each, in RAM and in device memory */
    g_assert_cmpuint(len, >, 0);
    g_assert_cmpuint(len, <=, 16 * MiB);
    qtest_writeq(qts, KG_MB(bench_ram), KG_BENCH_RAM);
    qtest_writeq(qts, KG_MB(bench_dev), g->win + KG_BENCH_DPA);
    qtest_writeq(qts, KG_MB(bench_len), len);
    qtest_writeq(qts, KG_MB(bench_reps), KG_BENCH_REPS);
    kg_run_timeout(g, CXL_KVM_CMD_BENCH, "bench", KG_BENCH_TIMEOUT_S);
    ram[0] = qtest_readq(qts, KG_MB(ticks_read_ram));
    dev[0] = qtest_readq(qts, KG_MB(ticks_read_dev));
    ram[1] = qtest_readq(qts, KG_MB(ticks_copy_ram));
    dev[1] = qtest_readq(qts, KG_MB(ticks_copy_dev));
    for (i = 0; i < 2; i++) {
        g_assert_cmpuint(dev[i], >, 0);
        if (g->emulated) {
            g_test_message("bench %s ram=%.1fus dev=%.1fus ratio=%.3f",
                           kind[i], kg_us(g, ram[i]), kg_us(g, dev[i]),
                           (double)ram[i] / dev[i]);
            continue;
        }
        printf("check-host: bench %s ram=%.1fus dev=%.1fus ratio=%.3f "
               "bytes=%" PRIu64 " reps=%d\n", kind[i], kg_us(g, ram[i]),
               kg_us(g, dev[i]), (double)ram[i] / dev[i], len,
               KG_BENCH_REPS);
        fflush(stdout);
    }
}

/*
 * The guest reads and writes the device memory, runs the copy engine and
 * the bench; after a system reset (the guest image reloaded, the BAR set
 * again) the memory still holds what it wrote, and it all works again.
 */
/*
 * x-query-cxl-passthrough's "kvm": under KVM on arm64, a kernel's
 * VM_PFNMAP memory KVM can map cacheable, mapped; under TCG no decision.
 */
static void kg_query_kvm(KVMGuest *g)
{
    QDict *rsp, *info, *kvm;

    info = cxlq_one(g->qts, &rsp);
    if (g->emulated) {
        g_assert_false(qdict_haskey(info, "kvm"));
    } else {
        kvm = qdict_get_qdict(info, "kvm");
        g_assert_nonnull(kvm);
        g_assert_cmpstr(qdict_get_str(kvm, "target"), ==, "arm64");
        g_assert_true(qdict_get_bool(kvm, "pfnmap"));
        g_assert_true(qdict_get_bool(kvm, "cacheable-pfnmap"));
        g_assert_cmpstr(qdict_get_str(kvm, "verdict"), ==, "map");
    }
    qobject_unref(rsp);
}

static void test_kvm_memory(const void *data)
{
    static const uint8_t own[] = CXL_KVM_GUEST_OWN;
    uint8_t want[32], got[32];
    KVMGuest g;

    if (!kg_start(&g, data != NULL, false)) {
        return;
    }
    kg_memory(&g, 0x6b766d31, KG_DMA_DPA);
    kg_bench(&g);
    kg_query_kvm(&g);

    qtest_system_reset(g.qts);
    kg_firmware(&g);
    kg_wait_ready(&g);
    kg_read(&g, g.win + KG_OWN_DPA, got, CXL_KVM_GUEST_OWN_LEN,
            "read own bytes after reset");
    g_assert_cmpmem(got, CXL_KVM_GUEST_OWN_LEN, own, CXL_KVM_GUEST_OWN_LEN);
    kg_read(&g, g.win + KG_DMA_DPA, got, sizeof(got),
            "read the copy after reset");
    kg_pattern_bytes(want, sizeof(want), 0x6b766d31);
    g_assert_cmpmem(got, sizeof(got), want, sizeof(want));
    kg_say(&g, "reset-kept ok");
    /* Elsewhere: the first copy stays what the bed checks at KG_DMA_DPA */
    kg_memory(&g, 0x6b766d32, KG_DMA_DPA + KG_DMA_LEN);
    kg_stop(&g);
}

/*
 * QEMU under KVM offers the device memory exactly when KVM can map it
 * cacheable: where KVM_CAP_ARM_CACHEABLE_PFNMAP_SUPPORTED is 0 (the bed's
 * no-s2fwb host) it refuses the device at realize and says why.
 */
static void test_kvm_cacheable_check(void)
{
    int cap = kvm_cacheable_pfnmap();
    g_autofree char *args = NULL;
    g_autofree char *err_out = NULL;
    QTestState *qts;
    QDict *rsp;

    if (cap < 0) {
        g_test_skip("/dev/kvm cannot be opened");
        return;
    }
    printf("check-host: kvm cacheable-pfnmap=%d on the VM fd\n", cap);
    fflush(stdout);
    if (cap) {
        qts = host_start_ext(",gic-version=3", NULL, "-accel kvm -cpu host");
        rsp = qtest_qmp(qts, "{ 'execute': 'query-kvm' }");
        g_assert_true(qdict_get_bool(qdict_get_qdict(rsp, "return"),
                                     "enabled"));
        qobject_unref(rsp);
        qtest_quit(qts);
        return;
    }
    args = host_args(",gic-version=3", NULL, "-cpu host");
    err_out = expect_startup_error_accel("kvm", args,
                                         "KVM_CAP_ARM_CACHEABLE_PFNMAP_"
                                         "SUPPORTED is 0");
    g_assert_nonnull(strstr(err_out, "cxl=off"));
    printf("check-host: kvm QEMU refused the device: %.*s\n",
           (int)strcspn(err_out, "\n"), err_out);
    fflush(stdout);
}

/* CPU 1's counter moves past @after; returns where it is */
static uint64_t kg_cpu1_moves(KVMGuest *g, uint64_t after, const char *what)
{
    gint64 start = g_get_monotonic_time();
    uint64_t count;

    while ((count = qtest_readq(g->qts, KG_MB(cpu1_count))) <= after) {
        if (kg_timed_out(start, KG_TIMEOUT_S)) {
            kg_exception(g);
            g_test_message("CPU 1's counter stopped at %" PRIu64 " after %s",
                           count, what);
            g_assert_cmpuint(count, >, after);
        }
    }
    return count;
}

/*
 * cxl-decoders=guest: while CPU 1 runs (counting, writing RAM), the HDM
 * decoder is committed and uncommitted again and again -- memory slots
 * come and go under running vCPUs; CPU 1 keeps going across each, and
 * CPU 0 reads what was written while the decoder maps the memory.
 */
static void test_kvm_guest_decoders(const void *data)
{
    uint8_t probe[32], got[32];
    uint64_t hdm, count, addr;
    KVMGuest g;
    int i;

    if (!kg_start(&g, data != NULL, true)) {
        return;
    }
    hdm = hdm_block(g.qts, g.bar);
    addr = g.win + GiB + KG_PROBE_DPA;
    g_assert_cmphex(hdm_ctrl(g.qts, hdm, 0), ==, 0);
    hdm_enable(g.qts, hdm, true);

    qtest_writeq(g.qts, KG_MB(cpu1_buf), KG_CPU1_BUF);
    qtest_writeq(g.qts, KG_MB(cpu1_len), KG_CPU1_LEN);
    kg_run(&g, CXL_KVM_CMD_CPU1_ON, "PSCI CPU_ON of CPU 1");
    count = kg_cpu1_moves(&g, 0, "CPU_ON");

    for (i = 0; i < KG_DECODER_ROUNDS; i++) {
        memset(probe, 0, sizeof(probe));
        snprintf((char *)probe, sizeof(probe), "decoder round %d", i);
        g_assert_cmphex(hdm_commit(g.qts, hdm, 0, g.win + GiB, 256 * MiB,
                                   0, 0), ==, CTRL_COMMIT | CTRL_COMMITTED);
        count = kg_cpu1_moves(&g, count, "a commit");
        qtest_memwrite(g.qts, addr, probe, sizeof(probe));
        kg_read(&g, addr, got, sizeof(got), "read while committed");
        g_assert_cmpmem(got, sizeof(got), probe, sizeof(probe));
        qtest_writel(g.qts, hdm + cxl_hdm_dec_reg(0, A_CXL_HDM_DEC_CTRL), 0);
        g_assert_cmphex(hdm_ctrl(g.qts, hdm, 0), ==, 0);
        g_assert_cmpuint(mapped_bytes(g.qts, g.win, g.win_size), ==, 0);
        count = kg_cpu1_moves(&g, count, "an uncommit");
    }
    kg_expect(&g, probe, sizeof(probe), KG_PROBE_DPA);
    /* CPU 1 wrote its buffer (word 1 at its first round) */
    g_assert_cmpuint(qtest_readq(g.qts, KG_CPU1_BUF + 8), !=, 0);
    kg_say(&g, "decoder-rounds=%d cpu1-count=%" PRIu64, KG_DECODER_ROUNDS,
           count);
    kg_stop(&g);
}

/*
 * The kernel series' v5 interface (vfio-user-cxl-accel --uapi v5): no
 * device capability, COMP_REGS the decoder block read live with BASE the
 * host's address, writes dropped, memory served only while Memory Space
 * Enable is set, a reset that clears it.
 */
#define V5                      "--uapi v5 "
/* Where the emulator's "firmware" committed decoder 0 on the host */
#define ACCEL_FW_HOST_BASE      0x4000000000ULL

static char *qom_get_str(QTestState *qts, const char *path,
                         const char *prop)
{
    QDict *rsp = qtest_qmp(qts, "{ 'execute': 'qom-get', 'arguments': "
                           "{ 'path': %s, 'property': %s } }", path, prop);
    char *val;

    g_assert_true(qdict_haskey(rsp, "return"));
    val = g_strdup(qdict_get_str(rsp, "return"));
    qobject_unref(rsp);
    return val;
}

static void check_uapi(const char *accel_args, const char *dev_extra,
                       const char *want)
{
    g_autofree char *got = NULL;
    QTestState *qts;
    CXLAccel a;

    qts = vm_start(&a, accel_args, NULL, dev_extra);
    got = qom_get_str(qts, "/machine/peripheral/accel0", "cxl-uapi");
    g_assert_cmpstr(got, ==, want);
    qtest_quit(qts);
    cxl_accel_stop(&a);
}

/* The read-only property cxl-uapi says what QEMU detected. */
static void test_uapi_property(void)
{
    if (!cxl_accel_binary_or_skip()) {
        return;
    }
    check_uapi("--mem-size 256M", NULL, "v2");
    check_uapi(V5 "--mem-size 256M", NULL, "v5");
    check_uapi(V5 "--mem-size 256M", ",\"bus\":\"rp0\",\"cxl\":\"off\"",
               "none");
}

/* A device that realized, then a bus that does not exist: QEMU stops */
#define STOP_AFTER_DEVICE \
    " -device '{\"driver\":\"cxl-rp\",\"bus\":\"no-such-bus\"}'"

/* cxl=off leaves the device memory unmapped and says so, once */
static void test_cxl_off_says_so(void)
{
    g_autofree char *extra = NULL;
    g_autofree char *args = NULL;
    g_autofree char *err_out = NULL;
    CXLAccel a;

    if (!cxl_accel_binary_or_skip()) {
        return;
    }
    cxl_accel_start(&a, "--mem-size 256M");
    extra = cmdline(&a, NULL, ",\"bus\":\"rp0\",\"cxl\":\"off\"");
    args = g_strconcat(extra, STOP_AFTER_DEVICE, NULL);
    err_out = expect_startup_error(args, "no-such-bus");
    g_assert_cmpuint(count_str(err_out, "cxl=off: the CXL device is passed "
                               "through as plain PCI; its device memory is "
                               "not mapped"), ==, 1);
    cxl_accel_stop(&a);
}

/*
 * Under KVM, when /dev/kvm opens: the decision runs at realize, and a
 * vfio-user server's memory -- a file, ordinary memory to KVM -- is
 * mapped without the x86 uncached warning, which is for the kernel's
 * VM_PFNMAP (tests/unit/test-vfio-cxl-kvm.c has every verdict).
 */
static void test_kvm_decision(void)
{
    g_autofree char *extra = NULL;
    g_autofree char *cmd = NULL;
    g_autofree char *out = NULL;
    g_autofree char *err_out = NULL;
    g_autoptr(GError) err = NULL;
    g_auto(GStrv) argv = NULL;
    int fd, status;
    CXLAccel a;

    fd = open("/dev/kvm", O_RDWR);
    if (fd < 0) {
        g_test_skip("/dev/kvm cannot be opened");
        return;
    }
    close(fd);
    if (!cxl_accel_binary_or_skip()) {
        return;
    }
    cxl_accel_start(&a, "--mem-size 256M");
    extra = cmdline(&a, NULL, NULL);
    /* Not expect_startup_error(): its -accel qtest would come first */
    cmd = g_strdup_printf("timeout 60 %s -accel kvm -S -display none %s "
                          "-trace vfio_cxl_kvm_decision" STOP_AFTER_DEVICE,
                          g_getenv("QTEST_QEMU_BINARY"), extra);
    g_shell_parse_argv(cmd, NULL, &argv, &err);
    g_assert_no_error(err);
    g_spawn_sync(NULL, argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out,
                 &err_out, &status, &err);
    g_assert_no_error(err);
    g_test_message("stderr: %s", err_out);
    if (!strstr(err_out, "no-such-bus")) {
        /* KVM itself did not come up (nested, no permission...) */
        g_assert_nonnull(strstr(err_out, "kvm"));
        g_test_skip("KVM does not initialize here");
    } else {
        g_assert_cmpuint(count_str(err_out, ": accel kvm-x86, host "
                                   "VM_PFNMAP 0, KVM_CAP_ARM_CACHEABLE_"
                                   "PFNMAP_SUPPORTED -1 (-1: not asked): "
                                   "map\n"), ==, 1);
        g_assert_null(strstr(err_out, "uncached (UC)"));
    }
    cxl_accel_stop(&a);
}

/*
 * The host's physical address reaches neither the guest (decoder BASE,
 * DVSEC Range Base) nor a trace; what QEMU decided is traced.
 */
static void test_v5_host_address_hidden(void)
{
    g_autofree char *log_path = NULL;
    g_autofree char *log = NULL;
    g_autofree char *extra = NULL;
    uint64_t base, hdm;
    QTestState *qts;
    const char *line;
    int dvsec;
    CXLAccel a;

    if (!cxl_accel_binary_or_skip()) {
        return;
    }
    cxl_accel_start(&a, V5 "--mem-size 512M");
    log_path = g_strdup_printf("%s/qemu.log", a.dir);
    extra = cmdline(&a, NULL, NULL);
    qts = qtest_initf("%s -trace 'vfio_cxl_*' -D %s", extra, log_path);
    base = window_base(qts);
    hdm = hdm_block(qts, map_bar(qts));
    check_decoder(qts, hdm, base, 512 * MiB);
    dvsec = device_dvsec(qts);
    g_assert_cmphex(range1_base(qts, dvsec), ==, base);
    /* A system reset reads the host's decoders again */
    qtest_system_reset(qts);
    check_decoder(qts, hdm_block(qts, map_bar(qts)), base, 512 * MiB);
    qtest_quit(qts);

    g_assert_true(g_file_get_contents(log_path, &log, NULL, NULL));
    g_assert_nonnull(strstr(log, "CXL interface v5: VFIO_DEVICE_FLAGS_CXL "
                            "without a device capability"));
    g_assert_nonnull(strstr(log, "found by the COMP_REGS region capability "
                            "and the device's registers"));
    /* COMP_REGS was read (decoder 0 BASE_HI is at 0x14), its BASE not shown */
    g_assert_nonnull(strstr(log, "COMP_REGS[0x14] -> 0x00000000"));
    g_assert_null(strstr(log, "-> 0x00000040"));
    g_assert_null(strstr(log, "4000000000"));
    /* QEMU never wrote COMP_REGS */
    for (line = strstr(log, "COMP_REGS["); line;
         line = strstr(line + 1, "COMP_REGS[")) {
        g_assert_false(g_str_has_prefix(strchr(line, ']'), "] <- "));
    }
    cxl_accel_stop(&a);
}

static void set_memory_space(QTestState *qts, bool on)
{
    cfg_writel(qts, DEV_BUS, PCI_COMMAND, on ? PCI_COMMAND_MEMORY : 0);
}

/*
 * Memory Space Enable gates the memory: QEMU takes it out of the guest
 * before the device sees the bit cleared (the emulator then faults any
 * access of QEMU's mapping, as the kernel does), and puts it back when
 * the bit is set; the contents stay.
 */
static void test_v5_gate(void)
{
    uint64_t base;
    QTestState *qts;
    CXLAccel a;

    if (!cxl_accel_binary_or_skip()) {
        return;
    }
    qts = vm_start(&a, V5 "--mem-size 512M", NULL, NULL);
    base = window_base(qts);
    /* Nothing is served before the guest enables the function */
    g_assert_cmpuint(mapped_bytes(qts, base, 4 * GiB), ==, 0);
    map_bar(qts);
    g_assert_cmpuint(mapped_bytes(qts, base, 4 * GiB), ==, 512 * MiB);
    check_dpa(qts, &a, base + 0x3000, 0x3000, 0x6a7e0001);

    set_memory_space(qts, false);
    g_assert_cmpuint(mapped_bytes(qts, base, 4 * GiB), ==, 0);
    /* A guest access meets the unmapped window: QEMU runs on */
    g_assert_cmphex(qtest_readl(qts, base + 0x3000), !=, 0x6a7e0001);
    qtest_writel(qts, base + 0x3000, 0xdeadbeef);
    qtest_qmp_assert_success(qts, "{ 'execute': 'query-status' }");

    set_memory_space(qts, true);
    g_assert_cmpuint(mapped_bytes(qts, base, 4 * GiB), ==, 512 * MiB);
    g_assert_cmphex(qtest_readl(qts, base + 0x3000), ==, 0x6a7e0001);

    /* Hot-unplug with the gate closed releases cleanly */
    set_memory_space(qts, false);
    unplug(qts, "accel0");
    qtest_quit(qts);
    cxl_accel_stop(&a);
}

/*
 * A reset on v5 is a CXL Reset: the device memory is cleared, and QEMU
 * places the decoders again from the live registers and maps the memory
 * again once Memory Space Enable is set. A guest FLR is the same.
 */
static void test_v5_reset_clears(void)
{
    uint64_t base, bar;
    QTestState *qts;
    CXLAccel a;
    int pcie;

    if (!cxl_accel_binary_or_skip()) {
        return;
    }
    qts = vm_start(&a, V5 "--mem-size 256M", NULL, NULL);
    base = window_base(qts);
    map_bar(qts);
    check_dpa(qts, &a, base + 0x5000, 0x5000, 0x0badf00d);

    qtest_system_reset(qts);
    g_assert_cmpuint(mapped_bytes(qts, base, 4 * GiB), ==, 0);
    bar = map_bar(qts);
    check_decoder(qts, hdm_block(qts, bar), base, 256 * MiB);
    g_assert_cmpuint(mapped_bytes(qts, base, 4 * GiB), ==, 256 * MiB);
    g_assert_cmphex(qtest_readl(qts, base + 0x5000), ==, 0);
    check_dpa(qts, &a, base + 0x6000, 0x6000, 0x5eed0002);

    /* The guest's FLR */
    pcie = pcie_cap(qts, DEV_BUS);
    cfg_writel(qts, DEV_BUS, pcie + PCI_EXP_DEVCTL,
               cfg_readl(qts, DEV_BUS, pcie + PCI_EXP_DEVCTL) |
               PCI_EXP_DEVCTL_BCR_FLR);
    bar = map_bar(qts);
    check_decoder(qts, hdm_block(qts, bar), base, 256 * MiB);
    g_assert_cmphex(qtest_readl(qts, base + 0x6000), ==, 0);
    check_dpa(qts, &a, base + 0x7000, 0x7000, 0x5eed0003);
    qtest_quit(qts);
    cxl_accel_stop(&a);
}

/*
 * cxl-decoders=guest on v5: the guest's decoder state is QEMU's alone (the
 * host drops COMP_REGS writes). The gate unmaps a committed decoder's
 * range and maps it again; it never uncommits anything. (Registers cannot
 * be read meanwhile: Memory Space Enable off disables the BAR too.)
 */
static void test_v5_guest_decoders(void)
{
    uint64_t win, hdm;
    QTestState *qts;
    CXLAccel a;

    if (!cxl_accel_binary_or_skip()) {
        return;
    }
    qts = vm_start_guest(&a, V5 "--mem-size 512M", NULL);
    win = window_base(qts);
    hdm = hdm_block(qts, map_bar(qts));
    g_assert_cmphex(hdm_ctrl(qts, hdm, 0), ==, 0);
    hdm_enable(qts, hdm, true);
    g_assert_cmphex(hdm_commit(qts, hdm, 0, win + GiB, 512 * MiB, 0, 0), ==,
                    CTRL_COMMIT | CTRL_COMMITTED);
    g_assert_cmpuint(mapped_bytes(qts, win, 4 * GiB), ==, 512 * MiB);
    check_dpa(qts, &a, win + GiB + 0x1000, 0x1000, 0x600d0005);

    set_memory_space(qts, false);
    g_assert_cmpuint(mapped_bytes(qts, win, 4 * GiB), ==, 0);
    set_memory_space(qts, true);
    g_assert_cmpuint(mapped_bytes(qts, win, 4 * GiB), ==, 512 * MiB);
    g_assert_cmphex(hdm_ctrl(qts, hdm, 0), ==, CTRL_COMMIT | CTRL_COMMITTED);
    g_assert_cmphex(qtest_readl(qts, win + GiB + 0x1000), ==, 0x600d0005);

    /* Uncommitted: unmapped, and the gate does not bring it back */
    qtest_writel(qts, hdm + A_CXL_HDM_DEC_CTRL, 0);
    g_assert_cmpuint(mapped_bytes(qts, win, 4 * GiB), ==, 0);
    set_memory_space(qts, false);
    set_memory_space(qts, true);
    g_assert_cmpuint(mapped_bytes(qts, win, 4 * GiB), ==, 0);
    qtest_quit(qts);
    cxl_accel_stop(&a);
}

/*
 * The series' fallback: a device the v5 kernel does not bind as CXL (two
 * decoders) keeps its DVSECs but has no CXL flag. Plain PCI, one warning,
 * and Range Base reads 0 instead of the host's address.
 */
static void test_v5_fallback_plain(void)
{
    g_autofree char *extra = NULL;
    g_autofree char *args = NULL;
    g_autofree char *err_out = NULL;
    QTestState *qts;
    int dvsec;
    CXLAccel a;

    if (!cxl_accel_binary_or_skip()) {
        return;
    }
    qts = vm_start(&a, V5 "--mem-size 512M --decoders 2", NULL, NULL);
    map_bar(qts);
    dvsec = device_dvsec(qts);
    g_assert_cmphex(range1_base(qts, dvsec), ==, 0);
    g_assert_cmpuint(mapped_bytes(qts, window_base(qts), 4 * GiB), ==, 0);
    qtest_quit(qts);
    cxl_accel_stop(&a);

    /*
     * The warning, on stderr: QEMU realizes the device, warns, then stops
     * at a device whose bus does not exist.
     */
    cxl_accel_start(&a, V5 "--mem-size 512M --decoders 2");
    extra = cmdline(&a, NULL, NULL);
    args = g_strdup_printf("%s -device '{\"driver\":\"cxl-rp\","
                           "\"bus\":\"no-such-bus\"}'", extra);
    err_out = expect_startup_error(args, "no-such-bus");
    g_assert_nonnull(strstr(err_out, "the device has a CXL Device DVSEC, but "
                            "the host does not pass it through as CXL"));
    cxl_accel_stop(&a);
}

/*
 * x-query-cxl-passthrough and info cxl-passthrough: what QEMU did with the
 * device, guest physical addresses and DPAs only.
 */
static QList *cxlq_list(QTestState *qts, QDict **rsp)
{
    *rsp = qtest_qmp(qts, "{ 'execute': 'x-query-cxl-passthrough' }");
    g_assert_true(qdict_haskey(*rsp, "return"));
    return qdict_get_qlist(*rsp, "return");
}

/* The answer's only entry; @rsp holds it */
static QDict *cxlq_one(QTestState *qts, QDict **rsp)
{
    QList *list = cxlq_list(qts, rsp);

    g_assert_cmpuint(qlist_size(list), ==, 1);
    return qobject_to(QDict, qlist_peek(list));
}

static QDict *cxlq_nth(QDict *info, const char *key, unsigned n)
{
    QList *list = qdict_get_qlist(info, key);
    QListEntry *e;

    g_assert_nonnull(list);
    QLIST_FOREACH_ENTRY(list, e) {
        if (!n--) {
            return qobject_to(QDict, qlist_entry_obj(e));
        }
    }
    g_assert_not_reached();
}

static void cxlq_check_decoder(QDict *info, unsigned n, bool committed,
                               bool locked, uint64_t base, uint64_t size,
                               uint64_t dpa)
{
    QDict *dec = cxlq_nth(info, "decoders", n);

    g_assert_cmpint(qdict_get_int(dec, "index"), ==, n);
    g_assert_cmpint(qdict_get_bool(dec, "committed"), ==, committed);
    g_assert_cmpint(qdict_get_bool(dec, "locked"), ==, locked);
    g_assert_cmphex(qdict_get_uint(dec, "base"), ==, base);
    g_assert_cmphex(qdict_get_uint(dec, "size"), ==, size);
    g_assert_cmpint(qdict_haskey(dec, "dpa"), ==, committed);
    if (committed) {
        g_assert_cmphex(qdict_get_uint(dec, "dpa"), ==, dpa);
    }
}

static void cxlq_check_mapped(QDict *info, unsigned n, uint64_t base,
                              uint64_t size, uint64_t dpa)
{
    QDict *m = cxlq_nth(info, "mapped", n);

    g_assert_cmphex(qdict_get_uint(m, "base"), ==, base);
    g_assert_cmphex(qdict_get_uint(m, "size"), ==, size);
    g_assert_cmphex(qdict_get_uint(m, "dpa"), ==, dpa);
}

/*
 * Every address is guest-side: the window the guest finds in its memory
 * map, the device's range and every mapping inside it, and the committed
 * decoders where the guest put them (in the window).
 */
static void cxlq_check_guest_side(QDict *info, uint64_t win)
{
    QDict *w = qdict_get_qdict(info, "window");
    uint64_t size = qdict_get_uint(w, "size");
    uint64_t rbase = qdict_get_uint(w, "range-base");
    QListEntry *e;

    g_assert_cmphex(qdict_get_uint(w, "base"), ==, win);
    g_assert_cmphex(rbase, >=, win);
    g_assert_cmphex(rbase + qdict_get_uint(w, "range-size"), <=, win + size);
    QLIST_FOREACH_ENTRY(qdict_get_qlist(info, "mapped"), e) {
        QDict *m = qobject_to(QDict, qlist_entry_obj(e));

        g_assert_cmphex(qdict_get_uint(m, "base"), >=, rbase);
        g_assert_cmphex(qdict_get_uint(m, "base") + qdict_get_uint(m, "size"),
                        <=, win + size);
        g_assert_cmphex(qdict_get_uint(m, "dpa") + qdict_get_uint(m, "size"),
                        <=, qdict_get_uint(info, "memory-size"));
    }
    QLIST_FOREACH_ENTRY(qdict_get_qlist(info, "decoders"), e) {
        QDict *d = qobject_to(QDict, qlist_entry_obj(e));

        if (qdict_get_bool(d, "committed")) {
            g_assert_cmphex(qdict_get_uint(d, "base"), >=, win);
            g_assert_cmphex(qdict_get_uint(d, "base") +
                            qdict_get_uint(d, "size"), <=, win + size);
        }
    }
}

/* The gate reasons, space-separated ("" if open) */
static char *cxlq_gated(QDict *info)
{
    GString *s = g_string_new("");
    QListEntry *e;

    QLIST_FOREACH_ENTRY(qdict_get_qlist(info, "gated"), e) {
        g_string_append_printf(s, "%s%s", s->len ? " " : "",
                               qstring_get_str(qobject_to(QString,
                                                          qlist_entry_obj(e))));
    }
    return g_string_free(s, false);
}

/* The emulator's "host" address for its decoder (v5) never shows */
static void cxlq_check_no_host_address(QTestState *qts, QDict *rsp)
{
    g_autoptr(GString) json = qobject_to_json(QOBJECT(rsp));
    g_autofree char *dec = g_strdup_printf("%" PRIu64,
                                           (uint64_t)ACCEL_FW_HOST_BASE);
    g_autofree char *hmp = qtest_hmp(qts, "info cxl-passthrough");

    g_assert_null(strstr(json->str, dec));
    g_assert_null(strstr(hmp, "4000000000"));
}

static void cxlq_hmp_has(QTestState *qts, const char *const *lines)
{
    g_autofree char *out = qtest_hmp(qts, "info cxl-passthrough");

    for (; *lines; lines++) {
        if (!strstr(out, *lines)) {
            g_test_message("info cxl-passthrough: %s", out);
            g_assert_nonnull(strstr(out, *lines));
        }
    }
}

/*
 * Firmware mode on v5: before the guest sets Memory Space Enable the
 * decoder is committed and locked at the window base but nothing is
 * mapped, for that reason; then the whole memory is mapped there.
 */
static void test_query_firmware(void)
{
    g_autofree char *gated = NULL;
    g_autofree char *hb = NULL;
    g_autofree char *win_line = NULL;
    g_autofree char *dec_line = NULL;
    g_autofree char *map_line = NULL;
    QDict *rsp, *info, *w;
    uint64_t win;
    QTestState *qts;
    CXLAccel a;

    if (!cxl_accel_binary_or_skip()) {
        return;
    }
    qts = vm_start(&a, V5 "--mem-size 512M", NULL, NULL);
    win = window_base(qts);

    info = cxlq_one(qts, &rsp);
    g_assert_cmpstr(qdict_get_str(info, "id"), ==, "accel0");
    g_assert_cmpstr(qdict_get_str(info, "qom-path"), ==,
                    "/machine/peripheral/accel0");
    g_assert_cmpstr(qdict_get_str(info, "interface"), ==, "v5");
    g_assert_true(qdict_get_bool(info, "vfio-user"));
    g_assert_cmpstr(qdict_get_str(info, "decoder-mode"), ==, "firmware");
    g_assert_cmphex(qdict_get_uint(info, "memory-size"), ==, 512 * MiB);
    g_assert_true(qdict_get_bool(info, "placed"));
    g_assert_true(qdict_get_bool(info, "host-backed"));
    w = qdict_get_qdict(info, "window");
    g_assert_cmpint(qdict_get_int(w, "index"), ==, 0);
    g_assert_cmphex(qdict_get_uint(w, "size"), ==, 4 * GiB);
    g_assert_cmphex(qdict_get_uint(w, "range-base"), ==, win);
    g_assert_cmphex(qdict_get_uint(w, "range-size"), ==, 512 * MiB);
    gated = cxlq_gated(info);
    g_assert_cmpstr(gated, ==, "memory-space-enable");
    g_assert_cmpuint(qlist_size(qdict_get_qlist(info, "mapped")), ==, 0);
    g_assert_cmpuint(qlist_size(qdict_get_qlist(info, "decoders")), ==, 1);
    cxlq_check_decoder(info, 0, true, true, win, 512 * MiB, 0);
    g_assert_cmpstr(qdict_get_str(info, "host-bridge"), ==,
                    "/machine/peripheral/cxl.1");
    g_assert_cmpint(qdict_get_int(cxlq_nth(info, "host-bridge-decoders", 0),
                                  "index"), ==, 0);
    g_assert_true(qdict_get_bool(cxlq_nth(info, "host-bridge-decoders", 0),
                                 "committed"));
    g_assert_cmpstr(qdict_get_str(info, "dma-mapping"), ==, "vfio-user");
    g_assert_false(qdict_haskey(info, "kvm"));
    cxlq_check_guest_side(info, win);
    cxlq_check_no_host_address(qts, rsp);
    cxlq_hmp_has(qts, (const char *const[]) {
        "accel0 (/machine/peripheral/accel0):",
        "interface: v5 (vfio-user server)", "decoders: firmware, placed",
        "gated: memory-space-enable", "mapped: nothing",
        "host bridge: /machine/peripheral/cxl.1", "decoder 0: committed",
        "DMA mapping: vfio-user", NULL });
    qobject_unref(rsp);

    map_bar(qts);
    info = cxlq_one(qts, &rsp);
    g_free(gated);
    gated = cxlq_gated(info);
    g_assert_cmpstr(gated, ==, "");
    g_assert_cmpuint(qlist_size(qdict_get_qlist(info, "mapped")), ==, 1);
    cxlq_check_mapped(info, 0, win, 512 * MiB, 0);
    cxlq_check_decoder(info, 0, true, true, win, 512 * MiB, 0);
    cxlq_check_guest_side(info, win);
    cxlq_check_no_host_address(qts, rsp);
    qobject_unref(rsp);
    win_line = g_strdup_printf("window 0: 0x%" PRIx64 "-0x%" PRIx64,
                               win, win + 4 * GiB - 1);
    dec_line = g_strdup_printf("HDM decoder 0: committed, locked, 0x%" PRIx64
                               "-0x%" PRIx64 " (0x20000000), DPA skip 0x0, "
                               "DPA 0x0", win, win + 512 * MiB - 1);
    map_line = g_strdup_printf("    0x%" PRIx64 "-0x%" PRIx64
                               " (0x20000000) -> DPA 0x0", win,
                               win + 512 * MiB - 1);
    cxlq_hmp_has(qts, (const char *const[]) {
        win_line, dec_line, map_line, "gated: no", NULL });

    qtest_quit(qts);
    cxl_accel_stop(&a);
}

/*
 * cxl-decoders=guest: nothing committed or mapped until the guest
 * commits, then exactly what it committed, where it put it; no host
 * bridge decoder is QEMU's.
 */
static void test_query_guest(void)
{
    g_autofree char *gated = NULL;
    g_autofree char *dec_line = NULL;
    uint64_t win, hdm;
    QDict *rsp, *info, *w;
    QTestState *qts;
    CXLAccel a;

    if (!cxl_accel_binary_or_skip()) {
        return;
    }
    qts = vm_start_guest(&a, "--mem-size 512M --decoders 2", NULL);
    win = window_base(qts);
    hdm = hdm_block(qts, map_bar(qts));

    info = cxlq_one(qts, &rsp);
    g_assert_cmpstr(qdict_get_str(info, "interface"), ==, "v2");
    g_assert_cmpstr(qdict_get_str(info, "decoder-mode"), ==, "guest");
    w = qdict_get_qdict(info, "window");
    /* The device has the window to itself */
    g_assert_cmphex(qdict_get_uint(w, "range-base"), ==, win);
    g_assert_cmphex(qdict_get_uint(w, "range-size"), ==, 4 * GiB);
    gated = cxlq_gated(info);
    g_assert_cmpstr(gated, ==, "");
    g_assert_cmpuint(qlist_size(qdict_get_qlist(info, "mapped")), ==, 0);
    g_assert_cmpuint(qlist_size(qdict_get_qlist(info, "decoders")), ==, 2);
    cxlq_check_decoder(info, 0, false, false, 0, 0, 0);
    cxlq_check_decoder(info, 1, false, false, 0, 0, 0);
    g_assert_cmpuint(qlist_size(qdict_get_qlist(info,
                                                "host-bridge-decoders")),
                     ==, 0);
    cxlq_hmp_has(qts, (const char *const[]) {
        "interface: v2 (vfio-user server)", "decoders: guest, placed",
        "HDM decoder 0: not committed", "HDM decoder 1: not committed",
        "mapped: nothing", NULL });
    qobject_unref(rsp);

    hdm_enable(qts, hdm, true);
    g_assert_cmphex(hdm_commit(qts, hdm, 0, win + GiB, 256 * MiB, 0, 0), ==,
                    CTRL_COMMIT | CTRL_COMMITTED);
    g_assert_cmphex(hdm_commit(qts, hdm, 1, win + 3 * GiB, 256 * MiB, 0,
                               CTRL_LOCK), ==,
                    CTRL_LOCK | CTRL_COMMIT | CTRL_COMMITTED);
    info = cxlq_one(qts, &rsp);
    cxlq_check_decoder(info, 0, true, false, win + GiB, 256 * MiB, 0);
    cxlq_check_decoder(info, 1, true, true, win + 3 * GiB, 256 * MiB,
                       256 * MiB);
    g_assert_cmpuint(qlist_size(qdict_get_qlist(info, "mapped")), ==, 2);
    cxlq_check_mapped(info, 0, win + GiB, 256 * MiB, 0);
    cxlq_check_mapped(info, 1, win + 3 * GiB, 256 * MiB, 256 * MiB);
    cxlq_check_guest_side(info, win);
    qobject_unref(rsp);
    dec_line = g_strdup_printf("HDM decoder 1: committed, locked, 0x%" PRIx64
                               "-0x%" PRIx64 " (0x10000000), DPA skip 0x0, "
                               "DPA 0x10000000", win + 3 * GiB,
                               win + 3 * GiB + 256 * MiB - 1);
    cxlq_hmp_has(qts, (const char *const[]) {
        "HDM decoder 0: committed, 0x", dec_line, NULL });

    /* Memory Space off: v2 does not gate on it, nothing changes */
    cfg_writel(qts, DEV_BUS, PCI_COMMAND, 0);
    info = cxlq_one(qts, &rsp);
    g_assert_cmpuint(qlist_size(qdict_get_qlist(info, "mapped")), ==, 2);
    qobject_unref(rsp);

    qtest_quit(qts);
    cxl_accel_stop(&a);
}

/* Bytes the answer says are mapped */
static uint64_t cxlq_mapped_total(QDict *info)
{
    uint64_t total = 0;
    QListEntry *e;

    QLIST_FOREACH_ENTRY(qdict_get_qlist(info, "mapped"), e) {
        total += qdict_get_uint(qobject_to(QDict, qlist_entry_obj(e)),
                                "size");
    }
    return total;
}

/* Through the nested host's kernel: the answer is the guest's side */
static void test_host_query(void)
{
    const char *uapi = g_getenv("CXL_HOST_UAPI") ?: "v2";
    QTestState *qts = host_start(NULL);
    QDict *rsp, *info, *dec;
    uint64_t base;

    base = window_base(qts);
    map_bar(qts);
    info = cxlq_one(qts, &rsp);
    g_assert_cmpstr(qdict_get_str(info, "id"), ==, "accel0");
    g_assert_cmpstr(qdict_get_str(info, "interface"), ==, uapi);
    g_assert_false(qdict_get_bool(info, "vfio-user"));
    g_assert_cmpstr(qdict_get_str(info, "decoder-mode"), ==, "firmware");
    g_assert_true(qdict_get_bool(info, "host-backed"));
    g_assert_cmpuint(qlist_size(qdict_get_qlist(info, "gated")), ==, 0);
    /* Firmware placed the first decoder at the window base */
    dec = cxlq_nth(info, "decoders", 0);
    g_assert_true(qdict_get_bool(dec, "committed"));
    g_assert_true(qdict_get_bool(dec, "locked"));
    g_assert_cmphex(qdict_get_uint(dec, "base"), ==, base);
    g_assert_cmphex(qdict_get_uint(cxlq_nth(info, "mapped", 0), "base"), ==,
                    base);
    g_assert_cmpstr(qdict_get_str(info, "dma-mapping"), ==,
                    !g_getenv("CXL_HOST_IOMMUFD") ? "type1" :
                    strcmp(uapi, "v5") ? "none" : "iommufd-dma-buf");
    cxlq_check_guest_side(info, base);
    /* What the memory tree maps is what the answer says is mapped */
    g_assert_cmpuint(cxlq_mapped_total(info), ==,
                     mapped_bytes(qts, base, HOST_WINDOW));
    qobject_unref(rsp);
    qtest_quit(qts);
}

static void register_host_tests(void)
{
    qtest_add_func("vfio-user-cxl/host/memory", test_host_memory);
    qtest_add_func("vfio-user-cxl/host/dma-copy", test_host_dma_copy);
    qtest_add_func("vfio-user-cxl/host/guest-decoders",
                   test_host_guest_decoders);
    qtest_add_func("vfio-user-cxl/host/replug", test_host_replug);
    qtest_add_func("vfio-user-cxl/host/nonsense", test_host_nonsense);
    qtest_add_func("vfio-user-cxl/host/size", test_host_size);
    qtest_add_func("vfio-user-cxl/host/query", test_host_query);
    if (arch() == &arch_arm) {
        qtest_add_func("vfio-user-cxl/host/kvm/cacheable-check",
                       test_kvm_cacheable_check);
        qtest_add_data_func("vfio-user-cxl/host/kvm/memory", NULL,
                            test_kvm_memory);
        qtest_add_data_func("vfio-user-cxl/host/kvm/guest-decoders", NULL,
                            test_kvm_guest_decoders);
    }
}

int main(int argc, char **argv)
{
    size_t i;

    g_test_init(&argc, &argv, NULL);

    if (g_getenv("CXL_HOST_BDF")) {
        register_host_tests();
        return g_test_run();
    }

    qtest_add_data_func("vfio-user-cxl/memory/block-at-end",
                        "--mem-size 512M --block-at end",
                        test_memory_and_registers);
    qtest_add_data_func("vfio-user-cxl/memory/block-at-start",
                        "--mem-size 512M --block-at start",
                        test_memory_and_registers);
    qtest_add_data_func("vfio-user-cxl/memory/block-at-middle",
                        "--mem-size 512M --block-at middle",
                        test_memory_and_registers);
    qtest_add_data_func("vfio-user-cxl/memory/cache-capable",
                        "--mem-size 512M --cache-capable",
                        test_memory_and_registers);
    qtest_add_func("vfio-user-cxl/flexbus-dsn", test_flexbus_dsn);
    qtest_add_data_func("vfio-user-cxl/v5/memory/block-at-end",
                        V5 "--mem-size 512M --block-at end",
                        test_memory_and_registers);
    qtest_add_data_func("vfio-user-cxl/v5/memory/block-at-start",
                        V5 "--mem-size 512M --block-at start",
                        test_memory_and_registers);
    qtest_add_data_func("vfio-user-cxl/v5/memory/block-at-middle",
                        V5 "--mem-size 512M --block-at middle",
                        test_memory_and_registers);
    qtest_add_data_func("vfio-user-cxl/v5/memory/cache-capable",
                        V5 "--mem-size 512M --cache-capable",
                        test_memory_and_registers);
    qtest_add_data_func("vfio-user-cxl/v5/dma-copy", V5 "--mem-size 256M",
                        test_dma_copy);
    qtest_add_func("vfio-user-cxl/v5/host-address-hidden",
                   test_v5_host_address_hidden);
    qtest_add_func("vfio-user-cxl/v5/gate", test_v5_gate);
    qtest_add_func("vfio-user-cxl/query/firmware", test_query_firmware);
    qtest_add_func("vfio-user-cxl/query/guest", test_query_guest);
    qtest_add_func("vfio-user-cxl/v5/guest-decoders",
                   test_v5_guest_decoders);
    qtest_add_func("vfio-user-cxl/v5/reset-clears", test_v5_reset_clears);
    qtest_add_func("vfio-user-cxl/v5/fallback-plain", test_v5_fallback_plain);
    qtest_add_func("vfio-user-cxl/uapi-property", test_uapi_property);
    qtest_add_func("vfio-user-cxl/dma-mapped", test_dma_mapped);
    qtest_add_data_func("vfio-user-cxl/dma-copy", "--mem-size 256M",
                        test_dma_copy);
    qtest_add_func("vfio-user-cxl/dma-in-flight", test_dma_in_flight);
    if (arch() == &arch_x86) {
        qtest_add_func("vfio-user-cxl/dma-copy-viommu", test_dma_copy_viommu);
        qtest_add_func("vfio-user-cxl/kvm-decision", test_kvm_decision);
        qtest_add_func("vfio-user-cxl/server-gone", test_server_gone);
    } else {
        qtest_add_func("vfio-user-cxl/viommu-smmuv3-refused",
                       test_viommu_smmuv3_refused);
        qtest_add_func("vfio-user-cxl/window/beyond-pa-space",
                       test_window_beyond_pa_space);
        qtest_add_data_func("vfio-user-cxl/guest-code/memory", "tcg",
                            test_kvm_memory);
        qtest_add_data_func("vfio-user-cxl/guest-code/guest-decoders", "tcg",
                            test_kvm_guest_decoders);
    }
    qtest_add_func("vfio-user-cxl/reset", test_reset);
    qtest_add_func("vfio-user-cxl/guest-nonsense", test_guest_nonsense);
    qtest_add_func("vfio-user-cxl/firmware-two-decoders",
                   test_firmware_two_decoders);
    qtest_add_func("vfio-user-cxl/guest-decoders/commit",
                   test_guest_decoders);
    qtest_add_func("vfio-user-cxl/cache-write-back", test_cache_write_back);
    qtest_add_data_func("vfio-user-cxl/guest-decoders/shared-after-guest",
                        "guest,firmware", test_guest_decoders_shared);
    qtest_add_data_func("vfio-user-cxl/guest-decoders/shared-with-firmware",
                        "firmware,guest", test_guest_decoders_shared);
    qtest_add_data_func("vfio-user-cxl/d3hot-gate", "--mem-size 256M",
                        test_d3hot_gate);
    qtest_add_data_func("vfio-user-cxl/v5/d3hot-gate", V5 "--mem-size 256M",
                        test_d3hot_gate);
    qtest_add_func("vfio-user-cxl/cxl-reset/write-back-async",
                   test_cxl_reset_write_back_async);
    qtest_add_func("vfio-user-cxl/guest-decoders/flr",
                   test_guest_decoders_flr);
    qtest_add_func("vfio-user-cxl/guest-decoders/nonsense",
                   test_guest_nonsense_guest_mode);
    for (i = 0; i < ARRAY_SIZE(refusal_cases); i++) {
        g_autofree char *name = g_strdup_printf(
            "vfio-user-cxl/guest-decoders/refused/%s", refusal_cases[i].name);
        qtest_add_data_func(name, &refusal_cases[i], test_guest_refusal);
    }
    qtest_add_func("vfio-user-cxl/shared-window", test_shared_window);
    qtest_add_func("vfio-user-cxl/host-bridge-decoders-kept",
                   test_hb_decoders_kept);
    qtest_add_func("vfio-user-cxl/hotplug-hb-passthrough",
                   test_hotplug_hb_passthrough);
    qtest_add_data_func("vfio-user-cxl/migration-blocked", NULL,
                        test_migration_blocked);
    qtest_add_func("vfio-user-cxl/cxl-off", test_cxl_off);
    qtest_add_func("vfio-user-cxl/cxl-off-says-so", test_cxl_off_says_so);
    qtest_add_func("vfio-user-cxl/not-cxl", test_not_cxl);
    qtest_add_func("vfio-user-cxl/realize-failure-cleanup",
                   test_realize_failure_cleanup);
    qtest_add_func("vfio-user-cxl/hotplug", test_hotplug);
    for (i = 0; i < ARRAY_SIZE(hotplug_fault_cases); i++) {
        g_autofree char *name = g_strdup_printf(
            "vfio-user-cxl/hotplug-after-fault/%s",
            hotplug_fault_cases[i].fault);
        qtest_add_data_func(name, &hotplug_fault_cases[i],
                            test_hotplug_after_fault);
    }
    qtest_add_func("vfio-user-cxl/fault/rom-size-odd", test_rom_size_odd);
    qtest_add_func("vfio-user-cxl/fault/pin-changes", test_pin_changes);
    qtest_add_func("vfio-user-cxl/intx-route-in-range",
                   test_intx_route_in_range);
    qtest_add_func("vfio-user-cxl/unplug-after-flatview-dump",
                   test_unplug_after_flatview_dump);
    for (i = 0; i < ARRAY_SIZE(topology_cases); i++) {
        g_autofree char *name = g_strdup_printf("vfio-user-cxl/topology/%s",
                                                topology_cases[i].name);
        qtest_add_data_func(name, &topology_cases[i], test_topology_error);
    }
    for (i = 0; i < ARRAY_SIZE(fault_cases); i++) {
        g_autofree char *name = g_strdup_printf("vfio-user-cxl/fault/%s",
                                                fault_cases[i].fault);
        qtest_add_data_func(name, &fault_cases[i], test_fault);
    }
    qtest_add_func("vfio-user-cxl/hdm/firmware-reset-enable",
                   test_hdm_firmware_reset_enable);
    qtest_add_func("vfio-user-cxl/hdm/mapped-once", test_hdm_mapped_once);
    qtest_add_func("vfio-user-cxl/hdm/decoder-type", test_hdm_decoder_type);
    qtest_add_func("vfio-user-cxl/dvsec/range-base", test_dvsec_range_base);
    qtest_add_func("vfio-user-cxl/dvsec/range-decode",
                   test_dvsec_range_decode);
    qtest_add_func("vfio-user-cxl/window/hotplug-over-type3",
                   test_window_hotplug_over_type3);
    for (i = 0; i < ARRAY_SIZE(win_decoder_cases); i++) {
        g_autofree char *name = g_strdup_printf(
            "vfio-user-cxl/window/hb-decoders-exhausted/%s",
            win_decoder_cases[i].name);
        qtest_add_data_func(name, &win_decoder_cases[i],
                            test_window_hb_decoders_exhausted);
    }
    qtest_add_func("vfio-user-cxl/window/replug-hb-order",
                   test_window_replug_hb_order);
    qtest_add_data_func("vfio-user-cxl/reset-host-uncommitted",
                        (void *)false, test_reset_host_uncommitted);
    qtest_add_data_func("vfio-user-cxl/reset-host-uncommitted/guest",
                        (void *)true, test_reset_host_uncommitted);
    qtest_add_data_func("vfio-user-cxl/cxl-reset/firmware", (void *)false,
                        test_cxl_reset);
    qtest_add_data_func("vfio-user-cxl/cxl-reset/guest", (void *)true,
                        test_cxl_reset);
    qtest_add_func("vfio-user-cxl/cxl-reset/not-capable",
                   test_cxl_reset_not_capable);
    qtest_add_func("vfio-user-cxl/flr-not-capable", test_flr_not_capable);
    qtest_add_func("vfio-user-cxl/ras-rw1c", test_ras_rw1c);
    qtest_add_data_func("vfio-user-cxl/migration-cpr-blocked", "cpr-reboot",
                        test_migration_blocked);
    qtest_add_func("vfio-user-cxl/no-mem-dma-property",
                   test_no_mem_dma_property);
    return g_test_run();
}
