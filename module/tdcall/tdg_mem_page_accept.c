// SPDX-License-Identifier: MIT
/*
 * TDG.MEM.PAGE.ACCEPT: the guest accepts a PENDING page that the host added with
 * TDH.MEM.PAGE.AUG; the module zeroes it and maps it [M tdg_mem_page_accept.c; ABI §2].
 * RCX = GPA | level (0 = 4K, 1 = 2M; anything else, a shared GPA or one beyond GPAW:
 * OPERAND_INVALID|RCX).
 *
 *  - The walk stops above the level at a MAPPED leaf: PAGE_ALREADY_ACCEPTED + that level.
 *  - At the level: a table (not free, not a leaf) is PAGE_SIZE_MISMATCH + level; a MAPPED
 *    leaf PAGE_ALREADY_ACCEPTED + level; PENDING is accepted: zeroed, MAPPED, and mapped
 *    in the TD window.
 *  - Anything else (free, blocked, a pending leaf above the level, a missing table): an
 *    EPT-violation TD exit, with RIP back on the TDCALL so that it runs again once the host
 *    has fixed the mapping (e.g. PAGE.AUG). Exit qualification: a write, with the entry's
 *    RWX as the GPA's permissions; extended qualification type ACCEPT (1) with the
 *    requested level, the level and architectural state of the failing entry and whether it
 *    is a leaf [M td_other_exits.c async_tdexit_ept_violation, tdaccept_vmx_eeq_info_t].
 *  - The module locks only the entry on this path; tdxsim's whole-tree SEPT lock taken
 *    with a try stands for it: busy is OPERAND_BUSY|RCX, as a busy entry lock is.
 *
 * A 2M accept is not interrupted in tdxsim (the module may stop it for a pending interrupt
 * and re-execute the TDCALL).
 */
#include <string.h>

#include "td.h"

static uint64_t accept_violation(struct cpu_regs *ctx, struct tdvps *vp, struct tdcs *tdcs,
				 uint64_t gpa, unsigned int req_level, uint64_t e,
				 unsigned int level)
{
	uint64_t rwx = sept_arch_entry(e, level) & 0x7;
	/* A data write; the entry's R/W/X as the GPA's permissions (bits 5:3). */
	uint64_t qual = EXIT_QUAL_EPT_WRITE | rwx << 3;
	unsigned int state = (sept_arch_level_info(e, level) >> 8) & 0xFF;

	mutex_release(&tdcs->sept_lock);
	tdcall_reexecute(ctx, vp);
	td_exit_async(ctx, EXIT_REASON_EPT_VIOLATION, qual,
		      tdx_eeq_accept(req_level, level, state, sept_is_leaf(e)), gpa & ~(_4K - 1),
		      0);
	return TDCALL_EXITED;
}

uint64_t tdg_mem_page_accept(struct cpu_regs *ctx, struct tdvps *vp, struct tdcs *tdcs,
			     unsigned int version)
{
	struct tdr *tdr = vp_tdr(vp);
	struct sept_walk w;
	unsigned int level;
	uint64_t status, gpa, e;

	(void)version;
	status = sept_gpa_check(tdcs, ctx->gpr[REG_RCX_], 0, 1, &gpa, &level);
	if (status)
		return status;
	if (!mutex_try(&tdcs->sept_lock))
		return TDX_OPERAND_BUSY + TDX_OPERAND_ID_RCX;
	sept_walk(tdr, gpa, level, &w);
	e = w.value;
	if (w.level != level) {
		if (sept_state_is_leaf_mapped(e)) {
			status = TDX_PAGE_ALREADY_ACCEPTED + w.level;
			goto unlock;
		}
		return accept_violation(ctx, vp, tdcs, gpa, level, e, w.level);
	}
	if (sept_state_is_any_table(e)) {
		status = TDX_PAGE_SIZE_MISMATCH + level;
		goto unlock;
	}
	if (sept_state_is_leaf_mapped(e)) {
		status = TDX_PAGE_ALREADY_ACCEPTED + level;
		goto unlock;
	}
	if (!sept_state_allows_tdcall(TDG_MEM_PAGE_ACCEPT, sept_state(e)))
		return accept_violation(ctx, vp, tdcs, gpa, level, e, level);
	for (uint64_t off = 0; off < tdx_ps_bytes(level); off += _4K)
		memset(phys_seam_va(sept_hpa(e) + off), 0, _4K);
	e = sept_hpa(e) | SEPT_MAPPED;
	__atomic_store_n(w.entry, e, __ATOMIC_RELEASE);
	sept_sync_window(tdcs, gpa, level, e);
unlock:
	mutex_release(&tdcs->sept_lock);
	return status;
}
