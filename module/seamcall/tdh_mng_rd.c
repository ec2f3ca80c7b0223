// SPDX-License-Identifier: MIT
/*
 * TDH.MNG.RD: the host reads one TD-scope (TDR/TDCS) metadata element
 * [M tdh_mng_rd_wr.c; ABI §1.1]. RCX = TDR, RDX = field ID; R8 = value; version 1 also
 * returns the next readable element in RDX (a null ID: the first one, with
 * METADATA_FIRST_FIELD_ID_IN_CONTEXT). Needs an initialised TD (not before TDH.MNG.INIT:
 * OP_STATE_INCORRECT); masks are those of a production or a DEBUG TD (metadata_td.c).
 */
#include "td.h"

uint64_t tdh_mng_rd_leaf(uint64_t *regs, unsigned int version, unsigned int lp)
{
	(void)lp;
	return md_tdh_mng_rdwr(regs, version, false);
}
