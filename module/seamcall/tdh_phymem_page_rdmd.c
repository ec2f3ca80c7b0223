// SPDX-License-Identifier: MIT
/*
 * TDH.PHYMEM.PAGE.RDMD: read a page's PAMT metadata [M tdh_phymem_page_rdmd.c; ABI §1.1].
 * RCX = the page's HPA (any 4K page of a TDMR). Outputs RCX = page type, RDX = owner, R8 =
 * size (level of the PAMT leaf that covers it), R9 = BEPOCH for REG and SEPT pages, R10/R11
 * = 0. Same operand checks as PAGE.RECLAIM; the entry is taken shared (OPERAND_BUSY|RCX).
 */
#include "td.h"

uint64_t tdh_phymem_page_rdmd_leaf(uint64_t *regs, unsigned int version, unsigned int lp)
{
	uint64_t pa = regs[REG_RCX_];
	struct pamt_entry *e;
	unsigned int level;

	(void)version;
	(void)lp;
	regs[REG_RCX_] = regs[REG_RDX_] = regs[REG_R8_] = 0;
	regs[REG_R9_] = regs[REG_R10_] = regs[REG_R11_] = 0;
	if (!is_aligned(pa, _4K) || !pa_below_max_pa(pa) || pa_hkid(pa))
		return TDX_OPERAND_INVALID + TDX_OPERAND_ID_RCX;
	e = pamt_leaf(pa, &level);
	if (!e)
		return TDX_OPERAND_ADDR_RANGE_ERROR + TDX_OPERAND_ID_RCX;
	if (!pamt_lock(e, false))
		return TDX_OPERAND_BUSY + TDX_OPERAND_ID_RCX;
	regs[REG_RCX_] = e->pt;
	regs[REG_RDX_] = pamt_owner(e);
	regs[REG_R8_] = level;
	if (e->pt == PT_REG || e->pt == PT_EPT)
		regs[REG_R9_] = __atomic_load_n(&e->bepoch, __ATOMIC_ACQUIRE);
	pamt_unlock(e, false);
	return TDX_SUCCESS;
}
