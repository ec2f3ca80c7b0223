/* SPDX-License-Identifier: MIT */
/*
 * The SEAM shim's entry: every LP starts here in real mode at SHIM_LOAD_PA (the BSP by the
 * jump in the reset ROM, the APs by the SIPI the BSP sends), goes to protected mode, then to
 * long mode with an identity map of the first 512 GiB in 1 GiB pages, and calls
 * shim_main(apic_id) on its own stack. Also: svm_run (the VMRUN round trip) and the interrupt
 * stubs. Facts: AMD APM vol. 2 (long-mode entry 14.6, VMRUN 15.5, VMLOAD/VMSAVE 15.5.2);
 * docs/SYSTEM.md.
 */
#define STACK_SIZE 0x4000

	.section .text.entry, "ax"
	.code16
	.globl _start
_start:
	cli
	cld
	mov	%cs, %ax
	mov	%ax, %ds
	lgdtl	gdt_desc - _start
	mov	%cr0, %eax
	or	$1, %eax
	mov	%eax, %cr0
	ljmpl	$0x08, $start32

	.code32
start32:
	mov	$0x10, %ax
	mov	%ax, %ds
	mov	%ax, %es
	mov	%ax, %ss
	mov	%ax, %fs
	mov	%ax, %gs
	/* the initial APIC ID: CPUID(1).EBX[31:24] */
	mov	$1, %eax
	cpuid
	shr	$24, %ebx
	mov	%ebx, %esi
	test	%esi, %esi
	jnz	1f
	/* the BSP builds the page tables (the host zeroed the region); the APs start later */
	mov	$shim_pdpt, %edi
	xor	%ecx, %ecx
2:	mov	%ecx, %eax
	and	$3, %eax
	shl	$30, %eax
	or	$0x83, %eax		/* present, writable, 1 GiB page */
	mov	%eax, (%edi,%ecx,8)
	mov	%ecx, %eax
	shr	$2, %eax
	mov	%eax, 4(%edi,%ecx,8)
	inc	%ecx
	cmp	$512, %ecx
	jne	2b
	mov	$shim_pdpt, %eax
	or	$3, %eax
	mov	%eax, shim_pml4
1:	mov	$shim_pml4, %eax
	mov	%eax, %cr3
	mov	%cr4, %eax
	or	$0x20, %eax		/* PAE */
	mov	%eax, %cr4
	mov	$0xC0000080, %ecx	/* EFER */
	rdmsr
	or	$0x900, %eax		/* LME, NXE */
	wrmsr
	mov	%cr0, %eax
	and	$0x9FFFFFFF, %eax	/* caches on (CD, NW clear) */
	or	$0x80010023, %eax	/* PG, WP, NE, PE */
	mov	%eax, %cr0
	ljmp	$0x18, $start64

	.code64
start64:
	mov	$0x10, %ax
	mov	%ax, %ds
	mov	%ax, %es
	mov	%ax, %ss
	xor	%eax, %eax
	mov	%ax, %fs
	mov	%ax, %gs
	/* stack: the top of this LP's slot; LPs beyond SHIM_MAX_LPS never get here */
	mov	%esi, %eax
	cmp	$8, %eax
	jae	3f
	inc	%eax
	shl	$14, %eax
	lea	shim_stacks(%rip), %rsp
	add	%rax, %rsp
	mov	%esi, %edi
	call	shim_main
3:	cli
	hlt
	jmp	3b

	.balign 8
gdt:
	.quad	0
	.quad	0x00CF9A000000FFFF	/* 0x08: 32-bit code */
	.quad	0x00CF92000000FFFF	/* 0x10: data */
	.quad	0x00AF9A000000FFFF	/* 0x18: 64-bit code */
gdt_end:
gdt_desc:
	.word	gdt_end - gdt - 1
	.long	gdt

	.text
/*
 * void svm_run(uint64_t vmcb_pa, uint64_t gpr[16]): load the guest's general registers,
 * VMLOAD, VMRUN with the host's interrupts enabled (a physical interrupt is an INTR exit, as
 * the VMCB intercepts it), store the guest's registers, restore CR4 and CR0, VMSAVE. The pending interrupt that
 * caused an INTR exit is taken by the shim at STGI. RAX and RSP are the VMCB's.
 */
	.globl svm_run
