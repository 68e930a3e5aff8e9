// SPDX-License-Identifier: GPL-2.0
/*
 * lkvm's Linux loaders against the x86 boot protocol (the kernel's
 * Documentation/x86/boot.rst).  Offsets into the image and the zero page are
 * the protocol's own numbers, written out here rather than taken from
 * <asm/bootparam.h>, which lkvm uses: the two are checked against each other.
 * Images are the host's Debian kernel, corrupted one field at a time, and
 * minimal images made from scratch.  The vmlinux is unpacked from the
 * bzImage at test time; readelf (binutils) is the reference for its entry
 * point and segments.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "boot.h"
#include "boot_test.h"
#include "linux-boot.h"
#include "unlz4.h"
#include "kselftest_harness.h"

/* Setup header and zero page offsets (boot protocol). */
#define SETUP_SECTS	0x1f1
#define SYSSIZE		0x1f4
#define BOOT_FLAG	0x1fe
#define JUMP_LEN	0x201
#define HEADER		0x202
#define VERSION		0x206
#define KERNEL_VERSION	0x20e
#define TYPE_OF_LOADER	0x210
#define LOADFLAGS	0x211
#define RAMDISK_IMAGE	0x218
#define RAMDISK_SIZE	0x21c
#define CMD_LINE_PTR	0x228
#define INITRD_ADDR_MAX	0x22c
#define KERNEL_ALIGN	0x230
#define RELOCATABLE	0x234
#define XLOADFLAGS	0x236
#define CMDLINE_SIZE	0x238
#define PAYLOAD_OFFSET	0x248
#define PAYLOAD_LENGTH	0x24c
#define PREF_ADDRESS	0x258
#define INIT_SIZE	0x260
#define ZP_ACPI_RSDP	0x070
#define ZP_EXT_RAMDISK_IMAGE 0x0c0
#define ZP_EXT_RAMDISK_SIZE 0x0c4
#define ZP_EXT_CMD_LINE_PTR 0x0c8
#define ZP_E820_ENTRIES	0x1e8
#define ZP_E820_TABLE	0x2d0

#define RAM_MIB		512

static u64 get(const u8 *p, unsigned int off, unsigned int len)
{
	u64 v = 0;

	memcpy(&v, p + off, len);
	return v;
}

static void put(u8 *p, unsigned int off, unsigned int len, u64 v)
{
	memcpy(p + off, &v, len);
}

/* lkvm run --kaslr for the next load() (the bzimage fixture's variants). */
static bool load_kaslr;

/* Loads @kernel as lkvm run would, ACPI tables first; stderr in *err. */
static int load(struct vm *vm, const char *kernel, const char *initrd,
		const char *params, struct boot_entry *e, const char **err)
{
	struct boot_config cfg = {
		.kernel = kernel, .initrd = initrd, .cmdline = params,
		.kaslr = load_kaslr,
	};
	struct capture c;
	int ret;

	capture_start(&c);
	ret = acpi_build(vm, 1) ?: boot_load(vm, &cfg, e);
	*err = capture_end(&c);
	return ret;
}

/*
 * The smallest image the protocol allows lkvm to boot: four setup sectors
 * and the boot sector, then a 4 KiB "kernel" of known bytes.
 */
#define SCRATCH_SETUP	(5 * 512)
#define SCRATCH_KERNEL	4096

static size_t make_scratch(u8 *img)
{
	unsigned int i;

	memset(img, 0, SCRATCH_SETUP + SCRATCH_KERNEL);
	img[SETUP_SECTS] = 4;
	put(img, SYSSIZE, 4, SCRATCH_KERNEL / 16);
	put(img, BOOT_FLAG, 2, 0xaa55);
	img[0x200] = 0xeb;
	img[JUMP_LEN] = 0x6a;		/* header through 0x26b */
	memcpy(img + HEADER, "HdrS", 4);
	put(img, VERSION, 2, 0x020f);
	img[LOADFLAGS] = 0x01;		/* LOADED_HIGH */
	put(img, INITRD_ADDR_MAX, 4, 0x7fffffff);
	put(img, KERNEL_ALIGN, 4, 0x200000);
	img[RELOCATABLE] = 1;
	put(img, XLOADFLAGS, 2, 0x1);	/* XLF_KERNEL_64 */
	put(img, CMDLINE_SIZE, 4, 2047);
	put(img, PREF_ADDRESS, 8, 0x1000000);
	put(img, INIT_SIZE, 4, 0x10000);
	for (i = 0; i < SCRATCH_KERNEL; i++)
		img[SCRATCH_SETUP + i] = i * 7 + 3;
	return SCRATCH_SETUP + SCRATCH_KERNEL;
}

/* Where bzImage @img's compressed payload starts in the file. */
static size_t payload_pos(const u8 *img)
{
	return ((img[SETUP_SECTS] ? img[SETUP_SECTS] : 4) + 1) * 512 +
	       get(img, PAYLOAD_OFFSET, 4);
}

