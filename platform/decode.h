/* SPDX-License-Identifier: MIT */
/* Instruction decoding and virtual-CPU helpers shared by trap.c and switch.c. */
#ifndef TDXSIM_PLATFORM_DECODE_H
#define TDXSIM_PLATFORM_DECODE_H

#include <Zydis/Zydis.h>

#include "platform.h"

void decode_init(void);
#define DECODE_OTHER 0 /* no exit of its own: the virtual CPU's, or the guest's exception */
#define DECODE_EXIT  1 /* an instruction exit: reason, insn_len (and qual for I/O) filled */
#define DECODE_UD    2 /* #UD in a TD, without an exit */
int decode_guest_insn(const struct cpu_regs *ctx, struct vm_exit *exit, const uint8_t *bytes,
		      size_t avail);
int decode_operands(const uint8_t *bytes, size_t avail, ZydisDecodedInstruction *in,
		    ZydisDecodedOperand *ops);
int zydis_gpr_number(int reg);

/*
 * vcpu_emulate's results besides 0 (done), -EFAULT (#PF raised) and -EINVAL (not its own):
 * VCPU_EXIT, exit filled, an exit for the module (EXIT_REASON_CR_ACCESS); VCPU_EXCEPTION,
 * the exception the instruction raises (#GP, #UD, #DB) in exit's intr_info/intr_error.
 */
#define VCPU_EXIT      1
#define VCPU_EXCEPTION 2
int vcpu_emulate(struct cpu_regs *ctx, struct guest_cpu *g, const uint8_t *bytes, size_t avail,
		 struct vm_exit *exit);
/* End an STI shadow at a guest stop: true when one was open (its TF is cleared). */
bool vcpu_shadow_end(struct cpu_regs *ctx, struct guest_cpu *g);
int guest_read(void *dst, uint64_t gva, size_t len);
int guest_write(uint64_t gva, const void *src, size_t len);

#endif
