// SPDX-License-Identifier: MIT
/*
 * Serial input through `tdxsim run` (test_guest_rt.c pipes stdin into it): echoes every byte
 * tdx_getc() returns (which waits for COM1's receive interrupt) until a 'q', then prints
 * what tdx_getc_nonblock() finds after it three times and the byte count, and returns 0.
 * At EOF without a 'q' it waits in tdx_getc(), and the VMM stops the TD.
 */
#include "tdxguest/tdxguest.h"

int main(void)
{
	unsigned long n = 0;
	int c;

	tdx_printf("echo: ready\n");
	while ((c = tdx_getc()) != 'q') {
		tdx_putc((char)c);
		n++;
	}
	c = tdx_getc_nonblock();
	tdx_printf("\nafter q: %d", c);
	c = tdx_getc_nonblock();
	tdx_printf(" %d", c);
	c = tdx_getc_nonblock();
	tdx_printf(" %d\nbye %lu\n", c, n);
	return 0;
}
