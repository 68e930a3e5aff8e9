// SPDX-License-Identifier: GPL-2.0
/*
 * lkvm list/stat/stop/pause/resume/debug: clients of the control socket of
 * running guests (Documentation/control.rst).
 */
#include <dirent.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "control.h"
#include "lkvm.h"

#define CLIENT_TIMEOUT_S	5	/* server deadlines are shorter */
#define STOP_WAIT_MS		10000	/* for the guest to go after stop */

struct reply {
	u32 status;
	u32 len;
	u8 *payload;
};

struct ctl_client {
	const char *name;
	const char *symbols;	/* debug --symbols */
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

static bool read_full(int fd, void *buf, size_t len)
{
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		n = read(fd, (u8 *)buf + done, len - done);
		if (n <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			if (!n)
				errno = EPIPE;
			return false;
		}
		done += n;
	}
	return true;
}

static int connect_path(const char *path)
{
	struct timeval tv = { .tv_sec = CLIENT_TIMEOUT_S };
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int err = errno;

		close(fd);
		return -err;
	}
	return fd;
}

static bool read_reply(int fd, u16 command, struct reply *r)
{
	struct lkvm_ctl_hdr h;

	if (!read_full(fd, &h, sizeof(h)))
		return false;
	if (le32toh(h.magic) != LKVM_CTL_MAGIC ||
	    le16toh(h.command) != command) {
		errno = EPROTO;
		return false;
	}
	r->status = le32toh(h.status);
	if (r->status == LKVM_CTL_E_VERSION) {
		pr_err("the guest speaks control protocol version %u, this lkvm %u",
		       le16toh(h.version), LKVM_CTL_VERSION);
		errno = EPROTONOSUPPORT;
		return false;
	}
	r->len = le32toh(h.length);
	if (r->len > LKVM_CTL_MAX_RESP) {
		errno = EMSGSIZE;
		return false;
	}
	r->payload = malloc(r->len + 1);
	return r->payload && read_full(fd, r->payload, r->len);
}

/*
 * One request, one response.  Returns 0 with @r filled in (its status may
 * be an error), or -1 after saying why there is no response.
 */
static int call_path(const char *path, const char *name, u16 command,
		     const void *payload, u32 len, struct reply *r)
{
	struct lkvm_ctl_hdr h;
	int fd = connect_path(path);

	*r = (struct reply) { 0 };
	if (fd == -ENOENT || fd == -ECONNREFUSED) {
		pr_err("no guest named '%s' is running (see lkvm list)", name);
		return -1;
	}
	if (fd < 0) {
		pr_err("cannot connect to %s: %s", path, strerror(-fd));
		return -1;
	}
	ctl_fill_hdr(&h, command, 0, len);
	if (write(fd, &h, sizeof(h)) != sizeof(h) ||
	    (len && write(fd, payload, len) != len) ||
	    !read_reply(fd, command, r)) {
		if (errno != EPROTONOSUPPORT)
			pr_err("guest '%s' did not answer: %s", name,
			       errno == EAGAIN ? "timed out" : strerror(errno));
		close(fd);
		free(r->payload);
		return -1;
	}
	close(fd);
	return 0;
}

/* As call_path(), but an error status is said and fails too. */
static int call(struct ctl_client *c, u16 command, const void *payload,
		u32 len, struct reply *r)
{
	if (call_path(c->path, c->name, command, payload, len, r))
		return -1;
	if (r->status != LKVM_CTL_OK) {
		pr_err("%s: %s", c->name, ctl_status_str(r->status));
		free(r->payload);
		return -1;
	}
	return 0;
}

/* The v1 part of a STAT response; a later server may send more. */
static bool stat_of(const struct reply *r, struct lkvm_ctl_stat *st)
{
	if (r->len < sizeof(*st))
		return false;
	memcpy(st, r->payload, sizeof(*st));
	st->name[sizeof(st->name) - 1] = '\0';
	st->accel[sizeof(st->accel) - 1] = '\0';
	return true;
}

