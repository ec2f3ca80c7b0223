// SPDX-License-Identifier: MIT
/*
 * TDG.MR.REPORT: a TDREPORT_STRUCT of this TD, MACed for this platform [M tdg_mr_report.c;
 * ABI §2, §9]. RCX = TDREPORT GPA (1024-aligned), RDX = REPORTDATA GPA (64 bytes,
 * 64-aligned), R8 = report subtype (0). Both buffers may be private or shared [M:
 * PRIVATE_OR_SHARED]; a page that is not there turns the call into an EPT violation (td_gpa.c).
 * Order of checks as in the module: RCX alignment, RDX alignment, REPORTDATA mapping, R8,
 * TDINFO (RTMR lock: OPERAND_BUSY|RTMR), TDREPORT mapping. Layout and MAC: td_attest.c.
 */
#include <string.h>

#include "td.h"

uint64_t tdg_mr_report(struct cpu_regs *ctx, struct tdvps *vp, struct tdcs *tdcs,
		       unsigned int version)
{
	uint64_t report_gpa = ctx->gpr[REG_RCX_], data_gpa = ctx->gpr[REG_RDX_];
	struct tdreport r;
	void *data, *out;
	uint64_t status;

	(void)version;
	if (!is_aligned(report_gpa, TDX_REPORT_ALIGNMENT))
		return TDX_OPERAND_INVALID + TDX_OPERAND_ID_RCX;
	if (!is_aligned(data_gpa, TDX_REPORTDATA_ALIGNMENT))
		return TDX_OPERAND_INVALID + TDX_OPERAND_ID_RDX;
	status = td_gpa_map(ctx, vp, tdcs, data_gpa, TDX_REPORTDATA_LEN, false, false, &data);
	if (status)
		return status == TDCALL_EXITED ? status : status + TDX_OPERAND_ID_RDX;
	if (ctx->gpr[REG_R8_] != TDX_REPORT_SUBTYPE)
		return TDX_OPERAND_INVALID + TDX_OPERAND_ID_R8;
	status = td_report_build(tdcs, &r);
	if (status)
		return status;
	memcpy(r.reportmac.reportdata, data, TDX_REPORTDATA_LEN);
	td_report_mac(&r.reportmac, r.reportmac.mac);
	status = td_gpa_map(ctx, vp, tdcs, report_gpa, sizeof(r), true, false, &out);
	if (status)
		return status == TDCALL_EXITED ? status : status + TDX_OPERAND_ID_RCX;
	memcpy(out, &r, sizeof(r));
	return TDX_SUCCESS;
}
