// SPDX-License-Identifier: GPL-2.0-only
/*
 * holder.c - what keeps a mount's memory valid, and what happens when the device goes away.
 *
 * Mounts of one device share a holder (a small registry, one entry per dax_device for fsdax
 * block devices and per dev_dax device for device-dax instances):
 *
 * - fsdax: the entry is the dax_device's holder (fs_dax_get_by_bdev with holder ops), so
 *   kill_dax() on a driver unbind calls daxfs_notify_failure(MF_MEM_PRE_REMOVE; before 6.6 no
 *   flag and the whole device, see compat.h) before the memory goes: every mount of the device
 *   is revoked (see below). If another holder already owns the dax_device (e.g. a filesystem
 *   on another partition), the mounts still check dax_alive() under dax_read_lock() on every
 *   access, but their existing mappings cannot be zapped on removal: pmem's unbind then frees
 *   the memory map under them. So such mounts map raw frames (special PTEs, no PMD, as
 *   device-dax by default), which no page-table walker (/proc/PID/pagemap, smaps) and no GUP
 *   turns into a struct page; the memory itself stays mapped until the mappings go.
 * - device-dax: a bus notifier on the dax bus. Nothing can refuse a driver unbind; once the
 *   device_dax driver is gone (and with it its reservation of the range), the entry reserves the
 *   whole range in iomem itself, under the device lock, before any other driver can bind. So
 *   kmem cannot claim the range (daxctl reconfigure-device -m system-ram fails) and the mounts
 *   keep working on memory nobody else owns, until the last of them is unmounted.
 *   By default the mounts map the range as raw frames (special PTEs, which GUP cannot pin):
 *   device_dax's unbind frees its memory map and direct map (memunmap_pages) without waiting
 *   for page references, so a pin held across it would be a use-after-free. With -o devpages
 *   (trusted setups) the mounts map device pages while device_dax is bound, with PMDs where
 *   aligned (compat.h); the unbind frees that memory map, so just
 *   before it the mounts' mappings are zapped and from then on they map raw frames (4 KiB
 *   special PTEs): the memory stays, the struct pages do not.
 *
 * Revoking a mount: it is marked dead, in-flight readers are waited for (daxfs_srcu) and every
 * mapping of its files is zapped; later reads fail with EIO and faults with SIGBUS.
 *
 * fsdax memory failures (poison) come the same way, without MF_MEM_PRE_REMOVE: the range is
 * recorded in the device's bad blocks, which every read and fault checks (source.c), the
 * processes mapping the pages that asked for it are signalled early (mf.c) and the pages are
 * unmapped from the files mapping them (daxfs_poison).
 */
#define pr_fmt(fmt) "daxfs: " fmt

#include <linux/badblocks.h>
#include <linux/blkdev.h>
#include <linux/dax.h>
#include <linux/device.h>
#include <linux/fs.h>
#include <linux/ioport.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/srcu.h>
#include "daxfs.h"

DEFINE_STATIC_SRCU(daxfs_srcu);

struct daxfs_holder {
	struct list_head node;		/* in daxfs_holders */
	struct list_head mounts;	/* daxfs_sb_info.holder_node: live mounts */
	unsigned int refs;		/* mounts attached and not yet put */
	struct dax_device *dax_dev;	/* fsdax: the device, taken with this entry as holder */
	bool holding;			/* fsdax: the holder really is this entry */
	struct device *dev;		/* device-dax: the dev_dax device (referenced) */
	phys_addr_t start;		/* device-dax: its whole range */
	u64 size;
	struct resource *claim;		/* device-dax: the range, reserved after its driver left */
	bool dead;			/* removed: no new mounts */
};

static LIST_HEAD(daxfs_holders);
static DEFINE_MUTEX(daxfs_holders_lock);

/* The dax bus notifier, registered while device-dax mounts exist (never taken inside it). */
static DEFINE_MUTEX(daxfs_nb_lock);
static typeof(((struct device *)NULL)->bus) daxfs_nb_bus;	/* const on 6.12, not on 6.1 */
static unsigned int daxfs_nb_users;