static void usage(FILE *f, const char *cmd)
{
	fprintf(f, "usage: lkvm %s%s\n", cmd,
		!strcmp(cmd, "list") ? "" :
		!strcmp(cmd, "debug") ? " [--symbols FILE] NAME" : " NAME");
	if (!strcmp(cmd, "debug"))
		fputs("  --symbols FILE  symbolize the guest stack with FILE's .symtab\n"
		      "                  (the guest's vmlinux or payload ELF)\n", f);
}

/*
 * Options: NAME, or -n/--name NAME as kvmtool has it; --symbols for debug.
 * Returns 0, or the exit status: LKVM_EXIT_USAGE or LKVM_EXIT_ERROR.
 */
static int parse_client_args(struct ctl_client *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "symbols", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	bool list = !strcmp(argv[0], "list");
	char dir[sizeof(c->path)];
	int opt, ret;

	*c = (struct ctl_client) { 0 };
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+n:h", opts, NULL)) != -1) {
		if (opt == 'h') {
			usage(stdout, argv[0]);
			exit(0);
		}
		if (opt == 'n' && !list) {
			c->name = optarg;
		} else if (opt == 's' && !strcmp(argv[0], "debug")) {
			c->symbols = optarg;
		} else {
			pr_err("%s: %s option '%s' (see lkvm %s --help)",
			       argv[0], opt == '?' ? "unknown" : "unexpected",
			       argv[optind - 1], argv[0]);
			return LKVM_EXIT_USAGE;
		}
	}
	if (!list && !c->name && optind < argc)
		c->name = argv[optind++];
	if (optind < argc || (!list && !c->name)) {
		usage(stderr, argv[0]);
		return LKVM_EXIT_USAGE;
	}
	if (list)
		return 0;
	if (!ctl_name_valid(c->name)) {
		pr_err("'%s' is not a guest name (1 to %d of A-Z a-z 0-9 . _ -)",
		       c->name, LKVM_CTL_NAME_MAX - 1);
		return LKVM_EXIT_USAGE;
	}
	ret = ctl_sock_dir(dir, sizeof(dir), false);
	if (ret == -ENOENT)
		pr_err("no guest named '%s' is running (see lkvm list)",
		       c->name);
	if (ret || ctl_sock_path(dir, c->name, c->path, sizeof(c->path)))
		return LKVM_EXIT_ERROR;
	return 0;
}

static int simple_command(struct ctl_client *c, int argc, char **argv,
			  u16 command)
{
	struct reply r;
	int ret = parse_client_args(c, argc, argv);

	if (ret)
		return ret;
	if (call(c, command, NULL, 0, &r))
		return LKVM_EXIT_ERROR;
	free(r.payload);
	return 0;
}

int cmd_pause(int argc, char **argv)
{
	struct ctl_client c;

	return simple_command(&c, argc, argv, LKVM_CTL_PAUSE);
}

int cmd_resume(int argc, char **argv)
{
	struct ctl_client c;

	return simple_command(&c, argc, argv, LKVM_CTL_RESUME);
}

static bool guest_gone(const char *path)
{
	int ret = ctl_probe(path);

	return ret == -ENOENT || ret == -ECONNREFUSED;
}

/* A socket nobody listens on; a file of another kind is left alone. */
static bool stale_socket(const char *path)
{
	struct stat st;

	return !lstat(path, &st) && S_ISSOCK(st.st_mode) &&
	       ctl_probe(path) == -ECONNREFUSED;
}

/* Returns once the guest has ended, so that scripts can go on at once. */
int cmd_stop(int argc, char **argv)
{
	struct timespec ts = { .tv_nsec = 10 * 1000 * 1000 };
	struct ctl_client c;
	int waited, ret;

	ret = simple_command(&c, argc, argv, LKVM_CTL_STOP);
	if (ret)
		return ret;
	for (waited = 0; waited < STOP_WAIT_MS; waited += 10) {
		if (guest_gone(c.path))
			return 0;
		nanosleep(&ts, NULL);
	}
	pr_err("%s: still there %d s after it was told to stop", c.name,
	       STOP_WAIT_MS / 1000);
	return LKVM_EXIT_ERROR;
}

