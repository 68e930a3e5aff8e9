// SPDX-License-Identifier: GPL-2.0
/*
 * A read-only FUSE server (protocol 7.31-7.38, <linux/fuse.h>) for one host
 * directory.
 *
 * Confinement.  Each inode the guest has looked up is a node: an O_PATH
 * file descriptor opened with O_NOFOLLOW, named to the guest by a nodeid.
 * A LOOKUP resolves exactly one name, relative to its parent's descriptor,
 * with openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS): names with '/',
 * "." and ".." are refused before that, and a symlink is never followed
 * but becomes a node of its own whose text READLINK returns for the guest
 * to resolve in its own namespace.  No path string is ever built, so the
 * guest reaches exactly what the shared directory's tree reaches.  A node
 * held by name (past half the descriptor budget) is opened again the same
 * way, one name below its parent's descriptor, and must be the same inode.
 *
 * Names.  Nodeids and file handles are slot indexes with a generation in
 * the upper 32 bits, so a value the server never issued, or has since
 * forgotten, names nothing and gets ESTALE (nodes) or EBADF (files).
 * Nodeid 1 (FUSE_ROOT_ID) is the shared directory: slot 1, generation 0.
 *
 * Requests.  The header's length must equal the buffer's, every opcode has
 * a minimum argument size, names must be one NUL-terminated component of
 * at most NAME_MAX bytes, and every reply is built only after checking that
 * it fits the reply buffer.  READ and READDIR are capped at
 * FUSE_SERVER_MAX_READ bytes.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <linux/fuse.h>
#include <linux/openat2.h>

#include "fuse-server.h"

#define ROOT_SLOT	FUSE_ROOT_ID
/* A table starts with slots 0 (never used) and 1 (the root node). */
#define TABLE_MIN	16

/* The INIT flags we accept from the guest's offer (<linux/fuse.h>). */
#define INIT_FLAGS	(FUSE_ASYNC_READ | FUSE_AUTO_INVAL_DATA |	\
			 FUSE_PARALLEL_DIROPS | FUSE_MAX_PAGES |	\
			 FUSE_CACHE_SYMLINKS)

/*
 * An inode the guest knows: held open, never followed.  Past half the
 * descriptor budget, a node that is not a directory is held by name: its
 * parent directory's node, pinned by one lookup, and its name there,
 * opened again for each request and checked to be the same inode.  The
 * guest forgets inodes only under memory pressure, and a guest whose root
 * is the host's would otherwise lose every file, shared libraries first,
 * once it has seen as many as the budget.
 */
struct fs_node {
	int fd;				/* O_PATH | O_NOFOLLOW; -1: by name */
	dev_t dev;
	ino_t ino;
	u64 nlookup;			/* LOOKUPs not yet forgotten */
	u32 hash_next;			/* slot of the next node in its bucket */
	u64 parent;			/* held by name: the directory's node */
	char *name;			/* ... and the name in it */
};

/* An open file or directory: a real descriptor for reading. */
struct fs_file {
	int fd;
	bool dir;
};

/*
 * Slots of nodes or files.  A handle is (generation << 32 | index); a
 * slot's generation changes when it is freed, so old handles stop working.
 */
struct slot {
	void *obj;			/* NULL: free */
	u32 gen;
	u32 next_free;
};

struct slot_table {
	struct slot *slots;
	u32 cap;
	u32 used;			/* slots ever handed out, 0 and 1 included */
	u32 free_head;			/* 0: none */
};

struct fuse_server {
	struct slot_table nodes, files;
	u32 *buckets;			/* (dev, ino) -> node slot; 0 ends a chain */
	u32 nr_buckets;			/* a power of 2 */
	u32 nr_nodes;
	unsigned int nr_fds, max_fds;
	int proc_fd;			/* /proc/self/fd, to reopen O_PATH fds */
	bool initialized;		/* INIT answered */
	bool no_openat2;		/* the host kernel lacks it (< 5.6) */
	u8 *dents;			/* getdents64() buffer, MAX_READ bytes */
};

/* One request, parsed. */
struct fs_req {
	struct fuse_in_header h;
	const u8 *arg;			/* the arguments after the header */
	u32 arg_len;			/* without extensions */
	u8 *out;			/* the reply body after fuse_out_header */
	u32 out_max;			/* room for the body */
};

/* ---- slot tables ---- */

static int table_init(struct slot_table *t)
{
	t->slots = calloc(TABLE_MIN, sizeof(*t->slots));
	t->cap = TABLE_MIN;
	t->used = ROOT_SLOT;		/* slot 0 is never handed out */
	t->free_head = 0;
	return t->slots ? 0 : -ENOMEM;
}