static bool lz4_payload(const u8 *img)
{
	return !memcmp(img + payload_pos(img), "\x02\x21\x4c\x18", 4);
}

/* By its magic: LZ4's legacy frame or gzip, which lkvm decompresses. */
static bool host_decompressible(const u8 *img)
{
	return lz4_payload(img) ||
	       !memcmp(img + payload_pos(img), "\x1f\x8b\x08", 3);
}

/* ---- rejections: each a clear one-line message naming the file ---- */

FIXTURE(reject) {
	struct vm vm;
	u8 *img;
	size_t size;
};

FIXTURE_VARIANT(reject) {
	bool scratch;			/* else the host's kernel */
	void (*mutate)(u8 *img, size_t *size);
	const char *want;		/* in the message */
	u64 mib;			/* 0: RAM_MIB */
	const char *params;
	int initrd_mib;			/* -1 empty file, >0 that size */
	bool initrd_missing;
	bool lz4;			/* needs an LZ4 payload */
};

static void bad_boot_flag(u8 *b, size_t *s) { put(b, BOOT_FLAG, 2, 0x1234); }
static void old_protocol(u8 *b, size_t *s) { put(b, VERSION, 2, 0x020b); }
static void no_64bit(u8 *b, size_t *s) { b[XLOADFLAGS] &= ~1; }
static void zimage(u8 *b, size_t *s) { b[LOADFLAGS] &= ~1; }
static void syssize_zero(u8 *b, size_t *s) { put(b, SYSSIZE, 4, 0); }
static void syssize_past_end(u8 *b, size_t *s) { put(b, SYSSIZE, 4, *s / 16); }
static void truncated_kernel(u8 *b, size_t *s) { *s /= 2; }
static void truncated_header(u8 *b, size_t *s) { *s = 0x220; }
static void header_too_short(u8 *b, size_t *s) { b[JUMP_LEN] = 0x10; }
static void bad_alignment(u8 *b, size_t *s) { put(b, KERNEL_ALIGN, 4, 0x3000); }
static void init_size_small(u8 *b, size_t *s) { put(b, INIT_SIZE, 4, 0x1000); }
static void not_a_kernel(u8 *b, size_t *s) { memset(b, 0x5a, *s); }
static void empty(u8 *b, size_t *s) { *s = 0; }
static void setup_past_end(u8 *b, size_t *s) { b[SETUP_SECTS] = 200; }
static void only_magic(u8 *b, size_t *s) { *s = 0x206; }

static void payload_outside(u8 *b, size_t *s)
{
	put(b, PAYLOAD_OFFSET, 4, get(b, SYSSIZE, 4) * 16 - 16);
}

/*
 * 0xff over the first block's start: the first sequence's lengths become
 * nonsense, and what follows does not decode.  (Flipped literal bytes alone
 * would go unnoticed: the legacy frame has no checksum.)
 */
static void lz4_garbled(u8 *b, size_t *s)
{
	memset(b + payload_pos(b) + 8, 0xff, 64);
}

/* The size the kernel's build appends to the payload. */
static void set_trailer(u8 *b, u32 v)
{
	put(b, payload_pos(b) + get(b, PAYLOAD_LENGTH, 4) - 4, 4, v);
}

static void lz4_size_over_init_size(u8 *b, size_t *s)
{
	set_trailer(b, get(b, INIT_SIZE, 4) + 1);
}

static void lz4_size_short(u8 *b, size_t *s)
{
	set_trailer(b, 0x100000);
}

static void lz4_size_long(u8 *b, size_t *s)
{
	set_trailer(b, get(b, INIT_SIZE, 4));
}

static void fixed_below_1m(u8 *b, size_t *s)
{
	b[RELOCATABLE] = 0;
	put(b, PREF_ADDRESS, 8, 0x10000);
}

