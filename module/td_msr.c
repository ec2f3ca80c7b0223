// SPDX-License-Identifier: MIT
/*
 * RDMSR/WRMSR in a TD [M td_msr_access.c, msr_config_lookup.c; L Documentation tdx.rst;
 * facts §5]. Three outcomes, by MSR:
 *   - the module virtualises it (the vCPU's own copy in the TDVPS, or a fixed value);
 *   - #GP: MSRs a TD must never touch (key management, SEAM, SMRR, SGX, debug unlock);
 *   - #VE: everything else, for the guest kernel to emulate or ask the VMM about
 *     (Instruction.RDMSR/WRMSR), e.g. the x2APIC, MTRRs, MCA and PMU MSRs.
 * This table is tdxsim's distillation of the module's lookup; docs/MODULE.md lists it.
 *
 * The x2APIC range follows the module's MSR bitmap [M msr_config_lookup.c rows 89-103]:
 * TPR, PPR, EOI, ISR, TMR, IRR and SELF_IPI pass through to APICv, which the module
 * (td_apic.c) plays here [SDM vol. 3C 30.5]; the reserved xAPIC-only offsets are #GP; ID,
 * VERSION, LDR, SVR, ESR, the LVTs, the timer and ICR are #VE, so a guest asks the VMM
 * (TDVMCALL<RDMSR/WRMSR>), e.g. to send an IPI through ICR [L arch/x86/coco/tdx/tdx.c
 * handle_ve MSR path; KVM tdx_has_emulated_msr].
 */
#include <string.h>

#include "td.h"

enum msr_action {
	MSR_VE = 0,
	MSR_GP,
	MSR_VIRT, /* per-vCPU value, read and write */
	MSR_RO,	  /* fixed value; a write is #GP */
	MSR_APIC, /* a virtual-APIC register (x2apic_read/x2apic_write) */
};

struct msr_rule {
	uint32_t first, last;
	uint8_t action;
	uint64_t value; /* MSR_RO value, MSR_VIRT initial value */
};

/* EFER of a 64-bit TD: SCE, LME, LMA, NXE [SDM]. */
#define TD_EFER 0xD01ULL

