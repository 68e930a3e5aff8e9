// SPDX-License-Identifier: GPL-2.0
/*
 * lkvm.ko: in-kernel virtio backends for lkvm, in the style of vhost.
 */
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/workqueue.h>
#include "lkvm.h"

struct workqueue_struct *lkvm_wq;

static int __init lkvm_init(void)
{
	int ret;

	/* Unbound: a queue's work may block in the backing file's I/O. */
	lkvm_wq = alloc_workqueue("lkvm", WQ_UNBOUND, 0);
	if (!lkvm_wq)
		return -ENOMEM;
	ret = misc_register(&lkvm_blk_misc);
	if (ret)
		goto err_wq;
	ret = lkvm_netlink_init();
	if (ret)
		goto err_misc;
	return 0;
err_misc:
	misc_deregister(&lkvm_blk_misc);
err_wq:
	destroy_workqueue(lkvm_wq);
	return ret;
}

static void __exit lkvm_exit(void)
{
	lkvm_netlink_exit();
	misc_deregister(&lkvm_blk_misc);
	destroy_workqueue(lkvm_wq);
}

module_init(lkvm_init);
module_exit(lkvm_exit);
MODULE_DESCRIPTION("lkvm in-kernel virtio-blk backend");
MODULE_LICENSE("GPL");
