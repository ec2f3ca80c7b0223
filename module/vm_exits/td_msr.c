// SPDX-License-Identifier: MIT
/*
 * RDMSR/WRMSR in a TD, as a TDX module 1.5 platform gives them [ABI/BASE MSR virtualization;
 * M msr_config_lookup.c, td_msr_access.c, helpers.c is_msr_dynamic_bit_cleared,
 * virt_msr_helpers.h]. td_msr_rows[] is the one table; docs/TD-CPU.md lists every row.
 *
 * Each row gives, for a read and for a write, one action:
 *   NATIVE  the vCPU's own MSR (the real module lets the CPU execute it: MSR bitmap 0); here a
 *           per-vCPU store in the TDVPS, so the TD reads back what it wrote;
 *   VE      #VE with exit reason RDMSR/WRMSR, for the guest kernel to emulate or ask the VMM;
 *   GP      #GP(0);
 *   VALUE   a value the module computes (td_msr_read_value), or a write it checks
 *           (td_msr_write_value): EFER, XSS, DEBUGCTL, MISC_ENABLE, the VMX capabilities...;
 *   APIC    a virtual-APIC register (td_apic.c plays APICv) [SDM vol. 3C 30.5].
 * and a condition on the TD (CPUID as configured, ATTRIBUTES, XFAM): where it does not hold,
 * the access is #GP instead [M is_msr_dynamic_bit_cleared, rd_wr_msr_generic_case]. MSRs in
 * no row, and outside the MSR bitmap's ranges, are #VE.
 *
 * The x2APIC range follows the module's MSR bitmap [M msr_config_lookup.c rows 89-105]:
 * TPR, PPR, EOI, ISR, TMR, IRR and SELF_IPI pass through to APICv; the reserved xAPIC-only
 * offsets are #GP; ID, VERSION, LDR, SVR, ESR, the LVTs, the timer and ICR are #VE, so a
 * guest asks the VMM (TDVMCALL<RDMSR/WRMSR>), e.g. to send an IPI through ICR.
 */
#include <string.h>

#include "td.h"

