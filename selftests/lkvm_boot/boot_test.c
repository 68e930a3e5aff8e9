// SPDX-License-Identifier: GPL-2.0
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "accel.h"
#include "boot_test.h"
#include "linux-boot.h"

static int fake_set_memory(struct vm *vm, unsigned int slot,
			   struct mem_bank *b)
{
	return 0;
}

static void fake_kick(struct vcpu *vcpu)
{
}

static const struct accel_ops fake_ops = {
	.name = "test",
	.set_memory = fake_set_memory,
	.kick = fake_kick,
};

bool test_vm_init(struct vm *vm, u64 mib)
{
	memset(vm, 0, sizeof(*vm));
	vm->accel_ops = &fake_ops;
	vm->stop_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	return !vm_init_memory(vm, mib * MiB);
}

void test_vm_free(struct vm *vm)
{
	unsigned int i;

	for (i = 0; i < vm->nr_banks; i++)
		munmap(vm->banks[i].hva, vm->banks[i].size);
	close(vm->stop_fd);
	vm->nr_banks = 0;
}

void capture_start(struct capture *c)
{
	int fd;

	strcpy(c->path, "/tmp/lkvm_boot_err.XXXXXX");
	fd = mkstemp(c->path);
	fflush(stderr);
	c->saved_fd = dup(2);
	dup2(fd, 2);
	close(fd);
}

const char *capture_end(struct capture *c)
{
	static char buf[8192];
	FILE *f;
	size_t n = 0;

	fflush(stderr);
	dup2(c->saved_fd, 2);
	close(c->saved_fd);
	f = fopen(c->path, "r");
	if (f) {
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
	unlink(c->path);
	return buf;
}

int count_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		if (*s == '\n' || !s[1])
			n++;
	return n;
}

/* The kernel lkvm boots without -k, unless LKVM_TEST_KERNEL names one. */
const char *test_kernel(void)
{
	const char *env = getenv("LKVM_TEST_KERNEL");

	return env ? env : linux_default_kernel();
}

const char *kernel_release_from_name(const char *path)
{
	const char *p = strstr(path, "vmlinuz-");

	return p ? p + 8 : NULL;
}

int run_cmd(const char *cmd, char *out, size_t len)
{
	FILE *p = popen(cmd, "r");
	size_t n = 0;
	int st;

	if (!p)
		return -1;
	if (out) {
		n = fread(out, 1, len - 1, p);
		out[n] = '\0';
	} else {
		char sink[4096];

		while (fread(sink, 1, sizeof(sink), p) > 0)
			;
	}
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

const char *write_temp(const void *buf, size_t size)
{
	static char path[2][64];
	static int which;
	char *p = path[which++ % 2];
	int fd;

	strcpy(p, "/tmp/lkvm_boot_img.XXXXXX");
	fd = mkstemp(p);
	if (fd < 0 || write(fd, buf, size) != (ssize_t)size) {
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	close(fd);
	return p;
}

u8 *read_whole(const char *path, size_t *size)
{
	struct stat st;
	u8 *buf;
	int fd = open(path, O_RDONLY);

	if (fd < 0 || fstat(fd, &st)) {
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	buf = malloc(st.st_size + 1);
	if (buf && read(fd, buf, st.st_size) != st.st_size) {
		free(buf);
		buf = NULL;
	}
	close(fd);
	*size = st.st_size;
	return buf;
}

/* Compressed payload magics as scripts/extract-vmlinux knows them. */
static const struct {
	const char *magic;
	size_t len;
	const char *tool;
} formats[] = {
	{ "\x02\x21\x4c\x18", 4, "lz4 -dc" },
	{ "\xfd\x37\x7a\x58\x5a\x00", 6, "xz -dc" },
	{ "\x1f\x8b\x08", 3, "gzip -dc" },
	{ "\x28\xb5\x2f\xfd", 4, "zstd -dc" },
};

bool extract_vmlinux(const char *kernel, const char *out)
{
	size_t size, i;
	u8 *buf = read_whole(kernel, &size);
	char cmd[1024];
	bool ok = false;

	for (i = 0; buf && !ok && i < ARRAY_SIZE(formats); i++) {
		u8 *p = memmem(buf, size, formats[i].magic, formats[i].len);

		if (!p)
			continue;
		/* Trailing data after the stream is fine: ignore the error. */
		snprintf(cmd, sizeof(cmd),
			 "tail -c +%zu '%s' | %s > '%s' 2>/dev/null; "
			 "readelf -h '%s' > /dev/null 2>&1",
			 (size_t)(p - buf) + 1, kernel, formats[i].tool, out, out);
		ok = run_cmd(cmd, NULL, 0) == 0;
	}
	free(buf);
	return ok;
}
