// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-cxl-fuzz: a seeded stress of a device bound to vfio_cxl_pci (or any
 * vfio-pci driver) through the type1 group/container path, for the debug
 * kernel of `make check-host-debug` (lockdep, KASAN, kmemleak, hung-task
 * detector), where what matters is that every operation returns and the
 * kernel reports nothing.
 *
 *   vfio-cxl-fuzz [--seed N] [--ops N] [--threads N] [--rounds N]
 *                 [--op-timeout S] [--unplug] BDF
 *
 * Each round opens the device, maps its memory region and its mmappable
 * BARs once (the buffers, whose pages stay untouched until something
 * faults them in), then --threads threads issue --ops operations each,
 * chosen by a generator seeded from --seed and the thread's number:
 *   - ioctls: GET_INFO, GET_REGION_INFO of every index and past them,
 *     GET_IRQ_INFO, RESET, PCI_HOT_RESET_INFO and PCI_HOT_RESET, with
 *     argsz too small, exact and large;
 *   - pread/pwrite of every region at its edges, inside and past its end
 *     and at an index no region has, the user buffer on the heap or in
 *     the device's own mappings (the memory region, touched or not, and
 *     the BARs);
 *   - mmap/munmap of parts of the memory region and touches of them
 *     (SIGBUS is an answer: the memory is gated or being reset);
 *   - config writes: PMCSR D0 and D3hot, Command Memory Space Enable, the
 *     CXL Device DVSEC's Control, Control2, Status2, Lock and Range 1
 *     Base, and Device Control Initiate FLR, their source buffer again on
 *     the heap or in the device's mappings;
 * while resets run beside faults. Between rounds the device is unbound
 * from its driver and bound again (sysfs driver_override, unbind,
 * drivers_probe). With --unplug, last, the outer QEMU hot-unplugs the
 * device while this process has its memory mapped: a line
 * "HOSTBED-QMP: device_del" on /dev/console asks the test bed
 * (mk/check-host.sh) to send QMP device_del; the nested host has no
 * pciehp, so this program plays it: it waits for Attention Button Pressed
 * in the root port's Slot Status and powers the slot off, which makes the
 * outer QEMU remove the device at once. Then it touches the mapping, reads
 * and ioctls the gone device, closes it and removes it from the kernel.
 *
 * Writes into device memory stay inside a window in the middle of it
 * (other programs' bytes elsewhere are checked afterwards) and BAR writes
 * stay in the accelerator's scratch registers (no doorbell).
 *
 * Every operation is timed by a watchdog: the work runs in a child
 * process whose threads publish the operation they are in to a page
 * shared with the parent; an operation that has not returned after
 * --op-timeout seconds is reported with its thread, its description and
 * the kernel stacks of the child's threads, and the child killed (a
 * process stuck in the kernel cannot be killed: then the run ends). A
 * child killed by a signal it did not ask for is a crash. Prints TAP and
 * ends with "N passed, N failed".
 *
 * Copyright (c) 2026 QEMU CXL Type-2 team
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/vfio.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "vfio-test.h"

#define PAGE			4096UL
#define MAX_THREADS		16
#define MAX_REGIONS		16
#define REGION_TYPE_CXL		(VFIO_REGION_TYPE_PCI_VENDOR_TYPE | 0x1e98U)
#define SUBTYPE_CXL_MEM		1
#define SUBTYPE_CXL_COMP_REGS	2
#define PCI_EXT_CAP_ID_DVSEC	0x23
#define DVSEC_VENDOR_CXL	0x1e98
#define DVSEC_CTRL		0x0c
#define DVSEC_CTRL2		0x10
#define DVSEC_STATUS2		0x12
#define DVSEC_LOCK		0x14
#define DVSEC_R1_BASE_HI	0x20
#define DVSEC_R1_BASE_LO	0x24
#define ACCEL_BAR		2
#define ACCEL_SCRATCH		0x08
#define ACCEL_SCRATCH_AREA	0x100
#define ACCEL_SCRATCH_AREA_SIZE	0x100
/* Device memory this program may write: [FUZZ_WIN_OFF, +FUZZ_WIN_LEN) */
#define FUZZ_WIN_LEN		(4UL << 20)

/* --- shared with the watchdog ------------------------------------------- */

struct slot {
	volatile int busy;
	volatile uint64_t start_ns;
	volatile uint64_t done;
	char what[192];
};

struct shared {
	volatile int tests, failures;
	volatile int round;
	struct slot slot[MAX_THREADS + 1];	/* the last: the main thread */
};

static struct shared *sh;
static unsigned int nthreads = 4, rounds = 3, ops = 400, op_timeout = 60;
static uint64_t seed = 1;
static int unplug;
static const char *bdf;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* Whole lines with write(2): parent and child share stdout */
static void out(const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n > (int)sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	if (write(1, line, n) < 0)
		return;
}

static void ok(int cond, const char *fmt, ...)
{
	char what[768];
	va_list ap;
	int n;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	n = __atomic_add_fetch(&sh->tests, 1, __ATOMIC_SEQ_CST);
	if (!cond)
		__atomic_add_fetch(&sh->failures, 1, __ATOMIC_SEQ_CST);
	out("%sok %d - %s", cond ? "" : "not ", n, what);
}

static void op_begin(struct slot *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->what, sizeof(s->what), fmt, ap);
	va_end(ap);
	s->start_ns = now_ns();
	__atomic_store_n(&s->busy, 1, __ATOMIC_SEQ_CST);
}

