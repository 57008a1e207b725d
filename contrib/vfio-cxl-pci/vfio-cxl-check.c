// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-cxl-check: checks a device bound to vfio_cxl_pci through the VFIO
 * ioctls alone, no QEMU: what the v2 vfio-cxl UAPI promises a VMM, or the
 * v5 one (the series as posted since v4).
 *
 *   vfio-cxl-check [--v2 | --v5 | --plain] BDF
 *
 * Without an option the device says which: a CXL device info capability
 * is v2, none is v5. An option makes the other one a failure. --plain
 * checks a device the driver serves as plain vfio-pci (v5's fallback).
 * $CXL_HOST_WINDOW: the host address of the CXL window the device memory
 * sits at, which v5's live decoder 0 BASE must read.
 *
 * $CXL_HOST_PATTERN ("OFFSET:HEX"): bytes someone else wrote into the
 * device memory at that offset (the test bed's outer host), which the
 * memory region must read back.
 * Prints TAP. Lines "check-host: expect-devmem OFFSET HEX" say what this
 * program wrote into device memory, for whoever can see the device's
 * memory from outside to check.
 *
 * Copyright (c) 2026 QEMU CXL Type-2 team
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "cxl_shadow.h"
#include "vfio-test.h"
/*
 * The v5 numbers (provisional, shared with QEMU) first: v2's COMP_REGS
 * subtype has the same name in vfio_cxl_uapi.h.
 */
#include "cxl-uapi-v5.h"
enum {
	V5_SUBTYPE_MEM = VFIO_REGION_SUBTYPE_CXL_MEM,
	V5_SUBTYPE_COMP_REGS = VFIO_REGION_SUBTYPE_CXL_COMP_REGS,
};

#undef VFIO_REGION_SUBTYPE_CXL_COMP_REGS
#include "vfio_cxl_uapi.h"

#define PAGE			4096UL
/* Where this program writes its own pattern into device memory */
#define OWN_PATTERN_OFF		0x200000UL
/* An IOVA for the type1 map of device memory */
#define DEVMEM_IOVA		(1UL << 32)
#define DVSEC_VENDOR_CXL	0x1e98
#define PCI_EXT_CAP_ID_DVSEC	0x23
#define DVSEC_CTRL		0x0c
#define DVSEC_LOCK		0x14
#define DVSEC_R1_BASE_LO	0x24
/* The emulated accelerator's register page in its BAR (vfio-user-cxl-accel
 * --help): at 0, or after the block when the block is at the start */
#define ACCEL_BAR		2
#define ACCEL_ID		0x43584c32	/* "CXL2" */
#define ACCEL_REGS_AT_START	0x10000
#define ACCEL_MEM_SIZE		0x10
#define ACCEL_BLOCK_OFF		0x18

#ifndef KVM_CAP_ARM_CACHEABLE_PFNMAP_SUPPORTED
/* Linux 6.17's include/uapi/linux/kvm.h: trixie's linux-libc-dev lacks it */
#define KVM_CAP_ARM_CACHEABLE_PFNMAP_SUPPORTED 243
#endif
/* Where the device memory goes in a VM of its own: below any IPA limit */
#define KVM_SLOT_GPA		(1UL << 32)

static int tests, failures;
static int container = -1, device = -1, group = -1;
/* The device's address, for what sysfs shows of the hardware */
static const char *bdf;
static struct vfio_device_info_cap_cxl cxl;
static struct vfio_device_info dev_info;
static uint64_t mem_size, comp_size, bar_size, accel_mem_size;
static struct cxl_shadow layout;
/* v5: the device serves the v5 interface; COMP_REGS's region capability */
static int v5;
static struct vfio_region_info_cap_cxl_comp_regs comp_cap;

static int faults(unsigned char *p, unsigned char *out);
static int64_t accel_page(void);

static void ok(int cond, const char *fmt, ...)
{
	va_list ap;

	tests++;
	if (!cond)
		failures++;
	printf("%sok %d - ", cond ? "" : "not ", tests);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

static void diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

static int open_device(const char *bdf)
{
	struct vfio_group_status status = { .argsz = sizeof(status) };
	char path[PATH_MAX], link[PATH_MAX];
	const char *group_id;
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group", bdf);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0) {
		diag("%s: %s", path, strerror(errno));
		return -1;
	}
	link[n] = 0;
	group_id = strrchr(link, '/') + 1;
	snprintf(path, sizeof(path), "/dev/vfio/%s", group_id);

	container = open("/dev/vfio/vfio", O_RDWR);
	group = open(path, O_RDWR);
	if (container < 0 || group < 0) {
		diag("open /dev/vfio/vfio or %s: %s", path, strerror(errno));
		return -1;
	}
	if (ioctl(group, VFIO_GROUP_GET_STATUS, &status) ||
	    !(status.flags & VFIO_GROUP_FLAGS_VIABLE) ||
	    ioctl(group, VFIO_GROUP_SET_CONTAINER, &container) ||
	    ioctl(container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU)) {
		diag("group %s: not viable or no type1v2: %s", group_id,
		     strerror(errno));
		return -1;
	}
	device = ioctl(group, VFIO_GROUP_GET_DEVICE_FD, bdf);
	if (device < 0)
		diag("VFIO_GROUP_GET_DEVICE_FD: %s", strerror(errno));
	return device;
}

/*
 * The emulated accelerator says where its component block is and how much
 * memory it has in a register page of its BAR, which the driver passes
 * through: the device info and COMP_REGS are checked against that, not
 * against themselves. Another device gets the weaker checks.
 */
static void check_against_accel(void)
{
	int64_t page = accel_page();
	uint32_t lo = 0, hi = 0, szlo = 0, szhi = 0;
	uint64_t block, size;

	if (page < 0 || cxl.hdm_regs_bar_index != ACCEL_BAR) {
		ok(cxl.hdm_regs_offset % CXL_SHADOW_BLOCK_SIZE == CXL_SHADOW_CACHEMEM_OFFSET,
		   "device_is_cxl: hdm_regs_offset %#" PRIx64 " is a component block + 0x1000 (not the emulated accelerator)",
		   (uint64_t)cxl.hdm_regs_offset);
		return;
	}
	pread(device, &lo, 4, OFFSET(cxl.hdm_regs_bar_index) + page + ACCEL_BLOCK_OFF);
	pread(device, &hi, 4, OFFSET(cxl.hdm_regs_bar_index) + page + ACCEL_BLOCK_OFF + 4);
	pread(device, &szlo, 4, OFFSET(cxl.hdm_regs_bar_index) + page + ACCEL_MEM_SIZE);
	pread(device, &szhi, 4, OFFSET(cxl.hdm_regs_bar_index) + page + ACCEL_MEM_SIZE + 4);
	block = (uint64_t)hi << 32 | lo;
	size = (uint64_t)szhi << 32 | szlo;
	ok(cxl.hdm_regs_offset == block + CXL_SHADOW_CACHEMEM_OFFSET,
	   "device_is_cxl: hdm_regs_offset %#" PRIx64 " is the accelerator's block (%#" PRIx64 ") + 0x1000",
	   (uint64_t)cxl.hdm_regs_offset, block);
	accel_mem_size = size;
	ok((cxl.flags & VFIO_CXL_CAP_FIRMWARE_COMMITTED) && size,
	   "device_is_cxl: FIRMWARE_COMMITTED (flags %#x) on an accelerator with %#" PRIx64 " bytes, which the outer firmware committed",
	   cxl.flags, size);
}

static void check_device_info(void)
{
	size_t len = 4096;
	struct vfio_device_info *info = calloc(1, len);
	struct vfio_info_cap_header *h;

	info->argsz = len;
	ok(!ioctl(device, VFIO_DEVICE_GET_INFO, info), "device_is_cxl: VFIO_DEVICE_GET_INFO");
	dev_info = *info;
	ok((info->flags & (VFIO_DEVICE_FLAGS_PCI | VFIO_DEVICE_FLAGS_CXL |
			   VFIO_DEVICE_FLAGS_CAPS | VFIO_DEVICE_FLAGS_RESET)) ==
	   (VFIO_DEVICE_FLAGS_PCI | VFIO_DEVICE_FLAGS_CXL |
	    VFIO_DEVICE_FLAGS_CAPS | VFIO_DEVICE_FLAGS_RESET),
	   "device_is_cxl: flags %#x have PCI, CXL, CAPS and RESET", info->flags);
	h = find_cap(info, len, info->cap_offset, VFIO_DEVICE_INFO_CAP_CXL);
	ok(h && h->version == VFIO_DEVICE_INFO_CAP_CXL_VERSION,
	   "device_is_cxl: CXL capability (id %d) version %d",
	   VFIO_DEVICE_INFO_CAP_CXL, VFIO_DEVICE_INFO_CAP_CXL_VERSION);
	if (h)
		memcpy(&cxl, h, sizeof(cxl));
	check_against_accel();
	ok(cxl.dpa_region_index >= VFIO_PCI_NUM_REGIONS &&
	   cxl.dpa_region_index < info->num_regions &&
	   cxl.comp_regs_region_index >= VFIO_PCI_NUM_REGIONS &&
	   cxl.comp_regs_region_index < info->num_regions &&
	   cxl.dpa_region_index != cxl.comp_regs_region_index,
	   "device_is_cxl: region indices %u and %u of %u", cxl.dpa_region_index,
	   cxl.comp_regs_region_index, info->num_regions);
	free(info);
}

static struct vfio_region_info *region_info(uint32_t index)
{
	size_t len = 4096;
	struct vfio_region_info *info = calloc(1, len);

	info->argsz = len;
	info->index = index;
	if (ioctl(device, VFIO_DEVICE_GET_REGION_INFO, info)) {
		free(info);
		return NULL;
	}
	return info;
}

static void check_region(uint32_t index, uint32_t subtype, uint32_t flags,
			 uint64_t *size, const char *what)
{
	struct vfio_region_info *info = region_info(index);
	struct vfio_region_info_cap_type *type = NULL;

	if (info && (info->flags & VFIO_REGION_INFO_FLAG_CAPS))
		type = (void *)find_cap(info, info->argsz, info->cap_offset,
					VFIO_REGION_INFO_CAP_TYPE);
	ok(type && type->type == VFIO_REGION_TYPE_CXL && type->subtype == subtype,
	   "region_flags: %s region is type %#x subtype %u", what,
	   VFIO_REGION_TYPE_CXL, subtype);
	ok(info && info->flags == (flags | VFIO_REGION_INFO_FLAG_CAPS) && info->size &&
	   info->offset == OFFSET(index),
	   "region_flags: %s region flags %#x, size %#" PRIx64, what,
	   info ? info->flags : 0, info ? (uint64_t)info->size : 0);
	*size = info ? info->size : 0;
	free(info);
}

static void check_bar(void)
{
	uint64_t block = cxl.hdm_regs_offset - CXL_SHADOW_CACHEMEM_OFFSET;
	struct vfio_region_info *info = region_info(cxl.hdm_regs_bar_index);
	struct vfio_region_info_cap_sparse_mmap *sp = NULL;
	uint64_t covered = 0;
	unsigned int i;
	int overlap = 0;

	if (info && (info->flags & VFIO_REGION_INFO_FLAG_CAPS))
		sp = (void *)find_cap(info, info->argsz, info->cap_offset,
				      VFIO_REGION_INFO_CAP_SPARSE_MMAP);
	bar_size = info ? info->size : 0;
	ok(info && block + CXL_SHADOW_BLOCK_SIZE <= bar_size,
	   "comp_bar_sparse_mmap: BAR %u (%#" PRIx64 " bytes) holds the block at %#" PRIx64,
	   cxl.hdm_regs_bar_index, bar_size, block);
	for (i = 0; sp && i < sp->nr_areas; i++) {
		covered += sp->areas[i].size;
		if (sp->areas[i].offset < block + CXL_SHADOW_BLOCK_SIZE &&
		    block < sp->areas[i].offset + sp->areas[i].size)
			overlap = 1;
	}
	if (bar_size == CXL_SHADOW_BLOCK_SIZE)
		ok(info && !sp && !(info->flags & VFIO_REGION_INFO_FLAG_MMAP),
		   "comp_bar_sparse_mmap: the block fills the BAR: no mmap");
	else
		ok(sp && !overlap && covered == bar_size - CXL_SHADOW_BLOCK_SIZE,
		   "comp_bar_sparse_mmap: %u area(s) cover all but the block",
		   sp ? sp->nr_areas : 0);
	if (bar_size > CXL_SHADOW_BLOCK_SIZE) {
		void *p = mmap(NULL, CXL_SHADOW_BLOCK_SIZE, PROT_READ, MAP_SHARED,
			       device, OFFSET(cxl.hdm_regs_bar_index) + block);

		ok(p == MAP_FAILED && errno == EINVAL,
		   "comp_bar_sparse_mmap: mmap of the block is refused");
		if (p != MAP_FAILED)
			munmap(p, CXL_SHADOW_BLOCK_SIZE);
	}
	if (sp && sp->nr_areas) {
		void *p = mmap(NULL, sp->areas[0].size, PROT_READ, MAP_SHARED,
			       device, OFFSET(cxl.hdm_regs_bar_index) +
			       sp->areas[0].offset);

		ok(p != MAP_FAILED, "comp_bar_sparse_mmap: sparse area 0 maps");
		if (p != MAP_FAILED)
			munmap(p, sp->areas[0].size);
	}
	free(info);
}

static int comp_read(uint64_t off, uint32_t *val)
{
	return pread(device, val, 4, OFFSET(cxl.comp_regs_region_index) + off) == 4 ?
	       0 : -errno;
}

static int comp_write(uint64_t off, uint32_t val)
{
	return pwrite(device, &val, 4, OFFSET(cxl.comp_regs_region_index) + off) == 4 ?
	       0 : -errno;
}

static uint32_t comp(uint64_t off)
{
	uint32_t v = 0xdeadbeef;

	comp_read(off, &v);
	return v;
}

static uint32_t dec(unsigned int n, unsigned int reg)
{
	return layout.hdm + reg + CXL_SHADOW_HDM_DECODER_STRIDE * n;
}

static void check_comp_regs(void)
{
	uint32_t regs[CXL_SHADOW_CACHEMEM_SIZE / 4] = { 0 };
	uint32_t ctrl, v, two = 0;
	unsigned int i;

	for (i = 0; i < comp_size / 4 && i < CXL_SHADOW_CACHEMEM_SIZE / 4; i++)
		comp_read(i * 4, &regs[i]);
	ok(!cxl_shadow_find_hdm(regs, comp_size / 4, &layout.hdm, &layout.count) &&
	   cxl_shadow_size(layout.hdm, layout.count) == comp_size,
	   "comp_regs_hdm_read: HDM Decoder Capability at %#x, %u decoder(s), COMP_REGS %#" PRIx64 " bytes",
	   layout.hdm, layout.count, comp_size);
	ctrl = comp(dec(0, CXL_SHADOW_HDM_DEC_CTRL));
	ok((ctrl & CXL_SHADOW_HDM_CTRL_COMMITTED) && !(ctrl & CXL_SHADOW_HDM_CTRL_LOCK),
	   "guest_hdm_discovery: decoder 0 committed, LOCK cleared (control %#x)", ctrl);
	ok(!comp(dec(0, CXL_SHADOW_HDM_DEC_BASE_LO)) && !comp(dec(0, CXL_SHADOW_HDM_DEC_BASE_HI)),
	   "guest_hdm_discovery: decoder 0 BASE reads 0 (the host address is hidden)");
	ok(((uint64_t)comp(dec(0, CXL_SHADOW_HDM_DEC_SIZE_HI)) << 32 |
	    comp(dec(0, CXL_SHADOW_HDM_DEC_SIZE_LO))) == mem_size &&
	   (!accel_mem_size || mem_size == accel_mem_size),
	   "guest_hdm_discovery: decoder 0 SIZE is the memory region's size%s",
	   accel_mem_size ? " and the accelerator's" : "");

	ok(pread(device, &two, 2, OFFSET(cxl.comp_regs_region_index)) < 0 &&
	   errno == EINVAL, "comp_regs_reject_unaligned: 2-byte read");
	ok(pread(device, &v, 4, OFFSET(cxl.comp_regs_region_index) + 2) < 0 &&
	   errno == EINVAL, "comp_regs_reject_unaligned: unaligned dword read");
	ok(pwrite(device, &two, 1, OFFSET(cxl.comp_regs_region_index) + layout.hdm + 4) < 0 &&
	   errno == EINVAL, "comp_regs_reject_unaligned: 1-byte write");
	ok(comp_read(comp_size, &v) == -EINVAL,
	   "comp_regs_reject_out_of_range: read at the region's end");
	ok(comp_write(comp_size + 0x100, 0) == -EINVAL,
	   "comp_regs_reject_out_of_range: write past the end");

	/* The write rules, each undone after */
	v = comp(0);
	comp_write(0, ~v);
	ok(comp(0) == v, "shadow: the capability array is read-only");
	v = comp(layout.hdm + CXL_SHADOW_HDM_CAP);
	comp_write(layout.hdm + CXL_SHADOW_HDM_CAP, ~v);
	ok(comp(layout.hdm + CXL_SHADOW_HDM_CAP) == v,
	   "shadow: the HDM Decoder Capability register is read-only");
	v = comp(layout.hdm + CXL_SHADOW_HDM_GLOBAL_CTRL);
	comp_write(layout.hdm + CXL_SHADOW_HDM_GLOBAL_CTRL, 0xffffffff);
	i = comp(layout.hdm + CXL_SHADOW_HDM_GLOBAL_CTRL);
	ok((i & ~(uint32_t)CXL_SHADOW_HDM_GLOBAL_POISON_EN) == CXL_SHADOW_HDM_GLOBAL_ENABLE,
	   "shadow: Global Control keeps only its defined bits (%#x)", i);
	comp_write(layout.hdm + CXL_SHADOW_HDM_GLOBAL_CTRL, v);

	comp_write(dec(0, CXL_SHADOW_HDM_DEC_BASE_LO), 0x12345678);
	comp_write(dec(0, CXL_SHADOW_HDM_DEC_BASE_HI), 0x42);
	ok(comp(dec(0, CXL_SHADOW_HDM_DEC_BASE_LO)) == 0x10000000 &&
	   comp(dec(0, CXL_SHADOW_HDM_DEC_BASE_HI)) == 0x42,
	   "hdm_base_write_absorbed: BASE takes a guest address, [27:0] reads 0");
	comp_write(dec(0, CXL_SHADOW_HDM_DEC_CTRL), ctrl & ~CXL_SHADOW_HDM_CTRL_COMMIT);
	ok(!(comp(dec(0, CXL_SHADOW_HDM_DEC_CTRL)) & CXL_SHADOW_HDM_CTRL_COMMITTED),
	   "hdm_commit_fsm: clearing COMMIT uncommits");
	comp_write(dec(0, CXL_SHADOW_HDM_DEC_CTRL), ctrl | CXL_SHADOW_HDM_CTRL_COMMIT |
		   CXL_SHADOW_HDM_CTRL_RSVD28_MASK | CXL_SHADOW_HDM_CTRL_RSVD15);
	v = comp(dec(0, CXL_SHADOW_HDM_DEC_CTRL));
	ok((v & CXL_SHADOW_HDM_CTRL_COMMITTED) &&
	   !(v & (CXL_SHADOW_HDM_CTRL_RSVD28_MASK | CXL_SHADOW_HDM_CTRL_RSVD15)),
	   "hdm_commit_fsm: COMMIT commits, reserved bits read 0 (%#x)", v);
	comp_write(dec(0, CXL_SHADOW_HDM_DEC_CTRL), v | CXL_SHADOW_HDM_CTRL_LOCK);
	comp_write(dec(0, CXL_SHADOW_HDM_DEC_BASE_HI), 0x43);
	ok(comp(dec(0, CXL_SHADOW_HDM_DEC_BASE_HI)) == 0x42,
	   "hdm_lock_on_commit: BASE is read-only while locked");
	comp_write(dec(0, CXL_SHADOW_HDM_DEC_CTRL),
		   (v | CXL_SHADOW_HDM_CTRL_LOCK) & ~CXL_SHADOW_HDM_CTRL_COMMIT);
	ok(comp(dec(0, CXL_SHADOW_HDM_DEC_CTRL)) == (v | CXL_SHADOW_HDM_CTRL_LOCK),
	   "hdm_lock_on_commit: a locked decoder ignores an uncommit");
	comp_write(dec(0, CXL_SHADOW_HDM_DEC_CTRL), v);
	ok(comp(dec(0, CXL_SHADOW_HDM_DEC_CTRL)) == v,
	   "shadow: writing LOCK 0 releases only LOCK (the v2 reprogram path)");
	v = comp(dec(0, CXL_SHADOW_HDM_DEC_SIZE_HI) + 8);
	comp_write(dec(0, CXL_SHADOW_HDM_DEC_SIZE_HI) + 8, ~v);
	ok(comp(dec(0, CXL_SHADOW_HDM_DEC_SIZE_HI) + 8) == v,
	   "shadow: DPA skip writes are discarded");
}

static void check_bar_block(void)
{
	uint64_t bar = OFFSET(cxl.hdm_regs_bar_index);
	uint64_t block = cxl.hdm_regs_offset - CXL_SHADOW_CACHEMEM_OFFSET;
	uint32_t v = 0, w = 0x77;

	ok(pread(device, &v, 4, bar + cxl.hdm_regs_offset) == 4 && v == comp(0),
	   "comp_bar_rdwr_split: a BAR read of CXL.cachemem is COMP_REGS (%#x)", v);
	ok(pread(device, &v, 4, bar + block) == 4 && v == 0,
	   "comp_bar_rdwr_split: the rest of the block reads 0");
	ok(pwrite(device, &w, 4, bar + cxl.hdm_regs_offset +
		  dec(0, CXL_SHADOW_HDM_DEC_BASE_HI)) == 4 &&
	   comp(dec(0, CXL_SHADOW_HDM_DEC_BASE_HI)) == w,
	   "comp_bar_rdwr_split: a BAR write of a decoder lands in the shadow");
	/* Each edge the block has inside the BAR (the bed puts it at the
	 * start, the middle and the end) */
	if (block)
		ok(pread(device, &v, 4, bar + block - 2) < 0,
		   "comp_bar_rdwr_split: an access across the block's start is refused");
	if (block + CXL_SHADOW_BLOCK_SIZE < bar_size)
		ok(pread(device, &v, 4, bar + block + CXL_SHADOW_BLOCK_SIZE - 2) < 0,
		   "comp_bar_rdwr_split: an access across the block's end is refused");
}

static void hex(char *out, const unsigned char *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
}

/*
 * The memory region mapped at a 1 GiB aligned address, as QEMU maps
 * regions, so that the driver can insert 1 GiB and 2 MiB blocks.
 */
static void *map_mem(int prot)
{
	const size_t align = 1UL << 30;
	char *base, *p;

	base = mmap(NULL, mem_size + align, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (base == MAP_FAILED)
		return MAP_FAILED;
	p = (char *)(((uintptr_t)base + align - 1) & ~(align - 1));
	if (p > base)
		munmap(base, p - base);
	munmap(p + mem_size, base + align - p);
	return mmap(p, mem_size, prot, MAP_SHARED | MAP_FIXED, device,
		    OFFSET(cxl.dpa_region_index));
}

/* Kilobytes of this process's page tables */
static long vm_pte_kb(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[128];
	long kb = -1;

	while (f && fgets(line, sizeof(line), f))
		sscanf(line, "VmPTE: %ld", &kb);
	if (f)
		fclose(f);
	return kb;
}

/*
 * Touching one byte in each of HUGE_BLOCKS 2 MiB blocks of the 1 GiB
 * aligned mapping: with 4 KiB pages each block needs a page table page of
 * its own (4 KiB), with 2 MiB or 1 GiB blocks none does. The page tables
 * say which the driver inserted.
 */
#define HUGE_BLOCK		(2UL << 20)
#define HUGE_BLOCKS		32
static void check_huge_blocks(unsigned char *p)
{
	long before = vm_pte_kb(), after;
	unsigned int i, n = 0;
	unsigned char b;

	/* Huge PFN maps need transparent huge pages (Debian's kernel has them) */
	if (access("/sys/kernel/mm/transparent_hugepage", F_OK)) {
		ok(1, "# SKIP hdm_mem_huge_mmap: a kernel without transparent huge pages maps 4 KiB pages only");
		return;
	}

	for (i = 0; i < HUGE_BLOCKS && (i + 1) * HUGE_BLOCK <= mem_size; i++)
		n += !faults(p + i * HUGE_BLOCK, &b);
	after = vm_pte_kb();
	ok(n == HUGE_BLOCKS && after - before < HUGE_BLOCKS * 4 / 2,
	   "hdm_mem_huge_mmap: touching %u 2 MiB blocks adds %ld KiB of page tables (4 KiB pages would add %u)",
	   n, after - before, HUGE_BLOCKS * 4);
}

static void check_memory(const char *pattern)
{
	uint64_t mem = OFFSET(cxl.dpa_region_index);
	unsigned char own[16] = "vfio-cxl-check\n", got[16];
	char h[2 * 32 + 1];
	struct vfio_iommu_type1_dma_map map = { .argsz = sizeof(map) };
	struct vfio_iommu_type1_dma_unmap unmap = { .argsz = sizeof(unmap) };
	unsigned char *p;
	long pte_before, pte_after;

	p = map_mem(PROT_READ | PROT_WRITE);
	ok(p != MAP_FAILED, "hdm_mem_mmap_rw: mmap of %#" PRIx64 " bytes", mem_size);
	if (p == MAP_FAILED)
		return;
	if (pattern && strchr(pattern, ':')) {
		const char *pat_hex = strchr(pattern, ':') + 1;
		uint64_t off = strtoull(pattern, NULL, 0);
		size_t n = strlen(pat_hex) / 2;

		if (n > 32 || off > mem_size - n)
			n = 0;
		hex(h, p + off, n);
		ok(n && !strcmp(h, pat_hex),
		   "hdm_mem_touch_committed_base: bytes at %#" PRIx64
		   " are what the outer host wrote (%s)", off, h);
	}
	memcpy(p + OWN_PATTERN_OFF, own, sizeof(own));
	ok(pread(device, got, sizeof(got), mem + OWN_PATTERN_OFF) == sizeof(got) &&
	   !memcmp(got, own, sizeof(own)),
	   "hdm_mem_mmap_rw: what mmap wrote, read() reads");
	own[0] = 'V';
	ok(pwrite(device, own, sizeof(own), mem + OWN_PATTERN_OFF + 16) == sizeof(own) &&
	   !memcmp(p + OWN_PATTERN_OFF + 16, own, sizeof(own)),
	   "hdm_mem_mmap_rw: what write() wrote, mmap reads");
	hex(h, p + OWN_PATTERN_OFF, 32);
	/* v5 clears the memory in its reset: it says so after that */
	if (!v5)
		printf("check-host: expect-devmem %#lx %s\n", OWN_PATTERN_OFF, h);
	ok(pread(device, got, 4, mem + mem_size) < 0 && errno == EINVAL,
	   "hdm_mem_mmap_rw: read() past the end is refused");

	/* The type1 container maps VM_PFNMAP memory by virtual address */
	map.vaddr = (uintptr_t)p;
	map.iova = DEVMEM_IOVA;
	map.size = mem_size;
	map.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
	errno = 0;
	ok(!ioctl(container, VFIO_IOMMU_MAP_DMA, &map),
	   "hdm_mem_ioas_map: VFIO_IOMMU_MAP_DMA of the mmapped memory (%s)",
	   strerror(errno));
	unmap.iova = DEVMEM_IOVA;
	unmap.size = mem_size;
	ioctl(container, VFIO_IOMMU_UNMAP_DMA, &unmap);
	munmap(p, mem_size);

	/* A mapping populates nothing until touched */
	pte_before = 0;
	pte_after = 0;
	{
		FILE *f = fopen("/proc/self/status", "r");
		char line[128];

		while (f && fgets(line, sizeof(line), f))
			sscanf(line, "VmPTE: %ld", &pte_before);
		if (f)
			fclose(f);
		p = map_mem(PROT_READ);
		f = fopen("/proc/self/status", "r");
		while (f && fgets(line, sizeof(line), f))
			sscanf(line, "VmPTE: %ld", &pte_after);
		if (f)
			fclose(f);
	}
	ok(p != MAP_FAILED && pte_after - pte_before < 64,
	   "hdm_mem_lazy_mmap: mapping %#" PRIx64 " bytes adds %ld KiB of page tables",
	   mem_size, pte_after - pte_before);
	if (p != MAP_FAILED) {
		check_huge_blocks(p);
		munmap(p, mem_size);
	}
}

/*
 * What KVM does with the device memory mapped as QEMU maps it: a memory
 * slot of it, in a VM of its own. arm64 KVM (Linux 6.17 and later) takes a
 * cacheable VM_PFNMAP only with FEAT_S2FWB and CTR_EL0.DIC, which
 * KVM_CAP_ARM_CACHEABLE_PFNMAP_SUPPORTED on the VM fd says (/dev/kvm
 * answers EINVAL; an older kernel answers 0 on both and maps the memory
 * as Device memory). x86 KVM takes it, and its EPT maps it UC.
 */
static void check_kvm(void)
{
	struct kvm_userspace_memory_region slot = {
		.guest_phys_addr = KVM_SLOT_GPA,
		.memory_size = mem_size,
	};
	int kvm, vm, sys_cap, sys_err, cap, rc, err;
	unsigned char *p;

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0) {
		ok(1, "# SKIP kvm_memslot: /dev/kvm: %s", strerror(errno));
		return;
	}
	/* Type 0, the default IPA size: the slot is at a user address */
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	err = errno;
	ok(vm >= 0, "kvm_memslot: KVM_CREATE_VM (%s)", vm < 0 ? strerror(err) : "ok");
	if (vm < 0) {
		close(kvm);
		return;
	}
	errno = 0;
	sys_cap = ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_ARM_CACHEABLE_PFNMAP_SUPPORTED);
	sys_err = sys_cap < 0 ? errno : 0;
	ok(sys_cap == 0 || (sys_cap < 0 && sys_err == EINVAL),
	   "kvm_cap_system: KVM_CAP_ARM_CACHEABLE_PFNMAP_SUPPORTED on /dev/kvm is 0 or EINVAL: %d (%s)",
	   sys_cap, strerror(sys_err));
	cap = ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_ARM_CACHEABLE_PFNMAP_SUPPORTED);
	ok(cap == 0 || cap == 1,
	   "kvm_cap_vm: KVM_CAP_ARM_CACHEABLE_PFNMAP_SUPPORTED on the VM fd is 0 or 1: %d", cap);
	diag("KVM_CAP_ARM_CACHEABLE_PFNMAP_SUPPORTED: %d on the VM fd, %d (%s) on /dev/kvm",
	     cap, sys_cap, strerror(sys_err));
	printf("check-host: kvm-cacheable-pfnmap %d\n", cap);

	p = map_mem(PROT_READ | PROT_WRITE);
	ok(p != MAP_FAILED, "kvm_memslot: mmap of the memory region");
	if (p == MAP_FAILED)
		goto out;
	slot.userspace_addr = (uintptr_t)p;
	rc = ioctl(vm, KVM_SET_USER_MEMORY_REGION, &slot);
	err = rc ? errno : 0;
#ifdef __aarch64__
	if (cap > 0)
		ok(!rc,
		   "kvm_memslot: with the capability, KVM takes the device memory as a memory slot (%s)",
		   strerror(err));
	else if (sys_err == EINVAL)
		ok(rc && err == EINVAL,
		   "kvm_memslot: without the capability, KVM refuses the device memory as a memory slot with EINVAL (%s)",
		   strerror(err));
	else
		ok(!rc,
		   "kvm_memslot: a kernel without the capability takes the device memory as a memory slot (%s)",
		   strerror(err));
#else
	ok(!rc, "kvm_memslot: KVM takes the device memory as a memory slot (%s)", strerror(err));
#endif
	if (!rc) {
		slot.memory_size = 0;
		ioctl(vm, KVM_SET_USER_MEMORY_REGION, &slot);
	}
	munmap(p, mem_size);
out:
	close(vm);
	close(kvm);
}

