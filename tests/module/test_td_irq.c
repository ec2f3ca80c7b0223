// SPDX-License-Identifier: MIT
/*
 * Virtual interrupts into a TD on the real module: the VMM's posted-interrupt descriptor
 * (include/tdx/pi.h) set with TDH.VP.WR, posting, delivery through the guest IDT on
 * TDH.VP.ENTER and on every return to guest code, the virtual APIC's priorities (TPR, PPR,
 * vISR, EOI), RFLAGS.IF (interrupt gates clear it, IRETQ restores it, STI and its one-
 * instruction shadow), the x2APIC MSRs, and a notification kicking a busy vCPU without a
 * TD exit.
 *
 * The guest reports with TDG.VP.VMCALL (RCX = 0xFC00: R10..R15 go to the host), R10 = a
 * tag: 1..7 main-line steps; 0x1VV an interrupt handler entered for vector VV (R11 = frame
 * RIP, R12 = frame RFLAGS, R13 = frame SS, R14 = frame CS); 0x2VV the same handler after
 * reading ISR1, IRR1, IRR2 and PPR into R11..R14 (then EOI and IRETQ); 0xD a #GP (R11 =
 * error code); 0x14 a #VE (R11 = exit reason).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "td.h"
#include "td_harness.h"
#include "tdx/pi.h"
#include "tdx/leaves.h"

/* The leaf names for the guest code below (tdx/leaves.h): movl $TDG_VP_VEINFO_GET, %eax. */
asm(TDX_LEAVES_ASM_EQU);

#define CODE_GPA TD_CODE_GPA
#define DATA_GPA TD_DATA_GPA
#define NV	 0xF2 /* the VMM's notification vector (Linux's POSTED_INTR_VECTOR) */

#define TDCALL_BYTES ".byte 0x66, 0x0f, 0x01, 0xcc\n"
#define REPORT(tag)                                                                                \
	"	movl $" #tag ", %r10d\n"                                                           \
	"	movl $0xfc00, %ecx\n"                                                                    \
	"	movl $TDG_VP_VMCALL, %eax\n" TDCALL_BYTES
#define GATE(vec, handler)                                                                         \
	"	leaq " handler "(%rip), %rax\n"                                                    \
	"	movl $" vec ", %esi\n"                                                             \
	"	call set_gate\n"
#define IRQ_STUB(vec)                                                                              \
	"irq" vec ":\n"                                                                            \
	"	pushq $0x" vec "\n"                                                                \
	"	jmp irq_common\n"
#define RDMSR_TO(msr, reg)                                                                         \
	"	movl $" msr ", %ecx\n"                                                             \
	"	rdmsr\n"                                                                                 \
	"	movl %eax, " reg "\n"

