// SPDX-License-Identifier: MIT
/*
 * PCI configuration mechanism #1, the host bridge, BAR sizing and the test device's MMIO
 * registers.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "vmm/devices.h"
#include "vmm_test.h"

#define BAR0 PCI_TESTDEV_BAR0

struct fixture {
	struct vmm_bus vb;
	struct pci_bus *pb;
	struct pci_testdev *td;
};

static int setup(void **state)
{
	static struct fixture f;

	memset(&f, 0, sizeof(f));
	assert_int_equal(vmm_bus_init(&f.vb), 0);
	f.pb = pci_bus_create(&f.vb);
	assert_non_null(f.pb);
	f.td = pci_testdev_create(&f.vb, f.pb);
	assert_non_null(f.td);
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	pci_testdev_destroy(f->td);
	pci_bus_destroy(f->pb);
	vmm_bus_destroy(&f->vb);
	return 0;
}

static uint32_t cfg_addr(unsigned bus, unsigned dev, unsigned fn, unsigned reg)
{
	return PCI_CONFIG_ENABLE | bus << 16 | dev << 11 | fn << 8 | (reg & 0xFC);
}

/* A config read the way a guest does it: address to 0xCF8, data from 0xCFC + (reg & 3). */
static uint32_t cfg_rd(struct fixture *f, unsigned dev, unsigned fn, unsigned reg, unsigned size)
{
	pio_out(&f->vb, PCI_CONFIG_ADDRESS, 4, cfg_addr(0, dev, fn, reg));
	return (uint32_t)pio_in(&f->vb, (uint16_t)(PCI_CONFIG_DATA + (reg & 3)), size);
}

static void cfg_wr(struct fixture *f, unsigned dev, unsigned fn, unsigned reg, unsigned size,
		   uint32_t v)
{
	pio_out(&f->vb, PCI_CONFIG_ADDRESS, 4, cfg_addr(0, dev, fn, reg));
	pio_out(&f->vb, (uint16_t)(PCI_CONFIG_DATA + (reg & 3)), size, v);
}

static void test_config_address(void **state)
{
	struct fixture *f = *state;

	pio_out(&f->vb, PCI_CONFIG_ADDRESS, 4, 0xFFFFFFFF);
	/* reserved bits 30:24 and 1:0 read as zero */
	assert_int_equal(pio_in(&f->vb, PCI_CONFIG_ADDRESS, 4), 0x80FFFFFC);
	pio_out(&f->vb, PCI_CONFIG_ADDRESS, 4, 0x80000810);
	assert_int_equal(pio_in(&f->vb, PCI_CONFIG_ADDRESS, 4), 0x80000810);
	/* narrower accesses are not CONFIG_ADDRESS */
	pio_out(&f->vb, PCI_CONFIG_ADDRESS, 1, 0);
	pio_out(&f->vb, PCI_CONFIG_ADDRESS + 2, 2, 0);
	assert_int_equal(pio_in(&f->vb, PCI_CONFIG_ADDRESS, 4), 0x80000810);
	assert_int_equal(pio_in(&f->vb, PCI_CONFIG_ADDRESS, 1), 0xFF);
	assert_int_equal(pio_in(&f->vb, PCI_CONFIG_ADDRESS + 2, 2), 0xFFFF);
	/* with the enable bit clear, data reads all-ones */
	pio_out(&f->vb, PCI_CONFIG_ADDRESS, 4, 0x00000000);
	assert_int_equal(pio_in(&f->vb, PCI_CONFIG_DATA, 4), 0xFFFFFFFF);
}

static void test_host_bridge(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(cfg_rd(f, 0, 0, PCI_VENDOR_ID, 4), 0x29C08086);
	assert_int_equal(cfg_rd(f, 0, 0, PCI_VENDOR_ID, 2), 0x8086);
	assert_int_equal(cfg_rd(f, 0, 0, PCI_DEVICE_ID, 2), 0x29C0);
	assert_int_equal(cfg_rd(f, 0, 0, PCI_VENDOR_ID, 1), 0x86);
	assert_int_equal(cfg_rd(f, 0, 0, PCI_VENDOR_ID + 1, 1), 0x80);
	assert_int_equal(cfg_rd(f, 0, 0, PCI_DEVICE_ID + 1, 1), 0x29);
	assert_int_equal(cfg_rd(f, 0, 0, PCI_REVISION_ID, 4), 0x06000000);
	assert_int_equal(cfg_rd(f, 0, 0, PCI_CLASS_DEVICE, 2), 0x0600);
	assert_int_equal(cfg_rd(f, 0, 0, PCI_HEADER_TYPE, 1), 0);
	/* identity is read-only */
	cfg_wr(f, 0, 0, PCI_VENDOR_ID, 4, 0);
	assert_int_equal(cfg_rd(f, 0, 0, PCI_VENDOR_ID, 4), 0x29C08086);
	/* no BARs: sizing reads zero */
	cfg_wr(f, 0, 0, PCI_BASE_ADDRESS_0, 4, 0xFFFFFFFF);
	assert_int_equal(cfg_rd(f, 0, 0, PCI_BASE_ADDRESS_0, 4), 0);
}

