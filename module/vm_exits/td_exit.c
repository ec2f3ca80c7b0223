// SPDX-License-Identifier: MIT
/*
 * A running TD: every time guest code stops, the CPU backend reports a VM exit
 * (platform/cpu_backend.h) and calls td_vm_exit() on the LP that ran it. The module decides,
 * as the TDX module does on a VM exit [M tdx_td_dispatcher.c, td_other_exits.c,
 * td_ept_violation.c; ABI §5]:
 *
 *   - handle it inside the TD (TDCALL leaves, CPUID and MSRs it virtualises),
 *   - turn it into a #VE for the guest kernel (I/O, HLT, shared-GPA EPT violations, ...),
 *   - inject an exception (#UD for VMX instructions and SEAMCALL),
 *   - or exit to the host: TDH.VP.ENTER returns with the exit's registers.
 *
 * The table below is that dispatcher: one small function per exit reason, each in a file of
 * this folder named after it (instructions.c holds the instruction exits that are one line).
 */
#include <string.h>

#include "td.h"

struct tdvps *td_current_vp(void)
{
	int lp = lp_current();

	if (lp < 0 || !tdxm.lp[lp].cur_tdvpr)
		return NULL;
	return tdxm.lp[lp].cur_vp; /* tdvps_of(cur_tdvpr), kept by TDH.VP.ENTER */
}

struct tdr *vp_tdr(const struct tdvps *vp)
{
	return tdr_of(vp->tdr_pa);
}

struct tdcs *vp_tdcs(const struct tdvps *vp)
{
	int lp = lp_current();

	/* The running vCPU's, as TDH.VP.ENTER found it; else through the TDR. */
	if (lp >= 0 && tdxm.lp[lp].cur_tdvpr && tdxm.lp[lp].cur_vp == vp)
		return tdxm.lp[lp].cur_tdcs;
	return tdcs_of(vp_tdr(vp));
}

/* ------------------------------------------------------------------------------------------
 * TD exits
 */

/*
 * Switch back to the host and end the vCPU's run: epoch reference, TDVPR lock. The TDCS and
 * the TDVPR's PAMT entry are those TDH.VP.ENTER found and kept in the LP's state.
 */
static void td_exit_common(struct cpu_regs *ctx, struct tdvps *vp)
{
	struct module_lp *mlp = &tdxm.lp[lp_current()];
	struct tdcs *tdcs = mlp->cur_tdcs;

	cpu_backend()->exit(ctx);
	__atomic_sub_fetch(&tdcs->refcount[vp->epoch & 1], 1, __ATOMIC_ACQ_REL);
	if (vp->state == VCPU_ACTIVE)
		__atomic_store_n(&vp->state, VCPU_READY, __ATOMIC_RELEASE); /* see tdh_vp_enter */
	mlp->cur_tdvpr = 0;
	mlp->cur_vp = NULL;
	pamt_unlock(mlp->cur_tdvpr_pamt, true);
}

/* The host sees only what the exit reports; everything else is zero [ABI §1.1]. */
static void host_exit_regs(struct cpu_regs *ctx, uint64_t rax)
{
	static const int cleared[] = {REG_RCX_, REG_RDX_, REG_RBX_, REG_RSI_, REG_RDI_,
				      REG_R8_,	REG_R9_,  REG_R10_, REG_R11_, REG_R12_,
				      REG_R13_, REG_R14_, REG_R15_};

	for (unsigned int i = 0; i < sizeof(cleared) / sizeof(cleared[0]); i++)
		ctx->gpr[cleared[i]] = 0;
	ctx->gpr[REG_RAX_] = rax;
}

void td_exit_async(struct cpu_regs *ctx, uint64_t status, uint64_t qual, uint64_t ext_qual,
		   uint64_t gpa, uint64_t intr_info)
{
	struct tdvps *vp = td_current_vp();

	td_exit_common(ctx, vp);
	host_exit_regs(ctx, status);
	ctx->gpr[REG_RCX_] = qual;
	ctx->gpr[REG_RDX_] = ext_qual;
	ctx->gpr[REG_R8_] = gpa;
	ctx->gpr[REG_R9_] = intr_info;
}

/*
 * A TDG.VP.VMCALL exit: RCX = the guest's mask; each exposed GPR carries the guest's value,
 * the rest are zero [ABI §1.1, §3]. The next TDH.VP.ENTER copies them back.
 */
void td_exit_vmcall(struct cpu_regs *ctx, struct tdvps *vp)
{
	uint64_t mask = vp->vmcall_mask;
	/* The exit saves the guest's registers in its vCPU, where they are read from. */
	const uint64_t *guest = vp->cpu.regs.gpr;

	vp->pending = VP_RESUME_TDVMCALL;
	td_exit_common(ctx, vp);
	host_exit_regs(ctx, EXIT_REASON_TDCALL);
	for (unsigned int r = 0; r < 16; r++)
		if (mask & (1ULL << r))
			ctx->gpr[r] = guest[r];
	ctx->gpr[REG_RCX_] = mask;
}

