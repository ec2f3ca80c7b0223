// SPDX-License-Identifier: MIT
/* The device bus: registration, conflicts, lookup, dispatch and unclaimed accesses. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "vmm/bus.h"

struct rec {
	uint64_t off;
	unsigned size;
	bool write;
	uint64_t wval;
	int calls;
	uint64_t rval;
};

static void rec_handler(void *opaque, uint64_t off, void *data, unsigned size, bool write)
{
	struct rec *r = opaque;

	r->off = off;
	r->size = size;
	r->write = write;
	r->calls++;
	if (write)
		r->wval = bus_data_get(data, size);
	else
		bus_data_set(data, size, r->rval);
}

static int setup(void **state)
{
	static struct vmm_bus vb;

	assert_int_equal(vmm_bus_init(&vb), 0);
	*state = &vb;
	return 0;
}

static int teardown(void **state)
{
	vmm_bus_destroy(*state);
	return 0;
}

static void test_register_and_conflicts(void **state)
{
	struct vmm_bus *vb = *state;
	struct rec r = {0};

	assert_int_equal(vmm_bus_register_pio(vb, 0x100, 8, rec_handler, &r, "a"), 0);
	/* any overlap: same base, inside, straddling either end, covering */
	assert_int_equal(vmm_bus_register_pio(vb, 0x100, 1, rec_handler, &r, "b"), -EEXIST);
	assert_int_equal(vmm_bus_register_pio(vb, 0x104, 2, rec_handler, &r, "b"), -EEXIST);
	assert_int_equal(vmm_bus_register_pio(vb, 0x0FF, 2, rec_handler, &r, "b"), -EEXIST);
	assert_int_equal(vmm_bus_register_pio(vb, 0x107, 4, rec_handler, &r, "b"), -EEXIST);
	assert_int_equal(vmm_bus_register_pio(vb, 0x0F0, 0x20, rec_handler, &r, "b"), -EEXIST);
	/* adjacent ranges are fine */
	assert_int_equal(vmm_bus_register_pio(vb, 0x0F8, 8, rec_handler, &r, "c"), 0);
	assert_int_equal(vmm_bus_register_pio(vb, 0x108, 8, rec_handler, &r, "d"), 0);
	assert_int_equal(vb->pio.nr, 3);
	/* bad ranges */
	assert_int_equal(vmm_bus_register_pio(vb, 0x200, 0, rec_handler, &r, "e"), -EINVAL);
	assert_int_equal(vmm_bus_register_pio(vb, 0xFFFF, 2, rec_handler, &r, "e"), -EINVAL);
	assert_int_equal(vmm_bus_register_pio(vb, 0x200, 1, NULL, &r, "e"), -EINVAL);
	assert_int_equal(vmm_bus_register_mmio(vb, UINT64_MAX, 2, rec_handler, &r, "e"), -EINVAL);
	assert_int_equal(vmm_bus_register_pio(vb, 0xFFFF, 1, rec_handler, &r, "top"), 0);
	/* the same address in the other space is independent */
	assert_int_equal(vmm_bus_register_mmio(vb, 0x100, 8, rec_handler, &r, "m"), 0);
	assert_int_equal(vmm_bus_register_mmio(vb, 0x100, 8, rec_handler, &r, "m"), -EEXIST);
}

static void test_find_and_unregister(void **state)
{
	struct vmm_bus *vb = *state;
	struct rec r = {0};
	const struct bus_range *br;

	assert_int_equal(vmm_bus_register_mmio(vb, 0xFEB00000, 0x1000, rec_handler, &r, "x"), 0);
	assert_int_equal(vmm_bus_register_mmio(vb, 0xFEB02000, 0x1000, rec_handler, &r, "y"), 0);
	br = bus_find(&vb->mmio, 0xFEB00FFF);
	assert_non_null(br);
	assert_string_equal(br->name, "x");
	assert_null(bus_find(&vb->mmio, 0xFEB01000));
	assert_null(bus_find(&vb->mmio, 0xFEAFFFFF));
	br = bus_find(&vb->mmio, 0xFEB02000);
	assert_non_null(br);
	assert_string_equal(br->name, "y");
	assert_int_equal(bus_unregister(&vb->mmio, 0xFEB00800), -ENOENT);
	assert_int_equal(bus_unregister(&vb->mmio, 0xFEB00000), 0);
	assert_null(bus_find(&vb->mmio, 0xFEB00000));
	assert_int_equal(bus_unregister(&vb->mmio, 0xFEB00000), -ENOENT);
	/* the space is free again */
	assert_int_equal(vmm_bus_register_mmio(vb, 0xFEB00000, 0x2000, rec_handler, &r, "z"), 0);
}

