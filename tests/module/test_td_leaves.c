// SPDX-License-Identifier: MIT
/*
 * One test per leaf, named by it: TDH.VP.ADDCX up to MAX_TDVPS_PAGES, TDH.VP.INIT's
 * association and MAX_VCPUS, TDH.MNG.INIT's MAX_VCPUS checks, and the leaves after them.
 * Each test asserts exact statuses and registers and runs both checkers (PAMT and Secure
 * EPT) after the state changes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "td.h"
#include "td_harness.h"
#include "tdx/pi.h"

#define ID_NUM_VCPUS	   0x9010000200000001ULL
#define ID_NUM_ASSOC_VCPUS 0x9010000200000002ULL
#define ID_MAX_VCPUS	   0x1110000200000002ULL
#define ID_NUM_TDVPS_PAGES 0xA020000300000003ULL
#define ID_ASSOC_LPID	   0xA020000200000004ULL
#define ID_VCPU_INDEX	   0xA020000200000002ULL

static void checkers_clean(void)
{
	char buf[4096];

	if (tdx_pamt_check(buf, sizeof(buf)) != 0)
		fail_msg("PAMT checker: %s", buf);
	if (tdx_sept_check(buf, sizeof(buf)) != 0)
		fail_msg("Secure EPT checker: %s", buf);
}

static uint64_t mng_rd(uint64_t tdr, uint64_t id)
{
	struct tdx_module_args a = {.rcx = tdr, .rdx = id};
	uint64_t s = td_call(TDH_MNG_RD, &a);

	assert_int_equal(s, TDX_SUCCESS);
	return a.r8;
}

/* TD_PARAMS with max_vcpus, MNG.CREATE + KEY.CONFIG + ADDCX + MNG.INIT. */
static void td_with_max_vcpus(struct test_td *td, uint16_t max_vcpus)
{
	struct td_params p;

	td_params_default(&p);
	p.max_vcpus = max_vcpus;
	assert_int_equal(td_create(td, TD_HKID), 0);
	assert_int_equal(td_init(td, &p), 0);
}

/* VP.CREATE and n TDCX pages; the vCPU is td->nr_vcpus - 1 afterwards. */
static unsigned int vp_create(struct test_td *td, unsigned int n)
{
	unsigned int v = td->nr_vcpus;
	struct tdx_module_args a;

	td->tdvpr[v] = td_page_alloc();
	a = (struct tdx_module_args){.rcx = td->tdvpr[v], .rdx = td->tdr};
	assert_int_equal(td_call(TDH_VP_CREATE, &a), TDX_SUCCESS);
	td->nr_vcpus++;
	for (unsigned int i = 0; i < n; i++) {
		td->vp_tdcx[v][i] = td_page_alloc();
		a = (struct tdx_module_args){.rcx = td->vp_tdcx[v][i], .rdx = td->tdvpr[v]};
		assert_int_equal(td_call(TDH_VP_ADDCX, &a), TDX_SUCCESS);
		assert_int_equal(a.rcx, td->vp_tdcx[v][i]);
		assert_int_equal(a.rdx, td->tdvpr[v]);
	}
	return v;
}

/*
 * TDH.VP.ADDCX takes TDCX pages up to MAX_TDVPS_PAGES (15 with the TDVPR, 1.5's room for
 * three L2 VMs); the 15th TDCX is TDCX_NUM_INCORRECT and stays the host's. TDVPS_BASE_SIZE
 * still advertises the 6 pages VP.INIT needs, which is what VP.INIT checks.
 */
static void test_tdh_vp_addcx_max_pages(void **state)
{
	struct tdx_module_args a;
	struct test_td td;
	uint64_t extra;
	unsigned int v;

	(void)state;
	a = (struct tdx_module_args){.rdx = MD_FIELD_ID_TDVPS_BASE_SIZE};
	assert_int_equal(td_call(TDH_SYS_RD, &a), TDX_SUCCESS);
	assert_int_equal(a.r8, MIN_TDVPS_PAGES * 4096);
	assert_int_equal(MIN_TDVPS_PAGES, TD_VP_TDCX + 1);

	td_with_max_vcpus(&td, 8);
	v = vp_create(&td, TD_VP_MAX_TDCX);
	assert_int_equal(tdvps_of(td.tdvpr[v])->num_tdcx, 14);
	extra = td_page_alloc();
	a = (struct tdx_module_args){.rcx = extra, .rdx = td.tdvpr[v]};
	assert_int_equal(td_call(TDH_VP_ADDCX, &a), TDX_TDCX_NUM_INCORRECT);
	assert_int_equal(pamt_entry_get(extra, PT_4KB)->pt, PT_NDA);
	for (unsigned int i = 0; i < TD_VP_MAX_TDCX; i++) {
		assert_int_equal(pamt_entry_get(td.vp_tdcx[v][i], PT_4KB)->pt, PT_TDCX);
		assert_int_equal(pamt_owner(pamt_entry_get(td.vp_tdcx[v][i], PT_4KB)), td.tdr);
	}
	checkers_clean();

	/* VP.INIT with 14 pages; the TDVPS lists all 15 */
	a = (struct tdx_module_args){.rcx = td.tdvpr[v], .rdx = 0};
	assert_int_equal(td_call(TDH_VP_INIT, &a), TDX_SUCCESS);
	a = (struct tdx_module_args){.rcx = td.tdvpr[v], .rdx = ID_NUM_TDVPS_PAGES};
	assert_int_equal(td_call(TDH_VP_RD, &a), TDX_SUCCESS);
	assert_int_equal(a.r8, 15);
	a = (struct tdx_module_args){.rcx = td.tdvpr[v], .rdx = 0xA020000300000010ULL + 14};
	assert_int_equal(td_call(TDH_VP_RD, &a), TDX_SUCCESS);
	assert_int_equal(a.r8, td.vp_tdcx[v][13]);
	/* after VP.INIT: VCPU_STATE_INCORRECT before the count */
	a = (struct tdx_module_args){.rcx = extra, .rdx = td.tdvpr[v]};
	assert_int_equal(td_call(TDH_VP_ADDCX, &a), TDX_VCPU_STATE_INCORRECT);
	checkers_clean();

	assert_int_equal(td_teardown(&td), 0);
	for (unsigned int i = 0; i < TD_VP_MAX_TDCX; i++)
		assert_int_equal(pamt_entry_get(td.vp_tdcx[v][i], PT_4KB)->pt, PT_NDA);
	checkers_clean();
}

/* Fewer than 5 TDCX pages: VP.INIT is TDCX_NUM_INCORRECT, and so is VP.FLUSH. */
static void test_tdh_vp_init_tdcx_count(void **state)
{
	struct tdx_module_args a;
	struct test_td td;
	unsigned int v;

	(void)state;
	td_with_max_vcpus(&td, 8);
	v = vp_create(&td, TD_VP_TDCX - 1);
	a = (struct tdx_module_args){.rcx = td.tdvpr[v], .rdx = 0};
	assert_int_equal(td_call(TDH_VP_INIT, &a), TDX_TDCX_NUM_INCORRECT);
	a = (struct tdx_module_args){.rcx = td.tdvpr[v]};
	assert_int_equal(td_call(TDH_VP_FLUSH, &a), TDX_TDCX_NUM_INCORRECT);
	assert_int_equal(mng_rd(td.tdr, ID_NUM_VCPUS), 0);
	checkers_clean();
	assert_int_equal(td_teardown(&td), 0);
	checkers_clean();
}

/*
 * TDH.VP.INIT associates the vCPU with the LP it runs on [M associate_vcpu_initial]: a
 * VP.FLUSH there right after it succeeds, elsewhere it is VCPU_NOT_ASSOCIATED; VP.RD on
 * another LP is VCPU_ASSOCIATED until the flush. Before VP.INIT, VP.RD/WR cannot associate
 * it (VCPU_STATE_INCORRECT), so the count of associated vCPUs stays right.
 */
