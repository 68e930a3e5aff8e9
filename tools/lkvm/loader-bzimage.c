// SPDX-License-Identifier: GPL-2.0
/*
 * bzImage: the x86 boot protocol 2.12+ (the kernel's
 * Documentation/x86/boot.rst).  lkvm has no real-mode setup code to run.
 * An LZ4 or gzip payload is decompressed here and the vmlinux inside is
 * loaded as loader-vmlinux.c loads one, under the bzImage's own setup
 * header; any other payload (or --kaslr) gets the protected-mode part
 * loaded and entered at its 64-bit entry point, 0x200 bytes in, where the
 * kernel decompresses itself.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "linux-boot.h"
#include "unlz4.h"
#include "vm.h"

#define HDR_OFFSET	0x1f1		/* struct setup_header in the image */
#define HDR_MAGIC_OFF	0x202		/* "HdrS" */
#define HDR_LEN_OFF	0x201		/* jump offset: end of header - 0x202 */
#define BOOT_FLAG	0xaa55
#define ENTRY_64	0x200		/* 64-bit entry: load address + 0x200 */
#define MIN_HDR_END	0x264		/* through init_size (2.10) */
#define DEFAULT_SETUP_SECTS 4		/* setup_sects == 0 means 4 */
/* The kernel's build appends the decompressed size (mkpiggy reads it). */
#define SIZE_TRAILER	4

enum payload_format { PAYLOAD_OTHER, PAYLOAD_LZ4, PAYLOAD_GZIP };

bool is_bzimage(const void *buf, size_t size)
{
	return size >= HDR_MAGIC_OFF + 4 &&
	       !memcmp((const u8 *)buf + HDR_MAGIC_OFF, "HdrS", 4);
}

/* Copies the header the image has; the rest of k->hdr stays zero. */
static int read_header(const char *path, const u8 *buf, size_t size,
		       struct linux_kernel *k)
{
	size_t end;

	if (size <= HDR_LEN_OFF) {
		pr_err("%s: truncated bzImage: %zu bytes, no setup header", path,
		       size);
		return -1;
	}
	end = HDR_MAGIC_OFF + buf[HDR_LEN_OFF];
	if (end < MIN_HDR_END) {
		pr_err("%s: setup header ends at %#zx, before init_size at %#x: not a 2.12+ header",
		       path, end, MIN_HDR_END);
		return -1;
	}
	if (size < end) {
		pr_err("%s: truncated bzImage: %zu bytes, the setup header ends at %#zx",
		       path, size, end);
		return -1;
	}
	memset(&k->hdr, 0, sizeof(k->hdr));
	k->hdr_len = end - HDR_OFFSET;
	if (k->hdr_len > sizeof(k->hdr))
		k->hdr_len = sizeof(k->hdr);	/* newer fields lkvm ignores */
	memcpy(&k->hdr, buf + HDR_OFFSET, k->hdr_len);
	return 0;
}

static int check_header(const char *path, const struct setup_header *h)
{
	if (h->boot_flag != BOOT_FLAG) {
		pr_err("%s: boot flag is %#x, not %#x: not a bzImage", path,
		       h->boot_flag, BOOT_FLAG);
		return -1;
	}
	if (h->version < BOOT_PROTO_64BIT) {
		pr_err("%s: boot protocol %u.%02u is too old: a 64-bit entry needs 2.12",
		       path, h->version >> 8, h->version & 0xff);
		return -1;
	}
	if (!(h->xloadflags & XLF_KERNEL_64)) {
		pr_err("%s: kernel has no 64-bit entry point (XLF_KERNEL_64 clear): not an x86-64 kernel?",
		       path);
		return -1;
	}
	if (!(h->loadflags & LOADED_HIGH)) {
		pr_err("%s: zImage (loaded low) kernels are not supported", path);
		return -1;
	}
	return 0;
}

/* Where the protected-mode kernel lies in the file; checks it is all there. */
static int kernel_extent(const char *path, const struct setup_header *h,
			 size_t size, u64 *off, u64 *len)
{
	u64 sects = h->setup_sects ? h->setup_sects : DEFAULT_SETUP_SECTS;

	*off = (sects + 1) * 512;
	*len = (u64)h->syssize * 16;
	if (!*len) {
		pr_err("%s: syssize is 0: no protected-mode kernel", path);
		return -1;
	}
	if (*off > size || *len > size - *off) {
		pr_err("%s: truncated bzImage: %zu bytes, but setup (%#llx) + kernel (%#llx) need %#llx",
		       path, size, (unsigned long long)*off,
		       (unsigned long long)*len,
		       (unsigned long long)(*off + *len));
		return -1;
	}
	if (h->payload_offset > *len || h->payload_length > *len - h->payload_offset) {
		pr_err("%s: compressed payload [%#x, +%#x) lies outside the %#llx-byte kernel",
		       path, h->payload_offset, h->payload_length,
		       (unsigned long long)*len);
		return -1;
	}
	return 0;
}

