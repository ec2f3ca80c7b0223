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
 */
#define R_X86_64_NONE	  0
#define R_X86_64_RELATIVE 8

	.section .text.entry, "ax"
	.globl _start
	.type _start, @function
_start:
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
	.size _start, . - _start

	.data
	.balign 8
	.globl tdx_boot_regs
	.type tdx_boot_regs, @object
tdx_boot_regs:
	.fill 16, 8, 0
	.size tdx_boot_regs, . - tdx_boot_regs

	.section .note.GNU-stack, "", @progbits
