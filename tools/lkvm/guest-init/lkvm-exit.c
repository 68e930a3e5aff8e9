// SPDX-License-Identifier: GPL-2.0
/*
 * lkvm-exit [STATUS]: ends the VM; lkvm exits with STATUS (0-255, default 0).
 *
 * Writes STATUS to lkvm's exit device (include/uapi/linux/lkvm.h): to its
 * port through ioperm(2), which distribution kernels allow
 * (CONFIG_X86_IOPL_IOPERM), else to its MMIO page through /dev/mem, for
 * kernels without ioperm or CPUs that refuse the port access.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/io.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/lkvm.h>

static sigjmp_buf port_fault;
/* Why the port did not work; shown only if the MMIO page fails too. */
static char port_error[128];

static void on_fault(int sig)
{
	siglongjmp(port_fault, 1);
}

/* Returns only if the write did not end the VM. */
static void exit_by_port(unsigned char status)
{
	if (ioperm(LKVM_EXIT_PORT, 1, 1)) {
		snprintf(port_error, sizeof(port_error), "ioperm(%#x): %s",
			 LKVM_EXIT_PORT, strerror(errno));
		return;
	}
	signal(SIGSEGV, on_fault);
	if (!sigsetjmp(port_fault, 1))
		outb(status, LKVM_EXIT_PORT);
	else
		snprintf(port_error, sizeof(port_error),
			 "port %#x refused (general protection fault)",
			 LKVM_EXIT_PORT);
	signal(SIGSEGV, SIG_DFL);
}

static void exit_by_mmio(unsigned char status)
{
	volatile unsigned int *reg;
	int fd = open("/dev/mem", O_RDWR | O_SYNC | O_CLOEXEC);

	if (fd < 0) {
		fprintf(stderr, "lkvm-exit: /dev/mem: %s\n", strerror(errno));
		return;
	}
	reg = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		   LKVM_EXIT_MMIO);
	close(fd);
	if (reg == MAP_FAILED) {
		fprintf(stderr, "lkvm-exit: mapping %#llx: %s\n",
			(unsigned long long)LKVM_EXIT_MMIO, strerror(errno));
		return;
	}
	*reg = status;
}

int main(int argc, char **argv)
{
	unsigned long status = 0;
	char *end;

	if (argc > 2) {
		fprintf(stderr, "usage: lkvm-exit [STATUS 0-255]\n");
		return 2;
	}
	if (argc == 2) {
		status = strtoul(argv[1], &end, 10);
		if (*end || end == argv[1] || status > 255) {
			fprintf(stderr, "usage: lkvm-exit [STATUS 0-255]\n");
			return 2;
		}
	}
	exit_by_port(status);
	exit_by_mmio(status);
	if (port_error[0])
		fprintf(stderr, "lkvm-exit: %s\n", port_error);
	fprintf(stderr, "lkvm-exit: the exit device did not end the VM: not under lkvm?\n");
	return 1;
}
