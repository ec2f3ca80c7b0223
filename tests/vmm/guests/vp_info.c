// SPDX-License-Identifier: MIT
/* A guest that prints TDG.VP.INFO's vCPU counts: NUM_VCPUS and TD_PARAMS.MAX_VCPUS. */
#include "tdxguest/tdxguest.h"

int main(void)
{
	struct tdx_vp_info info;

	if (tdx_vp_info(&info))
		return 1;
	tdx_printf("vcpus %u max %u\n", info.num_vcpus, info.max_vcpus);
	return 0;
}
