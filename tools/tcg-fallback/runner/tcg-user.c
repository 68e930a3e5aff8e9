// SPDX-License-Identifier: GPL-2.0
/*
 * tcg-user: runs a static Linux x86-64 ELF program at CPL 3 in a bare VM, on
 * the emulator (or KVM), serving its system calls on the host.
 *
 * The guest's virtual addresses are its physical addresses: user memory is
 * one slot from 2 MiB to 1 GiB, so a guest pointer is checked against that
 * range and used directly.  SYSCALL enters the bare VM's stub, which writes
 * the arguments to struct bvm_info and an OUT to BVM_SYSCALL_PORT; the port
 * handler below services the call before the OUT completes.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "bare_vm.h"

#define USER_BASE	BVM_SYS_SIZE
#define USER_END	BVM_MAP_LIMIT
#define STACK_TOP	(USER_END - 0x1000)
#define STACK_SIZE	0x800000ULL
#define MMAP_TOP	(STACK_TOP - STACK_SIZE)
#define PAGE		4096ULL
#define DYN_BIAS	0x1000000ULL	/* where a static PIE goes */
#define MAX_FDS		256
#define MAX_IOV		1024

#define MSR_FS_BASE	0xc0000100
#define MSR_GS_BASE	0xc0000101

#define PAGE_UP(x)	(((x) + PAGE - 1) & ~(PAGE - 1))

struct proc {
	struct bare_vm *vm;
	uint8_t *mem;		/* host address of USER_BASE */
	uint64_t brk_start, brk, brk_limit;
	uint64_t mmap_top;	/* mmap grows down from here */
	uint64_t fs_base, gs_base;
	int fds[MAX_FDS];	/* guest fd -> host fd, or -1 */
	int exit_status;
	bool exited;
	const char *prog;
	bool warned[512];
};

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("tcg-user: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(127);
}

/* Host pointer for guest [addr, addr + len), or NULL if not user memory. */
static void *g2h(struct proc *p, uint64_t addr, uint64_t len)
{
	if (addr < USER_BASE || addr > USER_END || len > USER_END - addr)
		return NULL;
	return p->mem + (addr - USER_BASE);
}

/* The host wrote guest memory: the emulator must not run stale code. */
static void written(struct proc *p, uint64_t addr, uint64_t len)
{
	if (len)
		bvm_host_write(p->vm, addr, len);
}

/* A guest C string, NUL-terminated within user memory and PATH_MAX. */
static const char *g2h_str(struct proc *p, uint64_t addr)
{
	const char *s = g2h(p, addr, 1);
	uint64_t max = USER_END - addr;

	if (!s || !memchr(s, 0, max < PATH_MAX ? max : PATH_MAX))
		return NULL;
	return s;
}

/* Drops the host pages behind guest memory so they read back as zero. */
static void release(struct proc *p, uint64_t addr, uint64_t len)
{
	void *h = g2h(p, addr, len);

	if (h && len) {
		madvise(h, len, MADV_DONTNEED);
		written(p, addr, len);
	}
}

/* ---- file descriptors ---- */

static int host_fd(struct proc *p, uint64_t gfd)
{
	return gfd < MAX_FDS ? p->fds[gfd] : -1;
}

static long new_gfd(struct proc *p, int hfd, unsigned int min)
{
	unsigned int i;

	if (hfd < 0)
		return -errno;
	for (i = min; i < MAX_FDS; i++) {
		if (p->fds[i] < 0) {
			p->fds[i] = hfd;
			return i;
		}
	}
	close(hfd);
	return -EMFILE;
}

static long ret_errno(long r)
{
	return r < 0 ? -errno : r;
}

/* For calls that filled @r bytes of a guest buffer at @addr. */
static long filled(struct proc *p, uint64_t addr, long r)
{
	if (r < 0)
		return -errno;
	written(p, addr, r);
	return r;
}

/* ---- system calls ---- */

#define ARG(i)	(info->sys_args[i])
#define FD(i)	host_fd(p, ARG(i))
#define BUF(i, len) g2h(p, ARG(i), (len))

