// SPDX-License-Identifier: MIT
/*
 * TDH.MR.FINALIZE: close the build measurement into MRTD; the TD becomes RUNNABLE and no page
 * can be added or measured any more [M tdh_mr_finalize.c; ABI §7, §9]. RCX = TDR.
 */
#include "td.h"

uint64_t tdh_mr_finalize_leaf(uint64_t *regs, unsigned int version, unsigned int lp)
{
	struct page_ref ref;
	struct tdcs *tdcs;
	struct tdr *tdr;
	uint64_t status;

	(void)version;
	(void)lp;
	status = tdr_get(regs[REG_RCX_], TDX_OPERAND_ID_RCX, true, &ref, &tdr);
	if (status)
		return status;
	status = td_state_check(tdr, TDH_MR_FINALIZE);
	if (status)
		goto out;
	tdcs = tdcs_of(tdr);
	SHA384_Final(tdcs->mrtd, &tdcs->mrtd_ctx);
	/* PAGE.ADD's window maps, gathered in runs, are all made before guest code can run. */
	td_window_flush(tdcs->window);
	tdr->op_state = OP_STATE_RUNNABLE;
out:
	page_put(&ref);
	return status;
}
