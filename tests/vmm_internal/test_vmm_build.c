// SPDX-License-Identifier: MIT
/*
 * The TD build's error paths (vmm/build.c): every SEAMCALL of vmm_td_create() failed in turn
 * by the module's fault injection (the first call of each leaf, and a later one), on a TD of
 * two vCPUs. Each failure is reported with the leaf's name and status, and leaves the host
 * as it was: every page given to the TD either reclaimed by the teardown or, when the
 * SEAMCALL that was to take it failed, freed (the host allocator's free pages count the
 * same before and after), and the KeyID back. Then a build with nothing injected succeeds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <tdxsim/vmm.h>

#include "host/page_alloc.h"
#include "host/tdx_host.h"
#include "module/tdx_module.h"
#include "tdx/leaves.h"
#include "tdx/status.h"
#include "tests/support/vmm_machine.h"

static const char *hello_elf;

static void serial_drop(void *opaque, const char *buf, size_t len)
{
	(void)opaque;
	(void)buf;
	(void)len;
}

/* The lowest free guest KeyID: the same before and after a failed build unless one leaked. */
static int lowest_keyid(void)
{
	int k = tdx_guest_keyid_alloc();

	assert_true(k > 0);
	tdx_guest_keyid_free((unsigned int)k);
	return k;
}

static void config(struct vmm_td_config *cfg)
{
	vmm_td_config_default(cfg);
	cfg->nr_vcpus = 2;
	cfg->serial = serial_drop;
}

struct fault {
	unsigned int leaf, nth;
	uint64_t status;
	const char *message; /* the start of vmm_td_create's error */
};

static void check_fault(const struct fault *f)
{
	struct vmm_td_config cfg;
	struct vmm_td *td = NULL;
	uint64_t free_before = page_alloc_nr_free(NUMA_NO_NODE);
	int keyid = lowest_keyid();
	unsigned int injected = tdx_module_injected(f->leaf);
	char err[256] = "", want[256];

	config(&cfg);
	assert_int_equal(tdx_module_inject(f->leaf, f->nth, f->status), 0);
	if (!vmm_td_create(&cfg, hello_elf, &td, err, sizeof(err))) {
		vmm_td_destroy(td);
		tdx_module_inject_clear();
		fail_msg("leaf %u, call %u: the build succeeded", f->leaf, f->nth);
	}
	tdx_module_inject_clear();
	assert_null(td);
	/* the injection fired once (RND_NO_ENTROPY: each of the retries) */
	assert_int_equal(tdx_module_injected(f->leaf) - injected,
			 f->status == TDX_RND_NO_ENTROPY ? RDRAND_RETRY_LOOPS : 1);
	snprintf(want, sizeof(want), f->message, (unsigned long long)f->status);
	if (strncmp(err, want, strlen(want)))
		fail_msg("leaf %u, call %u: '%s', want '%s...'", f->leaf, f->nth, err, want);
	if (page_alloc_nr_free(NUMA_NO_NODE) != free_before)
		fail_msg("leaf %u, call %u: %lld pages not back", f->leaf, f->nth,
			 (long long)(free_before - page_alloc_nr_free(NUMA_NO_NODE)));
	assert_int_equal(lowest_keyid(), keyid);
}

#define FAILED(name) name " failed: status 0x%016llx"

