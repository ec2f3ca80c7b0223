// SPDX-License-Identifier: MIT
/*
 * CR0, CR4 and XCR0 of a TD [M td_vmcs_init.c init_td_vmcs_l1 masks and read shadows,
 * helpers.c write_guest_cr0 / write_guest_cr4 / check_guest_xcr0_value, td_other_exits.c
 * td_cr_access_exit, td_xsetbv.c; ABI spec "CR virtualization"].
 *
 * The TDX module owns some CR0/CR4 bits through the TD VMCS guest/host masks: the guest reads
 * them as the read shadows have them, and a MOV that would change one exits to the module,
 * which gives #GP(0) for what no CPU accepts (the VMX fixed bits, NE among them, reserved bits,
 * features the TD's XFAM or ATTRIBUTES do not enable) and #VE (exit reason CR_ACCESS) for
 * what a CPU accepts but a TD may not do (clear PE, set NW or CD; clear MCE, set VMXE or SMXE). The other bits are the
 * guest's, written by the CPU (the virtual CPU, platform/switch.c). XSETBV always exits: #GP(0)
 * for ECX != 0 or a value outside the CPU's and the TD's XFAM, or an illegal combination.
 *
 * The CPU tdxsim models is a TDX-capable Xeon: IA32_VMX_CR0_FIXED0/1 and CR4_FIXED0/1 as below.
 * tdxsim runs a TD in 64-bit mode from its first instruction, so its vCPU starts with the
 * CR0/CR4 a 64-bit kernel runs with (what guest code executing natively actually has), not
 * the module's 32-bit initial state (CR0 = PE | NE, CR4 = MCE | VMXE).
 */
#include "td.h"

#define CR0_PE (1ULL << 0)
#define CR0_MP (1ULL << 1)
#define CR0_ET (1ULL << 4)
#define CR0_NE (1ULL << 5)
#define CR0_WP (1ULL << 16)
#define CR0_AM (1ULL << 18)
#define CR0_NW (1ULL << 29)
#define CR0_CD (1ULL << 30)
#define CR0_PG (1ULL << 31)
/* Bits 15:6, 17 and 28:19: reserved, a write leaves them as they were [M CR0_IGNORED_MASK]. */
#define CR0_IGNORED 0x1FFAFFC0ULL

#define CR4_PAE	       (1ULL << 5)
#define CR4_MCE	       (1ULL << 6)
#define CR4_OSFXSR     (1ULL << 9)
#define CR4_OSXMMEXCPT (1ULL << 10)
#define CR4_VMXE       (1ULL << 13)
#define CR4_FSGSBASE   (1ULL << 16)
#define CR4_SMXE       (1ULL << 14)
#define CR4_OSXSAVE    (1ULL << 18)
#define CR4_KL	       (1ULL << 19)
#define CR4_PKE	       (1ULL << 22)
#define CR4_CET	       (1ULL << 23)
#define CR4_PKS	       (1ULL << 24)
#define CR4_UINTR      (1ULL << 25)

/* The modelled CPU's VMX fixed-bit MSRs (a Sapphire Rapids Xeon: CR4 bits 0-14 and 16-25). */
#define TD_VMX_CR0_FIXED0 0x80000021ULL
#define TD_VMX_CR0_FIXED1 0xFFFFFFFFULL
#define TD_VMX_CR4_FIXED0 0x00002000ULL
#define TD_VMX_CR4_FIXED1 0x03FF7FFFULL

/* What a 64-bit TD runs with: CR0 PE MP ET NE WP AM PG; CR4 PAE MCE OSFXSR OSXMMEXCPT
 * OSXSAVE, and VMXE, which the TD never sees (its read shadow is 0). */
#define TD_CR0_INIT (CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_AM | CR0_PG)
#define TD_CR4_INIT (CR4_PAE | CR4_MCE | CR4_OSFXSR | CR4_OSXMMEXCPT | CR4_OSXSAVE | CR4_VMXE)

#define XFAM_ULI (1ULL << 14) /* user interrupts (UINTR) */

/* XCR0's user components (x87, SSE, AVX, MPX, AVX-512, PKRU, AMX) [M XCR0_USER_BIT_MASK]. */
#define XCR0_USER_BITS 0x602FFULL

