// SPDX-License-Identifier: GPL-2.0
/*
 * A second initramfs archive holding host files (initramfs-dir.h).  The
 * format is the kernel's "newc" cpio (Documentation/driver-api/
 * early-userspace/buffer-format.rst); files are streamed from the host, not
 * read whole, since a kselftest directory can hold large programs.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "initramfs-dir.h"

#define NEWC_MAGIC	"070701"
#define NEWC_HDR_LEN	110
#define NEWC_TRAILER	"TRAILER!!!"

static void newc_write(struct newc *c, const void *buf, size_t len)
{
	const char *p = buf;

	while (len && !c->err) {
		ssize_t n = write(c->fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			c->err = n < 0 ? errno : EIO;
			break;
		}
		p += n;
		len -= n;
		c->offset += n;
	}
}

static void newc_pad(struct newc *c)
{
	static const char zeros[4];

	newc_write(c, zeros, ALIGN_UP(c->offset, 4) - c->offset);
}

/*
 * Header and name; the caller writes @size bytes of data, then pads.
 * @rdev is a device node's (major << 8 | minor), 0 otherwise.
 */
static void newc_header(struct newc *c, const char *name, unsigned int mode,
			u64 size, unsigned int rdev)
{
	char hdr[128];	/* 110 bytes; room for what the formats could print */

	/* ino, mode, uid, gid, nlink, mtime, size, devmajor, devminor,
	 * rdevmajor, rdevminor, namesize, check
	 */
	snprintf(hdr, sizeof(hdr),
		 "%s%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08zx%08x",
		 NEWC_MAGIC, ++c->ino, mode, 0, 0, S_ISDIR(mode) ? 2 : 1, 0,
		 (unsigned int)size, 0, 0, rdev >> 8, rdev & 0xff,
		 strlen(name) + 1, 0);
	newc_write(c, hdr, NEWC_HDR_LEN);
	newc_write(c, name, strlen(name) + 1);
	newc_pad(c);
}

void newc_start(struct newc *c, int fd)
{
	*c = (struct newc) { .fd = fd };
}

void newc_entry(struct newc *c, const char *name, unsigned int mode,
		const void *data, size_t size)
{
	newc_header(c, name, mode, size, 0);
	newc_write(c, data, size);
	newc_pad(c);
}

void newc_chrdev(struct newc *c, const char *name, unsigned int perm,
		 unsigned int major, unsigned int minor)
{
	newc_header(c, name, S_IFCHR | perm, 0, major << 8 | minor);
}

