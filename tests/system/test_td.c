// SPDX-License-Identifier: MIT
/*
 * TDs run by the software TDX module on the system backend (docs/SYSTEM.md "How the module
 * runs a TD"): a TD built with the module's SEAMCALLs (tests/module/td_harness.c) whose vCPUs
 * start as TDX starts them, at 0xFFFFFFF0 in 32-bit protected mode, enter long mode on page
 * tables the test added as TD pages, and then at CPL0:
 *
 *  - TDG.VP.INFO answered by the module, its values carried to the host by a TDG.VP.VMCALL
 *    TD exit with exact registers, and the host's values back into the guest;
 *  - a #VE for port I/O and one for a load from an MMIO shared GPA (suppress-#VE clear),
 *    with the VE info TDG.VP.VEINFO.GET gives the guest's own IDT handler;
 *  - a self-IPI sent with interrupts disabled, delivered through the guest's IDT when STI's
 *    shadow ends (the backend's interrupt-window exit), and one posted by the host (the PID
 *    and the notification vector, lp_send_ipi) while the guest spins;
 *  - an idle LP costing QEMU nothing; two vCPUs on two LPs in parallel; teardown with every
 *    page back and the backend free to change;
 *  - an exit taken while a #PF or an interrupt was being delivered (EXITINTINFO): the event
 *    delivered again, exactly once, with its vector, error code and frame;
 *  - the round trip of a TD exit through the module (printed).
 * Skips (77) when qemu-system-x86_64 is not installed.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "../module/td_harness.h"
#include "platform/system/system.h"
#include "raw_td.h"
#include "td.h"
#include "tdx/leaves.h"
#include "tdx/pi.h"

asm(TDX_LEAVES_ASM_EQU);

/* The TD's pages: page tables, data (IDT, results, stack), code with the reset vector. */
#define PML4_GPA 0xFFFFC000ULL
#define PDPT_GPA 0xFFFFD000ULL
#define DATA_GPA 0xFFFFE000ULL
#define CODE_GPA 0xFFFFF000ULL
/* The guest maps linear [1 GiB, 2 GiB) to the shared GPA 1 << 47 | 1 GiB (MMIO). */
#define MMIO_GPA ((1ULL << 47) | 0x40000000ULL)
/* Data page: IDT at 0 (vectors 0..0x4F), IDTR at 0x800, VE info records at 0x900. */
#define D_IRQ_COUNT 0x8F0 /* interrupts the guest's irq_handler took */
#define D_VE_COUNT  0x8F8
#define D_VE	    0x900 /* 5 x u64 per #VE: RCX, RDX, R8, R9, R10 of VEINFO.GET */
/* Code page: the 64-bit routine the prologue jumps to, a u64 at this offset. */
#define C_ENTRY 0xFE0

extern const uint8_t sys_guest[], sys_guest_end[], sys_entry_slot[];
extern const uint8_t r_info[], r_ve[], r_irq[], r_irq_spin[], r_loop[], r_irq_mark[], r_hlt[],
	r_spin[], r_vec[], r_vec_fault[], r_vec_after[], r_vec_irq[], r_vec_irq_mark[];
