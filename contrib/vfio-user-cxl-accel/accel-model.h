/*
 * Emulated CXL Type-2 accelerator: the device model
 *
 * The model is what the kernel's vfio-pci (the v2 vfio-cxl UAPI, or with
 * --uapi v5 the series as posted since v4, reference facts section 9)
 * would show a VMM for a real firmware-committed CXL Type-2 device: PCI
 * config space with the CXL DVSECs and their emulation rules, the register
 * BAR with the component block and the accelerator registers, the
 * COMP_REGS region over the HDM decoders (v2: the kernel's shadow; v5: the
 * live registers) and the device memory. It knows nothing of sockets;
 * vfio-user-server.c carries it over the vfio-user protocol and the unit
 * tests drive it directly.
 *
 * Copyright (c) 2026 QEMU CXL Type-2 team
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef VFIO_USER_CXL_ACCEL_MODEL_H
#define VFIO_USER_CXL_ACCEL_MODEL_H

#include <linux/vfio.h>
#include "qemu/units.h"
#include "hw/vfio/cxl-uapi-v5.h"
#include "accel-regs.h"
#include "cxl-regs.h"
#include "cxl_dvsec.h"

/* Which revision of the kernel's vfio-cxl interface the server plays */
typedef enum AccelUapi {
    ACCEL_UAPI_V2,              /* device info capability, HDM shadow */
    ACCEL_UAPI_V5,              /* no device capability, live HDM, gated */
} AccelUapi;

typedef enum AccelBlockAt {
    ACCEL_BLOCK_AT_END,         /* topology A of the kernel's rules */
    ACCEL_BLOCK_AT_START,       /* topology B */
    ACCEL_BLOCK_AT_MIDDLE,      /* topology C */
} AccelBlockAt;

/*
 * --fault modes: each one makes the server describe the device in one
 * malformed way, so that the QEMU side's checks can be tested.
 */
typedef enum AccelFault {
    ACCEL_FAULT_NONE,
    ACCEL_FAULT_CAP_BAD_DPA_INDEX,    /* dpa_region_index: no such region */
    ACCEL_FAULT_CAP_BAD_COMP_INDEX,   /* comp_regs_region_index: no such */
    ACCEL_FAULT_DPA_WRONG_SUBTYPE,    /* memory region has subtype 2 */
    ACCEL_FAULT_COMP_REGS_NO_HDM,     /* cap array lacks the HDM cap */
    ACCEL_FAULT_HDM_OFFSET_OUTSIDE_BAR, /* hdm_regs_offset >= BAR size */
    ACCEL_FAULT_CAP_TRUNCATED,        /* CXL device cap only 16 bytes long */
    ACCEL_FAULT_DPA_SIZE_ZERO,        /* memory region of size 0 */
    ACCEL_FAULT_CAP_BAD_VERSION,      /* CXL device cap version 2 */
    ACCEL_FAULT_RESET_UNCOMMITS,      /* resets flip decoder 0's commit */
    ACCEL_FAULT_BAR_SIZE_ODD,         /* BAR 2 region info: 3 MiB */
    ACCEL_FAULT_INFO_FAILS,           /* DEVICE_GET_INFO fails with EIO */
    ACCEL_FAULT_REPLY_OVERSIZED,      /* config region info: 64 bytes more */
    ACCEL_FAULT_REGION_ARGSZ_HUGE,    /* config region info asks for ~4 GiB */
    ACCEL_FAULT_REGION_CAPS_LOOP,     /* BAR 2's capability chain loops */
    ACCEL_FAULT_SPARSE_OVERRUN,       /* BAR 2's sparse cap: 64 areas */
    ACCEL_FAULT_CONFIG_SIZE_ZERO,     /* config region of size 0 */
    ACCEL_FAULT_ROM_SIZE_ODD,         /* ROM BAR sizes to 384 KiB */
    ACCEL_FAULT_CLOSE_UNREAD,         /* close with DMA maps left unread */
    ACCEL_FAULT_PIN_CHANGES,          /* Interrupt Pin reads A after a reset */
    ACCEL_FAULT_RAS_ERRORS,           /* RAS error status bits set at open */
    ACCEL_FAULT_NO_FLR,               /* DevCap without FLR: no FLR happens */
    ACCEL_FAULT_NO_CXL_RESET,         /* not CXL Reset Capable */
    ACCEL_FAULT__MAX,
} AccelFault;