extern const uint8_t irq_guest[], irq_guest_end[], spin_entry[], spin_loop[], spin_end[];
extern const uint8_t ret1[], after_tpr[], after_nop[], after_sti_tdcall[];
extern const uint8_t sti_gate_entry[], after_sti_gate[];
/* clang-format off */
__asm__(".pushsection .rodata\n"
	".globl irq_guest, irq_guest_end, spin_entry, spin_loop, spin_end\n"
	".globl ret1, after_tpr, after_nop, after_sti_tdcall\n"
	".globl sti_gate_entry, after_sti_gate\n"
	"irq_guest:\n"
	"	leaq irq_guest(%rip), %rsp\n"
	"	call setup\n"
	"	sti\n"
	REPORT(1)
	"ret1:\n"				/* 0x30, then 0x50 and 0x31, interrupt here */
	"	movl $0x808, %ecx\n"		/* TPR = 0x40 */
	"	movl $0x40, %eax\n"
	"	xorl %edx, %edx\n"
	"	wrmsr\n"
	REPORT(2)				/* the host posts 0x35: class 3, masked */
	RDMSR_TO("0x821", "%r11d")
	REPORT(3)
	"	movl $0x808, %ecx\n"		/* TPR = 0: 0x35 comes in */
	"	xorl %eax, %eax\n"
	"	xorl %edx, %edx\n"
	"	wrmsr\n"
	"after_tpr:\n"
	"	cli\n"
	REPORT(4)				/* the host posts 0x36: IF = 0 holds it */
	"	sti\n"
	"	nop\n"
	"after_nop:\n"				/* ... until the instruction after STI */
	"	cli\n"
	REPORT(5)				/* the host posts 0x37 */
	"	movl $6, %r10d\n"
	"	movl $0xfc00, %ecx\n"
	"	movl $TDG_VP_VMCALL, %eax\n"
	"	sti\n"
	TDCALL_BYTES				/* sti; tdcall: exits before 0x37 */
	"after_sti_tdcall:\n"
	"	movl $0x802, %ecx\n"		/* x2APIC ID: #VE */
	"	rdmsr\n"
	"	movl $0x80b, %ecx\n"		/* EOI with a non-zero value: #GP */
	"	movl $1, %eax\n"
	"	xorl %edx, %edx\n"
	"	wrmsr\n"
	"	movl $0x830, %ecx\n"		/* ICR: #VE */
	"	movl $0xf3, %eax\n"
	"	xorl %edx, %edx\n"
	"	wrmsr\n"
	REPORT(7)
	"	ud2\n"
	/* The concurrency test's entry: IF = 1 and a busy loop */
	"spin_entry:\n"
	"	leaq irq_guest(%rip), %rsp\n"
	"	call setup\n"
	"	sti\n"
	"spin_loop:\n"
	"	pause\n"
	"	jmp spin_loop\n"
	"spin_end:\n"
	/*
	 * The STI test's entry: sti; call *gate, the TDVMCALL through the gate the module
	 * passed in R9 (kept at data page + 0x810, after the IDTR), then a report
	 */
	"sti_gate_entry:\n"
	"	leaq irq_guest(%rip), %rsp\n"
	"	movq %r9, irq_guest - 0x1000 + 0x810(%rip)\n"
	"	call setup\n"
	"	movl $8, %r10d\n"
	"	movl $0xfc00, %ecx\n"
	"	movl $TDG_VP_VMCALL, %eax\n"
	"	sti\n"
	"	call *irq_guest - 0x1000 + 0x810(%rip)\n"	/* FF 15 disp32 */
	"after_sti_gate:\n"
	REPORT(9)
	"	ud2\n"
	/* setup: the IDT in the data page, the gates, LIDT */
	"setup:\n"
	"	leaq irq_guest(%rip), %rdi\n"
	"	subq $0x1000, %rdi\n"
	GATE("13", "gp_handler")
	GATE("20", "ve_handler")
	GATE("0x30", "irq30")
	GATE("0x31", "irq31")
	GATE("0x35", "irq35")
	GATE("0x36", "irq36")
	GATE("0x37", "irq37")
	GATE("0x50", "irq50")
	"	movw $0x7ff, 0x800(%rdi)\n"
	"	movq %rdi, 0x802(%rdi)\n"
	"	lidt 0x800(%rdi)\n"
	"	ret\n"
	TD_ASM_SET_GATE
	IRQ_STUB("30") IRQ_STUB("31") IRQ_STUB("35") IRQ_STUB("36") IRQ_STUB("37")
	IRQ_STUB("50")
	/* Stack: 9 saved registers, the vector, RIP, CS, RFLAGS, RSP, SS */
	"irq_common:\n"
	"	pushq %rax\n"
	"	pushq %rcx\n"
	"	pushq %rdx\n"
	"	pushq %r10\n"
	"	pushq %r11\n"
	"	pushq %r12\n"
	"	pushq %r13\n"
	"	pushq %r14\n"
	"	pushq %r15\n"
	"	movq 72(%rsp), %r10\n"
	"	orq $0x100, %r10\n"
	"	movq 80(%rsp), %r11\n"
	"	movq 96(%rsp), %r12\n"
	"	movq 112(%rsp), %r13\n"
	"	movq 88(%rsp), %r14\n"
	"	movl $0xfc00, %ecx\n"
	"	movl $TDG_VP_VMCALL, %eax\n"
	TDCALL_BYTES
	RDMSR_TO("0x811", "%r11d")		/* ISR1: vectors 0x20-0x3F */
	RDMSR_TO("0x821", "%r12d")		/* IRR1 */
	RDMSR_TO("0x822", "%r13d")		/* IRR2: vectors 0x40-0x5F */
	RDMSR_TO("0x80a", "%r14d")		/* PPR */
	"	movq 72(%rsp), %r10\n"
	"	orq $0x200, %r10\n"
	"	movl $0xfc00, %ecx\n"
	"	movl $TDG_VP_VMCALL, %eax\n"
	TDCALL_BYTES
	"	movl $0x80b, %ecx\n"		/* EOI */
	"	xorl %eax, %eax\n"
	"	xorl %edx, %edx\n"
	"	wrmsr\n"
	"	popq %r15\n"
	"	popq %r14\n"
	"	popq %r13\n"
	"	popq %r12\n"
	"	popq %r11\n"
	"	popq %r10\n"
	"	popq %rdx\n"
	"	popq %rcx\n"
	"	popq %rax\n"
	"	addq $8, %rsp\n"
	"	iretq\n"
	/* #GP: report the error code, skip the 2-byte WRMSR */
	"gp_handler:\n"
	"	pushq %rax\n"
	"	pushq %rcx\n"
	"	pushq %r10\n"
	"	pushq %r11\n"
	"	movq 32(%rsp), %r11\n"
	"	addq $2, 40(%rsp)\n"
	REPORT(0xd)
	"	popq %r11\n"
	"	popq %r10\n"
	"	popq %rcx\n"
	"	popq %rax\n"
	"	addq $8, %rsp\n"
	"	iretq\n"
	/* #VE: VEINFO.GET, report the exit reason, skip the instruction */
	"ve_handler:\n"
	"	pushq %rax\n"
	"	pushq %rcx\n"
	"	pushq %rdx\n"
	"	pushq %r8\n"
	"	pushq %r9\n"
	"	pushq %r10\n"
	"	pushq %r11\n"
	"	movl $TDG_VP_VEINFO_GET, %eax\n"
	TDCALL_BYTES
	"	movl %r10d, %r10d\n"
	"	addq %r10, 56(%rsp)\n"
	"	movq %rcx, %r11\n"
	REPORT(0x14)
	"	popq %r11\n"
	"	popq %r10\n"
	"	popq %r9\n"
	"	popq %r8\n"
	"	popq %rdx\n"
	"	popq %rcx\n"
	"	popq %rax\n"
	"	iretq\n"
	"irq_guest_end:\n"
	".popsection\n");
