// SPDX-License-Identifier: MIT
/* A guest whose main returns GUEST_STATUS (tests/tools/meson.build builds one per value). */
#include "tdxguest/tdxguest.h"

int main(void)
{
	tdx_printf("status %d\n", GUEST_STATUS);
	return GUEST_STATUS;
}
