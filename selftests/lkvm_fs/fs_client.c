// SPDX-License-Identifier: GPL-2.0
/* The tests' FUSE client and temporary tree (fs_client.h). */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "fs_client.h"

#define HELLO_SIZE	300000
#define MANY_FILES	300

static int write_file(const char *path, const void *p, size_t len, int mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, p, len);
	close(fd);
	return n == (ssize_t)len ? 0 : -1;
}

const char *host_path(const struct fs_tree *t, const char *rel)
{
	static char buf[4096 + 128];

	snprintf(buf, sizeof(buf), "%s%s%s", t->share, *rel ? "/" : "", rel);
	return buf;
}

/* MANY_FILES files of i bytes each, with names of many lengths. */
static int make_many(const struct fs_tree *t)
{
	static char data[MANY_FILES];
	char name[64];
	int i;

	memset(data, 'x', sizeof(data));

	if (mkdir(host_path(t, "many"), 0755))
		return -1;
	for (i = 0; i < MANY_FILES; i++) {
		snprintf(name, sizeof(name), "many/entry-%03d-%.*s", i, i % 40,
			 "abcdefghijklmnopqrstuvwxyzabcdefghijklmn");
		if (write_file(host_path(t, name), data, i, 0644))
			return -1;
	}
	return 0;
}

static int make_hello(const struct fs_tree *t)
{
	static u8 buf[HELLO_SIZE];
	int i;

	for (i = 0; i < HELLO_SIZE; i++)
		buf[i] = i * 7 ^ i >> 8;
	return write_file(host_path(t, "hello"), buf, sizeof(buf), 0644);
}

static int make_links(const struct fs_tree *t)
{
	char hello[sizeof(t->share) + 8];

	snprintf(hello, sizeof(hello), "%s/hello", t->share);
	return symlink("sub/inner", host_path(t, "rel_in")) ||
	       symlink("../outside/secret", host_path(t, "rel_out")) ||
	       symlink(t->outside, host_path(t, "abs_out")) ||
	       symlink("..", host_path(t, "dotdot")) ||
	       symlink("/", host_path(t, "abs_root")) ||
	       link(hello, host_path(t, "hardlink")) ? -1 : 0;
}

int make_tree(struct fs_tree *t)
{
	char path[160];

	snprintf(t->base, sizeof(t->base), "/tmp/lkvm-fs-XXXXXX");
	if (!mkdtemp(t->base) || chmod(t->base, 0755))
		return -1;
	snprintf(t->share, sizeof(t->share), "%s/share", t->base);
	snprintf(t->outside, sizeof(t->outside), "%s/outside", t->base);
	snprintf(path, sizeof(path), "%s/secret", t->outside);
	if (mkdir(t->share, 0755) || mkdir(t->outside, 0755) ||
	    write_file(path, "outside\n", 8, 0644))
		return -1;
	if (make_hello(t) || write_file(host_path(t, "empty"), "", 0, 0644) ||
	    mkdir(host_path(t, "sub"), 0755) ||
	    mkdir(host_path(t, "sub/deeper"), 0755) ||
	    write_file(host_path(t, "sub/inner"), "inner\n", 6, 0644) ||
	    make_links(t) || mkfifo(host_path(t, "fifo"), 0644) ||
	    write_file(host_path(t, "secret0"), "no\n", 3, 0) ||
	    mkdir(host_path(t, "closed"), 0) || make_many(t))
		return -1;
	return 0;
}

static int remove_one(const char *path, const struct stat *st, int type,
		      struct FTW *ftw)
{
	return remove(path);
}