bool daxfs_access_begin(struct daxfs_sb_info *sbi, struct daxfs_access *a)
{
	a->srcu = srcu_read_lock(&daxfs_srcu);
	if (READ_ONCE(sbi->dead))
		goto dead;
	if (sbi->src.dax_dev) {
		a->dax = dax_read_lock();
		if (!dax_alive(sbi->src.dax_dev)) {
			dax_read_unlock(a->dax);
			goto dead;
		}
	}
	return true;
dead:
	srcu_read_unlock(&daxfs_srcu, a->srcu);
	return false;
}

void daxfs_access_end(struct daxfs_sb_info *sbi, struct daxfs_access *a)
{
	if (sbi->src.dax_dev)
		dax_read_unlock(a->dax);
	srcu_read_unlock(&daxfs_srcu, a->srcu);
}

/*
 * Zap every mapping of the mount's files (the pattern of drop_pagecache_sb). Not even_cows: a
 * private mapping's copied-on-write pages (a program's .data, GOT) are the process's own
 * anonymous memory and stay; the file's own PTEs and PMDs (special, devmap, dma-buf pages:
 * none anonymous) all go.
 */
static void daxfs_zap_mappings(struct super_block *sb)
{
	struct inode *inode, *toput = NULL;

	spin_lock(&sb->s_inode_list_lock);
	list_for_each_entry(inode, &sb->s_inodes, i_sb_list) {
		spin_lock(&inode->i_lock);
		if ((daxfs_inode_state(inode) & (I_FREEING | I_WILL_FREE | I_NEW)) ||
		    !S_ISREG(inode->i_mode)) {
			spin_unlock(&inode->i_lock);
			continue;
		}
		__iget(inode);
		spin_unlock(&inode->i_lock);
		spin_unlock(&sb->s_inode_list_lock);
		unmap_mapping_range(inode->i_mapping, 0, 0, 0);
		iput(toput);
		toput = inode;
		cond_resched();
		spin_lock(&sb->s_inode_list_lock);
	}
	spin_unlock(&sb->s_inode_list_lock);
	iput(toput);
}

/*
 * Called with daxfs_holders_lock held. Every live mount is marked dead first, then one grace
 * period lets the reads and faults in flight finish, then the mappings go.
 */
static void daxfs_revoke(struct daxfs_holder *h, const char *why)
{
	struct daxfs_sb_info *sbi;
	bool any = false;

	h->dead = true;
	list_for_each_entry(sbi, &h->mounts, holder_node) {
		if (sbi->dead)
			continue;
		WRITE_ONCE(sbi->dead, true);
		sbi->revoked = true;
		any = true;
	}
	if (!any)
		return;
	synchronize_srcu(&daxfs_srcu);
	list_for_each_entry(sbi, &h->mounts, holder_node) {
		if (!sbi->revoked)
			continue;
		sbi->revoked = false;
		daxfs_zap_mappings(sbi->sb);
		pr_err("%s: %s: mount revoked (reads fail with EIO, mappings are gone)\n",
		       sbi->source ?: "daxfs", why);
	}
}

/*
 * Drop the mappings of the mount's files whose pages (whole pages of their extents) overlap
 * [off, off + len) of the dax device. Only inodes in memory can be mapped (ilookup: a file not
 * in the inode cache has no mappings). The snapshot gives every file's extent. Just before
 * each file's pages go, the processes mapping them are collected into mf for the early kill
 * (mf.c): only the page tables still tell which ones map the page.
 */
static unsigned int daxfs_poison_unmap(struct daxfs_sb_info *sbi, u64 off, u64 len,
				       struct daxfs_mf *mf)
{
	u64 base = sbi->src.dax_off, start, end;
	unsigned int ino, count, files = 0;

