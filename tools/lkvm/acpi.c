// SPDX-License-Identifier: GPL-2.0
/*
 * ACPI tables, the least a distribution kernel needs on lkvm's machine.
 *
 * Debian's kernel has no MP table parser (CONFIG_X86_MPPARSE=n), so the MADT
 * is what tells it about the CPUs and the IOAPIC.  The FADT declares a
 * "hardware-reduced" platform: no PM1 event/control blocks, no SCI, no PM
 * timer and no 8259 PIC to emulate; the kernel then also skips its check
 * that the timer interrupt arrives through the IOAPIC.  Because a
 * hardware-reduced kernel sets up no ISA IRQs of its own, the MADT lists an
 * override for each ISA IRQ (identity, but IRQ 0 on GSI 2 as KVM routes the
 * PIT).  The DSDT holds the PCI host bridge, without which an ACPI kernel
 * does not scan PCI, and the two ISA devices that need their IRQ: COM1 and
 * the RTC.  Reset goes through the FADT's reset register, i8042 command
 * 0xfe, the same one "reboot=k" uses.
 */
#include <string.h>

#include "linux-boot.h"
#include "vm.h"

#define ACPI_OEM_ID		"LKVM  "
#define ACPI_OEM_TABLE_ID	"LKVMMACH"
#define ACPI_CREATOR_ID		"LKVM"

#define LAPIC_ADDR		0xfee00000U
#define IOAPIC_ADDR		0xfec00000U
#define IOAPIC_ID		0	/* as KVM's in-kernel IOAPIC reports */
#define ISA_IRQS		16

/* PCI: conf1 ports, I/O and 32-bit MMIO windows of the host bridge. */
#define PCI_MMIO_START		0xc0000000U	/* MMIO_HOLE_START */
#define PCI_MMIO_END		0xfeafffffU	/* below the exit page, IOAPIC */

#define FADT_REVISION		6
#define FADT_F_WBINVD		(1U << 0)
#define FADT_F_PWR_BUTTON	(1U << 4)	/* no fixed power button */
#define FADT_F_SLP_BUTTON	(1U << 5)	/* no fixed sleep button */
#define FADT_F_RESET_REG_SUP	(1U << 10)
#define FADT_F_HW_REDUCED	(1U << 20)
#define FADT_BOOT_NO_VGA	(1U << 2)	/* IAPC_BOOT_ARCH */
#define CMOS_CENTURY		0x32

#define GAS_SYSTEM_IO		1
#define I8042_CMD_PORT		0x64
#define I8042_RESET		0xfe

struct acpi_header {
	char signature[4];
	u32 length;
	u8 revision;
	u8 checksum;
	char oem_id[6];
	char oem_table_id[8];
	u32 oem_revision;
	char creator_id[4];
	u32 creator_revision;
} __attribute__((packed));

struct acpi_rsdp {
	char signature[8];
	u8 checksum;		/* of the first 20 bytes */
	char oem_id[6];
	u8 revision;
	u32 rsdt_addr;
	u32 length;
	u64 xsdt_addr;
	u8 ext_checksum;	/* of all 36 bytes */
	u8 reserved[3];
} __attribute__((packed));

struct acpi_gas {
	u8 space_id;
	u8 bit_width;
	u8 bit_offset;
	u8 access_size;
	u64 address;
} __attribute__((packed));

/* ACPI 6.x FADT; the fields lkvm leaves zero are grouped as padding. */
struct acpi_fadt {
	struct acpi_header h;
	u32 firmware_ctrl;
	u32 dsdt;
	u8 unused1[64];		/* 44: PM blocks and legacy timings */
	u8 century;		/* 108 */
	u16 iapc_boot_arch;	/* 109 */
	u8 reserved;
	u32 flags;		/* 112 */
	struct acpi_gas reset_reg;	/* 116 */
	u8 reset_value;		/* 128 */
	u16 arm_boot_arch;
	u8 minor_version;
	u64 x_firmware_ctrl;	/* 132 */
	u64 x_dsdt;		/* 140 */
	u8 unused2[120];	/* 148: X_ PM blocks, sleep registers */
	u64 hypervisor_id;	/* 268 */
} __attribute__((packed));

struct madt_lapic {
	u8 type, length, processor_uid, apic_id;
	u32 flags;
} __attribute__((packed));

