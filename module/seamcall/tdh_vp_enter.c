// SPDX-License-Identifier: MIT
/*
 * TDH.VP.ENTER: run a vCPU on this LP until a TD exit [M tdh_vp_enter.c, td_exit.c; ABI
 * §1.1, §3]. RCX = TDVPR (bits 51:12) with flags in bits 52 (host recoverability hint) and
 * 53 (resume L1); after a TDVMCALL exit, the GPRs the guest exposed carry the VMM's results
 * back in.
 *
 * The TDVPR stays locked while the vCPU runs, so any other SEAMCALL on it gets OPERAND_BUSY;
 * the TD exit (td_exit.c) releases it. A vCPU is associated with the first LP that runs it;
 * entering it anywhere else needs TDH.VP.FLUSH first (VCPU_ASSOCIATED), because on hardware
 * its VMCS is cached on that LP.
 *
 * The LP also keeps its "current VMCS" (struct vmcs_cache): re-entering the vCPU it last
 * entered, with no SEAMCALL leaf having changed anything since (tdxm.vmcs_gen), skips the
 * lookups and checks whose answer cannot have changed: the TDVPR and TDR in the PAMT (type,
 * owner, large-page coverage) and the TD's lifecycle and OP_STATE. Everything that can
 * change without a SEAMCALL leaf is checked every time, in the same order as the full path:
 * the two locks (OPERAND_BUSY), TD_FATAL, the corrupted-metadata poison, the vCPU's state
 * and association. So each status comes in exactly the situations it did before.
 */
#include "td.h"

#define VP_ENTER_RCX_FLAGS ((1ULL << 52) | (1ULL << 53))

/* After a TDVMCALL exit the VMM's values of the exposed GPRs go in [M tdh_vp_enter.c]. */
static void resume_tdvmcall(struct tdvps *vp, const uint64_t *host)
{
	struct cpu_regs *g = &vp->cpu.regs;

	for (unsigned int r = 0; r < 16; r++)
		if (vp->vmcall_mask & (1ULL << r))
			g->gpr[r] = host[r];
	g->gpr[REG_RAX_] = TDX_SUCCESS;
	g->gpr[REG_RCX_] = vp->vmcall_mask;
	vp->pending = VP_RESUME_NONE;
}

/* The cached checks still hold: no leaf that may change them ran since (module.h). */
static bool vmcs_valid(const struct vmcs_cache *c)
{
	return __atomic_load_n(&tdxm.vmcs_gen, __ATOMIC_SEQ_CST) == c->gen;
}

/*
 * The LP's current VMCS, when it is the TDVPR at pa and still valid: 1 with both pages
 * locked as tdvpr_get() locks them and v filled; 0 to take the full path; or the status of
 * a lock that is held, which is what tdvpr_get() returns then (its checks before that lock
 * give what they gave when the cache was filled). The generation is read after each lock,
 * so a leaf that changed the page's PAMT entry or the TD (each under that lock) before this
 * LP took it is seen.
 */
static uint64_t vmcs_current(struct vmcs_cache *c, uint64_t pa, struct vp_ref *v)
{
	if (!c->vp || c->tdvpr_pa != pa)
		return 0;
	if (!pamt_lock(c->tdvpr_pamt, true))
		return TDX_OPERAND_BUSY + TDX_OPERAND_ID_RCX;
	if (!vmcs_valid(c)) {
		pamt_unlock(c->tdvpr_pamt, true);
		return 0;
	}
	if (!pamt_lock(c->tdr_pamt, false)) {
		pamt_unlock(c->tdvpr_pamt, true);
		return TDX_OPERAND_BUSY + TDX_OPERAND_ID_TDR;
	}
	if (!vmcs_valid(c)) {
		pamt_unlock(c->tdr_pamt, false);
		pamt_unlock(c->tdvpr_pamt, true);
		return 0;
	}
	v->tdvpr = (struct page_ref){.pa = pa, .pamt = c->tdvpr_pamt, .exclusive = true};
	v->tdr = (struct page_ref){.pa = c->vp->tdr_pa, .pamt = c->tdr_pamt};
	v->vp = c->vp;
	v->td = c->td;
	v->tdcs = c->tdcs;
	return 1;
}

