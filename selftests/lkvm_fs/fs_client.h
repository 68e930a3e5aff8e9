/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The tests' side of fuse-server.c: FUSE requests built by hand from
 * <linux/fuse.h> as the guest kernel sends them, replies checked against
 * the protocol's rules, and a temporary tree of every kind of file whose
 * host view (stat(2), readdir(3), readlink(2)) is the reference.
 */
#ifndef LKVM_FS_CLIENT_H
#define LKVM_FS_CLIENT_H

#include <stdbool.h>
#include <sys/stat.h>
#include <linux/fuse.h>

#include "fuse-server.h"

/* What Linux 6.1 offers in INIT (fs/fuse/inode.c, fuse_send_init()). */
#define KERNEL_6_1_INIT_FLAGS						\
	(FUSE_ASYNC_READ | FUSE_POSIX_LOCKS | FUSE_ATOMIC_O_TRUNC |	\
	 FUSE_EXPORT_SUPPORT | FUSE_BIG_WRITES | FUSE_DONT_MASK |	\
	 FUSE_SPLICE_WRITE | FUSE_SPLICE_MOVE | FUSE_SPLICE_READ |	\
	 FUSE_FLOCK_LOCKS | FUSE_HAS_IOCTL_DIR | FUSE_AUTO_INVAL_DATA |	\
	 FUSE_DO_READDIRPLUS | FUSE_READDIRPLUS_AUTO | FUSE_ASYNC_DIO |	\
	 FUSE_WRITEBACK_CACHE | FUSE_NO_OPEN_SUPPORT |			\
	 FUSE_PARALLEL_DIROPS | FUSE_HANDLE_KILLPRIV | FUSE_POSIX_ACL |	\
	 FUSE_ABORT_ERROR | FUSE_MAX_PAGES | FUSE_CACHE_SYMLINKS |	\
	 FUSE_NO_OPENDIR_SUPPORT | FUSE_EXPLICIT_INVAL_DATA |		\
	 FUSE_HANDLE_KILLPRIV_V2 | FUSE_SETXATTR_EXT | FUSE_INIT_EXT)

/* A reply that breaks the protocol's rules (length, unique, error). */
#define BAD_REPLY	1

struct fs_client {
	struct fuse_server *srv;
	u64 unique;
	size_t out_max;			/* reply room offered */
	u8 req[FUSE_SERVER_MAX_REQUEST + 4096];
	u8 rep[FUSE_SERVER_MAX_REPLY + 4096];
	size_t rep_len;			/* what the server returned */
	const u8 *body;			/* the reply body */
	size_t body_len;
};

/* The temporary tree: base/share is shared, base/outside is not. */
struct fs_tree {
	char base[64];
	char share[96];
	char outside[96];
};

int make_tree(struct fs_tree *t);
void remove_tree(struct fs_tree *t);
/* @share's path of @rel ("" is the share itself), in a static buffer. */
const char *host_path(const struct fs_tree *t, const char *rel);

/* A server on @dir with @max_fds, not yet initialised. */
int client_open(struct fs_client *c, const char *dir, unsigned int max_fds);
void client_close(struct fs_client *c);

/*
 * Sends a raw request of @len bytes already in c->req (header included);
 * returns the reply's error (0 or -errno), BAD_REPLY if the reply breaks
 * the rules, or 2 if there was no reply.
 */
int fs_raw(struct fs_client *c, size_t len);
/* Builds the header for @op on @nodeid with arguments @a and @b. */
int fs_call(struct fs_client *c, u32 op, u64 nodeid, const void *a,
	    size_t a_len, const void *b, size_t b_len);

int fs_init(struct fs_client *c, u32 major, u32 minor, u64 flags,
	    struct fuse_init_out *out);
int fs_lookup(struct fs_client *c, u64 parent, const char *name,
	      struct fuse_entry_out *e);
/* LOOKUP of every component of @rel from the root; 0 or -errno. */
int fs_walk(struct fs_client *c, const char *rel, u64 *nodeid);
int fs_getattr(struct fs_client *c, u64 nodeid, struct fuse_attr *a);
int fs_open(struct fs_client *c, u64 nodeid, u32 flags, bool dir, u64 *fh);
int fs_release(struct fs_client *c, u64 fh, bool dir);
/* READ into @buf; returns bytes or -errno. */
long fs_read(struct fs_client *c, u64 fh, u64 off, u32 size, void *buf);
int fs_readlink(struct fs_client *c, u64 nodeid, char *buf, size_t size);
/* FORGET; returns the reply length (there must be none). */
size_t fs_forget(struct fs_client *c, u64 nodeid, u64 nlookup);

/* The kernel's new_decode_dev() of a fuse_attr.rdev. */
dev_t decode_rdev(u32 rdev);

#endif