/* Copies exactly @size bytes of @path: the size is in the header already. */
static int newc_copy(struct newc *c, const char *path, u64 size)
{
	char buf[65536];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = 0;

	if (fd < 0) {
		pr_err("--add-dir: cannot read %s: %s", path, strerror(errno));
		return -1;
	}
	while (size && !c->err) {
		n = read(fd, buf, size < sizeof(buf) ? size : sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		newc_write(c, buf, n);
		size -= n;
	}
	close(fd);
	if (size && !c->err) {
		pr_err("--add-dir: %s: %s", path,
		       n < 0 ? strerror(errno) : "file shrank while being read");
		return -1;
	}
	newc_pad(c);
	return 0;
}

static int add_path(struct newc *c, const char *host, const char *guest);

static int add_children(struct newc *c, const char *host, const char *guest)
{
	char h[PATH_MAX], g[PATH_MAX];
	struct dirent *e;
	DIR *dir = opendir(host);
	int ret = 0;

	if (!dir) {
		pr_err("--add-dir: cannot list %s: %s", host, strerror(errno));
		return -1;
	}
	while (!ret && (e = readdir(dir))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (snprintf(h, sizeof(h), "%s/%s", host, e->d_name) >=
		    (int)sizeof(h) ||
		    snprintf(g, sizeof(g), "%s/%s", guest, e->d_name) >=
		    (int)sizeof(g)) {
			pr_err("--add-dir: %s/%s: path too long", host, e->d_name);
			ret = -1;
			break;
		}
		ret = add_path(c, h, g);
	}
	closedir(dir);
	return ret;
}

/* @guest is relative to the guest's root, as the archive names files. */
static int add_path(struct newc *c, const char *host, const char *guest)
{
	char target[PATH_MAX];
	struct stat st;
	ssize_t n;

	if (lstat(host, &st)) {
		pr_err("--add-dir: %s: %s", host, strerror(errno));
		return -1;
	}
	switch (st.st_mode & S_IFMT) {
	case S_IFDIR:
		newc_entry(c, guest, S_IFDIR | (st.st_mode & 07777), NULL, 0);
		return add_children(c, host, guest);
	case S_IFLNK:
		n = readlink(host, target, sizeof(target));
		if (n < 0 || n == sizeof(target)) {
			pr_err("--add-dir: cannot read link %s", host);
			return -1;
		}
		newc_entry(c, guest, S_IFLNK | 0777, target, n);
		return 0;
	case S_IFREG:
		/* The newc size field has 32 bits. */
		if (st.st_size > 0xffffffffLL) {
			pr_err("--add-dir: %s: larger than 4 GiB", host);
			return -1;
		}
		newc_header(c, guest, S_IFREG | (st.st_mode & 07777), st.st_size, 0);
		return newc_copy(c, host, st.st_size);
	}
	/* Sockets, FIFOs and device nodes mean nothing in another kernel. */
	fprintf(stderr, "lkvm: --add-dir: leaving out %s: not a file, directory or link\n",
		host);
	return 0;
}

/* "a/b/c" gets "a" and "a/b"; repeats are harmless to the kernel. */
static void add_parents(struct newc *c, const char *guest)
{
	char path[PATH_MAX], *slash;

	snprintf(path, sizeof(path), "%s", guest);
	for (slash = strchr(path, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		newc_entry(c, path, S_IFDIR | 0755, NULL, 0);
		*slash = '/';
	}
}

int newc_add_tree(struct newc *c, const struct add_dir *d)
{
	const char *guest = d->guest + 1;	/* without the leading '/' */

	add_parents(c, guest);
	return add_path(c, d->host, guest);
}

int newc_finish(struct newc *c)
{
	newc_entry(c, NEWC_TRAILER, 0, NULL, 0);
	if (!c->err)
		return 0;
	pr_err("cannot write the initramfs: %s", strerror(c->err));
	return -1;
}

/* Absolute, not the root itself, no "." or ".." components, no "//". */
static bool guest_path_ok(const char *p)
{
	const char *s;

	if (p[0] != '/' || !p[1])
		return false;
	for (s = p; s; s = strchr(s + 1, '/')) {
		size_t len = strcspn(s + 1, "/");

		if (!len || (len == 1 && s[1] == '.') ||
		    (len == 2 && s[1] == '.' && s[2] == '.'))
			return false;
	}
	return true;
}

bool add_dir_parse(const char *spec, struct add_dir *d)
{
	char host[PATH_MAX];
	const char *colon = strrchr(spec, ':');
	size_t len;

	/* A GUESTDIR starts with '/'; a colon elsewhere is part of HOSTDIR. */
	if (!colon || colon[1] != '/')
		colon = NULL;
	len = colon ? (size_t)(colon - spec) : strlen(spec);
	if (!len || len >= sizeof(host)) {
		pr_err("--add-dir '%s': expected HOSTDIR[:GUESTDIR]", spec);
		return false;
	}
	memcpy(host, spec, len);
	host[len] = '\0';
	if (!realpath(host, d->host)) {
		pr_err("--add-dir %s: %s", host, strerror(errno));
		return false;
	}
	snprintf(d->guest, sizeof(d->guest), "%s", colon ? colon + 1 : d->host);
	len = strlen(d->guest);
	while (len > 1 && d->guest[len - 1] == '/')
		d->guest[--len] = '\0';
	if (!guest_path_ok(d->guest)) {
		pr_err("--add-dir %s: GUESTDIR '%s' must be an absolute path below /, without . or ..",
		       spec, d->guest);
		return false;
	}
	return true;
}
