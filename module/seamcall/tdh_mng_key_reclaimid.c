// SPDX-License-Identifier: MIT
/*
 * TDH.MNG.KEY.RECLAIMID: kept for compatibility; in 1.5.01 it does nothing and succeeds,
 * whatever RCX holds [M tdh_mng_key_reclaimid.c]. TDH.MNG.KEY.FREEID frees the HKID.
 */
#include "td.h"

uint64_t tdh_mng_key_reclaimid_leaf(uint64_t *regs, unsigned int version, unsigned int lp)
{
	(void)regs;
	(void)version;
	(void)lp;
	return TDX_SUCCESS;
}
