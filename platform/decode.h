/* SPDX-License-Identifier: MIT */
/* Instruction decoding and virtual-CPU helpers shared by trap.c and switch.c. */
#ifndef TDXSIM_PLATFORM_DECODE_H
#define TDXSIM_PLATFORM_DECODE_H

#include <Zydis/Zydis.h>

#include "platform.h"

void decode_init(void);
int decode_guest_insn(const struct cpu_regs *ctx, struct trap_info *ti, const uint8_t *bytes,
		      size_t avail);
int decode_operands(const uint8_t *bytes, size_t avail, ZydisDecodedInstruction *in,
		    ZydisDecodedOperand *ops);
int zydis_gpr_number(int reg);

/* vcpu_emulate's results besides 0 (done), -EFAULT (#PF raised) and -EINVAL (not its own) */
#define VCPU_EXIT      1 /* ti filled: a stop for the module (TRAP_CR) */
#define VCPU_EXCEPTION 2 /* ti filled: TRAP_EXCEPTION the instruction raises (#GP, #UD, #DB) */
int vcpu_emulate(struct cpu_regs *ctx, struct guest_cpu *g, const uint8_t *bytes, size_t avail,
		 struct trap_info *ti);
/* End an STI shadow at a guest stop: true when one was open (its TF is cleared). */
bool vcpu_shadow_end(struct cpu_regs *ctx, struct guest_cpu *g);
int guest_read(void *dst, uint64_t gva, size_t len);
int guest_write(uint64_t gva, const void *src, size_t len);

#endif