static void test_tdh_vp_init_associates(void **state)
{
	struct tdx_module_args a;
	struct test_td td;
	unsigned int v;

	(void)state;
	td_with_max_vcpus(&td, 8);
	v = vp_create(&td, TD_VP_TDCX);
	assert_int_equal(tdvps_of(td.tdvpr[v])->assoc_lp, -1);
	/* before VP.INIT, VP.RD/WR may not associate it [M check_and_associate_vcpu] */
	a = (struct tdx_module_args){.rcx = td.tdvpr[v], .rdx = ID_ASSOC_LPID};
	assert_int_equal(td_call_on(0, TDH_VP_RD, &a), TDX_VCPU_STATE_INCORRECT);
	a = (struct tdx_module_args){
		.rcx = td.tdvpr[v], .rdx = TDVPS_VMCS_POSTED_INTR_NV, .r8 = 0xF2, .r9 = 0xFFFF};
	assert_int_equal(td_call_on(0, TDH_VP_WR, &a), TDX_VCPU_STATE_INCORRECT);
	assert_int_equal(tdvps_of(td.tdvpr[v])->assoc_lp, -1);
	assert_int_equal(mng_rd(td.tdr, ID_NUM_ASSOC_VCPUS), 0);
	a = (struct tdx_module_args){.rcx = td.tdvpr[v], .rdx = 0x1234};
	assert_int_equal(td_call_on(1, TDH_VP_INIT, &a), TDX_SUCCESS);
	assert_int_equal(a.rcx, td.tdvpr[v]);
	assert_int_equal(a.rdx, 0x1234);
	assert_int_equal(tdvps_of(td.tdvpr[v])->assoc_lp, 1);
	assert_int_equal(mng_rd(td.tdr, ID_NUM_ASSOC_VCPUS), 1);
	checkers_clean();

	a = (struct tdx_module_args){.rcx = td.tdvpr[v], .rdx = ID_ASSOC_LPID};
	assert_int_equal(td_call_on(1, TDH_VP_RD, &a), TDX_SUCCESS);
	assert_int_equal(a.r8, 1);
	a = (struct tdx_module_args){.rcx = td.tdvpr[v], .rdx = ID_ASSOC_LPID};
	assert_int_equal(td_call_on(0, TDH_VP_RD, &a), TDX_VCPU_ASSOCIATED);
	a = (struct tdx_module_args){.rcx = td.tdvpr[v]};
	assert_int_equal(td_call_on(0, TDH_VP_FLUSH, &a), TDX_VCPU_NOT_ASSOCIATED);
	a = (struct tdx_module_args){.rcx = td.tdvpr[v]};
	assert_int_equal(td_call_on(1, TDH_VP_FLUSH, &a), TDX_SUCCESS);
	assert_int_equal(a.rcx, td.tdvpr[v]);
	assert_int_equal(tdvps_of(td.tdvpr[v])->assoc_lp, -1);
	assert_int_equal(mng_rd(td.tdr, ID_NUM_ASSOC_VCPUS), 0);
	a = (struct tdx_module_args){.rcx = td.tdvpr[v]};
	assert_int_equal(td_call_on(1, TDH_VP_FLUSH, &a), TDX_VCPU_NOT_ASSOCIATED);
	/* flushed: MNG.VPFLUSHDONE has nothing left to wait for */
	a = (struct tdx_module_args){.rcx = td.tdr};
	assert_int_equal(td_call(TDH_MNG_VPFLUSHDONE, &a), TDX_SUCCESS);
	checkers_clean();
	assert_int_equal(td_teardown(&td), 0);
	checkers_clean();
}

/* Not flushed: MNG.VPFLUSHDONE is FLUSHVP_NOT_DONE right after VP.INIT. */
static void test_tdh_vp_init_then_vpflushdone(void **state)
{
	struct tdx_module_args a;
	struct test_td td;

	(void)state;
	td_with_max_vcpus(&td, 8);
	assert_int_equal(td_add_vcpu(&td), 0);
	a = (struct tdx_module_args){.rcx = td.tdr};
	assert_int_equal(td_call(TDH_MNG_VPFLUSHDONE, &a), TDX_FLUSHVP_NOT_DONE);
	checkers_clean();
	assert_int_equal(td_teardown(&td), 0);
	checkers_clean();
}

/*
 * TD_PARAMS.MAX_VCPUS: VP.CREATE does not count vCPUs; VP.INIT gives each its index in
 * order and the one beyond MAX_VCPUS is MAX_VCPUS_EXCEEDED, NUM_VCPUS unchanged, the vCPU
 * left UNINITIALIZED (it can still be torn down).
 */
static void test_tdh_vp_init_max_vcpus(void **state)
{
	struct tdx_module_args a;
	struct test_td td;

	(void)state;
	td_with_max_vcpus(&td, 2);
	assert_int_equal(mng_rd(td.tdr, ID_MAX_VCPUS), 2);
	for (unsigned int i = 0; i < 3; i++)
		vp_create(&td, TD_VP_TDCX);
	assert_int_equal(mng_rd(td.tdr, ID_NUM_VCPUS), 0);
	checkers_clean();
	/* VP.INIT in the order 2, 0: indexes follow VP.INIT, not VP.CREATE */
	a = (struct tdx_module_args){.rcx = td.tdvpr[2]};
	assert_int_equal(td_call(TDH_VP_INIT, &a), TDX_SUCCESS);
	a = (struct tdx_module_args){.rcx = td.tdvpr[0]};
	assert_int_equal(td_call(TDH_VP_INIT, &a), TDX_SUCCESS);
	a = (struct tdx_module_args){.rcx = td.tdvpr[1]};
	assert_int_equal(td_call(TDH_VP_INIT, &a), TDX_MAX_VCPUS_EXCEEDED);
	assert_int_equal(a.rcx, td.tdvpr[1]);
	assert_int_equal(mng_rd(td.tdr, ID_NUM_VCPUS), 2);
	assert_int_equal(tdvps_of(td.tdvpr[1])->state, VCPU_UNINITIALIZED);
	assert_int_equal(tdvps_of(td.tdvpr[1])->assoc_lp, -1);
	a = (struct tdx_module_args){.rcx = td.tdvpr[2], .rdx = ID_VCPU_INDEX};
	assert_int_equal(td_call(TDH_VP_RD, &a), TDX_SUCCESS);
	assert_int_equal(a.r8, 0);
	a = (struct tdx_module_args){.rcx = td.tdvpr[0], .rdx = ID_VCPU_INDEX};
	assert_int_equal(td_call(TDH_VP_RD, &a), TDX_SUCCESS);
	assert_int_equal(a.r8, 1);
	/* the refused one again: still refused */
	a = (struct tdx_module_args){.rcx = td.tdvpr[1]};
	assert_int_equal(td_call(TDH_VP_INIT, &a), TDX_MAX_VCPUS_EXCEEDED);
	checkers_clean();
	assert_int_equal(td_teardown(&td), 0);
	checkers_clean();
}

/*
 * MNG.INIT: MAX_VCPUS 0 is refused; under LATEST also above MAX_VCPUS_PER_TD (1024). 1.5.01
 * has no such field and takes any non-zero 16-bit value [M tdh_mng_init.c].
 */
