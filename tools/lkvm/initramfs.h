/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The initramfs lkvm makes on the fly for a kernel whose drivers are
 * modules (Documentation/boot.rst): busybox, lkvm's /init and lkvm-exit
 * from tools/lkvm/guest-init/, the virtio modules, and the command to run.
 */
#ifndef LKVM_INITRAMFS_H
#define LKVM_INITRAMFS_H

#include <stdbool.h>
#include <stddef.h>

struct boot_config;

struct initramfs_config {
	const char *release;		/* uname -r of the kernel */
	const char *modules_root;	/* where <release>/modules.dep is */
	const char *guest_dir;		/* holds init and lkvm-exit */
	const char *busybox;		/* a static busybox */
	int argc;			/* 0: an interactive shell */
	char **argv;
	bool fs_modules;		/* add fuse and virtiofs for --share */
	const char *root_tag;		/* the share /init mounts as root, or NULL */
	const char *cwd;		/* with root_tag: where the command starts */
};

/*
 * Defaults for this host: /lib/modules ($LKVM_MODULES_DIR if set),
 * /bin/busybox, guest-init/ next to lkvm.
 */
void initramfs_defaults(struct initramfs_config *cfg);

/* Writes the newc cpio archive to @fd; 0, or -1 with a message. */
int initramfs_write(int fd, const struct initramfs_config *cfg);

/*
 * Builds the archive in an anonymous memory file and returns a path that
 * names it ("/proc/self/fd/N") for as long as lkvm runs; NULL on failure.
 */
const char *initramfs_build(const struct initramfs_config *cfg);

/*
 * lkvm run: for a Linux kernel without -i, makes the initramfs that runs
 * @argv and points @boot->initrd at it; a command for anything else is an
 * error.  0, or -1 with a message.
 */
int initramfs_prepare(struct boot_config *boot, int argc, char **argv);

/* The tag of the default share of "/", which /init mounts as the root. */
#define INITRAMFS_ROOT_TAG	"root"

/*
 * initramfs_prepare() with virtio-fs shares (Documentation/virtio-fs.rst):
 * with *@root_share, /init mounts the share tagged INITRAMFS_ROOT_TAG under
 * a tmpfs overlay and runs @argv there, in lkvm's working directory;
 * @user_shares (--share) makes the
 * guest load fuse and virtiofs.  A kernel whose modules directory shows
 * that it lacks what the root needs gets *@root_share cleared and a
 * one-line message; lacking what --share needs is an error.
 */
int initramfs_prepare_shares(struct boot_config *boot, int argc, char **argv,
			     bool *root_share, bool user_shares);

/*
 * The kernel options missing from the kernel whose modules are in @dir
 * (.../lib/modules/<release>), neither a module nor built in: of
 * CONFIG_FUSE_FS and CONFIG_VIRTIO_FS, and CONFIG_OVERLAY_FS if @root.
 * Written to @buf as "CONFIG_A, CONFIG_B", "" if none is missing or @dir
 * has no modules.dep to tell (a kernel with its drivers built in).
 */
void initramfs_missing_fs(const char *dir, bool root, char *buf, size_t len);

#endif