FIXTURE_VARIANT_ADD(reject, bad_boot_flag) {
	.mutate = bad_boot_flag, .want = "boot flag is 0x1234, not 0xaa55",
};
FIXTURE_VARIANT_ADD(reject, old_protocol) {
	.mutate = old_protocol, .want = "boot protocol 2.11 is too old",
};
FIXTURE_VARIANT_ADD(reject, no_64bit_entry) {
	.mutate = no_64bit, .want = "no 64-bit entry point (XLF_KERNEL_64 clear)",
};
FIXTURE_VARIANT_ADD(reject, zimage) {
	.mutate = zimage, .want = "zImage (loaded low) kernels are not supported",
};
FIXTURE_VARIANT_ADD(reject, syssize_zero) {
	.mutate = syssize_zero, .want = "syssize is 0",
};
FIXTURE_VARIANT_ADD(reject, syssize_past_end) {
	.mutate = syssize_past_end, .want = "truncated bzImage",
};
FIXTURE_VARIANT_ADD(reject, truncated_kernel) {
	.mutate = truncated_kernel, .want = "truncated bzImage",
};
FIXTURE_VARIANT_ADD(reject, truncated_header) {
	.mutate = truncated_header,
	.want = "truncated bzImage: 544 bytes, the setup header ends at 0x26c",
};
FIXTURE_VARIANT_ADD(reject, header_too_short) {
	.mutate = header_too_short,
	.want = "setup header ends at 0x212, before init_size",
};
FIXTURE_VARIANT_ADD(reject, payload_outside) {
	.mutate = payload_outside, .want = "compressed payload",
};
FIXTURE_VARIANT_ADD(reject, lz4_garbled) {
	.mutate = lz4_garbled, .lz4 = true,
	.want = "corrupt LZ4 payload at file offset",
};
FIXTURE_VARIANT_ADD(reject, lz4_size_over_init_size) {
	.mutate = lz4_size_over_init_size, .lz4 = true,
	.want = "payload says it decompresses to",
};
FIXTURE_VARIANT_ADD(reject, lz4_size_short) {
	.mutate = lz4_size_short, .lz4 = true,
	.want = "decompresses to more than 1048576 bytes",
};
FIXTURE_VARIANT_ADD(reject, lz4_size_long) {
	.mutate = lz4_size_long, .lz4 = true,
	.want = "bytes, but says",
};
FIXTURE_VARIANT_ADD(reject, bad_alignment) {
	.mutate = bad_alignment,
	.want = "kernel_alignment 0x3000 is not a power of two",
};
FIXTURE_VARIANT_ADD(reject, init_size_small) {
	.mutate = init_size_small, .want = "init_size 0x1000 is smaller than",
};
FIXTURE_VARIANT_ADD(reject, fixed_below_1m) {
	.mutate = fixed_below_1m,
	.want = "non-relocatable kernel wants to load at 0x10000, below 1 MiB",
};
FIXTURE_VARIANT_ADD(reject, ram_too_small) {
	.mib = 32, .want = "kernel needs RAM up to",
};
FIXTURE_VARIANT_ADD(reject, cmdline_too_long) {
	.params = "", .want = "kernel command line is",
};
FIXTURE_VARIANT_ADD(reject, initrd_too_big) {
	.mib = 128, .initrd_mib = 80, .want = "initrd does not fit",
};
FIXTURE_VARIANT_ADD(reject, initrd_empty) {
	.initrd_mib = -1, .want = "the initrd is empty",
};
FIXTURE_VARIANT_ADD(reject, initrd_missing) {
	.initrd_missing = true, .want = "cannot open /nonexistent/initrd",
};
FIXTURE_VARIANT_ADD(reject, not_a_kernel) {
	.mutate = not_a_kernel, .want = "not a kernel: neither an ELF file nor a bzImage",
};
FIXTURE_VARIANT_ADD(reject, empty_file) {
	.mutate = empty, .want = "not a kernel",
};
FIXTURE_VARIANT_ADD(reject, scratch_setup_past_end) {
	.scratch = true, .mutate = setup_past_end, .want = "truncated bzImage",
};
FIXTURE_VARIANT_ADD(reject, scratch_only_magic) {
	.scratch = true, .mutate = only_magic,
	.want = "truncated bzImage: 518 bytes, the setup header ends at 0x26c",
};
FIXTURE_VARIANT_ADD(reject, scratch_syssize_zero) {
	.scratch = true, .mutate = syssize_zero, .want = "syssize is 0",
};
FIXTURE_VARIANT_ADD(reject, scratch_old_protocol) {
	.scratch = true, .mutate = old_protocol, .want = "boot protocol 2.11",
};

FIXTURE_SETUP(reject)
{
	const char *k = test_kernel();

	ASSERT_TRUE(test_vm_init(&self->vm, variant->mib ? variant->mib : RAM_MIB));
	if (variant->scratch) {
		self->img = malloc(SCRATCH_SETUP + SCRATCH_KERNEL);
		self->size = make_scratch(self->img);
		return;
	}
	if (!k)
		SKIP(return, "no /boot/vmlinuz-* to corrupt");
	self->img = read_whole(k, &self->size);
	ASSERT_NE(NULL, self->img);
	if (variant->lz4 && !lz4_payload(self->img))
		SKIP(return, "%s has no LZ4 payload", k);
}

FIXTURE_TEARDOWN(reject)
{
	free(self->img);
	test_vm_free(&self->vm);
}

static const char *make_initrd(int mib)
{
	static char path[64];
	int fd;

	strcpy(path, "/tmp/lkvm_boot_initrd.XXXXXX");
	fd = mkstemp(path);
	if (fd < 0 || (mib > 0 && ftruncate(fd, (off_t)mib << 20)))
		return NULL;
	close(fd);
	return path;
}

