// SPDX-License-Identifier: GPL-2.0-only
/*
 * daxfs: a read-only filesystem that lives directly in DAX memory.
 *
 * Placeholder until the daxfs module lands: registers the "daxfs" filesystem type with the new
 * mount API; every mount attempt fails with EOPNOTSUPP.
 */
#define pr_fmt(fmt) "daxfs: " fmt

#include <linux/fs.h>
#include <linux/fs_context.h>
#include <linux/init.h>
#include <linux/module.h>

static int daxfs_get_tree(struct fs_context *fc)
{
	return invalfc(fc, "daxfs: mounting is not implemented yet");
}

static const struct fs_context_operations daxfs_context_ops = {
	.get_tree = daxfs_get_tree,
};

static int daxfs_init_fs_context(struct fs_context *fc)
{
	fc->ops = &daxfs_context_ops;
	return 0;
}

static struct file_system_type daxfs_fs_type = {
	.owner = THIS_MODULE,
	.name = "daxfs",
	.init_fs_context = daxfs_init_fs_context,
	.kill_sb = kill_anon_super,
};
MODULE_ALIAS_FS("daxfs");

static int __init daxfs_init(void)
{
	return register_filesystem(&daxfs_fs_type);
}

static void __exit daxfs_exit(void)
{
	unregister_filesystem(&daxfs_fs_type);
}

module_init(daxfs_init);
module_exit(daxfs_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("daxfs: read-only filesystem in DAX memory");