struct madt_ioapic {
	u8 type, length, id, reserved;
	u32 address;
	u32 gsi_base;
} __attribute__((packed));

struct madt_override {
	u8 type, length, bus, source;
	u32 gsi;
	u16 flags;		/* 0: as the ISA bus defines (edge, high) */
} __attribute__((packed));

enum { MADT_LAPIC, MADT_IOAPIC, MADT_OVERRIDE };

_Static_assert(sizeof(struct acpi_fadt) == 276, "FADT is 276 bytes");
_Static_assert(sizeof(struct acpi_rsdp) == 36, "RSDP is 36 bytes");

/* Tables are laid out one after the other, 16-byte aligned. */
struct acpi_builder {
	struct vm *vm;
	u64 next;
};

static u8 checksum(const void *p, size_t len)
{
	const u8 *b = p;
	u8 sum = 0;

	while (len--)
		sum += *b++;
	return -sum;
}

static void *alloc_table(struct acpi_builder *b, size_t len, u64 *gpa)
{
	void *p;

	*gpa = b->next;
	if (b->next + len > ACPI_TABLES_END)
		return NULL;
	p = gpa_to_hva(b->vm, b->next, len);
	if (p) {
		memset(p, 0, len);
		b->next = ALIGN_UP(b->next + len, 16);
	}
	return p;
}

static void fill_header(struct acpi_header *h, const char *sig, u32 len,
			u8 revision)
{
	memcpy(h->signature, sig, 4);
	h->length = len;
	h->revision = revision;
	memcpy(h->oem_id, ACPI_OEM_ID, 6);
	memcpy(h->oem_table_id, ACPI_OEM_TABLE_ID, 8);
	h->oem_revision = 1;
	memcpy(h->creator_id, ACPI_CREATOR_ID, 4);
	h->creator_revision = 1;
	h->checksum = checksum(h, len);
}

/* AML PkgLength: one byte up to 63, else two (lkvm's bodies are < 4 KiB). */
static size_t aml_pkg(u8 *out, const u8 *op, size_t op_len, const u8 *body,
		      size_t len)
{
	size_t n = op_len;
	size_t pkg = len + 1 < 64 ? len + 1 : len + 2;

	memcpy(out, op, op_len);
	if (pkg < 64) {
		out[n++] = pkg;
	} else {
		out[n++] = 0x40 | (pkg & 0xf);
		out[n++] = pkg >> 4;
	}
	memcpy(out + n, body, len);
	return n + len;
}

/* A device in the DSDT: _HID as an EisaId(), _UID 0, a fixed _CRS. */
struct aml_device {
	char name[5];
	u8 eisa_id[4];		/* EisaId("PNPxxxx") as AML stores it */
	const u8 *crs;
	size_t crs_len;
};

static size_t aml_put(u8 *out, const void *p, size_t len)
{
	memcpy(out, p, len);
	return len;
}

static size_t aml_device(u8 *out, const struct aml_device *d)
{
	static const u8 buffer_op[] = { 0x11 }, device_op[] = { 0x5b, 0x82 };
	static const u8 hid[] = { 0x08, '_', 'H', 'I', 'D', 0x0c };
	static const u8 uid[] = { 0x08, '_', 'U', 'I', 'D', 0x00 };
	static const u8 crs[] = { 0x08, '_', 'C', 'R', 'S' };
	u8 buf[256], body[512];
	size_t n;

	n = aml_put(body, d->name, 4);
	n += aml_put(body + n, hid, sizeof(hid));
	n += aml_put(body + n, d->eisa_id, 4);
	n += aml_put(body + n, uid, sizeof(uid));
	n += aml_put(body + n, crs, sizeof(crs));
	/* Buffer (ByteConst size) { resource template } */
	buf[0] = 0x0a;
	buf[1] = d->crs_len;
	memcpy(buf + 2, d->crs, d->crs_len);
	n += aml_pkg(body + n, buffer_op, 1, buf, 2 + d->crs_len);
	return aml_pkg(out, device_op, 2, body, n);
}

/*
 * PCI0: a PCI host bridge (PNP0A03) decoding bus 0-255, the conf1 ports,
 * all other I/O ports and the MMIO hole.
 */