/* What firmware committed the decoders as (CXL r3.1 8.2.4.20.7) */
typedef enum AccelDecoderType {
    ACCEL_DECODER_HDM_D,        /* device coherent: Target Type 0 */
    ACCEL_DECODER_HDM_H,        /* host-only coherent: Target Type 1 */
    ACCEL_DECODER_HDM_DB,       /* device coherent, back-invalidate: BI */
} AccelDecoderType;

typedef struct AccelOptions {
    uint64_t mem_size;
    const char *mem_file;       /* NULL: anonymous memfd */
    unsigned decoders;
    unsigned committed_decoders; /* firmware commits decoders 0..n-1 */
    uint64_t serial;            /* Device Serial Number */
    bool firmware_committed;
    bool cache_capable;
    AccelBlockAt block_at;
    AccelFault fault;
    bool fuzz;                  /* --fuzz-seed: malformed answers */
    uint64_t fuzz_seed;
    /* --decoder-type: Target Type and BI of the firmware's decoders */
    AccelDecoderType decoder_type;
    AccelUapi uapi;             /* --uapi */
} AccelOptions;

typedef struct AccelFuzz AccelFuzz;

#define ACCEL_DEFAULT_MEM_SIZE  (256 * MiB)
/* Without --serial, main.c derives one from the socket path. */
#define ACCEL_DEFAULT_SERIAL    0x1b36000000000001ULL

/* PCI configuration space layout */
#define ACCEL_CFG_SIZE          0x1000  /* PCIe extended config space */
#define ACCEL_ODD_ROM_WMASK     0xfffa0000u /* --fault rom-size-odd */
#define ACCEL_CHANGED_PIN       1           /* --fault pin-changes: INTA */
#define ACCEL_PCIE_CAP_OFFSET   0x40
/*
 * PCI Power Management capability (PCI PM 1.2, PCIe r6 7.5.2), after the
 * PCIe capability: version 3, D0 and D3hot only (no D1, D2 or PME), and
 * No_Soft_Reset set, so that D3hot -> D0 keeps the function's state:
 * its device memory, its decoders and its configuration survive a trip
 * through D3hot, which is what a device with coherent memory a host has
 * mapped must do. A write of an unsupported state (D1, D2) is ignored.
 */
#define ACCEL_PM_CAP_OFFSET     0x80
#define ACCEL_PM_CAP_VERSION    3
#define ACCEL_PM_D0             0
#define ACCEL_PM_D3HOT          3
#define ACCEL_DVSEC_DEV_OFFSET  0x100   /* CXL Device DVSEC */
#define ACCEL_DVSEC_REGLOC_OFFSET 0x140 /* Register Locator DVSEC */
#define ACCEL_REGLOC_LENGTH     (CXL_REGLOC_ENTRIES_OFFSET + \
                                 CXL_REGLOC_ENTRY_SIZE)
#define ACCEL_DVSEC_FLEXBUS_OFFSET 0x160 /* Flex Bus Port DVSEC */
#define ACCEL_DSN_OFFSET        0x180   /* Device Serial Number, last */

/*
 * CXL.cachemem area (component offset 0x1000, COMP_REGS offset 0):
 * the capability header array, then the RAS and HDM Decoder capabilities.
 */
#define ACCEL_CACHEMEM_SIZE     0x1000
#define ACCEL_RAS_OFFSET        0x100
/* RAS status registers (RW1CS) and what --fault ras-errors sets in them */
#define ACCEL_RAS_UNC_STATUS    0x0
#define ACCEL_RAS_COR_STATUS    0xc
#define ACCEL_RAS_UNC_ERRORS    0x00010481u /* bits in bytes 0, 1 and 2 */
#define ACCEL_RAS_COR_ERRORS    0x00000041u
#define ACCEL_HDM_OFFSET        0x200   /* hdm_decoder_offset */

/*
 * v5 excludes the HDM decoder block from the BAR's mmap in whole pages:
 * the sparse areas leave out the page of the CXL.cachemem area that holds
 * it (which holds the capability array and RAS too; those stay readable
 * through REGION_READ). Reads of the decoder block's bytes through the
 * BAR return all ones, as the v5 kernel answers them.
 */
