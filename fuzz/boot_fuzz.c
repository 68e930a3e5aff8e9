// SPDX-License-Identifier: GPL-2.0
/*
 * Input layout (all of it guest- or user-controlled in lkvm run):
 *   u8  flags: bit 0 -F (flat), bit 1 --real-mode, bit 2 -i, bit 3 -p
 *   u32 initrd size (bit 2 only; a sparse file of zeros, < 32 MiB)
 *   u8  command line length / 16 (bit 3 only)
 *   the rest: the -k file
 *
 * Besides memory safety, the harness holds boot_load() to lkvm's rule for
 * bad input: it fails with exactly one "lkvm: " line on stderr, and
 * succeeds silently.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "boot.h"
#include "boot_fuzz.h"
#include "fuzz_vm.h"

#define RAM_SIZE	(32 * MiB)
#define INITRD_MASK	(32 * MiB - 1)

enum {
	F_FLAT = 1,
	F_REAL_MODE = 2,
	F_INITRD = 4,
	F_CMDLINE = 8,
};

static struct vm *vm;
static char cmdline[256 * 16];
static int err_fd;		/* memfd that stands in for stderr */
static char err_buf[4096];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char path[32];

	vm = fuzz_vm_create(RAM_SIZE);
	err_fd = fuzz_file(2, NULL, 0, path);
	return 0;
}

/* boot_load() with stderr captured; returns the number of lines. */
static int boot_load_lines(const struct boot_config *cfg, int *ret)
{
	struct boot_entry entry;
	int saved = dup(2), lines = 0;
	ssize_t n;

	if (saved < 0 || ftruncate(err_fd, 0) || lseek(err_fd, 0, SEEK_SET) ||
	    dup2(err_fd, 2) < 0)
		abort();
	*ret = boot_load(vm, cfg, &entry);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	n = pread(err_fd, err_buf, sizeof(err_buf) - 1, 0);
	if (n < 0)
		abort();
	err_buf[n] = '\0';
	for (char *p = err_buf; (p = strchr(p, '\n')); p++)
		lines++;
	return lines;
}

static void make_initrd(struct boot_config *cfg, u32 size, char *path)
{
	int fd = fuzz_file(1, NULL, 0, path);

	if (ftruncate(fd, size & INITRD_MASK))
		abort();
	cfg->initrd = path;
}

int boot_fuzz_one(const uint8_t *data, size_t size, size_t magic_off,
		  const char *magic, size_t magic_len)
{
	struct fuzz_input in = { data, size };
	char kernel_path[32], initrd_path[32];
	struct boot_config cfg = { .kernel = kernel_path };
	u8 flags = fuzz_u8(&in);
	int ret, lines;
	u8 *image;

	cfg.flat = flags & F_FLAT;
	cfg.real_mode = flags & F_REAL_MODE;
	if (flags & F_INITRD)
		make_initrd(&cfg, fuzz_u32(&in), initrd_path);
	if (flags & F_CMDLINE) {
		size_t n = fuzz_u8(&in) * 16;

		memset(cmdline, 'x', n);
		cmdline[n] = '\0';
		cfg.cmdline = cmdline;
	}
	image = malloc(in.left + 1);
	if (!image)
		abort();
	memcpy(image, in.p, in.left);
	if (in.left >= magic_off + magic_len)
		memcpy(image + magic_off, magic, magic_len);
	fuzz_file(0, image, in.left, kernel_path);
	free(image);
	lines = boot_load_lines(&cfg, &ret);
	fuzz_vm_clear(vm);
	if (ret ? lines != 1 || strncmp(err_buf, "lkvm: ", 6) : lines) {
		fprintf(stderr, "boot_load() returned %d with %d lines:\n%s",
			ret, lines, err_buf);
		abort();
	}
	return 0;
}
