/* SPDX-License-Identifier: MIT */
/*
 * vmm/apic.h - the VMM's half of a TD's interrupts (the KVM role for a TD, whose local APIC
 * is virtualised by the TDX module, not by the VMM):
 *
 *   - a posted-interrupt descriptor (tdx/pi.h) per vCPU in a host page, given to the module
 *     with TDH.VP.WR; posting sets a PIR bit and ON, then wakes or kicks the vCPU;
 *   - Instruction.HLT: the vCPU thread blocks until something is posted for it;
 *   - the x2APIC ICR (MSR 0x830), which reaches the VMM as TDVMCALL<Instruction.WRMSR>:
 *     decoded into IPIs;
 *   - SetupEventNotifyInterrupt's vector, posted when a GetQuote completes.
 */
#ifndef VMM_APIC_H
#define VMM_APIC_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <tdx/apic.h>
#include <tdx/pi.h>

struct vmm_td;
struct vmm_vcpu;

/*
 * The notification vector written to the TD VMCS and the PID, and sent to a running
 * vCPU's LP (lp_send_ipi): Linux's POSTED_INTR_VECTOR [L arch/x86/include/asm/irq_vectors.h].
 */
#define VMM_POSTED_INTR_VECTOR 0xF2

/* Per vCPU. */
struct vmm_apic {
	uint64_t pid_hpa;    /* host page holding the PID (its first 64 bytes) */
	struct pi_desc *pid; /* the page in the host direct map */
	_Atomic bool halted; /* blocked in Instruction.HLT */
	/* The x2APIC registers the VMM emulates, by MSR - 0x800 (vmm_apic_rdmsr); only the
	 * vCPU's own thread touches them. */
	uint32_t reg[X2APIC_NR_EMULATED];
};

/* Allocate the PID page of every vCPU (before TDH.VP.CREATE). 0 or -ENOMEM. */
int vmm_apic_alloc(struct vmm_td *td);
/* Once @vc has its LP: TDH.VP.WR of the notification vector and the PID address there. */
uint64_t vmm_apic_vcpu_setup(struct vmm_td *td, struct vmm_vcpu *vc);
/* Free the PID pages (teardown, after the vCPUs are flushed). */
void vmm_apic_free(struct vmm_td *td);

/*
 * Post @vector to vCPU @vcpu: set PIR and ON, wake it if halted, notify it if in the TD.
 * A halted vCPU waits on td->wake under td->lock, so vmm_td_stop() wakes it too.
 */
void vmm_apic_post(struct vmm_td *td, unsigned int vcpu, uint8_t vector);

/* TDVMCALL ops: Instruction.HLT, RDMSR and WRMSR of the x2APIC range, the GetQuote
 * notification. */
void vmm_apic_hlt(void *opaque, bool irq_blocked);
bool vmm_apic_rdmsr(void *opaque, uint32_t msr, uint64_t *value);
/*
 * COM1's input ended (EOF on stdin): with no_outside_interrupts, a TD whose vCPUs all halt
 * waiting for it can never wake, and stops (VMM_STOP_NO_PROGRESS).
 */
void vmm_apic_serial_input_ended(void *opaque);
uint64_t vmm_apic_wrmsr(void *opaque, uint32_t msr, uint64_t value);
void vmm_apic_event_notify(void *opaque, unsigned int vcpu, uint8_t vector);

#endif /* VMM_APIC_H */
