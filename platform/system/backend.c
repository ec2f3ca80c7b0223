// SPDX-License-Identifier: MIT
/*
 * The system CPU backend's operations (platform/cpu_backend.h) over QEMU and the SEAM shim
 * (docs/SYSTEM.md "How the module runs a TD here").
 *
 * enter/exit switch worlds as the native backend does (the context holds the guest's
 * registers after enter), but the guest never runs on the LP's thread: after the SEAMCALL
 * hook returns, the platform's resume path calls run(), which runs the vCPU on the LP's QEMU
 * vCPU (system_vcpu_run) and hands each exit to the module's vm_exit hook until the hook
 * calls exit(); the host context is then resumed as usual. inject records the event for the
 * next VMRUN (EVENTINJ), where the CPU delivers and escalates it.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "platform/internal.h"
#include "platform/system/svm.h"
#include "platform/system/vcpu.h"
#include "tdx/td.h"
#include "tdxsim/boot.h"

struct sys_vcpu;

/* A TD's address space: what cpu_backend.h calls a struct td_window on this backend. */
struct sys_space {
	struct system_space *sp;
	unsigned int gpaw;
	struct sys_vcpu *vcpus; /* destroyed with the space when their TDVPRs never were */
};

struct sys_vcpu {
	struct system_vcpu *v;
	struct sys_space *s;
	struct sys_vcpu *next;
	uint32_t inj_info, inj_err; /* the event for the next VMRUN (VMX layout; 0: none) */
	uint32_t vec_info, vec_err; /* an event the last exit interrupted (EXITINTINFO) */
	bool want_window;	    /* request an interrupt-window exit at the next VMRUN */
	uint64_t cr0, cr3, cr4;	    /* the VMCB's at the last exit, as given to the module */
};

/* Per LP: the world switch (enter/exit), as the native backend keeps it in struct lp. */
struct sys_lp {
	struct cpu_regs host_ctx;
	struct guest_cpu *g;
	bool active; /* the context holds this guest: run() runs it */
};

static struct {
	struct system_vm *vm;
	unsigned int nr_lps;
	uint64_t timer_ns;
	_Atomic unsigned int spaces;
	pthread_mutex_t lock; /* the vCPU lists */
	struct sys_lp lp[SHIM_MAX_LPS];
} sys = {.lock = PTHREAD_MUTEX_INITIALIZER};

#define EFER_LME   (1ULL << 8)
#define EFER_LMA   (1ULL << 10)
#define X86_CR0_PE (1ULL << 0)
#define X86_CR0_TS (1ULL << 3)
#define X86_CR0_PG (1ULL << 31)

/* x87, SSE and AVX: what TCG has of a TD's XFAM (docs/SYSTEM.md). */
#define SYS_XCR0_MASK 0x7ULL

/* ------------------------------------------------------------------------------------------
 * Address spaces
 */

static struct sys_space *S(const struct td_window *w)
{
	return (struct sys_space *)w;
}

static struct td_window *sys_space_create(unsigned int gpaw)
{
	struct sys_space *s;

