/* SPDX-License-Identifier: MIT */
/*
 * safe_halt.S - void tdx_safe_halt(void): STI immediately followed by
 * TDG.VP.VMCALL<Instruction.HLT> (R12 = 0: interrupts not blocked).
 *
 * Nothing may come between STI and the TDCALL: the STI shadow (one instruction) is what
 * keeps an interrupt from being delivered before the halt, where it would be handled and
 * the halt would then wait for another one. Linux does the same (v6.2
 * arch/x86/coco/tdx/tdcall.S: __tdx_hypercall with TDX_HCALL_ISSUE_STI puts "sti" right
 * before "tdcall"; tdx_safe_halt passes it with R12 = 0). The TDCALL is the instruction or
 * the tdxsim gate, chosen as __tdcall chooses: the machine's STI shadow covers a gate call
 * exactly as it covers the instruction (docs/ARCHITECTURE.md).
 *
 * RCX = 0x1C00 exposes R10-R12 only; the VMM sees nothing else. RBX, RBP, R12-R15 are
 * saved and restored whatever the TDCALL does; a non-zero TDCALL status is fatal (ud2), as
 * in __tdx_hypercall.
 */
	.text
	.globl tdx_safe_halt
	.type tdx_safe_halt, @function
tdx_safe_halt:
	pushq %rbp
	movq %rsp, %rbp
	pushq %rbx
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15

	xorl %eax, %eax				/* TDG.VP.VMCALL */
	movl $0x1C00, %ecx			/* expose R10, R11, R12 */
	xorl %r10d, %r10d			/* standard TDVMCALL */
	movl $12, %r11d				/* Instruction.HLT */
	xorl %r12d, %r12d			/* interrupts not blocked */

	cmpb $0, tdx_force_tdcall_insn(%rip)
	jne 1f
	cmpq $0, tdx_gate(%rip)
	je 1f
	sti
	call *tdx_gate(%rip)			/* FF 15 disp32: the gate form */
	jmp 2f
1:	sti
	.byte 0x66, 0x0f, 0x01, 0xcc		/* TDCALL */
2:	testq %rax, %rax
	jz 3f
	ud2					/* the VMCALL mechanism itself failed */
3:	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbx
	popq %rbp
	ret
	.size tdx_safe_halt, . - tdx_safe_halt

	.section .note.GNU-stack, "", @progbits
