// SPDX-License-Identifier: MIT
/*
 * mmio: MMIO from a TD guest, on the VMM's PCI test device (docs/VMM.md). The guest finds
 * the device on bus 0 with PCI configuration mechanism #1 (ports 0xCF8/0xCFC), reads its
 * BAR0, and then reads and writes its registers with every access size twice: through #VE
 * (a plain MOV to the shared page faults, the #VE handler decodes it and asks the VMM with
 * TDVMCALL<#VE.RequestMMIO>) and through the direct hypercall, selected with tdx_mmio_path.
 * It prints what it read and how many #VEs each way took, and exits with 0.
 *
 *   tdxsim run build/examples/mmio.elf
 */
#include "tdxguest/tdxguest.h"

#define PCI_CONFIG_ADDRESS 0xCF8
#define PCI_CONFIG_DATA	   0xCFC
#define PCI_BAR0	   0x10
#define TESTDEV_ID	   0x7D551234U /* device 0x7D55, vendor 0x1234 */

/* The test device's registers (docs/VMM.md "PCI test device"). */
#define TESTDEV_MAGIC	0x000
#define TESTDEV_WRITES	0x018
#define TESTDEV_SCRATCH 0x100

/* Mechanism #1: enable bit, bus 0, device, function 0, dword-aligned register. */
static u32 pci_read32(unsigned int dev, unsigned int reg)
{
	outl(0x80000000U | dev << 11 | (reg & 0xFC), PCI_CONFIG_ADDRESS);
	return inl(PCI_CONFIG_DATA);
}

static int find_testdev(void)
{
	for (unsigned int dev = 0; dev < 32; dev++)
		if (pci_read32(dev, 0) == TESTDEV_ID)
			return (int)dev;
	return -1;
}

struct result {
	u64 magic[4];	/* MAGIC read with 1, 2, 4, 8 bytes */
	u64 scratch[4]; /* what each write of 1, 2, 4, 8 bytes left in its 8-byte slot */
	u64 writes;	/* the device's WRITES counter afterwards */
	u64 ves;	/* #VEs taken meanwhile */
};

static const u64 pattern = 0x0123456789ABCDEFULL;

/* Every size, read and write, on the current path; no console output in between. */
static void exercise(u8 *bar, struct result *r)
{
	u64 ve0 = tdx_ve_count;

	r->magic[0] = readb(bar + TESTDEV_MAGIC);
	r->magic[1] = readw(bar + TESTDEV_MAGIC);
	r->magic[2] = readl(bar + TESTDEV_MAGIC);
	r->magic[3] = readq(bar + TESTDEV_MAGIC);
	writeq(0, bar + TESTDEV_SCRATCH);
	writeq(0, bar + TESTDEV_SCRATCH + 8);
	writeq(0, bar + TESTDEV_SCRATCH + 16);
	writeq(0, bar + TESTDEV_SCRATCH + 24);
	writeb((u8)pattern, bar + TESTDEV_SCRATCH);
	writew((u16)pattern, bar + TESTDEV_SCRATCH + 8);
	writel((u32)pattern, bar + TESTDEV_SCRATCH + 16);
	writeq(pattern, bar + TESTDEV_SCRATCH + 24);
	for (unsigned int i = 0; i < 4; i++)
		r->scratch[i] = readq(bar + TESTDEV_SCRATCH + 8 * i);
	r->writes = readq(bar + TESTDEV_WRITES);
	r->ves = tdx_ve_count - ve0;
}

static void show(const char *path, const struct result *r)
{
	tdx_printf("%s: MAGIC b %lx w %lx l %lx q %lx\n", path, (unsigned long)r->magic[0],
		   (unsigned long)r->magic[1], (unsigned long)r->magic[2],
		   (unsigned long)r->magic[3]);
	tdx_printf("%s: scratch after b/w/l/q writes %lx %lx %lx %lx\n", path,
		   (unsigned long)r->scratch[0], (unsigned long)r->scratch[1],
		   (unsigned long)r->scratch[2], (unsigned long)r->scratch[3]);
	tdx_printf("%s: device WRITES %lu, #VEs %lu\n", path, (unsigned long)r->writes,
		   (unsigned long)r->ves);
}

int main(void)
{
	struct result ve, direct;
	int dev = find_testdev();
	u64 bar0;
	u8 *bar;

	if (dev < 0) {
		tdx_printf("mmio: no PCI test device on bus 0\n");
		return 1;
	}
	bar0 = pci_read32((unsigned int)dev, PCI_BAR0) & ~0xFULL; /* memory BAR: flags 3:0 */
	tdx_printf("mmio: test device at 00:%02x.0, BAR0 %lx\n", dev, (unsigned long)bar0);
	bar = __va(bar0 | tdx_shared_mask());

	tdx_mmio_path = TDX_MMIO_VE;
	exercise(bar, &ve);
	tdx_mmio_path = TDX_MMIO_TDVMCALL;
	exercise(bar, &direct);
	show("#VE", &ve);
	show("direct", &direct);
	return 0;
}
