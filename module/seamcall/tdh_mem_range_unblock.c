// SPDX-License-Identifier: MIT
/*
 * TDH.MEM.RANGE.UNBLOCK: undo TDH.MEM.RANGE.BLOCK [M tdh_mem_range_unblock.c; ABI §1.1].
 * RCX = GPA | level, RDX = TDR. Allowed on BLOCKED, PENDING_BLOCKED and NL_BLOCKED entries
 * (else EPT_ENTRY_STATE_INCORRECT|RCX with the details) [M sept_state_lookup.c row 39]. Once
 * the TD has run (RUNNABLE) the block must have been TLB-tracked first, else
 * TLB_TRACKING_NOT_DONE with operand SEPT_TREE (as 1.5.01 names it here). The TD window maps
 * again what becomes MAPPED.
 */
#include "td.h"

uint64_t tdh_mem_range_unblock_leaf(uint64_t *regs, unsigned int version, unsigned int lp)
{
	struct pamt_entry *target;
	struct sept_op op;
	uint64_t status, e;
	bool table;

	(void)version;
	(void)lp;
	status = sept_op_begin(regs, regs[REG_RDX_], TDH_MEM_RANGE_UNBLOCK, 0, -1, false, &op);
	if (status)
		goto out;
	e = op.w.value;
	status = sept_state_check(TDH_MEM_RANGE_UNBLOCK, regs, e, op.level);
	if (status)
		goto out;
	/* Every blocked state needs tracking; only a TD that may run needs it [ABI §7.1] */
	if (op_state_tlb_tracking_required(op.tdr->op_state)) {
		target = sept_target_pamt(e, op.level);
		if (!tlb_tracked(op.tdcs, __atomic_load_n(&target->bepoch, __ATOMIC_ACQUIRE))) {
			status = TDX_TLB_TRACKING_NOT_DONE + TDX_OPERAND_ID_SEPT_TREE;
			goto out;
		}
	}
	/* All checks passed */
	table = sept_state_is_any_table(e);
	e = sept_hpa(e) | sept_state_unblocked(sept_state(e));
	__atomic_store_n(op.w.entry, e, __ATOMIC_RELEASE);
	if (table)
		sept_sync_subtree(op.tdcs, sept_hpa(e), op.level - 1, op.gpa, true);
	else
		sept_sync_window(op.tdcs, op.gpa, op.level, e);
out:
	sept_op_end(&op);
	return status;
}
