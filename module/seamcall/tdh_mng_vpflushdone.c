// SPDX-License-Identifier: MIT
/*
 * TDH.MNG.VPFLUSHDONE: check that every vCPU was flushed and block the TD [M
 * tdh_mng_vpflushdone.c; ABI §1.1, §7]. RCX = TDR, taken exclusively; then the KOT lock
 * (OPERAND_BUSY|KOT). Lifecycle HKID_ASSIGNED or KEYS_CONFIGURED (else
 * LIFECYCLE_STATE_INCORRECT); an initialised TD with associated vCPUs is FLUSHVP_NOT_DONE.
 * Then the TD is BLOCKED, its HKID FLUSHED, and every package that configured keys
 * (SYS.KEY.CONFIG's package bitmap) owes a TDH.PHYMEM.CACHE.WB.
 */
#include "td.h"

uint64_t tdh_mng_vpflushdone_leaf(uint64_t *regs, unsigned int version, unsigned int lp)
{
	struct page_ref tdr_ref;
	struct kot_entry *kot;
	struct tdr *tdr;
	uint64_t status;

	(void)version;
	(void)lp;
	status = tdr_get(regs[REG_RCX_], TDX_OPERAND_ID_RCX, true, &tdr_ref, &tdr);
	if (status)
		return status;
	if (!mutex_try(&tdxm.kot_lock)) {
		status = TDX_OPERAND_BUSY + TDX_OPERAND_ID_KOT;
		goto out;
	}
	if (tdr->lifecycle_state != TD_KEYS_CONFIGURED &&
	    tdr->lifecycle_state != TD_HKID_ASSIGNED) {
		status = TDX_LIFECYCLE_STATE_INCORRECT;
		goto unlock;
	}
	if (tdr->num_tdcx >= MAX_TDCS_PAGES && tdr->op_state != OP_STATE_UNINITIALIZED &&
	    __atomic_load_n(&tdcs_of(tdr)->num_assoc_vcpus, __ATOMIC_ACQUIRE) != 0) {
		status = TDX_FLUSHVP_NOT_DONE;
		goto unlock;
	}
	kot = &tdxm.kot[tdr->hkid];
	__atomic_store_n(&kot->wbinvd_bitmap, tdxm.pkg_config_bitmap, __ATOMIC_RELEASE);
	kot->state = KOT_STATE_HKID_FLUSHED;
	tdr->lifecycle_state = TD_BLOCKED;
unlock:
	mutex_release(&tdxm.kot_lock);
out:
	page_put(&tdr_ref);
	return status;
}
