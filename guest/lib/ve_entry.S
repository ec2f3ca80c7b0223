/* SPDX-License-Identifier: MIT */
/*
 * ve_entry.S - entry stubs for vectors 0-255 and the common exception/interrupt path.
 *
 * Stub n (16 bytes each, at tdx_exc_stubs + 16 * n) pushes 0 where the CPU pushes no error
 * code (always for the external vectors 32-255), then n, and jumps to the common code, which saves every GPR into a struct pt_regs
 * (tdxguest/ve.h), calls tdx_exception(regs) on a 16-byte aligned stack, restores the GPRs
 * (with whatever the handler changed) and returns with IRETQ.
 */
	.text
	.balign 16
	.globl tdx_exc_stubs
tdx_exc_stubs:
.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	.balign 16
	.if (\n == 8) || (\n == 10) || (\n == 11) || (\n == 12) || (\n == 13) || (\n == 14) || (\n == 17) || (\n == 21) || (\n == 29) || (\n == 30)
	.else
	pushq $0
	.endif
	pushq $\n
	jmp tdx_exc_common
.endr
	/* External interrupts: no error code. pushq $imm32 sign-extends, so 128-255 stay
	 * positive; 2 + 5 + 5 bytes fit the 16-byte slot. */
	.set vec, 32
	.rept 224
	.balign 16
	pushq $0
	pushq $vec
	jmp tdx_exc_common
	.set vec, vec + 1
	.endr

	.type tdx_exc_common, @function
tdx_exc_common:
	subq $128, %rsp
	movq %rax, 0(%rsp)
	movq %rcx, 8(%rsp)
	movq %rdx, 16(%rsp)
	movq %rbx, 24(%rsp)
	movq $0, 32(%rsp)
	movq %rbp, 40(%rsp)
	movq %rsi, 48(%rsp)
	movq %rdi, 56(%rsp)
	movq %r8, 64(%rsp)
	movq %r9, 72(%rsp)
	movq %r10, 80(%rsp)
	movq %r11, 88(%rsp)
	movq %r12, 96(%rsp)
	movq %r13, 104(%rsp)
	movq %r14, 112(%rsp)
	movq %r15, 120(%rsp)
	cld
	movq %rsp, %rdi
	movq %rsp, %rbx
	andq $-16, %rsp
	call tdx_exception
	movq %rbx, %rsp
	movq 0(%rsp), %rax
	movq 8(%rsp), %rcx
	movq 16(%rsp), %rdx
	movq 24(%rsp), %rbx
	movq 40(%rsp), %rbp
	movq 48(%rsp), %rsi
	movq 56(%rsp), %rdi
	movq 64(%rsp), %r8
	movq 72(%rsp), %r9
	movq 80(%rsp), %r10
	movq 88(%rsp), %r11
	movq 96(%rsp), %r12
	movq 104(%rsp), %r13
	movq 112(%rsp), %r14
	movq 120(%rsp), %r15
	addq $144, %rsp				/* GPRs, vector, error code */
	iretq
	.size tdx_exc_common, . - tdx_exc_common

	.section .note.GNU-stack, "", @progbits