/* clang-format off */
const struct td_msr_row td_msr_rows[] = {
	/* first, last, rd, wr, rd_cond, wr_cond, name */
	{0x10, 0x10, MSR_VALUE, MSR_VE, 0, 0, "IA32_TIME_STAMP_COUNTER"},
	{0x48, 0x48, MSR_NATIVE, MSR_NATIVE, 0, 0, "IA32_SPEC_CTRL"},
	{0x49, 0x49, MSR_GP, MSR_VALUE, 0, 0, "IA32_PRED_CMD (write-only)"},
	{0x87, 0x87, MSR_VE, MSR_VE, MSR_IF_MKTME, MSR_IF_MKTME, "IA32_MKTME_KEYID_PARTITIONING"},
	{0x8c, 0x8f, MSR_GP, MSR_GP, 0, 0, "IA32_SGXLEPUBKEYHASH0-3"},
	{0x98, 0x9a, MSR_GP, MSR_GP, 0, 0, "WBINVDP, WBNOINVDP, INTR_PENDING"},
	{0x9b, 0x9b, MSR_GP, MSR_GP, 0, 0, "IA32_SMM_MONITOR_CTL"},
	{0x9e, 0x9e, MSR_GP, MSR_GP, 0, 0, "IA32_SMBASE"},
	{0xbc, 0xbc, MSR_NATIVE, MSR_VE, 0, 0, "IA32_MISC_PACKAGE_CTLS"},
	{0xbd, 0xbd, MSR_VALUE, MSR_GP, 0, 0, "IA32_XAPIC_DISABLE_STATUS"},
	{0xc1, 0xc8, MSR_NATIVE, MSR_NATIVE, MSR_IF_PERFMON, MSR_IF_PERFMON, "IA32_PMC0-7"},
	{0xe1, 0xe1, MSR_NATIVE, MSR_NATIVE, MSR_IF_WAITPKG, MSR_IF_WAITPKG, "IA32_UMWAIT_CONTROL"},
	{0xfe, 0xfe, MSR_VE, MSR_VE, MSR_IF_RV_MTRR, MSR_IF_RV_MTRR, "IA32_MTRRCAP"},
	{0x10a, 0x10a, MSR_VALUE, MSR_GP, 0, 0, "IA32_ARCH_CAPABILITIES"},
	{0x10b, 0x10b, MSR_GP, MSR_VALUE, 0, 0, "IA32_FLUSH_CMD (write-only)"},
	{0x122, 0x122, MSR_NATIVE, MSR_NATIVE, MSR_IF_TSX, MSR_IF_TSX, "IA32_TSX_CTRL"},
	{0x174, 0x176, MSR_NATIVE, MSR_NATIVE, 0, 0, "IA32_SYSENTER_CS/ESP/EIP"},
	{0x179, 0x17b, MSR_VE, MSR_VE, MSR_IF_RV_MCA, MSR_IF_RV_MCA, "IA32_MCG_CAP, MCG_STATUS, MCG_CTL"},
	{0x186, 0x18d, MSR_NATIVE, MSR_NATIVE, MSR_IF_PERFMON, MSR_IF_PERFMON, "IA32_PERFEVTSEL0-7"},
	{0x195, 0x195, MSR_GP, MSR_GP, 0, 0, "IA32_OVERCLOCKING_STATUS"},
	{0x198, 0x199, MSR_VE, MSR_VE, MSR_IF_RV_EST, MSR_IF_RV_EST, "IA32_PERF_STATUS, PERF_CTL"},
	{0x1a0, 0x1a0, MSR_VALUE, MSR_VE, 0, 0, "IA32_MISC_ENABLE"},
	{0x1a6, 0x1a7, MSR_NATIVE, MSR_NATIVE, MSR_IF_PERFMON, MSR_IF_PERFMON, "MSR_OFFCORE_RSP0-1"},
	{0x1c4, 0x1c5, MSR_NATIVE, MSR_NATIVE, MSR_IF_XFD, MSR_IF_XFD, "IA32_XFD, IA32_XFD_ERR"},
	{0x1d9, 0x1d9, MSR_VALUE, MSR_VALUE, 0, 0, "IA32_DEBUGCTL"},
	{0x1f8, 0x1fa, MSR_VE, MSR_VE, MSR_IF_DCA, MSR_IF_DCA, "IA32_PLATFORM_DCA_CAP, CPU_DCA_CAP, DCA_0_CAP"},
	{0x200, 0x213, MSR_VE, MSR_VE, MSR_IF_RV_MTRR, MSR_IF_RV_MTRR, "IA32_MTRR_PHYSBASE0-PHYSMASK9"},
	{0x250, 0x250, MSR_VE, MSR_VE, MSR_IF_RV_MTRR, MSR_IF_RV_MTRR, "IA32_MTRR_FIX64K_00000"},
	{0x258, 0x259, MSR_VE, MSR_VE, MSR_IF_RV_MTRR, MSR_IF_RV_MTRR, "IA32_MTRR_FIX16K_80000, A0000"},
	{0x268, 0x26f, MSR_VE, MSR_VE, MSR_IF_RV_MTRR, MSR_IF_RV_MTRR, "IA32_MTRR_FIX4K_C0000-F8000"},
	{0x276, 0x276, MSR_GP, MSR_GP, 0, 0, "MSR_SLAM_ENABLE"},
	{0x277, 0x277, MSR_NATIVE, MSR_NATIVE, 0, 0, "IA32_PAT"},
	{0x280, 0x29f, MSR_VE, MSR_VE, MSR_IF_RV_MCA, MSR_IF_RV_MCA, "IA32_MC0-31_CTL2"},
	{0x2ff, 0x2ff, MSR_VE, MSR_VE, MSR_IF_RV_MTRR, MSR_IF_RV_MTRR, "IA32_MTRR_DEF_TYPE"},
	{0x309, 0x310, MSR_NATIVE, MSR_NATIVE, MSR_IF_PERFMON, MSR_IF_PERFMON, "IA32_FIXED_CTR0-7"},
	{0x329, 0x329, MSR_NATIVE, MSR_NATIVE, MSR_IF_PERF_METRICS, MSR_IF_PERF_METRICS, "IA32_PERF_METRICS"},
	{0x345, 0x345, MSR_VALUE, MSR_NATIVE, 0, MSR_IF_PERFMON, "IA32_PERF_CAPABILITIES"},
	{0x38d, 0x392, MSR_NATIVE, MSR_NATIVE, MSR_IF_PERFMON, MSR_IF_PERFMON, "IA32_FIXED_CTR_CTRL, PERF_GLOBAL_*"},
	{0x3f1, 0x3f2, MSR_NATIVE, MSR_NATIVE, MSR_IF_PERFMON, MSR_IF_PERFMON, "IA32_PEBS_ENABLE, MSR_PEBS_MATRIX_VECT"},
	{0x3f6, 0x3f7, MSR_NATIVE, MSR_NATIVE, MSR_IF_PERFMON, MSR_IF_PERFMON, "MSR_PEBS_LD_LATENCY, PEBS_FRONTEND"},
	{0x400, 0x47f, MSR_VE, MSR_VE, MSR_IF_RV_MCA, MSR_IF_RV_MCA, "IA32_MC0-31_CTL, STATUS, ADDR, MISC"},
	{0x480, 0x480, MSR_VALUE, MSR_GP, 0, 0, "IA32_VMX_BASIC"},
	{0x481, 0x484, MSR_VE, MSR_GP, 0, 0, "IA32_VMX_PINBASED/PROCBASED/EXIT/ENTRY_CTLS"},
	{0x485, 0x489, MSR_VALUE, MSR_GP, 0, 0, "IA32_VMX_MISC, CR0_FIXED0/1, CR4_FIXED0/1"},
	{0x48a, 0x48a, MSR_VE, MSR_GP, 0, 0, "IA32_VMX_VMCS_ENUM"},
	{0x48b, 0x492, MSR_VALUE, MSR_GP, 0, 0, "IA32_VMX_PROCBASED_CTLS2 .. PROCBASED_CTLS3"},
	{0x4c1, 0x4c8, MSR_NATIVE, MSR_NATIVE, MSR_IF_PERFMON, MSR_IF_PERFMON, "IA32_A_PMC0-7"},
	{0x500, 0x500, MSR_GP, MSR_GP, 0, 0, "IA32_SGX_SVN_STATUS"},
	{0x560, 0x561, MSR_NATIVE, MSR_NATIVE, MSR_IF_PT, MSR_IF_PT, "IA32_RTIT_OUTPUT_BASE, OUTPUT_MASK_PTRS"},
	{0x570, 0x572, MSR_NATIVE, MSR_NATIVE, MSR_IF_PT, MSR_IF_PT, "IA32_RTIT_CTL, STATUS, CR3_MATCH"},
	{0x580, 0x587, MSR_NATIVE, MSR_NATIVE, MSR_IF_PT, MSR_IF_PT, "IA32_RTIT_ADDR0-3_A/B"},
	{0x600, 0x600, MSR_NATIVE, MSR_NATIVE, 0, 0, "IA32_DS_AREA"},
	{0x6a0, 0x6a0, MSR_NATIVE, MSR_NATIVE, MSR_IF_CET, MSR_IF_CET, "IA32_U_CET"},
	{0x6a2, 0x6a2, MSR_NATIVE, MSR_NATIVE, MSR_IF_CET, MSR_IF_CET, "IA32_S_CET"},
	{0x6a4, 0x6a8, MSR_NATIVE, MSR_NATIVE, MSR_IF_CET, MSR_IF_CET, "IA32_PL0-3_SSP, INTERRUPT_SSP_TABLE_ADDR"},
	{0x6e0, 0x6e0, MSR_VE, MSR_VE, MSR_IF_TSC_DEADLINE, MSR_IF_TSC_DEADLINE, "IA32_TSC_DEADLINE"},
	{0x6e1, 0x6e1, MSR_NATIVE, MSR_NATIVE, MSR_IF_PKS, MSR_IF_PKS, "IA32_PKRS"},
	{0x800, 0x801, MSR_GP, MSR_GP, 0, 0, "x2APIC reserved"},
	{0x804, 0x807, MSR_GP, MSR_GP, 0, 0, "x2APIC reserved"},
	{0x808, 0x808, MSR_APIC, MSR_APIC, 0, 0, "IA32_X2APIC_TPR"},
	{0x809, 0x809, MSR_GP, MSR_GP, 0, 0, "x2APIC reserved (APR)"},
	{0x80a, 0x80b, MSR_APIC, MSR_APIC, 0, 0, "IA32_X2APIC_PPR, EOI"},
	{0x80c, 0x80c, MSR_GP, MSR_GP, 0, 0, "x2APIC reserved (RRD)"},
	{0x80e, 0x80e, MSR_GP, MSR_GP, 0, 0, "x2APIC reserved (DFR)"},
	{0x810, 0x827, MSR_APIC, MSR_APIC, 0, 0, "IA32_X2APIC_ISR0-7, TMR0-7, IRR0-7"},
	{0x829, 0x82e, MSR_GP, MSR_GP, 0, 0, "x2APIC reserved"},
	{0x831, 0x831, MSR_GP, MSR_GP, 0, 0, "x2APIC reserved (ICR high)"},
	{0x83f, 0x83f, MSR_APIC, MSR_APIC, 0, 0, "IA32_X2APIC_SELF_IPI"},
	{0x840, 0x8ff, MSR_GP, MSR_GP, 0, 0, "x2APIC reserved"},
	{0x981, 0x984, MSR_VE, MSR_VE, MSR_IF_TME, MSR_IF_TME, "IA32_TME_CAPABILITY, ACTIVATE, EXCLUDE_MASK/BASE"},
	{0x985, 0x98a, MSR_NATIVE, MSR_NATIVE, MSR_IF_ULI, MSR_IF_ULI, "IA32_UINTR_RR .. UINTR_TT"},
	{0xc80, 0xc80, MSR_NATIVE, MSR_VE, 0, 0, "IA32_DEBUG_INTERFACE"},
	{0xd90, 0xd90, MSR_GP, MSR_GP, 0, 0, "IA32_BNDCFGS"},
	{0xd93, 0xd93, MSR_GP, MSR_GP, 0, 0, "IA32_PASID"},
	{0xda0, 0xda0, MSR_NATIVE, MSR_VALUE, 0, 0, "IA32_XSS"},
	{0x1200, 0x12ff, MSR_NATIVE, MSR_NATIVE, MSR_IF_LBR, MSR_IF_LBR, "IA32_LBR_0-255_INFO"},
	{0x14ce, 0x14cf, MSR_NATIVE, MSR_NATIVE, MSR_IF_LBR, MSR_IF_LBR, "IA32_LBR_CTL, LBR_DEPTH"},
	{0x1500, 0x16ff, MSR_NATIVE, MSR_NATIVE, MSR_IF_LBR, MSR_IF_LBR, "IA32_LBR_0-255_FROM_IP, TO_IP"},
	{0x1b01, 0x1b01, MSR_NATIVE, MSR_NATIVE, 0, 0, "IA32_UARCH_MISC_CTL"},
	{0xc0000080, 0xc0000080, MSR_VALUE, MSR_VALUE, 0, 0, "IA32_EFER"},
	{0xc0000081, 0xc0000082, MSR_NATIVE, MSR_NATIVE, 0, 0, "IA32_STAR, LSTAR"},
	{0xc0000084, 0xc0000084, MSR_NATIVE, MSR_NATIVE, 0, 0, "IA32_FMASK"},
	{0xc0000100, 0xc0000102, MSR_VALUE, MSR_VALUE, 0, 0, "IA32_FS_BASE, GS_BASE, KERNEL_GS_BASE"},
	{0xc0000103, 0xc0000103, MSR_NATIVE, MSR_NATIVE, 0, 0, "IA32_TSC_AUX"},
};
/* clang-format on */
const unsigned int td_msr_nr_rows = sizeof(td_msr_rows) / sizeof(td_msr_rows[0]);