static void test_tdh_mng_init_max_vcpus(void **state)
{
	bool v1501 = tdxm.params.version == TDX_MODULE_1_5_01;

	struct tdx_module_args a;
	struct td_params p;
	struct test_td td;

	(void)state;
	assert_int_equal(td_create(&td, TD_HKID), 0);
	for (unsigned int i = 0; i < 6; i++) {
		td.tdcx[i] = td_page_alloc();
		a = (struct tdx_module_args){.rcx = td.tdcx[i], .rdx = td.tdr};
		assert_int_equal(td_call(TDH_MNG_ADDCX, &a), 0);
	}
	td_params_default(&p);
	for (unsigned int i = 0; i < (v1501 ? 1U : 2U); i++) {
		p.max_vcpus = i ? 1025 : 0;
		memcpy(hva(TD_PARAMS_PA), &p, sizeof(p));
		a = (struct tdx_module_args){.rcx = td.tdr, .rdx = TD_PARAMS_PA};
		assert_int_equal(td_call(TDH_MNG_INIT, &a),
				 TDX_OPERAND_INVALID + TDX_OPERAND_ID_MAX_VCPUS);
		assert_int_equal(a.rcx, 0); /* no extended error information */
	}
	p.max_vcpus = tdxm.params.version == TDX_MODULE_1_5_01 ? 0xFFFF : 1024;
	memcpy(hva(TD_PARAMS_PA), &p, sizeof(p));
	a = (struct tdx_module_args){.rcx = td.tdr, .rdx = TD_PARAMS_PA};
	assert_int_equal(td_call(TDH_MNG_INIT, &a), TDX_SUCCESS);
	assert_int_equal(mng_rd(td.tdr, ID_MAX_VCPUS), p.max_vcpus);
	checkers_clean();
	assert_int_equal(td_teardown(&td), 0);
	checkers_clean();
}

/* ---- TDG.SYS.RD / TDG.SYS.RDALL: the guest's read masks ---------------------------------- */

/* A TDCALL from vCPU 0 of td, completed in place (white-box: the dispatcher). */
static uint64_t tdcall(const struct test_td *td, struct cpu_regs *ctx, uint64_t rax)
{
	struct vm_exit ti = {.reason = EXIT_REASON_TDCALL, .insn_len = 4};

	ctx->rip = 0x1000;
	ctx->gpr[REG_RAX_] = rax;
	vmexit_tdcall(ctx, tdvps_of(td->tdvpr[0]), &ti);
	assert_int_equal(ctx->rip, 0x1004);
	return ctx->gpr[REG_RAX_];
}

/* The fields a guest may read [M global_sys_fields_lookup.c, guest_rd_mask != 0]. */
static const struct {
	uint64_t id, value;
} guest_fields[] = {
	{MD_FIELD_ID_VENDOR_ID, 0x8086},
	{MD_FIELD_ID_MINOR_VERSION, 5},
	{MD_FIELD_ID_MAJOR_VERSION, 1},
	{MD_FIELD_ID_SYS_ATTRIBUTES, 0},
	{MD_FIELD_ID_NUM_TDX_FEATURES, 1},
	{MD_FIELD_ID_TDX_FEATURES0, TDX_FEATURES0_NO_RBP_MOD | TDX_FEATURES0_REDUCE_VE},
};
#define NR_GUEST_FIELDS (sizeof(guest_fields) / sizeof(guest_fields[0]))

/* Host-only fields of every class tdxsim answers: NOT_READABLE for the guest. */
static const uint64_t host_only[] = {
	MD_FIELD_ID_NUM_PKGS,	       MD_FIELD_ID_PKG_FMS,
	MD_FIELD_ID_BUILD_DATE,	       MD_FIELD_ID_BUILD_NUM,
	MD_FIELD_ID_UPDATE_VERSION,    MD_FIELD_ID_INTERNAL_VERSION,
	0x8900000100000000ULL,	       MD_FIELD_ID_NUM_CMRS,
	MD_FIELD_ID_CMR_BASE + 3,      MD_FIELD_ID_MAX_TDMRS,
	MD_FIELD_ID_TDR_BASE_SIZE,     MD_FIELD_ID_TDVPS_BASE_SIZE,
	MD_FIELD_ID_ATTRIBUTES_FIXED0, MD_FIELD_ID_XFAM_FIXED1,
	MD_FIELD_ID_NUM_CPUID_CONFIG,  MD_FIELD_ID_CPUID_CONFIG_LEAVES,
	MD_FIELD_ID_MAX_VCPUS_PER_TD,
};

/*
 * TDG.SYS.RD answers only the guest-readable fields; a host-only one is
 * METADATA_FIELD_NOT_READABLE with R8 = 0 and RDX = -1 (TDH.SYS.RD reads it); the walk from
 * the null ID visits exactly the readable ones, each with its value, and ends in -1.
 */
static void test_tdg_sys_rd_guest_masks(void **state)
{
	struct tdx_module_args a;
	struct cpu_regs ctx;
	struct test_td td;
	uint64_t id;
	unsigned int n = 0;

	(void)state;
	assert_int_equal(td_build_basic(&td), 0);
	for (unsigned int i = 0; i < sizeof(host_only) / sizeof(host_only[0]); i++) {
		memset(&ctx, 0, sizeof(ctx));
		ctx.gpr[REG_RDX_] = host_only[i];
		ctx.gpr[REG_R8_] = 0x5555;
		assert_int_equal(tdcall(&td, &ctx, TDG_SYS_RD), TDX_METADATA_FIELD_NOT_READABLE);
		assert_int_equal(ctx.gpr[REG_R8_], 0);
		assert_int_equal(ctx.gpr[REG_RDX_], MD_FIELD_ID_NA);
		a = (struct tdx_module_args){.rdx = host_only[i]};
		assert_int_equal(td_call(TDH_SYS_RD, &a), TDX_SUCCESS);
	}
	/* unknown stays INCORRECT (the lookup comes before the mask) */
	memset(&ctx, 0, sizeof(ctx));
	ctx.gpr[REG_RDX_] = 0x0800000100000007ULL;
	assert_int_equal(tdcall(&td, &ctx, TDG_SYS_RD), TDX_METADATA_FIELD_ID_INCORRECT);

	memset(&ctx, 0, sizeof(ctx));
	ctx.gpr[REG_RDX_] = MD_FIELD_ID_NA;
	assert_int_equal(tdcall(&td, &ctx, TDG_SYS_RD), TDX_METADATA_FIRST_FIELD_ID_IN_CONTEXT);
	assert_int_equal(ctx.gpr[REG_R8_], 0);
	for (id = ctx.gpr[REG_RDX_]; id != MD_FIELD_ID_NA; id = ctx.gpr[REG_RDX_], n++) {
		assert_true(n < NR_GUEST_FIELDS);
		assert_int_equal(id, guest_fields[n].id);
		memset(&ctx, 0, sizeof(ctx));
		ctx.gpr[REG_RDX_] = id;
		assert_int_equal(tdcall(&td, &ctx, TDG_SYS_RD), TDX_SUCCESS);
		assert_int_equal(ctx.gpr[REG_R8_], guest_fields[n].value);
	}
	assert_int_equal(n, NR_GUEST_FIELDS);
	/* the host's walk still starts at NUM_PKGS */
	a = (struct tdx_module_args){.rdx = MD_FIELD_ID_NA};
	assert_int_equal(td_call(TDH_SYS_RD, &a), TDX_METADATA_FIRST_FIELD_ID_IN_CONTEXT);
	assert_int_equal(a.rdx, MD_FIELD_ID_NUM_PKGS);
	checkers_clean();
	assert_int_equal(td_teardown(&td), 0);
}

static uint64_t seq_header(uint64_t id, unsigned int nfields)
{
	return md_field_id_set_last_field(md_field_id_set_last_element(id, 0), nfields - 1);
}

/*
 * TDG.SYS.RDALL lists only what the guest may read, into a private page: from the null ID
 * five sequences (MINOR and MAJOR are consecutive, so one sequence of two), R8 = -1; from a
 * host-only field it goes on at the next readable one, or lists nothing; errors as the
 * module gives them.
 */
