// SPDX-License-Identifier: GPL-2.0
/*
 * A CPU-bound guest for scripts/bench-tcg that needs nothing but integer
 * instructions and two system calls: "bench-payload N" runs N rounds of a
 * xorshift generator scattering into a table and hashing it back, and prints
 * the hash, so that every run can be checked against the native one.
 * Static, no libc, no SSE: it runs on an emulator without SSE too.
 */
#define TABLE_SIZE 4096

static unsigned int table[TABLE_SIZE];

static long sys3(long nr, long a, long b, long c)
{
	long ret;

	asm volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a), "S"(b), "d"(c)
		     : "rcx", "r11", "memory");
	return ret;
}

static unsigned long work(unsigned long rounds)
{
	unsigned long x = 88172645463325252UL, h = 0, i;

	for (i = 0; i < rounds; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		table[x % TABLE_SIZE] += (unsigned int)x;
		h = h * 31 + table[(x >> 12) % TABLE_SIZE];
		if (h & 1)
			h ^= x >> 3;
	}
	return h;
}

static unsigned long parse(const char *s)
{
	unsigned long n = 0;

	while (*s >= '0' && *s <= '9')
		n = n * 10 + (*s++ - '0');
	return n;
}

/* Called from _start with the initial stack: argc, argv[]. */
void __attribute__((used, noreturn)) payload_main(unsigned long *sp)
{
	unsigned long rounds = sp[0] > 1 ? parse((const char *)sp[2]) : 1000000;
	unsigned long h = work(rounds);
	char out[17];
	int i;

	for (i = 15; i >= 0; i--, h >>= 4)
		out[i] = "0123456789abcdef"[h & 15];
	out[16] = '\n';
	sys3(1, 1, (long)out, 17);	/* write */
	for (;;)
		sys3(231, 0, 0, 0);	/* exit_group */
}

asm(".globl _start\n"
    "_start:\n"
    "	mov %rsp, %rdi\n"
    "	and $-16, %rsp\n"
    "	call payload_main\n");
