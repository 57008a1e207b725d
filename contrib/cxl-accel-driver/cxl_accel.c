// SPDX-License-Identifier: GPL-2.0-only
/*
 * Driver for the project's emulated CXL Type-2 accelerator (1b36:0cf2).
 *
 * It attaches the function to Linux's CXL core as a Type-2 device with the
 * accelerator API of Linux 7.3 and hands the device memory of the region the
 * core assembled from the firmware-committed HDM decoder to user space, as
 * /dev/cxl_accelN: a write-back mmap, and read/write.
 *
 * Copyright (c) 2026 QEMU CXL Type-2 team
 */

#include <linux/bitfield.h>
#include <linux/cleanup.h>
#include <linux/delay.h>
#include <linux/fs.h>
#include <linux/dma-mapping.h>
#include <linux/idr.h>
#include <linux/io.h>
#include <linux/iopoll.h>
#include <linux/jiffies.h>
#include <linux/kref.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/range.h>
#include <linux/rwsem.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/uio.h>

#include <cxl/cxl.h>
#include <cxl/pci.h>

#include "cxl_accel.h"

#define CXL_ACCEL_VENDOR_ID	PCI_VENDOR_ID_REDHAT	/* 0x1b36 */
#define CXL_ACCEL_DEVICE_ID	0x0cf2

/* A device sets Memory_Info_Valid within 1 s of reset (CXL spec). */
#define CXL_ACCEL_INFO_VALID_MS	1000

/*
 * The accelerator's register page (contrib/vfio-user-cxl-accel/
 * accel-regs.h): at BAR 2 offset 0, or after the component block when
 * that sits at the start of the BAR. The copy engine's registers follow
 * the identity registers.
 */
#define CXL_ACCEL_REG_BAR		2
#define CXL_ACCEL_REG_ID		0x00
#define CXL_ACCEL_ID_VALUE		0x43584c32	/* "CXL2" */
#define CXL_ACCEL_REGS_AFTER_BLOCK	0x10000
#define CXL_ACCEL_DMA_SRC		0x20	/* 64-bit, low dword first */
#define CXL_ACCEL_DMA_DST		0x28
#define CXL_ACCEL_DMA_LEN		0x30
#define CXL_ACCEL_DMA_DOORBELL		0x34
#define CXL_ACCEL_DMA_STATUS		0x38
#define  CXL_ACCEL_DMA_DONE		BIT(0)
#define  CXL_ACCEL_DMA_ERROR		BIT(1)
#define CXL_ACCEL_DMA_ERRCODE		0x3c
/* A copy of 256 KiB takes a few ms; allow for a slow, emulated device. */
#define CXL_ACCEL_DMA_TIMEOUT_US	(5 * USEC_PER_SEC)

static DEFINE_IDA(cxl_accel_ida);

/**
 * struct cxl_accel_engine - the accelerator's copy engine
 * @lock: one copy at a time, as the engine takes one request
 * @regs: the register page
 * @bounce: DMA buffer for copies to and from user memory
 * @bounce_dma: @bounce as the device addresses it
 * @mem_dma: the device memory as the device addresses it
 *	(dma_map_resource() of the region: its own window address, or what an
 *	IOMMU makes of it)
 * @dev: the PCI function's device, for the unmap
 * @mem_size: the size of the device memory
 */
struct cxl_accel_engine {
	struct mutex lock;	/* one copy at a time */
	void __iomem *regs;
	void *bounce;
	dma_addr_t bounce_dma;
	dma_addr_t mem_dma;
	struct device *dev;
	u64 mem_size;
};

/**
 * struct cxl_accel_mem - the device memory behind the character device
 * @kref: one reference for the bound device, one for each open file
 * @lock: held for reading while a file operation uses @va, for writing
 *	by the unbind that revokes it
 * @va: write-back kernel mapping of @range; NULL once the device is gone
 * @engine: the copy engine; NULL once the device is gone, with @va
 * @range: host physical address range of the device's CXL region
 * @files_lock: protects @files
 * @files: open files, whose user mappings the unbind zaps
 * @misc: the character device
 * @id: the N of the device name
 * @name: "cxl_accelN"
 *
 * Open files outlive an unbind, so this is refcounted apart from the
 * devm-managed &struct cxl_accel.
 */