	/* A mount still being made has no snapshot yet, and no file of it can be mapped. */
	if (!sbi->ready || off + len <= base || off >= base + sbi->total_size)
		return 0;
	start = off > base ? off - base : 0;
	end = min(off + len - base, sbi->total_size);
	count = le32_to_cpu(sbi->super->inode_count);
	for (ino = DAXFS_ROOT_INO; ino <= count; ino++) {
		const struct daxfs_inode *di = &sbi->inodes[ino - 1];
		u64 data = le64_to_cpu(di->data), size = le64_to_cpu(di->size);
		u64 fend = data + round_up(size, PAGE_SIZE);
		struct inode *inode;
		pgoff_t first, last;

		if (!S_ISREG(le16_to_cpu(di->mode)) || !size || fend <= start || data >= end)
			continue;
		inode = ilookup(sbi->sb, ino);
		if (!inode)
			continue;
		first = (max(start, data) - data) >> PAGE_SHIFT;
		last = (min(end, fend) - 1 - data) >> PAGE_SHIFT;
		daxfs_mf_collect(mf, inode->i_mapping, first, last,
				 PHYS_PFN(sbi->src.phys + data + ((u64)first << PAGE_SHIFT)));
		unmap_mapping_pages(inode->i_mapping, first, last - first + 1, false);
		iput(inode);
		files++;
		cond_resched();
	}
	return files;
}

/*
 * Poison at [off, off + len) of h's dax device (memory_failure() through the pmem driver's
 * pagemap). Called with daxfs_holders_lock held. 0 once the range is recorded as bad blocks,
 * -EIO if it could not be (the device's table is full, or it keeps none): memory_failure()
 * then reports the error as not recovered (MF_FAILED; on a real machine check the task that
 * hit it is killed and the page stays in the direct map) instead of letting a later fault map
 * the poisoned frame again, machine check after machine check.
 *
 * The range is added to the device's own list of bad blocks (the disk's badblocks, which pmem
 * keeps and checks in its direct access, and which a write clearing the poison clears): from
 * then on every read and fault of any mount of the device asks the device and fails there
 * (EIO, SIGBUS with BUS_MCEERR_AR), as after a bad block found by the platform. Then, after the
 * reads and faults in flight, the pages are unmapped from every process mapping them: each
 * gets SIGBUS with BUS_MCEERR_AR at its next touch of them. Those that asked for early kill
 * (prctl PR_MCE_KILL_EARLY, or every one with daxfs.memory_failure_early_kill=1) get SIGBUS
 * with BUS_MCEERR_AO at once, as the kernel does for fsdax pages of XFS: mf_dax_kill_procs()
 * cannot, it finds the processes through fs/dax.c's entries in the file's page cache, which
 * daxfs mappings do not have; mf.c walks the files' mappings and page tables instead. With
 * MF_ACTION_REQUIRED in mf_flags the caller, if it maps the page, gets SIGBUS with
 * BUS_MCEERR_AR at once, as the kernel's kill_proc() sends it.
 */
static int daxfs_poison(struct daxfs_holder *h, u64 off, u64 len, int mf_flags)
{
	struct block_device *bdev = NULL;
	struct daxfs_sb_info *sbi;
	unsigned int files = 0, sent;
	struct daxfs_mf mf;
	char lost[64] = "";
	bool recorded;
	u64 sectors;

	/* No live mount: nothing of daxfs maps or reads the device. */
	list_for_each_entry(sbi, &h->mounts, holder_node) {
		bdev = daxfs_bdev(sbi->src.bdev);
		break;
	}
	if (!bdev)
		return 0;
	/* pmem's dax device and its disk count from the same first byte, in 512-byte sectors. */
	sectors = (round_up(off + len, SECTOR_SIZE) >> SECTOR_SHIFT) - (off >> SECTOR_SHIFT);
	recorded = bdev->bd_disk->bb && sectors <= INT_MAX &&
		   daxfs_badblocks_set(bdev->bd_disk->bb, off >> SECTOR_SHIFT, sectors);
	/* Unmapped either way: the next touch faults, and a recorded range then SIGBUSes. */
	synchronize_srcu(&daxfs_srcu);
	daxfs_mf_init(&mf);
	list_for_each_entry(sbi, &h->mounts, holder_node)
		if (!READ_ONCE(sbi->dead))
			files += daxfs_poison_unmap(sbi, off, len, &mf);
	/* The memory is bad either way: whoever asked to know hears of it now. */
	sent = daxfs_mf_kill(&mf, mf_flags);
	/* Mappings found but not recorded (no memory): their processes may not be told early. */
	if (mf.lost)
		snprintf(lost, sizeof(lost), ", %u not signalled early: out of memory", mf.lost);
	if (!recorded) {
		pr_err("%pg: memory failure at %#llx (+%#llx): cannot record it in the device's bad blocks (table full?): reported as not recovered, %u mounted file(s) unmapped there, %u early-kill signal(s) sent%s\n",
		       bdev, off, len, files, sent, lost);
		return -EIO;
	}
	pr_err("%pg: memory failure at %#llx (+%#llx): recorded as bad blocks, %u mounted file(s) unmapped there, %u early-kill signal(s) sent%s (SIGBUS on the next touch, reads fail with EIO)\n",
	       bdev, off, len, files, sent, lost);
	return 0;
}