static const u8 pci0_crs[] = {
	/* WordBusNumber: producer, min/max fixed, 0-0xff */
	0x88, 0x0d, 0x00, 0x02, 0x0c, 0x00,
	0x00, 0x00, 0x00, 0x00, 0xff, 0x00, 0x00, 0x00, 0x00, 0x01,
	/* IO (Decode16, 0xcf8, 0xcf8, 1, 8): the conf1 ports */
	0x47, 0x01, 0xf8, 0x0c, 0xf8, 0x0c, 0x01, 0x08,
	/* WordIO 0x0000-0x0cf7, entire range */
	0x88, 0x0d, 0x00, 0x01, 0x0c, 0x03,
	0x00, 0x00, 0x00, 0x00, 0xf7, 0x0c, 0x00, 0x00, 0xf8, 0x0c,
	/* WordIO 0x0d00-0xffff */
	0x88, 0x0d, 0x00, 0x01, 0x0c, 0x03,
	0x00, 0x00, 0x00, 0x0d, 0xff, 0xff, 0x00, 0x00, 0x00, 0xf3,
	/* DWordMemory read/write, non-cacheable, the MMIO window */
	0x87, 0x17, 0x00, 0x00, 0x0c, 0x01, 0x00, 0x00, 0x00, 0x00,
	PCI_MMIO_START & 0xff, (PCI_MMIO_START >> 8) & 0xff,
	(PCI_MMIO_START >> 16) & 0xff, PCI_MMIO_START >> 24,
	PCI_MMIO_END & 0xff, (PCI_MMIO_END >> 8) & 0xff,
	(PCI_MMIO_END >> 16) & 0xff, PCI_MMIO_END >> 24,
	0x00, 0x00, 0x00, 0x00,
	(PCI_MMIO_END - PCI_MMIO_START + 1) & 0xff,
	((PCI_MMIO_END - PCI_MMIO_START + 1) >> 8) & 0xff,
	((PCI_MMIO_END - PCI_MMIO_START + 1) >> 16) & 0xff,
	(PCI_MMIO_END - PCI_MMIO_START + 1) >> 24,
	0x79, 0x00,		/* end tag, no checksum */
};

/*
 * COM1 (PNP0501) and the RTC (PNP0B00) with their ISA IRQs.  A
 * hardware-reduced kernel has no preallocated legacy IRQ numbers, so the
 * 8250 and rtc_cmos drivers only get a working IRQ (through the MADT
 * override's GSI) when ACPI describes the device.
 */
static const u8 com1_crs[] = {
	0x47, 0x01, 0xf8, 0x03, 0xf8, 0x03, 0x08, 0x08,	/* IO 0x3f8, 8 ports */
	0x22, 0x10, 0x00,				/* IRQNoFlags {4} */
	0x79, 0x00,
};

static const u8 rtc_crs[] = {
	0x47, 0x01, 0x70, 0x00, 0x70, 0x00, 0x01, 0x02,	/* IO 0x70, 2 ports */
	0x22, 0x00, 0x01,				/* IRQNoFlags {8} */
	0x79, 0x00,
};

static const struct aml_device dsdt_devices[] = {
	{ "PCI0", { 0x41, 0xd0, 0x0a, 0x03 }, pci0_crs, sizeof(pci0_crs) },
	{ "COM1", { 0x41, 0xd0, 0x05, 0x01 }, com1_crs, sizeof(com1_crs) },
	{ "RTC_", { 0x41, 0xd0, 0x0b, 0x00 }, rtc_crs, sizeof(rtc_crs) },
};

/* Scope (\_SB) { the devices } */
static size_t dsdt_body(u8 *out)
{
	static const u8 scope_op[] = { 0x10 };
	u8 scope[2048];
	size_t n = 5;
	unsigned int i;

	memcpy(scope, "\\_SB_", 5);
	for (i = 0; i < ARRAY_SIZE(dsdt_devices); i++)
		n += aml_device(scope + n, &dsdt_devices[i]);
	return aml_pkg(out, scope_op, 1, scope, n);
}

static int build_dsdt(struct acpi_builder *b, u64 *gpa)
{
	u8 body[2048];
	size_t len = dsdt_body(body);
	struct acpi_header *h = alloc_table(b, sizeof(*h) + len, gpa);

	if (!h)
		return -1;
	memcpy(h + 1, body, len);
	fill_header(h, "DSDT", sizeof(*h) + len, 2);
	return 0;
}

