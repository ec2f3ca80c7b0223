/* SPDX-License-Identifier: MIT */
/*
 * tdx/apic.h - the x2APIC as a TD sees it: MSR numbers and the Interrupt Command Register.
 * In a TD the module virtualises the local APIC; the guest writes the ICR with WRMSR, which
 * the module turns into a #VE and the guest into TDVMCALL<Instruction.WRMSR> for the VMM
 * (GHCI; L arch/x86/coco/tdx/tdx.c). Used by the VMM (vmm/apic.c) and the guest SDK.
 */
#ifndef TDX_APIC_H
#define TDX_APIC_H

/* x2APIC MSRs [SDM vol. 3A 11.12.1.2 "x2APIC Register Address Space"]. */
#define X2APIC_MSR_FIRST 0x800
#define X2APIC_MSR_END	 0x8FF
#define X2APIC_MSR_EOI	 0x80B
#define X2APIC_MSR_ICR	 0x830
/* The registers a VMM emulates for a TD (the module virtualises TPR, PPR, EOI, ISR, TMR, IRR;
 * the ICR is vmm/apic.c's): offsets in the x2APIC MSR range [SDM vol. 3A table 11-6]. */
#define X2APIC_MSR_ID	     0x802 /* read-only: the x2APIC ID */
#define X2APIC_MSR_VERSION   0x803 /* read-only */
#define X2APIC_MSR_LDR	     0x80D /* read-only in x2APIC mode */
#define X2APIC_MSR_SVR	     0x80F /* spurious-interrupt vector */
#define X2APIC_MSR_ESR	     0x828 /* error status: writes of 0 only */
#define X2APIC_MSR_LVT_CMCI  0x82F
#define X2APIC_MSR_LVT_TIMER 0x832
#define X2APIC_MSR_LVT_ERROR 0x837   /* LVTs: timer 0x832 ... error 0x837 */
#define X2APIC_MSR_TMICT     0x838   /* timer initial count */
#define X2APIC_MSR_TMCCT     0x839   /* timer current count, read-only */
#define X2APIC_MSR_TDCR	     0x83E   /* timer divide configuration */
#define X2APIC_MSR_SELF_IPI  0x83F   /* write-only: a fixed IPI to itself */
#define X2APIC_NR_EMULATED   0x40    /* 0x800 ... 0x83F */
#define APIC_VERSION_DEFAULT 0x50014 /* version 0x14, max LVT entry 5 (as KVM's lapic) */
#define APIC_SVR_RESET	     0xFF
#define APIC_LVT_MASKED	     0x10000 /* bit 16; every LVT's value after reset */

/* Interrupt Command Register, x2APIC format (64 bits) [SDM vol. 3A 11.6.1, 11.12.9]. */
#define APIC_ICR_VECTOR_MASK	 0xFFULL
#define APIC_ICR_DM_SHIFT	 8 /* delivery mode, bits 10:8 (enum below) */
#define APIC_ICR_DM_MASK	 (7ULL << APIC_ICR_DM_SHIFT)
#define APIC_ICR_DEST_LOGICAL	 (1ULL << 11)
#define APIC_ICR_BUSY		 (1ULL << 12) /* delivery status: reserved in x2APIC mode */
#define APIC_ICR_LEVEL_ASSERT	 (1ULL << 14)
#define APIC_ICR_TRIGGER_LEVEL	 (1ULL << 15)
#define APIC_ICR_SHORTHAND_SHIFT 18 /* bits 19:18 (enum below) */
#define APIC_ICR_SHORTHAND_MASK	 (3ULL << APIC_ICR_SHORTHAND_SHIFT)
#define APIC_ICR_DEST_SHIFT	 32 /* x2APIC: the destination is bits 63:32 */
/* Reserved in x2APIC mode: bits 31:20, 17:16 and 13 [L arch/x86/kvm/lapic.c
 * X2APIC_ICR_RESERVED_BITS]. */
#define X2APIC_ICR_RESERVED 0x00000000FFF32000ULL

#define APIC_DM_FIXED	0
#define APIC_DM_LOWEST	1
#define APIC_DM_SMI	2
#define APIC_DM_REMRD	3
#define APIC_DM_NMI	4
#define APIC_DM_INIT	5
#define APIC_DM_STARTUP 6
#define APIC_DM_EXTINT	7

#define APIC_DEST_NOSHORT 0
#define APIC_DEST_SELF	  1
#define APIC_DEST_ALLINC  2 /* all including self */
#define APIC_DEST_ALLBUT  3 /* all excluding self */

#define X2APIC_BROADCAST 0xFFFFFFFFU /* the destination that names every x2APIC */

/* Vectors 0-15 are illegal for the APIC; 16-31 are the architecture's exceptions. */
#define APIC_FIRST_LEGAL_VECTOR 16
#define FIRST_EXTERNAL_VECTOR	32

/*
 * TDVPS VCPU_STATE_DETAILS (non-architectural, class 17 "other guest state", code 0x100;
 * read-only for the host): bit 0 VMXIP, a virtual interrupt is pending in the vCPU's
 * virtual APIC (recognised, not yet delivered). KVM reads it on a TDVMCALL<HLT> with
 * interrupts enabled, for an interrupt that moved from the PID into the virtual APIC
 * before the guest's STI [L arch/x86/kvm/vmx/tdx_arch.h TD_VCPU_STATE_DETAILS_NON_ARCH,
 * tdx.c tdx_protected_apic_has_interrupt]. As a TDH.VP.RD field ID: non-arch bit 63,
 * class 17, context VP, 64-bit elements.
 */
#define TDVPS_VCPU_STATE_DETAILS_NON_ARCH   0x9120000300000100ULL
#define TDX_VCPU_STATE_DETAILS_INTR_PENDING (1ULL << 0)

#endif /* TDX_APIC_H */
