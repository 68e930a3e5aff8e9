// SPDX-License-Identifier: GPL-2.0
/*
 * An initramfs made on the fly: a "newc" cpio archive (the kernel's
 * Documentation/driver-api/early-userspace/buffer-format.rst), uncompressed,
 * holding busybox, lkvm's /init and lkvm-exit, the virtio modules in an
 * order that satisfies modules.dep, and the command given after "--".
 * With virtio-fs shares it also holds fuse and virtiofs, and for the
 * host's root as the guest's the overlay and /lkvm/root-tag
 * (Documentation/virtio-fs.rst).
 */
#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "boot.h"
#include "initramfs-dir.h"
#include "initramfs.h"
#include "linux-boot.h"

#define CONSOLE_MAJOR	5
#define CONSOLE_MINOR	1

/* What the guest needs for lkvm's devices; modules.dep adds the rest. */
static const char *const wanted_modules[] = {
	"virtio", "virtio_ring", "virtio_pci_legacy_dev",
	"virtio_pci_modern_dev", "virtio_pci", "virtio_blk",
	"virtio_console", "virtio_rng", "virtio_net",
};

/* What a virtio-fs share needs, and the root share's overlay on top. */
static const struct fs_module {
	const char *name, *config;
	bool root_only;
} fs_modules[] = {
	{ "fuse", "CONFIG_FUSE_FS" },
	{ "virtiofs", "CONFIG_VIRTIO_FS" },
	{ "overlay", "CONFIG_OVERLAY_FS", true },
};

struct kmod {
	char *path;		/* relative to the release's directory */
	char **deps;		/* paths */
	unsigned int nr_deps;
	bool listed;
};

struct modules {
	struct kmod *mods;
	unsigned int nr;
	unsigned int *order;	/* indices into mods, load order */
	unsigned int nr_order;
};

/* @a/@b into @out (PATH_MAX bytes); false with a message if too long. */
static bool join_path(char *out, const char *a, const char *b)
{
	if (snprintf(out, PATH_MAX, "%s/%s", a, b) < PATH_MAX)
		return true;
	pr_err("%s/%s: path too long", a, b);
	return false;
}

static void cpio_dir(struct newc *c, const char *name)
{
	newc_entry(c, name, S_IFDIR | 0755, NULL, 0);
}

/* Adds @host_path as @name; false with a message if it cannot be read. */
static bool cpio_file(struct newc *c, const char *name, const char *host_path,
		      unsigned int perm)
{
	size_t size;
	void *buf = read_file(host_path, &size);

	if (!buf)
		return false;
	newc_entry(c, name, S_IFREG | perm, buf, size);
	free(buf);
	return true;
}

/* "kernel/drivers/char/hw_random/virtio-rng.ko" -> "virtio_rng" */
static void module_name(const char *path, char *out, size_t len)
{
	const char *base = strrchr(path, '/');
	size_t i;

	base = base ? base + 1 : path;
	for (i = 0; i + 1 < len && base[i] && strncmp(base + i, ".ko", 3); i++)
		out[i] = base[i] == '-' ? '_' : base[i];
	out[i] = '\0';
}

static int find_module(const struct modules *m, const char *name, bool by_path)
{
	char n[NAME_MAX];
	unsigned int i;

	for (i = 0; i < m->nr; i++) {
		if (by_path) {
			if (!strcmp(m->mods[i].path, name))
				return i;
			continue;
		}
		module_name(m->mods[i].path, n, sizeof(n));
		if (!strcmp(n, name))
			return i;
	}
	return -1;
}

/* One "path: dep dep ..." line of modules.dep; the line is consumed. */
static int parse_dep_line(struct modules *m, char *line)
{
	char *colon = strchr(line, ':'), *tok, *save;
	struct kmod *k;
	void *p;

	if (!colon)
		return 0;
	*colon = '\0';
	p = realloc(m->mods, (m->nr + 1) * sizeof(*m->mods));
	if (!p)
		return -1;
	m->mods = p;
	k = &m->mods[m->nr++];
	*k = (struct kmod) { .path = strdup(line) };
	for (tok = strtok_r(colon + 1, " \t\n", &save); tok;
	     tok = strtok_r(NULL, " \t\n", &save)) {
		p = realloc(k->deps, (k->nr_deps + 1) * sizeof(*k->deps));
		if (!p)
			return -1;
		k->deps = p;
		k->deps[k->nr_deps++] = strdup(tok);
	}
	return k->path ? 0 : -1;
}