/* clang-format off */
__asm__(".pushsection .rodata\n"
	".globl sys_guest, sys_guest_end, r_info, r_ve, r_irq, r_irq_spin, r_loop, r_irq_mark\n"
	".globl r_hlt, r_spin, r_vec, r_vec_fault, r_vec_after, r_vec_irq, r_vec_irq_mark\n"
	".set CODE, 0xFFFFF000\n"
	"sys_guest:\n"
	/* 32-bit protected mode, paging off, as TDH.VP.INIT leaves the vCPU */
	".code32\n"
	"	movl %cr4, %eax\n"
	"	orl $0x20, %eax\n"			/* PAE */
	"	movl %eax, %cr4\n"
	"	movl $0xFFFFC000, %eax\n"
	"	movl %eax, %cr3\n"
	"	lgdtl CODE + (gdtr - sys_guest)\n"
	"	movl %cr0, %eax\n"
	"	orl $0x80000000, %eax\n"		/* PG: EFER.LME is set, so long mode */
	"	movl %eax, %cr0\n"
	"	ljmpl $0x08, $(CODE + (long64 - sys_guest))\n"
	".code64\n"
	"long64:\n"
	"	movl $0x10, %eax\n"
	"	movl %eax, %ds\n"
	"	movl %eax, %es\n"
	"	movl %eax, %ss\n"
	"	movl $0xFFFFF000, %esp\n"		/* the top of the data page */
	"	movl $0xFFFFE000, %edi\n"		/* the IDT */
	"	leaq df_handler(%rip), %rax\n"
	"	movl $8, %esi\n"
	"	call set_gate\n"
	"	leaq ve_handler(%rip), %rax\n"
	"	movl $20, %esi\n"
	"	call set_gate\n"
	"	leaq irq_handler(%rip), %rax\n"
	"	movl $0x40, %esi\n"
	"	call set_gate\n"
	"	leaq irq_handler(%rip), %rax\n"
	"	movl $0x41, %esi\n"
	"	call set_gate\n"
	"	movw $0x4ff, 0x800(%rdi)\n"
	"	movq %rdi, 0x802(%rdi)\n"
	"	lidt 0x800(%rdi)\n"
	"	movl $(CODE + 0xFE0), %eax\n"
	"	jmp *(%rax)\n"
	/* RDI = IDT, ESI = vector, RAX = handler: a 64-bit interrupt gate, selector 0x08 */
	"set_gate:\n"
	"	shll $4, %esi\n"
	"	movq %rax, %rdx\n"
	"	andl $0xffff, %edx\n"
	"	movq %rax, %rcx\n"
	"	shrq $16, %rcx\n"
	"	andl $0xffff, %ecx\n"
	"	shlq $48, %rcx\n"
	"	orq %rcx, %rdx\n"
	"	movabsq $0x00008e0000080000, %rcx\n"
	"	orq %rcx, %rdx\n"
	"	movq %rdx, (%rdi,%rsi)\n"
	"	shrq $32, %rax\n"
	"	movq %rax, 8(%rdi,%rsi)\n"
	"	ret\n"
	/* TDG.VP.INFO, its outputs to the host, then the host's values back and out again */
	"r_info:\n"
	"	movl $TDG_VP_INFO, %eax\n"
	"	.byte 0x66, 0x0f, 0x01, 0xcc\n"
	"	movq %rcx, %r12\n"
	"	movq %rdx, %r13\n"
	"	movq %r8, %r14\n"
	"	movq %r9, %r15\n"
	"	movq %r10, %rbx\n"
	"	movq %r11, %rdi\n"
	"	xorl %r10d, %r10d\n"
	"	movl $0x1234, %r11d\n"
	"	movl $0xFC88, %ecx\n"			/* RBX, RDI, R10-R15 */
	"	movl $TDG_VP_VMCALL, %eax\n"
	"	.byte 0x66, 0x0f, 0x01, 0xcc\n"
	"	movq %rax, %rbx\n"			/* TDG.VP.VMCALL's status */
	"	addq $1, %r12\n"
	"	addq %r13, %r14\n"
	"	movl $0xFC88, %ecx\n"
	"	movl $TDG_VP_VMCALL, %eax\n"
	"	.byte 0x66, 0x0f, 0x01, 0xcc\n"
	"	ud2\n"
	/* port I/O, then MMIO: two #VEs; the records to the host */
	"r_ve:\n"
	"	outb %al, $0x80\n"
	"	movq 0x40000000, %rax\n"
	"	movl $0xFFFFE000, %edi\n"
	"	movq 0x8f8(%rdi), %rbx\n"
	"	movq 0x900(%rdi), %r12\n"		/* I/O: reason */
	"	movq 0x908(%rdi), %r13\n"		/* qualification */
	"	movq 0x920(%rdi), %r14\n"		/* length and information */
	"	movq 0x918(%rdi), %r15\n"		/* GPA */
	"	movq 0x928(%rdi), %rsi\n"		/* MMIO: reason */
	"	movq 0x930(%rdi), %r8\n"		/* qualification */
	"	movq 0x938(%rdi), %r9\n"		/* GLA */
	"	movq 0x940(%rdi), %r10\n"		/* GPA */
	"	movq 0x948(%rdi), %r11\n"		/* length and information */
	"	movl $0xFFC8, %ecx\n"			/* RBX, RSI, RDI, R8-R15 */
	"	movl $TDG_VP_VMCALL, %eax\n"
	"	.byte 0x66, 0x0f, 0x01, 0xcc\n"
	"	ud2\n"
	/* a self-IPI while IF = 0: taken after STI's shadow (the NOP) */
	"r_irq:\n"
	"	cli\n"
	"	movl $0x83f, %ecx\n"			/* IA32_X2APIC_SELF_IPI */
	"	movl $0x40, %eax\n"
	"	xorl %edx, %edx\n"
	"	wrmsr\n"
	"	movl $1, %r12d\n"
	"	sti\n"
	"	nop\n"
	"r_irq_mark:\n"
	"	movl $2, %r12d\n"
	"	movl $0xF000, %ecx\n"			/* R12-R15 */
	"	movl $TDG_VP_VMCALL, %eax\n"
	"	.byte 0x66, 0x0f, 0x01, 0xcc\n"
	/* then spin with IF = 1 until the host's posted interrupt (0x41) comes */
	"r_irq_spin:\n"
	"	cmpl $0x41, %r13d\n"
	"	jne r_irq_spin\n"
	"	movl $0xF000, %ecx\n"
	"	movl $TDG_VP_VMCALL, %eax\n"
	"	.byte 0x66, 0x0f, 0x01, 0xcc\n"
	"	ud2\n"
	/* HLT: a #VE (reason 12); then TDG.VP.VMCALL<Instruction.HLT> as a guest kernel halts */
	"r_hlt:\n"
	"	sti\n"
	"	hlt\n"
	"	movl $0xFFFFE000, %edi\n"
	"	movq 0x900(%rdi), %r12\n"
	"	movq 0x920(%rdi), %r13\n"
	"	xorl %r10d, %r10d\n"
	"	movl $12, %r11d\n"			/* Instruction.HLT */
	"	movl $0x3C00, %ecx\n"			/* R10-R13 */
	"	movl $TDG_VP_VMCALL, %eax\n"
	"	.byte 0x66, 0x0f, 0x01, 0xcc\n"
	"	ud2\n"
	/* a spin with interrupts enabled: only a kick or the timer brings it out */
	"r_spin:\n"
	"	sti\n"
	"1:	jmp 1b\n"
	/* a #PF (a write to the unmapped linear 0x1000) delivered with the stack on the shared
	 * page at linear 0x40001000, which the VMM has not mapped; the handler counts in R12 and
	 * takes the error code, CR2 and the frame's RIP, and resumes after the write */
	"r_vec:\n"
	"	movl $0xFFFFE000, %edi\n"
	"	leaq pf_handler(%rip), %rax\n"
	"	movl $14, %esi\n"
	"	call set_gate\n"
	"	xorl %r12d, %r12d\n"
	"	movl $0x40002000, %esp\n"
	"r_vec_fault:\n"
	"	movq %rax, 0x1000\n"
	"r_vec_after:\n"
	"	movl $0xF000, %ecx\n"			/* R12-R15 */
	"	movl $TDG_VP_VMCALL, %eax\n"
	"	.byte 0x66, 0x0f, 0x01, 0xcc\n"
	"	jmp r_vec_after\n"
	"pf_handler:\n"
	"	incq %r12\n"
	"	movq (%rsp), %r13\n"			/* the error code */
	"	movq %cr2, %r14\n"
	"	movq 8(%rsp), %r15\n"			/* the frame's RIP */
	"	leaq r_vec_after(%rip), %rax\n"
	"	movq %rax, 8(%rsp)\n"
	"	addq $8, %rsp\n"
	"	iretq\n"
	/* a self-IPI taken after STI's shadow with the stack on the shared page at linear
	 * 0x40002000, which the VMM has not mapped: an interrupt, which nothing raises again */
	"r_vec_irq:\n"
	"	movl $0x40003000, %esp\n"
	"	cli\n"
	"	movl $0x83f, %ecx\n"			/* IA32_X2APIC_SELF_IPI */
	"	movl $0x40, %eax\n"
	"	xorl %edx, %edx\n"
	"	wrmsr\n"
	"	movl $1, %r12d\n"
	"	sti\n"
	"	nop\n"
	"r_vec_irq_mark:\n"
	"	movl $2, %r12d\n"
	"1:	movl $0xF000, %ecx\n"			/* R12-R15 */
	"	movl $TDG_VP_VMCALL, %eax\n"
	"	.byte 0x66, 0x0f, 0x01, 0xcc\n"
	"	jmp 1b\n"
	/* TDG.VP.VMCALL in a loop, R12 counting */
	"r_loop:\n"
	"	xorl %r12d, %r12d\n"
	"1:	incq %r12\n"
	"	movl $0x1000, %ecx\n"			/* R12 */
	"	movl $TDG_VP_VMCALL, %eax\n"
	"	.byte 0x66, 0x0f, 0x01, 0xcc\n"
	"	jmp 1b\n"
	/* #VE: VEINFO.GET, record, skip the instruction (MMIO: the 8-byte load), IRETQ */
	"ve_handler:\n"
	"	pushq %rax\n"
	"	pushq %rcx\n"
	"	pushq %rdx\n"
	"	pushq %r8\n"
	"	pushq %r9\n"
	"	pushq %r10\n"
	"	pushq %rdi\n"
	"	pushq %rsi\n"
	"	movl $TDG_VP_VEINFO_GET, %eax\n"
	"	.byte 0x66, 0x0f, 0x01, 0xcc\n"
	"	movl $0xFFFFE000, %edi\n"
	"	imulq $40, 0x8f8(%rdi), %rsi\n"
	"	movq %rcx, 0x900(%rdi,%rsi)\n"
	"	movq %rdx, 0x908(%rdi,%rsi)\n"
	"	movq %r8, 0x910(%rdi,%rsi)\n"
	"	movq %r9, 0x918(%rdi,%rsi)\n"
	"	movq %r10, 0x920(%rdi,%rsi)\n"
	"	incq 0x8f8(%rdi)\n"
	"	movl %r10d, %eax\n"
	"	cmpl $48, %ecx\n"			/* EPT violation: no length, the load's 8 */
	"	jne 1f\n"
	"	movl $8, %eax\n"
	"1:	addq %rax, 64(%rsp)\n"			/* the frame's RIP, above 8 pushes */
	"	popq %rsi\n"
	"	popq %rdi\n"
	"	popq %r10\n"
	"	popq %r9\n"
	"	popq %r8\n"
	"	popq %rdx\n"
	"	popq %rcx\n"
	"	popq %rax\n"
	"	iretq\n"
	/* an interrupt: R13 = its vector (from the frame's RIP), R14 = the frame's RIP,
	 * R15 = R12 when it came; EOI */
	"irq_handler:\n"
	"	movq (%rsp), %r14\n"
	"	movq %r12, %r15\n"
	"	pushq %rax\n"
	"	pushq %rcx\n"
	"	pushq %rdx\n"
	"	movl $0xFFFFE000, %eax\n"
	"	incq 0x8f0(%rax)\n"			/* interrupts taken */
	"	movl $0x40, %r13d\n"
	"	movl $0x8b, %ecx\n"			/* ISR bits of vectors 0x40-0x5F: 0x812 */
	"	movl $0x812, %ecx\n"
	"	rdmsr\n"
	"	testl $2, %eax\n"
	"	jz 2f\n"
	"	movl $0x41, %r13d\n"
	"2:	movl $0x80b, %ecx\n"			/* EOI */
	"	xorl %eax, %eax\n"
	"	xorl %edx, %edx\n"
	"	wrmsr\n"
	"	popq %rdx\n"
	"	popq %rcx\n"
	"	popq %rax\n"
	"	iretq\n"
	/* #DF: report it */
	"df_handler:\n"
	"	movl $0xdf, %r12d\n"
	"	movl $0x1000, %ecx\n"
	"	movl $TDG_VP_VMCALL, %eax\n"
	"	.byte 0x66, 0x0f, 0x01, 0xcc\n"
	"	ud2\n"
	"	.balign 8\n"
	"gdt:\n"
	"	.quad 0\n"
	"	.quad 0x00af9b000000ffff\n"		/* 0x08: 64-bit code, accessed */
	"	.quad 0x00cf93000000ffff\n"		/* 0x10: data, accessed */
	"gdtr:\n"
	"	.word 23\n"
	"	.long CODE + (gdt - sys_guest)\n"
	"sys_guest_end:\n"
	".popsection\n");
