// SPDX-License-Identifier: MIT
/*
 * Interrupts for a TD, the VMM's half (KVM's role; the TDX module virtualises the local
 * APIC itself): one posted-interrupt descriptor per vCPU, posting with a wake-up or a kick,
 * Instruction.HLT that blocks until something is posted, the x2APIC ICR decoded into IPIs,
 * and the GetQuote event notification. "[KVM]" is Linux arch/x86/kvm/vmx/tdx.c, "[LAPIC]"
 * arch/x86/kvm/lapic.c.
 */
#include <errno.h>
#include <string.h>

#include <tdx/leaves.h>
#include <tdx/status.h>

#include "host/page_alloc.h"
#include "vmm/apic.h"
#include "vmm/devices.h"
#include "vmm_internal.h"

/* ------------------------------------------------------------------------------------------
 * Posted-interrupt descriptors
 */

int vmm_apic_alloc(struct vmm_td *td)
{
	for (unsigned int v = 0; v < td->nr_vcpus; v++) {
		struct vmm_apic *ap = &td->vcpus[v].apic;
		uint64_t pa = alloc_page(NUMA_NO_NODE);

		if (!pa)
			return -ENOMEM; /* vmm_apic_free() takes back the ones allocated */
		ap->pid_hpa = pa;
		ap->pid = phys_host_va(pa);
		memset(ap->pid, 0, PAGE_SIZE);
		ap->pid->nv = VMM_POSTED_INTR_VECTOR;
		/* The local APIC's state after reset [SDM vol. 3A 11.4.7.1]. */
		memset(ap->reg, 0, sizeof(ap->reg));
		ap->reg[X2APIC_MSR_VERSION - X2APIC_MSR_FIRST] = APIC_VERSION_DEFAULT;
		ap->reg[X2APIC_MSR_SVR - X2APIC_MSR_FIRST] = APIC_SVR_RESET;
		ap->reg[X2APIC_MSR_LVT_CMCI - X2APIC_MSR_FIRST] = APIC_LVT_MASKED;
		for (unsigned int m = X2APIC_MSR_LVT_TIMER; m <= X2APIC_MSR_LVT_ERROR; m++)
			ap->reg[m - X2APIC_MSR_FIRST] = APIC_LVT_MASKED;
	}
	return 0;
}

/*
 * As KVM's tdx_vcpu_init: the notification vector, then the PID's address, each with
 * TDH.VP.WR of its TD VMCS field (mask = the field's width). A VMCS write associates the
 * vCPU with the LP that makes it, so it is made on the LP the vCPU will run on (KVM makes
 * it on the vCPU's current CPU, under vcpu_load).
 */
static long vcpu_setup_fn(void *arg)
{
	struct vmm_vcpu *vc = arg;
	uint64_t s = tdh_vp_wr(&vc->vp, TDVPS_VMCS_POSTED_INTR_NV, VMM_POSTED_INTR_VECTOR, 0xFFFF);

	if (!s)
		s = tdh_vp_wr(&vc->vp, TDVPS_VMCS_POSTED_INTR_DESC_ADDR, vc->apic.pid_hpa, ~0ULL);
	return (long)s;
}

uint64_t vmm_apic_vcpu_setup(struct vmm_td *td, struct vmm_vcpu *vc)
{
	(void)td;
	return (uint64_t)lp_run_on(vc->lp, vcpu_setup_fn, vc);
}

void vmm_apic_free(struct vmm_td *td)
{
	for (unsigned int v = 0; v < td->nr_vcpus; v++) {
		struct vmm_apic *ap = &td->vcpus[v].apic;

		if (ap->pid_hpa)
			free_page(ap->pid_hpa);
		ap->pid_hpa = 0;
		ap->pid = NULL;
	}
}

/*
 * KVM's __vmx_deliver_posted_interrupt: PIR and ON, then for a vCPU in the TD the
 * notification vector sent to its LP (the module takes it there and moves the PIR into the
 * virtual APIC without a TD exit), or a wake-up for a halted one; a vCPU in neither state
 * finds the PIR at its next TDH.VP.ENTER. The order of PIR/ON before `halted` against the halting
 * thread's `halted` before its PID check (both sequentially consistent) means one of the
 * two always sees the other: no lost wake-up.
 */