static int read_modules_dep(const char *dir, struct modules *m)
{
	char path[PATH_MAX], *line = NULL;
	size_t cap = 0;
	FILE *f;
	int ret = 0;

	if (!join_path(path, dir, "modules.dep"))
		return -1;
	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? 1 : -1;
	while (!ret && getline(&line, &cap, f) > 0)
		ret = parse_dep_line(m, line);
	free(line);
	fclose(f);
	if (ret)
		pr_err("%s: out of memory", path);
	return ret;
}

/* Depth first: every module after all it needs, each once. */
static void add_with_deps(struct modules *m, unsigned int i)
{
	struct kmod *k = &m->mods[i];
	unsigned int d;
	int j;

	if (k->listed)
		return;
	k->listed = true;	/* also breaks (malformed) dependency cycles */
	for (d = 0; d < k->nr_deps; d++) {
		j = find_module(m, k->deps[d], true);
		if (j >= 0)
			add_with_deps(m, j);
	}
	m->order[m->nr_order++] = i;
}

/* Is @name built into the kernel (modules.builtin)? */
static bool builtin_module(const char *dir, const char *name)
{
	char path[PATH_MAX], *line = NULL, n[NAME_MAX];
	size_t cap = 0;
	bool found = false;
	FILE *f;

	f = join_path(path, dir, "modules.builtin") ? fopen(path, "re") : NULL;
	if (!f)
		return false;
	while (!found && getline(&line, &cap, f) > 0) {
		line[strcspn(line, "\n")] = '\0';
		module_name(line, n, sizeof(n));
		found = !strcmp(n, name);
	}
	free(line);
	fclose(f);
	return found;
}

static void free_modules(struct modules *m)
{
	unsigned int i, d;

	for (i = 0; i < m->nr; i++) {
		for (d = 0; d < m->mods[i].nr_deps; d++)
			free(m->mods[i].deps[d]);
		free(m->mods[i].deps);
		free(m->mods[i].path);
	}
	free(m->mods);
	free(m->order);
}

/*
 * The modules to load, in order.  A kernel without a modules directory
 * (a developer's, with virtio built in) gets none.  The file system
 * modules are added where they exist: initramfs_missing_fs() has told
 * about the missing ones already.
 */
static int resolve_modules(const char *dir, const struct initramfs_config *cfg,
			   struct modules *m)
{
	unsigned int w;
	int ret = read_modules_dep(dir, m), i;

	if (ret)
		return ret > 0 ? 0 : -1;
	m->order = calloc(m->nr ? m->nr : 1, sizeof(*m->order));
	if (!m->order) {
		pr_err("out of memory");
		return -1;
	}
	for (w = 0; w < ARRAY_SIZE(wanted_modules); w++) {
		i = find_module(m, wanted_modules[w], false);
		if (i >= 0)
			add_with_deps(m, i);
		else if (!builtin_module(dir, wanted_modules[w]))
			pr_err("warning: %s has no module %s; the guest goes without it",
			       dir, wanted_modules[w]);
	}
	for (w = 0; cfg->fs_modules && w < ARRAY_SIZE(fs_modules); w++) {
		if (fs_modules[w].root_only && !cfg->root_tag)
			continue;
		i = find_module(m, fs_modules[w].name, false);
		if (i >= 0)
			add_with_deps(m, i);
	}
	return 0;
}

void initramfs_missing_fs(const char *dir, bool root, char *buf, size_t len)
{
	struct modules m = { 0 };
	unsigned int w;
	size_t used = 0;

	buf[0] = '\0';
	if (read_modules_dep(dir, &m)) {
		free_modules(&m);
		return;
	}
	for (w = 0; w < ARRAY_SIZE(fs_modules); w++) {
		const struct fs_module *f = &fs_modules[w];

		if ((f->root_only && !root) || find_module(&m, f->name, false) >= 0 ||
		    builtin_module(dir, f->name))
			continue;
		used += snprintf(buf + used, len - used, "%s%s",
				 used ? ", " : "", f->config);
		if (used >= len)
			break;
	}
	free_modules(&m);
}

