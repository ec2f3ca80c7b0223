// SPDX-License-Identifier: MIT
/*
 * The CMOS RTC at ports 0x70/0x71 (vmm/dev_cmos.c): the memory size bytes for 512 MiB and for
 * 3 GiB, the status registers, the clock in BCD against this process's UTC time, the RAM
 * bytes kept and the read-only ones not, the index port and wide accesses. Then on a wall
 * clock the test sets (2026-12-03 21:45:07 UTC, a Thursday): the time in BCD and binary, 24-
 * and 12-hour; status A's UIP; SET freezing the time and setting it; status C's update flag;
 * the index's NMI bit and the RAM bytes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "vmm/devices.h"
#include "vmm_test.h"

static uint8_t rd(struct vmm_bus *vb, uint8_t index)
{
	pio_out(vb, 0x70, 1, index);
	return (uint8_t)pio_in(vb, 0x71, 1);
}

static void test_memory_bytes(void **state)
{
	struct vmm_bus vb;
	struct cmos_dev *c;

	(void)state;
	assert_int_equal(vmm_bus_init(&vb), 0);
	c = cmos_create(&vb, 512ULL << 20);
	assert_non_null(c);
	assert_int_equal(rd(&vb, 0x15), 0x80); /* 640 KiB */
	assert_int_equal(rd(&vb, 0x16), 0x02);
	assert_int_equal(rd(&vb, 0x17), 0xFF); /* 511 MiB = 0x7FC00 KiB: capped at 0xFFFF */
	assert_int_equal(rd(&vb, 0x18), 0xFF);
	assert_int_equal(rd(&vb, 0x30), 0xFF);
	assert_int_equal(rd(&vb, 0x31), 0xFF);
	assert_int_equal(rd(&vb, 0x34), 0x00); /* (512 - 16) MiB / 64 KiB = 0x1F00 */
	assert_int_equal(rd(&vb, 0x35), 0x1F);
	assert_int_equal(rd(&vb, 0x5B), 0);
	assert_int_equal(rd(&vb, 0x0A), 0x26);
	assert_int_equal(rd(&vb, 0x0B), 0x02);
	assert_int_equal(rd(&vb, 0x0C), 0x00);
	assert_int_equal(rd(&vb, 0x0D), 0x80);
	cmos_destroy(c);
	c = cmos_create(&vb, 3ULL << 30);
	assert_int_equal(rd(&vb, 0x34), 0x00); /* (3072 - 16) MiB / 64 KiB = 0xBF00 */
	assert_int_equal(rd(&vb, 0x35), 0xBF);
	cmos_destroy(c);
	c = cmos_create(&vb, 2ULL << 20); /* 1 MiB above 1 MiB, nothing above 16 MiB */
	assert_int_equal(rd(&vb, 0x17), 0x00);
	assert_int_equal(rd(&vb, 0x18), 0x04);
	assert_int_equal(rd(&vb, 0x34), 0);
	assert_int_equal(rd(&vb, 0x35), 0);
	cmos_destroy(c);
	vmm_bus_destroy(&vb);
}

static int from_bcd(uint8_t v)
{
	return (v >> 4) * 10 + (v & 0xF);
}

