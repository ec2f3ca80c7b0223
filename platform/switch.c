// SPDX-License-Identifier: MIT
/*
 * The world switch, exception delivery to guest code, and the virtual CPU state a guest
 * kernel keeps in privileged registers.
 *
 * Guest code runs at CPL3 on the LP's host thread. What a TD kernel would do at CPL0 without
 * leaving the TD (CLI/STI, LIDT, MOV CR, SWAPGS, ...) traps here and is completed against
 * struct guest_cpu, never reaching the module: on a real TDX machine none of these exit.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <Zydis/Zydis.h>

#include "decode.h"
#include "internal.h"

/* The RIP the fast resume jumps to: %fs is the only addressing left once RSP is loaded. */
__thread uint64_t tdxsim_resume_rip;

/* gate.S reads these at fixed offsets. */
_Static_assert(offsetof(struct lp, gate_ctx) == 0, "gate.S: gate_ctx");
_Static_assert(offsetof(struct cpu_regs, rip) == 128, "gate.S: CTX_RIP");
_Static_assert(offsetof(struct cpu_regs, rflags) == 136, "gate.S: CTX_RFLAGS");
_Static_assert(offsetof(struct lp, gate_stack_top) == 144, "gate.S: LP_GATE_STACK");
_Static_assert(offsetof(struct lp, in_dispatch) == 160, "gate.S: LP_IN_DISPATCH");
_Static_assert(offsetof(struct lp, intr_pending) == 161, "gate.S: LP_INTR_PENDING");
_Static_assert(offsetof(struct lp, xsaveopt) == 162, "gate.S: LP_XSAVEOPT");
_Static_assert(offsetof(struct lp, xstate) == 168, "gate.S: LP_XSTATE");
_Static_assert(offsetof(struct lp, xinuse) == 163, "gate.S: LP_XINUSE");
_Static_assert(offsetof(struct lp, xfeatures) == 176, "gate.S: LP_XFEATURES");
_Static_assert(offsetof(struct lp, xstate_host) == 184, "gate.S: LP_XSTATE_HOST");

/* User-mode selectors of x86-64 Linux: what an exception frame carries for guest code. */
#define USER_CS 0x33
#define USER_SS 0x2b

/* RFLAGS bits guest code may own; IF and IOPL are virtual (CLI/STI) at CPL3. */
#define GUEST_RFLAGS_MASK (X86_EFLAGS_ARITH | X86_EFLAGS_DF | X86_EFLAGS_TF | 0x40000 /* AC */)

/*
 * The extended state is not copied here: lp->xstate names the home of the current world,
 * and the path that resumes ctx loads the state from there (xstate.c).
 */
void lp_world_enter(struct cpu_regs *ctx, struct guest_cpu *g)
{
	struct lp *lp = this_lp;

	lp_assert_own_thread("tdxsim: lp_world_enter");
	if (!g->xstate) {
		static const char msg[] = "tdxsim: lp_world_enter: the vCPU has no extended-state "
					  "area (guest_cpu.xstate)\n";

		if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0)
			abort();
		abort();
	}
	lp->host_ctx = *ctx;
	lp->xstate = g->xstate;
	lp->guest = g;
	*ctx = g->regs;
	ctx->rflags = (ctx->rflags & GUEST_RFLAGS_MASK) | 0x202;
	/*
	 * A kick is for the guest running when it comes. Release stores: this LP's own signal
	 * handlers read both (a kick's signal comes after its sender stored `kicked`), other
	 * threads only watch in_guest; nothing needs the full fence of a sequentially
	 * consistent store.
	 */
	atomic_store_explicit(&lp->kicked, false, memory_order_release);
	atomic_store_explicit(&lp->in_guest, true, memory_order_release);
}