struct cxl_accel_mem {
	struct kref kref;
	struct rw_semaphore lock;
	void *va;
	struct cxl_accel_engine *engine;
	struct range range;
	struct mutex files_lock;	/* protects @files */
	struct list_head files;
	struct miscdevice misc;
	int id;
	char name[24];
};

/**
 * struct cxl_accel_file - an open file of the character device
 * @node: entry in &cxl_accel_mem.files
 * @file: the file
 * @mem: the device memory, referenced for as long as the file is open
 */
struct cxl_accel_file {
	struct list_head node;
	struct file *file;
	struct cxl_accel_mem *mem;
};

/**
 * struct cxl_accel - a bound accelerator
 * @cxlds: CXL core state; first, as devm_cxl_dev_state_create() requires
 * @cxlmd: the memdev the CXL core attached to the region
 * @mem: what the character device serves
 */
struct cxl_accel {
	struct cxl_dev_state cxlds;
	struct cxl_memdev *cxlmd;
	struct cxl_accel_mem *mem;
};

static __printf(3, 4) int cxl_accel_fail(struct pci_dev *pdev, int rc,
					 const char *fmt, ...)
{
	struct va_format vaf;
	va_list args;

	va_start(args, fmt);
	vaf.fmt = fmt;
	vaf.va = &args;
	/* A deferral is no failure: leave it to the driver core's record. */
	if (rc == -EPROBE_DEFER)
		dev_err_probe(&pdev->dev, rc, "%pV\n", &vaf);
	else
		pci_err(pdev, "%pV: %pe\n", &vaf, ERR_PTR(rc));
	va_end(args);
	return rc;
}

static void cxl_accel_mem_release(struct kref *kref)
{
	struct cxl_accel_mem *mem = container_of(kref, struct cxl_accel_mem,
						 kref);

	mutex_destroy(&mem->files_lock);
	kfree(mem);
}

static struct cxl_accel_mem *file_to_mem(struct file *file)
{
	return ((struct cxl_accel_file *)file->private_data)->mem;
}

static int cxl_accel_open(struct inode *inode, struct file *file)
{
	/* misc_open() leaves the miscdevice here and holds misc_mtx. */
	struct cxl_accel_mem *mem = container_of(file->private_data,
						 struct cxl_accel_mem, misc);
	struct cxl_accel_file *f;

	f = kzalloc_obj(*f);
	if (!f)
		return -ENOMEM;
	f->file = file;
	f->mem = mem;
	/* Safe: misc_deregister() waits for misc_mtx, so mem is still ours. */
	kref_get(&mem->kref);
	mutex_lock(&mem->files_lock);
	list_add(&f->node, &mem->files);
	mutex_unlock(&mem->files_lock);
	file->private_data = f;
	return 0;
}

static int cxl_accel_release(struct inode *inode, struct file *file)
{
	struct cxl_accel_file *f = file->private_data;
	struct cxl_accel_mem *mem = f->mem;

	mutex_lock(&mem->files_lock);
	list_del(&f->node);
	mutex_unlock(&mem->files_lock);
	kfree(f);
	kref_put(&mem->kref, cxl_accel_mem_release);
	return 0;
}

static loff_t cxl_accel_llseek(struct file *file, loff_t offset, int whence)
{
	return fixed_size_llseek(file, offset, whence,
				 range_len(&file_to_mem(file)->range));
}

/*
 * read() and write() bounce through a page so that no lock is held while
 * user memory faults (it may be this very device's mapping, or userfaultfd):
 * an unbind never waits on user space.
 */
