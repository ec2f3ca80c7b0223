// SPDX-License-Identifier: MIT
/*
 * What only a CPL0 guest can do, on the system backend (docs/GUEST.md "CPL0"): its own page
 * tables and #PF handler, SSE kept across exits in a loop (and AVX refused without XCR0.AVX),
 * LGDT/SGDT/LIDT/SIDT, MOV to CR0/CR4 with TDX's rules, a #VE with its exact frame. Each part
 * checks every value itself and prints one line; a mismatch prints what it got and what it
 * wanted, and the exit status is the number of mismatches. Natively (CPL3) it stops at once.
 *
 * Boot option bit 8 (CPL0_NO_MODULE): the raw harness of tests/system/test_reset.c, which
 * plays the module for TDCALL, CPUID and port I/O only; the MOV CR part, whose answers are the
 * module's, is left out there.
 */
#include "tdx/vmx.h"
#include "tdxguest/tdxguest.h"

#define CPL0_NO_MODULE (1U << 8)

#define X86_TRAP_BP 3
#define X86_TRAP_OF 4
#define X86_TRAP_UD 6
#define X86_TRAP_GP 13

static unsigned int failures;

static void check(const char *part, const char *what, u64 got, u64 want)
{
	if (got == want)
		return;
	failures++;
	tdx_printf("%s: %s 0x%lx, want 0x%lx\n", part, what, (unsigned long)got,
		   (unsigned long)want);
}

/* The last exception a trap handler took: vector, error code, CR2, frame. */
static volatile struct {
	unsigned int count;
	u64 vector, error, cr2, rip, cs, rflags, rsp, ss;
	struct tdx_ve ve;
} trap;

static u64 read_cr2(void)
{
	u64 v;

	__asm__ volatile("mov %%cr2, %0" : "=r"(v));
	return v;
}

/*
 * Records the exception and resumes where the probe said: RIP = R10, RSP = R11 (the probes
 * below load both before the instruction that may fault).
 */
static void resume_handler(struct pt_regs *r)
{
	trap.count++;
	trap.vector = r->vector;
	trap.error = r->error_code;
	trap.cr2 = r->vector == X86_TRAP_PF ? read_cr2() : 0;
	trap.rip = r->rip;
	trap.cs = r->cs;
	trap.rflags = r->rflags;
	trap.rsp = r->rsp;
	trap.ss = r->ss;
	if (r->vector == X86_TRAP_VE)
		tdx_get_ve_info((struct tdx_ve *)&trap.ve);
	r->rip = r->gpr[INSN_R10];
	r->rsp = r->gpr[INSN_R11];
}

static void trap_reset(void)
{
	memset((void *)&trap, 0, sizeof(trap));
}

/* ---- page tables and #PF ---- */

#define PF_LINEAR 0x0000300000000000ULL /* PML4 entry 96: nothing of the reset tables' */
#define PTE_P	  (1ULL << 0)
#define PTE_W	  (1ULL << 1)
#define PTE_NX	  (1ULL << 63)

static u64 pdpt[512] __attribute__((aligned(4096)));
static u64 pd[512] __attribute__((aligned(4096)));
static u64 pt[512] __attribute__((aligned(4096)));
static volatile u64 target[512] __attribute__((aligned(4096)));

/* A load from addr; the #PF handler resumes after it (v stays 0xDEAD). */
static u64 probe_load(u64 addr, u64 *rip)
{
	u64 v = 0xDEAD;

	__asm__ volatile("leaq 2f(%%rip), %%r10\n\t"
			 "movq %%rsp, %%r11\n\t"
			 "leaq 1f(%%rip), %1\n"
			 "1:\tmovq (%2), %0\n"
			 "2:"
			 : "+r"(v), "=&r"(*rip)
			 : "r"(addr)
			 : "r10", "r11", "memory");
	return v;
}

static void probe_store(u64 addr, u64 v, u64 *rip)
{
	__asm__ volatile("leaq 2f(%%rip), %%r10\n\t"
			 "movq %%rsp, %%r11\n\t"
			 "leaq 1f(%%rip), %0\n"
			 "1:\tmovq %2, (%1)\n"
			 "2:"
			 : "=&r"(*rip)
			 : "r"(addr), "r"(v)
			 : "r10", "r11", "memory");
}