void vmm_apic_post(struct vmm_td *td, unsigned int vcpu, uint8_t vector)
{
	struct vmm_vcpu *vc = &td->vcpus[vcpu];
	bool notify = pi_post(vc->apic.pid, vector);

	__atomic_fetch_add(&vc->st.interrupts, 1, __ATOMIC_RELAXED);
	if (atomic_load(&vc->apic.halted)) {
		pthread_mutex_lock(&td->lock);
		pthread_cond_broadcast(&td->wake);
		pthread_mutex_unlock(&td->lock);
	} else if (notify && atomic_load(&vc->in_guest)) {
		lp_send_ipi(vc->lp, vc->apic.pid->nv);
	}
}

int vmm_td_post_interrupt(struct vmm_td *td, unsigned int vcpu, unsigned int vector)
{
	if (!td || vcpu >= td->nr_vcpus || vector < APIC_FIRST_LEGAL_VECTOR || vector > 255 ||
	    !td->vcpus[vcpu].apic.pid)
		return -EINVAL;
	vmm_apic_post(td, vcpu, (uint8_t)vector);
	return 0;
}

/* ------------------------------------------------------------------------------------------
 * Instruction.HLT
 */

/*
 * With interrupts enabled, an interrupt the module already moved from the PID into the
 * virtual APIC (posted while the guest had interrupts off, then STI; TDCALL) is pending
 * too: TDH.VP.RD of VCPU_STATE_DETAILS.VMXIP, as [KVM tdx_protected_apic_has_interrupt].
 * A module without the field answers an error: nothing pending.
 */
static bool vapic_intr_pending(struct vmm_vcpu *vc)
{
	uint64_t details;

	return !tdh_vp_rd(&vc->vp, TDVPS_VCPU_STATE_DETAILS_NON_ARCH, &details) &&
	       (details & TDX_VCPU_STATE_DETAILS_INTR_PENDING);
}

/*
 * Every vCPU still running is halted with nothing posted for it (td->lock held): with
 * no_outside_interrupts nothing can post any more (only vCPUs send IPIs and notifications,
 * and they all sleep), so the TD would sleep for ever.
 */
static bool all_halted_locked(struct vmm_td *td)
{
	for (unsigned int v = 0; v < td->nr_vcpus; v++) {
		struct vmm_vcpu *o = &td->vcpus[v];

		if (atomic_load(&o->done))
			continue;
		if (!atomic_load(&o->apic.halted) || pi_pending(o->apic.pid))
			return false;
	}
	return true;
}

/* COM1's input can still raise its interrupt (tdxsim run: stdin, not at EOF, RX armed). */
static bool serial_can_wake(struct vmm_td *td)
{
	return td->uart && uart16550_input_can_interrupt(td->uart);
}

/* Every vCPU halted and nothing can wake them: stop the TD, naming @vc's RIP. */
static void stop_all_halted(struct vmm_vcpu *vc)
{
	char where[192];

	vmm_vcpu_rip_words(vc, where, sizeof(where));
	vmm_vcpu_stopf(vc, VMM_STOP_NO_PROGRESS, 0, 0,
		       "vCPU %u: no progress: all %u vCPUs halted, no interrupt pending and "
		       "none can come; this one halted at RIP %s",
		       vc->index, vc->td->nr_vcpus, where);
}

/* The input ended while every vCPU was halted: no halt will check again, so this does. */
void vmm_apic_serial_input_ended(void *opaque)
{
	struct vmm_td *td = opaque;
	struct vmm_vcpu *first = NULL;

	pthread_mutex_lock(&td->lock);
	if (td->cfg.no_outside_interrupts && td->started && all_halted_locked(td)) {
		for (unsigned int v = 0; v < td->nr_vcpus && !first; v++)
			if (!atomic_load(&td->vcpus[v].done))
				first = &td->vcpus[v];
	}
	pthread_mutex_unlock(&td->lock);
	if (first)
		stop_all_halted(first);
}

/*
 * Block the vCPU thread until something is posted for it or the TD stops (or, with
 * no_outside_interrupts, stop the TD when this was the last vCPU that could post anything). The "interrupts
 * blocked" flag (R12) does not change what wakes it: a posted interrupt ends the halt either
 * way and stays pending in the PIR, for the module to deliver once the guest enables
 * interrupts [KVM tdx_protected_apic_has_interrupt: the PID is checked whatever R12 says;
 * only the virtual-APIC check needs interrupts enabled].
 */