static int daxfs_notify_failure(struct dax_device *dax_dev, u64 off, u64 len, int mf_flags)
{
	bool removal = daxfs_mf_removal(off, len, mf_flags);
	struct daxfs_holder *h;
	int err = 0;

	/*
	 * Not dax_holder(): the last umount may release the holder and free the entry while this
	 * waits for the lock. Under the lock, an entry that still holds this device is live, and
	 * so are its mounts (an umount leaves the list under the lock before its inodes go).
	 */
	mutex_lock(&daxfs_holders_lock);
	list_for_each_entry(h, &daxfs_holders, node) {
		if (h->holding && h->dax_dev == dax_dev) {
			if (removal)
				daxfs_revoke(h, "the dax device is being removed");
			else
				err = daxfs_poison(h, off, len, mf_flags);
			break;
		}
	}
	mutex_unlock(&daxfs_holders_lock);
	return err;
}

static const struct dax_holder_operations daxfs_holder_ops = {
	.notify_failure = daxfs_notify_failure,
};

/*
 * device_dax is leaving h's device (the device lock is held, its memory map is still there):
 * the mounts stop mapping device pages, then the mappings made with them go. A fault in flight
 * finishes first (one grace period), so none inserts a device page after the zap.
 */
static void daxfs_drop_devpages(struct daxfs_holder *h)
{
	struct daxfs_sb_info *sbi;
	bool any = false;

	list_for_each_entry(sbi, &h->mounts, holder_node) {
		if (sbi->src.pfn_kind != DAXFS_PFN_DEVPAGE)
			continue;
		WRITE_ONCE(sbi->src.pfn_kind, DAXFS_PFN_RAW);
		any = true;
	}
	if (!any)
		return;
	synchronize_srcu(&daxfs_srcu);
	list_for_each_entry(sbi, &h->mounts, holder_node)
		if (!sbi->dead)
			daxfs_zap_mappings(sbi->sb);
	pr_info("%s: its memory map goes with device_dax: mappings dropped, remapped with 4 KiB pages on the next access\n",
		dev_name(h->dev));
}

/* Whether [start, start + size) is device memory with a memory map (device_dax bound). */
static bool daxfs_has_devpages(phys_addr_t start, u64 size)
{
	unsigned long first = PHYS_PFN(start), last = PHYS_PFN(start + size - 1);

	return pfn_valid(first) && pfn_valid(last) && is_zone_device_page(pfn_to_page(first)) &&
	       is_zone_device_page(pfn_to_page(last));
}

