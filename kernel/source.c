// SPDX-License-Identifier: GPL-2.0-only
/*
 * source.c - the memory a daxfs image lives in: an fsdax block device (through its dax_device),
 * a device-dax instance (through its physical range), a reserved physical range, or a dma-buf
 * (dmabuf.c).
 * Produces a kernel address, the page frames (for mapping pages into processes) and the number
 * of bytes available from the image's offset.
 */
#define pr_fmt(fmt) "daxfs: " fmt

#include <linux/blkdev.h>
#include <linux/cdev.h>
#include <linux/dax.h>
#include <linux/device.h>
#include <linux/fs_context.h>
#include <linux/io.h>
#include <linux/ioport.h>
#include <linux/libnvdimm.h>
#include <linux/mm.h>
#include <linux/namei.h>
#include <linux/security.h>
#include "daxfs.h"

/*
 * How many pages from pgoff (at most want) the device maps contiguously from kaddr, poisoned or
 * not. DAX_RECOVERY_WRITE is the one mode in which the driver gives the address of a range with
 * bad blocks (pmem: the pages up to the first bad one, or that one alone): daxfs never writes
 * through it, it only learns where the image is. Every read and fault later asks the device
 * again with DAX_ACCESS, which refuses a bad range (daxfs_source_readable).
 */
static long daxfs_bdev_span(struct dax_device *dax_dev, pgoff_t pgoff, long want,
			    const void *kaddr, daxfs_pfn_t pfn)
{
	long done = 0, n;
	daxfs_pfn_t p;
	void *k;

	while (done < want) {
		n = dax_direct_access(dax_dev, pgoff + done, want - done, DAX_RECOVERY_WRITE, &k,
				      &p);
		if (n <= 0)
			break;
		/* pmem is one linear range; stop where a device is not. */
		if (k != kaddr + ((u64)done << PAGE_SHIFT) ||
		    daxfs_pfn_val(p) != daxfs_pfn_val(pfn) + done)
			break;
		done += n;
	}
	return done;
}

