// SPDX-License-Identifier: MIT
/*
 * A running TD: every time guest code stops (a trap, the gate, a timer), the machine calls
 * td_guest_event() on the LP that ran it. The module decides, as the TDX module does on a VM
 * exit [M tdx_td_dispatcher.c, td_other_exits.c, td_ept_violation.c; ABI §5]:
 *
 *   - handle it inside the TD (TDCALL leaves, CPUID and MSRs it virtualises),
 *   - turn it into a #VE for the guest kernel (I/O, HLT, shared-GPA EPT violations, ...),
 *   - inject an exception (#UD for VMX instructions and SEAMCALL),
 *   - or exit to the host: TDH.VP.ENTER returns with the exit's registers.
 *
 * The table below is that dispatcher: one small function per kind of exit.
 */
#include <string.h>

#include "td.h"

struct tdvps *td_current_vp(void)
{
	int lp = lp_current();

	if (lp < 0 || !tdxm.lp[lp].cur_tdvpr)
		return NULL;
	return tdvps_of(tdxm.lp[lp].cur_tdvpr);
}

struct tdr *vp_tdr(const struct tdvps *vp)
{
	return tdr_of(vp->tdr_pa);
}

struct tdcs *vp_tdcs(const struct tdvps *vp)
{
	return tdcs_of(vp_tdr(vp));
}

/* ------------------------------------------------------------------------------------------
 * TD exits
 */

