// SPDX-License-Identifier: MIT
/*
 * TDG.MR.RTMR.EXTEND: RTMR[i] = SHA-384(RTMR[i] || 48 bytes of data) [M tdg_mr_rtmr_extend.c;
 * ABI §2]. RCX = GPA of the data (64-aligned, private), RDX = index 0..3. Order of checks as
 * in the module: RCX alignment, the data's mapping (OPERAND_INVALID|RCX, or an EPT violation:
 * td_gpa.c), RDX, then the RTMR lock, exclusive (OPERAND_BUSY|RTMR).
 */
#include <string.h>

#include "td.h"

#define RTMR_DATA_ALIGNMENT 64

uint64_t tdg_mr_rtmr_extend(struct cpu_regs *ctx, struct tdvps *vp, struct tdcs *tdcs,
			    unsigned int version)
{
	uint64_t gpa = ctx->gpr[REG_RCX_], index = ctx->gpr[REG_RDX_], status;
	uint8_t cat[96];
	void *data;

	(void)version;
	if (!is_aligned(gpa, RTMR_DATA_ALIGNMENT))
		return TDX_OPERAND_INVALID + TDX_OPERAND_ID_RCX;
	status = td_gpa_map(ctx, vp, tdcs, gpa, 48, false, true, &data);
	if (status)
		return status == TDCALL_EXITED ? status : status + TDX_OPERAND_ID_RCX;
	memcpy(cat + 48, data, 48);
	if (index >= TDX_NUM_RTMRS)
		return TDX_OPERAND_INVALID + TDX_OPERAND_ID_RDX;
	if (!sharex_try_exclusive(&tdcs->rtmr_lock))
		return TDX_OPERAND_BUSY + TDX_OPERAND_ID_RTMR;
	memcpy(cat, tdcs->rtmr[index], 48);
	SHA384(cat, sizeof(cat), tdcs->rtmr[index]);
	sharex_release_exclusive(&tdcs->rtmr_lock);
	return TDX_SUCCESS;
}
