// SPDX-License-Identifier: MIT
/*
 * Interrupt and SMP guests for test_vmm_irq.c, one scenario per ELF (-DIRQ_SCENARIO=...).
 * Each prints what it saw on the serial console; the test compares it byte for byte and
 * checks the VMM's per-vCPU counters (halts, IPIs sent, interrupts posted).
 *
 *   SMP      every vCPU starts, one after the other, and reports its index and tdx_cpu_id()
 *   ICR      ICR writes by direct TDVMCALL<WRMSR>: every shorthand and destination form,
 *            delivery modes without effect, illegal vectors, reserved bits (statuses)
 *   POST     vCPU 0 halts with interrupts blocked; the embedder's vmm_td_post_interrupt()
 *            ends the halt; the interrupt is taken only after STI
 *   STOP     every vCPU halts for good; the embedder's vmm_td_stop() ends the run
 *   NOTIFY   AP 1 registers SetupEventNotifyInterrupt, vCPU 0 gets a quote
 *   IPI      AP 1 waits in tdx_safe_halt; vCPU 0's IPI wakes it and its handler runs
 *   FATAL    every vCPU reports a fatal error at the same moment, each with its own code,
 *            GPA and message: the VMM must record exactly one of them, whole
 *   ACCEPT   every vCPU accepts the same 32 pages at the same moment: their EPT violations
 *            race for the PAGE.AUGs, the losers re-enter and find the page; the VMM's
 *            no-progress watch must not take these retries for a guest that cannot go on
 */
#include "tdxguest/tdxguest.h"

#define SCN_SMP	   1
#define SCN_ICR	   2
#define SCN_POST   3
#define SCN_STOP   4
#define SCN_NOTIFY 5
#define SCN_IPI	   6
#define SCN_FATAL  7
#define SCN_ACCEPT 8

static __attribute__((unused)) volatile u32 ready[TDX_SMP_MAX_CPUS];
static __attribute__((unused)) volatile u32 handled, handled_vector, handled_cpu;
static __attribute__((unused)) tdx_spinlock_t lock = TDX_SPINLOCK_INIT;

static __attribute__((unused)) void record_irq(unsigned int vector, struct pt_regs *regs)
{
	(void)regs;
	handled_vector = vector;
	handled_cpu = tdx_cpu_id();
	__atomic_fetch_add(&handled, 1, __ATOMIC_SEQ_CST);
	tdx_apic_eoi();
}

static __attribute__((unused)) u64 icr(u64 value)
{
	return tdvmcall(TDVMCALL_INSTRUCTION_WRMSR, X2APIC_MSR_ICR, value, 0, 0, NULL);
}

static __attribute__((unused)) void wait_ready(unsigned int cpu)
{
	while (!__atomic_load_n(&ready[cpu], __ATOMIC_ACQUIRE))
		__asm__ volatile("pause");
}

#if IRQ_SCENARIO == SCN_SMP
static void ap_report(void *arg)
{
	unsigned int cpu = (unsigned int)(uintptr_t)arg;

	tdx_spin_lock(&lock);
	tdx_printf("cpu %u: tdx_cpu_id %u\n", cpu, tdx_cpu_id());
	tdx_spin_unlock(&lock);
	__atomic_store_n(&ready[cpu], 1, __ATOMIC_RELEASE);
}

