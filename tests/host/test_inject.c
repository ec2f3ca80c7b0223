// SPDX-License-Identifier: MIT
/*
 * Fault injection into each SEAMCALL of the bring-up, with each class of status: the
 * errno tdx_enable() returns, the state it leaves (UNINITIALIZED for transient failures,
 * ERROR otherwise), no CPU left in VMX operation or with interrupts off, every page given
 * back (or, once the module is configured and the failure was transient, only the PAMTs
 * kept), and a later tdx_enable() that succeeds where the failure was transient.
 *
 * The machine: 2 packages of 2 CPUs, RAM on two nodes with a hole, so that LP.INIT,
 * KEY.CONFIG and TDMR.INIT are each called more than once and a later call can fail.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "host/page_alloc.h"
#include "host/tdx_host.h"
#include "tdx/leaves.h"
#include "tdx/status.h"

#include "host_test.h"

#define GiB (1ULL << 30)
#define MiB (1ULL << 20)
#define KiB (1ULL << 10)

static void small_2s_config(struct machine_config *cfg)
{
	assert_int_equal(machine_preset("tiny", cfg), 0);
	cfg->packages = 2;
	cfg->cores_per_package = 2;
	cfg->threads_per_core = 1;
	cfg->nr_ram = 0;
	cfg->ram[cfg->nr_ram++] = (struct phys_range){0, 640 * KiB, 0};
	cfg->ram[cfg->nr_ram++] = (struct phys_range){1 * MiB, 1 * GiB - 1 * MiB, 0};
	cfg->ram[cfg->nr_ram++] = (struct phys_range){2 * GiB, 1 * GiB, 1};
	cfg->nr_cmrs = 0;
}

static void boot_small(void)
{
	struct machine_config cfg;

	small_2s_config(&cfg);
	assert_int_equal(host_test_boot(&cfg, NULL, true), 0);
}

static long cpu_clean(void *arg)
{
	(void)arg;
	return lp_in_vmx() || lp_irqs_disabled();
}

static void assert_cpus_clean(void)
{
	long results[PLATFORM_MAX_LPS];

	assert_int_equal(lp_run_on_each_online(cpu_clean, NULL, results), 0);
}

enum outcome {
	OK,	   /* tdx_enable succeeds anyway (the retry absorbed it) */
	TRANSIENT, /* fails, UNINITIALIZED, a later call succeeds */
	FINAL,	   /* fails, ERROR, later calls -EINVAL */
};

struct injection {
	const char *what;
	unsigned int nth; /* TDX_INJECT_EVERY = every call */
	uint64_t status;
	int err;
	enum outcome outcome;
};

static const struct injection classes[] = {
	{"RND_NO_ENTROPY once", 1, TDX_RND_NO_ENTROPY, 0, OK},
	{"RND_NO_ENTROPY always", TDX_INJECT_EVERY, TDX_RND_NO_ENTROPY, -EIO, TRANSIENT},
	{"SYS_BUSY", 1, TDX_SYS_BUSY, -EIO, TRANSIENT},
	{"OPERAND_BUSY", 1, TDX_OPERAND_BUSY | TDX_OPERAND_ID_RCX, -EIO, TRANSIENT},
	{"VMFAILINVALID", 1, TDX_SEAMCALL_VMFAILINVALID, -ENODEV, TRANSIENT},
	{"OPERAND_INVALID", 1, TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX, -EIO, FINAL},
	{"NON_RECOVERABLE", 1, TDX_NON_RECOVERABLE_TD, -EIO, FINAL},
	{"SEAMCALL_GP", 1, TDX_SEAMCALL_GP, -EOPNOTSUPP, FINAL},
	{"SEAMCALL_UD", 1, TDX_SEAMCALL_UD, -EACCES, FINAL},
};

/* Leaves of the bring-up, in order, and which of their calls to fail (1 = the first). */
struct leaf_case {
	unsigned int leaf;
	unsigned int nth;
	bool after_config; /* the module is configured when it fails */
};

static void run_case(const struct leaf_case *lc, const struct injection *in)
{
	uint64_t free_before, pamt_pages;
	unsigned int nth = in->nth == TDX_INJECT_EVERY ? TDX_INJECT_EVERY : lc->nth;
	int ret;

	boot_small();
	free_before = page_alloc_nr_free(NUMA_NO_NODE);
	assert_int_equal(tdx_module_inject(lc->leaf, nth, in->status), 0);

	ret = tdx_enable();
	if (ret != in->err) {
		print_message("leaf %u, %s: tdx_enable %d, expected %d\n", lc->leaf, in->what, ret,
			      in->err);
		log_dump();
	}
	assert_int_equal(ret, in->err);
	assert_true(tdx_module_injected(lc->leaf) >= 1);
	assert_cpus_clean();
	tdx_module_inject_clear();

	if (in->outcome == OK) {
		assert_int_equal(tdx_module_status(), TDX_MODULE_INITIALIZED);
		goto done;
	}
	if (in->outcome == FINAL) {
		assert_int_equal(tdx_module_status(), TDX_MODULE_ERROR);
		assert_true(log_has_substr("tdx: module initialization failed ("));
		/* everything given back, PAMTs included */
		assert_int_equal(page_alloc_nr_free(NUMA_NO_NODE), free_before);
		assert_int_equal(tdx_enable(), -EINVAL);
		goto done;
	}

	assert_int_equal(tdx_module_status(), TDX_MODULE_UNINITIALIZED);
	assert_true(log_has_substr("can be retried"));
	/* before SYS.CONFIG all is given back; after it the module keeps its PAMTs */
	pamt_pages = lc->after_config ? tdx_pamt_bytes() >> PAGE_SHIFT : 0;
	assert_int_equal(free_before - page_alloc_nr_free(NUMA_NO_NODE), pamt_pages);
	ret = tdx_enable();
	if (ret)
		log_dump();
	assert_int_equal(ret, 0);
	assert_int_equal(tdx_module_status(), TDX_MODULE_INITIALIZED);
	if (lc->after_config)
		assert_true(log_has("tdx: resuming module initialization at KEY.CONFIG"));
done:
	if (tdx_module_status() == TDX_MODULE_INITIALIZED) {
		assert_int_equal(free_before - page_alloc_nr_free(NUMA_NO_NODE),
				 tdx_pamt_bytes() >> PAGE_SHIFT);
		assert_int_equal(tdx_pamt_check(NULL, 0), 0);
	}
	assert_cpus_clean();
	host_test_shutdown();
}

