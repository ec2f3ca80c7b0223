// SPDX-License-Identifier: MIT
/*
 * The guest of test_api.c's TD exits below the TDVMCALL level: an ACCEPT of a page the VMM
 * has not added (an EPT violation), a spin until the test raises a flag in shared memory
 * (vmm_td_stop() kicks it out: an external interrupt); then, as the test answers a port read,
 * a load from
 * a shared GPA of RAM never converted (an EPT violation on a shared GPA) or a triple fault
 * (an IDT with limit 0 and a #UD: neither it nor #DF can be delivered).
 */
#include "tdxguest/tdxguest.h"

#define API_PORT     0x510
#define ACCEPT_GPA   0x3000000ULL /* never added: its ACCEPT is an EPT violation */
#define FLAG_GPA     0x3100000ULL /* converted to shared: the test's flag */
#define UNSHARED_GPA 0x3200000ULL /* RAM the guest never converts to shared */

static void triple_fault(void)
{
	struct {
		u16 limit;
		u64 base;
	} __attribute__((packed)) idtr = {0, 0};

	__asm__ volatile("lidt %0\n\tud2" : : "m"(idtr) : "memory");
}

int main(void)
{
	volatile u32 *flag = __va(FLAG_GPA | tdx_shared_mask());

	outl(1, API_PORT);					 /* 1 */
	outl((u32)tdx_accept_page(ACCEPT_GPA, 0), API_PORT);	 /* 2: 0 */
	outl((u32)tdx_set_memory_shared(FLAG_GPA, 1), API_PORT); /* 3: 0 */
	outl(2, API_PORT);					 /* 4: spinning from here */
	while (!*flag)
		__asm__ volatile("pause");
	outl(3, API_PORT);	/* 5 */
	if (inl(API_PORT) == 1) /* 6 */
		triple_fault();
	return (int)*(volatile u32 *)__va(UNSHARED_GPA | tdx_shared_mask());
}
