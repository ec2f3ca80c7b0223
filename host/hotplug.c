// SPDX-License-Identifier: MIT
/*
 * TDX's own CPU hotplug callbacks [ABI §11.3], registered before any TDX user's:
 *  - online: VMXON + LP.INIT + VMXOFF on the CPU coming up, so that every online CPU can
 *    issue SEAMCALLs by the time a TDX user's callback runs there; a failure refuses the
 *    CPU.
 *  - offline: refuse to take down the last online CPU of a package while TDX is on: the
 *    module programs keys per package through a CPU of that package.
 */
#include <errno.h>

#include "platform/platform.h"

#include "tdx_internal.h"

static struct hotplug_state *tdx_hp;

int tdx_online_cpu(unsigned int cpu)
{
	return tdx_lp_online(cpu);
}

int tdx_offline_cpu(unsigned int cpu)
{
	return tdx_lp_may_offline(cpu);
}

int tdx_hotplug_init(void)
{
	tdx_hp = hotplug_register("x86/tdx:online", TDX_HOTPLUG_ORDER, tdx_online_cpu,
				  tdx_offline_cpu);
	return tdx_hp ? 0 : -ENOMEM;
}

void tdx_hotplug_exit(void)
{
	hotplug_unregister(tdx_hp);
	tdx_hp = NULL;
}