static u64 table_add(struct slot_table *t, void *obj)
{
	struct slot *s;
	u32 i = t->free_head;

	if (i) {
		t->free_head = t->slots[i].next_free;
	} else {
		if (t->used == t->cap) {
			s = reallocarray(t->slots, t->cap * 2, sizeof(*s));
			if (!s)
				return 0;
			memset(s + t->cap, 0, t->cap * sizeof(*s));
			t->slots = s;
			t->cap *= 2;
		}
		i = t->used++;
	}
	t->slots[i].obj = obj;
	return (u64)t->slots[i].gen << 32 | i;
}

/* The object a handle names, or NULL if it names nothing (any more). */
static void *table_get(const struct slot_table *t, u64 handle)
{
	u32 i = (u32)handle;

	if (!i || i >= t->used || t->slots[i].gen != handle >> 32)
		return NULL;
	return t->slots[i].obj;
}

static void table_del(struct slot_table *t, u64 handle)
{
	struct slot *s = &t->slots[(u32)handle];

	s->obj = NULL;
	s->gen++;
	s->next_free = t->free_head;
	t->free_head = (u32)handle;
}

/* ---- nodes and their (dev, ino) index ---- */

static u32 *bucket(struct fuse_server *srv, dev_t dev, ino_t ino)
{
	u64 h = (ino ^ (u64)dev << 17) * 0x9e3779b97f4a7c15ULL;

	return &srv->buckets[h >> 32 & (srv->nr_buckets - 1)];
}

static struct fs_node *node_at(struct fuse_server *srv, u32 slot)
{
	return srv->nodes.slots[slot].obj;
}

static u64 node_handle(struct fuse_server *srv, u32 slot)
{
	return (u64)srv->nodes.slots[slot].gen << 32 | slot;
}

static u32 find_node(struct fuse_server *srv, dev_t dev, ino_t ino)
{
	u32 i = *bucket(srv, dev, ino);

	while (i && (node_at(srv, i)->dev != dev || node_at(srv, i)->ino != ino))
		i = node_at(srv, i)->hash_next;
	return i;
}

static void hash_insert(struct fuse_server *srv, u32 slot)
{
	struct fs_node *n = node_at(srv, slot);
	u32 *b = bucket(srv, n->dev, n->ino);

	n->hash_next = *b;
	*b = slot;
}

/* Keeps chains short: twice the buckets when there are more nodes. */
static int hash_grow(struct fuse_server *srv)
{
	u32 *old = srv->buckets, nr_old = srv->nr_buckets, i, slot;

	if (srv->nr_nodes < srv->nr_buckets)
		return 0;
	srv->buckets = calloc(nr_old * 2, sizeof(*old));
	if (!srv->buckets) {
		srv->buckets = old;
		return -ENOMEM;
	}
	srv->nr_buckets = nr_old * 2;
	for (i = 0; i < nr_old; i++) {
		for (slot = old[i]; slot; ) {
			u32 next = node_at(srv, slot)->hash_next;

			hash_insert(srv, slot);
			slot = next;
		}
	}
	free(old);
	return 0;
}

static void hash_remove(struct fuse_server *srv, u32 slot)
{
	struct fs_node *n = node_at(srv, slot);
	u32 *p = bucket(srv, n->dev, n->ino);

	while (*p != slot)
		p = &node_at(srv, *p)->hash_next;
	*p = n->hash_next;
}

/* Takes ownership of @fd (-1: none); returns the new node's nodeid, or 0. */
static u64 node_add(struct fuse_server *srv, int fd, const struct stat *st)
{
	struct fs_node *n = calloc(1, sizeof(*n));
	u64 id;

	if (!n || hash_grow(srv))
		goto fail;
	*n = (struct fs_node) { .fd = fd, .dev = st->st_dev, .ino = st->st_ino };
	id = table_add(&srv->nodes, n);
	if (!id)
		goto fail;
	hash_insert(srv, (u32)id);
	srv->nr_nodes++;
	if (fd >= 0)
		srv->nr_fds++;
	return id;
fail:
	free(n);
	if (fd >= 0)
		close(fd);
	return 0;
}

static struct fs_node *get_node(struct fuse_server *srv, u64 nodeid)
{
	return table_get(&srv->nodes, nodeid);
}

static void forget_one(struct fuse_server *srv, u64 nodeid, u64 nlookup);

static void node_del(struct fuse_server *srv, u64 nodeid)
{
	struct fs_node *n = table_get(&srv->nodes, nodeid);

	hash_remove(srv, (u32)nodeid);
	table_del(&srv->nodes, nodeid);
	srv->nr_nodes--;
	if (n->fd >= 0) {
		close(n->fd);
		srv->nr_fds--;
	}
	/* A directory holds a descriptor: this ends after one step. */
	if (n->name)
		forget_one(srv, n->parent, 1);
	free(n->name);
	free(n);
}

