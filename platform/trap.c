// SPDX-License-Identifier: MIT
/*
 * The trap layer. Guest code and host code run natively on LP threads; whatever would leave
 * a TD or enter SEAM on real hardware faults here instead (#UD → SIGILL, #GP/#PF → SIGSEGV)
 * and is turned into what the hardware would have done:
 *
 *   host  SEAMCALL     no VMXON: #UD to the caller's fixup; no SEAMRR: #GP; no module:
 *                      VMfailInvalid (CF=1); else the module's SEAMCALL hook
 *   host  TDCALL       #UD to the caller's fixup (not in a TD)
 *   guest TDCALL, I/O, HLT, MSR, CPUID, window faults, ...  → a VM exit to the module's hook
 *   guest 0F 07 in rewrite mode that no CPUID became        → stop the TD (MCE_DURING_VMENTRY)
 *   guest CLI/STI/LIDT/MOV CR/...                           → the virtual CPU (switch.c)
 *   guest #PF outside the window, #UD, #DE, #BP, ...        → the guest's own IDT
 *
 * The gate (gate.S) reaches the same dispatch with the same register context, so both paths
 * have one implementation. Handlers run on the LP's alternate stack with the async signal
 * blocked; a world switch is an edit of the context that sigreturn then loads.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "decode.h"
#include "internal.h"

/* Code ranges of gate.S: a signal landing there is in the middle of a switch. */
extern char tdxsim_gate_entry[], tdxsim_gate_entry_end[];
extern char tdxsim_resume_gate_ctx[], tdxsim_resume_end[];

void (*tdxsim_gate_ptr)(void);

static const int trap_signals[] = {SIGSEGV, SIGILL, SIGFPE, SIGTRAP, SIGBUS};
static struct sigaction saved_actions[sizeof(trap_signals) / sizeof(trap_signals[0])];
static struct sigaction saved_intr_action;

/* ------------------------------------------------------------------------------------------
 * ucontext ↔ cpu_regs (x86 register order)
 */

static const int greg_of[16] = {
	REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP, REG_RSI, REG_RDI,
	REG_R8,	 REG_R9,  REG_R10, REG_R11, REG_R12, REG_R13, REG_R14, REG_R15,
};

static void uc_to_ctx(const ucontext_t *uc, struct cpu_regs *ctx)
{
	for (int i = 0; i < 16; i++)
		ctx->gpr[i] = (uint64_t)uc->uc_mcontext.gregs[greg_of[i]];
	ctx->rip = (uint64_t)uc->uc_mcontext.gregs[REG_RIP];
	ctx->rflags = (uint64_t)uc->uc_mcontext.gregs[REG_EFL];
}

/*
 * A fault's frame has RF set, so that the faulting instruction, run again, does not hit an
 * instruction breakpoint a second time [SDM vol. 3A 18.3.1.1]. When the handler completed
 * that instruction or moved elsewhere, RF goes, as the CPU clears it once an instruction
 * completes: else a debugger's hardware breakpoint on the next instruction is missed.
 */
static void ctx_to_uc(const struct cpu_regs *ctx, ucontext_t *uc)
{
	uint64_t rflags = ctx->rflags;

	if ((uint64_t)uc->uc_mcontext.gregs[REG_RIP] != ctx->rip)
		rflags &= ~(uint64_t)X86_EFLAGS_RF;
	for (int i = 0; i < 16; i++)
		uc->uc_mcontext.gregs[greg_of[i]] = (greg_t)ctx->gpr[i];
	uc->uc_mcontext.gregs[REG_RIP] = (greg_t)ctx->rip;
	uc->uc_mcontext.gregs[REG_EFL] = (greg_t)rflags;
}

static bool rip_in(uint64_t rip, const char *start, const char *end)
{
	return rip >= (uintptr_t)start && rip < (uintptr_t)end;
}

/* ------------------------------------------------------------------------------------------
 * Messages from a signal handler: only write(2) is safe there.
 */

static void put_str(char **p, char *end, const char *s)
{
	while (*s && *p < end)
		*(*p)++ = *s++;
}

