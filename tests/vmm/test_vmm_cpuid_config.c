// SPDX-License-Identifier: MIT
/*
 * struct vmm_td_config.cpuid: TD_PARAMS.CPUID_CONFIG from the VMM library. The guest sees the
 * configured bits of the leaves the module lets the host configure and the platform CPU's
 * (the TD CPU model's) values in the others [ABI §8; module/vm_exits/td_cpuid.c, docs/TD-CPU.md]; a
 * leaf the module does not list is refused by the VMM, a bit it does not let the host set,
 * or a family/model/stepping other than the platform's, by TDH.MNG.INIT.
 *
 * Argument: cpuid_config.elf
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <tdx/status.h>
#include <tdx/structs.h>
#include <tdxsim/tdxsim.h>
#include <tdxsim/vmm.h>

#include "tests/support/vmm_machine.h"

static const char *guest_elf;

static int create(struct vmm_td_config *cfg, struct vmm_td **td, char *err, size_t len)
{
	tdxsim_claim_signals();
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
	char err[256] = "";

	(void)state;
	vmm_td_config_default(&cfg);
	cfg.attributes = VMM_ATTR_SEPT_VE_DISABLE;
	cfg.serial = serial_capture_sink;
	cfg.serial_opaque = &out;
	add(&cfg, 1, VMM_CPUID_NO_SUBLEAF, 0x000806f8, 0x00040000);
	assert_int_equal(create(&cfg, &td, err, sizeof(err)), 0);
	assert_int_equal(vmm_td_run(td), 0);
	assert_int_equal(vmm_td_result(td)->exit_status, 0);

	/*
	 * EAX the platform's Sapphire Rapids F/M/S (the only non-zero value a TD that is not
	 * migratable may configure), EBX: APIC ID 0 (vCPU 0), 4 logical processors as set,
	 * CLFLUSH line 8 x 8 bytes; whatever the host is. The boot RDX is the same F/M/S.
	 */
	assert_string_equal(out.buf, "1: 000806f8 00040800 rdx 000806f8\n");
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

	/* Another family/model/stepping than the platform's (0x806F8): the same refusal. */
	vmm_td_config_default(&cfg);
	add(&cfg, 1, VMM_CPUID_NO_SUBLEAF, 0x000a06f1, 0);
	assert_int_equal(create(&cfg, &td, err, sizeof(err)), -EIO);
	assert_null(td);
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
