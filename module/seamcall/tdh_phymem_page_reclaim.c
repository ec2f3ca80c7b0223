// SPDX-License-Identifier: MIT
/*
 * TDH.PHYMEM.PAGE.RECLAIM: give a page of a torn-down TD back to the host [M
 * tdh_phymem_page_reclaim.c; ABI §1.1, §7]. RCX = the page's HPA. Outputs RCX = its PAMT
 * page type, RDX = its owner (the TDR; a TDR owns itself), R8 = its size (level), set as soon
 * as the PAMT entry has been read, so they are there on the errors after that point too.
 *
 *  - 4K-aligned, below MAX_PA, HKID 0 (OPERAND_INVALID|RCX); inside a TDMR
 *    (OPERAND_ADDR_RANGE_ERROR|RCX); the leaf PAMT entry (1G, 2M or 4K) taken exclusively
 *    (OPERAND_BUSY|RCX); NDA or RSVD (PAGE_METADATA_INCORRECT|RCX); a 2M/1G page at its
 *    alignment (OPERAND_INVALID|RCX).
 *  - A TD page: its TDR taken shared (OPERAND_BUSY|TDR) and in TD_TEARDOWN
 *    (LIFECYCLE_STATE_INCORRECT); the TDR's child count goes down by the page's 4K count.
 *  - The TDR: TD_TEARDOWN, and no child left (TD_ASSOCIATED_PAGES_EXIST). Its reclaim
 *    destroys the TD window (tdxsim), which MNG.KEY.FREEID moved into the TDR.
 */
#include "td.h"

uint64_t tdh_phymem_page_reclaim_leaf(uint64_t *regs, unsigned int version, unsigned int lp)
{
	uint64_t pa = regs[REG_RCX_], owner;
	struct pamt_entry *e, *tdr_e = NULL;
	struct tdr *tdr;
	unsigned int level;
	uint64_t status = TDX_SUCCESS;

	(void)version;
	(void)lp;
	regs[REG_RCX_] = regs[REG_RDX_] = regs[REG_R8_] = 0;
	regs[REG_R9_] = regs[REG_R10_] = regs[REG_R11_] = 0;
	if (!is_aligned(pa, _4K) || !pa_below_max_pa(pa) || pa_hkid(pa))
		return TDX_OPERAND_INVALID + TDX_OPERAND_ID_RCX;
	e = pamt_leaf(pa, &level);
	if (!e)
		return TDX_OPERAND_ADDR_RANGE_ERROR + TDX_OPERAND_ID_RCX;
	if (!pamt_lock(e, true))
		return TDX_OPERAND_BUSY + TDX_OPERAND_ID_RCX;
	/* The leaf may have changed before the lock: walk again (a changed one is busy). */
	if (pamt_leaf(pa, &(unsigned int){0}) != e) {
		pamt_unlock(e, true);
		return TDX_OPERAND_BUSY + TDX_OPERAND_ID_RCX;
	}
	if (e->pt == PT_NDA || e->pt == PT_RSVD) {
		status = TDX_PAGE_METADATA_INCORRECT + TDX_OPERAND_ID_RCX;
		goto out;
	}
	owner = pamt_owner(e);
	regs[REG_RCX_] = e->pt;
	regs[REG_RDX_] = owner;
	regs[REG_R8_] = level;
	if (level > PT_4KB && !is_aligned(pa, tdx_ps_bytes(level))) {
		status = TDX_OPERAND_INVALID + TDX_OPERAND_ID_RCX;
		goto out;
	}
	if (e->pt != PT_TDR) {
		tdr_e = pamt_entry_get(owner, PT_4KB);
		if (!tdr_e || !pamt_lock(tdr_e, false)) {
			tdr_e = NULL;
			status = TDX_OPERAND_BUSY + TDX_OPERAND_ID_TDR;
			goto out;
		}
		tdr = tdr_of(owner);
		if (tdr->lifecycle_state != TD_TEARDOWN) {
			status = TDX_LIFECYCLE_STATE_INCORRECT;
			goto out;
		}
		__atomic_sub_fetch(&tdr->chldcnt, 1ULL << (9 * level), __ATOMIC_RELAXED);
		/* A vCPU's TDVPR: what the CPU backend keeps for it goes too. */
		if (e->pt == PT_TDVPR)
			cpu_backend()->vcpu_destroy(&tdvps_of(pa)->cpu);
	} else {
		tdr = tdr_of(pa);
		if (tdr->lifecycle_state != TD_TEARDOWN) {
			status = TDX_LIFECYCLE_STATE_INCORRECT;
			goto out;
		}
		if (__atomic_load_n(&tdr->chldcnt, __ATOMIC_ACQUIRE) != 0) {
			status = TDX_TD_ASSOCIATED_PAGES_EXIST;
			goto out;
		}
		module_window_destroy(tdr->window);
		tdr->window = NULL;
	}
	/* Back to the host: NDA, no owner, no BEPOCH; contents zeroed by the unhide. */
	__atomic_store_n(&e->pt, (uint8_t)PT_NDA, __ATOMIC_RELEASE);
	pamt_set_owner(e, 0);
	e->bepoch = 0;
	pages_unhide(pa, tdx_ps_bytes(level));
out:
	if (tdr_e)
		pamt_unlock(tdr_e, false);
	pamt_unlock(e, true);
	return status;
}
