// SPDX-License-Identifier: MIT
/*
 * The TD's control and debug registers as TDX virtualises them (docs/TD-CPU.md), executed in
 * a TD on the real module: every row runs one instruction and checks its outcome, the value
 * read, #GP(0), #UD, #VE with exit reason, qualification and instruction length, or a
 * single-step #DB with its RIP and DR6. The probes take vectors 1, 6, 13 and 20 themselves
 * (any other #VE goes to the runtime's handler).
 *
 * Boot options (guest_td.h): GTD_CPU_TDCALL_INSN, every TDCALL by the instruction;
 * GTD_CPU_XFAM_AVX, the TD's XFAM has AVX. Prints "cpu: ok (gate)" or "cpu: ok (TDCALL
 * instruction)", or one "cpu: FAIL" line per row that disagrees; returns the failures.
 */
#include "tdx/leaves.h"
#include "tdx/vmx.h"
#include "tdxguest/tdxguest.h"

#include "guest_td.h"

#define TF (1ULL << 8)

/* What the last probe saw. */
static volatile struct {
	u64 count, vector, error, rip, dr6, resume;
	u64 ve_reason, ve_qual, ve_len;
} pr;
/* Where a fault resumes (0: not probing; a #DB trap then continues where it points). */
volatile u64 probe_resume;
static bool use_insn;
static unsigned int failures;

void probe_handler(struct pt_regs *r);
void probe_db(void), probe_ud(void), probe_gp(void), probe_ve(void);
__asm__(".text\n"
	".macro PSTUB name, vec, err\n"
	"\\name:\n"
	".if \\err == 0\n"
	"	pushq $0\n"
	".endif\n"
	"	pushq $\\vec\n"
	"	jmp probe_common\n"
	".endm\n"
	"PSTUB probe_db, 1, 0\n"
	"PSTUB probe_ud, 6, 0\n"
	"PSTUB probe_gp, 13, 1\n"
	"PSTUB probe_ve, 20, 0\n"
	"probe_common:\n"
	"	pushq %r15; pushq %r14; pushq %r13; pushq %r12\n"
	"	pushq %r11; pushq %r10; pushq %r9; pushq %r8\n"
	"	pushq %rdi; pushq %rsi; pushq %rbp; pushq $0\n"
	"	pushq %rbx; pushq %rdx; pushq %rcx; pushq %rax\n"
	"	movq %rsp, %rdi\n"
	"	movq %rsp, %rbx\n"
	"	andq $-16, %rsp\n"
	"	call probe_handler\n"
	"	movq %rbx, %rsp\n"
	"	popq %rax; popq %rcx; popq %rdx; popq %rbx\n"
	"	addq $8, %rsp; popq %rbp; popq %rsi; popq %rdi\n"
	"	popq %r8; popq %r9; popq %r10; popq %r11\n"
	"	popq %r12; popq %r13; popq %r14; popq %r15\n"
	"	addq $16, %rsp\n"
	"	iretq\n");

void probe_handler(struct pt_regs *r)
{
	if (r->vector == X86_TRAP_VE && !probe_resume) {
		handle_ve(r); /* the runtime's own #VEs (console, ...) */
		return;
	}
	pr.count++;
	pr.vector = r->vector;
	pr.error = r->error_code;
	pr.rip = r->rip;
	pr.resume = probe_resume;
	if (r->vector == X86_TRAP_VE) {
		struct tdx_ve ve;

		tdx_get_ve_info(&ve);
		pr.ve_reason = ve.exit_reason;
		pr.ve_qual = ve.exit_qual;
		pr.ve_len = ve.instr_len;
	}
	if (r->vector == X86_TRAP_DB) {
		u64 d6, reset = 0xFFFF0FF0;

		__asm__ volatile("movq %%dr6, %0" : "=r"(d6));
		__asm__ volatile("movq %0, %%dr6" : : "r"(reset));
		pr.dr6 = d6;
	}
	r->rflags &= ~TF;
	if (probe_resume)
		r->rip = probe_resume;
}

/* A copy of the runtime's IDT with the probes' vectors. */
static u64 idt[256 * 2] __attribute__((aligned(16)));

static void probes_install(void)
{
	gtd_idt_copy_runtime(idt, 256);
	gtd_idt_set(idt, 1, (uintptr_t)probe_db);
	gtd_idt_set(idt, 6, (uintptr_t)probe_ud);
	gtd_idt_set(idt, 13, (uintptr_t)probe_gp);
	gtd_idt_set(idt, 20, (uintptr_t)probe_ve);
	gtd_idt_load(idt, 256);
}