static ssize_t cxl_accel_rw_iter(struct kiocb *iocb, struct iov_iter *iter)
{
	struct cxl_accel_mem *mem = file_to_mem(iocb->ki_filp);
	bool write = iov_iter_rw(iter) == WRITE;
	u64 size = range_len(&mem->range);
	size_t count = iov_iter_count(iter);
	loff_t pos = iocb->ki_pos;
	ssize_t done = 0;
	void *bounce;

	if (pos < 0)
		return -EINVAL;
	if (!count)
		return 0;
	/* Device memory does not grow: writing past it is like a full disk. */
	if (pos >= size)
		return write ? -ENOSPC : 0;
	count = min_t(u64, count, size - pos);

	bounce = kmalloc(PAGE_SIZE, GFP_KERNEL);
	if (!bounce)
		return -ENOMEM;
	while (count) {
		size_t n = min_t(size_t, count, PAGE_SIZE);

		if (write && copy_from_iter(bounce, n, iter) != n) {
			done = done ?: -EFAULT;
			break;
		}
		scoped_guard(rwsem_read, &mem->lock) {
			if (!mem->va) {
				done = done ?: -ENODEV;
				goto out;
			}
			if (write)
				memcpy(mem->va + pos, bounce, n);
			else
				memcpy(bounce, mem->va + pos, n);
		}
		if (!write && copy_to_iter(bounce, n, iter) != n) {
			done = done ?: -EFAULT;
			break;
		}
		pos += n;
		done += n;
		count -= n;
		if (fatal_signal_pending(current))
			break;
		cond_resched();
	}
out:
	kfree(bounce);
	if (done > 0)
		iocb->ki_pos = pos;
	return done;
}

/*
 * Runs once the new VMA is in the file's rmap and populated. From then on
 * an unbind's zap reaches it; an unbind that came before must not leave it
 * mapped, so fail (the VMA is unmapped again) if the memory is gone.
 */
static int cxl_accel_vma_mapped(unsigned long start, unsigned long end,
				pgoff_t pgoff, const struct file *file,
				void **vm_private_data)
{
	struct cxl_accel_file *f = *vm_private_data;

	guard(rwsem_read)(&f->mem->lock);
	return f->mem->va ? 0 : -ENODEV;
}

static const struct vm_operations_struct cxl_accel_vm_ops = {
	.mapped = cxl_accel_vma_mapped,
#ifdef CONFIG_HAVE_IOREMAP_PROT
	/* VM_IO keeps ptrace out otherwise; let debuggers read the memory. */
	.access = generic_access_phys,
#endif
};

static int cxl_accel_mmap_prepare(struct vm_area_desc *desc)
{
	struct cxl_accel_file *f = desc->file->private_data;
	struct cxl_accel_mem *mem = f->mem;
	u64 pages = range_len(&mem->range) >> PAGE_SHIFT;

	/* Private mappings copy on write: stores would miss device memory. */
	if (vma_desc_is_cow_mapping(desc))
		return -EINVAL;
	if (desc->pgoff > pages || vma_desc_pages(desc) > pages - desc->pgoff)
		return -EINVAL;

	guard(rwsem_read)(&mem->lock);
	if (!mem->va)
		return -ENODEV;
	desc->vm_ops = &cxl_accel_vm_ops;
	desc->private_data = f;
	/*
	 * CXL.mem is coherent host memory: keep the default (write-back)
	 * page protection. The remap makes the VMA VM_PFNMAP (no struct pages
	 * back it), VM_IO (no get_user_pages(), no core dump), and
	 * VM_DONTEXPAND, so mremap() cannot grow it past the checked size.
	 */
	mmap_action_remap_full(desc, PHYS_PFN(mem->range.start) + desc->pgoff);
	return 0;
}

/* One copy by the device's engine, between two device addresses. */
static int cxl_accel_engine_copy(struct cxl_accel_engine *e, dma_addr_t src,
				 dma_addr_t dst, u32 len)
{
	u32 status;
	int rc;

	iowrite32(lower_32_bits(src), e->regs + CXL_ACCEL_DMA_SRC);
	iowrite32(upper_32_bits(src), e->regs + CXL_ACCEL_DMA_SRC + 4);
	iowrite32(lower_32_bits(dst), e->regs + CXL_ACCEL_DMA_DST);
	iowrite32(upper_32_bits(dst), e->regs + CXL_ACCEL_DMA_DST + 4);
	iowrite32(len, e->regs + CXL_ACCEL_DMA_LEN);
	iowrite32(0, e->regs + CXL_ACCEL_DMA_STATUS);
	iowrite32(1, e->regs + CXL_ACCEL_DMA_DOORBELL);

	rc = readx_poll_timeout(ioread32, e->regs + CXL_ACCEL_DMA_STATUS,
				status, status & CXL_ACCEL_DMA_DONE, 100,
				CXL_ACCEL_DMA_TIMEOUT_US);
	if (rc)
		return rc;
	if (status & CXL_ACCEL_DMA_ERROR) {
		pr_err_ratelimited("cxl_accel: copy %pad -> %pad (%u bytes): device error %u\n",
				   &src, &dst, len,
				   ioread32(e->regs + CXL_ACCEL_DMA_ERRCODE));
		return -EIO;
	}
	return 0;
}

