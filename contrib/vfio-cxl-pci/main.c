// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-pci variant driver for CXL Type-2 devices on Linux 7.3
 *
 * Gives user space (QEMU's vfio-pci) the v2 vfio-cxl UAPI for a CXL device
 * whose firmware committed an HDM decoder: VFIO_DEVICE_FLAGS_CXL and the
 * CXL device-info capability, a region with the device memory (the host
 * physical range of the region Linux's CXL core assembled for the
 * decoder), a COMP_REGS region with a shadow of the HDM decoders that the
 * VMM programs (cxl_shadow.c, the rules the project's emulator serves
 * too), the component BAR without its CXL.cachemem block, and the CXL
 * Device DVSEC's control registers virtualized. The device's own decoders
 * are never written: the host keeps its region whatever the guest does.
 *
 * With uapi=v5 it serves the interface the series posts since v4 instead:
 * no device-info capability, a COMP_REGS region of the HDM decoder block
 * alone whose reads are live and whose writes are dropped, the decoder
 * block (only) left out of the component BAR, the memory gated on Memory
 * Space Enable, a CXL reset at the VFIO reset points, and the DVSEC's
 * Initiate bits never sent to the device. A device v5 does not take is
 * served as plain vfio-pci.
 *
 * Copyright (c) 2026 QEMU CXL Type-2 team
 */
#include <linux/bitfield.h>
#include <linux/delay.h>
#include <linux/io.h>
#include <linux/ioport.h>
#include <linux/jiffies.h>
#include <linux/memregion.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/pci-p2pdma.h>
#include <linux/range.h>
#include <linux/rwsem.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/unaligned.h>
#include <linux/vfio_pci_core.h>
#include <cxl/cxl.h>
#include <cxl/pci.h>

#include "cxl_dvsec.h"
#include "cxl_shadow.h"
/*
 * The v5 numbers are provisional and kept in one header shared with QEMU
 * and the emulator. It comes first: v2's COMP_REGS subtype has the same
 * name in vfio_cxl_uapi.h, and v2 keeps its own value.
 */
#include "cxl-uapi-v5.h"
enum {
	VCXL_V5_SUBTYPE_MEM = VFIO_REGION_SUBTYPE_CXL_MEM,
	VCXL_V5_SUBTYPE_COMP_REGS = VFIO_REGION_SUBTYPE_CXL_COMP_REGS,
};

#undef VFIO_REGION_SUBTYPE_CXL_COMP_REGS
#include "vfio_cxl_uapi.h"

/* CXL Device DVSEC bits beyond cxl_dvsec.h's (CXL r3.1 8.1.3) */
#define VCXL_DVSEC_CAP_RESET_TIMEOUT	GENMASK(10, 8)
#define VCXL_DVSEC_CAP_RESET_MEM_CLR	BIT(11)
/* Config space bytes a CXL DVSEC may take: the DVSEC header's length */
#define VCXL_MAX_CXL_DVSECS		8
/* PMCSR PowerState (PCI PM 1.2, 7.2.2) of D3hot */
#define VCXL_PMCSR_D3HOT		3

/* How long firmware may take to report the memory valid, then active */
#define VCXL_INFO_VALID_MS		1000
/* Decoder 0's Interleave Ways field: 0 is one way */
#define VCXL_HDM_CTRL_IW		GENMASK(7, 4)
/* How long a v5 cache write-back and a decoder's re-commit may take */
#define VCXL_WBI_MS			1000
#define VCXL_COMMIT_MS			100

/*
 * Which vfio-cxl UAPI the driver serves, for every device it binds from
 * its load on: the kernel series' v2 (the default) or v5.
 */
enum vcxl_uapi {
	VCXL_UAPI_V2,
	VCXL_UAPI_V5,
};

static enum vcxl_uapi vcxl_uapi = VCXL_UAPI_V2;

static int vcxl_uapi_set(const char *val, const struct kernel_param *kp)
{
	if (sysfs_streq(val, "v2"))
		vcxl_uapi = VCXL_UAPI_V2;
	else if (sysfs_streq(val, "v5"))
		vcxl_uapi = VCXL_UAPI_V5;
	else
		return -EINVAL;
	return 0;
}

static int vcxl_uapi_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%s\n", vcxl_uapi == VCXL_UAPI_V5 ? "v5" : "v2");
}

static const struct kernel_param_ops vcxl_uapi_ops = {
	.set = vcxl_uapi_set,
	.get = vcxl_uapi_get,
};

module_param_cb(uapi, &vcxl_uapi_ops, NULL, 0444);
MODULE_PARM_DESC(uapi,
		 "vfio-cxl UAPI to serve: v2 (default: device capability, HDM shadow) or v5 (the series since v4: live HDM reads, memory gate, CXL reset)");

/*
 * Locking. Nothing is held across a copy from or to user space: a user
 * buffer may lie in this device's own memory mapping, whose fault handler
 * takes @lock, so every access bounces through kernel memory. The order:
 *
 *   vfio's device set lock      (open and close, the core's hot reset)
 *     @reset_lock               serializes samples, our resets and the
 *       vfio-pci-core locks      config writes that may reset or power
 *         (device_lock, memory_lock)   down the function
 *           @lock               the state faults and I/O look at: held
 *                               briefly, never across user copies, device
 *                               resets or vfio-pci-core calls
 *   mmap_lock (a fault) -> @lock (read)
 *
 * vfio-pci-core holds memory_lock (and the PCI core device_lock) around
 * every reset of the function and calls vcxl_pci_reset_prepare(), which
 * takes @lock: so @lock is never held while memory_lock is taken, and the
 * hardware is read before @lock is taken to install what was read.
 */

/**
 * struct vfio_cxl_pci - a bound CXL Type-2 device
 * @core: vfio-pci-core's device; first, as vfio_alloc_device() requires
 * @cxlds: Linux's CXL state of the device (devm, lives while bound)
 * @range: host physical range of the region the CXL core assembled (a
 *	   copy: devm_cxl_probe_mem() keeps nothing of the pointer it gets)
 * @mem: write-back kernel mapping of @range, for read() and write(); it
 *	 also gives @range the write-back memory type user mappings take
 * @cachemem: the device's CXL.cachemem registers, read for a snapshot
 * @comp_bar: BAR that holds the component register block
 * @block: BAR offset of the component register block
 * @dvsec: config offset of the CXL Device DVSEC
 * @cache_capable: DVSEC Cache_Capable
 * @shadow_regs: what COMP_REGS shows (v2), @shadow its rules (cxl_shadow.c)
 * @vdvsec: what user space sees of the CXL Device DVSEC (cxl_dvsec.c)
 * @cxl_dvsecs: config ranges of every CXL DVSEC, read-only to user space
 *		but for the CXL Device DVSEC's virtualized registers
 * @nr_cxl_dvsecs: entries of @cxl_dvsecs
 * @reset_lock: see "Locking" above
 * @lock: serializes the shadows, @active and @dead; faults and I/O of the
 *	  memory region take it for reading
 * @active: decoder 0 was committed over @range at the last sample, and no
 *	    reset, power-down or error has happened since: the memory is
 *	    served; otherwise faults get SIGBUS and I/O -EIO
 * @dead: the device is being removed: never served again
 * @reset_seen: the PCI core reset the function (vcxl_pci_reset_prepare())
 * @stops: how many times the memory was stopped; a sample taken across a
 *	   stop (a sibling's reset, an error) does not turn it back on
 * @mem_index: absolute region index of the device memory region
 * @comp_index: absolute region index of COMP_REGS
 * @own_barmap: the component BAR is mapped by this driver, not the core
 * @v5: serves the v5 UAPI (uapi=v5 when it was bound)
 * @cxl: served as a CXL device; v5 serves a device it does not take as
 *	 plain vfio-pci (v2 refuses it at probe)
 * @dvsec_cap: the CXL Device DVSEC's Capability register
 * @hdm_bar: v5: BAR offset of the HDM Decoder Capability
 * @hdm_size: v5: bytes of the HDM decoder block (COMP_REGS's size)
 * @media_ready: v5: DVSEC Range 1 Memory_Active when last sampled
 * @fw_hdm: v5: the HDM Decoder Capability's registers and decoder 0's as
 *	    firmware left them, what a CXL reset that clears them gets back
 * @fw_dvsec_ctrl: v5: the DVSEC's Control register as firmware left it
 */
struct vfio_cxl_pci {
	struct vfio_pci_core_device core;
	struct cxl_dev_state *cxlds;
	struct range range;
	void *mem;
	void __iomem *cachemem;
	int comp_bar;
	resource_size_t block;
	u16 dvsec;
	bool cache_capable;
	u32 shadow_regs[CXL_SHADOW_CACHEMEM_SIZE / 4];
	struct cxl_shadow shadow;
	struct cxl_vdvsec vdvsec;
	struct range cxl_dvsecs[VCXL_MAX_CXL_DVSECS];
	unsigned int nr_cxl_dvsecs;
	struct mutex reset_lock;	/* see "Locking" */
	struct rw_semaphore lock;	/* see "Locking" */
	bool active;
	bool dead;
	bool reset_seen;
	unsigned int stops;
	u32 mem_index;
	u32 comp_index;
	bool own_barmap;
	bool v5;
	bool cxl;
	u16 dvsec_cap;
	u64 hdm_bar;
	u32 hdm_size;
	bool media_ready;
	u32 fw_hdm[CXL_SHADOW_HDM_DEC_CTRL / 4 + 1];
	u16 fw_dvsec_ctrl;
};

/* Holds the CXL core's state; devm_cxl_dev_state_create() wants a struct */
struct vfio_cxl_state {
	struct cxl_dev_state cxlds;
};

static struct vfio_cxl_pci *to_vcxl(struct vfio_device *core_vdev)
{
	return container_of(core_vdev, struct vfio_cxl_pci, core.vdev);
}