TEST_F(reject, one_line)
{
	char long_params[3000];
	const char *path, *initrd = NULL, *params = variant->params, *err;
	struct boot_entry e;
	int ret;

	if (variant->mutate)
		variant->mutate(self->img, &self->size);
	path = write_temp(self->img, self->size);
	ASSERT_NE(NULL, path);
	if (params) {
		memset(long_params, 'x', sizeof(long_params) - 1);
		long_params[sizeof(long_params) - 1] = '\0';
		params = long_params;
	}
	if (variant->initrd_mib)
		initrd = make_initrd(variant->initrd_mib);
	if (variant->initrd_missing)
		initrd = "/nonexistent/initrd";
	ret = load(&self->vm, path, initrd, params, &e, &err);
	unlink(path);
	if (initrd && !variant->initrd_missing)
		unlink(initrd);
	EXPECT_EQ(-1, ret);
	TH_LOG("lkvm said: %s", err);
	EXPECT_EQ(1, count_lines(err));
	EXPECT_EQ(0, strncmp(err, "lkvm: ", 6));
	EXPECT_NE(NULL, strstr(err, variant->want));
	/* A message about the image names it. */
	if (!variant->initrd_mib && !variant->initrd_missing && !params)
		EXPECT_NE(NULL, strstr(err, path));
}

/* ---- the reference vmlinux, unpacked by Debian's tools ---- */

/*
 * The vmlinux is unpacked once, before the harness forks the tests, and
 * removed when the harness (not a test's child) exits.
 */
static char vmlinux_file[64];
static pid_t vmlinux_owner;

static const char *vmlinux_path(void)
{
	return vmlinux_file[0] ? vmlinux_file : NULL;
}

static void __attribute__((constructor)) unpack_vmlinux(void)
{
	const char *k = test_kernel();

	if (!k)
		return;
	vmlinux_owner = getpid();
	snprintf(vmlinux_file, sizeof(vmlinux_file), "/tmp/lkvm_boot_vmlinux.%d",
		 vmlinux_owner);
	if (!extract_vmlinux(k, vmlinux_file)) {
		unlink(vmlinux_file);
		vmlinux_file[0] = '\0';
	}
}

/* lkvm run without -k: the newest kernel as sort -V orders them. */
TEST(default_kernel_is_newest)
{
	const char *mine = linux_default_kernel();
	char want[512];

	if (run_cmd("ls /boot/vmlinuz-* 2>/dev/null | sort -V | tail -n 1 | tr -d '\\n'",
		    want, sizeof(want)) || !want[0])
		SKIP(return, "no /boot/vmlinuz-*");
	ASSERT_NE(NULL, mine);
	EXPECT_STREQ(want, mine);
}

static void __attribute__((destructor)) remove_vmlinux(void)
{
	if (vmlinux_file[0] && getpid() == vmlinux_owner)
		unlink(vmlinux_file);
}

static u64 readelf_entry(const char *path)
{
	char cmd[256], out[256];

	snprintf(cmd, sizeof(cmd),
		 "readelf -h '%s' | sed -n 's/.*Entry point address: *//p'", path);
	if (run_cmd(cmd, out, sizeof(out)))
		return 0;
	return strtoull(out, NULL, 0);
}

/* Every PT_LOAD of vmlinux @path at its p_paddr, as readelf lists them. */
static void check_segments(struct __test_metadata *_metadata, struct vm *vm,
			   const char *path)
{
	char cmd[256], out[8192], *line, *save;
	size_t size;
	int segs = 0;
	u8 *file = read_whole(path, &size);

	ASSERT_NE(NULL, file);
	snprintf(cmd, sizeof(cmd), "readelf -lW '%s' | awk '$1 == \"LOAD\" {print $2, $4, $5}'",
		 path);
	ASSERT_EQ(0, run_cmd(cmd, out, sizeof(out)));
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		unsigned long long off, paddr, filesz;

		ASSERT_EQ(3, sscanf(line, "%llx %llx %llx", &off, &paddr, &filesz));
		EXPECT_EQ(0, memcmp(gpa_to_hva(vm, paddr, filesz), file + off, filesz))
			TH_LOG("segment at %#llx", paddr);
		segs++;
	}
	EXPECT_GE(segs, 2);
	free(file);
}

/* ---- what a good bzImage gets: the zero page, by the protocol ---- */

FIXTURE(bzimage) {
	struct vm vm;
	u8 *img;
	size_t size;
	const char *path;
};

/*
 * lkvm decompresses an LZ4 or gzip payload itself, unless --kaslr leaves
 * that to the kernel; other formats always decompress in the guest.
 */
FIXTURE_VARIANT(bzimage) {
	bool kaslr;
};
FIXTURE_VARIANT_ADD(bzimage, host_decompresses) {
	.kaslr = false,
};
FIXTURE_VARIANT_ADD(bzimage, kaslr) {
	.kaslr = true,
};

FIXTURE_SETUP(bzimage)
{
	load_kaslr = variant->kaslr;
	self->path = test_kernel();
	ASSERT_TRUE(test_vm_init(&self->vm, RAM_MIB));
	if (!self->path)
		SKIP(return, "no /boot/vmlinuz-* to load");
	self->img = read_whole(self->path, &self->size);
	ASSERT_NE(NULL, self->img);
}

FIXTURE_TEARDOWN(bzimage)
{
	free(self->img);
	test_vm_free(&self->vm);
}