static uint64_t bits(unsigned int hi, unsigned int lo)
{
	return (~0ULL >> (63 - hi)) & ~((1ULL << lo) - 1);
}

void td_cr_init(struct tdvps *vp, const struct tdcs *tdcs)
{
	struct guest_cpu *g = &vp->cpu;
	uint32_t r[4];
	uint64_t m;

	/* CR0: PE, NE, NW, CD, the fixed bits but PG (unrestricted guest), reserved bits. */
	m = (TD_VMX_CR0_FIXED0 | ~TD_VMX_CR0_FIXED1) & ~CR0_PG;
	g->cr0_mask = m | CR0_PE | CR0_NE | CR0_NW | CR0_CD | bits(63, 32) | CR0_IGNORED;
	g->cr0_shadow = TD_VMX_CR0_FIXED0 | CR0_PE | CR0_NE;
	/* CR4: MCE, VMXE, SMXE, reserved bits, and what XFAM/ATTRIBUTES do not enable. */
	m = TD_VMX_CR4_FIXED0 | ~TD_VMX_CR4_FIXED1 | CR4_MCE | CR4_VMXE | CR4_SMXE | (1ULL << 15) |
	    bits(63, 26);
	if (!(tdcs->xfam & TDX_XFAM_PKRU))
		m |= CR4_PKE;
	if ((tdcs->xfam & TDX_XFAM_CET) != TDX_XFAM_CET)
		m |= CR4_CET;
	if (!(tdcs->xfam & XFAM_ULI))
		m |= CR4_UINTR;
	if (!(tdcs->attributes & TDX_TD_ATTR_KL))
		m |= CR4_KL;
	if (!(tdcs->attributes & TDX_TD_ATTR_PKS))
		m |= CR4_PKS;
	g->cr4_mask = m;
	g->cr4_shadow = (TD_VMX_CR4_FIXED0 & ~CR4_VMXE) | CR4_MCE;
	g->cr0 = TD_CR0_INIT;
	g->cr4 = TD_CR4_INIT;
	/* A 64-bit kernel turns FSGSBASE on where the CPU has it, as the host's Linux did for
	 * the native backend and the SDK does at CPL0 (guest/lib/cpu.c). */
	if (td_cpuid_td_value(tdcs, 7, 0, r) && (r[1] & 1))
		g->cr4 |= CR4_FSGSBASE;
	g->xcr0 = tdcs->xfam & XCR0_USER_BITS;
	g->dr[6] = DR6_RESET;
	g->dr[7] = DR7_RESET;
}

enum cr_result { CR_DONE, CR_GP, CR_VE };

static enum cr_result write_cr0(struct guest_cpu *g, uint64_t v)
{
	uint64_t fixed0 = TD_VMX_CR0_FIXED0 & ~(CR0_PE | CR0_PG);

	if ((~v & fixed0) || (v & ~TD_VMX_CR0_FIXED1))
		return CR_GP;
	if (!(v & CR0_PE) && (v & CR0_PG))
		return CR_GP;
	if ((g->cr4 & CR4_CET) && !(v & CR0_WP))
		return CR_GP;
	if (!(v & CR0_PE) || !(v & CR0_NE) || (v & (CR0_NW | CR0_CD)) || (v >> 32))
		return CR_VE;
	/* 64-bit mode: PG cannot be cleared (the CPU's #GP, before the exit is even taken). */
	if (!(v & CR0_PG))
		return CR_GP;
	g->cr0 = (v & ~CR0_IGNORED) | (g->cr0 & CR0_IGNORED) | CR0_ET;
	return CR_DONE;
}

static enum cr_result write_cr4(struct guest_cpu *g, const struct tdcs *tdcs, uint64_t v)
{
	uint64_t fixed0 = TD_VMX_CR4_FIXED0 & ~CR4_VMXE;