static bool add_modules(struct newc *c, const char *dir, const char *gdir,
			const struct modules *m)
{
	char host[PATH_MAX], guest[PATH_MAX], *list = NULL;
	size_t list_len = 0;
	FILE *f = open_memstream(&list, &list_len);
	unsigned int i;
	bool ok = f;

	for (i = 0; ok && i < m->nr_order; i++) {
		const char *path = m->mods[m->order[i]].path;

		ok = join_path(host, dir, path) && join_path(guest, gdir, path) &&
		     cpio_file(c, guest, host, 0644);
		fprintf(f, "/%s\n", guest);
	}
	if (f)
		fclose(f);
	if (ok)
		newc_entry(c, "lkvm/modules", S_IFREG | 0644, list, list_len);
	free(list);
	return ok;
}

/* lib/modules/<release>/ and every directory a module lives in. */
static void add_module_dirs(struct newc *c, const char *gdir,
			    const struct modules *m)
{
	char path[PATH_MAX], *slash;
	unsigned int i;

	cpio_dir(c, "lib");
	cpio_dir(c, "lib/modules");
	cpio_dir(c, gdir);
	for (i = 0; i < m->nr_order; i++) {
		if (!join_path(path, gdir, m->mods[m->order[i]].path))
			continue;	/* and add_modules() fails on it */
		/* Parents before children; the kernel ignores repeats. */
		for (slash = strchr(path + strlen(gdir) + 1, '/'); slash;
		     slash = strchr(slash + 1, '/')) {
			*slash = '\0';
			cpio_dir(c, path);
			*slash = '/';
		}
	}
}

/* argv as one line of sh, each word single-quoted. */
static char *quote_command(int argc, char **argv)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	const char *s;
	int i;

	if (!f)
		return NULL;
	for (i = 0; i < argc; i++) {
		fputs(i ? " '" : "'", f);
		for (s = argv[i]; *s; s++) {
			if (*s == '\'')
				fputs("'\\''", f);
			else
				fputc(*s, f);
		}
		fputc('\'', f);
	}
	fputc('\n', f);
	fclose(f);
	return out;
}

/* The guest's /init is busybox's sh: it must not need a dynamic loader. */
static bool is_static_elf(const char *path)
{
	size_t size, i, n;
	void *buf = read_file(path, &size);
	bool ok = false;
	GElf_Phdr ph;
	Elf *elf;

	if (!buf)
		return false;
	elf_version(EV_CURRENT);
	elf = elf_memory(buf, size);
	if (elf && elf_kind(elf) == ELF_K_ELF && !elf_getphdrnum(elf, &n)) {
		ok = true;
		for (i = 0; i < n; i++)
			if (gelf_getphdr(elf, i, &ph) && ph.p_type == PT_INTERP)
				ok = false;
	}
	if (elf)
		elf_end(elf);
	free(buf);
	if (!ok)
		pr_err("%s: not a statically linked program; install busybox-static",
		       path);
	return ok;
}

static bool add_base(struct newc *c, const struct initramfs_config *cfg)
{
	static const char *const dirs[] = {
		"bin", "sbin", "usr", "usr/bin", "usr/sbin", "dev", "proc",
		"sys", "tmp", "root", "lkvm",
	};
	char path[PATH_MAX];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(dirs); i++)
		cpio_dir(c, dirs[i]);
	newc_chrdev(c, "dev/console", 0600, CONSOLE_MAJOR, CONSOLE_MINOR);
	if (!is_static_elf(cfg->busybox) ||
	    !cpio_file(c, "bin/busybox", cfg->busybox, 0755))
		return false;
	newc_entry(c, "bin/sh", S_IFLNK | 0777, "busybox", 7);
	return join_path(path, cfg->guest_dir, "init") &&
	       cpio_file(c, "init", path, 0755) &&
	       join_path(path, cfg->guest_dir, "lkvm-exit") &&
	       cpio_file(c, "bin/lkvm-exit", path, 0755);
}

static bool add_command(struct newc *c, const struct initramfs_config *cfg)
{
	char *cmd;

	if (!cfg->argc)
		return true;
	cmd = quote_command(cfg->argc, cfg->argv);
	if (!cmd) {
		pr_err("out of memory");
		return false;
	}
	newc_entry(c, "lkvm/cmd", S_IFREG | 0644, cmd, strlen(cmd));
	free(cmd);
	return true;
}

/*
 * /lkvm/root-tag names the share /init mounts as the guest's root, and
 * /lkvm/cwd the directory there the command starts in.
 */
static void add_root_tag(struct newc *c, const struct initramfs_config *cfg)
{
	if (!cfg->root_tag)
		return;
	newc_entry(c, "lkvm/root-tag", S_IFREG | 0644, cfg->root_tag,
		   strlen(cfg->root_tag));
	if (cfg->cwd)
		newc_entry(c, "lkvm/cwd", S_IFREG | 0644, cfg->cwd,
			   strlen(cfg->cwd));
}

