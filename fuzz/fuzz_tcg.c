// SPDX-License-Identifier: GPL-2.0
/*
 * The TCG decoder and executor on random guest code.  Each input runs in a
 * fresh bare VM (tools/tcg-fallback/runner/bare_vm.h) on libtcg: its page
 * tables are cut down to map only the VM's memory (the system area and one
 * 2 MiB page of code and stack), the code is the input, the rest of its
 * page HLT.  Whatever the bytes, the run must end in a guest exception
 * (recorded by the bare VM's stubs, then HLT), HLT, a triple fault, an
 * access to unbacked memory or a documented emulator limitation, or be
 * stopped by the time limit; never a host fault.
 *
 * Input: u8 flags (bit 0: run at CPL 3 rather than CPL 0), then the code.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "bare_vm.h"

#define CODE_BASE	BVM_SYS_SIZE		/* the second 2 MiB page */
#define CODE_SIZE	BVM_SYS_SIZE
#define STACK_TOP	(CODE_BASE + CODE_SIZE - 0x1000)
#define RUN_MS		20
#define HLT		0xf4
#define PTE_P		0x1ULL
#define PTE_RW		0x2ULL
#define PTE_US		0x4ULL
#define PTE_PS		0x80ULL

/* Exits that random code may legitimately reach. */
static const char *const expected_errors[] = {
	"emulator: ",			/* internal_error(): unsupported */
	"unexpected memory ",		/* unbacked guest-physical address */
};

static void map_only_ram(struct bare_vm *vm)
{
	uint64_t *pd = bvm_gpa(vm, BVM_PD, 4096);

	memset(pd, 0, 4096);
	pd[0] = PTE_P | PTE_RW | PTE_PS;		/* system area */
	pd[1] = CODE_BASE | PTE_P | PTE_RW | PTE_US | PTE_PS;
	bvm_host_write(vm, BVM_PD, 4096);
}

/* Ports are all open: reads float high, writes go nowhere. */
static void any_port(void *opaque, uint16_t port, void *data, unsigned int len,
		     bool is_write)
{
	if (!is_write)
		memset(data, 0xff, len);
}

static bool expected_error(const char *err)
{
	unsigned int i;

	for (i = 0; i < sizeof(expected_errors) / sizeof(expected_errors[0]); i++)
		if (!strncmp(err, expected_errors[i], strlen(expected_errors[i])))
			return true;
	return false;
}

/*
 * bvm_run()'s time limit takes SIGALRM and ITIMER_REAL, which libFuzzer
 * uses for -timeout: lend them for the run and give them back.
 */
static enum bvm_exit run_lending_alarm(struct bare_vm *vm)
{
	struct sigaction sa;
	struct itimerval it;
	enum bvm_exit e;

	sigaction(SIGALRM, NULL, &sa);
	getitimer(ITIMER_REAL, &it);
	e = bvm_run(vm, RUN_MS);
	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &it, NULL);
	return e;
}

static void set_cpl0(struct bare_vm *vm)
{
	struct kvm_regs regs = {
		.rip = CODE_BASE, .rsp = STACK_TOP, .rflags = 2,
	};

	if (bvm_set_regs(vm, &regs))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char why[256];
	struct bare_vm *vm = bvm_create(BVM_TCG, why, sizeof(why));
	uint8_t *code;
	enum bvm_exit e;

	if (!vm) {
		fprintf(stderr, "fuzz_tcg: %s\n", why);
		exit(1);
	}
	code = bvm_add_memory(vm, CODE_BASE, CODE_SIZE);
	if (!code)
		abort();
	if (size > CODE_SIZE / 2)
		size = CODE_SIZE / 2;
	memset(code, HLT, CODE_SIZE);
	if (size > 1)
		memcpy(code, data + 1, size - 1);
	bvm_host_write(vm, CODE_BASE, CODE_SIZE);
	map_only_ram(vm);
	bvm_set_pio(vm, any_port, NULL);
	if (size && (data[0] & 1)) {
		if (bvm_enter_user(vm, CODE_BASE, STACK_TOP))
			abort();
	} else {
		set_cpl0(vm);
	}
	e = run_lending_alarm(vm);
	if (e == BVM_EXIT_ERROR && !expected_error(bvm_error(vm))) {
		fprintf(stderr, "fuzz_tcg: unexpected failure: %s\n",
			bvm_error(vm));
		abort();
	}
	bvm_destroy(vm);
	return 0;
}
