// SPDX-License-Identifier: GPL-2.0
/*
 * Seeds for the harnesses, built from the structures of the interfaces
 * themselves (uapi, virtio, FUSE and boot protocol headers):
 *   mkseeds synthetic DIR          the small seeds committed in corpus/
 *   mkseeds host DIR GUEST_DIR     seeds from this host's files: the first
 *                                  64 KiB of the newest /boot/vmlinuz-*
 *                                  made loadable, and lkvm's guest payloads
 * Each seed goes to DIR/<harness>/<name>.
 */
#include <asm/bootparam.h>
#include <dirent.h>
#include <elf.h>
#include <endian.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <linux/fuse.h>
#include <linux/lkvm.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>
#include <zlib.h>

#include "virtio_fuzz.h"

#define MiB		(1u << 20)
#define SEED_MAX	(128 * 1024)

static const char *out_dir;

struct seed {
	unsigned char buf[SEED_MAX];
	size_t len;
};

static void put(struct seed *s, const void *p, size_t len)
{
	if (s->len + len > SEED_MAX) {
		fprintf(stderr, "mkseeds: seed too large\n");
		exit(1);
	}
	memcpy(s->buf + s->len, p, len);
	s->len += len;
}

static void put_u8(struct seed *s, unsigned char v)
{
	put(s, &v, 1);
}

static void save(const char *harness, const char *name, const struct seed *s)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", out_dir, harness);
	mkdir(out_dir, 0755);
	if (mkdir(path, 0755) && errno != EEXIST) {
		perror(path);
		exit(1);
	}
	snprintf(path, sizeof(path), "%s/%s/%s", out_dir, harness, name);
	f = fopen(path, "wb");
	if (!f || fwrite(s->buf, 1, s->len, f) != s->len || fclose(f)) {
		perror(path);
		exit(1);
	}
}

/* ---- boot: bzImage ---- */

/*
 * A protocol 2.15 image (boot flag, HdrS, 64-bit entry, loaded high,
 * relocatable) whose protected-mode part is the @len bytes after one
 * setup sector; @image holds at least 1024 + @len bytes.
 */
static void make_bzimage(unsigned char *image, size_t len)
{
	struct setup_header *h = (void *)(image + 0x1f1);

	if (!h->setup_sects)
		h->setup_sects = 1;
	h->boot_flag = 0xaa55;
	image[0x201] = 0x6a;	/* header ends at 0x26c: through 2.15 */
	memcpy(&h->header, "HdrS", 4);
	h->version = 0x020f;
	h->loadflags |= LOADED_HIGH;
	h->xloadflags |= XLF_KERNEL_64;
	h->relocatable_kernel = 1;
	if (!h->kernel_alignment)
		h->kernel_alignment = 2 * MiB;
	if (!h->pref_address)
		h->pref_address = 16 * MiB;
	h->syssize = len / 16;
	h->init_size = (len + 0xfff) & ~0xfffu;
	h->payload_offset = 0;
	h->payload_length = 0;
	h->cmdline_size = 2047;
	h->initrd_addr_max = 0x7fffffff;
}

static void bzimage_seeds(void)
{
	static const unsigned char flags[] = { 0, 0x4, 0x8, 0xc };
	static const char *const names[] = { "plain", "initrd", "cmdline",
					     "initrd-cmdline" };
	unsigned int i;

	for (i = 0; i < 4; i++) {
		struct seed s = { .len = 0 };
		unsigned char image[1024 + 512] = { 0 };

		put_u8(&s, flags[i]);
		if (flags[i] & 4)
			put(&s, &(unsigned int){ 0x1000 }, 4);
		if (flags[i] & 8)
			put_u8(&s, 20);
		make_bzimage(image, 512);
		image[1024] = 0xf4;	/* the "kernel": hlt */
		put(&s, image, sizeof(image));
		save("bzimage", names[i], &s);
	}
}

static void make_elf(struct seed *s, unsigned long long vaddr,
		     unsigned long long paddr, unsigned long long entry);

static void put_le32(struct seed *s, unsigned int v)
{
	unsigned char b[4] = { v, v >> 8, v >> 16, v >> 24 };

	put(s, b, 4);
}

/*
 * A bzImage whose payload is @payload, the whole protected-mode part, and
 * decompresses to a vmlinux: lkvm decompresses it and loads that.
 */