svm_run:
	push	%rbx
	push	%rbp
	push	%r12
	push	%r13
	push	%r14
	push	%r15
	mov	%cr4, %rax
	push	%rax			/* 24(%rsp) after the next two */
	mov	%cr0, %rax
	push	%rax			/* 16(%rsp) */
	push	%rsi
	push	%rdi
	mov	%rdi, %rax
	clgi
	vmload	%rax
	mov	1*8(%rsi), %rcx
	mov	2*8(%rsi), %rdx
	mov	3*8(%rsi), %rbx
	mov	5*8(%rsi), %rbp
	mov	7*8(%rsi), %rdi
	mov	8*8(%rsi), %r8
	mov	9*8(%rsi), %r9
	mov	10*8(%rsi), %r10
	mov	11*8(%rsi), %r11
	mov	12*8(%rsi), %r12
	mov	13*8(%rsi), %r13
	mov	14*8(%rsi), %r14
	mov	15*8(%rsi), %r15
	mov	6*8(%rsi), %rsi
	sti
	vmrun	%rax
	/* host RAX (the VMCB) and RSP are back; the other registers are the guest's */
	xchg	%rsi, 8(%rsp)
	mov	%rcx, 1*8(%rsi)
	mov	%rdx, 2*8(%rsi)
	mov	%rbx, 3*8(%rsi)
	mov	%rbp, 5*8(%rsi)
	mov	%rdi, 7*8(%rsi)
	mov	%r8, 8*8(%rsi)
	mov	%r9, 9*8(%rsi)
	mov	%r10, 10*8(%rsi)
	mov	%r11, 11*8(%rsi)
	mov	%r12, 12*8(%rsi)
	mov	%r13, 13*8(%rsi)
	mov	%r14, 14*8(%rsi)
	mov	%r15, 15*8(%rsi)
	mov	8(%rsp), %rcx
	mov	%rcx, 6*8(%rsi)
	/*
	 * Our CR4, then CR0, again: QEMU 7.2's #VMEXIT loads the host's CR0 before its CR4, and
	 * while the guest's CR4 (without PAE) is still in place it refuses to turn paging back on
	 * in long mode, so after a guest without PAE the shim would run on with CR0.PG clear
	 * (unnoticed: its map is the identity) and the next VMRUN would compute the nested
	 * paging mode from that. On a CPU without the flaw both writes change nothing.
	 */
	mov	24(%rsp), %rcx
	mov	%rcx, %cr4
	mov	16(%rsp), %rcx
	mov	%rcx, %cr0
	vmsave	%rax
	stgi
	cli
	pop	%rdi
	pop	%rsi
	add	$16, %rsp
	pop	%r15
	pop	%r14
	pop	%r13
	pop	%r12
	pop	%rbp
	pop	%rbx
	ret

/*
 * Interrupt and exception stubs: each pushes a dummy error code where the CPU pushes none,
 * then its vector, and goes to the common path, which saves the registers C may clobber and
 * calls shim_interrupt(vector, frame).
 */
	.macro	stub vec, has_error
	.balign 16
isr_\vec:
	.if \has_error == 0
	push	$0
	.endif
	push	$\vec
	jmp	isr_common
	.endm

	.irp	v, 0,1,2,3,4,5,6,7,9,15,16,18,19,20,22,23,24,25,26,27,28,31
	stub	\v, 0
	.endr
	.irp	v, 8,10,11,12,13,14,17,21,29,30
	stub	\v, 1
	.endr
	stub	0x40, 0
	stub	0x41, 0
	stub	0xff, 0

isr_common:
	push	%rax
	push	%rcx
	push	%rdx
	push	%rsi
	push	%rdi
	push	%r8
	push	%r9
	push	%r10
	push	%r11
	mov	9*8(%rsp), %rdi		/* vector */
	lea	10*8(%rsp), %rsi	/* error code, then the CPU's frame */
	call	shim_interrupt
	pop	%r11
	pop	%r10
	pop	%r9
	pop	%r8
	pop	%rdi
	pop	%rsi
	pop	%rdx
	pop	%rcx
	pop	%rax
	add	$16, %rsp
	iretq

	.section .rodata
	.balign 8
	.globl shim_isr_table
/* pairs: vector, stub */
shim_isr_table:
	.irp	v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	.quad	\v, isr_\v
	.endr
	.quad	0x40, isr_0x40
	.quad	0x41, isr_0x41
	.quad	0xff, isr_0xff
	.quad	-1, 0

	.section .note.GNU-stack, "", @progbits