/* clang-format on */

static bool have_qemu;

static uint64_t guest_addr(const uint8_t *label)
{
	return CODE_GPA + (uint64_t)(label - sys_guest);
}

static int setup(void **state)
{
	char err[1024];
	int r;

	if (td_machine_setup(state))
		return -1;
	platform_claim_signals();
	r = system_backend_start(NULL, err, sizeof(err));
	if (r == -ENOENT) {
		printf("SKIP: %s\n", err);
		return 0;
	}
	if (r) {
		printf("system_backend_start: %s\n", err);
		return -1;
	}
	have_qemu = true;
	td_path = PATH_GATE;
	return 0;
}

static int teardown(void **state)
{
	/* The module's TDs (their spaces) go first, then QEMU, then the machine. */
	tdx_module_unload();
	assert_int_equal(platform_set_cpu_backend(NULL), 0);
	system_backend_stop();
	return td_machine_teardown(state);
}

/* A TD of nr_vcpus vCPUs running the guest above, its routine `entry`. */
static void build(struct test_td *td, unsigned int nr_vcpus, const uint8_t *entry,
		  uint64_t *data_hpa)
{
	static uint8_t code[4096], data[4096], pml4[4096], pdpt[4096];
	struct td_params p;
	uint64_t e = guest_addr(entry);

	if (!have_qemu)
		skip();
	td_code_page(code, sys_guest, sys_guest_end);
	memcpy(code + C_ENTRY, &e, 8);
	memset(data, 0, sizeof(data));
	memset(pml4, 0, sizeof(pml4));
	memset(pdpt, 0, sizeof(pdpt));
	((uint64_t *)pml4)[0] = PDPT_GPA | 0x23;      /* P, RW, A */
	((uint64_t *)pdpt)[1] = MMIO_GPA | 0xE3;      /* 1 GiB: P, RW, A, D, PS */
	((uint64_t *)pdpt)[3] = 0xC0000000ULL | 0xE3; /* [3 GiB, 4 GiB) 1:1 */
	td_params_default(&p);
	assert_int_equal(td_create(td, TD_HKID), 0);
	assert_int_equal(td_init(td, &p), 0);
	for (unsigned int i = 0; i < nr_vcpus; i++)
		assert_int_equal(td_add_vcpu(td), 0);
	assert_int_equal(td_sept_map(td, CODE_GPA), 0);
	assert_int_equal(td_page_add(td, PML4_GPA, pml4, false), 0);
	assert_int_equal(td_page_add(td, PDPT_GPA, pdpt, false), 0);
	assert_int_equal(td_page_add(td, DATA_GPA, data, false), 0);
	if (data_hpa)
		*data_hpa = td->last_page;
	assert_int_equal(td_page_add(td, CODE_GPA, code, false), 0);
	assert_int_equal(td_finalize(td), 0);
}

