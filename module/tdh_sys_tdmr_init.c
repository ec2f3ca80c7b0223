// SPDX-License-Identifier: MIT
/*
 * TDH.SYS.TDMR.INIT (leaf 36): initialise the PAMT of a TDMR, a chunk per call
 * [facts §1.1, §6; TDX module 1.5.01 tdh_sys_tdmr_init.c]. RCX = the TDMR's base. Output
 * RDX = the next address to initialise, rounded down to 1 GiB; the host repeats until RDX
 * reaches the TDMR's end. A finished TDMR answers TDMR_ALREADY_INITIALIZED (a warning).
 * Each TDMR has its own lock: another LP on the same TDMR gets OPERAND_BUSY | RCX, other
 * TDMRs initialise in parallel.
 *
 * Chunk size: implementation-defined. tdxsim does one 1 GiB block per call (the 1.5.01
 * module does 1024 4K entries). A block's PAMT is discarded (phys_discard: zero, no
 * touch) and only the 4K entries of reserved pages are written, so a call costs
 * microseconds and touches at most the PAMT pages that cover reserved areas.
 */
#include "module.h"

void tdh_sys_tdmr_init_defaults(uint64_t *regs)
{
	regs[REG_RDX_] = 0;
}

uint64_t tdh_sys_tdmr_init(uint64_t *regs, unsigned int version, unsigned int lp)
{
	uint64_t base = regs[REG_RCX_];
	struct tdmr *t = NULL;
	uint64_t next;

	(void)version;
	(void)lp;
	tdh_sys_tdmr_init_defaults(regs);

	if (!is_aligned(base, _1G) || !pa_below_max_pa(base) || pa_hkid(base))
		return TDX_OPERAND_INVALID + TDX_OPERAND_ID_RCX;
	for (unsigned int i = 0; i < tdxm.nr_tdmrs; i++) {
		if (tdxm.tdmr[i].base == base) {
			t = &tdxm.tdmr[i];
			break;
		}
	}
	if (!t)
		return TDX_OPERAND_INVALID + TDX_OPERAND_ID_RCX;
	if (!mutex_try(&t->lock))
		return TDX_OPERAND_BUSY + TDX_OPERAND_ID_RCX;

	next = t->next_init;
	if (next >= t->base + t->size) {
		mutex_release(&t->lock);
		return TDX_TDMR_ALREADY_INITIALIZED;
	}
	pamt_init_block(t, next);
	next += _1G;
	/* Publish after the entries: pamt_entry_get() reads next_init without the lock. */
	__atomic_store_n(&t->next_init, next, __ATOMIC_RELEASE);
	regs[REG_RDX_] = next & ~(_1G - 1);
	mutex_release(&t->lock);
	return TDX_SUCCESS;
}