static bool power_of_two(u64 x)
{
	return x && !(x & (x - 1));
}

/* The protocol's load address: pref_address, aligned if relocatable. */
static int load_address(const char *path, const struct setup_header *h,
			u64 *addr)
{
	u64 align = h->kernel_alignment;

	*addr = h->pref_address;
	if (h->relocatable_kernel) {
		if (!power_of_two(align) || align < 4096) {
			pr_err("%s: kernel_alignment %#llx is not a power of two >= 4 KiB",
			       path, (unsigned long long)align);
			return -1;
		}
		if (*addr < LINUX_BIOS_AREA)
			*addr = 16 * MiB;
		*addr = ALIGN_UP(*addr, align);
	} else if (*addr < LINUX_BIOS_AREA) {
		pr_err("%s: non-relocatable kernel wants to load at %#llx, below 1 MiB",
		       path, (unsigned long long)*addr);
		return -1;
	}
	return 0;
}

/* The payload's magic, as the kernel's scripts/extract-vmlinux looks for it. */
static enum payload_format payload_format(const u8 *p, size_t len)
{
	static const u8 gzip[] = { 0x1f, 0x8b, 0x08 };	/* deflate */

	if (len < 4 + SIZE_TRAILER)
		return PAYLOAD_OTHER;
	if (get_le32(p) == LZ4_LEGACY_MAGIC)
		return PAYLOAD_LZ4;
	if (!memcmp(p, gzip, sizeof(gzip)))
		return PAYLOAD_GZIP;
	return PAYLOAD_OTHER;
}

/*
 * The payload is @len bytes at file offset @pos.  The size trailer follows
 * the LZ4 frame; gzip's own ISIZE is the trailer.
 */
static ssize_t unlz4_payload(const char *path, const u8 *in, size_t pos,
			     size_t len, u8 *out, size_t cap)
{
	struct unlz4_error err;
	ssize_t n = unlz4_legacy(in, len - SIZE_TRAILER, out, cap, &err);

	if (n < 0)
		pr_err("%s: corrupt LZ4 payload at file offset %#zx: %s", path,
		       pos + err.at, err.msg);
	return n;
}

static ssize_t gunzip_payload(const char *path, const u8 *in, size_t pos,
			      size_t len, u8 *out, size_t cap)
{
	z_stream z = {
		.next_in = (Bytef *)in, .avail_in = len,
		.next_out = out, .avail_out = cap,
	};
	int ret;

	if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) {
		pr_err("%s: cannot set up zlib for the gzip payload", path);
		return -1;
	}
	ret = inflate(&z, Z_FINISH);
	if (ret == Z_BUF_ERROR && !z.avail_out)
		pr_err("%s: gzip payload decompresses to more than %zu bytes",
		       path, cap);
	else if (ret != Z_STREAM_END)
		pr_err("%s: corrupt gzip payload at file offset %#zx: %s",
		       path, pos + z.total_in, z.msg ? z.msg : "truncated");
	inflateEnd(&z);
	return ret == Z_STREAM_END ? (ssize_t)z.total_out : -1;
}

/*
 * The payload holds the vmlinux (an ELF, stripped), then the relocations
 * the kernel's decompressor applies when it moves the kernel, then the size
 * of the two.  The size is bounded by init_size, which the protocol makes
 * room for and the caller has checked against guest RAM.
 */
static u8 *decompress_payload(const char *path, enum payload_format fmt,
			      const u8 *buf, size_t pos, size_t len,
			      u32 init_size, size_t *size)
{
	const u8 *p = buf + pos;
	u32 want = get_le32(p + len - SIZE_TRAILER);
	ssize_t n;
	u8 *out;

	if (want > init_size || !want) {
		pr_err("%s: payload says it decompresses to %#x bytes; init_size is %#x",
		       path, want, init_size);
		return NULL;
	}
	out = malloc(want);
	if (!out) {
		pr_err("%s: no memory to decompress %u bytes", path, want);
		return NULL;
	}
	if (fmt == PAYLOAD_LZ4)
		n = unlz4_payload(path, p, pos, len, out, want);
	else
		n = gunzip_payload(path, p, pos, len, out, want);
	if (n >= 0 && n != want)
		pr_err("%s: payload decompresses to %zd bytes, but says %u",
		       path, n, want);
	if (n != want) {
		free(out);
		return NULL;
	}
	*size = n;
	return out;
}

/*
 * The vmlinux runs where it is linked (p_paddr, LOAD_PHYSICAL_ADDR): no
 * relocation, as the kernel's own decompressor skips its table when the
 * kernel stays there.  The bzImage's header stays, and so does its claim
 * on [load address, + init_size).
 */
