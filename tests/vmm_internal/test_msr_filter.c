// SPDX-License-Identifier: MIT
/* The MSR filter (allow/deny rules, default action) and the per-vCPU MSR store. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "vmm/msr_filter.h"

static void test_default_action(void **state)
{
	struct msr_filter f;

	(void)state;
	msr_filter_init(&f, MSR_FILTER_ALLOW);
	assert_true(msr_filter_allowed(&f, 0x10, false));
	assert_true(msr_filter_allowed(&f, 0xC0000080, true));
	msr_filter_init(&f, MSR_FILTER_DENY);
	assert_false(msr_filter_allowed(&f, 0x10, false));
	assert_false(msr_filter_allowed(&f, 0x10, true));
}

static void test_rules(void **state)
{
	struct msr_filter f;

	(void)state;
	msr_filter_init(&f, MSR_FILTER_DENY);
	assert_int_equal(msr_filter_add(&f, 0x800, 0x100, MSR_FILTER_RW, MSR_FILTER_ALLOW), 0);
	assert_int_equal(
		msr_filter_add(&f, MSR_IA32_APIC_BASE, 1, MSR_FILTER_READ, MSR_FILTER_ALLOW), 0);
	assert_true(msr_filter_allowed(&f, 0x800, false));
	assert_true(msr_filter_allowed(&f, 0x8FF, true));
	assert_false(msr_filter_allowed(&f, 0x900, false));
	assert_false(msr_filter_allowed(&f, 0x7FF, false));
	/* read-only rule: writes fall through to the default */
	assert_true(msr_filter_allowed(&f, MSR_IA32_APIC_BASE, false));
	assert_false(msr_filter_allowed(&f, MSR_IA32_APIC_BASE, true));
	/* first match wins: an earlier deny shadows a later allow */
	msr_filter_init(&f, MSR_FILTER_ALLOW);
	assert_int_equal(msr_filter_add(&f, 0x10, 1, MSR_FILTER_WRITE, MSR_FILTER_DENY), 0);
	assert_int_equal(msr_filter_add(&f, 0x0, 0x100, MSR_FILTER_RW, MSR_FILTER_ALLOW), 0);
	assert_false(msr_filter_allowed(&f, 0x10, true));
	assert_true(msr_filter_allowed(&f, 0x10, false));
	/* bad rules */
	assert_int_equal(msr_filter_add(&f, 0, 0, MSR_FILTER_RW, MSR_FILTER_ALLOW), -EINVAL);
	assert_int_equal(msr_filter_add(&f, 0xFFFFFFFF, 2, MSR_FILTER_RW, MSR_FILTER_ALLOW),
			 -EINVAL);
	assert_int_equal(msr_filter_add(&f, 0, 1, 0, MSR_FILTER_ALLOW), -EINVAL);
	assert_int_equal(msr_filter_add(&f, 0, 1, 4, MSR_FILTER_ALLOW), -EINVAL);
	assert_int_equal(msr_filter_add(&f, 0xFFFFFFFF, 1, MSR_FILTER_RW, MSR_FILTER_ALLOW), 0);
	for (size_t i = f.nr_rules; i < MSR_FILTER_MAX_RULES; i++)
		assert_int_equal(msr_filter_add(&f, 0, 1, MSR_FILTER_RW, MSR_FILTER_ALLOW), 0);
	assert_int_equal(msr_filter_add(&f, 0, 1, MSR_FILTER_RW, MSR_FILTER_ALLOW), -ENOSPC);
}