static __printf(3, 4) int vcxl_refuse(struct pci_dev *pdev, int rc,
				      const char *fmt, ...)
{
	struct va_format vaf;
	va_list args;

	va_start(args, fmt);
	vaf.fmt = fmt;
	vaf.va = &args;
	/* v5 falls back to plain vfio-pci: not an error */
	if (vcxl_uapi == VCXL_UAPI_V5)
		pci_info(pdev, "served as plain vfio-pci, not as CXL Type-2: %pV (%pe)\n",
			 &vaf, ERR_PTR(rc));
	else
		pci_err(pdev, "not served as a CXL Type-2 device: %pV (%pe)\n",
			&vaf, ERR_PTR(rc));
	va_end(args);
	return rc;
}

/* --- Samples of the device --------------------------------------------- */

/*
 * Whether the function can answer a memory access now. A function in
 * D3hot or gone answers all ones at best, and a read of it must never be
 * taken for a committed decoder.
 */
static bool vcxl_reachable(struct vfio_cxl_pci *v)
{
	struct pci_dev *pdev = v->core.pdev;

	return pdev->current_state < PCI_D3hot && !pci_dev_is_disconnected(pdev);
}

/*
 * Reads the device's CXL.cachemem registers into @regs. They are in a
 * BAR, and the VMM may have turned memory decoding off (a guest's reset
 * does): turn it on for the reads, under vfio-pci-core's memory lock, as
 * the core does for the ROM. Returns false, with @regs all ones, if the
 * function cannot answer or answers all ones ("not present").
 */
static bool vcxl_read_hw(struct vfio_cxl_pci *v, u32 *regs)
{
	struct pci_dev *pdev = v->core.pdev;
	bool ok = false;
	unsigned int i;
	u16 cmd;

	memset(regs, 0xff, CXL_SHADOW_CACHEMEM_SIZE);
	down_write(&v->core.memory_lock);
	if (vcxl_reachable(v)) {
		pci_read_config_word(pdev, PCI_COMMAND, &cmd);
		if (!(cmd & PCI_COMMAND_MEMORY))
			pci_write_config_word(pdev, PCI_COMMAND,
					      cmd | PCI_COMMAND_MEMORY);
		for (i = 0; i < CXL_SHADOW_CACHEMEM_SIZE / 4; i++)
			regs[i] = readl(v->cachemem + i * 4);
		if (!(cmd & PCI_COMMAND_MEMORY))
			pci_write_config_word(pdev, PCI_COMMAND, cmd);
		ok = !PCI_POSSIBLE_ERROR(regs[0]);
	}
	up_write(&v->core.memory_lock);
	return ok;
}

/*
 * v5: one dword of the HDM Decoder Capability (@off from its start), read
 * or written live, with memory decoding on as in vcxl_read_hw(). A
 * function that cannot answer reads all ones and drops the write.
 */
static u32 vcxl_hdm_io(struct vfio_cxl_pci *v, u32 off, u32 val, bool write)
{
	struct pci_dev *pdev = v->core.pdev;
	void __iomem *reg = v->cachemem + v->shadow.hdm + off;
	u16 cmd;

	down_write(&v->core.memory_lock);
	if (!vcxl_reachable(v)) {
		up_write(&v->core.memory_lock);
		return U32_MAX;
	}
	pci_read_config_word(pdev, PCI_COMMAND, &cmd);
	if (!(cmd & PCI_COMMAND_MEMORY))
		pci_write_config_word(pdev, PCI_COMMAND, cmd | PCI_COMMAND_MEMORY);
	if (write)
		writel(val, reg);
	else
		val = readl(reg);
	if (!(cmd & PCI_COMMAND_MEMORY))
		pci_write_config_word(pdev, PCI_COMMAND, cmd);
	up_write(&v->core.memory_lock);
	return val;
}

/* Whether decoder 0, as read in @regs, is committed over the region */
static bool vcxl_backs_range(struct vfio_cxl_pci *v, const u32 *regs)
{
	const u32 *d0 = &regs[(v->shadow.hdm + CXL_SHADOW_HDM_DEC_BASE_LO) / 4];
	u64 base = (u64)d0[1] << 32 | (d0[0] & CXL_SHADOW_HDM_ADDR_LO_MASK);
	u64 size = (u64)d0[3] << 32 | (d0[2] & CXL_SHADOW_HDM_ADDR_LO_MASK);

	return (d0[4] & CXL_SHADOW_HDM_CTRL_COMMITTED) &&
	       base == v->range.start && size >= range_len(&v->range);
}

/* The CXL Device DVSEC as the device has it, for cxl_vdvsec_init() */
static void vcxl_read_dvsec(struct vfio_cxl_pci *v, u8 *hw)
{
	unsigned int i;

	for (i = 0; i < CXL_VDVSEC_SIZE; i++)
		pci_read_config_byte(v->core.pdev, v->dvsec + i, &hw[i]);
}

/*
 * Samples the device: whether decoder 0 still backs the region (and, in
 * v5, the media is ready). A conventional reset (@conventional: open,
 * VFIO_DEVICE_RESET, a bus reset) also starts the user's views afresh: v2's
 * COMP_REGS shadow and the DVSEC (v5 keeps its DVSEC view per open). An
 * FLR does not (CXL r3.1 9.5: it leaves CXL.mem state and the DVSEC's
 * configuration alone). Called with @reset_lock held, @lock not.
 */
static void vcxl_sample(struct vfio_cxl_pci *v, bool conventional)
{
	u32 *regs __free(kfree) = kmalloc(CXL_SHADOW_CACHEMEM_SIZE, GFP_KERNEL);
	struct pci_dev *pdev = v->core.pdev;
	u8 dvsec[CXL_VDVSEC_SIZE];
	unsigned int stops;
	bool present, backs;
	u32 lo = 0;

	lockdep_assert_held(&v->reset_lock);
	down_read(&v->lock);
	stops = v->stops;
	up_read(&v->lock);
	present = regs && vcxl_read_hw(v, regs);
	backs = present && vcxl_backs_range(v, regs);
	if (v->v5)
		pci_read_config_dword(pdev, v->dvsec + PCI_DVSEC_CXL_RANGE_SIZE_LOW(0),
				      &lo);
	if (conventional && !v->v5)
		vcxl_read_dvsec(v, dvsec);

	down_write(&v->lock);
	if (conventional && !v->v5) {
		if (regs)
			memcpy(v->shadow_regs, regs, sizeof(v->shadow_regs));
		cxl_shadow_snapshot(&v->shadow);
		cxl_vdvsec_init(&v->vdvsec, dvsec, false);
	}
	v->media_ready = !PCI_POSSIBLE_ERROR(lo) &&
			 (lo & PCI_DVSEC_CXL_MEM_ACTIVE);
	v->active = backs && !v->dead && v->stops == stops;
	up_write(&v->lock);

	if (!present)
		pci_warn(pdev, "the device does not answer (all ones or not in D0): device memory is not served\n");
	else if (!backs)
		pci_warn(pdev, "HDM decoder 0 is not committed over %pra: device memory is not served\n",
			 &v->range);
	else if (v->v5 && !v->media_ready)
		pci_warn(pdev, "DVSEC Range 1 says the media is not ready: device memory is not served\n");
}

static void vcxl_zap_mem(struct vfio_cxl_pci *v)
{
	lockdep_assert_held_write(&v->lock);
	unmap_mapping_range(v->core.vdev.inode->i_mapping,
			    VFIO_PCI_INDEX_TO_OFFSET(v->mem_index),
			    range_len(&v->range), true);
}

/*
 * Stops serving the memory and takes every user mapping of it down: before
 * a reset, a power-down, an error or the removal. It comes back only with
 * the next vcxl_sample().
 */
static void vcxl_quiesce(struct vfio_cxl_pci *v)
{
	down_write(&v->lock);
	v->active = false;
	v->stops++;
	vcxl_zap_mem(v);
	up_write(&v->lock);
}

/*
 * v5: after a CXL reset the device's decoders may be back at their
 * defaults (CXL r3.1 9.7). What firmware committed is put back -- base and
 * size, then Commit -- so that the region Linux's CXL core assembled is
 * backed again, and CXL.mem is enabled again if the reset disabled it.
 */
static void vcxl_v5_restore(struct vfio_cxl_pci *v)
{
	struct pci_dev *pdev = v->core.pdev;
	unsigned long deadline;
	unsigned int r;
	u16 dctrl;
	u32 ctrl;

	pci_read_config_word(pdev, v->dvsec + PCI_DVSEC_CXL_CTRL, &dctrl);
	if (PCI_POSSIBLE_ERROR(dctrl))
		return;
	if ((v->fw_dvsec_ctrl & PCI_DVSEC_CXL_MEM_ENABLE) &&
	    !(dctrl & PCI_DVSEC_CXL_MEM_ENABLE))
		pci_write_config_word(pdev, v->dvsec + PCI_DVSEC_CXL_CTRL,
				      v->fw_dvsec_ctrl);
	ctrl = vcxl_hdm_io(v, CXL_SHADOW_HDM_DEC_CTRL, 0, false);
	if (PCI_POSSIBLE_ERROR(ctrl) || (ctrl & CXL_SHADOW_HDM_CTRL_COMMITTED))
		return;

	vcxl_hdm_io(v, CXL_SHADOW_HDM_GLOBAL_CTRL,
		    v->fw_hdm[CXL_SHADOW_HDM_GLOBAL_CTRL / 4], true);
	for (r = CXL_SHADOW_HDM_DEC_BASE_LO; r < CXL_SHADOW_HDM_DEC_CTRL; r += 4)
		vcxl_hdm_io(v, r, v->fw_hdm[r / 4], true);
	ctrl = v->fw_hdm[CXL_SHADOW_HDM_DEC_CTRL / 4] &
	       ~(CXL_SHADOW_HDM_CTRL_COMMITTED | CXL_SHADOW_HDM_CTRL_ERR);
	vcxl_hdm_io(v, CXL_SHADOW_HDM_DEC_CTRL,
		    ctrl | CXL_SHADOW_HDM_CTRL_COMMIT, true);
	deadline = jiffies + msecs_to_jiffies(VCXL_COMMIT_MS);
	do {
		ctrl = vcxl_hdm_io(v, CXL_SHADOW_HDM_DEC_CTRL, 0, false);
		if (ctrl & (CXL_SHADOW_HDM_CTRL_COMMITTED | CXL_SHADOW_HDM_CTRL_ERR))
			break;
		msleep(20);
	} while (!time_after(jiffies, deadline));
	pci_info(pdev, "HDM decoder 0 committed again after the reset: control %#x\n",
		 ctrl);
}

