// SPDX-License-Identifier: MIT
/*
 * TDH.VP.RD: the host reads one VP-scope (TDVPS, TD VMCS) metadata element
 * [M tdh_vp_rd_wr.c; ABI §1.1]. RCX = TDVPR, RDX = field ID; R8 = value; version 1 also
 * returns the next readable element in RDX. The vCPU becomes associated with this LP (another
 * LP: VCPU_ASSOCIATED). Guest registers, RIP, RFLAGS and the VE info are readable only for a
 * DEBUG TD.
 */
#include "td.h"

uint64_t tdh_vp_rd_leaf(uint64_t *regs, unsigned int version, unsigned int lp)
{
	return md_tdh_vp_rdwr(regs, version, lp, false);
}
