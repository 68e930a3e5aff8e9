// SPDX-License-Identifier: GPL-2.0
/*
 * The virtio-fs FUSE server (fuse-server.c) on a small tree made for it:
 * a file, a directory, a symlink inside the share and one pointing out of
 * it, a FIFO and a sparse file.  An input is a session of requests, each
 * in an exact-size buffer so that ASan sees any read past it:
 *   u16 length (bit 15: keep the header's len field, else it is made to
 *   match), u16 reply room (0: FUSE_SERVER_MAX_REPLY), u8 misalignment
 *   (bits 3-5: of the request, which may have any alignment; the reply
 *   buffer must be 8-byte aligned, fuse-server.h), the request.
 * Checks: every reply fits its room and starts with a consistent header,
 * and a reset closes every descriptor the session opened.  Each input gets
 * a new server: handles carry generations that would otherwise make an
 * input's meaning depend on the inputs before it.
 */
#include <fcntl.h>
#include <ftw.h>
#include <linux/fuse.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuse-server.h"
#include "fuzz_vm.h"

#define RAW_LEN		0x8000
#define MAX_FDS		32

static char root[] = "/tmp/lkvm-fuzz-fuse.XXXXXX";
static u8 reply[FUSE_SERVER_MAX_REPLY + 8] __attribute__((aligned(8)));

static int remove_entry(const char *path, const struct stat *st, int flag,
			struct FTW *ftw)
{
	return remove(path);
}

static void remove_tree(void)
{
	nftw(root, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
}

static void make_file(const char *name, const char *text, off_t size)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", root, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, text, strlen(text)) < 0 ||
	    (size && ftruncate(fd, size)))
		exit(1);
	close(fd);
}

static void make_tree(void)
{
	char path[256];

	if (!mkdtemp(root))
		exit(1);
	atexit(remove_tree);
	make_file("a", "hello from the host\n", 0);
	snprintf(path, sizeof(path), "%s/d", root);
	mkdir(path, 0755);
	make_file("d/b", "b\n", 0);
	make_file("sparse", "", 1 << 20);
	snprintf(path, sizeof(path), "%s/l", root);
	symlink("a", path);
	snprintf(path, sizeof(path), "%s/out", root);
	symlink("/etc/passwd", path);
	snprintf(path, sizeof(path), "%s/fifo", root);
	mkfifo(path, 0644);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	make_tree();
	return 0;
}

static void serve(struct fuse_server *srv, const u8 *req, size_t len,
		  size_t room)
{
	struct fuse_out_header oh;
	/* 8-byte aligned, as fuse-server.h requires and virtio-fs.c provides. */
	u8 *out = reply;
	size_t n = fuse_server_handle(srv, req, len, out, room);

	if (!n)
		return;
	memcpy(&oh, out, sizeof(oh));
	if (n > room || n < sizeof(oh) || oh.len != n ||
	    (oh.error && n != sizeof(oh)) || oh.error > 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in = { data, size };
	struct fuse_server *srv = fuse_server_new(root, MAX_FDS);

	if (!srv) {
		perror("fuzz: fuse_server_new");
		exit(1);
	}
	while (in.left) {
		u16 word = fuzz_u16(&in), room = fuzz_u16(&in);
		u8 in_skew = fuzz_u8(&in) >> 3 & 7;
		size_t len = word & ~RAW_LEN;
		u32 hdr_len;
		u8 *buf;

		if (len > in.left)
			len = in.left;
		/* Exactly len bytes after in_skew: ASan sees any overread. */
		buf = malloc(in_skew + len ? in_skew + len : 1);
		fuzz_take(&in, buf + in_skew, len);
		if (!(word & RAW_LEN) && len >= sizeof(struct fuse_in_header)) {
			hdr_len = len;
			memcpy(buf + in_skew, &hdr_len, sizeof(hdr_len));
		}
		serve(srv, buf + in_skew, len, room ? room : FUSE_SERVER_MAX_REPLY);
		free(buf);
	}
	fuse_server_reset(srv);
	if (fuse_server_fds(srv) != 1)
		abort();	/* the session leaked descriptors */
	fuse_server_free(srv);
	return 0;
}