#define ACCEL_V5_MMAP_PAGE      (4 * KiB)
#define ACCEL_V5_HDM_BAR_FILL   0xff

/*
 * Host physical base at which "firmware" committed decoder 0. The shadow
 * hides it (BASE reads 0), as the v2 kernel does.
 */
#define ACCEL_FW_HOST_BASE      0x4000000000ULL

/* Region indices of the CXL regions */
#define ACCEL_DPA_REGION        (VFIO_PCI_NUM_REGIONS + 0)
#define ACCEL_COMP_REGS_REGION  (VFIO_PCI_NUM_REGIONS + 1)

/* One DMA mapping of the client (DMA_MAP), which the copy engine uses */
typedef struct AccelDMAMap {
    uint64_t iova;
    uint64_t size;
    uint8_t *host;              /* the fd the client sent, mapped; or NULL */
    bool writable;
    bool devmem;                /* that fd is the device memory's own */
} AccelDMAMap;

/*
 * How the copy engine reaches a mapping without an fd: the client's
 * memory through DMA_READ / DMA_WRITE messages. Returns 0 or a negative
 * errno, -ECONNRESET once the client is gone.
 */
typedef struct AccelDMAIO {
    int (*rw)(void *opaque, bool write, uint64_t iova, void *buf,
              size_t len);
    void *opaque;
} AccelDMAIO;

/* Copy engine transfers go in pieces of this size (DMA_READ/WRITE data) */
#define ACCEL_DMA_CHUNK         (64 * KiB)

typedef struct CXLAccel {
    AccelOptions opts;

    /* Config space contents, writable bits and write-1-to-clear bits */
    uint8_t cfg[ACCEL_CFG_SIZE];
    uint8_t cfg_wmask[ACCEL_CFG_SIZE];
    uint8_t cfg_w1cmask[ACCEL_CFG_SIZE];

    /* The "hardware" CXL.cachemem registers, as firmware left them */
    uint32_t hw_cachemem[ACCEL_CACHEMEM_SIZE / 4];
    /* The COMP_REGS shadow the VMM sees, from the snapshot of hw_cachemem */
    uint32_t shadow[ACCEL_CACHEMEM_SIZE / 4];

    /* Register BAR backing (shared with the client for the sparse areas) */
    int bar_fd;
    uint8_t *bar;

    /* Device memory backing */
    int mem_fd;
    /*
     * No committed HDM decoder after a reset: the host region is inactive,
     * as the kernel marks it. The file is truncated, so that the client's
     * mappings fault (SIGBUS) and reads and writes fail (EIO) as the
     * kernel's do; what the memory held is lost.
     */
    bool mem_inactive;
    /*
     * The memory is gated: v5 with PCI Memory Space Enable clear (the v5
     * kernel's gate), or the function in D3hot (either revision). The
     * file is truncated as for mem_inactive, but what the memory held is
     * kept in mem_saved_fd (its data extents only) and written back when
     * the gate opens again.
     */
    bool mem_gated;
    int mem_saved_fd;           /* -1: nothing saved */

    /* --fuzz-seed: the backend fuzzer's state, or NULL */
    AccelFuzz *fuzz;

    /* The client's DMA mappings (AccelDMAMap), for the copy engine */
    GArray *dma_maps;

    /* Write-back cache of a Cache_Capable device (AccelCacheLine) */
    GArray *cache;
    uint64_t cache_bytes;
    bool wbi_pending;           /* Initiate WBI, not done yet */

    /*
     * Exposed as CXL: the client's view of the CXL Device DVSEC over the
     * device's (cfg), by the rules the host driver builds too
     */
    struct cxl_vdvsec vdvsec;

    /* Side effects that went "to hardware", for tests and the log */
    unsigned wbi_count;
    unsigned cxl_reset_count;
    unsigned reset_count;
    unsigned dma_count;         /* copy requests taken */
} CXLAccel;

/* accel-options.c */
void accel_options_init(AccelOptions *o);
bool accel_uapi_parse(const char *name, AccelUapi *u);
bool accel_parse_size(const char *str, uint64_t *size, GError **errp);
bool accel_options_check(const AccelOptions *o, GError **errp);
const char *accel_fault_name(AccelFault f);
bool accel_fault_parse(const char *name, AccelFault *f);
bool accel_block_at_parse(const char *name, AccelBlockAt *b);
bool accel_decoder_type_parse(const char *name, AccelDecoderType *t);
uint64_t accel_serial_from_path(const char *path);