static int load_payload_vmlinux(struct vm *vm, const char *path,
				enum payload_format fmt, const u8 *buf,
				size_t pos, struct linux_kernel *k)
{
	u64 end = k->end;
	size_t size;
	u8 *elf = decompress_payload(path, fmt, buf, pos, k->hdr.payload_length,
				     k->hdr.init_size, &size);
	int ret = -1;

	if (!elf)
		return -1;
	if (!is_vmlinux(elf, size))
		pr_err("%s: the decompressed payload is not an x86-64 vmlinux",
		       path);
	else
		ret = load_vmlinux_image(vm, path, elf, size, k);
	free(elf);
	if (k->end < end)
		k->end = end;
	return ret;
}

int load_bzimage(struct vm *vm, const char *path, const void *buf,
		 size_t size, bool kaslr, struct linux_kernel *k)
{
	const struct setup_header *h = &k->hdr;
	u64 off, len, init_size;
	enum payload_format fmt;
	void *dst;

	if (read_header(path, buf, size, k) || check_header(path, h) ||
	    kernel_extent(path, h, size, &off, &len) ||
	    load_address(path, h, &k->load_addr))
		return -1;
	init_size = h->init_size;
	if (init_size < len) {
		pr_err("%s: init_size %#llx is smaller than the %#llx-byte kernel",
		       path, (unsigned long long)init_size,
		       (unsigned long long)len);
		return -1;
	}
	k->end = k->load_addr + init_size;
	dst = gpa_to_hva(vm, k->load_addr, init_size);
	if (!dst || k->end > vm->banks[0].size) {
		pr_err("%s: kernel needs RAM up to %llu MiB (load at %#llx + init_size %#llx); give more with -m",
		       path, (unsigned long long)(ALIGN_UP(k->end, MiB) / MiB),
		       (unsigned long long)k->load_addr,
		       (unsigned long long)init_size);
		return -1;
	}
	fmt = payload_format((const u8 *)buf + off + h->payload_offset,
			     h->payload_length);
	if (fmt != PAYLOAD_OTHER && !kaslr)
		return load_payload_vmlinux(vm, path, fmt, buf,
					    off + h->payload_offset, k);
	memcpy(dst, (const u8 *)buf + off, len);
	k->entry = k->load_addr + ENTRY_64;
	return 0;
}

/*
 * "6.1.0-56-cloud-amd64 (debian-kernel@...) #1 SMP ..." -> the first word,
 * if it ends within @max bytes and fits @out.
 */
static void copy_release(const char *s, size_t max, char *out, size_t len)
{
	size_t n = 0;

	while (n < max && s[n] && s[n] != ' ')
		n++;
	if (n < len && n < max) {
		memcpy(out, s, n);
		out[n] = '\0';
	}
}

/* The string at 0x200 + kernel_version, within the file. */
static void bzimage_release(const u8 *buf, size_t size, char *out, size_t len)
{
	const struct setup_header *h = (const void *)(buf + HDR_OFFSET);
	u16 kv;
	size_t at;

	if (size < HDR_OFFSET + sizeof(*h))
		return;
	memcpy(&kv, &h->kernel_version, sizeof(kv));
	at = 0x200 + (size_t)kv;
	if (kv && at < size)
		copy_release((const char *)buf + at, size - at, out, len);
}

/* A vmlinux carries linux_banner: "Linux version 6.1.0-... (...)". */
static void vmlinux_release(const u8 *buf, size_t size, char *out, size_t len)
{
	static const char banner[] = "Linux version ";
	const u8 *p = memmem(buf, size, banner, sizeof(banner) - 1);

	if (p) {
		p += sizeof(banner) - 1;
		copy_release((const char *)p, buf + size - p, out, len);
	}
}

int linux_kernel_release(const char *path, char *out, size_t len)
{
	size_t size;
	u8 *buf = read_file(path, &size);
	int ret = 1;

	if (!buf)
		return -1;
	out[0] = '\0';
	if (is_bzimage(buf, size))
		bzimage_release(buf, size, out, len);
	else if (is_vmlinux(buf, size))
		vmlinux_release(buf, size, out, len);
	else
		ret = 0;
	free(buf);
	return ret;
}

static int newest_first(const struct dirent **a, const struct dirent **b)
{
	return strverscmp((*b)->d_name, (*a)->d_name);
}

static int is_vmlinuz(const struct dirent *d)
{
	return !strncmp(d->d_name, "vmlinuz-", 8);
}

const char *linux_default_kernel(void)
{
	static char path[512];
	struct dirent **list;
	int i, n = scandir("/boot", &list, is_vmlinuz, newest_first);

	if (n <= 0) {
		pr_err("no -k given and no /boot/vmlinuz-* to boot");
		return NULL;
	}
	snprintf(path, sizeof(path), "/boot/%s", list[0]->d_name);
	for (i = 0; i < n; i++)
		free(list[i]);
	free(list);
	return path;
}