static uint64_t enter(struct test_td *td, unsigned int v, struct tdx_module_args *a)
{
	*a = (struct tdx_module_args){.rcx = td->tdvpr[v]};
	return td_call(TDH_VP_ENTER, a);
}

static void test_tdcall_and_tdvmcall(void **state)
{
	struct tdx_module_args a;
	struct test_td td;

	(void)state;
	build(&td, 1, r_info, NULL);
	/* TDG.VP.INFO's outputs, exposed by the TDG.VP.VMCALL: exactly these, the rest 0 */
	assert_int_equal(enter(&td, 0, &a), EXIT_REASON_TDCALL);
	assert_int_equal(a.rcx, 0xFC88);
	assert_int_equal(a.r12, 48);		   /* GPAW */
	assert_int_equal(a.r13, 0);		   /* ATTRIBUTES */
	assert_int_equal(a.r14, 1 | (8ULL << 32)); /* NUM_VCPUS, MAX_VCPUS */
	assert_int_equal(a.r15, 0);		   /* VCPU_INDEX */
	assert_int_equal(a.rbx, TDG_VP_INFO_SYS_RD_AVAILABLE);
	assert_int_equal(a.rdi, 0);
	assert_int_equal(a.r10, 0);
	assert_int_equal(a.r11, 0x1234);
	assert_int_equal(a.rdx | a.r8 | a.r9 | a.rsi, 0);

	/* The host's values go back into the exposed registers; RAX = 0 in the guest */
	a = (struct tdx_module_args){
		.rcx = td.tdvpr[0], .r12 = 100, .r13 = 5, .r14 = 7, .rbx = 0xAA, .r10 = 3};
	assert_int_equal(td_call(TDH_VP_ENTER, &a), EXIT_REASON_TDCALL);
	assert_int_equal(a.rcx, 0xFC88);
	assert_int_equal(a.rbx, 0); /* TDG.VP.VMCALL's status in the guest */
	assert_int_equal(a.r12, 101);
	assert_int_equal(a.r14, 12); /* 7 + 5 */
	assert_int_equal(a.r10, 3);
	assert_int_equal(td_teardown(&td), 0);
}