static long sys_rw(struct proc *p, struct bvm_info *info, bool is_write,
		   bool positional)
{
	void *buf = BUF(1, ARG(2));
	int fd = FD(0);
	ssize_t n;

	if (fd < 0)
		return -EBADF;
	if (!buf)
		return -EFAULT;
	if (is_write)
		return ret_errno(positional ? pwrite(fd, buf, ARG(2), ARG(3)) :
				 write(fd, buf, ARG(2)));
	n = positional ? pread(fd, buf, ARG(2), ARG(3)) : read(fd, buf, ARG(2));
	if (n < 0)
		return -errno;
	written(p, ARG(1), n);
	return n;
}

static long sys_rwv(struct proc *p, struct bvm_info *info, bool is_write)
{
	static struct iovec iov[MAX_IOV];
	const struct iovec *giov = BUF(1, ARG(2) * sizeof(*giov));
	int fd = FD(0);
	ssize_t n;
	uint64_t i;

	if (fd < 0)
		return -EBADF;
	if (ARG(2) > MAX_IOV)
		return -EINVAL;
	if (!giov)
		return -EFAULT;
	for (i = 0; i < ARG(2); i++) {
		iov[i].iov_len = giov[i].iov_len;
		iov[i].iov_base = g2h(p, (uintptr_t)giov[i].iov_base,
				      giov[i].iov_len);
		if (!iov[i].iov_base && iov[i].iov_len)
			return -EFAULT;
	}
	if (is_write)
		return ret_errno(writev(fd, iov, ARG(2)));
	n = readv(fd, iov, ARG(2));
	if (n < 0)
		return -errno;
	for (i = 0; i < ARG(2); i++)
		written(p, (uintptr_t)giov[i].iov_base, giov[i].iov_len);
	return n;
}

/* AT_FDCWD and other negative dirfds pass through unchanged. */
static int dir_fd(struct proc *p, uint64_t gfd)
{
	return (int)gfd < 0 ? (int)gfd : host_fd(p, gfd);
}

static long sys_openat(struct proc *p, int dfd, uint64_t path, int flags,
		       int mode)
{
	const char *s = g2h_str(p, path);

	if (!s)
		return -EFAULT;
	return new_gfd(p, openat(dfd, s, flags | O_CLOEXEC, mode), 0);
}

static long sys_close(struct proc *p, uint64_t gfd)
{
	int fd = host_fd(p, gfd);

	if (fd < 0)
		return -EBADF;
	p->fds[gfd] = -1;
	/* The runner keeps its own stdio. */
	return fd <= 2 ? 0 : ret_errno(close(fd));
}

static long copy_out(struct proc *p, uint64_t addr, const void *src,
		     size_t len)
{
	void *dst = g2h(p, addr, len);

	if (!dst)
		return -EFAULT;
	memcpy(dst, src, len);
	written(p, addr, len);
	return 0;
}

static long sys_fstatat(struct proc *p, int dfd, uint64_t path,
			uint64_t buf, int flags)
{
	const char *s = g2h_str(p, path);
	struct stat st;

	if (!s)
		return -EFAULT;
	if (dfd == -EBADF || (dfd < 0 && dfd != AT_FDCWD))
		return -EBADF;
	if (fstatat(dfd, s, &st, flags) < 0)
		return -errno;
	return copy_out(p, buf, &st, sizeof(st));
}

static long sys_fstat(struct proc *p, uint64_t gfd, uint64_t buf)
{
	struct stat st;
	int fd = host_fd(p, gfd);

	if (fd < 0)
		return -EBADF;
	if (fstat(fd, &st) < 0)
		return -errno;
	return copy_out(p, buf, &st, sizeof(st));
}

static long sys_brk(struct proc *p, uint64_t want)
{
	if (want < p->brk_start || want > p->brk_limit)
		return p->brk;
	if (want < p->brk)
		release(p, PAGE_UP(want), PAGE_UP(p->brk) - PAGE_UP(want));
	p->brk = want;
	return p->brk;
}