/* CXL r3.1 8.1.3.1: the CXL Reset Timeout field, 10 ms to 100 s */
static unsigned int vcxl_reset_timeout_ms(u16 cap)
{
	static const unsigned int ms[] = { 10, 100, 1000, 10000, 100000 };

	return ms[min_t(u32, FIELD_GET(VCXL_DVSEC_CAP_RESET_TIMEOUT, cap),
			ARRAY_SIZE(ms) - 1)];
}

/*
 * Polls DVSEC Status2 until one of @bits is set or @ms have passed. All
 * ones is a function that stopped answering, not a completion.
 */
static int vcxl_wait_status2(struct vfio_cxl_pci *v, u16 bits,
			     unsigned int ms, u16 *st2)
{
	unsigned long deadline = jiffies + msecs_to_jiffies(ms);

	for (;;) {
		pci_read_config_word(v->core.pdev,
				     v->dvsec + CXL_VDVSEC_STATUS2, st2);
		if (PCI_POSSIBLE_ERROR(*st2))
			return -ENODEV;
		if (*st2 & bits)
			return 0;
		if (time_after(jiffies, deadline))
			return -ETIMEDOUT;
		msleep(20);
	}
}

/*
 * v5: a CXL Reset of the device (CXL r3.1 9.7), as the VFIO reset points
 * run it: the CPU caches of the region written back and invalidated (a
 * dirty line must not land on the memory after the reset), a device
 * cache, if there is one, written back and disabled; volatile memory
 * cleared by the device where it can (Reset Mem Clr); then Status2 says
 * how it ended. The caller holds @reset_lock and quiesced the memory.
 */
static int vcxl_cxl_reset(struct vfio_cxl_pci *v)
{
	struct pci_dev *pdev = v->core.pdev;
	u16 pos = v->dvsec + CXL_VDVSEC_CTRL2;
	u16 ctrl2, st2 = 0, off = 0;
	int rc;

	if (!(v->dvsec_cap & CXL_VDVSEC_CAP_CXL_RESET))
		return -ENOTTY;
	if (cpu_cache_has_invalidate_memregion())
		cpu_cache_invalidate_memregion(v->range.start,
					       range_len(&v->range));
	pci_read_config_word(pdev, pos, &ctrl2);
	if (PCI_POSSIBLE_ERROR(ctrl2))
		return -ENODEV;
	ctrl2 &= ~(CXL_VDVSEC_CTRL2_INITIATE_WBI |
		   CXL_VDVSEC_CTRL2_INITIATE_CXL_RESET |
		   CXL_VDVSEC_CTRL2_RESET_MEM_CLR);
	if (v->cache_capable) {
		off = CXL_VDVSEC_CTRL2_DISABLE_CACHING;
		pci_write_config_word(pdev, pos, ctrl2 | off);
		pci_write_config_word(pdev, pos, ctrl2 | off |
				      CXL_VDVSEC_CTRL2_INITIATE_WBI);
		if (vcxl_wait_status2(v, CXL_VDVSEC_STATUS2_CACHE_INVALID,
				      VCXL_WBI_MS, &st2))
			pci_warn(pdev, "the cache write-back before the CXL reset did not finish\n");
	}
	if (v->dvsec_cap & VCXL_DVSEC_CAP_RESET_MEM_CLR)
		off |= CXL_VDVSEC_CTRL2_RESET_MEM_CLR;
	/* What an earlier reset left in Status2 must not end the wait */
	pci_write_config_word(pdev, v->dvsec + CXL_VDVSEC_STATUS2,
			      CXL_VDVSEC_STATUS2_RESET_COMPLETE |
			      CXL_VDVSEC_STATUS2_RESET_ERROR);
	pci_write_config_word(pdev, pos, ctrl2 | off |
			      CXL_VDVSEC_CTRL2_INITIATE_CXL_RESET);
	rc = vcxl_wait_status2(v, CXL_VDVSEC_STATUS2_RESET_COMPLETE |
			       CXL_VDVSEC_STATUS2_RESET_ERROR,
			       vcxl_reset_timeout_ms(v->dvsec_cap), &st2);
	if (!rc && (st2 & CXL_VDVSEC_STATUS2_RESET_ERROR))
		rc = -EIO;
	/* Caching as it was */
	pci_write_config_word(pdev, pos, ctrl2);
	if (rc)
		pci_warn(pdev, "CXL reset failed (Status2 %#x): %pe\n", st2,
			 ERR_PTR(rc));
	return rc;
}

/*
 * VFIO_DEVICE_RESET: the memory quiesced first (vcxl_pci_reset_prepare()
 * does it again inside the core's reset), then v5's CXL reset where the
 * device has one, else vfio-pci-core's reset; then the decoder put back
 * (v5) and a conventional reset's new sample. The user rebuilds its
 * mappings.
 */
static long vcxl_device_reset(struct vfio_cxl_pci *v)
{
	long rc;

	mutex_lock(&v->reset_lock);
	vcxl_quiesce(v);
	if (v->v5 && (v->dvsec_cap & CXL_VDVSEC_CAP_CXL_RESET))
		rc = vcxl_cxl_reset(v);
	else
		rc = vfio_pci_core_ioctl(&v->core.vdev, VFIO_DEVICE_RESET, 0);
	if (v->v5)
		vcxl_v5_restore(v);
	vcxl_sample(v, true);
	mutex_unlock(&v->reset_lock);
	return rc;
}

/*
 * Whether the memory is served now: a committed decoder at the last
 * sample, the function in D0 and present; v5 also wants the media ready
 * and the user's Memory Space Enable (vfio-pci-core's view of the Command
 * register), as for a BAR.
 */
static bool vcxl_mem_served(struct vfio_cxl_pci *v)
{
	u16 cmd;

	lockdep_assert_held(&v->lock);
	if (!v->active || !vcxl_reachable(v))
		return false;
	if (!v->v5)
		return true;
	cmd = get_unaligned_le16(&v->core.vconfig[PCI_COMMAND]);
	return v->media_ready && (cmd & PCI_COMMAND_MEMORY);
}

/* --- The device memory region -------------------------------------------- */

static u64 vcxl_mem_pgoff(struct vm_area_struct *vma, unsigned long addr)
{
	return (vma->vm_pgoff &
		((1UL << (VFIO_PCI_OFFSET_SHIFT - PAGE_SHIFT)) - 1)) +
	       ((addr - vma->vm_start) >> PAGE_SHIFT);
}

/*
 * Inserts the page, or the 2 MiB or 1 GiB block, that @vmf faults on.
 * Large blocks let type1 take a mapping of device memory in a few steps
 * (it follows the mapping's size) rather than one per 4 KiB.
 */
static vm_fault_t vcxl_mem_huge_fault(struct vm_fault *vmf, unsigned int order)
{
	struct vm_area_struct *vma = vmf->vma;
	struct vfio_cxl_pci *v = vma->vm_private_data;
	unsigned long addr = ALIGN_DOWN(vmf->address, PAGE_SIZE << order);
	u64 pgoff = vcxl_mem_pgoff(vma, addr);
	u64 npages = range_len(&v->range) >> PAGE_SHIFT;
	unsigned long pfn = PHYS_PFN(v->range.start) + pgoff;
	vm_fault_t ret = VM_FAULT_FALLBACK;

	/* A block must lie inside the mapping and the memory, and be aligned */
	if (order && (addr < vma->vm_start ||
		      addr + (PAGE_SIZE << order) > vma->vm_end ||
		      pgoff + (1UL << order) > npages ||
		      !IS_ALIGNED(pfn, 1UL << order)))
		return VM_FAULT_FALLBACK;
	if (pgoff >= npages)
		return VM_FAULT_SIGBUS;

	down_read(&v->lock);
	if (!vcxl_mem_served(v))
		ret = VM_FAULT_SIGBUS;
	else if (!order)
		ret = vmf_insert_pfn(vma, addr, pfn);
#ifdef CONFIG_ARCH_SUPPORTS_PMD_PFNMAP
	else if (order == PMD_ORDER)
		ret = vmf_insert_pfn_pmd(vmf, pfn, vmf->flags & FAULT_FLAG_WRITE);
#endif
#ifdef CONFIG_ARCH_SUPPORTS_PUD_PFNMAP
	else if (order == PUD_ORDER)
		ret = vmf_insert_pfn_pud(vmf, pfn, vmf->flags & FAULT_FLAG_WRITE);
#endif
	up_read(&v->lock);
	return ret;
}

static vm_fault_t vcxl_mem_fault(struct vm_fault *vmf)
{
	return vcxl_mem_huge_fault(vmf, 0);
}

static const struct vm_operations_struct vcxl_mem_vm_ops = {
	.fault = vcxl_mem_fault,
#ifdef CONFIG_ARCH_SUPPORTS_HUGE_PFNMAP
	.huge_fault = vcxl_mem_huge_fault,
#endif
};

/*
 * Pages are inserted on first touch: mmap() populates nothing, whatever
 * the size (2 MiB and 1 GiB at a time where the mapping is aligned). The
 * mapping is cacheable (the default protection): coherent CXL.mem sits in
 * the CPU's cache hierarchy, and @mem keeps the range's memory type
 * write-back.
 */
static int vcxl_mem_mmap(struct vfio_pci_core_device *core,
			 struct vfio_pci_region *region,
			 struct vm_area_struct *vma)
{
	struct vfio_cxl_pci *v = container_of(core, struct vfio_cxl_pci, core);
	u64 pgoff = vcxl_mem_pgoff(vma, vma->vm_start);
	u64 len = vma->vm_end - vma->vm_start;

	if (pgoff > range_len(&v->range) >> PAGE_SHIFT ||
	    len > range_len(&v->range) - (pgoff << PAGE_SHIFT))
		return -EINVAL;