static void test_ve_io_and_mmio(void **state)
{
	struct tdx_module_args a;
	struct test_td td;

	(void)state;
	build(&td, 1, r_ve, NULL);
	assert_int_equal(enter(&td, 0, &a), EXIT_REASON_TDCALL);
	assert_int_equal(a.rcx, 0xFFC8);
	assert_int_equal(a.rbx, 2); /* two #VEs */
	/* OUT imm8 of one byte to port 0x80: exit reason 30, qualification, length 2 */
	assert_int_equal(a.r12, EXIT_REASON_IO_INSTRUCTION);
	assert_int_equal(a.r13, (0x80ULL << 16) | (1 << 6));
	assert_int_equal(a.r14 & 0xFFFFFFFF, 2);
	assert_int_equal(a.r15, 0);
	/* The load from the MMIO GPA: an EPT violation (a read), its GPA, no GLA from SVM */
	assert_int_equal(a.rsi, EXIT_REASON_EPT_VIOLATION);
	assert_int_equal(a.r8, EXIT_QUAL_EPT_READ);
	assert_int_equal(a.r9, 0);
	assert_int_equal(a.r10, MMIO_GPA);
	assert_int_equal(a.r11, 0);
	assert_int_equal(td_teardown(&td), 0);
}

/*
 * An exit taken while an event was being delivered (EXITINTINFO) delivers that event again,
 * exactly once, with its vector and error code: the guest's #PF handler's first push lands on
 * a shared page the VMM owns (suppress-#VE set) and has not mapped, so the delivery is an
 * EPT violation TD exit; the VMM maps the page and the #PF comes, once, as it was. (A fault
 * would also come again from the write itself if the backend dropped it: the interrupt of the
 * next test is the event a lost re-injection cannot hide.)
 */
#define VEC_STACK_GPA 0x40001000ULL /* linear = GPA without the shared bit (pdpt[1]) */
static void test_exit_during_delivery(void **state)
{
	struct tdx_module_args a;
	struct test_td td;
	const uint64_t *frame;
	uint64_t page;

	(void)state;
	build(&td, 1, r_vec, NULL);
	assert_int_equal(td_window_set_suppress_ve(td.window, VEC_STACK_GPA, 4096, true), 0);
	/* the first push of the #PF's frame (SS, at RSP - 8): a write, a TD exit to the VMM */
	assert_int_equal(enter(&td, 0, &a), EXIT_REASON_EPT_VIOLATION);
	assert_true(a.rcx & EXIT_QUAL_EPT_WRITE);
	assert_int_equal(a.r8, (1ULL << 47) | (VEC_STACK_GPA + 0xFF8));

	page = td_page_alloc();
	memset(phys_host_va(page), 0, 4096);
	assert_int_equal(
		td_window_map(td.window, VEC_STACK_GPA, true, page, PROT_READ | PROT_WRITE), 0);
	/* the #PF, delivered once: error code 2 (a write, not present, CPL0), CR2, its RIP */
	a = (struct tdx_module_args){.rcx = td.tdvpr[0]};
	assert_int_equal(td_call(TDH_VP_ENTER, &a), EXIT_REASON_TDCALL);
	assert_int_equal(a.rcx, 0xF000);
	assert_int_equal(a.r12, 1);
	assert_int_equal(a.r13, 2);
	assert_int_equal(a.r14, 0x1000);
	assert_int_equal(a.r15, guest_addr(r_vec_fault));
	/* the frame on the page: error code, RIP (the handler's), CS, RFLAGS, RSP, SS */
	frame = (const uint64_t *)((const uint8_t *)phys_host_va(page) + 0xFD0);
	assert_int_equal(frame[0], 2);
	assert_int_equal(frame[1], guest_addr(r_vec_after));
	assert_int_equal(frame[2], 0x08);
	/* ZF and PF from the XOR before the write; RF, which a CPU may set for a fault, aside */
	assert_int_equal(frame[3] & ~(1ULL << 16), 0x46);
	assert_int_equal(frame[4], VEC_STACK_GPA + 0x1000);
	assert_int_equal(frame[5], 0x10);
	/* and never again on later entries (R12, exposed, goes back as the host gives it) */
	a = (struct tdx_module_args){.rcx = td.tdvpr[0], .r12 = 1};
	assert_int_equal(td_call(TDH_VP_ENTER, &a), EXIT_REASON_TDCALL);
	assert_int_equal(a.r12, 1);
	assert_int_equal(td_window_unmap(td.window, VEC_STACK_GPA, true), 0);
	assert_int_equal(td_teardown(&td), 0);
}