/* A call to addr (its fetch faults); the handler resumes after it with RSP as before. */
static void probe_call(u64 addr)
{
	__asm__ volatile("leaq 2f(%%rip), %%r10\n\t"
			 "movq %%rsp, %%r11\n\t"
			 "call *%0\n"
			 "2:"
			 :
			 : "r"(addr)
			 : "rax", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "memory");
}

static void check_pf(u64 addr, u64 rip, u64 error)
{
	check("pf", "count", trap.count, 1);
	check("pf", "vector", trap.vector, X86_TRAP_PF);
	check("pf", "error code", trap.error, error);
	check("pf", "CR2", trap.cr2, addr);
	check("pf", "RIP", trap.rip, rip);
	trap_reset();
}

static void part_page_tables(void)
{
	u64 cr3, *pml4, rip, v;

	__asm__ volatile("mov %%cr3, %0" : "=r"(cr3));
	check("pf", "CR3", cr3, TDXSIM_RESET_PML4_GPA);
	pml4 = __va(cr3 & ~0xFFFULL);
	pml4[(PF_LINEAR >> 39) & 511] = __pa(pdpt) | PTE_P | PTE_W;
	pdpt[0] = __pa(pd) | PTE_P | PTE_W;
	pd[0] = __pa(pt) | PTE_P | PTE_W;
	pt[0] = __pa((void *)target) | PTE_P | PTE_W;	       /* the page, writable */
	pt[1] = __pa((void *)target) | PTE_P;		       /* read-only */
	pt[2] = __pa((void *)target) | PTE_P | PTE_W | PTE_NX; /* no execute */
	/* pt[3]: not present */
	tdx_trap_register(X86_TRAP_PF, resume_handler);
	trap_reset();

	target[3] = 0x1122334455667788ULL;
	v = probe_load(PF_LINEAR + 0x18, &rip);
	check("pf", "load through the mapping", v, 0x1122334455667788ULL);
	probe_store(PF_LINEAR + 0x20, 0xA5A5A5A5A5A5A5A5ULL, &rip);
	check("pf", "store through the mapping", target[4], 0xA5A5A5A5A5A5A5A5ULL);
	check("pf", "faults so far", trap.count, 0);

	v = probe_load(PF_LINEAR + 0x3018, &rip); /* not present, read, supervisor */
	check("pf", "load result", v, 0xDEAD);
	check_pf(PF_LINEAR + 0x3018, rip, 0x0);
	probe_store(PF_LINEAR + 0x3ff8, 1, &rip); /* not present, write */
	check_pf(PF_LINEAR + 0x3ff8, rip, 0x2);
	probe_store(PF_LINEAR + 0x1010, 1, &rip); /* present, write: CR0.WP */
	check_pf(PF_LINEAR + 0x1010, rip, 0x3);
	check("pf", "read-only page unchanged", target[2], 0);
	probe_call(PF_LINEAR + 0x2000); /* present, instruction fetch: NX */
	check_pf(PF_LINEAR + 0x2000, PF_LINEAR + 0x2000, 0x11);

	pml4[(PF_LINEAR >> 39) & 511] = 0;
	__asm__ volatile("mov %0, %%cr3" : : "r"(cr3) : "memory"); /* flush */
	probe_load(PF_LINEAR, &rip);
	check_pf(PF_LINEAR, rip, 0x0);
	tdx_trap_register(X86_TRAP_PF, NULL);
	tdx_printf("pf: own tables, #PF with CR2 and error codes 0x0 0x2 0x3 0x11\n");
}

/* ---- SSE (and AVX) across exits ---- */

#define LOOPS 200

static u64 xgetbv0(void)
{
	u32 lo, hi;

	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return lo | (u64)hi << 32;
}

