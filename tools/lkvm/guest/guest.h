/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Freestanding support for lkvm's test payloads: port and MMIO accessors,
 * serial output, exit, and a GDT/TSS/IDT with C-level trap handlers.
 */
#ifndef LKVM_GUEST_H
#define LKVM_GUEST_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/lkvm.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* Exit status of a payload whose trap handler saw a vector it did not expect. */
#define GUEST_EXIT_UNEXPECTED_TRAP	99
/* Exit status of a payload that got past a point it must never reach. */
#define GUEST_EXIT_UNREACHABLE		98

#define SERIAL_BASE	0x3f8
#define SERIAL_THR	(SERIAL_BASE + 0)
#define SERIAL_LSR	(SERIAL_BASE + 5)
#define SERIAL_SCR	(SERIAL_BASE + 7)
#define LSR_THRE	0x20
#define LSR_TEMT	0x40

#define PTE_P		(1ULL << 0)
#define PTE_RW		(1ULL << 1)
#define PTE_PS		(1ULL << 7)
#define PTE_NX		(1ULL << 63)
#define PTE_ADDR	0x000ffffffffff000ULL

#define MSR_EFER	0xc0000080
#define EFER_NXE	(1ULL << 11)
#define CR0_WP		(1ULL << 16)

static inline void outb(u16 port, u8 v)
{
	asm volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outl(u16 port, u32 v)
{
	asm volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline u8 inb(u16 port)
{
	u8 v;

	asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline u16 inw(u16 port)
{
	u16 v;

	asm volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline u32 inl(u16 port)
{
	u32 v;

	asm volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline u32 mmio_read32(u64 addr)
{
	return *(volatile u32 *)addr;
}

static inline u16 mmio_read16(u64 addr)
{
	return *(volatile u16 *)addr;
}

static inline void mmio_write32(u64 addr, u32 v)
{
	*(volatile u32 *)addr = v;
}

#define DEFINE_READ_CR(n) \
static inline u64 read_cr##n(void) \
{ \
	u64 v; \
	asm volatile("mov %%cr" #n ", %0" : "=r"(v)); \
	return v; \
}
DEFINE_READ_CR(0)
DEFINE_READ_CR(2)
DEFINE_READ_CR(3)
DEFINE_READ_CR(4)

static inline void write_cr0(u64 v)
{
	asm volatile("mov %0, %%cr0" : : "r"(v) : "memory");
}

static inline u64 rdmsr(u32 msr)
{
	u32 lo, hi;

	asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return lo | (u64)hi << 32;
}

static inline void wrmsr(u32 msr, u64 v)
{
	asm volatile("wrmsr" : : "c"(msr), "a"((u32)v), "d"((u32)(v >> 32)));
}

static inline void invlpg(u64 addr)
{
	asm volatile("invlpg (%0)" : : "r"(addr) : "memory");
}

/* Values captured by entry.S before the payload touches anything. */
extern u64 boot_rsp, boot_rdi, boot_rflags;

void *memset(void *s, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);

void serial_putc(char c);
void print(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void guest_exit(u32 code) __attribute__((noreturn));

/* Layout fixed by trap_common in trap.S: pushed GPRs, then the hardware frame. */
struct trap_frame {
	u64 r15, r14, r13, r12, r11, r10, r9, r8;
	u64 rbp, rdi, rsi, rdx, rcx, rbx, rax;
	u64 vector, error;
	u64 rip, cs, rflags, rsp, ss;
};

typedef void (*trap_handler_t)(struct trap_frame *f);

void traps_init(void);
void set_trap_handler(unsigned int vector, trap_handler_t handler);
void set_trap_ist(unsigned int vector, unsigned int ist);
bool on_ist1_stack(const void *p);

/*
 * Expected traps (trapcheck.c): expect_traps() routes the vectors to a
 * handler that records the trap and resumes at label 2 of TRIGGER(), which
 * runs setup and then insn at label 1; report_trap() prints the record.
 */
extern u64 trap_insn_at, trap_resume_at;
void expect_traps(const u8 *vectors, unsigned int n);
void report_trap(const char *name, bool has_error);

#define TRIGGER(setup, insn)						\
	asm volatile("leaq 1f(%%rip), %%rax\n\t"			\
		     "movq %%rax, %0\n\t"				\
		     "leaq 2f(%%rip), %%rax\n\t"			\
		     "movq %%rax, %1\n\t"				\
		     setup "\n"					\
		     "1:\t" insn "\n"					\
		     "2:"						\
		     : "=m"(trap_insn_at), "=m"(trap_resume_at)		\
		     : : "rax", "rcx", "rdx", "memory", "cc")

/*
 * The paging entry that maps va in the current tables: the leaf, or the
 * first non-present entry on the way.  *size is the span it covers.
 * Page tables are reached through the identity map.
 */
u64 *pte_lookup(u64 va, u64 *size);

/* The payload's entry point, called by entry.S; returns its exit status. */
int payload_main(void);

#endif