/*
 * The same with an interrupt, which, unlike the #PF, nothing raises again: without the
 * backend's re-injection it would be lost (the module took it out of the IRR when it
 * injected it).
 */
#define VEC_IRQ_STACK_GPA 0x40002000ULL
static void test_exit_during_interrupt_delivery(void **state)
{
	struct tdx_module_args a;
	struct test_td td;
	const uint64_t *frame;
	uint64_t page, data_hpa;

	(void)state;
	build(&td, 1, r_vec_irq, &data_hpa);
	assert_int_equal(td_window_set_suppress_ve(td.window, VEC_IRQ_STACK_GPA, 4096, true), 0);
	assert_int_equal(enter(&td, 0, &a), EXIT_REASON_EPT_VIOLATION);
	assert_true(a.rcx & EXIT_QUAL_EPT_WRITE);
	assert_int_equal(a.r8, (1ULL << 47) | (VEC_IRQ_STACK_GPA + 0xFF8));
	assert_int_equal(*(uint64_t *)((uint8_t *)phys_seam_va(data_hpa) + D_IRQ_COUNT), 0);

	page = td_page_alloc();
	memset(phys_host_va(page), 0, 4096);
	assert_int_equal(
		td_window_map(td.window, VEC_IRQ_STACK_GPA, true, page, PROT_READ | PROT_WRITE), 0);
	/* vector 0x40 taken once, at the instruction after the NOP, with R12 = 1 then */
	a = (struct tdx_module_args){.rcx = td.tdvpr[0]};
	assert_int_equal(td_call(TDH_VP_ENTER, &a), EXIT_REASON_TDCALL);
	assert_int_equal(a.rcx, 0xF000);
	assert_int_equal(a.r12, 2);
	assert_int_equal(a.r13, 0x40);
	assert_int_equal(a.r14, guest_addr(r_vec_irq_mark));
	assert_int_equal(a.r15, 1);
	assert_int_equal(*(uint64_t *)((uint8_t *)phys_seam_va(data_hpa) + D_IRQ_COUNT), 1);
	/* the frame on the page: RIP, CS, RFLAGS (IF), RSP, SS; no error code */
	frame = (const uint64_t *)((const uint8_t *)phys_host_va(page) + 0xFD8);
	assert_int_equal(frame[0], guest_addr(r_vec_irq_mark));
	assert_int_equal(frame[1], 0x08);
	assert_int_equal(frame[2] & 0x200, 0x200);
	assert_int_equal(frame[3], VEC_IRQ_STACK_GPA + 0x1000);
	assert_int_equal(frame[4], 0x10);
	a = (struct tdx_module_args){.rcx = td.tdvpr[0], .r12 = 2};
	assert_int_equal(td_call(TDH_VP_ENTER, &a), EXIT_REASON_TDCALL);
	assert_int_equal(*(uint64_t *)((uint8_t *)phys_seam_va(data_hpa) + D_IRQ_COUNT), 1);
	assert_int_equal(td_window_unmap(td.window, VEC_IRQ_STACK_GPA, true), 0);
	assert_int_equal(td_teardown(&td), 0);
}

#define NV 0xF2 /* the host's notification vector */
static struct pi_desc *pid;

static void *poster(void *arg)
{
	(void)arg;
	usleep(50 * 1000); /* the guest spins by now */
	if (pi_post(pid, 0x41))
		lp_send_ipi(0, NV);
	return NULL;
}

static void test_interrupts(void **state)
{
	struct tdx_module_args a;
	struct test_td td;
	uint64_t pid_pa;
	pthread_t t;

	(void)state;
	build(&td, 1, r_irq, NULL);
	/* The self-IPI came when STI's shadow ended: at the instruction after the NOP */
	assert_int_equal(enter(&td, 0, &a), EXIT_REASON_TDCALL);
	assert_int_equal(a.rcx, 0xF000);
	assert_int_equal(a.r12, 2);
	assert_int_equal(a.r13, 0x40);
	assert_int_equal(a.r14, guest_addr(r_irq_mark));
	assert_int_equal(a.r15, 1);

	/* The host posts 0x41 and notifies the LP while the guest spins with IF = 1 */
	pid_pa = td_page_alloc();
	pid = phys_host_va(pid_pa);
	memset(pid, 0, sizeof(*pid));
	a = (struct tdx_module_args){
		.rcx = td.tdvpr[0], .rdx = TDVPS_VMCS_POSTED_INTR_NV, .r8 = NV, .r9 = ~0ULL};
	assert_int_equal(td_call(TDH_VP_WR, &a), 0);
	a = (struct tdx_module_args){.rcx = td.tdvpr[0],
				     .rdx = TDVPS_VMCS_POSTED_INTR_DESC_ADDR,
				     .r8 = pid_pa,
				     .r9 = ~0ULL};
	assert_int_equal(td_call(TDH_VP_WR, &a), 0);
	assert_int_equal(pthread_create(&t, NULL, poster, NULL), 0);
	a = (struct tdx_module_args){.rcx = td.tdvpr[0], .r12 = 2};
	assert_int_equal(td_call(TDH_VP_ENTER, &a), EXIT_REASON_TDCALL);
	pthread_join(t, NULL);
	assert_int_equal(a.rcx, 0xF000);
	assert_int_equal(a.r12, 2);
	assert_int_equal(a.r13, 0x41);
	assert_true(a.r14 == guest_addr(r_irq_spin) || a.r14 == guest_addr(r_irq_spin) + 4);
	assert_int_equal(a.r15, 2);
	assert_int_equal(td_teardown(&td), 0);
}