static void test_clock_and_ram(void **state)
{
	struct vmm_bus vb;
	struct cmos_dev *c;
	struct tm tm;
	time_t before, after;
	int sec, min, hour;

	(void)state;
	assert_int_equal(vmm_bus_init(&vb), 0);
	c = cmos_create(&vb, 64ULL << 20);
	/* Read until one second holds the whole reading. */
	do {
		before = time(NULL);
		sec = from_bcd(rd(&vb, 0x00));
		min = from_bcd(rd(&vb, 0x02));
		hour = from_bcd(rd(&vb, 0x04));
		after = time(NULL);
	} while (before != after);
	gmtime_r(&before, &tm);
	assert_int_equal(sec, tm.tm_sec);
	assert_int_equal(min, tm.tm_min);
	assert_int_equal(hour, tm.tm_hour);
	assert_int_equal(from_bcd(rd(&vb, 0x07)), tm.tm_mday);
	assert_int_equal(from_bcd(rd(&vb, 0x08)), tm.tm_mon + 1);
	assert_int_equal(from_bcd(rd(&vb, 0x09)), tm.tm_year % 100);
	assert_int_equal(from_bcd(rd(&vb, 0x32)), 19 + tm.tm_year / 100);
	assert_int_equal(from_bcd(rd(&vb, 0x06)), tm.tm_wday + 1);

	/* RAM bytes are kept (the index's bit 7, NMI masking, is not part of it). */
	pio_out(&vb, 0x70, 1, 0x80 | 0x40);
	pio_out(&vb, 0x71, 1, 0xA5);
	assert_int_equal(rd(&vb, 0x40), 0xA5);
	pio_out(&vb, 0x71, 1, 0x5A);
	assert_int_equal(rd(&vb, 0x40), 0x5A);
	/* Status D is not written; the clock is: the year written is the year read. */
	pio_out(&vb, 0x70, 1, 0x0D);
	pio_out(&vb, 0x71, 1, 0x00);
	assert_int_equal(rd(&vb, 0x0D), 0x80);
	pio_out(&vb, 0x70, 1, 0x09);
	pio_out(&vb, 0x71, 1, 0x99);
	assert_int_equal(rd(&vb, 0x09), 0x99);
	/* Status B is. */
	pio_out(&vb, 0x70, 1, 0x0B);
	pio_out(&vb, 0x71, 1, 0x06);
	assert_int_equal(rd(&vb, 0x0B), 0x06);
	/* The index port reads 0xFF; wider accesses are not the device's. */
	assert_int_equal(pio_in(&vb, 0x70, 1), 0xFF);
	assert_int_equal(pio_in(&vb, 0x70, 2), 0xFFFF);
	pio_out(&vb, 0x70, 2, 0x4040);
	assert_int_equal(pio_in(&vb, 0x71, 1), 0x06); /* the index is still 0x0B */
	cmos_destroy(c);
	vmm_bus_destroy(&vb);
}

#define T0 1796334307ULL /* 2026-12-03 21:45:07 UTC */

struct fixture {
	struct vmm_bus vb;
	struct cmos_dev *c;
	uint64_t now; /* ns since the epoch */
};

static uint64_t fake_clock(void *opaque)
{
	return ((struct fixture *)opaque)->now;
}

static void at(struct fixture *f, uint64_t seconds, uint64_t ns)
{
	f->now = seconds * 1000000000ULL + ns;
}

static int setup(void **state)
{
	static struct fixture f;

	memset(&f, 0, sizeof(f));
	assert_int_equal(vmm_bus_init(&f.vb), 0);
	at(&f, T0, 250000000);
	f.c = cmos_create(&f.vb, 512ULL << 20);
	assert_non_null(f.c);
	cmos_set_clock(f.c, fake_clock, &f);
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	cmos_destroy(f->c);
	/* the ports are free again */
	assert_int_equal(pio_in(&f->vb, CMOS_PORT + 1, 1), 0xFF);
	assert_int_equal(f->vb.pio.unclaimed, 1);
	vmm_bus_destroy(&f->vb);
	return 0;
}

static void wr(struct vmm_bus *vb, uint8_t index, uint8_t v)
{
	pio_out(vb, 0x70, 1, index);
	pio_out(vb, 0x71, 1, v);
}

/* Seconds, minutes, hours, day of week, day, month, year, century, in that order. */
static void assert_time(struct fixture *f, const uint8_t want[8])
{
	static const uint8_t regs[8] = {
		CMOS_SECONDS,	   CMOS_MINUTES, CMOS_HOURS, CMOS_DAY_OF_WEEK,
		CMOS_DAY_OF_MONTH, CMOS_MONTH,	 CMOS_YEAR,  CMOS_CENTURY,
	};

	for (unsigned int i = 0; i < 8; i++)
		assert_int_equal(rd(&f->vb, regs[i]), want[i]);
}

/* The reset state: BCD, 24-hour; the time in BCD; A as the firmware leaves it; D's VRT. */
static void test_bcd_24h(void **state)
{
	static const uint8_t want[8] = {0x07, 0x45, 0x21, 0x05, 0x03, 0x12, 0x26, 0x20};
	struct fixture *f = *state;

	assert_int_equal(rd(&f->vb, CMOS_STATUS_B), CMOS_STATUS_B_24H);
	assert_time(f, want);
	assert_int_equal(rd(&f->vb, CMOS_STATUS_A), CMOS_STATUS_A_DEFAULT);
	assert_int_equal(rd(&f->vb, CMOS_STATUS_D), CMOS_STATUS_D_VRT);
	/* the clock runs: 14 min 53 s later the minute and the hour roll over */
	at(f, T0 + 53 + 14 * 60, 0);
	assert_int_equal(rd(&f->vb, CMOS_SECONDS), 0x00);
	assert_int_equal(rd(&f->vb, CMOS_MINUTES), 0x00);
	assert_int_equal(rd(&f->vb, CMOS_HOURS), 0x22);
}

