// SPDX-License-Identifier: MIT
/*
 * Guests that stop without an exit status, for test_vmm_stop.c: one scenario per ELF
 * (-DSTOP_SCENARIO=...). Each faulting instruction sits at a global label, so that the
 * test knows the symbol and offset the VMM must name.
 *
 *   PF          a load from 0x1000, outside the TD: #PF, not present, read, user mode
 *   GP          DS loaded with the host's kernel data selector (GDT index 2, DPL 0) at
 *               CPL 3: #GP with that selector as error code
 *   UD          UD2: #UD
 *   UNACCEPTED  a load from a private GPA it never accepted (run with SEPT_VE_DISABLE):
 *               EPT violation, PAGE.AUG, the page pending, again - the VMM's no-progress
 *               stop
 *   SPIN        every vCPU spins in guest code without a TD exit (vCPU 0 says so on the
 *               console once all of them do)
 *   HALT        vCPU 0 halts for good with interrupts blocked while the APs wait in the
 *               wake-up mailbox: nothing can wake any of them
 *   SHARED      a load from a shared GPA in the TD's RAM that was never converted (MapGPA):
 *               the VMM's shared EPT has suppress-#VE there, so an EPT-violation TD exit
 *               to the VMM, which stops the TD (no #VE: that is for MMIO)
 */
#include "tdxguest/tdxguest.h"

#define SCN_PF	       1
#define SCN_GP	       2
#define SCN_UD	       3
#define SCN_UNACCEPTED 4
#define SCN_SPIN       5
#define SCN_HALT       6
#define SCN_SHARED     7

#define UNACCEPTED_GPA (40ULL << 20) /* in a 64 MiB TD, far from the image */
#define SHARED_GPA     (40ULL << 20)

void stop_pf(void), stop_gp(void), stop_ud(void), stop_spin(void);
u64 stop_unaccepted(u64 va), stop_shared(u64 va);
__asm__(".text\n"
	".globl stop_pf\n"
	"stop_pf:\n"
	"\tmovq 0x1000, %rax\n"
	"\tret\n"
	".globl stop_gp\n"
	"\tmovl $0x10, %eax\n"
	"stop_gp:\n"
	"\tmovl %eax, %ds\n"
	"\tret\n"
	".globl stop_ud\n"
	"stop_ud:\n"
	"\tud2\n"
	"\tret\n"
	".globl stop_unaccepted\n"
	"stop_unaccepted:\n"
	"\tmovq (%rdi), %rax\n"
	"\tret\n"
	".globl stop_shared\n"
	"stop_shared:\n"
	"\tmovq (%rdi), %rax\n"
	"\tret\n"
	".globl stop_spin\n"
	"stop_spin:\n"
	"\tpause\n"
	"\tjmp stop_spin\n");

#if STOP_SCENARIO == SCN_SPIN
static volatile u32 spinning;

static void ap_spin(void *arg)
{
	(void)arg;
	__atomic_fetch_add(&spinning, 1, __ATOMIC_RELEASE);
	stop_spin();
}
#endif

int main(void)
{
	tdx_printf("stop: scenario %u\n", STOP_SCENARIO);
#if STOP_SCENARIO == SCN_PF
	stop_pf();
#elif STOP_SCENARIO == SCN_GP
	stop_gp();
#elif STOP_SCENARIO == SCN_UD
	stop_ud();
#elif STOP_SCENARIO == SCN_UNACCEPTED
	return (int)stop_unaccepted((uintptr_t)__va(UNACCEPTED_GPA));
#elif STOP_SCENARIO == SCN_SPIN
	for (unsigned int cpu = 1; cpu < tdx_nr_cpus(); cpu++)
		tdx_smp_start(cpu, ap_spin, NULL);
	while (__atomic_load_n(&spinning, __ATOMIC_ACQUIRE) != tdx_nr_cpus() - 1)
		__asm__ volatile("pause");
	tdx_printf("spinning on %u vCPUs\n", tdx_nr_cpus());
	stop_spin();
#elif STOP_SCENARIO == SCN_HALT
	for (;;)
		tdx_halt();
#elif STOP_SCENARIO == SCN_SHARED
	return (int)stop_shared((uintptr_t)__va(SHARED_GPA | tdx_shared_mask()));
#else
#error "STOP_SCENARIO"
#endif
	return 99; /* not reached */
}