/* QEMU's CPU time (user + system, clock ticks) so far. */
static unsigned long long qemu_ticks(void)
{
	char path[64], buf[1024], *p;
	unsigned long long ut = 0, st = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)system_qemu_pid(system_backend_vm()));
	f = fopen(path, "r");
	assert_non_null(f);
	assert_non_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	p = strrchr(buf, ')');
	assert_non_null(p);
	/* after ") ": state, ppid, pgrp, session, tty, tpgid, flags, 4 fault counts, utime, stime */
	assert_int_equal(
		sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st),
		2);
	return ut + st;
}

/*
 * HLT in the TD is a #VE (exit reason 12, length 1); the guest then halts with
 * TDG.VP.VMCALL<Instruction.HLT>, a TD exit. While the host lets the vCPU be, QEMU and the
 * shim cost nothing: its CPU time over 300 ms stays within two clock ticks.
 */
static void test_hlt_nothing_spins(void **state)
{
	struct tdx_module_args a;
	struct test_td td;
	unsigned long long t0;

	(void)state;
	build(&td, 1, r_hlt, NULL);
	assert_int_equal(enter(&td, 0, &a), EXIT_REASON_TDCALL);
	assert_int_equal(a.rcx, 0x3C00);
	assert_int_equal(a.r10, 0);
	assert_int_equal(a.r11, 12);
	assert_int_equal(a.r12, EXIT_REASON_HLT);
	assert_int_equal(a.r13 & 0xFFFFFFFF, 1);
	t0 = qemu_ticks();
	usleep(300 * 1000);
	assert_true(qemu_ticks() - t0 <= 2);
	assert_int_equal(td_teardown(&td), 0);
}

struct smp_arg {
	struct test_td *td;
	unsigned int vcpu;
	int n;
	uint64_t last;
};

static void *smp_run(void *p)
{
	struct smp_arg *s = p;
	struct tdx_module_args a = {0};

	for (int i = 1; i <= s->n; i++) {
		a = (struct tdx_module_args){.rcx = s->td->tdvpr[s->vcpu], .r12 = a.r12};
		if (td_call_on(s->vcpu, TDH_VP_ENTER, &a) != EXIT_REASON_TDCALL ||
		    a.r12 != (uint64_t)i)
			break;
		s->last = a.r12;
	}
	return NULL;
}