static int daxfs_bus_notify(struct notifier_block *nb, unsigned long action, void *data)
{
	struct device *dev = data;
	struct daxfs_holder *h;

	if (action != BUS_NOTIFY_UNBIND_DRIVER && action != BUS_NOTIFY_UNBOUND_DRIVER)
		return NOTIFY_DONE;
	/* The device lock is held: no other driver binds before this returns. */
	mutex_lock(&daxfs_holders_lock);
	list_for_each_entry(h, &daxfs_holders, node) {
		if (h->dev != dev || h->dead)
			continue;
		if (action == BUS_NOTIFY_UNBIND_DRIVER) {
			pr_warn("%s: its driver is being unbound while daxfs mounts it\n",
				dev_name(dev));
			daxfs_drop_devpages(h);
		} else if (!h->claim) {
			h->claim = request_mem_region(h->start, h->size, "daxfs");
			if (h->claim)
				pr_warn("%s: unbound while mounted: daxfs keeps [%pa+%#llx] reserved until the last umount (no system-ram, no rebinding until then)\n",
					dev_name(dev), &h->start, h->size);
			else
				daxfs_revoke(h, "device-dax range taken by another driver");
		}
		break;
	}
	mutex_unlock(&daxfs_holders_lock);
	return NOTIFY_DONE;
}

static struct notifier_block daxfs_bus_nb = {
	.notifier_call = daxfs_bus_notify,
};

static struct daxfs_holder *daxfs_holder_new(void)
{
	struct daxfs_holder *h = kzalloc(sizeof(*h), GFP_KERNEL);

	if (h) {
		INIT_LIST_HEAD(&h->mounts);
		list_add(&h->node, &daxfs_holders);
	}
	return h;
}

/*
 * fsdax: join (or create) the entry of the block device's dax_device. The mount keeps its own
 * reference (src->dax_dev); the entry holds another, as the dax_device's holder if it can.
 */
int daxfs_holder_attach_bdev(struct daxfs_sb_info *sbi, struct block_device *bdev)
{
	struct daxfs_holder *h;
	int err = 0, id;
	bool alive;
	u64 off;

	mutex_lock(&daxfs_holders_lock);
	list_for_each_entry(h, &daxfs_holders, node)
		if (h->dax_dev == sbi->src.dax_dev)
			goto found;
	h = daxfs_holder_new();
	if (!h) {
		err = -ENOMEM;
		goto out;
	}
	/*
	 * Ask to be the holder only when there is none: on a conflict fs_dax_get_by_bdev()
	 * returns NULL without dropping the reference it took.
	 */
	h->dax_dev = dax_holder(sbi->src.dax_dev) ? NULL :
		     fs_dax_get_by_bdev(bdev, &off, h, &daxfs_holder_ops);
	h->holding = !!h->dax_dev;
	if (!h->dax_dev) {
		/*
		 * Someone else is the holder. The entry still takes a plain reference: its key
		 * must stay this dax_device (not a freed one whose address is reused) for as long
		 * as the entry lives, which may be longer than the mount that made it.
		 */
		pr_info("%pg: the dax device has another holder: removal is not notified to daxfs\n",
			bdev);
		h->dax_dev = fs_dax_get_by_bdev(bdev, &off, NULL, NULL);
		if (!h->dax_dev) {
			list_del(&h->node);
			kfree(h);
			err = -ENXIO;
			goto out;
		}
	}
found:
	/* A removal notified before this entry held the device: see it now. */
	id = dax_read_lock();
	alive = dax_alive(sbi->src.dax_dev);
	dax_read_unlock(id);
	h->refs++;
	sbi->holder = h;
	if (h->dead || !alive)
		err = -ENXIO;
	else
		list_add(&sbi->holder_node, &h->mounts);
out:
	mutex_unlock(&daxfs_holders_lock);
	return err;
}

/*
 * fsdax: whether the mount's entry is the dax_device's holder, so that a removal is notified
 * to it before the memory map goes (fixed when the entry is made).
 */
bool daxfs_holder_notified(const struct daxfs_sb_info *sbi)
{
	return sbi->holder && sbi->holder->holding;
}

/*
 * device-dax: join (or create) the entry of the dev_dax device. Fails if the device is not
 * bound to device_dax once the entry exists (from then on an unbind is seen by the notifier).
 */