static void put_hex(char **p, char *end, uint64_t v)
{
	char b[19] = "0x";
	int n = 2;

	for (int sh = 60; sh >= 0; sh -= 4) {
		unsigned int d = (v >> sh) & 0xF;

		if (d || n > 2 || sh == 0)
			b[n++] = (char)(d < 10 ? '0' + d : 'a' + d - 10);
	}
	b[n] = 0;
	put_str(p, end, b);
}

static void report(const char *what, uint64_t rip, uint64_t addr)
{
	char buf[256], *p = buf, *end = buf + sizeof(buf) - 1;
	struct lp *lp = this_lp;

	put_str(&p, end, "tdxsim: ");
	put_str(&p, end, what);
	put_str(&p, end, " at RIP ");
	put_hex(&p, end, rip);
	if (addr) {
		put_str(&p, end, " address ");
		put_hex(&p, end, addr);
	}
	if (lp) {
		put_str(&p, end, " on LP ");
		put_hex(&p, end, lp->id);
	}
	put_str(&p, end, "\n");
	if (write(STDERR_FILENO, buf, (size_t)(p - buf)) < 0)
		return;
}

/*
 * Nothing here can complete this fault: restore the default action and return, so that the
 * instruction faults again and the process dies of the original signal (with a core dump),
 * not of something the handler did.
 */
static void unhandled(int sig, const char *what, uint64_t rip, uint64_t addr)
{
	struct sigaction dfl = {.sa_handler = SIG_DFL};

	report(what, rip, addr);
	sigaction(sig, &dfl, NULL);
}

/* ------------------------------------------------------------------------------------------
 * Host side
 */

/*
 * An exception in host code resumes at its extable fixup with the trap number in RAX, as
 * the kernel's _ASM_EXTABLE_FAULT does. Host code without a fixup has a bug: stop.
 */
static void host_exception(struct cpu_regs *ctx, uint64_t insn_rip, unsigned int vector)
{
	const struct extable_entry *e = extable_find(insn_rip);

	if (!e) {
		report(vector == 6 ? "#UD in host code with no exception fixup"
				   : "#GP in host code with no exception fixup",
		       insn_rip, 0);
		abort();
	}
	ctx->rip = e->fixup;
	ctx->gpr[REG_RAX_] = vector;
}

/* SEAMCALL from host code, through either path (ctx->rip = the instruction). */
static void host_seamcall(struct lp *lp, struct cpu_regs *ctx, unsigned int len)
{
	if (!lp->vmx) {
		host_exception(ctx, ctx->rip, 6);
		return;
	}
	if (!plat.cfg.seamrr_enabled) {
		host_exception(ctx, ctx->rip, 13);
		return;
	}
	if (!plat.cfg.module_present || !plat.hooks.seamcall) {
		/* VMfailInvalid: CF=1, the other arithmetic flags clear, RAX untouched. */
		ctx->rflags = (ctx->rflags & ~(uint64_t)X86_EFLAGS_ARITH) | X86_EFLAGS_CF;
		ctx->rip += len;
		return;
	}
	plat.hooks.seamcall(ctx, len);
	/* The resume path: a backend whose guest the SEAMCALL entered runs it here. */
	if (cpu_backend()->run)
		cpu_backend()->run(ctx);
}

static bool is_seamcall(const uint8_t *b)
{
	static const uint8_t op[4] = {0x66, 0x0F, 0x01, 0xCF};

	return memcmp(b, op, 4) == 0;
}

static bool is_tdcall(const uint8_t *b)
{
	static const uint8_t op[4] = {0x66, 0x0F, 0x01, 0xCC};

	return memcmp(b, op, 4) == 0;
}