static int daxfs_open_bdev(struct fs_context *fc, struct daxfs_sb_info *sbi)
{
	struct daxfs_source *src = &sbi->src;
	struct block_device *bdev;
	u64 part_off, dev_size;
	__le64 total;
	pgoff_t pgoff;
	long avail, want;
	void *kaddr;
	daxfs_pfn_t pfn;
	int id, err;

	/* Exclusive against other filesystems and exclusive openers, shared by daxfs mounts (one
	 * holder for all) so several images of one pool device mount at once; plain writers (the
	 * pool writing new images elsewhere in the device) are not blocked.
	 */
	src->bdev = daxfs_bdev_open(fc->source, fc->fs_type);
	if (IS_ERR(src->bdev)) {
		int err = PTR_ERR(src->bdev);

		src->bdev = NULL;
		errorfc(fc, "cannot open %s: error %d", fc->source, err);
		return err;
	}
	bdev = daxfs_bdev(src->bdev);
	/* No holder: the dax_device has room for only one, and several mounts share it. */
	src->dax_dev = fs_dax_get_by_bdev(bdev, &part_off, NULL, NULL);
	if (!src->dax_dev)
		return invalfc(fc, "%s does not support DAX (is it an fsdax namespace?)",
			       fc->source);
	dev_size = bdev_nr_bytes(bdev);
	if (sbi->offset >= dev_size)
		return invalfc(fc, "offset=%llu is beyond the end of %s (%llu bytes)", sbi->offset,
			       fc->source, dev_size);
	src->dax_off = part_off + sbi->offset;
	pgoff = src->dax_off >> PAGE_SHIFT;
	want = (dev_size - sbi->offset) >> PAGE_SHIFT;
	/*
	 * The superblock's page first (it must be readable), then only as much as the image says
	 * it spans: a bad block elsewhere in the device (another image of the pool) is never
	 * looked at. Bad blocks inside the span do not fail the mount either: the metadata is
	 * checked when it is copied (super.c), file data at each access. If the size is
	 * nonsense, map the rest of the device and let the validator refuse the image.
	 */
	id = dax_read_lock();
	avail = dax_direct_access(src->dax_dev, pgoff, 1, DAX_ACCESS, &kaddr, &pfn);
	if (avail > 0)
		arch_invalidate_pmem(kaddr, PAGE_SIZE);	/* see inval.c */
	if (avail > 0 &&
	    !copy_mc_to_kernel(&total, (u8 *)kaddr + offsetof(struct daxfs_super, total_size),
			       sizeof(total))) {
		u64 pages = DIV_ROUND_UP(le64_to_cpu(total), PAGE_SIZE);

		if (pages > 1 && pages <= want)
			want = pages;
		avail = daxfs_bdev_span(src->dax_dev, pgoff, want, kaddr, pfn);
	}
	dax_read_unlock(id);
	/* pmem says -EHWPOISON since 6.2, -EIO before. */
	if (avail == -EHWPOISON || avail == -EIO) {
		errorfc(fc, "%s: the device reports a bad block in the image's superblock (offset %llu): not mounted",
			fc->source, sbi->offset);
		return -EIO;
	}
	if (avail <= 0)
		return invalfc(fc, "%s: direct access failed (%ld)", fc->source, avail);
	/* Join the device's holder: removal revokes the mount before the memory goes. */
	err = daxfs_holder_attach_bdev(sbi, bdev);
	if (err) {
		errorfc(fc, "%s: the dax device is going away", fc->source);
		return err;
	}
	src->kind = DAXFS_SRC_BDEV;
	src->kaddr = kaddr;
	src->len = (u64)min(avail, want) << PAGE_SHIFT;
	src->phys = PFN_PHYS(daxfs_pfn_val(pfn));
	/* Device pages only if a removal zaps the mappings before the memory map goes. */
	src->pfn_kind = daxfs_holder_notified(sbi) ? daxfs_dax_pfn_kind(pfn) : DAXFS_PFN_RAW;
	return 0;
}

/*
 * How many of pages [pgoff, pgoff + nr) the device gives from pgoff, asking again after a short
 * count (a device-mapper target ends there: not an error); fewer than nr with *err the error
 * that stopped it (-ENXIO for a count of 0).
 */
static long daxfs_dax_avail(const struct daxfs_source *src, pgoff_t pgoff, long nr, long *err)
{
	daxfs_pfn_t pfn;
	long done = 0, n;
	void *kaddr;

	while (done < nr) {
		n = dax_direct_access(src->dax_dev, pgoff + done, nr - done, DAX_ACCESS, &kaddr,
				      &pfn);
		if (n <= 0) {
			*err = n ?: -ENXIO;
			break;
		}
		done += n;
	}
	return done;
}

/* pmem refuses a range with a bad block: -EHWPOISON since 6.2, -EIO before. */
static bool daxfs_dax_poison(long err)
{
	return err == -EHWPOISON || err == -EIO;
}

/*
 * How many of the len bytes of the image at off may be read: len (*err = 0) unless the device
 * refuses some page. Then the bytes before the first refused page, and in *err why: -EIO if the
 * device reports a bad block there (poison), else -ENXIO (the device is going away, or failed
 * otherwise: not poison, so a fault gets a plain SIGBUS, not a machine-check one). Only fsdax
 * sources have a list of bad blocks (pmem's, checked in O(1) while it is empty); the others are
 * always readable (a machine check during the copy still fails it). In a device-access section
 * (dax_read_lock).
 */
