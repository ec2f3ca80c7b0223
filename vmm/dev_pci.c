// SPDX-License-Identifier: MIT
/*
 * vmm/dev_pci.c - PCI configuration mechanism #1 (ports 0xCF8/0xCFC) on bus 0, with a host
 * bridge at 00:00.0. Config space is a byte array with a write mask per byte, so BAR sizing
 * works as on hardware: writing all-ones keeps only the writable (address) bits, and the
 * read-back shows the size [PCI Local Bus 3.0, 6.2.5.1].
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/devices.h"

#define PCI_MAX_DEVFN 256
/* Bits of CONFIG_ADDRESS that hold state: enable, bus, device, function, register. */
#define PCI_CONFIG_ADDRESS_MASK 0x80FFFFFCU

struct pci_bus {
	struct vmm_bus *bus;
	uint32_t config_address;
	struct pci_device *devices[PCI_MAX_DEVFN];
	struct pci_device host_bridge;
};

static void put_le(uint8_t *p, unsigned size, uint32_t v)
{
	for (unsigned i = 0; i < size; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t all_ones(unsigned size)
{
	return size >= 4 ? 0xFFFFFFFFU : (1U << (8 * size)) - 1;
}

void pci_device_init(struct pci_device *d, uint8_t devfn, uint16_t vendor, uint16_t device,
		     uint32_t class_code, uint8_t revision)
{
	memset(d, 0, sizeof(*d));
	d->devfn = devfn;
	put_le(&d->config[PCI_VENDOR_ID], 2, vendor);
	put_le(&d->config[PCI_DEVICE_ID], 2, device);
	d->config[PCI_REVISION_ID] = revision;
	put_le(&d->config[PCI_CLASS_PROG], 3, class_code);
	/* Writable: I/O and memory decode, bus master, INTx disable; the interrupt line. */
	put_le(&d->wmask[PCI_COMMAND], 2,
	       PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | PCI_COMMAND_INTX_DIS);
	d->wmask[PCI_INTERRUPT_LINE] = 0xFF;
}

void pci_device_set_bar_mem32(struct pci_device *d, unsigned bar, uint32_t size, uint32_t addr)
{
	unsigned off = PCI_BASE_ADDRESS_0 + 4 * bar;

	d->bar_size[bar] = size;
	/* Bits below the size (and the 4 type bits) are hard-wired: sizing reads them as 0. */
	put_le(&d->wmask[off], 4, ~(size - 1) & ~0xFU);
	put_le(&d->config[off], 4, addr & ~(size - 1) & ~0xFU);
}

uint32_t pci_device_bar_addr(const struct pci_device *d, unsigned bar)
{
	const uint8_t *p = &d->config[PCI_BASE_ADDRESS_0 + 4 * bar];

	return ((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
		(uint32_t)p[3] << 24) &
	       ~0xFU;
}

static struct pci_device *pci_bus_lookup(struct pci_bus *pb, uint8_t bus, uint8_t devfn)
{
	/* One bus, no bridges: nothing answers on other bus numbers. */
	if (bus != 0)
		return NULL;
	return pb->devices[devfn];
}

uint32_t pci_bus_config_read(struct pci_bus *pb, uint8_t bus, uint8_t devfn, unsigned offset,
			     unsigned size)
{
	struct pci_device *d = pci_bus_lookup(pb, bus, devfn);
	uint32_t v = 0;

	/* A master abort (no device) reads all-ones: that is how software probes slots. */
	if (!d || size == 0 || size > 4 || offset + size > PCI_CONFIG_SPACE_SIZE)
		return all_ones(size);
	for (unsigned i = 0; i < size; i++)
		v |= (uint32_t)d->config[offset + i] << (8 * i);
	return v;
}

void pci_bus_config_write(struct pci_bus *pb, uint8_t bus, uint8_t devfn, unsigned offset,
			  unsigned size, uint32_t value)
{
	struct pci_device *d = pci_bus_lookup(pb, bus, devfn);

	if (!d || size == 0 || size > 4 || offset + size > PCI_CONFIG_SPACE_SIZE)
		return;
	for (unsigned i = 0; i < size; i++) {
		uint8_t m = d->wmask[offset + i];
		uint8_t b = (uint8_t)(value >> (8 * i));

		d->config[offset + i] = (uint8_t)((d->config[offset + i] & ~m) | (b & m));
	}
	if (d->ops && d->ops->config_write)
		d->ops->config_write(d, offset, size);
}

/* 0xCF8: CONFIG_ADDRESS, a dword register; narrower accesses are not it. */
static void pci_config_address_io(void *opaque, uint64_t off, void *data, unsigned size, bool write)
{
	struct pci_bus *pb = opaque;

	if (off != 0 || size != 4) {
		if (!write)
			memset(data, 0xFF, size);
		return;
	}
	if (write)
		pb->config_address = (uint32_t)bus_data_get(data, 4) & PCI_CONFIG_ADDRESS_MASK;
	else
		bus_data_set(data, 4, pb->config_address);
}

/* 0xCFC-0xCFF: CONFIG_DATA; the port's low bits pick the byte within the dword. */
static void pci_config_data_io(void *opaque, uint64_t off, void *data, unsigned size, bool write)
{
	struct pci_bus *pb = opaque;
	uint32_t a = pb->config_address;
	uint8_t bus = (uint8_t)(a >> 16), devfn = (uint8_t)(a >> 8);
	unsigned reg = (a & 0xFC) + (unsigned)off;

	if (!(a & PCI_CONFIG_ENABLE) || size > 4) {
		if (!write)
			memset(data, 0xFF, size);
		return;
	}
	if (write)
		pci_bus_config_write(pb, bus, devfn, reg, size, (uint32_t)bus_data_get(data, size));
	else
		bus_data_set(data, size, pci_bus_config_read(pb, bus, devfn, reg, size));
}

int pci_bus_add_device(struct pci_bus *pb, struct pci_device *d)
{
	if (pb->devices[d->devfn])
		return -EEXIST;
	pb->devices[d->devfn] = d;
	return 0;
}

void pci_bus_remove_device(struct pci_bus *pb, struct pci_device *d)
{
	if (pb->devices[d->devfn] == d)
		pb->devices[d->devfn] = NULL;
}

struct pci_bus *pci_bus_create(struct vmm_bus *bus)
{
	struct pci_bus *pb = calloc(1, sizeof(*pb));

	if (!pb)
		return NULL;
	pb->bus = bus;
	pci_device_init(&pb->host_bridge, PCI_DEVFN(0, 0), PCI_HOST_BRIDGE_VENDOR,
			PCI_HOST_BRIDGE_DEVICE, PCI_CLASS_BRIDGE_HOST, 0);
	pci_bus_add_device(pb, &pb->host_bridge);
	if (vmm_bus_register_pio(bus, PCI_CONFIG_ADDRESS, 4, pci_config_address_io, pb,
				 "pci-config-address"))
		goto err;
	if (vmm_bus_register_pio(bus, PCI_CONFIG_DATA, 4, pci_config_data_io, pb,
				 "pci-config-data")) {
		bus_unregister(&bus->pio, PCI_CONFIG_ADDRESS);
		goto err;
	}
	return pb;
err:
	free(pb);
	return NULL;
}

void pci_bus_destroy(struct pci_bus *pb)
{
	if (!pb)
		return;
	bus_unregister(&pb->bus->pio, PCI_CONFIG_DATA);
	bus_unregister(&pb->bus->pio, PCI_CONFIG_ADDRESS);
	free(pb);
}
