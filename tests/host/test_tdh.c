// SPDX-License-Identifier: MIT
/*
 * The per-leaf SEAMCALL wrappers (host/tdh.h) on the real module, their failures injected
 * (tdx_module_inject: the call returns the status with the registers as they went in):
 * each wrapper's leaf and input registers (seen by the TD's trace hook) and the outputs it
 * hands back; RND_NO_ENTROPY retried up to RDRAND_RETRY_LOOPS calls, the busy statuses and
 * everything else returned after one call; TDH.VP.ENTER never retried nor traced; #UD
 * without VMX operation; the gate-or-opcode host setting.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "host/tdx_host.h"
#include "tdx/leaves.h"
#include "tdx/status.h"

#include "host_test.h"

#define TDR  0x12345000ULL
#define PAGE 0x23456000ULL
#define GPA  0x7000ULL

/* What the trace hook saw last, and how often it was called. */
struct seen {
	uint64_t leaf, status;
	struct tdx_module_args in;
	unsigned int calls;
};

static void hook(void *arg, uint64_t leaf, const struct tdx_module_args *in, uint64_t status)
{
	struct seen *s = arg;

	s->leaf = leaf;
	s->in = *in;
	s->status = status;
	s->calls++;
}

static int setup(void **state)
{
	(void)state;
	if (host_test_boot_preset("tiny") || tdx_enable())
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tdx_module_inject_clear();
	tdx_seamcall_set_gate(true);
	host_test_shutdown();
	return 0;
}

/*
 * The bodies run on an LP, where cmocka cannot fail a test (its longjmp belongs to the main
 * thread): they note the first failed check, which the main thread reports.
 */
static char failed[256];