u64 daxfs_source_readable(const struct daxfs_source *src, u64 off, u64 len, int *err)
{
	u64 start = src->dax_off + off;
	pgoff_t first, lo, hi, mid;
	long nr, e = 0, e2;

	*err = 0;
	if (src->kind != DAXFS_SRC_BDEV || !len)
		return len;
	first = start >> PAGE_SHIFT;
	nr = ((start + len - 1) >> PAGE_SHIFT) - first + 1;
	lo = daxfs_dax_avail(src, first, nr, &e);
	if (likely(lo == nr))
		return len;
	if (daxfs_dax_poison(e)) {
		/*
		 * A bad page in [lo, nr): bisect for the first one (pages [0, lo) clean, [0, hi]
		 * not).
		 */
		hi = nr - 1;
		while (lo < hi) {
			mid = lo + (hi - lo) / 2;
			if (daxfs_dax_avail(src, first, mid + 1, &e2) == mid + 1)
				lo = mid + 1;
			else
				hi = mid;
		}
		*err = -EIO;
	} else {
		*err = -ENXIO;
	}
	return lo ? ((u64)(first + lo) << PAGE_SHIFT) - start : 0;
}

/*
 * Map the part of [phys, phys + size) an image at byte offset of it spans: its superblock's
 * page first, then as much as total_size says (all of the rest if that is nonsense: the
 * validator then says what is wrong). Fills kaddr, len and phys of the source (not pfn_kind:
 * the caller knows what the frames are).
 */
static int daxfs_map_range(struct fs_context *fc, struct daxfs_source *src, u64 phys, u64 size,
			   u64 offset)
{
	u64 want = size - offset;
	__le64 total;
	void *p;

	p = memremap(phys + offset, PAGE_SIZE, MEMREMAP_WB);
	if (!p)
		return invalfc(fc, "cannot map %#llx", phys + offset);
	arch_invalidate_pmem(p, PAGE_SIZE);	/* see inval.c */
	if (!copy_mc_to_kernel(&total, p + offsetof(struct daxfs_super, total_size),
			       sizeof(total))) {
		u64 t = round_up(le64_to_cpu(total), PAGE_SIZE);

		if (t > PAGE_SIZE && t <= want)
			want = t;
	}
	memunmap(p);
	src->memremap_addr = memremap(phys + offset, want, MEMREMAP_WB);
	if (!src->memremap_addr)
		return invalfc(fc, "cannot map %#llx (+%#llx)", phys + offset, want);
	src->kaddr = src->memremap_addr;
	src->len = want;
	src->phys = phys + offset;
	return 0;
}

/*
 * The value of a sysfs attribute of dev (e.g. "size" of a dev_dax, "start" of its mappingN),
 * read through the attribute's own show(): no public API gives a dev_dax's range, and the
 * attributes are the driver's documented ABI (Documentation/ABI/testing/sysfs-bus-dax).
 */
static int daxfs_dev_attr(struct device *dev, const char *name, u64 *val)
{
	const struct attribute_group *const *groups[] = {
		dev->type ? dev->type->groups : NULL, dev->groups,
	};
	struct device_attribute *da = NULL;
	char *buf;
	ssize_t n;
	int i, j, k, err;

	for (i = 0; i < ARRAY_SIZE(groups) && !da; i++)
		for (j = 0; groups[i] && groups[i][j] && !da; j++)
			for (k = 0; groups[i][j]->attrs && groups[i][j]->attrs[k]; k++)
				if (!strcmp(groups[i][j]->attrs[k]->name, name)) {
					da = container_of(groups[i][j]->attrs[k],
							  struct device_attribute, attr);
					break;
				}
	if (!da || !da->show)
		return -ENOENT;
	buf = (char *)get_zeroed_page(GFP_KERNEL);	/* sysfs_emit wants a page */
	if (!buf)
		return -ENOMEM;
	n = da->show(dev, da, buf);
	err = n < 0 ? n : n == 0 || n >= PAGE_SIZE ? -EINVAL : kstrtou64(strim(buf), 0, val);
	free_page((unsigned long)buf);
	return err;
}

struct daxfs_range_walk {
	phys_addr_t start;
	u64 size;
	int count;
	int err;
};

