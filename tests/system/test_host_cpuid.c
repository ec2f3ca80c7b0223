// SPDX-License-Identifier: MIT
/*
 * The CPU the module samples on the system backend (system_host_cpuid(), platform/system):
 * the host's CPUID without what QEMU 7.2's TCG lacks or gets wrong, CPUID.1:ECX.CX16 (13) and
 * PCID (17) and CPUID.7.0:EBX.INVPCID (10), every other register and bit the host's. No QEMU.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "platform/platform.h"
#include "platform/system/system.h"

static void expect_leaf(uint32_t leaf, uint32_t sub, const uint32_t cleared[4])
{
	uint32_t h[4], s[4];

	host_cpuid(leaf, sub, h);
	system_host_cpuid(leaf, sub, s);
	for (int k = 0; k < 4; k++)
		assert_int_equal(s[k], h[k] & ~cleared[k]);
}

static void test_hidden_bits(void **state)
{
	static const uint32_t none[4] = {0}, l1[4] = {0, 0, 1U << 13 | 1U << 17, 0},
			      l7[4] = {0, 1U << 10, 0, 0};

	(void)state;
	expect_leaf(0, 0, none);
	expect_leaf(1, 0, l1);
	expect_leaf(7, 0, l7);
	expect_leaf(7, 1, none);
	expect_leaf(0xd, 0, none);
	expect_leaf(0x80000001, 0, none);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hidden_bits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
