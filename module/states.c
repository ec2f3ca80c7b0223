// SPDX-License-Identifier: MIT
/*
 * Which states each leaf accepts, as two tables [ABI §7.1]: the TD OP_STATEs per SEAMCALL
 * leaf, and the Secure EPT entry states per leaf that walks to a target entry, with the
 * status each other state gets. The rows are those of TDX module 1.5.01 [M
 * op_state_lookup.c seamcall_state_lookup, state_flags_lookup; sept_state_lookup.c
 * seamcall_sept_state_lookup, tdcall_sept_state_lookup], written with tdxsim's names: the
 * migration states are kept in the OP_STATE rows (no TD reaches them here), the SEPT rows
 * are reduced to the seven states tdxsim has (no BLOCKEDW, EXPORTED_* or REMOVED).
 *
 * Only this file reads the tables: td_state_check() and sept_state_check().
 */
#include "td.h"

/* ------------------------------------------------------------------------------------------
 * TD OP_STATE per SEAMCALL leaf
 */
#define OPS(s) (1U << OP_STATE_##s)
/* every state from INITIALIZED on */
#define OPS_ANY_INITIALIZED                                                                        \
	(OPS(INITIALIZED) | OPS(RUNNABLE) | OPS(LIVE_EXPORT) | OPS(PAUSED_EXPORT) |                \
	 OPS(POST_EXPORT) | OPS(MEMORY_IMPORT) | OPS(STATE_IMPORT) | OPS(POST_IMPORT) |            \
	 OPS(LIVE_IMPORT) | OPS(FAILED_IMPORT))
/* every initialised state but those of an import in progress or failed (MEMORY_IMPORT,
 * STATE_IMPORT, FAILED_IMPORT): where blocking, demoting, promoting, unblocking happen */
#define OPS_MEM_CHANGE                                                                             \
	(OPS(INITIALIZED) | OPS(RUNNABLE) | OPS(LIVE_EXPORT) | OPS(PAUSED_EXPORT) |                \
	 OPS(POST_EXPORT) | OPS(POST_IMPORT) | OPS(LIVE_IMPORT))
/* writes to TD/VP metadata and debug memory: everything initialised but a paused or
 * finished export */
#define OPS_WRITE (OPS_ANY_INITIALIZED & ~(OPS(PAUSED_EXPORT) | OPS(POST_EXPORT)))

/*
 * A leaf without a row (0) does not look at the OP_STATE: the SYS leaves, MNG.CREATE,
 * MNG.KEY.CONFIG, MNG.KEY.FREEID, MNG.KEY.RECLAIMID, MNG.VPFLUSHDONE and the PHYMEM leaves
 * check the TDR lifecycle or the page alone. VP.FLUSH has a row of every state in the
 * module's table and checks only the lifecycle itself.
 */
static const uint16_t seamcall_op_states[256] = {
	[TDH_VP_ENTER] = OPS(RUNNABLE) | OPS(LIVE_EXPORT) | OPS(LIVE_IMPORT),
	[TDH_MNG_ADDCX] = OPS(UNINITIALIZED),
	[TDH_MEM_PAGE_ADD] = OPS(INITIALIZED),
	[TDH_MEM_SEPT_ADD] = OPS(INITIALIZED) | OPS(RUNNABLE) | OPS(LIVE_EXPORT) |
			     OPS(MEMORY_IMPORT) | OPS(STATE_IMPORT) | OPS(POST_IMPORT) |
			     OPS(LIVE_IMPORT),
	[TDH_VP_ADDCX] = OPS(INITIALIZED) | OPS(STATE_IMPORT),
	[TDH_MEM_PAGE_AUG] = OPS(INITIALIZED) | OPS(RUNNABLE) | OPS(LIVE_EXPORT) | OPS(LIVE_IMPORT),
	[TDH_MEM_RANGE_BLOCK] = OPS_MEM_CHANGE,
	[TDH_VP_CREATE] = OPS(INITIALIZED) | OPS(STATE_IMPORT),
	[TDH_MNG_RD] = OPS_ANY_INITIALIZED,
	[TDH_MEM_RD] = OPS_ANY_INITIALIZED,
	[TDH_MNG_WR] = OPS_WRITE,
	[TDH_MEM_WR] = OPS_WRITE,
	[TDH_MEM_PAGE_DEMOTE] = OPS_MEM_CHANGE,
	[TDH_MR_EXTEND] = OPS(INITIALIZED),
	[TDH_MR_FINALIZE] = OPS(INITIALIZED),
	[TDH_VP_FLUSH] = OPS(UNINITIALIZED) | OPS_ANY_INITIALIZED,
	[TDH_MNG_INIT] = OPS(UNINITIALIZED),
	[TDH_VP_INIT] = OPS(INITIALIZED),
	[TDH_MEM_PAGE_PROMOTE] = OPS_MEM_CHANGE,
	[TDH_MEM_SEPT_RD] = OPS_ANY_INITIALIZED,
	[TDH_VP_RD] = OPS_ANY_INITIALIZED,
	[TDH_MEM_PAGE_REMOVE] = OPS_MEM_CHANGE | OPS(FAILED_IMPORT),
	[TDH_MEM_SEPT_REMOVE] = OPS_ANY_INITIALIZED,
	[TDH_MEM_TRACK] = OPS_ANY_INITIALIZED & ~OPS(FAILED_IMPORT),
	[TDH_MEM_RANGE_UNBLOCK] = OPS_MEM_CHANGE,
	[TDH_VP_WR] = OPS_WRITE,
};

