// SPDX-License-Identifier: GPL-2.0
/* lkvm run: build the machine, boot what -k names, return its status. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "accel.h"
#include "boot.h"
#include "control.h"
#include "devices.h"
#include "initramfs.h"
#include "linux-boot.h"
#include "lkvm.h"
#include "sandbox.h"

struct run_opts {
	struct boot_config boot;
	u64 mem_mib;
	u64 cpus;
	const char *accel;
	bool dump_regs;
	bool no_sandbox;
	int cmd_argc;			/* after "--": run in a Linux guest */
	char **cmd_argv;
	const char *disks[8];		/* -d arguments, "PATH[,ro]" */
	unsigned int nr_disks;
	const char *shares[8];		/* --share arguments, "DIR[,tag=TAG]" */
	unsigned int nr_shares;
	bool root_share;		/* "/" as the guest's root (the default) */
	const char *name;
};

enum {
	OPT_ACCEL = 0x100,
	OPT_CONSOLE,
	OPT_FLAT,
	OPT_REAL_MODE,
	OPT_DUMP_REGS,
	OPT_NAME,
	OPT_NETWORK,
	OPT_SHARE,
	OPT_NO_SANDBOX,
	OPT_KASLR,
};

static const struct option run_options[] = {
	{ "kernel",	required_argument, NULL, 'k' },
	{ "initrd",	required_argument, NULL, 'i' },
	{ "disk",	required_argument, NULL, 'd' },
	{ "params",	required_argument, NULL, 'p' },
	{ "mem",	required_argument, NULL, 'm' },
	{ "cpus",	required_argument, NULL, 'c' },
	{ "console",	required_argument, NULL, OPT_CONSOLE },
	{ "accel",	required_argument, NULL, OPT_ACCEL },
	{ "flat",	no_argument,	   NULL, OPT_FLAT },
	{ "real-mode",	no_argument,	   NULL, OPT_REAL_MODE },
	{ "kaslr",	no_argument,	   NULL, OPT_KASLR },
	{ "dump-regs",	no_argument,	   NULL, OPT_DUMP_REGS },
	{ "name",	required_argument, NULL, OPT_NAME },
	{ "network",	required_argument, NULL, OPT_NETWORK },
	{ "share",	required_argument, NULL, OPT_SHARE },
	{ "no-sandbox",	no_argument,	   NULL, OPT_NO_SANDBOX },
	{ "help",	no_argument,	   NULL, 'h' },
	{ }
};

static void run_usage(FILE *f)
{
	fputs("usage: lkvm run [options] [-- command...]\n"
	      "  -k, --kernel FILE     kernel (bzImage, vmlinux) or ELF payload\n"
	      "                        (default: the newest /boot/vmlinuz-*)\n"
	      "  -i, --initrd FILE     initial ramdisk (default for a Linux kernel:\n"
	      "                        busybox and its virtio modules, made on the fly)\n"
	      "  -d, --disk FILE[,ro][,backend=kernel|user]  disk image (virtio-blk); repeatable\n"
	      "  -p, --params STR      extra kernel command line\n"
	      "  -m, --mem MiB         guest memory (default 512)\n"
	      "  -c, --cpus N          vCPUs (default 1)\n"
	      "      --console serial  guest console (serial only for now)\n"
	      "      --accel A         kvm, tcg or auto (default: kvm if usable)\n"
	      "      --flat            -k is a flat 64-bit binary loaded at 1 MiB\n"
	      "      --real-mode       -k is a flat binary run in real mode at 0x7c00\n"
	      "      --kaslr           a bzImage decompresses itself and randomizes\n"
	      "                        where it runs (default for LZ4 and gzip: lkvm\n"
	      "                        decompresses it, faster on TCG, no KASLR)\n"
	      "      --dump-regs       print vCPU 0's registers on stderr at exit\n"
	      "      --name NAME       name for lkvm list/stat/stop/... (default guest-PID)\n"
	      "      --network mode=user|tap|none[,tapif=IF,host_ip=A.B.C.D/N,\n"
	      "                guest_ip=A.B.C.D,guest_mac=MAC]  virtio-net (default\n"
	      "                mode=user: 192.168.33.15, NAT to the host); repeatable\n"
	      "      --share DIR[,tag=TAG]  DIR read-only (virtio-fs, mount -t virtiofs\n"
	      "                TAG); repeatable.  Without -i a Linux guest's root is\n"
	      "                the host's /, read-only under a tmpfs overlay\n"
	      "      --no-sandbox      no seccomp filter, capabilities kept (see\n"
	      "                        Documentation/sandbox.rst)\n",
	      f);
}