/*
 * CXL_ACCEL_IOC_DMA. User memory is copied outside the locks, through a
 * kernel buffer, for the reason given at cxl_accel_rw_iter().
 */
static long cxl_accel_ioctl_dma(struct cxl_accel_mem *mem,
				struct cxl_accel_dma __user *arg)
{
	void *buf __free(kvfree) = NULL;
	u64 size = range_len(&mem->range);
	struct cxl_accel_engine *e;
	struct cxl_accel_dma req;
	u64 src, dst;
	int rc;

	if (copy_from_user(&req, arg, sizeof(req)))
		return -EFAULT;
	if (!req.len || req.len > CXL_ACCEL_DMA_MAX_LEN)
		return -EINVAL;
	/* Device memory offsets must lie within the memory. */
	if ((req.dir != CXL_ACCEL_DMA_TO_DEV &&
	     (req.src >= size || req.len > size - req.src)) ||
	    (req.dir != CXL_ACCEL_DMA_FROM_DEV &&
	     (req.dst >= size || req.len > size - req.dst)) ||
	    req.dir > CXL_ACCEL_DMA_DEV_TO_DEV)
		return -EINVAL;

	if (req.dir != CXL_ACCEL_DMA_DEV_TO_DEV) {
		buf = kvmalloc(req.len, GFP_KERNEL);
		if (!buf)
			return -ENOMEM;
	}
	if (req.dir == CXL_ACCEL_DMA_TO_DEV &&
	    copy_from_user(buf, u64_to_user_ptr(req.src), req.len))
		return -EFAULT;

	scoped_guard(rwsem_read, &mem->lock) {
		e = mem->engine;
		if (!e)
			return -ENODEV;
		guard(mutex)(&e->lock);
		src = req.dir == CXL_ACCEL_DMA_TO_DEV ? e->bounce_dma :
						       e->mem_dma + req.src;
		dst = req.dir == CXL_ACCEL_DMA_FROM_DEV ? e->bounce_dma :
							 e->mem_dma + req.dst;
		if (req.dir == CXL_ACCEL_DMA_TO_DEV)
			memcpy(e->bounce, buf, req.len);
		rc = cxl_accel_engine_copy(e, src, dst, req.len);
		if (rc)
			return rc;
		if (req.dir == CXL_ACCEL_DMA_FROM_DEV)
			memcpy(buf, e->bounce, req.len);
	}
	if (req.dir == CXL_ACCEL_DMA_FROM_DEV &&
	    copy_to_user(u64_to_user_ptr(req.dst), buf, req.len))
		return -EFAULT;
	return 0;
}

