// SPDX-License-Identifier: MIT
/*
 * SMP bring-up through the ACPI wake-up mailbox, external interrupt dispatch, the x2APIC
 * (EOI, ICR) and spin locks. The protocol is in tdxguest/smp.h.
 */
#include "tdxguest/smp.h"

#define CPU_PARKED   0
#define CPU_STARTING 1
#define CPU_RUNNING  2
#define CPU_DONE     3

/* In .data: the APs read it before the BSP has cleared .bss (crt0.S). */
struct tdx_mp_wakeup_mailbox tdx_mp_wakeup_mailbox __attribute__((section(".data")));

/*
 * The AP stacks: segments of their own in tdxguest.ld, from __tdx_ap_stack_1 up, each with a
 * 4 KiB guard page below it (and so between one and the next).
 */
extern char __tdx_ap_stack_1[] __attribute__((visibility("hidden")));
extern char __tdx_ap_stack_2[] __attribute__((visibility("hidden")));
#define AP_GUARD 4096

static uintptr_t ap_stack_stride(void)
{
	return (uintptr_t)__tdx_ap_stack_2 - (uintptr_t)__tdx_ap_stack_1;
}

/* Bottom of vCPU cpu's stack (1 <= cpu < TDX_SMP_MAX_CPUS). */
static uintptr_t ap_stack_bottom(unsigned int cpu)
{
	return (uintptr_t)__tdx_ap_stack_1 + (cpu - 1) * ap_stack_stride();
}

static struct {
	void (*fn)(void *arg);
	void *arg;
	u32 state;
} cpus[TDX_SMP_MAX_CPUS];

static tdx_spinlock_t mailbox_lock = TDX_SPINLOCK_INIT;
static tdx_irq_handler_t irq_handlers[256];
u64 tdx_irq_count[256];

/* ---- spin locks ---- */

void tdx_spin_lock(tdx_spinlock_t *l)
{
	while (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE))
		while (__atomic_load_n(&l->locked, __ATOMIC_RELAXED))
			__asm__ volatile("pause");
}

void tdx_spin_unlock(tdx_spinlock_t *l)
{
	__atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
}

/* ---- CPUs ---- */

unsigned int tdx_nr_cpus(void)
{
	static unsigned int nr;
	struct tdx_module_args args = {0};
	u64 ret;

	if (nr)
		return nr;
	ret = __tdcall(TDG_VP_INFO, &args);
	if (ret)
		tdx_panic(0, "TDG.VP.INFO failed: 0x%lx", (unsigned long)ret);
	nr = (u32)args.r8; /* NUM_VCPUS; MAX_VCPUS is in bits 63:32 */
	return nr;
}

/* No per-CPU register is free for this (FS/GS belong to the machine): the stack says it. */
unsigned int tdx_cpu_id(void)
{
	uintptr_t sp = (uintptr_t)__builtin_frame_address(0);
	uintptr_t off = sp - (uintptr_t)__tdx_ap_stack_1;

	return off < (TDX_SMP_MAX_CPUS - 1) * ap_stack_stride()
		       ? (unsigned int)(off / ap_stack_stride()) + 1
		       : 0;
}

void tdx_halt(void)
{
	tdvmcall(TDVMCALL_INSTRUCTION_HLT, 1, 0, 0, 0, NULL);
}

/*
 * The mailbox's WakeupVector: the crt jumps here on the AP's own stack, RDI = its index,
 * after acknowledging. Interrupts stay disabled until fn enables them.
 */
static __attribute__((noreturn, used)) void ap_start(u64 cpu)
{
	tdx_idt_load();
	tdx_cpu_init();
	__atomic_store_n(&cpus[cpu].state, CPU_RUNNING, __ATOMIC_RELEASE);
	cpus[cpu].fn(cpus[cpu].arg);
	tdx_local_irq_disable();
	__atomic_store_n(&cpus[cpu].state, CPU_DONE, __ATOMIC_RELEASE);
	for (;;)
		tdx_halt();
}

/* The wake-up IPI is still pending when the AP first enables interrupts: end it. */
static void wakeup_irq(unsigned int vector, struct pt_regs *regs)
{
	(void)vector;
	(void)regs;
	tdx_apic_eoi();
}