static int scenario(void)
{
	unsigned int n = tdx_nr_cpus();

	tdx_printf("%u vCPUs, bsp %u\n", n, tdx_cpu_id());
	for (unsigned int cpu = 1; cpu < n; cpu++) {
		if (tdx_smp_start(cpu, ap_report, (void *)(uintptr_t)cpu))
			return 1;
		wait_ready(cpu);
	}
	tdx_printf("again: %d, cpu %u: %d, cpu 0: %d\n", tdx_smp_start(1, ap_report, NULL), n,
		   tdx_smp_start(n, ap_report, NULL), tdx_smp_start(0, ap_report, NULL));
	return 0;
}
#elif IRQ_SCENARIO == SCN_ICR
static int scenario(void)
{
	static const struct {
		const char *what;
		u64 icr;
	} writes[] = {
		{"self", 1ULL << 18 | 0x50},
		{"all incl self", 2ULL << 18 | 0x51},
		{"all excl self", 3ULL << 18 | 0x52},
		{"physical 2", 2ULL << 32 | 0x53},
		{"broadcast", 0xFFFFFFFFULL << 32 | 0x54},
		{"logical 1,3", 0xAULL << 32 | 1ULL << 11 | 0x55},
		{"lowest all", 2ULL << 18 | 1ULL << 8 | 0x56},
		{"busy bit", 3ULL << 32 | 1ULL << 12 | 0x57},
		{"physical 9", 9ULL << 32 | 0x58},
		{"vector 5", 1ULL << 32 | 0x05},
		{"level deassert", 1ULL << 32 | 1ULL << 15 | 0x59},
		{"nmi", 1ULL << 32 | 4ULL << 8},
		{"init", 1ULL << 32 | 5ULL << 8 | 1ULL << 14},
		{"sipi", 1ULL << 32 | 6ULL << 8 | 0x10},
		{"smi", 1ULL << 32 | 2ULL << 8},
		{"reserved 13", 1ULL << 32 | 1ULL << 13 | 0x5A},
		{"reserved 16", 1ULL << 32 | 1ULL << 16 | 0x5A},
		{"reserved 20", 1ULL << 32 | 1ULL << 20 | 0x5A},
	};

	for (unsigned int i = 0; i < sizeof(writes) / sizeof(writes[0]); i++)
		tdx_printf("%s: %lx\n", writes[i].what, (unsigned long)icr(writes[i].icr));
	/* The x2APIC registers the VMM emulates: read, written, refused (vmm/apic.c). */
	static const u32 regs[] = {0x802, 0x803, 0x80D, 0x80F, 0x828, 0x82F, 0x832, 0x837, 0x838};
	u64 v, st;

	for (unsigned int i = 0; i < sizeof(regs) / sizeof(regs[0]); i++) {
		v = 0;
		st = tdvmcall(TDVMCALL_INSTRUCTION_RDMSR, regs[i], 0, 0, 0, &v);
		tdx_printf("rd %x: %lx %lx\n", regs[i], (unsigned long)st, (unsigned long)v);
	}
	tdx_printf("wr 80f 1ff: %lx\n",
		   (unsigned long)tdvmcall(TDVMCALL_INSTRUCTION_WRMSR, 0x80F, 0x1FF, 0, 0, NULL));
	tdvmcall(TDVMCALL_INSTRUCTION_RDMSR, 0x80F, 0, 0, 0, &v);
	tdx_printf("rd 80f: %lx\n", (unsigned long)v);
	tdx_printf("wr 832 20030: %lx\n",
		   (unsigned long)tdvmcall(TDVMCALL_INSTRUCTION_WRMSR, 0x832, 0x20030, 0, 0, NULL));
	tdvmcall(TDVMCALL_INSTRUCTION_RDMSR, 0x832, 0, 0, 0, &v);
	tdx_printf("rd 832: %lx\n", (unsigned long)v);
	tdx_printf(
		"wr 828 0: %lx, 828 1: %lx, 802: %lx, 839: %lx, 80f high: %lx\n",
		(unsigned long)tdvmcall(TDVMCALL_INSTRUCTION_WRMSR, 0x828, 0, 0, 0, NULL),
		(unsigned long)tdvmcall(TDVMCALL_INSTRUCTION_WRMSR, 0x828, 1, 0, 0, NULL),
		(unsigned long)tdvmcall(TDVMCALL_INSTRUCTION_WRMSR, 0x802, 1, 0, 0, NULL),
		(unsigned long)tdvmcall(TDVMCALL_INSTRUCTION_WRMSR, 0x839, 1, 0, 0, NULL),
		(unsigned long)tdvmcall(TDVMCALL_INSTRUCTION_WRMSR, 0x80F, 1ULL << 32, 0, 0, NULL));
	tdx_printf("self ipi 5d: %lx, 100: %lx, rd 83f: %lx\n",
		   (unsigned long)tdvmcall(TDVMCALL_INSTRUCTION_WRMSR, 0x83F, 0x5D, 0, 0, NULL),
		   (unsigned long)tdvmcall(TDVMCALL_INSTRUCTION_WRMSR, 0x83F, 0x100, 0, 0, NULL),
		   (unsigned long)tdvmcall(TDVMCALL_INSTRUCTION_RDMSR, 0x83F, 0, 0, 0, NULL));
	return 0;
}
#elif IRQ_SCENARIO == SCN_POST
static int scenario(void)
{
	tdx_irq_register(0x60, record_irq);
	tdx_local_irq_disable();
	tdx_halt(); /* the embedder posts 0x60 once this vCPU sleeps */
	tdx_printf("after halt: %u handled\n", handled);
	while (!__atomic_load_n(&handled, __ATOMIC_SEQ_CST)) {
		tdx_safe_halt(); /* returns at once: 0x60 is pending */
		tdx_local_irq_disable();
	}
	tdx_printf("after sti: %u handled, vector %x\n", handled, handled_vector);
	return 0;
}
#elif IRQ_SCENARIO == SCN_STOP
static __attribute__((noreturn)) int scenario(void)
{
	for (;;)
		tdx_halt(); /* interrupts blocked, nothing posted: only a stop ends this */
}
#elif IRQ_SCENARIO == SCN_NOTIFY
static void ap_register(void *arg)
{
	(void)arg;
	tdx_printf("setup: %lx\n", (unsigned long)tdvmcall(TDVMCALL_SETUP_EVENT_NOTIFY_INTERRUPT,
							   0x70, 0, 0, 0, NULL));
	__atomic_store_n(&ready[1], 1, __ATOMIC_RELEASE);
}

