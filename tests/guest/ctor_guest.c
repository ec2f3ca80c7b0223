// SPDX-License-Identifier: MIT
/*
 * Constructors and destructors in every form the linker script places: a .preinit_array
 * entry, constructor(101) and (200), a two-entry .init_array object; destructor(101) and
 * (200), a two-entry .fini_array object. Each constructor appends its letter to a record
 * that main prints (so they ran before main, in this order); each destructor prints its own
 * line (so they ran at exit, after main's output). Scenario (boot option bits 15:8): 0
 * returns 3 from main, 1 calls tdx_exit(4) itself, 2 exits from a destructor.
 */
#include "tdxguest/tdxguest.h"

#include "guest_rt.h"

static char order[16];
static unsigned int n;
static int initialised = 7; /* .data: a constructor sees it as linked */

static void record(char c)
{
	order[n++] = c;
}

static void pre(void)
{
	record(initialised == 7 ? 'P' : '?');
}
static void c1(void)
{
	record('c');
}
static void c2(void)
{
	record('d');
}
static void d1(void)
{
	tdx_printf("fini_array[0]\n");
}
static void d2(void)
{
	tdx_printf("fini_array[1]\n");
	if (((tdx_boot_regs[1] >> GRT_SCN_SHIFT) & 0xFF) == 2)
		tdx_exit(6); /* the remaining destructors do not run again */
}

__attribute__((constructor(200))) static void ctor200(void)
{
	record('b');
}
__attribute__((constructor(101))) static void ctor101(void)
{
	record('a');
}
__attribute__((destructor(101))) static void dtor101(void)
{
	tdx_printf("destructor(101)\n");
}
__attribute__((destructor(200))) static void dtor200(void)
{
	tdx_printf("destructor(200)\n");
}

__attribute__((section(".preinit_array"), used)) static void (*const preinit[])(void) = {pre};
__attribute__((section(".init_array"), used)) static void (*const init[])(void) = {c1, c2};
__attribute__((section(".fini_array"), used)) static void (*const fini[])(void) = {d1, d2};

int main(void)
{
	unsigned int scenario = (tdx_boot_regs[1] >> GRT_SCN_SHIFT) & 0xFF;

	record('m');
	tdx_printf("main: %s\n", order);
	if (scenario == 1)
		tdx_exit(4);
	return 3;
}