/* clang-format on */

static struct test_td td;
static struct pi_desc *pid;
static uint64_t pid_pa;

/* A TD running the guest above, its PID set up as KVM does after TDH.VP.INIT. */
static void build_irq_td(void)
{
	static uint8_t code[4096], data[4096];
	struct tdx_module_args a;

	platform_claim_signals();
	td_code_page(code, irq_guest, irq_guest_end);
	assert_int_equal(td_build_guest(&td, code, data, NULL), 0);

	pid_pa = td_page_alloc();
	pid = phys_host_va(pid_pa);
	a = (struct tdx_module_args){
		.rcx = td.tdvpr[0], .rdx = TDVPS_VMCS_POSTED_INTR_NV, .r8 = NV, .r9 = ~0ULL};
	assert_int_equal(td_call(TDH_VP_WR, &a), 0);
	a = (struct tdx_module_args){.rcx = td.tdvpr[0],
				     .rdx = TDVPS_VMCS_POSTED_INTR_DESC_ADDR,
				     .r8 = pid_pa,
				     .r9 = ~0ULL};
	assert_int_equal(td_call(TDH_VP_WR, &a), 0);
}

/* Guest address of a label of the guest code. */
static uint64_t glabel(const uint8_t *label)
{
	const struct tdvps *vp = tdvps_of(td.tdvpr[0]);

	return td_window_base(vp->cpu.window) + CODE_GPA + (uint64_t)(label - irq_guest);
}