static int cfg_read(uint32_t off, void *buf, size_t len)
{
	return vfio_cfg_read(device, off, buf, len);
}

static int cfg_write(uint32_t off, const void *buf, size_t len)
{
	return vfio_cfg_write(device, off, buf, len);
}

/*
 * Config space as the host's PCI core reads it from the device, past the
 * driver: what a write through VFIO did to the hardware
 */
static int hw_cfg_read(uint32_t off, void *buf, size_t len)
{
	char path[PATH_MAX];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/config", bdf);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	n = pread(fd, buf, len, off);
	close(fd);
	return n == (ssize_t)len ? 0 : -1;
}

static uint32_t find_dvsec(void)
{
	uint32_t off = 0x100, hdr, h1;
	uint16_t id;
	int hops = 0;

	while (off && hops++ < 64 && !cfg_read(off, &hdr, 4)) {
		if ((hdr & 0xffff) == PCI_EXT_CAP_ID_DVSEC &&
		    !cfg_read(off + 4, &h1, 4) && !cfg_read(off + 8, &id, 2) &&
		    (h1 & 0xffff) == DVSEC_VENDOR_CXL && id == 0)
			return off;
		off = hdr >> 20;
	}
	return 0;
}

static void check_dvsec(void)
{
	uint32_t d = find_dvsec(), base, lo = 0x12345678, hw_base = 0, hw_base2 = 1;
	uint16_t ctrl, w, lock = 1, hw_ctrl = 0, hw_ctrl2 = 1, hw_lock = 1;

	ok(d, "dvsec_body_read: CXL Device DVSEC at %#x", d);
	if (!d)
		return;
	hw_cfg_read(d + DVSEC_CTRL, &hw_ctrl, 2);
	hw_cfg_read(d + DVSEC_R1_BASE_LO, &hw_base, 4);
	cfg_read(d + DVSEC_CTRL, &ctrl, 2);
	w = ctrl & ~0x2;
	cfg_write(d + DVSEC_CTRL, &w, 2);
	cfg_read(d + DVSEC_CTRL, &w, 2);
	ok(w == ctrl && (w & 0x2), "dvsec_write_virtualized: IO_Enable stays 1 (%#x)", w);
	cfg_read(d + DVSEC_R1_BASE_LO, &base, 4);
	cfg_write(d + DVSEC_R1_BASE_LO, &lo, 4);
	cfg_read(d + DVSEC_R1_BASE_LO, &lo, 4);
	ok(lo == 0x10000000, "dvsec_write_virtualized: Range 1 Base Low keeps [31:28] (%#x)", lo);
	cfg_write(d + DVSEC_LOCK, &lock, 2);
	w = ctrl ^ 0x4;
	cfg_write(d + DVSEC_CTRL, &w, 2);
	cfg_read(d + DVSEC_CTRL, &w, 2);
	ok(w == ctrl, "dvsec_write_virtualized: CONFIG_LOCK makes Control read-only");
	lock = 0;
	cfg_write(d + DVSEC_LOCK, &lock, 2);
	cfg_read(d + DVSEC_LOCK, &lock, 2);
	ok(lock == 1, "dvsec_write_virtualized: CONFIG_LOCK is write-once");
	hw_cfg_read(d + DVSEC_CTRL, &hw_ctrl2, 2);
	hw_cfg_read(d + DVSEC_R1_BASE_LO, &hw_base2, 4);
	hw_cfg_read(d + DVSEC_LOCK, &hw_lock, 2);
	ok(hw_ctrl2 == hw_ctrl && hw_base2 == hw_base && !(hw_lock & 1),
	   "dvsec_write_virtualized: the device's own Control, Range 1 Base and Lock, read past the driver, are untouched (%#x %#x %#x)",
	   hw_ctrl2, hw_base2, hw_lock);
}