/* Each e820 entry: 8-byte address, 8-byte size, 4-byte type. */
static bool e820_covers(const u8 *zp, u64 addr, u64 len, u32 type)
{
	unsigned int i, n = zp[ZP_E820_ENTRIES];

	for (i = 0; i < n; i++) {
		const u8 *e = zp + ZP_E820_TABLE + 20 * i;
		u64 a = get(e, 0, 8), s = get(e, 8, 8);

		if (get(e, 16, 4) == type && addr >= a && addr + len <= a + s)
			return true;
	}
	return false;
}

static void check_e820(struct __test_metadata *_metadata, const u8 *zp,
		       u64 ram)
{
	unsigned int i, n = zp[ZP_E820_ENTRIES];
	u64 prev_end = 0, ram_total = 0;

	ASSERT_GE(n, 3U);
	for (i = 0; i < n; i++) {
		const u8 *e = zp + ZP_E820_TABLE + 20 * i;
		u64 a = get(e, 0, 8), s = get(e, 8, 8);
		u32 t = get(e, 16, 4);

		EXPECT_GE(a, prev_end);		/* sorted, no overlap */
		EXPECT_NE(0ULL, s);
		EXPECT_TRUE(t == 1 || t == 2);
		if (t == 1)
			ram_total += s;
		prev_end = a + s;
	}
	/* All RAM but the legacy hole [0x9fc00, 1 MiB) is usable. */
	EXPECT_EQ(ram - (0x100000 - 0x9fc00), ram_total);
	EXPECT_TRUE(e820_covers(zp, 0xe0000, 0x20000, 2));
}

TEST_F(bzimage, zero_page)
{
	const u8 *img = self->img, *zp, *initrd_mem;
	struct boot_entry e;
	const char *err, *initrd_path;
	u64 load_addr, setup, init_size, rd, rd_size, cmd;
	u8 initrd[8192];
	unsigned int i;
	char want[4096];

	for (i = 0; i < sizeof(initrd); i++)
		initrd[i] = i ^ 0xa5;
	initrd_path = write_temp(initrd, sizeof(initrd));
	ASSERT_EQ(0, load(&self->vm, self->path, initrd_path, "lkvm.test=1",
			  &e, &err));
	unlink(initrd_path);
	EXPECT_STREQ("", err);

	load_addr = get(img, PREF_ADDRESS, 8);
	init_size = get(img, INIT_SIZE, 4);
	setup = ((img[SETUP_SECTS] ? img[SETUP_SECTS] : 4) + 1) * 512;
	EXPECT_FALSE(e.real_mode);
	zp = gpa_to_hva(&self->vm, e.rsi, 4096);
	ASSERT_NE(NULL, zp);

	if (!variant->kaslr && host_decompressible(img)) {
		/* The vmlinux inside, as Debian's tools unpack it. */
		if (!vmlinux_path())
			SKIP(return, "cannot unpack the reference vmlinux");
		EXPECT_EQ(readelf_entry(vmlinux_path()), e.rip);
		check_segments(_metadata, &self->vm, vmlinux_path());
	} else {
		/* The protocol's 64-bit entry: load address + 0x200. */
		EXPECT_EQ(load_addr + 0x200, e.rip);
		/* The protected-mode kernel, byte for byte, there. */
		EXPECT_EQ(0, memcmp(gpa_to_hva(&self->vm, load_addr,
					       get(img, SYSSIZE, 4) * 16),
				    img + setup, get(img, SYSSIZE, 4) * 16));
	}

	/* The image's setup header, except what the loader fills in. */
	for (i = 0x1f1; i < 0x202U + img[JUMP_LEN]; i++) {
		if (i == TYPE_OF_LOADER || (i >= RAMDISK_IMAGE && i < RAMDISK_IMAGE + 8) ||
		    (i >= CMD_LINE_PTR && i < CMD_LINE_PTR + 4))
			continue;
		EXPECT_EQ(img[i], zp[i]) TH_LOG("setup header byte %#x", i);
	}
	EXPECT_EQ(0xff, zp[TYPE_OF_LOADER]);

	/* Outside the header, only e820, ACPI and the ext_ fields are set. */
	for (i = 0; i < ZP_E820_ENTRIES; i++)
		if (i < ZP_ACPI_RSDP || i >= ZP_ACPI_RSDP + 8)
			EXPECT_EQ(0, zp[i]) TH_LOG("zero page byte %#x", i);
	EXPECT_EQ(0, zp[0x1ef]);	/* sentinel: the loader zeroed the page */

	/* Command line: lkvm's default, then -p. */
	cmd = get(zp, CMD_LINE_PTR, 4) | get(zp, ZP_EXT_CMD_LINE_PTR, 4) << 32;
	snprintf(want, sizeof(want), "%s lkvm.test=1", LINUX_DEFAULT_CMDLINE);
	EXPECT_STREQ(want, (char *)gpa_to_hva(&self->vm, cmd, strlen(want) + 1));
	EXPECT_LE(strlen(want), get(img, CMDLINE_SIZE, 4));
	EXPECT_TRUE(e820_covers(zp, cmd, strlen(want) + 1, 1));

	/* initrd: page-aligned, in RAM, above the kernel, below its limit. */
	rd = get(zp, RAMDISK_IMAGE, 4) | get(zp, ZP_EXT_RAMDISK_IMAGE, 4) << 32;
	rd_size = get(zp, RAMDISK_SIZE, 4) | get(zp, ZP_EXT_RAMDISK_SIZE, 4) << 32;
	EXPECT_EQ(sizeof(initrd), rd_size);
	EXPECT_EQ(0ULL, rd & 4095);
	EXPECT_GE(rd, load_addr + init_size);
	EXPECT_LE(rd + rd_size, get(img, INITRD_ADDR_MAX, 4) + 1ULL);
	EXPECT_TRUE(e820_covers(zp, rd, rd_size, 1));
	initrd_mem = gpa_to_hva(&self->vm, rd, rd_size);
	ASSERT_NE(NULL, initrd_mem);
	EXPECT_EQ(0, memcmp(initrd, initrd_mem, sizeof(initrd)));

	/* The kernel's whole init_size is RAM. */
	EXPECT_TRUE(e820_covers(zp, load_addr, init_size, 1));
	check_e820(_metadata, zp, RAM_MIB * MiB);

	/* acpi_rsdp_addr names an RSDP. */
	EXPECT_EQ(0, memcmp("RSD PTR ", gpa_to_hva(&self->vm,
			get(zp, ZP_ACPI_RSDP, 8), 8), 8));
}

