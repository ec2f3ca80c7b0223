// SPDX-License-Identifier: MIT
/*
 * The allowed-state tables of module/states.c against what the SEAMCALL dispatcher answers
 * [ABI §7.1]: for every SEAMCALL leaf with an OP_STATE row and every one of the 11 OP_STATEs,
 * the leaf is OP_STATE_INCORRECT exactly when its row lacks the state. Each leaf is called
 * with operands that fail just after the state check (or succeed harmlessly), so the only
 * way to see OP_STATE_INCORRECT is the table. A leaf that forgets the check, checks another
 * leaf's row or keeps a mask of its own fails here; so does a row with no case below.
 *
 * The same for the Secure EPT table: every leaf that walks the Secure EPT meets every SEPT
 * state tdxsim has at each level it takes (restored from a module snapshot before each call),
 * and gives its refusal status exactly for the states its row lacks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

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

/* ------------------------------------------------------------------------------------------
 * SEPT states
 */

/* An entry in each state at level 0 and level 1 (2M), made by the leaves or, where a guest's
 * ACCEPT would be needed, by writing the state into an AUGed 2M leaf. */
struct sept_case {
	uint64_t gpa;
	unsigned int level, state;
};

static const struct sept_case sept_cases[] = {
	{0x1000, 0, SEPT_FREE},
	{0x2000, 0, SEPT_MAPPED},
	{0x3000, 0, SEPT_PENDING},
	{0x4000, 0, SEPT_BLOCKED},
	{0x5000, 0, SEPT_PENDING_BLOCKED},
	{0x000000, 1, SEPT_TABLE},
	{0x200000, 1, SEPT_TABLE_BLOCKED},
	{0x400000, 1, SEPT_FREE},
	{0x600000, 1, SEPT_PENDING},
	{0x800000, 1, SEPT_PENDING_BLOCKED},
	{0xA00000, 1, SEPT_MAPPED},
	{0xC00000, 1, SEPT_BLOCKED},
};

/* The leaves with a SEPT row, the levels they take, and how they name the entry. */
static const struct {
	unsigned int leaf, min_level, max_level;
	bool to_leaf; /* RCX = a GPA, walked to any leaf (MEM.RD/WR, MR.EXTEND) */
} sept_leaves[] = {
	{TDH_MEM_PAGE_ADD, 0, 0, false},
	{TDH_MEM_SEPT_ADD, 1, 1, false},
	{TDH_MEM_PAGE_AUG, 0, 1, false},
	{TDH_MEM_RANGE_BLOCK, 0, 1, false},
	{TDH_MEM_RD, 0, 1, true},
	{TDH_MEM_WR, 0, 1, true},
	{TDH_MEM_PAGE_DEMOTE, 1, 1, false},
	{TDH_MR_EXTEND, 0, 1, true},
	{TDH_MEM_PAGE_PROMOTE, 1, 1, false},
	{TDH_MEM_SEPT_RD, 0, 1, false},
	{TDH_MEM_PAGE_REMOVE, 0, 1, false},
	{TDH_MEM_SEPT_REMOVE, 1, 1, false},
	{TDH_MEM_RANGE_UNBLOCK, 0, 1, false},
};

static uint64_t call2(unsigned int leaf, uint64_t rcx, uint64_t r8)
{
	struct tdx_module_args a = {.rcx = rcx, .rdx = td.tdr, .r8 = r8};

	return td_call(leaf, &a);
}

static void set_state(uint64_t gpa, unsigned int level, unsigned int state)
{
	struct sept_walk w;

	sept_walk(tdr_of(td.tdr), gpa, level, &w);
	assert_int_equal(w.level, level);
	*w.entry = sept_hpa(*w.entry) | state;
}

/* A debug TD (MEM.RD/WR) left INITIALIZED (PAGE.ADD, MR.EXTEND) with every case in place. */
static void build_sept_cases(void)
{
	static uint8_t zero[4096];
	struct td_params p;

	td_params_default(&p);
	p.attributes = TDX_TD_ATTR_DEBUG;
	assert_int_equal(td_create(&td, TD_HKID), 0);
	assert_int_equal(td_init(&td, &p), 0);
	assert_int_equal(td_sept_map(&td, 0x1000), 0);
	assert_int_equal(td_page_add(&td, 0x2000, zero, false), 0);
	assert_int_equal(td_page_add(&td, 0x4000, zero, false), 0);
	assert_int_equal(call2(TDH_MEM_PAGE_AUG, 0x3000, td_page_alloc()), 0);
	assert_int_equal(call2(TDH_MEM_PAGE_AUG, 0x5000, td_page_alloc()), 0);
	assert_int_equal(call2(TDH_MEM_RANGE_BLOCK, 0x4000, 0), 0);
	assert_int_equal(call2(TDH_MEM_RANGE_BLOCK, 0x5000, 0), 0);
	assert_int_equal(call2(TDH_MEM_SEPT_ADD, 0x200000 | 1, td_page_alloc()), 0);
	assert_int_equal(call2(TDH_MEM_RANGE_BLOCK, 0x200000 | 1, 0), 0);
	for (uint64_t g = 0x600000; g <= 0xC00000; g += 0x200000)
		assert_int_equal(call2(TDH_MEM_PAGE_AUG, g | 1, td_page_alloc_2m()), 0);
	assert_int_equal(call2(TDH_MEM_RANGE_BLOCK, 0x800000 | 1, 0), 0);
	set_state(0xA00000, 1, SEPT_MAPPED);
	set_state(0xC00000, 1, SEPT_BLOCKED);
	for (size_t i = 0; i < sizeof(sept_cases) / sizeof(sept_cases[0]); i++) {
		struct sept_walk w;

		sept_walk(tdr_of(td.tdr), sept_cases[i].gpa, sept_cases[i].level, &w);
		assert_int_equal(w.level, sept_cases[i].level);
		assert_int_equal(sept_state(w.value), sept_cases[i].state);
	}
}