/* clang-format off */
static const struct msr_rule msr_rules[] = {
	{0x00000010, 0x00000010, MSR_VIRT, 0},	       /* IA32_TIME_STAMP_COUNTER */
	{0x0000003A, 0x0000003A, MSR_RO, 0x1},	       /* IA32_FEATURE_CONTROL: locked */
	{0x0000003B, 0x0000003B, MSR_VIRT, 0},	       /* IA32_TSC_ADJUST */
	{0x00000048, 0x00000048, MSR_VIRT, 0},	       /* IA32_SPEC_CTRL */
	{0x00000049, 0x00000049, MSR_VIRT, 0},	       /* IA32_PRED_CMD */
	{0x00000079, 0x00000079, MSR_GP, 0},	       /* IA32_BIOS_UPDT_TRIG */
	{0x00000087, 0x00000087, MSR_GP, 0},	       /* IA32_MKTME_KEYID_PARTITIONING */
	{0x0000009B, 0x0000009B, MSR_GP, 0},	       /* IA32_SMM_MONITOR_CTL */
	{0x0000010A, 0x0000010A, MSR_RO, 0},	       /* IA32_ARCH_CAPABILITIES (configurable) */
	{0x00000174, 0x00000176, MSR_VIRT, 0},	       /* IA32_SYSENTER_CS/ESP/EIP */
	{0x000001A0, 0x000001A0, MSR_RO, 0x1},	       /* IA32_MISC_ENABLE: fast strings */
	{0x000001F2, 0x000001F3, MSR_GP, 0},	       /* IA32_SMRR_PHYSBASE/MASK */
	{0x00000277, 0x00000277, MSR_VIRT, 0x0007040600070406ULL}, /* IA32_PAT */
	{0x00000480, 0x00000492, MSR_GP, 0},	       /* IA32_VMX_* capabilities */
	{0x00000982, 0x00000982, MSR_GP, 0},	       /* IA32_TME_ACTIVATE */
	{0x00000C80, 0x00000C80, MSR_GP, 0},	       /* IA32_DEBUG_INTERFACE */
	{0x00000800, 0x00000801, MSR_GP, 0},	       /* reserved (xAPIC only) */
	{0x00000804, 0x00000807, MSR_GP, 0},	       /* reserved */
	{0x00000808, 0x00000808, MSR_APIC, 0},	       /* IA32_X2APIC_TPR */
	{0x00000809, 0x00000809, MSR_GP, 0},	       /* reserved (APR) */
	{0x0000080A, 0x0000080B, MSR_APIC, 0},	       /* IA32_X2APIC_PPR, EOI */
	{0x0000080C, 0x0000080C, MSR_GP, 0},	       /* reserved (RRD) */
	{0x0000080E, 0x0000080E, MSR_GP, 0},	       /* reserved (DFR) */
	{0x00000810, 0x00000827, MSR_APIC, 0},	       /* IA32_X2APIC_ISR0-7, TMR0-7, IRR0-7 */
	{0x00000829, 0x0000082E, MSR_GP, 0},	       /* reserved */
	{0x00000831, 0x00000831, MSR_GP, 0},	       /* reserved (ICR high) */
	{0x0000083F, 0x0000083F, MSR_APIC, 0},	       /* IA32_X2APIC_SELF_IPI */
	{0x00000840, 0x0000087F, MSR_GP, 0},	       /* reserved */
	{0x00000DA0, 0x00000DA0, MSR_VIRT, 0},	       /* IA32_XSS */
	{0x00001400, 0x00001401, MSR_GP, 0},	       /* IA32_SEAMRR_BASE/MASK */
	{0xC0000080, 0xC0000080, MSR_RO, TD_EFER},     /* IA32_EFER */
	{0xC0000081, 0xC0000084, MSR_VIRT, 0},	       /* STAR, LSTAR, CSTAR, FMASK */
	{0xC0000100, 0xC0000100, MSR_VIRT, 0},	       /* IA32_FS_BASE */
	{0xC0000103, 0xC0000103, MSR_VIRT, 0},	       /* IA32_TSC_AUX */
};
/* clang-format on */

#define APIC_OFFSET_SELF_IPI 0x3F0 /* the xAPIC page offset of SELF IPI (x2APIC MSR 0x83F) */

#define MSR_GS_BASE	   0xC0000101
#define MSR_KERNEL_GS_BASE 0xC0000102

static const struct msr_rule *msr_rule(uint32_t msr)
{
	for (unsigned int i = 0; i < sizeof(msr_rules) / sizeof(msr_rules[0]); i++)
		if (msr >= msr_rules[i].first && msr <= msr_rules[i].last)
			return &msr_rules[i];
	return NULL;
}

/* The vCPU's copy of a virtualised MSR: one slot per MSR of the table, in order. */
static uint64_t *msr_slot(struct tdvps *vp, const struct msr_rule *r, uint32_t msr)
{
	unsigned int slot = 0;

	for (const struct msr_rule *p = msr_rules; p < r; p++)
		slot += p->action == MSR_VIRT ? p->last - p->first + 1 : 0;
	slot += msr - r->first;
	return slot < TDVPS_MAX_VIRT_MSRS ? &vp->msr[slot] : NULL;
}

static void msr_read(struct cpu_regs *ctx, struct tdvps *vp, const struct msr_rule *r, uint32_t msr,
		     uint64_t *val)
{
	uint64_t *slot;

	if (msr == MSR_GS_BASE || msr == MSR_KERNEL_GS_BASE) {
		*val = msr == MSR_GS_BASE ? vp->cpu.gs_base : vp->cpu.kernel_gs_base;
		return;
	}
	if (r->action == MSR_RO) {
		*val = r->value;
		if (msr == 0x10A)
			*val = vp_tdcs(vp)->ia32_arch_capabilities_config;
		return;
	}
	slot = msr_slot(vp, r, msr);
	*val = slot ? *slot : 0;
	if (msr == 0x10) /* the TSC runs: the host's, plus what the guest wrote (offset) */
		*val = __builtin_ia32_rdtsc() + (slot ? *slot : 0);
	(void)ctx;
}

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

