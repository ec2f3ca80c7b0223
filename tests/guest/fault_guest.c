// SPDX-License-Identifier: MIT
/*
 * Fatal ends on the real module, the scenario in boot option bits 15:8 (guest_td.h):
 *  GTD_FAULT_NESTED_VE  vector 20 re-pointed at a stub that does an OUT before
 *                       TDG.VP.VEINFO.GET: the module turns the second #VE into #DF, which
 *                       the runtime reports ("#DF err 0x0 rip 0x...").
 *  GTD_FAULT_WBINVD     WBINVD: #VE with exit reason 54, which handle_ve does not handle.
 *  GTD_FAULT_PRIVATE    a load from a private GPA that was never accepted: the VMM adds it
 *                       with PAGE.AUG, the module raises #VE (pending page), the runtime
 *                       refuses MMIO to a private GPA.
 * Each must end in ReportFatalError; reaching the end of main() is a failure (status 99).
 */
#include "tdxguest/tdxguest.h"

#include "guest_td.h"

void gtd_nested_ve(void);
__asm__(".text\n"
	".globl gtd_nested_ve\n"
	"gtd_nested_ve:\n"
	"\toutb %al, $0x80\n" /* #VE while the first one's info is unread: #DF */
	"\tud2\n");

/* A copy of the runtime's IDT with vector 20 re-pointed. */
static u64 idt[32 * 2] __attribute__((aligned(16)));

static void repoint_ve(void)
{
	gtd_idt_copy_runtime(idt, 32);
	gtd_idt_set(idt, 20, (uintptr_t)gtd_nested_ve);
	gtd_idt_load(idt, 32);
}

int main(void)
{
	unsigned int scenario = (tdx_boot_regs[1] >> GTD_FAULT_SHIFT) & 0xFF;

	tdx_printf("fault: scenario %u\n", scenario);
	switch (scenario) {
	case GTD_FAULT_NESTED_VE:
		repoint_ve();
		tdx_native_out(1, 0x80, 0);
		break;
	case GTD_FAULT_WBINVD:
		__asm__ volatile("wbinvd" ::: "memory");
		break;
	case GTD_FAULT_PRIVATE:
		(void)*(volatile u64 *)__va(GTD_FAULT_PRIVATE_GPA);
		break;
	}
	return 99;
}
