/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A read-only FUSE server for one host directory: the protocol half of
 * virtio-fs (virtio-fs.c carries its requests and replies).  It knows
 * nothing about virtqueues: a request is a buffer (struct fuse_in_header
 * and its arguments), the reply another one, so that it can be tested and
 * fuzzed on its own.  Documentation/virtio-fs.rst describes what it
 * answers and how it keeps the guest inside the shared directory.
 *
 * Every byte of a request comes from the guest and is hostile input.
 * A server is not thread-safe: one request at a time.
 */
#ifndef LKVM_FUSE_SERVER_H
#define LKVM_FUSE_SERVER_H

#include <stddef.h>

#include "util.h"

/* The protocol this server speaks: 7.31 (Linux 5.4) up to 7.38. */
#define FUSE_SERVER_MAJOR	7
#define FUSE_SERVER_MIN_MINOR	31
#define FUSE_SERVER_MAX_MINOR	38

/* Largest READ or READDIR reply body; INIT tells the guest (max_pages). */
#define FUSE_SERVER_MAX_READ	(128 * 1024)
/* A reply buffer of this size holds any reply the server makes. */
#define FUSE_SERVER_MAX_REPLY	(16 + FUSE_SERVER_MAX_READ)
/*
 * Largest request worth reading: a SETXATTR's 64 KiB value and headers.
 * Larger requests are malformed for a server that advertises 4 KiB writes.
 */
#define FUSE_SERVER_MAX_REQUEST	(68 * 1024)

/* Seconds the guest may cache names and attributes. */
#define FUSE_SERVER_TTL		1

struct fuse_server;

/*
 * Serves directory @dir read-only, holding at most @max_fds file
 * descriptors (one per inode the guest looked up, one per open file).
 * Inodes other than directories take at most half of them and are held
 * by name beyond; past @max_fds, LOOKUP of a directory and OPEN fail with
 * ENFILE.  Returns NULL with errno set if @dir cannot be opened as a
 * directory or memory runs out.
 */
struct fuse_server *fuse_server_new(const char *dir, unsigned int max_fds);
void fuse_server_free(struct fuse_server *srv);

/*
 * Forgets every inode and open file and waits for INIT again: what
 * DESTROY does, and what a device reset needs.
 */
void fuse_server_reset(struct fuse_server *srv);

/*
 * Serves the request of @in_len bytes at @in and writes its reply, at most
 * @out_max bytes, to @out.  Returns the reply's length: 0 when there is
 * none (FORGET and BATCH_FORGET never have one, and a reply needs room for
 * struct fuse_out_header), else at least sizeof(struct fuse_out_header).
 * A malformed request gets an error reply, never more.  @in may have any
 * alignment; @out must be 8-byte aligned (replies are FUSE structs).
 */
size_t fuse_server_handle(struct fuse_server *srv, const void *in,
			  size_t in_len, void *out, size_t out_max);

/* File descriptors held now (root included); for tests and statistics. */
unsigned int fuse_server_fds(const struct fuse_server *srv);

#endif
