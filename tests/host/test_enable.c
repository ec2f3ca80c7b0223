// SPDX-License-Identifier: MIT
/*
 * tdx_enable() on the small presets and on a machine with RAM holes: the module ends up
 * ready, the log says so in the kernel's words, and the PAMT memory is untouched by the
 * host.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "host/page_alloc.h"
#include "host/tdx_host.h"
#include "tdx/leaves.h"
#include "tdx/status.h"

#include "host_test.h"

static void enable_preset(const char *preset, const char *summary)
{
	uint64_t free_before;

	assert_int_equal(host_test_boot_preset(preset), 0);
	free_before = page_alloc_nr_free(NUMA_NO_NODE);
	assert_int_equal(tdx_enable(), 0);
	assert_int_equal(tdx_module_status(), TDX_MODULE_INITIALIZED);
	if (!log_has(summary))
		log_dump();
	assert_true(log_has(summary));
	assert_true(log_has("tdx: module initialized"));
	/* PAMT stays allocated; the TDMR_INFO list was given back */
	assert_int_equal(free_before - page_alloc_nr_free(NUMA_NO_NODE),
			 tdx_pamt_bytes() >> PAGE_SHIFT);
	for (unsigned int i = 0; i < platform_nr_lps(); i++)
		assert_true(tdx_cpu_initialized(i) == lp_is_online(i));
	/* again: nothing to do */
	assert_int_equal(tdx_enable(), 0);
	assert_int_equal(tdx_pamt_check(NULL, 0), 0);
	host_test_shutdown();
}

static void test_enable_tiny(void **state)
{
	(void)state;
	enable_preset("tiny", "tdx: 1 TDMR covers 1.0 GiB, PAMT 4.0 MiB");
}

static void test_enable_laptop(void **state)
{
	(void)state;
	enable_preset("laptop", "tdx: 2 TDMRs cover 16.0 GiB, PAMT 64.1 MiB");
}

/* RAM with holes that are not 1 GiB aligned: they become reserved areas. */
static void test_enable_holes(void **state)
{
	const uint64_t M = 1ULL << 20, G = 1ULL << 30;
	struct machine_config cfg;

	(void)state;
	assert_int_equal(machine_preset("tiny", &cfg), 0);
	cfg.nr_ram = 0;
	cfg.ram[cfg.nr_ram++] = (struct phys_range){0, 640 << 10, 0};
	cfg.ram[cfg.nr_ram++] = (struct phys_range){1 * M, 1536 * M - 1 * M, 0};
	cfg.ram[cfg.nr_ram++] = (struct phys_range){1792 * M, 256 * M, 0};
	cfg.ram[cfg.nr_ram++] = (struct phys_range){4 * G, 2560 * M, 0};
	cfg.ram[cfg.nr_ram++] = (struct phys_range){7 * G, 1 * G, 0};
	cfg.nr_cmrs = 0;
	assert_int_equal(host_test_boot(&cfg, NULL, true), 0);
	assert_int_equal(tdx_enable(), 0);
	/* [0, 2G) and [4G, 8G): the second one merges across the [6.5G, 7G) hole */
	if (!log_has("tdx: 2 TDMRs cover 6.0 GiB, PAMT 24.1 MiB"))
		log_dump();
	assert_true(log_has("tdx: 2 TDMRs cover 6.0 GiB, PAMT 24.1 MiB"));
	tdx_print_layout();
	assert_true(log_has("tdx:   reserved [0x000000000000, 0x000000100000) 1.0 MiB"));
	assert_true(log_has("tdx:   reserved [0x000060000000, 0x000070000000) 256.0 MiB"));
	assert_true(log_has("tdx:   reserved [0x0001a0000000, 0x0001c0000000) 512.0 MiB"));
	assert_int_equal(tdx_pamt_check(NULL, 0), 0);
	host_test_shutdown();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_enable_tiny, host_test_teardown),
		cmocka_unit_test_teardown(test_enable_laptop, host_test_teardown),
		cmocka_unit_test_teardown(test_enable_holes, host_test_teardown),
	};

	return cmocka_run_group_tests_name("host_enable", tests, NULL, NULL);
}
