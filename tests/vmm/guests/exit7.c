// SPDX-License-Identifier: MIT
/* A guest that prints two lines (one without a newline at the end) and exits with status 7. */
#include "tdxguest/tdxguest.h"

int main(void)
{
	tdx_printf("exit7: vCPU count test line\n");
	tdx_puts("no newline");
	return 7;
}
