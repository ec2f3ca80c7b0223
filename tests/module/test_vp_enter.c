// SPDX-License-Identifier: MIT
/*
 * TDH.VP.ENTER's current VMCS (module/seamcall/tdh_vp_enter.c): re-entering the vCPU the LP
 * entered last, with no leaf having changed anything since, skips the checks whose answer
 * cannot have changed. Each test fills the LP's cache, changes one thing and checks that the
 * next entries return exactly what the full checks return, and whether they used the cache:
 * VP.FLUSH, a fatal TD, a poisoned control page, the TD's keys, VP.WR, a new TLB epoch,
 * another vCPU entered in between, a held TDVPR or TDR lock. Through the gate and the trap.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "td.h"
#include "td_harness.h"
#include "tdx/leaves.h"
#include "tdx/pi.h"

asm(TDX_LEAVES_ASM_EQU);

/* The guest: R12 += 1, TDG.VP.VMCALL exposing R10-R15, again (the host hands R12 back). */
extern const uint8_t count_guest[], count_guest_end[];
/* clang-format off */
__asm__(".pushsection .rodata\n"
	".globl count_guest, count_guest_end\n"
	"count_guest:\n"
	"	incq %r12\n"
	"	movl $0xfc00, %ecx\n"
	"	movl $TDG_VP_VMCALL, %eax\n"
	"	.byte 0x66, 0x0f, 0x01, 0xcc\n"
	"	jmp count_guest\n"
	"count_guest_end:\n"
	".popsection\n");
/* clang-format on */

static enum call_path paths[] = {PATH_GATE, PATH_TRAP};

static void build(struct test_td *td, unsigned int nr_vcpus)
{
	static uint8_t code[4096];
	struct td_params p;

	platform_claim_signals();
	td_code_page(code, count_guest, count_guest_end);
	td_params_default(&p);
	assert_int_equal(td_build_guest_with(td, &p, nr_vcpus, code, NULL, NULL), 0);
}

static uint64_t r12[8];

/* VP.ENTER of vCPU vcpu on lp until its next TD exit: the status (RAX). */
static uint64_t enter(struct test_td *td, unsigned int vcpu, unsigned int lp)
{
	struct tdx_module_args a = {.rcx = td->tdvpr[vcpu], .r12 = r12[vcpu]};
	uint64_t s = td_call_on(lp, TDH_VP_ENTER, &a);

	if (s == EXIT_REASON_TDCALL)
		r12[vcpu] = a.r12;
	return s;
}

static uint64_t hits(unsigned int lp)
{
	return tdxm.lp[lp].vmcs_hits;
}

static uint64_t misses(unsigned int lp)
{
	return tdxm.lp[lp].vmcs_misses;
}

/* Enter vCPU 0 on LP 0 twice: the first fills the cache (unless it is full already), the
 * second uses it; the guest ran each time. */
static void warm(struct test_td *td)
{
	uint64_t before = r12[0];

	assert_int_equal(enter(td, 0, 0), EXIT_REASON_TDCALL);
	uint64_t h = hits(0), m = misses(0);

	assert_int_equal(enter(td, 0, 0), EXIT_REASON_TDCALL);
	assert_int_equal(hits(0), h + 1);
	assert_int_equal(misses(0), m);
	assert_int_equal(r12[0], before + 2);
}

static void setup_path(enum call_path p)
{
	td_path = p;
	memset(r12, 0, sizeof(r12));
}

/* Nothing changed: every re-entry uses the cache, and the guest runs on. */
static void test_tdh_vp_enter_cache_hits(void **state)
{
	{
		struct test_td td;
		uint64_t h, m;

		setup_path(*(enum call_path *)*state);
		build(&td, 1);
		m = misses(0);
		h = hits(0);
		for (int n = 0; n < 10; n++)
			assert_int_equal(enter(&td, 0, 0), EXIT_REASON_TDCALL);
		assert_int_equal(misses(0), m + 1);
		assert_int_equal(hits(0), h + 9);
		assert_int_equal(r12[0], 10);
		assert_int_equal(td_teardown(&td), 0);
	}
}

/*
 * VP.FLUSH ends the association: entering again on the same LP associates the vCPU again
 * (VPFLUSHDONE then finds it: FLUSHVP_NOT_DONE); after a flush and an entry on LP 1, LP 0
 * gets VCPU_ASSOCIATED although its cache named the vCPU.
 */
