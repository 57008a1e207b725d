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
#include <linux/jiffies.h>
#include <linux/mm.h>
#include <linux/module.h>
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

/* CXL Device DVSEC registers (CXL r3.1 8.1.3) the kernel has no name for */
#define VCXL_DVSEC_STATUS		0x0e
#define   VCXL_DVSEC_STATUS_VIRAL	BIT(14)
#define VCXL_DVSEC_CTRL2		0x10
#define   VCXL_DVSEC_CTRL2_DISABLE_CACHING	BIT(0)
#define   VCXL_DVSEC_CTRL2_INITIATE_WBI	BIT(1)
#define   VCXL_DVSEC_CTRL2_INITIATE_CXL_RESET	BIT(2)
#define   VCXL_DVSEC_CTRL2_RESET_MEM_CLR	BIT(3)
#define   VCXL_DVSEC_CTRL2_DESIRED_VOLATILE	BIT(4)
#define   VCXL_DVSEC_CTRL2_MOD_COMPLETION	BIT(5)
#define VCXL_DVSEC_STATUS2		0x12
#define   VCXL_DVSEC_STATUS2_CACHE_INVALID	BIT(0)
#define   VCXL_DVSEC_STATUS2_RESET_COMPLETE	BIT(1)
#define   VCXL_DVSEC_STATUS2_RESET_ERROR	BIT(2)
#define   VCXL_DVSEC_STATUS2_VOLATILE_ERR	BIT(3)
#define VCXL_DVSEC_LOCK			0x14
#define   VCXL_DVSEC_LOCK_CONFIG	BIT(0)
#define VCXL_DVSEC_CAP2			0x16
#define   VCXL_DVSEC_CAP2_MOD_COMPLETION	BIT(6)
#define VCXL_DVSEC_CAP3			0x38
#define   VCXL_DVSEC_CAP3_VOLATILE_HDM	BIT(3)
#define   VCXL_DVSEC_CAP3_P2P_MEM	BIT(4)
#define VCXL_DVSEC_CTRL_IO_ENABLE	BIT(1)
#define VCXL_DVSEC_CTRL_P2P_MEM		BIT(12)
#define VCXL_DVSEC_CTRL_RSVDP		(BIT(13) | BIT(15))
#define VCXL_DVSEC_CAP_CXL_RESET	BIT(7)
#define VCXL_DVSEC_CAP_RESET_TIMEOUT	GENMASK(10, 8)
#define VCXL_DVSEC_CAP_RESET_MEM_CLR	BIT(11)
/* The part of the DVSEC this driver virtualizes: Control to Range 2 */
#define VCXL_DVSEC_VIRT_START		PCI_DVSEC_CXL_CTRL
#define VCXL_DVSEC_VIRT_END		VCXL_DVSEC_CAP3

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

/**
 * struct vfio_cxl_pci - a bound CXL Type-2 device
 * @core: vfio-pci-core's device; first, as vfio_alloc_device() requires
 * @cxlds: Linux's CXL state of the device (devm, lives while bound)
 * @range: host physical range of the region the CXL core assembled
 * @mem: write-back kernel mapping of @range, for read() and write(); it
 *	 also gives @range the write-back memory type user mappings take
 * @cachemem: the device's CXL.cachemem registers, read for a snapshot
 * @comp_bar: BAR that holds the component register block
 * @block: BAR offset of the component register block
 * @dvsec: config offset of the CXL Device DVSEC
 * @cache_capable: DVSEC Cache_Capable
 * @hw_regs: the device's CXL.cachemem registers as last read
 * @shadow: what COMP_REGS shows (cxl_shadow.c)
 * @dvsec_virt: the virtualized DVSEC bytes, from Control on
 * @dvsec_wmask: their writable bits
 * @dvsec_w1c: their write-1-to-clear bits
 * @lock: serializes the shadows and @active against resets; faults and
 *	  I/O of the memory region take it for reading
 * @active: decoder 0 was committed in the last snapshot: the memory is
 *	    served; otherwise faults get SIGBUS and I/O -EIO
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
	u32 hw_regs[CXL_SHADOW_CACHEMEM_SIZE / 4];
	u32 shadow_regs[CXL_SHADOW_CACHEMEM_SIZE / 4];
	struct cxl_shadow shadow;
	u8 dvsec_virt[VCXL_DVSEC_VIRT_END - VCXL_DVSEC_VIRT_START];
	u8 dvsec_wmask[VCXL_DVSEC_VIRT_END - VCXL_DVSEC_VIRT_START];
	u8 dvsec_w1c[VCXL_DVSEC_VIRT_END - VCXL_DVSEC_VIRT_START];
	struct rw_semaphore lock;
	bool active;
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

/* --- Snapshots ---------------------------------------------------------- */

