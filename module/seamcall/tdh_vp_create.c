// SPDX-License-Identifier: MIT
/*
 * TDH.VP.CREATE: a free page becomes the TDVPR of a new vCPU [M tdh_vp_create.c; ABI §1.1,
 * §7]. RCX = the page, RDX = TDR. Needs an initialised, not yet finalised TD. MAX_VCPUS is
 * not checked here: TDH.VP.INIT counts the vCPU and gives it its index [M tdh_vp_create.c,
 * tdh_vp_init.c].
 */
#include "td.h"

uint64_t tdh_vp_create_leaf(uint64_t *regs, unsigned int version, unsigned int lp)
{
	struct page_ref tdr_ref, page;
	struct tdvps *vp;
	struct tdr *tdr;
	uint64_t status;

	(void)version;
	(void)lp;
	status = tdr_get(regs[REG_RDX_], TDX_OPERAND_ID_RDX, true, &tdr_ref, &tdr);
	if (status)
		return status;
	status = td_state_check(tdr, TDH_VP_CREATE);
	if (status)
		goto out;
	status = page_get(regs[REG_RCX_], PT_NDA, 0, true, TDX_OPERAND_ID_RCX, &page);
	if (status)
		goto out;
	page_assign(&page, PT_TDVPR, tdr_ref.pa);
	vp = tdvps_of(page.pa);
	vp->state = VCPU_UNINITIALIZED;
	vp->assoc_lp = -1;
	vp->tdr_pa = tdr_ref.pa;
	vp->tdvpr_pa = page.pa;
	td_vapic_reset(vp);
	tdr->chldcnt++;
	page_put(&page);
out:
	page_put(&tdr_ref);
	return status;
}