/* EFER of a 64-bit TD: SCE, LME, LMA, NXE [SDM]. */
#define TD_EFER	       0xD01ULL
#define EFER_SCE       (1ULL << 0)
#define EFER_LMA       (1ULL << 10)
#define TD_PAT_DEFAULT 0x0007040600070406ULL

/* The MSR bitmap covers 0-0x1FFF and 0xC0000000-0xC0001FFF; others are #VE [M]. */
static bool msr_in_bitmap(uint32_t msr)
{
	return msr < 0x2000 || (msr >= 0xC0000000 && msr < 0xC0002000);
}

const struct td_msr_row *td_msr_row(uint32_t msr)
{
	for (unsigned int i = 0; i < td_msr_nr_rows; i++)
		if (msr >= td_msr_rows[i].first && msr <= td_msr_rows[i].last)
			return &td_msr_rows[i];
	return NULL;
}

/* A feature of the TD's CPUID as MNG.INIT fixed it [M tdcs cpuid_flags], less what #VE
 * reduction takes away while it is in force (the rows' `rclear`, docs/TD-CPU.md). */
static bool cpuid_bit(const struct tdvps *vp, uint32_t leaf, uint32_t sub, int reg, int bit)
{
	const struct tdcs *tdcs = vp_tdcs((struct tdvps *)vp);
	const struct td_cpuid_row *r = td_cpuid_row(leaf, sub);
	uint32_t v[4];

	if (!td_cpuid_td_value(tdcs, leaf, sub, v) || !(v[reg] >> bit & 1))
		return false;
	return !((td_ctls_reduced(tdcs) & TD_CTLS_REDUCE_VE) && (r->rclear[reg] >> bit & 1));
}