static void check_reset(void)
{
	uint32_t d = find_dvsec();
	uint16_t lock = 1;

	comp_write(dec(0, CXL_SHADOW_HDM_DEC_BASE_HI), 0x99);
	ok(!ioctl(device, VFIO_DEVICE_RESET), "device_reset: VFIO_DEVICE_RESET");
	ok(comp(dec(0, CXL_SHADOW_HDM_DEC_BASE_HI)) == 0 &&
	   (comp(dec(0, CXL_SHADOW_HDM_DEC_CTRL)) & CXL_SHADOW_HDM_CTRL_COMMITTED),
	   "device_reset: the shadow is the committed snapshot again");
	if (d)
		cfg_read(d + DVSEC_LOCK, &lock, 2);
	ok(!lock, "device_reset: DVSEC CONFIG_LOCK is clear again");
	{
		unsigned char b[16];

		ok(pread(device, b, sizeof(b), OFFSET(cxl.dpa_region_index) +
			 OWN_PATTERN_OFF) == sizeof(b) && !memcmp(b, "vfio-cxl-check\n", 15),
		   "device_reset: device memory is served again, its bytes kept");
	}
}

/* --- v5 ------------------------------------------------------------------ */

#define PCI_COMMAND_OFF		0x04
#define PCI_COMMAND_MEM		0x2
#define DVSEC_CAP		0x0a
#define DVSEC_CAP_MEM_CLR	CXL_SHADOW_BIT(11)
#define DVSEC_CTRL2		0x10
#define DVSEC_CTRL2_DISABLE_CACHING	CXL_SHADOW_BIT(0)
#define DVSEC_CTRL2_INITIATE_WBI	CXL_SHADOW_BIT(1)
#define DVSEC_CTRL2_INITIATE_RESET	CXL_SHADOW_BIT(2)
#define DVSEC_STATUS2		0x12
#define DVSEC_STATUS2_CACHE_INVALID	CXL_SHADOW_BIT(0)
#define DVSEC_STATUS2_RESET_COMPLETE	CXL_SHADOW_BIT(1)
#define DVSEC_ID_REGLOC		8
#define PCI_EXP_DEVCTL_OFF	0x08
#define PCI_EXP_DEVCTL_FLR	0x8000
/* The emulated accelerator's registers at the start of BAR 2 */
#define ACCEL_SCRATCH		0x08
/* An IOVA for a second type1 map, while the memory is gated */
#define GATED_IOVA		(DEVMEM_IOVA * 16)