static void op_end(struct slot *s)
{
	__atomic_store_n(&s->busy, 0, __ATOMIC_SEQ_CST);
	s->done++;
}

static struct slot *main_slot(void)
{
	return &sh->slot[MAX_THREADS];
}

/* --- the device ---------------------------------------------------------- */

struct region {
	uint64_t size;
	uint32_t flags;
	uint32_t type, subtype;
	int valid;
	/* the first sparse-mmap area (or the whole region if mmappable) */
	uint64_t mmap_off, mmap_len;
};

static int container = -1, group = -1, device = -1;
static char group_id[32];
static struct vfio_device_info dev_info;
static struct region reg[MAX_REGIONS];
static unsigned int nreg;
static int mem_index = -1, comp_index = -1;
static uint64_t mem_size, win_off;
static unsigned char *mem_map;		/* the whole memory region */
static unsigned char *bar_map[VFIO_PCI_NUM_REGIONS];
static uint64_t bar_map_len[VFIO_PCI_NUM_REGIONS];
static uint32_t pm_cap, exp_cap, dvsec;

static int open_device(void)
{
	struct vfio_group_status status = { .argsz = sizeof(status) };
	char path[PATH_MAX], link[PATH_MAX];
	const char *g;
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group", bdf);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return -1;
	link[n] = 0;
	g = strrchr(link, '/') + 1;
	snprintf(group_id, sizeof(group_id), "%s", g);
	snprintf(path, sizeof(path), "/dev/vfio/%s", g);
	container = open("/dev/vfio/vfio", O_RDWR);
	group = open(path, O_RDWR);
	if (container < 0 || group < 0)
		return -1;
	if (ioctl(group, VFIO_GROUP_GET_STATUS, &status) ||
	    !(status.flags & VFIO_GROUP_FLAGS_VIABLE) ||
	    ioctl(group, VFIO_GROUP_SET_CONTAINER, &container) ||
	    ioctl(container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU))
		return -1;
	device = ioctl(group, VFIO_GROUP_GET_DEVICE_FD, bdf);
	return device < 0 ? -1 : 0;
}

static void close_device(void)
{
	if (device >= 0)
		close(device);
	if (group >= 0)
		close(group);
	if (container >= 0)
		close(container);
	device = group = container = -1;
}

static int cfg_read(uint32_t off, void *buf, size_t len)
{
	return vfio_cfg_read(device, off, buf, len);
}

static int cfg_write(uint32_t off, const void *buf, size_t len)
{
	return vfio_cfg_write(device, off, buf, len);
}

static uint32_t find_caps(void)
{
	uint32_t off = 0x100, hdr, h1;
	uint8_t p = 0, id;
	uint16_t dv;
	int hops = 0;

	pm_cap = exp_cap = dvsec = 0;
	cfg_read(0x34, &p, 1);
	while (p && hops++ < 48) {
		if (cfg_read(p, &id, 1))
			break;
		if (id == 0x01)
			pm_cap = p;
		if (id == 0x10)
			exp_cap = p;
		if (cfg_read(p + 1, &p, 1))
			break;
		p &= ~3;
	}
	hops = 0;
	while (off && hops++ < 64 && !cfg_read(off, &hdr, 4)) {
		if ((hdr & 0xffff) == PCI_EXT_CAP_ID_DVSEC &&
		    !cfg_read(off + 4, &h1, 4) && !cfg_read(off + 8, &dv, 2) &&
		    (h1 & 0xffff) == DVSEC_VENDOR_CXL && dv == 0) {
			dvsec = off;
			break;
		}
		off = hdr >> 20;
	}
	return dvsec;
}

/* Region infos, and the memory region's and BARs' mappings */
static int setup_round(void)
{
	unsigned int i;

	memset(&dev_info, 0, sizeof(dev_info));
	dev_info.argsz = sizeof(dev_info);
	if (ioctl(device, VFIO_DEVICE_GET_INFO, &dev_info))
		return -1;
	nreg = dev_info.num_regions < MAX_REGIONS ? dev_info.num_regions : MAX_REGIONS;
	mem_index = comp_index = -1;
	for (i = 0; i < nreg; i++) {
		size_t len = 4096;
		struct vfio_region_info *info = calloc(1, len);
		struct vfio_region_info_cap_type *t = NULL;
		struct vfio_region_info_cap_sparse_mmap *sp = NULL;

		memset(&reg[i], 0, sizeof(reg[i]));
		info->argsz = len;
		info->index = i;
		if (!ioctl(device, VFIO_DEVICE_GET_REGION_INFO, info)) {
			reg[i].valid = 1;
			reg[i].size = info->size;
			reg[i].flags = info->flags;
			if (info->flags & VFIO_REGION_INFO_FLAG_CAPS) {
				t = (void *)find_cap(info, len, info->cap_offset,
						     VFIO_REGION_INFO_CAP_TYPE);
				sp = (void *)find_cap(info, len, info->cap_offset,
						      VFIO_REGION_INFO_CAP_SPARSE_MMAP);
			}
			if (t) {
				reg[i].type = t->type;
				reg[i].subtype = t->subtype;
			}
			if (info->flags & VFIO_REGION_INFO_FLAG_MMAP) {
				reg[i].mmap_len = info->size;
				if (sp && sp->nr_areas) {
					reg[i].mmap_off = sp->areas[0].offset;
					reg[i].mmap_len = sp->areas[0].size;
				} else if (sp) {
					reg[i].mmap_len = 0;
				}
			}
			if (t && t->type == REGION_TYPE_CXL &&
			    t->subtype == SUBTYPE_CXL_MEM)
				mem_index = i;
			if (t && t->type == REGION_TYPE_CXL &&
			    t->subtype == SUBTYPE_CXL_COMP_REGS)
				comp_index = i;
		}
		free(info);
	}
	mem_size = mem_index >= 0 ? reg[mem_index].size : 0;
	win_off = mem_size >= 2 * FUZZ_WIN_LEN ? (mem_size / 2) & ~(PAGE - 1) : 0;
	mem_map = NULL;
	if (mem_index >= 0 && mem_size) {
		mem_map = mmap(NULL, mem_size, PROT_READ | PROT_WRITE, MAP_SHARED,
			       device, OFFSET(mem_index));
		if (mem_map == MAP_FAILED)
			mem_map = NULL;
	}
	for (i = 0; i < VFIO_PCI_ROM_REGION_INDEX && i < nreg; i++) {
		bar_map[i] = NULL;
		bar_map_len[i] = 0;
		if (!reg[i].mmap_len)
			continue;
		bar_map[i] = mmap(NULL, reg[i].mmap_len, PROT_READ | PROT_WRITE,
				  MAP_SHARED, device,
				  OFFSET(i) + reg[i].mmap_off);
		if (bar_map[i] == MAP_FAILED)
			bar_map[i] = NULL;
		else
			bar_map_len[i] = reg[i].mmap_len;
	}
	find_caps();
	return 0;
}