int daxfs_holder_attach_devdax(struct daxfs_sb_info *sbi, struct device *dev, phys_addr_t start,
			       u64 size)
{
	struct daxfs_holder *h;
	bool bound;
	int err = 0;

	mutex_lock(&daxfs_nb_lock);
	if (!daxfs_nb_users) {
		err = bus_register_notifier(dev->bus, &daxfs_bus_nb);
		if (err) {
			mutex_unlock(&daxfs_nb_lock);
			return err;
		}
		daxfs_nb_bus = dev->bus;
	}
	daxfs_nb_users++;
	mutex_unlock(&daxfs_nb_lock);
	sbi->nb_user = true;

	mutex_lock(&daxfs_holders_lock);
	list_for_each_entry(h, &daxfs_holders, node) {
		if (h->dev != dev)
			continue;
		/* A revoked entry, or one whose device was reconfigured since: never joined. */
		if (h->dead || h->start != start || h->size != size) {
			mutex_unlock(&daxfs_holders_lock);
			pr_err("%s: still held by earlier mounts from before it was unbound or resized; unmount them first\n",
			       dev_name(dev));
			return -EBUSY;
		}
		goto found;
	}
	h = daxfs_holder_new();
	if (!h) {
		mutex_unlock(&daxfs_holders_lock);
		return -ENOMEM;
	}
	h->dev = get_device(dev);
	h->start = start;
	h->size = size;
found:
	h->refs++;
	sbi->holder = h;
	list_add(&sbi->holder_node, &h->mounts);
	mutex_unlock(&daxfs_holders_lock);

	/*
	 * Not under daxfs_holders_lock: the notifier takes it with the device lock held. Under
	 * the device lock the driver stays bound, and an unbind after it sees this mount in the
	 * entry (daxfs_drop_devpages).
	 */
	device_lock(dev);
	bound = dev->driver && !strcmp(dev->driver->name, "device_dax");
	sbi->src.pfn_kind = sbi->devpages && bound && daxfs_has_devpages(start, size) ?
			    DAXFS_PFN_DEVPAGE : DAXFS_PFN_RAW;
	device_unlock(dev);
	return bound ? 0 : -ENXIO;
}

/* The mount's snapshot is in place: a memory failure may now look at its files. */
void daxfs_holder_ready(struct daxfs_sb_info *sbi)
{
	mutex_lock(&daxfs_holders_lock);
	sbi->ready = true;
	mutex_unlock(&daxfs_holders_lock);
}

/* Leave the entry's live mounts: before the superblock's inodes go (a revocation walks them). */
void daxfs_holder_detach(struct daxfs_sb_info *sbi)
{
	if (!sbi->holder)
		return;
	mutex_lock(&daxfs_holders_lock);
	list_del_init(&sbi->holder_node);
	mutex_unlock(&daxfs_holders_lock);
}

/*
 * Drop the mount's reference to the entry, after its source is closed: the last one releases
 * the dax_device's holder, the reserved range and the device.
 */
void daxfs_holder_put(struct daxfs_sb_info *sbi)
{
	struct daxfs_holder *h = sbi->holder;
	struct device *dev = NULL;

	if (h) {
		mutex_lock(&daxfs_holders_lock);
		list_del_init(&sbi->holder_node);
		if (!--h->refs) {
			list_del(&h->node);
			if (h->dax_dev)		/* fsdax entries only */
				fs_put_dax(h->dax_dev, h->holding ? h : NULL);
			if (h->claim)
				release_mem_region(h->start, h->size);
			dev = h->dev;
			kfree(h);
		}
		mutex_unlock(&daxfs_holders_lock);
		/* Outside the lock: the release of a dev_dax takes the dax rwsems. */
		put_device(dev);
		sbi->holder = NULL;
	}
	if (sbi->nb_user) {
		mutex_lock(&daxfs_nb_lock);
		if (!--daxfs_nb_users)
			bus_unregister_notifier(daxfs_nb_bus, &daxfs_bus_nb);
		mutex_unlock(&daxfs_nb_lock);
		sbi->nb_user = false;
	}
}