	if (!sys.vm)
		return NULL;
	if (gpaw > 48) {
		fprintf(stderr,
			"tdxsim: the system backend cannot run a TD with GPAW %u: QEMU's "
			"physical address width is 48 bits, so the shared bit (bit %u) cannot "
			"appear in the TD's page tables; give the TD GPAW 48\n",
			gpaw, gpaw - 1);
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->gpaw = gpaw;
	s->sp = system_space_create(sys.vm, gpaw);
	if (!s->sp) {
		free(s);
		return NULL;
	}
	atomic_fetch_add(&sys.spaces, 1);
	return (struct td_window *)s;
}

static void vcpu_free(struct sys_vcpu *sv)
{
	system_vcpu_destroy(sv->v);
	free(sv);
}

static void sys_space_destroy(struct td_window *w)
{
	struct sys_space *s = S(w);

	if (!s)
		return;
	pthread_mutex_lock(&sys.lock);
	while (s->vcpus) {
		struct sys_vcpu *sv = s->vcpus;

		s->vcpus = sv->next;
		vcpu_free(sv);
	}
	pthread_mutex_unlock(&sys.lock);
	system_space_destroy(s->sp);
	free(s);
	atomic_fetch_sub(&sys.spaces, 1);
}

static bool sys_space_any(void)
{
	return atomic_load(&sys.spaces) != 0;
}

static uint64_t sys_shared_bit(const struct td_window *w)
{
	return w ? 1ULL << (S(w)->gpaw - 1) : 0;
}

static int sys_map(struct td_window *w, uint64_t gpa, bool shared, uint64_t hpa, int prot)
{
	return w ? system_space_map(S(w)->sp, gpa, shared, hpa, prot) : -EINVAL;
}

static int sys_unmap(struct td_window *w, uint64_t gpa, bool shared)
{
	return w ? system_space_unmap(S(w)->sp, gpa, shared) : -EINVAL;
}

static int sys_set_suppress_ve(struct td_window *w, uint64_t gpa, uint64_t size, bool suppress)
{
	return w ? system_space_set_suppress_ve(S(w)->sp, gpa, size, suppress) : -EINVAL;
}

static bool sys_suppress_ve(const struct td_window *w, uint64_t gpa)
{
	return w && system_space_suppress_ve(S(w)->sp, gpa);
}

static uintptr_t sys_space_base(const struct td_window *w)
{
	(void)w;
	return TDXSIM_SYSTEM_WINDOW_BASE;
}

/* The host's view of the page behind the GPA (shared bit taken from `shared`). */
static void *sys_space_va(const struct td_window *w, uint64_t gpa, bool shared)
{
	uint64_t bit = sys_shared_bit(w);

	if (!w)
		return NULL;
	gpa &= ~bit;
	return system_space_host(S(w)->sp, shared ? gpa | bit : gpa);
}

static bool sys_is_mapped(const struct td_window *w, uint64_t gpa, bool shared)
{
	return sys_space_va(w, gpa, shared) != NULL;
}

/* ------------------------------------------------------------------------------------------
 * vCPUs
 */

static struct sys_vcpu *V(const struct guest_cpu *g)
{
	return g->backend;
}

static void *vmcb_of(struct sys_vcpu *sv)
{
	return system_vcpu_vmcb(sv->v);
}

/*
 * TDH.VP.INIT: TDX's start, 32-bit protected mode at the reset vector with flat segments
 * (system_vcpu_set_reset_state); the module set the GPRs. There is no gate: R9 = 0.
 */
static int sys_vcpu_init(struct guest_cpu *g)
{
	struct sys_space *s = S(g->window);
	struct sys_vcpu *sv;
	int r;

	if (!s)
		return -EINVAL;
	sv = calloc(1, sizeof(*sv));
	if (!sv)
		return -ENOMEM;
	r = system_vcpu_create(sys.vm, s->sp, &sv->v);
	if (r) {
		free(sv);
		return r;
	}
	system_vcpu_set_reset_state(sv->v);
	/* CR0 and CR4 reads and writes: against the module's guest/host masks and read shadows
	 * (cr_access below); CR8 to the module's virtual APIC (TPR virtualization) */
	vmcb_set32(vmcb_of(sv), VMCB_INTERCEPT_CR,
		   1U << 0 | 1U << 4 | 1U << 8 | 1U << (16 + 0) | 1U << (16 + 4) | 1U << (16 + 8));
	/* DR0-DR7 reads and writes: the virtual CPU's debug registers (dr_access below) */
	vmcb_set32(vmcb_of(sv), VMCB_INTERCEPT_DR, 0xFFU | 0xFFU << 16);
	sv->s = s;
	g->regs.rip = TDX_VP_INIT_RIP;
	g->regs.gpr[TDXSIM_BOOT_REG_GATE] = 0;
	g->backend = sv;
	pthread_mutex_lock(&sys.lock);
	sv->next = s->vcpus;
	s->vcpus = sv;
	pthread_mutex_unlock(&sys.lock);
	return 0;
}

static void sys_vcpu_destroy(struct guest_cpu *g)
{
	struct sys_vcpu *sv = V(g);

	if (!sv)
		return;
	pthread_mutex_lock(&sys.lock);
	for (struct sys_vcpu **p = &sv->s->vcpus; *p; p = &(*p)->next) {
		if (*p == sv) {
			*p = sv->next;
			break;
		}
	}
	pthread_mutex_unlock(&sys.lock);
	g->backend = NULL;
	vcpu_free(sv);
}

/* What the module reads of the guest's CPU at a stop: IF, the STI shadow, CR0/CR3/CR4, XCR0. */
static void state_to_module(struct guest_cpu *g, const struct cpu_regs *ctx)
{
	struct sys_vcpu *sv = V(g);
	void *vmcb = vmcb_of(sv);

	g->vif = (ctx->rflags & X86_EFLAGS_IF) != 0;
	if (system_vcpu_guest_xcr0(sv->v)) /* 0 before the first run */
		g->xcr0 = system_vcpu_guest_xcr0(sv->v);
	g->sti_shadow = (vmcb_get(vmcb, VMCB_INT_STATE) & 1) != 0;
	sv->cr0 = g->cr0 = vmcb_get(vmcb, VMCB_CR0);
	sv->cr3 = g->cr3 = vmcb_get(vmcb, VMCB_CR3);
	sv->cr4 = g->cr4 = vmcb_get(vmcb, VMCB_CR4);
}

/* What the module decided that the next VMRUN must carry: CRs it wrote, XCR0, the window. */
static void state_from_module(struct guest_cpu *g)
{
	struct sys_vcpu *sv = V(g);
	void *vmcb = vmcb_of(sv);

	if (g->cr0 != sv->cr0) {
		uint64_t efer = vmcb_get(vmcb, VMCB_EFER);

		/* What the CPU's MOV to CR0 does and a VMRUN does not: IA32_EFER.LMA follows
		 * CR0.PG while EFER.LME is set [SDM vol. 3A 10.8.5]. */
		if ((efer & EFER_LME) && ((g->cr0 ^ sv->cr0) & X86_CR0_PG))
			vmcb_set(vmcb, VMCB_EFER,
				 g->cr0 & X86_CR0_PG ? efer | EFER_LMA : efer & ~EFER_LMA);
		vmcb_set(vmcb, VMCB_CR0, g->cr0);
	}
	if (g->cr3 != sv->cr3)
		vmcb_set(vmcb, VMCB_CR3, g->cr3);
	if (g->cr4 != sv->cr4)
		vmcb_set(vmcb, VMCB_CR4, g->cr4);
	system_vcpu_set_xcr0(sv->v, (g->xcr0 & SYS_XCR0_MASK) | 1);
	if (sv->want_window) {
		/* A virtual interrupt the guest takes when it can: the VINTR intercept fires then
		 * [APM vol. 2 15.21.4]; priority 15 and V_IGN_TPR so nothing but IF holds it. */
		sv->want_window = false;
		vmcb_set32(vmcb, VMCB_INT_CTL,
			   vmcb_get32(vmcb, VMCB_INT_CTL) | VMCB_V_IRQ | VMCB_V_INTR_PRIO(15) |
				   VMCB_V_IGN_TPR);
		vmcb_set32(vmcb, VMCB_INTERCEPT_MISC1,
			   vmcb_get32(vmcb, VMCB_INTERCEPT_MISC1) | SVM_INTERCEPT_VINTR);
	}
}

static void window_done(struct sys_vcpu *sv)
{
	void *vmcb = vmcb_of(sv);

	vmcb_set32(vmcb, VMCB_INT_CTL,
		   vmcb_get32(vmcb, VMCB_INT_CTL) &
			   ~(VMCB_V_IRQ | VMCB_V_INTR_PRIO(15) | VMCB_V_IGN_TPR));
	vmcb_set32(vmcb, VMCB_INTERCEPT_MISC1,
		   vmcb_get32(vmcb, VMCB_INTERCEPT_MISC1) & ~SVM_INTERCEPT_VINTR);
}

static void sys_want_intr_window(struct guest_cpu *g)
{
	if (V(g))
		V(g)->want_window = true;
}

/* ------------------------------------------------------------------------------------------
 * The world switch and events
 */

static struct sys_lp *this_sys_lp(void)
{
	int id = lp_current();