static void teardown_round(void)
{
	unsigned int i;

	if (mem_map)
		munmap(mem_map, mem_size);
	mem_map = NULL;
	for (i = 0; i < VFIO_PCI_ROM_REGION_INDEX; i++) {
		if (bar_map[i])
			munmap(bar_map[i], bar_map_len[i]);
		bar_map[i] = NULL;
	}
}

/* --- the generator ------------------------------------------------------- */

struct worker {
	unsigned int id;
	uint64_t rng;
	struct slot *s;
	unsigned char *heap;	/* 64 KiB */
	unsigned long n_sigbus, n_ok, n_err;
	pthread_t thread;
};

static uint64_t rnd(struct worker *w)
{
	uint64_t x = w->rng;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	w->rng = x;
	return x * 0x2545F4914F6CDD1DULL;
}

static uint64_t pick(struct worker *w, uint64_t n)
{
	return n ? rnd(w) % n : 0;
}

static __thread sigjmp_buf touch_jmp;
static __thread volatile int in_touch;

static void on_fault(int sig, siginfo_t *si, void *uc)
{
	(void)si;
	(void)uc;
	if (in_touch)
		siglongjmp(touch_jmp, 1);
	/* Not ours: die of it, for the watchdog to report as a crash */
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Touches @len bytes at @p (reads, and writes if @wr): 1 if SIGBUS */
static int touch(unsigned char *p, size_t len, int wr)
{
	volatile unsigned char sink = 0;
	size_t i;

	in_touch = 1;
	if (sigsetjmp(touch_jmp, 1)) {
		in_touch = 0;
		return 1;
	}
	for (i = 0; i < len; i += PAGE) {
		sink ^= p[i];
		if (wr)
			p[i] = sink;
	}
	in_touch = 0;
	return 0;
}

/*
 * A user buffer of @len bytes for the kernel to read (@dst 0) or write
 * (@dst 1): on the heap, or in the device's own mappings. The kernel
 * writes device memory only inside the fuzz window, and BARs never.
 */
static unsigned char *user_buf(struct worker *w, size_t len, int dst,
			       const char **where)
{
	unsigned int r = pick(w, 8), i;

	if (len > 16 * PAGE)
		r = 0;
	if (r >= 2 && r < 6 && mem_map && mem_size > 16 * PAGE) {
		uint64_t off;

		if (dst || r >= 4) {
			if (!win_off)
				goto heap;
			off = win_off + pick(w, FUZZ_WIN_LEN - len);
		} else {
			off = pick(w, mem_size - len);
		}
		*where = "device-memory mmap";
		return mem_map + off;
	}
	if (r >= 6 && !dst) {
		for (i = 0; i < VFIO_PCI_ROM_REGION_INDEX; i++) {
			unsigned int b = (i + pick(w, 6)) % VFIO_PCI_ROM_REGION_INDEX;

			if (bar_map[b] && bar_map_len[b] > len) {
				*where = "BAR mmap";
				return bar_map[b] + pick(w, bar_map_len[b] - len);
			}
		}
	}
heap:
	*where = "heap";
	return w->heap + pick(w, 4096);
}

static void count(struct worker *w, long rc)
{
	if (rc < 0)
		w->n_err++;
	else
		w->n_ok++;
}

static void op_ioctl(struct worker *w)
{
	static const uint32_t sizes[] = { 0, 4, 8, 16, 24, 32, 4096 };
	unsigned int which = pick(w, 100);
	const char *where = "heap";
	uint32_t argsz = sizes[pick(w, 7)];
	unsigned char *buf = user_buf(w, 4096, 1, &where);
	long rc;

	if (which < 25) {
		struct vfio_device_info *i = (void *)buf;

		op_begin(w->s, "ioctl GET_INFO argsz %u (buffer: %s)", argsz, where);
		if (where[0] == 'h')
			i->argsz = argsz;
		rc = ioctl(device, VFIO_DEVICE_GET_INFO, buf);
	} else if (which < 75) {
		/* Region and IRQ info share their head: argsz, flags, index */
		struct vfio_irq_info *i = (void *)buf;
		bool irq = which >= 55;
		uint32_t index = pick(w, irq ? VFIO_PCI_NUM_IRQS + 2 : nreg + 3);

		if (!irq && pick(w, 8) == 0)
			index = 0xffffffffu - pick(w, 2);
		op_begin(w->s, "ioctl %s index %u argsz %u (buffer: %s)",
			 irq ? "GET_IRQ_INFO" : "GET_REGION_INFO", index, argsz,
			 where);
		if (where[0] == 'h') {
			i->argsz = argsz;
			i->index = index;
		}
		rc = ioctl(device, irq ? VFIO_DEVICE_GET_IRQ_INFO :
					 VFIO_DEVICE_GET_REGION_INFO, buf);
	} else if (which < 83) {
		op_begin(w->s, "ioctl RESET");
		rc = ioctl(device, VFIO_DEVICE_RESET);
	} else if (which < 95) {
		struct vfio_pci_hot_reset_info *i = (void *)buf;

		op_begin(w->s, "ioctl PCI_HOT_RESET_INFO argsz %u (buffer: %s)",
			 argsz, where);
		if (where[0] == 'h')
			i->argsz = argsz;
		rc = ioctl(device, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, buf);
	} else {
		struct {
			struct vfio_pci_hot_reset r;
			int32_t fds[1];
		} hr = { .r = { .argsz = sizeof(hr), .count = 1 } };

		hr.fds[0] = group;
		if (pick(w, 4) == 0)
			hr.r.count = pick(w, 3) ? 0 : 1000;
		op_begin(w->s, "ioctl PCI_HOT_RESET count %u", hr.r.count);
		rc = ioctl(device, VFIO_DEVICE_PCI_HOT_RESET, &hr);
	}
	count(w, rc);
	op_end(w->s);
}

/* An offset in region @r for an access of @len: edges, inside, past it */
static uint64_t pick_off(struct worker *w, uint64_t size, size_t len)
{
	switch (pick(w, 10)) {
	case 0: return 0;
	case 1: return size > len ? size - len : 0;
	case 2: return size ? size - 1 : 0;
	case 3: return size;
	case 4: return size + PAGE;
	case 5: return (1ULL << 40) - len + pick(w, 2 * len); /* into the next index */
	case 6: return size > 2 ? 1 + pick(w, size - 2) : 1;
	default: return size ? pick(w, size) : 0;
	}
}

/*
 * Where this program may write in region @index without harm to what
 * others check: 1 if [off, off+len) is allowed, or lies past the end.
 */
static int write_allowed(unsigned int index, uint64_t off, size_t len)
{
	uint64_t size = index < nreg ? reg[index].size : 0;

	if (index >= nreg || !reg[index].valid || off >= size)
		return 1;	/* refused by the driver */
	if ((int)index == mem_index)
		return win_off && off >= win_off && off + len <= win_off + FUZZ_WIN_LEN;
	if ((int)index == comp_index)
		return 1;
	if (index == ACCEL_BAR)
		return (off >= ACCEL_SCRATCH && off + len <= ACCEL_SCRATCH + 4) ||
		       (off >= ACCEL_SCRATCH_AREA &&
			off + len <= ACCEL_SCRATCH_AREA + ACCEL_SCRATCH_AREA_SIZE);
	/* Config space by op_config; the other BARs and ROM: only read */
	return 0;
}

static void op_rw(struct worker *w)
{
	static const size_t lens[] = { 1, 2, 3, 4, 8, 16, 64, 4096, 8192 };
	unsigned int index = pick(w, nreg + 1);
	size_t len = lens[pick(w, 9)];
	int wr = pick(w, 2);
	uint64_t size, off;
	const char *where;
	unsigned char *buf;
	long rc;

	if (pick(w, 16) == 0)
		index = nreg + 1 + pick(w, 200);
	if (pick(w, 3) == 0 && mem_index >= 0)
		index = mem_index;
	size = index < nreg ? reg[index].size : 4096;
	off = pick_off(w, size, len);
	if (wr && (int)index == mem_index && pick(w, 2) && win_off)
		off = win_off + pick(w, FUZZ_WIN_LEN - len);
	if (wr && index == ACCEL_BAR && pick(w, 2))
		off = pick(w, 2) ? ACCEL_SCRATCH :
		      ACCEL_SCRATCH_AREA + (pick(w, ACCEL_SCRATCH_AREA_SIZE - 4) & ~3);
	if (wr && index == ACCEL_BAR && off < size)
		len = len > 4 ? 4 : len;
	if (wr && !write_allowed(index, off, len))
		wr = 0;
	buf = user_buf(w, len, !wr, &where);
	op_begin(w->s, "%s region %u offset %#" PRIx64 " len %zu (buffer: %s)",
		 wr ? "pwrite" : "pread", index, off, len, where);
	if (wr)
		rc = pwrite(device, buf, len, OFFSET(index) + off);
	else
		rc = pread(device, buf, len, OFFSET(index) + off);
	count(w, rc);
	op_end(w->s);
}

static void op_mmap(struct worker *w)
{
	uint64_t pages = mem_size / PAGE, off, len;
	unsigned char *p;
	int wr, bus;

	if (mem_index < 0 || !pages)
		return;
	len = (1 + pick(w, 64)) * PAGE;
	if (pick(w, 2) && win_off)
		off = win_off + (pick(w, FUZZ_WIN_LEN / PAGE - 64) * PAGE);
	else
		off = pick(w, pages) * PAGE;
	if (pick(w, 16) == 0)
		off = mem_size - PAGE * pick(w, 2);	/* partly or wholly past the end */
	wr = win_off && off >= win_off && off + len <= win_off + FUZZ_WIN_LEN;
	op_begin(w->s, "mmap of the memory region at %#" PRIx64 " len %#" PRIx64,
		 off, len);
	p = mmap(NULL, len, PROT_READ | (wr ? PROT_WRITE : 0), MAP_SHARED,
		 device, OFFSET(mem_index) + off);
	op_end(w->s);
	if (p == MAP_FAILED) {
		w->n_err++;
		return;
	}
	op_begin(w->s, "touch (%s) of the memory mmap at %#" PRIx64 " len %#" PRIx64,
		 wr ? "write" : "read", off, len);
	bus = touch(p, len, wr);
	w->n_sigbus += bus;
	op_end(w->s);
	op_begin(w->s, "munmap of the memory mmap at %#" PRIx64, off);
	munmap(p, len);
	op_end(w->s);
	w->n_ok++;
}

/* A touch of the shared buffer mappings, racing the others' resets */
static void op_touch(struct worker *w)
{
	uint64_t off;

	if (!mem_map)
		return;
	off = pick(w, mem_size / PAGE) * PAGE;
	op_begin(w->s, "touch (read) of the shared memory mmap at %#" PRIx64, off);
	w->n_sigbus += touch(mem_map + off, 1, 0);
	op_end(w->s);
}

static void op_config(struct worker *w)
{
	uint16_t cmd = 0, v16;
	uint32_t off = 0, v32;
	unsigned char val[4];
	const char *what, *where;
	unsigned char *buf;
	size_t len = 2;
	long rc;

	switch (pick(w, 12)) {
	case 0: case 1:
		if (!pm_cap)
			return;
		off = pm_cap + 4;
		cfg_read(off, &v16, 2);
		v16 = (v16 & ~3) | (pick(w, 2) ? 3 : 0);
		what = (v16 & 3) ? "PMCSR D3hot" : "PMCSR D0";
		memcpy(val, &v16, 2);
		break;
	case 2: case 3:
		off = 4;
		cfg_read(off, &cmd, 2);
		cmd = pick(w, 2) ? (cmd | 2) : (cmd & ~2);
		what = (cmd & 2) ? "Command Memory Space Enable on" :
				   "Command Memory Space Enable off";
		memcpy(val, &cmd, 2);
		break;
	case 4:
		if (!exp_cap)
			return;
		off = exp_cap + 8;
		cfg_read(off, &v16, 2);
		v16 |= 0x8000;
		what = "Device Control Initiate FLR";
		memcpy(val, &v16, 2);
		break;
	default: {
		static const struct { uint32_t off; size_t len; const char *n; } d[] = {
			{ DVSEC_CTRL, 2, "DVSEC Control" },
			{ DVSEC_CTRL2, 2, "DVSEC Control2" },
			{ DVSEC_STATUS2, 2, "DVSEC Status2" },
			{ DVSEC_LOCK, 2, "DVSEC Lock" },
			{ DVSEC_R1_BASE_HI, 4, "DVSEC Range 1 Base High" },
			{ DVSEC_R1_BASE_LO, 4, "DVSEC Range 1 Base Low" },
			{ DVSEC_CTRL, 4, "DVSEC Control+Status" },
		};
		unsigned int k = pick(w, 7);

		if (!dvsec)
			return;
		off = dvsec + d[k].off;
		len = d[k].len;
		what = d[k].n;
		v32 = rnd(w);
		/* Control2's Initiate CXL Reset only now and then */
		if (d[k].off == DVSEC_CTRL2 && pick(w, 4))
			v32 &= ~4u;
		memcpy(val, &v32, 4);
		break;
	}
	}
	buf = user_buf(w, len, 0, &where);
	if (where[0] == 'h')
		memcpy(buf, val, len);
	op_begin(w->s, "config write %s at %#x len %zu (source: %s)", what, off,
		 len, where);
	rc = pwrite(device, buf, len, OFFSET(VFIO_PCI_CONFIG_REGION_INDEX) + off);
	count(w, rc);
	op_end(w->s);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	unsigned int i;

	for (i = 0; i < ops; i++) {
		switch (pick(w, 20)) {
		case 0: case 1: case 2: case 3:
			op_ioctl(w); break;
		case 4: case 5: case 6: case 7: case 8: case 9:
			op_rw(w); break;
		case 10: case 11: case 12:
			op_mmap(w); break;
		case 13: case 14:
			op_touch(w); break;
		default:
			op_config(w); break;
		}
	}
	return NULL;
}

/* --- sysfs ---------------------------------------------------------------- */

static int sysfs_write(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY), rc;

	if (fd < 0)
		return -1;
	rc = write(fd, val, strlen(val)) == (ssize_t)strlen(val) ? 0 : -1;
	close(fd);
	return rc;
}