void lp_world_exit(struct cpu_regs *ctx)
{
	struct lp *lp = this_lp;

	lp->guest->regs = *ctx;
	atomic_store_explicit(&lp->in_guest, false, memory_order_release);
	*ctx = lp->host_ctx;
	/*
	 * The host gets its extended state back in the initial configuration, not as it was at
	 * the VP.ENTER: the TDX module's TD exit initializes every component the TD may have
	 * used and never restores the VMM's [ABI §1.1]. Its load on the resume costs
	 * a fraction of a live image's (the guest's values never reach the host either).
	 */
	xstate_init_config(lp->xstate_host);
	lp->xstate = lp->xstate_host;
	/* The LP's own count (no locked add on a line every LP shares): platform_get_stats. */
	atomic_store_explicit(&lp->exits,
			      atomic_load_explicit(&lp->exits, memory_order_relaxed) + 1,
			      memory_order_relaxed);
}

/* ------------------------------------------------------------------------------------------
 * Guest memory as the CPU reaches it: a linear address is a host address; inside a TD
 * window only mapped pages are reachable (the rest is an EPT violation for the caller).
 */

static bool guest_range_ok(uint64_t gva, size_t len)
{
	uint64_t end = gva + len;

	if (end < gva)
		return false;
	for (uint64_t p = gva & PAGE_MASK; p < end; p += PAGE_SIZE)
		if (!window_addr_readable((uintptr_t)p))
			return false;
	return true;
}

int guest_read(void *dst, uint64_t gva, size_t len)
{
	if (!guest_range_ok(gva, len))
		return -EFAULT;
	memcpy(dst, (const void *)(uintptr_t)gva, len);
	return 0;
}

int guest_write(uint64_t gva, const void *src, size_t len)
{
	if (!guest_range_ok(gva, len))
		return -EFAULT;
	memcpy((void *)(uintptr_t)gva, src, len);
	return 0;
}

/* ------------------------------------------------------------------------------------------
 * Exception and interrupt delivery through the guest IDT, as a 64-bit CPU does it without
 * IST: align the stack to 16 bytes, push SS, RSP, RFLAGS, CS, RIP and the error code, jump
 * to the gate's offset; an interrupt gate (type 0xE) clears IF, a trap gate (0xF) leaves it
 * [SDM vol. 3A 6.12.1.3]. The pushed RFLAGS image carries the virtual IF.
 *
 * The guest returns with IRETQ. At CPL3 a native IRETQ leaves IF alone, which is right when
 * the frame's IF is 0 (a kernel returns with interrupts disabled) but not when it is 1: such
 * frames get SS = GUEST_IRET_SS (null), IRETQ to CPL3 with a null SS faults with #GP(0)
 * [SDM vol. 2A IRET], and the virtual CPU completes it (emulate_iretq).
 */
int guest_deliver(struct cpu_regs *ctx, struct guest_cpu *g, uint8_t vector, bool has_error,
		  uint64_t error_code)
{
	uint64_t gate[2], frame[6], rsp, handler;
	unsigned int n = 0;

	if ((uint32_t)vector * 16 + 15 > g->idt_limit)
		return -EFAULT;
	if (guest_read(gate, g->idt_base + (uint64_t)vector * 16, sizeof(gate)))
		return -EFAULT;
	/* Present bit 47; type 0xE (interrupt gate) or 0xF (trap gate) in bits 43:40. */
	if (!(gate[0] & (1ULL << 47)) || ((gate[0] >> 40) & 0xE) != 0xE)
		return -EFAULT;
	handler = (gate[0] & 0xFFFF) | ((gate[0] >> 32) & 0xFFFF0000) | (gate[1] << 32);

	if (has_error)
		frame[n++] = error_code;
	frame[n++] = ctx->rip;
	frame[n++] = USER_CS;
	frame[n++] = (ctx->rflags & ~X86_EFLAGS_IF) | (g->vif ? X86_EFLAGS_IF : 0);
	frame[n++] = ctx->gpr[REG_RSP_];
	frame[n++] = g->vif ? GUEST_IRET_SS : USER_SS;
	rsp = (ctx->gpr[REG_RSP_] & ~0xFULL) - n * 8;
	if (guest_write(rsp, frame, n * 8))
		return -EFAULT;

	ctx->gpr[REG_RSP_] = rsp;
	ctx->rip = handler;
	ctx->rflags &= ~(X86_EFLAGS_TF | 0x4000 /* NT */ | 0x10000 /* RF */);
	if (((gate[0] >> 40) & 0xF) == 0xE)
		g->vif = false;
	atomic_fetch_add_explicit(&plat.deliveries, 1, memory_order_relaxed);
	return 0;
}

