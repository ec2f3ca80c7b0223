// SPDX-License-Identifier: MIT
/*
 * TDH.MEM.TRACK: start a new TLB epoch of the TD [M tdh_mem_track.c; ABI §1.1]. RCX = TDR.
 * Refused with PREVIOUS_TLB_EPOCH_BUSY while a vCPU still runs in the epoch before the
 * current one (its refcount, td.h). Blocks done in an epoch are tracked once the epoch after
 * it has begun and no vCPU remains in theirs (td_mem.c tlb_tracked).
 *
 * The module's epoch lock is exclusive here; tdxsim takes it as a compare-and-swap of the
 * epoch: losing the race is OPERAND_BUSY|TD_EPOCH, as a busy lock is.
 */
#include "td.h"

uint64_t tdh_mem_track_leaf(uint64_t *regs, unsigned int version, unsigned int lp)
{
	struct page_ref tdr_ref;
	struct tdcs *tdcs;
	struct tdr *tdr;
	uint64_t status, epoch;

	(void)version;
	(void)lp;
	status = tdr_get(regs[REG_RCX_], TDX_OPERAND_ID_RCX, false, &tdr_ref, &tdr);
	if (status)
		return status;
	status = td_state_check(tdr, TDH_MEM_TRACK);
	if (status)
		goto out;
	tdcs = tdcs_of(tdr);
	epoch = __atomic_load_n(&tdcs->td_epoch, __ATOMIC_ACQUIRE);
	if (__atomic_load_n(&tdcs->refcount[1 - (epoch & 1)], __ATOMIC_ACQUIRE) != 0) {
		status = TDX_PREVIOUS_TLB_EPOCH_BUSY;
		goto out;
	}
	if (!__atomic_compare_exchange_n(&tdcs->td_epoch, &epoch, epoch + 1, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		status = TDX_OPERAND_BUSY + TDX_OPERAND_ID_TD_EPOCH;
out:
	page_put(&tdr_ref);
	return status;
}