static void host_trap(struct lp *lp, int sig, const siginfo_t *si, ucontext_t *uc)
{
	struct cpu_regs ctx;
	long trapno = uc->uc_mcontext.gregs[REG_TRAPNO];
	const uint8_t *b;

	uc_to_ctx(uc, &ctx);
	b = (const uint8_t *)(uintptr_t)ctx.rip;
	if (sig == SIGSEGV && trapno == 14 && physmem_host_write_fault((uintptr_t)si->si_addr))
		return;
	if (sig == SIGSEGV && trapno == 14 && window_host_fault((uintptr_t)si->si_addr))
		return;
	if (lp && !lp->in_dispatch && (sig == SIGILL || (sig == SIGSEGV && trapno == 13))) {
		if (is_seamcall(b)) {
			bool not_kept = xstate_not_kept(ctx.gpr[REG_RAX_]);

			host_seamcall(lp, &ctx, 4);
			/* Entered no TD (else the TD exit did it): as the gate's entry (xstate.c). */
			if (not_kept && lp->xstate == lp->xstate_host) {
				xstate_init_config(lp->xstate_host);
				xstate_frame_load(uc, lp->xstate_host);
			}
			ctx_to_uc(&ctx, uc);
			return;
		}
		if (is_tdcall(b)) {
			host_exception(&ctx, ctx.rip, 6);
			ctx_to_uc(&ctx, uc);
			return;
		}
		if (b[0] == 0x0F && b[1] == 0xA2) {
			uint32_t r[4];

			/* CPUID in host code on an LP with CPUID faulting on: run it natively. */
			host_cpuid((uint32_t)ctx.gpr[REG_RAX_], (uint32_t)ctx.gpr[REG_RCX_], r);
			ctx.gpr[REG_RAX_] = r[0];
			ctx.gpr[REG_RBX_] = r[1];
			ctx.gpr[REG_RCX_] = r[2];
			ctx.gpr[REG_RDX_] = r[3];
			ctx.rip += 2;
			ctx_to_uc(&ctx, uc);
			return;
		}
	}
	unhandled(sig, lp ? "unhandled fault in host code" : "fault in a thread that is not an LP",
		  ctx.rip, (uint64_t)(uintptr_t)si->si_addr);
}

/* ------------------------------------------------------------------------------------------
 * Guest side
 */

/* Instruction bytes at a guest RIP: up to 15, never past a page that is not mapped. */
static size_t fetch_insn(uint64_t rip, uint8_t *buf)
{
	size_t n = 15, first = PAGE_SIZE - (rip & (PAGE_SIZE - 1));

	if (!window_addr_readable((uintptr_t)rip))
		return 0;
	if (first < n && !window_addr_readable((uintptr_t)(rip + first)))
		n = first;
	memcpy(buf, (const void *)(uintptr_t)rip, n);
	return n;
}

/*
 * What a guest stop is, in exit information: a reason the module decides, EXIT_NONE when
 * the virtual CPU completed the instruction, or EXIT_REASON_EXCEPTION_NMI for an exception
 * (the guest's own, delivered here, unless it is one the module intercepts: #MC).
 */
#define EXIT_NONE 0xFFFFFFFFU

static void exception(struct vm_exit *exit, uint8_t vector, bool has_error, uint32_t error)
{
	exit->reason = EXIT_REASON_EXCEPTION_NMI;
	exit->intr_info = vector | INTR_TYPE_HARD_EXCEPTION | INTR_INFO_VALID |
			  (has_error ? INTR_INFO_ERROR_VALID : 0);
	exit->intr_error = error;
}

/*
 * A page fault: in the TD's window an EPT violation, with what the fault says (no decoding:
 * the module needs the GPA and the kind of access, never the instruction); elsewhere the
 * guest's own #PF.
 */
static void classify_page_fault(struct lp *lp, const siginfo_t *si, uint64_t err,
				struct vm_exit *exit)
{
	uint64_t addr = (uint64_t)(uintptr_t)si->si_addr, gpa;

	if (!td_window_lookup((uintptr_t)addr, &gpa)) {
		lp->guest->cr2 = addr;
		exception(exit, X86_TRAP_PF, true, (uint32_t)(err & 0x1F));
		return;
	}
	exit->reason = EXIT_REASON_EPT_VIOLATION;
	exit->gpa = gpa;
	exit->gla = addr;
	exit->qual = (err & X86_PF_INSTR)   ? EXIT_QUAL_EPT_FETCH
		     : (err & X86_PF_WRITE) ? EXIT_QUAL_EPT_WRITE
					    : EXIT_QUAL_EPT_READ;
	exit->qual |= EXIT_QUAL_EPT_GLA_VALID | EXIT_QUAL_EPT_GLA_XLAT;
}