/* Vectors that push an error code (SDM vol. 3, 6.13). */
static bool vector_has_error_code(uint8_t v)
{
	return v == 8 || (v >= 10 && v <= 14) || v == 17 || v == 21 || v == 29 || v == 30;
}

/* Neither the event nor #DF could be delivered: the CPU's triple fault, a VM exit. */
static void triple_fault(struct cpu_regs *ctx)
{
	struct vm_exit e = {.reason = EXIT_REASON_TRIPLE_FAULT};

	if (plat.hooks.vm_exit)
		plat.hooks.vm_exit(ctx, &e);
}

/*
 * The backend's inject: deliver the event; when it cannot be delivered, #DF; when #DF cannot
 * be either, a triple fault (an exit through the module's hook). The one escalation path,
 * for the machine's own exceptions and the module's alike.
 */
void native_inject(struct cpu_regs *ctx, struct guest_cpu *g, uint32_t intr_info,
		   uint32_t error_code)
{
	uint8_t vector = (uint8_t)(intr_info & INTR_INFO_VECTOR_MASK);
	bool is_df = vector == X86_TRAP_DF &&
		     (intr_info & INTR_INFO_TYPE_MASK) == INTR_TYPE_HARD_EXCEPTION;

	if (!guest_deliver(ctx, g, vector, intr_info & INTR_INFO_ERROR_VALID, error_code))
		return;
	if (!is_df && !guest_deliver(ctx, g, X86_TRAP_DF, true, 0))
		return;
	triple_fault(ctx);
}

void guest_raise(struct cpu_regs *ctx, struct guest_cpu *g, uint8_t vector, uint64_t error_code)
{
	native_inject(ctx, g,
		      vector | INTR_TYPE_HARD_EXCEPTION | INTR_INFO_VALID |
			      (vector_has_error_code(vector) ? INTR_INFO_ERROR_VALID : 0),
		      (uint32_t)error_code);
}

/* ------------------------------------------------------------------------------------------
 * Virtual CPU instructions
 */

/* Effective address of a memory operand (segment overrides other than GS are flat). */
static uint64_t effective_address(const struct cpu_regs *ctx, const struct guest_cpu *g,
				  const ZydisDecodedInstruction *in, const ZydisDecodedOperand *op)
{
	uint64_t ea = (uint64_t)op->mem.disp.value;
	int b = zydis_gpr_number(op->mem.base);
	int i = zydis_gpr_number(op->mem.index);

	if (op->mem.base == ZYDIS_REGISTER_RIP)
		ea += ctx->rip + in->length;
	else if (b >= 0)
		ea += ctx->gpr[b];
	if (i >= 0)
		ea += ctx->gpr[i] * op->mem.scale;
	if (op->mem.segment == ZYDIS_REGISTER_GS)
		ea += g->gs_base;
	return ea;
}

/* LIDT/LGDT: a 10-byte pseudo-descriptor, limit then base. */
static int load_descriptor_table(struct cpu_regs *ctx, struct guest_cpu *g, uint64_t ea, bool idt)
{
	uint8_t d[10];
	uint16_t limit;
	uint64_t base;

	if (guest_read(d, ea, sizeof(d)))
		return -EFAULT;
	memcpy(&limit, d, 2);
	memcpy(&base, d + 2, 8);
	if (idt) {
		g->idt_base = base;
		g->idt_limit = limit;
	} else {
		g->gdt_base = base;
		g->gdt_limit = limit;
	}
	(void)ctx;
	return 0;
}

static int store_descriptor_table(struct guest_cpu *g, uint64_t ea, bool idt)
{
	uint8_t d[10];
	uint16_t limit = idt ? g->idt_limit : g->gdt_limit;
	uint64_t base = idt ? g->idt_base : g->gdt_base;

	memcpy(d, &limit, 2);
	memcpy(d + 2, &base, 8);
	return guest_write(ea, d, sizeof(d));
}

