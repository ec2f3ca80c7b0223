// SPDX-License-Identifier: MIT
/*
 * tdx_enable() on the 2-socket, 224-LP, 1 TiB preset. Sparse: the host never touches the
 * 4 GiB of PAMT, and the module writes only the PAMT entries of reserved pages, so the
 * RAM actually backed afterwards is about 1/256 of the reserved memory (the PAMT itself).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cmocka.h>

#include "host/page_alloc.h"
#include "host/tdx_host.h"

#include "host_test.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_enable_224lp_1t(void **state)
{
	uint64_t resident_before, touched, pamt;
	double t;

	(void)state;
	assert_int_equal(host_test_boot_preset("2s-224lp-1t"), 0);
	assert_int_equal(platform_nr_online_lps(), 224);
	resident_before = phys_resident_bytes();

	t = now();
	assert_int_equal(tdx_enable(), 0);
	t = now() - t;

	assert_true(log_has("tdx: 3 TDMRs cover 1024.0 GiB, PAMT 4.0 GiB"));
	assert_true(log_has("tdx: module initialized"));
	pamt = tdx_pamt_bytes();
	/* 1 TiB / 4K * 16 B, plus the 2M and 1G levels, per TDMR */
	assert_true(pamt >= (4104ULL << 20) && pamt < (4105ULL << 20));
	touched = phys_resident_bytes() - resident_before;
	print_message("tdx_enable: %.3f s, RAM touched %.1f MiB for %.1f MiB of PAMT\n", t,
		      (double)touched / (1 << 20), (double)pamt / (1 << 20));
	/* the 4K PAMT entries of the PAMT's own pages (reserved), and a page or two more */
	assert_true(touched <= pamt / 256 + (1 << 20));
	/* the target is 1 s; allow for sanitizers and a loaded machine */
	assert_true(t < 10.0);
	for (unsigned int i = 0; i < 224; i++)
		assert_true(tdx_cpu_initialized(i));
	assert_int_equal(tdx_pamt_check(NULL, 0), 0);
	host_test_shutdown();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_enable_224lp_1t, host_test_teardown),
	};

	return cmocka_run_group_tests_name("host_big", tests, NULL, NULL);
}
