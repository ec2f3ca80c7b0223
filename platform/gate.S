/* SPDX-License-Identifier: MIT */
/*
 * The gate and the fast resume.
 *
 * The gate stands in for the SEAMCALL and TDCALL instructions: the caller loads registers as
 * for the instruction and executes `call *tdxsim_gate_ptr(%rip)`. The gate saves every
 * register into the LP's gate context, exactly as the instruction would present them,
 * switches to the LP's gate stack and calls the same C dispatcher the trap path uses. The
 * dispatcher may change any register, or replace the whole context (a world switch), so the
 * way back is a full-register resume, not a return.
 *
 * Extended state (x87/SSE/AVX) is saved on entry into lp->xstate, the home of the world
 * that called, and loaded on resume from lp->xstate, the home of the world resumed
 * (platform/xstate.c). RFLAGS is saved first of all, before the gate's own TEST.
 *
 * The resume loads all sixteen GPRs, RFLAGS, RSP and RIP without touching the target stack:
 * RIP comes from a thread-local slot through %fs, the only addressing left once RSP holds
 * the target value. IRETQ would also do, but it costs ~90 ns here against a few ns.
 *
 * Offsets below are those of struct lp / struct cpu_regs (platform/internal.h); switch.c
 * asserts them at compile time.
 */

#define CTX_RAX 0
#define CTX_RCX 8
#define CTX_RDX 16
#define CTX_RBX 24
#define CTX_RSP 32
#define CTX_RBP 40
#define CTX_RSI 48
#define CTX_RDI 56
#define CTX_R8 64
#define CTX_R9 72
#define CTX_R10 80
#define CTX_R11 88
#define CTX_R12 96
#define CTX_R13 104
#define CTX_R14 112
#define CTX_R15 120
#define CTX_RIP 128
#define CTX_RFLAGS 136
#define LP_GATE_STACK 144
#define LP_IN_DISPATCH 160
#define LP_INTR_PENDING 161
#define LP_XSAVEOPT 162
#define LP_XINUSE 163
#define LP_XSTATE 168
#define LP_XFEATURES 176
#define LP_XSTATE_HOST 184
#define SEAMCALL_LEAF 0xFFFF	/* RAX bits 15:0; TDH.VP.ENTER is leaf 0 (asserted in xstate.c) */
#define XFEATURE_X87 1
#define XFEATURE_SSE 2
#define XFEATURE_YMM 4
#define XFEATURE_ZMM_H256 0x40
/* What VZEROALL (with AVX) puts in the initial configuration: XMM/YMM/ZMM0-15 */
#define XFEATURES_VZEROALL (XFEATURE_SSE | XFEATURE_YMM | XFEATURE_ZMM_H256)
#define XSAVE_FTW 4		/* the abridged tag word: one bit per register, 0 = empty */
#define XSAVE_MXCSR 24
#define MXCSR_DEFAULT 0x1F80
#define X87_FNINIT_CW_SW 0x037F	/* FCW 0x37F, FSW 0: the first dword of the legacy region */
#define XSAVE_XSTATE_BV 512	/* the XSAVE header's first field */

/* RFLAGS bits other than CF PF AF ZF SF OF, IF and bit 1 (always set in user mode) */
#define RFLAGS_NOT_PLAIN 0xFFFFF528

/* Load the GPRs but RSP from the context at %rdi; leaves RSP at the context's RFLAGS. */
.macro POP_GPRS
	movq	%rdi, %rsp
	popq	%rax
	popq	%rcx
	popq	%rdx
	popq	%rbx
	leaq	8(%rsp), %rsp		/* RSP is loaded last */
	popq	%rbp
	popq	%rsi
	popq	%rdi
	popq	%r8
	popq	%r9
	popq	%r10
	popq	%r11
	popq	%r12
	popq	%r13
	popq	%r14
	popq	%r15
	leaq	8(%rsp), %rsp		/* skip RIP */
.endm

	.text

/* void tdxsim_gate_entry(void): see above. Never returns in the C sense. */
	.globl	tdxsim_gate_entry
	.type	tdxsim_gate_entry, @function