static void test_tdg_sys_rdall_guest_masks(void **state)
{
	static const uint8_t hlt[] = {0xF4}; /* never runs: the TDCALLs are made white-box */
	uint8_t code[4096];
	struct cpu_regs ctx;
	struct test_td td;
	uint64_t data_hpa = 0, want[12];
	unsigned int n = 0;

	(void)state;
	td_code_page(code, hlt, hlt + sizeof(hlt));
	assert_int_equal(td_build_guest(&td, code, code, &data_hpa), 0);
	assert_int_not_equal(data_hpa, 0);

	memset(&ctx, 0, sizeof(ctx));
	ctx.gpr[REG_RDX_] = TD_DATA_GPA;
	ctx.gpr[REG_R8_] = MD_FIELD_ID_NA;
	assert_int_equal(tdcall(&td, &ctx, TDG_SYS_RDALL), TDX_SUCCESS);
	assert_int_equal(ctx.gpr[REG_R8_], MD_FIELD_ID_NA);
	assert_int_equal(ctx.gpr[REG_RDX_], TD_DATA_GPA);
	want[n++] = seq_header(MD_FIELD_ID_VENDOR_ID, 1);
	want[n++] = 0x8086;
	want[n++] = seq_header(MD_FIELD_ID_MINOR_VERSION, 2);
	want[n++] = 5;
	want[n++] = 1;
	want[n++] = seq_header(MD_FIELD_ID_SYS_ATTRIBUTES, 1);
	want[n++] = 0;
	want[n++] = seq_header(MD_FIELD_ID_NUM_TDX_FEATURES, 1);
	want[n++] = 1;
	want[n++] = seq_header(MD_FIELD_ID_TDX_FEATURES0, 1);
	want[n++] = TDX_FEATURES0_NO_RBP_MOD | TDX_FEATURES0_REDUCE_VE;
	{
		const uint8_t *b = td_gpa_va(tdcs_of(tdr_of(td.tdr)), tdr_of(td.tdr), TD_DATA_GPA,
					     4096, false);
		uint64_t hdr;

		assert_non_null(b);
		memcpy(&hdr, b, 8);
		assert_int_equal(hdr, (8 + 8 * n) | (5ULL << 16)); /* bytes used, sequences */
		assert_memory_equal(b + 8, want, 8 * n);

		/* from MAJOR_VERSION: MAJOR, then the three of class 0xA */
		memset(&ctx, 0, sizeof(ctx));
		ctx.gpr[REG_RDX_] = TD_DATA_GPA;
		ctx.gpr[REG_R8_] = MD_FIELD_ID_MAJOR_VERSION;
		assert_int_equal(tdcall(&td, &ctx, TDG_SYS_RDALL), TDX_SUCCESS);
		assert_int_equal(ctx.gpr[REG_R8_], MD_FIELD_ID_NA);
		memcpy(&hdr, b, 8);
		assert_int_equal(hdr, (8 + 8 * 8) | (4ULL << 16));
		memcpy(&hdr, b + 8, 8);
		assert_int_equal(hdr, seq_header(MD_FIELD_ID_MAJOR_VERSION, 1));

		/* from a host-only field: on at the next readable one (SYS_ATTRIBUTES) */
		memset(&ctx, 0, sizeof(ctx));
		ctx.gpr[REG_RDX_] = TD_DATA_GPA;
		ctx.gpr[REG_R8_] = MD_FIELD_ID_UPDATE_VERSION;
		assert_int_equal(tdcall(&td, &ctx, TDG_SYS_RDALL), TDX_SUCCESS);
		memcpy(&hdr, b, 8);
		assert_int_equal(hdr, (8 + 6 * 8) | (3ULL << 16));
		memcpy(&hdr, b + 8, 8);
		assert_int_equal(hdr, seq_header(MD_FIELD_ID_SYS_ATTRIBUTES, 1));

		/* from a host-only field with nothing readable after it: an empty list */
		memset(&ctx, 0, sizeof(ctx));
		ctx.gpr[REG_RDX_] = TD_DATA_GPA;
		ctx.gpr[REG_R8_] = MD_FIELD_ID_NUM_CPUID_CONFIG;
		assert_int_equal(tdcall(&td, &ctx, TDG_SYS_RDALL), TDX_SUCCESS);
		assert_int_equal(ctx.gpr[REG_R8_], MD_FIELD_ID_NA);
		memcpy(&hdr, b, 8);
		assert_int_equal(hdr, 8);
	}

	/* errors: misaligned, shared, not a field start, unknown; R8 = -1 on each */
	memset(&ctx, 0, sizeof(ctx));
	ctx.gpr[REG_RDX_] = TD_DATA_GPA + 8;
	assert_int_equal(tdcall(&td, &ctx, TDG_SYS_RDALL),
			 TDX_OPERAND_INVALID + TDX_OPERAND_ID_RDX);
	assert_int_equal(ctx.gpr[REG_R8_], MD_FIELD_ID_NA);
	memset(&ctx, 0, sizeof(ctx));
	ctx.gpr[REG_RDX_] = TD_DATA_GPA | (1ULL << 47);
	assert_int_equal(tdcall(&td, &ctx, TDG_SYS_RDALL),
			 TDX_OPERAND_INVALID + TDX_OPERAND_ID_RDX);
	assert_int_equal(ctx.gpr[REG_R8_], MD_FIELD_ID_NA);
	memset(&ctx, 0, sizeof(ctx));
	ctx.gpr[REG_RDX_] = TD_DATA_GPA;
	ctx.gpr[REG_R8_] = MD_FIELD_ID_CMR_BASE + 1 - (1ULL << 32); /* wrong element size */
	assert_int_equal(tdcall(&td, &ctx, TDG_SYS_RDALL), TDX_METADATA_FIELD_ID_INCORRECT);
	assert_int_equal(ctx.gpr[REG_R8_], MD_FIELD_ID_NA);
	memset(&ctx, 0, sizeof(ctx));
	ctx.gpr[REG_RDX_] = TD_DATA_GPA;
	ctx.gpr[REG_R8_] = 0x0800000100000007ULL;
	assert_int_equal(tdcall(&td, &ctx, TDG_SYS_RDALL), TDX_METADATA_FIELD_ID_INCORRECT);
	checkers_clean();
	assert_int_equal(td_teardown(&td), 0);
	checkers_clean();
}

/* ---- TDH.MEM.RD / TDH.MEM.WR ------------------------------------------------------------- */

#define G_DATA	       0x40000000ULL			/* a MAPPED 4K page (PAGE.ADD) */
#define LEAF_ARCH(hpa) ((hpa) | 0xF0ULL | (1ULL << 63)) /* WB, IPAT, PS, SVE; no RWX */

/* A finalized TD with ATTRIBUTES attr, one vCPU and a page of 0x11.. bytes at G_DATA. */
static uint64_t td_with_page(struct test_td *td, uint64_t attr)
{
	uint8_t page[4096];
	struct td_params p;

	td_params_default(&p);
	p.attributes = attr;
	memset(page, 0x11, sizeof(page));
	memcpy(page + 8, &(uint64_t){0x0123456789ABCDEFULL}, 8);
	assert_int_equal(td_create(td, TD_HKID), 0);
	assert_int_equal(td_init(td, &p), 0);
	assert_int_equal(td_add_vcpu(td), 0);
	assert_int_equal(td_sept_map(td, G_DATA), 0);
	assert_int_equal(td_page_add(td, G_DATA, page, false), 0);
	assert_int_equal(td_finalize(td), 0);
	return td->last_page;
}

static uint64_t mem_call(uint64_t leaf, uint64_t gpa, uint64_t tdr, uint64_t r8,
			 struct tdx_module_args *a)
{
	*a = (struct tdx_module_args){.rcx = gpa, .rdx = tdr, .r8 = r8, .r9 = 0x99};
	return td_call(leaf, a);
}