static void test_store_defaults(void **state)
{
	struct msr_store s;
	uint64_t v;

	(void)state;
	msr_store_init(&s, 0);
	assert_int_equal(msr_store_get(&s, MSR_IA32_APIC_BASE, &v), 0);
	assert_int_equal(v, 0xFEE00D00); /* enabled, x2APIC, BSP */
	assert_int_equal(msr_store_get(&s, MSR_IA32_UCODE_REV, &v), 0);
	assert_int_equal(v, 0x100000000ULL);
	assert_int_equal(msr_store_get(&s, MSR_IA32_MISC_ENABLE, &v), 0);
	assert_int_equal(v, 0x1800);
	assert_int_equal(msr_store_get(&s, MSR_IA32_CR_PAT, &v), 0);
	assert_int_equal(v, 0x0007040600070406ULL);
	assert_int_equal(msr_store_get(&s, MSR_IA32_TSC_DEADLINE, &v), 0);
	assert_int_equal(v, 0);
	v = 1;
	assert_int_equal(msr_store_get(&s, MSR_X2APIC_ICR, &v), 0); /* the last ICR written */
	assert_int_equal(v, 0);
	/* machine check as KVM has it for a TD: 10 banks, MCG_CTL_P, MCG_SER_P */
	assert_int_equal(msr_store_get(&s, MSR_IA32_MCG_CAP, &v), 0);
	assert_int_equal(v, 0x100010A);
	assert_int_equal(msr_store_get(&s, MSR_IA32_MCG_STATUS, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(msr_store_get(&s, MSR_IA32_MCG_CTL, &v), 0);
	assert_int_equal(v, UINT64_MAX);
	assert_int_equal(msr_store_get(&s, 0x424, &v), 0); /* MC9_CTL */
	assert_int_equal(v, UINT64_MAX);
	v = 1;
	assert_int_equal(msr_store_get(&s, 0x425, &v), 0); /* MC9_STATUS */
	assert_int_equal(v, 0);
	assert_int_equal(msr_store_get(&s, 0x427, &v), 0); /* MC9_MISC */
	assert_int_equal(v, 0);
	assert_int_equal(msr_store_get(&s, 0x428, &v), -ENOENT); /* no bank 10 */
	v = 1;
	assert_int_equal(msr_store_get(&s, MSR_IA32_MTRRCAP, &v), 0); /* MTRRs off */
	assert_int_equal(v, 0);
	v = 1;
	assert_int_equal(msr_store_get(&s, MSR_IA32_MTRR_DEF_TYPE, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(msr_store_get(&s, 0x10, &v), -ENOENT);
	msr_store_init(&s, 1);
	assert_int_equal(msr_store_get(&s, MSR_IA32_APIC_BASE, &v), 0);
	assert_int_equal(v, 0xFEE00C00); /* an AP */
	assert_int_equal(s.nr, 51);
	for (uint32_t m = 0x100; s.nr < MSR_STORE_MAX; m++)
		assert_int_equal(msr_store_set(&s, m, m), 0);
	assert_int_equal(msr_store_set(&s, 0x1, 0), -ENOSPC);
	assert_int_equal(msr_store_set(&s, 0x100, 7), 0); /* update needs no room */
	assert_int_equal(msr_store_get(&s, 0x100, &v), 0);
	assert_int_equal(v, 7);
}

static void test_read_write_through_filter(void **state)
{
	struct msr_filter f;
	struct msr_store s;
	uint64_t v = 0x55;

	(void)state;
	msr_filter_init(&f, MSR_FILTER_ALLOW);
	assert_int_equal(msr_filter_add(&f, MSR_IA32_CR_PAT, 1, MSR_FILTER_RW, MSR_FILTER_DENY), 0);
	msr_store_init(&s, 0);
	assert_int_equal(msr_write(&f, &s, MSR_IA32_TSC_DEADLINE, 0x123456789ULL), 0);
	assert_int_equal(msr_read(&f, &s, MSR_IA32_TSC_DEADLINE, &v), 0);
	assert_int_equal(v, 0x123456789ULL);
	v = 0x55;
	assert_int_equal(msr_read(&f, &s, MSR_IA32_CR_PAT, &v), -EPERM);
	assert_int_equal(v, 0x55);
	assert_int_equal(msr_write(&f, &s, MSR_IA32_CR_PAT, 0), -EPERM);
	/* allowed but unknown: not created by a write */
	assert_int_equal(msr_read(&f, &s, 0x10, &v), -ENOENT);
	assert_int_equal(msr_write(&f, &s, 0x10, 1), -ENOENT);
	assert_int_equal(s.nr, 51);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_action),
		cmocka_unit_test(test_rules),
		cmocka_unit_test(test_store_defaults),
		cmocka_unit_test(test_read_write_through_filter),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