static int mem_clr_capable;

static uint16_t cfg16(uint32_t off)
{
	uint16_t v = 0xffff;

	cfg_read(off, &v, 2);
	return v;
}

static void cfg16_set(uint32_t off, uint16_t v)
{
	cfg_write(off, &v, 2);
}

static uint32_t bar_read(unsigned int bar, uint64_t off)
{
	uint32_t v = 0xdeadbeef;

	if (pread(device, &v, 4, OFFSET(bar) + off) != 4)
		return 0xdeadbeef;
	return v;
}

/*
 * Where the emulated accelerator's register page is in its BAR: at 0, or
 * after the component block when the block is at the start; -1 if the
 * device is not the emulated accelerator
 */
static int64_t accel_page(void)
{
	if (bar_read(ACCEL_BAR, 0) == ACCEL_ID)
		return 0;
	if (bar_read(ACCEL_BAR, ACCEL_REGS_AT_START) == ACCEL_ID)
		return ACCEL_REGS_AT_START;
	return -1;
}

/* The CXL DVSEC with @id: its config offset, or 0 */
static uint32_t find_cxl_dvsec(uint16_t want)
{
	uint32_t off = 0x100, hdr, h1;
	uint16_t id;
	int hops = 0;

	while (off && hops++ < 64 && !cfg_read(off, &hdr, 4)) {
		if ((hdr & 0xffff) == PCI_EXT_CAP_ID_DVSEC &&
		    !cfg_read(off + 4, &h1, 4) && !cfg_read(off + 8, &id, 2) &&
		    (h1 & 0xffff) == DVSEC_VENDOR_CXL && id == want)
			return off;
		off = hdr >> 20;
	}
	return 0;
}

static sigjmp_buf fault_jmp;

static void on_sigbus(int sig)
{
	(void)sig;
	siglongjmp(fault_jmp, 1);
}

/* Reads a byte at @p into @out: 1 if that got SIGBUS */
static int faults(unsigned char *p, unsigned char *out)
{
	struct sigaction sa = { .sa_handler = on_sigbus }, old;
	int hit = 0;

	sigaction(SIGBUS, &sa, &old);
	if (sigsetjmp(fault_jmp, 1))
		hit = 1;
	else
		*out = __atomic_load_n(p, __ATOMIC_RELAXED);
	sigaction(SIGBUS, &old, NULL);
	return hit;
}

static int type1_map(void *p, uint64_t iova, uint64_t size)
{
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (uintptr_t)p,
		.iova = iova,
		.size = size,
	};

	return ioctl(container, VFIO_IOMMU_MAP_DMA, &map) ? -errno : 0;
}

/* Unmaps @iova: the bytes type1 says it unmapped, or -errno */
static int64_t type1_unmap(uint64_t iova, uint64_t size)
{
	struct vfio_iommu_type1_dma_unmap unmap = {
		.argsz = sizeof(unmap),
		.iova = iova,
		.size = size,
	};

	if (ioctl(container, VFIO_IOMMU_UNMAP_DMA, &unmap))
		return -errno;
	return unmap.size;
}

/* Whether the device says CXL and has no CXL device info capability */
static int v5_device_info(int quiet)
{
	size_t len = 4096;
	struct vfio_device_info *info = calloc(1, len);
	struct vfio_info_cap_header *h = NULL;
	int rc;

	info->argsz = len;
	rc = ioctl(device, VFIO_DEVICE_GET_INFO, info);
	if (!rc && (info->flags & VFIO_DEVICE_FLAGS_CAPS))
		h = find_cap(info, len, info->cap_offset, VFIO_DEVICE_INFO_CAP_CXL);
	if (!quiet) {
		ok(!rc, "device_is_cxl: VFIO_DEVICE_GET_INFO");
		ok((info->flags & (VFIO_DEVICE_FLAGS_PCI | VFIO_DEVICE_FLAGS_CXL |
				   VFIO_DEVICE_FLAGS_RESET)) ==
		   (VFIO_DEVICE_FLAGS_PCI | VFIO_DEVICE_FLAGS_CXL |
		    VFIO_DEVICE_FLAGS_RESET),
		   "device_is_cxl: flags %#x have PCI, CXL and RESET", info->flags);
		ok(!h, "device_is_cxl: no CXL device info capability (v5)");
	}
	dev_info = *info;
	free(info);
	return !rc && !h;
}

/* The v5 regions, found by their type */
static void v5_regions(void)
{
	const uint32_t type = VFIO_REGION_TYPE_PCI_VENDOR_TYPE | DVSEC_VENDOR_CXL;
	unsigned int i, nmem = 0, ncomp = 0;

	for (i = VFIO_PCI_NUM_REGIONS; i < dev_info.num_regions; i++) {
		struct vfio_region_info *info = region_info(i);
		struct vfio_region_info_cap_type *t = NULL;

		if (info && (info->flags & VFIO_REGION_INFO_FLAG_CAPS))
			t = (void *)find_cap(info, info->argsz, info->cap_offset,
					     VFIO_REGION_INFO_CAP_TYPE);
		if (t && t->type == type && t->subtype == V5_SUBTYPE_MEM) {
			cxl.dpa_region_index = i;
			nmem++;
		}
		if (t && t->type == type && t->subtype == V5_SUBTYPE_COMP_REGS) {
			cxl.comp_regs_region_index = i;
			ncomp++;
		}
		free(info);
	}
	ok(nmem == 1 && ncomp == 1,
	   "region_scan: one memory region (%u) and one COMP_REGS region (%u) of type %#x among %u",
	   cxl.dpa_region_index, cxl.comp_regs_region_index, type,
	   dev_info.num_regions);
	check_region(cxl.dpa_region_index, V5_SUBTYPE_MEM,
		     VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE |
		     VFIO_REGION_INFO_FLAG_MMAP, &mem_size, "memory");
	check_region(cxl.comp_regs_region_index, V5_SUBTYPE_COMP_REGS,
		     VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE,
		     &comp_size, "COMP_REGS");
}