static void print_uptime(u64 ns)
{
	u64 s = ns / 1000000000;

	if (s < 60)
		printf("%" PRIu64 ".%03" PRIu64 "s", s, ns / 1000000 % 1000);
	else
		printf("%" PRIu64 ":%02" PRIu64 ":%02" PRIu64, s / 3600,
		       s / 60 % 60, s % 60);
}

int cmd_stat(int argc, char **argv)
{
	struct lkvm_ctl_stat st;
	struct ctl_client c;
	struct reply r;
	int ret = parse_client_args(&c, argc, argv);
	bool ok;

	if (ret)
		return ret;
	if (call(&c, LKVM_CTL_STAT, NULL, 0, &r))
		return LKVM_EXIT_ERROR;
	ok = stat_of(&r, &st);
	free(r.payload);
	if (!ok) {
		pr_err("%s: malformed stat response", c.name);
		return LKVM_EXIT_ERROR;
	}
	printf("name: %s\npid: %u\nstate: %s\naccel: %s\nvcpus: %u\n"
	       "memory: %" PRIu64 " MiB\nuptime: ", st.name, le32toh(st.pid),
	       ctl_state_str(le32toh(st.state)), st.accel,
	       le32toh(st.nr_vcpus), le64toh(st.ram_bytes) >> 20);
	print_uptime(le64toh(st.uptime_ns));
	putchar('\n');
	return 0;
}

/* One line of lkvm list; false for a stale socket, which is removed. */
static bool list_one(const char *dir, const char *name)
{
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct lkvm_ctl_stat st;
	struct reply r;
	int lock;

	if (ctl_sock_path(dir, name, path, sizeof(path)))
		return false;
	if (guest_gone(path)) {
		/* Checked again under the lock a starting lkvm takes. */
		lock = ctl_lock_dir(dir);
		if (lock >= 0 && stale_socket(path) && !unlink(path))
			pr_err("removed the stale socket of guest '%s'", name);
		if (lock >= 0)
			close(lock);
		return false;
	}
	if (call_path(path, name, LKVM_CTL_STAT, NULL, 0, &r))
		return false;
	if (r.status || !stat_of(&r, &st)) {
		pr_err("%s: %s", name, r.status ? ctl_status_str(r.status) :
		       "malformed stat response");
		free(r.payload);
		return false;
	}
	free(r.payload);
	printf("%-20s %8u  %-8s %-5s %4u %8" PRIu64 "  ", st.name,
	       le32toh(st.pid), ctl_state_str(le32toh(st.state)), st.accel,
	       le32toh(st.nr_vcpus), le64toh(st.ram_bytes) >> 20);
	print_uptime(le64toh(st.uptime_ns));
	putchar('\n');
	return true;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

int cmd_list(int argc, char **argv)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct ctl_client c;
	struct dirent **ents;
	int i, n, ret;

	ret = parse_client_args(&c, argc, argv);
	if (ret)
		return ret;
	printf("%-20s %8s  %-8s %-5s %4s %8s  %s\n", "NAME", "PID", "STATE",
	       "ACCEL", "CPUS", "MEM(MiB)", "UPTIME");
	ret = ctl_sock_dir(dir, sizeof(dir), false);
	if (ret)
		return ret == -ENOENT ? 0 : LKVM_EXIT_ERROR;
	n = scandir(dir, &ents, NULL, by_name);
	if (n < 0) {
		pr_err("cannot read %s: %s", dir, strerror(errno));
		return LKVM_EXIT_ERROR;
	}
	for (i = 0; i < n; i++) {
		char *name = ents[i]->d_name;
		size_t len = strlen(name);

		if (len > 5 && !strcmp(name + len - 5, ".sock")) {
			name[len - 5] = '\0';
			if (ctl_name_valid(name))
				list_one(dir, name);
		}
		free(ents[i]);
	}
	free(ents);
	return 0;
}

/* Symbols of an ELF file's .symtab, sorted by address. */
struct symbol {
	u64 addr;
	u64 size;
	char *name;
};

struct symtab {
	struct symbol *syms;
	size_t nr;
};

