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

/* A copy of the runtime's IDT (its stubs, 16 bytes a vector) with vector 20 re-pointed. */
extern const char tdx_exc_stubs[];
static u8 idt[32 * 16] __attribute__((aligned(16)));

static void set_gate(unsigned int v, u64 h, u16 cs)
{
	u64 d[2];

	d[0] = (h & 0xFFFF) | ((u64)cs << 16) | (0x8EULL << 40) | ((h & 0xFFFF0000ULL) << 32);
	d[1] = h >> 32;
	memcpy(idt + 16 * v, d, sizeof(d));
}

static void repoint_ve(void)
{
	struct {
		u16 limit;
		u64 base;
	} __attribute__((packed)) idtr = {sizeof(idt) - 1, (uintptr_t)idt};
	u16 cs;

	__asm__ volatile("movw %%cs, %0" : "=r"(cs));
	for (unsigned int v = 0; v < 32; v++)
		set_gate(v, (uintptr_t)tdx_exc_stubs + 16 * v, cs);
	set_gate(20, (uintptr_t)gtd_nested_ve, cs);
	__asm__ volatile("lidt %0" : : "m"(idtr) : "memory");
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