static void test_absent_devices(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(cfg_rd(f, 2, 0, PCI_VENDOR_ID, 4), 0xFFFFFFFF);
	assert_int_equal(cfg_rd(f, 2, 0, PCI_VENDOR_ID, 2), 0xFFFF);
	assert_int_equal(cfg_rd(f, 2, 0, PCI_VENDOR_ID, 1), 0xFF);
	assert_int_equal(cfg_rd(f, 0, 1, PCI_VENDOR_ID, 4), 0xFFFFFFFF);
	assert_int_equal(cfg_rd(f, 31, 7, PCI_VENDOR_ID, 4), 0xFFFFFFFF);
	/* bus 1 does not exist */
	pio_out(&f->vb, PCI_CONFIG_ADDRESS, 4, cfg_addr(1, 0, 0, 0));
	assert_int_equal(pio_in(&f->vb, PCI_CONFIG_DATA, 4), 0xFFFFFFFF);
	assert_int_equal(pci_bus_config_read(f->pb, 1, 0, 0, 4), 0xFFFFFFFF);
	/* writes to nobody are harmless */
	cfg_wr(f, 2, 0, PCI_COMMAND, 2, 0xFFFF);
	/* out-of-range offsets through the bus-level API */
	assert_int_equal(pci_bus_config_read(f->pb, 0, 0, 254, 4), 0xFFFFFFFF);
}

static void test_sizes_and_byte_lanes(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(cfg_rd(f, 1, 0, PCI_VENDOR_ID, 4), 0x7D551234);
	assert_int_equal(cfg_rd(f, 1, 0, PCI_CLASS_PROG, 1), 0x00);
	assert_int_equal(cfg_rd(f, 1, 0, PCI_CLASS_DEVICE, 2), 0xFF00);
	assert_int_equal(cfg_rd(f, 1, 0, PCI_REVISION_ID, 1), 1);
	/* interrupt line: every size, every byte lane */
	cfg_wr(f, 1, 0, PCI_INTERRUPT_LINE, 1, 0x0B);
	assert_int_equal(cfg_rd(f, 1, 0, PCI_INTERRUPT_LINE, 1), 0x0B);
	cfg_wr(f, 1, 0, PCI_INTERRUPT_LINE, 2, 0xFF0A); /* pin is read-only */
	assert_int_equal(cfg_rd(f, 1, 0, PCI_INTERRUPT_LINE, 2), 0x000A);
	cfg_wr(f, 1, 0, PCI_INTERRUPT_LINE, 4, 0xFFFFFF05);
	assert_int_equal(cfg_rd(f, 1, 0, PCI_INTERRUPT_LINE, 4), 0x00000005);
	/* command: only IO, MEM, MASTER and INTX_DIS stick; status is read-only */
	cfg_wr(f, 1, 0, PCI_COMMAND, 4, 0xFFFFFFFF);
	assert_int_equal(cfg_rd(f, 1, 0, PCI_COMMAND, 4), 0x00000407);
	cfg_wr(f, 1, 0, PCI_COMMAND + 1, 1, 0x00);
	assert_int_equal(cfg_rd(f, 1, 0, PCI_COMMAND, 2), 0x0007);
	cfg_wr(f, 1, 0, PCI_COMMAND, 1, PCI_COMMAND_MEMORY);
	assert_int_equal(cfg_rd(f, 1, 0, PCI_COMMAND, 2), 0x0002);
	/* bus-level dispatch reaches the same space */
	assert_int_equal(pci_bus_config_read(f->pb, 0, PCI_DEVFN(1, 0), PCI_COMMAND, 2), 0x0002);
	pci_bus_config_write(f->pb, 0, PCI_DEVFN(1, 0), PCI_INTERRUPT_LINE, 1, 0x42);
	assert_int_equal(cfg_rd(f, 1, 0, PCI_INTERRUPT_LINE, 1), 0x42);
}