#define EXPECT_EQ(a, b)                                                                            \
	do {                                                                                       \
		uint64_t a_ = (uint64_t)(a), b_ = (uint64_t)(b);                                   \
		if (a_ != b_ && !failed[0])                                                        \
			snprintf(failed, sizeof(failed), "line %d: %s = 0x%llx, want 0x%llx",      \
				 __LINE__, #a, (unsigned long long)a_, (unsigned long long)b_);    \
	} while (0)
#define EXPECT(c)	EXPECT_EQ(!!(c), 1)
#define EXPECT_NE(a, b) EXPECT((a) != (b))

static void run_on(unsigned int lp, long (*fn)(void *))
{
	failed[0] = 0;
	platform_claim_signals(); /* cmocka installs its own handlers around each test */
	assert_int_equal(lp_run_on(lp, fn, NULL), 0);
	if (failed[0])
		fail_msg("%s", failed);
}

#define OPERAND_INVALID 0xC000010000000000ULL /* any error class the wrappers do not retry */

/* Every TD wrapper: its leaf, its registers in, its outputs out, status as injected. */
static long every_wrapper(void *arg)
{
	struct seen s = {0};
	struct tdx_td td = {.tdr_pa = TDR, .trace = hook, .trace_arg = &s};
	struct tdx_vp vp = {.tdvpr_pa = PAGE};
	static const unsigned int called[] = {
		TDH_MNG_CREATE,	     TDH_MNG_KEY_CONFIG,  TDH_MNG_ADDCX,
		TDH_MNG_INIT,	     TDH_MNG_RD,	  TDH_MNG_VPFLUSHDONE,
		TDH_MNG_KEY_FREEID,  TDH_MEM_SEPT_ADD,	  TDH_MEM_PAGE_ADD,
		TDH_MEM_PAGE_AUG,    TDH_MEM_RANGE_BLOCK, TDH_MEM_TRACK,
		TDH_MEM_PAGE_REMOVE, TDH_MEM_PAGE_DEMOTE, TDH_MR_EXTEND,
		TDH_MR_FINALIZE,     TDH_VP_CREATE,	  TDH_VP_ADDCX,
		TDH_VP_INIT,	     TDH_VP_FLUSH,	  TDH_VP_RD,
		TDH_VP_WR,	     TDH_PHYMEM_CACHE_WB, TDH_PHYMEM_PAGE_RECLAIM,
	};
	unsigned int before[64];
	uint64_t e1, e2, v;

	(void)arg;
	lp_vmxon();
	for (unsigned int leaf = 0; leaf < 64; leaf++)
		before[leaf] = tdx_module_injected(leaf);
#define CHECK(call, lf, rcx_, rdx_, r8_, r9_)                                                      \
	do {                                                                                       \
		unsigned int before = s.calls;                                                     \
		tdx_module_inject((lf)&0xFF, TDX_INJECT_EVERY, OPERAND_INVALID);                   \
		EXPECT_EQ(call, OPERAND_INVALID);                                                  \
		tdx_module_inject_clear();                                                         \
		EXPECT_EQ(s.calls, before + 1);                                                    \
		EXPECT_EQ(s.leaf, lf);                                                             \
		EXPECT_EQ(s.status, OPERAND_INVALID);                                              \
		EXPECT_EQ(s.in.rcx, rcx_);                                                         \
		EXPECT_EQ(s.in.rdx, rdx_);                                                         \
		EXPECT_EQ(s.in.r8, r8_);                                                           \
		EXPECT_EQ(s.in.r9, r9_);                                                           \
	} while (0)
	CHECK(tdh_mng_create(&td, 77), TDH_MNG_CREATE, TDR, 77, 0, 0);
	CHECK(tdh_mng_key_config(&td), TDH_MNG_KEY_CONFIG, TDR, 0, 0, 0);
	CHECK(tdh_mng_addcx(&td, PAGE), TDH_MNG_ADDCX, PAGE, TDR, 0, 0);
	CHECK(tdh_mng_init(&td, PAGE, &e1), TDH_MNG_INIT, TDR, PAGE, 0, 0);
	EXPECT_EQ(e1, TDR); /* RCX as it came back */
	v = 1;
	CHECK(tdh_mng_rd(&td, 0x42, &v), TDH_MNG_RD, TDR, 0x42, 0, 0);
	EXPECT_EQ(v, 0); /* R8 */
	CHECK(tdh_mng_vpflushdone(&td), TDH_MNG_VPFLUSHDONE, TDR, 0, 0, 0);
	CHECK(tdh_mng_key_freeid(&td), TDH_MNG_KEY_FREEID, TDR, 0, 0, 0);
	CHECK(tdh_mem_sept_add(&td, GPA << 9, 2, PAGE, &e1, &e2), TDH_MEM_SEPT_ADD, GPA << 9 | 2,
	      TDR, PAGE, 0);
	EXPECT_EQ(e1, GPA << 9 | 2);
	EXPECT_EQ(e2, TDR);
	CHECK(tdh_mem_page_add(&td, GPA, PAGE, PAGE + 0x1000, &e1, &e2), TDH_MEM_PAGE_ADD, GPA, TDR,
	      PAGE, PAGE + 0x1000);
	EXPECT_EQ(e1, GPA);
	EXPECT_EQ(e2, TDR);
	CHECK(tdh_mem_page_aug(&td, 0x200000, 1, PAGE, &e1, NULL), TDH_MEM_PAGE_AUG, 0x200000 | 1,
	      TDR, PAGE, 0);
	CHECK(tdh_mem_range_block(&td, GPA, 0, NULL, &e2), TDH_MEM_RANGE_BLOCK, GPA, TDR, 0, 0);
	CHECK(tdh_mem_track(&td), TDH_MEM_TRACK, TDR, 0, 0, 0);
	CHECK(tdh_mem_page_remove(&td, 0x200000, 1, &e1, &e2), TDH_MEM_PAGE_REMOVE, 0x200000 | 1,
	      TDR, 0, 0);
	CHECK(tdh_mem_page_demote(&td, 0x200000, 1, PAGE, NULL, NULL), TDH_MEM_PAGE_DEMOTE,
	      0x200000 | 1, TDR, PAGE, 0);
	CHECK(tdh_mr_extend(&td, GPA + 0x100, &e1, &e2), TDH_MR_EXTEND, GPA + 0x100, TDR, 0, 0);
	CHECK(tdh_mr_finalize(&td), TDH_MR_FINALIZE, TDR, 0, 0, 0);
	CHECK(tdh_vp_create(&td, &vp), TDH_VP_CREATE, PAGE, TDR, 0, 0);
	EXPECT_EQ(vp.td, &td); /* later vCPU leaves trace through the TD */
	CHECK(tdh_vp_addcx(&vp, PAGE + 0x1000), TDH_VP_ADDCX, PAGE + 0x1000, PAGE, 0, 0);
	CHECK(tdh_vp_init(&vp, 0xABCD, 3), TDH_VP_INIT | (uint64_t)TDH_VP_INIT_X2APIC_VERSION << 16,
	      PAGE, 0xABCD, 3, 0);
	CHECK(tdh_vp_flush(&vp), TDH_VP_FLUSH, PAGE, 0, 0, 0);
	v = 1;
	CHECK(tdh_vp_rd(&vp, 0x99, &v), TDH_VP_RD, PAGE, 0x99, 0, 0);
	EXPECT_EQ(v, 0);
	CHECK(tdh_vp_wr(&vp, 0x99, 0x55, 0xFF), TDH_VP_WR, PAGE, 0x99, 0x55, 0xFF);
#undef CHECK
	/* The TD-less leaves: no hook to call */
	s.calls = 0;
	tdx_module_inject(TDH_PHYMEM_CACHE_WB, TDX_INJECT_EVERY, OPERAND_INVALID);
	tdx_module_inject(TDH_PHYMEM_PAGE_RECLAIM, TDX_INJECT_EVERY, OPERAND_INVALID);
	EXPECT_EQ(tdh_phymem_cache_wb(false), OPERAND_INVALID);
	e1 = e2 = v = 1;
	EXPECT_EQ(tdh_phymem_page_reclaim(PAGE, &e1, &e2, &v), OPERAND_INVALID);
	EXPECT_EQ(e1, PAGE); /* RCX, RDX, R8 as they came back */
	EXPECT_EQ(e2, 0);
	EXPECT_EQ(v, 0);
	EXPECT_EQ(s.calls, 0);
	/* Each of them was one call (an error is not retried), and no other leaf was called */
	for (unsigned int leaf = 0; leaf < 64; leaf++) {
		unsigned int want = 0;

		for (size_t i = 0; i < sizeof(called) / sizeof(called[0]); i++)
			want += called[i] == leaf;
		if (tdx_module_injected(leaf) - before[leaf] != want && !failed[0])
			snprintf(failed, sizeof(failed), "leaf %u: %u calls, want %u", leaf,
				 tdx_module_injected(leaf) - before[leaf], want);
	}
	tdx_module_inject_clear();
	lp_vmxoff();
	return 0;
}

static void test_every_wrapper(void **state)
{
	(void)state;
	run_on(0, every_wrapper);
}

/* Which statuses are repeated, and how often. */
static long retries(void *arg)
{
	struct tdx_td td = {.tdr_pa = TDR};
	struct tdx_vp vp = {.tdvpr_pa = PAGE, .td = &td};
	struct tdx_module_args a = {0};
	unsigned int n[64];
	uint64_t s, hpa;

	(void)arg;
	lp_vmxon();
	for (unsigned int leaf = 0; leaf < 64; leaf++)
		n[leaf] = tdx_module_injected(leaf);
#define CALLS(leaf) (tdx_module_injected(leaf) - n[leaf])
	/* RND_NO_ENTROPY once: the second call runs (and fails on the made-up TDR) */
	tdx_module_inject(TDH_MNG_KEY_CONFIG, 1, TDX_RND_NO_ENTROPY);
	s = tdh_mng_key_config(&td);
	EXPECT_NE(s, TDX_RND_NO_ENTROPY);
	EXPECT(s & TDX_ERROR);
	EXPECT_EQ(CALLS(TDH_MNG_KEY_CONFIG), 1);
	tdx_module_inject_clear();
	/* RND_NO_ENTROPY for ever: given up after RDRAND_RETRY_LOOPS calls */
	tdx_module_inject(TDH_MEM_TRACK, TDX_INJECT_EVERY, TDX_RND_NO_ENTROPY);
	EXPECT_EQ(tdh_mem_track(&td), TDX_RND_NO_ENTROPY);
	EXPECT_EQ(CALLS(TDH_MEM_TRACK), RDRAND_RETRY_LOOPS);
	tdx_module_inject_clear();
	/* The busy statuses are the caller's to retry, after what it has to do first */
	tdx_module_inject(TDH_MEM_TRACK, 1, TDX_OPERAND_BUSY);
	EXPECT_EQ(tdh_mem_track(&td), TDX_OPERAND_BUSY);
	tdx_module_inject(TDH_MEM_PAGE_REMOVE, 1, TDX_TLB_TRACKING_NOT_DONE);
	EXPECT_EQ(tdh_mem_page_remove(&td, GPA, 0, &hpa, NULL), TDX_TLB_TRACKING_NOT_DONE);
	tdx_module_inject(TDH_MNG_VPFLUSHDONE, 1, TDX_PREVIOUS_TLB_EPOCH_BUSY);
	EXPECT_EQ(tdh_mng_vpflushdone(&td), TDX_PREVIOUS_TLB_EPOCH_BUSY);
	tdx_module_inject(TDH_PHYMEM_CACHE_WB, 1, TDX_INTERRUPTED_RESUMABLE);
	EXPECT_EQ(tdh_phymem_cache_wb(false), TDX_INTERRUPTED_RESUMABLE);
	EXPECT_EQ(CALLS(TDH_MEM_TRACK), RDRAND_RETRY_LOOPS + 1);
	EXPECT_EQ(CALLS(TDH_MEM_PAGE_REMOVE), 1);
	EXPECT_EQ(CALLS(TDH_MNG_VPFLUSHDONE), 1);
	EXPECT_EQ(CALLS(TDH_PHYMEM_CACHE_WB), 1);
	tdx_module_inject_clear();
	/* VP.ENTER: never repeated, RCX set from the vCPU, interrupts back on after it */
	tdx_module_inject(TDH_VP_ENTER, TDX_INJECT_EVERY, TDX_RND_NO_ENTROPY);
	a.rcx = 0xBAD;
	EXPECT_EQ(tdh_vp_enter(&vp, &a), TDX_RND_NO_ENTROPY);
	EXPECT_EQ(a.rcx, PAGE);
	EXPECT_EQ(CALLS(TDH_VP_ENTER), 1);
	EXPECT(!lp_irqs_disabled());
	tdx_module_inject_clear();
#undef CALLS
	lp_vmxoff();
	return 0;
}

static void test_retries(void **state)
{
	(void)state;
	run_on(0, retries);
}

/* Without VMX operation: #UD, as the stub reports it. */
static long no_vmx(void *arg)
{
	struct tdx_td td = {.tdr_pa = TDR};

	(void)arg;
	EXPECT(!lp_in_vmx());
	EXPECT_EQ(tdh_mem_track(&td), TDX_SEAMCALL_UD);
	EXPECT_EQ(tdh_phymem_cache_wb(false), TDX_SEAMCALL_UD);
	return 0;
}

static void test_no_vmx(void **state)
{
	(void)state;
	run_on(1, no_vmx);
}

/* The gate or the opcode, as the host is set: a trap per call only with the opcode. */
static long gate_or_insn(void *arg)
{
	struct tdx_td td = {.tdr_pa = TDR};
	struct platform_stats a, b;

	(void)arg;
	lp_vmxon();
	for (int gate = 0; gate <= 1; gate++) {
		tdx_seamcall_set_gate(gate);
		EXPECT_EQ(tdx_seamcall_gate(), gate);
		platform_get_stats(&a);
		for (int i = 0; i < 10; i++)
			EXPECT(tdh_mem_track(&td) & TDX_ERROR);
		platform_get_stats(&b);
		if (gate) {
			EXPECT_EQ(b.gate_calls - a.gate_calls, 10);
			EXPECT_EQ(b.traps - a.traps, 0);
		} else {
			EXPECT_EQ(b.traps - a.traps, 10);
			EXPECT_EQ(b.gate_calls - a.gate_calls, 0);
		}
	}
	lp_vmxoff();
	return 0;
}

static void test_gate_or_insn(void **state)
{
	(void)state;
	run_on(0, gate_or_insn);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_wrapper),
		cmocka_unit_test(test_retries),
		cmocka_unit_test(test_no_vmx),
		cmocka_unit_test(test_gate_or_insn),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