/* Success: R8 = the value before; RCX, RDX = 0; R9 untouched; the page holds the write. */
static void test_tdh_mem_rd_wr(void **state)
{
	struct tdx_module_args a;
	struct test_td td;
	uint64_t hpa, v;

	(void)state;
	hpa = td_with_page(&td, TDX_TD_ATTR_DEBUG);
	assert_int_equal(mem_call(TDH_MEM_RD, G_DATA + 8, td.tdr, 0, &a), TDX_SUCCESS);
	assert_int_equal(a.r8, 0x0123456789ABCDEFULL);
	assert_int_equal(a.rcx, 0);
	assert_int_equal(a.rdx, 0);
	assert_int_equal(a.r9, 0x99);
	assert_int_equal(mem_call(TDH_MEM_RD, G_DATA + 4088, td.tdr, 0, &a), TDX_SUCCESS);
	assert_int_equal(a.r8, 0x1111111111111111ULL);

	assert_int_equal(mem_call(TDH_MEM_WR, G_DATA + 8, td.tdr, 0xFEEDFACECAFEBEEFULL, &a),
			 TDX_SUCCESS);
	assert_int_equal(a.r8, 0x0123456789ABCDEFULL);
	assert_int_equal(a.rcx, 0);
	assert_int_equal(a.rdx, 0);
	memcpy(&v, (const uint8_t *)phys_seam_va(hpa) + 8, 8);
	assert_int_equal(v, 0xFEEDFACECAFEBEEFULL);
	assert_int_equal(mem_call(TDH_MEM_RD, G_DATA + 8, td.tdr, 0, &a), TDX_SUCCESS);
	assert_int_equal(a.r8, 0xFEEDFACECAFEBEEFULL);
	/* the neighbours are untouched */
	assert_int_equal(mem_call(TDH_MEM_RD, G_DATA, td.tdr, 0, &a), TDX_SUCCESS);
	assert_int_equal(a.r8, 0x1111111111111111ULL);
	assert_int_equal(mem_call(TDH_MEM_RD, G_DATA + 16, td.tdr, 0, &a), TDX_SUCCESS);
	assert_int_equal(a.r8, 0x1111111111111111ULL);
	checkers_clean();
	assert_int_equal(td_teardown(&td), 0);
	checkers_clean();
}

/* Every failure, each with RCX/RDX/R8 as the module leaves them, for both leaves. */
static void test_tdh_mem_rd_wr_errors(void **state)
{
	static const uint64_t leaves[] = {TDH_MEM_RD, TDH_MEM_WR};
	struct tdx_module_args a;
	struct test_td td, nd;
	uint64_t hpa, aug;

	(void)state;
	hpa = td_with_page(&td, TDX_TD_ATTR_DEBUG);
	aug = td_page_alloc();
	a = (struct tdx_module_args){.rcx = G_DATA + 4096, .rdx = td.tdr, .r8 = aug};
	assert_int_equal(td_call(TDH_MEM_PAGE_AUG, &a), TDX_SUCCESS);

	for (unsigned int i = 0; i < 2; i++) {
		uint64_t leaf = leaves[i];

		/* not 8-byte aligned, shared, beyond GPAW 48 */
		assert_int_equal(mem_call(leaf, G_DATA + 4, td.tdr, 1, &a),
				 TDX_OPERAND_INVALID + TDX_OPERAND_ID_RCX);
		assert_int_equal(a.rcx | a.rdx | a.r8, 0);
		assert_int_equal(mem_call(leaf, G_DATA | (1ULL << 47), td.tdr, 1, &a),
				 TDX_OPERAND_INVALID + TDX_OPERAND_ID_RCX);
		assert_int_equal(mem_call(leaf, 1ULL << 48, td.tdr, 1, &a),
				 TDX_OPERAND_INVALID + TDX_OPERAND_ID_RCX);
		/* RDX not a TDR */
		assert_int_equal(mem_call(leaf, G_DATA, hpa, 1, &a),
				 TDX_PAGE_METADATA_INCORRECT + TDX_OPERAND_ID_RDX);
		assert_int_equal(a.rcx | a.rdx | a.r8, 0);
		/* a free 4K entry under the page's table: the entry in RCX, level 0 FREE */
		assert_int_equal(mem_call(leaf, G_DATA + 2 * 4096, td.tdr, 1, &a),
				 TDX_EPT_ENTRY_NOT_PRESENT + TDX_OPERAND_ID_RCX);
		assert_int_equal(a.rcx, 1ULL << 63);
		assert_int_equal(a.rdx, 0);
		assert_int_equal(a.r8, 0);
		/* a GPA whose walk stops at a free level-2 entry */
		assert_int_equal(mem_call(leaf, 0x80000000ULL, td.tdr, 1, &a),
				 TDX_EPT_ENTRY_NOT_PRESENT + TDX_OPERAND_ID_RCX);
		assert_int_equal(a.rcx, 1ULL << 63);
		assert_int_equal(a.rdx, 2);
		/* PENDING (PAGE.AUG, not accepted): level 0, state PENDING (2) */
		assert_int_equal(mem_call(leaf, G_DATA + 4096 + 8, td.tdr, 1, &a),
				 TDX_EPT_ENTRY_NOT_PRESENT + TDX_OPERAND_ID_RCX);
		assert_int_equal(a.rcx, LEAF_ARCH(aug));
		assert_int_equal(a.rdx, 0x200);
		assert_int_equal(a.r8, 0);
	}
	/* BLOCKED (RANGE.BLOCK): state BLOCKED (1) */
	a = (struct tdx_module_args){.rcx = G_DATA, .rdx = td.tdr};
	assert_int_equal(td_call(TDH_MEM_RANGE_BLOCK, &a), TDX_SUCCESS);
	assert_int_equal(mem_call(TDH_MEM_RD, G_DATA, td.tdr, 0, &a),
			 TDX_EPT_ENTRY_NOT_PRESENT + TDX_OPERAND_ID_RCX);
	assert_int_equal(a.rcx, LEAF_ARCH(hpa));
	assert_int_equal(a.rdx, 0x100);
	assert_int_equal(mem_call(TDH_MEM_WR, G_DATA, td.tdr, 5, &a),
			 TDX_EPT_ENTRY_NOT_PRESENT + TDX_OPERAND_ID_RCX);
	a = (struct tdx_module_args){.rcx = td.tdr};
	assert_int_equal(td_call(TDH_MEM_TRACK, &a), TDX_SUCCESS);
	a = (struct tdx_module_args){.rcx = G_DATA, .rdx = td.tdr};
	assert_int_equal(td_call(TDH_MEM_RANGE_UNBLOCK, &a), TDX_SUCCESS);
	assert_int_equal(mem_call(TDH_MEM_RD, G_DATA, td.tdr, 0, &a), TDX_SUCCESS);
	assert_int_equal(a.r8, 0x1111111111111111ULL); /* the refused write did nothing */
	checkers_clean();
	assert_int_equal(td_teardown(&td), 0);
	checkers_clean();

	/* a production TD: TD_NON_DEBUG before any GPA check */
	td_page_alloc_reset();
	td_with_page(&nd, 0);
	for (unsigned int i = 0; i < 2; i++) {
		assert_int_equal(mem_call(leaves[i], G_DATA, nd.tdr, 1, &a), TDX_TD_NON_DEBUG);
		assert_int_equal(a.rcx | a.rdx | a.r8, 0);
		assert_int_equal(mem_call(leaves[i], G_DATA + 4, nd.tdr, 1, &a), TDX_TD_NON_DEBUG);
	}
	checkers_clean();
	assert_int_equal(td_teardown(&nd), 0);
	checkers_clean();
}

/* ---- TDH.MEM.PAGE.DEMOTE / TDH.MEM.PAGE.PROMOTE --------------------------------------------- */

#define G_2M (G_DATA + 0x200000ULL) /* a free level-1 entry in G_DATA's PD */

static uint64_t sept_call(uint64_t leaf, uint64_t rcx, uint64_t rdx, uint64_t r8,
			  struct tdx_module_args *a)
{
	*a = (struct tdx_module_args){.rcx = rcx, .rdx = rdx, .r8 = r8, .r9 = 0x99, .r10 = 0xAA};
	return td_call(leaf, a);
}

/* SEPT.RD of gpa | level: *arch = RCX, returns RDX (level | state << 8). */
static uint64_t sept_rd(const struct test_td *td, uint64_t gpa_level, uint64_t *arch)
{
	struct tdx_module_args a = {.rcx = gpa_level, .rdx = td->tdr};

	assert_int_equal(td_call(TDH_MEM_SEPT_RD, &a), TDX_SUCCESS);
	if (arch)
		*arch = a.rcx;
	return a.rdx;
}

