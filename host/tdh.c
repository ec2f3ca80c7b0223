// SPDX-License-Identifier: MIT
/*
 * The SEAMCALL wrappers a VMM calls (tdh.h): each puts its arguments in the registers of
 * its leaf [ABI §1.1], makes the call with seamcall() (the RND_NO_ENTROPY retry, interrupts
 * off around each call) and hands back the status and the outputs the caller asked for.
 */
#include <stdatomic.h>

#include "platform/platform.h"
#include "tdx/leaves.h"

#include "seamcall.h"
#include "tdh.h"
#include "tdx_host.h"

void tdx_seamcall_set_gate(bool on)
{
	__atomic_store_n(&seamcall_use_gate, on, __ATOMIC_RELAXED);
}

bool tdx_seamcall_gate(void)
{
	return __atomic_load_n(&seamcall_use_gate, __ATOMIC_RELAXED) && tdxsim_gate_ptr;
}

/* One leaf for @td (NULL: none), and its trace line. */
static uint64_t tdh_call(const struct tdx_td *td, uint64_t leaf, struct tdx_module_args *a)
{
	struct tdx_module_args in;
	uint64_t status;

	if (!td || !td->trace)
		return seamcall(leaf, a);
	in = *a;
	status = seamcall(leaf, a);
	td->trace(td->trace_arg, leaf, &in, status);
	return status;
}

static void ext_err(const struct tdx_module_args *a, uint64_t *ext_err1, uint64_t *ext_err2)
{
	if (ext_err1)
		*ext_err1 = a->rcx;
	if (ext_err2)
		*ext_err2 = a->rdx;
}

uint64_t tdh_mng_create(struct tdx_td *td, uint16_t hkid)
{
	struct tdx_module_args a = {.rcx = td->tdr_pa, .rdx = hkid};

	return tdh_call(td, TDH_MNG_CREATE, &a);
}

uint64_t tdh_mng_key_config(struct tdx_td *td)
{
	struct tdx_module_args a = {.rcx = td->tdr_pa};

	return tdh_call(td, TDH_MNG_KEY_CONFIG, &a);
}

uint64_t tdh_mng_addcx(struct tdx_td *td, uint64_t tdcs_pa)
{
	struct tdx_module_args a = {.rcx = tdcs_pa, .rdx = td->tdr_pa};

	return tdh_call(td, TDH_MNG_ADDCX, &a);
}

uint64_t tdh_mng_init(struct tdx_td *td, uint64_t td_params_pa, uint64_t *ext_err1)
{
	struct tdx_module_args a = {.rcx = td->tdr_pa, .rdx = td_params_pa};
	uint64_t s = tdh_call(td, TDH_MNG_INIT, &a);

	if (ext_err1)
		*ext_err1 = a.rcx;
	return s;
}

uint64_t tdh_mng_rd(struct tdx_td *td, uint64_t field, uint64_t *data)
{
	struct tdx_module_args a = {.rcx = td->tdr_pa, .rdx = field};
	uint64_t s = tdh_call(td, TDH_MNG_RD, &a);

	*data = a.r8;
	return s;
}

uint64_t tdh_mng_vpflushdone(struct tdx_td *td)
{
	struct tdx_module_args a = {.rcx = td->tdr_pa};

	return tdh_call(td, TDH_MNG_VPFLUSHDONE, &a);
}

uint64_t tdh_mng_key_freeid(struct tdx_td *td)
{
	struct tdx_module_args a = {.rcx = td->tdr_pa};

	return tdh_call(td, TDH_MNG_KEY_FREEID, &a);
}

uint64_t tdh_mem_sept_add(struct tdx_td *td, uint64_t gpa, int level, uint64_t sept_pa,
			  uint64_t *ext_err1, uint64_t *ext_err2)
{
	struct tdx_module_args a = {.rcx = gpa | (uint64_t)level, .rdx = td->tdr_pa, .r8 = sept_pa};
	uint64_t s = tdh_call(td, TDH_MEM_SEPT_ADD, &a);

	ext_err(&a, ext_err1, ext_err2);
	return s;
}

uint64_t tdh_mem_page_add(struct tdx_td *td, uint64_t gpa, uint64_t hpa, uint64_t source,
			  uint64_t *ext_err1, uint64_t *ext_err2)
{
	struct tdx_module_args a = {.rcx = gpa, .rdx = td->tdr_pa, .r8 = hpa, .r9 = source};
	uint64_t s = tdh_call(td, TDH_MEM_PAGE_ADD, &a);

	ext_err(&a, ext_err1, ext_err2);
	return s;
}

uint64_t tdh_mem_page_aug(struct tdx_td *td, uint64_t gpa, int level, uint64_t hpa,
			  uint64_t *ext_err1, uint64_t *ext_err2)
{
	struct tdx_module_args a = {.rcx = gpa | (uint64_t)level, .rdx = td->tdr_pa, .r8 = hpa};
	uint64_t s = tdh_call(td, TDH_MEM_PAGE_AUG, &a);

	ext_err(&a, ext_err1, ext_err2);
	return s;
}

