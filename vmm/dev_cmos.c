// SPDX-License-Identifier: MIT
/*
 * vmm/dev_cmos.c - the PC's CMOS RTC (MC146818) at ports 0x70 (index) and 0x71 (data), as
 * QEMU's pc and q35 machines give every guest, TDs included (docs/VMM.md "CMOS RTC"). Firmware
 * reads the memory size there: OVMF sizes its memory below 4 GiB from registers 0x34/0x35;
 * Linux reads the time at boot.
 *
 * Registers [MC146818; QEMU hw/i386/pc.c pc_cmos_init for the memory bytes]: 0x00-0x09 and
 * the century at 0x32 the clock and alarms, 0x0A-0x0D the status registers A-D, 0x15/0x16
 * base memory in KiB (640), 0x17/0x18 = 0x30/0x31 extended memory above 1 MiB in KiB (at most
 * 0xFFFF), 0x34/0x35 memory above 16 MiB below 4 GiB in 64 KiB units, 0x5B-0x5D memory above
 * 4 GiB in 64 KiB units (0: a TD's memory is below 3 GiB); the rest is RAM. The time is the
 * host's wall clock (UTC) plus the offset the guest set, computed at each access: no update
 * cycle runs between accesses. No interrupt leaves the device: a hardware-reduced TD has no
 * I/O APIC pin for IRQ 8.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vmm/devices.h"

struct cmos_dev {
	struct vmm_bus *bus;
	cmos_clock_t clock;
	void *clock_opaque;
	int64_t offset;	     /* seconds the guest's time is ahead of the host's */
	int64_t last_update; /* the guest's second when status C was last read */
	uint8_t index;
	uint8_t ram[CMOS_SIZE];
};

