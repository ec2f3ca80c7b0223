// SPDX-License-Identifier: MIT
/*
 * The SEAMCALL wrappers: errno mapping and messages [ABI §7, §11.5], the RND_NO_ENTROPY retry,
 * SEAMCALL without VMXON (#UD: -EACCES), without a module (VMfailInvalid: -ENODEV), with
 * TDX off in the BIOS (#GP: -EOPNOTSUPP), and the opcode and the gate giving the same
 * results.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "host/seamcall.h"
#include "host/tdx_host.h"
#include "tdx/leaves.h"
#include "tdx/metadata.h"
#include "tdx/status.h"

#include "host_test.h"

struct call {
	uint64_t fn;
	struct tdx_module_args args;
	bool vmxon;
	uint64_t status;
	int err;
	bool irqs_off_after;
};

static long do_call(void *p)
{
	struct call *c = p;

	if (c->vmxon)
		lp_vmxon();
	c->status = seamcall(c->fn, &c->args);
	c->err = seamcall_err(c->fn, c->status, &c->args, lp_current());
	c->irqs_off_after = lp_irqs_disabled();
	if (c->vmxon)
		lp_vmxoff();
	return 0;
}

static long do_prerr(void *p)
{
	struct call *c = p;

	if (c->vmxon)
		lp_vmxon();
	c->err = seamcall_prerr(c->fn, &c->args);
	if (c->vmxon)
		lp_vmxoff();
	return 0;
}

static void call_on(unsigned int cpu, struct call *c)
{
	assert_int_equal(lp_run_on(cpu, do_call, c), 0);
}

static void test_no_vmxon(void **state)
{
	struct call c = {.fn = TDH_SYS_INIT};

	(void)state;
	assert_int_equal(host_test_boot_preset("tiny"), 0);
	call_on(1, &c);
	assert_int_equal(c.status, TDX_SEAMCALL_UD);
	assert_int_equal(c.err, -EACCES);
	assert_false(c.irqs_off_after);
	assert_true(log_has("tdx: SEAMCALL #UD on CPU 1: CPU not in VMX operation"));
	/* once */
	call_on(0, &c);
	assert_int_equal(c.err, -EACCES);
	assert_int_equal(log_count_substr("#UD"), 1);
	host_test_shutdown();
}

static void test_no_module(void **state)
{
	struct machine_config cfg;
	struct call c = {.fn = TDH_SYS_INIT, .vmxon = true};

	(void)state;
	assert_int_equal(machine_preset("tiny", &cfg), 0);
	assert_int_equal(host_test_boot(&cfg, NULL, false), 0);
	call_on(0, &c);
	assert_int_equal(c.status, TDX_SEAMCALL_VMFAILINVALID);
	assert_int_equal(c.err, -ENODEV);
	assert_true(log_has("tdx: module not loaded"));
	/* tdx_enable says the same, and may be retried once a module is there */
	assert_int_equal(tdx_enable(), -ENODEV);
	assert_int_equal(tdx_module_status(), TDX_MODULE_UNINITIALIZED);
	assert_int_equal(tdx_module_load(NULL), 0);
	assert_int_equal(tdx_enable(), 0);
	host_test_shutdown();
}

static void test_bios_off(void **state)
{
	struct machine_config cfg;
	struct call c = {.fn = TDH_SYS_INIT, .vmxon = true};

	(void)state;
	assert_int_equal(machine_preset("tiny", &cfg), 0);
	cfg.seamrr_enabled = false;
	assert_int_equal(host_test_boot(&cfg, NULL, true), 0);
	call_on(0, &c);
	assert_int_equal(c.status, TDX_SEAMCALL_GP);
	assert_int_equal(c.err, -EOPNOTSUPP);
	assert_true(log_has("tdx: SEAMCALL #GP on CPU 0: TDX not enabled by the BIOS"));
	assert_int_equal(tdx_enable(), -EOPNOTSUPP);
	assert_int_equal(tdx_module_status(), TDX_MODULE_ERROR);
	assert_int_equal(tdx_enable(), -EINVAL);
	host_test_shutdown();
}

