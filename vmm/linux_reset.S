/* SPDX-License-Identifier: MIT */
/*
 * linux_reset.S - the reset page of a Linux TD (GPA TDXSIM_RESET_PAGE_GPA), as data of the
 * VMM: vmm/linux_boot.c copies vmm_linux_reset_page and fills its parameter block
 * (LINUX_RESET_*, vmm/linux_boot.h). It is added and measured like every page of the image.
 *
 * Every vCPU starts at 0xFFFFFFF0 in 32-bit protected mode, paging off, flat segments,
 * CR0 = PE | NE, EFER.LME already set, RSI = its index [VP.INIT]. Each one:
 *   - sets CR4.PAE, loads CR3 with the identity map of [0, 4 GiB) (LINUX_PML4_GPA) and a GDT
 *     with the boot protocol's selectors (0x10 64-bit code, 0x18 data), sets CR0.PG (which,
 *     with LME, activates IA-32e mode) and far-jumps to 64-bit code;
 *   - vCPU 0 accepts the TD's memory [0, accept end) with TDG.MEM.PAGE.ACCEPT, 2 MiB at a
 *     time, 4 KiB pages where a 2 MiB accept fails (a range with pages the VMM added, or one
 *     the VMM could only back with 4 KiB pages); pages already accepted just fail; then it
 *     jumps to the kernel's 64-bit entry with RSI = boot_params and RSP = the boot stack;
 *   - every other vCPU waits on the ACPI wake-up mailbox until its command is WAKEUP (1) for
 *     its APIC ID (= its index, as the MADT says), clears the command (the kernel waits for
 *     that) and jumps to the wake-up vector, in 64-bit mode on the identity map.
 * Nothing here can take an exception: there is no IDT, and a #VE or fault would end the TD.
 */
#include "tdxsim/boot.h"
#include "vmm/linux_boot.h"

#define GPA(label) (TDXSIM_RESET_PAGE_GPA + ((label) - vmm_linux_reset_page))

#define CR0_PG	(1 << 31)
#define CR4_PAE (1 << 5)

	.section .rodata.vmm_linux_reset_page, "a"
	.balign 4096
	.globl vmm_linux_reset_page
	.type vmm_linux_reset_page, @object
vmm_linux_reset_page:

	.code32
path32:
	movl %cr4, %eax				/* keep what TDX set (MCE, VMXE) */
	orl $CR4_PAE, %eax
	movl %eax, %cr4
	movl GPA(p_cr3), %eax
	movl %eax, %cr3
	lgdtl GPA(gdtr)
	movl %cr0, %eax
	orl $CR0_PG, %eax
	movl %eax, %cr0
	ljmpl $LINUX_BOOT_CS, $GPA(long64)

	.code64
long64:
	movl $LINUX_BOOT_DS, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	movl %eax, %fs
	movl %eax, %gs
	movl %esi, %esi				/* the vCPU index, zero-extended */
	testl %esi, %esi
	jnz ap_wait

	/* vCPU 0: accept [0, accept end). R13 = the next GPA (2 MiB aligned), R12 = the end. */
	movq p_accept_end(%rip), %r12
	xorl %r13d, %r13d
1:	cmpq %r12, %r13
	jae 5f
	movq %r12, %rax
	subq %r13, %rax
	cmpq $0x200000, %rax
	jb 3f					/* less than 2 MiB left: 4 KiB pages */
	leaq 1(%r13), %rcx			/* GPA | level 1 (2 MiB) */
	movl $LINUX_TDG_MEM_PAGE_ACCEPT, %eax
	.byte 0x66, 0x0F, 0x01, 0xCC		/* tdcall */
	testq %rax, %rax
	jnz 3f
	addq $0x200000, %r13
	jmp 1b
3:	leaq 0x200000(%r13), %r14		/* 4 KiB pages of [R13, min(R13 + 2 MiB, end)) */
	cmpq %r12, %r14
	cmovaq %r12, %r14
4:	movq %r13, %rcx				/* GPA | level 0 */
	movl $LINUX_TDG_MEM_PAGE_ACCEPT, %eax
	.byte 0x66, 0x0F, 0x01, 0xCC		/* tdcall */
	addq $0x1000, %r13
	cmpq %r14, %r13
	jb 4b
	jmp 1b

5:	movq p_boot_params(%rip), %rsi		/* the 64-bit boot protocol: RSI = boot_params */
	movq p_stack_top(%rip), %rsp
	movq p_entry(%rip), %rax
	xorl %ebp, %ebp
	xorl %edi, %edi
	xorl %r12d, %r12d
	xorl %r13d, %r13d
	xorl %r14d, %r14d
	jmpq *%rax

	/* The other vCPUs: the mailbox's command, then its APIC ID; PAUSE, no HLT (#VE). */
ap_wait:
	movq p_mailbox(%rip), %rdi
6:	pause
	cmpw $LINUX_MAILBOX_WAKEUP, LINUX_MAILBOX_COMMAND(%rdi)
	jne 6b
	cmpl %esi, LINUX_MAILBOX_APIC_ID(%rdi)
	jne 6b
	movq LINUX_MAILBOX_VECTOR(%rdi), %rax
	movw $0, LINUX_MAILBOX_COMMAND(%rdi)	/* after reading the vector: the kernel goes on */
	jmpq *%rax

	.balign 8, 0xCC
gdt:	.quad 0
	.quad 0
	.quad 0x00AF9B000000FFFF		/* 0x10: 64-bit code, DPL 0, accessed */
	.quad 0x00CF93000000FFFF		/* 0x18: data, writable, accessed */
gdt_end:
gdtr:	.word gdt_end - gdt - 1
	.long GPA(gdt)

	/* The parameter block, filled in by linux_reset_page(). */
	.org vmm_linux_reset_page + LINUX_RESET_CR3, 0xCC
p_cr3:		.quad 0
	.org vmm_linux_reset_page + LINUX_RESET_BOOT_PARAMS
p_boot_params:	.quad 0
	.org vmm_linux_reset_page + LINUX_RESET_ENTRY
p_entry:	.quad 0
	.org vmm_linux_reset_page + LINUX_RESET_ACCEPT_END
p_accept_end:	.quad 0
	.org vmm_linux_reset_page + LINUX_RESET_MAILBOX
p_mailbox:	.quad 0
	.org vmm_linux_reset_page + LINUX_RESET_STACK_TOP
p_stack_top:	.quad 0

	/* The reset vector: a near jump back to the 32-bit path. */
	.org vmm_linux_reset_page + 0xFF0, 0xCC
	.byte 0xE9
	.long path32 - (. + 4)
	.org vmm_linux_reset_page + 0x1000, 0xCC
	.size vmm_linux_reset_page, . - vmm_linux_reset_page

	.section .note.GNU-stack, "", @progbits