static void test_binary(void **state)
{
	static const uint8_t want24[8] = {7, 45, 21, 5, 3, 12, 26, 20};
	static const uint8_t want12[8] = {7, 45, 9 | CMOS_HOURS_PM, 5, 3, 12, 26, 20};
	struct fixture *f = *state;

	wr(&f->vb, CMOS_STATUS_B, CMOS_STATUS_B_DM | CMOS_STATUS_B_24H);
	assert_time(f, want24);
	wr(&f->vb, CMOS_STATUS_B, CMOS_STATUS_B_DM);
	assert_time(f, want12);
}

/* 12-hour mode: 1-12 with bit 7 for PM; midnight is 12 AM, noon 12 PM. */
static void test_12h(void **state)
{
	static const uint8_t want[8] = {0x07, 0x45, 0x89, 0x05, 0x03, 0x12, 0x26, 0x20};
	struct fixture *f = *state;

	wr(&f->vb, CMOS_STATUS_B, 0);
	assert_time(f, want);
	at(f, T0 + 2 * 3600 + 15 * 60, 0); /* 2026-12-04 00:00:07, a Friday */
	assert_int_equal(rd(&f->vb, CMOS_HOURS), 0x12);
	assert_int_equal(rd(&f->vb, CMOS_DAY_OF_WEEK), 0x06);
	assert_int_equal(rd(&f->vb, CMOS_DAY_OF_MONTH), 0x04);
	at(f, T0 + 14 * 3600 + 15 * 60, 0); /* 12:00:07 */
	assert_int_equal(rd(&f->vb, CMOS_HOURS), 0x92);
	at(f, T0 + 3 * 3600 + 15 * 60, 0); /* 01:00:07 */
	assert_int_equal(rd(&f->vb, CMOS_HOURS), 0x01);
}

/* UIP never reads 1, so a loop waiting for it to drop ends at once; it cannot be written. */
static void test_uip(void **state)
{
	struct fixture *f = *state;

	at(f, T0, 999999999); /* the last nanosecond before the update */
	assert_int_equal(rd(&f->vb, CMOS_STATUS_A) & CMOS_STATUS_A_UIP, 0);
	wr(&f->vb, CMOS_STATUS_A, 0xA5);
	assert_int_equal(rd(&f->vb, CMOS_STATUS_A), 0x25);
}

/* SET stops the update (and clears UIE); the time written then runs from there when cleared. */
static void test_set_freeze(void **state)
{
	static const uint8_t y2k[8] = {0x00, 0x00, 0x00, 0x07, 0x01, 0x01, 0x00, 0x20};
	struct fixture *f = *state;

	wr(&f->vb, CMOS_STATUS_B, CMOS_STATUS_B_SET | CMOS_STATUS_B_UIE | CMOS_STATUS_B_24H);
	assert_int_equal(rd(&f->vb, CMOS_STATUS_B), CMOS_STATUS_B_SET | CMOS_STATUS_B_24H);
	at(f, T0 + 100, 0);
	assert_int_equal(rd(&f->vb, CMOS_SECONDS), 0x07); /* frozen */
	assert_int_equal(rd(&f->vb, CMOS_STATUS_C), 0);	  /* no update, no UF */
	wr(&f->vb, CMOS_SECONDS, 0x30);
	wr(&f->vb, CMOS_MINUTES, 0x59);
	wr(&f->vb, CMOS_HOURS, 0x23);
	wr(&f->vb, CMOS_DAY_OF_MONTH, 0x31);
	wr(&f->vb, CMOS_MONTH, 0x12);
	wr(&f->vb, CMOS_YEAR, 0x99);
	wr(&f->vb, CMOS_CENTURY, 0x19);
	at(f, T0 + 200, 0);
	assert_int_equal(rd(&f->vb, CMOS_SECONDS), 0x30); /* still frozen, as written */
	assert_int_equal(rd(&f->vb, CMOS_YEAR), 0x99);
	wr(&f->vb, CMOS_STATUS_B, CMOS_STATUS_B_24H);
	at(f, T0 + 230, 0); /* 30 s on: 2000-01-01 00:00:00, a Saturday */
	assert_time(f, y2k);
	/* a time register written while the clock runs moves the clock */
	wr(&f->vb, CMOS_YEAR, 0x26);
	at(f, T0 + 231, 0);
	assert_int_equal(rd(&f->vb, CMOS_YEAR), 0x26);
	assert_int_equal(rd(&f->vb, CMOS_SECONDS), 0x01);
	assert_int_equal(rd(&f->vb, CMOS_DAY_OF_WEEK), 0x05); /* 2026-01-01, a Thursday */
}