/* A condition that only #VE reduction has: true while it is not in force. */
static bool reduced_bit(const struct tdvps *vp, uint32_t leaf, int reg, int bit)
{
	if (!(td_ctls_reduced(vp_tdcs((struct tdvps *)vp)) & TD_CTLS_REDUCE_VE))
		return true;
	return cpuid_bit(vp, leaf, 0, reg, bit);
}

/* Does the TD have what a conditional row needs [M is_*_supported_in_tdcs]? */
bool td_msr_cond(const struct tdvps *vp, uint8_t cond)
{
	const struct tdcs *tdcs = vp_tdcs((struct tdvps *)vp);

	switch (cond) {
	case MSR_ALWAYS:
		return true;
	case MSR_IF_PERFMON:
		return tdcs->attributes & TDX_TD_ATTR_PERFMON;
	case MSR_IF_PERF_METRICS: /* PERFMON and the CPU's PERF_CAPABILITIES[15]: tdxsim's has not */
		return false;
	case MSR_IF_PKS:
		return tdcs->attributes & TDX_TD_ATTR_PKS;
	case MSR_IF_PT:
		return tdcs->xfam & (1ULL << 8);
	case MSR_IF_CET:
		return tdcs->xfam & (3ULL << 11);
	case MSR_IF_ULI:
		return tdcs->xfam & (1ULL << 14);
	case MSR_IF_LBR:
		return tdcs->xfam & (1ULL << 15);
	case MSR_IF_XFD:
		return cpuid_bit(vp, 0xd, 1, 0, 4);
	case MSR_IF_TSX:
		return cpuid_bit(vp, 0x7, 0, 1, 4);
	case MSR_IF_WAITPKG:
		return cpuid_bit(vp, 0x7, 0, 2, 5);
	case MSR_IF_DCA:
		return cpuid_bit(vp, 0x1, 0, 2, 18);
	case MSR_IF_TSC_DEADLINE:
		return cpuid_bit(vp, 0x1, 0, 2, 24);
	case MSR_IF_TME:
		return cpuid_bit(vp, 0x7, 0, 2, 13);
	case MSR_IF_MKTME:
		return cpuid_bit(vp, 0x7, 0, 3, 18);
	case MSR_IF_RV_EST:
		return reduced_bit(vp, 0x1, 2, 7);
	case MSR_IF_RV_MCA:
		return reduced_bit(vp, 0x1, 3, 14);
	case MSR_IF_RV_MTRR:
		return reduced_bit(vp, 0x1, 3, 12);
	}
	return false;
}