static void part_sse(void)
{
	static u64 in[32] __attribute__((aligned(16))), out[32] __attribute__((aligned(16)));
	unsigned int bad = 0;
	u64 xcr0 = xgetbv0(), rip;

	for (unsigned int i = 0; i < LOOPS; i++) {
		u32 mxcsr_in = 0x5F80 ^ ((i & 1) << 13), mxcsr_out; /* RC up / down */

		for (unsigned int j = 0; j < 32; j++)
			in[j] = 0x0101010101010101ULL * (j + 1) + i;
		/* XMM0-15 and MXCSR loaded; two exits (TDG.VP.INFO, CPUID 0); then stored */
		__asm__ volatile("ldmxcsr %2\n\t"
				 "movdqa 0x00(%1), %%xmm0\n\tmovdqa 0x10(%1), %%xmm1\n\t"
				 "movdqa 0x20(%1), %%xmm2\n\tmovdqa 0x30(%1), %%xmm3\n\t"
				 "movdqa 0x40(%1), %%xmm4\n\tmovdqa 0x50(%1), %%xmm5\n\t"
				 "movdqa 0x60(%1), %%xmm6\n\tmovdqa 0x70(%1), %%xmm7\n\t"
				 "movdqa 0x80(%1), %%xmm8\n\tmovdqa 0x90(%1), %%xmm9\n\t"
				 "movdqa 0xa0(%1), %%xmm10\n\tmovdqa 0xb0(%1), %%xmm11\n\t"
				 "movdqa 0xc0(%1), %%xmm12\n\tmovdqa 0xd0(%1), %%xmm13\n\t"
				 "movdqa 0xe0(%1), %%xmm14\n\tmovdqa 0xf0(%1), %%xmm15\n\t"
				 "movl $1, %%eax\n\t" /* TDG.VP.INFO */
				 ".byte 0x66, 0x0f, 0x01, 0xcc\n\t"
				 "xorl %%eax, %%eax\n\t"
				 "xorl %%ecx, %%ecx\n\t"
				 "cpuid\n\t"
				 "movdqa %%xmm0, 0x00(%0)\n\tmovdqa %%xmm1, 0x10(%0)\n\t"
				 "movdqa %%xmm2, 0x20(%0)\n\tmovdqa %%xmm3, 0x30(%0)\n\t"
				 "movdqa %%xmm4, 0x40(%0)\n\tmovdqa %%xmm5, 0x50(%0)\n\t"
				 "movdqa %%xmm6, 0x60(%0)\n\tmovdqa %%xmm7, 0x70(%0)\n\t"
				 "movdqa %%xmm8, 0x80(%0)\n\tmovdqa %%xmm9, 0x90(%0)\n\t"
				 "movdqa %%xmm10, 0xa0(%0)\n\tmovdqa %%xmm11, 0xb0(%0)\n\t"
				 "movdqa %%xmm12, 0xc0(%0)\n\tmovdqa %%xmm13, 0xd0(%0)\n\t"
				 "movdqa %%xmm14, 0xe0(%0)\n\tmovdqa %%xmm15, 0xf0(%0)\n\t"
				 "stmxcsr %3"
				 :
				 : "r"(out), "r"(in), "m"(mxcsr_in), "m"(mxcsr_out)
				 : "rax", "rbx", "rcx", "rdx", "r8", "r9", "r10", "r11", "xmm0",
				   "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8",
				   "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15",
				   "memory");
		for (unsigned int j = 0; j < 32; j++)
			bad += out[j] != in[j];
		bad += mxcsr_out != mxcsr_in;
	}
	check("sse", "registers changed across exits", bad, 0);
	tdx_printf("sse: XMM0-15 and MXCSR kept across %u x 2 exits\n", LOOPS);

	/* XCR0 is the XFAM's (tdx_cpu_init); without AVX a VEX instruction is #UD */
	if (xcr0 & 4) {
		tdx_printf("avx: XCR0 0x%lx has AVX\n", (unsigned long)xcr0);
		return;
	}
	tdx_trap_register(X86_TRAP_UD, resume_handler);
	trap_reset();
	__asm__ volatile("leaq 2f(%%rip), %%r10\n\t"
			 "movq %%rsp, %%r11\n\t"
			 "leaq 1f(%%rip), %0\n"
			 "1:\tvxorps %%ymm0, %%ymm0, %%ymm0\n"
			 "2:"
			 : "=&r"(rip)
			 :
			 : "r10", "r11", "xmm0", "memory");
	tdx_trap_register(X86_TRAP_UD, NULL);
	check("avx", "count", trap.count, 1);
	check("avx", "vector", trap.vector, X86_TRAP_UD);
	check("avx", "RIP", trap.rip, rip);
	tdx_printf("avx: XCR0 0x%lx, VXORPS is #UD\n", (unsigned long)xcr0);
}