void vmm_apic_hlt(void *opaque, bool irq_blocked)
{
	struct vmm_vcpu *vc = opaque;
	struct vmm_td *td = vc->td;
	uint64_t t0;

	if (pi_pending(vc->apic.pid) || (!irq_blocked && vapic_intr_pending(vc)))
		return;
	t0 = vmm_now_ns();
	atomic_store(&vc->apic.halted, true);
	atomic_thread_fence(memory_order_seq_cst);
	pthread_mutex_lock(&td->lock);
	if (td->cfg.no_outside_interrupts && !serial_can_wake(td) && all_halted_locked(td)) {
		pthread_mutex_unlock(&td->lock);
		stop_all_halted(vc);
		pthread_mutex_lock(&td->lock);
	}
	while (!atomic_load(&td->stop) && !pi_pending(vc->apic.pid) && !atomic_load(&vc->mp_wake))
		pthread_cond_wait(&td->wake, &td->lock);
	atomic_store(&vc->mp_wake, false);
	pthread_mutex_unlock(&td->lock);
	atomic_store(&vc->apic.halted, false);
	vc->st.halts++;
	vc->st.ns_halted += vmm_now_ns() - t0;
	lp_poll_work(); /* work queued for this LP while it slept */
}

/* ------------------------------------------------------------------------------------------
 * The x2APIC ICR: IPIs
 */

/* x2APIC logical destination: cluster in bits 31:16, one bit per member in 15:0; the LDR
 * of x2APIC ID n is (n >> 4) << 16 | 1 << (n & 15) [SDM vol. 3A 11.12.10.2]. */
static bool logical_match(uint32_t x2apic_id, uint32_t dest)
{
	return (dest >> 16) == (x2apic_id >> 4) && (dest & 0xFFFF & (1U << (x2apic_id & 15)));
}

/* [LAPIC kvm_apic_match_dest]; the x2APIC ID of vCPU i is i (TDH.VP.INIT R8). */
static bool icr_matches(uint64_t icr, unsigned int self, unsigned int target)
{
	uint32_t dest = (uint32_t)(icr >> APIC_ICR_DEST_SHIFT);

	switch ((icr & APIC_ICR_SHORTHAND_MASK) >> APIC_ICR_SHORTHAND_SHIFT) {
	case APIC_DEST_SELF:
		return target == self;
	case APIC_DEST_ALLINC:
		return true;
	case APIC_DEST_ALLBUT:
		return target != self;
	default:
		if (dest == X2APIC_BROADCAST)
			return true;
		if (icr & APIC_ICR_DEST_LOGICAL)
			return logical_match(target, dest);
		return dest == target;
	}
}

/*
 * Fixed and lowest-priority IPIs. A level-triggered message with the level deasserted is
 * dropped [LAPIC __apic_accept_irq]. Vectors 0-15 are illegal: the sending APIC sets "Send
 * Illegal Vector" in its ESR and sends nothing [SDM vol. 3A 11.5.3]; KVM would post them,
 * tdxsim drops them as the hardware does (the guest's WRMSR succeeds either way). Lowest
 * priority goes to one of the destinations, chosen by vector hashing (the (vector mod
 * n)-th), KVM's default [LAPIC kvm_irq_delivery_to_apic, kvm_vector_to_index].
 */
static void icr_deliver(struct vmm_vcpu *vc, uint64_t icr, unsigned int dm)
{
	struct vmm_td *td = vc->td;
	uint8_t vector = (uint8_t)(icr & APIC_ICR_VECTOR_MASK);
	unsigned int n = 0, nth;

	if ((icr & APIC_ICR_TRIGGER_LEVEL) && !(icr & APIC_ICR_LEVEL_ASSERT))
		return;
	if (vector < APIC_FIRST_LEGAL_VECTOR)
		return;
	for (unsigned int t = 0; t < td->nr_vcpus; t++)
		n += icr_matches(icr, vc->index, t);
	nth = dm == APIC_DM_LOWEST && n > 1 ? vector % n : 0;
	for (unsigned int t = 0; t < td->nr_vcpus; t++) {
		if (!icr_matches(icr, vc->index, t))
			continue;
		if (dm == APIC_DM_LOWEST && nth--)
			continue;
		vc->st.ipis++;
		vmm_apic_post(td, t, vector);
		if (dm == APIC_DM_LOWEST)
			break;
	}
}