/*
 * The COMP_REGS region capability, and where the Register Locator DVSEC
 * and the CXL capability array (read through the BAR, which v5 does not
 * hide) put the HDM Decoder Capability
 */
static void v5_comp_regs_cap(void)
{
	struct vfio_region_info *info = region_info(cxl.comp_regs_region_index);
	struct vfio_info_cap_header *h = NULL;
	uint32_t rl = find_cxl_dvsec(DVSEC_ID_REGLOC), len = 0, lo, hi, i;
	uint64_t block = ~0ULL, hdm = ~0ULL;
	unsigned int bir = ~0U, n;

	if (info && (info->flags & VFIO_REGION_INFO_FLAG_CAPS))
		h = find_cap(info, info->argsz, info->cap_offset,
			     VFIO_REGION_INFO_CAP_CXL_COMP_REGS);
	ok(h && h->version == VFIO_REGION_INFO_CAP_CXL_COMP_REGS_VERSION,
	   "comp_regs_cap: COMP_REGS region info capability %d version %d",
	   VFIO_REGION_INFO_CAP_CXL_COMP_REGS,
	   VFIO_REGION_INFO_CAP_CXL_COMP_REGS_VERSION);
	if (h)
		memcpy(&comp_cap, h, sizeof(comp_cap));
	free(info);
	cxl.hdm_regs_bar_index = comp_cap.bar;

	if (rl && !cfg_read(rl + 4, &len, 4))
		len >>= 20;
	for (i = 0x0c; rl && i + 8 <= len; i += 8) {
		if (cfg_read(rl + i, &lo, 4) || cfg_read(rl + i + 4, &hi, 4))
			break;
		if (((lo >> 8) & 0xff) == 1) {
			bir = lo & 7;
			block = (uint64_t)hi << 32 | (lo & 0xffff0000);
		}
	}
	if (block != ~0ULL) {
		uint32_t hdr = bar_read(bir, block + CXL_SHADOW_CACHEMEM_OFFSET);

		n = hdr >> CXL_SHADOW_CAP_ARRAY_SIZE_SHIFT;
		for (i = 1; (hdr & CXL_SHADOW_CAP_ID_MASK) == CXL_SHADOW_CAP_ARRAY_ID &&
		     i <= n && i < 64; i++) {
			uint32_t e = bar_read(bir, block + CXL_SHADOW_CACHEMEM_OFFSET + 4 * i);

			if ((e & CXL_SHADOW_CAP_ID_MASK) == CXL_SHADOW_CAP_ID_HDM)
				hdm = block + CXL_SHADOW_CACHEMEM_OFFSET +
				      (e >> CXL_SHADOW_CAP_PTR_SHIFT);
		}
	}
	ok(h && comp_cap.bar == bir && comp_cap.offset == hdm,
	   "comp_regs_cap: BAR %u + %#" PRIx64 " is the HDM Decoder Capability the Register Locator (BAR %u, block %#" PRIx64 ") and the capability array read through the BAR give (%#" PRIx64 ")",
	   comp_cap.bar, (uint64_t)comp_cap.offset, bir, block, hdm);
}

/* COMP_REGS: the HDM decoder block, live, writes dropped */
static void v5_comp_regs(void)
{
	static const uint32_t regs[] = {
		CXL_SHADOW_HDM_CAP, CXL_SHADOW_HDM_GLOBAL_CTRL,
		CXL_SHADOW_HDM_DEC_BASE_LO, CXL_SHADOW_HDM_DEC_BASE_HI,
		CXL_SHADOW_HDM_DEC_SIZE_LO, CXL_SHADOW_HDM_DEC_SIZE_HI,
		CXL_SHADOW_HDM_DEC_CTRL,
	};
	const char *window = getenv("CXL_HOST_WINDOW");
	uint32_t cap, ctrl, v = 0, two = 0, field;
	uint64_t base, size, eight = 0;
	const unsigned int nregs = sizeof(regs) / sizeof(*regs);
	unsigned int i, count, kept = 0, accepted = 0;

	/* v5's COMP_REGS starts at the HDM Decoder Capability */
	layout.hdm = 0;
	cap = comp(CXL_SHADOW_HDM_CAP);
	field = cap & CXL_SHADOW_HDM_CAP_COUNT_MASK;
	count = field ? field * 2 : 1;
	ok(count == 1 && comp_size == CXL_SHADOW_HDM_DECODER_FIRST +
	   CXL_SHADOW_HDM_DECODER_STRIDE * count,
	   "comp_regs_hdm_read: COMP_REGS is the HDM decoder block: %#" PRIx64 " bytes, %u decoder (capability %#x)",
	   comp_size, count, cap);
	ctrl = comp(dec(0, CXL_SHADOW_HDM_DEC_CTRL));
	ok((ctrl & CXL_SHADOW_HDM_CTRL_COMMITTED) && (ctrl & CXL_SHADOW_HDM_CTRL_LOCK),
	   "comp_regs_live: decoder 0 reads COMMITTED and LOCK from the device (control %#x)",
	   ctrl);
	base = (uint64_t)comp(dec(0, CXL_SHADOW_HDM_DEC_BASE_HI)) << 32 |
	       (comp(dec(0, CXL_SHADOW_HDM_DEC_BASE_LO)) & CXL_SHADOW_HDM_ADDR_LO_MASK);
	size = (uint64_t)comp(dec(0, CXL_SHADOW_HDM_DEC_SIZE_HI)) << 32 |
	       (comp(dec(0, CXL_SHADOW_HDM_DEC_SIZE_LO)) & CXL_SHADOW_HDM_ADDR_LO_MASK);
	ok(base && (!window || !*window || base == strtoull(window, NULL, 0)),
	   "comp_regs_live: decoder 0 BASE is the host address %#" PRIx64 " (the CXL window at %s)",
	   base, window && *window ? window : "?");
	ok(size == mem_size,
	   "comp_regs_live: decoder 0 SIZE is the memory region's size (%#" PRIx64 ")",
	   size);

	ok(pread(device, &two, 2, OFFSET(cxl.comp_regs_region_index)) < 0 &&
	   errno == EINVAL, "comp_regs_reject_unaligned: 2-byte read");
	ok(pread(device, &v, 4, OFFSET(cxl.comp_regs_region_index) + 2) < 0 &&
	   errno == EINVAL, "comp_regs_reject_unaligned: unaligned dword read");
	ok(pread(device, &eight, 8, OFFSET(cxl.comp_regs_region_index)) < 0 &&
	   errno == EINVAL, "comp_regs_reject_unaligned: 8-byte read");
	ok(comp_read(comp_size, &v) == -EINVAL,
	   "comp_regs_reject_out_of_range: read at the region's end");
	ok(comp_write(comp_size + 0x100, 0) == -EINVAL,
	   "comp_regs_reject_out_of_range: write past the end");

	for (i = 0; i < nregs; i++) {
		v = comp(regs[i]);
		accepted += !comp_write(regs[i], regs[i] == CXL_SHADOW_HDM_DEC_CTRL ?
					v & ~CXL_SHADOW_HDM_CTRL_COMMIT : ~v);
		kept += comp(regs[i]) == v;
	}
	ok(accepted == i && kept == i,
	   "hdm_base_write_absorbed: writes to the capability, Global Control, BASE, SIZE and an uncommit return success and change nothing (%u of %u)",
	   kept, i);
}

/*
 * The component BAR: the page(s) of the decoder block are out of the mmap,
 * the block reads all ones and drops writes, the rest is the device's
 */
static void v5_bar(void)
{
	struct vfio_region_info *info = region_info(comp_cap.bar);
	struct vfio_region_info_cap_sparse_mmap *sp = NULL;
	uint64_t hdm = comp_cap.offset, hole = hdm & ~(PAGE - 1);
	uint64_t hole_end = (hdm + comp_size + PAGE - 1) & ~(PAGE - 1);
	uint64_t covered = 0, block = hdm & ~(uint64_t)(CXL_SHADOW_BLOCK_SIZE - 1);
	uint32_t v, w, before, split[2] = { 0 };
	unsigned int i, ones = 0;
	int overlap = 0;
	ssize_t n;
	void *p;

	if (info && (info->flags & VFIO_REGION_INFO_FLAG_CAPS))
		sp = (void *)find_cap(info, info->argsz, info->cap_offset,
				      VFIO_REGION_INFO_CAP_SPARSE_MMAP);
	bar_size = info ? info->size : 0;
	for (i = 0; sp && i < sp->nr_areas; i++) {
		covered += sp->areas[i].size;
		if (sp->areas[i].offset < hole_end &&
		    hole < sp->areas[i].offset + sp->areas[i].size)
			overlap = 1;
	}
	ok(sp && !overlap && covered == bar_size - (hole_end - hole),
	   "comp_bar_sparse_mmap: %u area(s) cover BAR %u (%#" PRIx64 " bytes) but the decoder block's page(s) [%#" PRIx64 ", %#" PRIx64 ")",
	   sp ? sp->nr_areas : 0, comp_cap.bar, bar_size, hole, hole_end);
	p = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, device, OFFSET(comp_cap.bar) + hole);
	ok(p == MAP_FAILED && errno == EINVAL,
	   "comp_bar_sparse_mmap: mmap of the decoder block's page is refused");
	if (p != MAP_FAILED)
		munmap(p, PAGE);
	p = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, device, OFFSET(comp_cap.bar) + block);
	ok(p != MAP_FAILED || block == hole,
	   "comp_bar_sparse_mmap: the component block's first page maps (%s)",
	   p == MAP_FAILED ? strerror(errno) : "mapped");
	if (p != MAP_FAILED)
		munmap(p, PAGE);
	free(info);

	for (i = 0; i < comp_size / 4; i++)
		ones += bar_read(comp_cap.bar, hdm + 4 * i) == 0xffffffff;
	ok(ones == comp_size / 4,
	   "comp_bar_rdwr_split: a BAR read of the decoder block gives all ones (%u of %" PRIu64 " dwords)",
	   ones, comp_size / 4);
	v = bar_read(comp_cap.bar, block + CXL_SHADOW_CACHEMEM_OFFSET);
	ok((v & CXL_SHADOW_CAP_ID_MASK) == CXL_SHADOW_CAP_ARRAY_ID,
	   "comp_bar_rdwr_split: the capability array reads through the BAR (header %#x)", v);
	before = bar_read(comp_cap.bar, hdm - 4);
	n = pread(device, split, 8, OFFSET(comp_cap.bar) + hdm - 4);
	ok(n == 8 && split[0] == before && split[1] == 0xffffffff,
	   "comp_bar_rdwr_split: a read across the block's start is split (%#x %#x)",
	   split[0], split[1]);
	before = comp(dec(0, CXL_SHADOW_HDM_DEC_BASE_HI));
	w = ~before;
	ok(pwrite(device, &w, 4, OFFSET(comp_cap.bar) + hdm +
		  dec(0, CXL_SHADOW_HDM_DEC_BASE_HI)) == 4 &&
	   comp(dec(0, CXL_SHADOW_HDM_DEC_BASE_HI)) == before,
	   "comp_bar_rdwr_split: a BAR write of decoder 0 BASE is dropped");
}

