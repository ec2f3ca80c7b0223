// SPDX-License-Identifier: MIT
/*
 * struct vmm_td_config.max_vcpus: TD_PARAMS.MAX_VCPUS from the VMM library. 0 keeps the
 * VMM's old value (nr_vcpus); a value below nr_vcpus or above 16 bits is refused by the VMM,
 * one above the module's MAX_VCPUS_PER_TD (1024) by TDH.MNG.INIT. The guest reads the TD's
 * NUM_VCPUS and MAX_VCPUS with TDG.VP.INFO.
 *
 * Argument: vp_info.elf
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <tdx/status.h>
#include <tdxsim/tdxsim.h>
#include <tdxsim/vmm.h>

#include "tests/support/vmm_machine.h"

static const char *guest_elf;

/* Run the guest with nr_vcpus = 1 and max_vcpus: it prints want and exits with 0. */
static void run(unsigned int max_vcpus, const char *want)
{
	struct vmm_td_config cfg;
	struct serial_capture out = {0};
	struct vmm_td *td = NULL;
	char err[256] = "";

	vmm_td_config_default(&cfg);
	cfg.max_vcpus = max_vcpus;
	cfg.serial = serial_capture_sink;
	cfg.serial_opaque = &out;
	tdxsim_claim_signals();
	assert_int_equal(vmm_td_create(&cfg, guest_elf, &td, err, sizeof(err)), 0);
	assert_int_equal(vmm_td_run(td), 0);
	assert_int_equal(vmm_td_result(td)->exit_status, 0);
	assert_string_equal(out.buf, want);
	vmm_td_destroy(td);
}

static void test_default_is_nr_vcpus(void **state)
{
	(void)state;
	run(0, "vcpus 1 max 1\n");
}

static void test_max_vcpus_chosen(void **state)
{
	(void)state;
	run(16, "vcpus 1 max 16\n");
	run(1024, "vcpus 1 max 1024\n");
}

static void test_max_vcpus_refused(void **state)
{
	struct vmm_td_config cfg;
	struct vmm_td *td = NULL;
	char err[256] = "", want[256];

	(void)state;
	tdxsim_claim_signals();
	vmm_td_config_default(&cfg);
	cfg.nr_vcpus = 2;
	cfg.max_vcpus = 1;
	assert_int_equal(vmm_td_create(&cfg, guest_elf, &td, err, sizeof(err)), -EINVAL);
	assert_null(td);
	assert_string_equal(err, "max-vcpus: 1 is not in 2..65535");
	cfg.max_vcpus = 65536;
	assert_int_equal(vmm_td_create(&cfg, guest_elf, &td, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "max-vcpus: 65536 is not in 2..65535");

	/* the module's own limit (MAX_VCPUS_PER_TD = 1024) */
	vmm_td_config_default(&cfg);
	cfg.max_vcpus = 1025;
	assert_int_equal(vmm_td_create(&cfg, guest_elf, &td, err, sizeof(err)), -EIO);
	assert_null(td);
	snprintf(want, sizeof(want), "TDH.MNG.INIT failed: status 0x%016llx (extended info 0x0)",
		 (unsigned long long)(TDX_OPERAND_INVALID + TDX_OPERAND_ID_MAX_VCPUS));
	assert_string_equal(err, want);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_is_nr_vcpus),
		cmocka_unit_test(test_max_vcpus_chosen),
		cmocka_unit_test(test_max_vcpus_refused),
	};

	if (argc != 2) {
		fprintf(stderr, "usage: %s vp_info.elf\n", argv[0]);
		return 2;
	}
	guest_elf = argv[1];
	return cmocka_run_group_tests(tests, vmm_machine_setup, vmm_machine_teardown);
}
