/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The PCI host bridge: configuration mechanism #1 (ports 0xcf8/0xcfc), one
 * bus, single-function devices with 32-bit memory BARs, MSI-X and INTx.
 *
 * lkvm plays the firmware: pci_register() assigns every BAR an address
 * from PCI_MMIO_ASSIGN_BASE up and enables memory decoding, so a guest that
 * does not reassign resources uses them as found.  A guest may still move
 * a BAR: it is decoded anywhere in the MMIO window, which is all of the
 * space between the end of RAM below 4 GiB and PCI_MMIO_WINDOW_END (the
 * gap a guest's own allocator would pick from).
 */
#ifndef LKVM_PCI_H
#define LKVM_PCI_H

#include <pthread.h>
#include <linux/lkvm.h>

#include "util.h"

struct vm;

#define PCI_CFG_SPACE_SIZE	256
#define PCI_NR_BARS		6
#define PCI_MAX_SLOTS		32

/* BARs as lkvm assigns them: 512 MiB from where 3 GiB of RAM would end. */
#define PCI_MMIO_ASSIGN_BASE	0xc0000000ULL
#define PCI_MMIO_ASSIGN_END	0xe0000000ULL
/* Above it: the exit device, IOAPIC, HPET and LAPIC pages. */
#define PCI_MMIO_WINDOW_END	LKVM_EXIT_MMIO

/*
 * INTx: INTA of slot s is wired to IOAPIC pin PCI_INTX_GSI_BASE + s % 8,
 * level-triggered, active-low; slots sharing a pin are OR-ed.  Firmware
 * tables (an ACPI _PRT, or an MP table) take the routes from
 * pci_intx_routes().
 */
#define PCI_INTX_GSI_BASE	16
#define PCI_INTX_NR_GSIS	8

struct pci_dev {
	const char *name;
	u8 cfg[PCI_CFG_SPACE_SIZE];
	u8 wmask[PCI_CFG_SPACE_SIZE];	/* bits the guest may change */
	u32 bar_size[PCI_NR_BARS];	/* 0: not implemented */

	/* Accesses to a BAR; @offset and @len lie inside it. */
	void (*bar_access)(struct pci_dev *dev, unsigned int bar, u64 offset,
			   void *data, unsigned int len, bool is_write);
	/* Optional hooks around guest config space accesses. */
	void (*cfg_read)(struct pci_dev *dev, unsigned int off,
			 unsigned int len);
	void (*cfg_write)(struct pci_dev *dev, unsigned int off,
			  unsigned int len);
	void *priv;

	/* Filled in by pci_register(). */
	struct vm *vm;
	unsigned int slot;
	/*
	 * Serialises everything about the device: config space, BAR
	 * accesses and the device model behind them.  pci.c takes it before
	 * calling any of the hooks above.
	 */
	pthread_mutex_t lock;

	/*
	 * Where each BAR decodes now (0: nowhere), kept up to date under
	 * @lock and read without it, so that finding the device an access
	 * goes to never waits for another device's work.
	 */
	_Atomic u64 decode[PCI_NR_BARS];

	u8 last_cap;		/* config offset of the last capability */
	unsigned int cap_end;	/* first free config byte after it */
	bool intx_level;	/* device's INTx output, before masking */
	bool intx_out;		/* what this device drives onto its GSI */

	/* MSI-X (pci_add_msix()) */
	u8 msix_cap;
	unsigned int msix_nr;
	unsigned int msix_bar;
	u32 msix_table_off, msix_pba_off;
	u8 *msix_table;		/* msix_nr entries of PCI_MSIX_ENTRY_SIZE */
	u64 *msix_pba;
};

/* One INTx route of the bus, for the MP table. */
struct pci_intx_route {
	unsigned int slot;
	unsigned int pin;	/* 1 = INTA */
	unsigned int gsi;
};

/* Sets up the header: IDs, class (24 bits), subsystem, INTA. */
void pci_dev_init(struct pci_dev *dev, const char *name, u16 vendor,
		  u16 device, u32 class_code, u8 revision, u16 subsys_vendor,
		  u16 subsys_id);
/* Declares BAR @bar as 32-bit memory of @size (a power of 2, >= 4 KiB). */
void pci_add_bar(struct pci_dev *dev, unsigned int bar, u32 size);
/*
 * Appends a capability of @len bytes whose bytes past the 2-byte header
 * are @body[2..]; returns its config space offset, or 0 if it does not fit.
 */
u8 pci_add_cap(struct pci_dev *dev, const void *body, unsigned int len);
/* Adds MSI-X with @nr vectors, table and PBA at the given offsets of @bar. */
int pci_add_msix(struct pci_dev *dev, unsigned int bar, u32 table_off,
		 u32 pba_off, unsigned int nr);

/*
 * The host bridge, the conf1 ports and the MMIO window; once per VM, after
 * vm_init_memory().
 */
int pci_init(struct vm *vm);
/* Puts @dev in the next free slot and assigns its BARs. */
int pci_register(struct vm *vm, struct pci_dev *dev);

/* Guest physical address of BAR @bar as currently programmed. */
u64 pci_bar_address(struct pci_dev *dev, unsigned int bar);

/* The rest must be called with dev->lock held. */
bool pci_msix_enabled(struct pci_dev *dev);
/* Sends MSI-X vector @vector, or marks it pending while masked. */
void pci_msix_notify(struct pci_dev *dev, unsigned int vector);
/* Drives the device's INTx line (masked by the command register). */
void pci_set_intx(struct pci_dev *dev, bool level);

/* Fills @routes with up to @max INTx routes; returns how many exist. */
unsigned int pci_intx_routes(struct pci_intx_route *routes, unsigned int max);

#endif