/* ---- LGDT, SGDT, LIDT, SIDT ---- */

struct dtr {
	u16 limit;
	u64 base;
} __attribute__((packed));

static u64 gdt_copy[4] = {0, 0x00AF9B000000FFFFULL, 0x00CF93000000FFFFULL,
			  0x00CF93000000FFFFULL}; /* 0x18: another data segment */
static u8 idt_copy[256 * 16] __attribute__((aligned(16)));

static void part_descriptor_tables(void)
{
	struct dtr g0, g1, i0, i1, want;
	u16 ds;

	__asm__ volatile("sgdt %0\n\tsidt %1" : "=m"(g0), "=m"(i0));
	check("dt", "GDT limit", g0.limit, 23);
	check("dt", "GDT in the image", g0.base - tdx_window_base() < TDXSIM_WINDOW_SIZE, 1);
	check("dt", "IDT limit", i0.limit, 4095);
	want = (struct dtr){sizeof(gdt_copy) - 1, (uintptr_t)gdt_copy};
	__asm__ volatile("lgdt %1\n\tsgdt %0" : "=m"(g1) : "m"(want) : "memory");
	check("dt", "SGDT limit after LGDT", g1.limit, want.limit);
	check("dt", "SGDT base after LGDT", g1.base, want.base);
	__asm__ volatile("movl $0x18, %%eax\n\tmovl %%eax, %%ds\n\tmovw %%ds, %0\n\t"
			 "movl $0x10, %%eax\n\tmovl %%eax, %%ds"
			 : "=r"(ds)
			 :
			 : "rax", "memory");
	check("dt", "DS from the new GDT", ds, 0x18);

	/* An IDT whose vector 3 is vector 4's stub: INT3 arrives as #OF */
	memcpy(idt_copy, (void *)(uintptr_t)i0.base, sizeof(idt_copy));
	memcpy(idt_copy + 16 * X86_TRAP_BP, idt_copy + 16 * X86_TRAP_OF, 16);
	want = (struct dtr){sizeof(idt_copy) - 1, (uintptr_t)idt_copy};
	tdx_trap_register(X86_TRAP_BP, resume_handler);
	tdx_trap_register(X86_TRAP_OF, resume_handler);
	trap_reset();
	__asm__ volatile("lidt %1\n\tsidt %0" : "=m"(i1) : "m"(want) : "memory");
	check("dt", "SIDT base after LIDT", i1.base, want.base);
	__asm__ volatile("leaq 1f(%%rip), %%r10\n\tmovq %%rsp, %%r11\n\tint3\n1:"
			 :
			 :
			 : "r10", "r11", "memory");
	check("dt", "INT3 through the new IDT: vector", trap.vector, X86_TRAP_OF);
	__asm__ volatile("lidt %0" : : "m"(i0) : "memory");
	trap_reset();
	__asm__ volatile("leaq 1f(%%rip), %%r10\n\tmovq %%rsp, %%r11\n\tint3\n1:"
			 :
			 :
			 : "r10", "r11", "memory");
	check("dt", "INT3 through the SDK's IDT again: vector", trap.vector, X86_TRAP_BP);
	check("dt", "the #BP frame's CS", trap.cs, TDXSIM_SYSTEM_CODE_SEL);
	tdx_trap_register(X86_TRAP_BP, NULL);
	tdx_trap_register(X86_TRAP_OF, NULL);
	tdx_cpu_init(); /* the SDK's GDT again */
	__asm__ volatile("sgdt %0" : "=m"(g1));
	check("dt", "SGDT base after tdx_cpu_init", g1.base, g0.base);
	tdx_printf("dt: LGDT/SGDT, LIDT/SIDT, INT3 through each IDT\n");
}

/* ---- MOV to CR0/CR4: TDX's rules (module/vm_exits/td_cr.c) ---- */

#define CR0_PE	 (1ULL << 0)
#define CR0_NE	 (1ULL << 5)
#define CR0_CD	 (1ULL << 30)
#define CR0_PG	 (1ULL << 31)
#define CR4_MCE	 (1ULL << 6)
#define CR4_VMXE (1ULL << 13)
#define CR4_R15	 (1ULL << 15) /* reserved */

