// SPDX-License-Identifier: MIT
/*
 * The CMOS RTC at ports 0x70/0x71 (vmm/dev_cmos.c): the memory size bytes for 512 MiB and for
 * 3 GiB, the status registers, the clock in BCD against this process's UTC time, the RAM
 * bytes kept and the read-only ones not, the index port and wide accesses.
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
	/* Status C and D, and the clock, are not written. */
	pio_out(&vb, 0x70, 1, 0x0D);
	pio_out(&vb, 0x71, 1, 0x00);
	assert_int_equal(rd(&vb, 0x0D), 0x80);
	pio_out(&vb, 0x70, 1, 0x09);
	pio_out(&vb, 0x71, 1, 0x99);
	assert_int_equal(from_bcd(rd(&vb, 0x09)), tm.tm_year % 100);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_memory_bytes),
		cmocka_unit_test(test_clock_and_ram),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