/* Two vCPUs on LPs 0 and 1 at once, each counting its own TDG.VP.VMCALL exits. */
static void test_two_vcpus_in_parallel(void **state)
{
	struct smp_arg s[2];
	pthread_t t[2];
	struct test_td td;
	struct tdx_module_args a;
	struct timespec t0, t1;

	(void)state;
	build(&td, 2, r_loop, NULL);
	/* vCPU 1 was initialised on LP 0: flush it there so that LP 1 may run it */
	a = (struct tdx_module_args){.rcx = td.tdvpr[1]};
	assert_int_equal(td_call(TDH_VP_FLUSH, &a), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (unsigned int v = 0; v < 2; v++) {
		s[v] = (struct smp_arg){.td = &td, .vcpu = v, .n = 200};
		assert_int_equal(pthread_create(&t[v], NULL, smp_run, &s[v]), 0);
	}
	for (unsigned int v = 0; v < 2; v++)
		pthread_join(t[v], NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_int_equal(s[0].last, 200);
	assert_int_equal(s[1].last, 200);
	printf("two vCPUs, 200 TD exits each in parallel: %.1f ms\n",
	       ((double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec)) / 1e6);
	assert_int_equal(td_teardown(&td), 0);
}

struct enter_arg {
	struct test_td *td;
	uint64_t status;
	struct tdx_module_args a;
};

static void *enter_thread(void *p)
{
	struct enter_arg *e = p;

	e->a = (struct tdx_module_args){.rcx = e->td->tdvpr[0]};
	e->status = td_call(TDH_VP_ENTER, &e->a);
	return NULL;
}

/*
 * A vCPU spinning in the guest comes out when the LP is kicked (how the VMM stops a TD:
 * --timeout, Ctrl-C): an external-interrupt TD exit with no vector.
 */
static void test_kick_spinning(void **state)
{
	struct enter_arg e;
	struct test_td td;
	pthread_t t;

	(void)state;
	build(&td, 1, r_spin, NULL);
	for (int i = 0; i < 2; i++) {
		e = (struct enter_arg){.td = &td};
		assert_int_equal(pthread_create(&t, NULL, enter_thread, &e), 0);
		usleep(100 * 1000);
		assert_int_equal(lp_kick(0), 0);
		pthread_join(t, NULL);
		assert_int_equal(e.status, EXIT_REASON_EXTERNAL_INTERRUPT);
		assert_int_equal(e.a.r9, 0); /* no vector */
	}
	assert_int_equal(td_teardown(&td), 0);
}

/*
 * No orphan with a TD running: a child (this program again) brings the machine up with the
 * system backend, enters a vCPU that spins in the guest or halts (a TD exit the host does not
 * answer), and ends; QEMU, whose parent it was, is ours to reap (subreaper) and must be gone.
 */
static int ending_child(enum raw_ending how)
{
	static struct test_td td;
	static struct enter_arg e;
	char err[1024];
	pthread_t t;
	pid_t qemu;

	if (td_machine_setup(NULL))
		return 3;
	platform_claim_signals();
	if (system_backend_start(NULL, err, sizeof(err)))
		return 4;
	have_qemu = true;
	td_path = PATH_GATE;
	build(&td, 1, how == END_ABORT || how == END_SIGTERM ? r_hlt : r_spin, NULL);
	e = (struct enter_arg){.td = &td};
	pthread_create(&t, NULL, enter_thread, &e);
	usleep(100 * 1000);
	qemu = system_qemu_pid(system_backend_vm());
	(void)!write(3, &qemu, sizeof(qemu));
	raw_end(how);
	return 5;
}

static void check_ending(enum raw_ending how)
{
	char self[4096], arg[8];
	int p[2];
	pid_t child, qemu = 0;
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	assert_true(n > 0);
	self[n] = 0;
	snprintf(arg, sizeof(arg), "%d", (int)how);
	assert_int_equal(pipe(p), 0);
	fflush(NULL);
	child = fork();
	assert_true(child >= 0);
	if (!child) {
		dup2(p[1], 3);
		execl(self, self, "--ending", arg, (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	assert_int_equal(read(p[0], &qemu, sizeof(qemu)), sizeof(qemu));
	close(p[0]);
	assert_true(qemu > 0);
	raw_await_gone(child, qemu, how);
}

static void test_no_orphan(void **state)
{
	(void)state;
	if (!have_qemu)
		skip();
	assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	check_ending(END_SIGKILL); /* spinning in the guest */
	check_ending(END_SIGINT);
	check_ending(END_EXIT);
	check_ending(END_SIGTERM); /* halted: the TD exit the host leaves unanswered */
	check_ending(END_ABORT);
}

/*
 * GPAW 52: the shared bit (51) cannot be in the guest's tables with QEMU's phys-bits 48, nor
 * in the shim's 4-level nested tables (docs/SYSTEM.md, "GPAW 52").
 */
static void test_gpaw52_refused(void **state)
{
	struct td_params p;
	struct test_td td;

	(void)state;
	if (!have_qemu)
		skip();
	td_params_default(&p);
	p.eptp_controls = tdx_eptp_controls(TDX_EPTP_MT_WB, 5);
	p.config_flags |= TDX_CONFIG_FLAGS_GPAW;
	assert_int_equal(td_create(&td, TD_HKID), 0);
	assert_int_not_equal(td_init(&td, &p), 0);
	assert_int_equal(td_teardown(&td), 0);
}

static void test_round_trip(void **state)
{
	struct tdx_module_args a;
	struct test_td td;
	struct timespec t0, t1;
	const int n = 300;

	(void)state;
	build(&td, 1, r_loop, NULL);
	assert_int_equal(enter(&td, 0, &a), EXIT_REASON_TDCALL);
	assert_int_equal(a.r12, 1);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 2; i < n + 2; i++) {
		/* R12 is exposed: the host's value goes back in, and the guest counts on */
		a = (struct tdx_module_args){.rcx = td.tdvpr[0], .r12 = a.r12};
		assert_int_equal(td_call(TDH_VP_ENTER, &a), EXIT_REASON_TDCALL);
		assert_int_equal(a.r12, (uint64_t)i);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("TD exit round trip (TDG.VP.VMCALL -> host -> TDH.VP.ENTER), system backend: "
	       "%.1f us\n",
	       ((double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec)) / n /
		       1e3);
	assert_int_equal(td_teardown(&td), 0);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tdcall_and_tdvmcall),
		cmocka_unit_test(test_ve_io_and_mmio),
		cmocka_unit_test(test_interrupts),
		cmocka_unit_test(test_exit_during_delivery),
		cmocka_unit_test(test_exit_during_interrupt_delivery),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_hlt_nothing_spins),
		cmocka_unit_test(test_two_vcpus_in_parallel),
		cmocka_unit_test(test_gpaw52_refused),
		cmocka_unit_test(test_kick_spinning),
		cmocka_unit_test(test_no_orphan),
	};

	if (argc == 3 && !strcmp(argv[1], "--ending"))
		return ending_child((enum raw_ending)atoi(argv[2]));
	return cmocka_run_group_tests(tests, setup, teardown);
}
