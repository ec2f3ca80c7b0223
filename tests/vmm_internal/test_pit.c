// SPDX-License-Identifier: MIT
/*
 * The i8254 PIT at 0x40-0x43 and port 0x61 (vmm/dev_pit.c) on a clock the test sets: counts,
 * outputs and status bytes at exact ticks of PIT_HZ in modes 0, 2 and 3; LSB, MSB and
 * LSB-then-MSB access; the counter latch and read-back commands; channel 2's gate and output
 * through port 0x61; BCD; and Linux's quick PIT calibration sequence.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "vmm/devices.h"
#include "vmm_test.h"

struct fixture {
	struct vmm_bus vb;
	struct pit *pit;
	uint64_t now; /* ns */
};

static uint64_t fake_clock(void *opaque)
{
	return ((struct fixture *)opaque)->now;
}

/* The first nanosecond at which `ticks` ticks of PIT_HZ have passed since the start. */
static void at_tick(struct fixture *f, uint64_t ticks)
{
	f->now = (ticks * 1000000000ULL + PIT_HZ - 1) / PIT_HZ;
}

static int setup(void **state)
{
	static struct fixture f;

	memset(&f, 0, sizeof(f));
	assert_int_equal(vmm_bus_init(&f.vb), 0);
	f.pit = pit_create(&f.vb, fake_clock, &f);
	assert_non_null(f.pit);
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	pit_destroy(f->pit);
	/* the ports are free again */
	assert_int_equal(pio_in(&f->vb, PIT_PORT_COUNTER0, 1), 0xFF);
	assert_int_equal(f->vb.pio.unclaimed, 1);
	vmm_bus_destroy(&f->vb);
	return 0;
}

static uint8_t in8(struct fixture *f, uint16_t port)
{
	return (uint8_t)pio_in(&f->vb, port, 1);
}

static void out8(struct fixture *f, uint16_t port, uint8_t v)
{
	pio_out(&f->vb, port, 1, v);
}

/* A counter read LSB then MSB (RW 3). */
static uint16_t read16(struct fixture *f, unsigned int ch)
{
	uint8_t lo = in8(f, (uint16_t)(PIT_PORT_COUNTER0 + ch));

	return (uint16_t)(lo | in8(f, (uint16_t)(PIT_PORT_COUNTER0 + ch)) << 8);
}

/* The read-back command's status byte of one channel. */
static uint8_t status(struct fixture *f, unsigned int ch)
{
	out8(f, PIT_PORT_CONTROL, (uint8_t)(0xC0 | PIT_READBACK_NO_COUNT | 2U << ch));
	return in8(f, (uint16_t)(PIT_PORT_COUNTER0 + ch));
}

/* Mode 0 on channel 2, LSB then MSB: counts down from the count, OUT high at 0, wraps. */
static void test_mode0(void **state)
{
	struct fixture *f = *state;

	out8(f, PIT_PORT_61, PIT_61_GATE2);
	out8(f, PIT_PORT_CONTROL, 0xB0); /* channel 2, LSB then MSB, mode 0, binary */
	assert_int_equal(status(f, 2), PIT_STATUS_NULL_COUNT | 0x30); /* OUT low, no count */
	out8(f, 0x42, 0x34);
	assert_int_equal(status(f, 2), PIT_STATUS_NULL_COUNT | 0x30); /* half a count */
	out8(f, 0x42, 0x12);
	assert_int_equal(status(f, 2), 0x30);
	assert_int_equal(read16(f, 2), 0x1234);
	at_tick(f, 0x34);
	assert_int_equal(read16(f, 2), 0x1200);
	at_tick(f, 0x1233);
	assert_int_equal(read16(f, 2), 1);
	assert_int_equal(status(f, 2), 0x30);
	assert_int_equal(in8(f, PIT_PORT_61) & PIT_61_OUT2, 0);
	at_tick(f, 0x1234);
	assert_int_equal(read16(f, 2), 0);
	assert_int_equal(status(f, 2), PIT_STATUS_OUT | 0x30);
	assert_int_equal(in8(f, PIT_PORT_61) & PIT_61_OUT2, PIT_61_OUT2);
	at_tick(f, 0x1235);
	assert_int_equal(read16(f, 2), 0xFFFF); /* it keeps counting, OUT stays high */
	assert_int_equal(status(f, 2), PIT_STATUS_OUT | 0x30);
	/* a new control word: OUT low again, the counter holds until a count is written */
	out8(f, PIT_PORT_CONTROL, 0xB0);
	at_tick(f, 0x2000);
	assert_int_equal(read16(f, 2), 0xFFFF);
	assert_int_equal(status(f, 2), PIT_STATUS_NULL_COUNT | 0x30);
	assert_int_equal(in8(f, PIT_PORT_CONTROL), 0xFF); /* write only */
}

