// SPDX-License-Identifier: GPL-2.0
/*
 * Exception differential test: small CPL 3 snippets that fault run natively,
 * where Linux reports the hardware's vector, error code, RIP and CR2 in the
 * signal context, and at CPL 3 in a bare VM on the emulator (or KVM, -b kvm),
 * whose IDT stubs record the same four.  They must agree.
 *
 * The snippet sits at the same address on both sides; "unmapped" addresses
 * are unmapped on both (the bare VM maps only the first 1 GiB).
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include "kselftest.h"
#include "bare_vm.h"

#define REGION		0x30000000ULL
#define REGION_SIZE	0x200000ULL
#define STACK_TOP	(REGION + 0x100000)
#define DATA		(REGION + 0x1000)	/* a mapped, writable page */

/* 64-bit immediates inside the snippets, little endian */
#define IMM64(x) (x) & 0xff, ((x) >> 8) & 0xff, ((x) >> 16) & 0xff, \
	((x) >> 24) & 0xff, ((x) >> 32) & 0xff, ((x) >> 40) & 0xff, \
	((x) >> 48) & 0xff, ((x) >> 56) & 0xff
/*
 * Above the bare VM's 1 GiB, below the low shadow of AddressSanitizer
 * (0x7fff8000 up): nothing maps it natively either, sanitized or not, as
 * the program, its brk heap and its mmaps live far higher.  Higher ones
 * are not free under ASan: its shadow memory, and the inaccessible gap
 * between its low and high shadow, take 0x7fff8000-0x10007fff7fff.
 */
#define UNMAPPED	0x60000000ULL
#define NONCANON	0x8000000000000000ULL
#define MOVABS_RAX(x)	0x48, 0xb8, IMM64(x)

struct snippet {
	const char *name;
	unsigned char code[32];
	unsigned int len;
	/* Known to differ on the PVM flavour of KVM: XFAIL there. */
	bool pvm_differs;
};

#define SNIP(n, ...) { .name = n, .code = { __VA_ARGS__ }, \
	.len = sizeof((unsigned char[]){ __VA_ARGS__ }) }
#define SNIP_PVM(n, ...) { .name = n, .code = { __VA_ARGS__ }, \
	.len = sizeof((unsigned char[]){ __VA_ARGS__ }), .pvm_differs = true }

static const struct snippet snippets[] = {
	SNIP("ud2", 0x0f, 0x0b),
	SNIP("div by zero", 0x31, 0xc9, 0xf7, 0xf1),
	SNIP("idiv overflow", 0xb8, 0x00, 0x00, 0x00, 0x80, 0x99,
	     0xb9, 0xff, 0xff, 0xff, 0xff, 0xf7, 0xf9),
	SNIP("int3 (trap: RIP after)", 0xcc),
	SNIP("load from unmapped", MOVABS_RAX(UNMAPPED), 0x48, 0x8b, 0x08),
	SNIP("store to unmapped", MOVABS_RAX(UNMAPPED), 0x48, 0x89, 0x08),
	SNIP("jump to unmapped", MOVABS_RAX(UNMAPPED), 0xff, 0xe0),
	SNIP("push to unmapped stack", MOVABS_RAX(UNMAPPED + 8), 0x48, 0x89,
	     0xc4, 0x50),
	SNIP("load non-canonical", MOVABS_RAX(NONCANON), 0x48, 0x8b, 0x08),
	SNIP("ret to non-canonical", MOVABS_RAX(NONCANON), 0x50, 0xc3),
	SNIP("hlt at CPL 3", 0xf4),
	SNIP("cli at CPL 3", 0xfa),
	SNIP("in at CPL 3", 0xe4, 0x80),
	SNIP("mov from cr0 at CPL 3", 0x0f, 0x20, 0xc0),
	SNIP("rdmsr at CPL 3", 0x0f, 0x32),
	SNIP_PVM("int 0x41 (no gate)", 0xcd, 0x41),	/* PVM: #UD */
	SNIP("into (invalid in 64-bit mode)", 0xce),
	SNIP("lock nop", 0xf0, 0x90),
	SNIP("misaligned movaps", MOVABS_RAX(DATA + 1), 0x0f, 0x28, 0x00),
};

struct result {
	unsigned long long vector, error, rip, cr2;
	char other[240];	/* no exception: what happened instead */
};

static sigjmp_buf native_env;
static struct result native_res;

static void native_handler(int sig, siginfo_t *si, void *uc_)
{
	ucontext_t *uc = uc_;

	native_res.vector = uc->uc_mcontext.gregs[REG_TRAPNO];
	native_res.error = uc->uc_mcontext.gregs[REG_ERR];
	native_res.rip = uc->uc_mcontext.gregs[REG_RIP];
	native_res.cr2 = uc->uc_mcontext.gregs[REG_CR2];
	siglongjmp(native_env, 1);
}

static uint8_t *native_region;

/* Whether nothing at all (not even PROT_NONE) maps the page at @addr. */
static bool address_free(unsigned long long addr)
{
	long page = sysconf(_SC_PAGESIZE);
	void *p = mmap((void *)addr, page, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);

	if (p == MAP_FAILED)
		return false;
	munmap(p, page);
	return p == (void *)addr;
}