static void payload_seed(const char *name, const struct seed *payload)
{
	static unsigned char image[1024 + SEED_MAX];
	struct setup_header *h = (void *)(image + 0x1f1);
	size_t len = (payload->len + 15) & ~(size_t)15;
	struct seed s = { .len = 0 };

	memset(image, 0, sizeof(image));
	memcpy(image + 1024, payload->buf, payload->len);
	make_bzimage(image, len);
	h->payload_length = payload->len;
	put_u8(&s, 0);
	put(&s, image, 1024 + len);
	save("bzimage", name, &s);
}

/*
 * The ELF vmlinux seed as a legacy LZ4 frame (the kernel's "lz4 -l" and its
 * size trailer): the headers and one zero as literals, the rest of the
 * zero padding as an overlapping match at distance 1, the code as the
 * block's last literals.
 */
static void lz4_seed(const struct seed *elf)
{
	const size_t head = sizeof(Elf64_Ehdr) + sizeof(Elf64_Phdr) + 1;
	const size_t zeros = 0x100 - head, code = elf->len - 0x100;
	struct seed p = { .len = 0 };
	size_t block;

	put_le32(&p, 0x184c2102);
	block = p.len;
	put_le32(&p, 0);
	put_u8(&p, 0xff);			/* 15+ literals, 15+ match */
	put_u8(&p, head - 15);
	put(&p, elf->buf, head);
	put(&p, "\x01\x00", 2);			/* distance 1 */
	put_u8(&p, zeros - 4 - 15);
	put_u8(&p, 0xf0);			/* 15+ literals, the last */
	put_u8(&p, code - 15);
	put(&p, elf->buf + 0x100, code);
	p.buf[block] = p.len - block - 4;
	put_le32(&p, elf->len);
	payload_seed("lz4-vmlinux", &p);
}

/* The same vmlinux through gzip (CONFIG_KERNEL_GZIP). */
static void gzip_seed(const struct seed *elf)
{
	struct seed p = { .len = 0 };
	z_stream z = { 0 };

	if (deflateInit2(&z, 9, Z_DEFLATED, 16 + MAX_WBITS, 8,
			 Z_DEFAULT_STRATEGY) != Z_OK)
		exit(1);
	z.next_in = (unsigned char *)elf->buf;
	z.avail_in = elf->len;
	z.next_out = p.buf;
	z.avail_out = sizeof(p.buf);
	if (deflate(&z, Z_FINISH) != Z_STREAM_END)
		exit(1);
	p.len = z.total_out;
	deflateEnd(&z);
	payload_seed("gzip-vmlinux", &p);
}

static void compressed_seeds(void)
{
	struct seed elf = { .len = 0 };

	make_elf(&elf, 0xffffffff81000000ULL, 16 * MiB, 16 * MiB);
	lz4_seed(&elf);
	gzip_seed(&elf);
}

/* The newest /boot/vmlinuz-* (by name), cut to 64 KiB and made loadable. */
static void vmlinuz_seed(void)
{
	static unsigned char image[64 * 1024];
	struct dirent **list;
	struct setup_header *h = (void *)(image + 0x1f1);
	char path[512];
	struct seed s = { .len = 0 };
	size_t n, off;
	FILE *f;
	int nr = scandir("/boot", &list, NULL, versionsort);

	path[0] = '\0';
	while (nr-- > 0) {
		if (!path[0] && !strncmp(list[nr]->d_name, "vmlinuz-", 8))
			snprintf(path, sizeof(path), "/boot/%s",
				 list[nr]->d_name);
		free(list[nr]);
	}
	if (nr == -1)
		free(list);
	if (!path[0] || !(f = fopen(path, "rb"))) {
		fprintf(stderr, "mkseeds: no readable /boot/vmlinuz-*: no bzImage seed from the host\n");
		return;
	}
	n = fread(image, 1, sizeof(image), f);
	fclose(f);
	off = ((h->setup_sects ? h->setup_sects : 4) + 1) * 512;
	if (n < off + 512)
		return;
	/* As it is, truncated: the loader must say so. */
	put_u8(&s, 0);
	put(&s, image, n);
	save("bzimage", "vmlinuz-truncated", &s);
	make_bzimage(image, n - off);
	s.len = 1;
	put(&s, image, n);
	save("bzimage", "vmlinuz-head", &s);
}

/* ---- boot: ELF ---- */