/* A module error: -EIO, with the leaf, status, CPU and output registers. */
static void test_eio_message(void **state)
{
	struct call c = {.fn = TDH_SYS_RD, .vmxon = true};

	(void)state;
	assert_int_equal(host_test_boot_preset("tiny"), 0);
	assert_int_equal(tdx_enable(), 0);
	log_capture_start();
	c.args.rdx = 0x0123; /* no such field */
	c.args.r9 = 0x99;
	assert_int_equal(lp_run_on(1, do_prerr, &c), 0);
	assert_int_equal(c.err, -EIO);
	if (!log_has("tdx: SEAMCALL TDH.SYS.RD (0x22) failed: CPU 1: 0xc0000c0000000000"))
		log_dump();
	assert_true(log_has("tdx: SEAMCALL TDH.SYS.RD (0x22) failed: CPU 1: 0xc0000c0000000000"));
	assert_true(
		log_has("tdx:   rcx 0x0 rdx 0xffffffffffffffff r8 0x0 r9 0x99 r10 0x0 r11 0x0"));

	/* success, and a warning: only SUCCESS is 0 for seamcall_prerr */
	memset(&c.args, 0, sizeof(c.args));
	c.args.rdx = MD_FIELD_ID_MAX_TDMRS;
	assert_int_equal(lp_run_on(0, do_prerr, &c), 0);
	assert_int_equal(c.err, 0);
	assert_int_equal(c.args.r8, 64);
	memset(&c.args, 0, sizeof(c.args));
	c.fn = TDH_SYS_TDMR_INIT; /* a finished TDMR: the warning TDMR_ALREADY_INITIALIZED */
	c.args.rcx = 0;
	call_on(0, &c);
	assert_int_equal(c.status, TDX_TDMR_ALREADY_INITIALIZED);
	assert_int_equal(c.err, -EIO);
	host_test_shutdown();
}

/* RND_NO_ENTROPY is retried, up to RDRAND_RETRY_LOOPS calls in all; other busies are not. */
static void test_entropy_retry(void **state)
{
	struct call c = {.fn = TDH_SYS_RD, .vmxon = true};

	(void)state;
	assert_int_equal(host_test_boot_preset("tiny"), 0);
	assert_int_equal(tdx_enable(), 0);

	assert_int_equal(tdx_module_inject(TDH_SYS_RD, 1, TDX_RND_NO_ENTROPY), 0);
	assert_int_equal(tdx_module_inject(TDH_SYS_RD, 2, TDX_RND_NO_ENTROPY), 0);
	c.args.rdx = MD_FIELD_ID_MAX_TDMRS;
	call_on(0, &c);
	assert_int_equal(c.status, TDX_SUCCESS);
	assert_int_equal(c.args.r8, 64); /* inputs restored for the retries */
	assert_int_equal(tdx_module_injected(TDH_SYS_RD), 2);
	tdx_module_inject_clear();

	assert_int_equal(tdx_module_inject(TDH_SYS_RD, TDX_INJECT_EVERY, TDX_RND_NO_ENTROPY), 0);
	memset(&c.args, 0, sizeof(c.args));
	c.args.rdx = MD_FIELD_ID_MAX_TDMRS;
	call_on(0, &c);
	assert_int_equal(c.status, TDX_RND_NO_ENTROPY);
	assert_int_equal(c.err, -EIO);
	assert_int_equal(tdx_module_injected(TDH_SYS_RD), 2 + RDRAND_RETRY_LOOPS);
	tdx_module_inject_clear();

	assert_int_equal(tdx_module_inject(TDH_SYS_RD, 1, TDX_SYS_BUSY), 0);
	memset(&c.args, 0, sizeof(c.args));
	c.args.rdx = MD_FIELD_ID_MAX_TDMRS;
	call_on(0, &c);
	assert_int_equal(c.status, TDX_SYS_BUSY);
	host_test_shutdown();
}

struct both {
	uint64_t st[2];
	struct tdx_module_args a[2];
};

static long do_both(void *p)
{
	struct both *b = p;

	lp_vmxon();
	b->st[0] = __seamcall_insn(TDH_SYS_RD, &b->a[0]);
	b->st[1] = __seamcall_gate(TDH_SYS_RD, &b->a[1]);
	lp_vmxoff();
	return 0;
}

/* The opcode and the gate: the same statuses and registers. */
static void test_insn_vs_gate(void **state)
{
	static const uint64_t ids[] = {MD_FIELD_ID_MAX_TDMRS, MD_FIELD_ID_NA, 0x0123,
				       MD_FIELD_ID_TDX_FEATURES0};
	struct both b;

	(void)state;
	assert_int_equal(host_test_boot_preset("tiny"), 0);
	assert_int_equal(tdx_enable(), 0);
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		memset(&b, 0, sizeof(b));
		b.a[0].rdx = b.a[1].rdx = ids[i];
		b.a[0].r12 = b.a[1].r12 = 0x1212; /* untouched registers come back */
		assert_int_equal(lp_run_on(0, do_both, &b), 0);
		assert_int_equal(b.st[0], b.st[1]);
		assert_memory_equal(&b.a[0], &b.a[1], sizeof(b.a[0]));
		assert_int_equal(b.a[0].r12, 0x1212);
	}
	host_test_shutdown();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_no_vmxon, host_test_teardown),
		cmocka_unit_test_teardown(test_no_module, host_test_teardown),
		cmocka_unit_test_teardown(test_bios_off, host_test_teardown),
		cmocka_unit_test_teardown(test_eio_message, host_test_teardown),
		cmocka_unit_test_teardown(test_entropy_retry, host_test_teardown),
		cmocka_unit_test_teardown(test_insn_vs_gate, host_test_teardown),
	};

	return cmocka_run_group_tests_name("host_seamcall", tests, NULL, NULL);
}