/*
 * #GP or #UD on an instruction: an exit, the virtual CPU's, or the guest's exception. @err is
 * the CPU's #GP error code as the kernel saved it (a selector, or 0).
 */
static void classify_insn(struct lp *lp, struct cpu_regs *ctx, struct vm_exit *exit, uint8_t vector,
			  uint64_t err)
{
	uint8_t b[15];
	size_t n = fetch_insn(ctx->rip, b);
	int r;

	if (n >= 4 && is_tdcall(b)) {
		exit->reason = EXIT_REASON_TDCALL;
		exit->insn_len = 4;
		return;
	}
	if (n >= 2 && b[0] == 0x0F && b[1] == CPUID_REWRITTEN_BYTE && !cpuid_faulting_active()) {
		if (cpuid_is_rewritten(ctx->rip)) {
			exit->reason = EXIT_REASON_CPUID;
			exit->insn_len = 2;
			return;
		}
		/* Nothing a guest runs for itself: a rewrite the platform did not record. */
		report("CPUID rewritten where the platform has no record of it (0F 07: code "
		       "rewritten away from the TD window, or a guest SYSRET)",
		       ctx->rip, 0);
		exit->reason = EXIT_REASON_MCE_DURING_VMENTRY;
		return;
	}
	r = n ? decode_guest_insn(ctx, exit, b, n) : -1;
	if (r == DECODE_EXIT)
		return;
	if (r == DECODE_UD) {
		exception(exit, X86_TRAP_UD, false, 0);
		return;
	}
	if (n) {
		r = vcpu_emulate(ctx, lp->guest, b, n, exit);
		if (r == VCPU_EXIT || r == VCPU_EXCEPTION)
			return; /* exit says what: one for the module, or the guest's exception */
		if (r == 0 || r == -EFAULT) {
			if (r == -EFAULT)
				guest_raise(ctx, lp->guest, X86_TRAP_PF, 0);
			exit->reason = EXIT_NONE; /* completed by the virtual CPU */
			return;
		}
	}
	exception(exit, vector, vector == X86_TRAP_GP,
		  vector == X86_TRAP_GP ? (uint32_t)(err & 0xFFFF) : 0);
}

static void classify_signal(struct lp *lp, int sig, const siginfo_t *si, const ucontext_t *uc,
			    struct cpu_regs *ctx, struct vm_exit *exit)
{
	long trapno = uc->uc_mcontext.gregs[REG_TRAPNO];
	uint64_t err = (uint64_t)uc->uc_mcontext.gregs[REG_ERR];

	switch (sig) {
	case SIGSEGV:
		if (trapno == X86_TRAP_PF)
			classify_page_fault(lp, si, err, exit);
		else
			classify_insn(lp, ctx, exit, X86_TRAP_GP, err);
		break;
	case SIGILL:
		classify_insn(lp, ctx, exit, X86_TRAP_UD, 0);
		break;
	case SIGFPE:
		exception(exit, (uint8_t)trapno, false, 0);
		break;
	case SIGTRAP:
		exception(exit, trapno == X86_TRAP_BP ? X86_TRAP_BP : X86_TRAP_DB, false, 0);
		if (trapno != X86_TRAP_BP && si->si_code == TRAP_TRACE)
			lp->guest->dr[6] |= DR6_BS; /* the CPU's single step, as DR6 reports it */
		break;
	default: /* SIGBUS: alignment check, or memory that is gone: a machine check */
		if (trapno == X86_TRAP_AC)
			exception(exit, X86_TRAP_AC, true, 0);
		else
			exception(exit, X86_TRAP_MC, false, 0);
		break;
	}
}

/*
 * An async event taken while a guest runs: an external-interrupt exit. The host's own (a
 * timer tick, a kick) has no vector for the TD; otherwise a vector was sent to the LP: the
 * highest latched, or 0 when an earlier stop took it already (the same IPI's signal again).
 */