bool op_state_has_row(unsigned int leaf)
{
	return leaf < 256 && seamcall_op_states[leaf] != 0;
}

bool op_state_allows(unsigned int leaf, unsigned int op_state)
{
	return leaf < 256 && op_state < OP_STATE_COUNT &&
	       (seamcall_op_states[leaf] & (1U << op_state));
}

bool op_state_tlb_tracking_required(unsigned int op_state)
{
	return op_state == OP_STATE_RUNNABLE || op_state == OP_STATE_LIVE_EXPORT ||
	       op_state == OP_STATE_LIVE_IMPORT;
}

uint64_t td_state_check(const struct tdr *tdr, unsigned int leaf)
{
	if (tdr->fatal)
		return TDX_TD_FATAL;
	if (tdr->lifecycle_state != TD_KEYS_CONFIGURED)
		return TDX_TD_KEYS_NOT_CONFIGURED;
	if (tdr->num_tdcx < MAX_TDCS_PAGES && !op_state_allows(leaf, OP_STATE_UNINITIALIZED))
		return TDX_TDCS_NOT_ALLOCATED;
	if (!op_state_allows(leaf, tdr->op_state))
		return TDX_OP_STATE_INCORRECT;
	return TDX_SUCCESS;
}

/* ------------------------------------------------------------------------------------------
 * Secure EPT entry states per leaf
 */
#define SS(s)	(1U << SEPT_##s)
#define SS_LEAF (SS(MAPPED) | SS(PENDING) | SS(BLOCKED) | SS(PENDING_BLOCKED))
#define SS_ALL                                                                                     \
	(SS(FREE) | SS(TABLE) | SS(TABLE_BLOCKED) | SS(MAPPED) | SS(PENDING) | SS(BLOCKED) |       \
	 SS(PENDING_BLOCKED))

struct sept_row {
	uint8_t allowed;	  /* 1 << SEPT_* of the states the leaf accepts */
	uint64_t refused;	  /* the status of any other state (operand id included) */
	uint64_t refused_blocked; /* of a blocked one, when it differs (0: same as refused) */
};

#define STATE_INCORRECT (TDX_EPT_ENTRY_STATE_INCORRECT + TDX_OPERAND_ID_RCX)
/*
 * MEM.RD/WR and MR.EXTEND walk to any leaf the guest can reach; one without RWX (free,
 * pending, blocked) fails the walk, which these leaves report as EPT_ENTRY_NOT_PRESENT
 * [M tdh_mem_rd_wr.c, tdh_mr_extend.c after check_and_walk_private_gpa_to_leaf].
 */
#define NOT_PRESENT (TDX_EPT_ENTRY_NOT_PRESENT + TDX_OPERAND_ID_RCX)