static void fail(const char *row, const char *what, u64 got, u64 want)
{
	failures++;
	tdx_printf("cpu: FAIL %s: %s 0x%lx, want 0x%lx\n", row, what, (unsigned long)got,
		   (unsigned long)want);
}

static void expect_val(const char *row, u64 got, u64 want)
{
	if (pr.count)
		fail(row, "exception, vector", pr.vector, 0);
	else if (got != want)
		fail(row, "value", got, want);
}

/* The last probe raised exactly `vector` (#GP: error code 0). */
static void expect_exc(const char *row, u64 vector)
{
	if (pr.count != 1 || pr.vector != vector)
		fail(row, pr.count ? "vector" : "no exception, want vector",
		     pr.count ? pr.vector : 0, vector);
	else if (vector == X86_TRAP_GP && pr.error)
		fail(row, "#GP error code", pr.error, 0);
}

static void expect_ve(const char *row, u64 reason, u64 qual, u64 len)
{
	expect_exc(row, X86_TRAP_VE);
	if (pr.count == 1 && pr.vector == X86_TRAP_VE) {
		if (pr.ve_reason != reason)
			fail(row, "#VE exit reason", pr.ve_reason, reason);
		if (pr.ve_qual != qual)
			fail(row, "#VE qualification", pr.ve_qual, qual);
		if (pr.ve_len != len)
			fail(row, "#VE instruction length", pr.ve_len, len);
	}
}

/* One instruction with a resume point after it; RAX = RBX = v, RCX = c, RDX = d. */
#define PROBE(name, insn)                                                                          \
	static u64 name(u64 v, u64 c, u64 d)                                                       \
	{                                                                                          \
		u64 out;                                                                           \
		memset((void *)&pr, 0, sizeof(pr));                                                \
		__asm__ volatile("leaq 1f(%%rip), %%r11\n\t"                                       \
				 "movq %%r11, probe_resume(%%rip)\n\t" insn "\n"                   \
				 "1:\n\t"                                                          \
				 "movq $0, probe_resume(%%rip)"                                    \
				 : "=a"(out), "+c"(c), "+d"(d)                                     \
				 : "a"(v), "b"(v)                                                  \
				 : "r11", "memory");                                               \
		return out;                                                                        \
	}

PROBE(wr_cr0, "movq %%rbx, %%cr0") /* 0F 22 C3: CR0, GPR 3 */
PROBE(wr_cr4, "movq %%rax, %%cr4") /* 0F 22 E0: CR4, GPR 0 */
PROBE(rd_cr0, "movq %%cr0, %%rax")
PROBE(rd_cr4, "movq %%cr4, %%rax")
PROBE(wr_cr8, "movq %%rax, %%cr8")
PROBE(rd_cr8, "movq %%cr8, %%rax")
PROBE(wr_dr0, "movq %%rax, %%dr0")
PROBE(wr_dr3, "movq %%rax, %%dr3")
PROBE(wr_dr6, "movq %%rax, %%dr6")
PROBE(wr_dr7, "movq %%rax, %%dr7")
PROBE(rd_dr0, "movq %%dr0, %%rax")
PROBE(rd_dr3, "movq %%dr3, %%rax")
PROBE(rd_dr4, "movq %%dr4, %%rax")
PROBE(rd_dr6, "movq %%dr6, %%rax")
PROBE(rd_dr7, "movq %%dr7, %%rax")
PROBE(xsetbv, "movl %%ebx, %%eax\n\txsetbv") /* RCX index, EDX:EAX value */
PROBE(wrmsr, "movl %%ebx, %%eax\n\twrmsr")   /* RCX MSR, EDX:EAX value */
PROBE(rdmsr, "rdmsr")			     /* RCX MSR */

#define CR0_TD 0x80050033ULL /* PE MP ET NE WP AM PG */
/* PAE MCE OSFXSR OSXMMEXCPT OSXSAVE, and FSGSBASE where CPUID(7).EBX[0] has it (main) */
#define CR4_TD cr4_td
static u64 cr4_td = 0x00040660ULL;
#define CR_ACCESS 28