uint64_t tdh_mem_range_block(struct tdx_td *td, uint64_t gpa, int level, uint64_t *ext_err1,
			     uint64_t *ext_err2)
{
	struct tdx_module_args a = {.rcx = gpa | (uint64_t)level, .rdx = td->tdr_pa};
	uint64_t s = tdh_call(td, TDH_MEM_RANGE_BLOCK, &a);

	ext_err(&a, ext_err1, ext_err2);
	return s;
}

uint64_t tdh_mem_track(struct tdx_td *td)
{
	struct tdx_module_args a = {.rcx = td->tdr_pa};

	return tdh_call(td, TDH_MEM_TRACK, &a);
}

uint64_t tdh_mem_page_remove(struct tdx_td *td, uint64_t gpa, int level, uint64_t *ext_err1,
			     uint64_t *ext_err2)
{
	struct tdx_module_args a = {.rcx = gpa | (uint64_t)level, .rdx = td->tdr_pa};
	uint64_t s = tdh_call(td, TDH_MEM_PAGE_REMOVE, &a);

	ext_err(&a, ext_err1, ext_err2);
	return s;
}

uint64_t tdh_mem_page_demote(struct tdx_td *td, uint64_t gpa, int level, uint64_t sept_pa,
			     uint64_t *ext_err1, uint64_t *ext_err2)
{
	struct tdx_module_args a = {.rcx = gpa | (uint64_t)level, .rdx = td->tdr_pa, .r8 = sept_pa};
	uint64_t s = tdh_call(td, TDH_MEM_PAGE_DEMOTE, &a);

	ext_err(&a, ext_err1, ext_err2);
	return s;
}

uint64_t tdh_mr_extend(struct tdx_td *td, uint64_t gpa, uint64_t *ext_err1, uint64_t *ext_err2)
{
	struct tdx_module_args a = {.rcx = gpa, .rdx = td->tdr_pa};
	uint64_t s = tdh_call(td, TDH_MR_EXTEND, &a);

	ext_err(&a, ext_err1, ext_err2);
	return s;
}

uint64_t tdh_mr_finalize(struct tdx_td *td)
{
	struct tdx_module_args a = {.rcx = td->tdr_pa};

	return tdh_call(td, TDH_MR_FINALIZE, &a);
}

uint64_t tdh_vp_create(struct tdx_td *td, struct tdx_vp *vp)
{
	struct tdx_module_args a = {.rcx = vp->tdvpr_pa, .rdx = td->tdr_pa};

	vp->td = td;
	return tdh_call(td, TDH_VP_CREATE, &a);
}

uint64_t tdh_vp_addcx(struct tdx_vp *vp, uint64_t tdcx_pa)
{
	struct tdx_module_args a = {.rcx = tdcx_pa, .rdx = vp->tdvpr_pa};

	return tdh_call(vp->td, TDH_VP_ADDCX, &a);
}

uint64_t tdh_vp_init(struct tdx_vp *vp, uint64_t initial_rcx, uint32_t x2apicid)
{
	struct tdx_module_args a = {.rcx = vp->tdvpr_pa, .rdx = initial_rcx, .r8 = x2apicid};

	return tdh_call(vp->td, TDH_VP_INIT | (uint64_t)TDH_VP_INIT_X2APIC_VERSION << 16, &a);
}

uint64_t tdh_vp_flush(struct tdx_vp *vp)
{
	struct tdx_module_args a = {.rcx = vp->tdvpr_pa};

	return tdh_call(vp->td, TDH_VP_FLUSH, &a);
}

uint64_t tdh_vp_rd(struct tdx_vp *vp, uint64_t field, uint64_t *data)
{
	struct tdx_module_args a = {.rcx = vp->tdvpr_pa, .rdx = field};
	uint64_t s = tdh_call(vp->td, TDH_VP_RD, &a);

	*data = a.r8;
	return s;
}

uint64_t tdh_vp_wr(struct tdx_vp *vp, uint64_t field, uint64_t data, uint64_t mask)
{
	struct tdx_module_args a = {.rcx = vp->tdvpr_pa, .rdx = field, .r8 = data, .r9 = mask};

	return tdh_call(vp->td, TDH_VP_WR, &a);
}

uint64_t tdh_vp_enter(struct tdx_vp *vp, struct tdx_module_args *args)
{
	unsigned long flags = lp_irq_save();
	uint64_t status;

	args->rcx = vp->tdvpr_pa;
	status = __seamcall(TDH_VP_ENTER, args);
	lp_irq_restore(flags);
	return status;
}

uint64_t tdh_phymem_cache_wb(bool resume)
{
	struct tdx_module_args a = {.rcx = resume ? TDH_PHYMEM_CACHEWB_RESUME_CMD
						  : TDH_PHYMEM_CACHEWB_START_CMD};

	return tdh_call(NULL, TDH_PHYMEM_CACHE_WB, &a);
}

uint64_t tdh_phymem_page_reclaim(uint64_t hpa, uint64_t *tdx_pt, uint64_t *tdx_owner,
				 uint64_t *tdx_size)
{
	struct tdx_module_args a = {.rcx = hpa};
	uint64_t s = tdh_call(NULL, TDH_PHYMEM_PAGE_RECLAIM, &a);

	if (tdx_pt)
		*tdx_pt = a.rcx;
	if (tdx_owner)
		*tdx_owner = a.rdx;
	if (tdx_size)
		*tdx_size = a.r8;
	return s;
}