static long cxl_accel_ioctl(struct file *file, unsigned int cmd,
			    unsigned long arg)
{
	switch (cmd) {
	case CXL_ACCEL_IOC_DMA:
		return cxl_accel_ioctl_dma(file_to_mem(file),
					   (void __user *)arg);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations cxl_accel_fops = {
	.owner = THIS_MODULE,
	.open = cxl_accel_open,
	.release = cxl_accel_release,
	.llseek = cxl_accel_llseek,
	.read_iter = cxl_accel_rw_iter,
	.write_iter = cxl_accel_rw_iter,
	.mmap_prepare = cxl_accel_mmap_prepare,
	.unlocked_ioctl = cxl_accel_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

static struct cxl_accel_mem *dev_to_mem(struct device *dev)
{
	struct miscdevice *misc = dev_get_drvdata(dev);

	return container_of(misc, struct cxl_accel_mem, misc);
}

static ssize_t start_show(struct device *dev, struct device_attribute *attr,
			  char *buf)
{
	return sysfs_emit(buf, "%#llx\n", dev_to_mem(dev)->range.start);
}
static DEVICE_ATTR_RO(start);

static ssize_t size_show(struct device *dev, struct device_attribute *attr,
			 char *buf)
{
	return sysfs_emit(buf, "%#llx\n", range_len(&dev_to_mem(dev)->range));
}
static DEVICE_ATTR_RO(size);

static struct attribute *cxl_accel_attrs[] = {
	&dev_attr_start.attr,
	&dev_attr_size.attr,
	NULL
};
ATTRIBUTE_GROUPS(cxl_accel);

/* On unbind, before the region and the kernel mapping go away. */
static void cxl_accel_mem_remove(void *data)
{
	struct cxl_accel_mem *mem = data;
	struct cxl_accel_file *f;

	misc_deregister(&mem->misc);
	ida_free(&cxl_accel_ida, mem->id);

	scoped_guard(rwsem_write, &mem->lock) {
		mem->va = NULL;
		mem->engine = NULL;
	}

	/* Later accesses through existing mappings get SIGBUS. */
	mutex_lock(&mem->files_lock);
	list_for_each_entry(f, &mem->files, node)
		unmap_mapping_range(f->file->f_mapping, 0, 0, 1);
	mutex_unlock(&mem->files_lock);

	kref_put(&mem->kref, cxl_accel_mem_release);
}

static int cxl_accel_add_chardev(struct pci_dev *pdev, struct cxl_accel *accel,
				 void *va, struct cxl_accel_engine *engine,
				 const struct range *range)
{
	struct cxl_accel_mem *mem;
	int rc;

	mem = kzalloc_obj(*mem);
	if (!mem)
		return cxl_accel_fail(pdev, -ENOMEM, "misc device");
	kref_init(&mem->kref);
	init_rwsem(&mem->lock);
	mutex_init(&mem->files_lock);
	INIT_LIST_HEAD(&mem->files);
	mem->va = va;
	mem->engine = engine;
	mem->range = *range;

	rc = ida_alloc(&cxl_accel_ida, GFP_KERNEL);
	if (rc < 0) {
		kref_put(&mem->kref, cxl_accel_mem_release);
		return cxl_accel_fail(pdev, rc, "ida_alloc");
	}
	mem->id = rc;
	snprintf(mem->name, sizeof(mem->name), "cxl_accel%d", mem->id);

	mem->misc.minor = MISC_DYNAMIC_MINOR;
	mem->misc.name = mem->name;
	mem->misc.fops = &cxl_accel_fops;
	mem->misc.parent = &pdev->dev;
	mem->misc.groups = cxl_accel_groups;
	rc = misc_register(&mem->misc);
	if (rc) {
		ida_free(&cxl_accel_ida, mem->id);
		kref_put(&mem->kref, cxl_accel_mem_release);
		return cxl_accel_fail(pdev, rc, "misc_register");
	}

	rc = devm_add_action_or_reset(&pdev->dev, cxl_accel_mem_remove, mem);
	if (rc)
		return cxl_accel_fail(pdev, rc, "devm_add_action_or_reset");
	accel->mem = mem;
	return 0;
}

/* Waits up to @ms for @bit in the DVSEC's Range 1 Size Low register. */
static int cxl_accel_wait_range1(struct pci_dev *pdev, u16 dvsec, u32 bit,
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

/*
 * The device's memory size: its CXL Device DVSEC Range 1, once the device
 * says the size is valid and the memory active. The committed decoder's
 * DPA span lies within it.
 */
static int cxl_accel_capacity(struct pci_dev *pdev, u16 dvsec, u64 *capacity)
{
	unsigned int timeout_ms;
	u32 hi, lo;
	int rc;

	rc = cxl_accel_wait_range1(pdev, dvsec, PCI_DVSEC_CXL_MEM_INFO_VALID,
				   CXL_ACCEL_INFO_VALID_MS, &lo);
	if (rc)
		return cxl_accel_fail(pdev, rc,
				      "DVSEC Range 1: Memory_Info_Valid not set");

	/* Memory_Active_Timeout: 1 s, 4 s, 16 s, 64 s or 256 s. */
	timeout_ms = 1000U << (2 * min_t(u32, 4,
				FIELD_GET(PCI_DVSEC_CXL_MEM_ACTIVE_TIMEOUT, lo)));
	rc = cxl_accel_wait_range1(pdev, dvsec, PCI_DVSEC_CXL_MEM_ACTIVE,
				   timeout_ms, &lo);
	if (rc)
		return cxl_accel_fail(pdev, rc,
				      "DVSEC Range 1: Memory_Active not set after %u ms",
				      timeout_ms);

	rc = pci_read_config_dword(pdev, dvsec +
				   PCI_DVSEC_CXL_RANGE_SIZE_HIGH(0), &hi);
	if (rc)
		return cxl_accel_fail(pdev, pcibios_err_to_errno(rc),
				      "DVSEC Range 1 Size High");

	*capacity = (u64)hi << 32 | (lo & PCI_DVSEC_CXL_MEM_SIZE_LOW);
	if (!*capacity)
		return cxl_accel_fail(pdev, -ENODEV, "DVSEC Range 1: size 0");
	return 0;
}

static void cxl_accel_unmap_resource(void *data)
{
	struct cxl_accel_engine *e = data;

	dma_unmap_resource(e->dev, e->mem_dma, e->mem_size, DMA_BIDIRECTIONAL,
			   0);
}

/*
 * The copy engine: its registers, bus mastering, a DMA buffer for copies
 * to and from user memory, and the device memory mapped for the device
 * itself, since the engine is handed addresses inside the region.
 */
static struct cxl_accel_engine *cxl_accel_engine_setup(struct pci_dev *pdev,
						       const struct range *range)
{
	struct device *dev = &pdev->dev;
	struct cxl_accel_engine *e;
	void __iomem *bar;
	int rc;

	e = devm_kzalloc(dev, sizeof(*e), GFP_KERNEL);
	if (!e)
		return ERR_PTR(cxl_accel_fail(pdev, -ENOMEM, "copy engine"));
	rc = devm_mutex_init(dev, &e->lock);
	if (rc)
		return ERR_PTR(cxl_accel_fail(pdev, rc, "devm_mutex_init"));

	bar = pcim_iomap(pdev, CXL_ACCEL_REG_BAR, 0);
	if (!bar)
		return ERR_PTR(cxl_accel_fail(pdev, -ENOMEM, "pcim_iomap(BAR %d)",
					      CXL_ACCEL_REG_BAR));
	/* The page is at 0, unless the component block is. */
	e->regs = bar;
	if (ioread32(bar + CXL_ACCEL_REG_ID) != CXL_ACCEL_ID_VALUE)
		e->regs = bar + CXL_ACCEL_REGS_AFTER_BLOCK;
	if (ioread32(e->regs + CXL_ACCEL_REG_ID) != CXL_ACCEL_ID_VALUE)
		return ERR_PTR(cxl_accel_fail(pdev, -ENODEV,
					      "no accelerator registers in BAR %d",
					      CXL_ACCEL_REG_BAR));

	rc = dma_set_mask_and_coherent(dev, DMA_BIT_MASK(64));
	if (rc)
		return ERR_PTR(cxl_accel_fail(pdev, rc,
					      "dma_set_mask_and_coherent"));
	pci_set_master(pdev);
	e->bounce = dmam_alloc_coherent(dev, CXL_ACCEL_DMA_MAX_LEN,
					&e->bounce_dma, GFP_KERNEL);
	if (!e->bounce)
		return ERR_PTR(cxl_accel_fail(pdev, -ENOMEM,
					      "dmam_alloc_coherent"));

	e->dev = dev;
	e->mem_size = range_len(range);
	e->mem_dma = dma_map_resource(dev, range->start, e->mem_size,
				      DMA_BIDIRECTIONAL, 0);
	if (dma_mapping_error(dev, e->mem_dma))
		return ERR_PTR(cxl_accel_fail(pdev, -EIO, "dma_map_resource"));
	rc = devm_add_action_or_reset(dev, cxl_accel_unmap_resource, e);
	if (rc)
		return ERR_PTR(cxl_accel_fail(pdev, rc,
					      "devm_add_action_or_reset"));
	return e;
}

static int cxl_accel_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct device *dev = &pdev->dev;
	struct cxl_accel_engine *engine;
	struct cxl_dev_state *cxlds;
	struct cxl_accel *accel;
	struct resource res;
	struct range range;
	u64 capacity;
	void *va;
	u16 dvsec;
	int rc;

	rc = pcim_enable_device(pdev);
	if (rc)
		return cxl_accel_fail(pdev, rc, "pcim_enable_device");

	/* Set by PCI enumeration from the Flex Bus DVSEC's negotiated state. */
	if (!pcie_is_cxl(pdev))
		return cxl_accel_fail(pdev, -ENODEV,
				      "pcie_is_cxl: link not in CXL mode");

	dvsec = pci_find_dvsec_capability(pdev, PCI_VENDOR_ID_CXL,
					  PCI_DVSEC_CXL_DEVICE);
	if (!dvsec)
		return cxl_accel_fail(pdev, -ENODEV,
				      "pci_find_dvsec_capability: no CXL Device DVSEC");

	accel = devm_cxl_dev_state_create(dev, CXL_DEVTYPE_DEVMEM,
					  pci_get_dsn(pdev), dvsec,
					  struct cxl_accel, cxlds, false);
	if (!accel)
		return cxl_accel_fail(pdev, -ENOMEM,
				      "devm_cxl_dev_state_create");
	cxlds = &accel->cxlds;

	rc = cxl_pci_setup_regs(pdev, CXL_REGLOC_RBI_COMPONENT,
				&cxlds->reg_map);
	if (rc)
		return cxl_accel_fail(pdev, rc, "cxl_pci_setup_regs");
	/* The core reads the committed decoder through this capability. */
	if (!cxlds->reg_map.component_map.hdm_decoder.valid)
		return cxl_accel_fail(pdev, -ENODEV,
				      "cxl_pci_setup_regs: no HDM Decoder Capability");
	/* The spec makes it mandatory in a device's component registers. */
	if (!cxlds->reg_map.component_map.ras.valid)
		return cxl_accel_fail(pdev, -ENODEV,
				      "cxl_pci_setup_regs: no RAS Capability");

	/* No mailbox to ask; the DVSEC's Memory_Active is checked below. */
	cxlds->media_ready = true;

	rc = cxl_accel_capacity(pdev, dvsec, &capacity);
	if (rc)
		return rc;
	rc = cxl_set_capacity(cxlds, capacity);
	if (rc)
		return cxl_accel_fail(pdev, rc, "cxl_set_capacity(%#llx)",
				      capacity);

	accel->cxlmd = devm_cxl_probe_mem(cxlds, &range);
	if (IS_ERR(accel->cxlmd))
		return cxl_accel_fail(pdev, PTR_ERR(accel->cxlmd),
				      "devm_cxl_probe_mem");
	/* Regions are 256 MiB granular; anything else is a core bug. */
	if (!PAGE_ALIGNED(range.start) || !PAGE_ALIGNED(range_len(&range)))
		return cxl_accel_fail(pdev, -EINVAL,
				      "devm_cxl_probe_mem: unaligned range %pra",
				      &range);

	va = devm_memremap(dev, range.start, range_len(&range), MEMREMAP_WB);
	if (IS_ERR(va))
		return cxl_accel_fail(pdev, PTR_ERR(va), "devm_memremap");

	engine = cxl_accel_engine_setup(pdev, &range);
	if (IS_ERR(engine))
		return PTR_ERR(engine);

	rc = cxl_accel_add_chardev(pdev, accel, va, engine, &range);
	if (rc)
		return rc;

	res = DEFINE_RES_MEM(range.start, range_len(&range));
	pci_info(pdev, "device memory %pR write-back at /dev/%s\n", &res,
		 accel->mem->name);
	return 0;
}

static const struct pci_device_id cxl_accel_ids[] = {
	{ PCI_DEVICE(CXL_ACCEL_VENDOR_ID, CXL_ACCEL_DEVICE_ID) },
	{ }
};
MODULE_DEVICE_TABLE(pci, cxl_accel_ids);

static struct pci_driver cxl_accel_driver = {
	.name = KBUILD_MODNAME,
	.id_table = cxl_accel_ids,
	.probe = cxl_accel_probe,
};
module_pci_driver(cxl_accel_driver);

MODULE_DESCRIPTION("CXL Type-2 accelerator: device memory to user space");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS("CXL");
/* The CXL root and ports come from cxl_acpi; cxl_mem is a symbol dependency. */
MODULE_SOFTDEP("pre: cxl_acpi");
