// SPDX-License-Identifier: MIT
/*
 * The allowed-state tables of module/states.c against what the SEAMCALL dispatcher answers
 * [ABI §7.1]: for every SEAMCALL leaf with an OP_STATE row and every one of the 11 OP_STATEs,
 * the leaf is OP_STATE_INCORRECT exactly when its row lacks the state. Each leaf is called
 * with operands that fail just after the state check (or succeed harmlessly), so the only
 * way to see OP_STATE_INCORRECT is the table. A leaf that forgets the check, checks another
 * leaf's row or keeps a mask of its own fails here; so does a row with no case below.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include <cmocka.h>

#include "td.h"
#include "td_harness.h"

/* The register a case puts each operand in. */
enum opnd { NONE, TDR, TDVPR_READY, TDVPR_UNINIT, PAGE, BAD_GPA, ONE, ZERO };

struct op_case {
	unsigned int leaf;
	enum opnd rcx, rdx;
};

/* Operands that stop each leaf right after its state check (comment: the status then). */
static const struct op_case op_cases[] = {
	{TDH_VP_ENTER, TDVPR_UNINIT, NONE},    /* VCPU_STATE_INCORRECT */
	{TDH_MNG_ADDCX, PAGE, TDR},	       /* TDCX_NUM_INCORRECT: the TDCS is complete */
	{TDH_MEM_PAGE_ADD, BAD_GPA, TDR},      /* OPERAND_INVALID | RCX */
	{TDH_MEM_SEPT_ADD, BAD_GPA, TDR},      /* OPERAND_INVALID | RCX */
	{TDH_VP_ADDCX, PAGE, TDVPR_READY},     /* VCPU_STATE_INCORRECT */
	{TDH_MEM_PAGE_AUG, BAD_GPA, TDR},      /* OPERAND_INVALID | RCX */
	{TDH_MEM_RANGE_BLOCK, BAD_GPA, TDR},   /* OPERAND_INVALID | RCX */
	{TDH_VP_CREATE, ONE, TDR},	       /* OPERAND_INVALID | RCX */
	{TDH_MNG_RD, TDR, ZERO},	       /* METADATA_FIELD_ID_INCORRECT */
	{TDH_MEM_RD, ZERO, TDR},	       /* TD_NON_DEBUG */
	{TDH_MNG_WR, TDR, ZERO},	       /* METADATA_FIELD_ID_INCORRECT */
	{TDH_MEM_WR, ZERO, TDR},	       /* TD_NON_DEBUG */
	{TDH_MEM_PAGE_DEMOTE, BAD_GPA, TDR},   /* OPERAND_INVALID | RCX */
	{TDH_MR_EXTEND, ONE, TDR},	       /* OPERAND_INVALID | RCX */
	{TDH_MR_FINALIZE, TDR, NONE},	       /* SUCCESS (op_state is put back) */
	{TDH_VP_FLUSH, TDVPR_READY, NONE},     /* SUCCESS or VCPU_NOT_ASSOCIATED */
	{TDH_MNG_INIT, TDR, ONE},	       /* OPERAND_INVALID | RDX */
	{TDH_VP_INIT, TDVPR_READY, NONE},      /* VCPU_STATE_INCORRECT */
	{TDH_MEM_PAGE_PROMOTE, BAD_GPA, TDR},  /* OPERAND_INVALID | RCX */
	{TDH_MEM_SEPT_RD, BAD_GPA, TDR},       /* OPERAND_INVALID | RCX */
	{TDH_VP_RD, TDVPR_READY, ZERO},	       /* METADATA_FIELD_ID_INCORRECT */
	{TDH_MEM_PAGE_REMOVE, BAD_GPA, TDR},   /* OPERAND_INVALID | RCX */
	{TDH_MEM_SEPT_REMOVE, BAD_GPA, TDR},   /* OPERAND_INVALID | RCX */
	{TDH_MEM_TRACK, TDR, NONE},	       /* SUCCESS */
	{TDH_MEM_RANGE_UNBLOCK, BAD_GPA, TDR}, /* OPERAND_INVALID | RCX */
	{TDH_VP_WR, TDVPR_READY, ZERO},	       /* METADATA_FIELD_ID_INCORRECT */
};

