// SPDX-License-Identifier: MIT
/*
 * The vCPU's virtual local APIC and posted interrupts: how an external interrupt reaches a
 * TD. On TDX hardware the CPU does all of this in VMX non-root operation with APICv, which
 * the TDX module turns on for every TD (virtualize x2APIC mode, APIC-register
 * virtualization, virtual-interrupt delivery, posted-interrupt processing) [SDM vol. 3C
 * 30.1-30.6; M td_vmcs_init.c]; here the module does it on every return to guest code:
 *
 *   - the VMM posts vector V into the vCPU's PID (include/tdx/pi.h) and, when the vCPU
 *     runs, sends the notification vector to its LP (lp_send_ipi);
 *   - posted-interrupt processing: when PID.ON is set, clear it and move the PIR into
 *     the vIRR [SDM 30.6];
 *   - evaluation and delivery of pending virtual interrupts: the highest vIRR vector whose
 *     priority class is above the PPR's is moved to the vISR and delivered through the
 *     guest IDT when RFLAGS.IF = 1 and no STI shadow blocks it [SDM 30.2.1, 30.2.2];
 *   - the guest acknowledges with an EOI write (x2APIC MSR 0x80B), which clears the
 *     highest vISR bit and lets the next vector in [SDM 30.1.4 EOI virtualization].
 */
#include <string.h>

#include "td.h"
#include "tdx/pi.h"

void td_vapic_reset(struct tdvps *vp)
{
	memset(&vp->apic, 0, sizeof(vp->apic));
	vp->apic.pi_nv = POSTED_INTR_NV_INIT;
	vp->apic.pid_pa = POSTED_INTR_DESC_ADDR_INIT;
}

/* The PID the VMM configured, or NULL (TDH.VP.WR checked it is 64 bytes of host RAM). */
static struct pi_desc *vapic_pid(const struct tdvps *vp)
{
	uint64_t pa = __atomic_load_n(&vp->apic.pid_pa, __ATOMIC_ACQUIRE);

	return pa == POSTED_INTR_DESC_ADDR_INIT ? NULL : phys_seam_va(pa);
}

/* Highest set bit of a 256-bit register, or -1. */
static int highest_vector(const uint64_t r[4])
{
	for (int i = 3; i >= 0; i--)
		if (r[i])
			return i * 64 + 63 - __builtin_clzll(r[i]);
	return -1;
}

static void vector_clear(uint64_t r[4], unsigned int v)
{
	r[v / 64] &= ~(1ULL << (v % 64));
}

static void vector_set(uint64_t r[4], unsigned int v)
{
	r[v / 64] |= 1ULL << (v % 64);
}

/* PPR virtualization [SDM 30.1.3]: VTPR when its class is >= SVI's, else SVI's class. */
uint8_t td_vapic_ppr(const struct tdvps *vp)
{
	int svi = highest_vector(vp->apic.isr);
	uint8_t isrv = svi < 0 ? 0 : (uint8_t)svi;

	return (vp->apic.tpr >> 4) >= (isrv >> 4) ? vp->apic.tpr : (uint8_t)(isrv & 0xF0);
}

/*
 * Posted-interrupt processing [SDM 30.6 steps 3-4]: when ON is set, clear it, then move
 * the PIR into the vIRR one 64-bit word at a time with an atomic exchange, so that a bit
 * the VMM posts meanwhile is either taken now or stays for the next time (with ON set).
 */
static void vapic_sync_pir(struct tdvps *vp)
{
	struct pi_desc *pid = vapic_pid(vp);

	if (!pid || !(__atomic_load_n(&pid->control, __ATOMIC_ACQUIRE) & PI_CONTROL_ON))
		return;
	__atomic_fetch_and(&pid->control, (uint16_t)~PI_CONTROL_ON, __ATOMIC_SEQ_CST);
	for (unsigned int i = 0; i < 4; i++)
		vp->apic.irr[i] |= __atomic_exchange_n(&pid->pir[i], 0, __ATOMIC_SEQ_CST);
}

/*
 * Evaluation and delivery of pending virtual interrupts [SDM 30.2.1, 30.2.2]: the highest
 * vIRR vector is recognised when its priority class is above the PPR's, and delivered when
 * RFLAGS.IF = 1 and no STI shadow blocks it: vIRR -> vISR, then through the guest IDT like
 * an external interrupt (no error code). Called whenever the vCPU is about to run guest code
 * again (TDH.VP.ENTER, the end of every guest stop the module handled, the virtual CPU's
 * interrupt window).
 */