enum msr_action td_msr_action(const struct tdvps *vp, uint32_t msr, bool write)
{
	const struct td_msr_row *r = msr_in_bitmap(msr) ? td_msr_row(msr) : NULL;

	if (!r)
		return MSR_VE;
	if (!td_msr_cond(vp, write ? r->wr_cond : r->rd_cond))
		return MSR_GP;
	return write ? r->wr : r->rd;
}

/* ---- The vCPU's own MSRs: a small store in the TDVPS ------------------------------------- */

static uint64_t *native_slot(struct tdvps *vp, uint32_t msr, bool alloc)
{
	struct td_msr_kv *free_kv = NULL;

	for (unsigned int i = 0; i < TDVPS_MSR_STORE; i++) {
		struct td_msr_kv *kv = &vp->msr_store[i];

		if (kv->used && kv->msr == msr)
			return &kv->val;
		if (!kv->used && !free_kv)
			free_kv = kv;
	}
	if (!alloc || !free_kv)
		return NULL;
	*free_kv = (struct td_msr_kv){.msr = msr, .used = 1, .val = 0};
	return &free_kv->val;
}

static uint64_t native_read(struct tdvps *vp, uint32_t msr)
{
	uint64_t *s = native_slot(vp, msr, false);

	return s ? *s : 0;
}

uint64_t td_msr_native_value(const struct tdvps *vp, uint32_t msr)
{
	return native_read((struct tdvps *)vp, msr);
}

/* False when the store is full: the vCPU has more than TDVPS_MSR_STORE non-zero MSRs. */
static bool native_write(struct tdvps *vp, uint32_t msr, uint64_t val)
{
	uint64_t *s = native_slot(vp, msr, val != 0);

	if (s)
		*s = val;
	return s || !val;
}

/* ---- Values the module computes ----------------------------------------------------------- */

/* [M virt_msr_helpers.h, vmcs_defs.h]: the L2 VMCS controls' initial values and L1 write
 * masks, the platform's own "unknown" bits taken as 0 (tdxsim's CPU has no VMX). */
#define VMX_PINBASED_INIT     0x00000029ULL
#define VMX_PROCBASED_INIT    0x91220088ULL
#define VMX_PROCBASED_WR      0x48D99A04ULL
#define VMX_PROCBASED2_INIT   0x1338B3FAULL
#define VMX_PROCBASED2_WR     0x0C513E0CULL
#define VMX_PROCBASED3_INIT   0x80ULL
#define VMX_PROCBASED3_WR     0x0EULL
#define VMX_EXIT_INIT	      0x1F3C8204ULL
#define VMX_ENTRY_INIT	      0x003EC004ULL
#define VMX_ENTRY_WR	      0x00000200ULL
#define VMX_CR0_INIT	      0x21ULL
#define VMX_CR0_VARIABLE      0x8005001FULL
#define VMX_CR4_INIT	      0x2040ULL
#define VMX_CR4_VARIABLE      0x03FF1FBFULL
#define VMX_EXIT_PERF_GLOBAL  (1ULL << 12 | 1ULL << 30)
#define VMX_ENTRY_PERF_GLOBAL (1ULL << 13)
#define VMX_ENTRY_PKRS	      (1ULL << 22)