/* Mode 2 on channel 0: N down to 1, OUT low for the tick at 1; the counter latch command. */
static void test_mode2_latch(void **state)
{
	struct fixture *f = *state;

	out8(f, PIT_PORT_CONTROL, 0x34); /* channel 0, LSB then MSB, mode 2 */
	out8(f, 0x40, 0x00);
	out8(f, 0x40, 0x10);
	at_tick(f, 0x100);
	out8(f, PIT_PORT_CONTROL, 0x00); /* latch channel 0 */
	at_tick(f, 0x110);
	out8(f, PIT_PORT_CONTROL, 0x00); /* a second latch before the read is ignored */
	assert_int_equal(read16(f, 0), 0x0F00);
	assert_int_equal(read16(f, 0), 0x0EF0); /* the live counter again */
	at_tick(f, 0xFFE);
	assert_int_equal(read16(f, 0), 2);
	assert_int_equal(status(f, 0), PIT_STATUS_OUT | 0x34);
	at_tick(f, 0xFFF);
	assert_int_equal(read16(f, 0), 1);
	assert_int_equal(status(f, 0), 0x34);
	at_tick(f, 0x1000);
	assert_int_equal(read16(f, 0), 0x1000); /* reloaded */
	assert_int_equal(status(f, 0), PIT_STATUS_OUT | 0x34);
	at_tick(f, 0x1005);
	assert_int_equal(read16(f, 0), 0x0FFB);
	/* mode 6 is mode 2 */
	out8(f, PIT_PORT_CONTROL, 0x3C);
	assert_int_equal(status(f, 0), PIT_STATUS_OUT | PIT_STATUS_NULL_COUNT | 0x34);
}

/* Mode 3 on channel 1: down by 2, OUT high for the first half of the period. */
static void test_mode3(void **state)
{
	struct fixture *f = *state;

	out8(f, PIT_PORT_CONTROL, 0x76); /* channel 1, LSB then MSB, mode 3 */
	out8(f, 0x41, 16);
	out8(f, 0x41, 0);
	assert_int_equal(read16(f, 1), 16);
	at_tick(f, 3);
	assert_int_equal(read16(f, 1), 10);
	assert_int_equal(status(f, 1), PIT_STATUS_OUT | 0x36);
	at_tick(f, 7);
	assert_int_equal(status(f, 1), PIT_STATUS_OUT | 0x36);
	at_tick(f, 8);
	assert_int_equal(read16(f, 1), 16);
	assert_int_equal(status(f, 1), 0x36);
	at_tick(f, 16);
	assert_int_equal(status(f, 1), PIT_STATUS_OUT | 0x36);
}

/* LSB only and MSB only: one byte per access, the other byte of the count 0. */
static void test_lsb_msb_only(void **state)
{
	struct fixture *f = *state;

	out8(f, PIT_PORT_61, PIT_61_GATE2);
	out8(f, PIT_PORT_CONTROL, 0x90); /* channel 2, LSB only, mode 0 */
	out8(f, 0x42, 0x20);
	assert_int_equal(status(f, 2), 0x10);
	assert_int_equal(in8(f, 0x42), 0x20);
	assert_int_equal(in8(f, 0x42), 0x20);
	at_tick(f, 0x10);
	assert_int_equal(in8(f, 0x42), 0x10);
	out8(f, PIT_PORT_CONTROL, 0xA0); /* MSB only */
	out8(f, 0x42, 0x12);
	assert_int_equal(in8(f, 0x42), 0x12);
	at_tick(f, 0x10 + 0x100);
	assert_int_equal(in8(f, 0x42), 0x11);
	out8(f, PIT_PORT_CONTROL, 0x80); /* latch: one byte, the MSB */
	at_tick(f, 0x10 + 0x300);
	assert_int_equal(in8(f, 0x42), 0x11);
	assert_int_equal(in8(f, 0x42), 0x0F);
}

/* Read-back of count and status together: the status first, then the count's bytes. */
static void test_readback(void **state)
{
	struct fixture *f = *state;

	out8(f, PIT_PORT_61, PIT_61_GATE2);
	out8(f, PIT_PORT_CONTROL, 0xB0);
	out8(f, 0x42, 0x00);
	out8(f, 0x42, 0x80);
	at_tick(f, 0x80);
	out8(f, PIT_PORT_CONTROL, 0xC8); /* read-back: count and status of channel 2 */
	at_tick(f, 0x90);
	assert_int_equal(in8(f, 0x42), 0x30);
	assert_int_equal(read16(f, 2), 0x7F80);
	assert_int_equal(read16(f, 2), 0x7F70);
	/* one read-back latches channels 0 and 2 and leaves 1 alone */
	out8(f, PIT_PORT_CONTROL, 0x34);
	out8(f, 0x40, 0x00);
	out8(f, 0x40, 0x01);
	out8(f, PIT_PORT_CONTROL, 0xC0 | PIT_READBACK_NO_STATUS | 0x0A);
	at_tick(f, 0xA0);
	assert_int_equal(read16(f, 2), 0x7F70);
	assert_int_equal(read16(f, 0), 0x0100);
	assert_int_equal(read16(f, 0), 0x00F0);
}