static long sys_mmap(struct proc *p, struct bvm_info *info)
{
	uint64_t addr = ARG(0), len = PAGE_UP(ARG(1)), off = ARG(5);
	int flags = ARG(3), fd = -1;
	uint8_t *h;
	ssize_t n;

	if (!len || addr & (PAGE - 1) || off & (PAGE - 1))
		return -EINVAL;
	if (!(flags & MAP_ANONYMOUS)) {
		fd = FD(4);
		if (fd < 0)
			return -EBADF;
	}
	if (flags & MAP_FIXED) {
		if (!g2h(p, addr, len))
			return -ENOMEM;
		release(p, addr, len);
	} else {
		if (len > p->mmap_top - p->brk_limit)
			return -ENOMEM;
		p->mmap_top -= len;
		addr = p->mmap_top;
	}
	if (fd >= 0) {
		/* A private copy: writes are never shared back. */
		h = g2h(p, addr, len);
		n = pread(fd, h, len, off);
		if (n < 0)
			return -errno;
		written(p, addr, n);
	}
	return addr;
}

static long sys_munmap(struct proc *p, uint64_t addr, uint64_t len)
{
	len = PAGE_UP(len);
	if (addr & (PAGE - 1) || !g2h(p, addr, len))
		return -EINVAL;
	release(p, addr, len);
	if (addr == p->mmap_top)
		p->mmap_top += len;
	return 0;
}

static long sys_mremap(struct proc *p, struct bvm_info *info)
{
	uint64_t old = ARG(0), olen = PAGE_UP(ARG(1)), nlen = PAGE_UP(ARG(2));
	uint64_t naddr;

	if (old & (PAGE - 1) || !nlen || !g2h(p, old, olen))
		return -EINVAL;
	if (nlen <= olen) {
		release(p, old + nlen, olen - nlen);
		return old;
	}
	if (!(ARG(3) & MREMAP_MAYMOVE) || ARG(3) & MREMAP_FIXED)
		return -ENOMEM;
	if (nlen > p->mmap_top - p->brk_limit)
		return -ENOMEM;
	p->mmap_top -= nlen;
	naddr = p->mmap_top;
	memcpy(g2h(p, naddr, olen), g2h(p, old, olen), olen);
	written(p, naddr, olen);
	release(p, old, olen);
	return naddr;
}

static long sys_arch_prctl(struct proc *p, struct bvm_info *info)
{
	switch (ARG(0)) {
	case 0x1001:	/* ARCH_SET_GS */
	case 0x1002:	/* ARCH_SET_FS */
		/* The stub does the WRMSR on its way back to CPL 3. */
		info->sys_msr = ARG(0) == 0x1002 ? MSR_FS_BASE : MSR_GS_BASE;
		info->sys_msr_val = ARG(1);
		*(ARG(0) == 0x1002 ? &p->fs_base : &p->gs_base) = ARG(1);
		return 0;
	case 0x1003:	/* ARCH_GET_FS */
		return copy_out(p, ARG(1), &p->fs_base, 8);
	case 0x1004:	/* ARCH_GET_GS */
		return copy_out(p, ARG(1), &p->gs_base, 8);
	default:
		return -EINVAL;
	}
}

static long sys_dup(struct proc *p, uint64_t gfd, uint64_t newfd, bool to)
{
	int fd = host_fd(p, gfd);

	if (fd < 0)
		return -EBADF;
	if (!to)
		return new_gfd(p, fcntl(fd, F_DUPFD_CLOEXEC, 3), 0);
	if (newfd >= MAX_FDS)
		return -EBADF;
	if (newfd == gfd)
		return newfd;
	sys_close(p, newfd);
	return new_gfd(p, fcntl(fd, F_DUPFD_CLOEXEC, 3), newfd);
}

static long sys_fcntl(struct proc *p, struct bvm_info *info)
{
	int fd = FD(0);

	if (fd < 0)
		return -EBADF;
	switch (ARG(1)) {
	case F_DUPFD:
	case F_DUPFD_CLOEXEC:
		return new_gfd(p, fcntl(fd, F_DUPFD_CLOEXEC, 3),
			       ARG(2) < MAX_FDS ? ARG(2) : MAX_FDS);
	case F_GETFD:
	case F_SETFD:
		return 0;	/* there is no exec in here */
	case F_GETFL:
	case F_SETFL:
		return ret_errno(fcntl(fd, ARG(1), (int)ARG(2)));
	default:
		return -EINVAL;
	}
}

static long sys_ioctl(struct proc *p, struct bvm_info *info)
{
	if (FD(0) < 0)
		return -EBADF;
	/* No terminal: TCGETS, TIOCGWINSZ and the rest say "not a tty". */
	return -ENOTTY;
}