/* One PT_LOAD ELF64 executable: @paddr/@vaddr, entry @entry, code hlt. */
static void make_elf(struct seed *s, unsigned long long vaddr,
		     unsigned long long paddr, unsigned long long entry)
{
	Elf64_Ehdr eh = {
		.e_ident = { ELFMAG0, ELFMAG1, ELFMAG2, ELFMAG3, ELFCLASS64,
			     ELFDATA2LSB, EV_CURRENT },
		.e_type = ET_EXEC,
		.e_machine = EM_X86_64,
		.e_version = EV_CURRENT,
		.e_entry = entry,
		.e_phoff = sizeof(Elf64_Ehdr),
		.e_ehsize = sizeof(Elf64_Ehdr),
		.e_phentsize = sizeof(Elf64_Phdr),
		.e_phnum = 1,
	};
	Elf64_Phdr ph = {
		.p_type = PT_LOAD,
		.p_flags = PF_R | PF_X,
		.p_offset = 0x100,
		.p_vaddr = vaddr,
		.p_paddr = paddr,
		.p_filesz = 16,
		.p_memsz = 0x1000,
		.p_align = 0x1000,
	};
	unsigned char pad[0x100 - sizeof(eh) - sizeof(ph)] = { 0 };
	unsigned char code[16];

	memset(code, 0xf4, sizeof(code));
	put(s, &eh, sizeof(eh));
	put(s, &ph, sizeof(ph));
	put(s, pad, sizeof(pad));
	put(s, code, sizeof(code));
}

static void elf_seeds(void)
{
	struct seed s = { .len = 0 };

	put_u8(&s, 0);
	make_elf(&s, LKVM_PAYLOAD_MIN_LOAD, LKVM_PAYLOAD_MIN_LOAD,
		 LKVM_PAYLOAD_MIN_LOAD);
	save("elf", "payload", &s);
	/* A vmlinux: linked at the kernel map, entered at a physical address. */
	s.len = 0;
	put_u8(&s, 0);
	make_elf(&s, 0xffffffff81000000ULL, 16 * MiB, 16 * MiB);
	save("elf", "vmlinux", &s);
	s.len = 0;
	put_u8(&s, 0x4);
	put(&s, &(unsigned int){ 0x2000 }, 4);
	make_elf(&s, 0xffffffff81000000ULL, 16 * MiB, 16 * MiB);
	save("elf", "vmlinux-initrd", &s);
}

/* lkvm's guest payloads, as lkvm run -k would be given them. */
static void payload_seeds(const char *guest_dir)
{
	struct dirent *d;
	DIR *dir = opendir(guest_dir);
	char path[4096];

	if (!dir)
		return;
	while ((d = readdir(dir))) {
		struct seed *s = calloc(1, sizeof(*s));
		size_t n = strlen(d->d_name);
		FILE *f;

		if (n < 5 || strcmp(d->d_name + n - 4, ".elf"))
			goto next;
		snprintf(path, sizeof(path), "%s/%s", guest_dir, d->d_name);
		f = fopen(path, "rb");
		if (!f)
			goto next;
		s->buf[0] = 0;
		s->len = 1 + fread(s->buf + 1, 1, SEED_MAX - 1, f);
		fclose(f);
		if (s->len < SEED_MAX)
			save("elf", d->d_name, s);
next:
		free(s);
	}
	closedir(dir);
}

/* ---- virtqueues ---- */

/* Split ring layout in guest RAM used by both virtio harnesses' seeds. */
#define DESC_GPA	0x100
#define AVAIL_GPA	0x200
#define USED_GPA	0x300
#define QUEUE_STRIDE	0x400	/* the second queue's rings */
#define INDIRECT_GPA	0x780
#define BUF_GPA		0x800

struct ring_image {
	unsigned char ram[VFZ_RAM_SIZE];
	unsigned int nr_desc;
	unsigned int nr_avail;
};

static struct vring_desc *desc_at(struct ring_image *r, unsigned int gpa)
{
	return (struct vring_desc *)(r->ram + gpa);
}

/* Appends a descriptor to the table at @table; returns its index. */
static unsigned int add_desc(struct ring_image *r, unsigned long long addr,
			     unsigned int len, unsigned short flags)
{
	unsigned int i = r->nr_desc++;
	struct vring_desc *d = desc_at(r, DESC_GPA) + i;

	d->addr = addr;
	d->len = len;
	d->flags = flags;
	d->next = (flags & VRING_DESC_F_NEXT) ? i + 1 : 0;
	return i;
}

