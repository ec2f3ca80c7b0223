// SPDX-License-Identifier: MIT
/*
 * TDH.VP.FLUSH: flush a vCPU's state and translations from the LP it is associated with, and
 * end the association [M tdh_vp_flush.c; ABI §1.1, §7]. RCX = TDVPR. Must run on that LP:
 * anywhere else, or for a vCPU never associated, VCPU_NOT_ASSOCIATED. The TDVPR is taken
 * exclusively (OPERAND_BUSY|RCX while the vCPU runs), its TDR shared (OPERAND_BUSY|TDR); the
 * TD's keys must still be configured (TD_KEYS_NOT_CONFIGURED); a TDVPS without all its TDCX
 * pages is TDCX_NUM_INCORRECT. Allowed in every op_state [M op_state_lookup.c row 18].
 */
#include "td.h"

uint64_t tdh_vp_flush_leaf(uint64_t *regs, unsigned int version, unsigned int lp)
{
	struct vp_ref v;
	uint64_t status;

	(void)version;
	status = tdvpr_get(regs[REG_RCX_], TDX_OPERAND_ID_RCX, &v);
	if (status)
		return status;
	if (v.td->lifecycle_state != TD_KEYS_CONFIGURED) {
		status = TDX_TD_KEYS_NOT_CONFIGURED;
		goto out;
	}
	if (v.vp->num_tdcx < MIN_TDVPS_PAGES - 1) {
		status = TDX_TDCX_NUM_INCORRECT;
		goto out;
	}
	if (__atomic_load_n(&v.vp->assoc_lp, __ATOMIC_ACQUIRE) != (int32_t)lp) {
		status = TDX_VCPU_NOT_ASSOCIATED;
		goto out;
	}
	/* The TD's TLB entries would be flushed here (tdxsim caches none), and the VMCS: the
	 * LP's current VMCS forgets the vCPU (tdh_vp_enter.c). */
	if (tdxm.lp[lp].vmcs.tdvpr_pa == v.tdvpr.pa)
		tdxm.lp[lp].vmcs.vp = NULL;
	__atomic_store_n(&v.vp->assoc_lp, -1, __ATOMIC_RELEASE);
	__atomic_sub_fetch(&v.tdcs->num_assoc_vcpus, 1, __ATOMIC_ACQ_REL);
out:
	tdvpr_put(&v);
	return status;
}
