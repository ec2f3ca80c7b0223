// SPDX-License-Identifier: MIT
/*
 * TDH.MNG.INIT: configure the TD from TD_PARAMS and start its measurement [M
 * tdh_mng_init.c; ABI §1.1, §9]. RCX = TDR, RDX = TD_PARAMS (1024 bytes, 1024-aligned, in
 * shared memory). Every field is checked against what the module reported in its metadata
 * (ATTRIBUTES/XFAM/CONFIG_FLAGS fixed bits, MAX_VCPUS_PER_TD, CPUID_CONFIG), and a bad one is
 * named by its TD_PARAMS operand ID.
 */
#include <string.h>

#include "td.h"

static bool fixed_bits_ok(uint64_t v, uint64_t fixed0, uint64_t fixed1)
{
	return !(v & ~fixed0) && (v & fixed1) == fixed1;
}

/* XFAM components that only come in groups [M check_xfam; SDM XSAVE]. */
static bool xfam_consistent(uint64_t xfam)
{
	uint64_t avx512 = TDX_XFAM_AVX512, amx = TDX_XFAM_AMX, cet = TDX_XFAM_CET;

	if ((xfam & avx512) && ((xfam & avx512) != avx512 || !(xfam & TDX_XFAM_AVX)))
		return false;
	if ((xfam & amx) && (xfam & amx) != amx)
		return false;
	return !(xfam & cet) || (xfam & cet) == cet;
}

