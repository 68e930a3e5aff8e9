// SPDX-License-Identifier: GPL-2.0
/*
 * lkvm's ACPI tables, read back from guest memory with the offsets of the
 * ACPI specification (6.x), and disassembled by iasl (Debian's
 * acpica-tools), the reference implementation of the table formats: iasl
 * must accept every table without a checksum or length complaint and see
 * what lkvm means to say.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "boot_test.h"
#include "linux-boot.h"
#include "kselftest_harness.h"

#define RSDP_ADDR	0xe0000

static u64 get(const u8 *p, unsigned int off, unsigned int len)
{
	u64 v = 0;

	memcpy(&v, p + off, len);
	return v;
}

static u8 sum(const u8 *p, size_t len)
{
	u8 s = 0;

	while (len--)
		s += *p++;
	return s;
}

/* A table by its address: in the ACPI area, whole, checksum zero. */
static const u8 *table_at(struct __test_metadata *_metadata, struct vm *vm,
			  u64 addr, const char *sig)
{
	const u8 *t = gpa_to_hva(vm, addr, 36);
	u32 len;

	EXPECT_GE(addr, (u64)ACPI_TABLES_ADDR);
	if (!t)
		return NULL;
	len = get(t, 4, 4);
	EXPECT_LE(addr + len, (u64)ACPI_TABLES_END);
	EXPECT_EQ(0, memcmp(t, sig, 4)) TH_LOG("table at %#llx", (unsigned long long)addr);
	EXPECT_EQ(0, sum(t, len)) TH_LOG("%s checksum", sig);
	return t;
}

FIXTURE(acpi) {
	struct vm vm;
	const u8 *rsdp, *xsdt, *fadt, *madt, *dsdt;
};

FIXTURE_VARIANT(acpi) {
	unsigned int cpus;
};

FIXTURE_VARIANT_ADD(acpi, one_cpu) { .cpus = 1 };
FIXTURE_VARIANT_ADD(acpi, four_cpus) { .cpus = 4 };
FIXTURE_VARIANT_ADD(acpi, max_cpus) { .cpus = MAX_VCPUS };

FIXTURE_SETUP(acpi)
{
	unsigned int i, n;

	ASSERT_TRUE(test_vm_init(&self->vm, 64));
	ASSERT_EQ(0, acpi_build(&self->vm, variant->cpus));
	self->rsdp = gpa_to_hva(&self->vm, RSDP_ADDR, 36);
	ASSERT_EQ(0, memcmp(self->rsdp, "RSD PTR ", 8));
	self->xsdt = table_at(_metadata, &self->vm, get(self->rsdp, 24, 8), "XSDT");
	ASSERT_NE(NULL, self->xsdt);
	n = (get(self->xsdt, 4, 4) - 36) / 8;
	for (i = 0; i < n; i++) {
		u64 a = get(self->xsdt, 36 + 8 * i, 8);
		const u8 *t = gpa_to_hva(&self->vm, a, 4);

		ASSERT_NE(NULL, t);
		if (!memcmp(t, "FACP", 4))
			self->fadt = table_at(_metadata, &self->vm, a, "FACP");
		else if (!memcmp(t, "APIC", 4))
			self->madt = table_at(_metadata, &self->vm, a, "APIC");
	}
	ASSERT_NE(NULL, self->fadt);
	ASSERT_NE(NULL, self->madt);
	self->dsdt = table_at(_metadata, &self->vm, get(self->fadt, 140, 8), "DSDT");
	ASSERT_NE(NULL, self->dsdt);
}

FIXTURE_TEARDOWN(acpi)
{
	test_vm_free(&self->vm);
}

TEST_F(acpi, rsdp)
{
	EXPECT_EQ(0, sum(self->rsdp, 20));		/* ACPI 1.0 part */
	EXPECT_EQ(2, self->rsdp[15]);			/* revision: has XSDT */
	EXPECT_EQ(36ULL, get(self->rsdp, 20, 4));	/* length */
	EXPECT_EQ(0, sum(self->rsdp, 36));		/* extended checksum */
	EXPECT_EQ(0, RSDP_ADDR % 16);
}

TEST_F(acpi, fadt)
{
	const u8 *f = self->fadt;
	u64 flags = get(f, 112, 4), boot_arch = get(f, 109, 2);

	EXPECT_EQ(276ULL, get(f, 4, 4));
	EXPECT_EQ(6, f[8]);
	EXPECT_TRUE(!!(flags & (1ULL << 20)));		/* HW_REDUCED_ACPI */
	EXPECT_TRUE(!!(flags & (1ULL << 10)));		/* RESET_REG_SUP */
	/* Reset register: system I/O, 8 bits, port 0x64, value 0xfe. */
	EXPECT_EQ(1, f[116]);
	EXPECT_EQ(8, f[117]);
	EXPECT_EQ(0x64ULL, get(f, 120, 8));
	EXPECT_EQ(0xfe, f[128]);
	/* No 8042 to probe, MSI allowed, CMOS RTC present at century 0x32. */
	EXPECT_FALSE(!!(boot_arch & (1ULL << 1)));
	EXPECT_FALSE(!!(boot_arch & (1ULL << 3)));
	EXPECT_FALSE(!!(boot_arch & (1ULL << 5)));
	EXPECT_EQ(0x32, f[108]);
	/* The 32- and 64-bit DSDT pointers agree. */
	EXPECT_EQ(get(f, 40, 4), get(f, 140, 8));
}