static void test_tdh_vp_enter_cache_vp_flush(void **state)
{
	{
		struct test_td td;
		struct tdx_module_args a;
		uint64_t m;

		setup_path(*(enum call_path *)*state);
		build(&td, 1);
		warm(&td);
		a = (struct tdx_module_args){.rcx = td.tdvpr[0]};
		assert_int_equal(td_call_on(0, TDH_VP_FLUSH, &a), TDX_SUCCESS);
		m = misses(0);
		assert_int_equal(enter(&td, 0, 0), EXIT_REASON_TDCALL);
		assert_int_equal(misses(0), m + 1);
		a = (struct tdx_module_args){.rcx = td.tdr};
		assert_int_equal(td_call_on(0, TDH_MNG_VPFLUSHDONE, &a), TDX_FLUSHVP_NOT_DONE);

		warm(&td);
		a = (struct tdx_module_args){.rcx = td.tdvpr[0]};
		assert_int_equal(td_call_on(0, TDH_VP_FLUSH, &a), TDX_SUCCESS);
		assert_int_equal(enter(&td, 0, 1), EXIT_REASON_TDCALL);
		assert_int_equal(enter(&td, 0, 0), TDX_VCPU_ASSOCIATED);
		assert_int_equal(enter(&td, 0, 1), EXIT_REASON_TDCALL);
		a = (struct tdx_module_args){.rcx = td.tdvpr[0]};
		assert_int_equal(td_call_on(1, TDH_VP_FLUSH, &a), TDX_SUCCESS);
		assert_int_equal(r12[0], 7);
		assert_int_equal(td_teardown(&td), 0);
	}
}

/* The TD became fatal at a TD exit (no SEAMCALL): TD_FATAL from the cached entry too. */
static void test_tdh_vp_enter_cache_td_fatal(void **state)
{
	{
		struct test_td td;

		setup_path(*(enum call_path *)*state);
		build(&td, 1);
		warm(&td);
		tdr_of(td.tdr)->fatal = true; /* as td_fatal_machine_check() does */
		assert_int_equal(enter(&td, 0, 0), TDX_TD_FATAL);
		assert_int_equal(enter(&td, 0, 0), TDX_TD_FATAL);
		assert_int_equal(td_teardown(&td), 0);
	}
}

/* A host write to the TDVPR (poison, no SEAMCALL): CORRUPTED_MD, then TD_FATAL. */
static void test_tdh_vp_enter_cache_corrupted_md(void **state)
{
	{
		struct test_td td;

		setup_path(*(enum call_path *)*state);
		build(&td, 1);
		warm(&td);
		*(volatile uint8_t *)phys_host_va(td.tdvpr[0] + 100) = 1;
		assert_true(phys_is_poisoned(td.tdvpr[0]));
		assert_int_equal(enter(&td, 0, 0), TDX_NON_RECOVERABLE_TD_CORRUPTED_MD);
		assert_int_equal(enter(&td, 0, 0), TDX_TD_FATAL);
	}
}

/* The vCPU disabled at a TD exit (a triple fault, no SEAMCALL): VCPU_STATE_INCORRECT. */
static void test_tdh_vp_enter_cache_vcpu_disabled(void **state)
{
	{
		struct test_td td;

		setup_path(*(enum call_path *)*state);
		build(&td, 1);
		warm(&td);
		tdvps_of(td.tdvpr[0])->state = VCPU_DISABLED; /* as vmexit_triple_fault does */
		assert_int_equal(enter(&td, 0, 0), TDX_VCPU_STATE_INCORRECT);
		assert_int_equal(enter(&td, 0, 0), TDX_VCPU_STATE_INCORRECT);
	}
}

/* The TD's keys: once VPFLUSHDONE blocked it, TD_KEYS_NOT_CONFIGURED, not an entry. */
static void test_tdh_vp_enter_cache_keys(void **state)
{
	{
		struct test_td td;
		struct tdx_module_args a;

		setup_path(*(enum call_path *)*state);
		build(&td, 1);
		warm(&td);
		a = (struct tdx_module_args){.rcx = td.tdvpr[0]};
		assert_int_equal(td_call_on(0, TDH_VP_FLUSH, &a), TDX_SUCCESS);
		a = (struct tdx_module_args){.rcx = td.tdr};
		assert_int_equal(td_call_on(0, TDH_MNG_VPFLUSHDONE, &a), TDX_SUCCESS);
		assert_int_equal(enter(&td, 0, 0), TDX_TD_KEYS_NOT_CONFIGURED);
		assert_int_equal(td_teardown(&td), 0);
	}
}

/* VP.WR of a field (any leaf that may change something): the next entry checks in full. */
static void test_tdh_vp_enter_cache_vp_wr(void **state)
{
	{
		struct test_td td;
		struct tdx_module_args a;
		uint64_t m, h;

		setup_path(*(enum call_path *)*state);
		build(&td, 1);
		warm(&td);
		a = (struct tdx_module_args){.rcx = td.tdvpr[0],
					     .rdx = TDVPS_VMCS_POSTED_INTR_NV,
					     .r8 = 0xf2,
					     .r9 = ~0ULL};
		assert_int_equal(td_call_on(0, TDH_VP_WR, &a), TDX_SUCCESS);
		m = misses(0);
		h = hits(0);
		assert_int_equal(enter(&td, 0, 0), EXIT_REASON_TDCALL);
		assert_int_equal(enter(&td, 0, 0), EXIT_REASON_TDCALL);
		assert_int_equal(misses(0), m + 1);
		assert_int_equal(hits(0), h + 1);
		/* A leaf that only reads keeps the cache. */
		a = (struct tdx_module_args){.rcx = td.tdvpr[0], .rdx = TDVPS_VMCS_POSTED_INTR_NV};
		assert_int_equal(td_call_on(0, TDH_VP_RD, &a), TDX_SUCCESS);
		assert_int_equal(a.r8, 0xf2);
		assert_int_equal(enter(&td, 0, 0), EXIT_REASON_TDCALL);
		assert_int_equal(hits(0), h + 2);
		assert_int_equal(td_teardown(&td), 0);
	}
}