static int parse_run_option(struct run_opts *o, int c, const char *arg)
{
	switch (c) {
	case 'k':
		o->boot.kernel = arg;
		return 0;
	case 'i':
		o->boot.initrd = arg;
		return 0;
	case 'p':
		o->boot.cmdline = arg;
		return 0;
	case 'm':
		return parse_uint("-m", arg, 1, MAX_MEM_MIB, &o->mem_mib) ? 0 : -1;
	case 'c':
		return parse_uint("-c", arg, 1, MAX_VCPUS, &o->cpus) ? 0 : -1;
	case 'd':
		if (o->nr_disks == ARRAY_SIZE(o->disks)) {
			pr_err("-d %s: at most %zu disks", arg,
			       ARRAY_SIZE(o->disks));
			return -1;
		}
		o->disks[o->nr_disks++] = arg;
		return 0;
	case OPT_CONSOLE:
		if (strcmp(arg, "serial")) {
			pr_err("--console %s: only 'serial' is supported", arg);
			return -1;
		}
		return 0;
	case OPT_ACCEL:
		if (strcmp(arg, "kvm") && strcmp(arg, "tcg") &&
		    strcmp(arg, "auto")) {
			pr_err("--accel %s: expected kvm, tcg or auto", arg);
			return -1;
		}
		o->accel = arg;
		return 0;
	case OPT_FLAT:
		o->boot.flat = true;
		return 0;
	case OPT_REAL_MODE:
		o->boot.real_mode = true;
		return 0;
	case OPT_KASLR:
		o->boot.kaslr = true;
		return 0;
	case OPT_DUMP_REGS:
		o->dump_regs = true;
		return 0;
	case OPT_NAME:
		if (!ctl_name_valid(arg)) {
			pr_err("--name '%s': use 1 to %d of A-Z a-z 0-9 . _ -",
			       arg, LKVM_CTL_NAME_MAX - 1);
			return -1;
		}
		o->name = arg;
		return 0;
	case OPT_NO_SANDBOX:
		o->no_sandbox = true;
		return 0;
	case OPT_NETWORK:
		return net_add_option(arg);
	case OPT_SHARE:
		if (o->nr_shares == ARRAY_SIZE(o->shares)) {
			pr_err("--share %s: at most %zu shares", arg,
			       ARRAY_SIZE(o->shares));
			return -1;
		}
		o->shares[o->nr_shares++] = arg;
		return 0;
	}
	return -1;
}

static int parse_run_args(struct run_opts *o, int argc, char **argv)
{
	int c;

	*o = (struct run_opts) { .mem_mib = 512, .cpus = 1, .accel = "auto" };
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:k:i:d:p:m:c:h", run_options,
				NULL)) != -1) {
		if (c == 'h') {
			run_usage(stdout);
			exit(0);
		}
		if (c == '?' || c == ':') {
			/* A leading ':' in the option string tells them apart. */
			pr_err("run: %s option '%s' (see lkvm run --help)",
			       c == ':' ? "missing argument for" : "unknown",
			       argv[optind - 1]);
			return -1;
		}
		if (parse_run_option(o, c, optarg))
			return -1;
	}
	o->cmd_argc = argc - optind;
	o->cmd_argv = argv + optind;
	o->boot.cmdline = net_finish_options(o->boot.cmdline);
	/* Linux kernels only; initramfs_prepare_shares() tells payloads. */
	o->root_share = !o->boot.initrd && !o->boot.flat && !o->boot.real_mode;
	if (!o->boot.kernel)
		o->boot.kernel = linux_default_kernel();
	return o->boot.kernel ? 0 : -1;
}

static int choose_accel(struct vm *vm, const char *name)
{
	int ret;

	if (!strcmp(name, "tcg")) {
		vm->accel_ops = &tcg_accel_ops;
		return tcg_accel_ops.vm_create(vm, false);
	}
	vm->accel_ops = &kvm_accel_ops;
	ret = kvm_accel_ops.vm_create(vm, !strcmp(name, "auto"));
	if (!ret || strcmp(name, "auto"))
		return ret;
	if (ret == -ENOENT || ret == -EACCES || ret == -EPERM)
		pr_err("cannot use /dev/kvm: %s; using TCG", strerror(-ret));
	else if (ret == -EOPNOTSUPP)
		pr_err("/dev/kvm is PVM, which emulates ordinary guests slowly; using TCG (--accel kvm forces it)");
	else
		pr_err("KVM is unusable; using TCG");
	vm->accel_ops = &tcg_accel_ops;
	return tcg_accel_ops.vm_create(vm, false);
}

