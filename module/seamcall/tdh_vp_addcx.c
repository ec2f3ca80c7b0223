// SPDX-License-Identifier: MIT
/*
 * TDH.VP.ADDCX: add one TDCX page to a vCPU's TDVPS [M tdh_vp_addcx.c; ABI §1.1]. RCX = the
 * page, RDX = TDVPR. Before TDH.VP.INIT only; up to MAX_TDVPS_PAGES - 1
 * pages (14), of which VP.INIT needs MIN_TDVPS_PAGES - 1 (5, TDVPS_BASE_SIZE's count).
 */
#include "td.h"

uint64_t tdh_vp_addcx_leaf(uint64_t *regs, unsigned int version, unsigned int lp)
{
	struct page_ref page;
	struct vp_ref v;
	uint64_t status;

	(void)version;
	(void)lp;
	status = tdvpr_get(regs[REG_RDX_], TDX_OPERAND_ID_RDX, &v);
	if (status)
		return status;
	status = td_state_check(v.td, TDH_VP_ADDCX);
	if (status)
		goto out;
	if (v.vp->state != VCPU_UNINITIALIZED) {
		status = TDX_VCPU_STATE_INCORRECT;
		goto out;
	}
	if (v.vp->num_tdcx >= MAX_TDVPS_PAGES - 1) {
		status = TDX_TDCX_NUM_INCORRECT;
		goto out;
	}
	status = page_get(regs[REG_RCX_], PT_NDA, 0, true, TDX_OPERAND_ID_RCX, &page);
	if (status)
		goto out;
	page_assign(&page, PT_TDCX, v.tdr.pa);
	v.vp->tdcx_pa[v.vp->num_tdcx++] = page.pa;
	/* The TDR's count is updated under the TDR's shared lock: atomically. */
	__atomic_add_fetch(&v.td->chldcnt, 1, __ATOMIC_RELAXED);
	page_put(&page);
out:
	tdvpr_put(&v);
	return status;
}