	return id >= 0 && (unsigned int)id < sys.nr_lps ? &sys.lp[id] : NULL;
}

static void sys_enter(struct cpu_regs *ctx, struct guest_cpu *g)
{
	struct sys_lp *s = this_sys_lp();

	lp_assert_own_thread("tdxsim: the system backend's TDH.VP.ENTER");
	if (!s || !V(g)) {
		/* An LP QEMU does not run (brought online after the start), or a vCPU this
		 * backend never initialised: nothing can run the guest. */
		static const char msg[] = "tdxsim: the system backend has no QEMU vCPU for this "
					  "LP or no state for this vCPU\n";

		if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0)
			abort();
		abort();
	}
	s->host_ctx = *ctx;
	s->g = g;
	*ctx = g->regs;
	atomic_store(&this_lp->kicked, false); /* a kick is for the guest running when it comes */
	state_to_module(g, ctx);
	s->active = true;
}

static void sys_exit(struct cpu_regs *ctx)
{
	struct sys_lp *s = this_sys_lp();

	s->g->regs = *ctx;
	*ctx = s->host_ctx;
	s->active = false;
	atomic_fetch_add_explicit(&plat.exits, 1, memory_order_relaxed);
}

static bool is_exception(uint32_t info)
{
	uint32_t t = info & INTR_INFO_TYPE_MASK;

	return t == INTR_TYPE_HARD_EXCEPTION || t == INTR_TYPE_SOFT_EXCEPTION;
}