static void guest_async(struct lp *lp, struct cpu_regs *ctx, bool timer)
{
	struct vm_exit exit = {.reason = EXIT_REASON_EXTERNAL_INTERRUPT};
	bool kick = atomic_exchange(&lp->kicked, false);
	int v = lp_ipi_highest();

	lp->intr_pending = 0;
	if (!timer && !kick)
		exit.intr_info = (uint32_t)(v < 0 ? 0 : v) | INTR_TYPE_EXT_INTR | INTR_INFO_VALID;
	atomic_fetch_add_explicit(&plat.async_exits, 1, memory_order_relaxed);
	if (plat.hooks.vm_exit)
		plat.hooks.vm_exit(ctx, &exit);
}

/* What the guest stopped for, handled: its own exceptions to its IDT, the rest to the module. */
static void guest_event(struct lp *lp, struct cpu_regs *ctx, const struct vm_exit *exit)
{
	if (exit->reason == EXIT_NONE)
		return;
	if (exit->reason == EXIT_REASON_EXCEPTION_NMI &&
	    (exit->intr_info & INTR_INFO_VECTOR_MASK) != X86_TRAP_MC) {
		native_inject(ctx, lp->guest, exit->intr_info, exit->intr_error);
		return;
	}
	if (plat.hooks.vm_exit) {
		plat.hooks.vm_exit(ctx, exit);
		return;
	}
	/* No module: nothing can complete the exit. Raise #UD so the guest sees something. */
	guest_raise(ctx, lp->guest, X86_TRAP_UD, 0);
}

/*
 * The virtual CPU completed something on its own that may let a pending interrupt in: the
 * instruction in an STI shadow, or an IRETQ that set IF. Tell the module (the exit hook
 * already had its chance when the stop went there).
 */
static void guest_window(struct lp *lp, struct cpu_regs *ctx, const struct vm_exit *exit,
			 bool shadow_ended, bool vif_before)
{
	struct guest_cpu *g = lp->guest;

	if (exit->reason != EXIT_NONE || !atomic_load(&lp->in_guest) || !g->vif || g->sti_shadow)
		return;
	if ((shadow_ended || !vif_before) && plat.hooks.intr_window)
		plat.hooks.intr_window(ctx);
}

static void guest_trap(struct lp *lp, int sig, const siginfo_t *si, ucontext_t *uc)
{
	struct cpu_regs ctx;
	struct vm_exit exit = {0};
	bool vif_before = lp->guest->vif, shadow_ended;

	uc_to_ctx(uc, &ctx);
	/* Whatever stopped the guest, the instruction after an STI is done or stopping. */
	shadow_ended = vcpu_shadow_end(&ctx, lp->guest);
	if (shadow_ended && sig == SIGTRAP && uc->uc_mcontext.gregs[REG_TRAPNO] == X86_TRAP_DB)
		exit.reason = EXIT_NONE; /* the single step that ends the shadow, not a guest #DB */
	else
		classify_signal(lp, sig, si, uc, &ctx, &exit);
	guest_event(lp, &ctx, &exit);
	guest_window(lp, &ctx, &exit, shadow_ended, vif_before);
	ctx_to_uc(&ctx, uc);
}

/* ------------------------------------------------------------------------------------------
 * Signal entry points
 */

/*
 * The frame sigreturn loads holds the extended state of the world whose home lp->xstate
 * named when the signal came (the kernel saved it there). If the dispatch switched worlds,
 * that state goes home and the new world's comes into the frame. Only a world's own
 * instruction can switch: never the gate's code or its dispatcher.
 */
static void xstate_follow(struct lp *lp, ucontext_t *uc, void *home_before, bool world_frame)
{
	if (!lp || lp->xstate == home_before)
		return;
	if (!world_frame) {
		report("world switch from inside the gate",
		       (uint64_t)uc->uc_mcontext.gregs[REG_RIP], 0);
		abort();
	}
	xstate_frame_switch(uc, home_before, lp->xstate);
}

