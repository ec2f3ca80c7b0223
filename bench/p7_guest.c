// SPDX-License-Identifier: MIT
/*
 * The P7 guest (bench_build.c): an image of 4 MiB and a little more, nearly all of it one
 * zero-initialised array. The VMM adds and measures every page of the image, .bss included,
 * so this ELF of a few pages makes a TD build of 1024+ PAGE.ADDs.
 */
#include "tdxguest/tdxguest.h"

static volatile u8 blob[4 << 20];

int main(void)
{
	return blob[sizeof(blob) - 1];
}
