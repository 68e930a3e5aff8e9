// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/lkvm-blk: one virtio-blk device instance per open file, configured
 * with vhost-shaped ioctls (Documentation/lkvm-blk.rst).
 */
#include <linux/eventfd.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <uapi/linux/virtio_blk.h>
#include <uapi/linux/virtio_config.h>
#include <uapi/linux/virtio_ring.h>
#include "lkvm.h"

/* Every instance, in id order, for netlink. */
static LIST_HEAD(lkvm_blk_devs);
static DEFINE_MUTEX(lkvm_blk_devs_lock);
static u32 lkvm_blk_next_id;

static void lkvm_blk_info_fill(struct lkvm_blk_dev *dev,
			       struct lkvm_blk_info *info)
{
	struct lkvm_blk_stats *st = &dev->stats;

	info->id = dev->id;
	info->owner_pid = READ_ONCE(dev->owner_pid);
	info->state = READ_ONCE(dev->vq.state);
	info->error = READ_ONCE(dev->vq.error);
	info->inflight = atomic_read(&dev->vq.inflight);
	info->last_avail = READ_ONCE(dev->vq.last_avail_idx);
	info->capacity = READ_ONCE(dev->capacity);
	info->requests = atomic64_read(&st->requests);
	info->read_bytes = atomic64_read(&st->read_bytes);
	info->write_bytes = atomic64_read(&st->write_bytes);
	info->errors = atomic64_read(&st->errors);
	info->ring_errors = atomic64_read(&st->ring_errors);
	info->flushes = atomic64_read(&st->flushes);
}

/* Snapshot of the instance with the lowest id >= @from_id. */
int lkvm_blk_info_next(u32 from_id, struct lkvm_blk_info *info)
{
	struct lkvm_blk_dev *dev;
	int ret = -ENOENT;

	mutex_lock(&lkvm_blk_devs_lock);
	list_for_each_entry(dev, &lkvm_blk_devs, node) {
		if (dev->id >= from_id) {
			lkvm_blk_info_fill(dev, info);
			ret = 0;
			break;
		}
	}
	mutex_unlock(&lkvm_blk_devs_lock);
	return ret;
}

static u64 lkvm_blk_features(const struct lkvm_blk_dev *dev)
{
	u64 f = BIT_ULL(VIRTIO_F_VERSION_1) |
		BIT_ULL(VIRTIO_RING_F_INDIRECT_DESC) |
		BIT_ULL(VIRTIO_RING_F_EVENT_IDX) |
		BIT_ULL(VIRTIO_BLK_F_SEG_MAX) | BIT_ULL(VIRTIO_BLK_F_FLUSH);

	if (dev->read_only)
		f |= BIT_ULL(VIRTIO_BLK_F_RO);
	else if (dev->backend && dev->backend->f_op->fallocate)
		f |= BIT_ULL(VIRTIO_BLK_F_DISCARD) |
		     BIT_ULL(VIRTIO_BLK_F_WRITE_ZEROES);
	return f;
}

static bool lkvm_blk_running(struct lkvm_blk_dev *dev)
{
	return READ_ONCE(dev->vq.state) == LKVM_BLK_QUEUE_RUNNING;
}

/*
 * The ring's geometry may change only when nothing can use it: not
 * running, and no request left whose completion would be posted to it.
 * Called with vq->mutex held, which the work holds while it posts.
 */
static bool lkvm_vq_busy(struct lkvm_blk_vq *vq)
{
	lockdep_assert_held(&vq->mutex);
	return vq->state == LKVM_BLK_QUEUE_RUNNING ||
	       atomic_read(&vq->inflight);
}

static int lkvm_blk_set_owner(struct lkvm_blk_dev *dev)
{
	if (dev->mm)
		return -EBUSY;
	if (!current->mm)
		return -EINVAL;
	mmgrab(current->mm);
	WRITE_ONCE(dev->owner_pid, task_tgid_nr(current));
	WRITE_ONCE(dev->mm, current->mm);
	return 0;
}

static int lkvm_blk_set_features(struct lkvm_blk_dev *dev,
				 u64 __user *argp)
{
	u64 features;

	if (get_user(features, argp))
		return -EFAULT;
	if (features & ~lkvm_blk_features(dev))
		return -EOPNOTSUPP;
	if (lkvm_blk_running(dev))
		return -EBUSY;
	dev->features = features;
	return 0;
}

static int lkvm_blk_set_mem_table(struct lkvm_blk_dev *dev,
				  void __user *argp)
{
	struct lkvm_blk_vq *vq = &dev->vq;
	struct lkvm_mem_table *mem, *old;

	mem = lkvm_mem_table_from_user(argp);
	if (IS_ERR(mem))
		return PTR_ERR(mem);
	mutex_lock(&vq->mutex);
	old = dev->mem;
	dev->mem = mem;
	/*
	 * A ring in use must still be inside the new table; if it is not,
	 * completions still in flight are dropped rather than posted, and a
	 * running queue fails.
	 */
	if (vq->used && lkvm_vq_map_rings(vq) &&
	    vq->state == LKVM_BLK_QUEUE_RUNNING)
		lkvm_vq_fail(vq, LKVM_BLK_QERR_RING_ADDR);
	mutex_unlock(&vq->mutex);
	kvfree(old);
	return 0;
}