/* ---- server life ---- */

struct fuse_server *fuse_server_new(const char *dir, unsigned int max_fds)
{
	struct fuse_server *srv = calloc(1, sizeof(*srv));
	struct stat st;
	int fd, err;

	if (!srv)
		return NULL;
	srv->proc_fd = -1;
	srv->max_fds = max_fds;
	srv->nr_buckets = 256;
	srv->buckets = calloc(srv->nr_buckets, sizeof(*srv->buckets));
	srv->dents = malloc(FUSE_SERVER_MAX_READ);
	if (!srv->buckets || !srv->dents || table_init(&srv->nodes) ||
	    table_init(&srv->files))
		goto fail_errno;
	srv->proc_fd = open("/proc/self/fd", O_PATH | O_DIRECTORY | O_CLOEXEC);
	fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (srv->proc_fd < 0 || fd < 0)
		goto fail_errno;
	if (fstat(fd, &st)) {
		close(fd);
		goto fail_errno;
	}
	if (node_add(srv, fd, &st) != FUSE_ROOT_ID) {
		errno = ENOMEM;
		goto fail_errno;
	}
	return srv;
fail_errno:
	err = errno;
	fuse_server_free(srv);
	errno = err;
	return NULL;
}

static void close_files(struct fuse_server *srv)
{
	u32 i;

	for (i = ROOT_SLOT; i < srv->files.used; i++) {
		struct fs_file *f = srv->files.slots[i].obj;

		if (!f)
			continue;
		close(f->fd);
		free(f);
		table_del(&srv->files, (u64)srv->files.slots[i].gen << 32 | i);
		srv->nr_fds--;
	}
}

/* Every node but the root: the guest's lookups all end with a reset. */
static void forget_nodes(struct fuse_server *srv)
{
	u32 i;

	for (i = ROOT_SLOT + 1; i < srv->nodes.used; i++)
		if (node_at(srv, i))
			node_del(srv, node_handle(srv, i));
}

void fuse_server_reset(struct fuse_server *srv)
{
	close_files(srv);
	forget_nodes(srv);
	srv->initialized = false;
}

void fuse_server_free(struct fuse_server *srv)
{
	if (!srv)
		return;
	if (srv->nodes.slots && srv->files.slots) {
		fuse_server_reset(srv);
		if (get_node(srv, FUSE_ROOT_ID))
			node_del(srv, FUSE_ROOT_ID);
	}
	if (srv->proc_fd >= 0)
		close(srv->proc_fd);
	free(srv->nodes.slots);
	free(srv->files.slots);
	free(srv->buckets);
	free(srv->dents);
	free(srv);
}

unsigned int fuse_server_fds(const struct fuse_server *srv)
{
	return srv->nr_fds;
}

/* ---- helpers of the operations ---- */

/* Zeroed room for a reply body of @size bytes, or NULL if it won't fit. */
static void *reply_room(struct fs_req *r, size_t size)
{
	if (size > r->out_max)
		return NULL;
	memset(r->out, 0, size);
	return r->out;
}

/* The argument struct of @size bytes (the dispatcher checked the length). */
static void get_arg(const struct fs_req *r, void *arg, size_t size)
{
	memcpy(arg, r->arg, size);
}

/* The name argument: one path component, NUL-terminated (LOOKUP). */
static int get_name(const struct fs_req *r, const char **name)
{
	const char *s = (const char *)r->arg;
	size_t len;

	if (!r->arg_len || s[r->arg_len - 1])
		return -EINVAL;
	len = strlen(s);
	if (len != r->arg_len - 1U || !len)
		return -EINVAL;
	if (len > NAME_MAX)
		return -ENAMETOOLONG;
	/* The kernel resolves "." and ".." itself (no FUSE_EXPORT_SUPPORT). */
	if (strchr(s, '/') || !strcmp(s, ".") || !strcmp(s, ".."))
		return -EINVAL;
	*name = s;
	return 0;
}

/*
 * Opens one component below @dir_fd without following it.  openat2()
 * refuses to leave @dir_fd on its own; openat() on a name without '/' with
 * O_NOFOLLOW is just as confined, for hosts older than Linux 5.6.
 */
