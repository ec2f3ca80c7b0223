/* SPDX-License-Identifier: MIT */
/*
 * Which states each leaf accepts, in one place (states.c), as the TDX module keeps them in
 * two generated tables [ABI §7.1; M op_state_lookup.c, sept_state_lookup.c]:
 *
 *  - the TD's OP_STATE a SEAMCALL leaf may run in (the TD life cycle, ABI §7): consulted by
 *    td_state_check() alone, which every TD leaf calls after taking its TDR;
 *  - the Secure EPT entry states a leaf accepts at its target level, and the status each
 *    other state gets: consulted by sept_state_check() alone.
 *
 * The named predicates below replace comparisons with the state encodings in the leaves.
 * Included by td.h after the SEPT entry layout; module/README.md shows the tables.
 */
#ifndef TDXSIM_MODULE_STATES_H
#define TDXSIM_MODULE_STATES_H

#include <stdbool.h>
#include <stdint.h>

struct tdr;

/* ------------------------------------------------------------------------------------------
 * TD operation states (OP_STATE_*, include/tdx/td.h)
 */
#define OP_STATE_COUNT 11

/* Does SEAMCALL leaf `leaf` accept a TD in `op_state`? (false for a leaf without a row) */
bool op_state_allows(unsigned int leaf, unsigned int op_state);
/* Does `leaf` check the OP_STATE at all (has a row in the table)? */
bool op_state_has_row(unsigned int leaf);
/*
 * Once the TD may run (RUNNABLE, LIVE_EXPORT, LIVE_IMPORT), removing, demoting, promoting
 * or unblocking needs the range blocked and TLB-tracked [M state_flags_lookup
 * tlb_tracking_required]; while it is being built it does not.
 */
bool op_state_tlb_tracking_required(unsigned int op_state);
/*
 * The TD state check every TD leaf makes after taking its TDR, in the 1.5.01 order [M
 * helpers.c check_any_td_state_map_tdcs_and_lock]: FATAL -> TD_FATAL; lifecycle not
 * KEYS_CONFIGURED -> TD_KEYS_NOT_CONFIGURED; TDCS pages missing (unless the leaf's row has
 * UNINITIALIZED: the leaves that build the TDCS) -> TDCS_NOT_ALLOCATED; op_state not in the
 * leaf's row -> OP_STATE_INCORRECT.
 */
uint64_t td_state_check(const struct tdr *tdr, unsigned int leaf);

/* ------------------------------------------------------------------------------------------
 * Secure EPT entry states (enum sept_state, td.h): named predicates
 */
static inline bool sept_state_is_free(uint64_t e)
{
	return sept_state(e) == SEPT_FREE;
}

/* A leaf the TD can use (MAPPED: present with RWX) */
static inline bool sept_state_is_leaf_mapped(uint64_t e)
{
	return sept_state(e) == SEPT_MAPPED;
}

/* A leaf added by PAGE.AUG, not yet accepted and not blocked */
static inline bool sept_state_is_pending(uint64_t e)
{
	return sept_state(e) == SEPT_PENDING;
}

/* A non-leaf entry the walk goes through (not blocked) */
static inline bool sept_state_is_table(uint64_t e)
{
	return sept_state(e) == SEPT_TABLE;
}

/* A non-leaf entry, blocked or not */
static inline bool sept_state_is_any_table(uint64_t e)
{
	return sept_state(e) == SEPT_TABLE || sept_state(e) == SEPT_TABLE_BLOCKED;
}

/* Blocked by RANGE.BLOCK: a leaf, a pending leaf or a table */
static inline bool sept_state_is_any_blocked(uint64_t e)
{
	unsigned int s = sept_state(e);

	return s == SEPT_BLOCKED || s == SEPT_PENDING_BLOCKED || s == SEPT_TABLE_BLOCKED;
}

/* The state RANGE.BLOCK makes of a blockable state, and UNBLOCK's inverse [M
 * tdh_mem_range_block.c, tdh_mem_range_unblock.c]; other states are returned as they are. */
unsigned int sept_state_blocked(unsigned int s);
unsigned int sept_state_unblocked(unsigned int s);

/*
 * The per-leaf SEPT state check: TDX_SUCCESS when `leaf` (a SEAMCALL leaf) accepts the
 * entry `e` found at `level`; otherwise the entry's details in RCX/RDX (sept_details) and
 * the status the leaf gives for that state (EPT_ENTRY_STATE_INCORRECT | RCX for most).
 */
uint64_t sept_state_check(unsigned int leaf, uint64_t *regs, uint64_t e, unsigned int level);
/* The rows themselves: does SEAMCALL (or TDCALL) leaf `leaf` accept SEPT state `s`? */
bool sept_state_allows(unsigned int leaf, unsigned int s);
bool sept_state_allows_tdcall(unsigned int leaf, unsigned int s);
/* Does the SEAMCALL leaf walk the Secure EPT to a target entry (has a row)? */
bool sept_state_has_row(unsigned int leaf);

#endif