static void on_trap(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	struct lp *lp = this_lp;
	int saved_errno = errno;
	uint64_t rip = (uint64_t)uc->uc_mcontext.gregs[REG_RIP];
	bool world_frame = lp && !lp->in_dispatch &&
			   !rip_in(rip, tdxsim_gate_entry, tdxsim_gate_entry_end) &&
			   !rip_in(rip, tdxsim_resume_gate_ctx, tdxsim_resume_end);
	void *home = lp ? lp->xstate : NULL;

	atomic_fetch_add_explicit(&plat.traps, 1, memory_order_relaxed);
	if (sig == SIGTRAP && uc->uc_mcontext.gregs[REG_TRAPNO] == 1 && lp && !lp->in_dispatch &&
	    rip == (uintptr_t)tdxsim_gate_entry && atomic_load(&lp->in_guest)) {
		/*
		 * A guest's gate call executed with TF set: the step traps before the gate's first
		 * instruction. The call is the TDCALL instruction, whose single step comes after it
		 * completes (td_vm_exit): run the gate without TF and give TF back to the
		 * TDCALL's context in the dispatcher.
		 */
		uc->uc_mcontext.gregs[REG_EFL] &= ~(greg_t)X86_EFLAGS_TF;
		lp->gate_step = true;
		errno = saved_errno;
		return;
	}
	if (sig == SIGTRAP && uc->uc_mcontext.gregs[REG_TRAPNO] == 1 && lp &&
	    rip_in(rip, tdxsim_resume_gate_ctx, tdxsim_resume_end) && atomic_load(&lp->in_guest)) {
		/*
		 * The gate's resume loaded a guest RFLAGS with TF (a guest single-stepping, entered
		 * or resumed through the gate), so the step trapped inside the resume sequence.
		 * The context being loaded is intact in memory (as for on_intr): load it here, and
		 * the guest's first instruction steps as it should.
		 */
		struct cpu_regs ctx = lp->gate_ctx;

		xstate_frame_load(uc, lp->xstate);
		ctx_to_uc(&ctx, uc);
		errno = saved_errno;
		return;
	}
	if (world_frame && atomic_load(&lp->in_guest))
		guest_trap(lp, sig, si, uc);
	else
		host_trap(lp, sig, si, uc);
	xstate_follow(lp, uc, home, world_frame);
	errno = saved_errno;
}

/*
 * Timer tick or kick. The host takes its own interrupts (nothing to do); a running guest
 * exits. When the gate is mid-dispatch the event is left pending for it (gate.S checks).
 */
static void on_intr(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	struct lp *lp = this_lp;
	int saved_errno = errno;
	bool timer = si->si_code == SI_TIMER;
	uint64_t rip = (uint64_t)uc->uc_mcontext.gregs[REG_RIP];
	struct cpu_regs ctx;
	void *home;

	(void)sig;
	if (!lp || !atomic_load(&lp->in_guest))
		goto out;
	if (lp->in_dispatch || rip_in(rip, tdxsim_gate_entry, tdxsim_gate_entry_end)) {
		lp->intr_pending = timer ? 1 : 2;
		goto out;
	}
	home = lp->xstate;
	if (rip_in(rip, tdxsim_resume_gate_ctx, tdxsim_resume_end)) {
		/* The context being loaded is intact in memory: its registers and its home. */
		ctx = lp->gate_ctx;
		xstate_frame_load(uc, home);
	} else {
		uc_to_ctx(uc, &ctx);
	}
	guest_async(lp, &ctx, timer);
	ctx_to_uc(&ctx, uc);
	xstate_follow(lp, uc, home, true);
out:
	errno = saved_errno;
}

/* ------------------------------------------------------------------------------------------
 * The gate's C half (gate.S calls it on the LP's gate stack)
 */

struct lp *tdxsim_gate_dispatch(struct lp *lp);
struct lp *tdxsim_gate_pending(struct lp *lp);
void tdxsim_gate_orphan(void);

struct lp *tdxsim_gate_dispatch(struct lp *lp)
{
	struct cpu_regs *ctx = &lp->gate_ctx;

