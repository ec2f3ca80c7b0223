// SPDX-License-Identifier: MIT
/*
 * tdx_printf in a real TD: every case of printf_cases.h, each followed by "=N\n" with the
 * value tdx_printf returned; test_guest_rt.c builds the same text with the host's snprintf.
 */
#include "tdxguest/tdxguest.h"

#include "printf_cases.h"

#define PRINT(...) tdx_printf("=%d\n", tdx_printf(__VA_ARGS__));

int main(void)
{
	PRINTF_CASES(PRINT)
	return 0;
}