	vm_flags_set(vma, VM_IO | VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP);
	vma->vm_ops = &vcxl_mem_vm_ops;
	vma->vm_private_data = v;
	return 0;
}

/*
 * read() and write() of the memory, through a kernel bounce buffer: the
 * user's buffer may be a mapping of this very memory, whose fault takes
 * @lock, so no copy to or from it happens with @lock held.
 */
static ssize_t vcxl_mem_rw(struct vfio_pci_core_device *core,
			   char __user *buf, size_t count, loff_t *ppos,
			   bool iswrite)
{
	struct vfio_cxl_pci *v = container_of(core, struct vfio_cxl_pci, core);
	u64 off = *ppos & VFIO_PCI_OFFSET_MASK;
	u64 size = range_len(&v->range);
	size_t done = 0;
	ssize_t ret = 0;

	if (off >= size)
		return -EINVAL;
	count = min_t(u64, count, size - off);

	void *bounce __free(kfree) = kmalloc(min_t(size_t, count, PAGE_SIZE),
					     GFP_KERNEL);
	if (!bounce)
		return -ENOMEM;

	while (done < count) {
		size_t n = min_t(size_t, count - done, PAGE_SIZE);
		bool served;

		if (iswrite && copy_from_user(bounce, buf + done, n)) {
			ret = -EFAULT;
			break;
		}
		down_read(&v->lock);
		served = vcxl_mem_served(v);
		if (served && iswrite)
			memcpy(v->mem + off + done, bounce, n);
		else if (served)
			memcpy(bounce, v->mem + off + done, n);
		up_read(&v->lock);
		if (!served) {
			ret = -EIO;
			break;
		}
		if (!iswrite && copy_to_user(buf + done, bounce, n)) {
			ret = -EFAULT;
			break;
		}
		done += n;
	}
	if (!done)
		return ret;
	*ppos += done;
	return done;
}

static void vcxl_region_release(struct vfio_pci_core_device *core,
				struct vfio_pci_region *region)
{
}

static const struct vfio_pci_regops vcxl_mem_ops = {
	.rw = vcxl_mem_rw,
	.mmap = vcxl_mem_mmap,
	.release = vcxl_region_release,
};

/* --- COMP_REGS and the component block in the BAR ------------------------ */

/*
 * A dword of COMP_REGS, from the shadow. Only aligned 32-bit accesses
 * are allowed, as in the v2 kernel.
 */
static ssize_t vcxl_shadow_rw(struct vfio_cxl_pci *v, char __user *buf,
			      size_t count, u64 off, bool iswrite)
{
	__le32 le;
	u32 val;
	int rc;

	if (iswrite) {
		if (count != sizeof(le) || copy_from_user(&le, buf, sizeof(le)))
			return count != sizeof(le) ? -EINVAL : -EFAULT;
		down_write(&v->lock);
		rc = cxl_shadow_write(&v->shadow, off, count, le32_to_cpu(le));
		up_write(&v->lock);
		return rc ? rc : count;
	}

	down_read(&v->lock);
	rc = cxl_shadow_read(&v->shadow, off, count, &val);
	up_read(&v->lock);
	if (rc)
		return rc;
	le = cpu_to_le32(val);
	return copy_to_user(buf, &le, sizeof(le)) ? -EFAULT : count;
}

static ssize_t vcxl_comp_regs_rw(struct vfio_pci_core_device *core,
				 char __user *buf, size_t count, loff_t *ppos,
				 bool iswrite)
{
	struct vfio_cxl_pci *v = container_of(core, struct vfio_cxl_pci, core);
	ssize_t ret;

	ret = vcxl_shadow_rw(v, buf, count, *ppos & VFIO_PCI_OFFSET_MASK,
			     iswrite);
	if (ret > 0)
		*ppos += ret;
	return ret;
}

static const struct vfio_pci_regops vcxl_comp_regs_ops = {
	.rw = vcxl_comp_regs_rw,
	.release = vcxl_region_release,
};

static bool vcxl_in_block(struct vfio_cxl_pci *v, u64 off, size_t count)
{
	return off < v->block + CXL_SHADOW_BLOCK_SIZE && v->block < off + count;
}

/*
 * A BAR access that touches the component block is served from the
 * shadow, never the hardware: the COMP_REGS part as COMP_REGS, the rest
 * reads 0 and ignores writes. It may not straddle the block's edges.
 */
static ssize_t vcxl_block_rw(struct vfio_cxl_pci *v, char __user *buf,
			     size_t count, loff_t *ppos, bool iswrite)
{
	u64 off = *ppos & VFIO_PCI_OFFSET_MASK;
	u64 cm = v->block + CXL_SHADOW_CACHEMEM_OFFSET;
	ssize_t ret = count;

	if (off < v->block || count > v->block + CXL_SHADOW_BLOCK_SIZE - off)
		return -EINVAL;
	if (off < cm + v->shadow.size && cm < off + count)
		ret = vcxl_shadow_rw(v, buf, count, off - cm, iswrite);
	else if (!iswrite && clear_user(buf, count))
		ret = -EFAULT;
	if (ret > 0)
		*ppos += ret;
	return ret;
}

/*
 * v5's COMP_REGS: the HDM decoder block, read live from the device in
 * aligned dwords (BASE is the host's address); writes are dropped, as the
 * VMM owns the decoder state its guest sees.
 */
static ssize_t vcxl_v5_comp_regs_rw(struct vfio_pci_core_device *core,
				    char __user *buf, size_t count,
				    loff_t *ppos, bool iswrite)
{
	struct vfio_cxl_pci *v = container_of(core, struct vfio_cxl_pci, core);
	u64 off = *ppos & VFIO_PCI_OFFSET_MASK;
	__le32 le;

	if (count != sizeof(le) || off % sizeof(le) || off >= v->hdm_size)
		return -EINVAL;
	if (!iswrite) {
		le = cpu_to_le32(vcxl_hdm_io(v, off, 0, false));
		if (copy_to_user(buf, &le, sizeof(le)))
			return -EFAULT;
	}
	*ppos += sizeof(le);
	return sizeof(le);
}

/* v5: where the decoder block is, a region info capability of COMP_REGS */
static int vcxl_v5_comp_regs_add_cap(struct vfio_pci_core_device *core,
				     struct vfio_pci_region *region,
				     struct vfio_info_cap *caps)
{
	struct vfio_cxl_pci *v = container_of(core, struct vfio_cxl_pci, core);
	struct vfio_region_info_cap_cxl_comp_regs cap = {
		.header.id = VFIO_REGION_INFO_CAP_CXL_COMP_REGS,
		.header.version = VFIO_REGION_INFO_CAP_CXL_COMP_REGS_VERSION,
		.bar = v->comp_bar,
		.offset = v->hdm_bar,
	};

	return vfio_info_add_capability(caps, &cap.header, sizeof(cap));
}

static const struct vfio_pci_regops vcxl_v5_comp_regs_ops = {
	.rw = vcxl_v5_comp_regs_rw,
	.release = vcxl_region_release,
	.add_capability = vcxl_v5_comp_regs_add_cap,
};

static bool vcxl_in_hdm(struct vfio_cxl_pci *v, u64 off, size_t count)
{
	return off < v->hdm_bar + v->hdm_size && v->hdm_bar < off + count;
}

/*
 * v5: a BAR access that touches the HDM decoder block. The block reads
 * all ones and drops writes; the bytes around it are the device's.
 */
static ssize_t vcxl_v5_bar_rw(struct vfio_cxl_pci *v, char __user *buf,
			      size_t count, loff_t *ppos, bool iswrite)
{
	static const u8 ones[64] = { [0 ... 63] = 0xff };
	struct vfio_device *core_vdev = &v->core.vdev;
	u64 off = *ppos & VFIO_PCI_OFFSET_MASK;
	u64 start = max_t(u64, off, v->hdm_bar);
	u64 end = min_t(u64, off + count, v->hdm_bar + v->hdm_size);
	size_t done = 0, n;
	ssize_t ret;
	loff_t p;

	while (done < count) {
		u64 at = off + done;

		if (at >= start && at < end) {
			n = min_t(u64, end - at, sizeof(ones));
			if (!iswrite && copy_to_user(buf + done, ones, n))
				return done ? done : -EFAULT;
			done += n;
			continue;
		}
		n = at < start ? start - at : count - done;
		p = *ppos + done;
		if (iswrite)
			ret = vfio_pci_core_write(core_vdev, buf + done, n, &p);
		else
			ret = vfio_pci_core_read(core_vdev, buf + done, n, &p);
		if (ret <= 0) {
			if (!done)
				return ret;
			break;
		}
		done += ret;
		if (ret < n)
			break;
	}
	*ppos += done;
	return done;
}

/* --- Config space ------------------------------------------------------- */

/* Who serves a config byte: vfio-pci-core, cxl_dvsec.c, or nobody (RO) */
enum vcxl_cfg_owner {
	VCXL_CFG_CORE,
	VCXL_CFG_DVSEC,
	VCXL_CFG_READ_ONLY,
};

static enum vcxl_cfg_owner vcxl_cfg_owner(struct vfio_cxl_pci *v, u64 pos)
{
	unsigned int i;

	if (pos >= v->dvsec && pos < v->dvsec + CXL_VDVSEC_SIZE)
		return VCXL_CFG_DVSEC;
	/*
	 * vfio-pci-core passes DVSEC writes to the device raw. The other CXL
	 * DVSECs (Flex Bus Port, GPF, Register Locator, ...) configure the
	 * link and the host's view of the device: read-only to user space.
	 */
	for (i = 0; i < v->nr_cxl_dvsecs; i++)
		if (pos >= v->cxl_dvsecs[i].start && pos <= v->cxl_dvsecs[i].end)
			return VCXL_CFG_READ_ONLY;
	return VCXL_CFG_CORE;
}

/* How many of @count bytes from @pos have the owner @owner */
static size_t vcxl_cfg_run(struct vfio_cxl_pci *v, u64 pos, size_t count,
			   enum vcxl_cfg_owner owner)
{
	size_t n = 1;

