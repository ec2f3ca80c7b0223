// SPDX-License-Identifier: MIT
/*
 * The CPU the module samples on the system backend (system_host_cpuid(), platform/system):
 * the host's CPUID without what QEMU 7.2's TCG lacks or gets wrong, CPUID.1:ECX.CX16 (13) and
 * PCID (17) and CPUID.7.0:EBX.INVPCID (10); nor AVX-512, AMX, CET and PKU (QEMU runs pku=off):
 * their leaf 7 bits and their XCR0 (0xD.0 EAX) and XSS (0xD.1 ECX) components; nor XSAVEC
 * and XSAVES (0xD.1 EAX bits 1 and 3); every other register and bit the host's. No QEMU.
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
			      /* EBX: INVPCID; AVX512F, DQ, IFMA, PF, ER, CD, BW, VL */
		l7[4] = {0, 0xDC230400U,
			 /* ECX: AVX512_VBMI, PKU, OSPKE, AVX512_VBMI2, CET_SS,
					* AVX512_VNNI, BITALG, VPOPCNTDQ */
			 0x000058DAU,
			 /* EDX: AVX512_4VNNIW, 4FMAPS, VP2INTERSECT, CET_IBT,
					* AMX_BF16, AVX512_FP16, AMX_TILE, AMX_INT8 */
			 0x03D0010CU},
			      l7_1[4] = {1U << 5, 0, 0, 0}, /* AVX512_BF16 */
		/* opmask, ZMM_Hi256, Hi16_ZMM, PKRU, XTILECFG, XTILEDATA */
		ld_0[4] = {0x000602E0U, 0, 0, 0},
			      ld_1[4] = {1U << 1 | 1U << 3, 0, 0x1800U,
					 0}; /* XSAVEC, XSAVES; CET_U, CET_S */

	(void)state;
	expect_leaf(0, 0, none);
	expect_leaf(1, 0, l1);
	expect_leaf(7, 0, l7);
	expect_leaf(7, 1, l7_1);
	expect_leaf(0xd, 0, ld_0);
	expect_leaf(0xd, 1, ld_1);
	expect_leaf(0x80000001, 0, none);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hidden_bits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