static uint64_t realtime_ns(void *opaque)
{
	struct timespec ts;

	(void)opaque;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int64_t host_seconds(struct cmos_dev *c)
{
	return (int64_t)(c->clock(c->clock_opaque) / 1000000000ULL);
}

static bool cmos_frozen(const struct cmos_dev *c)
{
	return c->ram[CMOS_STATUS_B] & CMOS_STATUS_B_SET;
}

static uint8_t to_reg(const struct cmos_dev *c, unsigned int v)
{
	return (uint8_t)(c->ram[CMOS_STATUS_B] & CMOS_STATUS_B_DM ? v : bin_to_bcd(v));
}

static unsigned int from_reg(const struct cmos_dev *c, uint8_t v)
{
	return c->ram[CMOS_STATUS_B] & CMOS_STATUS_B_DM ? v : bcd_to_bin(v);
}

/* Hours 0-23 as the register holds them: 1-12 with bit 7 for PM in 12-hour mode. */
static uint8_t hours_to_reg(const struct cmos_dev *c, unsigned int h)
{
	if (c->ram[CMOS_STATUS_B] & CMOS_STATUS_B_24H)
		return to_reg(c, h);
	return (uint8_t)(to_reg(c, h % 12 ? h % 12 : 12) | (h >= 12 ? CMOS_HOURS_PM : 0));
}

static unsigned int hours_from_reg(const struct cmos_dev *c, uint8_t v)
{
	if (c->ram[CMOS_STATUS_B] & CMOS_STATUS_B_24H)
		return from_reg(c, v);
	return from_reg(c, v & ~CMOS_HOURS_PM) % 12 + (v & CMOS_HOURS_PM ? 12 : 0);
}

/* The clock registers filled from the guest's time now. */
static void cmos_latch_time(struct cmos_dev *c)
{
	time_t t = (time_t)(host_seconds(c) + c->offset);
	struct tm tm;

	if (!gmtime_r(&t, &tm))
		return;
	c->ram[CMOS_SECONDS] = to_reg(c, (unsigned int)tm.tm_sec);
	c->ram[CMOS_MINUTES] = to_reg(c, (unsigned int)tm.tm_min);
	c->ram[CMOS_HOURS] = hours_to_reg(c, (unsigned int)tm.tm_hour);
	c->ram[CMOS_DAY_OF_WEEK] = to_reg(c, (unsigned int)tm.tm_wday + 1); /* 1 = Sunday */
	c->ram[CMOS_DAY_OF_MONTH] = to_reg(c, (unsigned int)tm.tm_mday);
	c->ram[CMOS_MONTH] = to_reg(c, (unsigned int)tm.tm_mon + 1);
	c->ram[CMOS_YEAR] = to_reg(c, (unsigned int)(tm.tm_year + 1900) % 100);
	c->ram[CMOS_CENTURY] = to_reg(c, (unsigned int)(tm.tm_year + 1900) / 100);
}

/* The offset from the clock registers as the guest wrote them (the day of week not used). */
static void cmos_take_time(struct cmos_dev *c)
{
	struct tm tm = {
		.tm_sec = (int)from_reg(c, c->ram[CMOS_SECONDS]),
		.tm_min = (int)from_reg(c, c->ram[CMOS_MINUTES]),
		.tm_hour = (int)hours_from_reg(c, c->ram[CMOS_HOURS]),
		.tm_mday = (int)from_reg(c, c->ram[CMOS_DAY_OF_MONTH]),
		.tm_mon = (int)from_reg(c, c->ram[CMOS_MONTH]) - 1,
		.tm_year = (int)(from_reg(c, c->ram[CMOS_CENTURY]) * 100 +
				 from_reg(c, c->ram[CMOS_YEAR])) -
			   1900,
	};
	int64_t now = host_seconds(c);

	c->offset = (int64_t)timegm(&tm) - now;
	c->last_update = now + c->offset;
}

/* The time registers (not the alarms between them). */
static bool is_time_reg(unsigned int i)
{
	return (i <= CMOS_YEAR && i != CMOS_SECONDS_ALARM && i != CMOS_MINUTES_ALARM &&
		i != CMOS_HOURS_ALARM) ||
	       i == CMOS_CENTURY;
}

/* Status C: UF once a second has ended since the last read, IRQF with UIE; the read clears. */
static uint8_t status_c_read(struct cmos_dev *c)
{
	int64_t now = host_seconds(c) + c->offset;
	uint8_t v = 0;

	if (cmos_frozen(c))
		return 0;
	if (now != c->last_update) {
		v = CMOS_STATUS_C_UF;
		if (c->ram[CMOS_STATUS_B] & CMOS_STATUS_B_UIE)
			v |= CMOS_STATUS_C_IRQF;
	}
	c->last_update = now;
	return v;
}

static uint8_t cmos_read(struct cmos_dev *c)
{
	unsigned int i = c->index;

	if (is_time_reg(i) && !cmos_frozen(c))
		cmos_latch_time(c);
	switch (i) {
	case CMOS_STATUS_A: /* no update cycle is ever in progress: UIP reads 0 */
		return c->ram[i] & ~CMOS_STATUS_A_UIP;
	case CMOS_STATUS_C:
		return status_c_read(c);
	case CMOS_STATUS_D:
		return CMOS_STATUS_D_VRT;
	default:
		return c->ram[i];
	}
}

static void status_b_write(struct cmos_dev *c, uint8_t v)
{
	bool was_frozen = cmos_frozen(c);

	if (v & CMOS_STATUS_B_SET) {
		if (!was_frozen)
			cmos_latch_time(c); /* the registers hold the time the update stopped at */
		v &= (uint8_t)~CMOS_STATUS_B_UIE; /* SET clears UIE */
	}
	c->ram[CMOS_STATUS_B] = v;
	if (was_frozen && !(v & CMOS_STATUS_B_SET))
		cmos_take_time(c); /* counting resumes from the registers as written */
}

static void cmos_write(struct cmos_dev *c, uint8_t v)
{
	unsigned int i = c->index;

	switch (i) {
	case CMOS_STATUS_A: /* UIP is read only */
		c->ram[i] = v & ~CMOS_STATUS_A_UIP;
		return;
	case CMOS_STATUS_B:
		status_b_write(c, v);
		return;
	case CMOS_STATUS_C: /* C and D are read only */
	case CMOS_STATUS_D:
		return;
	default:
		break;
	}
	if (!is_time_reg(i) || cmos_frozen(c)) {
		c->ram[i] = v;
		return;
	}
	cmos_latch_time(c); /* a field set while the clock runs: it runs on from there */
	c->ram[i] = v;
	cmos_take_time(c);
}

static void cmos_io(void *opaque, uint64_t off, void *data, unsigned size, bool write)
{
	struct cmos_dev *c = opaque;

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
	if (write)
		cmos_write(c, (uint8_t)bus_data_get(data, 1));
	else
		bus_data_set(data, 1, cmos_read(c));
}

void cmos_set_clock(struct cmos_dev *c, cmos_clock_t clock, void *opaque)
{
	c->clock = clock ? clock : realtime_ns;
	c->clock_opaque = opaque;
	c->offset = 0;
	c->last_update = host_seconds(c);
}

struct cmos_dev *cmos_create(struct vmm_bus *bus, uint64_t memory_size)
{
	struct cmos_dev *c = calloc(1, sizeof(*c));
	uint64_t ext_kib, above16;

	if (!c)
		return NULL;
	c->bus = bus;
	cmos_set_clock(c, NULL, NULL);
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