/* CR0 and CR4 bits the CPU itself checks on a MOV [SDM vol. 3A 2.5, vol. 2B MOV CR]. */
#define CR0_ET	  (1ULL << 4)
#define CR0_WP	  (1ULL << 16)
#define CR0_PG	  (1ULL << 31)
#define CR4_DE	  (1ULL << 3)
#define CR4_PAE	  (1ULL << 5)
#define CR4_LA57  (1ULL << 12)
#define CR4_PCIDE (1ULL << 17)
#define CR4_CET	  (1ULL << 23)

/* What a MOV from CR0/CR4 reads: the guest's bits, and the read shadow where the mask is set. */
static uint64_t cr_read(uint64_t real, uint64_t mask, uint64_t shadow)
{
	return (real & ~mask) | (shadow & mask);
}

/* The exception an emulated instruction raises, as exception exit information (error 0). */
static void raise_in(struct vm_exit *exit, uint8_t vector, bool has_error)
{
	exit->reason = EXIT_REASON_EXCEPTION_NMI;
	exit->intr_info = vector | INTR_TYPE_HARD_EXCEPTION | INTR_INFO_VALID |
			  (has_error ? INTR_INFO_ERROR_VALID : 0);
	exit->intr_error = 0;
}

/*
 * MOV to CR0/CR4 of a value that leaves the module's bits as the read shadow has them: the
 * CPU writes it after its own checks for a 64-bit guest (PG and PAE stay set, LA57 cannot
 * change, PCIDE needs CR3[11:0] = 0, CET needs WP). Any other value is the module's
 * (EXIT_REASON_CR_ACCESS), as a VM exit would be. Returns 0, VCPU_EXIT or VCPU_EXCEPTION (#GP(0)).
 */
int vcpu_mov_to_cr(struct guest_cpu *g, unsigned int cr, unsigned int gpr, uint64_t v,
		   bool long_mode, struct vm_exit *ti)
{
	uint64_t mask = cr == 0 ? g->cr0_mask : g->cr4_mask;
	uint64_t shadow = cr == 0 ? g->cr0_shadow : g->cr4_shadow;

	if ((v ^ shadow) & mask) {
		ti->reason = EXIT_REASON_CR_ACCESS;
		ti->qual = cr | (uint64_t)gpr << 8; /* access type 0: MOV to CR, the value in gpr */
		return VCPU_EXIT;
	}
	/* The module's bits keep their real values (the guest sees the shadow). */
	if (cr == 0) {
		v = (v & ~mask) | (g->cr0 & mask);
		if ((long_mode && !(v & CR0_PG)) || (!(v & CR0_WP) && (g->cr4 & CR4_CET))) {
			raise_in(ti, 13, true);
			return VCPU_EXCEPTION;
		}
		g->cr0 = v | CR0_ET; /* ET is hardwired to 1 */
		return 0;
	}
	v = (v & ~mask) | (g->cr4 & mask);
	if ((long_mode && !(v & CR4_PAE)) || ((v ^ g->cr4) & CR4_LA57) ||
	    ((v & CR4_PCIDE) && !(g->cr4 & CR4_PCIDE) && (g->cr3 & 0xFFF)) ||
	    ((v & CR4_CET) && !(g->cr0 & CR0_WP))) {
		raise_in(ti, 13, true);
		return VCPU_EXCEPTION;
	}
	g->cr4 = v;
	return 0;
}

static int emulate_mov_cr(struct cpu_regs *ctx, struct guest_cpu *g, const ZydisDecodedOperand *ops,
			  struct vm_exit *ti)
{
	bool to_cr = ops[0].type == ZYDIS_OPERAND_TYPE_REGISTER &&
		     ZydisRegisterGetClass(ops[0].reg.value) == ZYDIS_REGCLASS_CONTROL;
	const ZydisDecodedOperand *crop = to_cr ? &ops[0] : &ops[1];
	const ZydisDecodedOperand *gop = to_cr ? &ops[1] : &ops[0];
	int n = zydis_gpr_number(gop->reg.value);
	uint64_t *r = n < 0 ? NULL : &ctx->gpr[n];