static void bound_driver(char *out_name, size_t len)
{
	char path[PATH_MAX], link[PATH_MAX];
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver", bdf);
	n = readlink(path, link, sizeof(link) - 1);
	out_name[0] = 0;
	if (n > 0) {
		link[n] = 0;
		snprintf(out_name, len, "%s", strrchr(link, '/') + 1);
	}
}

/* Unbinds the device from @drv and binds it again */
static int rebind(const char *drv)
{
	char path[PATH_MAX], now_bound[128];
	int i;

	snprintf(path, sizeof(path), "/sys/bus/pci/drivers/%s/unbind", drv);
	op_begin(main_slot(), "sysfs unbind of %s from %s", bdf, drv);
	sysfs_write(path, bdf);
	op_end(main_slot());
	bound_driver(now_bound, sizeof(now_bound));
	if (now_bound[0])
		return -1;
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver_override", bdf);
	sysfs_write(path, drv);
	op_begin(main_slot(), "sysfs drivers_probe of %s (driver_override %s)", bdf, drv);
	sysfs_write("/sys/bus/pci/drivers_probe", bdf);
	op_end(main_slot());
	bound_driver(now_bound, sizeof(now_bound));
	if (strcmp(now_bound, drv))
		return -2;
	snprintf(path, sizeof(path), "/dev/vfio/%s", group_id);
	for (i = 0; i < 100 && access(path, F_OK); i++)
		usleep(50000);
	return access(path, F_OK) ? -3 : 0;
}

