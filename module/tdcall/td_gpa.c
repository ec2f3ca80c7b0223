// SPDX-License-Identifier: MIT
/*
 * Guest buffers named by TDCALL operands (TDREPORT, REPORTDATA, RTMR data, REPORTMACSTRUCT).
 *
 * The module walks the TD's EPT as the guest would [M helpers.c
 * check_walk_and_map_guest_side_gpa]: a GPA with bits set above GPAW (other than the shared
 * bit), or shared where only private memory will do, is OPERAND_INVALID; a private page that
 * is not MAPPED turns the TDCALL into what a guest access would have caused: a #VE for a
 * PENDING page unless ATTRIBUTES.SEPT_VE_DISABLE or TD_CTLS.PENDING_VE_DISABLE, an EPT
 * violation TD exit otherwise. Either way the TDCALL is not completed: RIP stays on it and it
 * runs again once the guest (accept) or the host (PAGE.AUG) fixed the page. A shared GPA goes
 * through the shared half of the TD window; a hole there is a #VE, as for any shared access.
 */
#include "td.h"

/* EPT-violation exit qualification: bit 0 read, bit 1 write [SDM 28.3.3.2]. */
static uint64_t ept_qual(bool write)
{
	return write ? 2 : 1;
}

void *td_gpa_va(const struct tdcs *tdcs, const struct tdr *tdr, uint64_t gpa, size_t len,
		bool write)
{
	unsigned int level;
	uint64_t *leaf, e;

	(void)write; /* private pages are always writable by the module */
	if (!len || (gpa & (_4K - 1)) + len > _4K || (gpa >> tdcs->gpaw) ||
	    (gpa & tdcs->shared_bit))
		return NULL;
	leaf = sept_find_leaf(tdr, gpa, &level);
	if (!leaf)
		return NULL;
	e = __atomic_load_n(leaf, __ATOMIC_ACQUIRE);
	if (!sept_state_is_leaf_mapped(e))
		return NULL;
	return (uint8_t *)phys_seam_va(sept_hpa(e)) + (gpa & (tdx_ps_bytes(level) - 1));
}

uint64_t td_gpa_map(struct cpu_regs *ctx, struct tdvps *vp, struct tdcs *tdcs, uint64_t gpa,
		    size_t len, bool write, bool private_only, void **va)
{
	uint64_t g = gpa & ~tdcs->shared_bit, *leaf, e = 0;
	bool shared = gpa & tdcs->shared_bit;
	unsigned int level;

	*va = NULL;
	if ((g >> tdcs->gpaw) || (shared && private_only) || !len || (g & (_4K - 1)) + len > _4K)
		return TDX_OPERAND_INVALID;
	if (shared) {
		if (td_window_is_mapped(tdcs->window, g, true)) {
			*va = td_window_va(tdcs->window, g, true);
			return TDX_SUCCESS;
		}
		/* The shared EPT's suppress-#VE decides, as for the guest's own access. */
		tdcall_reexecute(ctx, vp);
		if (td_window_suppress_ve(tdcs->window, gpa))
			td_exit_async(ctx, EXIT_REASON_EPT_VIOLATION, ept_qual(write), 0, gpa, 0);
		else
			td_inject_ve(ctx, vp, EXIT_REASON_EPT_VIOLATION, ept_qual(write), 0, gpa, 0,
				     0);
		return TDCALL_EXITED;
	}
	*va = td_gpa_va(tdcs, vp_tdr(vp), gpa, len, write);
	if (*va)
		return TDX_SUCCESS;
	leaf = sept_find_leaf(vp_tdr(vp), gpa, &level);
	if (leaf)
		e = __atomic_load_n(leaf, __ATOMIC_ACQUIRE);
	tdcall_reexecute(ctx, vp);
	if (leaf && sept_state_is_pending(e) && !(tdcs->attributes & TDX_TD_ATTR_SEPT_VE_DISABLE) &&
	    !(tdcs->td_ctls & TD_CTLS_PENDING_VE_DISABLE)) {
		td_inject_ve(ctx, vp, EXIT_REASON_EPT_VIOLATION, ept_qual(write), 0, gpa, 0, 0);
		return TDCALL_EXITED;
	}
	td_exit_async(ctx, EXIT_REASON_EPT_VIOLATION, ept_qual(write), 0, gpa, 0);
	return TDCALL_EXITED;
}
