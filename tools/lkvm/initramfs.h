/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The initramfs lkvm makes on the fly for a kernel whose drivers are
 * modules (Documentation/boot.rst): busybox, lkvm's /init and lkvm-exit
 * from tools/lkvm/guest-init/, the virtio modules, and the command to run.
 */
#ifndef LKVM_INITRAMFS_H
#define LKVM_INITRAMFS_H

struct boot_config;

struct initramfs_config {
	const char *release;		/* uname -r of the kernel */
	const char *modules_root;	/* where <release>/modules.dep is */
	const char *guest_dir;		/* holds init and lkvm-exit */
	const char *busybox;		/* a static busybox */
	int argc;			/* 0: an interactive shell */
	char **argv;
};

/* Defaults for this host: /lib/modules, /bin/busybox, guest-init/ next to lkvm. */
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

#endif
