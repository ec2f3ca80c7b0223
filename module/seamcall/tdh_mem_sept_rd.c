// SPDX-License-Identifier: MIT
/*
 * TDH.MEM.SEPT.RD: read a Secure EPT entry [M tdh_mem_sept_rd.c; ABI §1.1]. RCX = GPA |
 * level (0 .. EPT levels - 1), RDX = TDR, bit 0 of RDX = read the L2 attributes into R8 (a
 * debug TD only, else OPERAND_INVALID|RDX; tdxsim has no L2 VMs, so R8 = 0). Any entry state
 * may be read. RCX = the architectural entry, RDX = level | state << 8 (sept.c); the same on
 * EPT_WALK_FAILED|RCX for the entry where the walk stopped.
 */
#include "td.h"

#define READ_L2_ATTRIBUTES_FLAG 1ULL /* [M tdh_mem_sept_rd.c] */

uint64_t tdh_mem_sept_rd_leaf(uint64_t *regs, unsigned int version, unsigned int lp)
{
	uint64_t rdx = regs[REG_RDX_], status;
	bool read_l2 = rdx & READ_L2_ATTRIBUTES_FLAG;
	struct sept_op op;

	(void)version;
	(void)lp;
	status = sept_op_begin(regs, rdx & ~READ_L2_ATTRIBUTES_FLAG, TDH_MEM_SEPT_RD, 0, -1,
			       read_l2, &op);
	if (!status) {
		sept_details(regs, op.w.value, op.level);
		if (read_l2)
			regs[REG_R8_] = 0;
	}
	sept_op_end(&op);
	return status;
}
