// SPDX-License-Identifier: MIT
/*
 * TDH.VP.INIT: set a vCPU's initial state [M tdh_vp_init.c, td_vmcs_init.c; ABI §0, §1.1].
 * RCX = TDVPR, RDX = the guest's initial RCX; version 1 adds R8 = the x2APIC ID.
 *
 * The architectural start: RIP = 0xFFFFFFF0 (the reset vector, where TDVF puts a jump),
 * RBX = GPAW, RCX = R8 = the host's value, RDX = CPUID(1).EAX, RSI = the vCPU index; all
 * other GPRs 0. The CPU backend sets RIP and what tdxsim adds (cpu_backend.h vcpu_init):
 * the native backend runs guest code inside the TD window, so a GPA becomes the window's
 * address for it, and R9 carries the tdxsim gate (or 0) — the one register tdxsim adds, for
 * guests that want TDCALL without a trap; the system backend starts the vCPU at 0xFFFFFFF0
 * in 32-bit protected mode with R9 = 0 (docs/SYSTEM.md). Extended state starts at its reset
 * values (x87 and SSE registers clear, MXCSR = 0x1F80), as after INIT.
 *
 * As in 1.5.01, VP.INIT (not VP.CREATE) gives the vCPU its index: the TD's NUM_VCPUS counts
 * initialised vCPUs, and one beyond TD_PARAMS.MAX_VCPUS is MAX_VCPUS_EXCEEDED (the count is
 * given back). The vCPU ends associated with the calling LP [M associate_vcpu_initial], so
 * a VP.FLUSH there succeeds and a VP.ENTER or VP.RD/WR on another LP is VCPU_ASSOCIATED
 * until then.
 */
#include <string.h>

#include "td.h"

uint64_t tdh_vp_init_leaf(uint64_t *regs, unsigned int version, unsigned int lp)
{
	uint64_t x2apic_id = version ? regs[REG_R8_] : 0;
	struct guest_cpu *g;
	struct vp_ref v;
	uint64_t status;
	uint32_t index;

	status = tdvpr_get(regs[REG_RCX_], TDX_OPERAND_ID_RCX, &v);
	if (status)
		return status;
	status = td_state_check(v.td, TDH_VP_INIT);
	if (status)
		goto out;
	if (v.vp->state != VCPU_UNINITIALIZED) {
		status = TDX_VCPU_STATE_INCORRECT;
		goto out;
	}
	if (v.vp->num_tdcx < MIN_TDVPS_PAGES - 1) {
		status = TDX_TDCX_NUM_INCORRECT;
		goto out;
	}
	if (version && (x2apic_id >> 32)) {
		status = TDX_OPERAND_INVALID + TDX_OPERAND_ID_R8;
		goto out;
	}
	/* Several VP.INITs of one TD run in parallel (the TDR is shared): an atomic count. */
	index = __atomic_fetch_add(&v.tdcs->num_vcpus, 1, __ATOMIC_ACQ_REL);
	if (index >= v.tdcs->max_vcpus) {
		__atomic_sub_fetch(&v.tdcs->num_vcpus, 1, __ATOMIC_ACQ_REL);
		status = TDX_MAX_VCPUS_EXCEEDED;
		goto out;
	}
	v.vp->vcpu_index = index;

	g = &v.vp->cpu;
	memset(g, 0, sizeof(*g));
	g->window = v.tdcs->window;
	g->regs.rflags = 0x2;
	g->regs.gpr[REG_RBX_] = v.tdcs->gpaw;
	g->regs.gpr[REG_RCX_] = regs[REG_RDX_];
	g->regs.gpr[REG_R8_] = regs[REG_RDX_];
	g->regs.gpr[REG_RDX_] = tdxm.pkg_fms;
	g->regs.gpr[REG_RSI_] = v.vp->vcpu_index;
	/* RIP and what tdxsim adds (the gate in R9 natively) are the CPU backend's. */
	if (cpu_backend()->vcpu_init(g)) {
		__atomic_sub_fetch(&v.tdcs->num_vcpus, 1, __ATOMIC_ACQ_REL);
		status = TDX_SYS_BUSY;
		goto out;
	}
	/* x87/SSE/AVX at their reset values (MXCSR 0x1F80), in the TDVPS page kept for them. */
	_Static_assert(XSTATE_MAX_SIZE <= _4K, "the XSAVE area fits its TDVPS page");
	g->xstate = phys_seam_va(v.vp->tdcx_pa[TDVPS_XSTATE_TDCX]);
	xstate_reset(g->xstate);
	td_msr_init(v.vp);
	td_cr_init(v.vp, v.tdcs);
	v.vp->x2apic_id = version ? (uint32_t)x2apic_id : v.vp->vcpu_index;
	v.vp->state = VCPU_READY;
	__atomic_store_n(&v.vp->assoc_lp, (int32_t)lp, __ATOMIC_RELEASE);
	__atomic_add_fetch(&v.tdcs->num_assoc_vcpus, 1, __ATOMIC_ACQ_REL);
out:
	tdvpr_put(&v);
	return status;
}
