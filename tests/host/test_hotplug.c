// SPDX-License-Identifier: MIT
/*
 * TDX's hotplug callbacks [ABI §11.3]: a CPU onlined after tdx_enable() is LP.INIT'ed
 * before any TDX user's callback runs on it; a failing LP.INIT refuses the CPU; the last
 * online CPU of a package cannot go offline while TDX is on.
 *
 * The machine: 2 packages of 3 CPUs (0-2, 3-5); CPUs 4 and 5 start offline.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "host/tdx_host.h"
#include "tdx/leaves.h"
#include "tdx/metadata.h"
#include "tdx/status.h"

#include "host_test.h"

static void boot_hotplug(enum tdx_module_version version)
{
	struct machine_config cfg;
	struct tdx_module_params params = {.version = version};

	assert_int_equal(machine_preset("tiny", &cfg), 0);
	cfg.packages = 2;
	cfg.cores_per_package = 3;
	cfg.threads_per_core = 1;
	cfg.online_lps = 4;
	assert_int_equal(host_test_boot(&cfg, &params, true), 0);
}

/* A TDX user (the VMM's role): its online callback does TDX work right away. */
static struct {
	unsigned int calls;
	unsigned int cpu;
	bool initialized;
	uint64_t status;
} user;

static int user_online(unsigned int cpu)
{
	struct tdx_module_args args = {.rdx = MD_FIELD_ID_MAX_TDMRS};

	user.calls++;
	user.cpu = cpu;
	user.initialized = tdx_cpu_initialized(cpu);
	lp_vmxon();
	user.status = seamcall(TDH_SYS_RD, &args);
	lp_vmxoff();
	return 0;
}

static struct hotplug_state *register_user(void)
{
	struct hotplug_state *st;

	memset(&user, 0, sizeof(user));
	/* registered first, but ordered after TDX's callback */
	st = hotplug_register("kvm/tdx:online", 0, user_online, NULL);
	assert_non_null(st);
	return st;
}

static void test_online_after_enable(void **state)
{
	struct hotplug_state *st;

	(void)state;
	boot_hotplug(TDX_MODULE_LATEST);
	st = register_user();
	assert_int_equal(tdx_enable(), 0);
	assert_false(tdx_cpu_initialized(4));

	assert_int_equal(lp_online(4), 0);
	assert_int_equal(user.calls, 1);
	assert_int_equal(user.cpu, 4);
	assert_true(user.initialized);
	assert_int_equal(user.status, TDX_SUCCESS);
	assert_true(tdx_cpu_initialized(4));
	hotplug_unregister(st);
	host_test_shutdown();
}

static void test_online_lp_init_fails(void **state)
{
	struct hotplug_state *st;

	(void)state;
	boot_hotplug(TDX_MODULE_LATEST);
	st = register_user();
	assert_int_equal(tdx_enable(), 0);

	assert_int_equal(tdx_module_inject(TDH_SYS_LP_INIT, 1, TDX_INCONSISTENT_MSR | 0x1a0), 0);
	assert_int_equal(lp_online(5), -EIO);
	assert_false(lp_is_online(5));
	assert_false(tdx_cpu_initialized(5));
	assert_int_equal(user.calls, 0); /* the refusal came first */
	assert_true(
		log_has("tdx: SEAMCALL TDH.SYS.LP.INIT (0x23) failed: CPU 5: 0xc0000920000001a0"));
	assert_true(log_has("tdx: CPU 5: LP.INIT failed (-5): refusing to bring it online"));

	/* the failure was this once: the CPU can come now */
	tdx_module_inject_clear();
	assert_int_equal(lp_online(5), 0);
	assert_true(tdx_cpu_initialized(5));
	assert_int_equal(user.calls, 1);
	assert_int_equal(user.status, TDX_SUCCESS);
	hotplug_unregister(st);
	host_test_shutdown();
}