static long sys_simple(struct proc *p, struct bvm_info *info, bool *known)
{
	static const uint8_t zeros[32];
	struct utsname uts;
	struct timespec ts;
	struct rlimit rl;

	*known = true;
	switch (info->sys_nr) {
	case SYS_getpid:
	case SYS_gettid:
	case SYS_set_tid_address:
		return getpid();
	case SYS_getppid:
		return getppid();
	case SYS_getuid:
		return getuid();
	case SYS_geteuid:
		return geteuid();
	case SYS_getgid:
		return getgid();
	case SYS_getegid:
		return getegid();
	case SYS_uname:
		uname(&uts);
		return copy_out(p, ARG(0), &uts, sizeof(uts));
	case SYS_clock_gettime:
		if (clock_gettime(ARG(0), &ts) < 0)
			return -errno;
		return copy_out(p, ARG(1), &ts, sizeof(ts));
	case SYS_gettimeofday: {
		struct timeval tv;

		gettimeofday(&tv, NULL);
		return ARG(0) ? copy_out(p, ARG(0), &tv, sizeof(tv)) : 0;
	}
	case SYS_time:
		ts.tv_sec = time(NULL);
		if (ARG(0) && copy_out(p, ARG(0), &ts.tv_sec, 8))
			return -EFAULT;
		return ts.tv_sec;
	case SYS_getrlimit:
		getrlimit(ARG(0), &rl);
		return copy_out(p, ARG(1), &rl, sizeof(rl));
	case SYS_prlimit64:
		if (ARG(0) && ARG(0) != (uint64_t)getpid())
			return -ESRCH;
		if (ARG(3) && (getrlimit(ARG(1), &rl) < 0 ||
			       copy_out(p, ARG(3), &rl, sizeof(rl))))
			return -EFAULT;
		return 0;
	case SYS_getrandom: {
		void *buf = BUF(0, ARG(1));

		return buf ? filled(p, ARG(0), getrandom(buf, ARG(1), ARG(2))) :
			     -EFAULT;
	}
	case SYS_getcwd: {
		char *buf = BUF(0, ARG(1));

		if (!buf)
			return -EFAULT;
		return getcwd(buf, ARG(1)) ? filled(p, ARG(0), strlen(buf) + 1) :
					     -errno;
	}
	case SYS_rt_sigaction:
		/* Accepted and ignored: no signal is ever delivered. */
		return ARG(2) ? copy_out(p, ARG(2), zeros, 32) : 0;
	case SYS_rt_sigprocmask:
		return ARG(2) ? copy_out(p, ARG(2), zeros, 8) : 0;
	case SYS_sigaltstack:
	case SYS_set_robust_list:
	case SYS_madvise:
	case SYS_mprotect:
		return 0;
	case SYS_rseq:
		return -ENOSYS;
	case SYS_prctl:
		return -EINVAL;
	case SYS_sysinfo: {
		struct sysinfo si;

		sysinfo(&si);
		return copy_out(p, ARG(0), &si, sizeof(si));
	}
	default:
		*known = false;
		return -ENOSYS;
	}
}