	lp->gate_calls++;
	/* Present the call as the instruction it replaces: RIP at the instruction. */
	ctx->rip -= TDXSIM_GATE_CALL_LEN;
	if (atomic_load(&lp->in_guest)) {
		struct vm_exit exit = {
			.reason = EXIT_REASON_TDCALL,
			.insn_len = TDXSIM_GATE_CALL_LEN,
		};
		vcpu_shadow_end(ctx, lp->guest);
		if (lp->gate_step) {
			lp->gate_step = false;
			ctx->rflags |= X86_EFLAGS_TF;
		}
		guest_event(lp, ctx, &exit);
	} else {
		host_seamcall(lp, ctx, TDXSIM_GATE_CALL_LEN);
	}
	return lp;
}

/* An async event arrived while the gate dispatched; take it before resuming. */
struct lp *tdxsim_gate_pending(struct lp *lp)
{
	bool timer = lp->intr_pending == 1;

	lp->intr_pending = 0;
	if (atomic_load(&lp->in_guest))
		guest_async(lp, &lp->gate_ctx, timer);
	return lp;
}

void tdxsim_gate_orphan(void)
{
	report("the gate was called from a thread that is not an LP", 0, 0);
	abort();
}

/* ------------------------------------------------------------------------------------------
 * Set-up
 */

static int install(int sig, void (*fn)(int, siginfo_t *, void *), struct sigaction *old)
{
	struct sigaction sa = {0};

	sa.sa_sigaction = fn;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, SIG_LP_INTR);
	return sigaction(sig, &sa, old) ? -errno : 0;
}

int traps_init(void)
{
	size_t i;
	int ret;

	decode_init();
	ret = xstate_init();
	if (ret)
		return ret;
	ret = cpuid_init(plat.cfg.cpuid_mode);
	if (ret)
		return ret;
	for (i = 0; i < sizeof(trap_signals) / sizeof(trap_signals[0]); i++) {
		ret = install(trap_signals[i], on_trap, &saved_actions[i]);
		if (ret)
			goto unwind;
	}
	ret = install(SIG_LP_INTR, on_intr, &saved_intr_action);
	if (ret)
		goto unwind;
	tdxsim_gate_ptr = plat.cfg.gate ? (void (*)(void))(uintptr_t)tdxsim_gate_entry : NULL;
	return 0;
unwind:
	while (i-- > 0)
		sigaction(trap_signals[i], &saved_actions[i], NULL);
	return ret;
}

void platform_claim_signals(void)
{
	for (size_t i = 0; i < sizeof(trap_signals) / sizeof(trap_signals[0]); i++)
		install(trap_signals[i], on_trap, NULL);
	install(SIG_LP_INTR, on_intr, NULL);
}

void traps_fini(void)
{
	tdxsim_gate_ptr = NULL;
	sigaction(SIG_LP_INTR, &saved_intr_action, NULL);
	for (size_t i = 0; i < sizeof(trap_signals) / sizeof(trap_signals[0]); i++)
		sigaction(trap_signals[i], &saved_actions[i], NULL);
}

static int lp_timer_start(struct lp *lp)
{
	struct sigevent sev = {0};
	struct itimerspec its = {0};
	long ns = 1000000000L / plat.cfg.timer_hz;

	sev.sigev_notify = SIGEV_THREAD_ID;
	sev.sigev_signo = SIG_LP_INTR;
	sev._sigev_un._tid = lp->tid;
	if (timer_create(CLOCK_MONOTONIC, &sev, &lp->timer))
		return -errno;
	its.it_value.tv_sec = ns / 1000000000L;
	its.it_value.tv_nsec = ns % 1000000000L;
	its.it_interval = its.it_value;
	if (timer_settime(lp->timer, 0, &its, NULL)) {
		int ret = -errno;

		timer_delete(lp->timer);
		return ret;
	}
	lp->timer_armed = true;
	return 0;
}

