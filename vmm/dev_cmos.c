// SPDX-License-Identifier: MIT
/*
 * vmm/dev_cmos.c - the PC's CMOS RTC (MC146818) at ports 0x70 (index) and 0x71 (data), as
 * QEMU's pc and q35 machines give every guest, TDs included (docs/VMM.md "CMOS"). Firmware
 * reads the memory size there: OVMF sizes its memory below 4 GiB from registers 0x34/0x35.
 *
 * Registers [MC146818 data sheet; QEMU hw/i386/pc.c pc_cmos_init for the memory bytes]:
 * 0x00-0x09 the time (BCD, 24-hour, UTC: this process's clock), 0x0A-0x0D the status
 * registers, 0x15/0x16 base memory in KiB (640), 0x17/0x18 = 0x30/0x31 extended memory above
 * 1 MiB in KiB (at most 0xFFFF), 0x34/0x35 memory above 16 MiB below 4 GiB in 64 KiB units,
 * 0x5B-0x5D memory above 4 GiB in 64 KiB units (0: a TD's memory is below 3 GiB), 0x32 the
 * century; the rest is 128 bytes of RAM.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vmm/devices.h"

struct cmos_dev {
	struct vmm_bus *bus;
	uint8_t index;
	uint8_t ram[CMOS_SIZE];
};

static uint8_t bcd(int v)
{
	return (uint8_t)((v / 10) << 4 | v % 10);
}

/* A time register, from the clock now; -1 for the others. */
static int cmos_time(uint8_t index)
{
	time_t now = time(NULL);
	struct tm tm;

	if (!gmtime_r(&now, &tm))
		return -1;
	switch (index) {
	case CMOS_SECONDS:
		return bcd(tm.tm_sec);
	case CMOS_MINUTES:
		return bcd(tm.tm_min);
	case CMOS_HOURS:
		return bcd(tm.tm_hour);
	case CMOS_DAY_OF_WEEK:
		return bcd(tm.tm_wday + 1);
	case CMOS_DAY_OF_MONTH:
		return bcd(tm.tm_mday);
	case CMOS_MONTH:
		return bcd(tm.tm_mon + 1);
	case CMOS_YEAR:
		return bcd(tm.tm_year % 100);
	case CMOS_CENTURY:
		return bcd(19 + tm.tm_year / 100);
	default:
		return -1;
	}
}

static void cmos_io(void *opaque, uint64_t off, void *data, unsigned size, bool write)
{
	struct cmos_dev *c = opaque;
	int t;

	if (size != 1) { /* byte registers: wider accesses are not theirs */
		if (!write)
			bus_data_set(data, size, UINT64_MAX);
		return;
	}
	if (off == 0) { /* the index; bit 7 masks NMIs, which a TD does not have */
		if (write)
			c->index = (uint8_t)bus_data_get(data, 1) & (CMOS_SIZE - 1);
		else
			bus_data_set(data, 1, 0xFF);
		return;
	}
	if (write) {
		/* The clock and status registers C and D are read-only here. */
		if (cmos_time(c->index) < 0 && c->index != CMOS_STATUS_C &&
		    c->index != CMOS_STATUS_D)
			c->ram[c->index] = (uint8_t)bus_data_get(data, 1);
		return;
	}
	t = cmos_time(c->index);
	bus_data_set(data, 1, t >= 0 ? (uint64_t)t : c->ram[c->index]);
}

struct cmos_dev *cmos_create(struct vmm_bus *bus, uint64_t memory_size)
{
	struct cmos_dev *c = calloc(1, sizeof(*c));
	uint64_t ext_kib, above16;

	if (!c)
		return NULL;
	c->bus = bus;
	c->ram[CMOS_STATUS_A] = CMOS_STATUS_A_DEFAULT;
	c->ram[CMOS_STATUS_B] = CMOS_STATUS_B_24H;
	c->ram[CMOS_STATUS_D] = CMOS_STATUS_D_VRT;
	c->ram[CMOS_BASE_MEM_LO] = 640 & 0xFF;
	c->ram[CMOS_BASE_MEM_HI] = 640 >> 8;
	ext_kib = memory_size > (1ULL << 20) ? (memory_size >> 10) - 1024 : 0;
	if (ext_kib > 0xFFFF)
		ext_kib = 0xFFFF;
	c->ram[CMOS_EXT_MEM_LO] = c->ram[CMOS_EXT_MEM2_LO] = (uint8_t)ext_kib;
	c->ram[CMOS_EXT_MEM_HI] = c->ram[CMOS_EXT_MEM2_HI] = (uint8_t)(ext_kib >> 8);
	above16 = memory_size > (16ULL << 20) ? (memory_size - (16ULL << 20)) >> 16 : 0;
	if (above16 > 0xFFFF)
		above16 = 0xFFFF;
	c->ram[CMOS_MEM_ABOVE_16M_LO] = (uint8_t)above16;
	c->ram[CMOS_MEM_ABOVE_16M_HI] = (uint8_t)(above16 >> 8);
	if (vmm_bus_register_pio(bus, CMOS_PORT, 2, cmos_io, c, "cmos-rtc")) {
		free(c);
		return NULL;
	}
	return c;
}

void cmos_destroy(struct cmos_dev *c)
{
	if (!c)
		return;
	bus_unregister(&c->bus->pio, CMOS_PORT);
	free(c);
}