/* MOV %rax, %crN (0F 22 /r: 3 bytes) with the value; what it raised, if anything. */
static void mov_cr(unsigned int cr, u64 v, u64 *rip)
{
	trap_reset();
	if (cr == 0)
		__asm__ volatile("leaq 2f(%%rip), %%r10\n\tmovq %%rsp, %%r11\n\t"
				 "leaq 1f(%%rip), %0\n1:\tmov %1, %%cr0\n2:"
				 : "=&r"(*rip)
				 : "a"(v)
				 : "r10", "r11", "memory");
	else
		__asm__ volatile("leaq 2f(%%rip), %%r10\n\tmovq %%rsp, %%r11\n\t"
				 "leaq 1f(%%rip), %0\n1:\tmov %1, %%cr4\n2:"
				 : "=&r"(*rip)
				 : "a"(v)
				 : "r10", "r11", "memory");
}

static void check_gp(const char *what, u64 rip)
{
	check("cr", what, trap.count, 1);
	check("cr", "vector", trap.vector, X86_TRAP_GP);
	check("cr", "#GP error code", trap.error, 0);
	check("cr", "#GP RIP", trap.rip, rip);
}

/* #VE CR_ACCESS: qualification CR number, access 0 (MOV to CR), GPR 0 (RAX); length 3 */
static void check_ve(const char *what, unsigned int cr, u64 rip)
{
	check("cr", what, trap.count, 1);
	check("cr", "vector", trap.vector, X86_TRAP_VE);
	check("cr", "#VE RIP", trap.rip, rip);
	check("cr", "#VE exit reason", trap.ve.exit_reason, EXIT_REASON_CR_ACCESS);
	check("cr", "#VE qualification", trap.ve.exit_qual, cr);
	check("cr", "#VE length", trap.ve.instr_len, 3);
}

static void part_cr(void)
{
	u64 cr0, cr4, rip, now;

	__asm__ volatile("mov %%cr0, %0\n\tmov %%cr4, %1" : "=r"(cr0), "=r"(cr4));
	check("cr", "CR0 PE NE PG", cr0 & (CR0_PE | CR0_NE | CR0_PG), CR0_PE | CR0_NE | CR0_PG);
	check("cr", "CR4.MCE", cr4 & CR4_MCE, CR4_MCE);
	check("cr", "CR4.VMXE as the TD reads it", cr4 & CR4_VMXE, 0);
	tdx_trap_register(X86_TRAP_GP, resume_handler);
	tdx_trap_register(X86_TRAP_VE, resume_handler);

	mov_cr(4, cr4 & ~CR4_MCE, &rip); /* the CPU allows it, a TD does not */
	check_ve("clear CR4.MCE", 4, rip);
	mov_cr(4, cr4 | CR4_VMXE, &rip);
	check_ve("set CR4.VMXE", 4, rip);
	mov_cr(4, cr4 | CR4_R15, &rip); /* reserved */
	check_gp("set CR4 bit 15", rip);
	mov_cr(0, cr0 | CR0_CD, &rip);
	check_ve("set CR0.CD", 0, rip);
	mov_cr(0, cr0 & ~CR0_NE, &rip); /* a VMX fixed bit */
	check_gp("clear CR0.NE", rip);
	mov_cr(0, cr0 & ~CR0_PE, &rip); /* PG without PE */
	check_gp("clear CR0.PE", rip);
	mov_cr(0, cr0 & ~CR0_PG, &rip); /* in 64-bit mode */
	check_gp("clear CR0.PG", rip);
	mov_cr(4, cr4, &rip); /* no change: no exception */
	check("cr", "CR4 written as read: exceptions", trap.count, 0);

	tdx_trap_register(X86_TRAP_GP, NULL);
	tdx_trap_register(X86_TRAP_VE, NULL);
	__asm__ volatile("mov %%cr0, %0" : "=r"(now));
	check("cr", "CR0 unchanged", now, cr0);
	__asm__ volatile("mov %%cr4, %0" : "=r"(now));
	check("cr", "CR4 unchanged", now, cr4);
	tdx_printf("cr: #VE for CR4.MCE, CR4.VMXE, CR0.CD; #GP for CR4[15], CR0.NE, PE, PG\n");
}