/* A VMX capability pair: bits 31:0 those that must be 1, 63:32 those that may be 1. */
static uint64_t vmx_allowed(uint64_t init, uint64_t variable)
{
	return (init & ~variable & 0xffffffffULL) | (init | variable) << 32;
}

static uint64_t vmx_value(const struct tdvps *vp, uint32_t msr)
{
	const struct tdcs *tdcs = vp_tdcs((struct tdvps *)vp);
	bool perfmon = tdcs->attributes & TDX_TD_ATTR_PERFMON;
	bool pmu = perfmon || (tdcs->attributes & TDX_TD_ATTR_DEBUG);
	uint64_t v, wr, cr4;

	switch (msr) {
	case 0x480: /* INS/OUTS info, TRUE controls, exceptions without error code */
		return 1ULL << 54 | 1ULL << 55 | 1ULL << 56;
	case 0x485: /* unrestricted guest, HLT, shutdown, PT, 4 CR3 targets, VMWRITE any,
		       zero-length injection */
		return 1ULL << 5 | 1ULL << 6 | 1ULL << 7 | 1ULL << 14 | 4ULL << 16 | 1ULL << 29 |
		       1ULL << 30;
	case 0x486:
		return VMX_CR0_INIT & ~VMX_CR0_VARIABLE;
	case 0x487:
		return VMX_CR0_INIT | VMX_CR0_VARIABLE;
	case 0x488:
	case 0x489:
		cr4 = VMX_CR4_VARIABLE & ~(1ULL << 19); /* Key Locker */
		if (!(tdcs->xfam & (1ULL << 9)))
			cr4 &= ~(1ULL << 22); /* PKE */
		if ((tdcs->xfam & (3ULL << 11)) != (3ULL << 11))
			cr4 &= ~(1ULL << 23); /* CET */
		if (!(tdcs->xfam & (1ULL << 14)))
			cr4 &= ~(1ULL << 25); /* UINTR */
		if (!(tdcs->attributes & TDX_TD_ATTR_PKS))
			cr4 &= ~(1ULL << 24); /* PKS */
		return msr == 0x488 ? VMX_CR4_INIT & ~cr4 : VMX_CR4_INIT | cr4;
	case 0x48b:
		v = VMX_PROCBASED2_INIT;
		wr = VMX_PROCBASED2_WR;
		if (!cpuid_bit(vp, 0x7, 0, 2, 5)) { /* WAITPKG: enable user wait and pause */
			v &= ~(1ULL << 26);
			wr &= ~(1ULL << 26);
		}
		if (!cpuid_bit(vp, 0x7, 0, 3, 18)) { /* PCONFIG */
			v &= ~(1ULL << 27);
			wr &= ~(1ULL << 27);
		}
		return vmx_allowed(v, wr);
	case 0x48c: /* execute-only, 2M and 1G pages, advanced exit info, SSS by XFAM[12] */
		return 1ULL | 1ULL << 16 | 1ULL << 17 | 1ULL << 22 |
		       ((tdcs->xfam >> 12 & 1) ? 1ULL << 23 : 0);
	case 0x48d:
		return vmx_allowed(VMX_PINBASED_INIT, 0);
	case 0x48e:
		v = VMX_PROCBASED_INIT;
		if (!cpuid_bit(vp, 0x1, 0, 2, 3))
			v |= 1ULL << 10 | 1ULL << 29; /* MWAIT, MONITOR exiting */
		if (!perfmon)
			v |= 1ULL << 11; /* RDPMC exiting */
		wr = VMX_PROCBASED_WR & ~(1ULL << 11);
		if (perfmon)
			wr |= 1ULL << 11;
		return vmx_allowed(v, wr);
	case 0x48f:
		v = pmu ? VMX_EXIT_INIT | VMX_EXIT_PERF_GLOBAL
			: VMX_EXIT_INIT & ~VMX_EXIT_PERF_GLOBAL;
		return vmx_allowed(v, 0);
	case 0x490:
		v = pmu ? VMX_ENTRY_INIT | VMX_ENTRY_PERF_GLOBAL
			: VMX_ENTRY_INIT & ~VMX_ENTRY_PERF_GLOBAL;
		if ((tdcs->attributes & (TDX_TD_ATTR_PKS | TDX_TD_ATTR_DEBUG)))
			v |= VMX_ENTRY_PKRS;
		else
			v &= ~VMX_ENTRY_PKRS;
		return vmx_allowed(v, VMX_ENTRY_WR);
	case 0x491: /* VMFUNC */
		return 0;
	case 0x492:
		return VMX_PROCBASED3_INIT | VMX_PROCBASED3_WR;
	}
	return 0;
}