/* The vCPU gets the accelerator's CPUID as KVM_GET_SUPPORTED_CPUID has it. */
static int setup_cpuid(struct vcpu *vcpu)
{
	const struct accel_ops *ops = vcpu->vm->accel_ops;
	unsigned int nent = 256;
	struct kvm_cpuid2 *cpuid;
	int ret;

	cpuid = calloc(1, sizeof(*cpuid) + nent * sizeof(cpuid->entries[0]));
	if (!cpuid)
		return -ENOMEM;
	cpuid->nent = nent;
	ret = ops->get_supported_cpuid(vcpu->vm, cpuid) ?:
	      ops->set_cpuid(vcpu, cpuid);
	free(cpuid);
	return ret;
}

static int create_vcpus(struct vm *vm, unsigned int n,
			const struct boot_entry *entry)
{
	unsigned int i;
	int ret;

	for (i = 0; i < n; i++) {
		struct vcpu *vcpu = &vm->vcpus[i];

		vcpu->vm = vm;
		vcpu->id = i;
		ret = vm->accel_ops->vcpu_create(vcpu) ?: setup_cpuid(vcpu);
		if (ret)
			return ret;
		vm->nr_vcpus = i + 1;
	}
	/* Application processors wait for INIT/SIPI from the boot vCPU. */
	return boot_enter(&vm->vcpus[0], entry);
}

static void dump_regs(struct vcpu *vcpu)
{
	struct kvm_regs r;

	if (vcpu->vm->accel_ops->get_regs(vcpu, &r))
		return;
	fprintf(stderr, "lkvm: regs rax=%016llx rbx=%016llx rcx=%016llx "
		"rdx=%016llx rsi=%016llx rdi=%016llx rsp=%016llx rbp=%016llx "
		"r8=%016llx r9=%016llx r10=%016llx r11=%016llx r12=%016llx "
		"r13=%016llx r14=%016llx r15=%016llx rip=%016llx rflags=%016llx\n",
		r.rax, r.rbx, r.rcx, r.rdx, r.rsi, r.rdi, r.rsp, r.rbp, r.r8,
		r.r9, r.r10, r.r11, r.r12, r.r13, r.r14, r.r15, r.rip, r.rflags);
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *vcpu = arg;
	struct vm *vm = vcpu->vm;
	enum vcpu_exit exit;

	/* VCPU_EXIT_STOP while the machine goes on is a pause. */
	while ((exit = vm->accel_ops->run(vcpu)) == VCPU_EXIT_STOP &&
	       control_park(vcpu))
		;
	switch (exit) {
	case VCPU_EXIT_STOP:
		break;
	case VCPU_EXIT_HLT:
		vm_stop(vm, VM_STOP_HALT, 0);
		break;
	case VCPU_EXIT_SHUTDOWN:
		vm_stop(vm, VM_STOP_SHUTDOWN, LKVM_EXIT_ERROR);
		break;
	case VCPU_EXIT_ERROR:
		vm_stop(vm, VM_STOP_ERROR, LKVM_EXIT_ERROR);
		break;
	}
	return NULL;
}

static int start_vcpus(struct vm *vm)
{
	unsigned int i;
	int ret;

	for (i = 0; i < vm->nr_vcpus; i++) {
		ret = pthread_create(&vm->vcpus[i].thread, NULL, vcpu_thread,
				     &vm->vcpus[i]);
		if (ret) {
			pr_err("cannot start vCPU %u: %s", i, strerror(ret));
			vm_stop(vm, VM_STOP_ERROR, LKVM_EXIT_ERROR);
			return -ret;
		}
	}
	return 0;
}

/* Returns false at the end of stdin: a readable EOF is polled no more. */
static bool forward_stdin(void)
{
	u8 buf[16];
	ssize_t n;

	if (!serial_input_room())
		return true;
	n = read(STDIN_FILENO, buf, sizeof(buf));
	if (n > 0)
		serial_input(buf, n);
	return n > 0 || (n < 0 && (errno == EAGAIN || errno == EINTR));
}

/*
 * The main thread: waits for the machine to stop, turns SIGINT/SIGTERM into
 * an orderly stop, and feeds stdin to the serial port.
 */
static void main_loop(struct vm *vm, int sig_fd)
{
	struct pollfd fds[3] = {
		{ .fd = vm->stop_fd, .events = POLLIN },
		{ .fd = sig_fd, .events = POLLIN },
		{ .fd = STDIN_FILENO, .events = POLLIN },
	};
	bool stdin_open = true;

	while (!vm_stopped(vm)) {
		/* While the UART's FIFO is full, stdin waits. */
		fds[2].fd = stdin_open && serial_input_room() ? STDIN_FILENO : -1;
		if (poll(fds, 3, 50) < 0 && errno != EINTR)
			break;
		if (fds[1].revents & POLLIN) {
			struct signalfd_siginfo si;

			if (read(sig_fd, &si, sizeof(si)) == sizeof(si))
				vm_stop(vm, VM_STOP_SIGNAL, 128 + si.ssi_signo);
		}
		if (fds[2].revents & POLLIN)
			stdin_open = forward_stdin();
		else if (fds[2].revents & (POLLHUP | POLLERR | POLLNVAL))
			stdin_open = false;
	}
}