/*
 * A WRMSR of the ICR [LAPIC kvm_x2apic_icr_write]: reserved bits make the WRMSR fail
 * (INVALID_OPERAND, a #GP in the guest); BUSY is ignored. Delivery modes other than fixed
 * and lowest priority are accepted and have no effect, as KVM answers them for a TD: INIT
 * and SIPI are always blocked [KVM main.c vt_apic_init_signal_blocked]; a TD has no SMM
 * [KVM main.c vt_smi_allowed]; NMIs need TDVPS PEND_NMI, which tdxsim does not model;
 * remote read and ExtINT are not IPIs [LAPIC __apic_accept_irq].
 */
static uint64_t icr_write(struct vmm_vcpu *vc, uint64_t icr)
{
	unsigned int dm = (unsigned int)((icr & APIC_ICR_DM_MASK) >> APIC_ICR_DM_SHIFT);

	if (icr & X2APIC_ICR_RESERVED)
		return TDVMCALL_STATUS_INVALID_OPERAND;
	/* Kept as a register is: RDMSR 0x830 reads it back, BUSY clear (the IPI is sent). */
	msr_store_set(&vc->tv.msrs, X2APIC_MSR_ICR, icr & ~APIC_ICR_BUSY);
	if (dm == APIC_DM_FIXED || dm == APIC_DM_LOWEST)
		icr_deliver(vc, icr & ~APIC_ICR_BUSY, dm);
	return TDVMCALL_STATUS_SUCCESS;
}

/* Whether @msr is one of the registers kept in vmm_apic.reg (readable ones). */
static bool apic_reg_kept(uint32_t msr)
{
	return msr == X2APIC_MSR_VERSION || msr == X2APIC_MSR_SVR || msr == X2APIC_MSR_ESR ||
	       msr == X2APIC_MSR_LVT_CMCI ||
	       (msr >= X2APIC_MSR_LVT_TIMER && msr <= X2APIC_MSR_TMCCT) || msr == X2APIC_MSR_TDCR;
}

/*
 * x2APIC MSRs that reach the VMM. The module virtualises EOI, TPR, PPR, ISR, TMR and IRR
 * itself [KVM tdx_has_emulated_msr: those cannot be emulated by the VMM]; the rest are
 * emulated here as KVM's local APIC does [SDM vol. 3A 11.12.1.2]: the ID (the vCPU index),
 * the version, the logical ID derived from the ID [SDM 11.12.10.2], the SVR, ESR, LVTs and
 * timer registers kept as written. The timer does not count: its current count reads 0.
 * Reads of the ICR come from the MSR store (icr_write); other MSRs are not these.
 */
bool vmm_apic_rdmsr(void *opaque, uint32_t msr, uint64_t *value)
{
	struct vmm_vcpu *vc = opaque;
	uint32_t id = vc->index;

	if (msr == X2APIC_MSR_ID)
		*value = id;
	else if (msr == X2APIC_MSR_LDR)
		*value = (id >> 4) << 16 | 1U << (id & 0xF);
	else if (apic_reg_kept(msr))
		*value = vc->apic.reg[msr - X2APIC_MSR_FIRST];
	else
		return false;
	return true;
}

uint64_t vmm_apic_wrmsr(void *opaque, uint32_t msr, uint64_t value)
{
	struct vmm_vcpu *vc = opaque;

	if (msr == X2APIC_MSR_ICR)
		return icr_write(vc, value);
	if (msr == X2APIC_MSR_SELF_IPI) { /* a vector in bits 7:0, the rest reserved */
		if (value >> 8)
			return TDVMCALL_STATUS_INVALID_OPERAND;
		vmm_apic_post(vc->td, vc->index, (uint8_t)value);
		return TDVMCALL_STATUS_SUCCESS;
	}
	/* Read-only registers, reserved high halves and a non-zero ESR write: #GP [SDM]. */
	if (value >> 32 || !apic_reg_kept(msr) || msr == X2APIC_MSR_VERSION ||
	    msr == X2APIC_MSR_TMCCT || (msr == X2APIC_MSR_ESR && value))
		return TDVMCALL_STATUS_INVALID_OPERAND;
	vc->apic.reg[msr - X2APIC_MSR_FIRST] = (uint32_t)value;
	return TDVMCALL_STATUS_SUCCESS;
}

/* ------------------------------------------------------------------------------------------
 * SetupEventNotifyInterrupt: the vector goes to the vCPU that registered it.
 */

void vmm_apic_event_notify(void *opaque, unsigned int vcpu, uint8_t vector)
{
	struct vmm_vcpu *vc = opaque;

	if (vcpu < vc->td->nr_vcpus)
		vmm_apic_post(vc->td, vcpu, vector);
}
