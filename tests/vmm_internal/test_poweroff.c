// SPDX-License-Identifier: MIT
/* The exit-status port 0xF4 and the ACPI PM1a control port 0x604. */
#include <errno.h>
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
	struct poweroff_dev *p;
	int calls;
	int status;
};

static void stop_cb(void *opaque, int status)
{
	struct fixture *f = opaque;

	f->calls++;
	f->status = status;
}

static int setup(void **state)
{
	static struct fixture f;

	memset(&f, 0, sizeof(f));
	assert_int_equal(vmm_bus_init(&f.vb), 0);
	f.p = poweroff_create(&f.vb, stop_cb, &f);
	assert_non_null(f.p);
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	poweroff_destroy(f->p);
	vmm_bus_destroy(&f->vb);
	return 0;
}

static void test_exit_port(void **state)
{
	struct fixture *f = *state;

	pio_out(&f->vb, TDXSIM_EXIT_PORT, 4, 3);
	assert_int_equal(f->calls, 1);
	assert_int_equal(f->status, 3);
	pio_out(&f->vb, TDXSIM_EXIT_PORT, 4, 0xFFFFFFFF);
	assert_int_equal(f->calls, 2);
	assert_int_equal(f->status, -1);
	pio_out(&f->vb, TDXSIM_EXIT_PORT, 1, 0x7);
	assert_int_equal(f->calls, 3);
	assert_int_equal(f->status, 7);
	/* a write into the middle of the port range is no status */
	pio_out(&f->vb, TDXSIM_EXIT_PORT + 1, 1, 0x9);
	assert_int_equal(f->calls, 3);
	assert_int_equal(pio_in(&f->vb, TDXSIM_EXIT_PORT, 4), 0xFFFFFFFF);
}

static void test_acpi_poweroff(void **state)
{
	struct fixture *f = *state;

	/* SLP_TYP != 0 is a sleep state, not power-off */
	pio_out(&f->vb, TDXSIM_PM1A_CNT_PORT, 2, TDXSIM_PM1A_SLP_EN | (1 << 10));
	assert_int_equal(f->calls, 0);
	/* SLP_EN reads back as 0, SLP_TYP as written */
	assert_int_equal(pio_in(&f->vb, TDXSIM_PM1A_CNT_PORT, 2), 1 << 10);
	/* without SLP_EN nothing happens */
	pio_out(&f->vb, TDXSIM_PM1A_CNT_PORT, 2, 0);
	assert_int_equal(f->calls, 0);
	pio_out(&f->vb, TDXSIM_PM1A_CNT_PORT, 2, TDXSIM_PM1A_SLP_EN);
	assert_int_equal(f->calls, 1);
	assert_int_equal(f->status, 0);
	/* the SDK's sequence for a failure: status first, then power-off carries it */
	pio_out(&f->vb, TDXSIM_EXIT_PORT, 4, 42);
	pio_out(&f->vb, TDXSIM_PM1A_CNT_PORT, 2, TDXSIM_PM1A_SLP_EN);
	assert_int_equal(f->calls, 3);
	assert_int_equal(f->status, 42);
	/* a byte write of the high half (0x20 at 0x605) is the same request */
	pio_out(&f->vb, TDXSIM_PM1A_CNT_PORT + 1, 1, 0x20);
	assert_int_equal(f->calls, 4);
	assert_int_equal(pio_in(&f->vb, TDXSIM_PM1A_CNT_PORT, 2), 0);
}

static void test_ports_taken(void **state)
{
	struct fixture *f = *state;

	assert_null(poweroff_create(&f->vb, stop_cb, f));
	assert_int_equal(f->vb.pio.nr, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_exit_port, setup, teardown),
		cmocka_unit_test_setup_teardown(test_acpi_poweroff, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ports_taken, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