/* IA32_MISC_ENABLE of the platform CPU: fast strings, TCC, BTS unavailable, EIST, MONITOR
 * FSM; the module shows perfmon unavailable and PEBS unavailable without PERFMON. */
#define MISC_ENABLE_MODEL 0x51809ULL

static uint64_t td_msr_read_value(struct tdvps *vp, uint32_t msr)
{
	const struct tdcs *tdcs = vp_tdcs(vp);

	switch (msr) {
	case 0x10: /* the TSC runs natively */
		return __builtin_ia32_rdtsc();
	case 0xbd: /* LEGACY_XAPIC_DISABLED */
		return 1;
	case 0x10a:
		return tdcs->ia32_arch_capabilities_config;
	case 0x1a0:
		if (tdcs->attributes & TDX_TD_ATTR_PERFMON)
			return (MISC_ENABLE_MODEL | 1ULL << 7) & ~(1ULL << 12);
		return MISC_ENABLE_MODEL;
	case 0x1d9: /* DEBUGCTL, bit 13 (uncore PMI) read as 0 */
		return native_read(vp, msr) & ~(1ULL << 13);
	case 0x345: /* PERF_CAPABILITIES: 0 without PERFMON */
		return (tdcs->attributes & TDX_TD_ATTR_PERFMON) ? native_read(vp, msr) : 0;
	case 0xc0000080:
		return vp->efer;
	case 0xc0000100:
		return native_read(vp, msr);
	case 0xc0000101:
		return vp->cpu.gs_base;
	case 0xc0000102:
		return vp->cpu.kernel_gs_base;
	}
	return vmx_value(vp, msr);
}

/* The writes the module checks; returns MSR_NATIVE (done), MSR_GP or MSR_VE. */
#define DEBUGCTL_RESERVED (0x38ULL | ~0xffffULL)
#define XSS_SUPERVISOR	  0x1DD00ULL /* PT, PASID, CET_U, CET_S, HDC, UINTR, LBR, HWP */

static enum msr_action td_msr_write_value(struct tdvps *vp, uint32_t msr, uint64_t val)
{
	const struct tdcs *tdcs = vp_tdcs(vp);
	uint64_t old;

	switch (msr) {
	case 0x49:  /* IBPB */
	case 0x10b: /* L1D_FLUSH */
		return val & ~1ULL ? MSR_GP : MSR_NATIVE;
	case 0x1d9:
		if (val & DEBUGCTL_RESERVED)
			return MSR_GP;
		if ((val & (1ULL << 6)) && !(val & (1ULL << 7)))
			return MSR_VE; /* TR without BTS */
		old = native_read(vp, msr);
		val = (val & ~(1ULL << 13)) | (old & (1ULL << 13));
		return native_write(vp, msr, val) ? MSR_NATIVE : MSR_VE;
	case 0xda0:
		if (val & ~(tdxm.xfam_supported & tdcs->xfam & XSS_SUPERVISOR))
			return MSR_GP;
		return native_write(vp, msr, val) ? MSR_NATIVE : MSR_VE;
	case 0xc0000080: /* only SCE may change; LMA is read-only */
		val = (val & ~EFER_LMA) | (vp->efer & EFER_LMA);
		if ((val & ~EFER_SCE) != (vp->efer & ~EFER_SCE))
			return MSR_VE;
		vp->efer = val;
		return MSR_NATIVE;
	case 0xc0000100:
		return native_write(vp, msr, val) ? MSR_NATIVE : MSR_VE;
	case 0xc0000101:
		vp->cpu.gs_base = val;
		return MSR_NATIVE;
	case 0xc0000102:
		vp->cpu.kernel_gs_base = val;
		return MSR_NATIVE;
	}
	return MSR_GP;
}

/* ---- x2APIC -------------------------------------------------------------------------------- */

/*
 * The x2APIC registers APICv virtualises [SDM 30.5]: reads of TPR, PPR, ISR, TMR and IRR
 * come from the virtual APIC (TMR is 0: every interrupt is edge-triggered); TPR, EOI and
 * SELF_IPI writes are virtualised. A write-only register read, a read-only one written,
 * EOI with a non-zero value or SELF_IPI with bits 63:8 set: #GP. False means #GP.
 */