	if (!r)
		return -EINVAL;
	switch (crop->reg.value) {
	case ZYDIS_REGISTER_CR0:
		if (to_cr)
			return vcpu_mov_to_cr(g, 0, (unsigned int)n, *r, true, ti);
		*r = cr_read(g->cr0, g->cr0_mask, g->cr0_shadow);
		return 0;
	case ZYDIS_REGISTER_CR4:
		if (to_cr)
			return vcpu_mov_to_cr(g, 4, (unsigned int)n, *r, true, ti);
		*r = cr_read(g->cr4, g->cr4_mask, g->cr4_shadow);
		return 0;
	case ZYDIS_REGISTER_CR2:
	case ZYDIS_REGISTER_CR3:
		if (to_cr)
			*(crop->reg.value == ZYDIS_REGISTER_CR2 ? &g->cr2 : &g->cr3) = *r;
		else
			*r = crop->reg.value == ZYDIS_REGISTER_CR2 ? g->cr2 : g->cr3;
		return 0;
	case ZYDIS_REGISTER_CR8:
		/* The task priority lives in the module's virtual APIC (APICv's TPR virtualization). */
		ti->reason = EXIT_REASON_CR_ACCESS;
		ti->qual = 8 | (to_cr ? 0 : 1ULL << 4) | (uint64_t)n << 8;
		return VCPU_EXIT;
	default:
		raise_in(ti, 6, false); /* CR1, CR5-7, CR9-15 */
		return VCPU_EXCEPTION;
	}
}

/*
 * MOV to/from DR0-DR7 [SDM vol. 2B MOV DR, vol. 3B 18.2]: DR7.GD makes any of them a #DB
 * fault with DR6.BD (GD cleared for the handler); DR4/DR5 alias DR6/DR7 unless CR4.DE,
 * then #UD like DR8-15; DR6/DR7 take no bits above 31 (#GP(0)) and keep their fixed bits.
 * Only the values are kept: a breakpoint a guest sets in DR7 never fires.
 */
int vcpu_mov_dr(struct guest_cpu *g, unsigned int dr, bool to_dr, uint64_t *gpr, struct vm_exit *ti)
{
	if (dr > 7 || ((dr == 4 || dr == 5) && (g->cr4 & CR4_DE))) {
		raise_in(ti, 6, false);
		return VCPU_EXCEPTION;
	}
	if (g->dr[7] & DR7_GD) {
		g->dr[6] |= DR6_BD;
		g->dr[7] &= ~DR7_GD;
		raise_in(ti, 1, false);
		return VCPU_EXCEPTION;
	}
	if (dr == 4 || dr == 5)
		dr += 2;
	if (!to_dr) {
		*gpr = g->dr[dr];
		return 0;
	}
	if (dr >= 6 && (*gpr >> 32)) {
		raise_in(ti, 13, true);
		return VCPU_EXCEPTION;
	}
	if (dr == 6)
		g->dr[6] = (*gpr & DR6_VOLATILE) | DR6_FIXED_1;
	else if (dr == 7)
		g->dr[7] = (*gpr & DR7_VOLATILE) | DR7_FIXED_1;
	else
		g->dr[dr] = *gpr;
	return 0;
}

static int emulate_mov_dr(struct cpu_regs *ctx, struct guest_cpu *g, const ZydisDecodedOperand *ops,
			  struct vm_exit *ti)
{
	bool to_dr = ops[0].type == ZYDIS_OPERAND_TYPE_REGISTER &&
		     ZydisRegisterGetClass(ops[0].reg.value) == ZYDIS_REGCLASS_DEBUG;
	const ZydisDecodedOperand *drop = to_dr ? &ops[0] : &ops[1];
	const ZydisDecodedOperand *gop = to_dr ? &ops[1] : &ops[0];
	int n = zydis_gpr_number(gop->reg.value);

	if (n < 0)
		return -EINVAL;
	return vcpu_mov_dr(g, (unsigned int)(drop->reg.value - ZYDIS_REGISTER_DR0), to_dr,
			   &ctx->gpr[n], ti);
}