/*
 * Reads the device's CXL.cachemem registers. They are in a BAR, and the
 * VMM may have turned memory decoding off (a guest's reset does): turn it
 * on for the reads, under vfio-pci-core's memory lock, as the core does
 * for the ROM.
 */
static void vcxl_read_hw(struct vfio_cxl_pci *v)
{
	struct pci_dev *pdev = v->core.pdev;
	unsigned int i;
	u16 cmd;

	down_write(&v->core.memory_lock);
	pci_read_config_word(pdev, PCI_COMMAND, &cmd);
	if (!(cmd & PCI_COMMAND_MEMORY))
		pci_write_config_word(pdev, PCI_COMMAND, cmd | PCI_COMMAND_MEMORY);
	for (i = 0; i < ARRAY_SIZE(v->hw_regs); i++)
		v->hw_regs[i] = readl(v->cachemem + i * 4);
	if (!(cmd & PCI_COMMAND_MEMORY))
		pci_write_config_word(pdev, PCI_COMMAND, cmd);
	up_write(&v->core.memory_lock);
}

/*
 * v5: one dword of the HDM Decoder Capability (@off from its start), read
 * or written live, with memory decoding on as in vcxl_read_hw().
 */
static u32 vcxl_hdm_io(struct vfio_cxl_pci *v, u32 off, u32 val, bool write)
{
	struct pci_dev *pdev = v->core.pdev;
	void __iomem *reg = v->cachemem + v->shadow.hdm + off;
	u16 cmd;

	down_write(&v->core.memory_lock);
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

/*
 * v5: whether the device backs the region: decoder 0 committed over it,
 * DVSEC Range 1 Memory_Active (media ready). Taken at open and after every
 * reset; Memory Space Enable is checked at each access instead.
 */
static void vcxl_v5_sample(struct vfio_cxl_pci *v)
{
	const u32 *d0 = &v->hw_regs[(v->shadow.hdm + CXL_SHADOW_HDM_DEC_BASE_LO) / 4];
	struct pci_dev *pdev = v->core.pdev;
	u64 base, size;
	u32 lo = 0;

	lockdep_assert_held_write(&v->lock);
	vcxl_read_hw(v);
	base = (u64)d0[1] << 32 | (d0[0] & CXL_SHADOW_HDM_ADDR_LO_MASK);
	size = (u64)d0[3] << 32 | (d0[2] & CXL_SHADOW_HDM_ADDR_LO_MASK);
	v->active = (d0[4] & CXL_SHADOW_HDM_CTRL_COMMITTED) &&
		    base == v->range.start && size >= range_len(&v->range);
	pci_read_config_dword(pdev, v->dvsec + PCI_DVSEC_CXL_RANGE_SIZE_LOW(0), &lo);
	v->media_ready = lo & PCI_DVSEC_CXL_MEM_ACTIVE;
	if (!v->active)
		pci_warn(pdev, "HDM decoder 0 is not committed over %pra (control %#x, base %#llx): device memory is not served\n",
			 &v->range, d0[4], base);
	else if (!v->media_ready)
		pci_warn(pdev, "DVSEC Range 1 says the media is not ready: device memory is not served\n");
}

static void vcxl_dvsec_init(struct vfio_cxl_pci *v)
{
	struct pci_dev *pdev = v->core.pdev;
	u16 cap2, cap3, ctrl_w, ctrl2_w;
	unsigned int i;

	for (i = 0; i < sizeof(v->dvsec_virt); i++)
		pci_read_config_byte(pdev, v->dvsec + VCXL_DVSEC_VIRT_START + i,
				     &v->dvsec_virt[i]);
	pci_read_config_word(pdev, v->dvsec + VCXL_DVSEC_CAP2, &cap2);
	pci_read_config_word(pdev, v->dvsec + VCXL_DVSEC_CAP3, &cap3);
	memset(v->dvsec_wmask, 0, sizeof(v->dvsec_wmask));
	memset(v->dvsec_w1c, 0, sizeof(v->dvsec_w1c));

#define VIRT(reg) ((reg) - VCXL_DVSEC_VIRT_START)
	/* Control: RWL; IO_Enable stays 1; P2P only if capable */
	ctrl_w = (u16)~(VCXL_DVSEC_CTRL_IO_ENABLE | VCXL_DVSEC_CTRL_RSVDP);
	if (!(cap3 & VCXL_DVSEC_CAP3_P2P_MEM))
		ctrl_w &= ~VCXL_DVSEC_CTRL_P2P_MEM;
	put_unaligned_le16(ctrl_w, &v->dvsec_wmask[VIRT(PCI_DVSEC_CXL_CTRL)]);
	put_unaligned_le16(VCXL_DVSEC_STATUS_VIRAL,
			   &v->dvsec_w1c[VIRT(VCXL_DVSEC_STATUS)]);
	/* Control2: bits 4 and 5 only if capable, [15:6] RsvdP */
	ctrl2_w = VCXL_DVSEC_CTRL2_DISABLE_CACHING |
		  VCXL_DVSEC_CTRL2_INITIATE_WBI |
		  VCXL_DVSEC_CTRL2_INITIATE_CXL_RESET |
		  VCXL_DVSEC_CTRL2_RESET_MEM_CLR;
	if (cap3 & VCXL_DVSEC_CAP3_VOLATILE_HDM)
		ctrl2_w |= VCXL_DVSEC_CTRL2_DESIRED_VOLATILE;
	if (cap2 & VCXL_DVSEC_CAP2_MOD_COMPLETION)
		ctrl2_w |= VCXL_DVSEC_CTRL2_MOD_COMPLETION;
	put_unaligned_le16(ctrl2_w, &v->dvsec_wmask[VIRT(VCXL_DVSEC_CTRL2)]);
	put_unaligned_le16(VCXL_DVSEC_LOCK_CONFIG,
			   &v->dvsec_wmask[VIRT(VCXL_DVSEC_LOCK)]);
	/* Range bases are kept as written; Base Low [27:0] reads 0 */
	for (i = 0; i < CXL_DVSEC_RANGE_MAX; i++) {
		put_unaligned_le32(U32_MAX,
				   &v->dvsec_wmask[VIRT(PCI_DVSEC_CXL_RANGE_BASE_HIGH(i))]);
		put_unaligned_le32(PCI_DVSEC_CXL_MEM_BASE_LOW,
				   &v->dvsec_wmask[VIRT(PCI_DVSEC_CXL_RANGE_BASE_LOW(i))]);
	}
#undef VIRT
}

/*
 * Reads the device's decoders and DVSEC again: at open and after every
 * reset. The memory is served only while decoder 0 is committed.
 */
static void vcxl_snapshot(struct vfio_cxl_pci *v)
{
	lockdep_assert_held_write(&v->lock);
	if (v->v5) {
		vcxl_v5_sample(v);
		return;
	}
	vcxl_read_hw(v);
	memcpy(v->shadow_regs, v->hw_regs, sizeof(v->shadow_regs));
	cxl_shadow_snapshot(&v->shadow);
	v->active = cxl_shadow_committed(&v->shadow, 0);
	vcxl_dvsec_init(v);
	if (!v->active)
		pci_warn(v->core.pdev,
			 "HDM decoder 0 is not committed after a reset: device memory is not served\n");
}

static void vcxl_zap_mem(struct vfio_cxl_pci *v)
{
	unmap_mapping_range(v->core.vdev.inode->i_mapping,
			    VFIO_PCI_INDEX_TO_OFFSET(v->mem_index),
			    range_len(&v->range), true);
}

/* Around a reset: nothing of the memory is mapped or served meanwhile */
static void vcxl_reset_prepare(struct vfio_cxl_pci *v)
{
	down_write(&v->lock);
	v->active = false;
	vcxl_zap_mem(v);
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
	if ((v->fw_dvsec_ctrl & PCI_DVSEC_CXL_MEM_ENABLE) &&
	    !(dctrl & PCI_DVSEC_CXL_MEM_ENABLE))
		pci_write_config_word(pdev, v->dvsec + PCI_DVSEC_CXL_CTRL,
				      v->fw_dvsec_ctrl);
	if (vcxl_hdm_io(v, CXL_SHADOW_HDM_DEC_CTRL, 0, false) &
	    CXL_SHADOW_HDM_CTRL_COMMITTED)
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

static void vcxl_reset_done(struct vfio_cxl_pci *v)
{
	if (v->v5)
		vcxl_v5_restore(v);
	vcxl_snapshot(v);
	up_write(&v->lock);
}

/* CXL r3.1 8.1.3.1: the CXL Reset Timeout field, 10 ms to 100 s */
static unsigned int vcxl_reset_timeout_ms(u16 cap)
{
	static const unsigned int ms[] = { 10, 100, 1000, 10000, 100000 };

	return ms[min_t(u32, FIELD_GET(VCXL_DVSEC_CAP_RESET_TIMEOUT, cap),
			ARRAY_SIZE(ms) - 1)];
}

/* Polls DVSEC Status2 until one of @bits is set or @ms have passed */
static int vcxl_wait_status2(struct vfio_cxl_pci *v, u16 bits,
			     unsigned int ms, u16 *st2)
{
	unsigned long deadline = jiffies + msecs_to_jiffies(ms);

	for (;;) {
		pci_read_config_word(v->core.pdev,
				     v->dvsec + VCXL_DVSEC_STATUS2, st2);
		if (*st2 & bits)
			return 0;
		if (time_after(jiffies, deadline))
			return -ETIMEDOUT;
		msleep(20);
	}
}

/*
 * v5: a CXL Reset of the device (CXL r3.1 9.7), as the VFIO reset points
 * run it: a cache, if there is one, written back and disabled first;
 * volatile memory cleared by the device where it can (Reset Mem Clr);
 * then Status2 says how it ended. The caller holds @lock and unmapped the
 * memory.
 */
static int vcxl_cxl_reset(struct vfio_cxl_pci *v)
{
	struct pci_dev *pdev = v->core.pdev;
	u16 pos = v->dvsec + VCXL_DVSEC_CTRL2;
	u16 ctrl2, st2 = 0, off = 0;
	int rc;

	pci_read_config_word(pdev, pos, &ctrl2);
	ctrl2 &= ~(VCXL_DVSEC_CTRL2_INITIATE_WBI |
		   VCXL_DVSEC_CTRL2_INITIATE_CXL_RESET |
		   VCXL_DVSEC_CTRL2_RESET_MEM_CLR);
	if (v->cache_capable) {
		off = VCXL_DVSEC_CTRL2_DISABLE_CACHING;
		pci_write_config_word(pdev, pos, ctrl2 | off);
		pci_write_config_word(pdev, pos, ctrl2 | off |
				      VCXL_DVSEC_CTRL2_INITIATE_WBI);
		if (vcxl_wait_status2(v, VCXL_DVSEC_STATUS2_CACHE_INVALID,
				      VCXL_WBI_MS, &st2))
			pci_warn(pdev, "the cache write-back before the CXL reset did not finish\n");
	}
	if (v->dvsec_cap & VCXL_DVSEC_CAP_RESET_MEM_CLR)
		off |= VCXL_DVSEC_CTRL2_RESET_MEM_CLR;
	/* What an earlier reset left in Status2 must not end the wait */
	pci_write_config_word(pdev, v->dvsec + VCXL_DVSEC_STATUS2,
			      VCXL_DVSEC_STATUS2_RESET_COMPLETE |
			      VCXL_DVSEC_STATUS2_RESET_ERROR);
	pci_write_config_word(pdev, pos, ctrl2 | off |
			      VCXL_DVSEC_CTRL2_INITIATE_CXL_RESET);
	rc = vcxl_wait_status2(v, VCXL_DVSEC_STATUS2_RESET_COMPLETE |
			       VCXL_DVSEC_STATUS2_RESET_ERROR,
			       vcxl_reset_timeout_ms(v->dvsec_cap), &st2);
	if (!rc && (st2 & VCXL_DVSEC_STATUS2_RESET_ERROR))
		rc = -EIO;
	/* Caching as it was */
	pci_write_config_word(pdev, pos, ctrl2);
	if (rc)
		pci_warn(pdev, "CXL reset failed (Status2 %#x): %pe\n", st2,
			 ERR_PTR(rc));
	return rc;
}

/*
 * v5's VFIO_DEVICE_RESET: the memory unmapped, a CXL reset where the
 * device has one (else vfio-pci-core's reset), the decoder put back and
 * sampled again. The user rebuilds its mappings.
 */
static long vcxl_v5_reset(struct vfio_cxl_pci *v)
{
	long rc;

	vcxl_reset_prepare(v);
	if (v->dvsec_cap & VCXL_DVSEC_CAP_CXL_RESET)
		rc = vcxl_cxl_reset(v);
	else
		rc = vfio_pci_core_ioctl(&v->core.vdev, VFIO_DEVICE_RESET, 0);
	vcxl_reset_done(v);
	return rc;
}

/*
 * Whether the memory is served now. v5 also wants the media ready, the
 * user's Memory Space Enable (vfio-pci-core's view of the Command
 * register) and D0, as for a BAR.
 */
static bool vcxl_mem_served(struct vfio_cxl_pci *v)
{
	u16 cmd;

	if (!v->active)
		return false;
	if (!v->v5)
		return true;
	cmd = get_unaligned_le16(&v->core.vconfig[PCI_COMMAND]);
	return v->media_ready && (cmd & PCI_COMMAND_MEMORY) &&
	       v->core.pdev->current_state < PCI_D3hot;
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

static ssize_t vcxl_mem_rw(struct vfio_pci_core_device *core,
			   char __user *buf, size_t count, loff_t *ppos,
			   bool iswrite)
{
	struct vfio_cxl_pci *v = container_of(core, struct vfio_cxl_pci, core);
	u64 off = *ppos & VFIO_PCI_OFFSET_MASK;
	u64 size = range_len(&v->range);
	ssize_t ret = count;

	if (off >= size)
		return -EINVAL;
	count = min_t(u64, count, size - off);

	down_read(&v->lock);
	if (!vcxl_mem_served(v))
		ret = -EIO;
	else if (iswrite && copy_from_user(v->mem + off, buf, count))
		ret = -EFAULT;
	else if (!iswrite && copy_to_user(buf, v->mem + off, count))
		ret = -EFAULT;
	else
		ret = count;
	up_read(&v->lock);
	if (ret > 0)
		*ppos += ret;
	return ret;
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
		down_read(&v->lock);
		le = cpu_to_le32(vcxl_hdm_io(v, off, 0, false));
		up_read(&v->lock);
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

/* --- The CXL Device DVSEC in config space -------------------------------- */

static bool vcxl_dvsec_byte(struct vfio_cxl_pci *v, u64 pos)
{
	return pos >= v->dvsec + VCXL_DVSEC_VIRT_START &&
	       pos < v->dvsec + VCXL_DVSEC_VIRT_END;
}

/*
 * v5: the Initiate bits never reach the device; their completion is
 * synthesized in Status2. The real CXL reset runs at the VFIO reset
 * points, and the cache is written back before it.
 */
static void vcxl_v5_status2(struct vfio_cxl_pci *v, u16 ctrl2)
{
	u8 *p = &v->dvsec_virt[VCXL_DVSEC_STATUS2 - VCXL_DVSEC_VIRT_START];
	u16 st2 = get_unaligned_le16(p);

	if (ctrl2 & VCXL_DVSEC_CTRL2_INITIATE_CXL_RESET) {
		st2 &= ~VCXL_DVSEC_STATUS2_RESET_ERROR;
		st2 |= VCXL_DVSEC_STATUS2_RESET_COMPLETE;
	}
	if (!(ctrl2 & VCXL_DVSEC_CTRL2_DISABLE_CACHING))
		st2 &= ~VCXL_DVSEC_STATUS2_CACHE_INVALID;
	else if (ctrl2 & VCXL_DVSEC_CTRL2_INITIATE_WBI)
		st2 |= VCXL_DVSEC_STATUS2_CACHE_INVALID;
	put_unaligned_le16(st2, p);
}

/* Control2's actions, once the written bytes are in place */
static void vcxl_dvsec_actions(struct vfio_cxl_pci *v, bool ctrl2_written)
{
	u8 *ctrl2 = &v->dvsec_virt[VCXL_DVSEC_CTRL2 - VCXL_DVSEC_VIRT_START];
	const u16 initiate = VCXL_DVSEC_CTRL2_INITIATE_WBI |
			     VCXL_DVSEC_CTRL2_INITIATE_CXL_RESET;
	u16 val = get_unaligned_le16(ctrl2);

	/*
	 * Disable Caching, Initiate WBI and Initiate CXL Reset go to the
	 * device, as in v2; the Initiate bits read back 0. The device
	 * reports completion in Status2, which is read from the device.
	 * v5 sends nothing to the device.
	 */
	if (ctrl2_written && v->v5)
		vcxl_v5_status2(v, val);
	else if (ctrl2_written)
		pci_write_config_word(v->core.pdev, v->dvsec + VCXL_DVSEC_CTRL2,
				      val & (initiate |
					     VCXL_DVSEC_CTRL2_DISABLE_CACHING));
	put_unaligned_le16(val & ~initiate, ctrl2);

	/* Lock is write-once: once set, it stays until a reset */
	if (v->dvsec_virt[VCXL_DVSEC_LOCK - VCXL_DVSEC_VIRT_START] &
	    VCXL_DVSEC_LOCK_CONFIG)
		v->dvsec_wmask[VCXL_DVSEC_LOCK - VCXL_DVSEC_VIRT_START] = 0;
}

static bool vcxl_dvsec_locked(struct vfio_cxl_pci *v)
{
	return v->dvsec_virt[VCXL_DVSEC_LOCK - VCXL_DVSEC_VIRT_START] &
	       VCXL_DVSEC_LOCK_CONFIG;
}

static int vcxl_dvsec_write(struct vfio_cxl_pci *v, const char __user *buf,
			    u64 pos, size_t count, bool *cxl_reset)
{
	u64 ctrl = v->dvsec + PCI_DVSEC_CXL_CTRL;
	u64 c2;
	u16 ctrl2;
	size_t i;

	for (i = 0; i < count; i++) {
		unsigned int r = pos + i - v->dvsec - VCXL_DVSEC_VIRT_START;
		u8 val;

		if (!vcxl_dvsec_byte(v, pos + i))
			continue;
		if (get_user(val, (const u8 __user *)buf + i))
			return -EFAULT;
		if (pos + i >= ctrl && pos + i < ctrl + 2 &&
		    vcxl_dvsec_locked(v))
			continue;
		v->dvsec_virt[r] = (v->dvsec_virt[r] & ~v->dvsec_wmask[r]) |
				   (val & v->dvsec_wmask[r]);
		v->dvsec_virt[r] &= ~(val & v->dvsec_w1c[r]);
	}
	ctrl2 = get_unaligned_le16(&v->dvsec_virt[VCXL_DVSEC_CTRL2 -
						  VCXL_DVSEC_VIRT_START]);
	*cxl_reset = ctrl2 & VCXL_DVSEC_CTRL2_INITIATE_CXL_RESET;
	c2 = v->dvsec + VCXL_DVSEC_CTRL2;
	vcxl_dvsec_actions(v, pos < c2 + 2 && c2 < pos + count);
	return 0;
}

/* Whether a config write sets Initiate Function Level Reset */
static bool vcxl_flr_write(struct vfio_cxl_pci *v, const char __user *buf,
			   u64 pos, size_t count)
{
	u64 hi = v->core.pdev->pcie_cap + PCI_EXP_DEVCTL + 1;
	u8 val;

	if (!v->core.pdev->pcie_cap || hi < pos || hi >= pos + count)
		return false;
	if (get_user(val, (const u8 __user *)buf + (hi - pos)))
		return false;
	return (val << 8) & PCI_EXP_DEVCTL_BCR_FLR;
}

/*
 * v5: whether a config write touches the Command register or the PM
 * Control/Status register, which open and close the memory gate.
 */
static bool vcxl_gate_write(struct vfio_cxl_pci *v, u64 pos, size_t count)
{
	u64 pm = v->core.pdev->pm_cap;

	if (!v->v5)
		return false;
	return (pos < PCI_COMMAND + 2 && PCI_COMMAND < pos + count) ||
	       (pm && pos < pm + PCI_PM_CTRL + 2 && pm + PCI_PM_CTRL < pos + count);
}

static ssize_t vcxl_config_rw(struct vfio_cxl_pci *v, char __user *buf,
			      size_t count, loff_t *ppos, bool iswrite)
{
	struct vfio_device *core_vdev = &v->core.vdev;
	u64 pos = *ppos & VFIO_PCI_OFFSET_MASK;
	bool flr = false, cxl_reset = false, gate;
	ssize_t ret;
	size_t i;

	if (!iswrite) {
		ret = vfio_pci_core_read(core_vdev, buf, count, ppos);
		if (ret <= 0)
			return ret;
		down_read(&v->lock);
		for (i = 0; i < ret; i++) {
			unsigned int r = pos + i - v->dvsec -
					 VCXL_DVSEC_VIRT_START;

			if (vcxl_dvsec_byte(v, pos + i) &&
			    put_user(v->dvsec_virt[r], (u8 __user *)buf + i)) {
				ret = -EFAULT;
				break;
			}
		}
		up_read(&v->lock);
		return ret;
	}

	/* The bytes outside the virtualized ones go to vfio-pci-core */
	flr = vcxl_flr_write(v, buf, pos, count);
	gate = !flr && vcxl_gate_write(v, pos, count);
	if (flr)
		vcxl_reset_prepare(v);
	else if (gate)
		down_write(&v->lock);
	for (i = 0; i < count; ) {
		size_t n = 0;
		loff_t p = *ppos + i;

		while (i + n < count && !vcxl_dvsec_byte(v, pos + i + n))
			n++;
		if (n) {
			ret = vfio_pci_core_write(core_vdev, buf + i, n, &p);
			if (ret < 0)
				goto out;
			i += n;
			continue;
		}
		while (i + n < count && vcxl_dvsec_byte(v, pos + i + n))
			n++;
		if (!flr && !gate)
			down_write(&v->lock);
		ret = vcxl_dvsec_write(v, buf + i, pos + i, n, &cxl_reset);
		if (!flr && !gate)
			up_write(&v->lock);
		if (ret)
			goto out;
		i += n;
	}
	ret = count;
	*ppos += count;
out:
	/* v5: a user's FLR is a VFIO reset point: the CXL reset runs too */
	if (flr && v->v5 && (v->dvsec_cap & VCXL_DVSEC_CAP_CXL_RESET))
		vcxl_cxl_reset(v);
	if (flr)
		vcxl_reset_done(v);
	if (gate) {
		/* v5: the memory gate closed: no user mapping may stay */
		if (!vcxl_mem_served(v))
			vcxl_zap_mem(v);
		up_write(&v->lock);
	}
	if (cxl_reset && !v->v5) {
		/* CXL r3.1 9.7: the decoders reset; take the device's view */
		down_write(&v->lock);
		v->active = false;
		vcxl_zap_mem(v);
		msleep(100);
		vcxl_snapshot(v);
		up_write(&v->lock);
	}
	return ret;
}

/* --- vfio_device_ops ------------------------------------------------------ */

static ssize_t vcxl_rw(struct vfio_device *core_vdev, char __user *buf,
		       size_t count, loff_t *ppos, bool iswrite)
{
	struct vfio_cxl_pci *v = to_vcxl(core_vdev);
	unsigned int index = VFIO_PCI_OFFSET_TO_INDEX(*ppos);
	u64 off = *ppos & VFIO_PCI_OFFSET_MASK;

	/* v5's plain vfio-pci (!cxl) is vfio-pci-core's alone */
	if (v->cxl && index == VFIO_PCI_CONFIG_REGION_INDEX)
		return vcxl_config_rw(v, buf, count, ppos, iswrite);
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

/* v5's ioctls: its device info, its resets */
static long vcxl_v5_ioctl(struct vfio_cxl_pci *v, unsigned int cmd,
			  unsigned long arg)
{
	long rc;

	switch (cmd) {
	case VFIO_DEVICE_GET_INFO:
		return vcxl_v5_get_info(v, (void __user *)arg);
	case VFIO_DEVICE_RESET:
		return vcxl_v5_reset(v);
	case VFIO_DEVICE_PCI_HOT_RESET:
		/*
		 * A bus reset may clear the decoders behind the CXL core's
		 * back: the memory stays unmapped and gated until a
		 * VFIO_DEVICE_RESET puts them back and samples them.
		 */
		vcxl_reset_prepare(v);
		rc = vfio_pci_core_ioctl(&v->core.vdev, cmd, arg);
		up_write(&v->lock);
		return rc;
	default:
		return vfio_pci_core_ioctl(&v->core.vdev, cmd, arg);
	}
}

static long vcxl_ioctl(struct vfio_device *core_vdev, unsigned int cmd,
		       unsigned long arg)
{
	struct vfio_cxl_pci *v = to_vcxl(core_vdev);
	long rc;

	if (!v->cxl)
		return vfio_pci_core_ioctl(core_vdev, cmd, arg);
	if (v->v5)
		return vcxl_v5_ioctl(v, cmd, arg);
	switch (cmd) {
	case VFIO_DEVICE_GET_INFO:
		return vcxl_ioctl_get_info(v, (void __user *)arg);
	case VFIO_DEVICE_RESET:
		vcxl_reset_prepare(v);
		rc = vfio_pci_core_ioctl(core_vdev, cmd, arg);
		vcxl_reset_done(v);
		return rc;
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

	down_write(&v->lock);
	vcxl_snapshot(v);
	/* v5: the DVSEC's shadow is per open; v2 takes it at every reset */
	if (v->v5)
		vcxl_dvsec_init(v);
	up_write(&v->lock);

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
		if (phys >= start && phys - start <= len - CXL_SHADOW_BLOCK_SIZE) {
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
	struct pci_dev *pdev = v->core.pdev;
	u32 ctrl;
	int rc;

	v->cachemem = devm_ioremap(&pdev->dev, phys + CXL_SHADOW_CACHEMEM_OFFSET,
				   CXL_SHADOW_CACHEMEM_SIZE);
	if (!v->cachemem)
		return vcxl_refuse(pdev, -ENOMEM, "cannot map CXL.cachemem");
	vcxl_read_hw(v);
	rc = cxl_shadow_find_hdm(v->hw_regs, ARRAY_SIZE(v->hw_regs),
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

	ctrl = v->hw_regs[(v->shadow.hdm + CXL_SHADOW_HDM_DEC_CTRL) / 4];
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
	memcpy(v->fw_hdm, &v->hw_regs[v->shadow.hdm / 4], sizeof(v->fw_hdm));
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
	rc = pci_read_config_word(pdev, v->dvsec + PCI_DVSEC_CXL_CAP, &cap);
	if (rc)
		return vcxl_refuse(pdev, pcibios_err_to_errno(rc), "DVSEC Capability");
	if (!(cap & PCI_DVSEC_CXL_MEM_CAPABLE))
		return vcxl_refuse(pdev, -ENODEV, "not Mem_Capable");
	if (v->v5 && !(cap & VCXL_DVSEC_CAP_CXL_RESET))
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

static void vcxl_remove(struct pci_dev *pdev)
{
	struct vfio_pci_core_device *core = dev_get_drvdata(&pdev->dev);

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
	.err_handler = &vfio_pci_core_err_handlers,
	.driver_managed_dma = true,
};
module_pci_driver(vcxl_driver);

MODULE_DESCRIPTION("vfio-pci variant driver for CXL Type-2 devices (vfio-cxl UAPI v2 or v5)");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS("CXL");
MODULE_SOFTDEP("pre: cxl_acpi cxl_mem");