/* ------------------------------------------------------------------------------------------
 * Exceptions and #VE
 */

/*
 * The backend delivers it and escalates as the CPU does (#DF, then a triple-fault exit that
 * comes back here as EXIT_REASON_TRIPLE_FAULT): the one escalation path.
 */
void td_inject_exception(struct cpu_regs *ctx, struct tdvps *vp, uint8_t vector, bool has_error,
			 uint64_t error_code)
{
	cpu_backend()->inject(ctx, &vp->cpu,
			      vector | INTR_TYPE_HARD_EXCEPTION | INTR_INFO_VALID |
				      (has_error ? INTR_INFO_ERROR_VALID : 0),
			      (uint32_t)error_code);
}

/*
 * Fill VE_INFO and raise #VE; while VE_INFO is still valid (the guest has not read it with
 * TDG.VP.VEINFO.GET) the CPU raises #DF instead [ABI §5; M tdx_inject_ve].
 */
void td_inject_ve(struct cpu_regs *ctx, struct tdvps *vp, uint32_t reason, uint64_t qual,
		  uint64_t gla, uint64_t gpa, uint32_t insn_len, uint32_t insn_info)
{
	struct ve_info *ve = &vp->ve_info;

	if (ve->valid) {
		td_inject_exception(ctx, vp, X86_TRAP_DF, true, 0);
		return;
	}
	ve->exit_reason = reason;
	ve->exit_qualification = qual;
	ve->gla = gla;
	ve->gpa = gpa;
	ve->eptp_index = 0;
	ve->instruction_length = insn_len;
	ve->instruction_info = insn_info;
	ve->valid = VE_INFO_VALID;
	if (td_trace_on())
		td_trace_ve_slow(ctx, vp, ve);
	td_inject_exception(ctx, vp, X86_TRAP_VE, false, 0);
}

/*
 * A machine check in the TD: the TD is dead [ABI §10]. TDX memory integrity (a poisoned
 * page, gpa) or the machine itself unable to go on (EXIT_REASON_MCE_DURING_VMENTRY, gpa 0).
 */
void td_fatal_machine_check(struct cpu_regs *ctx, struct tdvps *vp, uint64_t gpa)
{
	/* #MC as a valid hardware exception: VM-exit interruption info */
	uint64_t intr_info = X86_TRAP_MC | INTR_TYPE_HARD_EXCEPTION | INTR_INFO_VALID;

	vp_tdr(vp)->fatal = true;
	td_exit_async(ctx, TDX_NON_RECOVERABLE_TD | EXIT_REASON_EXCEPTION_NMI, 0, 0, gpa,
		      intr_info);
}

/* ------------------------------------------------------------------------------------------
 * The dispatcher [M tdx_td_dispatcher.c]: one function per basic exit reason.
 */

/* clang-format off */
static const vm_exit_fn vm_exit_handlers[] = {
	[EXIT_REASON_EXCEPTION_NMI]       = vmexit_exception_nmi,
	[EXIT_REASON_EXTERNAL_INTERRUPT]  = vmexit_external_interrupt,
	[EXIT_REASON_TRIPLE_FAULT]        = vmexit_triple_fault,
	[EXIT_REASON_CPUID]               = vmexit_cpuid,
	[EXIT_REASON_GETSEC]              = vmexit_ud,
	[EXIT_REASON_HLT]                 = vmexit_hlt,
	[EXIT_REASON_INVD]                = vmexit_invd,
	[EXIT_REASON_RSM]                 = vmexit_ud,
	[EXIT_REASON_VMCALL]              = vmexit_vmcall,
	[EXIT_REASON_VMCLEAR]             = vmexit_ud,
	[EXIT_REASON_VMLAUNCH]            = vmexit_ud,
	[EXIT_REASON_VMPTRLD]             = vmexit_ud,
	[EXIT_REASON_VMPTRST]             = vmexit_ud,
	[EXIT_REASON_VMREAD]              = vmexit_ud,
	[EXIT_REASON_VMRESUME]            = vmexit_ud,
	[EXIT_REASON_VMWRITE]             = vmexit_ud,
	[EXIT_REASON_VMOFF]               = vmexit_ud,
	[EXIT_REASON_VMON]                = vmexit_ud,
	[EXIT_REASON_CR_ACCESS]           = vmexit_cr_access,
	[EXIT_REASON_IO_INSTRUCTION]      = vmexit_io_instruction,
	[EXIT_REASON_MSR_READ]            = vmexit_msr_read,
	[EXIT_REASON_MSR_WRITE]           = vmexit_msr_write,
	[EXIT_REASON_MWAIT_INSTRUCTION]   = vmexit_mwait,
	[EXIT_REASON_MONITOR_INSTRUCTION] = vmexit_monitor,
	[EXIT_REASON_MCE_DURING_VMENTRY]  = vmexit_mce_during_vmentry,
	[EXIT_REASON_EPT_VIOLATION]       = vmexit_ept_violation,
	[EXIT_REASON_INVEPT]              = vmexit_ud,
	[EXIT_REASON_INVVPID]             = vmexit_ud,
	[EXIT_REASON_WBINVD]              = vmexit_wbinvd,
	[EXIT_REASON_XSETBV]              = vmexit_xsetbv,
	[EXIT_REASON_VMFUNC]              = vmexit_ud,
	[EXIT_REASON_ENCLS]               = vmexit_ud,
	[EXIT_REASON_PCONFIG]             = vmexit_pconfig,
	[EXIT_REASON_ENCLV]               = vmexit_ud,
	[EXIT_REASON_SEAMCALL]            = vmexit_ud,
	[EXIT_REASON_TDCALL]              = vmexit_tdcall,
};
/* clang-format on */