static void msr_apic(struct cpu_regs *ctx, struct tdvps *vp, const struct trap_info *ti,
		     uint32_t msr, uint64_t val)
{
	bool ok;

	/*
	 * SELF_IPI with a vector below 16: not virtualised. The CPU completes the WRMSR and
	 * takes an APIC-write VM exit for offset 3F0H, which the module turns into #VE [SDM
	 * vol. 3C 30.4.3.2, 30.5; M tdx_td_dispatcher.c VMEXIT_REASON_APIC_WRITE]. Trap-like:
	 * RIP is past the WRMSR and no instruction length is reported.
	 */
	if (ti->kind == TRAP_WRMSR && msr == 0x83F && val < 16) {
		ctx->rip += ti->insn_len;
		td_inject_ve(ctx, vp, EXIT_REASON_APIC_WRITE, APIC_OFFSET_SELF_IPI, 0, 0, 0, 0);
		return;
	}
	if (ti->kind == TRAP_WRMSR) {
		ok = x2apic_write(vp, msr, val);
	} else {
		ok = x2apic_read(vp, msr, &val);
		ctx->gpr[REG_RAX_] = ok ? (uint32_t)val : ctx->gpr[REG_RAX_];
		ctx->gpr[REG_RDX_] = ok ? val >> 32 : ctx->gpr[REG_RDX_];
	}
	if (!ok) {
		td_inject_exception(ctx, vp, X86_TRAP_GP, true, 0);
		return;
	}
	/* A lower TPR or an EOI may let a pending vector in: td_guest_event delivers it. */
	ctx->rip += ti->insn_len;
}

void td_msr_exit(struct cpu_regs *ctx, struct tdvps *vp, const struct trap_info *ti)
{
	uint32_t msr = (uint32_t)ctx->gpr[REG_RCX_];
	bool write = ti->kind == TRAP_WRMSR;
	uint64_t val = (uint32_t)ctx->gpr[REG_RAX_] | ctx->gpr[REG_RDX_] << 32, *slot;
	const struct msr_rule *r = msr_rule(msr);
	bool gs = msr == MSR_GS_BASE || msr == MSR_KERNEL_GS_BASE;

	if (!r && !gs) {
		td_inject_ve(ctx, vp, write ? EXIT_REASON_MSR_WRITE : EXIT_REASON_MSR_READ, 0, 0, 0,
			     ti->insn_len, 0);
		return;
	}
	if (r && r->action == MSR_APIC) {
		msr_apic(ctx, vp, ti, msr, val);
		return;
	}
	if (r && (r->action == MSR_GP || (write && r->action == MSR_RO))) {
		td_inject_exception(ctx, vp, X86_TRAP_GP, true, 0);
		return;
	}
	if (!write) {
		msr_read(ctx, vp, r, msr, &val);
		ctx->gpr[REG_RAX_] = (uint32_t)val;
		ctx->gpr[REG_RDX_] = val >> 32;
	} else if (gs) {
		*(msr == MSR_GS_BASE ? &vp->cpu.gs_base : &vp->cpu.kernel_gs_base) = val;
	} else {
		slot = msr_slot(vp, r, msr);
		if (slot)
			*slot = msr == 0x10 ? val - __builtin_ia32_rdtsc() : val;
	}
	ctx->rip += ti->insn_len;
}

/* Initial values of the virtualised MSRs (TDH.VP.INIT). */
void td_msr_init(struct tdvps *vp)
{
	for (const struct msr_rule *r = msr_rules;
	     r < msr_rules + sizeof(msr_rules) / sizeof(msr_rules[0]); r++) {
		if (r->action != MSR_VIRT)
			continue;
		for (uint32_t m = r->first; m <= r->last; m++) {
			uint64_t *slot = msr_slot(vp, r, m);

			if (slot)
				*slot = r->value;
		}
	}
}