tdxsim_gate_entry:
	pushfq				/* before the TEST below changes the flags */
	pushq	%rax
	movq	this_lp@gottpoff(%rip), %rax
	movq	%fs:(%rax), %rax
	testq	%rax, %rax
	jz	.Lnot_an_lp
	movb	$1, LP_IN_DISPATCH(%rax)
	movq	%rcx, CTX_RCX(%rax)
	movq	%rdx, CTX_RDX(%rax)
	movq	%rbx, CTX_RBX(%rax)
	movq	%rbp, CTX_RBP(%rax)
	movq	%rsi, CTX_RSI(%rax)
	movq	%rdi, CTX_RDI(%rax)
	movq	%r8, CTX_R8(%rax)
	movq	%r9, CTX_R9(%rax)
	movq	%r10, CTX_R10(%rax)
	movq	%r11, CTX_R11(%rax)
	movq	%r12, CTX_R12(%rax)
	movq	%r13, CTX_R13(%rax)
	movq	%r14, CTX_R14(%rax)
	movq	%r15, CTX_R15(%rax)
	popq	%rcx			/* the caller's RAX */
	movq	%rcx, CTX_RAX(%rax)
	popq	CTX_RFLAGS(%rax)
	popq	%rcx			/* return address: the instruction's successor */
	movq	%rcx, CTX_RIP(%rax)
	movq	%rsp, CTX_RSP(%rax)	/* RSP as the instruction would leave it */
	/* C code needs DF=0, and AC/TF clear: POPFQ (slow) only if a flag beyond those is set */
	testl	$RFLAGS_NOT_PLAIN, CTX_RFLAGS(%rax)
	jz	7f
	pushq	$2
	popfq
7:	movq	%rax, %rdi
	/*
	 * The caller's extended state, into its world's home; then the FPU state C code may
	 * assume: an empty x87 stack with the default control word, the default MXCSR, clean
	 * upper halves (a guest's rounding mode or unmasked exceptions stay the guest's).
	 *
	 * Not for the host's TDH.VP.ENTER: the TDX module keeps no VMM extended state across
	 * it, and the host gets it back in the initial configuration (xstate.c), so its home
	 * becomes that configuration (XSTATE_BV 0, MXCSR 0x1F80) instead of being saved, and
	 * FNINIT runs only if XINUSE shows the x87 state in use (always without XGETBV 1).
	 */
	movq	LP_XSTATE(%rdi), %rcx
	cmpq	LP_XSTATE_HOST(%rdi), %rcx
	jne	8f
	testl	$SEAMCALL_LEAF, CTX_RAX(%rdi)
	jnz	8f
	movq	$0, XSAVE_XSTATE_BV(%rcx)
	movl	$MXCSR_DEFAULT, XSAVE_MXCSR(%rcx)
	cmpb	$0, LP_XINUSE(%rdi)
	je	6f
	movl	$1, %ecx
	xgetbv
	testb	$XFEATURE_X87, %al
	jz	4f
	jmp	6f
8:	movl	LP_XFEATURES(%rdi), %eax
	movl	LP_XFEATURES+4(%rdi), %edx
	cmpb	$0, LP_XSAVEOPT(%rdi)
	je	2f
	xsaveopt64 (%rcx)
	jmp	3f
2:	xsave64	(%rcx)
	/*
	 * What was just saved says whether the x87 state needs FNINIT, the dearest of the
	 * three resets: not when it is in its initial configuration (XSTATE_BV[0] clear), nor
	 * when FCW is 0x37F, FSW 0 and every register empty (FTW 0) as FNINIT leaves them, which
	 * is the state of any caller whose x87 use is long done: C code gives back an empty
	 * stack. Only the values left in empty registers and the last-instruction pointers may
	 * differ from FNINIT's, and the dispatcher's code depends on neither.
	 */
3:	testb	$XFEATURE_X87, XSAVE_XSTATE_BV(%rcx)
	jz	4f
	cmpl	$X87_FNINIT_CW_SW, (%rcx)
	jne	6f
	cmpb	$0, XSAVE_FTW(%rcx)
	je	4f
6:	fninit
	/* MXCSR loaded only if not the default: LDMXCSR marks SSE in use (XINUSE[1]). */
4:	movq	LP_GATE_STACK(%rdi), %rsp
	stmxcsr	-8(%rsp)
	cmpl	$MXCSR_DEFAULT, -8(%rsp)
	je	5f
	ldmxcsr	.Lmxcsr_default(%rip)
5:	testb	$XFEATURE_YMM, LP_XFEATURES(%rdi)
	jz	1f
	vzeroupper
1:	call	tdxsim_gate_dispatch
	movq	%rax, %rdi		/* the LP, whose gate context is resumed */
	jmp	tdxsim_resume_gate_ctx
.Lnot_an_lp:
	popq	%rax
	popfq
	jmp	tdxsim_gate_orphan
	.size	tdxsim_gate_entry, .-tdxsim_gate_entry
	.globl	tdxsim_gate_entry_end