static int open_child(struct fuse_server *srv, int dir_fd, const char *name)
{
	struct open_how how = {
		.flags = O_PATH | O_NOFOLLOW | O_CLOEXEC,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
	};
	long fd;

	if (!srv->no_openat2) {
		fd = syscall(SYS_openat2, dir_fd, name, &how, sizeof(how));
		if (fd >= 0 || errno != ENOSYS)
			return fd < 0 ? -errno : (int)fd;
		srv->no_openat2 = true;
	}
	fd = openat(dir_fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	return fd < 0 ? -errno : (int)fd;
}

/*
 * A descriptor of @n: its own, or for a node held by name one opened again
 * below its parent as LOOKUP opens, which put_fd() closes.  A name that
 * no longer leads to the inode the guest looked up is ESTALE.
 */
static int node_fd(struct fuse_server *srv, const struct fs_node *n)
{
	struct fs_node *parent;
	struct stat st;
	int fd;

	if (n->fd >= 0)
		return n->fd;
	parent = get_node(srv, n->parent);
	if (!parent)
		return -ESTALE;
	fd = open_child(srv, parent->fd, n->name);
	if (fd < 0)
		return fd == -ENOENT ? -ESTALE : fd;
	if (fstat(fd, &st) || st.st_dev != n->dev || st.st_ino != n->ino) {
		close(fd);
		return -ESTALE;
	}
	return fd;
}

static void put_fd(const struct fs_node *n, int fd)
{
	if (fd != n->fd)
		close(fd);
}

/*
 * Opens a node for real I/O through /proc/self/fd: an O_PATH descriptor
 * cannot be read, and this reopens the very inode it holds, whatever
 * happened to its name since.
 */
static int reopen_node(struct fuse_server *srv, struct fs_node *n, int flags)
{
	int path_fd = node_fd(srv, n), fd;
	char name[16];

	if (path_fd < 0)
		return path_fd;
	snprintf(name, sizeof(name), "%d", path_fd);
	fd = openat(srv->proc_fd, name, flags | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		fd = -errno;
	put_fd(n, path_fd);
	return fd;
}

static int stat_node(struct fuse_server *srv, const struct fs_node *n,
		     struct stat *st)
{
	int fd = node_fd(srv, n), err = 0;

	if (fd < 0)
		return fd;
	if (fstatat(fd, "", st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW))
		err = -errno;
	put_fd(n, fd);
	return err;
}

/* The 32-bit rdev the kernel decodes with new_decode_dev(). */
static u32 encode_rdev(dev_t rdev)
{
	u32 ma = major(rdev), mi = minor(rdev);

	return (mi & 0xff) | ma << 8 | (mi & ~0xffU) << 12;
}

static void fill_attr(struct fuse_attr *a, const struct stat *st)
{
	*a = (struct fuse_attr) {
		.ino = st->st_ino,
		.size = st->st_size,
		.blocks = st->st_blocks,
		.atime = st->st_atim.tv_sec,
		.mtime = st->st_mtim.tv_sec,
		.ctime = st->st_ctim.tv_sec,
		.atimensec = st->st_atim.tv_nsec,
		.mtimensec = st->st_mtim.tv_nsec,
		.ctimensec = st->st_ctim.tv_nsec,
		.mode = st->st_mode,
		.nlink = st->st_nlink,
		.uid = st->st_uid,
		.gid = st->st_gid,
		.rdev = encode_rdev(st->st_rdev),
		.blksize = st->st_blksize,
	};
}

/* ---- the operations: each returns its reply body's length or -errno ---- */

static int op_init(struct fuse_server *srv, struct fs_req *r)
{
	struct fuse_init_out *o = reply_room(r, sizeof(*o));
	struct fuse_init_in in = { 0 };

	if (!o)
		return -EINVAL;
	/* Older kernels send 16 bytes: major, minor, readahead, flags. */
	memcpy(&in, r->arg, r->arg_len < sizeof(in) ? r->arg_len : sizeof(in));
	if (srv->initialized)
		return -EPROTO;
	o->major = FUSE_SERVER_MAJOR;
	o->minor = FUSE_SERVER_MAX_MINOR;
	/* A newer major: say ours and wait for the guest's next INIT. */
	if (in.major > FUSE_SERVER_MAJOR)
		return sizeof(*o);
	if (in.major < FUSE_SERVER_MAJOR || in.minor < FUSE_SERVER_MIN_MINOR ||
	    r->arg_len < offsetof(struct fuse_init_in, flags2))
		return -EPROTO;
	if (in.minor < o->minor)
		o->minor = in.minor;
	o->max_readahead = in.max_readahead;
	o->flags = in.flags & INIT_FLAGS;
	o->max_background = 16;
	o->congestion_threshold = 12;
	o->max_write = 4096;	/* the least there is: nothing is written */
	o->time_gran = 1;
	o->max_pages = FUSE_SERVER_MAX_READ / 4096;
	srv->initialized = true;
	return sizeof(*o);
}

static int op_destroy(struct fuse_server *srv, struct fs_req *r)
{
	fuse_server_reset(srv);
	return 0;
}

/*
 * Past the budget: a node held by @name below @parent, which the node
 * pins with one lookup of its own.
 */
static u64 node_add_by_name(struct fuse_server *srv, const struct stat *st,
			    u64 parent, const char *name)
{
	char *copy = strdup(name);
	u64 id = copy ? node_add(srv, -1, st) : 0;
	struct fs_node *n = get_node(srv, id);

	if (!n) {
		free(copy);
		return 0;
	}
	n->parent = parent;
	n->name = copy;
	get_node(srv, parent)->nlookup++;
	return id;
}

/* Finds or creates the node for @fd, which this consumes: @name in @parent. */
static u64 lookup_node(struct fuse_server *srv, int fd, const struct stat *st,
		       u64 parent, const char *name, int *err)
{
	u32 slot = find_node(srv, st->st_dev, st->st_ino);
	u64 id;

	if (slot) {
		close(fd);
		node_at(srv, slot)->nlookup++;
		return node_handle(srv, slot);
	}
	/*
	 * Half the budget at most for nodes that are not directories: the
	 * rest stays for directories, which names are looked up below, and
	 * for open files.
	 */
	if (!S_ISDIR(st->st_mode) && srv->nr_fds >= srv->max_fds / 2) {
		close(fd);
		id = node_add_by_name(srv, st, parent, name);
	} else if (srv->nr_fds < srv->max_fds) {
		id = node_add(srv, fd, st);
	} else {
		close(fd);
		*err = -ENFILE;
		return 0;
	}
	if (!id)
		*err = -ENOMEM;
	else
		get_node(srv, id)->nlookup = 1;
	return id;
}

static int op_lookup(struct fuse_server *srv, struct fs_req *r)
{
	struct fs_node *parent = get_node(srv, r->h.nodeid);
	struct fuse_entry_out *o = reply_room(r, sizeof(*o));
	const char *name;
	struct stat st;
	int fd, err;

	if (!parent)
		return -ESTALE;
	if (!o)
		return -EINVAL;
	err = get_name(r, &name);
	if (err)
		return err;
	/* Only directories have names below them, and descriptors. */
	if (parent->fd < 0)
		return -ENOTDIR;
	fd = open_child(srv, parent->fd, name);
	if (fd < 0)
		return fd;
	if (fstat(fd, &st)) {
		err = -errno;
		close(fd);
		return err;
	}
	o->nodeid = lookup_node(srv, fd, &st, r->h.nodeid, name, &err);
	if (!o->nodeid)
		return err;
	o->entry_valid = o->attr_valid = FUSE_SERVER_TTL;
	fill_attr(&o->attr, &st);
	return sizeof(*o);
}

static void forget_one(struct fuse_server *srv, u64 nodeid, u64 nlookup)
{
	struct fs_node *n = get_node(srv, nodeid);

	if (!n)
		return;
	n->nlookup -= nlookup < n->nlookup ? nlookup : n->nlookup;
	/* The root lives as long as the server. */
	if (!n->nlookup && nodeid != FUSE_ROOT_ID)
		node_del(srv, nodeid);
}

/*
 * FORGET and BATCH_FORGET.  A batch whose count disagrees with its length
 * is dropped whole.
 */
static void do_forget(struct fuse_server *srv, const struct fs_req *r)
{
	struct fuse_batch_forget_in batch;
	struct fuse_forget_one one;
	struct fuse_forget_in in;
	u32 i;

	if (r->h.opcode == FUSE_FORGET) {
		if (r->arg_len < sizeof(in))
			return;
		get_arg(r, &in, sizeof(in));
		forget_one(srv, r->h.nodeid, in.nlookup);
		return;
	}
	if (r->arg_len < sizeof(batch))
		return;
	get_arg(r, &batch, sizeof(batch));
	if (batch.count > (r->arg_len - sizeof(batch)) / sizeof(one))
		return;
	for (i = 0; i < batch.count; i++) {
		memcpy(&one, r->arg + sizeof(batch) + i * sizeof(one),
		       sizeof(one));
		forget_one(srv, one.nodeid, one.nlookup);
	}
}

static int op_getattr(struct fuse_server *srv, struct fs_req *r)
{
	struct fs_node *n = get_node(srv, r->h.nodeid);
	struct fuse_attr_out *o = reply_room(r, sizeof(*o));
	struct stat st;
	int err;

	if (!n)
		return -ESTALE;
	if (!o)
		return -EINVAL;
	err = stat_node(srv, n, &st);
	if (err)
		return err;
	o->attr_valid = FUSE_SERVER_TTL;
	fill_attr(&o->attr, &st);
	return sizeof(*o);
}

/*
 * The link's text, unresolved: the guest resolves it in its own namespace.
 * The kernel's buffer is a page, and res >= PAGE_SIZE is an error there.
 */
static int op_readlink(struct fuse_server *srv, struct fs_req *r)
{
	struct fs_node *n = get_node(srv, r->h.nodeid);
	char buf[PATH_MAX];
	struct stat st;
	ssize_t len;
	int fd;

	if (!n)
		return -ESTALE;
	fd = node_fd(srv, n);
	if (fd < 0)
		return fd;
	len = readlinkat(fd, "", buf, sizeof(buf));
	if (len < 0)
		len = -errno;
	put_fd(n, fd);
	/* On "" Linux says ENOENT for a non-link; readlink(2) says EINVAL. */
	if (len == -ENOENT && !stat_node(srv, n, &st) && !S_ISLNK(st.st_mode))
		return -EINVAL;
	if (len < 0)
		return len;
	if ((size_t)len >= sizeof(buf) || (size_t)len > r->out_max)
		return -ENAMETOOLONG;
	memcpy(r->out, buf, len);
	return len;
}

static int add_file(struct fuse_server *srv, int fd, bool dir, u64 *fh)
{
	struct fs_file *f = malloc(sizeof(*f));

	if (f) {
		*f = (struct fs_file) { .fd = fd, .dir = dir };
		*fh = table_add(&srv->files, f);
		if (*fh) {
			srv->nr_fds++;
			return 0;
		}
	}
	free(f);
	close(fd);
	return -ENOMEM;
}

/*
 * OPEN and OPENDIR: only regular files and directories are opened here
 * (the guest kernel handles fifos and devices itself), and only to read.
 */
static int open_common(struct fuse_server *srv, struct fs_req *r, bool dir)
{
	struct fs_node *n = get_node(srv, r->h.nodeid);
	struct fuse_open_out *o = reply_room(r, sizeof(*o));
	struct fuse_open_in in;
	struct stat st;
	int fd, err;

	if (!n)
		return -ESTALE;
	if (!o)
		return -EINVAL;
	get_arg(r, &in, sizeof(in));
	if ((in.flags & O_ACCMODE) != O_RDONLY || (in.flags & O_TRUNC))
		return -EROFS;
	err = stat_node(srv, n, &st);
	if (err)
		return err;
	if (dir && !S_ISDIR(st.st_mode))
		return -ENOTDIR;
	if (!dir && S_ISDIR(st.st_mode))
		return -EISDIR;
	if (!dir && !S_ISREG(st.st_mode))
		return -EACCES;
	if (srv->nr_fds >= srv->max_fds)
		return -ENFILE;
	fd = dir ? openat(n->fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC) :
		   reopen_node(srv, n, O_RDONLY | O_NONBLOCK);
	if (fd < 0)
		return dir ? -errno : fd;
	err = add_file(srv, fd, dir, &o->fh);
	if (err)
		return err;
	/*
	 * Keep the page cache (FUSE_AUTO_INVAL_DATA drops it on a new mtime),
	 * and spare every close a FLUSH: nothing is ever written.
	 */
	if (!dir)
		o->open_flags = FOPEN_KEEP_CACHE | FOPEN_NOFLUSH;
	return sizeof(*o);
}

static int op_open(struct fuse_server *srv, struct fs_req *r)
{
	return open_common(srv, r, false);
}

static int op_opendir(struct fuse_server *srv, struct fs_req *r)
{
	return open_common(srv, r, true);
}

/* The open file @fh names, if it is of the right kind. */
static struct fs_file *get_file(struct fuse_server *srv, u64 fh, bool dir,
				int *err)
{
	struct fs_file *f = table_get(&srv->files, fh);

	if (!f)
		*err = -EBADF;
	else if (f->dir != dir)
		*err = dir ? -ENOTDIR : -EISDIR;
	return f && f->dir == dir ? f : NULL;
}

static u32 read_size(const struct fs_req *r, u32 size)
{
	if (size > FUSE_SERVER_MAX_READ)
		size = FUSE_SERVER_MAX_READ;
	return size < r->out_max ? size : r->out_max;
}

static int op_read(struct fuse_server *srv, struct fs_req *r)
{
	struct fuse_read_in in;
	struct fs_file *f;
	ssize_t n;
	int err;

	get_arg(r, &in, sizeof(in));
	f = get_file(srv, in.fh, false, &err);
	if (!f)
		return err;
	if (in.offset > INT64_MAX)
		return -EINVAL;
	do
		n = pread(f->fd, r->out, read_size(r, in.size), in.offset);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n;
}

/* Appends one getdents64() entry as a fuse_dirent; false if it won't fit. */
static bool put_dirent(u8 *out, u32 size, u32 *used,
		       const struct dirent64 *d)
{
	u32 namelen = strlen(d->d_name);
	u32 reclen = FUSE_DIRENT_ALIGN(FUSE_NAME_OFFSET + namelen);
	struct fuse_dirent fd = {
		.ino = d->d_ino,
		.off = d->d_off,
		.namelen = namelen,
		.type = d->d_type,
	};

	if (reclen > size - *used)
		return false;
	memset(out + *used, 0, reclen);
	memcpy(out + *used, &fd, FUSE_NAME_OFFSET);
	memcpy(out + *used + FUSE_NAME_OFFSET, d->d_name, namelen);
	*used += reclen;
	return true;
}

/*
 * READDIR at the guest's offset, which is a d_off getdents64() gave: seek
 * there, read at most as much as the reply holds and convert what fits.
 * The guest's next offset is the last entry's d_off, so what did not fit
 * is read again then.
 */
static int op_readdir(struct fuse_server *srv, struct fs_req *r)
{
	struct fuse_read_in in;
	struct fs_file *f;
	u32 size, used = 0;
	long len, pos;
	int err;

	get_arg(r, &in, sizeof(in));
	f = get_file(srv, in.fh, true, &err);
	if (!f)
		return err;
	if (in.offset > INT64_MAX)
		return -EINVAL;
	size = read_size(r, in.size);
	if (lseek(f->fd, in.offset, SEEK_SET) < 0)
		return -errno;
	len = syscall(SYS_getdents64, f->fd, srv->dents, size);
	if (len < 0)
		return -errno;
	for (pos = 0; pos < len; ) {
		const struct dirent64 *d = (void *)(srv->dents + pos);

		if (!put_dirent(r->out, size, &used, d))
			break;
		pos += d->d_reclen;
	}
	/* An empty reply means the end: not when no entry fits. */
	return !used && len ? -EINVAL : (int)used;
}

static int release_common(struct fuse_server *srv, struct fs_req *r, bool dir)
{
	struct fuse_release_in in;
	struct fs_file *f;
	int err;

	get_arg(r, &in, sizeof(in));
	f = get_file(srv, in.fh, dir, &err);
	if (!f)
		return err;
	close(f->fd);
	free(f);
	table_del(&srv->files, in.fh);
	srv->nr_fds--;
	return 0;
}

static int op_release(struct fuse_server *srv, struct fs_req *r)
{
	return release_common(srv, r, false);
}

static int op_releasedir(struct fuse_server *srv, struct fs_req *r)
{
	return release_common(srv, r, true);
}

/* Nothing is ever written, so there is nothing to flush. */
static int op_flush(struct fuse_server *srv, struct fs_req *r)
{
	struct fuse_flush_in in;
	int err = 0;

	get_arg(r, &in, sizeof(in));
	return get_file(srv, in.fh, false, &err) ? 0 : err;
}

static int op_statfs(struct fuse_server *srv, struct fs_req *r)
{
	struct fs_node *n = get_node(srv, r->h.nodeid);
	struct fuse_statfs_out *o = reply_room(r, sizeof(*o));
	struct statfs s;
	int fd, err = 0;

	if (!n)
		return -ESTALE;
	if (!o)
		return -EINVAL;
	fd = node_fd(srv, n);
	if (fd < 0)
		return fd;
	if (fstatfs(fd, &s))
		err = -errno;
	put_fd(n, fd);
	if (err)
		return err;
	o->st = (struct fuse_kstatfs) {
		.blocks = s.f_blocks,
		.bfree = s.f_bfree,
		.bavail = s.f_bavail,
		.files = s.f_files,
		.ffree = s.f_ffree,
		.bsize = s.f_bsize,
		.namelen = s.f_namelen,
		.frsize = s.f_frsize,
	};
	return sizeof(*o);
}

/* The host's answer for lkvm's own credentials; never writable. */
static int op_access(struct fuse_server *srv, struct fs_req *r)
{
	struct fs_node *n = get_node(srv, r->h.nodeid);
	struct fuse_access_in in;
	char name[16];
	int fd, err = 0;

	if (!n)
		return -ESTALE;
	get_arg(r, &in, sizeof(in));
	if (in.mask & ~(R_OK | W_OK | X_OK))
		return -EINVAL;
	if (in.mask & W_OK)
		return -EROFS;
	fd = node_fd(srv, n);
	if (fd < 0)
		return fd;
	snprintf(name, sizeof(name), "%d", fd);
	if (faccessat(srv->proc_fd, name, in.mask, AT_EACCESS))
		err = -errno;
	put_fd(n, fd);
	return err;
}

static int op_erofs(struct fuse_server *srv, struct fs_req *r)
{
	return -EROFS;
}

/* ---- dispatch ---- */

struct fs_op {
	int (*fn)(struct fuse_server *srv, struct fs_req *r);
	u32 min_arg;			/* bytes of arguments at least */
};

/*
 * Everything not here is ENOSYS, which the kernel remembers for xattrs,
 * fsync, locks, lseek and the like and then handles on its own.
 */
static const struct fs_op ops[] = {
	[FUSE_INIT]		= { op_init, 2 * sizeof(u32) },
	[FUSE_DESTROY]		= { op_destroy, 0 },
	[FUSE_LOOKUP]		= { op_lookup, 0 },
	[FUSE_GETATTR]		= { op_getattr, sizeof(struct fuse_getattr_in) },
	[FUSE_READLINK]		= { op_readlink, 0 },
	[FUSE_OPEN]		= { op_open, sizeof(struct fuse_open_in) },
	[FUSE_OPENDIR]		= { op_opendir, sizeof(struct fuse_open_in) },
	[FUSE_READ]		= { op_read, sizeof(struct fuse_read_in) },
	[FUSE_READDIR]		= { op_readdir, sizeof(struct fuse_read_in) },
	[FUSE_RELEASE]		= { op_release, sizeof(struct fuse_release_in) },
	[FUSE_RELEASEDIR]	= { op_releasedir, sizeof(struct fuse_release_in) },
	[FUSE_FLUSH]		= { op_flush, sizeof(struct fuse_flush_in) },
	[FUSE_STATFS]		= { op_statfs, 0 },
	[FUSE_ACCESS]		= { op_access, sizeof(struct fuse_access_in) },
	[FUSE_SETATTR]		= { op_erofs, 0 },
	[FUSE_SYMLINK]		= { op_erofs, 0 },
	[FUSE_MKNOD]		= { op_erofs, 0 },
	[FUSE_MKDIR]		= { op_erofs, 0 },
	[FUSE_UNLINK]		= { op_erofs, 0 },
	[FUSE_RMDIR]		= { op_erofs, 0 },
	[FUSE_RENAME]		= { op_erofs, 0 },
	[FUSE_RENAME2]		= { op_erofs, 0 },
	[FUSE_LINK]		= { op_erofs, 0 },
	[FUSE_WRITE]		= { op_erofs, 0 },
	[FUSE_CREATE]		= { op_erofs, 0 },
	[FUSE_TMPFILE]		= { op_erofs, 0 },
	[FUSE_SETXATTR]		= { op_erofs, 0 },
	[FUSE_REMOVEXATTR]	= { op_erofs, 0 },
	[FUSE_FALLOCATE]	= { op_erofs, 0 },
	[FUSE_COPY_FILE_RANGE]	= { op_erofs, 0 },
};

/* Checks the header against the buffer; fills in the argument fields. */
static int parse_request(struct fs_req *r, const void *in, size_t in_len)
{
	u64 ext = (u64)r->h.total_extlen * 8;

	if (r->h.len != in_len || in_len > FUSE_SERVER_MAX_REQUEST)
		return -EINVAL;
	if (ext > in_len - sizeof(r->h))
		return -EINVAL;
	r->arg = (const u8 *)in + sizeof(r->h);
	r->arg_len = in_len - sizeof(r->h) - ext;
	return 0;
}

static int dispatch(struct fuse_server *srv, struct fs_req *r)
{
	u32 op = r->h.opcode;

	if (op >= ARRAY_SIZE(ops) || !ops[op].fn)
		return -ENOSYS;
	if (r->arg_len < ops[op].min_arg)
		return -EINVAL;
	if (op != FUSE_INIT && !srv->initialized)
		return -EIO;
	return ops[op].fn(srv, r);
}

size_t fuse_server_handle(struct fuse_server *srv, const void *in,
			  size_t in_len, void *out, size_t out_max)
{
	struct fuse_out_header oh = { .len = sizeof(oh) };
	struct fs_req r = { 0 };
	int ret = -EINVAL;

	if (in_len >= sizeof(r.h)) {
		memcpy(&r.h, in, sizeof(r.h));
		oh.unique = r.h.unique;
		ret = parse_request(&r, in, in_len);
	}
	/* FORGETs have no reply; a malformed one is dropped. */
	if (in_len >= sizeof(r.h) && (r.h.opcode == FUSE_FORGET ||
				      r.h.opcode == FUSE_BATCH_FORGET)) {
		if (!ret && srv->initialized)
			do_forget(srv, &r);
		return 0;
	}
	if (out_max < sizeof(oh))
		return 0;
	if (!ret) {
		r.out = (u8 *)out + sizeof(oh);
		r.out_max = out_max > FUSE_SERVER_MAX_REPLY ?
			    FUSE_SERVER_MAX_REPLY - sizeof(oh) :
			    out_max - sizeof(oh);
		ret = dispatch(srv, &r);
	}
	if (ret < 0)
		oh.error = ret;
	else
		oh.len += ret;
	memcpy(out, &oh, sizeof(oh));
	return oh.len;
}