/*
 * An instruction exit the module may complete (RIP past it, no exception), after which a TF
 * single step is due: I/O and HLT only ever become #VE.
 */
static bool completes_insn(const struct vm_exit *exit)
{
	return exit->insn_len && exit->reason != EXIT_REASON_IO_INSTRUCTION &&
	       exit->reason != EXIT_REASON_HLT;
}

void td_vm_exit(struct cpu_regs *ctx, const struct vm_exit *exit)
{
	struct tdvps *vp = td_current_vp();
	uint32_t reason = exit->reason & EXIT_REASON_BASIC_MASK;
	vm_exit_fn fn = reason < sizeof(vm_exit_handlers) / sizeof(vm_exit_handlers[0])
				? vm_exit_handlers[reason]
				: NULL;

	if (!vp || !fn) {
		/* No vCPU: guest code the module never entered, nothing to answer. An exit reason
		 * without a handler: nothing to return to but the host, as after a triple fault. */
		if (vp)
			td_exit_async(ctx, TDX_NON_RECOVERABLE_VCPU | EXIT_REASON_TRIPLE_FAULT, 0,
				      0, 0, 0);
		return;
	}
	bool step = (ctx->rflags & X86_EFLAGS_TF) && completes_insn(exit);
	uint64_t next = ctx->rip + exit->insn_len;

	fn(ctx, vp, exit);
	/*
	 * The instruction completed with TF set: the single-step #DB comes after it, before any
	 * interrupt [M advance_guest_rip sets the pending debug exception BS]; after a
	 * TDG.VP.VMCALL it comes when TDH.VP.ENTER resumes the guest.
	 */
	if (step && td_current_vp() == vp && ctx->rip == next)
		cpu_backend()->single_step(ctx, &vp->cpu);
	else if (step && td_current_vp() != vp && vp->cpu.regs.rip == next)
		vp->cpu.pending_step = true;
	/* Back to guest code (no TD exit): a pending virtual interrupt may be due. */
	if (td_current_vp() == vp)
		td_vapic_deliver(ctx, vp);
}

/* ------------------------------------------------------------------------------------------
 * Poison: a host write to a TD's private page. The TD's mapping of it goes away, so its next
 * access faults and finds the page poisoned (vmexit_ept_violation).
 */
static bool unmap_hpa(struct tdcs *tdcs, const uint64_t *table, unsigned int level, uint64_t base,
		      uint64_t hpa)
{
	for (unsigned int i = 0; i < SEPT_ENTRIES; i++) {
		uint64_t e = __atomic_load_n(&table[i], __ATOMIC_ACQUIRE);
		uint64_t gpa = base + ((uint64_t)i << (12 + 9 * level));

		if (sept_state_is_table(e) && level > 0) {
			if (unmap_hpa(tdcs, phys_seam_va(sept_hpa(e)), level - 1, gpa, hpa))
				return true;
		} else if (sept_is_leaf(e) && hpa >= sept_hpa(e) &&
			   hpa < sept_hpa(e) + tdx_ps_bytes(level)) {
			td_window_unmap(tdcs->window, gpa + (hpa - sept_hpa(e)), false);
			return true;
		}
	}
	return false;
}

void td_poison_notify(uint64_t hpa)
{
	const struct pamt_entry *e = pamt_entry_get(hpa & ~(_4K - 1), PT_4KB);
	const struct tdr *tdr;
	struct tdcs *tdcs;

	/* A control structure: the TD's next TDH.VP.ENTER fails (CORRUPTED_MD). */
	if (e && (e->pt == PT_TDR || e->pt == PT_TDCX || e->pt == PT_TDVPR || e->pt == PT_EPT)) {
		__atomic_store_n(&tdr_of(pamt_owner(e))->md_corrupted, true, __ATOMIC_RELEASE);
		return;
	}
	if (!e || e->pt != PT_REG) {
		/* Maybe part of a 2M page */
		e = pamt_entry_get(hpa & ~(_2M - 1), PT_2MB);
		if (!e || e->pt != PT_REG)
			return;
	}
	tdr = tdr_of(pamt_owner(e));
	tdcs = tdcs_of(tdr);
	if (tdcs && tdcs->window)
		unmap_hpa(tdcs, sept_root(tdr), tdcs->ept_levels - 1, 0, hpa & ~(_4K - 1));
}
