// SPDX-License-Identifier: MIT
/*
 * The guest runtime's own services in a real TD (guests built with the SDK, run on the real
 * module through the VMM library): tdx_printf's formats (printf_guest.c).
 *
 * Arguments: printf_guest.elf
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <tdxsim/vmm.h>

#include "platform/platform.h"
#include "tests/guest/printf_cases.h"
#include "tests/support/vmm_machine.h"

static const char *printf_elf;

/* Build and run @elf with @nr_vcpus; its serial output in @serial. */
static struct vmm_td *run(const char *elf, unsigned nr_vcpus, struct serial_capture *serial)
{
	struct vmm_td_config cfg;
	struct vmm_td *td = NULL;
	char err[256] = "";

	platform_claim_signals();
	memset(serial, 0, sizeof(*serial));
	vmm_td_config_default(&cfg);
	cfg.nr_vcpus = nr_vcpus;
	cfg.serial = serial_capture_sink;
	cfg.serial_opaque = serial;
	if (vmm_td_create(&cfg, elf, &td, err, sizeof(err)))
		fail_msg("vmm_td_create(%s): %s", elf, err);
	assert_int_equal(vmm_td_run(td), 0);
	return td;
}

static void expect_poweroff(struct vmm_td *td, int status)
{
	const struct vmm_td_result *res = vmm_td_result(td);

	if (res->reason != VMM_STOP_POWEROFF || res->exit_status != status)
		fail_msg("stop %s status %d \"%s\", want POWEROFF %d",
			 vmm_stop_reason_name(res->reason), res->exit_status, res->message, status);
}

#define HOST_PRINT(...)                                                                            \
	do {                                                                                       \
		char line[512];                                                                    \
		int n = snprintf(line, sizeof(line), __VA_ARGS__);                                 \
		len += (size_t)snprintf(want + len, sizeof(want) - len, "%s=%d\n", line, n);       \
	} while (0);

/* tdx_printf in the TD prints what the host's snprintf prints, and returns the same count. */
static void test_printf(void **state)
{
	static struct serial_capture serial;
	static char want[4096];
	size_t len = 0;
	struct vmm_td *td;

	(void)state;
	PRINTF_CASES(HOST_PRINT)
	assert_true(len < sizeof(serial.buf) - 1);
	td = run(printf_elf, 1, &serial);
	expect_poweroff(td, 0);
	assert_string_equal(serial.buf, want);
	vmm_td_destroy(td);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_printf),
	};

	if (argc != 2) {
		fprintf(stderr, "usage: %s printf_guest.elf\n", argv[0]);
		return 2;
	}
	printf_elf = argv[1];
	return cmocka_run_group_tests(tests, vmm_machine_setup, vmm_machine_teardown);
}