/* Enter the vCPU; it must come back with the TDVMCALL report `tag`. */
static struct tdx_module_args enter(uint64_t tag)
{
	struct tdx_module_args a = {.rcx = td.tdvpr[0]};

	assert_int_equal(td_call(TDH_VP_ENTER, &a), EXIT_REASON_TDCALL);
	assert_int_equal(a.r10, tag);
	return a;
}

static bool vif(void)
{
	return tdvps_of(td.tdvpr[0])->cpu.vif;
}

/* An interrupt handler's first report for `vec`, interrupting at `rip`. */
static void expect_irq_entry(uint8_t vec, uint64_t rip)
{
	struct tdx_module_args a = enter(0x100 | vec);

	assert_int_equal(a.r11, rip);
	/* The frame: RFLAGS with IF (it was open), SS null (IRETQ must restore IF), CS 0x33 */
	assert_int_equal(a.r12 & X86_EFLAGS_IF, X86_EFLAGS_IF);
	assert_int_equal(a.r13, GUEST_IRET_SS);
	assert_int_equal(a.r14, 0x33);
	assert_false(vif()); /* an interrupt gate closed IF */
}

/* Both reports: then the virtual APIC as the handler reads it (ISR1, IRR1, IRR2, PPR). */
static void expect_irq(uint8_t vec, uint64_t rip, uint32_t isr1, uint32_t irr1, uint32_t irr2,
		       uint32_t ppr)
{
	struct tdx_module_args a;

	expect_irq_entry(vec, rip);
	a = enter(0x200 | vec);
	assert_int_equal(a.r11, isr1);
	assert_int_equal(a.r12, irr1);
	assert_int_equal(a.r13, irr2);
	assert_int_equal(a.r14, ppr);
}

static void test_irq_delivery(void **state)
{
	struct tdx_module_args a;

	(void)state;
	build_irq_td();
	td_path = PATH_GATE;

	/* STI, then a report: IF is open, nothing pending */
	enter(1);
	assert_true(vif());

	/* Posted while the vCPU is out: delivered on the next TDH.VP.ENTER, the PID drained */
	assert_true(pi_post(pid, 0x30));
	expect_irq_entry(0x30, glabel(ret1));
	assert_int_equal(__atomic_load_n(&pid->control, __ATOMIC_ACQUIRE), 0);
	assert_int_equal(pid->pir[0] | pid->pir[1] | pid->pir[2] | pid->pir[3], 0);
	/* Two more while in the handler (IF = 0): both wait in the vIRR */
	assert_true(pi_post(pid, 0x31));
	assert_false(pi_post(pid, 0x50)); /* ON already set: no second notification */
	a = enter(0x230);
	assert_int_equal(a.r11, 1U << (0x30 - 0x20)); /* ISR1 */
	assert_int_equal(a.r12, 1U << (0x31 - 0x20)); /* IRR1 */
	assert_int_equal(a.r13, 1U << (0x50 - 0x40)); /* IRR2 */
	assert_int_equal(a.r14, 0x30);		      /* PPR = the class in service */
	/* EOI, IRETQ: IF comes back from the frame and the higher class goes first */
	expect_irq(0x50, glabel(ret1), 0, 1U << (0x31 - 0x20), 0, 0x50);
	expect_irq(0x31, glabel(ret1), 1U << (0x31 - 0x20), 0, 0, 0x30);
	enter(2);
	assert_true(vif());

	/* TPR 0x40 masks class 3 until the guest lowers it */
	assert_true(pi_post(pid, 0x35));
	a = enter(3);
	assert_int_equal(a.r11, 1U << (0x35 - 0x20));
	expect_irq(0x35, glabel(after_tpr), 1U << (0x35 - 0x20), 0, 0, 0x30);

	/* CLI holds an interrupt until STI, and it comes after the instruction after STI */
	enter(4);
	assert_false(vif());
	assert_true(pi_post(pid, 0x36));
	expect_irq(0x36, glabel(after_nop), 1U << (0x36 - 0x20), 0, 0, 0x30);
	enter(5);

	/* sti; tdcall: the TDVMCALL exits first; the interrupt comes at the next entry */
	assert_true(pi_post(pid, 0x37));
	enter(6);
	assert_true(vif());
	assert_int_equal(tdvps_of(td.tdvpr[0])->apic.irr[0], 1ULL << 0x37);
	expect_irq(0x37, glabel(after_sti_tdcall), 1U << (0x37 - 0x20), 0, 0, 0x30);

	/* x2APIC: ID is #VE (31), EOI with a value #GP(0), ICR write #VE (32) */
	a = enter(0x14);
	assert_int_equal(a.r11, EXIT_REASON_MSR_READ);
	a = enter(0xd);
	assert_int_equal(a.r11, 0);
	a = enter(0x14);
	assert_int_equal(a.r11, EXIT_REASON_MSR_WRITE);
	enter(7);
	assert_true(vif()); /* every IRETQ of an IF = 1 frame restored it */
}

