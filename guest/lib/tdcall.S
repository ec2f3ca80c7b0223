/* SPDX-License-Identifier: MIT */
/*
 * tdcall.S - u64 __tdcall(u64 fn, struct tdx_module_args *args)
 *
 * Loads RAX = fn and RCX, RDX, R8-R15, RBX, RDI, RSI from *args, executes TDCALL (the
 * instruction, or `call *tdx_gate(%rip)` when the machine passed a gate and
 * tdx_force_tdcall_insn is clear), stores the same registers back into *args and returns
 * RAX. RBX, RBP and R12-R15 are saved and restored around the call; the only stack the
 * call itself may touch is below RSP (the gate's return address).
 */
#include "tdx/args.h"

	.text
	.globl __tdcall
	.type __tdcall, @function
__tdcall:
	pushq %rbp
	movq %rsp, %rbp
	pushq %rbx
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	pushq %rsi				/* args, for the way back */

	movq %rdi, %rax
	movq TDX_MODULE_ARGS_RCX(%rsi), %rcx
	movq TDX_MODULE_ARGS_RDX(%rsi), %rdx
	movq TDX_MODULE_ARGS_R8(%rsi), %r8
	movq TDX_MODULE_ARGS_R9(%rsi), %r9
	movq TDX_MODULE_ARGS_R10(%rsi), %r10
	movq TDX_MODULE_ARGS_R11(%rsi), %r11
	movq TDX_MODULE_ARGS_R12(%rsi), %r12
	movq TDX_MODULE_ARGS_R13(%rsi), %r13
	movq TDX_MODULE_ARGS_R14(%rsi), %r14
	movq TDX_MODULE_ARGS_R15(%rsi), %r15
	movq TDX_MODULE_ARGS_RBX(%rsi), %rbx
	movq TDX_MODULE_ARGS_RDI(%rsi), %rdi
	movq TDX_MODULE_ARGS_RSI(%rsi), %rsi

	/* Flags only from here: every argument register is loaded. */
	cmpb $0, tdx_force_tdcall_insn(%rip)
	jne 1f
	cmpq $0, tdx_gate(%rip)
	je 1f
	call *tdx_gate(%rip)			/* FF 15 disp32: the gate form */
	jmp 2f
1:	.byte 0x66, 0x0f, 0x01, 0xcc		/* TDCALL */
2:
	xchgq %rsi, (%rsp)			/* RSI = args; output RSI on the stack */
	movq %rcx, TDX_MODULE_ARGS_RCX(%rsi)
	movq %rdx, TDX_MODULE_ARGS_RDX(%rsi)
	movq %r8, TDX_MODULE_ARGS_R8(%rsi)
	movq %r9, TDX_MODULE_ARGS_R9(%rsi)
	movq %r10, TDX_MODULE_ARGS_R10(%rsi)
	movq %r11, TDX_MODULE_ARGS_R11(%rsi)
	movq %r12, TDX_MODULE_ARGS_R12(%rsi)
	movq %r13, TDX_MODULE_ARGS_R13(%rsi)
	movq %r14, TDX_MODULE_ARGS_R14(%rsi)
	movq %r15, TDX_MODULE_ARGS_R15(%rsi)
	movq %rbx, TDX_MODULE_ARGS_RBX(%rsi)
	movq %rdi, TDX_MODULE_ARGS_RDI(%rsi)
	popq TDX_MODULE_ARGS_RSI(%rsi)

	/* RSP-relative only: RBP is restored from the frame, whatever the call did to it. */
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbx
	popq %rbp
	ret
	.size __tdcall, . - __tdcall

	.section .note.GNU-stack, "", @progbits
