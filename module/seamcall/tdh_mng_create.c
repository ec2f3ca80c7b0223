// SPDX-License-Identifier: MIT
/*
 * TDH.MNG.CREATE: a free page becomes the TDR of a new TD bound to a private HKID
 * [M tdh_mng_create.c; ABI §1.1]. RCX = TDR page, RDX = HKID.
 */
#include <string.h>

#include "td.h"

uint64_t tdh_mng_create_leaf(uint64_t *regs, unsigned int version, unsigned int lp)
{
	uint64_t tdr_pa = regs[REG_RCX_], hkid = regs[REG_RDX_];
	struct page_ref ref;
	struct kot_entry *kot;
	struct tdr *tdr;
	uint64_t status;

	(void)version;
	(void)lp;
	status = page_get(tdr_pa, PT_NDA, 0, true, TDX_OPERAND_ID_RCX, &ref);
	if (status)
		return status;
	if (hkid & ~TDX_HKID_MASK || !hkid_is_private(hkid) || hkid >= MAX_HKIDS) {
		status = TDX_OPERAND_INVALID + TDX_OPERAND_ID_RDX;
		goto out;
	}
	kot = &tdxm.kot[hkid];
	if (!mutex_try(&tdxm.kot_lock)) {
		status = TDX_OPERAND_BUSY + TDX_OPERAND_ID_KOT;
		goto out;
	}
	if (kot->state != KOT_STATE_HKID_FREE) {
		mutex_release(&tdxm.kot_lock);
		status = TDX_HKID_NOT_FREE;
		goto out;
	}
	kot->state = KOT_STATE_HKID_ASSIGNED;
	kot->tdr_pa = tdr_pa;
	kot->wbinvd_bitmap = 0;
	mutex_release(&tdxm.kot_lock);

	page_assign(&ref, PT_TDR, tdr_pa);
	tdr = tdr_of(tdr_pa);
	tdr->lifecycle_state = TD_HKID_ASSIGNED;
	tdr->op_state = OP_STATE_UNINITIALIZED;
	tdr->hkid = (uint16_t)hkid;
	for (int i = 0; i < 4; i++)
		tdr->td_uuid[i] = module_random64();
out:
	page_put(&ref);
	return status;
}