/* LMSW: CR0 bits 3:0 from the operand; PE can be set, never cleared [SDM vol. 2A LMSW]. */
static int emulate_lmsw(struct cpu_regs *ctx, struct guest_cpu *g,
			const ZydisDecodedInstruction *in, const ZydisDecodedOperand *op)
{
	uint16_t v;

	if (op->type == ZYDIS_OPERAND_TYPE_REGISTER) {
		int n = zydis_gpr_number(op->reg.value);

		if (n < 0)
			return -EINVAL;
		v = (uint16_t)ctx->gpr[n];
	} else if (guest_read(&v, effective_address(ctx, g, in, op), sizeof(v))) {
		return -EFAULT;
	}
	g->cr0 = (g->cr0 & ~0xEULL) | (v & 0xE) | (g->cr0 & 1) | (v & 1);
	return 0;
}

void guest_single_step(struct cpu_regs *ctx, struct guest_cpu *g)
{
	g->dr[6] |= DR6_BS;
	guest_raise(ctx, g, 1, 0);
}

/*
 * STI: IF = 1. When IF was 0, interrupts stay blocked until the next instruction has
 * completed [SDM vol. 2B STI], so that `sti; hlt` (here `sti; tdcall`) cannot take the
 * interrupt in between. The shadow ends at the next guest stop (vcpu_shadow_end); TF makes
 * sure there is one right after that instruction.
 *
 * A gate call stands for the TDCALL instruction, so the shadow covers it the same way: it
 * needs no TF, because the gate's dispatcher is the stop that ends the shadow, and it must
 * not have TF, because the #DB would come after the call, on the gate's first instruction
 * in host code. A gate call is what the gate's callers use, FF 15 disp32, and its pointer
 * (the guest's own copy, e.g. the SDK's tdx_gate, or tdxsim_gate_ptr) holds the gate.
 */
static bool is_gate_call(uint64_t rip)
{
	uint8_t insn[TDXSIM_GATE_CALL_LEN];
	uint64_t target;
	int32_t disp;

	if (!tdxsim_gate_ptr || guest_read(insn, rip, sizeof(insn)) || insn[0] != 0xFF ||
	    insn[1] != 0x15)
		return false;
	memcpy(&disp, insn + 2, sizeof(disp));
	if (guest_read(&target, rip + TDXSIM_GATE_CALL_LEN + (int64_t)disp, sizeof(target)))
		return false;
	return target == (uint64_t)(uintptr_t)tdxsim_gate_ptr;
}

static void emulate_sti(struct cpu_regs *ctx, struct guest_cpu *g, unsigned int len)
{
	if (g->vif)
		return;
	g->vif = true;
	g->sti_shadow = true;
	if (!is_gate_call(ctx->rip + len))
		ctx->rflags |= X86_EFLAGS_TF;
}

bool vcpu_shadow_end(struct cpu_regs *ctx, struct guest_cpu *g)
{
	if (!g->sti_shadow)
		return false;
	g->sti_shadow = false;
	ctx->rflags &= ~X86_EFLAGS_TF;
	return true;
}

/*
 * IRETQ of a frame guest_deliver() marked (IF = 1, SS = GUEST_IRET_SS): pop RIP, CS,
 * RFLAGS, RSP, SS as the CPU does, keep the real selectors, and take IF from the frame.
 * Any other IRETQ that faulted is the guest's own #GP.
 */
static int emulate_iretq(struct cpu_regs *ctx, struct guest_cpu *g)
{
	uint64_t f[5];

	if (guest_read(f, ctx->gpr[REG_RSP_], sizeof(f)))
		return -EFAULT;
	if (f[1] != USER_CS || f[4] != GUEST_IRET_SS)
		return -EINVAL;
	ctx->rip = f[0];
	ctx->rflags = (ctx->rflags & ~GUEST_RFLAGS_MASK) | (f[2] & GUEST_RFLAGS_MASK);
	ctx->gpr[REG_RSP_] = f[3];
	g->vif = (f[2] & X86_EFLAGS_IF) != 0;
	return 1;
}

/*
 * Complete a privileged instruction against the virtual CPU. Returns 0 when done (RIP
 * advanced), -EFAULT when a memory operand faulted (a #PF was raised), -EINVAL when it is
 * not an instruction the virtual CPU completes.
 */
int vcpu_emulate(struct cpu_regs *ctx, struct guest_cpu *g, const uint8_t *bytes, size_t avail,
		 struct vm_exit *ti)
{
	ZydisDecodedInstruction in;
	ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
	bool step = ctx->rflags & X86_EFLAGS_TF; /* TF as the instruction starts */
	int ret = 0;