/* --- the child: rounds ---------------------------------------------------- */

static void restore_device(void)
{
	uint16_t v;

	if (pm_cap && !cfg_read(pm_cap + 4, &v, 2) && (v & 3)) {
		v &= ~3;
		cfg_write(pm_cap + 4, &v, 2);
	}
	if (!cfg_read(4, &v, 2) && !(v & 2)) {
		v |= 2;
		cfg_write(4, &v, 2);
	}
	ioctl(device, VFIO_DEVICE_RESET);
}

static int device_answers(void)
{
	struct vfio_device_info i = { .argsz = sizeof(i) };
	uint32_t id = 0;

	return !ioctl(device, VFIO_DEVICE_GET_INFO, &i) && !cfg_read(0, &id, 4) &&
	       id != 0xffffffffu && id != 0;
}

static void run_round(unsigned int r)
{
	struct worker w[MAX_THREADS];
	unsigned long n_ok = 0, n_err = 0, n_bus = 0;
	unsigned int i;
	int rc;

	sh->round = r;
	op_begin(main_slot(), "round %u: open %s through its VFIO group", r, bdf);
	rc = open_device();
	op_end(main_slot());
	ok(!rc, "round %u: the device opens (group %s, type1 container)", r, group_id);
	if (rc) {
		close_device();
		return;
	}
	op_begin(main_slot(), "round %u: region infos and mmaps", r);
	setup_round();
	op_end(main_slot());
	out("# round %u: %u regions, memory region %d (%#" PRIx64 " bytes, %s), "
	    "COMP_REGS %d, PM at %#x, PCIe at %#x, CXL DVSEC at %#x", r, nreg,
	    mem_index, mem_size, mem_map ? "mapped" : "not mapped", comp_index,
	    pm_cap, exp_cap, dvsec);
	for (i = 0; i < nthreads; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].id = i;
		w[i].rng = (seed * 0x9E3779B97F4A7C15ULL) ^ ((uint64_t)(r + 1) << 32) ^ (i + 1);
		if (!w[i].rng)
			w[i].rng = 1;
		w[i].s = &sh->slot[i];
		w[i].heap = calloc(1, 64 * 1024);
		pthread_create(&w[i].thread, NULL, worker_main, &w[i]);
	}
	for (i = 0; i < nthreads; i++) {
		pthread_join(w[i].thread, NULL);
		n_ok += w[i].n_ok;
		n_err += w[i].n_err;
		n_bus += w[i].n_sigbus;
		free(w[i].heap);
	}
	ok(1, "round %u: %u threads x %u operations returned (seed %" PRIu64
	   "; %lu succeeded, %lu refused, %lu touches got SIGBUS)", r, nthreads,
	   ops, seed, n_ok, n_err, n_bus);
	op_begin(main_slot(), "round %u: back to D0, Memory Space on, RESET", r);
	restore_device();
	op_end(main_slot());
	ok(device_answers(), "round %u: the device answers afterwards (GET_INFO, vendor ID)", r);
	if (r + 1 == rounds && mem_index >= 0 && win_off) {
		/* Bytes for the test bed to find in the device's memory */
		char own[17], got[16], hex[33];
		uint64_t off = win_off + FUZZ_WIN_LEN - PAGE;
		int i, same;

		snprintf(own, sizeof(own), "vfio-cxl-fuzz %2u", r % 100);
		same = pwrite(device, own, 16, OFFSET(mem_index) + off) == 16 &&
		       pread(device, got, 16, OFFSET(mem_index) + off) == 16 &&
		       !memcmp(own, got, 16);
		ok(same, "round %u: what write() put in device memory, read() reads", r);
		for (i = 0; i < 16; i++)
			sprintf(hex + 2 * i, "%02x", (unsigned char)own[i]);
		if (same)
			out("check-host: expect-devmem %#" PRIx64 " %s", off, hex);
	}
	op_begin(main_slot(), "round %u: munmap and close", r);
	teardown_round();
	close_device();
	op_end(main_slot());
}

