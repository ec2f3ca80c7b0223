// SPDX-License-Identifier: MIT
/* A guest that fails fatally: TDVMCALL ReportFatalError with a message. */
#include "tdxguest/tdxguest.h"

int main(void)
{
	tdx_printf("about to panic\n");
	tdx_panic(0x42, "boom %d", 17);
}