static int scenario(void)
{
	static struct tdreport report;
	static u8 quote[2048];
	u8 data[TDX_REPORTDATA_LEN] = {0};
	u64 status = 0;
	u32 len = 0;

	if (tdx_smp_start(1, ap_register, NULL))
		return 1;
	wait_ready(1);
	if (tdx_get_report(data, &report))
		return 2;
	tdx_printf("quote: %lx, status %lx\n",
		   (unsigned long)tdx_get_quote(&report, quote, sizeof(quote), &len, &status),
		   (unsigned long)status);
	return 0;
}
#elif IRQ_SCENARIO == SCN_IPI
static void ap_wait(void *arg)
{
	(void)arg;
	tdx_local_irq_disable();
	__atomic_store_n(&ready[1], 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&handled, __ATOMIC_SEQ_CST)) {
		tdx_safe_halt();
		tdx_local_irq_disable();
	}
	tdx_printf("cpu %u: vector %x handled on cpu %u\n", tdx_cpu_id(), handled_vector,
		   handled_cpu);
	__atomic_store_n(&ready[2], 1, __ATOMIC_RELEASE);
}

static int scenario(void)
{
	tdx_irq_register(0x41, record_irq);
	if (tdx_smp_start(1, ap_wait, NULL))
		return 1;
	wait_ready(1);
	tdx_send_ipi(1, 0x41);
	wait_ready(2);
	tdx_printf("handled %u\n", handled);
	return 0;
}
#elif IRQ_SCENARIO == SCN_FATAL
static volatile u32 go;