/* A PENDING 2M page at G_2M: PAGE.AUG of a fresh 2M run, whose HPA is returned. */
static uint64_t aug_2m(const struct test_td *td)
{
	struct tdx_module_args a;
	uint64_t big = td_page_alloc_2m();

	assert_int_equal(sept_call(TDH_MEM_PAGE_AUG, G_2M | 1, td->tdr, big, &a), TDX_SUCCESS);
	return big;
}

static void block_track(const struct test_td *td, uint64_t gpa_level)
{
	struct tdx_module_args a = {.rcx = gpa_level, .rdx = td->tdr};

	assert_int_equal(td_call(TDH_MEM_RANGE_BLOCK, &a), TDX_SUCCESS);
	a = (struct tdx_module_args){.rcx = td->tdr};
	assert_int_equal(td_call(TDH_MEM_TRACK, &a), TDX_SUCCESS);
}

static void assert_pamt_range(uint64_t hpa, enum pamt_level big, unsigned int big_pt,
			      unsigned int small_pt, uint64_t owner)
{
	assert_int_equal(pamt_entry_get(hpa, big)->pt, big_pt);
	for (unsigned int i = 0; i < 512; i++) {
		const struct pamt_entry *e = pamt_entry_get(hpa + i * 4096ULL, PT_4KB);

		assert_int_equal(e->pt, small_pt);
		assert_int_equal(pamt_owner(e), small_pt == PT_NDA ? 0 : owner);
	}
}

/*
 * A PENDING 2M page in a RUNNABLE TD: DEMOTE needs it blocked and tracked, then splits it
 * into 512 PENDING 4K leaves under the new SEPT page (R8), with the PAMT split; PROMOTE of
 * the table needs the same and merges them back, returning the SEPT page in RCX.
 */
static void test_tdh_mem_page_demote_promote(void **state)
{
	struct tdx_module_args a;
	struct test_td td;
	uint64_t big, sept, arch, chld;

	(void)state;
	td_with_page(&td, TDX_TD_ATTR_DEBUG);
	big = aug_2m(&td);
	sept = td_page_alloc();
	chld = tdr_of(td.tdr)->chldcnt;

	/* RUNNABLE: not blocked, then not tracked */
	assert_int_equal(sept_call(TDH_MEM_PAGE_DEMOTE, G_2M | 1, td.tdr, sept, &a),
			 TDX_GPA_RANGE_NOT_BLOCKED + TDX_OPERAND_ID_RCX);
	assert_int_equal(a.rcx, LEAF_ARCH(big));
	assert_int_equal(a.rdx, 0x201); /* level 1, PENDING */
	a = (struct tdx_module_args){.rcx = G_2M | 1, .rdx = td.tdr};
	assert_int_equal(td_call(TDH_MEM_RANGE_BLOCK, &a), TDX_SUCCESS);
	assert_int_equal(sept_call(TDH_MEM_PAGE_DEMOTE, G_2M | 1, td.tdr, sept, &a),
			 TDX_TLB_TRACKING_NOT_DONE + TDX_OPERAND_ID_RCX);
	assert_int_equal(a.rcx | a.rdx, 0);
	a = (struct tdx_module_args){.rcx = td.tdr};
	assert_int_equal(td_call(TDH_MEM_TRACK, &a), TDX_SUCCESS);
	checkers_clean();

	assert_int_equal(sept_call(TDH_MEM_PAGE_DEMOTE, G_2M | 1, td.tdr, sept, &a), TDX_SUCCESS);
	assert_int_equal(a.rcx, 0);
	assert_int_equal(a.rdx, 0);
	assert_int_equal(a.r8, sept);
	assert_int_equal(a.r9, 0x99);
	assert_int_equal(sept_rd(&td, G_2M | 1, &arch), 0x8401); /* NL_MAPPED */
	assert_int_equal(arch, 7);
	for (unsigned int i = 0; i < 512; i += 511) {
		assert_int_equal(sept_rd(&td, G_2M + i * 4096ULL, &arch), 0x200); /* PENDING */
		assert_int_equal(arch, LEAF_ARCH(big + i * 4096ULL));
	}
	assert_pamt_range(big, PT_2MB, PT_NDA, PT_REG, td.tdr);
	assert_int_equal(pamt_entry_get(sept, PT_4KB)->pt, PT_EPT);
	assert_int_equal(pamt_owner(pamt_entry_get(sept, PT_4KB)), td.tdr);
	assert_int_equal(tdr_of(td.tdr)->chldcnt, chld + 1);
	checkers_clean();
	/* a table is no leaf */
	assert_int_equal(sept_call(TDH_MEM_PAGE_DEMOTE, G_2M | 1, td.tdr, td_page_alloc(), &a),
			 TDX_EPT_ENTRY_STATE_INCORRECT + TDX_OPERAND_ID_RCX);
	assert_int_equal(a.rcx, 7);
	assert_int_equal(a.rdx, 0x8401);

	/* PROMOTE: not blocked, not tracked, then merged */
	assert_int_equal(sept_call(TDH_MEM_PAGE_PROMOTE, G_2M | 1, td.tdr, 0, &a),
			 TDX_GPA_RANGE_NOT_BLOCKED + TDX_OPERAND_ID_RCX);
	assert_int_equal(a.rcx, 7);
	assert_int_equal(a.rdx, 0x8401);
	a = (struct tdx_module_args){.rcx = G_2M | 1, .rdx = td.tdr};
	assert_int_equal(td_call(TDH_MEM_RANGE_BLOCK, &a), TDX_SUCCESS);
	assert_int_equal(sept_call(TDH_MEM_PAGE_PROMOTE, G_2M | 1, td.tdr, 0, &a),
			 TDX_TLB_TRACKING_NOT_DONE + TDX_OPERAND_ID_RCX);
	assert_int_equal(a.rcx | a.rdx, 0);
	a = (struct tdx_module_args){.rcx = td.tdr};
	assert_int_equal(td_call(TDH_MEM_TRACK, &a), TDX_SUCCESS);
	assert_int_equal(sept_call(TDH_MEM_PAGE_PROMOTE | (1 << 16), G_2M | 1, td.tdr, 0, &a),
			 TDX_SUCCESS);
	assert_int_equal(a.rcx, sept);
	assert_int_equal(a.rdx, 0);
	assert_int_equal(a.r9, ~0ULL); /* version 1: no L2 SEPT pages */
	assert_int_equal(a.r10, ~0ULL);
	assert_int_equal(a.r11, ~0ULL);
	assert_int_equal(sept_rd(&td, G_2M | 1, &arch), 0x201); /* a PENDING 2M leaf again */
	assert_int_equal(arch, LEAF_ARCH(big));
	assert_pamt_range(big, PT_2MB, PT_REG, PT_NDA, td.tdr);
	assert_int_equal(pamt_owner(pamt_entry_get(big, PT_2MB)), td.tdr);
	assert_int_equal(pamt_entry_get(sept, PT_4KB)->pt, PT_NDA);
	assert_int_equal(tdr_of(td.tdr)->chldcnt, chld);
	/* the freed SEPT page is the host's: a SEPT.ADD may use it again */
	a = (struct tdx_module_args){.rcx = 0x80000000ULL | 2, .rdx = td.tdr, .r8 = sept};
	assert_int_equal(td_call(TDH_MEM_SEPT_ADD, &a), TDX_SUCCESS);
	/* a leaf is no table */
	assert_int_equal(sept_call(TDH_MEM_PAGE_PROMOTE, G_2M | 1, td.tdr, 0, &a),
			 TDX_EPT_ENTRY_STATE_INCORRECT + TDX_OPERAND_ID_RCX);
	assert_int_equal(a.rcx, LEAF_ARCH(big));
	assert_int_equal(a.rdx, 0x201);
	checkers_clean();
	assert_int_equal(td_teardown(&td), 0);
	checkers_clean();
}