static void cr0_rows(void)
{
	expect_val("CR0 read", rd_cr0(0, 0, 0), CR0_TD);
	wr_cr0(CR0_TD | 8, 0, 0); /* TS: the guest's */
	expect_val("CR0.TS set", rd_cr0(0, 0, 0), CR0_TD | 8);
	__asm__ volatile("clts");
	expect_val("CLTS", rd_cr0(0, 0, 0), CR0_TD);
	wr_cr0(CR0_TD & ~(1ULL << 16), 0, 0); /* WP: the guest's (no CET) */
	expect_val("CR0.WP clear", rd_cr0(0, 0, 0), CR0_TD & ~(1ULL << 16));
	wr_cr0(CR0_TD, 0, 0);
	expect_val("CR0 write back", rd_cr0(0, 0, 0), CR0_TD);
	wr_cr0(CR0_TD & ~0x20ULL, 0, 0); /* NE is in IA32_VMX_CR0_FIXED0 */
	expect_exc("CR0.NE clear", X86_TRAP_GP);
	wr_cr0(CR0_TD | (1ULL << 30), 0, 0);
	expect_ve("CR0.CD set", CR_ACCESS, 0x300, 3);
	wr_cr0(CR0_TD | (1ULL << 29), 0, 0);
	expect_ve("CR0.NW set", CR_ACCESS, 0x300, 3);
	wr_cr0(CR0_TD & ~1ULL, 0, 0);
	expect_exc("CR0.PE clear with PG", X86_TRAP_GP);
	wr_cr0((CR0_TD & ~1ULL) & ~(1ULL << 31), 0, 0);
	expect_ve("CR0.PE and PG clear", CR_ACCESS, 0x300, 3);
	wr_cr0(CR0_TD | (1ULL << 32), 0, 0);
	expect_exc("CR0 bit 32", X86_TRAP_GP);
	wr_cr0(CR0_TD & ~(1ULL << 31), 0, 0);
	expect_exc("CR0.PG clear in 64-bit mode", X86_TRAP_GP);
	wr_cr0(CR0_TD | (1ULL << 6) | (1ULL << 20), 0, 0); /* reserved: ignored */
	expect_val("CR0 reserved bits 6, 20", rd_cr0(0, 0, 0), CR0_TD);
	expect_val("CR0 unchanged", rd_cr0(0, 0, 0), CR0_TD);
}

static void cr4_rows(void)
{
	static const struct {
		const char *row;
		u64 bit;
	} gp[] = {
		{"CR4 bit 15", 1ULL << 15},
		{"CR4 bit 26", 1ULL << 26},
		{"CR4 bit 32", 1ULL << 32},
		{"CR4.PKE without XFAM.PK", 1ULL << 22},
		{"CR4.CET without XFAM.CET", 1ULL << 23},
		{"CR4.KL", 1ULL << 19},
		{"CR4.PKS without ATTRIBUTES.PKS", 1ULL << 24},
		{"CR4.UINTR without XFAM.ULI", 1ULL << 25},
	};

	expect_val("CR4 read", rd_cr4(0, 0, 0), CR4_TD);
	wr_cr4(CR4_TD | 0x80, 0, 0); /* PGE: the guest's */
	expect_val("CR4.PGE set", rd_cr4(0, 0, 0), CR4_TD | 0x80);
	wr_cr4(CR4_TD, 0, 0);
	expect_val("CR4 write back", rd_cr4(0, 0, 0), CR4_TD);
	wr_cr4(CR4_TD & ~0x40ULL, 0, 0);
	expect_ve("CR4.MCE clear", CR_ACCESS, 4, 3);
	wr_cr4(CR4_TD | (1ULL << 13), 0, 0);
	expect_ve("CR4.VMXE set", CR_ACCESS, 4, 3);
	wr_cr4(CR4_TD | (1ULL << 14), 0, 0);
	expect_ve("CR4.SMXE set", CR_ACCESS, 4, 3);
	for (unsigned int i = 0; i < sizeof(gp) / sizeof(gp[0]); i++) {
		wr_cr4(CR4_TD | gp[i].bit, 0, 0);
		expect_exc(gp[i].row, X86_TRAP_GP);
	}
	wr_cr4(CR4_TD & ~0x20ULL, 0, 0);
	expect_exc("CR4.PAE clear in 64-bit mode", X86_TRAP_GP);
	wr_cr4(CR4_TD | (1ULL << 12), 0, 0);
	expect_exc("CR4.LA57 change in 64-bit mode", X86_TRAP_GP);
	expect_val("CR4 unchanged", rd_cr4(0, 0, 0), CR4_TD);
}

