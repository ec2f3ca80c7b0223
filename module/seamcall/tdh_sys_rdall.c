// SPDX-License-Identifier: MIT
/*
 * TDH.SYS.RDALL (leaf 37): dump global metadata as a metadata list into a 4 KiB page
 * [ABI §1.1; TDX module 1.5.01 tdh_sys_rdall.c]. RDX = list page PA (4 KiB aligned,
 * shared), R8 = first field ID (null = from the start). Output R8 = the next field ID to
 * read, -1 when the list reached the end (SUCCESS); METADATA_LIST_OVERFLOW when the page is
 * full and more fields remain.
 */
#include "module.h"

void tdh_sys_rdall_defaults(uint64_t *regs)
{
	regs[REG_R8_] = MD_FIELD_ID_NA;
}

uint64_t tdh_sys_rdall_leaf(uint64_t *regs, unsigned int version, unsigned int lp)
{
	uint64_t list_pa = regs[REG_RDX_];
	uint64_t id = md_field_id_set_context(regs[REG_R8_], MD_CTX_SYS);
	uint64_t next, status;
	uint8_t *list;

	(void)version;
	tdh_sys_rdall_defaults(regs);

	if (!lp_is_init(lp))
		return TDX_SYS_LP_INIT_NOT_DONE;
	if (!shared_hpa_ok(list_pa, _4K))
		return TDX_OPERAND_INVALID + TDX_OPERAND_ID_RDX;
	list = seam_map(list_pa, _4K);
	if (!list)
		return TDX_OPERAND_INVALID + TDX_OPERAND_ID_RDX;

	status = md_sys_dump_list(id, MD_READER_HOST, list, &next);
	regs[REG_R8_] = next;
	return status;
}