static long do_syscall(struct proc *p, struct bvm_info *info)
{
	bool known;
	long r;

	switch (info->sys_nr) {
	case SYS_read:
		return sys_rw(p, info, false, false);
	case SYS_write:
		return sys_rw(p, info, true, false);
	case SYS_pread64:
		return sys_rw(p, info, false, true);
	case SYS_pwrite64:
		return sys_rw(p, info, true, true);
	case SYS_readv:
		return sys_rwv(p, info, false);
	case SYS_writev:
		return sys_rwv(p, info, true);
	case SYS_open:
		return sys_openat(p, AT_FDCWD, ARG(0), ARG(1), ARG(2));
	case SYS_openat:
		return sys_openat(p, dir_fd(p, ARG(0)), ARG(1), ARG(2), ARG(3));
	case SYS_close:
		return sys_close(p, ARG(0));
	case SYS_stat:
		return sys_fstatat(p, AT_FDCWD, ARG(0), ARG(1), 0);
	case SYS_lstat:
		return sys_fstatat(p, AT_FDCWD, ARG(0), ARG(1),
				   AT_SYMLINK_NOFOLLOW);
	case SYS_newfstatat:
		return sys_fstatat(p, dir_fd(p, ARG(0)), ARG(1), ARG(2), ARG(3));
	case SYS_fstat:
		return sys_fstat(p, ARG(0), ARG(1));
	case SYS_lseek:
		return FD(0) < 0 ? -EBADF :
		       ret_errno(lseek(FD(0), ARG(1), ARG(2)));
	case SYS_access: {
		const char *s = g2h_str(p, ARG(0));

		return s ? ret_errno(access(s, ARG(1))) : -EFAULT;
	}
	case SYS_readlink: {
		const char *s = g2h_str(p, ARG(0));
		char *buf = BUF(1, ARG(2));

		if (!s || !buf)
			return -EFAULT;
		return filled(p, ARG(1), readlink(s, buf, ARG(2)));
	}
	case SYS_getdents64: {
		void *buf = BUF(1, ARG(2));

		if (FD(0) < 0)
			return -EBADF;
		if (!buf)
			return -EFAULT;
		return filled(p, ARG(1),
			      syscall(SYS_getdents64, FD(0), buf, ARG(2)));
	}
	case SYS_dup:
		return sys_dup(p, ARG(0), 0, false);
	case SYS_dup2:
	case SYS_dup3:
		return sys_dup(p, ARG(0), ARG(1), true);
	case SYS_fcntl:
		return sys_fcntl(p, info);
	case SYS_ioctl:
		return sys_ioctl(p, info);
	case SYS_brk:
		return sys_brk(p, ARG(0));
	case SYS_mmap:
		return sys_mmap(p, info);
	case SYS_munmap:
		return sys_munmap(p, ARG(0), ARG(1));
	case SYS_mremap:
		return sys_mremap(p, info);
	case SYS_arch_prctl:
		return sys_arch_prctl(p, info);
	case SYS_exit:
	case SYS_exit_group:
		p->exit_status = ARG(0) & 0xff;
		p->exited = true;
		info->sys_stop = 1;
		return 0;
	}
	r = sys_simple(p, info, &known);
	if (!known && info->sys_nr < 512 && !p->warned[info->sys_nr]) {
		p->warned[info->sys_nr] = true;
		fprintf(stderr, "tcg-user: %s: unsupported system call %llu, returning ENOSYS\n",
			p->prog, (unsigned long long)info->sys_nr);
	}
	return r;
}

static void syscall_port(void *opaque, uint16_t port, void *data,
			 unsigned int len, bool is_write)
{
	struct proc *p = opaque;
	struct bvm_info *info = bvm_info(p->vm);

	if (port != BVM_SYSCALL_PORT || !is_write) {
		if (!is_write)
			memset(data, 0xff, len);
		return;
	}
	info->sys_ret = do_syscall(p, info);
}

/* ---- loading ---- */