/*
 * The event goes into the next VMRUN's EVENTINJ; the CPU delivers it through the guest's IDT
 * and escalates as it does (#DF, then a SHUTDOWN exit: a triple fault for the module). Two
 * exceptions in one stop are the CPU's #DF already. The guest cannot take an interrupt on
 * top of the event before it runs: IF reads 0 to the module until the next stop.
 */
static void sys_inject(struct cpu_regs *ctx, struct guest_cpu *g, uint32_t intr_info,
		       uint32_t error_code)
{
	struct sys_vcpu *sv = V(g);

	(void)ctx;
	if ((sv->inj_info & INTR_INFO_VALID) && is_exception(sv->inj_info) &&
	    is_exception(intr_info)) {
		intr_info = X86_TRAP_DF | INTR_TYPE_HARD_EXCEPTION | INTR_INFO_VALID |
			    INTR_INFO_ERROR_VALID;
		error_code = 0;
	}
	sv->inj_info = intr_info;
	sv->inj_err = error_code;
	g->vif = false;
	atomic_fetch_add_explicit(&plat.deliveries, 1, memory_order_relaxed);
}

static void sys_single_step(struct cpu_regs *ctx, struct guest_cpu *g)
{
	void *vmcb = vmcb_of(V(g));

	vmcb_set(vmcb, VMCB_DR6, vmcb_get(vmcb, VMCB_DR6) | DR6_BS);
	sys_inject(ctx, g, X86_TRAP_DB | INTR_TYPE_HARD_EXCEPTION | INTR_INFO_VALID, 0);
}

static void sys_kick(unsigned int lp)
{
	if (sys.vm && lp < sys.nr_lps)
		system_kick(sys.vm, lp);
}

/*
 * An external interrupt for the module: a vector sent to the LP (lp_send_ipi) has its
 * interruption information, a kick or the timer none (as the native backend reports them).
 */
static void async_exit(struct vm_exit *e, bool kick)
{
	int v = lp_ipi_highest();

	*e = (struct vm_exit){.reason = EXIT_REASON_EXTERNAL_INTERRUPT};
	if (!kick && v >= 0)
		e->intr_info = (uint32_t)v | INTR_TYPE_EXT_INTR | INTR_INFO_VALID;
	atomic_fetch_add_explicit(&plat.async_exits, 1, memory_order_relaxed);
}

/* An instruction completed here: past it, and with TF set its single-step #DB after it. */
static void done(struct cpu_regs *ctx, struct guest_cpu *g, const struct vm_exit *e)
{
	ctx->rip += e->insn_len;
	if (ctx->rflags & X86_EFLAGS_TF)
		sys_single_step(ctx, g);
}

