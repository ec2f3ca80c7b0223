// SPDX-License-Identifier: MIT
/*
 * The guest of test_api.c's shared-backing test: converts two pages at SHARED_GPA to shared,
 * writes a pattern into each, tells the test over port API_PORT, then echoes what the test
 * wrote at its side of the memory; converts them back to private and shared again and echoes
 * the first word once more (the embedder's memory keeps what it held).
 */
#include "tdxguest/tdxguest.h"

#define API_PORT   0x510
#define SHARED_GPA 0x2000000ULL /* 32 MiB: RAM no part of the image uses */

int main(void)
{
	volatile u32 *p = __va(SHARED_GPA | tdx_shared_mask());

	outl((u32)tdx_set_memory_shared(SHARED_GPA, 2), API_PORT); /* 1: 0 */
	p[0] = 0xC0DE0001;
	p[1024 + 1] = 0xC0DE0002;
	outl(1, API_PORT);	     /* 2: the test looks, and writes */
	outl(p[2], API_PORT);	     /* 3 */
	outl(p[1024 + 3], API_PORT); /* 4 */
	outl((u32)tdx_set_memory_private(SHARED_GPA, 2), API_PORT); /* 5: 0 */
	outl((u32)tdx_set_memory_shared(SHARED_GPA, 1), API_PORT);  /* 6: 0 */
	outl(p[0], API_PORT);					    /* 7 */
	return 9;
}
