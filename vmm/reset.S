/* SPDX-License-Identifier: MIT */
/*
 * reset.S - the bytes of a TD's reset page (GPA TDXSIM_RESET_PAGE_GPA), as data of the VMM:
 * vmm/elf.c copies vmm_reset_page and writes the image's entry GPA into vmm_reset_entry.
 * The VMM adds and measures it, and the three page-table pages below it, on both backends,
 * so a guest's MRTD does not depend on the backend (docs/VMM.md "Image layout").
 *
 * Every vCPU starts at the reset vector, offset 0xFF0, with RBX = GPAW, RSI = its index,
 * RCX = R8 = TDH.VP.INIT's value, RDX = CPUID(1).EAX, R9 = the gate or 0 [VP.INIT]:
 *
 *  - natively in 64-bit mode at CPL3, at window base + 0xFFFFFFF0;
 *  - on the system backend in 32-bit protected mode at CPL0, paging off, flat segments,
 *    CR0 = PE | NE, EFER = LME | NXE | SCE, as TDX starts a vCPU (docs/SYSTEM.md).
 *
 * The first bytes tell the two apart: 48 is DEC EAX in 32-bit code and a REX.W prefix (of
 * NOP) in 64-bit code, so after XOR EAX,EAX only 32-bit code has EAX != 0. The 32-bit path
 * enters long mode (below) and lands, at the window's linear base, on the same 64-bit stub
 * the native path takes, which finds the base from its RIP and jumps to the ELF's entry.
 *
 * The 32-bit path writes EAX, EDI, EBP only (no stack, no CPUID: anything that could fault
 * or become a #VE here, before the guest has an IDT, would end the TD); the boot registers the
 * guest's crt keeps (RBX, RSI, RCX, RDX, R8, R9) reach the entry as TDX gave them.
 */
#include "tdxsim/boot.h"

#define RESET_GPA  TDXSIM_RESET_PAGE_GPA
#define PML4_GPA   TDXSIM_RESET_PML4_GPA
#define PDPT_GPA   TDXSIM_RESET_PDPT_GPA
#define IDMAP_GPA  TDXSIM_RESET_IDMAP_GPA
#define CODE64_SEL TDXSIM_SYSTEM_CODE_SEL
#define DATA_SEL   TDXSIM_SYSTEM_DATA_SEL

/* The GPA (= the linear address while paging is off or 1:1) of a label in the page. */
#define GPA(label) (RESET_GPA + ((label) - vmm_reset_page))

#define CR0_MP	       (1 << 1)
#define CR0_WP	       (1 << 16)
#define CR0_AM	       (1 << 18)
#define CR0_PG	       (1 << 31)
#define CR4_PAE	       (1 << 5)
#define CR4_OSFXSR     (1 << 9)
#define CR4_OSXMMEXCPT (1 << 10)

/* Paging-structure entries (SDM vol. 3A 4.5): present, writable, accessed; a 1 GiB leaf
 * also dirty and PS. A and D are set up front so the CPU never writes them back, and every
 * vCPU writing the same entries writes what is already there. */
#define TABLE 0x23
#define LEAF  0xE3

/* The window: 2W from TDXSIM_SYSTEM_WINDOW_BASE, the private half then the shared one. */
#define WINDOW_PML4_INDEX ((TDXSIM_SYSTEM_WINDOW_BASE >> 39) & 511)
#define WINDOW_GIB	  (TDXSIM_WINDOW_SIZE >> 30) /* 1 GiB entries in each half */
.if (TDXSIM_SYSTEM_WINDOW_BASE & ((1 << 39) - 1)) || (2 * WINDOW_GIB > 512) || (WINDOW_GIB % 4)
.error "the system window must be one PML4 entry's, in 1 GiB pages"
.endif
.if WINDOW_PML4_INDEX == 0
.error "the system window's PML4 entry must not be the 1:1 map's"
.endif

	.section .rodata.vmm_reset_page, "a"
	.balign 4096
	.globl vmm_reset_page
	.type vmm_reset_page, @object
vmm_reset_page:

/*
 * The system backend's 32-bit path (SDM vol. 3A 10.8.5, "Initializing IA-32e Mode"): CR4.PAE
 * (and the SSE bits the SDK's code needs) while paging is off, the tables, CR3, the GDT,
 * CR0.PG (EFER.LME is already set, so this activates IA-32e mode), then a far jump to a 64-bit
 * code segment. The code runs 1:1 (linear = GPA) before and after CR0.PG: the reset page's
 * gigabyte is mapped 1:1 for that.
 *
 * Every vCPU builds the tables, APs included (they start here too, there is no INIT/SIPI):
 * they all write the same values (GPAW is the TD's), so a vCPU already running on the tables
 * reads the same entry before, during (the two halves are written by separate 32-bit stores,
 * each the value already there) and after another's writes. That needs no flag and no wait,
 * and a vCPU does not depend on vCPU 0 having run first.
 */
	.code32