/*
 * CR0/CR4 accesses (intercepted), as VMX runs them with the module's guest/host masks: a read
 * gives the guest's bits and the read shadow's where the mask is set; a write of bits the
 * guest owns completes here (the VMCB gets it at the next VMRUN), the CPU's own #GP is
 * injected, and a change of a bit the module owns goes to the module. CLTS and LMSW are
 * writes of CR0 as the guest reads it with TS cleared or bits 3:0 from the operand (PE can be
 * set, not cleared) [SDM vol. 2A CLTS, LMSW]; with TDX's masks neither changes a module bit.
 * True when done here.
 */
static bool cr_access(struct guest_cpu *g, struct cpu_regs *ctx, struct vm_exit *e)
{
	unsigned int cr = e->qual & 0xF, type = (e->qual >> 4) & 3, gpr = (e->qual >> 8) & 0xF;
	bool lma = (vmcb_get(vmcb_of(V(g)), VMCB_EFER) & EFER_LMA) != 0;
	uint64_t view = cr == 0 ? (g->cr0 & ~g->cr0_mask) | (g->cr0_shadow & g->cr0_mask)
				: (g->cr4 & ~g->cr4_mask) | (g->cr4_shadow & g->cr4_mask);
	uint64_t v = ctx->gpr[gpr];
	struct vm_exit ti = *e;
	int r;

	if (cr != 0 && cr != 4)
		return false;
	if (type == 1) {
		ctx->gpr[gpr] = view;
		done(ctx, g, e);
		return true;
	}
	if (type == 2)
		v = view & ~X86_CR0_TS;
	else if (type == 3)
		v = (view & ~0xFULL) | (v & 0xF) | (view & X86_CR0_PE);
	r = vcpu_mov_to_cr(g, cr, gpr, v, lma, &ti);
	if (r == 1) { /* the module's: CLTS/LMSW with their own qualification (types 2, 3) */
		if (type == 0)
			*e = ti;
		return false;
	}
	if (r == 2)
		sys_inject(ctx, g, ti.intr_info, ti.intr_error);
	else
		done(ctx, g, e);
	return true;
}

/*
 * MOV DR (intercepted): run by the virtual CPU as on the native backend (vcpu_mov_dr: DR7.GD,
 * DR4/DR5, the fixed bits of DR6/DR7); the guest's DR7 stays 0x400 in the VMCB, so a
 * breakpoint it sets never fires there either. DR6 is the VMCB's, which the CPU sets at a
 * #DB (single step): read before, written back after.
 */
static void dr_access(struct guest_cpu *g, struct cpu_regs *ctx, struct vm_exit *e)
{
	void *vmcb = vmcb_of(V(g));
	struct vm_exit ti = *e;
	int r;

	g->dr[6] = vmcb_get(vmcb, VMCB_DR6);
	r = vcpu_mov_dr(g, e->qual & 7, !(e->qual & (1ULL << 4)), &ctx->gpr[(e->qual >> 8) & 0xF],
			&ti);
	vmcb_set(vmcb, VMCB_DR6, g->dr[6]);
	if (r)
		sys_inject(ctx, g, ti.intr_info, ti.intr_error);
	else
		done(ctx, g, e);
}

/*
 * The platform's resume path: while the LP's context holds a guest of this backend, run it
 * and give the module each exit. A kick or vector that came while the module handled the
 * last one is an exit before the guest runs again, as the native gate takes it on resume.
 */