static int report_stop(struct vm *vm)
{
	struct kvm_regs r = { 0 };

	switch (atomic_load(&vm->stop_reason)) {
	case VM_STOP_HALT:
		pr_err("guest halted");
		break;
	case VM_STOP_SHUTDOWN:
		vm->accel_ops->get_regs(&vm->vcpus[0], &r);
		pr_err("guest triple-faulted (vCPU 0 at rip %#llx)", r.rip);
		break;
	case VM_STOP_SIGNAL:
		pr_err("stopped by signal %d", vm->exit_status - 128);
		break;
	case VM_STOP_RESET:
		/* lkvm's /init ends through the exit device, never a reset. */
		pr_err("guest reset the machine: a kernel panic (see above) or a forced reboot");
		return LKVM_EXIT_ERROR;
	}
	return vm->exit_status;
}

static int block_signals(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	return signalfd(-1, &set, SFD_CLOEXEC);
}

/*
 * The PCI bus: host bridge, virtio console and rng, one blk per -d, the
 * root share and one virtio-fs per --share, NICs.
 */
static int setup_pci_devices(struct vm *vm, const struct run_opts *o)
{
	unsigned int i;

	if (pci_init(vm))
		return -1;
	if (virtio_console_init(vm, STDOUT_FILENO) || virtio_rng_init(vm)) {
		pr_err("cannot set up the virtio devices");
		return -1;
	}
	for (i = 0; i < o->nr_disks; i++)
		if (virtio_blk_init(vm, o->disks[i]))
			return -1;
	if (o->root_share && virtio_fs_init(vm, "/,tag=" INITRAMFS_ROOT_TAG))
		return -1;
	for (i = 0; i < o->nr_shares; i++)
		if (virtio_fs_init(vm, o->shares[i]))
			return -1;
	if (o->root_share || o->nr_shares)
		sandbox_allow(SANDBOX_FS);
	return net_init(vm);
}

static int setup_machine(struct vm *vm, const struct run_opts *o,
			 struct boot_entry *entry)
{
	if (vm_init_memory(vm, o->mem_mib * MiB) ||
	    acpi_build(vm, o->cpus) || boot_load(vm, &o->boot, entry))
		return -1;
	if (serial_init(vm, STDOUT_FILENO) || exit_dev_init(vm) ||
	    i8042_init(vm) || rtc_init(vm)) {
		pr_err("cannot register the platform devices");
		return -1;
	}
	if (setup_pci_devices(vm, o))
		return -1;
	return create_vcpus(vm, o->cpus, entry);
}

/*
 * A guest named with --name must be reachable; an anonymous one still runs
 * when the socket directory is unusable (no writable $HOME, say).
 */
static int setup_control(struct vm *vm, const char *name)
{
	if (!control_init(vm, name))
		return 0;
	if (name)
		return -1;
	pr_err("running without a control socket: lkvm list/stop will not see this guest");
	return 0;
}

int cmd_run(int argc, char **argv)
{
	static struct vm vm;
	struct boot_entry entry;
	struct run_opts o;
	unsigned int i;
	int sig_fd, status;

	if (parse_run_args(&o, argc, argv))
		return LKVM_EXIT_USAGE;
	if (initramfs_prepare_shares(&o.boot, o.cmd_argc, o.cmd_argv,
				     &o.root_share, o.nr_shares))
		return LKVM_EXIT_ERROR;
	sig_fd = block_signals();
	vm.stop_fd = eventfd(0, EFD_CLOEXEC);
	if (sig_fd < 0 || vm.stop_fd < 0)
		die("cannot create signal/event descriptors: %s", strerror(errno));
	if (choose_accel(&vm, o.accel))
		return LKVM_EXIT_ERROR;
	if (setup_machine(&vm, &o, &entry) || setup_control(&vm, o.name) ||
	    (!o.no_sandbox && sandbox_enter()) || start_vcpus(&vm))
		return LKVM_EXIT_ERROR;
	main_loop(&vm, sig_fd);
	control_exit(&vm);
	for (i = 0; i < vm.nr_vcpus; i++)
		pthread_join(vm.vcpus[i].thread, NULL);
	if (o.dump_regs)
		dump_regs(&vm.vcpus[0]);
	status = report_stop(&vm);
	/* The guest's writes must outlive lkvm, whatever ended it. */
	if (virtio_blk_exit() && !status)
		status = LKVM_EXIT_ERROR;
	return status;
}