static int by_addr(const void *a, const void *b)
{
	const struct symbol *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static bool wanted_symbol(Elf *elf, const GElf_Sym *sym)
{
	int type = GELF_ST_TYPE(sym->st_info);
	GElf_Shdr shdr;
	Elf_Scn *scn;

	if (type == STT_FUNC)
		return true;
	/* Labels of assembly code (_start, ...) have no type. */
	if (type != STT_NOTYPE || sym->st_shndx == SHN_UNDEF ||
	    sym->st_shndx >= SHN_LORESERVE)
		return false;
	scn = elf_getscn(elf, sym->st_shndx);
	return scn && gelf_getshdr(scn, &shdr) &&
	       (shdr.sh_flags & SHF_EXECINSTR);
}

static int add_symbols(Elf *elf, Elf_Scn *scn, const GElf_Shdr *shdr,
		       struct symtab *t)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	size_t i, n;
	GElf_Sym sym;
	const char *name;

	if (!data || !shdr->sh_entsize)
		return -1;
	n = shdr->sh_size / shdr->sh_entsize;
	t->syms = calloc(n ? n : 1, sizeof(*t->syms));
	if (!t->syms)
		return -1;
	for (i = 0; i < n; i++) {
		if (!gelf_getsym(data, i, &sym) || !wanted_symbol(elf, &sym))
			continue;
		name = elf_strptr(elf, shdr->sh_link, sym.st_name);
		if (!name || !*name || !strncmp(name, ".L", 2))
			continue;
		t->syms[t->nr++] = (struct symbol) {
			.addr = sym.st_value,
			.size = sym.st_size,
			.name = strdup(name),
		};
		if (!t->syms[t->nr - 1].name)
			return -1;
	}
	qsort(t->syms, t->nr, sizeof(*t->syms), by_addr);
	return 0;
}

static int find_symtab(Elf *elf, const char *path, struct symtab *t)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr shdr;

	while ((scn = elf_nextscn(elf, scn))) {
		if (!gelf_getshdr(scn, &shdr) || shdr.sh_type != SHT_SYMTAB)
			continue;
		if (add_symbols(elf, scn, &shdr, t)) {
			pr_err("%s: unreadable symbol table: %s", path,
			       elf_errmsg(-1));
			return -1;
		}
		return 0;
	}
	pr_err("%s has no symbol table (.symtab); is it stripped?", path);
	return -1;
}