static const struct sept_row seamcall_sept_states[256] = {
	[TDH_MEM_PAGE_ADD] = {SS(FREE), STATE_INCORRECT, 0},
	/*
	 * The module's row also has TABLE: version 1 may name an existing L1 SEPT page when it
	 * adds L2 ones; version 0 refuses it with the same status [M tdh_mem_sept_add.c
	 * process_l1_page]. tdxsim has version 0 only.
	 */
	[TDH_MEM_SEPT_ADD] = {SS(FREE), STATE_INCORRECT, 0},
	[TDH_MEM_PAGE_AUG] = {SS(FREE), STATE_INCORRECT, 0},
	[TDH_MEM_RANGE_BLOCK] = {SS(TABLE) | SS(MAPPED) | SS(PENDING), STATE_INCORRECT,
				 TDX_GPA_RANGE_ALREADY_BLOCKED + TDX_OPERAND_ID_RCX},
	[TDH_MEM_RD] = {SS(MAPPED), NOT_PRESENT, 0},
	[TDH_MEM_WR] = {SS(MAPPED), NOT_PRESENT, 0},
	[TDH_MEM_PAGE_DEMOTE] = {SS_LEAF, STATE_INCORRECT, 0},
	[TDH_MR_EXTEND] = {SS(MAPPED), NOT_PRESENT, 0},
	[TDH_MEM_PAGE_PROMOTE] = {SS(TABLE) | SS(TABLE_BLOCKED), STATE_INCORRECT, 0},
	[TDH_MEM_SEPT_RD] = {SS_ALL, STATE_INCORRECT, 0},
	[TDH_MEM_PAGE_REMOVE] = {SS_LEAF, STATE_INCORRECT, 0},
	[TDH_MEM_SEPT_REMOVE] = {SS(TABLE) | SS(TABLE_BLOCKED), STATE_INCORRECT, 0},
	[TDH_MEM_RANGE_UNBLOCK] = {SS(TABLE_BLOCKED) | SS(BLOCKED) | SS(PENDING_BLOCKED),
				   STATE_INCORRECT, 0},
};

/*
 * TDCALL leaves: ACCEPT takes a PENDING leaf; its other outcomes (ALREADY_ACCEPTED,
 * SIZE_MISMATCH, an EPT-violation exit) depend on the level too and are the leaf's own.
 */
static const uint8_t tdcall_sept_states[32] = {
	[TDG_MEM_PAGE_ACCEPT] = SS(PENDING),
};

bool sept_state_has_row(unsigned int leaf)
{
	return leaf < 256 && seamcall_sept_states[leaf].allowed != 0;
}

bool sept_state_allows(unsigned int leaf, unsigned int s)
{
	return leaf < 256 && s <= SEPT_TABLE_BLOCKED &&
	       (seamcall_sept_states[leaf].allowed & (1U << s));
}

bool sept_state_allows_tdcall(unsigned int leaf, unsigned int s)
{
	return leaf < 32 && s <= SEPT_TABLE_BLOCKED && (tdcall_sept_states[leaf] & (1U << s));
}

uint64_t sept_state_check(unsigned int leaf, uint64_t *regs, uint64_t e, unsigned int level)
{
	const struct sept_row *row = &seamcall_sept_states[leaf & 0xFF];

	if (sept_state_allows(leaf, sept_state(e)))
		return TDX_SUCCESS;
	sept_details(regs, e, level);
	if (row->refused_blocked && sept_state_is_any_blocked(e))
		return row->refused_blocked;
	/* A leaf without a row refuses everything: a programming error the tests catch. */
	return row->refused ? row->refused : STATE_INCORRECT;
}

unsigned int sept_state_blocked(unsigned int s)
{
	switch (s) {
	case SEPT_TABLE:
		return SEPT_TABLE_BLOCKED;
	case SEPT_MAPPED:
		return SEPT_BLOCKED;
	case SEPT_PENDING:
		return SEPT_PENDING_BLOCKED;
	default:
		return s;
	}
}

unsigned int sept_state_unblocked(unsigned int s)
{
	switch (s) {
	case SEPT_TABLE_BLOCKED:
		return SEPT_TABLE;
	case SEPT_BLOCKED:
		return SEPT_MAPPED;
	case SEPT_PENDING_BLOCKED:
		return SEPT_PENDING;
	default:
		return s;
	}
}