static bool all_zero(const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

static uint64_t check_td_params(const struct td_params *p)
{
	unsigned int levels = tdx_eptp_levels(p->eptp_controls);
	uint64_t max_vcpus =
		tdxm.params.max_vcpus_per_td ? tdxm.params.max_vcpus_per_td : MAX_VCPUS_PER_TD;

	if (!fixed_bits_ok(p->attributes, md_attributes_fixed0(), md_attributes_fixed1()))
		return TDX_OPERAND_INVALID + TDX_OPERAND_ID_ATTRIBUTES;
	if (!fixed_bits_ok(p->xfam, md_xfam_fixed0(), md_xfam_fixed1()) ||
	    !xfam_consistent(p->xfam))
		return TDX_OPERAND_INVALID + TDX_OPERAND_ID_XFAM;
	/* 1.5.01 refuses only 0 [M tdh_mng_init.c]; the metadata's MAX_VCPUS_PER_TD, which
	 * only LATEST reports, bounds it from above. */
	if (!p->max_vcpus || (tdxm.params.version != TDX_MODULE_1_5_01 && p->max_vcpus > max_vcpus))
		return TDX_OPERAND_INVALID + TDX_OPERAND_ID_MAX_VCPUS;
	if (p->num_l2_vms)
		return TDX_OPERAND_INVALID + TDX_OPERAND_ID_NUM_L2_VMS;
	if (p->msr_config_ctls & ~TDX_MSR_CONFIG_CTLS_IA32_ARCH_CAP)
		return TDX_OPERAND_INVALID + TDX_OPERAND_ID_RDX;
	if ((p->eptp_controls & TDX_EPTP_MT_MASK) != TDX_EPTP_MT_WB ||
	    (levels != 4 && levels != 5) ||
	    (p->eptp_controls & ~(TDX_EPTP_MT_MASK | TDX_EPTP_PWL_MASK)))
		return TDX_OPERAND_INVALID + TDX_OPERAND_ID_EPTP_CONTROLS;
	/* 5-level EPT maps 57 bits: only with GPAW 52 [M check_eptp_controls] */
	if (levels == 5 && !(p->config_flags & TDX_CONFIG_FLAGS_GPAW))
		return TDX_OPERAND_INVALID + TDX_OPERAND_ID_EPTP_CONTROLS;
	if (!fixed_bits_ok(p->config_flags, TDX_1_5_CONFIG_FLAGS_FIXED0,
			   TDX_1_5_CONFIG_FLAGS_FIXED1))
		return TDX_OPERAND_INVALID + TDX_OPERAND_ID_EXEC_CONTROLS;
	if (p->tsc_frequency < TDX_TSC_FREQ_MIN || p->tsc_frequency > TDX_TSC_FREQ_MAX)
		return TDX_OPERAND_INVALID + TDX_OPERAND_ID_TSC_FREQUENCY;
	if (!all_zero(p->reserved0, sizeof(p->reserved0)) ||
	    !all_zero(p->reserved1, sizeof(p->reserved1)) ||
	    !all_zero(p->reserved2, sizeof(p->reserved2)))
		return TDX_OPERAND_INVALID + TDX_OPERAND_ID_RDX;
	if (!(p->msr_config_ctls & TDX_MSR_CONFIG_CTLS_IA32_ARCH_CAP) &&
	    p->ia32_arch_capabilities_config)
		return TDX_OPERAND_INVALID + TDX_OPERAND_ID_IA32_ARCH_CAPABILITIES_CONFIG;
	return TDX_SUCCESS;
}

static void tdcs_init(struct tdcs *tdcs, const struct td_params *p)
{
	memset(tdcs, 0, sizeof(*tdcs));
	tdcs->attributes = p->attributes;
	tdcs->xfam = p->xfam;
	tdcs->max_vcpus = p->max_vcpus;
	tdcs->msr_config_ctls = p->msr_config_ctls;
	tdcs->eptp_controls = p->eptp_controls;
	tdcs->ept_levels = tdx_eptp_levels(p->eptp_controls);
	tdcs->config_flags = p->config_flags;
	tdcs->gpaw = tdx_config_gpaw(p->config_flags);
	tdcs->shared_bit = tdx_shared_bit(tdcs->gpaw);
	tdcs->tsc_frequency = p->tsc_frequency;
	tdcs->ia32_arch_capabilities_config = p->ia32_arch_capabilities_config;
	memcpy(tdcs->mrconfigid, p->mrconfigid, sizeof(tdcs->mrconfigid));
	memcpy(tdcs->mrowner, p->mrowner, sizeof(tdcs->mrowner));
	memcpy(tdcs->mrownerconfig, p->mrownerconfig, sizeof(tdcs->mrownerconfig));
	tdcs->td_epoch = 1;
	SHA384_Init(&tdcs->mrtd_ctx);
}

uint64_t tdh_mng_init_leaf(uint64_t *regs, unsigned int version, unsigned int lp)
{
	uint64_t tdr_pa = regs[REG_RCX_], params_pa = regs[REG_RDX_], ext = 0;
	struct td_params p;
	struct page_ref ref;
	struct tdcs *tdcs;
	struct tdr *tdr;
	const void *src;
	uint64_t status;

	(void)version;
	(void)lp;
	regs[REG_RCX_] = 0; /* extended error information */
	status = tdr_get(tdr_pa, TDX_OPERAND_ID_RCX, true, &ref, &tdr);
	if (status)
		return status;
	status = td_state_check(tdr, TDH_MNG_INIT);
	if (status)
		goto out;
	if (tdr->num_tdcx < MAX_TDCS_PAGES) {
		status = TDX_TDCX_NUM_INCORRECT;
		goto out;
	}
	src = shared_hpa_ok(params_pa, TD_PARAMS_ALIGNMENT) ? seam_map(params_pa, sizeof(p)) : NULL;
	if (!src) {
		status = TDX_OPERAND_INVALID + TDX_OPERAND_ID_RDX;
		goto out;
	}
	/* One copy: the host may change its page while the module checks it. */
	memcpy(&p, src, sizeof(p));
	status = check_td_params(&p);
	if (status)
		goto out;

	tdcs = tdcs_of(tdr);
	tdcs_init(tdcs, &p);
	status = td_cpuid_config(tdcs, &p, &ext);
	if (status) {
		regs[REG_RCX_] = ext;
		goto out;
	}
	/* The host that builds the TD gets it with tdx_module_td_window(tdr_pa). */
	tdcs->window = module_window_create(tdcs->gpaw);
	if (!tdcs->window) {
		/* tdxsim limit: no address space left for another TD window */
		status = TDX_OPERAND_BUSY + TDX_OPERAND_ID_TDCS;
		goto out;
	}
	tdr->init = true;
	tdr->op_state = OP_STATE_INITIALIZED;
out:
	page_put(&ref);
	return status;
}