static void xcr0_rows(bool avx)
{
	xsetbv(3, 1, 0);
	expect_exc("XSETBV ECX=1", X86_TRAP_GP);
	xsetbv(2, 0, 0);
	expect_exc("XSETBV without x87", X86_TRAP_GP);
	xsetbv(5, 0, 0);
	expect_exc("XSETBV AVX without SSE", X86_TRAP_GP);
	xsetbv(0x203, 0, 0);
	expect_exc("XSETBV PKRU outside XFAM", X86_TRAP_GP);
	xsetbv(7, 0, 0);
	if (avx)
		expect_val("XSETBV x87|SSE|AVX in XFAM", 0, 0);
	else
		expect_exc("XSETBV AVX outside XFAM", X86_TRAP_GP);
	xsetbv(3, 0, 0);
	expect_val("XSETBV x87|SSE", 0, 0);
	wr_cr4(CR4_TD & ~(1ULL << 18), 0, 0);
	xsetbv(3, 0, 0);
	expect_exc("XSETBV with CR4.OSXSAVE clear", X86_TRAP_UD);
	wr_cr4(CR4_TD, 0, 0);
	expect_val("CR4.OSXSAVE back", rd_cr4(0, 0, 0), CR4_TD);
}

static void dr_rows(void)
{
	expect_val("DR6 reset", rd_dr6(0, 0, 0), 0xFFFF0FF0);
	expect_val("DR7 reset", rd_dr7(0, 0, 0), 0x400);
	wr_dr0(0x123456789ABCDEF0ULL, 0, 0);
	expect_val("DR0", rd_dr0(0, 0, 0), 0x123456789ABCDEF0ULL);
	wr_dr3(0xFFFFFFFFFFFFF000ULL, 0, 0);
	expect_val("DR3", rd_dr3(0, 0, 0), 0xFFFFFFFFFFFFF000ULL);
	wr_dr6(0, 0, 0);
	expect_val("DR6 written 0", rd_dr6(0, 0, 0), 0xFFFE0FF0);
	expect_val("DR4 is DR6 (CR4.DE clear)", rd_dr4(0, 0, 0), 0xFFFE0FF0);
	wr_dr6(1ULL << 32, 0, 0);
	expect_exc("DR6 bit 32", X86_TRAP_GP);
	wr_dr7(1ULL << 32, 0, 0);
	expect_exc("DR7 bit 32", X86_TRAP_GP);
	wr_dr6(0xFFFF0FF0, 0, 0);
	wr_dr7(0xFFFFFFFF, 0, 0); /* GD among them */
	rd_dr7(0, 0, 0);
	expect_exc("MOV DR with DR7.GD", X86_TRAP_DB);
	if (pr.dr6 != 0xFFFF2FF0)
		fail("MOV DR with DR7.GD", "DR6", pr.dr6, 0xFFFF2FF0);
	expect_val("DR7 after #DB(GD)", rd_dr7(0, 0, 0), 0xFFFF0FFF);
	wr_dr7(0x400, 0, 0);
	expect_val("DR7 back", rd_dr7(0, 0, 0), 0x400);
	wr_cr4(CR4_TD | 8, 0, 0); /* DE */
	rd_dr4(0, 0, 0);
	expect_exc("MOV DR4 with CR4.DE", X86_TRAP_UD);
	wr_cr4(CR4_TD, 0, 0);
}

/*
 * The x2APIC registers the CPU virtualises (TPR, PPR, EOI, ISR, TMR, IRR, SELF_IPI) and the
 * ones the module leaves to the VMM (#VE) or reserves (#GP).
 */
