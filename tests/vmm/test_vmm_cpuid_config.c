// SPDX-License-Identifier: MIT
/*
 * struct vmm_td_config.cpuid: TD_PARAMS.CPUID_CONFIG from the VMM library. The guest sees the
 * configured bits of the leaves the module lets the host configure and the CPU's values in the
 * others [facts §8; module/td_cpuid.c]; a leaf the module does not list is refused by the VMM,
 * a bit it does not let the host set by TDH.MNG.INIT.
 *
 * Argument: cpuid_config.elf
 */
#include <cpuid.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <tdx/status.h>
#include <tdx/structs.h>
#include <tdxsim/vmm.h>

#include "platform/platform.h"
#include "tests/support/vmm_machine.h"

static const char *guest_elf;

/* Leaf 1: EAX bits 27:16 and 13:0 (family, model, stepping) and EBX 23:16 are the host's to
 * set [M cpuid_configurations.c; module/metadata.c config_direct]. */
#define LEAF1_EAX_CONFIG 0x0fff3fffU
#define LEAF1_EBX_CONFIG 0x00ff0000U

static int create(struct vmm_td_config *cfg, struct vmm_td **td, char *err, size_t len)
{
	platform_claim_signals();
	return vmm_td_create(cfg, guest_elf, td, err, len);
}

static void add(struct vmm_td_config *cfg, uint32_t leaf, uint32_t sub, uint32_t eax, uint32_t ebx)
{
	cfg->cpuid[cfg->nr_cpuid++] = (struct vmm_cpuid_config){
		.leaf = leaf,
		.subleaf = sub,
		.eax = eax,
		.ebx = ebx,
	};
}

static void test_configured_leaf(void **state)
{
	struct vmm_td_config cfg;
	struct serial_capture out = {0};
	struct vmm_td *td = NULL;
	uint32_t a, b, c, d, eax, ebx;
	char err[256] = "", want[128];

	(void)state;
	vmm_td_config_default(&cfg);
	cfg.attributes = VMM_ATTR_SEPT_VE_DISABLE;
	cfg.serial = serial_capture_sink;
	cfg.serial_opaque = &out;
	add(&cfg, 1, VMM_CPUID_NO_SUBLEAF, 0x000a06f1, 0x00040000);
	assert_int_equal(create(&cfg, &td, err, sizeof(err)), 0);
	assert_int_equal(vmm_td_run(td), 0);
	assert_int_equal(vmm_td_result(td)->exit_status, 0);

	/* Configurable bits as set, the others the CPU's; the boot RDX is the CPU's FMS. */
	__cpuid(1, a, b, c, d);
	eax = (a & ~LEAF1_EAX_CONFIG) | 0x000a06f1;
	/* EBX 31:24 is the APIC ID of whichever host CPU ran the CPUID: not compared. */
	ebx = (b & ~LEAF1_EBX_CONFIG & 0x00ffffff) | 0x00040000;
	(void)c;
	(void)d;
	snprintf(want, sizeof(want), "1: %08x ..%06x rdx %08x\n", eax, ebx, a);
	assert_string_equal(out.buf, want);
	vmm_td_destroy(td);
}

static void test_unlisted_leaf(void **state)
{
	struct vmm_td_config cfg;
	struct vmm_td *td = NULL;
	char err[256] = "";

	(void)state;
	vmm_td_config_default(&cfg);
	add(&cfg, 2, VMM_CPUID_NO_SUBLEAF, 1, 0);
	assert_int_equal(create(&cfg, &td, err, sizeof(err)), -EINVAL);
	assert_null(td);
	assert_string_equal(err, "CPUID leaf 0x2 subleaf 0xffffffff is not configurable by this "
				 "TDX module (not in its CPUID_CONFIG_LEAVES)");

	/* leaf 7 exists with subleaves only */
	vmm_td_config_default(&cfg);
	add(&cfg, 7, VMM_CPUID_NO_SUBLEAF, 0, 0);
	assert_int_equal(create(&cfg, &td, err, sizeof(err)), -EINVAL);
	assert_null(td);

	vmm_td_config_default(&cfg);
	cfg.nr_cpuid = VMM_MAX_CPUID_CONFIG + 1;
	assert_int_equal(create(&cfg, &td, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "cpuid: 33 entries, at most 32");
}

/* Leaf 1 EAX bit 31 is reserved: TDH.MNG.INIT refuses it, naming the leaf in RCX. */
static void test_bit_not_configurable(void **state)
{
	struct vmm_td_config cfg;
	struct vmm_td *td = NULL;
	char err[256] = "", want[256];

	(void)state;
	vmm_td_config_default(&cfg);
	add(&cfg, 1, VMM_CPUID_NO_SUBLEAF, 0x80000000, 0);
	assert_int_equal(create(&cfg, &td, err, sizeof(err)), -EIO);
	assert_null(td);
	snprintf(want, sizeof(want), "TDH.MNG.INIT failed: status 0x%016llx (extended info 0x%llx)",
		 (unsigned long long)(TDX_OPERAND_INVALID + TDX_OPERAND_ID_CPUID_CONFIG),
		 (unsigned long long)(1 | (uint64_t)TDX_CPUID_NO_SUBLEAF << 32));
	assert_string_equal(err, want);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_configured_leaf),
		cmocka_unit_test(test_unlisted_leaf),
		cmocka_unit_test(test_bit_not_configurable),
	};

	if (argc != 2) {
		fprintf(stderr, "usage: %s cpuid_config.elf\n", argv[0]);
		return 2;
	}
	guest_elf = argv[1];
	return cmocka_run_group_tests(tests, vmm_machine_setup, vmm_machine_teardown);
}
