// SPDX-License-Identifier: MIT
/*
 * vmm/dev_pci_testdev.c - a PCI device for testing a guest's MMIO path: BAR0 is a 4 KiB
 * window of registers that record how they were accessed (offset, size, value, counts),
 * a read-only magic and a scratch area, so a guest can check that accesses of 1, 2, 4 and
 * 8 bytes arrive intact. The register map is in vmm/devices.h and docs/VMM.md.
 *
 * BAR0 decodes while COMMAND.MEMORY is set, at the address the BAR holds: moving the BAR
 * moves the MMIO range, as a real device's decoder would.
 */
#include <stdlib.h>
#include <string.h>

#include "vmm/devices.h"

#define NO_MAPPING UINT64_MAX

struct pci_testdev {
	struct pci_device pci;
	struct vmm_bus *bus;
	struct pci_bus *pb;
	uint64_t mapped_at; /* GPA BAR0 is registered at, or NO_MAPPING */
	uint64_t reads, writes, last_offset, last_size, last_wdata;
	uint8_t scratch[TESTDEV_SCRATCH_SIZE];
};

static uint64_t testdev_reg(const struct pci_testdev *t, uint64_t reg)
{
	switch (reg) {
	case TESTDEV_MAGIC:
		return TESTDEV_MAGIC_VALUE;
	case TESTDEV_VERSION:
		return TESTDEV_VERSION_VAL;
	case TESTDEV_READS:
		return t->reads;
	case TESTDEV_WRITES:
		return t->writes;
	case TESTDEV_LAST_OFFSET:
		return t->last_offset;
	case TESTDEV_LAST_SIZE:
		return t->last_size;
	case TESTDEV_LAST_WDATA:
		return t->last_wdata;
	default:
		return 0; /* RESET and the unused space read as zero */
	}
}

static bool in_scratch(uint64_t off)
{
	return off >= TESTDEV_SCRATCH && off < TESTDEV_SCRATCH + TESTDEV_SCRATCH_SIZE;
}

/* Registers are 8-byte little-endian words: byte @off is byte (off & 7) of its word. */
static uint8_t testdev_read_byte(const struct pci_testdev *t, uint64_t off)
{
	if (in_scratch(off))
		return t->scratch[off - TESTDEV_SCRATCH];
	return (uint8_t)(testdev_reg(t, off & ~7ULL) >> (8 * (off & 7)));
}

static void testdev_reset(struct pci_testdev *t)
{
	t->reads = t->writes = 0;
	t->last_offset = t->last_size = t->last_wdata = 0;
}

static void testdev_mmio(void *opaque, uint64_t off, void *data, unsigned size, bool write)
{
	struct pci_testdev *t = opaque;
	uint8_t *p = data;
	bool reset = false;

	for (unsigned i = 0; i < size; i++) {
		uint64_t o = off + i;

		if (!write)
			p[i] = testdev_read_byte(t, o);
		else if (in_scratch(o))
			t->scratch[o - TESTDEV_SCRATCH] = p[i];
		else if ((o & ~7ULL) == TESTDEV_RESET)
			reset = true;
	}
	/* Book-keeping after the data: the counters a read returns exclude that read. */
	if (write) {
		t->writes++;
		t->last_wdata = bus_data_get(data, size);
	} else {
		t->reads++;
	}
	t->last_offset = off;
	t->last_size = size;
	if (reset)
		testdev_reset(t);
}

static void testdev_remap(struct pci_testdev *t)
{
	uint16_t cmd = (uint16_t)(t->pci.config[PCI_COMMAND] | t->pci.config[PCI_COMMAND + 1] << 8);
	uint64_t want = (cmd & PCI_COMMAND_MEMORY) ? pci_device_bar_addr(&t->pci, 0) : NO_MAPPING;

	if (want == t->mapped_at)
		return;
	if (t->mapped_at != NO_MAPPING)
		bus_unregister(&t->bus->mmio, t->mapped_at);
	t->mapped_at = NO_MAPPING;
	/* A BAR moved onto another device's range does not decode (no -EEXIST to report). */
	if (want != NO_MAPPING && !vmm_bus_register_mmio(t->bus, want, PCI_TESTDEV_BAR0_SZ,
							 testdev_mmio, t, "pci-testdev-bar0"))
		t->mapped_at = want;
}

static void testdev_config_write(struct pci_device *d, unsigned offset, unsigned size)
{
	struct pci_testdev *t = d->opaque;
	unsigned end = offset + size;

	if ((offset < PCI_COMMAND + 2 && end > PCI_COMMAND) ||
	    (offset < PCI_BASE_ADDRESS_0 + 4 && end > PCI_BASE_ADDRESS_0))
		testdev_remap(t);
}

static const struct pci_device_ops testdev_ops = {
	.config_write = testdev_config_write,
};

struct pci_testdev *pci_testdev_create(struct vmm_bus *bus, struct pci_bus *pb)
{
	struct pci_testdev *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->bus = bus;
	t->pb = pb;
	t->mapped_at = NO_MAPPING;
	pci_device_init(&t->pci, PCI_TESTDEV_DEVFN, PCI_TESTDEV_VENDOR, PCI_TESTDEV_DEVICE,
			PCI_TESTDEV_CLASS, 1);
	pci_device_set_bar_mem32(&t->pci, 0, PCI_TESTDEV_BAR0_SZ, PCI_TESTDEV_BAR0);
	/* No firmware assigns resources: come up decoding at the fixed address. */
	t->pci.config[PCI_COMMAND] = PCI_COMMAND_MEMORY;
	t->pci.ops = &testdev_ops;
	t->pci.opaque = t;
	if (pci_bus_add_device(pb, &t->pci))
		goto err;
	testdev_remap(t);
	if (t->mapped_at == NO_MAPPING) {
		pci_bus_remove_device(pb, &t->pci);
		goto err;
	}
	return t;
err:
	free(t);
	return NULL;
}

void pci_testdev_destroy(struct pci_testdev *t)
{
	if (!t)
		return;
	if (t->mapped_at != NO_MAPPING)
		bus_unregister(&t->bus->mmio, t->mapped_at);
	pci_bus_remove_device(t->pb, &t->pci);
	free(t);
}
