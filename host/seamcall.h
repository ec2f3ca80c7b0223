/* SPDX-License-Identifier: MIT */
/*
 * The SEAMCALL instruction for host code: one register struct in and out [ABI §11.5].
 *
 * __seamcall_insn executes the real opcode (it traps into the machine); __seamcall_gate calls
 * the machine's gate with identical results and a fraction of the cost. __seamcall uses the
 * gate when the machine offers one and the host has not turned it off.
 */
#ifndef TDXSIM_HOST_SEAMCALL_H
#define TDXSIM_HOST_SEAMCALL_H

#include <stdbool.h>
#include <stdint.h>

#include <tdx/args.h>

uint64_t __seamcall_insn(uint64_t fn, struct tdx_module_args *args);
uint64_t __seamcall_gate(uint64_t fn, struct tdx_module_args *args);

extern bool seamcall_use_gate;

static inline uint64_t __seamcall(uint64_t fn, struct tdx_module_args *args)
{
	extern void (*tdxsim_gate_ptr)(void);

	if (__atomic_load_n(&seamcall_use_gate, __ATOMIC_RELAXED) && tdxsim_gate_ptr)
		return __seamcall_gate(fn, args);
	return __seamcall_insn(fn, args);
}

#endif