/* On the LP's own thread, before it runs any work. */
int traps_lp_init(struct lp *lp)
{
	stack_t ss = {.ss_size = LP_ALTSTACK_SIZE};
	int ret;

	lp->altstack = mmap_stack(LP_ALTSTACK_SIZE);
	lp->gatestack = mmap_stack(LP_GATESTACK_SIZE);
	if (!lp->altstack || !lp->gatestack) {
		ret = -ENOMEM;
		goto err_stacks;
	}
	lp->gate_stack_top = (uint64_t)(uintptr_t)lp->gatestack + LP_GATESTACK_SIZE - 16;
	lp->xstate_host = xstate_alloc();
	if (!lp->xstate_host) {
		ret = -ENOMEM;
		goto err_stacks;
	}
	lp->xstate = lp->xstate_host;
	lp->xfeatures = platform_xstate_features();
	lp->xsaveopt = xstate_has_xsaveopt();
	lp->xinuse = xstate_has_xinuse();
	ss.ss_sp = lp->altstack;
	if (sigaltstack(&ss, NULL)) {
		ret = -errno;
		goto err_stacks;
	}
	ret = cpuid_lp_init(lp);
	if (ret)
		goto err_altstack;
	if (plat.cfg.timer_hz) {
		ret = lp_timer_start(lp);
		if (ret)
			goto err_cpuid;
	}
	return 0;
err_cpuid:
	cpuid_lp_fini(lp);
err_altstack:
	ss.ss_flags = SS_DISABLE;
	sigaltstack(&ss, NULL);
err_stacks:
	free(lp->xstate_host);
	lp->xstate = lp->xstate_host = NULL;
	munmap_stack(lp->gatestack, LP_GATESTACK_SIZE);
	munmap_stack(lp->altstack, LP_ALTSTACK_SIZE);
	lp->gatestack = lp->altstack = NULL;
	return ret;
}

void traps_lp_fini(struct lp *lp)
{
	stack_t ss = {.ss_flags = SS_DISABLE};

	if (lp->timer_armed) {
		timer_delete(lp->timer);
		lp->timer_armed = false;
	}
	cpuid_lp_fini(lp);
	sigaltstack(&ss, NULL);
	munmap_stack(lp->gatestack, LP_GATESTACK_SIZE);
	munmap_stack(lp->altstack, LP_ALTSTACK_SIZE);
	lp->gatestack = lp->altstack = NULL;
	free(lp->xstate_host);
	lp->xstate = lp->xstate_host = NULL;
}

static int lp_signal(unsigned int id, int vector)
{
	struct lp *lp;

	if (id >= plat.nr_lps)
		return -EINVAL;
	lp = plat.lps[id];
	if (vector < 0)
		atomic_store(&lp->kicked, true);
	else
		atomic_fetch_or(&lp->ipi[vector / 64], 1ULL << (vector % 64));
	if (cpu_backend()->kick)
		cpu_backend()->kick(id);
	if (syscall(SYS_tgkill, getpid(), lp->tid, SIG_LP_INTR))
		return -errno;
	return 0;
}

int lp_kick(unsigned int id)
{
	return lp_signal(id, -1);
}

int lp_send_ipi(unsigned int id, uint8_t vector)
{
	return lp_signal(id, vector);
}

bool lp_ipi_take(uint8_t vector)
{
	uint64_t bit = 1ULL << (vector % 64);

	return this_lp && (atomic_fetch_and(&this_lp->ipi[vector / 64], ~bit) & bit);
}

/* The highest vector latched in the current LP, or -1. */
int lp_ipi_highest(void)
{
	if (!this_lp)
		return -1;
	for (int i = 3; i >= 0; i--) {
		uint64_t bits = atomic_load(&this_lp->ipi[i]);

		if (bits)
			return i * 64 + 63 - __builtin_clzll(bits);
	}
	return -1;
}

bool lp_ipi_pending(int except)
{
	if (!this_lp)
		return false;
	for (unsigned int i = 0; i < 4; i++) {
		uint64_t bits = atomic_load(&this_lp->ipi[i]);

		if (except >= 0 && (unsigned int)except / 64 == i)
			bits &= ~(1ULL << (except % 64));
		if (bits)
			return true;
	}
	return false;
}