/* Regular files and block devices, readable; read-only if not writable. */
static int lkvm_blk_check_backend(struct file *file, bool *read_only)
{
	umode_t mode = file_inode(file)->i_mode;

	if (!S_ISREG(mode) && !S_ISBLK(mode))
		return -EINVAL;
	if (!(file->f_mode & FMODE_READ) || !(file->f_mode & FMODE_CAN_READ))
		return -EBADF;
	if (!(file->f_mode & FMODE_WRITE) || !(file->f_mode & FMODE_CAN_WRITE))
		*read_only = true;
	return 0;
}

static int lkvm_blk_set_backend(struct lkvm_blk_dev *dev, void __user *argp)
{
	struct lkvm_blk_backend b;
	struct file *file = NULL;
	bool read_only;
	int ret;

	if (copy_from_user(&b, argp, sizeof(b)))
		return -EFAULT;
	if (b.flags & ~LKVM_BLK_BACKEND_RO || b.padding)
		return -EINVAL;
	if (lkvm_blk_running(dev))
		return -EBUSY;
	read_only = b.flags & LKVM_BLK_BACKEND_RO;
	if (b.fd != -1) {
		file = fget(b.fd);
		if (!file)
			return -EBADF;
		ret = lkvm_blk_check_backend(file, &read_only);
		if (ret) {
			fput(file);
			return ret;
		}
	}
	if (dev->backend)
		fput(dev->backend);
	dev->backend = file;
	dev->read_only = read_only;
	memcpy(dev->serial, b.serial, sizeof(dev->serial));
	WRITE_ONCE(dev->capacity, file ?
		   i_size_read(file->f_mapping->host) >> 9 : 0);
	return 0;
}

static int lkvm_blk_vring_file(struct lkvm_blk_dev *dev, unsigned int cmd,
			       void __user *argp)
{
	struct lkvm_blk_vring_file f;

	if (copy_from_user(&f, argp, sizeof(f)))
		return -EFAULT;
	if (f.index >= LKVM_BLK_MAX_QUEUES)
		return -ENOBUFS;
	switch (cmd) {
	case LKVM_BLK_SET_VRING_KICK:
		return lkvm_vq_set_kick(&dev->vq, f.fd);
	case LKVM_BLK_SET_VRING_CALL:
		return lkvm_vq_set_eventfd(&dev->vq, &dev->vq.call, f.fd);
	default:
		return lkvm_vq_set_eventfd(&dev->vq, &dev->vq.err, f.fd);
	}
}

static int lkvm_blk_set_vring_state(struct lkvm_blk_vq *vq, unsigned int cmd,
				    u32 num)
{
	if (lkvm_vq_busy(vq))
		return -EBUSY;
	if (cmd == LKVM_BLK_SET_VRING_BASE) {
		if (num > U16_MAX)
			return -EINVAL;
		WRITE_ONCE(vq->last_avail_idx, num);
		return 0;
	}
	if (!num || num > LKVM_BLK_MAX_RING || !is_power_of_2(num))
		return -EINVAL;
	vq->num = num;
	return 0;
}

static int lkvm_blk_vring_state(struct lkvm_blk_dev *dev, unsigned int cmd,
				void __user *argp)
{
	struct lkvm_blk_vq *vq = &dev->vq;
	struct lkvm_blk_vring_state s;
	int ret;

	if (copy_from_user(&s, argp, sizeof(s)))
		return -EFAULT;
	if (s.index >= LKVM_BLK_MAX_QUEUES)
		return -ENOBUFS;
	if (cmd == LKVM_BLK_GET_VRING_BASE) {
		s.num = READ_ONCE(vq->last_avail_idx);
		return copy_to_user(argp, &s, sizeof(s)) ? -EFAULT : 0;
	}
	mutex_lock(&vq->mutex);
	ret = lkvm_blk_set_vring_state(vq, cmd, s.num);
	mutex_unlock(&vq->mutex);
	return ret;
}

static int lkvm_blk_vring_addr(struct lkvm_blk_dev *dev, void __user *argp)
{
	struct lkvm_blk_vq *vq = &dev->vq;
	struct lkvm_blk_vring_addr a;
	int ret = -EBUSY;

	if (copy_from_user(&a, argp, sizeof(a)))
		return -EFAULT;
	if (a.index >= LKVM_BLK_MAX_QUEUES)
		return -ENOBUFS;
	if (a.flags)
		return -EINVAL;
	mutex_lock(&vq->mutex);
	if (!lkvm_vq_busy(vq)) {
		vq->desc_gpa = a.desc_gpa;
		vq->avail_gpa = a.avail_gpa;
		vq->used_gpa = a.used_gpa;
		ret = 0;
	}
	mutex_unlock(&vq->mutex);
	return ret;
}

