// SPDX-License-Identifier: MIT
/*
 * The instruction exits whose answer is one line [M td_other_exits.c; ABI §5]: HLT, INVD,
 * WBINVD, MWAIT, MONITOR, VMCALL and PCONFIG are a #VE with the exit reason and the
 * instruction length; the VMX instructions, GETSEC, RSM, ENCLS, ENCLV and SEAMCALL are #UD.
 */
#include "td.h"

static void ve(struct cpu_regs *ctx, struct tdvps *vp, const struct vm_exit *exit)
{
	td_inject_ve(ctx, vp, exit->reason, 0, 0, 0, exit->insn_len, 0);
}

void vmexit_hlt(struct cpu_regs *ctx, struct tdvps *vp, const struct vm_exit *exit)
{
	ve(ctx, vp, exit);
}

void vmexit_invd(struct cpu_regs *ctx, struct tdvps *vp, const struct vm_exit *exit)
{
	ve(ctx, vp, exit);
}

void vmexit_wbinvd(struct cpu_regs *ctx, struct tdvps *vp, const struct vm_exit *exit)
{
	ve(ctx, vp, exit);
}

void vmexit_mwait(struct cpu_regs *ctx, struct tdvps *vp, const struct vm_exit *exit)
{
	ve(ctx, vp, exit);
}

void vmexit_monitor(struct cpu_regs *ctx, struct tdvps *vp, const struct vm_exit *exit)
{
	ve(ctx, vp, exit);
}

void vmexit_vmcall(struct cpu_regs *ctx, struct tdvps *vp, const struct vm_exit *exit)
{
	ve(ctx, vp, exit);
}

void vmexit_pconfig(struct cpu_regs *ctx, struct tdvps *vp, const struct vm_exit *exit)
{
	ve(ctx, vp, exit);
}

/* VMX instructions (VMCLEAR ... VMXON, INVEPT, INVVPID, VMFUNC), GETSEC, RSM, ENCLS, ENCLV,
 * SEAMCALL: not for a TD. */
void vmexit_ud(struct cpu_regs *ctx, struct tdvps *vp, const struct vm_exit *exit)
{
	(void)exit;
	td_inject_exception(ctx, vp, X86_TRAP_UD, false, 0);
}