TEST_F(bzimage, memory_above_4g)
{
	struct boot_entry e;
	const char *err;
	const u8 *zp;

	test_vm_free(&self->vm);
	ASSERT_TRUE(test_vm_init(&self->vm, 4096 + 512));
	ASSERT_EQ(0, load(&self->vm, self->path, NULL, NULL, &e, &err));
	zp = gpa_to_hva(&self->vm, e.rsi, 4096);
	check_e820(_metadata, zp, (4096 + 512) * MiB);
	EXPECT_TRUE(e820_covers(zp, 4 * GiB, 1536 * MiB, 1));
	EXPECT_FALSE(e820_covers(zp, 0xc0000000, 4096, 1));
	EXPECT_EQ(0ULL, get(zp, RAMDISK_IMAGE, 4));
}

TEST(scratch_bzimage_loads)
{
	u8 img[SCRATCH_SETUP + SCRATCH_KERNEL];
	size_t size = make_scratch(img);
	const char *path = write_temp(img, size), *err;
	struct boot_entry e;
	struct vm vm;

	ASSERT_TRUE(test_vm_init(&vm, 64));
	ASSERT_EQ(0, load(&vm, path, NULL, NULL, &e, &err));
	unlink(path);
	EXPECT_EQ(0x1000000ULL + 0x200, e.rip);
	EXPECT_EQ(0, memcmp(gpa_to_hva(&vm, 0x1000000, SCRATCH_KERNEL),
			    img + SCRATCH_SETUP, SCRATCH_KERNEL));
	test_vm_free(&vm);
}

TEST(scratch_bzimage_realigned)
{
	u8 img[SCRATCH_SETUP + SCRATCH_KERNEL];
	size_t size = make_scratch(img);
	const char *path, *err;
	struct boot_entry e;
	struct vm vm;

	/* A relocatable kernel goes to pref_address rounded up to its alignment. */
	put(img, PREF_ADDRESS, 8, 0x1000000 + 0x1000);
	path = write_temp(img, size);
	ASSERT_TRUE(test_vm_init(&vm, 64));
	ASSERT_EQ(0, load(&vm, path, NULL, NULL, &e, &err));
	unlink(path);
	EXPECT_EQ(0x1200000ULL + 0x200, e.rip);
	test_vm_free(&vm);
}

/* ---- the payload lkvm decompresses ---- */

/* readelf's word for where the ELF ends: its section headers come last. */
static u64 readelf_end(const char *path)
{
	char cmd[512], out[64];

	snprintf(cmd, sizeof(cmd),
		 "readelf -hW '%s' | awk '/Start of section headers/ {o = $5} "
		 "/Size of section headers/ {s = $5} "
		 "/Number of section headers/ {n = $5} END {print o + s * n}'",
		 path);
	return run_cmd(cmd, out, sizeof(out)) ? 0 : strtoull(out, NULL, 0);
}

/*
 * What lkvm's decoder makes of the host's LZ4 payload is, byte for byte,
 * what Debian's lz4 makes of it (extract_vmlinux): the vmlinux ELF, then
 * the relocation table, which the kernel needs only when it moves itself.
 * The table starts with its 0 stop word where readelf says the ELF ends.
 */