static uint8_t *read_file(const char *path, size_t *size)
{
	struct stat st;
	uint8_t *buf;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die("%s: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		die("%s: not a regular file", path);
	buf = malloc(st.st_size ? st.st_size : 1);
	if (!buf)
		die("%s: out of memory", path);
	n = pread(fd, buf, st.st_size, 0);
	if (n != st.st_size)
		die("%s: short read", path);
	close(fd);
	*size = n;
	return buf;
}

/* Loads the PT_LOAD segments; returns the entry point, fills AT_PHDR. */
static uint64_t load_elf(struct proc *p, const char *path, uint64_t *phdr_va,
			 uint64_t *phnum)
{
	size_t size;
	uint8_t *f = read_file(path, &size);
	const Elf64_Ehdr *eh = (const void *)f;
	const Elf64_Phdr *ph;
	uint64_t bias = 0, end = 0, entry;
	unsigned int i;

	if (size < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_machine != EM_X86_64 ||
	    (eh->e_type != ET_EXEC && eh->e_type != ET_DYN))
		die("%s: not an x86-64 ELF executable", path);
	if (eh->e_phentsize != sizeof(*ph) || eh->e_phoff > size ||
	    (size - eh->e_phoff) / sizeof(*ph) < eh->e_phnum)
		die("%s: bad program headers", path);
	ph = (const void *)(f + eh->e_phoff);
	if (eh->e_type == ET_DYN)
		bias = DYN_BIAS;
	*phdr_va = 0;
	for (i = 0; i < eh->e_phnum; i++) {
		uint64_t va = ph[i].p_vaddr + bias;
		uint8_t *h;

		if (ph[i].p_type == PT_INTERP)
			die("%s: dynamically linked programs are not supported", path);
		if (ph[i].p_type != PT_LOAD)
			continue;
		h = g2h(p, va, ph[i].p_memsz);
		if (!h || ph[i].p_filesz > ph[i].p_memsz ||
		    ph[i].p_offset > size || size - ph[i].p_offset < ph[i].p_filesz)
			die("%s: segment %u at 0x%llx does not fit in 2 MiB..1 GiB",
			    path, i, (unsigned long long)va);
		memcpy(h, f + ph[i].p_offset, ph[i].p_filesz);
		if (eh->e_phoff >= ph[i].p_offset &&
		    eh->e_phoff < ph[i].p_offset + ph[i].p_filesz)
			*phdr_va = va + eh->e_phoff - ph[i].p_offset;
		if (va + ph[i].p_memsz > end)
			end = va + ph[i].p_memsz;
	}
	if (!end)
		die("%s: no loadable segments", path);
	*phnum = eh->e_phnum;
	entry = eh->e_entry + bias;
	free(f);
	p->brk_start = p->brk = PAGE_UP(end);
	p->brk_limit = p->brk_start + 0x10000000;	/* 256 MiB heap */
	p->mmap_top = MMAP_TOP;
	if (p->brk_limit >= p->mmap_top)
		die("%s: loaded too high to leave room for a heap", path);
	return entry;
}

/* Pushes @len bytes on the guest stack at *sp (moving down). */
static uint64_t push_bytes(struct proc *p, uint64_t *sp, const void *src,
			   size_t len)
{
	*sp -= len;
	if (*sp < STACK_TOP - STACK_SIZE / 2)
		die("arguments and environment too large");
	memcpy(g2h(p, *sp, len), src, len);
	return *sp;
}

/* argc, argv, envp and auxv as the kernel lays them out. */
static uint64_t build_stack(struct proc *p, char **argv, char **envp,
			    uint64_t entry, uint64_t phdr, uint64_t phnum)
{
	uint64_t sp = STACK_TOP, random_va, platform_va, execfn_va;
	unsigned int argc = 0, envc = 0, i, n = 0;
	uint64_t *vec, *v, rnd[2];

	while (argv[argc])
		argc++;
	while (envp[envc])
		envc++;
	vec = calloc(argc + envc + 64, sizeof(*vec));
	if (!vec)
		die("out of memory");
	platform_va = push_bytes(p, &sp, "x86_64", 7);
	execfn_va = push_bytes(p, &sp, argv[0], strlen(argv[0]) + 1);
	getrandom(rnd, sizeof(rnd), 0);
	random_va = push_bytes(p, &sp, rnd, sizeof(rnd));

	vec[n++] = argc;
	for (i = 0; i < argc; i++)
		vec[n++] = push_bytes(p, &sp, argv[i], strlen(argv[i]) + 1);
	vec[n++] = 0;
	for (i = 0; i < envc; i++)
		vec[n++] = push_bytes(p, &sp, envp[i], strlen(envp[i]) + 1);
	vec[n++] = 0;
	v = vec + n;
#define AUX(type, val) do { *v++ = (type); *v++ = (val); } while (0)
	AUX(AT_PHDR, phdr);
	AUX(AT_PHENT, sizeof(Elf64_Phdr));
	AUX(AT_PHNUM, phnum);
	AUX(AT_PAGESZ, PAGE);
	AUX(AT_BASE, 0);
	AUX(AT_FLAGS, 0);
	AUX(AT_ENTRY, entry);
	AUX(AT_UID, getuid());
	AUX(AT_EUID, geteuid());
	AUX(AT_GID, getgid());
	AUX(AT_EGID, getegid());
	AUX(AT_PLATFORM, platform_va);
	AUX(AT_HWCAP, 0x078bfbff);	/* fpu..sse2, as CPUID.1:EDX */
	AUX(AT_CLKTCK, 100);
	AUX(AT_SECURE, 0);
	AUX(AT_RANDOM, random_va);
	AUX(AT_EXECFN, execfn_va);
	AUX(AT_NULL, 0);
#undef AUX
	n = v - vec;
	sp &= ~15ULL;
	if (n & 1)
		sp -= 8;	/* argc must end up 16-byte aligned */
	push_bytes(p, &sp, vec, n * sizeof(*vec));
	free(vec);
	return sp;
}

static int guest_died(struct proc *p)
{
	struct bvm_info *info = bvm_info(p->vm);
	char desc[200];
	uint64_t v = info->exc_vector - 1;

	if (!bvm_describe_exception(p->vm, desc, sizeof(desc))) {
		fprintf(stderr, "tcg-user: %s: unexpected HLT\n", p->prog);
		return 125;
	}
	fprintf(stderr, "tcg-user: %s: guest exception %s\n", p->prog, desc);
	/* The exit status a shell would show for the matching signal. */
	return v == 0 || v == 16 || v == 19 ? 128 + 8 :	/* SIGFPE */
	       v == 6 ? 128 + 4 :				/* SIGILL */
	       v == 3 || v == 1 ? 128 + 5 : 128 + 11;		/* SIGTRAP, SIGSEGV */
}

/* What the guest's run ending in @e means as an exit status. */
static int exit_status(struct proc *p, enum bvm_exit e)
{
	switch (e) {
	case BVM_EXIT_HLT:
		if (p->exited)
			return p->exit_status;
		return guest_died(p);
	case BVM_EXIT_SHUTDOWN:
		fprintf(stderr, "tcg-user: %s: triple fault\n", p->prog);
		return 125;
	default:
		fprintf(stderr, "tcg-user: %s: %s\n", p->prog, bvm_error(p->vm));
		return 125;
	}
}

static void usage(void)
{
	fprintf(stderr,
		"usage: tcg-user [-b kvm|tcg] [-c] [--] PROGRAM [ARG...]\n"
		"       tcg-user [-b kvm|tcg] -C\n"
		"  runs a static x86-64 Linux program on the TCG emulator (or KVM)\n"
		"  -c  print the guest instruction count and rate to stderr at exit\n"
		"  -C  only check that the backend is usable (exit 0) or say why not (exit 4)\n");
	exit(127);
}

int main(int argc, char **argv)
{
	extern char **environ;
	struct proc p = { 0 };
	uint64_t entry, phdr, phnum, sp, insns;
	struct timespec t0, t1;
	enum bvm_exit e;
	bool count = false, check = false;
	char why[300];
	int opt, status, be = BVM_TCG;
	unsigned int i;

	while ((opt = getopt(argc, argv, "+b:cCh")) != -1) {
		switch (opt) {
		case 'b':
			be = bvm_parse_backend(optarg);
			if (be < 0)
				die("unknown backend '%s' (kvm or tcg)", optarg);
			break;
		case 'c':
			count = true;
			break;
		case 'C':
			check = true;
			break;
		default:
			usage();
		}
	}
	if (check) {
		if (bvm_backend_available(be, why, sizeof(why)))
			return 0;
		printf("%s backend unavailable: %s\n", bvm_backend_name(be), why);
		return 4;
	}
	if (optind >= argc)
		usage();
	p.prog = argv[optind];
	p.vm = bvm_create(be, why, sizeof(why));
	if (!p.vm)
		die("cannot create a VM: %s", why);
	p.mem = bvm_add_memory(p.vm, USER_BASE, USER_END - USER_BASE);
	if (!p.mem)
		die("%s", bvm_error(p.vm));
	for (i = 0; i < MAX_FDS; i++)
		p.fds[i] = i <= 2 ? (int)i : -1;
	entry = load_elf(&p, p.prog, &phdr, &phnum);
	sp = build_stack(&p, argv + optind, environ, entry, phdr, phnum);
	if (bvm_enter_user(p.vm, entry, sp))
		die("%s", bvm_error(p.vm));
	bvm_set_pio(p.vm, syscall_port, &p);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	e = bvm_run(p.vm, 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (count) {
		double s = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;

		insns = bvm_insn_count(p.vm);
		fprintf(stderr, "tcg-user: %llu guest instructions in %.3f s: %.1f MIPS\n",
			(unsigned long long)insns, s, insns / s / 1e6);
	}
	status = exit_status(&p, e);
	/* Destroyed, not left to exit(): LeakSanitizer checks that tools free. */
	bvm_destroy(p.vm);
	return status;
}