static const struct fault faults[] = {
	{TDH_MNG_CREATE, 1, TDX_OPERAND_INVALID, FAILED("TDH.MNG.CREATE")},
	{TDH_MNG_KEY_CONFIG, 1, TDX_OPERAND_INVALID, FAILED("TDH.MNG.KEY.CONFIG")},
	{TDH_MNG_ADDCX, 1, TDX_OPERAND_INVALID, FAILED("TDH.MNG.ADDCX")},
	{TDH_MNG_ADDCX, 2, TDX_OPERAND_BUSY, FAILED("TDH.MNG.ADDCX")},
	{TDH_MNG_INIT, 1, TDX_OPERAND_INVALID, FAILED("TDH.MNG.INIT")},
	{TDH_VP_CREATE, 1, TDX_OPERAND_INVALID, FAILED("TDH.VP.CREATE")},
	{TDH_VP_CREATE, 2, TDX_OPERAND_INVALID, FAILED("TDH.VP.CREATE")},
	{TDH_VP_ADDCX, 1, TDX_OPERAND_INVALID, FAILED("TDH.VP.ADDCX")},
	{TDH_VP_ADDCX, 3, TDX_OPERAND_INVALID, FAILED("TDH.VP.ADDCX")},
	{TDH_VP_INIT, 1, TDX_OPERAND_INVALID, FAILED("TDH.VP.INIT")},
	{TDH_VP_INIT, 2, TDX_OPERAND_INVALID, FAILED("TDH.VP.INIT")},
	{TDH_VP_FLUSH, 1, TDX_OPERAND_INVALID, FAILED("TDH.VP.FLUSH")},
	{TDH_VP_FLUSH, 2, TDX_OPERAND_INVALID, FAILED("TDH.VP.FLUSH")},
	{TDH_MEM_SEPT_ADD, 1, TDX_OPERAND_INVALID, FAILED("TDH.MEM.SEPT.ADD")},
	{TDH_MEM_SEPT_ADD, 3, TDX_OPERAND_INVALID, FAILED("TDH.MEM.SEPT.ADD")},
	{TDH_MEM_PAGE_ADD, 1, TDX_OPERAND_INVALID, FAILED("TDH.MEM.PAGE.ADD")},
	{TDH_MEM_PAGE_ADD, 40, TDX_OPERAND_INVALID, FAILED("TDH.MEM.PAGE.ADD")},
	{TDH_MEM_PAGE_ADD, TDX_INJECT_EVERY, TDX_RND_NO_ENTROPY, FAILED("TDH.MEM.PAGE.ADD")},
	{TDH_MR_EXTEND, 1, TDX_OPERAND_INVALID, FAILED("TDH.MR.EXTEND")},
	{TDH_MR_EXTEND, 300, TDX_OPERAND_INVALID, FAILED("TDH.MR.EXTEND")},
	{TDH_MR_FINALIZE, 1, TDX_OPERAND_INVALID, FAILED("TDH.MR.FINALIZE")},
	{TDH_VP_WR, 1, TDX_OPERAND_INVALID, "vCPU set-up: "},
	{TDH_VP_WR, 3, TDX_OPERAND_INVALID, "vCPU set-up: "},
};

static void test_each_seamcall_fails(void **state)
{
	(void)state;
	platform_claim_signals();
	for (size_t i = 0; i < sizeof(faults) / sizeof(faults[0]); i++)
		check_fault(&faults[i]);
}

/* With nothing injected the same TD builds, runs and gives every page back. */
static void test_build_and_teardown(void **state)
{
	struct vmm_td_config cfg;
	struct vmm_td_stats st;
	struct vmm_td *td;
	uint64_t free_before = page_alloc_nr_free(NUMA_NO_NODE);
	int keyid = lowest_keyid();
	char err[256] = "";

	(void)state;
	platform_claim_signals();
	config(&cfg);
	if (vmm_td_create(&cfg, hello_elf, &td, err, sizeof(err)))
		fail_msg("vmm_td_create: %s", err);
	vmm_td_stats(td, &st);
	assert_true(st.image_pages > 40);
	assert_true(page_alloc_nr_free(NUMA_NO_NODE) < free_before - st.image_pages);
	assert_int_equal(vmm_td_run(td), 0);
	assert_int_equal(vmm_td_result(td)->exit_status, 0);
	assert_int_equal(vmm_td_destroy(td), 0);
	assert_int_equal(page_alloc_nr_free(NUMA_NO_NODE), free_before);
	assert_int_equal(lowest_keyid(), keyid);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_each_seamcall_fails),
		cmocka_unit_test(test_build_and_teardown),
	};

	if (argc != 2) {
		fprintf(stderr, "usage: %s hello.elf\n", argv[0]);
		return 2;
	}
	hello_elf = argv[1];
	return cmocka_run_group_tests(tests, vmm_machine_setup, vmm_machine_teardown);
}