static const char *const state_names[] = {"FREE",    "TABLE",		"MAPPED",	"PENDING",
					  "BLOCKED", "PENDING_BLOCKED", "TABLE_BLOCKED"};

/* What a leaf gives a state its row lacks [ABI §7.1]. */
static uint64_t refusal(unsigned int leaf, unsigned int state)
{
	if (leaf == TDH_MEM_RD || leaf == TDH_MEM_WR || leaf == TDH_MR_EXTEND)
		return TDX_EPT_ENTRY_NOT_PRESENT + TDX_OPERAND_ID_RCX;
	if (leaf == TDH_MEM_RANGE_BLOCK &&
	    (state == SEPT_BLOCKED || state == SEPT_PENDING_BLOCKED || state == SEPT_TABLE_BLOCKED))
		return TDX_GPA_RANGE_ALREADY_BLOCKED + TDX_OPERAND_ID_RCX;
	return TDX_EPT_ENTRY_STATE_INCORRECT + TDX_OPERAND_ID_RCX;
}

static void test_sept_state_table_is_what_the_leaves_do(void **state)
{
	struct tdx_module_snapshot *snap;
	struct td_page_alloc_state pages;
	unsigned int rows = 0, calls = 0;

	(void)state;
	build_sept_cases();
	memset(hva(TD_SOURCE_PA), 0, 4096);
	pages = td_page_alloc_save();
	assert_int_equal(tdx_module_snapshot_take(&snap), 0);
	for (unsigned int leaf = 0; leaf < 256; leaf++) {
		bool listed = false;

		for (size_t i = 0; i < sizeof(sept_leaves) / sizeof(sept_leaves[0]); i++)
			listed |= sept_leaves[i].leaf == leaf;
		if (listed != sept_state_has_row(leaf))
			fail_msg("%s: %s", tdx_seamcall_leaf_name(leaf),
				 listed ? "listed but no SEPT row" : "a SEPT row but not listed");
		rows += listed;
	}
	assert_int_equal(rows, sizeof(sept_leaves) / sizeof(sept_leaves[0]));

	for (size_t l = 0; l < sizeof(sept_leaves) / sizeof(sept_leaves[0]); l++) {
		unsigned int leaf = sept_leaves[l].leaf;

		for (size_t i = 0; i < sizeof(sept_cases) / sizeof(sept_cases[0]); i++) {
			const struct sept_case *c = &sept_cases[i];
			bool table = c->state == SEPT_TABLE || c->state == SEPT_TABLE_BLOCKED;
			struct tdx_module_args a;
			uint64_t status, refused = refusal(leaf, c->state);

			if (c->level < sept_leaves[l].min_level ||
			    c->level > sept_leaves[l].max_level)
				continue;
			/* A walk to a leaf goes through a table: no target there. */
			if (sept_leaves[l].to_leaf && table)
				continue;
			assert_int_equal(tdx_module_snapshot_restore(snap), 0);
			td_page_alloc_load(pages);
			a = (struct tdx_module_args){
				.rcx = sept_leaves[l].to_leaf ? c->gpa + 0x100 : c->gpa | c->level,
				.rdx = td.tdr,
				.r8 = c->level ? td_page_alloc_2m() : td_page_alloc(),
				.r9 = TD_SOURCE_PA};
			if (leaf == TDH_MEM_PAGE_DEMOTE || leaf == TDH_MEM_SEPT_ADD)
				a.r8 = td_page_alloc();
			status = td_call(leaf, &a);
			calls++;
			if ((status == refused) == sept_state_allows(leaf, c->state))
				fail_msg("%s on a level-%u %s entry: 0x%llx, the table says %s",
					 tdx_seamcall_leaf_name(leaf), c->level,
					 state_names[c->state], (unsigned long long)status,
					 sept_state_allows(leaf, c->state) ? "allowed" : "refused");
			/* A refusal names the entry: its level in RDX bits 2:0. */
			if (status == refused)
				assert_int_equal(a.rdx & 7, c->level);
		}
	}
	assert_true(calls >= 100);
	/* ACCEPT's row: PENDING only. */
	for (unsigned int s = SEPT_FREE; s <= SEPT_TABLE_BLOCKED; s++)
		assert_int_equal(sept_state_allows_tdcall(TDG_MEM_PAGE_ACCEPT, s),
				 s == SEPT_PENDING);
	assert_int_equal(tdx_module_snapshot_restore(snap), 0);
	tdx_module_snapshot_free(snap);
	assert_int_equal(td_teardown(&td), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_op_state_table_is_what_the_dispatcher_does,
						td_machine_setup, td_machine_teardown),
		cmocka_unit_test_setup_teardown(test_sept_state_table_is_what_the_leaves_do,
						td_machine_setup, td_machine_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