tdxsim_gate_entry_end:

/*
 * void tdxsim_resume_gate_ctx(struct lp *lp): load lp->gate_ctx into the CPU.
 * A signal that lands between here and tdxsim_resume_end sees the context intact in memory
 * and takes it from there (trap.c), so this sequence may be interrupted anywhere.
 */
	.globl	tdxsim_resume_gate_ctx
	.type	tdxsim_resume_gate_ctx, @function
tdxsim_resume_gate_ctx:
	movb	$0, LP_IN_DISPATCH(%rdi)
	/*
	 * An async event that arrived while the dispatcher ran was only marked pending. From
	 * the store above on, the signal handler takes events itself, so this one check
	 * closes the window.
	 */
	cmpb	$0, LP_INTR_PENDING(%rdi)
	jne	.Lpending
	/*
	 * The extended state of the world resumed: the one current now, maybe not the caller's.
	 * A home in the initial configuration (XSTATE_BV 0: the host's after a TD exit, a
	 * guest's that never used vector state) needs no XRSTOR when XINUSE shows nothing in
	 * use but what VZEROALL initializes: VZEROALL and the home's MXCSR give what XRSTOR
	 * would, in a third of its time, and leave every component in use modified, so the
	 * next XSAVEOPT writes it whatever XRSTOR it tracks. VZEROALL also clears XINUSE[1]
	 * and [2]; LDMXCSR would set XINUSE[1] again even to 0x1F80, so it runs only when
	 * MXCSR changes, and a world that does not use SSE keeps saving nothing.
	 */
	movq	LP_XSTATE(%rdi), %rcx
	cmpq	$0, XSAVE_XSTATE_BV(%rcx)
	jne	9f
	testb	$XFEATURE_YMM, LP_XFEATURES(%rdi)
	jz	9f
	cmpb	$0, LP_XINUSE(%rdi)
	je	9f
	movl	$1, %ecx
	xgetbv
	movq	LP_XSTATE(%rdi), %rcx
	testl	$~XFEATURES_VZEROALL, %eax
	jnz	9f
	vzeroall
	stmxcsr	-8(%rsp)		/* below the gate stack's top, or a stack given up */
	movl	XSAVE_MXCSR(%rcx), %eax
	cmpl	-8(%rsp), %eax
	je	10f
	ldmxcsr	XSAVE_MXCSR(%rcx)
	jmp	10f
9:	movl	LP_XFEATURES(%rdi), %eax
	movl	LP_XFEATURES+4(%rdi), %edx
	xrstor64 (%rcx)
10:	movq	CTX_RIP(%rdi), %rax
	movq	%rax, %fs:tdxsim_resume_rip@tpoff
	/*
	 * RFLAGS: POPFQ costs ~25 cycles. When the context's flags beyond the arithmetic ones
	 * are as the dispatcher runs (IF and bit 1 set, the rest clear), only the arithmetic
	 * flags need loading: OF by an ADD that overflows exactly when it is set, then SF, ZF,
	 * AF, PF and CF by SAHF. The POPs, LEA and MOV that follow leave the flags alone.
	 */
	movq	CTX_RFLAGS(%rdi), %rax
	testl	$RFLAGS_NOT_PLAIN, %eax
	jnz	.Lpopfq
	movl	%eax, %ecx
	shrl	$11, %ecx
	andl	$1, %ecx
	addb	$0x7F, %cl		/* OF = RFLAGS.OF */
	movb	%al, %ah
	sahf
	POP_GPRS
	movq	-(CTX_RFLAGS - CTX_RSP)(%rsp), %rsp
	jmpq	*%fs:tdxsim_resume_rip@tpoff
.Lpopfq:
	POP_GPRS
	popfq
	movq	-(CTX_RFLAGS + 8 - CTX_RSP)(%rsp), %rsp
	jmpq	*%fs:tdxsim_resume_rip@tpoff
.Lpending:
	movb	$1, LP_IN_DISPATCH(%rdi)
	movq	LP_GATE_STACK(%rdi), %rsp
	call	tdxsim_gate_pending
	movq	%rax, %rdi
	jmp	tdxsim_resume_gate_ctx
	.size	tdxsim_resume_gate_ctx, .-tdxsim_resume_gate_ctx
	.globl	tdxsim_resume_end
tdxsim_resume_end:

	.section .rodata
	.balign	4
.Lmxcsr_default:
	.long	MXCSR_DEFAULT		/* all exceptions masked, round to nearest */

	.section .note.GNU-stack, "", @progbits