int tdx_smp_start(unsigned int cpu, void (*fn)(void *arg), void *arg)
{
	volatile struct tdx_mp_wakeup_mailbox *mb = &tdx_mp_wakeup_mailbox;

	if (!cpu || cpu >= TDX_SMP_MAX_CPUS || cpu >= tdx_nr_cpus() || !fn)
		return -TDX_EINVAL;
	tdx_spin_lock(&mailbox_lock);
	if (cpus[cpu].state != CPU_PARKED) {
		tdx_spin_unlock(&mailbox_lock);
		return -TDX_EBUSY;
	}
	cpus[cpu].fn = fn;
	cpus[cpu].arg = arg;
	cpus[cpu].state = CPU_STARTING;
	if (!irq_handlers[TDX_SMP_WAKEUP_VECTOR])
		tdx_irq_register(TDX_SMP_WAKEUP_VECTOR, wakeup_irq);
	/* ACPI order: everything else, then Command; the AP clears Command when it has read. */
	mb->os_reserved[0] = ap_stack_bottom(cpu) + ap_stack_stride() - AP_GUARD; /* its top */
	mb->wakeup_vector = (uintptr_t)ap_start;
	mb->apic_id = cpu;
	__atomic_store_n(&mb->command, TDX_MP_WAKEUP_COMMAND_WAKEUP, __ATOMIC_RELEASE);
	tdx_send_ipi(cpu, TDX_SMP_WAKEUP_VECTOR);
	while (__atomic_load_n(&mb->command, __ATOMIC_ACQUIRE) != TDX_MP_WAKEUP_COMMAND_NOOP)
		__asm__ volatile("pause");
	tdx_spin_unlock(&mailbox_lock);
	return 0;
}

/* ---- interrupts ---- */

int tdx_irq_register(unsigned int vector, tdx_irq_handler_t fn)
{
	if (vector < FIRST_EXTERNAL_VECTOR || vector > 255)
		return -TDX_EINVAL;
	__atomic_store_n(&irq_handlers[vector], fn, __ATOMIC_RELEASE);
	return 0;
}

/*
 * A registered handler is program code, which may use x87/SSE/AVX (programs are not built
 * -mgeneral-regs-only), while the interrupted code's values are live in those registers:
 * the handler runs between an XSAVE and an XRSTOR of them, on the interrupted stack, with the
 * x87 unit initialised and MXCSR at its default (0x1F80), whatever the interrupted code set. The
 * standard XSAVE format's layout is architectural: x87, SSE, AVX and AVX-512 (XCR0 bits 0-2,
 * 5-7) end at byte 2688. The header (bytes 512-575) must be zero before XSAVE, since XRSTOR
 * refuses reserved bits XSAVE leaves alone.
 */
#define IRQ_XSTATE_FEATURES 0xE7ULL
#define IRQ_XSTATE_SIZE	    2688

struct irq_xstate {
	u8 area[IRQ_XSTATE_SIZE];
} __attribute__((aligned(64)));

static u64 xcr0(void)
{
	u32 lo, hi;

	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return lo | (u64)hi << 32;
}

void tdx_handle_irq(struct pt_regs *regs)
{
	unsigned int v = (unsigned int)regs->vector & 0xFF;
	tdx_irq_handler_t fn = __atomic_load_n(&irq_handlers[v], __ATOMIC_ACQUIRE);
	static const u32 mxcsr_default = 0x1F80;
	struct irq_xstate xs;
	u64 rfbm = xcr0() & IRQ_XSTATE_FEATURES;

	__atomic_fetch_add(&tdx_irq_count[v], 1, __ATOMIC_RELAXED);
	if (!fn)
		tdx_panic(0, "interrupt %u without a handler rip 0x%lx", v,
			  (unsigned long)regs->rip);
	memset(xs.area + 512, 0, 64);
	__asm__ volatile("xsave64 %0" : "+m"(xs) : "a"((u32)rfbm), "d"((u32)(rfbm >> 32)));
	__asm__ volatile("fninit\n\tldmxcsr %0" : : "m"(mxcsr_default));
	fn(v, regs);
	__asm__ volatile("xrstor64 %0" : : "m"(xs), "a"((u32)rfbm), "d"((u32)(rfbm >> 32)));
}

/* ---- x2APIC ---- */

static void wrmsr(u32 msr, u64 val)
{
	__asm__ volatile("wrmsr" : : "c"(msr), "a"((u32)val), "d"((u32)(val >> 32)) : "memory");
}

void tdx_apic_eoi(void)
{
	wrmsr(X2APIC_MSR_EOI, 0);
}

void tdx_apic_icr_write(u64 icr)
{
	wrmsr(X2APIC_MSR_ICR, icr);
}

void tdx_send_ipi(unsigned int cpu, unsigned int vector)
{
	tdx_apic_icr_write((u64)cpu << APIC_ICR_DEST_SHIFT | APIC_DM_FIXED << APIC_ICR_DM_SHIFT |
			   (vector & APIC_ICR_VECTOR_MASK));
}
