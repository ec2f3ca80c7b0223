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
