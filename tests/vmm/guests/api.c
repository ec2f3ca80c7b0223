// SPDX-License-Identifier: MIT
/*
 * The guest of test_api.c: a fixed sequence of TD exits, each echoing over port API_PORT what
 * the one before it returned, so that the test, stepping exit by exit with tdxsim_vcpu_run(),
 * sees that its answers arrived. Raw TDVMCALLs where the test must see every register.
 */
#include "tdxguest/tdxguest.h"

#define API_PORT 0x510
#define API_MMIO 0xFE000000ULL /* outside the TD's RAM: MMIO by #VE */

static volatile u64 marker = 0x1122334455667788ULL;

static u64 hcall(u64 subfn, u64 r12, u64 r13, struct tdx_module_args *a)
{
	*a = (struct tdx_module_args){.r11 = subfn, .r12 = r12, .r13 = r13};
	return __tdx_hypercall(a);
}

int main(void)
{
	volatile u8 *mmio = __va(API_MMIO | tdx_shared_mask());
	struct tdx_module_args a;
	u64 q, r10;
	u32 v;

	outl((u32)__pa((const void *)&marker), API_PORT);	 /* 1: where marker is */
	outb(0x5A, API_PORT);					 /* 2 */
	v = inl(API_PORT);					 /* 3: the test answers */
	outl(v + 1, API_PORT);					 /* 4 */
	q = readq(mmio);					 /* 5: through #VE */
	writeq(q + 1, mmio + 8);				 /* 6 */
	hcall(TDVMCALL_INSTRUCTION_RDMSR, 0x1A0, 0, &a);	 /* 7 */
	hcall(TDVMCALL_INSTRUCTION_WRMSR, 0x1A0, a.r11 + 1, &a); /* 8 */
	hcall(TDVMCALL_INSTRUCTION_CPUID, 0x40000000, 0, &a);	 /* 9 */
	outl((u32)(a.r12 + a.r13 + a.r14 + a.r15), API_PORT);	 /* 10 */
	/* The filter denies 0x800-0x8FF both ways: no exit, INVALID_OPERAND each. */
	r10 = hcall(TDVMCALL_INSTRUCTION_WRMSR, 0x830, 5, &a);
	outl((u32)(r10 >> 32), API_PORT); /* 11 */
	r10 = hcall(TDVMCALL_INSTRUCTION_RDMSR, 0x830, 0, &a);
	outl((u32)(r10 >> 32), API_PORT); /* 12; the test allows the range again */
	/* The ICR: vector 5 is illegal, so nothing is sent; the write succeeds and is kept. */
	r10 = hcall(TDVMCALL_INSTRUCTION_WRMSR, 0x830, 0x1005, &a);
	outl((u32)r10, API_PORT);			 /* 13 */
	hcall(TDVMCALL_INSTRUCTION_RDMSR, 0x830, 0, &a); /* 14: default answer */
	outl((u32)a.r11, API_PORT);			 /* 15 */
	hcall(TDVMCALL_INSTRUCTION_HLT, 1, 0, &a);	 /* 16 */
	hcall(TDVMCALL_INSTRUCTION_HLT, 0, 0, &a);	 /* 17: the test set HALTED first */
	r10 = hcall(0x7777, 1, 2, &a);			 /* 18 */
	outl((u32)r10, API_PORT);			 /* 19 */
	outl((u32)a.r11, API_PORT);			 /* 20 */
	/* 21: ReportFatalError with a GPA and a message in R14, R15, RBX, ... */
	a = (struct tdx_module_args){.r11 = TDVMCALL_REPORT_FATAL_ERROR,
				     .r12 = (1ULL << 63) | 0x1234,
				     .r13 = 0x5000,
				     .r14 = 0x6174616620697061ULL, /* "api fatal" */
				     .r15 = 0x6c,
				     .rbx = 0x0807060504030201ULL};
	r10 = __tdx_hypercall(&a);
	outl((u32)r10 | 0x100, API_PORT); /* 22: resumed by the test */
	/* 23: again, not asked for: the VMM stops the TD; tdxsim_td_resume goes on here */
	a = (struct tdx_module_args){.r11 = TDVMCALL_REPORT_FATAL_ERROR, .r12 = 0x99};
	r10 = __tdx_hypercall(&a);
	outl((u32)r10 | 0x200, API_PORT); /* 24 */
	outl((u32)marker, API_PORT);	  /* 25: the test wrote it */
	return 7;
}
