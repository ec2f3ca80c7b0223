/* SPDX-License-Identifier: MIT */
/*
 * tdx/args.h - the register block for SEAMCALL, TDCALL and TDVMCALL.
 *
 * One struct carries both the inputs and the outputs of a call [ABI §11.5]:
 * the caller fills the argument registers, the call overwrites them with
 * the results. RAX is not here: it holds the leaf on the way in and the
 * completion status on the way out, and is passed/returned separately.
 *
 * This is a software convention, not part of the TDX ABI; the register
 * set matches the one Linux marshals [L arch/x86/include/asm/shared/tdx.h
 * struct tdx_module_args]. The order of the members is fixed because
 * assembly stubs index it: keep the offsets asserted below.
 *
 * Freestanding-safe: needs only <stdint.h> and <stddef.h>.
 */
#ifndef TDX_ARGS_H
#define TDX_ARGS_H

/* Byte offsets first, so assembly (__ASSEMBLER__) can use them too. */
#define TDX_MODULE_ARGS_RCX  0
#define TDX_MODULE_ARGS_RDX  8
#define TDX_MODULE_ARGS_R8   16
#define TDX_MODULE_ARGS_R9   24
#define TDX_MODULE_ARGS_R10  32
#define TDX_MODULE_ARGS_R11  40
#define TDX_MODULE_ARGS_R12  48
#define TDX_MODULE_ARGS_R13  56
#define TDX_MODULE_ARGS_R14  64
#define TDX_MODULE_ARGS_R15  72
#define TDX_MODULE_ARGS_RBX  80
#define TDX_MODULE_ARGS_RDI  88
#define TDX_MODULE_ARGS_RSI  96
#define TDX_MODULE_ARGS_SIZE 104

#ifndef __ASSEMBLER__
#include <stddef.h>
#include <stdint.h>

struct tdx_module_args {
	uint64_t rcx;
	uint64_t rdx;
	uint64_t r8;
	uint64_t r9;
	uint64_t r10;
	uint64_t r11;
	uint64_t r12;
	uint64_t r13;
	uint64_t r14;
	uint64_t r15;
	uint64_t rbx;
	uint64_t rdi;
	uint64_t rsi;
};

_Static_assert(sizeof(struct tdx_module_args) == TDX_MODULE_ARGS_SIZE, "tdx_module_args size");
_Static_assert(offsetof(struct tdx_module_args, rcx) == TDX_MODULE_ARGS_RCX, "rcx");
_Static_assert(offsetof(struct tdx_module_args, rdx) == TDX_MODULE_ARGS_RDX, "rdx");
_Static_assert(offsetof(struct tdx_module_args, r8) == TDX_MODULE_ARGS_R8, "r8");
_Static_assert(offsetof(struct tdx_module_args, r9) == TDX_MODULE_ARGS_R9, "r9");
_Static_assert(offsetof(struct tdx_module_args, r10) == TDX_MODULE_ARGS_R10, "r10");
_Static_assert(offsetof(struct tdx_module_args, r11) == TDX_MODULE_ARGS_R11, "r11");
_Static_assert(offsetof(struct tdx_module_args, r12) == TDX_MODULE_ARGS_R12, "r12");
_Static_assert(offsetof(struct tdx_module_args, r13) == TDX_MODULE_ARGS_R13, "r13");
_Static_assert(offsetof(struct tdx_module_args, r14) == TDX_MODULE_ARGS_R14, "r14");
_Static_assert(offsetof(struct tdx_module_args, r15) == TDX_MODULE_ARGS_R15, "r15");
_Static_assert(offsetof(struct tdx_module_args, rbx) == TDX_MODULE_ARGS_RBX, "rbx");
_Static_assert(offsetof(struct tdx_module_args, rdi) == TDX_MODULE_ARGS_RDI, "rdi");
_Static_assert(offsetof(struct tdx_module_args, rsi) == TDX_MODULE_ARGS_RSI, "rsi");

#endif /* !__ASSEMBLER__ */

#endif /* TDX_ARGS_H */
