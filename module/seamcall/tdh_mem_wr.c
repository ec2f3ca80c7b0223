// SPDX-License-Identifier: MIT
/*
 * TDH.MEM.WR: the host writes 8 bytes of a debug TD's private memory [M tdh_mem_rd_wr.c].
 * RCX = GPA, RDX = TDR, R8 = the value; out R8 = the previous value. Checks, their order and
 * the outputs on failure are TDH.MEM.RD's (tdh_mem_rd.c); the guest sees the write at once.
 */
#include "td.h"

uint64_t tdh_mem_wr_leaf(uint64_t *regs, unsigned int version, unsigned int lp)
{
	(void)version;
	(void)lp;
	return mem_rd_wr(regs, true);
}