static void test_offline_last_of_package(void **state)
{
	(void)state;
	boot_hotplug(TDX_MODULE_LATEST);

	/* before TDX: any CPU may go */
	assert_int_equal(lp_offline(3), 0);
	assert_int_equal(lp_online(3), 0);
	assert_int_equal(tdx_enable(), 0);

	/* CPU 3 is package 1's last online CPU */
	assert_int_equal(lp_offline(3), -EBUSY);
	assert_true(lp_is_online(3));
	assert_true(log_has("tdx: CPU 3 is the last online CPU of package 1: TDX needs it"));
	/* with a second one online, either may go, but not both */
	assert_int_equal(lp_online(4), 0);
	assert_int_equal(lp_offline(3), 0);
	assert_int_equal(lp_offline(4), -EBUSY);
	/* a CPU that comes back after LP.INIT needs none again */
	assert_int_equal(lp_online(3), 0);
	assert_true(tdx_cpu_initialized(3));
	/* package 0 too */
	assert_int_equal(lp_offline(1), 0);
	assert_int_equal(lp_offline(2), 0);
	assert_int_equal(lp_offline(0), -EBUSY); /* also the platform's: it is the last */

	/* after tdx_disable, the package may go */
	assert_int_equal(tdx_disable(), 0);
	assert_int_equal(tdx_module_status(), TDX_MODULE_SHUTDOWN);
	assert_int_equal(lp_offline(4), 0);
	assert_int_equal(tdx_enable(), -EINVAL);
	host_test_shutdown();
}

/* An online before tdx_enable needs no LP.INIT yet; tdx_enable does it. */
static void test_online_before_enable(void **state)
{
	(void)state;
	boot_hotplug(TDX_MODULE_LATEST);
	assert_int_equal(lp_online(4), 0);
	assert_false(tdx_cpu_initialized(4));
	assert_int_equal(tdx_enable(), 0);
	assert_true(tdx_cpu_initialized(4));
	assert_false(tdx_cpu_initialized(5));
	host_test_shutdown();
}

/*
 * The 1.5.01 rules: LP.INIT only before SYS.CONFIG, and no MAX_VCPUS_PER_TD, which Linux
 * requires: tdx_enable fails cleanly, naming the field.
 */
static void test_module_1_5_01(void **state)
{
	(void)state;
	boot_hotplug(TDX_MODULE_1_5_01);
	assert_int_equal(tdx_enable(), -EIO);
	assert_true(log_has(
		"tdx: required metadata field MAX_VCPUS_PER_TD (0x9900000100000008) missing"));
	assert_int_equal(tdx_module_status(), TDX_MODULE_ERROR);
	/* nothing left to initialise for: CPUs come online freely */
	assert_int_equal(lp_online(4), 0);
	host_test_shutdown();
}

/* tdx_disable: LP.SHUTDOWN everywhere, SYS.SHUTDOWN; the module answers SYS_SHUTDOWN after. */
static long sys_rd_cpu0(void *arg)
{
	struct tdx_module_args args = {.rdx = MD_FIELD_ID_MAX_TDMRS};

	lp_vmxon();
	*(uint64_t *)arg = seamcall(TDH_SYS_RD, &args);
	lp_vmxoff();
	return 0;
}

static void test_disable(void **state)
{
	uint64_t status = 0;

	(void)state;
	boot_hotplug(TDX_MODULE_LATEST);
	assert_int_equal(tdx_disable(), -EINVAL); /* nothing to disable */
	assert_int_equal(tdx_enable(), 0);
	assert_int_equal(tdx_disable(), 0);
	assert_true(log_has("tdx: module shut down"));
	assert_int_equal(tdx_pamt_bytes(), 0);
	assert_int_equal(lp_run_on(0, sys_rd_cpu0, &status), 0);
	assert_int_equal(status, TDX_SYS_SHUTDOWN);
	host_test_shutdown();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_online_after_enable, host_test_teardown),
		cmocka_unit_test_teardown(test_online_lp_init_fails, host_test_teardown),
		cmocka_unit_test_teardown(test_offline_last_of_package, host_test_teardown),
		cmocka_unit_test_teardown(test_online_before_enable, host_test_teardown),
		cmocka_unit_test_teardown(test_module_1_5_01, host_test_teardown),
		cmocka_unit_test_teardown(test_disable, host_test_teardown),
	};

	return cmocka_run_group_tests_name("host_hotplug", tests, NULL, NULL);
}