/*
 * accel-layout.c (queries: what the device is, from its options and
 * state): accel_cxl_exposed(), accel_v5(), the offsets below,
 * accel_hdm_count(), accel_hdm_block_size(), accel_comp_regs_size(),
 * accel_mem_live() and accel_power_state().
 *
 * accel-model.c: the device, at the top; it calls down into the others.
 */
CXLAccel *accel_new(const AccelOptions *o, GError **errp);
void accel_free(CXLAccel *a);
/* A client connected: take the open-time snapshot. */
void accel_open(CXLAccel *a);
/*
 * VFIO_DEVICE_RESET. v2: re-take the snapshot, keep device memory.
 * v5 (exposed as CXL): a CXL reset that clears the device memory and
 * closes the Memory Space gate.
 */
void accel_reset(CXLAccel *a);
/*
 * A Function Level Reset the client wrote through config space. CXL r3.1
 * 9.5: it leaves CXL.mem state (the HDM decoders, the v2 shadow of them)
 * and the CXL Device DVSEC alone and keeps the device memory; the rest of
 * config space and the accelerator registers are reset. v5: the kernel
 * turns it into a CXL reset (9.4), as accel_reset().
 */
void accel_flr(CXLAccel *a);
/*
 * Whether the device is exposed as CXL. v2: a firmware-committed decoder.
 * v5: that, exactly one HDM decoder and CXL Reset Capable (9.2).
 */
bool accel_cxl_exposed(const CXLAccel *a);
/* Whether the v5 rules apply: --uapi v5 and exposed as CXL */
bool accel_v5(const CXLAccel *a);
uint64_t accel_block_offset(const CXLAccel *a);
uint64_t accel_regs_offset(const CXLAccel *a);
/* hdm_regs_offset of the CXL device cap: block offset + 0x1000 */
uint64_t accel_hdm_regs_offset(const CXLAccel *a);
/*
 * The part of the register BAR left out of the sparse mmap areas (v2: the
 * component block; v5: the page of the HDM decoder block); false when the
 * whole BAR may be mapped (not exposed as CXL).
 */
bool accel_bar_mmap_hole(const CXLAccel *a, uint64_t *start, uint64_t *size);
unsigned accel_hdm_count(const CXLAccel *a);
/* v2: CXL.cachemem up to the end of the HDM block; v5: the HDM block */
uint64_t accel_comp_regs_size(const CXLAccel *a);
/* BAR offset of the HDM Decoder Capability (v5's COMP_REGS offset 0) */
uint64_t accel_hdm_bar_offset(const CXLAccel *a);
/* Size of the HDM Decoder Capability structure with its decoders */
uint64_t accel_hdm_block_size(const CXLAccel *a);
int accel_bar_read(CXLAccel *a, uint64_t off, void *buf, size_t len);
int accel_bar_write(CXLAccel *a, uint64_t off, const void *buf, size_t len);
int accel_mem_read(CXLAccel *a, uint64_t off, void *buf, size_t len);
int accel_mem_write(CXLAccel *a, uint64_t off, const void *buf, size_t len);
/* Whether the device memory can be accessed (neither inactive nor gated) */
bool accel_mem_live(const CXLAccel *a);
/*
 * Open or close the memory gate from config space: closed in D3hot, and
 * on v5 while Memory Space Enable is clear.
 */
void accel_mem_update_gate(CXLAccel *a);

/*
 * accel-dma.c: the client's DMA mappings and the copy engine. map and
 * unmap return 0 or a negative errno; accel_dma_run() serves a request if
 * the doorbell was rung, appends what it did to @log and returns whether
 * it ran.
 */
int accel_dma_map(CXLAccel *a, uint64_t iova, uint64_t size, int fd,
                  uint64_t offset, bool writable);
int accel_dma_unmap(CXLAccel *a, uint64_t iova, uint64_t size);
void accel_dma_unmap_all(CXLAccel *a);
bool accel_dma_run(CXLAccel *a, const AccelDMAIO *io, GString *log);
/* A write of the engine, or of a write-back, through the mappings */
AccelDMAError accel_dma_write(CXLAccel *a, const AccelDMAIO *io,
                              uint64_t iova, const uint8_t *buf, size_t len);