static void x2apic_rows(void)
{
	static const struct {
		const char *row;
		u32 msr;
		bool wr;
		u64 v;
	} gp[] = {
		{"x2APIC TPR bit 8", 0x808, true, 0x100},
		{"x2APIC EOI non-zero", 0x80B, true, 1},
		{"x2APIC SELF_IPI bit 8", 0x83F, true, 0x130},
		{"x2APIC SELF_IPI bit 32", 0x83F, true, 1ULL << 32},
		{"x2APIC SELF_IPI read", 0x83F, false, 0},
		{"x2APIC EOI read", 0x80B, false, 0},
		{"x2APIC PPR write", 0x80A, true, 0},
		{"x2APIC IRR0 write", 0x820, true, 0},
		{"x2APIC reserved 0x809", 0x809, false, 0},
		{"x2APIC reserved 0x831 (ICR high)", 0x831, true, 0},
		{"x2APIC reserved 0x840", 0x840, false, 0},
	};
	static const struct {
		const char *row;
		u32 msr;
		bool wr;
	} ve[] = {
		{"x2APIC ID read", 0x802, false},	 {"x2APIC ICR write", 0x830, true},
		{"x2APIC ICR read", 0x830, false},	 {"x2APIC SVR write", 0x80F, true},
		{"x2APIC LVT timer read", 0x832, false},
	};

	for (unsigned int i = 0; i < sizeof(gp) / sizeof(gp[0]); i++) {
		if (gp[i].wr)
			wrmsr(gp[i].v, gp[i].msr, gp[i].v >> 32);
		else
			rdmsr(0, gp[i].msr, 0);
		expect_exc(gp[i].row, X86_TRAP_GP);
	}
	for (unsigned int i = 0; i < sizeof(ve) / sizeof(ve[0]); i++) {
		if (ve[i].wr)
			wrmsr(0, ve[i].msr, 0);
		else
			rdmsr(0, ve[i].msr, 0);
		expect_ve(ve[i].row, ve[i].wr ? EXIT_REASON_MSR_WRITE : EXIT_REASON_MSR_READ, 0, 2);
	}
	wrmsr(0x20, 0x808, 0);
	expect_val("x2APIC TPR 0x20", rdmsr(0, 0x808, 0), 0x20);
	expect_val("x2APIC PPR follows TPR", rdmsr(0, 0x80A, 0), 0x20);
	expect_val("CR8 is TPR[7:4]", rd_cr8(0, 0, 0), 2);
	wr_cr8(3, 0, 0);
	expect_val("MOV to CR8 3: x2APIC TPR", rdmsr(0, 0x808, 0), 0x30);
	wr_cr8(0x10, 0, 0);
	expect_exc("MOV to CR8 bit 4", X86_TRAP_GP);
	wr_cr8(0, 0, 0);
	expect_val("MOV to CR8 0", rd_cr8(0, 0, 0), 0);
	wrmsr(0, 0x808, 0);
	for (u64 v = 0; v < 16; v++) {
		wrmsr(v, 0x83F, 0);
		/* APIC-write exit for offset 3F0H: trap-like, after the WRMSR, no length */
		expect_ve("x2APIC SELF_IPI vector 0-15", EXIT_REASON_APIC_WRITE, 0x3F0, 0);
		if (pr.count == 1 && pr.rip != pr.resume)
			fail("x2APIC SELF_IPI vector 0-15", "#VE RIP (past the WRMSR)", pr.rip,
			     pr.resume);
	}
	expect_val("x2APIC IRR0 after illegal self-IPIs", rdmsr(0, 0x820, 0), 0);
}

/*
 * Single steps: POPF sets TF, the next instruction runs and #DB comes after it, with RIP at
 * label 2 and DR6.BS. `insn` gets RAX = a, RCX = c, RDX = d (and clobbers them).
 */
static void step(const char *row, u64 after)
{
	if (pr.count != 1 || pr.vector != X86_TRAP_DB)
		fail(row, pr.count ? "vector" : "no #DB, count", pr.count ? pr.vector : 0, 1);
	else if (pr.rip != after)
		fail(row, "#DB RIP", pr.rip, after);
	else if (pr.dr6 != 0xFFFF4FF0)
		fail(row, "DR6", pr.dr6, 0xFFFF4FF0);
}