/* ---- a #VE at CPL0: the exact frame ---- */

static void part_ve(void)
{
	u64 rip, rsp, rflags, a = 0x40000000;

	tdx_trap_register(X86_TRAP_VE, resume_handler);
	trap_reset();
	/*
	 * CPUID of a hypervisor leaf is a #VE (docs/GUEST.md "Exceptions and #VE"); the handler
	 * resumes after it. RFLAGS is read after the last instruction that changes it.
	 */
	__asm__ volatile("movl %k3, %%eax\n\t"
			 "xorl %%ecx, %%ecx\n\t"
			 "leaq 2f(%%rip), %%r10\n\t"
			 "movq %%rsp, %%r11\n\t"
			 "movq %%rsp, %1\n\t"
			 "leaq 1f(%%rip), %0\n\t"
			 "pushfq\n\t"
			 "popq %2\n"
			 "1:\tcpuid\n"
			 "2:"
			 : "=&r"(rip), "=&r"(rsp), "=&r"(rflags)
			 : "r"(a)
			 : "rax", "rbx", "rcx", "rdx", "r10", "r11", "memory");
	tdx_trap_register(X86_TRAP_VE, NULL);
	check("ve", "count", trap.count, 1);
	check("ve", "vector", trap.vector, X86_TRAP_VE);
	check("ve", "frame RIP", trap.rip, rip);
	check("ve", "frame CS", trap.cs, TDXSIM_SYSTEM_CODE_SEL);
	/* RF (bit 16) aside: whether a fault's frame has it is the injector's choice */
	check("ve", "frame RFLAGS", trap.rflags & ~0x10000ULL, rflags);
	check("ve", "frame RSP", trap.rsp, rsp);
	check("ve", "frame SS", trap.ss, TDXSIM_SYSTEM_DATA_SEL);
	check("ve", "error code (none: 0)", trap.error, 0);
	check("ve", "exit reason", trap.ve.exit_reason, EXIT_REASON_CPUID);
	check("ve", "qualification", trap.ve.exit_qual, 0);
	check("ve", "length", trap.ve.instr_len, 2);
	tdx_printf("ve: CPUID 0x40000000 at CPL0, frame CS 0x%lx SS 0x%lx, exit reason %lu\n",
		   (unsigned long)trap.cs, (unsigned long)trap.ss,
		   (unsigned long)trap.ve.exit_reason);
}

/* On both backends: UD2 to the program's own #UD handler (tdx_trap_register), and back. */
static void part_trap(void)
{
	u64 rip;

	tdx_trap_register(X86_TRAP_UD, resume_handler);
	trap_reset();
	__asm__ volatile("leaq 2f(%%rip), %%r10\n\t"
			 "movq %%rsp, %%r11\n\t"
			 "leaq 1f(%%rip), %0\n"
			 "1:\tud2\n"
			 "2:"
			 : "=&r"(rip)
			 :
			 : "r10", "r11", "memory");
	tdx_trap_register(X86_TRAP_UD, NULL);
	check("trap", "count", trap.count, 1);
	check("trap", "vector", trap.vector, X86_TRAP_UD);
	check("trap", "RIP", trap.rip, rip);
	check("trap", "CS RPL", trap.cs & 3, tdx_cpl0() ? 0 : 3);
	tdx_printf("trap: UD2 taken by the program's handler\n");
}

int main(void)
{
	u64 opts = tdx_boot_regs[TDXSIM_BOOT_REG_OPTS];

	part_trap();
	if (!tdx_cpl0()) {
		tdx_printf("cpl0: not at CPL0 (CS RPL 3): run with --cpu system\n");
		return failures ? (int)failures : 100;
	}
	tdx_printf("cpl0: CS 0x8, window at 0x%lx\n", (unsigned long)tdx_window_base());
	part_page_tables();
	part_sse();
	part_descriptor_tables();
	if (TDXSIM_BOOT_OPTS_VALID(opts) && (opts & CPL0_NO_MODULE))
		tdx_printf("cr: left out (no module)\n");
	else
		part_cr();
	part_ve();
	tdx_printf("cpl0: %u mismatches\n", failures);
	return (int)failures;
}