/* One mappingN child of a dev_dax: a range [start, end] of the device, in order of N. */
static int daxfs_mapping(struct device *child, void *data)
{
	struct daxfs_range_walk *w = data;
	u64 start, end;
	int err;

	if (strncmp(dev_name(child), "mapping", 7))
		return 0;
	err = daxfs_dev_attr(child, "start", &start);
	if (!err)
		err = daxfs_dev_attr(child, "end", &end);
	if (err)
		goto bad;
	if (end < start)
		goto bad;
	if (!w->count)
		w->start = start;
	/* The children come in creation order; one contiguous run is all daxfs maps. */
	else if (start != w->start + w->size)
		goto bad;
	w->size += end - start + 1;
	w->count++;
	return 0;
bad:
	w->err = err ?: -EINVAL;
	return 1;
}

/*
 * A device-dax instance (/dev/daxX.Y, bound to device_dax): its physical range, found through
 * the char device's parent device (the dev_dax) and that device's attributes. The file stays
 * open while mounted: device_dax cannot be unloaded, and the dev_dax device stays allocated.
 * While mounted, an unbind of the driver leaves the range reserved by daxfs (holder.c), so it
 * cannot be onlined as System RAM under the mount.
 */
static int daxfs_open_devdax(struct fs_context *fc, struct daxfs_sb_info *sbi, struct file *file)
{
	struct daxfs_source *src = &sbi->src;
	struct inode *inode = file_inode(file);
	struct daxfs_range_walk w = {};
	struct device *dev;
	u64 size;
	int err;

	src->devdax_file = file;
	/*
	 * Only device_dax's char devices have their dev_dax as the cdev's parent kobject: check
	 * the owner of the file operations before treating that parent as a struct device.
	 */
	if (!inode->i_cdev || !inode->i_cdev->kobj.parent || !file->f_op->owner ||
	    strcmp(module_name(file->f_op->owner), "device_dax"))
		return invalfc(fc, "%s is neither an fsdax block device nor a device-dax instance",
			       fc->source);
	dev = kobj_to_dev(inode->i_cdev->kobj.parent);
	if (dev->devt != inode->i_rdev || !dev->bus || strcmp(dev->bus->name, "dax"))
		return invalfc(fc, "%s: not a device-dax instance", fc->source);
	err = daxfs_dev_attr(dev, "size", &size);
	if (!err)
		device_for_each_child(dev, &w, daxfs_mapping);
	if (err || w.err || !w.count || w.size != size || !size ||
	    w.start + w.size - 1 < w.start) {
		errorfc(fc, "%s: cannot resolve its physical range (error %d, %d ranges, %#llx of %#llx bytes)",
			fc->source, err ?: w.err, w.count, w.size, size);
		return -EINVAL;
	}
	if (!PAGE_ALIGNED(w.start) || !PAGE_ALIGNED(w.size))
		return invalfc(fc, "%s: range %pa+%#llx is not page aligned", fc->source, &w.start,
			       w.size);
	if (sbi->offset >= w.size)
		return invalfc(fc, "offset=%llu is beyond the end of %s (%llu bytes)", sbi->offset,
			       fc->source, w.size);
	if (region_intersects(w.start, w.size, IORESOURCE_SYSTEM_RAM, IORES_DESC_NONE) !=
	    REGION_DISJOINT)
		return invalfc(fc, "%s: range %pa+%#llx intersects System RAM (system-ram mode?)",
			       fc->source, &w.start, w.size);
	err = daxfs_holder_attach_devdax(sbi, dev, w.start, w.size);
	if (err) {
		errorfc(fc, "%s: not bound to device_dax", fc->source);
		return err;
	}
	err = daxfs_map_range(fc, src, w.start, w.size, sbi->offset);
	if (err)
		return err;
	src->kind = DAXFS_SRC_DEVDAX;
	return 0;
}