TEST_F(acpi, madt)
{
	const u8 *m = self->madt, *e;
	u32 len = get(m, 4, 4);
	unsigned int lapics = 0, ioapics = 0;
	u32 isa_gsi[16];

	memset(isa_gsi, 0xff, sizeof(isa_gsi));
	EXPECT_EQ(0xfee00000ULL, get(m, 36, 4));
	for (e = m + 44; e < m + len; e += e[1]) {
		ASSERT_GE(e[1], 2);
		switch (e[0]) {
		case 0:		/* processor local APIC */
			EXPECT_EQ(lapics, e[2]);	/* processor UID */
			EXPECT_EQ(lapics, e[3]);	/* APIC ID = vCPU index */
			EXPECT_EQ(1ULL, get(e, 4, 4));	/* enabled */
			lapics++;
			break;
		case 1:		/* I/O APIC */
			EXPECT_EQ(0xfec00000ULL, get(e, 4, 4));
			EXPECT_EQ(0ULL, get(e, 8, 4));
			ioapics++;
			break;
		case 2:		/* interrupt source override, ISA bus */
			EXPECT_EQ(0, e[2]);
			ASSERT_LT(e[3], 16);
			isa_gsi[e[3]] = get(e, 4, 4);
			break;
		}
	}
	EXPECT_EQ(e, m + len);
	EXPECT_EQ(variant->cpus, lapics);
	EXPECT_EQ(1U, ioapics);
	/* The PIT on GSI 2 as KVM routes it; COM1 and the RTC identity. */
	EXPECT_EQ(2U, isa_gsi[0]);
	EXPECT_EQ(4U, isa_gsi[4]);
	EXPECT_EQ(8U, isa_gsi[8]);
}

/* Writes @t to DIR/NAME.dat, runs iasl -d; the .dsl text in @out. */
static int iasl(const char *dir, const char *name, const u8 *t, char *out,
		size_t len)
{
	char path[256], cmd[512];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s.dat", dir, name);
	f = fopen(path, "w");
	if (!f)
		return -1;
	fwrite(t, 1, get(t, 4, 4), f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "cd %s && iasl -d %s.dat > %s.log 2>&1", dir,
		 name, name);
	if (run_cmd(cmd, NULL, 0))
		return -1;
	snprintf(path, sizeof(path), "%s/%s.dsl", dir, name);
	f = fopen(path, "r");
	if (!f)
		return -1;
	n = fread(out, 1, len - 1, f);
	out[n] = '\0';
	fclose(f);
	return 0;
}

static int count(const char *s, const char *what)
{
	int n = 0;

	while ((s = strstr(s, what))) {
		n++;
		s++;
	}
	return n;
}

TEST_F(acpi, iasl_disassembles)
{
	char dir[] = "/tmp/lkvm_boot_acpi.XXXXXX", cmd[128];
	static char dsl[65536];

	if (run_cmd("command -v iasl", NULL, 0))
		SKIP(return, "iasl not installed (Debian package acpica-tools)");
	ASSERT_NE(NULL, mkdtemp(dir));

	ASSERT_EQ(0, iasl(dir, "dsdt", self->dsdt, dsl, sizeof(dsl)));
	EXPECT_EQ(0, count(dsl, "Incorrect"));
	EXPECT_NE(0, count(dsl, "Device (PCI0)"));
	EXPECT_NE(0, count(dsl, "EisaId (\"PNP0A03\")"));
	EXPECT_NE(0, count(dsl, "0x00FF,             // Range Maximum"));
	EXPECT_NE(0, count(dsl, "0xC0000000,         // Range Minimum"));
	EXPECT_NE(0, count(dsl, "0xFEAFFFFF,         // Range Maximum"));
	/* COM1 and the RTC with their ISA ports and IRQs. */
	EXPECT_NE(0, count(dsl, "Device (COM1)"));
	EXPECT_NE(0, count(dsl, "EisaId (\"PNP0501\")"));
	EXPECT_NE(0, count(dsl, "0x03F8,             // Range Minimum"));
	EXPECT_NE(0, count(dsl, "{4}"));
	EXPECT_NE(0, count(dsl, "EisaId (\"PNP0B00\")"));
	EXPECT_NE(0, count(dsl, "0x0070,             // Range Minimum"));
	EXPECT_NE(0, count(dsl, "{8}"));

	ASSERT_EQ(0, iasl(dir, "facp", self->fadt, dsl, sizeof(dsl)));
	EXPECT_EQ(0, count(dsl, "Incorrect"));
	EXPECT_NE(0, count(dsl, "Hardware Reduced (V5) : 1"));
	EXPECT_NE(0, count(dsl, "8042 Present on ports 60/64 (V2) : 0"));
	EXPECT_NE(0, count(dsl, "Value to cause reset : FE"));

	ASSERT_EQ(0, iasl(dir, "apic", self->madt, dsl, sizeof(dsl)));
	EXPECT_EQ(0, count(dsl, "Incorrect"));
	EXPECT_EQ((int)variant->cpus, count(dsl, "[Processor Local APIC]"));
	EXPECT_EQ((int)variant->cpus, count(dsl, "Processor Enabled : 1"));
	EXPECT_EQ(1, count(dsl, "[I/O APIC]"));

	ASSERT_EQ(0, iasl(dir, "xsdt", self->xsdt, dsl, sizeof(dsl)));
	EXPECT_EQ(0, count(dsl, "Incorrect"));
	EXPECT_EQ(2, count(dsl, "ACPI Table Address"));

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	run_cmd(cmd, NULL, 0);
}

/* 64 vCPUs' tables fit the legacy area with room to spare. */
TEST(tables_fit)
{
	struct vm vm;

	ASSERT_TRUE(test_vm_init(&vm, 64));
	EXPECT_EQ(0, acpi_build(&vm, MAX_VCPUS));
	test_vm_free(&vm);
}

TEST_HARNESS_MAIN