static void make_avail(struct ring_image *r, unsigned short head)
{
	struct vring_avail *a = (void *)(r->ram + AVAIL_GPA);

	a->ring[r->nr_avail++] = head;
	a->idx = r->nr_avail;
}

static void virtqueue_seeds(void)
{
	static struct ring_image r;
	struct seed *s = calloc(1, sizeof(*s));
	struct vring_desc *ind = desc_at(&r, INDIRECT_GPA);
	unsigned int i;

	memset(&r, 0, sizeof(r));
	/* A two-buffer chain, a one-buffer chain, an indirect chain. */
	make_avail(&r, add_desc(&r, BUF_GPA, 16, VRING_DESC_F_NEXT));
	add_desc(&r, BUF_GPA + 16, 512, VRING_DESC_F_WRITE);
	make_avail(&r, add_desc(&r, BUF_GPA + 0x400, 64, 0));
	ind[0] = (struct vring_desc){ BUF_GPA + 0x200, 32, VRING_DESC_F_NEXT, 1 };
	ind[1] = (struct vring_desc){ BUF_GPA + 0x300, 32, VRING_DESC_F_WRITE, 0 };
	make_avail(&r, add_desc(&r, INDIRECT_GPA, 2 * sizeof(*ind),
				VRING_DESC_F_INDIRECT));
	put(s, &(unsigned short){ 8 }, 2);
	put_u8(s, 3);		/* EVENT_IDX and INDIRECT_DESC */
	put(s, &(unsigned long long){ DESC_GPA }, 8);
	put(s, &(unsigned long long){ AVAIL_GPA }, 8);
	put(s, &(unsigned long long){ USED_GPA }, 8);
	put_u8(s, 4);
	for (i = 0; i < 4; i++) {
		put(s, &(unsigned int){ i * 8 }, 4);
		put(s, &(unsigned int){ 64 }, 4);
	}
	put(s, r.ram, BUF_GPA + 0x400);
	save("virtqueue", "three-chains", s);
	free(s);
}

/* ---- virtio devices ---- */

static void put_virtio(struct seed *s, enum vfz_dev dev, unsigned int queue,
		       const struct ring_image *r, unsigned int ram_len)
{
	struct vfz_header h = {
		.dev = dev,
		.msix = queue & 1,
		.features = 1ULL << VIRTIO_F_VERSION_1 |
			    1ULL << VIRTIO_RING_F_EVENT_IDX,
		.nr_ops = 1,
	};
	struct vfz_op kick = { .kind = VFZ_OP_NOTIFY, .value = queue };
	unsigned int i;

	for (i = 0; i < VFZ_NR_QUEUES; i++)
		h.q[i] = (struct vfz_queue){ .size = 16, .msix_vector = i,
			.desc = DESC_GPA + QUEUE_STRIDE * i,
			.avail = AVAIL_GPA + QUEUE_STRIDE * i,
			.used = USED_GPA + QUEUE_STRIDE * i };
	/* The queue we fill uses the ring layout at the base addresses. */
	h.q[queue].desc = DESC_GPA;
	h.q[queue].avail = AVAIL_GPA;
	h.q[queue].used = USED_GPA;
	h.q[1 - queue].desc = DESC_GPA + QUEUE_STRIDE;
	h.q[1 - queue].avail = AVAIL_GPA + QUEUE_STRIDE;
	h.q[1 - queue].used = USED_GPA + QUEUE_STRIDE;
	put(s, &h, sizeof(h));
	put(s, &kick, sizeof(kick));
	put(s, r->ram, ram_len);
}

static void blk_seed(const char *name, unsigned int type,
		     unsigned long long sector, unsigned int data_len,
		     bool data_in)
{
	static struct ring_image r;
	struct seed *s = calloc(1, sizeof(*s));
	struct virtio_blk_outhdr hdr = { .type = type, .sector = sector };
	unsigned int head;

	memset(&r, 0, sizeof(r));
	memcpy(r.ram + BUF_GPA, &hdr, sizeof(hdr));
	head = add_desc(&r, BUF_GPA, sizeof(hdr), VRING_DESC_F_NEXT);
	if (data_len)
		add_desc(&r, BUF_GPA + 0x100, data_len, VRING_DESC_F_NEXT |
			 (data_in ? VRING_DESC_F_WRITE : 0));
	add_desc(&r, BUF_GPA + 0x80, 1, VRING_DESC_F_WRITE);
	make_avail(&r, head);
	put_virtio(s, VFZ_BLK, 0, &r, BUF_GPA + 0x100 + data_len);
	save("virtio_dev", name, s);
	free(s);
}

