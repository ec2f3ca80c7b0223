// SPDX-License-Identifier: MIT
/*
 * EXIT_REASON_EXCEPTION_NMI: an exception the TD's exception bitmap intercepts. Only #MC
 * reaches the module (every other exception is the guest's, delivered by the CPU without an
 * exit); it goes back to the guest as the CPU raised it.
 */
#include "td.h"

void vmexit_exception_nmi(struct cpu_regs *ctx, struct tdvps *vp, const struct vm_exit *exit)
{
	td_inject_exception(ctx, vp, (uint8_t)(exit->intr_info & INTR_INFO_VECTOR_MASK),
			    (exit->intr_info & INTR_INFO_ERROR_VALID) != 0, exit->intr_error);
}
