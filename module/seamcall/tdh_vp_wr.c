// SPDX-License-Identifier: MIT
/*
 * TDH.VP.WR: the host writes one VP-scope metadata element [M tdh_vp_rd_wr.c;
 * ABI §1.1]. RCX = TDVPR, RDX = field ID, R8 = value, R9 = write mask; R8 = the old value.
 * Guest registers, RIP, RFLAGS, CR0/3/4 and CR2 are writable only for a DEBUG TD.
 */
#include "td.h"

uint64_t tdh_vp_wr_leaf(uint64_t *regs, unsigned int version, unsigned int lp)
{
	return md_tdh_vp_rdwr(regs, version, lp, true);
}