/* MEM.TRACK: the cached entry counts the vCPU in the new epoch, and leaves it on exit. */
static void test_tdh_vp_enter_cache_epoch(void **state)
{
	{
		struct test_td td;
		struct tdx_module_args a;
		struct tdcs *tdcs;
		uint64_t h;

		setup_path(*(enum call_path *)*state);
		build(&td, 1);
		tdcs = tdcs_of(tdr_of(td.tdr));
		warm(&td);
		for (int n = 0; n < 3; n++) {
			a = (struct tdx_module_args){.rcx = td.tdr};
			assert_int_equal(td_call_on(0, TDH_MEM_TRACK, &a), TDX_SUCCESS);
			assert_int_equal(enter(&td, 0, 0), EXIT_REASON_TDCALL);
			h = hits(0);
			assert_int_equal(enter(&td, 0, 0), EXIT_REASON_TDCALL);
			assert_int_equal(hits(0), h + 1);
			assert_int_equal(tdvps_of(td.tdvpr[0])->epoch, tdcs->td_epoch);
			assert_int_equal(tdcs->refcount[0], 0);
			assert_int_equal(tdcs->refcount[1], 0);
		}
		assert_int_equal(td_teardown(&td), 0);
	}
}

/* Another vCPU entered on the LP in between: each entry of the other checks in full. */
static void test_tdh_vp_enter_cache_other_vcpu(void **state)
{
	{
		struct test_td td;
		uint64_t h, m;

		setup_path(*(enum call_path *)*state);
		build(&td, 2);
		h = hits(0);
		m = misses(0);
		for (int n = 0; n < 3; n++) {
			assert_int_equal(enter(&td, 0, 0), EXIT_REASON_TDCALL);
			assert_int_equal(enter(&td, 1, 0), EXIT_REASON_TDCALL);
		}
		assert_int_equal(hits(0), h);
		assert_int_equal(misses(0), m + 6);
		/* vCPU 1 is LP 0's now: entering it on LP 1 is VCPU_ASSOCIATED. */
		assert_int_equal(enter(&td, 1, 1), TDX_VCPU_ASSOCIATED);
		assert_int_equal(enter(&td, 1, 0), EXIT_REASON_TDCALL);
		assert_int_equal(hits(0), h + 1);
		assert_int_equal(r12[0], 3);
		assert_int_equal(r12[1], 4);
		assert_int_equal(td_teardown(&td), 0);
	}
}

/* A lock held elsewhere: OPERAND_BUSY of the TDVPR (RCX) or of the TDR, as in full. */
static void test_tdh_vp_enter_cache_busy(void **state)
{
	{
		struct test_td td;
		struct pamt_entry *vpe, *tdre;

		setup_path(*(enum call_path *)*state);
		build(&td, 1);
		warm(&td);
		vpe = pamt_entry_get(td.tdvpr[0], PT_4KB);
		tdre = pamt_entry_get(td.tdr, PT_4KB);
		assert_true(pamt_lock(vpe, false));
		assert_int_equal(enter(&td, 0, 0), TDX_OPERAND_BUSY + TDX_OPERAND_ID_RCX);
		pamt_unlock(vpe, false);
		assert_true(pamt_lock(tdre, true));
		assert_int_equal(enter(&td, 0, 0), TDX_OPERAND_BUSY + TDX_OPERAND_ID_TDR);
		pamt_unlock(tdre, true);
		assert_int_equal(enter(&td, 0, 0), EXIT_REASON_TDCALL);
		assert_int_equal(td_teardown(&td), 0);
	}
}

/* Each test on a fresh machine, through the gate and through the trapped opcode. */
#define BOTH_PATHS(f)                                                                              \
	cmocka_unit_test_prestate_setup_teardown(f, td_machine_setup, td_machine_teardown,         \
						 &paths[0]),                                       \
		cmocka_unit_test_prestate_setup_teardown(f, td_machine_setup, td_machine_teardown, \
							 &paths[1])

int main(void)
{
	const struct CMUnitTest tests[] = {
		BOTH_PATHS(test_tdh_vp_enter_cache_hits),
		BOTH_PATHS(test_tdh_vp_enter_cache_vp_flush),
		BOTH_PATHS(test_tdh_vp_enter_cache_td_fatal),
		BOTH_PATHS(test_tdh_vp_enter_cache_corrupted_md),
		BOTH_PATHS(test_tdh_vp_enter_cache_vcpu_disabled),
		BOTH_PATHS(test_tdh_vp_enter_cache_keys),
		BOTH_PATHS(test_tdh_vp_enter_cache_vp_wr),
		BOTH_PATHS(test_tdh_vp_enter_cache_epoch),
		BOTH_PATHS(test_tdh_vp_enter_cache_other_vcpu),
		BOTH_PATHS(test_tdh_vp_enter_cache_busy),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
