// SPDX-License-Identifier: MIT
/*
 * TDH.MEM.RANGE.BLOCK: block a SEPT entry (a leaf, or a table and everything below it) so the
 * TD can no longer create translations through it [M tdh_mem_range_block.c; ABI §1.1].
 * RCX = GPA | level (0 .. EPT levels - 1), RDX = TDR. The PAMT entry of the blocked page (the
 * leaf's page at its size, or the SEPT page) records the TD epoch in BEPOCH; TDH.MEM.TRACK
 * then ends that epoch, after which the page may be removed.
 *
 * Allowed on MAPPED, PENDING and non-leaf (NL_MAPPED) entries; an entry already blocked gives
 * GPA_RANGE_ALREADY_BLOCKED|RCX (bit 63 clear: a warning), any other state
 * EPT_ENTRY_STATE_INCORRECT|RCX, both with the entry details in RCX/RDX [M
 * sept_state_lookup.c row 7, sept_state_is_any_blocked]. The TD window stops mapping
 * whatever the entry covered.
 */
#include "td.h"

uint64_t tdh_mem_range_block_leaf(uint64_t *regs, unsigned int version, unsigned int lp)
{
	struct pamt_entry *target;
	struct sept_op op;
	uint64_t status, e;
	bool table;

	(void)version;
	(void)lp;
	status = sept_op_begin(regs, regs[REG_RDX_], TDH_MEM_RANGE_BLOCK, 0, -1, false, &op);
	if (status)
		goto out;
	e = op.w.value;
	status = sept_state_check(TDH_MEM_RANGE_BLOCK, regs, e, op.level);
	if (status)
		goto out;
	/* All checks passed */
	table = sept_state_is_table(e);
	e = sept_hpa(e) | sept_state_blocked(sept_state(e));
	__atomic_store_n(op.w.entry, e, __ATOMIC_RELEASE);
	if (table)
		sept_sync_subtree(op.tdcs, sept_hpa(e), op.level - 1, op.gpa, false);
	else
		sept_sync_window(op.tdcs, op.gpa, op.level, e);
	target = sept_target_pamt(e, op.level);
	__atomic_store_n(&target->bepoch, __atomic_load_n(&op.tdcs->td_epoch, __ATOMIC_ACQUIRE),
			 __ATOMIC_RELEASE);
out:
	sept_op_end(&op);
	return status;
}