	if ((~v & fixed0) || (v & ~TD_VMX_CR4_FIXED1))
		return CR_GP;
	if (((v & CR4_PKE) && !(tdcs->xfam & TDX_XFAM_PKRU)) ||
	    ((v & CR4_CET) && (tdcs->xfam & TDX_XFAM_CET) != TDX_XFAM_CET) ||
	    ((v & CR4_UINTR) && !(tdcs->xfam & XFAM_ULI)) || (v & CR4_KL) ||
	    ((v & CR4_PKS) && !(tdcs->attributes & TDX_TD_ATTR_PKS)))
		return CR_GP;
	if ((v & CR4_CET) && !(g->cr0 & CR0_WP))
		return CR_GP;
	/* Architecturally fine, not for a TD: clearing MCE, setting VMXE or SMXE. */
	return CR_VE;
}

/*
 * MOV to/from CR8 with APICv's TPR virtualization [SDM vol. 3C 30.3]: CR8 is VTPR[7:4]; a
 * write with bits 63:4 set is #GP(0); a lower TPR may let a pending interrupt in
 * (td_vm_exit delivers it).
 */
static enum cr_result mov_cr8(struct tdvps *vp, uint64_t qual, uint64_t *r)
{
	if ((qual >> 4) & 3) {
		*r = vp->apic.tpr >> 4;
		return CR_DONE;
	}
	if (*r >> 4)
		return CR_GP;
	vp->apic.tpr = (uint8_t)(*r << 4);
	return CR_DONE;
}

/* EXIT_REASON_CR_ACCESS: qualification bits 3:0 the CR, 5:4 the access, 11:8 the GPR. */
void vmexit_cr_access(struct cpu_regs *ctx, struct tdvps *vp, const struct vm_exit *exit)
{
	unsigned int cr = exit->qual & 0xF;
	uint64_t *r = &ctx->gpr[(exit->qual >> 8) & 0xF];
	enum cr_result res = cr == 8   ? mov_cr8(vp, exit->qual, r)
			     : cr == 0 ? write_cr0(&vp->cpu, *r)
				       : write_cr4(&vp->cpu, vp_tdcs(vp), *r);

	if (res == CR_GP) {
		td_inject_exception(ctx, vp, X86_TRAP_GP, true, 0);
		return;
	}
	if (res == CR_VE) {
		td_inject_ve(ctx, vp, EXIT_REASON_CR_ACCESS, exit->qual, 0, 0, exit->insn_len, 0);
		return;
	}
	ctx->rip += exit->insn_len;
}

/* EXIT_REASON_XSETBV [M td_xsetbv.c, check_guest_xcr0_value; SDM vol. 1 13.3]. */
void vmexit_xsetbv(struct cpu_regs *ctx, struct tdvps *vp, const struct vm_exit *exit)
{
	uint64_t v = (uint32_t)ctx->gpr[REG_RAX_] | ctx->gpr[REG_RDX_] << 32;
	uint32_t d[4];
	uint64_t supported;
	uint64_t avx512 = XFEATURE_OPMASK | XFEATURE_ZMM_H256 | XFEATURE_HI16_ZMM;
	uint64_t amx = (1ULL << 17) | (1ULL << 18);
	bool ok;

	if (!(vp->cpu.cr4 & CR4_OSXSAVE)) { /* the CPU's #UD, before any exit */
		td_inject_exception(ctx, vp, X86_TRAP_UD, false, 0);
		return;
	}
	host_cpuid(0xD, 0, d); /* the XCR0 bits the CPU supports */
	supported = ((uint64_t)d[3] << 32 | d[0]) & XCR0_USER_BITS;
	ok = (uint32_t)ctx->gpr[REG_RCX_] == 0 && !(v & ~(supported & vp_tdcs(vp)->xfam)) &&
	     (v & XFEATURE_X87) && !((v & XFEATURE_YMM) && !(v & XFEATURE_SSE)) &&
	     !((v & XFEATURE_OPMASK) && !(v & XFEATURE_YMM)) &&
	     ((v & avx512) == 0 || (v & avx512) == avx512) && ((v & amx) == 0 || (v & amx) == amx);
	if (!ok) {
		td_inject_exception(ctx, vp, X86_TRAP_GP, true, 0);
		return;
	}
	vp->cpu.xcr0 = v;
	ctx->rip += exit->insn_len;
}