static struct test_td td;
static uint64_t tdvpr_uninit;

static uint64_t operand(enum opnd o)
{
	switch (o) {
	case TDR:
		return td.tdr;
	case TDVPR_READY:
		return td.tdvpr[0];
	case TDVPR_UNINIT:
		return tdvpr_uninit;
	case PAGE:
		return td_page_alloc();
	case BAD_GPA:
		return 0x10000 | 1ULL << 3; /* GPA|level with a reserved bit */
	case ONE:
		return 1;
	case NONE:
	case ZERO:
	default:
		return 0;
	}
}

/* A TD with its TDCS, an initialised vCPU and a created one, left INITIALIZED. */
static void build(void)
{
	struct td_params p;
	struct tdx_module_args a;

	td_params_default(&p);
	assert_int_equal(td_create(&td, TD_HKID), 0);
	assert_int_equal(td_init(&td, &p), 0);
	assert_int_equal(td_add_vcpu(&td), 0);
	tdvpr_uninit = td_page_alloc();
	a = (struct tdx_module_args){.rcx = tdvpr_uninit, .rdx = td.tdr};
	assert_int_equal(td_call(TDH_VP_CREATE, &a), 0);
	td.tdvpr[td.nr_vcpus++] = tdvpr_uninit; /* for td_teardown */
}

static void test_op_state_table_is_what_the_dispatcher_does(void **state)
{
	struct tdr *tdr;
	unsigned int rows = 0;

	(void)state;
	build();
	tdr = tdr_of(td.tdr);
	/* Every row has a case, and every case a row. */
	for (unsigned int leaf = 0; leaf < 256; leaf++) {
		bool has_case = false;

		for (size_t i = 0; i < sizeof(op_cases) / sizeof(op_cases[0]); i++)
			has_case |= op_cases[i].leaf == leaf;
		if (has_case != op_state_has_row(leaf))
			fail_msg("%s: %s", tdx_seamcall_leaf_name(leaf),
				 has_case ? "a case but no OP_STATE row" : "a row but no case");
		rows += op_state_has_row(leaf);
	}
	assert_int_equal(rows, sizeof(op_cases) / sizeof(op_cases[0]));

	for (size_t i = 0; i < sizeof(op_cases) / sizeof(op_cases[0]); i++) {
		const struct op_case *c = &op_cases[i];

		for (unsigned int s = 0; s < OP_STATE_COUNT; s++) {
			struct tdx_module_args a = {.rcx = operand(c->rcx), .rdx = operand(c->rdx)};
			uint64_t status;

			tdr->op_state = (uint8_t)s;
			status = td_call(c->leaf, &a);
			tdr->op_state = OP_STATE_INITIALIZED;
			if ((status == TDX_OP_STATE_INCORRECT) == op_state_allows(c->leaf, s))
				fail_msg("%s in OP_STATE %u: 0x%llx, the table says %s",
					 tdx_seamcall_leaf_name(c->leaf), s,
					 (unsigned long long)status,
					 op_state_allows(c->leaf, s) ? "allowed" : "refused");
		}
	}
	/* The three states a TD reaches in tdxsim, as the leaves always had them [ABI §7]. */
	assert_true(op_state_allows(TDH_MEM_PAGE_ADD, OP_STATE_INITIALIZED));
	assert_false(op_state_allows(TDH_MEM_PAGE_ADD, OP_STATE_RUNNABLE));
	assert_true(op_state_allows(TDH_MEM_PAGE_AUG, OP_STATE_RUNNABLE));
	assert_false(op_state_allows(TDH_VP_ENTER, OP_STATE_INITIALIZED));
	assert_true(op_state_allows(TDH_MNG_INIT, OP_STATE_UNINITIALIZED));
	assert_false(op_state_allows(TDH_MNG_RD, OP_STATE_UNINITIALIZED));
	assert_false(op_state_allows(TDH_MNG_WR, OP_STATE_PAUSED_EXPORT));
	assert_true(op_state_allows(TDH_MNG_RD, OP_STATE_PAUSED_EXPORT));
	assert_false(op_state_has_row(TDH_MNG_CREATE));
	assert_int_equal(td_teardown(&td), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_op_state_table_is_what_the_dispatcher_does,
						td_machine_setup, td_machine_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