static void buffer_seed(const char *name, enum vfz_dev dev,
			unsigned int queue, unsigned short flags)
{
	static struct ring_image r;
	struct seed *s = calloc(1, sizeof(*s));

	memset(&r, 0, sizeof(r));
	memcpy(r.ram + BUF_GPA, "hello, console\n", 15);
	make_avail(&r, add_desc(&r, BUF_GPA, 15, flags));
	put_virtio(s, dev, queue, &r, BUF_GPA + 0x100);
	save("virtio_dev", name, s);
	free(s);
}

static void virtio_dev_seeds(void)
{
	blk_seed("blk-read", VIRTIO_BLK_T_IN, 2, 1024, true);
	blk_seed("blk-write", VIRTIO_BLK_T_OUT, 4, 512, false);
	blk_seed("blk-flush", VIRTIO_BLK_T_FLUSH, 0, 0, false);
	blk_seed("blk-get-id", VIRTIO_BLK_T_GET_ID, 0, VIRTIO_BLK_ID_BYTES,
		 true);
	blk_seed("blk-read-past-end", VIRTIO_BLK_T_IN,
		 VFZ_DISK_SIZE / 512 - 1, 1024, true);
	buffer_seed("rng", VFZ_RNG, 0, VRING_DESC_F_WRITE);
	buffer_seed("console-tx", VFZ_CONSOLE, 1, 0);
}

/* ---- control socket ---- */

static void control_seed(const char *name, unsigned short command,
			 const void *payload, unsigned int len)
{
	struct seed s = { .len = 0 };
	struct lkvm_ctl_hdr h = {
		.magic = htole32(LKVM_CTL_MAGIC),
		.version = htole16(LKVM_CTL_VERSION),
		.command = htole16(command),
		.length = htole32(len),
	};

	put(&s, &h, sizeof(h));
	put(&s, payload, len);
	save("control", name, &s);
}

static void control_seeds(void)
{
	struct lkvm_ctl_debug_req d = { .max_frames = htole32(8) };

	control_seed("stat", LKVM_CTL_STAT, NULL, 0);
	control_seed("stop", LKVM_CTL_STOP, NULL, 0);
	control_seed("pause", LKVM_CTL_PAUSE, NULL, 0);
	control_seed("resume", LKVM_CTL_RESUME, NULL, 0);
	control_seed("debug", LKVM_CTL_DEBUG, &d, sizeof(d));
}

/* ---- FUSE ---- */

static void fuse_req(struct seed *s, unsigned int opcode,
		     unsigned long long nodeid, const void *arg,
		     unsigned int len, const char *name)
{
	unsigned int name_len = name ? strlen(name) + 1 : 0;
	struct fuse_in_header h = {
		.len = sizeof(h) + len + name_len,
		.opcode = opcode,
		.unique = s->len,
		.nodeid = nodeid,
	};
	unsigned short word = h.len, room = 0;

	put(s, &word, 2);
	put(s, &room, 2);
	put_u8(s, 0);		/* both buffers aligned */
	put(s, &h, sizeof(h));
	put(s, arg, len);
	put(s, name, name_len);
}

static void fuse_init(struct seed *s)
{
	struct fuse_init_in in = {
		.major = FUSE_KERNEL_VERSION,
		.minor = FUSE_KERNEL_MINOR_VERSION,
		.max_readahead = 128 * 1024,
	};

	fuse_req(s, FUSE_INIT, 0, &in, sizeof(in), NULL);
}

