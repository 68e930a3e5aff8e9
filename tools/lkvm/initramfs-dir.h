/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Host files in the guest's initramfs: a second "newc" cpio archive
 * appended to the one initramfs.c makes.  The kernel unpacks concatenated
 * archives in turn, each over the file tree of the ones before.  This is
 * how --add-dir HOSTDIR[:GUESTDIR] reaches the guest until the host share
 * (virtio-fs) takes over.
 */
#ifndef LKVM_INITRAMFS_DIR_H
#define LKVM_INITRAMFS_DIR_H

#include <limits.h>
#include "util.h"

/* HOSTDIR[:GUESTDIR]: a directory, or a single file, and where it goes. */
struct add_dir {
	char host[PATH_MAX];	/* absolute, resolved */
	char guest[PATH_MAX];	/* absolute; default: the host's path */
};

/* Parses an --add-dir argument; false with a message if it is unusable. */
bool add_dir_parse(const char *spec, struct add_dir *d);

/* A newc archive being appended to @fd. */
struct newc {
	int fd;
	unsigned int ino;
	u64 offset;		/* bytes written, for the 4-byte padding */
	int err;		/* first write error, 0 if none */
};

/* Starts an archive at @fd's end (the previous archive is 4-byte aligned). */
void newc_start(struct newc *c, int fd);

/* One entry: a file with @data, a directory, or a symlink to @data. */
void newc_entry(struct newc *c, const char *name, unsigned int mode,
		const void *data, size_t size);

/* A character device node, e.g. /dev/console before devtmpfs is up. */
void newc_chrdev(struct newc *c, const char *name, unsigned int perm,
		 unsigned int major, unsigned int minor);

/*
 * @d->host's tree (or file) under @d->guest, with the directories leading
 * to it.  0, or -1 with a message naming the file at fault.
 */
int newc_add_tree(struct newc *c, const struct add_dir *d);

/* Writes the trailer; 0, or -1 with a message if any write failed. */
int newc_finish(struct newc *c);

#endif