	while (n < count && vcxl_cfg_owner(v, pos + n) == owner)
		n++;
	return n;
}

/*
 * A config read: vfio-pci-core's, then the CXL Device DVSEC's bytes
 * among them read live and laid over with the virtualized ones.
 */
static ssize_t vcxl_config_read(struct vfio_cxl_pci *v, char __user *buf,
				size_t count, loff_t *ppos)
{
	struct pci_dev *pdev = v->core.pdev;
	u64 pos = *ppos & VFIO_PCI_OFFSET_MASK;
	u8 bytes[CXL_VDVSEC_SIZE];
	u64 start, end, p;
	ssize_t ret;

	ret = vfio_pci_core_read(&v->core.vdev, buf, count, ppos);
	if (ret <= 0)
		return ret;
	start = max_t(u64, pos, v->dvsec);
	end = min_t(u64, pos + ret, v->dvsec + CXL_VDVSEC_SIZE);
	if (start >= end)
		return ret;
	for (p = start; p < end; p++)
		pci_read_config_byte(pdev, p, &bytes[p - start]);
	down_read(&v->lock);
	cxl_vdvsec_read(&v->vdvsec, start - v->dvsec, bytes, end - start);
	up_read(&v->lock);
	if (copy_to_user(buf + (start - pos), bytes, end - start))
		return -EFAULT;
	return ret;
}

/* A write to the CXL Device DVSEC: the view, then what the device must see */
static void vcxl_dvsec_write(struct vfio_cxl_pci *v, const u8 *bytes,
			     u64 pos, size_t n)
{
	struct pci_dev *pdev = v->core.pdev;
	struct cxl_vdvsec_hw hw;

	down_write(&v->lock);
	cxl_vdvsec_write(&v->vdvsec, pos - v->dvsec, bytes, n, &hw);
	up_write(&v->lock);
	if (hw.ctrl2)
		pci_write_config_word(pdev, v->dvsec + CXL_VDVSEC_CTRL2,
				      hw.ctrl2_val);
	if (hw.status_w1c)
		pci_write_config_word(pdev, v->dvsec + CXL_VDVSEC_STATUS,
				      hw.status_w1c);
	if (hw.status2_w1c)
		pci_write_config_word(pdev, v->dvsec + CXL_VDVSEC_STATUS2,
				      hw.status2_w1c);
	if (hw.cxl_reset)
		pci_dbg(pdev, "Initiate CXL Reset absorbed; a VMM resets with VFIO_DEVICE_RESET\n");
}

/* The PowerState a config write gives PMCSR, or -1 if it writes none */
static int vcxl_pm_state_written(struct vfio_cxl_pci *v, const u8 *bytes,
				 u64 pos, size_t count)
{
	u64 at = v->core.pdev->pm_cap + PCI_PM_CTRL;

	if (!v->core.pdev->pm_cap || at < pos || at >= pos + count)
		return -1;
	return bytes[at - pos] & PCI_PM_CTRL_STATE_MASK;
}

/*
 * A config write. It is read from user space once, into @bytes, and the
 * decisions are taken on that copy; the bytes vfio-pci-core serves it
 * copies itself, with no lock of ours held. A write that puts the
 * function in D3hot has the memory quiesced before the device sees it.
 * An FLR the core performs inside the write is seen through
 * vcxl_pci_reset_prepare(); the memory comes back after a new sample.
 */
static ssize_t vcxl_config_write(struct vfio_cxl_pci *v,
				 const char __user *buf, size_t count,
				 loff_t *ppos)
{
	struct pci_dev *pdev = v->core.pdev;
	u64 pos = *ppos & VFIO_PCI_OFFSET_MASK;
	bool was_down, gate, reset;
	ssize_t ret = 0;
	size_t i, n;
	int state;
	u8 *bytes;

	if (count > PCI_CFG_SPACE_EXP_SIZE)
		return -EINVAL;
	bytes = memdup_user(buf, count);
	if (IS_ERR(bytes))
		return PTR_ERR(bytes);

	mutex_lock(&v->reset_lock);
	was_down = pdev->current_state >= PCI_D3hot;
	state = vcxl_pm_state_written(v, bytes, pos, count);
	if (state == VCXL_PMCSR_D3HOT)
		vcxl_quiesce(v);
	gate = v->v5 && pos < PCI_COMMAND + 2 && PCI_COMMAND < pos + count;
	down_write(&v->lock);
	v->reset_seen = false;
	up_write(&v->lock);

	for (i = 0; i < count; i += n) {
		enum vcxl_cfg_owner owner = vcxl_cfg_owner(v, pos + i);
		loff_t p = *ppos + i;

		n = vcxl_cfg_run(v, pos + i, count - i, owner);
		if (owner == VCXL_CFG_DVSEC) {
			vcxl_dvsec_write(v, bytes + i, pos + i, n);
		} else if (owner == VCXL_CFG_CORE) {
			ret = vfio_pci_core_write(&v->core.vdev, buf + i, n, &p);
			if (ret < 0)
				break;
			if (ret < n) {
				i += ret;
				break;
			}
		}
	}

	down_read(&v->lock);
	reset = v->reset_seen;
	up_read(&v->lock);
	if (reset) {
		/* v5: a user's FLR is a VFIO reset point: the CXL reset too */
		if (v->v5) {
			vcxl_cxl_reset(v);
			vcxl_v5_restore(v);
		}
		vcxl_sample(v, false);
	} else if (state >= 0 && pdev->current_state < PCI_D3hot &&
		   (was_down || state == VCXL_PMCSR_D3HOT)) {
		/* Back in D0 (or D3hot refused): D3hot->D0 may have reset it */
		vcxl_sample(v, false);
	}
	if (gate) {
		/* v5: the memory gate closed: no user mapping may stay */
		down_write(&v->lock);
		if (!vcxl_mem_served(v))
			vcxl_zap_mem(v);
		up_write(&v->lock);
	}
	mutex_unlock(&v->reset_lock);
	kfree(bytes);

	if (ret < 0 && !i)
		return ret;
	*ppos += i;
	return i;
}

/* --- vfio_device_ops ------------------------------------------------------ */

static ssize_t vcxl_rw(struct vfio_device *core_vdev, char __user *buf,
		       size_t count, loff_t *ppos, bool iswrite)
{
	struct vfio_cxl_pci *v = to_vcxl(core_vdev);
	unsigned int index = VFIO_PCI_OFFSET_TO_INDEX(*ppos);
	u64 off = *ppos & VFIO_PCI_OFFSET_MASK;

	/* v5's plain vfio-pci (!cxl) is vfio-pci-core's alone */
	if (v->cxl && index == VFIO_PCI_CONFIG_REGION_INDEX && iswrite)
		return vcxl_config_write(v, buf, count, ppos);
	if (v->cxl && index == VFIO_PCI_CONFIG_REGION_INDEX)
		return vcxl_config_read(v, buf, count, ppos);
	if (v->cxl && v->v5 && index == v->comp_bar && vcxl_in_hdm(v, off, count))
		return vcxl_v5_bar_rw(v, buf, count, ppos, iswrite);
	if (v->cxl && !v->v5 && index == v->comp_bar && vcxl_in_block(v, off, count))
		return vcxl_block_rw(v, buf, count, ppos, iswrite);
	if (iswrite)
		return vfio_pci_core_write(core_vdev, buf, count, ppos);
	return vfio_pci_core_read(core_vdev, buf, count, ppos);
}

static ssize_t vcxl_read(struct vfio_device *core_vdev, char __user *buf,
			 size_t count, loff_t *ppos)
{
	return vcxl_rw(core_vdev, buf, count, ppos, false);
}

static ssize_t vcxl_write(struct vfio_device *core_vdev,
			  const char __user *buf, size_t count, loff_t *ppos)
{
	return vcxl_rw(core_vdev, (char __user *)buf, count, ppos, true);
}

/*
 * The part of the component BAR no mapping may cover: v2 traps the whole
 * component block, v5 the page(s) of the HDM decoder block.
 */
static void vcxl_mmap_hole(struct vfio_cxl_pci *v, u64 *start, u64 *end)
{
	if (v->v5) {
		*start = ALIGN_DOWN(v->hdm_bar, PAGE_SIZE);
		*end = ALIGN(v->hdm_bar + v->hdm_size, PAGE_SIZE);
	} else {
		*start = v->block;
		*end = v->block + CXL_SHADOW_BLOCK_SIZE;
	}
}

static int vcxl_mmap(struct vfio_device *core_vdev, struct vm_area_struct *vma)
{
	struct vfio_cxl_pci *v = to_vcxl(core_vdev);
	unsigned int index = vma->vm_pgoff >>
			     (VFIO_PCI_OFFSET_SHIFT - PAGE_SHIFT);
	u64 start = vcxl_mem_pgoff(vma, vma->vm_start) << PAGE_SHIFT;
	u64 hole, hole_end;

	/* The component block is trapped: no mapping may cover it */
	vcxl_mmap_hole(v, &hole, &hole_end);
	if (v->cxl && index == v->comp_bar && start < hole_end &&
	    hole < start + (vma->vm_end - vma->vm_start))
		return -EINVAL;
	return vfio_pci_core_mmap(core_vdev, vma);
}

/* The component BAR: mmappable everywhere but the component block */
static int vcxl_add_sparse(struct vfio_cxl_pci *v, struct vfio_region_info *info,
			   struct vfio_info_cap *caps)
{
	struct vfio_region_info_cap_sparse_mmap *sparse;
	unsigned int n = 0;
	u64 start, end;
	size_t size;
	int rc;