/*
 * The memory gate: Memory Space Enable off unmaps the memory and fails
 * read()/write(); on again, it is all there.
 */
static void v5_gate(void)
{
	uint64_t mem = OFFSET(cxl.dpa_region_index);
	uint16_t cmd = cfg16(PCI_COMMAND_OFF);
	unsigned char *p, b = 0, got[16], want[16];
	int64_t kept;
	int rc;

	p = map_mem(PROT_READ | PROT_WRITE);
	if (p == MAP_FAILED) {
		ok(0, "memory_gate: mmap of the memory region");
		return;
	}
	pread(device, want, sizeof(want), mem + OWN_PATTERN_OFF);
	ok(!faults(p + OWN_PATTERN_OFF, &b) && b == want[0],
	   "memory_gate: Memory Space on (command %#x): the mapping reads", cmd);
	rc = type1_map(p, DEVMEM_IOVA, mem_size);
	diag("type1 VFIO_IOMMU_MAP_DMA of the mapping with the gate open: %s",
	     strerror(-rc));

	cfg16_set(PCI_COMMAND_OFF, cmd & ~PCI_COMMAND_MEM);
	ok(faults(p + OWN_PATTERN_OFF, &b),
	   "memory_gate: Memory Space off: a read through the mapping gets SIGBUS");
	ok(pread(device, got, sizeof(got), mem + OWN_PATTERN_OFF) < 0 && errno == EIO,
	   "memory_gate: Memory Space off: read() gives EIO");
	ok(pwrite(device, got, sizeof(got), mem + OWN_PATTERN_OFF) < 0 && errno == EIO,
	   "memory_gate: Memory Space off: write() gives EIO");
	rc = type1_map(p, GATED_IOVA, mem_size);
	ok(rc != 0, "memory_gate: type1 cannot map the gated memory (%s)",
	   rc ? strerror(-rc) : "mapped");
	if (!rc)
		type1_unmap(GATED_IOVA, mem_size);
	kept = type1_unmap(DEVMEM_IOVA, mem_size);
	diag("type1: the mapping made with the gate open, after the zap: UNMAP_DMA says %" PRId64,
	     kept);

	cfg16_set(PCI_COMMAND_OFF, cmd | PCI_COMMAND_MEM);
	ok(!faults(p + OWN_PATTERN_OFF, &b) && !memcmp(p + OWN_PATTERN_OFF, want, sizeof(want)),
	   "memory_gate: Memory Space on again: the mapping faults in, contents kept");
	ok(pread(device, got, sizeof(got), mem + OWN_PATTERN_OFF) == sizeof(got) &&
	   !memcmp(got, want, sizeof(want)), "memory_gate: and read() reads them");
	munmap(p, mem_size);
}

/*
 * Initiate CXL Reset through config space, the accelerator's scratch
 * register (which any device reset clears) set to INITIATE_SCRATCH before:
 * whether Initiate reads back 0 and Status2 (in @st2) says CXL Reset
 * Complete. @accel: the device is the emulated accelerator; @got: its
 * scratch register after.
 */
#define INITIATE_SCRATCH	0x5a5aa5a5
static int initiate_cxl_reset(uint32_t d, uint16_t *st2, int *accel,
			      uint32_t *got)
{
	int64_t page = accel_page();
	uint32_t scratch = INITIATE_SCRATCH;
	uint16_t c2 = cfg16(d + DVSEC_CTRL2);

	*accel = page >= 0;
	if (*accel)
		pwrite(device, &scratch, 4, OFFSET(ACCEL_BAR) + page + ACCEL_SCRATCH);
	cfg16_set(d + DVSEC_CTRL2, c2 | DVSEC_CTRL2_INITIATE_RESET);
	*st2 = cfg16(d + DVSEC_STATUS2);
	if (*accel)
		*got = bar_read(ACCEL_BAR, page + ACCEL_SCRATCH);
	return !(cfg16(d + DVSEC_CTRL2) & DVSEC_CTRL2_INITIATE_RESET) &&
	       (*st2 & DVSEC_STATUS2_RESET_COMPLETE);
}

/* The DVSEC: a per-open shadow; Initiate CXL Reset / WBI never reach the device */
static void v5_dvsec(void)
{
	uint32_t d = find_dvsec(), got = 0;
	uint16_t cap, ctrl, c2, st2, w, lock = 1;
	int accel, done;

	ok(d, "dvsec_body_read: CXL Device DVSEC at %#x", d);
	if (!d)
		return;
	cap = cfg16(d + DVSEC_CAP);
	mem_clr_capable = !!(cap & DVSEC_CAP_MEM_CLR);
	cfg16_set(d + DVSEC_CAP, ~cap);
	ok(cfg16(d + DVSEC_CAP) == cap,
	   "dvsec_write_virtualized: the Capability register absorbs writes (%#x)", cap);
	ctrl = cfg16(d + DVSEC_CTRL);
	cfg16_set(d + DVSEC_CTRL, (ctrl & ~0x2) ^ 0x4000);
	w = cfg16(d + DVSEC_CTRL);
	ok(w == (ctrl ^ 0x4000) && (w & 0x2),
	   "dvsec_write_virtualized: a Control write reads back, IO_Enable stays 1 (%#x)", w);
	cfg16_set(d + DVSEC_CTRL, ctrl);

	c2 = cfg16(d + DVSEC_CTRL2);
	done = initiate_cxl_reset(d, &st2, &accel, &got);
	ok(done, "guest_cxl_reset: Initiate CXL Reset reads back 0, Status2 says CXL Reset Complete (%#x)",
	   st2);
	ok((comp(dec(0, CXL_SHADOW_HDM_DEC_CTRL)) & CXL_SHADOW_HDM_CTRL_COMMITTED) &&
	   (!accel || got == INITIATE_SCRATCH),
	   "guest_cxl_reset: it never reached the device: decoder 0 committed, scratch %s",
	   !accel ? "(not the emulated accelerator)" :
	   got == INITIATE_SCRATCH ? "kept" : "reset");
	cfg16_set(d + DVSEC_CTRL2, c2 | DVSEC_CTRL2_DISABLE_CACHING | DVSEC_CTRL2_INITIATE_WBI);
	st2 = cfg16(d + DVSEC_STATUS2);
	w = cfg16(d + DVSEC_CTRL2);
	cfg16_set(d + DVSEC_CTRL2, c2);
	ok((st2 & DVSEC_STATUS2_CACHE_INVALID) && !(w & DVSEC_CTRL2_INITIATE_WBI) &&
	   !(cfg16(d + DVSEC_STATUS2) & DVSEC_STATUS2_CACHE_INVALID),
	   "guest_cxl_reset: Initiate WBI is synthesized: Cache Invalid with Disable Caching (%#x), clear without",
	   st2);

	cfg_write(d + DVSEC_LOCK, &lock, 2);
	w = ctrl ^ 0x4;
	cfg_write(d + DVSEC_CTRL, &w, 2);
	ok(cfg16(d + DVSEC_CTRL) == ctrl,
	   "dvsec_write_virtualized: CONFIG_LOCK makes Control read-only");
	lock = 0;
	cfg_write(d + DVSEC_LOCK, &lock, 2);
	ok(cfg16(d + DVSEC_LOCK) == 1, "dvsec_write_virtualized: CONFIG_LOCK is write-once");
}

/* A standard capability's config offset, or 0 */
static uint32_t std_cap(uint8_t want)
{
	uint8_t off = 0, id = 0;
	int hops = 0;

	cfg_read(0x34, &off, 1);
	while (off && hops++ < 48 && !cfg_read(off, &id, 1)) {
		if (id == want)
			return off;
		cfg_read(off + 1, &off, 1);
	}
	return 0;
}

/* The PCI Express capability's config offset, or 0 */
static uint32_t pcie_cap(void)
{
	return std_cap(0x10);
}

/* VFIO_DEVICE_RESET: a CXL reset; the decoder back, the mapping revoked */
static void v5_reset(void)
{
	uint64_t mem = OFFSET(cxl.dpa_region_index);
	unsigned char own[16] = "vfio-cxl-check\n", got[16], zero[16] = { 0 }, b = 0;
	uint32_t base_hi = comp(dec(0, CXL_SHADOW_HDM_DEC_BASE_HI));
	uint32_t base_lo = comp(dec(0, CXL_SHADOW_HDM_DEC_BASE_LO));
	char h[2 * 32 + 1];
	unsigned char *p;
	uint32_t pcie;
	uint16_t devctl;
	int64_t kept;
	int rc, cleared;

	pwrite(device, own, sizeof(own), mem + OWN_PATTERN_OFF);
	p = map_mem(PROT_READ | PROT_WRITE);
	if (p == MAP_FAILED) {
		ok(0, "device_reset: mmap of the memory region");
		return;
	}
	faults(p + OWN_PATTERN_OFF, &b);
	rc = type1_map(p, DEVMEM_IOVA, mem_size);
	ok(!ioctl(device, VFIO_DEVICE_RESET), "device_reset: VFIO_DEVICE_RESET");
	ok((comp(dec(0, CXL_SHADOW_HDM_DEC_CTRL)) & CXL_SHADOW_HDM_CTRL_COMMITTED) &&
	   comp(dec(0, CXL_SHADOW_HDM_DEC_BASE_HI)) == base_hi &&
	   comp(dec(0, CXL_SHADOW_HDM_DEC_BASE_LO)) == base_lo,
	   "device_reset: decoder 0 reads committed again, at the same BASE (control %#x)",
	   comp(dec(0, CXL_SHADOW_HDM_DEC_CTRL)));
	ok(pread(device, got, sizeof(got), mem + OWN_PATTERN_OFF) == sizeof(got),
	   "device_reset: device memory is served again");
	cleared = !memcmp(got, zero, sizeof(zero));
	if (cleared || mem_clr_capable)
		ok(cleared, "device_reset: the CXL reset cleared the device memory");
	else
		ok(1, "# SKIP device_reset: not Reset Mem Clr Capable, memory kept (%.14s)",
		   got);
	ok(!faults(p + OWN_PATTERN_OFF, &b) && b == got[0],
	   "device_reset: the old mapping faults in again and reads what read() reads");
	kept = rc ? rc : type1_unmap(DEVMEM_IOVA, mem_size);
	diag("type1: the mapping made before the reset (%s), after it: UNMAP_DMA says %" PRId64,
	     rc ? strerror(-rc) : "mapped", kept);
	munmap(p, mem_size);

	/* A user's FLR is a reset point too */
	pcie = pcie_cap();
	if (pcie) {
		devctl = cfg16(pcie + PCI_EXP_DEVCTL_OFF) | PCI_EXP_DEVCTL_FLR;
		cfg16_set(pcie + PCI_EXP_DEVCTL_OFF, devctl);
		ok((comp(dec(0, CXL_SHADOW_HDM_DEC_CTRL)) & CXL_SHADOW_HDM_CTRL_COMMITTED) &&
		   pread(device, got, sizeof(got), mem + OWN_PATTERN_OFF) == sizeof(got),
		   "device_reset: after an FLR through config space decoder 0 is committed and the memory served");
	}

	/* What the outer host checks in the device's memory */
	own[0] = 'W';
	pwrite(device, own, sizeof(own), mem + OWN_PATTERN_OFF);
	pread(device, got, sizeof(got), mem + OWN_PATTERN_OFF);
	hex(h, got, sizeof(got));
	printf("check-host: expect-devmem %#lx %s\n", OWN_PATTERN_OFF, h);
}

