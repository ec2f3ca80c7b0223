/* SPDX-License-Identifier: MIT */
/*
 * tdxguest/smp.h - more than one vCPU, and external interrupts.
 *
 * Start-up. TDX starts every vCPU at the reset vector, RSI = its index. The crt sends
 * vCPU 0 (the BSP) on to main(); every other vCPU (an AP) touches nothing but the wake-up
 * mailbox, a copy of the ACPI "Multiprocessor Wakeup" mailbox that TDVF gives a TD's OS
 * (ACPI 6.4 5.2.12.19, table 5.44): Command (u16, 0 Noop, 1 Wakeup), Reserved (u16),
 * ApicId (u32), WakeupVector (u64), then 2032 bytes for the OS and 2048 for firmware, 4 KiB
 * aligned. It sits in .data, so it exists before the BSP has cleared .bss. An AP reads it,
 * and while it is not addressed runs TDVMCALL<Instruction.HLT> with interrupts blocked.
 * tdx_smp_start() writes ApicId, WakeupVector and (in the OS part) a stack, sets Command
 * last, and sends the AP an IPI that ends its halt; the AP takes the entry and acknowledges
 * by writing Command = 0, as the ACPI mailbox protocol has it. The AP then loads the IDT,
 * runs fn(arg) on its own stack with interrupts disabled, and halts for good if fn returns.
 *
 * Interrupts. The IDT has a stub for every vector; 32-255 call the handler registered with
 * tdx_irq_register(). The local APIC is the module's virtual x2APIC: the handler ends the
 * interrupt with tdx_apic_eoi() (WRMSR 0x80B, virtualised by the module); IPIs are WRMSRs
 * of the ICR (0x830), which reach the VMM through #VE and TDVMCALL<Instruction.WRMSR>.
 */
#ifndef TDXGUEST_SMP_H
#define TDXGUEST_SMP_H

#include "tdx/apic.h"
#include "tdxguest/tdx.h"
#include "tdxguest/ve.h"

#define TDX_SMP_MAX_CPUS      16     /* CPUs the SDK starts (vCPU indices 0-15) */
#define TDX_SMP_STACK_SIZE    0x4000 /* each AP's stack: tdxguest.ld's TDX_AP_STACK_SIZE default */
#define TDX_SMP_WAKEUP_VECTOR 0xF0   /* the IPI that ends a parked AP's halt */

/* ACPI MADT Multiprocessor Wakeup mailbox (ACPI 6.4 5.2.12.19). */
#define TDX_MP_WAKEUP_COMMAND_NOOP   0
#define TDX_MP_WAKEUP_COMMAND_WAKEUP 1
struct tdx_mp_wakeup_mailbox {
	u16 command;
	u16 reserved;
	u32 apic_id;
	u64 wakeup_vector;    /* entered with RDI = the AP's index, RSP = os_reserved stack */
	u64 os_reserved[254]; /* [0]: the AP's stack top (tdxsim's use of the OS part) */
	u8 fw_reserved[2048];
} __attribute__((aligned(4096)));
_Static_assert(sizeof(struct tdx_mp_wakeup_mailbox) == 4096, "ACPI mailbox is 4 KiB");
extern struct tdx_mp_wakeup_mailbox tdx_mp_wakeup_mailbox;

#define TDX_EINVAL 22
#define TDX_EBUSY  16

/* Number of vCPUs of the TD (TDG.VP.INFO R8[31:0], NUM_VCPUS). */
unsigned int tdx_nr_cpus(void);
/* The calling CPU's index (= its x2APIC ID), from the stack it runs on. */
unsigned int tdx_cpu_id(void);
/*
 * Start AP @cpu (1..min(tdx_nr_cpus(), TDX_SMP_MAX_CPUS) - 1) in fn(arg): mailbox, IPI,
 * wait for the AP's acknowledgement. 0, -TDX_EINVAL for a bad index, -TDX_EBUSY if the AP
 * was started already.
 */
int tdx_smp_start(unsigned int cpu, void (*fn)(void *arg), void *arg);

/*
 * Interrupt handlers, vectors 32-255; runs with the interrupted context's registers. A
 * handler may use floating point and SIMD: tdx_handle_irq saves the interrupted code's
 * x87/SSE/AVX/AVX-512 state before it (then gives it FNINIT and MXCSR 0x1F80) and restores
 * it after.
 */
typedef void (*tdx_irq_handler_t)(unsigned int vector, struct pt_regs *regs);
/* 0, or -TDX_EINVAL for a vector below 32. NULL unregisters (the vector becomes fatal). */
int tdx_irq_register(unsigned int vector, tdx_irq_handler_t fn);
/* Called by the entry path for vectors 32-255. */
void tdx_handle_irq(struct pt_regs *regs);
/* Interrupts taken per vector, all CPUs (statistics, tests). */
extern u64 tdx_irq_count[256];

static inline void tdx_local_irq_enable(void)
{
	__asm__ volatile("sti" ::: "memory");
}

static inline void tdx_local_irq_disable(void)
{
	__asm__ volatile("cli" ::: "memory");
}

/*
 * STI immediately followed by TDG.VP.VMCALL<Instruction.HLT> with "interrupts blocked" = 0:
 * the STI shadow covers the TDCALL, so an interrupt cannot slip in between and be missed;
 * it wakes the halt and is delivered when the TDCALL returns. As Linux's TDX safe halt
 * (arch/x86/coco/tdx/tdx.c tdx_safe_halt). Returns with interrupts enabled.
 */
void tdx_safe_halt(void);
/* TDG.VP.VMCALL<Instruction.HLT> with interrupts blocked: wakes on a posted interrupt,
 * which stays pending until interrupts are enabled. */
void tdx_halt(void);

/* x2APIC: EOI (WRMSR 0x80B of 0) and the ICR. */
void tdx_apic_eoi(void);
void tdx_apic_icr_write(u64 icr);
/* A fixed IPI with @vector to vCPU @cpu (physical destination = x2APIC ID = index). */
void tdx_send_ipi(unsigned int cpu, unsigned int vector);

/* A test-and-set spin lock (tdx_spin_lock pauses while it waits). */
typedef struct {
	volatile u32 locked;
} tdx_spinlock_t;
#define TDX_SPINLOCK_INIT                                                                          \
	{                                                                                          \
		0                                                                                  \
	}
void tdx_spin_lock(tdx_spinlock_t *l);
void tdx_spin_unlock(tdx_spinlock_t *l);

#endif /* TDXGUEST_SMP_H */