TEST(lz4_payload_is_extract_vmlinux)
{
	const char *k = test_kernel(), *ref = vmlinux_path();
	size_t size, ref_size, pos, len;
	struct unlz4_error err;
	u8 *img, *want, *out;
	u64 elf_end;
	ssize_t n;

	if (!k || !ref)
		SKIP(return, "no host kernel, or its vmlinux cannot be unpacked");
	img = read_whole(k, &size);
	ASSERT_NE(NULL, img);
	if (!lz4_payload(img))
		SKIP(return, "%s has no LZ4 payload", k);
	want = read_whole(ref, &ref_size);
	ASSERT_NE(NULL, want);
	pos = payload_pos(img);
	len = get(img, PAYLOAD_LENGTH, 4);
	/* The size the kernel's build appends is the whole output's. */
	EXPECT_EQ(ref_size, get(img, pos + len - 4, 4));
	out = malloc(ref_size);
	n = unlz4_legacy(img + pos, len - 4, out, ref_size, &err);
	ASSERT_EQ((ssize_t)ref_size, n) TH_LOG("%s at %zu", err.msg, err.at);
	EXPECT_EQ(0, memcmp(want, out, ref_size));
	elf_end = readelf_end(ref);
	ASSERT_GT(elf_end, 0ULL);
	ASSERT_LT(elf_end, ref_size);
	EXPECT_EQ(0ULL, get(out, elf_end, 4));
	EXPECT_EQ(0ULL, (ref_size - elf_end) % 4);
	free(out);
	free(want);
	free(img);
}

/*
 * The host's bzImage with its payload replaced by the reference vmlinux
 * through gzip (CONFIG_KERNEL_GZIP's format, whose ISIZE is the size the
 * build would append).  NULL if gzip fails.
 */
static u8 *make_gzip_bzimage(const u8 *img, const char *vmlinux,
			     size_t *size)
{
	size_t pos = payload_pos(img), gz_len, total;
	const char *gz_path;
	char cmd[512];
	u8 *gz, *out;

	gz_path = write_temp("", 0);
	snprintf(cmd, sizeof(cmd), "gzip -1 -n -c '%s' > '%s'", vmlinux, gz_path);
	gz = run_cmd(cmd, NULL, 0) ? NULL : read_whole(gz_path, &gz_len);
	unlink(gz_path);
	if (!gz)
		return NULL;
	total = ALIGN_UP(pos + gz_len, 16);
	out = calloc(1, total);
	memcpy(out, img, pos);
	memcpy(out + pos, gz, gz_len);
	put(out, PAYLOAD_LENGTH, 4, gz_len);
	put(out, SYSSIZE, 4, (total - (pos - get(img, PAYLOAD_OFFSET, 4))) / 16);
	free(gz);
	*size = total;
	return out;
}

TEST(gzip_payload)
{
	const char *k = test_kernel(), *ref = vmlinux_path(), *path, *err;
	size_t size, gz_size;
	struct boot_entry e;
	struct vm vm;
	u8 *img, *gz_img;

	if (!k || !ref)
		SKIP(return, "no host kernel, or its vmlinux cannot be unpacked");
	img = read_whole(k, &size);
	ASSERT_NE(NULL, img);
	gz_img = make_gzip_bzimage(img, ref, &gz_size);
	ASSERT_NE(NULL, gz_img);
	path = write_temp(gz_img, gz_size);
	ASSERT_TRUE(test_vm_init(&vm, RAM_MIB));
	ASSERT_EQ(0, load(&vm, path, NULL, NULL, &e, &err)) TH_LOG("%s", err);
	EXPECT_EQ(readelf_entry(ref), e.rip);
	check_segments(_metadata, &vm, ref);
	unlink(path);

	/* A flipped byte in the deflate data: zlib's CRC or structure. */
	gz_img[payload_pos(gz_img) + get(gz_img, PAYLOAD_LENGTH, 4) / 2] ^= 0x10;
	path = write_temp(gz_img, gz_size);
	EXPECT_EQ(-1, load(&vm, path, NULL, NULL, &e, &err));
	TH_LOG("lkvm said: %s", err);
	EXPECT_EQ(1, count_lines(err));
	EXPECT_NE(NULL, strstr(err, "corrupt gzip payload"));
	EXPECT_NE(NULL, strstr(err, path));
	unlink(path);
	test_vm_free(&vm);
	free(gz_img);
	free(img);
}

/* ---- vmlinux ---- */

TEST(vmlinux)
{
	const char *path = vmlinux_path(), *err;
	struct boot_entry e;
	struct vm vm;
	u8 *zp;

	if (!path)
		SKIP(return, "cannot unpack a vmlinux from the host's kernel (tools: lz4, xz, gzip, zstd)");
	ASSERT_TRUE(test_vm_init(&vm, RAM_MIB));
	ASSERT_EQ(0, load(&vm, path, NULL, NULL, &e, &err));
	EXPECT_STREQ("", err);
	/* readelf's e_entry: phys_startup_64, a physical address. */
	EXPECT_EQ(readelf_entry(path), e.rip);
	EXPECT_LT(e.rip, 0xffffffff80000000ULL);

	check_segments(_metadata, &vm, path);

	/* A zero page that says what a bzImage would. */
	zp = gpa_to_hva(&vm, e.rsi, 4096);
	EXPECT_EQ(0xaa55ULL, get(zp, BOOT_FLAG, 2));
	EXPECT_EQ(0, memcmp(zp + HEADER, "HdrS", 4));
	EXPECT_GE(get(zp, VERSION, 2), 0x020cULL);
	EXPECT_EQ(0xff, zp[TYPE_OF_LOADER]);
	EXPECT_EQ(0, strncmp(LINUX_DEFAULT_CMDLINE,
			     gpa_to_hva(&vm, get(zp, CMD_LINE_PTR, 4), 64), 32));
	check_e820(_metadata, zp, RAM_MIB * MiB);
	test_vm_free(&vm);
}