/* --- The driver as kernel code: locks, power, resets, what leaks -------- */

/* Device memory this section uses, away from what the outer host checks */
#define HARD_OFF		0x400000UL
#define HARD_STRIDE		0x10000UL
/* Seconds any one access may take before it counts as a hang */
#define HANG_SECONDS		60
#define PCI_CAP_ID_PM_ID	0x01
#define PMCSR_OFF		0x04
#define PMCSR_STATE		0x3
#define PMCSR_D3HOT		0x3
#define DVSEC_ID_FLEXBUS	7
#define FLEXBUS_CTRL		0x0c
#define CACHE_WBI_POLL_MS	500

/*
 * One pread()/pwrite() of the device fd, run in a child so that a task the
 * driver hangs (uninterruptibly: no signal reaches it) is seen and
 * reported: the result, or -2 for "did not return in HANG_SECONDS".
 */
static ssize_t bounded_rw(int write_it, void *buf, size_t len, uint64_t off)
{
	ssize_t n = -1;
	int fds[2], status;
	unsigned int waited;
	pid_t pid;

	if (pipe(fds))
		return -1;
	pid = fork();
	if (pid == 0) {
		n = write_it ? pwrite(device, buf, len, off) : pread(device, buf, len, off);
		if (n < 0)
			n = -errno;
		if (write(fds[1], &n, sizeof(n)) != sizeof(n))
			_exit(1);
		_exit(0);
	}
	close(fds[1]);
	for (waited = 0; pid > 0 && waited < HANG_SECONDS * 10; waited++) {
		if (waitpid(pid, &status, WNOHANG) == pid) {
			if (read(fds[0], &n, sizeof(n)) != sizeof(n))
				n = -1;
			close(fds[0]);
			return n;
		}
		usleep(100 * 1000);
	}
	close(fds[0]);
	return -2;
}

/* A hung access: said, then the program ends (the device is stuck) */
static void hung(const char *what)
{
	ok(0, "lock_user_copy: %s did not return in %d s: the driver hung the task",
	   what, HANG_SECONDS);
	printf("Bail out! the host driver hung a task\n");
	printf("1..%d\n", tests);
	fflush(stdout);
	_exit(1);
}

/* Whether the page at @p has a page table entry (mincore on a PFN map) */
static int resident(unsigned char *p)
{
	unsigned char vec = 0;

	if (mincore((void *)((uintptr_t)p & ~(PAGE - 1)), PAGE, &vec))
		return -1;
	return vec & 1;
}

static uint64_t mem_off(void)
{
	return OFFSET(cxl.dpa_region_index);
}

/*
 * The bytes at OWN_PATTERN_OFF into @want (16), and a read-only mapping of
 * the memory whose page there is touched (mapped): NULL, said, if it fails
 */
static unsigned char *map_touched(unsigned char *want, const char *test)
{
	unsigned char *p, b;

	pread(device, want, 16, mem_off() + OWN_PATTERN_OFF);
	p = map_mem(PROT_READ);
	if (p == MAP_FAILED) {
		ok(0, "%s: mmap of the memory region", test);
		return NULL;
	}
	faults(p + OWN_PATTERN_OFF, &b);
	return p;
}

/*
 * No lock across a user copy: every kind of access whose user buffer is
 * an untouched page of the device's own memory mapping returns. The page
 * holds what the access should write, so that it changes nothing.
 */
static void hard_user_copies(void)
{
	uint32_t d = find_dvsec(), pcie = pcie_cap(), pm = std_cap(PCI_CAP_ID_PM_ID);
	unsigned char *p, *b;
	uint16_t ctrl = d ? cfg16(d + DVSEC_CTRL) : 0;
	uint16_t devctl = pcie ? cfg16(pcie + PCI_EXP_DEVCTL_OFF) : 0;
	uint16_t pmcsr = pm ? cfg16(pm + PMCSR_OFF) : 0;
	unsigned char buf[16];
	uint32_t hdr;
	ssize_t n;

	if (!d)
		return;
	/* What each page will hold, written through read()/write() only */
	pwrite(device, &ctrl, 2, mem_off() + HARD_OFF);
	pwrite(device, &devctl, 2, mem_off() + HARD_OFF + HARD_STRIDE);
	devctl |= PCI_EXP_DEVCTL_FLR;
	pwrite(device, &devctl, 2, mem_off() + HARD_OFF + 2 * HARD_STRIDE);
	pwrite(device, &pmcsr, 2, mem_off() + HARD_OFF + 3 * HARD_STRIDE);
	p = map_mem(PROT_READ | PROT_WRITE);
	if (p == MAP_FAILED) {
		ok(0, "lock_user_copy: mmap of the memory region");
		return;
	}
	b = p + HARD_OFF;

#define BOUNDED(what, w, buf, len, off) \
	((n = bounded_rw((w), (buf), (len), (off))) == -2 ? (hung(what), n) : n)
	BOUNDED("a DVSEC Control write from an untouched page of the memory mapping",
		1, b, 2, OFFSET(VFIO_PCI_CONFIG_REGION_INDEX) + d + DVSEC_CTRL);
	ok(n == 2, "lock_user_copy: a DVSEC write from an untouched page of the device's mapping returns (%zd)", n);
	BOUNDED("a config read into an untouched page of the memory mapping",
		0, b + 4 * HARD_STRIDE, 0x40, OFFSET(VFIO_PCI_CONFIG_REGION_INDEX) + d);
	ok(n == 0x40, "lock_user_copy: a config read into such a page returns (%zd)", n);
	BOUNDED("a memory write from an untouched page of the memory mapping",
		1, b + 5 * HARD_STRIDE, sizeof(buf), mem_off() + HARD_OFF + 6 * HARD_STRIDE);
	ok(n == sizeof(buf), "lock_user_copy: a write() of the memory from such a page returns (%zd)", n);
	BOUNDED("a memory read into an untouched page of the memory mapping",
		0, b + 7 * HARD_STRIDE, sizeof(buf), mem_off() + HARD_OFF);
	ok(n == sizeof(buf), "lock_user_copy: a read() of the memory into such a page returns (%zd)", n);
	hdr = comp(0);
	pwrite(device, &hdr, 4, mem_off() + HARD_OFF + 8 * HARD_STRIDE);
	BOUNDED("a COMP_REGS write from an untouched page of the memory mapping",
		1, b + 8 * HARD_STRIDE, 4, OFFSET(cxl.comp_regs_region_index));
	ok(n == 4, "lock_user_copy: a COMP_REGS write from such a page returns (%zd)", n);
	if (pm) {
		BOUNDED("a PMCSR write from an untouched page of the memory mapping",
			1, b + 3 * HARD_STRIDE, 2,
			OFFSET(VFIO_PCI_CONFIG_REGION_INDEX) + pm + PMCSR_OFF);
		ok(n == 2, "lock_user_copy: a PMCSR write (D0) from such a page returns (%zd)", n);
	}
	if (pcie) {
		BOUNDED("an FLR written from an untouched page of the memory mapping",
			1, b + 2 * HARD_STRIDE, 2,
			OFFSET(VFIO_PCI_CONFIG_REGION_INDEX) + pcie + PCI_EXP_DEVCTL_OFF);
		ok(n == 2 || n == -EFAULT,
		   "lock_user_copy: an FLR written from such a page returns (%zd)", n);
	}
#undef BOUNDED
	munmap(p, mem_size);
	ok(pread(device, buf, sizeof(buf), mem_off() + OWN_PATTERN_OFF) == sizeof(buf),
	   "lock_user_copy: after all that the memory is served");
}

/*
 * D3hot: the memory stops and its mappings go before the function is
 * powered down, and come back in D0 with the bytes kept (the emulated
 * accelerator has No_Soft_Reset).
 */
static void hard_power(void)
{
	uint32_t pm = std_cap(PCI_CAP_ID_PM_ID);
	unsigned char want[16], got[16], *p, b = 0;
	uint16_t pmcsr;

	if (!pm) {
		ok(1, "# SKIP power_d3hot: the function has no PM capability");
		return;
	}
	p = map_touched(want, "power_d3hot");
	if (!p)
		return;
	ok(resident(p + OWN_PATTERN_OFF) == 1, "power_d3hot: in D0 a touched page is mapped");
	pmcsr = cfg16(pm + PMCSR_OFF);
	cfg16_set(pm + PMCSR_OFF, (pmcsr & ~PMCSR_STATE) | PMCSR_D3HOT);
	ok((cfg16(pm + PMCSR_OFF) & PMCSR_STATE) == PMCSR_D3HOT,
	   "power_d3hot: PMCSR reads D3hot (%#x)", cfg16(pm + PMCSR_OFF));
	ok(resident(p + OWN_PATTERN_OFF) == 0,
	   "power_d3hot: the mapping was taken down before the power-down");
	ok(faults(p + OWN_PATTERN_OFF, &b), "power_d3hot: a read through the mapping gets SIGBUS");
	ok(pread(device, got, sizeof(got), mem_off() + OWN_PATTERN_OFF) < 0 && errno == EIO,
	   "power_d3hot: read() gives EIO");
	ok(pwrite(device, got, sizeof(got), mem_off() + OWN_PATTERN_OFF) < 0 && errno == EIO,
	   "power_d3hot: write() gives EIO");
	cfg16_set(pm + PMCSR_OFF, pmcsr & ~PMCSR_STATE);
	ok(pread(device, got, sizeof(got), mem_off() + OWN_PATTERN_OFF) == sizeof(got) &&
	   !memcmp(got, want, sizeof(want)) && !faults(p + OWN_PATTERN_OFF, &b) && b == want[0],
	   "power_d0: back in D0 the memory is served again, its bytes kept");
	munmap(p, mem_size);
}

/*
 * VFIO_DEVICE_PCI_HOT_RESET: the mapping goes before the bus reset; then
 * v2 serves the memory exactly when the decoder is committed again, v5
 * keeps it gated until VFIO_DEVICE_RESET.
 */