static int load_symbols(const char *path, struct symtab *t)
{
	int fd, ret = -1;
	Elf *elf;

	if (elf_version(EV_CURRENT) == EV_NONE) {
		pr_err("libelf: %s", elf_errmsg(-1));
		return -1;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		pr_err("cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF)
		pr_err("%s is not an ELF file", path);
	else
		ret = find_symtab(elf, path, t);
	elf_end(elf);
	close(fd);
	return ret;
}

/* The symbol covering @addr: its size, or up to the next symbol. */
static const struct symbol *lookup(const struct symtab *t, u64 addr)
{
	size_t lo = 0, hi = t->nr;
	const struct symbol *s;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (t->syms[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return NULL;
	s = &t->syms[lo - 1];
	if (s->size)
		return addr - s->addr < s->size ? s : NULL;
	return lo < t->nr || addr - s->addr < 4096 ? s : NULL;
}

static void print_frame(const struct symtab *t, u32 i, u64 addr)
{
	/*
	 * A return address may already lie past its caller's end (a call
	 * to a function that does not return): name the call instead.
	 */
	const struct symbol *s = lookup(t, i ? addr - 1 : addr);

	printf("    #%-2u %016" PRIx64, i, addr);
	if (s)
		printf(" %s+0x%" PRIx64 "/0x%" PRIx64, s->name, addr - s->addr,
		       s->size);
	putchar('\n');
}

static const char *walk_end_str(u32 end)
{
	switch (end) {
	case LKVM_CTL_WALK_DONE:
		return "outermost frame";
	case LKVM_CTL_WALK_LIMIT:
		return "frame limit";
	case LKVM_CTL_WALK_UNMAPPED:
		return "stack not mapped";
	case LKVM_CTL_WALK_BAD_FP:
		return "bad frame pointer";
	case LKVM_CTL_WALK_NO_PAGING:
		return "not in long mode";
	}
	return "unknown";
}

static void print_regs(const struct lkvm_ctl_vcpu *v)
{
	static const char *const gpr[16] = {
		"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
		"r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
	};
	static const char *const seg[LKVM_CTL_NR_SEGS] = {
		"cs", "ds", "es", "fs", "gs", "ss", "tr", "ldt",
	};
	unsigned int i;

	printf("  rip %016" PRIx64 "  rflags %016" PRIx64 "\n",
	       le64toh(v->rip), le64toh(v->rflags));
	for (i = 0; i < 16; i++)
		printf("  %-3s %016" PRIx64 "%s", gpr[i], le64toh(v->gpr[i]),
		       i % 4 == 3 ? "\n" : "");
	printf("  cr0 %016" PRIx64 "  cr2 %016" PRIx64 "  cr3 %016" PRIx64
	       "  cr4 %016" PRIx64 "\n  cr8 %016" PRIx64 "  efer %016" PRIx64
	       "  apic_base %016" PRIx64 "\n", le64toh(v->cr0),
	       le64toh(v->cr2), le64toh(v->cr3), le64toh(v->cr4),
	       le64toh(v->cr8), le64toh(v->efer), le64toh(v->apic_base));
	for (i = 0; i < LKVM_CTL_NR_SEGS; i++)
		printf("  %-3s sel %04x base %016" PRIx64 " limit %08x attr %04x\n",
		       seg[i], le16toh(v->seg[i].selector),
		       le64toh(v->seg[i].base), le32toh(v->seg[i].limit),
		       le16toh(v->seg[i].attrib));
	printf("  gdt base %016" PRIx64 " limit %04x\n  idt base %016" PRIx64
	       " limit %04x\n", le64toh(v->gdt.base), le16toh(v->gdt.limit),
	       le64toh(v->idt.base), le16toh(v->idt.limit));
}

static void print_vcpu(const struct lkvm_ctl_vcpu *v, const struct symtab *t)
{
	u32 i, nr = le32toh(v->nr_frames);

	printf("vCPU %u:\n", le32toh(v->id));
	print_regs(v);
	if (nr > LKVM_CTL_MAX_FRAMES)
		nr = LKVM_CTL_MAX_FRAMES;
	printf("  stack (frame pointers; %s):\n",
	       walk_end_str(le32toh(v->walk_end)));
	for (i = 0; i < nr; i++)
		print_frame(t, i, le64toh(v->frames[i]));
}

static int print_debug(const char *name, const struct reply *r,
		       const struct symtab *t)
{
	struct lkvm_ctl_debug d;
	struct lkvm_ctl_vcpu v;
	u32 i, n, size;

	if (r->len < sizeof(d))
		goto bad;
	memcpy(&d, r->payload, sizeof(d));
	n = le32toh(d.nr_vcpus);
	size = le32toh(d.vcpu_size);
	/* A later server's records may be longer: read the known head. */
	if (size < sizeof(v) || n > (r->len - sizeof(d)) / size)
		goto bad;
	for (i = 0; i < n; i++) {
		memcpy(&v, r->payload + sizeof(d) + (size_t)i * size,
		       sizeof(v));
		print_vcpu(&v, t);
	}
	return 0;
bad:
	pr_err("%s: malformed debug response", name);
	return LKVM_EXIT_ERROR;
}

int cmd_debug(int argc, char **argv)
{
	struct lkvm_ctl_debug_req req = {
		.max_frames = htole32(LKVM_CTL_MAX_FRAMES),
	};
	struct symtab t = { 0 };
	struct ctl_client c;
	struct reply r;
	size_t i;
	int ret = parse_client_args(&c, argc, argv);

	if (ret)
		return ret;
	if (c.symbols && load_symbols(c.symbols, &t))
		return LKVM_EXIT_ERROR;
	ret = LKVM_EXIT_ERROR;
	if (!call(&c, LKVM_CTL_DEBUG, &req, sizeof(req), &r)) {
		ret = print_debug(c.name, &r, &t);
		free(r.payload);
	}
	for (i = 0; i < t.nr; i++)
		free(t.syms[i].name);
	free(t.syms);
	return ret;
}