uint64_t tdh_vp_enter_leaf(uint64_t *regs, unsigned int version, unsigned int lp)
{
	/* The dispatcher passes the SEAMCALL context's GPRs, its first member. */
	struct cpu_regs *ctx = (struct cpu_regs *)regs;
	uint64_t rcx = regs[REG_RCX_];
	struct module_lp *mlp = &tdxm.lp[lp];
	struct tdcs *tdcs;
	struct vp_ref v;
	uint64_t status, gen = 0;
	int32_t none = -1;
	bool cached;

	(void)version;
	if (rcx & ~(TDX_GPA_MASK | VP_ENTER_RCX_FLAGS))
		return TDX_OPERAND_INVALID + TDX_OPERAND_ID_RCX;
	status = vmcs_current(&mlp->vmcs, rcx & TDX_GPA_MASK, &v);
	cached = status == 1;
	if (!cached) {
		if (status)
			return status;
		gen = __atomic_load_n(&tdxm.vmcs_gen, __ATOMIC_SEQ_CST);
		status = tdvpr_get(rcx & TDX_GPA_MASK, TDX_OPERAND_ID_RCX, &v);
		if (status)
			return status;
	}
	tdcs = v.tdcs;
	if (v.td->fatal) {
		status = TDX_TD_FATAL;
		goto err;
	}
	if (!cached) {
		status = td_state_check(v.td, TDH_VP_ENTER);
		if (status)
			goto err;
	}
	/* A host write to a control page (noted by td_poison_notify): integrity lost. */
	if (__atomic_load_n(&v.td->md_corrupted, __ATOMIC_ACQUIRE)) {
		v.td->fatal = true;
		status = TDX_NON_RECOVERABLE_TD_CORRUPTED_MD;
		goto err;
	}
	if (v.vp->state != VCPU_READY) {
		status = TDX_VCPU_STATE_INCORRECT;
		goto err;
	}
	/* Only VP.FLUSH ends an association, and it bumps the generation: a cached vCPU has
	 * this LP's, unless that changed (then the CAS below gives the status). */
	if (!cached || __atomic_load_n(&v.vp->assoc_lp, __ATOMIC_RELAXED) != (int32_t)lp) {
		if (!__atomic_compare_exchange_n(&v.vp->assoc_lp, &none, (int32_t)lp, false,
						 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
			if (none != (int32_t)lp) {
				status = TDX_VCPU_ASSOCIATED;
				goto err;
			}
		} else {
			__atomic_add_fetch(&tdcs->num_assoc_vcpus, 1, __ATOMIC_RELAXED);
		}
	}

	if (v.vp->pending == VP_RESUME_TDVMCALL)
		resume_tdvmcall(v.vp, regs);
	v.vp->epoch = __atomic_load_n(&tdcs->td_epoch, __ATOMIC_ACQUIRE);
	__atomic_add_fetch(&tdcs->refcount[v.vp->epoch & 1], 1, __ATOMIC_ACQ_REL);
	/* Atomic: tests and debuggers watch a running vCPU's state without the TDVPR lock. */
	__atomic_store_n(&v.vp->state, VCPU_ACTIVE, __ATOMIC_RELEASE);
	v.vp->launched = true;
	mlp->cur_tdvpr = v.tdvpr.pa;
	mlp->cur_vp = v.vp;
	mlp->cur_tdcs = tdcs;
	mlp->cur_tdvpr_pamt = v.tdvpr.pamt;
	if (cached) {
		mlp->vmcs_hits++;
	} else if (__atomic_load_n(&tdxm.vmcs_done, __ATOMIC_SEQ_CST) == gen) {
		/* No leaf was running during the checks, nor had one run unseen before them. */
		mlp->vmcs = (struct vmcs_cache){.tdvpr_pa = v.tdvpr.pa,
						.gen = gen,
						.tdvpr_pamt = v.tdvpr.pamt,
						.tdr_pamt = v.tdr.pamt,
						.vp = v.vp,
						.td = v.td,
						.tdcs = tdcs};
		mlp->vmcs_misses++;
	} else {
		mlp->vmcs.tdvpr_pa = 0;
		mlp->vmcs_misses++;
	}
	/* The TDR is pinned by the vCPU's pages; only the TDVPR stays locked while it runs. */
	page_put(&v.tdr);
	cpu_backend()->enter(ctx, &v.vp->cpu);
	if (v.vp->cpu.pending_step) { /* a TDCALL completed under TF before the exit */
		v.vp->cpu.pending_step = false;
		cpu_backend()->single_step(ctx, &v.vp->cpu);
	}
	/* Posted interrupts are processed on VM entry [SDM 30.6]; one may be delivered now. */
	td_vapic_deliver(ctx, v.vp);
	return SEAMCALL_ENTERED;
err:
	tdvpr_put(&v);
	return status;
}
