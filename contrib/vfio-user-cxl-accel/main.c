/*
 * vfio-user-cxl-accel: an emulated CXL Type-2 accelerator served over
 * vfio-user, behaving toward the VMM as the kernel's vfio-pci with the
 * v2 (or, with --uapi v5, the v5) vfio-cxl UAPI does for a real device
 *
 * Copyright (c) 2026 QEMU CXL Type-2 team
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include <getopt.h>
#include "qemu/cutils.h"
#include "accel-model.h"
#include "vfio-user-server.h"

static volatile sig_atomic_t stop;

static void usage(FILE *f)
{
    unsigned i;

    fprintf(f,
"Usage: vfio-user-cxl-accel --socket PATH [options]\n"
"\n"
"Serve an emulated CXL Type-2 accelerator to one vfio-user client at a\n"
"time (e.g. QEMU's vfio-user-pci), described as the kernel's vfio-pci\n"
"describes a real device with the v2 (or v5) vfio-cxl UAPI.\n"
"\n"
"  --socket PATH            UNIX socket to listen on (required)\n"
"  --uapi v2|v5             the kernel interface to serve (default v2).\n"
"                           v5: no device capability; COMP_REGS is the\n"
"                           HDM block read live (host BASE), writes\n"
"                           dropped; its region capability gives BAR and\n"
"                           offset; only the HDM page is unmappable, it\n"
"                           reads all ones; memory gated on Memory Space\n"
"                           Enable; a reset clears the memory. CXL only\n"
"                           with 1 decoder, firmware-committed and CXL\n"
"                           Reset Capable, else silently plain PCI\n"
"  --mem-size SIZE          device memory size, a multiple of 256M;\n"
"                           suffixes K, M, G, T (default 256M)\n"
"  --mem-file PATH          back the device memory with this file, created\n"
"                           sparse (default: an anonymous memfd)\n"
"  --firmware-committed     firmware committed and locked HDM decoder 0:\n"
"                           the device is exposed as CXL (default)\n"
"  --no-firmware-committed  no committed decoder: the device is exposed\n"
"                           as plain vfio-pci (no CXL flag, cap, regions)\n"
"  --decoders N             HDM decoders: 1 or an even number up to 16\n"
"                           (default 1)\n"
"  --committed-decoders N   firmware commits decoders 0..N-1 over equal\n"
"                           consecutive parts of the memory (default 1)\n"
"  --cache-capable          set Cache_Capable (CXL.cache, HDM-DB)\n"
"  --serial N               Device Serial Number, decimal or 0x hex\n"
"                           (default: a hash of the socket path)\n"
"  --block-at end|start|middle\n"
"                           place the 64 KiB component block at the end\n"
"                           (default), the start or the middle of BAR %d\n"
"  --fault MODE             describe the device in a malformed way, for\n"
"                           robustness tests of the client; MODE is one of\n",
            ACCEL_REG_BAR);
    for (i = ACCEL_FAULT_NONE + 1; i < ACCEL_FAULT__MAX; i++) {
        fprintf(f, "                             %s\n", accel_fault_name(i));
    }
    fprintf(f,
"  --fuzz-seed N            answer with random malformations, client n\n"
"                           with seed N + n (a backend fuzzer for QEMU)\n"
"  --quiet                  do not log each request to stderr\n"
"  --help                   print this help\n"
"  --decoder-type hdm-d|hdm-h|hdm-db\n"
"                           what firmware commits the decoders as: Target\n"
"                           Type 0 (default), 1, or 0 with BI\n"
"\n"
"Register BAR %d (%u KiB): the component block, and a page of accelerator\n"
"registers at offset 0 (at 0x10000 with --block-at start):\n"
"  0x00 ID       RO  0x%08x\n"
"  0x04 VERSION  RO  0x%08x\n"
"  0x08 SCRATCH  RW  0 at open and reset\n"
"  0x10 MEM_SIZE RO  device memory size, low dword (high at 0x14)\n"
"  0x18 BLOCK_OFF RO component block offset, low dword (high at 0x1c)\n"
"  0x20 DMA_SRC, 0x28 DMA_DST (64-bit IOVAs), 0x30 DMA_LEN, 0x34 DOORBELL,\n"
"  0x38 DMA_STATUS (1 done, 2 error, 4 busy), 0x3c DMA_ERROR: copy engine\n"
"  0x100-0x1ff   RW  scratch area\n"
"The registers live in the mmap-able part of the BAR (see README.rst).\n",
            ACCEL_REG_BAR, (unsigned)(ACCEL_REG_BAR_SIZE / KiB),
            ACCEL_ID_VALUE, ACCEL_VERSION_VALUE);
}

static void on_signal(int sig)
{
    stop = 1;
}

enum {
    OPT_SOCKET = 256,
    OPT_MEM_SIZE,
    OPT_MEM_FILE,
    OPT_FW_COMMITTED,
    OPT_NO_FW_COMMITTED,
    OPT_DECODERS,
    OPT_COMMITTED_DECODERS,
    OPT_CACHE_CAPABLE,
    OPT_SERIAL,
    OPT_BLOCK_AT,
    OPT_FAULT,
    OPT_FUZZ_SEED,
    OPT_QUIET,
    OPT_HELP,
    OPT_DECODER_TYPE,
    OPT_UAPI,
};

static const struct option long_options[] = {
    { "socket", required_argument, NULL, OPT_SOCKET },
    { "mem-size", required_argument, NULL, OPT_MEM_SIZE },
    { "mem-file", required_argument, NULL, OPT_MEM_FILE },
    { "firmware-committed", no_argument, NULL, OPT_FW_COMMITTED },
    { "no-firmware-committed", no_argument, NULL, OPT_NO_FW_COMMITTED },
    { "decoders", required_argument, NULL, OPT_DECODERS },
    { "committed-decoders", required_argument, NULL, OPT_COMMITTED_DECODERS },
    { "cache-capable", no_argument, NULL, OPT_CACHE_CAPABLE },
    { "serial", required_argument, NULL, OPT_SERIAL },
    { "block-at", required_argument, NULL, OPT_BLOCK_AT },
    { "fault", required_argument, NULL, OPT_FAULT },
    { "fuzz-seed", required_argument, NULL, OPT_FUZZ_SEED },
    { "quiet", no_argument, NULL, OPT_QUIET },
    { "help", no_argument, NULL, OPT_HELP },
    { "decoder-type", required_argument, NULL, OPT_DECODER_TYPE },
    { "uapi", required_argument, NULL, OPT_UAPI },
    { NULL, 0, NULL, 0 },
};

int main(int argc, char **argv)
{
    g_autoptr(GError) err = NULL;
    const char *socket_path = NULL;
    struct sigaction sa = { .sa_handler = on_signal };
    AccelOptions o;
    CXLAccel *a;
    bool quiet = false, serial_given = false;
    int c;

    accel_options_init(&o);
    while ((c = getopt_long(argc, argv, "", long_options, NULL)) != -1) {
        switch (c) {
        case OPT_SOCKET:
            socket_path = optarg;
            break;
        case OPT_MEM_SIZE:
            if (!accel_parse_size(optarg, &o.mem_size, &err)) {
                goto fail;
            }
            break;
        case OPT_MEM_FILE:
            o.mem_file = optarg;
            break;
        case OPT_FW_COMMITTED:
            o.firmware_committed = true;
            break;
        case OPT_NO_FW_COMMITTED:
            o.firmware_committed = false;
            break;
        case OPT_DECODERS:
            if (qemu_strtoui(optarg, NULL, 10, &o.decoders) < 0) {
                fprintf(stderr, "vfio-user-cxl-accel: invalid --decoders "
                        "'%s'\n", optarg);
                return EXIT_FAILURE;
            }
            break;
        case OPT_COMMITTED_DECODERS:
            if (qemu_strtoui(optarg, NULL, 10, &o.committed_decoders) < 0) {
                fprintf(stderr, "vfio-user-cxl-accel: invalid "
                        "--committed-decoders '%s'\n", optarg);
                return EXIT_FAILURE;
            }
            break;
        case OPT_CACHE_CAPABLE:
            o.cache_capable = true;
            break;
        case OPT_SERIAL:
            if (qemu_strtou64(optarg, NULL, 0, &o.serial) < 0) {
                fprintf(stderr, "vfio-user-cxl-accel: invalid --serial "
                        "'%s'\n", optarg);
                return EXIT_FAILURE;
            }
            serial_given = true;
            break;
        case OPT_BLOCK_AT:
            if (!accel_block_at_parse(optarg, &o.block_at)) {
                fprintf(stderr, "vfio-user-cxl-accel: --block-at must be "
                        "end, start or middle, not '%s'\n", optarg);
                return EXIT_FAILURE;
            }
            break;
        case OPT_FAULT:
            if (!accel_fault_parse(optarg, &o.fault)) {
                fprintf(stderr, "vfio-user-cxl-accel: unknown --fault '%s' "
                        "(see --help)\n", optarg);
                return EXIT_FAILURE;
            }
            break;
        case OPT_FUZZ_SEED:
            if (qemu_strtou64(optarg, NULL, 0, &o.fuzz_seed) < 0) {
                fprintf(stderr, "vfio-user-cxl-accel: invalid --fuzz-seed "
                        "'%s'\n", optarg);
                return EXIT_FAILURE;
            }
            o.fuzz = true;
            break;
        case OPT_QUIET:
            quiet = true;
            break;
        case OPT_HELP:
            usage(stdout);
            return EXIT_SUCCESS;
        case OPT_DECODER_TYPE:
            if (!accel_decoder_type_parse(optarg, &o.decoder_type)) {
                fprintf(stderr, "vfio-user-cxl-accel: --decoder-type must "
                        "be hdm-d, hdm-h or hdm-db, not '%s'\n", optarg);
                return EXIT_FAILURE;
            }
            break;
        case OPT_UAPI:
            if (!accel_uapi_parse(optarg, &o.uapi)) {
                fprintf(stderr, "vfio-user-cxl-accel: --uapi must be v2 or "
                        "v5, not '%s'\n", optarg);
                return EXIT_FAILURE;
            }
            break;
        default:
            usage(stderr);
            return EXIT_FAILURE;
        }
    }
    if (optind < argc || !socket_path) {
        fprintf(stderr, "vfio-user-cxl-accel: %s\n",
                socket_path ? "unexpected arguments" : "--socket is required");
        usage(stderr);
        return EXIT_FAILURE;
    }

    if (!serial_given) {
        o.serial = accel_serial_from_path(socket_path);
    }
    a = accel_new(&o, &err);
    if (!a) {
        goto fail;
    }
    /* No SA_RESTART: a signal must interrupt accept() to stop the server */
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    if (!vfu_server_run(a, socket_path, quiet, &stop, &err)) {
        accel_free(a);
        goto fail;
    }
    accel_free(a);
    return EXIT_SUCCESS;

fail:
    fprintf(stderr, "vfio-user-cxl-accel: %s\n", err->message);
    return EXIT_FAILURE;
}