static void run_leaf(const struct leaf_case *lc)
{
	platform_claim_signals();
	for (size_t i = 0; i < sizeof(classes) / sizeof(classes[0]); i++)
		run_case(lc, &classes[i]);
}

static void test_inject_sys_init(void **state)
{
	const struct leaf_case lc = {TDH_SYS_INIT, 1, false};

	(void)state;
	run_leaf(&lc);
}

static void test_inject_lp_init(void **state)
{
	const struct leaf_case lc = {TDH_SYS_LP_INIT, 3, false};

	(void)state;
	run_leaf(&lc);
}

static void test_inject_sys_rd(void **state)
{
	const struct leaf_case lc = {TDH_SYS_RD, 7, false};

	(void)state;
	run_leaf(&lc);
}

static void test_inject_sys_config(void **state)
{
	const struct leaf_case lc = {TDH_SYS_CONFIG, 1, false};

	(void)state;
	run_leaf(&lc);
}

static void test_inject_key_config(void **state)
{
	const struct leaf_case lc = {TDH_SYS_KEY_CONFIG, 2, true};
	const struct injection keygen = {"KEY_GENERATION_FAILED", 2, TDX_KEY_GENERATION_FAILED,
					 -EIO, TRANSIENT};

	(void)state;
	run_leaf(&lc);
	run_case(&lc, &keygen);
}

static void test_inject_tdmr_init(void **state)
{
	const struct leaf_case lc = {TDH_SYS_TDMR_INIT, 2, true};

	(void)state;
	run_leaf(&lc);
}

/* The exact messages of one failure of each kind. */
static void test_inject_messages(void **state)
{
	(void)state;
	platform_claim_signals();

	boot_small();
	assert_int_equal(tdx_module_inject(TDH_SYS_CONFIG, 1, TDX_INVALID_TDMR | 1), 0);
	assert_int_equal(tdx_enable(), -EIO);
	assert_true(
		log_has("tdx: SEAMCALL TDH.SYS.CONFIG (0x2d) failed: CPU 0: 0xc0000a0000000001"));
	assert_true(log_has("tdx: module initialization failed (-5)"));
	host_test_shutdown();

	boot_small();
	assert_int_equal(tdx_module_inject(TDH_SYS_INIT, 1, TDX_SEAMCALL_VMFAILINVALID), 0);
	assert_int_equal(tdx_enable(), -ENODEV);
	/* four CPUs saw it, one message */
	assert_int_equal(log_count_substr("tdx: module not loaded"), 1);
	assert_true(log_has("tdx: module initialization failed (-19), can be retried"));
	host_test_shutdown();

	boot_small();
	assert_int_equal(tdx_module_inject(TDH_SYS_RD, 7, TDX_METADATA_FIELD_ID_INCORRECT), 0);
	assert_int_equal(tdx_enable(), -EIO);
	assert_true(log_has("tdx: required metadata field MAX_TDMRS (0x9100000100000008) missing"));
	assert_int_equal(tdx_module_status(), TDX_MODULE_ERROR);
	host_test_shutdown();

	/* BUILD_DATE (the 4th read) is optional: a module without it is fine */
	boot_small();
	assert_int_equal(tdx_module_inject(TDH_SYS_RD, 4, TDX_METADATA_FIELD_ID_INCORRECT), 0);
	assert_int_equal(tdx_enable(), 0);
	assert_int_equal(tdx_get_sysinfo()->version.build_date, 0);
	host_test_shutdown();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_inject_sys_init, host_test_teardown),
		cmocka_unit_test_teardown(test_inject_lp_init, host_test_teardown),
		cmocka_unit_test_teardown(test_inject_sys_rd, host_test_teardown),
		cmocka_unit_test_teardown(test_inject_sys_config, host_test_teardown),
		cmocka_unit_test_teardown(test_inject_key_config, host_test_teardown),
		cmocka_unit_test_teardown(test_inject_tdmr_init, host_test_teardown),
		cmocka_unit_test_teardown(test_inject_messages, host_test_teardown),
	};

	return cmocka_run_group_tests_name("host_inject", tests, NULL, NULL);
}