static void test_dispatch(void **state)
{
	struct vmm_bus *vb = *state;
	struct rec r = {.rval = 0x1122334455667788ULL};
	uint8_t data[8];

	assert_int_equal(vmm_bus_register_pio(vb, 0x3F8, 8, rec_handler, &r, "dev"), 0);
	bus_data_set(data, 2, 0xBEEF);
	assert_true(vmm_bus_pio(vb, 0x3FA, data, 2, true));
	assert_int_equal(r.off, 2);
	assert_int_equal(r.size, 2);
	assert_true(r.write);
	assert_int_equal(r.wval, 0xBEEF);
	memset(data, 0, sizeof(data));
	assert_true(vmm_bus_pio(vb, 0x3FC, data, 4, false));
	assert_int_equal(r.off, 4);
	assert_int_equal(bus_data_get(data, 4), 0x55667788);
	assert_int_equal(r.calls, 2);

	assert_int_equal(vmm_bus_register_mmio(vb, 0x10000, 0x100, rec_handler, &r, "m"), 0);
	memset(data, 0, sizeof(data));
	assert_true(vmm_bus_mmio(vb, 0x100F8, data, 8, false));
	assert_int_equal(r.off, 0xF8);
	assert_int_equal(bus_data_get(data, 8), 0x1122334455667788ULL);
}

static void test_unclaimed(void **state)
{
	struct vmm_bus *vb = *state;
	struct rec r = {0};
	uint8_t data[8];

	memset(data, 0, sizeof(data));
	assert_false(vmm_bus_pio(vb, 0x80, data, 1, false));
	assert_int_equal(data[0], 0xFF);
	assert_int_equal(data[1], 0); /* only @size bytes are touched */
	assert_false(vmm_bus_pio(vb, 0x80, data, 4, false));
	assert_int_equal(bus_data_get(data, 4), 0xFFFFFFFF);
	memset(data, 0, sizeof(data));
	assert_false(vmm_bus_mmio(vb, 0xC0000000, data, 8, false));
	assert_int_equal(bus_data_get(data, 8), UINT64_MAX);
	bus_data_set(data, 4, 0x12345678);
	assert_false(vmm_bus_pio(vb, 0x80, data, 4, true));
	assert_int_equal(bus_data_get(data, 4), 0x12345678); /* a dropped write changes nothing */
	assert_int_equal(vb->pio.unclaimed, 3);
	assert_int_equal(vb->mmio.unclaimed, 1);

	/* an access that runs off the end of its range is not the device's */
	assert_int_equal(vmm_bus_register_pio(vb, 0x60, 2, rec_handler, &r, "kbd"), 0);
	memset(data, 0, sizeof(data));
	assert_false(vmm_bus_pio(vb, 0x61, data, 2, false));
	assert_int_equal(bus_data_get(data, 2), 0xFFFF);
	assert_int_equal(r.calls, 0);
	assert_false(vmm_bus_pio(vb, 0x5F, data, 2, true));
	assert_int_equal(r.calls, 0);
}

static void test_data_helpers(void **state)
{
	uint8_t b[8] = {0};

	(void)state;
	bus_data_set(b, 8, 0x0807060504030201ULL);
	for (int i = 0; i < 8; i++)
		assert_int_equal(b[i], i + 1);
	assert_int_equal(bus_data_get(b, 1), 0x01);
	assert_int_equal(bus_data_get(b, 2), 0x0201);
	assert_int_equal(bus_data_get(b, 4), 0x04030201);
}

/* A handler that unregisters its own range while running (the bus lock is recursive). */
static struct vmm_bus *self_bus;
static void self_remove(void *opaque, uint64_t off, void *data, unsigned size, bool write)
{
	(void)opaque;
	(void)off;
	(void)data;
	(void)size;
	(void)write;
	assert_int_equal(bus_unregister(&self_bus->mmio, 0x5000), 0);
	assert_int_equal(vmm_bus_register_mmio(self_bus, 0x6000, 0x10, self_remove, NULL, "n"), 0);
}

static void test_reentrant(void **state)
{
	struct vmm_bus *vb = *state;
	uint8_t data[4] = {0};

	self_bus = vb;
	assert_int_equal(vmm_bus_register_mmio(vb, 0x5000, 0x10, self_remove, NULL, "s"), 0);
	assert_true(vmm_bus_mmio(vb, 0x5004, data, 4, true));
	assert_null(bus_find(&vb->mmio, 0x5000));
	assert_non_null(bus_find(&vb->mmio, 0x6000));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_register_and_conflicts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_find_and_unregister, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dispatch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unclaimed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reentrant, setup, teardown),
		cmocka_unit_test(test_data_helpers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