/*
 * sti; call *gate: the gate call is the TDCALL instruction, so the STI shadow covers it as
 * it covers the opcode (step 6 above): the TDVMCALL exits with the interrupt still in the
 * vIRR, which comes at the next TDH.VP.ENTER with the frame at the gate call's successor.
 * Nothing may stop inside the gate's host code.
 */
static void test_irq_sti_gate_call(void **state)
{
	const uint8_t gate_call[2] = {0xFF, 0x15};

	(void)state;
	if (!path_available(PATH_GATE))
		skip();
	build_irq_td();
	td_path = PATH_GATE;
	tdvps_of(td.tdvpr[0])->cpu.regs.rip = glabel(sti_gate_entry);
	assert_memory_equal(after_sti_gate - TDXSIM_GATE_CALL_LEN, gate_call, sizeof(gate_call));

	/* Posted before the entry: it waits in the vIRR while IF = 0, then behind the STI */
	assert_true(pi_post(pid, 0x37));
	enter(8);
	assert_true(vif());
	assert_int_equal(tdvps_of(td.tdvpr[0])->apic.irr[0], 1ULL << 0x37);
	assert_int_equal(tdvps_of(td.tdvpr[0])->apic.isr[0], 0);
	expect_irq(0x37, glabel(after_sti_gate), 1U << (0x37 - 0x20), 0, 0, 0x30);
	enter(9);
	assert_true(vif());
}

