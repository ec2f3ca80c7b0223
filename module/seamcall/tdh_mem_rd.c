// SPDX-License-Identifier: MIT
/*
 * TDH.MEM.RD: the host reads 8 bytes of a debug TD's private memory [M tdh_mem_rd_wr.c].
 * RCX = GPA, RDX = TDR; R8 = the value. RCX, RDX and R8 are 0 on every failure, except
 * EPT_ENTRY_NOT_PRESENT, which puts the entry where the walk stopped in RCX/RDX as SEPT.RD
 * does.
 *
 * Order of checks as in 1.5.01: TDR (shared; PAGE_METADATA_INCORRECT|RDX, OPERAND_BUSY|RDX)
 * → TD state (INITIALIZED or RUNNABLE) → ATTRIBUTES.DEBUG (TD_NON_DEBUG) → GPA 8-byte aligned
 * (OPERAND_INVALID|RCX) → SEPT tree lock (OPERAND_BUSY|SEPT_TREE) → GPA private and inside
 * GPAW (OPERAND_INVALID|RCX) → a MAPPED leaf at any level (EPT_ENTRY_NOT_PRESENT|RCX).
 * The implementation is mem_rd_wr() (td_mem.c), shared with TDH.MEM.WR.
 */
#include "td.h"

uint64_t tdh_mem_rd_leaf(uint64_t *regs, unsigned int version, unsigned int lp)
{
	(void)version;
	(void)lp;
	return mem_rd_wr(regs, false);
}
