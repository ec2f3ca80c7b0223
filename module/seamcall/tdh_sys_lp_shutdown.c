// SPDX-License-Identifier: MIT
/*
 * TDH.SYS.LP.SHUTDOWN (leaf 44): deprecated; kept for hosts that still call it, it does
 * nothing and succeeds [TDX module 1.5.01 tdh_sys_lp_shutdown.c]. It is the one leaf the
 * dispatcher still runs after TDH.SYS.SHUTDOWN [ABI §7].
 */
#include "module.h"

uint64_t tdh_sys_lp_shutdown_leaf(uint64_t *regs, unsigned int version, unsigned int lp)
{
	(void)regs;
	(void)version;
	(void)lp;
	return TDX_SUCCESS;
}