	vcxl_mmap_hole(v, &start, &end);
	size = struct_size(sparse, areas, 2);
	sparse = kzalloc(size, GFP_KERNEL);
	if (!sparse)
		return -ENOMEM;
	if (start) {
		sparse->areas[n].offset = 0;
		sparse->areas[n].size = start;
		n++;
	}
	if (end < info->size) {
		sparse->areas[n].offset = end;
		sparse->areas[n].size = info->size - end;
		n++;
	}
	if (!n) {
		/* The block fills the BAR: nothing may be mapped */
		info->flags &= ~VFIO_REGION_INFO_FLAG_MMAP;
		kfree(sparse);
		return 0;
	}
	sparse->header.id = VFIO_REGION_INFO_CAP_SPARSE_MMAP;
	sparse->header.version = 1;
	sparse->nr_areas = n;
	rc = vfio_info_add_capability(caps, &sparse->header,
				      struct_size(sparse, areas, n));
	kfree(sparse);
	return rc;
}

static int vcxl_get_region_info(struct vfio_device *core_vdev,
				struct vfio_region_info *info,
				struct vfio_info_cap *caps)
{
	struct vfio_cxl_pci *v = to_vcxl(core_vdev);
	int rc;

	rc = vfio_pci_ioctl_get_region_info(core_vdev, info, caps);
	if (rc || !v->cxl || info->index != v->comp_bar ||
	    !(info->flags & VFIO_REGION_INFO_FLAG_MMAP))
		return rc;
	return vcxl_add_sparse(v, info, caps);
}

/*
 * VFIO_DEVICE_GET_INFO: what vfio-pci-core says, with the CXL flag and
 * the CXL capability. The core builds its reply in user memory, so the
 * reply is built here.
 */
static long vcxl_ioctl_get_info(struct vfio_cxl_pci *v,
				struct vfio_device_info __user *arg)
{
	unsigned long minsz = offsetofend(struct vfio_device_info, num_irqs);
	struct vfio_device_info_cap_cxl cap = {
		.header.id = VFIO_DEVICE_INFO_CAP_CXL,
		.header.version = VFIO_DEVICE_INFO_CAP_CXL_VERSION,
		.hdm_regs_bar_index = v->comp_bar,
		.flags = VFIO_CXL_CAP_FIRMWARE_COMMITTED,
		.hdm_regs_offset = v->block + CXL_SHADOW_CACHEMEM_OFFSET,
		.dpa_region_index = v->mem_index,
		.comp_regs_region_index = v->comp_index,
	};
	struct vfio_info_cap caps = { .buf = NULL, .size = 0 };
	struct vfio_device_info info = {};
	long rc = 0;

	if (copy_from_user(&info, arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz)
		return -EINVAL;
	minsz = min_t(size_t, info.argsz, sizeof(info));

	if (v->cache_capable)
		cap.flags |= VFIO_CXL_CAP_CACHE_CAPABLE;
	info.flags = VFIO_DEVICE_FLAGS_PCI | VFIO_DEVICE_FLAGS_CXL |
		     VFIO_DEVICE_FLAGS_CAPS;
	if (v->core.reset_works)
		info.flags |= VFIO_DEVICE_FLAGS_RESET;
	info.num_regions = VFIO_PCI_NUM_REGIONS + v->core.num_regions;
	info.num_irqs = VFIO_PCI_NUM_IRQS;
	info.cap_offset = 0;

	rc = vfio_info_add_capability(&caps, &cap.header, sizeof(cap));
	if (rc)
		return rc;
	if (info.argsz < sizeof(info) + caps.size) {
		info.argsz = sizeof(info) + caps.size;
	} else {
		vfio_info_cap_shift(&caps, sizeof(info));
		if (copy_to_user(arg + 1, caps.buf, caps.size))
			rc = -EFAULT;
		info.cap_offset = sizeof(info);
	}
	kfree(caps.buf);
	if (!rc && copy_to_user(arg, &info, minsz))
		rc = -EFAULT;
	return rc;
}

/*
 * v5's VFIO_DEVICE_GET_INFO: vfio-pci-core's reply (its capabilities, the
 * region count with ours) with the CXL flag, and no CXL capability.
 */
static long vcxl_v5_get_info(struct vfio_cxl_pci *v,
			     struct vfio_device_info __user *arg)
{
	long rc;
	u32 flags;