static int build_fadt(struct acpi_builder *b, u64 dsdt, u64 *gpa)
{
	struct acpi_fadt *f = alloc_table(b, sizeof(*f), gpa);

	if (!f)
		return -1;
	f->dsdt = dsdt;
	f->x_dsdt = dsdt;
	f->century = CMOS_CENTURY;
	f->iapc_boot_arch = FADT_BOOT_NO_VGA;
	f->flags = FADT_F_WBINVD | FADT_F_PWR_BUTTON | FADT_F_SLP_BUTTON |
		   FADT_F_RESET_REG_SUP | FADT_F_HW_REDUCED;
	f->reset_reg = (struct acpi_gas) {
		.space_id = GAS_SYSTEM_IO,
		.bit_width = 8,
		.address = I8042_CMD_PORT,
	};
	f->reset_value = I8042_RESET;
	f->minor_version = 0;
	memcpy(&f->hypervisor_id, "LKVM\0\0\0\0", 8);
	fill_header(&f->h, "FACP", sizeof(*f), FADT_REVISION);
	return 0;
}

static int build_madt(struct acpi_builder *b, unsigned int nr_cpus, u64 *gpa)
{
	size_t len = sizeof(struct acpi_header) + 8 +
		     nr_cpus * sizeof(struct madt_lapic) +
		     sizeof(struct madt_ioapic) +
		     (ISA_IRQS - 1) * sizeof(struct madt_override);
	struct acpi_header *h = alloc_table(b, len, gpa);
	u32 *lapic_addr = (u32 *)(h + 1);
	u8 *p = (u8 *)(lapic_addr + 2);	/* then flags: 0, no 8259 PICs */
	unsigned int i;

	if (!h)
		return -1;
	*lapic_addr = LAPIC_ADDR;
	for (i = 0; i < nr_cpus; i++, p += sizeof(struct madt_lapic))
		*(struct madt_lapic *)p = (struct madt_lapic) {
			MADT_LAPIC, sizeof(struct madt_lapic), i, i, 1,
		};
	*(struct madt_ioapic *)p = (struct madt_ioapic) {
		MADT_IOAPIC, sizeof(struct madt_ioapic), IOAPIC_ID, 0,
		IOAPIC_ADDR, 0,
	};
	p += sizeof(struct madt_ioapic);
	for (i = 0; i < ISA_IRQS; i++) {
		if (i == 2)	/* the cascade: no device behind it */
			continue;
		*(struct madt_override *)p = (struct madt_override) {
			MADT_OVERRIDE, sizeof(struct madt_override), 0, i,
			i ? i : 2, 0,
		};
		p += sizeof(struct madt_override);
	}
	fill_header(h, "APIC", len, 5);
	return 0;
}

static int build_xsdt(struct acpi_builder *b, const u64 *tables,
		      unsigned int n, u64 *gpa)
{
	size_t len = sizeof(struct acpi_header) + n * sizeof(u64);
	struct acpi_header *h = alloc_table(b, len, gpa);

	if (!h)
		return -1;
	memcpy(h + 1, tables, n * sizeof(u64));
	fill_header(h, "XSDT", len, 1);
	return 0;
}

int acpi_build(struct vm *vm, unsigned int nr_cpus)
{
	struct acpi_builder b = { .vm = vm, .next = ACPI_TABLES_ADDR };
	struct acpi_rsdp *rsdp;
	u64 rsdp_gpa, dsdt, xsdt, tables[2];

	rsdp = alloc_table(&b, sizeof(*rsdp), &rsdp_gpa);
	if (!rsdp || build_dsdt(&b, &dsdt) ||
	    build_fadt(&b, dsdt, &tables[0]) ||
	    build_madt(&b, nr_cpus, &tables[1]) ||
	    build_xsdt(&b, tables, ARRAY_SIZE(tables), &xsdt)) {
		pr_err("guest memory too small for the ACPI tables");
		return -1;
	}
	memcpy(rsdp->signature, "RSD PTR ", 8);
	memcpy(rsdp->oem_id, ACPI_OEM_ID, 6);
	rsdp->revision = 2;
	rsdp->length = sizeof(*rsdp);
	rsdp->xsdt_addr = xsdt;
	rsdp->checksum = checksum(rsdp, 20);
	rsdp->ext_checksum = checksum(rsdp, sizeof(*rsdp));
	return 0;
}
