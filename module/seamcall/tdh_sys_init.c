// SPDX-License-Identifier: MIT
/*
 * TDH.SYS.INIT (leaf 33): global initialisation, once [ABI §1.1, §7; TDX module 1.5.01
 * tdh_sys_init.c]. RCX = module attributes, all reserved. Outputs RCX, RDX, R8-R10 are 0.
 *
 * The real leaf also samples CPUID, MSRs and SMRRs and can fail on them; tdxsim's machine
 * is consistent by construction, so those failures exist only through fault injection.
 */
#include "module.h"

void tdh_sys_init_defaults(uint64_t *regs)
{
	regs[REG_RCX_] = 0;
	regs[REG_RDX_] = 0;
	regs[REG_R8_] = 0;
	regs[REG_R9_] = 0;
	regs[REG_R10_] = 0;
}

uint64_t tdh_sys_init_leaf(uint64_t *regs, unsigned int version, unsigned int lp)
{
	uint64_t attributes = regs[REG_RCX_];
	uint64_t status;

	(void)version;
	(void)lp;
	tdh_sys_init_defaults(regs);

	if (!sharex_try_exclusive(&tdxm.global_lock))
		return TDX_SYS_BUSY;

	/* Every attribute bit is reserved in 1.5.01. Checked before the state. */
	if (attributes) {
		status = TDX_OPERAND_INVALID + TDX_OPERAND_ID_RCX;
		goto out;
	}
	if (sys_state_get() != SYSINIT_PENDING) {
		status = TDX_SYS_INIT_NOT_PENDING;
		goto out;
	}

	tdxm.sys_attributes = attributes;
	tdxm.num_init_lps = 0;
	tdxm.nr_tdmrs = 0;
	sys_state_set(SYSINIT_DONE);
	status = TDX_SUCCESS;
out:
	sharex_release_exclusive(&tdxm.global_lock);
	return status;
}