static int lkvm_blk_start_stop(struct lkvm_blk_dev *dev, unsigned int cmd,
			       u32 __user *argp)
{
	u32 index;
	int ret = 0;

	if (get_user(index, argp))
		return -EFAULT;
	if (index >= LKVM_BLK_MAX_QUEUES)
		return -ENOBUFS;
	if (cmd == LKVM_BLK_STOP) {
		lkvm_vq_stop(&dev->vq);
		return 0;
	}
	mutex_lock(&dev->vq.mutex);
	ret = lkvm_vq_start(&dev->vq);
	mutex_unlock(&dev->vq.mutex);
	return ret;
}

/* Everything but SET_OWNER: only the owner may configure the instance. */
static long lkvm_blk_owner_ioctl(struct lkvm_blk_dev *dev, unsigned int cmd,
				 void __user *argp)
{
	if (!dev->mm || dev->mm != current->mm)
		return -EPERM;
	switch (cmd) {
	case LKVM_BLK_SET_FEATURES:
		return lkvm_blk_set_features(dev, argp);
	case LKVM_BLK_SET_MEM_TABLE:
		return lkvm_blk_set_mem_table(dev, argp);
	case LKVM_BLK_SET_BACKEND:
		return lkvm_blk_set_backend(dev, argp);
	case LKVM_BLK_SET_VRING_NUM:
	case LKVM_BLK_SET_VRING_BASE:
	case LKVM_BLK_GET_VRING_BASE:
		return lkvm_blk_vring_state(dev, cmd, argp);
	case LKVM_BLK_SET_VRING_ADDR:
		return lkvm_blk_vring_addr(dev, argp);
	case LKVM_BLK_SET_VRING_KICK:
	case LKVM_BLK_SET_VRING_CALL:
	case LKVM_BLK_SET_VRING_ERR:
		return lkvm_blk_vring_file(dev, cmd, argp);
	case LKVM_BLK_START:
	case LKVM_BLK_STOP:
		return lkvm_blk_start_stop(dev, cmd, argp);
	case LKVM_BLK_RESET:
		lkvm_vq_reset(&dev->vq);
		dev->features = 0;
		return 0;
	default:
		return -ENOTTY;
	}
}

static long lkvm_blk_ioctl(struct file *file, unsigned int cmd,
			   unsigned long arg)
{
	struct lkvm_blk_dev *dev = file->private_data;
	void __user *argp = (void __user *)arg;
	long ret;

	switch (cmd) {
	case LKVM_BLK_GET_VERSION:
		return put_user(LKVM_BLK_API_VERSION, (u32 __user *)argp);
	case LKVM_BLK_GET_ID:
		return put_user(dev->id, (u32 __user *)argp);
	}
	mutex_lock(&dev->mutex);
	switch (cmd) {
	case LKVM_BLK_SET_OWNER:
		ret = lkvm_blk_set_owner(dev);
		break;
	case LKVM_BLK_GET_FEATURES:
		ret = put_user(lkvm_blk_features(dev), (u64 __user *)argp);
		break;
	default:
		ret = lkvm_blk_owner_ioctl(dev, cmd, argp);
	}
	mutex_unlock(&dev->mutex);
	return ret;
}

static int lkvm_blk_open(struct inode *inode, struct file *file)
{
	struct lkvm_blk_dev *dev = kzalloc(sizeof(*dev), GFP_KERNEL);

	if (!dev)
		return -ENOMEM;
	mutex_init(&dev->mutex);
	lkvm_vq_init(&dev->vq, dev);
	mutex_lock(&lkvm_blk_devs_lock);
	dev->id = lkvm_blk_next_id++;
	list_add_tail(&dev->node, &lkvm_blk_devs);
	mutex_unlock(&lkvm_blk_devs_lock);
	file->private_data = dev;
	return stream_open(inode, file);
}

/* Waits for requests in flight: they hold pointers to the device. */
static int lkvm_blk_release(struct inode *inode, struct file *file)
{
	struct lkvm_blk_dev *dev = file->private_data;

	mutex_lock(&lkvm_blk_devs_lock);
	list_del(&dev->node);
	mutex_unlock(&lkvm_blk_devs_lock);
	lkvm_vq_reset(&dev->vq);
	if (dev->backend)
		fput(dev->backend);
	kvfree(dev->mem);
	if (dev->mm)
		mmdrop(dev->mm);
	kfree(dev);
	return 0;
}

static const struct file_operations lkvm_blk_fops = {
	.owner = THIS_MODULE,
	.open = lkvm_blk_open,
	.release = lkvm_blk_release,
	.unlocked_ioctl = lkvm_blk_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = no_llseek,
};

struct miscdevice lkvm_blk_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "lkvm-blk",
	.fops = &lkvm_blk_fops,
};
