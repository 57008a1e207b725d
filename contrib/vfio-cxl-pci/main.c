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
 * Copyright (c) 2026 QEMU CXL Type-2 team
 */
#include <linux/bitfield.h>
#include <linux/delay.h>
#include <linux/io.h>
#include <linux/jiffies.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/range.h>
#include <linux/rwsem.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/unaligned.h>
#include <linux/vfio_pci_core.h>
#include <cxl/cxl.h>
#include <cxl/pci.h>

#include "cxl_shadow.h"
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
/* The part of the DVSEC this driver virtualizes: Control to Range 2 */
#define VCXL_DVSEC_VIRT_START		PCI_DVSEC_CXL_CTRL
#define VCXL_DVSEC_VIRT_END		VCXL_DVSEC_CAP3

/* How long firmware may take to report the memory valid, then active */
#define VCXL_INFO_VALID_MS		1000
/* Decoder 0's Interleave Ways field: 0 is one way */
#define VCXL_HDM_CTRL_IW		GENMASK(7, 4)

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
	pci_err(pdev, "not served as a CXL Type-2 device: %pV (%pe)\n", &vaf,
		ERR_PTR(rc));
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

static void vcxl_reset_done(struct vfio_cxl_pci *v)
{
	vcxl_snapshot(v);
	up_write(&v->lock);
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
	if (!v->active)
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
	if (!v->active)
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

/* --- The CXL Device DVSEC in config space -------------------------------- */

static bool vcxl_dvsec_byte(struct vfio_cxl_pci *v, u64 pos)
{
	return pos >= v->dvsec + VCXL_DVSEC_VIRT_START &&
	       pos < v->dvsec + VCXL_DVSEC_VIRT_END;
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
	 */
	if (ctrl2_written)
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

static ssize_t vcxl_config_rw(struct vfio_cxl_pci *v, char __user *buf,
			      size_t count, loff_t *ppos, bool iswrite)
{
	struct vfio_device *core_vdev = &v->core.vdev;
	u64 pos = *ppos & VFIO_PCI_OFFSET_MASK;
	bool flr = false, cxl_reset = false;
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
	if (flr)
		vcxl_reset_prepare(v);
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
		if (!flr)
			down_write(&v->lock);
		ret = vcxl_dvsec_write(v, buf + i, pos + i, n, &cxl_reset);
		if (!flr)
			up_write(&v->lock);
		if (ret)
			goto out;
		i += n;
	}
	ret = count;
	*ppos += count;
out:
	if (flr)
		vcxl_reset_done(v);
	if (cxl_reset) {
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

	if (index == VFIO_PCI_CONFIG_REGION_INDEX)
		return vcxl_config_rw(v, buf, count, ppos, iswrite);
	if (index == v->comp_bar && vcxl_in_block(v, off, count))
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

static int vcxl_mmap(struct vfio_device *core_vdev, struct vm_area_struct *vma)
{
	struct vfio_cxl_pci *v = to_vcxl(core_vdev);
	unsigned int index = vma->vm_pgoff >>
			     (VFIO_PCI_OFFSET_SHIFT - PAGE_SHIFT);
	u64 start = vcxl_mem_pgoff(vma, vma->vm_start) << PAGE_SHIFT;

	/* The component block is trapped: no mapping may cover it */
	if (index == v->comp_bar &&
	    vcxl_in_block(v, start, vma->vm_end - vma->vm_start))
		return -EINVAL;
	return vfio_pci_core_mmap(core_vdev, vma);
}

/* The component BAR: mmappable everywhere but the component block */
static int vcxl_add_sparse(struct vfio_cxl_pci *v, struct vfio_region_info *info,
			   struct vfio_info_cap *caps)
{
	struct vfio_region_info_cap_sparse_mmap *sparse;
	u64 end = v->block + CXL_SHADOW_BLOCK_SIZE;
	unsigned int n = 0;
	size_t size;
	int rc;

	size = struct_size(sparse, areas, 2);
	sparse = kzalloc(size, GFP_KERNEL);
	if (!sparse)
		return -ENOMEM;
	if (v->block) {
		sparse->areas[n].offset = 0;
		sparse->areas[n].size = v->block;
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
	if (rc || info->index != v->comp_bar ||
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

static long vcxl_ioctl(struct vfio_device *core_vdev, unsigned int cmd,
		       unsigned long arg)
{
	struct vfio_cxl_pci *v = to_vcxl(core_vdev);
	long rc;

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

static int vcxl_register_regions(struct vfio_cxl_pci *v)
{
	struct vfio_pci_core_device *core = &v->core;
	int rc;

	v->mem_index = VFIO_PCI_NUM_REGIONS + core->num_regions;
	rc = vfio_pci_core_register_dev_region(core, VFIO_REGION_TYPE_CXL,
					       VFIO_REGION_SUBTYPE_CXL,
					       &vcxl_mem_ops,
					       range_len(&v->range),
					       VFIO_REGION_INFO_FLAG_READ |
					       VFIO_REGION_INFO_FLAG_WRITE |
					       VFIO_REGION_INFO_FLAG_MMAP, v);
	if (rc)
		return rc;
	v->comp_index = VFIO_PCI_NUM_REGIONS + core->num_regions;
	return vfio_pci_core_register_dev_region(core, VFIO_REGION_TYPE_CXL,
						 VFIO_REGION_SUBTYPE_CXL_COMP_REGS,
						 &vcxl_comp_regs_ops,
						 v->shadow.size,
						 VFIO_REGION_INFO_FLAG_READ |
						 VFIO_REGION_INFO_FLAG_WRITE, v);
}

static int vcxl_open_device(struct vfio_device *core_vdev)
{
	struct vfio_cxl_pci *v = to_vcxl(core_vdev);
	struct vfio_pci_core_device *core = &v->core;
	int rc;

	rc = vfio_pci_core_enable(core);
	if (rc)
		return rc;

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
	int rc;

	v = vfio_alloc_device(vfio_cxl_pci, core.vdev, &pdev->dev, &vcxl_ops);
	if (IS_ERR(v))
		return PTR_ERR(v);

	/* The component registers must decode while they are read */
	rc = pci_enable_device_mem(pdev);
	if (rc) {
		vcxl_refuse(pdev, rc, "pci_enable_device_mem");
		goto out_put;
	}
	rc = vcxl_probe_cxl(v);
	pci_disable_device(pdev);
	if (rc)
		goto out_put;

	dev_set_drvdata(&pdev->dev, &v->core);
	rc = vfio_pci_core_register_device(&v->core);
	if (rc)
		goto out_put;
	pci_info(pdev, "CXL Type-2: memory %pra write-back, component block at BAR %d + %#llx, %u HDM decoder(s)%s\n",
		 &v->range, v->comp_bar, (u64)v->block, v->shadow.count,
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

MODULE_DESCRIPTION("vfio-pci variant driver for CXL Type-2 devices (vfio-cxl UAPI v2)");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS("CXL");
MODULE_SOFTDEP("pre: cxl_acpi cxl_mem");