path32:
	movl %cr4, %eax				/* keep what TDX set (MCE, VMXE): a change */
	orl $(CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT), %eax	/* of those is a #VE */
	movl %eax, %cr4

	movl $(IDMAP_GPA | TABLE), PML4_GPA
	movl $0, PML4_GPA + 4
	movl $(PDPT_GPA | TABLE), PML4_GPA + 8 * WINDOW_PML4_INDEX
	movl $0, PML4_GPA + 8 * WINDOW_PML4_INDEX + 4
	movl $(0xC0000000 | LEAF), IDMAP_GPA + 8 * 3	/* [3 GiB, 4 GiB) 1:1 */
	movl $0, IDMAP_GPA + 8 * 3 + 4

	/*
	 * The window's PDPT: entry i < WINDOW_GIB maps private GPA i GiB, entry WINDOW_GIB + i
	 * the shared GPA i GiB (bit GPAW - 1 set: bit GPAW - 33 of the entry's upper half).
	 * EDI walks the entries; bits 31:30 of the GPA are i's low two bits, which is EDI << 27.
	 */
	movl $PDPT_GPA, %edi
1:	movl %edi, %ebp
	subl $PDPT_GPA, %ebp
	shrl $3, %ebp				/* i */
	cmpl $WINDOW_GIB, %ebp
	jb 2f
	subl $WINDOW_GIB, %ebp			/* the shared half: GiB i - WINDOW_GIB */
	shrl $2, %ebp
	leal -33(%ebx), %eax
	btsl %eax, %ebp				/* the shared bit */
	jmp 3f
2:	shrl $2, %ebp				/* bits 63:32 of i GiB */
3:	movl %edi, %eax
	shll $27, %eax
	orl $LEAF, %eax
	movl %eax, (%edi)
	movl %ebp, 4(%edi)
	addl $8, %edi
	cmpl $(PDPT_GPA + 8 * 2 * WINDOW_GIB), %edi
	jne 1b

	movl $PML4_GPA, %eax
	movl %eax, %cr3
	lgdtl GPA(gdtr)
	movl %cr0, %eax
	orl $(CR0_PG | CR0_AM | CR0_WP | CR0_MP), %eax
	movl %eax, %cr0
	ljmpl $CODE64_SEL, $GPA(long64)

	.code64
long64:
	movl $DATA_SEL, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	/*
	 * The SDM leaves the upper halves of the general registers undefined after 32-bit
	 * code (vol. 1 3.4.1.1): RBX, RSI and RDX are 32-bit values (zero-extended here), RCX
	 * the 64-bit one TDX also put in R8, which 32-bit code cannot reach.
	 */
	movl %ebx, %ebx
	movl %esi, %esi
	movl %edx, %edx
	movq %r8, %rcx
	xorl %edi, %edi				/* as TDX left them */
	xorl %ebp, %ebp
	movabsq $(TDXSIM_SYSTEM_WINDOW_BASE + GPA(stub64)), %rax
	jmpq *%rax

	.balign 8, 0xCC
gdt:	.quad 0
	.quad 0x00AF9B000000FFFF		/* 0x08: 64-bit code, DPL 0, accessed */
	.quad 0x00CF93000000FFFF		/* 0x10: data, writable, accessed */
gdt_end:
gdtr:	.word gdt_end - gdt - 1
	.long GPA(gdt)

/*
 * The 64-bit stub, on both backends at window base + its GPA: the base is LEA 0(%rip) minus
 * that instruction's end GPA, the entry base + the entry GPA (vmm_reset_entry, written by the
 * VMM). Clobbers RAX (= the entry address) and R11 (zeroed), nothing the crt reads.
 */
	.org vmm_reset_page + 0xF80, 0xCC
stub64:
	leaq 0(%rip), %rax
lea_end:
	movabsq $GPA(lea_end), %r11
	subq %r11, %rax
	.byte 0x49, 0xBB			/* movabs $entry_gpa, %r11 */
	.globl vmm_reset_entry
vmm_reset_entry:
	.quad 0
	addq %r11, %rax
	xorl %r11d, %r11d
	jmpq *%rax

/* The reset vector: 32-bit code takes the JNZ (rel32 in both modes), 64-bit code the JMP. */
	.org vmm_reset_page + 0xFF0, 0xCC
	xorl %eax, %eax
	.byte 0x48, 0x90			/* 32-bit: dec %eax; nop. 64-bit: rex.W nop */
	testl %eax, %eax
	.byte 0x0F, 0x85			/* jnz path32 */
	.long path32 - (. + 4)
	jmp stub64
	.org vmm_reset_page + 0x1000, 0xCC
	.size vmm_reset_page, . - vmm_reset_page

	.section .note.GNU-stack, "", @progbits
