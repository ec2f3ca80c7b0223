// SPDX-License-Identifier: MIT
/*
 * Trace hooks (tdx_module_set_trace, tdx_module.h): tdxsim's debugging window on the TDCALLs
 * and #VEs the module handles inside a TD. Not part of Intel's ABI: the real module reports
 * nothing to the host without a TD exit.
 *
 * Off is the common case and the hot path (every TDCALL, every #VE): one acquire load of the
 * hooks pointer and a branch. On, a caller counts itself in `users` around the call, so that
 * removing the hooks can wait until nobody still runs one with the old opaque.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>

#include "td.h"

struct td_trace td_trace;

static pthread_mutex_t trace_set_lock = PTHREAD_MUTEX_INITIALIZER;

int tdx_module_set_trace(const struct tdx_trace_hooks *hooks, void *opaque)
{
	int ret = 0;

	pthread_mutex_lock(&trace_set_lock);
	if (hooks && __atomic_load_n(&td_trace.hooks, __ATOMIC_RELAXED)) {
		ret = -EBUSY;
	} else if (hooks) {
		__atomic_store_n(&td_trace.opaque, opaque, __ATOMIC_RELAXED);
		__atomic_store_n(&td_trace.hooks, hooks, __ATOMIC_SEQ_CST);
	} else {
		/* Pairs with td_trace_enter: a caller either sees NULL or is counted here. */
		__atomic_store_n(&td_trace.hooks, NULL, __ATOMIC_SEQ_CST);
		while (__atomic_load_n(&td_trace.users, __ATOMIC_SEQ_CST))
			sched_yield();
	}
	pthread_mutex_unlock(&trace_set_lock);
	return ret;
}

/* The hooks to call, counted in users; NULL (not counted) when they went away meanwhile. */
static const struct tdx_trace_hooks *td_trace_enter(void **opaque)
{
	const struct tdx_trace_hooks *h;

	__atomic_add_fetch(&td_trace.users, 1, __ATOMIC_SEQ_CST);
	h = __atomic_load_n(&td_trace.hooks, __ATOMIC_SEQ_CST);
	if (!h) {
		__atomic_sub_fetch(&td_trace.users, 1, __ATOMIC_SEQ_CST);
		return NULL;
	}
	*opaque = __atomic_load_n(&td_trace.opaque, __ATOMIC_RELAXED);
	return h;
}

static void td_trace_exit(void)
{
	__atomic_sub_fetch(&td_trace.users, 1, __ATOMIC_SEQ_CST);
}

/* The guest's RCX..R15, RBX, RDI, RSI in the tdx_module_args layout (tdx/args.h). */
void td_trace_args(struct tdx_module_args *a, const uint64_t *gpr)
{
	*a = (struct tdx_module_args){
		.rcx = gpr[REG_RCX_],
		.rdx = gpr[REG_RDX_],
		.r8 = gpr[REG_R8_],
		.r9 = gpr[REG_R9_],
		.r10 = gpr[REG_R10_],
		.r11 = gpr[REG_R11_],
		.r12 = gpr[REG_R12_],
		.r13 = gpr[REG_R13_],
		.r14 = gpr[REG_R14_],
		.r15 = gpr[REG_R15_],
		.rbx = gpr[REG_RBX_],
		.rdi = gpr[REG_RDI_],
		.rsi = gpr[REG_RSI_],
	};
}

void td_trace_tdcall_slow(uint64_t tdr_pa, unsigned int vcpu, uint64_t rax,
			  const struct tdx_module_args *in, const struct tdx_module_args *out,
			  uint64_t status)
{
	void *opaque;
	const struct tdx_trace_hooks *h = td_trace_enter(&opaque);

	if (!h)
		return;
	if (h->tdcall)
		h->tdcall(opaque, tdr_pa, vcpu, (unsigned int)lp_current(), rax, in, out, status);
	td_trace_exit();
}

/*
 * Where a #VE happens: the guest's RIP, the bytes there and the handlers its IDT names for
 * vectors 20 and 19 (64-bit gates: offset bits 15:0, 31:16 and 63:32 [SDM vol. 3A 6.14.1]),
 * read through the guest's paging as the CPU reads them to deliver it.
 */
static uint64_t gate_target(const uint64_t gate[2])
{
	return (gate[0] & 0xFFFF) | ((gate[0] >> 32) & 0xFFFF0000) | (gate[1] << 32);
}

static void ve_where(const struct cpu_regs *ctx, struct tdvps *vp, struct tdx_trace_ve_where *w)
{
	const struct cpu_backend_ops *b = cpu_backend();
	uint64_t gate[4];

	*w = (struct tdx_trace_ve_where){.rip = ctx->rip};
	if (!b->read_linear || !b->idt_base)
		return;
	w->insn_bytes = b->read_linear(&vp->cpu, ctx->rip, w->insn, sizeof(w->insn));
	if (b->read_linear(&vp->cpu, b->idt_base(&vp->cpu) + (X86_TRAP_VE - 1) * 16, gate,
			   sizeof(gate)) != sizeof(gate))
		return;
	w->handler_19 = gate_target(gate);
	w->handler = gate_target(gate + 2);
}

void td_trace_ve_slow(const struct cpu_regs *ctx, struct tdvps *vp, const struct ve_info *ve)
{
	void *opaque;
	const struct tdx_trace_hooks *h = td_trace_enter(&opaque);
	struct tdx_trace_ve_where where;

	if (!h)
		return;
	if (h->ve) {
		ve_where(ctx, vp, &where);
		h->ve(opaque, vp->tdr_pa, vp->vcpu_index, (unsigned int)lp_current(),
		      ve->exit_reason, ve->exit_qualification, ve->gla, ve->gpa,
		      ve->instruction_length, &where);
	}
	td_trace_exit();
}

int tdx_module_vp_rip(uint64_t tdvpr_pa, uint64_t *rip)
{
	struct vp_ref ref;
	uint64_t s = tdvpr_get(tdvpr_pa, TDX_OPERAND_ID_RCX, &ref);

	if (tdx_status_code(s) == TDX_OPERAND_BUSY)
		return -EBUSY;
	if (s)
		return -EINVAL;
	*rip = ref.vp->cpu.regs.rip;
	tdvpr_put(&ref);
	return 0;
}
