// SPDX-License-Identifier: GPL-2.0
/*
 * Support code shared by all long-mode payloads.  No libc: everything a
 * payload needs is here, small and polled (no interrupts for the console).
 */
#include "guest.h"

u64 boot_rsp, boot_rdi, boot_rflags;

/* GCC may emit calls to these even in freestanding code. */
void *memset(void *s, int c, size_t n)
{
	u8 *p = s;

	while (n--)
		*p++ = c;
	return s;
}

void *memcpy(void *d, const void *s, size_t n)
{
	u8 *dp = d;
	const u8 *sp = s;

	while (n--)
		*dp++ = *sp++;
	return d;
}

void serial_putc(char c)
{
	/* Bounded: a UART that never drains must not hang the payload. */
	for (int i = 0; i < 100000; i++)
		if (inb(SERIAL_LSR) & LSR_THRE)
			break;
	outb(SERIAL_THR, c);
}

static void print_num(u64 v, unsigned int base, int width, char pad)
{
	char buf[24];
	int n = 0;

	do {
		buf[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	while (width-- > n)
		serial_putc(pad);
	while (n)
		serial_putc(buf[--n]);
}

/* A printf subset: %s %c %d %u %x %lx %lu %ld, with zero/space width. */
void print(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	for (; *fmt; fmt++) {
		char pad = ' ';
		int width = 0;
		bool is_long = false;
		const char *s;

		if (*fmt != '%') {
			serial_putc(*fmt);
			continue;
		}
		fmt++;
		if (*fmt == '0')
			pad = '0';
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + *fmt++ - '0';
		if (*fmt == 'l') {
			is_long = true;
			fmt++;
		}
		switch (*fmt) {
		case 's':
			for (s = va_arg(ap, const char *); *s; s++)
				serial_putc(*s);
			break;
		case 'c':
			serial_putc(va_arg(ap, int));
			break;
		case 'x':
			print_num(is_long ? va_arg(ap, u64) : va_arg(ap, u32),
				  16, width, pad);
			break;
		case 'u':
			print_num(is_long ? va_arg(ap, u64) : va_arg(ap, u32),
				  10, width, pad);
			break;
		case 'd': {
			int64_t v = is_long ? va_arg(ap, int64_t) : va_arg(ap, int);

			if (v < 0) {
				serial_putc('-');
				v = -v;
			}
			print_num(v, 10, width, pad);
			break;
		}
		default:
			serial_putc(*fmt);
			break;
		}
	}
	va_end(ap);
}

void guest_exit(u32 code)
{
	outl(LKVM_EXIT_PORT, code);
	/* Not reached unless the exit device is broken: lkvm reports a halt. */
	for (;;)
		asm volatile("cli; hlt");
}

/*
 * Our own GDT rather than lkvm's, so that a payload depends only on the
 * documented selectors: 0x08 code, 0x10 data, 0x18 a 64-bit TSS.
 */
#define GDT_CODE	0x08
#define GDT_DATA	0x10
#define GDT_TSS		0x18

struct tss64 {
	u32 reserved0;
	u64 rsp[3];
	u64 reserved1;
	u64 ist[7];
	u64 reserved2;
	u16 reserved3;
	u16 iomap_base;
} __attribute__((packed));

struct idt_gate {
	u16 offset_lo;
	u16 selector;
	u8 ist;
	u8 type_attr;
	u16 offset_mid;
	u32 offset_hi;
	u32 reserved;
};

struct table_ptr {
	u16 limit;
	u64 base;
} __attribute__((packed));

extern char trap_stubs[];

static struct tss64 tss;
static u64 gdt[5] __attribute__((aligned(16)));
static struct idt_gate idt[256] __attribute__((aligned(16)));
static trap_handler_t handlers[256];
static u8 ist1_stack[4096] __attribute__((aligned(16)));

static void gdt_init(void)
{
	u64 base = (u64)&tss, limit = sizeof(tss) - 1;
	struct table_ptr ptr = { sizeof(gdt) - 1, (u64)gdt };

	gdt[1] = 0x00af9a000000ffffULL;	/* 64-bit code, DPL 0 */
	gdt[2] = 0x00cf92000000ffffULL;	/* flat data */
	/* Available 64-bit TSS (type 9), present. */
	gdt[3] = (limit & 0xffff) | (base & 0xffffff) << 16 | 0x89ULL << 40 |
		 ((limit >> 16) & 0xf) << 48 | ((base >> 24) & 0xff) << 56;
	gdt[4] = base >> 32;
	tss.ist[0] = (u64)ist1_stack + sizeof(ist1_stack);
	tss.iomap_base = sizeof(tss);

	asm volatile("lgdt %0\n\t"
		     "pushq %1\n\t"
		     "leaq 1f(%%rip), %%rax\n\t"
		     "pushq %%rax\n\t"
		     "lretq\n"
		     "1:\tmovl %2, %%eax\n\t"
		     "movl %%eax, %%ds\n\t"
		     "movl %%eax, %%es\n\t"
		     "movl %%eax, %%ss\n\t"
		     "ltr %w3"
		     : : "m"(ptr), "i"(GDT_CODE), "i"(GDT_DATA), "r"(GDT_TSS)
		     : "rax", "memory");
}

static void idt_init(void)
{
	struct table_ptr ptr = { sizeof(idt) - 1, (u64)idt };

	for (int v = 0; v < 256; v++) {
		u64 stub = (u64)trap_stubs + 16 * v;

		idt[v] = (struct idt_gate) {
			.offset_lo = stub & 0xffff,
			.selector = GDT_CODE,
			.type_attr = 0x8e,	/* present 64-bit interrupt gate */
			.offset_mid = (stub >> 16) & 0xffff,
			.offset_hi = stub >> 32,
		};
	}
	asm volatile("lidt %0" : : "m"(ptr));
}

void traps_init(void)
{
	gdt_init();
	idt_init();
}

void set_trap_handler(unsigned int vector, trap_handler_t handler)
{
	handlers[vector & 0xff] = handler;
}

void set_trap_ist(unsigned int vector, unsigned int ist)
{
	idt[vector & 0xff].ist = ist & 7;
}

bool on_ist1_stack(const void *p)
{
	return (const u8 *)p >= ist1_stack &&
	       (const u8 *)p < ist1_stack + sizeof(ist1_stack);
}

void trap_dispatch(struct trap_frame *f);
void trap_dispatch(struct trap_frame *f)
{
	trap_handler_t h = handlers[f->vector & 0xff];

	if (h) {
		h(f);
		return;
	}
	print("unexpected trap: vector %lu error %lx rip %lx cr2 %lx\n",
	      f->vector, f->error, f->rip, read_cr2());
	guest_exit(GUEST_EXIT_UNEXPECTED_TRAP);
}

u64 *pte_lookup(u64 va, u64 *size)
{
	u64 *table = (u64 *)(read_cr3() & PTE_ADDR);

	for (int shift = 39;; shift -= 9) {
		u64 *e = &table[(va >> shift) & 511];

		*size = 1ULL << shift;
		if (shift == 12 || !(*e & PTE_P) || (shift <= 30 && (*e & PTE_PS)))
			return e;
		table = (u64 *)(*e & PTE_ADDR);
	}
}