	rc = vfio_pci_core_ioctl(&v->core.vdev, VFIO_DEVICE_GET_INFO,
				 (unsigned long)arg);
	if (rc)
		return rc;
	if (get_user(flags, &arg->flags))
		return -EFAULT;
	return put_user(flags | VFIO_DEVICE_FLAGS_CXL, &arg->flags);
}

/*
 * VFIO_DEVICE_PCI_HOT_RESET: a bus reset is a conventional reset. v2
 * samples the device afresh after it; v5 leaves the memory gated until a
 * VFIO_DEVICE_RESET puts the decoder back. Nothing reset (the core refused
 * it): the memory comes back as it was.
 */
static long vcxl_hot_reset(struct vfio_cxl_pci *v, unsigned long arg)
{
	unsigned int stops;
	bool reset;
	long rc;

	/*
	 * Not under @reset_lock: the core's hot reset takes the device set's
	 * lock, under which vfio opens the device (vcxl_open_device() takes
	 * @reset_lock). Whether the bus reset happened is told by the stops
	 * vcxl_pci_reset_prepare() counts.
	 */
	vcxl_quiesce(v);
	down_read(&v->lock);
	stops = v->stops;
	up_read(&v->lock);
	rc = vfio_pci_core_ioctl(&v->core.vdev, VFIO_DEVICE_PCI_HOT_RESET, arg);
	mutex_lock(&v->reset_lock);
	down_read(&v->lock);
	reset = v->stops != stops;
	up_read(&v->lock);
	if (!reset || !v->v5)
		vcxl_sample(v, reset);
	mutex_unlock(&v->reset_lock);
	return rc;
}

static long vcxl_ioctl(struct vfio_device *core_vdev, unsigned int cmd,
		       unsigned long arg)
{
	struct vfio_cxl_pci *v = to_vcxl(core_vdev);

	if (!v->cxl)
		return vfio_pci_core_ioctl(core_vdev, cmd, arg);
	switch (cmd) {
	case VFIO_DEVICE_GET_INFO:
		if (v->v5)
			return vcxl_v5_get_info(v, (void __user *)arg);
		return vcxl_ioctl_get_info(v, (void __user *)arg);
	case VFIO_DEVICE_RESET:
		return vcxl_device_reset(v);
	case VFIO_DEVICE_PCI_HOT_RESET:
		return vcxl_hot_reset(v, arg);
	default:
		return vfio_pci_core_ioctl(core_vdev, cmd, arg);
	}
}

/*
 * The device memory region, then COMP_REGS: v2's shadow of CXL.cachemem,
 * or v5's HDM decoder block alone (the same type, v5's subtype names)
 */
static int vcxl_register_regions(struct vfio_cxl_pci *v)
{
	struct vfio_pci_core_device *core = &v->core;
	const u32 rw = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE;
	int rc;

	v->mem_index = VFIO_PCI_NUM_REGIONS + core->num_regions;
	rc = vfio_pci_core_register_dev_region(core, VFIO_REGION_TYPE_CXL,
					       v->v5 ? VCXL_V5_SUBTYPE_MEM :
						       VFIO_REGION_SUBTYPE_CXL,
					       &vcxl_mem_ops,
					       range_len(&v->range),
					       rw | VFIO_REGION_INFO_FLAG_MMAP,
					       v);
	if (rc)
		return rc;
	v->comp_index = VFIO_PCI_NUM_REGIONS + core->num_regions;
	return vfio_pci_core_register_dev_region(core, VFIO_REGION_TYPE_CXL,
						 v->v5 ? VCXL_V5_SUBTYPE_COMP_REGS :
						 VFIO_REGION_SUBTYPE_CXL_COMP_REGS,
						 v->v5 ? &vcxl_v5_comp_regs_ops :
							 &vcxl_comp_regs_ops,
						 v->v5 ? v->hdm_size :
							 v->shadow.size,
						 rw, v);
}

static int vcxl_open_device(struct vfio_device *core_vdev)
{
	struct vfio_cxl_pci *v = to_vcxl(core_vdev);
	struct vfio_pci_core_device *core = &v->core;
	int rc;

	rc = vfio_pci_core_enable(core);
	if (rc)
		return rc;
	if (!v->cxl) {
		vfio_pci_core_finish_enable(core);
		return 0;
	}

	/*
	 * The CXL core's endpoint port holds the HDM decoder registers, a
	 * part of the component BAR, so vfio-pci-core could not reserve the
	 * BAR. The BAR is still the device's own: map it unreserved, and let
	 * no access reach the block (vcxl_rw(), vcxl_mmap()).
	 */
	if (IS_ERR(core->barmap[v->comp_bar])) {
		core->barmap[v->comp_bar] = pci_iomap(core->pdev, v->comp_bar, 0);
		if (!core->barmap[v->comp_bar]) {
			core->barmap[v->comp_bar] = IOMEM_ERR_PTR(-ENOMEM);
			rc = -ENOMEM;
			goto err;
		}
		v->own_barmap = true;
	}

	rc = vcxl_register_regions(v);
	if (rc)
		goto err;

	mutex_lock(&v->reset_lock);
	vcxl_sample(v, true);
	/* v5: the DVSEC's view is per open; v2 takes it at every reset */
	if (v->v5) {
		u8 dvsec[CXL_VDVSEC_SIZE];

		vcxl_read_dvsec(v, dvsec);
		down_write(&v->lock);
		cxl_vdvsec_init(&v->vdvsec, dvsec, true);
		up_write(&v->lock);
	}
	mutex_unlock(&v->reset_lock);

	vfio_pci_core_finish_enable(core);
	return 0;

err:
	if (v->own_barmap) {
		if (!IS_ERR(core->barmap[v->comp_bar]))
			pci_iounmap(core->pdev, core->barmap[v->comp_bar]);
		core->barmap[v->comp_bar] = NULL;
		v->own_barmap = false;
	}
	vfio_pci_core_disable(core);
	return rc;
}

static void vcxl_close_device(struct vfio_device *core_vdev)
{
	struct vfio_cxl_pci *v = to_vcxl(core_vdev);
	struct vfio_pci_core_device *core = &v->core;

	/* vfio-pci-core releases only what it reserved itself */
	if (v->own_barmap) {
		pci_iounmap(core->pdev, core->barmap[v->comp_bar]);
		core->barmap[v->comp_bar] = NULL;
		v->own_barmap = false;
	}
	vfio_pci_core_close_device(core_vdev);
}

/*
 * v5: the device memory region as a dma-buf (VFIO_DEVICE_FEATURE_DMA_BUF),
 * which iommufd maps with IOMMU_IOAS_MAP_FILE where it cannot map the
 * VM_PFNMAP mmap by address. Stock 7.3's core refuses a dma-buf of a
 * region that is not a BAR before asking; the nested bed's test kernel
 * (mk/nested-kernel/patches) asks. The memory is no BAR and has no P2P
 * provider of its own: iommufd's import takes the physical ranges, and
 * the component BAR's provider stands in. The core revokes BAR dma-bufs
 * only; QEMU takes a new one after every reset.
 */
static int vcxl_get_dmabuf_phys(struct vfio_pci_core_device *core,
				struct p2pdma_provider **provider,
				unsigned int region_index,
				struct phys_vec *phys_vec,
				struct vfio_region_dma_range *dma_ranges,
				size_t nr_ranges)
{
	struct vfio_cxl_pci *v = container_of(core, struct vfio_cxl_pci, core);

	if (!v->cxl || !v->v5 || region_index != v->mem_index)
		return vfio_pci_core_get_dmabuf_phys(core, provider,
						     region_index, phys_vec,
						     dma_ranges, nr_ranges);
	*provider = pcim_p2pdma_provider(core->pdev, v->comp_bar);
	if (!*provider)
		return -EINVAL;
	return vfio_pci_core_fill_phys_vec(phys_vec, dma_ranges, nr_ranges,
					   v->range.start,
					   range_len(&v->range));
}

static const struct vfio_pci_device_ops vcxl_pci_ops = {
	.get_dmabuf_phys = vcxl_get_dmabuf_phys,
};

static int vcxl_init_dev(struct vfio_device *core_vdev)
{
	struct vfio_cxl_pci *v = to_vcxl(core_vdev);
	int rc;

	rc = vfio_pci_core_init_dev(core_vdev);
	if (rc)
		return rc;
	/*
	 * An idle device must stay in D0: the host's CXL region stays
	 * committed and decoded while the device is bound.
	 */
	v->core.disable_idle_d3 = true;
	v->core.pci_ops = &vcxl_pci_ops;
	init_rwsem(&v->lock);
	mutex_init(&v->reset_lock);
	return 0;
}

static const struct vfio_device_ops vcxl_ops = {
	.name		= "vfio-cxl-pci",
	.init		= vcxl_init_dev,
	.release	= vfio_pci_core_release_dev,
	.open_device	= vcxl_open_device,
	.close_device	= vcxl_close_device,
	.ioctl		= vcxl_ioctl,
	.get_region_info_caps = vcxl_get_region_info,
	.device_feature	= vfio_pci_core_ioctl_feature,
	.read		= vcxl_read,
	.write		= vcxl_write,
	.mmap		= vcxl_mmap,
	.request	= vfio_pci_core_request,
	.match		= vfio_pci_core_match,
	.match_token_uuid = vfio_pci_core_match_token_uuid,
	/* NULL on a kernel without IOMMUFD, such as Debian's */
	.bind_iommufd	= vfio_iommufd_physical_bind,
	.unbind_iommufd	= vfio_iommufd_physical_unbind,
	.attach_ioas	= vfio_iommufd_physical_attach_ioas,
	.detach_ioas	= vfio_iommufd_physical_detach_ioas,
};

/* --- Probe ---------------------------------------------------------------- */

static int vcxl_wait_range1(struct pci_dev *pdev, u16 dvsec, u32 bit,
			    unsigned int ms, u32 *lo)
{
	unsigned long deadline = jiffies + msecs_to_jiffies(ms);
	int rc;

	for (;;) {
		rc = pci_read_config_dword(pdev, dvsec +
					   PCI_DVSEC_CXL_RANGE_SIZE_LOW(0), lo);
		if (rc)
			return pcibios_err_to_errno(rc);
		if (*lo & bit)
			return 0;
		if (time_after(jiffies, deadline))
			return -ETIMEDOUT;
		msleep(20);
	}
}

/* The device memory's size: DVSEC Range 1, once valid and active */
static int vcxl_capacity(struct pci_dev *pdev, u16 dvsec, u64 *capacity)
{
	unsigned int timeout_ms;
	u32 hi, lo;
	int rc;

	rc = vcxl_wait_range1(pdev, dvsec, PCI_DVSEC_CXL_MEM_INFO_VALID,
			      VCXL_INFO_VALID_MS, &lo);
	if (rc)
		return vcxl_refuse(pdev, rc, "DVSEC Range 1: Memory_Info_Valid not set");
	timeout_ms = 1000U << (2 * min_t(u32, 4,
				FIELD_GET(PCI_DVSEC_CXL_MEM_ACTIVE_TIMEOUT, lo)));
	rc = vcxl_wait_range1(pdev, dvsec, PCI_DVSEC_CXL_MEM_ACTIVE,
			      timeout_ms, &lo);
	if (rc)
		return vcxl_refuse(pdev, rc,
				   "DVSEC Range 1: Memory_Active not set after %u ms",
				   timeout_ms);
	rc = pci_read_config_dword(pdev, dvsec + PCI_DVSEC_CXL_RANGE_SIZE_HIGH(0),
				   &hi);
	if (rc)
		return vcxl_refuse(pdev, pcibios_err_to_errno(rc),
				   "DVSEC Range 1 Size High");
	*capacity = (u64)hi << 32 | (lo & PCI_DVSEC_CXL_MEM_SIZE_LOW);
	if (!*capacity)
		return vcxl_refuse(pdev, -ENODEV, "DVSEC Range 1: size 0");
	return 0;
}

/* Every CXL DVSEC's config range, which user space may not write */
static void vcxl_find_cxl_dvsecs(struct vfio_cxl_pci *v)
{
	struct pci_dev *pdev = v->core.pdev;
	u16 pos = 0;
	u32 hdr;

	while ((pos = pci_find_next_ext_capability(pdev, pos,
						   PCI_EXT_CAP_ID_DVSEC))) {
		if (pci_read_config_dword(pdev, pos + PCI_DVSEC_HEADER1, &hdr) ||
		    PCI_DVSEC_HEADER1_VID(hdr) != PCI_VENDOR_ID_CXL)
			continue;
		if (v->nr_cxl_dvsecs == VCXL_MAX_CXL_DVSECS) {
			pci_warn(pdev, "more than %d CXL DVSECs: the rest are the device's to write\n",
				 VCXL_MAX_CXL_DVSECS);
			return;
		}
		v->cxl_dvsecs[v->nr_cxl_dvsecs++] = (struct range) {
			.start = pos,
			.end = pos + max_t(u32, PCI_DVSEC_HEADER1_LEN(hdr), 4) - 1,
		};
	}
}

/* Which BAR holds the component block, and where in it */
static int vcxl_find_block(struct vfio_cxl_pci *v, resource_size_t phys)
{
	struct pci_dev *pdev = v->core.pdev;
	int bar;

	for (bar = 0; bar < PCI_STD_NUM_BARS; bar++) {
		resource_size_t start = pci_resource_start(pdev, bar);
		resource_size_t len = pci_resource_len(pdev, bar);

		if (!len || !(pci_resource_flags(pdev, bar) & IORESOURCE_MEM))
			continue;
		/* A BAR smaller than the block cannot hold it */
		if (len >= CXL_SHADOW_BLOCK_SIZE && phys >= start &&
		    phys - start <= len - CXL_SHADOW_BLOCK_SIZE) {
			v->comp_bar = bar;
			v->block = phys - start;
			return 0;
		}
	}
	return vcxl_refuse(pdev, -ENODEV,
			   "the component registers at %pa are in no memory BAR",
			   &phys);
}

/*
 * Reads the decoders firmware left, before Linux's CXL core is asked for
 * the region, so that a refusal says what is wrong with them.
 */
static int vcxl_check_decoders(struct vfio_cxl_pci *v, resource_size_t phys)
{
	u32 *regs __free(kfree) = kmalloc(CXL_SHADOW_CACHEMEM_SIZE, GFP_KERNEL);
	struct pci_dev *pdev = v->core.pdev;
	u32 ctrl;
	int rc;

	if (!regs)
		return -ENOMEM;
	v->cachemem = devm_ioremap(&pdev->dev, phys + CXL_SHADOW_CACHEMEM_OFFSET,
				   CXL_SHADOW_CACHEMEM_SIZE);
	if (!v->cachemem)
		return vcxl_refuse(pdev, -ENOMEM, "cannot map CXL.cachemem");
	if (!vcxl_read_hw(v, regs))
		return vcxl_refuse(pdev, -ENODEV, "CXL.cachemem reads all ones");
	rc = cxl_shadow_find_hdm(regs, CXL_SHADOW_CACHEMEM_SIZE / 4,
				 &v->shadow.hdm, &v->shadow.count);
	if (rc)
		return vcxl_refuse(pdev, rc, "no HDM Decoder Capability in CXL.cachemem");
	if (v->v5 && v->shadow.count != 1)
		return vcxl_refuse(pdev, -EOPNOTSUPP,
				   "%u HDM decoders: v5 takes a device with exactly one",
				   v->shadow.count);
	v->shadow.regs = v->shadow_regs;
	v->shadow.size = cxl_shadow_size(v->shadow.hdm, v->shadow.count);
	v->shadow.cache_capable = v->cache_capable;

	ctrl = regs[(v->shadow.hdm + CXL_SHADOW_HDM_DEC_CTRL) / 4];
	if (!(ctrl & CXL_SHADOW_HDM_CTRL_COMMITTED))
		return vcxl_refuse(pdev, -ENODEV,
				   "no HDM decoder committed by firmware (decoder 0 control %#x)",
				   ctrl);
	if (FIELD_GET(VCXL_HDM_CTRL_IW, ctrl))
		return vcxl_refuse(pdev, -EOPNOTSUPP,
				   "decoder 0 is interleaved (IW %lu)",
				   FIELD_GET(VCXL_HDM_CTRL_IW, ctrl));

	/* v5: where COMP_REGS is, and what a CXL reset must get back */
	v->hdm_bar = v->block + CXL_SHADOW_CACHEMEM_OFFSET + v->shadow.hdm;
	v->hdm_size = CXL_SHADOW_HDM_DECODER_FIRST +
		      CXL_SHADOW_HDM_DECODER_STRIDE * v->shadow.count;
	memcpy(v->fw_hdm, &regs[v->shadow.hdm / 4], sizeof(v->fw_hdm));
	return 0;
}

static int vcxl_probe_cxl(struct vfio_cxl_pci *v)
{
	struct pci_dev *pdev = v->core.pdev;
	struct device *dev = &pdev->dev;
	struct vfio_cxl_state *state;
	struct cxl_memdev *cxlmd;
	u64 capacity;
	u16 cap;
	int rc;

	if (!pcie_is_cxl(pdev))
		return vcxl_refuse(pdev, -ENODEV, "the link is not in CXL mode");
	v->dvsec = pci_find_dvsec_capability(pdev, PCI_VENDOR_ID_CXL,
					     PCI_DVSEC_CXL_DEVICE);
	if (!v->dvsec)
		return vcxl_refuse(pdev, -ENODEV, "no CXL Device DVSEC");
	vcxl_find_cxl_dvsecs(v);
	rc = pci_read_config_word(pdev, v->dvsec + PCI_DVSEC_CXL_CAP, &cap);
	if (rc)
		return vcxl_refuse(pdev, pcibios_err_to_errno(rc), "DVSEC Capability");
	if (!(cap & PCI_DVSEC_CXL_MEM_CAPABLE))
		return vcxl_refuse(pdev, -ENODEV, "not Mem_Capable");
	if (v->v5 && !(cap & CXL_VDVSEC_CAP_CXL_RESET))
		return vcxl_refuse(pdev, -EOPNOTSUPP,
				   "not CXL Reset Capable, which v5 requires");
	v->dvsec_cap = cap;
	pci_read_config_word(pdev, v->dvsec + PCI_DVSEC_CXL_CTRL,
			     &v->fw_dvsec_ctrl);
	if ((pdev->class >> 8) == PCI_CLASS_MEMORY_CXL)
		return vcxl_refuse(pdev, -ENODEV,
				   "a class 0502 memory device is cxl_pci's");
	v->cache_capable = cap & PCI_DVSEC_CXL_CACHE_CAPABLE;

	state = devm_cxl_dev_state_create(dev, CXL_DEVTYPE_DEVMEM,
					  pci_get_dsn(pdev), v->dvsec,
					  struct vfio_cxl_state, cxlds, false);
	if (!state)
		return vcxl_refuse(pdev, -ENOMEM, "devm_cxl_dev_state_create");
	v->cxlds = &state->cxlds;

	rc = cxl_pci_setup_regs(pdev, CXL_REGLOC_RBI_COMPONENT,
				&v->cxlds->reg_map);
	if (rc)
		return vcxl_refuse(pdev, rc, "no component registers");
	if (!v->cxlds->reg_map.component_map.hdm_decoder.valid)
		return vcxl_refuse(pdev, -ENODEV, "no HDM Decoder Capability");
	rc = vcxl_find_block(v, v->cxlds->reg_map.resource);
	if (rc)
		return rc;
	rc = vcxl_check_decoders(v, v->cxlds->reg_map.resource);
	if (rc)
		return rc;

	/* No mailbox to ask; the DVSEC's Memory_Active is checked below */
	v->cxlds->media_ready = true;
	rc = vcxl_capacity(pdev, v->dvsec, &capacity);
	if (rc)
		return rc;
	rc = cxl_set_capacity(v->cxlds, capacity);
	if (rc)
		return vcxl_refuse(pdev, rc, "cxl_set_capacity(%#llx)", capacity);

	cxlmd = devm_cxl_probe_mem(v->cxlds, &v->range);
	if (IS_ERR(cxlmd))
		return vcxl_refuse(pdev, PTR_ERR(cxlmd),
				   "Linux's CXL core assembled no region for the committed decoder; does the host bridge have HDM decoders?");
	if (!PAGE_ALIGNED(v->range.start) || !PAGE_ALIGNED(range_len(&v->range)))
		return vcxl_refuse(pdev, -EINVAL, "region %#llx-%#llx is not page aligned",
				   v->range.start, v->range.end);

	/* The range is this driver's while it is bound, as the series has it */
	if (!devm_request_mem_region(dev, v->range.start, range_len(&v->range),
				     KBUILD_MODNAME))
		return vcxl_refuse(pdev, -EBUSY, "%pra is in use", &v->range);
	v->mem = devm_memremap(dev, v->range.start, range_len(&v->range),
			       MEMREMAP_WB);
	if (IS_ERR(v->mem))
		return vcxl_refuse(pdev, PTR_ERR(v->mem), "cannot map the region write-back");
	return 0;
}

static int vcxl_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct vfio_cxl_pci *v;
	void *group = NULL;
	int rc;

