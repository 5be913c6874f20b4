// SPDX-License-Identifier: GPL-2.0-only
/*
 * sysfs.c - per-mount introspection: /sys/fs/daxfs/MAJOR:MINOR/, named by the superblock's
 * (anonymous) device number as /proc/self/mountinfo's third field and stat's st_dev show it.
 * Read-only attributes: the mount's source and what the image is (from the validated snapshot:
 * nothing here reads the shared memory), and whether the source was revoked.
 */
#include <linux/fs.h>
#include <linux/kobject.h>
#include <linux/slab.h>
#include <linux/sysfs.h>
#include "daxfs.h"

static struct kset *daxfs_kset;

static struct daxfs_sb_info *kobj_sbi(struct kobject *kobj)
{
	return container_of(kobj, struct daxfs_sb_info, kobj);
}

static const char *const daxfs_kind_names[] = {
	[DAXFS_SRC_BDEV] = "fsdax",
	[DAXFS_SRC_PHYS] = "phys",
	[DAXFS_SRC_DMABUF] = "dmabuf",
	[DAXFS_SRC_DEVDAX] = "devdax",
};

static ssize_t source_show(struct kobject *kobj, struct kobj_attribute *attr, char *buf)
{
	struct daxfs_sb_info *sbi = kobj_sbi(kobj);

	return sysfs_emit(buf, "%s\n", sbi->source ?: "none");
}

static ssize_t kind_show(struct kobject *kobj, struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%s\n", daxfs_kind_names[kobj_sbi(kobj)->src.kind]);
}

static ssize_t offset_show(struct kobject *kobj, struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%llu\n", kobj_sbi(kobj)->offset);
}

static ssize_t size_show(struct kobject *kobj, struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%llu\n", kobj_sbi(kobj)->total_size);
}

static ssize_t uuid_show(struct kobject *kobj, struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%pUb\n", kobj_sbi(kobj)->super->uuid);
}

/* As daxpool's JSON shows it: the algorithm, a colon, the digest in hex. */
static ssize_t digest_show(struct kobject *kobj, struct kobj_attribute *attr, char *buf)
{
	const struct daxfs_super *ds = kobj_sbi(kobj)->super;

	/* The validator accepts no other digest_type. */
	return sysfs_emit(buf, "xxh3-128:%*phN\n", (int)sizeof(ds->digest), ds->digest);
}

static ssize_t label_show(struct kobject *kobj, struct kobj_attribute *attr, char *buf)
{
	/* NUL-terminated within the field: validated. */
	return sysfs_emit(buf, "%s\n", kobj_sbi(kobj)->super->label);
}

/* 1 once the source went away under the mount (holder.c): reads EIO, faults SIGBUS. */
static ssize_t revoked_show(struct kobject *kobj, struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%d\n", READ_ONCE(kobj_sbi(kobj)->dead) ? 1 : 0);
}

/* Bytes of the image whose cache lines this mount dropped so far (inval.c). */
static ssize_t invalidated_bytes_show(struct kobject *kobj, struct kobj_attribute *attr,
				      char *buf)
{
	return sysfs_emit(buf, "%lld\n", (long long)atomic64_read(&kobj_sbi(kobj)->inval_bytes));
}

/* Pages invalidation skipped because the device reports them bad (fsdax, inval.c). */
static ssize_t invalidation_skipped_pages_show(struct kobject *kobj, struct kobj_attribute *attr,
					       char *buf)
{
	return sysfs_emit(buf, "%lld\n",
			  (long long)atomic64_read(&kobj_sbi(kobj)->inval_skipped));
}

/*
 * Test hook (inval.c, module parameter check_invalidation at mount): pages served before this
 * mount invalidated their cache lines; "unchecked" for a mount made without it.
 */
static ssize_t uninvalidated_served_show(struct kobject *kobj, struct kobj_attribute *attr,
					 char *buf)
{
	struct daxfs_sb_info *sbi = kobj_sbi(kobj);

	if (!sbi->inval_checked)
		return sysfs_emit(buf, "unchecked\n");
	return sysfs_emit(buf, "%lld\n", (long long)atomic64_read(&sbi->inval_stale));
}

static struct kobj_attribute daxfs_attr_source = __ATTR_RO(source);
static struct kobj_attribute daxfs_attr_kind = __ATTR_RO(kind);
static struct kobj_attribute daxfs_attr_offset = __ATTR_RO(offset);
static struct kobj_attribute daxfs_attr_size = __ATTR_RO(size);
static struct kobj_attribute daxfs_attr_uuid = __ATTR_RO(uuid);
static struct kobj_attribute daxfs_attr_digest = __ATTR_RO(digest);
static struct kobj_attribute daxfs_attr_label = __ATTR_RO(label);
static struct kobj_attribute daxfs_attr_revoked = __ATTR_RO(revoked);
static struct kobj_attribute daxfs_attr_invalidated_bytes = __ATTR_RO(invalidated_bytes);
static struct kobj_attribute daxfs_attr_invalidation_skipped_pages =
	__ATTR_RO(invalidation_skipped_pages);
static struct kobj_attribute daxfs_attr_uninvalidated_served = __ATTR_RO(uninvalidated_served);

static struct attribute *daxfs_sb_attrs[] = {
	&daxfs_attr_source.attr,
	&daxfs_attr_kind.attr,
	&daxfs_attr_offset.attr,
	&daxfs_attr_size.attr,
	&daxfs_attr_uuid.attr,
	&daxfs_attr_digest.attr,
	&daxfs_attr_label.attr,
	&daxfs_attr_revoked.attr,
	&daxfs_attr_invalidated_bytes.attr,
	&daxfs_attr_invalidation_skipped_pages.attr,
	&daxfs_attr_uninvalidated_served.attr,
	NULL,
};
ATTRIBUTE_GROUPS(daxfs_sb);

static void daxfs_sb_kobj_release(struct kobject *kobj)
{
	complete(&kobj_sbi(kobj)->kobj_released);
}

static const struct kobj_type daxfs_sb_ktype = {
	.sysfs_ops = &kobj_sysfs_ops,
	.default_groups = daxfs_sb_groups,
	.release = daxfs_sb_kobj_release,
};

/* Called once the snapshot is validated (the attributes read it). */
int daxfs_sysfs_register(struct super_block *sb)
{
	struct daxfs_sb_info *sbi = DAXFS_SB(sb);
	int err;

	init_completion(&sbi->kobj_released);
	sbi->kobj.kset = daxfs_kset;
	err = kobject_init_and_add(&sbi->kobj, &daxfs_sb_ktype, NULL, "%u:%u", MAJOR(sb->s_dev),
				   MINOR(sb->s_dev));
	sbi->kobj_added = true;	/* initialised: put even when the add failed */
	return err;
}

/* Removes the directory; no attribute runs after this returns. */
void daxfs_sysfs_unregister(struct daxfs_sb_info *sbi)
{
	if (!sbi->kobj_added)
		return;
	if (sbi->kobj.state_in_sysfs)	/* not if the add failed */
		kobject_del(&sbi->kobj);
	kobject_put(&sbi->kobj);
	wait_for_completion(&sbi->kobj_released);
	sbi->kobj_added = false;
}

int __init daxfs_sysfs_init(void)
{
	daxfs_kset = kset_create_and_add("daxfs", NULL, fs_kobj);
	return daxfs_kset ? 0 : -ENOMEM;
}

void daxfs_sysfs_exit(void)
{
	kset_unregister(daxfs_kset);
}