static void sys_run(struct cpu_regs *ctx)
{
	struct sys_lp *s = this_sys_lp();
	unsigned int id;

	if (!s || !s->active)
		return;
	id = (unsigned int)(s - sys.lp);
	while (s->active) {
		struct guest_cpu *g = s->g;
		struct sys_vcpu *sv = V(g);
		struct vm_exit e;
		uint32_t base = system_kicks(sys.vm, id);
		bool kick = atomic_exchange(&this_lp->kicked, false);
		char err[256];
		int r;

		if (kick || lp_ipi_pending(-1)) {
			async_exit(&e, kick);
			goto dispatch;
		}
		state_from_module(g);
		/* An event whose delivery an exit interrupted is delivered again, as VMX's
		 * IDT-vectoring information asks of a VMM, unless the module injects another. */
		if (!(sv->inj_info & INTR_INFO_VALID) && (sv->vec_info & INTR_INFO_VALID)) {
			sv->inj_info = sv->vec_info;
			sv->inj_err = sv->vec_err;
		}
		system_vcpu_set_kick_base(sv->v, base);
		r = system_vcpu_run(sv->v, id, ctx, sv->inj_info, sv->inj_err, sys.timer_ns, &e,
				    err, sizeof(err));
		sv->inj_info = sv->inj_err = 0;
		sv->vec_info = r ? 0
				 : system_idt_vectoring(vmcb_get(vmcb_of(sv), VMCB_EXITINTINFO),
							&sv->vec_err);
		if (r) {
			/* QEMU is gone or the shim faulted: this guest cannot run on. */
			fprintf(stderr,
				"tdxsim: the system backend cannot run the vCPU on LP %u: %s\n", id,
				err);
			e = (struct vm_exit){.reason = EXIT_REASON_MCE_DURING_VMENTRY};
			goto dispatch;
		}
		state_to_module(g, ctx);
		if (e.reason == EXIT_REASON_CR_ACCESS && cr_access(g, ctx, &e))
			continue;
		if (e.reason == EXIT_REASON_DR_ACCESS) {
			dr_access(g, ctx, &e);
			continue;
		}
		if (e.reason == EXIT_REASON_INTERRUPT_WINDOW) {
			window_done(sv);
			if (plat.hooks.intr_window)
				plat.hooks.intr_window(ctx);
			continue;
		}
		if (e.reason == EXIT_REASON_EXTERNAL_INTERRUPT) {
			kick = atomic_exchange(&this_lp->kicked, false);
			/* Nothing latched and no timer: a kick the previous stop took already. */
			if (!kick && !lp_ipi_pending(-1) && !sys.timer_ns)
				continue;
			async_exit(&e, kick);
		}
	dispatch:
		if (plat.hooks.vm_exit)
			plat.hooks.vm_exit(ctx, &e);
		else
			abort();
	}
}

static unsigned int sys_read_linear(struct guest_cpu *g, uint64_t gla, void *buf, unsigned int len)
{
	return system_vcpu_read_linear(V(g)->v, gla, buf, len);
}

static uint64_t sys_idt_base(struct guest_cpu *g)
{
	return vmcb_get(vmcb_of(V(g)), VMCB_IDTR + 8);
}

const struct cpu_backend_ops cpu_backend_system = {
	.name = "system",
	.enter = sys_enter,
	.exit = sys_exit,
	.inject = sys_inject,
	.single_step = sys_single_step,
	.space_create = sys_space_create,
	.space_destroy = sys_space_destroy,
	.map = sys_map,
	.unmap = sys_unmap,
	.set_suppress_ve = sys_set_suppress_ve,
	.suppress_ve = sys_suppress_ve,
	.space_base = sys_space_base,
	.space_va = sys_space_va,
	.is_mapped = sys_is_mapped,
	.shared_bit = sys_shared_bit,
	.vcpu_init = sys_vcpu_init,
	.vcpu_destroy = sys_vcpu_destroy,
	.want_intr_window = sys_want_intr_window,
	.run = sys_run,
	.kick = sys_kick,
	.space_any = sys_space_any,
	.read_linear = sys_read_linear,
	.idt_base = sys_idt_base,
};

/* ------------------------------------------------------------------------------------------
 * Start and stop
 */

/*
 * What QEMU 7.2's TCG does not run (system.h): AVX-512, AMX and CET, and PKU, which QEMU has
 * but runs without (pku=off) so that XSETBV has only the components every XFAM may have
 * beside x87 and SSE (docs/SYSTEM.md "XSETBV"). Registers 0-3 are EAX, EBX, ECX, EDX.
 */