/* TDH.VP.WR/RD of the two TD VMCS fields: values, masks and the module's statuses. */
static void test_tdh_vp_wr_pi_fields(void **state)
{
	struct tdx_module_args a;
	uint64_t hidden;

	(void)state;
	assert_int_equal(td_build_basic(&td), 0);
#define WR(field, val, mask)                                                                       \
	(a =                                                                                       \
		 (struct tdx_module_args){                                                         \
			 .rcx = td.tdvpr[0], .rdx = (field), .r8 = (val), .r9 = (mask)},           \
	 td_call(TDH_VP_WR, &a))
#define RD(field)                                                                                  \
	(a = (struct tdx_module_args){.rcx = td.tdvpr[0], .rdx = (field)}, td_call(TDH_VP_RD, &a))

	/* Initial values: NV 0xFFFF, the PID address NULL_PA */
	assert_int_equal(RD(TDVPS_VMCS_POSTED_INTR_NV), 0);
	assert_int_equal(a.r8, POSTED_INTR_NV_INIT);
	assert_int_equal(RD(TDVPS_VMCS_POSTED_INTR_DESC_ADDR), 0);
	assert_int_equal(a.r8, POSTED_INTR_DESC_ADDR_INIT);

	/* NV: a vector; 256 is not */
	assert_int_equal(WR(TDVPS_VMCS_POSTED_INTR_NV, 256, ~0ULL),
			 TDX_METADATA_FIELD_VALUE_NOT_VALID);
	assert_int_equal(WR(TDVPS_VMCS_POSTED_INTR_NV, NV, ~0ULL), 0);
	assert_int_equal(a.r8, POSTED_INTR_NV_INIT); /* the old value */
	assert_int_equal(RD(0x0002), 0);	     /* KVM's bare encoding names it too */
	assert_int_equal(a.r8, NV);

	/* PID: bits 5:0 are not writable, so an unaligned address is not valid */
	pid_pa = td_page_alloc();
	assert_int_equal(WR(TDVPS_VMCS_POSTED_INTR_DESC_ADDR, pid_pa + 0x20, ~0ULL),
			 TDX_METADATA_FIELD_VALUE_NOT_VALID);
	/* ... beyond MAX_PA, with a private HKID, outside RAM, a TD's private page */
	assert_int_equal(WR(TDVPS_VMCS_POSTED_INTR_DESC_ADDR, 1ULL << 46, ~0ULL),
			 TDX_METADATA_FIELD_VALUE_NOT_VALID);
	assert_int_equal(
		WR(TDVPS_VMCS_POSTED_INTR_DESC_ADDR, pid_pa | ((uint64_t)TD_HKID << 40), ~0ULL),
		TDX_METADATA_FIELD_VALUE_NOT_VALID);
	assert_int_equal(WR(TDVPS_VMCS_POSTED_INTR_DESC_ADDR, 0x80000000ULL, ~0ULL),
			 TDX_METADATA_FIELD_VALUE_NOT_VALID); /* the hole below 4G */
	hidden = td.tdvpr[0];
	assert_int_equal(WR(TDVPS_VMCS_POSTED_INTR_DESC_ADDR, hidden, ~0ULL),
			 TDX_METADATA_FIELD_VALUE_NOT_VALID);
	assert_int_equal(RD(TDVPS_VMCS_POSTED_INTR_DESC_ADDR), 0);
	assert_int_equal(a.r8, POSTED_INTR_DESC_ADDR_INIT); /* unchanged by the failures */
	/* A 64-byte-aligned shared HPA in RAM */
	assert_int_equal(WR(TDVPS_VMCS_POSTED_INTR_DESC_ADDR, pid_pa + 0x40, ~0ULL), 0);
	assert_int_equal(a.r8, POSTED_INTR_DESC_ADDR_INIT);
	assert_int_equal(RD(0x2016), 0);
	assert_int_equal(a.r8, pid_pa + 0x40);
	/* The guest cannot read them */
	{
		struct tdvps *vp = tdvps_of(td.tdvpr[0]);
		struct cpu_regs ctx = {0};
		struct vm_exit ti = {.reason = EXIT_REASON_TDCALL, .insn_len = 4};

		ctx.gpr[REG_RAX_] = TDG_VP_RD;
		ctx.gpr[REG_RDX_] = TDVPS_VMCS_POSTED_INTR_DESC_ADDR;
		vmexit_tdcall(&ctx, vp, &ti);
		assert_int_equal(ctx.gpr[REG_RAX_], TDX_METADATA_FIELD_NOT_READABLE);
	}
#undef WR
#undef RD
}

/* ------------------------------------------------------------------------------------------
 * Concurrency: a posting from another thread while the vCPU spins
 */

struct poster {
	bool post;	    /* post 0x30 and send NV; else a plain lp_kick() */
	unsigned int burst; /* notifications sent back to back each time (0: one) */
	int done;
};

/*
 * Once the vCPU runs, post 0x30 (or not), then send the notification (or kick) every
 * millisecond until the vCPU is back: a signal that reaches the LP before its guest runs is
 * lost, as an IPI to a CPU that is not yet in the guest would be for it.
 */
static long post_and_kick(void *arg)
{
	struct poster *p = arg;
	const struct tdvps *vp = tdvps_of(td.tdvpr[0]);
	struct timespec ts = {0, 1000 * 1000};

	while (__atomic_load_n(&vp->state, __ATOMIC_ACQUIRE) != VCPU_ACTIVE)
		nanosleep(&ts, NULL);
	if (p->post)
		pi_post(pid, 0x30);
	while (!__atomic_load_n(&p->done, __ATOMIC_ACQUIRE)) {
		for (unsigned int i = 0; i < (p->burst ? p->burst : 1); i++)
			if (p->post ? lp_send_ipi(0, NV) : lp_kick(0))
				return -1;
		nanosleep(&ts, NULL);
	}
	return 0;
}

