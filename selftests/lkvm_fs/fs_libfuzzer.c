// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer entry for fuse-server.c, for long runs by hand:
 *	make fuzz-libfuzzer && ./fs_libfuzzer -max_total_time=600
 * Each input is one request; the first two bytes choose the reply room.
 * The server lives across inputs on a small tree made at start, so
 * sequences of lookups, opens and forgets build up state.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/fuse.h>

#include "fuse-server.h"

static struct fuse_server *srv;
static u8 reply[FUSE_SERVER_MAX_REPLY];

static void make_tree(char *dir)
{
	char path[128];
	int fd;

	if (!mkdtemp(dir))
		abort();
	snprintf(path, sizeof(path), "%s/file", dir);
	fd = open(path, O_WRONLY | O_CREAT, 0644);
	if (fd < 0 || write(fd, "data\n", 5) != 5)
		abort();
	close(fd);
	snprintf(path, sizeof(path), "%s/dir", dir);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/link", dir);
	symlink("../../etc", path);
}

static void start(void)
{
	static char dir[] = "/tmp/lkvm-fs-fuzz-XXXXXX";
	struct {
		struct fuse_in_header h;
		struct fuse_init_in in;
	} init = {
		{ .len = sizeof(init), .opcode = FUSE_INIT },
		{ .major = 7, .minor = 38, .flags = FUSE_MAX_PAGES },
	};

	if (!srv) {
		make_tree(dir);
		srv = fuse_server_new(dir, 64);
		if (!srv)
			abort();
	}
	/* A DESTROY or a reset ends the session; start a new one. */
	fuse_server_handle(srv, &init, sizeof(init), reply, sizeof(reply));
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	size_t room = sizeof(reply), n;
	u8 *req;

	start();
	if (size >= 2) {
		room = (data[0] | data[1] << 8) % (sizeof(reply) + 1);
		data += 2;
		size -= 2;
	}
	/* An exact-size copy, so that reading past the end is caught. */
	req = malloc(size ? size : 1);
	memcpy(req, data, size);
	n = fuse_server_handle(srv, req, size, reply, room);
	if (n > room || (n && n < sizeof(struct fuse_out_header)))
		abort();
	free(req);
	return 0;
}
