/* SPDX-License-Identifier: MIT */
/*
 * crt0.S - entry of a tdxsim guest image (first instruction the vCPU runs).
 *
 *  1. Save the 16 boot registers (RBX = GPAW, RSI = vCPU index, R9 = the tdxsim gate or 0,
 *     ...) to tdx_boot_regs[] in .data, in x86 encoding order.
 *  2. Zero .bss (which holds the boot stack), then switch to that stack.
 *  3. Apply the R_X86_64_RELATIVE relocations: *(base + r_offset) = base + r_addend, where
 *     base is the load address computed RIP-relative. Any other type stops the guest (ud2):
 *     nothing else can be handled before the runtime is up.
 *  4. Call tdx_guest_start(tdx_boot_regs), which never returns.
 *
 * Only RIP-relative addressing is used here: nothing is relocated yet.
 *
 * Both calls below are made with RSP 16-byte aligned, as the SysV ABI requires (programs may
 * use SSE, whose aligned stack accesses fault otherwise), whatever TDX_GUEST_STACK_SIZE or
 * the mailbox's stack address is.
 *
 * Every vCPU starts here (TDX starts them all at the reset vector). Only vCPU 0 (RSI = 0,
 * the BSP) does the above; any other (an AP) must not touch .bss, the relocations or
 * tdx_boot_regs, which the BSP owns. It parks: it reads the ACPI wake-up mailbox in .data
 * (tdxguest/smp.h) and, while the mailbox does not name it, halts with interrupts blocked
 * (TDVMCALL<Instruction.HLT>, R12 = 1, by the TDCALL instruction: the gate address is only
 * known once the BSP has started). When it is named: RSP and the entry from the mailbox,
 * Command = 0 to acknowledge (ACPI 6.4 5.2.12.19), then entry(RDI = vCPU index). The
 * TDVMCALL exposes R10-R12 only; RSI survives it.
 */
#define TDX_MP_WAKEUP_COMMAND_WAKEUP 1
#define TDVMCALL_INSTRUCTION_HLT     12
#define R_X86_64_NONE	  0
#define R_X86_64_RELATIVE 8

	.section .text.entry, "ax"
	.globl _start
	.type _start, @function
_start:
	testq %rsi, %rsi
	jnz ap_park
	movq %rax, tdx_boot_regs+0(%rip)
	movq %rcx, tdx_boot_regs+8(%rip)
	movq %rdx, tdx_boot_regs+16(%rip)
	movq %rbx, tdx_boot_regs+24(%rip)
	movq %rsp, tdx_boot_regs+32(%rip)
	movq %rbp, tdx_boot_regs+40(%rip)
	movq %rsi, tdx_boot_regs+48(%rip)
	movq %rdi, tdx_boot_regs+56(%rip)
	movq %r8, tdx_boot_regs+64(%rip)
	movq %r9, tdx_boot_regs+72(%rip)
	movq %r10, tdx_boot_regs+80(%rip)
	movq %r11, tdx_boot_regs+88(%rip)
	movq %r12, tdx_boot_regs+96(%rip)
	movq %r13, tdx_boot_regs+104(%rip)
	movq %r14, tdx_boot_regs+112(%rip)
	movq %r15, tdx_boot_regs+120(%rip)

	cld
	/* Zero .bss, the stack included. */
	leaq __bss_start(%rip), %rdi
	leaq __bss_end(%rip), %rcx
	subq %rdi, %rcx
	xorl %eax, %eax
	rep stosb

	leaq __stack_top(%rip), %rsp
	andq $-16, %rsp				/* the ABI's alignment at the call below */
	xorl %ebp, %ebp

	/* Self-relocation. */
	leaq __image_start(%rip), %rdx		/* load address */
	leaq __rela_start(%rip), %rsi
	leaq __rela_end(%rip), %rdi
1:	cmpq %rdi, %rsi
	jae 3f
	movl 8(%rsi), %eax			/* ELF64_R_TYPE(r_info) */
	cmpl $R_X86_64_NONE, %eax
	je 2f
	cmpl $R_X86_64_RELATIVE, %eax
	jne 9f
	movq 16(%rsi), %rax			/* r_addend */
	addq %rdx, %rax
	movq (%rsi), %rcx			/* r_offset */
	movq %rax, (%rdx,%rcx)
2:	addq $24, %rsi
	jmp 1b

3:	leaq tdx_boot_regs(%rip), %rdi
	call tdx_guest_start
9:	ud2

ap_park:
	cmpw $TDX_MP_WAKEUP_COMMAND_WAKEUP, tdx_mp_wakeup_mailbox+0(%rip)
	jne 1f
	cmpl %esi, tdx_mp_wakeup_mailbox+4(%rip)	/* ApicId: the x2APIC ID = index */
	jne 1f
	movq tdx_mp_wakeup_mailbox+8(%rip), %rax	/* WakeupVector */
	movq tdx_mp_wakeup_mailbox+16(%rip), %rsp	/* the stack, in the OS part */
	andq $-16, %rsp					/* aligned at the call below */
	movw $0, tdx_mp_wakeup_mailbox+0(%rip)		/* acknowledge: Command = Noop */
	movl %esi, %edi
	xorl %ebp, %ebp
	call *%rax
	ud2
1:	xorl %eax, %eax					/* TDG.VP.VMCALL */
	movl $0x1C00, %ecx				/* expose R10-R12 */
	xorl %r10d, %r10d
	movl $TDVMCALL_INSTRUCTION_HLT, %r11d
	movl $1, %r12d					/* interrupts blocked */
	.byte 0x66, 0x0f, 0x01, 0xcc			/* TDCALL */
	jmp ap_park
	.size _start, . - _start

	.data
	.balign 8
	.globl tdx_boot_regs
	.type tdx_boot_regs, @object
tdx_boot_regs:
	.fill 16, 8, 0
	.size tdx_boot_regs, . - tdx_boot_regs

	.section .note.GNU-stack, "", @progbits