static void hard_hot_reset(void)
{
	struct vfio_pci_hot_reset_info *info = calloc(1, 4096);
	struct vfio_pci_hot_reset *reset = calloc(1, sizeof(*reset) + sizeof(int32_t));
	unsigned char got[16], *p, b = 0;
	int rc, served, committed;

	info->argsz = 4096;
	if (ioctl(device, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, info)) {
		ok(1, "# SKIP hot_reset: VFIO_DEVICE_GET_PCI_HOT_RESET_INFO: %s", strerror(errno));
		goto out;
	}
	p = map_mem(PROT_READ);
	if (p == MAP_FAILED) {
		ok(0, "hot_reset: mmap of the memory region");
		goto out;
	}
	faults(p + OWN_PATTERN_OFF, &b);
	reset->argsz = sizeof(*reset) + sizeof(int32_t);
	reset->count = 1;
	reset->group_fds[0] = group;
	rc = ioctl(device, VFIO_DEVICE_PCI_HOT_RESET, reset);
	ok(!rc, "hot_reset: VFIO_DEVICE_PCI_HOT_RESET of %u device(s) (%s)",
	   info->count, rc ? strerror(errno) : "done");
	ok(resident(p + OWN_PATTERN_OFF) == 0,
	   "hot_reset: the mapping was taken down for the bus reset");
	served = pread(device, got, sizeof(got), mem_off() + OWN_PATTERN_OFF) == sizeof(got);
	if (v5) {
		ok(!served && errno == EIO, "hot_reset: v5 keeps the memory gated until VFIO_DEVICE_RESET");
		ok(!ioctl(device, VFIO_DEVICE_RESET) &&
		   pread(device, got, sizeof(got), mem_off() + OWN_PATTERN_OFF) == sizeof(got),
		   "hot_reset: VFIO_DEVICE_RESET brings it back");
	} else {
		committed = !!(comp(dec(0, CXL_SHADOW_HDM_DEC_CTRL)) & CXL_SHADOW_HDM_CTRL_COMMITTED);
		ok(served == committed,
		   "hot_reset: served (%d) exactly when the new snapshot has decoder 0 committed (%d)",
		   served, committed);
	}
	munmap(p, mem_size);
out:
	free(info);
	free(reset);
}

/*
 * Initiate CXL Reset through config space never reaches the device: the
 * driver synthesizes its completion, the memory and its mappings stay,
 * and the accelerator's scratch register (reset by any device reset)
 * keeps its value.
 */
static void hard_cxl_reset_absorbed(void)
{
	uint32_t d = find_dvsec(), got = 0;
	unsigned char want[16], bytes[16], *p;
	uint16_t st2;
	int accel, done;

	if (!d)
		return;
	p = map_touched(want, "guest_cxl_reset");
	if (!p)
		return;
	done = initiate_cxl_reset(d, &st2, &accel, &got);
	ok(done, "guest_cxl_reset: Initiate reads back 0, Status2 says CXL Reset Complete (%#x)", st2);
	ok(accel && got == INITIATE_SCRATCH,
	   "guest_cxl_reset: it never reached the device: the accelerator's scratch %#x is kept",
	   got);
	ok(resident(p + OWN_PATTERN_OFF) == 1 &&
	   pread(device, bytes, sizeof(bytes), mem_off() + OWN_PATTERN_OFF) == sizeof(bytes) &&
	   !memcmp(bytes, want, sizeof(want)),
	   "guest_cxl_reset: the memory, its mapping and its bytes stay");
	munmap(p, mem_size);
}

/*
 * Status2 is the device's: after Disable Caching + Initiate WBI through
 * the driver, Cache Invalid shows as soon as the device sets it.
 */
static void hard_status2_live(void)
{
	uint32_t d = find_dvsec();
	struct timespec t0, t1;
	uint16_t cap, c2, st2 = 0;
	long ms = 0;

	if (!d)
		return;
	cap = cfg16(d + DVSEC_CAP);
	if (!(cap & 0x1)) {
		ok(1, "# SKIP status2_live: not Cache_Capable (Capability %#x)", cap);
		return;
	}
	c2 = cfg16(d + DVSEC_CTRL2);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	cfg16_set(d + DVSEC_CTRL2, c2 | DVSEC_CTRL2_DISABLE_CACHING | DVSEC_CTRL2_INITIATE_WBI);
	do {
		st2 = cfg16(d + DVSEC_STATUS2);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
		if (st2 & DVSEC_STATUS2_CACHE_INVALID)
			break;
		usleep(1000);
	} while (ms < CACHE_WBI_POLL_MS);
	cfg16_set(d + DVSEC_CTRL2, c2);
	ok(st2 & DVSEC_STATUS2_CACHE_INVALID,
	   "status2_live: the device's Cache Invalid reads through (Status2 %#x after %ld ms)",
	   st2, ms);
}

/* v2: no host physical address in the DVSEC at open or in COMP_REGS */
static void hard_hpa_hidden(const char *when)
{
	uint32_t d = find_dvsec(), hi = 1, lo = 1;
	unsigned int n, leaks = 0;

	if (d) {
		cfg_read(d + DVSEC_R1_BASE_LO - 4, &hi, 4);
		cfg_read(d + DVSEC_R1_BASE_LO, &lo, 4);
	}
	ok(d && !hi && !lo, "hpa_hidden: %s DVSEC Range 1 Base reads 0 (%#x %#x)", when, hi, lo);
	for (n = 0; n < layout.count; n++)
		if ((comp(dec(n, CXL_SHADOW_HDM_DEC_CTRL)) & CXL_SHADOW_HDM_CTRL_COMMITTED) &&
		    (comp(dec(n, CXL_SHADOW_HDM_DEC_BASE_LO)) ||
		     comp(dec(n, CXL_SHADOW_HDM_DEC_BASE_HI))))
			leaks++;
	ok(!leaks, "hpa_hidden: %s every committed decoder's BASE reads 0 (%u do not)", when, leaks);
}

/* Other CXL DVSECs are read-only: a Flex Bus Port Control write is dropped */
static void hard_other_dvsecs(void)
{
	uint32_t f = find_cxl_dvsec(DVSEC_ID_FLEXBUS);
	uint16_t ctrl;

	if (!f) {
		ok(1, "# SKIP other_dvsecs: no Flex Bus Port DVSEC");
		return;
	}
	ctrl = cfg16(f + FLEXBUS_CTRL);
	cfg16_set(f + FLEXBUS_CTRL, ~ctrl);
	ok(cfg16(f + FLEXBUS_CTRL) == ctrl,
	   "other_dvsecs: a Flex Bus Port Control write is dropped (%#x)", ctrl);
	cfg16_set(f + FLEXBUS_CTRL, ctrl);
}

/* The region's host physical range is reserved to the driver */
static void hard_iomem(void)
{
	FILE *f = fopen("/proc/iomem", "r");
	char line[256];
	int found = 0;

	while (f && fgets(line, sizeof(line), f))
		found |= strstr(line, "vfio_cxl_pci") != NULL;
	if (f)
		fclose(f);
	ok(found, "iomem: /proc/iomem shows the region reserved by vfio_cxl_pci");
}

/* Last, the accesses that used to hang: a hang ends the program */
static void check_hardening(void)
{
	hard_power();
	if (!v5) {
		hard_cxl_reset_absorbed();
		hard_status2_live();
	}
	hard_other_dvsecs();
	hard_iomem();
	hard_hot_reset();
	hard_user_copies();
}

/*
 * A device v5 does not take: plain vfio-pci, no CXL flag, capability or
 * region
 */
static void run_plain(void)
{
	const uint32_t type = VFIO_REGION_TYPE_PCI_VENDOR_TYPE | DVSEC_VENDOR_CXL;
	unsigned int i, ncxl = 0;

	v5_device_info(1);
	ok(!(dev_info.flags & VFIO_DEVICE_FLAGS_CXL) &&
	   (dev_info.flags & VFIO_DEVICE_FLAGS_PCI),
	   "plain: flags %#x have PCI and not CXL", dev_info.flags);
	for (i = VFIO_PCI_NUM_REGIONS; i < dev_info.num_regions; i++) {
		struct vfio_region_info *info = region_info(i);
		struct vfio_region_info_cap_type *t = NULL;

		if (info && (info->flags & VFIO_REGION_INFO_FLAG_CAPS))
			t = (void *)find_cap(info, info->argsz, info->cap_offset,
					     VFIO_REGION_INFO_CAP_TYPE);
		ncxl += t && t->type == type;
		free(info);
	}
	ok(!ncxl, "plain: no region of type %#x among %u", type, dev_info.num_regions);
}

static void run_v5(const char *pattern)
{
	uint16_t cmd;

	v5_device_info(0);
	/* The memory is gated on Memory Space Enable: turn it on */
	cmd = cfg16(PCI_COMMAND_OFF);
	cfg16_set(PCI_COMMAND_OFF, cmd | PCI_COMMAND_MEM);
	v5_regions();
	v5_comp_regs_cap();
	v5_bar();
	v5_comp_regs();
	check_memory(pattern);
	check_kvm();
	v5_gate();
	v5_dvsec();
	check_hardening();
	v5_reset();
}

int main(int argc, char **argv)
{
	int want = 0;

	if (argc == 3 && !strcmp(argv[1], "--v2")) {
		want = 2;
	} else if (argc == 3 && !strcmp(argv[1], "--v5")) {
		want = 5;
	} else if (argc == 3 && !strcmp(argv[1], "--plain")) {
		want = 1;
	} else if (argc != 2) {
		fprintf(stderr, "usage: %s [--v2 | --v5 | --plain] BDF\n", argv[0]);
		return 2;
	}
	bdf = argv[argc - 1];
	ok(open_device(bdf) >= 0, "open %s through a type1 container",
	   argv[argc - 1]);
	if (device < 0) {
		printf("1..%d\n", tests);
		return 1;
	}
	v5 = v5_device_info(1);
	if (want == 1) {
		run_plain();
		printf("1..%d\n", tests);
		return failures != 0;
	}
	if (want)
		ok(v5 == (want == 5),
		   "the device serves the v%d interface (no CXL device capability: %s)",
		   want, v5 ? "yes" : "no");
	if (v5) {
		run_v5(getenv("CXL_HOST_PATTERN"));
		printf("1..%d\n", tests);
		return failures != 0;
	}
	check_device_info();
	check_region(cxl.dpa_region_index, VFIO_REGION_SUBTYPE_CXL,
		     VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE |
		     VFIO_REGION_INFO_FLAG_MMAP, &mem_size, "memory");
	check_region(cxl.comp_regs_region_index, VFIO_REGION_SUBTYPE_CXL_COMP_REGS,
		     VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE,
		     &comp_size, "COMP_REGS");
	check_bar();
	hard_hpa_hidden("at open:");
	check_comp_regs();
	check_bar_block();
	check_memory(getenv("CXL_HOST_PATTERN"));
	check_kvm();
	check_dvsec();
	check_reset();
	hard_hpa_hidden("after VFIO_DEVICE_RESET:");
	check_hardening();
	printf("1..%d\n", tests);
	return failures != 0;
}