/* Switch back to the host and end the vCPU's run: epoch reference, TDVPR lock. */
static void td_exit_common(struct cpu_regs *ctx, struct tdvps *vp)
{
	struct tdcs *tdcs = vp_tdcs(vp);
	struct pamt_entry *e = pamt_entry_get(vp->tdvpr_pa, PT_4KB);
	int lp = lp_current();

	lp_world_exit(ctx);
	__atomic_sub_fetch(&tdcs->refcount[vp->epoch & 1], 1, __ATOMIC_ACQ_REL);
	if (vp->state == VCPU_ACTIVE)
		__atomic_store_n(&vp->state, VCPU_READY, __ATOMIC_RELEASE); /* see tdh_vp_enter */
	tdxm.lp[lp].cur_tdvpr = 0;
	pamt_unlock(e, true);
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
	uint64_t guest[16];

	memcpy(guest, ctx->gpr, sizeof(guest));
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

void td_inject_exception(struct cpu_regs *ctx, struct tdvps *vp, uint8_t vector, bool has_error,
			 uint64_t error_code)
{
	if (!guest_deliver(ctx, &vp->cpu, vector, has_error, error_code))
		return;
	if (vector != X86_TRAP_DF && !guest_deliver(ctx, &vp->cpu, X86_TRAP_DF, true, 0))
		return;
	/* Neither the exception nor #DF could be delivered: a triple fault ends the vCPU. */
	vp->state = VCPU_DISABLED;
	td_exit_async(ctx, TDX_NON_RECOVERABLE_VCPU | EXIT_REASON_TRIPLE_FAULT, 0, 0, 0, 0);
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
		td_trace_ve_slow(vp, ve);
	td_inject_exception(ctx, vp, X86_TRAP_VE, false, 0);
}

/* ------------------------------------------------------------------------------------------
 * One function per kind of guest stop
 */

static uint64_t io_exit_qualification(const struct trap_info *ti)
{
	return (uint64_t)(ti->io_size - 1) | (ti->io_in ? EXIT_QUAL_IO_IN : 0) |
	       (ti->io_string ? EXIT_QUAL_IO_STRING : 0) | (ti->io_rep ? EXIT_QUAL_IO_REP : 0) |
	       (ti->io_imm_port ? EXIT_QUAL_IO_IMM : 0) |
	       ((uint64_t)ti->port << EXIT_QUAL_IO_PORT_SHIFT);
}

static void exit_io(struct cpu_regs *ctx, struct tdvps *vp, const struct trap_info *ti)
{
	td_inject_ve(ctx, vp, EXIT_REASON_IO_INSTRUCTION, io_exit_qualification(ti), 0, 0,
		     ti->insn_len, 0);
}

static void exit_hlt(struct cpu_regs *ctx, struct tdvps *vp, const struct trap_info *ti)
{
	td_inject_ve(ctx, vp, EXIT_REASON_HLT, 0, 0, 0, ti->insn_len, 0);
}

/* INVD, WBINVD, MWAIT, MONITOR, VMCALL, PCONFIG: #VE; VMX, SGX, SEAM instructions: #UD. */
static void exit_insn(struct cpu_regs *ctx, struct tdvps *vp, const struct trap_info *ti)
{
	switch (ti->exit_reason) {
	case EXIT_REASON_INVD:
	case EXIT_REASON_WBINVD:
	case EXIT_REASON_MWAIT_INSTRUCTION:
	case EXIT_REASON_MONITOR_INSTRUCTION:
	case EXIT_REASON_VMCALL:
	case EXIT_REASON_PCONFIG:
		td_inject_ve(ctx, vp, ti->exit_reason, 0, 0, 0, ti->insn_len, 0);
		return;
	case EXIT_REASON_XSETBV:
		td_xsetbv(ctx, vp, ti);
		return;
	default:
		td_inject_exception(ctx, vp, X86_TRAP_UD, false, 0);
	}
}

static void exit_seamcall(struct cpu_regs *ctx, struct tdvps *vp, const struct trap_info *ti)
{
	(void)ti;
	td_inject_exception(ctx, vp, X86_TRAP_UD, false, 0);
}

/* EPT violation exit qualification: bits 0-2 read/write/fetch, 7 GLA valid, 8 translation. */
static uint64_t ept_exit_qualification(const struct trap_info *ti)
{
	uint64_t q = ti->fetch ? (1ULL << 2) : ti->write ? (1ULL << 1) : (1ULL << 0);

	return q | (1ULL << 7) | (1ULL << 8);
}

/*
 * A machine check in the TD: the TD is dead [ABI §10]. TDX memory integrity
 * (a poisoned page, gpa) or the machine itself unable to go on (TRAP_MACHINE_CHECK, gpa 0).
 */
static void td_fatal_machine_check(struct cpu_regs *ctx, struct tdvps *vp, uint64_t gpa)
{
	/* #MC (vector 18) as a valid hardware exception: VM-exit interruption info */
	uint64_t intr_info = X86_TRAP_MC | (3ULL << 8) | (1ULL << 31);

	vp_tdr(vp)->fatal = true;
	td_exit_async(ctx, TDX_NON_RECOVERABLE_TD | EXIT_REASON_EXCEPTION_NMI, 0, 0, gpa,
		      intr_info);
}

static void exit_ept(struct cpu_regs *ctx, struct tdvps *vp, const struct trap_info *ti)
{
	struct tdcs *tdcs = vp_tdcs(vp);
	uint64_t qual = ept_exit_qualification(ti);
	uint64_t gpa = ti->gpa, *leaf;
	unsigned int level;

	/* Shared GPA not mapped by the VMM: #VE, the guest asks the VMM (MMIO) [ABI §5]. */
	if (gpa & tdcs->shared_bit) {
		td_inject_ve(ctx, vp, EXIT_REASON_EPT_VIOLATION, qual, ti->gla, gpa, 0, 0);
		return;
	}
	leaf = sept_find_leaf(vp_tdr(vp), gpa, &level);
	if (leaf) {
		uint64_t e = __atomic_load_n(leaf, __ATOMIC_ACQUIRE);
		uint64_t hpa = sept_hpa(e) + ((gpa & ~(_4K - 1)) & (tdx_ps_bytes(level) - 1));

		if (sept_state(e) == SEPT_MAPPED && phys_is_poisoned(hpa)) {
			td_fatal_machine_check(ctx, vp, gpa);
			return;
		}
		/* Pending (AUG'ed, not accepted): #VE unless the TD turned that off. */
		if (sept_state(e) == SEPT_PENDING &&
		    !(tdcs->attributes & TDX_TD_ATTR_SEPT_VE_DISABLE) &&
		    !(tdcs->td_ctls & TD_CTLS_PENDING_VE_DISABLE)) {
			td_inject_ve(ctx, vp, EXIT_REASON_EPT_VIOLATION, qual, ti->gla, gpa, 0, 0);
			return;
		}
	}
	/* Absent, blocked or pending without #VE: the host decides (e.g. PAGE.AUG). */
	td_exit_async(ctx, EXIT_REASON_EPT_VIOLATION, qual, 0, gpa, 0);
}

/* An interrupt on the LP: the posted-interrupt notification stays in the TD (td_apic.c). */
static void exit_intr(struct cpu_regs *ctx, struct tdvps *vp, const struct trap_info *ti)
{
	if (td_vapic_notified(vp, ti))
		return; /* td_guest_event delivers what was posted */
	td_exit_async(ctx, EXIT_REASON_EXTERNAL_INTERRUPT, 0, 0, 0, 0);
}

static void exit_triple_fault(struct cpu_regs *ctx, struct tdvps *vp, const struct trap_info *ti)
{
	(void)ti;
	vp->state = VCPU_DISABLED;
	td_exit_async(ctx, TDX_NON_RECOVERABLE_VCPU | EXIT_REASON_TRIPLE_FAULT, 0, 0, 0, 0);
}

static void exit_machine_check(struct cpu_regs *ctx, struct tdvps *vp, const struct trap_info *ti)
{
	(void)ti;
	td_fatal_machine_check(ctx, vp, 0);
}

static void exit_exception(struct cpu_regs *ctx, struct tdvps *vp, const struct trap_info *ti)
{
	td_inject_exception(ctx, vp, ti->vector, ti->has_error_code, ti->error_code);
}

typedef void (*exit_fn)(struct cpu_regs *ctx, struct tdvps *vp, const struct trap_info *ti);

static const exit_fn exit_handlers[] = {
	[TRAP_TDCALL] = td_tdcall,
	[TRAP_SEAMCALL] = exit_seamcall,
	[TRAP_IO] = exit_io,
	[TRAP_HLT] = exit_hlt,
	[TRAP_RDMSR] = td_msr_exit,
	[TRAP_WRMSR] = td_msr_exit,
	[TRAP_CPUID] = td_cpuid_exit,
	[TRAP_EPT] = exit_ept,
	[TRAP_INTR] = exit_intr,
	[TRAP_INSN] = exit_insn,
	[TRAP_EXCEPTION] = exit_exception,
	[TRAP_TRIPLE_FAULT] = exit_triple_fault,
	[TRAP_MACHINE_CHECK] = exit_machine_check,
	[TRAP_CR] = td_cr_exit,
};

/* Stops for an instruction the module may complete (RIP past it, no exception). */
static bool insn_stop(enum trap_kind k)
{
	return k == TRAP_TDCALL || k == TRAP_CPUID || k == TRAP_RDMSR || k == TRAP_WRMSR ||
	       k == TRAP_INSN || k == TRAP_CR;
}

void td_guest_event(struct cpu_regs *ctx, const struct trap_info *ti)
{
	struct tdvps *vp = td_current_vp();

	if (!vp || (unsigned int)ti->kind >= sizeof(exit_handlers) / sizeof(exit_handlers[0]) ||
	    !exit_handlers[ti->kind]) {
		/* Guest code the module never entered: nothing to return to but the host. */
		if (vp)
			td_exit_async(ctx, TDX_NON_RECOVERABLE_VCPU | EXIT_REASON_TRIPLE_FAULT, 0,
				      0, 0, 0);
		return;
	}
	bool step = (ctx->rflags & X86_EFLAGS_TF) && insn_stop(ti->kind);
	uint64_t next = ti->insn_rip + ti->insn_len;

	exit_handlers[ti->kind](ctx, vp, ti);
	/*
	 * The instruction completed with TF set: the single-step #DB comes after it, before any
	 * interrupt [M advance_guest_rip sets the pending debug exception BS]; after a
	 * TDG.VP.VMCALL it comes when TDH.VP.ENTER resumes the guest.
	 */
	if (step && td_current_vp() == vp && ctx->rip == next)
		guest_single_step(ctx, &vp->cpu);
	else if (step && td_current_vp() != vp && vp->cpu.regs.rip == next)
		vp->cpu.pending_step = true;
	/* Back to guest code (no TD exit): a pending virtual interrupt may be due. */
	if (td_current_vp() == vp)
		td_vapic_deliver(ctx, vp);
}

/* ------------------------------------------------------------------------------------------
 * Poison: a host write to a TD's private page. The TD's mapping of it goes away, so its next
 * access faults and finds the page poisoned (exit_ept).
 */
static bool unmap_hpa(struct tdcs *tdcs, const uint64_t *table, unsigned int level, uint64_t base,
		      uint64_t hpa)
{
	for (unsigned int i = 0; i < SEPT_ENTRIES; i++) {
		uint64_t e = __atomic_load_n(&table[i], __ATOMIC_ACQUIRE);
		uint64_t gpa = base + ((uint64_t)i << (12 + 9 * level));

		if (sept_state(e) == SEPT_TABLE && level > 0) {
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
