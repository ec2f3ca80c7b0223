// SPDX-License-Identifier: MIT
/*
 * TDG.SYS.RDALL: the guest dumps the global metadata it may read as a metadata list into a
 * 4 KiB page of its private memory [M tdg_sys_rdall.c]. RDX = the list's GPA, R8 = the first
 * field ID (null = from the start). Output R8 = the next field ID, -1 at the end (SUCCESS),
 * or where to go on after METADATA_LIST_OVERFLOW. Only guest-readable fields are listed
 * (tdg_sys_rd.c); a field ID naming another one starts the list at the next readable field.
 *
 * Checks in the module's order: RDX not 4K-aligned → OPERAND_INVALID|RDX; the GPA beyond
 * GPAW or shared → OPERAND_INVALID|RDX; a private page not mapped → #VE or an EPT-violation
 * TD exit (td_gpa.c), after which the TDCALL runs again; a field ID that is not the start
 * of a field → METADATA_FIELD_ID_INCORRECT. R8 is -1 on every failure (not written when the
 * TDCALL left the TD, so the re-executed call still has its input).
 */
#include "td.h"

uint64_t tdg_sys_rdall(struct cpu_regs *ctx, struct tdvps *vp, struct tdcs *tdcs,
		       unsigned int version)
{
	uint64_t gpa = ctx->gpr[REG_RDX_];
	uint64_t id = md_field_id_set_context(ctx->gpr[REG_R8_], MD_CTX_SYS);
	uint64_t status, next;
	void *list;

	(void)version;
	if (!is_aligned(gpa, _4K)) {
		ctx->gpr[REG_R8_] = MD_FIELD_ID_NA;
		return TDX_OPERAND_INVALID + TDX_OPERAND_ID_RDX;
	}
	status = td_gpa_map(ctx, vp, tdcs, gpa, _4K, true, true, &list);
	if (status == TDCALL_EXITED)
		return status;
	ctx->gpr[REG_R8_] = MD_FIELD_ID_NA;
	if (status)
		return status + TDX_OPERAND_ID_RDX;
	status = md_sys_dump_list(id, MD_READER_GUEST, list, &next);
	ctx->gpr[REG_R8_] = next;
	return status;
}
