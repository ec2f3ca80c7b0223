// SPDX-License-Identifier: MIT
/* A guest that reads private memory beyond the TD's memory size: the VMM stops it cleanly. */
#include "tdxguest/tdxguest.h"

int main(void)
{
	volatile u64 *p = __va(1ULL << 31); /* 2 GiB, past a 64 MiB TD */

	tdx_printf("reading 0x80000000\n");
	return (int)*p;
}