	v = vfio_alloc_device(vfio_cxl_pci, core.vdev, &pdev->dev, &vcxl_ops);
	if (IS_ERR(v))
		return PTR_ERR(v);
	v->v5 = vcxl_uapi == VCXL_UAPI_V5;
	v->cxl = true;

	/* v5: what the CXL probe set up goes again if it does not take it */
	if (v->v5) {
		group = devres_open_group(&pdev->dev, NULL, GFP_KERNEL);
		if (!group) {
			rc = -ENOMEM;
			goto out_put;
		}
	}
	/* The component registers must decode while they are read */
	rc = pci_enable_device_mem(pdev);
	if (rc) {
		vcxl_refuse(pdev, rc, "pci_enable_device_mem");
		goto out_put;
	}
	rc = vcxl_probe_cxl(v);
	pci_disable_device(pdev);
	if (rc && v->v5) {
		/* v5: a device it does not take is served as plain vfio-pci */
		devres_release_group(&pdev->dev, group);
		v->cxl = false;
		rc = 0;
	} else if (v->v5) {
		devres_remove_group(&pdev->dev, group);
	}
	if (rc)
		goto out_put;

	dev_set_drvdata(&pdev->dev, &v->core);
	rc = vfio_pci_core_register_device(&v->core);
	if (rc)
		goto out_put;
	if (v->cxl)
		pci_info(pdev, "CXL Type-2%s: memory %pra write-back, component block at BAR %d + %#llx, %u HDM decoder(s)%s\n",
			 v->v5 ? " (vfio-cxl v5)" : "", &v->range, v->comp_bar,
			 (u64)v->block, v->shadow.count,
			 v->cache_capable ? ", Cache_Capable" : "");
	return 0;

out_put:
	vfio_put_device(&v->core.vdev);
	return rc;
}

static struct vfio_cxl_pci *vcxl_from_pdev(struct pci_dev *pdev)
{
	struct vfio_pci_core_device *core = dev_get_drvdata(&pdev->dev);
	struct vfio_cxl_pci *v;

	if (!core)
		return NULL;
	v = container_of(core, struct vfio_cxl_pci, core);
	return v->cxl ? v : NULL;
}

/*
 * The PCI core is about to reset the function -- an FLR or a bus reset,
 * asked for through this device or a sibling's -- with vfio-pci-core's
 * memory_lock held: the memory stops before the device does. Whoever
 * asked samples it again (here, the reset's caller in this file); a reset
 * asked for elsewhere leaves it off until the next VFIO_DEVICE_RESET.
 */
static void vcxl_pci_reset_prepare(struct pci_dev *pdev)
{
	struct vfio_cxl_pci *v = vcxl_from_pdev(pdev);

	if (!v)
		return;
	down_write(&v->lock);
	v->active = false;
	v->stops++;
	v->reset_seen = true;
	vcxl_zap_mem(v);
	up_write(&v->lock);
}

/* AER: the memory stops until the VMM resets the device */
static pci_ers_result_t vcxl_pci_error_detected(struct pci_dev *pdev,
						pci_channel_state_t state)
{
	struct vfio_cxl_pci *v = vcxl_from_pdev(pdev);

	if (v)
		vcxl_quiesce(v);
	return vfio_pci_core_aer_err_detected(pdev, state);
}

static const struct pci_error_handlers vcxl_err_handlers = {
	.error_detected = vcxl_pci_error_detected,
	.reset_prepare = vcxl_pci_reset_prepare,
};

static void vcxl_remove(struct pci_dev *pdev)
{
	struct vfio_pci_core_device *core = dev_get_drvdata(&pdev->dev);
	struct vfio_cxl_pci *v = vcxl_from_pdev(pdev);

	/* Removed or surprise-removed: the memory is never served again */
	if (v) {
		down_write(&v->lock);
		v->dead = true;
		v->active = false;
		v->stops++;
		vcxl_zap_mem(v);
		up_write(&v->lock);
	}
	vfio_pci_core_unregister_device(core);
	vfio_put_device(&core->vdev);
}

static const struct pci_device_id vcxl_ids[] = {
	/* Bound only through driver_override, as vfio-pci */
	{ PCI_DRIVER_OVERRIDE_DEVICE_VFIO(PCI_ANY_ID, PCI_ANY_ID) },
	{ }
};
MODULE_DEVICE_TABLE(pci, vcxl_ids);

static struct pci_driver vcxl_driver = {
	.name = KBUILD_MODNAME,
	.id_table = vcxl_ids,
	.probe = vcxl_probe,
	.remove = vcxl_remove,
	.err_handler = &vcxl_err_handlers,
	.driver_managed_dma = true,
};
module_pci_driver(vcxl_driver);

MODULE_DESCRIPTION("vfio-pci variant driver for CXL Type-2 devices (vfio-cxl UAPI v2 or v5)");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS("CXL");
MODULE_IMPORT_NS("DEVMEM");
MODULE_SOFTDEP("pre: cxl_acpi cxl_mem");