/* SRC names a block device (fsdax) or a char device (device-dax). */
static int daxfs_open_path(struct fs_context *fc, struct daxfs_sb_info *sbi)
{
	struct file *file;
	struct path path;
	umode_t mode;
	int err;

	if (!fc->source)
		return invalfc(fc, "no source: give an fsdax block device, a device-dax instance, or phys= and size=");
	err = kern_path(fc->source, LOOKUP_FOLLOW, &path);
	if (err) {
		errorfc(fc, "cannot find %s: error %d", fc->source, err);
		return err;
	}
	mode = d_backing_inode(path.dentry)->i_mode;
	path_put(&path);
	if (!S_ISCHR(mode))
		return daxfs_open_bdev(fc, sbi);
	/* Opened like any opener of the path would: the caller needs permission on the node. */
	/* O_NONBLOCK | O_NOCTTY: a char device that is not dax must not block or become a tty. */
	file = filp_open(fc->source, O_RDONLY | O_LARGEFILE | O_NONBLOCK | O_NOCTTY, 0);
	if (IS_ERR(file)) {
		err = PTR_ERR(file);
		if (err == -ENXIO)
			errorfc(fc, "cannot open %s: no such device (a device-dax instance without its device_dax driver, e.g. in system-ram mode?)",
				fc->source);
		else
			errorfc(fc, "cannot open %s: error %d", fc->source, err);
		return err;
	}
	if (!S_ISCHR(file_inode(file)->i_mode)) {
		fput(file);
		return invalfc(fc, "%s changed while mounting", fc->source);
	}
	return daxfs_open_devdax(fc, sbi, file);
}

/*
 * The claims of phys= mounts on iomem: one per distinct range, shared by the mounts of exactly
 * that range (several images at different offsets of one range mount at once, as by path).
 */
struct daxfs_phys_claim {
	struct list_head node;
	phys_addr_t start;
	u64 size;
	struct resource *res;
	unsigned int users;
};

static LIST_HEAD(daxfs_phys_claims);
static DEFINE_MUTEX(daxfs_phys_lock);

/*
 * Hold [start, start + size) in iomem for the mount's life, as a driver holds its device's
 * range: a range a bound driver owns (a pmem namespace, a device-dax instance, another claim
 * that is not exactly this one) is refused with EBUSY, and while mounted no such driver can
 * bind to the range (/proc/iomem shows "daxfs").
 */
static struct daxfs_phys_claim *daxfs_phys_claim(phys_addr_t start, u64 size)
{
	struct daxfs_phys_claim *c;

	mutex_lock(&daxfs_phys_lock);
	list_for_each_entry(c, &daxfs_phys_claims, node) {
		if (c->start == start && c->size == size) {
			c->users++;
			goto out;
		}
	}
	c = kzalloc(sizeof(*c), GFP_KERNEL);
	if (!c) {
		c = ERR_PTR(-ENOMEM);
		goto out;
	}
	c->res = request_mem_region(start, size, "daxfs");
	if (!c->res) {
		kfree(c);
		c = ERR_PTR(-EBUSY);
		goto out;
	}
	c->start = start;
	c->size = size;
	c->users = 1;
	list_add(&c->node, &daxfs_phys_claims);
out:
	mutex_unlock(&daxfs_phys_lock);
	return c;
}

static void daxfs_phys_release(struct daxfs_phys_claim *c)
{
	mutex_lock(&daxfs_phys_lock);
	if (!--c->users) {
		list_del(&c->node);
		release_mem_region(c->start, c->size);
		kfree(c);
	}
	mutex_unlock(&daxfs_phys_lock);
}

