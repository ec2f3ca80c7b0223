// SPDX-License-Identifier: MIT
/*
 * EXIT_REASON_EPT_VIOLATION [M td_ept_violation.c; ABI §5]:
 *
 *   shared GPA   the VMM's shared EPT decides: where its entry has suppress-#VE clear (the
 *                VMM's MMIO), the CPU turns the violation into a #VE; elsewhere it is a TD
 *                exit to the VMM with the GPA;
 *   private GPA  a poisoned page kills the TD; a pending page (AUG'ed, not accepted) is a #VE
 *                unless SEPT_VE_DISABLE or TD_CTLS.PENDING_VE_DISABLE; anything else (absent,
 *                blocked) is a TD exit for the host (e.g. to PAGE.AUG).
 */
#include "td.h"

void vmexit_ept_violation(struct cpu_regs *ctx, struct tdvps *vp, const struct vm_exit *exit)
{
	struct tdcs *tdcs = vp_tdcs(vp);
	uint64_t gpa = exit->gpa, *leaf;
	unsigned int level;

	if (gpa & tdcs->shared_bit) {
		if (!td_window_suppress_ve(tdcs->window, gpa)) {
			td_inject_ve(ctx, vp, EXIT_REASON_EPT_VIOLATION, exit->qual, exit->gla, gpa,
				     0, 0);
			return;
		}
		td_exit_async(ctx, EXIT_REASON_EPT_VIOLATION, exit->qual, 0, gpa, 0);
		return;
	}
	leaf = sept_find_leaf(vp_tdr(vp), gpa, &level);
	if (leaf) {
		uint64_t e = __atomic_load_n(leaf, __ATOMIC_ACQUIRE);
		uint64_t hpa = sept_hpa(e) + ((gpa & ~(_4K - 1)) & (tdx_ps_bytes(level) - 1));

		if (sept_state_is_leaf_mapped(e) && phys_is_poisoned(hpa)) {
			td_fatal_machine_check(ctx, vp, gpa);
			return;
		}
		if (sept_state_is_pending(e) && !(tdcs->attributes & TDX_TD_ATTR_SEPT_VE_DISABLE) &&
		    !(tdcs->td_ctls & TD_CTLS_PENDING_VE_DISABLE)) {
			td_inject_ve(ctx, vp, EXIT_REASON_EPT_VIOLATION, exit->qual, exit->gla, gpa,
				     0, 0);
			return;
		}
	}
	td_exit_async(ctx, EXIT_REASON_EPT_VIOLATION, exit->qual, 0, gpa, 0);
}