/* Status C: UF once a second has ended since the last read, IRQF with UIE; reads clear. */
static void test_status_c(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(rd(&f->vb, CMOS_STATUS_C), 0);
	at(f, T0, 999999999);
	assert_int_equal(rd(&f->vb, CMOS_STATUS_C), 0);
	at(f, T0 + 1, 0);
	assert_int_equal(rd(&f->vb, CMOS_STATUS_C), CMOS_STATUS_C_UF);
	assert_int_equal(rd(&f->vb, CMOS_STATUS_C), 0);
	wr(&f->vb, CMOS_STATUS_B, CMOS_STATUS_B_UIE | CMOS_STATUS_B_24H);
	at(f, T0 + 5, 0);
	assert_int_equal(rd(&f->vb, CMOS_STATUS_C), CMOS_STATUS_C_IRQF | CMOS_STATUS_C_UF);
	assert_int_equal(rd(&f->vb, CMOS_STATUS_C), 0);
	at(f, T0 + 6, 0);
	wr(&f->vb, CMOS_STATUS_C, 0xFF); /* read only */
	assert_int_equal(rd(&f->vb, CMOS_STATUS_C), CMOS_STATUS_C_IRQF | CMOS_STATUS_C_UF);
}

/* The index: bit 7 (NMI mask) ignored; the bytes past D are RAM; the alarms are kept. */
static void test_index_and_ram(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(rd(&f->vb, 0x80 | CMOS_MINUTES), 0x45);
	assert_int_equal(rd(&f->vb, 0x80 | CMOS_STATUS_D), CMOS_STATUS_D_VRT);
	for (unsigned int i = CMOS_STATUS_D + 1; i < CMOS_SIZE; i++) {
		if (i != CMOS_CENTURY)
			wr(&f->vb, (uint8_t)i, (uint8_t)(i ^ 0x5A));
	}
	for (unsigned int i = CMOS_STATUS_D + 1; i < CMOS_SIZE; i++) {
		if (i != CMOS_CENTURY)
			assert_int_equal(rd(&f->vb, (uint8_t)(i | 0x80)), i ^ 0x5A);
	}
	wr(&f->vb, CMOS_SECONDS_ALARM, 0x12);
	wr(&f->vb, CMOS_MINUTES_ALARM, 0x34);
	wr(&f->vb, CMOS_HOURS_ALARM, 0x56);
	assert_int_equal(rd(&f->vb, CMOS_SECONDS_ALARM), 0x12);
	assert_int_equal(rd(&f->vb, CMOS_MINUTES_ALARM), 0x34);
	assert_int_equal(rd(&f->vb, CMOS_HOURS_ALARM), 0x56);
	assert_int_equal(rd(&f->vb, CMOS_MINUTES), 0x45); /* the clock untouched */
	assert_int_equal(rd(&f->vb, CMOS_SECONDS), 0x07);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_memory_bytes),
		cmocka_unit_test(test_clock_and_ram),
		cmocka_unit_test_setup_teardown(test_bcd_24h, setup, teardown),
		cmocka_unit_test_setup_teardown(test_binary, setup, teardown),
		cmocka_unit_test_setup_teardown(test_12h, setup, teardown),
		cmocka_unit_test_setup_teardown(test_uip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_set_freeze, setup, teardown),
		cmocka_unit_test_setup_teardown(test_status_c, setup, teardown),
		cmocka_unit_test_setup_teardown(test_index_and_ram, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