/* Port 0x61: the gate and speaker bits read back, OUT2 and the refresh toggle read only. */
static void test_port61(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(in8(f, PIT_PORT_61), 0x00);
	f->now = 15085;
	assert_int_equal(in8(f, PIT_PORT_61), PIT_61_REFRESH);
	f->now = 2 * 15085;
	out8(f, PIT_PORT_61, 0xFF);
	assert_int_equal(in8(f, PIT_PORT_61), 0x0F); /* from reset as in mode 0: OUT low */
	out8(f, PIT_PORT_61, 0x02);
	assert_int_equal(in8(f, PIT_PORT_61), 0x02);
	out8(f, PIT_PORT_CONTROL, 0xB6); /* mode 3: OUT high */
	assert_int_equal(in8(f, PIT_PORT_61), 0x02 | PIT_61_OUT2);
	out8(f, PIT_PORT_CONTROL, 0xB0); /* mode 0: OUT low */
	assert_int_equal(in8(f, PIT_PORT_61), 0x02);
}

/* Channel 2's gate: mode 0 holds while it is low; mode 2 restarts on its rising edge. */
static void test_gate(void **state)
{
	struct fixture *f = *state;

	out8(f, PIT_PORT_61, 0);
	out8(f, PIT_PORT_CONTROL, 0xB0);
	out8(f, 0x42, 0x00);
	out8(f, 0x42, 0x10);
	at_tick(f, 0x100);
	assert_int_equal(read16(f, 2), 0x1000);
	out8(f, PIT_PORT_61, PIT_61_GATE2);
	at_tick(f, 0x110);
	assert_int_equal(read16(f, 2), 0x0FF0);
	out8(f, PIT_PORT_61, 0);
	at_tick(f, 0x500);
	assert_int_equal(read16(f, 2), 0x0FF0);
	out8(f, PIT_PORT_61, PIT_61_GATE2);
	at_tick(f, 0x501);
	assert_int_equal(read16(f, 2), 0x0FEF);

	out8(f, PIT_PORT_CONTROL, 0xB4); /* mode 2 */
	out8(f, 0x42, 0x00);
	out8(f, 0x42, 0x01);
	at_tick(f, 0x511);
	assert_int_equal(read16(f, 2), 0x00F0);
	out8(f, PIT_PORT_61, 0); /* stops counting, OUT high */
	at_tick(f, 0x5FF);
	assert_int_equal(read16(f, 2), 0x00F0);
	assert_int_equal(status(f, 2), PIT_STATUS_OUT | 0x34);
	out8(f, PIT_PORT_61, PIT_61_GATE2); /* the rising edge reloads */
	at_tick(f, 0x600);
	assert_int_equal(read16(f, 2), 0x00FF);
}

/* BCD: the count is four decimal digits, 0 is 10000. */
static void test_bcd(void **state)
{
	struct fixture *f = *state;

	out8(f, PIT_PORT_61, PIT_61_GATE2);
	out8(f, PIT_PORT_CONTROL, 0xB1);
	out8(f, 0x42, 0x00);
	out8(f, 0x42, 0x10);
	at_tick(f, 1);
	assert_int_equal(read16(f, 2), 0x0999);
	at_tick(f, 1000);
	assert_int_equal(read16(f, 2), 0x0000);
	at_tick(f, 1001);
	assert_int_equal(read16(f, 2), 0x9999);
	assert_int_equal(status(f, 2), PIT_STATUS_OUT | 0x31);
}

/*
 * Linux's quick_pit_calibrate(): gate high and speaker off through 0x61, channel 2 in mode 0
 * with 0xFFFF, then pairs of reads (LSB ignored) whose MSB falls by one every 256 ticks.
 */
static void test_linux_calibration(void **state)
{
	struct fixture *f = *state;

	out8(f, PIT_PORT_61, (uint8_t)((in8(f, PIT_PORT_61) & ~0x02) | 0x01));
	out8(f, PIT_PORT_CONTROL, 0xB0);
	out8(f, 0x42, 0xFF);
	out8(f, 0x42, 0xFF);
	for (unsigned int i = 0; i < 4; i++) {
		at_tick(f, 256 * i + 1);
		(void)in8(f, 0x42);
		assert_int_equal(in8(f, 0x42), 0xFF - i);
		at_tick(f, 256 * i + 255);
		(void)in8(f, 0x42);
		assert_int_equal(in8(f, 0x42), 0xFF - i);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_mode0, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mode2_latch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mode3, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lsb_msb_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_readback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_port61, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bcd, setup, teardown),
		cmocka_unit_test_setup_teardown(test_linux_calibration, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