#define STEP_PRE(row, pre, insn, a, c, d)                                                          \
	do {                                                                                       \
		u64 _ra = (a), _rc = (c), _rd = (d), _after;                                       \
		memset((void *)&pr, 0, sizeof(pr));                                                \
		__asm__ volatile(pre "pushfq\n\t"                                                  \
				     "orq $0x100, (%%rsp)\n\t"                                     \
				     "popfq\n\t" insn "\n"                                         \
				     "2:\n\t"                                                      \
				     "leaq 2b(%%rip), %%rsi"                                       \
				 : "+a"(_ra), "+c"(_rc), "+d"(_rd), "=S"(_after)                   \
				 :                                                                 \
				 : "rbx", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",    \
				   "memory");                                                      \
		step(row, _after);                                                                 \
	} while (0)
#define STEP(row, insn, a, c, d) STEP_PRE(row, "", insn, a, c, d)

/* TDG.VP.VMCALL<Instruction.IO> OUT of one byte to the test's port: a TD exit and back. */
#define VMCALL_IO_OUT                                                                              \
	"xorl %%r10d, %%r10d\n\t"                                                                  \
	"movl $30, %%r11d\n\t"                                                                     \
	"movl $1, %%r12d\n\t"                                                                      \
	"movl $1, %%r13d\n\t"                                                                      \
	"movl $0x510, %%r14d\n\t"                                                                  \
	"movl $0x5a, %%r15d\n\t"

extern void *tdx_gate;

static void tf_rows(void)
{
	STEP("TF: NOP (native)", "nop", 0, 0, 0);
	STEP("TF: CPUID", "cpuid", 0, 0, 0);
	STEP("TF: RDMSR IA32_PAT (virtualised)", "rdmsr", 0, 0x277, 0);
	STEP("TF: WRMSR IA32_PAT", "wrmsr", 0x00070406, 0x277, 0x00070406);
	STEP("TF: MOV from CR0", "movq %%cr0, %%rax", 0, 0, 0);
	STEP("TF: MOV to CR4", "movq %%rax, %%cr4", CR4_TD, 0, 0);
	STEP("TF: MOV from DR7", "movq %%dr7, %%rax", 0, 0, 0);
	STEP("TF: XSETBV", "xsetbv", 3, 0, 0);
	STEP("TF: CLI", "cli", 0, 0, 0);
	if (use_insn) {
		STEP("TF: TDCALL TDG.VP.INFO (instruction)", ".byte 0x66, 0x0f, 0x01, 0xcc",
		     TDG_VP_INFO, 0, 0);
		STEP_PRE("TF: TDG.VP.VMCALL (instruction)", VMCALL_IO_OUT,
			 ".byte 0x66, 0x0f, 0x01, 0xcc", 0, 0xFC00, 0);
	} else {
		STEP("TF: TDCALL TDG.VP.INFO (gate)", "call *tdx_gate(%%rip)", TDG_VP_INFO, 0, 0);
		STEP_PRE("TF: TDG.VP.VMCALL (gate)", VMCALL_IO_OUT, "call *tdx_gate(%%rip)", 0,
			 0xFC00, 0);
	}
	/*
	 * TDG.MEM.PAGE.ACCEPT of a page the VMM has not added: an EPT-violation TD exit with
	 * RIP on the TDCALL, PAGE.AUG, TDH.VP.ENTER back into the single-stepping guest (through
	 * the gate when the VMM uses it), the TDCALL again: one #DB, after it completed.
	 */
	if (use_insn)
		STEP("TF: TDG.MEM.PAGE.ACCEPT after a TD exit (instruction)",
		     ".byte 0x66, 0x0f, 0x01, 0xcc", TDG_MEM_PAGE_ACCEPT, GTD_CPU_ACCEPT_GPA, 0);
	else
		STEP("TF: TDG.MEM.PAGE.ACCEPT after a TD exit (gate)", "call *tdx_gate(%%rip)",
		     TDG_MEM_PAGE_ACCEPT, GTD_CPU_ACCEPT_GPA, 0);
	/* An instruction the module turns into #VE does not complete: #VE, no #DB. */
	memset((void *)&pr, 0, sizeof(pr));
	__asm__ volatile("leaq 1f(%%rip), %%r11\n\t"
			 "movq %%r11, probe_resume(%%rip)\n\t"
			 "movl $0x40000000, %%eax\n\t"
			 "pushfq\n\t"
			 "orq $0x100, (%%rsp)\n\t"
			 "popfq\n\t"
			 "cpuid\n"
			 "1:\n\t"
			 "movq $0, probe_resume(%%rip)" ::
				 : "rax", "rbx", "rcx", "rdx", "r11", "memory");
	expect_ve("TF: CPUID 0x40000000 (#VE, no #DB)", EXIT_REASON_CPUID, 0, 2);
}

static u32 cpuid_ebx_7(void)
{
	u32 a = 7, b, c = 0, d;

	__asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
	return b;
}

int main(void)
{
	u64 opts = tdx_boot_regs[1];

	use_insn = (opts & GTD_CPU_TDCALL_INSN) || !tdx_gate;
	tdx_force_tdcall_insn = use_insn;
	probes_install();
	if (cpuid_ebx_7() & 1)
		cr4_td |= 1ULL << 16;
	cr0_rows();
	cr4_rows();
	xcr0_rows(opts & GTD_CPU_XFAM_AVX);
	dr_rows();
	x2apic_rows();
	tf_rows();
	tdx_idt_load();
	tdx_printf("cpu: %s %s\n", failures ? "failed" : "ok",
		   use_insn ? "(TDCALL instruction)" : "(gate)");
	return (int)failures;
}