static void fuse_seeds(void)
{
	struct fuse_open_in open = { 0 };
	struct fuse_read_in read = { .fh = 1, .size = 4096 };
	struct fuse_getattr_in ga = { 0 };
	struct fuse_release_in rel = { .fh = 1 };
	struct fuse_forget_in forget = { .nlookup = 1 };
	struct seed *s = calloc(1, sizeof(*s));

	/* Look up, open, read and close "a"; nodeid 2 and fh 1 are the first. */
	fuse_init(s);
	fuse_req(s, FUSE_LOOKUP, FUSE_ROOT_ID, NULL, 0, "a");
	fuse_req(s, FUSE_GETATTR, 2, &ga, sizeof(ga), NULL);
	fuse_req(s, FUSE_OPEN, 2, &open, sizeof(open), NULL);
	fuse_req(s, FUSE_READ, 2, &read, sizeof(read), NULL);
	fuse_req(s, FUSE_RELEASE, 2, &rel, sizeof(rel), NULL);
	fuse_req(s, FUSE_FORGET, 2, &forget, sizeof(forget), NULL);
	save("fuse", "read-file", s);
	/* List the root directory. */
	s->len = 0;
	fuse_init(s);
	fuse_req(s, FUSE_OPENDIR, FUSE_ROOT_ID, &open, sizeof(open), NULL);
	fuse_req(s, FUSE_READDIR, FUSE_ROOT_ID, &read, sizeof(read), NULL);
	fuse_req(s, FUSE_READDIRPLUS, FUSE_ROOT_ID, &read, sizeof(read), NULL);
	fuse_req(s, FUSE_RELEASEDIR, FUSE_ROOT_ID, &rel, sizeof(rel), NULL);
	save("fuse", "list-root", s);
	/* Symlinks, the one out of the share, "..", and a write. */
	s->len = 0;
	fuse_init(s);
	fuse_req(s, FUSE_LOOKUP, FUSE_ROOT_ID, NULL, 0, "l");
	fuse_req(s, FUSE_READLINK, 2, NULL, 0, NULL);
	fuse_req(s, FUSE_LOOKUP, FUSE_ROOT_ID, NULL, 0, "out");
	fuse_req(s, FUSE_LOOKUP, FUSE_ROOT_ID, NULL, 0, "..");
	fuse_req(s, FUSE_LOOKUP, FUSE_ROOT_ID, NULL, 0, "d");
	fuse_req(s, FUSE_LOOKUP, 3, NULL, 0, "b");
	fuse_req(s, FUSE_STATFS, FUSE_ROOT_ID, NULL, 0, NULL);
	fuse_req(s, FUSE_MKDIR, FUSE_ROOT_ID, &open, sizeof(open), "new");
	save("fuse", "links-and-writes", s);
	free(s);
}

/* ---- TCG ---- */

static void tcg_seed(const char *name, unsigned char flags,
		     const char *code, size_t len)
{
	struct seed s = { .len = 0 };

	put_u8(&s, flags);
	put(&s, code, len);
	save("tcg", name, &s);
}

#define TCG_SEED(name, flags, bytes) \
	tcg_seed(name, flags, bytes, sizeof(bytes) - 1)

static void tcg_seeds(void)
{
	TCG_SEED("nop-hlt", 0, "\x90\xf4");
	TCG_SEED("divide-error", 0, "\x31\xc0\xf7\xf0");	/* div eax */
	TCG_SEED("page-fault", 0, "\x48\x8b\x04\x25\xef\xbe\xad\xde");
	TCG_SEED("cpuid", 0, "\x0f\xa2\xf4");
	TCG_SEED("syscall-user", 1, "\x0f\x05");
	TCG_SEED("ud2", 0, "\x0f\x0b");
	/* mov rcx, 256; mov rsi, rsp; mov rdi, rsp; rep movsb; hlt */
	TCG_SEED("rep-movsb", 0,
		 "\x48\xc7\xc1\x00\x01\x00\x00\x48\x89\xe6\x48\x89\xe7\xf3\xa4\xf4");
	TCG_SEED("sse", 1, "\x0f\x10\x04\x24\x66\x0f\xef\xc0\x0f\x05");
	TCG_SEED("x87", 0, "\xd9\xe8\xd9\xe8\xde\xc1\xf4");	/* fld1 fld1 faddp */
	TCG_SEED("int80", 1, "\xcd\x80");
	TCG_SEED("iretq", 0, "\x48\xcf");
	TCG_SEED("rdmsr", 0, "\x31\xc9\x0f\x32\xf4");
	TCG_SEED("lgdt", 0, "\x0f\x01\x14\x24\xf4");	/* lgdt [rsp] */
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: mkseeds synthetic DIR | host DIR GUEST_DIR\n");
		return 2;
	}
	out_dir = argv[2];
	if (!strcmp(argv[1], "synthetic")) {
		bzimage_seeds();
		compressed_seeds();
		elf_seeds();
		virtqueue_seeds();
		virtio_dev_seeds();
		control_seeds();
		fuse_seeds();
		tcg_seeds();
	} else if (!strcmp(argv[1], "host") && argc == 4) {
		vmlinuz_seed();
		payload_seeds(argv[3]);
	} else {
		fprintf(stderr, "mkseeds: unknown mode %s\n", argv[1]);
		return 2;
	}
	return 0;
}