static const struct {
	uint32_t leaf, sub;
	unsigned int reg;
	uint32_t bits;
} tcg_lacks[] = {
	/* AVX512F, DQ, IFMA, PF, ER, CD, BW, VL */
	{7, 0, 1,
	 1U << 16 | 1U << 17 | 1U << 21 | 1U << 26 | 1U << 27 | 1U << 28 | 1U << 30 | 1U << 31},
	/* AVX512_VBMI, PKU, OSPKE, CET_SS, AVX512_VBMI2, AVX512_VNNI, AVX512_BITALG, VPOPCNTDQ */
	{7, 0, 2, 1U << 1 | 1U << 3 | 1U << 4 | 1U << 7 | 1U << 6 | 1U << 11 | 1U << 12 | 1U << 14},
	/* AVX512_4VNNIW, 4FMAPS, VP2INTERSECT, CET_IBT, AMX_BF16, AVX512_FP16, AMX_TILE, AMX_INT8 */
	{7, 0, 3,
	 1U << 2 | 1U << 3 | 1U << 8 | 1U << 20 | 1U << 22 | 1U << 23 | 1U << 24 | 1U << 25},
	{7, 1, 0, 1U << 5}, /* AVX512_BF16 */
	/* XCR0: opmask, ZMM_Hi256, Hi16_ZMM, PKRU, XTILECFG, XTILEDATA */
	{0xD, 0, 0, 0xE0U | 1U << 9 | 1U << 17 | 1U << 18},
	{0xD, 1, 2, 1U << 11 | 1U << 12}, /* IA32_XSS: CET_U, CET_S */
	{0xD, 1, 0, 1U << 1 | 1U << 3},	  /* XSAVEC, XSAVES */
};

void system_host_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t out[4])
{
	host_cpuid(leaf, subleaf, out);
	if (leaf == 1)
		out[2] &= ~(1U << 13 | 1U << 17); /* CX16, PCID: see system.h */
	if (leaf == 7 && subleaf == 0)
		out[1] &= ~(1U << 10); /* INVPCID: see system.h */
	for (size_t i = 0; i < sizeof(tcg_lacks) / sizeof(tcg_lacks[0]); i++)
		if (tcg_lacks[i].leaf == leaf && tcg_lacks[i].sub == subleaf)
			out[tcg_lacks[i].reg] &= ~tcg_lacks[i].bits;
}

int system_backend_start(const char *qemu, char *err, size_t len)
{
	struct system_opts o = {.qemu = qemu};
	struct system_vm *vm;
	int r;

	if (sys.vm) {
		snprintf(err, len, "the system backend is running already");
		return -EBUSY;
	}
	if (!plat.booted) {
		snprintf(err, len, "the system backend needs a booted machine");
		return -EINVAL;
	}
	/* One QEMU vCPU per online LP; the online ones are the first (machine.h online_lps). */
	o.nr_lps = platform_nr_online_lps();
	if (o.nr_lps > SYSTEM_MAX_LPS) {
		snprintf(err, len,
			 "the system backend runs at most %u LPs (one QEMU vCPU each, and one of "
			 "QEMU's %u ISA serial ports per LP for its mailbox), and this machine has "
			 "%u "
			 "online",
			 SYSTEM_MAX_LPS, SYSTEM_MAX_LPS, o.nr_lps);
		return -E2BIG;
	}
	for (unsigned int i = 0; i < o.nr_lps; i++) {
		if (!lp_is_online(i)) {
			snprintf(err, len,
				 "the system backend needs the online LPs to be the first");
			return -EINVAL;
		}
	}
	r = system_start(&o, &vm, err, len);
	if (r)
		return r;
	sys.vm = vm;
	sys.nr_lps = o.nr_lps;
	sys.timer_ns = plat.cfg.timer_hz ? 1000000000ULL / plat.cfg.timer_hz : 0;
	memset(sys.lp, 0, sizeof(sys.lp));
	r = platform_set_cpu_backend(&cpu_backend_system);
	if (r) {
		snprintf(err, len, "a TD exists already: the CPU backend cannot change now");
		system_stop(vm);
		sys.vm = NULL;
		return r;
	}
	return 0;
}

void system_backend_stop(void)
{
	if (!sys.vm)
		return;
	if (sys_space_any()) {
		/* Their tables are in QEMU's pool: QEMU goes at exit (system.c's atexit). */
		fprintf(stderr, "tdxsim: the system backend cannot stop while TD address spaces "
				"exist\n");
		return;
	}
	if (cpu_backend() == &cpu_backend_system)
		platform_set_cpu_backend(NULL);
	system_stop(sys.vm);
	sys.vm = NULL;
	sys.nr_lps = 0;
}

struct system_vm *system_backend_vm(void)
{
	return sys.vm;
}
