// SPDX-License-Identifier: MIT
/*
 * TDH.SYS.TDMR.INIT (leaf 36): initialise the PAMT of a TDMR, a chunk per call
 * [ABI §1.1, §6; TDX module 1.5.01 tdh_sys_tdmr_init.c]. RCX = the TDMR's base. Output
 * RDX = the next address to initialise, rounded down to 1 GiB, so that the host never
 * takes a block that is not fully initialised; the host repeats until RDX reaches the
 * TDMR's end (RDX stays at a block's base for the calls inside it). A finished TDMR answers
 * TDMR_ALREADY_INITIALIZED (a warning), RDX = 0. Each TDMR has its own lock: another LP on
 * the same TDMR gets OPERAND_BUSY | RCX, other TDMRs initialise in parallel.
 *
 * Chunk: TDMR_INIT_CHUNK, the 1.5.01 module's 1024 4K entries (4 MiB of the TDMR), so a
 * 1 GiB block takes 256 calls. The chunk's 4K PAMT is discarded (phys_discard: zero, no
 * touch) and only the entries of reserved pages are written; the block's 2M and 1G
 * entries with its first chunk.
 */
#include "module.h"

void tdh_sys_tdmr_init_defaults(uint64_t *regs)
{
	regs[REG_RDX_] = 0;
}

uint64_t tdh_sys_tdmr_init_leaf(uint64_t *regs, unsigned int version, unsigned int lp)
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
	pamt_init_chunk(t, next);
	next += TDMR_INIT_CHUNK;
	/* Publish after the entries: pamt_entry_get() reads next_init without the lock. */
	__atomic_store_n(&t->next_init, next, __ATOMIC_RELEASE);
	regs[REG_RDX_] = next & ~(_1G - 1);
	mutex_release(&t->lock);
	return TDX_SUCCESS;
}
