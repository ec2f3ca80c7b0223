// SPDX-License-Identifier: MIT
/*
 * TDH.MNG.WR: the host writes one TD-scope metadata element [M tdh_mng_rd_wr.c;
 * ABI §1.1]. RCX = TDR, RDX = field ID, R8 = value, R9 = write mask; R8 = the old value.
 * A production TD has no host-writable field tdxsim models; a DEBUG TD's host may write
 * NOTIFY_ENABLES bit 0 (metadata_td.c).
 */
#include "td.h"

uint64_t tdh_mng_wr_leaf(uint64_t *regs, unsigned int version, unsigned int lp)
{
	(void)lp;
	return md_tdh_mng_rdwr(regs, version, true);
}