static int setup_native(void)
{
	static uint8_t altstack[65536];
	stack_t ss = { .ss_sp = altstack, .ss_size = sizeof(altstack) };
	struct sigaction sa = { .sa_sigaction = native_handler,
				.sa_flags = SA_SIGINFO | SA_ONSTACK };
	int sigs[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP };
	unsigned int i;

	native_region = mmap((void *)REGION, REGION_SIZE,
			     PROT_READ | PROT_WRITE | PROT_EXEC,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
			     -1, 0);
	if (native_region != (void *)REGION) {
		ksft_print_msg("cannot map 0x%llx: %s\n", REGION, strerror(errno));
		return -1;
	}
	if (!address_free(UNMAPPED)) {
		ksft_print_msg("0x%llx is mapped in this process\n", UNMAPPED);
		return -1;
	}
	sigaltstack(&ss, NULL);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
	return 0;
}

/* The snippet, then RET natively: reaching it means nothing faulted. */
static void run_native(const struct snippet *s, struct result *r)
{
	memset(&native_res, 0, sizeof(native_res));
	memcpy(native_region, s->code, s->len);
	native_region[s->len] = 0xc3;
	if (!sigsetjmp(native_env, 1)) {
		((void (*)(void))REGION)();
		snprintf(native_res.other, sizeof(native_res.other),
			 "no exception");
	}
	*r = native_res;
}

static void exit_port(void *opaque, uint16_t port, void *data,
		      unsigned int len, bool is_write)
{
	struct bare_vm *vm = opaque;

	if (port == BVM_SYSCALL_PORT)
		bvm_info(vm)->sys_stop = 1;
}

/* The snippet at CPL 3, then exit_group: reaching it means no fault. */
static void run_guest(enum bvm_backend be, const struct snippet *s,
		      struct result *r)
{
	static const uint8_t exit_call[] = { 0xb8, 0xe7, 0, 0, 0, 0x0f, 0x05 };
	struct bvm_info *info;
	struct bare_vm *vm;
	uint8_t *mem;
	enum bvm_exit e;
	char why[200];

	memset(r, 0, sizeof(*r));
	vm = bvm_create(be, why, sizeof(why));
	if (!vm) {
		snprintf(r->other, sizeof(r->other), "no VM: %s", why);
		return;
	}
	mem = bvm_add_memory(vm, REGION, REGION_SIZE);
	if (!mem || bvm_enter_user(vm, REGION, STACK_TOP)) {
		snprintf(r->other, sizeof(r->other), "%s", bvm_error(vm));
		goto out;
	}
	memcpy(mem, s->code, s->len);
	memcpy(mem + s->len, exit_call, sizeof(exit_call));
	bvm_set_pio(vm, exit_port, vm);
	e = bvm_run(vm, 10000);
	info = bvm_info(vm);
	if (e == BVM_EXIT_HLT && info->exc_vector) {
		r->vector = info->exc_vector - 1;
		r->error = info->exc_error;
		r->rip = info->exc_rip;
		r->cr2 = info->exc_cr2;
	} else if (e == BVM_EXIT_HLT && info->sys_stop) {
		snprintf(r->other, sizeof(r->other), "no exception");
	} else {
		snprintf(r->other, sizeof(r->other), "%s",
			 e == BVM_EXIT_SHUTDOWN ? "triple fault" :
			 e == BVM_EXIT_TIMEOUT ? "timeout" :
			 e == BVM_EXIT_HLT ? "unexpected HLT" : bvm_error(vm));
	}
out:
	bvm_destroy(vm);
}

static void print_result(const char *who, const struct result *r)
{
	if (r->other[0])
		ksft_print_msg("  %-8s %s\n", who, r->other);
	else
		ksft_print_msg("  %-8s vector %llu error %#llx rip %#llx cr2 %#llx\n",
			       who, r->vector, r->error, r->rip, r->cr2);
}

static bool same(const struct result *n, const struct result *g)
{
	if (n->other[0] || g->other[0])
		return !strcmp(n->other, g->other);
	/* CR2 means something only for a page fault. */
	return n->vector == g->vector && n->error == g->error &&
	       n->rip == g->rip && (n->vector != 14 || n->cr2 == g->cr2);
}

int main(int argc, char **argv)
{
	unsigned int i, n = sizeof(snippets) / sizeof(snippets[0]);
	int be = BVM_TCG, opt;
	char why[300];

	while ((opt = getopt(argc, argv, "b:")) != -1) {
		be = opt == 'b' ? bvm_parse_backend(optarg) : -1;
		if (be < 0) {
			fprintf(stderr, "usage: %s [-b kvm|tcg]\n", argv[0]);
			return KSFT_FAIL;
		}
	}
	ksft_print_header();
	if (!bvm_backend_available(be, why, sizeof(why)))
		ksft_exit_skip("%s backend unavailable: %s\n",
			       bvm_backend_name(be), why);
	if (setup_native())
		ksft_exit_fail_msg("setup failed\n");
	ksft_set_plan(n);
	for (i = 0; i < n; i++) {
		struct result nr, gr;

		run_native(&snippets[i], &nr);
		run_guest(be, &snippets[i], &gr);
		if (same(&nr, &gr)) {
			ksft_test_result_pass("%s\n", snippets[i].name);
			continue;
		}
		ksft_print_msg("%s differs:\n", snippets[i].name);
		print_result("native", &nr);
		print_result(bvm_backend_name(be), &gr);
		if (be == BVM_KVM && snippets[i].pvm_differs)
			ksft_test_result_xfail("%s (a known PVM difference)\n",
					       snippets[i].name);
		else
			ksft_test_result_fail("%s\n", snippets[i].name);
	}
	ksft_finished();
}