/* Operand errors of DEMOTE and PROMOTE, each with its operand ID and RCX/RDX. */
static void test_tdh_mem_page_demote_promote_errors(void **state)
{
	struct tdx_module_args a;
	struct test_td td;
	uint64_t big, free_pg;

	(void)state;
	td_with_page(&td, TDX_TD_ATTR_DEBUG);
	big = aug_2m(&td);
	free_pg = td_page_alloc();
	block_track(&td, G_2M | 1);

	/* DEMOTE: RDX reserved bits (bit 0, L2_SEPT_ADD_MODE, is allowed) */
	assert_int_equal(sept_call(TDH_MEM_PAGE_DEMOTE, G_2M | 1, td.tdr | 2, free_pg, &a),
			 TDX_OPERAND_INVALID + TDX_OPERAND_ID_RDX);
	assert_int_equal(a.rcx | a.rdx, 0);
	assert_int_equal(
		sept_call(TDH_MEM_PAGE_DEMOTE, G_2M | 1, td.tdr | (1ULL << 52), free_pg, &a),
		TDX_OPERAND_INVALID + TDX_OPERAND_ID_RDX);
	assert_int_equal(sept_call(TDH_MEM_PAGE_DEMOTE, G_2M | 1, td.tdcx[0], free_pg, &a),
			 TDX_PAGE_METADATA_INCORRECT + TDX_OPERAND_ID_RDX);
	for (unsigned int i = 0; i < 2; i++) {
		uint64_t leaf = i ? TDH_MEM_PAGE_PROMOTE : TDH_MEM_PAGE_DEMOTE;

		/* level 0 and 3, misaligned, shared */
		assert_int_equal(sept_call(leaf, G_2M, td.tdr, free_pg, &a),
				 TDX_OPERAND_INVALID + TDX_OPERAND_ID_RCX);
		assert_int_equal(a.rcx | a.rdx, 0);
		assert_int_equal(sept_call(leaf, G_2M | 3, td.tdr, free_pg, &a),
				 TDX_OPERAND_INVALID + TDX_OPERAND_ID_RCX);
		assert_int_equal(sept_call(leaf, (G_2M + 4096) | 1, td.tdr, free_pg, &a),
				 TDX_OPERAND_INVALID + TDX_OPERAND_ID_RCX);
		assert_int_equal(sept_call(leaf, G_2M | (1ULL << 47) | 1, td.tdr, free_pg, &a),
				 TDX_OPERAND_INVALID + TDX_OPERAND_ID_RCX);
		/* the walk stops at a free level-2 entry */
		assert_int_equal(sept_call(leaf, 0x80000000ULL | 1, td.tdr, free_pg, &a),
				 TDX_EPT_WALK_FAILED + TDX_OPERAND_ID_RCX);
		assert_int_equal(a.rcx, 1ULL << 63);
		assert_int_equal(a.rdx, 2);
		/* level 2: a table there is no leaf (DEMOTE); a table of tables, not blocked, in a
		 * RUNNABLE TD (PROMOTE) */
		assert_int_equal(sept_call(leaf, G_DATA | 2, td.tdr, free_pg, &a),
				 (i ? TDX_GPA_RANGE_NOT_BLOCKED : TDX_EPT_ENTRY_STATE_INCORRECT) +
					 TDX_OPERAND_ID_RCX);
		assert_int_equal(a.rcx, 7);
		assert_int_equal(a.rdx, 0x8402);
	}
	/* DEMOTE's new page: misaligned, the TD's, inside the page being split, busy */
	assert_int_equal(sept_call(TDH_MEM_PAGE_DEMOTE, G_2M | 1, td.tdr, free_pg + 8, &a),
			 TDX_OPERAND_INVALID + TDX_OPERAND_ID_R8);
	assert_int_equal(sept_call(TDH_MEM_PAGE_DEMOTE, G_2M | 1, td.tdr, td.tdcx[1], &a),
			 TDX_PAGE_METADATA_INCORRECT + TDX_OPERAND_ID_R8);
	assert_int_equal(sept_call(TDH_MEM_PAGE_DEMOTE, G_2M | 1, td.tdr, big + 8192, &a),
			 TDX_PAGE_METADATA_INCORRECT + TDX_OPERAND_ID_R8);
	assert_true(pamt_lock(pamt_entry_get(free_pg, PT_4KB), true));
	assert_int_equal(sept_call(TDH_MEM_PAGE_DEMOTE, G_2M | 1, td.tdr, free_pg, &a),
			 TDX_OPERAND_BUSY + TDX_OPERAND_ID_R8);
	pamt_unlock(pamt_entry_get(free_pg, PT_4KB), true);
	/* the leaf's own PAMT entry busy */
	assert_true(pamt_lock(pamt_entry_get(big, PT_2MB), true));
	assert_int_equal(sept_call(TDH_MEM_PAGE_DEMOTE, G_2M | 1, td.tdr, free_pg, &a),
			 TDX_OPERAND_BUSY + TDX_OPERAND_ID_RCX);
	pamt_unlock(pamt_entry_get(big, PT_2MB), true);
	/* PROMOTE version 2 does not exist */
	assert_int_equal(sept_call(TDH_MEM_PAGE_PROMOTE | (2 << 16), G_2M | 1, td.tdr, 0, &a),
			 TDX_OPERAND_INVALID + TDX_OPERAND_ID_RAX);
	/* nothing changed: the leaf is still PENDING_BLOCKED, the page free */
	assert_int_equal(sept_rd(&td, G_2M | 1, NULL), 0x301);
	assert_int_equal(pamt_entry_get(free_pg, PT_4KB)->pt, PT_NDA);
	checkers_clean();

	/* PROMOTE: a table whose entries differ (one 4K child blocked) */
	assert_int_equal(sept_call(TDH_MEM_PAGE_DEMOTE, G_2M | 1, td.tdr, free_pg, &a),
			 TDX_SUCCESS);
	a = (struct tdx_module_args){.rcx = G_2M + 5 * 4096ULL, .rdx = td.tdr};
	assert_int_equal(td_call(TDH_MEM_RANGE_BLOCK, &a), TDX_SUCCESS);
	block_track(&td, G_2M | 1);
	assert_int_equal(sept_call(TDH_MEM_PAGE_PROMOTE, G_2M | 1, td.tdr, 0, &a),
			 TDX_EPT_INVALID_PROMOTE_CONDITIONS + TDX_OPERAND_ID_RCX);
	assert_int_equal(a.rcx, 0);	 /* NL_BLOCKED: no RWX */
	assert_int_equal(a.rdx, 0x8101); /* level 1, NL_BLOCKED */
	/* the SEPT page's PAMT entry busy */
	assert_true(pamt_lock(pamt_entry_get(free_pg, PT_4KB), true));
	assert_int_equal(sept_call(TDH_MEM_PAGE_PROMOTE, G_2M | 1, td.tdr, 0, &a),
			 TDX_OPERAND_BUSY + TDX_OPERAND_ID_RCX);
	pamt_unlock(pamt_entry_get(free_pg, PT_4KB), true);
	checkers_clean();
	assert_int_equal(td_teardown(&td), 0);
	checkers_clean();
}

/* A TD being built (not finalized, so not RUNNABLE), with SEPT tables down to G_2M's. */
static void td_building(struct test_td *td)
{
	struct td_params p;

	td_params_default(&p);
	assert_int_equal(td_create(td, TD_HKID), 0);
	assert_int_equal(td_init(td, &p), 0);
	assert_int_equal(td_add_vcpu(td), 0);
	assert_int_equal(td_sept_map(td, G_2M), 0);
}

/*
 * 512 4K pages added one by one: PROMOTE merges them only when they are contiguous from a
 * 2M-aligned HPA (EPT_INVALID_PROMOTE_CONDITIONS otherwise). Before MR.FINALIZE (TD not
 * RUNNABLE) no blocking or tracking is needed, for DEMOTE either.
 */