/* --- unplug --------------------------------------------------------------- */

/* A page of the memory region for the unplug phase's touches */
static uint64_t pick_page(unsigned int i)
{
	uint64_t x = (seed + i + 1) * 0x9E3779B97F4A7C15ULL;

	return mem_size ? ((x >> 12) % (mem_size / PAGE)) * PAGE : 0;
}

static int rp_cfg = -1;
static uint32_t rp_exp;

static int rp_open(void)
{
	char path[PATH_MAX + 64], link[PATH_MAX], *slash;
	uint8_t p = 0, id = 0;
	int hops = 0;
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s", bdf);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return -1;
	link[n] = 0;
	slash = strrchr(link, '/');
	if (!slash)
		return -1;
	*slash = 0;
	/* @link is relative to /sys/bus/pci/devices (../../../devices/...) */
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/config", link);
	rp_cfg = open(path, O_RDWR);
	if (rp_cfg < 0)
		return -1;
	if (pread(rp_cfg, &p, 1, 0x34) != 1)
		return -1;
	while (p && hops++ < 48) {
		if (pread(rp_cfg, &id, 1, p) != 1)
			return -1;
		if (id == 0x10) {
			rp_exp = p;
			return 0;
		}
		if (pread(rp_cfg, &p, 1, p + 1) != 1)
			return -1;
		p &= ~3;
	}
	return -1;
}