static int daxfs_open_phys(struct fs_context *fc, struct daxfs_sb_info *sbi)
{
	struct daxfs_source *src = &sbi->src;
	u64 phys = sbi->phys, size = sbi->phys_size;
	struct daxfs_phys_claim *claim;

	/* Raw physical memory, as through /dev/mem: CAP_SYS_RAWIO too, not only the mount's. */
	if (!capable(CAP_SYS_ADMIN) || !capable(CAP_SYS_RAWIO)) {
		errorfc(fc, "phys= needs CAP_SYS_RAWIO");
		return -EPERM;
	}
	/* Like /dev/mem: raw physical memory is off limits under lockdown. */
	if (security_locked_down(LOCKDOWN_DEV_MEM)) {
		errorfc(fc, "phys= is not allowed under kernel lockdown");
		return -EPERM;
	}
	if (!size)
		return invalfc(fc, "phys= needs size=");
	if (!PAGE_ALIGNED(phys) || !PAGE_ALIGNED(size) || phys + size < phys)
		return invalfc(fc, "phys=%#llx size=%#llx must be page aligned and not wrap", phys,
			       size);
	if (sbi->offset >= size)
		return invalfc(fc, "offset=%llu is beyond size=%llu", sbi->offset, size);
	if (region_intersects(phys, size, IORESOURCE_SYSTEM_RAM, IORES_DESC_NONE) !=
	    REGION_DISJOINT)
		return invalfc(fc, "phys=%#llx size=%#llx intersects System RAM", phys, size);
	claim = daxfs_phys_claim(phys, size);
	if (IS_ERR(claim)) {
		if (PTR_ERR(claim) == -EBUSY)
			errorfc(fc, "phys=%#llx size=%#llx is busy: a driver or another daxfs mount (of a different range) owns part of it (mount a device-dax instance or fsdax device by its path)",
				phys, size);
		return PTR_ERR(claim);
	}
	src->phys_claim = claim;
	src->memremap_addr = memremap(phys, size, MEMREMAP_WB);
	if (!src->memremap_addr)
		return invalfc(fc, "cannot map phys=%#llx size=%#llx", phys, size);
	src->kind = DAXFS_SRC_PHYS;
	src->kaddr = (const u8 *)src->memremap_addr + sbi->offset;
	src->len = size - sbi->offset;
	src->phys = phys + sbi->offset;
	/* Not in the memory map: mapped as raw pfns, never by PMDs (compat.h). */
	src->pfn_kind = DAXFS_PFN_RAW;
	return 0;
}

int daxfs_source_open(struct fs_context *fc, struct daxfs_sb_info *sbi)
{
	if (!PAGE_ALIGNED(sbi->offset))
		return invalfc(fc, "offset=%llu is not a multiple of %lu", sbi->offset, PAGE_SIZE);
	if (sbi->phys_set && sbi->dmabuf)
		return invalfc(fc, "phys= and dmabuf= exclude each other");
	if (sbi->size_set && !sbi->phys_set)
		return invalfc(fc, "size= goes with phys=");
	if (sbi->dmabuf)
		return daxfs_open_dmabuf(fc, sbi);
	if (sbi->phys_set)
		return daxfs_open_phys(fc, sbi);
	return daxfs_open_path(fc, sbi);
}

/*
 * The page frame of byte off (page aligned) of the image, for mapping it into a process, and
 * what it is (read once: a device-dax source's frames stop being device pages at an unbind).
 * Not for dma-bufs: file.c maps their pages (daxfs_source_page), as pages or raw frames.
 */
daxfs_pfn_t daxfs_source_pfn(const struct daxfs_source *src, u64 off,
			     enum daxfs_pfn_kind *kind)
{
	*kind = READ_ONCE(src->pfn_kind);
	return daxfs_mkpfn(PHYS_PFN(src->phys + off), *kind);
}

void daxfs_source_close(struct daxfs_source *src)
{
	if (src->dax_dev)
		fs_put_dax(src->dax_dev, NULL);
	if (src->bdev)
		daxfs_bdev_close(src->bdev);
	if (src->memremap_addr)
		memunmap(src->memremap_addr);
	if (src->devdax_file)
		fput(src->devdax_file);
	if (src->phys_claim)
		daxfs_phys_release(src->phys_claim);
	if (src->dmabuf)
		daxfs_dmabuf_close(src);
	memset(src, 0, sizeof(*src));
}