static bool x2apic_read(struct tdvps *vp, uint32_t msr, uint64_t *val)
{
	const struct td_vapic *a = &vp->apic;

	if (msr == 0x808)
		*val = a->tpr;
	else if (msr == 0x80A)
		*val = td_vapic_ppr(vp);
	else if (msr >= 0x810 && msr <= 0x817)
		*val = (uint32_t)(a->isr[(msr - 0x810) / 2] >> (32 * ((msr - 0x810) % 2)));
	else if (msr >= 0x818 && msr <= 0x81F)
		*val = 0;
	else if (msr >= 0x820 && msr <= 0x827)
		*val = (uint32_t)(a->irr[(msr - 0x820) / 2] >> (32 * ((msr - 0x820) % 2)));
	else
		return false; /* EOI, SELF_IPI: write-only */
	return true;
}

static bool x2apic_write(struct tdvps *vp, uint32_t msr, uint64_t val)
{
	switch (msr) {
	case 0x808:
		if (val >> 8)
			return false; /* bits 63:8 reserved */
		vp->apic.tpr = (uint8_t)val;
		return true;
	case 0x80B:
		if (val)
			return false;
		td_vapic_eoi(vp);
		return true;
	case 0x83F:
		if (val >> 8)
			return false;
		td_vapic_self_ipi(vp, (uint8_t)val);
		return true;
	default:
		return false; /* PPR, ISR, TMR, IRR: read-only */
	}
}

#define APIC_OFFSET_SELF_IPI 0x3F0 /* the xAPIC page offset of SELF IPI (x2APIC MSR 0x83F) */

/* ---- The exit ------------------------------------------------------------------------------ */

static void msr_exit(struct cpu_regs *ctx, struct tdvps *vp, const struct vm_exit *exit, bool write)
{
	uint32_t msr = (uint32_t)ctx->gpr[REG_RCX_];
	uint64_t val = (uint32_t)ctx->gpr[REG_RAX_] | ctx->gpr[REG_RDX_] << 32;
	enum msr_action act = td_msr_action(vp, msr, write);

	switch (act) {
	case MSR_NATIVE:
		if (write)
			act = native_write(vp, msr, val) ? MSR_NATIVE : MSR_VE;
		else
			val = native_read(vp, msr);
		break;
	case MSR_VALUE:
		if (write)
			act = td_msr_write_value(vp, msr, val);
		else
			val = td_msr_read_value(vp, msr);
		break;
	case MSR_APIC:
		/*
		 * SELF_IPI with a vector below 16: not virtualised. The CPU completes the WRMSR
		 * and takes an APIC-write VM exit for offset 3F0H, which the module turns into
		 * #VE [SDM vol. 3C 30.4.3.2, 30.5; M tdx_td_dispatcher.c
		 * VMEXIT_REASON_APIC_WRITE]. Trap-like: RIP is past the WRMSR and no instruction
		 * length is reported.
		 */
		if (write && msr == 0x83F && val < 16) {
			ctx->rip += exit->insn_len;
			td_inject_ve(ctx, vp, EXIT_REASON_APIC_WRITE, APIC_OFFSET_SELF_IPI, 0, 0, 0,
				     0);
			return;
		}
		/* A lower TPR or an EOI may let a pending vector in: td_vm_exit delivers it. */
		if (write ? !x2apic_write(vp, msr, val) : !x2apic_read(vp, msr, &val))
			act = MSR_GP;
		break;
	default:
		break;
	}
	if (act == MSR_VE) {
		td_inject_ve(ctx, vp, write ? EXIT_REASON_MSR_WRITE : EXIT_REASON_MSR_READ, 0, 0, 0,
			     exit->insn_len, 0);
		return;
	}
	if (act == MSR_GP) {
		td_inject_exception(ctx, vp, X86_TRAP_GP, true, 0);
		return;
	}
	if (!write) {
		ctx->gpr[REG_RAX_] = (uint32_t)val;
		ctx->gpr[REG_RDX_] = val >> 32;
	}
	ctx->rip += exit->insn_len;
}

/* EXIT_REASON_MSR_READ */
void vmexit_msr_read(struct cpu_regs *ctx, struct tdvps *vp, const struct vm_exit *exit)
{
	msr_exit(ctx, vp, exit, false);
}

/* EXIT_REASON_MSR_WRITE */
void vmexit_msr_write(struct cpu_regs *ctx, struct tdvps *vp, const struct vm_exit *exit)
{
	msr_exit(ctx, vp, exit, true);
}

/* Initial values of the vCPU's MSRs (TDH.VP.INIT). */
void td_msr_init(struct tdvps *vp)
{
	memset(vp->msr_store, 0, sizeof(vp->msr_store));
	vp->efer = TD_EFER;
	native_write(vp, 0x277, TD_PAT_DEFAULT);
}
