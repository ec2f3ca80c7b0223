// SPDX-License-Identifier: MIT
/*
 * The TDCALL dispatcher: a guest's TDCALL (trapped opcode or gate) on the LP running it
 * [M tdx_td_dispatcher.c td_call; ABI §2]. It reads like the table: one row per leaf, one
 * file per leaf. RIP moves past the TDCALL before the leaf runs, so a leaf that exits to the
 * host (TDG.VP.VMCALL) resumes after it; a leaf that must be re-executed moves it back.
 */
#include "td.h"

struct tdcall_desc {
	tdcall_fn fn;
	uint8_t max_version;
};

#define TDCALL(nr, f, v) [nr] = {.fn = f, .max_version = v}

/* clang-format off */
static const struct tdcall_desc tdcalls[] = {
	TDCALL(TDG_VP_VMCALL, tdg_vp_vmcall, 0),
	TDCALL(TDG_VP_INFO, tdg_vp_info, 0),
	TDCALL(TDG_VP_VEINFO_GET, tdg_vp_veinfo_get, 0),
	TDCALL(TDG_VP_CPUIDVE_SET, tdg_vp_cpuidve_set, 0),
	TDCALL(TDG_SYS_RD, tdg_sys_rd, 0),
	TDCALL(TDG_SYS_RDALL, tdg_sys_rdall, 0),
	TDCALL(TDG_MEM_PAGE_ACCEPT, tdg_mem_page_accept, 0),
	TDCALL(TDG_MR_RTMR_EXTEND, tdg_mr_rtmr_extend, 0),
	TDCALL(TDG_MR_REPORT, tdg_mr_report, 0),
	TDCALL(TDG_VM_RD, tdg_vm_rd, 1),
	TDCALL(TDG_VM_WR, tdg_vm_wr, 0),
	TDCALL(TDG_VP_RD, tdg_vp_rd, 0),
	TDCALL(TDG_VP_WR, tdg_vp_wr, 0),
	TDCALL(TDG_MR_VERIFYREPORT, tdg_mr_verifyreport, 0),
};
/* clang-format on */

/* The TDCALL's length (opcode or gate) is the vCPU's, kept in its TDVPS while it is served. */
void tdcall_reexecute(struct cpu_regs *ctx, const struct tdvps *vp)
{
	ctx->rip -= vp->tdcall_len;
}

/* The trace hook's line for this TDCALL: out registers unless the leaf left the TD. */
static void tdcall_trace(const struct cpu_regs *ctx, uint64_t tdr_pa, unsigned int vcpu,
			 uint64_t rax, const struct tdx_module_args *in, uint64_t status)
{
	struct tdx_module_args out;

	if (status == TDCALL_EXITED) {
		td_trace_tdcall_slow(tdr_pa, vcpu, rax, in, NULL, 0);
		return;
	}
	td_trace_args(&out, ctx->gpr);
	td_trace_tdcall_slow(tdr_pa, vcpu, rax, in, &out, status);
}

/* EXIT_REASON_TDCALL */
void vmexit_tdcall(struct cpu_regs *ctx, struct tdvps *vp, const struct vm_exit *exit)
{
	uint64_t rax = ctx->gpr[REG_RAX_];
	unsigned int leaf = tdx_leaf_of(rax), version = tdx_leaf_version(rax);
	const struct tdcall_desc *d =
		leaf < sizeof(tdcalls) / sizeof(tdcalls[0]) ? &tdcalls[leaf] : NULL;
	bool trace = td_trace_on();
	struct tdx_module_args in;
	uint64_t status, tdr_pa = 0;
	unsigned int vcpu = 0;

	if (trace) {
		/* Before the leaf: TDG.VP.VMCALL leaves the TD with the host's registers. */
		td_trace_args(&in, ctx->gpr);
		tdr_pa = vp->tdr_pa;
		vcpu = vp->vcpu_index;
	}
	ctx->rip += exit->insn_len;
	vp->tdcall_len = exit->insn_len;
	if (tdx_leaf_reserved_set(rax) || !d || !d->fn || version > d->max_version)
		status = TDX_OPERAND_INVALID + TDX_OPERAND_ID_RAX;
	else
		status = d->fn(ctx, vp, vp_tdcs(vp), version);
	if (status != TDCALL_EXITED)
		ctx->gpr[REG_RAX_] = status;
	if (trace)
		tdcall_trace(ctx, tdr_pa, vcpu, rax, &in, status);
}