/* The kernel's own .config says where it is linked to run. */
TEST(vmlinux_entry_is_physical_start)
{
	const char *path = vmlinux_path(), *k = test_kernel(), *rel, *err;
	char cmd[512], out[64];
	struct boot_entry e;
	struct vm vm;

	rel = k ? kernel_release_from_name(k) : NULL;
	if (!path || !rel)
		SKIP(return, "no unpackable /boot/vmlinuz-<release>");
	snprintf(cmd, sizeof(cmd),
		 "sed -n 's/^CONFIG_PHYSICAL_START=//p' /boot/config-%s", rel);
	if (run_cmd(cmd, out, sizeof(out)) || !out[0])
		SKIP(return, "no /boot/config-%s", rel);
	ASSERT_TRUE(test_vm_init(&vm, RAM_MIB));
	ASSERT_EQ(0, load(&vm, path, NULL, NULL, &e, &err));
	EXPECT_EQ(strtoull(out, NULL, 0), e.rip);
	test_vm_free(&vm);
}

FIXTURE(vmlinux_reject) {
	struct vm vm;
	u8 *img;
	size_t size;
};

FIXTURE_VARIANT(vmlinux_reject) {
	void (*mutate)(u8 *img, size_t *size);
	u64 mib;
	const char *want;
};

static void cut_1m(u8 *b, size_t *s) { *s = 1 << 20; }
static void virtual_entry(u8 *b, size_t *s) { put(b, 24, 8, 0xffffffff81000000ULL); }

FIXTURE_VARIANT_ADD(vmlinux_reject, truncated) {
	.mutate = cut_1m, .want = "runs past the end of the file",
};
FIXTURE_VARIANT_ADD(vmlinux_reject, ram_too_small) {
	.mib = 32, .want = "lies outside guest RAM",
};
FIXTURE_VARIANT_ADD(vmlinux_reject, virtual_entry) {
	.mutate = virtual_entry, .want = "is virtual; lkvm needs the physical one",
};

FIXTURE_SETUP(vmlinux_reject)
{
	const char *path = vmlinux_path();

	ASSERT_TRUE(test_vm_init(&self->vm, variant->mib ? variant->mib : RAM_MIB));
	if (!path)
		SKIP(return, "cannot unpack a vmlinux from the host's kernel");
	self->img = read_whole(path, &self->size);
	ASSERT_NE(NULL, self->img);
}

FIXTURE_TEARDOWN(vmlinux_reject)
{
	free(self->img);
	test_vm_free(&self->vm);
}

TEST_F(vmlinux_reject, one_line)
{
	const char *path, *err;
	struct boot_entry e;

	if (variant->mutate)
		variant->mutate(self->img, &self->size);
	path = write_temp(self->img, self->size);
	ASSERT_NE(NULL, path);
	EXPECT_EQ(-1, load(&self->vm, path, NULL, NULL, &e, &err));
	unlink(path);
	TH_LOG("lkvm said: %s", err);
	EXPECT_EQ(1, count_lines(err));
	EXPECT_NE(NULL, strstr(err, variant->want));
	EXPECT_NE(NULL, strstr(err, path));
}

/* An ELF that is not a vmlinux is still a payload (lkvm.h's protocol). */
TEST(payload_still_a_payload)
{
	char path[512], self_path[512];
	ssize_t n = readlink("/proc/self/exe", self_path, sizeof(self_path) - 1);
	const char *err;
	struct boot_entry e;
	struct vm vm;

	self_path[n > 0 ? n : 0] = '\0';
	*strrchr(self_path, '/') = '\0';
	ASSERT_LT(snprintf(path, sizeof(path), "%s/../../tools/lkvm/guest/hello.elf",
			   self_path), (int)sizeof(path));
	if (access(path, R_OK))
		SKIP(return, "guest payloads not built");
	ASSERT_TRUE(test_vm_init(&vm, 64));
	ASSERT_EQ(0, load(&vm, path, NULL, NULL, &e, &err));
	EXPECT_EQ(0ULL, e.rsi);
	EXPECT_EQ(64 * MiB, e.rdi);
	EXPECT_EQ(64 * MiB, e.rsp);
	EXPECT_EQ(-1, load(&vm, path, "/etc/hostname", NULL, &e, &err));
	EXPECT_NE(NULL, strstr(err, "-i needs a Linux kernel"));
	test_vm_free(&vm);
}

TEST_HARNESS_MAIN