static void test_bar_sizing(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(cfg_rd(f, 1, 0, PCI_BASE_ADDRESS_0, 4), BAR0);
	/* the sizing dance, with decoding off as Linux does it */
	cfg_wr(f, 1, 0, PCI_COMMAND, 2, 0);
	assert_null(bus_find(&f->vb.mmio, BAR0));
	cfg_wr(f, 1, 0, PCI_BASE_ADDRESS_0, 4, 0xFFFFFFFF);
	assert_int_equal(cfg_rd(f, 1, 0, PCI_BASE_ADDRESS_0, 4), 0xFFFFF000); /* 4 KiB, mem32 */
	cfg_wr(f, 1, 0, PCI_BASE_ADDRESS_0, 4, BAR0);
	assert_int_equal(cfg_rd(f, 1, 0, PCI_BASE_ADDRESS_0, 4), BAR0);
	/* unimplemented BARs size to zero */
	for (unsigned bar = 1; bar < PCI_NUM_BARS; bar++) {
		cfg_wr(f, 1, 0, PCI_BASE_ADDRESS_0 + 4 * bar, 4, 0xFFFFFFFF);
		assert_int_equal(cfg_rd(f, 1, 0, PCI_BASE_ADDRESS_0 + 4 * bar, 4), 0);
	}
	/* byte and word writes to the BAR, low bits hard-wired */
	cfg_wr(f, 1, 0, PCI_BASE_ADDRESS_0, 1, 0xFF);
	assert_int_equal(cfg_rd(f, 1, 0, PCI_BASE_ADDRESS_0, 4), BAR0);
	cfg_wr(f, 1, 0, PCI_BASE_ADDRESS_0 + 2, 2, 0xFEC0);
	assert_int_equal(cfg_rd(f, 1, 0, PCI_BASE_ADDRESS_0, 4), 0xFEC00000);
	assert_int_equal(cfg_rd(f, 1, 0, PCI_BASE_ADDRESS_0 + 2, 2), 0xFEC0);
	/* decoding on: BAR0 answers at its new place only */
	cfg_wr(f, 1, 0, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	assert_int_equal(mmio_rd(&f->vb, 0xFEC00000 + TESTDEV_VERSION, 4), 1);
	assert_int_equal(mmio_rd(&f->vb, BAR0 + TESTDEV_VERSION, 4), 0xFFFFFFFF);
	cfg_wr(f, 1, 0, PCI_BASE_ADDRESS_0, 4, BAR0);
	assert_int_equal(mmio_rd(&f->vb, BAR0 + TESTDEV_VERSION, 4), 1);
	assert_null(bus_find(&f->vb.mmio, 0xFEC00000));
}

static void test_bar_collision(void **state)
{
	struct fixture *f = *state;
	struct pci_device other;

	pci_device_init(&other, PCI_DEVFN(1, 0), 1, 2, 0, 0);
	assert_int_equal(pci_bus_add_device(f->pb, &other), -EEXIST);
	/* a second testdev cannot take 00:01.0 */
	assert_null(pci_testdev_create(&f->vb, f->pb));
}

static void test_testdev_registers(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(mmio_rd(&f->vb, BAR0 + TESTDEV_MAGIC, 8), TESTDEV_MAGIC_VALUE);
	assert_int_equal(mmio_rd(&f->vb, BAR0 + TESTDEV_MAGIC, 4), 0x53584454);
	assert_int_equal(mmio_rd(&f->vb, BAR0 + TESTDEV_MAGIC + 4, 4), 0x44544d49);
	assert_int_equal(mmio_rd(&f->vb, BAR0 + TESTDEV_MAGIC + 6, 2), 0x4454);
	assert_int_equal(mmio_rd(&f->vb, BAR0 + TESTDEV_MAGIC + 7, 1), 'D');
	assert_int_equal(mmio_rd(&f->vb, BAR0 + TESTDEV_VERSION, 8), 1);
	/* the magic is read-only */
	mmio_wr(&f->vb, BAR0 + TESTDEV_MAGIC, 8, 0);
	assert_int_equal(mmio_rd(&f->vb, BAR0 + TESTDEV_MAGIC, 8), TESTDEV_MAGIC_VALUE);
	/* 7 reads and 1 write so far; the counters exclude the access reading them */
	assert_int_equal(mmio_rd(&f->vb, BAR0 + TESTDEV_READS, 8), 7);
	assert_int_equal(mmio_rd(&f->vb, BAR0 + TESTDEV_WRITES, 8), 1);
	/* LAST_* describe the access before */
	mmio_wr(&f->vb, BAR0 + TESTDEV_SCRATCH + 6, 2, 0xBEEF);
	assert_int_equal(mmio_rd(&f->vb, BAR0 + TESTDEV_LAST_OFFSET, 8), TESTDEV_SCRATCH + 6);
	assert_int_equal(mmio_rd(&f->vb, BAR0 + TESTDEV_LAST_SIZE, 4), 8);
	assert_int_equal(mmio_rd(&f->vb, BAR0 + TESTDEV_LAST_SIZE, 1), 4);
	assert_int_equal(mmio_rd(&f->vb, BAR0 + TESTDEV_LAST_WDATA, 8), 0xBEEF);
	/* reset */
	mmio_wr(&f->vb, BAR0 + TESTDEV_RESET, 4, 1);
	assert_int_equal(mmio_rd(&f->vb, BAR0 + TESTDEV_READS, 8), 0);
	assert_int_equal(mmio_rd(&f->vb, BAR0 + TESTDEV_WRITES, 8), 0);
	assert_int_equal(mmio_rd(&f->vb, BAR0 + TESTDEV_RESET, 8), 0);
	/* unused space reads zero and ignores writes */
	mmio_wr(&f->vb, BAR0 + 0x800, 8, UINT64_MAX);
	assert_int_equal(mmio_rd(&f->vb, BAR0 + 0x800, 8), 0);
	assert_int_equal(mmio_rd(&f->vb, BAR0 + 0xFF8, 8), 0);
}

static void test_testdev_scratch_sizes(void **state)
{
	struct fixture *f = *state;
	const uint64_t s = BAR0 + TESTDEV_SCRATCH;

	assert_int_equal(mmio_rd(&f->vb, s, 8), 0);
	mmio_wr(&f->vb, s, 8, 0x0123456789ABCDEFULL);
	assert_int_equal(mmio_rd(&f->vb, s, 8), 0x0123456789ABCDEFULL);
	assert_int_equal(mmio_rd(&f->vb, s, 4), 0x89ABCDEF);
	assert_int_equal(mmio_rd(&f->vb, s + 4, 4), 0x01234567);
	assert_int_equal(mmio_rd(&f->vb, s + 2, 2), 0x89AB);
	assert_int_equal(mmio_rd(&f->vb, s + 7, 1), 0x01);
	mmio_wr(&f->vb, s + 1, 1, 0x55);
	assert_int_equal(mmio_rd(&f->vb, s, 8), 0x0123456789AB55EFULL);
	mmio_wr(&f->vb, s + 2, 2, 0xAAAA);
	assert_int_equal(mmio_rd(&f->vb, s, 4), 0xAAAA55EF);
	mmio_wr(&f->vb, s + 4, 4, 0xDEADBEEF);
	assert_int_equal(mmio_rd(&f->vb, s, 8), 0xDEADBEEFAAAA55EFULL);
	/* unaligned accesses work byte for byte, and the last scratch byte is there */
	mmio_wr(&f->vb, s + 3, 4, 0x11223344);
	assert_int_equal(mmio_rd(&f->vb, s + 3, 4), 0x11223344);
	mmio_wr(&f->vb, s + TESTDEV_SCRATCH_SIZE - 1, 1, 0x99);
	assert_int_equal(mmio_rd(&f->vb, s + TESTDEV_SCRATCH_SIZE - 1, 1), 0x99);
	assert_int_equal(mmio_rd(&f->vb, s + TESTDEV_SCRATCH_SIZE, 1), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_config_address, setup, teardown),
		cmocka_unit_test_setup_teardown(test_host_bridge, setup, teardown),
		cmocka_unit_test_setup_teardown(test_absent_devices, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sizes_and_byte_lanes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bar_sizing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bar_collision, setup, teardown),
		cmocka_unit_test_setup_teardown(test_testdev_registers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_testdev_scratch_sizes, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
