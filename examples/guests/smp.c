// SPDX-License-Identifier: MIT
/*
 * smp: every vCPU of the TD does a share of the work. The BSP (vCPU 0) starts each AP
 * through the ACPI wake-up mailbox (tdx_smp_start); each CPU counts the primes in its slice
 * of [0, LIMIT) and prints its result (one line at a time, under a spin lock); each AP then
 * marks itself finished and rings the BSP with an IPI, whose handler counts the APs it finds
 * finished. An IPI is a doorbell, not a message: IPIs of one vector that arrive while the
 * first is still pending merge into one (the APIC's IRR has one bit per vector), so the
 * handler looks at the flags rather than counting interrupts. The BSP waits in
 * tdx_safe_halt until every AP is counted, checks the total against the known count and
 * exits 0.
 *
 *   tdxsim run build/examples/smp.elf --vcpus 4
 */
#include "tdxguest/tdxguest.h"

#define LIMIT	     100000
#define PRIMES_BELOW 9592 /* pi(100000) */
#define DONE_VECTOR  0x40

static tdx_spinlock_t print_lock = TDX_SPINLOCK_INIT;
static u64 primes[TDX_SMP_MAX_CPUS];
static u32 finished[TDX_SMP_MAX_CPUS]; /* set by each AP before its IPI */
static bool counted[TDX_SMP_MAX_CPUS];
static u32 done, irqs; /* APs counted and IPIs taken (the BSP's IPI handler) */
static unsigned int nr_cpus;

static bool is_prime(u64 n)
{
	if (n < 2)
		return false;
	for (u64 d = 2; d * d <= n; d++)
		if (n % d == 0)
			return false;
	return true;
}

static void work(unsigned int cpu)
{
	u64 lo = (u64)LIMIT * cpu / nr_cpus, hi = (u64)LIMIT * (cpu + 1) / nr_cpus, n = 0;

	for (u64 i = lo; i < hi; i++)
		n += is_prime(i);
	primes[cpu] = n;
	tdx_spin_lock(&print_lock);
	tdx_printf("vCPU %u: %lu primes in [%lu, %lu)\n", cpu, (unsigned long)n, (unsigned long)lo,
		   (unsigned long)hi);
	tdx_spin_unlock(&print_lock);
}

static void done_irq(unsigned int vector, struct pt_regs *regs)
{
	(void)vector;
	(void)regs;
	irqs++;
	for (unsigned int cpu = 1; cpu < nr_cpus; cpu++) {
		if (!counted[cpu] && __atomic_load_n(&finished[cpu], __ATOMIC_ACQUIRE)) {
			counted[cpu] = true;
			done++;
		}
	}
	tdx_apic_eoi();
}

static void ap_main(void *arg)
{
	(void)arg;
	unsigned int cpu = tdx_cpu_id();

	work(cpu);
	__atomic_store_n(&finished[cpu], 1, __ATOMIC_RELEASE);
	tdx_send_ipi(0, DONE_VECTOR);
}

int main(void)
{
	u64 total = 0;

	nr_cpus = tdx_nr_cpus();
	if (nr_cpus > TDX_SMP_MAX_CPUS)
		nr_cpus = TDX_SMP_MAX_CPUS;
	tdx_printf("smp: %u vCPUs, counting the primes below %u\n", nr_cpus, LIMIT);
	tdx_irq_register(DONE_VECTOR, done_irq);
	for (unsigned int cpu = 1; cpu < nr_cpus; cpu++)
		if (tdx_smp_start(cpu, ap_main, NULL))
			return 2;
	work(0);
	/* Check, then halt with interrupts enabled in one step: no IPI is missed in between. */
	tdx_local_irq_disable();
	while (done < nr_cpus - 1) {
		tdx_safe_halt();
		tdx_local_irq_disable();
	}
	for (unsigned int cpu = 0; cpu < nr_cpus; cpu++)
		total += primes[cpu];
	tdx_printf("smp: %u APs signalled (%u IPIs taken), %lu primes in all (expected %u)\n", done,
		   irqs, (unsigned long)total, PRIMES_BELOW);
	return total == PRIMES_BELOW ? 0 : 1;
}
