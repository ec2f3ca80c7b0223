// SPDX-License-Identifier: MIT
/*
 * A guest that ends with one raw TDVMCALL, built twice (tests/vmm/meson.build):
 *  RAW_EXIT_FATAL: ReportFatalError, R12 = RAW_FATAL_CODE with bit 63 (R13 is a GPA),
 *                  R13 = RAW_FATAL_GPA, a 64-byte message in R14, R15, RBX, RDI, RSI, R8,
 *                  R9, RDX;
 *  otherwise:      Instruction.IO, a 1-byte OUT of RAW_EXIT_STATUS to the exit port 0xF4.
 * No SDK exit path runs: what the VMM makes of the call alone is the TD's result.
 */
#include "tdxguest/tdxguest.h"

#define RAW_FATAL_CODE	0x1234ULL
#define RAW_FATAL_GPA	0x2000000ULL
#define RAW_EXIT_STATUS 42

/* 64 bytes: no NUL, so the VMM's terminator is all that ends it. */
static const char msg[64] = "raw fatal: 64 bytes in R14 R15 RBX RDI RSI R8 R9 RDX, no NUL.!!";

int main(void)
{
	struct tdx_module_args a = {0};

#ifdef RAW_EXIT_FATAL
	u64 *m[8] = {&a.r14, &a.r15, &a.rbx, &a.rdi, &a.rsi, &a.r8, &a.r9, &a.rdx};

	for (unsigned int i = 0; i < 8; i++)
		memcpy(m[i], msg + 8 * i, 8);
	a.r11 = TDVMCALL_REPORT_FATAL_ERROR;
	a.r12 = 1ULL << 63 | RAW_FATAL_CODE;
	a.r13 = RAW_FATAL_GPA;
#else
	(void)msg;
	a.r11 = TDVMCALL_INSTRUCTION_IO;
	a.r12 = 1;
	a.r13 = TDVMCALL_IO_WRITE;
	a.r14 = TDXSIM_EXIT_PORT;
	a.r15 = RAW_EXIT_STATUS;
#endif
	__tdx_hypercall(&a);
	/* Resumed: the VMM did not stop the TD. */
	tdx_panic(99, "raw_exit: resumed after the last call");
}
