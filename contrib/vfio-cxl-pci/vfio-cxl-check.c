// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-cxl-check: checks a device bound to vfio_cxl_pci through the VFIO
 * ioctls alone, no QEMU: what the v2 vfio-cxl UAPI promises a VMM.
 *
 *   vfio-cxl-check BDF
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
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cxl_shadow.h"
#include "vfio_cxl_uapi.h"

#define OFFSET(index)		((uint64_t)(index) << 40)
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

static int tests, failures;
static int container = -1, device = -1;
static struct vfio_device_info_cap_cxl cxl;
static struct vfio_device_info dev_info;
static uint64_t mem_size, comp_size, bar_size;
static struct cxl_shadow layout;

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
	int group;

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

/* A capability of @id in a chain that starts at @off of @buf */
static struct vfio_info_cap_header *find_cap(void *buf, size_t len,
					     uint32_t off, uint16_t id)
{
	unsigned int hops = 0;

	while (off && off + sizeof(struct vfio_info_cap_header) <= len &&
	       hops++ < 64) {
		struct vfio_info_cap_header *h = (void *)((char *)buf + off);

		if (h->id == id)
			return h;
		off = h->next;
	}
	return NULL;
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
	ok(cxl.flags & VFIO_CXL_CAP_FIRMWARE_COMMITTED,
	   "device_is_cxl: FIRMWARE_COMMITTED (flags %#x)", cxl.flags);
	ok(cxl.hdm_regs_offset % CXL_SHADOW_BLOCK_SIZE == CXL_SHADOW_CACHEMEM_OFFSET,
	   "device_is_cxl: hdm_regs_offset %#" PRIx64 " is a component block + 0x1000",
	   (uint64_t)cxl.hdm_regs_offset);
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
	    comp(dec(0, CXL_SHADOW_HDM_DEC_SIZE_LO))) == mem_size,
	   "guest_hdm_discovery: decoder 0 SIZE is the memory region's size");

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
	ok(pread(device, &v, 4, bar + block - 2) < 0 || block == 0,
	   "comp_bar_rdwr_split: an access across the block's edge is refused");
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
	   "hdm_mem_huge_mmap: mapping %#" PRIx64 " bytes adds %ld KiB of page tables",
	   mem_size, pte_after - pte_before);
	if (p != MAP_FAILED)
		munmap(p, mem_size);
}

static int cfg_read(uint32_t off, void *buf, size_t len)
{
	return pread(device, buf, len, OFFSET(VFIO_PCI_CONFIG_REGION_INDEX) + off) ==
	       (ssize_t)len ? 0 : -1;
}

static int cfg_write(uint32_t off, const void *buf, size_t len)
{
	return pwrite(device, buf, len, OFFSET(VFIO_PCI_CONFIG_REGION_INDEX) + off) ==
	       (ssize_t)len ? 0 : -1;
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
	uint32_t d = find_dvsec(), base, lo = 0x12345678;
	uint16_t ctrl, w, lock = 1;

	ok(d, "dvsec_body_read: CXL Device DVSEC at %#x", d);
	if (!d)
		return;
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

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s BDF\n", argv[0]);
		return 2;
	}
	ok(open_device(argv[1]) >= 0, "open %s through a type1 container", argv[1]);
	if (device < 0) {
		printf("1..%d\n", tests);
		return 1;
	}
	check_device_info();
	check_region(cxl.dpa_region_index, VFIO_REGION_SUBTYPE_CXL,
		     VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE |
		     VFIO_REGION_INFO_FLAG_MMAP, &mem_size, "memory");
	check_region(cxl.comp_regs_region_index, VFIO_REGION_SUBTYPE_CXL_COMP_REGS,
		     VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE,
		     &comp_size, "COMP_REGS");
	check_bar();
	check_comp_regs();
	check_bar_block();
	check_memory(getenv("CXL_HOST_PATTERN"));
	check_dvsec();
	check_reset();
	printf("1..%d\n", tests);
	return failures != 0;
}