/*
 * accel-cache.c: the device's write-back cache (--cache-capable). Held
 * writes are seen by the engine's own reads, written back on Initiate
 * WBI (by accel_cache_run(), between messages, as the engine runs) and
 * discarded by a reset.
 */
#define ACCEL_CACHE_MAX         (16 * MiB)
bool accel_cache_enabled(const CXLAccel *a);
/* Hold a write in the cache; false if it does not fit (write it then). */
bool accel_cache_hold(CXLAccel *a, uint64_t iova, const uint8_t *buf,
                      size_t len);
/* Lay the cached bytes of [iova, iova + len) over what was read. */
void accel_cache_overlay(CXLAccel *a, uint64_t iova, uint8_t *buf,
                         size_t len);
/*
 * accel_cache_flush() writes the held lines back through @sink (the
 * model's: the copy engine's DMA writes); accel_cache_run()
 * (accel-model.c) does it through the client's mappings.
 */
typedef struct AccelCacheSink {
    AccelDMAError (*write)(void *opaque, uint64_t iova, const uint8_t *buf,
                           size_t len);
    void *opaque;
} AccelCacheSink;
bool accel_cache_flush(CXLAccel *a, const AccelCacheSink *sink,
                       GString *log);
bool accel_cache_run(CXLAccel *a, const AccelDMAIO *io, GString *log);
void accel_cache_discard(CXLAccel *a);
/* Status2 Cache Invalid: caching disabled and nothing held */
void accel_cache_update_status(CXLAccel *a);

/*
 * accel-fuzz.c: the backend fuzzer. accel_fuzz_connect() starts a client
 * (seed + n for the n-th) and returns its seed; accel_fuzz_reply() may
 * change the reply to @command (@region for REGION_READ): its @data,
 * passed @fd (-2 asks the caller for an extra one) or @ret. False: drop
 * the connection instead of replying.
 */
AccelFuzz *accel_fuzz_new(uint64_t seed);
void accel_fuzz_free(AccelFuzz *f);
uint64_t accel_fuzz_connect(AccelFuzz *f);
bool accel_fuzz_reply(AccelFuzz *f, unsigned command, unsigned region,
                      GByteArray *data, int *fd, int *ret, GString *log);

/*
 * accel-config.c: config space and the DVSEC rules. accel_config_store()
 * applies a write to config space alone and says in @fx what it asks of
 * the rest of the device, which accel_config_write() (accel-model.c)
 * then does.
 */
typedef struct AccelConfigEffects {
    bool flr;                   /* Initiate Function Level Reset */
    bool cxl_reset;             /* a CXL Reset reached the device */
} AccelConfigEffects;

void accel_config_init(CXLAccel *a);
/* The client's DVSEC view afresh (open, a conventional reset) */
void accel_config_view_init(CXLAccel *a);
int accel_config_read(CXLAccel *a, uint64_t off, void *buf, size_t len);
int accel_config_store(CXLAccel *a, uint64_t off, const void *buf,
                       size_t len, AccelConfigEffects *fx);
/* accel-model.c: a config write of the client, with what it does */
int accel_config_write(CXLAccel *a, uint64_t off, const void *buf,
                       size_t len);
/* Hardware raising Viral (for tests of the RW1C status bit) */
void accel_config_raise_viral(CXLAccel *a);
/* PMCSR PowerState: ACCEL_PM_D0 or ACCEL_PM_D3HOT */
unsigned accel_power_state(const CXLAccel *a);

/* accel-hdm.c: CXL.cachemem registers and the HDM shadow rules */
void accel_hdm_hw_init(CXLAccel *a);
void accel_hdm_snapshot(CXLAccel *a);
/* The reset-uncommits fault: "hardware" loses decoder 0's commit */
void accel_hdm_uncommit_decoder0(CXLAccel *a);
bool accel_hdm_decoder0_committed(const CXLAccel *a);
/* A CXL Reset: every HDM decoder back to its default, uncommitted */
void accel_hdm_cxl_reset(CXLAccel *a);
/* The host region turns (in)active: after a reset, from the snapshot */
void accel_mem_update_active(CXLAccel *a);
int accel_comp_regs_read(CXLAccel *a, uint64_t off, void *buf, size_t len);
int accel_comp_regs_write(CXLAccel *a, uint64_t off, const void *buf,
                          size_t len);

#endif
