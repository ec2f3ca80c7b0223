// SPDX-License-Identifier: MIT
/*
 * TDH.SYS.RD (leaf 34): read one global metadata element [ABI §1.1, §8; TDX module
 * 1.5.01 tdh_sys_rd.c]. RDX = field ID. Outputs: R8 = value (0 on error), RDX = the next
 * element ID, or -1 at the end and on error.
 *
 * A null field ID (-1, context bits ignored) asks for the first ID: RDX gets it and the
 * status is the warning METADATA_FIRST_FIELD_ID_IN_CONTEXT.
 */
#include "module.h"

void tdh_sys_rd_defaults(uint64_t *regs)
{
	regs[REG_RDX_] = MD_FIELD_ID_NA;
	regs[REG_R8_] = 0;
}

/*
 * One element by ID, for TDH.SYS.RD and TDG.SYS.RD alike: RDX in = field ID, out = next;
 * R8 = value.
 */
uint64_t md_sys_rd_regs(uint64_t *regs, enum md_reader r)
{
	/* The context code is implied (SYS) and ignored on input. */
	uint64_t id = md_field_id_set_context(regs[REG_RDX_], MD_CTX_SYS);
	uint64_t value, status;

	tdh_sys_rd_defaults(regs);
	if (md_field_id_is_null(id)) {
		regs[REG_RDX_] = md_sys_first(r);
		return TDX_METADATA_FIRST_FIELD_ID_IN_CONTEXT;
	}

	/*
	 * A single element: reserved bits, last-element and last-field must be 0; size,
	 * inc_size and write_mask_valid are ignored [M md_check_as_single_element_id].
	 */
	if ((id & (MD_FIELD_ID_RESERVED_MASK | MD_FIELD_ID_LAST_ELEMENT_MASK |
		   MD_FIELD_ID_LAST_FIELD_MASK)))
		return TDX_METADATA_FIELD_ID_INCORRECT;

	status = md_sys_read(id, r, &value);
	regs[REG_R8_] = value;
	if (status == TDX_SUCCESS)
		regs[REG_RDX_] = md_sys_next_element(id, r);
	return status;
}

uint64_t tdh_sys_rd_leaf(uint64_t *regs, unsigned int version, unsigned int lp)
{
	(void)version;
	/* Needs LP.INIT on this LP, which also implies SYS.INIT. */
	if (!lp_is_init(lp)) {
		tdh_sys_rd_defaults(regs);
		return TDX_SYS_LP_INIT_NOT_DONE;
	}
	return md_sys_rd_regs(regs, MD_READER_HOST);
}