/* ReportFatalError with code 0x100 + cpu, GPA 0x1000 * (cpu + 1), "fatal race vCPU <cpu>". */
static __attribute__((noreturn)) void report(unsigned int cpu)
{
	char msg[24] = "fatal race vCPU ";
	struct tdx_module_args a = {
		.r10 = TDX_HYPERCALL_STANDARD,
		.r11 = TDVMCALL_REPORT_FATAL_ERROR,
		.r12 = (1ULL << 63) | (0x100 + cpu), /* bit 63: R13 holds a GPA [GHCI] */
		.r13 = 0x1000ULL * (cpu + 1),
	};

	msg[16] = (char)('0' + cpu);
	memcpy(&a.r14, msg, 8);
	memcpy(&a.r15, msg + 8, 8);
	memcpy(&a.rbx, msg + 16, 8);
	__tdx_hypercall(&a);
	for (;;)
		tdx_halt();
}

static void ap_fatal(void *arg)
{
	unsigned int cpu = (unsigned int)(uintptr_t)arg;

	__atomic_store_n(&ready[cpu], 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&go, __ATOMIC_ACQUIRE))
		__asm__ volatile("pause");
	report(cpu);
}

static int scenario(void)
{
	unsigned int n = tdx_nr_cpus();

	for (unsigned int cpu = 1; cpu < n; cpu++) {
		if (tdx_smp_start(cpu, ap_fatal, (void *)(uintptr_t)cpu))
			return 1;
		wait_ready(cpu);
	}
	__atomic_store_n(&go, 1, __ATOMIC_RELEASE);
	report(0);
}
#elif IRQ_SCENARIO == SCN_ACCEPT
#define RACE_GPA   (48ULL << 20)
#define RACE_PAGES 32

static volatile u32 go, done;
static u32 accepted, already; /* over all vCPUs (atomics) */

/* ACCEPT each page, retrying while another vCPU holds its entry (OPERAND_BUSY). */
static void accept_all(void)
{
	for (u64 i = 0; i < RACE_PAGES; i++) {
		u64 st;

		do
			st = tdx_accept_page(RACE_GPA + i * 4096, TDX_PS_4K);
		while (tdx_status_code(st) == TDX_OPERAND_BUSY);
		if (!st)
			__atomic_fetch_add(&accepted, 1, __ATOMIC_RELAXED);
		else if (tdx_status_code(st) == TDX_PAGE_ALREADY_ACCEPTED)
			__atomic_fetch_add(&already, 1, __ATOMIC_RELAXED);
		else
			tdx_panic(0, "ACCEPT of GPA 0x%lx: 0x%lx",
				  (unsigned long)(RACE_GPA + i * 4096), (unsigned long)st);
	}
	__atomic_fetch_add(&done, 1, __ATOMIC_RELEASE);
}

static void ap_accept(void *arg)
{
	unsigned int cpu = (unsigned int)(uintptr_t)arg;

	__atomic_store_n(&ready[cpu], 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&go, __ATOMIC_ACQUIRE))
		__asm__ volatile("pause");
	accept_all();
}

static int scenario(void)
{
	unsigned int n = tdx_nr_cpus();
	u64 sum = 0;

	for (unsigned int cpu = 1; cpu < n; cpu++) {
		if (tdx_smp_start(cpu, ap_accept, (void *)(uintptr_t)cpu))
			return 1;
		wait_ready(cpu);
	}
	__atomic_store_n(&go, 1, __ATOMIC_RELEASE);
	accept_all();
	while (__atomic_load_n(&done, __ATOMIC_ACQUIRE) != n)
		__asm__ volatile("pause");
	for (u64 i = 0; i < RACE_PAGES; i++)
		sum += *(volatile u64 *)__va(RACE_GPA + i * 4096);
	tdx_printf("%u vCPUs: %u pages accepted once, %u already, sum %lu\n", n, accepted, already,
		   (unsigned long)sum);
	return 0;
}
#else
#error "IRQ_SCENARIO"
#endif

int main(void)
{
	return scenario();
}