void td_vapic_deliver(struct cpu_regs *ctx, struct tdvps *vp)
{
	int v;

	vapic_sync_pir(vp);
	v = highest_vector(vp->apic.irr);
	if (v < 0 || (v >> 4) <= (td_vapic_ppr(vp) >> 4))
		return;
	if (!vp->cpu.vif || vp->cpu.sti_shadow) {
		/* Blocked for now: the CPU delivers it once the window opens. */
		if (cpu_backend()->want_intr_window)
			cpu_backend()->want_intr_window(&vp->cpu);
		return;
	}
	vector_clear(vp->apic.irr, (unsigned int)v);
	vector_set(vp->apic.isr, (unsigned int)v);
	/* A gate that cannot take it: the backend's fault on delivery becomes #DF, then a triple
	 * fault (tdxsim does not model the intermediate #GP/#NP). */
	cpu_backend()->inject(ctx, &vp->cpu, (uint32_t)v | INTR_TYPE_EXT_INTR | INTR_INFO_VALID, 0);
}

/*
 * VCPU_STATE_DETAILS.VMXIP for the host (TDH.VP.RD): a vIRR vector would be recognised, its
 * class above the PPR's [SDM 30.2.1], including what is still in the PID. KVM asks on a
 * TDVMCALL<HLT> with interrupts enabled, for an interrupt taken into the virtual APIC while
 * the guest had them disabled [L arch/x86/kvm/vmx/tdx.c tdx_protected_apic_has_interrupt].
 */
bool td_vapic_intr_pending(const struct tdvps *vp)
{
	const struct pi_desc *pid = vapic_pid(vp);
	uint64_t irr[4];
	int v;

	for (unsigned int i = 0; i < 4; i++)
		irr[i] = vp->apic.irr[i] |
			 (pid ? __atomic_load_n(&pid->pir[i], __ATOMIC_ACQUIRE) : 0);
	v = highest_vector(irr);
	return v >= 0 && (v >> 4) > (td_vapic_ppr(vp) >> 4);
}

/* EOI virtualization [SDM 30.1.4]: the highest vISR vector is done. */
void td_vapic_eoi(struct tdvps *vp)
{
	int v = highest_vector(vp->apic.isr);

	if (v >= 0)
		vector_clear(vp->apic.isr, (unsigned int)v);
}

/* Self-IPI virtualization [SDM 30.1.5]: the vector becomes requested. */
void td_vapic_self_ipi(struct tdvps *vp, uint8_t vector)
{
	vector_set(vp->apic.irr, vector);
}

/* The platform's interrupt-window hook: the guest may take an interrupt now. */
void td_intr_window(struct cpu_regs *ctx)
{
	struct tdvps *vp = td_current_vp();

	if (vp)
		td_vapic_deliver(ctx, vp);
}

/*
 * The notification vector reached the LP while the vCPU ran: processed in the TD, with no
 * TD exit [SDM 30.6 steps 1-2: an interrupt whose vector is the NV is acknowledged and
 * processed, anything else is an external-interrupt VM exit]. Returns false when this stop
 * must exit to the host instead: a timer, a kick, or another vector.
 *
 * Every lp_send_ipi() is a signal of its own (queued, never merged), but the vector is one
 * latched bit, as in an IRR: the first stop takes it and the signals of the sends that found
 * it latched, or that come while this one is handled, arrive with nothing new. Those are the
 * same notification again, which the CPU would process with nothing posted and stay in the
 * TD: they must not become external-interrupt exits (a VMM posting and notifying again
 * before the vCPU got to run would see exits no CPU makes).
 */
bool td_vapic_notified(struct tdvps *vp, const struct vm_exit *exit)
{
	int nv = vp->apic.pi_nv <= 255 ? (int)vp->apic.pi_nv : -1;

	if (nv >= 0)
		lp_ipi_take((uint8_t)nv);
	/* Without a vector (intr_info not valid) it is the host's: a timer tick or a kick. */
	return (exit->intr_info & INTR_INFO_VALID) && !lp_ipi_pending(nv);
}
