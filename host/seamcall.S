/* SPDX-License-Identifier: MIT */
/*
 * u64 __seamcall_insn(u64 fn, struct tdx_module_args *args)
 * u64 __seamcall_gate(u64 fn, struct tdx_module_args *args)
 *
 * Load RAX = fn and RCX, RDX, R8-R15, RBX, RDI, RSI from args, execute SEAMCALL (the real
 * opcode, or the gate that stands in for it), store the same registers back into args and
 * return RAX. One struct carries input and output [ABI §11.5].
 *
 * MXCSR and the x87 control word come back as they were: the SysV ABI makes them
 * callee-saved, and TDH.VP.ENTER returns with the extended state in its initial
 * configuration (the TDX module keeps no VMM extended state; the rest of it, the vector
 * registers, is caller-saved anyway). Each is loaded only when it differs: a load marks
 * its component in use (XINUSE), and the gate's next VP.ENTER would then run FNINIT.
 *
 * What the instruction itself can do besides returning, turned into a status in RAX:
 * - VMfailInvalid (CF=1: no module loaded) → TDX_SEAMCALL_VMFAILINVALID; args untouched.
 * - #UD (no VMXON) or #GP (TDX off in the BIOS): the fault is fixed up to .Lfault with the
 *   trap number in RAX, and TDX_SW_ERROR is ORed in. TDX_SW_ERROR does not fit an OR
 *   immediate (32 bits, sign-extended), so it is built in a register first.
 */
#include <platform/extable.h>
#include <tdx/args.h>

#define TDX_SW_ERROR			0x8000FF0000000000
#define TDX_SEAMCALL_VMFAILINVALID	0x8000FF00FFFF0000

.macro SEAMCALL_STUB name, gate
	.globl	\name
	.type	\name, @function
\name:
	pushq	%rbp
	pushq	%rbx
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	subq	$8, %rsp
	stmxcsr	(%rsp)
	fnstcw	4(%rsp)
	pushq	%rsi			/* args, found again at (%rsp) after the call */

	movq	%rdi, %rax
	movq	TDX_MODULE_ARGS_RCX(%rsi), %rcx
	movq	TDX_MODULE_ARGS_RDX(%rsi), %rdx
	movq	TDX_MODULE_ARGS_R8(%rsi), %r8
	movq	TDX_MODULE_ARGS_R9(%rsi), %r9
	movq	TDX_MODULE_ARGS_R10(%rsi), %r10
	movq	TDX_MODULE_ARGS_R11(%rsi), %r11
	movq	TDX_MODULE_ARGS_R12(%rsi), %r12
	movq	TDX_MODULE_ARGS_R13(%rsi), %r13
	movq	TDX_MODULE_ARGS_R14(%rsi), %r14
	movq	TDX_MODULE_ARGS_R15(%rsi), %r15
	movq	TDX_MODULE_ARGS_RBX(%rsi), %rbx
	movq	TDX_MODULE_ARGS_RDI(%rsi), %rdi
	movq	TDX_MODULE_ARGS_RSI(%rsi), %rsi
1:
.if \gate
	call	*tdxsim_gate_ptr(%rip)
.else
	.byte	0x66, 0x0f, 0x01, 0xcf	/* SEAMCALL */
.endif
2:
	jc	3f

	pushq	%rsi
	movq	8(%rsp), %rsi
	movq	%rcx, TDX_MODULE_ARGS_RCX(%rsi)
	movq	%rdx, TDX_MODULE_ARGS_RDX(%rsi)
	movq	%r8, TDX_MODULE_ARGS_R8(%rsi)
	movq	%r9, TDX_MODULE_ARGS_R9(%rsi)
	movq	%r10, TDX_MODULE_ARGS_R10(%rsi)
	movq	%r11, TDX_MODULE_ARGS_R11(%rsi)
	movq	%r12, TDX_MODULE_ARGS_R12(%rsi)
	movq	%r13, TDX_MODULE_ARGS_R13(%rsi)
	movq	%r14, TDX_MODULE_ARGS_R14(%rsi)
	movq	%r15, TDX_MODULE_ARGS_R15(%rsi)
	movq	%rbx, TDX_MODULE_ARGS_RBX(%rsi)
	movq	%rdi, TDX_MODULE_ARGS_RDI(%rsi)
	popq	TDX_MODULE_ARGS_RSI(%rsi)
	jmp	5f
3:	/* VMfailInvalid */
	movabsq	$TDX_SEAMCALL_VMFAILINVALID, %rax
	jmp	5f
4:	/* #UD or #GP: RAX holds the trap number */
	movabsq	$TDX_SW_ERROR, %rdi
	orq	%rdi, %rax
5:
	popq	%rsi
	movl	(%rsp), %edi		/* the caller's MXCSR and FCW; RDI is caller-saved */
	stmxcsr	(%rsp)
	cmpl	(%rsp), %edi
	je	6f
	movl	%edi, (%rsp)
	ldmxcsr	(%rsp)
6:	movzwl	4(%rsp), %edi
	fnstcw	4(%rsp)
	cmpw	4(%rsp), %di
	je	7f
	movw	%di, 4(%rsp)
	fldcw	4(%rsp)
7:	addq	$8, %rsp
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%rbx
	popq	%rbp
	ret
	TDXSIM_EXTABLE(1b, 2b, 4b)
	.size	\name, .-\name
.endm

	.text
	SEAMCALL_STUB __seamcall_insn, 0
	SEAMCALL_STUB __seamcall_gate, 1

	.section .note.GNU-stack, "", @progbits