static uint16_t rp_read16(uint32_t off)
{
	uint16_t v = 0xffff;

	if (pread(rp_cfg, &v, 2, off) != 2)
		return 0xffff;
	return v;
}

static void *remove_thread(void *arg)
{
	char path[PATH_MAX];

	(void)arg;
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/remove", bdf);
	sysfs_write(path, "1");
	return NULL;
}

static void run_unplug(void)
{
	unsigned char *p = NULL;
	uint16_t slt = 0xffff;
	uint64_t t0;
	unsigned int i, bus = 0;
	unsigned char b[64];
	struct vfio_device_info info = { .argsz = sizeof(info) };
	pthread_t rm;
	char path[PATH_MAX];
	int con, gone, abp = 0;

	op_begin(main_slot(), "unplug: open and map the device memory");
	ok(!open_device() && !setup_round() && mem_map,
	   "unplug: the device opens and its memory region maps");
	op_end(main_slot());
	if (!mem_map)
		return;
	/* Some pages touched, the rest not */
	for (i = 0; i < 8; i++)
		touch(mem_map + pick_page(i), 1, 0);
	i = !rp_open();
	ok(i, "unplug: the root port above %s has a PCIe capability (at %#x)",
	   bdf, rp_exp);
	if (rp_cfg < 0)
		return;
	con = open("/dev/console", O_WRONLY);
	op_begin(main_slot(), "unplug: asking the test bed for QMP device_del");
	if (con >= 0) {
		dprintf(con, "\nHOSTBED-QMP: device_del\n");
		close(con);
	}
	/* The outer QEMU presses the slot's attention button */
	t0 = now_ns();
	while (now_ns() - t0 < 120ULL * 1000000000ULL) {
		slt = rp_read16(rp_exp + 0x1a);		/* Slot Status */
		if (slt != 0xffff && (slt & 1)) {
			abp = 1;
			break;
		}
		usleep(100000);
	}
	op_end(main_slot());
	ok(abp, "unplug: the outer QEMU's device_del pressed the attention button "
	   "(Slot Status %#x after %.1f s)", slt, (now_ns() - t0) / 1e9);
	if (!abp)
		return;
	/* What pciehp would do: clear the event, indicator and power off */
	op_begin(main_slot(), "unplug: powering the slot off (Slot Control)");
	slt = 1;
	pwrite(rp_cfg, &slt, 2, rp_exp + 0x1a);
	slt = rp_read16(rp_exp + 0x18);
	slt |= 0x0400 | 0x0300;		/* Power Controller off, Power Indicator off */
	pwrite(rp_cfg, &slt, 2, rp_exp + 0x18);
	op_end(main_slot());
	/* The device is gone under us: everything must still return */
	op_begin(main_slot(), "unplug: touching the mapped memory of the gone device");
	for (i = 0; i < 64; i++) {
		p = mem_map + pick_page(i);
		bus += touch(p, 1, 0);
	}
	op_end(main_slot());
	ok(1, "unplug: 64 touches of the gone device's mapped memory returned (%u SIGBUS)", bus);
	/*
	 * No reset: the kernel waits up to 60 s for a function that answers
	 * all ones after its FLR, which nothing here would tell from a hang
	 */
	op_begin(main_slot(), "unplug: pread/ioctl of the gone device");
	i = 0;
	i += pread(device, b, 4, OFFSET(VFIO_PCI_CONFIG_REGION_INDEX)) >= 0;
	i += pread(device, b, 64, OFFSET(mem_index)) >= 0;
	i += !ioctl(device, VFIO_DEVICE_GET_INFO, &info);
	op_end(main_slot());
	ok(1, "unplug: a config and a memory read and GET_INFO of the gone device returned (%u of 3 succeeded)", i);
	/* The kernel removes it: the driver's remove waits for us to close */
	op_begin(main_slot(), "unplug: sysfs remove of %s (waits for the close)", bdf);
	pthread_create(&rm, NULL, remove_thread, NULL);
	sleep(2);
	teardown_round();
	close_device();
	pthread_join(rm, NULL);
	op_end(main_slot());
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s", bdf);
	gone = access(path, F_OK) != 0;
	ok(gone, "unplug: %s is gone from the nested host's PCI bus after the close", bdf);
	close(rp_cfg);
}

/* --- the watchdog --------------------------------------------------------- */

static void print_stacks(pid_t pid)
{
	char path[PATH_MAX], line[512];
	struct dirent *d;
	DIR *dir;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	dir = opendir(path);
	if (!dir)
		return;
	while ((d = readdir(dir))) {
		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/wchan", pid, d->d_name);
		f = fopen(path, "r");
		if (f) {
			if (fgets(line, sizeof(line), f))
				out("# task %s: wchan %s", d->d_name, line);
			fclose(f);
		}
		snprintf(path, sizeof(path), "/proc/%d/task/%s/stack", pid, d->d_name);
		f = fopen(path, "r");
		while (f && fgets(line, sizeof(line), f)) {
			line[strcspn(line, "\n")] = 0;
			out("#   %s", line);
		}
		if (f)
			fclose(f);
	}
	closedir(dir);
}

