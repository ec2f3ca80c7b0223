// SPDX-License-Identifier: MIT
/*
 * EXIT_REASON_IO_INSTRUCTION: IN, OUT, INS, OUTS are a #VE with the exit qualification and
 * the instruction length; the guest asks the VMM with TDG.VP.VMCALL<Instruction.IO> [ABI §5].
 */
#include "td.h"

void vmexit_io_instruction(struct cpu_regs *ctx, struct tdvps *vp, const struct vm_exit *exit)
{
	td_inject_ve(ctx, vp, EXIT_REASON_IO_INSTRUCTION, exit->qual, 0, 0, exit->insn_len, 0);
}