	if (decode_operands(bytes, avail, &in, ops))
		return -EINVAL;
	switch (in.mnemonic) {
	case ZYDIS_MNEMONIC_CLI:
		g->vif = false;
		break;
	case ZYDIS_MNEMONIC_STI:
		emulate_sti(ctx, g, in.length);
		break;
	case ZYDIS_MNEMONIC_IRETQ:
		ret = emulate_iretq(ctx, g);
		if (ret == 1) {
			if (step) /* RIP is the frame's */
				guest_single_step(ctx, g);
			return 0;
		}
		break;
	case ZYDIS_MNEMONIC_LIDT:
	case ZYDIS_MNEMONIC_LGDT:
		ret = load_descriptor_table(ctx, g, effective_address(ctx, g, &in, &ops[0]),
					    in.mnemonic == ZYDIS_MNEMONIC_LIDT);
		break;
	case ZYDIS_MNEMONIC_SIDT:
	case ZYDIS_MNEMONIC_SGDT:
		ret = store_descriptor_table(g, effective_address(ctx, g, &in, &ops[0]),
					     in.mnemonic == ZYDIS_MNEMONIC_SIDT);
		break;
	case ZYDIS_MNEMONIC_MOV:
		if (ops[0].type != ZYDIS_OPERAND_TYPE_REGISTER ||
		    ops[1].type != ZYDIS_OPERAND_TYPE_REGISTER)
			return -EINVAL;
		if (ZydisRegisterGetClass(ops[0].reg.value) == ZYDIS_REGCLASS_DEBUG ||
		    ZydisRegisterGetClass(ops[1].reg.value) == ZYDIS_REGCLASS_DEBUG)
			ret = emulate_mov_dr(ctx, g, ops, ti);
		else if (ZydisRegisterGetClass(ops[0].reg.value) == ZYDIS_REGCLASS_CONTROL ||
			 ZydisRegisterGetClass(ops[1].reg.value) == ZYDIS_REGCLASS_CONTROL)
			ret = emulate_mov_cr(ctx, g, ops, ti);
		else
			return -EINVAL;
		if (ret == VCPU_EXIT)
			ti->insn_len = in.length;
		if (ret == VCPU_EXIT || ret == VCPU_EXCEPTION)
			return ret;
		break;
	case ZYDIS_MNEMONIC_LMSW:
		ret = emulate_lmsw(ctx, g, &in, &ops[0]);
		break;
	case ZYDIS_MNEMONIC_SWAPGS: {
		uint64_t t = g->gs_base;

		g->gs_base = g->kernel_gs_base;
		g->kernel_gs_base = t;
		break;
	}
	case ZYDIS_MNEMONIC_CLTS:
		g->cr0 &= ~(1ULL << 3); /* CR0.TS */
		break;
	case ZYDIS_MNEMONIC_LTR:
	case ZYDIS_MNEMONIC_LLDT:
	case ZYDIS_MNEMONIC_INVLPG:
	case ZYDIS_MNEMONIC_INVPCID:
	case ZYDIS_MNEMONIC_WRPKRU:
		/* No segment or TLB state exists to change: the window mapping is fixed. */
		break;
	default:
		return -EINVAL;
	}
	if (ret == -EFAULT)
		return ret;
	if (ret)
		return -EINVAL;
	ctx->rip += in.length;
	if (step)
		guest_single_step(ctx, g);
	return 0;
}

void platform_get_stats(struct platform_stats *st)
{
	uint64_t gate_calls = 0, exits = atomic_load(&plat.exits);

	for (unsigned int i = 0; i < plat.nr_lps; i++) {
		gate_calls += plat.lps[i]->gate_calls;
		exits += atomic_load_explicit(&plat.lps[i]->exits, memory_order_relaxed);
	}
	st->traps = atomic_load(&plat.traps);
	st->gate_calls = gate_calls;
	st->exits = exits;
	st->deliveries = atomic_load(&plat.deliveries);
	st->async_exits = atomic_load(&plat.async_exits);
}