/* Enter with a poster running on LP 1 (`burst` notifications a time); the exit's status. */
static uint64_t enter_burst(bool post, unsigned int burst, struct tdx_module_args *a)
{
	struct poster p = {.post = post, .burst = burst};
	struct lp_work w;
	uint64_t status;

	assert_int_equal(lp_queue_work(1, &w, post_and_kick, &p), 0);
	*a = (struct tdx_module_args){.rcx = td.tdvpr[0]};
	status = td_call(TDH_VP_ENTER, a);
	__atomic_store_n(&p.done, 1, __ATOMIC_RELEASE);
	assert_int_equal(lp_work_wait(&w), 0);
	return status;
}

static uint64_t enter_with(bool post, struct tdx_module_args *a)
{
	return enter_burst(post, 0, a);
}

/* Interrupt a busy vCPU with 0x30 (its notification sent `burst` times a time), then kick it. */
static void kick_busy_vcpu(unsigned int burst)
{
	struct tdx_module_args a;

	build_irq_td();
	/* Start at the busy loop */
	tdvps_of(td.tdvpr[0])->cpu.regs.rip = glabel(spin_entry);
	for (int path = 0; path < 2; path++) {
		td_path = path ? PATH_GATE : PATH_TRAP;
		/* The machine has no timer: the only way out of the loop is the interrupt, taken
		 * without a TD exit (an EXTERNAL_INTERRUPT would return here first). */
		assert_int_equal(enter_burst(true, burst, &a), EXIT_REASON_TDCALL);
		assert_int_equal(a.r10, 0x130);
		assert_in_range(a.r11, glabel(spin_loop), glabel(spin_end) - 1);
		assert_int_equal(a.r12 & X86_EFLAGS_IF, X86_EFLAGS_IF);
		assert_false(vif());
		/* Finish the handler (EOI, IRETQ) back into the loop */
		enter(0x230);
		/* A kick without a vector is still an EXTERNAL_INTERRUPT exit (wherever it finds
		 * the vCPU: the rest of the handler or the loop), notifications left latched or not */
		assert_int_equal(enter_with(false, &a), EXIT_REASON_EXTERNAL_INTERRUPT);
	}
}

static void test_irq_kick_busy_vcpu(void **state)
{
	(void)state;
	kick_busy_vcpu(0);
}

/*
 * A notification sent again before the vCPU took the first one: each send is a signal of its
 * own, but the vector is one latched bit, so the later signals find it taken. They are the
 * same notification, processed in the TD with no exit (as a CPU processes an NV with nothing
 * new posted); only the handler's report brings the vCPU out. Before, each of them was an
 * EXTERNAL_INTERRUPT exit, which test_irq_kick_busy_vcpu met whenever a loaded machine let
 * two of its one-a-millisecond notifications queue up.
 */
static void test_irq_notify_burst_busy_vcpu(void **state)
{
	(void)state;
	kick_busy_vcpu(16);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_tdh_vp_wr_pi_fields, td_machine_setup,
						td_machine_teardown),
		cmocka_unit_test_setup_teardown(test_irq_delivery, td_machine_setup,
						td_machine_teardown),
		cmocka_unit_test_setup_teardown(test_irq_sti_gate_call, td_machine_setup,
						td_machine_teardown),
	};
	const struct CMUnitTest concurrency[] = {
		cmocka_unit_test_setup_teardown(test_irq_kick_busy_vcpu, td_machine_setup,
						td_machine_teardown),
		cmocka_unit_test_setup_teardown(test_irq_notify_burst_busy_vcpu, td_machine_setup,
						td_machine_teardown),
	};

	/* "concurrency": only the test with a second thread (the 'concurrency' suite) */
	if (argc > 1 && !strcmp(argv[1], "concurrency"))
		return cmocka_run_group_tests(concurrency, NULL, NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
