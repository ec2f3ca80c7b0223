// SPDX-License-Identifier: MIT
/*
 * TDH.MNG.KEY.FREEID: free a blocked TD's HKID once every package wrote back its caches, and
 * move the TD to TEARDOWN, where its pages can be reclaimed [M tdh_mng_key_freeid.c; ABI
 * §1.1, §7]. RCX = TDR, taken exclusively; lifecycle BLOCKED (else
 * LIFECYCLE_STATE_INCORRECT); the KOT lock (OPERAND_BUSY|KOT); a package still owing
 * TDH.PHYMEM.CACHE.WB is WBCACHE_NOT_COMPLETE.
 *
 * tdxsim: the TD window pointer moves from the TDCS into the TDR here, because the TDCS pages
 * may be reclaimed before the TDR, whose reclaim destroys the window.
 */
#include "td.h"

uint64_t tdh_mng_key_freeid_leaf(uint64_t *regs, unsigned int version, unsigned int lp)
{
	struct page_ref tdr_ref;
	struct kot_entry *kot;
	struct tdcs *tdcs;
	struct tdr *tdr;
	uint64_t status;

	(void)version;
	(void)lp;
	status = tdr_get(regs[REG_RCX_], TDX_OPERAND_ID_RCX, true, &tdr_ref, &tdr);
	if (status)
		return status;
	if (tdr->lifecycle_state != TD_BLOCKED) {
		status = TDX_LIFECYCLE_STATE_INCORRECT;
		goto out;
	}
	if (!mutex_try(&tdxm.kot_lock)) {
		status = TDX_OPERAND_BUSY + TDX_OPERAND_ID_KOT;
		goto out;
	}
	kot = &tdxm.kot[tdr->hkid];
	if (__atomic_load_n(&kot->wbinvd_bitmap, __ATOMIC_ACQUIRE) != 0) {
		status = TDX_WBCACHE_NOT_COMPLETE;
		goto unlock;
	}
	kot->state = KOT_STATE_HKID_FREE;
	kot->tdr_pa = 0;
	tdr->lifecycle_state = TD_TEARDOWN;
	tdcs = tdcs_of(tdr);
	if (tdcs) {
		tdr->window = tdcs->window;
		tdcs->window = NULL;
	}
unlock:
	mutex_release(&tdxm.kot_lock);
out:
	page_put(&tdr_ref);
	return status;
}