void remove_tree(struct fs_tree *t)
{
	if (!t->base[0])
		return;
	chmod(host_path(t, "closed"), 0755);
	nftw(t->base, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

int client_open(struct fs_client *c, const char *dir, unsigned int max_fds)
{
	memset(c, 0, sizeof(*c));
	c->out_max = FUSE_SERVER_MAX_REPLY;
	c->srv = fuse_server_new(dir, max_fds);
	return c->srv ? 0 : -errno;
}

void client_close(struct fs_client *c)
{
	fuse_server_free(c->srv);
	c->srv = NULL;
}

/* The rules every reply keeps (<linux/fuse.h>, struct fuse_out_header). */
static bool reply_ok(const struct fs_client *c, const struct fuse_out_header *oh,
		     u64 unique)
{
	if (c->rep_len < sizeof(*oh) || c->rep_len > c->out_max ||
	    oh->len != c->rep_len || oh->unique != unique)
		return false;
	if (oh->error > 0 || oh->error < -4095)
		return false;
	return !oh->error || oh->len == sizeof(*oh);
}

int fs_raw(struct fs_client *c, size_t len)
{
	struct fuse_out_header oh;
	u64 unique = 0;

	if (len >= sizeof(struct fuse_in_header))
		memcpy(&unique, c->req + offsetof(struct fuse_in_header, unique),
		       sizeof(unique));
	c->rep_len = fuse_server_handle(c->srv, c->req, len, c->rep,
					c->out_max);
	if (!c->rep_len)
		return 2;
	memcpy(&oh, c->rep, sizeof(oh));
	if (!reply_ok(c, &oh, unique))
		return BAD_REPLY;
	c->body = c->rep + sizeof(oh);
	c->body_len = oh.len - sizeof(oh);
	return oh.error;
}

int fs_call(struct fs_client *c, u32 op, u64 nodeid, const void *a,
	    size_t a_len, const void *b, size_t b_len)
{
	struct fuse_in_header h = {
		.len = sizeof(h) + a_len + b_len,
		.opcode = op,
		.unique = ++c->unique * 2,	/* even: not an interrupt */
		.nodeid = nodeid,
		.uid = getuid(),
		.gid = getgid(),
		.pid = getpid(),
	};

	memcpy(c->req, &h, sizeof(h));
	if (a_len)
		memcpy(c->req + sizeof(h), a, a_len);
	if (b_len)
		memcpy(c->req + sizeof(h) + a_len, b, b_len);
	return fs_raw(c, h.len);
}

int fs_init(struct fs_client *c, u32 major, u32 minor, u64 flags,
	    struct fuse_init_out *out)
{
	struct fuse_init_in in = {
		.major = major,
		.minor = minor,
		.max_readahead = 128 * 1024,
		.flags = flags,
		.flags2 = flags >> 32,
	};
	int err = fs_call(c, FUSE_INIT, 0, &in, sizeof(in), NULL, 0);

	if (!err && out) {
		memset(out, 0, sizeof(*out));
		memcpy(out, c->body, c->body_len < sizeof(*out) ?
				     c->body_len : sizeof(*out));
	}
	return err;
}

/* Replies with a fixed-size body must have exactly that size. */
static int copy_body(struct fs_client *c, int err, void *out, size_t size)
{
	if (err)
		return err;
	if (c->body_len != size)
		return BAD_REPLY;
	if (out)
		memcpy(out, c->body, size);
	return 0;
}

int fs_lookup(struct fs_client *c, u64 parent, const char *name,
	      struct fuse_entry_out *e)
{
	int err = fs_call(c, FUSE_LOOKUP, parent, name, strlen(name) + 1,
			  NULL, 0);

	return copy_body(c, err, e, sizeof(*e));
}

int fs_walk(struct fs_client *c, const char *rel, u64 *nodeid)
{
	char buf[4096], *name, *save;
	struct fuse_entry_out e;
	int err;

	snprintf(buf, sizeof(buf), "%s", rel);
	*nodeid = FUSE_ROOT_ID;
	for (name = strtok_r(buf, "/", &save); name;
	     name = strtok_r(NULL, "/", &save)) {
		err = fs_lookup(c, *nodeid, name, &e);
		if (err)
			return err;
		*nodeid = e.nodeid;
	}
	return 0;
}

int fs_getattr(struct fs_client *c, u64 nodeid, struct fuse_attr *a)
{
	struct fuse_getattr_in in = { 0 };
	struct fuse_attr_out o;
	int err = fs_call(c, FUSE_GETATTR, nodeid, &in, sizeof(in), NULL, 0);

	err = copy_body(c, err, &o, sizeof(o));
	if (!err)
		*a = o.attr;
	return err;
}

int fs_open(struct fs_client *c, u64 nodeid, u32 flags, bool dir, u64 *fh)
{
	struct fuse_open_in in = { .flags = flags };
	struct fuse_open_out o;
	int err = fs_call(c, dir ? FUSE_OPENDIR : FUSE_OPEN, nodeid, &in,
			  sizeof(in), NULL, 0);

	err = copy_body(c, err, &o, sizeof(o));
	if (!err)
		*fh = o.fh;
	return err;
}

int fs_release(struct fs_client *c, u64 fh, bool dir)
{
	struct fuse_release_in in = { .fh = fh };
	int err = fs_call(c, dir ? FUSE_RELEASEDIR : FUSE_RELEASE, 0, &in,
			  sizeof(in), NULL, 0);

	return copy_body(c, err, NULL, 0);
}

long fs_read(struct fs_client *c, u64 fh, u64 off, u32 size, void *buf)
{
	struct fuse_read_in in = { .fh = fh, .offset = off, .size = size };
	int err = fs_call(c, FUSE_READ, 0, &in, sizeof(in), NULL, 0);

	if (err)
		return err;
	if (c->body_len > size)
		return BAD_REPLY;
	memcpy(buf, c->body, c->body_len);
	return c->body_len;
}

int fs_readlink(struct fs_client *c, u64 nodeid, char *buf, size_t size)
{
	int err = fs_call(c, FUSE_READLINK, nodeid, NULL, 0, NULL, 0);

	if (err)
		return err;
	if (c->body_len >= size)
		return BAD_REPLY;
	memcpy(buf, c->body, c->body_len);
	buf[c->body_len] = '\0';
	return 0;
}

size_t fs_forget(struct fs_client *c, u64 nodeid, u64 nlookup)
{
	struct fuse_forget_in in = { .nlookup = nlookup };

	fs_call(c, FUSE_FORGET, nodeid, &in, sizeof(in), NULL, 0);
	return c->rep_len;
}

dev_t decode_rdev(u32 rdev)
{
	return makedev((rdev & 0xfff00) >> 8, (rdev & 0xff) | ((rdev >> 12) & 0xfff00));
}