int initramfs_write(int fd, const struct initramfs_config *cfg)
{
	struct newc c;
	struct modules m = { 0 };
	char dir[PATH_MAX], gdir[PATH_MAX];
	bool ok;

	if (!join_path(dir, cfg->modules_root, cfg->release) ||
	    !join_path(gdir, "lib/modules", cfg->release) ||
	    resolve_modules(dir, cfg, &m))
		return -1;
	newc_start(&c, fd);
	ok = add_base(&c, cfg) && add_command(&c, cfg);
	if (ok) {
		add_root_tag(&c, cfg);
		add_module_dirs(&c, gdir, &m);
		ok = add_modules(&c, dir, gdir, &m);
	}
	free_modules(&m);
	if (!ok)
		return -1;
	return newc_finish(&c);
}

void initramfs_defaults(struct initramfs_config *cfg)
{
	static char guest_dir[PATH_MAX];
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	const char *modules = getenv("LKVM_MODULES_DIR");

	self[n > 0 ? n : 0] = '\0';
	if (!join_path(guest_dir, dirname(self), "guest-init"))
		strcpy(guest_dir, "guest-init");	/* fails when read */
	*cfg = (struct initramfs_config) {
		.modules_root = modules && *modules ? modules : "/lib/modules",
		.guest_dir = guest_dir,
		.busybox = "/bin/busybox",
	};
}

const char *initramfs_build(const struct initramfs_config *cfg)
{
	static char path[64];
	int fd = memfd_create("lkvm-initramfs", 0);

	if (fd < 0) {
		pr_err("cannot create the initramfs: %s", strerror(errno));
		return NULL;
	}
	if (initramfs_write(fd, cfg)) {
		close(fd);
		return NULL;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	return path;
}

/*
 * Can the kernel mount the shares?  Where it cannot mount the root, one
 * line says so and *@root_share goes false; --share's needs are a must.
 */
static int check_shares(const struct initramfs_config *cfg, bool *root_share,
			bool user_shares)
{
	char dir[PATH_MAX], missing[128];

	if (!join_path(dir, cfg->modules_root, cfg->release))
		return -1;
	if (user_shares) {
		initramfs_missing_fs(dir, false, missing, sizeof(missing));
		if (*missing) {
			pr_err("--share: kernel %s lacks %s (neither a module in %s nor built in)",
			       cfg->release, missing, dir);
			return -1;
		}
	}
	if (!*root_share)
		return 0;
	initramfs_missing_fs(dir, true, missing, sizeof(missing));
	if (*missing) {
		pr_err("kernel %s lacks %s (neither a module in %s nor built in): the guest's root is lkvm's initramfs, not the host's",
		       cfg->release, missing, dir);
		*root_share = false;
	}
	return 0;
}

int initramfs_prepare_shares(struct boot_config *boot, int argc, char **argv,
			     bool *root_share, bool user_shares)
{
	struct initramfs_config cfg;
	char release[256], cwd[PATH_MAX];
	int is_linux = 0;

	if (!boot->flat && !boot->real_mode) {
		is_linux = linux_kernel_release(boot->kernel, release,
						sizeof(release));
		if (is_linux < 0)
			return -1;
	}
	if (!is_linux || boot->initrd) {
		*root_share = false;
		if (!argc)
			return 0;
		if (!is_linux)
			pr_err("-- %s: running a command needs a Linux kernel; %s is not one",
			       argv[0], boot->kernel);
		else
			pr_err("-- %s: the command runs from lkvm's own initramfs; drop -i %s",
			       argv[0], boot->initrd);
		return -1;
	}
	initramfs_defaults(&cfg);
	cfg.release = release;
	cfg.argc = argc;
	cfg.argv = argv;
	if (check_shares(&cfg, root_share, user_shares))
		return -1;
	cfg.fs_modules = *root_share || user_shares;
	cfg.root_tag = *root_share ? INITRAMFS_ROOT_TAG : NULL;
	/* The host's root shows the host's working directory; "/" if gone. */
	cfg.cwd = getcwd(cwd, sizeof(cwd));
	boot->initrd = initramfs_build(&cfg);
	return boot->initrd ? 0 : -1;
}

int initramfs_prepare(struct boot_config *boot, int argc, char **argv)
{
	bool root_share = false;

	return initramfs_prepare_shares(boot, argc, argv, &root_share, false);
}