static void test_tdh_mem_page_promote_4k_pages(void **state)
{
	struct tdx_module_args a;
	struct test_td td;
	uint64_t run, run2;

	(void)state;
	td_building(&td);
	run = td_page_alloc_2m();
	run2 = td_page_alloc_2m();
	/* off by one page: contiguous but not 2M-aligned */
	for (unsigned int i = 0; i < 512; i++)
		assert_int_equal(sept_call(TDH_MEM_PAGE_AUG, G_2M + i * 4096ULL, td.tdr,
					   run + (i + 1) * 4096ULL, &a),
				 TDX_SUCCESS);
	assert_int_equal(sept_call(TDH_MEM_PAGE_PROMOTE, G_2M | 1, td.tdr, 0, &a),
			 TDX_EPT_INVALID_PROMOTE_CONDITIONS + TDX_OPERAND_ID_RCX);
	assert_int_equal(a.rcx, 7);
	assert_int_equal(a.rdx, 0x8401);
	checkers_clean();
	assert_int_equal(td_teardown(&td), 0);
	checkers_clean();

	td_page_alloc_reset();
	td_building(&td);
	run = td_page_alloc_2m();
	run2 = td_page_alloc_2m();
	for (unsigned int i = 0; i < 512; i++)
		assert_int_equal(sept_call(TDH_MEM_PAGE_AUG, G_2M + i * 4096ULL, td.tdr,
					   run + i * 4096ULL, &a),
				 TDX_SUCCESS);
	assert_int_equal(sept_call(TDH_MEM_PAGE_PROMOTE, G_2M | 1, td.tdr, 0, &a), TDX_SUCCESS);
	assert_int_equal(pamt_entry_get(a.rcx, PT_4KB)->pt, PT_NDA);
	assert_int_equal(sept_rd(&td, G_2M | 1, NULL), 0x201);
	assert_pamt_range(run, PT_2MB, PT_REG, PT_NDA, td.tdr);
	checkers_clean();
	/* and back, without blocking: the TD is not RUNNABLE */
	assert_int_equal(sept_call(TDH_MEM_PAGE_DEMOTE, G_2M | 1, td.tdr, run2, &a), TDX_SUCCESS);
	assert_int_equal(sept_rd(&td, (G_2M + 7 * 4096ULL), NULL), 0x200);
	assert_pamt_range(run, PT_2MB, PT_NDA, PT_REG, td.tdr);
	checkers_clean();
	assert_int_equal(td_teardown(&td), 0);
	checkers_clean();
}

/*
 * A MAPPED 2M page keeps its bytes through DEMOTE and PROMOTE: a debug TD's guest accepts
 * it (white-box TDCALL), the host writes it with TDH.MEM.WR, splits it, reads every 4K
 * piece with TDH.MEM.RD, merges it and reads again; the TD window maps it throughout.
 */
static void test_tdh_mem_page_demote_promote_mapped(void **state)
{
	struct tdx_module_args a;
	struct cpu_regs ctx;
	struct test_td td;
	uint64_t big, sept, arch;

	(void)state;
	td_with_page(&td, TDX_TD_ATTR_DEBUG);
	big = aug_2m(&td);
	sept = td_page_alloc();
	memset(&ctx, 0, sizeof(ctx));
	ctx.gpr[REG_RCX_] = G_2M | 1;
	assert_int_equal(tdcall(&td, &ctx, TDG_MEM_PAGE_ACCEPT), TDX_SUCCESS);
	assert_int_equal(sept_rd(&td, G_2M | 1, NULL), 0x401); /* MAPPED 2M */
	for (unsigned int i = 0; i < 512; i += 73)
		assert_int_equal(
			mem_call(TDH_MEM_WR, G_2M + i * 4096ULL + 8, td.tdr, 0x5000 + i, &a),
			TDX_SUCCESS);

	block_track(&td, G_2M | 1);
	assert_int_equal(sept_call(TDH_MEM_PAGE_DEMOTE, G_2M | 1, td.tdr, sept, &a), TDX_SUCCESS);
	assert_int_equal(sept_rd(&td, G_2M + 73 * 4096ULL, NULL), 0x400); /* MAPPED: unblocked */
	for (unsigned int i = 0; i < 512; i += 73) {
		assert_int_equal(mem_call(TDH_MEM_RD, G_2M + i * 4096ULL + 8, td.tdr, 0, &a),
				 TDX_SUCCESS);
		assert_int_equal(a.r8, 0x5000 + i);
		/* the guest's view: the TD window maps each small page */
		assert_int_equal(
			*(const uint64_t *)(uintptr_t)(td_window_base(
							       tdcs_of(tdr_of(td.tdr))->window) +
						       G_2M + i * 4096ULL + 8),
			0x5000 + i);
	}
	checkers_clean();

	block_track(&td, G_2M | 1);
	assert_int_equal(sept_call(TDH_MEM_PAGE_PROMOTE, G_2M | 1, td.tdr, 0, &a), TDX_SUCCESS);
	assert_int_equal(a.rcx, sept);
	assert_int_equal(sept_rd(&td, G_2M | 1, &arch), 0x401);
	assert_int_equal(arch, LEAF_ARCH(big) | 7); /* MAPPED: RWX */
	for (unsigned int i = 0; i < 512; i += 73) {
		assert_int_equal(mem_call(TDH_MEM_RD, G_2M + i * 4096ULL + 8, td.tdr, 0, &a),
				 TDX_SUCCESS);
		assert_int_equal(a.r8, 0x5000 + i);
		assert_int_equal(
			*(const uint64_t *)(uintptr_t)(td_window_base(
							       tdcs_of(tdr_of(td.tdr))->window) +
						       G_2M + i * 4096ULL + 8),
			0x5000 + i);
	}
	checkers_clean();
	assert_int_equal(td_teardown(&td), 0);
	checkers_clean();
}

static int setup_1501(void **state)
{
	(void)state;
	return td_machine_boot(TDX_MODULE_1_5_01);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_tdh_vp_addcx_max_pages, td_machine_setup,
						td_machine_teardown),
		cmocka_unit_test_setup_teardown(test_tdh_vp_init_tdcx_count, td_machine_setup,
						td_machine_teardown),
		cmocka_unit_test_setup_teardown(test_tdh_vp_init_associates, td_machine_setup,
						td_machine_teardown),
		cmocka_unit_test_setup_teardown(test_tdh_vp_init_then_vpflushdone, td_machine_setup,
						td_machine_teardown),
		cmocka_unit_test_setup_teardown(test_tdh_vp_init_max_vcpus, td_machine_setup,
						td_machine_teardown),
		cmocka_unit_test_setup_teardown(test_tdh_mng_init_max_vcpus, td_machine_setup,
						td_machine_teardown),
		cmocka_unit_test_setup_teardown(test_tdg_sys_rd_guest_masks, td_machine_setup,
						td_machine_teardown),
		cmocka_unit_test_setup_teardown(test_tdg_sys_rdall_guest_masks, td_machine_setup,
						td_machine_teardown),
		cmocka_unit_test_setup_teardown(test_tdh_mem_rd_wr, td_machine_setup,
						td_machine_teardown),
		cmocka_unit_test_setup_teardown(test_tdh_mem_rd_wr_errors, td_machine_setup,
						td_machine_teardown),
		cmocka_unit_test_setup_teardown(test_tdh_mem_page_demote_promote, td_machine_setup,
						td_machine_teardown),
		cmocka_unit_test_setup_teardown(test_tdh_mem_page_demote_promote_errors,
						td_machine_setup, td_machine_teardown),
		cmocka_unit_test_setup_teardown(test_tdh_mem_page_promote_4k_pages,
						td_machine_setup, td_machine_teardown),
		cmocka_unit_test_setup_teardown(test_tdh_mem_page_demote_promote_mapped,
						td_machine_setup, td_machine_teardown),
		{"test_tdh_mng_init_max_vcpus_1_5_01", test_tdh_mng_init_max_vcpus, setup_1501,
		 td_machine_teardown, NULL},
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