/* 0: the child ended by itself; -1 crashed; -2 hung */
static int watch(pid_t pid)
{
	uint64_t limit = (uint64_t)op_timeout * 1000000000ULL;
	unsigned int i, k;
	int st;

	for (;;) {
		pid_t r = waitpid(pid, &st, WNOHANG);

		if (r == pid) {
			if (WIFSIGNALED(st)) {
				ok(0, "the fuzzing process died of signal %d in round %d "
				   "(a crash)", WTERMSIG(st), sh->round);
				for (i = 0; i <= MAX_THREADS; i++)
					if (sh->slot[i].busy)
						out("#   thread %u was in: %s", i, sh->slot[i].what);
				return -1;
			}
			return WEXITSTATUS(st) == 0 ? 0 : -1;
		}
		for (i = 0; i <= MAX_THREADS; i++) {
			struct slot *s = &sh->slot[i];
			uint64_t t = now_ns();

			if (!s->busy || t - s->start_ns < limit)
				continue;
			ok(0, "round %d: %s %u hung: '%s' did not return in %u s",
			   sh->round, i == MAX_THREADS ? "the main thread" : "thread",
			   i == MAX_THREADS ? 0 : i, s->what, op_timeout);
			for (k = 0; k <= MAX_THREADS; k++)
				if (k != i && sh->slot[k].busy)
					out("#   %s %u is in: %s (%.1f s)",
					    k == MAX_THREADS ? "main" : "thread",
					    k == MAX_THREADS ? 0 : k, sh->slot[k].what,
					    (t - sh->slot[k].start_ns) / 1e9);
			out("# the kernel stacks of the fuzzing process's threads:");
			print_stacks(pid);
			kill(pid, SIGKILL);
			for (k = 0; k < 100; k++) {
				if (waitpid(pid, &st, WNOHANG) == pid)
					return -2;
				usleep(100000);
			}
			out("# it cannot be killed (stuck in the kernel): the device is wedged, no more rounds");
			return -2;
		}
		usleep(100000);
	}
}

static pid_t spawn(void (*fn)(unsigned int), unsigned int arg)
{
	struct sigaction sa = { .sa_sigaction = on_fault, .sa_flags = SA_SIGINFO };
	pid_t pid;

	/* No operation of an earlier child is in progress any more */
	memset(sh->slot, 0, sizeof(sh->slot));
	pid = fork();
	if (pid)
		return pid;
	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGSEGV, &sa, NULL);
	fn(arg);
	_exit(0);
}

static void unplug_main(unsigned int unused)
{
	(void)unused;
	run_unplug();
}

static const char *drv;

static void rebind_main(unsigned int r)
{
	int rc = rebind(drv);

	ok(!rc, "after round %u: unbound from %s and bound again, /dev/vfio/%s back (%s)",
	   r, drv, group_id, rc == -1 ? "still bound after unbind" :
	   rc == -2 ? "not bound again" : rc == -3 ? "no group node" : "ok");
}

static void usage(void)
{
	fprintf(stderr, "usage: vfio-cxl-fuzz [--seed N] [--ops N] [--threads N] "
		"[--rounds N] [--op-timeout S] [--unplug] BDF\n");
	exit(2);
}

int main(int argc, char **argv)
{
	char bound[128];
	unsigned int r;
	int i, rc = 0;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--seed") && i + 1 < argc)
			seed = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--ops") && i + 1 < argc)
			ops = strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--threads") && i + 1 < argc)
			nthreads = strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--rounds") && i + 1 < argc)
			rounds = strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--op-timeout") && i + 1 < argc)
			op_timeout = strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--unplug"))
			unplug = 1;
		else if (argv[i][0] == '-' || bdf)
			usage();
		else
			bdf = argv[i];
	}
	if (!bdf || !nthreads || nthreads > MAX_THREADS)
		usage();
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		return 1;
	memset(sh, 0, sizeof(*sh));
	bound_driver(bound, sizeof(bound));
	drv = getenv("CXL_HOST_DRIVER");
	if (!drv || !drv[0])
		drv = bound;
	{
		char path[PATH_MAX], link[PATH_MAX];
		ssize_t n;

		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group", bdf);
		n = readlink(path, link, sizeof(link) - 1);
		if (n > 0) {
			link[n] = 0;
			snprintf(group_id, sizeof(group_id), "%s", strrchr(link, '/') + 1);
		}
	}
	out("# vfio-cxl-fuzz %s: seed %" PRIu64 ", %u rounds of %u threads x %u "
	    "operations, %u s per operation, driver %s%s", bdf, seed, rounds,
	    nthreads, ops, op_timeout, drv, unplug ? ", then the unplug" : "");
	for (r = 0; r < rounds && rc != -2; r++) {
		rc = watch(spawn(run_round, r));
		if (rc == -2)
			break;
		/* Between rounds, and before the unplug: unbind, bind again */
		if (r + 1 < rounds || unplug)
			rc = watch(spawn(rebind_main, r));
	}
	if (unplug && rc != -2) {
		sh->round = rounds;
		rc = watch(spawn(unplug_main, 0));
	}
	out("1..%d", sh->tests);
	out("%d passed, %d failed", sh->tests - sh->failures, sh->failures);
	return sh->failures ? 1 : 0;
}
